"""The Bernoulli distribution over ``{0, 1}``."""
from __future__ import annotations

import math

import ember
from ember._size import Size
from ember.nn.functional import binary_cross_entropy_with_logits

from . import constraints
from .distribution import ExponentialFamily
from .utils import _BinaryProbs, _expand_probs_or_logits, _set_probs_or_logits, broadcast_all

__all__ = ["Bernoulli"]


class Bernoulli(_BinaryProbs, ExponentialFamily):
    """Bernoulli(probs=None, logits=None): 1 with probability ``probs`` (or
    ``sigmoid(logits)``), else 0.  Exactly one of the two is given; the other is derived on
    first use.  ``sample`` is ``torch.bernoulli`` on the expanded probabilities.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._param = _set_probs_or_logits(self, probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Bernoulli, _instance)
        _expand_probs_or_logits(self, new, Size(batch_shape))
        return self._finish_expand(new, batch_shape)

    def _new(self, *args, **kwargs):
        return self._param.new_empty(*args, **kwargs)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        p = self.probs
        return ember.where(p == 0.5, math.nan, (p >= 0.5).to(p))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return ember.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        values = ember.arange(2, dtype=self._param.dtype, device=self._param.device)
        return self._support_along_dim0(values, expand)

    @property
    def _natural_params(self):
        return (ember.logit(self.probs),)

    def _log_normalizer(self, x):
        return ember.log1p(ember.exp(x))
