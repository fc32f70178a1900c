"""ember: PyTorch's tensors and autograd in readable Python, on NumPy (and CuPy).

``import ember as torch`` runs PyTorch code.  Every public name below is
re-exported explicitly from the module that defines it.
"""
from __future__ import annotations
from ember._warnings import warn as _warn

import builtins as _builtins
import os as _os

from . import _blas, _dtype, _malloc  # noqa: F401  (_malloc: the thresholds, at import)
from ._ctype import CTypeName as _CTypeName
from ._dtype import finfo, iinfo
from ._device import device
from ._dtype import (bfloat16, bool, double, dtype, float, float16, float32, float64,
                     get_default_dtype, half, int, int8, int16, int32, int64, long,
                     set_default_dtype, short, uint8)
from ._dtype import cdouble, cfloat, complex64, complex128
from ._dtype import uint16, uint32, uint64
from ._dtype import (float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz,  # noqa: F401
                     float8_e8m0fnu, float4_e2m1fn_x2, uint1, uint2, uint3, uint4, uint5, uint6,
                     uint7, int1, int2, int3, int4, int5, int6, int7, bits1x8, bits2x4, bits4x2,
                     bits8, bits16)
from ._dtype import qint8, qint32, quint2x4, quint4x2, quint8  # noqa: F401
from ._size import Size
from ._tensor import Tensor
from ._tensor_str import set_printoptions
from . import autograd, cuda, return_types  # noqa: E402
from ._ops import _core as _ops_core
from ._ops import _overlap as _ops_overlap
from ._ops import methods as _ops_methods
from ._ops import convert as _convert
from ._ops import creation as _creation
from ._ops import index as _index
from ._ops import linalg as _linalg
from ._ops import pointwise as _pw
from ._ops import reduce as _reduce
from ._ops import shape as _shape
from .autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                       no_grad, set_grad_enabled)
from .autograd import is_anomaly_check_nan_enabled, is_anomaly_enabled  # noqa: F401
from .random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,
                     seed, set_rng_state)
from . import random  # noqa: E402,F401
from . import linalg  # noqa: E402,F401
from . import testing  # noqa: E402,F401
from . import nn  # noqa: E402,F401
from . import utils  # noqa: E402,F401
from . import optim  # noqa: E402,F401

from .version import __version__  # noqa: E402


import math as _math  # noqa: E402

pi, e, inf, nan = _math.pi, _math.e, _math.inf, _math.nan
newaxis = None


class layout(metaclass=_CTypeName):
    """The type of ``torch.strided`` and ``torch.sparse_coo`` (ember's memory layouts)."""

    __module__ = "torch"
    _c_name = "torch.layout"

    def __init__(self, name="torch.strided"):
        self._name = name

    def __repr__(self):
        return self._name

    def __reduce__(self):  # (pickled by name, as a dtype is: the same object comes back)
        return _layout_by_name, (self._name,)


def _layout_by_name(name):
    return globals()[name.rpartition(".")[2]]


_Layout = layout
strided = layout()
sparse_coo = layout("torch.sparse_coo")
sparse_csr, sparse_csc = layout("torch.sparse_csr"), layout("torch.sparse_csc")
sparse_bsr, sparse_bsc = layout("torch.sparse_bsr"), layout("torch.sparse_bsc")
from ._ops.shape import (channels_last, channels_last_3d, contiguous_format,  # noqa: E402
                         memory_format, preserve_format)


class _LegacyType(type):
    """``torch.FloatTensor`` and friends (and ``torch.cuda.FloatTensor``'s, whose
    ``_device_type`` is ``'cuda'``): ``isinstance`` checks the dtype and the device type,
    calling makes one there."""

    _device_type = "cpu"

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype and \
            obj.device.type == cls._device_type and obj.layout is strided  # (a sparse one's
        # are ``torch.sparse.FloatTensor`` and friends)

    def __call__(cls, *args, **kwargs):
        dev = {}
        if cls._device_type != "cpu":
            if not cuda.is_available():
                from ._device import _NO_CUDA, no_cuda
                raise no_cuda(TypeError, f"type torch.{cls._device_type}.{cls.__name__} not "
                                         f"available. {_NO_CUDA}.")
            dev = {"device": cls._device_type}
        extra = set(kwargs) - {"device"}
        if extra - {"size", "data"} or args and extra or len(extra) > 1:
            raise TypeError(_ops_core.format_invalid_args("new", args, kwargs, (
                "(*, torch.device device = None)", "(torch.Storage storage)",
                "(Tensor other)", "(tuple of ints size, *, torch.device device = None)",
                "(object data, *, torch.device device = None)")))
        if not args and set(kwargs) == {"size"}:  # (the two forms' keywords)
            return _creation.empty(tuple(kwargs["size"]), dtype=cls._dtype, **dev)
        if not args and set(kwargs) == {"data"}:
            args = (kwargs["data"],)
        if not args:
            return _creation.empty(0, dtype=cls._dtype, **dev)
        if len(args) == 1 and isinstance(args[0], Tensor) and cls._device_type == "cpu":
            src = args[0]
            if src.dtype is not cls._dtype:  # (the other form of the constructor: an alias)
                opts = ("TensorOptions(dtype={}, device=cpu, layout=Strided, requires_grad=false "
                        "(default), pinned_memory=false (default), memory_format=(nullopt))")
                raise TypeError(f"expected {opts.format(_dtype.cpp_name(cls._dtype))} (got "
                                f"{opts.format(_dtype.cpp_name(src.dtype))})")
            return src.as_subclass(Tensor)
        if len(args) == 1 and isinstance(args[0], Size):
            return _creation.empty(tuple(args[0]), dtype=cls._dtype, **dev)
        if len(args) == 1 and not _ops_core.legacy_one_size(args[0]):
            _creation._check_legacy_data(args[0])
            return _creation._legacy_from_data(args[0], cls._dtype, **dev)
        return _creation.empty(_ops_core.legacy_size(args, kwargs), dtype=cls._dtype, **dev)

    dtype = property(lambda cls: cls._dtype)
    is_cuda = property(lambda cls: cls._device_type == "cuda")

    def __repr__(cls):
        where = "" if cls._device_type == "cpu" else cls._device_type + "."
        return f"<class 'torch.{where}{cls.__name__}'>"


def _legacy_type(name, dt, device_type="cpu"):
    module = "ember" if device_type == "cpu" else f"ember.{device_type}"  # (for pickle)
    return _LegacyType(name, (), {"_dtype": dt, "_device_type": device_type,
                                  "__module__": module})


FloatTensor = _legacy_type("FloatTensor", float32)
DoubleTensor = _legacy_type("DoubleTensor", float64)
HalfTensor = _legacy_type("HalfTensor", float16)
BFloat16Tensor = _legacy_type("BFloat16Tensor", bfloat16)
LongTensor = _legacy_type("LongTensor", int64)
IntTensor = _legacy_type("IntTensor", int32)
ShortTensor = _legacy_type("ShortTensor", int16)
CharTensor = _legacy_type("CharTensor", int8)
ByteTensor = _legacy_type("ByteTensor", uint8)
BoolTensor = _legacy_type("BoolTensor", bool)
ComplexFloatTensor = _legacy_type("ComplexFloatTensor", complex64)
ComplexDoubleTensor = _legacy_type("ComplexDoubleTensor", complex128)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(t) -> bool:
    return t.dtype.is_floating_point


def is_complex(t) -> bool:
    return t.dtype.is_complex


def is_inference(input) -> bool:
    """Whether ``input`` was made under ``inference_mode``."""
    if not isinstance(input, Tensor):
        raise TypeError("is_inference(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input.is_inference()


def numel(t) -> int:
    return t.numel()


_RESULT_TYPE = []  # (its parser, made at the first call by keyword)


def result_type(*args, **kwargs):
    import numbers

    import numpy as np

    if kwargs:  # (``result_type(tensor=x, other=2)``: the signature its names pick)
        if not _RESULT_TYPE:
            _RESULT_TYPE.append(_argparse.Parser("result_type", [_argparse.Signature(s) for s in (
                "Tensor tensor, Tensor other", "Scalar scalar, Tensor tensor",
                "Tensor tensor, Scalar other", "Scalar scalar1, Scalar scalar2")]))
        sig, args, kwargs = _RESULT_TYPE[0].match(args, kwargs)
        args = (*args, *(kwargs[q.name] for q in sig.params[len(args):]))
    if len(args) != 2 or not _builtins.all(
            isinstance(x, (Tensor, numbers.Number, np.bool_)) for x in args):
        raise TypeError(_ops_core.format_invalid_args("result_type", args, {}, (
            "(Tensor tensor, Tensor other)", "(Number scalar, Tensor tensor)",
            "(Tensor tensor, Number other)", "(Number scalar1, Number scalar2)")))
    return _dtype.result_type(*args)


def _dtype_arg(fn, name, pos, d):
    """``d`` as a dtype (Python's float/int/bool name dtypes too, as in PyTorch), else its
    TypeError."""
    import builtins

    if isinstance(d, dtype) or builtins.any(d is t for t in (builtins.float, builtins.int,
                                                             builtins.bool, builtins.complex)):
        return _dtype.to_dtype(d)
    raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be torch.dtype, not "
                    f"{_ops_core.tp_name(d)}")


def can_cast(from_, to) -> bool:
    return _dtype.can_cast(_dtype_arg("can_cast", "from_", 1, from_),
                           _dtype_arg("can_cast", "to", 2, to))


def promote_types(type1, type2):
    return _dtype.promote_types(_dtype_arg("promote_types", "type1", 1, type1),
                                _dtype_arg("promote_types", "type2", 2, type2))


_num_threads = None  # what set_num_threads said, where NumPy's BLAS has no switch for it


def set_num_threads(n) -> None:
    """The threads of NumPy's BLAS, which runs ember's matrix products and convolutions on
    the CPU (NumPy's elementwise work is single-threaded whatever this says)."""
    global _num_threads
    if not _builtins.isinstance(n, _builtins.int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    from ._ops import _cascade

    _cascade.intraop_threads = _builtins.int(n)  # reductions split as PyTorch's would
    if not _blas.set_threads(_builtins.int(n)):
        _num_threads = _builtins.int(n)


def get_num_threads() -> int:
    """The threads ember's CPU matrix products run on (see :func:`set_num_threads`)."""
    n = _blas.threads()
    if n is None:
        n = _num_threads or _os.cpu_count() or 1
    return n


# -- creation -------------------------------------------------------------------
tensor = _creation.tensor
as_tensor = _creation.as_tensor
asarray = _creation.asarray
from_numpy = _creation.from_numpy
zeros, ones, empty, full = _creation.zeros, _creation.ones, _creation.empty, _creation.full
scalar_tensor = _creation.scalar_tensor
zeros_like, ones_like = _creation.zeros_like, _creation.ones_like
empty_like, full_like = _creation.empty_like, _creation.full_like
arange, linspace, logspace, eye = (_creation.arange, _creation.linspace, _creation.logspace,
                                   _creation.eye)
rand, randn, randint, randperm = (_creation.rand, _creation.randn, _creation.randint,
                                  _creation.randperm)
rand_like, randn_like, randint_like = (_creation.rand_like, _creation.randn_like,
                                       _creation.randint_like)
normal, bernoulli, multinomial = _creation.normal, _creation.bernoulli, _creation.multinomial

# -- pointwise --------------------------------------------------------------------
add, sub, subtract, mul, multiply = _pw.add, _pw.sub, _pw.sub, _pw.mul, _pw.mul
div, divide, true_divide, floor_divide = _pw.div, _pw.div, _pw.true_divide, _pw.floor_divide
remainder, fmod, pow, neg, negative = _pw.remainder, _pw.fmod, _pw.pow, _pw.neg, _pw.neg
from ._ops.methods import _pos as positive  # noqa: E402
exp, exp2, expm1, log, log2, log10, log1p = (_pw.exp, _pw.exp2, _pw.expm1, _pw.log, _pw.log2,
                                             _pw.log10, _pw.log1p)
sqrt, rsqrt, reciprocal, square = _pw.sqrt, _pw.rsqrt, _pw.reciprocal, _pw.square
sin, cos, tan, asin, acos, atan = _pw.sin, _pw.cos, _pw.tan, _pw.asin, _pw.acos, _pw.atan
arcsin, arccos, arctan = _pw.asin, _pw.acos, _pw.atan
sinh, cosh, tanh, asinh, acosh, atanh = (_pw.sinh, _pw.cosh, _pw.tanh, _pw.asinh, _pw.acosh,
                                         _pw.atanh)
sigmoid, relu, erf, erfc, erfinv = _pw.sigmoid, _pw.relu, _pw.erf, _pw.erfc, _pw.erfinv
abs, absolute, sign, sgn = _pw.abs, _pw.abs, _pw.sign, _pw.sgn
floor, ceil, trunc, fix, round, frac = (_pw.floor, _pw.ceil, _pw.trunc, _pw.fix, _pw.round,
                                        _pw.frac)
clamp, clip, clamp_min, clamp_max = _pw.clamp, _pw.clip, _pw.clamp_min, _pw.clamp_max
maximum, minimum, fmax, fmin = _pw.maximum, _pw.minimum, _pw.fmax, _pw.fmin
where, lerp, addcmul, addcdiv = _pw.where, _pw.lerp, _pw.addcmul, _pw.addcdiv
atan2, arctan2, hypot, logaddexp, xlogy = (_pw.atan2, _pw.atan2, _pw.hypot, _pw.logaddexp,
                                           _pw.xlogy)
eq, ne, lt, le, gt, ge = _pw.eq, _pw.ne, _pw.lt, _pw.le, _pw.gt, _pw.ge
greater, greater_equal, less, less_equal, not_equal = _pw.gt, _pw.ge, _pw.lt, _pw.le, _pw.ne
logical_and, logical_or, logical_xor, logical_not = (_pw.logical_and, _pw.logical_or,
                                                     _pw.logical_xor, _pw.logical_not)
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = (_pw.bitwise_and, _pw.bitwise_or,
                                                     _pw.bitwise_xor, _pw.bitwise_not)
bitwise_left_shift, bitwise_right_shift = _pw.bitwise_left_shift, _pw.bitwise_right_shift
isnan, isinf, isfinite, isposinf, isneginf, signbit = (_pw.isnan, _pw.isinf, _pw.isfinite,
                                                       _pw.isposinf, _pw.isneginf, _pw.signbit)
nan_to_num, isclose, allclose, equal = _pw.nan_to_num, _pw.isclose, _pw.allclose, _pw.equal


rsub = _pw.rsub

# -- complex numbers ----------------------------------------------------------------
from ._ops import complex as _cx  # noqa: E402

complex, polar, view_as_real, view_as_complex = (_cx.complex_, _cx.polar,
                                                 _cx.view_as_real_checked, _cx.view_as_complex)
real, imag, angle, conj, conj_physical = _cx.real, _cx.imag, _cx.angle, _cx.conj, _cx.conj_physical
conj_physical_ = _cx.conj_physical_
vdot = _cx.vdot
resolve_conj, is_conj, resolve_neg, is_neg = (_cx.resolve_conj, _cx.is_conj, _cx.resolve_neg,
                                              _cx.is_neg)


# -- linear algebra ---------------------------------------------------------------
matmul, mm, bmm, mv, dot, inner = (_linalg.matmul, _linalg.mm, _linalg.bmm, _linalg.mv,
                                   _linalg.dot, _linalg.inner)
outer, ger, addmm, einsum, tensordot = (_linalg.outer, _linalg.ger, _linalg.addmm,
                                        _linalg.einsum, _linalg.tensordot)

# -- reductions -------------------------------------------------------------------
sum, nansum, mean, nanmean, prod = (_reduce.sum, _reduce.nansum, _reduce.mean, _reduce.nanmean,
                                    _reduce.prod)
max, min, amax, amin, aminmax = (_reduce.max, _reduce.min, _reduce.amax, _reduce.amin,
                                 _reduce.aminmax)
argmax, argmin, std, var, std_mean, var_mean = (_reduce.argmax, _reduce.argmin, _reduce.std,
                                                _reduce.var, _reduce.std_mean, _reduce.var_mean)
norm, logsumexp, cumsum, cumprod, cummax, cummin = (_reduce.norm, _reduce.logsumexp,
                                                    _reduce.cumsum, _reduce.cumprod,
                                                    _reduce.cummax, _reduce.cummin)
all, any, count_nonzero = _reduce.all, _reduce.any, _reduce.count_nonzero
hash_tensor = _reduce.hash_tensor
sort, argsort, msort, topk, kthvalue, median = (_reduce.sort, _reduce.argsort, _reduce.msort,
                                                _reduce.topk, _reduce.kthvalue, _reduce.median)
unique, unique_consecutive, bincount = (_reduce.dispatch_words(_reduce.unique, "_", 2, 3),
                                        _reduce.dispatch_words(_reduce.unique_consecutive,
                                                               "_consecutive_", 2, 1),
                                        _reduce.bincount)

# -- shapes -----------------------------------------------------------------------
reshape, flatten, unflatten, squeeze, unsqueeze = (_shape.reshape, _shape.flatten,
                                                   _shape.unflatten, _shape.squeeze,
                                                   _shape.unsqueeze)
permute, transpose, swapaxes, swapdims, t = (_shape.permute, _shape.transpose, _shape.swapaxes,
                                             _shape.swapaxes, _shape.t_)
movedim, moveaxis, broadcast_to, broadcast_tensors = (_shape.movedim, _shape.movedim,
                                                      _shape.broadcast_to,
                                                      _shape.broadcast_tensors)
cat, concat, concatenate, stack, hstack, vstack = (_shape.cat, _shape.cat, _shape.cat,
                                                   _shape.stack, _shape.hstack, _shape.vstack)
split, chunk, tensor_split, unbind = _shape.split, _shape.chunk, _shape.tensor_split, _shape.unbind
split_with_sizes = _shape.split_with_sizes
split_with_sizes = _shape.split_with_sizes
flip, fliplr, flipud, roll, narrow, select = (_shape.flip, _shape.fliplr, _shape.flipud,
                                              _shape.roll, _shape.narrow, _shape.select)
diagonal, diag, diag_embed, tril, triu = (_shape.diagonal, _shape.diag, _shape.diag_embed,
                                          _shape.tril, _shape.triu)
repeat_interleave, tile, clone, detach = (_shape.repeat_interleave, _shape.tile, _shape.clone,
                                          _shape.detach)
atleast_1d, atleast_2d = _shape.atleast_1d, _shape.atleast_2d
as_strided = _shape.as_strided_view

# -- indexing ---------------------------------------------------------------------
gather, scatter, scatter_add, index_select = (_index.gather, _index.scatter, _index.scatter_add,
                                              _index.index_select)
index_add, masked_fill, masked_select, nonzero = (_index.index_add, _index.masked_fill,
                                                  _index.masked_select, _index.nonzero)
argwhere, take = _index.argwhere, _index.take


_OUT = frozenset((
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "pow", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "rsqrt", "reciprocal", "square", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
    "tanh", "asinh", "acosh", "atanh", "sigmoid", "erf", "erfc", "erfinv", "abs", "neg", "sign",
    "floor", "ceil", "trunc", "round", "frac", "clamp", "clip", "maximum", "minimum", "where",
    "lerp", "addcmul", "addcdiv", "atan2", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
    "logical_or", "logical_xor", "logical_not", "matmul", "mm", "bmm", "mv", "dot", "outer",
    "addmm", "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var",
    "logsumexp", "cumsum", "cumprod", "all", "any", "sort", "argsort", "topk", "cat", "concat",
    "concatenate", "stack", "gather", "index_select", "masked_select", "nonzero", "tril", "triu",
    "diag",
    # (not flip and roll: PyTorch's take no ``out=``)
    # more of PyTorch's ops that take ``out=`` (found by the op fuzz sweep)
    "absolute", "negative", "sgn", "fix", "arccos", "arcsin", "arctan", "arccosh", "arcsinh",
    "arctanh", "arctan2", "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_left_shift", "bitwise_right_shift", "isposinf", "isneginf", "signbit", "nan_to_num",
    "angle", "fmax", "fmin", "hypot", "logaddexp", "xlogy", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "nanmean", "column_stack", "dstack", "hstack", "vstack", "inner",
    "conj_physical", "complex", "polar", "deg2rad", "rad2deg", "logit", "i0", "sinc",
    "nansum", "cummax", "cummin", "aminmax", "median", "nanmedian", "mode", "kthvalue",
    "msort", "take_along_dim", "take", "cross", "kron", "float_power", "logcumsumexp",
    "clamp_min", "clamp_max", "softmax", "log_softmax", "vdot", "ger", "narrow_copy",
    "index_add", "index_copy", "scatter", "scatter_add", "scatter_reduce", "tensordot"))

# PyTorch's names for the arguments that ember's functions spell differently, so that
# ``torch.add(input=x, other=y)`` works.  ember's own short names are accepted too.
_KEYWORDS = {
    "addcdiv": {"tensor1": "t1", "tensor2": "t2"}, "addcmul": {"tensor1": "t1", "tensor2": "t2"},
    "addmm": {"input": "bias", "mat1": "a", "mat2": "b"},
    "multinomial": {"input": "probs"},
    "mm": {"mat2": "b"}, "bmm": {"mat2": "b"}, "dot": {"tensor": "b"}, "mv": {"vec": "v"},
    "outer": {"vec2": "b"}, "ger": {"vec2": "b"}, "lerp": {"end": "b"}, "pow": {"exponent": "b"},
    "where": {"condition": "cond", "input": "a", "other": "b"},
    "swapaxes": {"axis0": "a", "axis1": "b"}, "swapdims": {"dim0": "a", "dim1": "b"},
    "from_numpy": {"ndarray": "a"},
}


def _keywords(name, fn):
    """The keyword renames ``fn`` needs to take PyTorch's argument names."""
    import inspect

    renames = dict(_KEYWORDS.get(name, {}))
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return renames
    if params and params[0] in ("a", "t") and params[0] not in renames.values():
        renames["input"] = params[0]
        if len(params) > 1 and params[:2] == ["a", "b"] and "b" not in renames.values():
            renames["other"] = "b"
    return renames


def _public(name, fn):
    """``fn`` as ``torch.<name>``: PyTorch's argument names, and ``out=`` where it has one."""
    import functools

    renames, with_out = _keywords(name, fn), name in _OUT
    if not renames and not with_out:
        return fn
    if name in _NUMBER_PAIRS:  # ``torch.add(2, 3)``: two numbers make a 0-d tensor's op
        fn = _numbers_allowed(fn, name)

    if with_out:
        as_dtype = name in _OUT_SETS_DTYPE
        _COMPLEX_ROWS_OUT = ("mul", "multiply", "div", "divide", "true_divide")

        def wrapper(*args, out=None, **kwargs):
            if kwargs and renames:
                _rename(kwargs, renames)
            if as_dtype and isinstance(out, Tensor):
                _out_reduction_dtype(name, kwargs, out, args)
            if out is None:
                try:
                    return fn(*args, **kwargs)
                except TypeError as e:
                    raise _keyword_type_error(e, name, kwargs, renames) from None
            if name == "where":  # (its out= form takes tensors only)
                _where_out_operands(args, kwargs)
            if name == "cross" and len(args) == 2 and kwargs.get("dim") is None and \
                    isinstance(args[0], Tensor) and 3 in args[0].shape:
                # (cross_out doesn't warn of a missing dim: the one cross would take)
                kwargs["dim"] = tuple(args[0].shape).index(3)
            if name == "ger":  # (ger_out's own warning, not ger's)
                from ._warnings import warn

                warn("torch.ger is deprecated and will be removed in a future PyTorch release. "
                     "Use torch.outer instead.",
                     cpp="aten/src/ATen/native/LinearAlgebra.cpp:1270")
            if name == "mode" and args and isinstance(args[0], Tensor):
                _ops_core.check_mode_out(args[0].dtype, out)
            if name == "diag" and args and isinstance(args[0], Tensor) and \
                    args[0].ndim not in (1, 2):  # (diag_out's words: no "diag(): ")
                raise RuntimeError(f"Supports 1D or 2D tensors. Got {args[0].ndim}D")
            _ops_core.check_out_first(name, args, out)
            if name in _ops_core.SELF_RESIZED and isinstance(out, (tuple, list)) and args and \
                    _builtins.any(o is args[0] for o in out) and isinstance(args[0], Tensor):
                _ops_core.resize_input_out(name, args, kwargs, out)
            if name == "matmul":
                _ops_core.matmul_out_first(*(
                    args[i] if len(args) > i else kwargs.get(renames.get(k, k))
                    for i, k in enumerate(("input", "other"))), out)
            if name in _OUT_OVERLAP_CHECKED and name not in _ops_core._CAT_FAMILY and not (
                    name in _INDEX_OUT and args and isinstance(args[0], Tensor) and
                    isinstance(out, Tensor) and out.shape != args[0].shape) or \
                    name in ("max", "min") and (
                    isinstance(out, (tuple, list)) or len(args) > 1 and
                    isinstance(args[1], Tensor)):  # (not the reduction of all elements)
                _no_partial_overlap(out, args, kwargs, name)
            if name in _ops_core.PAIR_RESIZED and isinstance(out, (tuple, list)) and args and \
                    isinstance(args[0], Tensor):
                _ops_core.resized_pair_overlap(name, args, kwargs, out)
            if name == "pow" and args and not isinstance(args[0], Tensor) and \
                    _ops_core.pow_number_out(args, kwargs, out):
                return out
            strict = _ops_core.strict_out(name, args, kwargs)
            if name == "lerp" and len(args) > 2:  # (its dtype checks come before out's)
                _pw.lerp_dtype_checks(*args[:3])
            if args:
                _ops_core.precheck_out(name, args[0], out, strict)
            held = None
            if name in ("std", "var") and args and isinstance(args[0], Tensor) and \
                    isinstance(out, Tensor) and _ops_core.has_internal_overlap(out._data):
                if args[0].dtype.is_complex:  # (its parts' variances summed in place)
                    raise RuntimeError(_ops_core._OVERLAP)
                import warnings  # (the degrees of freedom are those of the wider reduction)

                held = warnings.catch_warnings(record=True)
                caught = held.__enter__()
                warnings.simplefilter("always")
            try:
                if name in _COMPLEX_ROWS_OUT and isinstance(out, Tensor) and out.is_complex():
                    with _pw.complex_out(out):  # (its layout picks PyTorch's roundings)
                        res = fn(*args, **kwargs)
                else:
                    res = fn(*args, **kwargs)
                if name in _ZEROED_FIRST and _zeroed_first(name, res, out, args, kwargs):
                    res = fn(*args, **kwargs)
            except TypeError as e:
                raise _keyword_type_error(e, name, kwargs, renames) from None
            except NotImplementedError as e:  # (a kernel's refusal of a dtype)
                _ops_core.check_read_write_out(name, args, kwargs, out)
                _ops_core.out_before_kernel(name, args, dict(kwargs, out=out), e)
                raise
            except RuntimeError as e:  # (TensorIterator's checks of ``out`` come before this)
                if str(e).startswith("The size of tensor a"):
                    _ops_core.check_read_write_out(name, args, kwargs, out)
                elif name in _INDEX_OUT and str(e).startswith(_SCATTER_KERNEL):
                    _ops_core.scatter_out_first(name, args[0] if args else None, out)
                elif str(e).startswith(_AFTER_OUT_CHECKS):  # (alpha's checks, the kernel's)
                    _ops_core.check_read_write_out(name, args, kwargs, out)
                    _ops_core.out_before_kernel(name, args, dict(kwargs, out=out), e)
                raise
            except IndexError as e:  # (index_add's kernel's refusal of an index)
                if name in _INDEX_OUT and str(e).startswith(_SCATTER_KERNEL):
                    _ops_core.scatter_out_first(name, args[0] if args else None, out)
                raise
            finally:
                if held is not None:
                    held.__exit__(None, None, None)
            expanded = name in _REDUCED_INTO_EXPANDED and isinstance(out, Tensor) and \
                isinstance(res, Tensor) and out.shape == res.shape and \
                _ops_core.has_internal_overlap(out._data)
            if held is not None and not expanded:
                for m in caught:
                    _warn(m.message, m.category, stacklevel=2)
            if expanded:
                return _reduce_into_expanded(name, res, out, strict, args, kwargs)
            if name in _ops_core._CAT_FAMILY:
                _cat_out_overlap(res, out, args, kwargs)
            if name in _ops_core.PAIR_OUT_CHECKED and isinstance(out, (tuple, list)) and args:
                _ops_core.pair_out_overlap(name, args, kwargs, res, out)
            elif name == "sort" and isinstance(out, (tuple, list)) and len(out) == 2 and \
                    out[0] is not None and isinstance(res, tuple):
                res = _ops_core.sort_into_one(args, kwargs, res, out)
            # (the op's own refusals of its operands came first)
            _ops_core.check_read_write_out(name, args, kwargs, out)
            _ops_core.warn_complex_into_real(name, (*args, *kwargs.values()), out)
            if name in _SCANS and isinstance(out, Tensor) and isinstance(res, Tensor) and \
                    out.shape == res.shape and _overlap_seq.applies(out, res):
                dim = args[1] if len(args) > 1 else kwargs.get("dim")  # (lines written in
                return _ops_core.write_out(out, res, name, strict,  # turn: PyTorch's order)
                                           lambda: _overlap_seq.scan_out(out, res, dim,
                                                                         args[0]))
            if name in _ORDERED_OUT and isinstance(out, Tensor) and isinstance(res, Tensor):
                redo = _ops_overlap.redo_out(name, fn, args, kwargs, out)
                if redo is not None:  # (``out`` shares memory with itself or an input)
                    return _ops_core.write_out(out, res, name, strict, redo)
            if name in _ROWS_OUT and isinstance(out, Tensor) and isinstance(res, Tensor) and \
                    out.shape == res.shape:  # (``out`` shares the input's memory: its rows
                redo = _overlap_seq.reduce_rows_out(name, args, kwargs, out)  # in turn)
                if redo is not None:
                    return _ops_core.write_out(out, res, name, strict, redo)
            return _ops_core.into_out(res, out, name, strict)
    else:  # no ``out=``: passing one fails as it does in PyTorch
        def wrapper(*args, **kwargs):
            if kwargs:
                _rename(kwargs, renames)
            try:
                return fn(*args, **kwargs)
            except TypeError as e:
                raise _keyword_type_error(e, name, kwargs, renames) from None
    return functools.wraps(fn)(wrapper)


def _keyword_type_error(e, name, kwargs, renames):
    """``e``, without the position PyTorch's parser names only for a positional argument
    where that argument came by keyword (``torch.hypot(x, other=2)``)."""
    if kwargs and type(e) is TypeError:
        import re

        msg = str(e)
        m = re.match(r"(\w+)\(\): argument '(\w+)' \(position \d+\) must be ", msg)
        if m and m.group(1) == name and (m.group(2) in kwargs or
                                         renames.get(m.group(2)) in kwargs):
            return TypeError(re.sub(r" \(position \d+\)", "", msg, count=1))
        # (a keyword renamed to ember's name that a positional argument gives too:
        # ``torch.mul(x, 2, other=y)``, in PyTorch's names)
        m = re.fullmatch(r"[\w.<>]+\(\) got multiple values for argument '(\w+)'", msg)
        theirs = {ours: t for t, ours in renames.items()}.get(m.group(1)) if m else None
        if theirs is not None and m.group(1) in kwargs:
            return TypeError(f"{name}() got multiple values for argument '{theirs}'")
    return e


# (the refusals of the scatters' kernels, which come after the check of ``out``'s dtype)
_SCATTER_KERNEL = ("value cannot be converted", "index ")
# The refusals a binary op's kernel (or its alpha check) makes once its ``out=`` is checked
_AFTER_OUT_CHECKS = ("Boolean alpha only", "For integral input tensors, argument alpha",
                     "For non-complex input tensors, argument alpha", "ZeroDivisionError",
                     "value cannot be converted to type")

# Reductions and scans whose ``out=`` tensor's dtype is the one they compute in.
_OUT_SETS_DTYPE = frozenset(("sum", "prod", "nansum", "mean", "nanmean", "cumsum", "cumprod"))


# The ops with ``out=`` whose PyTorch kernels (TensorIterator's and a few more) refuse an
# ``out`` that shares only part of an input's memory (as found on PyTorch 2.13; its
# reductions, matrix products, ``tril``/``triu`` and ``diag`` do not check).
# Elementwise (TensorIterator) ops whose ``out=`` sharing memory with itself or an input is
# written in PyTorch's loop order (``_ops._overlap``)
_ORDERED_OUT = _ops_core._READ_WRITE_CHECKED | _ops_core._UNARY_ITER
_SCANS = frozenset(("cumsum", "cumprod", "logcumsumexp"))
from ._ops import _overlap_seq  # noqa: E402

_OUT_OVERLAP_CHECKED = frozenset((
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "pow", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "rsqrt", "reciprocal", "square", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
    "tanh", "asinh", "acosh", "atanh", "sigmoid", "erf", "erfc", "erfinv", "abs", "neg", "sign",
    "floor", "ceil", "trunc", "round", "frac", "clamp", "clip", "clamp_min", "clamp_max",
    "maximum", "minimum", "where", "lerp", "addcmul", "addcdiv", "atan2", "eq", "ne", "lt", "le",
    "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not", "nan_to_num", "sgn",
    "absolute", "negative", "angle", "deg2rad", "rad2deg", "i0", "sinc", "logit", "fix",
    "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
    "bitwise_right_shift", "fmax", "fmin", "hypot", "logaddexp", "xlogy", "copysign",
    "greater", "greater_equal", "less", "less_equal", "not_equal", "arccos", "arcsin", "arctan",
    "arccosh", "arcsinh", "arctanh", "arctan2", "cat", "concat", "concatenate", "stack", "hstack",
    "vstack", "column_stack", "index_select", "gather", "take", "take_along_dim", "masked_select",
    "cumsum", "cumprod", "logcumsumexp", "sort", "topk", "msort", "kron",
    "outer", "addmm", "cross", "polar", "aminmax", "index_add", "index_copy", "scatter",
    "scatter_add", "scatter_reduce", "mode"))
# (their ``out=`` of another shape than the input is resized first: new memory, no overlap)
_INDEX_OUT = frozenset(("index_add", "index_copy", "scatter", "scatter_add", "scatter_reduce"))


def _cat_out_overlap(res, out, args, kwargs):
    """PyTorch's ``cat``/``stack`` refuse an ``out=`` sharing an input's memory only once
    they have checked their inputs' shapes and resized ``out`` (in its base's memory, so
    ``cat([x[:2], x[2:4]], out=x[:2])`` grows into the inputs and is refused)."""
    if not isinstance(out, Tensor) or not isinstance(res, Tensor):
        return
    if tuple(out.shape) != tuple(res.shape):
        if out.dtype is not res.dtype or out._base is None:
            return  # (write_out's own checks, or new memory: nothing shared)
        _ops_core.warn_resized(out, res.shape)
        if not _ops_core.resize_view_in_storage(out, res.shape):
            _grown_out_overlap(out, res.numel(), args)
            out._data = res._data.copy()  # (new memory, as write_out would give it)
            out._vc.v += 1
            return
    import numpy as np

    a = out._data  # (an input that is all of ``out`` is refused too, unlike for add's ``out=``)
    if type(a) is not np.ndarray or not _ops_core._dense(a):
        return
    lo, hi = _ops_core._bounds(a)
    for t in (v for w in args for v in (w if isinstance(w, (list, tuple)) else (w,))):
        if isinstance(t, Tensor) and type(t._data) is np.ndarray and t.numel() and \
                _ops_core._dense(t._data) and np.may_share_memory(a, t._data):
            t_lo, t_hi = _ops_core._bounds(t._data)
            if lo < t_hi and t_lo < hi:
                raise RuntimeError(_ops_core._PARTIAL)


def _grown_out_overlap(out, n, args):
    """NOTE: PyTorch resizes a view past its storage's end by growing the storage itself
    (ember gives it new memory), so the inputs that the grown ``out`` would cover are refused."""
    import numpy as np

    from ._ops.shape import _storage_root, storage_offset

    root = _storage_root(out)
    if type(root) is not np.ndarray or not root.flags.c_contiguous:
        return
    lo = root.__array_interface__["data"][0] + storage_offset(out) * root.itemsize
    hi = lo + n * root.itemsize
    for t in (a for v in args for a in (v if isinstance(v, (list, tuple)) else (v,))):
        if isinstance(t, Tensor) and type(t._data) is np.ndarray and _ops_core._dense(t._data):
            t_lo, t_hi = _ops_core._bounds(t._data)
            if lo < t_hi and t_lo < hi:
                raise RuntimeError(_ops_core._PARTIAL)


def _no_partial_overlap(out, args, kwargs, name=None):
    """PyTorch's refusal of an ``out=`` sharing part of an input's memory."""
    ins = []
    for v in (*args, *kwargs.values()):
        ins.extend(v if isinstance(v, (list, tuple)) else (v,))
    x = args[0] if args and name in _INPUT_SHAPED_OUT else None
    want = _ops_core.pair_want(name, args, kwargs) if name in _ops_core.PAIR_RESIZED and \
        args and isinstance(args[0], Tensor) and isinstance(out, (list, tuple)) else None
    for o in (out if isinstance(out, (list, tuple)) else (out,)):
        if isinstance(o, Tensor):
            if want is not None and tuple(o.shape) != want:
                continue  # (resized first: ``resized_pair_overlap`` judges it)
            if isinstance(x, Tensor) and o.shape != x.shape:
                # NOTE: these ops resize ``out`` to their input's shape before they check it
                # (in its base's memory: ``cumsum(x, 0, out=x[0])`` becomes all of ``x``, which
                # passes); ``sort``'s pair is judged by ``resized_pair_overlap``
                if name not in _ops_core.PAIR_RESIZED:
                    _ops_core.resized_out_overlap(o, x)
                continue
            _ops_core.check_no_partial_overlap(o, *[t for t in ins if t is not o])


# The ops above whose result has their first input's shape
_INPUT_SHAPED_OUT = frozenset(("cumsum", "cumprod", "logcumsumexp", "sort", "msort"))


# The reductions PyTorch writes into an expanded ``out=``: its TensorIterator reduces the dims
# where ``out`` has a zero stride too (``mean`` then refuses to divide the sum in place).
# ``std``/``var``/``argmax``/``argmin`` are not decomposable: redone over all those dims.
_ROWS_OUT = frozenset(("sum", "nansum", "mean", "nanmean", "amax", "amin", "std", "var",
                       "prod", "all", "any"))
_REDUCED_INTO_EXPANDED = {"sum": "sum", "nansum": "sum", "prod": "prod", "amax": "amax",
                          "amin": "amin", "all": "all", "any": "any", "mean": "sum",
                          "nanmean": "nansum", "std": None, "var": None, "argmax": None,
                          "argmin": None}


def _reduce_whole_into_expanded(name, out, args, kwargs):
    """``std``/``var``/``argmax``/``argmin`` over their dims and those where ``out`` has a zero
    stride, with ``out``'s shape but a size of 1 at the zero-stride dims."""
    import inspect

    sig = inspect.signature(_reduce.var if name in ("std", "var") else _reduce.argmax)
    bound = sig.bind(*args, **kwargs).arguments
    t = bound.pop("t")
    if name in ("std", "var"):
        dim, unbiased, keepdim, correction = _reduce._var_args(
            bound.get("dim"), bound.get("unbiased"), bound.get("keepdim", False),
            bound.get("correction"))
    else:
        dim, keepdim = bound.get("dim"), bound.get("keepdim", False)
    nd = t.ndim
    dims = set(_reduce._dims(t, dim))
    at = [i for i in _builtins.range(nd) if keepdim or i not in dims]  # (each out dim's)
    d = out._data
    extra = {at[i] for i, (n, st) in enumerate(zip(d.shape, d.strides)) if st == 0 and n > 1}
    every = sorted(dims | extra)
    if name in ("std", "var"):
        res = globals()[name](t, every, keepdim=True,
                              correction=_reduce._correction(unbiased, correction))
    else:
        # (PyTorch's index counts in memory order, along the innermost run of reduced dims
        # its iterator merges into one (strides that chain) only: measured)
        st = t.stride()
        order = sorted(every, key=lambda i: -st[i])
        rest = [i for i in _builtins.range(nd) if i not in every]
        flat = t.permute(rest + order).reshape([t.shape[i] for i in rest] + [-1])
        res = getattr(flat, name)(-1)
        run = len(order)
        while run > 1 and st[order[run - 2]] == st[order[run - 1]] * t.shape[order[run - 1]]:
            run -= 1
        span = 1
        for i in order[run - 1:]:
            span *= t.shape[i]
        if run > 1:
            res = res.remainder(span)
        res = res.reshape([1 if i in every else t.shape[i] for i in _builtins.range(nd)])
    if not keepdim and dims:
        res = res.squeeze(tuple(sorted(dims)))
    return res


def _reduce_into_expanded(name, res, out, strict, args, kwargs):
    """``res`` reduced over the zero-stride dims of ``out`` and written there, as PyTorch's."""
    if _REDUCED_INTO_EXPANDED[name] is None:
        res = _reduce_whole_into_expanded(name, out, args, kwargs)
        at = tuple(slice(0, 1) if s == 0 and n > 1 else slice(None)
                   for n, s in zip(out._data.shape, out._data.strides))
        _ops_core.write_out(out[at], res, name, strict)  # (one element where all alias)
        return out
    if name in ("mean", "nanmean"):  # (PyTorch's: the sum, written, then divided in place)
        res = globals()[_REDUCED_INTO_EXPANDED[name]](*args, **kwargs)
    d = out._data
    at = []
    for i, (n, s) in enumerate(zip(d.shape, d.strides)):
        if s == 0 and n > 1:
            res = getattr(res, _REDUCED_INTO_EXPANDED[name])(i, keepdim=True)
            at.append(slice(0, 1))
        else:
            at.append(slice(None))
    _ops_core.write_out(out[tuple(at)], res, name, strict)  # (one element where all alias)
    if name in ("mean", "nanmean"):
        raise RuntimeError(_ops_core._OVERLAP)
    return out


# NOTE: which of PyTorch's CPU matrix products zero an ``out=`` sharing an operand's memory
# before reading it depends on MKL's kernels for the processor: all of them on the AMD
# processor measured (MKL's generic paths), only the matrix-vector ones on an Intel AVX-512
# processor, where ``mm``/``addmm`` give the true product up to 8 rows (their later row blocks
# read rows already written: not reproduced).
_ZEROED_FIRST = frozenset(("mm", "mv", "matmul", "addmm"))


def _mm_zeroes_out() -> bool:
    """Whether ``mm``/``addmm``/2-D ``matmul`` zero an aliased ``out=`` first here."""
    from . import _cpuinfo  # (read once: processors() is cached)

    return _cpuinfo.model_id()[0] != "GenuineIntel"


def _blas_layout(out):
    """Whether PyTorch's CPU kernel writes ``out`` in place (a vector, or a matrix whose rows
    or columns are contiguous: BLAS's layouts), not through a copy; a 0-d result is a dot."""
    if out.ndim != 2:
        return out.ndim == 1
    (n, m), (s0, s1) = out.shape, out.stride()
    return s0 == 1 and (m == 1 or s1 >= n) or s1 == 1 and (n == 1 or s0 >= m)  # (n, m > 0)


def _zeroed_first(name, res, out, args, kwargs):
    """Whether ``out=`` of a matrix product shares an operand's memory: PyTorch's CPU kernel
    zeroes a contiguous ``out`` of the result's shape first (``beta=0``), so the operands read
    those zeros (``torch.mv(m, v, out=v)`` is all zeros).  Zeroes it here when so."""
    import numpy as np

    if not isinstance(out, Tensor) or not isinstance(res, Tensor) or \
            out.shape != res.shape or not _blas_layout(out) or \
            type(out._data) is not np.ndarray or not out._data.flags.writeable or \
            name == "matmul" and [a for a in args if isinstance(a, Tensor) and a.ndim > 2] or \
            name == "addmm" and kwargs.get("beta", 1) != 0 or \
            res.requires_grad or out.requires_grad or out.dtype is not res.dtype:
        return False
    if name != "mv" and not _mm_zeroes_out() and \
            not [a for a in args if isinstance(a, Tensor) and a.ndim == 1]:
        return False  # (a matrix times a matrix on Intel's kernels: see _ZEROED_FIRST)
    if name == "addmm":  # (its ``input`` is not read with beta=0)
        args, kwargs = args[1:], {k: v for k, v in kwargs.items() if k != "input"}
    ins = [a._data for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
    for d in ins:  # (``any`` here is ``torch.any``)
        if type(d) is np.ndarray and np.may_share_memory(d, out._data):
            out._data[...] = 0
            return True
    return False


def _where_out_operands(args, kwargs):
    given = list(args[1:3]) + [None] * (2 - len(args[1:3]))
    for k, (key, alias) in enumerate((("input", "a"), ("other", "b"))):
        v = given[k] if given[k] is not None else kwargs.get(key, kwargs.get(alias))
        if v is not None and not isinstance(v, Tensor):
            raise TypeError(f"where(): argument '{key}' (position {k + 2}) must be Tensor, not "
                            f"{type(v).__name__}")


def _out_reduction_dtype(name, kwargs, out, args=()):
    """PyTorch reduces in the dtype of ``out`` (``mean`` only in a floating one: an integer
    ``out`` then refuses the result, as an integer input does); a ``dtype=`` given too must
    be ``out``'s."""
    want = kwargs.get("dtype")
    if name in ("mean", "nanmean") and args and isinstance(args[0], Tensor) and \
            args[0].dtype._kind < 2 and (want is None or name == "nanmean"):
        if name == "nanmean":  # (before a ``dtype=``'s check too)
            raise RuntimeError("nanmean(): integral types and 'Bool' are not supported for "
                               "nanmean, even for empty tensors.")
        return  # (mean's own refusal of the integer input)
    if want is None:
        if name not in ("mean", "nanmean") or out.dtype.is_floating_point or \
                out.dtype.is_complex:
            kwargs["dtype"] = out.dtype
        return
    want = _dtype.to_dtype(want)
    if want is not out.dtype:
        if name == "nansum":
            raise RuntimeError(f"nansum: provided dtype must match dtype of result. Got "
                               f"{_dtype.scalar_name(out.dtype)} and {_dtype.scalar_name(want)}.")
        raise RuntimeError(f"Expected out tensor to have dtype {_dtype.cpp_name(want)}, but got "
                           f"{_dtype.cpp_name(out.dtype)} instead")

_NUMBER_PAIRS = frozenset(("add", "sub", "subtract", "mul", "multiply", "div", "divide",
                           "true_divide", "floor_divide"))


# (the others refuse a list or an array with their "invalid combination" message)
_TENSOR_OR_NUMBER = frozenset(("add", "sub", "mul", "div"))


_NO_OTHER = object()


def _no_other(name, a, kwargs):
    """PyTorch's words for ``torch.add(x)`` (no ``other``), by the op's signatures."""
    if name == "mul":
        return 'mul() missing 1 required positional arguments: "other"'
    if name == "div":
        return _ops_core.format_invalid_args(name, (a,), kwargs, (
            "(Tensor input, Tensor other, *, Tensor out = None)",
            "(Tensor input, Tensor other, *, str rounding_mode, Tensor out = None)",
            "(Tensor input, Number other, *, str rounding_mode)"))
    text = _ops_core.format_invalid_args(name, (a,), kwargs, ())
    return text.replace("one of:\n", "(Tensor input, Tensor other, *, Number alpha = 1, "
                        "Tensor out = None)")


def _numbers_allowed(fn, name):
    strict = name in _TENSOR_OR_NUMBER

    def op(a=_NO_OTHER, b=_NO_OTHER, *args, **kwargs):
        if a is _NO_OTHER:  # (``torch.mul()``, ``torch.mul(other=y)``: no parser saw it)
            raise TypeError(f'{name}() missing 2 required positional argument: "input", "other"')
        if b is _NO_OTHER:
            raise TypeError(_no_other(name, a, kwargs))
        if strict and (type(a) not in _ops_methods._PLAIN or type(b) not in _ops_methods._PLAIN):
            # (a list or a NumPy array: refused here, unlike the operators)
            _ops_methods.tensor_or_number(name, (a, b), ("input", "other"), 1)
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):
            a = _parsed_number(a)
            if type(a) is _builtins.int and not -(1 << 63) <= a < 1 << 63 or \
                    type(b) is _builtins.int and not -(1 << 63) <= b < 1 << 63:
                a = _uint64_number(a, _parsed_number(b))
            else:
                a = _creation.tensor(a)
        return fn(a, b, *args, **kwargs)
    return op


def _uint64_number(a, b):
    """``a``, the first of two numbers one of which is past int64 (a uint64 Scalar in
    PyTorch), as a 0-d tensor: PyTorch makes both wrapped numbers, so the two integers'
    dtypes promote (refused unless both are uint64)."""
    for v in (a, b):
        if type(v) is _builtins.int:
            _pw.scalar_int(v)  # (the parser's OverflowError past uint64)
    if isinstance(a, (_builtins.bool, _builtins.int)) and \
            isinstance(b, (_builtins.bool, _builtins.int)):
        _dtype.promote_types(_dtype.scalar_dtype(a), _dtype.scalar_dtype(b))
    if type(a) is _builtins.int and a >= 1 << 63:
        return _creation.tensor(a, dtype=uint64)
    return _creation.tensor(a)


def _parsed_number(a):
    """A NumPy number as PyTorch's parser reads a Scalar argument: an integer one as an int, a
    complex128 as a complex, any other (a bool, a complex64: NumPy's warning) as a float."""
    import numpy as np

    if not isinstance(a, np.generic):
        return a
    b = _builtins
    if isinstance(a, np.complexfloating) and not isinstance(a, b.complex):
        from ._warnings import warn  # (NumPy's warning, at the caller's line)

        warn("Casting complex values to real discards the imaginary part",
             np.exceptions.ComplexWarning)
        return b.float(a.real)
    return b.int(a) if isinstance(a, np.integer) else b.complex(a) if isinstance(
        a, b.complex) else b.float(a)


def _rename(kwargs, renames):
    for theirs, ours in renames.items():
        if theirs in kwargs:
            kwargs[ours] = kwargs.pop(theirs)


def _nn(name):
    def fn(*args, **kwargs):
        from ._ops.methods import check_dim_given, dim_dtype_args

        check_dim_given(name, args[1:], kwargs, 2)
        rest, kwargs = dim_dtype_args(name, args[1:], kwargs)
        return getattr(nn.functional, name)(*args[:1], *rest, **kwargs)
    fn.__name__ = name
    return fn


# Activations PyTorch also offers at the top level (``torch.softmax(x, 1)``).
softmax, log_softmax, selu, celu, prelu, hardshrink, threshold, relu_ = (
    _nn("softmax"), _nn("log_softmax"), _nn("selu"), _nn("celu"), _nn("prelu"),
    _nn("hardshrink"), _nn("threshold"), _nn("relu_"))
conv2d, conv1d = _nn("conv2d"), _nn("conv1d")


# torch.* spellings whose arguments differ from nn.functional's: the weight first for
# embedding, batch_norm's affine parameters before the running statistics, and a trailing
# cuDNN switch (which changes nothing here)
def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    return nn.functional.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    from .nn._functional.normalization import _batch_norm

    # (PyTorch's op: without nn.functional's batch size and eps checks)
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return nn.functional.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return nn.functional.group_norm(input, num_groups, weight, bias, eps)
cosine_similarity, pairwise_distance, max_pool2d, avg_pool2d = (
    _nn("cosine_similarity"), _nn("pairwise_distance"), _nn("max_pool2d"), _nn("avg_pool2d"))
rrelu, rrelu_ = _nn("rrelu"), _nn("rrelu_")


range = _creation.range_
det, logdet, slogdet, inverse, pinverse, matrix_power, svd, qr, cholesky, cross = (
    linalg.TORCH_FUNCTIONS[_n] for _n in ("det", "logdet", "slogdet", "inverse", "pinverse",
                                          "matrix_power", "svd", "qr", "cholesky", "cross"))
matrix_exp = linalg.matrix_exp
broadcast_shapes = _shape.broadcast_shapes_api


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings

        from ._warnings import warn_once  # (PyTorch's TORCH_WARN_ONCE)

        warn_once("meshgrid-indexing", "torch.meshgrid: in an upcoming release, it will be "
                  "required to pass the indexing argument.",
                  cpp="aten/src/ATen/native/TensorShape.cpp:4215")
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    ts = list(tensors)
    if not ts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    if _builtins.any(t.dtype is not ts[0].dtype for t in ts):  # (before any tensor's dims)
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in ts:
        if t.ndim > 1:
            from ._ops._core import _legacy

            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}\n[ torch.{_legacy(t.dtype)}Tensor"
                               f"{{{','.join(map(str, t.shape))}}} ]")
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    out = [t.reshape([-1 if i == k else 1 for i in _builtins.range(len(ts))]).expand(shape)
           for k, t in enumerate(ts)]
    if swap:  # built over (y, x, ...): the outputs go back to the inputs' order
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def take_along_dim(input, indices, dim=None):
    return _index.take_along_dim(input, indices, dim)


def _indices_dtype(name, dtype):
    """PyTorch's refusal of an index dtype other than int32/int64 (its kernels have no other)."""
    if dtype is not None and dtype not in (int64, int32):
        from ._ops._core import _legacy

        raise NotImplementedError(f"\"{name}\" not implemented for '{_legacy(dtype)}'")


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False):
    import numpy as _np

    for _what, _v in (("row", row), ("col", col)):
        if _v < 0:  # (PyTorch's words, without the space)
            raise RuntimeError(f"{_what} must be non-negative, got{_v}")

    _indices_dtype("tril_indices", dtype)
    _creation._device(device, "aten::tril_indices")
    r, c = _np.tril_indices(row, offset, col)
    return _creation.tensor(_np.stack([r, c]), dtype=dtype or int64, device=device,
                            pin_memory=pin_memory)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False):
    import numpy as _np

    for _what, _v in (("row", row), ("col", col)):
        if _v < 0:  # (PyTorch's words, without the space)
            raise RuntimeError(f"{_what} must be non-negative, got{_v}")

    _indices_dtype("triu_indices", dtype)
    _creation._device(device, "aten::triu_indices")
    r, c = _np.triu_indices(row, offset, col)
    return _creation.tensor(_np.stack([r, c]), dtype=dtype or int64, device=device,
                            pin_memory=pin_memory)


def rot90(input, k=1, dims=(0, 1)):
    from ._ops._core import fused  # (one Rot90Backward0 node, as PyTorch shows)

    return fused("Rot90Backward0", lambda x: _rot90(x, k, dims), input)


def _rot90(input, k, dims):
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    from ._ops._core import norm_dim
    a, b = (norm_dim(d, input.dim()) for d in dims)
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    k %= 4
    if k == 1:  # (an in-place transpose of the flipped copy, as PyTorch's: not a view)
        return input.flip(b).transpose_(a, b)
    if k == 2:
        return input.flip((a, b))
    if k == 3:
        return input.flip(a).transpose_(a, b)
    return input.clone(memory_format=contiguous_format)


Tensor.rot90 = rot90

_SCALAR_NAMES = {repr(d): _dtype.scalar_name(d) for d in _dtype.ALL}


def _sampler_dtype(t, kernel, halves=False):
    ok = t.dtype.is_floating_point and (halves or t.dtype.itemsize >= 4)
    if not ok:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_SCALAR_NAMES.get(str(t.dtype), str(t.dtype))}'")


def poisson(input, generator=None):
    """One Poisson(rate) count per element; PyTorch's counts for the same seed on the CPU."""
    from .distributions._sampling import poisson_tensor
    if generator is not None and not hasattr(generator, "_core"):
        raise TypeError("poisson(): argument 'generator' must be torch.Generator, not "
                        f"{type(generator).__name__}")
    _sampler_dtype(input, "poisson_cpu", halves=True)
    return poisson_tensor(input.detach(), generator)


def binomial(count, prob, generator=None):
    """One Binomial(count, prob) draw per element; PyTorch's draws for the same seed."""
    from .distributions._sampling import binomial_tensor
    if not count.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{_SCALAR_NAMES.get(str(count.dtype), str(count.dtype))}")
    if prob.dtype is not count.dtype:
        raise RuntimeError(f"Found dtype {_SCALAR_NAMES.get(str(prob.dtype), 'Double')} but "
                           f"expected {_SCALAR_NAMES.get(str(count.dtype), 'Float')}")
    count, prob = broadcast_tensors(count.detach(), prob.detach())
    return binomial_tensor(count, prob, generator)


def _standard_gamma(input, generator=None):
    from .distributions._sampling import standard_gamma
    return standard_gamma(input, generator)


def _sample_dirichlet(input, generator=None):
    from .distributions._sampling import dirichlet
    return dirichlet(input, generator).detach()


@_shape._each
def atleast_3d(t):
    if t.dim() == 0:
        return t.reshape(1, 1, 1)
    if t.dim() == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    if t.dim() == 2:
        return t.unsqueeze(-1)
    return t


def dstack(tensors):
    return cat([atleast_3d(t) for t in _shape._tensor_seq(tensors, "dstack")], 2)


def column_stack(tensors):
    return cat([t.reshape(-1, 1) if t.dim() <= 1 else t
                for t in _shape._tensor_seq(tensors, "column_stack")], 1)


def index_put(input, indices, values, accumulate=False):
    _index.check_index_tensors(indices, 1)  # (the function's argument number)
    return input.index_put(indices, values, accumulate)


def get_device(t):
    return t.get_device()


def typename(obj):
    """``torch.FloatTensor`` for a tensor, the dotted class name of anything else."""
    from .optim.optimizer import _typename

    if storage.is_storage(obj):  # (PyTorch's module names for its storage classes)
        return storage._typename(obj)
    return _typename(obj)


from ._ops.more_math import *  # noqa: E402,F401,F403
from ._ops.more_tensor import *  # noqa: E402,F401,F403
from ._ops import more_inplace as _more_inplace  # noqa: E402,F401
from ._ops.api_gaps import *  # noqa: E402,F401,F403
from ._ops import api_gaps as _api_gaps  # noqa: E402
globals().update(_api_gaps.torch_inplace_functions())


def index_put_(input, indices, values, accumulate=False):
    _index.check_index_tensors(indices, 1)  # (the function's argument number)
    return _api_gaps._torch_inplace("index_put_")(input, indices, values, accumulate)


from ._ops.compat_api import *  # noqa: E402,F401,F403
from ._ops import compat_api as _compat_api  # noqa: E402
_compat_api.install(Tensor)
cuda.OutOfMemoryError = OutOfMemoryError  # noqa: F405  (one class, as in PyTorch)
from ._linalg_lu import cholesky_inverse, cholesky_solve, lu_unpack  # noqa: E402,F401
from ._linalg_lu import torch_lu as lu, torch_lu_solve as lu_solve  # noqa: E402,F401
from ._linalg_lu import geqrf, orgqr, ormqr, triangular_solve  # noqa: E402,F401
from ._ops.special_more import igamma, igammac  # noqa: E402,F401
from . import special  # noqa: E402,F401
from . import distributions  # noqa: E402,F401
from . import mps, signal, types, xpu  # noqa: E402,F401
from . import distributed  # noqa: E402,F401
from ._compile import compile  # noqa: E402,F401
from . import amp  # noqa: E402,F401
from .amp import autocast, get_autocast_dtype, is_autocast_enabled  # noqa: E402,F401
from .amp.autocast_mode import (get_autocast_cpu_dtype, get_autocast_gpu_dtype,  # noqa: E402,F401
                                is_autocast_cpu_enabled, set_autocast_enabled,
                                set_autocast_dtype, set_autocast_cpu_enabled,
                                set_autocast_cpu_dtype, set_autocast_gpu_dtype,
                                is_autocast_cache_enabled, set_autocast_cache_enabled,
                                clear_autocast_cache, autocast_increment_nesting,
                                autocast_decrement_nesting)
from . import compiler, cpu  # noqa: E402,F401
from . import __future__  # noqa: E402,F401  (torch.__future__: module conversion switches)
from . import _dynamo, _inductor  # noqa: E402,F401  (their settings, for scripts that set them)
from ._functional_rnn import gru, lstm, rnn_relu, rnn_tanh, segment_reduce  # noqa: E402,F401
from . import library  # noqa: E402,F401  (torch.library: custom operators)
from ._ops_namespace import ops  # noqa: E402,F401  (torch.ops.<ns>.<op>)

for _name, _fn in list(globals().items()):
    if not _name.startswith("_") and isinstance(_fn, type(_public)):
        globals()[_name] = _public(_name, _fn)
del _name, _fn


from . import storage  # noqa: E402
from .storage import (BFloat16Storage, BoolStorage, ByteStorage, CharStorage,  # noqa: E402,F401
                      ComplexDoubleStorage, ComplexFloatStorage, DoubleStorage,
                      FloatStorage, HalfStorage, IntStorage, LongStorage, ShortStorage,
                      TypedStorage, UntypedStorage, is_storage)

storage._install(Tensor)
Storage = FloatStorage  # (PyTorch's alias of the default dtype's legacy storage class)
from . import serialization  # noqa: E402
from .serialization import load, save  # noqa: E402
from . import accelerator  # noqa: E402,F401
from . import multiprocessing  # noqa: E402,F401
from . import func  # noqa: E402,F401
from .func import vmap  # noqa: E402,F401
from . import fft  # noqa: E402,F401
stft, istft = fft._stft, fft._istft
from . import hub  # noqa: E402,F401
from . import __config__, backends, version  # noqa: E402,F401
from .backends import (are_deterministic_algorithms_enabled,  # noqa: E402,F401
                       get_float32_matmul_precision,
                       is_deterministic_algorithms_warn_only_enabled,
                       set_float32_matmul_precision, use_deterministic_algorithms)
from . import jit, profiler  # noqa: E402,F401
from . import fx  # noqa: E402,F401
from .fx._symbolic_trace import _assert  # noqa: E402,F401
from . import sparse  # noqa: E402,F401  (sparse COO tensors: ember._sparse)
from ._sparse import sparse_coo_tensor  # noqa: E402,F401
from ._sparse_compressed import (sparse_bsc_tensor, sparse_bsr_tensor,  # noqa: E402,F401
                                sparse_compressed_tensor, sparse_csc_tensor,
                                sparse_csr_tensor)
from ._quantized import (dequantize, qscheme, per_tensor_affine, per_channel_affine,  # noqa: E402,F401
                         per_tensor_symmetric, per_channel_symmetric,
                         per_channel_affine_float_qparams, quantize_per_tensor,
                         quantize_per_channel, quantize_per_tensor_dynamic, int_repr,
                         _make_per_tensor_quantized_tensor, _make_per_channel_quantized_tensor)
from . import ao, quantization  # noqa: E402,F401  (quantized tensors: ember._quantized)
from . import quasirandom  # noqa: E402,F401
from .utils.dlpack import from_dlpack, to_dlpack, _install as _dlpack_install  # noqa: E402,F401
_dlpack_install(Tensor)
_ops_methods.check_tensor_args(Tensor)  # (once every method is on Tensor)
from ._unsupported import module_getattr as _module_getattr  # noqa: E402

_torch_getattr = _module_getattr("torch")


def __getattr__(name):
    # ember.vision (torchvision's part) is imported on first use, as PyTorch leaves torchvision
    # to its own import: a script that never touches it does not pay its 0.2 s.
    if name == "vision":
        import importlib
        return importlib.import_module(".vision", __name__)
    if name == "GradScaler":  # PyTorch's top-level name for torch.amp.GradScaler
        from .amp import GradScaler
        return GradScaler
    if name in _DEPRECATED_HAS:  # PyTorch's deprecated ``torch.has_cuda`` and the like
        module, fn = _DEPRECATED_HAS[name]
        _warn(f"'{name}' is deprecated, please use 'torch.backends.{module}.{fn}()'")
        import importlib
        return getattr(importlib.import_module(f".backends.{module}", __name__), fn)()
    return _torch_getattr(name)


_DEPRECATED_HAS = {"has_mps": ("mps", "is_built"), "has_cuda": ("cuda", "is_built"),
                   "has_cudnn": ("cudnn", "is_available"),
                   "has_mkldnn": ("mkldnn", "is_available")}

# PyTorch's TypeError when a list or NumPy array is passed where these take a tensor (ember
# would otherwise fail inside with an AttributeError about the list).
for _name in (
        "abs absolute acos acosh adjoint all amax amin aminmax angle any arccos arccosh arcsin "
        "arcsinh arctan arctanh argmax argmin argsort argwhere asin asinh atan atanh "
        "bernoulli bincount bitwise_not ceil cholesky_inverse clamp clamp_ "
        "clip clip_ clone conj conj_physical conj_physical_ corrcoef cos cosh count_nonzero cov "
        "cumulative_trapezoid deg2rad_ detach diag diag_embed diagflat diagonal diff dsplit erf "
        "erfc erfinv exp exp2 expm1 fix flatten fliplr flipud floor frac geqrf get_device histc "
        "histogram hsplit i0_ imag is_complex is_conj is_floating_point is_nonzero isfinite "
        "isinf isnan isneginf isposinf log log10 log1p log2 logical_not logit_ max mean median "
        "min mode msort nan_to_num nanmean nanmedian nansum neg negative nonzero numel pdist "
        "poisson positive prod rad2deg_ ravel real reciprocal relu repeat_interleave reshape "
        "resolve_conj rot90 round rsqrt sgn sigmoid sign signbit sin sinc_ sinh sort sqrt square "
        "squeeze std std_mean sum t tan tanh tile trace trapezoid trapz tril triu trunc unbind "
        "unique unique_consecutive vander var var_mean view_as_complex view_as_real vsplit "
        "matmul softmax log_softmax").split():
    if _name in globals():
        globals()[_name] = _ops_core.tensor_input(globals()[_name], _name)
for _name in _ops_core.NUMPY_DIM_ALIASED:  # (the functions and the methods)
    if _name in globals():
        globals()[_name] = _ops_core.numpy_dim_aliases(globals()[_name])
    if callable(Tensor.__dict__.get(_name)):
        setattr(Tensor, _name, _ops_core.numpy_dim_aliases(Tensor.__dict__[_name]))
del _name
# PyTorch's argument parser's errors (wrong types, unexpected keywords, no fitting signature)
from . import _argparse  # noqa: E402

for _name in _argparse.SIGNATURES:
    if _name in globals():
        globals()[_name] = _argparse.checked(globals()[_name], _name)
    if _name not in _argparse.NO_METHOD and _name not in _argparse.METHOD_SIGNATURES and \
            callable(Tensor.__dict__.get(_name)):
        setattr(Tensor, _name, _argparse.checked(Tensor.__dict__[_name], _name, method=True))
linalg.vector_norm = _argparse.checked(linalg.vector_norm, "linalg_vector_norm", renames=False)
linalg.matrix_power = _argparse.checked(linalg.matrix_power, "linalg_matrix_power", renames=False)
linalg.norm = _argparse.checked(linalg.norm, "linalg_norm", renames=False)
linalg.matrix_norm = _argparse.checked(linalg.matrix_norm, "linalg_matrix_norm", renames=False)
for _name in ("pinv", "matrix_rank", "cond"):
    setattr(linalg, _name, _argparse.checked(getattr(linalg, _name), "linalg_" + _name))
for _name in ("xlogy", "xlog1py", "zeta"):
    setattr(special, _name, _argparse.checked(getattr(special, _name), "special_" + _name))
for _name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft"):
    setattr(fft, _name, _argparse.checked(getattr(fft, _name), "fft_" + _name))
for _name in _argparse.METHOD_SIGNATURES:
    setattr(Tensor, _name, _argparse.checked(Tensor.__dict__[_name], _name, method=True))
Tensor.unflatten = _argparse.python_unflatten(Tensor.unflatten)
Tensor.split = _argparse.python_split(Tensor.split, True)
split = _argparse.python_split(split, False)
for _name in _argparse.NO_ARGS:
    if callable(Tensor.__dict__.get(_name)):
        setattr(Tensor, _name, _argparse.no_args(Tensor.__dict__[_name], _name))
for _name in _argparse.PYTHON_METHODS:
    if callable(Tensor.__dict__.get(_name)):
        setattr(Tensor, _name, _argparse.method_words(Tensor.__dict__[_name], _name))
del _name

# autocast's CPU float32 and promote lists (PyTorch applies them after parsing the arguments)
from .amp import autocast_mode as _autocast_mode  # noqa: E402
_autocast_mode.install_cpu_lists(globals(), Tensor, linalg, fft, nn.functional)
del _autocast_mode

# ``__torch_function__``: tensor subclasses, tensor-likes and modes see the public functions
# (ember._subclass); this goes last, so that the dispatching layer is the outermost one.
from . import _C, overrides, _subclass as _sc  # noqa: E402,F401

_sc.install_public(globals(), "torch")
for _ns, _mod in ((nn.functional, "torch.nn.functional"), (linalg, "torch.linalg"),
                  (fft, "torch.fft"), (special, "torch.special")):
    _sc.install_public(vars(_ns), _mod, py=_mod == "torch.nn.functional")
_sc.install_public(vars(autograd), "torch.autograd", py=True, names=("grad", "backward"))
del _ns, _mod
from . import functional  # noqa: E402,F401  (after the wrapping: it re-exports the wrapped functions)
