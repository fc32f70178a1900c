"""Gamma-family kernels NumPy lacks: ``lgamma``, ``digamma``, ``polygamma`` and the Hurwitz
zeta function.

Each kernel takes an array of any float or integer dtype (NumPy or CuPy), computes in
float64 with the array module of its input and returns float64; the op rounds the result
to its dtype.  Branches are taken with ``where`` (every formula runs on every element,
the unused results are dropped), never with boolean indexing, so that the same code runs
on a GPU.

The methods are the textbook ones (DLMF chapters 5 and 25; Abramowitz & Stegun 6.1, 6.3,
6.4, 23.2):

- Hurwitz zeta ``zeta(s, q) = sum_k (q + k) ** -s``: the first 12 terms summed directly,
  the rest by the Euler-Maclaurin formula; for a negative non-integer ``q`` (where only an
  integer ``s`` is defined) the sum over the negative terms is rewritten as a difference of
  two zetas at positive arguments.
- ``lgamma``: the Taylor series of ``lgamma(2 + e)`` for ``|e| <= 1/2``, whose coefficients
  ``(-1)**k (zeta(k) - 1) / k`` shrink like ``2**-k``; downward recurrence from below 12;
  Stirling's series from 12 up; ``lgamma(x) = lgamma(1 + x) - log|x|`` near 0; the
  reflection formula below -1/2.
- ``digamma``: upward recurrence to 10 and the asymptotic series there; a Taylor series
  about the positive zero (where the recurrence would lose the leading digits); the
  reflection formula for negative arguments.
- ``polygamma(n, x) = (-1)**(n+1) n! zeta(n + 1, x)`` for ``n >= 1``.

The coefficients are computed at import from exact Bernoulli numbers and from ``zeta``
itself, not typed in.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .. import _device
from ._core import quiet

_PI = math.pi
_LOG_PI = math.log(math.pi)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_EULER = 0.57721566490153286060651209008240243


def f64(x):
    """``(xp, x as a float64 array)`` for an array or scalar of any dtype."""
    if isinstance(x, (np.ndarray, np.generic, int, float, bool)):
        return np, np.asarray(x, dtype=np.float64)
    xp = _device.xp_of_other(x)
    return xp, x.astype(xp.float64)


def f64_pair(a, b):
    """:func:`f64` for two operands, one of which may be a host scalar beside a GPU array."""
    xa, a = f64(a)
    xb, b = f64(b)
    if xa is xb:
        return xa, a, b
    xp = xb if xa is np else xa
    return xp, xp.asarray(a), xp.asarray(b)


def bernoulli_even(n):
    """``[B_2, B_4, ..., B_2n]`` as Fractions (Akiyama-Tanigawa recurrence)."""
    row = [Fraction(0)] * (2 * n + 1)
    out = []
    for m in range(2 * n + 1):
        row[m] = Fraction(1, m + 1)
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        if m >= 2 and m % 2 == 0:
            out.append(row[0])
    return out


_B = bernoulli_even(13)

# Euler-Maclaurin tail of the zeta sum: B_2j / (2j)!
_EM = [float(b / math.factorial(2 * j + 2)) for j, b in enumerate(_B[:12])]
_DIRECT = 12  # terms of the zeta sum added one by one before the tail formula


def _zeta_pos(xp, s, q):
    """Hurwitz zeta for ``q > 0`` and ``s > 1`` (other elements give junk the caller drops)."""
    total = xp.power(q, -s)
    for k in range(1, _DIRECT):
        total = total + xp.power(q + k, -s)
    w = q + _DIRECT
    ws = xp.power(w, -s)
    # sum_{k>=0} f(w + k) = int_w^inf f + f(w)/2 + sum_j B_2j/(2j)! (s)_(2j-1) w^(-s-2j+1)
    tail = xp.power(w, 1 - s) / (s - 1) + 0.5 * ws
    c = s * ws / w
    w2 = w * w
    for j, e in enumerate(_EM, start=1):
        tail = tail + e * c
        c = c * (s + (2 * j - 1)) * (s + 2 * j) / w2
    return total + tail


def zeta(s, q):
    """The Hurwitz zeta function ``sum_{k>=0} (q + k) ** -s`` (``s`` and ``q`` broadcast).

    As in PyTorch (whose kernel follows Cephes): ``inf`` for ``s == 1`` and for ``q`` a
    non-positive integer, NaN for ``s < 1`` and for a negative ``q`` with non-integer ``s``.
    """
    cpu = [v for v in (s, q) if isinstance(v, (np.ndarray, np.generic, int, float))]
    if len(cpu) == 2:  # (PyTorch's CPU kernel)
        dt = np.result_type(s, q)
        if dt in (np.float32, np.float64):
            return zeta_cpu(np.asarray(s, dt), np.asarray(q, dt), f32=dt == np.float32)
    xp, s, q = f64_pair(s, q)
    s, q = xp.broadcast_arrays(s, q)
    with quiet:
        fl = xp.floor(q)
        frac = q - fl
        neg = (q < 0) & (frac != 0) & (s == xp.floor(s))  # negative q, integer s
        out = _zeta_pos(xp, s, xp.where(neg, frac, q))
        if bool(neg.any()):
            # For q = f - m (0 < f < 1, integer m > 0) the m negative terms (f - j) ** -s,
            # j = 1..m, sum to (-1)**s (zeta(s, 1 - f) - zeta(s, 1 - q)); 1 - f is taken
            # as ceil(q) - q, which is exact (q + 1 is not, for a tiny q).
            sign = xp.where(xp.fmod(s, 2) == 0, 1.0, -1.0)
            extra = sign * (_zeta_pos(xp, s, xp.where(neg, xp.ceil(q) - q, 1.0))
                            - _zeta_pos(xp, s, xp.where(neg, 1 - q, 1.0)))
            out = xp.where(neg, out + extra, out)
        # Infinite arguments, where the formulas above give 0 * inf:
        out = xp.where(q == xp.inf, 0.0, out)
        out = xp.where(s == xp.inf, xp.where(q == 1, 1.0, xp.where(q < 1, xp.inf, 0.0)), out)
        out = xp.where((q <= 0) & (q == fl), xp.inf, out)
        out = xp.where((q < 0) & (s != xp.floor(s)), xp.nan, out)
        out = xp.where(s == 1, xp.inf, out)
        out = xp.where(s < 1, xp.nan, out)
        out = xp.where(xp.isnan(s) | xp.isnan(q), xp.nan, out)
    return out


# -- lgamma -------------------------------------------------------------------

# lgamma(2 + e) = (1 - euler) e + sum_{k>=2} (-1)^k (zeta(k) - 1) / k * e^k, |e| < 2;
# zeta(k) - 1 is zeta(k, 2).
_LG2 = [1.0 - _EULER] + [(-1) ** k * float(_zeta_pos(np, np.float64(k), np.float64(2.0))) / k
                         for k in range(2, 29)]
# Stirling: lgamma(y) = (y - 1/2) log y - y + log(2 pi)/2 + sum_k B_2k / (2k (2k-1) y^(2k-1))
_STIRLING = [float(b / ((2 * k) * (2 * k - 1))) for k, b in enumerate(_B[:9], start=1)]


def _horner(coefs, x):
    """``coefs[0] x + coefs[1] x^2 + ...``."""
    acc = coefs[-1]
    for c in reversed(coefs[:-1]):
        acc = c + x * acc
    return acc * x


def _lgamma_2(e):
    """``lgamma(2 + e)`` for ``|e| <= 1/2``."""
    return _horner(_LG2, e)


def _lgamma_pos(xp, y):
    """``lgamma(y)`` for ``y >= 1/2`` (finite)."""
    small = y < 12
    # Below 12: step down by n so that y - n lies in [3/2, 5/2) (n = -1 below 3/2):
    # lgamma(y) = lgamma(y - n) + log((y - 1)(y - 2)...(y - n)).
    n = xp.where(small, xp.clip(xp.floor(y - 1.5), -1, 10), 0)
    prod = xp.ones_like(y)
    for j in range(1, 11):
        prod = prod * xp.where(j <= n, y - j, 1.0)
    e = xp.where(small, y - (n + 2), 0.0)  # exact
    low = _lgamma_2(e) + xp.where(n == -1, -xp.log1p(e), xp.log(prod))
    # From 12: Stirling's series.
    z = xp.where(small, 12.0, y)
    r = 1 / z
    series = _horner(_STIRLING, r * r) / r  # sum of c_k z^(1-2k)
    big = (z - 0.5) * (xp.log(z) - 1) - 0.5 + _HALF_LOG_2PI + series
    return xp.where(small, low, big)


def _abs_sinpi(xp, x):
    """``|sin(pi x)|`` without the rounding of ``pi * x`` (exact reduction to |r| <= 1/2)."""
    return xp.abs(xp.sin(_PI * (x - xp.rint(x))))


def lgamma(x):
    """``log|Gamma(x)|``; ``inf`` at the poles (0 and negative integers) and at +-inf."""
    if type(x) is np.ndarray and x.dtype.kind != "c":
        from . import _sleef
        if _sleef.VECTORIZED:  # (PyTorch's vector code: Sleef's, on every value)
            from . import _sleef_more
            if x.dtype == np.float64:
                return _sleef_more.lgamma(x)
            # (integers and the half types too: PyTorch's float kernel)
            return _sleef_more.lgammaf(x.astype(np.float32, copy=False))
    xp, x = f64(x)
    with quiet:
        ax = xp.abs(x)
        near0 = ax < 0.5
        e = xp.where(near0, x, 0.0)
        # |x| < 1/2: lgamma(x) = lgamma(2 + x) - log(1 + x) - log|x|
        at0 = _lgamma_2(e) - xp.log1p(e) - xp.log(xp.where(near0, ax, 1.0))
        # x >= 1/2 directly; x <= -1/2 by reflection:
        # lgamma(x) = log(pi) - log|sin(pi x)| - lgamma(1 - x)
        negative = x <= -0.5
        y = xp.where(negative, 1 - x, xp.where(x >= 0.5, x, 2.0))
        y = xp.where(xp.isfinite(y), y, 2.0)
        pos = _lgamma_pos(xp, y)
        refl = _LOG_PI - xp.log(_abs_sinpi(xp, x)) - pos
        out = xp.where(near0, at0, xp.where(negative, refl, pos))
        out = xp.where((x <= 0) & (x == xp.floor(x)), xp.inf, out)  # poles, -inf
        out = xp.where(x == xp.inf, xp.inf, out)
        out = xp.where(xp.isnan(x), xp.nan, out)
    return out


# -- digamma ------------------------------------------------------------------

# The positive zero of digamma, split into two doubles so that x - x0 keeps its digits.
_X0 = Fraction("1.461632144968362341262659542325721328468196204006446351")
_X0_HI = float(_X0)
_X0_LO = float(_X0 - Fraction(_X0_HI))
# digamma(x0 + d) = sum_{k>=1} (-1)^(k+1) zeta(k+1, x0) d^k
_PSI_ROOT = [(-1) ** (k + 1) * float(_zeta_pos(np, np.float64(k + 1), np.float64(_X0_HI)))
             for k in range(1, 24)]
# digamma(z) ~ log z - 1/(2z) - sum_k B_2k / (2k z^2k)
_PSI_ASYM = [-float(b / (2 * k)) for k, b in enumerate(_B[:9], start=1)]


def _digamma_pos(xp, y):
    """``digamma(y)`` for ``y > 0`` (and +inf)."""
    # Step up to z = y + n >= 10: digamma(y) = digamma(z) - sum_{k<n} 1 / (y + k).
    n = xp.clip(xp.ceil(10 - y), 0, 10)
    acc = xp.zeros_like(y)
    for k in range(10):
        acc = acc + xp.where(k < n, 1 / (y + k), 0.0)
    z = y + n
    r = 1 / z
    psi = xp.log(z) - 0.5 * r + _horner(_PSI_ASYM, r * r) - acc
    d = (y - _X0_HI) - _X0_LO
    root = xp.abs(d) < 0.25
    near = _horner(_PSI_ROOT, xp.where(root, d, 0.0))
    return xp.where(root, near, psi)


_F32 = np.float32
_PSI_ASYMPTOTIC = [_F32(c) for c in (
    1 / 12, -0.0210927960927960927961, 1 / 132, -1 / 240, 1 / 252, -1 / 120, 1 / 12)]
_PSI_10 = _F32(2.25175258906672110764)  # digamma(10)


def _digamma_f32(x):
    """digamma of a float32 array in float32 arithmetic, step by step as PyTorch's CPU kernel
    forms it: reflection ``digamma(1 - x) - pi / tan(pi r)`` below zero (``r`` the fractional
    part, the cotangent term in double), recurrence ``-= 1 / x`` up to 10, then
    ``log(x) - 0.5 / x - z P(z)`` with ``z = 1 / x**2`` and a degree-6 polynomial (Horner,
    its multiply-adds fused: measured); ``log`` the C library's logf (``_libm``)."""
    from .._random import _fma32
    with np.errstate(all="ignore"):
        neg = x < 0
        r = np.modf(x.astype(np.float64))[0]
        cot = (math.pi / np.tan(math.pi * r)).astype(_F32)
        y = np.where(neg, _F32(1) - x, x)
        acc = np.zeros_like(y)
        for _ in range(10):
            low = y < 10
            if not low.any():
                break
            acc = np.where(low, acc - _F32(1) / y, acc)
            y = np.where(low, y + _F32(1), y)
        z = _F32(1) / (y * y)
        poly = np.full_like(y, _PSI_ASYMPTOTIC[0])
        for c in _PSI_ASYMPTOTIC[1:]:
            poly = _fma32(poly, z, c)
        tail = np.where(y < _F32(1e17), z * poly, _F32(0))
        from . import _libm
        log = _libm.logf(y)
        pos = np.where(y == 10, acc + _PSI_10, acc + log - _F32(0.5) / y - tail)
        out = np.where(neg, pos - cot, pos)
        out = np.where(neg & (x == np.trunc(x)), _F32(np.nan), out)
        return np.where(x == 0, np.copysign(_F32(np.inf), -x), out).astype(_F32)


def _c_double(fn, x):
    """The C library's double function ``fn`` (``math.log``, ``math.tan``: Python calls the
    C library for them) element by element: NumPy's own SIMD loops round differently."""
    return np.fromiter(map(fn, x.ravel().tolist()), np.float64, count=x.size).reshape(x.shape)


def _digamma_f64(x):
    """digamma of a float64 array in the steps of :func:`_digamma_f32` in float64 (PyTorch's
    double kernel): ``tan`` and ``log`` the C library's."""
    from .._random import _fma64

    with np.errstate(all="ignore"):
        neg = (x < 0) & np.isfinite(x)
        cot = np.zeros_like(x)
        if neg.any():
            cot[neg] = math.pi / _c_double(math.tan, math.pi * np.modf(x[neg])[0])
        y = np.where(x < 0, 1 - x, x)
        acc = np.zeros_like(y)
        for _ in range(10):
            low = y < 10
            if not low.any():
                break
            acc = np.where(low, acc - 1 / y, acc)
            y = np.where(low, y + 1, y)
        z = 1 / (y * y)
        poly = np.full_like(y, _PSI_ASYMPTOTIC_64[0])
        for c in _PSI_ASYMPTOTIC_64[1:]:
            poly = _fma64(poly, z, c)
        tail = np.where(y < 1e17, z * poly, 0.0)
        fin = np.isfinite(y)
        log = np.where(fin, _c_double(math.log, np.where(fin, y, 1.0)), y)
        pos = np.where(y == 10, acc + _PSI_10_64, acc + log - 0.5 / y - tail)
        out = np.where(neg, pos - cot, pos)
        out = np.where((x < 0) & (x == np.trunc(x)), np.nan, out)
        return np.where(x == 0, np.copysign(np.inf, -x), out)


_PSI_ASYMPTOTIC_64 = [1 / 12, -0.0210927960927960927961, 1 / 132, -1 / 240, 1 / 252, -1 / 120,
                      1 / 12]
_PSI_10_64 = 2.25175258906672110764


def digamma(x):
    """``Gamma'(x) / Gamma(x)``.  As PyTorch: ``-inf`` at +0, ``+inf`` at -0, NaN at the
    negative integers and at -inf."""
    if type(x) is np.ndarray:
        if x.dtype == np.float64:
            return _digamma_f64(x)
        # (integers and the half types: PyTorch's float kernel)
        return _digamma_f32(x.astype(np.float32, copy=False))
    xp, x = f64(x)
    with quiet:
        negative = x < 0
        y = xp.where(negative, 1 - x, x)
        y = xp.where(y > 0, y, 1.0)  # (0 is handled below)
        pos = _digamma_pos(xp, y)
        # reflection: digamma(x) = digamma(1 - x) - pi cot(pi x), cot from the reduced angle
        r = x - xp.rint(x)
        refl = pos - _PI / xp.tan(_PI * r)
        out = xp.where(negative, refl, pos)
        out = xp.where(negative & (x == xp.floor(x)), xp.nan, out)
        out = xp.where(x == 0, xp.copysign(xp.inf, -x), out)
        out = xp.where(xp.isnan(x), xp.nan, out)
    return out


def _trigamma_f32(x):
    """trigamma of a float32 array as PyTorch's CPU kernel forms it: below 0.5 the
    reflection ``-pi**2 / sin(pi x)**2`` (float32; ``sin`` the C library's sinf) with
    ``x -> 1 - x`` and a final sign flip; six steps of ``+= 1 / x**2``; then the asymptotic
    tail in float32, its multiply-adds fused (measured)."""
    from .._random import _fma32

    with np.errstate(all="ignore"):
        pi = _F32(math.pi)
        low = x < _F32(0.5)
        from . import _libm
        s = _libm.sinf(pi * x)
        acc = np.where(low, _F32(0) - (pi * pi) / (s * s), _F32(0))
        y = np.where(low, _F32(1) - x, x)
        for _ in range(6):
            acc = acc + _F32(1) / (y * y)
            y = y + _F32(1)
        ixx = _F32(1) / (y * y)
        inner = _fma32(-ixx, _fma32(-ixx, _F32(1 / 42), _F32(1 / 30)), _F32(1 / 6))
        acc = acc + _fma32(ixx, inner, _F32(1) + _F32(1) / (_F32(2) * y)) / y
        return np.where(low, acc * _F32(-1), acc)  # (a product: a NaN keeps its sign)


def _trigamma_f64(x):
    """trigamma of a float64 array as PyTorch's CPU kernel forms it: the steps of
    :func:`_trigamma_f32` in float64 (its multiply-adds fused as well; bit-exact, measured)."""
    from .._random import _fma64

    with np.errstate(all="ignore"):
        pi = math.pi
        low = x < 0.5
        s = np.sin(pi * x)
        acc = np.where(low, 0.0 - (pi * pi) / (s * s), 0.0)
        y = np.where(low, 1.0 - x, x)
        for _ in range(6):
            acc = acc + 1.0 / (y * y)
            y = y + 1.0
        ixx = 1.0 / (y * y)
        inner = _fma64(-ixx, _fma64(-ixx, 1 / 42, 1 / 30), 1 / 6)
        acc = acc + _fma64(ixx, inner, 1.0 + 1.0 / (2.0 * y)) / y
        return np.where(low, acc * -1.0, acc)  # (a product: a NaN keeps its sign)


def polygamma(n, x):
    """The ``n``-th derivative of digamma (``n >= 0`` a Python int)."""
    if n == 0:
        return digamma(x)
    if n == 1 and type(x) is np.ndarray and x.dtype.itemsize == 2 and x.dtype.kind in "fV":
        # PyTorch's half-type trigamma: its float32 steps, rounded once (a scalar loop:
        # bfloat16's NaN the positive quiet one, float16's keeps the sign)
        y = _trigamma_f32(x.astype(_F32))
        out = y.astype(x.dtype)
        if x.dtype.kind == "V":
            out.view(np.uint16)[np.isnan(y)] = 0x7FC0
        return out
    if n == 1 and type(x) is np.ndarray and x.dtype == np.float32:
        return _trigamma_f32(x)
    if n == 1 and getattr(x, "dtype", None) == np.float64:
        if type(x) is np.ndarray:
            return _trigamma_f64(x)
        xp = _device.xp_of_other(x)  # (a GPU array: PyTorch's CUDA kernel is the same series)
        return xp.asarray(_trigamma_f64(xp.asnumpy(x)))
    if type(x) is np.ndarray and x.dtype.kind in "biuf" and x.dtype.itemsize != 2:
        # (PyTorch's CPU kernel; integers in float32)
        return polygamma_cpu(n, x if x.dtype == np.float64 else x.astype(np.float32))
    bf16 = getattr(x, "dtype", None) is not None and x.dtype.kind == "V"
    xp, x = f64(x)
    try:
        fact = float(math.factorial(n))
    except OverflowError:
        fact = math.inf
    sign = 1.0 if n % 2 else -1.0
    with quiet:
        out = (sign * fact) * zeta(float(n + 1), x)
        if n == 1:  # as PyTorch's trigamma: NaN at -inf
            out = xp.where(x == -xp.inf, xp.nan, out)
        if bf16:  # (PyTorch's scalar loop: bfloat16's NaN the positive quiet one)
            out = xp.where(out != out, xp.nan, out)
    return out


# -- PyTorch's CPU zeta and polygamma(n >= 2) ---------------------------------------------------
# NOTE: PyTorch's CPU ``special.zeta`` (and ``polygamma`` from n = 2 on) is Cephes's Hurwitz
# zeta, in double for float32 and float64 alike: ``sum (q + k) ** -x`` term by term (the C
# library's ``pow``) until k >= 9 and q + k > 9, stopping early once a term is below 2**-53 of
# the sum; then the Euler-Maclaurin tail with Cephes's 12 coefficients (2k)! / B_2k, stopping
# once a correction is below 2**-53 of the sum.  ``s - b/2`` is fused as the compiler contracts
# it.  polygamma(n, x) = (-1)**(n+1) exp(lgamma(n + 1)) zeta(n + 1, x) in the input's type
# (the C library's lgamma and exp).
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042E-16


def _c_pow(a, b):
    """The C library's ``pow`` of two float64 arrays (Python's ``math.pow`` calls it)."""
    if a.size > _POW_BLOCK:  # (in blocks whose temporaries stay in the cache)
        out = np.empty(a.size, np.float64)
        for i in range(0, a.size, _POW_BLOCK):
            out[i:i + _POW_BLOCK] = _c_pow(a[i:i + _POW_BLOCK], b[i:i + _POW_BLOCK])
        return out
    out = _pow_neg_int(a, b)
    if out is not None:
        return out
    return _c_pow_each(a, b)


_POW_BLOCK = 1 << 14


def _c_pow_each(a, b):
    def p(u, v):
        try:
            return math.pow(u, v)
        except (OverflowError, ValueError):
            return float(np.power(u, v))
    return np.fromiter(map(p, a.tolist(), b.tolist()), np.float64, count=a.size)


_POW_SPLIT = 134217729.0  # 2**27 + 1


def _dd_mul(xh, xl, yh, yl):
    """The product of two double-double numbers (Dekker; no overflow in the splitting)."""
    p = xh * yh
    t = _POW_SPLIT * xh
    ah = t - (t - xh)
    t = _POW_SPLIT * yh
    bh = t - (t - yh)
    al, bl = xh - ah, yh - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    e += xh * yl + xl * yh
    h = p + e
    return h, e - (h - p)


def _pow_neg_int(a, b):
    """``pow(a, b)`` for one negative integer exponent ``b`` (-64 to -1) and positive ``a``,
    as glibc 2.28+ gives it (error at most 0.511 ulp + |b ln a| 1.5 * 2**-15 ulp), or None:
    ``a ** -b`` in double-double and its reciprocal (relative error near 2**-100), rounded to
    nearest, agree with glibc's pow unless the exact value lies nearer a halfway point than
    that error bound (with room) or the result is a power of two or near the ends of the range:
    those few go to :func:`_c_pow_each`."""
    if a.size < 64 or b.size != a.size:
        return None
    m = -b[0]
    if not (1 <= m <= 64 and m == int(m)) or not (b == b[0]).all():
        return None
    from . import _sleef
    if not _sleef._glibc_powf():
        return None
    m = int(m)
    with np.errstate(all="ignore"):
        span = np.abs(np.log2(a)) * m  # |b log2 a|
        ok = (a > 0) & (span < 900)  # (False for NaN and inf)
        x = np.where(ok, a, 1.0)
        ph, pl = x, np.zeros_like(x)  # x ** m by squaring, most significant bit first
        for bit in bin(m)[3:]:
            ph, pl = _dd_mul(ph, pl, ph, pl)
            if bit == "1":
                ph, pl = _dd_mul(ph, pl, x, 0.0)
        r = 1.0 / ph
        t = ph * r
        h = _POW_SPLIT * ph
        ah = h - (h - ph)
        h = _POW_SPLIT * r
        bh = h - (h - r)
        te = ((ah * bh - t) + ah * (r - bh) + (ph - ah) * bh) + (ph - ah) * (r - bh)
        rl = (((1.0 - t) - te) - pl * r) * r
        out = r + rl
        d = np.abs((r - out) + rl)
        sp = np.spacing(out)
        # glibc's bound: 0.511 ulp + |b ln a| 1.5 * 2**-15 ulp (its pow.c), with room to spare
        ok &= (np.abs(d - 0.5 * sp) > (0.015 + 4.2e-5 * span) * sp) & \
            ((out.view(np.int64) & _MANT) != 0)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        out[bad] = _c_pow_each(a[bad], b[bad])
    return out


_MANT = (1 << 52) - 1


def zeta_cpu(x, q, f32=False):
    """PyTorch's CPU Hurwitz zeta of two arrays (broadcast), in float64; ``f32``: float32
    arguments, whose first term ``q ** -x`` is the C library's float ``powf``."""
    from .._random import _fma64

    x, q = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(q, np.float64))
    shape = x.shape
    x, q = x.ravel(), q.ravel()
    with np.errstate(all="ignore"):
        out = np.full(x.size, np.nan)
        done = np.zeros(x.size, bool)
        fixed = np.where(x == 1, np.inf, np.where(x < 1, np.nan, np.where(
            (q <= 0) & (q == np.floor(q)), np.inf, np.nan)))
        special = (x == 1) | (x < 1) | ((q <= 0) & ((q == np.floor(q)) | (x != np.floor(x))))
        out[special] = fixed[special]
        done |= special
        act = np.flatnonzero(~done)
        if act.size:
            xa, qa = x[act], q[act]
            if f32:
                from . import _sleef
                s = _sleef.c_pow(qa.astype(np.float32), (-xa).astype(np.float32))
                s = s.astype(np.float64)
            else:
                s = _c_pow(qa, -xa)
            a, b = qa.copy(), np.zeros_like(qa)
            i = 0
            live = np.ones(act.size, bool)  # (not stopped early)
            idx = np.arange(act.size)  # (still summing terms: once i >= 9 and a > 9, never again)
            while idx.size:
                if i >= 9:
                    idx = idx[a[idx] <= 9.0]
                    if not idx.size:
                        break
                i += 1
                a[idx] += 1.0
                bi = b[idx] = _c_pow(a[idx], -xa[idx])
                si = s[idx] = s[idx] + bi
                small = (-_MACHEP * si < bi) & (bi < _MACHEP * si)
                stop = idx[small]
                out[act[stop]] = si[small]
                live[stop] = False
                idx = idx[~small]
            rest = np.flatnonzero(live)
            if rest.size:
                xr, ar, br, sr = xa[rest], a[rest], b[rest], s[rest]
                w = ar
                sr = sr + br * w / (xr - 1.0)
                sr = _fma64(-0.5, br, sr)
                aa = np.ones_like(xr)
                k = np.zeros_like(xr)
                res = np.full(xr.size, np.nan)
                open_ = np.ones(xr.size, bool)
                for c in _ZETA_A:
                    aa = aa * (xr + k)
                    br = br / w
                    t = aa * br / c
                    sr = np.where(open_, sr + t, sr)
                    stop = open_ & (np.abs(t / sr) < _MACHEP)
                    res[stop] = sr[stop]
                    open_ &= ~stop
                    k = k + 1.0
                    aa = aa * (xr + k)
                    br = br / w
                    k = k + 1.0
                res[open_] = sr[open_]
                out[act[rest]] = res
    return out.reshape(shape)


def _c_lgamma(v, dtype):
    """The C library's ``lgamma``/``lgammaf`` of one number."""
    import ctypes
    import ctypes.util
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        fn = lib.lgammaf if dtype == np.float32 else lib.lgamma
        t = ctypes.c_float if dtype == np.float32 else ctypes.c_double
        fn.restype, fn.argtypes = t, [t]
        return dtype(fn(v))
    except (OSError, AttributeError):  # pragma: no cover
        return dtype(math.lgamma(v))


def polygamma_cpu(n, x):
    """PyTorch's CPU ``polygamma(n, x)`` (n >= 2) of a float32 or float64 array."""
    t = x.dtype.type
    lg = _c_lgamma(float(t(n) + t(1)), t)
    if t is np.float32:
        from . import _sleef
        e = _sleef.c_exp(np.array([lg], np.float32))[0]
    else:
        e = t(math.exp(lg))
    sign = t(1) if n % 2 else t(-1)
    z = zeta_cpu(np.float64(t(n + 1)), x, f32=t is np.float32).astype(x.dtype)
    with np.errstate(all="ignore"):
        return (sign * e) * z
