"""Sparse COO tensors, differential against PyTorch: a seeded slice of a random fuzzer over
creation, coalescing, zero-preserving pointwise functions, division, sums, select /
narrow_copy / index_select, permutes, products and gradients, plus regression tests for the
differences it found (values, dtypes, shapes, coalesced flags, index order, printed text,
exception types and messages)."""
from __future__ import annotations

import random

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
from diff import plain_result  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:Sparse invariant checks"),
              pytest.mark.filterwarnings("ignore:Sparse CSR tensor support")]


def _run(code, lib):
    g = {"torch": lib, "np": np}
    try:
        exec(code, g)  # noqa: S102 (the same generated script on both libraries)
        return ("ok", plain_result(g["out"], lib, with_repr=True))
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return ("err", type(e).__name__, str(e))


def _same(code):
    assert _run(code, ember) == _run(code, torch), code


_DTYPES = ["torch.float32", "torch.float64", "torch.int64", "torch.float32", "torch.int32"]


def _sparse_code(rng, name="s", dims=None, dt=None, grad=False):
    nd = dims or rng.choice([1, 2, 2, 3])
    sd = rng.randint(1, nd)
    shape = [rng.randint(1, 4) for _ in range(nd)]
    nnz = rng.randint(0, 6)
    idx = [[rng.randrange(shape[d]) for _ in range(nnz)] for d in range(sd)]
    vshape = [nnz] + shape[sd:]
    vals = [round(rng.uniform(-3, 3), 2) for _ in range(int(np.prod(vshape)))]
    dt = dt or rng.choice(_DTYPES)
    c = (f"{name}_i = torch.tensor({idx}, dtype=torch.int64).reshape({sd}, {nnz})\n"
         f"{name}_v = torch.tensor({vals}).reshape({vshape}).to({dt})\n")
    if grad:
        c += f"{name}_v.requires_grad_(True)\n"
    size = f", {shape}" if rng.random() < 0.7 else ""
    c += f"{name} = torch.sparse_coo_tensor({name}_i, {name}_v{size})\n"
    if rng.random() < 0.4:
        c += f"{name} = {name}.coalesce()\n"
    return c


# Ops whose results ember matches exactly (values bit for bit, flags, order, text, errors).
_OPS = [
    "s.coalesce()", "s.to_dense()", "s._nnz()", "s.sparse_dim()", "s.dense_dim()", "-s",
    "s * 2", "s * 2.5", "s / 2", "s.div(2, rounding_mode='floor')",
    "s.div(2, rounding_mode='trunc')", "s // 2", "s.abs()", "s.floor()",
    "s.ceil()", "s.round()", "s.trunc()", "s.frac()", "s.sign()", "s.sgn()", "s.relu()",
    "s.square()", "s.expm1()", "s.log1p()", "s.asin()", "s.atan()", "s.isnan()", "s.isinf()",
    "s.signbit()", "s.nan_to_num()", "s.deg2rad()", "s ** 2", "s.pow(3)",
    "s.sum()", "torch.sparse.sum(s)", "s.t()",
    "s.transpose(0, -1)", "s.mT", "s.permute(*range(s.dim() - 1, -1, -1))",
    "s.select(0, 0)", "s.select(-1, 0)", "s.select(0, 9)", "s[0]",
    "s.narrow_copy(0, 0, 1)", "s.narrow_copy(-1, 0, 1)", "s.narrow_copy(0, 1, 5)",
    "s.narrow_copy(s.dim() - 1, 0, 1)", "s.index_select(0, torch.tensor([0, 0]))",
    "s.index_select(0, torch.tensor([9]))",
    "s.index_select(0, torch.tensor([], dtype=torch.int64))", "s.new_zeros((2, 2))",
    "s.new_empty((2,))", "s.is_same_size(s)", "s.to_dense().to_sparse(1)",
    "s.to_dense().sparse_mask(s)",
    "s.floor_()", "s.clone()",
]


def _case(seed):
    rng = random.Random(seed)
    return _sparse_code(rng) + f"out = ({rng.choice(_OPS)}, s)\n"


@pytest.mark.parametrize("chunk", range(4))
def test_fuzz_slice(chunk):
    for seed in range(chunk * 60, chunk * 60 + 60):
        _same(_case(seed))


_GRADS = [
    "r = s.abs()\nr.to_dense().sum().backward()\nout = (r, s_v.grad)",
    "r = s.floor()\nr.to_dense().sum().backward()\nout = (r, s_v.grad)",
    "r = (s ** 2).to_dense()\nr.sum().backward()\nout = (r, s_v.grad)",
    "r = s.div(2, rounding_mode='floor')\nr.to_dense().sum().backward()\nout = (r, s_v.grad)",
    "x = s.detach().to_dense().requires_grad_()\nm = x.sparse_mask(s.detach().coalesce())\n"
    "m.to_dense().sum().backward()\nout = (m, x.grad)",
    "x = s.detach().to_dense().requires_grad_()\nm = x.sparse_mask(s.detach().coalesce())\n"
    "torch.sparse.sum(m).backward()\nout = (m, x.grad)",
    "r = torch.sparse.log_softmax(s, 0)\n"
    "(r.to_dense() * torch.arange(r.numel()).reshape(r.shape)).sum().backward()\n"
    "out = (r.grad_fn.name(), r.to_dense().shape)",
]


@pytest.mark.parametrize("k", range(len(_GRADS)))
def test_gradients(k):
    for seed in range(12):
        rng = random.Random(1000 + seed)
        _same(_sparse_code(rng, dims=2, dt="torch.float64", grad=True) + _GRADS[k] + "\n")


def _s(lib, idx, vals, size):
    return lib.sparse_coo_tensor(lib.tensor(idx), lib.tensor(vals), size)


def test_integer_division_dtype_and_rounding():
    for code in ["out = s / 2", "out = s.div(2, rounding_mode='floor')",
                 "out = s.div(2, rounding_mode='trunc')", "out = s // 2",
                 "out = torch.div(s, 2, rounding_mode='floor')", "out = s.floor_divide(2)",
                 "out = s // 0", "out = s.float().div(2, rounding_mode='floor')"]:
        _same("s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1], [2, 0, 0]]), "
              "torch.tensor([5, -3, 2]), (2, 3))\n" + code)


def test_sum_of_bools_and_ints():
    for dt in ("torch.bool", "torch.int32", "torch.int8"):
        for op in ("s.sum()", "s.sum(0)", "s.sum(-1)", "s.sum((0, 1))"):
            _same("s = torch.sparse_coo_tensor(torch.tensor([[2, 3, 3, 0], [1, 2, 2, 1]]), "
                  f"torch.tensor([2, 1, 1, 5]).to({dt}), (4, 3))\nout = {op}")


def test_pointwise_dtypes_and_inplace():
    for dt in ("torch.int64", "torch.bool", "torch.float64"):
        for op in ("s.sin()", "s.sqrt()", "s.tanh()", "s.floor()", "s.isnan()", "s.relu()",
                   "s.sign()", "s.trunc_()", "s.sin_()", "s.coalesce().sin_()",
                   "s.coalesce().floor_()", "s.abs()"):
            _same("s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1], [2, 0, 0]]), "
                  f"torch.tensor([1, -2, 3]).to({dt}), (2, 3))\nout = ({op}, s)")


def test_select_narrow_index_select_flags_and_order():
    base = ("s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1, 0], [2, 0, 2, 1]]), "
            "torch.tensor([0.5, -0.3, 0.2, 1.0]), (2, 3))\n")
    for x in ("s", "s.coalesce()"):
        for op in ("index_select(0, torch.tensor([1]))", "index_select(1, torch.tensor([0, 2]))",
                   "index_select(1, torch.tensor([1]))", "index_select(1, torch.tensor([2, 1]))",
                   "index_select(1, torch.tensor([-3]))", "select(1, 1)", "select(1, 2)",
                   "narrow_copy(1, 0, 2)", "narrow_copy(0, 0, 1)", "narrow_copy(2, 0, 1)",
                   "select(0, -3)", "__getitem__(0)", "__getitem__(1)", "T", "mT",
                   "permute(1, 0)", "permute(0, 0)", "permute(0)"):
            _same(base + f"out = {x}.{op}")


def test_one_sparse_dim_select_and_index_are_dense():
    _same("s = torch.sparse_coo_tensor(torch.tensor([[0, 0, 1]]), "
          "torch.tensor([[1, 2], [3, 4], [5, 6]]), (2, 2))\n"
          "out = (s[0], s.select(0, 1), s.select(1, 0), s.select(1, 1))")


def test_hybrid_permute_and_errors():
    base = ("s = torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 0]]), "
            "torch.arange(12.).reshape(2, 3, 2), (2, 2, 3, 2))\n")
    for op in ("s.permute(1, 0, 3, 2)", "s.permute(0, 2, 1, 3)", "s.T", "s.mT",
               "s.transpose(2, 3)"):
        _same(base + f"out = {op}")


def test_sparse_softmax_dtype_errors_and_names():
    for dt in ("torch.int64", "torch.bool", "torch.complex64"):
        for fn in ("softmax", "log_softmax"):
            _same("s = torch.sparse_coo_tensor(torch.tensor([[0, 1]]), "
                  f"torch.tensor([1, 2]).to({dt}), (2,))\nout = torch.sparse.{fn}(s, 0)")
    s = _s(ember, [[0, 1]], [1.0, 2.0], (2,)).requires_grad_()
    t = _s(torch, [[0, 1]], [1.0, 2.0], (2,)).requires_grad_()
    for fn in ("softmax", "log_softmax"):
        assert getattr(ember.sparse, fn)(s, 0).grad_fn.name() == \
            getattr(torch.sparse, fn)(t, 0).grad_fn.name()


def test_mm_dtype_and_shape_errors():
    base = ("a = torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 0]]), "
            "torch.tensor([2, 3]).to({dt}), (2, 2))\n")
    for dt in ("torch.int64", "torch.int32", "torch.float32"):
        for op in ("torch.sparse.mm(a, a)", "torch.mm(a, a)", "a @ a"):
            _same(base.format(dt=dt) + f"out = {op}")
    _same(base.format(dt="torch.bool") + "out = a @ a.to_dense()")
    _same("a = torch.sparse_coo_tensor(torch.tensor([[0, 1]]), torch.ones(2, 3), (2, 3))\n"
          "b = torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 0]]), torch.ones(2), (3, 3))\n"
          "out = torch.sparse.mm(a, b)")


def test_to_sparse_of_empty_dense():
    for shape, sd in (((0, 2), 1), ((2, 0), 1), ((0, 2, 3), 2), ((3, 0), 2)):
        _same(f"out = torch.zeros{shape}.to_sparse({sd})")


def test_sparse_mask_gradient():
    code = ("x = torch.arange(6.).reshape(2, 3).requires_grad_()\n"
            "m = torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 2]]), torch.ones(2), (2, 3))\n"
            "r = x.sparse_mask(m)\n"
            "(r.to_dense() * torch.arange(6.).reshape(2, 3)).sum().backward()\n"
            "out = (r, x.grad)")
    _same(code)
    _same(code.replace("torch.ones(2), (2, 3))", "torch.ones(2), (2, 3)).coalesce()")
          .replace("[[0, 1], [1, 2]]", "[[], []]").replace("torch.ones(2)", "torch.ones(0)"))


def test_new_zeros_keeps_layout_and_dtype():
    _same("s = torch.sparse_coo_tensor(torch.tensor([[0, 1]]), torch.tensor([1, 2]), (3,))\n"
          "out = (s.new_zeros(2, 3), s.new_zeros((4,), dtype=torch.float64), "
          "s.new_empty((2,)), s.is_same_size(s), s.is_same_size(s.new_zeros(3)))")


def test_sparse_mask_of_sparse_self():
    _same("a = torch.sparse_coo_tensor(torch.tensor([[0, 0, 1, 1], [0, 1, 0, 0]]), "
          "torch.tensor([1., 2., 3., 4.]), (2, 2))\n"
          "b = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1], [1, 0, 1]]), torch.ones(3), "
          "(2, 2)).coalesce()\n"
          "out = (a.sparse_mask(b), a.coalesce().sparse_mask(b))")
    _same("a = torch.sparse_coo_tensor(torch.tensor([[0]]), torch.tensor([1.]), (2,))\n"
          "b = torch.sparse_coo_tensor(torch.tensor([[0]]), torch.tensor([1.]), (3,))\n"
          "out = a.sparse_mask(b)")
