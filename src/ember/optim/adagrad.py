"""``Adagrad``: steps scaled by the accumulated sum of squared gradients."""
from __future__ import annotations

from .._tensor import Tensor
from . import _differentiable
from . import _functional as F
from . import _fused_cpu
from ._functional import update_array as _arr
from .optimizer import (Optimizer, check_flags, check_lr, complex_decay, full_state,
                        multi_tensor, next_step, with_grad)
from .optimizer import lr_scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, as ``torch.optim.Adagrad``.  Unlike the others, it makes every parameter's
    state (``step`` and ``sum``) when constructed, as PyTorch does.

    >>> opt = ember.optim.Adagrad(model.parameters(), lr=1e-2)
    """

    _takes_sparse = True

    _tensor_step = True

    _group_fill = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        check_flags(differentiable, fused, foreach, "Adagrad")
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = self._step_tensor(0.0, group, p)
                state["sum"] = full_state(p, _initial(p, initial_accumulator_value))

    def __setstate__(self, state):
        super().__setstate__(state)
        values = list(self.state.values())
        if values and not isinstance(values[0]["step"], Tensor):
            for s in values:
                s["step"] = self._step_tensor(float(s["step"]), {}, None)

    def share_memory(self) -> None:
        """Put each parameter's ``sum`` in shared memory (for Hogwild-style training in
        several processes); ``step`` stays where it is, as in PyTorch."""
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["sum"].share_memory_()

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    _fused_check = "both"

    def _fused_refuse(self, params):
        if any(p._grad.is_sparse or p.is_complex() for p in params):
            raise RuntimeError("`fused` does not support sparse grad or complex param")

    def _update_group(self, group):
        if group["differentiable"]:  # (tensor ops that autograd records)
            return _differentiable.adagrad(self, group)
        opts = {"lr": lr_scalar(group["lr"], group["fused"]), "lr_decay": group["lr_decay"],
                "eps": group["eps"],
                "weight_decay": group["weight_decay"], "maximize": group["maximize"]}
        if multi_tensor(group):  # (PyTorch's multi-tensor update: see ``F._fs``)
            opts["foreach"] = True
        for p, g in with_grad(group):
            state = self.state[p]
            if not state:
                # NOTE: PyTorch takes the initial value from the defaults, not from the group.
                state["step"] = self._step_tensor(0.0, group, p)
                init = _initial(p, self.defaults["initial_accumulator_value"])
                state["sum"] = full_state(p, init)
            step = next_step(state["step"])
            if g.is_sparse:  # (ember._sparse: on the coalesced gradient, as PyTorch)
                from .._sparse import adagrad_update

                adagrad_update(p, g, group, state, int(step))
                continue
            g, kw = complex_decay(group, p, g, opts)
            pa, ga, sa = _arr(p), _arr(g), _arr(state["sum"])
            if _fused_cpu.applies(group, pa, ga, sa):  # (PyTorch's fused kernel's rounding)
                _fused_cpu.adagrad(pa, ga, sa, step, **kw)
            else:
                F.adagrad(pa, ga, sa, step, **kw)
            p._vc.v += 1


def _initial(p, value):
    """The accumulator's first value: ``value`` in both the real and the imaginary part of a
    complex parameter's, as PyTorch fills it."""
    return complex(value, value) if p.is_complex() else value
