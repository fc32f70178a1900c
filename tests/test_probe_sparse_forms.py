"""Sparse COO tensors through torch's function forms (``torch.sin(S)``, ``torch.softmax(S, 0)``,
``torch.mm(S, D)``, ...), uncoalesced operands (``S * S``, ``S + S``) and bool arithmetic,
differential against PyTorch: a seeded fuzzer over ops x dtypes x coalesced-or-not x shapes
(0-size dims and hybrid tensors included), plus regression tests for what it found."""
from __future__ import annotations

import random

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
from diff import measured_cpu, plain_result  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:Sparse invariant checks")]


def _run(code, lib):
    g = {"torch": lib, "np": np}
    try:
        exec(code, g)  # noqa: S102 (the same generated script on both libraries)
        return ("ok", plain_result(g["out"], lib, with_repr=True))
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        m = str(e)
        if m.startswith("Could not run"):  # (PyTorch lists its dispatch keys after this)
            m = m[:m.index("backend")]
        return ("err", type(e).__name__, m)


def _same(code):
    assert _run(code, ember) == _run(code, torch), code


_DTYPES = ["torch.float32", "torch.float64", "torch.int64", "torch.bool", "torch.complex64"]


def _sparse_code(rng, dt=None, shape=None, sd=None):
    if shape is None:
        shape = [rng.choice([0, 1, 3]) if rng.random() < 0.15 else rng.randint(1, 4)
                 for _ in range(rng.choice([1, 2, 2, 3]))]
    nd = len(shape)
    sd = sd or rng.randint(1, nd)
    nnz = 0 if 0 in shape[:sd] else rng.randint(0, 6)
    idx = [[rng.randrange(shape[d]) for _ in range(nnz)] for d in range(sd)]
    vshape = [nnz] + shape[sd:]
    vals = [round(rng.uniform(-3, 3), 2) for _ in range(int(np.prod(vshape)))]
    dt = dt or rng.choice(_DTYPES)
    c = (f"s_i = torch.tensor({idx}, dtype=torch.int64).reshape({sd}, {nnz})\n"
         f"s_v = torch.tensor({vals}, dtype=torch.float64).reshape({vshape}).to({dt})\n"
         f"s = torch.sparse_coo_tensor(s_i, s_v, {shape})\n")
    if rng.random() < 0.5:
        c += "s = s.coalesce()\n"
    k = shape[1] if nd > 1 else shape[0]
    ddt = rng.choice(["torch.float32", "torch.float64", "s.dtype"])
    return c + f"d = torch.arange({k * 3}, dtype=torch.float64).reshape({k}, 3).to({ddt})\n"


# Ops ember matches (values bit for bit, dtypes, flags, index order, errors).
_OPS = [
    "torch.sin(s)", "torch.abs(s)", "torch.sqrt(s)",
    "torch.pow(s, 2)", "s.pow(2)", "torch.square(s)", "torch.add(s, s)",
    "torch.sub(s, s)", "s - s", "s + s", "torch.add(s, s, alpha=2)", "torch.sparse.sum(s)",
    "torch.transpose(s, 0, -1)", "torch.t(s)", "torch.softmax(s, 0)", "s.softmax(0)",
    "torch.log_softmax(s, 0)", "torch.nn.functional.softmax(s, 0)",
    "torch.nn.functional.log_softmax(s, -1)", "s.to_dense()",
    "s.coalesce()", "s.values()", "s._values()", "s.indices()", "s._indices()",
    "torch.tan(s)", "torch.floor(s)", "torch.sign(s)", "torch.relu(s)", "torch.expm1(s)",
    "torch.isnan(s)", "torch.trunc(s)", "torch.sgn(s)", "torch.cos(s)", "torch.exp(s)",
    "torch.sigmoid(s)", "torch.div(s, 2)", "s + s.coalesce()", "torch.neg(s)",
    "torch.negative(s)", "-s", "s * 2", "torch.mul(s, 2)", "s * 2.5", "s * s",
    "torch.mul(s, s)", "s.coalesce() * s", "torch.sparse.sum(s, 0)", "torch.sparse.sum(s, -1)",
    "torch.sparse.softmax(s, 0)", "torch.sparse.log_softmax(s, 0)",
    "torch.sparse.softmax(s, -1)", "torch.sparse.log_softmax(s, -1)", "s.clone().mul_(2)",
    "s.clone().div_(2)", "torch.mv(s, d[:, 0])", "torch.matmul(s, d[:, 0])",
]
# (their float32 and complex64 results come from kernels ember matches only in part: the dense
# complex64 sum's order, MKL's VML on other processors than the measured one)
_DENSE_SUMS = ("torch.sparse.sum(s, 0)", "torch.sparse.sum(s, -1)")


def test_fuzz_function_forms():
    # (float32 sin/exp/... are MKL's VML bits only on the measured processor)
    fast = measured_cpu()
    for seed in range(700):
        rng = random.Random(seed)
        code = _sparse_code(rng)
        op = rng.choice(_OPS)
        if not fast:
            code = code.replace("to(torch.float32)", "to(torch.float64)")
        if op in _DENSE_SUMS:
            code = code.replace("to(torch.complex64)", "to(torch.float64)")
        _same(code + f"out = ({op}, s)\n")


_MM = ["torch.mm(s, d)", "torch.sparse.mm(s, d)", "torch.matmul(s, d)", "s @ d"]


def test_fuzz_products_of_matrices():
    for seed in range(300):
        rng = random.Random(5000 + seed)
        shape = [rng.choice([0, 1, 3]) if rng.random() < 0.15 else rng.randint(1, 4)
                 for _ in range(2)]
        code = _sparse_code(rng, shape=shape, sd=2)
        # (dtype, shape and errors; the values' summation order is another matter)
        _same(code + f"r = {rng.choice(_MM)}\nout = (str(r.dtype), tuple(r.shape), "
              "str(r.layout), r.to_dense().double().sum().round().item())\n")


def test_products_refuse_mixed_dtypes_and_bool():
    for a in _DTYPES:
        for b in _DTYPES:
            base = ("s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1], [2, 0, 0]]), "
                    f"torch.tensor([1., -2., 3.]).to({a}), (2, 3))\n"
                    f"d = torch.ones(3, 2).to({b})\n")
            for op in _MM + ["torch.mm(d.t(), s.t())"]:
                _same(base + f"out = {op}")


def test_product_shape_errors():
    for shape, sd in (((3,), 1), ((2, 3), 1)):
        for op in ("torch.mm(s, d)", "torch.sparse.mm(s, d)"):
            _same(f"s = torch.sparse_coo_tensor(torch.zeros({sd}, 2, dtype=torch.int64), "
                  f"torch.ones((2,) + {shape}[{sd}:]), {shape})\n"
                  f"d = torch.ones(3, 2)\nout = {op}")


def test_function_forms_with_keywords_and_bad_arguments():
    base = ("s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1], [2, 0, 0]]), "
            "torch.tensor([1., -2., 3.]), (2, 3))\n")
    for op in ("torch.sin(s, 0)", "torch.cos(s, 0)", "torch.mm(s, 2)",
               "torch.permute(s, (1, 0))", "torch.permute(s, 1, 0)", "torch.t(s, 0)",
               "torch.flatten(s, 2)", "torch.numel(s)", "torch.positive(s)",
               "torch.softmax(s, 0, dtype=torch.float64)", "torch.transpose(s, 0, 1)",
               "torch.sum(s, 0)", "torch.exp(s)"):
        _same(base + f"out = {op}")


def test_mul_of_uncoalesced_operands():
    # (PyTorch looks one operand up, coalesced, and keeps the other's entries as they are)
    def mk(idx, vals, coalesce=False):
        return (f"torch.sparse_coo_tensor(torch.tensor([{idx}]).reshape(1, -1), "
                f"torch.tensor({vals}), (4,))" + (".coalesce()" if coalesce else ""))
    pairs = [(mk([0, 3], [1., 2.]), mk([0], [5.], True)),
             (mk([3, 0], [1., 2.]), mk([0, 2], [5., 7.])),
             (mk([0, 0], [5., 7.]), mk([3, 0], [1., 2.])),
             (mk([0, 0, 1], [5., 7., 1.]), mk([3, 0], [1., 2.], True)),
             (mk([1, 3], [1., 2.]), mk([1, 1, 3, 3], [1., 1e8, -1e8, 3.])),
             (mk([0, 0, 0, 1], [1e8, 1., -1e8, 2.]), mk([0, 1], [1., 3.]))]
    for x, y in pairs:
        _same(f"x = {x}\ny = {y}\nout = (x * y, y * x, x * x)")
    _same("x = torch.sparse_coo_tensor(torch.tensor([[0, 1, 0], [1, 0, 1]]), "
          "torch.tensor([[1., 2.], [3., 4.], [5., 6.]]), (2, 2, 2))\n"
          "y = torch.sparse_coo_tensor(torch.tensor([[0, 1], [1, 1]]), "
          "torch.tensor([[1., 2.], [3., 4.]]), (2, 2, 2))\nout = (x * y, y * x)")
    # float32 duplicates of the looked-up operand add in double before rounding
    rng = np.random.default_rng(0)
    for _ in range(20):
        v = (rng.standard_normal(6) * 10.0 ** rng.integers(0, 8, 6)).astype(np.float32).tolist()
        _same(f"x = torch.sparse_coo_tensor(torch.zeros(1, 6, dtype=torch.int64), "
              f"torch.tensor({v}), (2,))\n"
              "one = torch.sparse_coo_tensor(torch.tensor([[0, 1]]), torch.ones(2), (2,))\n"
              "out = one * x")


def test_bool_arithmetic_errors():
    def mk(dt, nnz=2):
        return (f"torch.sparse_coo_tensor(torch.tensor([[0, 1, 0][:{nnz}]]).reshape(1, -1), "
                f"torch.tensor([1., 2., 3.][:{nnz}]).to(torch.{dt}), (3,))")
    b, b0, f, i = mk("bool"), mk("bool", 0), mk("float32"), mk("int64")
    for op in (f"{b} + {b}", f"{b0} + {b0}", f"{b} + {b0}", f"{b0} + {b}", f"{b} + {f}",
               f"torch.add({b}, {b}, alpha=2)", f"{b} - {b}", f"{b0} - {b0}", f"{b} - {f}",
               f"{f} - {b}", f"-{b}", f"-{b0}", f"torch.neg({b})", f"{b} * 2", f"{b} * {b}",
               f"{b} ** 2", f"{b}.square()", f"{i} ** 2.5", f"{i}.pow(2)", f"{i} ** -1",
               f"{i}.add({i}, alpha=2.5)", f"{f}.add({f}, alpha=2.5)", f"{b} * {f}",
               f"torch.sub({f}, {b})"):
        _same(f"out = {op}")


def test_uncoalesced_values_indices_and_sums():
    base = ("s = torch.sparse_coo_tensor(torch.tensor([[1, 0, 1, 1], [2, 0, 2, 2]]), "
            "torch.tensor([1e8, 2., 1., -1e8]).to({dt}), (2, 3))\n")
    for dt in _DTYPES:
        for op in ("s.values()", "s._values()", "s.indices()", "s._indices()", "s.to_dense()",
                   "s.coalesce()", "torch.sum(s)", "torch.sparse.sum(s)", "s + s",
                   "torch.sparse.sum(s, 1)"):
            _same(base.format(dt=f"torch.{dt[6:]}") + f"out = ({op}, s)")


def _named_sparse(rng, name, shape, sd, dt):
    nnz = 0 if 0 in shape[:sd] else rng.randint(0, 6)
    idx = [[rng.randrange(shape[d]) for _ in range(nnz)] for d in range(sd)]
    vshape = [nnz] + shape[sd:]
    vals = [round(rng.uniform(-3, 3), 2) for _ in range(int(np.prod(vshape)))]
    c = (f"{name} = torch.sparse_coo_tensor(torch.tensor({idx}, dtype=torch.int64)"
         f".reshape({sd}, {nnz}), torch.tensor({vals}, dtype=torch.float64).reshape({vshape})"
         f".to({dt}), {shape})\n")
    if rng.random() < 0.5:
        c += f"{name} = {name}.coalesce()\n"
    return c


_PAIR_OPS = [
    "s * t", "t * s", "s + t", "s - t", "torch.add(s, t, alpha=2)", "s.add(t, alpha=-1)",
    "torch.mul(s, t)", "s.to_dense() + t", "s.to_dense() - t", "s.to_dense() * t",
    "s * t.to_dense()", "torch.add(s.to_dense(), t)", "s.clone().add_(t)", "s.clone().sub_(t)",
    "s.clone().mul_(t)", "s.clone().mul_(2)", "s.clone().div_(2)",
    "s.clone().div_(2, rounding_mode='trunc')", "s // 2", "s.sparse_mask(t.coalesce())",
    "s.to_dense().sparse_mask(t.coalesce())", "torch.sub(s, t)", "s * True",
    "s * torch.tensor(2)", "torch.cat([s, t])", "torch.stack([s, t])",
]


def test_fuzz_two_operands():
    """Two sparse operands of one shape (dtypes equal or mixed, each coalesced or not)."""
    for seed in range(600):
        rng = random.Random(9000 + seed)
        nd = rng.choice([1, 2, 2, 3])
        shape = [rng.choice([0, 1, 3]) if rng.random() < 0.1 else rng.randint(1, 4)
                 for _ in range(nd)]
        sd = rng.randint(1, nd)
        dt1 = rng.choice(_DTYPES)
        dt2 = dt1 if rng.random() < 0.6 else rng.choice(_DTYPES)
        code = _named_sparse(rng, "s", shape, sd, dt1) + _named_sparse(rng, "t", shape, sd, dt2)
        _same(code + f"out = ({rng.choice(_PAIR_OPS)}, s, t)\n")


def test_products_round_as_pytorch():
    """``mm``/``sparse.mm``/dense @ sparse: one fused multiply-add per entry, in entry order
    (float32 and float64; bit for bit on the measured processor)."""
    from diff import assert_bits_or_close

    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64):
        for _ in range(30):
            p = int(rng.integers(1, 12))
            nnz = int(rng.integers(1, 10))
            i = np.stack([rng.integers(0, 3, nnz), rng.integers(0, 4, nnz)])
            v = rng.standard_normal(nnz).astype(dt)
            d = rng.standard_normal((4, p)).astype(dt)
            outs = []
            for lib in (ember, torch):
                s = lib.sparse_coo_tensor(lib.tensor(i), lib.tensor(v), (3, 4))
                dd = lib.tensor(d)
                outs.append([lib.mm(s, dd).numpy(), lib.sparse.mm(s, dd).numpy(),
                             lib.mm(dd.t(), s.t()).numpy()])
            for got, want in zip(*outs, strict=True):
                assert_bits_or_close(got, want)


def test_sparse_softmax_bits_and_dense_dims():
    """Sparse softmax over a sparse dim: PyTorch's scalar loop in double (float32's
    accumulating type) with the C library's exp and log; over a dense dim: the dense kernel."""
    rng = np.random.default_rng(1)
    for dt in ("torch.float32", "torch.float64"):
        for _ in range(25):
            n = int(rng.integers(1, 7))
            idx = rng.integers(0, 3, (2, n)).tolist()
            vals = np.round(rng.standard_normal((n, 2)) * 3, 2).tolist()
            base = (f"s = torch.sparse_coo_tensor(torch.tensor({idx}), "
                    f"torch.tensor({vals}).to({dt}), (3, 3, 2))\n")
            _same(base + "out = [f(s, d) for f in (torch.sparse.softmax, "
                         "torch.sparse.log_softmax) for d in (0, 1)]")
    _same("s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 0]]), torch.zeros(3, 0, 2), "
          "(2, 0, 2)).bool()\nout = (torch.sparse.softmax(s, 0), torch.sparse.log_softmax(s, 1))")


def test_sparse_sum_adds_entries_as_they_are():
    """``torch.sparse.sum`` over sparse dims adds the entries in their order (not coalesced
    first); over every sparse dim it is the dense sum of the values; integer values summed
    over a dense dim do not fit a narrower dtype."""
    rng = np.random.default_rng(2)
    for _ in range(40):
        n = int(rng.integers(3, 20))
        idx = rng.integers(0, 3, (3, n)).tolist()
        vals = (rng.standard_normal((n, 2)) * 10.0 ** rng.integers(-2, 3, (n, 1))).tolist()
        base = (f"s = torch.sparse_coo_tensor(torch.tensor({idx}), torch.tensor({vals}, "
                "dtype=torch.float64), (3, 3, 3, 2))\n")
        _same(base + "out = [torch.sparse.sum(s, d) for d in (0, 1, (0, 2), (1, 2), 2, (0, 1))]")
    for dt in ("torch.int32", "torch.bool", "torch.int64", "torch.float32"):
        _same("s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1, 0, 0], [1, 0, 0, 1, 1]]), "
              f"torch.tensor([[1e8, 3.], [1., 1.], [-1e8, 2.], [4., 5.], [6., 7.]]).to({dt}), "
              "(2, 2, 2))\nout = []\nfor d in ((0, 1), -1, 0, (0, 1, 2)):\n"
              "    try:\n        out.append(torch.sparse.sum(s, d))\n"
              "    except RuntimeError as e:\n        out.append(str(e))")


def test_in_place_arithmetic():
    def mk(dt, nnz=2, coalesce=True):
        return (f"torch.sparse_coo_tensor(torch.tensor([[0, 2][:{nnz}]]), "
                f"torch.tensor([3., -5.][:{nnz}]).to(torch.{dt}), (3,))" +
                (".coalesce()" if coalesce else ""))
    f, i, b = mk("float32"), mk("int64"), mk("bool")
    for op in (f"{f}.mul_(2)", f"{f}.mul_(torch.tensor(2.))", f"{mk('float32', 1)}.mul_(2)",
               f"{mk('bool', 0)}.mul_(2)", f"{b}.mul_(2)", f"{b}.mul_(True)", f"{i}.mul_(2.5)",
               f"{i}.div_(2)", f"{i}.div_(2, rounding_mode='floor')", f"{f}.div_(torch.ones(3))",
               f"{f}.floor_divide_(2)", f"{f}.true_divide_(2)", f"{f}.sub_({f})",
               f"{i}.add_({f})", f"{f}.mul_({mk('complex64')})",
               f"{mk('float32', coalesce=False)}.mul_({mk('complex64', coalesce=False)})",
               f"{f}.mul_({mk('complex64', 0)})"):
        _same(f"out = {op}")
    for op in ("s -= t", "s /= 2", "s //= 2", "s *= 2", "s += t"):
        for dt in ("float32", "int64"):
            _same(f"s = {mk(dt)}\nt = {f}\n{op}\nout = s")


def test_products_with_no_elements_keep_no_entries():
    for shape in ("(3, 0, 2)", "(2, 2, 0)"):
        base = (f"s = torch.sparse_coo_tensor(torch.tensor([[2, 0, 0]]), "
                f"torch.zeros((3,) + {shape}[1:]), {shape})\n")
        for op in ("s * 2", "2 * s", "s * torch.tensor(2.)", "s.clone().mul_(2)", "s / 2",
                   "s * torch.zeros(" + shape + ")", "s.div_(2)"):
            _same(base + f"out = {op}")


def test_gradients_through_function_forms():
    base = ("v = torch.tensor([[1., 2.], [3., 4.], [5., 6.]], dtype=torch.float64, "
            "requires_grad=True)\n"
            "s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 0]]), v, (2, 2))\n"
            "w = torch.tensor([[0.5, -1.5], [2., 0.25]], dtype=torch.float64)\n")
    for code in ("r = torch.sparse.softmax(s, {d})", "r = torch.sparse.log_softmax(s, {d})",
                 "r = s * s", "r = s * s.detach().coalesce()", "r = torch.neg(s)",
                 "r = torch.sparse.sum(s, {d})", "r = s.sparse_mask(s.detach().coalesce())",
                 "r = torch.mm(s, w)", "r = torch.mul(s, w)"):
        for d in (0, 1):
            _same(base + code.format(d=d) + "\n(r.to_dense() * r.to_dense()).sum().backward()\n"
                  "out = (r, v.grad)")


def test_sum_keepdim_and_node_names():
    for n in (0, 1, 2):
        base = (f"s = torch.sparse_coo_tensor(torch.tensor([[0, 1][:{n}], [2, 0][:{n}]])"
                f".reshape(2, {n}), torch.tensor([1., 2.][:{n}]), (2, 3))\n")
        _same(base + "out = [s.sum(d, keepdim=True) for d in (0, 1, (0, 1), -1)]")
    _same("s = torch.sparse_coo_tensor(torch.tensor([[0, 1, 1], [2, 0, 0]]), "
          "torch.tensor([[1., 2.], [3., 4.], [5., 6.]]), (2, 3, 2)).requires_grad_()\n"
          "out = [s.sum(0), torch.sum(s, (0, 1)), s.sum(), s.sum(0, keepdim=True), "
          "torch.sparse.sum(s, 0), torch.sparse.sum(s), s.sum(1, dtype=torch.float64)]")
