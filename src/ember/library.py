"""``torch.library``: operators defined in Python, reachable as ``torch.ops.<ns>.<name>``.

The current API (PyTorch's "Custom Python Operators" tutorial)::

    @torch.library.custom_op("mylib::crop", mutates_args=())
    def crop(x: torch.Tensor, n: int) -> torch.Tensor:
        return x[:n].clone()

    @crop.register_fake
    def _(x, n):
        return x.new_empty(n, *x.shape[1:])

    crop.register_autograd(backward, setup_context=setup_context)
    torch.library.opcheck(crop, (torch.randn(4), 2))

and the older one: ``lib = Library("mylib", "DEF")``, ``lib.define("foo(Tensor x) -> Tensor")``,
``lib.impl("foo", fn, "CPU")``, ``torch.library.define`` / ``torch.library.impl``.

An operator is an ``OpOverload`` (``ember._ops_namespace``) with a schema and kernels by
dispatch key; ``_dispatch`` below plays PyTorch's dispatcher for it: it checks the arguments
against the schema, picks the kernel for the inputs' device, wraps it in autograd when a
backward formula was registered, checks what a custom op returns, and counts the changes of
the tensors it mutates in their version counters.
"""
from __future__ import annotations

import collections.abc
import functools
import inspect
import os
import sys
import types
import typing

from ._ops_namespace import (OpOverload, OpOverloadPacket, _Arg, _find, _add, _remove,
                             _Schema, _dtype_index, ops)

__all__ = ["Library", "define", "impl", "custom_op", "CustomOpDef", "register_fake",
           "register_autograd", "register_kernel", "opcheck", "infer_schema", "get_ctx",
           "triton_op", "wrap_triton", "fallthrough_kernel", "impl_abstract", "OpCheckError"]

_KINDS = ("IMPL", "DEF", "FRAGMENT")
_RESERVED = ("prim",)
# where each namespace was first defined with ``Library(ns, "DEF")`` (aten: by PyTorch itself)
_DEF_SITES: dict[str, str] = {"aten": "/__w/pytorch/pytorch/build/aten/src/ATen/"
                                      "RegisterSchema.cpp:6"}
_KERNELS: dict[tuple[str, str, str], dict] = {}  # kernels by op, also those given before define
_DEVICE_KEYS = {"cpu": "CPU", "cuda": "CUDA", "meta": "Meta", "xla": "XLA", "mps": "MPS",
                "xpu": "XPU"}
_warned_override = []


def _site(depth=2):
    """``file:line`` of the user code calling into this module (for PyTorch's messages)."""
    frame = sys._getframe(depth)
    here = os.path.dirname(__file__)
    while frame is not None and frame.f_code.co_filename.startswith(here):
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else "<unknown>"


def _split_qualname(qualname):
    ns, name = qualname.split("::")  # NOTE: PyTorch's ValueError for a name without ``::``
    name, _, overload = name.partition(".")
    return ns, name, overload or "default"


def _kernels_of(ns, name, overload):
    return _KERNELS.setdefault((ns, name, overload or "default"), {})


def _set_kernel(ns, name, overload, key, fn):
    kernels = _kernels_of(ns, name, overload)
    if key in kernels and not _warned_override:
        from ._warnings import warn
        _warned_override.append(True)
        ov = _find(ns, name, overload)
        warn("Warning only once for all operators,  other operators may also be overridden.\n"
             "  Overriding a previously registered kernel for the same operator and the same "
             f"dispatch key\n  operator: {ov._schema if ov else f'{ns}::{name}'}\n"
             f"  dispatch key: {key}", UserWarning, stacklevel=3)
    kernels[key] = fn


# -- the older API: Library, define, impl ---------------------------------------------------

class Library:
    """A handle for defining (``"DEF"``, ``"FRAGMENT"``) or implementing (``"IMPL"``)
    operators of namespace ``ns``.

    >>> lib = Library("mylib", "FRAGMENT")
    >>> lib.define("twice(Tensor x) -> Tensor")
    'twice'
    >>> lib.impl("twice", lambda x: x * 2, "CompositeImplicitAutograd")
    """

    def __init__(self, ns, kind, dispatch_key=""):
        if kind not in _KINDS:
            raise ValueError(f"Unsupported kind: {kind}")
        if ns in _RESERVED and kind in ("DEF", "FRAGMENT"):
            raise ValueError(f"{ns} is a reserved namespace. Please try creating a library "
                             "with another name.")
        if kind == "DEF":
            if ns in _DEF_SITES:
                raise RuntimeError(
                    f"Only a single TORCH_LIBRARY can be used to register the namespace {ns}; "
                    "please put all of your definitions in a single TORCH_LIBRARY block.  If "
                    "you were trying to specify implementations, consider using "
                    "TORCH_LIBRARY_IMPL (which can be duplicated).  If you really intended to "
                    "define operators for a single namespace in a distributed way, you can use "
                    "TORCH_LIBRARY_FRAGMENT to explicitly indicate this.  Previous registration "
                    f"of TORCH_LIBRARY was registered at {_DEF_SITES[ns]}; latest registration "
                    f"was registered at {_site()}")
            _DEF_SITES[ns] = _site()
        self.ns, self.kind, self.dispatch_key = ns, kind, dispatch_key
        self._op_defs = set()
        self._op_impls = []  # (kernels dict, key, fn) it registered
        self._owns_def = kind == "DEF"

    def __repr__(self):
        return f"Library(kind={self.kind}, ns={self.ns}, dispatch_key={self.dispatch_key})>"

    def define(self, schema, alias_analysis="", *, tags=()):
        """Define an operator from a schema string, ``"foo(Tensor x, int n=2) -> Tensor"``;
        returns its name."""
        if alias_analysis not in ("", "FROM_SCHEMA", "CONSERVATIVE"):
            raise RuntimeError(f"Invalid alias_analysis type {alias_analysis}")
        parsed = _Schema.parse(self.ns, schema)
        _define(parsed, _site())
        self._op_defs.add(parsed.qualname + "." + (parsed.overload_name or "default"))
        return parsed.name

    def impl(self, op_name, fn, dispatch_key="", *, with_keyset=False, allow_override=False):
        """Register ``fn`` as the kernel of ``op_name`` for ``dispatch_key`` (``"CPU"``,
        ``"CUDA"``, ``"Meta"``, ``"Autograd"``, ``"CompositeImplicitAutograd"``...)."""
        if not callable(fn):
            raise TypeError(f"Input function is required to be a callable but found type "
                            f"{type(fn)}")
        if isinstance(op_name, (OpOverload, OpOverloadPacket)):
            op_name = op_name.name() if isinstance(op_name, OpOverload) else \
                op_name._qualified_op_name
        if "::" in op_name:
            ns, name, overload = _split_qualname(op_name)
        else:
            ns = self.ns
            name, _, overload = op_name.partition(".")
        key = dispatch_key or self.dispatch_key or "CompositeImplicitAutograd"
        if ns == "aten":
            from ._unsupported import Unsupported
            raise Unsupported(f"torch.library.Library('aten', ...).impl({op_name!r}): ember's "
                              "built-in operators are Python functions, not dispatcher entries; "
                              "they cannot be overridden per dispatch key")
        if with_keyset:
            fn = functools.partial(fn, None)
        ov = _find(ns, name, overload)
        if ov is not None and ov._custom is not None and key.lower() in _DEVICE_KEYS:
            ov._custom._kernels[key.lower()] = fn
            return
        _set_kernel(ns, name, overload, key, fn)
        self._op_impls.append((_kernels_of(ns, name, overload), key, fn))

    def fallback(self, fn, dispatch_key="", *, with_keyset=False):
        from ._unsupported import Unsupported
        raise Unsupported("torch.library.Library.fallback: ember has no dispatcher keys to "
                          "fall back on")

    def _destroy(self):
        for qual in self._op_defs:
            ns, name, overload = _split_qualname(qual)
            ov = _find(ns, name, overload)
            if ov is not None:
                _remove(ov)
        self._op_defs.clear()
        for kernels, key, fn in self._op_impls:
            if kernels.get(key) is fn:
                del kernels[key]
        self._op_impls.clear()
        if self._owns_def:
            _DEF_SITES.pop(self.ns, None)
            self._owns_def = False

    def __del__(self):
        # NOTE: as PyTorch, what a library registered goes away with it
        try:
            self._destroy()
        except Exception:  # noqa: BLE001 - at interpreter exit the registry may be gone
            pass


def _define(parsed, where):
    old = _find(parsed.namespace, parsed.name, parsed.overload_name)
    if old is not None:
        raise RuntimeError(
            f"Tried to register an operator ({parsed}) with the same name and overload name "
            "multiple times. Each overload's schema should only be registered with a single "
            f"call to def(). Duplicate registration: registered at {where}. Original "
            f"registration: registered at {old._where}")
    ov = _add(parsed, where)
    ov._kernels = _kernels_of(parsed.namespace, parsed.name, parsed.overload_name)
    return ov


_lib = None  # the library ``define``/``impl`` use when given none


def define(qualname, schema, *, lib=None, tags=()):
    """Define operator ``qualname`` (``"mylib::foo"``) with ``schema``
    (``"(Tensor x) -> Tensor"``)."""
    if not isinstance(qualname, str):
        raise ValueError(f"define(qualname, schema): expected qualname to be instance of str, "
                         f"got {type(qualname)}")
    ns, name = qualname.split("::")
    parsed = _Schema.parse(ns, name + schema)
    _define(parsed, _site())


def _key_of(kind):
    return _DEVICE_KEYS.get(kind, kind)


def impl(qualname, types, func=None, *, lib=None):
    """Register ``func`` for operator ``qualname`` on device types or dispatch keys ``types``
    (``"cpu"``, ``("cpu", "cuda")``, ``"CompositeImplicitAutograd"``); without ``func``, a
    decorator. ``impl(lib, name, dispatch_key)`` is the older decorator form."""
    if isinstance(qualname, Library):
        library, name, key = qualname, types, func or ""

        def register(fn):
            library.impl(name, fn, key)
            return fn
        return register
    kinds = (types,) if isinstance(types, str) else tuple(types)

    def register_(fn):
        ns, name, overload = _split_qualname(qualname)
        ov = _find(ns, name, overload)
        for kind in kinds:
            if ov is not None and ov._custom is not None and kind in _DEVICE_KEYS:
                ov._custom._kernels[kind] = fn
            else:
                _set_kernel(ns, name, overload, _key_of(kind), fn)
        return fn

    if func is None:
        return register_
    register_(func)
    return None


def fallthrough_kernel():
    """A dummy kernel marking a dispatch key to be skipped (``lib.impl(name,
    fallthrough_kernel, key)``)."""
    raise NotImplementedError("fallthrough_kernel() should never be called.")


# -- custom_op ------------------------------------------------------------------------------

def _schema_type(ann):
    """The schema type for a parameter annotation, or ``None`` when it has none."""
    from ._device import device
    from ._dtype import dtype
    from ._tensor import Tensor

    simple = {Tensor: "Tensor", int: "SymInt", float: "float", bool: "bool", str: "str",
              dtype: "ScalarType", device: "Device"}
    if isinstance(ann, type) and ann in simple:
        return simple[ann]
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        optional = len(rest) < len(args)
        if set(rest) == {int, float, bool} and len(rest) == 3:
            return "Scalar?" if optional else "Scalar"
        if optional and len(rest) == 1:
            inner = _schema_type(rest[0])
            if inner is None or inner.endswith("?") or inner == "Tensor[]" or \
                    inner.endswith("?[]"):
                return None
            return inner + "?"
        return None
    if origin in (list, collections.abc.Sequence) and len(args) == 1:
        inner = args[0]
        if typing.get_origin(inner) in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(inner) if a is not type(None)]
            if rest == [Tensor] and len(typing.get_args(inner)) == 2:
                return "Tensor?[]"
            if set(rest) == {int, float, bool} and len(rest) == 3:
                return "Scalar[]"
            return None
        base = {Tensor: "Tensor", int: "SymInt", float: "float", bool: "bool"}.get(inner)
        return None if base is None else base + "[]"
    return None


def _return_type(ann):
    from ._tensor import Tensor
    if ann is None or ann is type(None):
        return "()"
    if typing.get_origin(ann) is tuple:
        parts = [_return_type(a) for a in typing.get_args(ann)]
        if any(p is None or p.startswith("(") for p in parts):
            return None
        return "(" + ", ".join(parts) + ")"
    if ann is Tensor:
        return "Tensor"
    if typing.get_origin(ann) in (list, collections.abc.Sequence) and \
            typing.get_args(ann) == (Tensor,):
        return "Tensor[]"
    return {int: "SymInt", float: "float", bool: "bool"}.get(ann)


def infer_schema(prototype_function, /, *, mutates_args, op_name=None):
    """The schema of a type-annotated function: ``"(Tensor x, SymInt n) -> Tensor"`` (with
    ``op_name`` in front when given)."""
    from ._device import device

    sig = inspect.signature(prototype_function)

    def error(what):
        shown = str(sig)
        for mod, cls in (("_tensor", "Tensor"), ("_dtype", "dtype"), ("_device", "device")):
            shown = shown.replace(f"ember.{mod}.{cls}", f"torch.{cls}")
        raise ValueError(f"infer_schema(func): {what} Got func with signature {shown})")

    unknown = isinstance(mutates_args, str)
    if unknown and mutates_args != "unknown":
        raise ValueError("mutates_args must either be a sequence of the names of the arguments "
                         "that are mutated or the string 'unknown'. ")
    hints = _annotations(prototype_function)
    params, mutated = [], []
    names = set()
    for name, p in sig.parameters.items():
        if p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL, p.VAR_KEYWORD):
            error("We do not support positional-only args, varargs, or varkwargs.")
        if p.annotation is p.empty:
            error(f"Parameter {name} must have a type annotation.")
        ann = hints.get(name, p.annotation)
        stype = _schema_type(ann)
        if stype is None:
            error(f"Parameter {name} has unsupported type {ann}. The valid types are: "
                  f"{_VALID_TYPES}.")
        names.add(name)
        if not unknown and name in mutates_args and not stype.startswith("Tensor"):
            error(f"Parameter {name} is in mutable_args but only Tensors or collections of "
                  "Tensors can be mutated")
        arg = _Arg(name, stype, kwarg_only=p.kind == p.KEYWORD_ONLY)
        # NOTE: as PyTorch, "unknown" marks every tensor argument as mutated
        if stype.startswith("Tensor") if unknown else name in mutates_args:
            arg.alias, arg.mutable = f"a{len(mutated)}", True
            mutated.append(name)
        if p.default is not p.empty:
            d = p.default
            arg.has_default, arg.default = True, d
            if isinstance(d, float):
                arg.text = repr(d)
            elif isinstance(d, device):
                arg.text = f'"{d}"'
            elif d is not None and not isinstance(d, (int, bool, str)):
                if _dtype_index(d) is None:
                    error(f"Parameter {name} has an unsupported default value type {type(d)}. "
                          "Please file an issue on GitHub so we can prioritize this.")
                arg.text = str(d).replace("torch.", "")
        params.append(arg)
    if not unknown:
        missing = set(mutates_args) - names
        if missing:
            error(f"{missing} in mutates_args were not found in the custom op's signature. "
                  "mutates_args should contain the names of all args that the custom op "
                  "mutates, or just the string 'unknown' if you don't know.")
    if sig.return_annotation is sig.empty:
        error("No return type annotation was provided. Please add one.")
    ret_ann = hints.get("return", sig.return_annotation)
    ret = _return_type(ret_ann)
    if ret is None:
        error(f"Return has unsupported type {ret_ann}. The valid types are: "
              f"{_VALID_RETURNS}.")
    schema = _Schema("", op_name or "", "", params, _parse_returns(ret))
    text = str(schema)
    return text[text.index("("):] if op_name is None else text[text.index(op_name):]


def _parse_returns(ret):
    from ._ops_namespace import _parse_args
    if ret.startswith("("):
        return _parse_args(ret[1:-1], ret)
    return _parse_args(ret, ret)


def _annotations(fn):
    try:
        return typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable string annotations: use them as written
        return {}


_VALID_TYPES = ("Tensor, Optional[Tensor], Sequence[Tensor], Sequence[Optional[Tensor]], int, "
                "Optional[int], Sequence[int], Optional[Sequence[int]], float, Optional[float], "
                "Sequence[float], Optional[Sequence[float]], bool, Optional[bool], "
                "Sequence[bool], Optional[Sequence[bool]], str, Optional[str], "
                "Union[int, float, bool], "
                "Optional[Union[int, float, bool]], Sequence[Union[int, float, bool]], "
                "torch.dtype, Optional[torch.dtype], torch.device, Optional[torch.device]")
_VALID_RETURNS = "Tensor, List[Tensor], int, float, bool, None, Tuple[...]"


class CustomOpDef:
    """What ``@custom_op`` makes of a function: called like it, reachable as
    ``torch.ops.<ns>.<name>``, with ``register_fake``, ``register_kernel`` and
    ``register_autograd``."""

    def __init__(self, namespace, name, schema, fn, device_types=None):
        self._namespace, self._name = namespace, name
        self._init_fn = fn
        self._device_types = device_types
        self._kernels = {}  # device type -> kernel (``register_kernel``)
        parsed = _Schema.parse(namespace, name + schema)
        old = _find(namespace, name, "default")
        if old is not None:
            if old._custom is None:
                _define(parsed, _site())  # raises PyTorch's duplicate-registration error
            _remove(old)  # NOTE: as PyTorch, a new custom_op of the same name replaces it
        self._own_ov = _define(parsed, _site())
        self._own_ov._custom = self
        self._schema = parsed
        functools.update_wrapper(self, fn, updated=())

    @property
    def _qualname(self):
        return f"{self._namespace}::{self._name}"

    @property
    def _opoverload(self):
        # NOTE: as PyTorch, the op goes by name: a later custom_op of the same name wins
        return _find(self._namespace, self._name, "default") or self._own_ov

    def __repr__(self):
        return f"<CustomOpDef({self._qualname})>"

    def __call__(self, *args, **kwargs):
        return self._opoverload(*args, **kwargs)

    def register_fake(self, fn, /):
        """``fn`` computes the output's shape and dtype from the inputs' (run on ``meta``
        tensors); used by ``opcheck`` and by calls with ``meta`` tensors."""
        self._opoverload._fake = fn
        return fn

    def register_kernel(self, device_types, fn=None, /):
        """Use ``fn`` for inputs on ``device_types`` (``"cpu"``, ``"cuda"``)."""
        kinds = (device_types,) if isinstance(device_types, str) or device_types is None \
            else tuple(device_types)

        def inner(f):
            for kind in kinds:
                self._kernels[kind] = f
            return f
        return inner if fn is None else inner(fn)

    def register_autograd(self, backward, /, *, setup_context=None):
        """``backward(ctx, *grads)`` returns one gradient per input of the op;
        ``setup_context(ctx, inputs, output)`` saves what it needs."""
        register_autograd(self, backward, setup_context=setup_context)

    def register_torch_dispatch(self, torch_dispatch_class, fn=None, /):
        from ._unsupported import Unsupported
        raise Unsupported("CustomOpDef.register_torch_dispatch: ember has no dispatch modes")

    def register_vmap(self, func=None, /):
        from ._unsupported import Unsupported
        raise Unsupported("CustomOpDef.register_vmap: ember's vmap runs the op per sample")


def custom_op(name, fn=None, /, *, mutates_args, device_types=None, schema=None, tags=None):
    """Make a type-annotated function a custom operator ``name`` (``"mylib::op"``).

    ``mutates_args`` names the arguments it changes in place (``()`` for none, or
    ``"unknown"``); ``device_types`` limits the devices it runs on.
    """
    def inner(f):
        ns, opname = name.split("::")  # NOTE: PyTorch's ValueError for a name without ``::``
        text = schema if schema is not None else infer_schema(f, mutates_args=mutates_args)
        kinds = None if device_types is None else (
            (device_types,) if isinstance(device_types, str) else tuple(device_types))
        return CustomOpDef(ns, opname, text, f, kinds)

    return inner if fn is None else inner(fn)


def triton_op(name, fn=None, /, *, mutates_args, schema=None):
    """A custom op whose body launches Triton kernels (through ``wrap_triton``); ember runs
    its body as a plain custom op."""
    return custom_op(name, fn, mutates_args=mutates_args, schema=schema)


def wrap_triton(triton_kernel, /):
    raise RuntimeError("wrap_triton only works on functions annotated with triton.jit or "
                       "triton.autotune; ember has no Triton (it runs on NumPy and CuPy)")


# -- registering fake, autograd and device kernels by name ----------------------------------

def _overload(op, what):
    if isinstance(op, CustomOpDef):
        return op._opoverload
    if isinstance(op, OpOverload):
        return op
    if isinstance(op, OpOverloadPacket):
        return op._overloads.get("default") or next(iter(op._overloads.values()))
    ns, name, overload = _split_qualname(op)
    ov = _find(ns, name, overload)
    if ov is None:
        if what == "autograd":
            getattr(getattr(ops, ns), name)  # PyTorch's AttributeError
        raise RuntimeError(f"operator {op} does not exist")
    return ov


def register_fake(op, func=None, /, *, lib=None, _stacklevel=1, allow_override=False):
    """Register the fake (``meta``) implementation of ``op``; a decorator without ``func``."""
    def register(fn):
        _overload(op, "fake")._fake = fn
        return fn
    return register if func is None else register(func)


impl_abstract = register_fake


def register_autograd(op, backward, /, *, setup_context=None, lib=None):
    """Register ``backward`` (and ``setup_context``) for operator ``op``."""
    ov = _overload(op, "autograd")
    if any(a.mutable for a in ov._schema.arguments):
        who = repr(ov._custom) if ov._custom is not None else ov.name()
        raise RuntimeError(f"Cannot register autograd formula for non-functional operator "
                           f"{who} with schema {ov._schema}. Please create a functional "
                           "operator and register an autograd formula for that.")
    ov._backward, ov._setup_context = backward, setup_context


def register_kernel(op, device_types, func=None, /, *, lib=None):
    """Register ``func`` as ``op``'s kernel for ``device_types``; a decorator without it."""
    ov = _overload(op, "kernel")
    if ov._custom is not None:
        return ov._custom.register_kernel(device_types, func)
    kinds = (device_types,) if isinstance(device_types, str) else tuple(device_types)

    def register(fn):
        for kind in kinds:
            name = ov._packet
            _set_kernel(name._ns, name._name, ov._overloadname, _key_of(kind), fn)
        return fn
    return register if func is None else register(func)


class _FakeContext:
    """What ``get_ctx()`` returns inside a fake implementation."""

    def new_dynamic_size(self, *, min=0, max=None):
        ov, fake = _IN_FAKE[-1]
        if not _OPCHECK:
            code = getattr(fake, "__code__", None)
            where = f"{code.co_filename}:{code.co_firstlineno}" if code else "?"
            raise RuntimeError(
                f"{ov._packet._qualified_op_name} ({where}): You're trying to run this operator "
                "with meta Tensors (as opposed to FakeTensors), but this operator may return an "
                "output Tensor with data-dependent shape. Meta Tensors don't support operators "
                "with outputs that have data-dependent shapes but FakeTensors do. If your "
                "operator does not return an output with data-dependent shape, make sure the "
                "FakeTensor and/or meta kernel does not call torch.library.get_ctx(). "
                "Otherwise, please use FakeTensors.")
        _DYNAMIC.append(True)
        return min if max is None else max

    new_unbacked_symint = new_dynamic_size


_DYNAMIC: list = []


_IN_FAKE: list = []  # (operator, fake function) of the fake implementations running
_OPCHECK: list = []  # set while opcheck runs fakes (PyTorch runs them on FakeTensors)


def get_ctx():
    """The context of the fake implementation being run (``ctx.new_dynamic_size()``);
    ``None`` outside one."""
    return _FakeContext() if _IN_FAKE else None


# -- the dispatcher -------------------------------------------------------------------------

def _tensors(values):
    from ._tensor import Tensor
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from (t for t in v if isinstance(t, Tensor))


def _call_args(schema, values):
    args, kwargs = [], {}
    for a, v in zip(schema.arguments, values):
        if a.kwarg_only:
            kwargs[a.name] = v
        else:
            args.append(v)
    return args, kwargs


def _could_not_run(ov, key):
    return NotImplementedError(
        f"Could not run '{ov.name()}' with arguments from the '{key}' backend. This could be "
        "because the operator doesn't exist for this backend, or was omitted during the "
        "selective/custom build process (if using custom build). "
        f"'{ov.name()}' is only available for these backends: "
        f"[{', '.join(sorted(ov._kernels)) or 'Meta'}].")


def _no_meta(ov):
    return NotImplementedError(
        f"{ov.name()}: attempted to run this operator with Meta tensors, but there was no fake "
        "impl or Meta kernel registered. You may have run into this message while using an "
        "operator with PT2 compilation APIs (torch.compile/torch.export); in order to use this "
        "operator with those APIs you'll need to add a fake impl.")


def _dispatch(ov, args, kwargs):
    schema = ov._schema
    values = schema.bind(args, kwargs)
    device = next((t.device.type for t in _tensors(values)), "cpu")
    key = _DEVICE_KEYS.get(device, device.upper())
    kernels = ov._kernels
    if device == "meta":
        fn = kernels.get("Meta") or ov._fake or kernels.get("CompositeImplicitAutograd")
        if fn is None:
            raise _no_meta(ov)
        a, k = _call_args(schema, values)
        _IN_FAKE.append((ov, fn))
        try:
            return fn(*a, **k)
        finally:
            _IN_FAKE.pop()
    if ov._custom is not None:
        custom = ov._custom
        fn = custom._kernels.get(device)
        if fn is None and (custom._device_types is None or device in custom._device_types):
            fn = custom._init_fn
        if fn is None:
            raise _could_not_run(ov, key)
        return _run_with_autograd(ov, fn, values, custom=True)
    fn = kernels.get("Autograd" + key) or kernels.get("Autograd")
    if fn is not None:
        a, k = _call_args(schema, values)
        return fn(*a, **k)
    fn = kernels.get(key) or kernels.get("CompositeExplicitAutograd")
    if fn is None:
        fn = kernels.get("CompositeImplicitAutograd")
        if fn is None:
            raise _could_not_run(ov, key)
        a, k = _call_args(schema, values)
        return fn(*a, **k)
    if ov._backward is not None:
        return _run_with_autograd(ov, fn, values, custom=False)
    a, k = _call_args(schema, values)
    # NOTE: a backend kernel with no autograd formula: PyTorch's fallback lets the history
    # its own tensor ops record stand (with a warning on backward); ember records it too
    return fn(*a, **k)


def _same_storage(a, b):
    def root(arr):
        while getattr(arr, "base", None) is not None:
            arr = arr.base
        return arr
    return a is b or root(a._data) is root(b._data)


def _run_kernel(ov, fn, values, custom):
    """Run ``fn`` on ``values``; for a custom op, check what it returns and count the changes
    of the tensors it mutates."""
    from ._tensor import Tensor

    schema = ov._schema
    a, k = _call_args(schema, values)
    out = fn(*a, **k)
    if not custom:
        return out
    rets = schema.returns
    flat_out = []
    if len(rets) == 1 and rets[0].type == "Tensor":
        if not isinstance(out, Tensor):
            raise RuntimeError(f"Unable to cast {out!r} to Tensor")
        flat_out = [out]
    elif len(rets) == 1 and rets[0].type == "Tensor[]":
        flat_out = [t for t in out if isinstance(t, Tensor)]
    elif len(rets) > 1:
        if not isinstance(out, (tuple, list)) or len(out) != len(rets):
            raise RuntimeError(f"{ov.name()}: expected the function to return a tuple of "
                               f"{len(rets)} values but it returned {out!r}")
        flat_out = [t for t in out if isinstance(t, Tensor)]
    inputs = list(_tensors(values))
    for i, o in enumerate(flat_out):
        if any(_same_storage(o, t) for t in inputs) or \
                any(_same_storage(o, p) for p in flat_out[:i]):
            module = inspect.getmodule(ov._custom._init_fn)
            raise RuntimeError(
                f"{ov._packet._name} (with implementation in {module}): The output of this "
                "custom operator (1) must not also be an input to this custom operator and (2) "
                "may not alias any inputs to this custom operator or other returns. The most "
                "common way to trigger this error is if we have y = custom_op(x) and y and x "
                "are the same Tensor. Please instead return a clone of the offending output "
                "tensor(s) (e.g. return x.clone()) or refactor the custom operator to not "
                "return y.")
    for arg, v in zip(schema.arguments, values):
        if arg.mutable:  # NOTE: as PyTorch, a declared mutation counts once more
            for t in _tensors([v]):
                t._vc.v += 1
    return out


_GENERATED: dict = {}


def _function_class(ov):
    """The ``autograd.Function`` of an operator: ``GeneratedBackwardFor_<ns>_<name>_<ov>``
    (PyTorch's name for it, shown in ``grad_fn``)."""
    from .autograd.function import Function

    cls = _GENERATED.get(id(ov))
    if cls is not None and cls._ov is ov:
        return cls
    pk = ov._packet
    name = f"GeneratedBackwardFor_{pk._ns}_{pk._name}_{ov._overloadname}"

    def forward(spec, *flat):
        return spec.forward()

    def setup_context(ctx, inputs, output):
        spec = inputs[0]
        ctx._spec = spec
        if spec.ov._setup_context is not None:
            spec.ov._setup_context(ctx, tuple(spec.values), output)

    def backward(ctx, *grads):
        return ctx._spec.backward(ctx, grads)

    cls = type(name, (Function,), {"forward": staticmethod(forward),
                                   "setup_context": staticmethod(setup_context),
                                   "backward": staticmethod(backward), "_ov": ov,
                                   "__module__": "torch.autograd.function"})
    _GENERATED[id(ov)] = cls
    return cls


class _Call:
    """One call of an operator through its autograd Function: the argument values, and how
    the flat list of input tensors maps back onto them."""

    def __init__(self, ov, fn, values, custom):
        self.ov, self.fn, self.values, self.custom = ov, fn, values, custom
        self.list_out = False

    def forward(self):
        out = _run_kernel(self.ov, self.fn, self.values, self.custom)
        if isinstance(out, list):
            self.list_out = True
            return tuple(out)
        return out

    def backward(self, ctx, grads):
        from ._tensor import Tensor

        ov = self.ov
        node = type(ctx).__name__
        if ov._backward is None:
            raise RuntimeError(f"Trying to backward through {ov._packet}.{ov._overloadname} "
                               "but no autograd formula was registered. Please use "
                               "register_autograd to add one.")
        ctx.needs_input_grad = tuple(
            any(t.requires_grad for t in _tensors([v])) for v in self.values)
        out = ov._backward(ctx, *grads)
        if not isinstance(out, (tuple, list)) or len(self.values) == 1 and \
                isinstance(out, list) and ov._schema.arguments[0].type != "Tensor[]":
            out = (out,)
        out = tuple(out)
        n = len(self.values)
        for i, g in enumerate(out[n:], n):
            if g is not None:
                raise RuntimeError(f"function {node} returned a gradient different than None "
                                   f"at position {i + 1}, but the corresponding forward input "
                                   "was not a Variable")
        out = out[:n]
        if len(out) != n:
            raise RuntimeError(f"function {node} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(out)})")
        flat = [None]
        for i, (v, g) in enumerate(zip(self.values, out)):
            if isinstance(v, Tensor):
                flat.append(g)
            elif isinstance(v, (list, tuple)) and any(isinstance(t, Tensor) for t in v):
                gs = list(g) if g is not None else [None] * len(v)
                flat.extend(gg for t, gg in zip(v, gs) if isinstance(t, Tensor))
            elif g is not None:
                raise RuntimeError(f"function {node} returned a gradient different than None "
                                   f"at position {i + 1}, but the corresponding forward input "
                                   "was not a Variable")
        return tuple(flat)


def _run_with_autograd(ov, fn, values, custom):
    from .autograd.grad_mode import STATE

    flat = list(_tensors(values))
    if not (STATE.enabled and any(t.requires_grad for t in flat)):
        if custom:
            from .autograd import no_grad
            with no_grad():
                return _run_kernel(ov, fn, values, custom)
        return _run_kernel(ov, fn, values, custom)
    call = _Call(ov, fn, values, custom)
    out = _function_class(ov).apply(call, *flat)
    return list(out) if call.list_out else out


# -- opcheck --------------------------------------------------------------------------------

class OpCheckError(Exception):
    """A check of ``opcheck`` failed."""


_ALL_TESTS = ("test_schema", "test_autograd_registration", "test_faketensor",
              "test_aot_dispatch_static", "test_aot_dispatch_dynamic")
_DEFAULT_TESTS = ("test_schema", "test_autograd_registration", "test_faketensor",
                  "test_aot_dispatch_dynamic")


def _clone(v, device=None):
    from ._tensor import Tensor
    if isinstance(v, Tensor):
        t = v.detach().clone() if device is None else v.detach().to(device)
        return t.requires_grad_(v.requires_grad) if t.is_floating_point() or \
            t.is_complex() else t
    if isinstance(v, (list, tuple)):
        return type(v)(_clone(x, device) for x in v)
    return v


def _flat_outputs(out):
    from ._tensor import Tensor
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flat_outputs(o)]
    return []


def _fake_of(ov):
    if ov._fake is not None or "Meta" in ov._kernels or \
            "CompositeImplicitAutograd" in ov._kernels:
        return True
    if ov._custom is None:  # NOTE: PyTorch's message for such an op is just its name
        return NotImplementedError(str(ov))
    who = repr(ov._custom)
    short = ov._packet._name
    return RuntimeError(f"There was no fake impl registered for {who}. This is necessary for "
                        "torch.compile/export/fx tracing to work. Please use "
                        f"`{short}.register_fake` to add an fake impl.")


def _check_schema(ov, args, kwargs):
    import ember
    from ._tensor import Tensor

    args, kwargs = _clone(list(args)), {k: _clone(v) for k, v in kwargs.items()}
    before = [_clone(a) for a in args]
    ov(*args, **kwargs)
    if ov._schema is None:
        return
    for arg, old, new in zip(ov._schema.arguments, before, args):
        if arg.mutable:
            continue
        olds, news = _flat_outputs(old), _flat_outputs(new)
        for o, n in zip(olds, news):
            if isinstance(n, Tensor) and not ember.equal(o.detach(), n.detach()) and not \
                    (o.is_floating_point() and bool(ember.isnan(o).any())):
                raise RuntimeError(f"Argument {arg.name} is not defined as mutable but was "
                                   "mutated")


def _check_autograd_registration(ov, args, kwargs):
    if not any(t.requires_grad for t in _tensors(list(args) + list(kwargs.values()))):
        return
    if ov._schema is None or ov._custom is not None or ov._backward is not None:
        return
    keys = set(ov._kernels)
    if keys & {"Autograd", "AutogradCPU", "AutogradCUDA", "CompositeImplicitAutograd"}:
        return
    raise AssertionError(
        f"{ov.name()}: at least one output of this operator has requires_grad=True but the "
        "operator does not have an autograd kernel defined at an autograd key (e.g. "
        "DispatchKey::Autograd). This could mean that you have incorrectly registered an "
        "autograd kernel to a non-Autograd DispatchKey, which may lead to silently incorrect "
        "results. If your operator consists of regular PyTorch operations, consider not using "
        "an operator at all or registering your operator as CompositeImplicitAutograd. If you "
        "have an autograd.Function registered to a backend (CPU/CUDA/XPU) key, the correct "
        "location for it is the Autograd key.")


def _check_fake(ov, args, kwargs, backward=False):
    fake = _fake_of(ov)
    if fake is not True:
        raise fake
    real = ov(*_clone(list(args)), **{k: _clone(v) for k, v in kwargs.items()})
    del _DYNAMIC[:]
    _OPCHECK.append(True)
    try:
        meta = ov(*_clone(list(args), "meta"),
                  **{k: _clone(v, "meta") for k, v in kwargs.items()})
    finally:
        _OPCHECK.pop()
    dynamic = bool(_DYNAMIC)
    reals, metas = _flat_outputs(real), _flat_outputs(meta)
    where = f"When comparing the output of {ov} on FakeTensor and concrete Tensors, found"
    if len(reals) != len(metas):
        raise RuntimeError(f"{where} a different number of outputs: {len(reals)} and "
                           f"{len(metas)}")
    for r, m in zip(reals, metas):
        if r.dim() != m.dim() or (not dynamic and r.shape != m.shape):
            raise RuntimeError(f"{where} mismatched tensor metadata: Shapes {r.shape} and "
                               f"{m.shape} are not equal!")
        if r.dtype != m.dtype:
            raise RuntimeError(f"{where} mismatched tensor metadata: Dtypes {r.dtype} and "
                               f"{m.dtype} are not equal!")
        if not dynamic:  # the strides that matter: those of dimensions longer than one
            for i in range(r.dim()):
                if r.shape[i] > 1 and r.stride(i) != m.stride(i):
                    raise RuntimeError(f"{where} mismatched tensor metadata: Stride mismatch! "
                                       f"Strides are {r.stride()} and {m.stride()} "
                                       f"(mismatched at {i})!")
    if backward:
        import ember
        ins = [_clone(a) for a in args]
        out = _flat_outputs(ov(*ins, **kwargs))
        outs = [o for o in out if o.requires_grad]
        leaves = [t for t in _tensors(ins) if t.requires_grad]
        if outs and leaves:
            ember.autograd.grad(outs, leaves, [ember.ones_like(o) for o in outs],
                                allow_unused=True)


def opcheck(op, args, kwargs=None, *, test_utils=_DEFAULT_TESTS, raise_exception=True,
            atol=None, rtol=None):
    """Check that operator ``op`` is registered right, by running it on ``args``: its schema
    (no undeclared mutation), its autograd registration, its fake implementation against
    the real one (shapes, dtypes), and a backward pass. Returns ``{test: "SUCCESS" | error}``.
    """
    kwargs = {} if kwargs is None else kwargs
    if isinstance(op, CustomOpDef):
        op = op._opoverload
    if not isinstance(op, OpOverload):
        raise ValueError("opcheck(op, ...): op must be instance of torch._ops.OpOverload, e.g. "
                         f"torch.ops.aten.sin.default, got {type(op)}")
    if isinstance(test_utils, str):
        test_utils = (test_utils,)
    if not set(test_utils) <= set(_ALL_TESTS):
        raise ValueError(f"opcheck(op, ..., test_utils={test_utils}), expected test_utils to "
                         f"be subset of {_ALL_TESTS} but it was not")
    checks = {
        "test_schema": lambda: _check_schema(op, args, kwargs),
        "test_autograd_registration": lambda: _check_autograd_registration(op, args, kwargs),
        "test_faketensor": lambda: op._fn is None and _check_fake(op, args, kwargs),
        "test_aot_dispatch_static": lambda: op._fn is None and _check_fake(op, args, kwargs,
                                                                           True),
        "test_aot_dispatch_dynamic": lambda: op._fn is None and _check_fake(op, args, kwargs,
                                                                            True),
    }
    results = {}
    for name in test_utils:
        try:
            checks[name]()
        except Exception as e:  # noqa: BLE001 - each failure is reported, as PyTorch's
            if raise_exception:
                raise OpCheckError(f"opcheck(op, ...): {name} failed with {e} (scroll up for "
                                   "stack trace)") from e
            results[name] = e
        else:
            results[name] = "SUCCESS"
    return results


from ._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.library")
