"""Sleef's float32 ``lgammaf_u1`` and ``atanhf_u10``: PyTorch's CPU ``lgamma`` and (in its
vector loop) ``atanh`` of float32 tensors.

PyTorch's vector build computes ``torch.lgamma`` of float32 values with Sleef's
``Sleef_lgammaf16_u10`` (AVX-512; ``lgammaf8_u10`` on AVX2), tails included (its ``map`` loads
a short last vector), so every value takes the vector code.  Sleef's method (learnt from its
published sources, written anew): in float32 pairs (head, tail) with fused multiply-adds,

- ``x`` is ``a`` from 1/2 up, ``1 - a`` below (reflection), and 0 for ``|a| < 1e-30``;
- from 2.3: Stirling, ``(x - 1/2) log x - x + log(2 pi)/2`` plus a degree-8 polynomial in
  ``1/x``; below 7 first stepped up by 3 (``x (x + 1) (x + 2)`` divided out);
- below 2.3: a polynomial in ``x - 1`` (for ``x`` in [1/2, 1.2]) or ``x - 2``, times it;
- reflection: ``log(pi) - that``, divided by ``sin(pi a)`` (Sleef's ``sinpifk``);
- the result is ``c + log|n / d|`` with ``log`` Sleef's ``logk2f`` of a pair.

The coefficients are Sleef's published data (numbers, not code).  Each step rounds as the
vector code does: float32 operations, each fused multiply-add rounded once
(:func:`ember._random._fma32`).  Checked against ``torch.lgamma`` value for value.
"""
from __future__ import annotations

import math

import numpy as np

from .._random import _fma32, _fma64_horner
from ._sleef import _add2_pf, _add2_pp, _add_pf, _add_pp

_F32, _F64 = np.float32, np.float64


def _f(v):
    return _F32(v)


def _pair_d(d):
    """Sleef's ``vcast_vf2_d``: a double as a float32 head and the float32 of the rest."""
    h = _F32(d)
    return h, _F32(d - float(h))


def _exact_err(x, y, s):
    """``x * y - s`` for float32 ``x``, ``y`` and ``s = fl(x * y)``: exact in float32."""
    return (x.astype(_F64) * y - s).astype(_F32)


def _add2_ff(x, y):
    s = x + y
    v = s - x
    return s, (x - (s - v)) + (y - v)


def _add2_fp(x, y):
    s = x + y[0]
    v = s - x
    return s, ((x - (s - v)) + (y[0] - v)) + y[1]


def _norm(t):
    s = t[0] + t[1]
    return s, (t[0] - s) + t[1]


def _mul_ff(x, y):
    s = x * y
    return s, _exact_err(x, y, s)


def _mul_pf(x, y):
    s = x[0] * y
    return s, _fma32(x[1], y, _exact_err(x[0], y, s))


def _mul_pp(x, y):
    s = x[0] * y[0]
    return s, _fma32(x[0], y[1], _fma32(x[1], y[0], _exact_err(x[0], y[0], s)))


def _square(x):
    s = x[0] * x[0]
    return s, _fma32(x[0] + x[0], x[1], _exact_err(x[0], x[0], s))


def _div_pp(n, d):
    t = _F32(1) / d[0]
    s = n[0] * t
    u = _exact_err(t, n[0], s)
    v = _fma32(-d[1], t, _fma32(-d[0], t, np.ones_like(t)))
    return s, _fma32(s, v, _fma32(n[1], t, u))


def _sel(m, a, b):
    if type(a) is not np.ndarray and type(b) is not np.ndarray:  # (two constants)
        return np.array([b, a], _F32)[m.view(np.uint8)]
    return np.where(m, a, b).astype(_F32, copy=False)


def _sel2(m, a, b):
    return _sel(m, a[0], b[0]), _sel(m, a[1], b[1])


def _poly(t, coefs):
    u = np.broadcast_to(coefs[0], t.shape).astype(_F32)
    for c in coefs[1:]:
        u = _fma32(u, t, c)
    return u


_LN2 = (_f(0.69314718246459960938), _f(-1.904654323148236017e-09))
_LOGK2 = [_f(c) for c in (0.2392828464508056640625, 0.28518211841583251953125,
                          0.400005877017974853515625, 0.666666686534881591796875)]


def _logk2(d):
    """Sleef's ``logk2f``: the log of a positive float32 pair, as a pair (AVX-512 build: the
    exponent by ``getexp``)."""
    v = d[0] * _f(1 / 0.75)
    e = (np.frexp(v)[1] - 1).astype(np.int32)  # getexp: floor(log2 |v|)
    sc = np.ldexp(_F32(1), -e).astype(_F32)
    m = d[0] * sc, d[1] * sc
    x = _div_pp(_add2_pf(m, _f(-1)), _add2_pf(m, _f(1)))
    x2 = _square(x)
    t = _poly(x2[0], _LOGK2)
    s = _mul_pf(_LN2, e.astype(_F32))
    s = _add_pp(s, (x[0] * _f(2), x[1] * _f(2)))
    return _add_pp(s, _mul_pf(_mul_pp(x2, x), t))


_SINPI_U = ([_f(c) for c in (-0.2430611801e-7, 0.3590577080e-5, -0.3259917721e-3)],
            [_f(c) for c in (0.3093842054e-6, -0.3657307388e-4, 0.2490393585e-2)])


def _sinpi(d):
    """Sleef's ``sinpifk``: ``sin(pi d)`` as a float32 pair."""
    u = d * _f(4)
    q = np.trunc(u).astype(np.int32)
    q = (q + ((q.view(np.uint32) >> 31).astype(np.int32) ^ 1)) & ~1
    o = (q & 2) == 2
    s = u - q.astype(_F32)
    t = s
    s = s * s
    s2 = _mul_ff(t, t)
    c = [_sel(o, a, b) for a, b in zip(*_SINPI_U)]
    w = _fma32(_fma32(c[0], s, c[1]), s, c[2])
    x = _add2_fp(w * s, (_sel(o, _f(0.015854343771934509277), _f(-0.080745510756969451904)),
                         _sel(o, _f(4.4940051354032242811e-10), _f(-1.3373665339076936258e-09))))
    x = _add2_pp(_mul_pp(s2, x), (_sel(o, _f(-0.30842512845993041992), _f(0.78539818525314331055)),
                                  _sel(o, _f(-9.0728339030733922277e-09),
                                       _f(-2.1857338617566484855e-08))))
    x = _mul_pp(x, _sel2(o, s2, (t, np.zeros_like(t))))
    x = _sel2(o, _add2_pf(x, _f(1)), x)
    neg = (q & 4) == 4
    return _sel(neg, -x[0], x[0]), _sel(neg, -x[1], x[1])


# u's coefficients: (x >= 2.3, 0.5 <= x <= 1.2, else)
_GAMMA_U = [tuple(_f(c) for c in row) for row in (
    (0.000839498720672087279971000786, 0.9435157776e+0, 0.1102489550e-3),
    (-5.17179090826059219329394422e-05, 0.8670063615e+0, 0.8160019934e-4),
    (-0.000592166437353693882857342347, 0.4826702476e+0, 0.1528468856e-3),
    (6.97281375836585777403743539e-05, -0.8855129778e-1, -0.2355068718e-3),
    (0.000784039221720066627493314301, 0.1013825238e+0, 0.4962242092e-3),
    (-0.000229472093621399176949318732, -0.1493408978e+0, -0.1193488017e-2),
    (-0.002681327160493827160473958490, 0.1697509140e+0, 0.2891599433e-2),
    (0.003472222222222222222175164840, -0.2072454542e+0, -0.7385451812e-2),
    (0.083333333333333333335592087900, 0.2705872357e+0, 0.2058077045e-1))]
_GAMMA_U_T = np.array(_GAMMA_U, _F32)
# z's coefficients: (0.5 <= x <= 1.2, else)
_GAMMA_Z = [tuple(_f(c) for c in row) for row in (
    (-0.400686534596170958447352690395e+0, -0.673523028297382446749257758235e-1),
    (0.822466960142643054450325495997e+0, 0.322467033928981157743538726901e+0),
    (-0.577215665946766039837398973297e+0, 0.422784335087484338986941629852e+0))]


def _gammak(a):
    """Sleef's ``gammafk``: pairs ``(c, n / d)`` with ``lgamma(a) = c + log|n / d|``."""
    zero, one = np.zeros_like(a), np.ones_like(a)
    otiny = np.abs(a) < _f(1e-30)
    oref = a < _f(0.5)
    x = _sel2(otiny, (zero, zero), _sel2(oref, _add2_ff(one, -a), (a, zero)))
    o0 = (_f(0.5) <= x[0]) & (x[0] <= _f(1.2))
    o2 = _f(2.3) <= x[0]
    y = _norm(_mul_pp(_add2_pf(x, _f(1)), x))
    y = _norm(_mul_pp(_add2_pf(x, _f(2)), y))
    o = o2 & (x[0] <= _f(7))
    clln = _sel2(o, y, (one, zero))
    x = _sel2(o, _add2_pf(x, _f(3)), x)
    t = _sel(o2, one / x[0], _norm(_add2_pf(x, _sel(o0, _f(-1), _f(-2))))[0])
    cu = _GAMMA_U_T[:, np.where(o2, 0, np.where(o0, 1, 2))]  # (each row's coefficients)
    u = cu[0]
    for c in cu[1:]:
        u = _fma32(u, t, c)
    y = _mul_pp(_add2_pf(x, _f(-0.5)), _logk2(x))
    y = _add2_pp(y, (-x[0], -x[1]))
    y = _add2_pp(y, _pair_d(0.91893853320467278056))
    z = _add2_pf(_mul_ff(u, t), _sel(o0, *_GAMMA_Z[0]))
    z = _add2_pf(_mul_pf(z, t), _sel(o0, *_GAMMA_Z[1]))
    z = _add2_pf(_mul_pf(z, t), _sel(o0, *_GAMMA_Z[2]))
    z = _mul_pf(z, t)
    clc = _sel2(o2, y, z)
    clld = _sel2(o2, _add2_pf(_mul_ff(u, t), _f(1)), (one, zero))
    y = clln
    lpi = _pair_d(1.1447298858494001639)
    clc = _sel2(otiny, tuple(np.full_like(a, v) for v in _pair_d(41.58883083359671856503)),
                _sel2(oref, _add2_pp((np.full_like(a, lpi[0]), np.full_like(a, lpi[1])),
                                     (-clc[0], -clc[1])), clc))
    clln = _sel2(otiny, (one, zero), _sel2(oref, clln, clld))
    xr = x
    if oref.any():
        t = a - _f(4096) * np.trunc(a * _f(1 / 4096))
        xr = _mul_pp(clld, _sinpi(t))
    clld = _sel2(otiny, (a * _f(2.0 ** 60), zero), _sel2(oref, xr, y))
    return clc, _div_pp(clln, clld)


def _lgammaf(a):
    with np.errstate(all="ignore"):
        c, q = _gammak(a)
        aq = np.abs(q[0])
        q = aq, _sel(q[0] < 0, -q[1], q[1])
        y = _add2_pp(c, _logk2(q))
        r = y[0] + y[1]
        bad = np.isinf(a) | ((a <= 0) & (a == np.trunc(a))) | (~np.isnan(a) & np.isnan(r))
        return _sel(bad, _f(np.inf), r)


_BLOCK = 1 << 14


def lgammaf(x):
    """``lgamma`` of a float32 array as Sleef's ``lgammaf_u1`` computes it."""
    d = np.asarray(x, _F32)
    flat = np.ascontiguousarray(d).reshape(-1)
    out = np.empty(flat.size, _F32)
    for i in range(0, flat.size, _BLOCK):
        out[i:i + _BLOCK] = _lgammaf(flat[i:i + _BLOCK])
    return out.reshape(d.shape)


_NAN32_ONES = np.array(-1, np.int32).view(_F32)
_NAN64_ONES = np.array(-1, np.int64).view(_F64)


def _atanhf(x):
    with np.errstate(all="ignore"):
        y = np.abs(x)
        one = np.ones_like(y)
        d = _logk2(_div_pp(_add2_ff(one, y), _add2_ff(one, -y)))
        r = _sel(y == 1, _f(np.inf), (d[0] + d[1]) * _f(0.5))
        # (Sleef's NaN: every bit set, by OR; the sign of x then flips it, a NaN x's not)
        r = _sel((y > 1) | np.isinf(x) | np.isnan(r), _NAN32_ONES, r)
        r = _sel(np.signbit(x), -r, r)
        return _sel(np.isnan(x), _NAN32_ONES, r)


def atanhf(x):
    """``atanh`` of a float32 array as Sleef's ``atanhf_u10`` computes it:
    ``log((1 + |x|) / (1 - |x|)) / 2`` in float32 pairs, the sign of ``x``."""
    d = np.asarray(x, _F32)
    flat = np.ascontiguousarray(d).reshape(-1)
    out = np.empty(flat.size, _F32)
    for i in range(0, flat.size, _BLOCK):
        out[i:i + _BLOCK] = _atanhf(flat[i:i + _BLOCK])
    return out.reshape(d.shape)


# -- float64: Sleef's ``lgamma_u1`` (``Sleef_lgammad8_u10``), the same method in double pairs --
# Every fused multiply-add is emulated with one rounding (:func:`ember._random._fma64`).

def _dfma(a, b, c):
    from .._random import _fma64
    return _fma64(a, b, c)


_SPLIT = 134217729.0  # 2**27 + 1


def _d_err(x, y, s):
    """``x * y - s`` for ``s = fl(x * y)``, exact: Dekker's product by halves where the
    operands are moderate (no overflow or underflow in the splitting), else a fused
    multiply-add."""
    from .._random import _within
    if not (_within(np.asarray(x, _F64), _D_ERR_HI, _D_ERR_LO) and
            _within(np.asarray(y, _F64), _D_ERR_HI, _D_ERR_LO)):
        return _dfma(x, y, -s)
    t = _SPLIT * x
    xh = t - (t - x)
    xl = x - xh
    t = _SPLIT * y
    yh = t - (t - y)
    yl = y - yh
    e = ((xh * yh - s) + xh * yl + xl * yh) + xl * yl
    if np.isfinite(s).all():
        return e
    return np.where(np.isfinite(s), e, _dfma(x, y, -s))


_D_ERR_HI = float(np.nextafter(2.0 ** 900, 0))  # (magnitudes < 2**900 and > 2**-400 or 0)
_D_ERR_LO = float(np.nextafter(2.0 ** -400, 1))


def _d_mul_ff(x, y):
    s = x * y
    return s, _d_err(x, y, s)


def _d_mul_pf(x, y):
    s = x[0] * y
    return s, _dfma(x[1], y, _d_err(x[0], y, s))


def _d_mul_pp(x, y):
    s = x[0] * y[0]
    return s, _dfma(x[0], y[1], _dfma(x[1], y[0], _d_err(x[0], y[0], s)))


def _d_square(x):
    s = x[0] * x[0]
    return s, _dfma(x[0] + x[0], x[1], _d_err(x[0], x[0], s))


def _d_div_pp(n, d):
    t = 1.0 / d[0]
    s = n[0] * t
    u = _d_err(t, n[0], s)
    v = _dfma(-d[1], t, _dfma(-d[0], t, np.ones_like(t)))
    return s, _dfma(s, v, _dfma(n[1], t, u))


def _d_sel(m, a, b):
    return np.where(m, a, b).astype(_F64, copy=False)


def _d_sel2(m, a, b):
    return _d_sel(m, a[0], b[0]), _d_sel(m, a[1], b[1])


_LN2_D = (0.693147180559945286226764, 2.319046813846299558417771e-17)
_LOGK2_D = (0.13860436390467167910856, 0.131699838841615374240845,
            0.153914168346271945653214, 0.181816523941564611721589,
            0.22222224632662035403996, 0.285714285511134091777308,
            0.400000000000914013309483, 0.666666666666664853302393)


def _d_logk2(d):
    """Sleef's ``logk2``: the log of a positive double pair, as a pair."""
    e = np.frexp(d[0] * (1 / 0.75))[1] - 1
    sc = np.ldexp(1.0, -e)
    m = d[0] * sc, d[1] * sc
    x = _d_div_pp(_add2_pf(m, -1.0), _add2_pf(m, 1.0))
    x2 = _d_square(x)
    t = _fma64_horner(np.full_like(x2[0], _LOGK2_D[0]), x2[0], _LOGK2_D[1:])
    s = _d_mul_pf(_LN2_D, e.astype(_F64))
    s = _add_pp(s, (x[0] * 2, x[1] * 2))
    return _add_pp(s, _d_mul_pf(_d_mul_pp(x2, x), t))


_SINPI_D = ((9.94480387626843774090208e-16, -3.89796226062932799164047e-13,
             1.150115825399960352669010e-10, -2.46113695010446974953590e-08,
             3.590860448590527540050620e-06, -0.000325991886927389905997954),
            (-2.02461120785182399295868e-14, 6.948218305801794613277840e-12,
             -1.75724749952853179952664e-09, 3.133616889668683928784220e-07,
             -3.65762041821615519203610e-05, 0.0024903945701927185027435600))


def _d_sinpi(d):
    """Sleef's ``sinpik``: ``sin(pi d)`` as a double pair."""
    u = d * 4.0
    q = np.rint(u + 0.5).astype(np.int64) & ~1
    o = (q & 2) == 2
    s = u - q.astype(_F64)
    t = s
    s = s * s
    s2 = _d_mul_ff(t, t)
    w = _d_sel(o, _SINPI_D[0][0], _SINPI_D[1][0])
    w = _fma64_horner(w, s, (_d_sel(o, a, b) for a, b in zip(_SINPI_D[0][1:], _SINPI_D[1][1:])))
    x = _add2_fp(w * s, (_d_sel(o, 0.0158543442438155018914259, -0.0807455121882807852484731),
                         _d_sel(o, -1.04693272280631521908845e-18, 3.61852475067037104849987e-18)))
    x = _add2_pp(_d_mul_pp(s2, x), (_d_sel(o, -0.308425137534042437259529,
                                           0.785398163397448278999491),
                                    _d_sel(o, -1.95698492133633550338345e-17,
                                           3.06287113727155002607105e-17)))
    x = _d_mul_pp(x, _d_sel2(o, s2, (t, np.zeros_like(t))))
    x = _d_sel2(o, _add2_pf(x, 1.0), x)
    neg = (q & 4) == 4
    return _d_sel(neg, -x[0], x[0]), _d_sel(neg, -x[1], x[1])


# u's coefficients: (x >= 2.3, 0.5 <= x <= 1.1, else)
_GAMMA_U_D = np.array((
    (-156.801412704022726379848862, 0.2947916772827614196e+2, 0.7074816000864609279e-7),
    (1.120804464289911606838558160000, 0.1281459691827820109e+3, 0.4009244333008730443e-6),
    (13.39798545514258921833306020000, 0.2617544025784515043e+3, 0.1040114641628246946e-5),
    (-0.116546276599463200848033357000, 0.3287022855685790432e+3, 0.1508349150733329167e-5),
    (-1.391801093265337481495562410000, 0.2818145867730348186e+3, 0.1288143074933901020e-5),
    (0.015056113040026424412918973400, 0.1728670414673559605e+3, 0.4744167749884993937e-6),
    (0.179540117061234856098844714000, 0.7748735764030416817e+2, -0.6554816306542489902e-7),
    (-0.002481743600264997730942489280, 0.2512856643080930752e+2, -0.3189252471452599844e-6),
    (-0.029527880945699120504851034100, 0.5766792106140076868e+1, 0.1358883821470355377e-6),
    (0.000540164767892604515196325186, 0.7270275473996180571e+0, -0.4343931277157336040e-6),
    (0.006403362833808069794787256200, 0.8396709124579147809e-1, 0.9724785897406779555e-6),
    (-0.000162516262783915816896611252, -0.8211558669746804595e-1, -0.2036886057225966011e-5),
    (-0.001914438498565477526465972390, 0.6828831828341884458e-1, 0.4373363141819725815e-5),
    (7.20489541602001055898311517e-05, -0.7712481339961671511e-1, -0.9439951268304008677e-5),
    (0.000839498720672087279971000786, 0.8337492023017314957e-1, 0.2050727030376389804e-4),
    (-5.17179090826059219329394422e-05, -0.9094964931456242518e-1, -0.4492620183431184018e-4),
    (-0.000592166437353693882857342347, 0.1000996313575929358e+0, 0.9945751236071875931e-4),
    (6.97281375836585777403743539e-05, -0.1113342861544207724e+0, -0.2231547599034983196e-3),
    (0.000784039221720066627493314301, 0.1255096673213020875e+0, 0.5096695247101967622e-3),
    (-0.000229472093621399176949318732, -0.1440498967843054368e+0, -0.1192753911667886971e-2),
    (-0.002681327160493827160473958490, 0.1695571770041949811e+0, 0.2890510330742210310e-2),
    (0.003472222222222222222175164840, -0.2073855510284092762e+0, -0.7385551028674461858e-2),
    (0.083333333333333333335592087900, 0.2705808084277815939e+0, 0.2058080842778455335e-1)),
    _F64)
_GAMMA_Z_D = ((-0.4006856343865314862e+0, -0.6735230105319810201e-1),
              (0.8224670334241132030e+0, 0.3224670334241132030e+0),
              (-0.5772156649015328655e+0, 0.4227843350984671345e+0))


def _d_gammak(a):
    """Sleef's ``gammak``: double pairs ``(c, n / d)`` with ``lgamma(a) = c + log|n / d|``."""
    zero, one = np.zeros_like(a), np.ones_like(a)
    otiny = np.abs(a) < 1e-306
    oref = a < 0.5
    x = _d_sel2(otiny, (zero, zero), _d_sel2(oref, _add2_ff(one, -a), (a, zero)))
    o0 = (0.5 <= x[0]) & (x[0] <= 1.1)
    o2 = 2.3 <= x[0]
    y = _norm(_d_mul_pp(_add2_pf(x, 1.0), x))
    for k in (2.0, 3.0, 4.0):
        y = _norm(_d_mul_pp(_add2_pf(x, k), y))
    o = o2 & (x[0] <= 7)
    clln = _d_sel2(o, y, (one, zero))
    x = _d_sel2(o, _add2_pf(x, 5.0), x)
    t = _d_sel(o2, one / x[0], _norm(_add2_pf(x, _d_sel(o0, -1.0, -2.0)))[0])
    cu = _GAMMA_U_D.T[np.where(o2, 0, np.where(o0, 1, 2))].T
    u = _fma64_horner(cu[0], t, cu[1:])
    y = _d_mul_pp(_add2_pf(x, -0.5), _d_logk2(x))
    y = _add2_pp(y, (-x[0], -x[1]))
    y = _add2_pp(y, (0.91893853320467278056, -3.8782941580672414498e-17))
    z = _add2_pf(_d_mul_ff(u, t), _d_sel(o0, *_GAMMA_Z_D[0]))
    z = _add2_pf(_d_mul_pf(z, t), _d_sel(o0, *_GAMMA_Z_D[1]))
    z = _add2_pf(_d_mul_pf(z, t), _d_sel(o0, *_GAMMA_Z_D[2]))
    z = _d_mul_pf(z, t)
    clc = _d_sel2(o2, y, z)
    clld = _d_sel2(o2, _add2_pf(_d_mul_ff(u, t), 1.0), (one, zero))
    y = clln
    clc = _d_sel2(otiny, (one * 83.1776616671934334590333, one * 3.67103459631568507221878e-15),
                  _d_sel2(oref, _add2_pp((one * 1.1447298858494001639,
                                          one * 1.026595116270782638e-17),
                                         (-clc[0], -clc[1])), clc))
    clln = _d_sel2(otiny, (one, zero), _d_sel2(oref, clln, clld))
    xr = x
    if oref.any():
        t = a - 2.0 ** 28 * np.trunc(a * 2.0 ** -28)
        xr = _d_mul_pp(clld, _d_sinpi(t))
    clld = _d_sel2(otiny, (a * 2.0 ** 120, zero), _d_sel2(oref, xr, y))
    return clc, _d_div_pp(clln, clld)


def _lgamma(a):
    with np.errstate(all="ignore"):
        c, q = _d_gammak(a)
        q = np.abs(q[0]), _d_sel(q[0] < 0, -q[1], q[1])
        y = _add2_pp(c, _d_logk2(q))
        r = y[0] + y[1]
        bad = np.isinf(a) | ((a <= 0) & (a == np.trunc(a))) | (~np.isnan(a) & np.isnan(r))
        return _d_sel(bad, np.inf, r)


def lgamma(x):
    """``lgamma`` of a float64 array as Sleef's ``lgamma_u1`` computes it."""
    d = np.asarray(x, _F64)
    flat = np.ascontiguousarray(d).reshape(-1)
    out = np.empty(flat.size, _F64)
    for i in range(0, flat.size, _BLOCK):
        out[i:i + _BLOCK] = _lgamma(flat[i:i + _BLOCK])
    return out.reshape(d.shape)


def _atanh(x):
    with np.errstate(all="ignore"):
        y = np.abs(x)
        one = np.ones_like(y)
        d = _d_logk2(_d_div_pp(_add2_ff(one, y), _add2_ff(one, -y)))
        r = np.where(y == 1, np.inf, (d[0] + d[1]) * 0.5)
        r = np.where(np.signbit(x), -r, r)
        # (Sleef's NaN: every bit set, by OR after the sign: the same for any NaN)
        return np.where((y > 1) | np.isinf(x) | np.isnan(r) | np.isnan(x), _NAN64_ONES, r)


def atanh(x):
    """``atanh`` of a float64 array as Sleef's ``atanh_u10`` computes it."""
    d = np.asarray(x, _F64)
    flat = np.ascontiguousarray(d).reshape(-1)
    out = np.empty(flat.size, _F64)
    for i in range(0, flat.size, _BLOCK):
        out[i:i + _BLOCK] = _atanh(flat[i:i + _BLOCK])
    return out.reshape(d.shape)


# -- float64 loops: the vector code on whole blocks, the scalar code on the tails -------------
_BLOCK64 = 16  # PyTorch's vectorized loop: two 8-double vectors a step (AVX-512)


def split64(x, vector, scalar):
    """``vector(x)`` where PyTorch's double vector loop runs over the C-contiguous float64
    ``x`` (each thread's range cut to whole blocks), ``scalar(x)`` on the tails; other
    layouts as PyTorch's iterator loops over them."""
    from . import _sleef

    if not _sleef.VECTORIZED:
        return scalar(x)
    block = _BLOCK64 if _sleef.cpu_capability() == "avx512" else _BLOCK64 // 2
    if not x.flags.c_contiguous or x.ndim == 0:
        # (PyTorch's iterator: the vector loop only where an inner run is contiguous)
        m = _sleef.loop_mask(x.shape, x, block=block) if x.ndim else None
        if m is None or m is True:
            return scalar(x) if m is None else vector(x)
        out = np.empty(x.shape, _F64)
        out[m] = vector(x[m])
        out[~m] = scalar(x[~m])
        return out
    flat = x.reshape(-1)
    n = flat.size
    out = np.empty(n, _F64)
    tails = []
    for a, b in _sleef._flat_ranges(n):
        v = b - (b - a) % block
        if v < b:
            tails.append((v, b))
    v = tails[-1][0] if tails and tails[-1][1] == n else n
    if v >= block:
        out[:v] = vector(flat[:v])
    if tails:
        idx = np.concatenate([np.arange(a, b) for a, b in tails])
        out[idx] = scalar(flat[idx])
    return out.reshape(x.shape)


_EXPK2_D = (0.1602472219709932072e-9, 0.2092255183563157007e-8, 0.2505230023782644465e-7,
            0.2755724800902135303e-6, 0.2755731892386044373e-5, 0.2480158735605815065e-4,
            0.1984126984148071858e-3, 0.1388888888886763255e-2, 0.8333333333333347095e-2,
            0.4166666666666669905e-1)
_L2U_D = 0.69314718055966295651160180568695068359375
_L2L_D = 0.28235290563031577122588448175013436025525412068e-12
_R_LN2_D = 1.442695040888963407359924681001892137426645954152985934135449406931


def _d_expk2(d):
    """Sleef's ``expk2`` of a double array: exp as a double pair."""
    dq = np.rint(d * _R_LN2_D)
    s = _add2_pf((d, np.zeros_like(d)), dq * -_L2U_D)
    s = _add2_pf(s, dq * -_L2L_D)
    u = _fma64_horner(np.full_like(d, _EXPK2_D[0]), s[0], _EXPK2_D[1:])
    t = _add2_pf(_d_mul_pf(s, u), 0.1666666666666666574)
    t = _add2_pf(_d_mul_pp(s, t), 0.5)
    t = _add2_pp(s, _d_mul_pp(_d_square(s), t))
    one = np.ones_like(d)
    h = one + t[0]
    t = h, ((one - h) + t[0]) + t[1]
    q = np.clip(dq, -2000, 2000).astype(np.int64)
    q1 = q >> 1
    f1, f2 = np.ldexp(1.0, q1), np.ldexp(1.0, q - q1)
    low = d < -1000
    return np.where(low, 0.0, (t[0] * f1) * f2), np.where(low, 0.0, (t[1] * f1) * f2)


def _d_sinh_cosh(x, sign):
    with np.errstate(all="ignore"):
        y = np.abs(x)
        d = _d_expk2(np.minimum(y, 800.0))
        r = 1.0 / d[0]
        e = r, r * _dfma(-d[1], r, _dfma(-d[0], r, np.ones_like(r)))
        d = _add_pp(d, (sign * e[0], sign * e[1]))
        out = (d[0] + d[1]) * 0.5
        out = np.where((y > 710) | np.isnan(out), np.inf, out)
        if sign < 0:
            out = np.where(np.signbit(x), -out, out)
        return np.where(np.isnan(x), x, out)


def _blocks64(fn, x):
    d = np.asarray(x, _F64)
    flat = np.ascontiguousarray(d).reshape(-1)
    out = np.empty(flat.size, _F64)
    for i in range(0, flat.size, _BLOCK):
        out[i:i + _BLOCK] = fn(flat[i:i + _BLOCK])
    return out.reshape(d.shape)


def sinh(x):
    """``sinh`` of a float64 array as Sleef's ``sinh_u10`` computes it."""
    return _blocks64(lambda v: _d_sinh_cosh(v, -1.0), x)


def cosh(x):
    """``cosh`` of a float64 array as Sleef's ``cosh_u10`` computes it."""
    return _blocks64(lambda v: _d_sinh_cosh(v, 1.0), x)


# -- float64: Sleef's ``exp_u10`` (``Sleef_expd8_u10``, FMA build) -----------------------------
# The coefficients are Sleef's published data; each fused multiply-add rounds once (_dfma).
_EXP_D = (0.2081276378237164457e-8, 0.2511210703042288022e-7, 0.2755762628169491192e-6,
          0.2755723402025388239e-5, 0.2480158687479686264e-4, 0.1984126989855865850e-3,
          0.1388888888914497797e-2, 0.8333333333314938210e-2, 0.4166666666666602598e-1,
          0.1666666666666669072)
_EXP_D_MAX = float.fromhex("0x1.62e42fefa39efp+9")


def expd(d):
    """``exp`` of a float64 array as Sleef's vector ``exp_u10`` computes it: ``d - q ln 2``
    by two fused steps, a degree-12 polynomial (Estrin's scheme, then three Horner steps),
    scaled by ``2**q`` in two halves; above ~709.78 inf, below -1000 zero."""
    d = np.asarray(d, _F64)
    with np.errstate(all="ignore"):
        q = np.rint(d * _R_LN2_D)
        s = _dfma(q, -_L2U_D, d)
        s = _dfma(q, -_L2L_D, s)
        s2 = s * s
        s4 = s2 * s2
        c = _EXP_D
        hi = _dfma(s2, _dfma(s, c[2], c[3]), _dfma(s, c[4], c[5]))
        lo = _dfma(s2, _dfma(s, c[6], c[7]), _dfma(s, c[8], c[9]))
        u = _dfma(s4 * s4, _dfma(s, c[0], c[1]), _dfma(s4, hi, lo))
        for k in (0.5, 1.0, 1.0):
            u = _dfma(u, s, k)
        n = np.where(np.isfinite(q), q, 0).clip(-2100, 2100).astype(np.int64)
        half = n >> 1
        out = (u * np.ldexp(1.0, half)) * np.ldexp(1.0, n - half)
        out = np.where(d > _EXP_D_MAX, np.inf, out)
        return np.where(d < -1000, 0.0, out)


# NOTE: the exact emulations cost ~0.5 us a value and ~0.2 ms a fused multiply-add step
# whatever the size (each emulated with NumPy ops); beyond EXACT_MAX values NumPy's exp
# stands in (then about one value in 30 differs by an ulp): a call costs at most ~4 ms
EXACT_MAX = 1 << 12
# Complex functions reproduced bit for bit (fused multiply-adds, Sleef's double atan2/hypot,
# the C library's expm1f/sinf/cosf, each emulated with NumPy ops) cost 5-100x NumPy's; beyond
# COMPLEX_EXACT_MAX values NumPy's own (within an ulp) bounds that cost per call.
COMPLEX_EXACT_MAX = 1 << 14


def expd_capped(d):
    """:func:`expd`, or NumPy's ``exp`` for arrays of more than :data:`EXACT_MAX` values."""
    return expd(d) if np.size(d) <= EXACT_MAX else np.exp(d)


def fma_capped(a, b, c, size=None):
    """``a * b + c`` rounded once (a kernel's fused multiply-add) for at most
    :data:`EXACT_MAX` values (``size``: the whole computation's, where it is done in parts),
    else rounded twice."""
    if (np.size(a) if size is None else size) <= EXACT_MAX:
        return _dfma(a, b, c)
    return a * b + c


# -- float64: Sleef's ``log_u1`` (``Sleef_logd8_u10``, the AVX-512 build) ---------------------
_LOG_D = (0.1532076988502701353, 0.1525629051003428716, 0.1818605932937785996,
          0.2222214519839380009, 0.2857142932794299317, 0.3999999999635251990,
          0.6666666666667333541)


def _two_sum(a, b):
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def logd(d):
    """``log`` of a float64 array as Sleef's AVX-512 vector ``log_u1`` computes it: ``d`` as
    ``m 2**e`` with ``m`` in [0.75, 1.5) (``e`` from ``d / 0.75``, as its ``getexp``), then
    ``e ln 2 + 2 x + x**3 P(x**2)`` for ``x = (m - 1) / (m + 1)`` in double pairs."""
    d = np.asarray(d, _F64)
    with np.errstate(all="ignore"):
        e = (np.frexp(d * (1 / 0.75))[1] - 1).astype(_F64)
        e = np.where(d == np.inf, 1024.0, e)
        f, k = np.frexp(d)
        m = np.where(f < 0.75, f * 2, f)
        x = _d_div_pp(_two_sum(m, -1.0), _two_sum(m, 1.0))
        x2 = x[0] * x[0]
        x4 = x2 * x2
        c = _LOG_D
        t = _dfma(x4 * x4, _dfma(x4, c[0], _dfma(x2, c[1], c[2])),
                  _dfma(x4, _dfma(x2, c[3], c[4]), _dfma(x2, c[5], c[6])))
        s = _d_mul_pf(_LN2_D, e)
        s = _add_pp(s, (x[0] * 2, x[1] * 2))
        s = _add_pf(s, (x2 * x[0]) * t)
        r = s[0] + s[1]
        r = np.where(d == np.inf, np.inf, r)
        r = np.where((d < 0) | np.isnan(d), np.nan, r)
        return np.where(d == 0, -np.inf, r)


def logd_capped(d):
    """:func:`logd`, or NumPy's ``log`` for arrays of more than :data:`EXACT_MAX` values."""
    if np.size(d) <= EXACT_MAX:
        return logd(d)
    with np.errstate(all="ignore"):
        return np.log(d)


# -- float64 ``atan2``: Sleef's ``atan2_u1`` (``Sleef_atan2d8_u10``), PyTorch's vector code's --
_ATAN2_D = (1.06298484191448746607415e-05, -0.000125620649967286867384336,
            0.00070557664296393412389774, -0.00251865614498713360352999,
            0.00646262899036991172313504, -0.0128281333663399031014274,
            0.0208024799924145797902497, -0.0289002344784740315686289,
            0.0359785005035104590853656, -0.041848579703592507506027,
            0.0470843011653283988193763, -0.0524914210588448421068719,
            0.0587946590969581003860434, -0.0666620884778795497194182,
            0.0769225330296203768654095, -0.0909090442773387574781907,
            0.111111108376896236538123, -0.142857142756268568062339,
            0.199999999997977351284817, -0.333333333333317605173818)


def _estrin8(x, x2, x4, c):
    """Sleef's ``POLY8`` (fused multiply-adds), ``c`` from the highest degree."""
    def p4(k):
        return _dfma(x2, _dfma(x, c[k], c[k + 1]), _dfma(x, c[k + 2], c[k + 3]))
    return _dfma(x4, p4(0), p4(4))


def atan2d(y, x):
    """``atan2(y, x)`` of float64 arrays as Sleef's ``atan2_u1`` computes it: in double
    pairs, the ratio ``s`` of the smaller to the larger of ``|x|`` and ``|y|`` (negated where
    ``|x| < |y|``), ``s + s t u(t)`` for ``t = s**2`` (a degree-19 series, its first 16 terms
    by Estrin's scheme) plus ``q pi/2``; signs and special values as Sleef's."""
    y, x = np.broadcast_arrays(np.asarray(y, _F64), np.asarray(x, _F64))
    with np.errstate(all="ignore"):
        tiny = np.abs(x) < 5.5626846462680083984e-309
        x = np.where(tiny, x * 2.0 ** 53, x)
        y = np.where(tiny, y * 2.0 ** 53, y)
        ay = np.abs(y)
        neg = x < 0
        ax = np.where(neg, -x, x)
        swap = ax < ay
        q = np.where(neg, -2.0, 0.0) + swap
        zero = np.zeros_like(x)
        s = _d_div_pp((np.where(swap, -ax, ay), zero), (np.where(swap, ay, ax), zero))
        t = _norm(_d_square(s))
        t2 = t[0] * t[0]
        t4 = t2 * t2
        c = _ATAN2_D
        u = _dfma(t4 * t4, _estrin8(t[0], t2, t4, c[:8]), _estrin8(t[0], t2, t4, c[8:16]))
        for k in c[16:]:
            u = _dfma(u, t[0], k)
        t = _add_pp(s, _d_mul_pf(_d_mul_pp(s, t), u))
        t = _add_pp(_d_mul_pf((np.full_like(q, 1.570796326794896557998982),
                               np.full_like(q, 6.12323399573676603586882e-17)), q), t)
        r = np.where(np.signbit(x), -(t[0] + t[1]), t[0] + t[1])  # (Sleef's mulsign: xor)
        hpi = math.pi / 2
        xinf = np.isinf(x)
        r = np.where(xinf | (x == 0), np.where(xinf, np.where(x > 0, 0.0, math.pi), hpi), r)
        r = np.where(np.isinf(y), np.where(xinf, np.where(x > 0, hpi - math.pi / 4,
                                                          hpi + math.pi / 4), hpi), r)
        r = np.where(y == 0, np.where(np.signbit(x), math.pi, 0.0), r)
        r = np.where(np.isnan(x) | np.isnan(y), np.nan, np.where(np.signbit(y), -r, r))
    return r


def hypotd(x, y):
    """``hypot(x, y)`` of float64 arrays as Sleef's ``hypot_u05`` computes it: ``max`` times
    the square root of ``1 + (min/max)**2``, in double pairs."""
    x, y = np.broadcast_arrays(np.abs(np.asarray(x, _F64)), np.abs(np.asarray(y, _F64)))
    with np.errstate(all="ignore"):
        lo, hi = np.minimum(x, y), np.maximum(x, y)
        small = hi < 2.2250738585072014e-308
        n = np.where(small, lo * 2.0 ** 54, lo)
        d = np.where(small, hi * 2.0 ** 54, hi)
        zero = np.zeros_like(n)
        t = _d_div_pp((n, zero), (d, zero))
        t = _add2_pf(_d_square(t), 1.0)
        r = np.sqrt(t[0] + t[1])  # (Sleef's pair square root)
        w = 1.0 / r
        rec = (w, w * _dfma(-r, w, 1.0))
        t = _d_mul_pp(_add2_pp(t, _d_mul_ff(r, r)), rec)
        t = _d_mul_pf((t[0] * 0.5, t[1] * 0.5), hi)
        out = t[0] + t[1]
        out = np.where(np.isnan(out), np.inf, out)
        out = np.where(lo == 0, hi, out)
        out = np.where(np.isnan(x) | np.isnan(y), np.nan, out)
        return np.where((x == np.inf) | (y == np.inf), np.inf, out)
