"""``torch.overrides``: the public side of the ``__torch_function__`` protocol.

>>> class Logged(ember.Tensor):
...     @classmethod
...     def __torch_function__(cls, func, types, args=(), kwargs=None):
...         print(func.__name__)
...         return super().__torch_function__(func, types, args, kwargs)
>>> _ = ember.ones(2).as_subclass(Logged) + 1
add
"""
from __future__ import annotations

import functools
import warnings

from . import _subclass as _sc
from ._subclass import handle_torch_function, has_torch_function  # noqa: F401
from ._tensor import Tensor

__all__ = ["BaseTorchFunctionMode", "TorchFunctionMode", "enable_reentrant_dispatch",
           "get_ignored_functions", "get_overridable_functions", "handle_torch_function",
           "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic",
           "is_tensor_like", "is_tensor_method_or_property", "resolve_name",
           "wrap_torch_function"]


def has_torch_function_unary(a) -> bool:
    return has_torch_function((a,))


def has_torch_function_variadic(*args) -> bool:
    return has_torch_function(args)


def is_tensor_like(inp) -> bool:
    """Whether ``inp`` is a tensor or has a ``__torch_function__`` (a tensor-like)."""
    return type(inp) is Tensor or hasattr(inp, "__torch_function__")


def wrap_torch_function(dispatcher):
    """A decorator making ``func`` dispatch on the arguments ``dispatcher(*args, **kwargs)``
    returns."""
    def inner(func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            relevant = dispatcher(*args, **kwargs)
            if has_torch_function(relevant):
                return handle_torch_function(wrapped, relevant, *args, **kwargs)
            return func(*args, **kwargs)
        return wrapped
    return inner


def _tensor_methods():
    _sc._activate()
    out = []
    for name in _sc._ORIGINALS:
        attr = vars(Tensor).get(name)  # (Tensor's own, or the dispatching one put there)
        if isinstance(attr, property):
            out.append(attr.__get__)
        elif callable(attr):
            out.append(attr)
    return out


def get_overridable_functions() -> dict:
    """The functions ``__torch_function__`` sees, by namespace: ``{ember: [...],
    ember.Tensor: [...], ember.nn.functional: [...], ...}``."""
    import sys

    out = {}
    for module, table in _sc.PUBLIC.items():
        ns = sys.modules.get("ember" + module[len("torch"):])
        out[ns if ns is not None else module] = list(table.values())
    out[Tensor] = _tensor_methods()
    return out


def get_ignored_functions() -> set:
    """Public functions that never dispatch (``torch.is_tensor``, ``torch.manual_seed``, ...)
    and the Tensor methods that are not offered to handlers (``as_subclass``)."""
    import ember

    out = {getattr(ember, n) for n in _sc._NEVER if callable(getattr(ember, n, None))}
    out.update((Tensor.as_subclass, Tensor._make_subclass, Tensor.__init_subclass__,
                Tensor.__hash__, Tensor.__dir__))
    return out


@functools.lru_cache(maxsize=None)
def _names():
    names = {}
    for module, table in _sc.PUBLIC.items():
        for name, fn in table.items():
            names.setdefault(fn, f"{module}.{name}")
    for table in (_sc._ORIGINALS, _sc._WRAPPERS):  # (the dispatching ones: Tensor's too)
        for name, attr in table.items():
            names.setdefault(attr, f"torch.Tensor.{name}")
    return names


def resolve_name(f):
    """A readable name for a function ``__torch_function__`` was given (``torch.add``,
    ``Tensor.add``), or ``None``."""
    _sc._activate()
    if getattr(f, "__name__", None) in ("__get__", "__set__"):
        owner = getattr(f, "__self__", None)
        for table in (_sc._ORIGINALS, _sc._WRAPPERS):
            for name, attr in table.items():
                if attr is owner:
                    return f"torch.Tensor.{name}.{f.__name__}"
    return _names().get(f)


def is_tensor_method_or_property(func) -> bool:
    """Whether ``func`` is a Tensor method (or a property's ``__get__``) as passed to
    ``__torch_function__``."""
    _sc._activate()
    methods = {*_sc._ORIGINALS.values(), *_sc._WRAPPERS.values()}
    return func in methods or getattr(func, "__name__", None) == "__get__"


class TorchFunctionMode:
    """Overrides every ``__torch_function__``-aware call while entered (``with Mode():``).

    Subclass it and define ``__torch_function__(self, func, types, args=(), kwargs=None)``;
    inside it the mode is set aside, so calling ``func(*args, **kwargs)`` reaches the next
    mode, the tensor subclasses, then the implementation."""

    def __init__(self) -> None:
        pass

    def __torch_function__(self, func, types, args=(), kwargs=None):
        raise NotImplementedError

    def __enter__(self):
        _sc.push_mode(self)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        _sc.pop_mode()

    @classmethod
    def push(cls, *args, **kwargs):
        warnings.warn("`Mode.push()` is no longer necessary and can be replaced with just "
                      "`with Mode()`", stacklevel=2)
        return cls(*args, **kwargs)


class BaseTorchFunctionMode(TorchFunctionMode):
    """A mode that runs every function as it is."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


def _get_current_function_mode():
    return _sc.MODES[-1] if _sc.MODES else None


def _get_current_function_mode_stack():
    return list(_sc.MODES)


def enable_reentrant_dispatch():
    """A context manager (a no-op in ember, which has no ``__torch_dispatch__``)."""
    import contextlib

    return contextlib.nullcontext()
