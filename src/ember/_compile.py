"""``torch.compile`` without a compiler: the compiled module or function runs eagerly.

``torch.compile`` promises the same results as eager execution, only faster; ember has no
graph compiler, so it keeps the promise by running the code as written.  A compiled module
is wrapped as PyTorch wraps it (``OptimizedModule`` holding ``_orig_mod``), so printing it,
its ``state_dict`` keys (``_orig_mod.``-prefixed) and attribute access match PyTorch.

PyTorch's compiled code hands its outputs to autograd as one node, ``CompiledFunctionBackward``
(which ``print(model(x))`` shows as the ``grad_fn``); ember runs the eager graph and then
passes the outputs that need gradients through one identity ``Function`` of that name, so the
gradients are the eager ones, bit for bit.  As PyTorch's, an output that is an input (or a
view of one) keeps its own history, and ``backend="eager"`` (no AOT autograd) or a backend
function of the user's leave the eager graph as it is.
"""
from __future__ import annotations

import functools

from .autograd.function import Function, _alias
from .autograd.grad_mode import is_grad_enabled
from .nn.modules.module import Module


class CompiledFunction(Function):
    """The node a compiled call's outputs hang from: gradients pass through unchanged."""

    @staticmethod
    def forward(ctx, *outs):
        return tuple(_alias(o) for o in outs)

    @staticmethod
    def backward(ctx, *grads):
        return grads


# backends that run the captured graph without AOT autograd (their outputs keep eager nodes)
_EAGER_BACKENDS = ("eager", "eager_debug", "eager_noexcept", "pre_dispatch_eager")


def _root(t):
    return t if t._base is None else t._base


def _tensors(o):
    """The tensors in ``o`` and the tuples, lists and dicts nested in it."""
    from ._tensor import Tensor

    if isinstance(o, Tensor):
        yield o
    elif isinstance(o, (tuple, list, dict)):
        for v in (o.values() if isinstance(o, dict) else o):
            yield from _tensors(v)


def _through_node(result, inputs):
    """``result`` with its tensors that need gradients (and are not inputs or views of
    them) replaced by outputs of one ``CompiledFunction`` node."""
    from ._tensor import Tensor

    found = [o for o in _tensors(result)
             if o.grad_fn is not None and id(_root(o)) not in inputs]
    if not found:
        return result
    fresh = dict(zip(map(id, found), CompiledFunction.apply(*found)))

    def rebuild(o):
        if isinstance(o, Tensor):
            return fresh.get(id(o), o)
        if isinstance(o, list):
            return [rebuild(v) for v in o]
        if isinstance(o, tuple):
            items = [rebuild(v) for v in o]
            return type(o)(*items) if hasattr(o, "_fields") else type(o)(items)
        if isinstance(o, dict):
            out = o.copy()
            for k, v in o.items():
                out[k] = rebuild(v)
            return out
        return o
    return rebuild(result)


def _compiled_call(fn, module, args, kwargs):
    result = fn(*args, **kwargs)
    if not is_grad_enabled():
        return result
    held = (args, kwargs) if module is None else \
        (args, kwargs, list(module.parameters()), list(module.buffers()))
    return _through_node(result, {id(_root(t)) for t in _tensors(held)})


class OptimizedModule(Module):
    """A module as ``torch.compile`` returns it: calls, attribute reads and writes go to
    the original module, ``_orig_mod``."""

    def __init__(self, mod, aot=True):
        super().__init__()
        self._orig_mod = mod
        self.__dict__["_aot"] = aot
        self.__dict__["_ready"] = True

    def forward(self, *args, **kwargs):
        if not self.__dict__.get("_aot", True):
            return self._orig_mod(*args, **kwargs)
        return _compiled_call(self._orig_mod, self._orig_mod, args, kwargs)

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
    aot = backend is None or (isinstance(backend, str) and backend not in _EAGER_BACKENDS)
    if isinstance(model, Module):
        return OptimizedModule(model, aot)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        if not aot:
            return model(*args, **kwargs)
        return _compiled_call(model, getattr(model, "__self__", None)
                              if isinstance(getattr(model, "__self__", None), Module) else None,
                              args, kwargs)
    return compiled
