"""The generalized Pareto distribution."""
from __future__ import annotations

import math

import ember
from ember._size import Size

from . import constraints
from .distribution import Distribution
from .utils import _NUMBER, broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """GeneralizedPareto(loc, scale, concentration): the tail law of peaks over a
    threshold; ``concentration`` 0 is the shifted exponential, negative values give a
    bounded support ``[loc, loc - scale / concentration]``.

    ``rsample`` is ``icdf(torch.rand(...))``, so the draws are PyTorch's.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        numbers = all(isinstance(v, _NUMBER) for v in (loc, scale, concentration))
        super().__init__(Size() if numbers else self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(GeneralizedPareto, _instance)
        return self._finish_expand(new, batch_shape, ("loc", "scale", "concentration"))

    def _zero_and_safe(self):
        """Where ``concentration`` is (close to) 0, and ``concentration`` with 1 there."""
        c = self.concentration
        # NOTE: compared with a default-dtype 0 as PyTorch does, so a float64
        # distribution's log_prob raises PyTorch's "Double did not match Float" too
        zero = ember.isclose(c, ember.tensor(0.0))
        return zero, ember.where(zero, ember.ones_like(c), c)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return self.icdf(ember.rand(shape, dtype=self.loc.dtype, device=self.loc.device))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        zero, c = self._zero_and_safe()
        y = 1 / c + ember.ones_like(z)
        nonzero = ember.where(y == 0, y, y * ember.log1p(c * z))
        return -self.scale.log() - ember.where(zero, z, nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        zero, c = self._zero_and_safe()
        return ember.where(zero, -z, -ember.log1p(c * z) / c)

    def log_cdf(self, value):
        return ember.log1p(-ember.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return ember.exp(self.log_cdf(value))

    def icdf(self, value):
        c = self.concentration
        zero = ember.isclose(c, ember.zeros_like(c))
        c = ember.where(zero, ember.ones_like(c), c)
        log_tail = ember.log1p(-value)
        return ember.where(zero, self.loc - self.scale * log_tail,
                           self.loc + self.scale / c * ember.expm1(-c * log_tail))

    @property
    def mean(self):
        ok = self.concentration < 1
        c = ember.where(ok, self.concentration, 0.5)
        return ember.where(ok, self.loc + self.scale / (1 - c), math.nan)

    @property
    def variance(self):
        ok = self.concentration < 0.5
        c = ember.where(ok, self.concentration, 0.25)
        return ember.where(ok, self.scale ** 2 / ((1 - c) ** 2 * (1 - 2 * c)), math.nan)

    def entropy(self):
        return ember.broadcast_to(ember.log(self.scale) + self.concentration + 1,
                                  self._batch_shape)

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = ember.where(self.concentration < 0,
                            self.loc - self.scale / self.concentration, math.inf)
        return constraints.interval(self.loc, upper)
