"""Elementwise ops, each with its backward rule beside it.

Binary ops promote their operands with PyTorch's rules (``_dtype.result_type``)
before NumPy sees them, so NumPy's own promotion never decides a dtype.
"""
from __future__ import annotations

import math
import numbers
import sys
import threading

import numpy as np

from .. import _blas
from .. import _dtype as D
from .._tensor import Tensor
from ..amp import autocast_mode as _amp
from ..autograd.grad_mode import STATE
from . import _core, _libm, _overlap, _sleef, _sleef_more, _special, _vml
from ..cuda import _kernels
from ._core import (OUT, as_array, check_inplace, check_no_overlap, check_no_partial_overlap,
                    check_same_device, commit, gets_grad, iter_layout, make, needs_grad,
                    precheck_inplace, quiet, snapshot, wrap, xp_of, xp_of_array)
from ._core import _sort_dims, check_written_overlap, float_result_type, grads_shown_as, need_tensor
from ._core import mapped, refuse_dynamic, tp_name


def _arr(x, dt):
    """``x`` (tensor or Python scalar) as an array / scalar of dtype ``dt`` for NumPy."""
    if dt in D._ODD:  # float8: PyTorch's rounding, not ml_dtypes'
        from .convert import _cast

        if isinstance(x, Tensor):
            return x._data if x._data.dtype == dt.np else _cast(x._data, x.dtype, dt)
        a = np.asarray(x)
        return _cast(a, D.from_numpy_dtype(a.dtype), dt)[()]
    with quiet:  # 1e40 -> float32 is inf, as in PyTorch
        if isinstance(x, Tensor):
            a = x._data
            return a if a.dtype == dt.np else a.astype(dt.np)
        return np.asarray(x).astype(dt.np)[()]


_LOW = (D.float16, D.bfloat16)


_FAST = frozenset((np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64)))
_FAST_FLOAT = frozenset((np.dtype(np.float32), np.dtype(np.float64)))


def _operands(a, b, keep_scalar=False):
    """Promote ``a`` and ``b`` (one may be a Python scalar) for a binary op.

    Returns the result dtype and the two operands as NumPy sees them.  For a float16 or
    bfloat16 result, an operand of another dtype is rounded to it first (as PyTorch casts
    its inputs; the kernel then computes in float32), but for ``b`` with one element where
    ``keep_scalar`` (PyTorch's multiplication and division kernels read such a CPU scalar
    as it was given).
    """
    # Fast path for the common cases, where NumPy's promotion already agrees with PyTorch's:
    # two tensors of one dtype, or a float32/float64 tensor with a Python float or int.
    if type(a) is Tensor or isinstance(a, Tensor):
        ad = a._data
        if type(b) is Tensor or isinstance(b, Tensor):
            bd = b._data
            if ad.dtype is bd.dtype and ad.dtype in _FAST and a._device is b._device:
                return D._BY_NP[ad.dtype], ad, bd
        elif (type(b) is float or type(b) is int and -1 << 63 <= b < 1 << 64) and \
                ad.dtype in _FAST and ad.dtype.kind == "f":
            return D._BY_NP[ad.dtype], ad, b
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError("expected at least one tensor operand")
        a = _scalar(a)
    elif not isinstance(b, Tensor):
        b = _scalar(b)
    mixed = isinstance(a, Tensor) and isinstance(b, Tensor) and a._device != b._device
    if mixed:
        if a.is_meta or b.is_meta:  # (PyTorch's meta kernels broadcast before they compare)
            from ._core import check_broadcast_meta

            check_broadcast_meta(a.shape, b.shape)
        check_same_device(a, b)
    dt = D.result_type(a, b)
    # NOTE: PyTorch computes half and bfloat16 ops in float32 and rounds once at the end.
    cdt = D.float32 if dt in _LOW else dt
    x, y = _arr(a, cdt), _arr(b, cdt)
    if dt in _LOW:
        if getattr(a, "dtype", None) is not dt:
            x = _round_low(x, dt)
        if getattr(b, "dtype", None) is not dt and not (keep_scalar and np.size(y) == 1):
            y = _round_low(y, dt)
    if mixed:  # a 0-d CPU tensor beside a CUDA one takes part as a number, as in PyTorch
        if a._device.type == "cpu":
            x = x[()]
        else:
            y = y[()]
    return dt, x, y


def _round_low(v, dt):
    """float32 values ``v`` rounded to the half type ``dt`` (kept as float32)."""
    with quiet:
        if hasattr(v, "ndim"):  # (an array of any array library)
            return v.astype(dt.np).astype(np.float32)
        return np.asarray(v).astype(dt.np).astype(np.float32)[()]


def _ref(ta, tb):
    """The operand whose device the result lives on (not a 0-d CPU tensor beside a GPU one)."""
    if ta is None:
        return tb
    if tb is not None and ta._device.type == "cpu" and tb._device.type != "cpu":
        return tb
    return ta


def _on_device(v, dev):
    """A host operand ``v`` (a 0-d CPU tensor's array) for an op on ``dev``: on a GPU a 0-d
    NumPy array takes part as a number, as a 0-d CPU tensor does in PyTorch."""
    if dev is not None and dev.type != "cpu" and type(v) is np.ndarray and v.ndim == 0:
        return v[()]
    return v


def scalar_int(v):
    """PyTorch's OverflowError for a Python int outside the Scalar's range (int64 and, past
    it, uint64)."""
    if v >= 1 << 64:
        raise OverflowError("int too big to convert")
    if v < -1 << 63:
        raise OverflowError("can't convert negative int to unsigned")


def _check_ints(*vs):
    """The argument parser's OverflowError for a Python int no Scalar holds, raised before
    the op's own checks."""
    for v in vs:
        if type(v) is int and not -1 << 63 <= v < 1 << 64:
            scalar_int(v)


def _scalar(v):
    if isinstance(v, (bool, int, float, complex)):
        if type(v) is int and not -1 << 63 <= v < 1 << 64:
            scalar_int(v)
        return v
    if isinstance(v, np.bool_):  # NOTE: PyTorch takes a NumPy bool for a float, not a bool
        return float(v)
    if isinstance(v, (np.integer, np.floating, np.complexfloating)):
        return v.item()
    if isinstance(v, (list, tuple, np.ndarray)):
        from .creation import tensor

        return tensor(v)
    raise TypeError(f"unsupported operand type: '{type(v).__name__}'")


def _t(x):
    return x if isinstance(x, Tensor) else None


def _binary(a, b, fn, name, rule, *saved, keep_scalar=False):
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype is b._data.dtype and \
            a._data.dtype in _FAST_FLOAT and a._device is b._device:
        # The common case, decided cheaply: two tensors of one float dtype on one device,
        # where NumPy's result dtype is PyTorch's.
        x, y, ta, tb, ref, want = a._data, b._data, a, b, a, a._data.dtype
        common, plain = None, True
    else:
        plain = False
        dt, x, y = _operands(a, b, keep_scalar)
        ta = a if isinstance(a, Tensor) else None
        tb = b if isinstance(b, Tensor) else None
        ref = _ref(ta, tb)
        want = common = dt.np
        if want in D._ODD_NP and dt in D.SHELLS:  # (no arithmetic kernels for them)
            from .._float8 import shell_kernel

            raise NotImplementedError(f'"{shell_kernel(name)}" not implemented for '
                                      f'\'{_legacy_name(dt)}\'')
        if want.kind == "c" and name in _ALPHA_NAMES and (fn is np.add or fn is np.subtract):
            x, y, fn = _complex_alpha(x, y, want, 1 if fn is np.add else -1) + (np.add,)
    try:
        # NOTE: overflow to inf, 0 * inf and the like are silent in PyTorch.
        with quiet:
            out = fn(x, y)
    except ValueError:
        _broadcast_error(a, b)
        raise
    if type(out) is not type(ref._data) or out.dtype is not want:
        with quiet:  # comparisons stay bool
            out = as_array(out).astype(want) if out.dtype != np.bool_ or want == np.bool_ \
                else as_array(out)
        if name in _BF16_NAN_OPS and want.name == "bfloat16" and type(out) is np.ndarray:
            out = _bf16_nans(out, x if ta is None else ta._data, y if tb is None else tb._data)
    # (C-contiguous operands: NumPy's C-contiguous result is PyTorch's)
    # (an empty result: NumPy calls every empty array C-contiguous, TensorIterator decides)
    if plain:
        if not (x.flags.c_contiguous and y.flags.c_contiguous and 1 not in out.shape and
                out.size):
            out = iter_layout(out, (ta, tb))
    elif not ((ta is None or ta._data.flags.c_contiguous) and 1 not in out.shape and
              (tb is None or tb._data.flags.c_contiguous) and out.size):
        out = iter_layout(out, (ta, tb), common)
    if (ta is None or tb is None) and name in _SCALAR_OVERLOADS:
        # PyTorch's overload taking a number: its node has an edge for the tensor alone
        return make(out, (ref,), name, _SCALAR_OVERLOADS[name] or rule, *saved,
                    device=ref._device, laid=True)
    return make(out, (ta, tb), name, rule, *saved, device=ref._device, laid=True)


_ALPHA_NAMES = frozenset(("AddBackward0", "SubBackward0", "AddBackward1"))


def _complex_alpha(x, y, want, alpha):
    """``x`` and ``alpha * y`` for ``x + alpha * y``, PyTorch's complex add, sub and rsub, with
    ``alpha`` a complex number (see :func:`_alpha_number`): a complex product, so an infinite
    or NaN part of ``y`` spreads to the other part (``(inf+0j) * (1+0j)`` is ``inf+nanj``)
    and the zeros' signs follow the product's.  ``y`` (a number too) is cast to ``want``
    first, as PyTorch casts its operands."""
    with quiet:
        y = (y if hasattr(y, "astype") else np.asarray(y)).astype(want, copy=False)
        if type(alpha) is int:  # (1, -1 and the like: exact products)
            return x, np.multiply(y, want.type(alpha))
        return x, _cmul(want.type(alpha), y)  # (the scalar tail's ``alpha * y``)


def _alpha_number(alpha, sign):
    """The complex number a complex kernel takes ``alpha`` as (negated for a subtraction, as
    c10's Scalar negates it: an int or float stays real, ``-(2+0j)`` is ``-2-0j``)."""
    if isinstance(alpha, Tensor) or isinstance(alpha, np.generic):
        alpha = alpha.item()
    if sign < 0:
        alpha = -alpha
    return alpha if type(alpha) is int else complex(alpha)


def _alpha_grad(alpha, sign):
    """PyTorch's gradient of ``alpha * y`` in a complex add, sub or rsub (``sign`` -1 for the
    subtractions): ``grad * conj(alpha)``, ``grad`` negated first for a subtraction, and left
    as it is where alpha is 1."""
    al = _conj_of(alpha.item() if isinstance(alpha, (Tensor, np.generic)) else alpha)

    def times(g):
        h = g if sign > 0 else -g
        return h if al == 1 else h * al
    return times


def _dtype_of(x, y):
    """The dtype two promoted operands (arrays or NumPy scalars, of any device) share."""
    return np.promote_types(x.dtype, y.dtype)


def _is_complex(v):
    return v._data.dtype.kind == "c" if isinstance(v, Tensor) else \
        isinstance(v, (complex, np.complexfloating))


# bfloat16 arithmetic rounds its float32 results back as PyTorch's kernels do: the vector
# loop's conversion (whole blocks of 32) gives every NaN all bits set, the scalar tail's
# (c10::BFloat16's) the positive quiet NaN 0x7FC0.
_BF16_NAN_OPS = frozenset(("AddBackward0", "SubBackward0", "MulBackward0", "DivBackward0",
                           "RsubBackward0"))


def _bf16_nans(out, x, y):
    nan = np.isnan(out)
    if not nan.any():
        return out
    m = _sleef.loop_mask(out.shape, x, y, block=_sleef.BLOCK)
    bits = out.view(np.uint16)
    if m is None or m is True:
        bits[nan] = 0x7FC0 if m is None else 0xFFFF
    else:
        bits[nan & m] = 0xFFFF
        bits[nan & ~m] = 0x7FC0
    return out


def _grad_as_is(ctx, g):
    return (g,)


# Nodes of ops whose number operand is an argument of their own (``remainder(t, 2)``), not
# a wrapped 0-d tensor as in ``t + 2``: one edge, and the one-input rule here (None: the
# op's own rule).  (NotImplemented: floor_divide's node; the ...Backward1 ones come from
# ``add_scalar`` and ``mul_scalar``.)
_SCALAR_OVERLOADS = {"RemainderBackward0": _grad_as_is, "FmodBackward0": _grad_as_is,
                     "NotImplemented": None, "AddBackward1": None, "MulBackward1": None,
                     "DivBackward1": None, "RsubBackward1": None}


def add_scalar(t, s):
    """``t + s`` for a number ``s``, recorded as PyTorch's own composite ops record it (the
    ``add.Scalar`` overload: ``AddBackward1``, one edge) rather than as Python's ``t + s``."""
    return _binary(t, _half_number(t, s), np.add, "AddBackward1", _grad_as_is)


def div_scalar(t, s):
    """``t / s`` for a number ``s``, as PyTorch's composite ops record it (``DivBackward1``)."""
    if t.dtype._kind < 2:  # true division: integers give floats (and have no graph)
        return div(t, s)
    return _binary(t, s, np.true_divide, "DivBackward1", lambda ctx, g: (g / s,),
                   keep_scalar=True)


def mul_scalar(t, s):
    """``t * s`` for a number ``s``, as PyTorch's composite ops record it (``MulBackward1``)."""
    return _binary(t, s, np.multiply, "MulBackward1", lambda ctx, g: (g * s,),
                   keep_scalar=True)


def _broadcast_error(a, b):
    from ._core import check_broadcast, check_broadcast_meta

    try:
        if any(isinstance(t, Tensor) and t.is_meta for t in (a, b)):
            check_broadcast_meta(*(t.shape for t in (a, b) if isinstance(t, Tensor)))
        check_broadcast(*(tuple(t.shape) if isinstance(t, (Tensor, np.ndarray)) else ()
                          for t in (a, b)))  # (``t == array``: PyTorch's tensor from the array)
    except RuntimeError as e:
        # (``from None``: called while NumPy's error is handled, whose traceback a PyTorch
        # user would not see)
        raise e from None


# -- arithmetic ---------------------------------------------------------------

def _scaled(b, alpha):
    return mul(b, alpha) if isinstance(b, Tensor) else b * alpha


def _plain_alpha(alpha):
    return type(alpha) is int and alpha == 1


# (the largest finite value of the floating types c10 checks a Scalar's conversion into)
_FLOAT_MAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
              "float32": 3.4028234663852886e38, "complex64": 3.4028234663852886e38,
              "float64": math.inf, "complex128": math.inf}


def check_float_value(value, dtype, opmath=False):
    """c10's checked conversion of a Scalar ``value`` (``alpha``, a ``weight``...) to the
    floating or complex ``dtype`` a kernel takes it in (``opmath``: float32 for the half
    types): a finite part beyond the type's range is refused (infinities and NaN pass), and
    so is an imaginary part for a real type."""
    if (type(value) is float or type(value) is int) and -65504.0 <= value <= 65504.0:
        return  # (the usual case: in every type's range)
    if isinstance(value, Tensor):
        if value.ndim or value.dtype._kind < 2:
            return
        value = value.item()
    elif isinstance(value, np.generic):  # (compared as a Python number: no float16 overflow)
        value = value.item()
    if opmath and dtype in _LOW:
        dtype = D.float32
    top = _FLOAT_MAX.get(dtype.name)
    if top is None or isinstance(value, (bool, np.bool_)) or \
            not isinstance(value, (int, float, complex, np.number)):
        return
    parts = (value.real, value.imag) if isinstance(value, (complex, np.complexfloating)) \
        else (value,)
    if [v for v in parts if math.isfinite(v) and builtins_abs(v) > top] or \
            len(parts) == 2 and parts[1] and not dtype.is_complex:
        raise RuntimeError(f"value cannot be converted to type {D.cpp_name(dtype)} without "
                           "overflow")


def _check_alpha(a, b, alpha, sign=1):
    dt = D.result_type(a, b)
    if isinstance(alpha, bool):  # (not NumPy's bool: PyTorch reads it as an integer)
        if dt is not D.bool:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, (float, complex, np.inexact, np.bool_)) and dt._kind < 2:
        # (PyTorch reads a NumPy bool as a floating point number; a complex one is no
        # integer either, and this check comes first)
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    elif isinstance(alpha, (complex, np.complexfloating)) and not dt.is_complex:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")
    elif dt._kind == 1 and isinstance(alpha, Tensor) and alpha.dim() == 0 and \
            alpha.dtype._kind == 1:
        _check_alpha(a, b, alpha.item(), sign)
    elif dt._kind == 1 and isinstance(alpha, (int, np.integer)) and -1 << 63 <= alpha < 1 << 64:
        # PyTorch's kernel converts alpha (negated for a subtraction, in int64's wrapping
        # arithmetic, a uint64 one too) to the result dtype, refusing what does not fit; an
        # unsigned type takes a negative number down to minus its maximum.
        v = int(alpha)
        if sign < 0:
            v = (-v + (1 << 63)) % (1 << 64) - (1 << 63)
        info = np.iinfo(dt.np)
        if not (-info.max if info.min == 0 else info.min) <= v <= info.max:
            raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dt.np]} "
                               "without overflow")
    elif dt._kind >= 2:
        check_float_value(alpha, dt)


def _with_alpha(a, b, alpha, ufunc, name, sign):
    """``a + alpha * b`` (or ``-``) in the result dtype of ``a`` and ``b``: alpha does not
    take part in type promotion."""
    if type(alpha) not in (int, float) and not isinstance(
            alpha, (numbers.Number, np.number, np.bool_)) and not (
            isinstance(alpha, Tensor) and alpha.dim() == 0):  # (the parser's refusal)
        from ._core import tp_name

        raise TypeError(f"{'add' if sign > 0 else 'sub'}(): argument 'alpha' must be Number, "
                        f"not {tp_name(alpha)}")
    _check_ints(alpha)
    _check_alpha(a, b, alpha, sign)
    if sign < 0 and type(alpha) is int and (alpha == -1 << 63 or alpha >= 1 << 63):
        # (PyTorch's sub is an add of -alpha, negated in int64's wrapping arithmetic: -2**63
        # stays itself, a uint64 one wraps into int64's range)
        alpha, ufunc, sign = (-alpha + (1 << 63)) % (1 << 64) - (1 << 63), np.add, 1
    if isinstance(b, np.bool_):  # (a float to PyTorch, also when scaled)
        b = float(b)
    if _is_complex(a) or _is_complex(b):  # (the number ``b`` cast first, then scaled)
        al = _alpha_number(alpha, sign)

        def cfn(x, y):
            return np.add(*_complex_alpha(x, y, _dtype_of(x, y), al))

        times = _alpha_grad(alpha, sign)

        def crule(ctx, g):
            return (g if ctx.needs_input_grad[0] else None,
                    times(g) if len(ctx.needs_input_grad) > 1 and ctx.needs_input_grad[1]
                    else None)
        crule.complex_ready = True
        return _binary(a, b, cfn, name, crule)
    scale, low = alpha, None
    # (a NumPy number or a 0-d tensor is the same Scalar to PyTorch's kernel: its value)
    num = alpha.item() if isinstance(alpha, Tensor) and alpha.dtype.is_floating_point else \
        alpha.item() if isinstance(alpha, (np.integer, np.floating)) else alpha
    if type(num) in (int, float) and (getattr(a, "dtype", None) in _LOW or getattr(
            b, "dtype", None) in _LOW) and D.result_type(a, b) in _LOW:
        # PyTorch's half-type kernels: alpha rounded to the type first; the vector loop then
        # computes in float32, while its scalar tail rounds the product to the type too
        low = D.result_type(a, b)
        with quiet:
            scale = float(np.float32(num).astype(low.np))

    def tail(out, x, p):
        if type(out) is not np.ndarray:  # (a device's kernel: no scalar tail)
            return out
        m = _sleef.loop_mask(out.shape, *(t._data for t in (a, b) if isinstance(t, Tensor)),
                             block=_sleef.BLOCK) if _sleef.VECTORIZED else None
        if m is True:
            return out
        with quiet:
            t = x + _round_low(p, low)
        return t if m is None else np.where(m, out, t)

    if not isinstance(b, Tensor):  # (the number, rounded already, times alpha: as it is)
        def add_number(x, y):
            out = ufunc(x, y)
            return out if low is None else tail(out, x, -y if ufunc is np.subtract else y)
        # (a bool into a bool tensor stays one: alpha takes no part in the result's dtype)
        scaled = bool(b * scale) if type(b) is bool and getattr(a, "dtype", None) is D.bool \
            else b * scale
        if sign < 0 and type(scale) is float and scale != scale:  # (``x + (-alpha) * b``:
            scaled, ufunc = b * -scale, np.add  # a NaN alpha negated, its sign bit set)
        if type(scaled) is int and not -1 << 63 <= scaled < 1 << 63:
            # (int64 arithmetic wraps around; a float kernel takes the product as a float)
            scaled = (scaled + (1 << 63)) % (1 << 64) - (1 << 63) if \
                D.result_type(a, b)._kind == 1 else float(scaled)
        return _binary(a, scaled, ufunc if low is None else add_number, name,
                       _add_rule if sign > 0 else _sub_rule, keep_scalar=True)

    def rule(ctx, g):
        return (g if ctx.needs_input_grad[0] else None,
                g * (sign * alpha) if ctx.needs_input_grad[1] else None)

    def fn(x, y):
        # NOTE: PyTorch's float kernel is a fused multiply-add (one rounding), and so is
        # ``added`` where it can be; ``x - alpha*y`` is ``x + (-alpha)*y`` exactly.
        if x.dtype.kind == "f":
            neg = -scale if sign < 0 else scale  # (a NaN's sign bit too, as PyTorch's -alpha)
            out = _blas.added(x, y, neg)
            return out if low is None else tail(out, x, y * np.float32(neg))
        # integers wrap around, as in PyTorch (alpha too: -2 is 254 to a uint8 kernel)
        return ufunc(x, np.multiply(y, np.asarray(alpha).astype(y.dtype)))
    return _binary(a, b, fn, name, rule)


def _half_number(t, s):
    """The number ``s`` beside the tensor ``t`` in an addition or subtraction: rounded to
    ``t``'s dtype first where that is float16 or bfloat16 (through float32, as PyTorch
    converts a number to a half type; the kernel then computes in float32). Multiplication
    and division keep the number as it is.  A number past the type's range becomes its
    infinity, as in PyTorch."""
    if (type(s) is float or type(s) is int) and isinstance(t, Tensor) and t.dtype in _LOW:
        with quiet:
            return float(np.asarray(np.float32(s), t.dtype.np))
    return s


def add(a, b, *, alpha=1):
    b = _half_number(a, b)
    if not _plain_alpha(alpha):
        return _with_alpha(a, b, alpha, np.add, "AddBackward0", 1)
    return _binary(a, b, np.add, "AddBackward0", _add_rule)


def _add_rule(ctx, g):
    return g, g


def _is_bool(x):
    return x.dtype is D.bool if isinstance(x, Tensor) else isinstance(x, bool)  # np.bool_: a float


def _check_bool_sub(a, b):
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def _no_bool(dt, kernel):
    """PyTorch has no bool kernel for some arithmetic (``b // b``, ``b % b``, ``b ** b``)."""
    if dt is D.bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _no_complex(dt, kernel):
    """PyTorch's refusal of an op without a complex kernel (``z % 2``, ``z < w``...)."""
    if dt._kind == 3:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_legacy_name(dt)}\'')


def sub(a, b, *, alpha=1):
    if not isinstance(a, Tensor):  # scalar - tensor (torch.rsub(tensor, scalar))
        return rsub(b, a, alpha=alpha)
    _check_ints(b, alpha)
    _check_bool_sub(a, b)
    b = _half_number(a, b)
    if not _plain_alpha(alpha):
        return _with_alpha(a, b, alpha, np.subtract, "SubBackward0", -1)
    return _binary(a, b, np.subtract, "SubBackward0", _sub_rule)


def _sub_rule(ctx, g):
    return g, (-g if ctx.needs_input_grad[1] else None)


# (``g`` and ``-g`` as they are for complex values: PyTorch's, signs of zeros included)
_add_rule.complex_ready = _sub_rule.complex_ready = True


def rsub(a, b, *, alpha=1):
    """``b - alpha * a``: PyTorch's RsubBackward0 for a tensor ``b``, RsubBackward1 for a number."""
    _check_ints(b, alpha)
    _check_bool_sub(a, b)
    if type(alpha) is int and not -(1 << 63) < alpha < 1 << 63 and a.dtype._kind >= 2:
        # (PyTorch's ``b + (-alpha) * a``: the Scalar's negation wraps round int64)
        neg = -alpha % (1 << 64)
        alpha = -(neg - (1 << 64) if neg >= 1 << 63 else neg)
    if not _plain_alpha(alpha):
        _check_alpha(a, b, alpha, -1)
    b = _half_number(a, b)
    if _is_complex(a) or _is_complex(b):  # (one complex kernel: ``b + (-alpha) * a``)
        al, times = _alpha_number(alpha, -1), _alpha_grad(alpha, -1)

        def crule(ctx, g):  # (``b`` first: the edges of ember's RsubBackward0)
            return (g if ctx.needs_input_grad[0] else None,
                    times(g) if ctx.needs_input_grad[1] else None)
        crule.complex_ready = True
        if isinstance(b, Tensor):
            return _binary(b, a, lambda y, x: np.add(*_complex_alpha(
                y, x, _dtype_of(x, y), al)), "RsubBackward0", crule)

        def rule1(ctx, g):
            return (times(g),)
        rule1.complex_ready = True
        return _binary(a, b, lambda x, y: np.add(*_complex_alpha(
            y, x, _dtype_of(x, y), al)), "RsubBackward1", rule1)
    if isinstance(b, Tensor) and not _plain_alpha(alpha) and D.result_type(a, b)._kind == 2:
        # (PyTorch's ``b + (-alpha) * a``: fused as sub's, the gradient ``-alpha * g``)
        return _with_alpha(b, a, alpha, np.subtract, "RsubBackward0", -1)
    if type(b) in (int, float) and type(alpha) in (int, float) and not _plain_alpha(alpha) \
            and a.dtype in (D.float32, D.float64) and type(a._data) is np.ndarray:
        # (the number as a filled tensor, ``b + (-alpha) * a`` fused, as PyTorch's kernel)
        with quiet:
            out = _blas.added(np.asarray(b, a._data.dtype), a._data, -alpha)

        def rule(ctx, g):
            return (-g * alpha,)
        return make(iter_layout(out, (a, None), a._data.dtype), (a,), "RsubBackward1", rule,
                    laid=True)
    if alpha != 1:
        a = _scaled(a, alpha)
    if isinstance(b, Tensor):
        return _binary(b, a, np.subtract, "RsubBackward0", _sub_rule)
    dt, x, y = _operands(a, b)
    with quiet:  # (a half type's overflow is its infinity, silently as in PyTorch)
        out = as_array(np.subtract(y, x)).astype(dt.np, copy=False)
    if dt is D.bfloat16 and type(out) is np.ndarray:
        out = _bf16_nans(out, a._data, y)
    return make(iter_layout(out, (a, None), dt.np), (a,), "RsubBackward1", _rsub_rule,
                laid=True)


def _rsub_rule(ctx, g):
    return (-g,)


def _grad_of(x):
    return isinstance(x, Tensor) and (x._requires_grad or x._base is not None and gets_grad(x))


def mul(a, b):
    # NOTE: as PyTorch, each factor is saved only if the other one's gradient needs it, so
    # that ``z = y * 3`` followed by ``y.add_(1)`` still has a valid backward.
    fn = np.multiply
    # (inline, as every product passes here: a complex operand takes PyTorch's rounding)
    if (a._data.dtype.kind == "c" if isinstance(a, Tensor) else isinstance(a, complex)) or \
            (b._data.dtype.kind == "c" if isinstance(b, Tensor) else isinstance(b, complex)):
        fn = _cmul
    return _binary(a, b, fn, "MulBackward0", _mul_rule,
                   a if _grad_of(b) else None, b if _grad_of(a) else None, keep_scalar=True)


def _on_host(*values) -> bool:
    """Whether ``values`` are NumPy arrays or numbers (the CPU kernels' roundings apply)."""
    return all(type(v) is np.ndarray or isinstance(v, (np.generic, int, float, complex))
               for v in values)


def _cmul(x, y):
    """Complex ``x * y`` as PyTorch's CPU kernel rounds it (measured on AVX512): its vector
    loop ``(ac - bd) + (ad + bc)i``, each product rounded, where NumPy fuses one product
    into the sum; its scalar code (compiled with fused multiply-adds) rounds
    ``fma(a, c, -bd)`` and ``fma(a, d, bc)``.  Which elements take which is decided per row
    of TensorIterator's inner loop (see :func:`_complex_rows`): for complex64, a row of
    contiguous operands computes the pairs after its last whole 8 elements fused (a lone
    last element unfused), a row with one operand broadcast (a number, say) the 4 elements
    after the first past its last whole 8 when 5 or more remain, a strided row all its pairs;
    for complex128, a contiguous or broadcast row its last ``n % 4``, a strided row all.
    NOTE: written in place (``mul_``), a strided complex64 row is all unfused (measured)."""
    if not _on_host(x, y):  # (a GPU's arrays: its own kernel)
        return x * y
    x, y = np.asarray(x), np.asarray(y)
    dt = np.result_type(x, y)
    if dt.kind != "c":
        return np.multiply(x, y)
    x, y = x.astype(dt, copy=False), y.astype(dt, copy=False)
    shape = np.broadcast_shapes(x.shape, y.shape)
    order, k, n, kind = _complex_rows(x, y, shape)
    if dt == np.complex64 and kind == "scalar":
        start = n - n % 8 + 1
        stop = start + 4 if n % 8 > 4 else start
    elif dt == np.complex64:
        start = 0 if kind == "strided" else n - n % 8
        stop = start + (n - start) // 2 * 2
    else:
        start, stop = (0 if kind == "strided" else n - n % 4), n
    if kind == "strided" and dt == np.complex64 and _in_place():
        start = stop = 0  # (measured: ``mul_``'s strided complex64 rows all unfused)
    size = math.prod(shape)
    if order is None:
        out = np.empty(shape, dt)
    else:  # (allocated in the loop's order: its rows are views)
        out = np.empty([shape[d] for d in order], dt).transpose(_inverse(order))
    a, b, c, d = x.real, x.imag, y.real, y.imag
    bd, bc = b * d, b * c
    np.subtract(a * c, bd, out=out.real)
    np.add(a * d, bc, out=out.imag)
    if start == stop or not size or size // n * (stop - start) > _sleef_more.COMPLEX_EXACT_MAX:
        return out  # (a large fused part, a strided operand's: the vector loop's roundings)
    from .._random import _fma32

    fma = _fma32 if dt == np.complex64 else _signed_fma64
    rows = [shape[i] for i in order[:len(shape) - k]] if order is not None else [size // n]

    def row_view(v):
        v = np.broadcast_to(v, shape)
        if order is not None:
            v = v.transpose(order)
        return v.reshape(rows + [n])[..., start:stop]
    a, b, c, d, bd, bc = (row_view(v) for v in (a, b, c, d, bd, bc))
    o = (out if order is None else out.transpose(order)).reshape(rows + [n])
    o.real[..., start:stop] = fma(a, c, -bd)
    o.imag[..., start:stop] = fma(a, d, bc)
    return out


# (``on`` while ``mul_`` or ``div_`` computes on this thread: written into an input, PyTorch's
# compiled loops round differently, measured: see _cmul and _cdiv)
_COMPLEX_IN_PLACE = threading.local()
_COMPLEX_IN_PLACE.on = False


# (``array`` while ``mul``/``div`` computes for a distinct ``out=`` array of this thread: an
# operand of PyTorch's loop, whose layout picks the rows, see _complex_rows)
_COMPLEX_OUT = threading.local()


def complex_out(out):
    """A context in which complex ``mul``/``div`` compute for ``out=`` tensor ``out``."""
    import contextlib

    @contextlib.contextmanager
    def ctx():
        _COMPLEX_OUT.array = out._data if isinstance(out, Tensor) and \
            type(out._data) is np.ndarray and out._data.dtype.kind == "c" else None
        try:
            yield
        finally:
            _COMPLEX_OUT.array = None
    return ctx()


def _in_place() -> bool:
    return getattr(_COMPLEX_IN_PLACE, "on", False)  # (False on a thread that never set it)


def _complex_rows(x, y, shape):
    """The rows of PyTorch's CPU loop over ``x op y`` (arrays broadcast to ``shape``): its
    dims, slowest first (None: ``shape``'s own order), how many of the last ones make a row
    (coalesced as TensorIterator coalesces them), the row's length, and its kind:
    "contiguous" (both operands), "scalar" (one operand broadcast along it, the other
    contiguous: PyTorch's vectorized loop over a scalar) or "strided" (the basic loop)."""
    size = math.prod(shape)
    o = getattr(_COMPLEX_OUT, "array", None)  # (an ``out=`` of another layout: an operand)
    if o is not None and (o.shape != tuple(shape) or o.flags.c_contiguous and
                          x.flags.c_contiguous and y.flags.c_contiguous):
        o = None
    if o is None and x.shape == y.shape and x.flags.c_contiguous and y.flags.c_contiguous:
        return None, len(shape), size, "contiguous"
    if o is None and (x.size == 1 or y.size == 1) and \
            (x if y.size == 1 else y).flags.c_contiguous:
        return None, len(shape), size, "scalar"
    nd = len(shape)
    ops = []
    for v in (x, y) if o is None else (o, x, y):
        off = nd - v.ndim
        item = v.itemsize
        st = [0] * off
        for i, (m, s) in enumerate(zip(v.shape, v.strides)):
            if s < 0:
                return None, 1, shape[-1] if shape else 1, "strided"
            st.append(0 if m == 1 and shape[off + i] != 1 else s // item)
        ops.append(st)
    perm = _sort_dims(shape, ops)  # (fastest first)
    i = 0
    while i < nd and shape[perm[i]] == 1:
        i += 1
    if i == nd:
        return None, nd, size, "contiguous"
    first = [st[perm[i]] for st in ops]
    n = shape[perm[i]]
    i += 1
    while i < nd:  # (coalescing: the next dim continues the row in every operand)
        dim = perm[i]
        if shape[dim] != 1 and any(st[dim] != n * f for st, f in zip(ops, first)):
            break
        n *= shape[dim]
        i += 1
    sx, sy = first[-2:]
    kind = "contiguous" if sx == sy == 1 else "scalar" if (sx, sy) in ((0, 1), (1, 0)) else \
        "strided"
    if o is not None and first[0] != 1:  # (the output's stride along the row: a vector loop
        kind = "strided"  # needs it 1)
    order = perm[::-1]
    return None if order == list(range(nd)) else order, i, n, kind


def _inverse(order):
    """The permutation undoing ``order``."""
    inv = [0] * len(order)
    for i, d in enumerate(order):
        inv[d] = i
    return inv


def _signed_fma64(a, b, c):
    """``_fma64`` made exact where a factor is zero (its rescaling loses ``c``'s low bits
    beside a huge factor)."""
    from .._random import _fma64

    r = _fma64(a, b, c)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        fix = (a == 0) | (b == 0)
        return np.where(fix, a * b + c, r) if fix.any() else r


def _mul_rule(ctx, g):
    a, b = ctx.saved
    return (g * _conj_of(b) if ctx.needs_input_grad[0] else None,
            g * _conj_of(a) if ctx.needs_input_grad[1] else None)


def _conj_of(x):
    return x.conj() if isinstance(x, Tensor) and x.dtype.is_complex else \
        x.conjugate() if isinstance(x, complex) else x


# NOTE: written for complex values (``g * conj(other)``, PyTorch's order of operations) rather
# than through ``complex_rule``'s ``conj(conj(g) * other)``: the two differ in the sign of a
# zero imaginary part, which shows when a gradient is printed.
_mul_rule.complex_ready = True


def div(a, b, *, rounding_mode=None):
    if rounding_mode is None:
        return true_divide(a, b)
    if rounding_mode not in ("floor", "trunc"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    dt = D.result_type(a, b)
    _no_bool(dt, f"div_{rounding_mode}_cpu")
    if dt in D._WIDE_UNSIGNED:
        _refuse_wide(dt, f"div_{rounding_mode}_cpu")
    _no_complex(dt, f"div_{rounding_mode}_cpu")
    if not dt.is_floating_point:
        return _binary(a, b, _int_div(rounding_mode), "DivBackward2", None, keep_scalar=True)

    half = dt.np if dt in _LOW and not _one_value(b) else None

    def fn(x, y):
        with quiet:
            if rounding_mode == "floor":
                return _np_floor_divide(x, y, half)
            q = np.true_divide(x, y)
            return np.trunc(q.astype(half).astype(np.float32) if half else q)
    return _binary(a, b, fn, "DivBackward2", _zero2_rule, keep_scalar=True)


def _one_value(b):
    """Whether divisor ``b`` is one value, which PyTorch's half-type division kernels read
    as a float32 scalar, dividing in float32 throughout (see ``_operands``)."""
    return not isinstance(b, Tensor) or b.numel() == 1


def _np_floor_divide(x, y, half):
    """A float ``x // y`` (``half``: the half type of :func:`_half_floor_divide`)."""
    if half:
        return _half_floor_divide(x, y, half)
    out = np.floor_divide(x, y)
    if not (_sleef.VECTORIZED and type(out) is np.ndarray and out.ndim and np.isnan(out).any()
            and out.dtype in (np.float32, np.float64)):
        return out
    m = _sleef.loop_mask(out.shape, x, y, block=_FMOD_BLOCK // out.itemsize)
    return _nan_divisor_signs(_inf_dividend_signs(out, x, y, m, y != 0), x, y)


def _half_floor_divide(x, y, half):
    """``x // y`` of the widened values of float16 or bfloat16 tensors as PyTorch computes
    it: its floor division of floats (from ``fmod``, corrected by one where the signs differ,
    rounded to the nearest integer) in the half type's arithmetic, each step rounded to it."""
    def h(v):
        return np.asarray(v).astype(half).astype(np.float32)
    mod = np.fmod(x, y)
    div = h(h(x - mod) / y)
    div = np.where((mod != 0) & ((y < 0) != (mod < 0)), h(div - 1), div)
    fl = np.floor(div)
    out = np.where(div != 0, h(fl + (h(div - fl) > 0.5)), np.copysign(0, h(x / y)))
    return np.where(y == 0, h(x / y), out)


def _zero2_rule(ctx, g):
    z = g.new_zeros(tuple(g.shape))  # (PyTorch's zeros: not ``g * 0``, -0.0 or NaN)
    return z, z


def true_divide(a, b):
    _check_ints(a, b)
    dt = D.result_type(a, b)
    if dt._kind < 2:  # int / int is a float in PyTorch
        dt = D.get_default_dtype()
        a = _cast(a, dt)
        b = _cast(b, dt)
    # NOTE: the dividend is needed only for the divisor's gradient (see ``mul``)
    return _binary(a, b, _np_divide, "DivBackward0", _div_rule, a if _grad_of(b) else None, b,
                   keep_scalar=True)


def _np_divide(x, y):
    with quiet:
        if getattr(x, "dtype", None) is not None and x.dtype.kind == "c" or \
                getattr(y, "dtype", None) is not None and y.dtype.kind == "c":
            return _cdiv(x, y)
        return np.true_divide(x, y)


def _cdiv(x, y, lone=True):
    """Complex ``x / y`` as PyTorch's CPU kernel computes it, element by element in every
    layout: Smith's algorithm (NumPy's), compiled with fused multiply-adds.  For
    ``|c| >= |d|``: ``r = d/c``, ``s = 1/fma(d, r, c)``, ``(fma(b, r, a) s, fma(-a, r, b) s)``;
    else ``r = c/d``, ``s = 1/fma(c, r, d)``, ``(fma(a, r, b) s, fma(b, r, -a) s)``; a zero
    divisor gives ``(a/|c|, b/|d|)``.  For complex64 some elements take the numerators
    unfused (measured), by rows of PyTorch's loop (see :func:`_complex_rows`): a row's lone
    last element; written in place (``div_``), a row's last ``n % 8`` (all of a strided row).
    ``lone=False``: none (a division inside another function's scalar code)."""
    if not _on_host(x, y) or max(np.size(x), np.size(y)) > _sleef_more.COMPLEX_EXACT_MAX:
        return x / y  # (a GPU's arrays: its own kernel; a large division: NumPy's)
    x, y = np.asarray(x), np.asarray(y)
    dt = np.result_type(x, y)
    x, y = x.astype(dt, copy=False), y.astype(dt, copy=False)
    from .._random import _fma32

    fma = _fma32 if dt == np.complex64 else _signed_fma64
    shape = np.broadcast_shapes(x.shape, y.shape)
    order, k, n, kind = _complex_rows(x, y, shape)
    if order is None:
        out = np.empty(shape, dt)
    else:  # (allocated in the loop's order: its rows are views)
        out = np.empty([shape[i] for i in order], dt).transpose(_inverse(order))
    a, b = (np.broadcast_to(v, shape) for v in (x.real, x.imag))
    c, d = (np.broadcast_to(v, shape) for v in (y.real, y.imag))
    with np.errstate(all="ignore"):
        ac, ad = np.abs(c), np.abs(d)
        big = ac >= ad  # (False where either is NaN: the second form)
        rat = np.where(big, d, c) / np.where(big, c, d)
        scl = 1 / fma(np.where(big, d, c), rat, np.where(big, c, d))
        out.real = fma(np.where(big, b, a), rat, np.where(big, a, b)) * scl
        out.imag = fma(np.where(big, -a, b), rat, np.where(big, b, -a)) * scl
        start = n
        if lone and dt == np.complex64 and out.size:
            if _in_place():
                start = 0 if kind == "strided" else n - n % 8
            elif n % 2:
                start = n - 1
        if start < n:  # (the numerators unfused)
            rows = [shape[i] for i in order[:len(shape) - k]] if order is not None else \
                [out.size // n]

            def row_view(v):
                return (v if order is None else v.transpose(order)).reshape(
                    rows + [n])[..., start:]
            p, q, g, r, t = (row_view(v) for v in (a, b, big, rat, scl))
            o = (out if order is None else out.transpose(order)).reshape(rows + [n])
            o.real[..., start:] = (np.where(g, q, p) * r + np.where(g, p, q)) * t
            o.imag[..., start:] = (np.where(g, -p, q) * r + np.where(g, q, -p)) * t
        zero = big & (ac == 0) & (ad == 0)
        if zero.any():
            out.real[zero] = a[zero] / ac[zero]
            out.imag[zero] = b[zero] / ad[zero]
    return out


def _cast(x, dt):
    return x.to(dt) if isinstance(x, Tensor) else float(x)


def _div_rule(ctx, g):
    a, b = ctx.saved
    ga = g / b if ctx.needs_input_grad[0] else None
    gb = -g * (a / b / b) if ctx.needs_input_grad[1] else None  # (PyTorch's rounding order)
    return ga, gb


def rtruediv(a, s):
    """``s / a`` for a scalar ``s``: PyTorch computes ``reciprocal(a) * s``."""
    return mul(reciprocal(a), s)


def _int_div(mode):
    """Integer division kernels: a zero divisor is an error in PyTorch, not a warning."""
    def fn(x, y):
        shape = np.broadcast_shapes(np.shape(x), np.shape(y))  # (a mismatch is reported first)
        # (an empty result divides nothing, so a zero divisor goes unnoticed, as PyTorch's)
        if math.prod(shape) and bool((y == 0).any() if hasattr(y, "any") else y == 0):
            raise RuntimeError("ZeroDivisionError")  # (a host sync on a GPU)
        if mode == "floor":
            return np.floor_divide(x, y)
        if mode == "remainder":
            return np.remainder(x, y)
        if mode == "fmod":
            return np.fmod(x, y)
        q = np.floor_divide(x, y)  # trunc: round the floor quotient toward zero
        return q + ((q < 0) & (q * y != x)).astype(q.dtype)
    return fn


def floor_divide(a, b):
    dt = D.result_type(a, b)
    _no_bool(dt, "div_floor_cpu")
    _no_complex(dt, "div_floor_cpu")

    half = dt.np if dt in _LOW and not _one_value(b) else None

    def fn(x, y):
        with quiet:
            return _np_floor_divide(x, y, half)
    # NOTE: PyTorch records a node named NotImplemented whose backward raises.
    return _binary(a, b, fn if dt.is_floating_point else _int_div("floor"), "NotImplemented",
                   _floor_divide_rule, keep_scalar=True)


def _floor_divide_rule(ctx, g):
    raise RuntimeError("derivative for aten::floor_divide is not implemented")


def _floor_divide_inplace_rule(ctx, g):
    raise RuntimeError("derivative for aten::floor_divide_ is not implemented")


def remainder(a, b):
    dt = D.result_type(a, b)
    _no_bool(dt, "remainder_cpu")
    _no_complex(dt, "remainder_cpu")
    if dt in D._WIDE_UNSIGNED:
        _refuse_wide(dt, "remainder_cpu")

    def fn(x, y):
        # PyTorch's: fmod, plus the divisor where the signs differ (a zero keeps the
        # dividend's sign: NumPy's remainder gives the divisor's)
        with quiet:
            mod = _np_fmod(x, y, dt)
            return np.where((mod != 0) & ((y < 0) != (mod < 0)), mod + y, mod)
    if not isinstance(a, Tensor):  # scalar % tensor: PyTorch has no derivative for it
        return _binary(a, b, fn if dt.is_floating_point else _int_div("remainder"),
                       "NotImplemented", _no_remainder_rule)
    return _binary(a, b, fn if dt.is_floating_point else _int_div("remainder"),
                   "RemainderBackward1" if _both(a, b) else "RemainderBackward0",
                   _remainder_rule, *_for_other(a, b))


def _for_other(a, b):
    """What PyTorch's remainder/fmod node keeps: ``self`` and ``other``, for ``other``'s
    gradient only (``self``'s is the gradient itself)."""
    return (a, b) if getattr(b, "requires_grad", False) else (None, None)


def _no_remainder_rule(ctx, g):
    raise RuntimeError("derivative for aten::remainder is not implemented")


def _both(a, b):
    return isinstance(a, Tensor) and isinstance(b, Tensor)


def _remainder_rule(ctx, g):
    a, b = ctx.saved
    # (floor(a / b) has a zero derivative: detached, so that a create_graph backward can run)
    return g, (-g * floor_divide(a.detach(), b.detach()) if ctx.needs_input_grad[1] else None)


def fmod(a, b):
    dt = D.result_type(a, b)
    _no_bool(dt, "fmod_cpu")
    _no_complex(dt, "fmod_cpu")

    def fn(x, y):
        with quiet:
            return _np_fmod(x, y, dt)
    return _binary(a, b, fn if dt.is_floating_point else _int_div("fmod"),
                   "FmodBackward1" if _both(a, b) else "FmodBackward0", _fmod_rule,
                   *_for_other(a, b))


_FLT_MIN = np.float32(2.0 ** -126)


def _np_fmod(x, y, dt):
    """``fmod`` as PyTorch's float32 (and bfloat16) kernels compute it: exact, except that
    the vector loop's (Sleef's ``fmodf``) first partial quotient ``|x| * (1 / |y|)``, both
    rounded toward zero, overflows where ``|x / y|`` passes the float32 range: NaN there."""
    out = np.fmod(x, y)
    if dt in (D.float32, D.float64) and _sleef.VECTORIZED and type(out) is np.ndarray and \
            out.ndim and out.dtype == dt.np:
        out = _fmod_nans(out, x, y)
    if not (_sleef.VECTORIZED and dt in (D.float32, D.bfloat16) and type(x) is np.ndarray
            and type(y) is np.ndarray and x.dtype == np.float32 and y.dtype == np.float32):
        return out
    f32 = np.float32
    with quiet:
        nu, de = np.abs(x), np.abs(y)
        small = de < _FLT_MIN  # (scaled up by 2**25 first)
        nu = np.where(small, nu * f32(2 ** 25), nu)
        de = np.where(small, de * f32(2 ** 25), de)
        rde = _toward0(f32(1) / de)
        over = np.isinf(_toward0(nu) * rde) & ~((de + de > nu) & (nu >= de))
        over &= np.isfinite(x) & np.isfinite(y) & (y != 0)
    if not over.any():
        return out
    m = _sleef.loop_mask(out.shape, x, y, block=_FMOD_BLOCK // 2 if dt is D.bfloat16 else
                         _FMOD_BLOCK // 4)
    if m is None:
        return out
    return np.where(over & m, np.float32(np.nan), out)


# The bytes of one step of PyTorch's float fmod vector loop: one vector on AVX-512 (measured);
# elsewhere 32 float32 values, as measured before
_FMOD_BLOCK = 64 if _sleef.cpu_capability() == "avx512" else 128


def _fmod_nans(out, x, y):
    """``out`` (float32/float64 ``fmod``) with the NaN of a zero divisor or an infinite
    dividend as PyTorch's kernel gives it: +nan in its vector loop, the C library's -nan in
    the scalar tail; a NaN operand's own NaN as NumPy gives it."""
    nan = np.isnan(out)
    if not nan.any():
        return out
    out = _nan_divisor_signs(out, x, y)
    nan &= ~(np.isnan(x) | np.isnan(y))
    if not nan.any():
        return out
    m = _sleef.loop_mask(out.shape, x, y, block=_FMOD_BLOCK // out.itemsize)
    if m is None:
        return out
    out = np.array(out)
    out[nan if m is True else nan & m] = np.nan
    return _inf_dividend_signs(out, x, y, m, y != 0)


def _inf_dividend_signs(out, x, y, m, where):
    """``out`` with the NaN of an infinite dividend (``where`` also holds: a nonzero divisor
    for fmod and floor division) as PyTorch's AVX-512 vector loop gives it:
    the dividend's opposite sign (measured, float32 and float64 alike)."""
    if _sleef.cpu_capability() != "avx512" or m is None:
        return out
    sel = np.isinf(x) & where & np.isnan(out) & ~np.isnan(y)
    if not sel.any():
        return out
    nan = np.where(np.signbit(x), out.dtype.type(np.nan), out.dtype.type(-np.nan))
    return np.where(sel if m is True else sel & m, nan, out)


def _nan_divisor_signs(out, x, y):
    """``out`` (a float32/float64 ``fmod``, ``remainder`` or ``floor_divide``) with the NaN of
    a NaN divisor (the dividend not NaN) as PyTorch's AVX-512 vector loop gives it: the
    dividend's sign for float32, the opposite sign for float64 (measured); the scalar tail
    keeps the divisor's NaN, as NumPy does."""
    if _sleef.cpu_capability() != "avx512" or type(out) is not np.ndarray or not out.ndim or \
            out.dtype not in (np.float32, np.float64):
        return out
    sel = np.isnan(y)
    if not sel.any():
        return out
    sel = sel & ~np.isnan(x)
    m = _sleef.loop_mask(out.shape, x, y, block=_FMOD_BLOCK // out.itemsize) if \
        sel.any() else None
    if m is None:
        return out
    neg = np.signbit(x) if out.dtype == np.float32 else ~np.signbit(x)
    nan = np.where(neg, out.dtype.type(-np.nan), out.dtype.type(np.nan))
    return np.where(sel if m is True else sel & m, nan, out)


def _toward0(v):
    """The float32 next to ``v`` toward zero (zero stays zero)."""
    b = v.view(np.int32)
    return np.where(v == 0, v, (b - 1).view(np.float32))


def _fmod_rule(ctx, g):
    a, b = ctx.saved
    # (trunc(a / b) has a zero derivative: detached, as remainder's floor)
    return g, (-g * trunc(a.detach() / b.detach()) if ctx.needs_input_grad[1] else None)


_C_NAMES = {np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t",
            np.dtype(np.int16): "int16_t", np.dtype(np.int32): "int", np.dtype(np.int64): "int64_t"}


def pow(a, b):
    if _amp.ON:  # (in float32 under CUDA autocast, as PyTorch's)
        a, b = _amp.cuda_fp32(a), _amp.cuda_fp32(b)
    if not isinstance(a, Tensor):
        return _rpow(a, b)
    _check_ints(b)
    dt = D.result_type(a, b)
    if not isinstance(b, Tensor):
        if isinstance(b, (int, np.integer)) and not isinstance(b, (bool, np.bool_)) and b < 0 \
                and dt._kind < 2:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if dt._kind == 1 and isinstance(b, (int, np.integer)) and not isinstance(b, bool):
            info = np.iinfo(dt.np)
            if not info.min <= b <= info.max:  # PyTorch converts the exponent to the dtype
                raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dt.np]} "
                                   "without overflow")
        elif dt in _LOW and isinstance(b, (int, float)) and math.isfinite(b) and \
                not -D.finfo(dt).max <= b <= D.finfo(dt).max:  # (``abs`` is the op here)
            raise RuntimeError(f"value cannot be converted to type {D.cpp_name(dt)} without "
                               "overflow")
        if dt is D.bool:  # bool ** True / bool ** False stays bool in PyTorch
            return _binary(a, b, lambda x, y: np.power(x.astype(np.uint8), y).astype(np.bool_),
                           "PowBackward0", None)
        # PowBackward0 has one edge: the exponent is a number, not an input.
        _, x, y = _operands(a, b)
        if dt in _LOW and isinstance(b, (float, np.floating)) and math.isfinite(b):
            # (PyTorch's half and bfloat16 kernels round the exponent to the dtype first)
            y = float(np.float32(b).astype(dt.np))
        with quiet:
            out = as_array(_half_pow(x, y, dt, a._data) if dt in _LOW else
                           _np_pow_scalar(x, y))
            if dt is D.bfloat16 and y == 0.5 and type(out) is np.ndarray:
                out = _bf16_unary_nans(out, dt.np, True)  # (PyTorch's sqrt kernel)
            out = out.astype(dt.np, copy=False)
        out = iter_layout(out, (a,), dt.np)  # (the number is no operand)
        return make(out, (a,), "PowBackward0", _pow_scalar_rule, a, b, laid=True)
    _no_bool(dt, "pow")
    return _binary(a, b, _np_pow_nans, "PowBackward1", _pow_rule, a, b, OUT)


def _np_pow_nans(x, y):
    """``_np_pow`` of two tensors' arrays with PyTorch's NaN bits (``nan_payloads2``; a
    negative base's float64 NaN is positive in the vector loop)."""
    out = _np_pow(x, y)
    if type(out) is np.ndarray and out.dtype.kind == "f":
        dom = 0x7FF8000000000000 if out.dtype == np.float64 else None
        out = nan_payloads2(x, y, out, domain=dom)
    return out


def _half_pow(x, y, dt, src):
    """``x ** y`` for the widened values ``x`` of a float16 or bfloat16 tensor (``src``, its
    array) and a number ``y``, as PyTorch's kernels for them compute it: bfloat16's cube and
    inverse square round each product to bfloat16, and its inverse square root is ``rsqrt``'s
    (as far as known: its vector loop differs once in a few thousand values); float16's square
    roots (``y`` = +-0.5) are the float32 ``pow`` (so ``(-inf) ** 0.5`` is inf and
    ``(-0.) ** -0.5`` is inf, not NaN and -inf)."""
    if dt is D.bfloat16 and y == -0.5 and type(src) is np.ndarray:
        return _half_unary(_np_rsqrt, src).astype(np.float32)
    if dt is D.bfloat16 and y in (3, -2):
        sq = (x * x).astype(dt.np).astype(np.float32)
        if y == -2:
            return np.float32(1) / sq
        return sq * x
    if dt is D.float16 and y in (0.5, -0.5):
        out = np.power(x.astype(np.float64), y)
        if y == 0.5:  # (NumPy's power takes the square root here)
            out = np.where(x == -np.inf, np.inf, out + 0.0)
        return out.astype(np.float32)
    return _np_pow_scalar(x, y)


def _np_pow(x, y, c_order=False):
    with quiet:
        if np.result_type(x).kind in "iu" and bool(np.any(y < 0)):
            # NOTE: PyTorch's integer pow: x ** -n is 1 for x == 1, +-1 for x == -1, else 0.
            odd = (y % 2) != 0  # (not through abs(y), which keeps the lowest int negative)
            neg = np.where(x == 1, 1, np.where(x == -1, np.where(odd, -1, 1), 0))
            pos = np.power(x, np.where(y < 0, 0, y))
            return as_array(np.where(y < 0, neg, pos)).astype(np.result_type(x, y))
        if (type(x) is np.ndarray or type(y) is np.ndarray) and \
                np.result_type(x, y) == np.float32:
            return _pow_f32(np.asarray(x, np.float32), np.asarray(y, np.float32), c_order)
        if type(y) is np.ndarray and (y.dtype.kind == "c" or np.result_type(x).kind == "c") \
                and (type(x) is np.ndarray or np.isscalar(x)):  # (a tensor exponent)
            return _cpow(x, y)
        return np.power(x, y)


def _cpow(x, y):
    """Complex ``x ** y`` as PyTorch's kernel (the C library's ``cpow``: ``exp(y * log(x))``);
    NumPy's ``power`` multiplies instead for a whole real exponent (and has its own zeros)."""
    out = np.power(x, y)
    yr, yi = np.real(y), np.imag(y)
    special = ((yi == 0) & (yr == np.round(yr)) & (np.abs(yr) < 100)) | (x == 0)
    if np.any(special):
        dt = out.dtype
        via_log = np.exp(np.asarray(y, dt) * np.log(np.asarray(x, dt)))
        out = np.where(special, via_log, out).astype(dt, copy=False)
    return out


def _pow_f32(x, y, c_order=False):
    """float32 ``x ** y`` as PyTorch's CPU kernel computes it: Sleef's powf in the vector loop,
    the C library's on the loop tails (see ``_sleef.loop_mask``; ``c_order``: the result is
    C-contiguous whatever the operands' layout, as ``number ** tensor``'s)."""
    if not _sleef.VECTORIZED:
        return _sleef.c_pow(x, y)
    return _sleef.split_apply(np.broadcast_shapes(x.shape, y.shape), _sleef.powf, _sleef.c_pow,
                              x, y, c_order=c_order)


def _np_pow_scalar(x, y):
    """``x ** y`` for a scalar ``y``; PyTorch computes the common exponents with their own
    kernels (sqrt, rsqrt, reciprocal...), which decides the sign of some infinities and zeros."""
    kind = x.dtype.kind
    if kind == "c" and type(x) is np.ndarray and (y == -0.5 or y == -1 or y == 2 or y == 3
                                                  or y == -2):
        with quiet:
            if y == -0.5:
                return _np_rsqrt(x)
            if y == -1:
                return _cdiv(np.ones((), x.dtype), x)
            return _cpow_small(x, int(np.real(y)))
    if kind == "f" or kind == "c":
        with quiet:
            if y == 0.5:  # (float32, float64: MKL's sqrt, as PyTorch's)
                if kind == "f" and type(x) is np.ndarray:
                    return _nan_bits(np.sqrt, x, _vml.sqrt(x))
                return np.sqrt(x)
            if y == -0.5:
                return 1 / np.sqrt(x)
            if y == -1:
                return 1 / x
            if y == 1 and kind == "c":  # (PyTorch's complex kernel: a copy)
                return x.copy()
            if y == 2:
                return x * x
            if y == 3:
                return x * x * x
            if y == -2:
                return 1 / (x * x)
            if kind == "c" and type(x) is np.ndarray:  # (the C library's cpow, as PyTorch's)
                return np.ones_like(x) if y == 0 else _cpow(x, np.asarray(y, x.dtype))
            if kind == "f" and type(x) is np.ndarray and x.dtype == np.float32 and \
                    isinstance(y, (int, float, np.integer, np.floating)) and \
                    not isinstance(y, (bool, np.bool_)) and math.isfinite(y):
                out = _pow_f32_scalar(x, float(y))
                # (Sleef's pow selects its NaN through a mask: all bits set)
                return nan_payloads(x, out, "ones", "q") if y != 1 else out
    out = _np_pow(x, y)
    if kind == "f" and type(x) is np.ndarray and type(out) is np.ndarray and y != 1 and \
            out.size and np.isnan(np.maximum.reduce(out, axis=None)):
        out = nan_payloads(x, out, "ones", "q")
        if out.dtype == np.float64:
            # a negative base's NaN: Sleef's positive one in the vector loop (the C
            # library's, NumPy's, is negative)
            with quiet:
                dom = np.isnan(out) & ~np.isnan(x)
            m = _sleef.loop_mask(x.shape, x, block=16)
            if m is not None and dom.any():
                out[dom if m is True else dom & m] = np.nan
    return out


def _cpow_small(x, k):
    """Complex ``x ** k`` for k = 2, 3, -2 as PyTorch's kernel computes it: ``x * x`` (times
    ``x``; -2: 1 over it), products rounded apart in the vector loop's whole blocks of 2
    vectors, fused (``fma(a, c, -bd)``, ``fma(a, d, bc)``) in its scalar tail."""
    if not _on_host(x):  # (a GPU's arrays: its own kernel)
        return x ** k
    flat = np.ascontiguousarray(x).reshape(-1)
    body = flat.size - flat.size % (16 if x.dtype == np.complex64 else 8)

    def prod(u, v, fused):
        a, b, c, d = u.real, u.imag, v.real, v.imag
        out = np.empty(u.shape, u.dtype)
        if fused:
            from .._random import _fma32

            fma = _fma32 if u.dtype == np.complex64 else _signed_fma64
            out.real, out.imag = fma(a, c, -(b * d)), fma(a, d, b * c)
        else:
            out.real, out.imag = a * c - b * d, a * d + b * c
        return out

    out = np.empty_like(flat)
    for part, fused in ((slice(0, body), False), (slice(body, None), True)):
        v = flat[part]
        if v.size:
            r = prod(v, v, fused)
            if k == 3:
                r = prod(r, v, fused)
            out[part] = _cdiv(np.ones((), x.dtype), r) if k == -2 else r
    return out.reshape(x.shape)


def _pow_f32_scalar(x, e):
    """float32 ``x ** e`` for a number ``e``: 0 fills ones and 1 copies; else the vector loop
    runs Sleef's powf with ``e`` rounded to float32, and the tails the float64 power with ``e``
    as it is, rounded once (PyTorch's scalar code calls ``pow(float, double)``)."""
    if e == 0:
        return np.ones_like(x)
    if e == 1:
        return x.copy()
    e32 = np.float32(e)

    def scalar(v):
        return np.power(v, e, dtype=np.float64).astype(np.float32)
    if not _sleef.VECTORIZED:
        return scalar(x)
    return _sleef.split_apply(x.shape, lambda v: _sleef.powf(v, e32), scalar, x)


def _pow_scalar_rule(ctx, g):
    a, e = ctx.saved
    if e == 0:  # (PyTorch's zeros_like: +0 whatever g holds)
        return (a.new_zeros(a.shape),)
    d = a.pow(e - 1) * e  # as PyTorch: the factor e * a ** (e - 1) first
    if d.dtype.is_complex:  # (g * conj(d), PyTorch's complex gradient, its signed zeros too)
        from .complex import conj_physical

        d = conj_physical(d)
    return (g * d,)


_pow_scalar_rule.complex_ready = True


def _pow_rule(ctx, g):
    a, b, out = ctx.saved
    # as PyTorch: a zero exponent gives a zero gradient even where a ** (b - 1) is inf
    ga = where(b.eq(0), 0.0, g * (b * a.pow(b - 1))) if ctx.needs_input_grad[0] else None
    gb = None
    if ctx.needs_input_grad[1]:
        la = (a if a.dtype is out.dtype else a.to(out.dtype)).log()  # (in the result dtype)
        gb = g * where(a.eq(0) & b.real.ge(0), 0.0, out * la)
    return ga, gb


def _rpow(s, b):
    try:
        dt, sx, x = _operands(s, b)
    except NotImplementedError:  # (a complex number and a half tensor: complex32, no kernel)
        if _complex_half_operands(s, b, "pow") is None:
            raise
    _no_bool(dt, "pow")
    if dt in _LOW:  # NOTE: PyTorch rounds the number base to the half type first
        with quiet:
            sx = np.asarray(sx).astype(dt.np).astype(np.float32)
    out = _np_pow(sx, x, c_order=True)
    if type(x) is np.ndarray and type(out) is np.ndarray and out.dtype == x.dtype:
        # (a NaN exponent: Sleef's masked NaN)
        out = nan_payloads(x, out, "ones", "q", c_order=True)
    with quiet:  # (a half type's overflow is its infinity, silently as in PyTorch)
        out = as_array(out).astype(dt.np, copy=False)
    if not out.flags.c_contiguous:  # (PyTorch's result is contiguous, whatever ``b``'s layout)
        out = xp_of_array(out).ascontiguousarray(out)
    if 1 in out.shape:
        out = iter_layout(out, ())
    return make(out, (b,), "PowBackward2", _rpow_rule, s, OUT, b, laid=True)


def _rpow_rule(ctx, g):
    s, out, _ = ctx.saved  # (the exponent too, as PyTorch's: refused once changed in place)
    if isinstance(s, complex):
        import cmath

        return (g * out * cmath.log(s) if s != 0 else g * 0,)
    if s == 0:  # as PyTorch: 0 where the exponent is >= 0 (out is 0 or 1), else out * log(0)
        return (g * where(out.eq(0) | out.eq(1), 0.0, out * -math.inf),)
    return (g * (out * math.log(s)) if s > 0 else g * out * float("nan"),)


def neg(a):
    if a.dtype is D.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    x = a._data
    y = np.negative(x) if x.flags.c_contiguous else iter_layout(np.negative(x), (a,))
    if a.dtype is D.bfloat16 and type(x) is np.ndarray:
        # (the vector loop flips a NaN's sign bit; the scalar tail's c10::BFloat16 makes it
        # the positive quiet NaN 0x7FC0)
        nan = np.isnan(y)
        if nan.any():
            m = _sleef.loop_mask(x.shape, x, block=_sleef.BLOCK) if x.ndim else None
            if m is not True:
                y.view(np.uint16)[nan if m is None else nan & ~m] = 0x7FC0
    if a.dtype._kind == 3 and type(x) is np.ndarray and _sleef.VECTORIZED and x.ndim:
        # (PyTorch's complex vector loop subtracts from zero: a zero part comes out +0, a NaN
        # keeps its sign; its scalar tail negates.  Measured.)
        m = _sleef.loop_mask(x.shape, x, block=64 // x.itemsize)
        if m is not None:
            with np.errstate(all="ignore"):
                y[...] = np.where(m, np.subtract(0, x), y) if m is not True else \
                    np.subtract(0, x)
    return make(y, (a,), "NegBackward0", _neg_rule, laid=True)


def _neg_rule(ctx, g):
    return (-g,)


# -- unary math ---------------------------------------------------------------

def _float_data(a):
    """``a``'s array, converted to the default float dtype if ``a`` is not floating (or
    complex)."""
    d = a._data
    if a.dtype._kind >= 2:
        return d
    return d.astype(D.get_default_dtype().np)


# Transcendental functions whose float32 results are computed in float64 and rounded once
# on the CPU: PyTorch's kernels (MKL's vector math, Sleef) are accurate to within an ulp,
# NumPy's float32 SIMD ones to a few.  Rounded from float64, ember's exp gives PyTorch's
# bits for 99% of inputs (61% before), tanh 99.9% (68%), log 92% (83%).
_WIDENED = {np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10, np.log1p, np.sin, np.cos,
            np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh,
            np.arccosh, np.arctanh}
# ... except these, reproduced bit for bit where ``_vml.emulated()`` (else rounded from float64)
_VML = {np.exp: _vml.exp, np.log: _vml.log, np.log2: _vml.log2, np.sin: _vml.sin,
        np.cos: _vml.cos, np.tan: _vml.tan, np.arctan: _vml.atan, np.arcsin: _vml.asin,
        np.arccos: _vml.acos, np.tanh: _vml.tanh,
        # (scalar loops over the C library's asinhf, acoshf: _libm)
        np.arcsinh: _libm.asinhf, np.arccosh: _libm.acoshf}


# the unary ops PyTorch's CUDA autocast runs in float32, by node name
_CUDA_FP32 = frozenset(("ExpBackward0", "Expm1Backward0", "LogBackward0", "Log2Backward0",
                        "Log10Backward0", "Log1PBackward0", "ReciprocalBackward0",
                        "RsqrtBackward0", "SinhBackward0", "CoshBackward0", "TanBackward0",
                        "AsinBackward0", "AcosBackward0", "ErfinvBackward0"))


def _cj(t):
    """``conj(t)`` for a complex ``t`` (PyTorch's complex gradient formulas), ``t`` else."""
    if t.dtype.is_complex:
        from .complex import conj_physical

        return conj_physical(t)
    return t


def _ready(rule):
    """``rule``, written as PyTorch's formula (``_cj`` where it conjugates), marked so."""
    rule.complex_ready = True
    return rule


def _unary_float(a, fn, name, rule, *saved):
    if _amp.ON and name in _CUDA_FP32:
        a = _amp.cuda_fp32(a)
    x = _float_data(a)
    with quiet:
        if x.dtype.itemsize == 2 and x.dtype.kind != "i" and x.dtype.kind != "u":
            # half types: computed in float32 and rounded once, as PyTorch does
            out = _half_unary(fn, x)
        elif x.dtype == np.float32 and fn in _VML and type(x) is np.ndarray:
            out = _VML[fn](x)  # PyTorch's float32 exp, log, log2 and trigonometry are MKL's
        elif x.dtype == np.float64 and fn in _DOUBLE and type(x) is np.ndarray:
            out = _sleef_more.split64(x, *_DOUBLE[fn])
        elif x.dtype == np.float32 and fn in _WIDENED and type(x) is np.ndarray:
            out = fn(x, dtype=np.float64).astype(np.float32)
        elif fn is np.sqrt and (x.dtype == np.float32 or x.dtype == np.float64) and \
                type(x) is np.ndarray:
            out = _vml.sqrt(x)  # PyTorch's sqrt is MKL's, not correctly rounded
        elif x.dtype.kind == "c":
            out = _complex_unary(x, fn, name)
        else:
            out = fn(x)
        if fn in _DOMAIN_NAN and type(x) is np.ndarray:
            out = _nan_bits(fn, x, out)
        elif fn in _NAN_MODES and type(x) is np.ndarray:
            modes = _NAN_MODES[fn].get(x.dtype)
            if modes is not None:
                out = nan_payloads(x, out, *modes)
    if not a._data.flags.c_contiguous:  # (else NumPy's C-contiguous result is PyTorch's)
        out = iter_layout(out, (a,), out.dtype)
    return make(out, (a,), name, rule, *[a if s == "in" else s for s in saved], laid=True)


# Real-only functions PyTorch refuses for complex input, by node name: its kernel's name.
_REAL_ONLY = {"ErfBackward0": "erf_vml_cpu", "ErfcBackward0": "erfc_vml_cpu",
              "ErfinvBackward0": "erfinv_vml_cpu"}


def _complex_unary(x, fn, name):
    """A unary function of complex values, computed in their own precision: NumPy's complex
    functions are the C library's (``csinf``, ``cexp``...), which PyTorch's complex kernels
    call too (through ``std::complex``): the same bits, complex64 included (measured: none
    of 4096 random values differ for sqrt, exp, log, the trigonometric and hyperbolic
    functions and their inverses).  The forms PyTorch's vector code computes otherwise are
    in ``_COMPLEX_FORMS``."""
    kernel = _REAL_ONLY.get(name)
    if kernel is not None:
        _no_complex(D._BY_NP[x.dtype], kernel)
    form = _COMPLEX_FORMS.get(name)
    if form is not None:
        out = form(x)
        if out is not None:
            return out
    return fn(x)


def _log_over(k):
    """PyTorch's complex ``log2``/``log10``: ``log(z)``, each part divided by ``ln k``."""
    def f(x):
        lz = np.log(x)
        den = x.real.dtype.type(math.log(k))
        out = np.empty_like(lz)
        out.real = lz.real / den
        out.imag = lz.imag / den
        return out
    return f


def _complex_acos(x):
    """complex128 ``acos`` as PyTorch's vector code computes it: ``pi/2 - asin(z)``
    (complex64's calls the C library's ``cacosf``, as NumPy's: None)."""
    if x.dtype != np.complex128:
        return None
    return np.float64(math.pi / 2) - np.arcsin(x)


_COMPLEX_FORMS = {"Log2Backward0": _log_over(2), "Log10Backward0": _log_over(10),
                  "AcosBackward0": _complex_acos}


def exp(a):
    return _unary_float(a, np.exp, "ExpBackward0", lambda ctx, g: (g * ctx.saved[0],), OUT)


def _exp2_f32(x):
    """``exp2`` as PyTorch's float32 kernel: Sleef's in the vector loop, the C library's on
    the loop tails."""
    if type(x) is np.ndarray and x.dtype == np.float32:
        if not _sleef.VECTORIZED:
            return _sleef.c_exp2(x)
        return _sleef.split_apply(x.shape, _sleef.exp2f, _sleef.c_exp2, x)
    return np.exp2(x)


def exp2(a):
    return _unary_float(a, _exp2_f32, "Exp2Backward0",
                        lambda ctx, g: (g * ctx.saved[0] * math.log(2),), OUT)


def _sleef_or(vector, fn):
    """``vector`` (a Sleef function) for float32 NumPy arrays, ``fn`` otherwise: PyTorch's CPU
    kernel runs every value of a float32 tensor (tails too) through Sleef's vector code."""
    def f(x):
        if x.dtype == np.float32 and type(x) is np.ndarray:
            return vector(x) if _sleef.VECTORIZED else fn(x, dtype=np.float64).astype(x.dtype)
        return fn(x)
    return f


_EXPM1 = _sleef_or(_sleef.expm1f, np.expm1)
_LOG1P_REAL = _sleef_or(_sleef.log1pf, np.log1p)


def _log1p_any(x):
    if x.dtype.kind != "c":
        return _LOG1P_REAL(x)
    if _on_host(x) and x.size <= _sleef_more.COMPLEX_EXACT_MAX:
        return _clog1p(x)
    out = np.log1p(x)
    # (PyTorch's complex log1p: where x(2 + x) + y^2 underflows to 0, its real part is x
    # itself, so -0 for a -0 real part, where the logarithm gives +0)
    re, im = x.real, x.imag
    with np.errstate(all="ignore"):
        tiny = re * (2 + re) + im * im == 0
    if tiny.any():
        out = np.asarray(out)
        out.real = np.where(tiny, re, out.real)
    return out


def _clog1p(z):
    """PyTorch's CPU complex ``log1p`` (c10's): with ``u = z + 1`` (the real part only),
    ``z`` where ``u == 1``, ``log(u)`` where ``u - 1 == z``, else ``log(u) * (z / (u - 1))``,
    the product compiled with fused multiply-adds: ``(fma(a, c, -bd), fma(a, d, bc))``, the
    division as :func:`_cdiv`.  For complex64 the values of a strided loop row after its last
    whole 8 (:func:`_strided_rest`) take the product unfused and the division's numerators
    unfused (measured)."""
    from .._random import _fma32

    z = np.asarray(z)
    fma = _fma32 if z.dtype == np.complex64 else _signed_fma64
    one = z.real.dtype.type(1)
    u = z.copy()
    with np.errstate(all="ignore"):
        u.real += one
        lu = np.log(u)
        um = u.copy()
        um.real -= one
        q = _cdiv(z, um, lone=False)
        a, b, c, d = lu.real, lu.imag, q.real, q.imag
        out = np.empty(z.shape, z.dtype)
        out.real = fma(a, c, -(b * d))
        out.imag = fma(a, d, b * c)
        rest = _strided_rest(z) if z.dtype == np.complex64 else None
        if rest is not None:
            zr, ur = z[rest], um[rest]
            p, s_, g, h = zr.real, zr.imag, ur.real, ur.imag
            big = np.abs(g) >= np.abs(h)
            rat = np.where(big, h, g) / np.where(big, g, h)
            scl = 1 / _fma32(np.where(big, h, g), rat, np.where(big, g, h))
            c = (np.where(big, s_, p) * rat + np.where(big, p, s_)) * scl
            d = (np.where(big, -p, s_) * rat + np.where(big, s_, -p)) * scl
            a, b = lu.real[rest], lu.imag[rest]
            out.real[rest] = a * c - b * d
            out.imag[rest] = a * d + b * c
    out = np.where(um == z, lu, out)
    return np.where(u == one, z, out)


def _strided_rest(x):
    """Where an elementwise loop over ``x`` (PyTorch's iterator: dims in memory order,
    coalesced where they can be) has a strided inner row, the values of each row after its
    last whole 8 (a boolean array), else None."""
    if type(x) is not np.ndarray:
        return None
    if not x.ndim:  # (its loop's one value: strided)
        return np.ones((), bool)
    if x.size < 2 or x.flags.c_contiguous or x.flags.f_contiguous:
        return None
    if any(s < 0 for s in x.strides):  # (a flip: PyTorch's is a contiguous copy)
        return None
    from ._cascade import iterator_sort

    def swap(d0, d1):  # (PyTorch's iterator's order: 1 puts d1 inside d0; 0: keep)
        s0, s1 = x.strides[d0], x.strides[d1]
        if s0 and s1 and s0 != s1:
            return -1 if s0 < s1 else 1
        return 0
    axes = iterator_sort([k for k in reversed(range(x.ndim)) if x.shape[k] > 1], swap)
    st, n, group = x.strides[axes[0]], x.shape[axes[0]], [axes[0]]
    if st == x.itemsize:
        return None
    for k in axes[1:]:
        if x.strides[k] != st * n:
            break
        n *= x.shape[k]
        group.append(k)
    pos = np.zeros(x.shape, np.int64)
    step = 1
    for k in group:  # (each value's place in its row)
        shape = [1] * x.ndim
        shape[k] = x.shape[k]
        pos = pos + np.arange(x.shape[k]).reshape(shape) * step
        step *= x.shape[k]
    rest = pos >= n // 8 * 8
    return rest if rest.any() else None


def _expm1_any(x):
    if x.dtype.kind == "c" and _on_host(x) and x.size <= _sleef_more.COMPLEX_EXACT_MAX:
        return _cexpm1(x)
    return _EXPM1(x)


def _cexpm1(z):
    """PyTorch's CPU complex ``expm1`` (c10's): for ``z = x + iy``,
    ``(fma(expm1(x), cos(y), -2 sin(y/2)^2), exp(x) sin(y))``, with the C library's real
    functions (GNU libc's)."""
    z = np.asarray(z)
    x, y = z.real, z.imag
    two = x.dtype.type(2)
    out = np.empty(z.shape, z.dtype)
    with np.errstate(all="ignore"):
        if z.dtype == np.complex64:
            from .._random import _fma32

            a = _libm.sinf(y / two)
            out.real = _fma32(_libm.expm1f(x), _libm.cosf(y), -(two * a * a))
            out.imag = _sleef.c_exp(x) * _libm.sinf(y)
        else:  # (NumPy's float64 sin and cos are the C library's; its exp and expm1 not)
            a = np.sin(y / two)
            ok = (x < 709.78) & (z.size <= _C_EXP_MAX)  # (math's raise where they overflow)
            em = np.where(ok, _libm.c_double(math.expm1, x, ok), np.expm1(x))
            out.real = _signed_fma64(em, np.cos(y), -(two * a * a))
            out.imag = np.where(ok, _libm.c_double(math.exp, x, ok), np.exp(x)) * np.sin(y)
    return out


_C_EXP_MAX = 1 << 20  # (beyond: NumPy's, within an ulp, a loop's cost)


def expm1(a):
    return _unary_float(a, _expm1_any, "Expm1Backward0",
                        lambda ctx, g: (g * (ctx.saved[0] + 1),), OUT)


def log(a):
    return _unary_float(a, np.log, "LogBackward0", _ready(lambda ctx, g: (g / _cj(ctx.saved[0]),)),
                        "in")


def log2(a):
    return _unary_float(a, np.log2, "Log2Backward0",
                        _ready(lambda ctx, g: (g / (_cj(ctx.saved[0]) * math.log(2)),)), "in")


def log10(a):
    return _unary_float(a, np.log10, "Log10Backward0",
                        _ready(lambda ctx, g: (g / (_cj(ctx.saved[0]) * _LN10),)), "in")


# PyTorch's derivative formula for log10 writes ln(10) as 2.3025850929940456: an ulp below
# math.log(10), which float64 gradients show
_LN10 = 2.3025850929940456


def log1p(a):
    return _unary_float(a, _log1p_any, "Log1PBackward0",
                        lambda ctx, g: (g / (ctx.saved[0] + 1),), "in")


def sqrt(a):
    return _unary_float(a, np.sqrt, "SqrtBackward0", lambda ctx, g: (g / (2 * ctx.saved[0]),), OUT)


# The NaN that PyTorch's real kernels give for an argument out of the domain, by function
# and dtype: (its bits, whether a NaN argument gives the same bits rather than itself).
_DOMAIN_NAN = {
    np.sqrt: {np.dtype(np.float64): (0x7FF8000000000000, False),
              np.dtype(np.float32): (0x7FC00000, False)},
    np.log: {np.dtype(np.float64): (0x7FF8000000000000, False)},
    np.log2: {np.dtype(np.float64): (0x7FF8000000000000, False)},
    np.log10: {np.dtype(np.float64): (0x7FF8000000000000, False),
               np.dtype(np.float32): (0x7FC00000, False)},
    _log1p_any: {np.dtype(np.float64): (0x7FF8000000000000, True),
                 np.dtype(np.float32): (-1, False)},
}


def _nan_bits(fn, x, out):
    """``out`` (``fn`` of the float array ``x``) with its NaN bits as PyTorch's kernel
    gives them (``_DOMAIN_NAN``): NumPy's domain errors are -nan, and some functions quiet a
    NaN argument to +nan."""
    spec = _DOMAIN_NAN[fn].get(x.dtype)
    if spec is None or out.dtype != x.dtype:
        return out
    nan = out != out
    if not nan.any():
        return out
    bits, all_nans = spec
    out = np.array(out)
    iv = out.view(np.int64 if out.dtype == np.float64 else np.int32)
    if all_nans:
        iv[nan] = bits
        return out
    arg_nan = x != x
    iv[nan & ~arg_nan] = bits
    if arg_nan.any():  # (a NaN argument comes back as itself, quieted)
        out[arg_nan] = np.broadcast_to(x, out.shape)[arg_nan]
        iv[arg_nan] |= 1 << (51 if out.dtype == np.float64 else 22)
    return out


# NOTE: the NaN that PyTorch's CPU kernels give for a NaN argument depends on the kernel and
# on its loop (measured, float32 and float64): the vector code (``_sleef.BLOCK``'s 128-byte
# steps) may keep the argument's sign and payload, quieted ("q"), flip its sign ("nq"), set
# every bit (a select through a comparison mask: "ones") or give the default quiet NaN
# ("canon"); the scalar tail (the C library's functions) mostly keeps the payload.
_NAN_QUIET = {np.dtype(np.float32): (np.uint32, 1 << 22, 1 << 31, 0x7FC00000),
              np.dtype(np.float64): (np.uint64, 1 << 51, 1 << 63, 0x7FF8000000000000)}


def nan_payloads(x, out, vec, tail=None, block=128, c_order=False):
    """``out``, an elementwise function of the float32/float64 array ``x`` (of its shape),
    with the NaN bits PyTorch's kernel gives where ``x`` is NaN and ``out`` too: mode ``vec``
    in the values its vector loop computes (steps of ``block`` bytes; a pair of modes: one
    for each half of a step, the two vectors the compiled loop handles apart), ``tail``
    (``vec`` if None) in the others (modes above; None leaves ``out``'s).  A quick check
    skips arrays without NaN.  ``c_order``: the loop walks the C-contiguous result's order
    (``number ** tensor``)."""
    spec = _NAN_QUIET.get(x.dtype) if type(x) is np.ndarray else None
    if spec is not None and isinstance(out, np.floating) and not x.ndim and out != out:
        out = np.array(out)  # (a 0-d argument's NaN, a NumPy scalar)
    if spec is None or type(out) is not np.ndarray or out.dtype != x.dtype or \
            out.shape != x.shape or not x.size:
        return out
    with quiet:
        if not np.isnan(np.maximum.reduce(out, axis=None)):  # (NaN-free: one fast pass)
            return out
        nan = np.isnan(x) & np.isnan(out)  # (pow(NaN, 0) is 1)
    tail = vec if tail is None else tail
    step = block // x.itemsize
    m = _sleef.loop_mask(x.shape, x, block=step, c_order=c_order) if vec != tail else True
    vec_at = nan if m is True else nan & m if m is not None else None
    parts = [(tail, None if m is True else nan if m is None else nan & ~m)]
    if isinstance(vec, tuple) and vec_at is not None:
        first = _first_half(x, m, step, c_order) & vec_at
        parts += [(vec[0], first), (vec[1], vec_at & ~first)]
    else:
        parts.append((vec, vec_at))
    it, qbit, sign, canon = spec
    if not out.flags.writeable:
        out = out.copy()
    ob, xb = out.view(it), x.view(it)
    for mode, where in parts:
        if mode is None or where is None or not where.any():
            continue
        if mode == "q":
            ob[where] = xb[where] | it(qbit)
        elif mode == "nq":
            ob[where] = (xb[where] ^ it(sign)) | it(qbit)
        elif mode == "ones":
            ob[where] = ~it(0)
        else:
            ob[where] = canon
    return out


def nan_payloads2(x, y, out, later=False, domain=None):
    """``out``, an elementwise function of float32/float64 arrays ``x`` and ``y`` (``pow``,
    ``atan2``), with PyTorch's NaN bits where an argument is NaN and ``out`` too: every bit
    set in the vector loop (Sleef's masked selects), the NaN argument's bits, quieted, in the
    scalar tail (the C library's ``x + y``: ``x``'s where both are, ``y``'s if ``later``).
    ``domain``: the bits its vector loop gives a NaN of non-NaN arguments (None: ``out``'s)."""
    if isinstance(out, np.floating) and out != out:
        out = np.array(out)  # (0-d arguments' NaN, a NumPy scalar)
    spec = _NAN_QUIET.get(out.dtype) if type(out) is np.ndarray else None
    if spec is None or type(x) is not np.ndarray or type(y) is not np.ndarray or \
            x.dtype != out.dtype or y.dtype != out.dtype or not out.size:
        return out
    with quiet:
        if not np.isnan(np.maximum.reduce(out, axis=None)):
            return out
        nan = np.isnan(out)
        xn, yn = np.isnan(x), np.isnan(y)
    it, qbit, _, _ = spec
    m = _sleef.loop_mask(out.shape, x, y, block=128 // out.itemsize)
    vec = np.zeros(out.shape, bool) if m is None else np.broadcast_to(m, out.shape)
    out = np.array(out)
    ob = out.view(it)
    arg = nan & (xn | yn)
    ob[arg & vec] = ~it(0)
    xb = np.broadcast_to(x, out.shape).view(it)
    yb = np.broadcast_to(y, out.shape).view(it)
    take_y = yn & ~xn if not later else yn
    tail = arg & ~vec
    ob[tail & ~take_y] = xb[tail & ~take_y] | it(qbit)
    ob[tail & take_y] = yb[tail & take_y] | it(qbit)
    if domain is not None:
        ob[nan & ~(xn | yn) & vec] = domain
    return out


def _first_half(x, m, step, c_order=False):
    """Which values of ``x`` fall in the first half of their vector step (``m``: the vector
    loop's values, or True): the loop walks memory order, each run of vector values from
    its start."""
    if x.flags.c_contiguous or c_order:
        rank = None
    else:  # (the loop's order: by memory offset)
        offs = sum(np.arange(n).reshape((-1,) + (1,) * (x.ndim - 1 - k)) * s
                   for k, (n, s) in enumerate(zip(x.shape, x.strides)))
        order = np.argsort(np.broadcast_to(offs, x.shape).reshape(-1), kind="stable")
        rank = np.empty(x.size, np.int64)
        rank[order] = np.arange(x.size)
    idx = np.arange(x.size)
    if m is True:
        pos = idx if rank is None else rank
    else:
        mv = m.reshape(-1) if rank is None else m.reshape(-1)[order]
        starts = np.where(mv & ~np.concatenate(([False], mv[:-1])), idx, 0)
        run = idx - np.maximum.accumulate(starts)
        pos = run if rank is None else run[rank]
    return ((pos % step) < step // 2).reshape(x.shape)


def _np_rsqrt(x):
    if x.dtype.kind == "c":  # (PyTorch's complex kernel: sqrt, then its reciprocal's division)
        with quiet:
            return _cdiv(np.ones((), x.dtype), np.sqrt(x))
    return 1 / np.sqrt(x)


def rsqrt(a):
    return _unary_float(a, _np_rsqrt, "RsqrtBackward0",
                        lambda ctx, g: (-0.5 * g * ctx.saved[0].pow(3),), OUT)


def reciprocal(a):
    return _unary_float(a, lambda x: _cdiv(np.ones((), x.dtype), x) if x.dtype.kind == "c"
                        else 1 / x, "ReciprocalBackward0",
                        lambda ctx, g: (-g * (ctx.saved[0] * ctx.saved[0]),), OUT)


def sin(a):
    return _unary_float(a, np.sin, "SinBackward0", lambda ctx, g: (g * ctx.saved[0].cos(),), "in")


def cos(a):
    return _unary_float(a, np.cos, "CosBackward0",
                        _ready(lambda ctx, g: (g * -_cj(ctx.saved[0].sin()),)) if
                        a.dtype.is_complex else lambda ctx, g: (-g * ctx.saved[0].sin(),), "in")


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
                        _ready(lambda ctx, g: (g / _cj(ctx.saved[0] * ctx.saved[0] + 1),)) if
                        a.dtype.is_complex else
                        lambda ctx, g: (g / (1 + ctx.saved[0] * ctx.saved[0]),), "in")


def _sleef_split(vector, scalar):
    """A PyTorch float32 kernel: Sleef's ``vector`` in the vector loop, the C library's
    ``scalar`` on the loop tails (and everywhere without a vector build)."""
    def f(x):
        if not _sleef.VECTORIZED:
            return scalar(x)
        return _sleef.split_apply(x.shape, vector, scalar, x)
    return f


def _half_unary(fn, x):
    """``fn`` of a float16 or bfloat16 array ``x``, as PyTorch's kernels for them compute it:
    in float32, rounded once. Their vector loops (twice float32's block) run Sleef's float32
    functions, the tails the C library's (``exp``: Sleef's for all); for ``log10`` float32's
    correctly rounded result stands in (NumPy's float32 ``exp`` and ``log10`` can be an ulp
    off, and a double rounding shows it: ``exp`` of 6.84375 in bfloat16 is 940, not 936).
    ``rsqrt``'s scalar loop rounds the square root to the type before dividing; its vector
    loop takes one vector of the type a step (32 values), the others two."""
    x32 = x.astype(np.float32)
    pair, block, m = _HALF_SPLIT.get(fn), 2 * _sleef.BLOCK, None
    if fn is _np_rsqrt:  # (the scalar loop rounds the square root to the type first)
        pair = (fn, lambda v: np.float32(1) / np.sqrt(v).astype(x.dtype).astype(np.float32))
        block = _sleef.BLOCK
    if pair is not None and _sleef.VECTORIZED:
        m = _sleef.loop_mask(x.shape, x, block=block) if x.ndim else None
        if m is None or m is True:
            out = pair[m is None](x32)
        else:
            out = np.empty(x.shape, np.float32)
            out[m] = pair[0](x32[m])
            out[~m] = pair[1](x32[~m])
    elif fn is np.exp and _sleef.VECTORIZED:  # (Sleef's, tails too: a vector map)
        out = _sleef.expf(x32.reshape(-1)).reshape(x32.shape)
    elif fn is np.exp or fn is np.log10:  # (NumPy's float32 ones are off more often)
        out = fn(x32, dtype=np.float64)
    else:
        out = fn(x32)
    if x.dtype.name == "bfloat16" and (fn in _BF16_VML or pair is not None):
        return _bf16_unary_nans(np.asarray(out), x.dtype, fn in _BF16_VML or m)
    return out.astype(x.dtype)


def _bf16_unary_nans(out, dt, m):
    """The float32 results ``out`` of a bfloat16 unary op rounded to bfloat16 with PyTorch's
    NaNs: all bits set where its vector code converts them (``m``: True, all; None, none;
    else a mask), the positive quiet 0x7FC0 where its scalar code does."""
    res = out.astype(dt)
    nan = np.isnan(out)
    if nan.any():
        bits = res.view(np.uint16)
        if m is None or m is True:
            bits[nan] = 0xFFFF if m else 0x7FC0
        else:
            bits[nan & m] = 0xFFFF
            bits[nan & ~m] = 0x7FC0
    return res


# bfloat16 functions PyTorch maps over whole vectors (its VML-style kernels: the tail a
# partial vector), so that every NaN comes from the vector conversion
_BF16_VML = frozenset((np.sin, np.cos, np.tan, np.exp, np.tanh, np.arctan, np.sqrt, np.log,
                       np.log2, np.log10, np.arccos, np.arcsin, _log1p_any, _expm1_any))

_VML[np.sinh] = _sleef_split(_sleef.sinhf, _libm.sinhf)
_VML[np.cosh] = _sleef_split(_sleef.coshf, _libm.coshf)
_VML[np.arctanh] = _sleef_split(_sleef_more.atanhf, _libm.atanhf)
# float64: Sleef's in the vector loop, the C library's on the tails and small tensors
_DOUBLE = {np.sinh: (_sleef_more.sinh, _libm.sinh64), np.cosh: (_sleef_more.cosh, _libm.cosh64),
           np.arctanh: (_sleef_more.atanh, _libm.atanh64)}
# half types: Sleef's float32 function in the vector loop, the C library's on the tails
_HALF_SPLIT = {np.sinh: (_sleef.sinhf, _libm.sinhf), np.cosh: (_sleef.coshf, _libm.coshf),
               np.arctanh: (_sleef_more.atanhf, _libm.atanhf)}


def sinh(a):
    return _unary_float(a, np.sinh, "SinhBackward0", lambda ctx, g: (g * ctx.saved[0].cosh(),),
                        "in")


def cosh(a):
    return _unary_float(a, np.cosh, "CoshBackward0", lambda ctx, g: (g * ctx.saved[0].sinh(),),
                        "in")


@grads_shown_as("TanhBackwardBackward0")
def _tanh_rule(ctx, g):
    y = ctx.saved[0]
    if not STATE.enabled and _sleef.VECTORIZED and type(y._data) is np.ndarray and \
            y._data.dtype == np.float32 and g._data.dtype == np.float32:
        # NOTE: PyTorch's CPU kernel forms 1 - y*y with a fused multiply-add (one rounding,
        # exact in float64 here) on AVX2/AVX512 builds
        yd = y._data.astype(np.float64)
        with quiet:  # (an infinite gradient where tanh saturates is nan, silently)
            return (wrap(g._data * (1 - yd * yd).astype(np.float32), g._device),)
    if not STATE.enabled and type(y._data) is np.ndarray and type(g._data) is np.ndarray and \
            y._data.dtype == np.float64 and g._data.dtype == np.float64:
        # float64: the same fused multiply-add, in the vector loop and the scalar tail alike
        from .._random import _fma64
        yd = y._data
        with quiet:
            return (wrap(g._data * _fma64(-yd, yd, 1.0), g._device),)
    if not STATE.enabled and _half_pair(y._data, g._data):
        # half types: PyTorch's float32 kernel on widened values, rounded once
        yd = y._data.astype(np.float64)
        with quiet:
            d = g._data.astype(np.float32) * (1 - yd * yd).astype(np.float32)
        return (wrap(d.astype(y._data.dtype), g._device),)
    f = 1 - y * y
    if STATE.enabled and type(y._data) is np.ndarray and (
            y._data.dtype == np.float64 or y._data.dtype == np.float32 and _sleef.VECTORIZED):
        # (the factor takes the values PyTorch's kernel forms with its fused multiply-add: a
        # gradient of this gradient with respect to ``g``, as a forward-mode tangent, uses it)
        from .._random import _fma64

        yd = y._data.astype(np.float64)
        f._data = _fma64(-yd, yd, 1.0).astype(y._data.dtype)
    return (g * f,)


def _half_pair(y, g):
    """Whether ``y`` and ``g`` are CPU arrays of one half type (float16 or bfloat16)."""
    return type(y) is np.ndarray and type(g) is np.ndarray and y.dtype == g.dtype and \
        y.dtype.itemsize == 2 and y.dtype.kind not in "iu"


def tanh(a):
    return _unary_float(a, np.tanh, "TanhBackward0", _tanh_rule, OUT)


def asinh(a):
    return _unary_float(a, np.arcsinh, "AsinhBackward0", _ready(
        lambda ctx, g: (g * _cj((ctx.saved[0] * ctx.saved[0] + 1).rsqrt()),)), "in")


def acosh(a):
    return _unary_float(a, np.arccosh, "AcoshBackward0", _acosh_rule, "in")


def _acosh_rule(ctx, g):
    z = ctx.saved[0]
    if z.dtype.is_complex:  # NOTE: PyTorch's branch for complex z: 1/(sqrt(z-1) sqrt(z+1))
        return (g * ((z - 1).rsqrt() * (z + 1).rsqrt()),)
    return (g * (z * z - 1).rsqrt(),)


def atanh(a):
    return _unary_float(a, np.arctanh, "AtanhBackward0",
                        lambda ctx, g: (g / (1 - ctx.saved[0] * ctx.saved[0]),), "in")


def _np_sigmoid(x):
    # NOTE: exp(-x) overflows to inf for very negative x, giving the right limit 0.
    with quiet:
        if x.dtype == np.float32 and type(x) is np.ndarray:
            # PyTorch's CPU kernel: Sleef's expf in the vector blocks, the C library's expf
            # (_sleef.c_exp: not always float64's rounded once) in the scalar tail
            one = np.float32(1)
            return _sleef.split(x, lambda v: one / (one + _sleef.expf(-v)),
                                lambda v: one / (one + _sleef.c_exp(-v)))
        if x.dtype == np.float64 and type(x) is np.ndarray:
            # float64: Sleef's exp in the vector blocks, the C library's in the scalar tails
            return _sleef_more.split64(x, lambda v: 1 / (1 + _sleef_more.expd_capped(-v)),
                                       lambda v: 1 / (1 + _libm.exp64(-v)))
        if x.dtype.kind == "c":  # (PyTorch's complex vectors: 1 / (1 + exp(0 - z)))
            one = np.ones((), x.dtype)
            return _cdiv(one, one + np.exp(np.zeros((), x.dtype) - x))
        return 1 / (1 + np.exp(-x))


@grads_shown_as("SigmoidBackwardBackward0")
def _sigmoid_rule(ctx, g):
    y = ctx.saved[0]
    if not STATE.enabled and _half_pair(y._data, g._data) and y._data.dtype.name == "bfloat16":
        # bfloat16: PyTorch's float32 kernel on widened values, rounded once (float16's
        # kernel rounds each product, as the general rule does)
        yf, one = y._data.astype(np.float32), np.float32(1)
        d = g._data.astype(np.float32) * (one - yf) * yf
        return (wrap(d.astype(y._data.dtype), g._device),)
    if STATE.enabled and not y.dtype.is_complex:
        return (_sigmoid_backward(g, y),)
    return (g * (1 - y) * y,)  # PyTorch's order of the products (bit for bit)


def _sigmoid_backward(g, y):
    """PyTorch's ``sigmoid_backward(g, y)``, ``g * (1 - y) * y``, recorded as one node whose
    gradient for ``g`` is ``sigmoid_backward`` again, in that order (what the tangents of
    forward mode and double backward take, bit for bit)."""
    from ._core import make

    STATE.enabled = False
    try:
        value = g * (1 - y) * y
    finally:
        STATE.enabled = True
    return make(value._data, (g, y), "SigmoidBackwardBackward0", _sigmoid_backward_rule, g, y)


def _sigmoid_backward_rule(ctx, gg):
    g, y = ctx.saved
    if STATE.enabled:
        return _sigmoid_backward(gg, y), gg * g * (-2 * y + 1)
    return (gg * (1 - y) * y, gg * g * (-2 * y + 1))


def sigmoid(a):
    return _unary_float(a, _np_sigmoid, "SigmoidBackward0", _sigmoid_rule, OUT)


def erf(a):
    return _unary_float(a, _special.erf, "ErfBackward0",
                        lambda ctx, g: ((-ctx.saved[0] * ctx.saved[0]).exp() *
                                        (2 / math.sqrt(math.pi)) * g,), "in")  # (c * exp) * g


def erfc(a):
    return _unary_float(a, _special.erfc, "ErfcBackward0",
                        lambda ctx, g: ((-ctx.saved[0] * ctx.saved[0]).exp() *
                                        (-2 / math.sqrt(math.pi)) * g,), "in")


def _erfinv_f32(x):
    """float32 erfinv: MKL's kernel (vsErfInv) gives the NaN 0xffc00000 for |x| > 1 on the
    AMD and the Intel processors measured (its values are rounded from float64 here: within
    an ulp)."""
    out = _special.erfinv(x)
    if _vml.emulated() or _vml.intel_sqrt():
        bad = np.abs(x) > 1
        if bad.any():
            out[bad] = np.uint32(0xFFC00000).view(np.float32)
    return out


_VML[_special.erfinv] = _erfinv_f32  # (float32 arrays only: half types widen to float32)


def _erfinv_rule(ctx, g):
    r = erfinv(ctx.saved[0])  # (as PyTorch: it keeps the input, not the result, and redoes it)
    return ((r * r).exp() * (math.sqrt(math.pi) / 2) * g,)


def erfinv(a):
    return _unary_float(a, _special.erfinv, "ErfinvBackward0", _erfinv_rule, "in")


_ZEROS: dict = {}


def zeros_of(shape, dtype):
    """A read-only zero array, kept for the few shapes in use (up to 4 MiB each): making one
    per call costs as much as the op it serves."""
    key = (shape, dtype)
    z = _ZEROS.get(key)
    if z is None:
        z = np.zeros(shape, dtype)
        if z.nbytes <= 1 << 22:
            z.flags.writeable = False
            if len(_ZEROS) >= 16:
                _ZEROS.clear()
            _ZEROS[key] = z
    return z


def relu(a):
    dt = a.dtype
    if dt._kind != 2:  # (one lookup for the rare cases: bool, and complex)
        if dt is D.bool:
            raise RuntimeError("Boolean inputs not supported for relu")
        if dt._kind == 3:
            _no_complex_clamp()
    x = a._data
    if type(x) is np.ndarray:
        # NOTE: NumPy's maximum against a zero *array* is several times faster than against
        # the scalar 0 (the scalar path is not vectorised).
        # (-0.0 stays, as in PyTorch: NumPy returns the second of equal values, but the
        # first in its float16 loop)
        z = zeros_of(x.shape, x.dtype)
        y = np.maximum(x, z) if x.dtype == np.float16 else np.maximum(z, x)
    else:  # one fused kernel on a GPU
        k = _kernels.for_array(x)
        y = k.relu(x) if k is not None else None
        if y is None:
            y = np.maximum(0, x)
    if not x.flags.c_contiguous:  # (else NumPy's C-contiguous result is PyTorch's)
        y = iter_layout(y, (a,))
    return make(y, (a,), "ReluBackward0", _relu_rule, OUT, laid=True)


def _relu_rule(ctx, g):
    out, = ctx.saved
    y, gd = out._data, g._data
    # NOTE: as PyTorch's threshold_backward, the gradient is blocked where the output is 0
    # (an inf or NaN gradient too) and passes where it is positive or NaN.
    if type(gd) is not np.ndarray and gd.shape == y.shape and gd.dtype == y.dtype:
        k = _kernels.for_array(gd)
        gx = k.relu_backward(gd, y) if k is not None else None
        if gx is not None:  # one kernel; the mask is made only for a second order
            return (make(gx, (g,), "MulBackward0",
                         lambda ctx, gg: (keep_where(gg, y != 0),)),)
    if STATE.enabled:  # create_graph: a node of (g, output), as PyTorch's threshold_backward
        keep = y != 0
        return (make(_keep_arr(gd, keep), (g, out), "ThresholdBackwardBackward0",
                     lambda ctx, gg: (keep_where(gg, keep), gg * 0)),)
    return (make(_keep_arr(gd, y != 0), (g,), "MulBackward0", None),)


_UINTS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _keep_arr(gd, keep):
    """``gd`` where the bool array ``keep`` is True, +0 elsewhere."""
    u = _UINTS.get(gd.dtype.itemsize)
    if type(gd) is np.ndarray and gd.ndim and keep.shape == gd.shape and u is not None:
        # the bits of gd ANDed with all-ones or all-zeros: as fast as a product with a 0/1
        # mask, and an inf or NaN gradient is blocked instead of becoming NaN
        bits = keep.astype(u)
        np.negative(bits, out=bits)
        np.bitwise_and(gd.view(u), bits, out=bits)
        return bits.view(gd.dtype)
    xp = xp_of_array(gd)
    return xp.where(keep, gd, xp.zeros((), gd.dtype))


def keep_where(g, keep, name="MulBackward0"):
    """``g`` where the constant bool array ``keep`` is True and +0 elsewhere, as PyTorch's
    ``where``-based masks give (a 0/1 product would turn an inf gradient into NaN);
    differentiable in ``g`` (node ``name``: the op PyTorch's formula masks with)."""
    return make(_keep_arr(g._data, keep), (g,), name,
                lambda ctx, gg: (keep_where(gg, keep, name),))


def times_mask(g, mask):
    """``g * mask`` for a constant array ``mask``; differentiable in ``g``."""
    return make(g._data * mask, (g,), "MulBackward0", lambda ctx, gg: (times_mask(gg, mask),))


def abs(a):
    if a.dtype is D.bool or a.dtype in D.SHELLS:
        raise NotImplementedError(f'"abs_cpu" not implemented for \'{_legacy_name(a.dtype)}\'')
    x = a._data
    if a.dtype._kind == 3 and type(x) is np.ndarray:
        # NOTE: |z| as PyTorch's CPU kernel rounds it: hypot(re, im) (NumPy's complex
        # absolute differs in the last bit for a third of the values)
        out = _chypot(x)
    else:
        out = np.abs(x)
    return make(iter_layout(out, (a,)), (a,), "AbsBackward0", _abs_rule, a, laid=True)


def _chypot(x):
    """``hypot(re, im)`` of a complex NumPy array as PyTorch's CPU kernel computes it: the C
    library's; for complex128, Sleef's ``hypot_u05`` in the vector loop (measured)."""
    if x.dtype != np.complex128 or not x.ndim or not _sleef.VECTORIZED or \
            x.size > _sleef_more.COMPLEX_EXACT_MAX:
        return np.hypot(x.real, x.imag)
    m = _sleef.loop_mask(x.shape, x, block=64 // x.itemsize)
    if m is None:
        return np.hypot(x.real, x.imag)
    v = _sleef_more.hypotd(x.real, x.imag)
    return v if m is True else np.where(m, v, np.hypot(x.real, x.imag))


def _abs_rule(ctx, g):
    a = ctx.saved[0]
    return (g * a.sgn(),)  # (complex z: g * z / |z|, the gradient of |z|)


def _np_sign(x):
    # NOTE: PyTorch's sign(nan) is 0 (NumPy's is nan).
    if x.dtype.kind == "f" or x.dtype.kind == "V" and x.dtype.name == "bfloat16":
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)
    return np.sign(x)


def sign(a):
    if a.dtype._kind == 3:
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex "
                                  "numbers. Please use torch.sgn instead.")
    if a.dtype is D.bool:
        return make(iter_layout(a._data.copy(), (a,)), (a,), "SignBackward0", None, laid=True)
    return make(iter_layout(_np_sign(a._data), (a,)), (a,), "SignBackward0", _zero_rule,
                laid=True)


def sgn(a):
    if a.dtype._kind == 3:
        from .complex import sgn as csgn

        return csgn(a)
    if a.dtype is D.bool:
        return make(iter_layout(a._data.copy(), (a,)), (a,), "SgnBackward0", None, laid=True)
    # (as PyTorch's node, it keeps self and the result, though its real gradient is zero)
    return make(iter_layout(_np_sign(a._data), (a,)), (a,), "SgnBackward0", _sgn_real_rule, a,
                OUT, laid=True)


def _sgn_real_rule(ctx, g):
    _ = ctx.saved  # (refused once freed or changed in place, as PyTorch's)
    return _sgn_zero_rule(ctx, g)


def _zero_rule(ctx, g):  # zeros, not g * 0: an infinite gradient still gives 0, as PyTorch
    return (g.new_zeros(g.shape),)


def _sgn_zero_rule(ctx, g):
    # PyTorch's is an ``_efficientzerotensor``: zeros that add nothing to another gradient
    # of the same input (so its -0s stay; ``autograd.graph``'s buffer sums them so)
    z = g.new_zeros(g.shape)
    z.__dict__["_zero_tensor"] = True
    return (z,)


def _rounding(fn, name, kernel):
    def op(a):
        if a.dtype is D.bool:
            raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
        if a.dtype._kind == 3:
            if kernel.endswith("_vml_cpu") and kernel != "round_vml_cpu":
                raise NotImplementedError(f"{kernel[:-8]} is not supported for complex inputs")
            _no_complex(a.dtype, kernel)
        if not a.dtype.is_floating_point:
            return make(iter_layout(a._data.copy(), (a,)), (a,), name, None, laid=True)
        return make(iter_layout(fn(a._data), (a,)), (a,), name, _zero_rule, laid=True)
    op.__name__ = name
    return op


floor = _rounding(np.floor, "FloorBackward0", "floor_vml_cpu")
ceil = _rounding(np.ceil, "CeilBackward0", "ceil_vml_cpu")
trunc = _rounding(np.trunc, "TruncBackward0", "trunc_vml_cpu")
fix = trunc


def round(a, *, decimals=None):
    # NOTE: as PyTorch's two overloads: without ``decimals`` integers pass through
    # (RoundBackward0); with it, even 0, only floating tensors are taken (RoundBackward1).
    if a.dtype._kind == 3:
        _no_complex(a.dtype, "round_vml_cpu" if not decimals else "round_cpu")
    if decimals is None:
        return _rounding(np.rint, "RoundBackward0", "round_vml_cpu")(a)
    if decimals == 0:
        if not a.dtype.is_floating_point:
            raise NotImplementedError(f'"round_vml_cpu" not implemented for '
                                      f"'{_legacy_name(a.dtype)}'")
        return _rounding(np.rint, "RoundBackward1", "round_vml_cpu")(a)
    if not a.dtype.is_floating_point:
        raise NotImplementedError(f'"round_cpu" not implemented for \'{_legacy_name(a.dtype)}\'')

    def f(x):
        # Half types are rounded in float32.  Negative decimals divide by 10**-decimals.
        c = x.astype(np.float32) if a.dtype in _LOW else x
        p = c.dtype.type(10.0 ** builtins_abs(decimals))
        with quiet:
            r = np.rint(c * p) / p if decimals > 0 else np.rint(c / p) * p
        return r.astype(x.dtype)
    return _rounding(f, "RoundBackward1", "round_cpu")(a)


def builtins_abs(v):
    return v if v >= 0 else -v


def frac(a):
    if not a.dtype.is_floating_point:
        raise NotImplementedError(f'"frac_cpu" not implemented for \'{_legacy_name(a.dtype)}\'')
    with quiet:
        out = a._data - np.trunc(a._data)
    return make(iter_layout(out, (a,)), (a,), "FracBackward0", lambda ctx, g: (g,), laid=True)


def square(a):
    if a.dtype is D.bool:
        a = a.to(D.int64)
    return pow(a, 2)


def scalar_bounds(min, max):
    """``clamp``'s bounds as PyTorch's argument parser reads them: where one is a number, its
    ``Scalar`` overload takes a 0-d tensor (with no gradient) beside it as its number too."""
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        return min, max
    given = [v for v in (min, max) if v is not None]
    if all(isinstance(v, Tensor) for v in given) or not all(
            v.dim() == 0 and not v.requires_grad for v in given if isinstance(v, Tensor)):
        return min, max
    return tuple(v.item() if isinstance(v, Tensor) else v for v in (min, max))


def precheck_clamp_(t, min, max):
    """In-place ``clamp``'s checks of its tensor bounds before any kernel's: each broadcasts
    to ``t``, and their common dtype with ``t`` casts to ``t``'s."""
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        return
    from ._core import precheck_inplace

    bounds = [v for v in (min, max) if isinstance(v, Tensor)]
    if bounds and len(bounds) == len([v for v in (min, max) if v is not None]):
        try:  # (the shape all three broadcast to, named where it is not ``t``'s)
            shape = np.broadcast_shapes(*(tuple(v.shape) for v in (t, *bounds)))
        except ValueError:
            shape = tuple(t.shape)
        if shape != tuple(t.shape):
            raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the broadcast "
                               f"shape {list(shape)}")
        dt = D.result_type(t, *bounds)
        for b in bounds:
            precheck_inplace(t, b, dt)


def clamp(a, min=None, max=None):
    """``min(max(a, min), max)``; the bounds are scalars or tensors (broadcast with ``a``)."""
    _check_ints(max, min)  # (PyTorch's parser reads ``max`` first)
    _clamp_bounds_given(min, max)  # (before the refusal of a complex ``a``, as PyTorch)
    min, max = scalar_bounds(min, max)
    if a._data.dtype.kind == "c":
        _no_complex_clamp()
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensor(a, min, max, "ClampBackward0")
    return _clamp_scalar(a, min, max, "ClampBackward1")


def _clamp_scalar(a, min, max, name):
    if isinstance(min, (complex, np.complexfloating)) or \
            isinstance(max, (complex, np.complexfloating)):
        # a complex bound: a floating ``a`` takes it as a double (its imaginary part must be
        # 0), any other ``a`` would give a complex result
        if not a.dtype.is_floating_point or name != "ClampBackward1":
            _no_complex_clamp()
        if any(isinstance(v, (complex, np.complexfloating)) and v.imag for v in (min, max)):
            raise RuntimeError("value cannot be converted to type double without overflow")
        min, max = (v.real if isinstance(v, (complex, np.complexfloating)) else v
                    for v in (min, max))
    # (a floating ``a`` keeps its dtype, whatever the bounds: no promotion of them)
    dt = a.dtype if a.dtype.is_floating_point else \
        D.result_type(a, *(v for v in (min, max) if v is not None))
    if dt is D.bool or dt in D._WIDE_UNSIGNED:
        kernel = "clamp" if min is not None and max is not None else \
            "clamp_min" if min is not None else "clamp_max"
        raise NotImplementedError(f'"{kernel}_scalar_cpu" not implemented for '
                                  f'\'{_legacy_name(dt)}\'')
    _check_scalar_fits((min, max), dt)
    cdt = D.float32 if dt in _LOW else dt
    x = _arr(a, cdt)
    lo = None if min is None else _arr(min, cdt)
    hi = None if max is None else _arr(max, cdt)
    out = iter_layout(_np_clamp(x, lo, hi).astype(dt.np, copy=False), (a,), dt.np)
    return make(out, (a,), name, _clamp_rule, a, lo, hi, laid=True)


def _check_scalar_fits(values, dt, half=True):
    """PyTorch's RuntimeError for a Python number bound that ``dt`` cannot hold
    (``uint8_tensor.clamp(max=1000)``); ``half=False`` lets float16/bfloat16 overflow to inf."""
    if not any(type(v) in (int, float) for v in values):  # tensors (or None): nothing to check
        return
    from .creation import _check_fits

    for v in values:
        if type(v) is int and not -1 << 63 <= v < 1 << 64:
            scalar_int(v)
        if type(v) is int and v >= 1 << 63 and dt._kind == 1 and v > np.iinfo(dt.np).max:
            from .creation import _CTYPE  # (exactly: 2**63 rounds to int64's max as a float)

            raise RuntimeError(f"value cannot be converted to type {_CTYPE[dt.name]} without "
                               "overflow")
    nums = [float(v) for v in values if type(v) in (int, float)]
    if nums and dt is not D.bool and (half or dt not in _LOW):
        _check_fits(np.array(nums, dtype=np.float64), dt)
    if dt is D.uint8 and any(type(v) is float and v < 0 for v in values):
        # NOTE: a negative int wraps into uint8 (-2 is 254), a negative float overflows
        raise RuntimeError("value cannot be converted to type uint8_t without overflow")


def _np_clamp(x, lo, hi):
    out = x
    with quiet:  # (a bound equal to x keeps x, as PyTorch: -0.0 clamped at 0 stays -0.0)
        if lo is not None:
            out = np.maximum(lo, out)
        if hi is not None:
            out = np.minimum(hi, out)
    return out.copy() if out is x else as_array(out)


def _clamp_rule(ctx, g):
    a, lo, hi = ctx.saved
    x = a._data
    mask = x == x  # all True except nan
    if lo is not None:
        mask = mask & (x >= lo)
    if hi is not None:
        mask = mask & (x <= hi)
    return (keep_where(g, xp_of(g).broadcast_to(mask, g.shape), "WhereBackward0"),)


def _clamp_tensor(a, lo, hi, name):
    # NOTE: PyTorch refuses some mixes of a Number and a Tensor bound; ember accepts them.
    lo = lo if isinstance(lo, Tensor) or lo is None else _scalar_like(lo, a)
    hi = hi if isinstance(hi, Tensor) or hi is None else _scalar_like(hi, a)
    dt = D.result_type(*(t for t in (a, lo, hi) if t is not None))
    if dt is D.bool and lo is not None and hi is not None:
        raise NotImplementedError('"clamp_cpu" not implemented for \'Bool\'')
    if dt._kind == 3:  # (a complex bound: the kernel's refusal, once the shapes broadcast)
        from ._core import check_broadcast

        shape = tuple(a.shape)
        for t in (lo, hi):
            if t is not None:
                check_broadcast(shape, tuple(t.shape))
                shape = np.broadcast_shapes(shape, tuple(t.shape))
        kernel = "clamp" if lo is not None and hi is not None else \
            "maximum" if lo is not None else "minimum"
        raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'{_legacy_name(dt)}\'')
    cdt = D.float32 if dt in _LOW else dt
    dev = check_same_device(a, _t(lo), _t(hi)) or a._device
    x = _on_device(_arr(a, cdt), dev)
    lx = None if lo is None else _on_device(_arr(lo, cdt), dev)
    hx = None if hi is None else _on_device(_arr(hi, cdt), dev)
    try:
        out = _np_clamp(x, lx, hx)
        out = xp_of(a).broadcast_to(out, np.broadcast_shapes(
            *(getattr(v, "shape", ()) for v in (x, lx, hx) if v is not None))).copy()
    except ValueError:
        _broadcast_error(a, lo if lo is not None else hi)
        raise
    if type(out) is np.ndarray and out.dtype.kind == "f" and (out == 0).any():
        out = _clamp_zero_ties(out, x, lx, hx, dt, (a, lo, hi))
    out = out.astype(dt.np, copy=False)

    def rule(ctx, g):
        _ = ctx.saved  # (the input and the bounds, as PyTorch's: refused once changed in place)
        m = x if lx is None else np.maximum(x, lx)
        with quiet:
            gx = (x == x)
            if lx is not None:
                gx = gx & (x >= lx)
            if hx is not None:
                gx = gx & (x <= hx)
            glo = None if lx is None else (x < lx) & (True if hx is None else lx <= hx)
            ghi = None if hx is None else m > hx
        need = ctx.needs_input_grad

        def part(keep):  # (PyTorch's formula: a where() of the gradient)
            return keep_where(g, xp_of(g).broadcast_to(as_array(keep), g.shape), "WhereBackward0")
        return (part(gx) if need[0] else None,
                part(glo) if glo is not None and need[1] else None,
                part(ghi) if ghi is not None and need[2] else None)
    # (an absent bound is no operand of PyTorch's TensorIterator; a number one is)
    out = iter_layout(out, tuple(_t(t) for t in (a, lo, hi) if t is not None), dt.np)
    return make(out, (a, lo, hi), name, rule, a, lo, hi, device=dev, laid=True)


def _clamp_zero_ties(out, x, lx, hx, dt, tensors):
    # NOTE: PyTorch's scalar loop keeps the first of equal values (x, then the max), its vector
    # loop (64 bytes a step) the second (the bound): only +0. and -0. tell them apart
    m = _sleef.loop_mask(out.shape, *(t._data for t in tensors if t is not None),
                         block=64 // dt.itemsize)
    if m is None:
        return out
    v = x
    with quiet:
        for bound, f in ((lx, np.maximum), (hx, np.minimum)):
            if bound is not None:
                v = np.where(v == bound, bound, f(v, bound))
        z = out == 0
    return np.where(z if m is True else z & m, v, out).astype(out.dtype, copy=False)


def _no_complex_clamp():
    raise NotImplementedError("clamp is not supported for complex types")


def _scalar_like(v, a):
    from .creation import tensor

    return tensor(v, device=a.device)


clip = clamp


def clamp_min(a, min):
    if isinstance(min, Tensor):  # (no refusal of a complex ``a`` but its kernel's)
        return _clamp_tensor(a, min, None, "ClampMinBackward1")
    if a._data.dtype.kind == "c":
        _no_complex_clamp()
    return _clamp_scalar(a, min, None, "ClampMinBackward0")


def clamp_max(a, max):
    if isinstance(max, Tensor):
        return _clamp_tensor(a, None, max, "ClampMaxBackward1")
    if a._data.dtype.kind == "c":
        _no_complex_clamp()
    return _clamp_scalar(a, None, max, "ClampMaxBackward0")


def _minmax(a, b, fn, name, weights):
    """maximum/minimum/fmax/fmin; ``weights(x, y)`` gives each input's share of the gradient."""
    def rule(ctx, g):
        a, b = ctx.saved
        (sa, ka), (sb, kb) = weights(a._data, b._data)
        return (_share(g, sa, ka) if ctx.needs_input_grad[0] else None,
                _share(g, sb, kb) if ctx.needs_input_grad[1] else None)
    for pos, v in ((1, a), (2, b)):
        if not isinstance(v, Tensor):
            raise TypeError(f"{name[:-9].lower()}(): argument '{'input' if pos == 1 else 'other'}'"
                            f" (position {pos}) must be Tensor, not {tp_name(v)}")
    if a._data.dtype.kind == "c" or b._data.dtype.kind == "c":
        raise RuntimeError(f"{name[:-9].lower()} not implemented for complex tensors.")
    return _binary(a, b, fn, name, rule, a, b)


def _share(g, scale, keep):
    """One input's part of the gradient: ``g`` times ``scale`` (or as is, for None) where
    ``keep``, +0 elsewhere (whatever ``g`` holds there)."""
    if scale is not None:
        g = g * wrap(scale.astype(g._data.dtype), g._device)
    return keep_where(g, xp_of(g).broadcast_to(keep, g.shape), "MaskedFillBackward0")


def _split_ties(lose_a):
    # NOTE: maximum/minimum split a tie's gradient in halves; where a NaN is involved neither
    # side "loses", so both inputs receive the whole gradient (as in PyTorch).
    def weights(x, y):
        with quiet:
            half = np.where(x == y, 0.5, 1.0)
            la = lose_a(x, y)
            lb = lose_a(y, x)
        return (half, ~la), (half, ~lb)
    return weights


def _nan_aware(win_a):
    # NOTE: fmax/fmin give the whole gradient to one side, ties included (to the first input).
    def weights(x, y):
        with quiet:
            wa = win_a(x, y) | np.isnan(y)
        return (None, wa), (None, ~wa)
    return weights


def maximum(a, b):
    # (NumPy returns the second of equal values, PyTorch the first: -0.0 and 0.0)
    return _minmax(a, b, _first_of_ties(np.maximum, a, b), "MaximumBackward0",
                   _split_ties(lambda x, y: x < y))


def minimum(a, b):
    return _minmax(a, b, _first_of_ties(np.minimum, a, b), "MinimumBackward0",
                   _split_ties(lambda x, y: x > y))


def _first_of_ties(ufunc, a, b):
    # NOTE: of two equal values (+0. and -0.) PyTorch's scalar loop (std::max) keeps the first,
    # its vector loop (the processor's max/min, 64 bytes a step) the second
    def fn(x, y, **kw):
        out = ufunc(y, x, **kw)
        if type(out) is np.ndarray and out.dtype.kind == "f" and (out == 0).any():
            # (the tensors' own layouts: half types come here as float32 copies)
            size = D.result_type(a, b).itemsize
            m = _sleef.loop_mask(out.shape, a._data, b._data, block=64 // size)
            out = _zero_ties(out, x, y, x if m is None else np.where(m, y, x))
        return out
    return fn


def _zero_ties(out, x, y, pick):
    """``out`` with ``pick`` where ``x`` and ``y`` are both zeros."""
    with quiet:
        z = (x == 0) & (y == 0)
    if not z.any():
        return out
    return np.where(z, pick, out).astype(out.dtype, copy=False)


def _fminmax(ufunc, a, b):
    # NOTE: fmax/fmin keep the first of +0. and -0. (bfloat16's the second), NumPy either
    def fn(x, y, **kw):
        out = ufunc(x, y, **kw)
        if type(out) is np.ndarray and out.dtype.kind == "f" and (out == 0).any():
            out = _zero_ties(out, x, y, y if D.result_type(a, b) is D.bfloat16 else x)
        return out
    return fn


def fmax(a, b):
    return _minmax(a, b, _fminmax(np.fmax, a, b), "FmaxBackward0",
                   _nan_aware(lambda x, y: x >= y))


def fmin(a, b):
    return _minmax(a, b, _fminmax(np.fmin, a, b), "FminBackward0",
                   _nan_aware(lambda x, y: x <= y))


_WHERE_FORMS = ("(Tensor condition)",
                "(Tensor condition, Tensor input, Tensor other, *, Tensor out = None)",
                "(Tensor condition, Number self, Tensor other)",
                "(Tensor condition, Tensor input, Number other)",
                "(Tensor condition, Number self, Number other)")
_ABSENT = object()


def where(cond, a=_ABSENT, b=_ABSENT):
    if a is _ABSENT and b is _ABSENT:
        from .index import nonzero

        return nonzero(cond, as_tuple=True, _op="where")
    if a is _ABSENT or b is _ABSENT or a is None or b is None:  # (one of the pair missing)
        from ._core import format_invalid_args

        args = [x for x in (cond, a, b) if x is not _ABSENT]
        raise TypeError(format_invalid_args("where", args, {}, _WHERE_FORMS))
    if isinstance(cond, Tensor) and cond.dtype is D.uint8:  # (deprecated: read as bool)
        from .._warnings import warn_once

        warn_once("where uint8", "where received a uint8 condition tensor. This behavior is "
                  "deprecated and will be removed in a future version of PyTorch. Use a boolean "
                  "condition instead.", cpp="aten/src/ATen/native/TensorCompare.cpp:621")
        cond = cond.to(D.bool)
    if not isinstance(cond, Tensor) or cond.dtype is not D.bool:
        from ._core import _legacy
        kind = _legacy(cond.dtype) if isinstance(cond, Tensor) else type(cond).__name__
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {kind}")
    _check_ints(a, b)
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        dt, x, y = _operands(a, b)
        _check_scalar_fits((a, b), dt, half=False)
    else:  # two scalars: their own promotion (1.0 and 0 give the default float dtype)
        dt = D.result_type(a, b)
        x, y = _arr(a, dt), _arr(b, dt)
    dev = check_same_device(cond, _t(a), _t(b))
    try:
        out = np.where(_on_device(cond._data, dev), _on_device(x, dev), _on_device(y, dev))
    except ValueError:
        for p, q in ((cond, a), (cond, b), (a, b)):
            _broadcast_error(p, q)
        raise
    if out.dtype != dt.np:
        out = out.astype(dt.np)
    if dev is None:  # (every operand a 0-d CPU tensor, or numbers)
        dev = (a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else cond)._device
    out = iter_layout(out, (cond, _t(a), _t(b)), dt.np, 1)
    return make(out, (_t(a), _t(b)), "WhereBackward0", _where_rule, cond, device=dev,
                laid=True)


def _where_rule(ctx, g):
    cond, = ctx.saved
    return (where(cond, g, 0.0) if ctx.needs_input_grad[0] else None,
            where(cond, 0.0, g) if ctx.needs_input_grad[1] else None)


_where_rule.complex_ready = True  # (it only selects: no conjugation, so zeros stay +0)


def lerp_dtype_checks(a, b, weight):
    """``lerp``'s first checks (before its ``out=``'s and its in-place shape's): ``end``, and a
    dimensioned ``weight``, have the input's dtype."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and b.dtype is not a.dtype:
        raise RuntimeError(f"expected dtype {_short(a.dtype)} for `end` but got dtype "
                           f"{_short(b.dtype)}")
    if isinstance(weight, Tensor) and weight.ndim and weight.dtype is not a.dtype:
        raise RuntimeError(f"expected dtype {_short(a.dtype)} for `weight` but got dtype "
                           f"{_short(weight.dtype)}")


def lerp(a, b, weight):
    """``a + weight * (b - a)``; ``a``, ``b`` (and a dimensioned ``weight``) share a dtype."""
    _check_ints(weight)
    if isinstance(weight, (np.number, np.bool_)):  # (a NumPy scalar: PyTorch's Scalar too,
        # read as a Python float, with NumPy's warning for a complex one)
        weight = float(weight) if isinstance(weight, np.complexfloating) else weight.item()
    if not isinstance(b, Tensor) or not isinstance(weight, (Tensor, int, float, complex)):
        raise TypeError(f"lerp() received an invalid combination of arguments - got "
                        f"(Tensor, {type(b).__name__}, {type(weight).__name__})")
    lerp_dtype_checks(a, b, weight)
    dt = D.result_type(a, b, weight) if isinstance(weight, Tensor) else a.dtype
    if dt._kind < 2:
        kind = "tensor" if isinstance(weight, Tensor) else "scalar"
        raise NotImplementedError(f'"lerp_kernel_{kind}" not implemented for '
                                  f'\'{_legacy_name(a.dtype)}\'')
    if not isinstance(weight, Tensor):  # (the kernel's conversion, in its opmath type)
        check_float_value(weight, a.dtype, opmath=True)
        if isinstance(weight, complex) and not a.dtype.is_complex:
            weight = weight.real
    cdt = D.float32 if dt in _LOW else dt
    dev = check_same_device(a, b, _t(weight)) or a._device
    x, y = _on_device(_arr(a, cdt), dev), _on_device(_arr(b, cdt), dev)
    try:
        with quiet:
            # NOTE: like PyTorch, weights >= 0.5 are computed from the end, so w == 1 gives b;
            # a number weight is rounded to the tensors' dtype first (so is 1 - w).
            if cdt in (D.float32, D.float64) and type(x) is np.ndarray:
                out = _lerp_fused(x, y, _lerp_weight(weight, cdt, dt)
                                  if isinstance(weight, Tensor) else cdt.np.type(weight))
            elif isinstance(weight, Tensor):
                w = _on_device(_lerp_weight(weight, cdt, dt), dev)
                out = np.where(np.abs(w) < 0.5, x + w * (y - x), y - (y - x) * (1 - w))
            else:
                w = cdt.np.type(weight)
                out = x + w * (y - x) if builtins_abs(w) < 0.5 else \
                    y - (y - x) * (w.dtype.type(1) - w)
    except ValueError:
        _broadcast_error(a, b)
        _broadcast_error(a, weight)
        raise
    with quiet:  # (a half type's overflow to inf: no NumPy warning)
        out = as_array(out).astype(dt.np, copy=False)
    # (a number weight is no operand of PyTorch's TensorIterator)
    out = iter_layout(out, (a, b, weight) if isinstance(weight, Tensor) else (a, b), dt.np)
    if isinstance(weight, Tensor):
        return make(out, (a, b, weight), "LerpBackward1", _lerp_tensor_rule, a, b, weight,
                    device=dev, laid=True)
    return make(out, (a, b), "LerpBackward0", _lerp_rule, weight, device=dev, laid=True)


def _lerp_weight(weight, cdt, dt):
    """A tensor weight's values in the computing dtype ``cdt``: a 0-d one of another dtype
    than a half type ``dt`` rounded to it first, as PyTorch casts it."""
    w = _arr(weight, cdt)
    return _round_low(w, dt) if dt in _LOW and weight.dtype is not dt else w


def _lerp_fused(x, y, w):
    """PyTorch's CPU lerp, one rounding for the product and the sum (its vector code and its
    scalar tail alike, measured): ``fma(w, y - x, x)`` for ``|w| < 0.5``, else
    ``fma(w - 1, y - x, y)``."""
    from .._random import _fma32, _fma64
    fma = _fma32 if x.dtype == np.float32 else _fma64
    one = x.dtype.type(1)
    if np.ndim(w) == 0:
        small = builtins_abs(w) < 0.5
        return fma(w if small else w - one, y - x, x if small else y)
    small = np.abs(w) < 0.5
    return fma(np.where(small, w, w - one), y - x, np.where(small, x, y))


def _short(dt):
    return D.cpp_name(dt)


def _lerp_rule(ctx, g):
    w, = ctx.saved  # (``mul.Scalar``, as PyTorch's formula: MulBackward1 under create_graph)
    return mul_scalar(g, 1 - w), mul_scalar(g, w)


def _lerp_tensor_rule(ctx, g):
    a, b, w = ctx.saved
    n = ctx.needs_input_grad
    return (g * (1 - w) if n[0] else None, g * w if n[1] else None,
            g * (b - a) if n[2] else None)


def precheck_addc_(t, t1, t2, value, div):
    """In-place ``addcmul_``/``addcdiv_``'s checks in PyTorch's order: addcdiv's refusal of two
    integer tensors, ``t1`` and ``t2`` broadcast to ``t``'s shape, their common dtype cast
    to ``t``'s, and only then the ``value`` its kernel converts."""
    if isinstance(t1, Tensor) and isinstance(t2, Tensor) and isinstance(t, Tensor) and \
            t1.dtype is t2.dtype is t.dtype and t1.shape == t2.shape == t.shape:
        # (the common case: nothing to check but the value)
        if div and t.dtype._kind < 2:
            addcdiv(t, t1, t2, value=value)  # (its refusal)
        check_addc_value(value, t.dtype)
        return
    from ._core import _legacy, check_broadcast

    if div and isinstance(t1, Tensor) and isinstance(t2, Tensor) and t1.dtype._kind < 2 and \
            t2.dtype._kind < 2:
        addcdiv(t, t1, t2, value=value)  # (its refusal)
    if all(isinstance(v, Tensor) for v in (t, t1, t2)):
        shape = tuple(t.shape)
        for v in (t1, t2):
            check_broadcast(shape, tuple(v.shape))
            shape = np.broadcast_shapes(shape, tuple(v.shape))
        if shape != tuple(t.shape):
            raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the broadcast "
                               f"shape {list(shape)}")
        dt = D.result_type(t, t1, t2)
        if not D.can_cast(dt, t.dtype):
            raise RuntimeError(f"result type {_legacy(dt)} can't be cast to the desired output "
                               f"type {_legacy(t.dtype)}")
        check_addc_value(value, dt)
    check_addc_value(value, t.dtype)


def check_addc_value(value, dtype):
    """PyTorch's refusal of a complex ``value`` (one with an imaginary part) for ``addcmul`` or
    ``addcdiv`` computing in real ``dtype``."""
    if dtype._kind >= 2 and (dtype.is_complex or not isinstance(
            value, (complex, np.complexfloating))):
        check_float_value(value, dtype, opmath=True)
    if isinstance(value, (complex, np.complexfloating)) and value.imag and not dtype.is_complex:
        from .creation import _CTYPE  # (the half types' kernels take it in float32)

        raise RuntimeError(f"value cannot be converted to type "
                           f"{_CTYPE[(D.float32 if dtype in _LOW else dtype).name]} without "
                           "overflow")


def check_int_value(value, dtype):
    """PyTorch's checked conversion of a Scalar ``value`` to the integer ``dtype`` a kernel
    computes in: a float must lie in the type's range (NaN and infinities never do; it is
    truncated after), an integer too, where an unsigned type takes negative ones down to
    minus its maximum (they wrap)."""
    if dtype._kind != 1 or isinstance(value, (bool, np.bool_)) or \
            not isinstance(value, (int, float, np.integer, np.floating)):
        return
    v = value.item() if isinstance(value, np.generic) else value
    info = np.iinfo(dtype.np)
    if type(v) is float:
        bad = not info.min <= v <= info.max
    else:
        bad = v > info.max or v < (-info.max if info.min == 0 else info.min)
    if bad:
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dtype.np]} without "
                           "overflow")


def addcmul(a, t1, t2, *, value=1):
    _check_ints(value)
    if D.result_type(a, t1, t2) is D.bool:
        raise NotImplementedError("\"addcmul_cpu_out\" not implemented for 'Bool'")
    if D.result_type(a, t1, t2) in D._WIDE_UNSIGNED:
        _refuse_wide(D.result_type(a, t1, t2), "addcmul_cpu_out")
    check_addc_value(value, D.result_type(a, t1, t2))
    check_int_value(value, D.result_type(a, t1, t2))
    if isinstance(value, (float, np.floating, np.bool_)) and \
            getattr(a, "dtype", D.float32)._kind < 2 and \
            D.result_type(a, t1, t2)._kind < 2:
        value = int(value)  # NOTE: PyTorch truncates a float value for integer tensors
    if not needs_grad((a, t1, t2)) and isinstance(t1, Tensor) and isinstance(t2, Tensor):
        check_same_device(a, t1, t2)
        fused = fused_addcmul(a, t1, t2, value)
        if fused is not None:  # (no graph to record: the fused result alone)
            return wrap(_ternary_layout(fused, a, t1, t2), a._device)
    def composite(a, t1, t2):
        t1, t2 = _common_float(a, t1, t2)
        out = _kernel_add(a, _scaled_pair(t1, t2, value, False))
        # (mixed dtypes: PyTorch's kernel runs in the common one, fused all the same)
        ac = a.detach().to(out.dtype) if isinstance(a, Tensor) and a.dtype is not out.dtype \
            else a
        exact = fused_addcmul(ac, t1, t2, value)
        if exact is not None:
            out._data[...] = exact
        out._data = _ternary_layout(out._data, a, t1, t2)
        return out
    return _one_node("AddcmulBackward0", composite, a, t1, t2, keep=_addc_saved(t1, t2, False))


def _kernel_add(a, p):
    """``a + p`` inside a kernel that adds its product ``p`` itself (addcmul, addcdiv): a
    complex sum part by part, not add's ``a + 1 * p`` (whose product turns ``inf+0j`` into
    ``inf+nanj``)."""
    if not (_is_complex(a) or _is_complex(p)):
        return a + p
    return _binary(a, p, _add_parts, "AddBackward0", _add_rule)


def _add_parts(x, y):
    return np.add(x, y)


def fused_addcmul(a, t1, t2, value):
    """``a + value * t1 * t2`` as PyTorch's CPU kernel rounds it for float tensors of one
    dtype: ``fma(value * t1, t2, a)`` for float32/float64, one rounding for the product and
    the sum; float16/bfloat16 computed in float32 and rounded once (``None`` for other
    dtypes and devices)."""
    dt = a.dtype
    if not _one_float_dtype(a, t1, t2):
        return None
    if dt in _LOW:
        return _low_fused(a, t1, t2, value, np.multiply)
    from .._random import _fma32, _fma64

    scaled = t1._data if value == 1 else t1._data * dt.np.type(value)
    return (_fma32 if dt is D.float32 else _fma64)(scaled, t2._data, a._data)


def _one_float_dtype(a, t1, t2):
    """``a``, ``t1`` and ``t2`` are CPU tensors of one float dtype that broadcast together
    (PyTorch's error, not NumPy's, where they do not)."""
    dt = getattr(a, "dtype", None)
    if dt not in (D.float32, D.float64, D.float16, D.bfloat16) or not all(
            isinstance(t, Tensor) and t.dtype is dt and type(t._data) is np.ndarray
            for t in (a, t1, t2)):
        return False
    from .shape import broadcast_shapes

    broadcast_shapes(a.shape, t1.shape, t2.shape)
    return True


def _low_fused(a, t1, t2, value, op):
    """PyTorch's float16/bfloat16 addcmul (``op`` multiply) and addcdiv (divide): ``a +
    (value * t1) op t2`` in float32, rounded once to the half type."""
    f = np.float32
    with quiet:
        r = a._data.astype(f) + op(f(value) * t1._data.astype(f), t2._data.astype(f))
        return r.astype(a._data.dtype)  # (an overflow to inf: no NumPy warning)


def addcdiv(a, t1, t2, *, value=1):
    _check_ints(value)
    if t1.dtype._kind < 2 and t2.dtype._kind < 2:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future  release addcdiv will perform a true division of tensor1 "
                           "and tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    check_addc_value(value, D.result_type(a, t1, t2))

    def composite(a, t1, t2):
        t1, t2 = _common_float(a, t1, t2)
        out = _kernel_add(a, _scaled_pair(t1, t2, value, True))
        # (a float32 0-d divisor of a half ``a`` is cast to it, then the one kernel as well)
        if out.dtype in _LOW and a.dtype is out.dtype and _one_float_dtype(a, t1, t2):
            out._data[...] = _low_fused(a, t1, t2, value, np.divide)
        out._data = _ternary_layout(out._data, a, t1, t2)
        return out
    return _one_node("AddcdivBackward0", composite, a, t1, t2, keep=_addc_saved(t1, t2, True))


def _addc_saved(t1, t2, div):
    """The tensor positions PyTorch's addcmul / addcdiv node saves (checked at backward: a
    second backward, or one after they were changed in place, is refused): each factor for
    the other's gradient; addcdiv's divisor for both."""
    g1 = isinstance(t1, Tensor) and STATE.enabled and gets_grad(t1)
    g2 = isinstance(t2, Tensor) and STATE.enabled and gets_grad(t2)
    if div:
        return ((1,) if g2 else ()) + ((2,) if g1 or g2 else ())
    return ((1,) if g2 else ()) + ((2,) if g1 else ())


def _ternary_layout(arr, a, t1, t2):
    """``arr`` with the strides PyTorch's one kernel over ``a``, ``t1``, ``t2`` gives it."""
    return iter_layout(arr, (_t(a), _t(t1), _t(t2)), arr.dtype)


def _scaled_pair(t1, t2, value, divide):
    """``value * t1 * t2`` (or ``/ t2``) with the gradients rounded as PyTorch's addcmul and
    addcdiv round them: ``g * (t2 * value)``, ``g * (t1 * value)``; ``g * (value / t2)``,
    ``-g * (value * t1 / (t2 * t2))``."""
    x, y = t1.detach(), t2.detach()
    if divide:
        out = value * x / y if value != 1 else x / y
    else:
        out = value * x * y if value != 1 else x * y

    def rule(ctx, g):
        n = ctx.needs_input_grad
        t2, t1 = ctx.saved  # (kept so, as PyTorch checks tensor1 first: see graph._CHECK_ORDER)
        if divide:
            from .creation import full_like  # (C++'s ``value / t2`` fills, then divides)

            return (g * (full_like(t2, value) / t2) if n[0] else None,
                    -g * (value * t1 / (t2 * t2)) if n[1] else None)
        return g * (t2 * value) if n[0] else None, g * (t1 * value) if n[1] else None
    # (as PyTorch: each factor kept only where a gradient needs it, checked for changes)
    r1, r2 = gets_grad(t1), gets_grad(t2)
    return make(out._data, (t1, t2), "MulBackward0", rule, t2 if r1 or (divide and r2) else None,
                t1 if r2 else None, device=out._device)


def _common_float(a, t1, t2):
    """``t1``, ``t2`` in the result dtype of mixed operands, as PyTorch computes addcmul/addcdiv
    (a float32 product rounded first would differ; an int16 one would wrap around)."""
    dt = D.result_type(a, t1, t2)
    if dt is D.bool:
        return t1, t2
    return tuple(t.to(dt) if isinstance(t, Tensor) and t.dtype is not dt else t
                 for t in (t1, t2))


def _one_node(name, fn, *inputs, int_edges=False, keep=()):
    """``fn(*inputs)`` shown as PyTorch's one fused op ``name`` (see ``_core.fused``)."""
    from ._core import fused

    return fused(name, fn, *inputs, int_edges=int_edges, keep=keep)


def _tensor_other(fname, b):
    """PyTorch's TypeError for a number where a binary op takes only a tensor."""
    if not isinstance(b, Tensor):
        raise TypeError(f"{fname}(): argument 'other' (position 2) must be Tensor, not "
                        f"{tp_name(b)}")


def _float_kernel(dt, kernel):
    """PyTorch's refusal of a float-only binary kernel for an integer or bool result."""
    if not dt.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_legacy_name(dt)}\'')


def atan2(a, b):
    _tensor_other("atan2", b)

    def rule(ctx, g):
        a, b = ctx.saved
        # as PyTorch: times the reciprocal of a^2 + b^2, taken as 0 where a^2 + b^2 is 0 (at
        # the origin, or where the squares underflow): a zero gradient, not NaN; a subnormal
        # a^2 + b^2 gives an infinite reciprocal, and infinite gradients, as in PyTorch
        den = a * a + b * b
        recip = den.reciprocal().masked_fill(den == 0, 0.0)
        return g * b * recip, g * -a * recip
    dt = D.result_type(a, b)
    _no_complex(dt, "atan2_cpu")
    if not dt.is_floating_point:
        a, b = _cast(a, D.get_default_dtype()), _cast(b, D.get_default_dtype())
    return _binary(a, b, _atan2, "Atan2Backward0", rule, a, b)


def _atan2(y, x):
    """float32 ``atan2`` as PyTorch's kernel: Sleef's in the vector loop, the C library's on
    the loop tails; other dtypes NumPy's."""
    if (type(x) is np.ndarray or type(y) is np.ndarray) and np.result_type(y, x) == np.float32:
        y, x = np.asarray(y, np.float32), np.asarray(x, np.float32)
        if not _sleef.VECTORIZED:
            return _sleef.c_atan2(y, x)
        out = _sleef.split_apply(np.broadcast_shapes(y.shape, x.shape), _sleef.atan2f,
                                 _sleef.c_atan2, y, x)
        return nan_payloads2(y, x, out, later=True)
    return nan_payloads2(y, x, np.arctan2(y, x), later=True)


def hypot(a, b):
    _tensor_other("hypot", b)
    _no_complex(D.result_type(a, b), "hypot_cpu")
    _float_kernel(D.result_type(a, b), "hypot_cpu")
    # (as PyTorch's node, it keeps each operand only for its own gradient)
    return _binary(a, b, np.hypot, "HypotBackward0",
                   lambda ctx, g: (g * ctx.saved[0] / ctx.saved[2] if ctx.needs_input_grad[0]
                                   else None,
                                   g * ctx.saved[1] / ctx.saved[2] if ctx.needs_input_grad[1]
                                   else None),
                   a if getattr(a, "requires_grad", False) else None,
                   b if getattr(b, "requires_grad", False) else None, OUT)


def logaddexp(a, b):
    _tensor_other("logaddexp", b)
    if D.result_type(a, b)._kind == 3:  # complex: composed from the larger real part
        a, b = (a, b) if isinstance(a, Tensor) else (b, a)
        first = a.real.ge(b.real if isinstance(b, Tensor) else complex(b).real)
        hi, lo = where(first, a, b), where(first, b, a)
        return hi + (lo - hi).exp().log1p()
    _float_kernel(D.result_type(a, b), "logaddexp_cpu")
    # (PyTorch's form of the gradient, g / (1 + exp(b - a)): the same values, and the same
    # NaNs in a second derivative at -inf)
    return _binary(a, b, _np_logaddexp, "LogaddexpBackward0",
                   lambda ctx, g: (g / ((ctx.saved[1] - ctx.saved[0]).exp() + 1),
                                   g / ((ctx.saved[0] - ctx.saved[1]).exp() + 1)), a, b)


def _np_logaddexp(x, y):
    """PyTorch's float32 ``logaddexp``: ``max(a, b) + log1p(exp(-|a - b|))``, with Sleef's
    ``expf`` and ``log1pf`` in the vector loop and the C library's on the tails (equal
    infinities give themselves); NumPy's own for other dtypes."""
    if not (type(x) is np.ndarray and type(y) is np.ndarray and x.dtype == np.float32 and
            y.dtype == np.float32 and _sleef.VECTORIZED):
        return np.logaddexp(x, y)

    def form(exp, log1p):
        def f(a, b):
            with quiet:
                r = np.maximum(a, b) + log1p(exp(-np.abs(a - b)))
                return np.where((a == b) & np.isinf(a), a, r)
        return f
    return _sleef.split_apply(np.broadcast_shapes(x.shape, y.shape),
                              form(_sleef.expf, _sleef.log1pf),
                              form(_sleef.c_exp, _libm.log1pf), x, y)


def np_logaddexp2(x, y):
    """PyTorch's float32 ``logaddexp2``: ``max(a, b) + log1p(exp2(-|a - b|)) / ln 2`` (the
    division a multiplication fused with the addition), with Sleef's ``exp2f`` and
    ``log1pf`` in the vector loop and the C library's on the tails (equal infinities give
    themselves); NumPy's own for other dtypes."""
    if type(x) is np.ndarray and type(y) is np.ndarray and x.dtype == y.dtype == np.float64:
        # (float64: the same formula, the C library's functions, the multiply-add fused)
        from .._random import _fma64
        with quiet:
            m, d = np.maximum(x, y), -np.abs(x - y)
            r = _fma64(np.log1p(np.exp2(d)), 1 / math.log(2), m)
            # (a NaN operand: the NaN of ``-|a - b|``, its sign set, but +nan in the vector
            # loop's steps of two vectors; equal infinities: themselves)
            nan = np.isnan(d)
            if nan.any():
                m = _sleef.loop_mask(r.shape, x, y, block=16 if _sleef.cpu_capability() ==
                                     "avx512" else 8) if r.ndim else None
                r = np.where(nan, -np.nan, r)
                if m is not None:
                    r = np.where(nan & m, np.nan, r)
            return np.where((x == y) & np.isinf(x), x, r)
    if not (type(x) is np.ndarray and type(y) is np.ndarray and x.dtype == np.float32 and
            y.dtype == np.float32 and _sleef.VECTORIZED):
        return np.logaddexp2(x, y)
    inv = np.float64(np.float32(1 / math.log(2)))

    def form(exp2, log1p):
        def f(a, b):
            with quiet:
                lp = log1p(exp2(-np.abs(a - b))).astype(np.float64)
                r = (np.maximum(a, b).astype(np.float64) + lp * inv).astype(np.float32)
                r = np.where(np.isnan(a) | np.isnan(b), np.float32(-np.nan), r)  # (-|a - b|'s)
                return np.where((a == b) & np.isinf(a), a, r)
        return f

    def c_exp2(v):  # (the C library's exp2f: its float64 result rounded once)
        return np.exp2(v.astype(np.float64)).astype(np.float32)
    return _sleef.split_apply(np.broadcast_shapes(x.shape, y.shape),
                              form(_sleef.exp2f, _sleef.log1pf),
                              form(c_exp2, _libm.log1pf), x, y)


def _np_xlogy(x, y):
    with quiet:
        out = as_array(np.where((x == 0) & ~np.isnan(y), 0.0, x * _c_log(y))).astype(
            np.result_type(x, y))
        if out.dtype == np.float64 and type(out) is np.ndarray:
            # (PyTorch's float64 kernel: the log of a negative number is +nan, and that NaN
            # is the product's, whatever ``x`` is but zero)
            bad = (y < 0) & (x != 0)
            if np.any(bad):
                out = np.where(bad, np.float64(np.nan), out)
        return out


def _c_log(y):
    """``log`` as PyTorch's scalar CPU loops take it from the C library (float32: its logf,
    ``_libm``)."""
    if type(y) is np.ndarray and y.dtype == np.float32:
        from . import _libm
        return _libm.logf(y)
    if type(y) is np.ndarray and y.dtype == np.float64:
        from . import _libm
        return _libm.log64(y)
    return np.log(y)


def xlogy(a, b):
    """``a * log(b)``, and 0 where ``a == 0`` (unless ``b`` is NaN)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"xlogy() received an invalid combination of arguments - got "
                        f"({type(a).__name__}, {type(b).__name__})")
    _no_complex(D.result_type(a, b), "xlogy_cpu")
    if not D.result_type(a, b).is_floating_point:
        a, b = _cast(a, D.get_default_dtype()), _cast(b, D.get_default_dtype())
    name = "XlogyBackward0" if _both(a, b) else "XlogyBackward1" if isinstance(b, Tensor) \
        else "XlogyBackward2"
    dt = D.result_type(a, b)
    fn = _np_xlogy
    if dt in (D.float32, D.float64) and not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        # (a number beside the tensor is converted to its dtype first, as PyTorch's kernel
        # reads it: log of float32 5 is logf's, not the double log rounded)
        def fn(x, y):
            return _np_xlogy(np.asarray(x, dt.np) if np.ndim(x) == 0 else x,
                             np.asarray(y, dt.np) if np.ndim(y) == 0 else y)
    elif dt in _LOW:
        def fn(x, y):  # (half types: PyTorch's log of a half value is rounded to it first)
            with quiet:
                ly = _c_log(y).astype(dt.np).astype(np.float32)
                return np.where((x == 0) & ~np.isnan(y), np.float32(0), x * ly)
    return _binary(a, b, fn, name, _xlogy_rule, a, b)


def _xlogy_rule(ctx, g):
    a, b = ctx.saved
    ga = gb = None
    if ctx.needs_input_grad[0]:
        # log(y), except where x == 0 and y <= 0 (as PyTorch: 0 there, not log of 0 or less)
        y = b if isinstance(b, Tensor) else _scalar_tensor(b, a)
        with quiet:  # (PyTorch's formula: xlogy of the gradient, then a masked_fill)
            ga = xlogy(g, y).masked_fill(a.eq(0) & y.le(0), 0.0)
    if ctx.needs_input_grad[1]:
        gb = g * a / b
    return ga, gb


def _scalar_tensor(v, like):
    from .creation import full_like

    return full_like(like, v)


# -- comparisons and logic (never differentiable) ------------------------------

def _complex_half_operands(a, b, kernel):
    """A float16 tensor and a complex number, which PyTorch compares as complex32 (the number's
    parts rounded to half; ``<`` and the like refused), as complex64 operands; else None."""
    t, s = (a, b) if isinstance(a, Tensor) else (b, a)
    if not (isinstance(t, Tensor) and t.dtype is D.float16 and
            isinstance(s, (complex, np.complexfloating))):
        return None
    from .._warnings import warn_once

    warn_once("complex32", "ComplexHalf support is experimental and many operators don't "
              "support it yet.", cpp="aten/src/ATen/EmptyTensor.cpp:54")
    if kernel is not None:
        raise NotImplementedError(f'"{kernel}" not implemented for \'ComplexHalf\'')
    pair = t.to(D.complex64), complex(np.float16(s.real), np.float16(s.imag))
    return pair if t is a else pair[::-1]


def _compare(fn, kernel=None):
    def op(a, b):
        try:
            dt, x, y = _operands(a, b)
        except NotImplementedError:  # (ember's Unsupported complex32 too)
            pair = _complex_half_operands(a, b, kernel)
            if pair is None:
                raise
            return op(*pair)
        if kernel is not None and dt._kind == 3:
            _no_complex(dt, kernel)
        if kernel is not None and dt in D.FLOAT8 or dt in D.SHELLS and (
                kernel is not None or dt is not D.float4_e2m1fn_x2):
            # (float8 and float4 have == and !=, not < and >; the other shells have none)
            k = kernel or ("eq_cpu" if fn is np.equal else "ne_cpu")
            raise NotImplementedError(f'"{k}" not implemented for \'{_legacy_name(dt)}\'')
        if kernel is not None and dt in D._WIDE_UNSIGNED:
            _refuse_wide(dt, kernel)
        if dt is D.float4_e2m1fn_x2:  # (== and != compare the bytes)
            x, y = x.view(np.uint8), y.view(np.uint8)
        ref = _ref(_t(a), _t(b))
        if dt in _LOW:  # NOTE: PyTorch compares in the half type: fp16 0.3 == 0.3 is True
            xp = xp_of(ref)
            with quiet:
                x, y = xp.asarray(x).astype(dt.np), xp.asarray(y).astype(dt.np)
        try:
            out = as_array(fn(x, y))
        except ValueError:
            _broadcast_error(a, b)
            raise
        ta, tb = _t(a), _t(b)
        if not ((ta is None or ta._data.flags.c_contiguous) and 1 not in out.shape and
                (tb is None or tb._data.flags.c_contiguous) and out.size):
            out = iter_layout(out, (ta, tb), dt.np)  # (else contiguous, as NumPy gives it)
        out = wrap(out, ref._device)
        if _core._mapped_hook is not None:  # (a vmap runs)
            mapped(out, ta, tb)
        return out
    return op


# NOTE: comparisons promote like arithmetic (an int tensor against 2.5 compares as floats).
eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less, "lt_cpu")
le = _compare(np.less_equal, "le_cpu")
gt = _compare(np.greater, "gt_cpu")
ge = _compare(np.greater_equal, "ge_cpu")


def _logical(fn, name):
    def op(a, b):
        if not isinstance(b, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                            f"{tp_name(b)}")
        if a.dtype in D._WIDE_UNSIGNED or b.dtype in D._WIDE_UNSIGNED:
            dt = D.promote_types(a.dtype, b.dtype)  # (PyTorch's promotion error first)
            if dt in D._WIDE_UNSIGNED:
                _refuse_wide(dt, f"{name}_cpu")
        try:
            x, y = a._data, b._data
            if a._device != b._device:  # a 0-d CPU tensor may meet a CUDA one
                _, x, y = _operands(a, b)
            out = as_array(fn(x, y))
            common = None if x.dtype == y.dtype else D.result_type(a, b).np
            out = wrap(iter_layout(out, (a, b), common), _ref(a, b)._device)
            return out if _core._mapped_hook is None else mapped(out, a, b)
        except ValueError:
            _broadcast_error(a, b)
            raise
    op.__name__ = name
    return op


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


def logical_not(a):
    from .._float8 import refuse

    refuse(a, "logical_not_cpu")
    out = wrap(iter_layout(np.logical_not(a._data), (a,)), a._device)
    return out if _core._mapped_hook is None else mapped(out, a)


def _arr_any(x):
    return x._data if isinstance(x, Tensor) else x


def _bitwise(fn, sym):
    def op(a, b):
        dt, x, y = _operands(a, b)
        if dt._kind >= 2 or (dt is D.bool and sym in ("lshift", "rshift")):
            _broadcast_error(a, b)  # (PyTorch checks the shapes first)
            raise NotImplementedError(f'"{sym}_cpu" not implemented for \'{_legacy_name(dt)}\'')
        if dt in D._WIDE_UNSIGNED and sym in ("lshift", "rshift"):
            _refuse_wide(dt, f"{sym}_cpu")
        ref = _ref(_t(a), _t(b))
        try:
            out = as_array(fn(x, y))
        except ValueError:
            _broadcast_error(a, b)
            raise
        return wrap(iter_layout(out, (_t(a), _t(b)), dt.np), ref._device)
    return op


def _legacy_name(dt):
    from ._core import _legacy

    return _legacy(dt)


def _refuse_wide(dt, kernel):
    """PyTorch's error for ``kernel`` on uint16, uint32 or uint64 (``dt``), which lack it."""
    raise NotImplementedError(f'"{kernel}" not implemented for \'{_legacy_name(dt)}\'')


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def _shift(left):
    """``x << n`` / ``x >> n`` with PyTorch's answers where C leaves them undefined: a count
    that is negative or at least the bit width shifts everything out (0, or -1 for a
    negative number shifted right)."""
    def fn(x, n):
        host = (np.ndarray, np.generic, int)
        xp = np if isinstance(x, host) and isinstance(n, host) else \
            xp_of_array(n if isinstance(x, host) else x)
        x = xp.asarray(x)
        bits = x.dtype.itemsize * 8
        n = xp.asarray(n)
        out_of_range = (n < 0) | (n >= bits)  # (before n takes x's dtype, which may wrap it)
        safe = xp.where(out_of_range, 0, n).astype(x.dtype)
        if left:
            return xp.where(out_of_range, 0, xp.left_shift(x, safe)).astype(x.dtype)
        gone = xp.where(x < 0, -1, 0) if x.dtype.kind == "i" else 0
        return xp.where(out_of_range, gone, xp.right_shift(x, safe)).astype(x.dtype)
    return fn


bitwise_left_shift = _bitwise(_shift(True), "lshift")
bitwise_right_shift = _bitwise(_shift(False), "rshift")


def bitwise_not(a):
    if a.dtype._kind >= 2 or a.dtype in D._WIDE_UNSIGNED:
        raise NotImplementedError(f'"bitwise_not_cpu" not implemented for '
                                  f'\'{_legacy_name(a.dtype)}\'')
    return wrap(iter_layout(np.invert(a._data), (a,)), a._device)


def isnan(a):
    out = wrap(np.isnan(a._data) if a.dtype._kind >= 2 else
               xp_of(a).zeros(a.shape, dtype=bool), a._device)
    return out if _core._mapped_hook is None else mapped(out, a)


def isinf(a):
    from .._float8 import refuse

    refuse(a, "isinf", allow=("float8_e5m2",))
    out = wrap(np.isinf(a._data) if a.dtype._kind >= 2 else
               xp_of(a).zeros(a.shape, dtype=bool), a._device)
    return out if _core._mapped_hook is None else mapped(out, a)


def isfinite(a):
    from .._float8 import refuse

    refuse(a, "isfinite", allow=("float8_e5m2", "float8_e8m0fnu"))
    if a.dtype is D.float8_e8m0fnu:  # NOTE: PyTorch calls all of them finite, NaN too
        return wrap(xp_of(a).ones(a.shape, dtype=bool), a._device)
    out = wrap(np.isfinite(a._data) if a.dtype._kind >= 2 else
               xp_of(a).ones(a.shape, dtype=bool), a._device)
    return out if _core._mapped_hook is None else mapped(out, a)


def isposinf(a):
    if a.dtype._kind == 3:
        raise RuntimeError("isposinf does not support complex inputs.")
    return wrap(np.isposinf(a._data), a._device)


def isneginf(a):
    if a.dtype._kind == 3:
        raise RuntimeError("isneginf does not support complex inputs.")
    return wrap(np.isneginf(a._data), a._device)


def signbit(a):
    if a.dtype._kind == 3:
        raise NotImplementedError("signbit is not implemented for complex tensors.")
    return wrap(np.signbit(a._data), a._device)


def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    from ._core import no_complex_autograd

    no_complex_autograd("nan_to_num", a)  # (NOTE: before the kernel here: it refuses nothing)
    if a.dtype is D.bfloat16:  # NumPy's nan_to_num does not know bfloat16: through float32
        big = D.finfo(a.dtype).max
        out = xp_of(a).nan_to_num(a._data.astype(np.float32), nan=nan,
                                  posinf=big if posinf is None else posinf,
                                  neginf=-big if neginf is None else neginf).astype(a._data.dtype)
    else:
        out = xp_of(a).nan_to_num(a._data, nan=nan, posinf=posinf, neginf=neginf)
    return make(iter_layout(out, (a,)), (a,), "NanToNumBackward0",
                lambda ctx, g: (g * wrap(np.isfinite(ctx.saved[0]._data), g._device),), a,
                laid=True)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    if not isinstance(b, Tensor):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not "
                        f"{tp_name(b)}")
    from .._float8 import refuse

    refuse(a, "mul_cpu_reduced_float")
    if a.dtype is not b.dtype:
        from ._core import _legacy

        raise RuntimeError(f"{_legacy(a.dtype)} did not match {_legacy(b.dtype)}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:  # (C++'s stream prints a double as %g does)
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got "
                               f"{float(tol):g}")
    dt, x, y = _operands(a, b)
    if x.shape != y.shape:
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            _broadcast_error(a, b)
            raise
    ref = _ref(a, b)  # (not a 0-d CPU tensor beside a GPU one)
    if dt is D.bool:
        return wrap(as_array(x == y), ref._device)
    x64 = x.astype(np.float64) if dt._kind < 2 else x
    y64 = y.astype(np.float64) if dt._kind < 2 else y
    # (quietly, as PyTorch: no NumPy warning for an overflowing difference or a non-finite
    # tolerance)
    with np.errstate(all="ignore"):
        if math.isfinite(rtol) and math.isfinite(atol):
            close = xp_of(ref).isclose(x64, y64, rtol=rtol, atol=atol, equal_nan=equal_nan)
        else:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                close = xp_of(ref).isclose(x64, y64, rtol=rtol, atol=atol,
                                           equal_nan=equal_nan)
    return wrap(as_array(close), ref._device)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    need_tensor(a, "allclose")
    need_tensor(b, "allclose", "other", 2)
    refuse_dynamic("allclose", a, b)
    close = isclose(a, b, rtol, atol, equal_nan)
    if close._device.type == "meta":  # (no values to compare: PyTorch's error)
        raise RuntimeError("Tensor.item() cannot be called on meta tensors")
    return bool(close._data.all())


def equal(a, b):
    need_tensor(a, "equal")
    need_tensor(b, "equal", "other", 2)
    refuse_dynamic("equal", a, b)
    from .._float8 import refuse

    refuse(a, "equal_notnan_cpu")
    if a._device != b._device:
        check_same_device(a, b)
    if a._device.type == "meta":
        from .reduce import _NO_META_KERNEL

        raise NotImplementedError(_NO_META_KERNEL.format("equal"))
    return tuple(a.shape) == tuple(b.shape) and bool(xp_of(a).array_equal(a._data, b._data))


# -- in-place -----------------------------------------------------------------

def _vmap_levels():
    """``ember.func._vmap`` while a vmap runs (its in-place refusals), else None."""
    vmap = sys.modules.get("ember.func._vmap")
    return vmap if vmap is not None and vmap._LEVELS else None


def inplace(op):
    """The in-place twin of binary op ``op``: ``t.add_(x)`` is ``add`` written back into ``t``.

    Without autograd it writes straight into ``t``'s memory; with it, the out-of-place
    result and its node replace ``t``'s value and history (:func:`_core.commit`).
    """
    ufunc = _UFUNCS.get(op)
    # comparisons and logical ops write their bool results into any dtype
    precheck = op not in (eq, ne, lt, le, gt, ge, logical_and, logical_or, logical_xor)
    # (PyTorch records no history for the logical ones, nor refuses a leaf; a comparison's
    # node passes zero gradients)
    logical = op in (logical_and, logical_or, logical_xor)
    compare = op in (eq, ne, lt, le, gt, ge)
    true_div = op in (div, true_divide)

    def op_(self, other, **kw):
        if _vmap_levels():
            _vmap_levels().check_inplace_batched(self, other, op.__name__)
        if not logical:
            check_inplace(self)
        _check_ints(other, kw.get("alpha"))  # (the parser's, first)
        if ufunc is np.subtract:  # (sub's own check: before TensorIterator's of ``self``)
            _check_bool_sub(self, other)
        check_written_overlap(self)
        ordered = False
        if isinstance(other, Tensor) and (other._data.base is not None or
                                          self._data.base is not None):  # views: may overlap
            check_no_partial_overlap(self, other)
            ordered = _overlap.ordered_args(self, (other,))
        elif self._data.ndim > 1 and _overlap.not_plain(self._data):  # (an as_strided view)
            ordered = _overlap.ordered_args(self, ())
        if (not ordered and ufunc is not None and not kw and not needs_grad((self, _t(other)))
                and _fits(self, other) and self._data.dtype not in D._WIDE_NP
                and self._data.dtype.kind != "c"):  # (complex: _cmul, _complex_alpha)
            if ufunc is np.add or ufunc is np.subtract:
                other = _half_number(self, other)
            o = _arr(other, D.float32 if self.dtype in _LOW else self.dtype)
            if self.dtype in _LOW and isinstance(other, Tensor) and other.dtype is not \
                    self.dtype and not (ufunc is np.multiply and other.numel() == 1):
                o = _round_low(o, self.dtype)  # (as ``_operands``: cast first)
            if type(self._data) is not np.ndarray:
                check_no_overlap(self._data)
            try:
                with quiet:
                    ufunc(self._data, o, out=self._data, casting="unsafe")
            except ValueError:
                if getattr(self._data.flags, "writeable", True):
                    raise
                from ._core import _OVERLAP, has_internal_overlap, writable_alias

                # a view of an expanded tensor: writable when it overlaps nowhere itself
                w = writable_alias(self._data)
                if w is None or has_internal_overlap(self._data):
                    raise RuntimeError(_OVERLAP) from None
                with quiet:
                    ufunc(w, o, out=w, casting="unsafe")
            self._vc.v += 1
            return self
        if op is pow and not isinstance(other, Tensor) and self.dtype._kind < 2 and \
                isinstance(other, (int, np.integer)) and other < 0:  # (its own check first)
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if precheck:
            # (integers divide, and xlogy/atan2 compute, in the default float dtype, which
            # must cast to self's)
            floats = (true_div and kw.get("rounding_mode") is None and
                      isinstance(other, (Tensor, bool, int, float, np.integer, np.floating,
                                         np.bool_))) or (
                op in (xlogy, atan2) and isinstance(other, Tensor))
            precheck_inplace(self, other, float_result_type(self, other) if floats else None)
        if (compare or logical) and isinstance(other, Tensor) and other.shape != self.shape:
            from ._core import check_broadcast

            check_broadcast(tuple(self.shape), tuple(other.shape))  # (TensorIterator's shape
            shape = np.broadcast_shapes(self.shape, other.shape)  # checks: before kernels')
            if shape != self.shape:
                raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                                   f"broadcast shape {list(shape)}")
        if compare or logical:
            from ._core import warn_complex_into_real

            warn_complex_into_real(op.__name__ if logical else "eq", (self, other), self)
        if compare and needs_grad((self, _t(other))):
            return commit(self, _compare_node(op, snapshot(self, other), other))
        if ordered:  # (elements sharing memory: each written in PyTorch's loop order)
            if not needs_grad((self, _t(other))):
                _overlap.run_op(self, op, (other,), kw)
                return self
            ordered = _overlap.ordered_values(self, op, (other,), kw)  # (and recorded below)
        if (op is mul or true_div) and self._data.dtype.kind == "c":  # (see _cmul, _cdiv)
            _COMPLEX_IN_PLACE.on = True
            try:
                new = op(snapshot(self, other), other, **kw)
            finally:
                _COMPLEX_IN_PLACE.on = False
        else:
            new = op(snapshot(self, other), other, **kw)
        if op is floor_divide and new._grad_fn is not None:  # (the in-place op's own name)
            new._grad_fn._rule = _floor_divide_inplace_rule
        if ordered is not False:
            _overlap.take_values(new, ordered)
        return commit(self, new)

    def checked(self, other, **kw):
        try:
            return op_(self, other, **kw)
        except NotImplementedError as e:  # (a complex32 result, which ember does not have)
            if "complex32" not in str(e) or self.dtype._kind == 3:
                raise
            from ._core import _legacy
            if compare:  # (PyTorch's comparison kernels refuse the ComplexHalf operands)
                raise NotImplementedError(f'"{_COMPARE_NAMES[op].lower()}_cpu" not implemented '
                                          "for 'ComplexHalf'") from None
            raise RuntimeError(f"result type ComplexHalf can't be cast to the desired output "
                               f"type {_legacy(self.dtype)}") from None
    checked.__name__ = op.__name__ + "_"
    return checked


_COMPARE_NAMES = {eq: "Eq", ne: "Ne", lt: "Lt", le: "Le", gt: "Gt", ge: "Ge"}


def _compare_node(op, self, other):
    """The value of comparison ``op``'s in-place form (in ``self``'s dtype) with PyTorch's node
    for it (``LtBackward0`` for a number, ``LtBackward1`` for a tensor), of zero gradients."""
    res = op(self.detach(), other.detach() if isinstance(other, Tensor) else other)
    arr = res._data.astype(self._data.dtype)
    name = _COMPARE_NAMES[op] + ("Backward1" if isinstance(other, Tensor) else "Backward0")
    if not isinstance(other, Tensor):
        return make(arr, (self,), name, lambda ctx, g: (g.new_zeros(tuple(self.shape)),))

    def rule(ctx, g):
        return tuple(g.new_zeros(tuple(t.shape)) if need else None
                     for t, need in zip((self, other), ctx.needs_input_grad))
    return make(arr, (self, other), name, rule)



def _fits(self, other):
    if self._data.dtype in D._ODD_NP:  # float8: the checked path (PyTorch's kernels, rounding)
        return False
    if isinstance(other, Tensor):
        if other._device != self._device:
            return False
        dt = D.result_type(self, other)
        try:
            return dt is self.dtype and np.broadcast_shapes(self.shape, other.shape) == self.shape
        except ValueError:  # no common shape: the general path gives PyTorch's error
            return False
    if isinstance(other, (bool, int, float)):
        if type(other) is int and not -1 << 63 <= other < 1 << 63:
            return False  # (the checked path: PyTorch's errors, uint64's range)
        return D.result_type(self, other) is self.dtype
    return False


_UFUNCS = {add: np.add, sub: np.subtract, mul: np.multiply}


def unary_inplace(op, public=None):
    """The in-place twin of unary op ``op`` (``public``: its name, where ``op``'s own is
    another)."""
    name = op.__name__

    def op_(self, *args, **kw):
        if (public or name) != "logical_not":  # (as the binary logical ops: not recorded)
            check_inplace(self)
        if public == "nan_to_num" and self.dtype._kind < 2:
            op(self.detach(), *args, **kw)  # (its checks; PyTorch's copy of self into itself
            self._vc.v += 1  # writes nothing, an expanded self too, yet counts a version)
            return self
        if name not in _OWN_OVERLAP_CHECK:  # (clamp_min/max: a number checked first, as clamp)
            key = public or name
            if key == "clamp":  # (its meta function's check of the bounds: before the overlap)
                _clamp_bounds_given(*args, **kw)
            if key in ("clamp_min", "clamp_max") and not any(isinstance(a, Tensor) for a in args):
                key = "clamp"
            check_written_overlap(self, key,
                                  lambda: op(self.detach(), *args, **kw))
        vals = None
        b = self._data.base  # (a view: ``not_plain`` inline, the common case cheap)
        if b is not None and (args or type(b) is not np.ndarray or b.base is not None) and \
                name not in _OWN_OVERLAP_CHECK and _overlap.ordered_args(self, args):
            # (elements sharing memory: PyTorch's loop order)
            if not needs_grad((self,) + tuple(a for a in args if isinstance(a, Tensor))):
                _overlap.run_op(self, op, args, kw)
                return self
            vals = _overlap.ordered_values(self, op, args, kw)
        # (kept where another operand needs grad too: ``y.clamp_(min=x)``)
        new = op(snapshot(self, *args, *kw.values()), *args, **kw)
        if vals is not None:
            _overlap.take_values(new, vals)
        out = commit(self, new)
        if name in _NO_INPLACE_DERIVATIVE and out._base is None and out._grad_fn is not None:
            out._grad_fn._rule = _no_inplace_derivative(name)
        return out
    op_.__name__ = name + "_"
    return op_


def _clamp_bounds_given(min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")


# (ops whose PyTorch kernels check their operands' dtypes before the written tensor's overlap)
_OWN_OVERLAP_CHECK = frozenset(("index_add", "scatter", "scatter_add"))

# NOTE: PyTorch has no derivative for these in-place forms: its backward refuses them.
_NO_INPLACE_DERIVATIVE = frozenset(("asinh", "acosh", "atanh"))


def _no_inplace_derivative(name):
    def rule(ctx, g):
        raise NotImplementedError(f"the derivative for 'inplace version of {name}' is not "
                                  "implemented.")
    return rule


_F32, _F64D = np.dtype(np.float32), np.dtype(np.float64)
# A NaN argument's result by function and dtype: (vector loop, scalar tail) modes of
# ``nan_payloads`` (measured)
# NOTE: float64 tanh (MKL's vdTanh keeps the payload, quieted) and expm1 (quiets a signaling
# NaN) are left to NumPy: their check would cost 20-60% of those fast kernels on small arrays.
_NAN_MODES = {
    _expm1_any: {_F32: ("q", "q")},
    _exp2_f32: {_F32: ("q", "q")},
    np.sinh: {_F32: ("ones", "q"), _F64D: ("ones", "q")},
    np.cosh: {_F32: ("ones", "q"), _F64D: ("ones", "q")},
    _np_sigmoid: {_F32: ("nq", "nq")},  # (1 / (1 + exp(-x)): the sign of -x)
}
