"""``nn.utils.skip_init``: a module built without running its initialisation."""
from __future__ import annotations

import inspect


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with its parameters left uninitialised.

    NOTE: PyTorch builds the module on the meta device, so that no initialiser runs and no
    random number is drawn; ember builds it where asked and then puts the default
    generator's state back, so the random stream goes on as PyTorch's does.
    """
    from ..modules.module import Module
    from ... import random

    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    state = random.get_rng_state()
    try:
        module = module_cls(*args, **kwargs)
    finally:
        random.set_rng_state(state)
    return module.to_empty(device=kwargs.get("device") or "cpu")
