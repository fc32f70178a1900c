"""Conversions: dtypes, Python scalars, NumPy, clone/detach, iteration — against PyTorch."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember
from diff import assert_same, check, check_error, torch

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool"]


def both(a, requires_grad=False):
    e = ember.from_numpy(a.copy())
    t = torch.from_numpy(a.copy())
    if requires_grad:
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def check_pieces(fn, *arrays):
    """``check`` for several outputs of one node: gradients through one weighted sum."""
    check(fn, *arrays, grad=False)

    def total(T, *xs):
        return sum(((o * (i + 1)).sum() for i, o in enumerate(fn(T, *xs))), T.zeros(()))
    check(total, *arrays)


def run(fn):
    """``fn(T)`` in both libraries: same result, or the same exception type."""
    try:
        t = fn(torch)
    except Exception as exc:
        with pytest.raises(type(exc)):
            fn(ember)
        return None
    e = fn(ember)
    if isinstance(t, torch.Tensor):
        assert_same(e, t, rtol=0, atol=0)
    elif isinstance(t, torch.dtype):
        assert str(e) == str(t)
    elif isinstance(t, float) and t != t:
        assert isinstance(e, float) and e != e
    else:
        assert type(e) is type(t) and e == t, (e, t)
    return e


VALUES = np.array([-3.7, -1.5, -0.5, 0.0, 0.49, 1.0, 2.5, 3.99, 127.0, 200.7, -129.9, 1e4],
                  dtype=np.float64)


# -- dtype conversions -------------------------------------------------------------------

@pytest.mark.parametrize("src", DTYPES)
@pytest.mark.parametrize("dst", DTYPES)
def test_to_dtype(src, dst):
    vals = VALUES
    if src in ("uint8", "int8", "int16") or dst in ("uint8", "int8"):
        vals = vals[(vals > -1) & (vals < 127)]  # out-of-range casts are undefined behaviour
    a = vals.astype(np.float32)

    def f(T, x):
        y = x.to(getattr(T, src)) if src != "float32" else x
        return y.to(getattr(T, dst))
    check(f, a, grad=src in ("float32", "float64", "float16") and dst[0] in "fb")


@pytest.mark.parametrize("name,dst", [("float", "float32"), ("double", "float64"),
                                      ("half", "float16"), ("bfloat16", "bfloat16"),
                                      ("int", "int32"), ("long", "int64"), ("short", "int16"),
                                      ("char", "int8"), ("byte", "uint8"), ("bool", "bool")])
def test_cast_methods(name, dst):
    a = np.array([[0.0, 1.7, -2.2], [3.5, 0.25, 100.0]], dtype=np.float32)
    if name in ("byte",):
        a = np.abs(a)
    check(lambda T, x: getattr(x, name)(), a, grad=dst[0] in "fb")
    e = getattr(ember.ones(2), name)()
    assert str(e.dtype) == "torch." + dst


def test_float_to_int_truncates_toward_zero():
    a = np.array([-2.9, -2.5, -0.7, -0.0, 0.7, 2.5, 2.9], dtype=np.float64)
    for dst in ("int64", "int32", "int16"):
        check(lambda T, x: x.to(getattr(T, dst)), a, grad=False)
    check(lambda T, x: x.to(T.bool), a, grad=False)
    check(lambda T, x: x.float().to(T.int64), a, grad=False)
    check(lambda T, x: x.half().long(), a, grad=False)
    check(lambda T, x: x.bfloat16().long(), a, grad=False)


def test_to_identity_and_copy():
    for T in (ember, torch):
        x = T.ones(3)
        assert x.to(T.float32) is x
        assert x.to("cpu") is x
        assert x.to(x) is x
        assert x.float() is x
        assert x.to(T.float32, copy=True) is not x
        assert x.to(T.float64) is not x
        assert x.type(T.float32) is x
        y = x.to(T.float32, copy=True)
        y[0] = 5
        assert x[0].item() == 1


def test_to_forms():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    check(lambda T, x: x.to(T.zeros(1, dtype=T.float64)), a)
    check(lambda T, x: x.to("cpu", T.float16), a)
    check(lambda T, x: x.to(device="cpu", dtype=T.int32), a, grad=False)
    check(lambda T, x: x.to(dtype=T.float64), a)
    check(lambda T, x: x.to(T.device("cpu")), a)
    check(lambda T, x: x.to(float), a)
    check(lambda T, x: x.to(int), a, grad=False)
    check(lambda T, x: x.to(bool), a, grad=False)
    check(lambda T, x: x.type_as(T.zeros(1, dtype=T.int16)), a, grad=False)
    check(lambda T, x: x.t().double(), a)
    check_error(lambda T, x: x.to("bogus"), a)
    check_error(lambda T, x: x.to(T.float32, "cpu"), a)
    check_error(lambda T, x: x.to([1]), a)
    check_error(lambda T, x: x.to(T.float64, dtype=T.float32), a)
    check_error(lambda T, x: x.to("cpu", device="cpu"), a)
    check_error(lambda T, x: x.to(x, x), a)
    check(lambda T, x: x.to(T.float64, False, True), a)
    check(lambda T, x: x.to("cpu", T.float64, False, True), a)
    check(lambda T, x: x.to("cpu", None), a)
    check(lambda T, x: x.to(None), a)
    check(lambda T, x: x.to(), a)
    check(lambda T, x: x.to(T.ones(1, dtype=T.int32), True), a, grad=False)
    check_error(lambda T, x: x.to(dtype="float64"), a)


def test_to_grad_fn_and_layout():
    e, t = both(np.ones((4, 3), np.float32), requires_grad=True)
    for f in (lambda x: x.double(), lambda x: x.t().double(), lambda x: x.t().half()):
        ye, yt = f(e), f(t)
        assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__ == "ToCopyBackward0"
        assert ye.stride() == yt.stride()


def test_type():
    for T in (ember, torch):
        assert T.ones(2).type() == "torch.FloatTensor"
        assert T.ones(2, dtype=T.int64).type() == "torch.LongTensor"
        assert T.ones(2, dtype=T.bool).type() == "torch.BoolTensor"
        assert T.ones(2, dtype=T.bfloat16).type() == "torch.BFloat16Tensor"
    a = np.array([1.5, -2.5], dtype=np.float32)
    for name in ("torch.DoubleTensor", "torch.IntTensor", "torch.HalfTensor", "torch.ByteTensor",
                 "torch.BoolTensor", "torch.FloatTensor", "torch.LongTensor",
                 "torch.ShortTensor", "torch.CharTensor"):
        check(lambda T, x: x.type(name), np.abs(a), grad=False)
    check(lambda T, x: x.type(T.float64), a)
    check_error(lambda T, x: x.type("torch.NoSuchTensor"), a)
    assert ember.typename(ember.ones(1)) == torch.typename(torch.ones(1))


# -- Python scalars ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_item(dtype):
    for v in (0.0, 1.0, 2.5, -3.0, 100.0):
        if dtype in ("uint8",) and v < 0:
            continue
        run(lambda T: T.tensor(v).to(getattr(T, dtype)).item())
        run(lambda T: T.tensor([[v]]).to(getattr(T, dtype)).item())
    run(lambda T: T.ones(2, dtype=getattr(T, dtype)).item())
    run(lambda T: T.ones(0, dtype=getattr(T, dtype)).item())


def test_item_special_values():
    for v in (float("inf"), float("-inf"), float("nan"), 1e-45, 3.4e38, 0.1):
        run(lambda T: T.tensor(v).item())
        run(lambda T: T.tensor(v, dtype=T.float64).item())
        run(lambda T: T.tensor(v).half().item())
        run(lambda T: T.tensor(v).bfloat16().item())
    run(lambda T: T.tensor(2 ** 62).item())
    run(lambda T: T.tensor(1.0, requires_grad=True).item())


@pytest.mark.parametrize("dtype", DTYPES)
def test_tolist(dtype):
    a = np.array([[0.0, 1.5, -2.0], [3.25, 100.0, 7.0]])
    if dtype == "uint8":
        a = np.abs(a)
    run(lambda T: T.tensor(a).to(getattr(T, dtype)).tolist())
    run(lambda T: T.tensor(a).to(getattr(T, dtype))[0, 1].tolist())
    run(lambda T: T.tensor(a).to(getattr(T, dtype)).t().tolist())
    run(lambda T: T.zeros(0, 2, dtype=getattr(T, dtype)).tolist())
    e = ember.tensor(a).to(getattr(ember, dtype)).tolist()
    t = torch.tensor(a).to(getattr(torch, dtype)).tolist()
    assert [type(v) for v in e[0]] == [type(v) for v in t[0]]
    run(lambda T: T.ones(2, requires_grad=True).tolist())


def test_python_number_protocols():
    for v in (2.7, -2.7, 0.0, 5.0):
        run(lambda T: float(T.tensor(v)))
        run(lambda T: int(T.tensor(v)))
        run(lambda T: int(T.tensor([v])))
        run(lambda T: float(T.tensor([[v]], dtype=T.float64)))
        run(lambda T: bool(T.tensor(v)))
        run(lambda T: complex(T.tensor(v)))
    run(lambda T: float(T.ones(2)))
    run(lambda T: int(T.ones(2)))
    run(lambda T: int(T.ones(0)))
    run(lambda T: float(T.tensor(3)))
    run(lambda T: int(T.tensor(True)))
    run(lambda T: round(T.tensor(2.5).item()))
    run(lambda T: int(T.tensor(float("nan"))))
    run(lambda T: int(T.tensor(float("inf"))))


def test_bool_of_tensors():
    for data in ([1.0], [0.0], [[2]], [True], [False], 3, 0, [float("nan")]):
        run(lambda T: bool(T.tensor(data)))
    for data in ([1, 2], [], [[1, 0]]):
        run(lambda T: bool(T.tensor(data)))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        if ember.ones(3) > 0:
            pass
    run(lambda T: "yes" if T.tensor([5]) else "no")
    run(lambda T: T.tensor(1) and T.tensor(0))
    run(lambda T: not T.tensor(0.0))


def test_index_protocol():
    lst = list(range(10))
    for T in (ember, torch):
        assert lst[T.tensor(3)] == 3
        assert lst[T.tensor([4])] == 4
        assert list(range(T.tensor(3))) == [0, 1, 2]
        assert lst[T.tensor(1):T.tensor(4)] == [1, 2, 3]
        assert hex(T.tensor(255)) == "0xff"
        assert T.zeros(T.tensor(2)).shape == (2,)
        assert "ab"[T.tensor(1, dtype=T.int32)] == "b"
        assert [1, 2, 3][T.tensor(-1)] == 3
    run(lambda T: lst[T.tensor(1.0)])
    run(lambda T: lst[T.tensor([1, 2])])
    run(lambda T: range(T.tensor(2.5)))
    run(lambda T: operator_index(T.tensor(7, dtype=T.uint8)))
    run(lambda T: operator_index(T.tensor(7, dtype=T.int16)))


def operator_index(x):
    import operator

    return operator.index(x)


def test_format():
    for T in (ember, torch):
        assert f"{T.tensor(2.5):.3f}" == "2.500"
        assert f"{T.tensor(3):d}" == "3"
        assert "{:>6}".format(T.tensor(1.5).item()) == "   1.5"
    run(lambda T: f"{T.ones(2):.2f}")
    run(lambda T: f"{T.tensor([1.5]):.2f}")


# -- NumPy ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_dtype_and_values(dtype):
    a = np.array([[0.0, 1.5], [2.0, 3.0]])
    t = torch.tensor(a).to(getattr(torch, dtype))
    if dtype == "bfloat16":  # (NumPy has no bfloat16: both refuse, with PyTorch's words)
        for T, x in ((torch, t), (ember, ember.tensor(a).to(ember.bfloat16))):
            with pytest.raises(TypeError, match="^Got unsupported ScalarType BFloat16$"):
                x.numpy()
        return
    e = ember.tensor(a).to(getattr(ember, dtype)).numpy()
    t = t.numpy()
    assert e.dtype == t.dtype and e.shape == t.shape
    np.testing.assert_array_equal(e, t)


def test_numpy_shares_memory():
    e = ember.zeros(2, 3)
    n = e.numpy()
    n[0, 1] = 5.0
    assert e[0, 1].item() == 5.0
    e[1, 2] = 7.0
    assert n[1, 2] == 7.0
    v = e.t().numpy()
    assert v.strides == tuple(s * 4 for s in e.t().stride())
    v[2, 1] = -1.0
    assert e[1, 2].item() == -1.0
    d = ember.ones(3, requires_grad=True).detach().numpy()
    assert d.shape == (3,)


def test_numpy_requires_grad_error():
    for T in (ember, torch):
        x = T.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="requires grad"):
            x.numpy()
        with pytest.raises(RuntimeError, match="requires grad"):
            (x * 2).numpy()
        assert x.numpy(force=True).shape == (2,)
        assert x.tolist() == [1.0, 1.0]


def test_tensor_protocol_gaps(monkeypatch):
    lst = [0, 1]
    assert lst[ember.tensor(True)] == lst[torch.tensor(True)]
    with pytest.raises(RuntimeError):
        np.asarray(ember.ones(2, requires_grad=True))
    monkeypatch.setattr(ember._warnings, "_once", set())  # (once a process, as PyTorch's)
    with pytest.warns(UserWarning, match="requires_grad=True to a scalar"):
        float(ember.ones(1, requires_grad=True))
    assert ember.Tensor().shape == torch.Tensor().shape


def test_array_protocol():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    e, t = both(a)
    warnings.simplefilter("ignore", DeprecationWarning)  # torch's __array__ lacks copy=
    for f in (np.asarray, np.array, lambda x: np.asarray(x, dtype=np.float64),
              lambda x: np.asarray(x.t()), lambda x: np.array(x[0]),
              lambda x: np.exp(x.numpy()), lambda x: np.concatenate([x, x])):
        re_, rt = f(e), f(t)
        np.testing.assert_array_equal(np.asarray(re_), np.asarray(rt))
        assert np.asarray(re_).dtype == np.asarray(rt).dtype
    assert np.shares_memory(np.asarray(e), e.numpy()) == \
        np.shares_memory(np.asarray(t), t.numpy())
    assert np.asarray(ember.tensor(3.5)).shape == ()
    assert np.asarray(ember.tensor([True])).dtype == np.bool_


def test_numpy_scalar_interop():
    for T in (ember, torch):
        x = T.tensor([1.0, 2.0])
        y = np.float64(2.0) * x
        assert isinstance(y, T.Tensor), type(y)
        assert str(y.dtype) == "torch.float32"
        z = x + np.int64(1)
        assert isinstance(z, T.Tensor) and str(z.dtype) == "torch.float32"


# -- clone / detach ---------------------------------------------------------------------------

def test_clone():
    check(lambda T, x: x.clone(), np.arange(6.0).reshape(2, 3))
    check(lambda T, x: T.clone(x.t()), np.arange(6.0).reshape(2, 3))
    check(lambda T, x: x.clone(memory_format=T.contiguous_format)
          if hasattr(T, "contiguous_format") else x.clone(), np.arange(6.0).reshape(2, 3))
    e, t = both(np.arange(6.0).reshape(2, 3), requires_grad=True)
    ce, ct = e.clone(), t.clone()
    assert type(ce.grad_fn).__name__ == type(ct.grad_fn).__name__ == "CloneBackward0"
    assert ce.data_ptr() != e.data_ptr()
    assert ce._version == ct._version == 0
    for f in (lambda x: x.t(), lambda x: x[:, ::2], lambda x: x.expand(2, 2, 3),
              lambda x: x[:, :1], lambda x: x.unsqueeze(1).t() if False else x.t()[1:]):
        assert f(e).clone().stride() == f(t).clone().stride()
        assert f(e).clone().is_contiguous() == f(t).clone().is_contiguous()


def test_detach():
    e, t = both(np.arange(3.0), requires_grad=True)
    for x in (e, t):
        y = (x * 2).detach()
        assert not y.requires_grad and y.grad_fn is None and y.is_leaf
        d = x.detach()
        d[0] = 10.0
        assert x[0].item() == 10.0
        assert d._version == x._version
    assert e.detach().data_ptr() == e.data_ptr()
    e2, t2 = both(np.arange(3.0), requires_grad=True)
    for x in (e2, t2):
        y = x * 1
        y.detach_()
        assert not y.requires_grad and y.grad_fn is None
    for T in (ember, torch):
        v = (T.ones(3, requires_grad=True) * 1)[1:]
        with pytest.raises(RuntimeError):
            v.detach_()


def test_detach_saved_tensor_modified():
    # Writing through a detached alias bumps the shared version: backward refuses.
    for T in (ember, torch):
        x = T.ones(3, requires_grad=True)
        y = x * 1
        z = y.sin()
        y.detach().zero_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_data_attribute():
    for T in (ember, torch):
        x = T.ones(3, requires_grad=True)
        d = x.data
        assert not d.requires_grad
        d[0] = 4.0
        assert x[0].item() == 4.0
        x.data = T.zeros(2)
        assert x.shape == (2,) and x.requires_grad


# -- iteration, len ----------------------------------------------------------------------------

def test_iteration_and_len():
    a = np.arange(6.0).reshape(3, 2)
    check_pieces(lambda T, x: list(x), a)
    check_pieces(lambda T, x: [r.sum() for r in x], a)
    check_pieces(lambda T, x: list(x.t()), a)
    check(lambda T, x: len(x), a)
    check(lambda T, x: len(x.t()), a)
    check(lambda T, x: len(x[0]), a)
    check_error(lambda T, x: len(x[0, 0]), a)
    check_error(lambda T, x: iter(x[0, 0]), a)
    check(lambda T, x: list(x[:0]), a)
    check(lambda T, x: [float(v) for v in x[0].detach()], a, grad=False)
    check_pieces(lambda T, x: list(dict(enumerate(x[1])).values()), a)
    check(lambda T, x: sorted(x[:, 0].tolist()), a, grad=False)
    check(lambda T, x: max(x[0]), a)
    check(lambda T, x: x[0] in [x[0]], a)
    check(lambda T, x: 3.0 in x, a, grad=False)
    check(lambda T, x: 7.0 in x, a, grad=False)
    check(lambda T, x: [5.0, 1.0] in x, a, grad=False)


def test_iterated_rows_are_views():
    e, t = both(np.zeros((3, 2), np.float32))
    for x in (e, t):
        for r in x:
            r += 1
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    e, t = both(np.zeros((3, 2), np.float32), requires_grad=True)
    re_, rt = next(iter(e)), next(iter(t))
    assert re_._base is e and rt._base is t
    assert type(re_.grad_fn).__name__ == type(rt.grad_fn).__name__


# -- generated ---------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                  elements=st.floats(-300, 300, width=32)),
       st.sampled_from(DTYPES), st.booleans())
def test_generated_casts(a, dst, transpose):
    if dst in ("uint8", "int8"):
        a = np.asarray(np.clip(a, 0, 100), dtype=np.float32)

    def f(T, x):
        y = x.permute(*range(x.ndim - 1, -1, -1)) if transpose else x
        out = y.to(getattr(T, dst))
        return out, out.tolist() == y.tolist() if dst[0] == "f" and dst != "float16" else True
    check(f, a, grad=dst[0] in "fb")
    e = ember.from_numpy(a.copy())
    t = torch.from_numpy(a.copy())
    if transpose:
        e, t = e.t() if e.ndim == 2 else e, t.t() if t.ndim == 2 else t
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert e.to(getattr(ember, dst)).tolist() == t.to(getattr(torch, dst)).tolist() or \
            dst == "bfloat16" or dst == "float16"


def test_double_to_uint8_wraps_through_int64():
    # PyTorch casts double to uint8 through int64: large values wrap modulo 256 (a direct
    # NumPy cast gives 0 past int32's range); float32 and the other integer types as before
    rng = np.random.default_rng(0)
    x = rng.standard_normal(64) * 10.0 ** rng.integers(3, 12, 64)
    x[:4] = [np.nan, np.inf, -np.inf, 2.0 ** 70]
    for src in ("float64", "float32"):
        for dst in ("uint8", "int8", "int16", "int32"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = ember.tensor(x, dtype=getattr(ember, src)).to(getattr(ember, dst))
            want = torch.tensor(x, dtype=getattr(torch, src)).to(getattr(torch, dst))
            assert got.tolist() == want.tolist(), (src, dst)
