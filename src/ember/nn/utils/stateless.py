"""``nn.utils.stateless`` (``torch.nn.utils.stateless``): the pre-2.0 home of
``functional_call``, kept as a deprecated alias of :func:`ember.func.functional_call`."""
from __future__ import annotations

from ..._warnings import warn as _warn

__all__ = ["functional_call"]


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """:func:`ember.func.functional_call` (same arguments), with PyTorch's FutureWarning."""
    _warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will "
          "be removed in a future version of PyTorch. Please use `torch.func.functional_call` "
          "instead which is a drop-in replacement.", FutureWarning)
    from ...func import functional_call as _functional_call

    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
