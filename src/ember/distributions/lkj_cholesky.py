"""The LKJ distribution over Cholesky factors of correlation matrices."""
from __future__ import annotations

import math

import ember
from ember._size import Size

from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJCholesky(dim, concentration=1.0): lower Cholesky factors ``L`` of ``dim x dim``
    correlation matrices, with ``L L^T`` LKJ-distributed (density proportional to
    ``det(L L^T) ** (concentration - 1)``).

    Sampled by the onion method as PyTorch does (beta draws for the squared row norms,
    normal draws for the directions), so the numbers are PyTorch's.
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError("Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        self.concentration, = broadcast_all(concentration)
        c = self.concentration
        # one beta law per row for the squared norm of its off-diagonal part (onion method;
        # row 0's draw is made but unused, as in PyTorch)
        offset = ember.arange(dim - 1, dtype=c.dtype, device=c.device)
        offset = ember.cat([offset.new_zeros((1,)), offset])
        marginal = c + 0.5 * (dim - 2)
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(c.size(), Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        return self._finish_expand(new, batch_shape, event_shape=self.event_shape)

    def sample(self, sample_shape=()):
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        normal = ember.randn(self._extended_shape(sample_shape), dtype=y.dtype,
                             device=y.device).tril(-1)
        direction = normal / normal.norm(dim=-1, keepdim=True)
        direction[..., 0, :].fill_(0.0)  # row 0 is (1, 0, ..., 0); 0/0 there
        w = ember.sqrt(y) * direction
        diag = ember.clamp(1 - ember.sum(w ** 2, dim=-1), min=ember.finfo(w.dtype).tiny)
        w += ember.diag_embed(diag.sqrt())
        return w

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = ember.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalised = ember.sum(order * diag.log(), dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        log_norm = (0.5 * dm1 * math.log(math.pi) + ember.mvlgamma(alpha - 0.5, dm1)
                    - ember.lgamma(alpha) * dm1)
        return unnormalised - log_norm
