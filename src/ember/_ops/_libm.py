"""The C library's float32 ``logf`` and ``log1pf`` (GNU libc on x86-64), element for element.

Some of PyTorch's CPU kernels are scalar loops that call the C library's float functions:
``binary_cross_entropy`` (forward: ``log`` and ``log1p`` of the probabilities), ``xlogy``.
GNU libc's float ``logf`` and ``log1pf`` are not correctly rounded, so NumPy's float64 result
rounded once to float32 differs from them in a few inputs in a hundred (about 1% for
``logf``, 7% for ``log1pf`` on uniform inputs in (0, 1)), and a seeded training run with
``nn.BCELoss`` drifts from PyTorch's printed losses within a few steps.

Both are reproduced here from the algorithms GNU libc documents in its sources (learnt from
them, written anew):

- ``logf`` (libc 2.28 and later): ``x = 2**k * z`` with ``z`` in [0.7, 1.4); the top bits of
  ``z``'s mantissa pick one of 16 centres ``c``, and ``log x = k ln2 + log c + log1p(r)``,
  ``r = z/c - 1`` computed as ``z * (1/c) - 1`` with one rounding (a fused multiply-add: the
  x86-64 library picks its FMA build on processors that have one), ``log1p(r)`` by a cubic
  in float64, the sum rounded once to float32.  The 16 ``(1/c, log c)`` pairs and the cubic's
  coefficients are that library's published data (numbers, not code).
- ``log1pf`` (libc before 2.41, the Sun fdlibm float routine): all float32 arithmetic, one
  rounding per operation: ``1 + x = 2**k (1 + f)`` with a correction term for the rounding of
  ``1 + x``, ``log1p = k ln2 + f - (f*f/2 - s (f*f/2 + R(s*s)))`` with ``s = f / (2 + f)`` and
  ``R`` a degree-7 polynomial (published coefficients).  From libc 2.41 ``log1pf`` is
  correctly rounded, which the float64 result rounded once is too.

Checked element by element against the C library (``ctypes``) on 2**20 random inputs of
several ranges (tests/test_train_parity_layers.py keeps a small sample).  Elsewhere (another
C library, or a float type other than float32) :func:`logf`/:func:`log1pf` round NumPy's
float64 result once.
"""
from __future__ import annotations

import functools
import platform

import numpy as np

_F32, _F64 = np.float32, np.float64
_U32 = np.uint32


@functools.lru_cache(maxsize=None)
def _glibc():
    """GNU libc's (major, minor) version, or None for another C library."""
    try:
        name, ver = platform.libc_ver()
    except Exception:  # pragma: no cover - (unusual platforms)
        return None
    if name != "glibc" or not ver:
        return None
    try:
        return tuple(int(v) for v in ver.split(".")[:2])
    except ValueError:  # pragma: no cover
        return None


def emulated_logf() -> bool:
    v = _glibc()
    return v is not None and v >= (2, 28) and platform.machine().lower() in ("x86_64", "amd64")


def emulated_log1pf() -> bool:
    v = _glibc()
    return v is not None and v < (2, 41) and platform.machine().lower() in ("x86_64", "amd64")


def _hex(s):
    return float.fromhex(s)


# (1/c, log c) for the 16 subintervals of [0x3f330000, 2 * that) as libc tabulates them
_INVC = np.array([_hex(h) for h in (
    "0x1.661ec79f8f3bep+0", "0x1.571ed4aaf883dp+0", "0x1.49539f0f010bp+0",
    "0x1.3c995b0b80385p+0", "0x1.30d190c8864a5p+0", "0x1.25e227b0b8eap+0",
    "0x1.1bb4a4a1a343fp+0", "0x1.12358f08ae5bap+0", "0x1.0953f419900a7p+0", "0x1p+0",
    "0x1.e608cfd9a47acp-1", "0x1.ca4b31f026aap-1", "0x1.b2036576afce6p-1",
    "0x1.9c2d163a1aa2dp-1", "0x1.886e6037841edp-1", "0x1.767dcf5534862p-1")], _F64)
_LOGC = np.array([_hex(h) for h in (
    "-0x1.57bf7808caadep-2", "-0x1.2bef0a7c06ddbp-2", "-0x1.01eae7f513a67p-2",
    "-0x1.b31d8a68224e9p-3", "-0x1.6574f0ac07758p-3", "-0x1.1aa2bc79c81p-3",
    "-0x1.a4e76ce8c0e5ep-4", "-0x1.1973c5a611cccp-4", "-0x1.252f438e10c1ep-5", "0x0p+0",
    "0x1.aa5aa5df25984p-5", "0x1.c5e53aa362eb4p-4", "0x1.526e57720db08p-3",
    "0x1.bc2860d22477p-3", "0x1.1058bc8a07ee1p-2", "0x1.4043057b6ee09p-2")], _F64)
_LN2 = _F64(_hex("0x1.62e42fefa39efp-1"))
_A0, _A1, _A2 = (_F64(_hex(h)) for h in (
    "-0x1.00ea348b88334p-2", "0x1.5575b0be00b6ap-2", "-0x1.ffffef20a4123p-2"))
# 1/c split into a head of 29 significant bits and the rest: z (24 bits) times either part
# is exact in float64, which gives z * (1/c) - 1 with the single rounding of a fused
# multiply-add (z * head - 1 is exact: z * head lies in [0.5, 2])
_INVC_HI = (_INVC.view(np.uint64) & np.uint64(~((1 << 24) - 1) & (2 ** 64 - 1))).view(_F64)
_INVC_LO = _INVC - _INVC_HI


def _fma_r(z, i):
    return (z * _INVC_HI[i] - 1.0) + z * _INVC_LO[i]


_BLOCK = 8192  # elements computed at once: the temporaries stay in cache, and small enough
# that the allocator reuses them instead of mapping fresh pages (~3x faster for 50k elements)


def _c32(x):
    """``x`` as a C-contiguous float32 array of its own shape (a 0-d one stays 0-d)."""
    x = np.asarray(x, _F32)
    return x if x.flags.c_contiguous else x.copy()


def _blocks(fn, x):
    if x.size <= _BLOCK:
        return fn(x.reshape(-1)).reshape(x.shape)
    flat = x.reshape(-1)
    out = np.empty(flat.shape, _F32)
    for s in range(0, flat.size, _BLOCK):
        out[s:s + _BLOCK] = fn(flat[s:s + _BLOCK])
    return out.reshape(x.shape)


def _c_float(x, modelled, model, numpy_fn):
    """``model`` (a C library routine written in NumPy) of the float32 array ``x`` in blocks,
    or ``numpy_fn`` in float64 rounded once where ``modelled()`` says that library is not
    the one running here (or its routine is correctly rounded)."""
    x = _c32(x)
    if not modelled():
        with np.errstate(all="ignore"):
            return numpy_fn(x, dtype=_F64).astype(_F32)
    return _blocks(model, x)


def logf(x) -> np.ndarray:
    """The C library's ``logf`` of a float32 array."""
    return _c_float(x, emulated_logf, _logf, np.log)


def _logf(x):
    ix = x.view(_U32)
    # zero, subnormal, negative, inf, nan (unsigned: ix - 2**23 wraps below 2**23)
    special = (ix - _U32(0x00800000)) >= _U32(0x7F800000 - 0x00800000)
    any_special = bool(special.any())
    if any_special:
        sub = (ix > 0) & (ix < 0x00800000)
        if sub.any():  # subnormal: scaled into the normal range, the scale taken off k
            with np.errstate(all="ignore"):
                scaled = (x * _F32(2.0 ** 23)).view(_U32) - _U32(23 << 23)
            ix = np.where(sub, scaled, ix)
    tmp = ix - _U32(0x3F330000)  # (wraps as the C unsigned arithmetic does)
    i = ((tmp >> 19) & _U32(15)).astype(np.intp)  # (take() is slow with other index types)
    k = tmp.view(np.int32) >> 23  # (an arithmetic shift)
    z = (ix - (tmp & _U32(0xFF800000))).view(_F32).astype(_F64)
    r = z * _INVC_HI.take(i)
    r -= 1.0
    r += z * _INVC_LO.take(i)
    y0 = k * _LN2
    y0 += _LOGC.take(i)
    r2 = r * r
    y = _A1 * r
    y += _A2
    y += _A0 * r2
    y *= r2
    y0 += r
    y += y0
    out = y.astype(_F32)
    out[ix == 0x3F800000] = 0
    if any_special:
        with np.errstate(all="ignore"):
            ref = np.log(x, dtype=_F64).astype(_F32)  # (the IEEE answers: -inf, inf, nan)
        keep = special & ~((ix > 0) & (ix < 0x00800000))
        out[keep] = ref[keep]
    return out


_LN2_HI, _LN2_LO = _F32(6.9313812256e-01), _F32(9.0580006145e-06)
_LP = [_F32(v) for v in (6.6666668653e-01, 4.0000000596e-01, 2.8571429849e-01,
                         2.2222198546e-01, 1.8183572590e-01, 1.5313838422e-01,
                         1.4798198640e-01)]


def log1pf(x) -> np.ndarray:
    """The C library's ``log1pf`` of a float32 array."""
    return _c_float(x, emulated_log1pf, _log1pf, np.log1p)


def _log1pf(x):
    one = _F32(1)
    with np.errstate(all="ignore"):
        hx = x.view(np.int32)
        ax = hx & np.int32(0x7FFFFFFF)
        # -0.2929 < x < 0.41422: log1p(x) = log(1 + f) with f = x itself (k = 0)
        small_k = (hx < 0x3ED413D7) & ((hx > 0) | (hx <= np.int32(0xBE95F61F - (1 << 32))))
        u = x + one
        hu = u.view(np.int32)
        k = hu >> 23
        k -= 127
        # the correction term for 1 + x's rounding, over u
        c = np.where(k > 0, one - (u - x), x - (u - one))
        c /= u
        m = hu & np.int32(0x007FFFFF)
        low = m < 0x3504F7  # (else u is halved and k goes up one)
        # rare inputs, computed below by the whole routine: |x| < 2**-29, x <= -1, 1 + x
        # rounding to x, inf or nan, and a u that is a power of two after normalising
        rare = (ax < 0x31000000) | (hx >= 0x5A000000) | (hx < 0) & (ax >= 0x3F800000)
        rare |= np.where(low, m == 0, m > 0x7FFFFC) & ~small_k
        k += ~low
        m |= np.int32(0x3F000000)
        m += low.view(np.int8).astype(np.int32) << 23
        f = m.view(_F32) - one
        np.copyto(f, x, where=small_k)
        np.copyto(k, 0, where=small_k)
        c *= k != 0  # (glibc's k = 0 formula has no correction term)
        kf = k.astype(_F32)
        hfsq = _F32(0.5) * f
        hfsq *= f
        s = f + _F32(2)
        np.divide(f, s, out=s)
        z = s * s
        p = _LP[6] * z
        for coef in _LP[5:0:-1]:
            p += coef
            p *= z
        p += _LP[0]
        p *= z  # R
        p += hfsq
        p *= s  # s * (hfsq + R)
        c += kf * _LN2_LO
        p += c
        np.subtract(hfsq, p, out=p)
        p -= f
        kf *= _LN2_HI
        out = np.subtract(kf, p, out=kf)
    if rare.any():
        out[rare] = _log1pf_all(x[rare])
    return out


def _log1pf_all(x):
    """:func:`log1pf` with every branch of the routine (for the rare inputs)."""
    one, half = _F32(1), _F32(0.5)
    with np.errstate(all="ignore"):
        hx = x.view(np.int32)
        ax = hx & np.int32(0x7FFFFFFF)
        # -0.2929 < x < 0.41422: log1p(x) = log(1 + f) with f = x itself (k = 0)
        small_k = (hx < 0x3ED413D7) & ((hx > 0) | (hx <= np.int32(0xBE95F61F - (1 << 32))))
        u = one + x
        hu = u.view(np.int32)
        big = hx >= 0x5A000000  # (1 + x rounds to x: no correction term)
        any_big = bool(big.any())
        if any_big:
            hu = np.where(big, hx, hu)
        k = (hu >> 23) - 127
        c = np.where(k > 0, one - (u - x), x - (u - one))
        c /= u
        if any_big:
            c[big] = 0
        hu = hu & np.int32(0x007FFFFF)
        low = hu < 0x3504F7
        um = (hu | np.where(low, np.int32(0x3F800000), np.int32(0x3F000000))).view(_F32)
        k += ~low
        hu = np.where(low, hu, (0x00800000 - hu) >> 2)
        f = um - one
        if small_k.any():
            f[small_k] = x[small_k]
            k[small_k] = 0
            hu[small_k] = 1
            c[small_k] = 0
        kf = k.astype(_F32)
        k0 = k == 0
        hfsq = half * f * f
        s = f / (_F32(2) + f)
        z = s * s
        p = _LP[6] * z
        for coef in _LP[5:0:-1]:
            p += coef
            p *= z
        p += _LP[0]
        p *= z  # R
        klo_c = kf * _LN2_LO
        klo_c += c
        p += hfsq
        p *= s  # s * (hfsq + R)
        out = np.where(k0, f - (hfsq - p), kf * _LN2_HI - ((hfsq - (p + klo_c)) - f))
        tiny = hu == 0
        if tiny.any():  # |f| < 2**-20 (u a power of two after normalising)
            ft, kt, ct = f[tiny], kf[tiny], klo_c[tiny]
            tr = hfsq[tiny] * (one - _F32(0.66666666666666666) * ft)
            val = np.where(kt == 0, ft - tr, kt * _LN2_HI - ((tr - ct) - ft))
            val = np.where(ft == 0, np.where(kt == 0, _F32(0), kt * _LN2_HI + ct), val)
            out[tiny] = val
        near0 = ax < 0x31000000
        if near0.any():  # |x| < 2**-29: x - x*x/2, or x itself below 2**-54
            xs = x[near0]
            out[near0] = np.where(ax[near0] < 0x24800000, xs, xs - xs * xs * half)
        bad = (hx >= 0x7F800000) | (ax >= 0x3F800000) & (hx < 0) | (ax > 0x7F800000)
        if bad.any():  # (-1: -inf; below -1 or nan: nan; +inf: inf)
            out[bad] = np.log1p(x[bad], dtype=_F64).astype(_F32)
    return out.astype(_F32, copy=False)


_INVLN2 = _F32(1.4426950216e+00)
_Q = [_F32(v) for v in (-3.3333335072e-02, 1.5873016091e-03, -7.9365076090e-05,
                        4.0082177293e-06, -2.0109921195e-07)]


def expm1f(x) -> np.ndarray:
    """The C library's ``expm1f`` of a float32 array (fdlibm's float routine, in the same
    libraries as ``log1pf``'s)."""
    return _c_float(x, emulated_log1pf, _expm1f, np.expm1)


def _expm1f(x):
    """fdlibm's float ``expm1``: x = k ln2 + r (hi - lo, with a correction term c for the
    rounding of that difference), expm1(r) by a rational form in r*r/2, then scaled by 2**k
    through the exponent bits; every operation a float32 rounding."""
    one, half, two = _F32(1), _F32(0.5), _F32(2)
    with np.errstate(all="ignore"):
        bits = x.view(np.int32)
        hx = bits & np.int32(0x7FFFFFFF)
        neg = bits < 0
        # argument reduction (|x| > ln2/2): k = +-1 up to 1.5 ln2, else k = round(x / ln2)
        near = hx < 0x3F851592
        kf_far = _INVLN2 * x + np.where(neg, -half, half)
        k = np.where(near, np.where(neg, -1, 1), kf_far.astype(np.int32)).astype(np.int32)
        t = k.astype(_F32)
        hi = np.where(near, x - np.where(neg, -_LN2_HI, _LN2_HI), x - t * _LN2_HI)
        lo = np.where(near, np.where(neg, -_LN2_LO, _LN2_LO), t * _LN2_LO)
        xr = hi - lo
        c = (hi - xr) - lo
        reduced = hx > 0x3EB17218
        xr = np.where(reduced, xr, x)
        c = np.where(reduced, c, _F32(0))
        k = np.where(reduced, k, 0).astype(np.int32)
        # expm1 of the reduced argument
        hfx = half * xr
        hxs = xr * hfx
        p = hxs * _Q[4]
        for q in _Q[3::-1]:
            p += q
            p *= hxs
        r1 = one + p
        t = _F32(3) - r1 * hfx
        e = hxs * ((r1 - t) / (_F32(6) - xr * t))
        out = xr - (xr * e - hxs)  # (k = 0)
        if reduced.any():
            e = xr * (e - c) - c
            e -= hxs
            res = np.where(xr < _F32(-0.25), -two * (e - (xr + half)), one + two * (xr - e))
            res = np.where(k == -1, half * (xr - e) - half, res)
            wide = (k <= -2) | (k > 56)
            y_wide = one - (e - xr)
            kk = np.clip(k, 0, 31)
            t_mid = (np.int32(0x3F800000) - (np.int32(0x1000000) >> kk)).view(_F32)
            y_mid = t_mid - (e - xr)
            t_big = ((np.int32(0x7F) - k) << 23).view(_F32)
            y_big = (xr - (e + t_big)) + one
            y = np.where(wide, y_wide, np.where(k < 23, y_mid, y_big))
            y = (y.view(np.int32) + (k << 23)).view(_F32)
            y = np.where(wide, y - one, y)
            res = np.where((k == -1) | (k == 1), res, y)
            out = np.where(k != 0, res, out)
        # |x| < 2**-25: x itself; |x| >= 27 ln2: -1 below, overflow above 88.72; inf, nan
        out = np.where(hx < 0x33000000, x, out)
        big = hx >= 0x4195B844
        if big.any():
            out = np.where(big & neg, _F32(-1), out)
            over = (hx >= 0x42B17218) & ~neg & (x > _F32(8.8721679688e+01))
            out = np.where(over | (hx >= 0x7F800000), np.expm1(x), out)
    return out.astype(_F32, copy=False)


def tanhf(x) -> np.ndarray:
    """The C library's ``tanhf`` of a float32 array (fdlibm's float routine, as expm1f)."""
    return _c_float(x, emulated_log1pf, _tanhf, np.tanh)


def _tanhf(x):
    """fdlibm's float ``tanh`` over ``expm1f``: 1 - 2 / (expm1(2|x|) + 2) from |x| = 1,
    -expm1(-2|x|) / (expm1(-2|x|) + 2) below, the sign put back; +-1 from |x| = 22."""
    one, two = _F32(1), _F32(2)
    with np.errstate(all="ignore"):
        bits = x.view(np.int32)
        ix = bits & np.int32(0x7FFFFFFF)
        ax = np.abs(x)
        upper = ix >= 0x3F800000
        t = _expm1f(np.where(upper, two * ax, -two * ax))
        z = np.where(upper, one - two / (t + two), -t / (t + two))
        z = np.where(ix >= 0x41B00000, one, z)
        out = np.where(bits < 0, -z, z)
        out = np.where(ix < 0x24000000, x * (one + x), out)  # (+-0 stays itself)
        out = np.where(ix >= 0x7F800000, np.tanh(x), out)
    return out.astype(_F32, copy=False)


# NOTE: PyTorch's float32 ``asinh`` and ``acosh`` on the CPU are scalar loops over the C
# library's ``asinhf`` and ``acoshf`` (gdb).  Before libc 2.41 these are Sun fdlibm's float
# routines over ``logf`` and ``log1pf``, all in float32 with one rounding per operation
# (a = |x|):
#
#     asinh:  a < 2**-14: x;  a <= 2: log1p(a + a*a / (1 + sqrt(1 + a*a)));
#             a <= 2**14: log(2a + 1 / (sqrt(a*a + 1) + a));  else log(a) + ln2;  sign of x
#     acosh:  x < 1: NaN;  x <= 2: log1p(t + sqrt(2t + t*t)), t = x - 1;
#             x < 2**28: log(2x - 1 / (x + sqrt(x*x - 1)));  else log(x) + ln2
#
# (ln2 as a float32, 0.6931472).  Later libcs round these correctly, as NumPy's float64
# result rounded once does.
_LN2F = _F32(6.9314718246e-01)


def asinhf(x) -> np.ndarray:
    """The C library's ``asinhf`` of a float32 array."""
    return _c_float(x, emulated_log1pf, _asinhf, np.arcsinh)


def _asinhf(x):
    one = _F32(1)
    with np.errstate(all="ignore"):
        ix = x.view(np.int32) & np.int32(0x7FFFFFFF)
        a = np.abs(x)
        t = a * a
        w = _log1pf(a + t / (one + np.sqrt(one + t)))
        big = ix > 0x40000000
        if big.any():
            ab = a[big]
            mid = _logf(_F32(2) * ab + one / (np.sqrt(ab * ab + one) + ab))
            w[big] = np.where(ix[big] > 0x47000000, _logf(ab) + _LN2F, mid)
        w = np.copysign(w, x)
        w = np.where(ix < 0x38000000, x, w)
        w = np.where(ix >= 0x7F800000, x + x, w)
    return w.astype(_F32, copy=False)


def acoshf(x) -> np.ndarray:
    """The C library's ``acoshf`` of a float32 array."""
    return _c_float(x, emulated_log1pf, _acoshf, np.arccosh)


def _acoshf(x):
    one, two = _F32(1), _F32(2)
    with np.errstate(all="ignore"):
        hx = x.view(np.int32)
        t = x - one
        w = _log1pf(t + np.sqrt(two * t + t * t))
        big = hx > 0x40000000
        if big.any():
            xb = x[big]
            mid = _logf(two * xb - one / (xb + np.sqrt(xb * xb - one)))
            w[big] = np.where(hx[big] >= 0x4D800000, _logf(xb) + _LN2F, mid)
        w = np.where(hx == 0x3F800000, _F32(0), w)
        w = np.where(hx < 0x3F800000, (x - x) / (x - x), w)
        w = np.where(hx >= 0x7F800000, x + x, w)
    return w.astype(_F32, copy=False)


# NOTE: the C library's float32 ``sinhf`` and ``coshf`` (PyTorch's scalar loop tails for
# ``sinh``/``cosh``) are, before libc 2.41, fdlibm's float routines over ``expm1f`` and
# ``expf``, one float32 rounding per operation (a = |x|, e = expm1f(a), h = +-1/2):
#
#     sinh:  a < 2**-28: x;  a < 1: h (2e - e*e / (e + 1));  a < 22: h (e + e / (e + 1));
#            a < 88.72: h expf(a);  up to the overflow threshold: (h w) w, w = expf(a/2)
#     cosh:  a < 2**-55: 1;  a < ln2/2: 1 + e*e / (2 (1 + e));  a < 22: t/2 + (1/2)/t,
#            t = expf(a);  then as sinh, unsigned
def sinhf(x) -> np.ndarray:
    """The C library's ``sinhf`` of a float32 array."""
    return _c_float(x, emulated_log1pf, _sinhf, np.sinh)


def coshf(x) -> np.ndarray:
    """The C library's ``coshf`` of a float32 array."""
    return _c_float(x, emulated_log1pf, _coshf, np.cosh)


def _exp_big(a, h):
    """``h expf(a)`` below 0x42b17180 (bits), ``(h w) w`` with ``w = expf(a / 2)`` above."""
    from ._sleef import c_exp

    half = _F32(0.5)
    ix = a.view(np.int32)
    top = ix >= 0x42B17180
    w = c_exp(np.where(top, half * a, a))
    return np.where(top, (h * w) * w, h * w)


def _sinhf(x):
    one, two = _F32(1), _F32(2)
    with np.errstate(all="ignore"):
        ix = x.view(np.int32) & np.int32(0x7FFFFFFF)
        a = np.abs(x)
        h = np.where(x < 0, _F32(-0.5), _F32(0.5)).astype(_F32)
        t = _expm1f(np.minimum(a, _F32(22)))
        out = np.where(ix < 0x3F800000, h * (two * t - t * t / (t + one)),
                       h * (t + t / (t + one)))
        out = np.where(ix >= 0x41B00000, _exp_big(a, h), out)
        out = np.where(ix < 0x31800000, x, out)
        out = np.where(ix > 0x42B2D4FC, x * _F32(1e37), out)  # (inf, NaN: themselves)
    return out.astype(_F32, copy=False)


def _coshf(x):
    one, half = _F32(1), _F32(0.5)
    with np.errstate(all="ignore"):
        ix = x.view(np.int32) & np.int32(0x7FFFFFFF)
        a = np.abs(x)
        t = _expm1f(np.minimum(a, _F32(1)))
        w = one + t
        out = one + (t * t) / (w + w)
        from ._sleef import c_exp

        e = c_exp(np.minimum(a, _F32(22)))
        out = np.where(ix >= 0x3EB17218, half * e + half / e, out)
        out = np.where(ix >= 0x41B00000, _exp_big(a, half), out)
        out = np.where(ix < 0x24000000, one, out)
        out = np.where(ix > 0x42B2D4FC, a * _F32(1e37), out)  # (inf, NaN: themselves)
    return out.astype(_F32, copy=False)


def atanhf(x) -> np.ndarray:
    """The C library's ``atanhf`` of a float32 array (before libc 2.41: fdlibm's float routine
    over ``log1pf``, a = |x|: x below 2**-28; ``log1p(2a + 2a*a / (1 - a)) / 2`` below 1/2,
    ``log1p(2a / (1 - a)) / 2`` below 1; the sign of x)."""
    return _c_float(x, emulated_log1pf, _atanhf, np.arctanh)


def _atanhf(x):
    one, half = _F32(1), _F32(0.5)
    with np.errstate(all="ignore"):
        a = np.abs(x)
        t = a + a
        w = np.where(a < half, t + t * a / (one - a), t / (one - a))
        out = np.copysign(half * _log1pf(w), x)
        out = np.where(a < _F32(2.0 ** -28), x, out)
        out = np.where(a == one, x / _F32(0), out)
        out = np.where(a > one, (x - x) / (x - x), out)
    return out.astype(_F32, copy=False)


def log64(x) -> np.ndarray:
    """The C library's ``log`` of a float64 array, as PyTorch's scalar double loops take it
    (Python's ``math.log`` calls it; NumPy's SIMD loop rounds a few values in 10**4
    differently on processors with AVX-512)."""
    import math

    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        out = np.log(x, out=np.empty_like(x))  # (an array, 0-d ones too)
    ok = (x > 0) & (x < np.inf)
    if ok.any():
        v = x[ok]
        out[ok] = np.fromiter(map(math.log, v.tolist()), np.float64, count=v.size)
    return out


# -- the C library's sinf (libc 2.28 and later) ------------------------------------------------
# NOTE: PyTorch's scalar float loops (``sinc``, ``polygamma(1, x)`` below 1/2) call sinf, which
# is not correctly rounded: in float64, |x| < pi/4 directly; below 120 reduced by the nearest
# multiple n of pi/2 (n from x * 2/pi scaled by 2**24, truncated); beyond, by the integer
# product of x's mantissa with 4/pi to 192 bits; then an odd polynomial (sine) or an even one
# (cosine, negated in the second table) by the quadrant, rounded once to float32.  Fused
# multiply-adds as the library's FMA build contracts them.  The constants are the library's
# published data (numbers, not code).
_SC_HPI_INV = _hex("0x1.45F306DC9C883p+23")
_SC_HPI = _hex("0x1.921FB54442D18p0")
_SC_PI63 = _hex("0x1.921FB54442D18p-62")
_SC_C = [_hex(h) for h in ("0x1p0", "-0x1.ffffffd0c621cp-2", "0x1.55553e1068f19p-5",
                           "-0x1.6c087e89a359dp-10", "0x1.99343027bf8c3p-16")]
_SC_S = [_hex(h) for h in ("-0x1.555545995a603p-3", "0x1.1107605230bc4p-7",
                           "-0x1.994eb3774cf24p-13")]
_INV_PIO4 = np.array([
    0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e, 0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529,
    0x441529fc, 0x1529fc27, 0x29fc2757, 0xfc2757d1, 0x2757d1f5, 0x57d1f534, 0xd1f534dd,
    0xf534ddc0, 0x34ddc0db, 0xddc0db62, 0xc0db6295, 0xdb629599, 0x6295993c, 0x95993c43,
    0x993c4390, 0x3c439041], np.uint64)


def _sinf_poly(x, x2, n, neg_cos):
    """The library's polynomials: sine where ``n`` is even, (+-) cosine where odd."""
    from .._random import _fma64

    out = np.empty_like(x)
    odd = (n & 1) == 1
    ev = ~odd
    if ev.any():
        xe, x2e = x[ev], x2[ev]
        x3 = xe * x2e
        out[ev] = _fma64(x3 * x2e, _fma64(x2e, _SC_S[2], _SC_S[1]), _fma64(x3, _SC_S[0], xe))
    if odd.any():
        x2o = x2[odd]
        sg = np.where(neg_cos[odd], -1.0, 1.0)
        x4 = x2o * x2o
        c2 = _fma64(x2o, sg * _SC_C[4], sg * _SC_C[3])
        c1 = _fma64(x2o, sg * _SC_C[1], sg * _SC_C[0])
        out[odd] = _fma64(x4 * x2o, c2, _fma64(x4, sg * _SC_C[2], c1))
    return out


def sinf(y) -> np.ndarray:
    """The C library's ``sinf`` of a float32 array (GNU libc 2.28 and later)."""
    y = _c32(y)
    if _glibc() is None or _glibc() < (2, 28):
        with np.errstate(all="ignore"):
            return np.sin(y, dtype=_F64).astype(_F32)
    return _blocks(_sinf_flat, y)


def cosf(y) -> np.ndarray:
    """The C library's ``cosf`` of a float32 array (GNU libc 2.28 and later): ``sinf``'s
    reduction and polynomials with the other parity (and 1 below 2**-12)."""
    y = _c32(y)
    if _glibc() is None or _glibc() < (2, 28):
        with np.errstate(all="ignore"):
            return np.cos(y, dtype=_F64).astype(_F32)
    return _blocks(functools.partial(_sinf_flat, cos=True), y)


def _sinf_flat(y, cos=False):
    from .._random import _fma64

    with np.errstate(all="ignore"):
        x = y.astype(_F64)
        top = (y.view(_U32) >> 20) & 0x7FF
        # below 120: x - n pi/2
        r = x * _SC_HPI_INV
        ri = np.where(np.abs(r) < 2.0 ** 31, r, 0).astype(np.int32)
        n = (ri + np.int32(0x800000)) >> 24
        xr = _fma64(-n.astype(_F64), _SC_HPI, x)
        # from 120: the 4/pi product
        xi = y.view(_U32).astype(np.uint64)
        k = ((xi >> np.uint64(26)) & np.uint64(15)).astype(np.intp)
        m = ((xi & np.uint64(0xFFFFFF)) | np.uint64(0x800000)) << ((xi >> np.uint64(23)) &
                                                                    np.uint64(7))
        m32 = np.uint64(0xFFFFFFFF)
        res0 = (m * _INV_PIO4[k]) & m32
        res1 = m * _INV_PIO4[k + 4]
        res2 = m * _INV_PIO4[k + 8]
        res0 = ((res2 >> np.uint64(32)) | (res0 << np.uint64(32))) + res1
        nl = (res0 + np.uint64(1 << 61)) >> np.uint64(62)
        res0 = res0 - (nl << np.uint64(62))
        xl = res0.view(np.int64).astype(_F64) * _SC_PI63
        q = nl.astype(np.int32) + (xi >> np.uint64(31)).astype(np.int32)
        big = top >= 0x42F
        quad = np.where(big, q, n)
        xq = np.where(big, xl, xr)
        sign = np.where(((quad & 3) == 1) | ((quad & 3) == 2), -1.0, 1.0)
        small = top < 0x3F4
        out = _sinf_poly(np.where(small, x, xq * sign), np.where(small, x * x, xq * xq),
                         np.where(small, 0, np.where(big, nl.astype(np.int32), n)) ^ int(cos),
                         ~small & ((quad & 2) != 0))
        out = out.astype(_F32)
        out = np.where(top < 0x398, _F32(1) if cos else y, out)
        return np.where(top >= 0x7F8, y - y, out).astype(_F32, copy=False)


def c_double(fn, x, ok):
    """The C library's double function ``fn`` (one Python's ``math`` calls) of the float64
    array ``x`` where the bool array ``ok`` holds (others: NaN, for the caller to fill)."""
    import math  # noqa: F401  (fn is one of its functions)

    x = np.asarray(x, np.float64)
    out = np.full(x.shape, np.nan)
    if ok.any():
        v = x[ok]
        out[ok] = np.fromiter(map(fn, v.tolist()), np.float64, count=v.size)
    return out


def exp64(x):
    """The C library's ``exp`` of a float64 array (NumPy's where it overflows or is NaN;
    NumPy's alone beyond :data:`SCALAR_MAX` values, a loop's cost)."""
    import math
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        if x.size > SCALAR_MAX:
            return np.exp(x)
        ok = x < 709.78  # (math.exp raises where the result overflows)
        return np.where(ok, c_double(math.exp, x, ok), np.exp(x))


SCALAR_MAX = 1 << 12


def sinh64(x):
    """The C library's ``sinh`` of a float64 array (NumPy's where it overflows)."""
    import math
    with np.errstate(all="ignore"):
        return np.where(np.abs(x) < 710, c_double(math.sinh, x, np.abs(x) < 710), np.sinh(x))


def cosh64(x):
    """The C library's ``cosh`` of a float64 array (NumPy's where it overflows)."""
    import math
    with np.errstate(all="ignore"):
        return np.where(np.abs(x) < 710, c_double(math.cosh, x, np.abs(x) < 710), np.cosh(x))


def atanh64(x):
    """The C library's ``atanh`` of a float64 array (NumPy's at and beyond +-1)."""
    import math
    with np.errstate(all="ignore"):
        return np.where(np.abs(x) < 1, c_double(math.atanh, x, np.abs(x) < 1), np.arctanh(x))
