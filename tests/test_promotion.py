"""Type promotion: tensors of every dtype mixed with tensors, 0-d tensors and Python scalars."""
import itertools

import ml_dtypes
import numpy as np
import pytest

import ember
from diff import check, check_error, torch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64"]


def arr(name, shape=(3,), seed=0):
    r = np.random.default_rng(seed)
    if name == "bool":
        return r.random(shape) > 0.5
    if name == "bfloat16":
        return r.uniform(1, 4, shape).astype(ml_dtypes.bfloat16)
    if name.startswith("float"):
        return r.uniform(1, 4, shape).astype(name)
    return r.integers(1, 5, shape).astype(name)


def tdt(name):
    return getattr(torch, name)


def edt(name):
    return getattr(ember, name)


@pytest.mark.parametrize("a,b", list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_promote_types_table(a, b):
    want = str(torch.promote_types(tdt(a), tdt(b))).replace("torch.", "")
    assert ember.promote_types(edt(a), edt(b)).name == want
    assert ember.promote_types(edt(b), edt(a)).name == want


@pytest.mark.parametrize("a,b", list(itertools.product(DTYPES, DTYPES)))
def test_can_cast_table(a, b):
    assert ember.can_cast(edt(a), edt(b)) == torch.can_cast(tdt(a), tdt(b))


SCALARS = [True, False, 3, -2, 2.5, 0.0]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("s", SCALARS)
def test_result_type_scalar(dt, s):
    for shape in [(3,), ()]:
        want = torch.result_type(torch.from_numpy(np.asarray(arr("float32", shape))).to(tdt(dt)), s)
        got = ember.result_type(ember.from_numpy(np.asarray(arr("float32", shape))).to(edt(dt)), s)
        assert got.name == str(want).replace("torch.", "")


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_result_type_zero_dim(a, b):
    ta = torch.zeros(3, dtype=tdt(a))
    tb = torch.zeros((), dtype=tdt(b))
    ea = ember.zeros(3, dtype=edt(a))
    eb = ember.zeros((), dtype=edt(b))
    assert ember.result_type(ea, eb).name == str(torch.result_type(ta, tb))[6:]
    assert ember.result_type(eb, ea).name == str(torch.result_type(tb, ta))[6:]
    assert ember.result_type(eb, eb).name == str(torch.result_type(tb, tb))[6:]


BINOPS = {
    "add": lambda T, x, y: x + y,
    "sub": lambda T, x, y: x - y,
    "mul": lambda T, x, y: x * y,
    "div": lambda T, x, y: x / y,
    "floordiv": lambda T, x, y: x // y,
    "mod": lambda T, x, y: x % y,
    "pow": lambda T, x, y: x ** y,
    "eq": lambda T, x, y: x == y,
    "lt": lambda T, x, y: x < y,
    "maximum": lambda T, x, y: T.maximum(x, y),
    "atan2": lambda T, x, y: T.atan2(x, y),
    "and": lambda T, x, y: x & y,
}


@pytest.mark.parametrize("op", list(BINOPS))
@pytest.mark.parametrize("a,b", list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_binary_tensor_tensor(op, a, b):
    fn = BINOPS[op]
    check(fn, arr(a, (2, 3), 1), arr(b, (3,), 2), grad=False, rtol=1e-2, atol=1e-2)
    check(fn, arr(b, (3,), 2), arr(a, (2, 3), 1), grad=False, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "floordiv", "mod", "pow", "eq", "lt"])
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("s", SCALARS)
def test_binary_tensor_scalar(op, a, s):
    fn = BINOPS[op]
    if op in ("div", "floordiv", "mod") and s in (0, 0.0, False):
        s = 2
    check(lambda T, x: fn(T, x, s), arr(a, (4,)), grad=False, rtol=1e-2, atol=1e-2)
    check(lambda T, x: fn(T, s, x), arr(a, (4,)), grad=False, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("op", ["add", "mul", "div", "sub", "maximum"])
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_binary_zero_dim_tensor(op, a, b):
    fn = BINOPS[op]
    check(fn, arr(a, (3,)), np.asarray(arr(b, (), 3)), grad=False, rtol=1e-2, atol=1e-2)
    check(fn, np.asarray(arr(b, (), 3)), arr(a, (3,)), grad=False, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("default", ["float64", "float16", "bfloat16"])
def test_default_dtype(default):
    torch.set_default_dtype(tdt(default))
    ember.set_default_dtype(edt(default))
    assert ember.get_default_dtype() is edt(default)
    i = np.arange(1, 4)
    check(lambda T, x: x + 1.5, i, grad=False, rtol=1e-2)
    check(lambda T, x: x / 2, i, grad=False, rtol=1e-2)
    check(lambda T, x: x.exp(), i, grad=False, rtol=1e-2)
    check(lambda T, x: x.sqrt(), i, grad=False, rtol=1e-2)
    check(lambda T, x: T.atan2(x, x), i, grad=False, rtol=1e-2)
    check(lambda T, x: x * 2.5, arr("float32", (3,)), grad=False)  # float32 stays float32
    check(lambda T, x: x * 2.5, arr("float16", (3,)), grad=False)
    check(lambda T, x: T.tensor([1.0, 2.0]) + x, arr("float32", (2,)), grad=False)
    check(lambda T, x: T.tensor(2.5) * x, arr("int32", (2,)), grad=False, rtol=1e-2)
    check(lambda T, x: T.tensor([1, 2]) * 1.5, arr("int32", (2,)), grad=False, rtol=1e-2)
    check(lambda T, x: T.tensor([1, 2]) * 1.5, arr("int32", (2,)), grad=False, rtol=1e-2)
    check(lambda T, x: T.zeros(2) + T.arange(2), arr("int32", (2,)), grad=False)


def test_set_default_dtype_errors():
    check_error(lambda T: T.set_default_dtype(T.int64))


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_inplace_casting(a, b):
    # ``x += y`` keeps x's dtype; a higher category cannot be written into a lower one.
    def fn(T, x, y):
        x = x.clone()
        x += y
        return x
    check(fn, arr(a, (2, 3)), arr(b, (3,)), grad=False, rtol=1e-2, atol=1e-2)

    def fn2(T, x, y):
        x = x.clone()
        x.mul_(y)
        return x
    check(fn2, arr(a, (2, 3)), arr(b, (3,)), grad=False, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("s", SCALARS)
def test_inplace_scalar(a, s):
    def fn(T, x):
        x = x.clone()
        x += s
        x.mul_(s)
        return x
    check(fn, arr(a, (3,)), grad=False, rtol=1e-2, atol=1e-2)

    def fn2(T, x):
        x = x.clone()
        x /= 2
        return x
    check(fn2, arr(a, (3,)), grad=False, rtol=1e-2, atol=1e-2)


def test_inplace_broadcast_error():
    def fn(T, x, y):
        x = x.clone()
        x += y
        return x
    check_error(fn, arr("float32", (3,)), arr("float32", (2, 3)))


def test_numpy_scalars():
    x = arr("float32", (3,))
    for s in [np.float64(2.5), np.int64(3), np.bool_(True), np.float32(1.5)]:
        check(lambda T, x, s=s: x * s, x, grad=False)
    i = arr("int32", (3,))
    for s in [np.float64(2.5), np.int64(3)]:
        check(lambda T, x, s=s: x + s, i, grad=False)


def test_int_true_division_and_float16_scalar():
    check(lambda T, x, y: x / y, arr("int64", (3,)), arr("int32", (3,)), grad=False)
    check(lambda T, x: x * 1e3, arr("float16", (3,)), grad=False)
    check(lambda T, x: x + 1e-1, arr("bfloat16", (3,)), grad=False)
    check(lambda T, x, y: x + y, arr("uint8", (3,)), arr("int8", (3,)), grad=False)
    check(lambda T, x: x + True, arr("bool", (3,)), grad=False)
    check(lambda T, x: x + 1, arr("bool", (3,)), grad=False)
    check(lambda T, x: x * 2.0, arr("bool", (3,)), grad=False)
