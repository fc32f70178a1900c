"""``kl_divergence(p, q)`` and the registry behind it.

Closed forms are registered per pair of distribution types with ``@register_kl(P, Q)``;
``kl_divergence`` picks the most specific registered pair for ``type(p), type(q)`` (by
their method resolution orders) and remembers the choice.
"""
from __future__ import annotations

import math
from ember._warnings import warn as _warn

import ember
from ember.nn.functional import softplus

from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .continuous_bernoulli import ContinuousBernoulli
from .cauchy import Cauchy
from .dirichlet import Dirichlet
from .distribution import ExponentialFamily
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .gumbel import Gumbel
from .half_normal import HalfNormal
from .independent import Independent
from .laplace import Laplace
from .lowrank_multivariate_normal import (LowRankMultivariateNormal, _lowrank_logdet,
                                          _lowrank_mahalanobis)
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .pareto import Pareto
from .poisson import Poisson
from .transformed_distribution import TransformedDistribution
from .uniform import Uniform
from .utils import _sum_rightmost, euler_constant

__all__ = ["register_kl", "kl_divergence"]

_KL_REGISTRY = {}  # (type_p, type_q) -> function
_KL_MEMOIZE = {}   # (type(p), type(q)) -> the function chosen for them


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as KL(p || q) for ``p`` of ``type_p`` and ``q`` of
    ``type_q`` (or subclasses, unless a more specific pair is registered).

    >>> @register_kl(Normal, Normal)
    ... def kl_normal_normal(p, q):
    ...     ...
    """
    for t in (type_p, type_q):
        if not isinstance(t, type):
            raise TypeError(f"Expected a Distribution subclass but got {t}")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        _KL_MEMOIZE.clear()
        return fn
    return decorator


def _dispatch(type_p, type_q):
    pairs = [(a, b) for a, b in _KL_REGISTRY if issubclass(type_p, a) and issubclass(type_q, b)]
    if not pairs:
        return NotImplemented
    mro_p, mro_q = type_p.__mro__, type_q.__mro__

    def rank(pair):
        return mro_p.index(pair[0]), mro_q.index(pair[1])

    left = min(pairs, key=rank)  # most specific in p first
    right = min(pairs, key=lambda pq: rank(pq)[::-1])  # most specific in q first
    if _KL_REGISTRY[left] is not _KL_REGISTRY[right]:
        _warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
              f"Please register_kl({left[0].__name__}, {right[1].__name__})",
              RuntimeWarning, stacklevel=3)
    return _KL_REGISTRY[left]


def kl_divergence(p, q):
    """KL(p || q) = E_p[log p(x) - log q(x)], batched over the two distributions' batch
    shapes.  Raises ``NotImplementedError`` for pairs with no registered closed form."""
    key = type(p), type(q)
    fn = _KL_MEMOIZE.get(key)
    if fn is None:
        fn = _KL_MEMOIZE[key] = _dispatch(*key)
    if fn is NotImplemented:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{p.__class__.__name__} and q type {q.__class__.__name__}")
    return fn(p, q)


def _batch_trace_XXT(m):
    """The trace of ``m @ m.mT`` for each matrix in a batch: its squared entries summed."""
    return m.reshape(tuple(m.shape[:-2]) + (-1,)).pow(2).sum(-1)


# -- same-family pairs -----------------------------------------------------------------

@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    ones = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    ones = ember.where(p.probs == 0, 0.0, ember.where(q.probs == 0, math.inf, ones))
    zeros = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    zeros = ember.where(p.probs == 1, 0.0, ember.where(q.probs == 1, math.inf, zeros))
    return ones + zeros


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    p1, p0, q1, q0 = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    sp, sq = p1 + p0, q1 + q0
    t1 = q1.lgamma() + q0.lgamma() + sp.lgamma()
    t2 = p1.lgamma() + p0.lgamma() + sq.lgamma()
    t3 = (p1 - q1) * ember.digamma(p1)
    t4 = (p0 - q0) * ember.digamma(p0)
    t5 = (sq - sp) * ember.digamma(sp)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count "
                                  "is not implemented")
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p()
                          - (-q.probs).log1p())
    kl[p.total_count > q.total_count] = math.inf  # masked writes, as PyTorch (its grad_fn)
    return kl


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = ember.where(q.probs == 0, math.inf, t)
    t = ember.where(p.probs == 0, 0.0, t)
    return t.sum(-1)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sp, sq = p.concentration.sum(-1), q.concentration.sum(-1)
    t1 = sp.lgamma() - sq.lgamma()
    t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = p.concentration.digamma() - sp.digamma().unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    ratio = q.rate / p.rate
    return -ratio.log() + ratio - 1


@register_kl(ExponentialFamily, ExponentialFamily)
def _kl_expfamily_expfamily(p, q):
    # the Bregman divergence of the log-normaliser between the natural parameters
    if type(p) is not type(q):
        # (PyTorch's message keeps the indentation of its continued source line)
        raise NotImplementedError("The cross KL-divergence between different exponential "
                                  "families cannot" + " " * 29 + "be computed using Bregman "
                                  "divergences")
    p_nat = [t.detach().requires_grad_() for t in p._natural_params]
    q_nat = q._natural_params
    lognorm = p._log_normalizer(*p_nat)
    grads = ember.autograd.grad(lognorm.sum(), p_nat, create_graph=True)
    result = q._log_normalizer(*q_nat) - lognorm
    for a, b, g in zip(p_nat, q_nat, grads):
        result = result - _sum_rightmost((b - a) * g, len(q.event_shape))
    return result


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = ember.lgamma(q.concentration) - ember.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * ember.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Geometric, Geometric)
def _kl_geometric_geometric(p, q):
    return -p.entropy() - ember.log1p(-q.probs) / p.probs - q.logits


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    ratio = p.scale / q.scale
    gap = (p.loc - q.loc).abs()
    return -ratio.log() + gap / q.scale + ratio * ember.exp(-gap / p.scale) - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with" + " " * 26
                         + "different event shapes cannot be computed")
    pl, ql = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = (ql.diagonal(dim1=-2, dim2=-1).log().sum(-1)
                  - pl.diagonal(dim1=-2, dim2=-1).log().sum(-1))
    n = p.event_shape[0]
    batch = tuple(ember.broadcast_shapes(tuple(ql.shape[:-2]), tuple(pl.shape[:-2])))
    term2 = _batch_trace_XXT(ember.linalg.solve_triangular(
        ql.expand(batch + (n, n)), pl.expand(batch + (n, n)), upper=False))
    term3 = _batch_mahalanobis(ql, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    if p.transforms != q.transforms:
        raise NotImplementedError
    if p.event_shape != q.event_shape:
        raise NotImplementedError
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    result[(q.low > p.low) | (q.high < p.high)] = math.inf
    return result


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    t1 = ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log()
    return t1 - (4 * p.scale * q.scale).log()


# -- a few mixed pairs -----------------------------------------------------------------

@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    width = p.high - p.low
    t1 = (math.sqrt(math.pi * 2) * q.scale / width).log()
    t2 = width.pow(2) / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2).pow(2)
    return t1 + 0.5 * (t2 + t3) / q.scale.pow(2)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    gap = p.loc - q.loc
    ratio = p.scale / q.scale
    ratio_gap = gap / p.scale
    t1 = -ratio.log()
    t2 = math.sqrt(2 / math.pi) * p.scale * ember.exp(-0.5 * ratio_gap.pow(2))
    t3 = gap * ember.erf(math.sqrt(0.5) * ratio_gap)
    return t1 + (t2 + t3) / q.scale - (0.5 * (1 + math.log(0.5 * math.pi)))



# -- Gumbel, Pareto and ContinuousBernoulli -----------------------------------------

@register_kl(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p, q):
    ratio = p.scale / q.scale
    q_loc, p_loc = q.loc / q.scale, p.loc / q.scale
    t = -ratio.log() - q_loc + p_loc + ratio * euler_constant
    return t + ember.exp(q_loc + (1 + ratio).lgamma() - p_loc) - (1 + euler_constant)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    alpha_ratio = q.alpha / p.alpha
    kl = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    kl[p.support.lower_bound < q.support.lower_bound] = math.inf
    return kl


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    prod = p.rate * q.scale
    ratio = q.loc / q.scale
    return (prod.log() - 1 - ratio + ember.exp(ratio) * prod / (prod + 1)
            + prod.reciprocal())


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    a = p.concentration
    prod = p.rate * q.scale
    ratio = q.loc / q.scale
    t1 = (a - 1) * a.digamma() - a.lgamma() - a
    t2 = prod.log() + a / prod
    t3 = ember.exp(ratio) * (1 + prod.reciprocal()).pow(-a) - ratio
    return t1 + t2 + t3


@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    ratio = p.scale / q.scale
    t1 = (ratio / math.sqrt(2 * math.pi)).log()
    t2 = (math.pi * ratio * 0.5).pow(2) / 3
    t3 = ((p.loc + p.scale * euler_constant - q.loc) / q.scale).pow(2) * 0.5
    return -t1 + t2 + t3 - (euler_constant + 1)


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    mean_ratio = p.loc / q.scale
    var_ratio = (p.scale / q.scale).pow(2)
    loc_ratio = q.loc / q.scale
    t3 = ember.exp(-mean_ratio + 0.5 * var_ratio + loc_ratio)
    return (-0.5 * var_ratio.log() + mean_ratio - loc_ratio + t3
            - (0.5 * (1 + math.log(2 * math.pi))))


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    ratio = q.scale / (p.high - p.low)
    hi, lo = (p.high - q.loc) / q.scale, (p.low - q.loc) / q.scale
    return (ratio.log() + 0.5 * (hi + lo)
            - ratio * (ember.exp(-hi) - ember.exp(-lo)))


@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    prod = p.scale * q.rate
    kl = (p.alpha / prod).log() - p.alpha.reciprocal() + p.alpha * prod / (p.alpha - 1) - 1
    kl[p.alpha <= 1] = math.inf
    return kl


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    common = p.scale.log() + p.alpha.reciprocal()
    a = q.concentration
    kl = (p.alpha.log() - common + a.lgamma() - a * q.rate.log() + (1 - a) * common
          + q.rate * p.alpha * p.scale / (p.alpha - 1) - 1)
    kl[p.alpha <= 1] = math.inf
    return kl


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    two_var = 2 * q.scale.pow(2)
    common = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t3 = p.alpha * common.pow(2) / (p.alpha - 2)
    t4 = (p.alpha * common - q.loc).pow(2)
    kl = t1 - p.alpha.reciprocal() + (t3 + t4) / two_var - 1
    kl[p.alpha <= 2] = math.inf
    return kl


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    width = p.high - p.low
    t1 = (q.alpha * q.scale.pow(q.alpha) * width).log()
    t2 = (ember.xlogy(p.high, p.high) - ember.xlogy(p.low, p.low) - width) / width
    kl = t2 * (q.alpha + 1) - t1
    kl[p.low < q.support.lower_bound] = math.inf
    return kl


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_contbern_contbern(p, q):
    t1 = p.mean * (p.logits - q.logits)
    t2 = p._cont_bern_log_norm() + ember.log1p(-p.probs)
    return t1 + t2 + (-q._cont_bern_log_norm() - ember.log1p(-q.probs))


def _kl_to_contbern(p, q):
    # KL(p || CB(q)) = -H(p) - E_p[log q(x)], as log q(x) is linear in x
    return -p.entropy() - p.mean * q.logits - ember.log1p(-q.probs) - q._cont_bern_log_norm()


register_kl(Beta, ContinuousBernoulli)(_kl_to_contbern)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_contbern(p, q):
    kl = _kl_to_contbern(p, q)
    outside = ember.max(ember.ge(p.high, q.support.upper_bound),
                        ember.le(p.low, q.support.lower_bound))
    return ember.where(outside, ember.ones_like(kl) * math.inf, kl)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_contbern_exponential(p, q):
    return -p.entropy() - ember.log(q.rate) + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_contbern_normal(p, q):
    t2 = 0.5 * (math.log(2.0 * math.pi) + ember.square(q.loc / q.scale)) + ember.log(q.scale)
    t3 = ((p.variance + ember.square(p.mean) - 2.0 * q.loc * p.mean)
          / (2.0 * ember.square(q.scale)))
    return -p.entropy() + t2 + t3


@register_kl(ContinuousBernoulli, Uniform)
def _kl_contbern_uniform(p, q):
    kl = -p.entropy() + (q.high - q.low).log()
    outside = ember.max(ember.ge(q.low, p.support.lower_bound),
                        ember.le(q.high, p.support.upper_bound))
    return ember.where(outside, ember.ones_like(kl) * math.inf, kl)


# -- LowRankMultivariateNormal -----------------------------------------------------------

# NOTE: PyTorch's message carries the indentation of a backslash-continued line
_GAP = " " * 26


def _check_same_event(p, q, what):
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL-divergence between two {what} Normals with{_GAP}different "
                         "event shapes cannot be computed")


def _lowrank_A(q):
    """``L^-1 W^T D^-1`` for ``q``'s capacitance factor ``L``: ``inv(cov_q)`` is
    ``inv(D) - A^T A``."""
    Wt_Dinv = q._unbroadcasted_cov_factor.mT / q._unbroadcasted_cov_diag.unsqueeze(-2)
    return ember.linalg.solve_triangular(q._capacitance_tril, Wt_Dinv, upper=False)


def _lowrank_mahalanobis_of(q, x):
    return _lowrank_mahalanobis(q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, x,
                                q._capacitance_tril)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrank_lowrank(p, q):
    _check_same_event(p, q, "Low Rank Multivariate")
    pW, pD, qD = p._unbroadcasted_cov_factor, p._unbroadcasted_cov_diag, q._unbroadcasted_cov_diag
    term1 = (_lowrank_logdet(qD, q._capacitance_tril)
             - _lowrank_logdet(pD, p._capacitance_tril))
    term3 = _lowrank_mahalanobis_of(q, q.loc - p.loc)
    A = _lowrank_A(q)
    # trace(inv(cov_q) cov_p) with inv(cov_q) = inv(qD) - A^T A and cov_p = pD + pW pW^T
    term2 = ((pD / qD).sum(-1) + _batch_trace_XXT(pW * qD.rsqrt().unsqueeze(-1))
             - _batch_trace_XXT(A * pD.sqrt().unsqueeze(-2))
             - _batch_trace_XXT(A.matmul(pW)))
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_multivariatenormal_lowrank(p, q):
    _check_same_event(p, q, "(Low Rank) Multivariate")
    pl, qD = p._unbroadcasted_scale_tril, q._unbroadcasted_cov_diag
    term1 = (_lowrank_logdet(qD, q._capacitance_tril)
             - 2 * pl.diagonal(dim1=-2, dim2=-1).log().sum(-1))
    term3 = _lowrank_mahalanobis_of(q, q.loc - p.loc)
    A = _lowrank_A(q)
    term2 = (_batch_trace_XXT(pl * qD.rsqrt().unsqueeze(-1))
             - _batch_trace_XXT(A.matmul(pl)))
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrank_multivariatenormal(p, q):
    _check_same_event(p, q, "(Low Rank) Multivariate")
    ql = q._unbroadcasted_scale_tril
    term1 = (2 * ql.diagonal(dim1=-2, dim2=-1).log().sum(-1)
             - _lowrank_logdet(p._unbroadcasted_cov_diag, p._capacitance_tril))
    term3 = _batch_mahalanobis(ql, q.loc - p.loc)
    batch = tuple(ember.broadcast_shapes(tuple(ql.shape[:-2]),
                                         tuple(p._unbroadcasted_cov_factor.shape[:-2])))
    n = p.event_shape[0]
    ql = ql.expand(batch + (n, n))
    pW = p._unbroadcasted_cov_factor.expand(batch + (n, p.cov_factor.size(-1)))
    pD = ember.diag_embed(p._unbroadcasted_cov_diag.sqrt()).expand(batch + (n, n))
    term2 = (_batch_trace_XXT(ember.linalg.solve_triangular(ql, pW, upper=False))
             + _batch_trace_XXT(ember.linalg.solve_triangular(ql, pD, upper=False)))
    return 0.5 * (term1 + term2 + term3 - p.event_shape[0])


# -- pairs across the exponential-family classes ---------------------------------------
#
# Most of these are -H(p) minus the cross-entropy term E_p[log q(x)], written with the
# moments of p that log q needs: E[x], E[x^2], E[log x] (and E[log(1 - x)] on (0, 1)).

def _normal_cross_entropy(mean, var, q):
    """E_p[-log q(x)] for a Normal ``q`` and any ``p`` with the given mean and variance."""
    return 0.5 * (2 * math.pi * q.scale.pow(2)).log() + (var + (mean - q.loc).pow(2)) / (
        2 * q.scale.pow(2))


def _beta_mean_log(p):
    """E[log x] under a Beta ``p``."""
    return p.concentration1.digamma() - (p.concentration1 + p.concentration0).digamma()


def _xlogx(x):
    return ember.xlogy(x, x)


@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    a = q.concentration
    return (-p.entropy() + a.lgamma() - a * q.rate.log() - (a - 1) * _beta_mean_log(p)
            + q.rate * p.mean)


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    return -p.entropy() + _normal_cross_entropy(p.mean, p.variance, q)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    kl = -p.entropy() + (q.high - q.low).log()
    kl[(q.low > p.support.lower_bound) | (q.high < p.support.upper_bound)] = math.inf
    return kl


@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    # E[log x] = -(gamma + log rate) under Exponential(rate)
    a, ratio = q.concentration, q.rate / p.rate
    return (-a * ratio.log() + ratio + a.lgamma() + a * euler_constant
            - (1 + euler_constant))


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    return (p.rate.log() - 1) + _normal_cross_entropy(p.rate.reciprocal(),
                                                      p.rate.pow(-2), q)


@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    a, b = p.concentration, p.rate
    neg_entropy = (a - 1) * a.digamma() - a.lgamma() - a + b.log()
    return neg_entropy + _normal_cross_entropy(a / b, a / b.pow(2), q)


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    # -H(p) = -(1 + log(2 b)); the constant last, as PyTorch (the result's grad_fn)
    return _normal_cross_entropy(p.loc, 2 * p.scale.pow(2), q) - (2 * p.scale).log() - 1


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    width = p.high - p.low
    mean_log = (_xlogx(p.high) - _xlogx(p.low) - width) / width  # E[log x]
    mean_log1m = (_xlogx(1 - p.low) - _xlogx(1 - p.high) - width) / width  # E[log(1 - x)]
    a1, a0 = q.concentration1, q.concentration0
    log_beta = a1.lgamma() + a0.lgamma() - (a1 + a0).lgamma()
    kl = -width.log() - (a1 - 1) * mean_log - (a0 - 1) * mean_log1m + log_beta
    kl[(p.high > q.support.upper_bound) | (p.low < q.support.lower_bound)] = math.inf
    return kl


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    kl = q.rate * (p.high + p.low) / 2 - ((p.high - p.low) * q.rate).log()
    kl[p.low < q.support.lower_bound] = math.inf
    return kl


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    width = p.high - p.low
    mean_log = (_xlogx(p.high) - _xlogx(p.low) - width) / width
    a = q.concentration
    kl = (-width.log() + a.lgamma() - a * q.rate.log() - (a - 1) * mean_log
          + q.rate * (p.high + p.low) / 2)
    kl[p.low < q.support.lower_bound] = math.inf
    return kl


def _infinite_kl(param):
    def fn(p, q):
        return ember.full_like(getattr(p, param), math.inf)
    return fn


# pairs whose supports make the divergence infinite
for _p, _q, _param in ((Beta, Pareto, "concentration1"), (Exponential, Pareto, "rate"),
                       (Gamma, Pareto, "concentration"), (Gumbel, Beta, "loc"),
                       (Gumbel, Exponential, "loc"), (Gumbel, Gamma, "loc"),
                       (Gumbel, Pareto, "loc"), (Gumbel, Uniform, "loc"),
                       (Laplace, Pareto, "loc"), (Normal, Pareto, "loc"),
                       (Pareto, Beta, "scale"), (Pareto, Uniform, "scale"),
                       (ContinuousBernoulli, Pareto, "probs"),
                       (Exponential, ContinuousBernoulli, "rate"),
                       (Gamma, ContinuousBernoulli, "concentration"),
                       (Gumbel, ContinuousBernoulli, "loc"),
                       (Laplace, ContinuousBernoulli, "loc"),
                       (Normal, ContinuousBernoulli, "loc"),
                       (Pareto, ContinuousBernoulli, "scale"),
                       (Exponential, Beta, "rate"), (Exponential, Uniform, "rate"),
                       (Gamma, Beta, "concentration"), (Gamma, Uniform, "concentration"),
                       (Laplace, Beta, "loc"), (Laplace, Exponential, "loc"),
                       (Laplace, Gamma, "loc"), (Laplace, Uniform, "loc"),
                       (Normal, Beta, "loc"), (Normal, Exponential, "loc"),
                       (Normal, Gamma, "loc"), (Normal, Uniform, "loc"),
                       (Poisson, Bernoulli, "rate"), (Poisson, Binomial, "rate")):
    register_kl(_p, _q)(_infinite_kl(_param))
del _p, _q, _param
