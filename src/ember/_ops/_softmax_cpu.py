"""PyTorch's CPU softmax kernels along a dim that is not the last, bit for bit in NumPy.

With the input viewed as ``(outer, dim, inner)``, PyTorch's kernels for ``dim`` before the
last vectorize across ``inner``: each lane reduces its own column along ``dim`` in order
(a running max, a running sum), so the order of the additions is the plain left-to-right
one. What differs from lane to lane is only which code computed it:

- the vector code exponentiates with Sleef's ``expf`` (``_sleef``), the scalar code (the
  leftover columns) with the C library's ``expf`` (``_sleef.c_exp``);
- both contract ``acc += g * y`` and ``g - exp(y) * sum`` into fused multiply-adds
  (measured; emulated exactly in float64);
- ``softmax`` picks its vector columns from how ``parallel_for`` splits the
  ``outer * inner`` columns among the threads; ``log_softmax`` and the backward kernels
  from fixed chunks of ``inner`` (so they do not depend on the thread count);
- the half types are converted to float32 and rounded back once, except in
  ``softmax``'s scalar columns, which round each ``exp`` to the half type before dividing
  it by the (float32) sum.
"""
from __future__ import annotations


import numpy as np

from . import _cascade
from . import _libm
from . import _sleef
from . import _sleef_more

_F32, _F64 = np.float32, np.float64
_LANES32 = _sleef.LANES  # float32 lanes of one vector; a half-type vector holds twice as many
_LANES64 = _LANES32 // 2  # (and a float64 one half as many)

# -- which columns the vector code computes ---------------------------------------------------

def _split_columns(outer, inner, lanes):
    """``softmax``'s vector columns, (outer, inner) booleans: the ``outer * inner`` columns
    are split among the threads in equal runs; a run takes whole vectors of ``lanes``
    columns while they fit in both the run and the row of ``inner``, the rest one by one."""
    n = outer * inner
    threads = _cascade._threads()
    run = -(-n // threads) if threads > 1 and n > 1 else n
    idx = np.arange(n)
    start = np.maximum(idx // run * run, idx // inner * inner)
    stop = np.minimum(np.minimum(idx // run * run + run, n), idx // inner * inner + inner)
    size = stop - start
    return ((idx - start) < size - size % lanes).reshape(outer, inner)


def _chunk_columns(dim, inner, lanes, itemsize):
    """The vector columns (inner,) of ``log_softmax`` and of the backward kernels: ``inner``
    in chunks of about 128 KiB of ``dim`` rows each; each chunk's whole vectors."""
    top = max(131072 // dim // itemsize, lanes) // lanes * lanes
    chunk = min(top, inner)
    p = np.arange(inner)
    first = p // chunk * chunk
    size = np.minimum(chunk, inner - first)
    return (p - first) < size - size % lanes


def _exp_by(mask, v):
    """``exp`` of float32 or float64 ``v`` (outer, dim, inner): Sleef's in the vector columns
    of ``mask`` (outer or 1, inner), the C library's elsewhere."""
    vector, scalar = ((_sleef_more.expd_capped, _libm.exp64) if v.dtype == _F64 else
                      (_sleef.expf, _sleef.c_exp))
    if not _sleef.VECTORIZED:  # a build without vector kernels: the C library throughout
        return scalar(v)
    if mask.all():
        return vector(v)
    if not mask.any():
        return scalar(v)
    m = np.broadcast_to(mask[:, None, :], v.shape)
    out = np.empty_like(v)
    out[m] = vector(v[m])
    out[~m] = scalar(v[~m])
    return out


def row_sums64(e):
    """Each row of float64 ``e`` (rows, n) summed as PyTorch's double ``reduce_all`` sums it:
    the lanes accumulate whole vectors from the first, the tail adds into the first lanes,
    then the lanes add left to right (float64 has no shuffle tree); a row shorter than a
    vector adds left to right."""
    rows, n = e.shape
    if n < _LANES64:
        return np.add.accumulate(e, axis=1)[:, -1] if n > 1 else e[:, 0].copy()
    full = n - n % _LANES64
    vecs = e[:, :full].reshape(rows, -1, _LANES64).transpose(1, 0, 2)
    acc = np.add.reduce(np.ascontiguousarray(vecs), axis=0, initial=-0.0)
    acc[:, :n - full] += e[:, full:]
    return np.add.accumulate(acc, axis=1)[:, -1]


def _running_sum(v):
    """Sum over axis 1 of (outer, dim, inner), left to right in float32."""
    acc = v[:, 0].copy()
    for i in range(1, v.shape[1]):
        acc += v[:, i]
    return acc


_fma32 = _sleef.fma32


_fma64 = _sleef_more.fma_capped


def _half_lanes(itemsize):
    return _LANES32 * 2 if itemsize == 2 else _LANES64 if itemsize == 8 else _LANES32


# -- the kernels ------------------------------------------------------------------------------

def _view3(a, d):
    outer = int(np.prod(a.shape[:d], dtype=np.int64))
    inner = int(np.prod(a.shape[d + 1:], dtype=np.int64))
    return np.ascontiguousarray(a).reshape(outer, a.shape[d], inner)


def softmax(a, d):
    """``softmax`` of ``a`` (float32, float64, float16 or bfloat16) along ``d`` (not the last
    dim)."""
    x = _view3(a, d)
    half = x.itemsize == 2
    xf = x.astype(_F32) if half else x
    with np.errstate(all="ignore"):
        s = xf - xf.max(axis=1, keepdims=True)
        vec = _split_columns(x.shape[0], x.shape[2], _half_lanes(x.itemsize))
        e = _exp_by(vec, s)
        total = _running_sum(e)[:, None, :]
        if half:
            # the scalar columns keep exp rounded to the half type, then divide
            e = np.where(vec[:, None, :], e, e.astype(x.dtype).astype(_F32))
        out = e / total
    return out.astype(a.dtype, copy=False).reshape(a.shape)


def log_softmax(a, d):
    """``log_softmax`` of ``a`` (float32 or float64) along ``d`` (not the last dim)."""
    x = _view3(a, d)
    wide = x.dtype == _F64
    with np.errstate(all="ignore"):
        s = x - x.max(axis=1, keepdims=True)
        vec = _chunk_columns(x.shape[1], x.shape[2], _half_lanes(x.itemsize), x.itemsize)
        total = _running_sum(_exp_by(vec[None, :], s))[:, None, :]
        out = s - (_sleef_more.logd_capped(total) if wide else _sleef.logf(total))
    return out.reshape(a.shape)


def _float_views(g, y, d):
    gs, ys = _view3(g, d), _view3(y, d)
    if ys.itemsize == 2:  # the half types: computed in float32, rounded once at the end
        gs, ys = gs.astype(_F32), ys.astype(_F32)
    return gs, ys


def softmax_backward(g, y, d):
    """The gradient of ``softmax`` along ``d``: ``y * (g - sum)`` with ``sum`` the running
    fused multiply-add of ``g * y`` (float32 or float64 along a dim before the last; the half
    types along any dim, where the last dim's lane-wise sum is approximated by the running
    one)."""
    gs, ys = _float_views(g, y, d)
    if ys.dtype == _F64:
        acc = np.zeros((gs.shape[0], gs.shape[2]), _F64)
        # (the exact fused steps cost ~0.2 ms each: a long dim takes them rounded twice)
        size = gs.size if gs.shape[1] <= 128 else None
        with np.errstate(all="ignore"):
            for i in range(gs.shape[1]):
                acc = _fma64(gs[:, i], ys[:, i], acc, size or _sleef_more.EXACT_MAX + 1)
            return (ys * (gs - acc[:, None, :])).reshape(y.shape)
    acc = np.zeros((gs.shape[0], gs.shape[2]), _F32)
    t = np.empty(acc.shape, _F64)
    with np.errstate(all="ignore"):
        for i in range(gs.shape[1]):
            np.multiply(gs[:, i], ys[:, i], out=t, dtype=_F64)
            np.add(t, acc, out=acc, dtype=_F64, casting="unsafe")
        out = ys * (gs - acc[:, None, :])
    return out.astype(y.dtype, copy=False).reshape(y.shape)


def log_softmax_backward(g, y, d):
    """The gradient of ``log_softmax`` along ``d``: ``g - exp(y) * sum(g)`` as one fused
    multiply-add (float32 or float64 along a dim before the last; the half types along any
    dim)."""
    gs, ys = _float_views(g, y, d)
    with np.errstate(all="ignore"):
        total = _running_sum(gs)[:, None, :]
        if d == y.ndim - 1:  # the last dim's kernel: Sleef's exp throughout
            vec = np.ones((1, 1), bool)
        else:
            vec = _chunk_columns(ys.shape[1], ys.shape[2], _half_lanes(y.itemsize),
                                 y.itemsize)[None, :]
        e = _exp_by(vec, ys)
        if ys.dtype == _F64:
            return _fma64(-e, total, gs).reshape(y.shape)
        out = (gs - e.astype(_F64) * total).astype(_F32)
    return out.astype(y.dtype, copy=False).reshape(y.shape)
