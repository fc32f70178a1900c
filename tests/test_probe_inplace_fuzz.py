"""Differential checks of in-place methods and ``out=`` forms, found by seeded fuzzing of ops
on views (transposed, step-sliced, diagonal, expanded, 0-d), mixed dtypes, broadcast and
Python-number operands and autograd: each case runs on ember and on PyTorch and must give
the same values, dtypes, strides and versions (of the written tensor and of its base), the
same history, and the same exception type and message (so the same order of checks)."""
import random
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from diff import same  # noqa: E402

VALS = [-3.0, -2.0, -1.5, -0.5, 0.5, 1.0, 2.0, 2.5, 3.0]  # (no zero: no division by it)


def _make(T, dt, vals, shape):
    a = np.array(vals, dtype=np.float64).reshape(shape)
    if dt == "bool":
        return T.tensor(a > 0)
    if dt.startswith("complex"):
        return T.tensor(a + 0.5j * (a[::-1] if a.ndim else a), dtype=getattr(T, dt))
    if dt in ("int64", "int32", "uint8"):
        a = (a * 2).astype(np.int64)
        return T.tensor(np.abs(a) if dt == "uint8" else a, dtype=getattr(T, dt))
    return T.tensor(a, dtype=getattr(T, dt))


def _self(T, dt, view, vals, grad):
    if view == "zero_d":
        base = _make(T, dt, vals[:1], ())
    elif view == "expand":
        base = _make(T, dt, vals[:3], (1, 3))
    else:
        base = _make(T, dt, vals[:12], (3, 4))
    leaf = None
    if grad and (base.is_floating_point() or base.is_complex()):
        leaf = base.requires_grad_()
        if grad == 2:
            base = base.clone()
    s = {"contig": lambda b: b, "zero_d": lambda b: b, "t": lambda b: b.t(),
         "step": lambda b: b[:, ::2], "diag": lambda b: b.diagonal(),
         "expand": lambda b: b.expand(2, 3), "row": lambda b: b[1],
         "unsq": lambda b: b.unsqueeze(0)}[view](base)
    return leaf, base, s


def _other(T, kind, vals, shape, dt):
    if kind == "int":
        return int(vals[0] * 2)
    if kind == "float":
        return vals[0]
    if kind == "complex":
        return complex(vals[0], 1)
    if kind == "zero_d":
        return _make(T, dt, vals[:1], ())
    n = int(np.prod(shape)) if kind == "same" else shape[-1] if shape else 1
    shp = tuple(shape) if kind == "same" else (n,) if kind == "bcast" else (2,) + tuple(shape)
    n = int(np.prod(shp))
    return _make(T, dt, (vals * 30)[:n], shp)


BINARY = {
    "add_": lambda T, s, o: s.add_(o), "sub_": lambda T, s, o: s.sub_(o, alpha=2),
    "mul_": lambda T, s, o: s.mul_(o), "div_": lambda T, s, o: s.div_(o),
    "div_floor": lambda T, s, o: s.div_(o, rounding_mode="floor"),
    "div_trunc": lambda T, s, o: s.div_(o, rounding_mode="trunc"),
    "copy_": lambda T, s, o: s.copy_(o), "clamp_": lambda T, s, o: s.clamp_(o, o),
    "masked_fill_": lambda T, s, o: s.masked_fill_((s.real if s.is_complex() else s) > 0,
                                                   o if not hasattr(o, "dim") or o.dim() == 0
                                                   else 1.5),
    "lt_": lambda T, s, o: s.lt_(o), "eq_": lambda T, s, o: s.eq_(o),
    "logical_or_": lambda T, s, o: s.logical_or_(o), "copysign_": lambda T, s, o: s.copysign_(o),
    "floor_divide_": lambda T, s, o: s.floor_divide_(o),
    "add_out": lambda T, s, o: T.add(s, o, alpha=2, out=s),
    "maximum_out": lambda T, s, o: T.maximum(s, o if hasattr(o, "dim") else T.tensor(o),
                                             out=s),
    "mul_out": lambda T, s, o: T.mul(o if hasattr(o, "dim") else s, 2, out=s),
}
UNARY = {
    "abs_": lambda T, s: s.abs_(), "neg_": lambda T, s: s.neg_(),
    "floor_": lambda T, s: s.floor_(), "trunc_": lambda T, s: s.trunc_(),
    "round_": lambda T, s: s.round_(decimals=1), "relu_": lambda T, s: s.relu_(),
    "sign_": lambda T, s: s.sign_(), "zero_": lambda T, s: s.zero_(),
    "fill_": lambda T, s: s.fill_(2), "nan_to_num_": lambda T, s: s.nan_to_num_(),
    "clamp_min_": lambda T, s: s.clamp_min_(0.5), "logical_not_": lambda T, s: s.logical_not_(),
    "unsqueeze_": lambda T, s: s.unsqueeze_(1), "t_": lambda T, s: s.t_(),
    "resize_": lambda T, s: s.resize_(2 if s.numel() > 1 else 1), "sqrt_": lambda T, s: s.sqrt_(),
    "hardtanh": lambda T, s: T.nn.functional.hardtanh(s, -0.5, 1.0, inplace=True),
    "abs_out": lambda T, s: T.abs(s, out=s),
}


def _show(T, x):
    if not isinstance(x, T.Tensor):
        return repr(x)
    d = x.detach()
    return (str(d.dtype), tuple(x.shape), tuple(x.stride()), d.tolist(), x.requires_grad,
            type(x.grad_fn).__name__ if x.grad_fn is not None else None, x._version)


def _case(seed):
    rng = random.Random(seed)
    dt = rng.choice(["float32", "float64", "int64", "int32", "uint8", "bool", "complex64",
                     "float16"])
    view = rng.choice(["contig", "t", "step", "diag", "expand", "zero_d", "row", "unsq"])
    vals = [rng.choice(VALS) for _ in range(12)]
    grad = rng.choice([0, 0, 1, 2])
    if rng.random() < 0.6:
        op = rng.choice(sorted(BINARY))
        other = (rng.choice(["int", "float", "complex", "zero_d", "same", "bcast", "bigger"]),
                 rng.choice(["float32", "float64", "int64", "bool", "complex64", "float16"]))
    else:
        op, other = rng.choice(sorted(UNARY)), None
    return dt, view, vals, grad, op, other, rng.random() < 0.3


def _run(T, case):
    dt, view, vals, grad, op, other, no_grad = case
    out = []
    leaf, base, s = _self(T, dt, view, vals, grad)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with T.no_grad() if no_grad else T.enable_grad():
                if other is None:
                    r = UNARY[op](T, s)
                else:
                    r = BINARY[op](T, s, _other(T, other[0], vals, tuple(s.shape), other[1]))
            out.append(("ok", r is s, _show(T, r)))
        except Exception as e:  # noqa: BLE001 (the exception is what is compared)
            out.append((type(e).__name__, str(e)))
    # (PyTorch's complex-to-real warning is given once a process: see its own test)
    out.append([str(w.message) for w in caught if "imaginary" not in str(w.message)])
    out += [_show(T, s), _show(T, base)]
    if leaf is not None and s.requires_grad and not s.is_complex():
        try:
            s.sum().backward()
            out.append(_show(T, leaf.grad)[:-1])
        except Exception as e:  # noqa: BLE001
            out.append((type(e).__name__, str(e)))
    return out


@pytest.mark.parametrize("block", range(6))
def test_fuzzed_inplace_and_out(block):
    for seed in range(block * 25, block * 25 + 25):
        case = _case(seed)
        torch.manual_seed(0)
        want = _run(torch, case)
        import ember
        ember.manual_seed(0)
        got = _run(ember, case)
        assert got == want, (seed, case)


# -- targeted cases ------------------------------------------------------------------------

def _try(f):
    try:
        r = f()
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return type(e).__name__, str(e)
    return _show(torch if isinstance(r, torch.Tensor) else _ember(), r)


def _ember():
    import ember
    return ember


def _expanded(T, dt="float32"):
    return T.zeros(1, 3, dtype=getattr(T, dt)).expand(2, 3)


@pytest.mark.parametrize("op", ["lt_", "eq_", "ge_", "ne_"])
@pytest.mark.parametrize("tensor_other", [False, True])
def test_comparison_inplace_records_a_node_of_zero_gradients(op, tensor_other):
    def run(T):
        x = T.tensor([1.0, 2.0, -1.0], requires_grad=True)
        y = x * 2
        getattr(y, op)(T.ones(3) if tensor_other else 2.0)
        (y * T.tensor([1.0, -1.0, 2.0])).sum().backward()
        return type(y.grad_fn).__name__, y.tolist(), x.grad.tolist(), \
            _try(lambda: getattr(x, op)(1.0))
    same(run)


@pytest.mark.parametrize("op", ["logical_or_", "logical_and_", "logical_xor_", "logical_not_"])
def test_logical_inplace_is_not_recorded(op):
    def run(T):
        x = T.tensor([1.0, 0.0, -1.0], requires_grad=True)
        f = (lambda t: t.logical_not_()) if op == "logical_not_" else \
            (lambda t: getattr(t, op)(T.ones(3)))
        f(x)
        r = (x.tolist(), x.grad_fn, x.is_leaf, x._version)
        y = T.tensor([1.0, 0.0, -1.0], requires_grad=True)
        z = y * 1
        f(z)
        z.sum().backward()
        return r, type(z.grad_fn).__name__, y.grad.tolist()
    same(run)


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_rounding_division_gradient_is_zeros(mode):
    def run(T):
        x = T.tensor([1.0, 2.0, -1.0], dtype=T.float64, requires_grad=True)
        w = T.tensor([1.0, 2.0, -1.0], dtype=T.float64, requires_grad=True)
        x.div(w, rounding_mode=mode).backward(T.tensor([float("nan"), -1.0, float("inf")],
                                                        dtype=T.float64))
        y = x.clone()
        y.div_(2.5, rounding_mode=mode)
        (y * -1).sum().backward()
        return [str(v) for v in x.grad.tolist() + w.grad.tolist()]
    same(run)


def test_unsqueeze_inplace_strides():
    def run(T):
        d = T.arange(12).reshape(3, 4).diagonal()
        c = T.arange(12.).reshape(3, 4)[:, 1]
        return d.unsqueeze_(1).stride(), c.unsqueeze_(0).stride(), \
            T.arange(12.).reshape(3, 4)[:, 1].unsqueeze_(1).stride()
    same(run)


@pytest.mark.parametrize("code", [
    "e('int32').erf_()", "e('uint8').sigmoid_()", "e('int64').round_(decimals=1)",
    "e('bool').fix_()", "e('bool').ceil_()", "e('int8').rad2deg_()", "e('int64').log_()",
    "e('int32').add_(torch.ones(3, dtype=torch.float16))", "e('bool').add_(1.5)",
    "e().div_(torch.ones(2, 2, 3), rounding_mode='floor')", "e('complex64').xlogy_(2)",
    "e('int64').elu_() if hasattr(torch.Tensor, 'elu_') else "
    "torch.nn.functional.elu(e('int64'), inplace=True)",
    "e().copy_(torch.ones(2, 2, 3))", "e().copy_(torch.ones(4))",
    "e().index_copy_(0, torch.tensor([0, 1]), torch.ones(3, dtype=torch.float64))",
    "e().masked_scatter_(torch.tensor(True), torch.ones(3, dtype=torch.float64))",
    "torch.exp(torch.ones(2, 3, dtype=torch.int32), out=e('int32'))",
    "torch.add(torch.zeros(2, 3).double(), 1, out=e('int32'))",
    "torch.maximum(torch.zeros(2, 3), torch.tensor(1j), out=e())",
    # (the op's own refusal of the dtype comes first)
    "e('complex64').trunc_()", "e('complex64').floor_()", "e('complex64').sign_()",
    "e('complex64').relu_()", "e('complex64').rad2deg_()",
    "e('complex64').clamp_(torch.zeros(3), torch.zeros(3))", "e('complex64').clamp_min_(0.5)",
    "e('complex64').clamp_min_(torch.tensor(0.5))", "e('complex64').clamp_(0, 1)",
    "e('bool').neg_()", "e('bool').relu_()",
    "torch.nn.functional.hardtanh(e('bool'), inplace=True)",
    # (these write it)
    "e('int32').nan_to_num_()", "torch.zeros((2, 3), out=e())", "torch.ones((2, 3), out=e())",
    "torch.full((2, 3), 3., out=e('int64'))", "e().fill_(2)",
])
def test_expanded_written_tensor_refused_first(code):
    same(lambda T: _try(lambda: eval(code, {"torch": T, "e": lambda *a: _expanded(T, *a)})))


@pytest.mark.parametrize("code", [
    "torch.maximum(s, torch.ones(2, 3, 4, dtype=torch.int32), out=s)",
    "torch.maximum(s, torch.ones(2, 3, 4, dtype=torch.float64), out=s)",
    "torch.add(s, torch.ones(2, 3, 4), out=s)", "torch.mul(s, torch.ones(2, 1, 4), out=s)",
    "torch.where(s > 0, s, torch.ones(2, 3, 4, dtype=torch.int32), out=s)",
    "torch.lt(s, torch.ones(2, 3, 4), out=s)",
    "torch.add(torch.ones(2, 3, 4, dtype=torch.int32), s, out=s)",
    "s.addcmul_(torch.ones(2, 3, 4, dtype=torch.complex64), torch.ones(1))",
    "s.addcdiv_(torch.ones(2, 3, 4), torch.ones(1))",
    "s.clamp_(torch.ones(2, 3, 4, dtype=torch.float32))",
])
def test_out_that_is_an_input_is_not_resized(code):
    same(lambda T: _try(lambda: eval(code, {"torch": T, "s": T.ones(3, 4, dtype=T.int64)})))


def test_resize_of_a_view_keeps_its_base_memory():
    def run(T):
        b = T.arange(12.).reshape(3, 4).bfloat16()
        s = b.narrow(1, 1, 2)
        r = T.mul(T.tensor(-0.1, dtype=T.float64), 2, out=s)
        b2 = T.zeros(3, 4)
        s2 = b2[:, 1]
        T.exp(T.ones(2, 2), out=s2)
        b3 = T.zeros(3, 4)
        s3 = b3[1:, 1:]
        s3.resize_(2, 2)
        s3.fill_(5)
        b4 = T.arange(12).reshape(3, 4) > 4
        b4.t().resize_(2, 2)
        return (_show(T, r), s.storage_offset(), b.float().tolist(), _show(T, s2),
                b2.tolist(), _show(T, s3), b3.tolist(), b4.t().resize_(2, 2).tolist())
    same(run)


@pytest.mark.parametrize("code", [
    "F.hardtanh(torch.tensor([True, False]))",
    "F.hardtanh(torch.tensor([True, False]), inplace=True)",
    "F.hardtanh(torch.tensor([1, 2], dtype=torch.uint8))",
    "F.hardtanh(torch.tensor([1, 2], dtype=torch.uint8), inplace=True)",
    "F.hardtanh(torch.tensor([1, 2], dtype=torch.uint8), -0.5, 1.0)",
    "F.relu6(torch.tensor([True]))", "F.relu6(torch.tensor([1, 9], dtype=torch.uint8))",
])
def test_hardtanh_dtype_refusals(code):
    same(lambda T: _try(lambda: eval(code, {"torch": T, "F": T.nn.functional})))


@pytest.mark.parametrize("code", [
    "x.index_copy_(0, torch.tensor([0., 1.]), torch.ones(3, dtype=torch.float64))",
    "x.index_copy_(0, torch.tensor([0, 1]), torch.tensor(1., dtype=torch.float64))",
    "x.index_copy_(0, torch.tensor([0.]), torch.tensor(1., dtype=torch.float64))",
    "x.index_copy(0, torch.tensor([0., 1.]), torch.ones(3, dtype=torch.float64))",
    "x.index_reduce_(0, torch.tensor([0]), 1.0, 'prod')",
    "x.index_reduce_(0, torch.tensor([0]), source=1, reduce='prod')",
    "x.index_reduce(0, torch.tensor([0]), 1.0, 'prod')",
    "torch.index_reduce(x, 0, torch.tensor([0]), 1.0, 'prod')",
    "y.masked_scatter_(torch.tensor([True]), torch.ones(3, dtype=torch.float64))",
    "y[:2].masked_scatter_(torch.tensor([True]), torch.ones(3, dtype=torch.float64))",
])
def test_index_write_check_order(code):
    same(lambda T: _try(lambda: eval(code, {"torch": T, "x": T.zeros(2, 3),
                                            "y": T.zeros(3, requires_grad=True)})))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "int64", "int16", "uint8"])
@pytest.mark.parametrize("n", [1, 2])
def test_complex_value_conversion_messages(dtype, n):
    def run(T):
        dt = getattr(T, dtype)
        m = T.ones(n, dtype=T.bool)
        return (_try(lambda: T.zeros(n, dtype=dt).fill_(1 + 2j)),
                _try(lambda: T.zeros(n, dtype=dt).masked_fill_(m, 1 + 2j)),
                _try(lambda: T.zeros(n, dtype=dt).masked_fill_(m, T.tensor(1 + 2j))),
                _try(lambda: T.zeros(n, dtype=dt).__setitem__(m, T.tensor(1 + 2j))),
                _try(lambda: T.zeros(n, dtype=dt).__setitem__(m, 1 + 2j)),
                _try(lambda: T.zeros(n, dtype=dt).copy_(1.5 + 2j)))
    same(run)


@pytest.mark.parametrize("code", [
    "h.add_(1j)", "h.add_(torch.tensor(1j))", "h.mul_(1j)", "h.copysign_(1j)",
    "torch.add(h, 1j, out=h.clone())", "i.copysign_(1j)", "f.copysign_(2.5j)",
])
def test_complex_operand_into_real_inplace(code):
    same(lambda T: _try(lambda: eval(code, {"torch": T, "h": T.ones(3).half(),
                                            "i": T.ones(3, dtype=T.int32), "f": T.ones(3)})))


@pytest.mark.parametrize("code", [
    "x.eq_(c)", "x.ne_(torch.tensor(1+0j))", "x.eq_(1+0j)", "x.int().eq_(c)",
    "torch.eq(x, c, out=x)", "x.logical_or_(c)", "torch.eq(x, c, out=torch.zeros(2))",
    "x.bool().eq_(c)", "torch.eq(x, c, out=torch.zeros(2, dtype=torch.bool))",
])
def test_comparison_into_real_warns_of_complex(code):
    def run(T):
        before = T.is_warn_always_enabled()
        T.set_warn_always(True)  # (the warning is once a process, else)
        try:
            return _try(lambda: eval(code, {"torch": T, "x": T.tensor([1.0, 2.0]),
                                            "c": T.tensor([1 + 0j, 2 + 1j])}))
        finally:
            T.set_warn_always(before)
    same(run)


@pytest.mark.parametrize("code", [
    "x.lt_(torch.ones(2, 4, dtype=torch.complex64))", "x.eq_(torch.ones(2, 4))",
    "x.eq_(torch.ones(3))", "x.logical_or_(torch.ones(2, 4))", "x.lt_(torch.ones(1, 4))",
    "x.lt_(torch.ones(1))",
])
def test_comparison_inplace_shape_checked_before_kernel(code):
    same(lambda T: _try(lambda: eval(code, {"torch": T, "x": T.ones(4, dtype=T.int8)})))


def test_floor_divide_inplace_backward_names_the_inplace_op():
    def run(T):
        x = T.tensor([1.0, 2.0, -1.0], requires_grad=True)
        y = x * 1
        y.floor_divide_(2.0)
        return _try(lambda: y.sum().backward())
    same(run)
