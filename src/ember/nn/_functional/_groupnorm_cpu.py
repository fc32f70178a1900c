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
from ..._ops._core import suggests_channels_last
from ..._random import _fma64, _fma64_core, _within
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
    # (channels-last layouts exist for 4-d and 5-d tensors only: any other strided input
    # PyTorch makes contiguous)
    # (PyTorch's suggested format decides: a 1 x C x H x W view of an H x W x C array is
    # made contiguous)
    channels_last = (not x.flags.c_contiguous and x.shape[1] > 1 and
                     suggests_channels_last(x)) if type(x) is np.ndarray else True
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
    n, lanes = _lane_moments(x, LANES, _welford, _merge)
    if lanes is None:
        lane_m1 = lane_m2 = np.zeros((x.shape[0], LANES), _F32)
    else:
        lane_m1, lane_m2 = lanes
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


def _lane_dot(a, g, serial, lanes=LANES, first=4):
    """Each row of ``a * g`` (rows, D) summed as CalcDsDb and the loop after it sum: whole
    vectors into lanes by fused multiply-adds, the lanes added in order from zero, then the
    channels left over one by one, fused.  Measured: where ``parallel_for`` runs the loop
    on the calling thread (``serial``), the compiled code takes the first four of those
    left over with their products rounded (a vector multiply), the rest fused.  float64:
    ``lanes`` 4 and ``first`` (the leftover taken rounded) 2."""
    rows, d = a.shape
    whole = d - d % lanes
    total = np.zeros(rows, a.dtype)
    if whole:
        acc = np.zeros((rows, lanes), a.dtype)
        for j in range(0, whole, lanes):
            acc = _fma(a[:, j:j + lanes], g[:, j:j + lanes], acc)
        for k in range(lanes):
            total = total + acc[:, k]
    rounded = whole + (d - whole) // first * first if serial else whole
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
    dt = x.dtype.type
    planes = (n * c, hw)
    if dt is _F64:  # measured: in double the tail's products are fused into their lanes
        ds = _reduce_all(dy.reshape(planes), x.reshape(planes)).reshape(n, c)
    else:  # measured: nothing fused here
        ds = _reduce_all((dy * x).reshape(planes)).reshape(n, c)
    db = _reduce_all(dy.reshape(planes)).reshape(n, c)
    dx = dgamma = dbeta = None
    if need_x:
        rows = n * groups
        g = (np.ones((rows, d), dt) if gamma is None
             else np.broadcast_to(gamma.reshape(groups, d), (n, groups, d)).reshape(rows, d))
        # at::parallel_for runs on the calling thread with one thread or one row
        serial = _threads() == 1 or rows == 1
        shape = (_LANES64, _FIRST64) if dt is _F64 else (LANES, 4)
        ds_g = _lane_dot(ds.reshape(rows, d), g, serial, *shape)
        db_g = _lane_dot(db.reshape(rows, d), g, serial, *shape)
        mu, a = mean.reshape(rows), rstd.reshape(rows)
        s = dt(1) / dt(d * hw)
        c2 = _fma(db_g, mu, -ds_g) * a * a * a * s
        c3 = _fma(-(db_g * a), s, -c2 * mu)
        c1 = (a[:, None] * g).reshape(n, c, 1)
        c2 = _per_channel(c2.reshape(n, groups), d)[:, :, None]
        c3 = _per_channel(c3.reshape(n, groups), d)[:, :, None]
        # measured: ``c1 * dy`` fused into the sum with ``c2 * x`` (rounded), then ``+ c3``
        if dt is _F64:
            dx = _fma64(dy, np.broadcast_to(c1, dy.shape), c2 * x)
        else:
            t = np.multiply(dy, c1, dtype=_F64)
            t += c2 * x
            dx = t.astype(_F32)
        dx += c3
    if need_gamma:
        # dgamma[c] = sum over n of (ds - db * mean) * rstd, both steps fused, in order
        terms = _fma(-db, _per_channel(mean, d), ds)
        dgamma = fma_rows(terms[None], _per_channel(rstd, d)[None])[0]
    if need_beta:
        # over the batch in order (a running sum: NumPy's reduce would add a single
        # channel's contiguous column pairwise)
        dbeta = np.add.accumulate(db, axis=0)[-1]
    return dx, dgamma, dbeta


# -- channels last (N, *spatial, C) ----------------------------------------------------------
#
# PyTorch's channels-last forward takes each (n, g) on its own when a channel has fewer than
# 1024 positions: a group's D channels are read in vectors of LANES channels (the last one
# padded with zeros), position by position; lane l of the j-th vector adds channel
# j * LANES + l at every position, in order, so each lane is a plain running sum over
# (position, vector), the lanes then folded in halves.  From 1024 positions on it splits the
# rows over the threads instead (see :func:`_thread_sums`).  Measured site by site against
# PyTorch: nothing in the per-group sums is fused (the squares are rounded first; the
# per-thread ones are fused), ``var = sumsq * s - mean * mean`` is one fused multiply-add, as
# are the bias ``-scale * mean + beta`` (with gamma; without, its product is rounded) and the
# output ``x * scale + bias``.
# Backward, per (n, g) whatever the size: ``sum(x * dy)`` and ``sum(dy)`` per channel, a
# running sum over the positions (products rounded), each vector's lanes weighted by gamma
# (rounded) and folded in halves, the vectors' folds added in order;
# ``c2 = (db * mean - ds) * rstd**3 * s`` with its first product fused,
# ``c3 = -c2 * mean - db * rstd * s`` with ``-c2 * mean`` fused, and
# ``dx = c2 * x + c1 * dy`` fused (``c1 * dy`` rounded) then ``+ c3``.

NHWC_MAX_POSITIONS = 1023  # (the per-group forward; more positions: the per-thread one)


def _positions_first(x):
    """(N, P, C) -> (P, N * C): each position's values one row, for running sums over rows."""
    n, p, c = x.shape
    return np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(p, n * c)


def _lanes(sums, groups):
    """Per-channel values (N, C) as the lanes of each group's vectors: (vectors, N, G, LANES),
    the last vector padded with zeros."""
    n, c = sums.shape
    d = c // groups
    vecs = -(-d // LANES)
    out = np.zeros((n, groups, vecs * LANES), sums.dtype)
    out[:, :, :d] = sums.reshape(n, groups, d)
    return out.reshape(n, groups, vecs, LANES).transpose(2, 0, 1, 3)


def _lane_sums(x, groups, square):
    """Each group's lane sums (N, G, LANES) of ``x`` (or of its rounded squares): lane l adds
    channel j * LANES + l of every vector j at every position, position by position."""
    n, p, c = x.shape
    d = c // groups
    if d <= LANES:  # one vector: a lane is a channel (the padding lanes stay zero)
        rows = _positions_first(x)
        return _lanes(_running(rows * rows if square else rows).reshape(n, c), groups)[0]
    vecs = -(-d // LANES)
    xg = x.reshape(n, p, groups, d)
    if vecs * LANES != d:
        xg = np.concatenate([xg, np.zeros((n, p, groups, vecs * LANES - d), _F32)], axis=3)
    rows = np.ascontiguousarray(xg.reshape(n, p, groups, vecs, LANES).transpose(1, 3, 0, 2, 4)
                                ).reshape(p * vecs, n * groups * LANES)
    return _running(rows * rows if square else rows).reshape(n, groups, LANES)


def _fold(acc):
    """The lanes (..., LANES) folded in halves, as ``vec_reduce_all``."""
    while acc.shape[-1] > 1:
        half = acc.shape[-1] // 2
        acc = acc[..., :half] + acc[..., half:]
    return acc[..., 0]


def _running(rows):
    """The rows (k, ...) added in order from zero (NumPy adds a leading axis row by row)."""
    return np.add.reduce(rows, axis=0) if rows.shape[0] > 1 else rows[0].copy()


def _thread_sums(x, groups):
    """The group sums (N, G) of ``x`` and of its squares as PyTorch's channels-last forward
    takes them from 1024 positions a channel on: the N * P rows split over the threads in
    equal ranges, each thread adding its rows of each sample into a buffer of its own, channel
    by channel (the squares fused, ``x * x + acc``); then per group, channel by channel and
    within a channel thread by thread, the buffers added in order."""
    n, p, c = x.shape
    d = c // groups
    rows = n * p
    threads = min(_threads(), rows)
    chunk = -(-rows // threads)
    owner = (np.arange(rows) // chunk).reshape(n, p)
    mine = np.stack([np.where((owner == t)[:, :, None], x, _F32(0)) for t in range(threads)])
    mine = mine.reshape(threads * n, p, c)  # other threads' rows zero: they add nothing
    plain = _running(np.ascontiguousarray(mine.transpose(1, 0, 2)).reshape(p, -1))
    squares = fma_rows(mine, mine)

    def combine(buffers):  # (threads, N, C) -> (N, G), adding over (channel, thread)
        v = buffers.reshape(threads, n, groups, d).transpose(3, 0, 1, 2).reshape(-1, n, groups)
        acc = np.zeros((n, groups), _F32)
        for part in v:
            acc = acc + part
        return acc

    return (combine(plain.reshape(threads, n, c)), combine(squares.reshape(threads, n, c)))


def forward_nhwc(x, groups, gamma, beta, eps):
    """``(y, mean, rstd)`` of channels-last rows ``x`` (N, P, C); ``mean``/``rstd`` (N, G)."""
    n, p, c = x.shape
    d = c // groups
    if p > NHWC_MAX_POSITIONS:
        total, squares = _thread_sums(x, groups)
    else:
        total, squares = _fold(_lane_sums(x, groups, False)), _fold(_lane_sums(x, groups, True))
    s = _F32(1) / _F32(d * p)
    mean = total * s
    var = np.maximum(_fma(squares, np.broadcast_to(s, squares.shape), -(mean * mean)), _F32(0))
    rstd = (1.0 / np.sqrt(var.astype(_F64) + eps)).astype(_F32)
    scale = _per_channel(rstd, d)
    if gamma is not None:
        scale = scale * gamma
    b = np.zeros((n, c), _F32) if beta is None else np.broadcast_to(beta, (n, c))
    if gamma is None:  # measured: without gamma the bias's product is rounded, not fused
        bias = -scale * _per_channel(mean, d) + b
    else:
        bias = _fma(-scale, _per_channel(mean, d), b)
    y = _fma(x, np.broadcast_to(scale[:, None], x.shape), np.broadcast_to(bias[:, None], x.shape))
    return y, mean, rstd


def backward_nhwc(x, dy, groups, mean, rstd, gamma, need_x, need_gamma, need_beta):
    """``(dx, dgamma, dbeta)`` for channels-last rows ``x``/``dy`` (N, P, C)."""
    n, p, c = x.shape
    d = c // groups
    # each vector of channels on its own: a channel's running sum over the positions
    xr, yr = _positions_first(x), _positions_first(dy)
    ds, db = _running(xr * yr).reshape(n, c), _running(yr).reshape(n, c)
    dx = dgamma = dbeta = None
    if need_x:
        g = np.ones(c, _F32) if gamma is None else gamma
        gl = _lanes(g[None], groups)  # (vecs, 1, G, LANES)
        ds_g, db_g = np.zeros((n, groups), _F32), np.zeros((n, groups), _F32)
        for ds_j, db_j in zip(_fold(_lanes(ds, groups) * gl), _fold(_lanes(db, groups) * gl),
                              strict=True):
            ds_g, db_g = ds_g + ds_j, db_g + db_j  # the vectors' folds in order, from zero
        s = _F32(1) / _F32(d * p)
        c2 = _fma(db_g, mean, -ds_g) * rstd * rstd * rstd * s
        c3 = _fma(-c2, mean, -(db_g * rstd * s))
        c1 = _per_channel(rstd, d) * g
        c2c = np.broadcast_to(_per_channel(c2, d)[:, None], x.shape)
        dx = _fma(c2c, x, c1[:, None] * dy)
        dx += _per_channel(c3, d)[:, None]
    if need_gamma:
        terms = _fma(-db, _per_channel(mean, d), ds)
        dgamma = fma_rows(terms[None], _per_channel(rstd, d)[None])[0]
    if need_beta:
        dbeta = np.add.accumulate(db, axis=0)[-1]
    return dx, dgamma, dbeta


# -- float64 ---------------------------------------------------------------------------------
#
# PyTorch's contiguous kernel on double input, step for step as the float32 one above: the
# same RowwiseMoments (Welford in chunks of 16 vectors, here of 4 lanes, merged as a binary
# counter, then the tail and the lanes), ``rstd = 1 / sqrt(max(var, 0) + eps)``, and with
# parameters ``scale = rstd * gamma``, ``bias = -scale * mean + beta`` and
# ``y = x * scale + bias``, each of the last two one fused multiply-add (checked bit for bit
# against PyTorch on random shapes).

_LANES64 = 4
_FIRST64 = 2  # (see _lane_dot)
_REC64 = [_F64(1) / _F64(j + 1) for j in range(_CHUNK)]


# (the fused multiply-adds are emulated in float64, some 50 times the cost of NumPy's plain
# arithmetic: beyond this many elements the generic path, a few ulps off PyTorch's, runs)
EXACT64_MAX = 1 << 14


def eligible64(x, *params) -> bool:
    """A finite float64 NumPy input (not empty, not channels-last, at most
    :data:`EXACT64_MAX` elements) with float64 NumPy parameters (``None`` for an absent
    one)."""
    if type(x) is not np.ndarray or x.dtype != _F64 or not x.size or x.size > EXACT64_MAX:
        return False
    if not x.flags.c_contiguous and x.shape[1] > 1 and suggests_channels_last(x):
        return False
    return all(p is None or (type(p) is np.ndarray and p.dtype == _F64) for p in params) \
        and bool(np.isfinite(x).all())


def _welford64(v):
    """Welford over axis -2 of ``v`` (..., count, lanes), from zero, per lane."""
    m1 = m2 = np.zeros(v.shape[:-2] + v.shape[-1:], _F64)
    # (values of moderate magnitude keep every product of the steps in the emulated fused
    # multiply-add's safe range: its core alone, without its range checks)
    fma = _fma64_core if _within(v, 2.0 ** 200, 2.0 ** -200) else _fma64
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        for j in range(v.shape[-2]):
            vj = v[..., j, :]
            delta = vj - m1
            m1 = fma(delta, np.full(delta.shape, _REC64[j]), m1)
            m2 = fma(delta, vj - m1, m2)
    return m1, m2


def _merge64(add, into):
    """:func:`_merge` in float64."""
    count_add, m1_add, m2_add = add
    count, m1, m2 = into
    n = count + count_add
    c = (count_add.astype(_F64) / n.astype(_F64))[:, None]
    delta = m1_add - m1
    step = c * delta
    return n, m1 + step, _fma64(delta * count.astype(_F64)[:, None], step, m2 + m2_add)


def moments64(x):
    """:func:`moments` of float64 rows ``x`` (rows, n)."""
    n, lanes = _lane_moments(x, _LANES64, _welford64, _merge64)
    if lanes is None:
        zero = np.zeros((x.shape[0], _LANES64), _F64)
        return finish_moments(x, n, zero, zero)
    return finish_moments(x, n, *lanes)


def _lane_moments(x, width, welford, merge):
    """``(n, (lane_m1, lane_m2))`` of rows ``x``: the ``n`` whole vectors of ``width`` lanes
    per row, Welford on chunks of 16 vectors, the chunks merged as a binary counter (see
    :func:`moments`); ``(n, None)`` where a row holds no whole vector."""
    rows, n_all = x.shape
    n = n_all // width
    vecs = x[:, :n * width].reshape(rows, n, width)
    whole = n // _CHUNK
    parts = []
    if whole:
        m1, m2 = welford(vecs[:, :whole * _CHUNK].reshape(rows, whole, _CHUNK, width))
        parts.append((np.full(whole, _CHUNK), m1, m2))
    if n > whole * _CHUNK:
        m1, m2 = welford(vecs[:, whole * _CHUNK:])
        parts.append((np.array([n - whole * _CHUNK]), m1[:, None], m2[:, None]))
    if not parts:
        return n, None
    level = tuple(np.concatenate(p, axis=int(i > 0)) for i, p in enumerate(zip(*parts)))
    left = []  # the unpaired last block of each level, lowest level first
    while True:
        k = len(level[0])
        if k % 2:
            left.append(_blocks(level, slice(k - 1, k)))
        if k < 2:
            break
        pairs = k // 2 * 2
        level = merge(_blocks(level, slice(1, pairs, 2)), _blocks(level, slice(0, pairs, 2)))
    acc = left[0]
    for block in left[1:]:
        acc = merge(block, acc)
    return n, (acc[1][:, 0], acc[2][:, 0])


def forward64(x, groups, gamma, beta, eps):
    """:func:`forward` of float64 ``x`` (N, C, HxW)."""
    n, c, hw = x.shape
    rows = x.reshape(n * groups, -1)
    mean, var = moments64(rows)
    rstd = 1.0 / np.sqrt(np.maximum(var, 0.0) + eps)
    mean, rstd = mean.reshape(n, groups), rstd.reshape(n, groups)
    if gamma is None and beta is None:
        y = (rows - mean.reshape(-1, 1)) * rstd.reshape(-1, 1)
        return y.reshape(x.shape), mean, rstd
    d = c // groups
    scale = _per_channel(rstd, d)
    if gamma is not None:
        scale = scale * gamma
    b = np.zeros((n, c), _F64) if beta is None else np.broadcast_to(beta, (n, c))
    bias = _fma64(-scale, _per_channel(mean, d), b)
    y = _fma64(x, np.broadcast_to(scale[:, :, None], x.shape),
               np.broadcast_to(bias[:, :, None], x.shape))
    return y, mean, rstd
