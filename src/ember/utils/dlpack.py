"""``torch.utils.dlpack``: zero-copy exchange of tensors with other array libraries.

ember tensors hold NumPy (CPU) or CuPy (CUDA) arrays, and both libraries speak
DLPack, so the work is done by them: ``Tensor.__dlpack__`` hands out the array's
capsule after PyTorch's checks, and ``from_dlpack`` lets NumPy (or CuPy) import
the producer's memory and wraps the result without copying.

NumPy's DLPack knows no bfloat16: ember passes such memory as uint16 and corrects the
type tag on the capsule.  Limit: a read-only array (an ``expand``-ed view) is exported
as a copy through the legacy, unversioned protocol, which cannot mark memory read-only.
"""
from __future__ import annotations

import ctypes
import enum

import numpy as np

import ember

__all__ = ["DLDeviceType", "from_dlpack"]


class DLDeviceType(enum.IntEnum):
    """Device codes of the DLPack standard."""

    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17


_HOST = (DLDeviceType.kDLCPU, DLDeviceType.kDLCUDAHost, DLDeviceType.kDLCUDAManaged)
_INVALID_CAPSULE = ("from_dlpack received an invalid capsule. Note that DLTensor capsules can be "
                    "consumed only once, so you might have already constructed a tensor from it "
                    "once.")


# -- export ---------------------------------------------------------------------------
def _dlpack_device(self):
    dev = self.device
    index = dev.index if dev.index is not None else 0
    if dev.type == "cuda":
        return (DLDeviceType.kDLCUDA, index)
    if dev.type == "cpu":
        kind = DLDeviceType.kDLCUDAHost if self.is_pinned() else DLDeviceType.kDLCPU
        return (kind, index)
    raise ValueError(f"Unknown device type {dev.type} for Dlpack")


def _export(arr, max_version, dl_device, copy, stream=None):
    kwargs = {"max_version": max_version, "dl_device": dl_device, "copy": copy}
    if isinstance(arr, np.ndarray):
        if arr.dtype.name == "bfloat16":
            capsule = _export(arr.view(np.uint16), max_version, dl_device, copy)
            _retag(capsule, _kDLUInt, _kDLBfloat)
            return capsule
        if not arr.flags.writeable and (max_version is None or max_version[0] < 1):
            # NOTE: the unversioned protocol cannot say "read-only", so NumPy refuses to
            # export such an array; PyTorch has no read-only tensors.  Hand out a copy.
            arr = arr.copy()
        return arr.__dlpack__(**kwargs)
    try:                                                          # CuPy
        return arr.__dlpack__(stream=stream, **kwargs)
    except TypeError:  # (an older CuPy: no versioned protocol)
        return arr.__dlpack__(stream=stream)


def _tensor_dlpack(self, *, stream=-1, max_version=None, dl_device=None, copy=None):
    """A DLPack capsule sharing this tensor's memory (the protocol's producer side)."""
    if self.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    if self.is_conj():
        raise BufferError("Can't export tensors with the conjugate bit set")
    if self.layout != ember.strided:
        raise BufferError("Can't export tensors with layout other than torch.strided")
    if stream is not None and type(stream) is not int:
        raise TypeError("stream must be ``int`` or ``none``")
    if self.device.type == "cpu":
        if stream is not None and stream != -1:
            raise AssertionError("stream should be None on cpu.")
        stream = None
    elif stream == -1:
        stream = None
    return _export(self._data, max_version, dl_device, copy, stream)


def to_dlpack(tensor):
    """to_dlpack(tensor) -> PyCapsule: the legacy ("dltensor") capsule of `tensor`."""
    if not isinstance(tensor, ember.Tensor):
        raise TypeError("_to_dlpack(): argument 'data' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    return _export(tensor._data, None, None, None)


# -- import ---------------------------------------------------------------------------
# A DLTensor is {void* data; DLDevice device {int32 type, id}; int32 ndim;
# DLDataType dtype {uint8 code, uint8 bits, uint16 lanes}; ...}.  A legacy capsule points
# at a DLManagedTensor, which starts with its DLTensor; the versioned struct puts
# {DLPackVersion (2 x uint32), manager_ctx*, deleter*, uint64 flags} first.
_DEVICE_AT = 8
_DTYPE_AT = 20
_kDLUInt, _kDLBfloat = 1, 4


def _dltensor_address(capsule):
    """The address of the DLTensor inside a DLPack capsule (RuntimeError if it is none)."""
    is_valid = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.c_char_p)(
        ("PyCapsule_IsValid", ctypes.pythonapi))
    get_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
        ("PyCapsule_GetPointer", ctypes.pythonapi))
    for name, offset in ((b"dltensor", 0), (b"dltensor_versioned", 32)):
        if is_valid(capsule, name):
            return get_pointer(capsule, name) + offset
    raise RuntimeError(_INVALID_CAPSULE)


def _capsule_device(capsule):
    """(device_type, device_id) read from a DLPack capsule, without consuming it."""
    pair = (ctypes.c_int32 * 2).from_address(_dltensor_address(capsule) + _DEVICE_AT)
    return int(pair[0]), int(pair[1])


def _retag(capsule, code_from, code_to) -> bool:
    """Change a 16-bit element type code in the capsule (bfloat16 <-> uint16); True if done.

    NOTE: NumPy's DLPack knows no bfloat16, so ember passes bfloat16 memory as uint16 and
    fixes the tag on the capsule: the bits and the sharing are unchanged."""
    dt = (ctypes.c_uint8 * 4).from_address(_dltensor_address(capsule) + _DTYPE_AT)
    if dt[0] == code_from and dt[1] == 16:
        dt[0] = code_to
        return True
    return False


class _Capsule:
    """Lends a bare capsule the ``__dlpack__`` protocol so NumPy/CuPy can take it."""

    def __init__(self, capsule, device):
        self._capsule, self._device = capsule, device

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return self._device


def _host_array(capsule, kind, index):
    bf16 = _retag(capsule, _kDLBfloat, _kDLUInt)
    arr = np.from_dlpack(_Capsule(capsule, (kind, index)))
    return arr.view(ember.bfloat16.np) if bf16 else arr


def _capsule_of(producer, copy):
    """``(capsule, copied)`` from ``producer.__dlpack__``, newest protocol first (as
    PyTorch asks: version 1.0 with ``copy``, then without the version, then bare)."""
    kwargs = {"max_version": (1, 0)}
    if copy is not None:
        kwargs["copy"] = copy
    for drop in (None, "max_version"):
        kwargs.pop(drop, None)
        try:
            return producer.__dlpack__(**kwargs), copy is not None
        except TypeError:
            pass
    return producer.__dlpack__(), False


def _import(producer, kind, index, copy):
    """A tensor on the producer's memory; ``producer`` has ``__dlpack__`` or is a capsule."""
    if kind in _HOST:
        if hasattr(producer, "__dlpack__"):
            capsule, handled = _capsule_of(producer, copy)
        else:
            capsule, handled = producer, False
        arr = _host_array(capsule, kind, index)
        if copy and not handled:
            arr = arr.copy()
        return ember._ops._core.wrap(arr, ember.device("cpu"))
    if kind == DLDeviceType.kDLCUDA:
        from .._device import _get_cupy

        cp = _get_cupy()
        if cp is None:
            raise RuntimeError("from_dlpack: a CUDA tensor needs CuPy and a GPU")
        with cp.cuda.Device(index):
            arr = cp.from_dlpack(producer)
            if copy:
                arr = arr.copy()
        return ember._ops._core.wrap(arr, ember.device("cuda", index))
    raise RuntimeError(f"Unsupported device_type: {kind}")


def from_dlpack(ext_tensor, *, device=None, copy=None):
    """from_dlpack(ext_tensor) -> Tensor sharing the memory of `ext_tensor`.

    `ext_tensor` is an object with ``__dlpack__`` (a NumPy array, a PyTorch or
    CuPy tensor, ...) or a DLPack capsule.
    """
    if hasattr(ext_tensor, "__dlpack__"):
        kind, index = ext_tensor.__dlpack_device__()
        target = None
        if device is not None:
            target = ember.device(device) if isinstance(device, (str, int)) else device
            if not isinstance(target, ember.device):
                raise AssertionError(f"from_dlpack: unsupported device type: {type(device)}")
            here = (DLDeviceType.kDLCUDA if target.type == "cuda" else DLDeviceType.kDLCPU,
                    target.index or 0)
            if (int(kind), int(index)) == (int(here[0]), here[1]):
                target = None
            elif copy is False:
                raise ValueError(f"cannot move DLPack tensor from device {(kind, index)} to "
                                 f"{here} without copying. Set copy=None or copy=True.")
        out = _import(ext_tensor, kind, index, copy if target is None else None)
        return out.to(target) if target is not None else out
    if device is not None or copy is not None:
        raise AssertionError("device and copy kwargs not supported when ext_tensor is already a "
                             "DLPack capsule.")
    kind, index = _capsule_device(ext_tensor)
    if kind == DLDeviceType.kDLCUDA:
        ext_tensor = _Capsule(ext_tensor, (kind, index))
    return _import(ext_tensor, kind, index, None)


def _install(tensor_cls):
    tensor_cls.__dlpack__ = _tensor_dlpack
    tensor_cls.__dlpack_device__ = _dlpack_device


# NOTE: PyTorch's from_dlpack never consults __torch_function__, and its argument is often a
# real PyTorch tensor (which has one): keep ember's dispatching layer off it.
from_dlpack._ember_dispatching = True
