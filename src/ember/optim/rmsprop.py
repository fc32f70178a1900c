"""``RMSprop``: steps scaled by a running average of squared gradients."""
from __future__ import annotations

from . import _differentiable
from . import _functional as F
from ._functional import update_array as _arr
from .optimizer import (Optimizer, check_flags, check_lr, complex_decay, multi_tensor, next_step,
                        with_grad, zeros_state)
from .optimizer import lr_scalar

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, as ``torch.optim.RMSprop`` (``alpha`` is the smoothing constant;
    ``centered`` normalises by the gradient's estimated variance).

    >>> opt = ember.optim.RMSprop(model.parameters(), lr=1e-2, momentum=0.9)
    """

    _tensor_step = True

    _capturable_foreach = (None, True)
    _group_fill = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                   "differentiable": False, "capturable": False}

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)
        check_flags(differentiable, name="RMSprop")

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        if group["differentiable"]:  # (tensor ops that autograd records)
            return _differentiable.rmsprop(self, group)
        momentum, centered = group["momentum"], group["centered"]
        opts = {"lr": lr_scalar(group["lr"]), "alpha": group["alpha"], "eps": group["eps"],
                "weight_decay": group["weight_decay"], "momentum": momentum,
                "centered": centered, "maximize": group["maximize"]}
        if multi_tensor(group):  # (PyTorch's multi-tensor update: see ``F._fs``)
            opts["foreach"] = True
        for p, g in with_grad(group):
            state = self.state[p]
            if not state:
                self._init_state(state, group, p, "square_avg")
                if momentum > 0:
                    state["momentum_buffer"] = zeros_state(p)
                if centered:
                    state["grad_avg"] = zeros_state(p)
            next_step(state["step"])
            g, kw = complex_decay(group, p, g, opts)
            F.rmsprop(_arr(p), _arr(g), _arr(state["square_avg"]),
                      _arr(state["grad_avg"]) if centered else None,
                      _arr(state["momentum_buffer"]) if momentum > 0 else None, **kw)
            p._vc.v += 1
