"""Long float32 FMA chains of outer products at the speed of a matrix product.

oneDNN sums some of PyTorch's results (a convolution's weight gradient, say) as one fused
multiply-add chain per output over thousands of terms:

    W[i, j] = fma(U[R-1, i], V[R-1, j], ... fma(U[1, i], V[1, j], fma(U[0, i], V[0, j], +0)))

NumPy has no FMA, and one ``sger`` rank-1 update per term costs a library call per term.
But one OpenBLAS ``sgemm`` call sums each output as exactly such a chain from +0 in
ascending K, for up to :data:`ember._ops._onednn_conv._KMAX` terms (checked on first use),
and with ``beta = 0`` stores it unrounded further.  A chain longer than that is cut into
calls, and the chain so far is carried into the next call as its first terms: if W so far
is (m, q) and the next call's A starts with the m x m identity and its B with W, then
output (i, j) first meets ``1 * W[i, j]`` (exact: the chain restarts at W[i, j]) and only
zeros otherwise (``fma(0, w, acc)`` is ``acc``: the chain never holds -0, and a finite
``w`` times 0 adds nothing), then goes on with the new terms.  The identity costs m terms
of each call, so W is computed in blocks of at most :data:`_ROWS` rows, on the side of U or
V that has fewer columns.

The carry rows are written over the rows of the previous call, which are no longer needed,
so each term is copied once, into one scratch buffer (the first call of a chain has no
carry).  A non-finite carry would turn the zeros into NaN: a chain that ends non-finite
(a non-finite term makes its end non-finite too) is summed again with one exact ``sger``
rank-1 update per term, slowly.
"""
from __future__ import annotations

import numpy as np

from .. import _blas

_F32 = np.float32
_ROWS = 64  # rows of W per block (the identity's size; at most this much of a call's K)
# float32 elements of U and V copied into the scratch buffers at once: 1 MiB, so that the
# calls read them from the L2 cache (16 MiB: a conv weight gradient took ~20% longer); the
# chunk only says how many rows are copied before their calls run, so no bit depends on it
_CHUNK = 1 << 18


def outer_chain(runs, p, q, fill, kmax):
    """W (p, q): per run ``(r0, r1)`` of term rows, one FMA chain from +0 over rows
    ``r0 .. r1-1`` of U (R, p) and V (R, q); then the runs' chains added in order, each a
    rounded float32 add.  ``fill(r0, r1, u, v)`` writes rows r0..r1-1 of U and V into the
    float32 arrays ``u`` (r1-r0, p) and ``v`` (r1-r0, q) (the caller builds its operands
    only as they are needed); ``kmax`` is the longest chain one sgemm call sums unbroken.
    None where NumPy's BLAS has no ``sgemm``, or where a sum is not finite and it has no
    exact ``sger``."""
    if not _blas.has_sgemm():
        return None
    swap = p > q  # (the identity goes on the side with fewer columns)
    if swap:
        p, q = q, p
        inner = fill

        def fill(r0, r1, u, v):
            inner(r0, r1, v, u)
    mb = min(p, _ROWS)
    seg = kmax - mb  # new terms per call
    chunk = max(seg, (_CHUNK // (p + q)) // seg * seg)
    longest = max((r1 - r0 for r0, r1 in runs), default=0)
    rows = mb + min(chunk, -(-longest // seg) * seg)
    ubuf = np.empty((rows, p), _F32)
    vbuf = np.empty((rows, q), _F32)
    blocks = [(i0, min(p, i0 + mb)) for i0 in range(0, p, mb)]
    eye = np.eye(mb, dtype=_F32)
    pu, pv = ubuf.ctypes.data, vbuf.ctypes.data
    total = None
    for r0, r1 in runs:
        if r1 <= r0:
            continue
        accs = [np.zeros((i1 - i0, q), _F32) for i0, i1 in blocks]
        pacc = [acc.ctypes.data for acc in accs]
        for c0 in range(r0, r1, chunk):
            c1 = min(r1, c0 + chunk)
            fill(c0, c1, ubuf[mb:mb + c1 - c0], vbuf[mb:mb + c1 - c0])
            for t0 in range(0, c1 - c0, seg):
                k = min(seg, c1 - c0 - t0)
                top = mb + t0  # (the call's new terms start at this buffer row)
                for (i0, i1), acc, pc in zip(blocks, accs, pacc):
                    m = 0 if c0 == r0 and t0 == 0 else i1 - i0  # (no carry in the first)
                    if m:
                        ubuf[top - m:top, i0:i1] = eye[:m, :m]
                        vbuf[top - m:top] = acc
                    _blas.sgemm(False, True, i1 - i0, q, m + k, pu + 4 * ((top - m) * p + i0),
                                p, pv + 4 * (top - m) * q, q, 0.0, pc)
        w = accs[0] if len(accs) == 1 else np.concatenate(accs)
        if not np.isfinite(w).all():
            w = _by_rank_one(r0, r1, p, q, fill, ubuf, vbuf)
            if w is None:
                return None
        if total is None:
            total = w
        else:
            with np.errstate(invalid="ignore"):  # (inf + -inf is NaN, as in the chains)
                total = total + w
    if total is None:
        total = np.zeros((p, q), _F32)
    return np.ascontiguousarray(total.T) if swap else total


def _by_rank_one(r0, r1, p, q, fill, ubuf, vbuf):
    """The chain of rows r0..r1-1 as one exact ``sger`` rank-1 update per row (slow; for
    chains that meet an infinity or a NaN), or None where NumPy's BLAS has no such ``sger``."""
    from . import _onednn_conv

    if not _onednn_conv._ger_ok():
        return None
    ger = _onednn_conv._ger
    acc = np.zeros((p, q), _F32)
    step = ubuf.shape[0]
    for c0 in range(r0, r1, step):
        c1 = min(r1, c0 + step)
        fill(c0, c1, ubuf[:c1 - c0], vbuf[:c1 - c0])
        for j in range(c1 - c0):
            ger(101, p, q, 1.0, ubuf[j].ctypes.data, 1, vbuf[j].ctypes.data, 1,
                acc.ctypes.data, q)
    return acc
