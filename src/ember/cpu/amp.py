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
