"""PyTorch's ``fused=True`` CPU optimizer kernels on float32 (and float64) parameters, bit for bit.

``torch.optim.Adam/AdamW/SGD/Adagrad(..., fused=True)`` run one vectorized kernel per
parameter instead of the per-op (foreach) update, and it rounds differently: the kernels are
compiled so that a multiply feeding an add becomes one fused multiply-add, and some steps are
ordered otherwise.  What each computes (learnt from PyTorch's published kernels and checked
element by element against them; ``fma`` is one rounding, every other operation one float32
rounding, constants rounded to float32 first):

- Adam (AdamW: ``p *= 1 - lr * wd`` first instead of the decayed gradient)::

      g = fma(p, wd, g)
      m = fma(1 - beta1, g - m, m)                   (the lerp, for 1 - beta1 < 0.5)
      v = fma((1 - beta2) * g, g, v * beta2)         (the scalar code's last n % 8 values:
                                                      fma(v, beta2, ((1 - beta2) * g) * g))
      p = p + (-step_size * m) / (sqrt(v) / sqrt(bias_correction2) + eps)

  with ``step_size = lr / (1 - beta1**step)`` and ``bias_correction2 = 1 - beta2**step`` in
  float64 (amsgrad: ``v`` replaced by the running maximum in the denominator).
- SGD: ``g = fma(p, wd, g)``; ``buf = g`` on the first step, then
  ``fma(1 - dampening, g, buf * momentum)``; ``g = fma(buf, momentum, g)`` (Nesterov) or
  ``buf``; ``p = fma(g, -lr, p)``.
- Adagrad: ``g = fma(p, wd, g)``; ``sum = fma(g, g, sum)``;
  ``p = p - (clr * g) / (sqrt(sum) + eps)`` with ``clr = lr / (1 + (step - 1) * lr_decay)``.

Each kernel's vector body covers the first ``16 * (n // 16)`` values (one AVX-512 vector of
float32: PyTorch's threads take whole 64-byte lines); of the tail loop the compiler runs the
first ``8 * (t // 8)`` values as 8-lane vectors too, and only the last ``n % 8`` as scalar
code, which contracts another product than the vector code where noted (SGD's buffer:
``fma(buf, momentum, (1 - dampening) * g)``).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .._random import _fma32, _fma64
from . import _functional
from ._functional import _PLAIN

_F32 = np.float32
_F64 = np.float64


def _scalar_tail(n, dtype=_F32):
    """The values the kernels' scalar code computes, as a slice of the flat array (None for
    none): of the last ``n % 16`` the compiler vectorizes the first ``8 * (t // 8)`` again
    (8 lanes, rounding as the vector body), the last ``n % 8`` are scalar.  (float64: 8
    values per vector, the last ``n % 4`` scalar.)"""
    k = n % (4 if dtype == _F64 else 8)
    return slice(n - k, n) if k else None


def _kit(a):
    """``(scalar type, fma)`` for arrays of ``a``'s dtype (float32 or float64)."""
    return (_F64, _fma64) if a.dtype == _F64 else (_F32, _fma32)


def _windows(*arrays):
    """The arrays as PyTorch's fused kernels walk them: each one's ``numel`` values of memory
    from its first element on, whatever its strides (NOTE: so a transposed parameter's values
    pair with a contiguous gradient's by memory, not by index; a parameter with gaps, a
    slice, has its kernel read and write the memory in between, as PyTorch's does).  None
    where every array is C-contiguous (nothing to change) or one is laid out otherwise than
    such a walk can follow (negative strides, or elements sharing memory)."""
    if all(a is None or a.flags.c_contiguous for a in arrays):
        return None
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        if any(s < 0 for s in a.strides) or \
                1 + sum((n - 1) * (s // a.itemsize) for n, s in zip(a.shape, a.strides)) < a.size:
            return None
        out.append(np.lib.stride_tricks.as_strided(a, (a.size,), (a.itemsize,)))
    return out


def applies(group, *arrays, reduced=True) -> bool:
    """Whether a ``fused`` group's update on these arrays is this module's (float32 or
    float64 CPU arrays of one dtype, no gradient scaler; float16 and bfloat16 too unless
    not ``reduced``).  NOTE: PyTorch's fused SGD kernel on float16/bfloat16 leaves the
    parameters of its vector body as they were and reads its momentum buffer as float32
    (a bug of its own): ember does not reproduce that, SGD passes ``reduced=False``."""
    if not group.get("fused"):
        return False
    dtype = arrays[0].dtype if type(arrays[0]) is np.ndarray else None
    return dtype is not None and (
        dtype in (_F32, _F64) or reduced and dtype.name in _REDUCED) and all(
        a is None or type(a) is np.ndarray and a.dtype == dtype for a in arrays)


_REDUCED = ("float16", "bfloat16")


def _in_float32(kernel, *arrays, **kw):
    """``kernel`` on float16/bfloat16 arrays: as PyTorch's kernels take them, each value in
    float32, every result stored back rounded to the arrays' dtype."""
    wide = [None if a is None else a.astype(_F32) for a in arrays]
    kernel(*wide, **kw)
    for a, w in zip(arrays, wide):
        if a is not None:
            a[...] = w.astype(a.dtype)


def adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, *, lr, beta1, beta2, weight_decay,
         eps, amsgrad, maximize, decoupled_weight_decay):
    """One fused Adam/AdamW step on float32 (or float64) arrays, in place."""
    flat = _windows(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq)
    if flat is not None:
        adam(*flat, step, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps,
             amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        return
    if p.dtype.name in _REDUCED:
        _in_float32(adam, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step=step, lr=lr,
                    beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps,
                    amsgrad=amsgrad, maximize=maximize,
                    decoupled_weight_decay=decoupled_weight_decay)
        return
    f, fma = _kit(p)  # (float32 or float64 arithmetic, as p)
    lr, beta1, beta2 = float(lr), float(beta1), float(beta2)
    if _functional._flat_ok(p, (exp_avg, exp_avg_sq, max_exp_avg_sq), g) and \
            type(weight_decay) in _PLAIN and type(eps) in _PLAIN:
        # (float32: the same steps block by block, in scratch arrays)
        _functional._adam_flat(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, float(step),
                               beta1=beta1, beta2=beta2, lr=lr, weight_decay=weight_decay,
                               eps=eps, amsgrad=amsgrad, maximize=maximize,
                               decoupled_weight_decay=decoupled_weight_decay, fused=True)
        return
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_weight_decay:
            p *= f(1 - lr * weight_decay)
        else:
            g = fma(p, f(weight_decay), g)
    w = f(1 - beta1)
    if abs(w) < 0.5:
        exp_avg[...] = fma(w, g - exp_avg, exp_avg)
    else:  # (the lerp from the other end)
        exp_avg[...] = fma(w - f(1), g - exp_avg, g)
    c = f(1 - beta2)
    cg = c * g
    v = fma(cg, g, exp_avg_sq * f(beta2))
    t = _scalar_tail(v.size, f)
    if t is not None:
        flat = v.reshape(-1)
        sq = cg.reshape(-1)[t] * g.reshape(-1)[t]
        flat[t] = fma(exp_avg_sq.reshape(-1)[t], f(beta2), sq)
    exp_avg_sq[...] = v
    if amsgrad:
        np.maximum(max_exp_avg_sq, v, out=max_exp_avg_sq)
        v = max_exp_avg_sq
    step = float(step)
    step_size = lr / (1 - beta1 ** step)
    denom = np.sqrt(v)
    denom /= f(math.sqrt(1 - beta2 ** step))
    denom += f(eps)
    upd = f(-step_size) * exp_avg
    upd /= denom
    p += upd


def sgd(p, g, buf, *, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """One fused SGD step on float32 (or float64) arrays, in place; returns the momentum
    buffer (a new one on the first step), or None without momentum."""
    flat = _windows(p, g, buf)
    if flat is not None:
        new = sgd(*flat, lr=lr, momentum=momentum, dampening=dampening,
                  weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        if buf is None and new is not None:  # (the first step's buffer: a clone of the
            buf = np.array(g, copy=True)  # gradient, laid out as it is, its memory the walk's)
            np.lib.stride_tricks.as_strided(buf, (buf.size,), (buf.itemsize,))[...] = new
        return buf
    f, fma = _kit(p)  # (float32 or float64 arithmetic, as p)
    if maximize:
        g = -g
    if weight_decay != 0:
        g = fma(p, f(weight_decay), g)
    if momentum != 0:
        if buf is None:
            buf = np.array(g, f, copy=True)
        else:
            new = fma(f(1 - dampening), g, buf * f(momentum))
            t = _scalar_tail(new.size, f)
            if t is not None:  # (the scalar code contracts the other product)
                gt = g.reshape(-1)[t] * f(1 - dampening)
                new.reshape(-1)[t] = fma(buf.reshape(-1)[t], f(momentum), gt)
            buf[...] = new
        g = fma(buf, f(momentum), g) if nesterov else buf
    p[...] = fma(g, f(-float(lr)), p)
    return buf


def _adagrad_clr(lr, lr_decay, step):
    """The kernel's ``lr / (1 + (step - 1) * lr_decay)`` in float64, its denominator one fused
    multiply-add (rounded once: the sum of the exact fractions, correctly rounded)."""
    denom = Fraction(float(step) - 1.0) * Fraction(float(lr_decay)) + 1
    return float(lr) / float(denom)


def adagrad(p, g, state_sum, step, *, lr, lr_decay, weight_decay, eps, maximize):
    """One fused Adagrad step on float32 (or float64) arrays, in place.  (float16/bfloat16:
    in float32, where the vector body, the first ``16 * (n // 16)`` values, takes ``clr``,
    ``eps`` and ``weight_decay`` rounded to the arrays' dtype first, the scalar code not.)"""
    flat = _windows(p, g, state_sum)
    if flat is not None:
        return adagrad(*flat, step, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                       eps=eps, maximize=maximize)
    if p.dtype.name in _REDUCED:
        n = p.size
        body = n - n % 16
        low = p.dtype.type
        clr = _adagrad_clr(lr, lr_decay, step)
        flat = [a.reshape(-1) for a in (p, g, state_sum)]
        if body:
            _in_float32(adagrad, *(a[:body] for a in flat), step=1.0,
                        lr=float(low(clr)), lr_decay=0.0,
                        weight_decay=float(low(weight_decay)), eps=float(low(eps)),
                        maximize=maximize)
        if body < n:
            _in_float32(adagrad, *(a[body:] for a in flat), step=1.0, lr=clr, lr_decay=0.0,
                        weight_decay=weight_decay, eps=eps, maximize=maximize)
        return None
    f, fma = _kit(p)  # (float32 or float64 arithmetic, as p)
    if _functional._flat_ok(p, (state_sum,), g) and \
            type(weight_decay) in _PLAIN and type(eps) in _PLAIN:
        # (float32: the same steps block by block; ``p - u`` is ``p + -u`` bit for bit)
        _functional._adagrad_flat(p, g, state_sum,
                                  neg_clr=-f(_adagrad_clr(lr, lr_decay, step)),
                                  weight_decay=weight_decay, eps=eps, maximize=maximize,
                                  fused=True)
        return None
    if maximize:
        g = -g
    if weight_decay != 0:
        g = fma(p, f(weight_decay), g)
    state_sum[...] = fma(g, g, state_sum)
    std = np.sqrt(state_sum)
    std += f(eps)
    upd = f(_adagrad_clr(lr, lr_decay, step)) * g
    upd /= std
    p -= upd
