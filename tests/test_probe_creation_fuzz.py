"""Tensor creation from data against PyTorch, found by a seeded fuzzer of ``tensor`` /
``as_tensor`` / ``asarray`` / ``from_numpy`` / legacy constructors / ``new_tensor`` over random
nested data: NumPy scalars stored into integer, bool and floating dtypes (a float32 has no
index, a NumPy complex's real part is taken with NumPy's warning), the first refusal in reading
order, big ints mixed with floats, ``asarray`` of NumPy scalars and 0-d arrays, ``copy=False``
of a sequence, the legacy constructors' aliasing of a NumPy array, and the factories' wording of
``requires_grad=True`` for an integer dtype.  Each case runs the same code on both libraries and
compares dtype, shape, strides, values bit for bit, memory sharing, warnings and errors."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _run(mod, fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = fn(mod)
        except Exception as e:  # noqa: BLE001
            r = ("error", type(e).__name__, str(e).split("\n")[0])
    msgs = sorted({(x.category.__name__, str(x.message).split(" (Triggered")[0]) for x in w
                   if "list of numpy.ndarrays" not in str(x.message)})  # (once a process)
    if hasattr(r, "dtype"):
        a = r.detach().numpy()
        r = (str(r.dtype), tuple(r.shape), r.stride(), r.requires_grad, a.tobytes())
    return r, msgs


def _same(fn):
    assert _run(ember, fn) == _run(torch, fn)


@pytest.mark.parametrize("data", [
    [np.float32(1.5), 2], [np.float16(-1.0)], [2, np.complex64(1j)], [np.complex128(1 + 0j)],
    [np.bool_(True), 1], [np.float64(2.5), np.int8(-3)], [1.5, 2j], [np.float32(1.5), 2j],
    [2, np.float32(1.5), np.array(2.0)], [[1, np.float32(2)], [3, 4]]])
@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool", "float32", "float64",
                                   "complex64"])
def test_numpy_scalar_leaves(data, dtype):
    _same(lambda m: m.tensor(data, dtype=getattr(m, dtype)))


@pytest.mark.parametrize("data, dtype", [
    ([np.float32(1.5), np.int64(3), np.array(2.)], "int64"),
    ([[1e300, 2.0], [torch.tensor(1.5), 1]], "int16"),
    ([[-39, True], [1e38, 1 + 0j]], "int64"),
    ([float("nan"), np.complex64(0j)], "int64"),
    ([2 ** 70, 1.5j, 1], "int16"),
    ([[1, 1e300], [1.5j, 2]], "float32"),
    ([[1, 2], [np.float16(1.0), 2j], [3]], "int64"),
    ([[1, 2], [3], [np.float16(1.0)]], "int64"),
])
def test_first_refusal_in_reading_order(data, dtype):
    def fn(m):
        d = [[m.tensor(1.5) if isinstance(v, torch.Tensor) else v for v in x]
             if isinstance(x, list) else x for x in data]
        return m.tensor(d, dtype=getattr(m, dtype))
    _same(fn)


@pytest.mark.parametrize("data, dtype", [
    ([2 ** 62 + 1, 1.5], "int64"), ([2 ** 63 - 1, 1.5, np.int16(3)], "int64"),
    ([[2 ** 63], [-4.5]], "int64"), ([1e300, 2 ** 62], "int64"), ([2 ** 60, 2.5], "bool"),
    ([2 ** 60, -2.5], "uint8"), ([2 ** 40, 2.5], "int32")])
def test_big_ints_mixed_with_floats(data, dtype):
    _same(lambda m: m.tensor(data, dtype=getattr(m, dtype)))
    _same(lambda m: m.LongTensor(data))


@pytest.mark.parametrize("obj", [
    np.float32(1.5), np.bool_(True), np.int8(-3), np.complex64(1 + 2j), np.float64(2.5),
    np.uint64(7), np.float16(-1.5), np.array(1.5, np.float32), np.array(3),
    np.array(1 + 2j, np.complex64)])
@pytest.mark.parametrize("dtype", [None, "int64", "uint8", "float32", "bool"])
@pytest.mark.parametrize("copy", [None, True, False])
def test_asarray_numpy_scalar(obj, dtype, copy):
    _same(lambda m: m.asarray(obj, dtype=dtype and getattr(m, dtype), copy=copy))


def test_asarray_zero_d_array_is_a_copy():
    for m in (torch, ember):
        a = np.array(2.5)
        assert not np.shares_memory(a, m.asarray(a).numpy())
        b = np.array([2.5])
        assert np.shares_memory(b, m.asarray(b).numpy())


@pytest.mark.parametrize("obj", [[1, 2], 3, 2.5, [[1], [2, 3]], "ab", None, (1, 2), range(3),
                                 [[1, 2], ["a"]]])
def test_asarray_copy_false_sequence(obj):
    _same(lambda m: m.asarray(obj, copy=False))
    _same(lambda m: m.asarray(obj, dtype=m.int16, copy=False))


@pytest.mark.parametrize("make", [
    lambda m: m.asarray([1, 2], requires_grad=True),
    lambda m: m.asarray(m.tensor([1]), requires_grad=True),
    lambda m: m.asarray(np.array([1]), requires_grad=True),
    lambda m: m.asarray(np.int8(1), dtype=m.uint8, requires_grad=True),
    lambda m: m.asarray(np.float32(2), requires_grad=True),
    lambda m: m.zeros(2).new_tensor([1], dtype=m.int64, requires_grad=True),
    lambda m: m.zeros(2).new_tensor([[], []], dtype=m.bool, requires_grad=True),
    lambda m: m.zeros(2).new_tensor(m.tensor([1]), dtype=m.int32, requires_grad=True),
    lambda m: m.zeros(2).new_tensor([1.5], requires_grad=True),
])
def test_requires_grad_int_wording(make):
    _same(make)


@pytest.mark.parametrize("ctor", ["Tensor", "FloatTensor", "LongTensor", "DoubleTensor"])
@pytest.mark.parametrize("arr", [
    lambda: np.arange(24.).reshape(2, 3, 4).astype(np.float32)[..., ::2],
    lambda: np.arange(24).reshape(2, 3, 4)[..., ::2],
    lambda: np.arange(12.).reshape(3, 4).T,
    lambda: np.arange(6, dtype=np.float32),
    lambda: np.arange(6)[::-1],
    lambda: np.array([1, "x"], dtype=object)])
def test_legacy_constructor_aliases_numpy(ctor, arr):
    def fn(m):
        a = arr()
        t = getattr(m, ctor)(a)
        return t, np.shares_memory(a, t.numpy())

    def run(m):
        try:
            t, shared = fn(m)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
        return str(t.dtype), t.stride(), shared, t.numpy().tobytes()
    assert run(ember) == run(torch)


@pytest.mark.parametrize("x", [np.complex64(1j), np.complex128(1), 1j, np.float32(3), 2.5,
                               np.bool_(True), None])
@pytest.mark.parametrize("ctor", ["Tensor", "FloatTensor", "LongTensor"])
def test_legacy_constructor_number(x, ctor):
    _same(lambda m: getattr(m, ctor)(x))


@pytest.mark.parametrize("x", [np.float32(1), [1], None, "a"])
def test_from_numpy_wrong_type(x):
    _same(lambda m: m.from_numpy(x))
    _same(lambda m: m.from_numpy(m.zeros(1)))


@pytest.mark.parametrize("args", [
    (float("nan"), 2.5, 7), (1.0, float("nan"), 4), (float("inf"), 1, 4), (0, float("inf"), 5),
    (-0.0, -45, 21), (-0.0, -7.5, 6), (-0.0, 3, 5), (3, -0.0, 5), (-3, -0.0, 4), (-0.0, -0.0, 3)])
@pytest.mark.parametrize("dtype", ["float64", "float32", "complex64"])
def test_linspace_nan_and_signed_zero_bits(args, dtype):
    _same(lambda m: m.linspace(*args, dtype=getattr(m, dtype)))


@pytest.mark.parametrize("fn", ["linspace", "logspace"])
@pytest.mark.parametrize("dtype", ["float64", "int32", "float16"])
def test_space_complex_end_into_real_dtype(fn, dtype):
    _same(lambda m: getattr(m, fn)(1j, 2, 3, dtype=getattr(m, dtype)))
    _same(lambda m: getattr(m, fn)(0, 2 + 1j, 3, dtype=getattr(m, dtype)))


@pytest.mark.parametrize("fn", ["linspace", "logspace"])
@pytest.mark.parametrize("args", [(float("inf"), 2.5, 3), (2.5, float("inf"), 3),
                                  (float("-inf"), float("inf"), 4), (float("nan"), 1, 3)])
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_space_half_nan_bits(fn, args, dtype):
    _same(lambda m: getattr(m, fn)(*args, dtype=getattr(m, dtype)).view(m.int16))


@pytest.mark.parametrize("data", [[1e300], [1e300, 1j], [[-1e39, 2.0]]])
def test_complex64_from_big_doubles_is_silent(data):
    _same(lambda m: m.tensor(data, dtype=m.complex64))
    _same(lambda m: m.zeros(1).new_tensor(data, dtype=m.complex64, requires_grad=True))
