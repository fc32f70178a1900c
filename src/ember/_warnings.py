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

# Where PyTorch 2.13's official CPU wheel was built: its C++ warnings (``TORCH_WARN``) end with
# " (Triggered internally at <this prefix><file>:<line>.)"
_CPP_ROOT = "/__w/pytorch/pytorch/"


def cpp_message(message, cpp):
    """``message`` as PyTorch's C++ gives it from ``cpp`` ("aten/src/ATen/...cpp:123"), with
    its location suffix; ``message`` unchanged where ``cpp`` is None."""
    if cpp is None:
        return message
    return f"{message} (Triggered internally at {_CPP_ROOT}{cpp}.)"


def warn(message, category=UserWarning, stacklevel=None, cpp=None):
    """``warnings.warn`` from the nearest frame outside ember (``stacklevel`` is ignored).
    ``cpp``: the file:line of PyTorch's C++ warning (relative to its build root), which the
    message ends with, as PyTorch's does.

    Where that frame called a module (``model(x)``), the warning is ember's ``Module.__call__``
    line's instead: PyTorch's module code is its own, so a warning raised in the call of one
    of its modules (from Python or C++) points there, and the default filter shows it once
    per process, however many user lines call modules."""
    frame, level = sys._getframe(0), 1
    inner = None
    while frame is not None and frame.f_code.co_filename.startswith(_ROOT):
        inner, frame, level = frame, frame.f_back, level + 1
    if inner is not None and inner.f_code.co_name == "__call__" and \
            inner.f_code.co_filename == _MODULE_CALL:
        level -= 1
    warnings.warn(cpp_message(message, cpp), category, stacklevel=level)


_MODULE_CALL = os.path.join(_ROOT, "nn", "modules", "module.py")


def warn_up(message, category=UserWarning, depth=1):
    """A warning that PyTorch's Python code gives with ``stacklevel=depth + 1``: shown at the
    frame ``depth`` above the ember function calling this when ember's own code is there
    (as PyTorch's shows it at a line of its own, so that the default filter shows it once per
    process, however many user lines reach it), else at the user's line.  ember's own call
    wrappers (PyTorch has none) are not counted."""
    frame, level = sys._getframe(1), 2
    for _ in range(depth):
        frame, level = (frame.f_back if frame is not None else None), level + 1
        while frame is not None and frame.f_code.co_filename in _WRAPPERS:
            frame, level = frame.f_back, level + 1
    if frame is not None and frame.f_code.co_filename.startswith(_ROOT):
        warnings.warn(message, category, stacklevel=level)
    else:
        warn(message, category)


# The files of ember's wrappers around its public functions (the parser's, ``__torch_function__``
# dispatch, autocast's), between a PyTorch function and its caller
_WRAPPERS = frozenset(os.path.join(_ROOT, *f) for f in (
    ("_subclass.py",), ("_argparse.py",), ("amp", "autocast_mode.py")))


_once: set = set()
warn_always = False  # ``torch.set_warn_always(True)``: the once-only warnings every time


def warn_once(key, message, category=UserWarning, cpp=None):
    """PyTorch's ``TORCH_WARN_ONCE``: only the first call with ``key`` in a process warns
    (``cpp`` as for ``warn``)."""
    if warn_always:  # (as PyTorch's: then the warning is not marked as given)
        warn(message, category, cpp=cpp)
    elif key not in _once:
        _once.add(key)
        warn(message, category, cpp=cpp)
