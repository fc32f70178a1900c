"""Kernels around the normal distribution: ``erfcx``, ``ndtr``, ``log_ndtr``, ``ndtri``.

Conventions as in :mod:`._gamma`: any float array in, float64 out, branches by ``where``.

- ``erfcx(z) = exp(z^2) erfc(z)``: for ``z >= 1`` Laplace's continued fraction for erfc
  without its ``exp(-z^2)`` factor (200 levels, evaluated from the tail); below,
  ``exp(z^2) - 2/sqrt(pi) sum_n 2^n z^(2n+1) / (2n+1)!!`` (the series of
  ``exp(z^2) erf(z)``, whose terms all have one sign); for ``z <= -3/2``,
  ``2 exp(z^2) - erfcx(-z)``.
- ``exp(-x^2/2)`` is taken as ``exp(-hi/2) exp(-lo/2)`` where ``hi + lo == x*x`` exactly
  (Dekker's splitting), so that the tails of ``ndtr`` keep their relative accuracy.
- ``ndtri``: ``sqrt(2) erfinv(2p - 1)`` in the middle; in the tails, Newton's method on
  ``log_ndtr(x) = log(p)`` from ``erfinv`` or from the asymptotic
  ``x^2 ~ -2 log p - log(-2 log p) - log(2 pi)``.
"""
from __future__ import annotations

import math

import numpy as np

from . import _special
from ._core import quiet
from ._gamma import f64

_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_PI = 1 / math.sqrt(math.pi)
_SQRT_PI_2 = math.sqrt(math.pi / 2)
_LOG_2PI = math.log(2 * math.pi)
_CF_FROM = 1.0
_CF_LEVELS = 200
_SERIES_TO = 1.5
_SERIES_TERMS = 40


def _erfcx_cf(xp, z):
    """``erfcx(z)`` for ``z >= 1``: 1/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...))))."""
    # The fraction converges faster for larger z: about (16.5 / z)**2 levels reach 1e-16
    # (200 at z = 1), so the smallest z present decides how many are evaluated.
    zmin = float(z.min()) if z.size else 1.0
    levels = _CF_LEVELS if not zmin > 1 else min(_CF_LEVELS, int((16.5 / zmin) ** 2) + 2)
    f = z
    for k in range(levels, 0, -1):
        f = z + (k / 2.0) / f
    return _INV_SQRT_PI / f


def _erf(xp, z):
    return _special.erf(z)


def exp_sq(xp, x, scale):
    """``exp(scale * x*x)`` with ``x*x`` split exactly into ``hi + lo`` (Dekker)."""
    c = 134217729.0 * x  # 2**27 + 1
    hi_part = c - (c - x)
    lo_part = x - hi_part
    sq = x * x
    err = ((hi_part * hi_part - sq) + 2 * hi_part * lo_part) + lo_part * lo_part
    err = xp.where(xp.isfinite(err), err, 0.0)
    return xp.exp(scale * sq) * xp.exp(scale * err), sq, err


def _exp_erf(xp, z):
    """``exp(z^2) erf(z) sqrt(pi) / 2 = sum_n 2^n z^(2n+1) / (2n+1)!!`` for ``|z| <= 3/2``."""
    z2 = 2 * z * z
    acc = xp.ones_like(z)
    for n in range(_SERIES_TERMS, 0, -1):
        acc = 1 + acc * z2 / (2 * n + 1)
    return acc * z


def _erfcx(xp, z):
    """``erfcx(z)`` for finite ``z``."""
    big = z >= _CF_FROM
    cf = _erfcx_cf(xp, xp.where(big, z, 2 * _CF_FROM))
    low = z <= -_SERIES_TO
    zs = xp.where(big | low, 0.0, z)
    mid = exp_sq(xp, zs, 1.0)[0] - (2 * _INV_SQRT_PI) * _exp_erf(xp, zs)
    # z <= -3/2: 2 exp(z^2) - erfcx(-z)
    zl = xp.where(low, z, -2 * _CF_FROM)
    left = 2 * exp_sq(xp, zl, 1.0)[0] - _erfcx_cf(xp, -zl)
    return xp.where(big, cf, xp.where(low, left, mid))


def erfcx(x):
    """``exp(x^2) erfc(x)``."""
    xp, x = f64(x)
    with quiet:
        out = _erfcx(xp, xp.where(xp.isinf(x), 0.0, x))
        out = xp.where(x == xp.inf, 0.0, xp.where(x == -xp.inf, xp.inf, out))
        return xp.where(xp.isnan(x), xp.nan, out)


def _erfc_half(xp, x):
    """``erfc(x / sqrt 2) / 2``: the upper tail of the normal distribution at ``x``."""
    z = x * _SQRT1_2
    az = xp.abs(z)
    big = az >= _CF_FROM
    # |z| >= 3/2: exp(-x^2/2) erfcx(|z|) / 2 is the smaller tail
    small_tail = 0.5 * exp_sq(xp, x, -0.5)[0] * _erfcx_cf(xp, xp.where(big, az, 2 * _CF_FROM))
    small_tail = xp.where(az == xp.inf, 0.0, small_tail)
    mid = 0.5 - 0.5 * _erf(xp, xp.where(big, 0.0, z))
    return xp.where(big, xp.where(z > 0, small_tail, 1 - small_tail), mid)


def ndtr(x):
    """The standard normal distribution function, ``(1 + erf(x / sqrt 2)) / 2``."""
    xp, x = f64(x)
    with quiet:
        return _erfc_half(xp, -x)


def _log_ndtr(xp, x):
    # x < -1: log(erfcx(-x/sqrt 2) / 2) - x^2/2, with x^2 split exactly
    xl = xp.where(x < -1, x, -2.0)
    _, sq, err = exp_sq(xp, xl, 0.0)
    low = (xp.log(0.5 * _erfcx(xp, -xl * _SQRT1_2)) - 0.5 * err) - 0.5 * sq
    high = xp.log1p(-_erfc_half(xp, xp.where(x < -1, 0.0, x)))
    return xp.where(x < -1, low, high)


def log_ndtr(x):
    """``log(ndtr(x))``, accurate in both tails."""
    xp, x = f64(x)
    with quiet:
        out = _log_ndtr(xp, x)
        return xp.where(xp.isnan(x), xp.nan, out)


def ndtri(p):
    """The inverse of :func:`ndtr`: ``-inf`` at 0, ``inf`` at 1, NaN outside [0, 1]."""
    if type(p) is np.ndarray and p.dtype.kind != "c":  # (PyTorch's CPU kernel)
        return ndtri_cpu(p if p.dtype == np.float64 else p.astype(np.float32, copy=False))
    xp, p = f64(p)
    with quiet:
        upper = p > 0.5
        q = xp.where(upper, 1 - p, p)  # exact for p >= 1/2
        inside = (q > 0) & (q <= 0.5)
        q = xp.where(inside, q, 0.25)
        mid = math.sqrt(2) * _special.erfinv(2 * p - 1)
        # the tails, as x < 0 with ndtr(x) = q
        lq = xp.log(q)
        t = -2 * lq
        guess = -xp.sqrt(xp.maximum(t - xp.log(t) - _LOG_2PI, 0.5))
        x = xp.where(q > 1e-12, -xp.abs(mid), guess)
        x = xp.where(xp.abs(p - 0.5) < 0.25, -1.0, x)  # (the middle needs no refinement)
        for _ in range(4):
            # Newton on log(ndtr(x)) - log(q), where ndtr(x) = exp(-x^2/2) erfcx(-x/sqrt 2)/2
            # for x < 0 and the slope is pdf(x)/ndtr(x)
            e = _erfcx(xp, -x * _SQRT1_2)
            _, sq, err = exp_sq(xp, x, 0.0)
            log_ndtr_x = (xp.log(0.5 * e) - 0.5 * err) - 0.5 * sq
            x = x - (log_ndtr_x - lq) * (_SQRT_PI_2 * e)
        tails = xp.where(upper, -x, x)
        out = xp.where(xp.abs(p - 0.5) < 0.25, mid, tails)
        out = xp.where(p == 0, -xp.inf, xp.where(p == 1, xp.inf, out))
        out = xp.where((p < 0) | (p > 1) | xp.isnan(p), xp.nan, out)
    return out


# -- PyTorch's CPU ndtri ---------------------------------------------------------------------
# NOTE: PyTorch's CPU ``special.ndtri`` is a scalar loop over Cephes's ``ndtri`` in the input's
# float type: a rational function of (y - 1/2)**2 in the middle (|y - 1/2| < 1/2 - exp(-2));
# in the tails x = sqrt(-2 log y), x - log(x)/x less a rational function of 1/x (two sets of
# coefficients, split at x = 8), the sign from the side.  ``log`` the C library's; the
# polynomials' multiply-adds and ``y + y * r`` fused as the compiler contracts them.  Cephes's
# published coefficients (numbers, not code).
_NDTRI_P0 = (-5.99633501014107895267E1, 9.80010754185999661536E1, -5.66762857469070293439E1,
             1.39312609387279679503E1, -1.23916583867381258016E0)
_NDTRI_Q0 = (1.0, 1.95448858338141759834E0, 4.67627912898881538453E0, 8.63602421390890590575E1,
             -2.25462687854119370527E2, 2.00260212380060660359E2, -8.20372256168333339912E1,
             1.59056225126211695515E1, -1.18331621121330003142E0)
_NDTRI_P1 = (4.05544892305962419923E0, 3.15251094599893866154E1, 5.71628192246421288162E1,
             4.40805073893200834700E1, 1.46849561928858024014E1, 2.18663306850790267539E0,
             -1.40256079171354495875E-1, -3.50424626827848203418E-2,
             -8.57456785154685413611E-4)
_NDTRI_Q1 = (1.0, 1.57799883256466749731E1, 4.53907635128879210584E1, 4.13172038254672030440E1,
             1.50425385692907503408E1, 2.50464946208309415979E0, -1.42182922854787788574E-1,
             -3.80806407691578277194E-2, -9.33259480895457427372E-4)
_NDTRI_P2 = (3.23774891776946035970E0, 6.91522889068984211695E0, 3.93881025292474443415E0,
             1.33303460815807542389E0, 2.01485389549179081538E-1, 1.23716634817820021358E-2,
             3.01581553508235416007E-4, 2.65806974686737550832E-6, 6.23974539184983293730E-9)
_NDTRI_Q2 = (1.0, 6.02427039364742014255E0, 3.67983563856160859403E0, 1.37702099489081330271E0,
             2.16236993594496635890E-1, 1.34204006088543189037E-2, 3.28014464682127739104E-4,
             2.89247864745380683936E-6, 6.79019408009981274425E-9)


def _polevl(x, coefs, fma):
    t = x.dtype.type
    acc = np.full_like(x, t(coefs[0]))
    for c in coefs[1:]:
        acc = fma(acc, x, t(c))
    return acc


def ndtri_cpu(y0):
    """PyTorch's CPU ``ndtri`` of a float32 or float64 array, in that type."""
    from .._random import _fma32, _fma64
    from . import _libm

    t = y0.dtype.type
    f32 = y0.dtype == np.float32
    fma = _fma32 if f32 else _fma64
    one, e2 = t(1), t(0.13533528323661269189)
    with np.errstate(all="ignore"):
        upper = y0 > one - e2
        y = np.where(upper, one - y0, y0)
        mid = y > e2
        ym = np.where(mid, y, t(0.5)) - t(0.5)
        y2 = ym * ym
        r = y2 * _polevl(y2, _NDTRI_P0, fma) / _polevl(y2, _NDTRI_Q0, fma)
        centre = fma(ym, r, ym) * t(2.50662827463100050242E0)
        yt = np.where(mid, t(0.5), y)
        # (``::log`` is the C library's double log even for float y: sqrt(-2 log y) and
        # x - log(x) / x are evaluated in double, each rounded once to the type)
        x = np.sqrt(-2.0 * _libm.log64(yt)).astype(y0.dtype)
        x0 = (x - _libm.log64(x) / x).astype(y0.dtype)
        z = one / x
        near = x < t(8)
        x1 = np.where(near, z * _polevl(z, _NDTRI_P1, fma) / _polevl(z, _NDTRI_Q1, fma),
                      z * _polevl(z, _NDTRI_P2, fma) / _polevl(z, _NDTRI_Q2, fma))
        tail = x0 - x1
        tail = np.where(upper, tail, -tail)
        out = np.where(mid, centre, tail)
        out = np.where(y0 == 0, -np.inf, np.where(y0 == one, np.inf, out))
        out = np.where((y0 < 0) | (y0 > one), np.nan, out)
        return out.astype(y0.dtype, copy=False)
