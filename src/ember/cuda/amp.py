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


def custom_fwd(fwd=None, *, cast_inputs=None):
    """``torch.amp.custom_fwd(..., device_type='cuda')`` under its deprecated name."""
    _warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
          "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.", FutureWarning,
          stacklevel=2)
    return _amp.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """``torch.amp.custom_bwd(..., device_type='cuda')`` under its deprecated name."""
    _warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
          "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.", FutureWarning,
          stacklevel=2)
    return _amp.custom_bwd(bwd, device_type="cuda")


def amp_definitely_not_available() -> bool:
    """True when there is no GPU for CUDA autocast to use."""
    from .. import cuda

    return not cuda.is_available()
