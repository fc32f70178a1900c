"""PyTorch's float32 matrix product on the CPU (MKL ``sgemm``), bit for bit in NumPy where known.

PyTorch's ``mm``/``matmul``/``addmm``/``F.linear`` on float32 CPU tensors call MKL's ``sgemm``
(column-major: PyTorch's ``C = A @ B`` of shape (M, N) is MKL's ``C^T = B^T A^T``, so MKL's
``m`` is our N and its ``n`` our M).  NumPy's OpenBLAS sums in another order, so the last bits
of most outputs differ.  What follows was measured black-box (MKL 2024.2 in torch 2.13, AMD
family 25 model 17, 1 and 2 threads) with summation-order probes (one product +2**40,
one -2**40, all others 1: the result counts the ones added outside the subtree where the two
big ones meet) and with random operands checked element by element against candidate orders.

Here ``C[i, j] = sum_k a[i, k] * b[k, j]``, with ``a`` (M, K) and ``b`` (K, N).

1. ``M >= 12`` and ``N >= 12`` (any K, any layout of either operand: ``mm``, ``a @ W.t()`` as
   ``nn.Linear`` passes it, transposed ``a``; 1 or 2 threads; checked up to 512 x 1024 x 2000):
   **the "blocked FMA" order**.  K is cut into blocks: one block if K <= 192; two halves of
   ``K // 2`` if 192 < K <= 384; else blocks of 192; a remainder (``K - blocks * size``, e.g.
   1 for K = 193 or 385, 16 for K = 784) is one more block at the end.  Within a block every
   output is one fused multiply-add chain in ascending k from 0 (``acc = fma(a_k, b_k, acc)``,
   one rounding per step, no interleaved accumulators).  The blocks then go into C one after
   the other, each a rounded float32 add: ``C = ((P0 + P1) + P2) + ...`` for ``mm``.
   ``addmm(bias, a, b, beta=β, alpha=α)`` (and so ``F.linear``): C starts as ``round(β*bias)``
   (``bias`` itself when β = 1) and gets ``C = C + P_t`` per block, ``P0`` included; α is
   applied to the ``b`` operand (our ``b``, MKL's packed A), rounded to float32 before the
   products: ``P_t`` is the FMA chain of ``a`` and ``round(α*b)``.  So a bias is *not* added
   after the product (``(a @ b) + bias`` differs in ~50% of outputs for K = 784) and is not the
   chain's starting value either.
2. **The "lane" orders**, for ``b`` the transpose of a C-contiguous (N, K) matrix (``W.t()``,
   the ``nn.Linear`` case), which MKL runs as SSE dot products along K.  *4-lane order*: four
   non-fused partial sums, lane l over k = l, l+4, l+8, ... ascending, each step
   ``acc = round(acc + round(a_k * b_k))``, then ``(lane0 + lane2) + (lane1 + lane3)``.
   *8-lane order*: the same with eight lanes over k mod 8, reduced
   ``((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))``.  Which outputs take them:

   - ``N >= 12``, M = 2, 3: every row takes the lane orders (1 or 2 threads);
   - ``N >= 12``, M = 5..7, 9..11 **depends on PyTorch's thread count**: on 1 thread every row
     follows order 1; on 2 threads MKL hands rows ``0 .. 4*(M//4) - 1`` to one thread (order
     1) and the 1..3 others to the second as an M < 4 product (lane orders) -- but only once
     the product is big enough to split (N*K >= 4096 always was; with N*K of 256..312 some
     were not, e.g. (7, 4) @ (4, 64): then everything is order 1); M = 4, 8 are order 1;
   - ``N < 12`` (N >= 2), any M >= 2: every row takes the lane orders;
   - in lane rows, columns ``0 .. N - N%4 - 1`` use the 4-lane order and the last ``N % 4``
     columns the 8-lane order (so K % 4 == 0 is needed, and K % 8 == 0 when N % 4 != 0).

   In lane rows ``addmm`` gives ``C = round(β*bias) + round(α*S)`` with S the reduced lane sum
   (α scales the sum here, not ``b``; the bias is added once, after the reduction).
3. **M = 1** (``b`` = ``W.t()`` again, a GEMV-like kernel): the 4-lane order, except that the
   first four products are summed in order into lane 0 (``((p0 + p1) + p2) + p3``), lanes 1..3
   starting at k = 5, 6, 7; independent of the alignment of ``a``.  Reproduced for N % 4 == 0
   and K % 4 == 0 (the other columns of N % 4 != 0 follow something else, not mapped), with
   α and β as in 2.
4. Not reproduced (``covered`` is False; the functions return NumPy's product): M < 12 or
   N < 12 with any other layout (``mm`` of two C-contiguous operands, e.g. M = 2, 3, or N = 10,
   follows none of these orders; seen: with ``b`` C-contiguous and M < 12, N >= 12, the rows
   outside full 4-row blocks of (3, 784) @ (784, 512) and (10, 64) @ (64, 512) are one
   non-fused chain over all of K with no K blocks, but on random shapes (other N, M = 2)
   that fails for 10-90% of outputs: not mapped), K not a multiple of 4 there (or of 8 where
   N % 4 != 0), M = 1 with N % 4 != 0, N = 1, K = 1 with α != 1 in order 1 (some outputs
   differ), and any thread count but 1 or 2 (more threads split rows and columns otherwise,
   which moves outputs between the orders: not measured).

NumPy's own OpenBLAS (0.3.x, Haswell kernels picked on this processor) computes
``F-ordered a @ C-ordered b`` for K <= 192 as exactly the same single FMA chain per output
(checked on 150 random shapes with M, N >= 12), so order 1 costs one OpenBLAS product per K
block plus one float32 add per block; :func:`_selfcheck` re-checks that on first use against
an exact FMA emulation, and everything falls back to plain NumPy if it ever fails.
The lane orders are emulated with float32 NumPy operations: all rows * N * K products at once
(in chunks of 4M), then one ``np.add.reduce`` over their first axis, which NumPy runs row after
row (a rounded add per step; :func:`_selfcheck` checks that too): much slower than a BLAS
product.  Cost measured (1 OpenBLAS thread, a busy 2-core machine, so +-30%), ``a @ W.t()``
against NumPy's ``a @ b``: (M, 784) @ (784, 512): order 1 (M = 4, 8, 12..128; M = 5..11 on
1 thread) 0.95-1.5x for ``mkl_sgemm``, 1.0-2.0x for ``mkl_addmm`` against ``a @ b + bias``;
with lane rows (2 threads) M = 3: 5x, M = 7: 3x, M = 11: 1.8x; M = 1, 2: ~0.5 ms against
NumPy's 20 us GEMV (~20-25x); (64, 512) @ (512, 512): 2.6x (three K blocks); (64, 512) @
(512, 10) (all lanes): ~1.6-2.2 ms against 7 us (~230x).

Measured only on the processor in ``_MEASURED``; elsewhere :func:`emulated` is False and the
functions here are NumPy's products.  Nothing in ember calls this module yet.
"""
from __future__ import annotations

import functools
import platform

import numpy as np

from .. import _cpuinfo

_F32 = np.float32
# The CPUs this order was measured on: (vendor, family, model).
_MEASURED = {("AuthenticAMD", 25, 17)}
_MIN = 12  # M and N from which every output follows the blocked FMA order


@functools.lru_cache(maxsize=None)
def emulated() -> bool:
    """Whether :func:`mkl_sgemm` reproduces PyTorch's bits on this machine (for covered shapes)."""
    x86 = platform.machine().lower() in ("x86_64", "amd64")
    return x86 and _cpuinfo.model_id() in _MEASURED and _selfcheck()


def kblocks(k: int) -> list:
    """MKL's K blocks, as (start, stop) pairs, in the order they are added into C."""
    if k <= 192:
        return [(0, k)]
    size = k // 2 if k <= 384 else 192
    out = [(s, s + size) for s in range(0, k - size + 1, size)]
    if out[-1][1] < k:
        out.append((out[-1][1], k))
    return out


def _tail_ok(a, b) -> bool:
    # orders 2-4 of the module docstring: b = W.T with W C-contiguous, K % 4 (or 8) == 0
    k, n = b.shape
    return (k > 0 and k % (4 if n % 4 == 0 else 8) == 0
            and b.flags.f_contiguous and not b.flags.c_contiguous)


def _threads(threads):
    if threads is None:
        from .. import get_num_threads
        threads = get_num_threads()
    return threads


def covered(a, b, alpha=1.0, beta=1.0, threads=None) -> bool:
    """Whether :func:`mkl_sgemm`/:func:`mkl_addmm` give MKL's bits for these operands when
    PyTorch runs on ``threads`` threads (default: ember's :func:`get_num_threads`)."""
    m, k = a.shape
    n = b.shape[1]
    threads = _threads(threads)
    if threads not in (1, 2):
        return False  # (MKL's split of the rows between threads was measured for 1 and 2)
    if m >= _MIN and n >= _MIN or n >= _MIN and (m in (4, 8) or 4 < m < _MIN and threads == 1):
        return alpha == 1 or k >= 2  # (K = 1 with alpha != 1 rounds otherwise)
    if m == 1:  # (order 4, GEMV-like)
        return n % 4 == 0 and _tail_ok(a, b)
    if n >= _MIN and m > 4 and n * k < _SPLIT_NK:
        return False  # (small products may run on one thread: which ones was not mapped)
    return m >= 2 and n >= 2 and _tail_ok(a, b)


_SPLIT_NK = 4096  # N * K from which M = 5..11 was always seen split between two threads


def _blocked(a, b, c=None):
    """Order 1: per K block an FMA chain (OpenBLAS, ``a`` F-ordered), blocks added into ``c``."""
    af = np.asfortranarray(a, _F32)
    bc = np.ascontiguousarray(b, _F32)
    out = c
    for s, e in kblocks(a.shape[1]):
        p = np.matmul(af[:, s:e], bc[s:e])
        if out is None:
            out = p
        else:
            out += p
    return out


def _lanes(a, b, lanes, prefix=False):
    """Orders 2 and 3: ``lanes`` non-fused partial sums over k mod ``lanes``, then halved
    pairwise: lane i + lane i + lanes/2, and again (4 lanes: (l0 + l2) + (l1 + l3)).
    ``prefix`` (M = 1): the first ``lanes`` products are summed in order into lane 0."""
    m, k = a.shape
    n = b.shape[1]
    q = k // lanes
    pb = np.ascontiguousarray(b).reshape(q, lanes, n)[:, :, None, :]
    step = max(1, _LANE_CHUNK // max(1, k * n))
    if m > step:
        return np.concatenate([_lanes(a[i:i + step], b, lanes, prefix) for i in range(0, m, step)])
    pa = np.ascontiguousarray(a.reshape(m, q, lanes).transpose(1, 2, 0))[:, :, :, None]
    # every float32 product, (k/lanes, lanes, m, n); NumPy reduces a C-ordered array over its
    # first axis row after row, a rounded float32 add per step (checked by _selfcheck): the
    # lanes' sequential sums, all at once
    prod = np.multiply(pa, pb)
    if prefix:
        first = prod[0]
        head = first[0].copy()
        for i in range(1, lanes):
            head += first[i]
        first[0] = head
        first[1:] = 0
    acc = np.add.reduce(prod, axis=0)
    acc += _F32(0)  # (MKL's lanes start at +0: a sum of -0.0 alone is +0.0)
    parts = list(acc)
    while len(parts) > 1:
        h = len(parts) // 2
        parts = [parts[i] + parts[i + h] for i in range(h)]
    return parts[0]


_LANE_CHUNK = 1 << 22  # products held at once by _lanes (16 MiB)


def _four_lane(a, b):
    """Case 2's tail rows: 4 lanes, but 8 lanes for the last N % 4 columns."""
    n = b.shape[1]
    full = n - n % 4
    if full == n:
        return _lanes(a, b, 4)
    out = np.empty((a.shape[0], n), _F32)
    out[:, :full] = _lanes(a, b[:, :full], 4)
    out[:, full:] = _lanes(a, b[:, full:], 8)
    return out


def _gemm(a, b, c, alpha=1.0, threads=2):
    """C = c + alpha * (a @ b) (c None: zero) in MKL's order for covered operands."""
    m, n = a.shape[0], b.shape[1]
    # rows in full 4-row blocks (the rest is a second thread's M < 4 product)
    full = m if m >= _MIN or threads == 1 and m > 4 else 4 * (m // 4)
    if n < _MIN:
        full = 0  # (every row takes the lane orders)
    bs = b if alpha == 1 else np.multiply(b, _F32(alpha), dtype=_F32)  # (order 1: alpha scales b)
    if full == m:
        return _blocked(a, bs, c)
    out = np.empty((m, n), _F32) if c is None else c
    if full:
        out[:full] = _blocked(a[:full], bs, None if c is None else c[:full])
    tail = _lanes(a, b, 4, prefix=True) if m == 1 else _four_lane(a[full:], b)
    if alpha != 1:
        tail *= _F32(alpha)  # (lane orders: alpha scales the reduced sum, rounded)
    if c is None:
        out[full:] = tail
    else:
        out[full:] += tail
    return out


def mkl_sgemm(a, b, threads=None):
    """``a @ b`` for 2-D float32 ``a`` (M, K), ``b`` (K, N), as PyTorch's ``torch.mm`` rounds it
    where :func:`covered` (and :func:`emulated`) say so, else NumPy's product."""
    a = np.asarray(a, _F32)
    b = np.asarray(b, _F32)
    threads = _threads(threads)
    if a.shape[1] == 0 or not (emulated() and covered(a, b, threads=threads)):
        return np.matmul(a, b)
    return _gemm(a, b, None, 1.0, threads)


def mkl_addmm(bias, a, b, beta=1.0, alpha=1.0, threads=None):
    """``beta * bias + alpha * (a @ b)`` as ``torch.addmm`` (and ``F.linear``) round it, for
    float32 operands and ``bias`` broadcastable to (M, N), where :func:`covered` says so."""
    a = np.asarray(a, _F32)
    b = np.asarray(b, _F32)
    bias = np.asarray(bias, _F32)
    shape = (a.shape[0], b.shape[1])
    threads = _threads(threads)
    if a.shape[1] == 0 or not (emulated() and covered(a, b, alpha, beta, threads)):
        with np.errstate(all="ignore"):
            prod = np.matmul(a, b)
            if alpha != 1:
                prod *= _F32(alpha)
            if beta == 0:
                return prod
            return (np.broadcast_to(bias, shape) * _F32(beta) if beta != 1 else bias) + prod
    if beta == 0:
        return _gemm(a, b, None, alpha, threads)
    c = np.array(np.broadcast_to(bias, shape), _F32)
    if beta != 1:
        c *= _F32(beta)
    return _gemm(a, b, c, alpha, threads)


def _exact_chain(a, b):
    """One exact float32 FMA chain over all of K (ascending), the reference for the self-check."""
    from .._random import _fma32
    acc = np.zeros((a.shape[0], b.shape[1]), _F32)
    for k in range(a.shape[1]):
        acc = _fma32(np.broadcast_to(a[:, k:k + 1], acc.shape),
                     np.broadcast_to(b[k:k + 1], acc.shape), acc)
    return acc


@functools.lru_cache(maxsize=None)
def _selfcheck() -> bool:
    """Whether NumPy's BLAS still sums an F-ordered ``a`` times a C-ordered ``b`` (K <= 192) as
    one FMA chain per output, the premise of :func:`_blocked`."""
    rng = np.random.default_rng(1234)
    for m, n, k in ((12, 12, 192), (13, 17, 100), (37, 45, 7), (20, 70, 64)):
        a = rng.standard_normal((m, k)).astype(_F32)
        b = rng.standard_normal((k, n)).astype(_F32)
        if not np.array_equal(np.matmul(np.asfortranarray(a), b), _exact_chain(a, b)):
            return False
    # _lanes: np.add.reduce over the first axis must add row after row
    p = (rng.standard_normal((64, 4, 3, 9)) * 2.0 ** rng.integers(-20, 20, (64, 4, 3, 9)))
    p = p.astype(_F32)
    seq = p[0].copy()
    for row in p[1:]:
        seq += row
    return bool(np.array_equal(np.add.reduce(p, axis=0), seq))
