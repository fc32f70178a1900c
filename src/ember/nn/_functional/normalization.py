"""``batch_norm``, ``instance_norm``, ``layer_norm``, ``group_norm`` and ``rms_norm``.

The first three are primitives sharing one forward (:func:`_affine_norm`) and one
backward rule (:func:`_affine_norm_rule`): each normalises ``x`` by a mean and an
inverse standard deviation taken over some axes of a view of ``x``, then applies a
per-feature scale and shift.  They differ only in that view, those axes, and how
the parameters broadcast:

=============  ====================  ===========  ==========================
op             view of x (N, C, *)   stat axes    parameters broadcast as
=============  ====================  ===========  ==========================
batch_norm     x                     all but 1    (C, 1, ..., 1)
layer_norm     x                     trailing k   normalized_shape
group_norm     (N, G, C//G * prod *) 2            (C, 1, ..., 1)
=============  ====================  ===========  ==========================

``instance_norm`` is batch norm of the input viewed as one sample of N*C channels, as
in PyTorch (its ``grad_fn`` is ``ViewBackward0`` over ``NativeBatchNormBackward0``).
``rms_norm`` is a composite of existing ops, as in PyTorch on the CPU (its
``grad_fn`` is ``MulBackward0``).
"""
from __future__ import annotations

from ember._warnings import warn_once as _warn_once

import numbers

import numpy as np

from ... import _dtype as D
from ...amp import autocast_mode as _amp
from ..._ops._core import (c_dense, exact_values, make, quiet, same_device, shown_as,
                            suggests_channels_last, wrap, xp_of)
from ..._ops import pointwise as P
from ..._ops._cascade import _threads
from ..._tensor import Tensor
from ...autograd.grad_mode import STATE
from . import _batchnorm_cpu as _bn_cpu
from . import _groupnorm_cpu as _gn_cpu
from . import _layernorm_cpu as _ln_cpu

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm"]

_LOW = ("float16", "bfloat16")
_EPS = {"float16": 0.0009765625, "bfloat16": 0.0078125, "float32": 1.1920928955078125e-07,
        "float64": 2.220446049250313e-16, "complex64": 1.1920928955078125e-07,
        "complex128": 2.220446049250313e-16}
_LEGACY = {d.name: D.scalar_name(d) for d in D.ALL}
_CPP = D.CPP_NAMES


def _fmt(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_float(x: Tensor, kernel: str) -> None:
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_LEGACY[x.dtype.name]}\'')


def _check_mixed(x: Tensor, params, kernel: str) -> None:
    """The normalisations' dtype rule: the inputs mix dtypes when the first parameter given
    differs from the input's dtype; then every parameter must be float32 and the input a half
    type.  Otherwise the kernel must exist for the dtype and all parameters share it."""
    given = [p for p in params if p is not None]
    if given and given[0].dtype is not x.dtype:
        if any(p.dtype is not D.float32 for p in given):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if x.dtype.name not in _LOW:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
        return
    _check_float(x, kernel)
    for p in given:
        if p.dtype is not x.dtype:
            raise RuntimeError(f"expected scalar type {_LEGACY[x.dtype.name]} but found "
                               f"{_LEGACY[p.dtype.name]}")


def _check_mixed_first(x: Tensor, params) -> None:
    """The mixed-dtype part of ``_check_mixed``, which layer norm checks before any shape."""
    given = [p for p in params if p is not None]
    if given and given[0].dtype is not x.dtype:
        _check_mixed(x, params, "")


def _compute(a):
    """An array in the dtype the statistics are computed in (float32 for half types)."""
    return a.astype(np.float32) if a.dtype.name in _LOW else a


def _affine_norm(x, w, b, name, view, axes, pshape, stats, eps, rule=None, keep=()):
    """``(x - mean) * invstd * w + b`` with the statistics of ``x.reshape(view)`` over ``axes``.

    ``stats`` is ``None`` (use the batch's own statistics) or fixed ``(mean, invstd)``
    arrays that broadcast against the view (batch norm in eval mode).
    Returns the output tensor and the batch statistics (``None`` for fixed ones).
    ``keep``: more tensors PyTorch's node saves (checked against in-place changes).
    """
    same_device(x, w, b)
    xp = xp_of(x)
    a = _compute(x._data).reshape(view)
    lin = False
    if stats is None:
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        if n:
            mean = a.mean(axis=axes, keepdims=True)
            d = a - mean
            var = (d * d).mean(axis=axes, keepdims=True)
        else:  # nothing to average: PyTorch gives an empty output
            kshape = tuple(1 if i in axes else s for i, s in enumerate(a.shape))
            mean = xp.zeros(kshape, dtype=a.dtype)
            var = xp.full(kshape, np.nan, dtype=a.dtype)
            d = a - mean
        invstd = 1 / xp.sqrt(var + a.dtype.type(eps))
        batch = (mean, var, n)
        if name == "NativeBatchNormBackward0" and x._data.dtype.name in _LOW and (
                w is None or w.dtype is x.dtype) and x._device.type == "cpu":
            # as PyTorch's CPU kernel for a half type throughout: the statistics are kept in
            # that type, the output computed from them.  The sum of squares (rounded to
            # bfloat16 before the division) is taken about the rounded mean where each channel's
            # values are one apart in memory (an (N, C) input)
            half = x._data.dtype
            mean0, mean = mean, mean.astype(half).astype(a.dtype)
            d = a - mean
            dm = d if a.size == a.shape[0] * a.shape[1] else a - mean0
            vsum = (dm * dm).sum(axis=axes, keepdims=True)
            if half.name == "bfloat16":  # (measured: float16's stays float32 throughout)
                vsum = (vsum.astype(half) / half.type(n)).astype(np.float64)
            else:
                vsum = (vsum / np.float32(n)).astype(np.float64)
            invstd = (1 / np.sqrt(vsum + eps)).astype(half).astype(a.dtype)
            lin = True
        y = d * invstd
    else:
        mean, invstd = stats
        y = (a - mean) * invstd
        batch = None
    if lin:  # (as PyTorch's kernel: x * alpha + beta, alpha = invstd * w, beta = b - mean*alpha)
        alpha = invstd if w is None else invstd * _compute(w._data).reshape(pshape)
        beta = -mean * alpha if b is None else _compute(b._data).reshape(pshape) - mean * alpha
        y = (a.astype(np.float64) * alpha + beta).astype(np.float32)
    else:
        y = y.reshape(x.shape)
        if w is not None:
            y = y * _compute(w._data).reshape(pshape)
        if b is not None:
            y = y + _compute(b._data).reshape(pshape)
    # (contiguous, or channels-last by ``make`` for an input that suggests it, as PyTorch's:
    # NumPy's keeps a permuted input's order)
    y = c_dense(y.astype(x._data.dtype, copy=False))
    bshape = None if b is None else tuple(b.shape)
    out = make(y, (x, w, b), name, rule or _affine_norm_rule, x, w, wrap(mean, x._device),
               wrap(invstd, x._device), (view, axes, pshape, bshape, stats is None, eps), *keep)
    return out, batch


def _param_dims(ndim, pshape):
    """The dims of ``x`` a parameter gradient is summed over."""
    k = len(pshape)
    return tuple(i for i in range(ndim) if i < ndim - k or pshape[i - (ndim - k)] == 1)


def _affine_norm_rule(ctx, g):
    x, w, mean, invstd, (view, axes, pshape, bshape, batch_stats, eps) = ctx.saved[:5]
    need_x, need_w, need_b = ctx.needs_input_grad
    if need_b and w is None and not STATE.enabled and type(x._data) is np.ndarray and \
            type(ctx).__name__ == "NativeGroupNormBackward0":
        # NOTE: PyTorch's CPU group-norm backward fails like this for a bias without a
        # weight, whatever the dtype or size.
        raise RuntimeError("tensor does not have a device")
    xv = x.reshape(view)
    if batch_stats and STATE.enabled and x.requires_grad:
        # Building a graph for double backward: the statistics depend on x too.
        mean = xv.mean(axes, keepdim=True)
        d = xv - mean
        invstd = ((d * d).mean(axes, keepdim=True) + eps).rsqrt()
    xhat = (xv - mean) * invstd
    pdims = _param_dims(x.ndim, pshape)
    gx = gw = gb = None
    if need_x:
        gxhat = (g if w is None else g * w.reshape(pshape)).reshape(view)
        if batch_stats:
            gx = invstd * (gxhat - gxhat.mean(axes, keepdim=True)
                           - xhat * (gxhat * xhat).mean(axes, keepdim=True))
        else:
            gx = gxhat * invstd
        gx = gx.reshape(x.shape)
    if need_w:
        gw = g * xhat.reshape(x.shape)
        gw = (gw.sum(pdims) if pdims else gw).reshape(w.shape)
    if need_b:
        # summed in the statistics' dtype: float32 for a half-type gradient (autocast's bf16
        # activations with float32 parameters), as PyTorch's mixed-type kernel accumulates it
        gb = (g.sum(pdims, dtype=mean.dtype) if pdims else g).reshape(bshape)
    twice = _TWICE.get(type(ctx).__name__) if STATE.enabled else None
    if twice:  # (create_graph: shown as PyTorch's double-backward node)
        return shown_as(gx, twice), shown_as(gw, twice), shown_as(gb, twice, (x,))
    return gx, gw, gb


def _batch_norm_half_rule(ctx, g):
    """A float16/bfloat16 batch norm's backward as PyTorch's CPU kernel: per channel, float32
    sums of ``dy`` and ``(x - mean) * dy``, then ``dx = (dy - sum/N - (x - mean) * k) * invstd
    * w`` (``k = dotp * invstd**2 / N``) in float32, rounded once to the half type."""
    x, w, mean, invstd, (view, axes, pshape, bshape, batch_stats, eps) = ctx.saved[:5]
    gd = g._data
    if (STATE.enabled and x.requires_grad) or type(gd) is not np.ndarray:
        return _affine_norm_rule(ctx, g)
    with np.errstate(all="ignore"):
        return _batch_norm_half_grads(ctx, x, w, mean, invstd, gd, axes, pshape, bshape,
                                      batch_stats)


def _batch_norm_half_grads(ctx, x, w, mean, invstd, gd, axes, pshape, bshape, batch_stats):
    need_x, need_w, need_b = ctx.needs_input_grad
    half = x._data.dtype
    xf = x._data.astype(np.float32)
    dy = gd.astype(half, copy=False).astype(np.float32)
    m = mean._data.astype(np.float32)
    r = invstd._data.astype(np.float32)
    n = np.float32(xf.size // xf.shape[1])
    xm = xf - m
    tot = dy.sum(axes, keepdims=True)
    dotp = (xm * dy).sum(axes, keepdims=True)
    gx = gw = gb = None
    if need_x:
        wf = np.float32(1) if w is None else w._data.astype(np.float32).reshape(pshape)
        if batch_stats:
            k = dotp * r * r / n
            dx = (dy - tot / n - xm * k) * r * wf
        else:
            dx = dy * r * wf
        gx = wrap(dx.astype(half), x._device)
    if need_w:
        gw = wrap((dotp * r).astype(w._data.dtype).reshape(w.shape), x._device)
    if need_b:
        bdt = half if w is None or w._data.dtype == half else np.float32
        gb = wrap(tot.astype(bdt).reshape(bshape), x._device)
    return gx, gw, gb


_TWICE = {"NativeBatchNormBackward0": "NativeBatchNormBackwardBackward0",
          "NativeLayerNormBackward0": "NativeLayerNormBackwardBackward0"}


# -- batch_norm ---------------------------------------------------------------

def _verify_batch_size(x: Tensor) -> None:
    size = x.shape
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) of ``input`` of shape (N, C, *).

    In training mode the batch's own statistics are used, and ``running_mean`` /
    ``running_var`` (if given) are updated in place with ``momentum``: the mean, and the
    *unbiased* variance.  In eval mode the running statistics are used.

    >>> x = ember.randn(8, 3)
    >>> F.batch_norm(x, None, None, training=True).mean(0).abs().max() < 1e-6
    tensor(True)
    """
    if training:
        _verify_batch_size(input)
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _check_float_args(name, momentum, eps):
    """PyTorch's argument parser: ``momentum`` and ``eps`` are floats (or 0-d tensors, read
    as their values)."""
    from ..._ops._core import tp_name

    for pos, arg, v in ((7, "momentum", momentum), (8, "eps", eps)):
        if not isinstance(v, (numbers.Real, Tensor)):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be float, not "
                            f"{tp_name(v)}")
    return tuple(float(v) if isinstance(v, Tensor) else v for v in (momentum, eps))


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    """``torch.batch_norm``: ``F.batch_norm`` without the checks of its Python layer."""
    momentum, eps = _check_float_args("batch_norm", momentum, eps)
    if training:
        from ...func._vmap import check_batch_norm_stats

        check_batch_norm_stats(running_mean, running_var)
    if input.numel() == 0 and input.ndim > 1:
        # as PyTorch: an empty input skips the checks (the sizes' and the dtypes'), giving
        # a copy of it scaled and shifted by the first weight and bias (0-d, so promoting as
        # such: an int input gives float32, a half one stays half)
        out = input.clone()
        if weight is not None:
            out = out * weight.select(0, 0)
        if bias is not None:
            out = out + bias.select(0, 0)
        return out
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be "
                         "None")
    c = input.shape[1] if input.ndim > 1 else 0
    for nm, t in (("running_mean", running_mean), ("running_var", running_var),
                  ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{nm} should contain {c} elements not {t.numel()}")
    if not training and running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    _check_float(input, "batch_norm")
    same_device(input, running_mean, running_var)
    _check_mixed(input, (weight, bias, running_mean, running_var), "batch_norm")
    axes = (0,) + tuple(range(2, input.ndim))
    pshape = (c,) + (1,) * (input.ndim - 2)
    if training and input.numel() == 0:
        # NOTE: as PyTorch, an empty batch leaves the running statistics untouched.
        running_mean = running_var = None
    if _exact_batch_norm(input, (weight, bias, running_mean, running_var)):
        return _batch_norm_cpu(input, running_mean, running_var, weight, bias, training, momentum,
                               eps, pshape)
    stats = None
    if not training:
        xp = xp_of(input)
        # copies: a later in-place update of the buffers must not change what backward sees
        rm = _compute(running_mean._data).reshape(pshape).copy()
        rv = _compute(running_var._data).reshape(pshape)
        stats = (rm, 1 / xp.sqrt(rv + rv.dtype.type(eps)))
    half_cpu = input.dtype.name in _LOW and input._device.type == "cpu"
    rule = _batch_norm_half_rule if half_cpu else None
    out, batch = _affine_norm(input, weight, bias, "NativeBatchNormBackward0", input.shape, axes,
                              pshape, stats, eps, rule, keep=(running_mean, running_var))
    if training and running_mean is not None and batch is not None:
        mean, var, n = batch
        unbiased = var * (n / (n - 1)) if n > 1 else var * np.nan
        m = momentum
        # NOTE: PyTorch's kernel updates the buffers without bumping their version counter.
        for buf, val in ((running_mean, mean), (running_var, unbiased)):
            old = buf._data
            old[...] = (val.reshape(old.shape) * m + old * (1 - m)).astype(old.dtype, copy=False)
    return out


def _exact_batch_norm(x: Tensor, tensors) -> bool:
    """Whether PyTorch's own CPU kernels can be followed: float32 input, contiguous or
    channels last, with float32 parameters and buffers (see ``_batchnorm_cpu``); or float64
    ones, the input finite and of at most ``_bn_cpu.EXACT64_MAX`` elements."""
    a = x._data
    if type(a) is np.ndarray and a.dtype == np.float64 and a.ndim >= 2:
        image = a.size // max(1, a.shape[0] * a.shape[1]) != 1 and a.flags.c_contiguous
        if not _bn_cpu.eligible64(a, 0 if image else a.size // max(1, a.shape[1])):
            return False
    if not _bn_cpu.eligible(x._data):
        rows = _nhwc_rows(x._data)
        if rows is None or not _bn_cpu.eligible(rows):
            return False
        # Channels last: PyTorch's kernels add the rows one by one into per-thread buffers,
        # fused, which ember follows one row at a time.  Measured, that costs up to about
        # twice the contiguous exact path from 32 channels on, and far more below that
        # unless the rows are few; there the general path stays (values to rounding).
        if rows.shape[1] < 32 and rows.shape[0] > 1024 * _threads():
            return False
    return all(t is None or (type(t._data) is np.ndarray and t._data.dtype == x._data.dtype)
               for t in tensors)


def _nhwc_rows(a):
    """A channels-last (N, C, *spatial) array as the (N * spatial, C) rows its memory holds
    (PyTorch's channels-last kernels are its (N, C) ones over these rows), else ``None``."""
    if type(a) is not np.ndarray or a.ndim not in (4, 5) or a.flags.c_contiguous:
        return None
    rows = np.moveaxis(a, 1, -1)
    return rows.reshape(-1, a.shape[1]) if rows.flags.c_contiguous else None


def _from_nhwc_rows(rows, shape):
    """The inverse of :func:`_nhwc_rows`: (N * spatial, C) rows as a channels-last array."""
    return np.moveaxis(rows.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)), -1, 1)


def _batch_norm_cpu(x, running_mean, running_var, weight, bias, training, momentum, eps,
                    pshape):
    """``batch_norm`` through PyTorch's CPU kernels, bit for bit."""
    a = x._data
    c = a.shape[1]
    rows = None if a.flags.c_contiguous else _nhwc_rows(a)
    if rows is not None:  # channels last: the (N, C) kernels over its rows
        a = rows
    w = None if weight is None else weight._data.reshape(c)
    b = None if bias is None else bias._data.reshape(c)
    if training:
        mean, var_sum = _bn_cpu.stats(a)
        count = a.size // c
        invstd = back_invstd = _bn_cpu.invstd_train(var_sum, count, eps)
        if running_mean is not None:
            # NOTE: PyTorch's kernel updates the buffers without bumping their version counter.
            _bn_cpu.update_running(running_mean._data.reshape(c), mean, momentum, False)
            with np.errstate(divide="ignore", invalid="ignore"):  # (a batch of one: NaN)
                unbiased = var_sum / var_sum.dtype.type(count - 1)
            _bn_cpu.update_running(running_var._data.reshape(c), unbiased, momentum, True)
    else:
        # copies: a later in-place update of the buffers must not change what backward sees
        mean = running_mean._data.reshape(c).copy()
        rv = running_var._data.reshape(c).copy()
        invstd = _bn_cpu.invstd_eval(rv, eps)
        back_invstd = _bn_cpu.invstd_train(rv, 1, eps)  # the backward kernel's, in double
    y = _bn_cpu.forward(a, mean, invstd, w, b)
    if rows is not None:
        y = _from_nhwc_rows(y, x.shape)
    else:  # (PyTorch's: the input's suggested layout; NumPy's keeps a permuted input's)
        y = c_dense(y)
    bshape = None if bias is None else tuple(bias.shape)
    dev = x._device
    return make(y, (x, weight, bias), "NativeBatchNormBackward0", _batch_norm_cpu_rule, x, weight,
                wrap(mean.reshape(pshape), dev), wrap(invstd.reshape(pshape), dev),
                (x.shape, (0,) + tuple(range(2, x.ndim)), pshape, bshape, training, eps),
                (mean, back_invstd), running_mean, running_var)  # (kept, as PyTorch's)


@exact_values
def _batch_norm_cpu_rule(ctx, g):
    """PyTorch's CPU backward kernels; the general rule where the gradient's graph is built
    (double backward) or the gradient's layout is not theirs."""
    x, w, _, _, params, (mean, invstd) = ctx.saved[:6]
    gd = g._data
    if STATE.enabled or type(gd) is not np.ndarray or gd.dtype != x._data.dtype:
        return _affine_norm_rule(ctx, g)
    xd = x._data
    need_x, need_w, need_b = ctx.needs_input_grad
    rows = None if xd.flags.c_contiguous else _nhwc_rows(xd)
    grows = None if rows is None else _nhwc_rows(gd)
    if not (gd.flags.c_contiguous if rows is None else grows is not None):
        # the gradient laid out unlike the input: PyTorch's generic kernel
        gsum = g.sum((0,) + tuple(range(2, g.ndim)))._data
        with np.errstate(invalid="ignore", over="ignore"):  # (PyTorch warns of nothing)
            gx, gw, gb = _bn_cpu.backward_mixed(xd, gd, gsum, mean, invstd,
                                                None if w is None else w._data, params[4],
                                                need_x)
        if gx is not None and rows is not None:  # laid out as the input
            gx = _from_nhwc_rows(np.ascontiguousarray(np.moveaxis(gx, 1, -1)), x.shape)
        return _bn_grads(x, w, params, gx, gw, gb, need_w, need_b)
    if rows is not None:  # both channels last: the (N, C) kernels over their rows
        xd, gd = rows, grows
    with np.errstate(invalid="ignore", over="ignore"):  # (PyTorch warns of nothing)
        gx, gw, gb = _bn_cpu.backward(xd, gd, mean, invstd, None if w is None else w._data,
                                      params[4], need_x)
    if rows is not None and gx is not None:
        gx = _from_nhwc_rows(gx, x.shape)
    return _bn_grads(x, w, params, gx, gw, gb, need_w, need_b)


def _bn_grads(x, w, params, gx, gw, gb, need_w, need_b):
    dev = x._device
    return (None if gx is None else wrap(gx, dev),
            wrap(gw.reshape(w.shape), dev) if need_w else None,
            wrap(gb.reshape(params[3]), dev) if need_b else None)


# -- instance_norm ------------------------------------------------------------

def instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample of ``input`` (N, C, *) over its own positions.

    With ``use_input_stats`` the sample's statistics are used, and the running
    statistics (if given) move towards their average over the batch with ``momentum``;
    otherwise the running statistics are used.

    >>> F.instance_norm(ember.randn(2, 3, 5)).shape
    torch.Size([2, 3, 5])
    """
    if use_input_stats:
        _verify_spatial_size(input)
    return _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                          momentum, eps)


def _instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum,
                   eps):
    """``torch.instance_norm``: ``F.instance_norm`` without its Python layer's check."""
    momentum, eps = _check_float_args("instance_norm", momentum, eps)
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    n, c = input.shape[0], input.shape[1]
    # One sample of N*C channels: every (sample, channel) pair gets statistics of its own.
    # (as PyTorch: a contiguous copy first, so a channels-last input takes the same kernels)
    x = input.contiguous().reshape((1, n * c) + tuple(input.shape[2:]))
    # (an empty integer input is let through by batch norm: its statistics stay as they are)
    to = input.dtype if input.dtype.is_floating_point else None
    rm = None if running_mean is None else running_mean.repeat(n).to(to)
    rv = None if running_var is None else running_var.repeat(n).to(to)
    w = None if weight is None else weight.repeat(n)
    b = None if bias is None else bias.repeat(n)
    out = _batch_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats:
        # each channel's running statistics: the average of the per-sample ones
        for buf, rep in ((running_mean, rm), (running_var, rv)):
            if buf is not None:
                # (ember's mean: PyTorch's summation order, so PyTorch's bits)
                buf._data[...] = rep.detach().reshape(n, c).mean(0)._data.astype(buf._data.dtype)
    return out.reshape(input.shape)


def _verify_spatial_size(x: Tensor) -> None:
    size = x.shape
    count = 1
    for s in size[2:]:
        count *= s
    if count == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{size}")


# -- layer_norm ---------------------------------------------------------------

def _shape_arg(normalized_shape, fn):
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
        raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    out = []
    for i, s in enumerate(normalized_shape):
        if isinstance(s, Tensor):
            s = s.item()
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of "
                            f"ints, but found element of type {type(s).__name__} at pos {i}")
        out.append(int(s))
    return tuple(out)


def layer_norm(input: Tensor, normalized_shape, weight=None, bias=None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims, then scale and shift.

    >>> F.layer_norm(ember.randn(2, 5), (5,)).shape
    torch.Size([2, 5])
    """
    if _amp.ON:  # (float32 under CUDA autocast, as PyTorch's)
        input, weight, bias = (_amp.cuda_fp32(t) for t in (input, weight, bias))
    ns = _shape_arg(normalized_shape, "layer_norm")
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    _check_mixed_first(input, (weight, bias))  # (as PyTorch: before the shapes)
    for nm, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {nm} to be of same shape as normalized_shape, but got "
                               f"{nm} of shape {_fmt(t.shape)} and normalized_shape = {_fmt(ns)}")
    k = len(ns)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != ns:
        if input.is_meta:  # (PyTorch's meta kernel's words)
            raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                               f"{list(ns)}, but got input of size {input.shape}")
        raise RuntimeError(f"Given normalized_shape={_fmt(ns)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in ns)}], but got input of size"
                           f"{_fmt(input.shape)}")
    _check_mixed(input, (weight, bias), "LayerNormKernelImpl")
    axes = tuple(range(input.ndim - k, input.ndim))
    if _ln_cpu.eligible(input._data, *(None if t is None else t._data for t in (weight, bias))) \
            and _ln_cpu.short64(input._data, ns):
        return _layer_norm_cpu(input, weight, bias, axes, ns, eps)
    rule = None
    if input._data.dtype.name in _LOW and type(input._data) is np.ndarray:
        bias_np = None if bias is None else bias._data.dtype
        rule = lambda ctx, g: _layer_norm_half_rule(ctx, g, bias_np)  # noqa: E731
    out, _ = _affine_norm(input, weight, bias, "NativeLayerNormBackward0", input.shape, axes, ns,
                          None, eps, rule, keep=(bias,))  # (the bias: kept, as PyTorch's)
    return out


def _layer_norm_half_rule(ctx, g, bias_np):
    """A float16/bfloat16 layer norm's backward on the CPU, with PyTorch's parameter gradients:
    its kernel accumulates each thread's rows of ``dy * xhat`` and ``dy`` into a buffer of the
    input's half type (each row's sum rounded to it), then adds the threads' buffers in float32.
    The general rule sums in float32 throughout, which differs visibly in bfloat16."""
    gx, gw, gb = _affine_norm_rule(ctx, g)
    x, w, mean, invstd = ctx.saved[:4]
    xd, gd = x._data, g._data
    if STATE.enabled or type(gd) is not np.ndarray or xd.size == 0:  # (empty: zeros, as is)
        return gx, gw, gb
    half = xd.dtype
    n = 1
    for s in ctx.saved[4][2]:
        n *= s
    xr = np.ascontiguousarray(xd).reshape(-1, n).astype(np.float32)
    dy = np.ascontiguousarray(gd.astype(half, copy=False)).reshape(-1, n).astype(np.float32)
    m = mean._data.reshape(-1).astype(np.float32)
    r = invstd._data.reshape(-1).astype(np.float32)
    if w is None or w._data.dtype == half:  # all half: the statistics are kept in it
        m, r = m.astype(half).astype(np.float32), r.astype(half).astype(np.float32)
    if gx is not None:
        # per row: dx = a*dy*gamma + b*x + c in float32 (a = rstd), rounded to the half type
        dyw = dy if w is None else dy * w._data.reshape(n).astype(np.float32)
        ds = (dyw.astype(np.float64) * xr).sum(1).astype(np.float32)
        db = dyw.sum(1, dtype=np.float64).astype(np.float32)
        scale = np.float32(1 / n)
        cb = (db * m - ds) * r * r * r * scale
        cc = -cb * m - db * r * scale
        gx = wrap((r[:, None] * dyw + cb[:, None] * xr + cc[:, None]).astype(half)
                  .reshape(x.shape), x._device)
    if gw is None and gb is None:
        return gx, gw, gb
    rows = xr.shape[0]
    threads = min(_threads(), rows) or 1
    chunk = -(-rows // threads)
    acc_w = np.zeros(n, np.float32)
    acc_b = np.zeros(n, np.float32)
    for start in range(0, rows, chunk):
        bw = np.zeros(n, half)
        bb = np.zeros(n, half)
        for i in range(start, min(rows, start + chunk)):
            shift = np.float32(-r[i] * m[i])
            bw = (bw.astype(np.float32) + dy[i] * (r[i] * xr[i] + shift)).astype(half)
            bb = (bb.astype(np.float32) + dy[i]).astype(half)
        acc_w += bw.astype(np.float32)
        acc_b += bb.astype(np.float32)
    if gw is not None:
        gw = wrap(acc_w.astype(w._data.dtype).reshape(w.shape), x._device)
    if gb is not None:
        gb = wrap(acc_b.astype(bias_np or np.float32).reshape(gb.shape), x._device)
    return gx, gw, gb


def _layer_norm_cpu(x, weight, bias, axes, ns, eps):
    """``layer_norm`` through PyTorch's CPU kernels, bit for bit."""
    n = int(np.prod(ns))
    rows = np.ascontiguousarray(x._data).reshape(-1, n)
    w = None if weight is None else weight._data.reshape(n)
    b = None if bias is None else bias._data.reshape(n)
    y, mean, rstd = _ln_cpu.forward(rows, w, b, eps)
    kshape = tuple(x.shape[:x.ndim - len(ns)]) + (1,) * len(ns)
    dev = x._device
    bshape = None if bias is None else tuple(bias.shape)
    return make(y.reshape(x.shape), (x, weight, bias), "NativeLayerNormBackward0",
                _layer_norm_cpu_rule, x, weight, wrap(mean.reshape(kshape), dev),
                wrap(rstd.reshape(kshape), dev), (x.shape, axes, ns, bshape, True, eps),
                (mean, rstd, n), bias)  # (the bias: kept, as PyTorch's)


@exact_values
def _layer_norm_cpu_rule(ctx, g):
    """PyTorch's CPU backward kernel; the general rule where the gradient's graph is built."""
    x, w, _, _, params, (mean, rstd, n) = ctx.saved[:6]
    gd = g._data
    if STATE.enabled or type(gd) is not np.ndarray or gd.dtype != x._data.dtype:
        return _affine_norm_rule(ctx, g)
    need_x, need_w, need_b = ctx.needs_input_grad
    gx, gw, gb = _ln_cpu.backward(np.ascontiguousarray(x._data).reshape(-1, n),
                                  np.ascontiguousarray(gd).reshape(-1, n), mean, rstd,
                                  None if w is None else w._data.reshape(n), need_x, need_w,
                                  need_b)
    dev = x._device
    return (None if gx is None else wrap(gx.reshape(x.shape), dev),
            wrap(gw.reshape(w.shape), dev) if need_w else None,
            wrap(gb.reshape(params[3]), dev) if need_b else None)


# -- group_norm ---------------------------------------------------------------

def group_norm(input: Tensor, num_groups: int, weight=None, bias=None,
               eps: float = 1e-5) -> Tensor:
    """Split the channels (dim 1) into ``num_groups`` groups and normalise each group per sample.

    >>> F.group_norm(ember.randn(2, 4, 3), 2).shape
    torch.Size([2, 4, 3])
    """
    if _amp.ON:  # (float32 under CUDA autocast, as PyTorch's)
        input, weight, bias = (_amp.cuda_fp32(t) for t in (input, weight, bias))
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    n, c = input.shape[0], input.shape[1]
    spatial = 1
    for s in input.shape[2:]:
        spatial *= s
    if (n * c // num_groups) * spatial == 1:  # (checked first, as PyTorch)
        sizes = [n * c // num_groups, num_groups] + list(input.shape[2:])
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{sizes}")
    from ..._argparse import _is_int

    if not _is_int(num_groups):  # (PyTorch's C++ parser, past the Python-side size check)
        from ..._ops._core import tp_name

        raise TypeError(f"group_norm(): argument 'num_groups' (position 2) must be int, not "
                        f"{tp_name(num_groups)}")
    if num_groups <= 0:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {_fmt(input.shape)} and "
                           f"num_groups={num_groups}")
    for nm, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {nm} to be a vector of size equal to the number of "
                               f"channels in input, but got {nm} of shape {_fmt(t.shape)} and "
                               f"input of shape {_fmt(input.shape)}")
    _check_mixed(input, (weight, bias), "GroupNormKernelImpl")
    inner = c // num_groups
    for s in input.shape[2:]:
        inner *= s
    view = (n, num_groups, inner)
    pshape = (c,) + (1,) * (input.ndim - 2)
    a = input._data
    if not a.size and n and c:  # (no positions: each group's statistics are 0/0)
        return _group_norm_empty(input, num_groups, weight, bias, eps, view, pshape)
    # (PyTorch picks its channels-last kernel by the suggested format: so does a contiguous
    # N x C x 1 x 1 or N x 1 x H x W tensor whose size-1 dims' strides read channels-last)
    cl = type(a) is np.ndarray and a.flags.c_contiguous and 1 in a.shape and \
        suggests_channels_last(a)
    if not cl and _gn_cpu.eligible(a, *(None if t is None else t._data
                                        for t in (weight, bias))):
        return _group_norm_cpu(input, num_groups, weight, bias, eps, view, pshape)
    if not cl and _gn_cpu.eligible64(a, *(None if t is None else t._data
                                          for t in (weight, bias))):
        return _group_norm_cpu(input, num_groups, weight, bias, eps, view, pshape, f64=True)
    rows = np.moveaxis(a, 1, -1).reshape(-1, a.shape[1]) if cl else _nhwc_rows(a)
    if rows is not None and _gn_cpu.eligible(
            rows, *(None if t is None else t._data for t in (weight, bias))):
        return _group_norm_cpu(input, num_groups, weight, bias, eps, view, pshape, rows)
    out, _ = _affine_norm(input, weight, bias, "NativeGroupNormBackward0", view, (2,), pshape,
                          None, eps)
    return out


# The NaN that PyTorch's CPU kernels give for 0/0: x86's default NaN (sign set), bfloat16's
# rounded from it with every bit set.
_NAN_BITS = {"float32": ("<u4", 0xFFC00000), "float64": ("<u8", 0xFFF8000000000000),
             "float16": ("<u2", 0xFE00), "bfloat16": ("<u2", 0xFFFF)}


def _default_nan(dtype, shape):
    code, v = _NAN_BITS.get(dtype.name, (None, None))
    if code is None:
        return np.full(shape, np.nan, dtype)
    return np.full(shape, v, code).view(dtype)


def _group_norm_empty(x, groups, weight, bias, eps, view, pshape):
    """``group_norm`` of an input with N and C but no positions: an empty result; the saved
    mean is 0 and rstd NaN.

    NOTE: PyTorch's CPU backward still runs its per-channel sums, and the weight's gradient
    (the sums' 0 minus 0 times the mean, times the NaN rstd) comes out NaN; the bias's is 0."""
    n, dt = x.shape[0], x._data.dtype
    mean = np.zeros((n, groups), dt)
    rstd = _default_nan(dt, (n, groups))
    y = np.empty(x.shape, dt)
    dev = x._device
    bshape = None if bias is None else tuple(bias.shape)

    def rule(ctx, g):
        need_x, need_w, need_b = ctx.needs_input_grad
        if need_b and weight is None:  # (as the non-empty CPU backward)
            raise RuntimeError("tensor does not have a device")
        return (wrap(np.zeros(x.shape, dt), dev) if need_x else None,
                wrap(_default_nan(weight._data.dtype, weight.shape), dev) if need_w else None,
                wrap(np.zeros(bshape, bias._data.dtype), dev) if need_b else None)
    return make(y, (x, weight, bias), "NativeGroupNormBackward0", rule, x, weight,
                wrap(mean.reshape(n, groups, 1), dev), wrap(rstd.reshape(n, groups, 1), dev),
                (view, (2,), pshape, bshape, True, eps), (groups, mean, rstd, False))


def _group_norm_cpu(x, groups, weight, bias, eps, view, pshape, rows=None, f64=False):
    """``group_norm`` through PyTorch's CPU kernels, bit for bit: its contiguous kernel, or
    (``rows``: the channels-last input's (N*H*W, C) rows) its channels-last kernel."""
    n, c = x.shape[0], x.shape[1]
    w = None if weight is None else weight._data
    b = None if bias is None else bias._data
    with quiet:  # (non-finite input: PyTorch does not warn)
        if rows is None:
            kernel = _gn_cpu.forward64 if f64 else _gn_cpu.forward
            y, mean, rstd = kernel(np.ascontiguousarray(x._data).reshape(n, c, -1), groups,
                                   w, b, eps)
            y = y.reshape(x.shape)
        else:
            y, mean, rstd = _gn_cpu.forward_nhwc(rows.reshape(n, -1, c), groups, w, b, eps)
            y = _from_nhwc_rows(y, x.shape)
    dev = x._device
    bshape = None if bias is None else tuple(bias.shape)
    return make(y, (x, weight, bias), "NativeGroupNormBackward0", _group_norm_cpu_rule, x,
                weight, wrap(mean.reshape(n, groups, 1), dev),
                wrap(rstd.reshape(n, groups, 1), dev), (view, (2,), pshape, bshape, True, eps),
                (groups, mean, rstd, rows is not None))


def _group_norm_cpu_rule(ctx, g):
    """PyTorch's CPU backward kernel (contiguous, or channels-last with the gradient laid
    out as the input first); the general rule where the gradient's graph is built."""
    x, w, _, _, params, (groups, mean, rstd, nhwc) = ctx.saved
    gd = g._data
    if STATE.enabled or type(gd) is not np.ndarray or gd.dtype != x._data.dtype or (
            nhwc and gd.dtype != np.float32):
        return _affine_norm_rule(ctx, g)
    need_x, need_w, need_b = ctx.needs_input_grad
    if need_b and w is None:
        # NOTE: PyTorch's CPU backward fails like this for a bias without a weight.
        raise RuntimeError("tensor does not have a device")
    n, c = x.shape[0], x.shape[1]
    wd = None if w is None else w._data
    with quiet:
        if nhwc:
            rows = np.moveaxis(x._data, 1, -1).reshape(n, -1, c)  # (C-contiguous too)
            grows = np.ascontiguousarray(np.moveaxis(gd, 1, -1)).reshape(rows.shape)
            gx, gw, gb = _gn_cpu.backward_nhwc(rows, grows, groups, mean, rstd, wd, need_x,
                                               need_w, need_b)
            gx = None if gx is None else _from_nhwc_rows(gx, x.shape)
        else:
            gx, gw, gb = _gn_cpu.backward(np.ascontiguousarray(x._data).reshape(n, c, -1),
                                          np.ascontiguousarray(gd).reshape(n, c, -1), groups,
                                          mean, rstd, wd, need_x, need_w, need_b)
            gx = None if gx is None else gx.reshape(x.shape)
    dev = x._device
    return (None if gx is None else wrap(gx, dev),
            wrap(gw.reshape(w.shape), dev) if need_w else None,
            wrap(gb.reshape(params[3]), dev) if need_b else None)


# -- rms_norm -----------------------------------------------------------------

def rms_norm(input: Tensor, normalized_shape, weight=None, eps=None) -> Tensor:
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing ``normalized_shape`` dims.

    ``eps=None`` means ``finfo(input.dtype).eps``.  Half-precision input is computed in
    float32 and rounded once at the end, as PyTorch does.

    >>> F.rms_norm(ember.ones(2, 3), (3,))
    tensor([[1., 1., 1.],
            [1., 1., 1.]])
    """
    ns = _shape_arg(normalized_shape, "rms_norm")
    if not ns:  # (PyTorch's checks: this, then the weight's shape, then the input's)
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    k = len(ns)
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {_fmt(weight.shape)} and normalized_shape = "
                           f"{_fmt(ns)}")
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={_fmt(ns)}, expected input with shape "
                           f"[*{', '.join(str(s) for s in ns)}], but got input of size"
                           f"{_fmt(input.shape)}")
    if weight is not None and weight.dtype is not input.dtype:
        # as PyTorch: TORCH_WARN_ONCE, before the dtype check
        _warn_once("rms_norm_mismatch", f"Mismatch dtype between input and weight: input dtype = "
                   f"{_CPP.get(input.dtype.name, input.dtype.name)}, weight dtype = "
                   f"{_CPP.get(weight.dtype.name, weight.dtype.name)}, Cannot dispatch to "
                   "fused implementation.", cpp="aten/src/ATen/native/layer_norm.cpp:346")
    if not input.dtype.is_complex:  # (complex: PyTorch's composite, ``x * x`` unconjugated)
        _check_float(input, "rms_norm")
    dims = tuple(range(input.ndim - k, input.ndim))
    low = input.dtype.name in _LOW
    x = input.float() if low else input
    if eps is None:  # NOTE: the epsilon of the dtype computed in (float32 for half input)
        eps = _EPS[x.dtype.name]
    y = x * P.add_scalar(x.pow(2).mean(dims, keepdim=True), eps).rsqrt()
    if weight is not None:
        y = y * (weight.float() if low and weight.dtype.name in _LOW else weight)
    # NOTE: the result takes the input's dtype, even where the weight's is wider.
    y = y.to(input.dtype) if y.dtype is not input.dtype else y
    if not suggests_channels_last(input._data):  # (PyTorch's: contiguous unless channels-last)
        y._data = c_dense(y._data)
    return y

