"""Pooling: max, average and adaptive pools in 1-D, 2-D and 3-D, and max unpooling.

The 2-D ops are primitives; the 1-D ones insert a height of 1 and call them, as
PyTorch does (so their graphs read ``SqueezeBackward1 <- MaxPool2DWithIndicesBackward0
<- UnsqueezeBackward0``).  Windows are strided views of the padded input, visited
one kernel position at a time: each pass is a vectorised op over the whole output.
"""
from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from ..._argparse import with_int_args
from ..._ops._core import (c_dense, channels_last_copy, exact_values, grads_shown_as,
                           is_channels_last, make, shown_as, suggests_channels_last, wrap,
                           xp_of)
from ..._tensor import Tensor
from ...autograd.grad_mode import STATE

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "max_pool3d", "max_pool3d_with_indices",
           "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
           "adaptive_max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _legacy(dt):
    from ..._ops._core import _legacy as f

    return f(dt)


def _ntuple(v, n, message):
    """``v`` (an int, or a list or tuple of one or ``n``) as ``n`` ints; any other length
    raises ``RuntimeError(message)``."""
    vals = list(v) if isinstance(v, (list, tuple)) else [v]
    if len(vals) == 1:
        vals = vals * n
    if len(vals) != n:
        raise RuntimeError(message)
    return tuple(int(a) for a in vals)


def _pair(v, name, fn="max_pool2d"):
    kind = {"stride": "either be omitted, a single int,",  # (PyTorch's words, each its own)
            "dilation": "be either a single int,"}.get(name, "either be a single int,")
    return _ntuple(v, 2, f"{fn}: {name} must {kind} or a tuple of two ints")


def _out_size(n, k, p, s, d, ceil_mode):
    """PyTorch's pooling output size, including the ceil-mode rule that the last window
    must start inside the input or its left padding."""
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _checked_out_sizes(sizes, k, p, s, d, ceil_mode):
    """Each dim's output size, with the checks PyTorch makes while computing it: a zero
    stride, a negative pad, a pad over half the (dilated) kernel (C's truncating division)."""
    out = []
    for n, kk, pp, st, dd in zip(sizes, k, p, s, d):
        if st == 0:
            raise RuntimeError("stride should not be zero")
        if pp < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pp}")
        if pp > int(((kk - 1) * dd + 1) / 2):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
        out.append(_out_size(n, kk, pp, st, dd, ceil_mode))
    return out


def _omitted(stride):
    """Whether ``stride`` was left out (None or empty): it then defaults to the kernel."""
    return stride is None or (isinstance(stride, (list, tuple)) and not stride)


def _padded(xp, a, p, out, k, s, d, fill):
    """``a`` (N, C, *spatial) padded by ``p`` in front and enough behind for every window."""
    sp = a.shape[2:]
    full = tuple(max(n + 2 * pp, (o - 1) * st + dd * (kk - 1) + 1)
                 for n, pp, o, st, dd, kk in zip(sp, p, out, s, d, k))
    if full == tuple(sp):
        return a
    buf = xp.full(a.shape[:2] + full, fill, dtype=a.dtype)
    buf[(slice(None), slice(None)) + tuple(slice(pp, pp + n) for pp, n in zip(p, sp))] = a
    return buf


def _window_views(xp, buf, k, s, d, out):
    """For each kernel position (in row-major order), the strided view of ``buf`` that holds
    that position of every window: shape ``(N, C, *out)``."""
    shape = buf.shape[:2] + tuple(out)
    strides = buf.strides[:2] + tuple(st * bs for st, bs in zip(s, buf.strides[2:]))
    for pos in itertools.product(*(range(kk) for kk in k)):
        start = buf[(slice(None), slice(None)) + tuple(slice(i * dd, None)
                                                       for i, dd in zip(pos, d))]
        yield pos, xp.lib.stride_tricks.as_strided(start, shape, strides)


def _volume_strides(sp):
    """Strides of the row-major flat index over the spatial dims ``sp``."""
    out, acc = [], 1
    for n in reversed(sp):
        out.append(acc)
        acc *= n
    return tuple(reversed(out))


def _grid(out, axis):
    """``np.arange(out[axis])`` shaped to broadcast along ``axis`` of the output grid."""
    shape = [1] * len(out)
    shape[axis] = out[axis]
    return np.arange(out[axis]).reshape(shape)


def _check_pool_input(input, name):
    if input.dim() not in (3, 4) or any(v == 0 for v in input.shape[-3:]):
        if name == "max_pool2d" and input.dim() in (3, 4):
            raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                               f"size for input, but got:{list(input.shape)}")
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")


def _pool_parsed(name, nsp, avg=False):
    """PyTorch's parser in front of pool ``name`` (its C++ op's signature)."""
    k = f"int[{nsp}]"
    spec = f"Tensor input, {k} kernel_size, {k} stride=[], {k} padding=0, " + (
        "bool ceil_mode=False, bool count_include_pad=True" +
        (", int? divisor_override=None" if nsp > 1 else "") if avg else
        f"{k} dilation=1, bool ceil_mode=False")
    return with_int_args(name, [spec])


def _pool_args(name, nsp):
    """Pool ``name``'s parser as a function that gives its arguments back read (ints from
    one-element tensors and NumPy integers)."""
    return _pool_parsed(name, nsp)(lambda *args, **kwargs: (args, kwargs))


# (F's max pools call their op with positional arguments: ``(position 3)`` in its errors)
_MAX_ARGS = {(nsp, indices): _pool_args(f"max_pool{nsp}d{'_with_indices' if indices else ''}",
                                        nsp) for nsp in (1, 2, 3) for indices in (False, True)}


def _max_args(nsp, indices, input, kernel_size, stride, padding, dilation, ceil_mode):
    if type(kernel_size) is int and (stride is None or type(stride) is int) and type(
            padding) is int and type(dilation) is int and type(ceil_mode) is bool and isinstance(
            input, Tensor):  # (the common call)
        return kernel_size, stride, padding, dilation, ceil_mode
    # (``return_indices`` picks the op by its truth, as PyTorch's boolean_dispatch)
    return _MAX_ARGS[nsp, bool(indices)](input, kernel_size, [] if stride is None else stride,
                                         padding, dilation, ceil_mode)[0][1:]


# -- max pooling ---------------------------------------------------------------------

# NOTE: the ``*_with_indices`` functions return the indices whatever ``return_indices`` says
# (its default is False, as in PyTorch's signatures)
def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """Max over windows, and where each max came from (flat ``h * W + w`` per plane)."""
    kernel_size, stride, padding, dilation, ceil_mode = _max_args(
        2, True, input, kernel_size, stride, padding, dilation, ceil_mode)
    k = _pair(kernel_size, "kernel_size")
    s = k if _omitted(stride) else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    if input.dim() not in (3, 4):
        _check_pool_input(input, "max_pool2d")
    for kk, pp, st, dd in zip(k, p, s, d, strict=True):  # (PyTorch's output size, H then W)
        if st == 0:  # (before the kernel: an omitted stride is the kernel)
            raise RuntimeError("stride should not be zero")
        if pp < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pp}")
        eff = (kk - 1) * dd + 1
        if pp > (eff // 2 if eff >= 0 else -(-eff // 2)):  # (C++'s division, toward zero)
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} "
                           f"kW: {k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    _check_pool_input(input, "max_pool2d")
    if input.dtype.name in ("bool", "uint16", "uint32", "uint64") or input.dtype.is_complex:
        raise NotImplementedError(f"\"max_pool2d\" not implemented for '{_legacy(input.dtype)}'")
    if p[1] > k[1] // 2 or p[0] > k[0] // 2:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    batched = input.dim() == 4
    c, h, w = input.shape[-3:]
    out = tuple(_out_size(n, kk, pp, st, dd, ceil_mode) for n, kk, pp, st, dd
                in zip((h, w), k, p, s, d, strict=True))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    vals, idx = _max_pool_arrays(xp_of(input), input._data if batched else input._data[None],
                                 k, s, p, d, out)
    if not batched:
        vals, idx = vals[0], idx[0]
    elif suggests_channels_last(input._data):  # (the indices laid out as the values, by make)
        idx = channels_last_copy(idx)
    ind = wrap(idx, input._device)
    res = make(vals, (input,), "MaxPool2DWithIndicesBackward0", _laid_as(_max_rule, input),
               idx, input.shape,
               input, ind)
    return res, ind


def _max_pool_arrays(xp, a, k, s, p, d, out):
    """Maxima and their flat spatial indices for the windows of ``a`` (N, C, *spatial).

    PyTorch's rules pick, per window, the first element equal to the maximum; a NaN
    beats everything (the last NaN wins); a window with nothing above -inf points at
    its first in-bounds element.
    """
    if a.dtype.kind == "f" or a.dtype.name == "bfloat16":
        fill = -np.inf
    else:
        fill = np.iinfo(a.dtype).min
    buf = _padded(xp, a, p, out, k, s, d, fill)
    views = [v for _, v in _window_views(xp, buf, k, s, d, out)]
    best = views[0].copy()
    for v in views[1:]:
        xp.maximum(best, v, out=best)
    # the first position equal to the maximum: from the last view back, the index relative
    # to view q is 0 where it holds the maximum, else one more than the next view's
    # (products with the "differs" masks: ~7x faster than a masked copy per view)
    arg = xp.zeros(best.shape, dtype=np.int8 if len(views) < 128 else np.int64)
    for q in range(len(views) - 2, -1, -1):
        arg += 1
        arg *= views[q] != best
    # On a GPU the fix-ups below run unconditionally (masked copies that change nothing where
    # the mask is empty) rather than asking the host whether they are needed.
    on_host = xp is np
    if a.dtype.kind == "f" or a.dtype.name == "bfloat16":
        nan = xp.isnan(best)
        if not on_host or nan.any():
            for q, v in enumerate(views):  # forwards: the last NaN wins
                xp.copyto(arg, q, where=nan & xp.isnan(v))
    nsp = len(k)
    if buf is not a:
        empty = best == fill
        if not on_host or empty.any():
            # nothing above -inf: the window's first element inside the input
            first = 0
            for j in range(nsp):
                start = np.maximum(0, _ceil_div(p[j] - _grid(out, j) * s[j], d[j]))
                first = first * k[j] + start
            xp.copyto(arg, xp.asarray(np.broadcast_to(first, out)).astype(arg.dtype),
                      where=empty)
    vs = _volume_strides(a.shape[2:])
    offsets = np.zeros(k, dtype=np.int64)
    origin = 0
    for j in range(nsp):
        offsets = offsets + (np.arange(k[j]) * d[j] * vs[j]).reshape(
            [k[j] if i == j else 1 for i in range(nsp)])
        origin = origin + (_grid(out, j) * s[j] - p[j]) * vs[j]
    idx = xp.take(xp.asarray(offsets.reshape(-1)), arg) + xp.asarray(origin)
    return best, idx


def _laid_as(rule, x, rank=4):
    """``rule`` with its gradient laid out as PyTorch's pooling backward kernels with a
    channels-last path lay it (the batched 2-d pools, ``rank`` 4, and ``max_pool3d``, 5; the
    other 3-d pools' are contiguous): as the input suggests, a size-1 channel's stride
    included."""
    a = x._data
    if type(a) is not np.ndarray or a.ndim != rank or rank == 5 and rule is not _max3d_rule \
            or not suggests_channels_last(a):
        return rule

    @functools.wraps(rule)
    def laid(ctx, g):
        out = rule(ctx, g)
        r = out[0]
        if r is not None and r._base is None and type(r._data) is np.ndarray and \
                r._data.shape == a.shape:
            r._data = channels_last_copy(r._data)
        return out
    return laid


def _ceil_div(a, b):
    return -((-a) // b)


@grads_shown_as("MaxPool2DWithIndicesBackwardBackward0", takes_input=True)
def _max_rule(ctx, g):
    idx, shape = ctx.saved[:2]  # (then the input and the indices, as PyTorch's: checked)
    return (_scatter_plane(g, idx, shape),)


@grads_shown_as("AdaptiveMaxPool2DBackwardBackward0", takes_input=True)
def _adaptive_max_rule(ctx, g):
    _check_adaptive_grad(g, "adaptive_max_pool2d")
    idx, shape = ctx.saved[:2]  # (then the input and the indices, as PyTorch's: checked)
    return (_scatter_plane(g, idx, shape),)


def _scatter_plane(g, idx, shape):
    """Gradient of picking ``x.flatten(-2)[..., idx]``: add each ``g`` at its index."""
    if STATE.enabled:  # create_graph: a differentiable scatter_add
        from ..._ops import creation

        it = wrap(idx, g._device)
        flat = creation.zeros(tuple(shape[:-2]) + (shape[-2] * shape[-1],), dtype=g.dtype,
                              device=g.device)
        return flat.scatter_add(-1, it.flatten(-2), g.flatten(-2)).reshape(shape)
    xp = xp_of(g)
    plane = shape[-2] * shape[-1]
    lead = math.prod(shape[:-2])
    per = g._data.shape[-2] * g._data.shape[-1]  # (explicit: an empty batch has lead 0)
    ga = g._data.reshape(lead, per)
    flat = idx.reshape(lead, per) + (xp.arange(lead, dtype=np.int64) * plane)[:, None]
    return wrap(_scatter_in_order(xp, ga, flat, lead * plane).reshape(shape), g._device)


def _scatter_in_order(xp, vals, flat, size):
    """``out[flat[i]] += vals[i]`` for i in raster order, from zero, in ``vals``' own type.

    PyTorch's CPU max pool backward kernels (plain, adaptive, 3-D) walk each plane's output
    gradient in raster order and add every value into its input element in the gradient's
    type, so an input element that is the maximum of several overlapping windows gets
    ``((g0 + g1) + g2) + ...``, each sum rounded.  ``np.add.at`` adds unbuffered, in index
    order, which is that order.  Other types (half precision) and other array modules keep
    a double accumulation rounded once.
    """
    if xp is np and vals.dtype in (np.float32, np.float64):
        out = np.zeros(size, dtype=vals.dtype)
        np.add.at(out, flat.ravel(), vals.ravel())
        return out
    out = xp.bincount(flat.ravel(), weights=vals.ravel().astype(np.float64), minlength=size)
    return out.astype(vals.dtype)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over ``(N, C, H, W)`` or ``(C, H, W)``; ``stride`` defaults to the kernel.

    With ``return_indices=True`` also returns each maximum's flat index ``h * W + w``
    (what ``max_unpool2d`` takes).
    """
    kernel_size, stride, padding, dilation, ceil_mode = _max_args(
        2, return_indices, input, kernel_size, stride, padding, dilation, ceil_mode)
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def _single(v, name, fn, check1d=True):
    """The one int of a 1-d pool's argument; refused in the words of PyTorch's ``check1d``,
    or (``check1d=False``) of its ``max_pool1d``'s own check (commas as PyTorch's)."""
    vals = list(v) if isinstance(v, (list, tuple)) else [v]
    if len(vals) != 1:
        if check1d:
            raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got "
                               f"{len(vals)})")
        kinds = {"stride": "None, an int, list of ints, or tuple of ints",
                 "padding": "an int, list of ints, or tuple of ints"}
        raise RuntimeError(f"{fn}() {name} must be "
                           f"{kinds.get(name, 'an int, list of ints or tuple of ints')} of size "
                           f"1 but got size {len(vals)}")
    return int(vals[0])


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    kernel_size, stride, padding, dilation, ceil_mode = _max_args(
        1, True, input, kernel_size, stride, padding, dilation, ceil_mode)
    if input.dim() not in (2, 3):  # (before the sizes, as PyTorch's)
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "max_pool1d)")
    k = _single(kernel_size, "kernel_size", "max_pool1d")
    s = k if _omitted(stride) else _single(stride, "stride", "max_pool1d")
    p = _single(padding, "padding", "max_pool1d")
    d = _single(dilation, "dilation", "max_pool1d")
    if any(v == 0 for v in input.shape[-2:]):  # (reported by the 2-d kernel it goes through)
        as_2d = list(input.shape[:-1]) + [1, input.shape[-1]]
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{as_2d}")
    # (the 2-d op's checks, in its words)
    out, idx = max_pool2d_with_indices(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d),
                                       ceil_mode)
    return out.squeeze(-2), idx.squeeze(-2)


def _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode):
    k = _single(kernel_size, "kernel_size", "max_pool1d", check1d=False)
    s = k if _omitted(stride) else _single(stride, "stride", "max_pool1d", check1d=False)
    p = _single(padding, "padding", "max_pool1d", check1d=False)
    d = _single(dilation, "dilation", "max_pool1d", check1d=False)
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but "
                           f"got padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    o = _out_size(input.shape[-1], k, p, s, d, ceil_mode)
    if o <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {o}")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)``."""
    kernel_size, stride, padding, dilation, ceil_mode = _max_args(
        1, return_indices, input, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices and (input.dim() not in (2, 3) or not all(input.shape[-2:])):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}")
    if not return_indices:  # (PyTorch's check_max_pool1d, in its own words)
        _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices and not input.is_floating_point() and input.device.type == "cpu" \
            and not (input.requires_grad and STATE.enabled):
        # NOTE: without indices (nor a gradient) PyTorch takes a floating-point-only CPU kernel
        raise NotImplementedError(f'"max_pool1d_impl" not implemented for '
                                  f"'{_legacy(input.dtype)}'")
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices and not (input.requires_grad and STATE.enabled):
        out._data = c_dense(out._data)  # (PyTorch's max_pool1d_impl: a contiguous result)
    return (out, idx) if return_indices else out


# -- average pooling -----------------------------------------------------------------

def _avg_divisors(n, k, p, s, out, count_include_pad):
    """Per output position along one dim: how many elements its window averages."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    size = end - start
    if count_include_pad:
        return size
    return np.minimum(end, n) - np.maximum(start, 0)


@_pool_parsed("avg_pool2d", 2, avg=True)
def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None) -> Tensor:
    """2-D average pooling; ``stride`` defaults to the kernel.

    The divisor is ``divisor_override`` if given; else the window size, clipped to the
    padded input (``count_include_pad=True``) or to the input itself (``False``).
    """
    k = _pair(kernel_size, "kernel_size", "avg_pool2d")
    s = k if _omitted(stride) else _pair(stride, "stride", "avg_pool2d")
    p = _pair(padding, "padding", "avg_pool2d")
    if input.dim() < 3:
        # NOTE: PyTorch's avg_pool2d reports a low rank as an IndexError from its dim lookup.
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.dim()}, {input.dim() - 1}], but got -3)")
    if input.dim() > 4 or any(v == 0 for v in input.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(input.shape)}")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    c, h, w = input.shape[-3:]
    out = tuple(_checked_out_sizes((h, w), k, p, s, (1, 1), ceil_mode))
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} "
                           f"kW: {k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    if input.dtype.name not in ("float32", "float64", "float16", "bfloat16", "int64"):
        raise NotImplementedError(f'"avg_pool2d" not implemented for '
                                  f"'{_legacy(input.dtype)}'")
    if divisor_override is not None:
        div = np.full(out, divisor_override, dtype=np.int64)
    else:
        div = (_avg_divisors(h, k[0], p[0], s[0], out[0], count_include_pad)[:, None] *
               _avg_divisors(w, k[1], p[1], s[1], out[1], count_include_pad)[None, :])
    geo = (k, s, p, out, (h, w), div)
    return _avg_pool(input, geo)


def _avg_pool(x, geo):
    k, s, p, out, sp, div = geo
    xp = xp_of(x)
    a = x._data
    nsp = len(k)
    unbatched = a.ndim == nsp + 1
    if unbatched:
        a = a[None]
    integer = a.dtype.kind in "iub"
    low = a.dtype.name in ("float16", "bfloat16")  # summed in float32, as PyTorch does
    acc = a.astype(np.int64) if integer else a.astype(np.float32) if low else a
    buf = _padded(xp, acc, p, out, k, s, (1,) * nsp, 0)
    total = None
    for _, view in _window_views(xp, buf, k, s, (1,) * nsp, out):
        total = view.copy() if total is None else total.__iadd__(view)
    if integer:  # the quotient rounded towards zero, as C++ integer division
        q = xp.abs(total) // xp.asarray(div)
        res = xp.where(total < 0, -q, q).astype(a.dtype)
    else:
        res = (total / xp.asarray(div).astype(acc.dtype)).astype(a.dtype, copy=False)
    if unbatched:
        res = res[0]
    # (create_graph: PyTorch's double-backward node also takes the pool's input)
    return make(res, (x,), f"AvgPool{nsp}DBackward0", _laid_as(lambda ctx, g: (shown_as(
        _avg_pool_adjoint(g, geo), f"AvgPool{nsp}DBackwardBackward0", of=_checked(ctx)),), x,
        2 + nsp), x)


def _checked(ctx):
    """``ctx``, once what it saved (the pool's input, kept as PyTorch keeps it) is checked
    against in-place changes."""
    _ = ctx.saved
    return ctx


def _avg_pool_adjoint(g, geo):
    k, s, p, out, sp, div = geo
    xp = xp_of(g)
    nsp = len(k)
    ga = g._data / xp.asarray(div).astype(g._data.dtype)
    unbatched = ga.ndim == nsp + 1
    if unbatched:
        ga = ga[None]
    zeros = xp.zeros(ga.shape[:2] + tuple(sp), dtype=ga.dtype)
    buf = _padded(xp, zeros, p, out, k, s, (1,) * nsp, 0)
    # (kernel positions last to first: each input then adds what its windows hand it in
    # row-major order of the outputs, as PyTorch's loop over the outputs does)
    for _, view in reversed(list(_window_views(xp, buf, k, s, (1,) * nsp, out))):
        view += ga
    inner = (slice(None), slice(None)) + tuple(slice(pp, pp + n) for pp, n in zip(p, sp))
    res = xp.ascontiguousarray(buf[inner])
    if unbatched:
        res = res[0]
    return make(res, (g,), f"AvgPool{nsp}DBackwardBackward0",
                lambda ctx, gg: (_avg_pool(gg, geo),))


@_pool_parsed("avg_pool1d", 1, avg=True)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True) -> Tensor:
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)``."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "avg_pool1d)")
    k = _single(kernel_size, "kernel_size", "avg_pool1d")
    s = k if _omitted(stride) else _single(stride, "stride", "avg_pool1d")
    p = _single(padding, "padding", "avg_pool1d")
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)


# -- adaptive pooling ----------------------------------------------------------------

def _bounds(n_in, n_out):
    """Adaptive windows: output ``i`` covers ``[floor(i*n/o), ceil((i+1)*n/o))``."""
    i = np.arange(n_out)
    return (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)


def _adaptive_size(input, output_size, nsp, name):
    if isinstance(output_size, (Tensor, np.ndarray)) and output_size.ndim == 1:
        # (PyTorch's parser takes a 1-d one of integers as its ints)
        if isinstance(output_size, Tensor) and output_size.dtype._kind >= 2:
            raise TypeError(f"{name}(): argument 'output_size' (position 2) must be tuple of "
                            "ints, but found element of type Tensor at pos 0")
        output_size = output_size.tolist()
    vals = list(output_size) if isinstance(output_size, (list, tuple)) else [output_size] * nsp
    if len(vals) != nsp:
        if nsp == 1:
            raise RuntimeError(f"{name}() argument 'output_size' should contain one int (got "
                               f"{len(vals)})")
        if "max" in name:
            raise RuntimeError(f"{name}(): internal error: output_size.size() must be {nsp}")
        raise RuntimeError(f"{name}: output_size must be {nsp}")
    sp = input.shape[-nsp:]
    out = tuple(int(sp[i]) if v is None else int(v) for i, v in enumerate(vals))
    return out


def _list_with_default(output_size, input, name=None):
    """nn.functional's check of a 2-d or 3-d adaptive pool's ``output_size`` sequence: no
    longer than the input has dims (it takes its length: Python's error for a number); then,
    given the op's ``name``, its parser's of the items (``None`` filled from the input)."""
    if isinstance(output_size, int):
        return
    if isinstance(output_size, Tensor) and output_size.dim() == 0:
        raise TypeError("len() of a 0-d tensor")
    if not hasattr(output_size, "__len__"):
        raise TypeError(f"object of type '{type(output_size).__name__}' has no len()")
    seqlike = isinstance(output_size, (list, tuple, str))  # (a str: a list of its letters)
    if seqlike and len(output_size) >= input.dim():
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    if name is not None and seqlike and output_size:
        from ..._ops.creation import _check_size_items

        seq = [d if v is None else v
               for v, d in zip(output_size, input.shape[-len(output_size):])]
        _check_size_items(name, (seq,), 2, "output_size")


def _check_size_arg(output_size, name):
    """The argument parser of a 1-d adaptive pool: a sequence of ints."""
    if isinstance(output_size, (list, tuple)):
        from ..._ops.creation import _check_size_items

        _check_size_items(name, (output_size,), 2, "output_size")


def _check_adaptive_input(input, name, nsp, first=None):
    """PyTorch's rank and empty-dim checks; ``first``: the first dim that may not be empty
    (by default the first spatial one)."""
    if input.dim() not in (nsp + 1, nsp + 2):
        if nsp == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                               f"tensor for argument #1 'self' (while checking arguments for "
                               f"{name})")
        ranks = f"{nsp + 1}D or {nsp + 2}D"
        raise RuntimeError(f"{name}(): Expected {ranks} tensor, but got: "
                           f"{list(input.shape)}" if "max" in name else
                           f"{name}(): Expected {ranks} tensor, but got {list(input.shape)}")
    for i in range(input.dim() - nsp if first is None else first, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")


def _check_adaptive_grad(g, name):
    """PyTorch's adaptive pooling backward kernels refuse an empty gradient (an empty output:
    a zero output size, or an empty channel dim)."""
    shape = list(g.shape)
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"{name}_backward(): Expected grad_output to have non-zero size "
                               f"for non-batch dimensions, but grad_output has sizes {shape} "
                               f"with dimension {i} being empty")


def _avg_matrix(n_in, n_out, dtype):
    lo, hi = _bounds(n_in, n_out)
    m = np.zeros((n_out, n_in), dtype=dtype)
    for o in range(n_out):
        m[o, lo[o]:hi[o]] = 1.0 / (hi[o] - lo[o])
    return m


def _window_lists(n_in, n_out):
    """Per output index along one dim: its window's input indices (padded with ``n_in``, a
    slot that holds zero) and sizes; per input index: the outputs whose windows cover it,
    in increasing order (padded with ``n_out``)."""
    lo, hi = _bounds(n_in, n_out)
    k = hi - lo
    win = lo[:, None] + np.arange(k.max())
    win = np.where(win < hi[:, None], win, n_in)
    cover = [np.flatnonzero((lo <= i) & (i < hi)) for i in range(n_in)]
    width = max(len(c) for c in cover)
    covers = np.full((n_in, width), n_out)
    for i, c in enumerate(cover):
        covers[i, :len(c)] = c
    return win, k, covers


def _gather_fold(a, lists, nsp, each=None):
    """``a`` (..., *spatial) with a zero slot appended to each spatial dim: for every index
    of the result, the values ``lists[d]`` picks along each dim, folded left to right in
    row-major order of the picks (the first dim's pick outermost) from zero; ``each``: a
    half dtype every partial sum is rounded to."""
    sp = a.shape[a.ndim - nsp:]
    flat = a.reshape(a.shape[:a.ndim - nsp] + (-1,))
    steps = [int(np.prod(sp[d + 1:])) for d in range(nsp)]
    out_shape = tuple(idx.shape[0] for idx in lists)
    acc = None
    for pick in itertools.product(*[range(idx.shape[1]) for idx in lists]):
        where = np.zeros(out_shape, np.intp)
        for d, (idx, j) in enumerate(zip(lists, pick)):
            shape = [1] * nsp
            shape[d] = -1
            where = where + idx[:, j].reshape(shape) * steps[d]
        term = np.take(flat, where.reshape(-1), axis=-1)
        acc = term + a.dtype.type(0) if acc is None else np.add(acc, term, out=acc)
        if each is not None:
            acc = acc.astype(each).astype(a.dtype)
    return acc.reshape(a.shape[:a.ndim - nsp] + out_shape)


def _pad_zero(a, nsp):
    return np.pad(a, [(0, 0)] * (a.ndim - nsp) + [(0, 1)] * nsp)


def _adaptive_avg_exact(x, out, nsp):
    """PyTorch's CPU adaptive average pool, its rounding too: each window summed in row-major
    order (float32 for half types), then divided by its size along each dim in turn; the
    gradient hands each output's ``g / kd / kh / kw`` to its window, each input adding what it
    receives in row-major order of the outputs."""
    a = x._data
    dt = a.dtype
    acc = np.float32 if dt.itemsize == 2 else dt
    lists = [_window_lists(n, o) for n, o in zip(x.shape[-nsp:], out, strict=True)]
    src = _pad_zero(a.astype(acc, copy=False), nsp)
    s = _gather_fold(src, [w for w, _, _ in lists], nsp)
    sizes = [k for _, k, _ in lists]
    lanes = 32 // dt.itemsize
    vec = a.shape[1] - a.shape[1] % lanes if a.ndim == 4 and nsp == 2 and \
        dt.itemsize >= 4 and not a.flags.c_contiguous and is_channels_last(a) else 0
    if vec:
        # NOTE: PyTorch's 2-d channels-last kernel divides the channels its vectors hold
        # (all but the last C % 8, for float32) by the window's size at once, the rest by
        # each dim's size in turn (its 3-d kernel divides every channel in turn)
        whole = sizes[0].astype(np.int64)
        for k in sizes[1:]:
            whole = whole[..., None] * k
        head = s[:, :vec] / whole.astype(acc)
        s = _divide(s, sizes, nsp)
        s[:, :vec] = head
    else:
        s = _divide(s, sizes, nsp)
    name = f"AdaptiveAvgPool{nsp}DBackward0"

    @exact_values
    def rule(ctx, g):
        _checked(ctx)
        # (half types: PyTorch's backward rounds every step to the tensor's dtype)
        each = g._data.dtype if g._data.dtype.itemsize == 2 else None
        gd = g._data.astype(acc, copy=False)
        delta = _pad_zero(_divide(gd, [k for _, k, _ in lists], nsp, each), nsp)
        res = _gather_fold(delta, [c for _, _, c in lists], nsp, each).astype(g._data.dtype)
        if STATE.enabled:  # create_graph: the adjoint again, recorded
            xp = xp_of(g)
            mats = [xp.asarray(_avg_matrix(n, o, acc))
                    for n, o in zip(x.shape[-nsp:], out, strict=True)]
            return (shown_as(_adaptive_avg_adjoint(g, mats, nsp),
                             f"AdaptiveAvgPool{nsp}DBackwardBackward0", of=ctx),)
        return (wrap(res, g._device),)
    return make(s.astype(dt, copy=False), (x,), name, _laid_as(rule, x, 2 + nsp), x)


def _divide(s, sizes, nsp, each=None):
    """``s`` (..., *out) divided by each output's window size along each dim, in turn (each
    quotient rounded to the half dtype ``each``)."""
    for d, k in enumerate(sizes):
        shape = [1] * nsp
        shape[d] = k.size
        s = s / k.astype(s.dtype).reshape(shape)
        if each is not None:
            s = s.astype(each).astype(np.float32)
    return s


def _adaptive_avg(x, out, nsp):
    """Average over adaptive windows of the last ``nsp`` dims (a primitive)."""
    xp = xp_of(x)
    a = x._data
    if type(a) is np.ndarray and a.size and all(out):
        return _adaptive_avg_exact(x, out, nsp)
    mats = [xp.asarray(_avg_matrix(n, o, np.float32 if a.dtype.itemsize == 2 else a.dtype))
            for n, o in zip(x.shape[-nsp:], out, strict=True)]
    res = _apply_mats(xp, a, mats, nsp)
    name = f"AdaptiveAvgPool{nsp}DBackward0"

    def rule(ctx, g):
        _check_adaptive_grad(g, f"adaptive_avg_pool{nsp}d")
        return (shown_as(_adaptive_avg_adjoint(g, mats, nsp),
                         f"AdaptiveAvgPool{nsp}DBackwardBackward0", of=_checked(ctx)),)
    return make(res, (x,), name, _laid_as(rule, x, 2 + nsp), x)


def _apply_mats(xp, a, mats, nsp, transpose=False):
    """Contract each of the last ``nsp`` dims of ``a`` with its matrix (last dim first);
    half types are computed in float32 and rounded once, as PyTorch does."""
    dtype = a.dtype
    if dtype.itemsize == 2:
        a = a.astype(np.float32)
        mats = [m.astype(np.float32) for m in mats]
    for i in reversed(range(nsp)):
        m = mats[i].T if transpose else mats[i]
        axis = a.ndim - nsp + i
        a = xp.moveaxis(xp.matmul(xp.moveaxis(a, axis, -1), m.T), -1, axis)
    return xp.ascontiguousarray(a).astype(dtype, copy=False)


def _adaptive_avg_adjoint(g, mats, nsp):
    xp = xp_of(g)
    res = _apply_mats(xp, g._data, [m.astype(g._data.dtype, copy=False) for m in mats], nsp,
                      transpose=True)
    name = f"AdaptiveAvgPool{nsp}DBackwardBackward0"

    def rule(ctx, gg):
        return (make(_apply_mats(xp_of(gg), gg._data, mats, nsp), (gg,), name,
                     lambda c, h: (_adaptive_avg_adjoint(h, mats, nsp),)),)
    return make(res, (g,), name, rule)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size (``None`` keeps that input dim)."""
    _list_with_default(output_size, input, "adaptive_avg_pool2d")
    # (PyTorch's kernel checks the output size before the input's rank)
    out = _adaptive_size(input, output_size, 2, "adaptive_avg_pool2d")
    if any(o < 0 for o in out):
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{out[0]}, {out[1]}}}")
    if out == (1, 1):
        # NOTE: PyTorch computes a global average pool as a mean (MeanBackward1), complex
        # values included (and mean's refusal of integers); a channels-last input's result
        # restrided N x C x 1 x 1 channels-last (its in-place as_strided_)
        res = input.mean((-1, -2), keepdim=True)
        if input.ndim == 4 and suggests_channels_last(input._data):
            res._data = channels_last_copy(res._data)
        return res
    # NOTE: the global pool above takes any rank (a mean's own IndexError under 2 dims) and
    # empty dims (NaN): PyTorch checks the input only past it
    _check_adaptive_input(input, "adaptive_avg_pool2d", 2)
    if not input.numel() and not input.dtype.is_floating_point:  # (no kernel runs)
        return input.new_empty(tuple(input.shape[:-2]) + tuple(out))
    _float_only(input, "adaptive_avg_pool2d")
    return _adaptive_avg(input, out, 2)


def _float_only(input, name):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for \'{_legacy(input.dtype)}\'')


@with_int_args("adaptive_avg_pool1d", ["Tensor input, int[1] output_size"])
def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    # (empty dims: refused by the 2-d pool it runs, as PyTorch's)
    _check_size_arg(output_size, "adaptive_avg_pool1d")
    _check_adaptive_input(input, "adaptive_avg_pool1d", 1, first=input.dim())
    (o,) = _adaptive_size(input, output_size, 1, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


def _adaptive_max_arrays(xp, a, out):
    """Maxima over the adaptive windows of ``a`` (N, C, *spatial) for output size ``out``,
    and their flat spatial indices: the first maximum of each window, or its last NaN."""
    sp = a.shape[2:]
    bounds = [_bounds(n, o) for n, o in zip(sp, out)]
    kmax = [int((hi - lo).max()) if o else 0 for (lo, hi), o in zip(bounds, out)]
    best = xp.full(a.shape[:2] + out, -np.inf, dtype=a.dtype)
    where = [xp.zeros(best.shape, np.int64) + xp.asarray(lo.reshape(
        [o if i == j else 1 for i, o in enumerate(out)])) for j, (lo, _) in enumerate(bounds)]
    for pos in itertools.product(*(range(kk) for kk in kmax)):
        # position ``pos`` of every window (windows shorter than kmax repeat their last one)
        picks = [np.minimum(lo + i, hi - 1) for i, (lo, hi) in zip(pos, bounds)]
        view = a
        for j, ix in enumerate(picks):
            view = xp.take(view, xp.asarray(ix), axis=2 + j)
        upd = (view > best) | xp.isnan(view)
        xp.copyto(best, view, where=upd)
        for j, ix in enumerate(picks):
            xp.copyto(where[j], xp.asarray(ix.reshape([o if i == j else 1
                                                       for i, o in enumerate(out)])),
                      where=upd)
    vs = _volume_strides(sp)
    return best, sum(w * v for w, v in zip(where, vs))


def _adaptive_max_with_indices(input, output_size, nsp, kernel, rule):
    """Adaptive max pooling over the last ``nsp`` dims, and the flat indices of the maxima
    (``kernel``: the name PyTorch's dtype error gives; ``rule``: the backward)."""
    name = f"adaptive_max_pool{nsp}d"
    _list_with_default(output_size, input, name)
    _check_adaptive_input(input, name, nsp, first=1)  # (every dim but the first: channels too)
    out = _adaptive_size(input, output_size, nsp, name)
    if any(o < 0 for o in out):
        shape = list(input.shape[:-nsp]) + list(out)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{shape}")
    _float_only(input, kernel)
    batched = input.dim() == nsp + 2
    a = input._data if batched else input._data[None]
    best, idx = _adaptive_max_arrays(xp_of(input), a, out)
    if not batched:
        best, idx = best[0], idx[0]
    ind = wrap(idx, input._device)
    res = make(best, (input,), f"AdaptiveMaxPool{nsp}DBackward0",
               _laid_as(rule, input, 2 + nsp), idx, input.shape, input, ind)
    return res, ind


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices=False):
    return _adaptive_max_with_indices(input, output_size, 2, "adaptive_max_pool2d",
                                      _adaptive_max_rule)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices=False):
    """Max pooling to a fixed output size; with ``return_indices`` also the argmax indices."""
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


_ADAPTIVE_MAX1D_ARGS = with_int_args("adaptive_max_pool1d", ["Tensor input, int[1] output_size"])(
    lambda *args: args)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    output_size = _ADAPTIVE_MAX1D_ARGS(input, output_size)[1]
    _check_size_arg(output_size, "adaptive_max_pool1d")
    _check_adaptive_input(input, "adaptive_max_pool1d", 1, first=1)
    (o,) = _adaptive_size(input, output_size, 1, "adaptive_max_pool1d")
    out, idx = adaptive_max_pool2d_with_indices(input.unsqueeze(-2), (1, o))
    return out.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out



# -- 3-D pooling ---------------------------------------------------------------------
# The 3-D ops are primitives of their own, over (N, C, D, H, W) or (C, D, H, W), built on
# the same N-d window helpers as the 2-D ones; flat indices count over the whole (D, H, W)
# volume.

def _scatter_volume(g, idx, shape, nsp, name):
    """Gradient of picking ``x.flatten(-nsp)[..., idx]``: each ``g`` added at its index
    (node ``name``, whose own gradient picks again, for double backward)."""
    xp = xp_of(g)
    plane = math.prod(shape[-nsp:])
    rows = math.prod(shape[:-nsp])
    width = math.prod(g.shape[-nsp:])  # (not ``-1``: an empty batch cannot infer it)
    ga = g._data.reshape(rows, width)
    flat = idx.reshape(rows, width) + (xp.arange(rows, dtype=np.int64) * plane)[:, None]
    out = _scatter_in_order(xp, ga, flat, rows * plane)

    def rule(ctx, gg):
        picked = gg.reshape(rows, plane).gather(1, wrap(idx.reshape(rows, width), gg._device))
        return (picked.reshape(g.shape),)
    return make(out.reshape(shape), (g,), name, rule)


def _max3d_rule(ctx, g):
    idx, shape = ctx.saved[:2]  # (then the input and the indices, as PyTorch's: checked)
    name = "MaxPool3DWithIndicesBackwardBackward0"
    return (shown_as(_scatter_volume(g, idx, shape, 3, name), name, of=ctx),)


def _adaptive_max3d_rule(ctx, g):
    _check_adaptive_grad(g, "adaptive_max_pool3d")
    idx, shape = ctx.saved[:2]  # (then the input and the indices, as PyTorch's: checked)
    name = "AdaptiveMaxPool3DBackwardBackward0"
    return (shown_as(_scatter_volume(g, idx, shape, 3, name), name, of=ctx),)


def _pool3d_check(input, k, s, p, d, ceil_mode, fn, check_input_size):
    """PyTorch's output size and shape checks for the 3-D pools, in its order."""
    sp = input.shape[-3:]
    out = _checked_out_sizes(sp, k, p, s, d, ceil_mode)
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} "
                           f"kH: {k[1]} kW: {k[2]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dT: {s[0]} dH: {s[1]} "
                           f"dW: {s[2]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} "
                           f"dilationH: {d[1]} dilationW: {d[2]}")
    if any(v == 0 for v in input.shape[-4:]):
        # NOTE: PyTorch names the empty dim as "non-batch dimension 0" whichever it is.
        raise RuntimeError(f"{fn}: Expected input's non-batch dimensions to have positive "
                           f"length, but input has a shape of {list(input.shape)} and "
                           "non-batch dimension 0 has length zero!")
    if not (k[0] // 2 >= p[0] and k[2] // 2 >= p[2] and k[1] // 2 >= p[1]):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} "
                           f"padH: {p[1]}")
    if check_input_size and not all(n >= kk for n, kk in zip(sp, k)):
        raise RuntimeError(f"input image (T: {sp[0]} H: {sp[1]} W: {sp[2]}) smaller than kernel "
                           f"size (kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    if any(o < 1 for o in out):
        c = input.shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{sp[0]}x{sp[1]}x{sp[2]}). Calculated output "
                           f"size: ({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")
    return tuple(out)


def _check_rank_3d(input):
    if input.dim() not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """3-D max pooling, and where each max came from (flat ``(d * H + h) * W + w``)."""
    kernel_size, stride, padding, dilation, ceil_mode = _max_args(
        3, True, input, kernel_size, stride, padding, dilation, ceil_mode)
    k = _ntuple(kernel_size, 3, "max_pool3d: kernel_size must either be a single int, or a "
                "tuple of three ints")
    s = k if _omitted(stride) else _ntuple(
        stride, 3, "max_pool3d: stride must either be omitted, a single int, or a tuple of "
        "three ints")
    p = _ntuple(padding, 3, "max_pool3d: padding must either be a single int, or a tuple of "
                "three ints")
    d = _ntuple(dilation, 3, "max_pool3d: dilation must be either a single int, or a tuple of "
                "three ints")
    batched = input.dim() == 5
    cl3d = not batched and _unbatched_cl3d(input._data)
    if input.dim() == 4 and not cl3d and suggests_channels_last(input._data):
        # NOTE: PyTorch reads a (C, D, H, W) input's layout as a 4-d tensor's, before its
        # other checks: one that suggests (2-d) channels-last is refused, unless it is the
        # channels-last-3d layout of a batch of one
        raise RuntimeError("Unsupported memory format. Supports only ChannelsLast3d, "
                           "Contiguous")
    _check_rank_3d(input)
    out = _pool3d_check(input, k, s, p, d, ceil_mode,
                        "max_pool3d_with_indices_out_cpu_template()", False)
    if input.dtype.name == "bool":
        raise NotImplementedError("\"max_pool3d\" not implemented for 'Bool'")
    a = input._data if batched else input._data[None]
    vals, idx = _max_pool_arrays(xp_of(input), a, k, s, p, d, out)
    if cl3d:  # (computed as a batch of one, channels-last-3d, and squeezed)
        vals, idx = channels_last_copy(vals)[0], channels_last_copy(idx)[0]
    elif not batched:
        vals, idx = vals[0], idx[0]
    elif suggests_channels_last(input._data):  # (the indices laid out as the values, by make)
        idx = channels_last_copy(idx)
    ind = wrap(idx, input._device)
    res = make(vals, (input,), "MaxPool3DWithIndicesBackward0", _laid_as(_max3d_rule, input, 5),
               idx, input.shape,
               input, ind)
    return res, ind


def _unbatched_cl3d(a):
    """Whether a (C, D, H, W) array, seen as a batch of one, is channels-last-3d but not
    contiguous (size-1 dims' strides aside)."""
    if a.ndim != 4 or a.flags.c_contiguous or not a.size:
        return False
    u = np.lib.stride_tricks.as_strided(a, (1,) + a.shape, (a.shape[0] * a.strides[0],)
                                        + a.strides)
    return is_channels_last(u)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``; ``stride`` defaults to
    the kernel.

    >>> F.max_pool3d(ember.zeros(1, 2, 4, 4, 4), 2).shape
    torch.Size([1, 2, 2, 2, 2])
    """
    kernel_size, stride, padding, dilation, ceil_mode = _max_args(
        3, return_indices, input, kernel_size, stride, padding, dilation, ceil_mode)
    out, idx = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


@_pool_parsed("avg_pool3d", 3, avg=True)
def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None) -> Tensor:
    """3-D average pooling; the divisor rules are :func:`avg_pool2d`'s.

    >>> F.avg_pool3d(ember.ones(1, 1, 2, 2, 2), 2)
    tensor([[[[[1.]]]]])
    """
    k = _ntuple(kernel_size, 3, "avg_pool3d: kernel_size must be a single int, or a tuple of "
                "three ints")
    s = k if _omitted(stride) else _ntuple(
        stride, 3, "avg_pool3d: stride must be omitted, a single int, or a tuple of three ints")
    p = _ntuple(padding, 3, "avg_pool3d: padding must be a single int, or a tuple of three "
                "ints")
    _check_rank_3d(input)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out = _pool3d_check(input, k, s, p, (1, 1, 1), ceil_mode, "avg_pool3d()", True)
    if input.dtype.name not in ("float32", "float64", "int64"):
        raise NotImplementedError(f'"avg_pool3d_out_frame" not implemented for '
                                  f"'{_legacy(input.dtype)}'")
    sp = input.shape[-3:]
    if divisor_override is not None:
        div = np.full(out, divisor_override, dtype=np.int64)
    else:
        div = np.ones(out, dtype=np.int64)
        for j in range(3):
            div = div * _avg_divisors(sp[j], k[j], p[j], s[j], out[j], count_include_pad
                                      ).reshape([out[j] if i == j else 1 for i in range(3)])
    return _avg_pool(input, (k, s, p, out, tuple(sp), div))


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling of ``(N, C, D, H, W)`` to a fixed output size (``None`` keeps a dim)."""
    _list_with_default(output_size, input, "adaptive_avg_pool3d")
    # (PyTorch's kernel checks the output size before the input's rank)
    out = _adaptive_size(input, output_size, 3, "adaptive_avg_pool3d")
    if any(o < 0 for o in out):
        raise RuntimeError("adaptive_avg_pool3d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{out[0]}, {out[1]},{out[2]}}}")
    if out == (1, 1, 1):
        # NOTE: PyTorch computes a global average pool as a mean (MeanBackward1), complex
        # values included (and mean's refusal of integers); restrided as the 2-d one's
        res = input.mean((-1, -2, -3), keepdim=True)
        if input.ndim == 5 and suggests_channels_last(input._data):
            res._data = channels_last_copy(res._data)
        return res
    # NOTE: PyTorch checks the input only past the global pool (which takes any rank and empty
    # dims); its 3-d kernel (unlike the 1-d and 2-d ones) refuses an empty dim 1 as well (the
    # channels of a batch, the depth of an unbatched input)
    _check_adaptive_input(input, "adaptive_avg_pool3d", 3, first=1)
    _float_only(input, "adaptive_avg_pool3d_cpu")
    return _adaptive_avg(input, out, 3)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices=False):
    return _adaptive_max_with_indices(input, output_size, 3, "adaptive_max_pool3d_cpu",
                                      _adaptive_max3d_rule)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices=False):
    """Max pooling of ``(N, C, D, H, W)`` to a fixed output size; optionally with indices."""
    out, idx = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


# -- max unpooling ---------------------------------------------------------------------

def _unpool_size(input, k, s, p, output_size):
    """The output's spatial size: the pooling's input size, or ``output_size`` if given
    (which may also carry the two leading dims)."""
    nsp = len(k)
    default = [(input.shape[-nsp + j] - 1) * s[j] + k[j] - 2 * p[j] for j in range(nsp)]
    if output_size is None:
        return default
    size = list(output_size)
    if len(size) == nsp + 2:
        size = size[2:]
    if len(size) != nsp:
        raise ValueError(f"output_size should be a sequence containing {nsp} or {nsp + 2} "
                         f"elements, but it has a length of '{len(size)}'")
    for j in range(nsp):
        lo, hi = default[j] - s[j], default[j] + s[j]
        if not lo < size[j] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {j} must be between '
                             f"{lo} and {hi})")
    return size


def _tuple_n(v, n):
    vals = list(v) if isinstance(v, (list, tuple)) else [v]
    return tuple(int(a) for a in (vals * n if len(vals) == 1 else vals))


def _max_unpool(input, indices, size, nsp, name):
    """Scatter ``input`` into zeros of spatial ``size`` at the flat ``indices``."""
    if indices.dtype.name != "int64":
        tail = "" if nsp == 3 else f" but got: {_legacy(indices.dtype)}"
        raise RuntimeError(f"elements in indices should be type int64{tail}")
    if input.dim() not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"Input to max_unpooling{nsp}d should be a {nsp + 1}d or {nsp + 2}d "
                           f"Tensor, but got a tensor with {input.dim()} dimensions.")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    for i in range(1 if input.dim() == nsp + 2 else 0, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"max_unpooling{nsp}d_forward_out_cpu(): Expected input to have "
                               f"non-zero size for non-batch dimensions, but got "
                               f"{list(input.shape)} with dimension {i} being empty.")
    if input.dtype.name in ("int64", "int32", "int16", "int8", "uint8", "bool"):
        raise NotImplementedError(f'"max_unpool{nsp}d" not implemented for '
                                  f"'{_legacy(input.dtype)}'")
    xp = xp_of(input)
    plane = math.prod(size)
    lead = tuple(input.shape[:-nsp])
    rows = math.prod(lead)
    cells = math.prod(input.shape[-nsp:])  # explicit: the batch may be empty
    ia = indices._data.reshape(rows, cells)
    bad = (ia < 0) | (ia >= plane)
    if bad.any():
        # NOTE: PyTorch's loop reports the last bad index it meets (with one thread: the
        # last in memory order; with several, whichever thread writes last).
        flat_bad = bad.reshape(-1)
        last = flat_bad.size - 1 - int(xp.argmax(flat_bad[::-1]))
        raise RuntimeError(f"Found an invalid max index: {int(ia.reshape(-1)[last])} (output "
                           f"volumes are of size {'x'.join(str(n) for n in size)})")
    out = xp.zeros((rows, plane), dtype=input._data.dtype)
    # (a repeated index keeps the last value written, as PyTorch's loop does)
    out[xp.arange(rows)[:, None], ia] = input._data.reshape(rows, cells)
    res = out.reshape(lead + tuple(size))

    def rule(ctx, g):
        flat = g.flatten(-nsp) if nsp > 1 else g
        return (flat.gather(-1, wrap(indices._data.reshape(lead + (cells,)), g._device)
                            ).reshape(input.shape),)
    return make(res, (input,), name, rule)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of ``max_pool2d``: each value put back where its max came from,
    zeros elsewhere.

    >>> y, i = F.max_pool2d(ember.randn(1, 1, 4, 4), 2, return_indices=True)
    >>> F.max_unpool2d(y, i, 2).shape
    torch.Size([1, 1, 4, 4])
    """
    k = _tuple_n(kernel_size, 2)
    s = k if stride is None else _tuple_n(stride, 2)
    size = _unpool_size(input, k, s, _tuple_n(padding, 2), output_size)
    return _max_unpool(input, indices, size, 2, "MaxUnpool2DBackward0")


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of ``max_pool1d`` (through ``max_unpool2d``, as PyTorch)."""
    k = _tuple_n(kernel_size, 1)
    s = k if stride is None else _tuple_n(stride, 1)
    size = _unpool_size(input, k, s, _tuple_n(padding, 1), output_size)
    out = _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), list(size) + [1], 2,
                      "MaxUnpool2DBackward0")
    return out.squeeze(-1)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of ``max_pool3d``."""
    k = _tuple_n(kernel_size, 3)
    s = k if stride is None else _tuple_n(stride, 3)
    size = _unpool_size(input, k, s, _tuple_n(padding, 3), output_size)
    return _max_unpool(input, indices, size, 3, "MaxUnpool3DBackward0")
