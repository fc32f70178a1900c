"""``Muon``: momentum SGD whose update is orthogonalised by a Newton-Schulz iteration."""
from __future__ import annotations

import math

from .._ops._core import wrap
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from . import _functional as F
from .optimizer import Optimizer, lr_scalar, with_grad, zeros_state

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _orthogonalise(update: Tensor, coefficients, ns_steps: int, eps: float) -> Tensor:
    """``ns_steps`` rounds of the quintic Newton-Schulz map ``X <- aX + (bA + cA^2)X`` with
    ``A = XX^T``, in bfloat16 as PyTorch runs it, on the update scaled to unit norm (the wide
    side last); the result is roughly ``U V^T`` of the update's SVD."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if update.dim() != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = coefficients
    tall = update.size(0) > update.size(1)
    x = update.bfloat16()
    if tall:
        x = x.T
    x.div_(x.norm().clamp(min=eps))
    for _ in range(ns_steps):
        gram = x @ x.T
        poly = gram.addmm(gram, gram, beta=b, alpha=c)
        x = x.addmm(poly, x, beta=a)
    return x.T if tall else x


def _adjusted_lr(lr, adjust_lr_fn, shape):
    """The learning rate scaled for the matrix's shape: ``sqrt(max(1, rows/cols))`` by
    default ("original"), ``0.2 * sqrt(max(rows, cols))`` for "match_rms_adamw"."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """Muon, as ``torch.optim.Muon``: for 2-D parameters (hidden layers' weights); biases,
    embeddings and other parameters belong with an optimizer such as AdamW.

    Each step keeps ``buf = lerp(buf, grad, 1 - momentum)``, takes
    ``lerp(grad, buf, momentum)`` (Nesterov) or ``buf``, orthogonalises it, decays the
    parameter by ``1 - lr * weight_decay`` and moves it by ``-adjusted_lr`` times the result.

    >>> opt = ember.optim.Muon([p for p in model.parameters() if p.ndim == 2], lr=0.02)
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS,
                 ns_steps=DEFAULT_NS_STEPS, adjust_lr_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum,
                    "nesterov": nesterov, "ns_coefficients": ns_coefficients, "eps": eps,
                    "ns_steps": ns_steps, "adjust_lr_fn": adjust_lr_fn}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.dim() != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def step(self, closure=None):
        return self._run_step(closure, self._update_group)

    def _update_group(self, group):
        lr, wd, momentum = lr_scalar(group["lr"]), group["weight_decay"], group["momentum"]
        for p, g in with_grad(group):
            if p.is_complex():
                raise RuntimeError("Muon does not support complex parameters")
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = zeros_state(g)
            buf = state["momentum_buffer"]
            with no_grad():
                # (the lerps through ``_functional``, rounded as PyTorch's CPU kernel rounds)
                F.lerp_(buf._data, g._data, 1 - momentum)
                buf._vc.v += 1
                if group["nesterov"]:
                    update = wrap(F.lerp_(g._data.copy(), buf._data, momentum), g._device)
                else:
                    update = buf
                update = _orthogonalise(update, group["ns_coefficients"], group["ns_steps"],
                                        group["eps"])
                p.mul_(1 - lr * wd)
                # (bfloat16 -> p's dtype is exact; then one fused multiply-add, as PyTorch)
                F.add_(p._data, update.to(p.dtype)._data,
                       -_adjusted_lr(lr, group["adjust_lr_fn"], p.shape))
                p._vc.v += 1
