"""PyTorch's float32 depthwise ``conv2d`` backward on the CPU (oneDNN's ``jit_dw``), bit for bit.

A depthwise convolution (``groups`` = C = O) runs, forward and backward, through oneDNN's
depthwise kernels (``jit_dw:avx512_core`` in ``ONEDNN_VERBOSE``; channels in blocks of 16,
padded).  Their summation orders, measured black-box against PyTorch 2.13 (1 and 2 threads;
random operands compared element by element with candidate orders emulated in exact float32
FMAs; which loops run where was read from oneDNN's open sources, in our own words here):

- Input gradient (``backward_data``, any kernel, stride and padding, undilated): each input
  position is one FMA chain from +0 over the kernel taps that reach it, kernel row then
  kernel column, both ascending.  The threads split images, channel blocks and input rows,
  never a sum.
- Weight gradient (``backward_weights``, only where oneDNN's depthwise kernel takes the
  shape: undilated, kernel width <= 3, column stride <= kernel width, each padding at most
  half its kernel side, a padding above 1 a multiple of its stride, and the input at least
  as tall as the kernel plus the top padding's offset on the row stride; otherwise oneDNN
  runs ``gemm:jit``, not reproduced).  Per thread one FMA chain from +0 per weight over
  its images; within an image the output rows go in blocks of 15, and within a block of
  rows, where the output has more than 30 columns, the columns go in blocks of 15 (the
  last one holding the rest, 15 more where the rest would not reach past the right
  padding): ``for row block: for column block: for row: for column``.  Taps in the
  padding are skipped.
- Bias gradient (same kernel): per thread one chain of rounded float32 adds from +0 over
  its images, output rows and columns in plain order.
- Threads (2): the channel blocks are split between them where there are at least two;
  with one block (C <= 16) the batch is, the first thread taking the larger half; the
  second thread's weight and bias sums are then added to the first's (one rounded add).

The input gradient is computed tap by tap in float64 rounded to float32 (exact FMAs, see
:func:`grad_input`), over blocks of images that stay in the cache (~1.75x faster than
:func:`ember._random._fma32` over the whole batch); the weight gradient's long chains go
through :func:`ember._ops._chain.outer_chain` (chained ``sgemm`` calls),
:data:`_BLOCK_W` channels a call, whose (8, taps * 8) product keeps only each channel's own
taps (the rest is waste: few channels a call keep it small).  Measured on 2 loaded cores
with OpenBLAS on one thread: 1.3x to 2.7x of ember's previous (inexact) backward, most of
it copying the windows into the chains' buffers.

Grouped convolutions (each group a multiple of 16 input and output channels): see
:func:`grouped_input_chains`, :func:`grouped_grad_weight` and :func:`grouped_grad_bias`.
Not reproduced (None: ember's own order runs): dilation; depthwise weight and bias
gradients outside oneDNN's depthwise kernel (:func:`weights_ok`; e.g. 5x5 kernels, which
run ``gemm:jit``); the cases the grouped functions list; NaN or infinite operands where
oneDNN skips a tap (here a product with 0) and the sign of a zero sum there.
"""
from __future__ import annotations

import numpy as np

from . import _chain, _onednn_conv as _oc
from ._onednn_conv import _balanced, _pair

_F32 = np.float32
_BLOCK = 16  # channels per oneDNN block (AVX-512)
_BLOCK_W = 8  # channels per weight-gradient product (only its diagonal is kept: few)
_OH_BLOCK = 15  # output rows per kernel call (backward weights)
_OW_UNROLL = 30  # more output columns than this are cut into blocks ...
_OW_BLOCK = 15  # ... of this many
_GX_CHUNK = 1 << 15  # elements of the input gradient summed at once (stays in the cache)


def _geometry(x_shape, w_shape, stride, padding):
    _, _, h, w = x_shape
    kh, kw = w_shape[2:]
    s, p = _pair(stride), _pair(padding)
    oh = (h + 2 * p[0] - kh) // s[0] + 1
    ow = (w + 2 * p[1] - kw) // s[1] + 1
    bottom = (oh - 1) * s[0] + kh - h - p[0]
    right = (ow - 1) * s[1] + kw - w - p[1]
    return s, p, oh, ow, bottom, right


def weights_ok(x_shape, w_shape, stride=1, padding=0) -> bool:
    """Whether oneDNN's depthwise kernel (rather than ``gemm:jit``) computes the weight and
    bias gradients of this (undilated, depthwise) shape."""
    _, _, h, w = x_shape
    kh, kw = w_shape[2:]
    s, p, oh, ow, bottom, right = _geometry(x_shape, w_shape, stride, padding)
    b_pad, r_pad = max(0, bottom), max(0, right)
    if kw > 3 or s[1] > kw:
        return False
    if oh != (h + p[0] + b_pad - kh) // s[0] + 1 or ow != (w + p[1] + r_pad - kw) // s[1] + 1:
        return False
    if max(p[0], b_pad) > kh // 2 or max(p[1], r_pad) > kw // 2:
        return False
    if h < kh + (-p[0]) % s[0]:
        return False
    return not ((p[0] > 1 and p[0] % s[0]) or (b_pad > 1 and b_pad % s[0]))


def _batch_runs(n, c, threads):
    """The images each thread sums, as (start, stop) runs in the order they are added."""
    nb = -(-c // _BLOCK)
    t_mb = 1 if threads <= 1 else min(max(1, threads // min(nb, threads)), n)
    return _balanced(n, t_mb)


def _column_blocks(ow, r_pad):
    if ow <= _OW_UNROLL:
        return [(0, ow)]
    trips, tail = ow // _OW_BLOCK, ow % _OW_BLOCK
    if (tail == 0 and r_pad) or (r_pad > 0 and r_pad >= tail):
        trips, tail = trips - 1, tail + _OW_BLOCK
    cols = [(i * _OW_BLOCK, (i + 1) * _OW_BLOCK) for i in range(trips)]
    if tail:
        cols.append((trips * _OW_BLOCK, ow))
    return cols


def _image_order(oh, ow, r_pad):
    """The output positions (flat, row * OW + column) of one image in the order the weight
    chains take them."""
    order = []
    cols = _column_blocks(ow, r_pad)
    for r0 in range(0, oh, _OH_BLOCK):
        rows = np.arange(r0, min(oh, r0 + _OH_BLOCK))
        for c0, c1 in cols:
            order.append((rows[:, None] * ow + np.arange(c0, c1)[None, :]).reshape(-1))
    return np.concatenate(order)


def grad_input(g, w, x_shape, stride=1, padding=0):
    """The input gradient (N, C, H, W) of a depthwise conv2d by ``w`` (C, 1, KH, KW) whose
    output gradient is ``g`` (N, C, OH, OW): per input position one FMA chain from +0 over
    the taps that reach it, kernel row then column ascending.

    With a stride, the input positions fall into classes (row and column modulo the
    stride) reached by the same taps; each class is summed over just its own taps.  Each
    fused multiply-add is the float64 product (exact) plus the float32 sum so far, rounded
    to float64 and then to float32: that equals the one float32 rounding except where the
    float64 sum lies exactly halfway between two float32 or below 2**-125; a block of images
    where any does is redone by :func:`ember._random._fma32`, which fixes those.  The blocks
    stay in the cache."""
    s, p = _pair(stride), _pair(padding)
    n, c, h, wd = x_shape
    kh, kw = w.shape[2:]
    oh, ow = g.shape[2:]
    # g with KH / KW zeros around it: the taps that miss it read zeros (+0 to the chain)
    gp = np.zeros((n, c, oh + 2 * kh, ow + 2 * kw), _F32)
    gp[:, :, kh:kh + oh, kw:kw + ow] = g
    out = np.zeros((n, c, h, wd), _F32)
    for a in range(min(s[0], h)):
        rows = [(i, kh + (a + p[0] - i) // s[0]) for i in range(kh) if (a + p[0] - i) % s[0] == 0]
        nh = len(range(a, h, s[0]))
        for b in range(min(s[1], wd)):
            cols = [(j, kw + (b + p[1] - j) // s[1]) for j in range(kw)
                    if (b + p[1] - j) % s[1] == 0]
            nw = len(range(b, wd, s[1]))
            taps = [(i, j, y0, x0) for i, y0 in rows for j, x0 in cols]
            if taps:
                out[:, :, a::s[0], b::s[1]] = _tap_chains(gp, w, taps, nh, nw)
    return out


def _tap_chains(gp, w, taps, nh, nw):
    """(N, C, nh, nw): per position one FMA chain from +0 over ``taps`` (kernel row, kernel
    column, first row and column of ``gp`` read), ``gp[.., y0 + t, x0 + u] * w[c, 0, i, j]``."""
    from .._random import _TINY_BITS, _fma32

    n, c = gp.shape[:2]
    w64 = w[:, 0].astype(np.float64)
    out = np.empty((n, c, nh, nw), _F32)
    step = max(1, _GX_CHUNK // max(1, c * nh * nw))
    low, half = np.uint64(0x1FFFFFFF), np.uint64(0x10000000)
    mag, one = np.uint64(0x7FFFFFFFFFFFFFFF), np.uint64(1)
    for n0 in range(0, n, step):
        n1 = min(n, n0 + step)
        acc = np.zeros((n1 - n0, c, nh, nw), _F32)
        acc64 = np.zeros(acc.shape, np.float64)
        buf = np.empty(acc.shape, np.float64)
        bits = buf.view(np.uint64)
        tmp = np.empty(acc.shape, np.uint64)
        for i, j, y0, x0 in taps:
            tap = gp[n0:n1, :, y0:y0 + nh, x0:x0 + nw]
            with np.errstate(invalid="ignore", over="ignore"):
                np.multiply(tap, w64[None, :, i, j, None, None], out=buf)  # (exact)
                buf += acc64
            np.bitwise_and(bits, low, out=tmp)
            risky = (tmp == half).any()
            if not risky:
                np.bitwise_and(bits, mag, out=tmp)
                tmp -= one  # (an exact zero wraps to the top: it needs no fix)
                risky = (tmp < _TINY_BITS).any()
            if risky:
                acc = _fma32(np.ascontiguousarray(tap), w[None, :, 0, i, j, None, None], acc)
            else:
                np.copyto(acc, buf, casting="unsafe")
            acc64[...] = acc
        out[n0:n1] = acc
    return out


def grad_bias(g, x_shape, w_shape, stride=1, padding=0, threads=1):
    """The bias gradient (C,): per thread's images one chain of rounded adds from +0 over
    image, output row, output column; the threads' sums then added."""
    n, c = g.shape[:2]
    flat = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(n, -1, c)
    total = None
    for a, b in _batch_runs(n, c, threads):
        if a == b:
            continue
        part = _oc._column_sums(flat[a:b].reshape(-1, c)) + _F32(0)  # (+0: no -0)
        total = part if total is None else total + part
    return total


def grad_weight(x, g, w_shape, stride=1, padding=0, threads=1, kmax=448):
    """The weight gradient (C, 1, KH, KW) in oneDNN's depthwise order (see the module's
    docstring); None where a sum is not finite and no exact fallback exists."""
    n, c, h, wd = x.shape
    kh, kw = w_shape[2:]
    s, p, oh, ow, _, right = _geometry(x.shape, w_shape, stride, padding)
    taps = kh * kw
    L = oh * ow
    order = _image_order(oh, ow, max(0, right))
    plain = bool((order == np.arange(L)).all())  # (rows and columns in one block each)
    oy, ox = order // ow, order % ow
    # channels last: a window's taps of a channel block are then runs of that block
    xl = np.zeros((n, h + 2 * p[0], wd + 2 * p[1], c), _F32)
    xl[:, p[0]:p[0] + h, p[1]:p[1] + wd] = x.transpose(0, 2, 3, 1)
    gl = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(n, L, c)
    runs = [(a * L, b * L) for a, b in _batch_runs(n, c, threads)]
    out = np.empty((c, taps), _F32)
    for c0 in range(0, c, _BLOCK_W):
        c1 = min(c, c0 + _BLOCK_W)
        m = c1 - c0
        # chain rows (image, position in chain order): U = g (R, m), V = windows (R, taps, m)
        xb = xl[..., c0:c1]
        sn, sh, sw, sc = xb.strides
        win = np.lib.stride_tricks.as_strided(
            xb, (n, oh, ow, kh, kw, m), (sn, sh * s[0], sw * s[1], sh, sw, sc), writeable=False)
        if plain:  # (copied straight from the windows, as the chain needs them)
            def fill(r0, r1, u, v, win=win, c0=c0, c1=c1):
                u[...] = gl.reshape(n * L, c)[r0:r1, c0:c1]
                _oc.copy_windows(win, r0, r1, v)
        else:
            u_all = gl[:, order, c0:c1].reshape(n * L, m)
            v_all = win[:, oy, ox].reshape(n * L, taps * m)

            def fill(r0, r1, u, v, u_all=u_all, v_all=v_all):
                u[...] = u_all[r0:r1]
                v[...] = v_all[r0:r1]

        full = _chain.outer_chain(runs, m, taps * m, fill, kmax)
        if full is None:
            return None
        full = full.reshape(m, taps, m)
        out[c0:c1] = full[np.arange(m), :, np.arange(m)]
    return out.reshape(c, 1, kh, kw)



# ---------------------------------------------------------------------------------------
# Grouped convolutions (each group a multiple of 16 input and output channels)
# ---------------------------------------------------------------------------------------

def grouped_input_chains(x_shape, w_shape, groups, stride, padding, threads):
    """The input gradient's chains of a grouped conv2d, per group: a list of (kernel rows,
    kernel columns, (first, last) output channel of the group), each an FMA chain from +0 in
    the order kernel row, kernel column, output channel (innermost), the chains then added
    in order; None where not reproduced.  Measured:

    - stride 1, or 16 output channels per group (oneDNN's direct kernel): one chain per
      block of 16 output channels, over every tap;
    - strided with more output channels per group (``brgconv_strided``): as for
      ``groups=1``, one chain over all taps and the group's output channels, or, where the
      input width is a multiple of the column stride, one chain over (kernel row, output
      channel) per kernel column, added in order of the column; not reproduced there on 2
      threads with fewer than 4 images times 16-channel blocks of a group (the threads may
      split the width);
    - a padding as wide as the kernel (``gemm:jit``, or ``brgconv_strided:avx2``), and for
      ``brgconv_strided`` one over half the kernel: None."""
    n, c, _, wd = x_shape
    og, cg, kh, kw = int(w_shape[0]) // groups, int(w_shape[1]), int(w_shape[2]), int(w_shape[3])
    s, p, _, _, bottom, right = _geometry(x_shape, w_shape, stride, padding)
    if max(p[0], bottom) >= kh or max(p[1], right) >= kw:
        return None  # (``gemm:jit``, or an AVX2 kernel: not measured)
    if s == (1, 1) or og == _BLOCK:
        return [(range(kh), range(kw), b) for b in _oc.channel_blocks(og)]
    if max(p[0], bottom) > kh // 2 or max(p[1], right) > kw // 2:
        return None  # (sums otherwise: 3x3, stride 2, padding 2 for one; not mapped)
    if wd % s[1] == 0:
        if threads > 1 and n * -(-cg // _BLOCK) < 2 * threads:
            return None
        return [(range(kh), range(j, j + 1), (0, og)) for j in range(kw)]
    return [(range(kh), range(kw), (0, og))]


def grouped_grad_input(g, w, x_shape, groups, stride=1, padding=0, threads=1):
    """The input gradient (N, C, H, W) of a grouped conv2d by ``w`` (O, C / groups, KH, KW)
    whose output gradient is ``g`` (N, O, OH, OW), per group in the chains of
    :func:`grouped_input_chains`; None where those are not reproduced.  Each chain is one
    ``sgemm`` per image (its K = taps times channels), as for ``groups=1``."""
    chains = grouped_input_chains(x_shape, w.shape, groups, stride, padding, threads)
    if chains is None:
        return None
    s, p = _pair(stride), _pair(padding)
    n, c, h, wd = x_shape
    o, cg = w.shape[:2]
    og = o // groups
    out = np.empty((n, c, h, wd), _F32)
    for gi in range(groups):
        out[:, gi * cg:(gi + 1) * cg] = _oc.sum_input_chains(
            g[:, gi * og:(gi + 1) * og], w[gi * og:(gi + 1) * og], (n, cg, h, wd), s, p,
            chains)
    return out


def grouped_weights_ok(x_shape, w_shape, groups, stride=1, padding=0) -> bool:
    """Whether the weight and bias gradients of this grouped shape are reproduced: oneDNN's
    AVX-512 direct kernel per group (not its AVX2 one, nor ``gemm:jit``), and a batch of
    more than one (a batch of 1 that PyTorch would send, ungrouped, to its own path is
    not mapped)."""
    n, c, h, wd = x_shape
    og, cg = int(w_shape[0]) // groups, int(w_shape[1])
    shape = (n, cg, h, wd)
    wshape = (og, cg) + tuple(w_shape[2:])
    if _oc._bwd_weights_kernel(shape, wshape, stride, padding)[2] != "avx512":
        return False
    return _oc.bwd_route(shape, wshape, stride, padding, 1, 1, _F32, 1) == "onednn"


def grouped_grad_weight(x, g, w_shape, groups, stride=1, padding=0):
    """The weight gradient of a grouped conv2d: per group, the ``groups=1`` order of one
    thread (oneDNN gives each group to one thread: every group's sums are one run over the
    batch).  None where a sum is not finite."""
    og, cg = int(w_shape[0]) // groups, int(w_shape[1])
    wshape = (og, cg) + tuple(w_shape[2:])
    parts = []
    for gi in range(groups):
        part = _oc.conv2d_grad_weight(
            np.ascontiguousarray(x[:, gi * cg:(gi + 1) * cg]),
            np.ascontiguousarray(g[:, gi * og:(gi + 1) * og]), wshape, stride, padding,
            1, 1, 1)
        if part is None:
            return None
        parts.append(part)
    return np.concatenate(parts)


def grouped_grad_bias(g, x_shape, w_shape, groups, stride=1, padding=0, threads=1):
    """The bias gradient (O,) of a grouped conv2d: per output channel, per run of images a
    chain of rounded adds from +0 over image, output row, output column; the runs' sums
    added in order.  With more than 9 output rows one run (the weights' thread); otherwise
    oneDNN's generic reducer cuts the batch (its jobs: the groups' 16-channel blocks)."""
    n, o, oh, _ = g.shape
    og = o // groups
    if threads <= 1 or oh > _oc._MIN_OH_REDUCE:
        parts = 1
    else:
        jobs = groups * -(-og // _BLOCK)
        parts = _oc._reducer_split(threads, _BLOCK, jobs, n,
                                   threads * _oc._REDUCER_BUF["avx512"])
    flat = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(n, -1, o)
    total = None
    for a, b in _oc._balanced(n, parts):
        if a == b:
            continue
        part = _oc._column_sums(flat[a:b].reshape(-1, o)) + _F32(0)  # (+0: no -0)
        total = part if total is None else total + part
    return total
