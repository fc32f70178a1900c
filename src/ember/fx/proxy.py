"""``torch.fx.Proxy``: the stand-in value a traced program computes with; every operation on
it becomes a ``Node``."""
from __future__ import annotations

import dis
import inspect
import operator
import sys

__all__ = ["TracerBase", "Proxy", "Attribute", "TraceError", "GraphAppendingTracer"]


class TraceError(ValueError):
    pass


class TracerBase:
    """The base of the tracers (``Tracer``, ``GraphAppendingTracer``), as in PyTorch, where
    it holds what they share; here ``Tracer`` itself does."""


class GraphAppendingTracer(TracerBase):
    """A minimal tracer that appends to ``graph`` (what ``Proxy(node)`` uses by default)."""

    def __init__(self, graph):
        from ._symbolic_trace import Tracer

        self._t = Tracer()
        self._t.graph = graph
        self._t.root = None
        self.graph = graph

    def __getattr__(self, name):
        return getattr(self._t, name)


def _functional_kwargs(func, args, kwargs):
    """The arguments a traced call records, as PyTorch's Python-level functions
    (``nn.functional``'s and ``torch.functional``'s) hand them to ``__torch_function__``: the
    required parameters by position, every other one by keyword, defaults included."""
    if not getattr(func, "_ember_dispatching", False):
        return args, kwargs
    module, name = getattr(func, "__module__", ""), func.__qualname__
    from .._subclass import _C_FUNCTIONAL, _PY_FUNCTIONS

    if module == "ember.nn.functional":
        if name in _C_FUNCTIONAL:
            return args, kwargs
    elif module != "ember" or name not in _PY_FUNCTIONS or name == "istft":
        return args, kwargs  # (PyTorch's istft is a C function: its arguments as given)
    try:
        sig = inspect.signature(func.__wrapped__)
        bound = sig.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return args, kwargs
    bound.apply_defaults()
    spec = _SPECS.get(name) if module == "ember" else None
    if spec is not None:  # (where ember's parameters differ from PyTorch's)
        values = bound.arguments
        pos = []
        for p in spec[0]:
            pos.extend(values.get(p[1:], ())) if p.startswith("*") else pos.append(values[p])
        # NOTE: an ``out`` that ember's function lacks (tensordot) is left out, so the
        # graph runs; PyTorch's node has ``out = None`` there
        return tuple(pos), {k: values[k] for k in spec[1] if k in values}
    pos, kw = [], {}
    for p in sig.parameters.values():
        if p.name not in bound.arguments:
            continue
        v = bound.arguments[p.name]
        if p.kind is p.VAR_POSITIONAL:
            pos.extend(v)
        elif p.kind is p.VAR_KEYWORD:
            kw.update(v)
        elif p.default is p.empty and not kw and p.kind is not p.KEYWORD_ONLY:
            pos.append(v)
        elif p.name not in _NOT_PASSED.get(name, ()):
            kw[p.name] = v
    return tuple(pos), kw


# parameters PyTorch's functions do not hand to ``__torch_function__``
_NOT_PASSED = {"l1_loss": ("weight",)}
# torch.functional's calls whose parameters differ from ember's: (positional parameters,
# keyword ones), by ember's parameter names
_SPECS = {"unravel_index": (("indices",), ("shape",)),
          "tensordot": (("a", "b"), ("dims", "out")),
          "chain_matmul": (("*matrices",), ())}


def _redirect(func, args, kwargs):
    """PyTorch's functions that call another one: what the trace records instead
    (``F.sigmoid(x)`` is ``x.sigmoid()``, ``F.upsample`` is ``F.interpolate``)."""
    if getattr(func, "__module__", "") != "ember.nn.functional" or \
            not getattr(func, "_ember_dispatching", False):
        return None
    name = func.__qualname__
    import ember.nn.functional as F

    if name in ("sigmoid", "tanh"):
        return ("call_method", name, args, kwargs)
    if name.startswith("upsample"):
        import warnings

        warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                      "instead.", UserWarning, stacklevel=5)
        sig = inspect.signature(func.__wrapped__)
        b = sig.bind(*args, **kwargs)
        b.apply_defaults()
        a = dict(b.arguments)
        extra = {"upsample_nearest": {"mode": "nearest"},
                 "upsample_bilinear": {"mode": "bilinear", "align_corners": True}}.get(name, {})
        a.update(extra)
        first = a.pop("input")
        return ("call_function", F.interpolate) + _functional_kwargs(F.interpolate, (first,), a)
    return None


class Proxy:
    """What a traced program sees instead of a tensor: operations on it are recorded."""

    def __init__(self, node, tracer=None):
        if tracer is None:
            tracer = GraphAppendingTracer(node.graph)
        self.tracer = tracer
        self.node = node

    def __repr__(self):
        return f"Proxy({self.node.name})"

    def __getattr__(self, k):
        if k.startswith("__") and k.endswith("__"):
            raise AttributeError(k)
        return Attribute(self, k)

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, d):
        self.__dict__ = d

    def __deepcopy__(self, memo):
        raise TraceError("Proxy objects cannot be deep-copied while tracing")

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", "__call__", (self,) + args, kwargs)

    def __iter__(self):
        frame = sys._getframe(1)
        inst = None
        for i in dis.get_instructions(frame.f_code):
            if i.offset == frame.f_lasti:
                inst = i
                break
        if inst is not None and inst.opname == "UNPACK_SEQUENCE":
            return (self[i] for i in range(inst.argval))
        return self.tracer.iter(self)

    def __bool__(self):
        return self.tracer.to_bool(self)

    def keys(self):
        return self.tracer.keys(self)

    def __len__(self):
        raise RuntimeError("'len' is not supported in symbolic tracing by default. If you want "
                           "this call to be recorded, please call torch.fx.wrap('len') at "
                           "module scope")

    __hash__ = object.__hash__

    @classmethod
    def __torch_function__(cls, orig_method, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        tracers: dict = {}

        def find(a):
            if isinstance(a, Proxy):
                tracers[a.tracer] = None

        from .node import map_aggregate

        map_aggregate(args, find)
        map_aggregate(kwargs, find)
        if len(tracers) > 1:
            raise RuntimeError(f"Found multiple different tracers {list(tracers)} while "
                               f"trying to trace operations {orig_method}")
        tracer = next(iter(tracers))
        from .._tensor import Tensor

        name = getattr(orig_method, "__name__", None)
        if name is not None and getattr(Tensor, name, None) is orig_method:
            return tracer.create_proxy("call_method", name, args, kwargs)
        redirected = _redirect(orig_method, args, kwargs)
        if redirected is not None:
            return tracer.create_proxy(*redirected)
        args, kwargs = _functional_kwargs(orig_method, args, kwargs)
        return tracer.create_proxy("call_function", orig_method, args, kwargs)


class Attribute(Proxy):
    """``proxy.attr``: a method call when called, else a ``getattr`` node (made when used)."""

    def __init__(self, root, attr):
        self.root = root
        self.attr = attr
        self.tracer = root.tracer
        self._node = None

    @property
    def node(self):
        if self._node is None:
            self._node = self.tracer.create_proxy("call_function", getattr,
                                                  (self.root, self.attr), {}).node
        return self._node

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", self.attr, (self.root,) + args, kwargs)


def _binary(name):
    fn = getattr(operator, name)

    def method(self, other):
        return self.tracer.create_proxy("call_function", fn, (self, other), {})

    def rmethod(self, other):
        return self.tracer.create_proxy("call_function", fn, (other, self), {})
    return method, rmethod


for _m in ("add", "sub", "mul", "floordiv", "truediv", "mod", "pow", "lshift", "rshift",
           "and_", "or_", "xor", "matmul"):
    _f, _r = _binary(_m)
    _dunder = _m.rstrip("_")
    setattr(Proxy, f"__{_dunder}__", _f)
    setattr(Proxy, f"__r{_dunder}__", _r)
for _m in ("eq", "ne", "lt", "gt", "le", "ge", "getitem"):
    setattr(Proxy, f"__{_m}__", _binary(_m)[0])


def _unary(name):
    fn = getattr(operator, name)

    def method(self):
        return self.tracer.create_proxy("call_function", fn, (self,), {})
    return method


for _m in ("neg", "pos", "invert", "abs"):
    setattr(Proxy, f"__{_m}__", _unary(_m))
