"""The Fisher-Snedecor (F) distribution."""
from __future__ import annotations

import math

import ember
from ember._size import Size

from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import _NUMBER, broadcast_all

__all__ = ["FisherSnedecor"]


class FisherSnedecor(Distribution):
    """FisherSnedecor(df1, df2): the ratio of two scaled chi-squared variables, drawn as
    ``Gamma(df1/2, df1) / Gamma(df2/2, df2)`` in that order (PyTorch's draws)."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        numbers = isinstance(df1, _NUMBER) and isinstance(df2, _NUMBER)
        super().__init__(Size() if numbers else self.df1.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(FisherSnedecor, _instance)
        return self._finish_expand(new, batch_shape, ("df1", "df2", "_gamma1", "_gamma2"))

    @staticmethod
    def _nan_where(x, mask):
        x = x.clone()
        x[mask] = math.nan
        return x

    @property
    def mean(self):
        d2 = self._nan_where(self.df2, self.df2 <= 2)
        return d2 / (d2 - 2)

    @property
    def mode(self):
        m = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        m[self.df1 <= 2] = math.nan
        return m

    @property
    def variance(self):
        d1, d2 = self.df1, self._nan_where(self.df2, self.df2 <= 4)
        return 2 * d2.pow(2) * (d1 + d2 - 2) / (d1 * (d2 - 2).pow(2) * (d2 - 4))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x1 = self._gamma1.rsample(sample_shape).view(shape)
        x2 = self._gamma2.rsample(sample_shape).view(shape)
        tiny = ember.finfo(x2.dtype).tiny
        x2.clamp_(min=tiny)
        y = x1 / x2
        y.clamp_(min=tiny)
        return y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        h1, h2 = self.df1 * 0.5, self.df2 * 0.5
        ratio = self.df1 / self.df2
        norm = (h1 + h2).lgamma() - h1.lgamma() - h2.lgamma()
        return (norm + (h1 * ratio.log() + (h1 - 1) * ember.log(value))
                - (h1 + h2) * ember.log1p(ratio * value))
