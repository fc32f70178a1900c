"""PyTorch's float32 ``conv_transpose2d`` on the CPU (oneDNN's deconvolution), bit for bit.

oneDNN runs a transposed convolution with its convolution passes, so that
:mod:`ember._ops._onednn_conv` reproduces it once the roles are swapped.  Measured black-box
against PyTorch 2.13 (1 and 2 threads; DCGAN-style 4x4 kernels of stride 2, 3x3 and 5x5
of stride 1 and 2, output padding, batches 1 to 64, 1 to 100 channels; and on the Intel
processor ~550 random shapes, kernels 2 to 5, strides 1 to 3, any padding), with the
deconvolution's weight ``(C_in, C_out, KH, KW)`` read as a convolution's ``(O, C, KH, KW)``
whose input is shaped like the deconvolution's output:

- forward: the convolution's input gradient of that convolution, with the deconvolution's
  input as the output gradient, then the bias in one rounded add per output;
- input gradient: the convolution's forward of the output gradient (no bias);
- weight gradient: the convolution's weight gradient with the output gradient as its input
  and the deconvolution's input as its output gradient;
- bias gradient: per output channel one chain of rounded float32 adds over (image, row,
  column), on any thread count; for 1 to 3 output channels a chain over each image's
  positions, then the images' sums added in order, except where the weights pass runs
  oneDNN's AVX2 kernel on 1 or 2 channels (paddings past half the kernel; it pads them to a
  block of 8): one chain over all, as for 4 or more (measured on the Intel processor, 1 and
  2 threads); not where the weights pass is oneDNN's ``gemm:jit`` (paddings near the
  kernel's size).

A batch of 1 runs the same oneDNN passes (a plain convolution of one image may not: the
passes here ask for oneDNN's, ``onednn=True``).  Where PyTorch does not take oneDNN (see
:func:`ember._ops._onednn_conv._uses_onednn`), for groups, dilation, and wherever the
convolution passes are not reproduced, :func:`route` or the pass says None and the caller
keeps its own order.
"""
from __future__ import annotations

import numpy as np

from . import _mkl_gemm, _onednn_conv as OC

_F32 = np.float32


def out_shape(x_shape, w_shape, stride, padding, output_padding):
    n, _, h, w = x_shape
    _, co, kh, kw = w_shape
    s, p, op = (OC._pair(v) for v in (stride, padding, output_padding))
    return (n, co, (h - 1) * s[0] - 2 * p[0] + kh + op[0],
            (w - 1) * s[1] - 2 * p[1] + kw + op[1])


def route(x_shape, w_shape, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
          threads=None):
    """``"onednn"`` where the functions below give PyTorch's bits for a float32
    conv_transpose2d of input ``x_shape`` (N, C_in, H, W) by weight ``w_shape``
    (C_in, C_out, KH, KW), else None."""
    if len(x_shape) != 4 or len(w_shape) != 4 or int(groups) != 1 or \
            OC._pair(dilation) != (1, 1) or min(x_shape) < 1 or min(w_shape) < 1:
        return None
    n, c, h, w = x_shape
    kh, kw = w_shape[2:]
    s = OC._pair(stride)
    threads = _mkl_gemm._threads(threads)
    if threads not in (1, 2) or \
            not OC._uses_onednn(n, c, h, w, kh, kw, s != (1, 1), False, 1, threads):
        return None  # (PyTorch's own path: not reproduced)
    y = out_shape(x_shape, w_shape, stride, padding, output_padding)
    if min(y[2:]) < 1:
        return None
    ok = OC.bwd_route(y, w_shape, stride, padding, threads=threads, onednn=True) == "onednn"
    return "onednn" if ok else None


def forward(x, w, bias, stride, padding, output_padding, guess=False):
    """The output of ``conv_transpose2d(x, w, bias, ...)`` in PyTorch's order, or None.
    ``guess``: where only the width split of oneDNN's threads is in question (see
    :func:`width_guess`), its likelier order rather than None (not a claim)."""
    if route(x.shape, w.shape, stride, padding, output_padding) is None:
        return None
    shape = out_shape(x.shape, w.shape, stride, padding, output_padding)
    y = OC.conv2d_grad_input(x, w, shape, stride, padding, onednn=True)
    if y is None and guess:
        y = width_guess(x, w, shape, stride, padding)
    if y is not None and bias is not None:
        y += np.asarray(bias, _F32)[None, :, None, None]
    return y


def width_guess(g, w, x_shape, stride, padding):
    """oneDNN's strided backward-data order (the deconvolution's forward) on 2 threads where
    :func:`ember._ops._onednn_conv.conv2d_grad_input` cannot tell whether its threads keep the
    width whole or cut it into ``k`` blocks (``k`` the least divisor above 1 of the width
    over the column stride; oneDNN's blocking cost model, not mapped): the likelier of the
    two, else None.  Measured on the Intel processor (2 threads, 60 random refused
    conv_transpose2d shapes, batch 1 to 8, 1 to 64 channels): the whole width was right in 49
    (ember's own order in none); halves were right in all 9 of a lone job (one image of up to
    64 output channels) with an even count of columns a phase, in 4 of 13 otherwise; thirds
    and more never (5ths once).  So halves for a lone job, else the whole width."""
    s, p = OC._pair(stride), OC._pair(padding)
    n, c, _, wd = x_shape
    kh, kw = w.shape[2:]
    if s == (1, 1) or wd % s[1] or _mkl_gemm._threads(None) != 2 or \
            OC._bwd_data_kernel(x_shape, w.shape, s, p) is None:
        return None
    q = wd // s[1]
    k = next((d for d in range(2, q + 1) if q % d == 0), 1)
    block = wd // 2 if k == 2 and n * -(-c // 64) == 1 else wd
    plan = OC.strided_column_plan(wd, kw, s[1], p[1], block)
    out = np.empty(x_shape, _F32)
    for b0 in range(0, wd, block):
        chains = [(range(kh), cols, (0, w.shape[0])) for ph in range(min(s[1], wd - b0))
                  for cols in plan[(b0, ph)]]
        part = OC.sum_input_chains(g, w, x_shape, s, p, chains)
        out[..., b0:b0 + block] = part[..., b0:b0 + block]
    return out


def grad_input(g, w, x_shape, stride, padding, output_padding):
    if route(x_shape, w.shape, stride, padding, output_padding) is None:
        return None
    return OC.conv2d(g, w, None, stride, padding, onednn=True)


def grad_weight(x, g, w_shape, stride, padding, output_padding):
    if route(x.shape, w_shape, stride, padding, output_padding) is None:
        return None
    return OC.conv2d_grad_weight(g, x, w_shape, stride, padding, onednn=True)


def grad_bias(g, x_shape, w_shape, stride, padding, output_padding):
    if route(x_shape, w_shape, stride, padding, output_padding) is None:
        return None
    y = out_shape(x_shape, w_shape, stride, padding, output_padding)
    block, _, kernel = OC._bwd_weights_kernel(y, w_shape, OC._pair(stride), OC._pair(padding))
    if kernel is None:
        return None  # (oneDNN's gemm:jit weights pass sums the bias its own way: not mapped)
    n, co = g.shape[:2]
    if co >= 4 or block != co:  # (1 or 2 channels padded to the AVX2 weights kernel's block
        # of 8, paddings past half the kernel: one chain too; measured on the Intel processor)
        return OC._column_sums(g.transpose(0, 2, 3, 1).reshape(-1, co)) + _F32(0)
    per_image = np.stack([OC._column_sums(g[i].reshape(co, -1).T) for i in range(n)])
    return OC._column_sums(per_image) + _F32(0)
