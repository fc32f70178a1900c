"""``ASGD``: stochastic gradient descent with iterate averaging (Polyak-Ruppert)."""
from __future__ import annotations

from .._ops.creation import tensor
from .optimizer import Optimizer, check_flags, scalar, scalar_dtype, with_grad, zeros_state

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD, as ``torch.optim.ASGD`` (its single-tensor algorithm, op for op).

    Each step decays the parameter by ``1 - lambd * eta``, takes a gradient step of size
    ``eta``, and folds the parameter into the running average ``ax`` with weight ``mu``;
    ``eta = lr / (1 + lambd * lr * step) ** alpha`` and ``mu = 1 / max(1, step - t0)``.

    >>> opt = ember.optim.ASGD(model.parameters(), lr=1e-2)
    """

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
        lr, lambd, t0 = scalar(group["lr"]), group["lambd"], group["t0"]
        for p, g in with_grad(group):
            state = self.state[p]
            if not state:
                state["step"] = tensor(0.0, dtype=scalar_dtype())
                state["eta"] = tensor(lr, dtype=scalar_dtype())
                state["mu"] = tensor(1.0, dtype=scalar_dtype())
                state["ax"] = zeros_state(p)
            if group["maximize"]:
                g = -g
            step_t, eta, mu, ax = state["step"], state["eta"], state["mu"], state["ax"]
            step_t += 1
            if group["weight_decay"] != 0:
                g = g.add(p, alpha=group["weight_decay"])
            eta_value = eta.item()
            p.mul_(1 - lambd * eta_value)   # the decay
            p.add_(g, alpha=-eta_value)     # the gradient step
            if mu.item() != 1:               # the running average
                ax.add_(p.sub(ax).mul_(mu))
            else:
                ax.copy_(p)
            step = step_t.item()
            eta.fill_(lr / ((1 + lambd * lr * step) ** group["alpha"]))
            mu.fill_(1 / max(1, step - t0))
