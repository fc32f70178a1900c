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

import numpy as np

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


def _cpu_kernel(x):
    """``x`` as the float array PyTorch's CPU kernel computes in (float64, else float32), or
    None for other arrays (a GPU's)."""
    if type(x) is not np.ndarray or x.dtype.kind == "c":
        return None
    return x if x.dtype == np.float64 else x.astype(np.float32, copy=False)


def i0(x):
    if _cpu_kernel(x) is not None:
        return cephes_i(_cpu_kernel(x), 0, False)
    with quiet:
        xp, x, ax, small, series, asym = _i_parts(x, 0)
        # NOTE: as in PyTorch, exp(|x|) overflows first (I0 itself would up to |x| ~ 713.9),
        # and i0(+-inf) is NaN (inf * 0).
        return xp.where(small, series, xp.exp(ax) * asym)


def i0e(x):
    if _cpu_kernel(x) is not None:
        return cephes_i(_cpu_kernel(x), 0, True)
    with quiet:
        xp, x, ax, small, series, asym = _i_parts(x, 0)
        return xp.where(small, series * xp.exp(-ax), asym)


def i1(x):
    if _cpu_kernel(x) is not None:
        return cephes_i(_cpu_kernel(x), 1, False)
    with quiet:
        xp, x, ax, small, series, asym = _i_parts(x, 1)
        v = xp.where(small, series, xp.exp(ax) * asym)
        return xp.where(x < 0, -v, v)


def i1e(x):
    if _cpu_kernel(x) is not None:
        return cephes_i(_cpu_kernel(x), 1, True)
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


# -- PyTorch's CPU kernels for i0, i0e, i1, i1e ------------------------------------------------
# NOTE: PyTorch's CPU ``i0``/``special.i0e``/``i1``/``i1e`` are scalar loops over Cephes's
# Chebyshev expansions of exp(-x) I_n(x) on [0, 8] and of exp(-x) sqrt(x) I_n(x) on (8, inf)
# (in 32/x - 2), evaluated in the input's float type (float32 ones with shorter series for
# I1), Clenshaw's recurrence with its multiply-subtract fused (as the compiler contracts it),
# times exp(x) (the C library's expf/exp) and over sqrt(x).  Cephes's published coefficients
# (numbers, not code).
_I0_A = (-4.41534164647933937950E-18, 3.33079451882223809783E-17, -2.43127984654795469359E-16,
         1.71539128555513303061E-15, -1.16853328779934516808E-14, 7.67618549860493561688E-14,
         -4.85644678311192946090E-13, 2.95505266312963983461E-12, -1.72682629144155570723E-11,
         9.67580903537323691224E-11, -5.18979560163526290666E-10, 2.65982372468238665035E-9,
         -1.30002500998624804212E-8, 6.04699502254191894932E-8, -2.67079385394061173391E-7,
         1.11738753912010371815E-6, -4.41673835845875056359E-6, 1.64484480707288970893E-5,
         -5.75419501008210370398E-5, 1.88502885095841655729E-4, -5.76375574538582365885E-4,
         1.63947561694133579842E-3, -4.32430999505057594430E-3, 1.05464603945949983183E-2,
         -2.37374148058994688156E-2, 4.93052842396707084878E-2, -9.49010970480476444210E-2,
         1.71620901522208775349E-1, -3.04682672343198398683E-1, 6.76795274409476084995E-1)
_I0_B = (-7.23318048787475395456E-18, -4.83050448594418207126E-18, 4.46562142029675999901E-17,
         3.46122286769746109310E-17, -2.82762398051658348494E-16, -3.42548561967721913462E-16,
         1.77256013305652638360E-15, 3.81168066935262242075E-15, -9.55484669882830764870E-15,
         -4.15056934728722208663E-14, 1.54008621752140982691E-14, 3.85277838274214270114E-13,
         7.18012445138366623367E-13, -1.79417853150680611778E-12, -1.32158118404477131188E-11,
         -3.14991652796324136454E-11, 1.18891471078464383424E-11, 4.94060238822496958910E-10,
         3.39623202570838634515E-9, 2.26666899049817806459E-8, 2.04891858946906374183E-7,
         2.89137052083475648297E-6, 6.88975834691682398426E-5, 3.36911647825569408990E-3,
         8.04490411014108831608E-1)
_I1_A = (2.77791411276104639959E-18, -2.11142121435816608115E-17, 1.55363195773620046921E-16,
         -1.10559694773538630805E-15, 7.60068429473540693410E-15, -5.04218550472791168711E-14,
         3.22379336594557470981E-13, -1.98397439776494371520E-12, 1.17361862988909016308E-11,
         -6.66348972350202774223E-11, 3.62559028155211703701E-10, -1.88724975172282928790E-9,
         9.38153738649577178388E-9, -4.44505912879632808065E-8, 2.00329475355213526229E-7,
         -8.56872026469545474066E-7, 3.47025130813767847674E-6, -1.32731636560394358279E-5,
         4.78156510755005422638E-5, -1.61760815825896745588E-4, 5.12285956168575772895E-4,
         -1.51357245063125314899E-3, 4.15642294431288815669E-3, -1.05640848946261981558E-2,
         2.47264490306265168283E-2, -5.29459812080949914269E-2, 1.02643658689847095384E-1,
         -1.76416518357834055153E-1, 2.52587186443633654823E-1)
_I1_B = (7.51729631084210481353E-18, 4.41434832307170791151E-18, -4.65030536848935832153E-17,
         -3.20952592199342395980E-17, 2.96262899764595013876E-16, 3.30820231092092828324E-16,
         -1.88035477551078244854E-15, -3.81440307243700780478E-15, 1.04202769841288027642E-14,
         4.27244001671195135429E-14, -2.10154184277266431302E-14, -4.08355111109219731823E-13,
         -7.19855177624590851209E-13, 2.03562854414708950722E-12, 1.41258074366137813316E-11,
         3.25260358301548823856E-11, -1.89749581235054123450E-11, -5.58974346219658380687E-10,
         -3.83538038596423702205E-9, -2.63146884688951950684E-8, -2.51223623787020892529E-7,
         -3.88256480887769039346E-6, -1.10588938762623716291E-4, -9.76109749136146840777E-3,
         7.78576235018280120474E-1)
# the float32 kernels' I1 series: the last 17 and 7 terms
_SERIES = {(0, False): (_I0_A, _I0_B), (1, False): (_I1_A, _I1_B),
           (0, True): (_I0_A, _I0_B), (1, True): (_I1_A[-17:], _I1_B[-7:])}


def _chbevl(y, coefs, fma):
    t = y.dtype.type
    b0 = np.full_like(y, t(coefs[0]))
    b1 = b2 = np.zeros_like(y)
    for c in coefs[1:]:
        b2, b1 = b1, b0
        b0 = fma(y, b1, -b2) + t(c)
    return t(0.5) * (b0 - b2)


def cephes_i(x, nu, scaled):
    """PyTorch's CPU ``i0`` (``nu`` 0) / ``i1`` (1), ``exp(-|x|)``-scaled if ``scaled``, of a
    float32 or float64 array, in that type."""
    from .._random import _fma32, _fma64
    from . import _sleef

    f32 = x.dtype == np.float32
    t = x.dtype.type
    fma = _fma32 if f32 else _fma64
    a_coefs, b_coefs = _SERIES[(nu, bool(f32))]
    with np.errstate(all="ignore"):
        ax = np.abs(x)
        low = ax <= t(8)
        a = _chbevl(np.where(low, ax, t(0)) / t(2) - t(2), a_coefs, fma)
        b = _chbevl(t(32) / np.where(low, t(16), ax) - t(2), b_coefs, fma)
        root = np.sqrt(ax)
        if scaled:
            out = np.where(low, a * ax if nu else a, b / root)
        else:
            if f32:
                e = _sleef.c_exp(ax)
            else:
                e = np.fromiter(map(_exp_c, ax.ravel().tolist()), np.float64,
                                count=ax.size).reshape(ax.shape)
            out = np.where(low, (e * ax) * a if nu else e * a, (e * b) / root)
        if nu:
            out = np.where(x < 0, -out, out)
        return out.astype(x.dtype, copy=False)


def _exp_c(v):
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def modified_i1(x):
    """PyTorch's CPU ``special.modified_bessel_i1`` (``modified_bessel_i1_forward``): the I1
    series of :func:`cephes_i` with all terms for float32 as well, in the order
    ``0.5 (a - p) |x| exp|x|`` below 8, ``exp|x| 0.5 (b - p) / sqrt|x|`` above."""
    from .._random import _fma32, _fma64
    from . import _sleef

    x = _cpu_kernel(x)
    if x is None:
        return None
    f32 = x.dtype == np.float32
    t = x.dtype.type
    fma = _fma32 if f32 else _fma64
    with np.errstate(all="ignore"):
        ax = np.abs(x)
        low = ax <= t(8)
        a = _chbevl(np.where(low, ax, t(0)) / t(2) - t(2), _I1_A, fma)
        b = _chbevl(t(32) / np.where(low, t(16), ax) - t(2), _I1_B, fma)
        if f32:
            e = _sleef.c_exp(ax)
        else:
            e = np.fromiter(map(_exp_c, ax.ravel().tolist()), np.float64,
                            count=ax.size).reshape(ax.shape)
        out = np.where(low, (a * ax) * e, (e * b) / np.sqrt(ax))
        return np.where(x < 0, -out, out).astype(x.dtype, copy=False)


_K0_A = (1.37446543561352307156e-16, 4.25981614279661018399e-14, 1.03496952576338420167e-11,
         1.90451637722020886025e-09, 2.53479107902614945675e-07, 2.28621210311945178607e-05,
         1.26461541144692592338e-03, 3.59799365153615016266e-02, 3.44289899924628486886e-01,
         -5.35327393233902768720e-01)
_K0_B = (5.30043377268626276149e-18, -1.64758043015242134646e-17, 5.21039150503902756861e-17,
         -1.67823109680541210385e-16, 5.51205597852431940784e-16, -1.84859337734377901440e-15,
         6.34007647740507060557e-15, -2.22751332699166985548e-14, 8.03289077536357521100e-14,
         -2.98009692317273043925e-13, 1.14034058820847496303e-12, -4.51459788337394416547e-12,
         1.85594911495471785253e-11, -7.95748924447710747776e-11, 3.57739728140030116597e-10,
         -1.69753450938905987466e-09, 8.57403401741422608519e-09, -4.66048989768794782956e-08,
         2.76681363944501510342e-07, -1.83175552271911948767e-06, 1.39498137188764993662e-05,
         -1.28495495816278026384e-04, 1.56988388573005337491e-03, -3.14481013119645005427e-02,
         2.44030308206595545468e+00)
_K1_A = (-7.02386347938628759343e-18, -2.42744985051936593393e-15, -6.66690169419932900609e-13,
         -1.41148839263352776110e-10, -2.21338763073472585583e-08, -2.43340614156596823496e-06,
         -1.73028895751305206302e-04, -6.97572385963986435018e-03, -1.22611180822657148235e-01,
         -3.53155960776544875667e-01, 1.52530022733894777053e+00)
_K1_B = (-5.75674448366501715755e-18, 1.79405087314755922667e-17, -5.68946255844285935196e-17,
         1.83809354436663880070e-16, -6.05704724837331885336e-16, 2.03870316562433424052e-15,
         -7.01983709041831346144e-15, 2.47715442448130437068e-14, -8.97670518232499435011e-14,
         3.34841966607842919884e-13, -1.28917396095102890680e-12, 5.13963967348173025100e-12,
         -2.12996783842756842877e-11, 9.21831518760500529508e-11, -4.19035475934189648750e-10,
         2.01504975519703286596e-09, -1.03457624656780970260e-08, 5.74108412545004946722e-08,
         -3.50196060308781257119e-07, 2.40648494783721712015e-06, -1.93619797416608296024e-05,
         1.95215518471351631108e-04, -2.85781685962277938680e-03, 1.03923736576817238437e-01,
         2.72062619048444266945e+00)


def modified_k(x, nu, scaled):
    """PyTorch's CPU ``special.modified_bessel_k0``/``k1`` (``scaled``: times exp(x)): Cephes's
    Chebyshev series in ``x*x - 2`` up to 2 (with ``log(x/2)`` times I0 or I1), in ``8/x - 2``
    beyond, in the input's type (the float32 K0's small-x sum in double: its ``0.5 * x`` is a
    double product there), the C library's ``log``/``exp``; multiply-adds fused as the compiler
    contracts them."""
    from .._random import _fma32, _fma64
    from . import _libm, _sleef

    x = _cpu_kernel(x)
    if x is None:
        return None
    f32 = x.dtype == np.float32
    t = x.dtype.type
    fma = _fma32 if f32 else _fma64
    with np.errstate(all="ignore"):
        low = x <= t(2)
        xl = np.where(low, x, t(1))
        a = _chbevl(fma(xl, xl, t(-2)), _K1_A if nu else _K0_A, fma)
        b = _chbevl(t(8) / np.where(low, t(4), x) - t(2), _K1_B if nu else _K0_B, fma)
        lg = _libm.logf(t(0.5) * xl) if f32 else _libm.log64(t(0.5) * xl)
        i = cephes_i(xl, 0, False) if nu == 0 else modified_i1(xl)
        if nu == 0 and f32 and not scaled:
            small = (a.astype(np.float64) - _libm.log64(0.5 * xl.astype(np.float64)) *
                     i.astype(np.float64)).astype(np.float32)
        elif nu == 0:
            small = fma(-lg, i, a)
        else:
            small = fma(lg, i, a / xl)
        if f32:
            ex = _sleef.c_exp(np.where(low, xl, -x))
        else:
            ex = np.exp(np.where(low, xl, -x))
            ok = np.isfinite(ex)
            ex = np.where(ok, _libm.c_double(math.exp, np.where(low, xl, -x), ok), ex)
        big = b / np.sqrt(x) if scaled else (ex * b) / np.sqrt(x)
        small = small * ex if scaled else small
        out = np.where(low, small, big)
        out = np.where(x == 0, np.inf, np.where(x < 0, np.nan, out))
        return out.astype(x.dtype, copy=False)
