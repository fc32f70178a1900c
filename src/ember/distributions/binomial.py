"""The binomial distribution."""
from __future__ import annotations

import ember
from ember._size import Size

from . import constraints
from ._sampling import binomial_tensor
from .distribution import Distribution
from .utils import (_BinaryProbs, _expand_probs_or_logits, _require_probs_or_logits, broadcast_all)

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    # max(x, 0) whose gradient at 0 is 1/2 (as PyTorch's)
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


def set_count_and_probs(d, total_count, probs, logits):
    """``total_count`` broadcast with ``probs`` or ``logits`` (exactly one), in its dtype: the
    parameters of Binomial and NegativeBinomial."""
    _require_probs_or_logits(probs, logits)
    name, value = ("probs", probs) if probs is not None else ("logits", logits)
    count, param = broadcast_all(total_count, value)
    d.total_count = count.type_as(param)
    setattr(d, name, param)
    d._param = param


def expand_count_and_probs(d, cls, batch_shape, _instance):
    new = d._get_checked_instance(cls, _instance)
    batch_shape = Size(batch_shape)
    new.total_count = d.total_count.expand(batch_shape)
    _expand_probs_or_logits(d, new, batch_shape)
    return d._finish_expand(new, batch_shape)


class Binomial(_BinaryProbs, Distribution):
    """Binomial(total_count=1, probs=None, logits=None): successes in ``total_count``
    independent trials of probability ``probs`` (or ``sigmoid(logits)``).

    Samples are PyTorch's for the same seed on the CPU (its kernel replayed in ``_aten``).
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        set_count_and_probs(self, total_count, probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return expand_count_and_probs(self, Binomial, batch_shape, _instance)

    def _new(self, *args, **kwargs):
        return self._param.new_empty(*args, **kwargs)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            n = self.total_count.expand(shape)
            p = self.probs.expand(shape)
            return binomial_tensor(n, p)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_norm = (n * _clamp_by_zero(logits) + n * ember.log1p(ember.exp(-ember.abs(logits)))
                    - ember.lgamma(n + 1))
        return (value * logits - ember.lgamma(value + 1) - ember.lgamma(n - value + 1)
                - log_norm)

    def _homogeneous_count(self, what):
        top = int(self.total_count.max())
        if not self.total_count.min() == top:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return top

    def entropy(self):
        self._homogeneous_count("entropy")
        lp = self.log_prob(self.enumerate_support(False))
        return -(ember.exp(lp) * lp).sum(0)

    def enumerate_support(self, expand=True):
        top = self._homogeneous_count("enumerate_support")
        values = ember.arange(1 + top, dtype=self._param.dtype, device=self._param.device)
        return self._support_along_dim0(values, expand)
