"""Elementwise ops, each with its backward rule beside it.

Binary ops promote their operands with PyTorch's rules (``_dtype.result_type``)
before NumPy sees them, so NumPy's own promotion never decides a dtype.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from . import _special
from ._core import (OUT, check_inplace, check_same_device, commit, make, needs_grad, snapshot,
                    wrap, xp_of)


def _arr(x, dt):
    """``x`` (tensor or Python scalar) as an array / scalar of dtype ``dt`` for NumPy."""
    if isinstance(x, Tensor):
        a = x._data
        return a if a.dtype == dt.np else a.astype(dt.np)
    return np.asarray(x).astype(dt.np)[()]


_LOW = (D.float16, D.bfloat16)


def _operands(a, b):
    """Promote ``a`` and ``b`` (one may be a Python scalar) for a binary op."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError("expected at least one tensor operand")
        a = _scalar(a)
    elif not isinstance(b, Tensor):
        b = _scalar(b)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._device != b._device:
        check_same_device(a, b)
    dt = D.result_type(a, b)
    # NOTE: PyTorch computes half and bfloat16 ops in float32 and rounds once at the end.
    cdt = D.float32 if dt in _LOW else dt
    return dt, _arr(a, cdt), _arr(b, cdt)


def _scalar(v):
    if isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, (np.bool_, np.integer, np.floating)):
        return v.item()
    if isinstance(v, (list, tuple, np.ndarray)):
        from .creation import tensor

        return tensor(v)
    raise TypeError(f"unsupported operand type: '{type(v).__name__}'")


def _t(x):
    return x if isinstance(x, Tensor) else None


def _binary(a, b, fn, name, rule, *saved):
    dt, x, y = _operands(a, b)
    ta, tb = _t(a), _t(b)
    ref = ta if ta is not None else tb
    try:
        out = fn(x, y)
    except ValueError:
        _broadcast_error(a, b)
        raise
    if type(out) is not type(ref._data) or out.dtype != dt.np:
        out = np.asarray(out).astype(dt.np) if out.dtype != np.bool_ or dt is D.bool else out
    return make(out, (ta, tb), name, rule, *saved, device=ref._device)


def _broadcast_error(a, b):
    sa = tuple(a.shape) if isinstance(a, Tensor) else ()
    sb = tuple(b.shape) if isinstance(b, Tensor) else ()
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {max(len(sa), len(sb)) - i}")


# -- arithmetic ---------------------------------------------------------------

def add(a, b, *, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    return _binary(a, b, np.add, "AddBackward0", _add_rule)


def _add_rule(ctx, g):
    return g, g


def sub(a, b, *, alpha=1):
    if isinstance(a, Tensor) and a.dtype is D.bool and (isinstance(b, Tensor)
                                                        and b.dtype is D.bool):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if alpha != 1:
        b = mul(b, alpha)
    return _binary(a, b, np.subtract, "SubBackward0", _sub_rule)


def _sub_rule(ctx, g):
    return g, (-g if ctx.needs_input_grad[1] else None)


def rsub(a, b):
    """``b - a`` for a Python scalar ``b`` (PyTorch's RsubBackward1)."""
    dt, x, y = _operands(a, b)
    return make(np.asarray(np.subtract(y, x)).astype(dt.np, copy=False), (a,), "RsubBackward1",
                _rsub_rule)


def _rsub_rule(ctx, g):
    return (-g,)


def mul(a, b):
    return _binary(a, b, np.multiply, "MulBackward0", _mul_rule, a, b)


def _mul_rule(ctx, g):
    a, b = ctx.saved
    return (g * b if ctx.needs_input_grad[0] else None,
            g * a if ctx.needs_input_grad[1] else None)


def div(a, b, *, rounding_mode=None):
    if rounding_mode is not None:
        if rounding_mode == "floor":
            return floor_divide(a, b)
        if rounding_mode == "trunc":
            return _int_like(trunc(true_divide(a, b)), a, b)
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    return true_divide(a, b)


def true_divide(a, b):
    dt = D.result_type(a, b)
    if not dt.is_floating_point:  # int / int is a float in PyTorch
        dt = D.get_default_dtype()
        a = _cast(a, dt)
        b = _cast(b, dt)
    return _binary(a, b, _np_divide, "DivBackward0", _div_rule, a, b)


def _np_divide(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(x, y)


def _cast(x, dt):
    return x.to(dt) if isinstance(x, Tensor) else float(x)


def _div_rule(ctx, g):
    a, b = ctx.saved
    ga = g / b if ctx.needs_input_grad[0] else None
    gb = -g * a / (b * b) if ctx.needs_input_grad[1] else None
    return ga, gb


def rtruediv(a, s):
    """``s / a`` for a scalar ``s``: PyTorch computes ``reciprocal(a) * s``."""
    return mul(reciprocal(a), s)


def _int_like(res, a, b):
    dt = D.result_type(a, b)
    return res if dt.is_floating_point else res.to(dt)


def floor_divide(a, b):
    dt = D.result_type(a, b)

    def fn(x, y):
        if dt.is_floating_point:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.floor(np.true_divide(x, y))
        if np.any(np.asarray(y) == 0):
            raise RuntimeError("ZeroDivisionError")
        return np.floor_divide(x, y)
    return _binary(a, b, fn, "DivBackward1", None)


def remainder(a, b):
    def fn(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.remainder(x, y)
    return _binary(a, b, fn, "RemainderBackward0", _remainder_rule, a, b)


def _remainder_rule(ctx, g):
    a, b = ctx.saved
    return g, (-g * floor_divide(a, b) if ctx.needs_input_grad[1] else None)


def fmod(a, b):
    def fn(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.fmod(x, y)
    return _binary(a, b, fn, "FmodBackward0", _fmod_rule, a, b)


def _fmod_rule(ctx, g):
    a, b = ctx.saved
    return g, (-g * trunc(a / b) if ctx.needs_input_grad[1] else None)


def pow(a, b):
    if not isinstance(a, Tensor):
        return _rpow(a, b)
    if not isinstance(b, Tensor):
        dt = D.result_type(a, b)
        if isinstance(b, int) and not isinstance(b, bool) and b < 0 and not dt.is_floating_point:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        dt, x, y = _operands(a, b)
        out = np.asarray(_np_pow(x, y)).astype(dt.np, copy=False)
        return make(out, (a,), "PowBackward0", _pow_scalar_rule, a, b)
    return _binary(a, b, _np_pow, "PowBackward1", _pow_rule, a, b, OUT)


def _np_pow(x, y):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.power(x, y)


def _pow_scalar_rule(ctx, g):
    a, e = ctx.saved
    if e == 0:
        return (g * 0,)
    return (g * e * a.pow(e - 1),)


def _pow_rule(ctx, g):
    a, b, out = ctx.saved
    ga = g * b * a.pow(b - 1) if ctx.needs_input_grad[0] else None
    gb = None
    if ctx.needs_input_grad[1]:
        gb = g * where(a.eq(0) & b.ge(0), 0.0, out * a.log())
    return ga, gb


def _rpow(s, b):
    dt, sx, x = _operands(s, b)
    out = _np_pow(sx, x)
    return make(np.asarray(out, dtype=dt.np), (b,), "PowBackward2", _rpow_rule, s, OUT)


def _rpow_rule(ctx, g):
    s, out = ctx.saved
    return (g * out * math.log(s) if s > 0 else g * out * float("nan") if s < 0 else g * 0,)


def neg(a):
    if a.dtype is D.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    return make(np.negative(a._data), (a,), "NegBackward0", _neg_rule)


def _neg_rule(ctx, g):
    return (-g,)


# -- unary math ---------------------------------------------------------------

def _float_data(a):
    """``a``'s array, converted to the default float dtype if ``a`` is not floating."""
    d = a._data
    if a.dtype.is_floating_point:
        return d
    return d.astype(D.get_default_dtype().np)


def _unary_float(a, fn, name, rule, *saved):
    with np.errstate(all="ignore"):
        out = fn(_float_data(a))
    return make(out, (a,), name, rule, *[a if s == "in" else s for s in saved])


def exp(a):
    return _unary_float(a, np.exp, "ExpBackward0", lambda ctx, g: (g * ctx.saved[0],), OUT)


def exp2(a):
    return _unary_float(a, np.exp2, "Exp2Backward0",
                        lambda ctx, g: (g * ctx.saved[0] * math.log(2),), OUT)


def expm1(a):
    return _unary_float(a, np.expm1, "Expm1Backward0",
                        lambda ctx, g: (g * (ctx.saved[0] + 1),), OUT)


def log(a):
    return _unary_float(a, np.log, "LogBackward0", lambda ctx, g: (g / ctx.saved[0],), "in")


def log2(a):
    return _unary_float(a, np.log2, "Log2Backward0",
                        lambda ctx, g: (g / (ctx.saved[0] * math.log(2)),), "in")


def log10(a):
    return _unary_float(a, np.log10, "Log10Backward0",
                        lambda ctx, g: (g / (ctx.saved[0] * math.log(10)),), "in")


def log1p(a):
    return _unary_float(a, np.log1p, "Log1PBackward0",
                        lambda ctx, g: (g / (ctx.saved[0] + 1),), "in")


def sqrt(a):
    return _unary_float(a, np.sqrt, "SqrtBackward0", lambda ctx, g: (g / (2 * ctx.saved[0]),), OUT)


def rsqrt(a):
    return _unary_float(a, lambda x: 1 / np.sqrt(x), "RsqrtBackward0",
                        lambda ctx, g: (-0.5 * g * ctx.saved[0].pow(3),), OUT)


def reciprocal(a):
    return _unary_float(a, lambda x: 1 / x, "ReciprocalBackward0",
                        lambda ctx, g: (-g * ctx.saved[0] * ctx.saved[0],), OUT)


def sin(a):
    return _unary_float(a, np.sin, "SinBackward0", lambda ctx, g: (g * ctx.saved[0].cos(),), "in")


def cos(a):
    return _unary_float(a, np.cos, "CosBackward0", lambda ctx, g: (-g * ctx.saved[0].sin(),), "in")


def tan(a):
    return _unary_float(a, np.tan, "TanBackward0",
                        lambda ctx, g: (g * (1 + ctx.saved[0] * ctx.saved[0]),), OUT)


def asin(a):
    return _unary_float(a, np.arcsin, "AsinBackward0",
                        lambda ctx, g: (g * (1 - ctx.saved[0] * ctx.saved[0]).rsqrt(),), "in")


def acos(a):
    return _unary_float(a, np.arccos, "AcosBackward0",
                        lambda ctx, g: (-g * (1 - ctx.saved[0] * ctx.saved[0]).rsqrt(),), "in")


def atan(a):
    return _unary_float(a, np.arctan, "AtanBackward0",
                        lambda ctx, g: (g / (1 + ctx.saved[0] * ctx.saved[0]),), "in")


def sinh(a):
    return _unary_float(a, np.sinh, "SinhBackward0", lambda ctx, g: (g * ctx.saved[0].cosh(),),
                        "in")


def cosh(a):
    return _unary_float(a, np.cosh, "CoshBackward0", lambda ctx, g: (g * ctx.saved[0].sinh(),),
                        "in")


def tanh(a):
    return _unary_float(a, np.tanh, "TanhBackward0",
                        lambda ctx, g: (g * (1 - ctx.saved[0] * ctx.saved[0]),), OUT)


def asinh(a):
    return _unary_float(a, np.arcsinh, "AsinhBackward0",
                        lambda ctx, g: (g * (ctx.saved[0] * ctx.saved[0] + 1).rsqrt(),), "in")


def acosh(a):
    return _unary_float(a, np.arccosh, "AcoshBackward0",
                        lambda ctx, g: (g * (ctx.saved[0] * ctx.saved[0] - 1).rsqrt(),), "in")


def atanh(a):
    return _unary_float(a, np.arctanh, "AtanhBackward0",
                        lambda ctx, g: (g / (1 - ctx.saved[0] * ctx.saved[0]),), "in")


def _np_sigmoid(x):
    # NOTE: exp(-x) overflows to inf for very negative x, giving the right limit 0.
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def sigmoid(a):
    return _unary_float(a, _np_sigmoid, "SigmoidBackward0",
                        lambda ctx, g: (g * ctx.saved[0] * (1 - ctx.saved[0]),), OUT)


def erf(a):
    return _unary_float(a, _special.erf, "ErfBackward0",
                        lambda ctx, g: (g * (2 / math.sqrt(math.pi)) *
                                        (-ctx.saved[0] * ctx.saved[0]).exp(),), "in")


def erfc(a):
    return _unary_float(a, _special.erfc, "ErfcBackward0",
                        lambda ctx, g: (-g * (2 / math.sqrt(math.pi)) *
                                        (-ctx.saved[0] * ctx.saved[0]).exp(),), "in")


def erfinv(a):
    return _unary_float(a, _special.erfinv, "ErfinvBackward0",
                        lambda ctx, g: (g * (math.sqrt(math.pi) / 2) *
                                        (ctx.saved[0] * ctx.saved[0]).exp(),), OUT)


def relu(a):
    if a.dtype is D.bool:
        raise RuntimeError('"clamp_min_cpu" not implemented for \'Bool\'')
    z = a._data.dtype.type(0)
    return make(np.maximum(a._data, z), (a,), "ReluBackward0", _relu_rule, OUT)


def _relu_rule(ctx, g):
    out, = ctx.saved
    return (g * (out > 0),)


def abs(a):
    if a.dtype is D.bool:
        raise RuntimeError('"abs_cpu" not implemented for \'Bool\'')
    return make(np.abs(a._data), (a,), "AbsBackward0", lambda ctx, g: (g * ctx.saved[0].sign(),),
                a)


def sign(a):
    if a.dtype is D.bool:
        return make(a._data.copy(), (a,), "SignBackward0", None)
    return make(np.sign(a._data), (a,), "SignBackward0", _zero_rule)


def sgn(a):
    return sign(a)


def _zero_rule(ctx, g):
    return (g * 0,)


def _rounding(fn, name):
    def op(a):
        if not a.dtype.is_floating_point:
            return make(a._data.copy(), (a,), name, None)
        return make(fn(a._data), (a,), name, _zero_rule)
    op.__name__ = name
    return op


floor = _rounding(np.floor, "FloorBackward0")
ceil = _rounding(np.ceil, "CeilBackward0")
trunc = _rounding(np.trunc, "TruncBackward0")
fix = trunc


def round(a, *, decimals=0):
    if decimals == 0:
        return _rounding(np.rint, "RoundBackward0")(a)
    f = lambda x: (np.rint(x * 10.0 ** decimals) / 10.0 ** decimals).astype(x.dtype)
    return _rounding(f, "RoundBackward1")(a)


def frac(a):
    return make(a._data - np.trunc(a._data), (a,), "FracBackward0", lambda ctx, g: (g,))


def square(a):
    if a.dtype is D.bool:
        a = a.to(D.int64)
    return pow(a, 2)


def clamp(a, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = a
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else _full_like_scalar(a, min))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else _full_like_scalar(a, max))
        return out
    dt = D.result_type(a, *(v for v in (min, max) if v is not None))
    x = a._data if a.dtype is dt else a._data.astype(dt.np)
    lo = -np.inf if min is None else min
    hi = np.inf if max is None else max
    if not dt.is_floating_point:
        info = np.iinfo(dt.np) if dt is not D.bool else None
        lo = info.min if min is None and info else lo
        hi = info.max if max is None and info else hi
    out = np.clip(x, lo, hi) if a.numel() else x.copy()
    if out.dtype != dt.np:
        out = out.astype(dt.np)
    return make(out, (a,), "ClampBackward1", _clamp_rule, a, min, max)


def _full_like_scalar(a, v):
    from .creation import full_like

    return full_like(a, v)


def _clamp_rule(ctx, g):
    a, lo, hi = ctx.saved
    mask = a._data == a._data  # all True except nan
    if lo is not None:
        mask = mask & (a._data >= lo)
    if hi is not None:
        mask = mask & (a._data <= hi)
    return (g * wrap(mask, a._device),)


clip = clamp


def clamp_min(a, min):
    return clamp(a, min=min)


def clamp_max(a, max):
    return clamp(a, max=max)


def _minmax(a, b, fn, name, pick):
    def rule(ctx, g):
        a, b = ctx.saved
        x, y = a._data, b._data
        ga = gb = None
        # NOTE: on ties PyTorch splits the gradient equally between both inputs.
        if ctx.needs_input_grad[0]:
            ga = g * wrap(np.where(x == y, 0.5, pick(x, y)).astype(g._data.dtype), g._device)
        if ctx.needs_input_grad[1]:
            gb = g * wrap(np.where(x == y, 0.5, pick(y, x)).astype(g._data.dtype), g._device)
        return ga, gb
    if not isinstance(b, Tensor):
        raise TypeError(f"{name[:7].lower()}(): argument 'other' must be Tensor, not "
                        f"{type(b).__name__}")
    return _binary(a, b, fn, name, rule, a, b)


def maximum(a, b):
    return _minmax(a, b, np.maximum, "MaximumBackward0", lambda x, y: x > y)


def minimum(a, b):
    return _minmax(a, b, np.minimum, "MinimumBackward0", lambda x, y: x < y)


def fmax(a, b):
    return _minmax(a, b, np.fmax, "FmaxBackward0", lambda x, y: (x > y) | np.isnan(y))


def fmin(a, b):
    return _minmax(a, b, np.fmin, "FminBackward0", lambda x, y: (x < y) | np.isnan(y))


def where(cond, a=None, b=None):
    if a is None and b is None:
        from .index import nonzero

        return nonzero(cond, as_tuple=True)
    if not isinstance(cond, Tensor) or cond.dtype is not D.bool:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {getattr(cond, 'dtype', type(cond).__name__)}")
    dt, x, y = _operands(a, b)
    out = np.where(cond._data, x, y)
    if out.dtype != dt.np:
        out = out.astype(dt.np)
    ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else cond
    return make(out, (_t(a), _t(b)), "WhereBackward0", _where_rule, cond, device=ref._device)


def _where_rule(ctx, g):
    cond, = ctx.saved
    z = g * 0
    return (where(cond, g, z) if ctx.needs_input_grad[0] else None,
            where(cond, z, g) if ctx.needs_input_grad[1] else None)


def lerp(a, b, weight):
    if isinstance(weight, Tensor):
        return a + weight * (b - a)
    dt, x, y = _operands(a, b)
    out = x + weight * (y - x)
    out = np.asarray(out, dtype=dt.np)
    return make(out, (_t(a), _t(b)), "LerpBackward0", _lerp_rule, weight)


def _lerp_rule(ctx, g):
    w, = ctx.saved
    return g * (1 - w), g * w


def addcmul(a, t1, t2, *, value=1):
    out = a + value * t1 * t2 if value != 1 else a + t1 * t2
    return _rename(out, "AddcmulBackward0", (a, t1, t2))


def addcdiv(a, t1, t2, *, value=1):
    if not t1.dtype.is_floating_point and not t2.dtype.is_floating_point:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future release addcdiv will perform a true division of tensor1 "
                           "and tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    out = a + value * t1 / t2 if value != 1 else a + t1 / t2
    return _rename(out, "AddcdivBackward0", (a, t1, t2))


def _rename(out, name, inputs):
    """Give a composite op's result one node named as PyTorch's fused op, keeping its graph.

    The composite's own nodes compute the gradients; the visible node forwards to them.
    """
    if out._grad_fn is None:
        return out
    from ..autograd.graph import node_class

    inner = out._grad_fn
    node = node_class(name)(lambda ctx, g: (g,), ((inner, out._output_nr),),
                            ((out.shape, out.dtype),))
    out._grad_fn = node
    out._output_nr = 0
    return out


def atan2(a, b):
    def rule(ctx, g):
        a, b = ctx.saved
        d = a * a + b * b
        return g * b / d, -g * a / d
    dt = D.result_type(a, b)
    if not dt.is_floating_point:
        a, b = _cast(a, D.get_default_dtype()), _cast(b, D.get_default_dtype())
    return _binary(a, b, np.arctan2, "Atan2Backward0", rule, a, b)


def hypot(a, b):
    return _binary(a, b, np.hypot, "HypotBackward0",
                   lambda ctx, g: (g * ctx.saved[0] / ctx.saved[2],
                                   g * ctx.saved[1] / ctx.saved[2]), a, b, OUT)


def logaddexp(a, b):
    return _binary(a, b, np.logaddexp, "LogaddexpBackward0",
                   lambda ctx, g: (g * (ctx.saved[0] - ctx.saved[2]).exp(),
                                   g * (ctx.saved[1] - ctx.saved[2]).exp()), a, b, OUT)


def xlogy(a, b):
    return where(a.eq(0) if isinstance(a, Tensor) else _scalar_tensor(a, b).eq(0), 0.0,
                 a * log(b) if isinstance(b, Tensor) else a * math.log(b))


def _scalar_tensor(v, like):
    from .creation import full_like

    return full_like(like, v)


# -- comparisons and logic (never differentiable) ------------------------------

def _compare(fn):
    def op(a, b):
        dt, x, y = _operands(a, b)
        ref = a if isinstance(a, Tensor) else b
        return wrap(np.asarray(fn(x, y)), ref._device)
    return op


# NOTE: comparisons promote like arithmetic (an int tensor against 2.5 compares as floats).
eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)


def logical_and(a, b):
    return wrap(np.logical_and(_arr_any(a), _arr_any(b)), a._device)


def logical_or(a, b):
    return wrap(np.logical_or(_arr_any(a), _arr_any(b)), a._device)


def logical_xor(a, b):
    return wrap(np.logical_xor(_arr_any(a), _arr_any(b)), a._device)


def logical_not(a):
    return wrap(np.logical_not(a._data), a._device)


def _arr_any(x):
    return x._data if isinstance(x, Tensor) else x


def _bitwise(fn, sym):
    def op(a, b):
        dt, x, y = _operands(a, b)
        if dt.is_floating_point:
            raise RuntimeError(f'"{sym}_cpu" not implemented for \'{_legacy_name(dt)}\'')
        ref = a if isinstance(a, Tensor) else b
        return wrap(np.asarray(fn(x, y)), ref._device)
    return op


def _legacy_name(dt):
    from ._core import _legacy

    return _legacy(dt)


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(a):
    if a.dtype.is_floating_point:
        raise RuntimeError(f'"bitwise_not_cpu" not implemented for \'{_legacy_name(a.dtype)}\'')
    return wrap(np.invert(a._data), a._device)


def isnan(a):
    return wrap(np.isnan(a._data) if a.dtype.is_floating_point else
                np.zeros(a.shape, dtype=bool), a._device)


def isinf(a):
    return wrap(np.isinf(a._data) if a.dtype.is_floating_point else
                np.zeros(a.shape, dtype=bool), a._device)


def isfinite(a):
    return wrap(np.isfinite(a._data) if a.dtype.is_floating_point else
                np.ones(a.shape, dtype=bool), a._device)


def isposinf(a):
    return wrap(np.isposinf(a._data), a._device)


def isneginf(a):
    return wrap(np.isneginf(a._data), a._device)


def signbit(a):
    return wrap(np.signbit(a._data), a._device)


def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    out = np.nan_to_num(a._data, nan=nan, posinf=posinf, neginf=neginf)
    return make(out, (a,), "NanToNumBackward0",
                lambda ctx, g: (g * wrap(np.isfinite(ctx.saved[0]._data), g._device),), a)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    if isinstance(b, Tensor) and a.dtype is not b.dtype:
        raise RuntimeError(f"{a.dtype} did not match {b.dtype}")
    dt, x, y = _operands(a, b)
    if dt is D.bool:
        return wrap(np.asarray(x == y), a._device)
    x64 = np.asarray(x, dtype=np.float64) if not dt.is_floating_point else x
    y64 = np.asarray(y, dtype=np.float64) if not dt.is_floating_point else y
    return wrap(np.asarray(np.isclose(x64, y64, rtol=rtol, atol=atol, equal_nan=equal_nan)),
                a._device)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(a, b, rtol, atol, equal_nan)._data.all())


def equal(a, b):
    if a._device != b._device:
        check_same_device(a, b)
    return tuple(a.shape) == tuple(b.shape) and bool(np.array_equal(a._data, b._data))


# -- in-place -----------------------------------------------------------------

def inplace(op):
    """The in-place twin of binary op ``op``: ``t.add_(x)`` is ``add`` written back into ``t``.

    Without autograd it writes straight into ``t``'s memory; with it, the out-of-place
    result and its node replace ``t``'s value and history (:func:`_core.commit`).
    """
    ufunc = _UFUNCS.get(op)

    def op_(self, other, **kw):
        check_inplace(self)
        if (ufunc is not None and not kw and not needs_grad((self, _t(other)))
                and _fits(self, other)):
            o = other._data if isinstance(other, Tensor) else other
            try:
                ufunc(self._data, o, out=self._data, casting="unsafe")
            except ValueError:
                if not self._data.flags.writeable:
                    from ._core import write

                    write(self, 0)  # raises PyTorch's error for expanded tensors
                raise
            self._vc.v += 1
            return self
        return commit(self, op(snapshot(self, other), other, **kw))
    op_.__name__ = op.__name__ + "_"
    return op_


def _fits(self, other):
    if isinstance(other, Tensor):
        if other._device != self._device:
            return False
        dt = D.result_type(self, other)
        return dt is self.dtype and np.broadcast_shapes(self.shape, other.shape) == self.shape
    if isinstance(other, (bool, int, float)):
        return D.result_type(self, other) is self.dtype
    return False


_UFUNCS = {add: np.add, sub: np.subtract, mul: np.multiply}


def unary_inplace(op):
    def op_(self, *args, **kw):
        check_inplace(self)
        return commit(self, op(snapshot(self), *args, **kw))
    op_.__name__ = op.__name__ + "_"
    return op_

