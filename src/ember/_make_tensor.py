"""``torch.testing.make_tensor``: a tensor of uniformly drawn values for tests.

The values come from the same generator calls PyTorch makes (``randint`` for bool and
integer dtypes, ``uniform_`` on an empty tensor for floating ones), so the same seed gives
the same tensor.  Exported by :mod:`ember.testing`.
"""
from __future__ import annotations

import collections.abc
import math

from . import _dtype as D
from ._warnings import warn as _warn

__all__ = ["make_tensor"]

_INTEGRAL = (D.uint8, D.int8, D.int16, D.int32, D.int64, D.uint16, D.uint32, D.uint64)
_FLOATING = (D.float16, D.bfloat16, D.float32, D.float64)
_COMPLEX = (D.complex64, D.complex128)
# (drawn in float32, then cast, as PyTorch draws them)
_FLOATING_8BIT = tuple(getattr(D, n) for n in ("float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                                                "float8_e5m2fnuz") if hasattr(D, n))


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` (ints, or one sequence) and ``dtype`` on ``device`` whose
    values are drawn uniformly from ``[low, high)``.

    Defaults: ``[-9, 9)`` for floating dtypes, ``[-9, 10)`` for integers (clamped to what
    the dtype holds, so ``[0, 10)`` for ``uint8``), ``{False, True}`` for bool.  Integer
    bounds are rounded up.  ``noncontiguous`` returns a strided view (when the tensor has
    more than one element), ``memory_format`` a copy in that layout (the two exclude each
    other), ``exclude_zero`` replaces zeros by 1 (integers) or the dtype's smallest normal
    number (floating), and ``requires_grad`` is only for floating dtypes.

    >>> ember.manual_seed(0)
    >>> make_tensor(2, 3, dtype=ember.int64, device="cpu", low=0, high=5)
    tensor([[4, 4, 3],
            [0, 3, 4]])
    """
    import ember

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous!r} and "
                         f"memory_format={memory_format!r}")
    integral = dtype is D.bool or dtype in _INTEGRAL
    if requires_grad and integral:
        raise ValueError("`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dtype!r}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:  # draw twice as many along the last dim, then keep every other one
        shape = (*shape[:-1], 2 * shape[-1])

    if dtype is D.bool:
        low, high = _bounds(low, high, dtype, 0, 2, 0, 2)
        result = ember.randint(low, high, shape, device=device, dtype=dtype)
    elif dtype in _INTEGRAL:
        info = ember.iinfo(dtype)
        # NOTE: int64's top value is left out, as in PyTorch (randint's bounds are int64)
        low, high = _bounds(low, high, dtype, info.min,
                            info.max + (1 if dtype is not D.int64 else 0), -9, 10)
        result = ember.randint(low, high, shape, device=device, dtype=dtype)
    elif dtype in _FLOATING or dtype in _COMPLEX or dtype in _FLOATING_8BIT:
        info = ember.finfo(dtype)
        low, high = _bounds(low, high, dtype, info.min, info.max, -9, 9)
        draw = D.float32 if dtype in _FLOATING_8BIT else dtype
        result = ember.empty(shape, device=device, dtype=draw)
        target = ember.view_as_real(result) if dtype in _COMPLEX else result
        if high - low >= ember.finfo(draw).max:  # uniform_ needs a finite width: draw half
            target.uniform_(low / 2, high / 2).mul_(2)
        else:
            target.uniform_(low, high)
        result = result.to(dtype) if draw is not dtype else result
    else:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by "
                        "torch.testing.make_tensor(). To request support, file an issue at: "
                        "https://github.com/pytorch/pytorch/issues")

    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = 1 if integral else ember.finfo(dtype).tiny
    if dtype in _FLOATING or dtype in _COMPLEX:
        result.requires_grad = requires_grad
    return result


def _bounds(low, high, dtype, lowest, highest, default_low, default_high):
    """``[low, high)`` checked against the dtype's range ``[lowest, highest)`` and clamped
    to it; rounded up to integers for bool and integer dtypes."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and (dtype in _FLOATING or dtype in _COMPLEX):
        _warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex "
              "types is deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` "
              "instead.", FutureWarning)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but {dtype} only supports [{lowest}, {highest})")
    low = min(max(low, lowest), highest)
    high = min(max(high, lowest), highest)
    if dtype is D.bool or dtype in _INTEGRAL:
        return math.ceil(low), math.ceil(high)
    return low, high
