"""PyTorch's float32 ``sqrt``, ``exp``, ``log``, ``log2``, ``sin``, ``cos``, ``tan``, ``atan``,
``asin``, ``acos`` and ``tanh`` on the CPU, reproduced bit for bit in NumPy where we know how
(for the others see the notes above :func:`exp`, :func:`log`, :func:`log2`, :func:`sin`,
:func:`tan`, :func:`atan`, :func:`asin`, :func:`tanh`; the processor check is the same).
Where MKL's kernels read tables of MKL's own data (log2 of subnormals, tan beyond 10000, log10,
erf, erfc), ember does not copy them: those values are rounded from float64, within an ulp.

PyTorch builds with MKL take ``sqrt`` of float32 tensors from MKL's vector math library
(``vsSqrt``), for every size, layout, 0-d tensor, ``out=`` and in-place call, and for
``x ** 0.5``; it is not correctly rounded (about 16% of values differ from NumPy's by an
ulp).  Which MKL kernel runs depends on the processor.  On AMD processors MKL runs its
generic SSE2 kernel (seen with gdb: ``mkl_vml_kernel_sSqrt_EXHAynn``), the same kernel for
every accuracy mode, and that kernel is, per element, in float32 with each operation
rounded (no fused multiply-add)::

    y  = rsqrtps(x)                 # the processor's 12-bit 1/sqrt estimate
    s  = x * y;   h = y * 0.5
    t  = 0.5 - s * h
    s1 = s * t + s;   h1 = t * h + h
    r  = x - s1 * s1
    sqrt(x) = r * h1 + s1

Only normal x up to 0x7f7ff000 (bits) take that path; zero, subnormals, the largest
floats, infinities, NaNs and negatives go to a scalar path that is correctly rounded
(negatives give the positive quiet NaN).  ``rsqrtps`` is not specified bit for bit: its
estimate is a table in the processor.  On the AMD family 25 model 17 processor this was
measured on, the estimate for x = m * 4**k (m in [1, 4)) is estimate(m) * 2**-k, and
estimate(m) depends only on the exponent's parity and the top 12 fraction bits; it is a
multiple of 2**-13 within one unit of round(2**13 / sqrt(midpoint of its interval)).
``_TABLE`` holds those differences (-1, 0 or +1), measured with ``_mm_rsqrt_ps`` over all
2**24 values in [1, 4).  With it this module reproduced ``torch.sqrt`` on 10 million
random float32 values (uniform, log-uniform, all bit patterns) with no difference.

float64 ``sqrt`` is MKL's generic ``vdSqrt`` on the same processor (see :func:`_dsqrt`).

Elsewhere (Intel processors run other MKL kernels: AVX-512 ones refine ``vrsqrt14ps``
with fused multiply-adds; other AMD models may have other tables) we do not know the
bits, and :func:`sqrt` is NumPy's correctly rounded one.
"""
from __future__ import annotations

import base64
import bisect
import functools
import math
import struct
import threading
import zlib

import numpy as np

from .. import _cpuinfo

# -1/0/+1 (stored as 0/1/2, four to a byte, zlib-compressed): rsqrtps(m) * 2**13 minus
# round(2**13 / sqrt(centre of m's interval)), for index = (parity << 12) | top 12 fraction
# bits, where parity is 1 for m in [2, 4).
_TABLE = (
    "eNqNVMuO4zgM7Dn4vgbs/9kA0b0FmALkOw0o/2MB9t0GOl+5VaTcmcnMYtdpNllFUtaj5I8PkY9mIs+nyNzi2XDH"
    "uJPXMzoePxg9+Pe0NPwPL0xonYHB4PewH5nE5k5+iMcde+CTrulx3EaJQbx9JeeeRAyjfNb5caw+xGdNnJt8rilJ"
    "UNX1OI6/Y4w3kOEPdkOuokZQCxzreaioCP3QhYgSzXM9hhHxaFPQnCq5lxHj9TRBXZkdx4HNZ+F/94YzeIyE1+QF"
    "6CzAZEZ5e/KyLzA0V+WLURCN03rFxjdPTL7PmqSQy5K2vNQNYBq/l4yBzVLzYjzy09gH1KJHmQvLcuLMl4WbsAA0"
    "93S/0CuDaENYuPTX5BFf4br91/Na8/O5Ny7bIOS27fmw+I44k0vgHvBL842/24uTcVgp5jJhHQpCl+f2ZdjXr8JF"
    "whbmdrPSzDFyLOSG3bE3GwbA/nJHbQBywBsxapBvsfE2edm08swV/qv5IlOUy2dddf9D7LWrhjFAQZhzyjjjrNuy"
    "6Y5z3R97wXlRM5PIt4lfiRdH1Sla2xmDHKQ8y14wBF7Q+Ekaw1o8qPGsRIo010Pzfv41hPgJO8p+Ki1XpbHjbJja"
    "Nz/QcxXUcK6QeIXEsTXjmw2hIIeahN0mvpUTMXLmcUJDDFhLWiljxqNLd7XTA/ey5KYua5czaiFLYB177DE0NEZx"
    "35v09QGdju0aFMZ937ec/B+9hvv9/mIsFmm93L+6bV/0uAMaMac1G1cstrshejIX7hO56+xW048r0dVoa9t4In6Y"
    "vVCtxl0YddzzMPUBfOZI0Nqlxdy0R4/8+lPs+TDEOz+pjlcTgH2nMP32q7/9nLcqe6LEKQ6x1FKlql2WEHENIRLg"
    "bPcpDsFinkXV3faRnJCDX5vHs7NPrO6b+/fYMXvIkfaUp9N3iZW9WeNbnd0EfP9L3v0j7193KBNDdtS3cTa0Y7Yy"
    "7znrtxh96CkX14Ub+7zuzZO3PLSI+sBp55y7cEV5fo99ZUTzHC5sBPKdVTSusVY5M9eS4Zean59/AMby8no="
)

_F32 = np.float32
_HALF = _F32(0.5)
# The CPUs whose rsqrtps table _TABLE is: (vendor, family, model).
_MEASURED = {_cpuinfo.AMD_MEASURED}


@functools.lru_cache(maxsize=None)
def emulated() -> bool:
    """Whether :func:`sqrt`, :func:`exp`, the logs and the trigonometry here reproduce
    PyTorch's bits on this machine (else they are NumPy's, correctly rounded or rounded from
    float64)."""
    return _cpuinfo.x86_64() and _cpuinfo.model_id() in _MEASURED


@functools.lru_cache(maxsize=None)
def intel_sqrt() -> bool:
    """Whether float32 :func:`sqrt`, :func:`exp`, :func:`log`, :func:`sin` and :func:`cos`
    follow MKL's Intel AVX-512 kernels here (:func:`_sqrt_intel`, :func:`_exp_intel`,
    :func:`_log_intel`, :data:`_TRIG_INTEL_FIX`)."""
    return _cpuinfo.x86_64() and _cpuinfo.model_id() == _cpuinfo.INTEL_MEASURED


def _sqrt_intel(x, out=None):
    """MKL's float32 ``sqrt`` on an Intel AVX-512 processor (see :func:`_sqrt_intel_exact`),
    fast: NumPy's correctly rounded square root, computed in float64 (whose rounding to
    float32 is the correctly rounded one), kept wherever MKL's agrees with it, and
    :func:`_sqrt_intel_exact` on the few values where it may not.

    NOTE: MKL's result is ``s + r*h`` rounded once, where ``s + r*h`` lies below ``sqrt(x)``
    by at most about ``1.5 * 2**-28`` of it (a Newton step from a 14-bit estimate), so the two
    roundings differ only where ``sqrt(x)`` sits just above a halfway point between float32s:
    there the low 29 bits of the float64 root are ``0x10000000 + d`` with ``0 <= d``.  Over
    every float32 in [1, 4) (each mantissa of both exponent parities, which fix MKL's result
    for every normal ``x`` from ``2**-102`` up: it scales exactly) all 98955 differences had
    ``40 <= d < 2**25`` (about 6% of values have ``d <= 2**25``); MKL takes values below that
    range scaled into it (see :func:`_sqrt_intel_exact`), so the same holds there.  Zeros,
    infinities, NaNs and negatives come out with MKL's bits (NumPy's) either way."""
    flat = np.ascontiguousarray(x, _F32).reshape(-1)
    n = flat.size
    if 32 < n < 3072 and (out is None or not np.may_share_memory(out, flat)):
        return _sqrt_intel_exact(x, out)  # (measured: fewer calls than the two passes here)
    res = np.empty(flat.size, _F32) if out is None else out
    m = min(n, _BLOCK)
    wd, wi, wb = _sqrt_intel_scratch()
    where, redo = [], []  # (the values to redo, all at once: fewer calls)
    with np.errstate(all="ignore"):
        for lo in range(0, n, m):
            xb, o = flat[lo:lo + m], res[lo:lo + m]
            k = xb.size
            idx, again = _sqrt_intel_block(xb, o, wd[:k], wi[:k], wb[:k])
            if idx is not None:
                redo.append(again)
                where.append(idx + lo if lo else idx)
        if redo:
            idx = where[0] if len(where) == 1 else np.concatenate(where)
            res[idx] = _sqrt_intel_exact(redo[0] if len(redo) == 1 else np.concatenate(redo))
    return res.reshape(np.shape(x)) if out is None else out


def _sqrt_intel_block(xb, o, d, t, near):
    """One block of :func:`_sqrt_intel`: ``o[:] = sqrt(xb)`` correctly rounded, and ``(idx,
    values)``, the positions and inputs that :func:`_sqrt_intel_exact` must redo (None, None
    for none).  ``xb`` and ``o`` (which may be ``xb``) are 1-d float32, ``d`` (float64), ``t``
    (int64) and ``near`` (bool) scratch arrays of their length.  Call it inside
    ``np.errstate(all="ignore")``."""
    np.copyto(d, xb)
    np.sqrt(d, out=d)
    np.left_shift(d.view(np.int64), 35, out=t)  # (the low 29 bits, on top)
    np.less_equal(t, _SQRT_NEAR, out=near)
    idx = np.flatnonzero(near)
    again = xb[idx] if idx.size else None  # (a copy, taken before ``o`` is written)
    np.copyto(o, d, casting="unsafe")
    return (idx, again) if idx.size else (None, None)


def sqrt_into(x, out, d, t, near):
    """``sqrt(x, out=out)`` for 1-d contiguous float32 ``x`` and ``out`` of one length (``out``
    may be ``x``), with scratch arrays of that length from the caller: ``d`` float64, ``t``
    int64, ``near`` bool (used where MKL's Intel kernel is reproduced)."""
    if x.size and not emulated() and intel_sqrt():
        with np.errstate(all="ignore"):
            idx, again = _sqrt_intel_block(x, out, d, t, near)
            if idx is not None:
                out[idx] = _sqrt_intel_exact(again)
        return out
    return sqrt(x, out=out)


# the low 29 bits of the float64 root shifted to the top of an int64: at most 0x10000000 +
# 2**25 there (see _sqrt_intel)
_SQRT_NEAR = np.int64(-2 ** 63 + 2 ** 60)
# (float32 bits of 2**-96, minus one: positive values below it, subnormals too, are scaled)
_SQRT_TINY = np.uint32(np.float32(2.0 ** -96).view(np.uint32) - 1)


def _sqrt_intel_scratch():
    """:func:`_sqrt_intel`'s scratch arrays of one block (float64, int64, bool), kept per
    thread (see :func:`_sqrt_scratch`)."""
    bufs = getattr(_scratch, "sqrt_intel", None)
    if bufs is None:
        bufs = _scratch.sqrt_intel = tuple(np.empty(_BLOCK, t) for t in (
            np.float64, np.int64, np.bool_))
    return bufs


def _sqrt_intel_exact(x, out=None):
    """MKL's float32 ``sqrt`` on an Intel AVX-512 processor (measured on family 6 model 167:
    no difference in ~370,000 random values of every magnitude, tensors of 1 to 70,000):
    Intel's ``vrsqrt14ps`` estimate ``y`` of ``1/sqrt(x)`` (:mod:`._rsqrt14`), ``s = x*y``
    and ``h = y/2`` rounded, the residual ``r = x - s*s`` rounded once (exact in float64
    first), then ``s + r*h`` rounded once.  Zeros, infinities, NaNs and negatives: NumPy's
    ``sqrt``, which gave PyTorch's values there (a negative's NaN bits as pointwise's
    ``_DOMAIN_NAN`` sets them).  NOTE: positive values below ``2**-96``, subnormals too, come
    out of MKL as if scaled by ``2**64`` first and the root by ``2**-32`` after (its residual
    does not lose bits there): so they are computed here (checked against ``torch.sqrt`` on
    every binade from the subnormals up, where NumPy's root and the unscaled steps differed
    by an ulp in up to 9% of values).  In blocks, on scratch arrays, as :func:`_sqrt_ex`."""
    from . import _rsqrt14

    flat = np.ascontiguousarray(x, _F32).reshape(-1)
    res = np.empty(flat.size, _F32) if out is None else out
    table = _rsqrt14.estimate_bits()
    m = min(flat.size, _BLOCK)
    with np.errstate(all="ignore"):
        for lo in range(0, flat.size, m):
            xb, o = flat[lo:lo + m], res[lo:lo + m]
            b = xb.view(np.uint32)
            i = b >> np.uint32(8)
            i &= np.uint32(0xFFFF)
            i ^= np.uint32(0x8000)  # (the exponent's parity and the top 15 fraction bits)
            y = np.take(table, i, mode="clip")
            k = b >> np.uint32(23)
            k += np.uint32(1)
            k >>= np.uint32(1)
            k <<= np.uint32(23)
            y += np.uint32(64 << 23)
            y -= k  # (scaled by 2**-k for x = m * 4**k: its exponent bits)
            y = y.view(_F32)
            s = xb * y
            y *= _HALF
            d = np.multiply(s, s, dtype=np.float64)
            np.subtract(xb, d, out=d, dtype=np.float64)
            r = d.astype(_F32)
            np.multiply(r, y, out=d, dtype=np.float64)
            np.add(d, s, out=d, dtype=np.float64)
            o[...] = d
            k = b - np.uint32(1)  # (+0 wraps to the top, as in _sqrt_ex)
            if k.min() < np.uint32(0x007FFFFF) or b.max() > np.uint32(0x7F7FFFFF):
                bad = (k >= np.uint32(0x7F7FFFFF)) | (k < np.uint32(0x007FFFFF))
                o[bad] = np.sqrt(xb[bad])
            if k.min() < _SQRT_TINY:  # (0 < x < 2**-96: scaled, see above)
                tiny = k < _SQRT_TINY
                o[tiny] = _sqrt_intel_exact(xb[tiny] * _F32(2.0 ** 64)) * _F32(2.0 ** -32)
    return res.reshape(np.shape(x)) if out is None else out


def _two_prod(a, b):
    """``a * b`` as the rounded product and its exact error (Dekker's splitting, float64)."""
    p = a * b
    c = 134217729.0 * a
    ah = c - (c - a)
    c = 134217729.0 * b
    bh = c - (c - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dsqrt_intel(x):
    """MKL's float64 ``sqrt`` on the Intel processor of :func:`intel_sqrt` (no difference in
    4 million random values from 2**-900 to 2**1023; below, where its residual is subnormal,
    ~0.3% an ulp off): ``vrsqrt14pd``'s estimate ``y`` (the same table as float32's, on the
    top 15 fraction bits), one Newton step ``y1 = y * (1.5 - 0.5*x*y*y)``, then with fused
    multiply-adds (exact here through Dekker's products) ``s = x*y1``, ``h = y1/2``,
    ``r = fma(-s, s, x)``, ``fma(r, h, s)``.  Zeros, subnormals, infinities, NaNs and
    negatives: NumPy's ``sqrt``, as :func:`_sqrt_intel`."""
    from . import _rsqrt14

    flat = np.ascontiguousarray(x, np.float64).reshape(-1)
    out = np.empty(flat.size)
    table = _rsqrt14.scaled_estimates()
    with np.errstate(all="ignore"):
        for lo in range(0, flat.size, _BLOCK):
            xb = flat[lo:lo + _BLOCK]
            b = xb.view(np.uint64)
            e = (b >> _U64(52)).astype(np.int64) - 1023
            key = ((e & 1) << 15) | ((b >> _U64(37)) & _U64(0x7FFF)).astype(np.int64)
            est = np.where(((b & _U64((1 << 52) - 1)) == 0) & (e & 1 == 0), 1 << 17,
                           table[key])
            y = np.ldexp(est.astype(np.float64), -17 - (e >> 1))
            y = y * (1.5 - 0.5 * xb * y * y)
            s = xb * y
            h = 0.5 * y
            p, err = _two_prod(s, s)
            r = (xb - p) - err  # (x - p is exact: p is within a few ulps of x)
            p, err = _two_prod(r, h)
            u = s + p
            res = u + (((s - u) + p) + err)
            bad = (b < _U64(1 << 52)) | (b >= _U64(0x7FF0000000000000))  # (and negatives)
            if bad.any():
                res[bad] = np.sqrt(xb[bad])
            out[lo:lo + _BLOCK] = res
    return out.reshape(np.shape(x))


@functools.lru_cache(maxsize=None)
def _estimates():
    """``rsqrtps`` of the [1, 4) values as float32 bits, plus 64 << 23 (see :func:`_sqrt_ex`)."""
    codes = np.frombuffer(zlib.decompress(base64.b64decode("".join(_TABLE))), np.uint8)
    delta = np.stack([(codes >> s) & 3 for s in (0, 2, 4, 6)], axis=1).reshape(-1)
    i = np.arange(8192)
    centre = (1 + ((i & 4095) + 0.5) / 4096) * np.where(i >> 12, 2.0, 1.0)
    q = np.round(8192 / np.sqrt(centre)) + delta.astype(np.float64) - 1
    est = (q / 8192).astype(_F32).view(np.uint32)
    return est + np.uint32(64 << 23)


@functools.lru_cache(maxsize=None)
def _full_estimates():
    """:func:`_estimate` of every float32 whose low 11 bits are zero, indexed by ``b >> 11``
    (8 MiB): the estimate depends on no lower bit, so one lookup replaces the bit work."""
    return _estimate(np.arange(1 << 21, dtype=np.uint32) << np.uint32(11))


def rsqrtps(x):
    """The estimate of 1/sqrt(x) of the measured processor, for positive normal float32 x."""
    b = np.asarray(x, _F32).view(np.uint32)
    return _estimate(b).view(_F32)


def _estimate(b):
    # index: the exponent's lowest bit (flipped: parity 1 for even unbiased exponents) and
    # the top 12 fraction bits, which are bits 23..11 of x
    idx = b >> np.uint32(11)
    idx &= np.uint32(0x1FFF)
    idx ^= np.uint32(0x1000)
    # 2**-k with k = floor(unbiased exponent / 2): the estimate's exponent field drops by
    # ((biased + 1) >> 1) - 64, that is ((b + 2**23) >> 1) & 0xff800000, less 64 << 23
    k = b + np.uint32(1 << 23)
    k >>= np.uint32(1)
    k &= np.uint32(0xFF800000)
    y = _estimates()[idx]
    y -= k
    return y


_BLOCK = 1 << 16  # elements per pass: the scratch arrays stay in the L2 cache
_scratch = threading.local()


def _sqrt_scratch():
    """:func:`_sqrt_ex`'s scratch arrays of one block, kept per thread.  NOTE: fresh arrays of
    this size come from new pages on every call (the C allocator hands them back to the
    system when freed), and faulting them in cost more than the arithmetic."""
    bufs = getattr(_scratch, "sqrt", None)
    if bufs is None:
        bufs = _scratch.sqrt = tuple(np.empty(_BLOCK, t) for t in (
            np.uint32, np.uint32, np.uint32, _F32, _F32, _F32, np.bool_))
    return bufs


def _sqrt_ex(x, out):
    """MKL's generic float32 ``vsSqrt`` on the measured processor: ``out[:] = sqrt(x)`` for
    contiguous 1-d float32 arrays, in blocks, each operation in place on scratch arrays."""
    n = x.size
    m = min(n, _BLOCK)
    ui, uk, uy, fs, ft, fr, odd = (a[:m] for a in _sqrt_scratch())
    table = _full_estimates()
    with np.errstate(all="ignore"):
        for lo in range(0, n, m):
            hi = min(n, lo + m)
            xb, o = x[lo:hi], out[lo:hi]
            b = xb.view(np.uint32)
            k = hi - lo
            i, e, y, s, t, r, bad = ui[:k], uk[:k], uy[:k], fs[:k], ft[:k], fr[:k], odd[:k]
            # the estimate (see _estimate), from the table of every sign, exponent and top 12
            # fraction bits (b >> 11)
            np.right_shift(b, np.uint32(11), out=i)
            np.take(table, i, out=y, mode="clip")  # (i < 2**21 always)
            y = y.view(_F32)
            np.multiply(xb, y, out=s)          # s = x * y
            np.multiply(y, _HALF, out=y)       # h = y * 0.5
            np.multiply(s, y, out=t)
            np.subtract(_HALF, t, out=t)       # t = 0.5 - s * h
            np.multiply(t, y, out=r)
            np.add(r, y, out=y)                # h1 = t * h + h
            np.multiply(s, t, out=t)
            np.add(t, s, out=t)                # s1 = s * t + s
            np.multiply(t, t, out=r)
            np.subtract(xb, r, out=r)          # r = x - s1 * s1
            np.multiply(r, y, out=r)
            np.add(r, t, out=o)                # r * h1 + s1
            # the scalar path: everything but positive normal values up to 0x7f7ff000, and +0,
            # which the vector path takes to +0 too (its estimate is finite).  NOTE: +0 is
            # common (the second moments of dead ReLU units), so blocks are screened by the
            # least nonzero and the largest bits (b - 1 wraps +0 to the top) before any mask
            np.subtract(b, np.uint32(1), out=e)
            if e.min() < np.uint32(0x007FFFFF) or b.max() > np.uint32(0x7F7FF000):
                np.subtract(b, np.uint32(0x00800000), out=e)
                np.greater(e, np.uint32(0x7F7FF000 - 0x00800000), out=bad)
                xo = xb[bad]
                o[bad] = np.where(xo < 0, _F32(np.nan), np.sqrt(xo))
    return out


# MKL's generic float64 ``vdSqrt`` (``mkl_vml_kernel_dSqrt_EXHAynn``, seen with gdb; PyTorch
# takes float64 ``sqrt`` from it as float32's from ``vsSqrt``, on every path): ``rsqrtps`` of x's
# top 23 fraction bits (truncated) put in [1, 4) by the exponent's parity, scaled back in
# float64; then, with every operation rounded (no fused multiply-add), x split in a high part
# xh (its low 27 bits cleared) and xl = x - xh,
#     e = (1 - y*y * xh) - y*y * xl,   p = (((c1 e + c2) e + c3) e + c4) e
#     sqrt(x) = xh * y + (xl * y + (p * y) * x)
# with MKL's coefficients c1..c4 (near 35/128, 5/16, 3/8, 1/2).  Zero, subnormals, x >= 2**1022
# (bits 0x7fd0...), infinities, NaNs and negatives go to a scalar path, correctly rounded
# (negatives give the positive quiet NaN, NaNs come back as themselves).  It agreed with
# torch.sqrt on 10 million float64 values (uniform, log-uniform, every bit pattern, subnormals,
# the largest values, NaN payloads) with no difference; about 1.4% differ from NumPy's.
_D_POLY = tuple(np.array(b, np.uint64).view(np.float64) for b in (
    0x3FD1800032338CBB, 0x3FD40000B13001D9, 0x3FD80000000000F6, 0x3FDFFFFFFFFFFE71))
_U64 = np.uint64


def _dsqrt(x):
    """MKL's float64 ``vdSqrt`` on the measured processor, of a contiguous float64 array."""
    b = x.view(_U64)
    with np.errstate(all="ignore"):
        par = ~b & _U64(1 << 52)  # 1 << 52 where the unbiased exponent is odd
        f = b & _U64(0x001FFFFFE0000000)
        f |= par + _U64(0x07F0000000000000)
        f >>= _U64(29)
        y = _estimate(f.astype(np.uint32)).view(_F32).astype(np.float64)
        scale = par - (b & _U64(0x7FF0000000000000))
        scale += _U64(0xBFD0000000000000)
        scale >>= _U64(1)
        y *= scale.view(np.float64)
        xh = (b & _U64(0xFFFFFFFFF8000000)).view(np.float64)
        xl = x - xh
        y2 = y * y
        e = 1.0 - y2 * xh
        e -= y2 * xl
        c1, c2, c3, c4 = _D_POLY
        p = (((c1 * e + c2) * e + c3) * e + c4) * e
        out = xl * y
        out += (p * y) * x
        out += xh * y
        hi = (b >> _U64(32)).astype(np.uint32)
        hi += np.uint32(0x7FF00000)
        bad = hi.view(np.int32) > np.int32(-0x400001)
        if bad.any():
            xo = x[bad]
            out[bad] = np.where(xo < 0, np.nan, np.sqrt(xo))
    return out


def sqrt(x, out=None):
    """``torch.sqrt`` of a float32 or float64 NumPy array as PyTorch's CPU kernel rounds it,
    where :func:`emulated` (else NumPy's ``sqrt``); ``out`` as NumPy's."""
    x = np.asarray(x)
    if x.dtype == np.float64 and x.size and not emulated() and intel_sqrt():
        res = _dsqrt_intel(x)
        if out is None:
            return res
        out[...] = res
        return out
    if x.dtype == np.float64 and emulated() and x.size:
        flat = np.ascontiguousarray(x).reshape(-1)
        res = np.empty(flat.size)
        for lo in range(0, flat.size, _BLOCK):  # (in blocks: the temporaries stay in cache)
            res[lo:lo + _BLOCK] = _dsqrt(flat[lo:lo + _BLOCK])
        res = res.reshape(x.shape)
        if out is None:
            return res
        out[...] = res
        return out
    if x.dtype == _F32 and x.size and not emulated() and intel_sqrt():
        if out is not None and out.dtype == _F32 and out.flags.c_contiguous and \
                out.shape == x.shape and not np.may_share_memory(out, x):
            _sqrt_intel(x, out.reshape(-1))
            return out
        res = _sqrt_intel(x)
        if out is None:
            return res
        out[...] = res
        return out
    if x.dtype != _F32 or not emulated() or x.size == 0:
        return np.sqrt(x, out=out)
    flat = np.ascontiguousarray(x).reshape(-1)
    if out is not None and out.dtype == _F32 and out.flags.c_contiguous and \
            out.shape == x.shape and not np.may_share_memory(out, flat):
        _sqrt_ex(flat, out.reshape(-1))
        return out
    res = _sqrt_ex(flat, np.empty(flat.size, _F32)).reshape(x.shape)
    if out is None:
        return res
    out[...] = res
    return out


def _on_float32(x, ref, kernel):
    """PyTorch's float32 rounding of ``ref`` (a NumPy function) on array ``x``: ``kernel(flat,
    out)`` on a contiguous copy where :func:`emulated`, else ``ref`` in float64 rounded once
    (within an ulp); other dtypes: ``ref`` itself."""
    x = np.asarray(x)
    if x.dtype != _F32:
        return ref(x)
    if not emulated() or x.size == 0:
        with np.errstate(all="ignore"):
            return ref(x, dtype=np.float64).astype(_F32)
    flat = np.ascontiguousarray(x).reshape(-1)
    return kernel(flat, np.empty(flat.size, _F32)).reshape(x.shape)


def _blocked(x, out, kinds):
    """``x`` and ``out`` (contiguous 1-d) in blocks of at most ``_BLOCK`` elements, each with
    scratch arrays of its length, one per letter of ``kinds`` (I: uint32, f: float32, d:
    float64, b: bool), made once and reused, so that every step can run in place."""
    n = x.size
    m = min(n, _BLOCK)
    codes = {"I": np.uint32, "f": _F32, "d": np.float64, "b": np.bool_}
    scratch = [np.empty(m, codes[c]) for c in kinds]
    for start in range(0, n, m):
        stop = min(n, start + m)
        w = stop - start
        yield x[start:stop], out[start:stop], [a[:w] for a in scratch]


# -- exp -----------------------------------------------------------------------------------
# NOTE: PyTorch's float32 ``exp`` on the CPU is MKL's ``vmsExp`` in its high-accuracy mode
# for every size and layout (small, strided and 0-d tensors too: the iterator hands MKL
# contiguous runs or buffered copies).  On the measured processor MKL runs its generic SSE2
# kernel (gdb: ``mkl_vml_kernel_sExp_EXHAynn``), whose arithmetic is plain IEEE float32
# with no fused multiply-add, the same per element in its 16-wide loop and its tail:
#
#     s = x * (128 / ln 2) + 1.5 * 2**23     # two roundings; s's low bits hold n = round(.)
#     n = s - 1.5 * 2**23                    # exact
#     r = (x - n * L1) + n * L2              # L1 - L2 ~ ln 2 / 128, L1 with 9 leading bits
#     p = (r * r) * 0.5 + r
#     exp(x) = ((p * T[j] + t[j]) + T[j]) * 2**k,    n = 128 k + j, 0 <= j < 128
#
# where T[j] is 2**(j/128) rounded to float32 and t[j] the float32 nearest to the rest.
# Inputs with |x| > 87.33654 (0x42aeac4f), infinities and NaNs go to a scalar routine that
# works in float64 and is correctly rounded to float32 on them (checked on every such
# input, subnormal results included); a NaN comes back quieted with its payload and sign.
# This reproduced ``torch.exp`` on every one of the 2**32 float32 bit patterns.
def _split_ln2_128():
    """(L1, L2): ln 2 / 128 rounded to 9 significant bits (so n * L1 is exact for the n the
    vector path sees), and the float32 nearest to L1 - ln 2 / 128."""
    c = math.log(2) / 128
    q = 2.0 ** (math.floor(math.log2(c)) - 8)
    hi = round(c / q) * q
    return _F32(hi), _F32(hi - c)


_EXP_SHIFT = _F32(1.5 * 2 ** 23)
_EXP_INV = _F32(128 / math.log(2))
_EXP_L1, _EXP_L2 = _split_ln2_128()
_EXP_RARE = np.uint32(0x42AEAC4F)  # |x| bits above this leave the vector path


@functools.lru_cache(maxsize=None)
def _exp_table():
    """(T, t): 2**(j/128) split into a float32 and the float32 nearest to what is left."""
    from fractions import Fraction

    hi, lo = [], []
    for j in range(128):
        # 2**(j/128) to 80 bits, by bisection on the exact 128th power
        target, a, b = 2 ** j, Fraction(1), Fraction(2)
        for _ in range(80):
            mid = (a + b) / 2
            a, b = (mid, b) if mid ** 128 <= target else (a, mid)
        h = _F32(float(a))
        hi.append(h)
        lo.append(_F32(float(a - Fraction(float(h)))))
    return np.array(hi, _F32), np.array(lo, _F32)


def _exp_ex(x, out):
    """MKL's generic float32 ``vsExp`` (high accuracy) on contiguous 1-d float32 arrays."""
    hi, lo = _exp_table()
    with np.errstate(all="ignore"):
        for xb, o, (j, e, s, p, t, r, bad) in _blocked(x, out, "IIffffb"):
            np.multiply(xb, _EXP_INV, out=s)
            np.add(s, _EXP_SHIFT, out=s)
            sb = s.view(np.uint32)
            np.bitwise_and(sb, np.uint32(127), out=j)
            # 2**k: n's bits moved up to the exponent field (j's fall below it)
            np.left_shift(sb, np.uint32(16), out=e)
            np.add(e, np.uint32(0x3F800000), out=e)
            np.bitwise_and(e, np.uint32(0x7F800000), out=e)
            np.subtract(s, _EXP_SHIFT, out=s)          # n
            np.multiply(s, _EXP_L1, out=t)
            np.subtract(xb, t, out=r)
            np.multiply(s, _EXP_L2, out=t)
            np.add(t, r, out=r)                        # r
            np.multiply(r, r, out=p)
            np.multiply(p, _HALF, out=p)
            np.add(p, r, out=p)                        # p
            np.take(hi, j, out=t, mode="clip")
            np.multiply(p, t, out=p)
            np.take(lo, j, out=r, mode="clip")
            np.add(p, r, out=p)
            np.add(p, t, out=p)
            np.multiply(p, e.view(_F32), out=o)
            # the scalar path
            np.bitwise_and(xb.view(np.uint32), np.uint32(0x7FFFFFFF), out=e)
            np.greater(e, _EXP_RARE, out=bad)
            if bad.any():
                o[bad] = _exp_rare(xb[bad])
    return out


def _exp_rare(x):
    with np.errstate(all="ignore"):
        res = np.exp(x.astype(np.float64)).astype(_F32)
    nan = np.isnan(x)
    if nan.any():
        res[nan] = (x[nan].view(np.uint32) | np.uint32(0x00400000)).view(_F32)
    return res


def exp(x):
    """``torch.exp`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated` or :func:`intel_sqrt` (else NumPy's float64 ``exp`` rounded once: within an
    ulp, equal on about 99% of values)."""
    if not emulated() and intel_sqrt():
        return _on_intel(x, np.exp, _exp_intel, _exp_intel_small)
    return _on_float32(x, np.exp, _exp_ex)


# NOTE: on the Intel processor of :func:`intel_sqrt` (family 6 model 167, AVX-512) MKL runs
# another float32 exp (gdb: ``mkl_vml_kernel_sExp_Z0HAynn``), for every size and layout as
# above, built on fused multiply-adds (each rounded once) and a table of 32 entries:
#
#     n = floor(x * A * 32)        A = float32(1 / ln 2); a multiply-add rounded toward zero
#                                  onto 1.5 * 2**18 (exact: n/32 and n's low 5 bits come out)
#     r = fma(-n/32, L2, fma(-n/32, L1, x))      L1 = float32(ln 2), L2 = float32(ln 2 - L1)
#     p = fma(fma(r, C3, C2), r * r, D[j] + r)   j = n mod 32
#     exp(x) = fma(p, s, s),   s = T[j] * 2**floor(n/32)  (vscalefps)
#
# where T[j] is 2**(j/32) rounded to float32 and D[j] the float32 nearest to 2**(j/32)/T[j] - 1.
# C2 and C3 (0x3f0000f6, 0x3e2aabf3: near 1/2 and 1/6) were found by search, counting
# differences from ``torch.exp``; with them this reproduced it on every float32 of the vector
# path (|x| up to 0x42aeac4f, as on AMD), and above it the scalar routine is, as there,
# correctly rounded (:func:`_exp_rare`, checked on every other bit pattern).  NumPy has no
# fused multiply-add: each is done in float64 (its product is exact) and rounded to float32,
# and where that float64 sum falls exactly halfway between two float32s (rare), nudged toward
# the exact sum first (:func:`_fix_halfway`), so that it is rounded once.
_EXPZ_A32 = float(_F32(1 / math.log(2))) * 32
_EXPZ_L1 = float(_F32(math.log(2)))
_EXPZ_L2 = float(_F32(math.log(2) - _EXPZ_L1))
_EXPZ_C2 = float(np.uint32(0x3F0000F6).view(_F32))
_EXPZ_C3 = float(np.uint32(0x3E2AABF3).view(_F32))


@functools.lru_cache(maxsize=None)
def _exp_intel_table():
    """(T, D) of the Intel exp: 2**(j/32) rounded to float32, and the float32 nearest to the
    relative rest 2**(j/32) / T[j] - 1 (from 2**(j/32) to 80 bits, by bisection on integers)."""
    hi, lo = [], []
    for j in range(32):
        a, b = 1 << 80, 1 << 81
        while b - a > 1:   # the largest a with (a / 2**80)**32 <= 2**j
            mid = (a + b) >> 1
            if mid ** 32 <= 1 << (j + 80 * 32):
                a = mid
            else:
                b = mid
        h = _F32(a / 2.0 ** 80)
        hi.append(h)
        num, den = a, int(float(h) * 2 ** 80)   # float(h) * 2**80 is an integer
        lo.append(_F32((num - den) / den))
    return np.array(hi, _F32), np.array(lo, _F32)


def _on_intel(x, ref, kernel, small=None):
    """As :func:`_on_float32`, with ``kernel`` (for :func:`intel_sqrt`'s processor); up to
    ``_SMALL`` elements ``small(x)`` first (None where it leaves them to ``kernel``)."""
    x = np.asarray(x)
    if x.dtype != _F32 or x.size == 0:
        return _on_float32(x, ref, kernel)
    if small is not None and x.size <= _SMALL:
        res = small(x)
        if res is not None:
            return res
    flat = np.ascontiguousarray(x).reshape(-1)
    return kernel(flat, np.empty(flat.size, _F32)).reshape(x.shape)


def _fix_halfway(v, a, b, c, u, h):
    """``v`` = ``a * b + c`` in float64 (``a * b`` exact; ``a``, ``b`` or ``c`` may be scalars),
    with ``u`` (uint64) and ``h`` (bool) scratch: where ``v`` lies exactly halfway between two
    float32s and is not the exact sum, one float64 step toward it, so that casting ``v`` to
    float32 rounds the exact sum once (a fused multiply-add)."""
    np.bitwise_and(v.view(np.uint64), np.uint64(0x1FFFFFFF), out=u)
    np.equal(u, np.uint64(0x10000000), out=h)
    if np.count_nonzero(h):   # (cheaper than h.any() on small arrays)
        i = np.flatnonzero(h)
        p = (a[i] if np.ndim(a) else a) * np.asarray(b[i] if np.ndim(b) else b, np.float64)
        cc = c[i] if np.ndim(c) else c
        s = v[i]
        z = s - p
        err = (p - (s - z)) + (cc - z)   # the exact sum is s + err (Knuth's two-sum)
        step = np.where(err == 0, 0, np.where((err > 0) == (s > 0), 1, -1))
        v[i] = (s.view(np.int64) + step).view(np.float64)
    return v


_EXPZ_OFF = 4096   # n + this indexes _exp_intel_scaled's tables (|n| <= 4032 on the vector path)


@functools.lru_cache(maxsize=None)
def _exp_intel_scaled():
    """(S, D) indexed by n + _EXPZ_OFF: s = T[j] * 2**floor(n/32) in float64 (a multiple of
    2**-126 or more: scaling the last sum by it is exact), and D[j], for j = n mod 32."""
    hi, lo = _exp_intel_table()
    n = np.arange(-_EXPZ_OFF, _EXPZ_OFF)
    return np.ldexp(hi[n & 31].astype(np.float64), n >> 5), lo[n & 31]


def _intel_scratch(name, kinds, w):
    """Scratch arrays of ``w`` elements, one per dtype of ``kinds``: views of ``_BLOCK``-long
    ones kept per thread (fresh big arrays cost page faults on every call, as in
    :func:`_sqrt_scratch`)."""
    bufs = getattr(_scratch, name, None)
    if bufs is None:
        bufs = tuple(np.empty(_BLOCK, k) for k in kinds)
        setattr(_scratch, name, bufs)
    return bufs if w == _BLOCK else [v[:w] for v in bufs]


_EXP_INTEL_KINDS = (np.float64, np.float64, np.intp, _F32, _F32, _F32, np.uint64, np.uint32,
                    np.bool_)


def _exp_intel(x, out):
    """MKL's float32 ``vsExp`` on :func:`intel_sqrt`'s processor, on contiguous 1-d arrays, in
    blocks on per-thread scratch; T[j] * 2**floor(n/32) and D[j] come from tables by n
    (:func:`_exp_intel_scaled`), and the rare path's elements are taken as 0 until the end."""
    s_tab, d_tab = _exp_intel_scaled()
    f64, u32 = np.float64, np.uint32
    with np.errstate(all="ignore"):
        for lo in range(0, x.size, _BLOCK):
            xb, o = x[lo:lo + _BLOCK], out[lo:lo + _BLOCK]
            nd, d, i, r, r2, t, u, a, h = _intel_scratch("exp", _EXP_INTEL_KINDS, xb.size)
            # the scalar path: its elements computed apart, their x taken as 0 here
            np.bitwise_and(xb.view(u32), u32(0x7FFFFFFF), out=a)
            np.greater(a, _EXP_RARE, out=h)
            rare = h.copy() if np.count_nonzero(h) else None
            xs = xb if rare is None else np.where(rare, _F32(0), xb)
            np.multiply(xs, _EXPZ_A32, out=nd, dtype=f64)
            np.floor(nd, out=nd)                                   # n
            np.copyto(i, nd, casting="unsafe")
            np.add(i, _EXPZ_OFF, out=i)
            np.multiply(nd, _EXPZ_L1 / 32, out=d)
            np.subtract(xs, d, out=d, dtype=f64)   # (exact, or far from a float32 halfway)
            np.copyto(r, d, casting="same_kind")
            np.multiply(nd, _EXPZ_L2 / 32, out=d)
            np.subtract(r, d, out=d, dtype=f64)    # (exact)
            np.copyto(r, d, casting="same_kind")                   # r
            np.multiply(r, r, out=r2)
            d_tab.take(i, out=t, mode="clip")
            np.add(t, r, out=t)
            np.multiply(r, _EXPZ_C3, out=d, dtype=f64)
            np.add(d, _EXPZ_C2, out=d)
            _fix_halfway(d, r, _EXPZ_C3, _EXPZ_C2, u, h)
            np.copyto(r, d, casting="same_kind")                   # q (r no longer needed)
            np.multiply(r, r2, out=d, dtype=f64)
            np.add(d, t, out=d, dtype=f64)
            _fix_halfway(d, r, r2, t, u, h)
            np.copyto(r, d, casting="same_kind")                   # p
            # fma(p, s, s) with s = T[j] * 2**floor(n/32) (n/32 > -126.01 here: no subnormal
            # s or result, so that scaling before rounding is scaling after).  No _fix_halfway
            # here: on every input of the vector path this sum is exact wherever it falls
            # halfway between two float32s, 215,317 of them
            s_tab.take(i, out=nd, mode="clip")
            np.multiply(nd, r, out=d, dtype=f64)
            np.add(d, nd, out=d)
            np.copyto(o, d, casting="same_kind")
            if rare is not None:
                o[rare] = _exp_rare(xb[rare])
    return out


# A few elements (0-d tensors, a loss, a small batch) cost less one by one in Python floats,
# which are float64 as NumPy's steps above: each float32 rounding through ``struct``'s "f"
# (C's cast: to nearest, even on ties), each float32 sum or product in float64 rounded once
# (exact, or rounded once more innocuously: 53 >= 2 * 24 + 2 bits), the fused steps as in
# :func:`_fix_halfway`.  Elements of the rare paths leave the whole call to the kernel.
_SMALL = 12  # (about where the kernel below costs less, measured)
_R32 = struct.Struct("f")
_EXP_RARE_F = float(_EXP_RARE.view(_F32))


def _fma32(a, b, c, frexp=math.frexp, pack=_R32.pack, unpack=_R32.unpack):
    """float32 ``a * b + c`` rounded once, for Python floats (``a * b`` exact), as
    :func:`_fix_halfway` does it: nudged one float64 step where the float64 sum is halfway."""
    s = a * b + c
    if frexp(s)[0] * 33554432.0 % 2.0 == 1.0:   # bits & 0x1fffffff == 0x10000000
        p = a * b
        z = s - p
        err = (p - (s - z)) + (c - z)
        if err:
            s = math.nextafter(s, math.inf if err > 0 else -math.inf)
    return unpack(pack(s))[0]


@functools.lru_cache(maxsize=None)
def _exp_intel_lists():
    return tuple(t.tolist() for t in _exp_intel_table())


def _exp_intel_small(x):
    """:func:`_exp_intel` on a few elements, one by one (None if one takes the rare path)."""
    hi, lo = _exp_intel_lists()
    pack, unpack, fma, floor, ldexp = _R32.pack, _R32.unpack, _fma32, math.floor, math.ldexp
    out = []
    for v in x.ravel().tolist():
        if not abs(v) <= _EXP_RARE_F:   # (NaNs too)
            return None
        n = floor(v * _EXPZ_A32)
        j = n & 31
        nd = n * 0.03125
        r = unpack(pack(v - nd * _EXPZ_L1))[0]
        r = unpack(pack(r - nd * _EXPZ_L2))[0]
        r2 = unpack(pack(r * r))[0]
        t = unpack(pack(lo[j] + r))[0]
        p = fma(fma(r, _EXPZ_C3, _EXPZ_C2), r2, t)
        s = hi[j]
        out.append(ldexp(unpack(pack(p * s + s))[0], n >> 5))
    return np.array(out, _F32).reshape(x.shape)


# -- log -----------------------------------------------------------------------------------
# NOTE: PyTorch's float32 ``log`` on the CPU is MKL's ``vmsLn`` (high accuracy), for every size
# and layout as for exp.  On the measured processor MKL runs its generic SSE2 kernel (gdb:
# ``mkl_vml_kernel_sLn_EXHAynn``), plain IEEE float32 with no fused multiply-add and no table,
# the same per element in its 32-wide loop and its tail.  With b the bits of x:
#
#     t = b - 0x3f2aaaab (mod 2**32);  k = t >> 23 (arithmetic shift)
#     f = (float32 with bits (t & 0x7fffff) + 0x3f2aaaab) - 1    # x = 2**k (1 + f), 1 + f
#     p = ((..(f * C[0] + C[1]) * f + C[2]) ..) * f + C[8]        # in [2/3, 4/3)
#     p = (p * f) * f + f
#     log(x) = k * HI + (k * LO + p)          # HI + LO ~ ln 2, HI with 16 leading bits
#
# with the nine coefficients of _LOG_POLY (C[8] = -0.5).  Only positive normal finite x take
# that path; zeros (-inf), subnormals, negatives (the positive quiet NaN 0x7fc00000),
# infinities and NaNs (quieted, payload and sign kept) go to a scalar routine that works in
# float64 and is correctly rounded to float32 on them.  This reproduced ``torch.log`` on
# every one of the 2**32 float32 bit patterns.
def _f32_bits(*bits):
    return tuple(np.uint32(u).view(_F32) for u in bits)


_LOG_POLY = _f32_bits(0xBE0402C8, 0x3E0F335D, 0xBDF9889E, 0x3E0F6B8C, 0xBE2ACEE6, 0x3E4CE814,
                      0xBE7FFF78, 0x3EAAAA83, 0xBF000000)
_LOG_HI, _LOG_LO = _f32_bits(0x3F317200, 0x35BFBE8E)
_ONE = _F32(1)


def _log_ex(x, out):
    """MKL's generic float32 ``vsLn`` (high accuracy) on contiguous 1-d float32 arrays."""
    c0, c1, *cs = _LOG_POLY
    with np.errstate(all="ignore"):
        for xb, o, (t, e, k, f, p, q, bad) in _blocked(x, out, "IIffffb"):
            b = xb.view(np.uint32)
            np.subtract(b, np.uint32(0x3F2AAAAB), out=t)
            ki = e.view(np.int32)
            np.right_shift(t.view(np.int32), np.int32(23), out=ki)
            np.copyto(k, ki, casting="unsafe")          # k, exact
            np.bitwise_and(t, np.uint32(0x7FFFFF), out=t)
            np.add(t, np.uint32(0x3F2AAAAB), out=t)
            np.subtract(t.view(_F32), _ONE, out=f)      # f
            np.multiply(f, c0, out=p)
            np.add(p, c1, out=p)
            for c in cs:
                np.multiply(p, f, out=p)
                np.add(p, c, out=p)
            np.multiply(p, f, out=p)
            np.multiply(p, f, out=p)
            np.add(p, f, out=p)                         # p
            np.multiply(k, _LOG_LO, out=q)
            np.add(q, p, out=p)
            np.multiply(k, _LOG_HI, out=q)
            np.add(q, p, out=o)
            # the scalar path: all but positive normal finite x
            np.subtract(b, np.uint32(0x00800000), out=e)
            np.greater(e, np.uint32(0x7F7FFFFF - 0x00800000), out=bad)
            if bad.any():
                o[bad] = _log_rare(xb[bad])
    return out


def _log_rare(x, fn=np.log):
    """The scalar routine of log and log2 (``fn``): correctly rounded from float64 (log2's on
    subnormals takes a table of MKL's own, not reproduced: within an ulp there); zeros give
    -inf, negatives the quiet NaN 0x7fc00000, NaNs come back quieted with their payload and
    sign."""
    with np.errstate(all="ignore"):
        res = fn(x.astype(np.float64)).astype(_F32)
    neg = x < 0
    if neg.any():
        res[neg] = np.uint32(0x7FC00000).view(_F32)
    nan = np.isnan(x)
    if nan.any():
        res[nan] = (x[nan].view(np.uint32) | np.uint32(0x00400000)).view(_F32)
    return res


def log(x):
    """``torch.log`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated` or :func:`intel_sqrt` (else NumPy's float64 ``log`` rounded once: within
    an ulp)."""
    if not emulated() and intel_sqrt():
        return _on_intel(x, np.log, _log_intel, _log_intel_small)
    return _on_float32(x, np.log, _log_ex)


# NOTE: on :func:`intel_sqrt`'s processor MKL's float32 ``log`` is another kernel (gdb:
# ``mkl_vml_kernel_sLn_Z0HAynn``), with fused multiply-adds (each rounded once), Intel's
# ``vrcp14ps`` estimate and a table of 32 rows.  For positive normal x = m * 2**E, m in [1, 2):
#
#     y = vrcp14ps(x) rounded to 6 significant bits by integer arithmetic on its bits (half
#         up): y = Y/64 * 2**-E with Y in 32..64, a step function of m (_LOG_INTEL_Y: Y falls
#         by one at each of these fraction bits of m, from 64); e = the exponent of y, i the
#         5 fraction bits of y (x's fraction in [1, 1.0079): Y = 64, e = -E, i = 0)
#     r = fma(y, x, -1)                                 (= Y/64 * m - 1, |r| < 0.0155)
#     T = fma(e, -L1, A[i]);   t = fma(e, -L2, B[i])    (T exact)
#     H = T + r;               c = r - (H - T)          (H's rounding error)
#     q = fma(fma(fma(r, C19, C20), r, -1/2), r * r, t)
#     log(x) = H + (q + c)
#
# where A[i] is -ln(1 + i/32) rounded to a multiple of 2**-15, B[i] the float32 nearest to the
# rest, L1 = ln 2 rounded to 16 bits (0x3f317200) and L2 the float32 nearest to the rest; C19
# and C20 (0xbe800810, 0x3eaab11e: near -1/4 and 1/3) were found by search, counting
# differences from ``torch.log``, as was A's rounding.  Where y is not a normal float (x at
# least 2**126 and subnormal x below 2**-127) the kernel takes x's mantissa in [1/2, 1)
# (``vgetmantps``) and its exponent instead: y = vrcp14ps(m) rounded to a multiple of 1/32 (half
# to even: _LOG_INTEL_Y2), e and i as above, E - e instead of -e, and a second table of
# ln 2 - ln(1 + i/32) split the same way (:func:`_log_intel_rare`).  Zeros, negatives,
# infinities and NaNs go to a scalar routine that gives what :func:`_log_rare` gives.  This
# reproduced ``torch.log`` on every float32 bit pattern.  The fused multiply-adds are done in
# float64 and rounded to float32 (as in :func:`_exp_intel`; here no sum needs the nudge).
_LOG_INTEL_Y = np.array((
    66304, 201600, 341248, 485504, 634496, 788480, 948480, 1113856, 1284864, 1462272, 1646592,
    1837440, 2036352, 2242432, 2457344, 2681216, 2914176, 3156992, 3410816, 3675904, 3953280,
    4243968, 4548224, 4867584, 5203328, 5556352, 5928064, 6320384, 6734848, 7173120, 7637632,
    8131200), np.uint32)
_LOG_INTEL_Y2 = np.array((
    66304, 201600, 341248, 485376, 634496, 788352, 948480, 1113728, 1284864, 1462144, 1646592,
    1837312, 2036352, 2242304, 2457344, 2681088, 2914176, 3156864, 3410816, 3675776, 3953280,
    4243712, 4548224, 4867328, 5203328, 5556096, 5928064, 6320128, 6734848, 7172864, 7637632,
    8130944), np.uint32)
_LOG_INTEL_DENORMAL_Y = 132992  # x in [2**126, 2**127): y = 2**-126 below this fraction
_LOG_INTEL_L1 = float(np.uint32(0x3F317200).view(_F32))
_LOG_INTEL_C19 = float(np.uint32(0xBE800810).view(_F32))
_LOG_INTEL_C20 = float(np.uint32(0x3EAAB11E).view(_F32))


@functools.lru_cache(maxsize=None)
def _log_intel_tables():
    """(L2, A, B, A2, B2): the rest of ln 2 after L1, and the two tables of the Intel log
    (-ln(1 + i/32), then ln 2 - ln(1 + i/32): a multiple of 2**-15 and the float32 nearest to
    the rest), from 80-bit values by :mod:`decimal`."""
    import decimal

    ctx = decimal.Context(prec=40)
    ln2 = ctx.ln(decimal.Decimal(2))
    l2 = float(ln2 - decimal.Decimal(_LOG_INTEL_L1))
    cols = []
    for shift in (0, 1):
        hi, lo = [], []
        for i in range(32):
            v = ctx.subtract(ln2 * shift, ctx.ln(ctx.add(1, ctx.divide(i, 32))))
            h = ctx.divide(ctx.multiply(v, 2 ** 15).to_integral_value(
                decimal.ROUND_HALF_EVEN), 2 ** 15)
            hi.append(float(h))
            lo.append(_F32(float(v - h)))
        cols += [np.array(hi, _F32), np.array(lo, _F32)]
    return (_F32(l2), *cols)


@functools.lru_cache(maxsize=None)
def _log_intel_buckets(second=False):
    """For m's fraction bits f in bucket f >> 15 (256 of them, each with at most one step of
    _LOG_INTEL_Y, or of _LOG_INTEL_Y2 if ``second``): the number of steps below the bucket in
    the top 8 bits, the step in it (or 2**24 - 1) in the low 24, so that the number of steps
    up to f is ``(v >> 24) + (f >= (v & 0xffffff))``."""
    steps = _LOG_INTEL_Y2 if second else _LOG_INTEL_Y
    start = np.arange(256, dtype=np.int64) << 15
    below = np.searchsorted(steps, start, side="left")
    nxt = np.where(below < steps.size, steps[np.minimum(below, steps.size - 1)], 2 ** 24 - 1)
    nxt = np.where(nxt < start + (1 << 15), nxt, 2 ** 24 - 1)
    return ((below << 24) | nxt).astype(np.uint32)


def _log_intel_tail(r, t_hi, t_lo, o, d, q=None):
    """The Intel log's last steps on float32 ``r``, ``T``, ``t`` (see above) into ``o``
    (``d``: float64 scratch, ``q``: float32 scratch or None; ``t_hi`` is overwritten).  No
    :func:`_fix_halfway`: on every float32 input none of these fused multiply-adds' float64
    sums falls halfway between two float32s other than exactly (checked), so that rounding them
    once more is rounding once."""
    f64 = np.float64
    q = np.empty_like(r) if q is None else q
    np.multiply(r, _LOG_INTEL_C19, out=d, dtype=f64)
    np.add(d, _LOG_INTEL_C20, out=d)
    np.copyto(q, d, casting="same_kind")
    np.multiply(q, r, out=d, dtype=f64)
    np.subtract(d, 0.5, out=d)
    np.copyto(q, d, casting="same_kind")
    np.multiply(r, r, out=o)                                      # r * r (o is free)
    np.multiply(q, o, out=d, dtype=f64)
    np.add(d, t_lo, out=d, dtype=f64)
    np.copyto(q, d, casting="same_kind")                          # q
    np.add(t_hi, r, out=o)                                        # H
    np.subtract(o, t_hi, out=t_hi)
    np.subtract(r, t_hi, out=t_hi)                                # c
    np.add(q, t_hi, out=q)
    np.add(o, q, out=o)
    return o


@functools.lru_cache(maxsize=None)
def _log_intel_index():
    """Tables of :func:`_log_intel` by ``b >> 15`` (sign, exponent, top 8 fraction bits of x):
    (K, V) with K = 64 * (x's biased exponent) + the steps of _LOG_INTEL_Y below the bucket
    and V the step in it (or 2**24 - 1), so that ``K + (fraction >= V)`` is 64 * exponent + s;
    and by that index: (Y/64 in float64, T, t) for s = 64 - Y, as :func:`_log_intel`'s steps
    compute them (T's and t's sums in float64, rounded once)."""
    l2, ta, tb = _log_intel_tables()[:3]
    v = _log_intel_buckets()
    key = np.arange(1 << 17)
    k = ((key >> 8) & 255) * 64 + (v[key & 255] >> 24)
    thr = v[key & 255] & np.uint32(0xFFFFFF)
    idx = np.arange(256 * 64)
    big_e, s = idx >> 6, idx & 63
    s = np.minimum(s, 32)   # (32 steps at most; the rest is never indexed)
    i = (32 - s) & 31
    e = (127 - big_e - (s > 0)).astype(np.int32)
    th = (e * -_LOG_INTEL_L1 + ta[i].astype(np.float64)).astype(_F32)
    tl = (e * -float(l2) + tb[i].astype(np.float64)).astype(_F32)
    return k.astype(np.intp), thr.astype(np.uint32), (64 - s) / 64, th, tl


_LOG_INTEL_KINDS = (np.intp, np.intp, np.float64, np.uint32, np.uint32, np.bool_, _F32, _F32,
                    _F32, _F32)


def _log_intel(x, out):
    """MKL's float32 ``vsLn`` on :func:`intel_sqrt`'s processor, on contiguous 1-d arrays: the
    steps of the NOTE above with what depends only on x's exponent and the step count s (Y/64,
    T, t) read from :func:`_log_intel_index`'s tables, in blocks on per-thread scratch."""
    k_tab, v_tab, y_tab, th_tab, tl_tab = _log_intel_index()
    u32 = np.uint32
    with np.errstate(all="ignore"):
        for lo in range(0, x.size, _BLOCK):
            xb, o = x[lo:lo + _BLOCK], out[lo:lo + _BLOCK]
            i, j, d, e, v, h, r, th, tl, q = _intel_scratch("log", _LOG_INTEL_KINDS, xb.size)
            b = xb.view(u32)
            np.right_shift(b, u32(15), out=j, casting="unsafe")
            k_tab.take(j, out=i, mode="clip")
            v_tab.take(j, out=v, mode="clip")
            np.bitwise_and(b, u32(0x7FFFFF), out=e)
            np.greater_equal(e, v, out=h)
            np.add(i, h, out=i)                                   # 64 * E + s, s = 64 - Y
            np.bitwise_or(e, u32(0x3F800000), out=e)              # m
            y_tab.take(i, out=d, mode="clip")
            np.multiply(d, e.view(_F32), out=d, dtype=np.float64)
            np.subtract(d, 1.0, out=d)                            # (exact)
            np.copyto(r, d, casting="same_kind")                  # r
            th_tab.take(i, out=th, mode="clip")                   # T (exact)
            tl_tab.take(i, out=tl, mode="clip")                   # t
            _log_intel_tail(r, th, tl, o, d, q)
            # the rest: x below 2**-126 or from 2**126 up, zeros, negatives, infinities, NaNs
            np.subtract(b, u32(0x00800000), out=e)
            np.greater_equal(e, u32(0x7E800000 - 0x00800000), out=h)
            if np.count_nonzero(h):
                o[h] = _log_intel_rare(xb[h])
    return out


def _log_intel_rare(x):
    """:func:`_log_intel` where x is not normal or from 2**126 up (both paths, per element)."""
    l2, ta, tb, sa, sb = _log_intel_tables()
    res = _log_rare(x)
    pos = (x > 0) & (x < np.inf)
    if not pos.any():
        return res
    xp = x[pos]
    mm, big_e = np.frexp(xp.astype(np.float64))          # mm in [1/2, 1), xp = mm * 2**big_e
    big_e -= 1                                           # the exponent of x (m = 2 mm)
    fr = (mm * 2 ** 24).astype(np.int64) - (1 << 23)     # m's 23 fraction bits
    s = np.searchsorted(_LOG_INTEL_Y, fr, side="right")
    ey = -big_e - (s > 0)
    fast = (ey >= -126) & (ey <= 127)
    den = (big_e == 126) & (fr < _LOG_INTEL_DENORMAL_Y)  # y rounds up to 2**-126 from below
    fast |= den
    s = np.where(den, 0, s)
    ey = np.where(den, -126, ey)
    yf = (64 - s) / 64
    r = np.where(fast, yf * (2 * mm) - 1, 0.0)
    th = np.where(fast, ey * -_LOG_INTEL_L1 + ta[(32 - s) & 31], 0.0)
    tl = np.where(fast, ey * -float(l2) + tb[(32 - s) & 31], 0.0)
    # the other path: y = vrcp14ps(mm) rounded to a multiple of 1/32, in [1, 2]
    s2 = np.searchsorted(_LOG_INTEL_Y2, fr, side="right")
    ys = (64 - s2) / 32
    es = (ys >= 2).astype(np.int64)
    i2 = np.where(ys >= 2, 0, (ys - 1) * 32).astype(np.intp)
    e2 = big_e - es
    r = np.where(fast, r, ys * mm - 1)
    th = np.where(fast, th, e2 * _LOG_INTEL_L1 + sa[i2])
    tl = np.where(fast, tl, e2 * float(l2) + sb[i2])
    n = xp.size
    out = np.empty(n, _F32)
    _log_intel_tail(r.astype(_F32), th.astype(_F32), tl.astype(_F32), out, np.empty(n))
    res[pos] = out
    return res


@functools.lru_cache(maxsize=None)
def _log_intel_lists():
    """(A, B, -L2, steps) of :func:`_log_intel` as Python lists and floats."""
    l2, ta, tb = _log_intel_tables()[:3]
    return ta.tolist(), tb.tolist(), -float(l2), _LOG_INTEL_Y.tolist()


def _log_intel_small(x):
    """:func:`_log_intel` on a few elements, one by one, as :func:`_exp_intel_small`."""
    ta, tb, ml2, steps = _log_intel_lists()
    pack, unpack, bisect_right = _R32.pack, _R32.unpack, bisect.bisect_right
    out = []
    for b in np.ascontiguousarray(x).reshape(-1).view(np.uint32).tolist():
        if not 0x00800000 <= b < 0x7E800000:
            return None
        f = b & 0x7FFFFF
        s = bisect_right(steps, f)                                  # 64 - Y
        i = (32 - s) & 31
        r = unpack(pack((64 - s) * (1.0 + f * 2.0 ** -23) * 0.015625 - 1.0))[0]
        k = 127 - (b >> 23) - (s > 0)                               # e
        th = unpack(pack(k * -_LOG_INTEL_L1 + ta[i]))[0]
        tl = unpack(pack(k * ml2 + tb[i]))[0]
        q = unpack(pack(r * _LOG_INTEL_C19 + _LOG_INTEL_C20))[0]   # (no nudges: as the tail's)
        q = unpack(pack(q * r - 0.5))[0]
        q = unpack(pack(q * unpack(pack(r * r))[0] + tl))[0]
        h = unpack(pack(th + r))[0]
        c = unpack(pack(r - unpack(pack(h - th))[0]))[0]
        out.append(h + unpack(pack(q + c))[0])
    return np.array(out, _F32).reshape(x.shape)


# -- log2 ----------------------------------------------------------------------------------
# NOTE: PyTorch's float32 ``log2`` on the CPU is MKL's ``vmsLog2`` (high accuracy); on the
# measured processor its generic SSE2 kernel (gdb: ``mkl_vml_kernel_sLog2_EXHAynn``), plain
# IEEE float32 with no fused multiply-add, the same in its wide loop and its tail.  With b
# the bits of x, m = the float32 with bits (b & 0x7fffff) | 0x3c000000 (x's fraction, in
# [2**-7, 2**-6)) and mh the same with the low 8 fraction bits cleared:
#
#     y = rcpps(m) * 1.4375, rounded to an integer (92 to 184) by adding and taking off
#         1.5 * 2**23; it depends only on the top 12 fraction bits (_LOG2_STEPS)
#     r = (mh * y - 1.4375) + (m - mh) * y
#     t = H[y] + float(b >> 23)                         # the biased exponent
#     q = ((r * P[0] + P[1]) * r + P[2]) * r
#     s = t + r;   log2(x) = ((((t - s) + r) + L[y]) + q) + s
#
# where H[y] + L[y] = -120 - log2(y / 1.4375), H rounded to a multiple of 2**-14 and L the
# float32 nearest to the rest.  ``rcpps`` is a table in the processor; measured here with
# ``_mm_rcp_ps`` on all 2**23 fractions, the rounded y falls by one at each index of
# _LOG2_STEPS (index: the top 12 fraction bits) from 184.  Positive normal finite x take
# that path, the rest a scalar routine: zeros give -inf, negatives the quiet NaN 0x7fc00000,
# +inf itself, NaNs come back quieted; subnormals are scaled by 2**27 and go through a
# float32 algorithm of their own with a 65-row table of MKL's, not reproduced here (so they
# are rounded from float64: within an ulp).  The rest reproduced ``torch.log2`` on every
# float32 bit pattern.
_LOG2_STEPS = (
    12, 33, 56, 80, 103, 126, 150, 174, 199, 223, 248, 272, 299, 325, 351, 377, 403, 431, 458,
    486, 513, 543, 571, 600, 629, 659, 689, 720, 751, 783, 814, 847, 879, 912, 946, 979, 1014,
    1049, 1085, 1120, 1157, 1193, 1230, 1269, 1308, 1346, 1386, 1426, 1467, 1507, 1550, 1592,
    1636, 1679, 1724, 1769, 1816, 1861, 1909, 1959, 2007, 2057, 2107, 2159, 2210, 2264, 2318,
    2374, 2429, 2486, 2543, 2604, 2663, 2725, 2786, 2851, 2915, 2980, 3047, 3117, 3187, 3256,
    3330, 3404, 3479, 3555, 3634, 3714, 3796, 3879, 3965, 4052)
_LOG2_POLY = _f32_bits(0x3E25C86A, 0xBEB2BB8C, 0x3B6CD7E0)
_LOG2_Y = _F32(1.4375)


@functools.lru_cache(maxsize=None)
def _log2_tables():
    """(Y, H, L) by the top 12 fraction bits: the rounded ``rcpps`` estimate y, H[y], L[y]."""
    import decimal

    y = 184 - np.searchsorted(np.array(_LOG2_STEPS), np.arange(4096), side="right")
    ctx = decimal.Context(prec=60)
    ln2, c = ctx.ln(decimal.Decimal(2)), decimal.Decimal("1.4375")
    hi, lo = {}, {}
    for v in range(92, 185):
        exact = -120 - ctx.divide(ctx.ln(ctx.divide(decimal.Decimal(v), c)), ln2)
        h = ctx.divide((exact * 16384).to_integral_value(decimal.ROUND_HALF_EVEN), 16384)
        hi[v], lo[v] = _F32(float(h)), _F32(float(exact - h))
    return (y.astype(_F32), np.array([hi[v] for v in y], _F32),
            np.array([lo[v] for v in y], _F32))


def _log2_ex(x, out):
    """MKL's generic float32 ``vsLog2`` (high accuracy) on contiguous 1-d float32 arrays."""
    ys, his, los = _log2_tables()
    p0, p1, p2 = _LOG2_POLY
    with np.errstate(all="ignore"):
        for xb, o, (i, mb, hb, y, r, t, q, bad) in _blocked(x, out, "IIIffffb"):
            b = xb.view(np.uint32)
            np.right_shift(b, np.uint32(11), out=i)
            np.bitwise_and(i, np.uint32(0xFFF), out=i)
            np.take(ys, i, out=y, mode="clip")
            np.bitwise_and(b, np.uint32(0x7FFFFF), out=mb)
            np.bitwise_and(mb, np.uint32(0x7FFF00), out=hb)
            np.bitwise_or(mb, np.uint32(0x3C000000), out=mb)
            np.bitwise_or(hb, np.uint32(0x3C000000), out=hb)
            mf, hf = mb.view(_F32), hb.view(_F32)
            np.subtract(mf, hf, out=mf)                 # m - mh
            np.multiply(mf, y, out=mf)
            np.multiply(hf, y, out=r)
            np.subtract(r, _LOG2_Y, out=r)
            np.add(r, mf, out=r)                        # r
            np.right_shift(b, np.uint32(23), out=hb)
            np.copyto(t, hb, casting="unsafe")          # the biased exponent (exact)
            np.take(his, i, out=q, mode="clip")
            np.add(q, t, out=t)                         # t
            np.take(los, i, out=y, mode="clip")         # L (y is no longer needed)
            np.multiply(r, p0, out=q)
            np.add(q, p1, out=q)
            np.multiply(q, r, out=q)
            np.add(q, p2, out=q)
            np.multiply(q, r, out=q)                    # q
            np.add(t, r, out=mf)                        # s
            np.subtract(t, mf, out=t)
            np.add(t, r, out=t)
            np.add(t, y, out=t)
            np.add(t, q, out=t)
            np.add(t, mf, out=o)
            # the scalar path: all but positive normal finite x (as for log)
            np.subtract(b, np.uint32(0x00800000), out=i)
            np.greater(i, np.uint32(0x7F7FFFFF - 0x00800000), out=bad)
            if bad.any():
                o[bad] = _log_rare(xb[bad], np.log2)
    return out


def _log2_intel(x, out):
    """:func:`log2` on :func:`intel_sqrt`'s processor: NumPy's float64 ``log2`` rounded once
    (MKL's AVX-512 kernel is not modelled: within an ulp, equal on all but about 1 in 100,000
    values), with that kernel's NaN for x < 0 (+nan, 0x7fc00000, where NumPy gives -nan, as
    the generic kernel does); NaN arguments come back as themselves, quieted, either way."""
    with np.errstate(all="ignore"):
        np.copyto(out, np.log2(x, dtype=np.float64), casting="unsafe")
    bad = (out != out) & (x == x)
    if bad.any():
        out[bad] = np.uint32(0x7FC00000).view(_F32)
    return out


def log2(x):
    """``torch.log2`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated` (else NumPy's float64 ``log2`` rounded once: within an ulp)."""
    if not emulated() and intel_sqrt():
        return _on_intel(x, np.log2, _log2_intel)
    return _on_float32(x, np.log2, _log2_ex)


# -- sin, cos ------------------------------------------------------------------------------
# NOTE: PyTorch's float32 ``sin`` and ``cos`` are MKL's ``vmsSin``, ``vmsCos``; on the
# measured processor their generic kernels (gdb: ``mkl_vml_kernel_sSin_EXHAynn``,
# ``..._sCos_EXHAynn``) reduce |x| <= 10000 by a multiple of pi in float64 and evaluate one
# odd polynomial, with these roundings (a = |x|, float32 but where marked):
#
#     sin:  s = a * (1 / pi) + 1.5 * 2**23;          n = s - 1.5 * 2**23
#     cos:  s = (a + pi / 2) * (1 / pi) + 1.5 * 2**23;  n = (s - 1.5 * 2**23) - 0.5
#     r = (a - n * P1) - n * P2                          # float64, P1 + P2 ~ pi
#     z = r * r;  p = (((z * S[0] + S[1]) * z + S[2]) * z + S[3]) * z   # float64
#     result = float32(p * r + r), its sign flipped by s's lowest bit (and, for sin, x's sign)
#
# Larger finite |x| take an integer reduction and a 256-row table, all in float32 (see
# _trig_big); infinities (the NaN 0xffc00000) and NaNs (quieted) come out as NumPy's float64
# results rounded.  This reproduced ``torch.sin`` and ``torch.cos`` on every one of the
# 2**32 float32 bit patterns.
_TRIG_INV_PI = _F32(0.31830987334251404)      # 0x3ea2f983
_TRIG_HALF_PI = _F32(1.5707963705062866)      # 0x3fc90fdb
_TRIG_P1 = float.fromhex("0x1.921fb54440000p+1")
_TRIG_P2 = float.fromhex("0x1.68c234c4c6629p-38")
_TRIG_POLY = tuple(float.fromhex(h) for h in (
    "0x1.5dbdf0e4c7deep-19", "-0x1.9f6ffeea73463p-13", "0x1.110ed3804ca96p-7",
    "-0x1.55554bc836587p-3"))
_TRIG_BIG = _F32(10000.0)


def _signs_and_rest(o, sb, xb, a, bad, x_sign):
    """The end of sin's, cos's and tan's vector path: ``o``'s sign flipped by the lowest bit of
    ``sb`` (the reduction's bits: n's parity) and, with ``x_sign``, by the input ``xb``'s; then
    ``bad`` marks the inputs for the other paths (|x| > 10000, infinities, NaNs).  ``sb`` and
    ``a`` (float32 scratch) are overwritten."""
    np.left_shift(sb, np.uint32(31), out=sb)
    if x_sign:
        xs = a.view(np.uint32)
        np.bitwise_and(xb.view(np.uint32), np.uint32(0x80000000), out=xs)
        np.bitwise_xor(sb, xs, out=sb)
    ob = o.view(np.uint32)
    np.bitwise_xor(ob, sb, out=ob)
    np.abs(xb, out=a)
    np.logical_not(np.less_equal(a, _TRIG_BIG), out=bad)


def _trig_ex(x, out, cos, intel=False):
    """MKL's generic float32 ``vsSin`` (or ``vsCos``) on contiguous 1-d float32 arrays
    (``intel``: the Intel kernel's values, :data:`_TRIG_INTEL_FIX`)."""
    c0, c1, c2, c3 = _TRIG_POLY
    with np.errstate(all="ignore"):
        for xb, o, (a, s, nd, r, z, p, bad) in _blocked(x, out, "ffddddb"):
            np.abs(xb, out=a)
            if cos:
                np.add(a, _TRIG_HALF_PI, out=s)
                np.multiply(s, _TRIG_INV_PI, out=s)
            else:
                np.multiply(a, _TRIG_INV_PI, out=s)
            np.add(s, _EXP_SHIFT, out=s)
            nf = o  # (scratch: o is written last)
            np.subtract(s, _EXP_SHIFT, out=nf)
            if cos:
                np.subtract(nf, _HALF, out=nf)
            np.copyto(nd, nf)                           # n, exact
            np.multiply(nd, _TRIG_P1, out=z)
            np.copyto(r, a)
            np.subtract(r, z, out=r)
            np.multiply(nd, _TRIG_P2, out=z)
            np.subtract(r, z, out=r)                    # r
            np.multiply(r, r, out=z)
            np.multiply(z, c0, out=p)
            np.add(p, c1, out=p)
            np.multiply(p, z, out=p)
            np.add(p, c2, out=p)
            np.multiply(p, z, out=p)
            np.add(p, c3, out=p)
            np.multiply(p, z, out=p)
            np.multiply(p, r, out=p)
            np.add(p, r, out=p)
            np.copyto(o, p, casting="same_kind")        # float32, rounded once
            # the sign: s's lowest bit (n's parity), and x's for sin
            _signs_and_rest(o, s.view(np.uint32), xb, a, bad, not cos)
            if intel and not a.max() < _TRIG_INTEL_FIX_MIN:  # (a NaN's max too)
                keys, steps = _TRIG_INTEL_FIX[cos]
                fix = np.isin(a.view(np.uint32), keys)
                if fix.any():
                    i = np.searchsorted(keys, a.view(np.uint32)[fix])
                    o.view(np.int32)[fix] += steps[i]
            if bad.any():
                xo = xb[bad]
                res = _trig_big(np.abs(xo) if cos else xo, cos)
                odd = ~np.isfinite(xo)
                if odd.any():
                    fn = np.cos if cos else np.sin
                    res[odd] = fn(xo[odd].astype(np.float64)).astype(_F32)
                o[bad] = res
    return out


@functools.lru_cache(maxsize=None)
def _trig_tables():
    """(W, T): W[e] the 96 bits of floor(2**(e - 54) / (2 pi)) (mod 2**96) as three words,
    for each biased exponent e; T[j] (j = 0..255, angle t = 2 pi j / 256) the float32 row
    (cos t - D, sin t rounded, what is left of sin t, D), D being cos t rounded to a power
    of two (the nearest in ratio) or 0."""
    import decimal

    dec = decimal.Decimal
    with decimal.localcontext() as ctx:
        ctx.prec = 140
        tiny = dec(10) ** -135

        def atan_inv(k):     # atan(1 / k) by its series
            total, term, n = dec(0), 1 / dec(k), 1
            while term > tiny:
                total += term / n if n % 4 == 1 else -term / n
                term, n = term / (k * k), n + 2
            return total

        def series(t, n):    # sin (n = 1) or cos (n = 0) by Taylor's series
            total, term = dec(0), t if n else dec(1)
            while abs(term) > tiny:
                total += term
                term = -term * t * t / ((n + 1) * (n + 2))
                n += 2
            return total

        pi = 16 * atan_inv(5) - 4 * atan_inv(239)       # Machin's formula
        words = np.zeros((256, 3), np.uint32)
        for e in range(54, 256):
            v = int(dec(2) ** (e - 54) / (2 * pi)) % (1 << 96)
            words[e] = (v >> 64, (v >> 32) & 0xFFFFFFFF, v & 0xFFFFFFFF)
        def f32(v):          # (what is within the error of the series is 0)
            return _F32(float(v)) if abs(v) > tiny else _F32(0)

        rows = np.zeros((256, 4), _F32)
        for j in range(256):
            t = 2 * pi * j / 256
            sn, cs = (series(t, n) for n in (1, 0))
            d = 0.0
            if abs(cs) > tiny:
                m, k = math.frexp(float(cs))
                d = math.copysign(2.0 ** (k - 1) if abs(m) < 0.7071 else 2.0 ** k, m)
            b = f32(sn)
            rows[j] = (f32(cs - dec(d)), b, f32(sn - dec(float(b))), _F32(d))
    return words, rows


def _reduce_big(x):
    """The reduction of MKL's generic sin, cos and tan kernels for finite |x| > 10000: x / (2 pi)
    in turns by an integer product of x's 24 significand bits (as 8 + 16) with the 96 bits of
    W[e] (as 16-bit digits, the lowest partial product dropped), split as a multiple of
    1 / 256 turn (the float32 s holds its count in its low 8 bits) and a rest carried as a
    float32 pair, times 2 pi as a float32 pair (rh, rl), the sign of x kept: (rh, rl, s)."""
    u32, f32 = np.uint32, _F32
    words, _ = _trig_tables()
    b = x.view(u32)
    w = words[(b >> u32(23)) & u32(0xFF)]
    t0h, t0l = w[:, 0] >> u32(16), w[:, 0] & u32(0xFFFF)
    t1h, t1l = w[:, 1] >> u32(16), w[:, 1] & u32(0xFFFF)
    t2h, t2l = w[:, 2] >> u32(16), w[:, 2] & u32(0xFFFF)
    mh = ((b >> u32(16)) & u32(0x7F)) | u32(0x80)          # the top 8 significand bits
    ml = b & u32(0xFFFF)                                    # the low 16
    lo16, sh16 = u32(0xFFFF), u32(16)
    h_ = t0l * ml
    i_ = t1h * ml
    j_ = t1l * ml
    k_ = t2h * ml
    c0 = ((t2l * mh) >> sh16) + (j_ & lo16) + (k_ >> sh16) + t2h * mh
    c1 = (c0 >> sh16) + (i_ & lo16) + t1l * mh + (j_ >> sh16)
    c2 = (c1 >> sh16) + (h_ & lo16) + (i_ >> sh16) + t1h * mh
    top = (((h_ >> sh16) + t0h * ml + t0l * mh) << sh16) + c2   # (mod 2**32: whole turns)
    sign = b & u32(0x80000000)
    with np.errstate(all="ignore"):
        hi = (sign | u32(0x3F800000) | (top >> u32(9))).view(f32)      # +-(1 + turns)
        s = hi + f32(49152.0)                                           # its low 8 bits: j
        h = hi - (s + f32(-49152.0))
        e23 = sign | u32(0x34000000)
        mid = (e23 | ((c2 & u32(0x1FF)) << u32(14)) | ((c1 & lo16) >> u32(2))).view(f32)
        mid = mid - e23.view(f32)
        e46 = sign | u32(0x28800000)
        low = (e46 | ((((c1 & u32(3)) << sh16) | (c0 & lo16)) << u32(5))).view(f32)
        low = low - e46.view(f32)
        hh = mid + h
        ll = ((h - hh) + mid) + low
        # times 2 pi (6.283203 - 1.781782e-05, and 6.2831855)
        p1, p2 = np.uint32(0x40C91000).view(f32), np.uint32(0x3795777A).view(f32)
        hb = (hh.view(u32) & u32(0xFFFFF000)).view(f32)
        hl = hh - hb
        a = hb * p1
        rest = (ll * np.uint32(0x40C90FDB).view(f32) - hl * p2) + (hl * p1 - hb * p2)
        rh = a + rest
        rl = (a - rh) + rest
    return rh, rl, s


def _trig_big(x, cos):
    """MKL's generic sin and cos for finite |x| > 10000 (cos: given |x|): with (rh, rl, s) of
    :func:`_reduce_big` and t = 2 pi j / 256 (j: s's low 8 bits, plus 64 for cos),
    ``sin(t + r) = sin t + sin t (cos r - 1) + cos t sin r`` in float32 with the row of t."""
    u32, f32 = np.uint32, _F32
    _, rows = _trig_tables()
    rh, rl, s = _reduce_big(x)
    with np.errstate(all="ignore"):
        j = s.view(u32) & u32(0xFF)
        if cos:
            j = (j + u32(64)) & u32(0xFF)
        ca, sb, sc, cd = rows[j].T
        z = rh * rh
        ps = ((z * np.uint32(0x3C08885C).view(f32) + np.uint32(0xBE2AAAAB).view(f32)) * z) * rh
        pc = ((z * np.uint32(0x3D2AAA7C).view(f32) + f32(-0.5)) * z) * sb
        ar, dr = ca * rh, cd * rh
        s1 = dr + sb
        s2 = ar + s1
        tail = ((s1 - s2) + ar) + ((sb - s1) + dr)
        q = (cd + ca) - rh * sb
        return ((q * ps + tail) + (pc + (rl * q + sc))) + s2


# NOTE: on the Intel processor of :func:`intel_sqrt` MKL runs other kernels (gdb:
# ``mkl_vml_kernel_sSin_Z0HAynn``, ``..._sCos_Z0HAynn``).  For |x| <= 10000 they gave the
# generic kernel's values above on every float32 (all 2**32 bit patterns swept) but 20: these
# |x| (both signs), whose sines or cosines lie within 4e-7 of +-1 (r near +-pi/2, where the
# polynomials' errors, about 0.1 ulp, decide the rounding); there the Intel kernel's value is
# the generic one moved by an ulp, in magnitude: down, but up for cos(+-0x461b2a4d) (the
# step is in the bit pattern's magnitude, so the same for both signs).  Its polynomial is not
# known: only these inputs tell it apart.  Beyond 10000 its reduction or table is another:
# there the generic path (_trig_big) is kept as the nearest known (it differed on 0.023% of
# 130 million such inputs swept, NumPy's float64 rounding on 1.0%): within an ulp, not bit for
# bit.  ({cos: (sorted |x| bits, step)})
_TRIG_INTEL_FIX = {
    False: (np.array((0x45E8225F, 0x4601845F), np.uint32), np.array((-1, -1), np.int32)),
    True: (np.array((0x454CFD2B, 0x45CA0B2F, 0x45D7FC09, 0x4601006D, 0x460B687F, 0x460D4605,
                     0x461260EC, 0x461B2A4D), np.uint32),
           np.array((-1, -1, -1, -1, -1, -1, -1, 1), np.int32))}
_TRIG_INTEL_FIX_MIN = np.uint32(0x454CFD2B).view(_F32)


@functools.lru_cache(maxsize=None)
def _trig_small_consts():
    fix = {c: dict(zip(k.tolist(), v.tolist())) for c, (k, v) in _TRIG_INTEL_FIX.items()}
    return (float(_TRIG_INV_PI), float(_TRIG_HALF_PI), float(_EXP_SHIFT), _TRIG_POLY,
            float(_TRIG_BIG), float(_TRIG_INTEL_FIX_MIN), fix)


def _trig_intel_small(x, cos):
    """:func:`_trig_ex` (``intel``) on a few elements, one by one in Python floats as
    :func:`_exp_intel_small` (None if one is not on the vector path)."""
    inv_pi, half_pi, shift, (c0, c1, c2, c3), big, fix_min, fix = _trig_small_consts()
    pack, unpack, p1, p2, fix = _R32.pack, _R32.unpack, _TRIG_P1, _TRIG_P2, fix[cos]
    out = []
    for v in x.ravel().tolist():
        a = abs(v)
        if not a <= big:   # (NaNs too)
            return None
        if cos:
            s = unpack(pack(unpack(pack(a + half_pi))[0] * inv_pi))[0]
        else:
            s = unpack(pack(a * inv_pi))[0]
        s = unpack(pack(s + shift))[0]
        n = s - shift
        if cos:
            n -= 0.5
        r = (a - n * p1) - n * p2
        z = r * r
        p = (((z * c0 + c1) * z + c2) * z + c3) * z
        o = unpack(pack(p * r + r))[0]
        if a >= fix_min:
            step = fix.get(struct.unpack("=I", pack(a))[0])
            if step is not None:   # (the magnitude's bits moved by an ulp)
                o = unpack(struct.pack("=I", struct.unpack("=I", pack(o))[0] + step))[0]
        if (int(s) & 1) ^ (not cos and math.copysign(1.0, v) < 0):
            o = -o
        out.append(o)
    return np.array(out, _F32).reshape(x.shape)


def _trig(x, cos):
    ref = np.cos if cos else np.sin
    if not emulated() and intel_sqrt():
        return _on_intel(x, ref, lambda flat, out: _trig_ex(flat, out, cos, True),
                         lambda x: _trig_intel_small(x, cos))
    return _on_float32(x, ref, lambda flat, out: _trig_ex(flat, out, cos))


def sin(x):
    """``torch.sin`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated`, or :func:`intel_sqrt` for |x| <= 10000 (beyond: within an ulp); else
    NumPy's float64 ``sin`` rounded once (within an ulp)."""
    return _trig(x, False)


def cos(x):
    """``torch.cos`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated`, or :func:`intel_sqrt` for |x| <= 10000 (beyond: within an ulp); else
    NumPy's float64 ``cos`` rounded once (within an ulp)."""
    return _trig(x, True)


# -- tan -----------------------------------------------------------------------------------
# NOTE: PyTorch's float32 ``tan`` is MKL's ``vmsTan``; its generic kernel on the measured
# processor (gdb: ``mkl_vml_kernel_sTan_EXHAynn``) reduces |x| <= 10000 by a multiple of pi / 2
# in float64 and divides two polynomials (a = |x|, float32 but where marked):
#
#     s = a * (2 / pi) + 1.5 * 2**23;  n = s - 1.5 * 2**23
#     r = (a - n * P1) - n * P2                          # float64, P1 + P2 ~ pi / 2
#     z = r * r;  u = r - (r * C[0]) * z;  v = (z * C[1] + C[2]) * z + 1      # float64
#     result = float32(u / v), or for odd n float32(v / u), its sign flipped by s's lowest
#     bit and x's sign
#
# Larger finite |x| take sin's reduction (_reduce_big) and a 128-row table of MKL's own
# coefficients, not reproduced here: they, infinities and NaNs come out as NumPy's float64
# results rounded (within an ulp).  |x| <= 10000 reproduced ``torch.tan`` on every such
# float32 bit pattern.
_TAN_2_PI = np.uint32(0x3F22F983).view(_F32)
_TAN_P1 = float.fromhex("0x1.921fb54440000p+0")
_TAN_P2 = float.fromhex("0x1.68c234c4c6629p-39")
_TAN_POLY = tuple(float.fromhex(h) for h in (
    "0x1.8867706ed6612p-4", "0x1.3e66ea6aa37f2p-7", "-0x1.b76f5e7f08c11p-2"))


def _tan_ex(x, out):
    """MKL's generic float32 ``vsTan`` for |x| <= 10000 (see above) on contiguous 1-d float32
    arrays."""
    c0, c1, c2 = _TAN_POLY
    with np.errstate(all="ignore"):
        for xb, o, (a, s, nd, r, z, u, v, bad) in _blocked(x, out, "ffdddddb"):
            np.abs(xb, out=a)
            np.multiply(a, _TAN_2_PI, out=s)
            np.add(s, _EXP_SHIFT, out=s)
            np.subtract(s, _EXP_SHIFT, out=o)           # n (o as scratch)
            np.copyto(nd, o)
            np.multiply(nd, _TAN_P1, out=z)
            np.copyto(r, a)
            np.subtract(r, z, out=r)
            np.multiply(nd, _TAN_P2, out=z)
            np.subtract(r, z, out=r)                    # r
            np.multiply(r, r, out=z)
            np.multiply(r, c0, out=u)
            np.multiply(u, z, out=u)
            np.subtract(r, u, out=u)                    # u
            np.multiply(z, c1, out=v)
            np.add(v, c2, out=v)
            np.multiply(v, z, out=v)
            np.add(v, 1.0, out=v)                       # v
            sb = s.view(np.uint32)
            np.bitwise_and(sb, np.uint32(1), out=a.view(np.uint32))
            np.not_equal(a.view(np.uint32), 0, out=bad)  # odd n: v / u
            np.divide(u, v, out=nd)
            np.divide(v, u, out=nd, where=bad)
            np.copyto(o, nd, casting="same_kind")
            _signs_and_rest(o, sb, xb, a, bad, True)
            if bad.any():
                xo = xb[bad]
                # (MKL's large-argument path takes a table of its own: rounded from float64)
                o[bad] = np.tan(xo.astype(np.float64)).astype(_F32)
    return out


# rcpps(m) * 2**13 for m in [1, 2) by its top 12 fraction bits j, less round(2**13 / (1 +
# (j + 0.5) / 4096)): -1, 0 or +1 (stored as 0, 1, 2, four to a byte, zlib-compressed),
# measured with ``_mm_rcp_ps`` on all 2**23 fractions of the processor _TABLE was taken on
_RCP_TABLE = (
    "eNplU92q8yAQPIX2AQLxfc4H6X2EjmDuV4jvo2DuFepTnlmbnh74GqY7Mxp/djcral9/of98ttotKqoj08dVCAAy"
    "9FgdgbYJZ9jL9Q4/Q/aZ0R+tP5J4n9u+Hy/4LJ6vGkbsh/iBTO3sNR5iFoS2SOhEWyABofcFYAx/AJTeGR0Kdekh"
    "HESJwc3Iu5TWZySBJ/eNyDuQZebGohufP/ITquy8HxmrhX84t6Wcjw/cBgf/bO1Izvna8sb5d3onyPHv9syOK1XE"
    "1J8GiTl6YkdHHFBedaMHx8kxfAN8RWCN6hO0k05KvXeGfh5V5Zv/99Ox+HspLUzvl/XU1WmhTrhhmXXMGXNZWqfR"
    "6fiKS9pqTLH2bwoFeaS3JTfOjtyVCy+93jTmqItao4dO7AHNxAcGNW+xJrdJ0ixRk/ME9B0zZ0zli03ze7/dBMZA"
    "hI1Ua6pVBie4FO7W2kyfmntbm6r6jKqtXXkHjuvlR90r69qEDfiBaq19kle17/bdC42NKad3tbPmhW3j24z5lVHx"
    "4oM6e5vteHBGu9PlWOCMsZbBg16hToP7UMbSr6iavl0mP7yE2IoYnJozlseEBfYPJvVsYaOXwu+hjAqrb4dOg09l"
    "+BOK59dhRmQ6pylx4eJD+HDgGV9aUU7vjR8NUo/+")

@functools.lru_cache(maxsize=None)
def _rcp_estimates():
    codes = np.frombuffer(zlib.decompress(base64.b64decode("".join(_RCP_TABLE))), np.uint8)
    delta = np.stack([(codes >> s) & 3 for s in (0, 2, 4, 6)], axis=1).reshape(-1)
    j = np.arange(4096)
    q = np.round(8192 / (1 + (j + 0.5) / 4096)) + delta.astype(np.float64) - 1
    return (q / 8192).astype(_F32).view(np.uint32)


def _rcpps(x):
    """The processor's ``rcpps`` (1/x to 12 bits) on float32 x: its estimate for the
    fraction (in [0.5, 1)), the exponent negated; zeros and subnormals give infinities,
    results below the normal range (|x| >= 2**126) zeros, NaNs stay (quieted)."""
    u32 = np.uint32
    b = np.ascontiguousarray(x, _F32).view(u32)
    e = b & u32(0x7F800000)                   # the exponent field
    out = _rcp_estimates()[(b >> u32(11)) & u32(0xFFF)]
    out += u32(127 << 23)
    out -= e                                  # (mod 2**32)
    if e.min() == 0 or e.max() >= u32(253 << 23):
        out[e >= u32(253 << 23)] = 0
        out[e == 0] = 0x7F800000
        nan = (b & u32(0x7FFFFFFF)) > u32(0x7F800000)
        out[nan] = b[nan] | u32(0x00400000)
    out |= b & u32(0x80000000)
    return out.view(_F32)


def tan(x):
    """``torch.tan`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated` (else NumPy's float64 ``tan`` rounded once: within an ulp)."""
    return _on_float32(x, np.tan, _tan_ex)


# -- atan ----------------------------------------------------------------------------------
# NOTE: PyTorch's float32 ``atan`` is MKL's ``vmsAtan``; its generic kernel on the measured
# processor (gdb: ``mkl_vml_kernel_sAtan_EXHAynn``), for 2**-125 <= |x| < 2**123, picks by
# a = |x| a centre c (0, 0.5, 1, 2 or infinity) and in float32 the numerator and denominator
# of (a - c) / (1 + a c) (for c = infinity: -1 / a), divides in float64 with the ``rcpps``
# estimate y of the denominator d refined as (1 + e*e) * (e y + y), e = 1 - d y, splits the
# quotient q into its top 24 bits qh and the float32 rest ql, and adds, in float32,
#
#     atan(a) = (((P(qh*qh) * qh) + (L + ql)) + qh) + H      # H + L ~ atan(c)
#
# with the sign of x.  Other x (tiny, huge, infinite, NaN) go to a scalar routine, NumPy's
# float64 result rounded on every one of them.  This reproduced ``torch.atan`` on every one
# of the 2**32 float32 bit patterns.
_ATAN_EDGES = (0x3EC00000, 0x3F3851EC, 0x3FE00000, 0x402C0001)   # 0.375, ~0.72, 1.75, 2.6875
_ATAN_HI = _f32_bits(0, 0x3EED6338, 0x3F490FD8, 0x3F8DB710, 0x3FC90FD8)
_ATAN_LO = _f32_bits(0, 0x31AC3768, 0x34288858, 0xB4DA2880, 0x34A88858)
_ATAN_POLY = _f32_bits(0x3DAE1329, 0x3E4CAA3B, 0xBE0F4E4E, 0xBEAAAA6C)


def _atan_block(x):
    u32, f32 = np.uint32, _F32
    b = x.view(u32)
    ab = b & u32(0x7FFFFFFF)
    a = ab.view(f32)
    k = np.searchsorted(np.array(_ATAN_EDGES, u32), ab, side="right")   # the interval
    c = np.array((0, 0.5, 1, 2, 0), f32)[k]
    far = k == 4                                    # c = infinity: -1 / a
    num = np.where(far, f32(-1), a - c)
    den = np.where(far, a, a * c + f32(1))          # (a * 2 is exactly a + a)
    y = _rcpps(den).astype(np.float64)
    e = 1.0 - den.astype(np.float64) * y
    y1 = e * y + y
    q = ((e * e + 1.0) * y1) * num.astype(np.float64)
    qh64 = (q.view(np.uint64) & np.uint64(0xFFFFFFFFE0000000)).view(np.float64)
    qh, ql = qh64.astype(f32), (q - qh64).astype(f32)
    c0, c1, c2, c3 = _ATAN_POLY
    z = qh * qh
    z2 = z * z
    p = (((z2 * c0 + c1) * z + (z2 * c2 + c3)) * z) * qh
    res = ((p + (np.array(_ATAN_LO, f32)[k] + ql)) + qh) + np.array(_ATAN_HI, f32)[k]
    res = (res.view(u32) | (b & u32(0x80000000))).view(f32)
    rare = (ab < u32(0x01000000)) | (ab >= u32(0x7D000000))
    if rare.any():
        res[rare] = np.arctan(x[rare].astype(np.float64)).astype(f32)
    return res


def atan(x):
    """``torch.atan`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated` (else NumPy's float64 ``arctan`` rounded once: within an ulp)."""
    return _blocks(_atan_block, x, np.arctan)


# -- asin, acos ----------------------------------------------------------------------------
# NOTE: PyTorch's float32 ``asin`` is MKL's ``vmsAsin``; its generic kernel on the measured
# processor (gdb: ``mkl_vml_kernel_sAsin_EXHAynn``), all in float32, for a = |x| <= 1:
#
#     w = 0.5 - a * 0.5;  z = a * a if a * a < w else w;  P = polynomial(z) * z
#     a < 0.5:  asin(a) = (a * P + 0) + a
#     else:     s ~ sqrt(2 w) from the ``rsqrtps`` estimate y of w (the top 11 bits kept)
#               with a correction term, and asin(a) = pi/2 - 2 asin(sqrt(w)) in pieces
#
# (see _asin_block), with the sign of x.  |x| > 1 gives the NaN 0xffc00000 and NaNs keep
# their sign and top payload bits (quieted, the low 13 bits cleared).  ``acos``
# (``mkl_vml_kernel_sAcos_EXHAynn``) is built from the same pieces on -|x| (_acos_block; its
# NaNs keep their whole payload).  These reproduced ``torch.asin`` and ``torch.acos`` on
# every one of the 2**32 float32 bit patterns.
_ASIN_POLY = _f32_bits(0x3D2EDC07, 0x3CC32A6B, 0x3D3A9AB4, 0x3D997C12, 0x3E2AAAFF)


def _keep(v, mask):
    return (v.view(np.uint32) & np.uint32(mask)).view(_F32)


# NOTE: on the Intel processor of :func:`intel_sqrt` MKL's float32 asin and acos (vmsAsin,
# vmsAcos) run AVX-512 kernels whose steps are the generic kernels' above but for three
# things, found by trying each variant on millions of random inputs against ``torch.asin`` and
# ``torch.acos`` there: the estimate of 1/sqrt(w) is ``vrsqrt14ps``'s (:func:`_rsqrt14_est`)
# with its top 12 fraction bits kept (not 11); the polynomial's four steps, the correction's
# two products and the last product of the a >= 0.5 branch (acos: the last one before
# ``+ u``) are fused multiply-adds; and the residual e is ``fma(s0, y, -2) + s1 * y`` (s0 not
# split).  This reproduced PyTorch's bits on every float32 with |x| <= 1 (both signs) and on
# millions of random bit patterns (|x| > 1, infinities and NaNs as the generic kernels):
# ``EMBER_EXHAUSTIVE=1`` in tests/test_intel_common_bits.py.
def _fma(a, b, c):
    """float32 ``a * b + c`` rounded once (a fused multiply-add) for float32 arrays or scalars
    whose results are not subnormal (:func:`_fix_halfway`), ``a`` an array."""
    v = np.multiply(a, b, dtype=np.float64)
    v += c
    u = v.view(np.uint64) & np.uint64(0x1FFFFFFF)
    if (u == np.uint64(0x10000000)).any():   # (rare: the float64 sum is halfway)
        a, b, c = (np.asarray(w, np.float64) for w in (a, b, c))
        _fix_halfway(v, a, b, c, u, np.empty(v.shape, np.bool_))
    return v.astype(_F32)


def _rsqrt14_est(w):
    """``vrsqrt14ps`` of positive normal float32 ``w`` (:mod:`._rsqrt14`), from its table."""
    from . import _rsqrt14

    b = w.view(np.uint32)
    i = (b >> np.uint32(8)) & np.uint32(0xFFFF)
    i ^= np.uint32(0x8000)  # (the exponent's parity and the top 15 fraction bits)
    y = np.take(_rsqrt14.estimate_bits(), i, mode="clip")
    k = ((b >> np.uint32(23)) + np.uint32(1)) >> np.uint32(1)
    y += np.uint32(64 << 23)
    y -= k << np.uint32(23)   # (scaled by 2**-k for w = m * 4**k)
    exact = ((b & np.uint32(0x7FFFFF)) == 0) & ((b >> np.uint32(23)) & np.uint32(1) == 1)
    if exact.any():   # (an exact power of 4: the instruction gives 1/sqrt(w) itself)
        y[exact] = (np.uint32(190 << 23) - ((b[exact] >> np.uint32(24)) << np.uint32(23)))
    return y.view(_F32)


def _asin_parts(w, z, intel=False):
    """asin's and acos's shared pieces: (s0, corr, P) with s0 + corr ~ sqrt(2 w) from the
    ``rsqrtps`` estimate of w (its top 11 bits; 0 for w < 2**-32) and P(z) * z (``intel``:
    as the NOTE above :func:`_fma` says)."""
    f32 = _F32
    ok = w >= np.uint32(0x2F800000).view(f32)            # 2**-32
    if intel:
        y = np.where(ok, _keep(_rsqrt14_est(np.where(ok, w, f32(1))), 0xFFFFF800), f32(0))
    else:
        y = np.where(ok, _keep(rsqrtps(np.where(ok, w, f32(1))), 0xFFFFF000), f32(0))
    w2 = w + w
    wh = _keep(w2, 0xFFFFE000)
    s0, s1 = wh * y, (w2 - wh) * y
    c0, c1, c2, c3, c4 = _ASIN_POLY
    if intel:
        e = _fma(s0, y, f32(-2)) + s1 * y
        corr = _fma(_fma(e, np.uint32(0xBDC00004).view(f32), np.uint32(0x3E800001).view(f32)),
                    (s0 + s1) * e, -s1)
        p = _fma(_fma(z * z, _fma(z, c0, c1), _fma(z, c2, c3)), z, c4) * z
        return s0, corr, p
    s0h = _keep(s0, 0xFFFFE000)
    e = ((s0h * y + f32(-2)) + s1 * y) + (s0 - s0h) * y
    corr = (e * np.uint32(0xBDC00004).view(f32) + np.uint32(0x3E800001).view(f32)) * \
        ((s0 + s1) * e) - s1
    p = (((z * z) * (z * c0 + c1) + (z * c2 + c3)) * z + c4) * z
    return s0, corr, p


def _asin_block(x, intel=False):
    u32, f32 = np.uint32, _F32
    b = x.view(u32)
    a = (b & u32(0x7FFFFFFF)).view(f32)
    w = f32(0.5) - a * f32(0.5)
    aa = a * a
    s0, corr, p = _asin_parts(w, np.where(aa < w, aa, w), intel)
    half_pi = np.uint32(0x3FC90FDB).view(f32)
    base = half_pi - s0
    lo = ((half_pi - base) - s0) + (corr + np.uint32(0xB33BBD2E).view(f32))
    small = a < f32(0.5)
    big = _fma(corr - s0, p, lo) if intel else (corr - s0) * p + lo
    res = np.where(small, (a * p + f32(0)) + a, big + base)
    res = (res.view(u32) ^ (b & u32(0x80000000))).view(f32)
    odd = ~(a <= f32(1))
    if odd.any():
        bo = b[odd]
        nan = (bo & u32(0x7FFFFFFF)) > u32(0x7F800000)
        res[odd] = np.where(nan, ((bo | u32(0x00400000)) & u32(0xFFFFE000)),
                            u32(0xFFC00000)).view(f32)
    return res


def _acos_block(x, intel=False):
    u32, f32 = np.uint32, _F32
    b = x.view(u32)
    n = (b | u32(0x80000000)).view(f32)                   # -|x|
    w = n * f32(0.5) + f32(0.5)
    nn = n * n
    z = np.where(nn < w, nn, w)
    s0, corr, p = _asin_parts(w, z, intel)
    big = ~(z < w)
    neg = big & ~(z < x)                                  # (x <= -0.5 or so)
    f = np.uint32
    hi = np.where(big, np.where(neg, f(0x40490FDB), f(0)), f(0x3FC90FDB)).view(f32)
    lo = np.where(big, np.where(neg, f(0xB3BBBD2E), f(0)), f(0xB33BBD2E))  # (bits)
    sign = b & u32(0x80000000)
    lo = (lo ^ sign).view(f32)
    c = np.where(big, corr, f32(0))
    u = np.where(big, s0, n)
    res = (_fma(u - c, p, lo - c) if intel else (u - c) * p + (lo - c)) + u
    res = (res.view(u32) ^ sign).view(f32) + hi
    odd = ~(n >= f32(-1))
    if odd.any():
        bo = b[odd]
        nan = (bo & u32(0x7FFFFFFF)) > u32(0x7F800000)
        res[odd] = np.where(nan, bo | u32(0x00400000), u32(0xFFC00000)).view(f32)
    return res


def _blocks(fn, x, ref):
    """``fn`` (a function of a float32 block) over a float32 array, as :func:`_on_float32`."""
    def kernel(flat, out):
        with np.errstate(all="ignore"):
            for start in range(0, flat.size, _BLOCK):
                out[start:start + _BLOCK] = fn(flat[start:start + _BLOCK])
        return out
    return _on_float32(x, ref, kernel)


def _intel_blocks(fn, x, ref):
    """``fn`` (a function of a float32 block) over a float32 array, as :func:`_on_intel`."""
    def kernel(flat, out):
        with np.errstate(all="ignore"):
            for start in range(0, flat.size, _BLOCK):
                out[start:start + _BLOCK] = fn(flat[start:start + _BLOCK], True)
        return out
    return _on_intel(x, ref, kernel)


def asin(x):
    """``torch.asin`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated` or :func:`intel_sqrt` (else NumPy's float64 ``arcsin`` rounded once:
    within an ulp)."""
    if not emulated() and intel_sqrt():
        return _intel_blocks(_asin_block, x, np.arcsin)
    return _blocks(_asin_block, x, np.arcsin)


def acos(x):
    """``torch.acos`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated` or :func:`intel_sqrt` (else NumPy's float64 ``arccos`` rounded once:
    within an ulp)."""
    if not emulated() and intel_sqrt():
        return _intel_blocks(_acos_block, x, np.arccos)
    return _blocks(_acos_block, x, np.arccos)


# -- tanh ----------------------------------------------------------------------------------
# NOTE: PyTorch's float32 ``tanh`` is MKL's ``vmsTanh``; its generic kernel on the measured
# processor (gdb: ``mkl_vml_kernel_sTanh_EXHAynn``) picks, by the bits of a = |x| with the
# fraction's low 21 bits cleared, one of 27 polynomials of degree 6 and evaluates it in float64
# by Horner's rule (no fused multiply-add) on a itself, rounds once to float32 and puts x's
# sign back:
#
#     row 0:    a < 0.125 (zeros and subnormals too), p(a) = a (d1 + a (d2 + ...)), d0 = 0
#     rows 1-25: a in [lo, hi) = [2**e (1 + j/4), 2**e (1 + (j+1)/4)), from 0.125 up to 10
#     row 26:   a >= 10 (finite), p = 1
#     p = ((((((d6 a + d5) a + d4) a + d3) a + d2) a + d1) a + d0;  tanh(x) = float32(p) | sign
#
# Infinities give +-1, NaNs come back quieted (payload and sign kept).  MKL's rows are not
# copied: each is the polynomial of least relative error max |p / tanh - 1| on its interval
# widened by 1e-4 at both ends (row 0: on [0, 0.125 + 1/8000] with d0 = 0), which
# :func:`_tanh_table` computes by Remez's exchange.  Their coefficients' last bits differ from
# the kernel's (each set is rounded to float64 its own way), the polynomials' values by 1e-15
# of tanh at most (1e-16 in most rows), and they reproduced ``torch.tanh`` on every one of the
# 2**32 float32 bit patterns.
def _tanh_minimax(lo, hi, odd):
    """The relative minimax polynomial of degree 6 of tanh on [lo, hi] (``odd``: lo = 0 and
    d0 = 0, i.e. tanh(a) / a by one of degree 5), in float64 coefficients of a, lowest first.
    Remez's exchange in long double (80-bit where it runs) in the variable t = (a - m) / h,
    the coefficients of a expanded exactly and rounded once."""
    from fractions import Fraction

    ld = np.longdouble
    n = 6 if odd else 7                                  # unknowns besides the level E
    m, h = (ld(0), hi) if odd else ((lo + hi) / 2, (hi - lo) / 2)
    t0 = (lo - m) / h

    def target(t):
        a = m + h * t
        if not odd:
            return np.tanh(a)
        with np.errstate(all="ignore"):
            return np.where(a == 0, ld(1), np.tanh(a) / np.where(a == 0, ld(1), a))

    def error(c, t):
        g = target(t)
        return np.polynomial.polynomial.polyval(t, c) / g - 1

    k = np.arange(n + 1)
    ref = t0 + (1 - np.cos(np.pi * k / n).astype(ld)) / 2 * (1 - t0)   # Chebyshev's points
    grid = t0 + (1 - t0) * (np.arange(4097, dtype=ld) / 4096)
    for _ in range(8):
        g = target(ref)
        a = np.empty((n + 1, n + 1), ld)
        a[:, :n] = ref[:, None] ** np.arange(n)
        a[:, n] = np.where(k % 2, g, -g)                  # p(t_i) - f_i = (-1)**i E f_i
        c = _solve_ld(a, g)[:n]
        # the new reference: the largest |error| of each run of one sign (runs far below
        # the largest are noise), each refined on finer grids around it
        e = error(c, grid)
        runs = np.split(np.arange(grid.size), np.nonzero((e[1:] > 0) != (e[:-1] > 0))[0] + 1)
        peaks = []
        for run in runs:
            i = int(run[np.argmax(np.abs(e[run]))])
            if abs(e[i]) < np.abs(e).max() / 2:
                continue
            if peaks and (e[i] > 0) == (e[peaks[-1]] > 0):
                if abs(e[i]) > abs(e[peaks[-1]]):
                    peaks[-1] = i
                continue
            peaks.append(i)
        new = []
        for i in peaks:
            if i in (0, grid.size - 1):
                new.append(grid[i])
                continue
            u, v = grid[i - 1], grid[i + 1]
            for _ in range(3):
                fine = u + (v - u) * (np.arange(65, dtype=ld) / 64)
                j = min(max(int(np.argmax(error(c, fine) * np.sign(e[i]))), 1), 63)
                u, v = fine[j - 1], fine[j + 1]
            new.append((u + v) / 2)
        if len(new) != n + 1:
            raise ArithmeticError("tanh table: no alternation")  # (not seen)
        new = np.array(new, ld)
        moved, ref = np.abs(new - ref).max(), new
        if moved < 1e-6:
            break
    frac = [Fraction(*v.as_integer_ratio()) for v in (m, h, *c)]
    fm, fh, fc = frac[0], frac[1], frac[2:]
    out = [Fraction(0)] * n
    for j, cj in enumerate(fc):                          # sum c_j ((a - m) / h)**j
        cj /= fh ** j
        for i in range(j + 1):
            out[i] += cj * math.comb(j, i) * (-fm) ** (j - i)
    coef = [float(v) for v in out]
    return [0.0] + coef if odd else coef


def _solve_ld(a, b):
    """``a x = b`` by Gaussian elimination with partial pivoting, in ``a``'s dtype."""
    a, b = a.copy(), b.copy()
    n = b.size
    for i in range(n):
        p = i + int(np.argmax(np.abs(a[i:, i])))
        a[[i, p]], b[[i, p]] = a[[p, i]], b[[p, i]]
        f = a[i + 1:, i] / a[i, i]
        a[i + 1:] -= f[:, None] * a[i]
        b[i + 1:] -= f * b[i]
    x = np.zeros(n, a.dtype)
    for i in range(n - 1, -1, -1):
        x[i] = (b[i] - a[i, i + 1:] @ x[i + 1:]) / a[i, i]
    return x


# The rows :func:`_tanh_rows` derives, as it gives them where long double has 80 bits (it
# takes about 0.4 s: too long for a first ``tanh``); tests/test_vml_tanh.py derives them again
# and compares.  Two lines a row: d0..d3, d4..d6.
_TANH_ROWS = """
0x0.0p+0 0x1.000000006a31dp+0 -0x1.defde955c0262p-25 -0x1.5553f7294eeb8p-2
-0x1.76cbdcf0c5b68p-13 0x1.16be245689187p-3 -0x1.45bc4a5b04da1p-6
-0x1.82777f1a587ecp-25 0x1.0000263168603p+0 -0x1.9ebcf47f7b73ep-15 -0x1.54b886e5aeba0p-2
-0x1.1dfa6e5d2633cp-8 0x1.388afc17d457dp-3 -0x1.8ac02d4ce423ep-5
-0x1.5d5de1ec4b7cep-23 0x1.0000715d51984p+0 -0x1.fa2dd6118de5dp-14 -0x1.5419c4ded0c48p-2
-0x1.dc3b3b14b3f6bp-8 0x1.47c7d4fdcc375p-3 -0x1.cc00889499ab5p-5
-0x1.de52d9589a232p-22 0x1.000108753e849p+0 -0x1.f821bc049b65dp-13 -0x1.533aee2a2bf49p-2
-0x1.5d9284fcb65dfp-7 0x1.56ac15d5168f5p-3 -0x1.009361589ebf0p-4
-0x1.068e91ca6ae0cp-20 0x1.0001fd119e330p+0 -0x1.aaa855b946281p-12 -0x1.5230bf7208e6bp-2
-0x1.cfdac82ceaa1ep-7 0x1.63c5e3f746757p-3 -0x1.14a011d53c67dp-4
-0x1.1d1cc9fec5baep-19 0x1.0003bfc9fb0d4p+0 -0x1.5f24063640391p-11 -0x1.50c88133e19f1p-2
-0x1.2a43c0980d26bp-6 0x1.70d3f9f2ba591p-3 -0x1.25c93e32a4b61p-4
-0x1.afc59c7b0b844p-20 0x1.000338e8afec3p+0 -0x1.4528bee3a750ep-11 -0x1.50ef8827b461cp-2
-0x1.26dce2a9a9a95p-6 0x1.70ad1cdc6b989p-3 -0x1.260b5e7e1ecb3p-4
0x1.0299b901a1990p-16 0x1.ffe36c6c73889p-1 0x1.2821f98aa2e57p-10 -0x1.5733fee91c536p-2
-0x1.851e1bc1a4219p-8 0x1.56af129514ba8p-3 -0x1.0f36d47266bd8p-4
0x1.6dd0a012dc889p-14 0x1.ff639e7761c62p-1 0x1.b407af6649c26p-8 -0x1.684ff1d3b3b51p-2
0x1.710f01a9c365bp-6 0x1.21a848fbf4f90p-3 -0x1.cdef4d0776bcep-5
0x1.db7344d223f68p-12 0x1.fd39a6401412ep-1 0x1.ba8d02d4172b3p-6 -0x1.9df55d954aa65p-2
0x1.9371785f57b66p-4 0x1.523268c7f6630p-4 -0x1.31f14f1b324bbp-5
0x1.07abd03c3a049p-9 0x1.f5a2b73136c70p-1 0x1.5fdfc2281e989p-4 -0x1.0f0808fdd8575p-1
0x1.fc98479b68a26p-3 -0x1.b6a6465f99b38p-7 -0x1.7ebdb8fdd6c7bp-7
0x1.5c710a4662060p-8 0x1.e81ec05bc98ccp-1 0x1.6427314985227p-3 -0x1.5f44f551e6947p-1
0x1.9f55a79be99aap-2 -0x1.902bca7938796p-4 0x1.d6ea1139b50cfp-8
0x1.37418308c78a4p-7 0x1.d95e102d585e1p-1 0x1.06e31ae9e6484p-2 -0x1.a05ba9344770dp-1
0x1.07eef357eff37p-1 -0x1.2ff9ca937291cp-3 0x1.15c604827df91p-6
0x1.4befae01b22d8p-7 0x1.d6efeefba9202p-1 0x1.1566fc17c14bep-2 -0x1.ab8e2b6b3dec9p-1
0x1.116f42a023513p-1 -0x1.40e3ecdf8fe20p-3 0x1.2e8c7292e06a2p-6
-0x1.540313239030ap-6 0x1.10ba9285f62d5p+0 -0x1.fb70e7e9906b8p-7 -0x1.115cd7a45c249p-1
0x1.6c11ab48b95ecp-2 -0x1.9a1de47ad855dp-4 0x1.67e656c1b6cc7p-7
-0x1.8feeaddcbc9d1p-4 0x1.5f55365c20a1dp+0 -0x1.0df5b146c73b8p-1 -0x1.4043fd5d405e4p-4
0x1.03da439350917p-3 -0x1.3e221fd4d448dp-5 0x1.0e687ea9f80e8p-8
-0x1.8b6a728a9e631p-3 0x1.b373a7ab8e598p+0 -0x1.ff9f500419111p-1 0x1.22ac674c16fd8p-2
-0x1.e3ca89b2d0eb3p-6 -0x1.68ca45e44d15ep-9 0x1.56b344c37f7a0p-11
-0x1.2038af99f83b1p-2 0x1.f6f4f966ef6dbp+0 -0x1.53dc669d2ea96p+0 0x1.0125d818d7d58p-1
-0x1.c82a28c9f6a68p-4 0x1.beaa70bc61fbep-7 -0x1.76efa9578737ep-11
-0x1.c7a2444dedef3p-3 0x1.d4a0d48dd78eep+0 -0x1.33648c97beec1p+0 0x1.c0e614d6cff05p-2
-0x1.7e39e203e5ea9p-4 0x1.65b82cbdf36b0p-7 -0x1.1e092e729925ap-11
-0x1.a6b449ce9218dp-8 0x1.66260cf26d710p+0 -0x1.ae8d67be8aa27p-1 0x1.1cc4b5b52ff45p-2
-0x1.b2e567910e690p-5 0x1.69ed854f23830p-8 -0x1.ff119b14b1b87p-13
0x1.047cb0a18946ap-2 0x1.e67ad706c7cdcp-1 -0x1.098e15b036b45p-1 0x1.3c808ceccbe88p-3
-0x1.b0b0f109bd26ep-6 0x1.40a72c55227e9p-9 -0x1.917c7466daea4p-14
0x1.271672e41299ap-1 0x1.e6be7cd7e0c7ap-2 -0x1.cf84a528820f3p-3 0x1.de1fa258368a5p-5
-0x1.1905f3cd6ea03p-7 0x1.64384ca351f9cp-11 -0x1.7bbe3d87e0388p-16
0x1.ace37d3c7f3e0p-1 0x1.3e1572a72468ap-3 -0x1.009b00488bbccp-4 0x1.be0f6003e1431p-7
-0x1.b7e9265bb3930p-10 0x1.d23058719113bp-14 -0x1.9e518a53e58cap-19
0x1.e48f6f3a6d435p-1 0x1.6cc2899ed13b0p-5 -0x1.fd284f4c9b595p-7 0x1.7db44fddc7f8ep-9
-0x1.43e3a0636bfebp-12 0x1.26b760f7c9b14p-16 -0x1.c10aa8e4969fep-22
0x1.f7e62d5605cc9p-1 0x1.7bf0e5150f9a0p-7 -0x1.d2c2e9086944ap-9 0x1.33656b2c0ff30p-11
-0x1.c9908e88c8d60p-15 0x1.6cb65204dd7d7p-19 -0x1.e63cde1682f11p-25
0x1.fec312764525ap-1 0x1.8b44a9febfe91p-10 -0x1.9c22d2e870df3p-12 0x1.cba89170b418ap-15
-0x1.211360a0d8977p-18 0x1.84a8625a79b1ap-23 -0x1.b4417da38e29ap-29
0x1.0000000000000p+0 0x0.0p+0 0x0.0p+0 0x0.0p+0
0x0.0p+0 0x0.0p+0 0x0.0p+0
"""


@functools.lru_cache(maxsize=None)
def _tanh_table():
    """The 27 rows of tanh's polynomials (see above) as seven float64 columns d0..d6."""
    rows = np.array([float.fromhex(v) for v in _TANH_ROWS.split()]).reshape(27, 7)
    return tuple(np.ascontiguousarray(rows[:, j]) for j in range(7))


def _tanh_rows():
    """The 27 rows of tanh's polynomials derived by :func:`_tanh_minimax`, (27, 7)."""
    ld = np.longdouble
    rows = np.zeros((27, 7))
    rows[0] = _tanh_minimax(ld(0), ld(0.125) + ld(1) / 8000, True)
    widen = ld(1) / 10000
    for r in range(1, 26):
        lo, hi = (float(np.uint32(0x3DE00000 + (s << 21)).view(_F32)) for s in (r, r + 1))
        rows[r] = _tanh_minimax(ld(lo) - widen, ld(hi) + widen, False)
    rows[26, 0] = 1.0
    return rows


def _tanh_ex(x, out):
    """MKL's generic float32 ``vsTanh`` on contiguous 1-d float32 arrays."""
    cols = _tanh_table()
    u32 = np.uint32
    with np.errstate(all="ignore"):
        for xb, o, (i, s, a, p, c, j, bad) in _blocked(x, out, "IIddddb"):
            b = xb.view(u32)
            # the row: (a's bits & 0x7fe00000) - 0x3de00000 >> 21, within [0, 26] (as intp:
            # take() casts other indices on every call)
            np.bitwise_and(b, u32(0x7FE00000), out=i)
            np.clip(i, u32(0x3DE00000), u32(0x41200000), out=i)
            np.subtract(i, u32(0x3DE00000), out=i)
            j = j.view(np.intp)
            np.right_shift(i, u32(21), out=j)
            np.copyto(a, xb)
            np.abs(a, out=a)
            np.take(cols[6], j, out=p, mode="wrap")
            for col in cols[5::-1]:
                np.multiply(p, a, out=p)
                np.take(col, j, out=c, mode="wrap")
                np.add(p, c, out=p)
            np.copyto(o, p, casting="same_kind")        # float32, rounded once
            np.bitwise_and(b, u32(0x80000000), out=s)
            ob = o.view(u32)
            np.bitwise_or(ob, s, out=ob)
            # infinities (+-1) and NaNs (quieted)
            np.bitwise_xor(b, s, out=s)
            np.greater_equal(s, u32(0x7F800000), out=bad)
            if bad.any():
                bo = b[bad]
                nan = (bo & u32(0x7FFFFFFF)) > u32(0x7F800000)
                o[bad] = np.where(nan, bo | u32(0x00400000),
                                  (bo & u32(0x80000000)) | u32(0x3F800000)).view(_F32)
    return out


# NOTE: on the Intel processor of :func:`intel_sqrt` MKL's tanh is another kernel (gdb:
# ``mkl_vml_kernel_sTanh_Z0HAynn``).  Per element, with a = |x| and b its bits, the row is
# i = clamp((b & 0x7fe00000) - 0x3d400000, 0, 31 << 21) >> 21: row 0 is a < 0x3d600000 (0.0547)
# with B = 0, rows 1 to 30 quarter binades up to [8, 10) with B their midpoint, row 31 (a >= 10)
# gives 1.  In float32, y = a - B (exact), q = P6 then q = fma(q, y, Pj) for j = 5..2,
# t = y * q (rounded, not fused), w = fma(y, t, P0lo), v = fma(P1, y, w), tanh = P0 + v
# (rounded), the sign restored; NaNs quieted, infinities +-1.  The coefficients of
# _TANH_INTEL_ROWS were derived black-box from PyTorch's outputs on this processor (a search for
# float32 coefficients that give its bits on every float of the row; not MKL's table, which we
# do not copy: P0lo, P4..P6 may differ from it where the outputs cannot tell).  Only rows so
# verified on all their floats (both signs) are listed; on the others (and elsewhere) float32
# tanh is NumPy's float64 result rounded (about 1.5% of values in [-1, 1] differ by an ulp).
# Row: bit patterns of (P0, P0lo, P1, P2, P3, P4, P5, P6).
_TANH_INTEL_ROWS = {
    1: (0x3D6FB9C9, 0xB0A15018, 0x3F7F1F84, 0xBD6EE69C,
        0xBEAB063A, 0xBE1CE566, 0x437628F2, 0x460C56D2),
    2: (0x3D8FC35F, 0xB11D0BA0, 0x3F7EBD11, 0xBD8F0DA7,
        0xBEA7F016, 0x3C1E8713, 0x4165C5C3, 0x43D579E3),
    3: (0x3DAF9169, 0xAF932F26, 0x3F7E1E5F, 0xBDAE477D,
        0xBEA4E118, 0x3DC1C177, 0xC190FFD9, 0xC3E19883),
    4: (0x3DCF49AB, 0x30FA466B, 0x3F7D609F, 0xBDCD2A1F,
        0xBEA387B9, 0x3D96F61E, 0xC08BFDFF, 0xC2BA6217),
    5: (0x3DEEE849, 0x31249EF4, 0x3F7C842D, 0xBDEBA80D,
        0xBEA15959, 0x3DA2B107, 0xC02C0988, 0xC249A40A),
    7: (0x3E2E4984, 0xB1DD865B, 0x3F789580, 0xBE293CF3,
        0xBE976B5A, 0x3DD2F8A5, 0x3F2B13C1, 0x40DCA576),
    8: (0x3E4D2F8E, 0xB044CBD1, 0x3F75B8AD, 0xBE44F282,
        0xBE90230D, 0x3DF4896C, 0x3ECE140D, 0x4049C47D),
    9: (0x3E6BB32E, 0x31F9BA91, 0x3F726FD9, 0xBE5F3651,
        0xBE880DFF, 0x3E06C55D, 0x3F426E20, 0x40C74ED5),
    10: (0x3E8C51CD, 0xB0CA4535, 0x3F6CC59B, 0xBE81C7C0,
        0xBE7479B3, 0x3E1A3AC6, 0xBADAC353, 0xBF0F22E7),
    11: (0x3EA96163, 0xB21E2647, 0x3F63FB92, 0xBE96D7CA,
        0xBE4C3D88, 0x3E27C3CE, 0x3DA4389F, 0x3E31CE5E),
    12: (0x3EC543F1, 0xB234CC14, 0x3F59FF97, 0xBEA7FB8E,
        0xBE212482, 0x3E2E78CF, 0xBD51AB94, 0xBEA8148D),
    13: (0x3EDFD735, 0x32397529, 0x3F4F11D7, 0xBEB50E9E,
        0xBDEB8CB7, 0x3E2C3E69, 0xBCAED160, 0xBDB385ED),
    14: (0x3F028438, 0xB2D09393, 0x3F3D7573, 0xBEC12EFE,
        0xBD5E78AB, 0x3E1D30A7, 0xBD3B6FD2, 0xBD356F93),
    15: (0x3F18ABF0, 0xB1303296, 0x3F24F360, 0xBEC4BE92,
        0x3C6B5E70, 0x3DF4A8F9, 0xBD6CABA9, 0xBB4D2E41),
    16: (0x3F2BC480, 0xB2EF278F, 0x3F0CBFE7, 0xBEBCE070,
        0x3D839143, 0x3DA38504, 0xBD795BF1, 0x3C1DBF03),
    17: (0x3F3BEC1C, 0x32E33E98, 0x3EEC1A69, 0xBEAD510E,
        0x3DC21EE1, 0x3D31417A, 0xBD5FDDEF, 0x3C71CC93),
    18: (0x3F4F2E5B, 0xB20B98B7, 0x3EB0A801, 0xBE8EF7D6,
        0x3DE347AF, 0x3B562650, 0xBD038F3C, 0x3C973F7F),
    19: (0x3F613C53, 0xB2D5B8C0, 0x3E6753A2, 0xBE4B8704,
        0x3DCBEC96, 0xBCAEEACB, 0xBC1CAD6C, 0x3C33A495),
    20: (0x3F6CE37D, 0x32FE70C9, 0x3E132F1A, 0xBE083237,
        0x3D99EF2D, 0xBCCE941A, 0x3ABB4814, 0x3B8630EF),
    21: (0x3F743C4F, 0x32CEC226, 0x3DB7E7D3, 0xBDAF7449,
        0x3D542EA1, 0xBCAAEAC7, 0x3B95F107, 0x3A27D3CB),
    22: (0x3F7A5FEB, 0x32C28574, 0x3D320845, 0xBD2E1EC4,
        0x3CDDE701, 0xBC49E7D0, 0x3B825874, 0xBA3B58E4),
    30: (0x3F7FFFFF, 0x32FA6395, 0x3382D314, 0xB3835D7B,
        0x332C7733, 0xB2A76331, 0x3220C02E, 0xB1717F25),
}


def intel_tanh_exact() -> bool:
    """Whether float32 :func:`tanh` gives MKL's Intel AVX-512 bits here on every input (all
    rows of :data:`_TANH_INTEL_ROWS` derived and :func:`intel_sqrt`)."""
    return (not emulated() and intel_sqrt()
            and all(r in _TANH_INTEL_ROWS for r in range(31)))


def _tanh_intel_b(i):
    """B of row ``i`` of :data:`_TANH_INTEL_ROWS`, a float (0, a quarter binade's midpoint, 9)."""
    if i == 0:
        return 0.0
    if i == 30:
        return 9.0
    lo, hi = (float(np.uint32(0x3D400000 + (r << 21)).view(_F32)) for r in (i, i + 1))
    return (lo + hi) / 2


@functools.lru_cache(maxsize=None)
def _tanh_intel_table():
    """(B, P0, P0lo, P1, P2..P6, claimed) as arrays indexed by row (32 rows; those not in
    :data:`_TANH_INTEL_ROWS` are zeros, not claimed; the last gives 1)."""
    cols = np.zeros((9, 32), _F32)
    claimed = np.zeros(32, np.bool_)
    for i in range(31):
        cols[0, i] = _tanh_intel_b(i)
        row = _TANH_INTEL_ROWS.get(i)
        if row is not None:
            cols[1:, i] = _f32_bits(*row)
            claimed[i] = True
    cols[1, 31] = 1.0   # a >= 10 (y = a, all else 0: 0 + 1; infinities are set apart)
    claimed[31] = True
    return tuple(cols) + (claimed,)


_TANH_INTEL_KINDS = (np.uint32, np.intp, _F32, _F32, _F32, np.float64, np.uint64, np.bool_)


def _tanh_intel(x, out):
    """MKL's float32 ``vsTanh`` on :func:`intel_sqrt`'s processor (the NOTE above) on contiguous
    1-d arrays, in blocks on per-thread scratch; rows not derived: NumPy's float64 tanh."""
    tb, p0, p0lo, p1, p2, p3, p4, p5, p6, claimed = _tanh_intel_table()
    f64, u32, every = np.float64, np.uint32, bool(claimed.all())
    with np.errstate(all="ignore"):
        for lo in range(0, x.size, _BLOCK):
            xb, o = x[lo:lo + _BLOCK], out[lo:lo + _BLOCK]
            a, i, y, q, c, d, u, h = _intel_scratch("tanh", _TANH_INTEL_KINDS, xb.size)
            b = xb.view(u32)
            np.bitwise_and(b, u32(0x7FE00000), out=a)
            np.maximum(a, u32(0x3D400000), out=a)   # (np.clip costs more)
            np.minimum(a, u32(0x41200000), out=a)
            np.subtract(a, u32(0x3D400000), out=a)
            np.right_shift(a, u32(21), out=a)
            np.copyto(i, a, casting="unsafe")                      # the row
            np.bitwise_and(b, u32(0x7FFFFFFF), out=a)
            np.subtract(a.view(_F32), tb.take(i, mode="clip"), out=y)  # y (exact)
            p6.take(i, out=q, mode="clip")
            for col in (p5, p4, p3, p2):
                col.take(i, out=c, mode="clip")
                np.multiply(q, y, out=d, dtype=f64)
                np.add(d, c, out=d)
                _fix_halfway(d, q, y, c, u, h)
                np.copyto(q, d, casting="same_kind")
            np.multiply(y, q, out=d, dtype=f64)
            np.copyto(q, d, casting="same_kind")                   # t
            p0lo.take(i, out=c, mode="clip")
            np.multiply(y, q, out=d, dtype=f64)
            np.add(d, c, out=d)
            _fix_halfway(d, y, q, c, u, h)
            np.copyto(c, d, casting="same_kind")                   # w
            p1.take(i, out=q, mode="clip")
            np.multiply(q, y, out=d, dtype=f64)
            np.add(d, c, out=d)
            _fix_halfway(d, q, y, c, u, h)
            np.copyto(q, d, casting="same_kind")                   # v
            p0.take(i, out=c, mode="clip")
            np.add(q, c, out=d, dtype=f64)
            _fix_halfway(d, q, _F32(1), c, u, h)
            np.copyto(o, d, casting="same_kind")
            # rows not derived, then the sign, infinities (1) and NaNs (quieted)
            if not every:
                claimed.take(i, out=h, mode="clip")
            if not every and not h.all():
                k = np.flatnonzero(~h)
                o[k] = np.tanh(a[k].view(_F32).astype(f64)).astype(_F32)
            ob = o.view(u32)
            np.bitwise_and(b, u32(0x80000000), out=a)
            np.bitwise_or(ob, a, out=ob)
            np.bitwise_xor(b, a, out=a)
            np.greater_equal(a, u32(0x7F800000), out=h)
            if np.count_nonzero(h):
                k = np.flatnonzero(h)
                bk = b[k]
                ob[k] = np.where(a[k] > u32(0x7F800000), bk | u32(0x00400000),
                                 (bk & u32(0x80000000)) | u32(0x3F800000))
    return out


@functools.lru_cache(maxsize=None)
def _tanh_intel_lists():
    return tuple(t.tolist() for t in _tanh_intel_table())


def _tanh_intel_small(x):
    """:func:`_tanh_intel` on a few elements, one by one (None if one is NaN); those in rows not
    derived as there: NumPy's float64 tanh of ``|x|`` rounded once, the sign restored."""
    tb, p0, p0lo, p1, p2, p3, p4, p5, p6, claimed = _tanh_intel_lists()
    pack, unpack, fma = _R32.pack, _R32.unpack, _fma32
    out = []
    rest = []   # (position, |x|) in rows not derived
    for v in x.ravel().tolist():
        a = abs(v)
        if not a < 10.0:   # (NaNs too)
            if a != a:
                return None
            out.append(math.copysign(1.0, v))
            continue
        i = min(max((struct.unpack("=I", pack(a))[0] & 0x7FE00000) - 0x3D400000, 0), 31 << 21) >> 21
        if not claimed[i]:
            rest.append((len(out), a))
            out.append(v)
            continue
        y = a - tb[i]
        q = p6[i]
        for col in (p5, p4, p3, p2):
            q = fma(q, y, col[i])
        t = unpack(pack(y * q))[0]
        w = fma(y, t, p0lo[i])
        r = fma(p1[i], y, w)
        r = fma(r, 1.0, p0[i])
        out.append(math.copysign(r, v))
    if rest:
        k, a = zip(*rest)
        r = np.tanh(np.array(a, np.float64)).astype(_F32).tolist()
        for j, v in zip(k, r):
            out[j] = math.copysign(v, out[j])
    return np.array(out, _F32).reshape(x.shape)


def tanh(x):
    """``torch.tanh`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated`, or :func:`intel_sqrt` in the rows of :data:`_TANH_INTEL_ROWS` (else
    NumPy's float64 ``tanh`` rounded once: within an ulp)."""
    if not emulated() and intel_sqrt() and _TANH_INTEL_ROWS:
        return _on_intel(x, np.tanh, _tanh_intel, _tanh_intel_small)
    return _on_float32(x, np.tanh, _tanh_ex)
