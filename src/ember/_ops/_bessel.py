"""Bessel-function kernels NumPy lacks: ``i0``, ``i0e``, ``i1``, ``i1e`` (modified, first kind)
and ``j0``, ``j1`` (first kind).

Conventions as in :mod:`._gamma`: any float array in, float64 out, branches by ``where``.

Methods (DLMF 10.8, 10.9, 10.17, 10.25, 10.40):

- ``I0``, ``I1`` for ``|x| <= 25``: their power series, all terms positive, summed in
  nested (Horner) form; beyond, the large-argument expansion of ``exp(-x) I_nu(x)``, whose
  terms are still falling at term 20 where they drop below 1e-17.
- ``J0``, ``J1`` for ``|x| <= 25``: Bessel's integral ``J_n(x) = 1/(2 pi) int cos(n t -
  x sin t) dt`` by the trapezoidal rule on 64 points, which for a periodic analytic
  integrand errs by about ``J_64(x)`` (below 1e-18 here); beyond, Hankel's expansion with
  ``cos(x - pi/4)`` written as ``(cos x + sin x) / sqrt 2`` so that the angle is reduced
  exactly.
"""
from __future__ import annotations

import math

from ._core import quiet
from ._gamma import f64

_SMALL = 25.0
_SERIES_TERMS = 42
_ASYM_TERMS = 22
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _i_series(xp, ax, nu):
    """``I_nu(ax) / (ax/2)**nu`` by its power series: sum_k q^k / (k! (k + nu)!), q = ax^2/4."""
    q = ax * ax / 4
    acc = xp.ones_like(ax)
    for k in range(_SERIES_TERMS, 0, -1):
        acc = 1 + acc * q / (k * (k + nu))
    return acc


def _i_asym(xp, ax, nu):
    """``sqrt(2 pi ax) exp(-ax) I_nu(ax)`` for large ``ax``: sum_k t_k with
    t_k = t_(k-1) ((2k-1)^2 - 4 nu^2) / (8 k ax)."""
    t = xp.ones_like(ax)
    acc = t
    for k in range(1, _ASYM_TERMS + 1):
        t = t * (((2 * k - 1) ** 2 - 4 * nu * nu) / (8 * k)) / ax
        acc = acc + t
    return acc


def _i_parts(x, nu):
    xp, x = f64(x)
    ax = xp.abs(x)
    small = ax <= _SMALL
    xs = xp.where(small, ax, 0.0)
    xl = xp.where(small, 2 * _SMALL, ax)
    series = _i_series(xp, xs, nu)
    if nu:
        series = series * (xs / 2)
    # exp(-ax) I_nu(ax) for large ax; at +inf this is 0
    asym = _i_asym(xp, xl, nu) * (_INV_SQRT_2PI / xp.sqrt(xl))
    return xp, x, ax, small, series, asym


def i0(x):
    with quiet:
        xp, x, ax, small, series, asym = _i_parts(x, 0)
        # NOTE: as in PyTorch, exp(|x|) overflows first (I0 itself would up to |x| ~ 713.9),
        # and i0(+-inf) is NaN (inf * 0).
        return xp.where(small, series, xp.exp(ax) * asym)


def i0e(x):
    with quiet:
        xp, x, ax, small, series, asym = _i_parts(x, 0)
        return xp.where(small, series * xp.exp(-ax), asym)


def i1(x):
    with quiet:
        xp, x, ax, small, series, asym = _i_parts(x, 1)
        v = xp.where(small, series, xp.exp(ax) * asym)
        return xp.where(x < 0, -v, v)


def i1e(x):
    with quiet:
        xp, x, ax, small, series, asym = _i_parts(x, 1)
        v = xp.where(small, series * xp.exp(-ax), asym)
        return xp.where(x < 0, -v, v)


# -- J0, J1 ---------------------------------------------------------------------

_NODES = 32  # trapezoid nodes on [0, pi): 64 on the full period
_SIN_NODES = [math.sin(math.pi * j / _NODES) for j in range(_NODES // 2 + 1)]


def _j_small(xp, x, nu):
    """``J_nu(x)`` for ``|x| <= 25`` by the trapezoidal rule (``nu`` is 0 or 1).

    J0 = 1/N sum_j cos(x sin t_j), J1 = 1/N sum_j sin(t_j) sin(x sin t_j), t_j = pi j / N;
    the nodes j and N - j have the same sine, so each pair is one evaluation.
    """
    half = _NODES // 2
    if nu == 0:
        acc = 1.0 + xp.cos(x)  # j = 0 and j = N/2
        for j in range(1, half):
            acc = acc + 2 * xp.cos(x * _SIN_NODES[j])
    else:
        acc = xp.sin(x)  # j = N/2 (j = 0 contributes 0)
        for j in range(1, half):
            s = _SIN_NODES[j]
            acc = acc + (2 * s) * xp.sin(x * s)
    return acc / _NODES


def _hankel(xp, ax, nu):
    """``J_nu(ax)`` for large ``ax``: sqrt(2/(pi ax)) (P cos chi - Q sin chi), chi = ax -
    (2 nu + 1) pi/4, with P, Q the even and odd parts of sum_k (-1)^k... a_k(nu) / ax^k."""
    mu = 4.0 * nu * nu
    p = xp.ones_like(ax)
    q = xp.zeros_like(ax)
    t = xp.ones_like(ax)
    for k in range(1, 2 * _ASYM_TERMS):
        t = t * ((mu - (2 * k - 1) ** 2) / (8 * k)) / ax
        # terms k = 0, 1, 2, 3, ... go to P, Q, P, Q with signs +, +, -, -, ...
        if k % 2:
            q = q + (t if k % 4 == 1 else -t)
        else:
            p = p + (t if k % 4 == 0 else -t)
    c, s = xp.cos(ax), xp.sin(ax)
    if nu == 0:  # chi = ax - pi/4
        cchi, schi = (c + s), (s - c)
    else:  # chi = ax - 3 pi/4
        cchi, schi = (s - c), -(s + c)
    return (p * cchi - q * schi) / xp.sqrt(math.pi * ax)


def _j(x, nu):
    xp, x = f64(x)
    with quiet:
        ax = xp.abs(x)
        small = ax <= _SMALL
        v = xp.where(small, _j_small(xp, xp.where(small, ax, 0.0), nu),
                     _hankel(xp, xp.where(small, 2 * _SMALL, ax), nu))
        v = xp.where(xp.isinf(x), xp.nan, v)  # NOTE: PyTorch's j0/j1 give NaN at +-inf
        if nu:
            v = xp.where(x < 0, -v, v)
    return v


def j0(x):
    return _j(x, 0)


def j1(x):
    return _j(x, 1)
