"""``SparseAdam``: Adam for sparse gradients (``nn.Embedding(sparse=True)``): only the
moments of the rows a gradient touches are updated (see ``ember._sparse``)."""
from __future__ import annotations

from .optimizer import Optimizer, lr_scalar, with_grad, zeros_state

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """``torch.optim.SparseAdam``: Adam's update on the entries of sparse gradients."""

    _takes_sparse = True

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
        sparse = [[i, j] for i, grp in enumerate(self.param_groups)
                  for j, p in enumerate(grp["params"]) if p.is_sparse]
        if sparse:
            raise ValueError(f"Sparse params at indices {sparse}: SparseAdam requires dense "
                             "parameter tensors")
        cplx = [[i, j] for i, grp in enumerate(self.param_groups)
                for j, p in enumerate(grp["params"]) if p.dtype.is_complex]
        if cplx:
            raise ValueError(f"Complex params at indices {cplx}: SparseAdam does not support "
                             "complex parameters")

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        from .._sparse import sparse_adam_update

        lr = lr_scalar(group["lr"])
        beta1, beta2 = group["betas"]
        for p, g in with_grad(group):
            if not g.is_sparse:
                raise RuntimeError("SparseAdam does not support dense gradients, please "
                                   "consider Adam instead")
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = zeros_state(p)
                state["exp_avg_sq"] = zeros_state(p)
            state["step"] += 1
            sparse_adam_update(p, g, state, lr, beta1, beta2, group["eps"], group["maximize"])
