"""Gamma, Dirichlet, Poisson and Binomial sampling, and the gamma family's gradients.

On the CPU (float32 and float64) the draws are PyTorch's own, its kernels replayed in
``_aten``.  Elsewhere (a GPU, half types) ember uses the vectorised textbook samplers
below: the same distributions, not PyTorch's numbers.

- Gamma: Marsaglia and Tsang's squeeze method (2000) for ``alpha >= 1``; for ``alpha < 1``
  a Gamma(alpha + 1) draw times ``U ** (1 / alpha)``.  Kept in log space so that tiny
  concentrations underflow only at the very end.
- Its reparameterisation gradient: on the CPU PyTorch's ``_standard_gamma_grad``
  approximation (``_aten.standard_gamma_grad``), elsewhere the implicit one (Figurnov et
  al. 2018):
  ``dx/dalpha = -(dP(alpha, x)/dalpha) / p(x; alpha)`` with ``P`` the regularised lower
  incomplete gamma function, computed from its power series (``x < alpha + 1``) or its
  continued fraction (otherwise).
- Poisson: multiplying uniforms (Knuth) below rate 10, Hormann's PTRS (transformed
  rejection with squeeze, 1993) from 10 up.
- Binomial: inversion by sequential search when ``n * min(p, 1 - p) < 10``, Hormann's
  BTRS otherwise.

Everything runs in float64 NumPy on the host and is vectorised over all draws, looping
only over rejection rounds.  The module also holds ``gammainc`` (``Gamma.cdf``, with
gradients for both arguments) and the Cauchy noise, which does follow PyTorch's stream.
"""
from __future__ import annotations

import numpy as np

import ember
from ember._ops.creation import _gen

from . import _aten
from .._ops._special_more import lower_series, upper_fraction


def _uniform(n):
    return _gen(None).uniform(n, np.float64)


def _normal(n):
    return _gen(None).normal(n, np.float64)


def _lgamma(x):
    return ember.lgamma(ember.from_numpy(np.ascontiguousarray(x, dtype=np.float64))).numpy()


def _digamma(x):
    return ember.digamma(ember.from_numpy(np.ascontiguousarray(x, dtype=np.float64))).numpy()


def host(t):
    """A tensor's values as a float64 NumPy array on the host."""
    return np.array(t.detach().numpy(force=True), dtype=np.float64)


def to_tensor(arr, like):
    """``arr`` as a tensor with ``like``'s dtype and device."""
    dt = like.dtype.np if like.dtype is not ember.bfloat16 else np.float32
    t = ember.from_numpy(np.asarray(arr, order="C").astype(dt))  # (a 0-d array stays 0-d)
    return t.to(dtype=like.dtype, device=like.device)


# -- gamma ---------------------------------------------------------------------------

def log_standard_gamma(alpha):
    """``log`` of one Gamma(alpha, 1) draw per element of the float64 array ``alpha``."""
    alpha = np.asarray(alpha, dtype=np.float64)
    flat = alpha.reshape(-1)
    bad = ~(flat > 0) | ~np.isfinite(flat)  # NaN, inf or <= 0: no rejection loop for these
    flat = np.where(bad, 1.0, flat)
    boosted = flat < 1
    a = np.where(boosted, flat + 1.0, flat)
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    out = np.empty_like(a)
    todo = np.arange(a.size)
    while todo.size:
        z = _normal(todo.size)
        u = _uniform(todo.size)
        v = 1.0 + c[todo] * z
        ok = v > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            logv = 3.0 * np.log(np.where(ok, v, 1.0))
            dd = d[todo]
            ok &= np.log(u) < 0.5 * z * z + dd - dd * np.exp(logv) + dd * logv
        out[todo[ok]] = np.log(dd[ok]) + logv[ok]
        todo = todo[~ok]
    if boosted.any():
        idx = np.nonzero(boosted)[0]
        u = 1.0 - _uniform(idx.size)  # in (0, 1]
        out[idx] += np.log(u) / flat[idx]
    raw = alpha.reshape(-1)
    out[bad] = np.where(raw[bad] == 0, -np.inf, np.nan)
    return out.reshape(alpha.shape)


def _lower_series(a, x):
    return lower_series(np, a, x)


def _upper_fraction(a, x):
    return upper_fraction(np, a, x)


def dlog_gamma_dalpha(alpha, logx):
    """``d log x / d alpha`` for a Gamma(alpha, 1) draw ``x = exp(logx)`` (the implicit
    reparameterisation gradient divided by ``x``)."""
    a = np.asarray(alpha, dtype=np.float64).reshape(-1)
    lx = np.asarray(logx, dtype=np.float64).reshape(-1)
    x = np.exp(lx)
    out = np.empty_like(a)
    lower = x < a + 1.0
    if lower.any():
        al, xl, ll = a[lower], x[lower], lx[lower]
        s, ds = _lower_series(al, xl)
        # dP/da / (p(x) x) with p(x) x = x**a e**-x / Gamma(a): the prefactors cancel to 1/a
        out[lower] = -(s * (ll - _digamma(al + 1.0)) + ds) / al
    if (~lower).any():
        au, xu, lu = a[~lower], x[~lower], lx[~lower]
        step = 1e-6
        h = _upper_fraction(au, xu)
        dlogh = (np.log(_upper_fraction(au + step, xu))
                 - np.log(_upper_fraction(au - step, xu))) / (2 * step)
        out[~lower] = h * (lu - _digamma(au) + dlogh)
    return out.reshape(np.shape(alpha))


class _StandardGamma(ember.autograd.Function):
    """Gamma(alpha, 1) draws with their reparameterisation gradient (PyTorch's approximation
    on the CPU, the implicit gradient elsewhere)."""

    @staticmethod
    def forward(ctx, alpha, generator=None):
        a = host(alpha)
        if _exact(alpha):
            values, raw = _aten.standard_gamma(alpha.detach().numpy(), _gen(generator))
            x = ember.from_numpy(values)
            with np.errstate(divide="ignore"):
                logx = np.log(raw)
        else:
            logx = log_standard_gamma(a)
            x = to_tensor(np.exp(logx), alpha).clamp(min=ember.finfo(alpha.dtype).tiny)
        ctx.alpha, ctx.logx = a, logx
        ctx.pytorch = _exact(alpha)
        if ctx.pytorch:  # the concentrations in their own dtype (copied), for PyTorch's rule
            ctx.alpha = np.array(alpha.detach().numpy())
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        if ctx.pytorch:
            # PyTorch's approximation of the implicit gradient, in the draw's dtype
            dx = _aten.standard_gamma_grad(ctx.alpha, x.detach().numpy())
            return grad * ember.from_numpy(dx), None
        dlog = to_tensor(dlog_gamma_dalpha(ctx.alpha, ctx.logx), x)
        return grad * x * dlog, None


class _Dirichlet(ember.autograd.Function):
    """Dirichlet draws (normalised gamma draws) with the matching reparameterisation
    gradient, computed from the gamma draws' log-space values."""

    @staticmethod
    def forward(ctx, concentration, generator=None):
        a = host(concentration)
        if _exact(concentration):
            values, gammas = _aten.sample_dirichlet(concentration.detach().numpy(),
                                                    _gen(generator))
            out = ember.from_numpy(values)
            logg = np.log(gammas)
            x = gammas / gammas.sum(-1, keepdims=True)
        else:
            logg = log_standard_gamma(a)
            m = logg.max(-1, keepdims=True)
            m = np.where(np.isfinite(m), m, 0.0)
            w = np.exp(logg - m)
            x = w / w.sum(-1, keepdims=True)
            out = to_tensor(x, concentration)
        ctx.alpha, ctx.logg, ctx.x = a, logg, x
        ctx.pytorch = _exact(concentration)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        if ctx.pytorch:
            # PyTorch's estimator (through each coordinate's Beta marginal), sample for sample;
            # the estimator is computed in double and rounded, the rest in the draw's dtype
            x = ctx.saved_tensors[0].detach().numpy()
            g = grad.detach().numpy(force=True).astype(x.dtype, copy=False)
            est = _aten.dirichlet_grad(x.astype(np.float64), ctx.alpha).astype(x.dtype)
            return ember.from_numpy(est * (g - (x * g).sum(-1, keepdims=True))), None
        g = host(grad)
        x = ctx.x
        dlog = dlog_gamma_dalpha(ctx.alpha, ctx.logg)
        # x = softmax(log g): dx_j / dlog g_i = x_j (delta_ij - x_i)
        res = dlog * x * (g - (g * x).sum(-1, keepdims=True))
        return to_tensor(res, grad), None


def _exact(t) -> bool:
    """PyTorch's own samplers are replayed for float32/float64 tensors on the CPU."""
    return t.device.type == "cpu" and t.dtype in (ember.float32, ember.float64)


def standard_gamma(alpha, generator=None):
    """``torch._standard_gamma``: one Gamma(alpha, 1) draw per element."""
    ember._sampler_dtype(alpha, "gamma_cpu")
    return _StandardGamma.apply(alpha, generator)


def dirichlet(concentration, generator=None):
    """``torch._sample_dirichlet`` (with a reparameterisation gradient)."""
    ember._sampler_dtype(concentration, "dirichlet")
    return _Dirichlet.apply(concentration, generator)


# -- Poisson --------------------------------------------------------------------------

def poisson_tensor(rate, generator=None):
    """``torch.poisson(rate)``: PyTorch's counts on the CPU (same dtype as ``rate``)."""
    if rate.device.type in ("cpu", "cuda") and rate.dtype.is_floating_point:
        # (every rate is a double; on a GPU the counts are drawn on the host from the CPU
        # stream, as ember's other random ops on a GPU are, and copied over)
        out = ember.from_numpy(_aten.poisson(rate.detach().cpu()._data,  # (bfloat16 too)
                                             _gen(generator)))
        return out if rate.device.type == "cpu" else out.to(rate.device)
    return to_tensor(poisson(host(rate)), rate)


def binomial_tensor(count, prob, generator=None):
    """``torch.binomial(count, prob)``: PyTorch's draws on the CPU."""
    if _exact(prob) and count.dtype is prob.dtype:
        return ember.from_numpy(_aten.binomial(count.detach().numpy(), prob.detach().numpy(),
                                               _gen(generator)))
    return to_tensor(binomial(host(count), host(prob)), prob)


def poisson(rate):
    """One Poisson(rate) count per element of the float64 array ``rate``."""
    rate = np.asarray(rate, dtype=np.float64)
    lam = rate.reshape(-1)
    out = np.zeros_like(lam)
    small = np.nonzero((lam > 0) & (lam < 10))[0]
    if small.size:
        limit = np.exp(-lam[small])
        prod = np.ones(small.size)
        count = np.zeros(small.size)
        todo = np.arange(small.size)
        while todo.size:
            prod[todo] *= _uniform(todo.size)
            more = prod[todo] > limit[todo]
            count[todo[more]] += 1
            todo = todo[more]
        out[small] = count
    big = np.nonzero(lam >= 10)[0]
    if big.size:
        out[big] = _ptrs(lam[big])
    out[np.isnan(lam)] = np.nan
    return out.reshape(rate.shape)


def _ptrs(lam):
    slam = np.sqrt(lam)
    loglam = np.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    log_invalpha = np.log(1.1239 + 1.1328 / (b - 3.4))
    vr = 0.9277 - 3.6224 / (b - 2)
    out = np.empty_like(lam)
    todo = np.arange(lam.size)
    while todo.size:
        u = _uniform(todo.size) - 0.5
        v = _uniform(todo.size)
        us = 0.5 - np.abs(u)
        at, bt, lt = a[todo], b[todo], lam[todo]
        k = np.floor((2 * at / us + bt) * u + lt + 0.43)
        quick = (us >= 0.07) & (v <= vr[todo])
        usable = (k >= 0) & ~((us < 0.013) & (v > us))
        with np.errstate(divide="ignore"):
            lhs = np.log(v) + log_invalpha[todo] - np.log(at / (us * us) + bt)
        rhs = -lt + k * loglam[todo] - _lgamma(np.maximum(k, 0) + 1)
        ok = quick | (usable & (lhs <= rhs))
        out[todo[ok]] = k[ok]
        todo = todo[~ok]
    return out


# -- binomial -------------------------------------------------------------------------

def binomial(count, prob):
    """One Binomial(count, prob) draw per element of the float64 arrays (same shape)."""
    shape = np.shape(count)
    n = np.asarray(count, dtype=np.float64).reshape(-1)
    p = np.asarray(prob, dtype=np.float64).reshape(-1)
    flip = p > 0.5
    q = np.where(flip, 1.0 - p, p)
    k = np.zeros_like(n)
    live = (n > 0) & (q > 0)
    inv = np.nonzero(live & (n * q < 10))[0]
    if inv.size:
        k[inv] = _binomial_inversion(n[inv], q[inv])
    rej = np.nonzero(live & (n * q >= 10))[0]
    if rej.size:
        k[rej] = _btrs(n[rej], q[rej])
    k = np.where(flip, n - k, k)
    k[np.isnan(n) | np.isnan(p)] = np.nan
    return k.reshape(shape)


def _binomial_inversion(n, q):
    u = _uniform(n.size)
    ratio = q / (1.0 - q)
    pmf = np.exp(n * np.log1p(-q))
    cdf = pmf.copy()
    k = np.zeros_like(n)
    todo = np.nonzero(u > cdf)[0]
    while todo.size:
        kt = k[todo] + 1
        pmf[todo] *= (n[todo] - kt + 1) / kt * ratio[todo]
        cdf[todo] += pmf[todo]
        k[todo] = kt
        # stop at the top of the support, or where rounding leaves the sum short of u
        more = (u[todo] > cdf[todo]) & (kt < n[todo]) & (pmf[todo] > 0)
        todo = todo[more]
    return k


def _btrs(n, p):
    q = 1.0 - p
    spq = np.sqrt(n * p * q)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = np.log(p / q)
    m = np.floor((n + 1) * p)
    h = _lgamma(m + 1) + _lgamma(n - m + 1)
    out = np.empty_like(n)
    todo = np.arange(n.size)
    while todo.size:
        u = _uniform(todo.size) - 0.5
        v = _uniform(todo.size)
        us = 0.5 - np.abs(u)
        at, bt, nt = a[todo], b[todo], n[todo]
        k = np.floor((2 * at / us + bt) * u + c[todo])
        inside = (k >= 0) & (k <= nt)
        quick = inside & (us >= 0.07) & (v <= vr[todo])
        kc = np.clip(k, 0, nt)
        with np.errstate(divide="ignore"):
            lhs = np.log(v * alpha[todo] / (at / (us * us) + bt))
        rhs = (h[todo] - _lgamma(kc + 1) - _lgamma(nt - kc + 1)
               + (kc - m[todo]) * lpq[todo])
        ok = quick | (inside & (lhs <= rhs))
        out[todo[ok]] = k[ok]
        todo = todo[~ok]
    return out


# -- Cauchy noise (PyTorch's stream) --------------------------------------------------

def cauchy_noise(shape, dtype, device):
    """``empty(shape).cauchy_()``: ``tan(pi * (u - 0.5))`` from one 53-bit uniform each,
    the same numbers as PyTorch for the same seed."""
    n = 1
    for s in shape:
        n *= s
    arr = _gen(None).cauchy(n, dtype.np if dtype is not ember.bfloat16 else np.float32)
    return ember.from_numpy(arr.reshape(tuple(shape))).to(dtype=dtype, device=device)



# -- the regularised lower incomplete gamma function (Gamma.cdf) ------------------------

def gammainc(a, x):
    """``P(a, x)`` for float64 arrays of one shape (NaN where ``x < 0`` or ``a <= 0``)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    out = np.full(a.shape, np.nan)
    good = (a > 0) & (x >= 0)
    out[good & (x == 0)] = 0.0
    out[good & np.isposinf(x)] = 1.0
    work = good & (x > 0) & np.isfinite(x)
    lower = work & (x < a + 1.0)
    upper = work & ~lower
    if lower.any():
        al, xl = a[lower], x[lower]
        s, _ = _lower_series(al, xl)
        out[lower] = np.exp(al * np.log(xl) - xl - _lgamma(al + 1.0)) * s
    if upper.any():
        au, xu = a[upper], x[upper]
        h = _upper_fraction(au, xu)
        out[upper] = 1.0 - np.exp(au * np.log(xu) - xu - _lgamma(au)) * h
    return out


class _GammaInc(ember.autograd.Function):
    """``P(a, x)`` with gradients for both arguments (``x``: the density; ``a``: from the
    same series and fraction as the gamma sampler's gradient)."""

    @staticmethod
    def forward(ctx, a, x):
        a_, x_ = np.broadcast_arrays(host(a), host(x))
        ctx.a, ctx.x = a_, x_
        return ember.special.gammainc(a, x)  # (PyTorch's values: its float32 ones bit for bit)

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.a.reshape(-1), ctx.x.reshape(-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            logx = np.log(x)
            dens_x = np.exp(a * logx - x - _lgamma(a))  # density times x
            dx = np.where(x > 0, dens_x / x, 0.0)
            da = np.where(x > 0, -dlog_gamma_dalpha(a, logx) * dens_x, 0.0)
        g = host(grad).reshape(-1)
        shape = ctx.a.shape
        return (to_tensor((g * da).reshape(shape), grad), to_tensor((g * dx).reshape(shape), grad))
