"""The per-parameter update of every built-in optimizer, on arrays.

Each function updates one parameter's array (and its state arrays) in place,
following PyTorch's single-tensor (``foreach=False``) algorithm op for op: the
same operations in the same order, in the parameter's dtype, with Python
floats for the step-count arithmetic.  ``step`` is the step count after the
increment, as a Python float.  Arrays are NumPy or CuPy; Python scalars
combine with them in the array's dtype (NumPy's NEP 50 rules), as PyTorch's
kernels turn a scalar into the tensor's dtype.

NOTE: PyTorch's CPU kernels round ``add_(x, alpha=)``, ``lerp_`` and
``addcmul_`` once (a fused multiply-add).  ``add_``, ``added`` and ``lerp_``
do the same through BLAS ``axpy`` (``ember._blas``) where NumPy's BLAS
provides it, so SGD and Adamax match PyTorch bit for bit on the CPU; without
it they round the product and then the sum.  ``addcmul_`` fuses through
float64 (float32) or an emulated fma (float64), so Adam's moments are
PyTorch's bit for bit; but PyTorch's ``sqrt`` comes from MKL's vector library,
which is not correctly rounded (NumPy's is; 16% of float32 values and about 1%
of float64 ones differ by an ulp, 0-d tensors included), and for
float16/bfloat16 PyTorch computes each kernel in float32 and rounds once.
``_vml.sqrt`` reproduces MKL's float32 and float64 ``sqrt`` on the processors it was
measured on; elsewhere an element of Adam's and RMSprop's parameters can differ by an
ulp per step.
``addcdiv_``, ``mul_``, division by a scalar and ``maximum`` match PyTorch bit
for bit as they are.

A hyperparameter given as a 0-d tensor (``lr=torch.tensor(0.01)``, Adam's
tensor betas) arrives here as a NumPy scalar of its dtype (``optimizer.lr_scalar``),
so the step-size arithmetic rounds in float32 as PyTorch's tensor arithmetic does.
"""
from __future__ import annotations

import math
import threading

import numpy as np

from .. import _blas
from .._blas import added
from .._random import (_fma32, _fma64, _fma64_core, _round_odd_fix,
                       _two_sum_err)
from .._blas import fused_axpy as axpy
from .._ops import _vml
from .._ops.pointwise import _np_pow_scalar
from ..cuda import _kernels

# -- PyTorch's in-place kernels, as array operations ------------------------------------------


def _num(x, a=None):
    """A step-size scalar as it meets an array: a NumPy scalar (from a 0-d tensor) as a Python
    number, which NumPy casts to the array's dtype as PyTorch casts a scalar argument or a 0-d
    tensor operand (a float64 ``lr`` on float32 parameters rounds to float32 first).  With the
    array ``a`` of a tensor operation, only where ``a`` has dimensions: 0-d tensors promote
    each other (a 0-d float32 parameter times a float64 ``lr`` computes in float64)."""
    if isinstance(x, np.generic) and (a is None or a.ndim):
        return x.item()
    return x


def _fs(x, a, multi=False):
    """A scalar that multiplies or divides ``a`` in place: ``_num``'s, but in float32 for a
    float16/bfloat16 ``a`` (PyTorch's mul and div compute those in float32 with the scalar in
    float32; its add and sub round the scalar to the half type first, as NumPy does).
    ``multi``: for a multi-tensor update's in-place ``_foreach_mul_(tensors, scalar)``, whose
    CPU kernel rounds the scalar to the half type first, through float32 as C++ converts it
    (then multiplies in float32); a NumPy scalar (a tensor hyperparameter's: a tensor there,
    which the kernel takes as it is) is not rounded."""
    multi = multi and not isinstance(x, np.generic)
    x = _num(x, a)
    if _half(a) and isinstance(x, (int, float)):
        return np.float32(np.float32(x).astype(a.dtype)) if multi else np.float32(x)
    return x


def add_(a, b, alpha=1):
    """``a.add_(b, alpha=alpha)``."""
    alpha = _num(alpha)
    if isinstance(b, np.generic):  # (NumPy makes scalars of 0-d results: BLAS needs arrays)
        b = np.asarray(b)
    if _half(a) and alpha not in (1, -1) and type(b) is np.ndarray and b.dtype == a.dtype:
        a[...] = added(a, b, alpha)  # (PyTorch's half-type kernel, see there)
        return a
    if alpha == 1:
        a += b
    elif alpha == -1:
        a -= b
    elif not axpy(alpha, b, a):
        fma = _fused(a, b)
        if fma is not None:  # (an operand BLAS cannot take: Muon's transposed update...)
            a[...] = fma(b, a.dtype.type(alpha), a)
        else:
            a += b * alpha
    return a


def _fused(a, b):
    """The emulated fused multiply-add that rounds as PyTorch's CPU kernels on ``a`` (and
    ``b``) where BLAS cannot (a transposed or strided operand: PyTorch's kernels fuse those
    all the same): float32 or float64 NumPy arrays of one dtype; else None."""
    if type(a) is np.ndarray and type(b) is np.ndarray and b.dtype == a.dtype and a.size:
        if a.dtype == np.float32:
            return _fma32
        if a.dtype == np.float64:
            return _fma64
    return None


def lerp_(a, b, w):
    """``a.lerp_(b, w)`` with PyTorch's two formulas: ``a + w*(b-a)`` for ``|w| < 0.5``,
    else ``b - (b-a)*(1-w)`` (with ``1 - w`` in the array's dtype).  A NumPy scalar ``w``
    (a 0-d tensor weight, from a tensor beta) is cast to a half ``a``'s dtype first."""
    if _half(a) and isinstance(w, np.generic):
        w = np.float32(w).astype(a.dtype)
    w = _num(w)
    if _half(a):  # (half types: in float32, fused, rounded once)
        f = np.float32
        a32, b32 = a.astype(f), np.asarray(b, f)
        with np.errstate(all="ignore"):
            d = b32 - a32
            a[...] = _fma32(d, f(w), a32) if abs(w) < 0.5 else _fma32(d, -(f(1) - f(w)), b32)
        return a
    d = b - a
    fma = _fused(a, d)
    if abs(w) < 0.5:
        if not axpy(w, d, a):
            if fma is not None:
                a[...] = fma(d, a.dtype.type(w), a)
                return a
            d *= w
            a += d
    else:
        dt = a.dtype.type
        c = dt(1) - dt(w)
        if d.shape == a.shape:
            a[...] = b
            if axpy(-c, d, a):
                return a
        if fma is not None:
            a[...] = fma(d, -c, b)
            return a
        d *= c
        np.subtract(b, d, out=a)
    return a


def addcmul_(a, b, c, value=1):
    """``a.addcmul_(b, c, value=value)``: ``a + (value*b)*c``, the last product fused into
    the sum as PyTorch's kernels fuse it (exactly for float32 and float64 NumPy arrays;
    rounded twice for other dtypes)."""
    value = _num(value)
    if _half(a):  # (half types: in float32, the last product fused, rounded once)
        f = np.float32
        with np.errstate(all="ignore"):
            t = b.astype(f) if value == 1 else b.astype(f) * f(value)
            # (a float32 0-d ``c``, ASGD's eta and mu, is first cast to ``a``'s dtype)
            a[...] = _fma32(t, np.asarray(np.asarray(c, a.dtype), f), a.astype(f))
        return a
    t = b if value == 1 else b * value
    if type(a) is np.ndarray and a.dtype == np.float32:
        a[...] = _fma32(t, c, a)
        return a
    if a.dtype == np.float32:  # a GPU's kernel fuses it too (float64 sum: a rare double rounding)
        a[...] = t.astype(np.float64) * c + a
        return a
    if type(a) is np.ndarray and a.dtype == np.float64:
        # PyTorch's float64 CPU kernel fuses the product as well; an emulated fma gives its
        # bits (about 3x the unfused update's time, in cache-sized blocks).
        if a.flags.c_contiguous and getattr(t, "shape", None) == a.shape and \
                getattr(c, "shape", None) == a.shape and type(c) is np.ndarray:
            af, tf, cf = a.reshape(-1), t.reshape(-1), c.reshape(-1)
            for s in range(0, af.size, _FMA64_BLOCK):
                e = s + _FMA64_BLOCK
                _fma64_into(tf[s:e], cf[s:e], af[s:e], af[s:e])
        else:
            a[...] = _fma64(t, c, a)
        return a
    t = t * c
    a += t
    return a


_FMA64_BLOCK = 1 << 13
def _fma64_into(a, b, c, out):
    """``out[...] = a*b + c`` rounded once, for 1-D float64 NumPy arrays of one size
    (``out`` may be ``c``): ``ember._random``'s emulated fma without its rescaling; a block
    whose magnitudes could overflow or underflow the splitting, or that holds NaN or
    infinity, goes to ``_fma64`` (which rescales) instead."""
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        mag = np.abs(a * b)
        if not (max(np.abs(a).max(initial=0), np.abs(b).max(initial=0)) < 2.0 ** 500
                and np.abs(c).max(initial=0) < 2.0 ** 1000) or \
                ((mag < 2.0 ** -900) & (mag != 0)).any():
            out[...] = _fma64(a, b, c)
        else:
            out[...] = _fma64_core(a, b, c)
    return out


def addcdiv_(a, b, c, value=1):
    """``a.addcdiv_(b, c, value=value)``: ``a + (value*b)/c``."""
    value = _num(value)
    if _half(a):  # (half types: ``a + (value*b)/c`` in float32, rounded once)
        f = np.float32
        t = b.astype(f) if value == 1 else b.astype(f) * f(value)
        with np.errstate(all="ignore"):
            t /= np.asarray(c, f)
            t += a
        a[...] = t
        return a
    t = b / c if value == 1 else b * value
    if value != 1:
        t /= c
    a += t
    return a


def _half(a):
    """Whether ``a`` is a NumPy float16/bfloat16 array (PyTorch's CPU kernels compute those in
    float32 and round once)."""
    return type(a) is np.ndarray and a.dtype.itemsize == 2 and a.dtype.kind in "fV"


def _div(a, b):
    """``a / b`` for step-size scalars, where a 0-d tensor hyperparameter is a NumPy scalar:
    NOTE: PyTorch evaluates ``number / tensor`` as ``tensor.reciprocal() * number``, so the
    same is done here when only ``b`` came from a tensor."""
    if isinstance(b, np.generic) and not isinstance(a, np.generic):
        return (b.dtype.type(1) / b) * a
    return a / b


def _pow(x, e):
    """``x ** e`` for step-size scalars: a NumPy scalar ``x`` (from a 0-d tensor) as PyTorch
    computes a 0-d tensor's power of a number (its own kernels for ``** 0.5``, ``** 3``...)."""
    if isinstance(x, np.generic):
        return _np_pow_scalar(np.asarray(x), e)[()]
    return x ** e


def _grad(p, g, maximize, weight_decay):
    """The gradient an update uses: negated for ``maximize``, plus coupled weight decay."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = added(g, p, weight_decay)
    return g


# -- the updates ------------------------------------------------------------------------------


def sgd(p, g, buf, *, lr, momentum, dampening, weight_decay, nesterov, maximize,
        fused=True, foreach=False):
    """SGD; returns the momentum buffer (a new array on the first step with momentum).  On
    a GPU, one fused kernel (``fused=False``: the generic update there too).  ``foreach``:
    PyTorch's multi-tensor update, where every buffer of the group exists (see ``_fs``)."""
    if fused and type(p) is not np.ndarray:
        k = _kernels.for_array(p)
        if k is not None:
            done, new_buf = k.sgd(p, g, buf, lr=lr, momentum=momentum, dampening=dampening,
                                  weight_decay=weight_decay, nesterov=nesterov,
                                  maximize=maximize)
            if done:
                return new_buf
    g = _grad(p, g, maximize, weight_decay)
    if momentum != 0:
        if buf is None:
            buf = g.copy()
        else:
            buf *= _fs(momentum, buf, foreach)
            add_(buf, g, 1 - dampening)
        g = added(g, buf, momentum) if nesterov else buf
    add_(p, g, -lr)
    return buf


_BLOCK = 1 << 16  # elements per block of a blocked update: 256 KiB per float32 array


def _blocks(written, read):
    """The arrays in cache-sized flat blocks, for an update of a dozen elementwise passes.

    ``written`` (updated in place; None allowed) must be C-contiguous NumPy arrays of one
    size for the blocks to be views; ``read`` may be anything of that size.  Otherwise, or
    when small, the arrays come back whole, once.
    """
    arrays = written + read
    n = written[0].size
    if n < 4 * _BLOCK or any(a is not None and (type(a) is not np.ndarray or a.size != n)
                             for a in arrays) or \
            any(a is not None and not a.flags.c_contiguous for a in written):
        yield arrays
        return
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    for s in range(0, n, _BLOCK):
        yield tuple(None if a is None else a[s:s + _BLOCK] for a in flat)


def adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, fused=True, foreach=False, **opts):
    """Adam, and AdamW with ``decoupled_weight_decay``: on a GPU in one fused kernel
    (``fused=False``: the generic update there too), on the CPU block by block (the same
    operations on each element, with the memory traffic of one pass)."""
    if fused and type(p) is not np.ndarray:
        k = _kernels.for_array(p)
        if k is not None and k.adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, **opts):
            return
    if _flat_ok(p, (exp_avg, exp_avg_sq, max_exp_avg_sq), g) and \
            all(type(opts[k]) in _PLAIN for k in ("lr", "beta1", "beta2", "eps", "weight_decay")):
        _adam_flat(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, **opts)
        return
    for bp, bm, bv, bmax, bg in _blocks((p, exp_avg, exp_avg_sq, max_exp_avg_sq), (g,)):
        _adam(bp, bg, bm, bv, bmax, step, foreach=foreach, **opts)


# -- float32 Adam on the CPU without temporaries ----------------------------------------------
#
# The same operations as ``_adam``, element for element, on flat blocks of the arrays, each
# result written into scratch arrays kept per thread (``_Scratch``) instead of new arrays,
# and the fused product screened without temporaries (``_fma32_into``, where exact zeros,
# from the gradients of dead ReLU units, need no second look).  NOTE: measured on the seed
# MLP's parameters, 1.2x faster than ``_adam`` with warm caches, about 1.1x right after a
# backward pass; below a few thousand elements both cost the same (Python calls), so small
# arrays keep ``_adam``.

_PLAIN = (float, int, bool)  # (a NumPy scalar would make ``array * scalar`` compute in its dtype)
_FLAT_BLOCK = 1 << 16  # elements per block (measured: 10% faster than 2**17, scratch nearer L2)
_FLAT_MIN = 1 << 11


class _Scratch(threading.local):
    def get(self, dtype):
        """``(x, y, z, w1, w2)``: three arrays of ``dtype`` and two float64 ones, of one
        block."""
        bufs = self.__dict__.get(dtype)
        if bufs is None or bufs[0].size < _FLAT_BLOCK:
            bufs = self.__dict__[dtype] = tuple(
                np.empty(_FLAT_BLOCK, d) for d in (dtype, dtype, dtype, np.float64, np.float64))
        return bufs


_scratch = _Scratch()


def _sqrt_scratch(k):
    """Scratch of ``k`` elements for ``_vml.sqrt_into`` apart from ``_scratch.get``'s first
    three arrays: ``(float64, int64, bool)`` (the first two are ``get``'s float64 ones)."""
    near = _scratch.__dict__.get("near")
    if near is None or near.size < _FLAT_BLOCK:
        near = _scratch.__dict__["near"] = np.empty(_FLAT_BLOCK, np.bool_)
    _, _, _, w1, w2 = _scratch.get(np.dtype(np.float32))
    return w1[:k], w2[:k].view(np.int64), near[:k]


def _flat_grad(bp, bg, x, maximize, weight_decay):
    """A block's gradient as the updates take it (``_grad``): negated for ``maximize``, plus
    coupled weight decay rounded once, in the scratch ``x`` where it changes."""
    if maximize:
        np.negative(bg, out=x)
        bg = x
    if weight_decay != 0:
        if bg is not x:
            np.copyto(x, bg)
        _blas.axpy(weight_decay, bp, x)  # g + weight_decay * p, rounded once
        bg = x
    return bg


def _rmsprop_flat(p, g, square_avg, grad_avg, buf, *, lr, alpha, eps, weight_decay, momentum,
                  centered, maximize):
    """``rmsprop`` for float32 arrays that :func:`_flat_ok` accepts (``0 <= alpha < 1``), block
    by block in scratch arrays, with the same roundings."""
    dt = np.float32
    x_buf, y_buf, z_buf, w1_buf, w2_buf = _scratch.get(p.dtype)
    arrays = [a.reshape(-1) if a is not None else None
              for a in (p, g, square_avg, grad_avg, buf)]
    n = p.size
    a32, c32, eps_d, m32 = dt(alpha), dt(1 - alpha), dt(eps), dt(momentum)
    neg_lr = dt(-lr)
    with np.errstate(all="ignore"):
        for s in range(0, n, _FLAT_BLOCK):
            e = min(n, s + _FLAT_BLOCK)
            k = e - s
            bp, bg, bsq, bga, bbuf = (None if a is None else a[s:e] for a in arrays)
            x, y, z = x_buf[:k], y_buf[:k], z_buf[:k]
            bg = _flat_grad(bp, bg, x, maximize, weight_decay)
            # square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
            np.multiply(bsq, a32, out=z)
            np.multiply(bg, c32, out=y)
            _sq_fma_into(y, bg, z, bsq, w1_buf[:k], w2_buf[:k])
            if centered:  # grad_avg.lerp_(g, 1 - alpha); avg = square_avg.addcmul(ga, ga, -1)
                lerp_(bga, bg, 1 - alpha)
                # (value * ga first, a product: a NaN keeps its sign, as in PyTorch's kernel)
                np.multiply(bga, np.float32(-1), out=z)
                _fma_into(z, bga, bsq, y, w1_buf[:k], w2_buf[:k])
                src = y
                neg = _negatives(y)
            else:
                src, neg = bsq, None
            _vml.sqrt_into(src, y, *_sqrt_scratch(k))
            if neg is not None:
                y[neg] = np.nan
            np.add(y, eps_d, out=y)
            if momentum > 0:  # buf.mul_(momentum).addcdiv_(g, avg); p.add_(buf, alpha=-lr)
                np.multiply(bbuf, m32, out=bbuf)
                np.divide(bg, y, out=y)
                np.add(bbuf, y, out=bbuf)
                add_(bp, bbuf, -lr)
            else:  # p.addcdiv_(g, avg, value=-lr)
                np.multiply(bg, neg_lr, out=z)
                np.divide(z, y, out=z)
                np.add(bp, z, out=bp)


def _adagrad_flat(p, g, state_sum, *, neg_clr, weight_decay, eps, maximize, fused=False):
    """``adagrad`` for float32 arrays that :func:`_flat_ok` accepts, block by block in scratch
    arrays, with the same roundings (``neg_clr``: ``-clr`` in float32; ``fused``: PyTorch's
    fused kernel, whose square root is correctly rounded)."""
    x_buf, y_buf, z_buf, w1_buf, w2_buf = _scratch.get(p.dtype)
    arrays = [a.reshape(-1) for a in (p, g, state_sum)]
    n = p.size
    eps_d = np.float32(eps)
    with np.errstate(all="ignore"):
        for s in range(0, n, _FLAT_BLOCK):
            e = min(n, s + _FLAT_BLOCK)
            k = e - s
            bp, bg, bsum = (a[s:e] for a in arrays)
            x, y, z = x_buf[:k], y_buf[:k], z_buf[:k]
            bg = _flat_grad(bp, bg, x, maximize, weight_decay)
            np.copyto(z, bsum)  # state_sum.addcmul_(g, g)
            _sq_fma_into(bg, bg, z, bsum, w1_buf[:k], w2_buf[:k])
            if fused:
                np.sqrt(bsum, out=y)
            else:
                _vml.sqrt_into(bsum, y, *_sqrt_scratch(k))
            np.add(y, eps_d, out=y)
            np.multiply(bg, neg_clr, out=z)  # p.addcdiv_(g, std, value=-clr)
            np.divide(z, y, out=z)
            np.add(bp, z, out=bp)


def _flat_ok(p, state, g):
    """Whether :func:`_adam_flat` applies: C-contiguous, writeable float32 NumPy arrays of one
    size (at least ``_FLAT_MIN``), none overlapping another, and BLAS ``axpy`` at hand.
    (float64 keeps ``_adam``: its update has no fused product, and measured no faster.)"""
    if type(p) is not np.ndarray or type(g) is not np.ndarray:
        return False
    dt, n = p.dtype, p.size
    if dt != np.float32 or n < _FLAT_MIN or not _blas.available():
        return False
    arrays = [p, g] + [a for a in state if a is not None]
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype != dt or a.size != n or \
                not a.flags.c_contiguous or not a.flags.writeable:
            return False
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            if np.may_share_memory(a, b):
                return False
    return True


def _negatives(x):
    """Where float32/float64 ``x`` (a centered RMSprop's variance, which rounding can take
    below zero) is negative, or None for nowhere: PyTorch's ``sqrt`` gives +nan there, where
    NumPy's (and ``_vml.sqrt_into``'s) is -nan."""
    if type(x) is np.ndarray and x.dtype in (np.float32, np.float64) and x.size and \
            np.fmin.reduce(x, axis=None) < 0:  # (NaNs skipped)
        return x < 0
    return None


def _sqrt(x):
    """``x.sqrt()`` as PyTorch's CPU kernel rounds it (MKL's for float32, see ``_vml``), as a
    new array (a 0-d one too, where NumPy would give a scalar)."""
    if type(x) is np.ndarray or isinstance(x, np.generic):
        return np.asarray(_vml.sqrt(x))
    return np.sqrt(x)


_HALFWAY = np.int64(-(1 << 63))  # (a float64's low 29 bits 0x10000000, shifted to the top)


def _sq_fma_into(a, b, c, out, w1, w2):
    """:func:`_fma_into` where every ``a*b >= 0`` or NaN (a square, or ``(1 - beta) g * g``):
    a pass fewer for its screening where ``c`` is not negative either."""
    _fma_into(a, b, c, out, w1, w2, nonnegative=c.min() >= 0)


def _fma_into(a, b, c, out, w1, w2, nonnegative=False):
    """``out[...] = fma(a, b, c)`` exactly as :func:`ember._random._fma32` rounds it, for 1-d
    float32 arrays of one size of any signs, ``out`` apart from the others (``w1``, ``w2``
    float64 scratch): the float64 sum, its halfway cases redone round-to-odd, and a block
    with a result at most ``2**-125`` in magnitude (float32's subnormal rounding) left to
    ``_fma32``.  ``nonnegative``: no result is negative (its sign bit needs no mask).
    Call it inside ``np.errstate(invalid="ignore", over="ignore")``."""
    np.copyto(w1, a)
    np.copyto(w2, b)
    np.multiply(w1, w2, out=w1)  # exact: 24 + 24 bits
    np.copyto(w2, c)
    np.add(w1, w2, out=w1)
    np.copyto(out, w1, casting="unsafe")
    u = w2.view(np.uint32)[:out.size]
    if nonnegative:
        np.subtract(out.view(np.uint32), np.uint32(1), out=u)
    else:
        np.bitwise_and(out.view(np.uint32), np.uint32(0x7FFFFFFF), out=u)
        np.subtract(u, np.uint32(1), out=u)  # (zeros wrap to the top)
    if u.min() < 0x01000000:  # (a result in (0, 2**-125]: float32's subnormal rounding)
        out[...] = _fma32(a, b, c)
        return
    _fix_halfway(a, b, c, out, w1, w2)


def _fix_halfway(a, b, c, out, w1, w2):
    """Where the float64 sum ``w1`` of ``a*b + c`` is exactly halfway between two float32,
    ``out`` redone from the exact sum, rounded to odd first (``w2``: float64 scratch)."""
    t = w2.view(np.int64)
    np.left_shift(w1.view(np.int64), 35, out=t)  # (the low 29 bits on top: min is halfway)
    if t.min() == _HALFWAY:
        idx = np.flatnonzero(t == _HALFWAY)
        ss = w1[idx]
        pp = a[idx].astype(np.float64) * b[idx].astype(np.float64)
        out[idx] = _round_odd_fix(ss, _two_sum_err(pp, c[idx].astype(np.float64), ss))


def _adam_flat(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, *, beta1, beta2, lr,
               weight_decay, eps, amsgrad, maximize, decoupled_weight_decay, fused=False):
    """``_adam`` for float32 arrays that :func:`_flat_ok` accepts, with the same roundings.
    ``fused``: the roundings of PyTorch's fused CPU kernel instead (``_fused_cpu.adam``: the
    same steps but for a correctly rounded square root, ``math.sqrt`` of the bias
    correction, and the second moment's scalar tail)."""
    dt = np.float32
    x_buf, y_buf, z_buf, w1_buf, w2_buf = _scratch.get(p.dtype)
    flat = [a.reshape(-1) for a in (p, g, exp_avg, exp_avg_sq)]
    vmax_flat = max_exp_avg_sq.reshape(-1) if amsgrad else None
    n = p.size
    # the Python scalars, in the arrays' dtype (NumPy's NEP 50 rule for ``array op float``)
    decay = dt(1 - lr * weight_decay)
    w = 1 - beta1
    if abs(w) >= 0.5:
        lerp_w = None
    else:
        lerp_w = w
    b2 = dt(beta2)
    one_minus_b2 = dt(1 - beta2)
    step_size = lr / (1 - beta1 ** step)
    bc2 = dt(math.sqrt(1 - beta2 ** step)) if fused else dt((1 - beta2 ** step) ** 0.5)
    eps_d = dt(eps)
    neg_step = dt(-step_size)
    axpy = _blas.axpy
    # (fused: the kernel's scalar code computes the last n % 8 second moments otherwise)
    tail = n - n % 8 if fused and n % 8 else n
    for s in range(0, n, _FLAT_BLOCK):
        e = min(n, s + _FLAT_BLOCK)
        k = e - s
        bp, bg, bm, bv = (a[s:e] for a in flat)
        x, y = x_buf[:k], y_buf[:k]
        if maximize:
            np.negative(bg, out=x)
            bg = x
        if weight_decay != 0:
            if decoupled_weight_decay:
                np.multiply(bp, decay, out=bp)
            else:
                if bg is not x:
                    np.copyto(x, bg)
                axpy(weight_decay, bp, x)  # g + weight_decay * p, rounded once
                bg = x
        # exp_avg.lerp_(g, 1 - beta1)
        if lerp_w is not None:
            np.subtract(bg, bm, out=y)
            axpy(lerp_w, y, bm)
        else:
            lerp_(bm, bg, w)
        # exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        if one_minus_b2 > 0:  # (so the product (1 - beta2) * g * g is >= 0)
            z = z_buf[:k]
            np.multiply(bv, b2, out=z)
            np.multiply(bg, one_minus_b2, out=y)
            with np.errstate(invalid="ignore", over="ignore"):
                if tail < e:  # fma(v, beta2, ((1 - beta2) * g) * g), from the old v
                    h = slice(tail - s, k)
                    last = _fma32(bv[h], b2, y[h] * bg[h])
                _sq_fma_into(y, bg, z, bv, w1_buf[:k], w2_buf[:k])
                if tail < e:
                    bv[h] = last
        else:
            np.multiply(bv, b2, out=bv)
            addcmul_(bv, bg, bg, 1 - beta2)
        # the denominator, in y
        # (scratch free by now: x, z, and w1, w2 past the fused product)
        sq = (w1_buf[:k], w2_buf[:k].view(np.int64), z_buf.view(np.bool_)[:k])
        if amsgrad:
            bmax = vmax_flat[s:e]
            np.maximum(bmax, bv, out=bmax)
        if fused:  # (a correctly rounded square root)
            np.sqrt(bmax if amsgrad else bv, out=y)
        elif amsgrad:
            _vml.sqrt_into(bmax, y, *sq)
        else:
            _vml.sqrt_into(bv, y, *sq)
        np.divide(y, bc2, out=y)
        np.add(y, eps_d, out=y)
        # param.addcdiv_(exp_avg, denom, value=-step_size); silent on 0/0 as PyTorch (eps=0)
        np.multiply(bm, neg_step, out=x)
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(x, y, out=x)
        np.add(bp, x, out=bp)


def _adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, *, beta1, beta2, lr, weight_decay,
          eps, amsgrad, maximize, decoupled_weight_decay, foreach=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_weight_decay:
            p *= _fs(1 - lr * weight_decay, p, foreach)
        else:
            g = added(g, p, weight_decay)
    # NOTE: a tensor beta1 (a NumPy scalar here) is cast to the parameter's dtype before
    # ``1 - beta1``, as PyTorch does; a tensor beta2 gives ``1 - beta2`` in its own dtype.
    lerp_(exp_avg, g, 1 - (p.dtype.type(beta1) if isinstance(beta1, np.generic) else beta1))
    exp_avg_sq *= _fs(beta2, exp_avg_sq, foreach)
    addcmul_(exp_avg_sq, g, g, 1 - beta2)
    step_size = _div(lr, 1 - _pow(beta1, step))
    bias_correction2_sqrt = _pow(1 - _pow(beta2, step), 0.5)
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = _sqrt(max_exp_avg_sq)
    else:
        denom = _sqrt(exp_avg_sq)
    denom /= _fs(bias_correction2_sqrt, denom)
    denom += eps
    addcdiv_(p, exp_avg, denom, -step_size)


def rmsprop(p, g, square_avg, grad_avg, buf, *, lr, alpha, eps, weight_decay, momentum,
            centered, maximize, foreach=False):
    if 0 <= alpha < 1 and _flat_ok(p, (square_avg, grad_avg, buf), g) and \
            all(type(v) in _PLAIN for v in (lr, alpha, eps, weight_decay, momentum)):
        _rmsprop_flat(p, g, square_avg, grad_avg, buf, lr=lr, alpha=alpha, eps=eps,
                      weight_decay=weight_decay, momentum=momentum, centered=centered,
                      maximize=maximize)
        return
    g = _grad(p, g, maximize, weight_decay)
    square_avg *= _fs(alpha, square_avg, foreach)
    addcmul_(square_avg, g, g, 1 - alpha)
    if centered:
        lerp_(grad_avg, g, 1 - alpha)
        avg = addcmul_(square_avg.copy(), grad_avg, grad_avg, -1)
        neg = _negatives(avg)
        avg = _sqrt(avg)
        if neg is not None:
            avg[neg] = np.nan
    else:
        avg = _sqrt(square_avg)
    avg += eps
    if momentum > 0:
        buf *= _fs(momentum, buf, foreach)
        addcdiv_(buf, g, avg)
        add_(p, buf, -lr)
    else:
        addcdiv_(p, g, avg, -lr)


def adagrad(p, g, state_sum, step, *, lr, lr_decay, weight_decay, eps, maximize,
            foreach=False):
    """Adagrad; ``foreach``: PyTorch's multi-tensor order, which scales the gradient by
    ``-clr`` first (rounded to the gradient's dtype: in place, with ``_fs``'s multi-tensor
    scalar, where the gradient is already a copy), then adds ``g / std``."""
    if _flat_ok(p, (state_sum,), g) and \
            all(type(v) in _PLAIN for v in (lr, lr_decay, eps, weight_decay)):
        _adagrad_flat(p, g, state_sum, neg_clr=np.float32(-(lr / (1 + (step - 1) * lr_decay))),
                      weight_decay=weight_decay, eps=eps, maximize=maximize)
        return
    copied = maximize or weight_decay != 0
    if maximize:
        g = -g
    if weight_decay != 0:
        g = added(g, p, weight_decay)
    clr = lr / (1 + (step - 1) * lr_decay)
    addcmul_(state_sum, g, g)
    std = _sqrt(state_sum)
    std += eps
    if foreach and _half(g):
        addcdiv_(p, (g * _fs(-clr, g, copied)).astype(g.dtype), std)
    else:
        addcdiv_(p, g, std, -clr)


def adadelta(p, g, square_avg, acc_delta, *, lr, rho, eps, weight_decay, maximize,
             complex_step=False, foreach=False):
    """Adadelta; ``complex_step``: the parameter's step rounded twice, as PyTorch's
    single-tensor update takes a complex parameter's (a complex ``add_(alpha=)``)."""
    g = _grad(p, g, maximize, weight_decay)
    square_avg *= _fs(rho, square_avg, foreach)
    addcmul_(square_avg, g, g, 1 - rho)
    std = _sqrt(square_avg + eps)
    delta = _sqrt(acc_delta + eps)
    delta /= std
    delta *= g
    acc_delta *= _fs(rho, acc_delta, foreach)
    addcmul_(acc_delta, delta, delta, 1 - rho)
    if complex_step:
        delta *= _fs(-lr, delta)
        p += delta
    else:
        add_(p, delta, -lr)


def adamax(p, g, exp_avg, exp_inf, step, *, lr, beta1, beta2, eps, weight_decay, maximize,
           foreach=False):
    g = _grad(p, g, maximize, weight_decay)
    lerp_(exp_avg, g, 1 - beta1)
    exp_inf *= _fs(beta2, exp_inf, foreach)
    norm = np.abs(g)
    norm += eps
    np.maximum(exp_inf, norm, out=exp_inf)
    clr = _div(lr, 1 - _pow(beta1, step))  # (a tensor beta: 0-d tensor arithmetic)
    addcdiv_(p, exp_avg, exp_inf, -clr)


def nadam(p, g, exp_avg, exp_avg_sq, mu_product, step, *, lr, beta1, beta2, eps, weight_decay,
          momentum_decay, decoupled_weight_decay, maximize, foreach=False):
    """NAdam; ``mu_product`` is the 0-d array of the running product of the momentum
    coefficients (in the step dtype), updated in place.  ``foreach``: PyTorch's multi-tensor
    order (``sqrt(v) / sqrt(bias_correction2)``, and the step sizes from ``lr``'s value)."""
    if maximize:
        g = -g
    bias_correction2 = 1 - _pow(beta2, step)  # (a tensor beta: a 0-d tensor's power)
    if weight_decay != 0:
        if decoupled_weight_decay:
            p *= _fs(1 - lr * weight_decay, p, foreach)
        else:
            g = added(g, p, weight_decay)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
    mu_product *= mu
    lerp_(exp_avg, g, 1 - beta1)
    exp_avg_sq *= _fs(beta2, exp_avg_sq, foreach)
    addcmul_(exp_avg_sq, g, g, 1 - beta2)
    if foreach:
        denom = _sqrt(exp_avg_sq)
        denom /= _fs(bias_correction2 ** 0.5, denom)
        lr = float(lr)
    elif _half(exp_avg_sq):  # (the quotient in float32, rounded once, as ``_fs``'s)
        denom = _sqrt((exp_avg_sq / np.float32(bias_correction2)).astype(exp_avg_sq.dtype))
    else:
        denom = _sqrt(exp_avg_sq / bias_correction2)
    mu_prod = float(mu_product)
    mu_product_next = mu_prod * mu_next
    denom += eps
    addcdiv_(p, g, denom, -lr * (1.0 - mu) / (1.0 - mu_prod))
    addcdiv_(p, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next))


def radam(p, g, exp_avg, exp_avg_sq, step, *, lr, beta1, beta2, eps, weight_decay,
          decoupled_weight_decay, maximize, foreach=False):
    """RAdam; ``foreach``: PyTorch's multi-tensor order (below)."""
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_weight_decay:
            p *= _fs(1 - lr * weight_decay, p, foreach)
        else:
            g = added(g, p, weight_decay)
    lerp_(exp_avg, g, 1 - beta1)
    exp_avg_sq *= _fs(beta2, exp_avg_sq, foreach)
    addcmul_(exp_avg_sq, g, g, 1 - beta2)
    bias_correction1 = 1 - _pow(beta1, step)  # (a tensor beta: a 0-d tensor's power)
    bias_correction2 = 1 - _pow(beta2, step)
    if foreach:
        _radam_foreach(p, exp_avg, exp_avg_sq, lr, beta2, eps, step, bias_correction1,
                       bias_correction2)
        return
    update = (exp_avg / _fs(bias_correction1, exp_avg)).astype(exp_avg.dtype, copy=False)
    update *= _fs(lr, update)
    rho_inf = _div(2, 1 - beta2) - 1
    rho_t = rho_inf - 2 * step * _pow(beta2, step) / bias_correction2
    if rho_t > 5.0:
        # The rectified step: (m_hat * lr) * (sqrt(bc2) / (sqrt(v) + eps)) * rect.
        # NOTE: PyTorch evaluates ``scalar / tensor`` as ``tensor.reciprocal() * scalar``;
        # a tensor beta's ``sqrt(bc2)`` is a 0-d tensor, which divides (in the tensor's dtype).
        adaptive = _sqrt(exp_avg_sq)
        adaptive += eps
        with np.errstate(divide="ignore", invalid="ignore"):  # (eps underflows in half)
            if isinstance(bias_correction2, np.generic):
                num = np.float32(_pow(bias_correction2, 0.5)) if _half(adaptive) else \
                    _pow(bias_correction2, 0.5)
                np.divide(num.astype(adaptive.dtype), adaptive, out=adaptive)
            else:
                np.reciprocal(adaptive, out=adaptive)
                adaptive *= _fs(bias_correction2 ** 0.5, adaptive)
            update *= adaptive
        update *= _fs(_pow((rho_t - 4) * (rho_t - 2) * rho_inf
                           / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5), update)
    p -= update


def _radam_foreach(p, exp_avg, exp_avg_sq, lr, beta2, eps, step, bias_correction1,
                   bias_correction2):
    """RAdam's step as PyTorch's multi-tensor update takes it: one factor
    ``sqrt(bc2) * rect * lr / bc1`` (``rect`` 0 while unrectified), then
    ``p += exp_avg * (1 / ((sqrt(v) + eps) / -factor) + unrectified_step)``, the product
    fused into the sum."""
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    if rho_t > 5:
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    else:
        rect = 0
    unrect_step_size = (lr * (0 if rect > 0 else 1.0) / bias_correction1) * -1
    factor = (bias_correction2 ** 0.5) * (lr * rect / bias_correction1) * -1
    buf = _sqrt(exp_avg_sq)
    buf += eps
    with np.errstate(divide="ignore", invalid="ignore"):  # (unrectified: a division by -0.0)
        buf /= _fs(factor, buf)
        np.reciprocal(buf, out=buf)
    buf += _num(unrect_step_size, buf)
    addcmul_(p, exp_avg, buf)


def update_array(t):
    """The array an update works on: a complex tensor's as its real and imaginary parts
    side by side (PyTorch runs its optimizers on ``view_as_real`` of complex parameters, so
    moments and step sizes are per part), any other tensor's as it is."""
    if t is None:
        return None
    a = t._data
    if a.dtype.kind != "c":
        return a
    if a.ndim == 0:
        return a.reshape(1).view(a.real.dtype)
    if a.strides[-1] != a.itemsize and a.shape[-1] != 1:
        return a  # (no real view of this layout: complex arithmetic instead)
    return a.view(a.real.dtype)
