"""``torch.cuda.amp``: the older spellings of ``torch.amp``'s ``autocast`` and
``GradScaler`` for CUDA, deprecated in PyTorch (they warn, then behave as ``torch.amp``'s)."""
from __future__ import annotations

from ember._warnings import warn as _warn

from .. import _dtype as D
from .. import amp as _amp


class autocast(_amp.autocast):
    def __init__(self, enabled=True, dtype=D.float16, cache_enabled=True):
        _warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
              "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
              stacklevel=2)
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        _warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
              "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
              stacklevel=2)
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)


custom_fwd, custom_bwd = _amp.custom_fwd, _amp.custom_bwd
