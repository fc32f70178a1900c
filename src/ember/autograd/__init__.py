"""Reverse-mode automatic differentiation: ``backward``, ``grad``, ``Function``, grad modes."""
from __future__ import annotations
from ember._warnings import warn as _warn

from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (ANOMALY, STATE, enable_grad, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, no_grad, set_grad_enabled,
                        set_multithreading_enabled)
from .grad_mode import is_multithreading_enabled as is_multithreading_enabled
from .graph import GradientEdge, Node, _ops_core, run_backward

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "Variable", "set_detect_anomaly", "detect_anomaly",
           "Node", "set_multithreading_enabled"]


def _grads_tuple(x):
    """``grad_outputs`` / ``grad_tensors`` as a tuple: one tensor, or a sequence (as PyTorch,
    a bare number is not accepted: ``tuple()`` of it raises its TypeError)."""
    if x is None:
        return None
    from .._tensor import Tensor

    return (x,) if isinstance(x, Tensor) else tuple(x)


def _seq(x):
    """``tensors``/``inputs`` as a tuple: one tensor (or edge), or any iterable (a bare number
    fails in ``tuple()`` with Python's TypeError, as in PyTorch)."""
    from .._tensor import Tensor

    return (x,) if isinstance(x, (Tensor, GradientEdge)) else tuple(x)


def _check_inputs(inputs):
    from .._tensor import Tensor

    for t in inputs:
        if not isinstance(t, (Tensor, GradientEdge)):
            raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got "
                               f"{type(t).__name__}")


def _roots(outputs, grad_outputs, create_graph):
    from .._tensor import Tensor

    _core = _ops_core()
    edge = _core.edge
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) < len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    # (as PyTorch, gradients past the number of outputs are ignored)
    edges, grads = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise AssertionError("Expected output to be a torch.Tensor")
        if not _core.gets_grad(out):  # (a view that follows its base, without history: none)
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
            from .._tensor import Tensor

            if not isinstance(g, Tensor):
                raise TypeError("gradients can be either Tensors or None, but got "
                                f"{type(g).__name__}")
            if tuple(g.shape) != tuple(out.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{g.shape} and output[{i}] has a shape of {out.shape}.")
            if (g._data.dtype.kind == "c") != (out._data.dtype.kind == "c"):
                raise RuntimeError(
                    "For complex Tensors, both grad_output and output are required to have the "
                    f"same dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} "
                    f"and output[{i}] has a dtype of {out.dtype}.")
            if g._data.dtype != out._data.dtype:  # (as PyTorch's engine: cast to the output's)
                g = g.to(out.dtype)
            if not create_graph:
                g = g.detach()
        edges.append(edge(out))
        grads.append(g)
    return edges, grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves."""
    outputs = _seq(tensors)
    grad_tensors = _grads_tuple(grad_tensors if grad_tensors is not None else grad_variables)
    if retain_graph is None:
        retain_graph = create_graph
    edges, grads = _roots(outputs, grad_tensors, create_graph)
    if create_graph:  # (once per process, as PyTorch's)
        from .._warnings import warn_once
        warn_once("backward-create-graph",
                  "Using backward() with create_graph=True will create a reference cycle "
                  "between the parameter and its gradient which can cause a memory leak. "
                  "We recommend using autograd.grad when creating the graph to avoid this. "
                  "If you have to use this function, make sure to reset the .grad fields of "
                  "your parameters to None after use to break the cycle and avoid the leak.",
                  cpp="torch/csrc/autograd/engine.cpp:1307")
    if inputs is None:
        run_backward(edges, grads, retain_graph, create_graph)
        return
    inputs = _seq(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    _check_inputs(inputs)
    for t in inputs:  # (as PyTorch, in turn: a non-leaf input retains its gradient from now on)
        if not isinstance(t, GradientEdge) and not t.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if not isinstance(t, GradientEdge) and not t.is_leaf:
            t.retain_grad()
    from .._ops._core import edge
    from .graph import accumulate_into_leaf

    in_edges = [edge(t) for t in inputs]
    captured = run_backward(edges, grads, retain_graph, create_graph, inputs=in_edges,
                            accumulate=False)

    done = set()
    for t, e in zip(inputs, in_edges):
        g = captured.get(e)
        if id(t) in done:  # (a tensor given twice takes its gradient once, as PyTorch)
            continue
        done.add(id(t))
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

    outputs = _seq(outputs)
    single = not isinstance(inputs, (tuple, list))
    inputs = _seq(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not only_inputs:
        _warn("only_inputs argument is deprecated and is ignored now (defaults to True). To "
              "accumulate gradient for other parts of the graph, please use "
              "torch.autograd.backward.", FutureWarning, stacklevel=2)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        return _grad_batched(outputs, inputs, _grads_tuple(grad_outputs), retain_graph,
                             create_graph, allow_unused, materialize_grads)
    # (outputs are checked first)
    edges, grads = _roots(outputs, _grads_tuple(grad_outputs), create_graph)
    _check_inputs(inputs)
    for t in inputs:
        if not isinstance(t, GradientEdge) and not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    # (a GradientEdge names the node and output directly)
    in_edges = [(t.node, t.output_nr) if isinstance(t, GradientEdge) else edge(t)
                for t in inputs]
    captured = run_backward(edges, grads, retain_graph, create_graph, inputs=in_edges,
                            accumulate=False, leaf_hooks=True)
    result = []
    for i, (t, e) in enumerate(zip(inputs, in_edges)):
        g = captured.get(e)
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        result.append(g)
    del single
    if materialize_grads:
        if any(g is None and isinstance(t, GradientEdge) for g, t in zip(result, inputs)):
            raise RuntimeError("materialize_grads cannot be used when the given input is a "
                               "GradientEdge")
        result = [creation.zeros_like(t, requires_grad=create_graph) if g is None else g
                  for g, t in zip(result, inputs)]
    return tuple(result)


def _grad_batched(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    """``grad(..., is_grads_batched=True)``: the first dim of each grad_output is a batch of
    vectors; one backward pass per vector, the results stacked along a new first dim."""
    from .._ops import creation
    from .._ops.shape import stack

    if grad_outputs is None or any(g is None for g in grad_outputs):
        raise RuntimeError("is_grads_batched=True needs a grad_output for every output")
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g.dim() == 0 or tuple(g.shape[1:]) != tuple(out.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {g.shape[1:]} and output[{i}] has a "
                f"shape of {out.shape}. If you only want some tensors in `grad_output` to be "
                "considered batched, consider using vmap.")
    n = grad_outputs[0].shape[0]
    per = [grad(outputs, inputs, [g[b] for g in grad_outputs],
                retain_graph=True if b < n - 1 else retain_graph, create_graph=create_graph,
                allow_unused=allow_unused) for b in range(n)]
    result = []
    for k, t in enumerate(inputs):
        gs = [p[k] for p in per]
        if all(g is None for g in gs):
            result.append(creation.zeros_like(t, requires_grad=create_graph)
                          if materialize_grads else None)
        else:
            result.append(stack([g if g is not None else creation.zeros_like(t) for g in gs]))
    return tuple(result)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from .._tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """The legacy wrapper, as in PyTorch today: ``Variable(t)`` is a tensor sharing ``t``'s
    data (requiring grad if asked), and every tensor is a ``Variable``."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        from .._tensor import Tensor

        if volatile:
            _warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                  "instead.", UserWarning)
            if requires_grad:
                raise ValueError("Variable can't be volatile and require_grad at the same time!")
        if data is None:  # (as PyTorch: an empty float tensor)
            from .._ops import creation

            data = creation.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            if not (out.is_floating_point() or out.is_complex()):
                raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                                   "gradients")
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
        self.check_nan = check_nan  # (as PyTorch's: the mode changes on entering only)

    def __enter__(self):
        super().__init__(True, self.check_nan)
        return self


def is_anomaly_enabled() -> bool:
    return STATE.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    return _check_nan


from . import functional  # noqa: E402,F401
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402,F401
from . import profiler  # noqa: E402,F401
from . import forward_ad  # noqa: E402,F401
from . import anomaly_mode, variable  # noqa: E402,F401  (PyTorch's homes of these names)

__all__ += ["functional", "gradcheck", "gradgradcheck"]
