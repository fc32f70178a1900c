"""The Dirichlet distribution over the probability simplex."""
from __future__ import annotations

import ember
import ember.nn.functional as F
from ember._size import Size

from . import constraints
from ._sampling import dirichlet
from .distribution import ExponentialFamily

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """Dirichlet(concentration): a distribution over vectors on the simplex; the last
    dimension of ``concentration`` is the event.

    Samples are PyTorch's for the same seed on the CPU (its kernel replayed in ``_aten``).
    ``rsample``'s gradient there is PyTorch's too: its ``_dirichlet_grad`` approximation of
    the reparameterisation gradient, evaluated at the same draws (elsewhere ember uses the
    exact implicit gradient).
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = concentration.shape
        super().__init__(Size(shape[:-1]), Size(shape[-1:]), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        return self._finish_expand(new, batch_shape, event_shape=self.event_shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return dirichlet(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a = self.concentration
        return (ember.xlogy(a - 1.0, value).sum(-1) + ember.lgamma(a.sum(-1))
                - ember.lgamma(a).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        am1 = (self.concentration - 1).clamp(min=0.0)
        mode = am1 / am1.sum(-1, True)
        # NOTE: where every concentration is below 1 the density is unbounded at the
        # corners; PyTorch then puts the mode at the corner of the (NaN) argmax, index 0.
        # (a masked write into ``mode``, as PyTorch's, so the grad_fn is the same)
        corner = (self.concentration < 1).all(dim=-1)
        mode[corner] = F.one_hot(mode[corner].argmax(dim=-1), am1.shape[-1]).to(mode)
        return mode

    @property
    def variance(self):
        a = self.concentration
        a0 = a.sum(-1, True)
        return a * (a0 - a) / (a0.pow(2) * (a0 + 1))

    def entropy(self):
        a = self.concentration
        k = a.size(-1)
        a0 = a.sum(-1)
        return (ember.lgamma(a).sum(-1) - ember.lgamma(a0) - (k - a0) * ember.digamma(a0)
                - ((a - 1.0) * ember.digamma(a)).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - ember.lgamma(x.sum(-1))
