"""PyTorch's CPU group norm kernels for contiguous float32 input, step for step.

The input (N, C, *) is seen as N*G rows of D*HxW values (D = C/G channels of HxW positions).

Forward: each row's mean and variance are those of layer norm's ``RowwiseMoments`` (see
``_layernorm_cpu.moments``; :func:`moments` below gives the same bits, vectorised across the
chunks of a row as well as across rows, since group norm's rows are few and long).  Then
``rstd = 1 / sqrt(max(var, 0) + eps)`` in double, rounded to float.  Without parameters the
output is ``(x - mean) * rstd``; with them each channel gets ``scale = rstd * gamma`` and
``bias = beta - scale * mean`` (fused) and the output is ``x * scale + bias`` (fused).

Backward: each (n, c) plane's ``sum(dy * x)`` and ``sum(dy)`` in SIMD lanes (``reduce_all``,
the products rounded before they are added, the tail's too), then per (n, g) those sums
weighted by gamma and added in lanes (:func:`_lane_dot`), three coefficients and
``dx = c1 * dy + c2 * x + c3``; ``dgamma``/``dbeta`` add the per-plane terms over the batch
in order.  The number of threads changes nothing: each thread owns whole rows or planes.

Which multiply-adds PyTorch's compiled code fuses was measured against PyTorch, site by
site; ember fuses the same ones, exactly, in float64 (``_fma``).
"""
from __future__ import annotations

import numpy as np

from ..._ops._cascade import _threads
from ._batchnorm_cpu import _fma, _reduce_all, fma_rows
from ._layernorm_cpu import LANES, finish_moments
from ._layernorm_cpu import moments as _rowwise_moments

_F32 = np.float32
_F64 = np.float64
_CHUNK = 16  # vectors per Welford chunk, as in RowwiseMoments
_RECIPROCALS = [_F32(1) / _F32(j + 1) for j in range(_CHUNK)]


def eligible(x, *params) -> bool:
    """A float32 NumPy input (not empty) with float32 NumPy parameters (``None`` for an absent
    one).  PyTorch makes a strided input contiguous first, but runs another kernel on
    channels-last input (channels the fastest-moving dim), which ember leaves to the generic
    path."""
    channels_last = (not x.flags.c_contiguous and x.ndim >= 3 and x.shape[1] > 1
                     and x.strides[1] == x.itemsize) if type(x) is np.ndarray else True
    return (type(x) is np.ndarray and x.dtype == _F32 and x.size > 0 and not channels_last
            and all(p is None or (type(p) is np.ndarray and p.dtype == _F32) for p in params))


def _welford(v):
    """Welford over axis -2 of ``v`` (..., count, LANES), from zero, per lane."""
    m1 = m2 = np.zeros(v.shape[:-2] + v.shape[-1:], _F32)
    for j in range(v.shape[-2]):
        vj = v[..., j, :]
        delta = vj - m1
        m1 = _fma(delta, _RECIPROCALS[j], m1)
        m2 = _fma(delta, vj - m1, m2)
    return m1, m2


def _merge(add, into):
    """Partial moments ``add`` merged into ``into`` (each ``(counts, m1, m2)``, the counts of
    shape (k,) against moments (rows, k, LANES)), as ``AddMomentsVec`` merges them."""
    count_add, m1_add, m2_add = add
    count, m1, m2 = into
    n = count + count_add
    c = (count_add.astype(_F32) / n.astype(_F32))[:, None]
    delta = m1_add - m1
    step = c * delta
    return n, m1 + step, _fma(delta * count.astype(_F32)[:, None], step, m2 + m2_add)


def _blocks(level, which):
    """The blocks ``which`` (a slice) of ``level`` = ``(counts, m1, m2)``."""
    counts, m1, m2 = level
    return counts[which], m1[:, which], m2[:, which]


def moments(x):
    """Each row's ``(mean, biased variance)`` of ``x`` (rows, n): the bits of
    ``_layernorm_cpu.moments``.  RowwiseMoments runs Welford on chunks of 16 vectors, which
    are independent of one another, and merges the chunks' moments like a binary counter:
    pairs of equal blocks (the later into the earlier) make the next level's blocks, and at
    the end the blocks left over (one for each set bit of the number of chunks) are merged,
    each higher level's into the lower ones' result.  So all chunks go at once, and then
    each level of the tree.  Merging into empty moments is exact for finite values only:
    a row with an infinity or a NaN takes the step-by-step version."""
    if not np.isfinite(x).all():
        return _rowwise_moments(x)
    rows, n_all = x.shape
    n = n_all // LANES
    vecs = x[:, :n * LANES].reshape(rows, n, LANES)
    whole = n // _CHUNK
    parts = []
    if whole:
        m1, m2 = _welford(vecs[:, :whole * _CHUNK].reshape(rows, whole, _CHUNK, LANES))
        parts.append((np.full(whole, _CHUNK), m1, m2))
    if n > whole * _CHUNK:
        m1, m2 = _welford(vecs[:, whole * _CHUNK:])
        parts.append((np.array([n - whole * _CHUNK]), m1[:, None], m2[:, None]))
    if parts:
        level = tuple(np.concatenate(p, axis=int(i > 0)) for i, p in enumerate(zip(*parts)))
        left = []  # the unpaired last block of each level, lowest level first
        while True:
            k = len(level[0])
            if k % 2:
                left.append(_blocks(level, slice(k - 1, k)))
            if k < 2:
                break
            pairs = k // 2 * 2
            level = _merge(_blocks(level, slice(1, pairs, 2)), _blocks(level, slice(0, pairs, 2)))
        acc = left[0]
        for block in left[1:]:
            acc = _merge(block, acc)
        lane_m1, lane_m2 = acc[1][:, 0], acc[2][:, 0]
    else:
        lane_m1 = lane_m2 = np.zeros((rows, LANES), _F32)
    return finish_moments(x, n, lane_m1, lane_m2)


def _per_channel(v, d):
    """(N, G) values repeated for each of a group's ``d`` channels: (N, C)."""
    return np.repeat(v, d, axis=1)


def forward(x, groups, gamma, beta, eps):
    """``(y, mean, rstd)`` of ``x`` (N, C, HxW); ``mean``/``rstd`` of shape (N, G)."""
    n, c, hw = x.shape
    rows = x.reshape(n * groups, -1)
    mean, var = moments(rows)
    # the variance (floored at zero) plus a double eps: the root and reciprocal in double
    rstd = (1.0 / np.sqrt(np.maximum(var, _F32(0)).astype(_F64) + eps)).astype(_F32)
    mean, rstd = mean.reshape(n, groups), rstd.reshape(n, groups)
    if gamma is None and beta is None:
        y = (rows - mean.reshape(-1, 1)) * rstd.reshape(-1, 1)
        return y.reshape(x.shape), mean, rstd
    d = c // groups
    scale = _per_channel(rstd, d)
    if gamma is not None:
        scale = scale * gamma
    b = np.zeros((n, c), _F32) if beta is None else np.broadcast_to(beta, (n, c))
    bias = _fma(-scale, _per_channel(mean, d), b)
    y = np.multiply(x, scale[:, :, None], dtype=_F64)
    y += bias[:, :, None]
    return y.astype(_F32), mean, rstd


def _lane_dot(a, g, serial):
    """Each row of ``a * g`` (rows, D) summed as CalcDsDb and the loop after it sum: whole
    vectors into lanes by fused multiply-adds, the lanes added in order from zero, then the
    channels left over one by one, fused.  Measured: where ``parallel_for`` runs the loop
    on the calling thread (``serial``), the compiled code takes the first four of those
    left over with their products rounded (a vector multiply), the rest fused."""
    rows, d = a.shape
    whole = d - d % LANES
    total = np.zeros(rows, _F32)
    if whole:
        acc = np.zeros((rows, LANES), _F32)
        for j in range(0, whole, LANES):
            acc = _fma(a[:, j:j + LANES], g[:, j:j + LANES], acc)
        for k in range(LANES):
            total = total + acc[:, k]
    rounded = whole + (d - whole) // 4 * 4 if serial else whole
    for j in range(whole, d):
        if j < rounded:
            total = total + a[:, j] * g[:, j]
        else:
            total = _fma(a[:, j], g[:, j], total)
    return total


def backward(x, dy, groups, mean, rstd, gamma, need_x, need_gamma, need_beta):
    """``(dx, dgamma, dbeta)`` for ``x``/``dy`` (N, C, HxW) and the saved ``mean``/``rstd``
    (N, G); ``None`` where not needed."""
    n, c, hw = x.shape
    d = c // groups
    planes = (n * c, hw)
    ds = _reduce_all((dy * x).reshape(planes)).reshape(n, c)  # measured: nothing fused here
    db = _reduce_all(dy.reshape(planes)).reshape(n, c)
    dx = dgamma = dbeta = None
    if need_x:
        rows = n * groups
        g = (np.ones((rows, d), _F32) if gamma is None
             else np.broadcast_to(gamma.reshape(groups, d), (n, groups, d)).reshape(rows, d))
        # at::parallel_for runs on the calling thread with one thread or one row
        serial = _threads() == 1 or rows == 1
        ds_g = _lane_dot(ds.reshape(rows, d), g, serial)
        db_g = _lane_dot(db.reshape(rows, d), g, serial)
        mu, a = mean.reshape(rows), rstd.reshape(rows)
        s = _F32(1) / _F32(d * hw)
        c2 = _fma(db_g, mu, -ds_g) * a * a * a * s
        c3 = _fma(-(db_g * a), s, -c2 * mu)
        c1 = (a[:, None] * g).reshape(n, c, 1)
        c2 = _per_channel(c2.reshape(n, groups), d)[:, :, None]
        c3 = _per_channel(c3.reshape(n, groups), d)[:, :, None]
        # measured: ``c1 * dy`` fused into the sum with ``c2 * x`` (rounded), then ``+ c3``
        t = np.multiply(dy, c1, dtype=_F64)
        t += c2 * x
        dx = t.astype(_F32)
        dx += c3
    if need_gamma:
        # dgamma[c] = sum over n of (ds - db * mean) * rstd, both steps fused, in order
        terms = _fma(-db, _per_channel(mean, d), ds)
        dgamma = fma_rows(terms[None], _per_channel(rstd, d)[None])[0]
    if need_beta:
        dbeta = np.add.reduce(db, axis=0)
    return dx, dgamma, dbeta
