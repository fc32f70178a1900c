"""PyTorch's float32 forward ``conv2d`` on the CPU (oneDNN, or its own im2col), bit for bit.

PyTorch 2.13 runs a float32 ``conv2d`` on this processor through oneDNN 3.12 (``mkldnn``),
whose AVX-512 direct-convolution JIT kernel (``jit:avx512_core``) sums in its own order;
ember's im2col product agrees with it only to float32 rounding.  Measured black-box (AMD
family 25 model 17, 1 and 2 threads; summation-order probes, and random operands compared
element by element with candidate orders emulated by exact float32 FMAs), for any kernel
other than 1x1, any stride, padding and dilation, ``groups=1`` (and per group where each
group has a multiple of 16 input and output channels):

- The input channels are cut into blocks of 16 (``[0, 16), [16, 32), ...``; the last one
  holds what is left, and a layer of C < 16 channels is one block of C).
- Within a block each output is one fused multiply-add chain from +0, in the order kernel
  row, kernel column, channel (the channel innermost):
  ``for i in kh: for j in kw: for c in block: acc = fma(x[c, y+i, x+j], w[o, c, i, j], acc)``
  (taps in the padding are skipped; from +0 that changes nothing).
- The blocks' chains go into the output one after the other, a rounded float32 add each:
  ``out = ((P0 + bias) + P1) + P2 ...`` (the bias, when given, right after the first block;
  without it ``out = (P0 + P1) + ...``).

The same order holds for the 1-, 3- and 6-channel first layers (oneDNN's plain-layout kernel
for C < 16: one block), for C not a multiple of 16 (17, 20, 33), for 2x2 to 11x11 and
rectangular kernels, strides 2 and 4, dilation 2, and on 1 or 2 threads (the threads split
the batch, output channels and rows, never the sum).

1x1 kernels (oneDNN's ``jit_1x1`` kernel) with C <= :data:`_ONE_MAX` input channels (3 to 64
tried, strides 1 and 2, 7x7 to 56x56, up to 512 outputs): each output is one FMA chain over
the channels, ascending, that starts at the bias (or +0); emulated with one ``sger`` rank-1
update (a fused multiply-add per element, checked by :func:`_ger_ok`) per channel.

Depthwise (``groups`` = C = O, oneDNN's ``jit_dw`` kernel, C = 3 to 96 tried): each
output is one FMA chain over (kernel row, kernel column) that starts at the bias (or +0);
emulated with exact FMAs in NumPy, ~13 ns per product (0.6 s for 64 x 96 x 28 x 28 3x3).

PyTorch does not send everything to oneDNN: a batch of 1 with a kernel of at most 3 in
some direction and an input of at most 20480 elements (and an undilated 1x1 kernel of
stride 1 with a batch under 16 on one thread) goes to its own path, the image's im2col
columns (channel, kernel row, kernel column) times the weight through MKL:
``addmm(bias copied into every column, W, cols)``, or ``mm`` without a bias;
:mod:`ember._ops._mkl_gemm` reproduces that product (its threads: PyTorch's, a batch of 1
is not split).  :func:`route` says which path a shape takes.

Not reproduced (:func:`route` says None, :func:`conv2d` returns None, and the caller keeps
its own order):

- 1x1 kernels on oneDNN with more than :data:`_ONE_MAX` input channels, or padded: oneDNN's
  ``jit_1x1`` kernel cuts the channels into blocks whose size depends on the shape (80 for
  C = 96 to 256 at 14x14, 256 for C = 256 to 1024 elsewhere; C = 512 at 7x7 with stride 2
  even ran the direct kernel); not mapped.
- Other ``groups > 1`` (other oneDNN kernels: 1 input channel and 2 outputs per group ran
  ``gemm:jit``), a depthwise 1x1 kernel, a batch of more than 1 on PyTorch's own path (a
  1x1 kernel on one thread: the images are split between threads), a dilated batch of 1
  on PyTorch's own path, and the cases :mod:`ember._ops._mkl_gemm` does not cover.
- Other processors (other instruction sets run other kernels: not measured), other dtypes,
  conv3d and the transposed convolution.  The backward passes of the direct kernel
  (``groups=1``, undilated) are :func:`conv2d_grad_input`, :func:`conv2d_grad_weight` and
  :func:`conv2d_grad_bias` (see :func:`bwd_route`); the others are not reproduced.
  (``conv1d`` is PyTorch's conv2d of one row, (N, C, 1, L) by (O, C, 1, K): route it so.)
- NaN or infinite weights under the padding (oneDNN skips those taps; here they are 0 * w).

How it is computed (oneDNN's path): per channel block, the im2col columns of the block laid
out (kernel row, kernel column, channel) by rows, one ``sgemm`` per image through NumPy's
OpenBLAS with ``beta = 1`` into the image's (O, OH*OW) output, which starts at the bias (or
takes the first block with ``beta = 0``).  OpenBLAS sums each output of one call as one FMA
chain from 0 in ascending K and adds it into C with one rounding, up to :data:`_KMAX`
products (checked on first use by :func:`_selfcheck` and by
:func:`ember._ops._mkl_gemm.emulated`); a longer chain (kernel taps times the channels of
a block: 7x7 over 10 channels or more, say), which OpenBLAS would cut, goes through one
``sger`` rank-1 update per product row instead (:func:`_long_chain`, several times
slower).  Costs of the order of ember's own im2col product (0.03x to 1.3x of it at the
tutorials' shapes, on 2 heavily loaded cores), plus one ``sgemm`` call per image and block;
the 1x1 path ~2x and the depthwise one ~5x of it.
"""
from __future__ import annotations

import ctypes
import functools

import numpy as np

from .. import _blas
from . import _mkl_gemm

_F32 = np.float32
_BLOCK = 16  # input channels per FMA chain
# PyTorch's own (non-oneDNN) path takes a batch of 1 whose input has at most this many
# elements, unless the kernel is larger than 3 in both directions
_NATIVE_MAX = 20480
_CHUNK = 1 << 22  # float32 im2col elements built at once (16 MiB)
# The longest chain (kernel taps times channels in a block) one OpenBLAS call sums unbroken:
# beyond it (512 on this machine, for all but small products) OpenBLAS cuts K itself.
_KMAX = 448
_ONE_MAX = 64  # input channels up to which oneDNN's 1x1 kernel sums one chain (measured)
# backward weights' thread split (fitted to 59 measured shapes): the weight gradient's share
# of the cost, and whether the batch's share is counted in whole images; (C > 3, C <= 3)
_WCOEF = {False: 5, True: 4}
_IMG_COST = {False: True, True: False}
_SDIV = {False: False, True: True}
_GER_BYTES = 1 << 18  # output bytes one rank-1 update pass touches (stays in the L2 cache)
_ger = None  # NumPy's cblas_sger through ctypes, once looked up; False where none was found


@functools.lru_cache(maxsize=None)
def emulated() -> bool:
    """Whether :func:`conv2d` reproduces PyTorch's bits on this machine (for covered shapes)."""
    return _mkl_gemm.emulated() and _selfcheck()


def _load_ger():
    for lib in _blas._libraries():
        for prefix, suffix, int_t in _blas._NAMINGS:
            fn = getattr(lib, f"{prefix}sger{suffix}", None)
            if fn is None:
                continue
            fn.restype = None
            fn.argtypes = [ctypes.c_int, int_t, int_t, ctypes.c_float, ctypes.c_void_p, int_t,
                           ctypes.c_void_p, int_t, ctypes.c_void_p, int_t]
            return fn
    return False


@functools.lru_cache(maxsize=None)
def _ger_ok() -> bool:
    """Whether NumPy's BLAS has ``sger`` and it is one fused multiply-add per element (each
    rank-1 update then is one step of an FMA chain that starts at what C holds)."""
    global _ger
    if _ger is None:
        _ger = _load_ger()
    if not _ger or not emulated():
        return False
    from .._random import _fma32

    rng = np.random.default_rng(777)
    for m, n in ((3, 5), (16, 37), (64, 600)):
        x = rng.standard_normal(m).astype(_F32)
        y = rng.standard_normal(n).astype(_F32)
        c = rng.standard_normal((m, n + 3)).astype(_F32)
        want = c.copy()
        want[:, :n] = _fma32(np.repeat(x[:, None], n, 1), np.broadcast_to(y, (m, n)), c[:, :n])
        _ger(101, m, n, 1.0, x.ctypes.data, 1, y.ctypes.data, 1, c.ctypes.data, n + 3)
        if not np.array_equal(c, want):
            return False
    return True


def _selfcheck() -> bool:
    """Whether one OpenBLAS call still sums a chain of :data:`_KMAX` products unbroken (an
    exact FMA chain from 0, added into C with one rounding), at a size past its small-matrix
    kernels."""
    rng = np.random.default_rng(4321)
    m, n, k = 16, 400, _KMAX
    a = rng.standard_normal((k, m)).astype(_F32)  # (the (m, k) operand, by columns)
    b = rng.standard_normal((k, n)).astype(_F32)
    c = rng.standard_normal((m, n)).astype(_F32)
    got = c.copy()
    _blas.sgemm(False, True, m, n, k, a.ctypes.data, m, b.ctypes.data, n, 1.0, got.ctypes.data)
    with np.errstate(all="ignore"):
        want = c + _mkl_gemm._exact_chain(np.ascontiguousarray(a.T), b)
    return bool(np.array_equal(got, want))


def _uses_onednn(n, c, h, w, kh, kw, strided, dilated, groups, threads) -> bool:
    """PyTorch's choice (float32): oneDNN, or else its own im2col + ``sgemm``."""
    if not (strided or dilated or n >= 16 or kh != 1 or kw != 1 or threads > 1):
        return False  # (a 1x1 kernel on one thread)
    return groups > 1 or (kh > 3 and kw > 3) or n > 1 or n * c * h * w > _NATIVE_MAX


def route(x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1, dtype=_F32,
          threads=None):
    """How :func:`conv2d` reproduces PyTorch for these operands: ``"onednn"`` (oneDNN's
    direct kernel, per group), ``"onednn_1x1"`` and ``"depthwise"`` (its 1x1 and depthwise
    kernels), ``"native"``
    (PyTorch's own im2col and MKL's ``sgemm``), or None where none is reproduced (and off the
    measured processor).  ``x_shape`` (N, C, H, W) with the batch, ``w_shape``
    (O, C / groups, KH, KW); ``threads``: PyTorch's, as ember models them."""
    if np.dtype(dtype) != _F32 or len(x_shape) != 4 or len(w_shape) != 4:
        return None
    n, c, h, w = x_shape
    o, cw, kh, kw = w_shape
    g = int(groups)
    if g < 1 or c % g or o % g or cw * g != c or min(n, c, o, kh, kw) < 1:
        return None
    s, p, d = (_pair(v) for v in (stride, padding, dilation))
    oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    if oh < 1 or ow < 1 or min(s) < 1 or min(d) < 1 or min(p) < 0:
        return None
    threads = _mkl_gemm._threads(threads)
    if threads not in (1, 2):  # (measured on 1 and 2)
        return None
    if not _uses_onednn(n, c, h, w, kh, kw, s != (1, 1), d != (1, 1), g, threads):
        if n != 1 or d != (1, 1) or g != 1:  # (a batch on its threads, or dilated)
            return None
        ok = _mkl_gemm.plan(o, c * kh * kw, oh * ow, False, threads) is not None
        return "native" if ok and _mkl_gemm.emulated() else None
    if kh == 1 and kw == 1:  # (oneDNN's 1x1 kernel: one chain from the bias, for few channels)
        ok = g == 1 and c <= _ONE_MAX and p == (0, 0)
        return "onednn_1x1" if ok and _ger_ok() else None
    if g > 1 and g == c == o:
        return "depthwise" if emulated() else None
    if g > 1 and (cw % _BLOCK or (o // g) % _BLOCK):
        return None  # (other oneDNN kernels: not measured)
    if kh * kw * min(cw, _BLOCK) > _KMAX and not _ger_ok():
        return None  # (a chain longer than one OpenBLAS call sums, and no sger)
    return "onednn" if emulated() else None


def covered(x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1, dtype=_F32,
            threads=None) -> bool:
    """Whether :func:`conv2d` gives PyTorch's bits for a forward conv2d of these operands
    (see :func:`route`)."""
    return route(x_shape, w_shape, stride, padding, dilation, groups, dtype, threads) is not None


def _pair(v):
    if isinstance(v, (tuple, list)):
        return (int(v[0]), int(v[-1]))
    return (int(v), int(v))


def channel_blocks(c: int) -> list:
    """oneDNN's input-channel blocks, as (start, stop) pairs, in the order they are summed."""
    return [(s, min(c, s + _BLOCK)) for s in range(0, c, _BLOCK)]


def conv2d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1,
           threads=None) -> np.ndarray:
    """The forward convolution of float32 ``x`` (N, C, H, W) by ``w`` (O, C / groups, KH,
    KW) (plus ``bias`` (O,)) in PyTorch's order; None where :func:`route` says it is not
    reproduced."""
    x = np.asarray(x, _F32)
    w = np.asarray(w, _F32)
    how = route(x.shape, w.shape, stride, padding, dilation, groups, x.dtype, threads)
    if how is None:
        return None
    s, p, d = (_pair(v) for v in (stride, padding, dilation))
    if bias is not None:
        bias = np.asarray(bias, _F32)
    if how == "native":
        return _native(x, w, bias, s, p, threads)
    if how == "depthwise":
        return _depthwise(x, w, bias, s, p, d)
    if how == "onednn_1x1":
        return _one_by_one(x, w, bias, s)
    if groups == 1:
        return _onednn(x, w, bias, s, p, d)
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    parts = [_onednn(x[:, i * cg:(i + 1) * cg], w[i * og:(i + 1) * og],
                     None if bias is None else bias[i * og:(i + 1) * og], s, p, d)
             for i in range(groups)]
    return np.concatenate(parts, axis=1)


def _one_by_one(x, w, bias, s):
    """oneDNN's 1x1 kernel (C <= :data:`_ONE_MAX`): per output one FMA chain over the
    channels, ascending, that starts at the bias (or +0); one ``sger`` rank-1 update per
    channel, over column slices that stay in the cache."""
    xs = x[:, :, ::s[0], ::s[1]]
    n, c, oh, ow = xs.shape
    o = w.shape[0]
    m = n * oh * ow
    cols = np.ascontiguousarray(xs.transpose(1, 0, 2, 3)).reshape(c, m)
    wk = np.ascontiguousarray(w.reshape(o, c).T)  # (C, O): channel k's weights in a row
    acc = np.zeros((o, m), _F32)
    if bias is not None:
        acc[...] = bias[:, None]
    step = max(16, _GER_BYTES // (4 * o))
    pa, pc, pw = acc.ctypes.data, cols.ctypes.data, wk.ctypes.data
    for j in range(0, m, step):
        e = min(m, j + step)
        for k in range(c):
            _ger(101, o, e - j, 1.0, pw + 4 * k * o, 1, pc + 4 * (k * m + j), 1, pa + 4 * j, m)
    return np.ascontiguousarray(acc.reshape(o, n, oh, ow).transpose(1, 0, 2, 3))


def _depthwise(x, w, bias, s, p, d):
    """oneDNN's depthwise kernel: per output one FMA chain over (kernel row, kernel column)
    that starts at the bias (or +0), in exact float32 FMAs over the whole batch per tap."""
    from .._random import _fma32

    xp = _padded(x, p)
    n, c, _, _ = x.shape
    _, _, kh, kw = w.shape
    oh = (xp.shape[2] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (xp.shape[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    acc = np.zeros((n, c, oh, ow), _F32)
    if bias is not None:
        acc[...] = bias[None, :, None, None]
    for i in range(kh):
        for j in range(kw):
            r, q = i * d[0], j * d[1]
            tap = xp[:, :, r:r + s[0] * (oh - 1) + 1:s[0], q:q + s[1] * (ow - 1) + 1:s[1]]
            acc = _fma32(np.ascontiguousarray(tap), w[None, :, 0, i, j, None, None], acc)
    return acc


def _padded(x, p):
    if p == (0, 0):
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * p[0], w + 2 * p[1]), _F32)
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    return xp


def _native(x, w, bias, s, p, threads):
    """PyTorch's own path (a batch of 1): ``addmm(bias, W, cols)`` through MKL's order, the
    columns (C, KH, KW) by rows, the bias copied into every column of C first."""
    xp = _padded(x, p)
    _, c, _, _ = x.shape
    o, _, kh, kw = w.shape
    oh = (xp.shape[2] - kh) // s[0] + 1
    ow = (xp.shape[3] - kw) // s[1] + 1
    sn, sc, sh, sw = xp.strides
    win = np.lib.stride_tricks.as_strided(
        xp, (c, kh, kw, oh, ow), (sc, sh, sw, sh * s[0], sw * s[1]), writeable=False)
    cols = np.ascontiguousarray(win).reshape(c * kh * kw, oh * ow)
    wm = np.ascontiguousarray(w.reshape(o, c * kh * kw))
    if bias is None:
        y = _mkl_gemm.mkl_sgemm(wm, cols, threads=threads)
    else:
        b = np.asarray(bias, _F32).reshape(o, 1)
        y = _mkl_gemm.mkl_addmm(b, wm, cols, threads=threads)
    return None if y is None else y.reshape(1, o, oh, ow)


def _onednn(x, w, bias, s, p, d):
    n, c, _, _ = x.shape
    o, _, kh, kw = w.shape
    xp = _padded(x, p)
    oh = (xp.shape[2] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (xp.shape[3] - d[1] * (kw - 1) - 1) // s[1] + 1
    L = oh * ow
    out = np.empty((n, o, oh, ow), _F32)
    if bias is not None:
        out[...] = np.asarray(bias, _F32)[None, :, None, None]
    # (N, C, KH, KW, OH, OW): every window, without a copy
    sn, sc, sh, sw = xp.strides
    win = np.lib.stride_tricks.as_strided(
        xp, (n, c, kh, kw, oh, ow), (sn, sc, sh * d[0], sw * d[1], sh * s[0], sw * s[1]),
        writeable=False)
    blocks = channel_blocks(c)
    step = max(1, _CHUNK // max(1, kh * kw * (blocks[0][1] - blocks[0][0]) * L))
    buf = np.empty(min(n, step) * kh * kw * (blocks[0][1] - blocks[0][0]) * L, _F32)
    for bi, (c0, c1) in enumerate(blocks):
        k = kh * kw * (c1 - c0)
        # a = the weights (O, K) by columns: (KH, KW, cb, O) by rows
        a = np.ascontiguousarray(w[:, c0:c1].transpose(2, 3, 1, 0)).reshape(k, o)
        beta = 0.0 if bi == 0 and bias is None else 1.0
        for n0 in range(0, n, step):
            n1 = min(n, n0 + step)
            # b = the columns (K, OH*OW) of each image, rows (kernel row, column, channel)
            cols = buf[:(n1 - n0) * k * L].reshape(n1 - n0, kh, kw, c1 - c0, oh, ow)
            cols[...] = win[n0:n1, c0:c1].transpose(0, 2, 3, 1, 4, 5)
            _per_image(a, cols, out, n0, beta)
    return out


def _per_image(a, cols, out, n0, beta):
    """Each image i of ``cols`` (flattening to (K, L) apiece): ``out[n0 + i]``, viewed
    (rows, L), becomes ``a.T @ cols[i]`` plus ``beta`` times itself, ``a`` being the (K, rows)
    weights by rows: one sgemm each, or :func:`_long_chain` where K is longer than one
    OpenBLAS call sums unbroken."""
    k, rows = a.shape
    L = out[0].size // rows
    pa, pb, po = a.ctypes.data, cols.ctypes.data, out.ctypes.data
    for i in range(cols.shape[0]):
        if k > _KMAX:
            _long_chain(a, cols[i].reshape(k, L), out[n0 + i].reshape(rows, L), beta)
            continue
        _blas.sgemm(False, True, rows, L, k, pa, rows, pb + i * k * L * 4, L, beta,
                    po + (n0 + i) * rows * L * 4)


def _long_chain(a, b, c, beta):
    """``c = beta * c + chain``: per output one FMA chain from +0 over the K rows of ``a``
    (K, O) and ``b`` (K, L) in order, one ``sger`` rank-1 update per row, then one rounded
    add into ``c`` (O, L)."""
    k, o = a.shape
    n = b.shape[1]
    acc = np.zeros((o, n), _F32)
    pa, pb, pc = a.ctypes.data, b.ctypes.data, acc.ctypes.data
    for r in range(k):
        _ger(101, o, n, 1.0, pa + 4 * r * o, 1, pb + 4 * r * n, 1, pc, n)
    if beta:
        c += acc
    else:
        c[...] = acc


# ---------------------------------------------------------------------------------------
# Backward passes (oneDNN's ``backward_weights`` and ``backward_data`` primitives)
# ---------------------------------------------------------------------------------------

def _bwd_weights_kernel(c: int):
    """(input-channel block, output-channel block, kernel) of oneDNN's backward-weights
    primitive, measured: ``jit:avx512_core`` (blocks of 16; for C <= 3 its plain-layout
    first-layer kernel, one block of C) and, for 4 <= C <= 15, ``jit:avx2`` (blocks of 8)."""
    if c <= 3:
        return c, 16, "avx512"
    if c < 16:
        return 8, 8, "avx2"
    return 16, 16, "avx512"


def _bwd_weights_plan(x_shape, w_shape, stride, padding, threads):
    """How oneDNN's backward-weights primitive splits the sums between its threads:
    ``(ranges, bias_ranges, oh, ow)``, the ranges as (start, stop) over the rows
    (image, output row) of the whole batch, in the order their partial sums are added.

    Measured (1 and 2 threads): on 1 thread one run.  On 2, the AVX-512 kernel with at least
    10 output rows hands its threads runs of rows (image, output row), cut in two halves;
    otherwise halves of whole images.  Each run sums its own chains; the runs' sums are then
    added in order.  Whether the threads take such runs, or output-channel or input-channel
    blocks instead (then one run: the sums are not split), is a cost model fitted to 66
    measured shapes (modelled on "the fewest elements moved per thread": the inputs, the
    output gradient, and the weight gradient weighted by :data:`_WCOEF`; the batch's share
    counted in whole images for C > 3, in rows for C <= 3; a tie goes to the later
    candidate): it still misses about 1 random shape in 10, most of them first layers
    (C <= 3) with odd batches.  The bias gradient follows the weights' runs, but where there
    is one output-channel block only and the weights' threads take channel blocks (whole
    images only), it is split in two runs of images all the same."""
    threads = _mkl_gemm._threads(threads)
    n, c, h, w = x_shape
    o, _, kh, kw = w_shape
    s, p = _pair(stride), _pair(padding)
    oh = (h + 2 * p[0] - kh) // s[0] + 1
    ow = (w + 2 * p[1] - kw) // s[1] + 1
    icb, ocb, kind = _bwd_weights_kernel(c)
    nb_ic, nb_oc = -(-c // icb), -(-o // ocb)
    rows = kind == "avx512" and oh >= 10
    first = c <= 3
    units, per = (n * oh, oh) if rows else (n, 1)

    def up(a, b):
        return -(-a // b)

    def cost(t_mb, t_oc, t_ic):
        share = up(n, t_mb) if _IMG_COST[first] else up(units, t_mb) / per
        src = share * up(nb_ic, t_ic) * icb * ((h * w) // (s[0] * s[1] if _SDIV[first] else 1))
        dst = share * up(nb_oc, t_oc) * ocb * oh * ow
        wei = _WCOEF[first] * up(nb_oc, t_oc) * up(nb_ic, t_ic) * kh * kw * icb * ocb
        return src + dst + wei

    best, parts = cost(1, 1, 1), 1
    for t_mb in range(1, min(threads, units) + 1):
        par = threads // t_mb
        for t_oc in range(1, min(par, nb_oc) + 1):
            v = cost(t_mb, t_oc, min(par // t_oc, nb_ic))
            if v <= best:
                best, parts = v, t_mb
    ranges = [(a * (1 if rows else oh), b * (1 if rows else oh))
              for a, b in _balanced(units, parts)]
    bias_ranges = ranges
    if parts == 1 and threads > 1 and nb_oc == 1 and not rows:
        bias_ranges = [(a * oh, b * oh) for a, b in _balanced(n, min(threads, n))]
    return ranges, bias_ranges, oh, ow


def _balanced(n, parts):
    """``n`` items cut into ``parts`` runs, in order, the first ``n % parts`` one longer."""
    big, small = -(-n // parts), n // parts
    cut = n - small * parts
    out, start = [], 0
    for t in range(parts):
        e = start + (big if t < cut else small)
        out.append((start, e))
        start = e
    return out


def bwd_route(x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1, dtype=_F32,
              threads=None):
    """Whether :func:`conv2d_grad_weight` and :func:`conv2d_grad_bias` reproduce
    PyTorch's backward for a conv2d of these operands: ``"onednn"``, or None (PyTorch's
    own path for a batch of 1, 1x1 and depthwise kernels, ``groups > 1``, dilation, other
    processors: not measured)."""
    how = route(x_shape, w_shape, stride, padding, dilation, groups, dtype, threads)
    if how != "onednn" or int(groups) != 1 or _pair(dilation) != (1, 1):
        return None
    return "onednn" if _ger_ok() else None


def conv2d_grad_bias(g, x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1,
                     threads=None):
    """The bias gradient (O,) of a conv2d of an input of shape ``x_shape`` by weights of
    shape ``w_shape`` whose output gradient is ``g`` (N, O, OH, OW), in oneDNN's order: per
    run of rows of a thread (see :func:`_bwd_weights_plan`) one chain of rounded float32
    adds from +0 over image, output row, output column; the runs' sums then added in order.
    None where :func:`bwd_route` says the shape is not reproduced."""
    g = np.asarray(g, _F32)
    if bwd_route(x_shape, w_shape, stride, padding, dilation, groups, g.dtype,
                 threads) is None:
        return None
    _, ranges, _, ow = _bwd_weights_plan(x_shape, w_shape, stride, padding, threads)
    o = g.shape[1]
    flat = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(-1, o)
    total = None
    for a, b in ranges:
        if a == b:
            continue
        # (add.accumulate sums strictly in order, in float32; + 0 turns a -0 into +0)
        part = np.add.accumulate(flat[a * ow:b * ow], axis=0, dtype=_F32)[-1] + _F32(0)
        total = part if total is None else total + part
    return total


def conv2d_grad_weight(x, g, w_shape, stride=1, padding=0, dilation=1, groups=1,
                       threads=None):
    """The weight gradient (O, C, KH, KW) of a conv2d of ``x`` (N, C, H, W) whose output
    gradient is ``g`` (N, O, OH, OW), in oneDNN's order: per run of rows of a thread (see
    :func:`_bwd_weights_plan`) one FMA chain from +0 over image, output row, output column
    (taps in the padding are products with 0); the runs' chains then added in order.  One
    ``sger`` rank-1 update per output position.  None where :func:`bwd_route` says the
    shape is not reproduced."""
    x = np.asarray(x, _F32)
    g = np.asarray(g, _F32)
    if bwd_route(x.shape, w_shape, stride, padding, dilation, groups, x.dtype,
                 threads) is None:
        return None
    ranges, _, oh, ow = _bwd_weights_plan(x.shape, w_shape, stride, padding, threads)
    s, p = _pair(stride), _pair(padding)
    n, c, _, _ = x.shape
    o, _, kh, kw = w_shape
    k = c * kh * kw
    L = oh * ow
    xp = _padded(x, p)
    sn, sc, sh, sw = xp.strides
    # (N, OH, OW, C, KH, KW): every window, without a copy
    win = np.lib.stride_tricks.as_strided(
        xp, (n, oh, ow, c, kh, kw), (sn, sh * s[0], sw * s[1], sc, sh, sw), writeable=False)
    gt = np.ascontiguousarray(g.transpose(0, 2, 3, 1))  # (N, OH, OW, O)
    accs = [np.zeros((o, k), _F32) for _ in ranges]
    # the accumulator of each output position (position m of the batch: row m // OW)
    stops = [b * ow for _, b in ranges]
    step = max(1, _CHUNK // max(1, k * L))
    buf = np.empty(min(n, step) * L * k, _F32)
    r = 0
    for n0 in range(0, n, step):
        n1 = min(n, n0 + step)
        cols = buf[:(n1 - n0) * L * k].reshape(n1 - n0, oh, ow, c, kh, kw)
        cols[...] = win[n0:n1]
        pc, pg = cols.ctypes.data, gt[n0:n1].ctypes.data
        base = n0 * L
        m, end = base, n1 * L
        while m < end:
            while stops[r] <= m:
                r += 1
            e = min(end, stops[r])
            pa = accs[r].ctypes.data
            for j in range(m - base, e - base):
                _ger(101, o, k, 1.0, pg + 4 * j * o, 1, pc + 4 * j * k, 1, pa, k)
            m = e
    total = accs[0]
    for a in accs[1:]:
        total = total + a
    return total.reshape(o, c, kh, kw)


def conv2d_grad_input(g, w, x_shape, stride=1, padding=0, dilation=1, groups=1,
                      threads=None):
    """The input gradient (N, C, H, W) of a conv2d by ``w`` (O, C, KH, KW) whose output
    gradient is ``g`` (N, O, OH, OW), in oneDNN's order (measured, 1 and 2 threads; the
    threads never split a sum):

    - stride 1 (its direct ``jit:avx512_core`` kernel): the output channels in blocks of 16;
      per block one FMA chain from +0 in the order kernel row, kernel column, output
      channel (innermost), the blocks' chains added in order with rounded adds, as forward;
    - larger strides (``brgconv_strided``): one FMA chain from +0 over kernel row, kernel
      column, all output channels (innermost); but where the input width is a multiple of
      the column stride, one chain over kernel row, output channel per kernel column, those
      chains added in order of the kernel column.

    Taps that miss the input gradient's position are skipped (from +0 that changes nothing).
    None where :func:`bwd_route` says the shape is not reproduced, and for the strided
    kernel with a width a multiple of the stride on 2 threads with fewer than 4 images times
    16-channel blocks: its threads may then split the width, and the first part is one chain
    over (row, column, channel) (measured for 3 images of 16 channels, and 1 of 32; not
    mapped)."""
    g = np.asarray(g, _F32)
    w = np.asarray(w, _F32)
    if bwd_route(x_shape, w.shape, stride, padding, dilation, groups, g.dtype,
                 threads) is None:
        return None
    s, p = _pair(stride), _pair(padding)
    n, c, h, wd = x_shape
    o, _, kh, kw = w.shape
    oh, ow = g.shape[2:]
    units = n * -(-c // _BLOCK)  # (images times input-channel blocks: the threads' work)
    threads = _mkl_gemm._threads(threads)
    if s != (1, 1) and wd % s[1] == 0 and threads > 1 and units < 2 * threads:
        return None  # (the threads split the width too: the first part sums otherwise)
    hp, wp = h + 2 * p[0], wd + 2 * p[1]
    # g spread on the stride grid of the padded input, with KH-1 / KW-1 zeros before it:
    # the tap (i, j) of padded position (y, x) reads d[y - i + KH - 1, x - j + KW - 1]
    dh, dw = hp + kh - 1, wp + kw - 1
    d = np.zeros((n, o, dh, dw), _F32)
    d[:, :, kh - 1:kh - 1 + s[0] * (oh - 1) + 1:s[0],
      kw - 1:kw - 1 + s[1] * (ow - 1) + 1:s[1]] = g
    # chains: lists of (kernel rows, kernel columns, output channels), each summed from +0,
    # then added in order
    if s == (1, 1):
        chains = [(range(kh), range(kw), (b0, b1)) for b0, b1 in channel_blocks(o)]
    elif wd % s[1] == 0:
        chains = [(range(kh), range(j, j + 1), (0, o)) for j in range(kw)]
    else:
        chains = [(range(kh), range(kw), (0, o))]
    L = h * wd
    out = np.empty((n, c, h, wd), _F32)
    for ci, (rows, colz, (o0, o1)) in enumerate(chains):
        taps = [(i, j) for i in rows for j in colz]
        k = len(taps) * (o1 - o0)
        # a = the weights (K, C) by rows, K ordered (tap, output channel)
        a = np.ascontiguousarray(
            np.stack([w[o0:o1, :, i, j] for i, j in taps]).reshape(k, c))
        beta = 0.0 if ci == 0 else 1.0
        step = max(1, _CHUNK // max(1, k * L))
        for n0 in range(0, n, step):
            n1 = min(n, n0 + step)
            cols = np.empty((n1 - n0, len(taps), o1 - o0, h, wd), _F32)
            for t, (i, j) in enumerate(taps):
                y0, x0 = p[0] - i + kh - 1, p[1] - j + kw - 1
                cols[:, t] = d[n0:n1, o0:o1, y0:y0 + h, x0:x0 + wd]
            _per_image(a, cols, out, n0, beta)
    return out
