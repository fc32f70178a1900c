"""Spatial reshaping: ``pad``, ``interpolate``, ``unfold``/``fold``, ``pixel_shuffle``.

Most of these are *separable index maps*: along each affected dim, output
position ``j`` reads input position ``idx[j]`` (padding by reflection,
replication or wrapping, nearest-neighbour resizing), or a weighted pair of
positions (linear resizing), or, for bicubic and antialiased resizing, a dense
``(out, in)`` weight matrix.  The forward pass maps one dim at a time; the
backward pass is the adjoint (a scatter-add, or the transposed matrix product)
along the same dims in reverse order, and the adjoint of that is the forward map
again, so gradients of gradients come for free.
"""
from __future__ import annotations
from ember._warnings import warn as _warn

import math
import numbers
import operator
from collections.abc import Iterable

import numpy as np

from ..._ops._core import make, shown_as, xp_of
from ..._argparse import with_int_args
from ..._tensor import Tensor
from .conv import _Plan, col2im, im2col

__all__ = ["pad", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "unfold",
           "fold", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"]


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

    __slots__ = ("axis", "i0", "i1", "w0", "w1", "n_in", "raster", "h0", "h1")

    def __init__(self, axis, i0, n_in, i1=None, w0=None, w1=None):
        self.axis, self.i0, self.n_in, self.i1, self.w0, self.w1 = axis, i0, n_in, i1, w0, w1
        # the indices as built, on the host: ``i0``/``i1`` may move to a GPU, and the adjoint
        # plans its scatter from these copies instead of reading the device's back
        self.h0, self.h1 = i0, i1
        # whether PyTorch's backward adds in the output's raster order (not circular
        # padding, whose slice copies' gradients ember's axis-by-axis sums already match)
        self.raster = True

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
            return _scatter_axis(xp, g, self.axis, self.h0, self.n_in)
        w0 = self.shape_w(self.w0.astype(g.dtype, copy=False), g.ndim)
        w1 = self.shape_w(self.w1.astype(g.dtype, copy=False), g.ndim)
        return (_scatter_axis(xp, g * w0, self.axis, self.h0, self.n_in) +
                _scatter_axis(xp, g * w1, self.axis, self.h1, self.n_in))


class _MatrixMap:
    """Along ``axis``: ``out = m @ in`` with a dense ``(n_out, n_in)`` weight matrix ``m``."""

    __slots__ = ("axis", "m")

    def __init__(self, axis, m):
        self.axis, self.m = axis, m

    @staticmethod
    def _mul(xp, a, m, axis):
        m = m.astype(a.dtype, copy=False)
        if axis == a.ndim - 1:
            return xp.matmul(a, m.T)
        return xp.moveaxis(xp.matmul(m, xp.moveaxis(a, axis, -2)), -2, axis)

    def apply(self, xp, a):
        return self._mul(xp, a, self.m, self.axis)

    def adjoint(self, xp, g):
        return self._mul(xp, g, self.m.T, self.axis)


class _AaTapMap(_MatrixMap):
    """Antialiased resizing along ``axis`` as PyTorch's x86 CPU kernel sums float outputs.

    Output ``i`` reads inputs ``xmin[i] + k`` for ``k < xsize[i]`` and sums them in order
    from ``t0 * w0``; its compiled loop adds them a 16-byte vector at a time (four float32
    or two float64 taps) with the products rounded first, and the remaining taps with fused
    multiply-adds.  Elsewhere (and for the adjoint) the dense matrix ``m``."""

    __slots__ = ("xmin", "xsize")

    def __init__(self, axis, m, xmin, xsize):
        super().__init__(axis, m)
        self.xmin, self.xsize = xmin, xsize

    def apply(self, xp, a):
        dt = a.dtype
        if xp is not np or dt not in (np.float32, np.float64) or a.shape[self.axis] == 0:
            return super().apply(xp, a)
        m, last = np.asarray(self.m, dt), a.shape[self.axis] - 1
        shape = (-1,) + (1,) * (a.ndim - 1 - self.axis)
        rows = np.arange(m.shape[0])
        size = self.xsize.reshape(shape)
        lanes = 16 // dt.itemsize
        n_plain = (size - 1) // lanes * lanes
        acc = None
        with np.errstate(all="ignore"):  # (what the masked taps hold is never used)
            for k in range(int(self.xsize.max(initial=1))):
                idx = np.minimum(self.xmin + k, last)
                t, w = np.take(a, idx, axis=self.axis), m[rows, idx].reshape(shape)
                if acc is None:
                    acc = t * w
                    continue
                plain, live = k <= n_plain, k < size  # (each branch only where some row needs it)
                if plain.all():
                    new = acc + t * w
                elif not plain.any():
                    new = _fma(t, w, acc, True)
                else:
                    new = np.where(plain, acc + t * w, _fma(t, w, acc, True))
                acc = (new if live.all() else np.where(live, new, acc)).astype(dt, copy=False)
        return acc


class _CubicTapMap(_MatrixMap):
    """Bicubic resizing along ``axis`` as PyTorch's CPU kernel computes float32 outputs:
    each output reads its four taps (border taps clamped, so a pixel may be read twice) and
    sums ``t0 * w0 + t1 * w1 + t2 * w2 + t3 * w3`` as its compiler contracts it:
    ``fma(t3, w3, fma(t2, w2, fma(t0, w0, t1 * w1)))``.  Elsewhere (and for the adjoint)
    the dense matrix ``m``."""

    __slots__ = ("idx", "w")

    def __init__(self, axis, m, idx, w):
        super().__init__(axis, m)
        self.idx, self.w = idx, w

    def apply(self, xp, a):
        if xp is not np or a.dtype not in (np.float32, np.float64):
            return super().apply(xp, a)
        if a.dtype == np.float64:  # (its weights built with fused multiply-adds too)
            shape = (-1,) + (1,) * (a.ndim - 1 - self.axis)
            t = [np.take(a, i, axis=self.axis) for i in self.idx]
            w = [np.asarray(v, np.float64).reshape(shape) for v in self.w]
            acc = _fma(t[0], w[0], t[1] * w[1], True)
            acc = _fma(t[2], w[2], acc, True)
            return _fma(t[3], w[3], acc, True)
        shape = (-1,) + (1,) * (a.ndim - 1 - self.axis)
        t = [np.take(a, i, axis=self.axis) for i in self.idx]
        w = [np.asarray(v, np.float32).reshape(shape) for v in self.w]
        acc = _fma(t[0], w[0], t[1] * w[1])
        acc = _fma(t[2], w[2], acc)
        return _fma(t[3], w[3], acc).astype(np.float32)


def _run_maps(xp, a, maps, adjoint=False):
    """Apply each map (or, adjoint, each map's adjoint in reverse order) to array ``a``;
    half-precision data is computed in float32, as PyTorch's kernels do."""
    dt = a.dtype
    if not maps:  # the identity: still a new array, never a view of the input
        return a.copy()
    if dt.name in ("float16", "bfloat16"):
        a = a.astype(np.float32)
    elif adjoint and xp is np and dt in (np.float32, np.float64) and all(
            isinstance(m, _AxisMap) and m.i1 is None and m.raster for m in maps):
        return _gather_adjoint_in_order(a, maps)
    for m in (reversed(maps) if adjoint else maps):
        a = m.adjoint(xp, a) if adjoint else m.apply(xp, a)
    return xp.ascontiguousarray(a.astype(dt, copy=False))


def _gather_adjoint_in_order(g, maps):
    """The adjoint of pure gather maps (padding by reflection, replication or wrapping;
    nearest resizing) in one scatter over all their axes together.

    PyTorch's CPU backward kernels for these walk each plane's output gradient in raster
    order and add each value into its source element in the gradient's own type.  Axis by
    axis sums would group the terms of a source that several rows and columns read (a
    corner of a reflection, a pixel that nearest upsampling repeats) differently;
    ``np.add.at`` adds in index order, one rounding per term, which is PyTorch's order.
    """
    first = min(m.axis for m in maps)
    by_axis = {m.axis: m for m in maps}
    n_in = [by_axis[ax].n_in if ax in by_axis else g.shape[ax] for ax in range(first, g.ndim)]
    flat = np.zeros((), dtype=np.int64)
    for ax, n in zip(range(first, g.ndim), n_in, strict=True):
        idx = np.asarray(by_axis[ax].i0 if ax in by_axis else np.arange(n), dtype=np.int64)
        flat = (flat * n)[..., None] + idx
    lead = math.prod(g.shape[:first])
    plane = math.prod(n_in)
    flat = flat.reshape(1, -1) + (np.arange(lead, dtype=np.int64) * plane)[:, None]
    out = np.zeros(lead * plane, dtype=g.dtype)
    np.add.at(out, flat.ravel(), g.reshape(-1))
    return out.reshape(g.shape[:first] + tuple(n_in))


def _map_axes(x, maps, name, grad_maps=None, laid=False):
    """Apply ``maps`` (last dim first, like PyTorch's kernels) as one node called ``name``;
    ``laid``: the result stays contiguous (not channels-last for a channels-last ``x``).

    The gradient is the adjoint of ``grad_maps`` (by default ``maps`` themselves); they
    differ only where PyTorch's backward kernel disagrees with its forward one.
    """
    grad_maps = maps if grad_maps is None else grad_maps
    # (create_graph: PyTorch's padding backward kernels take the input too, not resizing's)
    pads = name.startswith(("Reflection", "Replication"))

    def rule(ctx, g):
        if pads:  # (the input: kept by PyTorch's padding nodes, refused once changed in place)
            _ = ctx.saved
        return (shown_as(_map_axes_adjoint(g, grad_maps, maps, name), _twice_names(name)[0],
                         of=ctx if pads else None),)
    return make(_run_maps(xp_of(x), x._data, maps), (x,), name, rule, *((x,) if pads else ()),
                laid=laid)


def _map_axes_adjoint(g, maps, fwd_maps=None, name=None):
    """The gradient through maps: under ``create_graph`` a node named as PyTorch's double
    backward of the op ``name`` (``...BackwardBackward0``), whose own gradient is the op
    again."""
    fwd_maps = maps if fwd_maps is None else fwd_maps
    twice, again = _twice_names(name)
    return make(_run_maps(xp_of(g), g._data, maps, adjoint=True), (g,), twice,
                lambda ctx, gg: (_map_axes(gg, fwd_maps, again, maps),))


def _twice_names(name):
    """PyTorch's names for the gradient of op ``name``'s gradient and for that one's: the
    padding and resizing kernels' ``XBackwardBackward0``, then ``XBackward0`` again
    (circular padding, a CopySlices, has a slice's)."""
    if name == "CopySlices":
        return "SliceBackwardBackward0", "SliceBackward0"
    if name is None or not name.endswith("Backward0"):
        return "MapAxesBackward0", "MapAxesBackward1"
    return name[:-len("Backward0")] + "BackwardBackward0", name


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
    if isinstance(pad, (tuple, list)):
        from ..._ops.creation import _check_size_items

        _check_size_items("pad", (pad,), 2, "pad")
    elif isinstance(pad, (int, float, str)) or pad is None:
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not "
                        f"{type(pad).__name__}")
    for v, nm, pos, kind, ok in (
            (mode, "mode", 3, "str", isinstance(mode, str)),
            (value, "value", 4, "float", value is None or (
                isinstance(value, Tensor) and value.dim() == 0 and not value.requires_grad) or (
                isinstance(value, (int, float, np.number, np.bool_))
                and not isinstance(value, np.complexfloating)))):
        if not ok:  # (PyTorch's C++ parser, before the pads' length)
            from ..._ops._core import tp_name

            raise TypeError(f"pad(): argument '{nm}' (position {pos}) must be {kind}, not "
                            f"{tp_name(v)}")
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
    if mode != "circular" and (any(s == 0 for s in shape[1:]) or (nb == 1 and shape[0] == 0)):
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
        if mode == "circular":
            out_sizes = shape[:nb] + [shape[a] + pads[2 * (input.dim() - 1 - a)]
                                      + pads[2 * (input.dim() - 1 - a) + 1]
                                      for a in range(nb, axis)]
            j = _circular_indices(n, lo, hi, math.prod(out_sizes) == 1)
        else:
            j = np.arange(-lo, n + hi)
        if mode == "reflect":
            j = np.abs(j)
            j = np.where(j >= n, 2 * (n - 1) - j, j)
        elif mode == "replicate":
            j = np.clip(j, 0, n - 1)
        maps.append(_AxisMap(axis, j, n))
        maps[-1].raster = mode != "circular"
    if mode != "circular":
        _check_pad_output(shape, pads, k, mode)
        if input.dtype.name in ("bool", "uint16", "uint32", "uint64"):  # (the kernels' dtypes)
            kind = "reflection" if mode == "reflect" else "replication"
            from ... import _dtype as _D

            raise NotImplementedError(f'"{kind}_pad{k}d" not implemented for '
                                      f'\'{_D.scalar_name(input.dtype)}\'')
    xp = xp_of(input)
    if xp is not np:
        for m in maps:
            m.i0 = xp.asarray(m.i0)
    name = {"reflect": f"ReflectionPad{k}DBackward0", "replicate": f"ReplicationPad{k}DBackward0",
            "circular": "CopySlices"}[mode]
    # NOTE: PyTorch builds circular padding from in-place slice copies, so its node is
    # CopySlices (and its result contiguous); ember does it in one gather and borrows the name.
    return _map_axes(input, maps, name, laid=mode == "circular")


def _check_pad_output(shape, pads, k, mode):
    """PyTorch's reflection and replication kernels refuse an output with no dim of size at
    least 1; one that has such a dim but a negative one fails as its allocation does."""
    ins = shape[len(shape) - k:]
    outs = [n + pads[2 * (k - 1 - i)] + pads[2 * (k - 1 - i) + 1] for i, n in enumerate(ins)]
    if all(o < 1 for o in outs):
        if k == 1:
            msg = f"input (W: {ins[0]}) is too small. Calculated output W: {outs[0]}"
        elif k == 2:
            gap = " " if mode == "replicate" else ""
            msg = (f"input (H: {ins[0]}, W: {ins[1]}{gap}) is too small. Calculated output "
                   f"H: {outs[0]} W: {outs[1]}")
        else:
            msg = (f"input (D: {ins[0]} H: {ins[1]}, W: {ins[2]}) is too small. Calculated "
                   f"output D: {outs[0]} H: {outs[1]} W: {outs[2]}")
        raise RuntimeError(msg)
    full = shape[:len(shape) - k] + outs
    bad = [o for o in full if o < 0]
    if bad:
        if mode == "reflect" and k == 2:
            raise RuntimeError("numel: integer multiplication overflow")
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad[0]}: "
                           f"[{', '.join(map(str, full))}]")


def _circular_indices(n, lo, hi, dense):
    """The source of each output element along a dim that circular padding pads by ``lo``
    and ``hi``: as PyTorch's in-place slice copies do it, a negative pad first crops, and a
    positive one then wraps around what is left (its ``m`` elements).  ``dense``: the
    copies' slices are contiguous (every dim before this one has size 1), the only case in
    which PyTorch sees them overlap."""
    size = n + lo + hi
    if size < 0:
        raise RuntimeError("Negative padding value is resulting in an empty dimension")
    start, m = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
    if dense and m > 0 and (lo > m or hi > m):  # (PyTorch's copy would read what it writes)
        raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please clone() "
                           "the tensor before performing the operation.")
    if m <= 0:  # nothing left to wrap: PyTorch leaves the padding uninitialized
        return np.zeros(size, dtype=np.int64)
    return start + np.arange(-max(lo, 0), m + max(hi, 0)) % m


def _constant_pad(x, pads, value):
    """``ConstantPadNd``: pad (or, for negative amounts, crop) the last dims with ``value``."""
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
    from ..._ops.creation import _fill_array

    # NOTE: PyTorch's pad takes the value as a double, then fills with it as its fills do
    # (0.5 is True in a bool tensor; -1.0 or 300.0 overflow a uint8 one: RuntimeError)
    fill = float(value) if isinstance(value, numbers.Real) else value
    out = _fill_array(tuple(shape), fill, x.dtype, x.device)
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


# -- resize weight matrices (bicubic, antialiased) -----------------------------------
#
# Shared with ``ember.vision.transforms`` (``Resize`` on tensors).  ``ct`` is the float
# type the weights are computed in: PyTorch computes them in the data's own type
# (float32 for half-precision data), so ``interpolate`` passes that; the vision
# transforms compute in float64.

def _fma(a, b, c, exact64=False):
    """``a * b + c`` with one rounding, for float32 arrays (and float64 ones with
    ``exact64``); plain for other types.

    PyTorch's x86 kernels are compiled with fused multiply-adds where the compiler
    contracts ``a * b + c``; emulating those (exactly, through float64) makes float32
    weights bit for bit PyTorch's.  For float64 the difference is below 1e-15.
    """
    a = np.asarray(a)
    if exact64 and a.dtype == np.float64:
        from ..._random import _fma64

        a, b, c = np.broadcast_arrays(a, *(np.asarray(v, np.float64) for v in (b, c)))
        return np.asarray(_fma64(a, b, c), np.float64).reshape(a.shape)
    if a.dtype != np.float32:
        return a * b + c
    return (a.astype(np.float64) * np.float64(b) + np.float64(c)).astype(np.float32)


def _cubic_near(x, a, fuse_last, exact64=False):
    """Keys' cubic convolution kernel for ``0 <= x <= 1``.

    Evaluated with the multiply-adds PyTorch's compiled kernels fuse: the first always,
    the last (``fuse_last``) only in the antialiased kernel.
    """
    inner = _fma(a + 2, x, -(a + 3), exact64) * x
    return _fma(inner, x, 1, exact64) if fuse_last else inner * x + 1


def _cubic_far(x, a, fuse_last, exact64=False):
    """Keys' cubic convolution kernel for ``1 <= x <= 2`` (fused as :func:`_cubic_near`)."""
    inner = _fma(_fma(a, x, -5 * a, exact64), x, 8 * a, exact64)
    return _fma(inner, x, -4 * a, exact64) if fuse_last else inner * x - 4 * a


def _cubic_matrix(n_in, n_out, scale, align_corners, ct):
    """``(n_out, n_in)`` weights of bicubic resizing (cubic convolution, ``A = -0.75``).

    Output ``j`` reads the four inputs around its source position ``src``, at offsets
    -1, 0, 1, 2 from ``floor(src)``; taps past a border are clamped onto the edge pixel.
    """
    idx, taps = _cubic_taps(n_in, n_out, scale, align_corners, ct)
    weights = np.zeros((n_out, n_in), dtype=ct)
    rows = np.arange(n_out)
    for i, w in zip(idx, taps, strict=True):
        np.add.at(weights, (rows, i), w)
    return weights


def _cubic_taps(n_in, n_out, scale, align_corners, ct, exact64=False):
    """The four input indices (clamped) and weights of each output of bicubic resizing
    (``exact64``: float64 ones with the fused multiply-adds of PyTorch's forward kernel)."""
    a = ct.type(-0.75)
    one = ct.type(1)
    s = _scale(ct, n_in, n_out, scale, align_corners)
    j = np.arange(n_out).astype(ct)
    if align_corners:
        src = s * j
    else:  # NOTE: unlike linear modes, not clamped at 0: the taps reach left of the image
        src = _fma(np.full(n_out, s, dtype=ct), j + ct.type(0.5), -ct.type(0.5),
                   exact64).astype(ct)
    # NOTE: PyTorch floors the source position in float32 even for float64 data.
    x0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n_in - 1)
    t = np.clip(src - x0.astype(ct), 0, 1).astype(ct)
    rest = one - t
    taps = (_cubic_far(t + one, a, False, exact64), _cubic_near(t, a, False, exact64),
            _cubic_near(rest, a, False, exact64), _cubic_far(rest + one, a, False, exact64))
    return [np.clip(x0 - 1 + k, 0, n_in - 1) for k in range(4)], taps


def _sinc(x, ct):
    """``sin(pi x) / (pi x)`` (1 at 0) in ``ct``: the C library's ``sinf`` for float32."""
    from ..._ops._libm import sinf

    y = (x * ct.type(np.pi)).astype(ct)
    with np.errstate(invalid="ignore", divide="ignore"):
        sin = sinf(y) if ct == np.float32 else np.sin(y)
        return np.where(x == 0, ct.type(1), (sin / y).astype(ct)).astype(ct)


def _aa_filter(mode, ct):
    """``(support in input pixels at scale 1, filter)`` of antialiased resizing."""
    if mode == "bilinear":
        return 2, lambda x: np.maximum(1 - np.abs(x), 0).astype(ct)
    if mode == "lanczos":
        def lanczos(x):
            # NOTE: as PyTorch's Lanczos-3 (Pillow's): sinc(x) in the data's type, sinc(x / 3)
            # in float64 (``x / 3.0`` is a double in C++), their product rounded once.
            x = np.abs(np.asarray(x, dtype=ct))
            far = _sinc(x.astype(np.float64) / 3.0, np.dtype(np.float64))
            w = (_sinc(x, ct).astype(np.float64) * far).astype(ct)
            return np.where(x < 3, w, ct.type(0)).astype(ct)

        return 6, lanczos
    a = ct.type(-0.5)  # NOTE: Keys' a = -0.5 here (as Pillow), not bicubic's -0.75

    def cubic(x):
        x = np.abs(x)
        near, far = _cubic_near(x, a, True, True), _cubic_far(x, a, True, True)
        return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(ct)

    return 4, cubic


def _aa_matrix(n_in, n_out, scale, align_corners, mode, ct, with_taps=False):
    """``(n_out, n_in)`` weights of antialiased resizing (Pillow's scheme, as PyTorch);
    with ``with_taps``, also each output's first input and its number of inputs read.

    Output ``i`` averages the inputs under a filter centred at ``s * (i + 0.5)`` (in
    input pixel units, ``s`` the input step per output step), widened by ``s`` when
    shrinking; the weights are normalised to sum to one.  The rounding steps (which
    quantities are kept in ``ct`` and which in float64) follow PyTorch's kernel.
    """
    f64 = np.float64
    size, filt = _aa_filter(mode, ct)
    s = _scale(ct, n_in, n_out, scale, align_corners)
    shrink = s >= 1
    support = ct.type(size * 0.5 * f64(s)) if shrink else ct.type(size * 0.5)
    invscale = ct.type(1.0 / f64(s)) if shrink else ct.type(1)
    width = int(math.ceil(support)) * 2 + 1
    center = (f64(s) * (np.arange(n_out) + 0.5)).astype(ct)
    xmin = np.maximum(((center - support).astype(f64) + 0.5).astype(np.int64), 0)
    xend = np.minimum(((center + support).astype(f64) + 0.5).astype(np.int64), n_in)
    xsize = np.clip(xend - xmin, 0, width)
    taps, total = [], np.zeros(n_out, dtype=ct)
    for k in range(width):
        arg = (((xmin + k).astype(ct) - center).astype(f64) + 0.5) * f64(invscale)
        w = np.where(k < xsize, filt(arg.astype(ct)), ct.type(0)).astype(ct)
        taps.append(w)
        total = (total + w).astype(ct)
    safe = np.where(total != 0, total, ct.type(1))
    weights = np.zeros((n_out, n_in), dtype=ct)
    rows = np.arange(n_out)
    for k, w in enumerate(taps):
        used = k < xsize
        w = np.where(total != 0, w / safe, w).astype(ct)
        weights[rows[used], xmin[used] + k] = w[used]
    return (weights, xmin, xsize) if with_taps else weights


def resize_matrix(n_in: int, n_out: int, mode: str, antialias: bool, align_corners=False,
                  scale=None, dtype=np.float64) -> np.ndarray:
    """The ``(n_out, n_in)`` matrix that resizes one axis, computed in ``dtype``.

    ``mode`` is ``'bicubic'`` or (with ``antialias``) ``'bilinear'``; ``scale`` is the
    user's scale factor along this axis, or ``None`` to derive the step from the sizes.
    With ``align_corners`` the step is ``(n_in - 1) / (n_out - 1)``: bicubic then maps
    corner pixel to corner pixel, while antialiased resizing (as PyTorch) only takes
    the step and keeps its filters centred at ``step * (i + 0.5)``.
    """
    ct = np.dtype(dtype)
    if antialias:
        return _aa_matrix(n_in, n_out, scale, align_corners, mode, ct)
    return _cubic_matrix(n_in, n_out, scale, align_corners, ct)


def _is_integer(v) -> bool:
    """An output size PyTorch takes: a Python or NumPy int or an integer tensor."""
    return isinstance(v, (int, np.integer)) or \
        (isinstance(v, Tensor) and not v.dtype.is_floating_point)


def _int_arg(v) -> bool:
    """An element PyTorch's parser takes in a tuple of ints: no bool, anything with
    ``__index__`` (a one-element integer tensor included)."""
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, Tensor):
        return v.numel() == 1 and not v.dtype.is_floating_point and not v.dtype.is_complex
    try:
        operator.index(v)
    except TypeError:
        return False
    return True


def _float_arg(v) -> bool:
    """A first element PyTorch's parser takes in a tuple of floats (no tensors, no strings)."""
    return isinstance(v, (int, float, complex, np.number))


def _type_name(v) -> str:
    if isinstance(v, Tensor):
        return "Tensor"
    t = type(v)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _resize_args(mode, nsp, vals, container="list", scale=False):
    """``vals`` (an output size, or with ``scale`` scale factors) as PyTorch's argument parser
    reads them for ``mode``'s kernel: the overload is picked on the first element alone,
    the others only converted; ``None`` where ``mode`` has no kernel for ``nsp`` dims (the
    dims are refused later)."""
    if mode not in ("nearest", "nearest-exact", "area") and \
            {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode) != nsp:
        return None
    kind = {"nearest": "upsample_nearest", "nearest-exact": "_upsample_nearest_exact"}.get(
        mode, f"upsample_{mode}")
    kind = f"adaptive_avg_pool{nsp}d" if mode == "area" else f"{kind}{nsp}d"
    first = _float_arg if scale else _int_arg
    if vals and not first(vals[0]):
        _refuse_resize_arg(mode, nsp, kind, vals, container, scale)
    out = []
    for i, v in enumerate(vals):
        if scale:
            if isinstance(v, complex) or not (isinstance(v, Tensor) or _float_arg(v)):
                raise TypeError(f"{kind}(): argument 'scale_factors' must be tuple of floats, "
                                f"but found element of type {_type_name(v)} at pos {i + 1}")
            out.append(float(v))
        elif isinstance(v, Tensor) and v.numel() != 1:
            raise TypeError(f"{kind}(): argument 'output_size' failed to unpack the object at "
                            f"pos {i + 1} with error \"type must be tuple of ints,but got "
                            "Tensor\"")
        elif isinstance(v, Tensor) and v.dtype.name == "bool":  # (read, then refused)
            from ..._argparse import _BOOL_ITEM

            raise RuntimeError(_BOOL_ITEM)
        else:
            out.append(operator.index(v))
    return out


def _refuse_resize_arg(mode, nsp, kind, vals, container, scale):
    """PyTorch's argument parser's error when no overload of ``kind`` takes ``vals``."""
    if mode == "area":
        raise TypeError(f"{kind}(): argument 'output_size' (position 2) must be tuple of ints, "
                        f"but found element of type {_type_name(vals[0])} at pos 0")
    flag, ac = ("", "") if mode in ("nearest", "nearest-exact") else \
        ("bool, ", "bool align_corners, ")
    scales = ", ".join(f"float {n} = None" for n in (["scales"] if nsp == 1 else
                                                      ["scales_d", "scales_h", "scales_w"][-nsp:]))
    names = [_type_name(v) for v in vals]
    arg = f"{container} of {tuple(names)}".replace("'", "") if container == "tuple" else \
        f"{container} of [{', '.join(names)}]"
    got = f"NoneType, {flag}{container}" if scale else f"{container}, {flag}NoneType"
    marked = f"!NoneType!, {flag}!{arg}!" if scale else f"!{arg}!, {flag}!NoneType!"
    raise TypeError(f"{kind}() received an invalid combination of arguments - got (Tensor, "
                    f"{got}), but expected one of:\n"
                    f" * (Tensor input, tuple of ints output_size, {ac}tuple of floats "
                    "scale_factors)\n"
                    "      didn't match because some of the arguments have invalid types: "
                    f"(Tensor, {marked})\n"
                    f" * (Tensor input, tuple of ints output_size, {ac}{scales}, *, Tensor out "
                    "= None)\n")


def _as_int(v) -> int:
    try:
        return operator.index(v)
    except TypeError:
        return 0  # (refused later, with the input's dims)


def _bad_align_corners(mode, nsp, size, scale_factor, out, input, align_corners, recompute,
                       antialias):
    """PyTorch's parser error of its upsampling kernel (``upsample_bilinear2d()``...) for an
    ``align_corners`` that is not a bool, with the arguments ``interpolate`` passes it."""
    from ..._ops._core import format_invalid_args

    if size is not None:
        size, scales = (size if isinstance(size, (list, tuple)) else [size] * nsp), None
    elif recompute:
        size, scales = out, None
    else:
        scales = scale_factor if isinstance(scale_factor, (list, tuple)) else \
            [scale_factor] * nsp
    name = f"upsample_{mode}{nsp}d"
    if antialias:
        name = f"_{name}_aa"
    each = ", ".join(f"float scales{d} = None" for d in ("_d", "_h", "_w")[3 - nsp:]) \
        if nsp > 1 else "float scales = None"
    head = "(Tensor input, tuple of ints output_size, bool align_corners, "
    return format_invalid_args(name, (input, size, align_corners, scales), {}, (
        head + "tuple of floats scale_factors)", head + each + ", *, Tensor out = None)"))


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resizes the spatial dims of ``(N, C, *S)`` input.

    Modes ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D), ``'bilinear'`` (4-D),
    ``'bicubic'`` (4-D), ``'trilinear'`` (5-D), ``'area'`` and ``'lanczos'`` (4-D, Lanczos-3,
    with ``antialias=True`` only); give either ``size`` or
    ``scale_factor``.  Source coordinates follow PyTorch: with ``align_corners=False``
    pixel centres are aligned (``src = (dst + 0.5) * in/out - 0.5``, clamped at 0 except
    for bicubic); with ``True`` the corner pixels are (``src = dst * (in - 1)/(out - 1)``).
    When ``scale_factor`` is given (and ``recompute_scale_factor`` is not true), the
    step ``in/out`` is ``1/scale_factor`` instead.  ``antialias=True`` (bilinear,
    bicubic, lanczos, 4-D) widens the filter by the shrink factor when downsampling.

    >>> F.interpolate(ember.zeros(1, 1, 4, 6), scale_factor=0.5, mode='bicubic').shape
    ember.Size([1, 1, 2, 3])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
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
            if not all(_is_integer(s) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(s) for s in size]}")
            out = _resize_args(mode, nsp, list(size), type(size).__name__) or \
                [_as_int(s) for s in size]
        else:
            out = _resize_args(mode, nsp, [size] * nsp) or [_as_int(size)] * nsp
        scales = [None] * nsp
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nsp:
                raise ValueError("Input and scale_factor must have the same number of spatial "
                                 f"dimensions, but got input with spatial dimensions of {sp} "
                                 f"and scale_factor of shape {scale_factor}. Please "
                                 "provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scales = list(scale_factor)
        else:
            scales = [scale_factor] * nsp
        if not (recompute_scale_factor or mode == "area"):  # (else sizes: Python arithmetic)
            scales = _resize_args(mode, nsp, scales, type(scale_factor).__name__ if
                                  isinstance(scale_factor, (list, tuple)) else "list",
                                  True) or scales
        scales = [float(s) for s in scales]
        out = [int(math.floor(float(i) * s)) for i, s in zip(sp, scales, strict=True)]
        if recompute_scale_factor:
            scales = [None] * nsp
    else:
        raise ValueError("either size or scale_factor should be defined")
    # NOTE: as PyTorch, checked after the sizes
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    lanczos = mode == "lanczos" and input.dim() == 4
    if lanczos:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if (mode not in _MODES and not lanczos) or input.dim() not in (3, 4, 5):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.dim()}D) for the modes: nearest | linear | bilinear "
                                  "| bicubic | trilinear | lanczos | area | nearest-exact (got "
                                  f"{mode})")
    if mode in _LINEAR and input.dim() != _LINEAR[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode]}D input")
    if mode == "bicubic" and input.dim() != 4:  # PyTorch falls through to its last error
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.dim()}D) for the modes: nearest | linear | bilinear "
                                  "| bicubic | trilinear | lanczos | area | nearest-exact (got "
                                  f"{mode})")
    if (mode in _LINEAR or mode == "bicubic") and not isinstance(align_corners, bool):
        raise TypeError(_bad_align_corners(mode, nsp, size, scale_factor, out, input,
                                           align_corners, recompute_scale_factor, antialias))
    if mode == "area" and nsp > 1 and 0 in sp:  # (area runs an adaptive average pool)
        raise RuntimeError(f"adaptive_avg_pool{nsp}d(): Expected input to have non-zero size for "
                           f"non-batch dimensions, but input has sizes {list(input.shape)} with "
                           f"dimension {2 + list(sp).index(0)} being empty")
    # (area runs an adaptive average pool, whose own checks allow an empty output)
    if mode != "area" and (any(o <= 0 for o in out) or any(i <= 0 for i in sp)):
        names = ("D", "H", "W")[3 - nsp:]
        ins = ", ".join(f"{n}: {i}" for n, i in zip(names, sp, strict=True))
        outs = ", ".join(f"{n}: {o}" for n, o in zip(names, out, strict=True))
        sep = " and" if nsp == 1 else ""  # (as PyTorch's 1-d kernels word it)
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({ins}){sep} output ({outs})")
    if mode != "area" and input.shape[1] == 0:  # (an empty batch is allowed)
        raise RuntimeError(f"Non-empty {input.dim()}D data tensor expected but got a tensor with "
                           f"sizes {list(input.shape)}")
    half = input.dtype.is_floating_point and input.dtype.itemsize == 2
    nearest_u8 = input.dtype.name == "uint8" and mode in ("nearest", "nearest-exact")
    if input.dtype.name == "uint8" and mode in ("bilinear", "bicubic", "lanczos") and \
            input.dim() == 4:
        # PyTorch's fixed-point uint8 kernel (no autograd: integer outputs need none)
        from ._resize_uint8 import resize_uint8

        xp = xp_of(input)
        arr = input._data if xp is np else input._data.get()
        res = resize_uint8(arr, out, mode, bool(antialias), bool(align_corners), scales)
        return make(res if xp is np else xp.asarray(res), (input,), "", None)
    if (not input.dtype.is_floating_point and not nearest_u8) or (antialias and half):
        # NOTE: uint8 bilinear/bicubic (4-D) took the fixed-point path above.
        # (the kernel that refuses the dtype first: for 1-D and 3-D the index tables)
        if mode == "area":
            kind = "adaptive_avg_pool3d_cpu" if nsp == 3 else "adaptive_avg_pool2d"
        elif nsp == 2:
            kind = "upsample_bilinear2d_channels_last" if mode == "bilinear" else \
                "upsample_nearest2d_channels_last"
        else:
            kind = "compute_indices_weights_" + ("nearest" if mode.startswith("nearest")
                                                 else "linear")
        if antialias:
            kind = "compute_index_ranges_weights"
        elif mode == "bicubic":
            kind = "compute_indices_weights_cubic"
        from ..._ops._core import _legacy

        raise NotImplementedError(f'"{kind}" not implemented for '
                                  f"'{_legacy(input.dtype)}'")
    if antialias and any(n == 0 for n in input.shape[1:]):
        raise RuntimeError("Non-empty 4D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    if mode == "bicubic" or antialias:
        return _resize_2d(input, out, scales, mode, align_corners, antialias)
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
        if xp is np and input._data.dtype == np.float32:
            return _linear_exact(input, maps, sp, out, scales, align_corners, name)
    return _map_axes(input, maps, name)


def _linear_exact(x, maps, sp, out, scales, align_corners, name):
    """Float32 linear resizing bit for bit as PyTorch's CPU kernels (see _upsample_cpu)."""
    from ._upsample_cpu import linear_backward, linear_forward, linear_weights

    params = [linear_weights(sp[d], out[d], scales[d], align_corners) for d in range(len(sp))]
    shape = tuple(x.shape)

    def backward(ctx, g):
        if g._data.dtype != np.float32 or xp_of(g) is not np:
            return (_map_axes_adjoint(g, maps, name=name),)
        gi = linear_backward(g._data, shape, params)
        return (make(gi, (g,), _twice_names(name)[0],
                     lambda ctx, gg: (_map_axes(gg, maps, name),)),)

    return make(linear_forward(x._data, params), (x,), name, backward)


def _resize_2d(x, out, scales, mode, align_corners, antialias):
    """Bicubic or antialiased resizing of ``(N, C, H, W)``: a matrix product per axis."""
    xp = xp_of(x)
    dt = x._data.dtype
    ct = np.dtype(np.float32) if dt.name in ("float16", "bfloat16") else dt
    sp = [int(n) for n in x.shape[2:]]
    maps, grad_maps = [], []
    for d in (1, 0):  # W first, then H, as PyTorch
        if antialias:
            m, xmin, xsize = _aa_matrix(sp[d], out[d], scales[d], align_corners, mode, ct, True)
        else:
            m = resize_matrix(sp[d], out[d], mode, antialias, align_corners, scales[d], ct)
        axis_map = _MatrixMap(2 + d, xp.asarray(m))
        if not antialias:  # (bicubic: its forward reads the taps one by one)
            idx, taps = _cubic_taps(sp[d], out[d], scales[d], align_corners, ct, True)
            if ct != dt:
                # NOTE: as PyTorch, half-precision data gets its forward weights rounded to
                # the data's own type (the sums still run in float32).
                taps = tuple(w.astype(dt).astype(ct) for w in taps)
            axis_map = _CubicTapMap(2 + d, xp.asarray(m), idx, taps)
        grad_maps.append(axis_map)
        # NOTE: PyTorch's antialiased forward kernel skips an axis whose size stays the
        # same, even where a scale_factor would move the samples; its backward kernel
        # does not skip it.  Both are matched.
        if antialias and sp[d] == out[d]:
            continue
        if antialias and d == 0 and out[1] == 1:
            # NOTE: and when the output is one pixel wide, PyTorch's antialiased forward
            # kernel gives every output row the weights of row 0 (its backward uses the
            # right ones).  Matched as well.
            m, xmin, xsize = (np.repeat(v[:1], out[0], axis=0) for v in (m, xmin, xsize))
            axis_map = _MatrixMap(2, xp.asarray(m))
        if antialias:
            axis_map = _AaTapMap(2 + d, axis_map.m, xmin, xsize)
        maps.append(axis_map)
    if not antialias and sp == out:
        # NOTE: and PyTorch's bicubic backward passes the gradient through unchanged when
        # no size changes, though its forward resamples when a scale_factor moves the
        # samples.  Matched too.
        grad_maps = []
    name = {"bicubic": "UpsampleBicubic2D", "lanczos": "UpsampleLanczos2D"}.get(
        mode, "UpsampleBilinear2D") + ("AaBackward0" if antialias else "Backward0")
    if not antialias and sp != out and xp is np and dt in (np.float32, np.float64):
        shape = tuple(x.shape)

        def backward(ctx, g):
            if g._data.dtype != dt or xp_of(g) is not np:
                return (_map_axes_adjoint(g, grad_maps, maps, name),)
            gi = _bicubic_backward(g._data, shape, scales, align_corners)
            return (make(gi, (g,), _twice_names(name)[0],
                         lambda ctx, gg: (_map_axes(gg, maps, name, grad_maps),)),)
        return make(_run_maps(xp, x._data, maps), (x,), name, backward)
    return _map_axes(x, maps, name, grad_maps)


def _bicubic_taps_backward(n_in, n_out, scale, align_corners, ct):
    """The taps of PyTorch's bicubic backward kernel: as the forward's, but its source
    positions and weights computed without fused multiply-adds."""
    a, one = ct.type(-0.75), ct.type(1)
    s = _scale(ct, n_in, n_out, scale, align_corners)
    j = np.arange(n_out).astype(ct)
    src = s * j if align_corners else (s * (j + ct.type(0.5)) - ct.type(0.5)).astype(ct)
    x0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n_in - 1)
    t = np.clip(src - x0.astype(ct), 0, 1).astype(ct)
    rest = one - t

    def near(u):
        return ((a + 2) * u - (a + 3)) * u * u + one

    def far(u):
        return ((a * u - 5 * a) * u + 8 * a) * u - 4 * a
    w = np.stack([far(t + one), near(t), near(rest), far(rest + one)], -1).astype(ct)
    idx = np.stack([np.clip(x0 - 1 + k, 0, n_in - 1) for k in range(4)], -1)
    return idx, w


def _bicubic_backward(g, shape, scales, align_corners):
    """PyTorch's bicubic backward kernel, its rounding: per plane, for each output pixel in
    raster order, ``(g * wy[j]) * wx[i]`` added to input ``(y_j, x_i)`` for ``i``, then
    ``j``, each add rounded to the gradient's type."""
    n, c, h, w = shape
    ct = g.dtype
    oh, ow = g.shape[2:]
    iy, wy = _bicubic_taps_backward(h, oh, scales[0], align_corners, ct)
    ix, wx = _bicubic_taps_backward(w, ow, scales[1], align_corners, ct)
    planes = g.reshape(n * c, oh, ow)
    acc = np.zeros(n * c * h * w, ct)
    base = (np.arange(n * c) * (h * w))[:, None, None, None]
    with np.errstate(all="ignore"):
        for oy in range(oh):  # (planes, x, i, j): each row's terms in the kernel's order
            v = (planes[:, oy, :, None, None] * wy[oy][None, None, None, :]) * \
                wx[None, :, :, None]
            idx = iy[oy][None, None, None, :] * w + ix[None, :, :, None] + base
            np.add.at(acc, np.broadcast_to(idx, v.shape).reshape(-1), v.reshape(-1))
    return acc.reshape(shape)


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
    vals = list(v) if isinstance(v, (list, tuple)) else [v, v]  # (a list of one: refused)
    if len(vals) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(vals)}")
    return tuple(int(a) for a in vals)


def _fmt(t):
    return "(" + ", ".join(str(v) for v in t) + ")"


def _read_pairs(parser, input, sizes):
    """Fold's and unfold's sizes as nn.functional's ``_pair`` of each, then its op's parser
    (``parser``) read them (the common call: as they are)."""
    if all(type(v) is int or type(v) in (tuple, list) and all(type(a) is int for a in v)
           for v in sizes):
        return sizes
    return parser(input, *(tuple(v) if isinstance(v, Iterable) else (v, v) for v in sizes))[1:]


_COL2IM_ARGS = with_int_args("col2im", ["Tensor input, int[2] output_size, int[2] kernel_size, "
                                        "int[2] dilation, int[2] padding, int[2] stride"])(
    lambda *args: args)
_IM2COL_ARGS = with_int_args("im2col", ["Tensor input, int[2] kernel_size, int[2] dilation, "
                                         "int[2] padding, int[2] stride"])(lambda *args: args)


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks (im2col): ``(N, C, H, W)`` -> ``(N, C*kH*kW, L)``.

    ``L`` is the number of block positions; column ``l`` holds block ``l`` flattened
    channel-major (``c, kh, kw``).
    """
    sizes = _read_pairs(_IM2COL_ARGS, input, (kernel_size, dilation, padding, stride))
    k = _pair(sizes[0], "kernel_size")
    d, p, s = _pair(sizes[1], "dilation"), _pair(sizes[2], "padding"), _pair(sizes[3], "stride")
    if input.dim() == 0:  # (PyTorch reads the size of dim 1, then dim 2, first)
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")
    if input.dim() < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{input.dim()}, "
                         f"{input.dim() - 1}], but got {input.dim()})")
    if input.dim() not in (3, 4) or any(v == 0 for v in input.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           "other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    if not (input.dtype.is_floating_point or input.dtype.is_complex or
            input.dtype.name == "bool"):  # (PyTorch's im2col takes complex and bool values)
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
    osz, kernel_size, dilation, padding, stride = _read_pairs(
        _COL2IM_ARGS, input, (output_size, kernel_size, dilation, padding, stride))
    osz = _pair(osz, "output_size")
    k = _pair(kernel_size, "kernel_size")
    d, p, s = _pair(dilation, "dilation"), _pair(padding, "padding"), _pair(stride, "stride")
    if input.dim() not in (2, 3) or any(v == 0 for v in input.shape[-2:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
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
    if not (input.dtype.is_floating_point or input.dtype.is_complex or
            input.dtype.name == "bool"):  # (PyTorch's col2im takes complex and bool values)
        from ..._ops._core import _legacy

        raise NotImplementedError(f"\"col2im_out_cpu\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    return _col2im(input, plan)


# -- pixel shuffle -------------------------------------------------------------------

def _int_param(v, fn, name):
    """PyTorch's C++ parser on an int argument at position 2 (no bool, no float)."""
    from ..._argparse import _is_int

    if not _is_int(v):
        from ..._ops._core import tp_name

        raise TypeError(f"{fn}(): argument '{name}' (position 2) must be int, not {tp_name(v)}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C*r*r, H, W)`` -> ``(*, C, H*r, W*r)``."""
    _int_param(upscale_factor, "pixel_shuffle", "upscale_factor")
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


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """``(N, g*k, *)`` -> ``(N, k*g, *)``: the channels of ``groups`` groups interleaved."""
    if not isinstance(groups, int) or isinstance(groups, bool):
        raise TypeError("channel_shuffle(): argument 'groups' (position 2) must be int, not "
                        f"{type(groups).__name__}")
    if input.dim() <= 2:
        raise RuntimeError("channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c = input.shape[:2]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    rest = tuple(input.shape[2:])
    a = input._data.reshape((n, groups, c // groups) + rest).swapaxes(1, 2)
    out = xp_of(input).ascontiguousarray(a).reshape(input.shape)
    # the backward un-shuffles: shuffling with c // groups groups is the inverse permutation
    return make(out, (input,), "ChannelShuffleBackward0",
                lambda ctx, g: (channel_shuffle(g, c // groups),))


native_channel_shuffle = channel_shuffle


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H*r, W*r)`` -> ``(*, C*r*r, H, W)``, the inverse of :func:`pixel_shuffle`."""
    _int_param(downscale_factor, "pixel_unshuffle", "downscale_factor")
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
    if input.numel() == 0:
        # NOTE: PyTorch's CPU kernel hands back an empty input's shape unchanged here
        # (pixel_shuffle does reshape an empty input).
        return make(xp_of(input).zeros(tuple(input.shape), dtype=input._data.dtype), (input,),
                    "PixelUnshuffleBackward0", lambda ctx, g: (g.reshape(input.shape),))
    a = input._data.reshape(lead + (c, h // r, r, w // r, r))
    nl = len(lead)
    perm = tuple(range(nl)) + (nl, nl + 2, nl + 4, nl + 1, nl + 3)
    out = xp_of(input).ascontiguousarray(a.transpose(perm)).reshape(
        lead + (c * r * r, h // r, w // r))
    return make(out, (input,), "PixelUnshuffleBackward0",
                lambda ctx, g: (pixel_shuffle(g, r),))
