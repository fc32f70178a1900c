"""PyTorch's float32 backward of a 1x1 ``conv2d`` on oneDNN's ``jit_1x1`` kernels, bit for bit.

PyTorch 2.13 sends the backward of an unpadded, undilated 1x1 convolution (``groups=1``)
that it runs on oneDNN to oneDNN's 1x1 kernels (``jit_1x1:avx512_core``, seen with
``ONEDNN_VERBOSE``) wherever the stride is 1, and for the weights also where a stride
divides the input exactly (``OH * SH == H`` and ``OW * SW == W``: oneDNN first copies the
strided input to a dense one and runs the stride-1 problem).  Which algorithm runs was
learned from oneDNN's sources (the 1x1 kernel's configuration and thread balancing, and the
backward drivers); the orders below were then checked element by element against PyTorch
on ~190 random shapes (batch 1 to 64, C 3 to 512, O 8 to 1024, sizes 7 to 160, strides 1,
2, 3 and (1, 2), 1 and 2 threads), all exact; on the Intel processor the same orders
(~400 random shapes, C 1 to 300, 1 and 2 threads, all exact), its larger L1 cache read by
the weight gradient's blocking.  In our own words:

Weight gradient.  The positions of an image (after the stride copy: OH * OW of them) are
cut into blocks of ``rb`` positions: the largest divisor of OH * OW in [7, 16] (the least
loss of padding when none divides; where the blocks still do not divide, the least divisor
of OW from 4 up).  The batch's (image, block) units are shared out among ``t_mb`` threads
(:func:`_balance`: the split of the threads over the batch, the output-channel and
input-channel 16-blocks with the least memory cost), in order, the first ones one unit
longer.  A thread walks its units ``step`` blocks at a time, never across an image (the
rest of an image, or of its share, goes in one go when shorter than ``step_max``); each
walk is one fused multiply-add chain from +0 over its positions in order, added into the
thread's sum with one rounded add.  ``step`` is the largest divisor of OH * OW between
max(OH, OW) and min(OH * OW, 8192 / ur) (rounded down to blocks; ``ur`` is 8 where the block
is at most 19 positions, else 16; 8192 floats: the 32 KiB L1 cache of the AMD processor,
12288 for the 48 KiB of the Intel one, :func:`ember._ops._onednn_conv.caches`), ``step_max``
3/2 of it.
The threads' sums are then added in order.

Bias gradient.  oneDNN's generic reducer over whole images (as for the direct kernel, see
:func:`ember._ops._onednn_conv._reducer_split`, on the threads the weights used): per run of
images one chain of rounded adds from +0 over (image, position), the runs added in order.

Input gradient, stride 1 (``jit_1x1``).  The output channels are cut into
chunks of ``k`` (:func:`_data_chunk`: 80 where C <= 256 and 10 < H < 28, 256 for H <= 10,
else 512, at most O rounded up to 16, and smaller where the chunk times OH * OW would alias
in the cache); per chunk one FMA chain from +0 over its channels, ascending, the chunks'
chains added in order (one rounded add each).

Input gradient, strided (oneDNN's ``brgconv_strided``, whether or not the stride divides
the input; strides 2, 3, (1, 2), (2, 1), (2, 3) checked, including the few-image cases where
its threads split the width, which change nothing for a 1x1 kernel): at each position an
output reads, one FMA chain from +0 over all the output channels, ascending; +0 elsewhere.

A stride that does not divide the input sends the weights and the bias to oneDNN's direct
kernel instead (reproduced by :mod:`ember._ops._onednn_conv`: :func:`bwd_route` says
``"onednn"``; the input gradient is the strided one above).  Not reproduced: padded 1x1
kernels (oneDNN runs yet another kernel), PyTorch's own path (1 thread, stride 1, a batch
under 16; a batch of 1 is :mod:`ember._ops._native_conv_bwd`'s), more than 2 threads.

Cost: 0.4x to 2.4x of ember's former (inexact) backward at typical shapes (noisy, shared
cores): the weights' chains by :func:`ember._ops._chain.outer_chain`, the input gradient one
sgemm per chunk over the whole batch.
"""
from __future__ import annotations

import functools

import numpy as np

from . import _chain, _mkl_gemm
from . import _onednn_conv as _oc

_F32 = np.float32
_OUTPUT_WEIGHT = 12  # the weight gradient's share in the balancer's memory cost


def _up(a, b):
    return -(-a // b)


def bwd_route(x_shape, w_shape, stride=1, padding=0, dilation=1, dtype=_F32, threads=None):
    """How PyTorch's backward of this 1x1 ``conv2d`` (``groups=1``) is reproduced:
    ``"onednn_1x1"`` (this module), ``"onednn"`` (a stride that does not divide the input:
    the weights and bias by oneDNN's direct kernel in :mod:`ember._ops._onednn_conv`, the
    input gradient here), or None."""
    if np.dtype(dtype) != _F32 or len(x_shape) != 4 or len(w_shape) != 4:
        return None
    n, c, h, w = (int(v) for v in x_shape)
    o, cw, kh, kw = (int(v) for v in w_shape)
    s, p, d = (_oc._pair(v) for v in (stride, padding, dilation))
    if (kh, kw) != (1, 1) or cw != c or min(n, c, o, h, w) < 1 or min(s) < 1:
        return None
    if p != (0, 0) or d != (1, 1):
        return None  # (padded: oneDNN runs another kernel, not mapped; dilated: not measured)
    threads = _mkl_gemm._threads(threads)
    if threads not in (1, 2) or not _oc._ger_ok():
        return None
    if not _oc._uses_onednn(n, c, h, w, 1, 1, s != (1, 1), False, 1, threads):
        return None  # (PyTorch's own path; a batch of 1 there is _native_conv_bwd's)
    oh, ow = (h - 1) // s[0] + 1, (w - 1) // s[1] + 1
    if s == (1, 1) or (oh * s[0] == h and ow * s[1] == w):
        return "onednn_1x1"
    return "onednn"


def _best_divider(value, lo, hi, largest):
    """oneDNN's choice of a block size in [lo, hi] for ``value`` items: the one that wastes
    the least of its last block (float32 ratio), the largest such where ``largest``, else
    the smallest."""
    hi = max(1, min(hi, value))
    lo = max(1, min(lo, hi))
    d = np.arange(hi, lo - 1, -1)  # (oneDNN tries them from the largest down)
    r = -(-value // d) * d
    loss = (r - value).astype(_F32) / r.astype(_F32)
    at = np.flatnonzero(loss == loss.min())
    return int(d[at[0] if largest else at[-1]])


def _balance(n, nb_ic, nb_oc, nb_red, rb, threads):
    """(threads over the batch's blocks, output-channel blocks, input-channel blocks): the
    candidate with the least memory cost per thread (ties: the later one)."""
    def cost(t_mb, t_oc, t_ic):
        share = _up(n * nb_red, t_mb) * rb * 16
        return (share * _up(nb_ic, t_ic) + share * _up(nb_oc, t_oc)
                + _OUTPUT_WEIGHT * _up(nb_oc, t_oc) * _up(nb_ic, t_ic) * 256)

    best, least = (1, 1, 1), cost(1, 1, 1)
    for t_mb in range(1, min(threads, n * nb_red) + 1):
        par = threads // t_mb
        for t_oc in range(1, min(par, nb_oc) + 1):
            t = (t_mb, t_oc, min(par // t_oc, nb_ic))
            v = cost(*t)
            if v <= least:
                best, least = t, v
    t_mb, t_oc, t_ic = best
    if threads // 2 < t_mb < threads:
        t_mb = min(n, threads)
    return t_mb, t_oc, t_ic


@functools.lru_cache(maxsize=256)
def _weights_plan(n, c, o, oh, ow, threads):
    """(per thread over the batch: its chains as (first, stop) position ranges of the
    batch's positions, image-major; the threads the weights use)."""
    size = oh * ow
    rb = _best_divider(size, 7, 16, True)
    if size % rb:
        rb = _best_divider(ow, 4, ow, False)
    if rb > 256:
        rb = 1
    ur = 8 if rb <= 19 else 16
    nb_red = _up(size, rb)
    t_mb, t_oc, t_ic = _balance(n, _up(c, 16), _up(o, 16), nb_red, rb, threads)
    l1 = _oc.caches()[0] // 4  # (oneDNN's per-core L1 data cache, in floats)
    hi = min(l1 // ur, size)
    lo = min(l1 // ur, max(ow, oh))
    blocking = max(_best_divider(size, lo, hi, True) // rb * rb, rb)
    step = _up(blocking, rb)
    step_max = _up(blocking * 3 // 2 // rb * rb, rb)
    plan = []
    for a, b in _oc._balanced(n * nb_red, t_mb):
        chains, u = [], a
        while u < b:
            img, blk = divmod(u, nb_red)
            left = min(nb_red - blk, b - u)
            k = left if left < step_max else step
            chains.append((img * size + blk * rb, img * size + min(size, (blk + k) * rb)))
            u += k
        plan.append(tuple(chains))
    return tuple(plan), t_mb * t_oc * t_ic


def grad_weight(x, g, stride=1, threads=None):
    """The weight gradient (O, C, 1, 1) of a 1x1 conv2d of ``x`` (N, C, H, W) whose output
    gradient is ``g`` (N, O, OH, OW), in oneDNN's order (see the module's docstring).  None
    where a sum is not finite and NumPy's BLAS has no exact ``sger``."""
    x = np.asarray(x, _F32)
    g = np.asarray(g, _F32)
    s = _oc._pair(stride)
    n, o, oh, ow = g.shape
    c = x.shape[1]
    plan, _ = _weights_plan(n, c, o, oh, ow, _mkl_gemm._threads(threads))
    # the positions by rows, channels last: g's (N*OH*OW, O), the strided input's (.., C),
    # each chunk copied from the planes (:func:`ember._ops._onednn_conv.copy_positions`)
    g3 = np.ascontiguousarray(g).reshape(n, o, oh * ow)
    x3 = np.ascontiguousarray(x[:, :, ::s[0], ::s[1]]).reshape(n, c, oh * ow)

    def fill(r0, r1, u, v):
        _oc.copy_positions(g3, r0, r1, u)
        _oc.copy_positions(x3, r0, r1, v)

    total = None
    for chains in plan:
        if not chains:
            continue
        part = _chain.outer_chain(chains, o, c, fill, _oc._KMAX)
        if part is None:
            return None
        if total is None:
            total = part
        else:
            with np.errstate(invalid="ignore"):  # (inf + -inf is NaN, as there)
                total = total + part
    return total.reshape(o, c, 1, 1)


def grad_bias(g, c, threads=None):
    """The bias gradient (O,) of a 1x1 conv2d of ``c`` input channels whose output
    gradient is ``g`` (N, O, OH, OW), in oneDNN's order (see the module's docstring)."""
    g = np.asarray(g, _F32)
    n, o, oh, ow = g.shape
    _, used = _weights_plan(n, c, o, oh, ow, _mkl_gemm._threads(threads))
    nb_oc = _up(o, 16)
    per = _oc._reducer_split(used, 16, nb_oc, n, used * _oc._REDUCER_BUF["avx512"])
    size = oh * ow
    flat = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(-1, o)
    total = None
    for a, b in _oc._balanced(n, per):
        if a == b:
            continue
        part = _oc._column_sums(flat[a * size:b * size]) + _F32(0)  # (+0: no -0 sums)
        total = part if total is None else total + part
    return total


@functools.lru_cache(maxsize=256)
def _data_chunk(n, c, o, h, w, threads):
    """Output channels per FMA chain of oneDNN's 1x1 backward-data kernel (stride 1)."""
    ic, oc = _up(c, 16) * 16, _up(o, 16) * 16
    size = h * w
    if 8 * n // threads >= 1:
        most, least, explicit = 9, 6, True
        if 128 < ic < 256 and 10 < h < 28:
            most, least = 6, 5
    else:
        most, least, explicit = 30, 9, False
    ur = 1  # (the kernel's register block of positions: it bounds the cache check below)
    for u in range(most, least - 1, -1):
        if (h >= 14 and h % u == 0) or (h < 14 and size % u == 0):
            ur = u
            break
    if ur == 1:
        ur, tail = min(most, size), size % most
        for u in range(most, least - 1, -1):
            t = size % u
            if t > tail or t == 0:
                ur, tail = u, t
                if t == 0:
                    break
    if explicit:
        if ic <= 256 and 10 < h < 28:
            k = min(oc, 80)
        else:
            k = min(oc, 512 if h > 10 else 256)
    else:
        k = oc // 16
        if oc >= 1024:
            k = 16 if h <= 10 else 8
        k = _best_divider(oc // 16, 1, k, True) * 16
    # cache aliasing: vectors ``way`` apart share a cache set; where a register block's
    # rows meet 7 times, the chunk is cut to end before the 7th (least over the blocks)
    way = 1024  # (64 KiB in 16-float vectors)
    if size * k > 16384 * 7:
        rows, cut = k // 16, k
        for start in range(ur):
            hits, off = 0, start
            while off < size * rows:
                if off % size < ur:
                    hits += 1
                    if hits >= 7:
                        cut = min(cut, 16 * max(1, (off + way) // size))
                        break
                off += way
        k = cut
    return k


def grad_input(g, w, x_shape, stride=1, threads=None):
    """The input gradient (N, C, H, W) of a 1x1 conv2d by ``w`` (O, C, 1, 1) whose output
    gradient is ``g`` (N, O, OH, OW), in oneDNN's order (see the module's docstring)."""
    g = np.asarray(g, _F32)
    w = np.asarray(w, _F32)
    if _oc._pair(stride) != (1, 1):
        return _grad_input_strided(g, w, x_shape, stride)
    n, o, h, wd = g.shape
    c = w.shape[1]
    k = _data_chunk(n, c, o, h, wd, _mkl_gemm._threads(threads))
    # the whole batch as one "image": g as (O, N*H*W) by rows, the result (C, N*H*W)
    gt = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(1, o, -1)
    out = np.empty((1, c, gt.shape[2]), _F32)
    for i, o0 in enumerate(range(0, o, k)):
        o1 = min(o, o0 + k)
        a = np.ascontiguousarray(w[o0:o1, :, 0, 0])  # (K, C): the chunk's weights by rows
        _oc._per_image(a, gt[:, o0:o1], out, 0, 1.0 if i else 0.0)
    return np.ascontiguousarray(out.reshape(c, n, h, wd).transpose(1, 0, 2, 3))


def _grad_input_strided(g, w, x_shape, stride):
    """oneDNN's ``brgconv_strided``: at each position an output reads, one FMA chain from +0
    over all the output channels, ascending; +0 elsewhere."""
    n, o, oh, ow = g.shape
    c = w.shape[1]
    s = _oc._pair(stride)
    gt = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(1, o, -1)
    out = np.empty((1, c, gt.shape[2]), _F32)
    _oc._per_image(np.ascontiguousarray(w[:, :, 0, 0]), gt, out, 0, 0.0)
    gx = np.zeros((n, c) + tuple(x_shape[2:]), _F32)
    gx[:, :, :s[0] * oh:s[0], :s[1] * ow:s[1]] = out.reshape(c, n, oh, ow).transpose(1, 0, 2, 3)
    return gx
