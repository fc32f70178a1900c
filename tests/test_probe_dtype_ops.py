"""Ops on the dtypes users hit by accident (ints, bool, half types, complex), against PyTorch:
values, dtypes, printed reprs, and the order of PyTorch's checks (which error wins)."""
import warnings

import pytest
import torch

import ember


def _run(mod, expr):
    ns = {"torch": mod, "inf": float("inf"), "nan": float("nan")}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = eval(expr, ns)
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return "EXC", type(e).__name__, str(e).split("\n")[0]
    if isinstance(r, (tuple, list)):
        return tuple(repr(x) for x in r)
    return repr(r)


def _check(expr):
    assert _run(ember, expr) == _run(torch, expr), expr


# kthvalue/median/mode/topk/max/amax/aminmax: the k and empty-dim checks come before the
# dtype's; a 0-d input is copied whatever its dtype; an empty result runs no kernel
ORDER = [
    "torch.kthvalue(torch.tensor([1+1j, 2]), 0)",
    "torch.kthvalue(torch.tensor([], dtype=torch.bool), 1)",
    "torch.kthvalue(torch.tensor([], dtype=torch.complex64), 1)",
    "torch.kthvalue(torch.tensor(1+2j), 1)",
    "torch.kthvalue(torch.tensor(True), 1, 0)",
    "torch.amax(torch.zeros(2, 0, dtype=torch.complex64), 0)",
    "torch.amax(torch.zeros(2, 0, dtype=torch.complex64), -1)",
    "torch.amin(torch.zeros(0, dtype=torch.complex64))",
    "torch.max(torch.zeros(2, 0, dtype=torch.complex64))",
    "torch.max(torch.zeros(2, 0, dtype=torch.complex64), -1)",
    "torch.min(torch.zeros(0, 2, dtype=torch.complex64), 0)",
    "torch.median(torch.zeros(2, 0, dtype=torch.complex64))",
    "torch.median(torch.zeros(0, dtype=torch.bool))",
    "torch.median(torch.zeros(0, dtype=torch.int64))",
    "torch.median(torch.zeros(2, 0, dtype=torch.complex64), -1)",
    "torch.median(torch.zeros(2, 3, dtype=torch.complex64), 0)",
    "torch.median(torch.zeros(2, 0, dtype=torch.bool), 0)",
    "torch.nanmedian(torch.zeros(2, 0, dtype=torch.complex64))",
    "torch.nanmedian(torch.zeros(0, dtype=torch.uint8))",
    "torch.nanmedian(torch.zeros(0, 2, dtype=torch.bool), 0)",
    "torch.nanmedian(torch.zeros(2, 0, dtype=torch.complex64), 0)",
    "torch.mode(torch.zeros(0, 2, dtype=torch.complex64))",
    "torch.mode(torch.zeros(0, 2, dtype=torch.complex64), 0)",
    "torch.mode(torch.tensor(1+1j))",
    "torch.cummax(torch.tensor(1+1j), 0)",
    "torch.cummin(torch.tensor([1+1j]), 0)",
    "torch.topk(torch.zeros(0, dtype=torch.complex64), 1)",
    "torch.topk(torch.zeros(3, dtype=torch.complex64), 1)",
    "torch.topk(torch.zeros(3, dtype=torch.complex64), 1, 5)",
    "torch.aminmax(torch.zeros(0, dtype=torch.complex64))",
    "torch.aminmax(torch.zeros(2, 0, dtype=torch.complex64), dim=-1)",
    "torch.aminmax(torch.tensor(1j), dim=0)",
    "torch.aminmax(torch.tensor([1j]), dim=0)",
]


@pytest.mark.parametrize("expr", ORDER)
def test_selection_check_order(expr):
    _check(expr)


UNIQUE = [
    "torch.unique(torch.tensor([1j]), dim=0)",
    "torch.unique(torch.tensor(1j), dim=0)",
    "torch.unique(torch.tensor([1j]))",
    "torch.unique_consecutive(torch.tensor([1j, 2]), dim=0)",
    "torch.unique_consecutive(torch.zeros(2, 2, dtype=torch.complex64), dim=0)",
    "torch.unique(torch.zeros(2, 0), dim=0)",
    "torch.unique(torch.zeros(2, 0), dim=1, return_inverse=True, return_counts=True)",
    "torch.unique(torch.zeros(0, 0), dim=1)",
    "torch.unique(torch.zeros(2, 0, 3), dim=2)",
    "torch.unique_consecutive(torch.zeros(2, 0), dim=0)",
    "torch.unique_consecutive(torch.zeros(2, 0), dim=1, return_inverse=True, "
    "return_counts=True)",
    "torch.unique_consecutive(torch.zeros(0), dim=0, return_inverse=True, return_counts=True)",
    "torch.unique_consecutive(torch.zeros(0, 0), dim=0)",
]


@pytest.mark.parametrize("expr", UNIQUE)
def test_unique_dims(expr):
    _check(expr)


REDUCE = [
    # the -p norm (p < 0) of nothing has no identity
    "torch.norm(torch.zeros(0), -1)",
    "torch.linalg.vector_norm(torch.zeros(2, 0), -2, dim=-1)",
    "torch.linalg.vector_norm(torch.zeros(0, 3), -1, dim=0)",
    "torch.linalg.vector_norm(torch.zeros(0, 3), -0.5)",
    "torch.linalg.vector_norm(torch.zeros(0, 3, dtype=torch.complex64), -1, dim=1)",
    # the mean of nothing, complex: 0 / 0 in both parts
    "torch.zeros(0, dtype=torch.complex64).mean()",
    "torch.zeros(2, 0, dtype=torch.complex64).mean(-1)",
    # cumsum's running total starts at +0
    "torch.tensor([-0., -0.]).cumsum(0)",
    "torch.tensor([[-0., 1.]], dtype=torch.float16).cumsum(1)",
    "torch.tensor([-0.], dtype=torch.bfloat16).cumsum(0, dtype=torch.float64)",
    "torch.tensor([complex(-0., -0.)]).cumsum(0)",
    "torch.tensor(-0.).cumsum(0)",
    # median of all: std::nth_element's pick between -0 and 0
    "torch.tensor([7.25, -2., 7.25, -0., 0.], dtype=torch.float64).median()",
    "torch.tensor([0., -0., -0., 0., 1., 1.]).median()",
    "torch.tensor([0., -0., -0., 0., 1., 1., nan]).nanmedian()",
    "torch.tensor([7.25, -2., 7.25, -0., 0.], dtype=torch.float16).nanmedian()",
    "torch.tensor([-0., 0., nan, -0., 0., 0., -0., 1., nan, 2.]).nanmedian()",
    # var_mean/std_mean: Welford's running mean and variance with infinities
    "torch.var_mean(torch.tensor([-inf, 3.]))",
    "torch.std_mean(torch.tensor([1., inf, 2.]), correction=0)",
    "torch.var_mean(torch.tensor([3., -inf]))",
    "torch.var_mean(torch.tensor([[1., -inf], [0., 3.]]), 0, correction=2)",
    "torch.var_mean(torch.tensor([inf, inf], dtype=torch.float16))",
    "torch.std_mean(torch.tensor([-inf]), correction=0)",
    "torch.tensor([inf, inf]).var()",
    # bincount of nothing: int64 zeros, whatever the weights
    "torch.bincount(torch.tensor([], dtype=torch.int64), weights=torch.tensor([]))",
    "torch.bincount(torch.tensor([], dtype=torch.int64), weights=torch.tensor([], "
    "dtype=torch.float64), minlength=3)",
    "torch.bincount(torch.tensor([], dtype=torch.int64), weights=torch.tensor([1., 2.]))",
]


@pytest.mark.parametrize("expr", REDUCE)
def test_reductions(expr):
    _check(expr)


def test_logcumsumexp_complex():
    for mod in (torch, ember):
        mod.manual_seed(0)
    vals = [[0.3 - 1j, 1.5 + 2j, -0.25 + 0.5j, 2 - 3j], [1j, -2 + 0j, 0.5 + 0.5j, 4 + 1j]]
    special = ("[complex(-inf, 0), complex(-inf, 1), 1+2j, complex(inf, 1), complex(inf, 0), "
               "3+0j, complex(nan, 0), 1j]")
    for expr in (f"torch.logcumsumexp(torch.tensor({vals}), 1)",
                 f"torch.logcumsumexp(torch.tensor({vals}, dtype=torch.complex128), 0)",
                 f"torch.logcumsumexp(torch.tensor({special}), 0)",
                 "torch.logcumsumexp(torch.zeros(2, 0, dtype=torch.complex64), 0)",
                 "torch.logcumsumexp(torch.tensor(1j), 0)"):
        _check(expr)
    g = [1 + 2j, 0.5, -1j, 3]
    out = []
    for mod in (torch, ember):
        x = mod.tensor([1 + 1j, 2 - 1j, 0.5j, -1 + 0j], dtype=mod.complex128, requires_grad=True)
        mod.logcumsumexp(x, 0).backward(mod.tensor(g, dtype=mod.complex128))
        y = mod.zeros(2, 3, dtype=mod.complex64, requires_grad=True)
        mod.logcumsumexp(y, 1).real.sum().backward()
        # (values, not the sign of a zero imaginary part)
        out.append([complex(v.real + 0.0, v.imag + 0.0)
                    for t in (x.grad, y.grad) for v in t.flatten().tolist()])
    assert out[0] == pytest.approx(out[1], rel=1e-6)


SEARCH = [
    "torch.searchsorted(torch.zeros(3, dtype=torch.bool), torch.zeros(2, 0, dtype=torch.bool))",
    "torch.searchsorted(torch.zeros(3), torch.zeros(0, 2, dtype=torch.complex64), "
    "out_int32=True)",
    "torch.bucketize(torch.zeros(2, 0, dtype=torch.complex64), torch.zeros(3))",
    "torch.bucketize(torch.zeros(2, dtype=torch.complex64), torch.zeros(3, 2))",
    "torch.searchsorted(torch.zeros(3, 2, dtype=torch.bool), torch.zeros(2, 3))",
    "torch.searchsorted(torch.zeros(3, dtype=torch.bool), torch.zeros(2), side='mid')",
    "torch.searchsorted(torch.zeros(3, dtype=torch.complex64), torch.zeros(2))",
]


@pytest.mark.parametrize("expr", SEARCH)
def test_searchsorted_empty_and_order(expr):
    _check(expr)


HIST = [
    "torch.histc(torch.tensor([1, 0], dtype=torch.bool), 3, 3, 0)",
    "torch.histc(torch.tensor([1, 0], dtype=torch.bool), 3, 0, 3)",
    "torch.histc(torch.tensor([], dtype=torch.uint8), 3, 0, 0)",
    "torch.histc(torch.tensor([1], dtype=torch.uint8), 3, 0, 300)",
    "torch.histc(torch.tensor([-32768], dtype=torch.int16), 1, 0, 0)",
    "torch.histc(torch.tensor([1, 2], dtype=torch.int8), 0, 0, 3)",
    "torch.histc(torch.tensor([1, 2], dtype=torch.int8), 3, 0, 3)",
    "torch.histc(torch.tensor([1j]), 3, 0, 0)",
    "torch.histc(torch.tensor([1j]), 3, 0, 1)",
    "torch.histc(torch.tensor([1, 0], dtype=torch.bool), 0, 3, 0, "
    "out=torch.zeros(3, dtype=torch.float64))",
    "torch.histogram(torch.tensor([1, 0], dtype=torch.uint8), 3)",
    "torch.histogram(torch.tensor([], dtype=torch.uint8), 3)",
    "torch.histogram(torch.tensor([1, 0], dtype=torch.uint8), 3, range=(-1., 2.))",
    "torch.histogram(torch.tensor([1, 0], dtype=torch.bool), 3, range=(0., 2.))",
    "torch.histogram(torch.tensor([1, 0], dtype=torch.int64), 0)",
    "torch.histogram(torch.tensor([1, 0], dtype=torch.int64), 3, range=(2., 0.))",
    "torch.histogram(torch.tensor([1, 0], dtype=torch.int64), torch.tensor([0, 1]))",
    "torch.histogram(torch.tensor([1, 0], dtype=torch.int64), torch.tensor([[0., 1.]]))",
    "torch.histogram(torch.tensor([1., 0.], dtype=torch.float16), 3)",
    "torch.histogram(torch.tensor([1., 0.], dtype=torch.float16), 3, range=(0., 2.))",
    "torch.histogram(torch.tensor([], dtype=torch.bfloat16), 3)",
    "torch.histogram(torch.tensor([]), 3, weight=torch.ones(5, dtype=torch.float64))",
]


@pytest.mark.parametrize("expr", HIST)
def test_histc_histogram_check_order(expr):
    _check(expr)


ARITH = [
    # a zero divisor divides nothing in an empty result
    "torch.tensor([], dtype=torch.uint8) // torch.tensor(0)",
    "torch.zeros(0, dtype=torch.int64) % 0",
    "torch.div(torch.zeros(2, 0, dtype=torch.int32), 0, rounding_mode='trunc')",
    "torch.fmod(torch.zeros(0, dtype=torch.int64), torch.tensor([0]))",
    "torch.tensor([5]) // torch.tensor(0)",
    # integer powers with the lowest int as the exponent
    "2 ** torch.tensor([-2147483648, -1, 3], dtype=torch.int32)",
    "torch.tensor([2, 1, -1]) ** torch.tensor([-2**63, -2**63, -2**63])",
    "torch.tensor([2, 3], dtype=torch.int8) ** torch.tensor([-128, 8], dtype=torch.int8)",
    "(-1) ** torch.tensor([-1, -2, 3])",
    # ldexp: the two tensors' promoted dtype
    "torch.ldexp(torch.tensor([3., 2048., -5.], dtype=torch.float16), torch.tensor([2]))",
    "torch.ldexp(torch.tensor([3.], dtype=torch.bfloat16), torch.tensor([2, 3, 4]))",
    "torch.ldexp(torch.tensor([3, 4]), torch.tensor([1]))",
    "torch.ldexp(torch.tensor(3.), torch.tensor([1.], dtype=torch.float64))",
    "torch.tensor([1.]).ldexp_(torch.tensor([1j]))",
    # lcm: abs(a / gcd * b) in C's arithmetic (int8/int16 in int, the others wrapping)
    "torch.lcm(torch.tensor([127, -6, 12], dtype=torch.int8), torch.tensor([4, 4, 5], "
    "dtype=torch.int8))",
    "torch.lcm(torch.tensor([255, 6], dtype=torch.uint8), torch.tensor([4], dtype=torch.uint8))",
    "torch.lcm(torch.tensor([2**31 - 1, -2**31, 7], dtype=torch.int32), torch.tensor([4, 4, 3], "
    "dtype=torch.int32))",
    "torch.lcm(torch.tensor([2**63 - 1, 0]), torch.tensor([4, 0]))",
    "torch.tensor([6, -4], dtype=torch.int16).lcm_(torch.tensor(9, dtype=torch.int16))",
    "torch.tensor([1, 2]).ldexp_(torch.tensor([1]))",
    "torch.tensor([1, 2]).ldexp_(torch.tensor([1j]))",
]


@pytest.mark.parametrize("expr", ARITH)
def test_integer_arithmetic(expr):
    _check(expr)


_OPS = ["torch.add", "torch.sub", "torch.mul", "torch.div", "torch.fmod", "torch.remainder",
        "torch.hypot", "torch.xlogy", "torch.atan2", "torch.floor_divide", "torch.nextafter",
        "torch.logaddexp", "torch.eq", "torch.gt",
        "lambda a, b: torch.div(a, b, rounding_mode='trunc')",
        "lambda a, b: torch.div(a, b, rounding_mode='floor')"]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_type_operands_rounded_first(dtype):
    # an operand of another dtype is rounded to the half type before the float32 kernel,
    # except a one-element divisor or factor (PyTorch's mul/div kernels read it as given)
    big = {"float16": (2049, 2049.3, 32767), "bfloat16": (257, 257.3, 3.01)}[dtype]
    h = {"float16": "[3., 2048., -5., 0.7]", "bfloat16": "[3., 256., -5., 0.7]"}[dtype]
    for v in big:
        others = [f"torch.tensor({int(v)})", f"torch.tensor({float(v)}, dtype=torch.float64)",
                  f"torch.tensor({float(v)})", f"torch.tensor([{int(v)}])", repr(v),
                  f"torch.tensor([{int(v)}] * 4)"]
        for op in _OPS:
            for o in others:
                x = f"torch.tensor({h}, dtype=torch.{dtype})"
                _check(f"({op})({x}, {o}).tolist()")
                if "tensor" in o or "lambda" not in op and op in ("torch.add", "torch.mul"):
                    _check(f"({op})({o}, {x}).tolist()")
