"""Warnings that point at the user's line, as PyTorch's C++ warnings do.

``warn`` attributes the warning to the first caller outside ember, however deep inside
ember it was raised, so that ``F.softmax(x)`` warns about the user's line and Python's
once-per-location filter treats two calls on two lines as two warnings.
"""
from __future__ import annotations

import os
import sys
import warnings

_ROOT = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message, category=UserWarning, stacklevel=None):
    """``warnings.warn`` from the nearest frame outside ember (``stacklevel`` is ignored)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_ROOT):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


_once: set = set()
warn_always = False  # ``torch.set_warn_always(True)``: the once-only warnings every time


def warn_once(key, message, category=UserWarning):
    """PyTorch's ``TORCH_WARN_ONCE``: only the first call with ``key`` in a process warns."""
    if key not in _once or warn_always:
        _once.add(key)
        warn(message, category)
