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
  (``out_h + out_w <= 128``) is separable instead: the last axis as above, then the
  rows as ``fma(t1, l1, t0 * l0)``.
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


def _combine(a, ax, p, first_fused):
    i0, i1, l0, l1 = p
    t0, t1 = np.take(a, i0, axis=ax), np.take(a, i1, axis=ax)
    l0, l1 = _shaped(l0, a.ndim, ax), _shaped(l1, a.ndim, ax)
    if first_fused:
        return _fma(t0, l0, (t1 * l1).astype(_f32))
    return _fma(t1, l1, (t0 * l0).astype(_f32))


def linear_forward(a, params):
    """Resize float32 array ``a`` (``(N, C, *S)``) with per-axis ``params`` (outer first)."""
    nd = len(params)
    out = [len(p[0]) for p in params]
    if nd == 2 and sum(out) <= 128:  # PyTorch's separable kernel
        if a.shape[-1] != out[1]:
            a = _combine(a, a.ndim - 1, params[1], True)
        if a.shape[-2] != out[0]:
            a = _combine(a, a.ndim - 2, params[0], False)
        return np.ascontiguousarray(a, dtype=_f32)

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
    g2 = np.ascontiguousarray(g, dtype=_f32).reshape(B, -1)
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
