"""``nn.parallel``: ``DataParallel`` on one device is the module itself, wrapped.

PyTorch's ``DataParallel`` splits a batch over several GPUs; with one device (ember has no
multi-GPU scatter) it runs the module as is, which is also what PyTorch does on a CPU.  The
wrapper keeps PyTorch's shape: the module is ``.module``, and state-dict keys start with
``module.``.
"""
from __future__ import annotations

from .._unsupported import module_getattr as _module_getattr
from .modules.module import Module

__all__ = ["DataParallel", "DistributedDataParallel"]


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


class DistributedDataParallel(Module):
    """There is no process group to share the work with here: constructing one fails as
    PyTorch's does before ``init_process_group``.  (The class is there for the scripts that
    ask ``isinstance(model, DistributedDataParallel)``.)"""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False,
                 bucket_cap_mb_list=None, batched_grad_copy=False, forward_sync_buffers=None):
        from ..distributed import no_process_group

        raise no_process_group()


__getattr__ = _module_getattr("torch.nn.parallel")
