"""The backward of PyTorch's own float32 ``conv2d`` path (``slow_conv2d``), bit for bit.

A batch of 1 with a small kernel (see :func:`ember._ops._onednn_conv.route`, ``"native"``)
does not go to oneDNN: PyTorch unfolds the image into im2col columns (channel, kernel row,
kernel column) by (output row, output column) and multiplies through MKL.  Its backward, as
PyTorch's sources say which operations run (``ConvolutionMM2d.cpp``, ``Unfold2d.cpp``) and as
checked black-box here against torch 2.13 on 1 and 2 threads:

- **Input gradient**: the column gradient ``Wᵀ @ G`` (``W`` the (O, C·KH·KW) weight by
  rows, ``G`` the (O, OH·OW) output gradient), one MKL ``sgemm`` into a fresh buffer, in the
  order of ``torch.mm(W.t(), G)`` (:mod:`ember._ops._mkl_gemm`: ``a`` by columns, ``b`` by
  rows); then those columns are added back onto a zeroed input gradient tap by tap: for
  every channel, kernel row, kernel column (in that order) the tap's (OH, OW) plane goes
  onto the input positions it read, one rounded float32 add per element.  Each input
  element so sums its taps in (kernel row, kernel column) order from +0, which NumPy does
  as one strided ``+=`` per tap over all channels at once.
- **Weight gradient**: ``G @ colsᵀ`` added into a zeroed (O, C·KH·KW) gradient (``beta =
  1``), the order of ``torch.addmm(zeros, G, cols.t())`` (``b`` by columns).
- **Bias gradient**: the output gradient summed over (batch, rows, columns) by PyTorch's
  reduction kernel (:func:`ember._ops._cascade.cascade_sum`).

The threads: a batch of 1 is not split; MKL's own threads are PyTorch's (as in the forward).
MKL's order for some tail rows moves with the operands' addresses: PyTorch's are fresh
buffers, so ``G`` and the columns go from a 16-byte boundary here too (:func:`_fresh`).
Checked on ~14,500 random shapes that :func:`ember._ops._onednn_conv.route` calls
``"native"`` (C 1..128, O 1..400, kernels 1..5, strides 1..3, paddings 0..2, 1 and 2
threads, with infinities and NaN too): every bit of the three gradients.  On the Intel
processor the two products follow MKL's Intel plan (:func:`ember._ops._mkl_gemm.profile`),
claimed where it maps both (~700 random shapes, 1 and 2 threads: all exact).  Cost: 0.6-1.3x
ember's own backward on most shapes; up to ~2.3x for one-channel images, where the weight
gradient's 9 columns are all MKL tail rows emulated product by product.
Not reproduced (None, and the caller keeps its own order): whatever
:func:`ember._ops._mkl_gemm` does not cover for these two products (it then says None).
"""
from __future__ import annotations

import numpy as np

from . import _cascade, _mkl_gemm
from ._onednn_conv import _pair

_F32 = np.float32


def _out_size(x_shape, w_shape, s, p):
    _, _, h, w = x_shape
    _, _, kh, kw = w_shape
    return (h + 2 * p[0] - kh) // s[0] + 1, (w + 2 * p[1] - kw) // s[1] + 1


def covered(x_shape, w_shape, stride=1, padding=0, threads=None) -> bool:
    """Whether :mod:`ember._ops._mkl_gemm` covers both products of this backward on this
    processor (either measured profile; the caller has checked that PyTorch takes its own
    path: a batch of 1, ``groups=1``, no dilation)."""
    s, p = _pair(stride), _pair(padding)
    o, c, kh, kw = w_shape
    oh, ow = _out_size(x_shape, w_shape, s, p)
    k, n = c * kh * kw, oh * ow
    t = _mkl_gemm._threads(threads)
    return _mkl_gemm.profile() is not None and \
        _mkl_gemm.plan(k, o, n, False, t, 1.0, True) is not None and \
        _mkl_gemm.plan(o, n, k, True, t, 1.0, False) is not None


def _fresh(a):
    """``a`` C-contiguous from a 16-byte boundary, as PyTorch's fresh buffers are (MKL's
    order for some rows moves with their address): a copy where it is not."""
    if a.flags.c_contiguous and a.ctypes.data % 16 == 0:
        return a
    out = np.empty(a.shape, _F32)
    out[...] = a
    return out


def columns(x, kh, kw, s, p):
    """The im2col columns (C·KH·KW, OH·OW) of one image ``x`` (C, H, W), zeros in the
    padding, as PyTorch's unfold lays them out (a fresh C-ordered array)."""
    c, h, w = x.shape
    if p != (0, 0):
        xp = np.zeros((c, h + 2 * p[0], w + 2 * p[1]), _F32)
        xp[:, p[0]:p[0] + h, p[1]:p[1] + w] = x
    else:
        xp = x
    oh = (xp.shape[1] - kh) // s[0] + 1
    ow = (xp.shape[2] - kw) // s[1] + 1
    sc, sh, sw = xp.strides
    win = np.lib.stride_tricks.as_strided(
        xp, (c, kh, kw, oh, ow), (sc, sh, sw, sh * s[0], sw * s[1]), writeable=False)
    return np.ascontiguousarray(win).reshape(c * kh * kw, oh * ow)


def grad_input(g, w, x_shape, stride, padding, threads=None):
    """The input gradient (1, C, H, W) of PyTorch's own conv2d path, or None where the
    column product is not reproduced.  ``g`` (1, O, OH, OW), ``w`` (O, C, KH, KW)."""
    s, p = _pair(stride), _pair(padding)
    _, c, h, wd = x_shape
    o, _, kh, kw = w.shape
    oh, ow = g.shape[2:]
    wm = np.ascontiguousarray(w, _F32).reshape(o, c * kh * kw)
    gm = _fresh(np.asarray(g[0], _F32)).reshape(o, oh * ow)
    cols = _mkl_gemm._run(wm.T, gm, None, 1.0, 1.0, threads)
    if cols is None:
        return None
    cols = cols.reshape(c, kh, kw, oh, ow)
    # the zeroed gradient, padded (what lands in the padding is dropped at the end; from
    # +0 a tap that misses a position changes nothing there either)
    hp = max(h + 2 * p[0], s[0] * (oh - 1) + kh)
    wp = max(wd + 2 * p[1], s[1] * (ow - 1) + kw)
    acc = np.zeros((c, hp, wp), _F32)
    with np.errstate(all="ignore"):  # (inf - inf: NaN, silently, as PyTorch)
        for i in range(kh):
            for j in range(kw):
                acc[:, i:i + s[0] * (oh - 1) + 1:s[0], j:j + s[1] * (ow - 1) + 1:s[1]] += \
                    cols[:, i, j]
    return np.ascontiguousarray(acc[None, :, p[0]:p[0] + h, p[1]:p[1] + wd])


def grad_weight(x, g, w_shape, stride, padding, threads=None):
    """The weight gradient (O, C, KH, KW) of PyTorch's own conv2d path, or None where the
    product is not reproduced.  ``x`` (1, C, H, W), ``g`` (1, O, OH, OW)."""
    s, p = _pair(stride), _pair(padding)
    o, c, kh, kw = w_shape
    oh, ow = g.shape[2:]
    cols = _fresh(columns(np.asarray(x[0], _F32), kh, kw, s, p))
    gm = _fresh(np.asarray(g[0], _F32)).reshape(o, oh * ow)
    zero = np.zeros((o, c * kh * kw), _F32)
    gw = _mkl_gemm._run(gm, cols.T, zero, 1.0, 1.0, threads)
    return None if gw is None else gw.reshape(o, c, kh, kw)


def grad_bias(g):
    """The bias gradient (O,): ``g`` (1, O, OH, OW) summed over dims 0, 2, 3 as PyTorch's
    reduction kernel sums it."""
    return _cascade.cascade_sum(np.asarray(g, _F32), (0, 2, 3))
