"""``torch.fx.Node``: one operation of a ``Graph`` (its op, target, arguments and users)."""
from __future__ import annotations

import builtins
import operator
import types

from .immutable_collections import immutable_dict, immutable_list

__all__ = ["Argument", "Node", "Target", "has_side_effect", "map_arg", "map_aggregate"]

Target = object  # (a node's target: a callable or a name)
Argument = object  # (what a node's args hold: nodes, constants, and containers of them)

# functions whose calls dead-code elimination keeps (``torch._assert``, ``operator.setitem``,
# and those marked with ``has_side_effect``)
_side_effectful_functions: set = {operator.setitem}


def has_side_effect(fn):
    """Mark ``fn`` as having side effects: ``Graph.eliminate_dead_code`` keeps its calls."""
    _side_effectful_functions.add(fn)
    return fn

_OPS = ("placeholder", "call_method", "call_module", "call_function", "get_attr", "output",
        "root")


def map_aggregate(a, fn):
    """``fn`` applied to every leaf of ``a`` (through tuples, lists, dicts and slices)."""
    if isinstance(a, tuple):
        items = tuple(map_aggregate(e, fn) for e in a)
        return type(a)(*items) if hasattr(a, "_fields") else items
    if isinstance(a, list):
        return [map_aggregate(e, fn) for e in a]
    if isinstance(a, dict):
        return {k: map_aggregate(v, fn) for k, v in a.items()}
    if isinstance(a, slice):
        return slice(map_aggregate(a.start, fn), map_aggregate(a.stop, fn),
                     map_aggregate(a.step, fn))
    return fn(a)


def map_arg(a, fn):
    """``fn`` applied to every ``Node`` inside ``a``."""
    if not callable(fn):
        raise AssertionError("torch.fx.map_arg(a, fn): fn must be a callable")
    return map_aggregate(a, lambda x: fn(x) if isinstance(x, Node) else x)


def _frozen(a):
    """``a`` with its lists and dicts made immutable (as a node's arguments are kept)."""
    if isinstance(a, tuple):
        items = [_frozen(e) for e in a]
        return type(a)(*items) if hasattr(a, "_fields") else tuple(items)
    if isinstance(a, list):
        return immutable_list(_frozen(e) for e in a)
    if isinstance(a, dict):
        return immutable_dict((k, _frozen(v)) for k, v in a.items())
    if isinstance(a, slice):
        return slice(_frozen(a.start), _frozen(a.stop), _frozen(a.step))
    return a


def _public_path(obj, path):
    """The object ``ember.<path>`` names (``None`` when there is none)."""
    import ember

    cur = ember
    for part in path.split("."):
        cur = getattr(cur, part, None)
        if cur is None:
            return None
    return cur


# nn.functional functions that are C functions in PyTorch, where PyTorch names them:
# ``torch.conv2d`` for F.conv2d, ``torch._C._nn.gelu`` for F.gelu
_TORCH_TOP = ("adaptive_avg_pool1d avg_pool1d bilinear celu_ channel_shuffle conv1d conv2d "
              "conv3d conv_transpose1d conv_transpose2d conv_transpose3d cosine_similarity "
              "hardshrink native_channel_shuffle pairwise_distance pdist pixel_shuffle "
              "pixel_unshuffle prelu relu_ rrelu_ selu_ threshold_").split()
_TORCH_C_NN = ("avg_pool2d avg_pool3d elu_ gelu hardtanh_ leaky_relu_ linear one_hot "
               "scaled_dot_product_attention softplus softshrink").split()
# torch.* functions written in Python, in ``torch.functional``
TORCH_FUNCTIONAL = ("atleast_1d atleast_2d atleast_3d block_diag broadcast_tensors "
                    "cartesian_prod cdist chain_matmul einsum lu meshgrid norm split stft "
                    "tensordot unique unique_consecutive unravel_index").split()
FUNCTIONAL_HOMES = {
    "ember.nn.functional": {**{n: f"torch.{n}" for n in _TORCH_TOP},
                            **{n: f"torch._C._nn.{n}" for n in _TORCH_C_NN},
                            "logsigmoid": "torch._C._nn.log_sigmoid",
                            "threshold": "torch.nn.functional._threshold"},
    "ember": {n: f"torch.functional.{n}" for n in TORCH_FUNCTIONAL},
}


def _functional_home(func):
    """PyTorch's name for ``func`` when it is one of the functions above (else None)."""
    table = FUNCTIONAL_HOMES.get(getattr(func, "__module__", None))
    if table is None:
        return None
    name = getattr(func, "__qualname__", None)
    home = table.get(name)
    if home is None or not getattr(func, "_ember_dispatching", False):
        return None
    return home


def _qualified_name(func) -> str:
    """How PyTorch names ``func`` (``torch.cat``, ``torch.nn.functional.relu``,
    ``torch.Tensor.add``, ``__main__.helper``; ember's modules shown as ``torch``'s)."""
    home = _functional_home(func)
    if home is not None:
        return home
    name = getattr(func, "__name__", None) or type(func).__name__
    if getattr(builtins, name, None) is func:
        return name
    from .._tensor import Tensor

    if getattr(Tensor, name, None) is func:
        return f"torch.Tensor.{name}"
    module = getattr(func, "__module__", None) or "builtins"
    if module.startswith("ember.vision."):  # (torchvision's: its module and name)
        return f"torchvision{module[len('ember.vision'):]}.{name}"
    if module == "ember" or module.startswith("ember."):
        short = getattr(func, "__qualname__", name)
        if "." in short or "<" in short:
            short = name
        rest = module[len("ember"):].lstrip(".")
        path = f"{rest}.{short}" if rest else short
        if _public_path(func, path) is not func and _public_path(func, name) is func:
            path = name  # (defined inside ember, public at the top level)
        return "torch." + path
    return f"{module}.{name}"


def _pretty_target(target) -> str:
    if isinstance(target, str):
        return target
    module = getattr(target, "__module__", None)
    name = getattr(target, "__name__", None)
    if name is not None and module == "builtins":
        return f"builtins.{name}"
    if name is not None and module == "_operator":
        return f"operator.{name}"
    return _qualified_name(target)


def _format_arg(a) -> str:
    if isinstance(a, list):
        return "[" + ", ".join(_format_arg(e) for e in a) + "]"
    if isinstance(a, tuple):
        inner = ", ".join(_format_arg(e) for e in a)
        return f"({inner},)" if len(a) == 1 else f"({inner})"
    if isinstance(a, dict):
        return "{" + ", ".join(f"{k}: {_format_arg(v)}" for k, v in a.items()) + "}"
    if isinstance(a, Node):
        return "%" + a.name
    return str(a)


def _type_module(t) -> str:
    """``t``'s module as PyTorch names it (ember's classes carry torch's names)."""
    module = t.__module__
    if module == "ember" or module.startswith("ember."):
        from .._compat import _public_module, _torch_name

        module = _torch_name(_public_module(module))
    return module


def _type_repr(t) -> str:
    if isinstance(t, type) and not isinstance(t, types.GenericAlias):
        if t.__module__ == "builtins":
            return t.__qualname__
        return f"{_type_module(t)}.{t.__qualname__}"
    if t is ...:
        return "..."
    if isinstance(t, types.FunctionType):
        return t.__name__
    return repr(t)


class Node:
    """One operation of a ``Graph``.  ``op`` is one of ``placeholder``, ``get_attr``,
    ``call_function``, ``call_method``, ``call_module``, ``output``; ``target`` what it calls
    (a function, or the name of a method, submodule, attribute or parameter)."""

    def __init__(self, graph, name, op, target, args, kwargs, return_type=None):
        if op not in _OPS:
            raise AssertionError(f"Unknown op {op}")
        if op == "call_function" and not callable(target):
            raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has "
                             f"type {type(target)} but a Callable is expected")
        if op in ("placeholder", "call_method", "call_module", "get_attr") and \
                not isinstance(target, str):
            raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has "
                             f"type {type(target)} but a str is expected")
        self.graph = graph
        self.name = name
        self.op = op
        self.target = target
        self._input_nodes: dict = {}
        self.users: dict = {}
        self.type = return_type
        self._prev = self._next = self
        self._erased = False
        self.meta: dict = {}
        self._args = ()
        self._kwargs = {}
        self._update_args_kwargs(args, kwargs)

    # -- position in the graph ------------------------------------------------------
    @property
    def next(self):
        return self._next

    @property
    def prev(self):
        return self._prev

    def prepend(self, x):
        """Put ``x`` just before this node."""
        if x is self:
            raise AssertionError("Cannot prepend a node to itself")
        if self.graph is not x.graph:
            raise AssertionError("Attempting to move a Node into a different Graph")
        x._remove_from_list()
        p = self._prev
        p._next, x._prev = x, p
        x._next, self._prev = self, x

    def append(self, x):
        """Put ``x`` just after this node."""
        self._next.prepend(x)

    def _remove_from_list(self):
        p, n = self._prev, self._next
        p._next, n._prev = n, p

    # -- arguments ------------------------------------------------------------------
    @property
    def args(self):
        return self._args

    @args.setter
    def args(self, a):
        self._update_args_kwargs(a, self._kwargs)

    @property
    def kwargs(self):
        return self._kwargs

    @kwargs.setter
    def kwargs(self, k):
        self._update_args_kwargs(self._args, k)

    @property
    def all_input_nodes(self):
        return list(self._input_nodes)

    def _update_args_kwargs(self, args, kwargs):
        for old in self._input_nodes:
            old.users.pop(self, None)
        self._input_nodes = {}
        self._args = _frozen(tuple(args))
        self._kwargs = _frozen(immutable_dict(kwargs))

        def note(n):
            self._input_nodes.setdefault(n)
            return n
        map_arg(self._args, note)
        map_arg(self._kwargs, note)
        for n in self._input_nodes:
            n.users.setdefault(self)

    def update_arg(self, idx, arg):
        args = list(self.args)
        args[idx] = arg
        self.args = tuple(args)

    def update_kwarg(self, key, arg):
        self.kwargs = {**self.kwargs, key: arg}

    def insert_arg(self, idx, arg):
        args = list(self.args)
        args.insert(idx, arg)
        self.args = tuple(args)

    def replace_all_uses_with(self, replace_with, delete_user_cb=lambda user: True, *,
                              propagate_meta=False):
        """Make every user of this node use ``replace_with`` instead; returns those users."""
        if propagate_meta:
            if replace_with.meta:
                raise AssertionError("Called node.replace_all_uses_with(replace_with, "
                                     "propagate_meta=True), but replace_with already has "
                                     ".meta keys")
            replace_with.meta.update(self.meta)
        changed = []
        for user in list(self.users):
            if not delete_user_cb(user):
                continue
            changed.append(user)
            user._replace_input(self, replace_with)
        return changed

    def replace_input_with(self, old_input, new_input):
        self._replace_input(old_input, new_input)

    def _replace_input(self, old, new):
        def swap(n):
            return new if n is old else n
        self._update_args_kwargs(map_arg(self._args, swap), map_arg(self._kwargs, swap))

    # -- properties -----------------------------------------------------------------
    @property
    def stack_trace(self):
        return self.meta.get("stack_trace", None)

    @stack_trace.setter
    def stack_trace(self, trace):
        self.meta["stack_trace"] = trace

    def is_impure(self, impure_random=True):
        if self.op in ("placeholder", "output"):
            return True
        if self.op == "call_function":
            from ._symbolic_trace import _assert

            return self.target is _assert or self.target in _side_effectful_functions
        if self.op == "call_module":
            mod = self.graph.owning_module
            sub = mod.get_submodule(self.target) if mod is not None else None
            return bool(getattr(sub, "_is_impure", False))
        return False

    # -- printing -------------------------------------------------------------------
    def __repr__(self):
        return self.name

    def format_node(self, placeholder_names=None, maybe_return_typename=None):
        """The line ``print(graph)`` shows for this node."""
        typename = f"{_type_repr(self.type)} " if self.type is not None else ""
        head = f"%{self.name} : {typename}[num_users={len(self.users)}] = {self.op}"
        if self.op == "placeholder":
            if placeholder_names:
                placeholder_names.append(self.target)
                return None
            default = f"(default={self.args[0]})" if self.args else ""
            return f"{head}[target={self.target}]{default}"
        if self.op == "get_attr":
            return f"{head}[target={_pretty_target(self.target)}]"
        if self.op == "output":
            if self.type and maybe_return_typename:
                maybe_return_typename[0] = f" -> {_type_repr(self.type)}"
            return f"return {self.args[0]}"
        return (f"{head}[target={_pretty_target(self.target)}](args = "
                f"{_format_arg(self.args)}, kwargs = {_format_arg(self.kwargs)})")
