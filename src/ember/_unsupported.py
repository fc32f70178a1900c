"""The error for a PyTorch API that ember does not have.

It is both a ``NotImplementedError`` (what a person reading the traceback should see: the
PyTorch name that is missing) and an ``AttributeError`` (so ``hasattr(torch, "compile")``
and ``getattr(x, name, default)`` keep working in code that probes for features).
"""
from __future__ import annotations


class Unsupported(NotImplementedError, AttributeError):
    """A PyTorch function, class or module that ember does not provide."""


def module_getattr(torch_name: str):
    """A PEP 562 ``__getattr__`` for an ember module that stands for ``torch_name``."""

    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(f"module '{torch_name}' has no attribute '{name}'")
        raise Unsupported(f"{torch_name}.{name} is not supported by ember")
    return __getattr__
