"""``torch.utils.data._utils.pin_memory``: ``pin_memory(data)``, what
``DataLoader(pin_memory=True)`` does to each batch: every tensor in it (and every object with a
``pin_memory`` method, such as a custom batch type) copied to page-locked memory, the
containers rebuilt around them."""
from __future__ import annotations

import collections.abc

import ember

from .collate import _rebuild_mapping, _rebuild_sequence


def pin_memory(data, device=None):
    """``data`` with its tensors pinned (``device`` is accepted and unused, as PyTorch's is)."""
    if isinstance(data, ember.Tensor) or hasattr(data, "pin_memory"):
        return data.pin_memory()
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {k: pin_memory(v, device) for k, v in data.items()})
    if isinstance(data, tuple):
        items = (pin_memory(v, device) for v in data)
        return type(data)(*items) if hasattr(data, "_fields") else type(data)(items)
    if isinstance(data, collections.abc.Sequence):  # (``range``: a list, as PyTorch's)
        return _rebuild_sequence(data, [pin_memory(v, device) for v in data])
    return data
