"""Bit-exact emulation of PyTorch's CPU random number generator, on NumPy.

:class:`CPUGenerator` reproduces ``at::CPUGeneratorImpl`` (PyTorch 2.13): the
same mt19937 engine, the same state layout as ``torch.get_rng_state()``, the
same Box-Muller cache, and the same per-dtype sampling kernels, so that for a
given seed and sequence of calls every value agrees with PyTorch bit for bit.

Everything works on flat NumPy arrays; nothing here imports the rest of ember.
The values of a call are returned in the order PyTorch's kernel writes them:
for a contiguous tensor that is the flat (C) order.  For a non-contiguous
tensor PyTorch's ``TensorIterator`` walks the elements in memory order (its
dimensions sorted by stride), so a caller filling a strided view must scatter
the returned values in that order, and pass ``contiguous=False`` to
:meth:`CPUGenerator.normal`.

Which compiled PyTorch kernel is emulated follows PyTorch's CPU capability
(AVX512/AVX2 versus DEFAULT), because the kernels round differently; what
each kernel does, and how many draws each call consumes, is written down in
the NOTE block at the end of this file.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
import platform
import threading
from ember import _dtype as _D
from ember._warnings import warn as _warn

import numpy as np

__all__ = [
    "CPUGenerator",
    "default_generator",
    "cpu_capability",
    "DEFAULT_SEED",
    "STATE_SIZE",
]

DEFAULT_SEED = 67280421310721  # what a fresh torch.Generator() is seeded with
STATE_SIZE = 5056  # sizeof(at::detail::CPUGeneratorImplState) on 64-bit Linux

_N = 624  # mt19937 state words
_U32 = np.uint32
_U64 = np.uint64
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_F16 = np.dtype(np.float16)
_BOOL = np.dtype(np.bool_)
# bfloat16 (from ml_dtypes, imported on first use) joins these tables when it is loaded.
_FLOATS = [_F16, _F32, _F64]
_HALVES = [_F16]  # computed in float and rounded
_WIDE_UNSIGNED = tuple(np.dtype(t) for t in (np.uint16, np.uint32, np.uint64))
_INTS = tuple(np.dtype(t) for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)) + \
    _WIDE_UNSIGNED  # (PyTorch samples these only with bounds: randint, random_(from, to))
_DIGITS = {_F16: 11, _F32: 24, _F64: 53}  # std::numeric_limits<T>::digits
_TORCH_NAME = {  # how PyTorch spells the dtype in its messages
    _F16: "c10::Half", _F32: "float", _F64: "double",
    np.dtype(np.uint8): "unsigned char", np.dtype(np.int8): "signed char",
    np.dtype(np.int16): "short int", np.dtype(np.int32): "int",
    np.dtype(np.int64): "long int", _BOOL: "bool", np.dtype(np.uint16): "short unsigned int",
    np.dtype(np.uint32): "unsigned int", np.dtype(np.uint64): "long unsigned int",
}
_SCALAR_NAME = {  # c10::ScalarType names, as in "... not implemented for 'Int'"
    _F16: "Half", _F32: "Float", _F64: "Double",
    np.dtype(np.uint8): "Byte", np.dtype(np.int8): "Char", np.dtype(np.int16): "Short",
    np.dtype(np.int32): "Int", np.dtype(np.int64): "Long", _BOOL: "Bool",
    np.dtype(np.uint16): "UInt16", np.dtype(np.uint32): "UInt32", np.dtype(np.uint64): "UInt64",
}


def _add_bfloat16(bf16: np.dtype) -> None:
    if bf16 not in _FLOATS:
        _FLOATS.insert(1, bf16)
        _HALVES.append(bf16)
    _DIGITS[bf16] = 8
    _TORCH_NAME[bf16] = "c10::BFloat16"
    _SCALAR_NAME[bf16] = "BFloat16"


_D.on_bfloat16_np(_add_bfloat16)


def _finfo(dt: np.dtype):
    if dt.name == "bfloat16":
        import ml_dtypes

        return ml_dtypes.finfo(dt)
    return np.finfo(dt)


_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_MASK64 = (1 << 64) - 1
# randint/random_(from, to) switches to 64-bit draws from this range on (measured
# on 2.13: 2**28 - 1 uses one 32-bit draw per element, 2**28 uses random64()).
_RANDOM64_RANGE = 1 << 28
# randperm switches to the "inside-out" shuffle with random64() from this n on.
_RANDPERM_SMALL_N = 0xFFFFFFFF // 20


# --------------------------------------------------------------------------
# CPU capability (which compiled kernel PyTorch's dispatcher would pick)
# --------------------------------------------------------------------------

_CHUNK = 1 << 16  # elements per chunk of a large normal fill (a multiple of 16)

def _cpu_flags():
    from ._cpuinfo import first
    flags = first("flags")
    return None if flags is None else set(flags.split())


def cpu_capability() -> str:
    """The ATen CPU capability PyTorch would use here: ``'avx512'``, ``'avx2'``
    or ``'default'`` (``torch.backends.cpu.get_cpu_capability()`` lower-cased).

    Like ``compute_cpu_capability()`` in ATen's DispatchStub.cpp: the
    ``ATEN_CPU_CAPABILITY`` environment variable wins when it names a known
    capability; otherwise AVX512 needs avx512vl+bw+dq+fma, AVX2 needs avx2+fma.
    """
    x86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")
    env = os.environ.get("ATEN_CPU_CAPABILITY")
    if env is not None:
        if x86 and env in ("avx512", "avx2"):
            return env
        if env == "default":
            return "default"
        _warn(f"ignoring invalid value for ATEN_CPU_CAPABILITY: {env}", stacklevel=2)
    if not x86:
        return "default"
    flags = _cpu_flags()
    if flags is None:  # not Linux: every x86-64 CPU of the last decade has AVX2+FMA
        return "avx2"
    if {"avx512vl", "avx512bw", "avx512dq", "fma"} <= flags:
        return "avx512"
    if {"avx2", "fma"} <= flags:
        return "avx2"
    return "default"


# --------------------------------------------------------------------------
# mt19937 helpers
# --------------------------------------------------------------------------

_RAW32 = []


def _raw32_ok() -> bool:
    """Whether NumPy's full-range uint32 ``integers`` returns the raw mt19937 outputs, as
    ``random_raw`` does (its bounded-integer code takes ``next_uint32`` as it is for the
    range 2**32): then it is used, writing 32-bit words without random_raw's 64-bit
    temporary (~20% faster).  Checked once, on a stream that crosses a twist."""
    if not _RAW32:
        bg = np.random.MT19937(12345)
        st = bg.state
        want = bg.random_raw(1500)
        pos = bg.state["state"]["pos"]
        bg.state = st
        got = np.random.Generator(bg).integers(0, 1 << 32, size=1500, dtype=_U32)
        _RAW32.append(bool(np.array_equal(want, got)) and bg.state["state"]["pos"] == pos)
    return _RAW32[0]


def _init_genrand(seed32: int) -> np.ndarray:
    key = np.empty(_N, dtype=_U32)
    s = seed32 & 0xFFFFFFFF
    key[0] = s
    for i in range(1, _N):
        s = (1812433253 * (s ^ (s >> 30)) + i) & 0xFFFFFFFF
        key[i] = s
    return key


def _temper(y: np.ndarray) -> np.ndarray:
    y = y.astype(_U32, copy=True)
    y ^= y >> _U32(11)
    y ^= (y << _U32(7)) & _U32(0x9D2C5680)
    y ^= (y << _U32(15)) & _U32(0xEFC60000)
    y ^= y >> _U32(18)
    return y


# --------------------------------------------------------------------------
# exact floating-point building blocks
# --------------------------------------------------------------------------

def _two_sum_err(a, b, s):
    """Rounding error of s = fl(a + b) (Knuth's TwoSum), elementwise float64."""
    bb = s - a
    return (a - (s - bb)) + (b - bb)


def _round_odd_fix(s, err):
    """Turn the round-to-nearest sum s (with exact error err) into round-to-odd."""
    s, err = np.asarray(s, np.float64), np.asarray(err, np.float64)
    bits = s.view(np.int64)
    with np.errstate(invalid="ignore"):
        fix = np.abs(err) > 0  # (err is NaN where s is not finite)
    fix &= (bits & 1) == 0
    if not fix.any():
        return s
    # one step toward err (s is nonzero where err is): the bits as an integer count up in
    # magnitude, so +1 where err has s's sign, -1 where not
    up = fix & ((bits ^ err.view(np.int64)) >= 0)
    fix ^= up
    return (bits + (up.view(np.int8) - fix.view(np.int8))).view(np.float64)


def _fma32(a, b, c):
    """Correctly rounded float32 fused multiply-add (a*b+c), elementwise.

    The float64 product of two float32 is exact and the float64 sum is rounded to
    nearest; only a sum landing exactly on a float32 halfway point (or in float32's
    subnormal range) could then round twice, so just those are redone round-to-odd
    before the one rounding to float32.
    Large inputs go through in blocks whose float64 temporaries stay in the cache.
    """
    a, b, c = (v if type(v) is np.ndarray and v.dtype == _F32 else np.asarray(v, _F32)
               for v in (a, b, c))
    shapes = {v.shape for v in (a, b, c) if v.ndim}
    if len(shapes) == 1:  # (the usual case, and no broadcasting to pay for)
        shape = shapes.pop()
        n = a.size if a.ndim else b.size if b.ndim else c.size
        a, b, c = (v.reshape(-1) if v.ndim else v for v in (a, b, c))
    else:
        shape = np.broadcast_shapes(a.shape, b.shape, c.shape)
        n = 1
        for d in shape:
            n *= d
        a, b, c = (np.broadcast_to(v, shape).reshape(-1) if v.ndim else v for v in (a, b, c))
    if n <= _FMA_BLOCK:
        return _fma32_flat(a, b, c).reshape(shape)
    out = np.empty(n, _F32)
    for s in range(0, n, _FMA_BLOCK):
        e = min(n, s + _FMA_BLOCK)
        out[s:e] = _fma32_flat(*(v[s:e] if v.ndim else v for v in (a, b, c)))
    return out.reshape(shape)


_FMA_BLOCK = 1 << 15  # elements: float64 temporaries of 256 KiB


def _fma32_flat(a, b, c):
    # (each operand widened once: NumPy's mixed-type loops cast in small buffers, slowly)
    if a.ndim:
        p = a.astype(_F64)
        p *= b.astype(_F64) if b.ndim else np.float64(b)
    else:
        p = np.multiply(b.astype(_F64) if b.ndim else np.float64(b), np.float64(a))
    p = np.atleast_1d(p)  # exact: 24 + 24 bits
    with np.errstate(invalid="ignore", over="ignore"):
        s = np.add(p, c.astype(_F64) if c.ndim else np.float64(c)).reshape(-1)
        # Only a double that sits exactly on a float32 halfway point (low 29
        # mantissa bits 1000...0), or one in float32's subnormal range, can
        # round differently from the exact sum; fix just those.
        bits = s.view(np.int64)
        maybe = (bits & 0x1FFFFFFF) == 0x10000000
        r = s.astype(_F32)
        # (|r| <= 2**-125 wherever 0 < |s| < 2**-125: two cheap checks rule out most blocks)
        if not maybe.any() and not (np.abs(r) <= _TINY32).any():
            return r
        # |s| in (0, 2**-125): an exact zero (common: zero gradients) needs no fix
        mag = bits & 0x7FFFFFFFFFFFFFFF
        mag -= 1
        maybe |= mag.view(np.uint64) < _TINY_BITS
        if maybe.any():
            idx = np.nonzero(maybe)[0]
            ss = s[idx]
            pp = np.broadcast_to(p, s.shape)[idx] if p.ndim else p.reshape(1)
            cc = (np.broadcast_to(c, s.shape)[idx] if c.ndim else c.reshape(1)).astype(_F64)
            s[idx] = _round_odd_fix(ss, _two_sum_err(pp, cc, ss))
        return s.astype(_F32)


def _uniform_sum_exact(rng, flo) -> bool:
    """Whether ``x * rng + flo`` is exact in float64 for every uniform ``x = k * 2**-24``
    (``0 <= k < 2**24``) and the float32 ``rng`` and ``flo``; its float32 rounding is then
    the correctly rounded ``fma(x, rng, flo)``, with no double rounding to fix.

    Proof: ``x * rng`` is a multiple of 2**(lsb(rng) - 24) and ``flo`` of 2**lsb(flo)
    (lsb: the exponent of the lowest set bit), so their sum is a multiple of 2**L, L the
    smaller; its magnitude is below ``|rng| + |flo|``.  A multiple of 2**L below 2**(L + 53)
    has at most 53 significant bits: a float64 (L >= -173 here, far above float64's
    subnormals).  ``k * (rng * 2**-24)`` is the exact product too (24 + 24 bits).  The
    float64 sum ``|rng| + |flo|`` rounds monotonically, so ``<`` on it is safe.
    """
    r, f = float(rng), float(flo)
    if not (math.isfinite(r) and math.isfinite(f)):
        return False
    lows = []
    for v, shift in ((r, 24), (f, 0)):
        if v:
            num, den = abs(v).as_integer_ratio()
            lows.append((num & -num).bit_length() - den.bit_length() - shift)
    if not lows:
        return True
    return abs(r) + abs(f) < math.ldexp(1.0, min(lows) + 53)


_TINY_BITS = np.uint64(np.array(2.0 ** -125).view(np.int64) - 1)  # (bits of 2**-125) - 1
_TINY32 = np.float32(2.0 ** -125)


def _fma32_into(a, b, c, out, w1, w2):
    """``out[...] = fma(a, b, c)`` exactly as :func:`_fma32` rounds it, for 1-D float32
    arrays of one size, ``out`` apart from the others, where every product ``a*b`` is >= 0
    or NaN (a square, as in the second moments of Adam and RMSprop); ``w1`` and ``w2`` are
    float64 scratch of that size.  No memory is allocated unless a sum needs a fix.

    With ``c >= 0`` as well (one minimum; False for NaN), a float64 sum can round twice only
    where it is halfway between two float32 (:func:`_fma32_flat`'s test) or where its float32
    lies in (0, 2**-125]: a sum that rounds to zero is below 2**-149, so ``c`` is zero and
    the sum is the exact product.  Both are screened for without temporaries; halfway sums
    are redone round-to-odd as :func:`_fma32_flat` redoes them, and where a float32 lies in
    (0, 2**-125] :func:`_fma32_flat` computes the whole array.
    Call it inside ``np.errstate(invalid="ignore", over="ignore")``.
    """
    if c.min() >= 0:
        np.copyto(w1, a)
        np.copyto(w2, b)
        np.multiply(w1, w2, out=w1)  # exact: 24 + 24 bits
        np.copyto(w2, c)
        np.add(w1, w2, out=w1)
        np.copyto(out, w1, casting="unsafe")
        # float32 bits - 1 (unsigned): +0 wraps to the top, (0, 2**-125] is below 2**24
        scratch = w2.view(np.uint32)[:out.size]
        np.subtract(out.view(np.uint32), 1, out=scratch)
        if scratch.min() >= 0x01000000:
            scratch = w2.view(np.int64)
            np.bitwise_and(w1.view(np.int64), 0x1FFFFFFF, out=scratch)
            halfway = scratch == 0x10000000
            if halfway.any():  # (more common than chance: short gradients, sums from zero)
                idx = np.nonzero(halfway)[0]
                ss = w1[idx]
                pp = a[idx].astype(_F64) * b[idx].astype(_F64)
                out[idx] = _round_odd_fix(ss, _two_sum_err(pp, c[idx].astype(_F64), ss))
            return out
    out[...] = _fma32_flat(a, b, c)
    return out


_SPLIT = 134217729.0  # 2**27 + 1 (Veltkamp)


def _fma64_core(a, b, c):
    t = _SPLIT * b
    bh = t - (t - b)
    return _fma64_split(a, b, bh, b - bh, c)


def _fma64_split(a, b, bh, bl, c):
    """:func:`_fma64_core` with ``b`` already split into halves ``bh + bl`` (Veltkamp)."""
    ph = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    pl = ((ah * bh - ph) + ah * bl + al * bh) + al * bl
    th = c + ph
    tl = _two_sum_err(c, ph, th)
    v = tl + pl
    v = _round_odd_fix(v, _two_sum_err(tl, pl, v))
    r = th + v
    if not r.all():  # an exact zero takes IEEE's sign (-0.0 + -0.0 is -0.0), as ``th`` has it
        r = np.where(r == 0, th, r)
    return r


def _fma64(a, b, c):
    """Correctly rounded float64 fused multiply-add, elementwise.

    Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved
    algorithms using rounding to odd" (IEEE TC 2008): exact product by
    Dekker's TwoProduct, exact TwoSum, one round-to-odd add, one final add.
    Operands whose product would overflow or underflow the splitting are
    rescaled by powers of two first (exact).
    """
    a, b, c = (v if type(v) is np.ndarray and v.dtype == _F64 else np.asarray(v, _F64)
               for v in (a, b, c))
    if _within(a, 2.0 ** 500, 2.0 ** -450) and _within(b, 2.0 ** 500, 2.0 ** -450) and \
            _within(c, 2.0 ** 1000, 0.0):
        # (all finite, no rescaling needed: the core alone, as below)
        with np.errstate(invalid="ignore", over="ignore", under="ignore"):
            out = _fma64_core(a, b, c)
        if np.isfinite(out).all():
            return np.asarray(out)
    a, b, c = np.broadcast_arrays(a, b, c)
    shape = a.shape
    a, b, c = a.reshape(-1), b.reshape(-1), c.reshape(-1)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        out = _fma64_core(a, b, c)
        aa, ab = np.abs(a), np.abs(b)
        fin = np.isfinite(a) & np.isfinite(b) & np.isfinite(c)
        odd = fin & ((aa > 2.0 ** 500) | (ab > 2.0 ** 500) | (np.abs(c) > 2.0 ** 1000)
                     | (((aa < 2.0 ** -450) | (ab < 2.0 ** -450)) & (aa * ab != 0)))
        if odd.any():
            idx = np.nonzero(odd)
            ma, ea = np.frexp(a[idx])
            mb, eb = np.frexp(b[idx])
            e = ea + eb
            cs = np.ldexp(c[idx], -e)
            r = np.ldexp(_fma64_core(ma, mb, cs), e)
            out[idx] = np.where(np.isfinite(cs), r, c[idx])  # c dwarfs a*b
        bad = ~np.isfinite(out) & fin
        if bad.any():  # a true overflow: the plain expression gives the same inf
            out = np.where(bad, a * b + c, out)
        nonfin = ~fin
        if nonfin.any():
            out = np.where(nonfin, a * b + c, out)
    return out.reshape(shape)


def _fma64_horner(u, t, coefs):
    """``u = fma(u, t, c)`` for each ``c`` of ``coefs`` in turn, each step rounded as
    :func:`_fma64` rounds it (Horner's scheme: ``t`` is checked and split once)."""
    t = t if type(t) is np.ndarray and t.dtype == _F64 else np.asarray(t, _F64)
    if not _within(t, 2.0 ** 500, 2.0 ** -450):
        for c in coefs:
            u = _fma64(u, t, c)
        return u
    with np.errstate(over="ignore", invalid="ignore"):
        h = _SPLIT * t
        th = h - (h - t)
        tl = t - th
    for c in coefs:
        u = u if type(u) is np.ndarray and u.dtype == _F64 else np.asarray(u, _F64)
        c = c if type(c) is np.ndarray and c.dtype == _F64 else np.asarray(c, _F64)
        if _within(u, 2.0 ** 500, 2.0 ** -450) and _within(c, 2.0 ** 1000, 0.0):
            with np.errstate(invalid="ignore", over="ignore", under="ignore"):
                out = _fma64_split(u, t, th, tl, c)
            if np.isfinite(out).all():
                u = np.asarray(out)
                continue
        u = _fma64(u, t, c)
    return u


def _within(v, hi, lo):
    """Whether every element of the float64 array ``v`` is finite, at most ``hi`` in magnitude
    and either zero or at least ``lo`` (NaN: False)."""
    if v.ndim == 0:
        m = abs(float(v))
        return m <= hi and (m >= lo or m == 0)
    if v.size == 0:
        return True
    top, bottom = v.max(), v.min()
    if not (top <= hi and -bottom <= hi):
        return False
    if not lo or bottom >= lo or top <= -lo:
        return True
    m = np.abs(v)
    return not np.count_nonzero((m < lo) & (m != 0))


def _muladd64(x, std, mean, fused):
    """x*std+mean in double, as PyTorch's kernel computes it (FMA or not)."""
    x = np.asarray(x, _F64)
    if std == 1.0:
        return x + mean
    if not fused:
        return x * std + mean
    if mean == 0.0 and math.copysign(1.0, mean) > 0:
        return x * std + 0.0
    return _fma64(x, std, mean)


def _to_dtype(x64: np.ndarray, dt: np.dtype) -> np.ndarray:
    """static_cast<scalar_t>(double): Half/BFloat16 are built from a float."""
    if dt == _F64:
        return x64
    with np.errstate(over="ignore", invalid="ignore"):
        x32 = x64.astype(_F32)
        return x32 if dt == _F32 else _from_f32(x32, dt)


def _from_f32(x32: np.ndarray, dt: np.dtype) -> np.ndarray:
    """static_cast<scalar_t>(float) for Half/BFloat16: c10::BFloat16's constructor makes
    every NaN the positive quiet 0x7FC0 (ml_dtypes keeps the sign)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = x32.astype(dt)
    if dt.name == "bfloat16":
        nan = np.isnan(x32)
        if nan.any():
            out.view(np.uint16)[nan] = 0x7FC0
    return out


# --------------------------------------------------------------------------
# the C math library PyTorch calls
# --------------------------------------------------------------------------

def _map64(fn, x):
    """Apply a libm double function (through Python's math module, which calls
    the same libm PyTorch links against) elementwise."""
    x = np.asarray(x, _F64)
    return np.fromiter(map(fn, x.ravel().tolist()), dtype=_F64, count=x.size).reshape(x.shape)


def _safe_log(v):
    return math.log(v) if v > 0.0 else (-math.inf if v == 0.0 else math.nan)


class _LibmF32:
    """logf/sinf/cosf of the C library (used by the DEFAULT-capability kernels)."""

    def __init__(self):
        self.ok = False
        name = ctypes.util.find_library("m")
        try:
            lib = ctypes.CDLL(name if name else "libm.so.6")
            fns = {}
            for fname in ("logf", "sinf", "cosf"):
                f = getattr(lib, fname)
                f.restype = ctypes.c_float
                f.argtypes = [ctypes.c_float]
                fns[fname] = f
        except (OSError, AttributeError):
            return
        self.logf, self.sinf, self.cosf = fns["logf"], fns["sinf"], fns["cosf"]
        self.ok = True

    def apply(self, fname, x):
        x = np.asarray(x, _F32)
        if not self.ok:  # approximation: correctly rounded, glibc is not always
            x64 = x.astype(_F64)
            return {"logf": np.log, "sinf": np.sin, "cosf": np.cos}[fname](x64).astype(_F32)
        f = getattr(self, fname)
        return np.fromiter(map(f, x.ravel().tolist()), dtype=_F32, count=x.size).reshape(x.shape)


_libm_f32 = None


def _libmf():
    global _libm_f32
    if _libm_f32 is None:
        _libm_f32 = _LibmF32()
    return _libm_f32


# --------------------------------------------------------------------------
# avx_mathfun.h (log256_ps, sincos256_ps) as compiled into PyTorch's AVX2 kernel
# --------------------------------------------------------------------------
# GCC contracts a multiply whose only use is an add into an FMA (the AVX2
# kernels are built with -mfma and GCC's default -ffp-contract=fast); which
# pairs fuse follows GCC's statement order.  Verified on 2**21 samples.

def _c32(v):
    return np.float32(v)


_LOG_P = [_c32(v) for v in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
    1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
    3.3333331174e-1)]
_LOG_Q1 = _c32(-2.12194440e-4)
_LOG_Q2 = _c32(0.693359375)
_SQRTHF = _c32(0.707106781186547524)
_MIN_NORM = np.array(0x00800000, _U32).view(_F32)
_DP = [_c32(-0.78515625), _c32(-2.4187564849853515625e-4), _c32(-3.77489497744594108e-8)]
_SINCOF = [_c32(-1.9515295891e-4), _c32(8.3321608736e-3), _c32(-1.6666654611e-1)]
_COSCOF = [_c32(2.443315711809948e-005), _c32(-1.388731625493765e-003),
           _c32(4.166664568298827e-002)]
_FOPI = _c32(1.27323954473516)
_ONE = _c32(1.0)
_HALF = _c32(0.5)


def _log256_ps(x):
    x = np.asarray(x, _F32)
    invalid = x <= 0
    x = np.maximum(x, _MIN_NORM)
    bits = x.view(_U32)
    e = ((bits >> _U32(23)).astype(np.int32) - 127).astype(_F32)
    x = ((bits & _U32(0x807FFFFF)) | _HALF.view(_U32)).view(_F32)
    e = e + _ONE
    mask = x < _SQRTHF
    tmp = np.where(mask, x, _c32(0.0))
    x = x - _ONE
    e = e - np.where(mask, _ONE, _c32(0.0))
    x = x + tmp
    z = x * x
    y = np.full_like(x, _LOG_P[0])
    for p in _LOG_P[1:]:
        y = _fma32(y, x, p)
    y = y * x
    y = _fma32(y, z, e * _LOG_Q1)
    y = y - z * _HALF
    x = x + y
    x = _fma32(e, _LOG_Q2, x)
    if invalid.any():
        x = np.where(invalid, np.float32(np.nan), x)
    return x


def _sincos256_ps(x):
    x = np.asarray(x, _F32)
    bits = x.view(_U32)
    sign_sin = bits & _U32(0x80000000)
    x = np.abs(x)
    y = x * _FOPI
    with np.errstate(invalid="ignore"):
        j = np.trunc(y).astype(np.int32)  # cvttps (inputs here are small)
    j = (j + 1) & ~1
    y = j.astype(_F32)
    swap_sin = (j & 4).astype(_U32) << _U32(29)
    poly_mask = (j & 2) == 0
    for d in _DP:
        x = _fma32(y, d, x)
    sign_cos = ((~(j - 2)) & 4).astype(_U32) << _U32(29)
    sign_sin = sign_sin ^ swap_sin
    z = x * x
    yc = _fma32(np.full_like(z, _COSCOF[0]), z, _COSCOF[1])
    yc = _fma32(yc, z, _COSCOF[2])
    yc = yc * z
    yc = _fma32(yc, z, -(z * _HALF))
    yc = yc + _ONE
    ys = _fma32(np.full_like(z, _SINCOF[0]), z, _SINCOF[1])
    ys = _fma32(ys, z, _SINCOF[2])
    ys = ys * z
    ys = _fma32(ys, x, x)
    s = np.where(poly_mask, ys, yc)
    c = np.where(poly_mask, yc, ys)
    s = (s.view(_U32) ^ sign_sin).view(_F32)
    c = (c.view(_U32) ^ sign_cos).view(_F32)
    return s, c


_TWO_PI_F = _c32(2.0 * math.pi)

# NOTE: the normal fill's own copies of log256_ps and sincos256_ps, for its inputs only:
# u1 = 1 - u and theta = float32(2pi) * u with u one of the 2**24 uniforms k * 2**-24.
# Every value is carried in float64 scratch and rounded to float32 after each step
# (``_round32``), with no check for the double rounding that :func:`_fma32` guards
# against.  That is proved by exhaustion, not by argument: over all 2**24 inputs each
# of the two returns the same bits as the general (exact) function above, which
# tests/test_random_speed.py checks.  They are about twice as fast.  Do not call them
# on other inputs; change them only together with that test.


def _round32(v64, buf32):
    """Round the float64 array to float32 precision in place (``buf32``: scratch)."""
    np.copyto(buf32, v64, casting="unsafe")
    np.copyto(v64, buf32)


def _log256_unit(u1):
    """:func:`_log256_ps` for ``u1 = 1 - k * 2**-24`` (float32, 0 <= k < 2**24)."""
    bits = u1.view(_U32)
    e = (bits >> _U32(23)).view(np.int32) - 126  # (the exponent + 1)
    m = bits & _U32(0x807FFFFF)
    m |= _HALF.view(_U32)
    x = m.view(_F32)  # the mantissa, in [0.5, 1)
    mask = x < _SQRTHF
    e -= mask
    n = x.size
    b32 = np.empty(n, _F32)
    x64 = x.astype(_F64)
    x64 -= 1.0  # exact, as in float32 (Sterbenz)
    x64 += np.where(mask, x, _c32(0.0))  # (2x - 1: exact in float32 too)
    z = x64 * x64
    _round32(z, b32)
    y = x64 * np.float64(_LOG_P[0])
    y += np.float64(_LOG_P[1])
    _round32(y, b32)
    for p in _LOG_P[2:]:
        y *= x64
        y += np.float64(p)
        _round32(y, b32)
    y *= x64
    _round32(y, b32)
    y *= z
    ef = e.astype(_F64)
    q = ef * np.float64(_LOG_Q1)
    _round32(q, b32)
    y += q
    _round32(y, b32)
    z *= 0.5
    y -= z
    _round32(y, b32)
    x64 += y
    _round32(x64, b32)
    ef *= np.float64(_LOG_Q2)
    x64 += ef
    np.copyto(b32, x64, casting="unsafe")
    return b32


def _sincos256_unit(x):
    """:func:`_sincos256_ps` for ``x = float32(2pi) * k * 2**-24`` (float32, 0 <= k < 2**24)."""
    n = x.size
    b32 = np.empty(n, _F32)
    j = (x * _FOPI).astype(np.int32)  # cvttps (x >= 0)
    j += 1
    j &= ~1
    yj = j.astype(_F64)
    swap_sin = (j & 4).view(_U32) << _U32(29)
    poly_mask = (j & 2) == 0
    x64 = x.astype(_F64)
    t = np.empty(n, _F64)
    for d in _DP:
        np.multiply(yj, np.float64(d), out=t)
        x64 += t
        _round32(x64, b32)
    j -= 2
    np.invert(j, out=j)
    j &= 4
    sign_cos = j.view(_U32) << _U32(29)
    z = x64 * x64
    _round32(z, b32)
    yc = z * np.float64(_COSCOF[0])
    yc += np.float64(_COSCOF[1])
    _round32(yc, b32)
    yc *= z
    yc += np.float64(_COSCOF[2])
    _round32(yc, b32)
    yc *= z
    _round32(yc, b32)
    yc *= z
    np.multiply(z, -0.5, out=t)
    yc += t
    _round32(yc, b32)
    yc += 1.0
    ys = z * np.float64(_SINCOF[0])
    ys += np.float64(_SINCOF[1])
    _round32(ys, b32)
    ys *= z
    ys += np.float64(_SINCOF[2])
    _round32(ys, b32)
    ys *= z
    _round32(ys, b32)
    ys *= x64
    ys += x64
    s = np.where(poly_mask, ys, yc).astype(_F32)
    c = np.where(poly_mask, yc, ys).astype(_F32)
    s.view(_U32)[...] ^= swap_sin
    c.view(_U32)[...] ^= sign_cos
    return s, c


def _normal16_avx2(u, mean, std):
    """normal_fill_16_AVX2 on consecutive 16-blocks of float32 uniforms (each one of
    the 2**24 values ``k * 2**-24`` that :meth:`CPUGenerator._uniform01` draws)."""
    d = np.asarray(u, _F32).reshape(-1, 2, 8)
    u1 = _ONE - d[:, 0]
    u2 = d[:, 1]
    radius = np.sqrt(_c32(-2.0) * _log256_unit(u1.reshape(-1)).reshape(u1.shape))
    theta = _TWO_PI_F * u2
    s, c = _sincos256_unit(theta.reshape(-1))
    s, c = s.reshape(theta.shape), c.reshape(theta.shape)
    out = np.empty_like(d)
    m = _c32(mean)
    sd = _c32(std)
    if sd == 1:  # (randn) fma(a, 1, m) rounds the exact a + m once: float32's own add
        with np.errstate(over="ignore", invalid="ignore"):
            for half, trig in ((0, c), (1, s)):
                np.multiply(radius, trig, out=out[:, half])
                out[:, half] += m
        return out.reshape(-1)
    out[:, 0] = _fma32(radius * c, sd, m)
    out[:, 1] = _fma32(radius * s, sd, m)
    return out.reshape(-1)


def _normal16_scalar_f32(u, mean, std):
    """normal_fill_16<float> of the DEFAULT kernel: libm logf/cosf/sinf, theta
    rounded to float from a double product, and a correctly rounded fused
    ``* std + mean`` (measured: that build has no FMA contraction anywhere else,
    but this step rounds once)."""
    d = np.asarray(u, _F32).reshape(-1, 2, 8)
    lm = _libmf()
    u1 = _ONE - d[:, 0]
    u2 = d[:, 1]
    radius = np.sqrt(_c32(-2.0) * lm.apply("logf", u1))
    theta = ((2.0 * math.pi) * u2.astype(_F64)).astype(_F32)
    c = lm.apply("cosf", theta)
    s = lm.apply("sinf", theta)
    out = np.empty_like(d)
    m = _c32(mean)
    sd = _c32(std)
    out[:, 0] = _fma32(radius * c, sd, m)
    out[:, 1] = _fma32(radius * s, sd, m)
    return out.reshape(-1)


# --------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------

def _as_dtype(dtype, kernel=None) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind == "V" and dt.name == "bfloat16":
        _D.bfloat16.np  # noqa: B018  (loads it into the tables, for an array of the user's)
    if dt.kind == "c" and kernel is not None:  # PyTorch's refusal, named after its kernel
        name = "ComplexFloat" if dt.itemsize == 8 else "ComplexDouble"
        if kernel == "check_random_bounds":
            raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                               "boolean types")
        if kernel == "Cauchy":  # (this one names the C++ type)
            name = "c10::complex<float>" if dt.itemsize == 8 else "c10::complex<double>"
        if kernel in ("Exponential", "Cauchy"):
            raise RuntimeError(f"{kernel} distribution is a continuous probability "
                               f"distribution. dtype must be a floating point but you "
                               f"specified {name}")
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')
    if dt in _D._ODD_NP:  # float8 and shell dtypes: no kernels
        if kernel is None:
            return dt  # (the caller names its kernel)
        if kernel == "check_random_bounds":
            kernel = "random_update_from_to"
        _not_implemented(kernel, dt)
    if dt not in _FLOATS and dt not in _INTS and dt != _BOOL:
        raise TypeError(f"unsupported dtype for the CPU random kernels: {dt}")
    return dt


# set while a vmap (or jacfwd) with randomness='error' runs: any generator's draw is
# PyTorch's refusal, raised before the draw (ember.func._vmap sets it)
VMAP_RANDOMNESS_ERROR = [0]
# one dict per vmap with randomness='same' running: each generator's state before its first
# draw there, by id (the vmap puts them back before each call, so every call draws alike)
VMAP_SAME_WATCH: list = []
# one entry per vmap running, outermost first: a dict where its randomness is 'different'
# (set by ember.func._vmap), else None.  Where all are 'different', a normal sample is
# PyTorch's batched one: drawn once for the whole batch (its size 16 or more takes the
# vectorised fill), each batch element given its rows (see ``_vmap_batched``)
VMAP_DIFFERENT: list = []


def _vmap_batched(n, draw):
    """``draw(n)`` for the batch element running under nested 'different' vmaps, as
    PyTorch's batched draw of ``(batch, n)`` samples: the first element draws the whole
    batch's, the others take their rows of it."""
    levels = VMAP_DIFFERENT
    index, total = 0, 1
    for level in levels:
        index = index * level["size"] + level["i"]
        total *= level["size"]
    top = levels[0]
    key = top["j"]  # (the draw's place in the call: a generator made in ``func`` is new each call)
    top["j"] += 1
    if index == 0:
        top["cache"][key] = (n, draw(n * total))
    elif top["cache"].get(key, (None,))[0] != n:  # (a draw the first element did not make)
        return draw(n)
    return top["cache"][key][1][index * n:(index + 1) * n].copy()


def _count(n) -> int:
    n = int(n)
    if n < 0:
        raise ValueError(f"number of elements must be non-negative, got {n}")
    return n


class CPUGenerator:
    """PyTorch's CPU generator (``at::CPUGeneratorImpl``): mt19937 plus the
    cached second Box-Muller sample, with PyTorch's sampling kernels.

    ``capability`` selects which compiled PyTorch kernels to emulate
    (``'avx512'``, ``'avx2'`` or ``'default'``); by default it is what PyTorch
    would pick on this machine (see :func:`cpu_capability`), read once.
    """

    def __init__(self, seed: int = DEFAULT_SEED, capability: str | None = None):
        self._lock = threading.RLock()
        self._bitgen = np.random.MT19937(0)
        self._capability = capability
        self._key = np.zeros(_N, _U32)
        self._left = 1
        self._next = 0
        self._seed = 0
        self._next_double = None  # next_double_normal_sample_
        self._next_float = None  # next_float_normal_sample_ (no CPU kernel sets it)
        self.manual_seed(seed)

    # ---- configuration ---------------------------------------------------
    @property
    def capability(self) -> str:
        if self._capability is None:
            self._capability = cpu_capability()
        return self._capability

    @capability.setter
    def capability(self, value):
        if value is not None and value not in ("avx512", "avx2", "default"):
            raise ValueError(f"unknown CPU capability {value!r}")
        self._capability = value

    @property
    def _vec(self) -> bool:
        # normal_stub has no AVX512 kernel (REGISTER_NO_AVX512_DISPATCH); the
        # dispatcher falls back to the AVX2 one.  Every other kernel used here
        # is compiled from the same source for AVX2 and AVX512, and both are
        # built with FMA.
        return self.capability in ("avx2", "avx512")

    # ---- seeding -----------------------------------------------------------
    def manual_seed(self, seed) -> CPUGenerator:
        """Seed like ``torch.Generator.manual_seed``: any int in
        [-2**63, 2**64); negative seeds wrap modulo 2**64."""
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if seed < _INT64_MIN or seed > _MASK64:
            raise ValueError("Overflow when unpacking long long")
        seed &= _MASK64
        with self._lock:
            self._key = _init_genrand(seed)
            self._left = 1
            self._next = 0
            self._seed = seed
            self._next_double = None
            self._next_float = None
        return self

    def seed(self) -> int:
        """Seed from the OS entropy pool (like ``torch.seed()``) and return it."""
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    # ---- state -------------------------------------------------------------
    def get_state(self) -> np.ndarray:
        """The 5056-byte ``torch.get_rng_state()`` image of this generator."""
        with self._lock:
            buf = np.zeros(STATE_SIZE, np.uint8)
            buf[0:8] = np.array([self._seed], "<u8").view(np.uint8)
            buf[8:16] = np.array([self._left, 1], "<i4").view(np.uint8)  # left, seeded
            buf[16:24] = np.array([self._next], "<u8").view(np.uint8)
            buf[24:5016] = self._key.astype("<u8").view(np.uint8)
            if self._next_double is not None:
                buf[5024:5032] = np.array([self._next_double], "<f8").view(np.uint8)
                buf[5040:5044] = np.array([1], "<i4").view(np.uint8)
            if self._next_float is not None:
                buf[5048:5052] = np.array([self._next_float], "<f4").view(np.uint8)
                buf[5052] = 1
            return buf

    def set_state(self, state) -> None:
        """Load a ``torch.get_rng_state()`` image (validated like PyTorch)."""
        if isinstance(state, (bytes, bytearray, memoryview)):
            state = np.frombuffer(bytes(state), np.uint8)
        state = np.asarray(state)
        if state.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        flat = np.ascontiguousarray(state).reshape(-1)
        if flat.size != STATE_SIZE:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the "
                f"input RNG state size to be {flat.size}")
        seed = int(flat[0:8].view("<u8")[0])
        left, seeded = (int(v) for v in flat[8:16].view("<i4"))
        nxt = int(flat[16:24].view("<u8")[0]) & 0xFFFFFFFF
        if not (seeded != 0 and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        key = flat[24:5016].view("<u8").astype(_U32)  # uint64 -> uint32 truncates
        normal_y = float(flat[5024:5032].view("<f8")[0])
        normal_valid = int(flat[5040:5044].view("<i4")[0]) != 0
        float_sample = float(flat[5048:5052].view("<f4")[0])
        float_valid = flat[5052] != 0
        with self._lock:
            self._key = key
            self._left = left
            self._next = nxt
            self._seed = seed
            self._next_double = normal_y if normal_valid else None
            self._next_float = float_sample if float_valid else None

    def clone(self) -> CPUGenerator:
        g = CPUGenerator.__new__(CPUGenerator)
        g._lock = threading.RLock()
        g._bitgen = np.random.MT19937(0)
        g._capability = self._capability
        with self._lock:
            g._key = self._key.copy()
            g._left, g._next, g._seed = self._left, self._next, self._seed
            g._next_double, g._next_float = self._next_double, self._next_float
        return g

    # ---- raw draws ---------------------------------------------------------
    def random_u32(self, n) -> np.ndarray:
        """The next n outputs of ``generator->random()``."""
        if VMAP_RANDOMNESS_ERROR[0]:
            from .func._vmap import _RANDOM_ERROR

            raise RuntimeError(_RANDOM_ERROR)
        for watch in VMAP_SAME_WATCH:
            if id(self) not in watch:
                watch[id(self)] = (self, self.get_state())
        n = _count(n)
        out = np.empty(n, _U32)
        with self._lock:
            done = 0
            avail = self._left - 1  # outputs left before the engine re-twists
            if avail > 0 and n > 0:
                k = min(avail, n)
                if self._next + k > _N:
                    raise RuntimeError("mt19937 state reads past its 624 words "
                                       "(PyTorch's behaviour here is undefined)")
                out[:k] = _temper(self._key[self._next:self._next + k])
                self._next += k
                self._left -= k
                done = k
            if done < n:
                bg = self._bitgen
                bg.state = {"bit_generator": "MT19937",
                            "state": {"key": self._key, "pos": _N}}
                # In chunks: no large temporary (random_raw returns 64-bit words).
                draw = np.random.Generator(bg).integers if n - done > 4096 and _raw32_ok() \
                    else None
                for s in range(done, n, _CHUNK * 16):
                    e = min(n, s + _CHUNK * 16)
                    if draw is not None:
                        out[s:e] = draw(0, 1 << 32, size=e - s, dtype=_U32)
                    else:  # (64-bit words)
                        out[s:e] = bg.random_raw(e - s)
                st = bg.state["state"]
                self._key = np.asarray(st["key"], _U32).copy()
                self._next = int(st["pos"])
                self._left = _N + 1 - self._next
        return out

    def random_u64(self, n) -> np.ndarray:
        """The next n outputs of ``generator->random64()``: (first << 32) | second."""
        n = _count(n)
        u = self.random_u32(2 * n).astype(_U64)
        return (u[0::2] << _U64(32)) | u[1::2]

    def _uniform01(self, n, digits):
        """uniform_real_distribution<T>(0, 1) values (float32 for digits <= 24)."""
        if digits == 53:
            v = self.random_u64(n) & _U64((1 << 53) - 1)
            return v.astype(_F64) * (2.0 ** -53)
        v = self.random_u32(n) & _U32((1 << digits) - 1)
        return v.astype(_F32) * _c32(2.0 ** -digits)

    # ---- uniform -----------------------------------------------------------
    def uniform(self, n, dtype=np.float32, low=0.0, high=1.0) -> np.ndarray:
        """``tensor.uniform_(low, high)`` / ``torch.rand`` for a floating dtype.

        double draws random64() (53 bits); float, half and bfloat16 draw one
        random() each and use 24 bits (half/bfloat16 are computed in float and
        rounded).  A value that rounds up to ``high`` is replaced by ``low``.
        """
        n = _count(n)
        dt = _as_dtype(dtype)
        if dt not in _FLOATS:
            _not_implemented("check_uniform_bounds", dt)
        low = float(low)
        high = float(high)
        fi = _finfo(dt)
        lo_lim, hi_lim = float(fi.min), float(fi.max)
        name = _TORCH_NAME[dt]
        if not (lo_lim <= low <= hi_lim):
            raise RuntimeError(f"from is out of bounds for {name}")
        if not (lo_lim <= high <= hi_lim):
            raise RuntimeError(f"to is out of bounds for {name}")
        if not low <= high:
            raise RuntimeError(
                "uniform_ expects to return a [from, to) range, but found "
                f"from={low:g} > to={high:g}")
        if not (high - low) <= hi_lim:
            raise RuntimeError(
                f"uniform_ expects to-from <= std::numeric_limits<{_SCALAR_NAME[dt]}>::max(), "
                f"but found to={high:g} and from={low:g} which result in to-from to exceed "
                "the limit")
        if n == 0:
            return np.empty(0, dt)
        fused = self._vec
        if dt == _F64:
            x = self._uniform01(n, 53)
            v = _muladd64(x, high - low, low, fused)
            return np.where(v >= high, low, v)
        raw = self.random_u32(n)
        flo, fhi = _c32(low), _c32(high)
        rng = fhi - flo
        out = np.empty(n, dt)
        exact = fused and _uniform_sum_exact(rng, flo)
        scale = float(rng) * 2.0 ** -24
        # NOTE: block by block, so that the half-dozen passes per value stay in the cache
        for s in range(0, n, _FMA_BLOCK):
            if exact:  # fma(x, rng, flo) with x = k * 2**-24: the float64 sum is exact
                w = (raw[s:s + _FMA_BLOCK] & _U32((1 << 24) - 1)).astype(_F64)
                w *= scale
                w += float(flo)
                v = w.astype(_F32)
            elif fused:
                x = (raw[s:s + _FMA_BLOCK] & _U32((1 << 24) - 1)).astype(_F32)
                x *= _c32(2.0 ** -24)
                v = _fma32(x, rng, flo)
            else:
                x = (raw[s:s + _FMA_BLOCK] & _U32((1 << 24) - 1)).astype(_F32)
                x *= _c32(2.0 ** -24)
                v = x * rng
                v += flo
            if dt == _F32:
                out[s:s + _FMA_BLOCK] = np.where(v >= fhi, flo, v)
                continue
            with np.errstate(over="ignore"):
                v = v.astype(dt)
            out[s:s + _FMA_BLOCK] = np.where(v >= fhi.astype(dt), flo.astype(dt), v)
        return out

    # ---- normal ------------------------------------------------------------
    def normal(self, n, dtype=np.float32, mean=0.0, std=1.0, contiguous=True) -> np.ndarray:
        """``tensor.normal_(mean, std)`` / ``torch.randn``.

        Contiguous tensors of 16 or more elements take PyTorch's vectorised
        Box-Muller fill (``normal_fill``); everything else takes the scalar
        ``normal_distribution<double>``, which caches its second sample.
        """
        if VMAP_DIFFERENT and all(VMAP_DIFFERENT):
            return _vmap_batched(_count(n), lambda m: self._normal_draw(
                m, dtype, mean, std, contiguous))
        return self._normal_draw(n, dtype, mean, std, contiguous)

    def _normal_draw(self, n, dtype, mean, std, contiguous):
        n = _count(n)
        dt = _as_dtype(dtype)
        if dt not in _FLOATS:
            _not_implemented("normal_kernel_cpu", dt)
        mean = float(mean)
        std = float(std)
        if not std >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        if n == 0:
            return np.empty(0, dt)
        with self._lock:
            if n >= 16 and contiguous:
                if dt == _F64:
                    return self._normal_fill_f64(n, mean, std)
                if dt == _F32:
                    return self._normal_fill_f32(n, mean, std)
                return self._normal_fill_reduced(n, dt, mean, std)
            return _to_dtype(self._normal_double(n, mean, std), dt)

    def _normal_block(self, u, mean, std):
        # NOTE: each 16-block is independent, so big fills go through in cache-sized chunks:
        # the same numbers, without gigabytes of float64 temporaries.
        fn = _normal16_avx2 if self._vec else _normal16_scalar_f32
        if len(u) <= _CHUNK:
            return fn(u, mean, std)
        out = np.empty(len(u), _F32)
        for s in range(0, len(u), _CHUNK):
            out[s:s + _CHUNK] = fn(u[s:s + _CHUNK], mean, std)
        return out

    def _normal_fill_f32(self, n, mean, std):
        # normal_fill / normal_fill_AVX2: n uniforms, 16-blocks in place, and
        # when n % 16 != 0 the last 16 are redrawn and recomputed.
        u = self._uniform01(n, 24)
        nb = (n // 16) * 16
        out = u
        out[:nb] = self._normal_block(u[:nb], mean, std)
        if n % 16:
            out[n - 16:] = self._normal_block(self._uniform01(16, 24), mean, std)
        return out

    def _normal_fill_reduced(self, n, dt, mean, std):
        # Half/BFloat16 (2.13): float work in 16-blocks, uniforms drawn only for
        # whole blocks, then one fresh block for the last 16 elements.
        nb = (n // 16) * 16
        out = np.empty(n, _F32)
        if nb:
            out[:nb] = self._normal_block(self._uniform01(nb, 24), mean, std)
        if n % 16:
            out[n - 16:] = self._normal_block(self._uniform01(16, 24), mean, std)
        return _from_f32(out, dt)

    def _normal_fill_f64(self, n, mean, std):
        u = self._uniform01(n, 53)
        nb = (n // 16) * 16
        out = u
        for s in range(0, nb, _CHUNK):
            e = min(nb, s + _CHUNK)
            out[s:e] = self._normal16_f64(u[s:e], mean, std)
        if n % 16:
            out[n - 16:] = self._normal16_f64(self._uniform01(16, 53), mean, std)
        return out

    @staticmethod
    def _normal16_f64(u, mean, std):
        d = u.reshape(-1, 2, 8)
        u1 = 1.0 - d[:, 0]
        u2 = d[:, 1]
        radius = np.sqrt(-2.0 * _map64(_safe_log, u1))
        theta = (2.0 * math.pi) * u2
        c = _map64(math.cos, theta)
        s = _map64(math.sin, theta)
        out = np.empty_like(d)
        # both builds evaluate ``radius * cos(theta) * std + mean`` fused here
        out[:, 0] = _muladd64(radius * c, std, mean, True)
        out[:, 1] = _muladd64(radius * s, std, mean, True)
        return out.reshape(-1)

    def _standard_normal_double(self, n):
        """n raw N(0,1) doubles from normal_distribution<double>, with its cache."""
        out = np.empty(n, _F64)
        i = 0
        if n and self._next_double is not None:
            out[0] = self._next_double
            self._next_double = None
            i = 1
        m = n - i
        if m:
            pairs = (m + 1) // 2
            u = self._uniform01(2 * pairs, 53)
            u1 = u[0::2]
            u2 = u[1::2]
            r = np.sqrt(-2.0 * _map64(math.log1p, -u2))
            theta = (2.0 * math.pi) * u1
            vals = np.empty(2 * pairs, _F64)
            vals[0::2] = r * _map64(math.cos, theta)
            vals[1::2] = r * _map64(math.sin, theta)
            out[i:] = vals[:m]
            if m % 2:
                self._next_double = float(vals[-1])
        return out

    def _normal_double(self, n, mean, std):
        return _muladd64(self._standard_normal_double(n), std, mean, self._vec)

    # ---- integers ----------------------------------------------------------
    def random_from_to(self, n, low, high, dtype=np.int64) -> np.ndarray:
        """``tensor.random_(low, high)`` / ``torch.randint(low, high)``.

        ``high=None`` is ``random_(low)``: [low, max of dtype] (2**digits for
        floating dtypes); ``low=-2**63, high=None`` is the full 64-bit range.
        """
        n = _count(n)
        dt = _as_dtype(dtype, "check_random_bounds")
        frm = int(low)
        with self._lock:
            if high is None:
                if frm == _INT64_MIN:
                    if dt in (_F16, _BOOL):
                        _not_implemented("random_full_64_bits_range_kernel_cpu", dt)
                    if dt not in (np.dtype(np.int64), _F64, _F32) and dt.name != "bfloat16":
                        raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only "
                                           "int64, double, float and bfloat16")
                    if n == 0:
                        return np.empty(0, dt)
                    return _int64_to(self.random_u64(n).view(np.int64), dt)
                if dt in _FLOATS:
                    to_inc = min(1 << _DIGITS[dt], _INT64_MAX)
                    frm = _update_from(frm, dt)
                    if not frm < to_inc:
                        raise RuntimeError(
                            "random_ expects 'from' casted to dtype to be less than or equal to "
                            f"'to_inc' casted to dtype, but got from={frm} > to_inc={to_inc}")
                elif dt == _BOOL:
                    to_inc = 1
                else:
                    to_inc = int(np.iinfo(dt).max)
                _check_from_to_in_range(frm, to_inc, dt)
                rng = (to_inc - frm + 1) & _MASK64
            else:
                to = int(high)
                if not frm < to:
                    raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                                       f"from={frm} >= to={to}")
                if dt in _FLOATS:
                    frm = _update_from(frm, dt)
                    to = _update_to(to, dt)
                    if not frm < to:
                        raise RuntimeError(
                            "random_ expects 'from' casted to dtype to be less than 'to' casted "
                            f"to dtype, but got from={frm} >= to={to}")
                _check_from_to_in_range(frm, to - 1, dt)
                rng = (to - frm) & _MASK64
            if n == 0:
                return np.empty(0, dt)
            if rng >= _RANDOM64_RANGE:
                v = self.random_u64(n)
            else:
                v = self.random_u32(n).astype(_U64)
            v = (v % _U64(rng) + _U64(frm & _MASK64)).view(np.int64)
            return _int64_to(v, dt)

    def random_full(self, n, dtype=np.int64) -> np.ndarray:
        """``tensor.random_()`` without bounds: [0, 2**mantissa] for floating
        dtypes, [0, max] for integers, {0, 1} (lowest bit) for bool."""
        n = _count(n)
        dt = _as_dtype(dtype, "random_kernel_cpu")
        if dt in _WIDE_UNSIGNED:
            _not_implemented("random_kernel_cpu", dt)
        if n == 0:
            return np.empty(0, dt)
        if dt == _F64 or dt == np.dtype(np.int64):
            v = self.random_u64(n)
        else:
            v = self.random_u32(n).astype(_U64)
        if dt == _BOOL:
            return (v & _U64(1)).astype(_BOOL)
        if dt in _FLOATS:
            v = v % _U64((1 << _DIGITS[dt]) + 1)
            return v.astype(_F64).astype(dt) if dt == _F64 else v.astype(_F32).astype(dt)
        return (v % _U64(int(np.iinfo(dt).max) + 1)).astype(dt)

    def randperm(self, n, dtype=np.int64) -> np.ndarray:
        """``torch.randperm(n)``: Fisher-Yates with random() % (n - i); from
        n >= 2**32 // 20 on, the inside-out shuffle with random64() % (i + 1)."""
        n = int(n)
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
        dt = _as_dtype(dtype, "randperm")
        if dt == _BOOL or dt in _WIDE_UNSIGNED:
            _not_implemented("randperm", dt)
        limit = {_F16: ("2049", 2049), _F32: ("2^24+1", 2**24 + 1),
                 _F64: ("2^53+1", 2**53 + 1)}.get(dt)
        if limit is not None and n > limit[1]:
            raise RuntimeError(f"n cannot be greater than {limit[0]} for {_SCALAR_NAME[dt]} type.")
        with self._lock:
            if n < _RANDPERM_SMALL_N:
                r = list(range(n))
                if n > 1:
                    z = self.random_u32(n - 1).astype(np.int64)
                    z %= np.arange(n, 1, -1, dtype=np.int64)
                    z += np.arange(n - 1, dtype=np.int64)
                    for i, j in enumerate(z.tolist()):
                        r[i], r[j] = r[j], r[i]
            else:  # pragma: no cover - needs ~2e8 Python-level steps
                r = [0] * n
                zs = self.random_u64(n)
                for i in range(n):
                    z = int(zs[i]) % (i + 1)
                    r[i] = r[z]
                    r[z] = i
        return _int64_to(np.array(r, dtype=np.int64), dt)

    # ---- other distributions ----------------------------------------------
    def _uniform_double(self, n):
        return self._uniform01(n, 53)

    def exponential(self, n, dtype=np.float32, lambd=1.0) -> np.ndarray:
        """``tensor.exponential_(lambd)``: one random64() per element,
        ``-1/lambd * log1p(-u)`` in double."""
        n = _count(n)
        dt = _as_dtype(dtype, "Exponential")
        lambd = float(lambd)
        if not lambd > 0.0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
        _continuous_only("Exponential", dt, _SCALAR_NAME[dt])
        with self._lock:
            u = self._uniform_double(n)
        return _to_dtype((-1.0 / lambd) * _map64(math.log1p, -u), dt)

    def geometric(self, n, dtype=np.float32, p=0.5) -> np.ndarray:
        """``tensor.geometric_(p)``: ``ceil(log(u) / log(1 - p))`` in double."""
        n = _count(n)
        dt = _as_dtype(dtype, "geometric_cpu")
        p = float(p)
        if not (0.0 < p < 1.0):
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
        if dt == _BOOL or dt in _WIDE_UNSIGNED:
            _not_implemented("geometric_cpu", dt)
        with self._lock:
            u = self._uniform_double(n)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.ceil(_map64(_safe_log, u) / math.log(1.0 - p))
        if dt in _FLOATS:
            return _to_dtype(v, dt)
        with np.errstate(invalid="ignore"):
            return v.astype(np.int64).astype(dt)

    def cauchy(self, n, dtype=np.float32, median=0.0, sigma=1.0) -> np.ndarray:
        """``tensor.cauchy_(median, sigma)``: ``median + sigma*tan(pi*(u-0.5))``."""
        n = _count(n)
        dt = _as_dtype(dtype, "Cauchy")
        sigma = float(sigma)
        if not sigma > 0.0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
        _continuous_only("Cauchy", dt, _TORCH_NAME[dt])
        with self._lock:
            u = self._uniform_double(n)
        t = _map64(math.tan, math.pi * (u - 0.5))
        return _to_dtype(_muladd64(t, sigma, float(median), self._vec), dt)

    def log_normal(self, n, dtype=np.float32, mean=1.0, std=2.0) -> np.ndarray:
        """``tensor.log_normal_(mean, std)``: ``exp`` of normal_distribution<double>
        (so it shares, and refills, the cached Box-Muller sample)."""
        n = _count(n)
        dt = _as_dtype(dtype, "log_normal_cpu")
        std = float(std)
        if not std > 0.0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
        if dt not in _FLOATS:
            _not_implemented("log_normal_cpu", dt)
        if n == 0:
            return np.empty(0, dt)
        with self._lock:
            x = self._normal_double(n, float(mean), std)
        return _to_dtype(_map64(_exp, x), dt)

    def bernoulli(self, n, p=0.5, dtype=np.float32) -> np.ndarray:
        """``tensor.bernoulli_(p)`` with a float p (what dropout uses): one
        random64() per element, ``u < p`` with a 53-bit uniform u, on every CPU
        vendor (see the NOTE at the end of this module)."""
        n = _count(n)
        dt = _as_dtype(dtype, "bernoulli_scalar_cpu_")
        if dt in _WIDE_UNSIGNED:
            _not_implemented("bernoulli_scalar_cpu_", dt)
        p = float(p)
        if not (0.0 <= p <= 1.0):
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
        with self._lock:
            u = self._uniform_double(n)
        return (u < p).astype(dt)

    def bernoulli_tensor(self, p, dtype=None) -> np.ndarray:
        """``torch.bernoulli(p)`` / ``tensor.bernoulli_(p_tensor)`` for an array
        of probabilities (flat, in iteration order): float64 p draws a 53-bit
        uniform (random64), any other floating p a 24-bit float uniform."""
        p = np.asarray(p)
        _as_dtype(p.dtype if dtype is None else dtype, "bernoulli_tensor_cpu_self_")
        if p.dtype not in _FLOATS:
            _not_implemented("bernoulli_tensor_cpu_p_", _as_dtype(p.dtype))
        dt = _as_dtype(p.dtype if dtype is None else dtype)
        flat = p.reshape(-1)
        with self._lock:
            if p.dtype == _F64:
                u = self._uniform01(flat.size, 53)
                out = u < flat
            else:
                u = self._uniform01(flat.size, 24)
                out = u < flat.astype(_F32)
        return out.astype(dt).reshape(p.shape)


def _exp(v):
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def _not_implemented(kernel, dt):
    name = _SCALAR_NAME.get(dt) or _D.scalar_name(_D.from_numpy_dtype(dt))  # (or float8...)
    raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


def _continuous_only(what, dt, name):
    if dt not in _FLOATS:
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {name}")


def _int64_to(v: np.ndarray, dt: np.dtype) -> np.ndarray:
    """static_cast<scalar_t>(int64_t) (Half/BFloat16 through float)."""
    if dt == _BOOL:
        return v != 0
    with np.errstate(over="ignore"):
        if dt in _HALVES:
            return v.astype(_F32).astype(dt)
        return v.astype(dt)


def _update_from(frm: int, dt: np.dtype) -> int:
    # The smallest int64 >= from that survives a round trip through dtype.
    frm_p1 = _roundtrip(frm + 1, dt)
    if frm_p1 < frm:
        n = abs(frm + 1).bit_length() - 1
        frm = frm_p1 + (1 << (n - _DIGITS[dt] + 1))
    return frm


def _update_to(to: int, dt: np.dtype) -> int:
    to_m1 = _roundtrip(to - 1, dt)
    if to_m1 >= to:
        n = abs(to - 1).bit_length() - 1
        to = to_m1 - (1 << (n - _DIGITS[dt] + 1))
    return to


def _roundtrip(v: int, dt: np.dtype) -> int:
    """static_cast<int64_t>(static_cast<scalar_t>(v)) for an int64 v."""
    x = np.array([v], np.int64)
    x = x.astype(_F64) if dt == _F64 else x.astype(_F32)
    if dt in _HALVES:
        with np.errstate(over="ignore"):
            x = x.astype(dt).astype(_F32)
    f = float(x[0])
    if not math.isfinite(f) or f >= 2.0 ** 63:
        return _INT64_MIN  # what x86 cvttsd2si gives for out-of-range values
    return int(f)


def _check_from_to_in_range(frm: int, to_inc: int, dt: np.dtype) -> None:
    name = _TORCH_NAME[dt]
    if dt in _FLOATS:
        fi = _finfo(dt)
        lo, hi = float(fi.min), float(fi.max)
        if not (lo <= frm <= hi):
            raise RuntimeError(f"from is out of bounds for {name}")
        if not (lo <= to_inc <= hi):
            raise RuntimeError(f"to - 1 is out of bounds for {name}")
        d = _DIGITS[dt]
        line_of = {"from": 110, "to - 1": 111}  # (the lines of PyTorch's two warnings)
        for var, what in ((frm, "from"), (to_inc, "to - 1")):
            if var < -(1 << d) or var > (1 << d):
                _warn(
                    f"{what} is out of bounds [-(2^{d}), 2^{d}]. Due to precision limitations "
                    f"{name} can support discrete uniform distribution only within this range. "
                    "This warning will become an error in version 1.7 release, please fix the "
                    "code in advance",
                    cpp=f"aten/src/ATen/native/DistributionTemplates.h:{line_of[what]}")
        return
    if dt == _BOOL:
        lo, hi = 0, 1
    else:
        info = np.iinfo(dt)
        lo, hi = int(info.min), int(info.max)
    if not (lo <= frm <= hi):
        raise RuntimeError(f"from is out of bounds for {name}")
    if not (lo <= to_inc <= hi):
        raise RuntimeError(f"to - 1 is out of bounds for {name}")


# PyTorch seeds its global CPU generator at startup with a non-deterministic
# 64-bit value (getDefaultCPUGenerator -> getNonDeterministicRandom, i.e.
# /dev/urandom); only a fresh torch.Generator() starts from DEFAULT_SEED.
default_generator = CPUGenerator(int.from_bytes(os.urandom(8), "little"))


# NOTE: what PyTorch 2.13's CPU generator does, measured against torch 2.13.0
# (AVX512 AMD EPYC, glibc 2.36; ATEN_CPU_CAPABILITY=avx2 and =default too).
#
# Engine.  mt19937 seeded by init_genrand(seed & 0xffffffff); the full 64-bit
# seed is kept for initial_seed().  torch.Generator() starts from seed
# 67280421310721, but the global default generator is seeded from
# /dev/urandom when the process starts (torch.initial_seed() differs per
# run).  A freshly seeded engine has left=1, next=0 and twists on its first
# draw.  random() is one tempered 32-bit output;
# random64() is (first << 32) | second.  manual_seed accepts [-2**63, 2**64)
# (negatives wrap), raises ValueError("Overflow when unpacking long long")
# outside, RuntimeError for bool/float, and clears both normal caches.
#
# State image (5056 bytes, little endian): u64 seed @0, i32 left @8,
# i32 seeded @12, u64 next @16, u64 state[624] @24 (the uint32 words
# widened), f64 normal_x @5016 (0), f64 normal_y @5024 (the cached double
# sample), f64 normal_rho @5032 (0), i32 normal_is_valid @5040, f32
# next_float_normal_sample @5048, u8 its valid flag @5052, padding zero.
# set_state: non-uint8 -> TypeError("RNG state must be a torch.ByteTensor");
# wrong size -> RuntimeError("Expected a CPUGeneratorImplState of size 5056
# but found the input RNG state size to be N"); seeded == 0, left outside
# (0, 624] or next > 624 -> RuntimeError("Invalid mt19937 state").
#
# uniform_/rand.  double: x = (random64() & (2**53-1)) * 2**-53; float, half,
# bfloat16: x = (random() & (2**24-1)) * 2**-24 in float (2.13 no longer uses
# 11/8 bits for half/bfloat16).  value = x * (to - from) + from with from, to
# cast to float (double for double), fused into one FMA in the AVX2/AVX512
# kernels and not fused in DEFAULT, then cast to the dtype; a result that
# reaches `to` (after the cast) is replaced by `from`.
#
# normal_/randn.  Float32 contiguous with numel >= 16: AVX2/AVX512 -> the
# AVX2 kernel (normal_stub is REGISTER_NO_AVX512_DISPATCH, so AVX512 falls
# back to it): draw numel float uniforms, run normal_fill_16_AVX2 on each
# whole 16-block (u1 = 1 - x[j], u2 = x[j+8], radius = sqrt(-2*log256_ps(u1)),
# theta = (float)(2*pi) * u2, sincos256_ps, out = fma(radius*cos|sin, std,
# mean)); if numel % 16 != 0 draw 16 more and recompute the last 16 outputs.
# log256_ps/sincos256_ps are avx_mathfun.h (cephes polynomials) and GCC fused
# their mul+add pairs into FMAs: every Horner step, y*z + e*q1 (as
# fma(y, z, e*q1)), e*q2 + x, the three DP reduction steps, y*z - z*0.5 in the
# cosine and y*x + x in the sine.  Emulated exactly (100% of 2**21 samples).
# DEFAULT: the scalar normal_fill_16<float> with libm logf/cosf/sinf, theta
# computed in double and rounded to float, `* std + mean` rounded once (a true
# fused multiply-add: checked on constructed double-rounding cases); this
# emulation calls the same libm functions through ctypes (slow but
# exact; without ctypes it falls back to correctly rounded values, which
# differ from glibc in rare last-bit cases).
# Half/bfloat16 contiguous numel >= 16: the float algorithm above on whole
# 16-blocks, uniforms drawn only for whole blocks, the last numel % 16 handled
# by one fresh 16-block written to the last 16 elements; results rounded to
# the dtype (16 * ceil(numel/16) draws).
# Double contiguous numel >= 16: normal_fill<double> with libm log/cos/sin
# (2 draws per uniform, same tail rule as float), `radius*cos(theta)*std +
# mean` fused in both AVX2 and DEFAULT builds.
# Everything else (numel < 16, non-contiguous, any dtype): per element
# normal_distribution<double>: if a cached sample exists use it (and clear
# it); else u1 = uniform53, u2 = uniform53 (random64 each), r =
# sqrt(-2*log1p(-u2)), theta = 2*pi*u1, cache r*sin(theta), return
# r*cos(theta); then value*std + mean (FMA in AVX2, not in DEFAULT), cast via
# float for half/bfloat16.  Draws: 4 per pair of outputs; an odd count leaves
# a cached sample that the next small-path call (or log_normal_) uses first.
# The vectorised paths neither read nor clear the cache.  numel == 0 draws
# nothing.
#
# randint/random_(from, to).  range = to - from (after update_from/update_to
# for floating dtypes); range >= 2**28 uses random64(), else random() (this
# threshold changed from 2**32; it applies to every dtype); value =
# (draw % range) + from, cast through int64 (via float for half/bfloat16).
# random_(from) = [from, max] (2**digits for floating dtypes); from = -2**63
# with no `to` = full 64-bit random64().  random_(): double and int64 take
# random64(), others random(); value % (max + 1) for integers (2**63 for
# int64), % (2**digits + 1) for floating dtypes, & 1 for bool.
#
# randperm(n): r = arange(n); for i < n-1: swap(r[i], r[i + random() % (n-i)])
# (n - 1 draws); from n >= (2**32-1)//20 the inside-out shuffle with
# random64() % (i + 1) (2n draws).
#
# exponential_(lambd): one random64() per element; -1/lambd * log1p(-u) in
# double (not log(1-u) any more), cast via float.  geometric_(p):
# ceil(log(u)/log(1-p)) in double.  cauchy_(median, sigma): median +
# sigma*tan(pi*(u-0.5)) in double.  log_normal_(mean, std):
# exp(normal_distribution<double>(mean, std)), sharing the Box-Muller cache.
#
# torch.normal(mean_tensor, std_tensor): allocates the broadcast output
# (mean's dtype, contiguous), fills it with normal_(0, 1) -- so the vectorised
# fill when it has >= 16 elements, the cached scalar path otherwise -- and then
# runs output.mul_(std).add_(mean) as two separate rounded tensor ops.
# normal(mean_tensor, float std): normal_(0, std) then add_(mean);
# normal(float mean, std_tensor): normal_(0, 1), mul_(std), add_(mean).
#
# bernoulli_(float p): one random64() per element, u53 < p, cast to the
# dtype; implemented as bernoulli().  Dropout (F.dropout / nn.Dropout,
# training, CPU) is mask = empty_like(x).bernoulli_(1 - p) and
# x * mask * float(1 / (1 - p)), checked bit for bit.  Older releases
# sampled bernoulli_(float) with MKL's MCG31 stream on Intel CPUs (seed = one
# random() draw); that path is gone: on an Intel Xeon with an MKL build (torch
# 2.11) the output and the draw count are exactly the random64 ones above, as
# on this AMD machine with 2.13.
# bernoulli_(p_tensor)/torch.bernoulli(p): p float64 -> u53 < p (random64);
# p float/half/bfloat16 -> float 24-bit uniform (one random()) < float(p);
# implemented as bernoulli_tensor().
#
# Draws consumed per call (32-bit engine outputs; random64() counts 2):
#   numel == 0                      every op: none (also no cache change)
#   rand/uniform_ float/half/bf16   numel
#   rand/uniform_ double            2*numel
#   randn/normal_ float32, >= 16, contiguous      numel + (16 if numel%16 else 0)
#   randn/normal_ half/bf16, >= 16, contiguous    16 * ceil(numel / 16)
#   randn/normal_ double, >= 16, contiguous       2 * (numel + (16 if numel%16 else 0))
#   randn/normal_ otherwise (any dtype): 4 * ceil(k / 2) where k is numel
#       minus 1 if a cached sample was pending; odd k leaves a new cached
#       sample (randn(1) from a fresh seed: 4 draws and a cache; the next
#       randn(1): 0 draws).
#   randint/random_(from, to)       numel, or 2*numel when range >= 2**28
#   random_()                       numel; 2*numel for int64 and double
#   randperm(n)                     n - 1 (n >= 1), 2n from (2**32-1)//20 on
#   exponential_/geometric_/cauchy_/bernoulli_(float p)   2*numel
#   bernoulli(p tensor)             numel (float p), 2*numel (double p)
#   log_normal_                     as the small normal path (shares cache)
