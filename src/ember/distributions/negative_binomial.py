"""The negative binomial distribution."""
from __future__ import annotations

import ember
from ember.nn.functional import logsigmoid

from . import constraints
from .binomial import expand_count_and_probs, set_count_and_probs
from .distribution import Distribution
from .gamma import Gamma
from .utils import (_BinaryProbs, lazy_property)

__all__ = ["NegativeBinomial"]


class NegativeBinomial(_BinaryProbs, Distribution):
    """NegativeBinomial(total_count, probs=None, logits=None): the number of successes
    (each of probability ``probs``) before ``total_count`` failures.

    Sampled as PyTorch does, a Poisson draw whose rate is a gamma draw, so the numbers are
    PyTorch's for the same seed.
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        set_count_and_probs(self, total_count, probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_count_and_probs(self, NegativeBinomial, batch_shape, _instance)

    def _new(self, *args, **kwargs):
        return self._param.new_empty(*args, **kwargs)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self.total_count * ember.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / ember.sigmoid(-self.logits)

    @lazy_property
    def _gamma(self):
        return Gamma(self.total_count, ember.exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=()):
        with ember.no_grad():
            return ember.poisson(self._gamma.sample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n = self.total_count
        unnormalised = n * logsigmoid(-self.logits) + value * logsigmoid(self.logits)
        log_norm = -ember.lgamma(n + value) + ember.lgamma(1.0 + value) + ember.lgamma(n)
        log_norm = log_norm.masked_fill(n + value == 0.0, 0.0)
        return unnormalised - log_norm
