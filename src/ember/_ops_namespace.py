"""``torch.ops``: operators by namespace, ``torch.ops.<ns>.<name>.<overload>``.

Two kinds of operator live here:

- ``aten``: PyTorch's built-in operators, for the common ones users call directly
  (``torch.ops.aten.add.Tensor(a, b)``, ``torch.ops.aten.relu.default(x)``). Each maps onto the
  ember function (or tensor method) of the same name; ``_ATEN`` lists which names and
  overloads PyTorch has for them, so an unknown name fails as it does in PyTorch.
- operators defined from Python with ``ember.library`` (``custom_op``, ``Library.define``):
  each overload has a parsed schema (``_Schema``), which checks the arguments of a call the way
  PyTorch's dispatcher does, and the kernels ``ember.library`` registered for it.

>>> import ember
>>> ember.ops.aten.add.Tensor(ember.ones(2), ember.ones(2))
tensor([2., 2.])
"""
from __future__ import annotations

import os
import re
import types

__all__ = ["OpOverload", "OpOverloadPacket", "ops"]


# -- schemas --------------------------------------------------------------------------------

class _Arg:
    """One argument (or return) of a schema: ``Tensor(a!)? name=default``."""

    __slots__ = ("name", "type", "default", "has_default", "kwarg_only", "mutable", "alias",
                 "text")

    def __init__(self, name, type_, default=None, has_default=False, kwarg_only=False,
                 mutable=False, alias=None):
        self.name, self.type, self.default = name, type_, default
        self.has_default, self.kwarg_only = has_default, kwarg_only
        self.mutable, self.alias = mutable, alias
        self.text = None  # the default as the schema wrote it, if it came from a schema

    @property
    def optional(self):
        return self.type.endswith("?")

    @property
    def base(self):
        """The type without ``?`` and list brackets: ``Tensor`` for ``Tensor?[]``."""
        return re.sub(r"(\[\d*\]|\?)", "", self.type)

    @property
    def is_list(self):
        return "[" in self.type

    def __str__(self):
        t = self.type
        if self.alias is not None:  # ``Tensor(a!)?``: the annotation follows the base type
            base = re.match(r"[A-Za-z]+", t).group(0)
            t = base + f"({self.alias}{'!' if self.mutable else ''})" + t[len(base):]
        text = t + (f" {self.name}" if self.name else "")
        if self.has_default:
            text += "=" + (self.text if self.text is not None else _default_text(self.default))
        return text


def _default_text(value):
    if isinstance(value, str) and value.startswith("\0"):  # kept as written in the schema
        return value[1:]
    if value is None:
        return "None"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e16:
            return f"{int(value)}."
        return format(value, ".17g")
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_default_text(v) for v in value) + "]"
    return str(value)


_SCALAR_TYPES = ("uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
                 "complex32", "complex64", "complex128", "bool", "qint8", "quint8", "qint32",
                 "bfloat16")


def _dtype_index(dt):
    """A dtype's number in PyTorch's ``ScalarType`` enum (how schemas print dtype defaults)."""
    name = str(dt).replace("torch.", "")
    return _SCALAR_TYPES.index(name) if name in _SCALAR_TYPES else None


def _parse_default(text, type_):
    """A schema default (``1.``, ``None``, ``[1, 2]``, ``"x"``, ``True``) as a Python value."""
    text = text.strip()
    if text == "None":
        return None
    if type_.startswith("ScalarType"):  # ``float32`` or its number ``6``: the dtype itself
        import ember
        name = _SCALAR_TYPES[int(text)] if text.isdigit() else text
        return getattr(ember, name, None)
    if text in ("True", "False"):
        return text == "True"
    if text[:1] in "\"'":
        return text[1:-1]
    if text.startswith("["):
        inner = text[1:-1].strip()
        return [_parse_default(p, type_) for p in inner.split(",")] if inner else []
    base = re.sub(r"(\[\d*\]|\?)", "", type_)
    try:
        if base in ("int", "SymInt") or re.fullmatch(r"-?\d+", text):
            if "[" in type_:  # ``int[2] stride=1``: a single number repeated
                n = re.search(r"\[(\d*)\]", type_).group(1)
                return [int(text)] * (int(n) if n else 1)
            return int(text)
        return float(text)
    except ValueError:
        return "\0" + text  # an enum-like default (``contiguous_format``): kept as written


def _schema_default(text, type_):
    """A default as PyTorch prints it back: floats in C++'s shortest form (``1.0`` as ``1.``),
    dtypes as their number."""
    if type_.startswith("ScalarType") and text in _SCALAR_TYPES:
        return str(_SCALAR_TYPES.index(text))
    if re.fullmatch(r"-?\d+\.\d*(e-?\d+)?", text):
        return _default_text(float(text))
    return text


_ARG_RE = re.compile(r"^\s*([A-Za-z_][\w.]*)(\(([a-z0-9]+)(!?)\))?((?:\[\d*\]|\?)*)"
                     r"(?:\s+([A-Za-z_]\w*))?\s*(?:=\s*(.+))?\s*$")


_TYPES = {"Tensor", "SymInt", "int", "float", "SymFloat", "bool", "SymBool", "str", "Scalar",
          "ScalarType", "Device", "Layout", "MemoryFormat", "Generator", "Dimname", "Storage",
          "Stream", "QScheme", "Any", "t", "complex", "GraphModule", "DeviceIndex"}


def _split_commas(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def _parse_args(text, where):
    args, kwarg_only = [], False
    for part in _split_commas(text):
        if part.strip() == "*":
            kwarg_only = True
            continue
        m = _ARG_RE.match(part)
        if m is not None and m.group(1) not in _TYPES:
            col = where.find(part.strip())
            raise RuntimeError(
                "\nunknown type specifier. Common valid schema types include Tensor, SymInt, "
                "int, float, bool, Scalar; for a full list, please see "
                "https://github.com/pytorch/pytorch/blob/main/aten/src/ATen/native/README.md#func"
                f" :\n{where}\n{' ' * max(col, 0)}{'~' * len(m.group(1))} <--- HERE\n")
        if m is None:
            raise RuntimeError(f"expected a type but found '{part.strip()}' here:\n{where}\n")
        type_ = m.group(1) + m.group(5)
        has_default = m.group(7) is not None
        arg = _Arg(m.group(6) or "", type_,
                   _parse_default(m.group(7), type_) if has_default else None,
                   has_default, kwarg_only, bool(m.group(4)), m.group(3))
        if has_default:
            arg.text = _schema_default(m.group(7).strip(), type_)
        args.append(arg)
    return args


class _Schema:
    """A parsed operator schema: ``ns::name.overload(Tensor x, *, float a=1.) -> Tensor``."""

    def __init__(self, ns, name, overload, args, returns):
        self.namespace, self.name, self.overload_name = ns, name, overload
        self.arguments, self.returns = args, returns

    @classmethod
    def parse(cls, ns, text):
        m = re.match(r"^\s*([A-Za-z_][\w]*(?:::[A-Za-z_]\w*)?)(?:\.([A-Za-z_]\w*))?\s*\((.*)\)"
                     r"\s*->\s*(.+?)\s*$", text, re.S)
        if m is None:
            head = re.match(r"\s*[\w:.]*\s*", text)
            pos = head.end()
            rest = text[pos:]
            tok = re.match(r"\w+|\S", rest)
            width = len(tok.group(0)) if tok else 1
            kind = "'ident'" if tok and tok.group(0)[0].isalpha() else (
                "'eof'" if not rest else f"'{rest[:1]}'")
            raise RuntimeError(f"expected eof but found {kind} here:\n{text}\n"
                               f"{' ' * pos}{'~' * width} <--- HERE\n")
        name = m.group(1)
        if "::" in name:
            ns, name = name.split("::")
        args = _parse_args(m.group(3), text)
        ret = m.group(4).strip()
        if ret.startswith("(") and ret.endswith(")"):
            returns = _parse_args(ret[1:-1], text)
        else:
            returns = _parse_args(ret, text)
        return cls(ns, name, m.group(2) or "", args, returns)

    @property
    def qualname(self):
        return f"{self.namespace}::{self.name}"

    def __str__(self):
        head = self.qualname + (f".{self.overload_name}" if self.overload_name else "")
        parts, star = [], False
        for a in self.arguments:
            if a.kwarg_only and not star:
                parts.append("*")
                star = True
            parts.append(str(a))
        if len(self.returns) == 1 and not self.returns[0].name:
            ret = str(self.returns[0])
        else:
            ret = "(" + ", ".join(str(r) for r in self.returns) + ")"
        return f"{head}({', '.join(parts)}) -> {ret}"

    __repr__ = __str__

    # -- binding a call --
    def bind(self, args, kwargs):
        """The value of every argument, in schema order, for a call ``(*args, **kwargs)``;
        PyTorch's ``RuntimeError`` for a call that does not fit."""
        positional = [a for a in self.arguments if not a.kwarg_only]
        decl = f"Declaration: {self}"
        if len(args) + len(kwargs) > len(self.arguments) or len(args) > len(positional):
            if len(args) + len(kwargs) <= len(self.arguments):
                raise RuntimeError(f"{self.qualname}() takes {len(positional)} positional "
                                   f"argument(s) but {len(args)} was/were given.  {decl}")
            raise RuntimeError(f"{self.qualname}() expected at most {len(self.arguments)} "
                               f"argument(s) but received {len(args) + len(kwargs)} "
                               f"argument(s). {decl}")
        names = {a.name for a in self.arguments}
        for k in kwargs:
            if k not in names:
                raise RuntimeError(f"Unknown keyword argument '{k}' for operator "
                                   f"'{self.qualname}'. Schema: {self}")
        values = []
        for i, a in enumerate(self.arguments):
            if i < len(args) and not a.kwarg_only:
                if a.name in kwargs:
                    raise RuntimeError(f"{self.qualname}() got multiple values for argument "
                                       f"'{a.name}'. {decl}")
                v = args[i]
            elif a.name in kwargs:
                v = kwargs[a.name]
            elif a.has_default:
                v = a.default
                if isinstance(v, str) and v.startswith("\0"):
                    v = None
            elif a.optional:
                v = None
            else:
                raise RuntimeError(f"{self.qualname}() is missing value for argument "
                                   f"'{a.name}'. {decl}")
            self._check(a, i, v)
            values.append(v)
        return values

    def _check(self, a, position, v):
        from ._tensor import Tensor

        if v is None and (a.optional or a.has_default):
            return
        base = a.base
        ok = True
        if a.is_list:
            if base == "Tensor":
                ok = isinstance(v, (list, tuple)) and all(
                    isinstance(t, Tensor) or (t is None and "?" in a.type) for t in v)
            elif base in ("int", "SymInt"):
                ok = isinstance(v, int) or (isinstance(v, (list, tuple)) and all(
                    isinstance(t, int) or (isinstance(t, Tensor) and t.dim() == 0) for t in v))
            else:
                ok = isinstance(v, (list, tuple, int, float))
        elif base == "Tensor":
            ok = isinstance(v, Tensor)
        elif base in ("int", "SymInt"):
            ok = isinstance(v, int) or (isinstance(v, Tensor) and v.dim() == 0
                                        and not v.is_floating_point())
        elif base in ("float", "SymFloat"):
            ok = isinstance(v, (int, float)) or (isinstance(v, Tensor) and v.dim() == 0)
        elif base in ("bool", "SymBool"):
            ok = isinstance(v, bool) or (isinstance(v, int) and v in (0, 1))
        elif base == "str":
            ok = isinstance(v, str)
        elif base == "Scalar":
            ok = isinstance(v, (int, float, complex, bool)) or (
                isinstance(v, Tensor) and v.dim() == 0)
        if ok:
            return
        want = {"SymInt": "int", "SymFloat": "float", "SymBool": "bool"}.get(base, base)
        if a.is_list:
            want = f"List[{want}]"
        got = "Tensor" if isinstance(v, Tensor) else type(v).__name__
        if want == "Tensor":
            cast = f"Unable to cast {v!r} to Tensor"
        else:
            cast = (f"Unable to cast Python instance of type {type(v)} to C++ type '?' (#define "
                    "PYBIND11_DETAILED_ERROR_MESSAGES or compile in debug mode for details)")
        raise RuntimeError(
            f"{self.qualname}() Expected a value of type '{want}' for argument '{a.name}' but "
            f"instead found type '{got}'.\nPosition: {position}\nValue: {v!r}\nDeclaration: "
            f"{self}\nCast error details: {cast}")

    def fits(self, args, kwargs):
        try:
            self.bind(args, kwargs)
        except RuntimeError:
            return False
        return True


# -- overloads and packets ------------------------------------------------------------------

class OpOverload:
    """One overload of an operator: ``torch.ops.mylib.crop.default``."""

    def __init__(self, packet, overload, fn=None, schema=None):
        self._packet = packet
        self._overloadname = overload
        self._fn = fn  # an aten overload: the ember function it maps onto
        self._schema = schema
        self._kernels = {}  # dispatch key (``CPU``, ``CompositeImplicitAutograd``...) -> fn
        self._fake = None
        self._backward = None
        self._setup_context = None
        self._custom = None  # the CustomOpDef that defined it, if any
        self._where = None  # where ``define`` was called: ``file:line``
        self.__name__ = f"{packet._name}.{overload}"
        self.__qualname__ = self.__name__
        self.__module__ = f"torch.ops.{packet._ns}"

    @property
    def overloadpacket(self):
        return self._packet

    @property
    def namespace(self):
        return self._packet._ns

    @property
    def op(self):
        return self

    def name(self):
        q = self._packet._qualified_op_name
        return q if self._overloadname == "default" else f"{q}.{self._overloadname}"

    def __call__(self, *args, **kwargs):
        if self._fn is not None:
            return self._fn(*args, **kwargs)
        from .library import _dispatch
        return _dispatch(self, args, kwargs)

    def __repr__(self):
        return (f"<OpOverload(op='{self._packet._ns}.{self._packet._name}', "
                f"overload='{self._overloadname}')>")

    def __str__(self):
        return f"{self._packet._ns}.{self._packet._name}.{self._overloadname}"

    def __hash__(self):
        return id(self)


class OpOverloadPacket:
    """All overloads of one operator: ``torch.ops.mylib.crop``; calling it picks the overload
    whose schema fits the arguments."""

    def __init__(self, ns, name):
        self._ns, self._name = ns, name
        self._overloads: dict[str, OpOverload] = {}
        self.__name__ = name
        self.__qualname__ = name
        self.__module__ = f"torch.ops.{ns}"

    @property
    def _qualified_op_name(self):
        return f"{self._ns}::{self._name}"

    @property
    def op(self):
        return self

    def overloads(self):
        return list(self._overloads)

    def __getattr__(self, overload):
        if overload.startswith("__"):
            raise AttributeError(overload)
        try:
            return self.__dict__["_overloads"][overload]
        except KeyError:
            raise AttributeError(f"The underlying op of '{self}' has no overload name "
                                 f"'{overload}'") from None

    def __call__(self, *args, **kwargs):
        ovs = self._overloads
        if self._ns == "aten":
            return next(iter(ovs.values()))._fn(*args, **kwargs)
        if len(ovs) == 1:
            return next(iter(ovs.values()))(*args, **kwargs)
        for ov in ovs.values():
            if ov._schema is not None and ov._schema.fits(args, kwargs):
                return ov(*args, **kwargs)
        return ovs.get("default", next(iter(ovs.values())))(*args, **kwargs)

    def __repr__(self):
        return f"<OpOverloadPacket(op='{self._ns}.{self._name}')>"

    def __str__(self):
        return f"{self._ns}.{self._name}"

    def __hash__(self):
        return id(self)


# -- the registry of operators defined from Python ------------------------------------------

_PACKETS: dict[tuple[str, str], OpOverloadPacket] = {}


def _find(ns, name, overload="default"):
    """The overload ``ns::name.overload`` defined from Python, or ``None``."""
    packet = _PACKETS.get((ns, name))
    return None if packet is None else packet._overloads.get(overload or "default")


def _add(schema, where=None):
    """Register a new overload for ``schema`` (a ``_Schema``) and return it."""
    key = (schema.namespace, schema.name)
    packet = _PACKETS.get(key)
    if packet is None:
        packet = _PACKETS[key] = OpOverloadPacket(*key)
    ov = OpOverload(packet, schema.overload_name or "default", schema=schema)
    ov._where = where
    packet._overloads[ov._overloadname] = ov
    return ov


def _remove(ov):
    packet = ov._packet
    packet._overloads.pop(ov._overloadname, None)
    if not packet._overloads:
        _PACKETS.pop((packet._ns, packet._name), None)


# -- aten -----------------------------------------------------------------------------------
# ``name:where:overloads``; ``where`` is ``t`` (``ember.<name>``), ``m`` (the tensor method of
# the first argument) or ``f`` (``ember.nn.functional.<name>``). The overload names are
# PyTorch's, so ``torch.ops.aten.add.Tensor`` exists and ``torch.ops.aten.add.Foo`` does not.
_aten_rows: dict | None = None


def _aten_table():
    global _aten_rows
    if _aten_rows is None:
        from ._aten_ops import TABLE
        rows = {}
        for item in TABLE.split():
            name, where, ovs = item.split(":")
            rows[name] = (where, ovs.split(",") if ovs else ["default"])
        _aten_rows = rows
    return _aten_rows


def _method(name):
    def call(self, *args, **kwargs):
        return getattr(self, name)(*args, **kwargs)
    return call


def _aten_special():
    """aten overloads whose arguments differ from the ember function of the same name."""
    import ember
    from ember.nn import functional as F

    def softmax(x, dim, half_to_float=False):
        return F.softmax(x, dim)

    def log_softmax(x, dim, half_to_float=False):
        return F.log_softmax(x, dim)

    def to_copy(x, *, dtype=None, layout=None, device=None, pin_memory=None,
                non_blocking=False, memory_format=None):
        return x.to(device=device, dtype=dtype, copy=True)

    def expand(x, size, *, implicit=False):
        return x.expand(*size)

    def threshold_backward(grad, x, threshold):
        return ember.where(x <= threshold, ember.zeros_like(grad), grad)

    from ._ops import pointwise as pw

    def scalar(fn, name):
        def op(x, other, alpha=1):
            if isinstance(other, (int, float)) and not isinstance(other, bool):
                return fn(x, other * alpha if alpha != 1 else other)
            return getattr(ember, name)(x, other) if alpha == 1 else \
                getattr(ember, name)(x, other, alpha=alpha)
        return op

    def loss(name, params):
        def op(*args, **kwargs):
            kw = dict(zip(params, args), **kwargs)
            if "self" in kw:
                kw["input"] = kw.pop("self")
            if isinstance(kw.get("reduction"), int):
                kw["reduction"] = ("none", "mean", "sum")[kw["reduction"]]
            return getattr(F, name)(**kw)
        return op

    losses = {name: loss(name, params.split()) for name, params in _ATEN_LOSSES.items()}

    def unbiased(name):
        return lambda x, unbiased=True: getattr(ember, name)(x, unbiased=unbiased)

    return {
        **{(name, "default"): fn for name, fn in losses.items()},
        **{(name, "default"): unbiased(name) for name in ("var", "std", "var_mean",
                                                            "std_mean")},
        ("add", "Scalar"): scalar(pw.add_scalar, "add"),
        ("mul", "Scalar"): lambda x, other: scalar(pw.mul_scalar, "mul")(x, other),
        ("div", "Scalar"): lambda x, other: scalar(pw.div_scalar, "div")(x, other),
        ("_softmax", "default"): softmax, ("_log_softmax", "default"): log_softmax,
        ("_to_copy", "default"): to_copy, ("expand", "default"): expand,
        ("threshold_backward", "default"): threshold_backward,
    }


# aten's losses take ``reduction`` as a number (0 none, 1 mean, 2 sum) and their arguments in
# their own order: the parameter names, in aten's order, of each
_ATEN_LOSSES = {
    "mse_loss": "self target reduction", "l1_loss": "self target reduction",
    "binary_cross_entropy": "self target weight reduction",
    "binary_cross_entropy_with_logits": "self target weight pos_weight reduction",
    "kl_div": "self target reduction", "nll_loss": "self target weight reduction ignore_index",
    "smooth_l1_loss": "self target reduction beta", "huber_loss": "self target reduction delta",
    "hinge_embedding_loss": "self target margin reduction",
    "soft_margin_loss": "self target reduction",
    "margin_ranking_loss": "input1 input2 target margin reduction",
    "cosine_embedding_loss": "input1 input2 target margin reduction",
    "poisson_nll_loss": "input target log_input full eps reduction",
    "multi_margin_loss": "self target p margin weight reduction",
    "multilabel_margin_loss": "self target reduction",
}
_SPECIAL_OPS = ("_softmax", "_log_softmax", "_to_copy", "threshold_backward")


def _aten_packet(name):
    table = _aten_table()
    if name not in table and name not in _SPECIAL_OPS and name not in _ATEN_LOSSES:
        return None
    import ember
    from ember.nn import functional as F

    where, ovs = table.get(name, ("f" if name in _ATEN_LOSSES else "t", ["default"]))
    if where == "t":
        fn = getattr(ember, name, None)
    elif where == "f":
        fn = getattr(F, name, None)
    else:
        fn = _method(name)
    special = _aten_special()
    packet = OpOverloadPacket("aten", name)
    for ov in ovs:
        f = special.get((name, ov), fn)
        if f is None:
            return None
        packet._overloads[ov] = OpOverload(packet, ov, fn=f)
    return packet


# -- namespaces -----------------------------------------------------------------------------

class _OpNamespace(types.ModuleType):
    """``torch.ops.<ns>``: its operators as attributes."""

    def __init__(self, name):
        super().__init__("torch.ops." + name)
        self.name = name
        self.__file__ = "torch.ops"
        self._dir = []

    def __getattr__(self, op_name):
        if op_name.startswith("__"):
            raise AttributeError(op_name)
        packet = _PACKETS.get((self.name, op_name))
        if packet is None and self.name == "aten":
            packet = _aten_packet(op_name)
            if packet is not None:
                setattr(self, op_name, packet)  # aten's operators do not change: cached
        if packet is None:
            raise AttributeError(f"'_OpNamespace' '{self.name}' object has no attribute "
                                 f"'{op_name}'")
        return packet

    def __iter__(self):
        return iter(n for (ns, n) in _PACKETS if ns == self.name)


class _Ops(types.ModuleType):
    """``torch.ops``."""

    __file__ = "_ops.py"

    def __init__(self):
        super().__init__("torch.ops")
        self.loaded_libraries = set()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        ns = _OpNamespace(name)
        setattr(self, name, ns)
        return ns

    def __iter__(self):
        return iter(n for n in vars(self) if isinstance(vars(self)[n], _OpNamespace))

    def import_module(self, module):
        import importlib
        importlib.import_module(module)

    def load_library(self, path):
        """PyTorch loads a compiled library of C++ operators here; ember cannot run them."""
        path = os.path.realpath(os.fspath(path))
        if not os.path.exists(path):
            raise OSError(f"Could not load this library: {path}")
        from ._unsupported import Unsupported
        raise Unsupported(f"torch.ops.load_library({path!r}): ember cannot load compiled "
                          "C++/CUDA operator libraries; define the operators in Python with "
                          "torch.library.custom_op instead")


ops = _Ops()
