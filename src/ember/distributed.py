"""``torch.distributed``: ember runs in one process, so there is no process group.

``is_available()`` and ``is_initialized()`` say so (scripts use them as guards); everything
else is named as unsupported.
"""
from __future__ import annotations

from ._unsupported import module_getattr as _module_getattr


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


__getattr__ = _module_getattr("torch.distributed")
