"""``add_graph``: a model's graph for TensorBoard's Graphs tab.

PyTorch traces the model with TorchScript and lists every primitive op; ember has no
tracer, so it runs the model once on the example input with forward hooks and lists every
leaf module call (``Net/Conv2d[conv1]``, nested as the modules are), the inputs and the
outputs, wired by following the autograd graph between them (so functional ops inside a
``forward`` connect the modules around them without nodes of their own).
"""
from __future__ import annotations

from . import _proto as P


def _flat_tensors(value) -> list:
    from ..._tensor import Tensor
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flat_tensors(v)]
    return []


def _node(name: str, op: str, inputs, shapes, attr: str = "") -> bytes:
    shape_list = P.message(*(P.submessage(7, P.message(
        *(P.submessage(2, P.message(P.int_field(1, d))) for d in s))) for s in shapes))
    attrs = [("_output_shapes", P.message(P.submessage(1, shape_list)))]
    if attr:
        attrs.append(("attr", P.message(P.bytes_field(2, attr))))
    return P.message(P.bytes_field(1, name), P.bytes_field(2, op),
                     *(P.bytes_field(3, i) for i in inputs),
                     *(P.submessage(5, P.message(P.bytes_field(1, k), P.submessage(2, v)))
                       for k, v in attrs))


def _scopes(model) -> dict:
    """Each module's scope name: ``Net/Sequential[features]/Conv2d[0]``."""
    scopes = {model: type(model).__name__}
    for name, module in model.named_modules():
        if not name:
            continue
        parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
        scopes[module] = f"{scopes[parent]}/{type(module).__name__}[{name.rpartition('.')[2]}]"
    return scopes


def module_graph(model, input_to_model, verbose=False) -> bytes:
    """A serialised GraphDef of one call of ``model``."""
    from ... import autograd
    from ..._tensor import Tensor
    if input_to_model is None:
        args = ()
    elif isinstance(input_to_model, (list, tuple)):
        args = tuple(input_to_model)
    else:
        args = (input_to_model,)
    args = tuple(a.detach().requires_grad_(a.is_floating_point()) if isinstance(a, Tensor) else a
                 for a in args)
    scopes = _scopes(model)
    source = {}  # id(grad_fn) or id(input tensor) -> node name
    nodes, calls = [], {}
    for k, t in enumerate(_flat_tensors(args)):
        name = f"input/input.{k}"
        source[id(t)] = name
        nodes.append(_node(name, "IO Node", [], [tuple(t.shape)]))

    def sources(tensors) -> list[str]:
        found, seen = [], set()
        stack = [t.grad_fn if t.grad_fn is not None else t for t in tensors]
        while stack:
            fn = stack.pop()
            if fn is None or id(fn) in seen:
                continue
            seen.add(id(fn))
            if id(fn) in source:
                if source[id(fn)] not in found:
                    found.append(source[id(fn)])
                continue
            variable = getattr(fn, "variable", None)
            if variable is not None:
                stack.append(variable)
            stack.extend(f for f, _ in getattr(fn, "next_functions", ()))
        return found

    def hook(module, inputs, output):
        if next(module.children(), None) is not None:
            return  # containers appear as the scopes of their children
        scope = scopes.get(module, type(module).__name__)
        calls[scope] = calls.get(scope, 0) + 1
        name = scope if calls[scope] == 1 else f"{scope}.{calls[scope] - 1}"
        outs = _flat_tensors(output)
        node_inputs = sources(_flat_tensors(inputs))
        for t in outs:
            source[id(t.grad_fn) if t.grad_fn is not None else id(t)] = name
        nodes.append(_node(name, type(module).__name__, node_inputs,
                           [tuple(t.shape) for t in outs], module.extra_repr()))

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        with autograd.set_grad_enabled(True):
            output = model(*args)
    finally:
        for h in handles:
            h.remove()
    for k, t in enumerate(_flat_tensors(output)):
        nodes.append(_node(f"output/output.{k}", "IO Node", sources([t]), [tuple(t.shape)]))
    if verbose:
        print(f"{type(model).__name__}: {len(nodes)} graph nodes")
    versions = P.message(P.int_field(1, 22))
    return P.message(*(P.submessage(1, n) for n in nodes), P.submessage(4, versions))
