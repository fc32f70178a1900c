"""PyTorch's float32 matrix-vector and vector-vector products on the CPU (MKL ``sgemv`` and
``sdot``), bit for bit where known.

``torch.mv``/``addmv``/``A @ v`` (and ``matmul`` of a stack times a vector, which PyTorch folds
into one ``mv``), ``v @ W.t()`` and ``F.linear`` of a 1-D input, and ``torch.dot``/``inner``/
``vdot`` of float32 vectors run MKL's ``sgemv``/``sdot``, whose summation orders differ from
NumPy's.  Measured black-box as :mod:`ember._ops._mkl_gemm` was (MKL 2024.2 in torch 2.13, AMD
family 25 model 17, 1 and 2 threads): probes of one product +2**40, one -2**40 and all others
1 (the result counts the products outside the smallest subtree holding both big ones, which
gives the whole summation tree), then random operands checked bit for bit against the
candidate orders.  Every add below is a rounded float32 add, every product a rounded float32
product (no fused multiply-add anywhere: checked against the fused candidates).

**Matrix times vector** (``sgemv``).  PyTorch passes A as the plain sgemv when its first
stride is 1 (by columns), else as the transposed one (by rows; any other layout copied to
rows first).  Both follow ``sgemm``'s N = 1 orders, which :mod:`ember._ops._mkl_gemm`
reproduces (its ``"chain"`` and ``_dot`` rows): ``mv(A, v)`` is ``mm(A, v[:, None])`` bit for
bit, α, β and 1 or 2 threads included (checked on M up to 100000, K up to 100000), except:

- a single row by rows (M = 1): the transposed sgemv's order for the first of the
  ``M % 4`` rows after the groups of 4 (8 lanes: ``_dot_tail``), at any address, where
  sgemm's M = N = 1 is one chain;
- K = 1 through the plain sgemv: α scales ``v`` first (rounded), not the product;
- (no exception, found here and now in ``_mkl_gemm`` for both) A by rows off a 16-byte
  boundary, ``o`` floats past it, or with its rows ``lda != K`` floats apart: the groups of
  4 rows take their order over the first ``K - t`` products and add the last
  ``t = (o + K - lda) % 4`` one by one after it (the ``M % 4`` rows after them do not move);
  checked on ~1300 random products (M up to 300, K up to 3000, lda up to K + 8, offsets
  0..3, both threads).

``v @ W.t()`` with one row (``F.linear`` of a 1-D input) runs the transposed sgemv on W's
rows: ``mv(W, v)``'s order (:func:`ember._ops._mkl_gemm.plan`'s ``"gemv"``).  A strided
``v`` leaves the groups of 4 rows as they are, but the rows after them (or a single row)
take :func:`_strided_tail`'s order (checked on 600 random products, both threads).  Not
mapped (NumPy's order is kept): an expanded ``v`` (stride 0).  ``torch.inner``
of strided vectors is no dot at all: PyTorch's ``tensordot`` multiplies them and sums the
products (``ember._ops.linalg.inner``).

**Dot product** (``sdot``; ``x`` the first operand, ``y`` the second), on 1 thread:

1. Strided operands (either stride not 1): one chain from +0 in ascending k.
2. Else the first ``(-y) % 4`` products (``y``'s address in floats, mod 4: to its 16-byte
   boundary) are summed in order from +0 into lane 0.  Then, if ``x`` is on a 16-byte
   boundary too, the *16-lane kernel* over the rest: four 4-lane accumulators, each step
   adding 16 products (accumulator j takes products 4j..4j+3 of the step); of the rest under
   16, 8 more go into accumulators 0 and 1 when there are, 4 more into accumulator 0, and the
   last 0..3 are added one by one into lane 0.  The accumulators are summed
   ``((a0 + a1) + a2) + a3`` lane by lane and the four lanes reduced ``(l0 + l2) + (l1 + l3)``.
   Lane 0 starts at the peeled sum, the others at +0.
3. If ``x`` is not (its offset differs from ``y``'s mod 4): the next 4 products go into lanes
   0..3 (lane 0 on top of the peeled sum), every later product is added one by one to lane
   0, and the lanes are reduced ``(l0 + l2) + (l1 + l3)``.

On 2 threads, for 8192 <= K <= 262150, the first ``(K + 1) // 2`` products and the rest are
summed as above each (the second half from its own addresses) and the two sums added; for
K > 262150 MKL splits otherwise (not mapped: NumPy's order).  Checked on ~2000 random products
(K 1..300000, offsets 0..7 of either operand, strides 1..3).

Cost (2 shared cores, against NumPy's own products): the 16 lanes of a dot product are one
``einsum`` (multiply and add in one pass, no fused multiply-add, step after step from +0:
checked by :func:`ember._ops._mkl_gemm._groups_ok`), the chains one ``np.add.accumulate``:
~12 us a call up to a few thousand products (NumPy: ~0.5 us), ~55 us for 100000 (NumPy: ~9 us).
A matrix times a vector by rows (and one sample through ``nn.Linear``) costs BLAS's transposing
copy of A (~0.14 ns a product, its rows padded apart) and one ``einsum`` over it (~0.15 ns),
:func:`ember._ops._mkl_gemm._groups`: a (512, 784) layer ~0.13 ms against ~21 us; by columns
no copy, one ``einsum`` straight over A's memory (~55 us against ~21 us).  (Tried and slower
here: the products first and a transposing copy of them, a reduce after a product, 16-byte
transposes, chunks of rows or of K kept in L2, the products' sums through BLAS's sgemm with
0/1 selectors, a second Python thread.)

Measured on the processor of :func:`ember._ops._mkl_gemm.emulated`, and on the Intel one
(:func:`ember._ops._mkl_gemm.profile` ``"intel"``): its ``sdot`` orders (:func:`_intel_dot`,
64 FMA lanes for contiguous operands, 4 for strided ones) and its ``sgemv`` through
:mod:`ember._ops._mkl_gemm`'s Intel plans (:func:`_intel_addmv`, :func:`_intel_mv`);
elsewhere, and with ``torch.set_float32_matmul_precision`` other than ``"highest"``, the
products are NumPy's.
"""
from __future__ import annotations

import functools

import numpy as np

from . import _mkl_gemm

_F32 = np.float32
_ITEM = 4
_SPLIT_MIN = 8192  # K from which 2 threads split a dot product in two halves
_SPLIT_MAX = 262150  # K up to which that split is the one measured
_DOT_MAX = 1 << 26  # products of one dot emulated at most (beyond: NumPy's order)


def _plain(*arrays) -> bool:
    return all(type(a) is np.ndarray and a.dtype == _F32 for a in arrays) and \
        _mkl_gemm._backends._state["matmul_precision"] == "highest" and _mkl_gemm.emulated()


# ---------------------------------------------------------------- dot products (sdot)

def _kernel16(x, y, start) -> _F32:
    """The 16-lane kernel over contiguous ``x``, ``y`` (``x`` and ``y`` 16-byte aligned),
    lane 0 starting at ``start`` (every other lane at +0)."""
    n = x.shape[0]
    n16 = n // 16
    if not n16 or not _mkl_gemm._groups_ok():
        return _kernel16_reduce(x, y, start)
    s = 16 * n16
    # the 16 lanes over the full steps: one einsum, each lane's products summed step after
    # step from +0, none fused (checked by _mkl_gemm._groups_ok): ~4x faster than the
    # products and a reduce over rows of 16; lane 0 again as its own chain where it starts
    # elsewhere than +0 (``start`` is never -0: a sum from +0)
    acc = np.empty(16, _F32)
    _mkl_gemm._einsum_lanes(x[:s].reshape(n16, 16), y[:s].reshape(n16, 16), acc)
    if start != 0:
        chain = np.empty(n16 + 1, _F32)
        chain[0] = start
        np.multiply(x[:s:16], y[:s:16], out=chain[1:])
        acc[0] = np.add.accumulate(chain)[-1]
    if n - s >= 8:
        acc[:8] += x[s:s + 8] * y[s:s + 8]
        s += 8
    if n - s >= 4:
        acc[:4] += x[s:s + 4] * y[s:s + 4]
        s += 4
    return _finish16(acc, x, y, s, n)


def _finish16(acc, x, y, s, n) -> _F32:
    """The 16-lane kernel's end: products ``s..n-1`` added one by one into lane 0, the four
    accumulators summed lane by lane, the four lanes reduced ``(l0 + l2) + (l1 + l3)``."""
    lane0 = acc[0]
    for k in range(s, n):
        lane0 = lane0 + x[k] * y[k]
    acc[0] = lane0
    v = ((acc[0:4] + acc[4:8]) + acc[8:12]) + acc[12:16]
    return (v[0] + v[2]) + (v[1] + v[3])


def _kernel16_reduce(x, y, start) -> _F32:
    """:func:`_kernel16` by a product and a reduce over rows of 16 (where ``einsum``'s order
    is not the one checked, or there is no full step)."""
    n = x.shape[0]
    n16 = n // 16
    rest = n - 16 * n16
    rows = 1 + n16 + (rest >= 8) + (rest % 8 >= 4)
    buf = np.zeros((rows, 16), _F32)
    buf[0, 0] = start
    s = 16 * n16
    if n16:
        np.multiply(x[:s], y[:s], out=buf[1:1 + n16].reshape(-1))
    r = 1 + n16
    if rest >= 8:
        np.multiply(x[s:s + 8], y[s:s + 8], out=buf[r, :8])
        s += 8
        r += 1
    if n - s >= 4:
        np.multiply(x[s:s + 4], y[s:s + 4], out=buf[r, :4])
        s += 4
    # (NumPy reduces over the first axis row after row, a rounded add per step; the +0 rows
    # and lanes change nothing: MKL's lanes start at +0, so none of them is ever -0)
    acc = np.add.reduce(buf, axis=0) if rows > 1 else buf[0]
    return _finish16(acc, x, y, s, n)


def _chain(p, start) -> _F32:
    """``start`` plus the products ``p`` one by one, in order."""
    if p.shape[0] == 0:
        return _F32(start)
    seq = np.empty(p.shape[0] + 1, _F32)
    seq[0] = start
    seq[1:] = p
    return np.add.accumulate(seq)[-1]


def _part(x, y, px, py) -> _F32:
    """One thread's sum of ``x * y`` (1-D float32, contiguous or not; ``px``/``py``: their
    addresses, read once by :func:`dot`)."""
    if x.strides[0] != _ITEM or y.strides[0] != _ITEM:
        return _chain(np.multiply(x, y, dtype=_F32), _F32(0)) + _F32(0)
    n = x.shape[0]
    ox, oy = (px // _ITEM) % 4, (py // _ITEM) % 4
    peel = min((-oy) % 4, n)
    lane0 = _F32(0)
    for k in range(peel):
        lane0 = lane0 + x[k] * y[k]
    if (ox + peel) % 4 == 0:
        return _kernel16(x[peel:], y[peel:], lane0)
    lanes = np.zeros(4, _F32)
    lanes[0] = lane0
    s = peel
    if n - s >= 4:
        lanes += x[s:s + 4] * y[s:s + 4]
        s += 4
    lanes[0] = _chain(np.multiply(x[s:], y[s:], dtype=_F32), lanes[0])
    return (lanes[0] + lanes[2]) + (lanes[1] + lanes[3])


def dot(x, y, threads=None):
    """``x . y`` for 1-D float32 NumPy vectors of one length as ``torch.dot`` rounds it (a
    0-d float32 array), or None where that order is not reproduced."""
    if not _plain(x, y):
        return _intel_dot(x, y, threads)
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        return None
    n = x.shape[0]
    px, py = x.ctypes.data, y.ctypes.data  # (~1 us each: read once)
    if n == 0 or n > _DOT_MAX or px % _ITEM or py % _ITEM:
        return None
    if n == 1:  # (PyTorch passes unit strides then)
        x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
        px, py = x.ctypes.data, y.ctypes.data
    res = _halves(_part, x, y, px, py, threads, _SPLIT_MIN, _SPLIT_MAX)
    return None if res is None else np.asarray(res, _F32)


def _halves(part, x, y, px, py, threads, split_min, split_max):
    """``part`` (one thread's dot order) over the whole vectors on one thread or below
    ``split_min`` products, else over each half on two threads, the halves' sums added (the
    first half the larger); None past ``split_max`` or on more threads (not mapped)."""
    n = x.shape[0]
    threads = _mkl_gemm._threads(threads)
    with np.errstate(all="ignore"):
        if threads == 1 or n < split_min:
            return part(x, y, px, py)
        if threads == 2 and n <= split_max:
            h = (n + 1) // 2
            return part(x[:h], y[:h], px, py) + \
                part(x[h:], y[h:], px + h * x.strides[0], py + h * y.strides[0])
    return None


# ------------------------------------------------- float32 dot products, Intel profile
#
# On the Intel processor (:func:`ember._ops._mkl_gemm.profile` ``"intel"``) MKL's ``sdot`` of
# contiguous operands, whatever their addresses (measured black-box: probes of +2**40, -2**40
# and ones, then random operands checked bit for bit, K 1..10000 at offsets 0..8 of either
# operand, 1 and 2 threads): four 16-lane accumulators from +0, every product a fused
# multiply-add into its lane (one rounding); each step of 64 products gives products 16j ..
# 16j + 15 to accumulator j.  After the steps, the blocks of 16 left go to accumulators 0, 1,
# 0 in turn, and the last ``K % 16`` products into lanes 0 .. of accumulator 0 (a masked
# step: its other lanes add +0, which turns a -0 there into +0).  Then ``(a0 + a1) + (a2 +
# a3)``, halved (lane l + lane l + 8, then + 4), and the last four lanes ``(l0 + l1) + (l2 +
# l3)`` (rounded adds).  On 2 threads, from K = 8192 (checked up
# to K = 10**6), each half (the first ``(K + 1) // 2`` products, then the rest) summed so and
# the two sums added; on 1 thread no split (up to 10**6).  Strided operands (either stride
# not 1) take another kernel (:func:`_intel_strided_part`: 4 FMA lanes, halved to 2, a pair
# and a last product after them; K 1..250000, strides 1..3, 1 and 2 threads, the same halves
# from K = 8192); an expanded one (stride 0) is not mapped (NumPy's order).

_INTEL_DOT_MAX = 1_000_000  # products of one dot measured at most
_INTEL_STRIDED_MAX = 250_000  # products of one strided dot emulated at most
_INTEL_ROW_SPLIT = 256  # K from which 2 threads halve one row of the plain sgemv
_INTEL_BLAS_MIN = 4  # steps of 64 from which BLAS sums the lanes (fewer: NumPy's steps)
_INTEL_WIDE_STEPS = 96  # steps up to which one (64, 64) BLAS product sums them


def _intel_plain(x, y) -> bool:
    return type(x) is np.ndarray and type(y) is np.ndarray and x.dtype == _F32 and \
        y.dtype == _F32 and _mkl_gemm._backends._state["matmul_precision"] == "highest" and \
        _mkl_gemm.profile() == "intel"


def _intel_dot(x, y, threads=None):
    """:func:`dot` on the Intel processor (see above), or None where not measured."""
    if not _intel_plain(x, y) or x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        return None
    n = x.shape[0]
    if n == 0 or n > _INTEL_DOT_MAX:
        return None
    part = _intel_part
    if n == 1:  # (PyTorch passes unit strides then)
        x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    elif x.strides[0] != _ITEM or y.strides[0] != _ITEM:
        if x.strides[0] <= 0 or y.strides[0] <= 0 or n > _INTEL_STRIDED_MAX:
            return None  # (expanded: not measured)
        part = _intel_strided_part
    res = _halves(part, x, y, 0, 0, threads, _SPLIT_MIN, _INTEL_DOT_MAX)
    return None if res is None else np.asarray(res, _F32)


def _intel_part(x, y, px=0, py=0) -> _F32:
    """One thread's Intel ``sdot`` of contiguous float32 ``x``, ``y`` (errors ignored by the
    caller): the 64 lanes over the full steps (BLAS where it pays, :func:`_intel_lanes_blas`),
    then one :func:`ember._ops._mkl_gemm._fma_chains` over the rest's (at most 3) steps, the
    lanes without a product there adding -0 (which changes no sum, +0 and -0 included)."""
    n = x.shape[0]
    full = n // 64
    s = 64 * full
    lanes = None
    if full >= _INTEL_BLAS_MIN:
        # (one (64, 64) product for few steps, ~1.6x faster there than 4 of (16, 16))
        if full <= _INTEL_WIDE_STEPS and _intel_dot_blas_ok(64, 1):
            lanes = _intel_lanes_blas(x[:s], y[:s], full, 64, 1)
        elif _intel_dot_blas_ok():
            lanes = _intel_lanes_blas(x[:s], y[:s], full)
    rest = n - s
    blocks = rest // 16
    rows = (full if lanes is None else 0) + (blocks >= 1) + (blocks == 3) + (rest % 16 > 0)
    if rows:
        prods = np.full((rows, 64), -0.0)
        r = 0
        if lanes is None and full:
            np.multiply(x[:s].reshape(full, 64), y[:s].reshape(full, 64), out=prods[:full],
                        dtype=np.float64)
            r = full
        # (blocks of 16 to accumulators 0, 1, 0 in turn; the last K % 16 into accumulator 0)
        flat = prods[r:].reshape(-1)
        if blocks >= 1:
            np.multiply(x[s:s + 16], y[s:s + 16], out=flat[:16], dtype=np.float64)
        if blocks >= 2:
            np.multiply(x[s + 16:s + 32], y[s + 16:s + 32], out=flat[16:32], dtype=np.float64)
        e = 64 if blocks else 0
        if blocks == 3:
            np.multiply(x[s + 32:s + 48], y[s + 32:s + 48], out=flat[64:80], dtype=np.float64)
            e = 128
        if rest % 16:
            # (a masked load: the step adds +0 to accumulator 0's other lanes, turning a -0
            # there into +0)
            flat[e:e + 16] = 0.0
            np.multiply(x[s + 16 * blocks:], y[s + 16 * blocks:], out=flat[e:e + rest % 16],
                        dtype=np.float64)
        acc = _mkl_gemm._fma_chains(np.zeros(64, _F32) if lanes is None else lanes, prods)
    else:
        acc = lanes
    v = (acc[0:16] + acc[16:32]) + (acc[32:48] + acc[48:64])
    v = v[:8] + v[8:]
    v = v[:4] + v[4:]
    return (v[0] + v[1]) + (v[2] + v[3])


def _intel_lanes_blas(x, y, steps, width=16, groups=4):
    """The ``width * groups`` lanes' FMA chains from +0 over ``steps`` steps of that many
    products of contiguous ``x``, ``y`` (lane l over products l, l + width * groups, ...),
    through BLAS: per group j of ``width`` lanes, the diagonal of the (width, width) product
    ``X[:, j].T @ Y[:, j]`` of its lanes (each output one FMA chain over the steps from +0 in
    BLAS's small-matrix kernel, :func:`_intel_dot_blas_ok`; the diagonal's chains hold a
    lane's own products only).  None for more steps than that kernel takes, or where a lane
    is not finite (NaN payloads: the exact path's)."""
    if width * width * steps > _mkl_gemm._SMALL_GEMM:
        return None
    ld = width * groups
    c = np.empty((groups, width, width), _F32)
    px, py, pc = x.ctypes.data, y.ctypes.data, c.ctypes.data
    for j in range(groups):
        _mkl_gemm._blas.sgemm(False, True, width, width, steps, px + _ITEM * width * j, ld,
                              py + _ITEM * width * j, ld, 0.0, pc + _ITEM * width * width * j)
    _mkl_gemm._after_blas()
    lanes = np.ascontiguousarray(np.diagonal(c, axis1=1, axis2=2)).reshape(ld)
    return lanes if np.isfinite(lanes).all() else None


@functools.lru_cache(maxsize=None)
def _intel_dot_blas_ok(width=16, groups=4) -> bool:
    """Whether :func:`_intel_lanes_blas` gives the exact chains here (checked on first use:
    numbers far apart, zeros of both signs, products below float32's range, 8 steps up to
    the small-matrix kernel's limit)."""
    if not _mkl_gemm._blas.has_sgemm():
        return False
    rng = np.random.default_rng(29)
    ld = width * groups
    most = _mkl_gemm._SMALL_GEMM // (width * width)
    for steps, kind in ((8, 0), (37, 1), (300, 2), (most, 1), (1001, 3)):
        steps = min(steps, most)
        x = rng.standard_normal(ld * steps)
        y = rng.standard_normal(ld * steps)
        if kind == 1:
            x *= np.exp2(rng.integers(-40, 40, x.shape))
            y *= np.exp2(rng.integers(-40, 40, y.shape))
        elif kind == 2:
            x[rng.random(x.shape) < 0.4] = -0.0
            y[rng.random(y.shape) < 0.3] *= -1
        elif kind == 3:
            x *= 2.0 ** -70
        x, y = x.astype(_F32), y.astype(_F32)
        with np.errstate(all="ignore"):
            got = _intel_lanes_blas(x, y, steps, width, groups)
            prods = np.multiply(x.reshape(steps, ld), y.reshape(steps, ld), dtype=np.float64)
            want = _mkl_gemm._fma_chains(np.zeros(ld, _F32), prods)
        if got is None or not np.array_equal(got.view(np.uint32), want.view(np.uint32)):
            return False
    return True


def _intel_strided_part(x, y, px=0, py=0) -> _F32:
    """One thread's Intel ``sdot`` of strided float32 ``x``, ``y`` (either stride not 1;
    errors ignored by the caller): 4 lanes from +0, lane l an FMA chain over products l,
    l + 4, ... of the first ``4 (K // 4)``; then two lanes ``l0 + l2``, ``l1 + l3``, into
    which the next 2 products go by FMA where 2 or 3 are left; their sum, and a last odd
    product FMA'd onto it (measured: K 1..5003, strides 1..3 of either operand)."""
    n = x.shape[0]
    q = n // 4
    s = 4 * q
    lanes = None
    if q >= _INTEL_BLAS_MIN and _intel_dot_blas_ok(4, 1):
        lanes = _intel_lanes_blas(np.ascontiguousarray(x[:s]), np.ascontiguousarray(y[:s]), q,
                                  4, 1)
    if lanes is None:
        lanes = np.zeros(4, _F32)
        if q:
            prods = np.multiply(x[:s], y[:s], dtype=np.float64).reshape(q, 4)
            lanes = _mkl_gemm._fma_chains(lanes, prods)
    u = lanes[:2] + lanes[2:]
    if n - s >= 2:
        u = _mkl_gemm._fma_chains(u, np.multiply(x[s:s + 2], y[s:s + 2], dtype=np.float64)[None])
        s += 2
    res = u[:1] + u[1:]
    if s < n:
        res = _mkl_gemm._fma_chains(res, np.multiply(x[s:], y[s:], dtype=np.float64)[None])
    return res[0]


# ------------------------------------------------------- float64 dot products (ddot)
#
# ``torch.dot``/``vdot``/``inner`` of float64 vectors run MKL's ``ddot`` (measured as ``sdot``
# above, same processor, 1 and 2 threads; every add and product rounded, none fused):
#
# 1. Strided operands (either stride not 1): two lanes from +0, lane l taking products l, l + 2,
#    ...; an odd last product into lane 0; then ``l0 + l1``.
# 2. Else the first ``(-y) % 2`` products (``y``'s address in doubles, mod 2: to its 16-byte
#    boundary) into lane 0 from +0, whatever ``x``'s address; then four 2-lane accumulators,
#    each step adding 8 products (accumulator j takes products 2j, 2j + 1 of the step); after
#    the steps, pairs one by one into accumulator 0, an odd last product into lane 0; the
#    accumulators summed ``((a0 + a1) + a2) + a3`` lane by lane, then ``l0 + l1``.
#
# On 2 threads, for K >= 4096 (strided or not), the first ``(K + 1) // 2`` products and the rest
# are summed as above each (the second half from its own addresses) and the two sums added.
# Checked bit for bit on random products (K 1..4001 at every offset of either operand, strides
# 1..3, halves up to K = 2**23).

_F64 = np.float64
_ITEM64 = 8
_SPLIT_MIN64 = 4096  # K from which 2 threads split a float64 dot product in two halves
_SPLIT_MAX64 = 1 << 23  # K up to which that split is the one measured


def _part64(x, y, px, py) -> _F64:
    """One thread's ``ddot`` of 1-D float64 ``x``, ``y`` (``py``: ``y``'s address)."""
    n = x.shape[0]
    p = np.multiply(x, y)
    if x.strides[0] != _ITEM64 or y.strides[0] != _ITEM64:
        h = n // 2
        # (NumPy reduces over the first axis row after row, a rounded add per step; adding +0
        # turns a -0 sum into MKL's +0, whose lanes start at +0)
        acc = np.add.reduce(p[:2 * h].reshape(h, 2), axis=0) + _F64(0) if h else np.zeros(2)
        if n % 2:
            acc[0] += p[-1]
        return acc[0] + acc[1]
    peel = min((py // _ITEM64) % 2, n)
    start = p[0] + _F64(0) if peel else _F64(0)
    p = p[peel:]
    n -= peel
    n8 = n // 8
    s = 8 * n8
    acc = np.add.reduce(p[:s].reshape(n8, 8), axis=0) + _F64(0) if n8 else np.zeros(8)
    if peel:  # (lane 0 from the peeled product: its own chain)
        acc[0] = _chain64(p[:s:8], start)
    pairs = (n - s) // 2
    if pairs:
        buf = np.empty((1 + pairs, 2))
        buf[0] = acc[:2]
        buf[1:] = p[s:s + 2 * pairs].reshape(pairs, 2)
        acc[:2] = np.add.reduce(buf, axis=0)
        s += 2 * pairs
    if s < n:
        acc[0] += p[s]
    v = ((acc[0:2] + acc[2:4]) + acc[4:6]) + acc[6:8]
    return v[0] + v[1]


def _chain64(p, start) -> _F64:
    """``start`` plus the products ``p`` one by one, in order."""
    seq = np.empty(p.shape[0] + 1)
    seq[0] = start
    seq[1:] = p
    return np.add.accumulate(seq)[-1]


def dot64(x, y, threads=None):
    """``x . y`` for 1-D float64 NumPy vectors of one length as ``torch.dot`` rounds it (a 0-d
    float64 array), or None where that order is not reproduced."""
    if not (type(x) is np.ndarray and type(y) is np.ndarray and x.dtype == _F64 and
            y.dtype == _F64 and x.ndim == 1 and y.ndim == 1 and x.shape == y.shape):
        return None
    n = x.shape[0]
    if not _mkl_gemm.emulated():
        return _intel_dot64(x, y, threads) if _mkl_gemm.profile() == "intel" else None
    if n == 0 or n > _DOT_MAX:
        return None
    if n == 1 or x.strides[0] <= 0 or y.strides[0] <= 0:
        # (PyTorch passes unit strides for one product; no tensor has a negative stride: a
        # flipped one is a fresh copy, on a 64-byte boundary; an expanded one: not measured)
        if n > 1 and (x.strides[0] == 0 or y.strides[0] == 0):
            return None
        x = x if x.strides[0] > 0 and n > 1 else np.ascontiguousarray(x)
        y = y if y.strides[0] > 0 and n > 1 else np.ascontiguousarray(y)
    px, py = x.ctypes.data, y.ctypes.data
    if px % _ITEM64 or py % _ITEM64:
        return None
    res = _halves(_part64, x, y, px, py, threads, _SPLIT_MIN64, _SPLIT_MAX64)
    return None if res is None else np.asarray(res, _F64)


# ``torch.mv`` of a float64 matrix by columns (first stride 1, the plain ``dgemv``: ``A.t() @ v``
# for a contiguous A), and ``v @ W`` of a contiguous W (PyTorch's ``(1, K) @ W``), add the
# columns' products into +0 one column after another, in ascending k, every add and product
# rounded (checked bit for bit, 1 and 2 threads, M up to 100000, K up to 65536, ``v`` contiguous,
# strided or expanded).
#
# A matrix by rows (the transposed dgemv: second stride 1, rows ``lda`` doubles apart), ``v``
# contiguous: the groups of 4 rows sum each row in two lanes from +0: with ``t = (o + K - lda)
# % 2`` (``o``: A's address in doubles), the first ``h`` products (2 where ``K - t`` is even,
# else 1) go one by one into lane 0, then pairs (the first of each into lane 0, the second
# into lane 1) up to the last ``t``; then ``l0 + l1`` and the last ``t`` product added (checked
# bit for bit, 1 and 2 threads, M up to 1001, K up to 4097, lda up to K + 3, offsets 0..3).
# A single row after them (``M % 4 == 1``, M = 1 included): the first ``h`` products (2 where
# ``v``'s address in doubles is even, else 1) one by one into lane 0 of four 2-lane
# accumulators, then steps of 8 products (accumulator j takes products 2j, 2j + 1 of the
# step); the accumulators summed ``(a0 + a1) + (a2 + a3)``, then ``l0 + l1``, then the last
# ``(K - h) % 8`` products one by one (checked as above, v at offsets 0..3).  Two or three rows
# after the groups take yet another order (not found): NumPy's is kept there, as for any other
# layout.

def _products(a, v):
    """``a[i, k] * v[k]`` as a C-ordered (K, M) array (whose first axis NumPy reduces row after
    row, a rounded add per step; a reduce along a contiguous axis would be pairwise)."""
    p = np.empty(a.shape[::-1])
    np.multiply(a.T, v[:, None], out=p)
    return p


def axpy64(a, v):
    """``a @ v`` ((M, K) float64 times (K,)) summed column after column from +0."""
    with np.errstate(all="ignore"):
        return np.add.reduce(_products(a, v), axis=0) + _F64(0)


def _rows64(a, v):
    """The groups-of-4 rows' order of the transposed dgemv over every row of ``a`` (by rows)."""
    m, k = a.shape
    t = ((a.ctypes.data // _ITEM64) + k - a.strides[0] // _ITEM64) % 2
    h = min(2 if (k - t) % 2 == 0 else 1, k - t)
    nb = (k - t - h) // 2
    with np.errstate(all="ignore"):
        p = _products(a, v)
        lane0 = np.zeros(m)
        if h + nb:
            lane0 = np.add.reduce(np.concatenate([p[:h], p[h:h + 2 * nb:2]]), axis=0) + _F64(0)
        lane1 = np.add.reduce(p[h + 1:h + 2 * nb:2], axis=0) + _F64(0) if nb else np.zeros(m)
        out = lane0 + lane1
        if t:
            out += p[k - 1]
    return out


def _tail_row64(x, v) -> _F64:
    """A single row after the groups of 4 (or the only row) of the transposed dgemv."""
    k = x.shape[0]
    with np.errstate(all="ignore"):
        p = np.multiply(x, v)
        h = min(2 - (v.ctypes.data // _ITEM64) % 2, k)
        nb = (k - h) // 8
        s = h + 8 * nb
        acc = np.zeros(8)
        if nb:
            acc = np.add.reduce(p[h:s].reshape(nb, 8), axis=0) + _F64(0)
        if h:
            acc[0] = _chain64(p[h:s:8], _chain64(p[:h], _F64(0)))
        lane = (acc[0:2] + acc[2:4]) + (acc[4:6] + acc[6:8])
        return _chain64(p[s:], lane[0] + lane[1])


def mv64(a, v, threads=None, mm=False, bias=None):
    """``a @ v`` for a float64 (M, K) matrix and (K,) vector as ``torch.mv`` rounds it (``mm``:
    as ``torch.mm`` of a matrix and a column, or of a row and a matrix, rounds it; ``bias``
    (M,): added as ``addmm`` adds it, Intel profile only), or None where that order is not
    reproduced."""
    if not (type(a) is np.ndarray and type(v) is np.ndarray and a.dtype == _F64 and
            v.dtype == _F64 and a.ndim == 2 and v.ndim == 1 and a.shape[1] == v.shape[0]):
        return None
    m, k = a.shape
    s0, s1 = a.strides
    if not k or a.ctypes.data % _ITEM64 or v.ctypes.data % _ITEM64:
        return None
    if not _mkl_gemm.emulated():
        return _intel_mv64(a, v, threads, mm, bias) if _mkl_gemm.profile() == "intel" \
            else None
    if bias is not None:
        return None  # (the bias: :func:`addmm64`, Intel only)
    if m > 1 and s0 == _ITEM64 and s1 >= _ITEM64 * m and s1 % _ITEM64 == 0:
        return axpy64(a, v)
    if m % 4 > 1 and m < 4 or v.strides[0] != _ITEM64 or \
            m == 1 and (k == 1 or s1 != _ITEM64 or s0 == _ITEM64):
        return None  # (one row with a unit first stride: the plain dgemv's M = 1, not measured)
    if not (s1 == _ITEM64 and s0 >= _ITEM64 * k and s0 % _ITEM64 == 0):
        a = np.ascontiguousarray(a)  # (PyTorch copies it by rows, to a 64-byte boundary)
    g = 4 * (m // 4)
    out = np.empty(m)
    if g:
        out[:g] = _rows64(a[:g], v)
    if m - g == 1:
        out[g] = _tail_row64(a[g], v)
    elif g < m:
        out[g:] = a[g:] @ v  # (not measured: NumPy's order)
    return out


# ------------------------------------------- float64 products, Intel profile (ddot, dgemv)
#
# On the Intel processor (:func:`ember._ops._mkl_gemm.profile` ``"intel"``; measured black-box
# as above: probes of +2**70, -2**70 and ones, then random operands checked bit for bit against
# ``torch``, 1 and 2 threads) every product of MKL's ``ddot``/``dgemv`` goes into a fused
# multiply-add (one rounding), every lane from +0:
#
# - ``ddot`` of contiguous operands, at any addresses: four 8-lane accumulators, each step of
#   32 products giving products 8j .. 8j + 7 to accumulator j; after the steps the blocks of 8
#   left go to accumulators 0, 1, 0 in turn and the last ``K % 8`` into lanes 0 .. of
#   accumulator 0 (a masked step: its other lanes add +0); then ``(a0 + a1) + (a2 + a3)`` lane
#   by lane, halved (lane l + lane l + 4, then + 2, + 1).  On 2 threads from K = 4096 the
#   first ``(K + 1) // 2`` products and the rest each summed so, the two sums added.
# - The transposed ``dgemv`` (A by rows: ``torch.mv``, ``A @ w`` of a (K, 1) ``w``, ``x @
#   W.t()`` for one output feature, ``nn.Linear(K, 1)``, ``F.linear`` of a 1-D input), at any
#   address and row stride: per row two sets of 8 lanes over the steps of 16 products (the
#   first set products 0 .. 7 of each step, the second 8 .. 15), the sets added lane by lane,
#   the last ``K % 16`` products into lane ``k % 8`` of that sum, and the 8 lanes reduced
#   ``((l0 + l2) + (l1 + l3)) + ((l4 + l6) + (l5 + l7))``.  On 2 threads K halved (each half
#   summed so, the sums added) for 2..100 rows from K = 10000, for one row from K = 17536
#   (not for 101 rows or more: checked up to K = 100000).
# - The plain ``dgemv`` (A by columns, PyTorch's test first: ``torch.mv`` of ``A.t()``, ``v @
#   W``, a row times a (K, 1) column in ``mm``): one FMA chain per output in ascending k; on 2
#   threads K halved (the first ``(K + 1) // 2`` products and the rest, each a chain from +0,
#   then added) from K = 128 where ``(M + 64) * K >= 17600`` (for 41 <= M <= 69 up to K = 150,
#   then from K = 1000).
#   A bias (``addmv``, ``addmm``): the chains start there, but for a split (then added to the
#   halves' sum); by rows it is added to the sums, or for a split to the first half's.
#
# Checked on M 1..512, K 1..10000, offsets and row strides, 1 and 2 threads (see
# tests/test_mkl_dgemv_intel.py).  Not mapped (NumPy's order): strided dot operands, a strided
# or expanded ``v``, ``torch.mv`` of a single row by columns where 2 threads would split K (not
# halves as ``mm``'s), more than 2 threads.

_INTEL_SPLIT64 = 4096  # K from which 2 threads halve a float64 dot product
_INTEL_DOT64_MAX = 1 << 22  # products of one float64 dot emulated at most
_INTEL_MV64_MAX = 1 << 24  # products of one float64 matrix-vector product emulated at most
_INTEL_ROWS_SPLIT = 10000  # K from which 2 threads halve the transposed dgemv of 2..100 rows
_INTEL_ROWS_SPLIT_M = 100
_INTEL_ROWS_SPLIT1 = 17536  # (of a single row)


def _fma64(a, b, c):
    from .._random import _fma64 as fma

    return fma(a, b, c)


def _intel_dot64_part(x, y, px=0, py=0) -> _F64:
    """One thread's Intel ``ddot`` of contiguous float64 ``x``, ``y`` (errors ignored)."""
    n = x.shape[0]
    full = n // 32
    s = 32 * full
    acc = np.zeros(32)
    if full:
        acc = _fast_chains(acc, x[:s].reshape(full, 32).T, y[:s].reshape(full, 32), True)
    acc = acc.reshape(4, 8)
    for j in (0, 1, 0):  # (the blocks of 8 left: accumulators 0, 1, 0)
        if n - s < 8:
            break
        acc[j] = _fma64(x[s:s + 8], y[s:s + 8], acc[j])
        s += 8
    if s < n:  # (a masked step: the lanes without a product add +0)
        px_, py_ = np.zeros(8), np.zeros(8)
        px_[:n - s], py_[:n - s] = x[s:], y[s:]
        acc[0] = _fma64(px_, py_, acc[0])
    v = (acc[0] + acc[1]) + (acc[2] + acc[3])
    v = v[:4] + v[4:]
    v = v[:2] + v[2:]
    return v[0] + v[1]


def _intel_dot64(x, y, threads=None):
    """:func:`dot64` on the Intel processor (see above), or None where not measured."""
    n = x.shape[0]
    if n == 0 or n > _INTEL_DOT64_MAX:
        return None
    if n == 1:  # (PyTorch passes unit strides then)
        x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    elif x.strides[0] != _ITEM64 or y.strides[0] != _ITEM64:
        return None  # (strided: another kernel, not mapped)
    res = _halves(_intel_dot64_part, x, y, 0, 0, threads, _INTEL_SPLIT64, _INTEL_DOT64_MAX)
    return None if res is None else np.asarray(res, _F64)


def _chains64(start, x, y):
    """FMA chains from ``start`` (shape S): ``acc = fma(x[s], y[s], acc)`` for each step s of
    ``x``, ``y`` ((steps, *S), ``y`` broadcastable), one rounding per step."""
    acc = start
    with np.errstate(all="ignore"):
        for s in range(x.shape[0]):
            acc = _fma64(x[s], y[s], acc)
    return acc


_CHAIN_CALL = 1 << 19  # M * N * K of one BLAS product summing chains (its small-matrix kernel)
_CHAIN_ROWS = 512  # chains per BLAS product at most


def _blas_chains(start, a, b, diag=False):
    """FMA chains through NumPy's BLAS: chain r from ``start[r]`` over the steps s of ``a[r, s]
    * b[s]`` (``b`` (S,)), or with ``diag`` of ``a[r, s] * b[s, r]`` (``b`` (S, R)).  Each a
    (R, 1 + S') by columns times (1 + S', N) product (N = 2, or R with ``diag``) whose first
    column holds the chains so far and first row ones: BLAS's kernel sums each output as one
    FMA chain from +0 in ascending k (checked on first use, :func:`_blas_chains_ok`)."""
    r, steps = a.shape
    out = np.array(start, _F64)
    rows = r if diag else min(r, _CHAIN_ROWS)
    for r0 in range(0, r, rows):
        r1 = min(r0 + rows, r)
        rr = max(r1 - r0, 2)  # (one chain runs as two: a single row takes another kernel)
        n = r if diag else 2
        kb = max(1, _CHAIN_CALL // (rr * n) - 1)
        acc = out[r0:r1]
        for k0 in range(0, steps, kb):
            k1 = min(k0 + kb, steps)
            lhs = np.empty((1 + k1 - k0, rr))
            lhs[0, :r1 - r0] = acc
            lhs[1:, :r1 - r0] = a[r0:r1, k0:k1].T
            if rr > r1 - r0:
                lhs[:, 1] = lhs[:, 0]
            rhs = np.empty((1 + k1 - k0, n))
            rhs[0] = 1.0
            if diag:
                rhs[1:] = b[k0:k1]
                acc = np.diagonal(lhs.T @ rhs).copy()
            else:
                rhs[1:] = b[k0:k1, None]
                acc = (lhs.T @ rhs)[:r1 - r0, 0]
        out[r0:r1] = acc
    return out


@functools.lru_cache(maxsize=None)
def _blas_chains_ok() -> bool:
    """Whether :func:`_blas_chains` gives the exact chains here (checked on first use against
    :func:`_chains64`: numbers far apart, zeros of both signs, one and many blocks)."""
    rng = np.random.default_rng(31)
    for r, steps, diag, kind in ((1, 5, False, 0), (2, 300, False, 1), (3, 70, False, 2),
                                 (1, 1, False, 1), (5, 2, False, 2), (4, 1, True, 0),
                                 (130, 9, False, 0), (600, 3, False, 1), (2, 1500, False, 0),
                                 (16, 40, True, 0), (32, 700, True, 1), (8, 3, True, 2)):
        a = rng.standard_normal((r, steps))
        b = rng.standard_normal((steps, r) if diag else steps)
        if kind == 1:
            a *= np.exp2(rng.integers(-200, 200, a.shape))
        elif kind == 2:
            a[rng.random(a.shape) < 0.4] = -0.0
            b[rng.random(b.shape) < 0.3] *= -1
        start = rng.standard_normal(r)
        with np.errstate(all="ignore"):
            got = _blas_chains(start, a, b, diag)
            bb = b if diag else b[:, None]
            want = _chains64(start, a.T, bb)
        if not np.array_equal(got.view(np.int64), want.view(np.int64)):
            return False
    return True


def _fast_chains(start, a, b, diag=False):
    """:func:`_blas_chains` where it is exact, else :func:`_chains64` (and for the chains that
    come out NaN or inf: the exact path's, as BLAS may treat them otherwise)."""
    if not a.shape[1] or not _blas_chains_ok():
        return _chains64(start, a.T, b if diag else b[:, None])
    with np.errstate(all="ignore"):
        got = _blas_chains(start, a, b, diag)
    bad = ~np.isfinite(got)
    if bad.any():
        got[bad] = _chains64(start[bad], a[bad].T, b[:, bad] if diag else b[:, None])
    return got


def _intel_rows64(a, v):
    """The transposed dgemv (``a`` (M, K) by rows) on the Intel processor."""
    m, k = a.shape
    main = 16 * (k // 16)
    with np.errstate(all="ignore"):
        if main:
            lanes = np.empty((m, 16))
            for j in range(16):  # (lane j: one chain per row over products j, j + 16, ...)
                lanes[:, j] = _fast_chains(np.zeros(m), a[:, j:main:16], v[j:main:16])
            acc = lanes[:, :8] + lanes[:, 8:]
        else:
            acc = np.zeros((m, 8))
        for s in range(main, k, 8):
            e = min(s + 8, k)
            acc[:, :e - s] = _fma64(a[:, s:e], v[s:e], acc[:, :e - s])
        h = (acc[:, 0::4] + acc[:, 2::4]) + (acc[:, 1::4] + acc[:, 3::4])
        return h[:, 0] + h[:, 1]


def _intel_cols_split(m, k) -> bool:
    """Whether 2 threads halve K in the plain dgemv of an (M, K) matrix (measured)."""
    split = k >= 128 and (m + 64) * k >= 17600
    if 41 <= m <= 69:  # (measured: a window up to K = 150, then none below K = 1000)
        return split and k <= 150 or k >= 1000
    return split


def _intel_cols64(a, v, threads, bias=None):
    """The plain dgemv (one FMA chain per output, K halved on 2 threads where it is): with a
    ``bias``, the chains start there (a split: the halves' sum added to it)."""
    m, k = a.shape
    with np.errstate(all="ignore"):
        if threads == 2 and _intel_cols_split(m, k):
            h = (k + 1) // 2
            return _with_bias(bias, _fast_chains(np.zeros(m), a[:, :h], v[:h]) +
                              _fast_chains(np.zeros(m), a[:, h:], v[h:]))
        return _fast_chains(np.zeros(m) if bias is None else np.array(bias, _F64), a, v)


def addmm64(c, x, y):
    """``c + x @ y`` for float64 (M, K) ``x`` and (K, N) ``y`` with M = 1 or N = 1 and ``c``
    broadcastable to (M, N), as ``torch.addmm`` (``nn.Linear``) rounds it on the Intel
    processor: the dgemv's sum added to ``c`` (where 2 threads halve K by rows, ``(c + s1) +
    s2``); None elsewhere."""
    if _mkl_gemm.profile() != "intel" or not (type(c) is np.ndarray and c.dtype == _F64):
        return None
    m, n = x.shape[0], y.shape[1]
    if m == 1:
        a, v = y.T, x[0]
    elif n == 1:
        a, v = x, y[:, 0]
    else:
        return None
    bias = np.broadcast_to(c, (m, n)).reshape(-1)
    out = mv64(a, v, None, True, bias)
    return None if out is None else out.reshape(m, n)


def addmv64(c, a, v, beta=1.0, alpha=1.0):
    """``beta * c + alpha * (a @ v)`` for float64 ``c`` broadcastable to (M,) as
    ``torch.addmv`` rounds it on the Intel processor (α and β 1 only); None elsewhere."""
    if beta != 1 or alpha != 1 or _mkl_gemm.profile() != "intel" or \
            not (type(c) is np.ndarray and c.dtype == _F64 and c.ndim <= 1) or \
            not (type(a) is np.ndarray and a.ndim == 2):
        return None
    return mv64(a, v, None, False, np.broadcast_to(c, a.shape[:1]))


def _intel_mv64(a, v, threads, mm, bias=None):
    """:func:`mv64` on the Intel processor (see above), or None where not measured."""
    m, k = a.shape
    if not k or not m or m * k > _INTEL_MV64_MAX or v.strides[0] != _ITEM64 and k > 1:
        return None
    threads = _mkl_gemm._threads(threads)
    if threads not in (1, 2):
        return None
    s0, s1 = a.strides
    if s0 == _ITEM64 and s1 >= _ITEM64 * m and s1 % _ITEM64 == 0:
        if m == 1 and (bias is not None or not mm and threads == 2 and
                       _intel_cols_split(m, k)):
            return None  # (one such row with a bias, or by ``torch.mv`` split: not mapped)
        return _intel_cols64(a, v, threads, bias)
    if not (s1 == _ITEM64 and s0 >= _ITEM64 * k and s0 % _ITEM64 == 0):
        a = np.ascontiguousarray(a)  # (PyTorch copies it by rows)
    if threads == 2 and (k >= _INTEL_ROWS_SPLIT1 if m == 1 else
                         m <= _INTEL_ROWS_SPLIT_M and k >= _INTEL_ROWS_SPLIT):
        h = (k + 1) // 2  # (2 threads halve K: each half's sums, then added; a bias first)
        with np.errstate(all="ignore"):
            first = _intel_rows64(a[:, :h], v[:h])
            if bias is not None:
                first = bias + first
            return first + _intel_rows64(a[:, h:], v[h:])
    return _with_bias(bias, _intel_rows64(a, v))


def _with_bias(bias, out):
    if bias is None:
        return out
    with np.errstate(all="ignore"):
        return bias + out


# ---------------------------------------------------------- matrix times vector (sgemv)

def _mv_ok(a, v) -> bool:
    if not _plain(a, v) or a.ndim != 2 or v.ndim != 1 or a.shape[1] != v.shape[0] or \
            not a.size:
        return False
    return v.strides[0] > 0 or v.shape[0] <= 1  # (an expanded v: another order, not mapped)


def _strided_tail(x, w) -> _F32:
    """A row left after the groups of 4 (or a single row) of the transposed sgemv when ``v``
    is strided: the first product into lane 0, 8 lanes over the next ``8 * ((K - 1) // 8)``
    (lane l: products 1 + l, 9 + l, ...), the lanes added in order ``((l0 + l1) + l2) + ...
    + l7``, then the rest one by one; every lane from +0."""
    k = x.shape[0]
    p = np.multiply(x, w, dtype=_F32)
    n8 = (k - 1) // 8
    lanes = np.zeros((1 + n8, 8), _F32)
    lanes[0, 0] = p[0]
    lanes[1:] = p[1:1 + 8 * n8].reshape(n8, 8)
    seq = np.empty(8 + k - 1 - 8 * n8, _F32)
    seq[:8] = np.add.reduce(lanes, axis=0)  # (row after row: see _kernel16)
    seq[8:] = p[1 + 8 * n8:]
    return np.add.accumulate(seq)[-1] + _F32(0)


def _rows_transposed(a) -> bool:
    """Whether PyTorch runs ``a`` through the transposed sgemv (by rows, or copied to rows:
    its test gives the plain sgemv to a unit first stride, by columns)."""
    if a.shape[0] == 1:
        return a.shape[1] > 1 and a.strides[0] != _ITEM
    lay = _mkl_gemm._layout(a)
    return lay is None or lay[0]


def _gemv(a, v, bias, alpha, beta, threads):
    if not _mv_ok(a, v):
        return _intel_addmv(a, v, bias, alpha, beta, threads)
    alpha, beta = float(alpha), float(beta)
    m, k = a.shape
    if bias is not None and beta == 0:
        bias = None
    if k == 1 and alpha != 1 and a.strides[0] == _ITEM:
        # (K = 1 through the plain sgemv, A's first stride 1: alpha scales v first, rounded)
        with np.errstate(all="ignore"):
            v = np.multiply(v, _F32(alpha), dtype=_F32)
        alpha = 1.0
    by_rows = _rows_transposed(a)
    strided = by_rows and k > 1 and v.strides[0] != _ITEM
    first = 4 * (m // 4)  # (the rows after the groups of 4 take other orders)
    if m == 1 and by_rows:
        # a single row: the transposed sgemv's order for a row after the groups of 4 (8
        # lanes, _dot_tail), at any address, not sgemm's M = N = 1 chain
        out = np.empty(1, _F32)
    else:
        col = None if bias is None else (bias.reshape(-1, 1) if bias.ndim else
                                          bias.reshape(1, 1))
        out = _mkl_gemm._run(a, v[:, None], col, alpha, beta, threads)
        if out is None:
            return None
        out = out[:, 0]
        if first == m or not strided:
            return out
    with np.errstate(all="ignore"):
        tail = np.ascontiguousarray(a[first:])
        if strided:
            res = np.array([_strided_tail(row, v) for row in tail], _F32)
        else:
            res = _mkl_gemm._dot(tail, v)[:, 0]
        if alpha != 1:
            res *= _F32(alpha)
        if bias is not None:
            c = np.broadcast_to(bias, (m,))[first:]
            res = (c * _F32(beta) if beta != 1 else c) + res
    out[first:] = res
    return out


def _intel_mv(a, v, threads):
    """``a @ v`` on the Intel processor: MKL's sgemv sums as its sgemm of ``a`` times the
    column ``v`` (:mod:`ember._ops._mkl_gemm`'s ``"intel-gemv"`` for ``a`` by rows,
    ``"intel-rowv"`` by columns; checked bit for bit against ``torch.mv``: M 1..600, K
    1..1500, both layouts, 1 and 2 threads), and a single row by rows as the first row after
    the groups of 4 of :func:`ember._ops._mkl_gemm._intel_gemv` (by columns: one FMA chain);
    a strided v: :func:`_intel_mv_strided`.  None elsewhere (NumPy's order)."""
    if not (_intel_plain(a, v) and a.ndim == 2 and v.ndim == 1 and a.shape[1] == v.shape[0]
            and a.size):
        return None
    m, k = a.shape
    if v.strides[0] != _ITEM and k > 1:
        return _intel_mv_strided(a, v, threads)
    if k == 1 and a.strides[0] == _ITEM:
        # (PyTorch passes an (M, 1) matrix with unit first stride to the plain sgemv, whatever
        # its second: each output one FMA from +0, an underflow keeping its sign)
        with np.errstate(all="ignore"):
            p = np.multiply(a[:, 0], v[0], dtype=np.float64)[None]
            return _mkl_gemm._fma_chains(np.zeros(m, _F32), p)
    if m == 1:
        with np.errstate(all="ignore"):
            if a.strides[0] == _ITEM:
                # (the plain sgemv of one row: one FMA chain from +0, as measured for K up to
                # 10000 on 1 thread and K < 256 on 2; from there 2 threads halve K, the
                # first (K + 1) // 2 products and the rest each one chain, then added)
                p = np.multiply(a[0], v, dtype=np.float64)[:, None]
                t = _mkl_gemm._threads(threads)
                if k < _INTEL_ROW_SPLIT or t == 1:
                    return _mkl_gemm._fma_chains(np.zeros(1, _F32), p)
                if t != 2:
                    return None
                h = (k + 1) // 2
                zero = np.zeros(1, _F32)
                # (the halves added onto C's +0: a sum of -0 comes out +0)
                return (_mkl_gemm._fma_chains(zero, p[:h]) + _mkl_gemm._fma_chains(zero, p[h:])
                        + _F32(0))
            if a.strides[1] != _ITEM:
                return None
            # (C starts at +0, as in _mkl_gemm._intel_gemv_run)
            return _mkl_gemm._intel_gemv(a, v) + _F32(0)
    out = _mkl_gemm._run(a, v[:, None], None, 1.0, 1.0, threads)
    return None if out is None else out[:, 0]


def _intel_addmv(a, v, bias, alpha, beta, threads):
    """:func:`_gemv` on the Intel processor: :func:`_intel_mv`, and with a bias, α or β
    (``addmv``) MKL's sgemm of ``a`` by rows times the column ``v`` as :mod:`ember._ops.
    _mkl_gemm` gives it where its plan claims it (checked against ``torch.addmv``: M 2..400,
    K 2..1500, α and β, 1 and 2 threads); None elsewhere."""
    alpha, beta = float(alpha), float(beta)
    if bias is not None and beta == 0:
        bias, beta = None, 1.0  # (PyTorch ignores the input then, NaN and inf included)
    if bias is None and alpha == 1 and beta == 1:
        return _intel_mv(a, v, threads)
    if not (_intel_plain(a, v) and a.ndim == 2 and v.ndim == 1 and a.shape[1] == v.shape[0]
            and a.shape[0] > 1 and a.shape[1] > 1 and v.strides[0] == _ITEM):
        return None
    lay = _mkl_gemm._layout(a)
    if lay is None or not lay[0] or bias is not None and (type(bias) is not np.ndarray or
                                                          bias.dtype != _F32):
        return None
    col = None if bias is None else (bias.reshape(-1, 1) if bias.ndim else bias.reshape(1, 1))
    out = _mkl_gemm._run(a, v[:, None], col, alpha, beta, threads)
    return None if out is None else out[:, 0]


def _intel_mv_strided(a, v, threads):
    """:func:`_intel_mv` of a strided ``v`` (stride over 1): for ``a`` by rows (2 rows at
    least) the contiguous ``v``'s order, but for the second of the rows after the groups of 4,
    which sums as the first and third do (32 lanes while 32 products are left: measured, 1 and
    2 threads, M 2..60, K 2..2000, strides 2 and 3), in each half of the rows where 2 threads
    split them; None elsewhere (a single row, ``a`` by columns: not mapped)."""
    m, k = a.shape
    lay = _mkl_gemm._layout(a)
    if v.strides[0] <= 0 or m < 2 or lay is None or not lay[0]:
        return None
    vc = np.ascontiguousarray(v)
    t = _mkl_gemm._threads(threads)
    if t not in (1, 2) or k * m > _mkl_gemm._EMULATED_MAX:
        return None
    split = t == 2 and _mkl_gemm._intel_gemv_split(k, m)
    if split is None:
        return None
    h = (m + 1) // 2 if split else m
    with np.errstate(all="ignore"):
        out = np.empty(m, _F32)
        for s, e in ((0, h), (h, m)):
            if s == e:
                continue
            w = a[s:e]
            out[s:e] = _mkl_gemm._intel_gemv(w, vc)
            r = 4 * ((e - s) // 4) + 1  # (the second row after the groups)
            if r < e - s:
                out[s + r] = _mkl_gemm._intel_gemv_rows(w[r:r + 1], vc, vc.astype(np.float64),
                                                        True)[0]
        out += _F32(0)  # (C starts at +0, as in _mkl_gemm._intel_gemv_run)
    return out


def mv(a, v, threads=None):
    """``a @ v`` ((M, K) times (K,)) as ``torch.mv`` rounds it, or None where not reproduced."""
    return _gemv(a, v, None, 1.0, 1.0, threads)


def addmv(bias, a, v, beta=1.0, alpha=1.0, threads=None):
    """``beta * bias + alpha * (a @ v)`` as ``torch.addmv`` rounds it (``bias`` broadcastable
    to (M,)), or None where not reproduced."""
    if type(bias) is not np.ndarray or bias.dtype != _F32 or bias.ndim > 1 or alpha == 0:
        return None  # (alpha 0: BLAS may skip the product: not measured)
    return _gemv(a, v, bias, alpha, beta, threads)
