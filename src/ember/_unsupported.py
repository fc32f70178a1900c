"""The error for a PyTorch API that ember does not have.

It is both a ``NotImplementedError`` (what a person reading the traceback should see: the
PyTorch name that is missing) and an ``AttributeError`` (so ``hasattr(torch, "compile")``
and ``getattr(x, name, default)`` keep working in code that probes for features).
"""
from __future__ import annotations

import sys

from ._torch_names import TORCH_ONLY


class Unsupported(NotImplementedError, AttributeError):
    """A PyTorch function, class or module that ember does not provide."""


_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def _one_slip(word: str):
    """Every string one slip from ``word``: a character dropped, added, changed, or swapped
    with its neighbour."""
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        if tail:
            yield head + tail[1:]
        if len(tail) > 1:
            yield head + tail[1] + tail[0] + tail[2:]
        for c in _CHARS:
            if tail:
                yield head + c + tail[1:]
            yield head + c + tail


def typo_of(name: str, names) -> str | None:
    """The public name in ``names`` that ``name`` most likely misspells (ignoring case, one
    slip at most), if any.  Short names, digits, a first letter and a trailing underscore are
    left out: PyTorch has many real names one such step from another (``int4``, ``qint8``,
    ``chalf``, ``set_``/``get_``, in-place ``x_``), which ember may lack."""
    if name.startswith("_"):
        return None
    lower = {n.lower(): n for n in names if not n.startswith("_") and n != name}
    low = name.lower()
    if low in lower:
        return lower[low]
    if len(name) < 5 or name.endswith("_") or any(c.isdigit() for c in name):
        return None
    return next((lower[w] for w in _one_slip(low) if w in lower and w[:1] == low[:1]
                 and not w.endswith("_") and not any(c.isdigit() for c in w)), None)


def missing_attribute(message: str, name: str, obj, names) -> AttributeError:
    """The error for ``obj.name``: PyTorch's own ``AttributeError`` (``message``) when the
    name is a slip for one ember has (PyTorch has no such name either, and Python's traceback
    then suggests the right one); otherwise ``None`` (the caller says ember lacks it)."""
    if typo_of(name, names) is None:
        return None
    err = AttributeError(message)
    err.name, err.obj = name, obj
    return err


def module_getattr(torch_name: str):
    """A PEP 562 ``__getattr__`` for an ember module that stands for ``torch_name``."""
    owner = sys._getframe(1).f_globals.get("__name__")  # the module it is made for

    def __getattr__(name):
        message = f"module '{torch_name}' has no attribute '{name}'"
        if name.startswith("__"):
            raise AttributeError(message)
        module = sys.modules.get(owner)
        if module is not None:
            err = missing_attribute(message, name, module, list(vars(module)))
            if err is not None:
                raise err
        theirs = TORCH_ONLY.get(torch_name)
        if theirs is not None and not name.startswith("_") and name not in theirs:
            err = AttributeError(message)  # (PyTorch lacks it too: its own words)
            err.name, err.obj = name, module
            raise err
        raise Unsupported(f"{torch_name}.{name} is not supported by ember")
    return __getattr__
