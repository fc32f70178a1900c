"""PyTorch's CPU "flash" kernel for ``scaled_dot_product_attention`` in float32, forward and
backward, reproduced bit for bit where the products it runs are (:mod:`ember._ops._mkl_gemm`).

PyTorch 2.13 runs float32 ``F.scaled_dot_product_attention`` on the CPU (and so
``nn.MultiheadAttention(need_weights=False)`` and the transformer layers) through its flash
kernel whenever the inputs allow it (4-D query/key/value of one batch and head count, one
head size, no dropout; ``torch._fused_sdp_choice`` says 1).  Learned from PyTorch's published
kernel (which operations run, in which order) and checked black-box against it:

Forward, for each (batch, head) and each block of ``qs`` query rows (``qs`` = 32, or 64 from
192 queries, 256 from 768), over blocks of at most 512 keys:

- ``qk = q_blk @ k_blk^T`` (MKL ``sgemm``, on one thread when the work is split between
  threads), then ``qk * scale`` rounded (``scale`` = ``1/sqrt(E)`` formed in float64 and
  rounded to float32); with a mask, ``fma(qk, scale, mask)`` (the compiler fuses the two);
  ``is_causal`` sets the keys after each query to -inf first;
- the running maximum ``m``; ``p = exp(x - m)`` with PyTorch's own short polynomial
  (``exp_u20``: a degree-5 polynomial after ``x = n ln2 + r``, every step a float32 fused
  multiply-add) for the first ``16 * (n // 16)`` keys of a row and the C library's ``expf``
  (correctly rounded, as far as checked) for the rest; the row sum in 16 lanes (one per
  key modulo 16, each added in order), the lanes folded pairwise (lane i + lane i^8, then
  ^4, ^2, ^1), then the leftover keys one by one;
- with more than one key block, ``sum = fma(exp(m_old - m_new), sum, block_sum)`` (fused by
  the compiler) and the output so far is multiplied by ``exp(m_old - m_new)``;
  ``out += p @ v_blk`` (``sgemm``, beta 1 after the first block);
- ``out * (1 / sum)``, and ``lse = m + logf(sum)`` kept for the backward (the C library's
  ``logf``, not correctly rounded: :mod:`ember._ops._libm`).

Backward, for each (batch, head), query block and key block: ``d = rowsum(dO * O)`` (16
lanes, folded as above), ``s = sgemm(q, k^T, alpha=scale)`` (+ mask), ``p = exp(s - lse)``
(Sleef's ``expf_u10``, every element), causal zeros, ``dV += p^T @ dO``, ``dP = dO @ v^T``,
``dS = p * (dP - d)``, ``dQ += scale * dS @ k``, ``dK += scale * dS^T @ q`` (each ``sgemm``
with beta 1 into zero-initialised gradients).  With ``enable_gqa`` the query heads that share
a key/value head add into its gradients in turn (all blocks of the first, then the next).

Every (batch, head) goes through each step at once: the order-1 products of all of them are
one stacked NumPy ``matmul`` per K block (the same OpenBLAS kernels :mod:`_mkl_gemm` uses,
checked once by :func:`_stacked_ok`), tail rows of a ``b`` by rows one vectorised chain;
only other tail rows go matrix by matrix.  Measured against ember's former math-kernel
composite (forward + backward, 2 busy cores): 1.2-1.5x for (4, 4, 32, 16) or (64, 2, 20, 16),
2-3.5x for (2, 8, 64, 64) or (32, 8, 64, 64), ~5x for head counts of short (< 12) sequences.
Where a product is not covered the caller falls back to the math kernel.

On the Intel processor (:func:`ember._ops._mkl_gemm.profile` ``"intel"``) the same steps run
with its products in the Intel order (the whole stack at once where that is the K blocks'
order: :func:`ember._ops._mkl_gemm.intel_stacked`); the other steps are PyTorch's own AVX-512
code, the same there.  Checked fwd + bwd on ~120 random calls (batch 1..8, heads 1..8,
sequences 1..130, head sizes 4..64, causal, float masks).  Not covered there (the math
kernel's values and gradients under the flash node): a query block of 2..15 rows with a
head size under 16 where MKL's small kernel takes another order, the backward of a query
block of one row (L % 32 = 1: its products of one term and ``_intel_rowv``'s, scaled, are
not mapped), and the backward of a single (batch, head) pair (its scaled products then
run on 2 threads, whose order MKL picks by other rules).

bfloat16/float16 (``low``): the same steps on the half values in float32, as PyTorch's kernel
for those types: every product one float32 sum in order, ``exp`` on the whole vectors its fast
``fexp_u20`` (a cubic in the bits, not ``exp_u20``), the probabilities (and in the backward
their gradients) rounded to the half type before their products, the sums not; the backward's
gradients are half-type arrays each block adds into, rounded each time.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ... import _blas
from ..._ops import _libm, _mkl_gemm, _sleef
from ..._random import _fma32

_F32 = np.float32
_LANES = 16  # AVX-512 vectors (PyTorch registers this kernel for AVX-512 as well)
_KV_SPLIT = 512


def _bits(h):
    return np.array([h], np.uint32).view(_F32)[0]


_LOG2E = _bits(0x3FB8AA3B)
_LN2 = _bits(0x3F317218)
_LN_MIN = _bits(0xC2AEAC50)
_LN_MAX = _bits(0x42B17218)
# the polynomial's coefficients (near 1/k!, k = 5 .. 1), as PyTorch's kernel states them
_POLY = [_F32(c) for c in ("0.00828929059", "0.0418978221", "0.166676521", "0.499991506",
                           "0.999999701")]


def exp_u20(x):
    """PyTorch's vectorised ``exp_u20`` of a float32 array: ``x = n ln2 + r`` with
    ``n = floor(x log2e + 1/2)`` (a fused multiply-add), ``exp r`` by a degree-5 polynomial
    in fused multiply-adds, times ``2**(n-1)`` built from bits, times 2; inputs below
    ``log(FLT_MIN)`` give 0."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        low = x < _LN_MIN
        src = np.fmax(np.fmin(x, _LN_MAX), _LN_MIN)  # (a NaN becomes the upper bound)
        fx = np.floor(_fma32(src, _LOG2E, _F32(0.5))).astype(_F32)
        r = _fma32(-fx, _LN2, src)
        p = _fma32(r, _POLY[0], _POLY[1])
        for c in _POLY[2:]:
            p = _fma32(r, p, c)
        p = _fma32(r, p, _F32(1))
        e = ((fx - _F32(1)).astype(np.int32) + 127) << 23
        two = e.view(_F32)
        two = np.where(low, _F32(0), two)
        return (p * two) * _F32(2)


# the coefficients of ``fexp_u20``'s cubic (Malossi et al.), as PyTorch's kernel states them
_FAST = [_F32(c) for c in ("-0.079204240219773236", "-0.22433836478672356",
                           "0.30354260500649682", "0.00010703434948458272")]


def fexp_u20(x):
    """PyTorch's fast vectorised ``fexp_u20`` of a float32 array (its flash kernel's ``exp``
    for half types): ``t = x log2e``; ``f = t - floor(t)``; ``t - c(f)`` with a cubic ``c``
    in fused multiply-adds, scaled by ``2**23`` and offset by ``127 * 2**23`` in one fused
    multiply-add, truncated to an integer and read as the float's bits; inputs below
    ``log(FLT_MIN)`` give 0, above ``log(FLT_MAX)`` infinity."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        t = x * _LOG2E
        f = t - np.floor(t)
        c = _fma32(f, _FAST[0], _FAST[1])
        c = _fma32(f, c, _FAST[2])
        c = _fma32(f, c, _FAST[3])
        y = _fma32(_F32(2 ** 23), t - c, _F32(2 ** 23 * 127))
        # (the truncating conversion gives INT_MIN for what does not fit, NaN included)
        ok = np.abs(y) < _F32(2 ** 31)
        bits = np.where(ok, np.trunc(np.where(ok, y, 0)), -2 ** 31).astype(np.int32)
        bits[x < _LN_MIN] = 0
        bits[x > _LN_MAX] = 0x7F800000
    return bits.view(_F32)


def _expf(x):
    """The C library's scalar ``expf`` as PyTorch's build calls it: correctly rounded on
    every input checked (float64 ``exp`` rounded once), unlike glibc's own algorithm
    (``_sleef.c_exp``), which differed from PyTorch's kernel in 16 of ~6700 values."""
    with np.errstate(all="ignore"):
        return np.exp(np.asarray(x, _F32).astype(np.float64)).astype(_F32)


def _fold(acc):
    """Lane 0 of PyTorch's pairwise fold of 16 lanes (the last axis): i + (i ^ 8), then ^4,
    ^2, ^1."""
    for s in (8, 4, 2, 1):
        idx = np.arange(_LANES) ^ s
        acc = acc + acc[..., idx]
    return acc[..., 0]


def lane_sum(e):
    """Sums over the last axis of a float32 array as PyTorch's vectorised reductions form
    them: 16 lanes over the whole vectors, folded pairwise, then the leftovers in order."""
    n = e.shape[-1]
    full = n - n % _LANES
    if full:
        acc = e[..., :_LANES].copy()
        for c in range(_LANES, full, _LANES):
            acc += e[..., c:c + _LANES]
        total = _fold(acc)
    else:
        total = np.zeros(e.shape[:-1], _F32)
    for i in range(full, n):
        total = total + e[..., i]
    return total.astype(_F32, copy=False)


def _exp_block(x, fast=False):
    """``exp`` of the rows of ``x`` as the forward's fused exp-and-sum kernel computes it
    (``fast``: as for half types, ``fexp_u20`` on the whole vectors)."""
    n = x.shape[-1]
    full = n - n % _LANES
    out = np.empty_like(x)
    if full:
        out[..., :full] = (fexp_u20 if fast else exp_u20)(x[..., :full])
    if full < n:
        out[..., full:] = _expf(x[..., full:])
    return out


def _splits(q_len):
    return 256 if q_len >= 768 else 64 if q_len >= 192 else 32


def _gemm(a, b, c=None, alpha=1.0, threads=None, offset=0, ldc=None):
    """``alpha * a @ b (+ c)`` in MKL's order (``c`` added as ``beta = 1``) into an output that
    starts ``offset`` floats past a 64-byte boundary with rows ``ldc`` floats apart (MKL's
    order for the first outputs of a row of tail rows depends on where the row's first
    16-byte boundary falls; :mod:`_mkl_gemm` assumes a fresh C-ordered output); None where
    :mod:`_mkl_gemm` does not cover the product."""
    res = _mkl_gemm._run(a, b, c, alpha, 1.0, threads)
    m, n = res.shape if res is not None else (0, 0)
    ldc = n if ldc is None else ldc
    if res is None or n < 5 or (offset % 4 == 0 and (ldc - n) % 4 == 0):
        return res
    lay = _mkl_gemm._layout(b)
    lay_a = _mkl_gemm._layout(a)
    if lay is None or not lay[0]:
        return res  # (the lane kernels of a transposed b do not depend on the address)
    p = _mkl_gemm.plan(m, a.shape[1], n, False, _mkl_gemm._threads(threads), alpha,
                       lay_a is not None and not lay_a[0])
    if p is None or p[1] != "chain":
        return res
    first = p[0]
    ta = a[first:]
    ct = None if c is None else c[first:]
    if alpha != 1:
        ta = np.multiply(ta, _F32(alpha), dtype=_F32)
    tail = _mkl_gemm._chain(ta, b, ct)
    h = -(offset + (first + np.arange(m - first)) * ldc) % 4
    for size in (1, 2, 3):
        rows = np.flatnonzero(h == size)
        if len(rows) and n - size >= 4:
            tail[rows, :size] = _mkl_gemm._quads(ta[rows], b[:, :size],
                                                 None if ct is None else ct[rows, :size])
    res[first:] = tail
    return res


def _owners(tasks):
    """The thread (as PyTorch numbers them) that runs each of ``tasks`` parallel tasks: its
    ``parallel_for`` gives each thread one run of ``ceil(tasks / threads)``."""
    threads = max(1, min(_mkl_gemm._threads(None), tasks))
    chunk = -(-tasks // threads)
    return lambda task: task // chunk


def scale_of(e, scale):
    """The kernel's float32 scaling factor (``1/sqrt(E)`` in float64 unless given)."""
    return _F32(1.0 / math.sqrt(e) if scale is None else scale)


def supported() -> bool:
    """Whether this processor's products (and so this kernel's bits) are reproduced: the
    measured AMD one, or the Intel one (:func:`ember._ops._mkl_gemm.profile`), whose
    products this kernel runs in the Intel order (its other steps are PyTorch's own AVX-512
    code, the same on both)."""
    return _mkl_gemm.profile() is not None


def _stacked(a, b, c, alpha, threads):
    """``alpha * a[g] @ b[g] (+ c[g])`` for stacks of matrices, all in MKL's order 1, through
    NumPy's stacked ``matmul`` (OpenBLAS per matrix: one FMA chain per output and K block
    when ``a`` is by columns, as :mod:`_mkl_gemm` computes order 1 one matrix at a time);
    None where some output of these shapes is not order 1 (tail rows) or the premise failed
    its check (:func:`_stacked_ok`)."""
    g, m, k = a.shape
    n = b.shape[2]
    if not _mkl_gemm._plain(a, b) or not (m and k and n):
        return None
    if not _mkl_gemm.emulated():  # (the Intel order: its own stacked products)
        return _mkl_gemm.intel_stacked(a, b, c, alpha, _mkl_gemm._threads(threads))
    if _mkl_gemm.plan(m, k, n, False, _mkl_gemm._threads(threads), alpha) != (m, None):
        return None
    if not _stacked_ok():
        return None
    return _stacked_product(a, b, c, alpha)


def _stacked_product(a, b, c, alpha):
    if alpha != 1:
        b = np.multiply(b, _F32(alpha), dtype=_F32)
    cols = np.ascontiguousarray(a.transpose(0, 2, 1)).transpose(0, 2, 1)
    out = None if c is None else np.array(c, _F32)
    for k0, k1 in _mkl_gemm.kblocks(a.shape[2]):
        with _blas.one_thread(a.shape[1], b.shape[2], k1 - k0):
            prod = np.matmul(cols[:, :, k0:k1], b[:, k0:k1, :])
        if out is None:
            out = prod
        else:
            out += prod
    return out


@functools.lru_cache(maxsize=None)
def _stacked_ok() -> bool:
    """Whether :func:`_stacked_product` gives :mod:`_mkl_gemm`'s order-1 products here (the
    same BLAS kernels reached through NumPy's ``matmul``), checked once on random stacks of
    several shapes, both layouts of ``b``, with and without ``alpha`` and ``c``."""
    rng = np.random.default_rng(11)
    for m, k, n in ((12, 8, 12), (37, 70, 29), (64, 200, 16), (13, 400, 45)):
        a = rng.standard_normal((3, m, k)).astype(_F32)
        b = rng.standard_normal((3, k, n)).astype(_F32)
        bt = np.ascontiguousarray(b.transpose(0, 2, 1)).transpose(0, 2, 1)
        c = rng.standard_normal((3, m, n)).astype(_F32)
        for bb, cc, alpha in ((b, None, 1.0), (bt, c, 0.125), (bt, None, 0.3)):
            got = _stacked_product(a, bb, cc, alpha)
            for i in range(3):
                want = _mkl_gemm._run(a[i], bb[i], None if cc is None else cc[i], alpha, 1.0, 1)
                if want is None or not np.array_equal(want.view(np.uint32),
                                                      got[i].view(np.uint32)):
                    return False
    return True


def _products(a, b, c=None, alpha=1.0, threads=None, offsets=None, ldc=None):
    """``alpha * a[g] @ b[g] (+ c[g])`` for stacks (G, M, K) and (G, K, N) in MKL's order:
    all at once where every output is order 1, else matrix by matrix (``offsets[g]``,
    ``ldc``: where PyTorch's output of matrix ``g`` lies, see :func:`_gemm`); None where a
    product is not covered."""
    res = _stacked(a, b, c, alpha, threads)
    if res is not None:
        return res
    res = _stacked_chain(a, b, c, alpha, threads, offsets, ldc)
    if res is not None:
        return res
    out = np.empty((a.shape[0], a.shape[1], b.shape[2]), _F32)
    for i in range(a.shape[0]):
        r = _gemm(a[i], b[i], None if c is None else c[i], alpha, threads,
                  0 if offsets is None else int(offsets[i]), ldc)
        if r is None:
            return None
        out[i] = r
    return out


def _stacked_chain(a, b, c, alpha, threads, offsets, ldc):
    """:func:`_products` where ``b`` is by rows and the rows past the order-1 ones are tail
    rows (:mod:`_mkl_gemm`'s "chain": one non-fused chain over K per output from ``c`` or +0,
    ``alpha`` rounding ``a`` first; the few outputs before a row's first 16-byte boundary
    add the products of k = 4-7, 12-15, ... four at a time), for the whole stack at once;
    None where that is not the plan."""
    g, m, k = a.shape
    n = b.shape[2]
    if not _mkl_gemm._plain(a, b) or not (m and k and n) or n == 1:
        return None
    lay_b = _mkl_gemm._layout(b[0])
    lay_a = _mkl_gemm._layout(a[0])
    if lay_b is None or not lay_b[0] or lay_a is None:
        return None
    p = _mkl_gemm.plan(m, k, n, False, _mkl_gemm._threads(threads), alpha, not lay_a[0])
    if p is None or p[1] != "chain" or (p[0] and not _stacked_ok()):
        return None
    first = p[0]
    out = np.empty((g, m, n), _F32)
    if first:
        out[:, :first] = _stacked_product(a[:, :first], b, None if c is None else
                                          c[:, :first], alpha)
    ta = a[:, first:]
    if alpha != 1:
        ta = np.multiply(ta, _F32(alpha), dtype=_F32)
    acc = np.zeros((g, m - first, n), _F32) if c is None else np.array(c[:, first:], _F32)
    for kk in range(k):
        acc += ta[:, :, kk, None] * b[:, kk, None, :]
    out[:, first:] = acc
    # the head outputs of each tail row (PyTorch's output: ``offsets[g]`` floats past a
    # 64-byte boundary, rows ``ldc`` apart)
    ldc = n if ldc is None else ldc
    off = np.zeros(g, np.int64) if offsets is None else np.asarray(offsets, np.int64)
    h = -(off[:, None] + (first + np.arange(m - first))[None, :] * ldc) % 4
    for size in (1, 2, 3):
        gi, ri = np.nonzero(h == size)
        if len(gi) and n - size >= 4:
            start = None if c is None else c[gi, first + ri, :size]
            out[gi, first + ri, :size] = _quad_chain(ta[gi, ri], b[gi, :, :size], start)
    return out


def _quad_chain(x, b, start):
    """Rows ``x`` (R, K) times their own ``b`` (R, K, h) as one non-fused chain per output from
    ``start`` (or +0) that adds the products of k = 4-7, 12-15, ... as one term, summed in
    order first (the last K % 8 one by one)."""
    r, k = x.shape
    prod = x[:, :, None] * b  # (R, K, h), each product rounded
    acc = np.zeros((r, b.shape[2]), _F32) if start is None else np.array(start, _F32)
    for k0 in range(0, k - k % 8, 8):
        for j in range(4):
            acc += prod[:, k0 + j]
        quad = prod[:, k0 + 4] + prod[:, k0 + 5]
        quad += prod[:, k0 + 6]
        quad += prod[:, k0 + 7]
        acc += quad
    for kk in range(k - k % 8, k):
        acc += prod[:, kk]
    return acc


def _causal_cut(rows, cols, m0, n0):
    """Where the keys lie after each query (query ``m0 + i``, key ``n0 + j``)."""
    return (n0 + np.arange(cols))[None, :] > (m0 + np.arange(rows))[:, None]


def _low_products(a, b, c=None):
    """``a[g] @ b[g] (+ c[g])`` of half-type values held in float32 (each product exact), as
    PyTorch's half-type products in its flash kernel: each output one float32 sum over K in
    order (``c`` added after)."""
    out = np.zeros(a.shape[:2] + b.shape[2:], _F32)
    for i in range(a.shape[2]):
        out += a[:, :, i, None] * b[:, None, i, :]
    return out if c is None else c + out


def forward(q, k, v, mask, causal, scale, low=None):
    """``(out, lse)`` for float32 arrays ``q`` (B, H, L, E), ``k``/``v`` (B, H, S, E) and an
    optional float32 ``mask`` broadcastable to (B, H, L, S); None where a product is not
    covered.  Every (batch, head) goes through each step together (their products one
    ``matmul`` of a stack where possible).  ``low``: the NumPy half type the inputs hold
    (values in float32 arrays): as PyTorch's kernel for bfloat16/float16, the products
    accumulate in float32 and the probabilities are rounded to ``low`` before the product
    with ``v`` (their sums are not); ``out`` is left in float32 for the caller to round."""
    b_, h_, L, E = q.shape
    S = k.shape[2]
    G = b_ * h_
    qs = min(_splits(L), L)
    ks = min(_KV_SPLIT, S)
    n_q = -(-L // qs)
    threads = 1 if G * n_q > 1 else None
    sc = scale_of(E, scale)
    q3, k3, v3 = (t.reshape(G, t.shape[2], E) for t in (q, k, v))
    if mask is not None:
        mask = np.broadcast_to(mask, (b_, h_, L, S)).reshape(G, L, S)
    # where each task's output block lies in its thread's buffer (qk, max, sum, out): the
    # address decides the order of some tail outputs (:func:`_gemm`)
    per_thread = qs * ks + 2 * qs + qs * E
    owner = _owners(G * n_q)
    out = np.empty((G, L, E), _F32)
    lse = np.empty((G, L), _F32)
    ninf = _F32(-np.inf)
    with np.errstate(all="ignore"):
        for m0 in range(0, L, qs):
            qb = q3[:, m0:m0 + qs]
            rows = qb.shape[1]
            mx = np.full((G, rows), ninf)
            sm = np.zeros((G, rows), _F32)
            dst = None
            keys = min(m0 + rows, S) if causal else S
            tasks = np.arange(G) * n_q + m0 // qs
            offsets = np.array([owner(t) for t in tasks]) * per_thread + qs * ks + 2 * qs
            for n0 in range(0, keys, ks):
                kb = k3[:, n0:n0 + ks]
                qk = _products(qb, kb.transpose(0, 2, 1), threads=threads) if low is None \
                    else _low_products(qb, kb.transpose(0, 2, 1))
                if qk is None:
                    return None
                if causal and keys - n0 <= ks:
                    qk[:, _causal_cut(rows, kb.shape[1], m0, n0)] = ninf
                if mask is not None:
                    qk = _fma32(qk, sc, mask[:, m0:m0 + rows, n0:n0 + ks])
                else:
                    qk = qk * sc
                new = np.maximum(mx, qk.max(axis=2))
                dead = new == ninf
                p = _exp_block(qk - new[..., None], low is not None)
                p[dead] = 0
                tsum = lane_sum(p)
                factor = _expf(mx - new)
                live = ~dead
                sm = np.where(live, _fma32(factor, sm, tsum), sm).astype(_F32)
                if dst is not None:
                    dst = np.where(live[..., None], dst * factor[..., None], dst)
                mx = np.where(live, new, mx)
                if low is not None:
                    dst = _low_products(p.astype(low).astype(_F32), v3[:, n0:n0 + ks], dst)
                    continue
                dst = _products(p, v3[:, n0:n0 + ks], dst, threads=threads, offsets=offsets)
                if dst is None:
                    return None
            mx = np.where(mx == ninf, _F32(0), mx)
            sm = np.where(sm == 0, _F32(1), sm)
            out[:, m0:m0 + rows] = dst * (_F32(1) / sm)[..., None]
            lse[:, m0:m0 + rows] = mx + _libm.logf(sm)  # (the C library's)
    return out.reshape(q.shape), lse.reshape(b_, h_, L)


def backward(g, q, k, v, out, lse, mask, causal, scale, low=None):
    """``(dq, dk, dv)`` in PyTorch's flash backward order; None where not covered.  ``low``:
    as :func:`forward`'s (the gradients come back in float32 arrays of ``low`` values).

    With fewer key/value heads than query heads (``enable_gqa``), the query heads that share
    a key/value head add into its gradients one after the other (the first of them over
    every block, then the next), as PyTorch's kernel does."""
    b_, hq, L, E = q.shape
    hk, S = k.shape[1], k.shape[2]
    if mask is not None:
        mask = np.broadcast_to(mask, (b_, hq, L, S))
    if hk == hq:
        return _backward(g, q, k, v, out, lse, mask, causal, scale, None, None, low)
    rep = hq // hk
    dq = np.empty(q.shape, _F32)
    dk = dv = None
    for r in range(rep):
        pick = (slice(None), slice(r, None, rep))
        got = _backward(g[pick], q[pick], k, v, out[pick], lse[pick],
                        None if mask is None else mask[pick], causal, scale, dk, dv, low)
        if got is None:
            return None
        dq[pick], dk, dv = got
    return dq, dk, dv


def _low_grad(acc, alpha, c, low):
    """A half-type gradient block: ``c + alpha * acc`` in float32, rounded to ``low`` (the
    kernel's gradients are half-type arrays that each block adds into)."""
    if alpha != 1:
        acc = acc * _F32(alpha)
    return (c + acc).astype(low).astype(_F32)


def _backward(g, q, k, v, out, lse, mask, causal, scale, dk0, dv0, low=None):
    b_, h_, L, E = q.shape
    S = k.shape[2]
    G = b_ * h_
    qs = min(_splits(L), L)
    ks = min(_KV_SPLIT, S)
    threads = 1 if G > 1 else None
    sc = float(scale_of(E, scale))
    q3, k3, v3, g3 = (np.ascontiguousarray(t).reshape(G, t.shape[2], E) for t in (q, k, v, g))
    lse3 = np.ascontiguousarray(lse).reshape(G, L)
    if mask is not None:
        mask = np.broadcast_to(mask, (b_, h_, L, S)).reshape(G, L, S)
    dq = np.zeros((G, L, E), _F32)
    dk = np.zeros((G, S, E), _F32) if dk0 is None else dk0.reshape(G, S, E).copy()
    dv = np.zeros((G, S, E), _F32) if dv0 is None else dv0.reshape(G, S, E).copy()
    # the gradients are (B, L or S, H, E) arrays seen transposed: where each block starts
    bi, hi = np.divmod(np.arange(G), h_)
    with np.errstate(all="ignore"):
        dsum_all = lane_sum(g3 * np.ascontiguousarray(out).reshape(G, L, E))
        for m0 in range(0, L, qs):
            qb, gb = q3[:, m0:m0 + qs], g3[:, m0:m0 + qs]
            rows = qb.shape[1]
            dsum = dsum_all[:, m0:m0 + rows]
            keys = min(m0 + rows, S) if causal else S
            at_q = (bi * L + m0) * h_ * E + hi * E
            for n0 in range(0, keys, ks):
                kb, vb = k3[:, n0:n0 + ks], v3[:, n0:n0 + ks]
                at_k = (bi * S + n0) * h_ * E + hi * E
                s = _products(qb, kb.transpose(0, 2, 1), alpha=sc, threads=threads) \
                    if low is None else _low_products(qb, kb.transpose(0, 2, 1)) * _F32(sc)
                if s is None:
                    return None
                if mask is not None:
                    s = s + mask[:, m0:m0 + rows, n0:n0 + ks]
                p = _sleef.expf(s - lse3[:, m0:m0 + rows, None]).reshape(s.shape)
                if causal and keys - n0 <= ks:
                    p[:, _causal_cut(rows, kb.shape[1], m0, n0)] = 0
                if low is not None:
                    # (the products take the probabilities and their gradients rounded to
                    # the half type; each gradient block is rounded into its half array)
                    pl = p.astype(low).astype(_F32)
                    dv[:, n0:n0 + ks] = _low_grad(_low_products(pl.transpose(0, 2, 1), gb), 1,
                                                  dv[:, n0:n0 + ks], low)
                    dp = _low_products(gb, vb.transpose(0, 2, 1))
                    ds = (p * (dp - dsum[..., None])).astype(low).astype(_F32)
                    dq[:, m0:m0 + rows] = _low_grad(_low_products(ds, kb), sc,
                                                    dq[:, m0:m0 + rows], low)
                    dk[:, n0:n0 + ks] = _low_grad(_low_products(ds.transpose(0, 2, 1), qb), sc,
                                                  dk[:, n0:n0 + ks], low)
                    continue
                r = _products(p.transpose(0, 2, 1), gb, dv[:, n0:n0 + ks], threads=threads,
                              offsets=at_k, ldc=h_ * E)
                dp = _products(gb, vb.transpose(0, 2, 1), threads=threads)
                if r is None or dp is None:
                    return None
                dv[:, n0:n0 + ks] = r
                ds = p * (dp - dsum[..., None])
                rq = _products(ds, kb, dq[:, m0:m0 + rows], alpha=sc, threads=threads,
                               offsets=at_q, ldc=h_ * E)
                rk = _products(ds.transpose(0, 2, 1), qb, dk[:, n0:n0 + ks], alpha=sc,
                               threads=threads, offsets=at_k, ldc=h_ * E)
                if rq is None or rk is None:
                    return None
                dq[:, m0:m0 + rows] = rq
                dk[:, n0:n0 + ks] = rk
    return dq.reshape(q.shape), dk.reshape(k.shape), dv.reshape(v.shape)
