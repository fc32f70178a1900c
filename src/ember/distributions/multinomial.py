"""The multinomial distribution: category counts over ``total_count`` draws."""
from __future__ import annotations

import math

import ember
from ember._size import Size

from . import constraints
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(Distribution):
    """Multinomial(total_count=1, probs=None, logits=None): how many of ``total_count``
    categorical draws land in each of the K categories (event shape ``(K,)``).

    ``sample`` counts ``Categorical`` draws, so it reproduces PyTorch's numbers.
    ``total_count`` must be a Python int (only ``log_prob`` allows other totals).
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        new.total_count = self.total_count
        return self._finish_expand(new, batch_shape, ("_categorical",), self.event_shape)

    def _new(self, *args, **kwargs):
        return self._categorical._new(*args, **kwargs)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        sample_shape = Size(sample_shape)
        draws = self._categorical.sample(Size((self.total_count,)) + sample_shape)
        order = list(range(1, draws.dim())) + [0]
        draws = draws.permute(*order)
        counts = ember.zeros(self._extended_shape(sample_shape), dtype=draws.dtype,
                             device=draws.device)
        counts.scatter_add_(-1, draws, ember.ones_like(draws))
        return counts.type_as(self.probs)

    def entropy(self):
        n = ember.tensor(self.total_count)
        term1 = n * self._categorical.entropy() - ember.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        weights = ember.lgamma(support + 1)
        term2 = (ember.exp(self._binomial.log_prob(support)) * weights).sum([0, -1])
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_n_factorial = ember.lgamma(value.sum(-1) + 1)
        log_x_factorials = ember.lgamma(value + 1).sum(-1)
        # a category of probability 0 drawn 0 times contributes 0 (not 0 * -inf)
        logits = ember.where((value == 0) & (logits == -math.inf), 0.0, logits)
        return log_n_factorial - log_x_factorials + (logits * value).sum(-1)
