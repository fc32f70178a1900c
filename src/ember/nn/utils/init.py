"""``nn.utils.skip_init``: a module built without running its initialisation."""
from __future__ import annotations

import inspect


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with its parameters left uninitialised.

    As PyTorch, it builds the module on the meta device, where initialisers draw nothing
    and allocate nothing, then gives it uninitialised memory on the device asked for.
    """
    from ..modules.module import Module

    if not issubclass(module_cls, Module):  # (a TypeError for a non-class, as PyTorch's)
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs = dict(kwargs)
    final = kwargs.pop("device", "cpu")  # (``device=None``: left on meta, as PyTorch leaves it)
    kwargs["device"] = "meta"
    return module_cls(*args, **kwargs).to_empty(device=final)
