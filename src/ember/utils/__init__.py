"""Utilities, as ``torch.utils``: ``ember.utils.data`` holds datasets, samplers and
``DataLoader``; ``ember.utils.checkpoint`` recomputes activations instead of storing them."""
from . import checkpoint, data, deterministic, hooks  # noqa: F401
from . import _pytree, dlpack  # noqa: F401,E402

__all__ = ["checkpoint", "data", "deterministic", "hooks"]
