"""The normal (Gaussian) distribution."""
from __future__ import annotations

import math

import ember

from .distribution import ExponentialFamily
from .utils import _RealLocScale, _standard_normal

__all__ = ["Normal"]


class Normal(_RealLocScale, ExponentialFamily):
    """Normal(loc, scale): mean ``loc`` and standard deviation ``scale``.

    >>> ember.distributions.Normal(0.0, 1.0).sample((3,)).shape
    torch.Size([3])
    """

    _mean_carrier_measure = 0

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Normal, _instance)
        return self._finish_expand(new, batch_shape, ("loc", "scale"))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def sample(self, sample_shape=()):
        # NOTE: PyTorch samples through torch.normal(loc, scale) here (noise times scale plus
        # loc, rounded twice), and rsample as loc + noise * scale; both draw the same noise
        # but can differ in the last bit, so each is reproduced as it is.
        shape = self._extended_shape(sample_shape)
        with ember.no_grad():
            return ember.normal(self.loc.expand(shape), self.scale.expand(shape))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return (-((value - self.loc) ** 2) / (2 * var) - self.scale.log()
                - math.log(math.sqrt(2 * math.pi)))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) * self.scale.reciprocal() / math.sqrt(2)
        return 0.5 * (1 + ember.erf(z))

    def icdf(self, value):
        return self.loc + self.scale * ember.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + ember.log(self.scale)

    @property
    def _natural_params(self):
        return (self.loc / self.scale.pow(2), -0.5 * self.scale.pow(2).reciprocal())

    def _log_normalizer(self, x, y):
        return -0.25 * x.pow(2) / y + 0.5 * ember.log(-math.pi / y)
