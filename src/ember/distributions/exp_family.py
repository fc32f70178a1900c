"""``ExponentialFamily`` (defined beside ``Distribution``; this module mirrors PyTorch's
``torch.distributions.exp_family``)."""
from __future__ import annotations

from .distribution import ExponentialFamily

__all__ = ["ExponentialFamily"]
