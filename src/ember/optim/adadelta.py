"""``Adadelta``: steps from running averages of squared gradients and squared updates."""
from __future__ import annotations

from . import _differentiable
from . import _functional as F
from ._functional import update_array as _arr
from .optimizer import (Optimizer, check_flags, check_lr, complex_decay, multi_tensor,
                        next_step, with_grad)
from .optimizer import lr_scalar

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, as ``torch.optim.Adadelta`` (``rho`` is the averages' decay).

    >>> opt = ember.optim.Adadelta(model.parameters())
    """

    _tensor_step = True

    _capturable_xla = False
    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "capturable": False}

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_flags(differentiable, name="Adadelta")

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        if group["differentiable"]:  # (tensor ops that autograd records)
            return _differentiable.adadelta(self, group)
        opts = {"lr": lr_scalar(group["lr"]), "rho": group["rho"], "eps": group["eps"],
                "weight_decay": group["weight_decay"], "maximize": group["maximize"]}
        if multi_tensor(group):  # (PyTorch's multi-tensor update: see ``F._fs``)
            opts["foreach"] = True
        for p, g in with_grad(group):
            state = self.state[p]
            if not state:
                self._init_state(state, group, p, "square_avg", "acc_delta")
            next_step(state["step"])
            g, kw = complex_decay(group, p, g, opts)
            F.adadelta(_arr(p), _arr(g), _arr(state["square_avg"]), _arr(state["acc_delta"]),
                       complex_step=p.is_complex() and not multi_tensor(group), **kw)
            p._vc.v += 1
