"""Tensor printing, fuzzed against PyTorch: seeded random tensors (every dtype, mixed scales,
nan/inf/-0.0, boundary values like 0.99995, empty and summarised shapes, views, grad
suffixes) printed under random print options, as ``repr``/``str``/containers/``format``;
plus targeted cases for the differences the fuzzing found."""
import math
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from diff import same  # noqa: E402

FLOATS = ["float16", "bfloat16", "float32", "float64", "float8_e4m3fn", "float8_e5m2"]
COMPLEX = ["complex64", "complex128"]
INTS = ["int8", "int16", "int32", "int64", "uint8", "bool", "uint16", "uint32"]
BOUNDS = [0.99995, 9.99995e5, 0.999949, 0.000099995, 99999.5, 1e8, 9.9999999e7, 1e-4,
          0.00009999, 1000.0, 999.95, 1e-5, 123456.789, -0.99995, 5e-5, 0.5, 2.5, 1e16]
SPECIAL = [math.nan, math.inf, -math.inf, -0.0, 0.0, 1.0, -1.5]


def _scalar(rng, mode):
    if mode == "scale":
        return rng.choice([1, -1]) * 10 ** rng.uniform(-12, 12)
    if mode == "int":
        return float(rng.randint(-1000, 1000))
    if mode == "bigint":
        return float(rng.randint(-10 ** 9, 10 ** 9))
    if mode == "special":
        return rng.choice(SPECIAL)
    if mode == "bound":
        return rng.choice(BOUNDS)
    if mode == "small":
        return rng.uniform(-1, 1) * 10 ** rng.randint(-8, -3)
    if mode == "large":
        return rng.uniform(-1, 1) * 10 ** rng.randint(4, 12)
    return rng.uniform(-2, 2)


MODES = ["scale", "int", "bigint", "special", "bound", "unit", "small", "large"]


def _values(rng, n):
    kind = rng.random()
    if kind < 0.1:
        return [_scalar(rng, rng.choice(MODES))] * n  # all equal
    if kind < 0.25:  # one huge value among small ones
        out = [_scalar(rng, "unit") for _ in range(n)]
        if n:
            out[rng.randrange(n)] = _scalar(rng, rng.choice(["large", "scale", "bigint"]))
        return out
    if kind < 0.5:
        return [_scalar(rng, rng.choice(MODES)) for _ in range(n)]
    mode = rng.choice(MODES)
    out = [_scalar(rng, mode) for _ in range(n)]
    if n and rng.random() < 0.3:
        for _ in range(rng.randint(1, 3)):
            out[rng.randrange(n)] = _scalar(rng, "special")
    return out


def _shape(rng):
    r = rng.random()
    if r < 0.1:
        return ()
    if r < 0.15:
        return rng.choice([(0,), (0, 3), (2, 0)])
    if r < 0.22:
        return (1,)
    if r < 0.28:
        return (rng.randint(1001, 1100),)
    if r < 0.55:
        return (rng.randint(1, 12),)
    if r < 0.8:
        return (rng.randint(1, 6), rng.randint(1, 12))
    if r < 0.93:
        return tuple(rng.randint(1, 4) for _ in range(3))
    return tuple(rng.randint(1, 3) for _ in range(4))


def _case(seed):
    """One random case: the NumPy data, the dtype and what to do, as plain values."""
    rng = random.Random(seed)
    shape = _shape(rng)
    n = math.prod(shape)
    r = rng.random()
    dt = rng.choice(FLOATS if r < 0.55 else COMPLEX if r < 0.7 else INTS)
    arr = np.array(_values(rng, n), dtype=np.float64).reshape(shape)
    if dt in COMPLEX:
        out = np.empty(shape, np.complex128)
        out.real, out.imag = arr, np.array(_values(rng, n), dtype=np.float64).reshape(shape)
        arr = out
    elif dt in INTS:
        top = {"int8": 127, "int16": 32767, "int32": 2 ** 31 - 1, "uint8": 255, "bool": 1,
               "int64": 2 ** 62, "uint16": 65535, "uint32": 2 ** 32 - 1}[dt]
        low = 0 if dt.startswith("u") else -top
        arr = np.clip(np.trunc(np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)), low, top)
        arr = np.array(arr != 0) if dt == "bool" else np.array(arr.astype(np.int64))
    opts = None
    if rng.random() < 0.5:
        opts = {}
        for key, p, pick in [("profile", 0.3, lambda: rng.choice(["short", "full", "default"])),
                             ("precision", 0.5, lambda: rng.randint(0, 10)),
                             ("sci_mode", 0.4, lambda: rng.choice([True, False])),
                             ("linewidth", 0.3, lambda: rng.randint(10, 200)),
                             ("edgeitems", 0.3, lambda: rng.randint(-1, 5)),
                             ("threshold", 0.3, lambda: rng.randint(0, 50))]:
            if rng.random() < p:
                opts[key] = pick()
    return (arr.reshape(shape), dt, opts, rng.random(), rng.random(), rng.random(),
            rng.random() < 0.1)


def _show(T, case):
    arr, dt, opts, view, grad, how, f64 = case
    t = T.from_numpy(arr.copy()).to(getattr(T, dt))
    if view < 0.15 and t.dim() >= 2:
        t = t.transpose(0, -1)
    elif view < 0.25 and t.dim() and t.shape[0] > 2:
        t = t[::2]
    elif view < 0.3 and t.dim() and t.dtype.is_complex:
        t = t.conj()
    elif view < 0.35 and t.dim():
        t = t.unsqueeze(0).expand(2, *t.shape)
    if dt in ("float16", "bfloat16", "float32", "float64") or dt in COMPLEX:
        if grad < 0.1:
            t = t.clone().requires_grad_()
        elif grad < 0.2:
            t = t.clone().requires_grad_() * 1
        elif grad < 0.25:
            t = T.nn.Parameter(t.clone())
    if opts is not None:
        T.set_printoptions(**opts)
    if f64:
        T.set_default_dtype(T.float64)
    try:
        if how < 0.5:
            return repr(t)
        if how < 0.6:
            return f"{t}"
        if how < 0.7:
            return str([t, {"x": t}, (t,)])
        if how < 0.8:
            return repr(t.tolist()) if t.numel() < 50 else repr(t.flatten()[:20].tolist())
        if how < 0.9 and t.numel():
            x = t.flatten()[0]
            spec = ".3f" if not t.dtype.is_complex else ""
            return repr((x.item(), f"{x:{spec}}", str(t.dtype), str(t.shape), str(t.device)))
        return repr(t.detach()[0] if t.dim() else t.detach())
    finally:
        T.set_printoptions(profile="default")
        T.set_default_dtype(T.float32)


def _outcome(T, case):
    try:
        return _show(T, case)
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return f"{type(e).__name__}: {e}"


@pytest.mark.parametrize("block", range(4))
def test_fuzzed_printing(block):
    for seed in range(block * 90, block * 90 + 90):
        case = _case(seed)
        want = _outcome(torch, case)
        assert _outcome(ember, case) == want, (seed, case[1:])


# -- targeted cases ----------------------------------------------------------------------------

def test_parameter_subclass_repr_is_wrapped():
    def fn(T):
        class MyParam(T.nn.Parameter):
            pass

        x = T.tensor([1.5, -2.25])
        return repr(MyParam(x)), repr(MyParam(x, requires_grad=False)), repr(T.nn.Parameter(x))

    same(fn)


def test_print_opts_object():
    def fn(T):
        opts = T._tensor_str.PRINT_OPTS
        first = repr(opts)
        opts.threshold = 5
        try:
            return first, repr(T.arange(10)), repr(opts)
        finally:
            T.set_printoptions(profile="default")

    same(fn)


@pytest.mark.parametrize("name", ["get_printoptions", "printoptions"])
def test_no_top_level_printoptions_getters(name):
    same(lambda T: hasattr(T, name))


@pytest.mark.parametrize("edge", [-1, -2, -5])
@pytest.mark.parametrize("shape", [(10,), (4,), (3, 4), (2, 3, 2)])
@pytest.mark.parametrize("dtype", ["float32", "complex64", "int64"])
def test_negative_edgeitems(edge, shape, dtype):
    def fn(T):
        T.set_printoptions(edgeitems=edge, threshold=3)
        try:
            return repr(T.arange(math.prod(shape)).reshape(shape).to(getattr(T, dtype)))
        finally:
            T.set_printoptions(profile="default")

    same(fn)


FLIP_CASES = [((2, 3), (0,), None), ((2, 3), (1,), None), ((2, 3), (0, 1), None),
              ((2, 3), (1,), "t"), ((2, 3), (0,), "t"), ((2, 3, 4), (1,), None),
              ((2, 3, 4), (0, 1), None), ((2, 3, 4), (2,), None), ((2, 1), (1,), None),
              ((1, 3), (0,), None), ((4,), (0,), None), ((1,), (0,), None), ((), (), None),
              ((0, 3), (1,), None), ((2, 3), (), None), ((2, 6), (0,), "step")]


@pytest.mark.parametrize("dtype", ["float8_e4m3fn", "float8_e5m2fnuz", "float8_e8m0fnu",
                                   "uint16", "uint64"])
@pytest.mark.parametrize("case", FLIP_CASES)
def test_flip_of_dtypes_without_a_flip_kernel(dtype, case):
    shape, dims, how = case

    def fn(T):
        t = (T.arange(math.prod(shape)).reshape(shape) % 7 + 1).to(getattr(T, dtype))
        t = t.t() if how == "t" else t[:, ::2] if how == "step" else t
        r = t.flip(dims)
        return tuple(r.shape), r.to(T.float32).tolist()

    same(fn)


@pytest.mark.parametrize("op", ["fliplr", "flipud", "rot90"])
def test_flip_helpers_of_float8(op):
    same(lambda T: getattr(T.tensor([[1.0, 2.0], [4.0, 8.0]]).to(T.float8_e4m3fn), op)())


# -- sparse and quantized tensors (found by fuzzing their printing) -----------------------------

def _sparse_case(T, dtype, conv):
    t = T.tensor([[1, 0], [0, 2]]).to(getattr(T, dtype)) if dtype != "bits8" else \
        T.tensor([[1, 0], [0, 2]], dtype=T.uint8).view(T.bits8)
    if conv == "bsr":
        return t.to_sparse_bsr((1, 1)).layout
    if conv == "coo1":
        return t.to_sparse(1).layout
    return getattr(t, conv)().layout


@pytest.mark.parametrize("dtype", ["uint16", "uint64", "float8_e4m3fn", "float8_e8m0fnu",
                                   "bits8", "int32"])
@pytest.mark.parametrize("conv", ["to_sparse", "coo1", "to_sparse_csr", "to_sparse_csc"])
def test_to_sparse_of_dtypes_without_kernels(dtype, conv):
    same(lambda T: _sparse_case(T, dtype, conv), warns=False)


@pytest.mark.parametrize("case", [((2, 2), 0), ((2, 2), -1), ((2, 2), 3), ((), 1), ((3,), 2)])
def test_to_sparse_dim_messages(case):
    shape, sd = case
    same(lambda T: T.zeros(shape).to_sparse(sd))


@pytest.mark.parametrize("v", [0.0, -0.0, 2.5, math.nan])
@pytest.mark.parametrize("sd", [None, 0])
def test_to_sparse_of_a_0d_tensor_drops_a_zero(v, sd):
    same(lambda T: T.tensor(v).to_sparse(*([] if sd is None else [sd])))


@pytest.mark.parametrize("shape", [(0, 3), (2, 0), (0, 0)])
@pytest.mark.parametrize("conv", ["to_sparse_csr", "to_sparse_csc", "bsr"])
def test_empty_to_compressed(shape, conv):
    def fn(T):
        t = T.zeros(shape)
        return t.to_sparse_bsr((1, 1)) if conv == "bsr" else getattr(t, conv)()

    same(fn, warns=False)


def test_0d_quantized_keeps_its_shape():
    def fn(T):
        q = T.quantize_per_tensor(T.tensor(0.5), 0.1, 2, T.quint8)
        return q, q.dequantize(), q.int_repr(), T.dequantize(q), q.shape

    same(fn, warns=False)  # (the deprecation warning comes once a process)


@pytest.mark.parametrize("scale", [1e-6, 1e-3])
def test_qint32_clamps_to_its_top(scale):
    def fn(T):
        x = T.tensor([1e6, -1e6, 2147.4836, 0.5])
        q = T.quantize_per_tensor(x, scale, 0, T.qint32)
        qc = T.quantize_per_channel(x.reshape(4, 1), T.tensor([scale] * 4, dtype=T.float64),
                                    T.tensor([0] * 4), 0, T.qint32)
        return q.int_repr(), q, qc.int_repr()

    same(fn, warns=False)


@pytest.mark.parametrize("zp", [-5, -1, 0, 1])
def test_qint32_dequantize_wraps_around(zp):
    def fn(T):
        x = T.tensor([1e6, -1e6, 0.5, -2.0] * 3)
        q = T.quantize_per_tensor(x, 1e-6, zp, T.qint32)
        return q.int_repr(), q.dequantize(), q

    same(fn, warns=False)


@pytest.mark.parametrize("sdt", ["float64", "float32", "float16"])
@pytest.mark.parametrize("zdt", ["float32", "float64", "int64", "int32"])
@pytest.mark.parametrize("n", [0, 2])
def test_per_channel_qparams_dtypes(sdt, zdt, n):
    def fn(T):
        q = T.quantize_per_channel(T.ones(n, 3), T.full((n,), 0.5, dtype=getattr(T, sdt)),
                                   T.zeros(n, dtype=getattr(T, zdt)), 0, T.quint8)
        return q, q.q_per_channel_scales(), q.q_per_channel_zero_points(), q.dequantize()

    same(fn, warns=False)


@pytest.mark.parametrize("sdt", ["float64", "float32"])
def test_per_channel_dequantize_of_large_qint32(sdt):
    def fn(T):
        x = T.tensor([[-110367.609375, 29.151830673217773, 1e6]] * 2)
        q = T.quantize_per_channel(x, T.tensor([0.001, 0.001], dtype=getattr(T, sdt)),
                                   T.tensor([-4, 0]), 0, T.qint32)
        return q.int_repr(), q.dequantize().tolist()

    same(fn, warns=False)
