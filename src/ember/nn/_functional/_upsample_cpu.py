"""Bit-exact float32 linear resizing (``linear``, ``bilinear``, ``trilinear``).

PyTorch's CPU kernels compute these in float32 with fused multiply-adds where the
compiler contracts them; the order and the fusing below were measured against
PyTorch and are emulated exactly (a fused ``a * b + c`` is computed in float64 and
rounded once, which is exact for float32 operands).

- Per axis, output ``j`` reads inputs ``i0, i1`` with weights ``l0, l1``; its source
  position ``s * (j + 0.5) - 0.5`` is one fused multiply-add (clamped at 0).  An axis
  whose size does not change is copied (weights 1 and 0), even when a scale factor is
  given.
- Forward, generic kernel: nested over the axes (outermost first), each level
  ``fma(t0, l0, t1 * l1)``.  PyTorch's 4-D bilinear kernel for small outputs
  (``out_h + out_w <= 128``) is its channels-last one instead (see
  :func:`_bilinear_small`).
- Backward: the output gradient is scattered in raster order, each output adding to
  its ``2**d`` corners (first axis slowest) ``acc = fma(l_a * l_b * ..., g, acc)``.
"""
from __future__ import annotations

import itertools

import numpy as np

_f32, _f64 = np.float32, np.float64


from ..._random import _fma32 as _fma  # noqa: E402  (float32 a * b + c, rounded once)


def linear_weights(n_in, n_out, scale, align_corners):
    """``(i0, i1, l0, l1)`` of one axis, as PyTorch's float32 kernels compute them."""
    j = np.arange(n_out)
    if n_in == n_out:
        return j, j, np.ones(n_out, _f32), np.zeros(n_out, _f32)
    if align_corners:
        s = _f32(_f32(n_in - 1) / _f32(n_out - 1)) if n_out > 1 else _f32(0)
        src = (s * j.astype(_f32)).astype(_f32)
    else:
        if scale is not None and scale > 0:
            s = _f32(1.0 / scale)
        else:
            s = _f32(_f32(n_in) / _f32(n_out))
        src = _fma(s, j.astype(_f32) + _f32(0.5), _f32(-0.5))
        src = np.maximum(src, _f32(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    l1 = np.clip(src - i0.astype(_f32), 0, 1).astype(_f32)
    i1 = i0 + (i0 < n_in - 1)
    l0 = (_f32(1) - l1).astype(_f32)
    return i0, i1, l0, l1


def _shaped(w, ndim, ax):
    s = [1] * ndim
    s[ax] = -1
    return w.reshape(s)


def _bilinear_small(a, params):
    """4-D bilinear resizing when ``out_h + out_w <= 128`` (PyTorch's
    channels-last kernel).

    Each output is a sum of four corner pixels times the products of the row and column
    weights (``w_rc = l_r * m_c``, rounded to float32), accumulated with fused
    multiply-adds in an order that depends on the channel: channels in whole groups of
    8 (the kernel's vector loop) add corners (1,0), (1,1), (0,1), (0,0); the remaining
    ``C % 8`` (its scalar loop) add (0,1), (0,0), (1,0), (1,1).  NOTE: measured against
    PyTorch 2.13 on an AVX512 machine (the vector loop is 8 floats wide there too).
    """
    (i0, i1, l0, l1), (j0, j1, m0, m1) = params
    r0, r1 = l0[:, None], l1[:, None]
    corners = {(r, c): (np.take(np.take(a, ri, axis=-2), cj, axis=-1),
                        (rw * cw).astype(_f32))
               for r, (ri, rw) in enumerate(((i0, r0), (i1, r1)))
               for c, (cj, cw) in enumerate(((j0, m0), (j1, m1)))}

    def accumulate(order, channels):
        pix, w = corners[order[0]]
        acc = (pix[:, channels] * w).astype(_f32)
        for key in order[1:]:
            pix, w = corners[key]
            acc = _fma(pix[:, channels], w, acc)
        return acc

    channels = a.shape[1]
    cut = channels - channels % 8
    out = np.empty(corners[(0, 0)][0].shape, _f32)
    out[:, :cut] = accumulate(((1, 0), (1, 1), (0, 1), (0, 0)), slice(0, cut))
    out[:, cut:] = accumulate(((0, 1), (0, 0), (1, 0), (1, 1)), slice(cut, channels))
    return out


def linear_forward(a, params):
    """Resize float32 array ``a`` (``(N, C, *S)``) with per-axis ``params`` (outer first)."""
    nd = len(params)
    out = [len(p[0]) for p in params]
    if nd == 2 and sum(out) <= 128:  # PyTorch's channels-last kernel
        if tuple(a.shape[-2:]) == tuple(out):
            return np.array(a, dtype=_f32)
        return _bilinear_small(a, params)

    def rec(x, k):
        if k == nd:
            return x
        ax = x.ndim - nd + k
        i0, i1, l0, l1 = params[k]
        t0 = rec(np.take(x, i0, axis=ax), k + 1)
        t1 = rec(np.take(x, i1, axis=ax), k + 1)
        return _fma(t0, _shaped(l0, x.ndim, ax), (t1 * _shaped(l1, x.ndim, ax)).astype(_f32))

    return np.ascontiguousarray(rec(a, 0), dtype=_f32)


def linear_backward(g, in_shape, params):
    """The gradient of :func:`linear_forward` for output gradient ``g`` (float32)."""
    nd = len(params)
    lead = g.shape[:-nd]
    sp_in = tuple(in_shape[-nd:])
    B = int(np.prod(lead, dtype=np.int64))
    # (explicit width: ``-1`` cannot be inferred when the batch is empty)
    g2 = np.ascontiguousarray(g, dtype=_f32).reshape(B, int(np.prod(g.shape[-nd:], dtype=np.int64)))
    grids = np.meshgrid(*[np.arange(len(p[0])) for p in params], indexing="ij")
    grids = [q.ravel() for q in grids]
    targets, coefs = [], []
    for bits in itertools.product((0, 1), repeat=nd):
        flat = np.zeros(grids[0].shape, np.int64) if nd else None
        coef = None
        for k, b in enumerate(bits):
            p = params[k]
            idx = p[b][grids[k]]
            flat = flat * sp_in[k] + idx
            lam = p[2 + b][grids[k]]
            coef = lam if coef is None else (coef * lam).astype(_f32)
        targets.append(flat)
        coefs.append(coef)
    n_tot = int(np.prod(sp_in, dtype=np.int64))
    acc = np.zeros((B, n_tot), _f32)
    K, P = len(targets), g2.shape[1]
    t = np.stack(targets, 1).reshape(-1)  # raster order of outputs, corners inside
    c = np.stack(coefs, 1).reshape(-1)
    src = np.repeat(np.arange(P), K)
    if t.size:
        order = np.argsort(t, kind="stable")
        ts = t[order]
        starts = np.r_[0, np.flatnonzero(np.diff(ts)) + 1]
        rank = np.arange(ts.size) - np.repeat(starts, np.diff(np.r_[starts, ts.size]))
        for r in range(int(rank.max()) + 1):
            sel = order[rank == r]
            tt = t[sel]
            acc[:, tt] = _fma(c[sel], g2[:, src[sel]], acc[:, tt])
    return acc.reshape(tuple(lead) + sp_in)
