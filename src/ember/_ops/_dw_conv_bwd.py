"""PyTorch's float32 depthwise ``conv2d`` backward on the CPU (oneDNN's ``jit_dw``), bit for bit.

A depthwise convolution (``groups`` = C = O) runs, forward and backward, through oneDNN's
depthwise kernels (``jit_dw:avx512_core`` in ``ONEDNN_VERBOSE``; channels in blocks of 16,
padded).  Their summation orders (the same on the AMD and the Intel processor; ~600 random
depthwise and grouped shapes checked on the Intel one), measured black-box against PyTorch
2.13 (1 and 2 threads;
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
:func:`grad_input`) on flat, channel-major, zero-padded planes of the output gradient (each
tap one offset), over blocks that stay in the cache; the weight gradient's long chains go
through :func:`ember._ops._chain.outer_chain` (chained ``sgemm`` calls),
:data:`_BLOCK_W` channels a call, whose (16, taps * 16) product keeps only each channel's
own taps (the rest is waste, but 16 channels a call make the windows' copies, the larger
cost, run in longer pieces), the windows copied a block of the chains' order at a time
from a channels-last copy of each block of channels.  Measured on 2 loaded cores with
OpenBLAS on one thread, MobileNet-like 3x3 shapes: 1.1x to 1.6x of ember's previous
(inexact) backward.

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
_BLOCK_W = 16  # channels per weight-gradient product (only its diagonal is kept)
_OH_BLOCK = 15  # output rows per kernel call (backward weights)
_OW_UNROLL = 30  # more output columns than this are cut into blocks ...
_OW_BLOCK = 15  # ... of this many
_GX_CHUNK = 1 << 15  # elements of the input gradient summed at once (stays in the cache)
_HALFWAY = np.iinfo(np.int64).min  # (a float64's low 29 bits 1000...0, shifted to the top)


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


def _image_blocks(oh, ow, r_pad):
    """The blocks (first row, last row + 1, first column, last column + 1) of one image's
    output positions in the order the weight chains take them (row by row within one)."""
    cols = _column_blocks(ow, r_pad)
    return [(r0, min(oh, r0 + _OH_BLOCK), c0, c1) for r0 in range(0, oh, _OH_BLOCK)
            for c0, c1 in cols]


def _image_order(oh, ow, r_pad):
    """The output positions (flat, row * OW + column) of one image in the order the weight
    chains take them."""
    return np.concatenate([(np.arange(y0, y1)[:, None] * ow + np.arange(x0, x1)).reshape(-1)
                           for y0, y1, x0, x1 in _image_blocks(oh, ow, r_pad)])


def _copy_blocks(src, blocks, L, r0, r1, dst):
    """Chain rows r0 .. r1-1 (image, then output position in the order of ``blocks``, each
    image's L positions) of ``src`` (N, OH, OW, ...) into ``dst`` (r1 - r0, ...): a whole
    block at a time, row by row only in a block that the range cuts."""
    at = 0
    for i in range(r0 // L, (r1 - 1) // L + 1):
        a, b = max(r0 - i * L, 0), min(r1 - i * L, L)
        pos = 0
        for y0, y1, x0, x1 in blocks:
            nx = x1 - x0
            size = (y1 - y0) * nx
            lo, hi = max(a, pos), min(b, pos + size)
            if lo == pos and hi == pos + size:
                dst[at:at + size].reshape((y1 - y0, nx) + src.shape[3:])[...] = \
                    src[i, y0:y1, x0:x1]
                at += size
            elif lo < hi:
                for y in range(y0 + (lo - pos) // nx, y0 + (hi - 1 - pos) // nx + 1):
                    row = pos + (y - y0) * nx  # (its first chain row in the image)
                    u0, u1 = max(lo, row) - row, min(hi, row + nx) - row
                    dst[at:at + u1 - u0] = src[i, y, x0 + u0:x0 + u1]
                    at += u1 - u0
            pos += size


def _no_tiny_sums(g, w):
    """Whether every nonzero product of ``g`` and ``w`` is a multiple of 2**-125 (each
    factor a multiple of 2**-23 times its smallest nonzero magnitude, rounded down to a
    power of 2): then so is every partial sum of the input gradient's chains, and none
    lies in (0, 2**-125), where the float64 sum could round twice."""
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        mg = np.min(np.abs(g), where=g != 0, initial=np.inf)
        mw = np.min(np.abs(w), where=w != 0, initial=np.inf)
        return bool(np.float64(mg) * np.float64(mw) >= 2.0 ** -77)  # (NaN: False)


def grad_input(g, w, x_shape, stride=1, padding=0):
    """The input gradient (N, C, H, W) of a depthwise conv2d by ``w`` (C, 1, KH, KW) whose
    output gradient is ``g`` (N, C, OH, OW): per input position one FMA chain from +0 over
    the taps that reach it, kernel row then column ascending.

    With a stride, the input positions fall into phases (row and column modulo the
    stride) reached by the same taps; each phase is summed over just its own taps, each tap
    reading ``g`` shifted by (dy, dx).  ``g``'s planes are laid out flat, channel-major
    (channel, image), in rows of WP and planes of HP rows with zeros after each row's and
    each plane's data, so that a shift is one offset into the flat array (a tap that misses
    ``g`` reads a zero: +0 to the chain) and each phase's output is computed on the same
    grid, its columns and rows past its own size thrown away.  See :func:`_tap_chains`."""
    s, p = _pair(stride), _pair(padding)
    n, c, h, wd = x_shape
    kh, kw = w.shape[2:]
    oh, ow = g.shape[2:]
    out = np.zeros((n, c, h, wd), _F32)
    phases = []
    for a in range(min(s[0], h)):
        rows = [(i, (a + p[0] - i) // s[0]) for i in range(kh) if (a + p[0] - i) % s[0] == 0]
        nh = len(range(a, h, s[0]))
        for b in range(min(s[1], wd)):
            cols = [(j, (b + p[1] - j) // s[1]) for j in range(kw)
                    if (b + p[1] - j) % s[1] == 0]
            taps = [(i, j, dy, dx) for i, dy in rows for j, dx in cols]
            if taps:
                phases.append((a, b, nh, len(range(b, wd, s[1])), taps))
    if not phases:
        return out
    dys = [t[2] for ph in phases for t in ph[4]]
    dxs = [t[3] for ph in phases for t in ph[4]]
    nh_max, nw_max = max(ph[2] for ph in phases), max(ph[3] for ph in phases)
    # a read left of a row lands in the previous row's zeros, one above a plane in the
    # previous plane's zero rows; no read of a kept output position passes its row or plane
    wp = max(ow - min(0, min(dxs)), nw_max + max(0, max(dxs)))
    hp = max(oh - min(0, min(dys)), nh_max + max(0, max(dys)))
    pp = hp * wp
    lead = max(0, -(min(dys) * wp + min(dxs)))
    planes = n * c
    gf = np.zeros(lead + planes * pp + max(0, max(dys) * wp + max(dxs)), _F32)
    gf[lead:lead + planes * pp].reshape(c, n, hp, wp)[:, :, :oh, :ow] = g.transpose(1, 0, 2, 3)
    no_tiny = _no_tiny_sums(g, w)
    for a, b, nh, nw, taps in phases:
        offs = [lead + dy * wp + dx for _, _, dy, dx in taps]
        acc = _tap_chains(gf, offs, w, n, pp, taps, no_tiny)
        out[:, :, a::s[0], b::s[1]] = \
            acc.reshape(c, n, hp, wp)[:, :, :nh, :nw].transpose(1, 0, 2, 3)
    return out


def _tap_chains(gf, offs, w, n, pp, taps, no_tiny):
    """(C * N * PP,) flat: per position q one FMA chain from +0 over ``taps`` (kernel row,
    kernel column, ...), ``gf[q + offs[t]] * w[channel of q's plane, 0, i, j]``, the planes
    (PP long) channel-major.

    Each fused multiply-add is the float64 product (exact) plus the float32 sum so far,
    rounded to float64 and then to float32: that equals the one float32 rounding except
    where the float64 sum lies exactly halfway between two float32 (its low 29 bits
    1000...0: those bits shifted to the top give the smallest int64) or in (0, 2**-125)
    (ruled out at once where :func:`_no_tiny_sums` says so); a block where any does is
    redone by :func:`ember._random._fma32`, which fixes those.  The blocks stay in the
    cache; each block's ``g`` is widened to float64 once for all taps, and the blocks'
    planes of one channel are multiplied by their weight in one go."""
    from .._random import _TINY_BITS, _fma32

    c, kw = w.shape[0], w.shape[3]
    planes = c * n
    w64 = w.reshape(c, -1).astype(np.float64)
    lo, hi = min(offs), max(offs)
    step = max(1, _GX_CHUNK // pp)
    out = np.empty(planes * pp, _F32)
    size = min(planes, step) * pp
    g64 = np.empty(size + hi - lo)
    buf = np.empty(size)
    bits = buf.view(np.int64)
    top = np.empty(size, np.int64)
    mag, one, shift = np.uint64(0x7FFFFFFFFFFFFFFF), np.uint64(1), np.int64(35)
    for p0 in range(0, planes, step):
        p1 = min(planes, p0 + step)
        m = (p1 - p0) * pp
        runs = [(max(p0, ch * n) * pp - p0 * pp, min(p1, ch * n + n) * pp - p0 * pp, ch)
                for ch in range(p0 // n, (p1 - 1) // n + 1)]  # (its planes per channel)
        base = p0 * pp
        g64[:m + hi - lo] = gf[base + lo:base + m + hi]
        acc = np.zeros(m, _F32)
        b, t_top = buf[:m], top[:m]
        for (i, j, _, _), off in zip(taps, offs):
            tap = g64[off - lo:off - lo + m]
            with np.errstate(invalid="ignore", over="ignore"):
                for r0, r1, ch in runs:
                    np.multiply(tap[r0:r1], w64[ch, i * kw + j], out=b[r0:r1])  # (exact)
                b += acc
            np.left_shift(bits[:m], shift, out=t_top)
            risky = t_top.min() == _HALFWAY
            if not risky and not no_tiny:
                u = t_top.view(np.uint64)
                np.bitwise_and(bits[:m].view(np.uint64), mag, out=u)
                u -= one  # (an exact zero wraps to the top: it needs no fix)
                risky = u.min() < _TINY_BITS
            if risky:
                wq = np.repeat(w[:, 0, i, j], n)[p0:p1].repeat(pp)
                acc = _fma32(gf[base + off:base + off + m], wq, acc)
            else:
                np.copyto(acc, b, casting="unsafe")
        out[base:base + m] = acc
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
    blocks = _image_blocks(oh, ow, max(0, right))
    bw = _BLOCK_W
    nb = -(-c // bw)
    # per block of channels its own channels-last copy: a window's taps of one kernel row
    # are then one contiguous run (KW times the block's channels)
    xl = np.zeros((nb, n, h + 2 * p[0], wd + 2 * p[1], bw), _F32)
    gl = np.empty((nb, n, oh, ow, bw), _F32)
    for b in range(nb):
        c0, c1 = b * bw, min(c, b * bw + bw)
        xl[b, :, p[0]:p[0] + h, p[1]:p[1] + wd, :c1 - c0] = x[:, c0:c1].transpose(0, 2, 3, 1)
        gl[b, ..., :c1 - c0] = g[:, c0:c1].transpose(0, 2, 3, 1)
    runs = [(a * L, b * L) for a, b in _batch_runs(n, c, threads)]
    out = np.empty((c, taps), _F32)
    for b in range(nb):
        c0, c1 = b * bw, min(c, b * bw + bw)
        m = c1 - c0
        # chain rows (image, position in chain order): U = g (R, m), V = windows (R, taps, m)
        xb = xl[b, ..., :m]
        sn, sh, sw, sc = xb.strides
        win = np.lib.stride_tricks.as_strided(
            xb, (n, oh, ow, kh, kw, m), (sn, sh * s[0], sw * s[1], sh, sw, sc), writeable=False)
        gb = gl[b, ..., :m]

        def fill(r0, r1, u, v, win=win, gb=gb):
            _copy_blocks(gb, blocks, L, r0, r1, u)
            _copy_blocks(win, blocks, L, r0, r1, v.reshape((r1 - r0,) + win.shape[3:]))

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
      input width is a multiple of the column stride, the kernel columns' chains of
      ``_onednn_conv.strided_column_plan`` (each column alone with paddings up to 1 and
      strides of 2 or more), added in order of the column; not reproduced there with
      a padding of 2 or more, nor on 2 threads (fewer than 4 images times 16-channel
      blocks of a group, or a column stride of 1) where ``_onednn_conv.strided_width_whole``
      says the threads may cut the width and ``_onednn_conv.strided_blocks_agree`` that
      the cut would change the sums;
    - a padding as wide as the kernel (``gemm:jit``, or ``brgconv_strided:avx2``), and for
      ``brgconv_strided`` one over half the kernel: None;
    - 16 output channels per group, more than 16 input channels per group, row stride 1 and
      a larger column stride: None (``ONEDNN_VERBOSE`` showed ``brgconv_strided:avx2`` for
      column stride 3 over 32 channels and 2 or 3 over 48, its direct kernel for column
      stride 2 over 32; its order there is not mapped)."""
    n, c, _, wd = x_shape
    og, cg, kh, kw = int(w_shape[0]) // groups, int(w_shape[1]), int(w_shape[2]), int(w_shape[3])
    s, p, _, _, bottom, right = _geometry(x_shape, w_shape, stride, padding)
    if max(p[0], bottom) >= kh or max(p[1], right) >= kw:
        return None  # (``gemm:jit``, or an AVX2 kernel: not measured)
    if _oc._bwd_data_kernel((n, cg) + tuple(x_shape[2:]), (og,) + tuple(w_shape[1:]), s,
                            p) is None:
        return None  # (a group's shape where oneDNN leaves its direct kernels: gemm:jit)
    if og == _BLOCK and s[0] == 1 and s[1] > 1 and cg > _BLOCK:
        return None  # (``brgconv_strided:avx2`` for some of these: not mapped)
    if s == (1, 1) or og == _BLOCK:
        return [(range(kh), range(kw), b) for b in _oc.channel_blocks(og)]
    if max(p[0], bottom) > kh // 2 or max(p[1], right) > kw // 2:
        return None  # (sums otherwise: 3x3, stride 2, padding 2 for one; not mapped)
    if wd % s[1] == 0:
        if p[1] >= 2:
            return None  # (wrong at any batch, as for groups=1: see _bwd_data_kernel)
        units = n * -(-cg // _BLOCK)
        if (_oc.width_in_question(units, units, s, threads)
                and not _oc.strided_width_whole((n, cg) + tuple(x_shape[2:]), w_shape, s, p,
                                              threads, groups)
                and not (n > 1 and _oc.strided_blocks_agree(x_shape, w_shape, s, p))):
            return None
        # (the kernel columns' chains as for groups=1: _oc.strided_column_plan)
        plan = _oc.strided_column_plan(wd, kw, s[1], p[1], wd)
        return [(range(kh), cols, (0, og)) for ph in range(min(s[1], wd))
                for cols in plan[(0, ph)]]
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
