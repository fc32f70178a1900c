"""``torch.compiler``: ember runs everything eagerly (see ``torch.compile``), so nothing is
ever being compiled and ``disable`` leaves a function as it is."""
from __future__ import annotations

from ._unsupported import module_getattr as _module_getattr


def is_compiling() -> bool:
    return False


def is_dynamo_compiling() -> bool:
    return False


def disable(fn=None, recursive=True, *, reason=None):
    """``@torch.compiler.disable``: the function, unchanged."""
    if fn is None:
        return lambda f: f
    return fn


def reset() -> None:
    """Nothing is cached: nothing to reset."""


class set_stance:
    """How compiled code should run ('default', 'force_eager', 'fail_on_recompile', ...):
    ember runs it eagerly in every stance.  A call, a context manager or a decorator."""

    def __init__(self, stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
        self.stance = stance

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        return fn


__getattr__ = _module_getattr("torch.compiler")
