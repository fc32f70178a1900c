"""``torch.fx.GraphModule``: a module whose ``forward`` is the Python code of a ``Graph``."""
from __future__ import annotations

import copy

from ..nn import Module
from .graph import Graph

__all__ = ["GraphModule"]

_REMINDER = "# To see more debug info, please use `graph_module.print_readable()`"


def _copy_attr(src, dst, target):
    *prefix, field = target.split(".")
    for item in prefix:
        f = getattr(src, item)
        t = getattr(dst, item, None)
        if f is t:
            return  # (the whole submodule is there already)
        if t is None:
            t = Module()
            setattr(dst, item, t)
        src, dst = f, t
    _put(dst, field, getattr(src, field))


def _put(dst, field, value):
    from .._tensor import Tensor
    from ..nn import Parameter

    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        dst.register_buffer(field, value)
    else:
        setattr(dst, field, value)


class GraphModule(Module):
    """``GraphModule(root, graph)``: holds the submodules, parameters and buffers of ``root``
    that ``graph`` refers to, and runs ``graph`` as its ``forward``.  ``root`` may also be a
    dict from target names to objects."""

    def __new__(cls, *args, **kwargs):
        # each instance gets its own class, so that its forward can be set on it
        for base in cls.__mro__:
            if base.__qualname__.split(".")[-1] != "GraphModuleImpl":
                cls = base
                break

        class GraphModuleImpl(cls):
            pass
        GraphModuleImpl.__module__ = GraphModule.__module__  # (a subclass's too, as PyTorch's)
        return super().__new__(GraphModuleImpl)

    def __init__(self, root, graph, class_name="GraphModule"):
        super().__init__()
        type(self).__name__ = class_name
        if isinstance(root, Module):
            if hasattr(root, "training"):
                self.training = root.training
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    _copy_attr(root, self, node.target)
        elif isinstance(root, dict):
            for node in graph.nodes:
                if node.op not in ("get_attr", "call_module"):
                    continue
                if node.target not in root:
                    raise RuntimeError(f"Node {node} referenced target {node.target} but that "
                                       "target was not provided in ``root``!")
                *prefix, field = node.target.split(".")
                dst = self
                for item in prefix:
                    nxt = getattr(dst, item, None)
                    if nxt is None:
                        nxt = Module()
                        setattr(dst, item, nxt)
                    dst = nxt
                _put(dst, field, root[node.target])
        else:
            raise RuntimeError("Unsupported type " + str(root) + " passed for root!")
        self.graph = graph

    @property
    def graph(self):
        return self._graph

    @graph.setter
    def graph(self, g):
        if not isinstance(g, Graph):
            raise AssertionError(f"Expected a Graph instance, but got {type(g)}")
        self.__dict__["_graph"] = g
        g.owning_module = self
        self.recompile()

    @property
    def code(self):
        """The Python source of ``forward``."""
        if not hasattr(self, "_code"):
            raise RuntimeError("Code has not been generated! Please report a bug to PyTorch")
        return self._code

    def recompile(self):
        """Regenerate ``forward`` from ``self.graph`` (after editing the graph)."""
        pc = self._graph.python_code(root_module="self")
        self.__dict__["_code"] = pc.src
        g = pc.globals
        exec(compile(pc.src, f"<eval_with_key>.{id(self)}", "exec"), g)
        type(self).forward = g["forward"]
        return pc

    def print_readable(self, print_output=True, include_stride=False, include_device=False,
                       colored=False):
        """The generated code as a class, with nested graph modules (printed unless
        ``print_output=False``)."""
        out = _readable(self, type(self).__name__)
        if print_output:
            print(out)
        return out

    def __str__(self):
        return "\n".join([super().__repr__(), self._code, _REMINDER])

    # (a copy, deep copy or unpickled one is named GraphModule, whatever the original's name,
    # as PyTorch's are)
    def __copy__(self):
        return GraphModule(self, self.graph)

    def __deepcopy__(self, memo):
        fake = Module()
        state = {k: v for k, v in self.__dict__.items() if k not in ("_graph", "_code")}
        fake.__dict__ = copy.deepcopy(state, memo)
        return GraphModule(fake, copy.deepcopy(self.graph, memo))

    def __reduce__(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("_graph", "_code")}
        return (_rebuild, (state, self._graph))

    # -- submodules ------------------------------------------------------------------
    def add_submodule(self, target, m):
        *prefix, field = target.split(".")
        mod = self
        for item in prefix:
            sub = getattr(mod, item, None)
            if sub is None:
                sub = Module()
                setattr(mod, item, sub)
            if not isinstance(sub, Module):
                return False
            mod = sub
        mod.add_module(field, m)
        return True

    def delete_submodule(self, target):
        *prefix, field = target.split(".")
        mod = self
        for item in prefix:
            if not hasattr(mod, item):
                return False
            mod = getattr(mod, item)
        if not hasattr(mod, field) or not isinstance(getattr(mod, field), Module):
            return False
        delattr(mod, field)
        return True

    def delete_all_unused_submodules(self):
        used = set()
        for node in self.graph.nodes:
            if node.op in ("call_module", "get_attr"):
                parts = node.target.split(".")
                for i in range(1, len(parts) + 1):
                    used.add(".".join(parts[:i]))
        for name, _ in reversed(list(self.named_modules())):
            if name and name not in used:
                self.delete_submodule(name)


def _indent(text, n):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    rest = [" " * n + line if line.strip() else "" for line in lines[1:]]
    return "\n".join([lines[0], *rest])


def _readable(gm, name):
    code = gm.graph.python_code(root_module="self", verbose=True).src.lstrip("\n")
    code = _indent(f"class {name}(torch.nn.Module):\n" + code, 4)
    subs = [""] + [_readable(m, n) for n, m in gm.named_children() if isinstance(m, GraphModule)]
    return code + _indent("\n".join(subs), 4)


def _rebuild(state, graph, name="GraphModule"):
    fake = Module()
    fake.__dict__.update(state)
    gm = GraphModule(fake, graph, name)
    for k, v in state.items():  # (the attributes the graph does not use are kept too)
        if not hasattr(gm, k):
            setattr(gm, k, v)
    return gm
