"""Special functions NumPy lacks (erf, erfc, erfinv), vectorised in float64.

On the CPU erf and erfc are the C library's (through Python's ``math``: nearly correctly
rounded, as PyTorch's MKL kernels are); elsewhere erf uses its Taylor series for |x| < 2.5
and a continued fraction for erfc beyond, both converging to about 1e-15 relative.
On a GPU, CuPy's own kernels (``cupyx.scipy.special``) compute them instead:
one of the few places where the CPU and GPU kernels truly differ.
"""
from __future__ import annotations

import math

import numpy as np

from .._device import special_for

_TWO_OVER_SQRT_PI = 1.1283791670955126


def _erf_series(x):
    # erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, 80):
        term = term * (-x2) / n
        total = total + term / (2 * n + 1)
    return _TWO_OVER_SQRT_PI * total


def _erfc_cf(x):
    # erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) for x > 0,
    # evaluated from the tail upwards.
    f = x.copy()
    for k in range(120, 0, -1):
        f = x + (k / 2.0) / f
    return np.exp(-x * x) / f / np.sqrt(np.pi)


def _split(x):
    x = np.asarray(x, dtype=np.float64)
    small = np.abs(x) < 2.5
    return x, small


def _c_erf(fn, a):
    """The C library's ``erf``/``erfc`` (Python's ``math`` calls it) in float64, element by
    element: nearer PyTorch's (MKL's) values than the series, and quicker."""
    x = np.asarray(a, dtype=np.float64)
    return np.fromiter(map(fn, x.ravel().tolist()), np.float64, count=x.size).reshape(x.shape)


def erf(a):
    dt = a.dtype
    if not isinstance(a, (np.ndarray, np.generic)):
        return special_for(a).erf(a).astype(dt, copy=False)
    if dt.kind == "f":
        return _c_erf(math.erf, a).astype(dt)
    x, small = _split(a)
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        if small.any():
            out[small] = _erf_series(x[small])
        big = ~small
        if big.any():
            xb = x[big]
            out[big] = np.sign(xb) * (1.0 - _erfc_cf(np.abs(xb)))
    out[np.isnan(x)] = np.nan
    return out.astype(dt)


def erfc(a):
    dt = a.dtype
    if not isinstance(a, (np.ndarray, np.generic)):
        return special_for(a).erfc(a).astype(dt, copy=False)
    if dt.kind == "f":
        return _c_erf(math.erfc, a).astype(dt)
    x, small = _split(a)
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        if small.any():
            out[small] = 1.0 - _erf_series(x[small])
        pos = ~small & (x > 0)
        neg = ~small & (x <= 0)
        if pos.any():
            out[pos] = _erfc_cf(x[pos])
        if neg.any():
            out[neg] = 2.0 - _erfc_cf(-x[neg])
    out[np.isnan(x)] = np.nan
    return out.astype(dt)


def erfinv(a):
    """Inverse of erf by Newton's method from Giles' single-precision starting point."""
    dt = a.dtype
    if not isinstance(a, (np.ndarray, np.generic)):
        return special_for(a).erfinv(a).astype(dt, copy=False)
    y = np.asarray(a, dtype=np.float64)
    with np.errstate(all="ignore"):
        w = -np.log((1.0 - y) * (1.0 + y))
        x = np.where(w < 5.0, _giles_central(w - 2.5), _giles_tail(np.sqrt(w) - 3.0)) * y
        for _ in range(3):
            err = erf(x) - y
            x = x - err / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
        x = np.where(y == 1, np.inf, np.where(y == -1, -np.inf, x))
        x = np.where(np.abs(y) > 1, np.nan, x)
        x = np.where(np.isnan(y), y + y, x)  # NaNs come back as they came, quieted, as PyTorch's
    return x.astype(dt)


def _giles_central(w):
    p = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        p = c + p * w
    return p


def _giles_tail(w):
    p = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        p = c + p * w
    return p
