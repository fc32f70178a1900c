"""Tensor factories: from data, filled, ranges, and random (PyTorch's CPU streams)."""
from __future__ import annotations

import math
import numbers
import operator
from ember._warnings import warn as _warn
from ember._warnings import warn_once

import numpy as np

from .. import _dtype as D
from . import _core
from ..backends import _uninitialized_fill
from .._device import CPU, canonical, xp_for
from .._random import _fma64
from .._tensor import Tensor
from ._core import format_invalid_args, mapped, need_tensor, shape_arg, tp_name, wrap
from ._core import _may_overlap, has_internal_overlap, quiet, writable_alias


_default_device = None  # ``torch.set_default_device``'s device (None: the CPU)


_EMPTY_OP = "aten::empty.memory_format"  # (the op a factory allocates with, in PyTorch)


def _device(device, op=_EMPTY_OP):
    if device is None:
        if _default_device is None:
            return CPU
        device = _default_device
    return canonical(device, op)


def _finish(arr, device, requires_grad, dtype_known=True, op=_EMPTY_OP):
    dev = _device(device, op)
    if dev.type != "cpu":
        arr = xp_for(dev).asarray(arr)
    t = wrap(arr, dev)
    if requires_grad:
        _require_grad(t)
    if _core._mapped_hook is not None:  # (a vmap runs: a factory's result is not mapped)
        _core._mapped_hook((), t._data)
    return t


def _require_grad(t):
    """``requires_grad=True`` at construction (a factory's or ``Parameter``'s argument), whose
    dtype error PyTorch words apart from ``requires_grad_()``'s."""
    if t.dtype._kind < 2:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    t.requires_grad_(True)


# -- from data --------------------------------------------------------------------

def _scalar_dtype_of(x):
    """The dtype PyTorch infers for one leaf of nested data (None when not a number)."""
    if isinstance(x, (bool, np.bool_)):
        return D.bool
    if isinstance(x, np.generic):
        return D.from_numpy_dtype(x.dtype)
    # NOTE: Python's own number types only, as PyTorch: a Fraction or a Decimal is refused
    # (NumPy would turn Fraction(1, 2) into 0)
    if isinstance(x, int):
        return D.int64
    if isinstance(x, float):
        return D.get_default_dtype()
    if isinstance(x, complex):
        return D.default_complex()
    return None


def _c_type_name(x):
    """The type's name as PyTorch's C++ messages print it (``decimal.Decimal``, ``Fraction``):
    dotted for a type defined in C outside builtins, bare for a class written in Python."""
    from ._core import tp_name  # (ember's dtype, device...: their PyTorch names)

    return tp_name(x)


def _warn_list_of_arrays():
    warn_once("list of arrays", "Creating a tensor from a list of numpy.ndarrays is extremely "
              "slow. Please consider converting the list to a single numpy.ndarray with "
              "numpy.array() before converting to a tensor.",
              cpp="torch/csrc/utils/tensor_new.cpp:252")


def _nested_shape(data):
    """The shape read off the first element at each depth (as PyTorch does)."""
    shape = []
    x = data
    while True:
        if isinstance(x, Tensor):
            if x is data:
                shape.extend(x.shape)
            return shape  # NOTE: a tensor inside a list is one number, as in PyTorch
        if isinstance(x, np.ndarray):
            if x.ndim == 0 and x is not data:
                raise TypeError("len() of unsized object")
            if x is not data:
                _warn_list_of_arrays()
            shape.extend(x.shape)
            return shape
        if isinstance(x, str):
            raise ValueError("too many dimensions 'str'")
        if not isinstance(x, (list, tuple, range)):
            return shape
        shape.append(len(x))
        if not x:
            return shape
        x = x[0]


def _infer_dtype(data):
    """PyTorch's dtype for nested data: the promotion of every leaf's own dtype.

    Python bools are bool, ints int64 and floats the default dtype; NumPy scalars,
    arrays and tensors bring their own dtype.  (PyTorch infers only when no dtype is
    given.)
    """
    def visit(x):
        if isinstance(x, (Tensor, np.ndarray)):
            return x.dtype if isinstance(x, Tensor) else D.from_numpy_dtype(x.dtype)
        if isinstance(x, (list, tuple, range)):
            if not len(x):  # (an empty sequence counts as the default dtype, as in PyTorch)
                return D.get_default_dtype()
            # NOTE: PyTorch promotes each sequence's items in order with the dtype found so
            # far (a sub-sequence's own dtype first), and stops at complex128: so
            # ``[1, [np.uint32(1), 2.5]]`` is float, not a refused int64/uint32 promotion
            found = None
            for y in x:
                d = visit(y)
                found = d if found is None else D.promote_types(found, d)
                if found is D.complex128:
                    break
            return found
        d = _scalar_dtype_of(x)
        if isinstance(x, complex) and D.get_default_dtype() is D.bfloat16:
            raise RuntimeError("invalid default scalar type for complex")
        if d is None:
            if isinstance(x, (str, bytes)):
                raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
            raise RuntimeError(f"Could not infer dtype of {_c_type_name(x)}")
        return d
    return visit(data)


def _leaves(data, shape, depth=0, real=False, cplx=False):
    """The leaves of ``data`` in order, checking it is rectangular with ``shape`` (``real``:
    the target dtype is a floating or complex one, which words a sequence leaf so; ``cplx``:
    a complex one)."""
    if depth == len(shape):
        if isinstance(data, (list, tuple, range)):
            if real:
                raise TypeError(f"must be real number, not {type(data).__name__}")
            raise TypeError(f"'{type(data).__name__}' object cannot be interpreted as an "
                            "integer")
        if isinstance(data, Tensor):
            data._warn_to_scalar()
            # (PyTorch takes ``float()`` of a tensor for a floating or complex target, and
            # the tensor's ``__index__`` for an integer or bool one)
            if real:
                if data.numel() != 1:
                    raise ValueError("only one element tensors can be converted to Python "
                                     "scalars")
                if data.dtype.is_complex and not cplx:
                    return [float(data)]  # (refused for a nonzero imaginary part)
            elif data.numel() != 1 or data.dtype.is_floating_point or data.dtype.is_complex:
                raise TypeError("only integer tensors of a single element can be converted to "
                                "an index")
            return [data.item()]
        if isinstance(data, np.ndarray):
            _warn_list_of_arrays()  # (PyTorch warns at any array in a list)
            # (an array where a number belongs is converted as PyTorch converts any object
            # there: complex(), float() or operator.index(), whose refusals NumPy words)
            return [complex(data) if cplx else float(data) if real else operator.index(data)]
        if not isinstance(data, (numbers.Number, np.generic)):  # (with a dtype given)
            from ._core import tp_name  # (Python's words: the C type's full name)

            if real:
                raise TypeError(f"must be real number, not {tp_name(data)}")
            raise TypeError(f"'{tp_name(data)}' object cannot be interpreted as an integer")
        return [data]
    if isinstance(data, (Tensor, np.ndarray)):
        if data.ndim == 0:  # (a 0-d array too)
            raise TypeError("not a sequence")
        if isinstance(data, np.ndarray) and depth:
            _warn_list_of_arrays()
        if tuple(data.shape) != tuple(shape[depth:]) and data.shape[0] == shape[depth]:
            out = []  # (the mismatch is deeper: found row by row, as PyTorch reads it)
            for row in data:
                out.extend(_leaves(row, shape, depth + 1, real, cplx))
            return out
        if tuple(data.shape) != tuple(shape[depth:]):
            raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} "
                             f"(got {data.shape[0] if data.ndim else 0})")
        if isinstance(data, Tensor):  # (inside a list, one that fits is read as a sequence)
            data._warn_to_scalar()
            data = data.numpy(force=True)
        if data.dtype.kind == "V" and data.dtype.name == "bfloat16":
            return data.astype(np.float32).reshape(-1).tolist()
        if depth and (data.dtype.kind == "c" or not real and data.dtype.kind in "fb"
                      and data.dtype != np.float64):
            # NOTE: PyTorch reads an array inside a list as a sequence of NumPy scalars, which
            # an integer dtype refuses unless they have an index (np.float64 is a float)
            return list(data.reshape(-1))
        return data.reshape(-1).tolist()
    if not isinstance(data, (list, tuple, range)):
        raise TypeError("not a sequence")
    if len(data) != shape[depth]:
        raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} "
                         f"(got {len(data)})")
    out = []
    for x in data:
        out.extend(_leaves(x, shape, depth + 1, real, cplx))
    return out


_CTYPE = {"uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t",
          "uint64": "uint64_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
          "int64": "int64_t", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
          "float32": "float", "float64": "double", "bool": "bool"}


def _check_fits(values, dt, what="value", names=_CTYPE):
    """PyTorch's refusal to store a number that overflows ``dt`` (named by ``names``: C++
    type names, or dtype names as ``torch.tensor`` says)."""
    if dt is D.bool or dt._kind == 3 or not values.size:
        return
    if dt.is_floating_point:
        if dt is D.float64 or values.dtype.kind != "f":
            return
        big = float(np.finfo(dt.np).max) if dt is not D.bfloat16 else 3.3895313892515355e38
        finite = np.isfinite(values)
        if np.any(np.abs(values[finite].astype(np.float64)) > big):  # (a float16 one too)
            raise RuntimeError(f"{what} cannot be converted to type {names[dt.name]} without "
                               "overflow")
        return
    info = np.iinfo(dt.np)
    lo = -info.max if info.min == 0 else info.min  # unsigned types take small negatives
    with quiet:
        bad = np.isnan(values).any() if values.dtype.kind == "f" else False
        bad = bad or bool(np.any(values > info.max)) or bool(np.any(values < lo))
    if bad:
        raise RuntimeError(f"{what} cannot be converted to type {names[dt.name]} without "
                           "overflow")


def _numbers_to(values, dt):
    """A flat list of Python/NumPy numbers as an array of ``dt`` (PyTorch's conversions)."""
    if any(isinstance(v, (complex, np.complexfloating)) for v in values):
        if dt is D.bool:
            return np.array(values, dtype=np.complex128) != 0
        if dt._kind != 3 and dt.is_floating_point:  # NOTE: PyTorch refuses a complex number
            raise TypeError("must be real number, not complex")  # for a real dtype
        if dt._kind != 3:  # (an integer dtype: converted in order, the first refusal wins)
            for v in values:
                if isinstance(v, (complex, np.complexfloating)):
                    raise TypeError("'complex' object cannot be interpreted as an integer")
                _numbers_to([v], dt)
    if dt._kind == 3:
        with quiet:  # (a double past complex64's range is inf, silently, as in PyTorch)
            return np.array(values, dtype=np.complex128).astype(dt.np)
    if any(isinstance(v, float) or isinstance(v, np.floating) for v in values):
        if dt in (D.uint8, D.uint16, D.uint32) and \
                any(isinstance(v, (float, np.floating)) and v < 0 for v in values):
            # NOTE: a negative int wraps into uint8 (-1 is 255), a negative float overflows
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
        with np.errstate(invalid="ignore"):  # (a signalling NaN is quieted, silently)
            arr = np.array(values, dtype=np.float64)
        if dt._kind == 1 and np.any(np.abs(arr) >= 2.0 ** 53):  # (a big int, read as a float,
            is_float = [isinstance(v, (float, np.floating)) for v in values]  # would round:
            _check_fits(arr[is_float], dt, names={d.name: d.name for d in D.ALL})  # as PyTorch,
            return _numbers_to([int(v) if f else v for v, f in zip(values, is_float)], dt)
    else:
        try:
            arr = np.array(values, dtype=np.int64) if values else np.zeros(0, np.int64)
        except OverflowError:
            if dt is D.uint64 and all(0 <= v < 2 ** 64 for v in values):
                return np.array(values, dtype=np.uint64)  # (past int64's range)
            if dt.is_floating_point:  # (a huge int into a float dtype is fine)
                return _cast_numbers(np.array([float(v) for v in values]), dt)
            if dt is D.bool:
                return np.array([v != 0 for v in values], dtype=np.bool_)
            raise ValueError("Overflow when unpacking long long") from None
    return _cast_numbers(arr, dt)


def _cast_numbers(arr, dt):
    if dt.is_floating_point:  # (half types through float32, as everywhere)
        from .convert import _cast

        out = _cast(arr, D.from_numpy_dtype(arr.dtype), dt)
        if dt is D.bfloat16 and arr.dtype.kind == "f":  # (number by number: the positive
            out.view(np.uint16)[np.isnan(arr)] = 0x7FC0  # quiet NaN, as c10::BFloat16's)
        return out
    if dt is D.bool:
        return arr != 0
    _check_fits(arr, dt, names={d.name: d.name for d in D.ALL})
    if arr.dtype.kind == "f":
        arr = np.trunc(arr)
    return arr.astype(dt.np)


def _fresh_copy(a):
    """A copy of array ``a`` laid out as PyTorch's clone lays it out: with ``a``'s own
    strides where its elements fill their memory densely, else packed in the order of
    ``a``'s strides (broadcast dims having no say in it)."""
    from .shape import _copy_preserving_layout

    return _copy_preserving_layout(a) if a.ndim > 1 and a.size else np.array(a, copy=True)


def _to_array(data, dtype):
    """A fresh NumPy array of ``dtype`` (or the inferred one) from data of any kind."""
    if isinstance(data, Tensor):
        a = data.detach().numpy(force=True) if data._device.type != "cpu" else data._data
        if dtype is None or dtype is data.dtype:
            return _fresh_copy(a)
        from .convert import _cast

        return _cast(_fresh_copy(a), data.dtype, dtype)
    if isinstance(data, np.ndarray):
        _check_byte_order(data)
        src = D.from_numpy_dtype(data.dtype)
        _check_strides(data)
        if dtype is None or dtype is src:
            return _fresh_copy(data if data.dtype == src.np else data.astype(src.np))
        from .convert import _cast

        return _cast(_fresh_copy(data), src, dtype)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{_c_type_name(data)}'")
    if isinstance(data, np.uint64) and dtype in (None, D.uint64):
        raise TypeError("an integer is required")  # (PyTorch reads it as a signed long)
    if hasattr(data, "__array__") and not isinstance(data, (list, tuple, np.generic)):
        return _to_array(np.asarray(data), dtype)
    if not isinstance(data, (list, tuple, dict, bytes)) and hasattr(data, "__len__") and \
            hasattr(data, "__getitem__"):  # any sequence (deque, array.array...), as PyTorch
        data = list(data)
    shape = _nested_shape(data)
    dt = dtype or _infer_dtype(data)
    if 0 in shape:  # (nothing to store: PyTorch reads no further than the first items)
        return np.empty(shape, dt.np)
    if dt is D.uint64:
        _check_uint64_leaves(data, shape)
    try:
        values = _leaves(data, shape, real=dt.is_floating_point or dt.is_complex,
                         cplx=dt.is_complex)
        if dt is D.uint64 and any(type(v) is np.uint64 for v in values):
            raise TypeError("an integer is required")  # (as a lone np.uint64, above)
        return _numbers_to(_odd_leaves(values, dt), dt).reshape(shape)
    except (TypeError, ValueError, RuntimeError):
        _first_refusal(data, shape, dt)  # (the refusal PyTorch meets first, reading in order)
        raise


def _first_refusal(data, shape, dt):
    """Raise the error of the first item of ``data`` (in PyTorch's order: item by item, each
    sequence's length checked as it is reached) that ``dt`` refuses, if any."""
    import warnings

    real, cplx = dt.is_floating_point or dt.is_complex, dt.is_complex

    def walk(x, depth):
        if depth < len(shape) and isinstance(x, (list, tuple, range)):
            if len(x) != shape[depth]:
                raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} "
                                 f"(got {len(x)})")
            for y in x:
                walk(y, depth + 1)
            return
        _numbers_to(_odd_leaves(_leaves(x, shape, depth, real, cplx), dt), dt)

    with warnings.catch_warnings():  # (given already, up to the refusal)
        warnings.simplefilter("ignore")
        walk(data, 0)


# NumPy's numbers that PyTorch stores otherwise than NumPy would: a float32 has no __index__
# (PyTorch's integer and bool dtypes ask for one), a numpy complex has a __float__ (it warns)
_ODD_LEAVES = {np.bool_, np.float16, np.float32, np.longdouble, np.complex64, np.complex128,
               np.clongdouble, complex}


def _odd_leaves(values, dt):
    """``values`` as PyTorch reads them into ``dt``, number by number: refusing (the first
    refusal wins) what has no index for an integer or bool dtype, and taking the real part of
    a NumPy complex (with NumPy's warning) for a floating one."""
    from ._core import tp_name

    if _ODD_LEAVES.isdisjoint(map(type, values)) or dt.is_complex:
        return values
    odd = set(map(type, values)) & _ODD_LEAVES
    if dt.is_floating_point:
        if not odd & {np.complex64, np.complex128, np.clongdouble}:
            return values
        out = []
        for v in values:
            if isinstance(v, np.complexfloating):
                _warn("Casting complex values to real discards the imaginary part",
                      np.exceptions.ComplexWarning)
                v = v.real
            elif type(v) is complex:
                raise TypeError("must be real number, not complex")
            out.append(v)
        return out
    # (a bool dtype takes a Python float or complex, NumPy's float64 and complex128 among
    # them, and a NumPy bool; an integer one only what has an index, or a float)
    bad = {np.float16, np.float32, np.longdouble, np.complex64, np.clongdouble}
    if dt is not D.bool:
        bad |= {np.bool_, np.complex128, complex}
    if odd & bad:
        v = next(v for v in values if type(v) in bad)
        raise TypeError(f"'{tp_name(v)}' object cannot be interpreted as an integer")
    return values


def _check_uint64_leaves(data, shape):
    """PyTorch's reading of Python data for a uint64 tensor: number by number, in order, as
    an unsigned C long long, which takes a Python int (or bool) alone, from 0 to 2**64 - 1.
    (Data not shaped as ``shape`` says is left to the usual path and its error.)"""
    def walk(x, dim):
        if dim == len(shape):
            if not isinstance(x, int):  # (NumPy's numbers and 0-d tensors too)
                raise TypeError("an integer is required")
            if x < 0:
                raise OverflowError("can't convert negative int to unsigned")
            if x >= 1 << 64:
                raise OverflowError("int too big to convert")
            return True
        if isinstance(x, np.ndarray) and dim and x.shape == tuple(shape[dim:]) and x.size:
            raise TypeError("an integer is required")  # (its items are NumPy numbers)
        if not isinstance(x, (list, tuple)) or len(x) != shape[dim]:
            return False
        return all(walk(v, dim + 1) for v in x)
    walk(data, 0)


def _check_legacy_data(data):
    """``torch.Tensor(3.5)``: the legacy constructors take sizes or a sequence, not a number."""
    if data is None or isinstance(data, (float, bool, complex, np.inexact, np.bool_)):
        tp = type(data)
        name = tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__name__}"
        raise TypeError(f"new(): data must be a sequence (got {name})")
    if not isinstance(data, (Tensor, np.ndarray)) and (
            isinstance(data, dict) or not hasattr(type(data), "__getitem__")):
        # (a generator, an iterator, a set: not a sequence, as Python's C API sees it)
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")


def _legacy_from_data(data, dtype, device=None):
    """``torch.Tensor(data)`` and ``torch.FloatTensor(data)``: a copy of ``data`` in ``dtype``,
    save a NumPy array of that dtype, which they alias (strides and all) as ``from_numpy``."""
    if isinstance(data, np.ndarray) and _device(device, None).type == "cpu":
        t = from_numpy(data)
        if t.dtype is not dtype and not data.size:
            return _numpy_strides(wrap(_empty_strided_as(data, dtype.np)))
        return t if t.dtype is dtype else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, NumPy arrays, scalars, tensors)."""
    _dtype_kw("tensor", dtype)
    if isinstance(data, Tensor):
        msg = ("To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
               "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
               "torch.tensor(sourceTensor).")
        if _default_device is None:
            _warn(msg, UserWarning, stacklevel=2)
        else:
            # NOTE: after ``set_default_device`` PyTorch's factories run through a Python mode
            # (torch/utils/_device.py), which the warning points at: one line, so the default
            # filter shows it once however many user lines copy tensors. Here, this line.
            import warnings

            warnings.warn(msg, UserWarning, stacklevel=1)
        if device is None:
            device = data.device
    dtype = None if dtype is None else D.to_dtype(dtype)
    if isinstance(data, range):  # a sequence like any other
        data = list(data)
    if dtype is None and type(data) is list and data and all(type(v) is int for v in data):
        # A flat list of Python ints (labels in every batch): int64 without the general walk.
        try:
            arr = np.array(data, dtype=np.int64)
        except OverflowError:
            arr = _to_array(data, dtype)
    else:
        arr = _to_array(data, dtype)
    if isinstance(data, np.ndarray) and not data.size and arr.shape == data.shape:
        arr = _empty_strided_as(data, arr.dtype)
        t = _finish(arr, device, requires_grad, op=None)
        if t._device.type == "cpu":
            _numpy_strides(t)
        return _pinned_if(t, pin_memory)
    return _pinned_if(_finish(arr, device, requires_grad, op=None), pin_memory)


def _empty_strided_as(a, dt):
    """An empty array of ``a``'s shape and element strides in dtype ``dt`` (a NumPy array's
    strides are kept by PyTorch's copy of it: zeros, for one NumPy made empty)."""
    item = np.dtype(dt).itemsize
    return np.lib.stride_tricks.as_strided(np.empty(1, dt), a.shape,
                                           [s // a.itemsize * item for s in a.strides])


def _numpy_strides(t):
    """Mark ``t`` (empty, from a NumPy array) as reporting its array's strides, as PyTorch's
    tensor of an empty NumPy array does (and its views), rather than contiguous ones."""
    t.__dict__["_numpy_strides"] = True
    if type(t._data) is np.ndarray:  # (and ``detach``'s of it, found by its memory)
        from .shape import _storage_root, keep_zero_strides

        keep_zero_strides(_storage_root(t))
    return t


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    dtype = None if dtype is None else D.to_dtype(dtype)
    if isinstance(data, Tensor):
        t = data
        if dtype is not None and dtype is not t.dtype:
            t = t.to(dtype)
        if device is not None:
            t = t.to(device)
        return t
    if isinstance(data, np.ndarray) and _device(device, None).type == "cpu":
        if dtype is None or data.dtype == dtype.np:
            return from_numpy(data)
        if not data.size:
            return _numpy_strides(wrap(_empty_strided_as(data, _to_array(data, dtype).dtype)))
        return wrap(_to_array(data, dtype))
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """``as_tensor`` with ``copy=`` (True: never share memory; False: share or fail) and
    ``requires_grad=`` (unspecified: a tensor's own, with PyTorch's warning)."""
    if isinstance(obj, np.generic) or (isinstance(obj, np.ndarray) and obj.ndim == 0):
        return _asarray_numpy_scalar(obj, dtype, device, copy, requires_grad)
    if copy is False and not isinstance(obj, (Tensor, np.ndarray)) and \
            not hasattr(obj, "__array__") and not _has_buffer(obj):
        raise ValueError("can't alias arbitrary sequence into a tensor.")
    if copy is False and dtype is not None and isinstance(obj, (Tensor, np.ndarray)):
        have = obj.dtype if isinstance(obj, Tensor) else D._BY_NP.get(obj.dtype)
        if have is not None and D.to_dtype(dtype) is not have:  # (refused before converting)
            from ._core import _legacy
            raise ValueError(f"can't alias tensor with dtype '{_legacy(have)}' into dtype "
                             f"'{_legacy(D.to_dtype(dtype))}'.")
    t = as_tensor(obj, dtype, device)
    if isinstance(obj, (Tensor, np.ndarray)):
        src = obj._data if isinstance(obj, Tensor) else obj
        shared = t is obj or (t._device.type == "cpu" and (np.shares_memory(t._data, src) or (
            src.size == 0 and t._data.dtype == src.dtype)))  # (no memory to share: unconverted)
    else:
        shared = False
    if copy and shared:
        t = t.clone()
    elif copy is False and not shared:
        if not isinstance(obj, (Tensor, np.ndarray)):
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        from ._core import _legacy
        raise ValueError(f"can't alias tensor with dtype '{_legacy(D.to_dtype(src.dtype))}' "
                         f"into dtype '{_legacy(t.dtype)}'.")
    if requires_grad is None:
        if t.requires_grad:
            warn_once("asarray requires_grad", "torch.asarray: unspecified requires_grad now "
                      "defaults to obj.requires_grad instead of False. Pass requires_grad=False "
                      "explicitly to get the old behavior and silence this warning.")
    elif requires_grad != t.requires_grad:
        # NOTE: as in PyTorch, a leaf passed through unchanged has its own flag switched
        if requires_grad and t.dtype._kind < 2:
            _require_grad(t)  # (the factories' words, not requires_grad_()'s)
        t = t.requires_grad_(requires_grad) if t.is_leaf else t.detach()
    return t


def _has_buffer(obj):
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


def _asarray_numpy_scalar(obj, dtype, device, copy, requires_grad):
    """``torch.asarray`` of a NumPy scalar or 0-d array: a new 0-d tensor of its dtype (never
    an alias), converted to ``dtype`` only when ``copy`` is left unspecified."""
    if copy is False and isinstance(obj, np.generic):
        raise RuntimeError("can't alias NumPy scalars. Either remove copy=False or transform it "
                           "in a ndarray. ")
    t = from_numpy(np.array(obj))
    dtype = None if dtype is None else D.to_dtype(dtype)
    if dtype is not None and dtype is not t.dtype:
        if copy is not None:
            from ._core import _legacy
            raise ValueError(f"can't alias tensor with dtype '{_legacy(t.dtype)}' into dtype "
                             f"'{_legacy(dtype)}'.")
        t = t.to(dtype)
    if device is not None:
        t = t.to(device)
    if requires_grad:
        _require_grad(t)
    return t


def _check_strides(a):
    """PyTorch's ValueError for a NumPy array with a negative stride (``a[::-1]``)."""
    if any(s < 0 for s in a.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")


def _check_byte_order(a):
    """PyTorch's refusal of a non-native byte order (after its negative-stride check)."""
    if not a.dtype.isnative:
        _check_strides(a)
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")


def from_numpy(a):
    """A tensor sharing memory with NumPy array ``a``."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {tp_name(a)})")
    _check_byte_order(a)
    if a.dtype not in D._BY_NP:
        D.from_numpy_dtype(a.dtype)  # raises PyTorch's TypeError
    if type(a) is not np.ndarray:  # (a matrix or a masked array: its plain data, shared)
        a = a.view(np.ndarray)
    if not a.size:  # (its strides, as PyTorch: NumPy's, zeros where NumPy made it empty)
        _check_strides(a)
        return _numpy_strides(wrap(a if a.flags.writeable else _empty_strided_as(a, a.dtype)))
    if a.flags.c_contiguous and a.flags.writeable:
        t = wrap(a)
        t.__dict__["_numpy_memory"] = True  # (NumPy's memory: its storage cannot grow)
        return t
    _check_strides(a)
    if not a.flags.writeable:  # (once per process, as its text says)
        warn_once("numpy-not-writable",
                  "The given NumPy array is not writable, and PyTorch does not support "
                  "non-writable tensors. This means writing to this tensor will result in "
                  "undefined behavior. You may want to copy the array to protect its data "
                  "or make it writable before converting it to a tensor. This type of "
                  "warning will be suppressed for the rest of this program.",
                  cpp="torch/csrc/utils/tensor_numpy.cpp:213")
        # as PyTorch's, the tensor writes into that memory (but not into a file mapped
        # read-only, where PyTorch's write crashes the process)
        if not _may_overlap(a) and not _mapped_read_only(a):
            a = _writable_view(a) if a.size else np.empty(a.shape, a.dtype)
    t = wrap(a)
    t.__dict__["_numpy_memory"] = True  # (NumPy's memory: its storage cannot grow)
    return t


def _mapped_read_only(a):
    import mmap

    while isinstance(a, np.ndarray):
        a = a.base
    if not isinstance(a, mmap.mmap):
        return False
    with memoryview(a) as v:
        return v.readonly


def _writable_view(a):
    """A writable array on read-only array ``a``'s memory (its strides all positive)."""
    from ..storage import _Memory
    start = a.__array_interface__["data"][0]
    nbytes = sum((n - 1) * s for n, s in zip(a.shape, a.strides)) + a.itemsize
    buf = np.asarray(_Memory(start, nbytes, False, a))
    return np.ndarray(a.shape, a.dtype, buffer=buf, strides=a.strides)


# -- filled --------------------------------------------------------------------------

def _dtype_kw(fn, dtype):
    """PyTorch's parser words for a ``dtype=`` that is no dtype (a string, a number, ...);
    NumPy's dtypes and scalar types stay accepted (ember converts them)."""
    if dtype is None or isinstance(dtype, D.dtype) or any(
            dtype is t for t in (float, int, bool, complex)):
        return
    if isinstance(dtype, np.dtype) or isinstance(dtype, type) and issubclass(dtype, np.generic):
        try:
            D.to_dtype(dtype)
            return
        except TypeError:
            pass
    from ._core import tp_name

    raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {tp_name(dtype)}")


def _dtype_or_default(dtype):
    return D.get_default_dtype() if dtype is None else D.to_dtype(dtype)


def _int_like(a, first):
    """Whether PyTorch's parser takes ``a`` as one size (a bool only after the first)."""
    if isinstance(a, Tensor):
        return a.numel() == 1 and not a.dtype.is_floating_point and not a.dtype.is_complex
    if isinstance(a, (int, np.integer)):
        return not (first and isinstance(a, (bool, np.bool_)))
    from ._core import index_like

    return index_like(a)


def _bool_as_int(items):
    """After the first item, PyTorch's parser takes a bool as a size (True is 1); an object
    that is an int by its ``__index__`` (a 0-d NumPy array) is that int."""
    from ._core import index_like

    return [int(a) if i and isinstance(a, (bool, np.bool_)) else
            operator.index(a) if not isinstance(a, (int, np.integer, Tensor)) and
            index_like(a) else a for i, a in enumerate(items)]


def _check_size_items(name, args, pos=1, arg="size"):
    """PyTorch's words for a bad size: a sequence whose first item is no int is refused as a
    whole; a later bad item fails in unpacking; a bad first of several loose ints leaves only
    the first positional argument to match."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        seq = args[0]
    elif len(args) == 1:
        return
    else:
        seq = args
        if not _int_like(seq[0], True) and name in ("zeros", "ones", "empty"):
            raise TypeError(f"{name}() takes 1 positional argument but {len(args)} were given")
    for i, a in enumerate(seq):
        if _int_like(a, i == 0):
            continue
        from ._core import tp_name

        if i == 0:
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be tuple of ints, "
                            f"but found element of type {tp_name(a)} at pos 0")
        raise TypeError(f"{name}(): argument '{arg}' failed to unpack the object at pos {i + 1} "
                        f"with error \"type must be tuple of ints,but got {tp_name(a)}\"")


def _size(name, args, size):
    """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``."""
    seq = args[0] if len(args) == 1 and type(args[0]) in (tuple, list) else args
    if size is None and seq and all(type(a) is int and a >= 0 for a in seq):  # (the common call)
        return tuple(seq)
    if size is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        args = (size,)
    if not args:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    _check_size_items(name, args)
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = (type(args[0])(_bool_as_int(args[0])),)
    else:
        args = tuple(_bool_as_int(args))
    try:
        shape = shape_arg(args)
    except TypeError:
        bad = args[0] if len(args) == 1 else args
        raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(bad).__name__}") from None
    for s in shape:
        if s < 0:
            if name == "zeros":  # NOTE: zeros alone words it this way in PyTorch
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(shape)}")
    return shape


def _to_out(result, out):
    """Write a factory's result into ``out=`` (taking its shape, as PyTorch resizes); with
    ``requires_grad=True``, ``out`` becomes a leaf that requires grad (no copy recorded)."""
    if out is None:
        return result
    if tuple(out.shape) == tuple(result.shape):
        from ..autograd.grad_mode import no_grad

        with no_grad():
            out.copy_(result)
    else:
        out._data = result._data.astype(out._data.dtype)
        out._vc.v += 1
    if result.requires_grad and not out.requires_grad:
        out.requires_grad_()
    return out


def _randint_bounds(args, kwargs):
    ints = [a for a in args if not isinstance(a, (tuple, list))]
    if len(ints) >= 2:
        return ints[0], ints[1]
    if ints:
        return kwargs.get("low", 0), ints[0]
    return kwargs.get("low", 0), kwargs.get("high")


def _in_place_fill(method):
    def fill(out, args, kwargs, gen):
        from ..autograd.grad_mode import no_grad

        with no_grad():
            method(out, args, kwargs, gen)
        return out
    return fill


# The random factories' in-place fills, for an ``out=`` that is not contiguous
_RANDOM_FILLS = {
    "rand": _in_place_fill(lambda o, a, k, g: o.uniform_(0, 1, generator=g)),
    "randn": _in_place_fill(lambda o, a, k, g: o.normal_(0, 1, generator=g)),
    "normal": _in_place_fill(lambda o, a, k, g: o.normal_(
        a[0] if a else k.get("mean", 0.0), a[1] if len(a) > 1 else k.get("std", 1.0),
        generator=g)),
    "randint": _in_place_fill(lambda o, a, k, g: o.random_(*_randint_bounds(a, k),
                                                           generator=g)),
}


def _check_out_grad(name, out):
    """PyTorch's refusal of a factory's ``out=`` that is (a view of) a leaf requiring grad
    (``empty`` and ``randn`` resize it first, which is refused in other words)."""
    from ..autograd.grad_mode import STATE

    if STATE.enabled and out.requires_grad and (
            out.is_leaf or out._base is not None and out._base.is_leaf):
        if name in ("aten::empty", "aten::randn"):
            raise RuntimeError("cannot resize variables that require grad")
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")


def _pinned_if(t, pin_memory):
    """A factory's result ``t``, in page-locked memory with ``pin_memory=True`` (on the CPU
    only; PyTorch's error where there is no GPU to pin for)."""
    if not pin_memory or t.device.type != "cpu":
        return t
    from .._device import cuda_available

    if not cuda_available():
        raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no "
                           "pinned memory allocator is available on this system.")
    pinned = t.pin_memory()
    return pinned.requires_grad_() if t.requires_grad else pinned


def _factory_out(fn):
    """``fn`` (a factory) with PyTorch's ``out=``: made in ``out``'s dtype (a ``dtype=`` given
    too must be it; random factories so draw ``out``'s dtype's values) and written into it."""
    import functools

    @functools.wraps(fn)
    def factory(*args, out=None, dtype=None, **kwargs):
        if out is None:
            return _pinned_if(fn(*args, dtype=dtype, **kwargs), kwargs.get("pin_memory"))
        mean = args[0] if args else kwargs.get("mean")
        std = args[1] if len(args) > 1 else kwargs.get("std")
        if fn.__name__ == "normal" and (isinstance(mean, Tensor) or isinstance(std, Tensor)):
            _check_out_grad("normal", out)
            from ._core import write_out  # (elementwise: the tensors' dtype, an op's out=)
            from ..autograd.grad_mode import no_grad
            from ..random import default_generator

            gen = kwargs.get("generator") or default_generator
            state = gen.get_state() if out.device.type == "cpu" else None
            res = fn(*args, **kwargs)
            if state is not None and not (out.dtype.is_floating_point or out.dtype.is_complex):
                gen.set_state(state)  # (PyTorch's fill of ``out`` refuses, before any draw)
                _need_float(out.dtype, "normal_kernel_cpu")
            res = write_out(out, res, "normal")
            if state is None or not out.dtype.is_floating_point:
                return res
            # NOTE: PyTorch draws into ``out`` itself (its dtype, its memory order, and the
            # scalar kernel where it is not contiguous), then scales by std and adds the mean
            gen.set_state(state)
            with no_grad():
                out.normal_(0.0, 1.0 if isinstance(std, Tensor) else float(std), generator=gen)
                if isinstance(std, Tensor):
                    out.mul_(std)
                out.add_(mean)
            return out
        _check_out_dtype(dtype, out)
        _check_out_grad(f"aten::{fn.__name__}", out)
        if fn.__name__ in _RANDOM_FILLS and not out.is_contiguous() and out.numel() > 1 and \
                out.device.type == "cpu":
            from ..random import default_generator

            gen = kwargs.get("generator") or default_generator
            state = gen.get_state()
            res = fn(*args, dtype=out.dtype, **kwargs)
            if res.shape == out.shape:
                gen.set_state(state)  # (PyTorch draws into ``out`` in its memory order)
                _RANDOM_FILLS[fn.__name__](out, args, kwargs, gen)
                return out.requires_grad_() if res.requires_grad else out
        else:
            res = fn(*args, dtype=out.dtype, **kwargs)
        if fn.__name__ == "arange" and 0 < out.numel() != res.numel():
            _warn(f"The number of elements in the out tensor of shape {list(out.shape)} is "
                  f"{out.numel()} which does not match the computed number of elements "
                  f"{res.numel()}. Note that this may occur as a result of rounding error. The "
                  f"out tensor will be resized to a tensor of shape ({res.numel()},).",
                  cpp="aten/src/ATen/native/RangeFactories.cpp:199")
        if fn.__name__ in ("arange", "linspace", "logspace") and out.numel() == res.numel() \
                and out.shape != res.shape:  # (a range fills ``out`` as it is, unresized)
            res = res.reshape(out.shape)
        if fn.__name__ in ("zeros", "ones", "full") and res.shape == out.shape and \
                res.numel() and has_internal_overlap(out._data):
            from ..autograd.grad_mode import no_grad

            with no_grad():  # (PyTorch's fill, which writes an expanded ``out``)
                out.fill_(res._data.reshape(-1)[0].item())
            return out
        return _to_out(res, out)
    return factory


def _check_out_dtype(dtype, out):
    if dtype is not None and D.to_dtype(dtype) is not out.dtype:
        from ._core import _legacy

        raise RuntimeError(f"dtype {_legacy(D.to_dtype(dtype))} does not match dtype of out "
                           f"parameter ({_legacy(out.dtype)})")


def _filled(fill, shape, dtype, device, requires_grad, out=None):
    dt = _dtype_or_default(dtype)
    xp = xp_for(_device(device))
    if fill is None or fill == 0:
        arr = xp.zeros(shape, dtype=dt.np)
    elif dt in D._ODD:  # float8 or a shell dtype
        arr = xp.full(shape, _fill_scalar(fill, dt), dtype=dt.np)
    else:
        arr = xp.full(shape, fill, dtype=dt.np)
    return _to_out(_finish(arr, device, requires_grad), out)


@_factory_out
def zeros(*args, size=None, out=None, dtype=None, device=None, requires_grad=False,
          layout=None, pin_memory=False):
    _dtype_kw("zeros", dtype)
    if layout is not None and str(layout) == "torch.sparse_coo" and out is None:
        from .._sparse import sparse_coo_tensor
        return sparse_coo_tensor(size=_size("zeros", args, size), dtype=dtype, device=device,
                                 check_invariants=False,
                                 requires_grad=requires_grad)
    return _filled(0, _size("zeros", args, size), dtype, device, requires_grad, out)


@_factory_out
def ones(*args, size=None, out=None, dtype=None, device=None, requires_grad=False, layout=None,
         pin_memory=False):
    _dtype_kw("ones", dtype)
    _no_sparse_fill(layout)
    return _filled(1, _size("ones", args, size), dtype, device, requires_grad, out)


def _no_sparse_fill(layout):
    if layout is not None and str(layout) == "torch.sparse_coo":  # (``ones`` and ``full``)
        raise RuntimeError("full(...) is not implemented for sparse layout")


@_factory_out
def empty(*args, size=None, out=None, dtype=None, device=None, requires_grad=False,
          layout=None, pin_memory=False, memory_format=None):
    _dtype_kw("empty", dtype)
    # NOTE: ember zero-fills "uninitialised" memory; reading it is undefined in PyTorch anyway
    # (under deterministic algorithms, PyTorch's NaN / largest-integer markers)
    shape = _size("empty", args, size)
    if memory_format is not None and str(memory_format) == "torch.preserve_format":
        raise RuntimeError("unsupported memory format Preserve")
    t = _filled(_uninitialized_fill(_dtype_or_default(dtype)), shape, dtype, device,
                requires_grad and memory_format is None, out)
    if memory_format is not None and out is None and \
            str(memory_format) not in ("torch.contiguous_format", "torch.preserve_format"):
        from .shape import _channels_last_copy, _channels_last_rank, contiguous

        if _channels_last_rank(t, memory_format):  # (fresh channels-last strides)
            t._data = _channels_last_copy(t._data)
        else:
            t = contiguous(t, memory_format)
        if requires_grad:
            _require_grad(t)
    return t


def _fill_dtype(fill_value):
    """The dtype ``full`` infers from its fill value."""
    if isinstance(fill_value, bool):
        return D.bool
    if isinstance(fill_value, (numbers.Integral, np.integer)) and \
            not isinstance(fill_value, np.bool_):
        return D.int64
    if isinstance(fill_value, (complex, np.complexfloating)):
        return D.default_complex()
    # NOTE: PyTorch reads a NumPy bool fill value as a number: the default float dtype.
    return D.get_default_dtype()


def _fill_number(fill_value):
    if isinstance(fill_value, Tensor):
        if fill_value.ndim:
            raise TypeError("full(): argument 'fill_value' (position 2) must be Number, not "
                            "Tensor")
        return fill_value.item()
    if isinstance(fill_value, np.generic):
        return fill_value.item()
    if not isinstance(fill_value, numbers.Number):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")
    return fill_value


def check_half_fill(value, dt, numel):
    """PyTorch's refusal of a number past a half type's range as the value of a fill of
    ``numel`` elements: only its one-element fast path lets it overflow to inf."""
    if dt in (D.float16, D.bfloat16) and numel != 1 and isinstance(value, (int, float)) and \
            math.isfinite(value) and not -D.finfo(dt).max <= value <= D.finfo(dt).max:
        raise RuntimeError(f"value cannot be converted to type {_CTYPE[dt.name]} without "
                           "overflow")


def _fill_array(shape, value, dt, device):
    """``shape`` filled with Python number ``value`` converted as PyTorch converts it."""
    if dt in D._ODD:  # float8 or a shell dtype
        from .._float8 import check_fill

        check_fill(value, dt, math.prod(shape))
    check_half_fill(value, dt, math.prod(shape))
    # (PyTorch's fill_, whose one-element path converts a complex value through a double)
    value = _fill_scalar(value, dt, via_double=math.prod(shape) == 1)
    xp = xp_for(_device(device))
    with quiet:
        return xp.full(shape, value, dtype=dt.np)


def _fill_scalar(value, dt, via_double=True):
    """Python number ``value`` as ``dt`` the way PyTorch's fills convert it: RuntimeError when
    it overflows, small negatives wrap into unsigned types (-1 -> 255).  ``via_double``: a
    complex value is refused for float16 and bfloat16 as a double (``full``), else as their
    own C++ types (``fill_``, ``masked_fill_``)."""
    if type(value) is int and not -1 << 63 <= value < 1 << 64:
        from .pointwise import scalar_int

        scalar_int(value)
    if dt in D._ODD:  # float8 or a shell dtype
        from .._float8 import fill_value

        return fill_value(value, dt)
    if isinstance(value, complex) and dt is D.bool:
        return value != 0
    if isinstance(value, complex) and dt._kind != 3:
        if value.imag != 0:  # NOTE: PyTorch words a lost imaginary part as an overflow
            name = "double" if via_double and dt in (D.float16, D.bfloat16) else _CTYPE[dt.name]
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
        value = value.real
    if dt._kind == 3:
        if dt is D.complex64 and not isinstance(value, (int, bool, np.integer)):
            big = float(np.finfo(np.float32).max)
            parts = (value.real, value.imag) if isinstance(value, complex) else (value,)
            if any(math.isfinite(v) and abs(float(v)) > big for v in parts):
                raise RuntimeError("value cannot be converted to type c10::complex<float> "
                                   "without overflow")
        return value
    if dt is D.bool:
        value = bool(value)
    # NOTE: PyTorch lets float16/bfloat16 fills overflow to inf (full((1,), 1e39)).
    elif not dt.is_floating_point or dt is D.float32:
        probe = np.array([value], dtype=np.float64 if isinstance(value, float) else None)
        if probe.dtype.kind in "iuf":
            _check_fits(probe, dt)
        if dt is D.uint8 and isinstance(value, float) and value < 0:
            # NOTE: a negative int wraps into uint8 (-1 is 255), a negative float overflows
            raise RuntimeError("value cannot be converted to type uint8_t without overflow")
        if not dt.is_floating_point and isinstance(value, float):
            value = math.trunc(value)
        if not dt.is_floating_point and isinstance(value, int):
            value = np.array(value, dtype=np.int64 if value < 1 << 63 else np.uint64
                             ).astype(dt.np)[()]  # wraps (-1 -> 255)
    if dt is D.bfloat16 and isinstance(value, float) and value != value:
        value = math.nan  # (c10::BFloat16 drops a NaN's sign: 0x7fc0)
    return value


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
    """A 0-d tensor holding number ``s``, of the default dtype unless ``dtype`` is given."""
    _dtype_kw("scalar_tensor", dtype)
    if isinstance(s, Tensor):
        s = s.item()
    return full((), s, dtype=dtype or D.get_default_dtype(), device=device,
                requires_grad=requires_grad, pin_memory=pin_memory)


@_factory_out
def full(size, fill_value, *, out=None, dtype=None, device=None, requires_grad=False,
         layout=None, pin_memory=False):
    _dtype_kw("full", dtype)
    _no_sparse_fill(layout)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    shape = _size("full", (size,), None)
    was_numpy_bool = isinstance(fill_value, np.bool_)
    value = _fill_number(fill_value)
    if dtype is None:
        dt = D.get_default_dtype() if was_numpy_bool else _fill_dtype(value)
    else:
        dt = D.to_dtype(dtype)
    arr = _fill_array(shape, value, dt, device)
    return _to_out(_finish(arr, device, requires_grad), out)


def _like(t, dtype, device):
    return (t.dtype if dtype is None else D.to_dtype(dtype),
            t.device if device is None else device)


def _like_layout(t, arr, memory_format):
    """``arr`` (C-ordered, ``t``'s shape) laid out as ``t`` is, as ``preserve_format`` does."""
    if memory_format is not None and str(memory_format) == "torch.contiguous_format":
        return arr
    from .shape import _channels_last_copy, _channels_last_rank, _preserving, empty_with_strides

    if _channels_last_rank(t, memory_format):
        return _channels_last_copy(arr)
    if arr.size == 0 and _preserving(memory_format) and type(t._data) is np.ndarray:
        return empty_with_strides(t, arr.dtype)  # (its strides, as PyTorch: see there)
    if t._data.flags.c_contiguous and 1 not in t._data.shape or t._device.type != "cpu":
        return arr  # (size-1 dims: their strides are kept, as PyTorch keeps them)
    from .shape import empty_like_layout

    out = empty_like_layout(t._data, arr.dtype)
    out[...] = arr
    return out


def _like_filled(t, fill, dtype, device, requires_grad, memory_format):
    if "_sp_i" in getattr(t, "__dict__", ()):  # (sparse: an empty one of its size, as PyTorch)
        if fill is not None and fill is not _EMPTY:
            raise NotImplementedError("Could not run 'aten::fill_.Scalar' with arguments from "
                                      "the 'SparseCPU' backend (use zeros_like, or to_dense())")
        from .._sparse import sparse_coo_tensor
        return sparse_coo_tensor(size=tuple(t.shape), dtype=dtype or t.dtype,
                                 check_invariants=False,
                                 device=t.device if device is None else device,
                                 requires_grad=requires_grad)
    dt, dev = _like(t, dtype, device)
    _device(dev, "aten::empty_strided")
    if fill is _EMPTY:
        fill = _uninitialized_fill(dt)
    if fill is None:
        arr = xp_for(_device(dev)).zeros(tuple(t.shape), dtype=dt.np)
    else:
        arr = _fill_array(tuple(t.shape), fill, dt, dev)
    if _device(dev).type == "cpu":
        arr = _like_layout(t, arr, memory_format)
        if arr.size == 0 and type(arr) is np.ndarray and (
                memory_format is None or str(memory_format) == "torch.preserve_format"):
            from .shape import keep_empty_strides

            return mapped(keep_empty_strides(_finish(arr, dev, requires_grad), t), t)
    return mapped(_finish(arr, dev, requires_grad), t)  # (under vmap: mapped where ``t`` is)


def zeros_like(t, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None, pin_memory=False):
    need_tensor(t, "zeros_like")
    _dtype_kw("zeros_like", dtype)
    return _pinned_if(_like_filled(t, None, dtype, device, requires_grad, memory_format),
                      pin_memory)


def ones_like(t, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None, pin_memory=False):
    need_tensor(t, "ones_like")
    _dtype_kw("ones_like", dtype)
    return _pinned_if(_like_filled(t, 1, dtype, device, requires_grad, memory_format),
                      pin_memory)


_EMPTY = object()  # empty_like's fill: none, or deterministic mode's markers


def empty_like(t, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None, pin_memory=False):
    need_tensor(t, "empty_like")
    _dtype_kw("empty_like", dtype)
    return _pinned_if(_like_filled(t, _EMPTY, dtype, device, requires_grad, memory_format),
                      pin_memory)


def full_like(t, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None, pin_memory=False):
    need_tensor(t, "full_like")
    _dtype_kw("full_like", dtype)
    return _pinned_if(_like_filled(t, _fill_number(fill_value), dtype, device, requires_grad,
                                   memory_format), pin_memory)


# -- ranges ---------------------------------------------------------------------------
#
# PyTorch's CPU kernels round in a particular way, and results are compared bit for bit:
# ``arange`` fills 2 * W values at a time from a base ``start + i * step`` (W is the width
# of one AVX2 register for the dtype) and the rest one by one; ``linspace`` computes each
# value as ``start + step * i`` (first half) or ``end - step * (steps - 1 - i)`` (second
# half) in the dtype itself; products and sums fuse into one rounding (FMA) where the
# compiler contracts them.

def _is_int(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def _num(v):
    if isinstance(v, Tensor):
        return v.item()
    if isinstance(v, np.generic):
        return v.item() if not isinstance(v, np.integer) else int(v)
    return v


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fma32(a, b, c):
    """``a * b + c`` for float32 operands (``a`` a small integer) rounded once to float32.

    The product is exact in float64; the sum is rounded to odd in float64, from which
    rounding to float32 gives the correctly rounded result.
    """
    a, b, c = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                  np.asarray(c, np.float64))
    with quiet:
        s, t = _two_sum(a * b, c)
        odd = (s.view(np.int64) & 1) == 1
        s = np.where((t != 0) & ~odd, np.nextafter(s, np.where(t > 0, np.inf, -np.inf)), s)
        return s.astype(np.float32)


_ARANGE_WIDTH = {"float64": 4, "float32": 8, "float16": 16, "bfloat16": 16}


def _arange_refuse(start, end, step, dtype):
    """PyTorch's parser's refusal of a tensor with dimensions as an argument of ``arange``."""
    from ._core import _py_type_name

    if end is None and step == 1:
        raise TypeError("arange(): argument 'end' (position 1) must be Number, not Tensor")
    given = [start] + ([] if end is None else [end]) + ([] if step == 1 else [step])
    got = ", ".join([_py_type_name(v) for v in given] +
                    ([] if dtype is None else ["dtype=torch.dtype"]))
    rest = ("torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
            "bool pin_memory = False, bool requires_grad = False)\n")
    raise TypeError(f"arange() received an invalid combination of arguments - got ({got}), but "
                    "expected one of:\n"
                    f" * (Number end, *, Tensor out = None, {rest}"
                    f" * (Number start, Number end, *, {rest}"
                    f" * (Number start, Number end, Number step = 1, *, Tensor out = None, {rest}")


# (the unsigned dtypes PyTorch's range kernels leave out: arange, range, linspace, logspace)
_WIDE_UNSIGNED = (D.uint16, D.uint32, D.uint64)


@_factory_out
def arange(start=None, end=None, step=1, *, out=None, dtype=None, device=None,
           requires_grad=False, layout=None, pin_memory=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``, as ``torch.arange``."""
    if start is None and end is None:
        raise TypeError("arange() received an invalid combination of arguments - got ()")
    if any(isinstance(v, Tensor) and v.ndim for v in (start, end, step)):
        _arange_refuse(start, end, step, dtype)
    if end is None:
        start, end = 0, start
    elif start is None:
        start = 0
    all_int = all(_is_int(v) or isinstance(v, bool) or
                  (isinstance(v, Tensor) and not v.dtype.is_floating_point)
                  for v in (start, end, step))
    start, end, step = _num(start), _num(end), _num(step)
    if dtype is None:
        dtype = D.int64 if all_int else D.get_default_dtype()
    dt = D.to_dtype(dtype)
    if dt in D._ODD:  # float8 and shell dtypes
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{D.scalar_name(dt)}'")
    if dt is D.bool or dt._kind == 3 or dt in _WIDE_UNSIGNED:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_legacy_name(dt)}'")
    start, end, step = (_real_scalar(v, "double") for v in (start, end, step))
    if not (step > 0 or step < 0):  # (PyTorch checks the step first; a nan step is refused)
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {float(start):g} -> {float(end):g}")
    if dt is D.int64 and not all_int:
        # NOTE: for int64 PyTorch truncates start, end and step first (arange(0.5, 3.7, 1) has
        # 3 values, 4 in int32), and refuses a step that truncates to 0 with a ValueError.
        start, end, step = math.trunc(start), math.trunc(end), math.trunc(step)
        if step == 0:
            raise ValueError("step must be nonzero")
        all_int = True
    if (end > start and step < 0) or (end < start and step > 0):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if all_int:
        n = max(0, -(-(end - start) // step))
    else:
        n = max(0, math.ceil((float(end) - float(start)) / float(step)))
    if n > np.iinfo(np.int64).max:
        raise RuntimeError("invalid size, possible overflow?")
    arr = _arange_values(start, step, n, dt)
    return _to_out(_finish(arr, device, requires_grad), out)


def _real_scalar(v, ctype):
    """A complex argument of a range as PyTorch converts it: its real part, or a refusal where
    the imaginary part is not zero."""
    if isinstance(v, complex):
        if v.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
        return v.real
    return v


def _arange_values(start, step, n, dt):
    if not dt.is_floating_point:
        # Integer dtypes take start and step truncated to integers.
        s, st = int(start), int(step)
        return (s + np.arange(n, dtype=np.int64) * st).astype(dt.np)
    width = _ARANGE_WIDTH[dt.name]
    i = np.arange(n, dtype=np.float64)
    if dt is D.float64 or dt is D.float32:
        s, st = float(start), float(step)
        fma = _fma64
    else:  # half types accumulate in float32
        s, st = np.float32(start), np.float32(step)
        fma = _fma32
    out = fma(i, st, s).astype(dt.np)  # the one-by-one values (also each block's base)
    blocks = (n // (2 * width)) * 2 * width
    if blocks:
        j = i[:blocks]
        lane = j % width
        base = out[:blocks][(j - lane).astype(np.int64)]
        base = base.astype(np.float64 if fma is _fma64 else np.float32)
        out[:blocks] = fma(lane, st, base).astype(dt.np)
    return out


def range_(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """The deprecated ``torch.range`` (end inclusive)."""
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    _warn("torch.range is deprecated and will be removed in a future release because its "
          "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
          "which produces values in [start, end).", UserWarning)
    dt = _dtype_or_default(dtype)
    if dt is D.bool or dt._kind == 3 or dt in D._ODD or dt in _WIDE_UNSIGNED:
        raise NotImplementedError(f"\"range_cpu\" not implemented for '{_legacy_name(dt)}'")
    # PyTorch works in the dtype's accumulate type: int64 for integers (the ends and step
    # truncated), float32 for half types, float64 otherwise; ``start + i * step`` unfused.
    ctype, acc = (("int64_t", np.int64) if not dt.is_floating_point else
                  ("float", np.float32) if dt.itemsize == 2 else ("double", np.float64))
    vals = []
    for v in (start, end, step):
        v = _real_scalar(_num(v), ctype)
        if acc is np.int64:
            _check_fits(np.array([v], dtype=np.float64), D.int64)
            v = math.trunc(v)
        vals.append(acc(v))
    start, end, step = vals
    if not (step > 0 or step < 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {float(start):g} -> {float(end):g}")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    with quiet:
        n = int((end - start) / step + 1) if acc is not np.int64 else (end - start) // step + 1
    arr = (start + np.arange(n, dtype=acc) * step).astype(dt.np)
    return _finish(arr, device, requires_grad, op=None)  # (PyTorch's error: "not linked")


@_factory_out
def linspace(start, end, steps=None, *, out=None, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    """``steps`` values evenly spaced from ``start`` to ``end`` (both included)."""
    _check_space_args("linspace", start, end, steps)
    start, end = _num(start), _num(end)
    steps = int(_num(steps))
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype is None and (isinstance(start, complex) or isinstance(end, complex)):
        dt = D.default_complex()
    else:
        dt = _dtype_or_default(dtype)
        if dt._kind != 3 and (isinstance(start, complex) or isinstance(end, complex)):
            inner = "double" if D.default_complex() is D.complex128 else "float"
            raise RuntimeError(f"torch.linspace(): inferred dtype c10::complex<{inner}> can't be "
                               f"safely cast to passed dtype {D.scalar_name(dt)}")
    if dt in D._ODD:  # float8 and shell dtypes
        raise NotImplementedError(f"\"linspace_cpu\" not implemented for '{D.scalar_name(dt)}'")
    if (dt is D.bool or dt in _WIDE_UNSIGNED) and steps > 1:  # (0 or 1 steps need no kernel)
        raise NotImplementedError(f"\"linspace_cpu\" not implemented for '{_legacy_name(dt)}'")
    if steps <= 1:  # (no kernel: PyTorch fills with start, checked as fills are)
        arr = np.empty(0, dt.np) if steps == 0 else full((1,), start, dtype=dt)._data
        return _to_out(_finish(arr, device, requires_grad), out)
    exps = _linspace_values(start, end, steps, dt)
    return _to_out(_finish(exps, device, requires_grad), out)


def _check_space_args(name, start, end, steps, base=10.0):
    """PyTorch's refusals for linspace/logspace: tensor ends of more than 0 dims, a
    non-integer number of steps."""
    if isinstance(steps, Tensor):  # (a 0-d integer tensor is taken as an int)
        ok = steps.ndim == 0 and steps.dtype._kind < 2 and steps.dtype is not D.bool
    else:
        ok = isinstance(steps, (int, np.integer)) and not isinstance(steps, (bool, np.bool_))
    if not ok:  # (no overload matches: the parser's words)
        from ._core import _py_type_name

        given = (start, end) + (() if steps is None else (steps,)) + \
            (() if base == 10.0 else (base,))
        base_arg = "float base = 10.0, " if name == "logspace" else ""
        sigs = "".join(f" * ({a} start, {b} end, int steps, {base_arg}*, Tensor out = None, "
                       "torch.dtype dtype = None, torch.layout layout = None, torch.device "
                       "device = None, bool pin_memory = False, bool requires_grad = False)\n"
                       for a, b in (("Tensor", "Tensor"), ("Number", "Tensor"),
                                    ("Tensor", "Number"), ("Number", "Number")))
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({', '.join(_py_type_name(v) for v in given)}), but expected one "
                        f"of:\n{sigs}")
    dims = [f"{what} with {v.ndim} dimension(s)" for what, v in (("start", start), ("end", end))
            if isinstance(v, Tensor) and v.ndim]
    if dims:
        raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but got "
                           f"{' and '.join(dims)}.")


def _linspace_values(start, end, n, dt):
    if dt.is_complex:  # (each part spaced as a real linspace of the part's dtype)
        start, end = complex(start), complex(end)
        real = dt.to_real()
        out = np.empty(n, dt.np)
        out.real = _linspace_values(start.real, end.real, n, real)
        out.imag = _linspace_values(start.imag, end.imag, n, real)
        return out
    i = np.arange(n, dtype=np.float64)
    half = n // 2
    far = n - 1 - i  # distance from the end, for the second half
    first = i < half
    if not dt.is_floating_point:
        _check_fits(np.array([start, end], dtype=np.float64), dt)  # (nan and inf refused)
        s, e = math.trunc(start), math.trunc(end)
        if n == 1:
            return np.array([s], dtype=dt.np)
        step = (float(e) - float(s)) / (n - 1) if n > 1 else 0.0
        vals = np.where(first, _fma64(i, step, s), _fma64(far, -step, e))
        return np.trunc(vals).astype(np.int64).astype(dt.np)
    _check_fits(np.array([start, end], dtype=np.float64), dt)
    if dt is D.float64 or dt is D.float32:
        s, e = dt.np.type(start), dt.np.type(end)
        if n == 1:
            return np.array([s], dtype=dt.np)
        fma = _fma64 if dt is D.float64 else _fma32
        with quiet:  # (infinite ends: NaN steps, silently)
            step = (e - s) / dt.np.type(n - 1) if n > 1 else dt.np.type(0)
            # (-far rather than -step: a NaN step keeps its sign, as in PyTorch)
            vals = np.where(first, fma(i, step, s), fma(-far, step, e))
            return vals.astype(dt.np)
    # float16 / bfloat16: every operation rounds to the dtype (computed in float32).
    H, f = dt.np.type, np.float32
    s, e = H(start), H(end)
    if n == 1:
        return np.array([s], dtype=dt.np)
    step = H(f(H(f(e) - f(s))) / f(H(n - 1))) if n > 1 else H(0)
    ih = i.astype(dt.np).astype(f)
    farh = far.astype(dt.np).astype(f)
    with quiet:
        lo = (f(s) + (f(step) * ih).astype(dt.np).astype(f)).astype(dt.np)
        hi = (f(e) - (f(step) * farh).astype(dt.np).astype(f)).astype(dt.np)
    out = np.where(first, lo, hi)
    if dt is D.bfloat16:  # (c10::BFloat16's NaN: the positive quiet one, whatever the sign)
        out.view(np.uint16)[np.isnan(out)] = 0x7FC0
    return out


@_factory_out
def logspace(start, end, steps=None, base=10.0, *, out=None, dtype=None, device=None,
             requires_grad=False, layout=None, pin_memory=False):
    """``base ** linspace(start, end, steps)``, as PyTorch's CPU kernel computes it."""
    _check_space_args("logspace", start, end, steps, base)
    start, end = _num(start), _num(end)
    steps = int(_num(steps))
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype is None and (isinstance(start, complex) or isinstance(end, complex)):
        dt = D.default_complex()
    else:
        dt = _dtype_or_default(dtype)
        if dt._kind != 3 and (isinstance(start, complex) or isinstance(end, complex)):
            inner = "double" if D.default_complex() is D.complex128 else "float"
            raise RuntimeError(f"torch.logspace(): inferred dtype c10::complex<{inner}> can't be "
                               f"safely cast to passed dtype {D.scalar_name(dt)}")
    if (dt is D.bool or dt in _WIDE_UNSIGNED) and steps > 1:  # (0 or 1 steps need no kernel)
        raise NotImplementedError(f"\"logspace_cpu\" not implemented for '{_legacy_name(dt)}'")
    if steps <= 1 and (dt.is_complex or not isinstance(start, complex)):
        # (no kernel: PyTorch fills with base ** start, a double, checked as fills are)
        v = None if steps == 0 else complex(base) ** start if isinstance(start, complex) \
            else _pow(float(base), float(start))
        arr = np.empty(0, dt.np) if steps == 0 else full((1,), v, dtype=dt)._data
        return _to_out(_finish(arr, device, requires_grad), out)
    if dt.is_complex and not isinstance(start, complex) and not isinstance(end, complex):
        real = logspace(start, end, steps, base, dtype=dt.to_real(), device=device)
        return _to_out(_finish(real.numpy(force=True).astype(dt.np), device, requires_grad),
                       out)
    if dt.is_floating_point:
        s, e = dt.np.type(start), dt.np.type(end)
    else:
        _check_fits(np.array([start, end], dtype=np.float64), dt)  # (nan and inf refused)
        s, e = math.trunc(start), math.trunc(end)
    b = float(base)
    if steps == 1:
        exps = [float(s)]
    else:
        # The exponents are computed in float64 (no FMA) from start and end in the dtype.
        width = float(dt.np.type(e - s)) if dt.is_floating_point else float(e - s)
        step = width / (steps - 1) if steps > 1 else 0.0
        half = steps // 2
        exps = [float(s) + step * k if k < half else float(e) - step * (steps - k - 1)
                for k in range(steps)]
    # NOTE: libm's pow (math.pow), not NumPy's power, which rounds differently at times.
    vals = np.array([_pow(b, x) for x in exps], dtype=np.float64)
    if dt.is_floating_point:
        with quiet:
            arr = vals.astype(dt.np)
        if dt is D.bfloat16:  # (c10::BFloat16's NaN: the positive quiet one, whatever the sign)
            arr.view(np.uint16)[np.isnan(vals)] = 0x7FC0
    else:  # (the power cast as a double is: past int32's range, int32/16/8 get INT_MIN's bits)
        from .convert import _cast

        arr = _cast(vals, D.float64, dt)
    return _to_out(_finish(arr.reshape(steps), device, requires_grad), out)


def _pow(b, x):
    try:
        return math.pow(b, x)
    except (OverflowError, ValueError):
        with quiet:
            return float(np.power(np.float64(b), np.float64(x)))


@_factory_out
def eye(n, m=None, *, out=None, dtype=None, device=None, requires_grad=False, layout=None,
        pin_memory=False):
    n, m = (v.item() if isinstance(v, Tensor) else v for v in (n, m))  # (a 0-d int tensor)
    if not _is_int(n):
        raise TypeError(f"eye(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if m is not None and not _is_int(m):
        raise TypeError(f"eye(): argument 'm' (position 2) must be int, not {type(m).__name__}")
    dt = _dtype_or_default(dtype)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    if dt in _WIDE_UNSIGNED or dt.name.startswith("bits"):  # (no kernel; zeroed first)
        kernel = "fill_cpu" if dt.name.startswith("bits") and n * (n if m is None else m) == 0 \
            else "eye"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_legacy_name(dt)}'")
    arr = np.eye(n, n if m is None else m, dtype=dt.np)
    return _to_out(_finish(arr, device, requires_grad), out)


# -- random -------------------------------------------------------------------

def _gen(generator, device=None):
    """The random stream for a draw onto ``device`` (on ``meta``, one that draws nothing;
    None: a draw whose device the caller checks)."""
    if device is not None and device is not CPU and device.type == "meta":
        from .._meta_xp import NO_DRAW

        return NO_DRAW
    from ..random import default_generator

    if generator is not None:
        if not hasattr(generator, "_core"):
            raise TypeError(f"expected a torch.Generator for 'generator', but got "
                            f"{type(generator).__name__}")
        kind = generator.device.type
        if device is not None and device.type != kind and device.type in ("cpu", "cuda"):
            raise RuntimeError(f"Expected a '{device.type}' device type for generator but "
                               f"found '{kind}'")
    return (generator or default_generator)._core


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


@_factory_out
def rand(*args, size=None, generator=None, out=None, dtype=None, device=None,
         requires_grad=False, layout=None, pin_memory=False):
    shape = _size("rand", args, size)
    dt = _dtype_or_default(dtype)
    if dt._kind == 3:  # PyTorch fills the real view: real and imaginary parts in turn
        arr = _gen(generator, _device(device)).uniform(2 * _numel(shape), dt.to_real().np)
        return _finish(arr.view(dt.np).reshape(shape), device, requires_grad)
    _need_float(dt, "check_uniform_bounds")
    arr = _gen(generator, _device(device)).uniform(_numel(shape), dt.np).reshape(shape)
    return _finish(arr, device, requires_grad)


@_factory_out
def randn(*args, size=None, generator=None, out=None, dtype=None, device=None,
          requires_grad=False, layout=None, pin_memory=False):
    shape = _size("randn", args, size)
    dt = _dtype_or_default(dtype)
    if dt._kind == 3:
        # PyTorch draws the real view's 2n values, with std 1/sqrt(2) so that E|z|^2 is 1
        arr = _gen(generator, _device(device)).normal(2 * _numel(shape), dt.to_real().np, 0.0,
                                                      1 / math.sqrt(2))
        return _finish(arr.view(dt.np).reshape(shape), device, requires_grad)
    if _numel(shape) == 0 and not dt.is_floating_point:  # (PyTorch draws nothing: no check)
        return _finish(xp_for(_device(device)).empty(shape, dtype=dt.np), device, requires_grad)
    _need_float(dt, "normal_kernel_cpu")
    arr = _gen(generator, _device(device)).normal(_numel(shape), dt.np).reshape(shape)
    return _finish(arr, device, requires_grad)


def _need_float(dt, what):
    if not dt.is_floating_point:
        from ._core import _legacy

        raise NotImplementedError(f'"{what}" not implemented for \'{_legacy(dt)}\'')


def _randint_no_overload(args):
    """PyTorch's message for ``randint`` arguments that match none of its overloads."""
    kw = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
          "torch.device device = None, bool pin_memory = False, bool requires_grad = False")
    lines = "".join(f" * ({head}, *, {gen}{kw})\n"
                    for head in ("int high, tuple of ints size",
                                 "int low, int high, tuple of ints size")
                    for gen in ("torch.Generator generator, ", ""))
    got = ", ".join(type(a).__name__ for a in args)
    return (f"randint() received an invalid combination of arguments - got ({got}), but "
            f"expected one of:\n{lines}")


@_factory_out
def randint(*args, low=None, high=None, size=None, generator=None, out=None, dtype=None,
            device=None, requires_grad=False, layout=None, pin_memory=False):
    """``randint(high, size)`` or ``randint(low, high, size)`` (positional or by keyword)."""
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
        if isinstance(size, int) and len(args) > 1:
            raise TypeError(_randint_no_overload((*args, size)))
        if isinstance(size, int):
            raise TypeError(f"randint(): argument 'size' (position {len(args) + 1}) must be "
                            f"tuple of ints, not int")
    if isinstance(size, (tuple, list)):
        _check_size_items("randint", (size,), len(args) + 1)
    if len(args) == 1 and isinstance(args[0], float):
        raise TypeError("randint(): argument 'high' (position 1) must be int, not float")
    for v in args:
        if isinstance(v, float):
            raise TypeError(_randint_no_overload((*args, size)))
    if high is not None:
        args = [0 if low is None else low, high] if not args else args + [high]
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint() received an invalid combination of arguments")
    low, high = int(_num(low)), int(_num(high))
    shape = shape_arg((size,)) if not isinstance(size, int) else (size,)
    for n in shape:  # (the tensor is made before its fill checks the bounds)
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"{list(shape)}")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    if dt._kind == 3:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    arr = _gen(generator, _device(device)).random_from_to(_numel(shape), low, high,
                                                          dt.np).reshape(shape)
    return _finish(arr, device, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    if isinstance(n, Tensor) and n.ndim == 0 and n.dtype._kind < 2:
        n = int(n)
    bad_n = not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_))
    bad_gen = generator is not None and not hasattr(generator, "_core")
    given = {k: v for k, v in (("generator", generator), ("out", out), ("dtype", dtype),
                               ("layout", layout), ("device", device))
             if v is not None}
    given.update((k, v) for k, v in (("pin_memory", pin_memory),
                                     ("requires_grad", requires_grad)) if v)
    if (bad_n and given) or bad_gen:
        # (with a keyword given, both overloads of randperm fit the number of arguments;
        # NOTE: only keywords away from their defaults are known, in signature order)
        raise TypeError(format_invalid_args("randperm", (n,), given, _RANDPERM_OPTIONS))
    if bad_n:
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if out is not None:  # (as _factory_out, after the argument checks, which name ``out``)
        _check_out_dtype(dtype, out)
        _check_out_grad("aten::randperm", out)
        dtype = out.dtype
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    if dt._kind == 1 and n - 1 > np.iinfo(dt.np).max:
        raise RuntimeError(f"value cannot be converted to type {_CTYPE[dt.name]} without "
                           "overflow")
    arr = _gen(generator, _device(device)).randperm(int(n), dt.np).astype(dt.np)
    if out is not None and out.ndim == 1 and out.shape[0] == n > 1 and out.stride(0) == 0:
        # (PyTorch's kernel shuffles in ``out`` itself, with no overlap check: where all its
        # elements share one memory location, the last index written, n - 1, is everywhere)
        w = out._data if out._data.flags.writeable else writable_alias(out._data)
        if w is not None:
            w[...] = n - 1
            out._vc.v += 1
            return out
    return _to_out(_pinned_if(_finish(arr, device, requires_grad), pin_memory), out)


_RANDPERM_TAIL = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
                  "torch.device device = None, bool pin_memory = False, "
                  "bool requires_grad = False")
_RANDPERM_OPTIONS = (f"(int n, *, torch.Generator generator, {_RANDPERM_TAIL})",
                     f"(int n, *, {_RANDPERM_TAIL})")


def rand_like(t, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None, generator=None, pin_memory=False):
    need_tensor(t, "rand_like")
    # NOTE: drawn into the input's layout, in memory order (as PyTorch: empty_like, then fill)
    out = uniform_(empty_like(t, dtype=dtype, device=device, memory_format=memory_format,
                              pin_memory=pin_memory),
                   generator=generator)
    return out.requires_grad_() if requires_grad else out


def randn_like(t, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None, generator=None, pin_memory=False):
    need_tensor(t, "randn_like")
    out = normal_(empty_like(t, dtype=dtype, device=device, memory_format=memory_format,
                             pin_memory=pin_memory),
                  generator=generator)
    return out.requires_grad_() if requires_grad else out


def randint_like(t, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 layout=None, memory_format=None, generator=None, pin_memory=False):
    if high is None:
        low, high = 0, low
    out = random_(empty_like(t, dtype=dtype, device=device, memory_format=memory_format,
                             pin_memory=pin_memory),
                  low, high, generator=generator)
    if requires_grad:  # (set after the fill, as PyTorch's binding does)
        _require_grad(out)
    return out


_NORMAL_OPTIONS = tuple(f"({head}, *, torch.Generator generator = None, Tensor out = None{tail})"
                        for head, tail in (
    ("Tensor mean, Tensor std", ""), ("Tensor mean, float std = 1", ""),
    ("float mean, Tensor std", ""),
    ("float mean, float std, tuple of ints size", ", torch.dtype dtype = None, torch.layout "
     "layout = None, torch.device device = None, bool pin_memory = False, bool requires_grad "
     "= False")))


@_factory_out
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False, layout=None, pin_memory=False):
    """``normal(mean, std, size)`` with floats, or elementwise with tensor mean/std."""
    if _not_generator(generator):
        given = (mean, std) if size is None else (mean, std, size)
        raise TypeError(format_invalid_args("normal", given, {"generator": generator},
                                            _NORMAL_OPTIONS))
    if size is not None and (any(isinstance(v, Tensor) and v.ndim for v in (mean, std)) or
                             not isinstance(size, (tuple, list)) or
                             not all(_int_arg(v) for v in size)):
        # (only the float overload has a size, a tuple of ints: the form PyTorch's
        # message gives it is as though positional)
        raise TypeError(format_invalid_args("normal", (mean, std, size), {}, _NORMAL_OPTIONS))
    if size is not None:  # (the float overload: 0-d tensors are taken as numbers there)
        mean, std = (v.item() if isinstance(v, Tensor) and v.ndim == 0 else v
                     for v in (mean, std))
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        if isinstance(std, Tensor) and (std._data < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        from .shape import broadcast_shapes  # (PyTorch's error on a mismatch)

        shape = tuple(broadcast_shapes(tuple(getattr(mean, "shape", ())),
                                       tuple(getattr(std, "shape", ()))))
        if not isinstance(std, Tensor) and ref.dtype.is_floating_point:
            # (PyTorch draws with the number std as its scale, then adds the mean)
            noise = _gen(generator, ref.device).normal(_numel(shape), ref.dtype.np, 0.0,
                                                       float(std)).reshape(shape)
            return (_finish(noise, ref.device, False) + mean).detach()
        noise = randn(shape, dtype=ref.dtype, generator=generator, device=ref.device)
        return (noise * std + mean).detach()
    if size is None:
        raise TypeError(format_invalid_args("normal", (mean, std), {}, _NORMAL_OPTIONS))
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    shape = _size("normal", (size,), None)
    dt = _dtype_or_default(dtype)
    if dt._kind == 3 or (_numel(shape) == 0 and not dt.is_floating_point):
        t = empty(shape, dtype=dt, device=device)  # (complex: normal_'s real-view draws)
        if _numel(shape):
            normal_(t, mean, std, generator=generator)
        if requires_grad:
            _require_grad(t)
        return t
    _need_float(dt, "normal_kernel_cpu")
    arr = _gen(generator, _device(device)).normal(_numel(shape), dt.np, float(mean),
                                                  float(std)).reshape(shape)
    return _finish(arr, device, requires_grad)


# -- in-place fills (``uniform_``, ``normal_``, ``random_`` ...) -----------------

def _no_overlap(t):
    """PyTorch's refusal of a random fill into an expanded tensor (before any draw)."""
    from ._core import _OVERLAP, has_internal_overlap

    if has_internal_overlap(t._data):
        raise RuntimeError(_OVERLAP)


def _check_leaf(t):
    """PyTorch's autograd refusals of an in-place fill (a leaf requiring grad, a view of
    one): before the fill's own checks, and before any draw."""
    from ._core import check_inplace

    check_inplace(t)
    if _core._mapped_hook is not None:  # (a vmap runs)
        from ..func._vmap import check_random_inplace

        check_random_inplace(t)


def _fill_order(data):
    """The axes of ``data`` in the order PyTorch's iterator fills them (None: as they are)."""
    if data.flags.c_contiguous or data.ndim < 2:
        return None
    # NOTE: PyTorch fills a non-contiguous tensor in memory order (its iterator walks the
    # dimensions from the largest stride down), so the values go in that order too.
    return sorted(range(data.ndim), key=lambda d: -data.strides[d])


def _fill_random(t, arr, name):
    from ._core import check_inplace, write

    check_inplace(t)
    if t._device.type != "cpu":
        arr = xp_for(t._device).asarray(arr)
    data = t._data
    order = _fill_order(data)
    if order is None:
        write(t, arr.reshape(t.shape))
        return _cut_history(t, name)
    view = data.transpose(order)
    view[...] = arr.reshape(view.shape)
    t._vc.v += 1
    return _cut_history(t, name)


def _cut_history(t, name):
    """After a random fill, a tensor that is part of a graph passes no gradient back (its
    node, ``name``, gives zeros), as in PyTorch."""
    if not t._requires_grad:
        return t
    from ..autograd.grad_mode import STATE
    if not STATE.enabled:
        return t
    from ._core import commit, make
    return commit(t, make(t._data.copy(), (t,), name, lambda ctx, g: (g * 0,)))


def uniform_(t, a=0.0, b=1.0, *, generator=None, **bounds):
    if bounds:  # (PyTorch's names, ``from`` and ``to``: Python keywords)
        unknown = next((k for k in bounds if k not in ("from", "to")), None)
        if unknown is not None:
            raise TypeError(f"uniform_() got an unexpected keyword argument '{unknown}'")
        a, b = bounds.get("from", a), bounds.get("to", b)
    _check_leaf(t)
    if t._device.type == "meta":
        if a > b:
            raise RuntimeError("uniform_ expects to return a [from, to) range, but found "
                               f"from={float(a):g} > to={float(b):g}")
    else:  # (the bounds' checks, in PyTorch's order, before the overlap's: a draw of none)
        _gen(generator, t._device).uniform(0, (t.dtype.to_real() if t.dtype._kind == 3
                                               else t.dtype).np, float(a), float(b))
    _no_overlap(t)
    if t.dtype._kind == 3:  # the real view's values: real and imaginary parts in turn
        arr = _gen(generator, t._device).uniform(2 * t.numel(), t.dtype.to_real().np, float(a),
                                                 float(b))
        return _fill_random(t, arr.view(t.dtype.np), "UniformBackward0")
    return _fill_random(t, _gen(generator, t._device).uniform(t.numel(), t.dtype.np, float(a),
                                                              float(b)), "UniformBackward0")


def normal_(t, mean=0.0, std=1.0, *, generator=None):
    _check_leaf(t)
    if not std >= 0:  # (NaN too)
        raise RuntimeError(f"normal expects std >= 0.0, but found std {float(std):g}")
    if not (t.dtype.is_floating_point or t.dtype.is_complex):  # (before the overlap check)
        _need_float(t.dtype, "normal_kernel_cpu")
    _no_overlap(t)
    contiguous = t.is_contiguous()
    if t.dtype._kind == 3:  # the real view, std / sqrt(2) per part (as PyTorch)
        arr = _gen(generator, t._device).normal(2 * t.numel(), t.dtype.to_real().np,
                                                float(mean), float(std) / math.sqrt(2),
                                                contiguous=contiguous)
        return _fill_random(t, arr.view(t.dtype.np), "NormalBackward0")
    arr = _gen(generator, t._device).normal(t.numel(), t.dtype.np, float(mean), float(std),
                                 contiguous=contiguous)
    return _fill_random(t, arr, "NormalBackward0")


# ``random_``'s three signatures: as PyTorch prints them, and their positional parameters
# (``to`` may be None in the second: [from, the dtype's maximum]).
_RANDOM_OPTIONS = ("(*, torch.Generator generator = None)",
                   "(int from, int to, *, torch.Generator generator = None)",
                   "(int to, *, torch.Generator generator = None)")
_RANDOM_POSITIONAL = ((), ("from", "to"), ("to",))


def _int_arg(a) -> bool:
    """Whether PyTorch's parser takes ``a`` as an int (a 0-d integer tensor too)."""
    if isinstance(a, Tensor):
        return a.ndim == 0 and not a.dtype.is_floating_point and not a.dtype.is_complex
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))


def _bind_random(pos, args, kwargs):
    """``{name: value}`` of a ``random_`` call under the signature of positional parameters
    ``pos``, or None where it does not fit."""
    if len(args) > len(pos):
        return None
    vals = dict(zip(pos, args))
    for k, v in kwargs.items():
        if k in vals or k not in pos + ("generator",):
            return None
        vals[k] = v
    for p in pos:
        if p not in vals or not (_int_arg(vals[p]) or (p == "to" and len(pos) == 2
                                                         and vals[p] is None)):
            return None
    g = vals.get("generator")
    return vals if g is None or hasattr(g, "_core") else None


def _random_parse_error(pos, args, kwargs):
    """PyTorch's words when the call fits just one signature by its number of arguments."""
    if len(args) > len(pos):
        n = len(pos)
        return (f"random_() takes {n} positional argument{'' if n == 1 else 's'} but "
                f"{len(args)} {'was' if len(args) == 1 else 'were'} given")
    for i, p in enumerate(pos):
        if i >= len(args) and p not in kwargs:
            missing = [f'"{q}"' for q in pos[i:] if q not in kwargs]
            # (PyTorch's plural is the other way round)
            return (f"random_() missing {len(missing)} required positional argument"
                    f"{'s' if len(missing) == 1 else ''}: {', '.join(missing)}")
        v = args[i] if i < len(args) else kwargs[p]
        if not (_int_arg(v) or (p == "to" and len(pos) == 2 and v is None)):
            where = f" (position {i + 1})" if i < len(args) else ""
            return f"random_(): argument '{p}'{where} must be int, not {tp_name(v)}"
    g = kwargs.get("generator")
    if g is not None and not hasattr(g, "_core"):
        return f"random_(): argument 'generator' must be torch.Generator, not {tp_name(g)}"
    for k in kwargs:
        if k in pos[:len(args)]:
            return f"random_() got multiple values for argument '{k}'"
        if k not in pos + ("generator",):
            return f"random_() got an unexpected keyword argument '{k}'"
    return "random_(): invalid arguments"


def random_(t, *args, **kwargs):
    """``random_()``, ``random_(to)`` or ``random_(from, to)`` (``to=None``: up to the dtype's
    maximum), bound to its arguments as PyTorch's parser binds them."""
    for pos in _RANDOM_POSITIONAL:
        vals = _bind_random(pos, args, kwargs)
        if vals is not None:
            break
    else:
        n = len(args) + len(kwargs)
        fits = [pos for pos, (lo, hi) in zip(_RANDOM_POSITIONAL, ((0, 1), (2, 3), (1, 2)))
                if lo <= n <= hi]
        if len(fits) == 1:
            raise TypeError(_random_parse_error(fits[0], args, kwargs))
        raise TypeError(format_invalid_args("random_", args, kwargs, _RANDOM_OPTIONS))
    _check_leaf(t)
    _no_overlap(t)
    g = _gen(vals.get("generator"), t._device)
    if "to" not in vals:
        return _fill_random(t, g.random_full(t.numel(), t.dtype.np), "RandomBackward0")
    low, high = int(vals.get("from", 0)), vals["to"]
    return _fill_random(t, g.random_from_to(t.numel(), low, None if high is None else int(high),
                                            t.dtype.np), "RandomBackward0")


def bernoulli_(t, p=0.5, *, generator=None):
    if _not_generator(generator):
        raise TypeError(format_invalid_args("bernoulli_", (p,), {"generator": generator}, (
            "(Tensor p, *, torch.Generator generator = None)",
            "(float p = 0.5, *, torch.Generator generator = None)")))
    _check_leaf(t)
    _no_overlap(t)
    if t._device.type != "cpu" and generator is None and not isinstance(p, Tensor):
        # NOTE: on a GPU the draw happens there, from the device's own stream (seeded by
        # manual_seed, saved by cuda.get_rng_state), so that dropout needs no host-to-GPU
        # copy per step.  PyTorch's CUDA stream is another one anyway; ember's other random
        # ops on a GPU keep the CPU stream.
        from ._core import check_inplace, write
        from .. import cuda

        check_inplace(t)
        dt = np.float64 if t.dtype is D.float64 else np.float32
        r = cuda._uniform(t._device, t.shape, dt) if t._device.type == "cuda" else \
            xp_for(t._device).random.random_sample(t.shape, dtype=dt)  # (meta: no values)
        write(t, r < p)
        return _cut_history(t, "BernoulliBackward2")
    g = _gen(generator, t._device)
    if isinstance(p, Tensor):
        if t.numel() == 0 and t._device.type == "cpu":  # (PyTorch returns at once: no checks)
            return _cut_history(t, "BernoulliBackward1")
        # PyTorch's order: self's dtype, p expanded to self's shape, p's dtype, p's range
        for x in (t, p):  # (before the range check, whose comparison would refuse first)
            if x.dtype.is_complex or x.dtype in _WIDE_UNSIGNED:
                kernel = "p_" if x is p and not x.dtype.is_complex else "self_"
                if x is p:
                    p.expand(t.shape)
                raise NotImplementedError(f'"bernoulli_tensor_cpu_{kernel}" not implemented for '
                                          f"'{D.scalar_name(x.dtype)}'")
        p = p.expand(t.shape)
        if p._device.type != "meta" and p.numel() and \
                not bool(((p >= 0) & (p <= 1)).all()):  # (NaN fails too)
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")
        if t._device.type == "meta":  # (no probabilities to read, nothing drawn)
            return _fill_random(t, g.bernoulli(t.numel(), t.dtype.np), "BernoulliBackward1")
        probs = np.broadcast_to(p.numpy(force=True), t.shape)
        order = _fill_order(t._data)
        if order is not None:  # (the draws go in ``t``'s memory order: so must the p's)
            probs = probs.transpose(order)
        return _fill_random(t, g.bernoulli_tensor(probs, t.dtype.np), "BernoulliBackward1")
    if not 0 <= float(p) <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={float(p):g}")
    return _fill_random(t, g.bernoulli(t.numel(), float(p), t.dtype.np), "BernoulliBackward2")


_BERNOULLI_OPTIONS = ("(Tensor input, *, torch.Generator generator = None, Tensor out = None)",
                      "(Tensor input, float p, *, torch.Generator generator = None)")


def _not_generator(g):
    return g is not None and not hasattr(g, "_core")


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 draws: with probabilities ``input``, or ``p`` for each of ``input``'s elements."""
    if (out is not None and p is not None) or _not_generator(generator):
        # (only the probabilities-tensor overload has ``out=``)
        given = {k: v for k, v in (("generator", generator), ("out", out)) if v is not None}
        raise TypeError(format_invalid_args("bernoulli", (input,) if p is None else (input, p),
                                            given, _BERNOULLI_OPTIONS))
    if out is not None:
        if tuple(out.shape) != tuple(input.shape):  # (PyTorch's resize_: no warning)
            out.resize_(input.shape)
        return bernoulli_(out, input, generator=generator)
    if isinstance(p, Tensor):
        if p.ndim:
            raise TypeError(f"bernoulli(): argument 'p' must be float, not {type(p).__name__}")
        p = p.item()  # (PyTorch's parser takes a 0-d tensor as the number)
    out = wrap(xp_for(input._device).empty(input.shape, dtype=input.dtype.np), input._device)
    return bernoulli_(out, input if p is None else p, generator=generator)


def exponential_(t, lambd=1.0, *, generator=None):
    _check_leaf(t)
    _no_overlap(t)
    return _fill_random(t, _gen(generator, t._device).exponential(t.numel(), t.dtype.np,
                                                                  lambd),
                        "ExponentialBackward0")


def multinomial(probs, num_samples, replacement=False, *, generator=None, out=None):
    """Sample category indices from each row of ``probs`` with PyTorch's CPU algorithm.

    Without replacement (or for one sample) it draws ``q ~ Exponential(1)`` per entry and
    keeps the ``num_samples`` largest ``probs / q``; with replacement it draws one 53-bit
    uniform per sample and finds the first category whose normalised running sum reaches it.
    """
    if probs._device.type == "meta":  # (no values to sample from: PyTorch's meta kernel
        if probs.dim() not in (1, 2):  # checks only the shapes)
            raise RuntimeError("The probability distributions dimensions must be 1 or 2, but "
                               f"got {probs.dim()}")
        shape = (num_samples,) if probs.dim() == 1 else (probs.shape[0], num_samples)
        if num_samples < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {num_samples}: "
                               f"{list(shape)}")
        return wrap(xp_for(probs._device).empty(shape, dtype=np.int64), probs._device)
    if probs.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not probs.dtype.is_floating_point:
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_legacy_name(probs.dtype)}")
    if out is not None:
        if out.dtype is not D.int64:
            raise RuntimeError(f"multinomial expects Long tensor out, got: "
                               f"{_legacy_name(out.dtype)}")
        res = multinomial(probs, num_samples, replacement, generator=generator)
        from ._core import write

        if tuple(out.shape) != tuple(res.shape):  # (PyTorch's resize_: no warning)
            out.resize_(res.shape)
        write(out, res._data)
        return out
    dev = probs._device
    rows = probs.reshape(1, -1) if probs.dim() == 1 else probs
    if dev.type != "cpu":  # (the draws come from the CPU stream: sampled on the host)
        rows = rows.cpu()
    k = rows.shape[1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if k > 2 ** 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    if rows.shape[0] == 0:  # no distributions: an empty result, and no draws
        return wrap(xp_for(dev).empty((0, num_samples), dtype=np.int64), dev)
    w = rows.numpy(force=True).astype(np.float64)
    if not replacement or num_samples == 1:
        if k == 0:  # (PyTorch's check takes the min and max of the probabilities)
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        if not np.isfinite(w).all() or (w < 0).any():
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if not (w.sum(1) > 0).all():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        # (``empty_like``: PyTorch's q keeps the probabilities' stride order, and is filled
        # in its memory order)
        q = empty_like(rows).exponential_(1, generator=generator)
        with quiet:
            keys = (rows._data / q._data).astype(np.float64)
        # the largest first; among equal keys the lower index first
        out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        if (w < 0).any() or np.isnan(w).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry < 0)")
        if np.isinf(w).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry = infinity or NaN)")
        cum = np.cumsum(w, axis=1)  # sequential, as the kernel's running sum
        total = cum[:, -1:]
        if k == 0 or not (total > 0).all():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum = cum / total
        g = _gen(generator)
        out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
        for r in range(rows.shape[0]):
            u = g.uniform(num_samples, np.float64)
            out[r] = np.minimum(np.searchsorted(cum[r], u, side="left"), k - 1)
    out = out.astype(np.int64)
    out = out[0] if probs.dim() == 1 else out
    return wrap(out if dev.type == "cpu" else xp_for(dev).asarray(out), dev)


def _legacy_name(dt):
    from ._core import _legacy

    return _legacy(dt)


