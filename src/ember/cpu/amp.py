"""``torch.cpu.amp``: the older spelling of ``torch.amp.autocast("cpu")``, deprecated in
PyTorch (it warns, then behaves as ``torch.amp``'s)."""
from __future__ import annotations

from .. import _dtype as D
from .. import amp as _amp
from .._warnings import warn as _warn


class autocast(_amp.autocast):
    def __init__(self, enabled=True, dtype=D.bfloat16, cache_enabled=True):
        _warn("`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
              "`torch.amp.autocast('cpu', args...)` instead.", FutureWarning)
        super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        _warn("`torch.cpu.amp.GradScaler(args...)` is deprecated. Please use "
              "`torch.amp.GradScaler('cpu', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cpu", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)
