"""The few names of ``torch._C`` that Python code reaches for: the switches of the
``__torch_function__`` protocol (see ``ember._subclass``)."""
from __future__ import annotations

from ._subclass import DisableTorchFunction, DisableTorchFunctionSubclass  # noqa: F401
from ._subclass import disabled_torch_function_impl as _disabled_torch_function_impl  # noqa: F401
from ._subclass import has_torch_function as _has_torch_function  # noqa: F401
from ._subclass import is_torch_function_enabled as _is_torch_function_enabled  # noqa: F401
from ._subclass import is_torch_function_mode_enabled as _is_torch_function_mode_enabled  # noqa: F401,E501
from ._tensor import Tensor as TensorBase  # noqa: F401
from .random import Generator  # noqa: F401
from ._unsupported import module_getattr as _module_getattr


def _has_torch_function_unary(a) -> bool:
    return _has_torch_function((a,))


def _has_torch_function_variadic(*args) -> bool:
    return _has_torch_function(args)


__getattr__ = _module_getattr("torch._C")
