"""Data types, the default dtype, and PyTorch's type-promotion rules.

Each ember dtype wraps the NumPy dtype that stores it (bfloat16's and the float8 types'
come from ``ml_dtypes``, imported only when first needed: the import takes half a second;
PyTorch's "shell" dtypes, uint1..7, int1..7, bits*, float4_e2m1fn_x2, are one-field
structured types that NumPy cannot compute with).
Promotion follows PyTorch, not NumPy: a Python scalar or a 0-d tensor only changes
the result's dtype when it belongs to a higher category (bool < integer < floating <
complex) than the dimensioned operands.  complex32 (``chalf``) is not provided: NumPy has
no such type.
"""
from __future__ import annotations

import builtins
import threading

import numpy as np

from ._ctype import CTypeName

__all__ = [
    "dtype", "float16", "half", "bfloat16", "float32", "float", "float64", "double",
    "int8", "int16", "short", "int32", "int", "int64", "long", "uint8", "uint16", "uint32",
    "uint64", "bool", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
    "float8_e8m0fnu", "float4_e2m1fn_x2", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6",
    "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7", "bits1x8", "bits2x4",
    "bits4x2", "bits8", "bits16", "quint8", "qint8", "qint32", "quint4x2", "quint2x4",
    "complex64", "cfloat", "complex128", "cdouble",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type", "can_cast",
]


class dtype(metaclass=CTypeName):
    """A tensor element type; prints as PyTorch's (``torch.float32``)."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "is_complex", "_kind")
    _c_name = "torch.dtype"

    def __init__(self, name: str, np_dtype, kind: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self._kind = kind  # 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = kind == 2
        self.is_complex = kind == 3
        self.is_signed = kind >= 2 or (kind == 1 and self.np.kind == "i")

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return _dtype_by_name, (self.name,)

    def to_real(self):
        """The real dtype of a complex one's parts (complex64 -> float32); others unchanged."""
        return _TO_REAL.get(self, self)

    def to_complex(self):
        """The complex dtype whose parts are this floating dtype (float64 -> complex128)."""
        if self._kind == 3:
            return self
        c = _TO_COMPLEX.get(self)
        if c is None:
            if self is float16 or self is bfloat16:
                from ._unsupported import Unsupported

                raise Unsupported("torch.complex32 is not supported by ember")
            raise RuntimeError(f"Unknown Complex ScalarType for {_LEGACY[self.name][:-6]}")
        return c

    @property
    def is_float(self):  # not PyTorch API; used internally for readability
        return self._kind == 2


class _LazyBFloat16(dtype):
    """bfloat16 before its NumPy dtype is loaded: reading ``.np`` imports ml_dtypes.

    Loading registers the NumPy dtype in ``_BY_NP`` and hands it to the tables of other
    modules (``on_bfloat16_np``), then turns the object into a plain ``dtype``, so that
    ``.np`` is an ordinary attribute from then on.  Everything else (name, itemsize,
    category) is known without it.
    """

    __slots__ = ()

    def __init__(self):
        self.name = "bfloat16"
        self.itemsize = 2
        self._kind = 2
        self.is_floating_point = True
        self.is_complex = False
        self.is_signed = True

    @property
    def np(self):
        return _load_bfloat16()


_NP_SLOT = dtype.np  # the slot descriptor behind dtype.np
_bf16_lock = threading.RLock()
_bf16_np = None  # bfloat16's NumPy dtype, once loaded
_bf16_hooks = []


def _load_bfloat16():
    global _bf16_np
    with _bf16_lock:
        if _bf16_np is None:
            import ml_dtypes

            nd = np.dtype(ml_dtypes.bfloat16)
            _NP_SLOT.__set__(bfloat16, nd)
            _BY_NP[nd] = bfloat16
            for hook in _bf16_hooks:
                hook(nd)
            _bf16_np = nd
            bfloat16.__class__ = dtype  # (same layout: _LazyBFloat16 adds no slots)
    return _bf16_np


def on_bfloat16_np(hook) -> None:
    """Call ``hook(numpy_dtype)`` once bfloat16's NumPy dtype is loaded (now if it is).

    For tables keyed by NumPy dtypes, which get bfloat16's entry without importing
    ml_dtypes before a bfloat16 tensor exists.
    """
    with _bf16_lock:
        if _bf16_np is None:
            _bf16_hooks.append(hook)
            return
    hook(_bf16_np)


float16 = half = dtype("float16", np.float16, 2)
bfloat16 = _LazyBFloat16()
float32 = float = dtype("float32", np.float32, 2)
float64 = double = dtype("float64", np.float64, 2)
int8 = dtype("int8", np.int8, 1)
int16 = short = dtype("int16", np.int16, 1)
int32 = int = dtype("int32", np.int32, 1)
int64 = long = dtype("int64", np.int64, 1)
uint8 = dtype("uint8", np.uint8, 1)
# NOTE: PyTorch's wide unsigned types are "shell" dtypes: tensors hold and convert them, but
# they promote with nothing except the floating types and themselves (see promote_types)
uint16 = dtype("uint16", np.uint16, 1)
uint32 = dtype("uint32", np.uint32, 1)
uint64 = dtype("uint64", np.uint64, 1)
bool = dtype("bool", np.bool_, 0)
complex64 = cfloat = dtype("complex64", np.complex64, 3)
complex128 = cdouble = dtype("complex128", np.complex128, 3)

ALL = (float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8, bool, complex64,
       complex128, uint16, uint32, uint64)
_WIDE_UNSIGNED = (uint16, uint32, uint64)
_WIDE_NP = frozenset(d.np for d in _WIDE_UNSIGNED)
_TO_REAL = {complex64: float32, complex128: float64}
_TO_COMPLEX = {float32: complex64, float64: complex128}
_BY_NP = {d.np: d for d in ALL if d is not bfloat16}  # (bfloat16's added when loaded)
_BY_NAME = {d.name: d for d in ALL}
# PyTorch's alternative spellings (torch.half is torch.float16, ...).
_ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16,
            "int": int32, "long": int64, "cfloat": complex64, "cdouble": complex128}


class _QDtype(dtype):
    """A quantized dtype (``torch.quint8``...); ``np`` is the integer type of its raw values.

    Kept out of ``ALL`` and ``_BY_NP``: only quantized tensors (ember._quantized) have one.
    """

    __slots__ = ()

    def __init__(self, name: str, np_dtype, qmin: builtins.int, qmax: builtins.int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self._kind = 1  # (requires_grad refuses it, as PyTorch does)
        self.is_floating_point = self.is_complex = False
        _QRANGE[name] = (qmin, qmax)
        _BY_NAME[name] = self

    @property
    def is_signed(self):
        raise RuntimeError("isSignedType not supported for quantized types")


_QRANGE = {}  # a quantized dtype's name -> (qmin, qmax) of its values
quint8 = _QDtype("quint8", np.uint8, 0, 255)
qint8 = _QDtype("qint8", np.int8, -128, 127)
qint32 = _QDtype("qint32", np.int32, -2**31, 2**31 - 1)
quint4x2 = _QDtype("quint4x2", np.uint8, 0, 15)  # (two values a byte)
quint2x4 = _QDtype("quint2x4", np.uint8, 0, 3)  # (four values a byte)


_ODD_NP = set()  # NumPy types of the float8 and shell dtypes (float8's once loaded)


class _LazyFloat8(dtype):
    """An 8-bit float dtype (``torch.float8_e4m3fn``...) before ``ml_dtypes`` is imported.

    As bfloat16: reading ``.np`` loads the storage types of all of them (see ember._float8,
    which does every conversion: PyTorch's rounding and saturation are not ml_dtypes')."""

    __slots__ = ()

    def __init__(self, name: str, signed: builtins.bool = True):
        self.name = name
        self.itemsize = 1
        self._kind = 2
        self.is_floating_point = True
        self.is_complex = False
        self.is_signed = signed
        _BY_NAME[name] = self

    @property
    def np(self):
        _load_float8()
        return _NP_SLOT.__get__(self)


def _load_float8():
    with _bf16_lock:
        if float8_e4m3fn.__class__ is dtype:
            return
        import ml_dtypes

        for d in FLOAT8:
            nd = np.dtype(getattr(ml_dtypes, d.name))
            _NP_SLOT.__set__(d, nd)
            _BY_NP[nd] = d
            _ODD_NP.add(nd)
            for hook in _float8_hooks:
                hook(nd)
        for d in FLOAT8:
            d.__class__ = dtype


_float8_hooks = []


def on_float8_np(hook) -> None:
    """Call ``hook(numpy_dtype)`` for each float8 NumPy dtype once they are loaded (as
    on_bfloat16_np)."""
    with _bf16_lock:
        if float8_e4m3fn.__class__ is not dtype:
            _float8_hooks.append(hook)
            return
    for d in FLOAT8:
        hook(d.np)


class _ShellDtype(dtype):
    """PyTorch's "shell" dtypes (``uint1``..``uint7``, ``int1``..``int7``, ``float4_e2m1fn_x2``,
    ``bits8``...): tensors of them exist, with no arithmetic, printing or conversion.  Each
    is stored as a one-field structured NumPy type of its width, so that NumPy refuses to
    compute with it and the dtype stays known from the array alone."""

    __slots__ = ()

    def __init__(self, name: str, itemsize: builtins.int, kind: builtins.int, signed=None):
        self.name = name
        self.np = np.dtype([(name, f"u{itemsize}")])
        self.itemsize = itemsize
        self._kind = kind
        self.is_floating_point = kind == 2
        self.is_complex = False
        if signed is not None:
            self.is_signed = signed
        _BY_NAME[name] = self
        _BY_NP[self.np] = self
        _ODD_NP.add(self.np)


class _BitsDtype(_ShellDtype):
    __slots__ = ()

    @property
    def is_signed(self):
        raise RuntimeError("Bits types are undefined")


float8_e4m3fn = _LazyFloat8("float8_e4m3fn")
float8_e5m2 = _LazyFloat8("float8_e5m2")
float8_e4m3fnuz = _LazyFloat8("float8_e4m3fnuz")
float8_e5m2fnuz = _LazyFloat8("float8_e5m2fnuz")
float8_e8m0fnu = _LazyFloat8("float8_e8m0fnu", signed=False)
FLOAT8 = (float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu)
float4_e2m1fn_x2 = _ShellDtype("float4_e2m1fn_x2", 1, 2, True)
(uint1, uint2, uint3, uint4, uint5, uint6, uint7) = _UINT_SHELLS = tuple(
    _ShellDtype(f"uint{i}", 1, 1, False) for i in range(1, 8))
(int1, int2, int3, int4, int5, int6, int7) = _INT_SHELLS = tuple(
    _ShellDtype(f"int{i}", 1, 1, True) for i in range(1, 8))
bits1x8, bits2x4, bits4x2, bits8 = _BITS = tuple(
    _BitsDtype(n, 1, 1) for n in ("bits1x8", "bits2x4", "bits4x2", "bits8"))
bits16 = _BitsDtype("bits16", 2, 1)
_BITS += (bits16,)
SHELLS = (float4_e2m1fn_x2, *_UINT_SHELLS, *_INT_SHELLS, *_BITS)
_ODD = frozenset(FLOAT8 + SHELLS)  # the dtypes promote_types treats apart


def _promote_odd(a: dtype, b: dtype) -> dtype:
    """promote_types for a float8 or shell dtype (PyTorch refuses nearly every pair)."""
    na, nb = scalar_name(a), scalar_name(b)
    if a in _BITS or b in _BITS:
        raise RuntimeError(f"Promotion from {na} and {nb} is unsupported.")
    if a in FLOAT8 or b in FLOAT8:
        raise RuntimeError("Promotion for Float8 Types is not supported, attempted to promote "
                           f"{na} and {nb}")
    if a in _UINT_SHELLS or b in _UINT_SHELLS or a in _WIDE_UNSIGNED or b in _WIDE_UNSIGNED:
        if a.is_floating_point or b.is_floating_point:
            return a if a.is_floating_point else b
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                           f"attempted to promote {na} and {nb}")
    # NOTE: PyTorch's promotion table has no row for int1..int7 or float4_e2m1fn_x2: it
    # fails an internal assertion, whose message this repeats
    line, which = (103, "a") if a in _ODD else (105, "b")
    raise RuntimeError(f"ix_{which} != -1 INTERNAL ASSERT FAILED at \"/__w/pytorch/pytorch/"
                       f"c10/core/ScalarType.cpp\":{line}, please report a bug to PyTorch. ")


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The ember dtype stored as ``np_dtype``; TypeError for unsupported ones."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except KeyError:
        if np.dtype(np_dtype).name == "bfloat16":  # an ml_dtypes array made before ours
            _load_bfloat16()
            return _BY_NP[np.dtype(np_dtype)]
        if np.dtype(np_dtype).name in _BY_NAME and np.dtype(np_dtype).name.startswith("float8"):
            _load_float8()
            return _BY_NP[np.dtype(np_dtype)]
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).type.__name__}. The only "
            "supported types are: float64, float32, float16, complex64, complex128, int64, "
            "int32, int16, int8, uint64, uint32, uint16, uint8, and bool.") from None


def to_dtype(d) -> dtype:
    """Accept an ember dtype, a Python type (float/int/bool) or a NumPy dtype."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if d is builtins.complex:
        return complex128
    if isinstance(d, str):  # NOTE: PyTorch refuses NumPy-style names (dtype='float32')
        raise TypeError("argument 'dtype' must be torch.dtype, not str")
    try:
        return from_numpy_dtype(d)
    except TypeError:
        raise TypeError(f"expected a torch.dtype, but got {type(d).__name__}: {d!r}") from None


_default = float32


def get_default_dtype() -> dtype:
    """The dtype of floating tensors created from Python floats (float32 unless changed)."""
    return _default


def default_complex() -> dtype:
    """The complex dtype of the default float dtype (what a Python complex becomes)."""
    return complex128 if _default is float64 else complex64


def set_default_dtype(d) -> None:
    global _default
    if not isinstance(d, dtype):  # (a NumPy type or a name is refused too, as in PyTorch)
        raise TypeError("invalid dtype object: only floating-point types are supported as the "
                        "default type")
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default = d


def _promote_ints(a: dtype, b: dtype) -> dtype:
    if a.is_signed == b.is_signed:
        return a if a.itemsize >= b.itemsize else b
    u, s = (a, b) if not a.is_signed else (b, a)  # only uint8 is unsigned
    return s if s.itemsize > u.itemsize else int16


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to without losing category."""
    if a is b:
        return a
    if a in _ODD or b in _ODD:
        return _promote_odd(a, b)
    if a in _WIDE_UNSIGNED or b in _WIDE_UNSIGNED:
        if a.is_floating_point or b.is_floating_point:
            return a if a.is_floating_point else b
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                           f"attempted to promote {scalar_name(a)} and {scalar_name(b)}")
    if a._kind == 3 or b._kind == 3:
        # NOTE: complex takes the wider of the two part types (complex64 + float64 is
        # complex128); a complex beside bool or an integer stays as it is.
        c, o = (a, b) if a._kind == 3 else (b, a)
        if o._kind < 2:
            return c
        return promote_types(c.to_real(), o.to_real()).to_complex()
    if a._kind != b._kind:
        return a if a._kind > b._kind else b
    if a._kind == 0:
        return a
    if a._kind == 1:
        return _promote_ints(a, b)
    if {a, b} == {float16, bfloat16}:
        return float32
    return a if a.itemsize >= b.itemsize else b


def _combine(higher, lower):
    # How a higher-priority group (dimensioned tensors before 0-d tensors before
    # Python scalars) absorbs a lower one: only a higher category wins.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._kind == 3:
        return higher
    if lower._kind == 3:
        # a complex of lower priority: the higher group's float width is kept (float64
        # tensor + 1j is complex128), an integer or bool group takes the complex as it is
        if higher is bfloat16:  # NOTE: no complex bfloat16: PyTorch gives complex64
            return complex64
        return higher.to_complex() if higher._kind == 2 else lower
    if higher._kind == 2:
        return higher
    if higher is bool or lower._kind == 2:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(v) -> dtype:
    """The dtype a Python scalar takes inside an expression with tensors."""
    if isinstance(v, builtins.bool):
        return bool
    if isinstance(v, builtins.int):  # (PyTorch's Scalar holds one past int64 as a uint64)
        return int64 if v < 9223372036854775808 else uint64
    if isinstance(v, builtins.complex):
        return default_complex()
    return _default


def result_type(*operands) -> dtype:
    """PyTorch's result dtype for tensors and Python scalars combined in one op."""
    dim = zero = wrapped = None
    for o in operands:
        d = getattr(o, "dtype", None)
        if isinstance(d, dtype):
            if o.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        elif o is not None:
            if isinstance(o, (np.floating, np.integer, np.bool_, np.complexfloating)):
                # (PyTorch takes a NumPy bool for a float)
                o = builtins.float(o) if type(o) is np.bool_ else o.item()
            d = scalar_dtype(o)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def can_cast(from_: dtype, to: dtype) -> builtins.bool:
    """Whether an in-place op may write a ``from_`` result into a ``to`` tensor."""
    return from_._kind <= to._kind


CPP_NAMES = {  # the C++ type names PyTorch's messages use
    "float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
    "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
    "uint8": "unsigned char", "uint16": "short unsigned int", "uint32": "unsigned int",
    "uint64": "long unsigned int", "bool": "bool", "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>"}
CPP_NAMES.update({d.name: "c10::" + d.name.capitalize() for d in FLOAT8})


def scalar_name(d: dtype) -> str:
    """PyTorch's ScalarType name of ``d`` (``Float``, ``Long``, ``ComplexFloat``...)."""
    return _LEGACY[d.name][:-6]


def cpp_name(d: dtype) -> str:
    """The C++ type PyTorch names for ``d`` in its messages (``float``, ``c10::Half``...)."""
    return CPP_NAMES[d.name]


def dtype_name_for_type(d: dtype) -> str:
    """The legacy tensor type name (``torch.FloatTensor``) of a dtype."""
    return _LEGACY[d.name]


def processed_type_name(d: dtype) -> str:
    """A CPU tensor type as PyTorch's C++ messages name it once its Python layer has renamed
    the legacy ones: ``torch.FloatTensor``, but ``CPUBFloat16Type``, ``CPUBoolType``."""
    if d.name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"):
        return "torch." + _LEGACY[d.name]
    return f"CPU{scalar_name(d)}Type"


_LEGACY = {"float16": "HalfTensor", "bfloat16": "BFloat16Tensor", "float32": "FloatTensor",
           "float64": "DoubleTensor", "int8": "CharTensor", "int16": "ShortTensor",
           "int32": "IntTensor", "int64": "LongTensor", "uint8": "ByteTensor",
           "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
           "complex128": "ComplexDoubleTensor", "uint16": "UInt16Tensor",
           "uint32": "UInt32Tensor", "uint64": "UInt64Tensor",
           "quint8": "QUInt8Tensor", "qint8": "QInt8Tensor", "qint32": "QInt32Tensor",
           "quint4x2": "QUInt4x2Tensor", "quint2x4": "QUInt2x4Tensor"}
_LEGACY.update({d.name: d.name.capitalize() + "Tensor" for d in FLOAT8 + (float4_e2m1fn_x2,)})
_LEGACY.update({d.name: "U" + d.name[1:].capitalize() + "Tensor" for d in _UINT_SHELLS})
_LEGACY.update({d.name: d.name.capitalize() + "Tensor" for d in _INT_SHELLS + _BITS})


class _TypeInfo(metaclass=CTypeName):
    """What ``finfo`` and ``iinfo`` share: equal when they describe the same dtype."""

    def __eq__(self, other):
        return type(other) is type(self) and other.dtype == self.dtype

    __hash__ = None  # (unhashable, as PyTorch's)

    def __reduce_ex__(self, protocol):  # (PyTorch's are C objects without pickling support)
        raise TypeError(f"cannot pickle '{self._c_name}' object")


class _Info8:
    # (NOTE: ml_dtypes' finfo differs from PyTorch's for e5m2fnuz's eps and the resolutions)
    def __init__(self, eps, max, min, tiny):
        self.bits, self.eps, self.max, self.min = 8, eps, max, min
        self.smallest_normal, self.precision = tiny, 0


_FINFO8 = {float8_e4m3fn: _Info8(0.125, 448.0, -448.0, 2.0 ** -6),
           float8_e5m2: _Info8(0.25, 57344.0, -57344.0, 2.0 ** -14),
           float8_e4m3fnuz: _Info8(0.125, 240.0, -240.0, 2.0 ** -7),
           float8_e5m2fnuz: _Info8(0.125, 57344.0, -57344.0, 2.0 ** -15),
           float8_e8m0fnu: _Info8(1.0, 2.0 ** 127, 2.0 ** -127, 2.0 ** -127)}


_NO_TYPE = object()


def _info_dtype(name, type):
    """The dtype argument of ``finfo``/``iinfo`` as PyTorch's parser takes it (a dtype, or
    Python's float, int, bool or complex naming one), else its TypeError."""
    if isinstance(type, dtype) or type in (builtins.float, builtins.int, builtins.bool,
                                           builtins.complex):
        return to_dtype(type)
    cls = builtins.type(type)
    tp = cls.__name__ if cls.__module__ == "builtins" or cls.__name__ == "Tensor" else \
        f"{cls.__module__}.{cls.__qualname__}"
    raise TypeError(f"{name}(): argument 'type' (position 1) must be torch.dtype, not {tp}")


class finfo(_TypeInfo):
    """``torch.finfo``: the limits of a floating dtype (the default dtype when not given).

    >>> ember.finfo(ember.float32).eps
    1.1920928955078125e-07
    """

    _c_name = "torch.finfo"

    def __init__(self, type=_NO_TYPE):
        dt = get_default_dtype() if type is _NO_TYPE else _info_dtype("finfo", type)
        dt = dt.to_real()  # (a complex dtype's limits are those of its parts)
        if not dt.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        if dt in _FINFO8:
            info = _FINFO8[dt]
        elif dt is float4_e2m1fn_x2:
            raise TypeError("bad argument type for built-in operation")
        elif dt is bfloat16:
            import ml_dtypes

            info = ml_dtypes.finfo(dt.np)
        else:
            info = np.finfo(dt.np)
        self.bits = builtins.int(info.bits)
        num = builtins.float
        self.eps, self.max, self.min = num(info.eps), num(info.max), num(info.min)
        self.tiny = self.smallest_normal = num(info.smallest_normal)
        self.resolution = 10.0 ** -builtins.int(info.precision)  # (NumPy rounds it to the type)
        self.dtype = dt.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo(_TypeInfo):
    """``torch.iinfo``: the limits of an integer dtype.

    >>> ember.iinfo(ember.int64).max
    9223372036854775807
    """

    _c_name = "torch.iinfo"

    def __init__(self, type):
        dt = _info_dtype("iinfo", type)
        if dt is bool:  # (the dtype: this module shadows the builtin)
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if dt.is_floating_point or dt.is_complex or dt in SHELLS:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo "
                            "to handle 'torch.iinfo'")
        if isinstance(dt, _QDtype):  # NOTE: PyTorch makes it; reading it fails (_QIInfo)
            self.__class__ = _QIInfo
            self._name = scalar_name(dt)
            return
        info = np.iinfo(dt.np)
        num = builtins.int
        self.bits, self.max, self.min = num(info.bits), num(info.max), num(info.min)
        self.dtype = dt.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


class _QIInfo(iinfo):
    """``iinfo`` of a quantized dtype: PyTorch builds it but fails on reading it."""

    def _fail(self, *args):
        raise NotImplementedError(f'"dtype" not implemented for \'{self._name}\'')

    bits = min = max = dtype = property(_fail)
    __repr__ = _fail
