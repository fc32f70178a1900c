"""Devices and the array-module switch.

Every op finds the array module for its operands with ``xp_of`` (``_ops._core``)
or :func:`xp_for`: NumPy on the CPU, CuPy on CUDA devices, and on the ``meta``
device ``ember._meta_xp`` (arrays with a shape, a dtype and strides, no data).  Ops
never branch on the device beyond that.

CuPy is optional: it is imported the first time a CUDA device is asked about,
and without it (or without a GPU) every CUDA query says "unavailable" and every
request for a CUDA device raises a RuntimeError that says what to install.
"""
from __future__ import annotations

import contextlib
import operator
import re

import numpy as np

from . import _meta_xp
from ._ctype import CTypeName

__all__ = ["device", "xp_for", "cuda_available"]

_cupy = None
_cupy_checked = False


def _get_cupy():
    """CuPy when it imports and sees at least one GPU, else None (checked once)."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cupy = cupy
        except Exception:  # no CuPy, no driver, or no device: CPU only
            _cupy = None
    return _cupy


def cuda_available() -> bool:
    return _get_cupy() is not None


# what PyTorch's CPU build says to a CUDA request; what to install comes as a note, which the
# traceback shows after the message
_NO_CUDA = "Torch not compiled with CUDA enabled"
_NO_ACCELERATOR = "Cannot access accelerator device when none is available."
_NO_ATEN_CUDA = (  # (what the CPU build says where it would load its CUDA library)
    "Cannot initialize CUDA without ATen_cuda library. PyTorch splits its backend into two "
    "shared libraries: a CPU library and a CUDA library; this error has occurred because you "
    "are trying to use some CUDA functionality, but the CUDA library has not been loaded by the "
    "dynamic linker for some reason.  The CUDA library MUST be loaded, EVEN IF you don't "
    "directly use any symbols from the CUDA library! One common culprit is a lack of "
    "-Wl,--no-as-needed in your link arguments; many dynamic linkers will delete dynamic "
    "library dependencies if you don't depend on any of their symbols.  You can check if this "
    "has occurred by using ldd on your binary to see if there is a dependency on *_cuda.so "
    "library.")
_NO_CUDA_NOTE = ("ember uses CuPy for CUDA and found no NVIDIA driver or GPU on this system: "
                 "install the CuPy wheel for your CUDA version (pip install ember[cuda]) on a "
                 "machine with a GPU, or use device='cpu'.")


class NoCudaError(AssertionError, RuntimeError):
    """No GPU to use: an ``AssertionError`` as PyTorch's CPU build raises (and prints as one),
    and a ``RuntimeError`` as its CUDA build raises on a machine without a GPU, so that code
    catching either keeps working."""

    __module__ = "builtins"  # printed bare, as PyTorch's: AssertionError: Torch not compiled...

    def __reduce__(self):  # (pickle cannot find the class under the builtin name it shows)
        return _no_cuda_error, self.args


NoCudaError.__name__ = NoCudaError.__qualname__ = "AssertionError"


def _no_cuda_error(*args):
    return NoCudaError(*args)


def no_cuda(cls=NoCudaError, message=_NO_CUDA):
    """The error for a CUDA request without a GPU, with ember's note on what to install."""
    e = cls(message)
    e.add_note(_NO_CUDA_NOTE)
    return e


def require_cupy():
    """CuPy, or PyTorch's error for a CUDA request on a machine without CUDA."""
    cp = _get_cupy()
    if cp is None:
        raise no_cuda()
    return cp


@contextlib.contextmanager
def _simulate_cuda():
    """Test-only: a simulated GPU backed by NumPy stands where CuPy would be.

    Inside the block ``cuda.is_available()`` is True and ``device('cuda')`` tensors
    hold ``ember.cuda._sim.SimArray`` objects, which refuse to mix with NumPy arrays
    as CuPy arrays do.  Not part of ember's API.
    """
    global _cupy, _cupy_checked
    from .cuda import _sim

    saved = _cupy, _cupy_checked
    _cupy, _cupy_checked = _sim.module, True
    try:
        yield _sim.module
    finally:
        _cupy, _cupy_checked = saved


# the device types PyTorch's ``device()`` accepts (ember computes on cpu and cuda only;
# ``device('mps')`` is still a valid object, as in a PyTorch build without MPS)
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                 "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")


_set = object.__setattr__
_MISSING = object()


def _index(v, tensors=True):
    """``v`` as a device index (an int, a NumPy integer, an integer 0-d tensor where
    ``tensors``), else None."""
    if type(v) is int:
        return v
    if isinstance(v, bool) or not hasattr(type(v), "__index__"):
        return None
    if getattr(v, "ndim", 0) != 0 or not tensors and hasattr(v, "requires_grad"):
        return None
    try:
        return operator.index(v)
    except (TypeError, RuntimeError):
        return None


class device(metaclass=CTypeName):
    """``device('cpu')``, ``device('cuda:0')`` or ``device('cuda', 0)``."""

    __slots__ = ("type", "index")
    _c_name = "torch.device"

    def __init__(self, type=_MISSING, index=_MISSING):
        if isinstance(type, device) and index is not _MISSING:  # (the str signature's)
            raise TypeError("device(): argument 'type' (position 1) must be str, not "
                            "torch.device")
        if isinstance(type, device):
            _set(self, "type", type.type)
            _set(self, "index", type.index)
            return
        if index is _MISSING:
            index = None
        if not isinstance(type, str) and _index(type, tensors=False) is not None:
            # a bare index means the current accelerator's device
            type = _index(type)
            if type < 0:
                raise RuntimeError("Device index must not be negative")
            if not cuda_available():
                raise no_cuda(RuntimeError, _NO_ACCELERATOR)
            type, index = "cuda", type
        if not isinstance(type, str):
            from ._ops._core import format_invalid_args

            raise TypeError(format_invalid_args(
                "device", () if type is _MISSING else (type,), {} if index is None else
                {"index": index}, ("(torch.device device)", "(str type, int index = -1)")))
        if index is not None:
            if _index(index) is None:
                from ._ops._core import tp_name

                raise TypeError("device(): argument 'index' (position 2) must be int, not "
                                f"{tp_name(index)}")
            index = _index(index)
        if not type:
            raise RuntimeError("Device string must not be empty")
        if not re.fullmatch(r"[a-zA-Z_]+(:(0|[1-9][0-9]*))?", type):  # 'float64', 'cuda0'
            raise RuntimeError(f"Invalid device string: '{type}'")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start "
                               f"of device string: {type}")
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        _set(self, "type", type)
        _set(self, "index", index)

    def __setattr__(self, name, value):  # immutable, as PyTorch's
        if name not in device.__slots__:
            raise AttributeError(f"'torch.device' object has no attribute '{name}'")
        raise AttributeError(f"attribute '{name}' of 'torch.device' objects is not writable")

    def __delattr__(self, name):
        self.__setattr__(name, None)

    def _no_order(self, other):
        if not isinstance(other, device):  # (Python's own error, as PyTorch's)
            return NotImplemented
        raise TypeError("comparison not implemented")

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # NOTE: as in PyTorch, a device never equals a string (``t.device == 'cpu'`` is False)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return device, (self.type, self.index)

    def __enter__(self):
        # ``with torch.device('meta'):``: factories without a device use this one inside (as
        # PyTorch's, a device mode put on top of the mode stack, taken off the top on exit)
        _MODES.append(DeviceContext(self))
        _sync()
        return self

    def __exit__(self, *exc):
        if not _MODES:
            raise RuntimeError("trying to pop from empty mode stack")
        _MODES.pop()
        _sync()


class DeviceContext:
    """PyTorch's ``torch.utils._device.DeviceContext``: the device mode that
    ``with torch.device(...)`` and ``torch.set_default_device`` put on the mode stack
    (``_MODES``); its own ``__enter__`` and ``__exit__`` (``set_default_device``'s) are
    PyTorch's, which keep it at the bottom and swap it with the one there before."""

    def __init__(self, dev):
        self.device = device(dev)
        self.prev_mode = None

    def __enter__(self):
        below = _MODES[::-1]
        _MODES.clear()
        _MODES.append(self)
        for mode in reversed(below):
            if isinstance(mode, DeviceContext):
                self.prev_mode = mode
            else:
                _MODES.append(mode)
        _sync()

    def __exit__(self, *exc):
        above = []
        for _ in range(len(_MODES) - 1):
            mode = _MODES.pop()
            if isinstance(mode, DeviceContext):
                _sync()
                raise AssertionError("Found nested DeviceContext on the mode stack where none "
                                     "expected")
            above.append(mode)
        if _MODES:
            if not isinstance(_MODES.pop(), DeviceContext):
                raise AssertionError("Expected a DeviceContext at the bottom of the mode stack")
        if self.prev_mode is not None:
            _MODES.append(self.prev_mode)
        _MODES.extend(reversed(above))
        _sync()


_MODES = []  # PyTorch's torch function mode stack (of device modes), bottom first
_GLOBAL_CONTEXT = [None]  # the DeviceContext of ``set_default_device``, or None


def _sync():
    """Factories without a device take the topmost device mode's."""
    from ._ops import creation

    creation._default_device = next((m.device for m in reversed(_MODES)
                                     if isinstance(m, DeviceContext)), None)


CPU = device("cpu")
META = device("meta")


# the dispatch keys of the device types whose factories PyTorch's CPU build sends to an
# unregistered kernel (the others: "not linked", or their own module's error)
_DISPATCH_KEYS = {"mps": "MPS", "xla": "XLA", "hip": "HIP", "ipu": "IPU", "lazy": "Lazy",
                  "ve": "VE", "vulkan": "Vulkan", "fpga": "FPGA", "maia": "MAIA"}
# the backends an allocating op has kernels for in PyTorch's CPU build (the common tail below)
_OP_BACKENDS = {
    "aten::empty.memory_format": "CPU, Meta, QuantizedCPU, QuantizedMeta, MkldnnCPU, SparseCPU, "
                                 "SparseMeta, SparseCsrCPU, SparseCsrMeta, ",
    "aten::empty_strided": "CPU, Meta, QuantizedCPU, ",
}
_COMMON_BACKENDS = (
    "BackendSelect, Python, FuncTorchDynamicLayerBackMode, Functionalize, Conjugate, Negative, "
    "ZeroTensor, ADInplaceOrView, AutogradOther, AutogradCPU, AutogradCUDA, AutogradHIP, "
    "AutogradXLA, AutogradMPS, AutogradIPU, AutogradXPU, AutogradHPU, AutogradVE, AutogradLazy, "
    "AutogradMTIA, AutogradMAIA, AutogradPrivateUse1, AutogradPrivateUse2, AutogradPrivateUse3, "
    "AutogradMeta, AutogradNestedTensor, Tracer, AutocastCPU, AutocastMTIA, AutocastMAIA, "
    "AutocastXPU, AutocastMPS, AutocastCUDA, FuncTorchBatched, BatchedNestedTensor, "
    "FuncTorchVmapMode, Batched, VmapMode, FuncTorchGradWrapper, PythonTLSSnapshot, "
    "FuncTorchDynamicLayerFrontMode, PreDispatch, PythonDispatcher")


def _no_backend_kernel(op, key):
    """PyTorch's error for an op with no kernel for backend ``key`` (its list of where each
    kernel was registered, which names PyTorch's build files, left out)."""
    return NotImplementedError(
        f"Could not run '{op}' with arguments from the '{key}' backend. This could be because "
        "the operator doesn't exist for this backend, or was omitted during the selective/custom "
        "build process (if using custom build). If you are a Facebook employee using PyTorch on "
        "mobile, please visit https://fburl.com/ptmfixes for possible resolutions. "
        f"'{op}' is only available for these backends: "
        f"[{_OP_BACKENDS.get(op, 'CPU, Meta, ')}{_COMMON_BACKENDS}].")


def canonical(d, op=None) -> device:
    """A device with its index filled in (``cuda`` means the current GPU).  ``op``: the ATen
    op that would allocate on it (PyTorch's error for a backend it lacks names it), or None
    for a copy onto the device (``tensor(..., device=)``, ``.to()``)."""
    d = d if isinstance(d, device) else device(d)
    if d.type == "cuda":
        cp = require_cupy()
        if d.index is None:
            return cuda_device(cp.cuda.runtime.getDevice())
        if d.index >= cp.cuda.runtime.getDeviceCount():
            raise RuntimeError(f"CUDA error: invalid device ordinal {d.index}")
        return cuda_device(d.index)
    if d.type == "cpu":
        return CPU
    if d.type == "meta":
        return META
    if d.type == "xpu":  # (PyTorch's CPU build's words)
        raise AssertionError("Torch not compiled with XPU enabled")
    if d.type in ("hpu", "privateuseone"):  # (PyTorch imports the backend's module first)
        raise ModuleNotFoundError(f"No module named 'torch.{d.type}'")
    if d.type == "mtia":
        raise AssertionError(
            "Torch not compiled with MTIA enabled. Ensure you have `import "
            "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
            "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!")
    if op is not None and d.type in _DISPATCH_KEYS:
        raise _no_backend_kernel(op, _DISPATCH_KEYS[d.type])
    raise RuntimeError(f"PyTorch is not linked with support for {d.type} devices")


def xp_for(d: device):
    """The array module that stores tensors on device ``d``."""
    if d.type == "cpu":
        return np
    return _meta_xp.module if d.type == "meta" else require_cupy()


def xp_of_other(a):
    """The array module of an array that is not NumPy's: the meta device's or CuPy."""
    return _meta_xp.module if type(a) is _meta_xp.MetaArray else _get_cupy()


def pinned_empty(shape, dtype) -> np.ndarray:
    """A NumPy array in page-locked memory (CuPy's pinned pool): host-to-GPU copies from it
    go at full bus speed.  PyTorch's error when there is no GPU to pin for."""
    cp = _get_cupy()
    if cp is None:
        raise RuntimeError(_NO_ACCELERATOR)
    empty = getattr(cp, "_ember_empty_pinned", None)  # the simulated device's
    if empty is None:
        import cupyx

        empty = cupyx.empty_pinned
    return empty(shape, dtype=dtype)


def special_for(a):
    """``scipy.special``'s GPU twin for the CuPy array ``a`` (``cupyx.scipy.special``)."""
    if type(a) is _meta_xp.MetaArray:
        return _meta_xp.special
    sp = getattr(_get_cupy(), "_ember_special", None)  # the simulated device brings its own
    if sp is None:
        import cupyx.scipy.special as sp
    return sp


_CUDA = {}


def cuda_device(index: int) -> device:
    """The one ``device('cuda', index)`` object tensors share, so that ops can compare
    devices by identity (a fast path that matters once per op)."""
    d = _CUDA.get(index)
    if d is None:
        d = _CUDA[index] = device("cuda", index)
    return d


def device_of_array(a) -> device:
    if isinstance(a, np.ndarray):
        return CPU
    if type(a) is _meta_xp.MetaArray:
        return META
    return cuda_device(a.device.id)
