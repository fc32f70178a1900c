"""``ember.special``: PyTorch's ``torch.special``."""
from __future__ import annotations

from ._unsupported import module_getattr as _module_getattr

__getattr__ = _module_getattr("torch.special")
