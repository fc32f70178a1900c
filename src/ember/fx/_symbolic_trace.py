"""``torch.fx.symbolic_trace`` and ``Tracer``: run a module's ``forward`` on ``Proxy`` s and
record what it does as a ``Graph``.

While a trace runs, ``nn.Module.__call__`` and ``nn.Module.__getattr__`` are swapped for
recording versions (submodule calls become ``call_module`` nodes, parameters ``get_attr``
nodes), and so are the functions registered with ``wrap``; all are put back after.
"""
from __future__ import annotations

import builtins
import collections
import functools
import inspect
import math
import sys
import types

from .graph import Graph
from .graph_module import GraphModule
from .node import Node, map_aggregate
from .proxy import Attribute, Proxy, TraceError, TracerBase

__all__ = ["Tracer", "symbolic_trace", "wrap", "PH"]

# (globals dict of the module that called wrap, name): functions recorded as leaves
_WRAPPED: dict = {}


class _PH:
    def __repr__(self):
        return "PH"


PH = _PH()


def _assert(condition, message):
    """``torch._assert``: ``assert condition, message`` as a function (so FX can record it)."""
    if type(condition) is not bool:
        from .._subclass import handle_torch_function, has_torch_function

        if has_torch_function((condition,)):
            return handle_torch_function(_assert, (condition,), condition, message)
    if not condition:
        raise AssertionError(message)


_assert.__module__ = "ember"


def _assert_is_none(value, msg):
    if value is not None:
        raise AssertionError(msg)


def wrap(fn_or_name):
    """``torch.fx.wrap('f')`` (at module level): calls to the global function ``f`` of the
    calling module are recorded as ``call_function`` nodes instead of being traced through."""
    caller = sys._getframe(1)
    if caller.f_code.co_name != "<module>":
        raise NotImplementedError("wrap must be called at the top level of a module")
    if callable(fn_or_name):
        if not hasattr(fn_or_name, "__code__") and not hasattr(fn_or_name, "__name__"):
            raise AssertionError("Expected a function")
        name = fn_or_name.__name__
        if name == "<lambda>":
            raise NotImplementedError("wrap must be called on a named function")
    elif isinstance(fn_or_name, str):
        name = fn_or_name
    else:
        raise AssertionError("Unsupported type for global function! Must be either a "
                             "callable or string name")
    _WRAPPED[(id(caller.f_globals), name)] = caller.f_globals
    return fn_or_name


def _is_ember_leaf(m):
    from ..nn import Sequential

    mod = type(m).__module__
    # (under ``ember run`` ember's classes carry torch's module names)
    return mod.startswith(("ember.nn.", "ember.ao.nn.", "torch.nn.", "torch.ao.nn.")) and \
        not isinstance(m, Sequential)


class Tracer(TracerBase):
    """Records a module's ``forward`` as a ``Graph``.  Override ``is_leaf_module`` to choose
    which submodules are called as a whole (``call_module``) rather than traced through."""

    # (PyTorch's default: a buffer read in ``forward`` is its tensor, recorded as a
    # ``get_attr`` node where an operation uses it)
    proxy_buffer_attributes = False

    def __init__(self, autowrap_modules=(math,), autowrap_functions=(),
                 param_shapes_constant=False):
        self._autowrap_functions = tuple(autowrap_functions)
        self._autowrap_modules = tuple(autowrap_modules)
        self.param_shapes_constant = param_shapes_constant
        self.submodule_paths = None
        self.root = None
        self.graph = None
        self.tensor_attrs: dict = {}
        self.module_stack: collections.OrderedDict = collections.OrderedDict()
        self._module_calls: dict = {}
        self.scope = None
        self.traced_func_name = "forward"

    # -- what gets recorded --------------------------------------------------------------
    def is_leaf_module(self, m, module_qualified_name):
        """Whether ``m`` is called as a whole: PyTorch's own layers (``nn.Linear``, ...) are,
        ``nn.Sequential`` and user modules are traced through."""
        return _is_ember_leaf(m)

    def path_of_module(self, mod):
        if self.submodule_paths is not None:
            path = self.submodule_paths.get(mod)
            if path is None:
                raise NameError("module is not installed as a submodule")
            return path
        for name, m in self.root.named_modules():
            if m is mod:
                return name
        raise NameError("module is not installed as a submodule")

    def call_module(self, m, forward, args, kwargs):
        """A submodule call: a ``call_module`` node for a leaf, else traced through."""
        path = self.path_of_module(m)
        calls = self._module_calls.get(path, 0)  # (a module's later calls: ``lin@1``, ...)
        self._module_calls[path] = calls + 1
        key = f"{path}@{calls}" if calls else path
        self.module_stack[key] = (path, type(m))
        try:
            if not self.is_leaf_module(m, path):
                return forward(*args, **kwargs)
            return self.create_proxy("call_module", path, args, kwargs)
        finally:
            self.module_stack.pop(key, None)

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        """What ``module.attr`` gives while tracing: a ``get_attr`` proxy for a parameter or
        buffer of the root, else the value itself."""
        from .._tensor import Tensor
        from ..nn import Parameter

        def find(collection):
            for name, p in collection:
                if attr_val is p:
                    if name not in parameter_proxy_cache:
                        parameter_proxy_cache[name] = self.create_proxy("get_attr", name, (), {})
                    return parameter_proxy_cache[name]
            return None

        if isinstance(attr_val, Parameter):
            found = find(self.root.named_parameters())
            if found is not None:
                return found
        if self.proxy_buffer_attributes and isinstance(attr_val, Tensor):
            found = find(self.root.named_buffers())
            if found is not None:
                return found
        return attr_val

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        node = self.graph.create_node(kind, target, args, kwargs, name, type_expr)
        if self.module_stack:
            node.meta["nn_module_stack"] = collections.OrderedDict(self.module_stack)
        return node

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None,
                     proxy_factory_fn=None):
        args_ = self.create_arg(args)
        kwargs_ = self.create_arg(kwargs)
        node = self.create_node(kind, target, args_, kwargs_, name, type_expr)
        return proxy_factory_fn(node) if proxy_factory_fn is not None else self.proxy(node)

    def proxy(self, node):
        return Proxy(node, self)

    def create_arg(self, a):
        """``a`` as a node argument: proxies become their nodes, tensors ``get_attr`` nodes
        (a tensor that is not an attribute of the root becomes one, ``_tensor_constant0``)."""
        from .._device import device
        from .._dtype import dtype
        from .._tensor import Tensor
        from ..nn import Module, Parameter

        if isinstance(a, Proxy):
            return a.node
        if isinstance(a, Node):
            return a
        if isinstance(a, Parameter):
            for name, p in self.root.named_parameters():
                if a is p:
                    return self.create_node("get_attr", name, (), {})
            raise NameError("parameter is not a member of this module")
        if isinstance(a, Tensor):
            qual = self.tensor_attrs.get(id(a))
            if qual is None:
                i = 0
                while True:
                    qual = f"_tensor_constant{i}"
                    if not hasattr(self.root, qual):
                        break
                    i += 1
                self.tensor_attrs[id(a)] = qual
                setattr(self.root, qual, a)
            return self.create_node("get_attr", qual, (), {})
        if isinstance(a, Module):
            raise NotImplementedError(f"argument of type: {type(a)}")
        if isinstance(a, tuple) and hasattr(a, "_fields"):  # (built by a node, as PyTorch's)
            args = tuple(self.create_arg(e) for e in a)
            return self.create_node("call_function", type(a), args, {})
        if isinstance(a, (tuple, list)):
            return type(a)(self.create_arg(e) for e in a)
        if isinstance(a, dict):
            out = {}
            for k, v in a.items():
                k = self.create_arg(k)
                if isinstance(k, Node):
                    raise RuntimeError("Keys for dictionaries used as an argument cannot "
                                       f"contain a Node. Got key: {k}")
                out[k] = self.create_arg(v)
            return out
        if isinstance(a, slice):
            return slice(self.create_arg(a.start), self.create_arg(a.stop),
                         self.create_arg(a.step))
        if isinstance(a, range):
            return range(self.create_arg(a.start), self.create_arg(a.stop),
                         self.create_arg(a.step))
        if a is None or a is ... or isinstance(a, (str, int, float, bool, complex, dtype,
                                                    device, type)):
            return a
        import ember

        if isinstance(a, (type(ember.contiguous_format), type(ember.strided), ember.Size)):
            return a
        raise NotImplementedError(f"argument of type: {type(a)}")

    def to_bool(self, obj):
        raise TraceError("symbolically traced variables cannot be used as inputs to control "
                         "flow")

    def iter(self, obj):
        raise TraceError(
            "Proxy object cannot be iterated. This can be attempted when the Proxy is used in "
            "a loop or as a *args or **kwargs function argument. See the torch.fx docs on "
            "pytorch.org for a more detailed explanation of what types of control flow can be "
            "traced, and check out the Proxy docstring for help troubleshooting Proxy "
            "iteration errors")

    def keys(self, obj):
        return Attribute(obj, "keys")()

    # -- the trace -----------------------------------------------------------------------
    def create_args_for_root(self, root_fn, is_module, concrete_args=None):
        sig = inspect.signature(root_fn)
        params = list(sig.parameters.values())
        if is_module:
            params = params[1:]
        # (PyTorch's order: the named parameters, then ``*args``, then ``**kwargs``)
        var = [p for p in params if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        params = [p for p in params if p not in var] + var
        concrete = dict(concrete_args or {})
        args = []
        for p in params:
            if p.name in concrete:
                value = concrete[p.name]
                ph = self.create_proxy("placeholder", f"{p.name}_1", (), {})
                msg = (f"{p.name} has been specialized to have value {value} but got another "
                       "value")
                if value is None:
                    self.create_proxy("call_function", _assert_is_none, (ph, msg), {})
                else:
                    self.create_proxy("call_function", _assert, (ph == value, msg), {})
                args.append(value)
                continue
            if p.kind is p.VAR_POSITIONAL:
                args.append(self.create_proxy("placeholder", f"*{p.name}", (), {}))
                continue
            if p.kind is p.VAR_KEYWORD:
                args.append(self.create_proxy("placeholder", f"**{p.name}", (), {}))
                continue
            default = () if p.default is p.empty else (p.default,)
            args.append(self.create_proxy("placeholder", p.name, default, {},
                                          type_expr=root_fn.__annotations__.get(p.name)))
        return args, params

    def trace(self, root, concrete_args=None):
        """The graph of ``root`` (a module, whose ``forward`` is traced, or a function)."""
        from ..nn import Module

        if isinstance(root, Module):
            self.root = root
            fn = type(root).forward
            is_module = True
        else:
            self.root = Module()
            fn = root
            is_module = False
        self.graph = Graph(tracer_cls=type(self))
        self.tensor_attrs = {}
        for name, m in self.root.named_modules():
            for k, v in m.__dict__.items():
                self._note_tensor(v, f"{name}.{k}" if name else k)
        for name, b in self.root.named_buffers():
            self.tensor_attrs[id(b)] = name
        self.submodule_paths = {m: n for n, m in self.root.named_modules()}
        self.module_stack = collections.OrderedDict()
        self._module_calls = {}
        args, params = self.create_args_for_root(fn, is_module, concrete_args)
        call = _all_positional(fn) if any(
            p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) for p in params) else fn
        with _Patches(self, fn):
            if is_module:
                result = call(self.root, *args)
            else:
                result = call(*args)
            self.create_node("output", "output", (self.create_arg(result),), {},
                             type_expr=fn.__annotations__.get("return", None))
        self.submodule_paths = None
        return self.graph

    def _note_tensor(self, v, name):
        from .._tensor import Tensor

        if isinstance(v, Tensor) and id(v) not in self.tensor_attrs:
            self.tensor_attrs[id(v)] = name


def _all_positional(fn):
    """``fn`` with its keyword-only, ``*args`` and ``**kwargs`` parameters made plain
    positional ones (in that order), so each receives one proxy, as in PyTorch's tracer."""
    code = fn.__code__
    n = code.co_argcount + code.co_kwonlyargcount
    n += bool(code.co_flags & inspect.CO_VARARGS) + bool(code.co_flags & inspect.CO_VARKEYWORDS)
    flags = code.co_flags & ~(inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)
    new = code.replace(co_argcount=n, co_kwonlyargcount=0, co_posonlyargcount=0,
                       co_flags=flags)
    return types.FunctionType(new, fn.__globals__, fn.__name__, None, fn.__closure__)


class _Patches:
    """Swaps in the recording ``Module.__call__`` / ``__getattr__`` and the wrapped
    functions for the duration of a trace."""

    def __init__(self, tracer, fn):
        self.tracer = tracer
        self.fn = fn
        self.undo: list = []

    def _set(self, obj, name, value, is_dict=False):
        if is_dict:
            had = name in obj
            old = obj.get(name)
            obj[name] = value
            self.undo.append(lambda: obj.__setitem__(name, old) if had else obj.pop(name, None))
        else:
            old = vars(obj).get(name, _MISSING)
            setattr(obj, name, value)
            self.undo.append(lambda: setattr(obj, name, old) if old is not _MISSING
                             else delattr(obj, name))

    def __enter__(self):
        from ..nn import Module

        tracer = self.tracer
        orig_call = Module.__call__
        orig_getattr = Module.__getattr__
        cache: dict = {}

        def call(mod, *args, **kwargs):
            def forward(*a, **k):
                return orig_call(mod, *a, **k)
            return tracer.call_module(mod, forward, args, kwargs)

        def getattr_(mod, attr):
            value = orig_getattr(mod, attr)
            return tracer.getattr(attr, value, cache)

        self._set(Module, "__call__", call)
        self._set(Module, "__getattr__", getattr_)
        fn_globals = getattr(self.fn, "__globals__", {})
        targets = dict(_WRAPPED)
        auto = list(tracer._autowrap_functions)
        for module in tracer._autowrap_modules:  # (``math.sqrt(n)``: patched on ``math``)
            for name, f in list(vars(module).items()):
                if not name.startswith("_") and callable(f) and not isinstance(f, type):
                    auto.append(f)
                    self._set(module, name, _make_wrapper(tracer, f))
        for f in auto:  # (``from math import sqrt``: patched where the traced code sees it)
            name = getattr(f, "__name__", None)
            if name and fn_globals.get(name) is f:
                targets[(id(fn_globals), name)] = fn_globals
        for (_, name), g in targets.items():
            orig = g.get(name, getattr(builtins, name, None))
            if orig is None or not callable(orig):
                continue
            self._set(g, name, _make_wrapper(tracer, orig), is_dict=True)
        return self

    def __exit__(self, *exc):
        for undo in reversed(self.undo):
            undo()


_MISSING = object()


def _make_wrapper(tracer, orig):
    @functools.wraps(orig)
    def wrapped(*args, **kwargs):
        found = []

        def look(a):
            if isinstance(a, Proxy):
                found.append(a)
        map_aggregate(args, look)
        map_aggregate(kwargs, look)
        if found:
            p = found[0].tracer.create_proxy("call_function", orig, args, kwargs)
            p.node.meta["is_wrapped"] = True
            return p
        return orig(*args, **kwargs)
    return wrapped


def symbolic_trace(root, concrete_args=None):
    """Trace ``root`` (a module or function) into a ``GraphModule``.

    >>> gm = ember.fx.symbolic_trace(lambda x: x.relu() + 1)
    """
    tracer = Tracer()
    graph = tracer.trace(root, concrete_args)
    from ..nn import Module

    name = type(root).__name__ if isinstance(root, Module) else root.__name__
    return GraphModule(tracer.root, graph, name)
