"""The half-Cauchy distribution: ``|X|`` for a centred Cauchy ``X``."""
from __future__ import annotations

import math

import ember

from .cauchy import Cauchy
from .transformed_distribution import _HalfSymmetric

__all__ = ["HalfCauchy"]


class HalfCauchy(_HalfSymmetric):
    """HalfCauchy(scale): ``|X|`` with ``X ~ Cauchy(0, scale)`` (PyTorch's draws)."""

    _symmetric = Cauchy

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return ember.full(self._extended_shape(), math.inf, dtype=self.scale.dtype,
                          device=self.scale.device)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        # NOTE: as PyTorch, HalfCauchy (unlike HalfNormal) first makes ``value`` a tensor of
        # the parameters' dtype and device
        value = ember.as_tensor(value, dtype=self.scale.dtype, device=self.scale.device)
        return self._folded_log_prob(value)
