"""PyTorch's float32 ``sqrt`` and ``exp`` on the CPU, reproduced bit for bit in NumPy where we
know how (for exp see the note above :func:`exp`; the processor check is the same).

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

Elsewhere (Intel processors run other MKL kernels: AVX-512 ones refine ``vrsqrt14ps``
with fused multiply-adds; other AMD models may have other tables) we do not know the
bits, and :func:`sqrt` is NumPy's correctly rounded one.
"""
from __future__ import annotations

import base64
import functools
import math
import platform
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
_MEASURED = {("AuthenticAMD", 25, 17)}


@functools.lru_cache(maxsize=None)
def emulated() -> bool:
    """Whether :func:`sqrt` and :func:`exp` reproduce PyTorch's bits on this machine (else
    they are NumPy's, correctly rounded or rounded from float64)."""
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    return x86 and _cpuinfo.model_id() in _MEASURED


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


def sqrt(x, out=None):
    """``torch.sqrt`` of a float32 NumPy array as PyTorch's CPU kernel rounds it, where
    :func:`emulated` (else NumPy's ``sqrt``); ``out`` as NumPy's."""
    x = np.asarray(x)
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
    n = x.size
    m = min(n, _BLOCK)
    uj, uk = (np.empty(m, np.uint32) for _ in range(2))
    fs, fn, ft, fr = (np.empty(m, _F32) for _ in range(4))
    rare = np.empty(m, np.bool_)
    hi, lo = _exp_table()
    with np.errstate(all="ignore"):
        for start in range(0, n, m):
            stop = min(n, start + m)
            xb, o = x[start:stop], out[start:stop]
            k = stop - start
            j, e, s, p, t, r, bad = uj[:k], uk[:k], fs[:k], fn[:k], ft[:k], fr[:k], rare[:k]
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
    :func:`emulated` (else NumPy's float64 ``exp`` rounded once: within an ulp, equal on
    about 99% of values)."""
    x = np.asarray(x)
    if x.dtype != _F32:
        return np.exp(x)
    if not emulated() or x.size == 0:
        with np.errstate(all="ignore"):
            return np.exp(x, dtype=np.float64).astype(_F32)
    flat = np.ascontiguousarray(x).reshape(-1)
    return _exp_ex(flat, np.empty(flat.size, _F32)).reshape(x.shape)
