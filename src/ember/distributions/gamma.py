"""The gamma distribution."""
from __future__ import annotations

import ember

from . import constraints
from ._sampling import _GammaInc, standard_gamma
from .distribution import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    """Gamma(concentration, rate): density ``rate**a x**(a-1) exp(-rate x) / Gamma(a)``.

    Samples are PyTorch's for the same seed on the CPU (its kernel replayed in ``_aten``).
    ``rsample``'s gradient there is PyTorch's too (its ``_standard_gamma_grad``, an
    approximation of the implicit reparameterisation gradient good to about 1e-3, replayed);
    elsewhere ember computes the implicit gradient itself.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        return self._finish_expand(new, batch_shape, ("concentration", "rate"))

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=ember.finfo(value.dtype).tiny)  # outside the graph
        return value

    def log_prob(self, value):
        value = ember.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return ember.xlogy(a, b) + ember.xlogy(a - 1, value) - b * value - ember.lgamma(a)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return _GammaInc.apply(self.concentration, self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - ember.log(self.rate) + ember.lgamma(a) + (1.0 - a) * ember.digamma(a)

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return ember.lgamma(x + 1) + (x + 1) * ember.log(-y.reciprocal())
