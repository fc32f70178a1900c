"""``torch.utils.data._utils.pin_memory``: ``pin_memory(data)``, what
``DataLoader(pin_memory=True)`` does to each batch: every tensor in it (and every object with a
``pin_memory`` method, such as a custom batch type) copied to page-locked memory, the
containers rebuilt around them."""
from __future__ import annotations

import collections.abc
import copy

import ember


def pin_memory(data, device=None):
    """``data`` with its tensors pinned (``device`` is accepted and unused, as PyTorch's is)."""
    if isinstance(data, ember.Tensor) or hasattr(data, "pin_memory"):
        return data.pin_memory()
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        pinned = {k: pin_memory(v, device) for k, v in data.items()}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                out = copy.copy(data)  # keeps the mapping's own attributes
                out.update(pinned)
                return out
            return type(data)(pinned)
        except TypeError:
            return pinned
    if isinstance(data, tuple):
        items = (pin_memory(v, device) for v in data)
        return type(data)(*items) if hasattr(data, "_fields") else type(data)(items)
    if isinstance(data, collections.abc.Sequence):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                out = copy.copy(data)
                for i, v in enumerate(data):
                    out[i] = pin_memory(v, device)
                return out
            return type(data)([pin_memory(v, device) for v in data])
        except TypeError:  # (no copy / item assignment / construction from a list: ``range``)
            return [pin_memory(v, device) for v in data]
    return data
