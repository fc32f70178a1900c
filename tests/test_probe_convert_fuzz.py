"""Tensors from Python data and dtype conversions against PyTorch, found by seeded fuzzers of
``tensor`` / ``as_tensor`` / ``asarray`` / ``Tensor`` over random nested data and of
``.to`` / ``.type`` / ``item`` / ``int`` / ``bool`` / ``tolist`` / ``numpy`` across dtype pairs
with special values: a NumPy array inside a list read as NumPy scalars (which an integer dtype
refuses unless they have an index), a ragged array found row by row, the legacy constructor's
refusal of a non-sequence, no complex-to-real warning for an empty copy, and a uint64 past
int64's range read by ``int`` / ``bool`` / ``__index__``.  Each case runs the same code on both
libraries and compares dtype, shape, strides, values bit for bit, printed text, warnings and
errors."""
import random
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _snap(r):
    if isinstance(r, (ember.Tensor, torch.Tensor)):
        t = r.detach()
        raw = t.float().numpy().tobytes() if str(t.dtype).endswith("bfloat16") else \
            t.resolve_conj().numpy().tobytes()
        return (str(t.dtype), tuple(t.shape), t.stride() if t.numel() else None,
                r.requires_grad, raw, repr(r))
    if isinstance(r, np.ndarray):
        return ("ndarray", str(r.dtype), r.shape, r.tobytes())
    if isinstance(r, (list, tuple)):
        return [_snap(x) for x in r]
    return (type(r).__name__, repr(r))


def _run(mod, fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = _snap(fn(mod))
        except Exception as e:  # noqa: BLE001
            r = ("error", type(e).__name__, str(e).split("\n")[0])
    msgs = sorted({(x.category.__name__, str(x.message).split(" (Triggered")[0]) for x in w
                   if "list of numpy.ndarrays" not in str(x.message)  # (once a process)
                   and "discards the imaginary" not in str(x.message)})  # (once, below)
    return r, msgs


def _same(fn):
    assert _run(ember, fn) == _run(torch, fn)


@pytest.mark.parametrize("adt", ["bool", "float16", "float32", "float64", "complex64",
                                 "complex128", "int32", "uint8"])
@pytest.mark.parametrize("dtype", [None, "int64", "bool", "uint8", "float32", "complex64"])
@pytest.mark.parametrize("lead", [None, 5, 2.5])
def test_array_in_list_reads_numpy_scalars(adt, dtype, lead):
    def fn(m):
        a = np.array([1, 0], dtype=adt)
        data = [a, a] if lead is None else [[lead, lead], a]
        return m.tensor(data, **({} if dtype is None else {"dtype": getattr(m, dtype)}))
    _same(fn)


@pytest.mark.parametrize("make", [
    lambda m: [[1, 2], np.array([1, 2, 3])],
    lambda m: [np.zeros((2, 3)), np.zeros((2, 2))],
    lambda m: [np.zeros((2, 3)), np.zeros((3, 3))],
    lambda m: [[range(3)], np.array([[-5.5, -1.25]])],
    lambda m: [[[-3.25, 0.5]], np.array(-2, dtype=np.int8)],
    lambda m: [[1, 2], np.array(3)],
    lambda m: [[1, 2], m.tensor(3)],
    lambda m: [m.zeros(2, 3), m.zeros(2, 2)],
    lambda m: [[[1, 2]], m.zeros(1, 3)],
])
def test_ragged_arrays_in_lists(make):
    _same(lambda m: m.tensor(make(m)))
    _same(lambda m: m.as_tensor(make(m), dtype=m.float64))


@pytest.mark.parametrize("data", [
    lambda: (x for x in [1, 2]), lambda: iter([1, 2]), lambda: {1, 2}, lambda: {1: 2},
    lambda: object(), lambda: "ab", lambda: range(3), lambda: (1, 2), lambda: [[1], [2]],
    lambda: np.ones(2), lambda: np.float64(2.0), lambda: b"ab"])
@pytest.mark.parametrize("ctor", ["Tensor", "FloatTensor", "LongTensor"])
def test_legacy_constructor_needs_a_sequence(data, ctor):
    _same(lambda m: getattr(m, ctor)(data()))


@pytest.mark.parametrize("how", ["to", "copy_", "setitem", "tensor", "asarray", "type"])
def test_no_complex_discard_warning_for_no_elements(how):
    # PyTorch warns once a process: only the empty case can be compared after the first
    def fn(m):
        x = m.ones(0, dtype=m.complex64)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            if how == "to":
                r = x.to(m.int16)
            elif how == "copy_":
                r = m.zeros(0).copy_(x)
            elif how == "setitem":
                r = m.zeros(0)
                r[:] = x
            elif how == "tensor":
                r = m.tensor(x.clone(), dtype=m.float32)
            elif how == "asarray":
                r = m.asarray(x, dtype=m.float64)
            else:
                r = x.type(m.float32)
        return r, [str(v.message) for v in w if "imaginary" in str(v.message)]
    (re, we), (rt, wt) = fn(ember), fn(torch)
    assert we == wt == []
    assert _snap(re) == _snap(rt)


@pytest.mark.parametrize("value", [2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1, 7, 0])
@pytest.mark.parametrize("op", ["int", "bool", "index", "item", "float", "tolist", "list_index",
                                "complex", "repr"])
@pytest.mark.parametrize("shape", [(), (1,)])
def test_uint64_past_int64_to_python(value, op, shape):
    def fn(m):
        x = m.tensor(value, dtype=m.uint64).reshape(shape)
        return {"int": int, "bool": bool, "index": lambda t: t.__index__(),
                "item": lambda t: t.item(), "float": float, "tolist": lambda t: t.tolist(),
                "list_index": lambda t: list(range(10))[t], "complex": complex,
                "repr": repr}[op](x)
    _same(fn)


_DT = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
       "float64", "complex64", "complex128", "uint16", "uint32", "uint64"]
_VALS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 127.0, 128.0, -129.0, 255.0, 256.0, -300.7, 65504.0,
         65520.0, 70000.0, 2.0 ** 31, -2.0 ** 31 - 1, 2.0 ** 32, 2.0 ** 63, -2.0 ** 63, 2.0 ** 64,
         1e20, 3.4e38, 1e39, 1e-8, 1e-45, float("nan"), float("inf"), -float("inf"), 1 / 3]
_OPS = ["to", "type", "meth", "item", "int", "float", "complex", "bool", "tolist", "numpy",
        "array", "index", "repr"]
_METHS = ["float", "double", "long", "int", "short", "bool", "half", "bfloat16", "byte",
          "char", "cfloat", "cdouble"]


def _conversion_case(seed):
    rng = random.Random(seed)
    src, dst = rng.choice(_DT), rng.choice(_DT)
    vals = [rng.choice(_VALS) for _ in range(rng.choice([1, 1, 3]))]
    ims = [rng.choice(_VALS) if rng.random() < 0.5 else 0.0 for _ in vals]
    zero_d = len(vals) == 1 and rng.random() < 0.4
    op, meth = rng.choice(_OPS), rng.choice(_METHS)
    npd = rng.choice([None, "float32", "int64", "float16", "bool", "complex64", "uint8"])

    def fn(m):
        base = m.tensor(np.array(vals))
        if src.startswith("complex"):
            base = m.complex(base, m.tensor(np.array(ims)))
        x = (base.reshape(()) if zero_d else base).to(getattr(m, src))
        if op in ("to", "type"):
            return getattr(x, op)(getattr(m, dst))
        if op == "meth":
            return getattr(x, meth)()
        if op in ("int", "float", "complex", "bool"):
            return {"int": int, "float": float, "complex": complex, "bool": bool}[op](x)
        if op in ("item", "tolist", "numpy"):
            return getattr(x, op)()
        if op == "array":
            return np.asarray(x, dtype=npd)
        if op == "index":
            return [10, 20, 30][x]
        return repr(x)
    return fn


@pytest.mark.parametrize("block", range(4))
def test_conversion_fuzz_slice(block):
    for seed in range(block * 150, block * 150 + 150):
        fn = _conversion_case(seed)
        assert _run(ember, fn) == _run(torch, fn), seed


@pytest.mark.parametrize("make", [
    lambda m: [[1, 2], [np.uint32(7), 65504.0]], lambda m: [1, np.uint32(7)],
    lambda m: [[1, 2], [np.uint32(7), np.uint32(7)]], lambda m: [1j, np.uint32(7)],
    lambda m: [2.5, [np.uint32(7)]], lambda m: [np.uint64(1), [[255, 2.5]]],
    lambda m: [[], [np.uint32(7)]], lambda m: [m.tensor(1, dtype=m.uint16), 1],
    lambda m: [np.uint32(7), np.array([1, 2], dtype=np.uint16)],
    lambda m: [(1, 2), [np.uint32(1410065408), 65504.0, -float("inf")]]])
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_dtype_inferred_sequence_by_sequence(make, default):
    def fn(m):
        prev = m.get_default_dtype()
        m.set_default_dtype(getattr(m, default))
        try:
            return m.tensor(make(m))
        finally:
            m.set_default_dtype(prev)
    _same(fn)


@pytest.mark.parametrize("src", ["complex64", "float64", "int64", "uint16", "bool", "float16"])
@pytest.mark.parametrize("dtype", ["int32", "float32", "float64", "bool", "uint16", "bfloat16"])
@pytest.mark.parametrize("kind", ["numpy", "tensor"])
@pytest.mark.parametrize("n", [0, 2])
def test_asarray_copy_false_refuses_before_converting(src, dtype, kind, n):
    def fn(m):
        a = np.ones(n, dtype=src)
        obj = a if kind == "numpy" else m.from_numpy(a)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = m.asarray(obj, dtype=getattr(m, dtype), copy=False)
            except ValueError as e:
                r = str(e)
        return r, [str(v.message) for v in w if "imaginary" in str(v.message)]
    (re, we), (rt, wt) = fn(ember), fn(torch)
    assert _snap(re) == _snap(rt) and we == wt == []


_CDT = [None] * 4 + _DT


def _leaf(rng):
    k = rng.randrange(6)
    if k == 0:
        return rng.choice([True, False, 0, 1, -1, 255, 256, -129, 2 ** 31, 2 ** 63 - 1, -2 ** 63])
    if k == 1:
        return rng.choice([0.0, -0.0, 1.5, float("nan"), float("inf"), -3.25, 1e-40, 65504.0])
    if k == 2:
        return rng.choice([1j, 1.5 - 2j, complex(0, -0.0)])
    if k == 3:
        d = rng.choice(["bool", "uint8", "int8", "int32", "int64", "float16", "float32",
                        "float64", "complex64", "uint16"])
        return np.array(rng.choice([0, 1, 3, 1.5])).astype(d)[()]
    return rng.choice([0, 1, 2, 0.5, True])


def _data(rng, depth=0):
    k = rng.randrange(10)
    if depth > 2 or k < 3:
        return _leaf(rng)
    if k == 3:
        d = rng.choice(["bool", "uint8", "int16", "int64", "float16", "float32", "float64",
                        "complex64"])
        shp = rng.choice([(), (2,), (2, 3), (0,), (1, 2)])
        return ("np", np.arange(int(np.prod(shp))).reshape(shp).astype(d) - 1)
    if k == 4:
        return ("t", rng.choice(["int64", "float32", "bool", "float64"]), rng.choice([(), (2,)]))
    if k == 5:
        return rng.choice([[], [[]], [[], []], range(3), (1, 2)])
    n = rng.choice([0, 1, 2, 2, 3])
    items = [_data(rng, depth + 1)] * n if rng.random() < 0.7 else \
        [_data(rng, depth + 1) for _ in range(n)]
    return items if rng.random() < 0.7 else tuple(items)


def _build(d, m):
    if isinstance(d, tuple) and d and d[0] == "np":
        return d[1].copy()
    if isinstance(d, tuple) and d and d[0] == "t":
        return m.arange(int(np.prod(d[2])), dtype=m.float64).reshape(d[2]).sub(0.5).to(
            getattr(m, d[1]))
    if isinstance(d, (list, tuple)):
        items = [_build(x, m) for x in d]
        return items if isinstance(d, list) else tuple(items)
    return d


@pytest.mark.parametrize("block", range(3))
def test_creation_fuzz_slice(block):
    for seed in range(block * 150, block * 150 + 150):
        rng = random.Random(seed)
        d = _data(rng)
        how, dt = rng.choice(["tensor", "as_tensor", "asarray"]), rng.choice(_CDT)
        default = rng.choice(["float32", "float32", "float64"])

        def fn(m):
            prev = m.get_default_dtype()
            m.set_default_dtype(getattr(m, default))
            try:
                return getattr(m, how)(_build(d, m),
                                       **({} if dt is None else {"dtype": getattr(m, dt)}))
            finally:
                m.set_default_dtype(prev)
        assert _run(ember, fn) == _run(torch, fn), seed


@pytest.mark.parametrize("make", [
    lambda: [np.array([True])], lambda: [np.array([1.5])], lambda: [np.zeros(0, np.uint8)],
    lambda: [[1, 2], np.array([1, 2])], lambda: [np.array([[1]])], lambda: [np.array([1j])],
    lambda: [np.array([1, 2], dtype=np.uint64)], lambda: [[-1, 2], np.array([1, 2])],
    lambda: [np.array([1, 2]), [2 ** 64, 1]]])
@pytest.mark.parametrize("dtype", ["uint64", None])
def test_uint64_from_arrays_in_lists(make, dtype):
    _same(lambda m: m.tensor(make(), **({} if dtype is None else {"dtype": m.uint64})))
