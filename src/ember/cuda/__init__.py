"""``ember.cuda``: GPU queries.  Without CuPy and a GPU, ``is_available()`` is False."""
from __future__ import annotations

from .._device import _get_cupy, cuda_available

__all__ = ["is_available", "device_count", "current_device", "manual_seed", "manual_seed_all",
           "synchronize", "get_device_name", "set_device", "empty_cache", "memory_allocated",
           "max_memory_allocated"]


def is_available() -> bool:
    return cuda_available()


def device_count() -> int:
    cp = _get_cupy()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def _require():
    cp = _get_cupy()
    if cp is None:
        raise RuntimeError("Found no NVIDIA driver or GPU on this system (ember uses CuPy for "
                           "CUDA). Install CuPy for your CUDA version (pip install ember[cuda]) "
                           "on a machine with a GPU.")
    return cp


def current_device() -> int:
    return _require().cuda.runtime.getDevice()


def set_device(device) -> None:
    from .._device import device as Device

    idx = device if isinstance(device, int) else Device(device).index or 0
    _require().cuda.runtime.setDevice(idx)


def get_device_name(device=None) -> str:
    cp = _require()
    idx = 0 if device is None else (device if isinstance(device, int) else device.index or 0)
    return cp.cuda.runtime.getDeviceProperties(idx)["name"].decode()


def synchronize(device=None) -> None:
    _require().cuda.runtime.deviceSynchronize()


def manual_seed(seed) -> None:
    cp = _get_cupy()
    if cp is not None:
        cp.random.seed(int(seed) % 2**64)


manual_seed_all = manual_seed


def _seed_all_quietly(seed) -> None:
    if _get_cupy() is not None:
        manual_seed(seed)


def empty_cache() -> None:
    cp = _get_cupy()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    cp = _get_cupy()
    return 0 if cp is None else cp.get_default_memory_pool().used_bytes()


def max_memory_allocated(device=None) -> int:
    cp = _get_cupy()
    return 0 if cp is None else cp.get_default_memory_pool().total_bytes()
