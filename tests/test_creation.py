"""Tensor factories, differentially against PyTorch."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from diff import assert_same, torch


def same(fn, exact=True):
    """``fn(T)`` gives the same tensor (values bit for bit, dtype, shape) in both libraries."""
    try:
        t = fn(torch)
    except Exception as exc:
        with pytest.raises(type(exc)):
            fn(ember)
        return None
    e = fn(ember)
    if exact and isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor)
        assert str(e.dtype) == str(t.dtype), (e.dtype, t.dtype)
        assert tuple(e.shape) == tuple(t.shape), (e.shape, t.shape)
        assert e.requires_grad == t.requires_grad
        te = t.detach()
        if te.dtype == torch.bfloat16:
            te = te.float()
        ee = e.detach()
        if ee.dtype is ember.bfloat16:
            ee = ee.float()
        np.testing.assert_array_equal(ee.numpy(), te.numpy())
    else:
        assert_same(e, t)
    return e


def dtype_of(T, name):
    return getattr(T, name)


# -- tensor() -------------------------------------------------------------------------------------

DATA = [
    1, 2.5, True, -3, [], [[]], [1, 2, 3], [1.0, 2], [True, False], [True, 2], [True, 2.5],
    [[1, 2], [3, 4]], [[1.5], [2.0]], [[[1]], [[2]]], (1, 2), [(1, 2), (3, 4)],
    [np.int64(3), 4], [np.float32(1.5), 2], [np.bool_(True), False], 1e40, -0.0,
    float("inf"), float("nan"), [float("nan"), 1], 2 ** 62, [0, 2 ** 40], [[], []],
    np.float64(2.5), np.int32(7), np.bool_(False), [[1, 2.0], [3, 4]],
    [np.array(1.5), np.array(2.5)], [np.array([1, 2]), np.array([3, 4])],
    [np.array([1.0, 2.0], dtype=np.float32), [3, 4]], [np.float16(1.5)], [np.int32(1), 2],
    [np.int64(1), np.float16(2)], np.array(5), [np.float64(1), 2.0],
]


@pytest.mark.parametrize("i", range(len(DATA)))
def test_tensor_from_python(i):
    with warnings.catch_warnings():  # a list of arrays warns (once per process)
        warnings.simplefilter("ignore")
        same(lambda T: T.tensor(DATA[i]))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64", "int32",
                                   "int16", "int8", "uint8", "bool"])
def test_tensor_with_dtype(dtype):
    for data in ([1, 2, 3], [1.7, -2.2, 0.0], [True, False], 3.9, [[0, 1], [2, 3]], []):
        if dtype == "uint8" and isinstance(data, list) and data and isinstance(data[0], float):
            continue  # negative floats into uint8 are undefined behaviour in PyTorch
        same(lambda T: T.tensor(data, dtype=dtype_of(T, dtype)))


def test_tensor_python_dtype_arguments():
    for py in (float, int, bool):
        same(lambda T: T.tensor([1.5, 0.0], dtype=py))
        same(lambda T: T.zeros(2, dtype=py))


def test_tensor_default_dtype():
    for T in (ember, torch):
        T.set_default_dtype(T.float64)
    try:
        same(lambda T: T.tensor([1.0, 2]))
        same(lambda T: T.tensor(3.5))
        same(lambda T: T.tensor([1, 2]))
        same(lambda T: T.zeros(2))
        same(lambda T: T.arange(0.0, 1.0, 0.25))
        same(lambda T: T.linspace(0, 1, 5))
        same(lambda T: T.full((2,), 1.5))
        same(lambda T: T.tensor(np.float32(2.0)))
    finally:
        for T in (ember, torch):
            T.set_default_dtype(T.float32)


@pytest.mark.parametrize("np_dtype", [np.float32, np.float64, np.float16, np.int64, np.int32,
                                      np.int16, np.int8, np.uint8, np.bool_])
def test_tensor_from_numpy_keeps_dtype(np_dtype):
    a = (np.arange(6).reshape(2, 3) % 3).astype(np_dtype)
    same(lambda T: T.tensor(a))
    same(lambda T: T.tensor(a.T))
    same(lambda T: T.tensor(a[:, ::2]))
    same(lambda T: T.as_tensor(a))
    same(lambda T: T.tensor(a, dtype=T.float64))
    e = ember.tensor(a)
    a2 = a.copy()
    e2 = ember.tensor(a2)
    a2[0, 0] = 1
    assert e2[0, 0].item() == e[0, 0].item()  # tensor() copies


def test_tensor_from_unsupported_numpy():
    for a in (np.array(["a"]), np.array([object()])):
        with pytest.raises(TypeError):
            torch.tensor(a)
        with pytest.raises(TypeError):
            ember.tensor(a)


def test_tensor_ragged_and_bad_data():
    for data in ([[1, 2], [3]], [[1], 2], [1, [2]], [[[1, 2]], [[3]]], ["a"], [None], None,
                 "abc", {1: 2}, object(), [1, "a"]):
        try:
            torch.tensor(data)
        except Exception as exc:
            with pytest.raises(type(exc)):
                ember.tensor(data)
        else:
            same(lambda T: T.tensor(data))


def test_tensor_from_tensor():
    src_e, src_t = ember.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        e = ember.tensor(src_e)
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        t = torch.tensor(src_t)
    e[0] = 9
    t[0] = 9
    assert src_e[0].item() == src_t[0].item() == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(lambda T: T.tensor(T.tensor([1, 2]), dtype=T.float16))
        same(lambda T: T.tensor(T.ones(2, requires_grad=True)))
        same(lambda T: T.tensor([T.tensor(1.5), T.tensor(2.5)]))
        same(lambda T: T.tensor([T.tensor(1), T.tensor(2)]))
    same(lambda T: T.tensor([T.tensor(1), 2.5]))
    same(lambda T: T.tensor([[T.tensor(1)], [T.tensor(2)]]))


def test_tensor_requires_grad():
    same(lambda T: T.tensor([1.0, 2.0], requires_grad=True))
    same(lambda T: T.tensor([1, 2], requires_grad=True))
    e = ember.tensor([1.0], requires_grad=True)
    assert e.is_leaf and e.grad_fn is None


def test_legacy_constructors():
    same(lambda T: T.Tensor([1, 2]))
    same(lambda T: T.Tensor(2, 3).shape)
    same(lambda T: T.Tensor([[True]]))
    same(lambda T: T.FloatTensor([1, 2]))


# -- as_tensor / from_numpy / asarray -------------------------------------------------------------

def test_from_numpy_shares_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    e = ember.from_numpy(a)
    a[0, 0] = 100
    assert e[0, 0].item() == 100
    e[1, 2] = -1
    assert a[1, 2] == -1
    assert e.numpy() is a or np.shares_memory(e.numpy(), a)
    e.add_(1)
    assert a[0, 0] == 101
    for a in (np.arange(6.0)[::2], np.arange(6.0).reshape(2, 3).T, np.array(1.0)):
        e, t = ember.from_numpy(a), torch.from_numpy(a)
        assert e.stride() == t.stride() and tuple(e.shape) == tuple(t.shape)
        assert e.dtype == ember.float64


def test_from_numpy_errors():
    for bad in ([1, 2], 3.0, ember.zeros(2)):
        with pytest.raises(TypeError):
            torch.from_numpy(bad)
        with pytest.raises(TypeError):
            ember.from_numpy(bad)
    a = np.arange(4.0)[::-1]
    with pytest.raises(ValueError):
        torch.from_numpy(a)
    with pytest.raises(ValueError):
        ember.from_numpy(a)
    for a in (np.array(["a"]), np.array([object()])):
        with pytest.raises(TypeError):
            torch.from_numpy(a)
        with pytest.raises(TypeError):
            ember.from_numpy(a)


def test_from_numpy_readonly_warns():
    a = np.arange(3.0)
    a.flags.writeable = False
    ember.set_warn_always(True)  # (a once-per-process warning: an earlier test may have had it)
    try:
        with pytest.warns(UserWarning, match="not writable"):
            ember.from_numpy(a)
    finally:
        ember.set_warn_always(False)


def test_as_tensor_sharing():
    a = np.arange(4, dtype=np.float32)
    e = ember.as_tensor(a)
    a[0] = 7
    assert e[0].item() == 7
    e64 = ember.as_tensor(a, dtype=ember.float64)
    a[1] = 8
    assert e64[1].item() == 1  # a dtype change copies
    x = ember.ones(3)
    assert ember.as_tensor(x) is x
    assert ember.as_tensor(x, dtype=ember.float32) is x
    assert ember.as_tensor(x, dtype=ember.float64) is not x
    same(lambda T: T.as_tensor([1, 2.5]))
    same(lambda T: T.as_tensor(3))
    same(lambda T: T.asarray([[1, 2], [3, 4]]))
    same(lambda T: T.asarray(np.arange(3)))
    b = np.arange(3.0)
    eb = ember.asarray(b)
    b[0] = 5
    assert eb[0].item() == 5


def test_as_tensor_keeps_autograd_history():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    assert ember.as_tensor(y) is y
    z = ember.as_tensor(y, dtype=ember.float64)
    assert type(z.grad_fn).__name__ == type(torch.as_tensor(
        torch.ones(2, requires_grad=True) * 2, dtype=torch.float64).grad_fn).__name__


# -- zeros / ones / full / empty and the *_like family --------------------------------------------

@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_filled(name):
    for args in [(2, 3), ((2, 3),), ([2, 3],), (0,), ((),), (), (1, 0, 2)]:
        same(lambda T: getattr(T, name)(*args) if name != "empty" else
             getattr(T, name)(*args).fill_(0))
        same(lambda T: getattr(T, name)(*args).shape)
    same(lambda T: str(getattr(T, name)(2, dtype=T.int32).dtype))
    same(lambda T: str(getattr(T, name)(2, dtype=T.bool).dtype))
    same(lambda T: getattr(T, name)(size=(2, 3)).shape)
    same(lambda T: getattr(T, name)())
    same(lambda T: getattr(T, name)(True))
    same(lambda T: getattr(T, name)(T.Size([2, 3])).shape)
    same(lambda T: getattr(T, name)(2, requires_grad=True).requires_grad)
    same(lambda T: getattr(T, name)(-1))
    same(lambda T: getattr(T, name)(2, -3))
    same(lambda T: getattr(T, name)(2.5))
    same(lambda T: getattr(T, name)((2, 3.0)))
    same(lambda T: getattr(T, name)(2, dtype=T.int64, requires_grad=True))
    same(lambda T: getattr(T, name)(T.tensor(3)).shape)


@pytest.mark.parametrize("value", [1, 2.5, True, -7, 1e10, float("nan"), np.float32(1.5),
                                   np.int64(3), np.bool_(True)])
def test_full(value):
    same(lambda T: T.full((2, 3), value))
    same(lambda T: T.full([2], value, dtype=T.float64))
    same(lambda T: T.full((), value))
    same(lambda T: T.full((2,), value, dtype=T.int32) if not isinstance(value, float) or
         math.isfinite(value) and abs(value) < 2 ** 31 else T.zeros(1))


def test_full_tensor_value_and_errors():
    same(lambda T: T.full((2,), T.tensor(3.0)))
    same(lambda T: T.full((2,), T.tensor(3)))
    same(lambda T: T.full((2,), T.tensor([3.0])))
    same(lambda T: T.full((2,), T.ones(2)))
    same(lambda T: T.full((-1,), 1.0))
    same(lambda T: T.full(2, 1.0))
    same(lambda T: T.full((2,), "a"))
    same(lambda T: T.full((2,), 1.5, dtype=T.bool))


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like",
                                  "rand_like", "randn_like"])
def test_like(name):
    args = (1.5,) if name == "full_like" else ()
    for src in (lambda T: T.ones(2, 3), lambda T: T.ones(2, 3, dtype=T.float64),
                lambda T: T.ones(2, 3, dtype=T.int32), lambda T: T.ones(0, 2),
                lambda T: T.ones(2, 3, requires_grad=True), lambda T: T.ones(4, 3).t()):
        def f(T, **kw):
            out = getattr(T, name)(src(T), *args, **kw)
            if name in ("rand_like", "randn_like"):  # the values are test_random's business
                return (tuple(out.shape), str(out.dtype), out.requires_grad)
            if name == "empty_like":
                return (tuple(out.shape), str(out.dtype), out.requires_grad, out.stride())
            return out, out.stride()
        if name in ("rand_like", "randn_like") and not src(torch).is_floating_point():
            same(f)
            continue
        same(f)
        same(lambda T: f(T, dtype=T.float16))
        same(lambda T: f(T, requires_grad=True) if name not in ("rand_like", "randn_like")
             or True else None)


def test_full_like_value_casts():
    same(lambda T: T.full_like(T.ones(2, dtype=T.int64), 2.7))
    same(lambda T: T.full_like(T.ones(2, dtype=T.bool), 2))
    same(lambda T: T.full_like(T.ones(2), True))


# -- arange / range / linspace / logspace ---------------------------------------------------------

ARANGE = [(5,), (0, 5), (1, 10, 3), (10, 1, -3), (0.0, 1.0, 0.1), (1, 2.5), (2.5,), (-3, 3, 0.7),
          (0, 0), (5, 0), (0, 5, -1) if False else (3, 3, 1), (0.5, 10.5, 2), (1, -1, -0.25),
          (0, 1, 1 / 3), (-5, 5, 0.5), (10,), (1e-3, 1e-2, 1e-3), (0, 10 ** 6, 7),
          (np.int64(2), 8), (np.float32(0.5), 3)]


@pytest.mark.parametrize("args", ARANGE)
def test_arange(args):
    same(lambda T: T.arange(*args))
    same(lambda T: T.arange(*args, dtype=T.float64))
    same(lambda T: T.arange(*args, dtype=T.int32))
    same(lambda T: T.arange(*args, dtype=T.float16) if len(T.arange(*args)) < 2000 else
         T.zeros(1))


def test_arange_tensor_args_and_errors():
    same(lambda T: T.arange(T.tensor(4)))
    same(lambda T: T.arange(T.tensor(1.5), 4))
    same(lambda T: T.arange(0, 5, 0))
    same(lambda T: T.arange(0, 5, -1))
    same(lambda T: T.arange(5, 0, 1))
    same(lambda T: T.arange(0, float("inf")))
    same(lambda T: T.arange(0, float("nan")))
    same(lambda T: T.arange(0, 4, dtype=T.bool))
    same(lambda T: T.arange(3, requires_grad=True))
    same(lambda T: T.arange(3.0, requires_grad=True))
    same(lambda T: T.arange(start=1, end=4))
    same(lambda T: T.arange(end=4))


@settings(max_examples=30, deadline=None)
@given(st.floats(-100, 100), st.floats(-100, 100), st.floats(0.01, 10), st.booleans())
def test_arange_generated(a, b, step, ints):
    if ints:
        a, b, step = int(a), int(b), max(int(step), 1)
    if b < a:
        step = -step
    same(lambda T: T.arange(a, b, step))
    same(lambda T: T.arange(a, b, step, dtype=T.float64))


def test_range_deprecated():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args in ((1, 4), (0, 1, 0.25), (3, 0, -1), (0.5, 3)):
            assert_same(ember._creation.range_(*args), torch.range(*args))


@pytest.mark.parametrize("args", [(0, 1, 5), (-1, 1, 10), (1, 0, 7), (0, 1, 1), (0, 1, 0),
                                  (2.5, 2.5, 3), (-3.3, 7.7, 100), (0, 10, 11), (0, 1, 2),
                                  (1e-3, 1e3, 50), (0, -1e6, 1001), (3, 7, 4)])
def test_linspace_exact(args):
    same(lambda T: T.linspace(*args))
    same(lambda T: T.linspace(*args, dtype=T.float64))
    same(lambda T: T.linspace(*args, dtype=T.int64))
    same(lambda T: T.linspace(*args, dtype=T.float16))
    same(lambda T: T.linspace(*args, dtype=T.bfloat16))


def test_linspace_args_and_errors():
    same(lambda T: T.linspace(T.tensor(0.0), T.tensor(1.0), 5))
    same(lambda T: T.linspace(0, 1, -1))
    same(lambda T: T.linspace(0, 1, 3, requires_grad=True))
    same(lambda T: T.linspace(0, 1, steps=4))
    same(lambda T: T.linspace(0, 10, 5, dtype=T.int32))


@settings(max_examples=30, deadline=None)
@given(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4), st.integers(0, 300))
def test_linspace_generated(a, b, n):
    same(lambda T: T.linspace(a, b, n))
    same(lambda T: T.linspace(a, b, n, dtype=T.float64))


@pytest.mark.parametrize("args", [(0, 2, 5), (-2, 2, 9), (0, 1, 1), (1, 0, 4), (0, 3, 4, 2),
                                  (-1, 1, 5, 2.5), (0, 30, 7)])
def test_logspace(args):
    same(lambda T: T.logspace(*args))
    same(lambda T: T.logspace(*args, dtype=T.float64))
    same(lambda T: T.logspace(*args, base=3.0) if len(args) == 3 else T.zeros(1))


def test_logspace_int_dtype():
    same(lambda T: T.logspace(0, 3, 4, dtype=T.int64))
    same(lambda T: T.logspace(0, 3, 4, base=2, dtype=T.int32))


# -- eye ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,), (1,), (3, 0), (0, 3)])
def test_eye(args):
    same(lambda T: T.eye(*args))
    same(lambda T: T.eye(*args, dtype=T.int64))
    same(lambda T: T.eye(*args, dtype=T.bool))
    same(lambda T: T.eye(*args, requires_grad=True))


def test_eye_errors():
    same(lambda T: T.eye(-1))
    same(lambda T: T.eye(2, -1))
    same(lambda T: T.eye(2.5))


# -- new_* ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("src", ["float64", "int32", "bool", "float16"])
def test_new_factories(src):
    def base(T):
        return T.ones(2, dtype=getattr(T, src))
    same(lambda T: base(T).new_zeros(2, 3))
    same(lambda T: base(T).new_zeros((2, 3)))
    same(lambda T: base(T).new_ones([3]))
    same(lambda T: base(T).new_ones(3, dtype=T.int64))
    same(lambda T: base(T).new_full((2,), 7))
    same(lambda T: base(T).new_full((2,), 2.5))
    same(lambda T: base(T).new_full((2,), 2.5, dtype=T.float32))
    same(lambda T: base(T).new_empty(2, 3).shape)
    same(lambda T: str(base(T).new_empty(2, 3).dtype))
    same(lambda T: base(T).new_tensor([1, 2]))
    same(lambda T: base(T).new_tensor([1.5, 2]))
    same(lambda T: base(T).new_tensor(3))
    same(lambda T: base(T).new_tensor([1, 2], dtype=T.int64))
    same(lambda T: base(T).new_tensor(np.arange(3)))
    same(lambda T: base(T).new_zeros(()))
    same(lambda T: base(T).new_zeros(2, requires_grad=True) if src[0] == "f" else
         base(T).new_zeros(2))


def test_new_tensor_from_tensor_warns_and_copies():
    for T in (ember, torch):
        x = T.ones(2)
        src = T.tensor([1.0, 2.0], requires_grad=True)
        with pytest.warns(UserWarning):
            y = x.new_tensor(src)
        assert not y.requires_grad and y.grad_fn is None
        y[0] = 5
        assert src[0].item() == 1.0


def test_new_keeps_requires_grad_false():
    x = ember.ones(2, requires_grad=True)
    assert not x.new_zeros(2).requires_grad
    assert not x.new_tensor([1.0]).requires_grad
    assert x.new_ones(2).dtype is ember.float32
