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


def synchronize(device=None) -> None:
    from . import cuda

    if cuda_available():
        cuda.synchronize(device)
