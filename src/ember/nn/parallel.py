"""``nn.parallel``: ``DataParallel`` on one device is the module itself, wrapped.

PyTorch's ``DataParallel`` splits a batch over several GPUs; with one device (ember has no
multi-GPU scatter) it runs the module as is, which is also what PyTorch does on a CPU.  The
wrapper keeps PyTorch's shape: the module is ``.module``, and state-dict keys start with
``module.``.
"""
from __future__ import annotations

from .._unsupported import module_getattr as _module_getattr
from .modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        from .. import cuda

        if not cuda.is_available():  # as PyTorch without a GPU: the bare module, no devices
            self.device_ids = []
            return
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


__getattr__ = _module_getattr("torch.nn.parallel")
