"""Devices and the array-module switch.

Every op finds the array module for its operands with :func:`xp_of`: NumPy on
the CPU, CuPy on CUDA devices.  Ops never branch on the device beyond that.
"""
from __future__ import annotations

import numpy as np

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


class device:
    """``device('cpu')``, ``device('cuda:0')`` or ``device('cuda', 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError("device() received an invalid combination of arguments - got "
                            f"({type!r})")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, meta device type at start of device string: " + type)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return device, (self.type, self.index)

    def __enter__(self):  # PyTorch allows ``with torch.device('cpu'):``; ember keeps it a no-op
        return self

    def __exit__(self, *exc):
        return False


CPU = device("cpu")


def canonical(d) -> device:
    """A device with its index filled in (``cuda`` means the current GPU)."""
    d = d if isinstance(d, device) else device(d)
    if d.type == "cuda":
        cp = _get_cupy()
        if cp is None:
            raise RuntimeError(
                "Found no NVIDIA driver or GPU on this system (ember uses CuPy for CUDA). "
                "Install the CuPy wheel for your CUDA version (pip install ember[cuda]) on a "
                "machine with a GPU, or use device='cpu'.")
        if d.index is None:
            return device("cuda", cp.cuda.runtime.getDevice())
        if d.index >= cp.cuda.runtime.getDeviceCount():
            raise RuntimeError(f"CUDA error: invalid device ordinal {d.index}")
        return d
    if d.type == "cpu":
        return CPU
    raise RuntimeError(f"ember does not support the '{d.type}' device")


def xp_for(d: device):
    """The array module that stores tensors on device ``d``."""
    return np if d.type == "cpu" else _get_cupy()


def device_of_array(a) -> device:
    if isinstance(a, np.ndarray):
        return CPU
    return device("cuda", a.device.id)
