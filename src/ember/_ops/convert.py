"""Moving tensors between dtypes and devices."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._device import canonical, device as Device, xp_for
from .._tensor import Tensor
from ._core import make


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if isinstance(a, Tensor):
            dtype, dev = a.dtype, a.device
        elif isinstance(a, D.dtype) or a in (float, int, bool):
            dtype = D.to_dtype(a)
        elif isinstance(a, (str, Device, int)) and not isinstance(a, bool):
            dev = a
        elif isinstance(a, bool):
            continue  # legacy positional non_blocking
        else:
            raise TypeError(f"to() received an invalid combination of arguments - got "
                            f"({type(a).__name__})")
    return (None if dtype is None else D.to_dtype(dtype),
            None if dev is None else canonical(dev), copy)


def to(t, *args, **kwargs):
    dtype, dev, copy = _parse_to(args, dict(kwargs))
    dtype = dtype or t.dtype
    dev = dev or t._device
    if dtype is t.dtype and dev == t._device and not copy:
        return t
    arr = t._data
    if dev != t._device:
        if dev.type == "cpu":
            arr = arr.get()
        else:
            xp = xp_for(dev)
            with xp.cuda.Device(dev.index):
                arr = xp.asarray(arr)
    if arr.dtype != dtype.np:
        arr = _cast(arr, t.dtype, dtype)
    elif arr is t._data:
        arr = arr.copy()
    out = make(arr, (t,), "ToCopyBackward0", _to_rule, t._device, device=dev)
    return out


def _cast(arr, src, dst):
    if src.is_floating_point and not dst.is_floating_point and dst is not D.bool:
        # float -> int truncates toward zero (NumPy warns on nan/inf; PyTorch does not).
        with np.errstate(invalid="ignore"):
            return np.trunc(arr).astype(dst.np) if src is not D.bfloat16 else \
                np.trunc(arr.astype(np.float32)).astype(dst.np)
    if src is D.bfloat16 and dst is not D.float32:
        return arr.astype(np.float32).astype(dst.np)
    if dst is D.bfloat16 and src is not D.float32 and src is not D.float64:
        return arr.astype(np.float32).astype(dst.np)
    with np.errstate(over="ignore", invalid="ignore"):
        return arr.astype(dst.np)


def _to_rule(ctx, g):
    dev, = ctx.saved
    return (g.to(dev),)


def type_(t, dtype=None, non_blocking=False):
    if dtype is None:
        return f"torch.{D.dtype_name_for_type(t.dtype)}" if t._device.type == "cpu" else \
            f"torch.cuda.{D.dtype_name_for_type(t.dtype)}"
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1]
        for d in D.ALL:
            if D.dtype_name_for_type(d) == name:
                dev = "cuda" if ".cuda." in dtype else "cpu"
                return to(t, d, dev if dev == "cuda" else t.device)
        raise ValueError(f"invalid type: '{dtype}'")
    return to(t, D.to_dtype(dtype))


def cpu(t):
    return to(t, "cpu")


def cuda(t, device=None, non_blocking=False):
    return to(t, "cuda" if device is None else Device("cuda", device) if isinstance(device, int)
              else device)
