"""Python's operators for ember's stand-in array classes (the meta device's ``MetaArray`` and
the simulated GPU's ``SimArray``): each operator calls the NumPy ufunc, which the class then
handles in its ``__array_ufunc__``."""
from __future__ import annotations

import numpy as np

_ARITHMETIC = (("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
               ("truediv", np.true_divide), ("floordiv", np.floor_divide),
               ("mod", np.remainder), ("pow", np.power), ("matmul", np.matmul),
               ("and", np.bitwise_and), ("or", np.bitwise_or), ("xor", np.bitwise_xor),
               ("lshift", np.left_shift), ("rshift", np.right_shift))
_COMPARISONS = (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal))


def install_operators(cls, defers):
    """Give ``cls`` the arithmetic, reflected, in-place and comparison operators.
    ``defers(other)``: whether a binary operator returns NotImplemented for ``other`` (so
    that Python tries the other operand's reflected operator)."""
    def binary(ufunc, reflected=False):
        def op(self, other):
            if defers(other):
                return NotImplemented
            return ufunc(other, self) if reflected else ufunc(self, other)
        return op

    def inplace(ufunc):
        def op(self, other):
            ufunc(self, other, out=self)
            return self
        return op

    for name, ufunc in _ARITHMETIC:
        setattr(cls, f"__{name}__", binary(ufunc))
        setattr(cls, f"__r{name}__", binary(ufunc, True))
        setattr(cls, f"__i{name}__", inplace(ufunc))
    for name, ufunc in _COMPARISONS:
        setattr(cls, f"__{name}__", binary(ufunc))
    cls.__neg__ = lambda self: np.negative(self)
    cls.__pos__ = lambda self: np.positive(self)
    cls.__abs__ = lambda self: np.absolute(self)
    cls.__invert__ = lambda self: np.invert(self)
    cls.__divmod__ = lambda self, other: (self // other, self % other)
