"""Pooling: max, average and adaptive pools in 1-D and 2-D.

The 2-D ops are primitives; the 1-D ones insert a height of 1 and call them, as
PyTorch does (so their graphs read ``SqueezeBackward1 <- MaxPool2DWithIndicesBackward0
<- UnsqueezeBackward0``).  Windows are strided views of the padded input, visited
one kernel position at a time: each pass is a vectorised op over the whole output.
"""
from __future__ import annotations

import math

import numpy as np

from ..._ops._core import make, wrap, xp_of
from ..._tensor import Tensor
from ...autograd.grad_mode import STATE

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices"]


def _legacy(dt):
    from ..._ops._core import _legacy as f

    return f(dt)


def _pair(v, name, fn="max_pool2d"):
    vals = list(v) if isinstance(v, (list, tuple)) else [v]
    if len(vals) == 1:
        vals = vals * 2
    if len(vals) != 2:
        raise RuntimeError(f"{fn}: {name} must either be a single int, or a tuple of two ints")
    return tuple(int(a) for a in vals)


def _out_size(n, k, p, s, d, ceil_mode):
    """PyTorch's pooling output size, including the ceil-mode rule that the last window
    must start inside the input or its left padding."""
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _window_views(xp, buf, k, s, d, out):
    """For each kernel position ``(i, j)``: the strided view of ``buf`` (N, C, Hp, Wp) that
    holds that position of every window, shape ``(N, C, OH, OW)``."""
    sn, sc, sh, sw = buf.strides
    shape = buf.shape[:2] + tuple(out)
    strides = (sn, sc, s[0] * sh, s[1] * sw)
    for i in range(k[0]):
        for j in range(k[1]):
            yield i, j, xp.lib.stride_tricks.as_strided(buf[:, :, i * d[0]:, j * d[1]:], shape,
                                                         strides)


def _padded(xp, a, p, out, k, s, d, fill):
    """``a`` padded by ``p`` on the left and enough on the right for every window."""
    h, w = a.shape[2:]
    need = [(o - 1) * st + dd * (kk - 1) + 1 for o, st, dd, kk in zip(out, s, d, k, strict=True)]
    hp, wp = max(h + 2 * p[0], need[0]), max(w + 2 * p[1], need[1])
    if (hp, wp) == (h, w):
        return a
    buf = xp.full(a.shape[:2] + (hp, wp), fill, dtype=a.dtype)
    buf[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = a
    return buf


def _check_pool_input(input, name):
    if input.dim() not in (3, 4) or any(v == 0 for v in input.shape[-3:]):
        if name == "max_pool2d" and input.dim() in (3, 4):
            raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                               f"size for input, but got:{list(input.shape)}")
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")


# -- max pooling ---------------------------------------------------------------------

def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    """Max over windows, and where each max came from (flat ``h * W + w`` per plane)."""
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else \
        _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} "
                           f"kW: {k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    _check_pool_input(input, "max_pool2d")
    if input.dtype.name == "bool":
        raise NotImplementedError("\"max_pool2d\" not implemented for 'Bool'")
    for pp, kk in zip(p, k, strict=True):
        if pp > kk // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={d[0]}")
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
    res = make(vals, (input,), "MaxPool2DWithIndicesBackward0", _max_rule, idx, input.shape)
    return res, wrap(idx, input._device)


def _max_pool_arrays(xp, a, k, s, p, d, out):
    """Maxima and their flat ``h * W + w`` indices for the windows of ``a`` (N, C, H, W).

    PyTorch's rules pick, per window, the first element equal to the maximum; a NaN
    beats everything (the last NaN wins); a window with nothing above -inf points at
    its first in-bounds element.
    """
    if a.dtype.kind == "f" or a.dtype.name == "bfloat16":
        fill = -np.inf
    else:
        fill = np.iinfo(a.dtype).min
    buf = _padded(xp, a, p, out, k, s, d, fill)
    views = [v for _, _, v in _window_views(xp, buf, k, s, d, out)]
    best = views[0].copy()
    for v in views[1:]:
        xp.maximum(best, v, out=best)
    kk = len(views)
    arg = xp.zeros(best.shape, dtype=np.int8 if kk < 128 else np.int64)
    for q in range(kk - 1, -1, -1):  # backwards, so the first position equal to the max wins
        xp.copyto(arg, q, where=views[q] == best)
    if a.dtype.kind == "f":
        nan = xp.isnan(best)
        if nan.any():
            for q, v in enumerate(views):
                xp.copyto(arg, q, where=nan & xp.isnan(v))
    oh = np.arange(out[0])[:, None]
    ow = np.arange(out[1])[None, :]
    if buf is not a:
        empty = best == fill
        if empty.any():
            i0 = np.maximum(0, _ceil_div(p[0] - oh * s[0], d[0]))
            j0 = np.maximum(0, _ceil_div(p[1] - ow * s[1], d[1]))
            xp.copyto(arg, xp.asarray(i0 * k[1] + j0).astype(arg.dtype), where=empty)
    # flat index = window origin + offset of the chosen kernel position
    w = a.shape[3]
    offsets = np.array([i * d[0] * w + j * d[1] for i in range(k[0]) for j in range(k[1])])
    origin = (oh * s[0] - p[0]) * w + (ow * s[1] - p[1])
    idx = xp.take(xp.asarray(offsets), arg) + xp.asarray(origin)
    return best, idx


def _ceil_div(a, b):
    return -((-a) // b)


def _max_rule(ctx, g):
    idx, shape = ctx.saved
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
    ga = g._data.reshape(lead, -1)
    flat = idx.reshape(lead, -1) + (xp.arange(lead, dtype=np.int64) * plane)[:, None]
    out = xp.bincount(flat.ravel(), weights=ga.ravel().astype(np.float64),
                      minlength=lead * plane)
    return wrap(out.astype(g._data.dtype).reshape(shape), g._device)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over ``(N, C, H, W)`` or ``(C, H, W)``; ``stride`` defaults to the kernel.

    With ``return_indices=True`` also returns each maximum's flat index ``h * W + w``
    (what ``max_unpool2d`` takes).
    """
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def _single(v, name, fn):
    vals = list(v) if isinstance(v, (list, tuple)) else [v]
    if len(vals) != 1:
        raise RuntimeError(f"{fn}() {name} must be an int, list of ints or tuple of ints of size "
                           f"1 but got size {len(vals)}")
    return int(vals[0])


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    k = _single(kernel_size, "kernel_size", "max_pool1d")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else \
        _single(stride, "stride", "max_pool1d")
    p = _single(padding, "padding", "max_pool1d")
    d = _single(dilation, "dilation", "max_pool1d")
    if input.dim() not in (2, 3) or any(v == 0 for v in input.shape[-2:]):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}")
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
    out, idx = max_pool2d_with_indices(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d),
                                       ceil_mode)
    return out.squeeze(-2), idx.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)``."""
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
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


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None) -> Tensor:
    """2-D average pooling; ``stride`` defaults to the kernel.

    The divisor is ``divisor_override`` if given; else the window size, clipped to the
    padded input (``count_include_pad=True``) or to the input itself (``False``).
    """
    k = _pair(kernel_size, "kernel_size", "avg_pool2d")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else \
        _pair(stride, "stride", "avg_pool2d")
    p = _pair(padding, "padding", "avg_pool2d")
    if input.dim() not in (3, 4):
        # NOTE: PyTorch's avg_pool2d reports a bad rank as an IndexError from its dim lookup.
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.dim()}, {input.dim() - 1}], but got -3)")
    if any(v <= 0 for v in k) or any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    for pp, kk in zip(p, k, strict=True):
        if pp > kk // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation=1")
    c, h, w = input.shape[-3:]
    out = tuple(_out_size(n, kk, pp, st, 1, ceil_mode) for n, kk, pp, st
                in zip((h, w), k, p, s, strict=True))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    if divisor_override is not None:
        div = np.full(out, divisor_override, dtype=np.int64)
    else:
        div = (_avg_divisors(h, k[0], p[0], s[0], out[0], count_include_pad)[:, None] *
               _avg_divisors(w, k[1], p[1], s[1], out[1], count_include_pad)[None, :])
    geo = (k, s, p, out, (h, w), div)
    return _avg_pool(input, geo)


def _avg_pool(x, geo):
    k, s, p, out, hw, div = geo
    xp = xp_of(x)
    a = x._data
    unbatched = a.ndim == 3
    if unbatched:
        a = a[None]
    integer = a.dtype.kind in "iub"
    low = a.dtype.name in ("float16", "bfloat16")  # summed in float32, as PyTorch does
    acc = a.astype(np.int64) if integer else a.astype(np.float32) if low else a
    buf = _padded(xp, acc, p, out, k, s, (1, 1), 0)
    total = None
    for _, _, view in _window_views(xp, buf, k, s, (1, 1), out):
        total = view.copy() if total is None else total.__iadd__(view)
    if integer:
        d = xp.asarray(div)
        q = xp.abs(total) // d
        res = xp.where(total < 0, -q, q).astype(a.dtype)
    else:
        res = (total / xp.asarray(div).astype(acc.dtype)).astype(a.dtype, copy=False)
    if unbatched:
        res = res[0]
    return make(res, (x,), "AvgPool2DBackward0",
                lambda ctx, g: (_avg_pool_adjoint(g, geo),))


def _avg_pool_adjoint(g, geo):
    k, s, p, out, hw, div = geo
    xp = xp_of(g)
    ga = g._data / xp.asarray(div).astype(g._data.dtype)
    unbatched = ga.ndim == 3
    if unbatched:
        ga = ga[None]
    n, c = ga.shape[:2]
    buf = _padded(xp, xp.zeros((n, c) + tuple(hw), dtype=ga.dtype), p, out, k, s, (1, 1), 0)
    for _, _, view in _window_views(xp, buf, k, s, (1, 1), out):
        view += ga
    res = xp.ascontiguousarray(buf[:, :, p[0]:p[0] + hw[0], p[1]:p[1] + hw[1]])
    if unbatched:
        res = res[0]
    return make(res, (g,), "AvgPool2DBackwardBackward0",
                lambda ctx, gg: (_avg_pool(gg, geo),))


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True) -> Tensor:
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)``."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "avg_pool1d)")
    k = _single(kernel_size, "kernel_size", "avg_pool1d")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else \
        _single(stride, "stride", "avg_pool1d")
    p = _single(padding, "padding", "avg_pool1d")
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)


# -- adaptive pooling ----------------------------------------------------------------

def _bounds(n_in, n_out):
    """Adaptive windows: output ``i`` covers ``[floor(i*n/o), ceil((i+1)*n/o))``."""
    i = np.arange(n_out)
    return (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)


def _adaptive_size(input, output_size, nsp, name):
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


def _check_adaptive_input(input, name, nsp):
    if input.dim() not in (nsp + 1, nsp + 2):
        if nsp == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                               f"tensor for argument #1 'self' (while checking arguments for "
                               f"{name})")
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got: "
                           f"{list(input.shape)}" if "max" in name else
                           f"{name}(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    for i in range(input.dim() - nsp, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")


def _avg_matrix(n_in, n_out, dtype):
    lo, hi = _bounds(n_in, n_out)
    m = np.zeros((n_out, n_in), dtype=dtype)
    for o in range(n_out):
        m[o, lo[o]:hi[o]] = 1.0 / (hi[o] - lo[o])
    return m


def _adaptive_avg(x, out, nsp):
    """Average over adaptive windows of the last ``nsp`` dims (a primitive)."""
    xp = xp_of(x)
    a = x._data
    mats = [xp.asarray(_avg_matrix(n, o, a.dtype))
            for n, o in zip(x.shape[-nsp:], out, strict=True)]
    res = _apply_mats(xp, a, mats, nsp)
    name = f"AdaptiveAvgPool{nsp}DBackward0"
    return make(res, (x,), name, lambda ctx, g: (_adaptive_avg_adjoint(g, mats, nsp),))


def _apply_mats(xp, a, mats, nsp, transpose=False):
    """Contract each of the last ``nsp`` dims of ``a`` with its matrix (last dim first)."""
    for i in reversed(range(nsp)):
        m = mats[i].T if transpose else mats[i]
        axis = a.ndim - nsp + i
        a = xp.moveaxis(xp.matmul(xp.moveaxis(a, axis, -1), m.T), -1, axis)
    return xp.ascontiguousarray(a)


def _adaptive_avg_adjoint(g, mats, nsp):
    xp = xp_of(g)
    res = _apply_mats(xp, g._data, [m.astype(g._data.dtype, copy=False) for m in mats], nsp,
                      transpose=True)

    def rule(ctx, gg):
        return (make(_apply_mats(xp_of(gg), gg._data, mats, nsp), (gg,),
                     "AdaptiveAvgPool2DBackwardBackward0",
                     lambda c, h: (_adaptive_avg_adjoint(h, mats, nsp),)),)
    return make(res, (g,), "AdaptiveAvgPool2DBackwardBackward0", rule)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size (``None`` keeps that input dim)."""
    _check_adaptive_input(input, "adaptive_avg_pool2d", 2)
    out = _adaptive_size(input, output_size, 2, "adaptive_avg_pool2d")
    if any(o < 0 for o in out):
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{out[0]}, {out[1]}}}")
    _float_only(input, "adaptive_avg_pool2d")
    if out == (1, 1):
        # NOTE: PyTorch computes a global average pool as a mean (MeanBackward1).
        return input.mean((-1, -2), keepdim=True)
    return _adaptive_avg(input, out, 2)


def _float_only(input, name):
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{name}" not implemented for \'{_legacy(input.dtype)}\'')


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    _check_adaptive_input(input, "adaptive_avg_pool1d", 1)
    (o,) = _adaptive_size(input, output_size, 1, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices=True):
    _check_adaptive_input(input, "adaptive_max_pool2d", 2)
    out = _adaptive_size(input, output_size, 2, "adaptive_max_pool2d")
    if any(o < 0 for o in out):
        shape = list(input.shape[:-2]) + list(out)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{shape}")
    _float_only(input, "adaptive_max_pool2d")
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    xp = xp_of(x)
    a = x._data
    h, w = a.shape[2:]
    (lh, hh), (lw, hw) = _bounds(h, out[0]), _bounds(w, out[1])
    kh = int((hh - lh).max()) if out[0] else 0
    kw = int((hw - lw).max()) if out[1] else 0
    best = xp.full(a.shape[:2] + out, -np.inf, dtype=a.dtype)
    ih_best = xp.asarray(np.broadcast_to(lh[:, None], out)) + xp.zeros(best.shape, np.int64)
    iw_best = xp.asarray(np.broadcast_to(lw[None, :], out)) + xp.zeros(best.shape, np.int64)
    for i in range(kh):
        ih = np.minimum(lh + i, hh - 1)
        rows = xp.take(a, xp.asarray(ih), axis=2)
        for j in range(kw):
            iw = np.minimum(lw + j, hw - 1)
            view = xp.take(rows, xp.asarray(iw), axis=3)
            upd = (view > best) | xp.isnan(view)
            xp.copyto(best, view, where=upd)
            xp.copyto(ih_best, xp.asarray(ih)[:, None], where=upd)
            xp.copyto(iw_best, xp.asarray(iw)[None, :], where=upd)
    idx = ih_best * w + iw_best
    if not batched:
        best, idx = best[0], idx[0]
    res = make(best, (input,), "AdaptiveMaxPool2DBackward0", _max_rule, idx, input.shape)
    return res, wrap(idx, input._device)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices=False):
    """Max pooling to a fixed output size; with ``return_indices`` also the argmax indices."""
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    _check_adaptive_input(input, "adaptive_max_pool1d", 1)
    (o,) = _adaptive_size(input, output_size, 1, "adaptive_max_pool1d")
    out, idx = adaptive_max_pool2d_with_indices(input.unsqueeze(-2), (1, o))
    return out.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out

