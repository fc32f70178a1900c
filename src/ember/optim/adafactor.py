"""``Adafactor``: Adam-like steps with factored (row and column) second moments."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._ops.creation import tensor, zeros_like
from .._tensor import Tensor
from .optimizer import Optimizer, lr_scalar, scalar_dtype, with_grad

__all__ = ["Adafactor"]


def _multi_scalar(x, t, multi):
    """The number ``x`` as PyTorch's in-place multi-tensor ``_foreach_mul_`` (``multi``) takes
    it beside the tensor ``t``: rounded to a float16/bfloat16 ``t``'s dtype first, through
    float32 (its kernel then multiplies in float32).  (A tensor lr's factors stay tensors
    there, NumPy scalars here: those are not rounded.)"""
    if multi and t.dtype in (D.float16, D.bfloat16) and type(x) is float and \
            t.device.type == "cpu":  # (the CPU's kernel: a GPU's takes the number as it is)
        return float(np.float32(x).astype(t._data.dtype))
    return x


class Adafactor(Optimizer):
    """Adafactor, as ``torch.optim.Adafactor`` (its single-tensor algorithm, op for op).

    A matrix (or batch of them) keeps one running mean of squared gradients per row and per
    column; their outer product, over the rows' mean, estimates the second moment.  A vector
    keeps a full running mean.  The step is relative to the parameter's RMS (``eps[1]`` at
    least) and clipped so that the update's RMS stays under ``d``.

    >>> opt = ember.optim.Adafactor(model.parameters(), lr=1e-2)
    """

    _group_fill = {"foreach": None, "maximize": False}

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        lr, d, wd = lr_scalar(group["lr"]), group["d"], group["weight_decay"]
        eps1, eps2 = group["eps"]
        for p, g in with_grad(group):
            if p.dtype.is_complex:
                raise RuntimeError("Adafactor does not support complex parameters")
            state = self.state[p]
            if not state:
                state["step"] = tensor(0.0, dtype=scalar_dtype())
                if g.dim() > 1:
                    state["row_var"] = g.new_zeros(tuple(g.shape[:-1]) + (1,))
                    state["col_var"] = g.new_zeros(tuple(g.shape[:-2]) + (1, g.shape[-1]))
                else:
                    state["variance"] = zeros_like(g)
            if group["maximize"]:
                g = -g
            e1 = D.finfo(p.dtype).eps if eps1 is None else eps1
            state["step"] += 1
            step = state["step"].item()
            beta2_t = step ** group["beta2_decay"]  # (this is 1 - beta2 at this step)
            rho = min(lr, 1 / (step ** 0.5))
            alpha = max(eps2, p.norm(2).item() / (p.numel() ** 0.5)) * rho
            if wd != 0:  # (a tensor lr makes a 0-d tensor factor, as in PyTorch)
                lr_t = group["lr"]
                p.mul_(1 - lr_t * wd if isinstance(lr_t, Tensor) else
                       _multi_scalar(1 - lr * wd, p, group["foreach"]))
            if g.dim() > 1:
                row_var, col_var = state["row_var"], state["col_var"]
                row_var.lerp_(g.norm(dim=-1, keepdim=True).square_().div_(g.size(-1)), beta2_t)
                col_var.lerp_(g.norm(dim=-2, keepdim=True).square_().div_(g.size(-2)), beta2_t)
                var = row_var @ col_var
                var.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=e1))
            else:
                variance = state["variance"]
                variance.lerp_(g * g, beta2_t)
                var = variance.clone()
            update = var.clamp_(min=e1 * e1).rsqrt_()
            update.mul_(g)
            denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d))
            if group["foreach"]:  # (PyTorch's multi-tensor update scales, then adds)
                p.add_(update.mul_(_multi_scalar(-alpha / denom, update, True)))
            else:
                p.add_(update, alpha=-alpha / denom)
