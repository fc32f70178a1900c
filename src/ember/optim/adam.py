"""``Adam``: adaptive moment estimation (AdamW is Adam with decoupled weight decay)."""
from __future__ import annotations

from .._tensor import Tensor
from . import _differentiable
from . import _functional as F
from . import _fused_cpu
from ._functional import update_array as _arr
from .optimizer import (Optimizer, check_adam_options, check_flags, check_lr, complex_decay,
                        multi_tensor, next_step, with_grad, zeros_state)
from .optimizer import lr_scalar

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``; ``decoupled_weight_decay=True`` makes it AdamW.

    >>> opt = ember.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    """

    _tensor_step = True

    _group_fill = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                   "differentiable": False, "decoupled_weight_decay": False, "fused": None}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and "
                                 "foreach=True")
        check_lr(lr)
        check_adam_options(eps, betas, weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                     "capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() else b for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        check_flags(differentiable, fused, foreach, "Adam")

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        if group["differentiable"]:  # (tensor ops that autograd records)
            return _differentiable.adam(self, group)
        beta1, beta2 = group["betas"]
        amsgrad = group["amsgrad"]
        # (tensor betas, like a tensor lr, enter the arithmetic as NumPy scalars of their dtype)
        opts = {"beta1": lr_scalar(beta1), "beta2": lr_scalar(beta2),
                "lr": lr_scalar(group["lr"], group["fused"]),
                "weight_decay": group["weight_decay"], "eps": group["eps"], "amsgrad": amsgrad,
                "maximize": group["maximize"],
                "decoupled_weight_decay": group["decoupled_weight_decay"]}
        if multi_tensor(group):  # (PyTorch's multi-tensor update: see ``F._fs``)
            opts["foreach"] = True
        state_of = self.state
        if group["foreach"] and isinstance(group["lr"], Tensor) and not group["capturable"]:
            # (a group's own tensor lr, which the constructor did not see: PyTorch refuses it
            # once the first parameter with a gradient has its state)
            for p, _ in with_grad(group):
                if not state_of[p]:
                    self._init_state(state_of[p], group, p, "exp_avg", "exp_avg_sq")
                    if amsgrad:
                        state_of[p]["max_exp_avg_sq"] = zeros_state(p)
                raise RuntimeError("lr as a Tensor is not supported for capturable=False and "
                                   "foreach=True")
        for p, g in with_grad(group):
            state = state_of[p]
            if not state:
                self._init_state(state, group, p, "exp_avg", "exp_avg_sq")
                if amsgrad:
                    state["max_exp_avg_sq"] = zeros_state(p)
            step = next_step(state["step"])
            g, kw = complex_decay(group, p, g, opts)
            arrays = (_arr(p), _arr(g), _arr(state["exp_avg"]), _arr(state["exp_avg_sq"]),
                      _arr(state["max_exp_avg_sq"]) if amsgrad else None)
            if _fused_cpu.applies(group, *arrays):  # (PyTorch's fused kernel's rounding)
                _fused_cpu.adam(*arrays, step, **kw)
            else:
                F.adam(*arrays, step, **kw)
            p._vc.v += 1
