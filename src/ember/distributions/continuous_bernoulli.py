"""The continuous Bernoulli distribution on ``[0, 1]``."""
from __future__ import annotations

import math

import ember
from ember._size import Size
from ember.nn.functional import binary_cross_entropy_with_logits

from . import constraints
from .distribution import ExponentialFamily
from .utils import (_NUMBER, _expand_probs_or_logits, _require_probs_or_logits,
                    broadcast_all, clamp_probs, lazy_property, logits_to_probs,
                    probs_to_logits)

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ExponentialFamily):
    """ContinuousBernoulli(probs=None, logits=None, lims=(0.499, 0.501)): density
    proportional to ``probs**x (1 - probs)**(1 - x)`` on ``[0, 1]``.

    Near ``probs == 0.5`` (inside ``lims``) the closed forms lose precision, so there
    Taylor expansions are used, as in PyTorch.  Samples are ``icdf(torch.rand(...))``.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        _require_probs_or_logits(probs, logits)
        given = probs if probs is not None else logits
        param, = broadcast_all(given)
        if probs is not None:
            if validate_args is not None and not bool(
                    self.arg_constraints["probs"].check(param).all()):
                raise ValueError("The parameter probs has invalid values")
            param = self.probs = clamp_probs(param)
        else:
            self.logits = param
        self._param = param
        self._lims = lims
        shape = Size() if isinstance(given, _NUMBER) else param.size()
        super().__init__(shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        new._lims = self._lims
        batch_shape = Size(batch_shape)
        _expand_probs_or_logits(self, new, batch_shape)
        return self._finish_expand(new, batch_shape)

    def _new(self, *args, **kwargs):
        return self._param.new_empty(*args, **kwargs)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    @property
    def param_shape(self):
        return self._param.size()

    def _stable(self):
        """Where ``probs`` lies outside ``lims`` (the closed forms are accurate there)."""
        return ember.max(ember.le(self.probs, self._lims[0]),
                         ember.gt(self.probs, self._lims[1]))

    def _cut_probs(self):
        return ember.where(self._stable(), self.probs,
                           self._lims[0] * ember.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        p = self._cut_probs()
        below = ember.where(ember.le(p, 0.5), p, ember.zeros_like(p))
        above = ember.where(ember.ge(p, 0.5), p, ember.ones_like(p))
        log_norm = (ember.log(ember.abs(ember.log1p(-p) - ember.log(p)))
                    - ember.where(ember.le(p, 0.5), ember.log1p(-2.0 * below),
                                  ember.log(2.0 * above - 1.0)))
        x = ember.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return ember.where(self._stable(), log_norm, taylor)

    @property
    def mean(self):
        p = self._cut_probs()
        exact = p / (2.0 * p - 1.0) + 1.0 / (ember.log1p(-p) - ember.log(p))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * ember.pow(x, 2)) * x
        return ember.where(self._stable(), exact, taylor)

    @property
    def stddev(self):
        return ember.sqrt(self.variance)

    @property
    def variance(self):
        p = self._cut_probs()
        exact = (p * (p - 1.0) / ember.pow(1.0 - 2.0 * p, 2)
                 + 1.0 / ember.pow(ember.log1p(-p) - ember.log(p), 2))
        x = ember.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return ember.where(self._stable(), exact, taylor)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        u = ember.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        with ember.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        u = ember.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        bce = binary_cross_entropy_with_logits(logits, value, reduction="none")
        return -bce + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        p = self._cut_probs()
        inner = ((ember.pow(p, value) * ember.pow(1.0 - p, 1.0 - value) + p - 1.0)
                 / (2.0 * p - 1.0))
        inner = ember.where(self._stable(), inner, value)
        return ember.where(ember.le(value, 0.0), ember.zeros_like(value),
                           ember.where(ember.ge(value, 1.0), ember.ones_like(value), inner))

    def icdf(self, value):
        p = self._cut_probs()
        exact = ((ember.log1p(-p + value * (2.0 * p - 1.0)) - ember.log1p(-p))
                 / (ember.log(p) - ember.log1p(-p)))
        return ember.where(self._stable(), exact, value)

    def entropy(self):
        log_q, log_p = ember.log1p(-self.probs), ember.log(self.probs)
        return self.mean * (log_q - log_p) - self._cont_bern_log_norm() - log_q

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        stable = ember.max(ember.le(x, self._lims[0] - 0.5), ember.gt(x, self._lims[1] - 0.5))
        cut = ember.where(stable, x, (self._lims[0] - 0.5) * ember.ones_like(x))
        log_norm = ember.log(ember.abs(ember.expm1(cut))) - ember.log(ember.abs(cut))
        taylor = 0.5 * x + ember.pow(x, 2) / 24.0 - ember.pow(x, 4) / 2880.0
        return ember.where(stable, log_norm, taylor)
