"""``Adamax``: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

from . import _differentiable
from . import _functional as F
from ._functional import update_array as _arr
from .optimizer import (Optimizer, check_adam_options, check_flags, check_lr, complex_decay,
                        multi_tensor, next_step, scalar, with_grad)
from .optimizer import lr_scalar

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, as ``torch.optim.Adamax``.

    >>> opt = ember.optim.Adamax(model.parameters(), lr=2e-3)
    """

    _tensor_step = True

    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "capturable": False}

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_adam_options(eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        check_flags(differentiable, name="Adamax")

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        if group["differentiable"]:  # (tensor ops that autograd records)
            return _differentiable.adamax(self, group)
        beta1, beta2 = group["betas"]
        # (PyTorch's multi-tensor update takes a tensor lr's value as a Python float)
        lr = scalar(group["lr"]) if multi_tensor(group) else lr_scalar(group["lr"])
        opts = {"lr": lr, "beta1": lr_scalar(beta1), "beta2": lr_scalar(beta2), "eps": group["eps"],
                "weight_decay": group["weight_decay"], "maximize": group["maximize"]}
        if multi_tensor(group):  # (PyTorch's multi-tensor update: see ``F._fs``)
            opts["foreach"] = True
        for p, g in with_grad(group):
            state = self.state[p]
            if not state:
                self._init_state(state, group, p, "exp_avg", "exp_inf")
            step = next_step(state["step"])
            g, kw = complex_decay(group, p, g, opts)
            F.adamax(_arr(p), _arr(g), _arr(state["exp_avg"]), _arr(state["exp_inf"]), step,
                     **kw)
            p._vc.v += 1
