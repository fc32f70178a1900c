"""``ember.cuda``: GPU queries and settings, through CuPy.

Without CuPy (or without a GPU) ``is_available()`` is False, ``device_count()`` is 0,
the memory counters read 0, seeding is a no-op, and whatever needs a GPU raises
PyTorch's RuntimeError.

Random numbers: ``ember.rand(..., device='cuda')`` and the other creation ops draw from
ember's CPU generator (PyTorch's MT19937 stream) and copy the result to the GPU, so a
seed gives the same numbers on every device.  PyTorch's CUDA generator (Philox) gives
other numbers; no ember program can match those.  Dropout on a GPU draws its masks with
CuPy's generator instead (no host transfer in the training step); ``manual_seed``
seeds both.
"""
from __future__ import annotations

from .._device import _get_cupy, cuda_available, require_cupy

__all__ = ["is_available", "device_count", "current_device", "set_device", "device",
           "get_device_name", "get_device_capability", "get_device_properties",
           "synchronize", "manual_seed", "manual_seed_all", "seed", "seed_all",
           "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved",
           "max_memory_reserved", "reset_peak_memory_stats", "is_initialized"]


def is_available() -> bool:
    """Whether CuPy is installed and sees at least one GPU."""
    return cuda_available()


def is_initialized() -> bool:
    return cuda_available()


def device_count() -> int:
    cp = _get_cupy()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def _index(d, default=None) -> int:
    """A device index from an int, ``'cuda:N'``, ``ember.device`` or None (the current one)."""
    from .._device import device as Device

    if d is None:
        return current_device() if default is None else default
    if isinstance(d, int) and not isinstance(d, bool):
        return d
    d = Device(d)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return current_device() if d.index is None else d.index


def current_device() -> int:
    return require_cupy().cuda.runtime.getDevice()


def set_device(device) -> None:
    """Make ``device`` the GPU that ``'cuda'`` means (a negative index is a no-op)."""
    idx = _index(device)
    if idx >= 0:
        require_cupy().cuda.runtime.setDevice(idx)


class device:
    """``with ember.cuda.device(1):`` makes GPU 1 the current one inside the block."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device)
        self.prev = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev = current_device()
            if self.prev != self.idx:
                set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.idx >= 0 and self.prev != self.idx:
            set_device(self.prev)
        return False


def get_device_properties(device=None) -> dict:
    return require_cupy().cuda.runtime.getDeviceProperties(_index(device))


def get_device_name(device=None) -> str:
    name = get_device_properties(device)["name"]
    return name.decode() if isinstance(name, bytes) else name


def get_device_capability(device=None) -> tuple:
    p = get_device_properties(device)
    return (p["major"], p["minor"])


def synchronize(device=None) -> None:
    """Wait until the GPU has finished all work queued so far."""
    cp = require_cupy()
    with cp.cuda.Device(_index(device)):
        cp.cuda.runtime.deviceSynchronize()


def manual_seed(seed) -> None:
    """Seed CuPy's generator (used by dropout on the GPU); a no-op without CUDA."""
    cp = _get_cupy()
    if cp is not None:
        cp.random.seed(int(seed) % 2**64)


manual_seed_all = manual_seed


def seed() -> None:
    cp = _get_cupy()
    if cp is not None:
        cp.random.seed()


seed_all = seed


def _seed_all_quietly(seed) -> None:
    if _get_cupy() is not None:
        manual_seed(seed)


def empty_cache() -> None:
    """Hand the blocks CuPy's memory pool holds but does not use back to the driver."""
    cp = _get_cupy()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


_peak = {}


def memory_allocated(device=None) -> int:
    """Bytes in use by tensors (CuPy's memory pool, which serves every device)."""
    cp = _get_cupy()
    if cp is None:
        return 0
    used = cp.get_default_memory_pool().used_bytes()
    _peak["allocated"] = max(_peak.get("allocated", 0), used)
    return used


def max_memory_allocated(device=None) -> int:
    """The largest ``memory_allocated()`` seen, bounded by what the pool has reserved.

    NOTE: CuPy keeps no peak of its own; ember takes the larger of the peak it observed
    and the memory in use now, never more than the pool's reservation.
    """
    cp = _get_cupy()
    if cp is None:
        return 0
    used = memory_allocated(device)
    return min(max(_peak.get("allocated", 0), used),
               max(cp.get_default_memory_pool().total_bytes(), used))


def memory_reserved(device=None) -> int:
    """Bytes CuPy's memory pool holds (in use or cached for reuse)."""
    cp = _get_cupy()
    return 0 if cp is None else cp.get_default_memory_pool().total_bytes()


def max_memory_reserved(device=None) -> int:
    r = memory_reserved(device)
    _peak["reserved"] = max(_peak.get("reserved", 0), r)
    return _peak["reserved"]


def reset_peak_memory_stats(device=None) -> None:
    _peak.clear()

