"""``normalize``, ``cosine_similarity`` and ``pairwise_distance``: composites of existing ops."""
from __future__ import annotations

from ..._ops import pointwise as P
from ..._ops import shape as S
from ..._ops._core import OUT, norm_dim, write_out
from ..._argparse import with_int_args
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``.

    >>> F.normalize(ember.tensor([[3., 4.]]))
    tensor([[0.6000, 0.8000]])
    """
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    return write_out(out, input / denom)


@with_int_args("cosine_similarity", ["Tensor x1, Tensor x2, int dim=1, float eps=1e-08"])
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (after broadcasting).

    NOTE: as in PyTorch, the norms are clamped to ``eps`` outside of autograd, so where a
    norm is below ``eps`` the gradient is that of the unclamped norm.

    >>> F.cosine_similarity(ember.tensor([[1., 0.]]), ember.tensor([[1., 1.]]))
    tensor([0.7071])
    """
    if tuple(x1.shape) != tuple(x2.shape):
        # NOTE: as PyTorch's C++ (``expand_outplace``): both expanded, the second first
        shape = S.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
        x2 = S.expand(x2, shape)
        x1 = S.expand(x1, shape)
    if not (x1.dtype.is_floating_point and x2.dtype.is_floating_point):
        from ... import _dtype as D

        dt = D.result_type(x1, x2)
        if not dt.is_floating_point:
            raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                               f"{_legacy(dt)}")
        x1, x2 = x1.to(dt), x2.to(dt)
    d = norm_dim(dim, x1.ndim)
    n1 = x1.norm(2, d, keepdim=True).clone()
    n2 = x2.norm(2, d, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    # NOTE: PyTorch's C++ evaluates the right quotient first (its node runs backward later)
    # NOTE: PyTorch's C++ forms the right quotient first: the order its backward runs in
    q2 = x2 / n2
    return ((x1 / n1) * q2).sum(d)


def _legacy(dt):
    from ..._ops._core import _legacy as f

    return f(dt)


@with_int_args("pairwise_distance", [
    "Tensor x1, Tensor x2, float p=2, float eps=1e-06, bool keepdim=False"])
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dimension (after broadcasting).

    >>> F.pairwise_distance(ember.tensor([[0., 0.]]), ember.tensor([[3., 4.]]), eps=0)
    tensor([5.])
    """
    from .loss import _check_flag

    _check_flag(keepdim, "pairwise_distance", "keepdim", 5)
    ndim = max(x1.ndim, x2.ndim)
    diff = P.add_scalar(x1 - x2, eps)
    return P._one_node("NormBackward1",
                       lambda d: d.norm(p, ndim - 1 if ndim else None, keepdim=keepdim), diff,
                       keep=(0, OUT))  # (as PyTorch's node: self and result)
