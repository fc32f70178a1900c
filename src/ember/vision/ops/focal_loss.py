"""Focal loss (Lin et al., 2017, RetinaNet) on logits."""
from __future__ import annotations

import ember

from ... import nn

__all__ = ["sigmoid_focal_loss"]


def sigmoid_focal_loss(inputs, targets, alpha: float = 0.25, gamma: float = 2,
                       reduction: str = "none"):
    """Binary cross-entropy on ``inputs`` (logits) scaled by ``(1 - p_t) ** gamma``.

    ``p_t`` is the predicted probability of the true class; ``alpha`` (in [0, 1], or -1 for
    none) weighs positives by ``alpha`` and negatives by ``1 - alpha``.  ``reduction`` is
    ``"none"``, ``"mean"`` or ``"sum"``.
    """
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(f"Invalid alpha value: {alpha}. alpha must be in the range [0,1] or -1 "
                         "for ignore.")
    p = ember.sigmoid(inputs)
    ce_loss = nn.functional.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction "
                     "modes: 'none', 'mean', 'sum'")
