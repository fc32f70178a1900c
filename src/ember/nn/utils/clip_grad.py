"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``."""
from __future__ import annotations

import types

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


@no_grad()
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    from ..._ops import creation, reduce, shape

    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return creation.tensor(0.0)
    for t in tensors:
        if t.is_sparse:  # (as PyTorch 2.13: no norm kernel for sparse tensors)
            from ..._sparse import _no_kernel

            raise NotImplementedError(_no_kernel("aten::linalg_vector_norm"))
    norms = [reduce.vector_norm(t, norm_type) for t in tensors]
    total = reduce.vector_norm(shape.stack(norms), norm_type)
    if error_if_nonfinite and not bool(total.isfinite()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable this "
                           "error and scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return total


@no_grad()
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale gradients in place by ``max_norm / (total_norm + 1e-6)`` clamped to 1."""
    grads = _grads(parameters)
    if not grads:
        return
    # NOTE: as in PyTorch, the coefficient is a tensor in the norm's dtype (``max_norm /
    # t`` is ``reciprocal(t) * max_norm``) and every gradient is multiplied by it, even 1.
    import ember

    # (the public clamp: PyTorch's TypeError for a number ``total_norm``)
    coef = ember.clamp(float(max_norm) / (total_norm + 1e-6), max=1.0)
    if foreach is not False and coef.dim() != 0:  # (PyTorch's foreach multiply's check)
        raise RuntimeError(f"scalar tensor expected to be 0 dim but it has {coef.dim()} "
                           f"dimensions and {coef.numel()} elements.")
    for g in grads:
        g.mul_(coef)


@no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale gradients in place so their total norm is at most ``max_norm``; returns the norm."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:  # (one used up already, as a second call's)
            from ..._warnings import warn

            warn("`parameters` is an empty generator, no gradient clipping will occur.")
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None):
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.clamp_(min=-clip_value, max=clip_value)
