"""PyTorch's float32 matrix product on the CPU (MKL ``sgemm``), bit for bit where known.

PyTorch's ``mm``/``matmul``/``addmm``/``F.linear`` on float32 CPU tensors call MKL's ``sgemm``
(column-major: PyTorch's ``C = A @ B`` of shape (M, N) is MKL's ``C^T = B^T A^T``).  NumPy's
OpenBLAS sums in another order, so the last bits of most outputs would differ, and a seeded
training run drifts from PyTorch's in its printed losses within an epoch.  What follows was
measured black-box (MKL 2024.2 in torch 2.13, AMD family 25 model 17, 1 and 2 threads) with
summation-order probes (one product +2**40, one -2**40, all others 1: the result counts the
ones added outside the subtree where the two big ones meet) and with random operands checked
element by element against candidate orders.

Here ``C[i, j] = sum_k a[i, k] * b[k, j]``, with ``a`` (M, K) and ``b`` (K, N); ``b`` is
"transposed" when stored by columns (``W.t()`` of a C-contiguous weight, as ``nn.Linear``
passes it), else by rows (PyTorch copies any other layout to rows first).

1. **Order 1, "blocked FMA"**: K is cut into blocks: one block if K <= 192; two halves of
   ``K // 2`` if 192 < K <= 384; else blocks of 192; a remainder (``K - blocks * size``, e.g.
   1 for K = 193 or 385, 16 for K = 784) is one more block at the end.  Within a block every
   output is one fused multiply-add chain in ascending k from 0 (one rounding per step).  The
   blocks go into C one after the other, each a rounded float32 add: ``C = ((P0 + P1) + P2) +
   ...`` for ``mm``; ``addmm(bias, a, b, beta=β, alpha=α)`` (and so ``F.linear``) starts C at
   ``round(β*bias)`` and adds every block to it, ``P0`` included (so ``(a @ b) + bias``, which
   adds the bias last, differs in about half the outputs for K = 784); α is applied to ``b``,
   rounded to float32, before the products.
2. **Tail rows**: rows that MKL hands to a kernel for fewer than 4 rows.  Which rows:

   - N >= 12: none if M >= 12 or M = 4, 8; all if M < 4; for M = 5..7, 9..11 none on 1
     thread, and on 2 threads rows ``4*(M//4)`` onwards (a second thread's M < 4 product)
     once MKL splits the product, which it does for ``K >= 17``, or ``N >= 17`` and
     ``K >= 5``, or ``N >= 101`` and ``K >= 2`` (:func:`_split`; mapped for M = 5 and 10 over
     N 12..140, K 1..40, the same for both layouts of ``b``);
   - 2 <= N < 12: every row, whatever M and the threads.

   In tail rows the order depends on the layouts:

   With ``b`` **by rows**, a tail row is one non-fused chain over all of K (no K blocks),
   starting at ``round(β*bias)`` (or +0): ``acc = round(acc + round(round(α*a_k) * b_k))``.
   The ``-(i*N) % 4`` outputs of C's row i before its first 16-byte boundary (C is PyTorch's
   fresh output, 64-byte aligned), where at least 4 outputs follow them in the row, take the
   same chain but add the products of k = 4-7, 12-15, ... four at a time, summed in order
   first (k = 0-3, 8-11, ... and the last K % 8 one by one); mapped for N 2..39, M 1..60,
   K 1..700, both layouts of ``a``, α and β (~1500 random products, 1 and 2 threads).
   With ``b`` **transposed** and ``a`` by rows (SSE dot products along K; both by columns is
   another kernel, not mapped), the *4-lane order*: four non-fused
   partial sums, lane l over k = l, l+4, ... ascending, each step ``acc = round(acc +
   round(a_k * b_k))``, then ``(lane0 + lane2) + (lane1 + lane3)``; the last ``N % 4``
   columns take the *8-lane order* (lanes over k mod 8, reduced ``((l0 + l4) + (l2 + l6)) +
   ((l1 + l5) + (l3 + l7))``); the lanes take ``lanes * (K // lanes)`` products, the rest
   are added onto the reduced sum one by one, and a row of ``a`` starting ``o`` floats past a
   16-byte boundary first sums its ``(4 - o) % 4`` leading products into lane 0.  The
   result is ``round(β*bias) + round(α*S)`` (α scales the reduced sum S; the bias is added
   once, after it).  For **M = 1** MKL runs ``sgemv`` on ``b``'s rows (``W`` of ``b = W.t()``):
   the product is ``W @ a[0]`` in the N = 1 order of item 3 (``W`` as the rows of ``a``),
   every N and K (:mod:`ember._ops._mkl_gemv` checked it), claimed for ``W`` with its rows
   at any address and stride (item 3's offset rule) and ``a`` by rows.
3. **N = 1** (``nn.Linear(K, 1)``, ``x @ w`` with ``w`` (K, 1); both layouts of ``b`` give
   the same order, its stride along K does not matter).  With ``a`` by rows, rows in groups
   of 4 sum in 4 non-fused lanes: the first ``(K-1) % 4 + 1`` products in order into lane
   0, then lane l over every 4th product, ``(l0 + l2) + (l1 + l3)`` (with ``a`` starting
   ``o`` floats past a 16-byte boundary and its rows ``lda`` floats apart, that order over
   the first ``K - t`` products only, the last ``t = (o + K - lda) % 4`` added one by one
   after it: mapped for 4..300 rows, K up to 3000, lda up to K + 8); the
   ``M % 4`` rows after them (any address): the first 4 products into lane 0, 8 lanes (1st
   and 3rd of these rows) or 4 (2nd) over the next ``8 * ((K-4) // 8)``, halved pairwise,
   the rest added one by one (:func:`_dot`); M = 1 with ``b = W.t()`` is such a row (8
   lanes), claimed from a 16-byte boundary.  Result ``round(β*bias) + round(α*S)``.  With
   ``a`` by columns, and for M = 1 with ``b`` a (K, 1) column and α = 1, one non-fused chain
   from ``round(β*bias)``, α rounding ``b`` first (α != 1 there: another order, not mapped).
   Mapped with ~3500 random products (M 1..250, K 1..3000, 1 and 2 threads, α and β).
4. Not reproduced (:func:`plan` says None, and NumPy's product is used): the tail-row
   cases with other K or N than above, K = 1 with α != 1 in order 1, lane rows with K < 4
   and α != 1, more than 2 threads (MKL then splits rows and columns otherwise: not
   measured), and tail or lane rows of more than :data:`_EMULATED_MAX` products in all (emulated
   product by product in NumPy, about 1 ns each, they would cost too much).

``bmm`` (and ``matmul`` of stacks, which PyTorch runs as ``bmm`` on the flattened batch):
for M * K * N < 400 PyTorch's own loop, one non-fused chain per output from 0 (and for N = 1
in a batch of several matrices); above, MKL per matrix as above, the matrices split between
the threads so that each product runs on one thread (on all of them when the batch holds one
matrix), a matrix's output rows placed as in the whole batch's output (which moves their
head outputs, item 2); emulated for up to :data:`_BMM_MAX` matrices.  On the Intel processor
the same split, each matrix in the Intel order below on one thread (all of the stack at once
where that is the K blocks' order, :func:`intel_stacked`; any batch size), and N = 1 in a
batch of several matrices in the K blocks' order too (:func:`_intel_bmm_column`).

How it is computed: order 1 through NumPy's own OpenBLAS ``cblas_sgemm`` (``ember._blas``),
one call per K block with ``beta = 1`` into C: its kernels sum each output of a block as one
FMA chain from 0 and add it into C with one rounding, exactly order 1, given ``a`` by
columns (a copy where it is by rows: OpenBLAS's kernels for the edge rows and columns sum
otherwise); :func:`_selfcheck` re-checks that premise on first use against an exact FMA
emulation, and everything falls back to NumPy's products if it fails.  Lane rows, and chain
rows from +0 with ``b``'s rows contiguous, are one ``np.einsum`` pass (:func:`_lanes`,
:func:`_chain`): it multiplies in float32 and adds each product into its output, slot after
slot from +0, without fusing the two (checked on first use against the product-then-reduce
forms kept as :func:`_lanes_reference`/:func:`_chain_reference`; outputs with a NaN come from
those, as the operands' order in einsum's adds picks another NaN payload).  The other tail
rows are float32 NumPy products (``np.einsum``'s, ~1.4x faster than ``np.multiply``'s for
these broadcasts, where a zero product's sign cannot matter) summed by ``np.add.reduce`` over
their first axis, which NumPy runs row after row (a rounded add per step; checked by
:func:`_selfcheck` too); ``a``'s transposed copies are BLAS's ``somatcopy`` (2-4x NumPy's).
Costs, against NumPy's own product (2 cores): order 1 is 1.0-1.15x for large products and
~1.1-1.2x for ``nn.Linear`` at batch 64 (the K blocks); lane rows cost ~0.3 ns per product
(the (64, 512) @ (512, 10) output layer: ~0.1 ms against 9 us; the reduce form took ~0.19).
A training step of the seed's MLP at batch 64 costs 1.15-1.25x what it does in NumPy's
order.  N = 1 rows in groups of 4 (and M = 1 times a transposed ``b``) and chains by columns
take one ``einsum`` pass as well (:func:`_groups`; ~0.3 ns per product with the copy: one
sample through the seed's MLP ~0.4 ms against ~0.1 ms in NumPy's order).

**Intel** (``_INTEL``: GenuineIntel family 6 model 167, AVX-512; MKL on 2 threads; a second
profile, :func:`profile` ``"intel"``, measured black-box against random operands): every output
is an FMA chain per K block from 0, as order 1, but the blocks are of 384: one block for
K <= 384, two halves (``ceil(K/2)`` first) for K <= 768, else blocks of 384 and the remainder
last.  The bias of ``addmm``/``F.linear`` starts C (C = ((bias + P0) + P1) ...).  For K > 768
on 2 threads MKL takes one of three orders: K split between the threads ("intel-split": each
half, ``ceil(K/2)`` first, summed in its own blocks, the bias in the first, then one rounded
add of the halves); the blocks of K in sequence ("intel"); or blocks of 384 until 768 or
fewer are left, those halved ("intel-tail").  Which one depends on M, N and K (e.g. M = 128,
N = 512: "intel" up to K = 1023, split from 1024), found by sums whose rounding shows which
products meet first (a big product, its negation and a 1 between them: the 1 survives only
where the two big ones meet before it), by bisecting K for the first split on a grid of M
and N, and then checked on random operands.  Claimed (:func:`_intel_plan`; ~3000 random
products, every layout of both operands, with and without a bias, all bit for bit):
16 <= M, 2 <= N (both up to 4096) and K <= 768 (the orders agree there; also on 1 thread);
on 1 thread, K up to 16384: "intel" for N >= 192 with ``b`` transposed or M >= 192, else
"intel-tail" (``bmm``'s matrices too, one per thread); on 2 threads: for M, N >= 57
(K <= 16384), split from K = 8 min(M, N) on, or from
3 M + N + 242 where M and N are both under 379 and that comes first, else "intel"
(:func:`_intel_splits`: whatever the layouts and leading dimensions); "intel-tail" where
M * N * K <= 192000, for N <= 56 with M >= 379 and ``a`` by rows (but with ``b``
by rows too, a leading dimension a multiple of 256 floats makes MKL split from N = 32 on:
split there, :func:`_intel_thin_split`), and for ``x @ W.t()`` (nn.Linear) with M <= 56,
N 379..755 (the quickstart's last training batch of 32 and last test batch of 16 through
``Linear(784, 512)``; the other layouts as well, but split where a leading dimension or N
is a multiple of 256 floats, from M = 17 or with both by columns); split for the rest of N <= 56
and of M 16..56 (K up to 16384 in all of these).  Not claimed (NumPy's
products): M < 16 or N = 1 outside :func:`_intel_small_plan`'s regions
(other kernels there: MKL's sgemv for one row times a transposed ``b`` and for N = 1,
:func:`_intel_gemv`; for 2..15 rows a 16-lane order, :func:`_intel_rows16`, or the K
blocks' order; one row times ``b`` by rows and a column from ``a`` by columns, K up to
5000: :func:`_intel_rowv`, K halved on 2 threads from K = 256 for most N), β other than
1, α other than 1 on 2 threads or with K > 768 (on one thread: :func:`_intel_scaled`), and
K over 16384.

Measured only on the processors in ``_MEASURED`` and ``_INTEL``; elsewhere :func:`profile` is
None and the products are NumPy's.  ``torch.set_float32_matmul_precision("high")`` (or
``"medium"``), with which PyTorch lets its products trade exactness for speed, lets ember take
NumPy's own order and speed as well; the default, ``"highest"``, is PyTorch's bits.
"""
from __future__ import annotations

import functools
import threading

import numpy as np

from .. import _blas, _cpuinfo
from .. import backends as _backends
from . import _cascade

_F32 = np.float32
_ITEM = 4
# The CPUs this order was measured on: (vendor, family, model).
_MEASURED = {_cpuinfo.AMD_MEASURED}
_INTEL = {_cpuinfo.INTEL_MEASURED}  # (the second profile: see "Intel" above)
_MIN = 12  # M and N from which every output follows order 1
_EMULATED_MAX = 1 << 24  # products of tail and lane rows emulated at most, per product
_CHUNK = 1 << 22  # float32 products held at once while emulating (16 MiB)
_TRANSPOSE_MIN = 2048  # elements from which BLAS's transposing copy beats NumPy's (~4 us)


@functools.lru_cache(maxsize=None)
def emulated() -> bool:
    """Whether the products here reproduce PyTorch's bits on this machine (for covered shapes)."""
    return _cpuinfo.x86_64() and _cpuinfo.model_id() in _MEASURED and _blas.has_sgemm() and \
        _selfcheck()


def profile():
    """Which measured order this processor's products follow: ``"amd"`` (items 1-4 above:
    :func:`emulated`, which other modules take to mean that one), ``"intel"`` (the Intel
    order above, in its region only), or None (NumPy's products)."""
    if emulated():
        return "amd"
    return "intel" if _intel_measured() else None


@functools.lru_cache(maxsize=None)
def _intel_measured() -> bool:
    return _cpuinfo.x86_64() and _cpuinfo.model_id() in _INTEL and _blas.has_sgemm() and \
        _selfcheck()


def kblocks(k: int) -> list:
    """MKL's K blocks, as (start, stop) pairs, in the order they are added into C."""
    return list(_kblocks(k))


@functools.lru_cache(maxsize=1024)
def _kblocks(k: int) -> tuple:
    if k <= 192:
        return ((0, k),)
    size = k // 2 if k <= 384 else 192
    out = [(s, s + size) for s in range(0, k - size + 1, size)]
    if out[-1][1] < k:
        out.append((out[-1][1], k))
    return tuple(out)


def _split(n: int, k: int) -> bool:
    """Whether MKL on 2 threads splits an M = 5..11 product's rows between them."""
    return k >= 2 and (k >= 17 or n >= 101 or (n >= 17 and k >= 5))


def _threads(threads):
    """PyTorch's intra-op threads as ember models them (``threads`` where given)."""
    if threads is None:
        threads = _cascade.intraop_threads  # (set by torch.set_num_threads)
        if threads is None:
            threads = _cascade._default_threads()  # (the environment or the cores)
    return threads


def _layout(x):
    """(by rows, leading dimension) of a 2-D float32 array as BLAS takes it, else None."""
    s0, s1 = x.strides
    r, c = x.shape
    if s1 == _ITEM and s0 % _ITEM == 0 and s0 >= _ITEM * max(1, c):
        return True, s0 // _ITEM
    if s0 == _ITEM and s1 % _ITEM == 0 and s1 >= _ITEM * max(1, r):
        return False, s1 // _ITEM
    return None


def _transposed(b) -> bool:
    """PyTorch's test: ``b`` counts as transposed when not by rows but by columns."""
    lay = _layout(b)
    return lay is not None and not lay[0]


def _copied(x, lay, dim) -> bool:
    """Whether PyTorch copies ``x``, a single row (``dim`` 0) or column (``dim`` 1), to a
    fresh buffer before the product: a layout BLAS cannot take (``lay``: its ``_layout``).
    A size-1 dim's stride of 0 is what ember's own views add (NumPy's ``v[None]``,
    ``v[:, None]``) for PyTorch's ``unsqueeze``, whose strides there are ``(K * s, s)`` for
    a row (copied unless ``s`` is 1) and ``(s, 1)`` for a column (never copied)."""
    if lay is not None:
        return False
    if x.strides[dim] != 0:
        return True
    return dim == 0 and x.strides[1] != _ITEM


def _a_layout(a):
    """``_layout(a)`` as MKL's order sees the first operand: a single row whose values lie
    back to back (a (1, K) view with strides (1, 1), the ``.t()`` of a (K, 1) column, which
    PyTorch's stride test passes by columns with a leading dimension of 1) sums as the same
    row by rows (measured: every N and K, both layouts of ``b``)."""
    lay = _layout(a)
    if lay is not None and not lay[0] and a.shape[0] == 1 and a.strides[1] == _ITEM:
        return True, max(1, a.shape[1])
    return lay


def plan(m: int, k: int, n: int, transposed: bool, threads: int, alpha=1.0, a_transposed=False,
         a_aligned=True):
    """``(rows, tail)``: the first ``rows`` rows follow order 1 and the rest ``tail``
    ("chain", "chain0", "lanes", "gemv" or "dot", None where no rows are left); None where
    not mapped.
    ``transposed``/``a_transposed``: ``b``/``a`` stored by columns; ``a_aligned``: ``a``'s
    rows a whole number of floats apart, a single row from a 16-byte boundary (which only
    N = 1 depends on;
    for M = 1 with ``b`` transposed: ``b.T``'s rows, see :func:`_aligned_for`)."""
    if threads not in (1, 2) or n < 1 or k < 1 or m < 1:
        return None
    if not emulated() and _intel_measured():
        return _intel_plan(m, k, n, threads, alpha, transposed=transposed,
                           a_transposed=a_transposed)
    if n == 1:  # (either layout of b: a column of K values; see _dot)
        if m * k > _EMULATED_MAX and k > 1:
            return None
        if m == 1 and k > 1 and not transposed:  # (alpha != 1: another order, not mapped)
            return (0, "chain") if alpha == 1 else None
        if a_transposed and k > 1:
            return 0, "chain"  # (alpha rounds b here, not a)
        ok = not a_transposed and (a_aligned or 1 < m < 4)
        return (0, "dot") if ok or k == 1 else None
    if n >= _MIN:
        if m >= _MIN or m in (4, 8):
            rows = m
        elif m < 4:
            rows = 0
        else:
            rows = m if threads == 1 or not _split(n, k) else 4 * (m // 4)
    else:
        rows = 0  # (N < 12: every row is a tail row, whatever M)
    if rows and k == 1 and alpha != 1:
        return None  # (order 1 rounds otherwise then)
    if rows == m:
        return rows, None
    if (m - rows) * k * n > _EMULATED_MAX:
        return None
    if not transposed:
        return rows, "chain"
    if a_transposed:
        # (both operands by columns: another kernel; rows of 2 or more, alpha 1: one
        # non-fused chain from +0 per output, the bias added after it; M = 1 not mapped)
        return (rows, "chain0") if m > 1 and alpha == 1 else None
    if m == 1:  # (sgemv on b's rows: the N = 1 order of b.T times a's row)
        return (0, "gemv") if a_aligned else None
    if k < 4 and alpha != 1:
        return None  # (one product or a few: alpha rounds otherwise there, not mapped)
    return rows, "lanes"


def covered(a, b, alpha=1.0, beta=1.0, threads=None) -> bool:
    """Whether :func:`mkl_sgemm`/:func:`mkl_addmm` give MKL's bits for these operands when
    PyTorch runs on ``threads`` threads (default: PyTorch's, as ember models them)."""
    la = _a_layout(a)
    return plan(a.shape[0], a.shape[1], b.shape[1], _transposed(b), _threads(threads),
                alpha, la is not None and not la[0], _aligned_for(a, b)) is not None


def _aligned_for(a, b) -> bool:
    """The ``a_aligned`` of :func:`plan`: ``a``'s alignment for N = 1, ``b.T``'s for a single
    row times a transposed ``b`` (both run MKL's sgemv on those rows)."""
    if b.shape[1] == 1:  # (a single row: from a 16-byte boundary, or times a transposed b)
        return _aligned(a) and (a.shape[0] > 1 or a.ctypes.data % 16 == 0 or _transposed(b))
    if a.shape[0] == 1 and _transposed(b):
        return _aligned(b.T)
    return True


def _aligned(a) -> bool:
    """Whether ``a`` starts on a 4-byte boundary with its rows a whole number of floats apart
    (MKL's N = 1 order moves with the address and the row stride: see :func:`_offset`).  A
    layout BLAS cannot take PyTorch copies to a fresh buffer first, which is."""
    if a.shape[0] > 1 and _layout(a) is None:
        return True
    return a.ctypes.data % _ITEM == 0 and a.strides[0] % _ITEM == 0


def _row_rule(a):
    """``(_aligned(a), a's address, _offset(a))``, its address and layout read once."""
    if a.shape[0] > 1 and _layout(a) is None:
        return True, 0, 0
    addr = a.ctypes.data
    lda = a.strides[0] // _ITEM if a.shape[0] > 1 else a.shape[1]
    return addr % _ITEM == 0 and a.strides[0] % _ITEM == 0, addr, \
        ((addr // _ITEM) % 4 + a.shape[1] - lda) % 4


def _offset(a) -> int:
    """The products MKL's N = 1 order leaves to the end of each row in the groups of 4 (see
    :func:`_dot`): ``(o + K - lda) % 4`` for ``a`` starting ``o`` floats past a 16-byte
    boundary, its rows ``lda`` floats apart (``o`` for rows back to back; 0 for a layout
    PyTorch copies to a fresh buffer)."""
    if a.shape[0] > 1 and _layout(a) is None:
        return 0
    lda = a.strides[0] // _ITEM if a.shape[0] > 1 else a.shape[1]
    return ((a.ctypes.data // _ITEM) % 4 + a.shape[1] - lda) % 4


def _columns(a, lay=None) -> np.ndarray:
    """``a.T`` as a C-ordered copy (``a`` by columns, transposed); ``lay``: ``_layout(a)``
    where known.

    NOTE: NumPy copies a transpose element by element, 2-4x slower than BLAS's transposing
    copy, and when ``a``'s rows lie a multiple of 1 KiB apart (512 float32: the usual layer
    widths) its reads alias in the cache and the copy runs ~4x slower again, so those go 16
    rows at a time where BLAS's copy is not at hand."""
    r, c = a.shape
    if r * c >= _TRANSPOSE_MIN and _transpose_ok():
        lay = _layout(a) if lay is None else lay
        if lay is not None and lay[0]:
            out = np.empty((c, r), _F32)
            _blas.transpose(r, c, a.ctypes.data, lay[1], out.ctypes.data)
            _after_blas()
            return out
    if r <= 16 or a.strides[0] % 1024:
        return np.ascontiguousarray(a.T)
    out = np.empty((c, r), _F32)
    for s in range(0, r, 16):
        out[:, s:s + 16] = a[s:s + 16].T
    return out


@functools.lru_cache(maxsize=None)
def _transpose_ok() -> bool:
    """Whether BLAS's transposing copy is there and copies every bit (signed zeros,
    subnormals, infinities, NaN payloads) of a float32 array."""
    if not _blas.has_transpose():
        return False
    bits = np.array([0x80000000, 0x00000001, 0x807FFFFF, 0x7F800000, 0xFF800000, 0x7FC12345,
                     0xFFC00001, 0x3F800001], np.uint32)
    a = np.resize(bits, (37, 70)).view(_F32)
    a[:, ::7] = np.random.default_rng(5).standard_normal((37, 10))
    src = np.zeros((37, 75), _F32)
    src[:, :70] = a
    out = np.empty((70, 37), _F32)
    _blas.transpose(37, 70, src.ctypes.data, 75, out.ctypes.data)
    return bool(np.array_equal(out.view(np.uint32), np.ascontiguousarray(a.T).view(np.uint32)))


_WIDE = np.zeros(256, _F32)  # (see _after_blas; 0 + 0 into it changes nothing)


def _after_blas() -> None:
    """A small NumPy add, run after each BLAS call here.  NOTE: right after an OpenBLAS call,
    NumPy's ``einsum`` loops (built for its baseline SSE) ran ~1.4x slower here, until one of
    NumPy's ufunc loops for the wider vectors had run (the (64, 512) @ (512, 10) lanes'
    einsum: ~75 us after BLAS's transposing copy, ~54 us after this add; an add of 16 floats
    did not help, of 64 did).  Likely the upper halves of the vector registers left in use,
    which such a loop clears on return.  Bits: 0 + 0 into zeros, nothing else changes."""
    np.add(_WIDE, _WIDE, out=_WIDE)


def _blocked(a, b, c, add=True, la=None, lb=None, blocks=None) -> np.ndarray:
    """Order 1: ``c`` (C-contiguous (M, N), or None for a new one) plus ``a @ b`` (``add``
    False: ``c``'s contents ignored), K block by K block through BLAS into ``c``; returns
    ``c``.  ``la``/``lb``: the operands' ``_layout`` where known; ``blocks``: the K blocks
    (default :func:`kblocks`)."""
    la = _layout(a) if la is None else la
    lb = _layout(b) if lb is None else lb
    if lb is None:
        b = np.ascontiguousarray(b)
        lb = (True, b.shape[1])
    if la is None or la[0] and not (lb[0] and 0 < (b.shape[1] - 1) % 16 + 1 - 8 and
                                    _rows_by_rows_ok()):
        # (with a by rows, OpenBLAS's kernels sum otherwise when b is transposed, and in the
        # last N % 16 columns when that is 1..8; then a goes by columns, copied)
        a = _columns(a, la).T
        la = (False, max(1, a.shape[0]))
    beta = 1.0 if add and c is not None else 0.0
    m, k = a.shape
    n = b.shape[1]
    if c is None:
        c = np.empty((m, n), _F32)
    # block (s, e) of a starts s columns in, of b s rows in (addresses by hand: a ctypes
    # view per slice would cost more than a small block's product)
    pa, pb, pc = a.ctypes.data, b.ctypes.data, c.ctypes.data
    a_step = _ITEM * (1 if la[0] else la[1])
    b_step = _ITEM * (lb[1] if lb[0] else 1)
    for s, e in _kblocks(k) if blocks is None else blocks:
        _blas.sgemm(la[0], lb[0], m, n, e - s, pa + s * a_step, la[1], pb + s * b_step, lb[1],
                    beta, pc)
        beta = 1.0
    _after_blas()
    return c


def _column_chunks(n, per_column):
    step = max(1, _CHUNK // max(1, per_column))
    return [(j, min(n, j + step)) for j in range(0, n, step)]


def _rowsum(prod, out=None) -> np.ndarray:
    """``prod`` summed over its first axis row after row, a rounded add per step (into
    ``out`` where given).  (NumPy's reduce does that while a row holds several elements; a
    single column, contiguous, it sums pairwise, so that one is accumulated.)"""
    if prod[0].size == 1:
        res = np.add.accumulate(prod, axis=0)[-1]
        if out is None:
            return res
        out[...] = res
        return out
    return np.add.reduce(prod, axis=0, out=out)


def _chain(a, b, c) -> np.ndarray:
    """Tail rows with ``b`` by rows: one non-fused chain over all of K per output, from the
    rows ``c`` (or +0).  From +0 with ``b``'s rows contiguous: one ``einsum`` pass, which
    multiplies and adds k after k into the outputs from +0 (:func:`_chain_einsum_ok` checks
    that it gives :func:`_chain_reference`'s bits; ~3x faster for the 2 tail rows of a
    (10, 64) @ (64, 512) weight gradient); else :func:`_chain_reference`."""
    n = b.shape[1]
    if c is None and n > 1 and b.strides[1] == _ITEM and b.strides[0] >= _ITEM * n and \
            _chain_einsum_ok():
        # (k outermost: b's rows lie apart, its columns inner, and the outputs take none of
        # k; so each output's sum runs over k in order)
        out = np.empty((a.shape[0], n), _F32)
        _c_einsum("kt,kn->tn", a.T, b, out=out)
        if not np.isnan(out).any():  # (NaNs: the reference's payloads, see _lanes)
            return out
    return _chain_reference(a, b, c)


@functools.lru_cache(maxsize=None)
def _chain_einsum_ok() -> bool:
    """Whether :func:`_chain`'s ``einsum`` pass gives :func:`_chain_reference`'s bits here
    (each product rounded before its add, k in order from +0), on operands with infinities,
    NaNs, signed zeros and subnormals, ``a`` by rows and by columns."""
    rng = np.random.default_rng(29)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-45, 3e38], _F32)
    with np.errstate(all="ignore"):
        for t, k, n in ((2, 64, 512), (3, 40, 13), (1, 7, 2), (11, 300, 5), (4, 1, 3)):
            a = (rng.standard_normal((t, k)) * np.exp2(rng.integers(-40, 40, (t, k))))
            a = a.astype(_F32)
            b = (rng.standard_normal((k, n + 2)) * np.exp2(rng.integers(-40, 40, (k, n + 2))))
            b = b.astype(_F32)[:, 1:n + 1]
            a[0, :8] = special[:min(8, k)]
            b[-1, :8] = special[:min(8, n)]
            a[-1, ::2] = -0.0
            b[:, -1] = np.abs(b[:, -1])  # (a column of -0 products from the -0 row)
            for x in (a, np.asfortranarray(a)):
                out = np.empty((t, n), _F32)
                _c_einsum("kt,kn->tn", x.T, b, out=out)
                if not _same_bits(out, _chain_reference(x, b, None)):
                    return False
    return True


def _chain_reference(a, b, c) -> np.ndarray:
    """:func:`_chain` as first written: every product laid out, then a reduce (and the
    reference its ``einsum`` pass is tested against)."""
    t, k = a.shape
    n = b.shape[1]
    if n == 1 and t >= 4 and c is None and a.strides[0] == _ITEM and _groups_ok():
        # (a by columns, its columns' products summed over k in order from +0 by one einsum
        # straight from a's memory: see _groups)
        out = np.empty((1, t), _F32)
        _einsum_sum(a.T[:, None, :], b, out)
        return out.reshape(t, 1)
    out = np.empty((t, n), _F32)
    first = 0 if c is None else 1
    cols = a.T[:, :, None]  # (K, t, 1)
    for j, e in _column_chunks(n, (k + 1) * t):
        # every float32 product (K, t, columns) after the start row; NumPy reduces a C-ordered
        # array over its first axis row after row, a rounded float32 add per step
        prod = np.empty((k + first, t, e - j), _F32)
        if first:
            prod[0] = c[:, j:e]
            np.multiply(cols, b[:, None, j:e], out=prod[first:])
        else:  # (from +0, a zero product's sign changes nothing)
            _outer(a.T, b[:, j:e], prod, False)
        _rowsum(prod, out[:, j:e])
        if first:
            _negative_zeros(prod, out[:, j:e])
    if c is None:
        out += _F32(0)  # (the chain starts at +0: a sum of -0.0 alone is +0.0)
    return out


def _negative_zeros(prod, res):
    """NOTE: NumPy's reduce starts a float sum at +0, so a chain of -0 alone (a -0 start and
    every product -0), which is -0, comes out +0: those outputs of ``res`` go back to -0."""
    z = (res == 0) & np.signbit(prod[0])
    if z.any():
        rest = prod[1:, z]
        neg = np.all((rest == 0) & np.signbit(rest), axis=0)
        res[z] = np.where(neg, _F32(-0.0), res[z])


def _heads(a, c, n, first, res, b):
    """Fix up the head outputs of chain rows: in C's row ``i`` (``first`` + the row of ``a``),
    the ``h = -(i * N) % 4`` outputs before its first 16-byte boundary, when at least 4
    outputs follow them, take :func:`_quads`' order (the others stay one chain)."""
    if n % 4 == 0 or n < 5:
        return res  # (no row has such head outputs)
    h = -((first + np.arange(a.shape[0])) * n) % 4
    for size in (1, 2, 3):
        rows = np.flatnonzero(h == size)
        if len(rows) and n - size >= 4:
            res[rows, :size] = _quads(a[rows], b[:, :size], None if c is None else
                                      c[rows, :size])
    return res


def _quads(x, b, c):
    """Outputs ``x @ b`` (``x``: (R, K), ``b``: (K, h)) as one non-fused chain per output from
    ``c`` (or +0) that takes the products of k = 0-3, 8-11, 16-19, ... one by one but those
    of k = 4-7, 12-15, ... four at a time, summed in order first (the last K % 8: one by
    one)."""
    r, k = x.shape
    h = b.shape[1]
    p = np.empty((k, r, h), _F32)
    np.multiply(x.T[:, :, None], b[:, None, :], out=p)
    full = k // 8
    steps = [np.zeros((1, r, h), _F32) if c is None else np.asarray(c, _F32)[None]]
    if full:
        g = p[:8 * full].reshape(full, 2, 4, r, h)
        quad = g[:, 1, 0] + g[:, 1, 1]
        quad += g[:, 1, 2]
        quad += g[:, 1, 3]
        steps.append(np.concatenate([g[:, 0], quad[:, None]], axis=1).reshape(5 * full, r, h))
    steps.append(p[8 * full:])
    steps = np.concatenate(steps, axis=0)
    res = _rowsum(steps)
    if c is None:
        return res + _F32(0)
    _negative_zeros(steps, res)
    return res


def _halve(acc):
    """Lane sums (lanes first, a power of two of them) reduced pairwise: lane i + lane i +
    lanes/2, and again; in place in ``acc``, whose first lane is returned."""
    h = acc.shape[0]
    while h > 1:
        h //= 2
        np.add(acc[:h], acc[h:2 * h], out=acc[:h])
    return acc[0]


def _lanes_reference(a, b, row0=0) -> np.ndarray:
    """:func:`_lanes` as first written (a product array, then a reduce; kept as the reference
    the faster :func:`_lanes` is tested against).

    Transposed-``b`` tail rows in the lane orders: 4 non-fused partial sums over k mod 4 (8
    over k mod 8 for the last N % 4 columns), each from +0, then halved pairwise.

    MKL reads ``a``'s rows from 16-byte boundaries: a row starting ``o`` floats past one
    first sums its ``h = (4 - o) % 4`` leading products in order into lane 0, the lanes take
    the next ``lanes * ((K - h) // lanes)``, and what is left is added onto the reduced sum
    one by one (measured for K 9..102, M 7..64, N 5..10; with K % 4 == 0 every row starts on
    a boundary).  ``row0``: ``a``'s first row in PyTorch's operand (for a layout PyTorch
    copies to a fresh buffer)."""
    t, k = a.shape
    n = b.shape[1]
    full = n - n % 4
    at = _columns(a)  # (K, t)
    out = np.empty((t, n), _F32)
    heads = np.minimum((4 - _row_offsets(a, row0)) % 4, k)
    for h in np.unique(heads):
        idx = None if len(heads) == 0 or (heads == h).all() else np.flatnonzero(heads == h)
        sub = at if idx is None else at[:, idx]
        res = out if idx is None else np.empty((len(idx), n), _F32)
        head = None
        if h:  # (the leading products, in order from +0: lane 0's start)
            head = np.zeros((sub.shape[1], n), _F32)
            for j in range(h):
                head += sub[j][:, None] * b[j][None, :]
        body, bb = sub[h:], b[h:]
        for j, e in _column_chunks(full, k * sub.shape[1]):
            _lane_sums(body, bb[:, j:e], 4, res[:, j:e], None if head is None else head[:, j:e])
        if full < n:
            _lane_sums(body, bb[:, full:], 8, res[:, full:],
                       None if head is None else head[:, full:])
        if idx is not None:
            out[idx] = res
    return out


def _row_offsets(a, row0=0):
    """Where each row of ``a`` starts, in floats past a 16-byte boundary (a layout PyTorch
    copies to a fresh, aligned buffer: as the rows of that copy)."""
    t, k = a.shape
    lay = _layout(a)
    if lay is None or not lay[0]:
        return ((row0 + np.arange(t)) * k) % 4
    return ((a.ctypes.data // _ITEM) + np.arange(t) * lay[1]) % 4


def _outer(x, y, out, rows_inner):
    """Into ``out``: for every k the float32 products of row k of ``x`` (K, t) and of ``y``
    (K, n), laid out (K, n, t) if ``rows_inner``, else (K, t, n); a zero product may come out
    +0 whatever its sign.  (``np.einsum`` runs these broadcast products ~1.4x faster than
    ``np.multiply``: checked by :func:`_einsum_ok`.)"""
    if _einsum_ok():
        np.einsum("kt,kn->knt" if rows_inner else "kt,kn->ktn", x, y, out=out)
    elif rows_inner:
        np.multiply(x[:, None, :], y[:, :, None], out=out)
    else:
        np.multiply(x[:, :, None], y[:, None, :], out=out)


@functools.lru_cache(maxsize=None)
def _einsum_ok() -> bool:
    """Whether ``np.einsum``'s products without a sum are NumPy's rounded float32 products
    (up to the sign of zeros), on operands with infinities, NaNs and subnormals."""
    rng = np.random.default_rng(7)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-45, 3e38, -3e38], _F32)
    x = rng.choice(special, (24, 19)).astype(_F32)
    y = rng.choice(special, (24, 6)).astype(_F32)
    x[::3] = rng.standard_normal((8, 19))
    y[1::3] = rng.standard_normal((8, 6)) * 1e-20
    ok = True
    with np.errstate(all="ignore"):
        for spec, want in (("kt,kn->knt", x[:, None, :] * y[:, :, None]),
                           ("kt,kn->ktn", x[:, :, None] * y[:, None, :])):
            got = np.einsum(spec, x, y)
            same = (got.view(np.uint32) == want.view(np.uint32)) | (got == 0) & (want == 0)
            ok = ok and got.dtype == _F32 and bool(same.all())
    return ok


def _lane_sums(at, b, lanes, out, head=None):
    """:func:`_lanes` for ``at`` (K, t: ``a`` transposed) times ``b`` (K, columns) in
    ``lanes`` lanes, into ``out`` (t, columns); ``head`` (t, columns): lane 0's start (else
    +0)."""
    k, t = at.shape
    n = b.shape[1]
    g = k // lanes
    if k % lanes:
        # (the lanes take the first lanes * (K // lanes) products, and the last ones are added
        # onto the reduced sum one by one; measured for M 2..256, K 4..804)
        _lane_sums(at[:g * lanes], b[:g * lanes], lanes, out, head)
        with np.errstate(all="ignore"):
            for j in range(g * lanes, k):
                out += at[j][:, None] * b[j][None, :]
        return
    # every float32 product laid out (g, lanes, columns, t), or (g, lanes, t, columns) when
    # the columns are the longer side, so that the innermost loop is long; NumPy reduces them
    # over the first axis row after row, a rounded add per step (checked by _selfcheck); a
    # zero product's sign changes no lane sum but the sign of a zero one (see below)
    rows_inner = t >= n
    first = 0 if head is None else 1  # (a leading row: lane 0's start, +0 in the others)
    shape = (g + first, lanes, n, t) if rows_inner else (g + first, lanes, t, n)
    prod = np.empty(shape, _F32)  # (C-ordered)
    _outer(at, b, prod[first:].reshape((k,) + prod.shape[2:]), rows_inner)
    if first:
        prod[0] = 0
        prod[0, 0] = head.T if rows_inner else head
    # (MKL's lanes start at +0; a lane of -0 changes no sum but the sign of a zero one, so
    # the +0 goes once onto the reduced sum)
    sums = _halve(np.add.reduce(prod, axis=0))
    np.add(sums.T if rows_inner else sums, _F32(0), out=out)


def _lanes(a, b, row0=0) -> np.ndarray:
    """Transposed-``b`` tail rows in the lane orders, as :func:`_lanes_reference` sums them (the
    same bits), in one ``einsum`` pass per lane order: it multiplies and adds slot after slot
    into the lane sums (:func:`_lane_pass`), where the reference wrote every product to memory
    and read it back in a reduce (~1.8x the time for the (64, 512) @ (512, 10) output layer,
    ~2x from 256 rows)."""
    if not _lane_einsum_ok():
        return _lanes_reference(a, b, row0)
    out = _lanes_einsum(a, b, row0)
    least = np.minimum.reduce(out, axis=None)  # (NaN where any output is)
    if least != least:
        # (a NaN's payload and sign are those of the first NaN operand of the add or
        # multiply that meets two, and einsum adds the product to the sum where the
        # reference adds the sum to the product: those come from the reference)
        return _lanes_reference(a, b, row0)
    return out


def _lanes_einsum(a, b, row0=0) -> np.ndarray:
    """:func:`_lanes`' einsum form, unchecked."""
    t, n = a.shape[0], b.shape[1]
    heads = _lane_heads(a, row0)
    if type(heads) is int:  # (every row alike: the usual case, K % 4 == 0 or one row)
        out = np.empty((t, n), _F32)
        _lane_rows(a, b, heads, out)
        return out
    out = np.empty((t, n), _F32)
    for h in range(4):
        idx = np.flatnonzero(heads == h)
        if len(idx):
            res = np.empty((len(idx), n), _F32)
            _lane_rows(a[idx], b, h, res)
            out[idx] = res
    return out


def _lane_heads(a, row0=0):
    """The leading products each row of ``a`` sums into lane 0 before the lanes start (see
    :func:`_lanes_reference`): an int when every row has the same, else an array by row."""
    t, k = a.shape
    lay = _layout(a)
    if lay is None or not lay[0]:  # (PyTorch copies these to a fresh, aligned buffer)
        start, step = row0 * k, k
    else:
        start, step = a.ctypes.data // _ITEM, lay[1]
    if t == 1 or step % 4 == 0:
        return min((4 - start % 4) % 4, k)
    return np.minimum((4 - (start + np.arange(t) * step) % 4) % 4, k)


_LANE_ROWS = 1024  # rows summed at once (longer inner loops; 1024 ran faster than 256 here)


def _lane_rows(a, b, h, out) -> None:
    """:func:`_lanes` for rows that all sum ``h`` leading products into lane 0, into ``out``
    (t, N): columns ``4 * (N // 4)`` in 4 lanes, the rest in 8."""
    t, k = a.shape
    n = b.shape[1]
    full = n - n % 4
    parts = [(lanes, j0, j1) for lanes, j0, j1 in ((4, 0, full), (8, full, n)) if j1 > j0]
    if t < n:  # (few rows: the columns make the inner loop, a read in place)
        for lanes, j0, j1 in parts:
            _lane_pass(a, None, b[:, j0:j1], h, lanes, out[:, j0:j1])
        return
    pre = parts[-1][0] * h  # (rows for the head slots)
    for r0 in range(0, t, _LANE_ROWS):
        r1 = min(t, r0 + _LANE_ROWS)
        rows = a[r0:r1]
        # rows' columns h.. as rows (k - h, rows), the head slots' rows before them
        buf = _scratch((pre + k - h) * (r1 - r0)).reshape(pre + k - h, r1 - r0)
        _columns_into(rows[:, h:], buf[pre:])
        # every column's lane sums, (lanes, N, rows): 4 lanes, or 8 where any column has 8
        acc = np.empty((parts[-1][0], n, r1 - r0), _F32)
        for lanes, j0, j1 in parts:
            _lane_pass(rows, buf[pre - lanes * h:], b[:, j0:j1], h, lanes, acc[:lanes, j0:j1])
        # halved pairwise, the 8-lane columns first to 4, then all columns as one: lane l +
        # lane l + 4, then l + (l + 2), then 0 + 1 (see _halve).  (The lanes start at +0, so
        # none is -0, nor any sum of them: the +0 of _lane_sums would change nothing.)
        if full < n:
            np.add(acc[:4, full:], acc[4:, full:], out=acc[:4, full:])
        np.add(acc[:2], acc[2:4], out=acc[:2])
        np.add(acc[0].T, acc[1].T, out=out[r0:r1])
        for lanes, j0, j1 in parts:
            _lane_rest(rows, b[:, j0:j1], h + lanes * ((k - h) // lanes), out[r0:r1, j0:j1])


def _lane_rest(a, b, end, out) -> None:
    """The products past the lanes' (k = ``end`` ..) added onto ``out`` one by one (laid out
    after it and reduced row after row: one reduce for up to 7 adds)."""
    k = a.shape[1]
    if end >= k:
        return
    with np.errstate(all="ignore"):
        if end + 1 == k:
            out += a[:, end][:, None] * b[end][None, :]
            return
        steps = np.empty((1 + k - end,) + out.shape, _F32)
        steps[0] = out
        np.multiply(a[:, end:].T[:, :, None], b[end:][:, None, :], out=steps[1:])
        _rowsum(steps, out)


_SCRATCH_KEEP = 1 << 20  # floats of scratch memory kept per thread at most (4 MiB)


def _scratch(size) -> np.ndarray:
    """A float32 buffer of ``size`` elements (contents undefined), reused per thread between
    calls where it is small enough (a fresh large one is mapped and faulted in on every call:
    ~10 us for the 128 KiB of a (64, 512) operand)."""
    buf = getattr(_buffers, "scratch", None)
    if buf is None or buf.size < size:
        if size > _SCRATCH_KEEP:
            return np.empty(size, _F32)
        buf = _buffers.scratch = np.empty(max(size, 1 << 15), _F32)
    return buf[:size]


def _columns_into(a, out) -> None:
    """``out`` (C-ordered (K, t)) = ``a.T`` for ``a`` (t, K)."""
    r, c = a.shape
    lay = _layout(a) if r * c >= _TRANSPOSE_MIN and _transpose_ok() else None
    if lay is not None and lay[0] and out.strides == (_ITEM * r, _ITEM):
        _blas.transpose(r, c, a.ctypes.data, lay[1], out.ctypes.data)
        _after_blas()
    else:
        np.copyto(out, _columns(a) if r * c >= _TRANSPOSE_MIN else a.T)


def _lane_pass(a, at, b, h, lanes, out) -> None:
    """One lane order for ``a`` (t, K) times ``b`` (K, columns): slot ``s < h`` puts product
    ``s`` into lane 0 (+0 into the others), slot ``h + j`` products ``h + lanes * j ..`` one
    per lane; ``einsum`` sums the slots in order into lane sums from +0 (:func:`_lane_einsum_ok`
    checks that here).  ``at``: ``lanes * h`` free rows and then ``a[:, h:].T`` ((K - h, t),
    C-ordered): the lane sums go to ``out`` (lanes, columns, t) as they are; else None: ``a``
    is read in place (the columns inner: for fewer rows than columns) and ``out`` (t, columns)
    takes the lane sums halved pairwise, plus +0 and the products past the lanes'."""
    t, k = a.shape
    cols = b.shape[1]
    g = (k - h) // lanes
    slots = h + g
    end = h + lanes * g  # (the products the lanes take)
    if at is not None:  # (rows inner: lane sums (lanes, columns, t))
        x = at[:lanes * slots].reshape(slots, lanes, t)
        if h:
            x[:h] = 0
            x[:h, 0] = a[:, :h].T
        if h or b.strides[0] != _ITEM or b.strides[1] < _ITEM * k:
            # (columns outermost, as nn.Linear's W.t() lies: einsum runs fastest so)
            yc = np.empty((cols, slots, lanes), _F32)
            if h:
                yc[:, :h] = 0
                yc[:, :h, 0] = b[:h].T
            yc[:, h:] = b[h:end].T.reshape(cols, g, lanes)
            y = yc.transpose(1, 2, 0)
        else:  # (b by columns: read in place)
            y = b[:end].reshape(g, lanes, cols)
        _c_einsum("jlt,jln->lnt", x, y, out=out)
        return
    # (columns inner: lane sums (lanes, t, columns))
    if h or a.strides[1] != _ITEM:
        xr = np.zeros((t, slots, lanes), _F32)
        xr[:, :h, 0] = a[:, :h]
        xr[:, h:] = a[:, h:end].reshape(t, g, lanes)
    else:
        xr = a[:, :end].reshape(t, g, lanes)
    y = np.zeros((slots, lanes, cols), _F32)
    y[:h, 0] = b[:h]
    y[h:] = b[h:end].reshape(g, lanes, cols)
    acc = np.empty((lanes, t, cols), _F32)
    _c_einsum("jlt,jln->ltn", xr.transpose(1, 2, 0), y, out=acc)
    _halve_into(acc, out)
    out += _F32(0)  # (MKL's lanes start at +0: see _lane_sums)
    _lane_rest(a, b, end, out)


def _halve_into(acc, out) -> None:
    """:func:`_halve`, its last sum written to ``out``."""
    h = acc.shape[0]
    while h > 2:
        h //= 2
        np.add(acc[:h], acc[h:2 * h], out=acc[:h])
    np.add(acc[0], acc[1], out=out)


@functools.lru_cache(maxsize=None)
def _lane_einsum_ok() -> bool:
    """Whether :func:`_lanes` gives :func:`_lanes_reference`'s bits here: ``einsum``'s sums
    over the slots in order from +0 with each product rounded first (no fused multiply-add),
    checked on both layouts of :func:`_lane_pass`, every head, and operands with infinities,
    NaNs, signed zeros and subnormals."""
    rng = np.random.default_rng(23)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-45, 3e38], _F32)
    with np.errstate(all="ignore"):
        for t, k, n in ((64, 61, 10), (3, 45, 7), (37, 130, 6), (1, 18, 3), (2, 9, 11),
                        (300, 23, 5), (5, 4, 2)):
            a = (rng.standard_normal((t, k + 1)) * np.exp2(rng.integers(-40, 40, (t, k + 1))))
            a = a.astype(_F32)
            w = (rng.standard_normal((n, k)) * np.exp2(rng.integers(-40, 40, (n, k))))
            w = w.astype(_F32)
            a[0, :8] = special[:min(8, k + 1)]
            w[-1, 1:9] = special[:min(8, k - 1)]
            a[-1, 1::2] = -0.0
            w[0, ::2] = -0.0
            if t > 2 and n > 2:  # (an output of -0 products alone: +0, as the lanes start)
                a[1] = -0.0
                w[1] = np.abs(w[1]) + 1
            for row0 in (0, 1):
                for x in (a[:, :k], a[:, 1:]):
                    if not _same_bits(_lanes_einsum(x, w.T, row0),
                                      _lanes_reference(x, w.T, row0)):
                        return False
    return True


def _dot(a, w, off=0, copied=False, lead=None) -> np.ndarray:
    """N = 1 (``a`` by rows, (M, 1) out): per row a dot product in non-fused lanes, each lane
    from +0 with a rounded add per step.

    Rows in groups of 4 (the first ``4 * (M // 4)``): the first ``h = (K - 1) % 4 + 1``
    products are summed in order into lane 0, then lane l takes k = h + l, h + l + 4, ...
    ascending, and the lanes are reduced ``(l0 + l2) + (l1 + l3)``.  With ``off`` (see
    :func:`_offset`: from ``a``'s address and row stride), that order covers the first
    ``K - off`` products only, and the last ``off`` are added to its sum one by one.
    The ``M % 4`` rows left (see :func:`_dot_tail`) take other orders, at any address of
    theirs (but not of ``w``'s: :func:`_tail_head`, ``copied`` where PyTorch copies it;
    ``lead``: the vector whose address sets that order in place of ``w``)."""
    m, k = a.shape
    t0 = 4 * (m // 4)
    peel = _tail_head(w if lead is None else lead, copied)  # (the M % 4 rows' first products)
    if off and t0 and k > off:
        out = _dot(a[:, :k - off], w[:k - off])
        with np.errstate(all="ignore"):
            for j in range(k - off, k):
                out[:t0, 0] += a[:t0, j] * w[j]
        for i in range(t0, m):
            out[i, 0] = _dot_tail(a[i], w, 8 if (i - t0) % 2 == 0 else 4, peel)
        return out
    out = np.empty((m, 1), _F32)
    if t0 and _groups_ok():
        _groups(a[:t0], w, out[:t0, 0])
        t0 = 0  # (done: none left for the loop below)
    h = (k - 1) % 4 + 1
    q = (k - h) // 4
    w = np.ascontiguousarray(w)
    wl = w[h:].reshape(q, 4, 1)
    for r, e in _column_chunks(t0, k + 4):
        # the products laid out (1 + q, 4, rows): NumPy reduces them over the first axis row
        # after row, a rounded add per step (checked by _selfcheck).  (From a transposed copy
        # of the rows: multiplying straight out of a[r:e] transposed runs ~2-3x slower, its
        # reads a row apart.)
        at = _columns(a[r:e])  # (K, rows)
        prod = np.empty((1 + q, 4, e - r), _F32)
        prod[0, 1:] = 0
        head = np.empty((h, e - r), _F32)
        np.multiply(at[:h], w[:h, None], out=head)
        prod[0, 0] = _rowsum(head)
        np.multiply(at[h:].reshape(q, 4, e - r), wl, out=prod[1:])
        acc = np.add.reduce(prod, axis=0)
        acc += _F32(0)  # (MKL's lanes start at +0)
        out[r:e, 0] = _halve(acc)
    t0 = 4 * (m // 4)
    for i in range(t0, m):
        out[i, 0] = _dot_tail(a[i], w, 8 if (i - t0) % 2 == 0 else 4, peel)
    return out


def _tail_head(w, copied=False):
    """The products :func:`_dot_tail` sums into lane 0 first: 4 with ``w`` from a 16-byte
    boundary, else the ``4 - o`` that bring ``w``, ``o`` floats past one, to the next
    (measured: M 2..13, K 5..300, o 0..3); 4 where PyTorch copies ``w``'s operand first
    (``copied``: see :func:`_copied`); None for ``w`` read in place with a stride other
    than 1 (then the strided sgemv's order, ``_mkl_gemv._strided_tail``)."""
    if copied or w.dtype != _F32:  # (float64 rows, _mkl_gemv's: 4, as measured there)
        return 4
    if w.strides[0] != _ITEM and w.shape[0] > 1:
        return None
    return 4 - (w.ctypes.data // _ITEM) % 4


_PAD = 8  # floats after each row of a transposed copy (rows 2 KiB apart alias in the cache:
# transposing a (512, 784) weight took ~100 us into rows 512 floats apart, ~57 us padded)
_buffers = threading.local()  # per thread: {(K, rows): _group_buffers' arrays}
_BUFFERS = 4  # buffer sets kept per thread (the last used ones)
_KEEP = 1 << 21  # floats of a transposed copy kept at most (8 MiB; larger ones: fresh each call)


def _group_buffers(k, rows):
    """:func:`_groups`' buffers for K and ``rows`` rows at a time, kept per thread between
    calls: the transposed copy (slots, 4, rows + _PAD), the multipliers (slots, 4) and the
    lane sums (4, rows); the head slots' lanes 1..3 stay +0 in both of the first (nobody
    writes them)."""
    cache = getattr(_buffers, "d", None)
    if cache is None:
        cache = _buffers.d = {}
    key = (k, rows)
    bufs = cache.pop(key, None)
    if bufs is None:
        slots = (k - 1) % 4 + 1 + (k - 1) // 4
        bufs = (np.zeros((slots, 4, rows + _PAD), _F32), np.zeros((slots, 4), _F32),
                np.empty((4, rows), _F32))
        if bufs[0].size > _KEEP:
            return bufs
        while len(cache) >= _BUFFERS:
            del cache[next(iter(cache))]
    cache[key] = bufs  # (last used last)
    return bufs


def _groups(a, w, out) -> None:
    """:func:`_dot`'s rows in groups of 4 (``a``: (4 * G, K), its ``off`` 0) into ``out`` (1-D).

    Every product goes through one ``einsum`` (:func:`_einsum_sum`) over a transposed copy of
    ``a`` laid out (slot, lane, row): the first ``h`` slots hold the head products in lane 0
    (+0 in the other lanes), slot ``h + j`` products ``h + 4j .. h + 4j + 3``.  ``einsum``
    sums over the slots in order, each output from +0 (MKL's lanes: from +0), multiplying as
    it goes, without fusing (both checked by :func:`_groups_ok`): the lanes of MKL's order in
    one pass over the copy, where a product, a reduce and a copy took three."""
    m, k = a.shape
    if a.strides[1] != _ITEM or a.strides[0] < _ITEM * k or a.strides[0] % _ITEM or \
            a.ctypes.data % _ITEM:
        a = np.ascontiguousarray(a)
    lda = a.strides[0] // _ITEM
    h = (k - 1) % 4 + 1
    q = (k - h) // 4
    if m <= _FEW_ROWS and m * k <= _FEW_PRODUCTS:
        return _few_groups(a, w, out, h, q)
    rows = min(m, max(4, _CHUNK // (k + 4)))
    buf, vv, acc = _group_buffers(k, rows)
    vv[:h, 0] = w[:h]
    vv[h:] = w[h:].reshape(q, 4)
    base = a.ctypes.data
    body = buf[h:].ctypes.data
    for s in range(0, m, rows):
        n = min(m, s + rows) - s
        t = buf[:, :, :n]
        if q:
            _blas.transpose(n, 4 * q, base + _ITEM * (s * lda + h), lda, body, rows + _PAD)
            _after_blas()
        np.copyto(t[:h, 0], a[s:s + n, :h].T)
        lanes = acc[:, :n]
        _einsum_sum(t, vv, lanes)
        np.add(lanes[0], lanes[2], out=lanes[0])
        np.add(lanes[1], lanes[3], out=lanes[1])
        np.add(lanes[0], lanes[1], out=out[s:s + n])


_FEW_ROWS = 32  # rows up to which _few_groups runs faster (BLAS's copy: ~4 us a call)
_FEW_PRODUCTS = 1 << 17


def _few_groups(a, w, out, h, q) -> None:
    """:func:`_groups` for a few rows: the copy laid out (slot, row, lane), four floats at a
    time (NumPy's copy of 16-byte items), the multipliers spread over the rows alike, and one
    ``einsum`` over both (:func:`_einsum_lanes`: slot after slot from +0, as _groups')."""
    m = a.shape[0]
    t = np.empty((h + q, m, 4), _F32)
    vt = np.empty((h + q, m, 4), _F32)
    t[:h] = 0
    vt[:h] = 0
    t[:h, :, 0] = a[:, :h].T
    vt[:h, :, 0] = w[:h, None]
    if q:
        np.copyto(t[h:].view(np.complex128)[..., 0], a[:, h:].view(np.complex128).T)
        quads = np.ascontiguousarray(w[h:]).view(np.complex128)
        np.copyto(vt[h:].view(np.complex128)[..., 0], quads[:, None])
    acc = np.empty((m, 4), _F32)
    _einsum_lanes(t.reshape(h + q, 4 * m), vt.reshape(h + q, 4 * m), acc.reshape(-1))
    np.add(acc[:, 0], acc[:, 2], out=out)
    out += acc[:, 1] + acc[:, 3]


def _einsum_sum(t, vv, out) -> None:
    """``out[l, m] = sum over j of t[j, l, m] * vv[j, l]``, j ascending, from +0."""
    _c_einsum("jlm,jl->lm", t, vv, out=out)


def _einsum_lanes(x, y, out) -> None:
    """``out[l] = sum over j of x[j, l] * y[j, l]`` (both (J, L), rows contiguous), j
    ascending, from +0."""
    _c_einsum("jl,jl->l", x, y, out=out)


try:  # (NumPy's einsum without its Python wrapper: ~3 us less per call)
    from numpy._core.multiarray import c_einsum as _c_einsum
except ImportError:  # pragma: no cover - NumPy 1.x
    try:
        from numpy.core.multiarray import c_einsum as _c_einsum
    except ImportError:
        _c_einsum = np.einsum


@functools.lru_cache(maxsize=None)
def _groups_ok() -> bool:
    """Whether the one-pass ``einsum`` kernels can run here (:func:`_groups`, the by-columns
    chains of :func:`_chain`, :func:`ember._ops._mkl_gemv._kernel16`): BLAS's transposing copy
    (bit for bit), and ``einsum`` summing ``t[j] * v[j]`` over j in order from +0, each
    product rounded before its add (no fused multiply-add), through infinities, NaNs, signed
    zeros and subnormals, for both forms used (:func:`_einsum_sum`, :func:`_einsum_lanes`).
    (NumPy's einsum loops are built for its baseline SIMD, without FMA; were that to change,
    this says False and the product-and-reduce paths run.)"""
    if not _transpose_ok():
        return False
    rng = np.random.default_rng(11)
    for j, lanes, m in ((41, 4, 37), (300, 4, 4), (77, 1, 4), (50, 1, 29)):
        t = (rng.standard_normal((j, lanes, m)) * np.exp2(rng.integers(-30, 30, (j, lanes, m)))
             ).astype(_F32)
        vv = (rng.standard_normal((j, lanes)) * np.exp2(rng.integers(-30, 30, (j, lanes)))
              ).astype(_F32)
        t[3, 0, :4] = [np.inf, -np.inf, np.nan, 1e-45]
        t[:, lanes - 1, 2] = -0.0  # (a lane of -0 products: +0 from the +0 start)
        vv[5, lanes - 1] = 0.0
        with np.errstate(all="ignore"):
            prod = np.concatenate([np.zeros((1, lanes, m), _F32), t * vv[:, :, None]])
            want = np.add.reduce(prod, axis=0)  # (row after row: checked by _selfcheck)
            got = np.empty((lanes, m), _F32)
            _einsum_sum(t, vv, got)
        if not _same_bits(got, want):
            return False
    for j in (1, 2, 300):  # (the 16 lanes of _mkl_gemv's dot products)
        x = (rng.standard_normal((j, 16)) * np.exp2(rng.integers(-30, 30, (j, 16)))).astype(_F32)
        y = (rng.standard_normal((j, 16)) * np.exp2(rng.integers(-30, 30, (j, 16)))).astype(_F32)
        x[0, :4] = [np.inf, np.nan, -0.0, 1e-45]
        y[:, 5] = -0.0
        with np.errstate(all="ignore"):
            want = np.add.reduce(np.concatenate([np.zeros((1, 16), _F32), x * y]), axis=0)
            got = np.empty(16, _F32)
            _einsum_lanes(x, y, got)
        if not _same_bits(got, want):
            return False
    return True


def _same_bits(got, want) -> bool:
    """Bit for bit, any NaN matching any NaN."""
    same = got.view(np.uint32) == want.view(np.uint32)
    return bool((same | np.isnan(got) & np.isnan(want)).all())


def _dot_tail(x, w, lanes, head=4):
    """One of the ``M % 4`` rows left after the groups of 4 (N = 1): the first
    ``h = min(head, K)`` products in order into lane 0 (``head``: :func:`_tail_head`; None:
    ``w`` strided, the strided sgemv's order); then the next ``8 * ((K - h) // 8)`` in
    ``lanes`` lanes (8 for the 1st and 3rd of these rows, 4 for the 2nd), halved pairwise
    (8: ``((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))``); the rest added to that sum in
    order.  Every lane from +0."""
    if head is None:
        from ._mkl_gemv import _strided_tail
        return _strided_tail(x, w)
    k = x.shape[0]
    h = min(head, k)
    body = 8 * ((k - h) // 8)
    p = np.multiply(x, w, dtype=_F32)
    acc = _F32(0)
    for v in p[:h]:  # (float32 scalars: a rounded float32 add each)
        acc = acc + v
    if body:
        prod = np.empty((1 + body // lanes, lanes), _F32)
        prod[0] = 0
        prod[0, 0] = acc
        prod[1:] = p[h:h + body].reshape(-1, lanes)
        sums = np.add.reduce(prod, axis=0)  # (row after row: checked by _selfcheck)
        if lanes == 8:
            sums = sums[:4] + sums[4:]
        acc = (sums[0] + sums[2]) + (sums[1] + sums[3])
    for v in p[h + body:]:
        acc = acc + v
    return acc + _F32(0)


def _run(a, b, bias, alpha, beta, threads, row0=0):
    """``beta * bias + alpha * (a @ b)`` (``bias`` None: the product alone) in MKL's order,
    or None where :func:`plan` does not cover it.  ``row0``: the rows of PyTorch's output
    before this product's (a matrix of a ``bmm`` after the first: its rows' addresses move
    the head outputs of :func:`_heads`)."""
    if not _plain(a, b) or a.ndim != 2 or b.ndim != 2 or \
            bias is not None and type(bias) is not np.ndarray:
        return None
    m, k = a.shape
    n = b.shape[1]
    if bias is not None and beta == 0:
        bias = None
    la, lb = _a_layout(a), _layout(b)  # (inspected once, for plan and the kernels)
    off = 0  # (_aligned_for and _offset of the rows an N = 1 order runs on, read at once)
    if n == 1:
        aligned, addr, off = _row_rule(a)
        # (a single row times a column by columns: MKL's dot product of the two, at any
        # address of a's row, which sets its head: _tail_head; measured for K 5..300)
        aligned = aligned and (m > 1 or addr % 16 == 0 or lb is not None and not lb[0])
    elif m == 1 and lb is not None and not lb[0]:
        aligned, addr, off = _row_rule(b.T)
    else:
        aligned = True
    p = plan(m, k, n, lb is not None and not lb[0], _threads(threads), alpha,
             la is not None and not la[0], aligned)
    if p is None:
        return None
    rows, tail = p
    if tail == "intel-rows16":
        if beta != 1:
            return None
        b_t = b.T
        if b_t.strides[1] != _ITEM:
            b_t = np.ascontiguousarray(b_t)
        res = _intel_rows16(a, b_t)
        if alpha != 1:
            return _intel_fma_alpha(res, bias, alpha)
        with np.errstate(all="ignore"):  # (C starts at the bias or +0: see _intel_gemv_run)
            return np.add(res, _F32(0) if bias is None else bias, dtype=_F32)
    if tail == "intel-gemv" or tail == "intel-gemv-split":
        if alpha != 1:
            res = _intel_gemv_run(a, b, None, beta, tail == "intel-gemv-split")
            return None if res is None else _intel_fma_alpha(res, bias, alpha)
        return _intel_gemv_run(a, b, bias, beta, tail == "intel-gemv-split")
    if tail == "intel-rowv" or tail == "intel-rowv-split":
        return _intel_rowv_run(a, b, bias, beta, tail == "intel-rowv-split")
    if tail in ("intel", "intel-split", "intel-tail"):
        if k > _INTEL_SMALL_K and tail != "intel" and _threads(threads) == 2:
            tail = _intel_thin(m, k, n, la, lb, tail)
        if alpha != 1:
            return _intel_scaled(a, b, bias, alpha, beta, la, lb)
        return _intel(a, b, bias, beta, la, lb, tail)
    if not rows and (tail == "dot" or tail == "gemv" or tail == "lanes") and \
            (bias is None or bias.dtype == _F32 and bias.ndim <= 2):
        # (one or a few dot products, or lane rows only: no C to fill first, the bias goes on
        # at the end as below; ~3 us less per call, most of a batch-1 nn.Linear's overhead)
        with np.errstate(all="ignore"):
            if tail == "dot":
                if m == 1 and lb is not None and not lb[0]:
                    res = _dot(a, b[:, 0], off, _copied(a, la, 0), a[0])
                else:
                    res = _dot(a, b[:, 0], off, _copied(b, lb, 1))
            elif tail == "lanes":
                res = _lanes(a, b, row0)
            else:  # (W @ a[0] for b = W.t(): N outputs as a column)
                res = _dot(b.T, a[0], off, _copied(a, la, 0)).reshape(1, n)
            if alpha != 1:
                res *= _F32(alpha)
            if bias is not None:
                res += bias if beta == 1 else np.multiply(bias, _F32(beta), dtype=_F32)
        return res
    c = None
    if bias is not None:
        c = np.empty((m, n), _F32)
        c[...] = bias
        if beta != 1:
            with np.errstate(all="ignore"):
                c *= _F32(beta)
    if rows:  # (BLAS raises none of NumPy's floating-point warnings)
        bs, lbs = b, lb
        if alpha != 1:
            with np.errstate(all="ignore"):
                bs = np.multiply(b, _F32(alpha), dtype=_F32)
            lbs = None
        if c is None:
            c = np.empty((m, n), _F32)
            _blocked(a[:rows], bs, c[:rows], False, la, lbs)
        else:
            _blocked(a[:rows], bs, c[:rows], True, la, lbs)
        if tail is None:
            return c
    with np.errstate(all="ignore"):
        ta = a[rows:]
        ct = None if bias is None else c[rows:]
        if tail == "chain0":  # (measured with beta 1 only)
            if ct is not None and beta != 1:
                return None
            res = _chain(ta, b, None)
            if ct is not None:
                res += ct
        elif tail == "chain":
            if alpha != 1 and n == 1:
                b = np.multiply(b, _F32(alpha), dtype=_F32)
            elif alpha != 1:
                ta = np.multiply(ta, _F32(alpha), dtype=_F32)
            res = _chain(ta, b, ct)
            if n > 1:
                res = _heads(ta, ct, n, row0 + rows, res, b)
        else:
            if tail == "dot":
                res = _dot(ta, b[:, 0], _offset(ta), _copied(b, lb, 1))
            elif tail == "gemv":  # (W @ a[0] for b = W.t(): N outputs as a column)
                res = _dot(b.T, ta[0], _offset(b.T), _copied(a, la, 0)).reshape(1, n)
            else:
                res = _lanes(ta, b, row0 + rows)
            if alpha != 1:
                res *= _F32(alpha)
            if ct is not None:
                res += ct
    if c is None:
        return res
    c[rows:] = res
    return c


_INTEL_BLOCK = 384  # K block of the Intel order
_INTEL_SMALL_K = 768  # K up to which its two orders (split or not) agree


def _intel_plan(m, k, n, threads, alpha, transposed=False, a_transposed=False):
    """:func:`plan` on the Intel processor: ``(0, "intel")`` (the K blocks in sequence),
    ``(0, "intel-split")`` (K split between the 2 threads), ``(0, "intel-gemv")`` (see
    :func:`_intel_small_plan`), or None outside the region measured there (see "Intel" in the
    module's docstring)."""
    if m < 16 or n == 1:
        if alpha != 1 and threads == 1:  # (α: the K blocks' order only, :func:`_intel_scaled`)
            p = _intel_small_plan(m, k, n, threads, 1.0, transposed, a_transposed)
            return p if p is not None and (p[1] == "intel" and k >= 2 or
                                           p[1] in ("intel-rows16", "intel-gemv")) else None
        return _intel_small_plan(m, k, n, threads, alpha, transposed, a_transposed)
    if alpha != 1 and (k > _INTEL_SMALL_K or k == 1 or threads != 1) or m < 16 or n < 2 or \
            m > 4096 or n > 4096:
        return None  # (α on 2 threads: MKL picks its paths otherwise, not mapped)
    if k <= _INTEL_SMALL_K:
        return 0, "intel"  # (α: :func:`_intel_scaled`)
    if threads != 2:
        if threads != 1 or k > _INTEL_SPLIT_K_MAX:
            return None
        # (1 thread: the K blocks in sequence from N = 192 on, with b by rows from M = 192
        # too; else the last 385..768 of K halved)
        return 0, "intel" if n >= 192 and (transposed or m >= 192) else "intel-tail"
    if m * n * k <= 192000:  # (N < 16 here: too little work for MKL to split K)
        return 0, "intel-tail"
    if k > _INTEL_SPLIT_K_MAX:
        return None
    if n <= 56:
        if m >= 379 and not a_transposed:  # (many rows, few columns: as below, turned over)
            if not transposed and _intel_thin_split(m, n, k, n):
                return 0, "intel-split"
            return 0, "intel-tail"
        return 0, "intel-split"
    if m >= 57:  # (and N >= 57; every layout of both operands alike)
        return 0, "intel-split" if _intel_splits(m, k, n) else "intel"
    if 379 <= n <= 755:  # (M 16..56 from here on)
        # (nn.Linear's x @ W.t() at batch 16..56: not split, the last 385..768 of K halved;
        # the other layouts too, but for leading dimensions of 256 j floats)
        if not (transposed and not a_transposed) and \
                _intel_thin_split(m, n, m if a_transposed else k, k if transposed else n,
                                  a_transposed and transposed):
            return 0, "intel-split"
        return 0, "intel-tail"
    return 0, "intel-split"


_INTEL_SPLIT_K_MAX = 16384  # K up to which the orders past 768 are claimed (measured to 20000)
_INTEL_LD_ODD = 256  # (floats: see _intel_thin_split)


def _intel_thin_split(m, n, lda, ldb, both_columns=False) -> bool:
    """Whether MKL on 2 threads splits K > 768 in the two thin regions where it otherwise
    halves the last K blocks unsplit ("intel-tail": N <= 56 with M >= 379 and both operands
    by rows; M 16..56 with N 379..755, but for ``a`` by rows times a transposed ``b``, which
    stays unsplit): where a leading dimension (``lda``, ``ldb``, and in the second region C's,
    N) is a multiple of 256 floats, from N = 32 on in the first region (N <= 31: unsplit) and
    from M = 17 in the second (M = 16: unsplit but with both operands by columns).  Measured
    with probes of the leading dimensions and on random products (K up to 16384)."""
    if n <= 56:
        return n >= 32 and (lda % _INTEL_LD_ODD == 0 or ldb % _INTEL_LD_ODD == 0)
    return (m > 16 or both_columns) and \
        (lda % _INTEL_LD_ODD == 0 or ldb % _INTEL_LD_ODD == 0 or n % _INTEL_LD_ODD == 0)


def _intel_thin(m, k, n, la, lb, order):
    """The order of :func:`_intel_plan` (``order``, K > 768) for the operands' own leading
    dimensions (``la``, ``lb``: their :func:`_layout`; None: PyTorch's packed copy by rows),
    which the plan, seeing only shapes, takes as packed: see :func:`_intel_thin_split`."""
    a_cols = la is not None and not la[0]
    b_cols = lb is not None and not lb[0]
    if m * n * k <= 192000:
        return order
    if n <= 56:
        if m < 379 or a_cols or b_cols:
            return order
    elif not (m <= 56 and 379 <= n <= 755) or b_cols and not a_cols:
        return order
    lda = la[1] if la is not None else k
    ldb = lb[1] if lb is not None else n
    return "intel-split" if _intel_thin_split(m, n, lda, ldb, a_cols and b_cols) else \
        "intel-tail"


def _intel_splits(m, k, n) -> bool:
    """Whether MKL on 2 threads splits K between them for M, N >= 57 and K > 768 (else it
    sums the K blocks in sequence, "intel"): from ``K = 8 * min(M, N)`` on, and for M and N
    both under 379 from ``3 M + N + 242`` on where that comes first (e.g. M = 128: K >= 1024
    for N >= 379, K >= 882 for N = 256; M = N = 256: K >= 1266; M = 377, N = 383: 3016).
    Found by bisecting K on a grid of M and N, exact to one K (the bounds at 379 to one M
    and N); the same for every layout of both operands and their leading dimensions, with or
    without a bias; checked on random products M, N 57..4096, K up to 20000."""
    return k >= 8 * min(m, n) or n < 379 and m < 379 and k >= 3 * m + n + 242


@functools.lru_cache(maxsize=256)
def _intel_blocks(k: int, halved_tail=False) -> tuple:
    """The Intel order's K blocks, (start, stop) pairs in the order they are summed: one
    block up to 384, two halves (the first one longer) up to 768, else blocks of 384 and
    the remainder last; ``halved_tail``: blocks of 384 until 768 or fewer are left, which
    are then summed as K <= 768 is (one block, or two halves)."""
    if k <= _INTEL_BLOCK:
        return ((0, k),)
    if k <= 2 * _INTEL_BLOCK:
        h = (k + 1) // 2
        return ((0, h), (h, k))
    if halved_tail:
        s = (k - _INTEL_SMALL_K - 1) // _INTEL_BLOCK * _INTEL_BLOCK + _INTEL_BLOCK
        head = tuple((t, t + _INTEL_BLOCK) for t in range(0, s, _INTEL_BLOCK))
        return head + tuple((t + s, e + s) for t, e in _intel_blocks(k - s))
    out = [(s, s + _INTEL_BLOCK) for s in range(0, k - _INTEL_BLOCK + 1, _INTEL_BLOCK)]
    if out[-1][1] < k:
        out.append((out[-1][1], k))
    return tuple(out)


def _intel(a, b, bias, beta, la, lb, order):
    """``bias + a @ b`` (``bias`` None: the product alone) in the Intel order, or None where
    not measured (β other than 1); a bias with K = 1 is one FMA, ``fma(a, b, bias)``.
    ``order``: "intel" (the K blocks of :func:`_intel_blocks` in sequence), "intel-tail"
    (its ``halved_tail`` blocks) or "intel-split" (K halved between the threads, each half's
    blocks summed on its own, the bias in the first; then one rounded add of the halves)."""
    m, k = a.shape
    if beta != 1:
        return None
    if bias is not None and k == 1:  # (one FMA onto the bias: measured, M 3..1000)
        from .._random import _fma32
        return _fma32(np.broadcast_to(a, (m, b.shape[1])), np.broadcast_to(b, (m, b.shape[1])),
                      np.broadcast_to(bias, (m, b.shape[1])))
    c = None
    if bias is not None:
        c = np.empty((m, b.shape[1]), _F32)
        c[...] = bias
    if order != "intel-split" or k <= _INTEL_SMALL_K:  # (K <= 768: the orders agree)
        return _blocked(a, b, c, c is not None, la, lb, _intel_blocks(k, order == "intel-tail"))
    h = (k + 1) // 2
    c = _blocked(a[:, :h], b[:h], c, c is not None, None, None, _intel_blocks(h))
    rest = _blocked(a[:, h:], b[h:], None, False, None, None, _intel_blocks(k - h))
    with np.errstate(all="ignore"):
        c += rest
    return c


def _intel_scaled(a, b, bias, alpha, beta, la, lb):
    """``bias + alpha * (a @ b)`` in the Intel order on one thread for 2 <= K <= 768 (one K
    block, or two halves): each block's FMA chain from 0 (``P``) goes into C with one
    rounded add per block, C starting at the bias (or the first block).  MKL takes one of
    two paths: ``round(alpha * P)`` (neither operand scaled, nor ``alpha`` fused into the
    add), or, for ``b`` transposed with N >= min(max(M + 1, K), 192), ``b`` scaled first
    (``round(alpha * b)``, as MKL packs it) and ``P`` added as it is.  Measured on ~900
    random products (M 16..256, K 2..768, N 2..600, both layouts of ``a``, with and without
    a bias); on 2 threads MKL picks its paths by other rules (not mapped).  None where not
    measured (β other than 1).  The same for 2..15 rows where :func:`_intel_small_plan` gives
    this order (~450 random products)."""
    m, k = a.shape
    n = b.shape[1]
    if beta != 1 or k > _INTEL_SMALL_K or k < 2:
        return None
    al = _F32(alpha)
    packed = lb is not None and not lb[0] and n >= min(max(m + 1, k), 192)
    c = None
    with np.errstate(all="ignore"):
        if packed:
            b = np.multiply(b, al, dtype=_F32)
        for s, e in _intel_blocks(k):
            p = _blocked(a[:, s:e], b[s:e], None, False, None, None, ((0, e - s),))
            if not packed:
                p *= al
            if c is None:
                c = p if bias is None else np.add(bias, p, dtype=_F32)
            else:
                c += p
    return c


def _intel_fma_alpha(res, bias, alpha):
    """``fma(alpha, res, C)``, C the bias or +0: how MKL applies α (one thread, β = 1) to the
    sums of its 16-lane kernel (:func:`_intel_rows16`) and of its sgemv (:func:`_intel_gemv`),
    one rounding for both (measured on ~350 random products, with and without a bias)."""
    from .._random import _fma32
    c0 = np.zeros(res.shape, _F32) if bias is None else np.broadcast_to(bias, res.shape)
    return _fma32(np.full(res.shape, alpha, _F32), res, c0)


def _intel_bmm_column(a, b):
    """``bmm`` of (B, M, K) and (B, K, 1) stacks, B >= 2 and M K >= 400, as PyTorch rounds it on
    the Intel processor: MKL's batched product sums every output in the K blocks' order
    (:func:`_intel_blocks`: an FMA chain from 0 per block, the blocks added in turn; one
    chain over all of K for M = 1), unlike its sgemv of a 2-D product times a column.
    Measured on ~650 random stacks (B 2..39, M 1..200, K up to 768, both layouts of ``a``,
    1 and 2 threads); None for K > 768 (other orders there, not mapped), M = 1 with
    K > 384 (few measured), or too many products to emulate."""
    batch, m, k = a.shape
    if k > _INTEL_SMALL_K or m == 1 and k > _INTEL_BLOCK or batch * m * k > _EMULATED_MAX:
        return None
    col = b[:, :, 0].astype(_F64)
    out = None
    with np.errstate(all="ignore"):
        for s, e in _intel_blocks(k):
            # (exact float64 products, step k first: (e - s, B, M))
            prods = a[:, :, s:e].transpose(2, 0, 1).astype(_F64) * col[:, s:e].T[:, :, None]
            p = _fma_chains(np.zeros((batch, m), _F32), prods)
            out = p if out is None else out + p
    return out[:, :, None]


def intel_stacked(a, b, c=None, alpha=1.0, threads=1):
    """``c[g] + alpha * a[g] @ b[g]`` (``c`` None: the products alone) for stacks (G, M, K) and
    (G, K, N) of float32 matrices on the Intel processor, each product as :func:`_run` gives
    it on ``threads`` threads, all at once where its plan is the K blocks' order
    (``"intel"``): one stacked NumPy ``matmul`` per K block (OpenBLAS's sgemm per matrix,
    ``a`` by columns, as :func:`_blocked` calls it; checked once by
    :func:`_intel_stacked_ok`).  None elsewhere (other plans: matrix by matrix)."""
    g, m, k = a.shape
    n = b.shape[2]
    if not _plain(a, b) or emulated() or not (g and m and k and n) or b.shape[0] != g:
        return None
    lb, la = _layout(b[0]), _a_layout(a[0])
    if lb is None or la is None:
        return None
    transposed = not lb[0]
    p = plan(m, k, n, transposed, threads, alpha, not la[0])
    if p != (0, "intel") or not _intel_stacked_ok():
        return None
    return _intel_stacked_product(a, b, c, alpha, transposed)


def _intel_stacked_product(a, b, c, alpha, transposed):
    m, k = a.shape[1:]
    n = b.shape[2]
    al = _F32(alpha)
    # (α: see _intel_scaled; b scaled first where MKL packs it so)
    packed = alpha != 1 and transposed and n >= min(max(m + 1, k), 192)
    cols = np.ascontiguousarray(a.transpose(0, 2, 1)).transpose(0, 2, 1)
    out = None if c is None else np.array(np.broadcast_to(c, a.shape[:2] + (n,)), _F32)
    with np.errstate(all="ignore"):
        if packed:
            b = np.multiply(b, al, dtype=_F32)
        for s, e in _intel_blocks(k):
            with _blas.one_thread(m, n, e - s):
                prod = np.matmul(cols[:, :, s:e], b[:, s:e, :])
            if alpha != 1 and not packed:
                prod *= al
            if out is None:
                out = prod
            else:
                out += prod
    _after_blas()
    return out


@functools.lru_cache(maxsize=None)
def _intel_stacked_ok() -> bool:
    """Whether :func:`_intel_stacked_product` gives :func:`_run`'s products (one thread) on
    random stacks: both layouts of ``a`` and ``b``, with and without ``alpha`` and ``c``."""
    rng = np.random.default_rng(12)
    for m, k, n in ((16, 8, 16), (37, 70, 29), (32, 16, 64), (5, 400, 45), (20, 500, 20)):
        for lay in range(4):
            a = rng.standard_normal((3, m, k)).astype(_F32)
            b = rng.standard_normal((3, k, n)).astype(_F32)
            if lay & 1:
                b = np.ascontiguousarray(b.transpose(0, 2, 1)).transpose(0, 2, 1)
            if lay & 2:
                a = np.ascontiguousarray(a.transpose(0, 2, 1)).transpose(0, 2, 1)
            c = rng.standard_normal((3, m, n)).astype(_F32)
            for cc, alpha in ((None, 1.0), (c, 0.3), (None, 0.125), (c, 1.0)):
                if plan(m, k, n, bool(lay & 1), 1, alpha, bool(lay & 2)) != (0, "intel"):
                    continue
                want = [_run(a[i], b[i], None if cc is None else cc[i], alpha, 1.0, 1)
                        for i in range(3)]
                got = _intel_stacked_product(a, b, cc, alpha, bool(lay & 1))
                if not np.array_equal(np.stack(want).view(np.uint32), got.view(np.uint32)):
                    return False
    return True


def _intel_small_plan(m, k, n, threads, alpha, transposed, a_transposed):
    """:func:`_intel_plan` for M < 16 or N = 1 (other MKL kernels than the general one), on
    the Intel processor, measured black-box with probes and random operands (~4000 products
    in all, 1 and 2 threads, with and without a bias):

    - one row times a transposed ``b`` (``nn.Linear`` of one sample), and N = 1 from 2 rows of
      ``a`` by rows (either layout of ``b``): MKL's sgemv on the rows of ``b.T`` (of ``a``),
      ``(0, "intel-gemv")`` (:func:`_intel_gemv`), its rows halved between 2 threads from
      some size on (``"intel-gemv-split"``, :func:`_intel_gemv_split`);
    - 2..15 rows times ``b`` by rows (``a`` either way), K <= 768: the K blocks' order
      (``"intel"``, as from 16 rows); K > 768 (up to 16384): K split on 2 threads
      (``"intel-split"``), but the last K blocks halved unsplit (``"intel-tail"``) on 1
      thread, for M N K <= 192000 and for N 379..755 (whatever the leading dimensions);
    - 2..15 rows by rows times a transposed ``b`` (``nn.Linear`` at batch 2..15): for K < 24 M
      one chain over K (the K blocks' order again), N >= 4 and K >= 16 (other N and K: not
      mapped); for K >= 24 M the 16-lane order of :func:`_intel_rows16` (``"intel-rows16"``),
      except on 2 threads for M >= 4 and M N K > 192000 with N not a multiple of 256, where
      MKL's general kernel gives the K blocks' order (claimed for K <= 768, but not for
      N = 17..19 or 33..35, whose last N % 16 columns it sums otherwise: not mapped).

    - one row times ``b`` by rows, and ``a`` by columns times a column (N = 1), K <= 5000:
      MKL's sgemv over the rows of ``b`` (of ``a.T``), ``(0, "intel-rowv")``
      (:func:`_intel_rowv`; a backward's ``grad @ W`` at batch 1, ``grad.t() @ x`` for one
      feature), on 2 threads from K = 256 with K halved (``"intel-rowv-split"``) but for
      the outputs of :func:`_intel_rowv_whole`.

    Not mapped (None): α other than 1, one row times ``b`` by rows for K > 5000 or times a
    column, ``a`` by columns times a transposed ``b``, more than 2 threads."""
    if alpha != 1 or threads not in (1, 2) or k * max(m, n) > _EMULATED_MAX:
        return None
    if (m == 1 and transposed and n > 1 or n == 1 and m > 1) and not a_transposed:
        # (N = 1: the same sgemv on a's rows, either layout of b; measured M 2..3000)
        split = threads == 2 and _intel_gemv_split(k, max(m, n))
        if split is None:
            return None
        return 0, "intel-gemv-split" if split else "intel-gemv"
    if (m == 1 and n > 1 or n == 1 and m > 1 and a_transposed) and not transposed \
            and k <= _INTEL_ROWV_K_MAX:
        # (one row times b by rows, a by columns times a column: :func:`_intel_rowv`; from
        # K = 256 on 2 threads K halved, but for the outputs of :func:`_intel_rowv_whole`)
        whole = k < _INTEL_ROWV_K or threads == 1 or _intel_rowv_whole(k, max(m, n))
        return 0, "intel-rowv" if whole else "intel-rowv-split"
    if m == 1 or n == 1 or m >= 16:
        return None
    if not transposed:
        if k <= _INTEL_SMALL_K:
            return 0, "intel"
        if k > _INTEL_SPLIT_K_MAX:
            return None
        # (K > 768: split on 2 threads but for little work or N 379..755, as at M = 16)
        return 0, "intel-tail" if threads == 1 or m * n * k <= 192000 or 379 <= n <= 755 \
            else "intel-split"
    if a_transposed:
        return None
    if k < 24 * m:  # (a chain over K from +0: the K blocks' order, one block)
        if k < 16:  # (measured for M 2..15, K 1..15, N 2..600, 1 and 2 threads: another
            # kernel for N < 12 where M < N and 2 <= K <= N, and for N < 4)
            return (0, "intel") if n >= 12 or n >= 4 and (m >= n or k > n or k == 1) \
                else None
        return (0, "intel") if n >= 4 else None
    if threads == 1 or m <= 3 or m * n * k <= 192000 or n % 256 == 0:
        return 0, "intel-rows16"
    if n < 48 and n % 16 in (1, 2, 3):  # (N = 33..35: the last N % 16 columns otherwise)
        return None
    return (0, "intel") if k <= _INTEL_SMALL_K else None


def _intel_gemv_split(k, n):
    """Whether MKL's sgemv on 2 threads gives each thread half of the rows of ``W`` (N of
    them, the first ``(N + 1) // 2`` to one, each half summed as :func:`_intel_gemv` sums a
    whole ``W``); None where not mapped.  Measured (rows ``4m + 2``, K 1..3000): split for
    ``N * K > 8192`` and ``N * (K + 262)`` above about 39000 (an empirical fit of the
    boundary, e.g. N from 110 for K = 100, 42 for K = 784, 14 for K = 3000), so claimed
    10% from that line only.  Where ``(N + 1) // 2`` is a multiple of 4 the halves' rows
    lie as in one, either way."""
    if n % 8 in (0, 7) or n * k <= 8192:
        return False
    w = n * (k + 262)
    if w > 42500:
        return True
    return False if w < 36000 else None


def _intel_gemv_run(a, b, bias, beta, split=False):
    """``bias + a @ b`` for one row ``a`` (by rows) times a transposed ``b`` in the order of
    :func:`_intel_gemv`, the bias added last; None where not measured (β other than 1,
    ``W = b.T`` not by rows; a row of ``a`` with a stride PyTorch copies first, and the order
    moves with no address).  ``split``: ``W``'s rows halved between 2 threads (see
    :func:`_intel_gemv_split`)."""
    if beta != 1:
        return None
    column = b.shape[1] == 1  # (N = 1: a's rows times b's column, an (M, 1) output)
    w, x = (a, b[:, 0]) if column else (b.T, a[0])
    if split:
        h = (w.shape[0] + 1) // 2
        res = np.concatenate([_intel_gemv(w[:h], x), _intel_gemv(w[h:], x)])
    else:
        res = _intel_gemv(w, x)
    res = res.reshape(-1, 1) if column else res.reshape(1, -1)
    # NOTE: MKL starts C at +0 without a bias (its sums of products that all round to zero
    # come out +0 then, -0 with a bias of -0)
    with np.errstate(all="ignore"):
        return np.add(res, _F32(0) if bias is None else bias, dtype=_F32)


_INTEL_ROWV_K = 256  # (one row times b by rows: from this K on 2 threads may halve K)
_INTEL_ROWV_K_MAX = 5000  # (K up to which :func:`_intel_rowv`'s order is measured)


def _intel_rowv_whole(k, n) -> bool:
    """Whether MKL's sgemv of :func:`_intel_rowv` on 2 threads, K >= 256, sums all of K in
    one (its order on 1 thread, whatever K: split between the threads by outputs, which
    moves no sum), for ``n`` outputs: for 41..69 of them with K < 1000, and from 1002 on;
    elsewhere K is halved, :func:`_intel_rowv_run`'s ``split`` (measured: K 256..5000, N
    1..4096, bisected to the output and the K at each edge)."""
    return 41 <= n <= 69 and k < 1000 or n >= 1002


def _intel_rowv(a, b) -> np.ndarray:
    """One row ``a`` (1, K) times ``b`` (K, N) by rows as MKL's sgemv (its kernel over
    ``b``'s rows, 16 outputs to a vector) sums it on the Intel processor, for K < 256:
    measured black-box (probes of two big products and ones, then random operands: N 2..1000,
    K 1..255, any offset and row stride of ``b``, either layout of ``a``, 1 and 2 threads).
    The last ``N % 16`` outputs: one FMA chain over k ascending from +0. The others, per
    block of 8 products ``k = s..s+7`` in order, onto the running sum (from +0): an FMA of
    product ``s+6``, then of ``s+4``; plus the FMA chain from +0 of ``s+7`` then ``s+5``;
    plus ``chain(s+2, s) + chain(s+3, s+1)`` (each from +0); then the last ``K % 8``
    products FMA'd on one by one.  The same order for K 256..5000 on 1 thread (measured N
    1..2048); on 2 threads from K = 256 MKL halves K, each half summed so and the halves
    added, except for the N of :func:`_intel_rowv_whole` (:func:`_intel_rowv_run`)."""
    with np.errstate(all="ignore"):  # (NOTE: PyTorch warns of no inf * 0 either)
        if _rowv_blas_ok():
            res = _intel_rowv_blas(a, b)
            if res is not None:
                return res
        return _intel_rowv_numpy(a, b)


def _intel_rowv_blas(a, b):
    """:func:`_intel_rowv` with each output's running sum (and each of the last ``N % 16``
    outputs' chain) as one BLAS FMA chain: the sum's terms in order, products ``s+6`` and
    ``s+4`` of each block of 8 as themselves, its two partial sums (``odd``, ``low``: from
    :func:`_fma_chains`, as there) times 1, whose FMA is the rounded add; a first term
    +0 * 1 starts every chain at +0, whatever BLAS starts from.  Exact FMAs, so the bits of
    :func:`_rowv_sum`'s; None where an output is not finite (NaN's payloads and the rest as
    the NumPy form gives them: the caller's path).  Errors ignored by the caller.  Several
    times faster than the block loop for K 64..255."""
    k, n = b.shape
    m = n - n % 16
    av = a.reshape(-1)
    out = np.empty((1, n), _F32)
    if m < n:  # (one chain over K: the columns padded to 16, as BLAS sums 16 at a time)
        bt = np.zeros((k + 1, 16), _F32)
        bt[1:, :n - m] = b[:, m:]
        at = np.empty((2, k + 1), _F32)
        at[:, 0] = 0
        at[:, 1:] = av
        out[0, m:] = _chain_product(at, bt)[:n - m]
    if m:
        nb, tail = divmod(k, 8)
        lead = 1 + 4 * nb
        bs = np.empty((lead + tail, m), _F32)  # (the terms, in order)
        aseq = np.empty((2, lead + tail), _F32)
        bs[0] = 0
        aseq[:, 0] = 0
        if nb:
            blocks = b[:8 * nb, :m].reshape(nb, 8, m)
            a8 = av[:8 * nb].reshape(nb, 8)
            # (the three 2-step chains from +0 at once: (s+7, s+5), (s+2, s), (s+3, s+1))
            p = np.multiply(a8.T[[7, 2, 3, 5, 0, 1], :, None], blocks.transpose(1, 0, 2)[
                [7, 2, 3, 5, 0, 1]], dtype=_F64).reshape(2, 3, nb, m)  # (exact products)
            chains = _fma_chains(np.zeros((3, nb, m), _F32), p)
            body = bs[1:lead].reshape(nb, 4, m)
            body[:, 2] = chains[0]
            np.add(chains[1], chains[2], out=body[:, 3])
            body[:, 0] = blocks[:, 6]
            body[:, 1] = blocks[:, 4]
            terms = aseq[:, 1:lead].reshape(2, nb, 4)
            terms[:, :, 0] = a8[:, 6]
            terms[:, :, 1] = a8[:, 4]
            terms[:, :, 2:] = 1
        if tail:
            bs[lead:] = b[8 * nb:, :m]
            aseq[:, lead:] = av[8 * nb:]
        out[0, :m] = _chain_product(aseq, bs)
    if not np.isfinite(out).all():
        return None
    return out


def _chain_product(a2, b):
    """Row 0 of ``a2 @ b`` (``a2`` (2, L) and ``b`` (L, W) C-contiguous float32, W a multiple
    of 16), each output one FMA chain over L from +0 in BLAS (row-major operands, columns in
    chunks under its small-matrix kernel's size limit; two rows, as BLAS may run a single one
    as another kernel): see :func:`_rowv_blas_ok`."""
    k, w = b.shape
    out = np.empty((2, w), _F32)
    step = max(16, (_SMALL_GEMM // (2 * k)) // 16 * 16)
    for c in range(0, w, step):
        e = min(w, c + step)
        part = out[:, c:e] if e - c == w else np.empty((2, e - c), _F32)
        _blas.sgemm(True, True, 2, e - c, k, a2.ctypes.data, k, b.ctypes.data + _ITEM * c, w,
                    0.0, part.ctypes.data)
        if part.base is not out:
            out[:, c:e] = part
    _after_blas()
    return out[0]


@functools.lru_cache(maxsize=None)
def _rowv_blas_ok() -> bool:
    """Whether :func:`_intel_rowv_blas` gives the NumPy form's bits here (BLAS's row-major
    products as single FMA chains), checked on first use: K across the block and tail cases,
    N with and without a remainder of 16, numbers far apart, zeros of both signs and products
    below float32's range."""
    if not _blas.has_sgemm():
        return False
    rng = np.random.default_rng(23)
    for k, n, kind in ((255, 40, 0), (7, 17, 2), (64, 512, 1), (130, 3000, 0), (17, 9, 3),
                       (96, 64, 2), (201, 33, 1)):
        a = rng.standard_normal((1, k))
        b = rng.standard_normal((k, n))
        if kind == 1:
            a *= np.exp2(rng.integers(-40, 40, a.shape))
            b *= np.exp2(rng.integers(-40, 40, b.shape))
        elif kind == 2:
            a[rng.random(a.shape) < 0.4] = -0.0
            b[rng.random(b.shape) < 0.4] = 0.0
            b[rng.random(b.shape) < 0.3] *= -1
        elif kind == 3:
            a *= 2.0 ** -70
        a, b = a.astype(_F32), b.astype(_F32)
        with np.errstate(all="ignore"):
            got = _intel_rowv_blas(a, b)
            want = _intel_rowv_numpy(a, b)
        if got is None or not _same_bits(got, want):
            return False
    return True


def _intel_rowv_numpy(a, b):
    """:func:`_intel_rowv` in NumPy alone (where BLAS is not used, and the reference of
    :func:`_rowv_blas_ok`; errors ignored by the caller)."""
    k, n = b.shape
    p = a.reshape(-1).astype(_F64)[:, None] * b.astype(_F64)
    m = n - n % 16
    out = np.empty((1, n), _F32)
    if m < n:
        out[0, m:] = _fma_chains(np.zeros(n - m, _F32), p[:, m:])
    if not m:
        return out
    q, nb = p[:, :m], k // 8
    blocks = q[:nb * 8].reshape(nb, 8, m).transpose(1, 0, 2)
    zero = np.zeros((nb, m), _F32)
    odd = _fma_chains(zero, blocks[[7, 5]])
    low = np.add(_fma_chains(zero, blocks[[2, 0]]), _fma_chains(zero, blocks[[3, 1]]),
                 dtype=_F32)
    out[0, :m] = _rowv_sum(q, blocks, odd, low)
    return out


def _rowv_sum(q, blocks, odd, low, exact=False) -> np.ndarray:
    """:func:`_intel_rowv`'s running sum (errors ignored by the caller): each product's FMA
    as a float64 sum rounded once (exact where no sum lands on a float32 halfway point or
    below float32's normal range, else all redone with :func:`_fma_chains_exact`)."""
    k, m = q.shape
    nb = blocks.shape[1]
    acc = np.zeros(m, _F32)
    sums = np.empty((2 * nb + k % 8, m), _F64)

    def fma(p, acc, i):
        if exact:
            return _fma_chains_exact(acc, p[None])
        np.add(p, acc, out=sums[i])
        return sums[i].astype(_F32)

    i = 0
    for j in range(nb):
        acc = fma(blocks[6, j], acc, i)
        acc = fma(blocks[4, j], acc, i + 1)
        i += 2
        acc = np.add(np.add(acc, odd[j], dtype=_F32), low[j], dtype=_F32)
    for t in range(nb * 8, k):
        acc = fma(q[t], acc, i)
        i += 1
    if not exact:
        mag = np.abs(sums)
        if ((sums.view(np.int64) & _TIE) == _HALF).any() or ((mag < _TINY) & (mag > 0)).any():
            return _rowv_sum(q, blocks, odd, low, True)
    return acc


def _intel_rowv_run(a, b, bias, beta, split=False):
    """``bias + a @ b`` in :func:`_intel_rowv`'s order; None with a bias (where MKL starts
    its sums otherwise: not mapped).  N = 1 with ``a`` by columns is the same sgemv, on
    ``a.T``'s rows: ``(b.T @ a.T).T``.  ``split``: K halved between 2 threads, the first
    ``(K + 1) // 2`` products and the rest each summed so, then the two sums added."""
    if bias is not None:
        return None
    x, w = (b.T, a.T) if b.shape[1] == 1 else (a, b)
    if split:
        h = (w.shape[0] + 1) // 2
        with np.errstate(all="ignore"):
            res = np.add(_intel_rowv(x[:, :h], w[:h]), _intel_rowv(x[:, h:], w[h:]),
                         dtype=_F32)
            res += _F32(0)  # (the halves added onto C's +0: a sum of -0 comes out +0)
    else:
        res = _intel_rowv(x, w)
    return res.reshape(-1, 1) if b.shape[1] == 1 else res


_F64 = np.float64
_TIE = np.int64((1 << 29) - 1)  # (a float64's bits below a float32's last one)
_HALF = np.int64(1 << 28)  # (those bits of a float32 halfway point)
_TINY = 2.0 ** -125


def _fma_chains(start, prods) -> np.ndarray:
    """Float32 fused multiply-add chains, elementwise: from ``start`` (float32, shape S),
    ``acc = round(acc + p)`` for each exact product ``p`` of ``prods`` (float64 holding
    float32 products, exact: (steps, *S)) in order, one rounding per step.

    Each step's float64 sum rounded to float32 rounds twice only where the float64 sum lands
    on a float32 halfway point or in float32's subnormal range; where any does, every step is
    redone exactly (:func:`_fma_chains_exact`; rare)."""
    acc = start.astype(_F32)
    sums = np.empty(prods.shape, _F64)
    with np.errstate(all="ignore"):
        for p, s in zip(prods, sums):
            np.add(p, acc, out=s)
            acc[...] = s
    if _rounds_twice(sums):
        return _fma_chains_exact(start, prods)
    return acc


def _rounds_twice(sums) -> bool:
    """Whether some float64 sum of ``sums`` could round twice on its way to float32: it lands
    on a float32 halfway point, or in float32's subnormal range (nonzero)."""
    if ((sums.view(np.int64) & _TIE) == _HALF).any():
        return True
    low = np.abs(sums) < _TINY
    return bool(low.any()) and bool((low & (sums != 0)).any())


def _fma_chains_exact(start, prods) -> np.ndarray:
    """:func:`_fma_chains`, each step rounded to odd in float64 first (exact: Knuth's
    TwoSum gives the float64 sum's error), then to float32."""
    from .._random import _round_odd_fix, _two_sum_err
    acc = start.astype(_F32)
    with np.errstate(all="ignore"):
        for p in prods:
            c = acc.astype(_F64)
            s = p + c
            acc = _round_odd_fix(s, _two_sum_err(p, c, s)).astype(_F32).reshape(acc.shape)
    return acc


def _intel_gemv(w, x, fast=True) -> np.ndarray:
    """``w @ x`` (``w`` (N, K) by rows, ``x`` (K,)) as MKL's sgemv sums it on the Intel
    processor (measured black-box with probes and random operands, 1 and 2 threads, any
    address and row stride), one output per row of ``w``; every product ``p_k = w[n, k] *
    x[k]`` goes into a fused multiply-add (one rounding per step) unless said otherwise.

    Rows in groups of 4 (the first ``4 * (N // 4)``): 16 lanes from +0, lane 0 starting at
    ``round(p_0)``; lane l takes ``k = 1 + l, 17 + l, ...`` over the first ``1 + 16q``
    products (``q = (K - 1) // 16``), and the lanes are halved pairwise (lane l + lane l + 8,
    then + 4, + 2, + 1; rounded adds).  The last ``T = (K - 1) % 16`` products form a second
    vector of 16 lanes from +0, lane ``l < T`` ``round(p_{1+16q+l})`` but lane 0
    ``fma(p_{1+16q}, S)`` with ``S`` the first sum, halved the same way.

    The ``N % 4`` rows after them: product 0 is left to the end; from k = 1, the first and
    third of these rows sum blocks of 32 products into two 16-lane accumulators (products
    ``k .. k+15`` into the first, ``k+16 .. k+31`` into the second) while 32 are left, add
    the two (rounded), then go on as the second row does from k = 1: 16 products at a time
    into the 16 lanes, the last block short (its missing lanes take nothing); halved as
    above, and ``round(p_0)`` added last (a rounded add).

    The lane sums come from BLAS (:func:`_intel_gemv_lanes`), and the outputs are checked
    for what could make them differ from exact chains there (:func:`_suspect`); ``fast``
    False (such outputs): every lane checked on its own (:func:`_lanes16`)."""
    if fast:
        out = _intel_gemv_blas(w, x)
        if out is not None:
            return out
    n, k = w.shape
    n0 = 4 * (n // 4)
    out = np.empty(n, _F32)
    x64 = x.astype(_F64)
    heads, rest = _intel_gemv_lanes(w, x, n0) if fast else (None, None)
    with np.errstate(all="ignore"):
        if n0:
            out[:n0] = _intel_gemv_groups(w[:n0], x, x64, heads)
        if n > n0:  # (the first and third of these rows: one kind; the second: the other)
            out[n0::2] = _intel_gemv_rows(w[n0::2], x, x64, True,
                                          None if rest is None else rest[::2])
        if n > n0 + 1:
            out[n0 + 1] = _intel_gemv_rows(w[n0 + 1:n0 + 2], x, x64, False,
                                           None if rest is None else rest[1:2])[0]
    if (heads is not None or rest is not None) and _suspect(out[None], x[None], w):
        return _intel_gemv(w, x, False)
    return out


def _intel_gemv_blas(w, x):
    """:func:`_intel_gemv` with every lane sum from one BLAS pass (:func:`_diag_product` of
    :func:`_spread` operands), the rest in few NumPy steps over whole rows: the same sums
    and rounded adds in the same order as :func:`_intel_gemv_groups` and
    :func:`_intel_gemv_rows` (the bits of the exact chains, checked by :func:`_suspect` as
    there: the exact path where it says so).  None where BLAS cannot take the lanes (the
    caller's path then).  For a batch-1 ``nn.Linear`` the lanes' BLAS pass is most of the
    cost (~0.3 ns per product and lane); the rest is ~15 calls into NumPy."""
    n, k = w.shape
    if 2 * 48 * k > _SMALL_GEMM or not _diag_ok():
        return None
    n0 = n - n % 4
    r = n - n0
    q, t = divmod(k - 1, 16)
    g = (k - 1) // 32
    h = 16 if n0 else 0
    p = h + (32 if g and r else 0)  # (the rows after the groups: 32 lanes, then 16)
    heads, rest = _intel_gemv_lanes(w, x, n0)  # ((16, n0) and (r, 48 or 16))
    out = np.empty(n, _F32)
    with np.errstate(all="ignore"):
        if h:
            acc = heads  # (16, n0): the lanes first, rows contiguous
            s = _halve(acc)
            if t:  # (a second vector: fma(p_e, S) in lane 0, products e+1 .. e+t-1 after)
                e = 1 + 16 * q
                tail = w[:n0, e:e + t].T.copy()  # (t, n0)
                v = np.zeros((16, n0), _F32)
                v[0] = _fma_step(s, tail[0], x[e])
                np.multiply(tail[1:], x[e + 1:e + t, None], out=v[1:t])
                out[:n0] = _halve(v)
                out[:n0] += _F32(0)
            else:
                out[:n0] = s
        if r:
            rows = w[n0:]
            acc = np.empty((16, r), _F32)
            if rest is None:  # (K = 1: no lanes, +0)
                acc[...] = 0
            else:
                acc[...] = rest[:, p - h:].T  # (16 lanes over products 1 .. K-1)
            if p > h:  # (the first and third rows: 32 lanes, then on from their sum)
                pair = rest[::2, :32].T
                two = pair[:16] + pair[16:]
                i = 1 + 32 * g
                if i < k:  # (at most 2 steps of 16 more; the missing lanes add -0)
                    steps = -(-(k - i) // 16)
                    prods = np.full((16 * steps, two.shape[1]), -0.0)
                    np.multiply(rows[::2, i:].T, x[i:, None].astype(_F64), out=prods[:k - i])
                    two = _fma_chains(two, prods.reshape(steps, 16, -1))
                acc[:, ::2] = two
            res = _halve(acc)
            res += rows[:, 0] * x[0]  # (product 0 last: a rounded add)
            out[n0:] = res
    if _suspect(out[None], x[None], w):
        return _intel_gemv(w, x, False)
    return out


def _fma_step(acc, w, xk):
    """``fma(w * xk, acc)`` elementwise in float32 (``w``, ``acc`` float32 rows, ``xk`` one
    float32): the exact product's float64 sum rounded once, or :func:`_fma_chains_exact` where
    that sum rounds twice (see :func:`_fma_chains`); errors ignored by the caller."""
    p = np.multiply(w, float(xk), dtype=_F64)
    p += acc
    if _rounds_twice(p):
        return _fma_chains_exact(acc, np.multiply(w, float(xk), dtype=_F64)[None])
    return p.astype(_F32)


def _intel_gemv_lanes(w, x, n0):
    """The lane sums of :func:`_intel_gemv` from one BLAS operand spread from ``x``
    (:func:`_spread`): the groups' 16 lanes (16, n0) over the first ``1 + 16q`` products,
    and for the rows after them their 32 lanes over products 1 .. 32g (``g = (K - 1) // 32``,
    where g > 0) then the 16 lanes over products 1 .. K - 1, side by side as (rows, 48 or
    16); either None where not through BLAS.  Not checked (see :func:`_diag_product`)."""
    n, k = w.shape
    if 2 * 48 * k > _SMALL_GEMM or not _diag_ok():
        return None, None
    q, g = (k - 1) // 16, (k - 1) // 32
    h = 16 if n0 else 0
    p = h + (32 if g and n > n0 else 0)
    cols = p + (16 if n > n0 else 0)
    xs = np.zeros((k + 32, cols), _F32)
    if h:
        _spread(xs, 0, 0, x[None, :1 + 16 * q], 16, True)
    if p > h:
        _spread(xs, 1, h, x[None, 1:1 + 32 * g], 32, False)
    if cols > p:
        _spread(xs, 1, p, x[None, 1:], 16, False)
    if h and cols > h and n * k * cols <= _SMALL_GEMM:  # (few rows: all in one call)
        both = _diag_product(w, xs, 0, k, 0, cols)  # (their columns' other products: w * +0)
        return np.ascontiguousarray(both[:n0, :h].T), both[n0:, h:]
    heads = np.ascontiguousarray(_diag_product(w[:n0], xs, 0, 1 + 16 * q, 0, h).T) if h else None
    rest = _diag_product(w[n0:], xs, 1, k, h, cols) if cols > h and k > 1 else None
    return heads, rest


def _intel_gemv_groups(w, x, x64, lanes=None) -> np.ndarray:
    """:func:`_intel_gemv`'s rows in groups of 4 (``lanes``: their 16 lane sums, where
    known)."""
    n, k = w.shape
    q, t = divmod(k - 1, 16)
    acc = _lanes16(x[None], w, True)[:, 0] if lanes is None else lanes
    s = _halve(acc)
    if not t:
        return s
    e = 1 + 16 * q
    v = np.zeros((16, n), _F32)
    v[1:t] = (w[:, e + 1:e + t].T.astype(_F64) * x64[e + 1:e + t, None]).astype(_F32)
    v[0] = _fma_chains(s, (w[:, e].astype(_F64) * x64[e])[None])
    return _halve(v) + _F32(0)


def _intel_lanes_exact(w, x64, q) -> np.ndarray:
    """The 16 lane sums (16, N) of :func:`_intel_gemv`'s rows in groups of 4 over their first
    ``1 + 16q`` products, by :func:`_fma_chains` (the reference :func:`_lanes16` is
    tested against)."""
    n = w.shape[0]
    prods = np.empty((q, 16, n), _F64)  # (step, lane, row)
    if q:
        np.multiply(w[:, 1:1 + 16 * q].T.reshape(q, 16, n), x64[1:1 + 16 * q].reshape(q, 16, 1),
                    out=prods)
    start = np.zeros((16, n), _F32)
    start[0] = (w[:, 0].astype(_F64) * x64[0]).astype(_F32)
    return _fma_chains(start, prods)


def _intel_gemv_rows(rows, x, x64, two, lanes=None) -> np.ndarray:
    """:func:`_intel_gemv`'s ``N % 4`` rows after the groups, those of one kind (``two``: the
    first and third, two accumulators while 32 products are left), as (rows,); ``lanes``:
    their :func:`_intel_gemv_lanes`, where known."""
    r, k = rows.shape
    i = 1
    acc = np.zeros((16, r), _F32)
    if two and k - 1 >= 32:  # (32 lanes from +0)
        g = (k - 1) // 32
        if lanes is None:
            pair = _lanes16(x[None, 1:1 + 32 * g], rows[:, 1:1 + 32 * g], False, 32)[:, 0]
        else:
            pair = lanes[:, :32].T
        acc = pair[:16] + pair[16:]
        i += 32 * g
    rest = k - i
    if rest and i == 1:  # (16 at a time into the lanes from +0, the last block short)
        acc = _lanes16(x[None, 1:], rows[:, 1:], False)[:, 0] if lanes is None else \
            np.ascontiguousarray(lanes[:, -16:].T)
    elif rest:  # (at most 2 steps on from the 32 lanes' sum; the missing lanes add -0)
        g = -(-rest // 16)
        steps = np.full((16 * g, r), -0.0)
        steps[:rest] = rows[:, i:].T.astype(_F64) * x64[i:, None]
        acc = _fma_chains(acc, steps.reshape(g, 16, r))
    head = (rows[:, 0].astype(_F64) * x64[0]).astype(_F32)
    return _halve(acc) + head


def _intel_rows16(a, w) -> np.ndarray:
    """``a @ w.T`` (``a`` (M, K), ``w`` (N, K)) in the order MKL's small-M kernel sums on the
    Intel processor (M 2..15, K >= 24 M): per output 16 lanes from +0, lane l a fused
    multiply-add chain over k = l, l + 16, ... (the last block short), then the four
    4-lane quarters added in order, ``((Q0 + Q1) + Q2) + Q3``, and their 4 lanes reduced
    ``(l0 + l1) + (l2 + l3)`` (rounded adds).  The lanes from BLAS where it can
    (:func:`_blas_lanes`), the outputs checked (:func:`_suspect`), else exact chains."""
    lanes = _blas_lanes(a, w, False)
    res = _quarters(_exact_lanes(a, w, False) if lanes is None else lanes)
    if lanes is not None and _suspect(res, a, w):
        res = _quarters(_exact_lanes(a, w, False))
    return res


def _quarters(lanes):
    """:func:`_intel_rows16`'s reduction of its 16 lanes (16, M, N)."""
    with np.errstate(all="ignore"):
        quarter = lanes[0:4] + lanes[4:8]
        quarter += lanes[8:12]
        quarter += lanes[12:16]
        return (quarter[0] + quarter[1]) + (quarter[2] + quarter[3])


_SMALL_GEMM = 1_000_000  # M * N * K up to which OpenBLAS's sgemm runs its small-matrix kernel
_DIAG_MAX = 120_000  # M N K up to which :func:`_diag_lanes` beats :func:`_copied_lanes` (~50 us)


def _lanes16(a, w, head, width=16) -> np.ndarray:
    """``width`` lanes of fused multiply-add chains from +0 for every row of ``a`` (M, K) and
    of ``w`` (N, K), as (width, M, N): with ``head`` False lane l over k = l, l + width, ...
    < K; with ``head`` (16 lanes) lane 0 first takes k = 0 and lane l then k = 1 + l,
    17 + l, ... over the first ``1 + 16 ((K - 1) // 16)`` products (:func:`_intel_gemv`'s).

    Through BLAS (:func:`_blas_lanes`) where every lane is then checked to be the chain's
    (finite, and nonzero or without products small enough to round to -0); else exact chains
    (:func:`_exact_lanes`)."""
    if head:
        k = 1 + 16 * ((a.shape[1] - 1) // 16)
        a, w = a[:, :k], w[:, :k]
    lanes = _blas_lanes(a, w, head, width)
    if lanes is None or _suspect(lanes, a, w):
        lanes = _exact_lanes(a, w, head, width)
    return lanes


def _blas_lanes(a, w, head, width=16):
    """:func:`_lanes16`'s lanes (``a`` and ``w`` cut to the lanes' products) through BLAS,
    not checked (see :func:`_suspect`): one product of ``w`` times a block-diagonal spread of
    ``a``'s lanes (:func:`_diag_lanes`; few rows of ``a``, or little work), or one product
    per lane over a transposing copy of ``w`` (:func:`_copied_lanes`); None where neither
    runs."""
    m, k = a.shape
    n = w.shape[0]
    if 2 * k * m * width <= _SMALL_GEMM and (m == 1 or head or width != 16 or
                                             m * n * k <= _DIAG_MAX) and _diag_ok():
        return _diag_lanes(a, w, width, head)
    if width == 16 and not head and k <= 16 * _INTEL_BLOCK and n >= 2 and _rows16_ok():
        return _copied_lanes(a, w)
    return None


def _spread(x, row, col, xs, lanes, head) -> None:
    """Into ``x`` (a zeroed C-contiguous operand, rows to whole steps of ``lanes``) from
    ``(row, col)`` on, the spread of ``xs`` (R, K) for :func:`_diag_product`: column
    ``col + r * lanes + j`` holds row r's products of lane j (k = j, j + lanes, ...; with
    ``head`` k = 0 and then k = 1 + j, 1 + j + lanes, ...) in rows ``row + k``, +0 elsewhere."""
    r, k = xs.shape
    off = 1 if head else 0
    full, rem = divmod(k - off, lanes)
    ld = x.shape[1]
    if head:
        x[row, col:col + r * lanes:lanes] = xs[:, 0]
    if full + (rem > 0):  # (the diagonals of the (lanes, lanes) blocks of each step and row)
        diag = np.ndarray((full + (rem > 0), lanes, r), _F32, x, _ITEM * ((row + off) * ld + col),
                          (_ITEM * lanes * ld, _ITEM * (ld + 1), _ITEM * lanes))
        if full:
            diag[:full] = xs[:, off:off + lanes * full].reshape(r, full, lanes).transpose(1, 2, 0)
        if rem:
            diag[full, :rem] = xs[:, off + lanes * full:].T


def _diag_product(w, x, k0, k1, c0, c1):
    """``w[:, k0:k1] @ x[k0:k1, c0:c1]`` (``w`` (N, K) by rows, ``x`` a C-contiguous float32
    operand of :func:`_spread`'s lanes) as (N, c1 - c0), each output one FMA chain over k0..k1
    from +0 in BLAS's small-matrix kernel (:func:`_diag_ok`: rows of ``w`` in chunks under
    its size limit, two at least, as BLAS may run a single one as another kernel).  The other
    lanes' products, ``w * +0``, change no chain but the sign of a zero one, and give NaN for
    an infinite ``w``: see :func:`_suspect`."""
    n = w.shape[0]
    k, cols = k1 - k0, c1 - c0
    if w.strides[1] != _ITEM or w.strides[0] % _ITEM or w.strides[0] < _ITEM * w.shape[1] or \
            w.ctypes.data % _ITEM or n < 2:
        w = np.ascontiguousarray(np.broadcast_to(w, (2, w.shape[1])) if n < 2 else w)
    rows = w.shape[0]
    out = np.empty((rows, cols), _F32)
    lda, ldx = w.strides[0] // _ITEM, x.shape[1]
    a, b, c = w.ctypes.data + _ITEM * k0, x.ctypes.data + _ITEM * (k0 * ldx + c0), out.ctypes.data
    chunk = max(2, _SMALL_GEMM // (k * cols))
    if rows > chunk:  # (chunks of even size: a small last one runs BLAS's slower direct kernel)
        chunk = max(2, -(-rows // -(-rows // chunk)))
    s = 0
    while s < rows:
        t = min(chunk, rows - s)
        if rows - s - t == 1:
            t -= 1
        _blas.sgemm(True, True, t, cols, k, a + _ITEM * lda * s, lda, b, ldx, 0.0,
                    c + _ITEM * cols * s)
        s += t
    _after_blas()
    return out[:n]


def _diag_lanes(xs, w, lanes, head):
    """:func:`_lanes16`'s lanes (lanes, R, N) as one :func:`_diag_product` of ``w`` (N, K)
    and the spread of ``xs`` (R, K)."""
    r, k = xs.shape
    x = np.zeros((k + lanes, r * lanes), _F32)
    _spread(x, 0, 0, xs, lanes, head)
    out = _diag_product(w, x, 0, k, 0, r * lanes)
    return np.ascontiguousarray(out.reshape(-1, r, lanes).transpose(2, 1, 0))


_TINY_PRODUCT = 2.0 ** -102  # (a product above it sits on float32's grid from 2**-149 up)


def _suspect(res, x, w) -> bool:
    """Whether sums ``res`` (..., M, N) of FMA chains over products of rows of ``x`` (M, K)
    and of ``w`` (N, K), taken from BLAS with products of +0 added (:func:`_diag_product`,
    :func:`_copied_lanes`), could differ from the chains: where one is not finite (an
    infinite ``w`` times +0 gives NaN), or is zero while some product of its row of ``x``
    and of ``w`` lies below 2**-102 (only such a product, finer than float32's smallest
    step, brings a chain from +0 to -0, whose sign an added +0 then changes; elsewhere
    every value and sign agrees, and so does every sum of them)."""
    with np.errstate(all="ignore"):
        if not np.isfinite(np.add.reduce(res, axis=None)):
            return True
    if res.all():
        return False
    zero = (res == 0).reshape(-1, *res.shape[-2:]).any(axis=0)
    x, w = x[zero.any(axis=1)], w[zero.any(axis=0)]
    with np.errstate(all="ignore"):
        ax, aw = np.abs(x), np.abs(w)
        least = float(np.min(ax, where=ax != 0, initial=np.inf))
        if least == np.inf:
            return False
        return least * float(np.min(aw, where=aw != 0, initial=np.inf)) < _TINY_PRODUCT


def _copied_lanes(a, w):
    """:func:`_lanes16`'s 16 lanes (no head) through one BLAS product per lane: ``a``'s lane
    (by columns) times every 16th row of a transposing copy of ``w`` (kept per thread, rows
    padded), which NumPy's BLAS sums as single FMA chains (:func:`_rows16_ok`); 2 rows and
    columns at least (BLAS may run a single one as another kernel).  Not checked (see
    :func:`_suspect`: a lane missing a last step adds +0)."""
    m, k = a.shape
    n = w.shape[0]
    rows = max(m, 2)
    if n < 2 or not _transpose_ok():
        return None
    if w.strides[1] != _ITEM or w.strides[0] % _ITEM or w.strides[0] < _ITEM * k or \
            w.ctypes.data % _ITEM:
        w = np.ascontiguousarray(w)
    ld = n + _PAD
    wt = _scratch(k * ld)
    _blas.transpose(n, k, w.ctypes.data, w.strides[0] // _ITEM, wt.ctypes.data, ld)
    steps = -(-k // 16)
    ap = np.zeros((16, steps, rows), _F32)  # (lane, step, row): by columns
    full = k // 16
    ap[:, :full, :m] = a[:, :16 * full].reshape(m, full, 16).transpose(2, 1, 0)
    if k > 16 * full:
        ap[:k - 16 * full, full, :m] = a[:, 16 * full:].T
    out = np.empty((16, rows, n), _F32)
    pa, pw, po = ap.ctypes.data, wt.ctypes.data, out.ctypes.data
    for lane in range(16):
        s = (k - lane + 15) // 16  # (this lane's steps)
        if not s:
            out[lane] = 0
            continue
        _blas.sgemm(False, True, rows, n, s, pa + _ITEM * steps * rows * lane, rows,
                    pw + _ITEM * ld * lane, 16 * ld, 0.0, po + _ITEM * rows * n * lane)
    _after_blas()
    return out[:, :m]


def _exact_lanes(a, w, head, width=16):
    """:func:`_lanes16`'s lanes by exact chains (:func:`_fma_chains`; a lane's missing steps
    add -0, which changes no sum), columns of ``w`` in chunks of bounded memory."""
    m, k = a.shape
    n = w.shape[0]
    off = 1 if head else 0
    full, rem = divmod(k - off, width)
    steps = full + (rem > 0)
    out = np.empty((width, m, n), _F32)
    a64 = a.astype(_F64)
    per = max(1, _CHUNK // max(1, (off + steps) * width * m))
    for c in range(0, n, per):
        wc = w[c:c + per]
        prods = np.full((off + steps, width, m, wc.shape[0]), -0.0)
        with np.errstate(all="ignore"):
            if head:
                prods[0, 0] = a64[:, :1] * wc[:, 0]
            body = prods[off:]
            if full:
                e = off + width * full
                np.multiply(a64[:, off:e].reshape(m, full, width).transpose(1, 2, 0)[..., None],
                            wc[:, off:e].reshape(-1, full, width).transpose(1, 2, 0)[:, :, None],
                            out=body[:full])
            if rem:
                e = off + width * full
                np.multiply(a64[:, e:].T[:, :, None], wc[:, e:].T[:, None, :],
                            out=body[full, :rem])
        out[:, :, c:c + per] = _fma_chains(np.zeros((width, m, wc.shape[0]), _F32), prods)
    return out


@functools.lru_cache(maxsize=None)
def _diag_ok() -> bool:
    """Whether NumPy's BLAS sums ``w @ b`` (both by rows, M N K up to :data:`_SMALL_GEMM`)
    as one FMA chain over all of K from +0 per output, as :func:`_diag_lanes` passes them
    (its small-matrix kernel: it cuts neither K nor a chain); checked against exact chains
    at the size limit, with K from 17 to 3000."""
    if not _blas.has_sgemm() or not _transpose_ok():
        return False
    rng = np.random.default_rng(41)
    for r, k, lanes, head in ((2, 17, 16, False), (3, 785, 16, True), (1, 3000, 16, True),
                              (5, 700, 16, False), (1, 481, 32, False), (15, 100, 16, False)):
        n = max(2, _SMALL_GEMM // (k * r * lanes))
        xs = (rng.standard_normal((r, k)) * np.exp2(rng.integers(-20, 20, (r, k)))).astype(_F32)
        w = (rng.standard_normal((n, k)) * np.exp2(rng.integers(-20, 20, (n, k)))).astype(_F32)
        if not _same_bits(_diag_lanes(xs, w, lanes, head), _exact_lanes(xs, w, head, lanes)):
            return False
    return True


@functools.lru_cache(maxsize=None)
def _rows16_ok() -> bool:
    """Whether NumPy's BLAS sums each output of ``a @ b`` (``a`` by columns, ``b`` by rows with
    rows apart, M up to 15, K up to 384, below and above its small-matrix kernel's size
    limit) as one FMA chain from +0 (:func:`_copied_lanes`' premise)."""
    if not _blas.has_sgemm():
        return False
    rng = np.random.default_rng(37)
    for m, n, q in ((2, 512, 49), (15, 10, 32), (7, 300, 384), (3, 17, 5), (2, 2100, 300)):
        at = (rng.standard_normal((q, m)) * np.exp2(rng.integers(-20, 20, (q, m)))).astype(_F32)
        b = np.zeros((q, 3, n), _F32)  # (rows 3 N apart)
        b[:, 0] = rng.standard_normal((q, n)) * np.exp2(rng.integers(-20, 20, (q, n)))
        got = np.empty((m, n), _F32)
        _blas.sgemm(False, True, m, n, q, at.ctypes.data, m, b.ctypes.data, 3 * n, 0.0,
                    got.ctypes.data)
        with np.errstate(all="ignore"):
            want = _fma_chains(np.zeros((m, n), _F32), at[:, :, None].astype(_F64) * b[:, 0, None])
        if not _same_bits(got, want):
            return False
    return True


def _plain(a, b) -> bool:
    """Float32 NumPy operands (not a GPU's, nor the simulated device's), with PyTorch's order
    known on this machine and wanted (matmul precision "highest")."""
    return type(a) is np.ndarray and type(b) is np.ndarray and a.dtype == _F32 and \
        b.dtype == _F32 and _backends._state["matmul_precision"] == "highest" and \
        (emulated() or _intel_measured())


_NAIVE_BMM = 400  # M * K * N under which PyTorch's bmm runs its own loop, not MKL
_BMM_MAX = 32  # matrices in a batch emulated one by one at most (~10 us each; beyond: NumPy's)


def bmm(a, b):
    """``a @ b`` for stacks of float32 matrices (B, M, K) and (B, K, N) as ``torch.bmm`` rounds
    it, or None where that order is not reproduced.

    PyTorch's CPU ``bmm``: for M * K * N < 400 its own loop, one non-fused chain per output
    from 0 (``acc += a_k * b_k``, each step rounded); else ``sgemm`` per matrix, the matrices
    split between the threads, so each product runs on one thread (on all of them when B = 1),
    each output row's address that of its place in the whole batch (see :func:`_heads`); with
    N = 1 and B > 1 one chain per output again (measured: ~190 random products, M 1..30,
    K 1..200).
    """
    if not _plain(a, b) or a.ndim != 3 or b.ndim != 3 or b.shape[0] != a.shape[0]:
        return None
    batch, m, k = a.shape
    n = b.shape[2]
    if not (batch and m and k and n):
        return None
    if n == 1 and batch > 1 and m * k * n >= _NAIVE_BMM and not emulated():
        return _intel_bmm_column(a, b)  # (Intel: MKL's batched columns, another order)
    if m * k * n < _NAIVE_BMM or n == 1 and batch > 1:
        # (a column per matrix, several matrices: one chain per output as well)
        if batch * m * k > _EMULATED_MAX:
            return None
        prod = np.empty((k, batch, m, n), _F32)  # (C-ordered: reduced row after row)
        with np.errstate(all="ignore"):
            np.multiply(a.transpose(2, 0, 1)[..., None], b.transpose(1, 0, 2)[:, :, None, :],
                        out=prod)
            out = _rowsum(prod)
            out += _F32(0)  # (from +0)
        return out
    if batch > 1 and not emulated():  # (Intel: the whole stack at once where it can)
        out = intel_stacked(a, b)
        if out is not None:
            return out
    if batch > _BMM_MAX:
        return None
    threads = 1 if batch > 1 else None
    out = np.empty((batch, m, n), _F32)
    for i in range(batch):
        r = _run(a[i], b[i], None, 1.0, 1.0, threads, i * m)
        if r is None:
            return None
        out[i] = r
    return out


def mm(a, b):
    """``a @ b`` for float32 NumPy matrices as PyTorch's ``torch.mm`` rounds it, or None where
    that order is not reproduced (the caller then takes NumPy's).  One term (K = 1) into two
    or more rows and columns: the products themselves, as MKL gives them (a chain from +0, as
    its one-row and one-column paths sum, would turn a -0 into +0; measured)."""
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == 1 and a.shape[0] > 1 and \
            b.shape[1] > 1 and _plain(a, b):
        with np.errstate(all="ignore"):
            return np.multiply(a, b)
    return _run(a, b, None, 1.0, 1.0, None)


def addmm(bias, a, b, beta=1.0, alpha=1.0):
    """``beta * bias + alpha * (a @ b)`` as ``torch.addmm`` (and ``F.linear``) round it, for
    float32 ``bias`` broadcastable to (M, N); None where not reproduced."""
    return _run(a, b, bias, alpha, beta, None)


def mkl_sgemm(a, b, threads=None):
    """``a @ b`` for 2-D float32 operands, as ``torch.mm`` rounds it on ``threads`` threads where
    :func:`covered` (and :func:`emulated`) say so, else NumPy's product."""
    a = np.asarray(a, _F32)
    b = np.asarray(b, _F32)
    out = _run(a, b, None, 1.0, 1.0, threads)
    return np.matmul(a, b) if out is None else out


def mkl_addmm(bias, a, b, beta=1.0, alpha=1.0, threads=None):
    """``beta * bias + alpha * (a @ b)`` as ``torch.addmm`` rounds it on ``threads`` threads
    where :func:`covered` says so, else NumPy's formula."""
    a = np.asarray(a, _F32)
    b = np.asarray(b, _F32)
    bias = np.asarray(bias, _F32)
    out = _run(a, b, bias, alpha, beta, threads)
    if out is not None:
        return out
    with np.errstate(all="ignore"):
        prod = np.matmul(a, b)
        if alpha != 1:
            prod *= _F32(alpha)
        if beta == 0:
            return prod
        shape = (a.shape[0], b.shape[1])
        return (np.broadcast_to(bias, shape) * _F32(beta) if beta != 1 else bias) + prod


def _exact_chain(a, b):
    """One exact float32 FMA chain over all of K (ascending), the reference for the self-check."""
    from .._random import _fma32
    acc = np.zeros((a.shape[0], b.shape[1]), _F32)
    for k in range(a.shape[1]):
        acc = _fma32(np.broadcast_to(a[:, k:k + 1], acc.shape),
                     np.broadcast_to(b[k:k + 1], acc.shape), acc)
    return acc


@functools.lru_cache(maxsize=None)
def _rows_by_rows_ok() -> bool:
    """Whether OpenBLAS sums ``a`` by rows times ``b`` by rows as one FMA chain per output
    when N % 16 is 0 or 9..15 (which saves :func:`_blocked` a transposed copy of ``a``)."""
    rng = np.random.default_rng(99)
    for m, n, k in ((13, 32, 40), (5, 25, 30), (20, 16, 7)):
        a = rng.standard_normal((m, k)).astype(_F32)
        b = rng.standard_normal((k, n)).astype(_F32)
        got = np.empty((m, n), _F32)
        _blas.sgemm(True, True, m, n, k, a.ctypes.data, k, b.ctypes.data, n, 0.0, got.ctypes.data)
        if not np.array_equal(got, _exact_chain(a, b)):
            return False
    return True


@functools.lru_cache(maxsize=None)
def _selfcheck() -> bool:
    """Whether NumPy's BLAS still sums each output of a K block as one FMA chain and adds it
    into C with one rounding (the premise of :func:`_blocked`), for the operand layouts it
    passes, and whether ``np.add.reduce`` over a first axis adds row after row."""
    rng = np.random.default_rng(1234)
    for m, n, k, b_rows in ((12, 12, 40, True), (13, 17, 30, False), (5, 33, 7, False),
                            (21, 70, 24, True)):
        a = np.asfortranarray(rng.standard_normal((m, k)).astype(_F32))
        b = rng.standard_normal((k, n) if b_rows else (n, k)).astype(_F32)
        b = b if b_rows else b.T
        c = rng.standard_normal((m, n)).astype(_F32)
        h = k // 2
        got = c.copy()
        with np.errstate(all="ignore"):
            for s, e in ((0, h), (h, k)):
                _blocked(a[:, s:e], b[s:e], got)
            want = (c + _exact_chain(a[:, :h], b[:h])) + _exact_chain(a[:, h:], b[h:])
        if not np.array_equal(got, want):
            return False
    p = (rng.standard_normal((64, 4, 3, 9)) * 2.0 ** rng.integers(-20, 20, (64, 4, 3, 9)))
    p = p.astype(_F32)
    seq = p[0].copy()
    for row in p[1:]:
        seq += row
    col = np.ascontiguousarray(p[:, :1, :1, :1])  # (a single output: see _rowsum)
    return bool(np.array_equal(np.add.reduce(p, axis=0), seq) and
                np.array_equal(_rowsum(col), seq[:1, :1, :1]))
