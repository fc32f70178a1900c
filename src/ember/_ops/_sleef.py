"""The vector math PyTorch's CPU softmax kernels use, reproduced bit for bit in NumPy.

PyTorch's ``softmax`` and ``log_softmax`` along the last dim exponentiate with Sleef's
``expf`` (accurate to one ulp, not correctly rounded, and not NumPy's), add each row's
exponentials in SIMD lanes folded by a shuffle tree, and ``log_softmax`` takes Sleef's
``logf`` of the sums.  ``expf`` follows Sleef's published
algorithm: a range reduction by ln 2 in two parts, a degree-6 polynomial evaluated with
fused multiply-adds (each emulated exactly in float64: the products of float32 values are
exact there), and a scaling by two powers of two.
"""
from __future__ import annotations

import numpy as np

from .._random import cpu_capability
from ._cascade import fold_left

_F32, _F64 = np.float32, np.float64
_INV_LN2 = _F32(1.442695040888963407359924681001892137426645954152985934135449406931)
_LN2_HI = _F64(_F32(0.693145751953125))
_LN2_LO = _F64(_F32(1.428606765330187045e-06))
_POLY = [_F64(_F32(c)) for c in (0.000198527617612853646278381, 0.00139304355252534151077271,
                                 0.00833336077630519866943359, 0.0416664853692054748535156,
                                 0.166666671633720397949219, 0.5)]


_BLOCK = 1 << 18  # elements per pass: the float64 temporaries stay small


def expf(x):
    """``exp`` of a float32 array as Sleef's ``expf_u10`` computes it."""
    d = np.asarray(x, _F32)
    if d.size > _BLOCK:  # in blocks, so a large input needs no large float64 copies
        flat = np.ascontiguousarray(d).reshape(-1)
        out = np.empty_like(flat)
        for i in range(0, flat.size, _BLOCK):
            out[i:i + _BLOCK] = _expf(flat[i:i + _BLOCK])
        return out.reshape(d.shape)
    return _expf(d)


def _expf(d):
    with np.errstate(all="ignore"):
        qf = np.rint(d * _INV_LN2)
        q64 = qf.astype(_F64)
        s = (q64 * -_LN2_HI + d).astype(_F32)  # each line a fused multiply-add: one rounding
        s = (q64 * -_LN2_LO + s).astype(_F32)
        s64 = s.astype(_F64)
        u = (s64 * _POLY[0] + _POLY[1]).astype(_F32)
        for c in _POLY[2:]:
            u = (u.astype(_F64) * s64 + c).astype(_F32)
        u = _F32(1) + ((s * s).astype(_F64) * u + s).astype(_F32)
        u = np.ldexp(u, qf.astype(np.int32))  # (one rounding, as Sleef's two exact steps)
        if not (np.abs(d) <= 100).all():  # underflow, overflow, NaN
            u = np.where(d < -104, _F32(0), u)
            u = np.where(d > 100, _F32(np.inf), u)
            u = np.where(np.isnan(d), d, u)
        return u.astype(_F32, copy=False)


def _fma32(a, b, c):
    """float32 ``a * b + c`` with one rounding (float32 operands)."""
    return (a.astype(_F64) * b + c).astype(_F32)


def _two_sum(x, y):
    """``x + y`` as a float32 pair (head, tail) that holds it exactly."""
    s = x + y
    v = s - x
    return s, (x - (s - v)) + (y - v)


def _pair_div(n, d):
    """The pair ``n / d`` of two float32 pairs, as Sleef divides them with fused ops."""
    t = _F32(1) / d[0]
    s = n[0] * t
    u = _fma32(t, n[0], -s)
    v = _fma32(-d[1], t, _fma32(-d[0], t, _F32(1)))
    return s, _fma32(s, v, _fma32(n[1], t, u))


_LN2_PAIR = (_F32(0.69314718246459960938), _F32(-1.904654323148236017e-09))
_LOG_POLY = [_F32(c) for c in (0.3027294874, 0.3996108174, 0.6666694880)]


def logf(x):
    """``log`` of a float32 array as Sleef's ``logf_u10`` computes it: ``x = m * 2**e`` with
    ``m`` in [0.75, 1.5), ``log m = 2 atanh((m - 1) / (m + 1))`` by a short series, all in
    float32 pairs (head and tail) so that the result is within an ulp."""
    d = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        m, e = np.frexp(d)  # m in [0.5, 1)
        low = m < _F32(0.75)
        m = np.where(low, m * _F32(2), m).astype(_F32)
        e = np.where(low, e - 1, e).astype(_F32)
        q = _pair_div(_two_sum(_F32(-1), m), _two_sum(_F32(1), m))
        q2 = q[0] * q[0]
        t = _fma32(q2, _LOG_POLY[0], _LOG_POLY[1])
        t = _fma32(t, q2, _LOG_POLY[2])
        # s = ln2 * e (a pair), + 2 q (a pair), + q^3 t
        head = _LN2_PAIR[0] * e
        s = head, _fma32(e, _LN2_PAIR[1], _fma32(e, _LN2_PAIR[0], -head))
        h = s[0] + q[0] * _F32(2)
        s = h, (((s[0] - h) + q[0] * _F32(2)) + s[1]) + q[1] * _F32(2)
        tail = (q2 * q[0]) * t
        h = s[0] + tail
        r = h + (((s[0] - h) + tail) + s[1])
        if not ((d > 0) & (d < np.inf)).all():  # zero, negative, infinite, NaN
            r = np.where(d == np.inf, _F32(np.inf), r)
            r = np.where(d == 0, _F32(-np.inf), r)
            r = np.where((d < 0) | np.isnan(d), _F32(np.nan), r)
        return r.astype(_F32, copy=False)


# float32 lanes of the vectors PyTorch's softmax kernels run on: the machine's (unlike its sum
# kernel, which ``_cascade`` measures at 8 lanes everywhere)
LANES = 16 if cpu_capability() == "avx512" else 8


def row_sums(e):
    """Each row of ``e`` (rows, n) summed as PyTorch's ``map_reduce_all`` sums it: lanes
    accumulate whole vectors in order, the tail adds into the first lanes, then a shuffle
    tree folds the lanes in halves; a row shorter than a vector adds left to right."""
    rows, n = e.shape
    if n < LANES:
        return fold_left(e)
    full = n - n % LANES
    acc = np.add.reduce(np.ascontiguousarray(e[:, :full]).reshape(rows, -1, LANES), axis=1)
    acc[:, :n - full] += e[:, full:]
    while acc.shape[1] > 1:
        half = acc.shape[1] // 2
        acc = acc[:, :half] + acc[:, half:]
    return acc[:, 0]


# -- PyTorch's CPU pointwise loop: vector blocks, then a scalar tail --------------------------
# NOTE: PyTorch's CPU elementwise kernels (``cpu_kernel_vec``) run the innermost loop, after
# merging the dims that are contiguous in memory, in blocks of 32 float32 values with the
# vector code (Sleef's ``expf`` for ``sigmoid``/``silu``; fused multiply-adds where the compiler
# contracted), and the leftover ``n % 32`` values, or a loop whose inner stride is not one
# element, with the scalar code (the C library's ``expf``). Measured on AVX2 and AVX512
# builds alike; with ``ATEN_CPU_CAPABILITY=default`` every value takes the scalar code.
BLOCK = 32
VECTORIZED = cpu_capability() != "default"


def vector_mask(a, *others):
    """Which values of the float32 array ``a`` PyTorch's vector code computes: ``True``
    (all), ``None`` (none) or a boolean array of ``a``'s shape. ``others`` are the kernel's
    other operands (same shape, any layout): the loop order follows the first one (a
    gradient), and a dim merges into the inner loop only where every operand is contiguous."""
    if not VECTORIZED or type(a) is not np.ndarray or a.size == 0:
        return None
    arrays = (*others, a)
    if any(type(o) is not np.ndarray or o.shape != a.shape for o in others):
        return None
    dims = sorted((tuple(abs(o.strides[k]) for o in arrays), n, k)
                  for k, n in enumerate(a.shape) if n > 1)
    if not dims:
        return None
    inner, merged = [o.itemsize for o in arrays], []
    for strides, n, k in dims:  # merge dims into one contiguous inner loop while they chain
        if list(strides) != inner:
            break
        merged.append((k, n))
        inner = [i * n for i in inner]
    if not merged:
        return None
    length = int(np.prod([n for _, n in merged]))
    full = length - length % BLOCK
    if full == length:
        return True
    if full == 0:
        return None
    pos, step = np.zeros((), np.int64), 1
    for k, n in merged:
        shape = [1] * a.ndim
        shape[k] = n
        # (a negative stride counts in index order: PyTorch's copy from ``flip`` is forward)
        pos = pos + np.arange(n).reshape(shape) * step
        step *= n
    return np.broadcast_to(pos < full, a.shape)


def split(a, vector, scalar, *others):
    """``vector(a)`` where PyTorch's vector code runs on float32 ``a`` (with the kernel's
    ``others`` operands), ``scalar(a)`` on the rest (each a function of the whole array)."""
    m = vector_mask(a, *others)
    if m is None:
        return scalar(a)
    if m is True:
        return vector(a)
    return np.where(m, vector(a), scalar(a))
