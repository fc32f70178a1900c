"""The multivariate normal distribution."""
from __future__ import annotations

import math

import ember
from ember._size import Size

from . import constraints
from .distribution import Distribution
from .utils import _standard_normal, lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mv(mat, vec):
    """``mat @ vec`` over broadcast batch dimensions."""
    return ember.matmul(mat, vec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(tril, x):
    """``|tril^-1 x|^2`` over the last dimension, with ``tril``'s batch dimensions
    broadcasting against ``x``'s (lower-triangular ``tril``)."""
    n = x.shape[-1]
    if tril.dim() == 2:
        # one matrix for every vector: a single solve with the vectors as columns
        cols = x.reshape(-1, n).mT
        sol = ember.linalg.solve_triangular(tril, cols, upper=False)
        return sol.pow(2).sum(0).reshape(x.shape[:-1])
    batch = ember.broadcast_shapes(tuple(tril.shape[:-2]), tuple(x.shape[:-1]))
    sol = ember.linalg.solve_triangular(tril.expand(batch + (n, n)),
                                        x.expand(batch + (n,)).unsqueeze(-1), upper=False)
    return sol.squeeze(-1).pow(2).sum(-1)


def _precision_to_scale_tril(prec):
    """The lower Cholesky factor of ``prec``'s inverse, without forming the inverse: the
    Cholesky factor of the index-reversed matrix, reversed back, is upper triangular with
    ``prec = U U^T``, so ``L = (U^T)^-1`` is lower triangular with ``L L^T = prec^-1``."""
    lf = ember.linalg.cholesky(ember.flip(prec, (-2, -1)))
    l_inv = ember.flip(lf, (-2, -1)).transpose(-2, -1)
    eye = ember.eye(prec.shape[-1], dtype=prec.dtype, device=prec.device)
    return ember.linalg.solve_triangular(l_inv, eye, upper=False)


def _cholesky_inverse(tril):
    inv = ember.linalg.solve_triangular(
        tril, ember.eye(tril.shape[-1], dtype=tril.dtype, device=tril.device), upper=False)
    return inv.mT @ inv


class MultivariateNormal(Distribution):
    """MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None,
    scale_tril=None): a normal distribution over vectors of length n, with exactly one of
    the covariance, its inverse or the covariance's lower Cholesky factor given.

    ``rsample`` is ``loc + scale_tril @ eps`` with ``eps`` PyTorch's standard normal draws,
    so samples equal PyTorch's up to the rounding of the matrix product.
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m is not None for m in (covariance_matrix, scale_tril, precision_matrix)]
        if sum(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        for name, m in (("scale_tril", scale_tril), ("covariance_matrix", covariance_matrix),
                        ("precision_matrix", precision_matrix)):
            if m is None:
                continue
            if m.dim() < 2:
                what = f"{name} matrix" if name == "scale_tril" else name
                raise ValueError(f"{what} must be at least two-dimensional, with optional "
                                 "leading batch dimensions")
            batch_shape = ember.broadcast_shapes(tuple(m.shape[:-2]), tuple(loc.shape[:-1]))
            setattr(self, name, m.expand(tuple(batch_shape) + (-1, -1)))
            matrix, kind = m, name
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        super().__init__(Size(batch_shape), self.loc.shape[-1:], validate_args=validate_args)
        if kind == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif kind == "covariance_matrix":
            self._unbroadcasted_scale_tril = ember.linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = Size(batch_shape)
        mat_shape = batch_shape + self.event_shape + self.event_shape
        new.loc = self.loc.expand(batch_shape + self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(mat_shape))
        return self._finish_expand(new, batch_shape, event_shape=self.event_shape)

    def _matrix_shape(self):
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        tril = self._unbroadcasted_scale_tril
        return ember.matmul(tril, tril.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        return _cholesky_inverse(self._unbroadcasted_scale_tril).expand(self._matrix_shape())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return (self._unbroadcasted_scale_tril.pow(2).sum(-1)
                .expand(self._batch_shape + self._event_shape))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self):
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h if len(self._batch_shape) == 0 else h.expand(self._batch_shape)
