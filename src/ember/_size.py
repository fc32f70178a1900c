"""``Size``: the shape of a tensor, a tuple that prints as ``torch.Size([3, 28, 28])``."""
from __future__ import annotations

import operator

from ._ctype import CTypeName


def _as_int(s, i):
    """An element of a Size: an int, or anything with ``__index__`` (not a float)."""
    if type(s) is int:
        return s
    try:
        return operator.index(s)
    except TypeError:
        raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                        f"'{type(s).__name__}')") from None


class Size(tuple, metaclass=CTypeName):
    """A tuple of ints describing a tensor's shape."""

    __slots__ = ()
    _c_name = "torch.Size"

    def __new__(cls, iterable=()):
        items = tuple(iterable)
        for s in items:
            if type(s) is not int:
                items = [_as_int(s, i) for i, s in enumerate(items)]
                break
        return super().__new__(cls, items)

    def __repr__(self):
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def __getitem__(self, key):
        r = super().__getitem__(key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            # (PyTorch's concatenation comes last: the other operand's ``__radd__`` first)
            radd = getattr(type(other), "__radd__", None)
            r = NotImplemented if radd is None else radd(other, self)
            if r is NotImplemented:
                raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to "
                                "torch.Size")
            return r
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple(self) * n)

    def __rmul__(self, n):
        if isinstance(n, (list, tuple, str, bytes, bytearray)):
            return NotImplemented  # (``[1] * size``: the list's own error)
        if not hasattr(type(n), "__index__"):
            raise TypeError(f"can't multiply sequence by non-int of type '{type(n).__name__}'")
        return Size(tuple(self) * n)

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __reduce__(self):
        return Size, (tuple(self),)
