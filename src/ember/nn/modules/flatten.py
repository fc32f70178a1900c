"""``torch.nn.modules.flatten``: where PyTorch keeps Flatten, Unflatten (ember defines them in
``linear.py``), for code that imports them from here."""
from .linear import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
