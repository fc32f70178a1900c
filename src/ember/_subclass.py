"""Tensor subclasses and PyTorch's ``__torch_function__`` protocol.

A class that derives from ``Tensor`` (``class MyT(torch.Tensor)``), or any object whose type
has a ``__torch_function__`` (a tensor-like wrapper), gets a say in every Tensor method,
operator, property and ``torch.*`` / ``torch.nn.functional`` function it takes part in, as in
PyTorch; so do the ``TorchFunctionMode`` objects entered with ``with Mode():``.

Plain tensors pay nothing on their methods until a user's subclass exists: a subclass gets
dispatching methods (put on it by ``Tensor.__init_subclass__``), and from then on ``Tensor``'s
methods and operators are those too (so that ``super().__add__(other)`` dispatches), with a
fast path for a plain tensor; a mode puts its properties there too while it is entered.
Public functions scan their arguments for anything that is not exactly a ``Tensor`` (a type
test per argument) before they run.

The rules followed (from PyTorch's documentation and behaviour):

* handlers are tried mode first (the innermost, which is popped while it runs), then the
  overloaded arguments in order, a subclass before its base class; the first that does not
  return ``NotImplemented`` gives the result;
* ``Tensor.__torch_function__`` runs the function with subclass dispatch off, then turns each
  ``Tensor`` in the result (also inside lists and tuples) into the subclass by ``as_subclass``;
* an operator reports the method PyTorch's binding reports (``x + 1`` is ``Tensor.add``,
  ``x ** 2`` is ``Tensor.__pow__``, named ``pow``), a property its ``__get__`` / ``__set__``;
* ``nn.Parameter`` (and ember's own subclasses) have ``__torch_function__`` switched off:
  ops on them give plain tensors.

While a function's own implementation runs (after dispatch), nothing inside it dispatches again:
ember's ops are Python, where PyTorch's are C++, so their inner calls must stay unseen.

Not covered: a method of a plain tensor given a subclass argument by keyword or in a list
(``plain.add(other=sub)``; by position it is dispatched) runs undispatched, since covering it
would cost every plain tensor's methods; ``torch.functional``'s Python-level functions (``einsum``,
``split``, ...) hand on only the keyword arguments the caller gave (PyTorch's pass all of
theirs; ``nn.functional``'s do here too, see ``_as_passed``).

``nn``'s layers call the dispatching ``torch.nn.functional`` / ``torch`` functions, as
PyTorch's do, so a handler (or ``torch.fx``, traced into a layer) sees ``F.linear`` and co.
"""
from __future__ import annotations

import threading
import types as _types

from ._ops.index import _alias_view
from ._tensor import Tensor

__all__ = ["DisableTorchFunction", "DisableTorchFunctionSubclass",
           "disabled_torch_function_impl", "has_torch_function", "handle_torch_function"]


class _State(threading.local):
    """The switches, per thread (as PyTorch's)."""

    def __init__(self):
        self.sub_off = False  # DisableTorchFunctionSubclass: tensor-likes are not consulted
        self.all_off = False  # DisableTorchFunction: modes are not consulted either
        self.quiet = 0  # > 0 while an implementation runs: nothing dispatches


S = _State()
# NOTE: unlike PyTorch's, the mode stack is shared by all threads (a mode entered in one
# thread is seen by the others while it is entered).
MODES: list = []  # the entered TorchFunctionModes, innermost last
_ENTERED: list = []  # the same, kept while a mode's handler runs (with it off MODES)

_NOBODY = object()  # ``_dispatch``: no handler took the call
_INTERNAL: set = set()  # ember's own subclasses (Parameter, tv_tensors, ...)
# Tensor types of ember's other layouts (sparse COO): never taken as plain, so that a public
# function given one goes the slow way, where ``LAYOUT_ROUTE`` (put here by that layout's
# module) names the function to run: ``route(public, fn, args, kwargs) -> fn or another``
LAYOUT_TYPES: set = set()
LAYOUT_ROUTE = None
_PLAIN = {int, float, bool, complex, str, type(None), type(Ellipsis), slice, range, dict}


class _NoImplementation(TypeError):
    """No handler took the call (an operator turns this into ``NotImplemented``)."""


class _DisabledImpl:
    """The type of ``disabled_torch_function_impl``: like PyTorch's (a builtin), it does not
    bind to an instance, so ``p.__torch_function__ is _disabled_torch_function_impl``."""

    __name__ = __qualname__ = "_disabled_torch_function_impl"

    def __call__(self, func, types, args=(), kwargs=None):
        with DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))

    def __repr__(self):
        return "<built-in function _disabled_torch_function_impl>"


disabled_torch_function_impl = _DisabledImpl()


class DisableTorchFunctionSubclass:
    """``with torch._C.DisableTorchFunctionSubclass():`` tensor subclasses and tensor-likes
    are not consulted (modes still are)."""

    def __enter__(self):
        self._old = S.sub_off
        S.sub_off = True
        return self

    def __exit__(self, *exc):
        S.sub_off = self._old


class DisableTorchFunction:
    """``with torch._C.DisableTorchFunction():`` neither tensor-likes nor modes are
    consulted."""

    def __enter__(self):
        self._old = (S.sub_off, S.all_off)
        S.sub_off = S.all_off = True
        return self

    def __exit__(self, *exc):
        S.sub_off, S.all_off = self._old


def is_torch_function_enabled() -> bool:
    return not S.sub_off


def is_torch_function_mode_enabled() -> bool:
    return bool(MODES) and not S.all_off


# -- finding the handlers ------------------------------------------------------------

def _tf_of(t):
    """``t.__torch_function__`` if instances of ``t`` are dispatched to, else ``None``."""
    tf = getattr(t, "__torch_function__", None)
    if tf is None or tf is disabled_torch_function_impl:
        return None
    return tf


def _add(found, a, with_plain):
    t = type(a)
    if t is Tensor:
        if not with_plain:
            return
    elif t in _PLAIN:
        return
    for old in found:
        if type(old) is t:
            return
    if _tf_of(t) is None:
        if t is not list and t is not tuple and t is not dict and t not in LAYOUT_TYPES:
            _PLAIN.add(t)  # (never consulted: skipped at once next time)
        return
    for i, old in enumerate(found):  # a subclass goes before its base class
        if issubclass(t, type(old)):
            found.insert(i, a)
            return
    found.append(a)


def overloaded_args(args, kwargs=None, with_plain=False):
    """The arguments whose ``__torch_function__`` is consulted, in PyTorch's order (sequences
    are looked into one level deep, as PyTorch's tensor-list arguments are)."""
    found: list = []
    if S.sub_off:
        return found
    for a in (*args, *kwargs.values()) if kwargs else args:
        if type(a) is list or type(a) is tuple:
            for b in a:
                _add(found, b, with_plain)
        else:
            _add(found, a, with_plain)
    return found


def _dispatch(func, args, kwargs, py=False, op=False):
    """Offer ``func(*args, **kwargs)`` to the modes and tensor-likes; ``_NOBODY`` when none of
    them is there (the caller then runs the implementation).  ``py``: a Python-level function
    in PyTorch (``types`` lists plain tensors too), or ``"modes"``: only modes see it."""
    if py == "modes":
        found, py = [], False
    elif py == "self":  # (a method PyTorch offers with its tensor alone: ``Tensor.dim``)
        found, py = overloaded_args(args[:1], None, True), False
    else:
        found = overloaded_args(args, kwargs, py)
    if py and found and all(type(a) is Tensor for a in found) and not MODES:
        found = []
    types = tuple([type(a) for a in found])
    passed = kwargs if kwargs or py else None
    if MODES and not S.all_off:
        mode = MODES.pop()
        try:
            result = mode.__torch_function__(func, types, args, passed)
        finally:
            MODES.append(mode)
        if result is not NotImplemented:
            return result
    elif not found:
        return _NOBODY
    for a in found:
        result = a.__torch_function__(func, types, args, passed)
        if result is not NotImplemented:
            return result
    if getattr(func, "_ember_dispatching", False):  # (a public function: ``torch.add``)
        name = f"torch{func.__module__[len('ember'):]}.{func.__name__}"
    else:
        name = f"torch.Tensor.{func.__name__}"
    mode = MODES[-1] if MODES and not S.all_off else None
    if py:
        msg = (f"no implementation found for '{name}' on types that implement "
               f"__torch_function__: {[type(a) for a in found]}")
        if mode is not None:
            msg += f" nor in mode {mode}"
    else:
        lines = [f"  - mode object {mode}\n"] if mode is not None else []
        lines += [f"  - tensor subclass {type(a)}\n" for a in found]
        msg = (f"Multiple dispatch failed for '{name}'; all __torch_function__ handlers "
               f"returned NotImplemented:\n\n{''.join(lines)}\nFor more information, try "
               "re-running with TORCH_LOGS=not_implemented")
    raise (_NoImplementation if op else TypeError)(msg)


def _quietly(impl, args, kwargs):
    S.quiet += 1
    try:
        return impl(*args, **kwargs)
    finally:
        S.quiet -= 1


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """``torch.overrides.handle_torch_function``: offer ``public_api(*args, **kwargs)`` to the
    handlers found in ``relevant_args`` (and to the modes)."""
    found = overloaded_args(relevant_args, None, True)
    types = tuple([type(a) for a in found])
    if MODES and not S.all_off:
        mode = MODES.pop()
        try:
            result = mode.__torch_function__(public_api, types, args, kwargs)
        finally:
            MODES.append(mode)
        if result is not NotImplemented:
            return result
    for a in found:
        result = a.__torch_function__(public_api, types, args, kwargs)
        if result is not NotImplemented:
            return result
    name = f"{getattr(public_api, '__module__', None)}.{public_api.__name__}"
    msg = (f"no implementation found for '{name}' on types that implement "
           f"__torch_function__: {[type(a) for a in found]}")
    if MODES and not S.all_off:
        msg += f" nor in mode {MODES[-1]}"
    raise TypeError(msg)


def has_torch_function(relevant_args) -> bool:
    """Whether anything in ``relevant_args`` (or an entered mode) takes part in dispatch."""
    if S.quiet:
        return False
    if MODES and not S.all_off:
        return True
    for a in relevant_args:
        t = type(a)
        if t is not Tensor and _tf_of(t) is not None and not S.sub_off:
            return True
    return False


# -- Tensor.__torch_function__ ---------------------------------------------------------

_NOWRAP: set = set()  # functions whose results keep their type (``Tensor.grad.__get__``)


def _convert(ret, cls):
    if cls is Tensor:
        return ret
    if isinstance(ret, Tensor) and not isinstance(ret, cls):
        return as_subclass(ret, cls)
    if isinstance(ret, (tuple, list)):
        items = [_convert(r, cls) for r in ret]
        return type(ret)(*items) if hasattr(ret, "_fields") else type(ret)(items)
    return ret


def default_torch_function(cls, func, types, args=(), kwargs=None):
    """``Tensor.__torch_function__``: run ``func`` with subclass dispatch off, and give each
    tensor in the result the type ``cls``."""
    if kwargs is None:
        kwargs = {}
    for t in types:
        if not issubclass(cls, t):
            return NotImplemented
    old = S.sub_off
    S.sub_off = True
    S.quiet += 1
    try:
        ret = func(*args, **kwargs)
        for f in _NOWRAP:
            if func == f:
                return ret
        return _convert(ret, cls)
    finally:
        S.quiet -= 1
        S.sub_off = old


# -- making subclass instances ---------------------------------------------------------

_SUBCLASS_ERROR = ("Creating a Tensor subclass from a class that does not inherit from Tensor "
                   "is not possible. Make sure your class inherits from Tensor.")


def _check_subclass(cls):
    if not isinstance(cls, type):
        raise TypeError(f"cls must be a type (got {type(cls).__name__})")
    if not issubclass(cls, Tensor):
        raise TypeError(_SUBCLASS_ERROR)


def _retype(src, cls):
    """A ``cls`` object holding ``src``'s state (``src`` is fresh and dropped after)."""
    try:
        src.__class__ = cls  # (the same memory layout: a subclass adding no __slots__)
        return src
    except TypeError:
        return _copy_as(src, cls)


def _copy_as(src, cls):
    """A new ``cls`` object with ``src``'s state (``src`` is left as it is)."""
    out = object.__new__(cls)
    for name in Tensor.__slots__:
        if name in ("__dict__", "__weakref__"):
            continue
        setattr(out, name, getattr(src, name))
    out.__dict__.update(src.__dict__)
    return out


def as_subclass(self, cls):
    """``Tensor.as_subclass``: this tensor's memory and history (through an alias, as in
    PyTorch: ``grad_fn=<AliasBackward0>`` when it requires grad) as a ``cls`` instance."""
    _check_subclass(cls)
    if "_sp_i" in getattr(self, "__dict__", ()):  # (a sparse tensor; no dispatching read)
        raise NotImplementedError(
            f"as_subclass(): a sparse tensor cannot become a {cls.__name__} (ember's sparse "
            "tensors have no dense storage to share); make the subclass from a dense tensor")
    S.quiet += 1
    try:
        return _retype(_alias_view(self), cls)
    finally:
        S.quiet -= 1


def make_subclass(cls, data, require_grad=False, *args, **kwargs):
    """``Tensor._make_subclass``: a ``cls`` leaf on ``data``'s memory."""
    _check_subclass(cls)
    S.quiet += 1
    try:
        return _make_subclass(cls, data, require_grad)
    finally:
        S.quiet -= 1


def _make_subclass(cls, data, require_grad):
    if not isinstance(data, Tensor):
        raise TypeError(f"_make_subclass(): argument 'data' (position 2) must be Tensor, not "
                        f"{type(data).__name__}")
    from ._ops.shape import detach

    out = _retype(detach(data), cls)
    if require_grad:
        if out.dtype._kind < 2:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        out._requires_grad = True
    return out


def _constructed(t) -> bool:
    return hasattr(t, "_data")


# -- the dispatching methods -------------------------------------------------------------

# operator -> (the Tensor attribute handlers see as ``func``, whether the arguments swap)
_OPERATORS = {
    "__add__": ("add", 0), "__radd__": ("add", 0), "__iadd__": ("add_", 0),
    "__sub__": ("sub", 0), "__rsub__": ("__rsub__", 0), "__isub__": ("sub_", 0),
    "__mul__": ("mul", 0), "__rmul__": ("mul", 0), "__imul__": ("mul_", 0),
    "__truediv__": ("div", 0), "__rtruediv__": ("__rdiv__", 0), "__itruediv__": ("div_", 0),
    "__floordiv__": ("__floordiv__", 0), "__rfloordiv__": ("__rfloordiv__", 0),
    "__ifloordiv__": ("floor_divide_", 0),
    "__mod__": ("remainder", 0), "__rmod__": ("__rmod__", 0), "__imod__": ("remainder_", 0),
    "__pow__": ("__pow__", 0), "__rpow__": ("__rpow__", 0), "__ipow__": ("__ipow__", 0),
    "__matmul__": ("matmul", 0), "__rmatmul__": ("matmul", 1),
    "__and__": ("__and__", 0), "__rand__": ("bitwise_and", 0), "__iand__": ("__iand__", 0),
    "__or__": ("__or__", 0), "__ror__": ("bitwise_or", 0), "__ior__": ("__ior__", 0),
    "__xor__": ("__xor__", 0), "__rxor__": ("bitwise_xor", 0), "__ixor__": ("__ixor__", 0),
    "__lshift__": ("__lshift__", 0), "__rlshift__": ("__rlshift__", 0),
    "__ilshift__": ("__ilshift__", 0),
    "__rshift__": ("__rshift__", 0), "__rrshift__": ("__rrshift__", 0),
    "__irshift__": ("__irshift__", 0),
    "__eq__": ("__eq__", 0), "__ne__": ("ne", 0), "__lt__": ("lt", 0), "__le__": ("le", 0),
    "__gt__": ("gt", 0), "__ge__": ("ge", 0),
    "__neg__": ("neg", 0), "__pos__": ("positive", 0), "__abs__": ("abs", 0),
    "__invert__": ("__invert__", 0),
}
# the reflected operator -> the forward one Python would have called first in PyTorch
_REFLECTED = {"__radd__": "__add__", "__rsub__": "__sub__", "__rmul__": "__mul__",
              "__rtruediv__": "__truediv__", "__rfloordiv__": "__floordiv__",
              "__rmod__": "__mod__", "__rpow__": "__pow__", "__rmatmul__": "__matmul__",
              "__rand__": "__and__", "__ror__": "__or__", "__rxor__": "__xor__",
              "__rlshift__": "__lshift__", "__rrshift__": "__rshift__"}
# Tensor attributes whose name, as ``func.__name__`` shows it, is not their own (PyTorch's)
_SHOWN_NAME = {"__pow__": "pow", "__ipow__": "pow_", "__rtruediv__": "__rdiv__",
               "__itruediv__": "__idiv__", "__neg__": "neg", "__pos__": "positive",
               "__abs__": "abs"}
# dunders that dispatch as themselves; Python-level ones in PyTorch (their ``types`` list
# plain tensors too, and ``kwargs`` is a dict)
_DUNDERS = ("__getitem__", "__setitem__", "__len__", "__repr__", "__format__", "__bool__",
            "__float__", "__int__", "__index__", "__complex__", "__contains__", "__array__",
            "__reversed__", "__deepcopy__", "__reduce_ex__", "__array_wrap__")
_PY_LEVEL = frozenset((
    "__array__", "__array_wrap__", "__contains__", "__deepcopy__", "__format__", "__len__",
    "__reduce_ex__", "__repr__", "__reversed__", "backward", "dim_order", "is_shared", "lu",
    "norm", "register_hook", "register_post_accumulate_grad_hook", "resize", "resize_as",
    "share_memory_", "split", "stft", "istft", "storage", "storage_type", "unflatten", "unique",
    "unique_consecutive", "__floordiv__", "__rdiv__", "__rfloordiv__", "__rlshift__",
    "__rmatmul__", "__rmod__", "__rpow__", "__rrshift__", "__rsub__", "__pow__", "__ipow__"))
# Tensor methods PyTorch offers to the handlers with ``types`` the tensor's type alone (a
# plain tensor's too), and the method it names (``nelement`` is offered as ``numel``)
_SELF_TYPED = frozenset((
    "__bool__", "__float__", "__index__", "__int__", "_is_view", "apply_", "data_ptr", "detach",
    "dim", "element_size", "get_device", "is_complex", "is_floating_point", "is_signed", "item",
    "ndimension", "nelement", "new_tensor", "numel", "retain_grad", "storage_offset", "tolist",
    "untyped_storage", "zero_"))
_OFFERED_AS = {"nelement": "numel", "ndimension": "dim"}
_NOT_DISPATCHED = frozenset(("as_subclass", "__hash__", "__dir__", "__iter__", "__init__",
                             "__new__", "__init_subclass__", "__getattr__", "__torch_function__",
                             "__copy__", "__array_priority__", "__class__"))

_WRAPPERS: dict = {}  # name -> the dispatching attribute (shared by every subclass)
_ORIGINALS: dict = {}  # name -> Tensor's own attribute
_active = False


def _renamed(fn, name):
    """``fn`` under ``name`` (same code: it costs nothing to call)."""
    new = _types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__,
                              fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__dict__.update(fn.__dict__)
    new.__qualname__ = f"Tensor.{name}"
    new.__doc__ = fn.__doc__
    new.__module__ = fn.__module__
    return new


# NOTE: handlers get ``func`` as ``Tensor``'s attribute at the time of the call: while a mode
# is entered that is the dispatching one, so that a handler calling ``func(*args)`` dispatches
# again, as PyTorch's always does.
_TD = Tensor.__dict__


def _named(wrapper, name, impl):
    wrapper.__name__ = _SHOWN_NAME.get(name, name)
    wrapper.__qualname__ = getattr(impl, "__qualname__", f"Tensor.{name}")
    wrapper.__doc__ = getattr(impl, "__doc__", None)
    wrapper.__wrapped__ = impl


def _method(name, impl, py):
    fname = _OFFERED_AS.get(name, name)

    def method(self, *args, **kwargs):
        t = type(self)
        if (t is Tensor or t in _INTERNAL) and not _ENTERED:
            for a in args:  # (a subclass argument dispatches: ``plain.type_as(sub)``)
                ta = type(a)
                if ta is not Tensor and ta not in _PLAIN and ta is not tuple and \
                        ta is not list and isinstance(a, Tensor):
                    break
            else:
                return impl(self, *args, **kwargs)
        if S.quiet or (S.sub_off and (S.all_off or not MODES)):
            return impl(self, *args, **kwargs)
        args = (self, *args)
        dargs, dkwargs = args, kwargs
        if py and fname in _AS_PASSED:  # (``Tensor.norm``: its options by keyword)
            dargs, dkwargs = _as_passed(_TD[fname], impl, args, kwargs)[1:]
        elif py and fname in _FILLED_METHODS:
            dargs, dkwargs = _filled(_FILLED_METHODS[fname], args, kwargs)
        r = _dispatch(_TD[fname], dargs, dkwargs, py)
        return _quietly(impl, args, kwargs) if r is _NOBODY else r
    _named(method, name, impl)
    return method


def _unary(name, fname, impl):
    def op(self):
        t = type(self)
        if (t is Tensor or t in _INTERNAL) and not _ENTERED or S.quiet or (
                S.sub_off and (S.all_off or not MODES)):
            return impl(self)
        r = _dispatch(_TD[fname], (self,), {}, False)
        return _quietly(impl, (self,), {}) if r is _NOBODY else r
    _named(op, name, impl)
    return op


def _operator(name, fname, impl, swap, forward):
    py = name in _PY_LEVEL
    fpy = _REFLECTED.get(name) in _PY_LEVEL

    def op(self, other, *modulo):
        t, to = type(self), type(other)
        if (t is Tensor or t in _INTERNAL) and not _ENTERED and (
                to is Tensor or to in _PLAIN or not isinstance(other, Tensor)) \
                or modulo or S.quiet or (S.sub_off and (S.all_off or not MODES)):
            return impl(self, other, *modulo)
        f, run, p = _TD[fname], impl, py
        run_args = (self, other)
        args = (other, self) if swap else run_args
        if forward is not None and isinstance(other, Tensor) and type(other) is not type(self) \
                and issubclass(type(self), type(other)):
            # Python called the reflected method first (our type overrides it); PyTorch's
            # subclasses inherit it, so the forward one runs there: report that one
            f, run, p = _TD[forward[0]], forward[1], fpy
            args = run_args = (other, self)
        try:
            r = _dispatch(f, args, {}, p, True)
        except _NoImplementation:
            return _refused(name, self, other)
        return _quietly(run, run_args, {}) if r is _NOBODY else r
    _named(op, name, impl)
    return op


_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
            "pow": "**", "matmul": "@", "and": "&", "or": "|", "xor": "^", "lshift": "<<",
            "rshift": ">>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _unsupported(key, left, right, inplace=False):
    sym = _SYMBOLS[key] + ("=" if inplace else " or pow()" if key == "pow" else "")
    return (f"unsupported operand type(s) for {sym}: '{type(left).__name__}' and "
            f"'{type(right).__name__}'")


def _refused(name, self, other):
    """What operator ``name`` of ``self`` gives when every handler refused it: NotImplemented
    (Python goes on to ``other``'s reflected method), or, where that method would not dispatch
    here (a plain tensor's) while PyTorch's would be refused the same way, Python's outcome."""
    t = type(other)
    if MODES or not isinstance(other, Tensor) or (t is not Tensor and _tf_of(t) is not None):
        return NotImplemented
    if name == "__eq__":
        return self is other
    if name == "__ne__":
        return self is not other
    key, left, right = name[2:-2], self, other
    if name in _REFLECTED:
        key, left, right = _REFLECTED[name][2:-2], other, self
    if key in ("lt", "le", "gt", "ge"):
        # NOTE: ``plain < sub`` calls ``sub.__gt__`` first: told as ``sub > plain`` here
        raise TypeError(f"'{_SYMBOLS[key]}' not supported between instances of "
                        f"'{type(left).__name__}' and '{type(right).__name__}'")
    if key[0] == "i" and key[1:] in _SYMBOLS:  # (``+=``: Python goes on to ``+``)
        try:
            return getattr(type(self), f"__{key[1:]}__")(self, other)
        except TypeError as e:
            if str(e) != _unsupported(key[1:], self, other):
                raise
        raise TypeError(_unsupported(key[1:], self, other, True)) from None
    if key not in _SYMBOLS:
        return NotImplemented
    raise TypeError(_unsupported(key, left, right))


def foreign_operand(name, self, other):
    """A plain tensor's operator ``name`` given an object that is no tensor but has a
    ``__torch_function__`` (``x + scalar_like``): offered to it, as PyTorch does;
    NotImplemented when it refuses (Python goes on to its reflected method)."""
    if S.quiet or S.sub_off or _tf_of(type(other)) is None:
        return NotImplemented
    _activate()
    fname, swap = _OPERATORS.get(name, (name, 0))
    if name == "__eq__":  # (here PyTorch's C binding offers it: ``eq``)
        fname = "eq"
    if fname not in _ORIGINALS:
        fname = name
    args = (other, self) if swap else (self, other)
    try:
        r = _dispatch(_TD[fname], args, {}, name in _PY_LEVEL, True)
    except _NoImplementation:
        return NotImplemented
    return NotImplemented if r is _NOBODY else r


def _property(name, prop):
    fget, fset, fdel = prop.fget, prop.fset, prop.fdel

    def get(self):
        if S.quiet or (S.sub_off and (S.all_off or not MODES)):
            return fget(self)
        r = _dispatch(_TD[name].__get__, (self,), None, True)
        return _quietly(fget, (self,), {}) if r is _NOBODY else r

    def set_(self, value):
        if S.quiet or (S.sub_off and (S.all_off or not MODES)):
            return fset(self, value)
        r = _dispatch(_TD[name].__set__, (self, value), None, True)
        if r is _NOBODY:
            _quietly(fset, (self, value), {})

    out = property(get, set_ if fset is not None else None, fdel, prop.__doc__)
    if name == "grad":
        _NOWRAP.update((prop.__get__, out.__get__))
    return out


def _iter(self):
    # (as PyTorch's: not dispatched itself; its ``dim`` and ``unbind`` are)
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(self.unbind(0))


def _activate():
    """Build the dispatching methods (once, on first use: after ember has put every method
    on ``Tensor``); give Tensor's methods PyTorch's names (``Tensor.arcsin.__name__``)."""
    global _active
    if _active:
        return
    _active = True
    # forward AD wraps some of Tensor's attributes on first use; done first, so that the
    # originals kept here (and put back when a mode exits) are those wrapped ones
    from .autograd import forward_ad

    forward_ad._install()
    T = Tensor
    T.__rdiv__ = T.__dict__["__rtruediv__"]
    T.__div__, T.__idiv__ = T.__dict__["__truediv__"], T.__dict__["__itruediv__"]
    names = [n for n in list(vars(T)) if n not in _NOT_DISPATCHED and (
        not n.startswith("_") or n in _OPERATORS or n in _DUNDERS or n in _REFLECTED.values()
        or n in ("__rdiv__", "__div__", "__idiv__", "_is_view"))]
    for n in names:
        attr = T.__dict__[n]
        if isinstance(attr, _types.FunctionType):
            shown = _SHOWN_NAME.get(n, n)
            if attr.__name__ != shown:
                attr = _renamed(attr, shown)
                setattr(T, n, attr)
        _ORIGINALS[n] = attr
    T.__rdiv__ = _ORIGINALS["__rdiv__"] = _ORIGINALS["__rtruediv__"]
    T.__div__ = _ORIGINALS["__div__"] = _ORIGINALS["__truediv__"]
    T.__idiv__ = _ORIGINALS["__idiv__"] = _ORIGINALS["__itruediv__"]
    for n, attr in _ORIGINALS.items():
        if isinstance(attr, property):
            _WRAPPERS[n] = _property(n, attr)
        elif isinstance(attr, (staticmethod, classmethod, type)) or not callable(attr):
            continue
        elif n in _OPERATORS:
            target, swap = _OPERATORS[n]
            fwd = _REFLECTED.get(n)
            forward = None
            if fwd is not None and _OPERATORS[fwd][0] in _ORIGINALS and fwd in _ORIGINALS:
                forward = (_OPERATORS[fwd][0], _ORIGINALS[fwd])
            if target not in _ORIGINALS:
                target = n
            if n in ("__neg__", "__pos__", "__abs__", "__invert__"):
                _WRAPPERS[n] = _unary(n, target, attr)
            else:
                _WRAPPERS[n] = _operator(n, target, attr, swap, forward)
        else:
            _WRAPPERS[n] = _method(n, attr, "self" if n in _SELF_TYPED else n in _PY_LEVEL)
    _WRAPPERS["__iter__"] = _iter
    _ORIGINALS["__iter__"] = T.__dict__["__iter__"]
    _reach_modules()


def _reach_modules():
    """Point ``nn.functional``'s implementations at the dispatching functions where they call
    one another (``nn``'s layers call the dispatching ``torch.nn.functional`` functions
    themselves, as PyTorch's do).  Done on first use, so that until then they pay nothing."""
    import sys

    inner = {}
    for fn in PUBLIC.get("torch.nn.functional", {}).values():
        f = fn.__wrapped__
        while f is not None and id(f) not in inner:
            inner[id(f)] = fn
            f = getattr(f, "__wrapped__", None)
    for name, mod in list(sys.modules.items()):
        if mod is None or not name.startswith("ember.nn._functional."):
            continue
        ns = vars(mod)
        for k, v in list(ns.items()):
            if isinstance(v, _types.FunctionType) and not k.startswith("__"):
                w = inner.get(id(v))
                if w is not None and w.__qualname__ == v.__name__:
                    ns[k] = w


def on_subclass(cls):
    """``Tensor.__init_subclass__``: give a user's subclass the dispatching methods."""
    if cls.__module__.split(".")[0] == "ember":
        _INTERNAL.add(cls)  # ember's own: ops give plain tensors, as before
        if "__torch_function__" not in vars(cls):
            cls.__torch_function__ = disabled_torch_function_impl
        return
    _activate()
    if _tf_of(cls) is None:
        return
    _onto_tensor()
    for n, w in _WRAPPERS.items():
        for k in cls.__mro__:
            if n in k.__dict__:
                if k is Tensor:
                    setattr(cls, n, w)
                break


_ON_TENSOR: set = set()  # the dispatching methods put on Tensor for good (see _onto_tensor)


def _onto_tensor():
    """Once a user's subclass exists, Tensor's own methods and operators dispatch a tensor of
    such a subclass (``super().__add__(other)``, ``torch.Tensor.add(sub, 1)``), as PyTorch's do;
    a plain tensor (or ember's own subclass) given plain operands runs at once."""
    if _ON_TENSOR:
        return
    for n, w in _WRAPPERS.items():
        if n in _ORIGINALS and not isinstance(w, property) and n != "__iter__":
            _ON_TENSOR.add(n)
            if not _ENTERED:
                setattr(Tensor, n, w)


# -- modes -------------------------------------------------------------------------------

def push_mode(mode):
    _activate()
    if not _ENTERED:
        for n, w in _WRAPPERS.items():
            setattr(Tensor, n, w)
    MODES.append(mode)
    _ENTERED.append(mode)


def pop_mode():
    mode = MODES.pop()
    if _ENTERED:
        _ENTERED.pop()
    if not _ENTERED:
        for n in _WRAPPERS:
            if n in _ON_TENSOR:
                continue
            if n in _ORIGINALS:
                setattr(Tensor, n, _ORIGINALS[n])
            else:
                delattr(Tensor, n)
    return mode


# -- the hooks on Tensor ------------------------------------------------------------------

def install(T):
    """Put the subclassing protocol on ``Tensor`` (called once, by ``ember._tensor``)."""
    orig_init, orig_repr, orig_reduce = T.__init__, T.__repr__, T.__reduce_ex__
    orig_deepcopy, orig_format, orig_copy = T.__deepcopy__, T.__format__, T.__copy__

    def __new__(cls, *args, **kwargs):
        if cls is T or cls in _INTERNAL:
            return object.__new__(cls)
        # ``MyT([1., 2.])``: built here, so that an ``__init__`` of the subclass sees a tensor
        if len(args) == 1 and not kwargs and isinstance(args[0], T):
            return as_subclass(args[0], cls)  # (``MyT(t)`` aliases ``t``, as in PyTorch)
        out = object.__new__(cls)
        orig_init(out, *args, **kwargs)
        return out

    def __init__(self, *args, **kwargs):
        if type(self) is not T and _constructed(self):
            return  # (built by ``__new__`` or ``_make_subclass``)
        S.quiet += 1  # (``Tensor(sub)`` is not dispatched: what it reads of ``sub`` neither)
        try:
            if len(args) == 1 and not kwargs and isinstance(args[0], T):
                # ``torch.Tensor(t)`` is an alias of ``t`` (its dtype and history), as PyTorch's
                from ._ops._core import adopt

                adopt(self, _alias_view(args[0]))
                return
            orig_init(self, *args, **kwargs)
        finally:
            S.quiet -= 1

    def __repr__(self, *, tensor_contents=None):
        cls = type(self)
        if cls is T or cls in _INTERNAL:
            return orig_repr(self, tensor_contents=tensor_contents)
        from ._tensor_str import tensor_repr
        from .nn.parameter import Parameter

        text = tensor_repr(self, tensor_contents=tensor_contents, prefix=f"{cls.__name__}(")
        # PyTorch flags a subclass of Parameter by wrapping its repr (after the
        # "Parameter containing:" line that Parameter.__repr__ adds)
        return f"Parameter({text})" if isinstance(self, Parameter) else text

    def __reduce_ex__(self, proto):
        cls = type(self)
        if cls is T or cls in _INTERNAL:
            return orig_reduce(self, proto)
        return (_rebuild_subclass, (cls, orig_reduce(self, proto), _user_state(self)))

    def __deepcopy__(self, memo):
        cls = type(self)
        if cls is T or cls in _INTERNAL:
            return orig_deepcopy(self, memo)
        if id(self) in memo:
            return memo[id(self)]
        if getattr(cls, "new_empty", None) in (_WRAPPERS.get("new_empty"), T.new_empty):
            # NOTE: PyTorch's default refuses a subclass whose new_empty gives a plain tensor
            # (which every subclass not defining new_empty is)
            raise RuntimeError(
                "The default implementation of __deepcopy__() for non-wrapper subclasses only "
                "works for subclass types that implement new_empty() and for which that "
                "function returns another instance of the same subclass. You should either "
                "properly implement new_empty() for your subclass or override __deepcopy__() "
                "if it is intended behavior for new_empty() to return an instance of a "
                "different type.")
        import copy

        plain = _copy_as(self, T)
        new = _retype(orig_deepcopy(plain, {}), cls)
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(_user_state(self), memo))
        return new

    def __format__(self, spec):
        if type(self) is T:
            return orig_format(self, spec)
        # NOTE: as PyTorch's, only an exact Tensor formats a 0-d value as its number; a
        # subclass (Parameter too) formats as its repr
        return object.__format__(self, spec) if spec else repr(self)

    def __copy__(self):
        cls = type(self)
        if cls is T or cls in _INTERNAL:
            return orig_copy(self)
        new = _retype(orig_copy(_copy_as(self, T)), cls)  # (same memory, as PyTorch's)
        new.__dict__.update(_user_state(self))
        return new

    T.__copy__ = __copy__
    T.__format__ = __format__
    T.__new__ = __new__
    T.__init__ = __init__
    T.__repr__ = __repr__
    T.__reduce_ex__ = __reduce_ex__
    T.__deepcopy__ = __deepcopy__
    T.__torch_function__ = classmethod(default_torch_function)
    T.__init_subclass__ = classmethod(lambda cls, **kw: on_subclass(cls))
    T.as_subclass = as_subclass
    T._make_subclass = staticmethod(make_subclass)


def _user_state(t):
    """Attributes a user set on ``t`` (ember's own bookkeeping, which shares names with
    Tensor's class attributes, is left out)."""
    return {k: v for k, v in t.__dict__.items()
            if not hasattr(Tensor, k) and k != "_storage_root"}


def _rebuild_subclass(cls, reduced, state):
    fn, args = reduced[0], reduced[1]
    out = _retype(fn(*args), cls)
    out.__dict__.update(state)
    return out


# -- the public functions ------------------------------------------------------------------

def public_function(fn, name, module="torch", py=False):
    """``fn`` as the dispatching ``<module>.<name>``: plain arguments pass straight through."""
    T, plain, modes = Tensor, _PLAIN, MODES

    def public(*args, **kwargs):
        for a in args:
            t = type(a)
            if t is T or t in plain:
                continue
            if t is list or t is tuple:  # (a tensor list: ``torch.cat([x, y])``)
                for b in a:
                    t = type(b)
                    if t is not T and t not in plain:
                        return _slow(public, fn, args, kwargs, py)
                continue
            return _slow(public, fn, args, kwargs, py)
        if modes:
            return _slow(public, fn, args, kwargs, py)
        if kwargs:
            for a in kwargs.values():
                t = type(a)
                if t is not T and t not in plain:
                    return _slow(public, fn, args, kwargs, py)
            return fn(*args, **kwargs)
        return fn(*args)
    public.__name__ = public.__qualname__ = name
    public.__module__ = "ember" + module[len("torch"):]
    public.__doc__ = getattr(fn, "__doc__", None)
    public.__wrapped__ = fn
    return public


def _slow(public, fn, args, kwargs, py):
    run = fn if LAYOUT_ROUTE is None else LAYOUT_ROUTE(public, fn, args, kwargs)
    if S.quiet or (S.sub_off and (S.all_off or not MODES)):
        return run(*args, **kwargs)
    if py == "modes" and (S.all_off or not MODES):  # (its data argument is not dispatched on)
        return _quietly(run, args, kwargs)
    if py is True and (public.__module__ == "ember.nn.functional" or
                       public.__module__ == "ember" and public.__name__ in _AS_PASSED):
        func, dargs, dkwargs = _as_passed(public, fn, args, kwargs)
        r = _dispatch(func, dargs, dkwargs, py)
    elif py is True and public.__module__ == "ember" and public.__name__ in _FILLED_FUNCTIONS:
        r = _dispatch(public, *_filled(_FILLED_FUNCTIONS[public.__name__], args, kwargs), py)
    else:
        r = _dispatch(public, args, kwargs, py)
    return _quietly(run, args, kwargs) if r is _NOBODY else r


# torch.functional's functions that hand their handlers the input alone by position, every
# other argument by keyword (as nn.functional's do)
_AS_PASSED = frozenset(("norm",))
# PyTorch's Python-level functions and methods that hand their handlers these arguments by
# position and each of these options by keyword, its default filled in (``dim=0``)
_UNIQUE = (("sorted", True), ("return_inverse", False), ("return_counts", False), ("dim", None))
_FILLED_METHODS = {
    "split": (("self", "split_size"), (("dim", 0),)),
    "unique": (("self",), _UNIQUE),
    "unique_consecutive": (("self",), _UNIQUE[1:]),
    "backward": (("self",), (("gradient", None), ("retain_graph", None),
                             ("create_graph", False), ("inputs", None))),
    "__repr__": (("self",), (("tensor_contents", None),)),
    "__array__": (("self",), (("dtype", None),)),
}
_FILLED_FUNCTIONS = {
    "split": (("tensor", "split_size_or_sections"), (("dim", 0),)),
    "unique": (("input",), _UNIQUE),
    "unique_consecutive": (("input",), _UNIQUE[1:]),
}


def _filled(spec, args, kwargs):
    """``(args, kwargs)`` as ``spec`` says PyTorch hands them on (as given when they do not
    fit: the implementation gives the error)."""
    names, options = spec
    pos, rest, left = list(args[:len(names)]), args[len(names):], dict(kwargs)
    for n in names[len(pos):]:
        if n not in left:
            return args, kwargs
        pos.append(left.pop(n))
    if len(rest) > len(options):
        return args, kwargs
    kw = {}
    for i, (n, default) in enumerate(options):
        if i < len(rest):
            if n in left:
                return args, kwargs
            kw[n] = rest[i]
        else:
            kw[n] = left.pop(n, default)
    if left:
        return args, kwargs
    return tuple(pos), kw


# nn.functional's Python-level functions that hand a different function to the handlers
# when a flag is set (PyTorch's ``max_pool2d`` is ``max_pool2d_with_indices`` then)
_WITH_INDICES = frozenset((
    "max_pool1d max_pool2d max_pool3d adaptive_max_pool1d adaptive_max_pool2d "
    "adaptive_max_pool3d fractional_max_pool2d fractional_max_pool3d").split())
# parameters that PyTorch's function does not hand on
_NOT_HANDED = {"l1_loss": ("weight",)}
_SIGNATURES: dict = {}


def signature(fn):
    """``fn``'s signature (``False`` where it has none to read), cached."""
    sig = _SIGNATURES.get(fn)
    if sig is None:
        import inspect

        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            sig = False
        _SIGNATURES[fn] = sig
    return sig


def _as_passed(public, fn, args, kwargs):
    """``(func, args, kwargs)`` as PyTorch's Python-level ``nn.functional`` functions hand a
    call to ``__torch_function__``: the required parameters by position, every other one
    by keyword with its default filled in (whatever the caller's spelling)."""
    sig = signature(fn)
    if sig is False:
        return public, args, kwargs
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return public, args, kwargs  # (the implementation gives the error)
    bound.apply_defaults()
    name = public.__qualname__
    skip = _NOT_HANDED.get(name, ())
    pos, kw = [], {}
    for p in sig.parameters.values():
        v = bound.arguments.get(p.name, p.default)
        if p.kind is p.VAR_POSITIONAL:
            pos.extend(v)
        elif p.kind is p.VAR_KEYWORD:
            kw.update(v)
        elif p.default is p.empty and not kw and p.kind is not p.KEYWORD_ONLY:
            pos.append(v)
        elif p.name not in skip:
            kw[p.name] = v
    func = public
    if name in _WITH_INDICES and kw.get("return_indices"):
        func = PUBLIC["torch.nn.functional"].get(name + "_with_indices", public)
    return func, tuple(pos), kw


# torch.* functions that never dispatch (PyTorch's Python-level utilities and the C ones
# that skip the check)
_NEVER = frozenset((
    "are_deterministic_algorithms_enabled compile get_default_device "
    "get_float32_matmul_precision get_rng_state initial_seed "
    "is_deterministic_algorithms_warn_only_enabled is_storage is_tensor is_warn_always_enabled "
    "load manual_seed save seed set_default_device set_default_tensor_type "
    "set_float32_matmul_precision set_printoptions get_printoptions set_rng_state "
    "set_warn_always typename use_deterministic_algorithms get_default_dtype set_default_dtype "
    "is_grad_enabled is_inference_mode_enabled is_anomaly_enabled is_anomaly_check_nan_enabled "
    "from_numpy get_num_threads set_num_threads get_num_interop_threads "
    "set_num_interop_threads set_flush_denormal frombuffer is_autocast_enabled "
    "get_autocast_dtype get_autocast_cpu_dtype get_autocast_gpu_dtype is_autocast_cpu_enabled "
    "set_grad_enabled broadcast_shapes").split())
# torch.nn.functional functions that are C functions in PyTorch (the others are Python-level)
_C_FUNCTIONAL = frozenset((
    "adaptive_avg_pool1d avg_pool1d avg_pool2d avg_pool3d bilinear celu_ channel_shuffle conv1d "
    "conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d cosine_similarity elu_ "
    "gelu hardshrink hardtanh_ leaky_relu_ linear logsigmoid native_channel_shuffle one_hot "
    "pairwise_distance pdist pixel_shuffle pixel_unshuffle prelu relu_ rrelu_ "
    "scaled_dot_product_attention selu_ softplus softshrink threshold_").split())
_PY_FUNCTIONS = frozenset((
    "atleast_1d atleast_2d atleast_3d broadcast_tensors cartesian_prod block_diag cdist "
    "chain_matmul einsum istft lu norm meshgrid split stft tensordot unique "
    "unique_consecutive unravel_index").split())
# torch.* functions whose tensor arguments are data, not dispatched on (modes see them)
_DATA_FUNCTIONS = frozenset(("tensor", "as_tensor", "asarray", "scalar_tensor"))
PUBLIC: dict = {}  # module name -> {name: dispatching function}
# nn.functional's functions whose ``__name__`` is not their attribute name in PyTorch
_F_NAMES = {"logsigmoid": "log_sigmoid", "threshold": "_threshold"}


def install_public(namespace, module, py=False, names=None):
    """Make the public functions in ``namespace`` (a module's globals) dispatch (only
    ``names`` when given)."""
    if not PUBLIC:
        import numpy as np

        from ._device import device as Device
        from ._dtype import dtype
        from ._size import Size

        _PLAIN.update((np.ndarray, Device, dtype, Size))
    made = PUBLIC.setdefault(module, {})
    for name, fn in list(namespace.items()):
        if names is not None and name not in names:
            continue
        if name.startswith("_") or name in _NEVER or not isinstance(
                fn, (_types.FunctionType, _types.BuiltinFunctionType)):
            continue
        if getattr(fn, "_ember_dispatching", False):
            continue
        if module == "torch":
            fpy = "modes" if name in _DATA_FUNCTIONS else name in _PY_FUNCTIONS
        else:
            fpy = py and not (module == "torch.nn.functional" and name in _C_FUNCTIONAL)
        sub = module[len("torch."):]
        shown = f"{sub}_{name}" if sub in ("linalg", "fft", "special") else name
        if shown != name:  # (a C function in PyTorch: its parser's words for a bad call)
            from ._argparse import python_words

            fn = python_words(fn, name, shown)
        w = public_function(fn, shown, module, fpy)
        w.__qualname__ = name  # (what pickling looks up in the module)
        if module == "torch.nn.functional" and name in _F_NAMES:
            w.__name__ = _F_NAMES[name]  # (PyTorch's function under another name)
        w._ember_dispatching = True
        namespace[name] = made[name] = w
