"""More float64 kernels for ``torch.special``: the regularized incomplete gamma functions,
Bessel functions of the second kind (``Y0``, ``Y1``), modified ones of the second kind
(``K0``, ``K1``), ``Ai`` and the classical orthogonal polynomials.

Conventions as in :mod:`._gamma` and :mod:`._bessel`: float arrays in, float64 out.

Methods:

- ``P(a, x)``/``Q(a, x)``: the power series of ``P`` where ``x < a + 1``, the continued
  fraction of ``Q`` (modified Lentz) elsewhere, each times ``x^a e^-x / Gamma(a)`` taken
  through logarithms.
- ``Y0``, ``Y1`` for ``x <= 25``: Neumann's series ``Y0 = 2/pi (log(x/2) + gamma) J0 -
  4/pi sum_k (-1)^k J_2k / k`` and its derivative (``Y1 = -Y0'``), with every ``J_n`` from
  the trapezoidal rule on Bessel's integral (128 points: exact to rounding for ``n + x`` up
  to ~90); beyond, Hankel's expansion.
- ``K0``, ``K1`` for ``x <= 2``: their power series (DLMF 10.31); beyond, the trapezoidal
  rule on ``int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt`` (an even integrand: the rule is
  exact to rounding with step 0.1).
- ``Ai``: Maclaurin series for ``|x| <= 1``; ``sqrt(x/3)/pi K_1/3(zeta)`` by the same
  integral for ``x > 1``; for ``x < -1`` the Bessel integrals of ``J_(+-1/3)``, then the
  asymptotic expansion beyond ``x = -24``.
"""
from __future__ import annotations

import math

import numpy as np

from ._core import quiet
from ._gamma import f64, f64_pair, lgamma

_EULER = 0.57721566490153286061


# -- incomplete gamma -------------------------------------------------------------------

def _log_prefactor(xp, a, x):
    return a * xp.log(x) - x - lgamma(a)


def lower_series(xp, a, x):
    """``S`` and ``dS/da`` in ``P(a, x) = x**a e**-x / Gamma(a + 1) * S`` (the series, for
    ``x < a + 1``), summed until the terms stop mattering."""
    term = xp.ones_like(a)
    dterm = xp.zeros_like(a)
    s = term.copy()
    ds = dterm.copy()
    live = xp.ones(a.shape, dtype=bool)
    for n in range(1, 5000):
        r = x / (a + n)
        dterm = dterm * r - term * r / (a + n)
        term = term * r
        s = s + xp.where(live, term, 0.0)
        ds = ds + xp.where(live, dterm, 0.0)
        live &= xp.abs(term) > 1e-17 * xp.abs(s)
        if not live.any():
            break
    return s, ds


def upper_fraction(xp, a, x):
    """``h`` in ``Q(a, x) = x**a e**-x / Gamma(a) * h``: the continued fraction (for
    ``x >= a + 1``), by the modified Lentz method until it converges."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = xp.full_like(a, 1.0 / tiny)
    d = 1.0 / xp.where(b == 0, tiny, b)
    h = d.copy()
    live = xp.ones(a.shape, dtype=bool)
    for i in range(1, 5000):
        an = -i * (i - a)
        b = b + 2.0
        d = an * d + b
        d = xp.where(xp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        step = d * c
        h = xp.where(live, h * step, h)
        live &= xp.abs(step - 1.0) > 1e-15
        if not live.any():
            break
    return h


def _p_series(xp, a, x):
    return lower_series(xp, a, x)[0] / a * xp.exp(_log_prefactor(xp, a, x))


def _q_fraction(xp, a, x):
    return xp.exp(_log_prefactor(xp, a, x)) * upper_fraction(xp, a, x)


def _igamma_both(a, x):
    """``(P, Q)`` of the float64 arrays ``a``, ``x`` (broadcast), NaN where undefined."""
    xp, a, x = f64_pair(a, x)
    a, x = xp.broadcast_arrays(a, x)
    with quiet:
        bad = (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | xp.isnan(a) | xp.isnan(x)
        ok = ~bad & (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
        use_series = x < a + 1
        aa, xx = xp.where(ok, a, 1.0), xp.where(ok, x, 1.0)
        ps = _p_series(xp, aa, xp.where(use_series, xx, 0.5))
        qf = _q_fraction(xp, aa, xp.where(use_series, aa + 2, xx))
        p = xp.where(use_series, ps, 1 - qf)
        q = xp.where(use_series, 1 - ps, qf)
        # the edges: a = 0 or x = inf gives P = 1; x = 0 or a = inf gives P = 0
        one = (a == 0) | (xp.isinf(x) & ~xp.isinf(a))
        zero = (x == 0) | (xp.isinf(a) & ~xp.isinf(x))
        p = xp.where(one, 1.0, xp.where(zero, 0.0, p))
        q = xp.where(one, 0.0, xp.where(zero, 1.0, q))
        nan = bad | (xp.isinf(a) & xp.isinf(x))
        return xp.where(nan, xp.nan, p), xp.where(nan, xp.nan, q)


def gammainc(a, x):
    return _igamma_both(a, x)[0]


def gammaincc(a, x):
    return _igamma_both(a, x)[1]


# -- Bessel functions of the second kind ------------------------------------------------------

_N_TRAP = 128
_N_ORDERS = 62  # J_0 .. J_61: the Neumann series to k = 30
_SMALL = 25.0


def _j_all(xp, x):
    """``J_n(x)`` for n = 0 .. 61 (last axis), by the trapezoidal rule on 128 points."""
    t = 2 * math.pi * np.arange(_N_TRAP) / _N_TRAP
    n = np.arange(_N_ORDERS)
    ph = -x[..., None] * xp.asarray(np.sin(t))            # (..., N)
    c, s = xp.cos(ph), xp.sin(ph)
    cn = xp.asarray(np.cos(np.outer(t, n)))                # (N, orders)
    sn = xp.asarray(np.sin(np.outer(t, n)))
    # Re(e^{i n t} e^{-i x sin t}) = cos(nt) cos(ph) - sin(nt) sin(ph)
    return (c @ cn - s @ sn) / _N_TRAP


def _hankel_pq(xp, x, nu):
    mu = 4.0 * nu * nu
    p = xp.ones_like(x)
    q = xp.zeros_like(x)
    t = xp.ones_like(x)
    for k in range(1, 44):
        t = t * ((mu - (2 * k - 1) ** 2) / (8 * k)) / x
        if k % 2:
            q = q + (t if k % 4 == 1 else -t)
        else:
            p = p + (t if k % 4 == 0 else -t)
    return p, q


def _y(x, nu):
    xp, x = f64(x)
    with quiet:
        small = x <= _SMALL
        xs = xp.where(small & (x > 0), x, 1.0)
        J = _j_all(xp, xs.reshape(-1)).reshape(xs.shape + (_N_ORDERS,))
        lg = xp.log(xs / 2) + _EULER
        k = np.arange(1, 31)
        sign = (-1.0) ** k
        if nu == 0:
            tail = (J[..., 2 * k] * xp.asarray(sign / k)).sum(-1)
            ys = (2 / math.pi) * lg * J[..., 0] - (4 / math.pi) * tail
        else:
            tail = ((J[..., 2 * k - 1] - J[..., 2 * k + 1]) * xp.asarray(sign / k)).sum(-1)
            ys = -(2 / math.pi) * (J[..., 0] / xs - lg * J[..., 1]) + (2 / math.pi) * tail
        xl = xp.where(small, 2 * _SMALL, x)
        p, q = _hankel_pq(xp, xl, nu)
        c, s = xp.cos(xl), xp.sin(xl)
        if nu == 0:   # chi = x - pi/4: sqrt(2) sin chi = s - c, sqrt(2) cos chi = c + s
            sc, cc = s - c, c + s
        else:         # chi = x - 3 pi/4
            sc, cc = -(s + c), s - c
        yl = (p * sc + q * cc) / xp.sqrt(math.pi * xl)
        v = xp.where(small, ys, yl)
        v = xp.where(x == 0, -xp.inf, v)
        return xp.where((x < 0) | xp.isnan(x) | xp.isinf(x), xp.nan, v)


def y0(x):
    return _y(x, 0)


def y1(x):
    return _y(x, 1)


# -- modified Bessel functions of the second kind ----------------------------------------------

_NK = 140  # trapezoid nodes on [0, NK h]


def _k_integral_scaled(xp, x, nu):
    """``exp(x) K_nu(x)`` for ``x > ~1`` by the trapezoidal rule on
    ``int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt`` (``nu`` may be fractional).  The step
    shrinks like ``1/sqrt(x)`` with the integrand's peak, so the rule stays exact to rounding."""
    h = xp.minimum(0.1, 0.35 / xp.sqrt(x))[..., None]
    k = xp.asarray(np.arange(_NK + 1, dtype=np.float64))
    t = k * h
    sh = xp.sinh(t / 2)
    w = xp.where(k == 0, 0.5, 1.0) * h
    return (xp.exp(-2 * x[..., None] * sh * sh) * xp.cosh(nu * t) * w).sum(-1)


def _k_series(xp, x, nu):
    """``K_0(x)`` or ``K_1(x)`` for ``0 < x <= 2`` from their power series."""
    from ._bessel import i0, i1

    q = x * x / 4
    lg = xp.log(x / 2)
    if nu == 0:
        acc = xp.zeros_like(x)
        term = xp.ones_like(x)
        h = 0.0
        for k in range(1, 40):
            term = term * q / (k * k)
            h += 1.0 / k
            acc = acc + term * h
        return -(lg + _EULER) * i0(x) + acc
    # K1 = 1/x + log(x/2) I1 - x/4 sum_k (psi(k+1) + psi(k+2)) q^k / (k! (k+1)!)
    acc = xp.zeros_like(x)
    term = xp.ones_like(x)
    hk = 0.0
    for k in range(0, 40):
        if k:
            term = term * q / (k * (k + 1))
            hk += 1.0 / k
        psi_sum = 2 * (-_EULER) + 2 * hk + 1.0 / (k + 1)
        acc = acc + psi_sum * term
    return 1 / x + lg * i1(x) - (x / 4) * acc


def _k(x, nu, scaled):
    xp, x = f64(x)
    with quiet:
        small = x <= 2
        xs = xp.where(small & (x > 0), x, 1.0)
        ks = _k_series(xp, xs, nu)
        if scaled:
            ks = ks * xp.exp(xs)
        xl = xp.where(small | ~xp.isfinite(x), 4.0, x)
        kl = _k_integral_scaled(xp, xl, nu)
        if not scaled:
            kl = kl * xp.exp(-xl)
        v = xp.where(small, ks, kl)
        v = xp.where(x == 0, xp.inf, v)
        v = xp.where(xp.isposinf(x), 0.0, v)
        return xp.where((x < 0) | xp.isnan(x), xp.nan, v)


def k0(x):
    return _k(x, 0, False)


def k1(x):
    return _k(x, 1, False)


def k0e(x):
    return _k(x, 0, True)


def k1e(x):
    return _k(x, 1, True)


def _spherical_j0_cpu(x):
    """PyTorch's CPU ``spherical_bessel_j0`` in the input's type: a degree-12 Taylor
    polynomial in x*x below 1/2 (multiply-adds fused as the compiler contracts them),
    ``sin(x) / x`` above (the C library's sin/sinf), 0 at +-inf."""
    from .._random import _fma32, _fma64
    from . import _libm

    t = x.dtype.type
    fma = _fma32 if x.dtype == np.float32 else _fma64
    with np.errstate(all="ignore"):
        x2 = x * x
        acc = np.full_like(x, t(1) / t(6227020800.0))
        for c in (t(-1) / t(39916800.0), t(1) / t(362880.0), t(-1) / t(5040.0),
                  t(1) / t(120.0), t(-1) / t(6.0), t(1)):
            acc = fma(x2, acc, c)
        s = _libm.sinf(x) if x.dtype == np.float32 else np.sin(x)
        out = np.where(np.abs(x) < t(0.5), acc, s / x)
        return np.where(np.isinf(x), t(0), out).astype(x.dtype, copy=False)


def spherical_j0(x):
    if type(x) is np.ndarray and x.dtype.kind in "biuf" and x.dtype.itemsize != 2:
        return _spherical_j0_cpu(x if x.dtype == np.float64 else x.astype(np.float32))
    xp, x = f64(x)
    with quiet:
        v = xp.sin(x) / xp.where(x == 0, 1.0, x)
        v = xp.where(x == 0, 1.0, v)
        return xp.where(xp.isinf(x), 0.0, v)


# -- Airy Ai ----------------------------------------------------------------------------------

_AI0 = 0.355028053887817239260   # Ai(0)
_AIP0 = 0.258819403792806798405  # -Ai'(0)


def _ai_series(xp, x):
    x3 = x * x * x
    f = xp.ones_like(x)
    g = x.copy()
    tf, tg = xp.ones_like(x), x.copy()
    for k in range(1, 40):
        tf = tf * x3 / ((3 * k - 1) * (3 * k))
        tg = tg * x3 / ((3 * k) * (3 * k + 1))
        f = f + tf
        g = g + tg
    return _AI0 * f - _AIP0 * g


_GL_X, _GL_W = np.polynomial.legendre.leggauss(200)


_DE_S = np.arange(-5.0, 4.5 + 1e-9, 0.04)
_DE_T = np.exp(_DE_S - np.exp(-_DE_S))                 # t(s): 0 at -inf, ~e^s at +inf
_DE_W = 0.04 * (1 + np.exp(-_DE_S)) * _DE_T              # dt/ds times the step


def _j_frac(xp, z, nu):
    """``J_nu(z)`` for real ``nu`` and ``0.6 < z <= ~80``: Bessel's integral by Gauss-Legendre
    on [0, pi], minus ``sin(nu pi)/pi int_0^inf exp(-z sinh t - nu t) dt`` by the trapezoidal
    rule after the substitution ``t = exp(s - e^-s)`` (double-exponential decay at both
    ends)."""
    th = (_GL_X + 1) * (math.pi / 2)
    w = _GL_W * (math.pi / 2)
    a = xp.cos(nu * xp.asarray(th) - z[..., None] * xp.asarray(np.sin(th)))
    first = (a * xp.asarray(w)).sum(-1) / math.pi
    if nu == int(nu):
        return first
    f = xp.exp(-z[..., None] * xp.asarray(np.sinh(_DE_T)) - nu * xp.asarray(_DE_T))
    tail = (f * xp.asarray(_DE_W)).sum(-1)
    return first - math.sin(nu * math.pi) / math.pi * tail


def _ai_asym_neg(xp, y):
    z = (2.0 / 3.0) * y * xp.sqrt(y)
    u = [1.0]
    for k in range(1, 16):
        u.append(u[-1] * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216 * k))
    even = xp.zeros_like(y)
    odd = xp.zeros_like(y)
    for k in range(8):
        even = even + ((-1) ** k) * u[2 * k] / z ** (2 * k)
        odd = odd + ((-1) ** k) * u[2 * k + 1] / z ** (2 * k + 1)
    ang = z + math.pi / 4
    return (xp.sin(ang) * even - xp.cos(ang) * odd) / (math.sqrt(math.pi) * y ** 0.25)


def airy_ai(x):
    xp, x = f64(x)
    with quiet:
        mid = xp.abs(x) <= 1
        ser = _ai_series(xp, xp.where(mid, x, 0.0))
        pos = x > 1
        xp_ = xp.where(pos & xp.isfinite(x), x, 2.0)
        zeta = (2.0 / 3.0) * xp_ * xp.sqrt(xp_)
        kpos = _k_integral_scaled(xp, zeta, 1.0 / 3.0) * xp.exp(-zeta)
        vpos = xp.sqrt(xp_ / 3) / math.pi * kpos
        neg = (x < -1) & (x >= -24)
        yn = xp.where(neg, -x, 2.0)
        zn = (2.0 / 3.0) * yn * xp.sqrt(yn)
        vneg = xp.sqrt(yn) / 3 * (_j_frac(xp, zn, 1 / 3) + _j_frac(xp, zn, -1 / 3))
        far = x < -24
        yf = xp.where(far & xp.isfinite(x), -x, 30.0)
        vfar = _ai_asym_neg(xp, yf)
        v = xp.where(mid, ser, xp.where(pos, vpos, xp.where(neg, vneg, vfar)))
        return xp.where(xp.isinf(x) | xp.isnan(x), xp.nan, v)


# -- orthogonal polynomials ---------------------------------------------------------------------

def _int_n(xp, n):
    return xp.trunc(n).astype(np.int64) if n.dtype.kind == "f" else n.astype(np.int64)


def _recurrence(x, n, p0, p1, step, special=None):
    """``p_n(x)`` from ``p_0``, ``p_1`` and ``step(k, x, p_(k-1), p_k) -> p_(k+1)``, per element
    of the broadcast ``x``, ``n`` (0 where ``n < 0``); ``special(x, n, value)`` patches the
    edge cases afterwards."""
    x, n = np.broadcast_arrays(np.asarray(x, np.float64), _int_n(np, np.asarray(n)))
    with quiet:
        prev = p0(x)
        cur = p1(x)
        out = np.where(n == 0, prev, np.where(n == 1, cur, 0.0))
        top = int(n.max()) if n.size else 0
        for k in range(1, top):
            prev, cur = cur, step(k, x, prev, cur)
            out = np.where(n == k + 1, cur, out)
        out = np.where(n < 0, 0.0, out)
        if special is not None:
            out = special(x, n, out)
        return out


def _cheb_t_special(x, n, v):
    with quiet:
        trig = np.cos(n * np.arccos(np.clip(x, -1, 1)))
    v = np.where((n > 6) & (np.abs(x) < 1), trig, v)
    edge = np.where((x > 0) | (n % 2 == 0), 1.0, -1.0)
    return np.where((np.abs(x) == 1) & (n >= 0), edge, v)


def chebyshev_t(x, n):
    return _recurrence(x, n, np.ones_like, lambda x: x, lambda k, x, p, q: (x + x) * q - p,
                       _cheb_t_special)


def _cheb_u_special(x, n, v):
    with quiet:
        th = np.arccos(np.clip(x, -1, 1))
        s = np.sin(th)
        trig = np.where(s != 0, np.sin((n + 1) * th) / np.where(s != 0, s, 1.0),
                        (n + 1) * np.cos((n + 1) * th) * x)
    v = np.where((n > 8) & (np.abs(x) < 1), trig, v)
    edge = np.where((x > 0) | (n % 2 == 0), n + 1.0, -(n + 1.0))
    return np.where((np.abs(x) == 1) & (n >= 0), edge, v)


def chebyshev_u(x, n):
    return _recurrence(x, n, np.ones_like, lambda x: x + x, lambda k, x, p, q: (x + x) * q - p,
                       _cheb_u_special)


def _cheb_v_special(x, n, v):
    with quiet:
        th = np.arccos(np.clip(x, -1, 1))
        h = np.sin(th / 2)
        odd = np.where(n % 2 == 0, n + n + 1.0, -(n + n + 1.0))
        trig = np.where(h != 1, np.cos((n + 0.5) * th) / np.cos(th / 2), odd)
    v = np.where((n > 8) & (np.abs(x) < 1), trig, v)
    edge = np.where(x > 0, 1.0, np.where(n % 2 == 0, n + n + 1.0, -(n + n + 1.0)))
    return np.where((np.abs(x) == 1) & (n >= 0), edge, v)


def chebyshev_v(x, n):
    return _recurrence(x, n, np.ones_like, lambda x: x + x - 1,
                       lambda k, x, p, q: (x + x) * q - p, _cheb_v_special)


def _cheb_w_special(x, n, v):
    with quiet:
        th = np.arccos(np.clip(x, -1, 1))
        c = np.cos(th / 2)
        edge_in = np.where(x > 0, n + n + 1.0, np.where(n % 2 == 0, 1.0, -1.0))
        trig = np.where(c != 1, np.sin((n + 0.5) * th) / np.sin(th / 2), edge_in)
    v = np.where((n > 8) & (np.abs(x) < 1), trig, v)
    edge = np.where(x > 0, n + n + 1.0, np.where(n % 2 == 0, 1.0, -1.0))
    return np.where((np.abs(x) == 1) & (n >= 0), edge, v)


def chebyshev_w(x, n):
    return _recurrence(x, n, np.ones_like, lambda x: x + x + 1,
                       lambda k, x, p, q: (x + x) * q - p, _cheb_w_special)


def _shifted(fn):
    def shifted(x, n):
        x = np.asarray(x, np.float64)
        return fn(x + x - 1, n)
    return shifted


shifted_chebyshev_t = _shifted(chebyshev_t)
shifted_chebyshev_u = _shifted(chebyshev_u)
shifted_chebyshev_v = _shifted(chebyshev_v)
shifted_chebyshev_w = _shifted(chebyshev_w)


def hermite_h(x, n):
    return _recurrence(x, n, np.ones_like, lambda x: x + x,
                       lambda k, x, p, q: (x + x) * q - (2 * k) * p)


def hermite_he(x, n):
    return _recurrence(x, n, np.ones_like, lambda x: x.copy(),
                       lambda k, x, p, q: x * q - k * p)


def _laguerre_special(x, n, v):
    return np.where((x == 0) & (n >= 0), 1.0, v)


def laguerre_l(x, n):
    return _recurrence(x, n, np.ones_like, lambda x: 1 - x,
                       lambda k, x, p, q: ((2 * k + 1 - x) * q - k * p) / (k + 1),
                       _laguerre_special)


def _legendre_special(x, n, v):
    edge = np.where((x > 0) | (n % 2 == 0), 1.0, -1.0)
    return np.where((np.abs(x) == 1) & (n >= 0), edge, v)


def legendre_p(x, n):
    return _recurrence(x, n, np.ones_like, lambda x: x.copy(),
                       lambda k, x, p, q: ((2 * k + 1) * x * q - k * p) / (k + 1),
                       _legendre_special)
