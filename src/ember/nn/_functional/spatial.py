"""Spatial reshaping: ``pad``, ``interpolate``, ``unfold``/``fold``, ``pixel_shuffle``.

Most of these are *separable index maps*: along each affected dim, output
position ``j`` reads input position ``idx[j]`` (padding by reflection,
replication or wrapping, nearest-neighbour resizing), or a weighted pair of
positions (linear resizing).  The forward pass gathers along one dim at a
time; the backward pass is the adjoint, a scatter-add along the same dims in
reverse order, and the adjoint of that is the gather again, so gradients of
gradients come for free.
"""
from __future__ import annotations
from ember._warnings import warn as _warn

import math
import numbers

import numpy as np

from ..._ops._core import make, xp_of
from ..._tensor import Tensor
from .conv import _Plan, col2im, im2col

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "unfold",
           "fold", "pixel_shuffle", "pixel_unshuffle"]


# -- gather / scatter along dims ----------------------------------------------------

def _take(xp, a, axis, idx):
    return xp.take(a, idx, axis=axis)


def _scatter_axis(xp, g, axis, idx, n):
    """The adjoint of ``take(a, idx, axis)`` for an input of length ``n`` along ``axis``."""
    g = xp.moveaxis(g, axis, -1)
    out = xp.zeros(g.shape[:-1] + (n,), dtype=g.dtype)
    if idx.size == 0:
        return xp.moveaxis(out, -1, axis)
    idx_np = np.asarray(idx.get() if hasattr(idx, "get") else idx)
    if not np.all(np.diff(idx_np) >= 0):
        # Reflection or wrapping: visit the outputs in source order first.
        order = np.argsort(idx_np, kind="stable")
        g = xp.take(g, xp.asarray(order), axis=-1)
        idx_np = idx_np[order]
    # Runs of equal sources (repeats, replication): one reduceat sums each run.
    uniq, starts = np.unique(idx_np, return_index=True)
    out[..., xp.asarray(uniq)] = xp.add.reduceat(g, xp.asarray(starts), axis=-1)
    return xp.moveaxis(out, -1, axis)


class _AxisMap:
    """Along ``axis``: ``out[j] = w0[j] * in[i0[j]] + w1[j] * in[i1[j]]`` (or ``in[i0[j]]``)."""

    __slots__ = ("axis", "i0", "i1", "w0", "w1", "n_in")

    def __init__(self, axis, i0, n_in, i1=None, w0=None, w1=None):
        self.axis, self.i0, self.n_in, self.i1, self.w0, self.w1 = axis, i0, n_in, i1, w0, w1

    def shape_w(self, w, ndim):
        s = [1] * ndim
        s[self.axis] = -1
        return w.reshape(s)

    def apply(self, xp, a):
        if self.i1 is None:
            return _take(xp, a, self.axis, self.i0)
        w0 = self.shape_w(self.w0.astype(a.dtype, copy=False), a.ndim)
        w1 = self.shape_w(self.w1.astype(a.dtype, copy=False), a.ndim)
        return w0 * _take(xp, a, self.axis, self.i0) + w1 * _take(xp, a, self.axis, self.i1)

    def adjoint(self, xp, g):
        if self.i1 is None:
            return _scatter_axis(xp, g, self.axis, self.i0, self.n_in)
        w0 = self.shape_w(self.w0.astype(g.dtype, copy=False), g.ndim)
        w1 = self.shape_w(self.w1.astype(g.dtype, copy=False), g.ndim)
        return (_scatter_axis(xp, g * w0, self.axis, self.i0, self.n_in) +
                _scatter_axis(xp, g * w1, self.axis, self.i1, self.n_in))


def _run_maps(xp, a, maps, adjoint=False):
    """Apply each map (or, adjoint, each map's adjoint in reverse order) to array ``a``;
    half-precision data is computed in float32, as PyTorch's kernels do."""
    dt = a.dtype
    if dt.name in ("float16", "bfloat16"):
        a = a.astype(np.float32)
    for m in (reversed(maps) if adjoint else maps):
        a = m.adjoint(xp, a) if adjoint else m.apply(xp, a)
    return xp.ascontiguousarray(a.astype(dt, copy=False))


def _map_axes(x, maps, name):
    """Apply ``maps`` (last dim first, like PyTorch's kernels) as one node called ``name``."""
    return make(_run_maps(xp_of(x), x._data, maps), (x,), name,
                lambda ctx, g: (_map_axes_adjoint(g, maps),))


def _map_axes_adjoint(g, maps):
    return make(_run_maps(xp_of(g), g._data, maps, adjoint=True), (g,), "MapAxesBackward0",
                lambda ctx, gg: (_map_axes(gg, maps, "MapAxesBackward1"),))


# -- pad ---------------------------------------------------------------------------

_PAD_HELP = ("Supported combinations for non-constant padding:\n"
             "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
             "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
             "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """Pads the last ``len(pad) // 2`` dims; ``pad`` lists (left, right) from the last dim.

    ``mode``: ``'constant'`` (with ``value``, negative pads crop), ``'reflect'``,
    ``'replicate'`` or ``'circular'``.

    >>> F.pad(ember.zeros(1, 2, 3), (1, 2)).shape
    ember.Size([1, 2, 6])
    """
    pads = [int(p) for p in pad]
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pads) // 2
    if k > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pads)} and input of "
                           f"dimension {input.dim()}")
    if mode == "constant":
        return _constant_pad(input, pads, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pads)} is not supported for "
                                  f"{input.dim()}D input tensor.\n{_PAD_HELP}")
    shape = list(input.shape)
    nb = input.dim() - k  # leading (batch, channel) dims
    if any(s == 0 for s in shape[1:]) or (nb == 1 and shape[0] == 0):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                           "batch size and other non-zero dimensions for input, but got: "
                           f"{shape}")
    maps = []
    for i in range(k):
        axis = input.dim() - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        n = shape[axis]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {axis} of input {shape}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        size = n + lo + hi
        if size <= 0:
            raise RuntimeError(f"input (W: {n}) is too small. Calculated output W: {size}")
        j = np.arange(-lo, n + hi)
        if mode == "reflect":
            j = np.abs(j)
            j = np.where(j >= n, 2 * (n - 1) - j, j)
        elif mode == "replicate":
            j = np.clip(j, 0, n - 1)
        else:
            j = j % n
        maps.append(_AxisMap(axis, j, n))
    xp = xp_of(input)
    if xp is not np:
        for m in maps:
            m.i0 = xp.asarray(m.i0)
    name = {"reflect": f"ReflectionPad{k}DBackward0", "replicate": f"ReplicationPad{k}DBackward0",
            "circular": "CopySlices"}[mode]
    # NOTE: PyTorch builds circular padding from in-place slice copies, so its node is
    # CopySlices; ember does it in one gather and borrows the name.
    return _map_axes(input, maps, name)


def _constant_pad(x, pads, value):
    """``ConstantPadNd``: pad (or, for negative amounts, crop) the last dims with ``value``."""
    xp = xp_of(x)
    shape = list(x.shape)
    k = len(pads) // 2
    src, dst = [slice(None)] * x.dim(), [slice(None)] * x.dim()
    for i in range(k):
        axis = x.dim() - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        n = shape[axis]
        size = n + lo + hi
        if size < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        shape[axis] = size
        a, b = max(-lo, 0), n - max(-hi, 0)
        if b < a:
            raise RuntimeError("narrow(): length must be non-negative.")
        src[axis] = slice(a, b)
        dst[axis] = slice(max(lo, 0), max(lo, 0) + (b - a))
    fill = value
    if x.dtype.is_floating_point is False and not isinstance(value, bool):
        fill = int(value) if isinstance(value, numbers.Real) else value
    out = xp.full(shape, fill, dtype=x._data.dtype)
    out[tuple(dst)] = x._data[tuple(src)]
    neg = [-p for p in pads]
    return make(out, (x,), "ConstantPadNdBackward0",
                lambda ctx, g: (_constant_pad(g, neg, 0),))


# -- interpolate -------------------------------------------------------------------

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _scale(dtype, n_in, n_out, scale, align_corners=False):
    """The source step per output step, computed in ``dtype`` as PyTorch's kernels do."""
    if align_corners:
        return dtype.type((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype.type(0)
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(n_in) / dtype.type(n_out)


def _nearest_map(axis, n_in, n_out, scale, exact):
    j = np.arange(n_out)
    if n_in == n_out and not exact:
        return _AxisMap(axis, j, n_in)
    if n_out == 2 * n_in and not exact:
        return _AxisMap(axis, j >> 1, n_in)
    s = _scale(np.dtype(np.float32), n_in, n_out, scale)
    pos = j.astype(np.float32)
    if exact:
        pos = pos + np.float32(0.5)
    src = np.floor(pos * s).astype(np.int64)
    return _AxisMap(axis, np.minimum(src, n_in - 1), n_in)


def _linear_map(axis, n_in, n_out, scale, align_corners, dtype):
    j = np.arange(n_out)
    ct = np.dtype(np.float32) if dtype.name in ("float16", "bfloat16") else dtype
    s = _scale(ct, n_in, n_out, scale, align_corners)
    if align_corners:
        src = s * j.astype(ct)
    else:
        src = s * (j.astype(ct) + ct.type(0.5)) - ct.type(0.5)
        src = np.maximum(src, ct.type(0))
    i0 = src.astype(np.int64)
    i0 = np.minimum(i0, n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    w1 = (src - i0.astype(ct)).astype(ct)
    w0 = (ct.type(1) - w1).astype(ct)
    return _AxisMap(axis, i0, n_in, i1, w0, w1)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resizes the spatial dims of ``(N, C, *S)`` input.

    Modes ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D), ``'bilinear'`` (4-D),
    ``'trilinear'`` (5-D) and ``'area'``; give either ``size`` or ``scale_factor``.
    Source coordinates follow PyTorch: with ``align_corners=False`` pixel centres are
    aligned (``src = (dst + 0.5) * in/out - 0.5``, clamped at 0); with ``True`` the corner
    pixels are (``src = dst * (in - 1)/(out - 1)``).
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias and not (mode in ("bilinear", "bicubic") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    nsp = input.dim() - 2
    sp = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor is not None and recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if isinstance(size, (list, tuple)):
            if len(size) != nsp:
                raise ValueError("Input and output must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of {sp} "
                                 f"and output size of {size}. Please provide input tensor in "
                                 "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                                 "...,oK) format.")
            out = [int(s) for s in size]
        else:
            out = [int(size)] * nsp
        scales = [None] * nsp
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nsp:
                raise ValueError("Input and scale_factor must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of {sp} "
                                 f"and scale_factor of shape {tuple(scale_factor)}. Please "
                                 "provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * nsp
        out = [int(math.floor(float(i) * s)) for i, s in zip(sp, scales, strict=True)]
        if recompute_scale_factor:
            scales = [None] * nsp
    else:
        raise ValueError("either size or scale_factor should be defined")
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported by ember")
    if mode not in _MODES or input.dim() not in (3, 4, 5):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.dim()}D) for the modes: nearest | linear | bilinear "
                                  "| bicubic | trilinear | lanczos | area | nearest-exact (got "
                                  f"{mode})")
    if mode in _LINEAR and input.dim() != _LINEAR[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode]}D input")
    if mode == "bicubic":
        raise NotImplementedError("interpolate(mode='bicubic') is not supported by ember")
    if any(o <= 0 for o in out) or any(i <= 0 for i in sp):
        names = ("D", "H", "W")[3 - nsp:]
        ins = ", ".join(f"{n}: {i}" for n, i in zip(names, sp, strict=True))
        outs = ", ".join(f"{n}: {o}" for n, o in zip(names, out, strict=True))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({ins}) output ({outs})")
    if not input.dtype.is_floating_point:
        kind = {"nearest": "upsample_nearest", "nearest-exact": "_upsample_nearest_exact",
                "area": "adaptive_avg_pool"}.get(mode, f"upsample_{mode}")
        from ..._ops._core import _legacy

        raise NotImplementedError(f'"{kind}{nsp}d_channels_last" not implemented for '
                                  f"'{_legacy(input.dtype)}'")
    if mode == "area":  # area resizing is adaptive average pooling
        from . import pooling

        if nsp == 1:
            return pooling.adaptive_avg_pool1d(input, out[0])
        if nsp == 2:
            return pooling.adaptive_avg_pool2d(input, tuple(out))
        return pooling._adaptive_avg(input, tuple(out), nsp)
    maps = []
    for d in reversed(range(nsp)):
        axis = 2 + d
        if mode in ("nearest", "nearest-exact"):
            maps.append(_nearest_map(axis, sp[d], out[d], scales[d], mode == "nearest-exact"))
        else:
            maps.append(_linear_map(axis, sp[d], out[d], scales[d], align_corners,
                                    input._data.dtype))
    xp = xp_of(input)
    if xp is not np:
        for m in maps:
            for k in ("i0", "i1", "w0", "w1"):
                if getattr(m, k) is not None:
                    setattr(m, k, xp.asarray(getattr(m, k)))
    if mode == "nearest":
        name = f"UpsampleNearest{nsp}DBackward0"
    elif mode == "nearest-exact":
        name = f"UpsampleNearestExact{nsp}DBackward0"
    else:
        name = {"linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
                "trilinear": "UpsampleTrilinear3DBackward0"}[mode]
    return _map_axes(input, maps, name)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (PyTorch warns; so does ember)."""

    _warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
          "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):

    _warn("`nn.functional.upsample_nearest` is deprecated. Use "
          "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):

    _warn("`nn.functional.upsample_bilinear` is deprecated. Use "
          "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- unfold / fold -----------------------------------------------------------------

def _pair(v, name):
    vals = list(v) if isinstance(v, (list, tuple)) else [v]
    if len(vals) == 1:
        vals = vals * 2
    if len(vals) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(vals)}")
    return tuple(int(a) for a in vals)


def _fmt(t):
    return "(" + ", ".join(str(v) for v in t) + ")"


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks (im2col): ``(N, C, H, W)`` -> ``(N, C*kH*kW, L)``.

    ``L`` is the number of block positions; column ``l`` holds block ``l`` flattened
    channel-major (``c, kh, kw``).
    """
    k = _pair(kernel_size, "kernel_size")
    d, p, s = _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride")
    if input.dim() not in (3, 4) or any(v == 0 for v in input.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           "other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    if not input.dtype.is_floating_point:
        from ..._ops._core import _legacy

        raise NotImplementedError(f"\"im2col_out_cpu\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    _check_unfold_args(k, d, p, s)
    sp = tuple(input.shape[-2:])
    plan = _Plan(sp, k, s, p, d, wide=False)
    if any(o < 1 for o in plan.out):
        raise RuntimeError(f"Given input with spatial size {_fmt(sp)}, kernel_size={_fmt(k)}, "
                           f"dilation={_fmt(d)}, padding={_fmt(p)}, calculated shape of the "
                           f"array of sliding blocks as {_fmt(plan.out)}, but its components "
                           "must be at least one.")
    return _im2col(input, plan)


def _check_unfold_args(k, d, p, s):
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{k[0]} kernel_width: {k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} "
                           f"stride_width: {s[1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: "
                           f"{d[0]} dilation_width: {d[1]}")
    if any(v < 0 for v in p):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} "
                           f"pad_width: {p[1]}")


def _im2col(x, plan):
    """``Im2Col`` on a batched (4-D) or unbatched (3-D) tensor."""
    xp = xp_of(x)
    a = x._data if x.dim() == 4 else x._data[None]
    cols = im2col(xp, a, plan, batch_major=True)
    out = cols.reshape(a.shape[0], a.shape[1] * math.prod(plan.k), math.prod(plan.out))
    if x.dim() == 3:
        out = out[0]
    return make(out, (x,), "Im2ColBackward0", lambda ctx, g: (_col2im(g, plan),))


def _col2im(c, plan):
    """``Col2Im`` on a batched (3-D) or unbatched (2-D) tensor."""
    xp = xp_of(c)
    a = c._data if c.dim() == 3 else c._data[None]
    n, ck = a.shape[:2]
    cols = a.reshape((n, ck // math.prod(plan.k)) + plan.k + plan.out)
    out = col2im(xp, cols, plan, batch_major=True)
    if c.dim() == 2:
        out = out[0]
    return make(out, (c,), "Col2ImBackward0", lambda ctx, g: (_im2col(g, plan),))


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sums sliding local blocks into an image (col2im), the adjoint of :func:`unfold`.

    ``(N, C*kH*kW, L)`` -> ``(N, C, *output_size)``.
    """
    osz = _pair(output_size, "output_size")
    k = _pair(kernel_size, "kernel_size")
    d, p, s = _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride")
    if input.dim() not in (2, 3) or any(v == 0 for v in input.shape[-2:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) input tensor with possibly 0 batch "
                           f"size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    _check_unfold_args(k, d, p, s)
    ck, n_blocks = input.shape[-2:]
    kk = k[0] * k[1]
    if ck % kk:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={ck} and "
                           f"kernel_size={_fmt(k)}.")
    plan = _Plan(osz, k, s, p, d, wide=False)
    L = math.prod(plan.out)
    if n_blocks != L or any(o < 1 for o in plan.out):
        raise RuntimeError(f"Given output_size={_fmt(osz)}, kernel_size={_fmt(k)}, "
                           f"dilation={_fmt(d)}, padding={_fmt(p)}, stride={_fmt(s)}, expected "
                           f"size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {plan.out[0]} * {plan.out[1]} = {L}, but got "
                           f"input.size(2)={n_blocks}.")
    return _col2im(input, plan)


# -- pixel shuffle -------------------------------------------------------------------

def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C*r*r, H, W)`` -> ``(*, C, H*r, W*r)``."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c, h, w = input.shape[-3:]
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           "divisible by the square of upscale_factor, but input.size(-3)="
                           f"{c} is not divisible by {r * r}")
    lead = tuple(input.shape[:-3])
    a = input._data.reshape(lead + (c // (r * r), r, r, h, w))
    nl = len(lead)
    perm = tuple(range(nl)) + (nl, nl + 3, nl + 1, nl + 4, nl + 2)
    out = xp_of(input).ascontiguousarray(a.transpose(perm)).reshape(
        lead + (c // (r * r), h * r, w * r))
    return make(out, (input,), "PixelShuffleBackward0",
                lambda ctx, g: (pixel_unshuffle(g, r),))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H*r, W*r)`` -> ``(*, C*r*r, H, W)``, the inverse of :func:`pixel_shuffle`."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    c, h, w = input.shape[-3:]
    if h % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    lead = tuple(input.shape[:-3])
    a = input._data.reshape(lead + (c, h // r, r, w // r, r))
    nl = len(lead)
    perm = tuple(range(nl)) + (nl, nl + 2, nl + 4, nl + 1, nl + 3)
    out = xp_of(input).ascontiguousarray(a.transpose(perm)).reshape(
        lead + (c * r * r, h // r, w // r))
    return make(out, (input,), "PixelUnshuffleBackward0",
                lambda ctx, g: (pixel_shuffle(g, r),))
