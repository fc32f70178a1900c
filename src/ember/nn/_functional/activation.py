"""Activations and softmax.

Each activation is one primitive named as PyTorch's node (``EluBackward0``...):
the forward runs on the array module; the backward rule is written with ember
tensor ops (so a double backward works), or, where the derivative is piecewise
constant, as the gradient times a constant mask.

In-place variants (``inplace=True``, ``elu_``...) compute out of place and commit
the result into the input (``_core.commit``), as the in-place tensor methods do;
PyTorch names some of their nodes ``...Backward1``.
"""
from __future__ import annotations

import functools
import math
from ember._warnings import warn as _warn

import numpy as np

from ... import _dtype as D
from ...amp import autocast_mode as _amp
from ..._ops import pointwise as P
from ..._ops import shape as S
from ..._ops.shape import xp_of_array
from ..._ops import _libm, _sleef, _sleef_more
from ...autograd import forward_ad as _fwad
from ...autograd.forward_ad import auto_element_wise as _auto_element_wise
from ...autograd.graph import show_negative_dim
from ..._ops import _softmax_cpu
from ..._ops._core import (OUT, check_inplace, commit, make, norm_dim, same_device, snapshot,
                           not_twice_differentiable, wrap, xp_of)
from ..._ops._core import c_order, check_written_overlap, grads_shown_as, iter_layout
from ..._ops._special import erf as _np_erf
from ...cuda import _kernels
from ..._argparse import with_int_args
from ..._tensor import Tensor
from ...autograd.grad_mode import STATE
from ..._ops._core import quiet

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu",
    "selu_", "celu", "celu_", "gelu", "silu", "mish", "sigmoid", "tanh", "softplus",
    "softsign", "hardtanh", "hardtanh_", "hardswish", "hardsigmoid", "threshold",
    "threshold_", "logsigmoid", "tanhshrink", "softshrink", "hardshrink", "glu",
    "softmax", "log_softmax", "softmin", "gumbel_softmax",
]

_LOWP = {np.dtype(np.float16)}  # and bfloat16, once loaded
D.on_bfloat16_np(_LOWP.add)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_PI = math.sqrt(2 / math.pi)
_GELU_K = 0.044715
_SIXTH = float(np.float32(1 / 6))
_FMAX = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38, "float32": 3.4028234663852886e38,
         "float64": 1.7976931348623157e308}


# -- helpers ------------------------------------------------------------------

def _legacy(dt):
    from ..._ops._core import _legacy as f

    return f(dt)


def _need_float(x: Tensor, kernel: str) -> None:
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_legacy(x.dtype)}\'')


def _fwd(x: Tensor, fn):
    """``fn(array, xp)`` on ``x``'s data; half types are computed in float32 and rounded once
    (as PyTorch does), and overflow / invalid-value warnings are silenced (PyTorch is silent)."""
    a = x._data
    dt = a.dtype
    xp = xp_of(x)
    if dt in _LOWP:
        a = a.astype(np.float32)
    with quiet:
        out = fn(a, xp)
    # (laid out as TensorIterator lays out a unary op's result: NumPy's keeps other strides
    # for size-1 dims)
    return iter_layout(xp.asarray(out).astype(dt, copy=False), (x,))


def _mask(g: Tensor, m) -> Tensor:
    """``g`` times the constant array ``m``; differentiable in ``g``."""
    return P.times_mask(g, m.astype(g._data.dtype, copy=False))


def _keep(g: Tensor, keep) -> Tensor:
    """``g`` where the bool array ``keep`` holds, +0 elsewhere (PyTorch's masks select, so an
    inf or NaN gradient is blocked where a product would make NaN)."""
    return P.keep_where(g, xp_of(g).broadcast_to(keep, g.shape))


def _second_order(first: Tensor, g: Tensor, x: Tensor, name: str, again) -> Tensor:
    """``first``, the gradient through a piecewise-linear op (leaky_relu, hardtanh), as PyTorch
    records it under ``create_graph``: one node ``name`` of (grad, input), whose gradient for
    the input is zero, so that a double backward reaches the input (with zeros) rather than
    leaving it out.  ``again(gg)`` applies the same mask to a gradient of ``first``."""
    if not (STATE.enabled and x._requires_grad):
        return first
    from ..._ops.creation import zeros_like

    return make(first._data, (g, x), name, lambda ctx, gg: (again(gg), zeros_like(gg)))


def _const(arr, like: Tensor) -> Tensor:
    return wrap(arr.astype(like._data.dtype, copy=False), like._device)


def _inplace(op, x: Tensor, *args, _expanded=False, **kw) -> Tensor:
    # (``_expanded``: PyTorch's kernel writes into an expanded ``x`` rather than refuse it)
    check_inplace(x)
    if not _expanded:
        check_written_overlap(x)
    return commit(x, op(snapshot(x), *args, **kw), expanded=_expanded)


# -- relu family --------------------------------------------------------------

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` elementwise."""
    return input.relu_() if inplace else P.relu(input)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def _hardtanh_check(x, min_val, max_val):
    """PyTorch's ``hardtanh_out`` refusals, before its ``clamp`` (and its overlap check)."""
    if x.dtype is D.bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if x.dtype is D.uint8 and (int(min_val) < 0 or int(max_val) < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")


def _hardtanh(x, min_val, max_val, _name="HardtanhBackward0"):
    _hardtanh_check(x, min_val, max_val)
    dt = x._data.dtype
    # the bounds as NumPy scalars of the computing dtype (hardtanh(int, 1.5, 2.5) clamps to 1, 2)
    lo = np.asarray(min_val).astype(np.float32 if dt in _LOWP else dt)[()]
    hi = np.asarray(max_val).astype(np.float32 if dt in _LOWP else dt)[()]
    # (the bounds first: NumPy returns the second of equal values, so -0.0 stays, as PyTorch)
    out = _fwd(x, lambda a, xp: xp.minimum(hi, xp.maximum(lo, a)))
    return make(out, (x,), _name, _hardtanh_rule, x, lo, hi)


def _nan_blocked(keep, a, g):
    """``keep`` (where a masking backward passes the gradient) with NaN inputs blocked where
    PyTorch's vector code runs: its scalar code passes the gradient at NaN, its vector code
    (blocks of two 32-byte vectors of a contiguous loop, the tail left to the scalar code)
    tests the other way round, so NaN gets 0 there."""
    if _sleef.VECTORIZED and type(a) is np.ndarray and a.flags.c_contiguous and \
            type(g._data) is np.ndarray and g._data.shape == a.shape and \
            g._data.flags.c_contiguous:
        full = a.size - a.size % (64 // a.itemsize)
        if full and np.isnan(a.reshape(-1)[:full]).any():
            keep = keep.copy()
            keep.reshape(-1)[:full] &= ~np.isnan(a.reshape(-1)[:full])
    return keep


def _hardtanh_rule(ctx, g):
    x, lo, hi = ctx.saved
    a = x._data
    # NOTE: the gradient is blocked at the bounds themselves and passes at NaN (in PyTorch's
    # scalar code: see _nan_blocked).
    keep = _nan_blocked(~((a <= lo) | (a >= hi)), a, g)
    return (_second_order(_keep(g, keep), g, x, "HardtanhBackwardBackward0",
                          lambda gg: _keep(gg, keep)),)


def _number(v, fn, name, pos):
    """PyTorch's C++ parser on a Scalar argument: a Python or NumPy number, or a 0-d tensor
    that needs no gradient (taken as its number); ``v`` as the op takes it."""
    if isinstance(v, Tensor) and v.dim() == 0 and not v.requires_grad:
        return v.item()
    if not isinstance(v, (bool, int, float, complex, np.number, np.bool_)):
        from ..._ops._core import tp_name

        at = f" (position {pos})" if pos else ""  # (a keyword argument: no position)
        raise TypeError(f"{fn}(): argument '{name}'{at} must be Number, not {tp_name(v)}")
    # (a NumPy number as the Python one PyTorch's Scalar holds: np.True_ is True)
    return v.item() if isinstance(v, np.generic) else v


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``clamp(x, min_val, max_val)``; the gradient is 1 strictly inside the bounds."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _hardtanh_call(input, min_val, max_val, inplace)


def _hardtanh_call(input, min_val, max_val, inplace, pos=(2, 3)):
    """PyTorch's C functions ``hardtanh``/``hardtanh_`` (no check that min <= max: clamp's
    rule then, everything ``max_val``)."""
    from ..._ops.complex import refuse
    min_val = _number(min_val, "hardtanh_" if inplace else "hardtanh", "min_val", pos[0])
    max_val = _number(max_val, "hardtanh_" if inplace else "hardtanh", "max_val", pos[1])
    if inplace:  # (the leaf's refusal before the kernel's of the dtype)
        check_inplace(input)
    refuse(input, "clamp is not supported for complex types")
    if input.dtype in D._WIDE_UNSIGNED:  # (PyTorch's clamp, which has no kernel for them)
        raise NotImplementedError(f"\"clamp_scalar_cpu\" not implemented for "
                                  f"'{D.scalar_name(input.dtype)}'")
    if inplace:
        _hardtanh_check(input, min_val, max_val)
        return _inplace(_hardtanh, input, min_val, max_val)
    return _hardtanh(input, min_val, max_val)


def hardtanh_(input: Tensor, *args, **kwargs) -> Tensor:
    # (a C function in PyTorch: its parser refuses a bad number before any comparison, naming
    # the position of one given positionally)
    if len(args) > 2 or set(kwargs) - {"min_val", "max_val"} or \
            set(kwargs) & set(("min_val", "max_val")[:len(args)]):
        raise TypeError("hardtanh_() got an unexpected argument")
    bounds = {"min_val": -1.0, "max_val": 1.0, **dict(zip(("min_val", "max_val"), args)),
              **kwargs}
    return _hardtanh_call(input, bounds["min_val"], bounds["max_val"], True,
                          tuple(i + 2 if i < len(args) else None for i in range(2)))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``; PyTorch records it as ``HardtanhBackward0``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _leaky_relu(x, slope, _name="LeakyReluBackward0"):
    _need_float(x, "leaky_relu_cpu")
    out = _fwd(x, lambda a, xp: xp.where(a > 0, a, a * slope))
    # (as PyTorch, the in-place op keeps its result, positive where the input was)
    return make(out, (x,), _name, _leaky_rule, OUT if _name[-1] == "1" else x, slope, _name)


def _leaky_rule(ctx, g):
    x, slope, name = ctx.saved
    return (_second_order(leaky_grad(g, x, slope, name), g, x, "LeakyReluBackwardBackward0",
                          lambda gg: leaky_grad(gg, x, slope, name)),)


def leaky_grad(g, x, slope, name):
    """``g`` through a leaky ReLU of ``slope`` (leaky_relu's, and rrelu's in eval mode); an
    in-place one (``name`` ending in 1) with a negative slope cannot be undone."""
    if name.endswith("1") and slope < 0:
        raise RuntimeError(
            "In-place leakyReLu backward calculation is triggered with a negative slope which is "
            "not supported. This is caused by calling in-place forward function with a negative "
            "slope, please call out-of-place version instead. File an issue at "
            "https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu "
            "backward calculation with negative slope")
    ga = g._data
    if not STATE.enabled and type(ga) is np.ndarray and ga.dtype in _LOWP:
        # (the half types: the product in float32 with the slope as a float32, rounded once)
        w = ga.astype(np.float32)
        with quiet:
            gx = np.where(x._data > 0, w, w * np.float32(slope)).astype(ga.dtype)
        return wrap(gx, g._device)
    return _mask(g, xp_of(x).where(x._data > 0, 1.0, slope))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    negative_slope = _number(negative_slope, "leaky_relu_" if inplace else "leaky_relu",
                             "negative_slope", 2)
    if inplace:
        return _inplace(_leaky_relu, input, negative_slope, _name="LeakyReluBackward1")
    return _leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learnable slope per channel (dim 1; one slope for inputs under 2-D)."""
    from ...amp import autocast_mode as amp
    for pos, (name, t) in enumerate((("input", input), ("weight", weight)), 1):
        if not isinstance(t, Tensor):  # (its C function's parser's words)
            from ..._ops._core import tp_name

            raise TypeError(f"prelu(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{tp_name(t)}")
    if amp.ON:
        input, weight = amp.lower(input, weight)
    # NOTE: PyTorch's checks run in this order: dtype, then zero-dim input and channel count
    # (only for a weight of more than one element), then the weight's ndim.
    if weight.dtype != input.dtype:
        raise RuntimeError("prelu: Type promoting not supported. Got "
                           f"{_legacy(input.dtype)} and {_legacy(weight.dtype)}")
    nw = weight.numel()
    if input.dim() == 0 and nw != 1:
        raise RuntimeError("Not allow zero-dim input tensor.")
    channels = input.shape[1] if input.dim() >= 2 else 1
    if nw != 1 and nw != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found parameter "
                           f"numbers = {nw} and channel size = {channels}.")
    if weight.dim() > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    same_device(input, weight)
    _need_float(input, "prelu_cpu")
    wshape = _prelu_shape(input.dim(), nw)
    if input.dim() != 1:  # (PyTorch's kernel takes the weight viewed to broadcast: a node)
        weight = weight.view(wshape)
    w = weight._data.reshape(wshape)
    out = _fwd(input, lambda a, xp: xp.where(a > 0, a, a * w.astype(a.dtype, copy=False)))
    return make(out, (input, weight), "PreluKernelBackward0", _prelu_rule, input, weight, wshape)


def _prelu_shape(ndim, nw):
    if nw == 1:
        return (1,) * ndim
    return (1, nw) + (1,) * (ndim - 2)


@grads_shown_as("PreluKernelBackwardBackward0", None)
def _prelu_rule(ctx, g):
    x, w, wshape = ctx.saved
    pos = x._data > 0
    gx = gw = None
    if ctx.needs_input_grad[0]:
        wr = w.reshape(wshape)
        if STATE.enabled:  # (at x = 0 the weight as a constant, as PyTorch's second derivative)
            wr = P.where(wrap(x._data < 0, g._device), wr, wr.detach())
        gx = P.where(wrap(pos, g._device), g, g * wr)
    if ctx.needs_input_grad[1]:
        # (x = 0 as a constant: PyTorch's second derivative there is 0)
        xm = P.where(wrap(x._data < 0, g._device), x, x.detach()) if STATE.enabled else x
        contrib = _keep(g * xm, ~pos)
        dims = tuple(i for i in range(x.dim()) if wshape[i] == 1)
        gw = contrib.sum(dims, keepdim=True) if dims else contrib
        if gw.shape != w.shape:
            gw = gw.reshape(w.shape)
    return gx, gw


# -- exponential units ----------------------------------------------------------

def _elu(x, alpha, scale, input_scale, name, kernel="elu_cpu"):
    _need_float(x, kernel)
    a = x._data
    if _cpu_f32(a):
        out = _elu_f32(a, alpha, scale, input_scale)
    else:
        def f(a, xp):
            neg = xp.expm1(xp.where(a > 0, 0, a) * input_scale) * (alpha * scale)
            return xp.where(a > 0, a * scale, neg)
        out = _fwd(x, f)
    if not a.flags.c_contiguous:  # (PyTorch's strides for a permuted input)
        out = P.iter_layout(out, (x,))
    # (as PyTorch, the in-place op keeps its result, which its gradient is computed from)
    return make(out, (x,), name, _elu_rule, OUT if name[-1] == "1" else x, alpha, scale,
                input_scale, name)


def _same_layout(a, g):
    """Whether a backward kernel on ``a`` with gradient ``g`` splits its values into vector
    blocks and scalar tail as the forward on ``a`` alone did (so it may reuse the forward's)."""
    return g.shape == a.shape and g.strides == a.strides


def _kept(ctx, buf):
    """The forward's buffer ``buf`` (an array computed from the saved input), or None where
    saved-tensor hooks may hand the backward another input than the forward's."""
    return None if ctx._packed else buf


def _cpu_f32(*arrays):
    """Whether PyTorch's float32 CPU kernels (reproduced bit for bit) apply to the arrays."""
    return all(type(a) is np.ndarray and a.dtype == np.float32 for a in arrays)


def _cpu_half(a, g):
    """Whether ``a`` and ``g`` are CPU arrays of one half type (float16 or bfloat16)."""
    return type(a) is np.ndarray and type(g) is np.ndarray and a.dtype == g.dtype and \
        a.dtype.itemsize == 2 and a.dtype.kind not in "iu"


class _WideCtx:
    """A backward context whose half-type saved tensors are widened to float32 (and whose
    forward buffers are not reused), for :func:`_widen_half`."""
    _packed = True

    def __init__(self, ctx, half):
        self.needs_input_grad = ctx.needs_input_grad
        self.saved = tuple(wrap(v._data.astype(np.float32), v._device)
                           if isinstance(v, Tensor) and v._data.dtype == half else v
                           for v in ctx.saved)


def _widen_half(rule):
    """``rule`` for float16/bfloat16 on the CPU as PyTorch's kernels compute it: the float32
    computation on widened values, rounded once to the half type."""
    def wrapped(ctx, g):
        x = ctx.saved[0]
        if not STATE.enabled and isinstance(x, Tensor) and _cpu_half(x._data, g._data):
            half = x._data.dtype
            gx = rule(_WideCtx(ctx, half), wrap(g._data.astype(np.float32), g._device))[0]
            return (wrap(gx._data.astype(half), g._device),)
        return rule(ctx, g)
    return wrapped


def _elu_work(a, alpha, scale, g_scale):
    """The ELU family's gradient coefficients ``(alpha * scale, scale, input_scale)`` and the
    dtype the kernel computes in: float64's own, else float32 (float32 coefficients)."""
    if a.dtype == np.float64:
        return alpha * scale, scale, g_scale, np.float64
    return (*_elu_coefs(alpha, scale, g_scale), np.float32)


def _elu_coefs(alpha, scale, input_scale):
    f = np.float32
    return f(f(alpha) * f(scale)), f(scale), f(input_scale)


def _elu_f32(a, alpha, scale, input_scale):
    # PyTorch's kernel: expm1(x * input_scale) * (alpha * scale) below zero, x * scale from
    # zero up; Sleef's expm1 in the vector blocks, the C library's in the tail
    neg, pos, ins = _elu_coefs(alpha, scale, input_scale)
    with quiet:
        return _split(a, lambda v: _elu_part(v, ~(v >= 0), _sleef.expm1f, neg, pos, ins),
                      lambda v: _elu_part(v, v < 0, _libm.expm1f, neg, pos, ins))


def _elu_part(v, below, expm1, neg, pos, ins):
    out = np.empty(v.shape, np.float32)  # (C order, a 0-d input too: assigned into below)
    np.multiply(v, pos, out=out)
    if below.any():  # (Sleef's expm1 only where it is used: it is the costly part)
        i = np.flatnonzero(below)  # (flat indices: NumPy's boolean indexing is slower)
        out.reshape(-1)[i] = expm1(v.reshape(-1).take(i) * ins) * neg
    return out


def _elu_grad_part(v, gv, above, exp, negc, pos, ins):
    """The elu gradient on the values ``v`` (upstream ``gv``): ``gv * pos`` where ``above``,
    ``(gv * ins) * negc * exp(v * ins)`` elsewhere."""
    return _sleef.select(above, gv * pos, ((gv * ins) * negc) * exp(v * ins))


def _elu_grad_from_result(g, y, alpha, scale, g_scale):
    """The in-place elu's gradient, from its output ``y`` (PyTorch's kernel, rounded to the
    dtype): ``g * g_scale * (y + alpha * scale)`` at or below zero, ``g * scale`` elsewhere
    (NaN included); float32 arithmetic for the half types."""
    a = y._data
    if not STATE.enabled and type(a) is np.ndarray and type(g._data) is np.ndarray:
        if _cpu_f32(a, g._data):
            negc, pos, ins = _elu_coefs(alpha, scale, g_scale)
            ga = g._data
            with quiet:
                return wrap(np.where(a <= 0, (ga * np.float32(g_scale)) * (a + negc), ga * pos),
                            g._device)
        negc, pos, ins, w = _elu_work(a, alpha, scale, g_scale)
        yw, gw = a.astype(w), g._data.astype(w)
        with quiet:
            gx = np.where(yw <= 0, (gw * ins) * (yw + negc), gw * pos).astype(a.dtype)
        return wrap(gx, g._device)
    neg = wrap(a <= 0, g._device)
    return g * P.where(neg, (y + alpha * scale) * g_scale, scale)


@grads_shown_as("EluBackwardBackward0")
def _elu_rule(ctx, g):
    x, alpha, scale, input_scale, name = ctx.saved
    if name.endswith("1") and alpha < 0:
        raise RuntimeError(
            "In-place elu backward calculation is triggered with a negative slope which is not "
            "supported. This is caused by calling in-place forward function with a negative "
            "slope, please call out-of-place version instead.")
    a = x._data
    # NOTE: celu's backward takes 1 / alpha with alpha as a float32 (its forward does not)
    g_scale = 1.0 / float(np.float32(alpha)) if name.startswith("Celu") else input_scale
    if name.endswith("1"):
        return (_elu_grad_from_result(g, x, alpha, scale, g_scale),)
    if not STATE.enabled and _cpu_f32(a, g._data):
        # PyTorch's kernel: g * input_scale * (alpha * scale) * exp(x * input_scale) at or
        # below zero, g * scale above; Sleef's exp in the vector blocks
        negc, pos, ins = _elu_coefs(alpha, scale, input_scale)
        ga = g._data
        gi = np.float32(g_scale)
        with quiet:
            gx = _split(
                a, lambda v, gv: _elu_grad_part(v, gv, v > 0, _sleef.expf, negc, pos, gi),
                lambda v, gv: _elu_grad_part(v, gv, ~(v <= 0), _sleef.c_exp, negc, pos, gi), ga)
        return (wrap(gx, g._device),)
    if not STATE.enabled and type(a) is np.ndarray and (a.dtype in _LOWP or
                                                        a.dtype == np.float64) and \
            type(g._data) is np.ndarray:
        # PyTorch's kernel, left to right: g * scale above zero (NaN too), g * input_scale *
        # (alpha * scale) * exp(x * input_scale) at or below; the half types in float32
        # (float32 coefficients), rounded once
        negc, pos, ins, w = _elu_work(a, alpha, scale, g_scale)
        xw, gw = a.astype(w), g._data.astype(w)
        with quiet:
            gx = np.where(xw <= 0, ((gw * ins) * negc) * np.exp(np.minimum(xw, 0) * ins),
                          gw * pos)
        return (wrap(_vector_nans(gx.astype(a.dtype), a, g._data), g._device),)
    neg = a <= 0  # NOTE: NaN takes the positive branch's gradient, as in PyTorch
    # exp of min(x, 0): the unused branch never overflows, so no inf * 0 in a double backward;
    # and x = 0 itself taken as a constant, for PyTorch's second derivative 0 there (x < 0)
    xm = P.where(wrap(a < 0, g._device), x, 0.0)
    slope = (xm * g_scale).exp() * (alpha * scale * g_scale)
    return (g * P.where(wrap(neg, g._device), slope, scale),)


_elu_rule = _auto_element_wise(_elu_rule)  # (forward mode: the kernel's tangent)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    alpha = _number(alpha, "elu_" if inplace else "elu", "alpha", 2)
    if inplace:
        return _inplace(_elu, input, alpha, 1.0, 1.0, "EluBackward1")
    return _elu(input, alpha, 1.0, 1.0, "EluBackward0")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants of Klambauer et al."""
    if inplace:
        return _inplace(_elu, input, _SELU_ALPHA, _SELU_SCALE, 1.0, "EluBackward1")
    return _elu(input, _SELU_ALPHA, _SELU_SCALE, 1.0, "EluBackward0")


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    alpha = _number(alpha, "celu_" if inplace else "celu", "alpha", 2)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return _inplace(_elu, input, alpha, 1.0, 1.0 / alpha, "CeluBackward1")
    return _elu(input, alpha, 1.0, 1.0 / alpha, "CeluBackward0")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


# -- smooth gates ---------------------------------------------------------------

def gelu(input: Tensor, *, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` (Phi the standard normal CDF), or its tanh approximation."""
    if not isinstance(approximate, str):
        from ..._ops._core import tp_name

        raise TypeError(f"gelu(): argument 'approximate' must be str, not {tp_name(approximate)}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _need_float(input, "GeluKernelImpl")
    if _cpu_f32(input._data):
        with quiet:
            out, t = _gelu_f32(input._data, approximate)
        out = iter_layout(out, (input,))  # (TensorIterator's layout, size-1 dims' strides too)
        return make(out, (input,), "GeluBackward0", _gelu_rule, input, approximate, t)
    a = input._data
    if type(a) is np.ndarray and a.dtype.itemsize == 2 and a.dtype.kind not in "iu":
        # half types: PyTorch's float32 kernel on widened values, rounded once
        with quiet:
            # (bfloat16 goes through oneDNN as float32 does; float16 through ATen's kernel)
            out = _gelu_f32(a.astype(np.float32), approximate, _onednn_half(a.dtype),
                            _half_split)[0].astype(a.dtype)
        return make(iter_layout(out, (input,)), (input,), "GeluBackward0", _gelu_rule, input,
                    approximate, None)
    if approximate == "tanh":
        def f(a, xp):
            inner = _SQRT_2_PI * (a + _GELU_K * a * a * a)
            return 0.5 * a * (1 + xp.tanh(inner))
    else:
        def f(a, xp):
            return a * 0.5 * (1 + _erf(a * _SQRT1_2, xp))
    out = _fwd(input, f)
    return make(out, (input,), "GeluBackward0", _gelu_rule, input, approximate, None)


_F = np.float32
_GELU_ALPHA = _F(_SQRT1_2)
_GELU_BETA = _F(math.sqrt(2) * (2 / math.sqrt(math.pi)) * 0.5)  # sqrt(2 / pi)
_GELU_KAPPA = _F(0.044715)
_GELU_PDF = _F(2 / math.sqrt(math.pi) * _SQRT1_2 * 0.5)  # 1 / sqrt(2 pi)


def _onednn_gelu(a):
    """Whether PyTorch hands this float32 gelu (erf form) to oneDNN: a contiguous input of
    more than one element, with oneDNN enabled."""
    from ...backends import mkldnn
    return mkldnn.enabled and a.size > 1 and a.flags.c_contiguous


def _onednn_half(dtype):
    """Whether PyTorch's gelu hands this half type to oneDNN (as float32, then rounded):
    bfloat16 does; float16 only on processors with AVX512-FP16 (its mkldnn_fp16_device_check;
    elsewhere ATen's kernel)."""
    return dtype != np.float16 or _has_avx512_fp16()


@functools.lru_cache(maxsize=None)
def _has_avx512_fp16():
    from ... import _cpuinfo
    return "avx512_fp16" in _cpuinfo.first("flags", "").split()


def _vec_tanh(v):
    """Sleef's ``tanhf`` as gelu's vector code calls it: a NaN comes out with all bits set."""
    t = _sleef.tanhf(v)
    nan = np.isnan(t)
    if nan.any():
        t[nan] = np.uint32(0xffffffff).view(_F)
    return t


def _gelu_tanh_inner(v):
    return _GELU_BETA * _sleef._fma32(_GELU_KAPPA, (v * v) * v, v)  # fused, as compiled


def _gelu_grain(a):
    """PyTorch's gelu forward splits a result of more than 16384 values evenly between its
    threads (its other pointwise kernels from 32768 values)."""
    return a.size // _sleef._threads() if a.size > _GELU_GRAIN_FROM else None


def _gelu_f32(a, approximate, onednn=True, split=None):
    """PyTorch's float32 CPU gelu (bit for bit): oneDNN's kernel for a contiguous input (erf
    form), else ATen's: its own vector erf or Sleef's tanh in the vector blocks, the C
    library's erf / tanh in the tail. Also the tanh form's tanh (for the backward), or None.
    ``split``: the loop's vector / tail split (:func:`_split`, or :func:`_half_split`)."""
    half, one = _F(0.5), _F(1)
    _split = split or globals()["_split"]
    perm = _dense_order(a)
    if perm is not None:
        # (a permuted dense input: PyTorch's loop runs over memory order, as on a contiguous one)
        inv = np.argsort(perm)
        out, t = _gelu_f32(a.transpose(perm), approximate, False, split)
        return out.transpose(inv), (None if t is None else t.transpose(inv))
    if approximate == "tanh":
        t = _split(a, lambda v: _vec_tanh(_gelu_tanh_inner(v)),
                   lambda v: _libm.tanhf(_gelu_tanh_inner(v)), grain=_gelu_grain(a))
        return (half * a) * (one + t), t
    if onednn and _onednn_gelu(a):
        return _sleef.gelu_onednn(a), None
    return _split(a, lambda v: (v * half) * (one + _sleef.erf_vec(v * _GELU_ALPHA)),
                  lambda v: (v * half) * (one + _sleef.c_erf(v * _GELU_ALPHA)),
                  grain=_gelu_grain(a)), None


def _half_split(a, vector, scalar, *others, grain=None):
    """:func:`_split` for PyTorch's float16 / bfloat16 kernels (on widened values): their
    vector loop takes 64 values a step (two vectors of 32 half values), the rest is the tail.
    Mixed layouts fall back to :func:`_split`'s float32 blocks."""
    if not (_sleef.VECTORIZED and a.ndim and a.flags.c_contiguous and all(
            o.shape == a.shape and o.flags.c_contiguous for o in others)):
        return _split(a, vector, scalar, *others, grain=grain)
    n = a.size
    flat = [o.reshape(-1) for o in (a, *others)]
    out = np.empty(n, _F)
    ends = _ranges(n, grain)
    for b, e in zip(ends, ends[1:]):
        v = e - (e - b) % 64
        for lo, hi, fn in ((b, v, vector), (v, e, scalar)):
            if hi > lo:
                out[lo:hi] = fn(*(f[lo:hi] for f in flat))
    return out.reshape(a.shape)


def _dense_order(a):
    """The axis order that makes ``a`` C-contiguous, where ``a`` is a non-contiguous view of
    dense memory (a transpose, a permute); else None."""
    if a.flags.c_contiguous or a.ndim < 2 or 0 in a.strides:
        return None
    perm = tuple(np.argsort([-abs(s) for s in a.strides], kind="stable"))
    return perm if a.transpose(perm).flags.c_contiguous else None


def _gelu_grad_f32(a, ga, approximate, t=None, onednn=True, split=None):
    """PyTorch's float32 CPU gelu backward (bit for bit); ``t``: the forward's tanh (tanh
    form), or None; ``split`` as :func:`_gelu_f32`'s."""
    _split = split or globals()["_split"]
    half, one, fma = _F(0.5), _F(1), _sleef._fma32
    if approximate == "tanh":
        def d(v, gv, tanh, t=None):
            if t is None:
                t = tanh(_gelu_tanh_inner(v))
            inner_d = _GELU_BETA * fma(_F(3) * _GELU_KAPPA, v * v, one)
            return gv * ((half * (one + t)) + ((half * v) * fma(-t, t, one)) * inner_d)
        if t is not None and _same_layout(a, ga) and \
                _ranges(a.size, _gelu_grain(a)) == _ranges(a.size, None):
            # (the forward's t, where its loop split as the backward's does)
            return d(a, ga, None, t)
        return _split(a, lambda v, gv: d(v, gv, _vec_tanh),
                      lambda v, gv: d(v, gv, _libm.tanhf), ga)
    if onednn and _onednn_gelu(a):
        return ga * _sleef.gelu_grad_onednn(a)

    def d(v, gv, erf, exp, fused):
        cdf = half * (one + erf(v * _GELU_ALPHA))
        pdf = _GELU_PDF * exp((v * v) * _F(-0.5))
        return gv * (fma(v, pdf, cdf) if fused else cdf + v * pdf)
    # (float32's vector code does cdf + x * pdf in one fused multiply-add; the half types'
    # vector code and the scalar code do not)
    return _split(a, lambda v, gv: d(v, gv, _sleef.erf_vec, _sleef.expf, split is None),
                  lambda v, gv: d(v, gv, _sleef.c_erf, _sleef.c_exp, False), ga)


def _erf(a, xp):
    if xp is np:
        return _np_erf(a)
    from ..._device import special_for

    return special_for(a).erf(a)


def _normal_cdf(x):
    """``Phi(x) = (1 + erf(x / sqrt(2))) / 2`` as a differentiable op (for gelu's backward)."""
    out = _fwd(x, lambda a, xp: 0.5 * (1 + _erf(a * _SQRT1_2, xp)))
    return make(out, (x,), "ErfBackward0", lambda ctx, g: (g * _normal_pdf(ctx.saved[0]),), x)


def _normal_pdf(x):
    return (x * x * -0.5).exp() * _INV_SQRT_2PI


@grads_shown_as("GeluBackwardBackward0")
def _gelu_rule(ctx, g):
    x, approximate, t = ctx.saved
    t = _kept(ctx, t)
    if not STATE.enabled and _cpu_f32(x._data, g._data):
        with quiet:
            return (wrap(_gelu_grad_f32(x._data, g._data, approximate, t), g._device),)
    if not STATE.enabled and _cpu_half(x._data, g._data):
        # PyTorch's half-type kernel: the float32 one on widened values, rounded once
        with quiet:
            d = _gelu_grad_f32(x._data.astype(np.float32), g._data.astype(np.float32),
                               approximate, onednn=_onednn_half(x._data.dtype),
                               split=_half_split)
        return (wrap(d.astype(x._data.dtype), g._device),)
    kept = t
    if approximate == "tanh":
        t = ((x + x * x * x * _GELU_K) * _SQRT_2_PI).tanh()
        d = (t + 1) * 0.5 + x * (1 - t * t) * (x * x * (3 * _GELU_K) + 1) * (0.5 * _SQRT_2_PI)
    else:
        d = _normal_cdf(x) + x * _normal_pdf(x)
    if _cpu_f32(x._data, g._data):
        # (the kernel is g * factor: the factor's values are the kernel's at g = 1, so that
        # the gradient for g, the tangent of forward mode, is the kernel's, bit for bit)
        from ..._ops._core import _with_values

        with quiet:
            one = np.ones_like(x._data)
            d = _with_values(d, wrap(_gelu_grad_f32(x._data, one, approximate, kept), g._device))
    return (g * d,)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (swish)."""
    if inplace:
        return _inplace(silu, input)
    if not input.dtype.is_complex:  # (PyTorch's kernel takes complex values, as x / (1 + e^-x))
        _need_float(input, "silu_cpu")
    a = input._data
    den = None
    if type(a) is np.ndarray and a.dtype == np.float32:
        with quiet:  # PyTorch's CPU kernel: x / (1 + exp(-x)), Sleef's exp in the vector part
            den = np.float32(1) + _split(a, _neg_expf, _neg_exp_f64)
            out = a / den
    elif type(a) is np.ndarray and a.dtype == np.float64:
        with quiet:  # (the same kernel in double: Sleef's exp, the C library's on the tails)
            out = a / (1 + _sleef_more.split64(a, lambda v: _sleef_more.expd_capped(-v),
                                               lambda v: _libm.exp64(-v)))
    else:
        out = _fwd(input, lambda a, xp: a / (1 + xp.exp(-a)))
    if not a.flags.c_contiguous:  # (PyTorch's strides for a permuted input)
        out = P.iter_layout(out, (input,))
    from ..._ops._core import no_complex_autograd

    no_complex_autograd("silu", input)
    # (the denominator is kept for the backward, which computes it again otherwise)
    return make(out, (input,), "SiluBackward0", _silu_rule, input, den)


_GELU_GRAIN_FROM = 16384  # PyTorch's gelu forward: above this many values, a range per thread


def _ranges(n, grain):
    """The flat ranges a parallel pointwise loop of ``n`` values hands its threads, as their
    ends (``grain``: PyTorch's 32768 where None)."""
    grain = _sleef._GRAIN if grain is None else max(1, grain)
    threads = _sleef._threads() if n >= grain else 1
    parts = min(threads, -(-n // grain)) if threads > 1 else 1
    chunk = -(-n // parts)
    return [min(n, chunk * j) for j in range(parts + 1)]


def _split(a, vector, scalar, *others, outputs=1, extra=(), grain=None):
    """:func:`_sleef.split` (``vector`` where PyTorch's vector code runs, ``scalar`` on the
    rest), with the ranges of a parallel loop: a contiguous result of ``grain`` values or
    more (PyTorch's 32768, unless given) is cut into one flat range per intra-op thread, and
    each range ends in its own scalar tail (``len % 32`` values)."""
    n = a.size if type(a) is np.ndarray else 0
    ends = _ranges(n, grain) if n else [0, 0]
    if len(ends) > 2 and _sleef.VECTORIZED and a.dtype == np.float32 and a.flags.c_contiguous \
            and all(type(o) is np.ndarray and o.shape == a.shape and o.flags.c_contiguous
                    for o in others):
        blk = _sleef.BLOCK
        if all((e - b) % blk == 0 for b, e in zip(ends, ends[1:])):
            return vector(a, *others, *extra)
        flat = [o.reshape(-1) for o in (a, *others, *extra)]
        outs = [np.empty(n, _F) for _ in range(outputs)]
        for b, e in zip(ends, ends[1:]):
            v = e - (e - b) % blk
            for lo, hi, fn in ((b, v, vector), (v, e, scalar)):
                if hi > lo:
                    got = fn(*(f[lo:hi] for f in flat))
                    for o, g in zip(outs, got if outputs > 1 else (got,)):
                        o[lo:hi] = g
        outs = [o.reshape(a.shape) for o in outs]
        return tuple(outs) if outputs > 1 else outs[0]
    return _sleef.split(a, vector, scalar, *others, outputs=outputs, extra=extra)


def _neg_expf(v):
    """``exp(-v)`` of float32 ``v`` as Sleef's ``expf`` computes it."""
    return _sleef.expf(-v)


def _neg_exp_f64(v):
    """``exp(-v)`` of float32 ``v`` as the C library's expf computes it."""
    return _sleef.c_exp(-v)


def _silu_rule(ctx, g):
    x, den = ctx.saved
    a, ga, den = x._data, g._data, _kept(ctx, den)
    if not STATE.enabled and _sleef.VECTORIZED and type(a) is np.ndarray and \
            a.dtype == np.float32 and ga.dtype == np.float32:
        # NOTE: PyTorch's CPU kernel: g * s * (1 + x * (1 - s)), the last factor one fused
        # multiply-add (exact in float64 here), s = sigmoid(x) as the forward computes it
        one = np.float32(1)
        with quiet:
            if den is None or not _same_layout(a, ga):
                den = one + _split(a, lambda v, _: _neg_expf(v),
                                   lambda v, _: _neg_exp_f64(v), ga)
            s = one / den
            d = a.astype(np.float64)
            d *= one - s
            d += 1
            gx = ga * s
            gx *= d.astype(np.float32)
        return (wrap(gx, g._device),)
    if not STATE.enabled and type(a) is np.ndarray and a.dtype == np.float64 and \
            type(ga) is np.ndarray and ga.dtype == np.float64 and ga.shape == a.shape and \
            a.flags.c_contiguous and (ga.flags.c_contiguous or not any(ga.strides)):
        # the same kernel in double: (g * s) * fma(x, 1 - s, 1), s as the forward's (a
        # gradient broadcast from one value, as after .sum(), leaves the loop vectorized)
        with quiet:
            s = 1 / (1 + _sleef_more.split64(a, lambda v: _sleef_more.expd_capped(-v),
                                             lambda v: _libm.exp64(-v)))
            return (wrap(ga * s * _sleef_more.fma_capped(a, 1 - s, 1.0), g._device),)
    s = x.sigmoid()
    k = x * (1 - s) + 1
    from ...autograd.function import FWD_PUSH

    if FWD_PUSH[0]:
        # forward mode (the double-backward trick differentiates this for g): PyTorch's
        # tangent is (t * s) * k, the gradient for g of (g * k) * s; the values stay those
        # of g * s * k
        from ..._ops._core import _with_values
        from ...autograd.grad_mode import no_grad

        with no_grad():
            plain = g * s * k
        return (_with_values(g * k * s, plain),)
    return (g * s * k,)


_silu_rule = _widen_half(_silu_rule)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    if inplace:
        return _inplace(mish, input)
    _need_float(input, "mish_cpu")
    if _cpu_f32(input._data):  # PyTorch's kernel: x * tanh(log1p(exp(x))), Sleef's in blocks
        with quiet:
            t = _split(input._data, lambda v: _tanh_softplus(v, _VEC),
                       lambda v: _tanh_softplus(v, _SCALAR))
            # (the second vector of a step gives every bit set, as a select would)
            out = P.nan_payloads(input._data, input._data * t, ("q", "ones"), "q")
        if not input._data.flags.c_contiguous:  # (PyTorch's strides for a permuted input)
            out = P.iter_layout(out, (input,))
        # (t = tanh(softplus(x)) is kept for the backward, which computes it again otherwise)
        return make(out, (input,), "MishBackward0", _mish_rule, input, t)
    out = P.nan_payloads(input._data, _fwd(input, lambda a, xp: a * xp.tanh(xp.logaddexp(0, a))),
                         ("q", "ones"), "q")
    return make(out, (input,), "MishBackward0", _mish_rule, input, None)


_VEC = (_sleef.expf, _sleef.log1pf, _sleef.tanhf)
_SCALAR = (_sleef.c_exp, _libm.log1pf, _libm.tanhf)


def _tanh_softplus(v, fns):
    exp, log1p, tanh = fns
    return tanh(log1p(exp(v)))


def _mish_rule(ctx, g):
    x, t = ctx.saved
    t = _kept(ctx, t)
    if not STATE.enabled and _cpu_f32(x._data, g._data):
        # PyTorch's kernel: g * (t + x * sigmoid(x) * (1 - t * t)), t = tanh(softplus(x)),
        # compiled to two fused multiply-adds
        ga, one, fma = g._data, _F(1), _sleef._fma32

        def d(v, gv, fns, t=None):
            if t is None:
                t = _tanh_softplus(v, fns)
            s = one / (one + fns[0](-v))
            return gv * fma(v * s, fma(-t, t, one), t)
        with quiet:
            if t is not None and _same_layout(x._data, ga):  # the forward's t
                gx = _split(x._data, lambda v, gv, tv: d(v, gv, _VEC, tv),
                            lambda v, gv, tv: d(v, gv, _SCALAR, tv), ga, extra=(t,))
            else:
                gx = _split(x._data, lambda v, gv: d(v, gv, _VEC),
                            lambda v, gv: d(v, gv, _SCALAR), ga)
        return (wrap(gx, g._device),)
    t = softplus(x).tanh()
    return (g * (t + x * x.sigmoid() * (1 - t * t)),)


_mish_rule = _widen_half(_mish_rule)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return P.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return P.tanh(input)


def softplus(input: Tensor, beta: float = 1, threshold: float = 20) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``.

    (The defaults are PyTorch's integers 1 and 20: ``grad_fn._saved_beta`` prints ``1``.)"""
    beta = _number(beta, "softplus", "beta", 2)
    threshold = _number(threshold, "softplus", "threshold", 3)
    if _amp.ON:  # (float32 under CUDA autocast, as PyTorch's)
        input = _amp.cuda_fp32(input)
    _need_float(input, "softplus_cpu")
    if _cpu_f32(input._data):
        # PyTorch's kernel: log1p(exp(beta x)) / beta, x itself above the threshold; Sleef's
        # functions in the vector blocks, the C library's in the tail
        b, th = _F(beta), _F(threshold)

        def sp(v, exp, log1p):  # (and exp(beta x), which the backward uses again)
            bx = v * b
            z = exp(bx)
            return _above(np.asarray(log1p(z) / b), bx, th, v), z
        with quiet:
            out, z = _split(input._data, lambda v: sp(v, _sleef.expf, _sleef.log1pf),
                            lambda v: sp(v, _sleef.c_exp, _libm.log1pf), outputs=2)
        out = P.nan_payloads(input._data, out, "q")  # (the argument's NaN, quieted)
        if not input._data.flags.c_contiguous:  # (PyTorch's strides for a permuted input)
            out = P.iter_layout(out, (input,))
        return make(out, (input,), "SoftplusBackward0", _softplus_rule, input, beta, threshold,
                    z)

    def f(a, xp):
        bx = a * beta
        # NOTE: as PyTorch, log1p(exp(.)) may overflow to inf when the threshold is raised.
        return xp.where(bx > threshold, a, xp.log1p(xp.exp(bx)) / beta)
    # (float64: the vector code's NaN is the default one, the scalar tail's the argument's)
    out = P.nan_payloads(input._data, _fwd(input, f), "canon", "q")
    return make(out, (input,), "SoftplusBackward0", _softplus_rule, input, beta, threshold,
                None)


@grads_shown_as("SoftplusBackwardBackward0")
def _softplus_rule(ctx, g):
    x, beta, threshold, z = ctx.saved
    z = _kept(ctx, z)
    if not STATE.enabled and _cpu_f32(x._data, g._data):  # PyTorch's kernel: g * z / (z + 1)
        b, th, ga, one = _F(beta), _F(threshold), g._data, _F(1)

        def d(v, gv, exp, z=None):
            bx = v * b
            if z is None:
                z = exp(bx)
            return _above(np.asarray((gv * z) / (z + one)), bx, th, gv)
        with quiet:
            if z is not None and _same_layout(x._data, ga):  # z = exp(beta x) of the forward
                gx = d(x._data, ga, None, z)
            else:
                gx = _split(x._data, lambda v, gv: d(v, gv, _sleef.expf),
                            lambda v, gv: d(v, gv, _sleef.c_exp), ga)
        return (wrap(gx, g._device),)
    with quiet:
        linear = x._data * beta > threshold
    if STATE.enabled:  # (x at the threshold as a constant: PyTorch's second derivative is 0)
        with quiet:
            x = P.where(wrap(x._data * beta < threshold, g._device), x, x.detach())
    return (P.where(wrap(linear, g._device), g, g * (x * beta).sigmoid()),)


_softplus_rule = _widen_half(_softplus_rule)
_softplus_rule = _auto_element_wise(_softplus_rule)  # (forward mode: the kernel's tangent)


def _above(y, bx, th, v):
    """``np.where(bx > th, v, y)`` into ``y`` (few values pass the threshold)."""
    big = bx > th
    if big.any():
        y[big] = v[big]
    return y


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)`` (a composite, as in PyTorch)."""
    return input / (input.abs() + 1)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed as ``min(x, 0) - log1p(exp(-|x|))`` (no overflow)."""
    _need_float(input, "log_sigmoid_cpu")
    a = input._data
    buf = None
    if _cpu_f32(a):
        # PyTorch's kernel runs every value (tails too) through the vector code: min(x, 0) -
        # log1p(exp(-|x|)) with Sleef's functions (bit for bit); exp(-|x|) is kept for the
        # backward, as PyTorch keeps its buffer
        out, buf = _sleef.log_sigmoidf(a)
    else:
        out = _fwd(input, lambda a, xp: xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a))))
    # (every NaN all ones: the kernel's min(x, 0) is a compare-and-select, tails included)
    out = P.nan_payloads(a, out, "ones")
    return make(out, (input,), "LogSigmoidBackward0", _logsigmoid_rule, input, buf)


@grads_shown_as("LogSigmoidBackwardBackward0")
def _logsigmoid_rule(ctx, g):
    x, b = ctx.saved
    b = _kept(ctx, b)
    if not STATE.enabled and _cpu_f32(x._data, g._data):
        # PyTorch's kernel, from the forward's buffer b = exp(-|x|): (1 - b / (1 + b)) * g below
        # zero, (0 + b / (1 + b)) * g elsewhere
        a, one = x._data, _F(1)
        with quiet:
            if b is None:
                b = _sleef.expf(-np.abs(a))
            q = b / (one + b)  # (>= +0 or NaN: 0 + q is q)
            gx = _sleef.select(a < 0, one - q, q)
            gx *= g._data
        return (wrap(gx, g._device),)
    if not STATE.enabled and type(x._data) is np.ndarray and x._data.dtype in _LOWP and \
            type(g._data) is np.ndarray and g._data.dtype == x._data.dtype:
        # the half types: the same in float32, from the forward's buffer as PyTorch keeps it
        # (rounded to the half type), rounded once at the end
        half, one = x._data.dtype, _F(1)
        a = x._data.astype(np.float32)
        with quiet:
            b = _sleef.expf(-np.abs(a)).astype(half).astype(np.float32)
            q = b / (one + b)
            gx = np.where(a < 0, one - q, q) * g._data.astype(np.float32)
        return (wrap(gx.astype(half), g._device),)
    return (g * (-x).sigmoid(),)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)`` (a composite, as in PyTorch)."""
    return input - input.tanh()


# -- piecewise linear -------------------------------------------------------------

def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    if inplace:
        return _inplace(hardswish, input)
    _need_float(input, "hardswish_cpu")
    out = _fwd(input, lambda a, xp: a * xp.minimum(xp.maximum(a + 3, 0), 6) / 6)
    # (the vector code's clamps are selects: every bit set, in a step's first vector only)
    out = P.nan_payloads(input._data, out, ("ones", "q"), "q")
    return make(out, (input,), "HardswishBackward0", _hardswish_rule, input)


@grads_shown_as("HardswishBackwardBackward0", takes_input=True)
def _hardswish_rule(ctx, g):
    x, = ctx.saved
    a = x._data
    low = a <= -3
    mid = (a > -3) & (a < 3)
    rest = ~(low | mid)  # x >= 3 and NaN: the gradient passes (as PyTorch)
    if not STATE.enabled and type(a) is np.ndarray and type(g._data) is np.ndarray and \
            g._data.shape == a.shape and g._data.dtype == a.dtype:
        # PyTorch's kernel: +0 at or below -3; the half types computed in float32 and
        # rounded once
        w = np.float32 if a.dtype in _LOWP else a.dtype.type
        xw, gw = a.astype(w), g._data.astype(w)
        with quiet:
            gx = np.where(low, w(0), np.where(mid, gw * (xw / w(3) + w(0.5)), gw))
        return (wrap(_vector_nans(gx.astype(a.dtype), a, g._data), g._device),)
    return (g * P.where(wrap(mid, g._device), x / 3 + 0.5, _const(rest, g)),)


def _vector_nans(gx, a, g):
    """The gradient ``gx`` with NaN where input ``a`` is NaN in PyTorch's vector loop (128
    bytes a step: its selects take neither branch there); the scalar loop (the tails, strided
    loops) passes the gradient."""
    with quiet:
        nan = np.isnan(a)
    if nan.any():
        m = _sleef.loop_mask(a.shape, g, a, block=128 // a.itemsize)
        if m is not None:
            gx[nan if m is True else nan & m] = np.nan
    return gx


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    if inplace:
        return _inplace(hardsigmoid, input)
    _need_float(input, "hardsigmoid_cpu")
    out = _fwd(input, lambda a, xp: xp.minimum(xp.maximum(a + 3, 0), 6) / 6)
    out = P.nan_payloads(input._data, out, "ones", "q", block=64)  # (one vector a step)
    return make(out, (input,), "HardsigmoidBackward0", _hardsigmoid_rule, input)


def _hardsigmoid_rule(ctx, g):
    a = ctx.saved[0]._data
    # NOTE: PyTorch's slope is 1/6 rounded to float32, in every dtype; and it has no
    # derivative for this gradient (a second backward refuses).
    return (not_twice_differentiable(_keep(g * _SIXTH, (a > -3) & (a < 3)), ctx.saved[0],
                                     "derivative for aten::hardsigmoid_backward is not "
                                     "implemented"),)


def _threshold(x, th, value, _name="ThresholdBackward0"):
    if x.dtype is D.bool or x.dtype._kind == 3:
        raise NotImplementedError(f"\"threshold_cpu\" not implemented for '{_legacy(x.dtype)}'")
    dt = x._data.dtype
    cdt = np.float32 if dt in _LOWP else dt
    t = np.asarray(th).astype(cdt)[()]
    v = np.asarray(value).astype(cdt)[()]
    out = _fwd(x, lambda a, xp: xp.where(a <= t, v, a))
    return make(out, (x,), _name, lambda ctx, g: (_mask_twice(
        g, ctx.saved[0], ~(ctx.saved[0]._data <= t), "ThresholdBackwardBackward0"),), x)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``."""
    if not isinstance(input, Tensor):  # (its C function's parser's words)
        from ..._ops._core import tp_name

        raise TypeError(f"threshold{'_' if inplace else ''}(): argument 'input' (position 1) "
                        f"must be Tensor, not {tp_name(input)}")
    if inplace:
        return threshold_(input, threshold, value)
    threshold = _number(threshold, "threshold", "threshold", 2)
    value = _number(value, "threshold", "value", 3)
    return _threshold(input, threshold, value)


threshold.__qualname__ = "_threshold"  # (PyTorch's Python function's name, in its errors)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    threshold = _number(threshold, "threshold_", "threshold", 2)
    value = _number(value, "threshold_", "value", 3)
    return _inplace(_threshold, input, threshold, value, _name="ThresholdBackward1",
                    _expanded=True)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between."""
    lambd = _number(lambd, "softshrink", "lambd", 2)
    _need_float(input, "softshrink_check")
    top = _FMAX[input.dtype.name]
    if not 0 <= lambd <= top:
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{_legacy(input.dtype)}, but found {lambd:g}")
    d = input._data
    vec = _vector_loop(d, 2 * _sleef.BLOCK // d.dtype.itemsize)

    def shrink(a, xp):
        # PyTorch's scalar loop writes ``a * 0`` between -lambd and lambd (-0. for negative
        # a), its vector loop +0 (one vector a step: 16 float32 values, 8 float64, 32 half)
        zero = 0 if xp is not np else np.where(vec, 0, a * 0)
        return xp.where(xp.abs(a) <= lambd, zero, a - xp.sign(a) * lambd)
    out = _fwd(input, shrink)
    return make(out, (input,), "SoftshrinkBackward0", _shrink_rule, input, lambd)


def _vector_loop(a, block):
    """Where PyTorch's vector loop (``block`` values a step) computes an elementwise op of
    the array ``a``: a bool array, or a bool."""
    if not _sleef.VECTORIZED or type(a) is not np.ndarray or a.ndim == 0:
        return False
    m = _sleef.loop_mask(a.shape, a, block=block)
    return False if m is None else m


def _shrink_rule(ctx, g):
    x, lambd = ctx.saved
    with quiet:
        keep = _nan_blocked(~(abs(x._data) <= lambd), x._data, g)
    return (_mask_twice(g, x, keep, "SoftshrinkBackwardBackward0"),)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, 0 elsewhere."""
    lambd = _number(lambd, "hardshrink", "lambd", 2)
    _need_float(input, "hardshrink_cpu")
    out = _fwd(input, lambda a, xp: xp.where((a >= -lambd) & (a <= lambd), 0, a))
    return make(out, (input,), "HardshrinkBackward0", _hardshrink_rule, input, lambd)


def _hardshrink_rule(ctx, g):
    x, lambd = ctx.saved
    a = x._data
    keep = _nan_blocked(~((a >= -lambd) & (a <= lambd)), a, g)
    return (_mask_twice(g, x, keep, "HardshrinkBackwardBackward0"),)


def _mask_twice(g, x, keep, name):
    """``g`` where ``keep`` holds, recorded (create_graph) as PyTorch's node ``name`` of the
    gradient and the input (zero gradient for the input)."""
    return _second_order(_keep(g, keep), g, x, name, lambda gg: _keep(gg, keep))


_GLU_ARGS = with_int_args("glu", ["Tensor input, int dim=-1"])(lambda *args: args)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``dim`` in halves ``a, b`` and return ``a * sigmoid(b)``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if type(dim) is not int:  # (nn.functional's glu gives it to its op by position)
        dim = _GLU_ARGS(input, dim)[1]
    d = norm_dim(dim, input.dim())
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    _need_float(input, "glu_cpu")
    h = n // 2

    def f(a, xp):
        first = a[(slice(None),) * d + (slice(0, h),)]
        second = a[(slice(None),) * d + (slice(h, n),)]
        if xp is np and (a.dtype == np.float32 or a.dtype == np.float64):
            # NOTE: PyTorch's kernel is ``a * sigmoid(b)`` with sigmoid's own vector and scalar
            # code (Sleef's exp in the vector blocks of the halves' inner loop)
            return first * P._np_sigmoid(second)
        return first * (1 / (1 + xp.exp(-second)))  # (rounded as PyTorch's kernel)
    out = _fwd(input, f)
    a, dev = input._data, input._device  # (laid out by TensorIterator over the two halves)
    halves = [wrap(a[(slice(None),) * d + (part,)], dev) for part in (slice(0, h), slice(h, n))]
    out = iter_layout(out, halves)
    return make(out, (input,), "GluBackward0", _glu_rule, input, d)


@grads_shown_as("GluBackwardBackward0")
def _glu_rule(ctx, g):
    x, d = ctx.saved
    xa = x._data
    if not STATE.enabled and type(xa) is np.ndarray and xa.dtype in _LOWP and \
            type(g._data) is np.ndarray and g._data.dtype == xa.dtype:
        # the half types: PyTorch's kernel takes sigmoid(b) rounded to the half type, then
        # computes in float32 and rounds once
        av, bv = (v.astype(np.float32) for v in np.split(xa, 2, axis=d))
        gw, one = g._data.astype(np.float32), _F(1)
        with quiet:
            sw = (one / (one + np.exp(-bv))).astype(xa.dtype).astype(np.float32)
            gx = np.concatenate([sw * gw, (one - sw) * sw * av * gw], axis=d)
        return (wrap(gx.astype(xa.dtype), g._device),)
    a, b = x.chunk(2, d)
    s = b.sigmoid()
    # as PyTorch's kernel rounds it: s * g and (1 - s) * s * a * g, left to right
    return (S.cat([s * g, (1 - s) * s * a * g], d),)


# -- softmax ----------------------------------------------------------------------

def _softmax_dim(ndim, name="softmax"):

    _warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
          "to include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _dim_dtype(input, dim, dtype, kernel):
    if dim is None:
        dim = _softmax_dim(input.dim(), kernel)
    elif type(dim) is not int:  # (PyTorch's function calls the method: its parser's error)
        from ..._argparse import _is_int
        from ..._ops._core import tp_name

        if not _is_int(dim):
            raise TypeError(f"{kernel}(): argument 'dim' (position 1) must be int, not "
                            f"{tp_name(dim)}")
        dim = int(dim)
    if dtype is not None:
        input = input.to(dtype)
    d = norm_dim(dim, input.dim())
    if not input.dtype.is_floating_point and input.numel():  # (an empty input: no kernel runs)
        last = d == max(input.dim(), 1) - 1
        raise NotImplementedError(f'"{kernel}{"_lastdim" if last else ""}_kernel_impl" not '
                                  f"implemented for '{_legacy(input.dtype)}'")
    return input, d


def _shifted(a, d):
    """``a - max(a)`` along ``d`` (the usual guard against overflow in exp)."""
    if not a.size:
        return a
    m = a.max(axis=d, keepdims=True)
    # NOTE: a row whose max is -inf is shifted by 0; a +inf max stays (inf - inf is NaN, so
    # the row's softmax is all NaN, as in PyTorch)
    if type(m) is not np.ndarray:  # on a GPU, no host round trip: always the guarded max
        xp = xp_of_array(m)
        m = xp.where(m == -xp.inf, 0, m)
    elif not math.isfinite(m.sum()):  # (one reduction; an inf or nan max is rare)
        with quiet:
            m = np.where(m == -np.inf, 0, m)
    return a - m


def softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    if _amp.ON and dtype is None:  # (float32 under CUDA autocast, as PyTorch's)
        input = _amp.cuda_fp32(input)
    input, d = _dim_dtype(input, dim, dtype, "softmax")
    a = input._data if input.ndim else input._data.reshape(1)
    x = a.astype(np.float32) if a.dtype in _LOWP else a
    with quiet:
        if _cpu_float32_rows(a, d):
            # PyTorch's CPU kernel along the last dim: Sleef's exp, its lane-wise row sums,
            # one reciprocal per row (bit for bit)
            rows = a.reshape(-1, a.shape[-1])
            e = _sleef.expf(rows - rows.max(axis=1, keepdims=True))
            out = (e * (np.float32(1) / _sleef.row_sums(e))[:, None]).reshape(input.shape)
        elif _cpu_float64_rows(a, d):  # (the same kernel in double, bit for bit)
            rows = a.reshape(-1, a.shape[-1])
            e = _sleef_more.expd_capped(rows - rows.max(axis=1, keepdims=True))
            out = (e * (1 / _softmax_cpu.row_sums64(e))[:, None]).reshape(input.shape)
        elif _cpu_inner(a, d, (*_LOWP, _F64)):
            out = _softmax_cpu.softmax(a, d).reshape(input.shape)  # PyTorch's kernel, exactly
        else:
            e = xp_of(input).exp(_shifted(x, d))
            out = (e / e.sum(axis=d, keepdims=True)).astype(a.dtype, copy=False)
            out = out.reshape(input.shape)
    out = c_order(out)
    return show_negative_dim(make(out, (input,), "SoftmaxBackward0", _softmax_rule, OUT, d,
                                  *_fw_input(input)), dim)


def _fw_input(x):
    """``(x,)`` where forward mode may ask for a tangent (PyTorch's forward formulas of
    softmax and log_softmax take the input), else ``()``."""
    return (x,) if _fwad.tangents_wanted() else ()


def _pushed(ctx, g, vjp, push):
    """``vjp(g)``; while forward mode's tangents are pushed, with PyTorch's forward formula
    ``push(x, t)`` (on the saved input ``x``) as its gradient for ``g``."""
    if len(ctx.saved) > 2 and _fwad.pushing():
        x = ctx.saved[2]
        return _fwad.push_node(g, vjp, lambda t: push(x, t))
    return vjp(g)


def _cpu_float32_rows(a, d, *others):
    """Whether PyTorch's CPU last-dim softmax kernels (reproduced with ``_sleef``) apply."""
    return type(a) is np.ndarray and a.dtype == np.float32 and d == a.ndim - 1 and \
        a.size > 0 and all(o.dtype == np.float32 and o.shape == a.shape for o in others)


def _cpu_float64_rows(a, d, *others):
    """Whether PyTorch's CPU last-dim softmax kernels apply to a float64 array (its vector
    code, Sleef's exp and log, on every value; ``_sleef_more``), with ``others`` alike."""
    return type(a) is np.ndarray and a.dtype == np.float64 and d == a.ndim - 1 and \
        a.size > 0 and _sleef.VECTORIZED and \
        all(type(o) is np.ndarray and o.dtype == a.dtype and o.shape == a.shape for o in others)


_F64 = np.dtype(np.float64)


def _cpu_inner(a, d, also=(), *others):
    """Whether PyTorch's CPU kernels for a dim before the last (``_softmax_cpu``) apply:
    float32 (or one of the dtypes ``also``) on the CPU."""
    return type(a) is np.ndarray and (a.dtype == np.float32 or a.dtype in also) and \
        d < a.ndim - 1 and a.size > 0 and \
        all(type(o) is np.ndarray and o.dtype == a.dtype and o.shape == a.shape for o in others)


def _cpu_half(y, g):
    """Whether PyTorch's CPU half-type backward kernels (``_softmax_cpu``) apply."""
    return type(y) is np.ndarray and y.dtype in _LOWP and y.size > 0 and \
        type(g) is np.ndarray and g.dtype == y.dtype and g.shape == y.shape


def _wide_0d(ya, ga):
    """A 0-d softmax's output and gradient, the half types widened to float32."""
    if ya.dtype in _LOWP:
        return ya.astype(np.float32), ga.astype(np.float32)
    return ya, ga.astype(ya.dtype)


@grads_shown_as("SoftmaxBackwardDataBackward0")
def _softmax_rule(ctx, g):
    y, d = ctx.saved[:2]
    if not STATE.enabled and y._data.ndim == 0:  # (a 0-d input: one row of one value)
        ya, ga = _wide_0d(y._data, g._data)
        with quiet:
            return (wrap((ga - ga * ya) * ya, g._device).to(y.dtype),)
    if not STATE.enabled:  # a first-order backward: plain arrays, no graph to record
        if _cpu_float32_rows(y._data, d, g._data):  # PyTorch's kernel: lane-wise dot
            n = y._data.shape[-1]
            ys, gs = y._data.reshape(-1, n), g._data.reshape(-1, n)
            with quiet:
                gx = (gs - _sleef.row_sums(gs * ys, from_first=True)[:, None]) * ys
            return (wrap(gx.reshape(y._data.shape), g._device),)
        if _cpu_float64_rows(y._data, d, g._data):  # (in double: lanes summed in order)
            n = y._data.shape[-1]
            ys, gs = y._data.reshape(-1, n), g._data.reshape(-1, n)
            with quiet:
                gx = (gs - _softmax_cpu.row_sums64(gs * ys)[:, None]) * ys
            return (wrap(gx.reshape(y._data.shape), g._device),)
        if _cpu_inner(y._data, d, (_F64,), g._data) or _cpu_half(y._data, g._data):
            with quiet:
                gx = _softmax_cpu.softmax_backward(g._data, y._data, d)
            return (wrap(gx, g._device),)
        gy = g._data * y._data
        return (wrap(gy - y._data * gy.sum(axis=d, keepdims=True), g._device),)
    from ...autograd.forward_ad import logsumexp_jvp

    return (_pushed(ctx, g, lambda g: y * (g - (g * y).sum(d, keepdim=True)),
                    lambda x, t: y * (t - logsumexp_jvp(x, t, d, True))),)


def log_softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``dim``, computed without overflow."""
    if _amp.ON and dtype is None:  # (float32 under CUDA autocast, as PyTorch's)
        input = _amp.cuda_fp32(input)
    input, d = _dim_dtype(input, dim, dtype, "log_softmax")
    a = input._data if input.ndim else input._data.reshape(1)
    x = a.astype(np.float32) if a.dtype in _LOWP else a
    out = None
    if _cpu_float32_rows(a, d):  # (first: the common case)
        # PyTorch's CPU kernel along the last dim: Sleef's exp, lane-wise row sums, Sleef's log
        rows = a.reshape(-1, a.shape[-1])
        with quiet:
            s = rows - np.maximum.reduce(rows, axis=1, keepdims=True)
            out = s - _sleef.logf(_sleef.row_sums(_sleef.expf(s)))[:, None]
    elif _cpu_float64_rows(a, d):  # (the same kernel in double)
        rows = a.reshape(-1, a.shape[-1])
        with quiet:
            s = rows - np.maximum.reduce(rows, axis=1, keepdims=True)
            total = _softmax_cpu.row_sums64(_sleef_more.expd_capped(s))
            out = s - _sleef_more.logd_capped(total)[:, None]
    elif type(a) is not np.ndarray and d == a.ndim - 1 and _kernels.fits_rows(a):
        k = _kernels.for_array(a)  # one kernel on a GPU (class scores, row by row)
        out = k.log_softmax(a) if k is not None else None
    elif _cpu_inner(a, d, (_F64,)):
        out = _softmax_cpu.log_softmax(a, d)  # PyTorch's kernel for an inner dim, exactly
    if out is None:
        with quiet:
            s = _shifted(x, d)
            xp = xp_of(input)
            lse = xp.exp(s).sum(axis=d, keepdims=True)
            if a.dtype in _LOWP and d == a.ndim - 1:
                # NOTE: PyTorch's half-type kernel along the last dim rounds the sum and its
                # log to the half type before subtracting (checked bit for bit)
                lse = xp.log(lse.astype(a.dtype).astype(np.float32)).astype(a.dtype)
                out = (s - lse.astype(np.float32)).astype(a.dtype)
            else:
                out = (s - xp.log(lse)).astype(a.dtype, copy=False)
    out = c_order(out.reshape(input.shape))
    return show_negative_dim(make(out, (input,), "LogSoftmaxBackward0", _log_softmax_rule, OUT,
                                  d, *_fw_input(input)), dim)


@grads_shown_as("LogSoftmaxBackwardDataBackward0")
def _log_softmax_rule(ctx, g):
    y, d = ctx.saved[:2]
    if not STATE.enabled and y._data.ndim == 0:  # (a 0-d input: one row of one value)
        ya, ga = _wide_0d(y._data, g._data)
        with quiet:
            return (wrap(ga - xp_of(y).exp(ya) * ga, g._device).to(y.dtype),)
    if not STATE.enabled:  # a first-order backward: plain arrays, no graph to record
        ga, ya = g._data, y._data
        if type(ya) is not np.ndarray and d == ya.ndim - 1 and _kernels.fits_rows(ya) and \
                ga.shape == ya.shape and ga.dtype == ya.dtype:
            k = _kernels.for_array(ya)
            gx = k.log_softmax_backward(ga, ya) if k is not None else None
            if gx is not None:
                return (wrap(gx, g._device),)
        with quiet:
            if _cpu_float32_rows(ya, d, ga):
                # PyTorch's CPU kernel: the lane-wise row sum, Sleef's exp, and a fused
                # multiply-subtract (one rounding, done exactly in float64)
                n = ya.shape[-1]
                rows, gs = ya.reshape(-1, n), ga.reshape(-1, n)
                total = _sleef.row_sums(gs, from_first=True).astype(np.float64)[:, None]
                gx = (gs - _sleef.expf(rows).astype(np.float64) * total).astype(np.float32)
                return (wrap(gx.reshape(ya.shape), g._device),)
            if _cpu_float64_rows(ya, d, ga):  # (in double: one fused multiply-subtract)
                n = ya.shape[-1]
                rows, gs = ya.reshape(-1, n), ga.reshape(-1, n)
                total = _softmax_cpu.row_sums64(gs)[:, None]
                gx = _sleef_more.fma_capped(-_sleef_more.expd_capped(rows), total, gs)
                return (wrap(gx.reshape(ya.shape), g._device),)
            if _cpu_inner(ya, d, (_F64,), ga) or _cpu_half(ya, ga):
                return (wrap(_softmax_cpu.log_softmax_backward(ga, ya, d), g._device),)
            e = xp_of(y).exp(ya)
            return (wrap(ga - e * ga.sum(axis=d, keepdims=True), g._device),)
    from ...autograd.forward_ad import logsumexp_jvp

    return (_pushed(ctx, g, lambda g: g - y.exp() * g.sum(d, keepdim=True),
                    lambda x, t: t - logsumexp_jvp(x, t, d, True)),)


def softmin(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    if dim is None:
        dim = _softmax_dim(input.dim(), "softmin")
    return softmax(-input, dim, dtype=dtype)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A sample of the Gumbel-softmax distribution over ``dim`` at temperature ``tau``:
    ``softmax((logits + g) / tau)`` with ``g = -log(Exponential(1))`` noise.

    With ``hard`` the result is the one-hot vector of the sample's largest entry, whose
    gradient is the soft sample's (the straight-through estimator).  The noise comes
    from the default generator exactly as PyTorch draws it (``exponential_``), so a
    seeded run gives PyTorch's numbers.  ``eps`` is deprecated and unused.
    """
    if eps != 1e-10:
        _warn("`eps` parameter is deprecated and has no effect.")
    from ..._ops import creation

    from ..._ops.shape import contiguous_format

    # (PyTorch's legacy contiguous format: the noise drawn in row-major order, whatever
    # the logits' layout)
    noise = -creation.empty_like(logits, memory_format=contiguous_format).exponential_().log()
    y_soft = ((logits + noise) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = creation.zeros_like(logits, memory_format=contiguous_format).scatter_(dim, index,
                                                                                   1.0)
    return y_hard - y_soft.detach() + y_soft
