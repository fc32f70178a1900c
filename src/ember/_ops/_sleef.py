"""The vector math PyTorch's CPU softmax kernels use, reproduced bit for bit in NumPy.

PyTorch's ``softmax`` and ``log_softmax`` along the last dim exponentiate with Sleef's
``expf`` (accurate to one ulp, not correctly rounded, and not NumPy's) and add each row's
exponentials in SIMD lanes folded by a shuffle tree.  ``expf`` follows Sleef's published
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


def _fma(a, b, c):
    """float32 ``a * b + c`` with one rounding (operands are float32 values held in float64)."""
    return (a * b + c).astype(_F32).astype(_F64)


def expf(x):
    """``exp`` of a float32 array as Sleef's ``expf_u10`` computes it."""
    d = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        q = np.rint(d * _INV_LN2).astype(np.int32)
        qf = q.astype(_F64)
        s = _fma(qf, -_LN2_HI, d.astype(_F64))
        s = _fma(qf, -_LN2_LO, s)
        u = np.full(d.shape, _POLY[0])
        for c in _POLY[1:]:
            u = _fma(u, s, c)
        ss = (s * s).astype(_F32).astype(_F64)
        u = _F32(1) + _fma(ss, u, s).astype(_F32)
        half = q >> 1
        u = u * ((half + 127).astype(np.uint32) << 23).view(_F32)
        u = u * ((q - half + 127).astype(np.uint32) << 23).view(_F32)
        u = np.where(d < -104, _F32(0), u)
        u = np.where(d > 100, _F32(np.inf), u)
        return np.where(np.isnan(d), d, u).astype(_F32, copy=False)


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
