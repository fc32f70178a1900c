"""PyTorch's CPU samplers for Gamma, Dirichlet, Poisson and Binomial, draw for draw.

PyTorch's CPU kernels (``_s_gamma_cpu``, ``_s_dirichlet_cpu``, ``_s_poisson_cpu``,
``_s_binomial_cpu``) walk the elements in order; each element runs its own rejection loop,
taking doubles from the generator one at a time: ``uniform_real_distribution<double>`` (53
bits of one 64-bit draw) and ``normal_distribution<double>`` (Box-Muller on two uniforms,
keeping the second value for the next call).  :class:`Draws` hands out the same doubles,
read from the generator in blocks and the generator then set just past the last one used.

The algorithms are those PyTorch uses: Marsaglia and Tsang's squeeze method for Gamma (with
the ``alpha < 1`` boost), Knuth's product of uniforms below rate 10 and Hormann's PTRS from
10 up for Poisson, inversion by geometric jumps or Hormann's BTRS for Binomial.  For float32
tensors the parameters stay float32 where PyTorch's template keeps them in ``scalar_t``
(``alpha + 1``, ``count * prob``, ...); the rest is double, as there.  ``std::lgamma`` and
``log1pf`` come from the C library when it can be loaded (Python's own ``lgamma`` differs in
the last bits).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math

import numpy as np

_F32 = np.float32
_THIRD_F = float(_F32(1) / _F32(3))  # the float literal 1.0f / 3.0f
_SQUEEZE_F = float(_F32(0.0331))  # 0.0331f


def _libm():
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        lib.lgamma.restype, lib.lgamma.argtypes = ctypes.c_double, [ctypes.c_double]
        lib.log1pf.restype, lib.log1pf.argtypes = ctypes.c_float, [ctypes.c_float]
        return lib
    except (OSError, AttributeError):
        return None


_LIBM = _libm()
_lgamma = _LIBM.lgamma if _LIBM is not None else math.lgamma
_log1pf = _LIBM.log1pf if _LIBM is not None else (lambda x: float(_F32(math.log1p(x))))


class Draws:
    """The generator's scalar double uniforms and normals, in PyTorch's order of use."""

    def __init__(self, gen):
        self.gen = gen
        self._start = gen.get_state()
        self._cached = gen._next_double
        self._block: list = []
        self._pos = 0
        self._used = 0

    def uniform(self) -> float:
        if self._pos == len(self._block):
            self._block = self.gen._uniform01(max(64, 2 * len(self._block)), 53).tolist()
            self._pos = 0
        u = self._block[self._pos]
        self._pos += 1
        self._used += 1
        return u

    def normal(self) -> float:
        if self._cached is not None:
            value, self._cached = self._cached, None
            return value
        u1 = self.uniform()
        u2 = self.uniform()
        radius = math.sqrt(-2.0 * math.log1p(-u2))
        theta = (2.0 * math.pi) * u1
        self._cached = radius * math.sin(theta)
        return radius * math.cos(theta)

    def finish(self):
        """Leave the generator just after the last double used."""
        self.gen.set_state(self._start)
        if self._used:
            self.gen._uniform01(self._used, 53)
        self.gen._next_double = self._cached


# ---- Gamma -----------------------------------------------------------------------------------

def sample_gamma(alpha: float, draws: Draws, f32: bool) -> float:
    """One Gamma(alpha, 1) draw as ``sample_gamma<scalar_t, double>`` (``f32``: scalar_t is
    float).  Returns the double before the final cast to ``scalar_t``."""
    if alpha != alpha:
        return alpha  # (PyTorch's loop never ends on NaN; the distributions reject it first)
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        inv = float(_F32(1) / _F32(alpha)) if f32 else 1.0 / alpha
        scale *= math.pow(1.0 - draws.uniform(), inv)
        alpha = float(_F32(alpha) + _F32(1)) if f32 else alpha + 1.0
    d = float(_F32(alpha) - _F32(_THIRD_F)) if f32 else alpha - _THIRD_F
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = draws.normal()
            y = 1.0 + c * x
            if not y <= 0:
                break
        v = y * y * y
        u = 1.0 - draws.uniform()
        xx = x * x
        if u < 1.0 - _SQUEEZE_F * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def standard_gamma(alpha: np.ndarray, gen) -> np.ndarray:
    """``torch._standard_gamma`` on the CPU: float32 or float64 ``alpha``, same dtype out,
    each value at least the dtype's smallest normal number.  Also returns the draws in
    double, before that rounding (for the gradient)."""
    f32 = alpha.dtype == np.float32
    flat = np.ascontiguousarray(alpha).reshape(-1).tolist()
    draws = Draws(gen)
    try:
        raw = np.array([sample_gamma(a, draws, f32) for a in flat], np.float64)
    finally:
        draws.finish()
    out = raw.astype(alpha.dtype)
    return np.maximum(out, np.finfo(alpha.dtype).tiny).reshape(alpha.shape), \
        raw.reshape(alpha.shape)


def sample_dirichlet(alpha: np.ndarray, gen) -> np.ndarray:
    """``torch._sample_dirichlet`` on the CPU: Gamma draws in double (at least the smallest
    normal double), divided by their sum along the last dimension, then clamped into
    ``[smallest normal, 1 - ulp]`` of ``alpha``'s dtype.  Also returns the Gamma draws."""
    from .. import from_numpy
    flat = np.ascontiguousarray(alpha, dtype=np.float64).reshape(-1).tolist()
    draws = Draws(gen)
    try:
        gammas = np.array([sample_gamma(a, draws, False) for a in flat], np.float64)
    finally:
        draws.finish()
    gammas = np.maximum(gammas, np.finfo(np.float64).tiny).reshape(alpha.shape)
    # the sum in PyTorch's order (ember's float64 sum follows its cascade)
    total = from_numpy(gammas).sum(-1, keepdim=True).numpy() if gammas.ndim else gammas
    dt = alpha.dtype.type
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (gammas / total).astype(alpha.dtype)
    return np.clip(ratio, np.finfo(alpha.dtype).tiny, np.nextafter(dt(1), dt(0))), gammas


# ---- Poisson ---------------------------------------------------------------------------------

def sample_poisson(lam: float, draws: Draws) -> float:
    """``sample_poisson(double lambda)``."""
    if not lam >= 0:
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    if lam >= 10:
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = draws.uniform() - 0.5
            v = draws.uniform()
            us = 0.5 - abs(u)
            k = (2 * a / us + b) * u + lam + 0.43
            # (C's cast to int64_t: beyond its range, or NaN, the x86 "indefinite" -2**63)
            k = math.floor(k) if -2.0 ** 63 <= k < 2.0 ** 63 else -2 ** 63
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)) <= \
                    (-lam + k * loglam - _lgamma(float(k) + 1)):
                return k
    if lam == 0:
        return 0
    count, prod, limit = 0, 1.0, math.exp(-lam)
    while True:
        prod *= draws.uniform()
        if prod > limit:
            count += 1
        else:
            return count


def poisson(rates: np.ndarray, gen) -> np.ndarray:
    draws = Draws(gen)
    try:
        out = [sample_poisson(r, draws) for r in np.ascontiguousarray(rates).reshape(-1).tolist()]
    finally:
        draws.finish()
    return np.array(out, np.float64).astype(rates.dtype).reshape(rates.shape)


# ---- Binomial --------------------------------------------------------------------------------

_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k: float) -> float:
    """log(k!) minus its Stirling approximation, tabulated below 10."""
    if k < 10:
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _binomial_inversion(count, prob, draws, S):
    logprob = _log1pf(-prob) if S is _F32 else math.log1p(-prob)
    geom_sum, num_geom = 0.0, S(0)
    while True:
        geom_sum += math.ceil(math.log(draws.uniform()) / logprob)
        if geom_sum > count:
            return num_geom
        num_geom = S(num_geom + S(1))


def _btrs(count, prob, draws, S):
    """Hormann's transformed rejection; ``S`` is scalar_t (``count``/``prob`` are S values)."""
    one = S(1)
    stddev = float(np.sqrt(S(count * prob) * S(one - prob)))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * float(prob)
    c = float(S(count * prob)) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(S(prob / S(one - prob)))
    alpha = (2.83 + 5.1 / b) * stddev
    m = float(np.floor(S(S(count + one) * prob)))
    n = float(count)
    while True:
        u = draws.uniform() - 0.5
        v = draws.uniform()
        us = 0.5 - abs(u)
        k = S(math.floor((2 * a / us + b) * u + c))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        n_k1 = float(S(S(count - k) + one))  # (count - k + 1) in scalar_t
        upper = ((m + 0.5) * math.log((m + 1) / (r * (n - m + 1)))
                 + float(S(count + one)) * math.log((n - m + 1) / n_k1)
                 + (float(k) + 0.5) * math.log(r * n_k1 / float(S(k + one)))
                 + _stirling_tail(m) + _stirling_tail(n - m)
                 - _stirling_tail(float(k)) - _stirling_tail(float(S(count - k))))
        if v <= upper:
            return k


def sample_binomial(count, prob, draws, S):
    """``sample_binomial<scalar_t, double>``; ``S`` is scalar_t (np.float32 or float)."""
    count, prob = S(count), S(prob)
    if count <= 0.0 or prob <= 0.0:
        return S(0)
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        if S(count * prob) >= 10.0:
            return _btrs(count, prob, draws, S)
        return _binomial_inversion(count, prob, draws, S)
    if prob > 0.5:
        q = S(1.0 - float(prob))
        if S(count * q) >= 10.0:
            return S(count - _btrs(count, q, draws, S))
        return S(count - _binomial_inversion(count, q, draws, S))
    return S(float("nan"))


def binomial(count: np.ndarray, prob: np.ndarray, gen) -> np.ndarray:
    S = _F32 if count.dtype == np.float32 else float
    pairs = zip(np.ascontiguousarray(count).reshape(-1).tolist(),
                np.ascontiguousarray(prob).reshape(-1).tolist())
    draws = Draws(gen)
    try:
        out = [float(sample_binomial(n, p, draws, S)) for n, p in pairs]
    finally:
        draws.finish()
    return np.array(out, np.float64).astype(count.dtype).reshape(count.shape)


# ---- Dirichlet's reparameterisation gradient -------------------------------------------------
# PyTorch differentiates a Dirichlet draw through each coordinate's Beta marginal
# (``_dirichlet_grad``): ``-(d/d alpha) cdf(x; alpha, total - alpha) / pdf / (1 - x)``, from
# series, a saddle-point expansion or a rational fit depending on the region.  Computed here
# in double for every dtype (PyTorch keeps some float32 steps in float32).

_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
              -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
              8.33333333333333333333E-2)


def _digamma(x: float) -> float:
    """``digamma_one``: the recurrence up to 10, then the asymptotic series."""
    if x == 0:
        return math.inf
    extra = 0.0
    if x < 0:
        if x == math.floor(x):
            return math.inf
        extra = -math.pi / math.tan(math.pi * x)
        x = 1 - x
    result = 0.0
    while x < 10:
        result -= 1 / x
        x += 1
    if x == 10:
        return result + _PSI_10 + extra
    y = 0.0
    if x < 1.0e17:
        z = 1.0 / (x * x)
        poly = 0.0
        for coef in _DIGAMMA_A:
            poly = poly * z + coef
        y = z * poly
    return result + math.log(x) - (0.5 / x) - y + extra


def _beta_grad_alpha_small(x, alpha, beta):
    factor = _digamma(alpha) - _digamma(alpha + beta) - math.log(x)
    numer = 1.0
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer *= (i - beta) * x / i
        denom = alpha + i
        series += numer / denom * (factor + 1 / denom)
    result = x * math.pow(1 - x, -beta) * series
    return 0.0 if result != result else result


def _beta_grad_beta_small(x, alpha, beta):
    factor = _digamma(alpha + beta) - _digamma(beta)
    numer, betas, dbetas, series = 1.0, 1.0, 0.0, factor / alpha
    for i in range(1, 9):
        numer *= -x / i
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series += numer / (alpha + i) * (dbetas + factor * betas)
    result = -math.pow(1 - x, 1 - beta) * series
    return 0.0 if result != result else result


def _beta_grad_alpha_mid(x, alpha, beta):
    total = alpha + beta
    mean = alpha / total
    std = math.sqrt(alpha * beta / (total + 1)) / total
    if mean - 0.1 * std <= x <= mean + 0.1 * std:
        poly = 47 * x * (beta * beta) * (beta * beta) + alpha * (
            (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta + alpha * (
                3 * (59 + 180 * beta - 90 * x) * (beta * beta) + alpha * (
                    (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (
                        8 * (1 - x) * (135 * beta - 11)))))
        prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
        prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
        return prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / math.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha))
                * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    term1_den = math.sqrt(2 * alpha / beta) * math.pow(total, 1.5) * axbx * axbx
    term1 = term1_num / term1_den
    term2 = 0.5 * math.log(alpha / (total * x))
    term3 = math.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    term4 = math.pow(beta * math.log(beta / (total * (1 - x)))
                     + alpha * math.log(alpha / (total * x)), -1.5)
    term1234 = term1 + term2 * (term3 + (term4 if x < mean else -term4))
    return stirling * prefactor * term1234


_DIRICHLET_C = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))))


def dirichlet_grad_one(x: float, alpha: float, total: float) -> float:
    beta = total - alpha
    boundary = total * x * (1 - x)
    if x <= 0.5 and boundary < 2.5:
        return _beta_grad_alpha_small(x, alpha, beta)
    if x >= 0.5 and boundary < 0.75:
        return -_beta_grad_beta_small(1 - x, beta, alpha)
    if alpha > 6 and beta > 6:
        return _beta_grad_alpha_mid(x, alpha, beta)
    u = math.log(x)
    a = math.log(alpha) - u
    b = math.log(total) - a
    pow_u, pow_a = (1.0, u, u * u), (1.0, a, a * a)
    p = q = 0.0
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] * pow_a[j]
            cp, cq = _DIRICHLET_C[0][i][j], _DIRICHLET_C[1][i][j]
            p += ua * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q += ua * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    approx = x * (_digamma(total) - _digamma(alpha)) / beta
    return p / q * approx


def dirichlet_grad(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``torch._dirichlet_grad(x, alpha, alpha.sum(-1, keepdim=True))`` in double."""
    total = np.broadcast_to(alpha.sum(-1, keepdims=True), alpha.shape)
    out = [dirichlet_grad_one(*v) for v in zip(x.reshape(-1).tolist(), alpha.reshape(-1).tolist(),
                                                total.reshape(-1).tolist())]
    return np.array(out, np.float64).reshape(x.shape)


# -- the gamma draw's reparameterisation gradient ---------------------------------------
#
# PyTorch's backward of ``_standard_gamma`` does not compute the implicit gradient exactly:
# ``_standard_gamma_grad`` picks one of three approximations by region (a six-term Taylor
# series of the lower incomplete gamma function below x = 0.8, a saddle point expansion for
# alpha > 8, and a fitted bivariate rational function of log(x / alpha) and log(alpha)
# otherwise), working in double.  They agree with the exact gradient to about 1e-4, so
# ember evaluates the same formulas to give PyTorch's numbers.

_F08, _F09, _F11 = float(_F32(0.8)), float(_F32(0.9)), float(_F32(1.1))  # float literals

# rows: the constant, linear and quadratic term in u = log(x / alpha); columns: the cubic
# in v = log(alpha) of the numerator (first four) and of the denominator (last four)
_GAMMA_GRAD_UV = (
    (0.16009398, -0.094634809, 0.025146376, -0.0030648343,
     1, 0.32668115, 0.10406089, 0.0014179084),
    (0.53487893, 0.1298071, 0.065735949, -0.0015649758,
     0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
    (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
     0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07))


def _gamma_grad_one(a, x, m=math):
    if x < _F08:  # the Taylor series
        numer, denom = 1.0, a
        s1, s2 = numer / denom, numer / (denom * denom)
        for i in range(1, 6):
            numer *= -x / i
            denom += 1
            s1 += numer / denom
            s2 += numer / (denom * denom)
        xa = m.pow(x, a)
        pdf = m.pow(x, a - 1) * m.exp(-x)
        res = -((m.log(x) - _digamma(a)) * (xa * s1) - xa * s2) / pdf
        return 0.0 if res != res else res
    if a > 8.0:  # the saddle point expansion
        if _F09 * a <= x <= _F11 * a:
            n1 = 1 + 24 * a * (1 + 12 * a)
            n2 = 1440 * (a * a) + 6 * x * (53 - 120 * x) - 65 * x * x / a + a * (107 + 3600 * x)
            return n1 * n2 / (1244160 * (a * a) * (a * a))
        den = m.sqrt(8 * a)
        t2 = den / (a - x)
        t3 = m.pow(x - a - a * m.log(x / a), -1.5)
        t1 = (m.log(x / a) * (t2 - t3 if x < a else t2 + t3)
              - m.sqrt(2 / a) * (a + x) / ((a - x) * (a - x)))
        stirling = 1 + 1 / (12 * a) * (1 + 1 / (24 * a))
        return -stirling * (x * t1) / den
    u, v = m.log(x / a), m.log(a)  # the rational function
    c = [r0 + u * (r1 + u * r2) for r0, r1, r2 in zip(*_GAMMA_GRAD_UV)]
    p = c[0] + v * (c[1] + v * (c[2] + v * c[3]))
    q = c[4] + v * (c[5] + v * (c[6] + v * c[7]))
    return m.exp(p / q)


class _IEEE:
    """NumPy's scalar functions under the names ``math`` uses: inf and NaN, no raising."""
    pow, exp, log, sqrt = np.power, np.exp, np.log, np.sqrt


def _safe_grad_one(a: float, x: float) -> float:
    try:
        return _gamma_grad_one(a, x)  # the C library's functions, as PyTorch's kernel
    except (ValueError, ZeroDivisionError, OverflowError):  # an edge: C gives inf or NaN
        with np.errstate(all="ignore"):
            return float(_gamma_grad_one(np.float64(a), np.float64(x), _IEEE))


def standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``torch._standard_gamma_grad(alpha, x)``: ``dx / dalpha`` for Gamma(alpha, 1) draws
    ``x``, in ``alpha``'s dtype (float32 inputs are widened to double, as there)."""
    alpha, x = np.broadcast_arrays(alpha, x)
    out = [_safe_grad_one(a, v) for a, v in zip(alpha.astype(np.float64).reshape(-1).tolist(),
                                                 x.astype(np.float64).reshape(-1).tolist())]
    return np.array(out, np.float64).reshape(alpha.shape).astype(alpha.dtype)
