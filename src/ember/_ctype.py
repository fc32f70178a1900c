"""PyTorch's C types by their C names in Python's own messages.

Python names an object's type in its messages (``'torch.Size' object is not callable``,
``unsupported operand type(s) for +: 'torch.dtype' and 'int'``) by the type's C-level name,
which for PyTorch's C types carries the module.  ``CTypeName`` gives an ember class that C
name while its ``__name__`` stays the short one (``Size``), as PyTorch's does.
"""
from __future__ import annotations

_TYPE_NAME = type.__dict__["__name__"]  # (type's own: setting it renames the C-level name)


class CTypeName(type):
    """Metaclass: a class (and each subclass) takes the C-level name ``_c_name`` (its own
    name where neither it nor a base gives one)."""

    def __init__(cls, name, bases, namespace, **kwargs):
        super().__init__(name, bases, namespace, **kwargs)
        cls._short_name = name
        _TYPE_NAME.__set__(cls, getattr(cls, "_c_name", name))

    @property
    def __name__(cls):
        return cls._short_name
