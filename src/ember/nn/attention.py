"""``torch.nn.attention``: choosing the kernels of ``F.scaled_dot_product_attention``.

PyTorch has several (math, flash, memory-efficient, cuDNN) and picks among those enabled;
ember computes the math formula whichever is asked for, so ``sdpa_kernel`` sets the same
switches as PyTorch (``torch.backends.cuda.*_sdp_enabled``) and attention refuses to run
only where PyTorch's CPU build would find no kernel (neither math nor flash enabled).
"""
from __future__ import annotations

import contextlib
import enum

from .. import backends as _backends

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.Enum):
    """The attention kernels PyTorch knows."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    # (PyTorch's is a pybind11 enum: int() and operator.index give its value)
    def __int__(self):
        return self.value

    __index__ = __int__


_SWITCH = {SDPBackend.MATH: "math", SDPBackend.FLASH_ATTENTION: "flash",
           SDPBackend.EFFICIENT_ATTENTION: "mem_efficient",
           SDPBackend.CUDNN_ATTENTION: "cudnn"}


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Allow only ``backends`` (one ``SDPBackend`` or a list) inside the ``with`` block."""
    if isinstance(backends, SDPBackend):
        backends = [backends]
    if not isinstance(backends, (list, tuple, set)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of "
                             f"SDPBackend instances, got {type(backends).__name__}")
    state = _backends._sdp
    old = dict(state)
    for backend, key in _SWITCH.items():
        state[key] = backend in backends
    try:
        yield {}
    finally:
        state.update(old)


def _check_viable(device_type: str):
    """PyTorch's error when none of the kernels it has on this device is enabled (the CPU
    has math and flash)."""
    state = _backends._sdp
    keys = ("math", "flash") if device_type == "cpu" else ("math", "flash", "mem_efficient",
                                                          "cudnn")
    if not any(state[k] for k in keys):
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This "
                           "is likely due to turning off both the math kernel and the fused "
                           "kernels.")
