"""``RAdam``: Adam with the variance of its adaptive step rectified early in training."""
from __future__ import annotations

from . import _functional as F
from ._functional import update_array as _arr
from .optimizer import (Optimizer, check_adam_options, check_flags, check_lr, next_step,
                        with_grad, multi_tensor)
from .optimizer import lr_scalar

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, as ``torch.optim.RAdam``; ``decoupled_weight_decay=True`` gives RAdamW.

    >>> opt = ember.optim.RAdam(model.parameters(), lr=1e-3)
    """

    _tensor_step = True

    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "decoupled_weight_decay": False, "capturable": False}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_lr(lr)
        check_adam_options(eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_flags(differentiable)

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        beta1, beta2 = group["betas"]
        opts = {"lr": lr_scalar(group["lr"]), "beta1": lr_scalar(beta1), "beta2": lr_scalar(beta2),
                "eps": group["eps"],
                "weight_decay": group["weight_decay"],
                "decoupled_weight_decay": group["decoupled_weight_decay"],
                "maximize": group["maximize"], "foreach": multi_tensor(group)}
        for p, g in with_grad(group):
            state = self.state[p]
            if not state:
                self._init_state(state, group, p, "exp_avg", "exp_avg_sq")
            step = next_step(state["step"])
            F.radam(_arr(p), _arr(g), _arr(state["exp_avg"]), _arr(state["exp_avg_sq"]), step,
                    **opts)
            p._vc.v += 1
