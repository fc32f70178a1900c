"""``torch.accelerator``: the current accelerator (CUDA through CuPy), if any."""
from __future__ import annotations

from ._device import cuda_available, device


def is_available() -> bool:
    return cuda_available()


def current_accelerator(check_available: bool = False):
    """``device(type='cuda')`` where a GPU is usable, else None."""
    return device("cuda") if cuda_available() else None


def device_count() -> int:
    from . import cuda

    return cuda.device_count()


def _cuda(device=None):
    """``ember.cuda``, or PyTorch's error where there is no accelerator (or ``device`` is
    not one)."""
    if device is not None and not isinstance(device, int) and \
            _device_type(device) not in ("cuda", None):
        raise RuntimeError("Accelerator expected")
    if not cuda_available():
        from ._device import _NO_ACCELERATOR, no_cuda

        raise no_cuda(RuntimeError, _NO_ACCELERATOR)
    from . import cuda

    return cuda


def _device_type(d):
    return d.type if isinstance(d, device) else device(d).type if isinstance(d, str) else None


def synchronize(device=None) -> None:
    _cuda(device).synchronize(device)


def current_device_index() -> int:
    return _cuda().current_device()


def set_device_index(device) -> None:
    _cuda(device).set_device(device)


current_device_idx = current_device_index
set_device_idx = set_device_index


class device_index:
    """``with torch.accelerator.device_index(i):`` the current device is ``i`` inside
    (``None``: nothing changes)."""

    def __init__(self, device, /):
        self.idx, self.prev = device, None

    def __enter__(self):
        if self.idx is not None:
            cuda = _cuda(self.idx)
            self.prev = cuda.current_device()
            cuda.set_device(self.idx)

    def __exit__(self, *exc):
        if self.idx is not None:
            _cuda().set_device(self.prev)


def current_stream(device=None):
    return _cuda(device).current_stream(device)


def set_stream(stream) -> None:
    _cuda().set_stream(stream)


def get_device_capability(device=None):
    return _cuda(device).get_device_capability(device)


def get_memory_info(device=None):
    return _cuda(device).mem_get_info(device)


def empty_cache() -> None:
    _cuda().empty_cache()


def _memory(name):
    def stat(device=None):
        return getattr(_cuda(device), name)(device)

    stat.__name__ = stat.__qualname__ = name
    return stat


memory_stats = _memory("memory_stats")
memory_allocated = _memory("memory_allocated")
max_memory_allocated = _memory("max_memory_allocated")
memory_reserved = _memory("memory_reserved")
max_memory_reserved = _memory("max_memory_reserved")
reset_peak_memory_stats = _memory("reset_peak_memory_stats")
reset_accumulated_memory_stats = _memory("reset_accumulated_memory_stats")
