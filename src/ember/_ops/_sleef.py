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

import functools
import math

import numpy as np

from .._random import _fma32 as fma32  # float32 a * b + c, rounded once
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


def expf_reference(x):
    """``exp`` of a float32 array as Sleef's ``expf_u10`` computes it, written plainly: the
    specification :func:`expf` (the same arithmetic, faster) is tested against."""
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


# -- Sleef's expf, computed in cache-sized blocks ---------------------------------------------
# NOTE: the same arithmetic as ``expf_reference`` (checked bit for bit), with each fused
# multiply-add done as one float64 multiply (reading the float32 operand directly) and one
# add that rounds to float32 on the way out: about seven times faster.
_FAST_BLOCK = 1 << 15
_LN2_HI32 = _F32(_LN2_HI)


def expf(x):
    """Sleef's ``expf_u10`` of a float32 array (:func:`expf_reference`, faster)."""
    d = np.ascontiguousarray(x, _F32).reshape(-1)
    n = d.size
    out = np.empty(n, _F32)
    if n == 0:
        return out.reshape(np.shape(x))
    b = min(_FAST_BLOCK, n)
    q, s, u, ss = (np.empty(b, _F32) for _ in range(4))
    t, s64 = np.empty(b, _F64), np.empty(b, _F64)
    p0, p1, rest = _POLY[0], _POLY[1], _POLY[2:]
    with np.errstate(all="ignore"):
        for i in range(0, n, b):
            dd = d[i:i + b]
            m = dd.size
            if m != q.size:
                q, s, u, ss, t, s64 = q[:m], s[:m], u[:m], ss[:m], t[:m], s64[:m]
            np.multiply(dd, _INV_LN2, out=q)
            np.rint(q, out=q)
            # (q * ln2's high part is exact in float32, and so is its difference from x)
            np.multiply(q, _LN2_HI32, out=s)
            np.subtract(dd, s, out=s)
            np.multiply(q, -_LN2_LO, out=t, dtype=_F64)
            np.add(t, s, out=s, dtype=_F64, casting="unsafe")
            s64[...] = s
            np.multiply(s64, p0, out=t)
            np.add(t, p1, out=u, casting="unsafe")
            for c in rest:
                np.multiply(u, s64, out=t, dtype=_F64)
                np.add(t, c, out=u, casting="unsafe")
            np.multiply(s, s, out=ss)
            np.multiply(ss, u, out=t, dtype=_F64)
            np.add(t, s, out=u, dtype=_F64, casting="unsafe")
            u += _F32(1)
            np.ldexp(u, q.astype(np.int32), out=out[i:i + m])
    if not (np.abs(d) <= 100).all():  # underflow, overflow, NaN
        with np.errstate(invalid="ignore"):
            _put(out, d < -104, _F32(0))
            _put(out, d > 100, _F32(np.inf))
        _put(out, np.isnan(d), d)
    return out.reshape(np.shape(x))


# -- cache-sized blocks for the elementwise kernels below --------------------------------------
# NOTE: each kernel makes a few dozen float32/float64 temporaries; on blocks of 32768 values
# they stay in the cache (and the values are the same: every kernel is elementwise).
_EW_BLOCK = 1 << 15


def _blockwise(fn):
    """``fn`` (an elementwise function of a float32 array) run over cache-sized blocks."""
    @functools.wraps(fn)
    def f(x):
        d = np.asarray(x, _F32)
        if d.size <= _EW_BLOCK:  # (1-D: the kernels' fix-ups assign into their results)
            return fn(d.reshape(-1)).reshape(d.shape)
        flat = np.ascontiguousarray(d).reshape(-1)
        out = np.empty(flat.size, _F32)
        for i in range(0, flat.size, _EW_BLOCK):
            out[i:i + _EW_BLOCK] = fn(flat[i:i + _EW_BLOCK])
        return out.reshape(d.shape)
    return f


def _put(r, m, v):
    """``r[m] = v`` into the contiguous ``r`` (``v`` a scalar or an array of ``r``'s shape)
    where the bool array ``m`` holds anywhere: ``np.where(m, v, r)`` in place, cheap where
    ``m`` is rare (and by flat indices where it is not: NumPy's boolean indexing is slow on
    irregular masks)."""
    k = np.count_nonzero(m)
    if k * 16 > m.size:
        i = np.flatnonzero(m)
        r.reshape(-1)[i] = v if np.ndim(v) == 0 else v.reshape(-1).take(i)
    elif k:
        r[m] = v if np.ndim(v) == 0 else v[m]
    return r


def select(m, a, b):
    """``np.where(m, a, b)`` for float32 ``a`` and ``b`` (arrays of ``m``'s shape or scalars),
    by bit masks: several times faster than ``np.where`` on irregular masks."""
    k = np.asarray(m).view(np.int8).astype(np.int32)
    np.negative(k, out=k)  # 0 or all ones
    bi = np.asarray(b, _F32).view(np.int32)
    out = np.bitwise_xor(np.asarray(a, _F32).view(np.int32), bi)
    out &= k
    out ^= bi
    return out.view(_F32)


def _with_sign_of(y, x):
    """``np.where(np.signbit(x), -y, y)`` for float32 arrays: ``x``'s sign bit flips ``y``'s."""
    out = np.bitwise_and(x.view(np.int32), np.int32(-2 ** 31))
    out ^= y.view(np.int32)
    return out.view(_F32)


def _fma32(a, b, c):
    """float32 ``a * b + c`` with one rounding (float32 operands)."""
    # NOTE: the float64 sum of the exact product rounds to float32 as the fused operation does
    # unless it sits on a float32 halfway point or below 2**-125 (nonzero): small arrays are
    # screened for those in a few NumPy calls, and only then go to the general routine, whose
    # set-up costs more than the arithmetic on the short rows of softmax and log_softmax
    if type(a) in _SMALL_FMA_TYPES and type(b) in _SMALL_FMA_TYPES and \
            type(c) in _SMALL_FMA_TYPES and a.dtype == _F32 and b.dtype == _F32 and \
            c.dtype == _F32 and (a.ndim or b.ndim) and a.size <= _FMA_SMALL and \
            b.size <= _FMA_SMALL:
        with np.errstate(invalid="ignore", over="ignore"):
            s = np.multiply(a, b, dtype=_F64)  # exact: 24 + 24 bits
            if not c.ndim or c.shape == s.shape:
                s += c
                mag = np.abs(s)
                if not np.count_nonzero((s.view(np.int64) & 0x1FFFFFFF) == 0x10000000) and \
                        not np.count_nonzero((mag < _TINY64) & (mag > 0)):
                    return s.astype(_F32)
    return fma32(a, b, c)


_SMALL_FMA_TYPES = (np.ndarray, _F32)
_FMA_SMALL = 4096
_TINY64 = _F64(2.0 ** -125)


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


@_blockwise
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


def row_sums(e, lanes=LANES, fused=None):
    """Each row of ``e`` (rows, n) summed as PyTorch's ``map_reduce_all`` sums it: lanes
    accumulate whole vectors in order, the tail adds into the first lanes, then a shuffle
    tree folds the lanes in halves; a row shorter than a vector adds left to right.

    ``lanes``: the kernel's vector width.  ``fused``: ``(a, b)`` with ``e == a * b``, for a
    kernel whose compiled tail fuses each product into its lane."""
    rows, n = e.shape
    if n < lanes:
        return fold_left(e)
    full = n - n % lanes
    # (the vectors outermost in memory: NumPy then adds whole rows of lanes, in order)
    vecs = e[:, :full].reshape(rows, -1, lanes).transpose(1, 0, 2)
    acc = np.add.reduce(np.ascontiguousarray(vecs), axis=0)
    if fused is None:
        acc[:, :n - full] += e[:, full:]
    else:
        a, b = fused
        acc[:, :n - full] = fma32(a[:, full:], b[:, full:], acc[:, :n - full])
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


def split(a, vector, scalar, *others, outputs=1, extra=()):
    """``vector(a, *others)`` where PyTorch's vector code runs on float32 ``a`` (with the
    kernel's ``others`` operands, arrays of ``a``'s shape), ``scalar(a, *others)`` on the rest.
    Both are elementwise: each runs only on its own values. With ``outputs`` > 1 they return
    that many arrays, and so does ``split``. ``extra``: more arrays of ``a``'s shape passed
    after ``others`` (values computed earlier: they play no part in the layout)."""
    others = (*others, *extra)
    m = vector_mask(a, *others[:len(others) - len(extra)])
    if m is None:
        return scalar(a, *others)
    if m is True:
        return vector(a, *others)
    outs = [np.empty(a.shape, _F32) for _ in range(outputs)]
    flat_m = m.reshape(-1)
    full = np.count_nonzero(flat_m)
    flat = [o.reshape(-1) for o in (a, *others)]  # (index order)
    res = [o.reshape(-1) for o in outs]
    if not flat_m[-1] and flat_m.argmin() == full:
        # (the usual case: the vector blocks lead in index order, the scalar tail follows)
        parts = [(slice(None, full), vector), (slice(full, None), scalar)]
        for where, fn in parts:
            got = fn(*(f[where] for f in flat))
            for r, g in zip(res, got if outputs > 1 else (got,)):
                r[where] = g
    else:
        for where, fn in [(np.flatnonzero(flat_m), vector), (np.flatnonzero(~flat_m), scalar)]:
            got = fn(*(f.take(where) for f in flat))
            for r, g in zip(res, got if outputs > 1 else (got,)):
                r[where] = g
    return tuple(outs) if outputs > 1 else outs[0]


# -- more of Sleef's float32 functions (the 1-ulp ones PyTorch's Vectorized<float> calls) -----
# Float32 pairs (head, tail) carry the extra precision; every fused multiply-add is done in
# float64, where the product of two float32 values is exact, and rounded once to float32.

def _f64(a):
    return np.asarray(a, _F32).astype(_F64)


def _add2_pf(x, y):
    """pair + float, tails kept exactly (Sleef's ``dfadd2`` pair-float)."""
    s = x[0] + y
    v = s - x[0]
    return s, ((x[0] - (s - v)) + (y - v)) + x[1]


def _add2_pp(x, y):
    s = x[0] + y[0]
    v = s - x[0]
    return s, ((x[0] - (s - v)) + (y[0] - v)) + (x[1] + y[1])


def _add_fp(x, y):
    """float + pair where |x| >= |y| (Sleef's ``dfadd`` float-pair)."""
    s = x + y[0]
    return s, ((x - s) + y[0]) + y[1]


def _add_pp(x, y):
    s = x[0] + y[0]
    return s, (((x[0] - s) + y[0]) + x[1]) + y[1]


def _add_pf(x, y):
    s = x[0] + y
    return s, ((x[0] - s) + y) + x[1]


def _mul_pf(x, y):
    h = x[0] * y
    return h, (_f64(x[1]) * y + (_f64(x[0]) * y - h)).astype(_F32)


def _mul_pp(x, y):
    h = x[0] * y[0]
    low = (_f64(x[0]) * y[0] - h).astype(_F32)  # exact: the product's rounding error
    return h, _fma32(x[0], y[1], _fma32(x[1], y[0], low))


def _square(x):
    h = x[0] * x[0]
    return h, _fma32(x[0] + x[0], x[1], (_f64(x[0]) * x[0] - h).astype(_F32))


def _recip_p(d):
    r = _F32(1) / d[0]
    return r, r * _fma32(-d[1], r, (1 - _f64(d[0]) * r).astype(_F32))


def _div_pp(n, d):
    t = _F32(1) / d[0]
    q = n[0] * t
    u = (_f64(t) * n[0] - q).astype(_F32)
    w = _fma32(-d[1], t, (1 - _f64(d[0]) * t).astype(_F32))
    return q, _fma32(q, w, _fma32(n[1], t, u))


def _div_fp(n, d):
    """``_div_pp((n, 0), d)``: with a zero tail, its innermost fused multiply-add ``0 * t + u``
    is exact in float32 arithmetic (a zero product, then a sum with a zero)."""
    t = _F32(1) / d[0]
    q = n * t
    u = (_f64(t) * n - q).astype(_F32)
    w = _fma32(-d[1], t, (1 - _f64(d[0]) * t).astype(_F32))
    return q, _fma32(q, w, _F32(0) * t + u)


_EXPK2_POLY = [_F32(c) for c in (0.1980960224e-3, 0.1394256484e-2, 0.8333456703e-2,
                                 0.4166637361e-1)]


def _expk2(d):
    """exp of the float32 array ``d`` as a float32 pair (Sleef's ``expk2f``)."""
    qf = np.rint(d * _INV_LN2)
    s = _add2_pf((d, np.zeros_like(d)), qf * _F32(-_LN2_HI))
    s = _add2_pf(s, qf * _F32(-_LN2_LO))
    u = _fma32(_EXPK2_POLY[0], s[0], _EXPK2_POLY[1])
    for c in _EXPK2_POLY[2:]:
        u = _fma32(u, s[0], c)
    t = _add2_pf(_mul_pf(s, u), _F32(0.166666659414234244790680580464))
    t = _add2_pf(_mul_pp(s, t), _F32(0.5))
    t = _add2_pp(s, _mul_pp(_square(s), t))
    t = _add_fp(_F32(1), t)
    q = np.clip(qf, -300, 300).astype(np.int32)
    h = q >> 1  # (each part times 2**q in Sleef's two steps, exact for these ranges)
    f1, f2 = np.ldexp(_F32(1), h).astype(_F32), np.ldexp(_F32(1), q - h).astype(_F32)
    low = d < -104
    return _put((t[0] * f1) * f2, low, _F32(0)), _put((t[1] * f1) * f2, low, _F32(0))


@_blockwise
def tanhf(x):
    """``tanh`` of a float32 array as Sleef's ``tanhf_u10`` computes it: (e - 1/e) / (e + 1/e)
    for e = exp|x|, in float32 pairs."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        a = np.abs(x)
        d = _expk2(np.minimum(a, _F32(9)))
        e = _recip_p(d)
        d = _div_pp(_add_pp(d, (-e[0], -e[1])), _add_pp(d, e))
        y = d[0] + d[1]
        _put(y, a > _F32(8.664339742), _F32(1))
        return _put(_with_sign_of(y, x), np.isnan(x), x)


@_blockwise
def expm1f(x):
    """``expm1`` of a float32 array as Sleef's ``expm1f_u10`` computes it."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        d = _add2_pf(_expk2(np.clip(x, _F32(-20), _F32(90))), _F32(-1))
        y = d[0] + d[1]
        _put(y, x > _F32(88.72283172607421875), _F32(np.inf))
        _put(y, x < _F32(-16.635532333438687426013570), _F32(-1))
        _put(y, np.isnan(x), x)
        return _put(y, x == 0, x)


@_blockwise
def log1pf(x):
    """``log1p`` of a float32 array as Sleef's ``log1pf_u10`` computes it (the AVX-512
    variant: the exponent of ``(1 + x) / 0.75`` scales ``x`` exactly by a fused multiply-add)."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        e = np.clip(np.frexp((x + _F32(1)) * _F32(1 / 0.75))[1] - 1, -126, 127)
        t = np.ldexp(_F32(1), -e).astype(_F32)
        m = _fma32(x, t, t - _F32(1))
        ef = e.astype(_F32)
        s = _mul_pf(_LN2_PAIR, ef)
        q = _div_fp(m, _add2_ff(_F32(2), m))
        q2 = q[0] * q[0]
        p = _fma32(q2, _LOG1P_POLY[0], _LOG1P_POLY[1])
        p = _fma32(p, q2, _LOG1P_POLY[2])
        s = _add_pp(s, (q[0] * _F32(2), q[1] * _F32(2)))
        s = _add_pf(s, (q2 * q[0]) * p)
        r = s[0] + s[1]
        if not ((x > -1) & (x <= 1e38)).all() or (x == 0).any():
            _put(r, x > _F32(1e38), np.log1p(x, dtype=_F64).astype(_F32))  # as PyTorch's
            _put(r, (x < -1) | np.isnan(x), _F32(np.nan))
            _put(r, x == -1, _F32(-np.inf))
            _put(r, x == 0, x)
        return r


_LOG1P_POLY = [_F32(c) for c in (0.3027294874, 0.3996108174, 0.6666694880)]


def _add2_ff(x, y):
    s = x + y
    return s, (x - s) + y


# -- the C library's float functions on PyTorch's scalar path ---------------------------------
# NOTE: glibc's expf/logf are correctly rounded in practice, its tanhf/expm1f/log1pf/erff not
# always; here each is the float64 result rounded once (right for nearly every input).

def c_func(fn):
    """The float32 C library function ``fn`` approximated by NumPy's float64 one."""
    def f(x):
        with np.errstate(all="ignore"):
            return fn(np.asarray(x, _F32), dtype=_F64).astype(_F32)
    return f


c_tanh, c_expm1, c_log1p = (c_func(f) for f in (np.tanh, np.expm1, np.log1p))


# -- the C library's expf (glibc 2.27 and later) ----------------------------------------------
# NOTE: glibc's expf is not correctly rounded (float64 ``exp`` rounded to float32 differs
# from it about once in 2000): it writes x / ln2 = k / 32 + r, takes 2**(k/32) from a table
# of 32 doubles and 2**(r/32) from a cubic, all in float64, and rounds once to float32.
# Emulated in float64 here (checked bit for bit against the C library on 10**6 values; the
# library's own fused multiply-adds change a float64 rounding, almost never the float32 one).
_TAB_N = 32


def _exp2_table():
    """2**(j/32) rounded to the nearest double, for j < 32 (exact integer arithmetic)."""
    out = []
    for j in range(_TAB_N):
        m = int(2 ** (j / _TAB_N) * 2 ** 52)  # within a unit of the answer
        target = 1 << (j + _TAB_N * 53)  # (2m)^32 against 2^(j + 32 * 53): midpoints
        while (2 * m + 1) ** _TAB_N <= target:
            m += 1
        while (2 * m - 1) ** _TAB_N > target:
            m -= 1
        out.append(math.ldexp(m, -52))
    return np.array(out, _F64)


_EXP2_TAB = _exp2_table()
_INV_LN2_N = _F64(float.fromhex("0x1.71547652b82fep+0") * _TAB_N)
_C0, _C1, _C2 = (_F64(float.fromhex(h)) / _TAB_N ** k for h, k in (
    ("0x1.c6af84b912394p-5", 3), ("0x1.ebfce50fac4f3p-3", 2), ("0x1.62e42ff0c52d6p-1", 1)))


@_blockwise
def c_exp(x):
    """``expf`` of a float32 array as the C library (glibc) computes it."""
    xd = np.asarray(x, _F32).astype(_F64)
    with np.errstate(all="ignore"):
        z = xd * _INV_LN2_N
        kd = np.rint(z)
        r = z - kd
        k = np.where(np.abs(kd) < 1e6, kd, 0).astype(np.int64)
        s = np.ldexp(_EXP2_TAB[k & (_TAB_N - 1)], (k >> 5).astype(np.int32))
        y = (_C0 * r + _C1) * (r * r) + (_C2 * r + 1)
        out = (y * s).astype(_F32)
        if not (np.abs(xd) <= 87).all():
            out = np.where(xd < -104, _F32(0), out)
            out = np.where(xd > 89, _F32(np.inf), out)
            out = np.where(np.isnan(xd), _F32(np.nan), out)
    return out



def c_erf(x):
    from ._special import erf
    return erf(np.asarray(x, _F32).astype(_F64)).astype(_F32)


# -- PyTorch's own vectorised erf (Abramowitz & Stegun 7.1.26 with Sleef's exp) ---------------
_AS_P = _F32(0.3275911)
_AS_POLY = [_F32(c) for c in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)]


@_blockwise
def erf_vec(x):
    """``Vectorized<float>::erf`` of PyTorch's CPU kernels (gelu's when oneDNN is not used)."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        t = _F32(1) / _fma32(_AS_P, np.abs(x), _F32(1))
        r = _fma32(_AS_POLY[0], t, _AS_POLY[1])
        for c in _AS_POLY[2:]:
            r = _fma32(r, t, c)
        y = _fma32(-expf(-(x * x)) * t, r, _F32(1))
        return _with_sign_of(y, x)


# -- oneDNN's gelu (PyTorch hands contiguous float32 gelu, approximate='none', to oneDNN) -------
# NOTE: the forward is oneDNN's AVX-512 kernel: erf(x / sqrt 2) by 25 degree-5 polynomials in
# |x|, one per quarter binade (picked from the float's bits); the backward uses Abramowitz &
# Stegun with oneDNN's own exp. The coefficients are oneDNN's (float32 bit patterns, by degree).
_GELU_TABLE = np.array([int(h, 16) for h in """
a6f2cb94 32827792 3381cc0c 34523d4a 351ac44d 35f36d88 36ee8229 37b8a3bb 3867a213 3940033b
3a2a5a1d 3ae35863 3b7828f2 3c08b14b 3c515ed3 bb503236 bd8d8e5e be8abcd9 bf0c19a2 beccb328
3e176ced 3f470d99 3f7abb28 3f800000 00000000
3f4c422a 3f4c421f 3f4c4207 3f4c41cb 3f4c413b 3f4c3fad 3f4c3a2f 3f4c2d40 3f4c146a 3f4bc341
3f4ad08c 3f48f8cf 3f45fac7 3f404e07 3f3b980f 3f48dff3 3f78b21b 3fbb0704 40019c32 3fe536d6
3f81331e 3e6c8684 3c98f936 00000000 3f800000
b62173f4 3735e4cf 37f2ff89 388c23be 3917535c 39ab2ab0 3a60fadb 3af9b960 3b6e5491 3c0a4ec5
3ca5aa8c 3d2138d9 3d8737d4 3ddfb660 3e0f27ab 3d94004b be0efdeb bf1d96c3 bf89db58 bf6d9897
bef69fb8 bdc4f8a8 bbde6422 00000000 00000000
be081a19 be084570 be08639b be089837 be08f409 be09ab95 be0b66d0 be0e400a be124df8 be1bde02
be2f19c9 be4931bf be685fbc be89c95f be96cbca be8044aa be0550f2 3dcfd6a1 3e94c826 3e79345f
3decec91 3ca46568 3aa1e00a 00000000 00000000
ba3d61db 39f097a3 3a5845dc 3ab1fa35 3b0cefb8 3b653ab6 3bcae527 3c221712 3c6c5840 3cc0a703
3d1dcc19 3d63656d 3d955907 3dbf9910 3dd53f69 3db7dcef 3d639ebe ba6ede48 bd22be69 bd041cf1
bc64f5ab bb097a32 b8ebf380 00000000 00000000
3cb7d80c 3c9b6050 3c978d11 3c92e850 3c8d058b 3c848454 3c6cd623 3c4c824b 3c2a7935 3be0b390
3b0651ac bb232f53 bbd42fa0 bc2c5366 bc492c9e bc2a7aa6 bbd55d04 ba823a76 3b102aa8 3ae25a7e
3a31f792 38b84375 3689bb5a 00000000 00000000
""".split()], np.uint32).reshape(6, 25).view(_F32)
_GELU_RBOUND = np.array([0x40b15cee], np.uint32).view(_F32)[0]


@_blockwise
def gelu_onednn(x):
    """oneDNN's float32 gelu (erf form) on AVX-512."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        a = np.abs(x)
        i = np.clip((a.view(np.int32) - np.int32(0x3de00001)) >> 21, 1, 24)
        i[a > _GELU_RBOUND] = 23
        i = i.astype(np.intp)  # (``take`` with native indices: faster than fancy indexing)
        p = _GELU_TABLE[5].take(i)
        for deg in range(4, -1, -1):
            p = _fma32(p, a, _GELU_TABLE[deg].take(i))
        return (x * (_with_sign_of(p, x) + _F32(1))) * _F32(0.5)


def _bits(*h):
    return np.array(h, np.uint32).view(_F32)


_DNNL_EXP_POLY = _bits(0x3f7ffffb, 0x3efffee3, 0x3e2aad40, 0x3d2b9d0d, 0x3c07cfce)
_DNNL_LOG2E, _DNNL_LN_MAX, _DNNL_LN_MIN, _DNNL_LN2 = _bits(0x3fb8aa3b, 0x42b17218, 0xc2aeac50,
                                                           0x3f317218)


@_blockwise
def exp_onednn(x):
    """oneDNN's float32 exp: 2**n by the exponent bits, a degree-5 polynomial on the rest."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        under = x < _DNNL_LN_MIN
        x = np.maximum(np.minimum(x, _DNNL_LN_MAX), _DNNL_LN_MIN)
        fx = np.floor(x * _DNNL_LOG2E + _F32(0.5))
        r = (_f64(x) - _f64(fx) * _DNNL_LN2).astype(_F32)
        scale = ((fx - _F32(1)).astype(np.int32) + 127 << 23).view(_F32)
        _put(scale, under, _F32(0))
        p = _fma32(_DNNL_EXP_POLY[4], r, _DNNL_EXP_POLY[3])
        for c in (_DNNL_EXP_POLY[2], _DNNL_EXP_POLY[1], _DNNL_EXP_POLY[0], _F32(1)):
            p = _fma32(p, r, c)
        return (p * scale) * _F32(2)


_INV_SQRT2_F = _F32(0.7071067811865476)
_INV_SQRTPI_F = _F32(0.5641895835477563)


@_blockwise
def gelu_grad_onednn(x):
    """d gelu / dx as oneDNN's AVX-512 backward kernel computes it (to the last bit for about
    85% of inputs: a detail of its rounding is not reproduced yet)."""
    x = np.asarray(x, _F32)
    with np.errstate(all="ignore"):
        r = x * _INV_SQRT2_F
        q = exp_onednn(-(r * r))
        t = (r * _INV_SQRTPI_F) * q
        w = _F32(1) / _fma32(_AS_P, np.abs(r), _F32(1))
        p = _fma32(_AS_POLY[0], w, _AS_POLY[1])
        for c in _AS_POLY[2:]:
            p = _fma32(p, w, c)
        e = _fma32(-q * w, p, _F32(1))
        return _fma32(_with_sign_of(e, r), _F32(0.5), t + _F32(0.5))


def log_sigmoidf(x):
    """PyTorch's float32 ``log_sigmoid`` kernel: ``min(x, 0) - log1p(exp(-|x|))`` with Sleef's
    ``expf`` and ``log1pf`` on every value; returns it with the ``exp(-|x|)`` buffer, which
    PyTorch keeps for the backward."""
    with np.errstate(all="ignore"):
        buf = expf(-np.abs(x))
        return np.minimum(x, _F32(0)) - log1pf(buf), buf

