"""``torch.mps``: Apple's GPUs, which ember does not drive.  As PyTorch on a machine without
MPS: ``is_available()`` is False, ``device_count()`` 0, ``manual_seed`` does nothing, and the
rest raises PyTorch's error."""
from __future__ import annotations

__all__ = ["is_available", "device_count", "manual_seed", "seed", "synchronize",
           "empty_cache", "current_allocated_memory", "driver_allocated_memory",
           "recommended_max_memory", "get_rng_state", "set_rng_state",
           "set_per_process_memory_fraction"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed) -> None:
    return None


def _needs(call):
    def fn(*args, **kwargs):
        raise RuntimeError(f"Cannot execute {call}() without MPS backend.")
    return fn


synchronize = _needs("deviceSynchronize")
empty_cache = _needs("emptyCache")
current_allocated_memory = _needs("getCurrentAllocatedMemory")
driver_allocated_memory = _needs("getDriverAllocatedMemory")
recommended_max_memory = _needs("getRecommendedMaxMemory")
seed = get_rng_state = set_rng_state = _needs("getDefaultGenerator")
set_per_process_memory_fraction = _needs("setMemoryFraction")
