"""PyTorch's float32 ``sqrt`` on the CPU, reproduced bit for bit in NumPy where we know how.

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
import platform
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
    """Whether :func:`sqrt` reproduces PyTorch's bits on this machine (else it is NumPy's)."""
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


def _sqrt_ex(x, out):
    """MKL's generic float32 ``vsSqrt`` on the measured processor: ``out[:] = sqrt(x)`` for
    contiguous 1-d float32 arrays, in blocks, each operation in place on scratch arrays."""
    n = x.size
    m = min(n, _BLOCK)
    ui, uk, uy = (np.empty(m, np.uint32) for _ in range(3))
    fs, ft, fr = (np.empty(m, _F32) for _ in range(3))
    odd = np.empty(m, np.bool_)
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
            # the scalar path: everything but positive normal values up to 0x7f7ff000
            np.subtract(b, np.uint32(0x00800000), out=e)
            np.greater(e, np.uint32(0x7F7FF000 - 0x00800000), out=bad)
            if bad.any():
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
