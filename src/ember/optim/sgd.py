"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._ops._core import wrap
from .._tensor import Tensor
from . import _differentiable
from . import _functional as F
from . import _fused_cpu
from .optimizer import Optimizer, check_flags, check_lr, multi_tensor, scalar, with_grad
from .optimizer import compressed, lr_scalar

__all__ = ["SGD"]


def _compressed_step(state, p, grad, group):
    """SGD's step of a sparse compressed (CSR...) parameter: PyTorch takes its gradient for a
    dense one (``is_sparse`` is COO's only), so its single-tensor update runs on the compressed
    tensors' own ops (a sum of two patterns holds both)."""
    lr, wd, momentum = group["lr"], group["weight_decay"], group["momentum"]
    lr = lr.item() if isinstance(lr, Tensor) else lr
    if group["maximize"]:
        grad = -grad
    if wd != 0:
        grad = grad.add(p, alpha=wd)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = grad.clone().detach()
        else:
            buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
        grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
    p.add_(grad, alpha=-lr)


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``.

    With ``momentum`` the buffer starts as the first gradient, then
    ``buf = momentum * buf + (1 - dampening) * grad``; the step is
    ``-lr * buf`` (``-lr * (grad + momentum * buf)`` with ``nesterov``).

    >>> opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    """

    _takes_sparse = True
    _fused_check = "once"

    _group_fill = {"nesterov": False, "maximize": False, "foreach": None,
                   "differentiable": False, "fused": False}

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        check_lr(lr, only_negative=True)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_flags(differentiable, fused, foreach, "SGD")

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _fused_refuse(self, params):
        if any(p._grad.is_sparse for p in params):
            raise RuntimeError("`_fused_sgd` does not support sparse gradients")
        for p in params:
            if p.is_complex():
                raise NotImplementedError(
                    f"\"fused_sgd_kernel\" not implemented for '{D.scalar_name(p.dtype)}'")

    def _update_group(self, group):
        if group["differentiable"]:  # (tensor ops that autograd records)
            return _differentiable.sgd(self, group)
        momentum = group["momentum"]
        opts = {"lr": lr_scalar(group["lr"]), "momentum": momentum,
                "dampening": group["dampening"], "weight_decay": scalar(group["weight_decay"]),
                "nesterov": group["nesterov"], "maximize": group["maximize"]}
        # PyTorch's multi-tensor update scales the buffers with ``_foreach_mul_`` (see
        # ``F._fs``) where each of a dtype's buffers exists, else one by one
        multi = momentum != 0 and multi_tensor(group)
        if multi:
            fresh = {p.dtype for p, _ in with_grad(group)
                     if self.state[p].get("momentum_buffer") is None}
        for p, g in with_grad(group):
            if type(p._data) is not np.ndarray and compressed(p, g):
                _compressed_step(self.state[p], p, g, group)
                continue
            if g.is_sparse:  # (ember._sparse: PyTorch's rules for sparse gradients)
                from .._sparse import sgd_update

                # (no state entry without momentum: PyTorch keeps none)
                sgd_update(p, g, group, self.state[p] if momentum != 0 else {})
                continue
            sgd = _fused_cpu.sgd if _fused_cpu.applies(group, p._data, g._data, reduced=False) \
                else F.sgd
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                kw = opts if not multi or p.dtype in fresh else dict(opts, foreach=True)
                arr = sgd(p._data, g._data, None if buf is None else buf._data, **kw)
                if buf is None:
                    state["momentum_buffer"] = wrap(arr, p._device)
            else:
                sgd(p._data, g._data, None, **opts)
            p._vc.v += 1
