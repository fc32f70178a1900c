"""The autograd graph: nodes, saved tensors, and the backward engine.

A node is made by each differentiable op.  It holds the op's backward rule
(``rule(ctx, *grads) -> grads per input``), what the rule saved, and the
edges ``next_functions`` to the nodes that produced its inputs.  The engine
walks the graph from the roots in reverse creation order (PyTorch's order),
adding up the gradients that reach each node before running it.
"""
from __future__ import annotations

import heapq
import re
import itertools

from .grad_mode import STATE

_seq = itertools.count()
_node_classes: dict = {}


class Node:
    """A backward function in the graph.  Subclassed per op so that
    ``type(t.grad_fn).__name__`` is PyTorch's name (``MulBackward0``)."""

    __slots__ = ("next_functions", "_rule", "_saved", "_extra", "needs_input_grad", "_meta",
                 "_seq", "_num_outputs", "_out_meta", "_pre_hooks", "_post_hooks", "_tensor_hooks",
                 "_released", "metadata", "__weakref__", "__dict__")

    def __init__(self, rule, next_functions, meta, num_outputs=1):
        self._rule = rule
        self.next_functions = next_functions
        self.needs_input_grad = tuple(n is not None for n, _ in next_functions)
        self._meta = meta  # per input: (shape, dtype) the gradient must take
        self._seq = next(_seq)
        self._num_outputs = num_outputs
        self._out_meta = None
        self._saved = ()
        self._extra = None
        self._pre_hooks = None
        self._post_hooks = None
        self._tensor_hooks = None
        self._released = False

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {id(self):#x}>"

    # -- what the rule saved ------------------------------------------------
    def save(self, *items):
        """Keep tensors (checked against in-place changes) and other values for backward."""
        self._saved = tuple(SavedTensor(x, self) if _is_tensor(x) else x for x in items)

    @property
    def saved(self):
        if self._released:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        return tuple(x.unpack() if type(x) is SavedTensor else x for x in self._saved)

    def _release(self):
        if self._saved:
            self._saved = ()
            self._released = True

    # -- hooks --------------------------------------------------------------
    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node; may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = {}
        return _add_hook(self._post_hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return _add_hook(self._pre_hooks, fn)

    def _add_tensor_hook(self, output_nr, fn):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        return _add_hook(self._tensor_hooks.setdefault(output_nr, {}), fn)

    def apply(self, *grads):
        return self._rule(self, *grads)

    def __call__(self, *grads):
        return self.apply(*grads)


class AccumulateGrad(Node):
    """The node at a leaf tensor: adds incoming gradients into ``variable.grad``."""

    __slots__ = ("variable", "_post_acc_hooks")

    def __init__(self, variable):
        super().__init__(None, (), ())
        self.variable = variable
        self._post_acc_hooks = None

    def apply(self, grad):
        accumulate_into_leaf(self.variable, grad)
        return ()


def node_class(name: str):
    """The Node subclass called ``name``, made once."""
    cls = _node_classes.get(name)
    if cls is None:
        cls = _node_classes[name] = type(name, (Node,), {"__slots__": ()})
    return cls


class RemovableHandle:
    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self.hooks_dict = hooks
        self.id = next(self._ids)

    def remove(self):
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks: dict, fn):
    h = RemovableHandle(hooks)
    hooks[h.id] = fn
    return h


def _is_tensor(x):
    from .._tensor import Tensor

    return isinstance(x, Tensor)


class SavedTensor:
    """A tensor kept for backward, with the version it had when saved."""

    __slots__ = ("tensor", "version", "node", "is_output", "output_nr")

    def __init__(self, t, node):
        self.version = t._vc.v
        self.is_output = t._grad_fn is node
        if self.is_output:
            # Saving an op's own output must not make a reference cycle: keep an alias
            # without history and give it back its grad_fn when unpacked.
            self.tensor = t._alias()
            self.output_nr = t._output_nr
            self.node = node
        else:
            self.tensor = t

    def unpack(self):
        t = self.tensor
        if t._vc.v != self.version:
            raise RuntimeError(_modified_message(t, self, t._vc.v))
        if self.is_output and STATE.enabled:
            out = t._alias()
            out._grad_fn = self.node
            out._output_nr = self.output_nr
            out._requires_grad = True
            return out
        return t


def _modified_message(t, saved, now):
    from .._dtype import dtype_name_for_type

    shape = ", ".join(str(s) for s in t.shape)
    desc = f"[torch.{dtype_name_for_type(t.dtype)} [{shape}]]"
    # NOTE: PyTorch names the producing op without its "Backward0" suffix here.
    if saved.is_output:
        desc += f", which is output {saved.output_nr} of {_op_name(saved.node)},"
    elif t._grad_fn is not None:
        desc += f", which is output {t._output_nr} of {_op_name(t._grad_fn)},"
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {desc} is at version {now}; expected version {saved.version} "
            "instead. Hint: enable anomaly detection to find the operation that failed to "
            "compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _op_name(node):
    return re.sub(r"Backward\d*$", "", type(node).__name__)


# -- leaves -------------------------------------------------------------------

def accumulate_into_leaf(var, grad):
    acc = var._accumulator
    if acc is not None and acc._tensor_hooks:
        for fn in list(acc._tensor_hooks.get(0, {}).values()):
            r = fn(grad)
            if r is not None:
                grad = r
    if grad is None:
        return
    if var._grad is None:
        if STATE.enabled:  # create_graph: a copy that keeps the gradient's history
            from .._ops.creation import empty_like

            var._grad = empty_like(grad).copy_(grad)
        elif grad._fresh and grad._base is None and grad._data.flags.writeable:
            # NOTE: as PyTorch does, a gradient that only the engine holds becomes .grad
            # without a copy.  "Fresh" tensors were allocated by an op during this backward
            # pass; taking one clears the mark so no second leaf can take the same one.
            grad._fresh = False
            var._grad = grad
        else:
            var._grad = grad.detach().clone()
            var._grad._fresh = False
    elif STATE.enabled:
        var._grad = var._grad + grad
    else:
        var._grad._data += grad._data if grad.dtype is var._grad.dtype else grad._data.astype(
            var._grad._data.dtype)
        var._grad._vc.v += 1
    if acc is not None and acc._post_acc_hooks:
        for fn in list(acc._post_acc_hooks.values()):
            fn(var)


def get_accumulator(t):
    acc = t._accumulator
    if acc is None:
        acc = t._accumulator = AccumulateGrad(t)
    return acc


# -- the engine ---------------------------------------------------------------

def _collect(roots):
    """Every node reachable from the roots, with how many edges point at it."""
    deps = {}
    stack = [n for n in roots if n is not None]
    seen = set(stack)
    while stack:
        n = stack.pop()
        for child, _ in n.next_functions:
            if child is None:
                continue
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen, deps


def _needed(nodes, targets):
    """The nodes from which some target can be reached (only those run for autograd.grad)."""
    memo = {}

    def visit(root):
        stack = [(root, iter(root.next_functions))]
        memo[root] = root in targets
        while stack:
            node, it = stack[-1]
            for child, _ in it:
                if child is None:
                    continue
                if child not in memo:
                    memo[child] = child in targets
                    stack.append((child, iter(child.next_functions)))
                    break
                if memo[child]:
                    memo[node] = True
            else:
                stack.pop()
                if stack and memo[node]:
                    memo[stack[-1][0]] = True
    for n in nodes:
        if n not in memo:
            visit(n)
    return memo


def run_backward(roots, grad_roots, retain_graph, create_graph, inputs=None, accumulate=True):
    """Propagate ``grad_roots`` from the ``roots`` (``(node, output_nr)`` edges).

    With ``inputs`` (a list of ``(node, output_nr)`` edges), return the gradient that
    reached each of them; with ``accumulate``, leaves' ``.grad`` are updated.
    """
    from .._ops import _core

    prev = STATE.enabled, STATE.in_backward
    STATE.enabled = create_graph
    STATE.in_backward = True
    try:
        root_nodes = [n for n, _ in roots]
        nodes, deps = _collect(root_nodes)
        buffers = {}
        for (node, nr), g in zip(roots, grad_roots):
            if node is None:
                continue
            buf = buffers.setdefault(node, [None] * node._num_outputs)
            buf[nr] = g if buf[nr] is None else buf[nr] + g
        captured = None
        needed = None
        if inputs is not None:
            targets = {n for n, _ in inputs if n is not None}
            captured = {}
            needed = _needed(root_nodes, targets)
        ready = [(-n._seq, id(n), n) for n in set(root_nodes) if n is not None
                 and deps.get(n, 0) == 0]
        heapq.heapify(ready)
        executed = []
        while ready:
            _, _, node = heapq.heappop(ready)
            grads = buffers.pop(node, None) or [None] * node._num_outputs
            if node._tensor_hooks and type(node) is not AccumulateGrad:
                grads = _run_tensor_hooks(node, grads)
            if captured is not None and node in targets:
                for nr in range(node._num_outputs):
                    captured[(node, nr)] = grads[nr]
            run = needed is None or needed.get(node, False)
            if captured is not None and type(node) is AccumulateGrad and not accumulate:
                run = False
            if run and (captured is None or _leads_further(node, needed, targets)):
                out = _apply(node, grads, _core)
                executed.append(node)
            else:
                out = ()
            for i, (child, nr) in enumerate(node.next_functions):
                if child is None:
                    continue
                g = out[i] if i < len(out) else None
                if g is not None:
                    buf = buffers.setdefault(child, [None] * child._num_outputs)
                    buf[nr] = g if buf[nr] is None else _add_grads(buf[nr], g)
                deps[child] -= 1
                if deps[child] == 0:
                    heapq.heappush(ready, (-child._seq, id(child), child))
        if not retain_graph:
            for n in executed:
                n._release()
        return captured
    finally:
        STATE.enabled, STATE.in_backward = prev


def _leads_further(node, needed, targets):
    if needed is None:
        return True
    if type(node) is AccumulateGrad:
        return True
    if node in targets:
        return any(needed.get(c, False) for c, _ in node.next_functions if c is not None)
    return True


def _add_grads(a, b):
    return a + b


def _run_tensor_hooks(node, grads):
    grads = list(grads)
    for nr, hooks in node._tensor_hooks.items():
        for fn in list(hooks.values()):
            if grads[nr] is None:
                continue
            r = fn(grads[nr])
            if r is not None:
                grads[nr] = r
    return grads


def _apply(node, grads, _core):
    if type(node) is AccumulateGrad:
        node.apply(grads[0])
        return ()
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            r = fn(tuple(grads))
            if r is not None:
                grads = list(r)
    if node._out_meta is not None:
        grads = [g if g is not None else _core.zeros_for(node, i) for i, g in enumerate(grads)]
    elif grads[0] is None:
        return ()
    out = node._rule(node, *grads)
    if not isinstance(out, tuple):
        out = (out,)
    if len(out) != len(node.next_functions):
        raise RuntimeError(f"function {type(node).__name__} returned an incorrect number of "
                           f"gradients (expected {len(node.next_functions)}, got {len(out)})")
    fixed = []
    for i, g in enumerate(out):
        if g is None or node.next_functions[i][0] is None:
            fixed.append(None)
            continue
        fixed.append(_core.conform_grad(g, node._meta[i], node, i))
    if node._post_hooks:
        for fn in list(node._post_hooks.values()):
            r = fn(tuple(fixed), tuple(grads))
            if r is not None:
                fixed = list(r)
    return fixed
