"""``Rprop``: resilient backpropagation, steps that follow only the gradient's sign."""
from __future__ import annotations

from .._ops._core import xp_of_array
from . import _functional as F
from ._functional import update_array as _arr
from .optimizer import Optimizer, check_flags, check_lr, full_state, next_step, scalar, \
    with_grad

__all__ = ["Rprop"]


def rprop(p, g, prev, step_size, *, etaminus, etaplus, step_size_min, step_size_max,
          maximize):
    """One Rprop update of the array ``p`` (in place, with its ``prev`` and ``step_size``).

    Each element's step size grows by ``etaplus`` while its gradient keeps its sign,
    shrinks by ``etaminus`` when the sign flips (and that element skips this step), and
    stays within ``[step_size_min, step_size_max]``; the parameter moves by its step size
    against the gradient's sign.  The arithmetic is PyTorch's single-tensor update, in
    the parameter's dtype.
    """
    xp = xp_of_array(p)
    # fresh arrays (NumPy gives scalars for 0-d ones): g's skipped elements are zeroed below
    g = xp.array(-g if maximize else g)
    factor = xp.array(xp.sign(g * prev))
    # NOTE: a NaN product keeps its NaN factor (and so NaN step sizes), as in PyTorch.
    factor[factor > 0] = etaplus
    factor[factor < 0] = etaminus
    factor[factor == 0] = 1
    step_size *= factor
    xp.clip(step_size, step_size_min, step_size_max, out=step_size)
    g[factor == etaminus] = 0
    F.addcmul_(p, xp.sign(g), step_size, -1)
    prev[...] = g


class Rprop(Optimizer):
    """The resilient backpropagation algorithm, as ``torch.optim.Rprop``.

    ``etas`` are the (decrease, increase) factors of the per-element step sizes,
    ``step_sizes`` their (minimum, maximum); ``lr`` is every step size's start.

    >>> opt = ember.optim.Rprop(model.parameters(), lr=0.01)
    """

    _tensor_step = True

    _capturable_foreach = (None, True)
    _group_fill = {"foreach": None, "maximize": False, "differentiable": False,
                   "capturable": False}

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)
        check_flags(differentiable)

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        opts = {"etaminus": etaminus, "etaplus": etaplus, "step_size_min": lo,
                "step_size_max": hi, "maximize": group["maximize"]}
        for p, g in with_grad(group):
            state = self.state[p]
            if not state:
                self._init_state(state, group, p, "prev")
                lr = scalar(group["lr"])
                # (complex: lr for both parts, as PyTorch fills it)
                state["step_size"] = full_state(g, complex(lr, lr) if g.is_complex() else lr)
            next_step(state["step"])
            rprop(_arr(p), _arr(g), _arr(state["prev"]), _arr(state["step_size"]), **opts)
            p._vc.v += 1
