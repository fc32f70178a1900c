"""Reverse-mode automatic differentiation: ``backward``, ``grad``, ``Function``, grad modes."""
from __future__ import annotations
from ember._warnings import warn as _warn

from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (ANOMALY, STATE, enable_grad, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, no_grad, set_grad_enabled)
from .graph import Node, _ops_core, run_backward

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "Variable", "set_detect_anomaly", "detect_anomaly",
           "Node"]


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _roots(outputs, grad_outputs, create_graph):
    _core = _ops_core()
    edge = _core.edge
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one gradient per output: got {len(grad_outputs)} "
                           f"gradients for {len(outputs)} outputs")
    edges, grads = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        if g is None:
            d = out._data
            if d.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if d.dtype.kind == "c":
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {out.dtype}")
            g = _core.wrap(_core.xp_of(out).ones(d.shape, dtype=d.dtype), out._device)
        else:
            from .._ops import creation
            from .._tensor import Tensor

            if not isinstance(g, Tensor):
                g = creation.full_like(out, g)
            if tuple(g.shape) != tuple(out.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{g.shape} and output[{i}] has a shape of {out.shape}.")
            if not create_graph:
                g = g.detach()
        edges.append(edge(out))
        grads.append(g)
    return edges, grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves."""
    outputs = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors if grad_tensors is not None else grad_variables)
    if retain_graph is None:
        retain_graph = create_graph
    edges, grads = _roots(outputs, grad_tensors, create_graph)
    if create_graph:
        _warn("Using backward() with create_graph=True will create a reference cycle "
              "between the parameter and its gradient which can cause a memory leak. "
              "We recommend using autograd.grad when creating the graph to avoid this. "
              "If you have to use this function, make sure to reset the .grad fields of "
              "your parameters to None after use to break the cycle and avoid the leak.",
              UserWarning, stacklevel=3)
    if inputs is None:
        run_backward(edges, grads, retain_graph, create_graph)
        return
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    from .._ops._core import edge
    from .graph import accumulate_into_leaf

    in_edges = [edge(t) for t in inputs]
    captured = run_backward(edges, grads, retain_graph, create_graph, inputs=in_edges,
                            accumulate=False)

    for t, e in zip(inputs, in_edges):
        g = captured.get(e)
        if g is not None:
            if t._grad_fn is None:
                accumulate_into_leaf(t, g)
            elif not t.retains_grad:  # (its retain_grad hook already stored this gradient)
                t._grad = g if t._grad is None else t._grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``."""
    from .._ops import creation
    from .._ops._core import edge

    outputs = _as_tuple(outputs)
    single = not isinstance(inputs, (tuple, list))
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    edges, grads = _roots(outputs, _as_tuple(grad_outputs), create_graph)  # outputs checked first
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    in_edges = [edge(t) for t in inputs]
    captured = run_backward(edges, grads, retain_graph, create_graph, inputs=in_edges,
                            accumulate=False)
    result = []
    for i, (t, e) in enumerate(zip(inputs, in_edges)):
        g = captured.get(e)
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
            if materialize_grads:
                g = creation.zeros_like(t)
        result.append(g)
    del single
    return tuple(result)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from .._tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """The legacy wrapper, as in PyTorch today: ``Variable(t)`` is a tensor sharing ``t``'s
    data (requiring grad if asked), and every tensor is a ``Variable``."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if volatile:
            _warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                  "instead.", UserWarning)
            if requires_grad:
                raise ValueError("Variable can't be volatile and require_grad at the same time!")
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out


class set_detect_anomaly:
    """Anomaly mode on or off (a call, or a context manager restoring the previous mode).

    With ``check_nan``, a backward node that returns a NaN gradient raises PyTorch's
    RuntimeError naming it (``Function 'SqrtBackward0' returned nan values in its 0th
    output.``).  ember's other errors name the failing op in any mode, so the forward
    traceback PyTorch records is not kept.
    """

    def __init__(self, mode: bool, check_nan: bool = True):
        global _check_nan
        for what, pos, v in (("enabled", 1, mode), ("check_nan", 2, check_nan)):
            if not isinstance(v, bool):  # (checked before anything changes)
                raise TypeError(f"set_anomaly_enabled(): argument '{what}' (position {pos}) "
                                f"must be bool, not {type(v).__name__}")
        shared = ANOMALY  # anomaly mode is process-wide: not per thread
        self.prev = (shared.anomaly, shared.anomaly_nan, _check_nan)
        shared.anomaly, shared.anomaly_nan = bool(mode), bool(mode) and bool(check_nan)
        _check_nan = bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _check_nan
        shared = ANOMALY
        shared.anomaly, shared.anomaly_nan, _check_nan = self.prev
        return False


_check_nan = True  # the check_nan flag last set (PyTorch reports it with anomaly mode off too)


class detect_anomaly(set_detect_anomaly):
    """``with autograd.detect_anomaly():``: anomaly mode inside the block."""

    def __init__(self, check_nan: bool = True):
        _warn("Anomaly Detection has been enabled. This mode will increase the runtime "
              "and should only be enabled for debugging.", UserWarning, stacklevel=2)
        super().__init__(True, check_nan)


def is_anomaly_enabled() -> bool:
    return STATE.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    return _check_nan


from . import functional  # noqa: E402,F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402,F401
from . import profiler  # noqa: E402,F401
from . import forward_ad  # noqa: E402,F401

__all__ += ["functional", "gradcheck", "gradgradcheck"]
