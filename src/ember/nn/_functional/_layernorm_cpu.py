"""PyTorch's CPU layer norm kernels (float32; float64 the same steps in double, with
RowwiseMoments in 4 lanes), step for step, for PyTorch's bits.

Each row's mean and variance come from ``RowwiseMoments``: Welford updates in SIMD lanes
over chunks of 16 vectors (each chunk merged into a stack of partial moments that merges
like a binary counter), the leftover elements by scalar Welford, then the lanes merged into
that one by one.  The output is ``(x - mean) * rstd * gamma + beta``; the backward pass
reduces each row in lanes and accumulates ``dgamma``/``dbeta`` in one buffer per thread.

Where PyTorch's compiled code fuses a multiply and an add (measured against PyTorch, each
site on its own), ember fuses them too, exactly, in float64.  All rows go at once: the
loops run over the lanes of one row, with every row in a NumPy axis.
"""
from __future__ import annotations

import numpy as np

from ..._ops._cascade import VECTOR_BYTES
from ._batchnorm_cpu import _block_sums, _fma, _reduce_all, _thread_blocks, fma_rows

_F32 = np.float32
LANES = VECTOR_BYTES // 4
_CHUNK = 16
_RECIPROCALS = [_F32(1) / _F32(j + 1) for j in range(_CHUNK)]


def eligible(*arrays) -> bool:
    """float32 NumPy arrays (``None`` for an absent parameter), the input not empty; or
    float64 ones, the input finite and of at most ``EXACT64_MAX`` elements."""
    x = arrays[0]
    if type(x) is np.ndarray and x.dtype == np.float64:
        from ._groupnorm_cpu import EXACT64_MAX

        return (0 < x.size <= EXACT64_MAX
                and all(a is None or (type(a) is np.ndarray and a.dtype == np.float64)
                        for a in arrays) and bool(np.isfinite(x).all()))
    return (x.size > 0 and all(a is None or (type(a) is np.ndarray and a.dtype == _F32)
                               for a in arrays))


def _merge(count_add, m1_add, m2_add, count, m1, m2):
    """Partial moments (``count_add`` values each lane) merged into ``(count, m1, m2)`` as
    ``AddMomentsVec`` merges them."""
    n = count + count_add
    c = _F32(0) if n == 0 else _F32(count_add) / _F32(n)
    delta = m1_add - m1
    step = c * delta
    return n, m1 + step, _fma(delta * _F32(count), step, m2 + m2_add)


def _chunk_moments(vecs):
    """Welford in lanes over each chunk of ``vecs`` (rows, chunks, count, LANES): every
    chunk starts from zero, so all chunks go at once, one vector of each per step."""
    m1 = m2 = np.zeros(vecs.shape[:2] + (LANES,), _F32)
    for j in range(vecs.shape[2]):
        v = vecs[:, :, j]
        delta = v - m1
        m1 = _fma(delta, _RECIPROCALS[j], m1)
        m2 = _fma(delta, v - m1, m2)
    return m1, m2


def moments(x):
    """Each row's ``(mean, biased variance)`` of ``x`` (rows, n), as PyTorch computes them."""
    rows, n_all = x.shape
    n = n_all // LANES
    chunks = -(-n // _CHUNK)
    depth = 1 if chunks <= 2 else (chunks - 1).bit_length()
    zero = np.zeros((rows, LANES), _F32)
    stack = [(0, zero, zero)] * depth
    vecs = x[:, :n * LANES].reshape(rows, n, LANES)
    full = n // _CHUNK
    parts = []  # (count, m1, m2) of each chunk, in order
    if full:
        m1, m2 = _chunk_moments(vecs[:, :full * _CHUNK].reshape(rows, full, _CHUNK, LANES))
        parts += [(_CHUNK, m1[:, i], m2[:, i]) for i in range(full)]
    if n > full * _CHUNK:
        m1, m2 = _chunk_moments(vecs[:, full * _CHUNK:, None].swapaxes(1, 2))
        parts.append((n - full * _CHUNK, m1[:, 0], m2[:, 0]))
    for i, part in enumerate(parts):
        stack[0] = _merge(*part, *stack[0])
        mask, j = i + 1, 1
        while j < depth and not mask & 1:
            stack[j] = _merge(*stack[j - 1], *stack[j])
            stack[j - 1] = (0, zero, zero)
            mask >>= 1
            j += 1
    for j in range(1, depth):
        stack[0] = _merge(*stack[j], *stack[0])
    _, lane_m1, lane_m2 = stack[0]
    return finish_moments(x, n, lane_m1, lane_m2)


def finish_moments(x, n, lane_m1, lane_m2):
    """RowwiseMoments' end: the elements of ``x`` (rows, n_all) after its ``n`` whole vectors
    by scalar Welford, then the lanes' moments (rows, lanes) merged in one by one (the
    scalar AddMoments, its products fused): ``(mean, biased variance)``, in ``x``'s float
    type (float32, or float64 with its vectors' 4 lanes)."""
    rows, n_all = x.shape
    dt, lanes = x.dtype.type, lane_m1.shape[1]
    if dt is np.float32:
        fma = _fma
    else:
        from ..._random import _fma64

        def fma(a, b, c):
            return _fma64(np.broadcast_to(a, c.shape), np.broadcast_to(b, c.shape), c)
    count, m1, m2 = 0, np.zeros(rows, dt), np.zeros(rows, dt)
    for i in range(n * lanes, n_all):
        v = x[:, i]
        delta = v - m1
        count += 1
        m1 = m1 + delta / dt(count)
        m2 = m2 + delta * (v - m1)
    for k in range(lanes):
        total = count + n
        c = dt(0) if total == 0 else dt(n) / dt(total)
        delta = lane_m1[:, k] - m1
        m1 = fma(np.asarray(c), delta, m1)
        m2 = m2 + fma(delta * delta * c, dt(count), lane_m2[:, k])
        count = total
    return m1, m2 / dt(n_all)


def short64(x, ns) -> bool:
    """Whether float64 ``x`` taken as rows of the ``ns`` (normalized shape) it ends with gives
    each thread few enough rows for the emulated row-by-row buffers of the backward pass
    (else the generic path).  True for float32."""
    if x.dtype != np.float64:
        return True
    from ._batchnorm_cpu import EXACT64_ROWS, _threads

    n = 1
    for s in ns:
        n *= s
    return -(-(x.size // max(n, 1)) // _threads()) <= EXACT64_ROWS


def forward(x, gamma, beta, eps):
    """``(y, mean, rstd)`` of ``x`` (rows, n), float32 or float64 (the same steps in its type:
    RowwiseMoments of 4 double lanes, see ``_groupnorm_cpu.moments64``)."""
    dt = x.dtype.type
    if dt is np.float64:
        from ._groupnorm_cpu import moments64

        mean, var = moments64(x)
    else:
        mean, var = moments(x)
    rstd = dt(1) / np.sqrt(var + dt(eps))
    y = (x - mean[:, None]) * rstd[:, None]
    if gamma is not None:
        y = _fma(y, gamma, np.zeros_like(y) if beta is None else np.broadcast_to(beta, y.shape))
    elif beta is not None:
        y = y + beta
    return y, mean, rstd


def backward(x, dy, mean, rstd, gamma, need_x, need_gamma, need_beta):
    """``(dx, dgamma, dbeta)`` for rows ``x``/``dy`` (rows, n), ``None`` where not needed."""
    rows, n = x.shape
    dt = x.dtype.type
    a, mu = rstd[:, None], mean[:, None]
    dx = dgamma = dbeta = None
    if need_x:
        if gamma is None:
            ds = _reduce_all(dy, x)
            db = _reduce_all(dy)
        else:
            g = np.broadcast_to(gamma, x.shape)
            ds = _reduce_all(dy * x, g)
            db = _reduce_all(dy, g)
        ds, db = ds[:, None], db[:, None]
        scale = dt(1) / dt(n)
        b = _fma(db, mu, -ds) * a * a * a * scale
        c = _fma(-b, mu, -(db * a * scale))
        t = a * dy if gamma is None else a * dy * gamma
        dx = _fma(np.broadcast_to(b, x.shape), x, t) + c
    if need_gamma or need_beta:
        dys = _thread_blocks(dy)
        # each thread's buffer accumulates its rows; the buffers are then added in order
        if need_gamma:
            xhat = _fma(np.broadcast_to(a, x.shape), x, np.broadcast_to(-a * mu, x.shape))
            dgamma = np.add.reduce(fma_rows(dys, _thread_blocks(xhat)), axis=0)
        if need_beta:
            dbeta = np.add.reduce(_block_sums(dys), axis=0)
    return dx, dgamma, dbeta
