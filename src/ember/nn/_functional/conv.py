"""Convolutions: ``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d``.

One primitive, :func:`convolution`, serves them all (PyTorch's node is
``ConvolutionBackward0`` for every variant).  The forward pass is *im2col*:
a strided view lays every receptive field of the (padded) input side by side,
one copy makes it contiguous, and one matmul with the weight gives the output.
The backward pass computes the weight gradient as ``grad @ cols.T`` (one more
matmul) and the input gradient by *col2im*: ``weight.T @ grad`` added back
where each column was read from, a loop over the kernel positions adding
strided slabs (no scatter-add).  A transposed convolution is that
input-gradient computation run forward, so both directions share the same
array routines.

Layout.  Columns are channel-major, ``(C, *kernel, N, *grid)``, so the
product with the weight ``(O, C*K)`` covers the whole batch in one BLAS call.
When the last stride is 1 the grid is *wide*: each output row is computed for
every column of the padded input (the surplus ``dilation*(k-1)`` columns are
dropped afterwards).  Then each column slab is one contiguous run of the
padded input, so the im2col copy and the col2im adds stream through memory.
The batch goes through a few images at a time to keep all of this in cache.
For gradients of gradients (``create_graph=True``) the backward pass is
written with :func:`convolution` itself instead (see :func:`_graph_grads`).
"""
from __future__ import annotations

import math
from ember._warnings import warn_once

import numpy as np

from ... import _dtype as D
from ..._ops import _onednn_conv, _onednn_deconv
from ..._ops._core import make, same_device, shown_as, suggests_channels_last, xp_of
from ..._argparse import with_int_args
from ..._ops._core import _arg_desc, _kwargs_in_torch_order, exact_values, tp_name
from ..._tensor import Tensor
from ...amp import autocast_mode as _amp
from ...autograd.grad_mode import STATE
from ...backends import get_float32_matmul_precision

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

_LOW = ("float16", "bfloat16")


# -- array routines -------------------------------------------------------------

class _Plan:
    """Where the windows of one convolution lie.

    ``in_sp``: spatial input size; ``padded``: with padding; ``out``: output size;
    ``grid``: the computed output grid (``out`` with the last dim widened to the
    padded width when that makes each window row contiguous); ``tail``: elements a
    wide grid reads past the end of the padded buffer.

    NOTE: a wide grid's surplus columns read the start of the next row.  They are
    dropped from the output and meet zero gradients in the weight gradient, so an
    infinite input value can turn into NaN (0 * inf) in weight-gradient entries where
    PyTorch would have a finite value; finite inputs give PyTorch's numbers.
    """

    __slots__ = ("in_sp", "k", "stride", "pad", "dil", "padded", "out", "grid", "wide", "tail")

    def __init__(self, in_sp, k, stride, pad, dil, wide=True):
        self.in_sp, self.k, self.stride, self.pad, self.dil = in_sp, k, stride, pad, dil
        self.padded = tuple(i + 2 * p for i, p in zip(in_sp, pad, strict=True))
        self.out = tuple((P - d * (kk - 1) - 1) // s + 1
                         for P, kk, s, d in zip(self.padded, k, stride, dil, strict=True))
        rows = math.prod(self.out[:-1])
        self.wide = (wide and len(in_sp) > 1 and stride[-1] == 1 and rows > 1
                     and self.padded[-1] < 2 * self.out[-1])
        self.grid = self.out[:-1] + ((self.padded[-1],) if self.wide else (self.out[-1],))
        self.tail = dil[-1] * (k[-1] - 1) if self.wide else 0


def _padded_buffer(xp, x, plan):
    """``x`` zero-padded, as a flat buffer (plus ``plan.tail`` spare zeros), its shape and
    strides."""
    n, c = x.shape[:2]
    shape = (n, c) + plan.padded
    if not plan.tail and not any(plan.pad):
        return x, x.shape, x.strides
    size = math.prod(shape)
    buf = xp.zeros(size + plan.tail, dtype=x.dtype)
    view = buf[:size].reshape(shape)
    view[_interior(plan)] = x
    return buf, shape, view.strides


def _interior(plan):
    """The index of the unpadded input inside the padded buffer."""
    return (Ellipsis,) + tuple(slice(p, p + i)
                               for p, i in zip(plan.pad, plan.in_sp, strict=True))


def _window_strides(strides, plan):
    sp = strides[2:]
    return (tuple(d * s for d, s in zip(plan.dil, sp, strict=True)),
            tuple(st * s for st, s in zip(plan.stride, sp, strict=True)))


def im2col(xp, x, plan, batch_major=False):
    """The columns of input array ``x`` ``(N, C, *S)``, contiguous.

    Channel-major ``(C, *kernel, N, *grid)`` by default: then ``weight @ cols`` is one
    matmul over batch and positions.  ``batch_major=True`` gives ``(N, C, *kernel, *grid)``
    (what ``unfold`` returns).
    """
    buf, shape, strides = _padded_buffer(xp, x, plan)
    kstr, gstr = _window_strides(strides, plan)
    n, c = shape[:2]
    if batch_major:
        vshape, vstrides = (n, c) + plan.k + plan.grid, strides[:2] + kstr + gstr
    else:
        vshape = (c,) + plan.k + (n,) + plan.grid
        vstrides = (strides[1],) + kstr + (strides[0],) + gstr
    return xp.ascontiguousarray(xp.lib.stride_tricks.as_strided(buf, vshape, vstrides))


class _Col2Im:
    """A zeroed padded buffer for ``n`` images that columns are added into, chunk by chunk.

    Each :meth:`add` loops over the kernel positions, adding one strided slab per
    position (no scatter-add); :meth:`result` crops the padding off.
    """

    def __init__(self, xp, n, c, plan, dtype):
        self.xp, self.plan, self.n, self.c = xp, plan, n, c
        self.shape = (n, c) + plan.padded
        self.size = math.prod(self.shape)
        self.buf = xp.zeros(self.size + plan.tail, dtype=dtype)
        self.strides = self.buf[:self.size].reshape(self.shape).strides
        self.kstr, self.gstr = _window_strides(self.strides, plan)

    def add(self, cols, n0=0, batch_major=False):
        xp, plan, st = self.xp, self.plan, self.strides
        item = self.buf.itemsize
        if batch_major:
            m = cols.shape[0]
            vshape, vstrides = (m, self.c) + plan.grid, st[:2] + self.gstr
        else:
            m = cols.shape[1 + len(plan.k)]
            vshape, vstrides = (self.c, m) + plan.grid, (st[1], st[0]) + self.gstr
        base = n0 * st[0] // item
        for kk in np.ndindex(*plan.k):
            off = base + sum(i * s for i, s in zip(kk, self.kstr, strict=True)) // item
            view = xp.lib.stride_tricks.as_strided(self.buf[off:], vshape, vstrides)
            view += cols[(slice(None), slice(None)) + kk] if batch_major else \
                cols[(slice(None),) + kk]

    def result(self):
        out = self.buf[:self.size].reshape(self.shape)
        if any(self.plan.pad):
            out = self.xp.ascontiguousarray(out[_interior(self.plan)])
        return out


def col2im(xp, cols, plan, batch_major=False):
    """The adjoint of :func:`im2col`: add each column back where it was read from."""
    nk = len(plan.k)
    n, c = (cols.shape[0], cols.shape[1]) if batch_major else (cols.shape[1 + nk], cols.shape[0])
    acc = _Col2Im(xp, n, c, plan, cols.dtype)
    acc.add(cols, 0, batch_major)
    return acc.result()


def _to_grid(xp, g, plan):
    """``(N, O, *out)`` -> ``(O, N, *grid)``: channel-major, zeros in any surplus columns."""
    n, o = g.shape[:2]
    if plan.wide:
        out = xp.zeros((o, n) + plan.grid, dtype=g.dtype)
        out[..., :plan.out[-1]] = g.swapaxes(0, 1)
        return out
    return xp.ascontiguousarray(g.swapaxes(0, 1))


def _from_grid(xp, a, plan, out, bias=None):
    """Store ``(O, N, *grid)`` into ``out`` ``(N, O, *out)``, adding ``bias`` on the way."""
    src = a.swapaxes(0, 1)
    if plan.wide:
        src = src[..., :plan.out[-1]]
    if bias is None:
        out[...] = src
    else:
        xp.add(src, bias.reshape((-1,) + (1,) * (a.ndim - 2)), out=out)


# NOTE: the batch is processed a few images at a time so that each chunk's columns
# (im2col's copy, the matmul's operands and col2im's adds) stay in the CPU caches;
# on a 2-core machine this took the conv net from about 80 to 60 ms.
_CHUNK_BYTES = 3 << 20


def _chunks(n, per_image_bytes):
    step = max(1, _CHUNK_BYTES // max(per_image_bytes, 1))
    return [(i, min(n, i + step)) for i in range(0, n, step)]


def _wmat(w, groups, transpose=False):
    """The weight ``(O, C/g, *K)`` as ``(g, O/g, C/g * K)`` (or its transpose)."""
    m = w.reshape(groups, w.shape[0] // groups, math.prod(w.shape[1:]))
    return m.transpose(0, 2, 1) if transpose else m


def conv_forward(xp, x, w, plan, groups, bias=None):
    """``W @ im2col(x)``: input ``(N, C, *S)`` -> output ``(N, O, *out)``."""
    n, o = x.shape[0], w.shape[0]
    L = math.prod(plan.grid)
    wm = _wmat(w, groups)
    out = xp.empty((n, o) + plan.out, dtype=x.dtype)
    for n0, n1 in _chunks(n, x.shape[1] * math.prod(plan.k) * L * x.itemsize):
        cols = im2col(xp, x[n0:n1], plan)
        y = xp.matmul(wm, cols.reshape(groups, wm.shape[2], (n1 - n0) * L))
        _from_grid(xp, y.reshape((o, n1 - n0) + plan.grid), plan, out[n0:n1], bias)
    return out


def conv_backward(xp, x, g, w, plan, groups, need_x, need_w):
    """Input and weight gradients of ``conv_forward`` for output gradient ``g``.

    Per chunk of images: ``col2im(W.T @ g)`` for the input and ``g @ im2col(x).T``
    (summed over chunks) for the weight.
    """
    n, c = g.shape[0], w.shape[1] * groups
    L = math.prod(plan.grid)
    og = w.shape[0] // groups
    acc = _Col2Im(xp, n, c, plan, g.dtype) if need_x else None
    gw = xp.zeros((groups, og, math.prod(w.shape[1:])), dtype=g.dtype) if need_w else None
    wt = _wmat(w, groups, transpose=True)
    for n0, n1 in _chunks(n, c * math.prod(plan.k) * L * g.itemsize):
        m = n1 - n0
        g_t = _to_grid(xp, g[n0:n1], plan).reshape(groups, og, m * L)
        if need_x:
            cols = xp.matmul(wt, g_t)
            acc.add(cols.reshape((c,) + plan.k + (m,) + plan.grid), n0)
        if need_w:
            cols = im2col(xp, x[n0:n1], plan)
            gw += xp.matmul(g_t, cols.reshape(groups, -1, m * L).transpose(0, 2, 1))
    return (acc.result() if need_x else None), (gw.reshape(w.shape) if need_w else None)


def conv_transpose_forward(xp, x, w, plan, groups, bias=None):
    """``col2im(W.T @ x)``: the transposed convolution of ``x`` ``(N, C_in, *S)``."""
    n = x.shape[0]
    cin = w.shape[0]
    cout = w.shape[1] * groups
    L = math.prod(plan.grid)
    acc = _Col2Im(xp, n, cout, plan, x.dtype)
    wt = _wmat(w, groups, transpose=True)
    for n0, n1 in _chunks(n, cout * math.prod(plan.k) * L * x.itemsize):
        m = n1 - n0
        x_t = _to_grid(xp, _fit(xp, x[n0:n1], plan.out), plan).reshape(groups, cin // groups,
                                                                         m * L)
        cols = xp.matmul(wt, x_t)
        acc.add(cols.reshape((cout,) + plan.k + (m,) + plan.grid), n0)
    out = acc.result()
    if bias is not None:
        out += bias.reshape((-1,) + (1,) * len(plan.k))
    return out


def conv_transpose_backward(xp, x, g, w, plan, groups, need_x, need_w):
    """Gradients of ``conv_transpose_forward``: ``dx = W @ im2col(dy)``,
    ``dW = x @ im2col(dy).T``."""
    n, cin = x.shape[0], w.shape[0]
    L = math.prod(plan.grid)
    wm = _wmat(w, groups)
    gx = xp.empty((n, cin) + tuple(x.shape[2:]), dtype=g.dtype) if need_x else None
    gw = xp.zeros(wm.shape, dtype=g.dtype) if need_w else None
    for n0, n1 in _chunks(n, g.shape[1] * math.prod(plan.k) * L * g.itemsize):
        m = n1 - n0
        gcols = im2col(xp, g[n0:n1], plan).reshape(groups, wm.shape[2], m * L)
        if need_x:
            y = xp.matmul(wm, gcols).reshape((cin, m) + plan.grid)
            full = xp.empty((m, cin) + plan.out, dtype=g.dtype)
            _from_grid(xp, y, plan, full)
            gx[n0:n1] = _fit(xp, full, x.shape[2:])
        if need_w:
            x_t = _to_grid(xp, _fit(xp, x[n0:n1], plan.out), plan)
            gw += xp.matmul(x_t.reshape(groups, cin // groups, m * L), gcols.transpose(0, 2, 1))
    return gx, (gw.reshape(w.shape) if need_w else None)


# -- the primitive ------------------------------------------------------------------

def _compute_dtype(a):
    return np.float32 if a.dtype.name in _LOW else None


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    """PyTorch's ``torch.convolution``: every convolution variant, one node.

    Shapes: input ``(N, C_in, *S)``; weight ``(C_out, C_in/groups, *K)`` or, transposed,
    ``(C_in, C_out/groups, *K)``; all int arguments are tuples of one value per spatial
    dim.  Arguments are assumed checked (see :func:`_check`).
    """
    same_device(input, weight, bias)
    if not input.numel() and (input.dtype is not weight.dtype or (
            bias is not None and bias.dtype is not input.dtype)):
        # as PyTorch: an empty input runs no kernel, its output's dtype promoted as
        # ``input * weight[0] + bias[0]`` is
        dt = D._combine(input.dtype, weight.dtype)  # (a tensor's and a 0-d one's dtypes)
        if bias is not None:
            dt = D._combine(dt, bias.dtype)
        return convolution(input.to(dt), weight.to(dt), None if bias is None else bias.to(dt),
                           stride, padding, dilation, transposed, output_padding, groups)
    if not transposed:
        _check_kernel_dtype(input, len(stride), any(d != 1 for d in dilation))
    xp = xp_of(input)
    x, w = input._data, weight._data
    low = _compute_dtype(x)
    if low is not None:
        x, w = x.astype(low), w.astype(low)
    k = tuple(weight.shape[2:])
    b = None if bias is None else bias._data.astype(x.dtype, copy=False)
    if not transposed:
        plan = _Plan(tuple(input.shape[2:]), k, stride, padding, dilation)
        out = None if low is not None else \
            _exact_forward(x, w, b, stride, padding, dilation, groups)
        if out is None:
            out = conv_forward(xp, x, w, plan, groups, b)
    else:
        out_sp = tuple((i - 1) * s - 2 * p + d * (kk - 1) + op + 1 for i, s, p, d, kk, op
                       in zip(input.shape[2:], stride, padding, dilation, k, output_padding,
                              strict=True))
        plan = _Plan(out_sp, k, stride, padding, dilation)
        out = None if low is not None else \
            _exact_transpose_forward(x, w, b, stride, padding, output_padding, dilation, groups)
        if out is None:
            out = conv_transpose_forward(xp, x, w, plan, groups, b)
    if low is not None:
        out = out.astype(input._data.dtype)
    args = (stride, padding, dilation, transposed, output_padding, groups)
    return make(out, (input, weight, bias), "ConvolutionBackward0", _convolution_rule,
                input, weight, plan, args)


def _check_kernel_dtype(input, nsp, dilated):
    """PyTorch's CPU kernels' refusals of a dtype: bool and the wide unsigned ones in all, and
    every integer type but int64 in the dilated one."""
    dt = input.dtype
    if dt.is_floating_point or dt.is_complex or dt.name == "int64" or not dilated and \
            dt.name not in ("bool", "uint16", "uint32", "uint64") or input.numel() == 0:
        # (no kernel runs for an empty input)
        return
    from ..._ops._core import _legacy

    kernel = '"slow_conv_dilated<>"' if dilated else \
        '"compute_columns3d"' if nsp == 3 else '"slow_conv2d_cpu"'
    raise NotImplementedError(f"{kernel} not implemented for '{_legacy(dt)}'")


def _exact_forward(x, w, b, stride, padding, dilation, groups):
    """A float32 conv1d/conv2d forward in PyTorch's summation order (oneDNN's, or its own
    im2col and MKL's) where ``ember._ops._onednn_conv`` knows it, else None."""
    if not _exact_arrays(x, w):
        return None
    if x.ndim == 3:  # (PyTorch runs conv1d as conv2d over one row)
        x, w, stride, padding, dilation = _as_rows(x, w, stride, padding, dilation)
        out = _onednn_conv.conv2d(x, w, b, stride, padding, dilation, groups)
        return None if out is None else out[:, :, 0]
    return _onednn_conv.conv2d(x, w, b, stride, padding, dilation, groups)


def _exact_arrays(x, w, *more):
    """Whether a float32 convolution of input ``x`` and weight ``w`` (and ``more`` arrays)
    may follow PyTorch's CPU order: not where either is channels-last (PyTorch then runs
    oneDNN's channels-last kernels, which sum in other orders: not mapped)."""
    arrays = (x, w) + more
    return all(type(a) is np.ndarray and a.dtype == np.float32 and a.size for a in arrays) \
        and x.ndim in (3, 4) and get_float32_matmul_precision() == "highest" and \
        not (suggests_channels_last(x) or suggests_channels_last(w))


def _as_rows(x, w, stride, padding, dilation, *extra):
    """A conv1d's operands as PyTorch runs them: a conv2d over one row."""
    return (x[:, :, None], w[:, :, None], (1,) + stride, (0,) + padding, (1,) + dilation) + \
        tuple((0,) + e for e in extra)


def _exact_transpose_forward(x, w, b, stride, padding, output_padding, dilation, groups):
    """A float32 conv_transpose1d/2d forward in PyTorch's order (oneDNN's deconvolution,
    ``ember._ops._onednn_deconv``) where it is known (or where only its threads' width split
    is in question, its likelier order: ``_onednn_deconv.width_guess``), else None."""
    if groups != 1 or not _exact_arrays(x, w) or dilation != (1,) * len(dilation):
        return None
    if x.ndim == 3:
        x, w, stride, padding, _, output_padding = _as_rows(x, w, stride, padding, dilation,
                                                            output_padding)
        out = _onednn_deconv.forward(x, w, b, stride, padding, output_padding, guess=True)
        return None if out is None else out[:, :, 0]
    return _onednn_deconv.forward(x, w, b, stride, padding, output_padding, guess=True)


def _exact_backward(x, g, w, args, nx, nw, nb):
    """(input, weight, bias) gradients of a float32 conv1d/conv2d (oneDNN's backward passes,
    ``ember._ops._onednn_conv``) or conv_transpose1d/2d (oneDNN's deconvolution,
    ``ember._ops._onednn_deconv``) in PyTorch's summation order where it is known; None in
    each place it is not (or not asked for)."""
    stride, padding, dilation, transposed, output_padding, groups = args
    if not any((nx, nw, nb)) or not _exact_arrays(x, w, g) or \
            transposed and (groups != 1 or dilation != (1,) * len(dilation)):
        return None, None, None
    row = x.ndim == 3  # (PyTorch runs conv1d as conv2d over one row)
    if row:
        x, w, stride, padding, dilation, output_padding = _as_rows(
            x, w, stride, padding, dilation, output_padding)
        g = g[:, :, None]
    if transposed:
        conf = (stride, padding, output_padding)
        D = _onednn_deconv
        fx, fw, fb = D.grad_input, D.grad_weight, D.grad_bias
    else:
        conf = (stride, padding, dilation, groups)
        O = _onednn_conv
        fx, fw, fb = O.conv2d_grad_input, O.conv2d_grad_weight, O.conv2d_grad_bias
    gx = fx(g, w, x.shape, *conf) if nx else None
    if nw and nb and not transposed:  # (one pass: the bias rides on the weights' chains)
        gw, gb = O.conv2d_grad_weight_bias(x, g, w.shape, *conf)
    else:
        gw = fw(x, g, w.shape, *conf) if nw else None
        gb = fb(g, x.shape, w.shape, *conf) if nb else None
    if row:
        gx = None if gx is None else gx[:, :, 0]
        gw = None if gw is None else gw[:, :, 0]
    return gx, gw, gb


def _fit(xp, a, size):
    """Crop or zero-extend the spatial dims of ``a`` to ``size``."""
    if tuple(a.shape[2:]) == tuple(size):
        return a
    out = xp.zeros(a.shape[:2] + tuple(size), dtype=a.dtype)
    region = tuple(slice(0, min(i, s)) for i, s in zip(a.shape[2:], size, strict=True))
    out[(Ellipsis,) + region] = a[(Ellipsis,) + region]
    return out


@exact_values
def _convolution_rule(ctx, g):
    x, w, plan, args = ctx.saved
    transposed, groups = args[3], args[5]
    nx, nw, nb = ctx.needs_input_grad
    if STATE.enabled:  # create_graph: build the gradients from differentiable ops
        gx, gw = _graph_grads(g, x, w, args, nx, nw)
        # (shown as PyTorch's one double-backward node of the gradient, input and weight)
        return tuple(shown_as(r, "ConvolutionBackwardBackward0", (x, w))
                     for r in (gx, gw, _bias_grad(g) if nb else None))
    ga, wa, xa = g._data, w._data, x._data
    gx, gw, gb = _exact_backward(xa, ga, wa, args, nx, nw, nb)
    gb = _bias_grad(g) if nb and gb is None else None if gb is None else _wrap_like(gb, g)
    if (nx and gx is None) or (nw and gw is None):
        xp = xp_of(g)
        low = _compute_dtype(ga)
        if low is not None:
            ga, wa, xa = ga.astype(low), wa.astype(low), xa.astype(low)
        backward = conv_transpose_backward if transposed else conv_backward
        gx2, gw2 = backward(xp, xa, ga, wa, plan, groups, nx and gx is None, nw and gw is None)
        gx = gx2 if gx is None else gx
        gw = gw2 if gw is None else gw
    dt = g._data.dtype
    gx = None if gx is None else _wrap_like(gx.astype(dt, copy=False), g)
    gw = None if gw is None else _wrap_like(gw.astype(dt, copy=False), g)
    return gx, gw, gb


def _bias_grad(g):
    return g.sum((0,) + tuple(range(2, g.dim())))


def _wrap_like(a, ref):
    from ..._ops._core import wrap

    return wrap(a, ref._device)


def _graph_grads(g, x, w, args, nx, nw):
    """Input and weight gradients as convolutions, so that they can be differentiated again."""
    stride, padding, dilation, transposed, output_padding, groups = args
    k = tuple(w.shape[2:])
    gx = gw = None
    if not transposed:
        if nx:
            op = tuple(i - ((o - 1) * s - 2 * p + d * (kk - 1) + 1) for i, o, s, p, d, kk
                       in zip(x.shape[2:], g.shape[2:], stride, padding, dilation, k, strict=True))
            gx = convolution(g, w, None, stride, padding, dilation, True, op, groups)
        if nw:
            gw = _weight_grad_as_conv(x, g, k, stride, padding, dilation, groups)
    else:
        if nx:
            gx = convolution(g, w, None, stride, padding, dilation, False, (0,) * len(k), groups)
            for d, size in enumerate(x.shape[2:]):
                if gx.shape[2 + d] != size:
                    gx = gx.narrow(2 + d, 0, size)
        if nw:
            gw = _weight_grad_as_conv(g, x, k, stride, padding, dilation, groups)
    return gx, gw


def _weight_grad_as_conv(inp, gout, k, stride, padding, dilation, groups):
    """``dW[o, c, k] = sum_{n,l} gout[n, o, l] * inp_padded[n, c, l*stride + k*dilation]``.

    That sum is itself a convolution of ``inp`` (batch and channel swapped) with ``gout`` as
    the kernel, stride and dilation exchanged.  Groups are folded into the batch-as-channel
    dim so one grouped convolution does it.
    """
    n, c = inp.shape[:2]
    o = gout.shape[1]
    nsp = len(k)
    sp = tuple(range(3, 3 + nsp))
    xi = inp.reshape((n, groups, c // groups) + tuple(inp.shape[2:])).permute(2, 1, 0, *sp)
    xi = xi.reshape((c // groups, groups * n) + tuple(inp.shape[2:]))
    gi = gout.reshape((n, groups, o // groups) + tuple(gout.shape[2:])).permute(1, 2, 0, *sp)
    gi = gi.reshape((o, n) + tuple(gout.shape[2:]))
    r = convolution(xi, gi, None, dilation, padding, stride, False, (0,) * nsp, groups)
    for d, size in enumerate(k):
        if r.shape[2 + d] != size:
            r = r.narrow(2 + d, 0, size)
    return r.transpose(0, 1)


# -- argument handling -------------------------------------------------------------

def _tuple(v, n, name):
    if isinstance(v, (list, tuple)):
        vals = list(v)
    else:
        vals = [v]
    for a in vals:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"argument '{name}' must be tuple of ints, but found element of "
                            f"type {type(a).__name__}")
    if len(vals) == 1:
        vals = vals * n
    if len(vals) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={list(v) if isinstance(v, (list, tuple)) else [v]}")
    return tuple(int(a) for a in vals)


def _widen(v, n):
    return (v,) * n if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else v


_CLASSIC = ("Float", "Double", "Half", "Byte", "Char", "Short", "Int", "Long")


def _type_name(t):
    """PyTorch's name for a tensor's type in its messages: the legacy class for the classic
    dtypes (``torch.FloatTensor``), the backend's type name for the rest (``CPUBoolType``)."""
    from ..._ops._core import _legacy

    name = _legacy(t.dtype)
    return f"torch.{name}Tensor" if name in _CLASSIC else f"CPU{name}Type"


def _check(name, input, weight, bias, stride, padding, dilation, groups, transposed,
           output_padding=0):
    """PyTorch's argument checks; returns the normalised tuples."""
    nsp = weight.dim() - 2
    if nsp < 1:
        raise RuntimeError("weight should have at least three dimensions")
    stride = _tuple(stride, nsp, "stride")
    padding = padding if isinstance(padding, str) else _tuple(padding, nsp, "padding")
    dilation = _tuple(dilation, nsp, "dilation")
    output_padding = _tuple(output_padding, nsp, "output_padding")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'groups' must be int, not {type(groups).__name__}")
    # NOTE: PyTorch checks the bias first; an input/weight mismatch only after the shapes,
    # worded by the kernel it picks (below)
    if not transposed and bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({_ctype(input)}) and bias type ({_ctype(bias)}) "
                           "should be the same")
    # (PyTorch's order: groups, padding, output_padding, stride, dilation)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if not isinstance(padding, str) and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if transposed and any(op < 0 for op in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    # (a zero dilation of a convolution of a batch of two or more: PyTorch's refusal after
    # the shape checks; of one sample, the one below)
    zero_dilation = not transposed and input.dim() > 1 and input.shape[0] > 1 and \
        0 in dilation
    if any(d == 0 for d in dilation) and not zero_dilation:
        # (a 1-d convolution runs as a 2-d one of height 1, which shows in the messages)
        ks, ds = list(weight.shape[2:]), list(dilation)
        if nsp == 1:
            ks, ds = [1] + ks, [1] + ds
        if any(k <= 0 for k in ks) and not (transposed and nsp == 3):
            if transposed and nsp < 3:
                _check_kernel(weight, nsp)
            raise RuntimeError(f"kernel size should be greater than zero, but got {ks}")
        if transposed:
            ds = ", ".join(f"dilation_{n}: {v}"
                           for n, v in zip(_axis_names(len(ds)), ds, strict=True))
        raise RuntimeError(f"dilation should be greater than zero, but got {ds}")
    if input.dim() != nsp + 2:
        if name[-2:-1].isdigit() and input.dim() in (int(name[-2]) + 1, int(name[-2]) + 2):
            # (the function's rank is right, the weight's is not: PyTorch's shape check, with
            # an unbatched input shown batched)
            shape = [1] * (input.dim() == int(name[-2]) + 1) + list(input.shape)
            raise RuntimeError(f"Expected {nsp + 2}-dimensional input for {nsp + 2}-dimensional "
                               f"weight {list(weight.shape)}, but got {len(shape)}-dimensional "
                               f"input of size {shape} instead")
        raise RuntimeError(f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    ws = list(weight.shape)
    if weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {ws} instead")
    if weight.shape[0] % groups:  # (PyTorch's message shows the size in double brackets)
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{ws}] instead")
    cin = weight.shape[0] if transposed else weight.shape[1] * groups
    if input.shape[1] != cin:
        if not transposed and input.is_meta:  # (PyTorch's meta kernel's words)
            raise RuntimeError("Invalid channel dimensions")
        what = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {what}, weight of size {ws}, expected input"
                           f"{list(input.shape)} to have {cin} channels, but got "
                           f"{input.shape[1]} channels instead")
    cout = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != cout):
        what = "transposed=1, " if transposed else ""
        raise RuntimeError(f"Given {what}weight of size {ws}, expected bias to be 1-dimensional "
                           f"with {cout} elements, but got bias of size {list(bias.shape)} "
                           "instead")
    if zero_dilation:
        raise RuntimeError("non-positive dilation is not supported")
    _check_kernel(weight, nsp)
    if transposed:
        onednn = _onednn(input, weight, stride, dilation, groups, output_padding, True)
        if input.numel():  # (an empty input runs no kernel: any dtypes, promoted)
            _check_transposed_dtypes(input, weight, bias, nsp, onednn)
        if any(op >= s and op >= d
               for op, s, d in zip(output_padding, stride, dilation, strict=True)):
            names = _axis_names(nsp)
            parts = " ".join(f"{what}_{n}: {v}"
                             for what, vals in (("output_padding", output_padding),
                                                ("stride", stride), ("dilation", dilation))
                             for n, v in zip(names, vals, strict=True))
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got {parts}")
        sizes = [(i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in zip(
            input.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding,
            strict=True)]
        if onednn and any(n < 0 for n in sizes):  # (an empty output is fine there)
            raise RuntimeError("could not construct a memory descriptor using a format tag")
        if not onednn and any(n <= 0 for n in sizes):
            lead = [1] * (nsp == 1)  # (a 1-d one is computed as 2-d)
            raise RuntimeError(
                "Given input size per channel: "
                f"({' x '.join(map(str, lead + list(input.shape[2:])))}). Calculated output size "
                f"per channel: ({' x '.join(map(str, lead + sizes))}). Output size is too small")
    elif not isinstance(padding, str):
        padded = [i + 2 * p for i, p in zip(input.shape[2:], padding, strict=True)]
        eff = [d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:], strict=True)]
        if any(p < e for p, e in zip(padded, eff, strict=True)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater "
                "than actual input size")
        if input.dtype is not weight.dtype and input.numel():  # (a padding string: checked
            # once resolved; an empty input runs no kernel)
            if input.dtype.is_complex:  # (PyTorch's complex path checks this itself)
                raise RuntimeError(f"Input type ({_type_name(input)}) and weight type "
                                   f"({_type_name(weight)}) should be the same")
            if not _onednn(input, weight, stride, dilation, groups):
                from ..._ops._core import _legacy

                _check_kernel_dtype(input, nsp, any(d != 1 for d in dilation))  # (first)
                raise RuntimeError(f"expected scalar type {_legacy(input.dtype)} but found "
                                   f"{_legacy(weight.dtype)}")
            raise RuntimeError(f"Input type ({_type_name(input)}) and weight type "
                               f"({_type_name(weight)}) should be the same or input should be "
                               "a MKLDNN tensor and weight is a dense tensor")
    if not input.numel() and input.shape[0] and input.shape[1]:
        shape = list(input.shape)
        if nsp == 1:  # (a 1-d convolution runs as a 2-d one of height 1)
            shape.insert(2, 1)
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got input "
                           f"shape: {shape}")
    return stride, padding, dilation, output_padding, int(groups)


def _onednn(input, weight, stride, dilation, groups, output_padding=(), transposed=False):
    """Whether PyTorch's ``use_mkldnn`` sends this (batched) convolution to oneDNN, whose
    checks word a dtype mismatch "Input type (...) and weight type (...) should be the same
    or input should be a MKLDNN tensor ..." (its reference kernels: "expected scalar type")."""
    if transposed and any(o >= s for o, s in zip(output_padding, stride, strict=True)):
        return False
    if input.dtype.name != "float32":
        # NOTE: PyTorch's oneDNN takes bfloat16 on AVX-512 processors, and float16 too on
        # those with AVX512-FP16 (its mkldnn_bf16/fp16_device_check)
        from ... import _cpuinfo

        flags = _cpuinfo.first("flags", "").split()
        if input.dtype.name == "bfloat16":
            return not flags or {"avx512bw", "avx512vl", "avx512dq"} <= set(flags)
        return input.dtype.name == "float16" and "avx512_fp16" in flags
    from ..._ops import _mkl_gemm, _onednn_conv

    shape, ks = list(input.shape), list(weight.shape[2:])
    if len(ks) == 1:  # (a 1-d convolution runs as a 2-d one of height 1)
        shape.insert(2, 1)
        ks.insert(0, 1)
    n, c, h, w = (shape + [1] * 4)[:4]
    return _onednn_conv._uses_onednn(n, c, h, w, ks[-2], ks[-1], any(v != 1 for v in stride),
                                     any(v != 1 for v in dilation), groups,
                                     _mkl_gemm._threads(None))


def _check_kernel(weight, nsp):
    if any(k <= 0 for k in weight.shape[2:]):
        ks = list(weight.shape[2:])
        if nsp == 3:
            raise RuntimeError(f"kernel size should be greater than zero, but got: "
                               f"{' x '.join(map(str, ks))} (TxHxW)")
        ks = [1] * (2 - nsp) + ks
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{ks[0]} kernel_width: {ks[1]}")


def _check_transposed_dtypes(input, weight, bias, nsp, onednn):
    """A transposed convolution's kernel takes floating types and int64, one dtype for input
    and weight; the bias is added afterwards (with type promotion), except in oneDNN's."""
    from ..._ops._core import _legacy

    if input.dtype.is_complex and input.dtype is not weight.dtype:  # (PyTorch's complex path)
        raise RuntimeError(f"Input type ({_type_name(input)}) and weight type "
                           f"({_type_name(weight)}) should be the same")
    if not input.dtype.is_floating_point and not input.dtype.is_complex and \
            input.dtype.name != "int64":
        raise NotImplementedError(f'"slow_conv_transpose{max(nsp, 2)}d_out_cpu" not implemented '
                                  f"for '{_legacy(input.dtype)}'")
    if input.dtype is not weight.dtype:
        if onednn:
            raise RuntimeError(f"Input type ({_type_name(input)}) and weight type "
                               f"({_type_name(weight)}) should be the same or input should be a "
                               "MKLDNN tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {_legacy(input.dtype)} but found "
                           f"{_legacy(weight.dtype)}")
    if onednn and bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({_type_name(input)}) and bias type ({_type_name(bias)}) "
                           "should be the same or input should be a MKLDNN tensor and bias is a "
                           "dense tensor")
    if nsp == 3 and bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(input.dtype)} but found "
                           f"{_legacy(bias.dtype)}")
    if bias is not None and not input.dtype.is_floating_point and (
            bias.dtype.is_floating_point or bias.dtype.is_complex):
        raise RuntimeError(f"result type {_legacy(bias.dtype)} can't be cast to the desired "
                           f"output type {_legacy(input.dtype)}")


def _axis_names(nsp):
    return {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}[nsp]


def _ctype(t):
    return D.cpp_name(t.dtype)


_CONV_SIGNATURES = ("(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, "
                    "tuple of ints padding = 0, tuple of ints dilation = 1, int groups = 1)",
                    "(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, "
                    "str padding = \"valid\", tuple of ints dilation = 1, int groups = 1)")


def _conv_arg_error(name, args):
    """PyTorch's message for a convolution given a non-tensor (a NumPy array, a list): no
    overload matches.  The arguments at the end that are all their defaults are taken as
    not given (a layer passes tuples); with all seven given, each overload's line marks
    those that are not the very type of its parameter (its parser's types: only a plain
    ``Tensor`` input, weight or bias passes)."""
    n = len(args)
    while n > 2 and not any(type(a) is tuple for a in args[3:6]) and (
            args[n - 1] is None if n == 3 else
            type(args[n - 1]) is int and args[n - 1] == (1, 0, 1, 1)[n - 4]):
        n -= 1
    args = args[:n]
    lines = [f"{name}() received an invalid combination of arguments - got "
             f"({', '.join(tp_name(a) for a in args)}), but expected one of:\n"]
    marks = ", ".join(_arg_desc(a) if i < 3 and tp_name(a) == "Tensor" else f"!{_arg_desc(a)}!"
                      for i, a in enumerate(args))
    for signature in _CONV_SIGNATURES:
        lines.append(f" * {signature}\n")
        if len(args) == 7:
            lines.append("      didn't match because some of the arguments have invalid types: "
                         f"({marks})\n")
    return "".join(lines)


def _conv_invalid(name):
    """PyTorch's message for a convolution call that fits neither of its signatures, each
    argument as given (positional or keyword): with seven given, each overload's line says
    why it was refused (the keywords given, or the arguments marked as above)."""
    def message(args, kwargs):
        kw = _kwargs_in_torch_order(kwargs)
        got = ", ".join([tp_name(a) for a in args] + [f"{k}={tp_name(v)}" for k, v in kw])
        lines = [f"{name}() received an invalid combination of arguments - got ({got}"
                 f"{', ' if kw and not args else ''}), but expected one of:\n"]
        marks = ", ".join(_arg_desc(a) if i < 2 and tp_name(a) == "Tensor" else
                          f"!{_arg_desc(a)}!" for i, a in enumerate(args))
        for signature in _CONV_SIGNATURES:
            lines.append(f" * {signature}\n")
            if len(args) + len(kw) != 7:
                continue
            if kw:
                lines.append("      didn't match because some of the keywords were incorrect: "
                             f"{', '.join(k for k, _ in kw)}\n")
            else:
                lines.append("      didn't match because some of the arguments have invalid "
                             f"types: ({marks})\n")
        return "".join(lines)
    return message


def _conv_parsed(nsp):
    """PyTorch's parser in front of ``conv{nsp}d``."""
    specs = [f"Tensor input, Tensor weight, Tensor? bias=None, SymInt[{nsp}] stride=1, {pad}, "
             f"SymInt[{nsp}] dilation=1, SymInt groups=1"
             for pad in (f"SymInt[{nsp}] padding=0", 'str padding="valid"')]
    return with_int_args(f"conv{nsp}d", specs, _conv_invalid(f"conv{nsp}d"))


def _conv_t_parsed(nsp):
    """PyTorch's parser in front of ``conv_transpose{nsp}d``."""
    k = f"SymInt[{nsp}]"
    return with_int_args(f"conv_transpose{nsp}d", [
        f"Tensor input, Tensor weight, Tensor? bias=None, {k} stride=1, {k} padding=0, "
        f"{k} output_padding=0, SymInt groups=1, {k} dilation=1"])


def _conv(name, nsp, input, weight, bias, stride, padding, dilation, groups):
    if _amp.ON:
        input, weight, bias = _amp.lower(input, weight, bias)
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor) or not (
            bias is None or isinstance(bias, Tensor)):
        raise TypeError(_conv_arg_error(name, [input, weight, bias, stride, padding, dilation,
                                               groups]))
    if not isinstance(padding, str) and bias is not None and bias.dtype is not input.dtype:
        # as PyTorch: conv{1,2,3}d check the bias dtype before the input's rank
        raise RuntimeError(f"Input type ({_ctype(input)}) and bias type ({_ctype(bias)}) "
                           "should be the same")
    if input.dim() not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    if padding == "same" and weight.dim() > 2 and weight.dim() != nsp + 2:
        # (PyTorch's padding='same' path checks the ranks first, batched, its own way)
        shape = [1] * (input.dim() == nsp + 1) + list(input.shape)
        raise RuntimeError(f"Expected {weight.dim()}-dimensional input for {weight.dim()}-"
                           f"dimensional weight{list(weight.shape)}, but got {len(shape)}-"
                           f"dimensional input of size {shape} instead")
    unbatched = input.dim() == nsp + 1 and weight.dim() == nsp + 2
    x = input.unsqueeze(0) if unbatched else input
    # PyTorch's argument parser widens ints to one value per dim of the function's name.
    stride, dilation = _widen(stride, nsp), _widen(dilation, nsp)
    padding = padding if isinstance(padding, str) else _widen(padding, nsp)
    if isinstance(padding, str) and padding not in ("same", "valid"):
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    stride, padding, dilation, op, groups = _check(name, x, weight, bias, stride, padding,
                                                   dilation, groups, False)
    if padding == "valid":
        padding = (0,) * len(stride)
        _check(name, x, weight, bias, stride, padding, dilation, groups, False)
    elif padding == "same":
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:], strict=True)]
        padding = tuple(t // 2 for t in total)
        if any(t % 2 for t in total):
            # NOTE: like PyTorch, an odd total pads one extra element on the right, as a
            # separate pad op (so the graph shows ConstantPadNdBackward0), and warns (once).
            warn_once("conv_same_pad", "Using padding='same' with even kernel lengths and odd "
                      "dilation may require a zero-padded copy of the input be created",
                      cpp="aten/src/ATen/native/Convolution.cpp:1101")
            from .spatial import pad

            extra = []
            for t in reversed(total):
                extra += [0, t % 2]
            x = pad(x, extra)
        _check(name, x, weight, bias, stride, padding, dilation, groups, False)
    out = convolution(x, weight, bias, stride, padding, dilation, False, (0,) * len(stride),
                      groups)
    return out.squeeze(0) if unbatched else out


def _conv_t(name, nsp, input, weight, bias, stride, padding, output_padding, groups, dilation):
    if _amp.ON:
        input, weight, bias = _amp.lower(input, weight, bias)
    for pos, (arg, t) in enumerate((("input", input), ("weight", weight)), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{tp_name(t)}")
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    if input.dim() not in (nsp + 1, nsp + 2):
        raise RuntimeError(f"Expected {nsp + 1}D (unbatched) or {nsp + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    unbatched = input.dim() == nsp + 1 and weight.dim() == nsp + 2
    x = input.unsqueeze(0) if unbatched else input
    stride, padding, dilation = _widen(stride, nsp), _widen(padding, nsp), _widen(dilation, nsp)
    output_padding = _widen(output_padding, nsp)
    stride, padding, dilation, output_padding, groups = _check(
        name, x, weight, bias, stride, padding, dilation, groups, True, output_padding)
    out = convolution(x, weight, bias, stride, padding, dilation, True, output_padding, groups)
    return out.squeeze(0) if unbatched else out


@_conv_parsed(1)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation).

    input ``(N, C_in, L)`` or ``(C_in, L)``; weight ``(C_out, C_in/groups, K)``;
    ``padding`` an int, a 1-tuple, ``'valid'`` or ``'same'``.
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@_conv_parsed(2)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation).

    input ``(N, C_in, H, W)`` or ``(C_in, H, W)``; weight ``(C_out, C_in/groups, kH, kW)``.

    >>> F.conv2d(ember.ones(1, 1, 4, 4), ember.ones(1, 1, 3, 3)).shape
    ember.Size([1, 1, 2, 2])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@_conv_parsed(3)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution: input ``(N, C_in, D, H, W)``, weight ``(C_out, C_in/groups, *K)``."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


@_conv_t_parsed(1)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of :func:`conv1d`; weight ``(C_in, C_out/groups, K)``."""
    return _conv_t("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding,
                   groups, dilation)


@_conv_t_parsed(2)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of :func:`conv2d` (a "deconvolution"); weight ``(C_in, C_out/groups, kH, kW)``.

    Output size per dim: ``(in - 1) * stride - 2 * padding + dilation * (k - 1) +
    output_padding + 1``.
    """
    return _conv_t("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding,
                   groups, dilation)


@_conv_t_parsed(3)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of :func:`conv3d`; weight ``(C_in, C_out/groups, kD, kH, kW)``."""
    return _conv_t("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding,
                   groups, dilation)
