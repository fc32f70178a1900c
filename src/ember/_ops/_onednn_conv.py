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
update (a fused multiply-add per element, checked by :func:`_ger_ok`) per channel.  With
more channels (64 to 2048 tried, batch 1 to 8, 1x1 to 56x56, strides 1 and 2, 1 and 2
threads) the kernel cuts the channels into chunks, the same as its backward-data kernel
cuts the output channels (:func:`ember._ops._conv1x1_bwd._data_chunk`, with C and O swapped
and the output's size: 80, 256 or 512 by the size and C): the first chunk's chain starts at
the bias, each further chunk's at +0 and is added with one rounding.  An unpadded 1x1
kernel whose stride does not divide the input runs the direct kernel instead.

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

- Padded 1x1 kernels on oneDNN (another kernel; not mapped).
- Other ``groups > 1`` (other oneDNN kernels: 1 input channel and 2 outputs per group ran
  ``gemm:jit``), a depthwise 1x1 kernel, a batch of more than 1 on PyTorch's own path (a
  1x1 kernel on one thread: the images are split between threads), a dilated batch of 1
  on PyTorch's own path, and the cases :mod:`ember._ops._mkl_gemm` does not cover.
- Processors other than the two measured ones (other instruction sets run other kernels:
  not measured), other dtypes,
  conv3d, channels-last tensors (oneDNN's NHWC kernels) and dilation.
  (``conv1d`` is PyTorch's conv2d of one row, (N, C, 1, L) by (O, C, 1, K): route it so.)

The backward passes are :func:`conv2d_grad_input`, :func:`conv2d_grad_weight` and
:func:`conv2d_grad_bias` (see :func:`bwd_route`): the direct kernel's here (the weight
gradient's long FMA chains summed by :func:`ember._ops._chain.outer_chain`), PyTorch's own
path for a batch of 1 in :mod:`ember._ops._native_conv_bwd`, depthwise and grouped kernels
in :mod:`ember._ops._dw_conv_bwd`, unpadded 1x1 kernels in :mod:`ember._ops._conv1x1_bwd`;
the transposed convolution, which oneDNN runs as these passes with the roles swapped, in
:mod:`ember._ops._onednn_deconv`.
- NaN or infinite weights under the padding (oneDNN skips those taps; here they are 0 * w).
- Shapes where oneDNN leaves its direct kernels for ``gemm:jit`` (or its reference kernel):
  large paddings next to the kernel's size, kernels taller than the input, ... (about a
  sixth of random shapes with paddings up to 3), decided per pass by :func:`_fwd_kernel`,
  :func:`_bwd_data_kernel` and :func:`_bwd_weights_kernel` (each pass refuses only where
  its own kernel is not mapped).

**Intel** (GenuineIntel family 6 model 167, AVX-512, 1 and 2 threads: the second profile
of :func:`ember._ops._mkl_gemm.profile`): oneDNN runs the same kernels there, and they sum
in the same orders (checked against PyTorch on ~2500 random shapes of every family here,
forward and all three gradients, 1 and 2 threads).  What differs is what oneDNN's
heuristics read from the caches (48 KiB L1 and 2 MiB L2 a core, :func:`caches`): the 1x1
weight gradient's position steps (:mod:`ember._ops._conv1x1_bwd`) and the strided
backward-data row blocks (:func:`strided_width_whole`); and ``brgconv_strided``'s 2 threads
count their work otherwise (all channels up to 64 one block: an odd number of images may
have its width cut, whatever the batch, :func:`width_in_question`).  PyTorch's own batch-1
path takes MKL's Intel plan (:mod:`ember._ops._mkl_gemm`), claimed where it is mapped (not:
one output channel's single-row product, K over 768 on 1 thread, ...).

How it is computed (oneDNN's path): per channel block, the im2col columns of the block laid
out (kernel row, kernel column, channel) by rows, one ``sgemm`` through NumPy's OpenBLAS
with ``beta = 1`` into the (O, positions) output, which starts at the bias (or takes the
first block with ``beta = 0``).  OpenBLAS sums each output of one call as one FMA chain
from 0 in ascending K and adds it into C with one rounding, up to :data:`_KMAX` products
(checked on first use by :func:`_selfcheck` and by :func:`ember._ops._mkl_gemm.emulated`);
a longer chain (kernel taps times the channels of a block: 7x7 over 10 channels or more,
say), which OpenBLAS would cut, goes through :func:`_long_chain` (chained sgemm calls,
:mod:`ember._ops._chain`).  Forwards and every input gradient (one stride phase at a time)
read flat planes (:func:`_flat_chains`): each tap's columns are one contiguous run, the
output is computed on rows as wide as the input and the extra columns dropped, and a batch
of images that stays in the cache goes through one ``sgemm`` per channel block.  The zero
padding is one margin after each row (:func:`_flat_padded`: a tap left of a row reads the
row above's margin), and a strided forward reads the input split into its stride phases
(:func:`_phases`: each tap is a stride-1 read of one phase; the chain's order, tap row, tap
column, channel, is kept).  The costs are those of the matrix products, plus the column
copies (about a quarter of the time of a small CNN's step).
"""
from __future__ import annotations

import ctypes
import functools

import numpy as np

from .. import _blas
from . import _chain, _mkl_gemm

_F32 = np.float32
_BLOCK = 16  # input channels per FMA chain
# PyTorch's own (non-oneDNN) path takes a batch of 1 whose input has at most this many
# elements, unless the kernel is larger than 3 in both directions
_NATIVE_MAX = 20480
_CHUNK = 1 << 22  # float32 im2col elements built at once (16 MiB)
# The longest chain (kernel taps times channels in a block) one OpenBLAS call sums unbroken:
# beyond it (512 on this machine, for all but small products) OpenBLAS cuts K itself.
_KMAX = 448
_FLAT_COLS = 1 << 18  # float32 columns a stride-1 pass copies at once (1 MiB: in the L2 cache)
_ONE_MAX = 64  # input channels up to which oneDNN's 1x1 kernel sums one chain (measured)
# backward weights' thread split (oneDNN's balancing, see _bwd_weights_plan): the weight
# gradient's weight in the AVX-512 kernel's memory cost; more output rows than this make
# its threads share rows (image, output row) rather than whole images; the reduction
# buffers its generic reducer may use (AVX2 kernel; AVX-512 per thread, bias only)
_WCOEF = 8
_MIN_OH_REDUCE = 9
_REDUCER_BUF = {"avx2": 1 << 21, "avx512": 3 * 5 * 5 * 16 * 16}
_GER_BYTES = 1 << 18  # output bytes one rank-1 update pass touches (stays in the L2 cache)
# the per-core data caches oneDNN's blocking heuristics read (L1, L2 bytes), per measured
# processor (:func:`ember._ops._mkl_gemm.profile`): AMD family 25 model 17 32 KiB and 1 MiB,
# the Intel one 48 KiB and 2 MiB (its thread and block splits follow them: see caches)
_CACHES = {"amd": (32 << 10, 1 << 20), "intel": (48 << 10, 2 << 20)}
_ger = None  # NumPy's cblas_sger through ctypes, once looked up; False where none was found


@functools.lru_cache(maxsize=None)
def emulated() -> bool:
    """Whether :func:`conv2d` reproduces PyTorch's bits on this machine (for covered shapes):
    oneDNN's AVX-512 kernels sum in the same order on both measured processors (the AMD one
    and the Intel one of :func:`ember._ops._mkl_gemm.profile`)."""
    return _mkl_gemm.profile() is not None and _selfcheck()


def caches() -> tuple:
    """(L1, L2): the per-core data cache bytes oneDNN's heuristics see on this processor
    (its blocking of the 1x1 weight gradient reads L1, the strided backward-data's row
    blocks L2; with the AMD sizes on the Intel processor both mispredicted: 2 threads' 1x1
    weight gradients of ~100+ channels, and strided input gradients of 64-pixel images)."""
    return _CACHES.get(_mkl_gemm.profile(), _CACHES["amd"])


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
          threads=None, _fwd=True, onednn=False):
    """How :func:`conv2d` reproduces PyTorch for these operands: ``"onednn"`` (oneDNN's
    direct kernel, per group), ``"onednn_1x1"`` and ``"depthwise"`` (its 1x1 and depthwise
    kernels), ``"native"``
    (PyTorch's own im2col and MKL's ``sgemm``), or None where none is reproduced (and off the
    measured processor).  ``x_shape`` (N, C, H, W) with the batch, ``w_shape``
    (O, C / groups, KH, KW); ``threads``: PyTorch's, as ember models them; ``onednn``: the
    pass runs in oneDNN whatever PyTorch's own choice for a convolution would be (a
    transposed convolution's passes)."""
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
    if not (onednn or _uses_onednn(n, c, h, w, kh, kw, s != (1, 1), d != (1, 1), g, threads)):
        if n != 1 or d != (1, 1) or g != 1:  # (a batch on its threads, or dilated)
            return None
        ok = _mkl_gemm.plan(o, c * kh * kw, oh * ow, False, threads) is not None
        return "native" if ok and _mkl_gemm.profile() is not None else None
    # (an unpadded stride that does not divide the input: oneDNN's direct kernel, measured)
    uneven = g == 1 and p == (0, 0) and s != (1, 1) and (oh * s[0], ow * s[1]) != (h, w)
    if kh == 1 and kw == 1 and not uneven:  # (its 1x1 kernel: one chain from the bias)
        ok = g == 1 and p == (0, 0)
        return "onednn_1x1" if ok and _ger_ok() else None
    if g > 1 and g == c == o:
        if _fwd and _fwd_kernel(x_shape, w_shape, s, p, d) is None:
            return None  # (paddings past the kernel: gemm:jit, not mapped)
        return "depthwise" if emulated() else None
    if g > 1 and (cw % _BLOCK or (o // g) % _BLOCK):
        return None  # (other oneDNN kernels: not measured)
    if kh * kw * min(cw, _BLOCK) > _KMAX and not _ger_ok():
        return None  # (a chain longer than one OpenBLAS call sums, and no sger)
    if _fwd and _fwd_kernel(x_shape, w_shape, s, p, d) is None:
        return None  # (oneDNN's gemm:jit or ref kernel: not mapped; the backward passes,
        # asked with _fwd=False by bwd_route, check their own kernels)
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
           threads=None, onednn=False) -> np.ndarray:
    """The forward convolution of float32 ``x`` (N, C, H, W) by ``w`` (O, C / groups, KH,
    KW) (plus ``bias`` (O,)) in PyTorch's order; None where :func:`route` says it is not
    reproduced."""
    x = np.asarray(x, _F32)
    w = np.asarray(w, _F32)
    how = route(x.shape, w.shape, stride, padding, dilation, groups, x.dtype, threads,
                onednn=onednn)
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
        return _one_by_one(x, w, bias, s, threads)
    if groups == 1:
        return _onednn(x, w, bias, s, p, d)
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    parts = [_onednn(x[:, i * cg:(i + 1) * cg], w[i * og:(i + 1) * og],
                     None if bias is None else bias[i * og:(i + 1) * og], s, p, d)
             for i in range(groups)]
    return np.concatenate(parts, axis=1)


def _one_by_one(x, w, bias, s, threads=None):
    """oneDNN's 1x1 kernel: the channels cut into chunks of ``k`` (the chunk of its 1x1
    backward-data kernel with the roles of C and O swapped, :func:`ember._ops._conv1x1_bwd.
    _data_chunk`: all C <= :data:`_ONE_MAX`; 80, 256 or 512 beyond); per output one FMA chain
    over the first chunk's channels, ascending, that starts at the bias (or +0), then one
    from +0 per further chunk, added in order with one rounding each.  C <= :data:`_ONE_MAX`:
    one ``sger`` rank-1 update per channel, over column slices that stay in the cache; more
    channels: one ``sgemm`` per chunk (the bias as a first term times 1)."""
    xs = x[:, :, ::s[0], ::s[1]]
    n, c, oh, ow = xs.shape
    o = w.shape[0]
    m = n * oh * ow
    cols = np.ascontiguousarray(xs.transpose(1, 0, 2, 3)).reshape(c, m)
    wk = np.ascontiguousarray(w.reshape(o, c).T)  # (C, O): channel k's weights in a row
    if c > _ONE_MAX:
        from . import _conv1x1_bwd

        k = _conv1x1_bwd._data_chunk(n, o, c, oh, ow, _mkl_gemm._threads(threads))
        out = _chunked_one_by_one(wk, cols, bias, k)
        return np.ascontiguousarray(out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3))
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


def _chunked_one_by_one(wk, cols, bias, k):
    """(O, M): ``bias`` (or +0) then ``wk`` (C, O) by ``cols`` (C, M) as one FMA chain per
    chunk of ``k`` channels (the first from the bias), the chunks' chains added in order
    (one sgemm per chunk, :func:`_per_image`)."""
    c, o = wk.shape
    m = cols.shape[1]
    out = np.empty((1, o, m), _F32)
    for c0 in range(0, c, k):
        a, b = wk[c0:c0 + k], cols[c0:c0 + k]
        if c0 == 0 and bias is not None:  # (the bias: a first term, bias times 1)
            a = np.concatenate([bias[None], a])
            b = np.concatenate([np.ones((1, m), _F32), b])
        _per_image(a, b[None], out, 0, 1.0 if c0 else 0.0)
    return out[0]


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
    b = None if bias is None else np.asarray(bias, _F32).reshape(o, 1)
    # (MKL's order itself, None where it is not emulated even though the plan maps the
    # shape: on the Intel processor one output channel's row with a bias, say; not
    # mkl_addmm, whose fallback would be NumPy's product)
    y = _mkl_gemm._run(wm, cols, b, 1.0, 1.0, threads)
    return None if y is None else y.reshape(1, o, oh, ow)


def _onednn(x, w, bias, s, p, d):
    n, c, _, _ = x.shape
    o, _, kh, kw = w.shape
    blocks = channel_blocks(c)
    if kh * kw * (blocks[0][1] - blocks[0][0]) <= _KMAX:
        hp, wp = x.shape[2] + 2 * p[0], x.shape[3] + 2 * p[1]
        oh = (hp - d[0] * (kh - 1) - 1) // s[0] + 1
        ow = (wp - d[1] * (kw - 1) - 1) // s[1] + 1
        if s == (1, 1):
            src, top, pitch = _flat_padded(x, p[0], p[0], p[1], p[1], ow)
            taps = [((top - p[0]) * pitch - p[1], kh, d[0] * pitch, kw, d[1])] * len(blocks)
        else:  # (each tap a stride-1 read of one stride phase of the padded input)
            src = _phases(x, p, s, hp, wp)
            plane = src.shape[2] * src.shape[3]
            offs = [((i * d[0] % s[0]) * s[1] + j * d[1] % s[1]) * c * plane
                    + (i * d[0] // s[0]) * src.shape[3] + j * d[1] // s[1]
                    for i in range(kh) for j in range(kw)]
            taps = [[off + c0 * plane for off in offs] for c0, _ in blocks]
        chains = [(np.ascontiguousarray(w[:, c0:c1].transpose(2, 3, 1, 0)).reshape(-1, o),
                   t, (c0, c1)) for (c0, c1), t in zip(blocks, taps)]
        return _flat_chains(src, oh, ow, chains, bias)
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


def _flat_padded(x, top, bottom, left, right, width):
    """``x`` (N, C, H, W) with ``top`` and ``bottom`` zero rows, and a zero margin of
    ``max(left, right)`` columns (at least up to ``width``) after each row only, ``(a, rows
    above, pitch)``: a flat reader's tap ``left`` columns left of a row's start lands in the
    margin of the row above, as in zero padding on both sides, at fewer columns (the rows of
    :func:`_flat_chains` are the pitch wide).  A row of guard zeros above where ``left``
    (the first row's left reads stay in the array)."""
    n, c, h, w = x.shape
    top += left > 0
    pitch = max(w + max(left, right), width)
    if (top, bottom, pitch) == (0, 0, w):
        return x, 0, w
    out = np.zeros((n, c, top + h + bottom, pitch), _F32)
    out[:, :, top:top + h, :w] = x
    return out, top, pitch


def _phases(x, p, s, hp, wp):
    """``x`` (N, C, H, W) zero-padded by ``p`` to ``hp`` x ``wp`` and split into its ``s[0] *
    s[1]`` stride phases, (N, s[0] * s[1] * C, HQ, WQ): phase (a, b) (padded rows ``a::s[0]``,
    columns ``b::s[1]``) in channels ``(a * s[1] + b) * C ...``, zeros past its end.  A strided
    tap reads one phase at stride 1, so a strided correlation is :func:`_flat_chains`'s."""
    n, c, h, wd = x.shape
    hq, wq = -(-hp // s[0]), -(-wp // s[1])
    out = np.zeros((n, s[0], s[1], c, hq, wq), _F32)
    for a in range(s[0]):
        r0 = max(0, -((a - p[0]) // s[0]))  # (the phase's first row inside x)
        y0 = r0 * s[0] + a - p[0]
        for b in range(s[1]):
            q0 = max(0, -((b - p[1]) // s[1]))
            x0 = q0 * s[1] + b - p[1]
            if y0 < h and x0 < wd:
                part = x[:, :, y0::s[0], x0::s[1]]
                out[:, a, b, :, r0:r0 + part.shape[2], q0:q0 + part.shape[3]] = part
    return out.reshape(n, s[0] * s[1] * c, hq, wq)


def _flat_chains(src, oh, ow, chains, bias=None, out=None):
    """A stride-1 correlation summed as ``chains``: the result (N, M, oh, ow) is ``bias`` (M,)
    (or nothing) plus, added in order, one FMA chain from +0 per entry ``(a, taps, (c0,
    c1))`` of ``chains`` over the rows of ``a`` (K, M), K ordered (tap row, tap column,
    channel): the channels ``c0 .. c1-1`` of ``src`` (N, C, HS, WS), each read at the output
    position plus the tap's offset into its plane, ``base + i * di + j * dj`` for tap (i, j)
    of ``taps = (base, rows, di, columns, dj)`` (offsets count ``row * WS + column``); or
    ``taps`` a list of each tap's offset (in order) from the start of the image's channel 0
    to where its channel ``c0`` is read (it may reach other channels: :func:`_phases`).
    Written into ``out`` (a view of that shape) where given.

    Each plane is taken flat, so a tap's columns are one contiguous run of
    ``(oh - 1) * WS + ow`` values: the output is computed on rows WS wide (the columns past
    ``ow`` read the next row, and are dropped), and the columns of a batch of images that
    stays in the cache are copied in whole runs (one strided copy per batch and chain), one
    ``sgemm`` per batch and chain (a call sums each output as one chain over its K; every
    chain's K is at most :data:`_KMAX`)."""
    n, _, hs, ws = src.shape
    src = np.ascontiguousarray(src, _F32).reshape(n, -1, hs * ws)
    c, plane = src.shape[1:]
    flat = src.reshape(-1)
    m = chains[0][0].shape[1]
    L = (oh - 1) * ws + ow
    kmost = max(a.shape[0] for a, _, _ in chains)
    step = max(1, min(n, _FLAT_COLS // (kmost * L)))
    cols_buf = np.empty(kmost * step * L, _F32)
    acc_buf = np.empty(m * step * L, _F32)
    if out is None:
        out = np.empty((n, m, oh, ow), _F32)
    pa = [a.ctypes.data for a, _, _ in chains]
    pb, pc = cols_buf.ctypes.data, acc_buf.ctypes.data
    # (tap row, tap column, channel, image, position): every tap's run over the whole batch,
    # no copy (one view per chain, sliced per batch below; a list of offsets: one view
    # (channel, image, position) per tap)
    wins = [[np.lib.stride_tricks.as_strided(
        flat[off:], (c1 - c0, n, L), (4 * plane, 4 * c * plane, 4), writeable=False)
        for off in taps] if isinstance(taps, list) else np.lib.stride_tricks.as_strided(
        flat[c0 * plane + taps[0]:], (taps[1], taps[3], c1 - c0, n, L),
        (4 * taps[2], 4 * taps[4], 4 * plane, 4 * c * plane, 4), writeable=False)
        for _, taps, (c0, c1) in chains]
    rows_of = {}  # batch size: the accumulator's output rows (M, images, oh, ow), a view
    for n0 in range(0, n, step):
        n1 = min(n, n0 + step)
        cn = (n1 - n0) * L
        acc = acc_buf[:m * cn].reshape(m, cn)
        if bias is not None:
            acc[...] = bias[:, None]
        beta = 0.0 if bias is None else 1.0
        for (a, _, _), a_at, win in zip(chains, pa, wins):
            k = a.shape[0]
            if isinstance(win, list):
                cols = cols_buf[:k * cn].reshape(len(win), -1, n1 - n0, L)
                for t, tap in enumerate(win):
                    cols[t] = tap[:, n0:n1]
            else:
                cols_buf[:k * cn].reshape(win.shape[:3] + (n1 - n0, L))[...] = \
                    win[:, :, :, n0:n1]
            _blas.sgemm(False, True, m, cn, k, a_at, m, pb, cn, beta, pc)
            beta = 1.0
        rows = rows_of.get(n1 - n0)
        if rows is None:
            rows = rows_of[n1 - n0] = np.lib.stride_tricks.as_strided(
                acc, (m, n1 - n0, oh, ow), (cn * 4, L * 4, ws * 4, 4),
                writeable=False).transpose(1, 0, 2, 3)
        out[n0:n1] = rows
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
    (K, O) and ``b`` (K, L) in order (chained sgemm calls; where a sum is not finite, one
    ``sger`` rank-1 update per row), then one rounded add into ``c`` (O, L)."""
    k, o = a.shape
    n = b.shape[1]

    def fill(r0, r1, u, v):
        u[...] = a[r0:r1]
        v[...] = b[r0:r1]

    acc = _chain.outer_chain([(0, k)], o, n, fill, _KMAX)
    if acc is None:  # (not finite: one exact rank-1 update per row instead)
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

def _end_pads(x_shape, w_shape, s, p, d=(1, 1)):
    """(bottom, right): how far the last window reaches past the input (negative where it
    stops short), for the (dilated) kernel, as oneDNN counts its end padding."""
    h, w = x_shape[2:]
    ekh, ekw = d[0] * (w_shape[2] - 1) + 1, d[1] * (w_shape[3] - 1) + 1
    oh = (h + 2 * p[0] - ekh) // s[0] + 1
    ow = (w + 2 * p[1] - ekw) // s[1] + 1
    return (oh - 1) * s[0] + ekh - h - p[0], (ow - 1) * s[1] + ekw - w - p[1]


def _fwd_kernel(x_shape, w_shape, stride=1, padding=0, dilation=1):
    """oneDNN's forward kernel for this shape: ``"avx512"`` (its direct ``jit:avx512_core``
    kernel, which :func:`_onednn` reproduces) or None (``gemm:jit``, or its reference
    kernel, or not decided here).  Learned from the applicability checks of oneDNN's
    AVX-512 forward kernel (``jit_avx512_common_conv_kernel.cpp``), in our words, and
    checked with ``ONEDNN_VERBOSE`` on ~1900 random shapes (1 and 2 threads):

    - a padding (top, left, or the end ones of :func:`_end_pads`) as large as the
      (dilated) kernel side rules it out (a window wholly in the padding);
    - so does a left or right padding wider than the kernel's unroll over output columns.
      That unroll is at least ``min(OW, 5)`` whatever its blocking heuristics pick, and
      exactly OW for OW <= 5; past that bound (OW > 5 and a padding over 5) the exact
      unroll is not modelled: None."""
    s, p, d = _pair(stride), _pair(padding), _pair(dilation)
    kh, kw = w_shape[2:]
    bottom, right = _end_pads(x_shape, w_shape, s, p, d)
    ekh, ekw = d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1
    if max(p[0], bottom) >= ekh or max(p[1], right) >= ekw:
        return None
    ow = (x_shape[3] + 2 * p[1] - ekw) // s[1] + 1
    least = min(ow, 5)
    return "avx512" if max(p[1], right) <= least else None


def _bwd_data_kernel(x_shape, w_shape, stride=1, padding=0):
    """oneDNN's backward-data kernel for this (undilated, ``groups=1``) shape:
    ``"avx512"`` (stride 1: its direct kernel), ``"brgconv"`` (larger strides:
    ``brgconv_strided``), or None (``gemm:jit``, or a kernel not mapped).  From the checks of
    oneDNN's AVX-512 backward-data kernel (``jit_avx512_common_conv_kernel.cpp``) and
    ``ONEDNN_VERBOSE`` on ~1900 random shapes:

    - strided: ``brgconv_strided`` for every shape tried, paddings up to 7 included, except
      one input channel with a kernel side of 8 or more (its direct kernel then: None).
      On 2 threads about 1% of random strided shapes (row paddings past half the kernel,
      one-row kernels at row stride 1, over 48 channels with 4 or more work items, the most)
      still differ: oneDNN's threads cut the width where :func:`strided_width_whole` does
      not ask (its cost model is not mapped); refusing those families would give up about
      40 exact shapes for each wrong one.
      (Its order where the width is a multiple of the column stride, any padding: see
      :func:`strided_column_plan`.)  Its order as :func:`conv2d_grad_input` has it was
      wrong on 6 of 6 shapes of 49 to 64 input channels whose kernel taps times output
      channels passed 4200 (right at 2688 and below, and at 4788 over 16 channels; its
      sums are then cut otherwise, presumably by a cache-size blocking: not mapped), so None
      where the taps times outputs times the padded input channels (at most 64) pass
      3 * 2**16;
    - stride 1: a padding as large as its kernel side rules the direct kernel out, and so
      does a kernel reaching ``KW - 1 - pad`` columns past the left edge of the input
      gradient where that exceeds the unroll over input columns (at least ``min(W, 6)``,
      exactly W for W <= 6; past that bound: None, not modelled)."""
    c, w = x_shape[1], x_shape[3]
    kh, kw = w_shape[2:]
    s, p = _pair(stride), _pair(padding)
    if s != (1, 1):
        if c == 1 and max(kh, kw) >= 8:
            return None
        if kh * kw * w_shape[0] * min(-(-c // _BLOCK) * _BLOCK, 64) > 3 << 16:
            return None
        return "brgconv"
    if p[0] >= kh or p[1] >= kw:  # (at stride 1 the end paddings equal the start ones)
        return None
    return "avx512" if kw - 1 - p[1] <= min(w, 6) else None


def _bwd_weights_kernel(x_shape, w_shape, stride=1, padding=0):
    """(input-channel block, output-channel block, kernel) of oneDNN's backward-weights
    primitive for this (undilated, ``groups=1``) shape, by the applicability checks of its
    kernels (learned from oneDNN's ``jit_avx512_common_conv_kernel.cpp`` and
    ``jit_avx2_conv_kernel_f32.cpp``; checked with ``ONEDNN_VERBOSE`` on ~800 random shapes):

    - ``jit:avx512_core`` for C <= 3 (its plain-layout first-layer kernel: one block of C)
      or C >= 16 (blocks of 16), where the left and right padding (the right one: what the
      last window reaches past the input) are each under KW and at most 28, the top and
      bottom ones at most KH // 2, and KW <= 14 (but a 14-wide kernel over a 14-wide input
      with one output column, unpadded and unstrided, takes a transposed path: not mapped);
    - otherwise ``jit:avx2`` (blocks of 8; C = 3 is one block of 3) where each padding is
      under its kernel side, KW < 14 and KH <= H;
    - otherwise ``gemm:jit``: kernel None (its order is not reproduced)."""
    _, c, h, w = x_shape
    kh, kw = w_shape[2:]
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    bottom = max(0, (oh - 1) * sh + kh - h - ph)
    right = max(0, (ow - 1) * sw + kw - w - pw)
    if (c <= 3 or c >= 16) and max(pw, right) < kw and max(pw, right) <= 28 \
            and max(ph, bottom) <= kh // 2 and kw <= 14:
        if kw == 14 == w and ow == 1 and (sh, sw, ph, pw, bottom) == (1, 1, 0, 0, 0):
            return 8, 8, None
        return (c, 16, "avx512") if c <= 3 else (16, 16, "avx512")
    if max(pw, right) < kw and max(ph, bottom) < kh and kw < 14 and kh <= h:
        return (3 if c == 3 else 8), 8, "avx2"
    return 8, 8, None


def _bwd_weights_plan(x_shape, w_shape, stride, padding, threads):
    """How oneDNN's backward-weights primitive splits the sums between its threads:
    ``(ranges, bias_ranges, oh, ow)``, the ranges as (start, stop) over the rows
    (image, output row) of the whole batch, in the order their partial sums are added.

    This follows oneDNN's own balancing (the rule was learned from its sources,
    ``jit_avx512_common_conv_kernel.cpp`` and ``jit_avx512_common_convolution.cpp`` for the
    AVX-512 kernel, ``jit_avx2_convolution.cpp`` / ``.hpp`` and ``cpu_reducer.cpp`` for the
    AVX2 one and the bias; here in our own words), checked against PyTorch on random shapes:

    - AVX-512 kernel (see :func:`_bwd_weights_kernel`): with more than
      :data:`_MIN_OH_REDUCE` output rows the batch is handed out as rows (image, output
      row), otherwise as whole images.  The threads are spread over the batch (``t_mb``),
      output-channel blocks (``t_oc``) and input-channel blocks (``t_ic``): first the
      candidate with the least memory cost per thread (integer arithmetic: the batch share
      times input-channel blocks times the block's input plane divided by both strides (the
      input's rows count in the batch share when rows are handed out), plus the batch share
      times output-channel blocks times the block's output plane, plus :data:`_WCOEF` times
      the weight blocks a thread owns; a tie goes to the later candidate), then any
      candidate with no more compute (batch share times channel blocks) whose memory cost
      stays under 1.1 times that least, or with at most 3/4 of the current compute.
      Candidates: ``t_mb`` from 1 to the threads (at most the images times
      ``max(1, rows // 9)``), ``t_oc`` up to the blocks and the threads left, ``t_ic`` the
      rest.  The batch's units are cut into ``t_mb`` runs (the first ones one longer); each
      run sums its own chains, the runs' sums then added in order (thread 0's first).
    - AVX2 kernel (4 <= C <= 15, or where padding rules the AVX-512 one out) and, for the
      AVX-512 kernel without rows, the bias: oneDNN's generic reducer, jobs = channel-block
      pairs (bias: output-channel blocks) over a reduction of whole images.  Its balancer
      tries every number of jobs per group from ``max(1, jobs // threads)`` up, groups
      ``min(jobs // per, threads)``, threads per group ``min(threads // groups, images)``
      (skipped where that buffer would exceed :data:`_REDUCER_BUF`), and keeps the first
      strictly lowest ``job size * jobs per group * (images per thread + (1 if split))``;
      the images are cut into runs for the threads of a group.  For the AVX-512 bias the
      reducer runs on the threads the weights used (``t_mb * t_oc * t_ic``).
    - With rows handed out, the bias is summed by the weights' runs.

    On 1 thread, and where :func:`_bwd_weights_kernel` finds no kernel: one run."""
    threads = _mkl_gemm._threads(threads)
    n, c, h, w = x_shape
    o, _, kh, kw = w_shape
    s, p = _pair(stride), _pair(padding)
    oh = (h + 2 * p[0] - kh) // s[0] + 1
    ow = (w + 2 * p[1] - kw) // s[1] + 1
    icb, ocb, kind = _bwd_weights_kernel(x_shape, w_shape, s, p)
    nb_ic, nb_oc = -(-c // icb), -(-o // ocb)

    def images(parts):
        return [(a * oh, b * oh) for a, b in _balanced(n, parts)]

    if kind is None:  # (gemm:jit, see _bwd_weights_kernel: its order is not mapped)
        return images(1), images(1), oh, ow
    if kind == "avx2":
        ranges = images(_reducer_split(threads, kh * kw * icb * ocb, nb_ic * nb_oc, n,
                                       _REDUCER_BUF[kind]))
        bias = images(_reducer_split(threads, ocb, nb_oc, n, _REDUCER_BUF[kind]))
        return ranges, bias, oh, ow
    rows = oh > _MIN_OH_REDUCE
    t_mb, t_oc, t_ic = _avx512_split(n, h, w, oh, ow, kh, kw, s, icb, ocb, nb_ic, nb_oc,
                                     rows, threads)
    if rows:
        ranges = _balanced(n * oh, t_mb)
        return ranges, ranges, oh, ow
    used = t_mb * t_oc * t_ic
    bias = images(_reducer_split(used, ocb, nb_oc, n, used * _REDUCER_BUF[kind]))
    return images(t_mb), bias, oh, ow


def _up(a, b):
    return -(-a // b)


def _avx512_split(n, h, w, oh, ow, kh, kw, s, icb, ocb, nb_ic, nb_oc, rows, threads):
    """(threads over the batch, output-channel blocks, input-channel blocks) oneDNN's
    AVX-512 backward-weights kernel picks: see :func:`_bwd_weights_plan`."""
    ih_red, oh_red, ih_all, oh_all = (h, oh, 1, 1) if rows else (1, 1, h, oh)

    def mem(t_mb, t_oc, t_ic):
        src = _up(n * ih_red, t_mb) * _up(nb_ic, t_ic) * icb * ih_all * w // s[0] // s[1]
        dst = _up(n * oh_red, t_mb) * _up(nb_oc, t_oc) * ocb * oh_all * ow
        return src + dst + _WCOEF * _up(nb_oc, t_oc) * _up(nb_ic, t_ic) * kh * kw * icb * ocb

    def comp(t_mb, t_oc, t_ic):
        return _up(n * oh_red, t_mb) * _up(nb_oc, t_oc) * _up(nb_ic, t_ic)

    mb_cap = n * max(1, oh_red // _MIN_OH_REDUCE)
    cands = [(t_mb, t_oc, min(threads // t_mb // t_oc, nb_ic))
             for t_mb in range(1, min(threads, mb_cap) + 1)
             for t_oc in range(1, min(threads // t_mb, nb_oc) + 1)]
    best = (1, 1, 1)
    least = mem(*best)
    for t in cands:
        v = mem(*t)
        if v <= least:
            best, least = t, v
    work = comp(*best)
    for t in cands:
        v = comp(*t)
        if (v <= work and mem(*t) < 1.1 * least) or 4 * v <= 3 * work:
            best, work = t, v
    t_mb, t_oc, t_ic = best
    if threads // 2 < t_mb < threads:
        t_mb = min(mb_cap, threads)
    return t_mb, t_oc, t_ic


def _reducer_split(threads, job, jobs, images, buf):
    """Threads per group of oneDNN's generic reducer (``jobs`` jobs of ``job`` elements
    each summed over ``images``): the images are cut into that many runs."""
    if threads <= 1:
        return 1
    least_per = max(1, jobs // threads)
    most_per = max(1, buf // (threads * job))
    groups = min(jobs // least_per, threads)
    per_group = min(threads // groups, images)
    cost = jobs * job * images
    for per in range(least_per, jobs):
        g = min(jobs // per, threads)
        t = min(threads // g, images)
        ub = _up(jobs, g)
        if t > 1 and ub > most_per:
            continue
        v = job * ub * (_up(images, t) + (t != 1))
        if v < cost:
            per_group, cost = t, v
    return per_group


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
              threads=None, onednn=False):
    """Whether :func:`conv2d_grad_weight` and :func:`conv2d_grad_bias` reproduce
    PyTorch's backward for a conv2d of these operands: ``"onednn"``, ``"native"`` (PyTorch's
    own path for a batch of 1: :mod:`ember._ops._native_conv_bwd`), ``"depthwise"`` and
    ``"grouped"`` (:mod:`ember._ops._dw_conv_bwd`, whose functions may still say None),
    ``"onednn_1x1"`` (oneDNN's 1x1 kernels: :mod:`ember._ops._conv1x1_bwd`), or None
    (padded 1x1 kernels, dilation, other processors: not measured)."""
    # (each pass checks its own oneDNN kernel, whatever the forward runs: _fwd=False)
    how = route(x_shape, w_shape, stride, padding, dilation, groups, dtype, threads, False,
                onednn)
    if how == "native":  # (route: a batch of 1, groups=1, undilated)
        from . import _native_conv_bwd as NB
        return "native" if NB.covered(x_shape, w_shape, stride, padding, threads) else None
    if len(w_shape) == 4 and tuple(w_shape[2:]) == (1, 1) and int(groups) == 1:
        # (oneDNN's 1x1 kernels, "onednn_1x1": _conv1x1_bwd; or its direct one)
        from . import _conv1x1_bwd as B1
        return B1.bwd_route(x_shape, w_shape, stride, padding, dilation, dtype, threads)
    if how in ("depthwise", "onednn") and int(groups) > 1 and _pair(dilation) == (1, 1):
        # (oneDNN's depthwise kernels, or per group its direct ones: _dw_conv_bwd; each
        # gradient function there says None where its own kernel is not mapped)
        return ("depthwise" if how == "depthwise" else "grouped") if _ger_ok() else None
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
    how = bwd_route(x_shape, w_shape, stride, padding, dilation, groups, g.dtype, threads)
    if how is None:
        return None
    if how == "native":
        from . import _native_conv_bwd as NB
        return NB.grad_bias(g)
    if how == "onednn_1x1":
        from . import _conv1x1_bwd as B1
        return B1.grad_bias(g, x_shape[1], threads)
    if how in ("depthwise", "grouped"):
        from . import _dw_conv_bwd as DW
        t = _mkl_gemm._threads(threads)
        if how == "depthwise":
            ok = DW.weights_ok(x_shape, w_shape, stride, padding)
            return DW.grad_bias(g, x_shape, w_shape, stride, padding, t) if ok else None
        ok = DW.grouped_weights_ok(x_shape, w_shape, groups, stride, padding)
        return DW.grouped_grad_bias(g, x_shape, w_shape, groups, stride, padding, t) \
            if ok else None
    if _bwd_weights_kernel(x_shape, w_shape, stride, padding)[2] is None:
        return None  # (oneDNN's gemm:jit: not mapped)
    _, ranges, _, ow = _bwd_weights_plan(x_shape, w_shape, stride, padding, threads)
    o = g.shape[1]
    flat = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(-1, o)
    total = None
    for a, b in ranges:
        if a == b:
            continue
        part = _column_sums(flat[a * ow:b * ow]) + _F32(0)  # (+ 0 turns a -0 into +0)
        total = part if total is None else total + part
    return total


def _column_sums(a):
    """The sums of the columns of the float32 (R, K) array ``a``, each a chain of rounded
    float32 adds in row order: NumPy's reduction over the rows of a C-ordered array with
    two or more columns runs that way (row by row into the K sums; checked on first use by
    :func:`_reduce_in_row_order`), and is ~20x faster than ``add.accumulate``, which also
    sums in order but writes every partial sum."""
    if a.shape[1] >= 2 and _reduce_in_row_order():
        return np.add.reduce(np.ascontiguousarray(a), axis=0, dtype=_F32)
    return np.add.accumulate(a, axis=0, dtype=_F32)[-1]


@functools.lru_cache(maxsize=None)
def _reduce_in_row_order() -> bool:
    rng = np.random.default_rng(5)
    a = rng.standard_normal((4099, 3)).astype(_F32) * np.float32([1, 1e-4, 1e4])
    return bool((np.add.reduce(a, axis=0, dtype=_F32)
                 == np.add.accumulate(a, axis=0, dtype=_F32)[-1]).all())


def copy_windows(win, r0, r1, v):
    """Rows ``r0 .. r1-1`` of the windows ``win`` (N, OH, OW, ...) taken as (N*OH*OW, ...)
    (output positions in (image, row, column) order) into ``v`` (r1 - r0, prod(...)): whole
    output rows at a time where it can (the windows are a strided view, not reshapable),
    whole images in one copy; windows of one channel (N, OH, OW, KH, KW, 1)
    one kernel tap at a time (runs along the output rows rather than a few floats a window)."""
    oh, ow = win.shape[1:3]
    L = oh * ow
    shaped = v.reshape((r1 - r0,) + win.shape[3:])
    if not np.may_share_memory(shaped, v):  # (v may be a column slice: it splits its last
        raise AssertionError("copy_windows needs a view")  # axis, a view; never a copy)
    v = shaped
    taps = win.ndim == 6 and win.shape[5] == 1
    at, r = 0, r0
    while r < r1:
        i, rem = divmod(r, L)
        y, x0 = divmod(rem, ow)
        if rem == 0 and r1 - r >= L:  # whole images
            m = (r1 - r) // L
            dst = v[at:at + m * L].reshape((m,) + win.shape[1:])
            if taps:
                for a in range(win.shape[3]):
                    for b in range(win.shape[4]):
                        dst[:, :, :, a, b] = win[i:i + m, :, :, a, b]
            else:
                dst[...] = win[i:i + m]
            step = m * L
        elif x0 == 0 and r1 - r >= ow:  # whole output rows of image i
            ny = min((r1 - r) // ow, oh - y)
            v[at:at + ny * ow].reshape((ny,) + win.shape[2:])[...] = win[i, y:y + ny]
            step = ny * ow
        else:
            step = min(ow, x0 + r1 - r) - x0
            v[at:at + step] = win[i, y, x0:x0 + step]
        at += step
        r += step


def copy_positions(a, r0, r1, u):
    """Rows ``r0 .. r1-1`` of ``a`` (N, K, L) taken channels last, as (N*L, K) (positions in
    (image, position) order), into ``u`` (r1 - r0, K): one transposed copy per image they
    span (no whole channels-last copy of ``a``)."""
    L = a.shape[2]
    at, r = 0, r0
    while r < r1:
        i, p0 = divmod(r, L)
        if p0 == 0 and r1 - r >= 2 * L:  # whole images: one copy
            m = (r1 - r) // L
            u[at:at + m * L].reshape(m, L, -1)[...] = a[i:i + m].transpose(0, 2, 1)
            step = m * L
        else:
            step = min(L, p0 + r1 - r) - p0
            u[at:at + step] = a[i, :, p0:p0 + step].T
        at += step
        r += step


def conv2d_grad_weight_bias(x, g, w_shape, stride=1, padding=0, dilation=1, groups=1,
                            threads=None):
    """(:func:`conv2d_grad_weight`, :func:`conv2d_grad_bias`), in one pass over ``g`` where
    the bias is summed by the weights' runs: its sums are then one more column of the
    weights' chains, a column of ones (``fma(1, g, s)`` is the rounded add ``s + g``)."""
    gw = conv2d_grad_weight(x, g, w_shape, stride, padding, dilation, groups, threads,
                            bias=True)
    if isinstance(gw, tuple):
        return gw
    return gw, conv2d_grad_bias(g, np.shape(x), w_shape, stride, padding, dilation, groups,
                                threads)


def conv2d_grad_weight(x, g, w_shape, stride=1, padding=0, dilation=1, groups=1,
                       threads=None, bias=False, onednn=False):
    """The weight gradient (O, C, KH, KW) of a conv2d of ``x`` (N, C, H, W) whose output
    gradient is ``g`` (N, O, OH, OW), in oneDNN's order: per run of rows of a thread (see
    :func:`_bwd_weights_plan`) one FMA chain from +0 over image, output row, output column
    (taps in the padding are products with 0); the runs' chains then added in order.
    Computed by :func:`ember._ops._chain.outer_chain` (chained sgemm calls).  None where
    :func:`bwd_route` says the shape is not reproduced, or where a sum is not finite.
    ``bias``: also the bias gradient, as a pair, where its runs are the weights' (see
    :func:`conv2d_grad_weight_bias`)."""
    x = np.asarray(x, _F32)
    g = np.asarray(g, _F32)
    how = bwd_route(x.shape, w_shape, stride, padding, dilation, groups, x.dtype, threads,
                    onednn)
    if how is None:
        return None
    if how == "native":
        from . import _native_conv_bwd as NB
        return NB.grad_weight(x, g, w_shape, stride, padding, threads)
    if how == "onednn_1x1":
        from . import _conv1x1_bwd as B1
        return B1.grad_weight(x, g, stride, threads)
    if how in ("depthwise", "grouped"):
        from . import _dw_conv_bwd as DW
        if how == "depthwise":
            if not DW.weights_ok(x.shape, w_shape, stride, padding):
                return None
            return DW.grad_weight(x, g, w_shape, stride, padding, _mkl_gemm._threads(threads),
                                  _KMAX)
        ok = DW.grouped_weights_ok(x.shape, w_shape, groups, stride, padding)
        return DW.grouped_grad_weight(x, g, w_shape, groups, stride, padding) if ok else None
    if _bwd_weights_kernel(x.shape, w_shape, stride, padding)[2] is None:
        return None  # (oneDNN's gemm:jit: not mapped)
    ranges, bias_ranges, oh, ow = _bwd_weights_plan(x.shape, w_shape, stride, padding,
                                                    threads)
    bias = bias and bias_ranges == ranges
    s, p = _pair(stride), _pair(padding)
    n, c, _, _ = x.shape
    o, _, kh, kw = w_shape
    L = oh * ow
    # channels last, so that a window's rows are runs of KW * C floats: (N, OH, OW, KH, KW, C)
    # (padded and transposed in one copy)
    if p == (0, 0):
        xl = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    else:
        xl = np.zeros((n, x.shape[2] + 2 * p[0], x.shape[3] + 2 * p[1], c), _F32)
        xl[:, p[0]:p[0] + x.shape[2], p[1]:p[1] + x.shape[3]] = x.transpose(0, 2, 3, 1)
    sn, sh, sw, sc = xl.strides
    win = np.lib.stride_tricks.as_strided(
        xl, (n, oh, ow, kh, kw, c), (sn, sh * s[0], sw * s[1], sh, sw, sc), writeable=False)
    g3 = np.ascontiguousarray(g).reshape(n, o, L)

    q = c * kh * kw

    def fill(r0, r1, u, v):  # output positions r0 .. r1-1 of the batch: g's rows, windows
        copy_positions(g3, r0, r1, u)
        copy_windows(win, r0, r1, v[:, :q])
        if bias:
            v[:, q] = 1

    runs = [(a * ow, b * ow) for a, b in ranges]
    # (the chains are per weight, so the order of V's columns is free: (KH, KW, C))
    total = _chain.outer_chain(runs, o, q + bias, fill, _KMAX)
    if total is None:
        return None
    gw = np.ascontiguousarray(total[:, :q].reshape(o, kh, kw, c).transpose(0, 3, 1, 2))
    return (gw, np.ascontiguousarray(total[:, q])) if bias else gw


def conv2d_grad_input(g, w, x_shape, stride=1, padding=0, dilation=1, groups=1,
                      threads=None, onednn=False):
    """The input gradient (N, C, H, W) of a conv2d by ``w`` (O, C, KH, KW) whose output
    gradient is ``g`` (N, O, OH, OW), in oneDNN's order (measured, 1 and 2 threads; the
    threads never split a sum):

    - stride 1 (its direct ``jit:avx512_core`` kernel): the output channels in blocks of 16;
      per block one FMA chain from +0 in the order kernel row, kernel column, output
      channel (innermost), the blocks' chains added in order with rounded adds, as forward;
    - larger strides (``brgconv_strided``): one FMA chain from +0 over kernel row, kernel
      column, all output channels (innermost); but where the input width is a multiple of
      the column stride, the kernel columns grouped per column phase as
      :func:`strided_column_plan` says (a column alone, or a run of columns whose taps stay
      inside the output gradient for the whole row: one chain over kernel row, kernel
      column, output channel), those chains added in order of the kernel column.

    Taps that miss the input gradient's position are skipped (from +0 that changes nothing).
    None where :func:`bwd_route` says the shape is not reproduced, and for the strided
    kernel with a width a multiple of the stride on 2 threads where its threads may cut the
    width into blocks (:func:`strided_width_whole`; asked for fewer than 4 work items of
    images times channel blocks, and always for a column stride of 1, whose width was cut
    into halves with up to 9 items) and summing it whole or in the blocks it may take would
    differ (:func:`strided_blocks_agree`; the blocks' chains: :func:`strided_column_plan`;
    which of the two it takes is oneDNN's cost model, not mapped)."""
    g = np.asarray(g, _F32)
    w = np.asarray(w, _F32)
    how = bwd_route(x_shape, w.shape, stride, padding, dilation, groups, g.dtype, threads,
                    onednn)
    if how is None:
        return None
    if how == "native":
        from . import _native_conv_bwd as NB
        return NB.grad_input(g, w, x_shape, stride, padding, threads)
    if how == "onednn_1x1" or (how == "onednn" and w.shape[2:] == (1, 1)):
        from . import _conv1x1_bwd as B1
        return B1.grad_input(g, w, x_shape, stride, threads)
    if how in ("depthwise", "grouped"):
        from . import _dw_conv_bwd as DW
        if how == "depthwise":
            return DW.grad_input(g, w, x_shape, stride, padding)
        return DW.grouped_grad_input(g, w, x_shape, int(groups), stride, padding,
                                     _mkl_gemm._threads(threads))
    if _bwd_data_kernel(x_shape, w.shape, stride, padding) is None:
        return None  # (oneDNN's gemm:jit, or a kernel not mapped)
    s, p = _pair(stride), _pair(padding)
    n, c, h, wd = x_shape
    o, _, kh, kw = w.shape
    units = n * -(-c // _BLOCK)  # (images times input-channel blocks: the threads' work)
    # (strided_width_whole's own count: 32-channel blocks past 16 channels)
    items = n * -(-c // (_BLOCK if c <= _BLOCK else 2 * _BLOCK))
    threads = _mkl_gemm._threads(threads)
    if (s != (1, 1) and wd % s[1] == 0 and threads > 1
            and width_in_question(units, items, s, threads)
            and not strided_width_whole(x_shape, w.shape, s, p, threads)
            and not (n > 1 and strided_blocks_agree(x_shape, w.shape, s, p))):
        return None  # (the threads may split the width: see strided_width_whole)
    # chains: lists of (kernel rows, kernel columns, output channels), each summed from +0,
    # then added in order
    if s == (1, 1):
        chains = [(range(kh), range(kw), (b0, b1)) for b0, b1 in channel_blocks(o)]
    elif wd % s[1] == 0:
        plan = strided_column_plan(wd, kw, s[1], p[1], wd)
        chains = [(range(kh), cols, (0, o)) for ph in range(min(s[1], wd))
                  for cols in plan[(0, ph)]]
    else:
        chains = [(range(kh), range(kw), (0, o))]
    return sum_input_chains(g, w, x_shape, s, p, chains)


def strided_column_plan(wd, kw, sw, lp, block):
    """How ``brgconv_strided`` (backward data, input width ``wd`` a multiple of the column
    stride ``sw``, left padding ``lp``, ``kw`` kernel columns) groups the kernel columns
    into FMA chains where its threads take the width in blocks of ``block`` columns (a
    multiple of ``sw`` dividing ``wd``; the whole width where it is kept whole).  Returns
    ``{(first column of the block, phase): [kernel columns of a chain, ...]}``, the chains
    in the order they are added; a chain lists only the columns of its phase (those whose
    taps land on the stride's grid for input columns ``first + phase + k * sw``).

    Which calls run was learned from oneDNN's published source (per block and phase, the
    kernel columns whose taps stay inside the output gradient for every column of the
    phase in the block are "full", the others "partial"; the partial ones before the full
    run go one brgemm call each, the run in one call, the partial ones after it one call
    each), the order checked black-box against PyTorch 2.13 (1 and 2 threads; ~6000
    random shapes of mixed and equal strides 1 to 3, every padding below the kernel side,
    widths up to 99: no claim wrong).  A column's reach is counted as oneDNN does, the
    first output column it reads rounded toward zero (which counts a column of another
    phase next to a full one as full too), and the ends are moved up to the phase.  With
    paddings of at most 1 and strides of 2 or more each column came out alone (ember's
    earlier model); with stride (2, 1), padding (., 1) and a 2-wide kernel both columns
    are full: one chain (where ember once summed them apart)."""
    ow = (wd + 2 * lp - kw) // sw + 1
    plan = {}
    for b0 in range(0, wd, block):
        m = -(-min(block, wd - b0) // sw)  # input columns of one phase in the block
        for ph in range(min(sw, wd - b0)):
            x0 = b0 + ph
            reached, full = [], []
            for j in range(kw):
                first = int((x0 - j + lp) / sw)  # (oneDNN's division: toward zero)
                missed = max(0, -first) + max(0, first + m - ow)
                if missed < m:
                    reached.append(j)
                    if missed == 0:
                        full.append(j)
            lo, hi = (reached[0], reached[-1] + 1) if reached else (0, 0)
            f0, f1 = (full[0], full[-1] + 1) if full else (hi, hi)
            lo += (x0 + lp - lo) % sw  # (up to this phase's columns)
            f0 += (x0 + lp - f0) % sw
            groups = [[j] for j in range(lo, f0, sw)]
            if f0 < f1:
                groups.append(list(range(f0, f1, sw)))
            groups += [[j] for j in range(f1, hi, sw)]
            plan[(b0, ph)] = [[j for j in cols if (x0 + lp - j) % sw == 0]
                              for cols in groups]
    return plan


def width_in_question(units, items, s, threads) -> bool:
    """Whether ``brgconv_strided``'s threads might cut the width of a strided input gradient
    (its width a multiple of the column stride) of ``units`` images times 16-channel blocks
    (``items``: times the blocks :func:`strided_width_whole` counts), so that
    :func:`strided_width_whole` must be asked: on the AMD processor for a column stride of
    1 or fewer than 2 items a thread (with more it was never seen to cut); on the Intel
    processor always on 2 threads (it cut the width of shapes of up to 28 units, which
    :func:`strided_width_whole` models there)."""
    if threads <= 1:
        return False
    if _mkl_gemm.profile() == "intel":
        return True
    return s[1] == 1 or min(units, items) < 2 * threads


def strided_blocks_agree(x_shape, w_shape, s, p) -> bool:
    """Whether every input column's sum is the same chains (the same taps in each, in the
    same order) whether ``brgconv_strided`` keeps the width whole or cuts it into ``k``
    equal blocks, ``k`` the least divisor above 1 of the columns of a phase (the width
    over the column stride): then its threads' choice between the two (oneDNN's cost
    model, not mapped) does not matter.  Measured on 2 threads (~1200 shapes of 3 to 9
    images x channel blocks where :func:`strided_width_whole` could not say, widths up to
    99): the width was kept whole or cut into those ``k`` blocks (halves for an even
    count, thirds of 33 or 78 columns, ...), never otherwise (a lone image and channel
    block was also cut into 5 blocks where 3 would do: not covered, the caller asks only
    for more images)."""
    wd, kw, sw, lp = x_shape[3], int(w_shape[3]), s[1], p[1]
    q = wd // sw
    k = next((d for d in range(2, q + 1) if q % d == 0), 1)
    if k == 1:
        return True  # (one column per phase: no block to cut)
    ow = (wd + 2 * lp - kw) // sw + 1
    plans = [(strided_column_plan(wd, kw, sw, lp, b), b) for b in (wd, wd // k)]
    for x in range(wd):
        seen = []
        for plan, block in plans:
            b0 = x // block * block
            here = [tuple(j for j in cols if 0 <= (x + lp - j) // sw < ow)
                    for cols in plan[(b0, (x - b0) % sw)]]
            seen.append([t for t in here if t])
        if seen[0] != seen[1]:
            return False
    return True


def strided_width_whole(x_shape, w_shape, s, p, threads, groups=1):
    """Whether ``brgconv_strided`` (backward data, input width a multiple of the column
    stride: the chains of :func:`strided_column_plan`) keeps each input row in one width block on
    ``threads`` threads, for a batch of few images (``groups`` groups of ``x_shape[1]``
    channels each).  Its work items are (image, group, input-channel block, row block,
    width block), dealt out in equal runs; where the others leave the threads unevenly
    loaded it may cut the width into blocks, each block then summing its own way (an edge
    block's kernel columns one chain each, an inner block's columns together: recorded
    in ``tests/test_conv_bwd_width_split.py``), at a block size chosen by a cost model
    ember does not reproduce.  Measured on 2 threads (410 random shapes, 1 to 7 images, 1 to 48
    channels, 4 to 32 pixels a side, kernels 2 to 7, strides 2 and 3, padding 0 and 1):
    the whole width is one block wherever the other items come out even (258 of 258),
    counting the channels in blocks of 16 up to 16 channels and of 32 above, and the rows
    in blocks as oneDNN cuts them (those that fit half of a 1 MiB L2 cache, at most half
    of them for a lone image-and-channel-block, rounded up to the row stride and, where
    the stride divides the height, to a divisor of it: a 512 KiB or 2 MiB cache
    mispredicts shapes of 32 to 128 pixels a side); where they come out odd the width
    was cut in 35 of 152 (most with 1 or 3 images).  So True only where the count is even
    (on 2 threads, up to 48 channels; 1 thread never cuts), else False (not mapped).
    Checked again on 640 other few-image shapes up to 32 pixels a side (401 taken, bit
    for bit, 239 refused), 139 of 32 to 128 (119 taken, 20 refused) and 281 grouped ones
    (164 taken, 117 refused).

    On the Intel processor (its 2 MiB L2: :func:`caches`) the channels count as one block
    of up to 64 (``jobs`` = images times groups times the row blocks), whatever the number
    of images: on 450 random shapes of 1 to 8 images, 1 to 64 channels, widths up to 78
    the width stayed whole wherever that count is even (263 of 263), and was cut in 40 of
    the 187 odd ones (:func:`width_in_question`); then every claim exact on 320 other
    random shapes (1 to 32 images, 1 to 128 channels, widths up to 128).  More than 128
    channels: False (not measured)."""
    if threads <= 1:
        return True
    n, c, h, wd = x_shape
    o, _, kh, kw = (int(v) for v in w_shape)
    intel = _mkl_gemm.profile() == "intel"
    if threads != 2 or c > (128 if intel else 48):
        return False
    cb = _BLOCK if c <= _BLOCK else 2 * _BLOCK
    jobs = n * groups * -(-c // (64 if intel else cb))
    if jobs % 2 == 0:
        return True
    if groups != 1:
        return False
    # rows per block: those whose output-gradient rows (padded) and input-gradient row fit
    # in half the L2 cache (1 MiB a core on the AMD processor, 2 MiB on the Intel one)
    # beside the block's weights, at most half the rows for a lone job; then up to the row
    # stride (and a divisor of the height)
    oh = (h + 2 * p[0] - kh) // s[0] + 1
    ow = (wd + 2 * p[1] - kw) // s[1] + 1
    ohp, owp = (m + max(0, k - 1 - a) // st + max(0, k - 1 - ((m - 1) * st + k - n_ - a)) // st
                for m, k, a, st, n_ in ((oh, kh, p[0], s[0], h), (ow, kw, p[1], s[1], wd)))
    per_row = 8 * o * owp + 4 * wd * cb
    weights = 4 * kh * kw * o * cb + 128 * cb
    l2 = caches()[1]
    room = min(l2 // 2, max(0, l2 - weights))
    rows = h if ohp * per_row <= room else min(h, max(1, room // per_row))
    if jobs == 1:
        rows = min(rows, -(-h // 2))
    while rows < h and (rows % s[0] or (h % s[0] == 0 and h % rows)):
        rows += 1
    return jobs * -(-h // rows) % 2 == 0


def _progression(taps, step) -> bool:
    """Whether the kernel rows (or columns) ``taps`` are ``t, t + step, t + 2 step, ...``."""
    return len(taps) > 0 and list(taps) == list(range(taps[0], taps[0] + step * len(taps),
                                                      step))


def _flat_input_chains(g, w, x_shape, s, p, chains):
    """:func:`sum_input_chains` through :func:`_flat_chains`, or None where a chain's taps
    in a stride phase are not a grid (rows and columns each in steps of the stride) or sum
    more than :data:`_KMAX` products.  Within a phase the input gradient is a stride-1
    correlation of g (input row ``ry + s*u`` reads output row ``(ry + p - i) / s + u``), so
    each phase is one flat pass over g, zero margins around g keeping every read inside."""
    n, c, h, wd = x_shape
    o, _, kh, kw = w.shape
    oh, ow = g.shape[2:]
    phases = []  # (first row, first column, rows, columns, [(kernel rows, columns, outputs)])
    for ry in range(min(s[0], h)):
        for rx in range(min(s[1], wd)):
            on_grid = []
            for rows, colz, (o0, o1) in chains:
                ti = [i for i in rows if (ry + p[0] - i) % s[0] == 0]
                tj = [j for j in colz if (rx + p[1] - j) % s[1] == 0]
                if not (ti and tj):
                    continue  # (no tap of this chain reaches the phase: it adds +0)
                if not (_progression(ti, s[0]) and _progression(tj, s[1])
                        and len(ti) * len(tj) * (o1 - o0) <= _KMAX):
                    return None
                on_grid.append((ti, tj, (o0, o1)))
            phases.append((ry, rx, len(range(ry, h, s[0])), len(range(rx, wd, s[1])), on_grid))
    # the rows and columns of g each tap reaches over its phase: the margins they need
    reach = [((ry + p[0] - ti[k]) // s[0], (rx + p[1] - tj[q]) // s[1], hy, wx)
             for ry, rx, hy, wx, on_grid in phases for ti, tj, _ in on_grid
             for k in (0, -1) for q in (0, -1)]
    if not reach:
        return np.zeros((n, c, h, wd), _F32)
    top = max(0, -min(r[0] for r in reach))
    bottom = max(0, max(r[0] + r[2] for r in reach) - oh)
    left = max(0, -min(r[1] for r in reach))
    right = max(0, max(r[1] + r[3] for r in reach) - ow)
    gp, top, ws = _flat_padded(g, top, bottom, left, right, max(r[3] for r in reach))
    left = 0  # (the left margin is the row above's right one)
    out = None if s == (1, 1) else np.empty((n, c, h, wd), _F32)
    for ry, rx, hy, wx, on_grid in phases:
        # tap (i, j) reads g at row (ry + p - i) / s, column (rx + p - j) / s: as i and j step
        # on, one row (one column) back
        flat = [(np.ascontiguousarray(np.stack([w[o0:o1, :, i, j] for i in ti
                                                for j in tj]).reshape(-1, c)),
                 (((ry + p[0] - ti[0]) // s[0] + top) * ws + (rx + p[1] - tj[0]) // s[1] + left,
                  len(ti), -ws, len(tj), -1), (o0, o1)) for ti, tj, (o0, o1) in on_grid]
        if out is None:
            return _flat_chains(gp, hy, wx, flat) if flat else np.zeros((n, c, h, wd), _F32)
        if flat:
            _flat_chains(gp, hy, wx, flat, out=out[:, :, ry::s[0], rx::s[1]])
        else:
            out[:, :, ry::s[0], rx::s[1]] = 0
    return out


def sum_input_chains(g, w, x_shape, s, p, chains):
    """The input gradient (N, C, H, W) of a conv2d by ``w`` (O, C, KH, KW), stride ``s``,
    padding ``p``, whose output gradient is ``g`` (N, O, OH, OW), summed as ``chains``: a
    list of (kernel rows, kernel columns, (first, stop) output channels), each one FMA chain
    from +0 over (kernel row, kernel column, output channel), the chains added in order.

    A tap that reads no output (between the stride's grid points, or past the edges) adds
    an exact 0 to a chain, which leaves it as it is (a chain never holds -0): so the input
    positions are taken one stride phase at a time (rows ``ry::s``, columns ``rx::s``),
    each with only the taps that land on the grid for it, a chain without any such tap
    left out (it would add +0), so a strided gradient costs no more products than it has
    (not the stride's square times that).  Each phase is one pass of :func:`_flat_chains`
    (:func:`_flat_input_chains`); where its chains are not grids of taps, one ``sgemm`` per
    image and chain."""
    flat = _flat_input_chains(g, w, x_shape, s, p, chains)
    if flat is not None:
        return flat
    n, c, h, wd = x_shape
    o, _, kh, kw = w.shape
    oh, ow = g.shape[2:]
    out = np.empty((n, c, h, wd), _F32)
    # g with KH / KW zero rows and columns around it: every tap's read stays inside
    gp = np.zeros((n, o, oh + 2 * (kh + p[0]) + 2, ow + 2 * (kw + p[1]) + 2), _F32)
    gp[:, :, kh:kh + oh, kw:kw + ow] = g
    for ry in range(min(s[0], h)):
        for rx in range(min(s[1], wd)):
            hy, wx = len(range(ry, h, s[0])), len(range(rx, wd, s[1]))
            res = out if s == (1, 1) else np.empty((n, c, hy, wx), _F32)
            L = hy * wx
            first = True
            for rows, colz, (o0, o1) in chains:
                taps = [(i, j) for i in rows for j in colz
                        if (ry + p[0] - i) % s[0] == 0 and (rx + p[1] - j) % s[1] == 0]
                if not taps:
                    continue
                k = len(taps) * (o1 - o0)
                # a = the weights (K, C) by rows, K ordered (tap, output channel)
                a = np.ascontiguousarray(
                    np.stack([w[o0:o1, :, i, j] for i, j in taps]).reshape(k, c))
                step = max(1, _CHUNK // max(1, k * L))
                for n0 in range(0, n, step):
                    n1 = min(n, n0 + step)
                    cols = np.empty((n1 - n0, len(taps), o1 - o0, hy, wx), _F32)
                    for t, (i, j) in enumerate(taps):
                        # input row ry + s*u reads output row (ry + p - i) / s + u
                        y0 = (ry + p[0] - i) // s[0] + kh
                        x0 = (rx + p[1] - j) // s[1] + kw
                        cols[:, t] = gp[n0:n1, o0:o1, y0:y0 + hy, x0:x0 + wx]
                    _per_image(a, cols, res, n0, 0.0 if first else 1.0)
                first = False
            if first:  # (no tap reaches these positions)
                res[...] = 0
            if res is not out:
                out[:, :, ry::s[0], rx::s[1]] = res
    return out
