"""``torch.fx.Graph``: the node list of a traced program, its printing and its Python code."""
from __future__ import annotations

import builtins
import copy
import inspect
import keyword
import math
import re
import typing
from typing import NamedTuple

from .node import Node, _functional_home, _qualified_name, _type_repr, map_arg

__all__ = ["Graph", "PythonCode"]

# names a generated variable may not take (Python's keywords, the builtins and the names the
# generated code's globals always hold)
_RESERVED = {k: object() for k in keyword.kwlist}
_RESERVED.update(builtins.__dict__)
for _n in ("inf", "nan", "NoneType", "torch", "device", "fx_pytree", "pytree"):
    _RESERVED[_n] = object()
_BAD_CHARS = re.compile("[^0-9a-zA-Z_]+")
_NAME = re.compile(r"^([a-zA-Z_][0-9a-zA-Z_]*?)(?:_(\d+))?$")
_CAMEL = re.compile(r"(?<=[a-z])([A-Z])")

_BINARY = {"add": "+", "sub": "-", "mul": "*", "floordiv": "//", "truediv": "/", "div": "/",
           "mod": "%", "pow": "**", "lshift": "<<", "rshift": ">>", "and_": "&", "or_": "|",
           "xor": "^", "matmul": "@", "eq": "==", "ne": "!=", "lt": "<", "gt": ">",
           "le": "<=", "ge": ">="}
_UNARY = {"pos": "+", "neg": "-", "invert": "~"}
_ORIGINS = {list: typing.List, dict: typing.Dict, set: typing.Set,  # noqa: UP006
            frozenset: typing.FrozenSet, tuple: typing.Tuple}  # noqa: UP006


class _Namespace:
    """Hands out unique Python identifiers: ``add``, ``add_1``, ``add_2``...; a name that is a
    keyword or builtin gets a suffix at once (``getattr_1``, ``sum_1``, ``input_1``)."""

    def __init__(self):
        self._obj_to_name: dict = {}
        self._used: set = set()
        self._count: dict = {}

    def create_name(self, candidate, obj):
        if obj is not None and obj in self._obj_to_name:
            return self._obj_to_name[obj]
        m = _NAME.match(candidate)
        if m is None:
            candidate = _BAD_CHARS.sub("_", candidate) or "_unnamed"
            if candidate[0].isdigit():
                candidate = "_" + candidate
            m = _NAME.match(candidate)
        base, num = m.group(1), m.group(2)
        if num is None or candidate in self._used:
            num = self._count.get(base, 0)
            if _RESERVED.get(candidate, obj) is not obj:
                num += 1
                candidate = f"{base}_{num}"
        else:
            num = int(num)
        while candidate in self._used:
            num += 1
            candidate = f"{base}_{num}"
        self._used.add(candidate)
        self._count[base] = num
        if obj is not None:
            self._obj_to_name[obj] = candidate
        return candidate

    def associate_name_with_obj(self, name, obj):
        self._obj_to_name.setdefault(obj, name)

    def _rename_object(self, obj, name):
        self._obj_to_name[obj] = name


def _snake_case(s):
    return _CAMEL.sub(r"_\1", s).lower()


def _target_to_str(target):
    if callable(target):
        home = _functional_home(target)
        op = home.rsplit(".", 1)[1] if home is not None else target.__name__
    else:
        op = target
        if op.startswith("__") and op.endswith("__"):
            op = op[2:-2]
    return _snake_case(op)


def _format_target(base, target):
    out = base
    for part in target.split("."):
        out = f"{out}.{part}" if part.isidentifier() else f'getattr({out}, "{part}")'
    return out


class PythonCode(NamedTuple):
    src: str
    globals: dict
    lineno_map: dict | None = None


class _NodeList:
    """``graph.nodes``: iterates the live nodes in order (erasing the current node while
    iterating is allowed)."""

    def __init__(self, graph, direction="_next"):
        self._graph = graph
        self._dir = direction

    def __len__(self):
        return self._graph._len

    def __iter__(self):
        root = self._graph._root
        cur = getattr(root, self._dir)
        while cur is not root:
            if not cur._erased:
                yield cur
            cur = getattr(cur, self._dir)

    def __reversed__(self):
        return iter(_NodeList(self._graph, "_prev" if self._dir == "_next" else "_next"))


class _InsertPoint:
    def __init__(self, graph, where):
        self.graph = graph
        self.old, graph._insert = graph._insert, where

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        self.graph._insert = self.old


class _TorchNames:
    """What ``torch`` names in generated code: ember, plus the PyTorch homes of the
    functions that live elsewhere in ember (``torch._C._nn.gelu`` is ``F.gelu``)."""

    def __init__(self, path=""):
        self._path = path
        self._extra: dict = {} if not path else None

    def _lookup(self, dotted, extra):
        import ember

        if dotted in extra:
            return extra[dotted]
        cur = ember
        for part in dotted.split("."):
            cur = getattr(cur, part)
        return cur

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        root = self if not self._path else self._root
        dotted = f"{self._path}.{name}" if self._path else name
        extra = root._extra
        if dotted in extra:
            return extra[dotted]
        if any(k.startswith(dotted + ".") for k in extra):
            sub = _TorchNames(dotted)
            sub._root = root
            return sub
        return self._lookup(dotted, extra)


def _default_globals():
    import ember

    return {"inf": math.inf, "nan": math.nan, "NoneType": type(None), "torch": _TorchNames(),
            "device": ember.device}


class Graph:
    """The operations of a program as a list of ``Node`` s."""

    def __init__(self, owning_module=None, tracer_cls=None, tracer_extras=None):
        self._root = Node(self, "", "root", "", (), {})
        self._used_names: dict = {}
        self._insert = self._root.prepend
        self._len = 0
        self._graph_namespace = _Namespace()
        self._owning_module = owning_module
        self._tracer_cls = tracer_cls
        self._tracer_extras = tracer_extras

    @property
    def owning_module(self):
        return self._owning_module

    @owning_module.setter
    def owning_module(self, mod):
        self._owning_module = mod

    @property
    def nodes(self):
        return _NodeList(self)

    def find_nodes(self, *, op, target=None, sort=True):
        return [n for n in self.nodes if n.op == op and (target is None or n.target == target)]

    # -- making nodes -------------------------------------------------------------------
    def create_node(self, op, target, args=None, kwargs=None, name=None, type_expr=None):
        """A new node, put at the current insertion point."""
        args = () if args is None else args
        kwargs = {} if kwargs is None else kwargs
        if not isinstance(args, tuple):
            raise AssertionError("args must be a tuple")
        if not isinstance(kwargs, dict):
            raise AssertionError("kwargs must be a dict")
        candidate = name if name is not None else _target_to_str(target)
        name = self._graph_namespace.create_name(candidate, None)
        n = Node(self, name, op, target, args, kwargs, type_expr)
        self._graph_namespace.associate_name_with_obj(name, n)
        self._insert(n)
        self._len += 1
        return n

    def placeholder(self, name, type_expr=None, default_value=inspect.Signature.empty):
        args = () if default_value is inspect.Signature.empty else (default_value,)
        return self.create_node("placeholder", name, args=args, type_expr=type_expr)

    def get_attr(self, qualified_name, type_expr=None):
        return self.create_node("get_attr", qualified_name, type_expr=type_expr)

    def call_module(self, module_name, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_module", module_name, args, kwargs, type_expr=type_expr)

    def call_method(self, method_name, args=None, kwargs=None, type_expr=None):
        return self.create_node("call_method", method_name, args, kwargs, type_expr=type_expr)

    def call_function(self, the_function, args=None, kwargs=None, type_expr=None, name=None):
        return self.create_node("call_function", the_function, args, kwargs, name=name,
                                type_expr=type_expr)

    def output(self, result, type_expr=None):
        return self.create_node("output", "output", (result,), type_expr=type_expr)

    def node_copy(self, node, arg_transform=lambda x: x):
        """A copy of ``node`` (from any graph) in this one; its arguments through
        ``arg_transform``."""
        args = map_arg(node.args, arg_transform)
        kwargs = map_arg(node.kwargs, arg_transform)
        new = self.create_node(node.op, node.target, args, kwargs, node.name, node.type)
        new.meta = copy.copy(node.meta)
        return new

    def graph_copy(self, g, val_map, return_output_node=False):
        """Copy ``g``'s nodes (not its output) into this graph; ``val_map`` maps old nodes to
        new ones.  Returns what ``g`` outputs, in terms of the new nodes."""
        for node in g.nodes:
            if node in val_map:
                continue
            if node.op == "output":
                out = map_arg(node.args[0], lambda n: val_map[n])
                return (out, node) if return_output_node else out
            val_map[node] = self.node_copy(node, lambda n: val_map[n])
        return None

    def __deepcopy__(self, memo=None):
        memo = {} if memo is None else memo
        g = Graph(tracer_cls=self._tracer_cls)
        out = g.graph_copy(self, {}, return_output_node=True)
        if out is not None:
            value, old = out
            g.output(value, type_expr=getattr(old, "type", None))
        return g

    def __reduce__(self):
        # (flat, so that a long graph does not pickle as a deep chain of nodes; node meta is
        # left out, as PyTorch's pickled GraphModules lose it too)
        index = {n: i for i, n in enumerate(self.nodes)}
        rows = [(n.op, n.target, map_arg(n.args, lambda a: _Ref(index[a])),
                 map_arg(n.kwargs, lambda a: _Ref(index[a])), n.name, n.type)
                for n in self.nodes]
        return (_graph_from_rows, (rows,))

    # -- editing ------------------------------------------------------------------------
    def inserting_before(self, n=None):
        """``with graph.inserting_before(n):`` new nodes go just before ``n`` (at the start
        of the graph when ``n`` is None)."""
        if n is None:
            return self.inserting_after(self._root)
        if n.graph is not self:
            raise AssertionError("Node to insert before is not in graph.")
        return _InsertPoint(self, n.prepend)

    def inserting_after(self, n=None):
        """``with graph.inserting_after(n):`` new nodes go just after ``n`` (at the end of the
        graph when ``n`` is None)."""
        if n is None:
            return self.inserting_before(self._root)
        if n.graph is not self:
            raise AssertionError("Node to insert after is not in graph.")
        return _InsertPoint(self, n.append)

    def erase_node(self, to_erase):
        """Take ``to_erase`` (which must have no users left) out of the graph."""
        if len(to_erase.users) > 0:
            raise RuntimeError(f"Tried to erase Node {to_erase} but it still had "
                               f"{len(to_erase.users)} users in the graph: {to_erase.users}!")
        if to_erase.graph is not self:
            raise RuntimeError(f"Attempting to remove {to_erase} from wrong graph!")
        if to_erase._erased:
            return
        to_erase._remove_from_list()
        to_erase._erased = True
        self._len -= 1
        to_erase._update_args_kwargs((), {})

    def eliminate_dead_code(self, is_impure_node=None):
        """Erase the nodes whose values are never used (and have no side effect); returns
        whether anything changed."""
        self.lint()
        changed = False
        for node in reversed(self.nodes):
            impure = is_impure_node(node) if is_impure_node is not None else node.is_impure()
            if not impure and len(node.users) == 0:
                self.erase_node(node)
                changed = True
        return changed

    def lint(self):
        """Check that the graph is well formed: nodes belong to it, arguments come before
        their users, targets exist in the owning module."""
        seen = set()
        names = set()
        for node in self.nodes:
            if node.graph is not self:
                raise RuntimeError(f"Node '{node}' does not belong to this Graph!")
            for arg in node._input_nodes:
                if arg.graph is not self:
                    raise RuntimeError(
                        f"Argument '{arg}' of Node '{node}' does not belong to this Graph, but "
                        "was used as an argument! If you are copying nodes from another graph, "
                        f"make sure to use ``arg_transform`` on node_copy() to remap values\n"
                        f"{self}")
                if arg not in seen:
                    raise RuntimeError(f"Argument '{arg}' of Node '{node}' was used before it "
                                       f"has been defined! Please check that Nodes in the "
                                       f"graph are topologically ordered\n{self}")
            if node.name in names:
                raise RuntimeError(f"Node redefined name {node.name}!")
            names.add(node.name)
            seen.add(node)
        mod = self.owning_module
        if mod is None:
            return
        for node in self.nodes:
            if node.op not in ("call_module", "get_attr"):
                continue
            atoms = node.target.split(".")
            m = mod
            for i, atom in enumerate(atoms):
                if not hasattr(m, atom):
                    seen_q = ".".join(atoms[:i])
                    raise RuntimeError(f"Node {node} target {node.target} references "
                                       f"nonexistent attribute {atom} of {seen_q}")
                m = getattr(m, atom)
            from ..nn import Module

            if node.op == "call_module" and not isinstance(m, Module):
                raise RuntimeError(f"Node {node} target {node.target} {atom} of "
                                   f"{'.'.join(atoms[:-1])} does not reference an nn.Module")

    # -- printing -----------------------------------------------------------------------
    def __str__(self):
        names: list = []
        lines = [n.format_node(names) for n in self.nodes]
        body = "\n".join("    " + s for s in lines if s)
        return f"graph({', '.join(names)}):\n{body}"

    def print_tabular(self):
        """Print the nodes as a table (needs the ``tabulate`` package, as PyTorch's)."""
        try:
            from tabulate import tabulate
        except ImportError:
            print("`print_tabular` relies on the library `tabulate`, which could not be found "
                  "on this machine. Run `pip install tabulate` to install the library.")
            raise
        rows = [[n.op, n.name, n.target, n.args, n.kwargs] for n in self.nodes]
        print(tabulate(rows, headers=["opcode", "name", "target", "args", "kwargs"]))

    # -- code generation ----------------------------------------------------------------
    def python_code(self, root_module, *, verbose=False):
        """The source of ``forward`` for this graph and the globals it runs in."""
        return _CodeGen(self, root_module, verbose).generate()

    def _python_code(self, root_module, namespace=None, **kw):
        return self.python_code(root_module, **kw)


class _CodeGen:
    def __init__(self, graph, root_module, verbose=False):
        self.verbose = verbose
        self.graph = graph
        self.root = root_module
        self.globals = _default_globals()
        self.ns = _Namespace()
        for n in graph.nodes:  # (global names must not shadow a variable)
            self.ns._used.add(n.name)

    def add_global(self, hint, obj):
        import ember

        if getattr(builtins, hint, None) is obj:
            return hint
        if hint.startswith("torch."):
            cur = ember
            for part in hint.split(".")[1:]:
                cur = getattr(cur, part, None)
            if cur is obj:
                return hint
            if _functional_home(obj) == hint:
                self.globals["torch"]._extra[hint[len("torch."):]] = obj
                return hint
        for k, v in self.globals.items():
            if v is obj and k not in ("torch",):
                return k
        name = self.ns.create_name(_BAD_CHARS.sub("_", hint), obj)
        self.globals[name] = obj
        return name

    def repr_arg(self, a):
        from .._tensor import Tensor

        if isinstance(a, Node):
            return a.name
        if isinstance(a, tuple) and hasattr(a, "_fields"):
            g = self.add_global(_qualified_name(type(a)), type(a))
            return f"{g}{self.repr_arg(tuple(a))}"
        if isinstance(a, Tensor):
            return f"torch.Tensor(size={list(a.size())}, dtype={str(a.dtype).split('.')[-1]})"
        if isinstance(a, tuple):
            if len(a) == 1:
                return f"({self.repr_arg(a[0])},)"
            return "(" + ", ".join(self.repr_arg(e) for e in a) + ")"
        if isinstance(a, list):
            return "[" + ", ".join(self.repr_arg(e) for e in a) + "]"
        if isinstance(a, slice):
            return (f"slice({self.repr_arg(a.start)}, {self.repr_arg(a.stop)}, "
                    f"{self.repr_arg(a.step)})")
        return repr(a)

    def type_repr(self, o):
        if o == ():
            return "()"
        origin = getattr(o, "__origin__", None)
        if origin is not None:
            if isinstance(o, typing._GenericAlias):
                origin = _ORIGINS.get(origin, origin)
            name = self.add_global(_type_repr(origin), origin)
            args = getattr(o, "__args__", None)
            if args:
                return f"{name}[{','.join(self.type_repr(a) for a in args)}]"
            return name
        return self.add_global(_type_repr(o), o)

    def fmt_args(self, args, kwargs):
        out = [self.repr_arg(a) for a in args]
        out += [f"{k} = {self.repr_arg(v)}" for k, v in kwargs.items()]
        return ", ".join(out)

    def generate(self):
        nodes = list(self.graph.nodes)
        last_use: dict = {}
        frees: dict = {}
        for node in reversed(nodes):
            for inp in node._input_nodes:
                if inp not in last_use:
                    last_use[inp] = node
                    frees.setdefault(node, []).append(inp)
        free_vars: list = []
        body: list = []
        wrapped: dict = {}
        ret_note = [""]
        summary = None
        for node in nodes:
            if self.verbose and node.op not in ("placeholder", "output"):
                # (ember records no stack traces; PyTorch's summary line for such nodes)
                now = None if node.stack_trace else "No stacktrace found for following nodes"
                if now is not None and now != summary:
                    body.append(f"\n# {now}\n")  # (a blank line before, as PyTorch's)
                summary = now
            self.emit(node, free_vars, body, wrapped, ret_note)
            if node.op == "placeholder":
                continue
            if node.op == "output":
                body.append("\n")
                continue
            dead = list(frees.get(node, []))
            if not node.users:
                dead.append(node)
            if dead:
                body.append(";  " + " = ".join([n.name for n in dead] + ["None"]) + "\n")
            else:
                body.append("\n")
        if not body:
            body.append("pass\n")
        if wrapped:
            wrap_fn = self.add_global("torch.fx._symbolic_trace.wrap", _wrap())
            wrap_stmts = "\n".join(f'{wrap_fn}("{name}")' for name in wrapped)
        else:
            wrap_stmts = ""
        code = "".join(body).lstrip("\n")
        code = "\n".join("    " + line for line in code.split("\n"))
        prologue = f"def forward({', '.join(['self'] + free_vars)}){ret_note[0]}:"
        src = f"\n{wrap_stmts}\n\n{prologue}\n{code}"
        return PythonCode(src, self.globals)

    def emit(self, node, free_vars, body, wrapped, ret_note):
        name = node.name
        annotation = f" : {self.type_repr(node.type)}" if node.type is not None else ""
        if node.op == "placeholder":
            default = f" = {self.repr_arg(node.args[0])}" if node.args else ""
            free_vars.append(f"{node.target}{annotation}{default}")
            raw = node.target.replace("*", "")
            if raw != name:
                body.append(f"{name} = {raw}\n")
        elif node.op == "call_method":
            body.append(f"{name}{annotation} = "
                        f"{_format_target(self.repr_arg(node.args[0]), node.target)}"
                        f"({self.fmt_args(node.args[1:], node.kwargs)})")
        elif node.op == "call_function":
            t = node.target
            tname = getattr(t, "__name__", "")
            if getattr(t, "__module__", "") == "_operator":
                if tname in _BINARY and len(node.args) == 2:
                    a, b = (self.repr_arg(x) for x in node.args)
                    body.append(f"{name}{annotation} = {a} {_BINARY[tname]} {b}")
                    return
                if tname in _UNARY and len(node.args) == 1:
                    body.append(f"{name}{annotation} = {_UNARY[tname]}"
                                f"{self.repr_arg(node.args[0])}")
                    return
                if tname == "getitem" and len(node.args) == 2:
                    a, b = (self.repr_arg(x) for x in node.args)
                    body.append(f"{name}{annotation} = {a}[{b}]")
                    return
            g = self.add_global(_qualified_name(t), t)
            if (g == "getattr" and len(node.args) == 2 and isinstance(node.args[1], str)
                    and node.args[1].isidentifier()):
                body.append(f"{name}{annotation} = "
                            f"{_format_target(self.repr_arg(node.args[0]), node.args[1])}")
                return
            body.append(f"{name}{annotation} = {g}({self.fmt_args(node.args, node.kwargs)})")
            if node.meta.get("is_wrapped", False):
                wrapped.setdefault(g)
        elif node.op == "call_module":
            body.append(f"{name}{annotation} = {_format_target(self.root, node.target)}"
                        f"({self.fmt_args(node.args, node.kwargs)})")
        elif node.op == "get_attr":
            body.append(f"{name}{annotation} = {_format_target(self.root, node.target)}")
        elif node.op == "output":
            if node.type is not None:
                ret_note[0] = f" -> {self.type_repr(node.type)}"
            body.append(f"return {self.repr_arg(node.args[0])}")
        else:
            raise NotImplementedError(f"node: {node.op} {node.target}")


def _wrap():
    from ._symbolic_trace import wrap

    return wrap


class _Ref(NamedTuple):
    index: int


def _graph_from_rows(rows):
    g = Graph()
    made: list = []
    for op, target, args, kwargs, name, type_expr in rows:
        args = _unref(args, made)
        kwargs = _unref(kwargs, made)
        made.append(g.create_node(op, target, args, kwargs, name, type_expr))
    return g


def _unref(a, made):
    if isinstance(a, _Ref):
        return made[a.index]
    if isinstance(a, tuple) and not hasattr(a, "_fields"):
        return tuple(_unref(e, made) for e in a)
    if isinstance(a, tuple):
        return type(a)(*(_unref(e, made) for e in a))
    if isinstance(a, list):
        return [_unref(e, made) for e in a]
    if isinstance(a, dict):
        return {k: _unref(v, made) for k, v in a.items()}
    if isinstance(a, slice):
        return slice(_unref(a.start, made), _unref(a.stop, made), _unref(a.step, made))
    return a
