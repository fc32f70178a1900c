"""``ember.utils.hooks`` (``torch.utils.hooks``): the handle that hook registrations return.

``RemovableHandle`` is the one class behind every hook handle in ember (modules, tensors,
optimizers); it lives in ``ember.autograd.graph`` and is re-exported here.
"""
from __future__ import annotations

from .._unsupported import module_getattr as _module_getattr
from ..autograd.graph import RemovableHandle

__all__ = ["RemovableHandle", "unserializable_hook"]


def unserializable_hook(f):
    """Mark hook ``f`` as one that is not meant to be saved with its tensor."""
    f.__torch_unserializable__ = True
    return f


__getattr__ = _module_getattr("torch.utils.hooks")
