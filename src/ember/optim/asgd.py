"""``ASGD``: stochastic gradient descent with iterate averaging (Polyak-Ruppert)."""
from __future__ import annotations

from .._ops.complex import view_as_real
from .._ops.creation import tensor
from .._tensor import Tensor
from . import _functional as F
from ._functional import update_array as _arr
from .optimizer import Optimizer, check_flags, scalar_dtype, with_grad, zeros_state
from .optimizer import lr_scalar

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD, as ``torch.optim.ASGD`` (its single-tensor algorithm, op for op).

    Each step decays the parameter by ``1 - lambd * eta``, takes a gradient step of size
    ``eta``, and folds the parameter into the running average ``ax`` with weight ``mu``;
    ``eta = lr / (1 + lambd * lr * step) ** alpha`` and ``mu = 1 / max(1, step - t0)``.

    >>> opt = ember.optim.ASGD(model.parameters(), lr=1e-2)
    """

    _capturable_what = "params, mus, etas, and state_steps"
    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "capturable": False}

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)
        check_flags(differentiable)

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        lr, lambd, t0 = lr_scalar(group["lr"]), group["lambd"], group["t0"]
        for p, g in with_grad(group):
            state = self.state[p]
            if not state:
                # (all three on the parameter's device, as PyTorch keeps them for ASGD)
                state["step"] = tensor(0.0, dtype=scalar_dtype(), device=p.device)
                state["eta"] = tensor(lr, dtype=scalar_dtype(), device=p.device)
                state["mu"] = tensor(1.0, dtype=scalar_dtype(), device=p.device)
                state["ax"] = zeros_state(p)
            if group["maximize"]:
                g = -g
            step_t, eta, mu, ax = state["step"], state["eta"], state["mu"], state["ax"]
            if p.is_complex():  # (PyTorch updates complex parameters as their real views)
                p, g, ax = view_as_real(p), view_as_real(g), view_as_real(ax)
            step_t += 1
            if group["weight_decay"] != 0:
                g = g.add(p, alpha=group["weight_decay"])
            if group["foreach"]:
                # PyTorch's multi-tensor ASGD folds the decay into the gradient step,
                # ``p - eta * (g + lambd * p)``, and always blends the average with ``mu``;
                # its roundings differ from the single-tensor update's, so follow it here.
                inter = g.add(p, alpha=lambd)
                F.addcmul_(_arr(p), _arr(inter), eta._data, -1)
                p._vc.v += 1
                F.addcmul_(_arr(ax), _arr(p.sub(ax)), mu._data)
                ax._vc.v += 1
            else:
                eta_value = eta.item()
                p.mul_(1 - lambd * eta_value)   # the decay
                p.add_(g, alpha=-eta_value)     # the gradient step
                if mu.item() != 1:               # the running average
                    ax.add_(p.sub(ax).mul_(mu))
                else:
                    ax.copy_(p)
            step = step_t.item()
            # (PyTorch makes each new value a tensor of the default scalar dtype, then copies
            # it in: a state loaded into float64 still holds float32-rounded values.  Its
            # multi-tensor update computes eta from the step *tensor*, in the step's dtype.)
            if group["foreach"]:
                s = step_t.cpu()._data.reshape(())[()]
                new_eta = F._div(lr, F._pow(1 + lambd * lr * s, group["alpha"]))
                eta.copy_(tensor(new_eta, dtype=scalar_dtype()))
            elif isinstance(group["lr"], Tensor):
                # (a tensor lr: the new eta is a tensor of its dtype, as it is in PyTorch, and
                # keeps that precision in a state that was loaded into the parameter's dtype)
                new_eta = F._div(lr, F._pow(1 + lambd * lr * step, group["alpha"]))
                eta.copy_(tensor(new_eta, dtype=group["lr"].dtype))
            else:
                new_eta = lr / ((1 + lambd * lr * step) ** group["alpha"])
                eta.copy_(tensor(new_eta, dtype=scalar_dtype()))
            mu.copy_(tensor(1 / max(1, step - t0), dtype=scalar_dtype()))
