"""Moving tensors between dtypes and devices."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._device import _index, canonical, device as Device, xp_for
from .._tensor import Tensor
from ._core import make
from ._core import quiet


def _bad_to(args, kwargs):
    from ._core import _kwargs_in_torch_order, tp_name

    # (as PyTorch's parser lists them: keywords in its hash map's order, each followed by
    # ", " when no positional argument came before them)
    kws = [f"{k}={tp_name(v)}" for k, v in _kwargs_in_torch_order(kwargs)]
    got = ", ".join([tp_name(a) for a in args] + kws) if args else \
        "".join(k + ", " for k in kws)
    tail = ("bool non_blocking = False, bool copy = False, *, torch.memory_format "
            "memory_format = None")
    return TypeError(f"to() received an invalid combination of arguments - got ({got}), but "
                     "expected one of:\n"
                     f" * (torch.device device = None, torch.dtype dtype = None, {tail})\n"
                     f" * (torch.dtype dtype, {tail})\n"
                     f" * (Tensor tensor, {tail})\n")


def _is_dtype(a):
    return isinstance(a, D.dtype) or type(a) is type and a in (float, int, bool, complex)


def _parse_to(args, kwargs):
    """PyTorch's three forms: ``to(device, dtype, ...)``, ``to(dtype, ...)``, ``to(other, ...)``.

    The positional arguments after the first are ``non_blocking`` and ``copy`` (with a
    dtype after a device in the first form).
    """
    all_args, all_kwargs = args, dict(kwargs)
    kwargs = dict(kwargs)
    known = {"dtype", "device", "copy", "non_blocking", "memory_format", "other"}
    if any(k not in known for k in kwargs):  # (a misspelt ``devic=``: no form takes it)
        raise _bad_to(all_args, all_kwargs)
    kwargs.pop("memory_format", None)
    dtype = dev = None
    args = list(args)
    if args and isinstance(args[0], Tensor):
        if "dtype" in kwargs or "device" in kwargs:
            raise _bad_to(all_args, all_kwargs)
        other = args.pop(0)
        dtype, dev = other.dtype, other.device
    elif args and args[0] is not None and (_is_dtype(args[0]) or
                                           isinstance(args[0], (float, bool, complex))):
        if "dtype" in kwargs or "device" in kwargs:
            raise _bad_to(all_args, all_kwargs)
        dtype = args.pop(0)
        if isinstance(dtype, (float, bool, complex)):
            # (PyTorch's parser reads a Python scalar there as the dtype of its type:
            # ``to(3.5)`` is ``to(torch.float64)``, ``to(True)`` ``to(torch.bool)``)
            dtype = type(dtype)
    else:
        if args:
            dev = args.pop(0)
            if "device" in kwargs:
                raise _bad_to(all_args, all_kwargs)
            if args and (args[0] is None or _is_dtype(args[0])):
                dtype = args.pop(0)
            elif args:  # (the device form's second positional is the dtype: to("cpu", True))
                raise _bad_to(all_args, all_kwargs)
        dev = kwargs.pop("device", dev)
        dtype = kwargs.pop("dtype", dtype)
    # what is left: non_blocking, copy (positionally or by name)
    flags = {"non_blocking": False, "copy": False}
    for name, v in zip(("non_blocking", "copy"), args):
        flags[name] = v
    if len(args) > 2:
        raise _bad_to(all_args, all_kwargs)
    for name in ("non_blocking", "copy"):
        if name in kwargs:
            flags[name] = kwargs.pop(name)
    kwargs.pop("dtype", None)
    kwargs.pop("device", None)
    for v in flags.values():
        if not isinstance(v, bool):
            raise _bad_to(all_args, all_kwargs)
    if dtype is not None and not _is_dtype(dtype):
        raise _bad_to(all_args, all_kwargs)
    if dev is not None and not isinstance(dev, (str, Device)) and \
            _index(dev, tensors=False) is None:
        raise _bad_to(all_args, all_kwargs)
    return (None if dtype is None else D.to_dtype(dtype),
            None if dev is None else canonical(dev), flags["copy"])


def to(t, *args, **kwargs):
    mf = kwargs.pop("memory_format", None)
    if mf is not None and str(mf) != "torch.preserve_format":
        from ._core import channels_last_copy, suggests_channels_last, xp_of_array
        from .shape import _channels_last_rank

        last = _channels_last_rank(t, mf) is not None
        dtype, dev, copy = _parse_to(args, dict(kwargs))
        if not copy and dtype in (None, t.dtype) and dev in (None, t._device) and \
                suggests_channels_last(t._data) == last:
            return t  # (PyTorch's rule: the suggested memory format is the one asked for)
        out = to(t, *args, **dict(kwargs, copy=True))
        # (a fresh copy: laid out anew, PyTorch's strides on size-1 dims included)
        out._data = channels_last_copy(out._data) if last else \
            xp_of_array(out._data).array(out._data, order="C", copy=True)
        return out
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
        arr = None
    if type(t._data) is np.ndarray and dev.type == "cpu":
        # PyTorch's copy keeps the source's layout (preserve_format).
        from .shape import empty_like_layout, empty_with_strides, keep_empty_strides

        if not t._data.size:  # (an empty one keeps its strides, whatever they are)
            return keep_empty_strides(make(empty_with_strides(t, dtype.np), (t,),
                                           "ToCopyBackward0", _to_rule, t._device,
                                           device=dev), t)
        src = t._data if arr is None else arr
        out_arr = empty_like_layout(t._data, dtype.np)
        out_arr[...] = src
        arr = out_arr
    elif arr is None:
        arr = t._data.copy()
    out = make(arr, (t,), "ToCopyBackward0", _to_rule, t._device, device=dev)
    return out


_HALVES = (D.float16, D.bfloat16)


def _cast(arr, src, dst):
    if src in D._ODD or dst in D._ODD:
        return _cast_odd(arr, src, dst)
    if src._kind == 3 and dst._kind != 3:
        if dst is D.bool:  # (nonzero if either part is: PyTorch doesn't warn)
            return arr != 0
        from .._warnings import warn_once

        if np.size(arr):  # (PyTorch's copy of no elements returns before its warning)
            warn_once("complex to real", "Casting complex values to real discards the "
                      "imaginary part", cpp="aten/src/ATen/native/Copy.cpp:307")
        arr, src = arr.real, src.to_real()
    if src.is_floating_point and dst._kind == 1:
        # float -> int truncates toward zero (NumPy warns on nan/inf; PyTorch does not).
        with quiet:
            if src is D.float64 and dst is D.uint8:
                # NOTE: PyTorch's double -> uint8 goes through int64, so values past 255
                # wrap modulo 256 (NumPy's direct cast gives 0 past int32's range)
                return np.trunc(arr).astype(np.int64).astype(np.uint8)
            return np.trunc(arr).astype(dst.np) if src is not D.bfloat16 else \
                np.trunc(arr.astype(np.float32)).astype(dst.np)
    if src is D.bfloat16 and dst is not D.float32:
        with quiet:  # (3e38 overflows float16 to inf silently)
            return arr.astype(np.float32).astype(dst.np)
    if dst in _HALVES and src is not D.float32 and src not in _HALVES:
        # NOTE: PyTorch converts to half types through float32: a float64 just above a
        # half-way point can round down (2049.0000001 -> 2048 in float16)
        with quiet:
            out = arr.astype(np.float32).astype(dst.np)
        return _half_nans(out, arr, src, dst) if src is D.float64 else out
    with quiet:
        out = arr.astype(dst.np)
    if src is D.float16 and dst is D.float32:
        return _float16_nans(out, arr)
    return _half_nans(out, arr, src, dst) if dst in _HALVES and src in _FLOATS else out


def _float16_nans(out, arr):
    """float16 to float32 with PyTorch's NaN bits: the processor's conversion (sign and payload
    kept, quieted; NumPy's keeps a signalling NaN) but on the tails of a contiguous tensor's
    loop (8 values a vector step, a tail per thread), which give 0x7fffffff."""
    if type(arr) is not np.ndarray or not arr.size:
        return out
    nan = np.isnan(arr)
    if not nan.any():
        return out
    bits = out.view(np.uint32)
    bits[nan] |= 0x400000
    if arr.flags.c_contiguous or arr.flags.f_contiguous:
        from . import _sleef

        vec = _sleef.loop_mask(arr.shape, arr, block=8)
        if vec is not True:
            bits[nan if vec is None else nan & ~vec] = 0x7FFFFFFF
    return out


def _half_nans(out, arr, src, dst):
    """``out`` (``arr`` cast to a half type) with PyTorch's NaN bits (NumPy's and ml_dtypes'
    keep the sign and payload). PyTorch's vector code (a contiguous inner loop) gives bfloat16
    0xffff, float16 the processor's conversion of a float32 (sign and payload kept, quieted);
    its scalar code the positive quiet NaN. float64 to bfloat16 takes 16 values a vector step,
    float16 to bfloat16 is scalar throughout."""
    if type(arr) is not np.ndarray or not arr.size or (src is D.float64 and dst is D.float16):
        return out
    with quiet:
        nan = np.isnan(arr)
    if not nan.any():
        return out
    steps = [s for n, s in zip(arr.shape, arr.strides) if n > 1]
    inner = min(map(abs, steps), default=arr.itemsize) == arr.itemsize
    bits = out.view(np.uint16)
    if dst is D.bfloat16:
        vec = src is D.float32 and inner or None
        if src is D.float64:
            from . import _sleef

            vec = _sleef.loop_mask(arr.shape, arr, block=16)
        bits[nan] = 0x7FC0
        if vec is not None:
            bits[nan & vec] = 0xFFFF
    else:
        bits[nan] = 0x7E00
        if inner:
            b = arr[nan].view(np.uint32)
            bits[nan] = (b >> 16 & 0x8000) | 0x7E00 | (b >> 13 & 0x3FF)
    return out


def _cast_odd(arr, src, dst):
    """A cast from or to a float8 type (done by ember._float8, as PyTorch rounds) or a
    shell type (refused, as PyTorch has no copy kernel for them)."""
    for d in (src, dst):
        if d in D.SHELLS:
            kernel = "copy_kernel" if d is D.float4_e2m1fn_x2 else "copy_"
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{D.scalar_name(d)}'")
    if not isinstance(arr, (np.ndarray, np.generic)):
        from .._device import _meta_xp, xp_of_other

        if type(arr) is not _meta_xp.MetaArray:  # a GPU array: the tables work on the host
            xp = xp_of_other(arr)
            return xp.asarray(_cast_odd(xp.asnumpy(arr), src, dst))
    from .. import _float8 as F8

    if src in D.FLOAT8:
        codes = np.asarray(arr).view(np.uint8)
        if dst in _FLOATS:
            return np.asarray(F8.decode(codes, src.name, dst.np))
        f = np.asarray(F8.decode(codes, src.name))
        if dst in D.FLOAT8:
            return F8.encode_f32(f, dst.name).view(dst.np)
        if dst._kind == 1 and src.name in F8.ONE_NAN:
            f = np.where(np.isnan(f), np.float32(0), f)  # NOTE: PyTorch gives 0 for their NaN
        return _cast(f, D.float32, dst)
    if src is not D.float32:
        arr = _cast(arr, src, D.float32)  # (as PyTorch: through float32, rounding twice)
    return F8.encode_f32(arr, dst.name).view(dst.np)


_FLOATS = (D.float16, D.bfloat16, D.float32, D.float64)


def _to_rule(ctx, g):
    dev, = ctx.saved
    return (g.to(dev),)


def type_(t, dtype=None, non_blocking=False, **kwargs):
    legacy = getattr(dtype, "_dtype", None)  # torch.DoubleTensor and friends
    if legacy is not None:
        if dtype._device_type == "cuda":
            _need_cuda_library()
        return to(t, dtype._device_type, legacy)  # (torch.cuda.FloatTensor: to the GPU)
    return _type(t, dtype, non_blocking)


def _need_cuda_library():
    """PyTorch's CPU build's error for a ``torch.cuda.*Tensor`` type without a GPU."""
    from .._device import _NO_ATEN_CUDA, cuda_available, no_cuda

    if not cuda_available():
        raise no_cuda(RuntimeError, _NO_ATEN_CUDA)


def _type(t, dtype=None, non_blocking=False):
    if dtype is None:  # torch.FloatTensor, torch.cuda.FloatTensor, torch.meta.FloatTensor
        kind = t._device.type
        return f"torch.{'' if kind == 'cpu' else kind + '.'}{D.dtype_name_for_type(t.dtype)}"
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1]
        prefix = dtype[:-len(name)]
        if prefix in ("torch.", "torch.cuda."):
            for d in D.ALL:
                if D.dtype_name_for_type(d) == name:
                    if prefix == "torch.cuda.":
                        _need_cuda_library()
                        return to(t, "cuda", d)
                    return to(t, d)
        raise ValueError(f"invalid type: '{dtype}'")
    if dtype is Tensor:  # (torch.Tensor: the default tensor type)
        return to(t, D.get_default_dtype())
    if not isinstance(dtype, D.dtype):
        if not isinstance(dtype, type):
            raise TypeError("dtype must be a type, str, or dtype object")
        # (the type's C name: numpy.int32, but a class written in Python by its bare name)
        name = dtype.__name__ if dtype.__module__ == "builtins" or \
            dtype.__flags__ & (1 << 9) else f"{dtype.__module__}.{dtype.__qualname__}"
        raise ValueError(f"invalid type: '{name}'")
    return to(t, dtype)


def cpu(t, *args, memory_format=None):
    if args:  # (PyTorch's method takes ``memory_format`` by keyword only)
        raise TypeError(f"cpu() takes 0 positional arguments but {len(args)} "
                        f"{'was' if len(args) == 1 else 'were'} given")
    return to(t, "cpu", memory_format=memory_format)


def cuda(t, device=None, non_blocking=False, *args, memory_format=None):
    if args:
        raise TypeError(f"cuda() takes from 0 to 2 positional arguments but {len(args) + 2} "
                        "were given")
    if device is not None:
        if not isinstance(device, (str, Device)) and _index(device, tensors=False) is None:
            raise TypeError("cuda(): argument 'device' (position 1) must be torch.device, not "
                            f"{type(device).__name__}")
        device = Device(device)  # (a bare index: the accelerator's, as PyTorch)
        if device.type != "cuda":
            raise RuntimeError("Invalid device, must be cuda device")
    return to(t, "cuda" if device is None else device, memory_format=memory_format)


def xpu(t, device=None, non_blocking=False, memory_format=None):
    raise AssertionError("Torch not compiled with XPU enabled")  # (ember has no XPU backend)


def ipu(t, device=None, non_blocking=False, memory_format=None):
    raise RuntimeError("PyTorch is not linked with support for ipu devices")


def mtia(t, device=None, non_blocking=False, memory_format=None):
    from .._device import canonical

    canonical("mtia")  # (PyTorch's CPU build's AssertionError)
