"""``torch.compile`` without a compiler: the compiled module or function runs eagerly.

``torch.compile`` promises the same results as eager execution, only faster; ember has no
graph compiler, so it keeps the promise by running the code as written.  A compiled module
is wrapped as PyTorch wraps it (``OptimizedModule`` holding ``_orig_mod``), so printing it,
its ``state_dict`` keys (``_orig_mod.``-prefixed) and attribute access match PyTorch.
"""
from __future__ import annotations

import functools

from .nn.modules.module import Module


class OptimizedModule(Module):
    """A module as ``torch.compile`` returns it: calls, attribute reads and writes go to
    the original module, ``_orig_mod``."""

    def __init__(self, mod):
        super().__init__()
        self._orig_mod = mod
        self.__dict__["_ready"] = True

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)

    def __setattr__(self, name, value):
        if self.__dict__.get("_ready") and name not in self.__dict__ and \
                not hasattr(type(self), name):
            setattr(self._orig_mod, name, value)
        else:
            super().__setattr__(name, value)


_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None,
            options=None, name=None, disable=False, recompile_limit=None,
            isolate_recompiles=False, shapes_spec=None):
    """``model`` (a module or function) as it would run compiled: the same computation.
    (``backend=None`` is PyTorch's default, inductor; ``name``, ``recompile_limit``,
    ``isolate_recompiles`` and ``shapes_spec`` steer recompilation, which ember never does.)

    Without ``model``, a decorator (``@torch.compile(mode="max-autotune")``)."""
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, name=name, disable=disable,
                                 recompile_limit=recompile_limit,
                                 isolate_recompiles=isolate_recompiles,
                                 shapes_spec=shapes_spec)
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend != "inductor":
        from ._dynamo import lookup_backend
        lookup_backend(backend)  # (an unknown name: PyTorch's InvalidBackend)
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)
    return compiled
