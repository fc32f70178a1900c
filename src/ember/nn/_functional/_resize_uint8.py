"""Bilinear and bicubic resizing of uint8 images in fixed point, as PyTorch's CPU kernel.

PyTorch (>= 2.1) resizes ``uint8`` ``(N, C, H, W)`` tensors without going through
floats: per axis it computes the filter weights in float64, scales them to int16 at
the largest precision ``p`` (at most 22 bits) for which twice the largest weight
still fits in 15 bits, and then each output pixel is

    clamp((2**(p-1) + sum_k in[xmin + k] * w_int[k]) >> p, 0, 255)

(a rounding division done with integers).  The width is resized first, rounded to
uint8, then the height; an axis whose size does not change is skipped, so equal
sizes copy the input even when a ``scale_factor`` would move the samples.

The weights follow two schemes:

- antialiased (Pillow's): a filter centred at ``s * (i + 0.5)`` widened by the
  shrink factor ``s`` when shrinking, normalised to sum to one (bicubic uses Keys'
  ``a = -0.5``);
- plain: the 2 (bilinear) or 4 (bicubic, ``a = -0.75``) taps around the source
  position, where taps past an edge are folded onto the edge pixel.

Both the AVX2 kernel (C <= 4) and the generic one (any C) compute the same integers,
so the result does not depend on the processor.  The integer sums are exact in float64
(at most ``255 * 2**15`` per tap), so each pass is a float64 matrix product.
"""
from __future__ import annotations

import math

import numpy as np

from ..._random import cpu_capability

from .spatial import _aa_filter, _cubic_far, _cubic_near

__all__ = ["resize_uint8", "uint8_weights"]

_F64 = np.float64


def _step(n_in: int, n_out: int, align_corners: bool, scale) -> float:
    """The source step per output step (float64, as PyTorch's uint8 kernel)."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    if scale is not None and scale > 0:
        return 1.0 / scale
    return n_in / n_out


def _plain_filter(mode):
    if mode == "bilinear":
        return lambda x: np.maximum(1.0 - np.abs(x), 0.0)
    a = _F64(-0.75)

    def cubic(x):
        x = np.abs(x)
        near, far = _cubic_near(x, a, True), _cubic_far(x, a, True)
        return np.where(x < 1, near, np.where(x < 2, far, 0.0))

    return cubic


def _aa_taps(n_in, n_out, mode, s):
    """``(xmin, xsize, weights (n_out, K), max weight)`` of antialiased resizing."""
    size, filt = _aa_filter(mode, np.dtype(_F64))
    shrink = s >= 1.0
    support = size * 0.5 * s if shrink else size * 0.5
    invscale = 1.0 / s if shrink else 1.0
    width = int(math.ceil(support)) * 2 + 1
    center = s * (np.arange(n_out, dtype=_F64) + 0.5)
    # NOTE: C's cast to int64 truncates toward zero (matters only below 0, clipped anyway)
    xmin = np.maximum(np.trunc(center - support + 0.5).astype(np.int64), 0)
    xend = np.minimum(np.trunc(center + support + 0.5).astype(np.int64), n_in)
    xsize = np.clip(xend - xmin, 0, width)
    k = np.arange(width)
    used = k[None, :] < xsize[:, None]
    arg = ((xmin[:, None] + k[None, :]).astype(_F64) - center[:, None] + 0.5) * invscale
    w = np.where(used, filt(arg), 0.0)
    total = np.zeros(n_out, dtype=_F64)
    for j in range(width):  # summed tap by tap, in order
        total = total + w[:, j]
    nz = total != 0
    w = np.where(nz[:, None], w / np.where(nz, total, 1.0)[:, None], w)
    wmax = float(np.max(np.where(nz[:, None] & used, w, 0.0), initial=0.0))
    return xmin, xsize, w, wmax


def _plain_taps(n_in, n_out, mode, s, align_corners):
    """``(xmin, xsize, weights (n_out, K), max weight)`` of plain (not antialiased) resizing."""
    filt = _plain_filter(mode)
    taps = 2 if mode == "bilinear" else 4
    half = taps // 2
    i = np.arange(n_out, dtype=_F64)
    src = s * i if align_corners else s * (i + 0.5) - 0.5
    if mode == "bilinear":
        src = np.maximum(src, 0.0)
    # NOTE: PyTorch floors the source position in float32 (floorf) even here.
    idx = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n_in - 1)
    lam = np.clip(src - idx, 0.0, 1.0)
    lo = idx - half + 1
    xmin = np.maximum(lo, 0)
    xsize = np.clip(np.minimum(idx + half + 1, n_in) - xmin, 0, taps)
    raw = [filt(_F64(j + 1 - half) - lam) for j in range(taps)]
    w = np.stack(raw, axis=1).astype(_F64)
    edge = (lo <= 0) | (lo + taps - 1 >= n_in - 1)
    inner = ~edge
    wmax = float(w[inner].max(initial=0.0))
    # Taps past an edge are added onto the edge pixel's weight; PyTorch tracks the
    # largest weight after every addition (partial sums included), so this does too.
    for r in np.flatnonzero(edge):
        row = np.zeros(taps, dtype=_F64)
        slot = 0
        for j in range(taps):
            pos = lo[r] + j
            if pos <= 0:
                slot = 0
            elif pos >= n_in - 1:
                slot = int(xsize[r]) - 1
            row[slot] += raw[j][r]
            wmax = max(wmax, float(row[slot]))
            slot += 1
        w[r] = row
    return xmin, xsize, w, wmax


def uint8_weights(n_in: int, n_out: int, mode: str, antialias: bool, align_corners=False,
                  scale=None):
    """``(xmin, xsize, int weights (n_out, K), precision)`` of one axis, as PyTorch."""
    s = _step(n_in, n_out, align_corners, scale)
    if antialias:
        xmin, xsize, w, wmax = _aa_taps(n_in, n_out, mode, s)
    else:
        xmin, xsize, w, wmax = _plain_taps(n_in, n_out, mode, s, align_corners)
    prec = 0
    while prec < 22 and int(0.5 + wmax * (1 << (prec + 1))) < (1 << 15):
        prec += 1
    v = w * _F64(1 << prec)
    iw = np.where(v < 0, np.trunc(v - 0.5), np.trunc(v + 0.5))
    used = np.arange(w.shape[1])[None, :] < xsize[:, None]
    return xmin, xsize, np.where(used, iw, 0.0), prec


def _dense(n_in, xmin, xsize, iw):
    """The ``(n_out, n_in)`` float64 matrix of integer weights."""
    n_out, k = iw.shape
    m = np.zeros((n_out, n_in), dtype=_F64)
    cols = xmin[:, None] + np.arange(k)[None, :]
    ok = np.arange(k)[None, :] < xsize[:, None]
    rows = np.broadcast_to(np.arange(n_out)[:, None], cols.shape)
    m[rows[ok], cols[ok]] = iw[ok]
    return m


def _finish(acc, prec):
    """``clamp((acc + 2**(prec-1)) >> prec, 0, 255)`` for exact integer sums in float64."""
    q = np.floor((acc + _F64(1 << (prec - 1))) / _F64(1 << prec))
    return np.clip(q, 0, 255).astype(np.uint8)


def resize_uint8(x: np.ndarray, out_hw, mode: str, antialias: bool, align_corners: bool,
                 scales) -> np.ndarray:
    """Resize a uint8 ``(N, C, H, W)`` NumPy array to ``out_hw`` as PyTorch's CPU kernel."""
    n, c, h, w = x.shape
    # PyTorch runs its AVX2 kernel (also on AVX512 machines) for C <= 4, else a generic one.
    generic = c > 4 or cpu_capability() == "default"
    oh, ow = out_hw
    y = np.ascontiguousarray(x)
    if w != ow:
        xmin, xsize, iw, prec = uint8_weights(w, ow, mode, antialias, align_corners, scales[1])
        m = _dense(w, xmin, xsize, iw)
        acc = y.reshape(-1, w).astype(_F64) @ m.T
        y = _finish(acc, prec).reshape(n, c, h, ow)
    if h != oh:
        xmin, xsize, iw, prec = uint8_weights(h, oh, mode, antialias, align_corners, scales[0])
        if generic and ow == 1:
            # NOTE: PyTorch's generic kernel gives every output row the weights of row 0
            # when the output is one pixel wide (its float antialiased kernel does too).
            xmin, xsize, iw = (np.repeat(a[:1], oh, axis=0) for a in (xmin, xsize, iw))
        m = _dense(h, xmin, xsize, iw)
        acc = np.matmul(m, y.reshape(n * c, h, -1).astype(_F64))
        y = _finish(acc, prec).reshape(n, c, oh, ow)
    return y.copy() if y is x else y
