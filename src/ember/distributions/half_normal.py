"""The half-normal distribution: ``|X|`` for a centred normal ``X``."""
from __future__ import annotations

import math

from .normal import Normal
from .transformed_distribution import _HalfSymmetric

__all__ = ["HalfNormal"]


class HalfNormal(_HalfSymmetric):
    """HalfNormal(scale): ``|X|`` with ``X ~ Normal(0, scale)`` (PyTorch's draws)."""

    _symmetric = Normal

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._folded_log_prob(value)
