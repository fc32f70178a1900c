"""``torch.xpu``: Intel GPUs, which ember does not drive.  As in a PyTorch built without
XPU support: ``is_available()`` is False, the counters are zero, seeding is accepted and
does nothing, and what needs a device raises PyTorch's error."""
from __future__ import annotations

__all__ = ["is_available", "device_count", "is_initialized", "manual_seed", "manual_seed_all",
           "seed", "seed_all", "empty_cache", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "max_memory_reserved", "is_bf16_supported", "synchronize",
           "current_device", "get_device_name", "get_device_properties", "set_device",
           "initial_seed", "device"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def _no_op(*args, **kwargs) -> None:
    return None


manual_seed = manual_seed_all = seed = seed_all = empty_cache = _no_op


def _zero(device=None) -> int:
    return 0


memory_allocated = max_memory_allocated = memory_reserved = max_memory_reserved = _zero


def _not_compiled(*args, **kwargs):
    raise AssertionError("Torch not compiled with XPU enabled")


synchronize = current_device = get_device_name = get_device_properties = set_device = \
    initial_seed = _not_compiled


class device:
    """``with torch.xpu.device(i):`` needs a device."""

    def __init__(self, device):
        self.idx = device

    def __enter__(self):
        _not_compiled()

    def __exit__(self, *exc):
        return False
