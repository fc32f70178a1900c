"""``SparseAdam``: Adam for sparse gradients.  ember's tensors are dense, so its ``step``
meets only dense gradients, which it refuses as PyTorch does."""
from __future__ import annotations

from .optimizer import Optimizer, with_grad

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """``torch.optim.SparseAdam``: its checks, and its error for dense gradients."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize})
        cplx = [[i, j] for i, grp in enumerate(self.param_groups)
                for j, p in enumerate(grp["params"]) if p.dtype.is_complex]
        if cplx:
            raise ValueError(f"Complex params at indices {cplx}: SparseAdam does not support "
                             "complex parameters")

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        for _p, _g in with_grad(group):
            raise RuntimeError("SparseAdam does not support dense gradients, please consider "
                               "Adam instead")
