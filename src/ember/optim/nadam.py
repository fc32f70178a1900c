"""``NAdam``: Adam with Nesterov momentum and a momentum-decay schedule."""
from __future__ import annotations

from .._tensor import Tensor
from . import _functional as F
from ._functional import update_array as _arr
from .optimizer import (Optimizer, check_adam_options, check_flags, check_lr, next_step,
                        with_grad, zeros_state, multi_tensor)
from .optimizer import lr_scalar

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam``; ``decoupled_weight_decay=True`` gives NAdamW.

    >>> opt = ember.optim.NAdam(model.parameters(), lr=2e-3)
    """

    _tensor_step = True

    _capturable_what = "params, mu_products and state_steps"
    _capturable_foreach = ("params, mu_products, and state_steps", False)
    _group_fill = {"maximize": False, "foreach": None, "capturable": False,
                   "differentiable": False, "decoupled_weight_decay": False}

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        check_adam_options(eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_flags(differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state.get(p)
                if st and not isinstance(st.get("mu_product"), Tensor):
                    st["mu_product"] = self._step_tensor(float(st["mu_product"]), group, p)

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        beta1, beta2 = group["betas"]
        opts = {"lr": lr_scalar(group["lr"]), "beta1": lr_scalar(beta1), "beta2": lr_scalar(beta2),
                "eps": group["eps"],
                "weight_decay": group["weight_decay"], "momentum_decay": group["momentum_decay"],
                "decoupled_weight_decay": group["decoupled_weight_decay"],
                "maximize": group["maximize"], "foreach": multi_tensor(group)}
        for p, g in with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = self._step_tensor(0.0, group, p)
                state["mu_product"] = self._step_tensor(1.0, group, p)
                state["exp_avg"] = zeros_state(p)
                state["exp_avg_sq"] = zeros_state(p)
            step = next_step(state["step"])
            mu_product = state["mu_product"]
            F.nadam(_arr(p), _arr(g), _arr(state["exp_avg"]), _arr(state["exp_avg_sq"]),
                    mu_product._data, step, **opts)
            mu_product._vc.v += 1
            p._vc.v += 1
