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
float64 (float32), so Adam's moments are PyTorch's bit for bit; but PyTorch's
float32 ``sqrt`` comes from MKL's vector library, which is not correctly
rounded (NumPy's is; 16% of values differ by an ulp), and for float16/bfloat16
PyTorch computes each kernel in float32 and rounds once.  So an element of
Adam's and RMSprop's parameters can differ by an ulp per step.  ``addcdiv_``, ``mul_``, division
by a scalar and ``maximum`` match PyTorch bit for bit as they are.
"""
from __future__ import annotations

import numpy as np

from .._blas import added
from .._random import _fma32
from .._blas import fused_axpy as axpy
from ..cuda import _kernels

# -- PyTorch's in-place kernels, as array operations ------------------------------------------


def add_(a, b, alpha=1):
    """``a.add_(b, alpha=alpha)``."""
    if alpha == 1:
        a += b
    elif alpha == -1:
        a -= b
    elif not axpy(alpha, b, a):
        a += b * alpha
    return a


def lerp_(a, b, w):
    """``a.lerp_(b, w)`` with PyTorch's two formulas: ``a + w*(b-a)`` for ``|w| < 0.5``,
    else ``b - (b-a)*(1-w)`` (with ``1 - w`` in the array's dtype)."""
    d = b - a
    if abs(w) < 0.5:
        if not axpy(w, d, a):
            d *= w
            a += d
    else:
        dt = a.dtype.type
        c = dt(1) - dt(w)
        if d.shape == a.shape:
            a[...] = b
            if axpy(-c, d, a):
                return a
        d *= c
        np.subtract(b, d, out=a)
    return a


def addcmul_(a, b, c, value=1):
    """``a.addcmul_(b, c, value=value)``: ``a + (value*b)*c``, the last product fused into
    the sum as PyTorch's kernels fuse it (exactly for float32 NumPy arrays; rounded twice
    for other dtypes)."""
    t = b if value == 1 else b * value
    if type(a) is np.ndarray and a.dtype == np.float32:
        a[...] = _fma32(t, c, a)
        return a
    if a.dtype == np.float32:  # a GPU's kernel fuses it too (float64 sum: a rare double rounding)
        a[...] = t.astype(np.float64) * c + a
        return a
    t = t * c
    a += t
    return a


def addcdiv_(a, b, c, value=1):
    """``a.addcdiv_(b, c, value=value)``: ``a + (value*b)/c``."""
    t = b / c if value == 1 else b * value
    if value != 1:
        t /= c
    a += t
    return a


def _grad(p, g, maximize, weight_decay):
    """The gradient an update uses: negated for ``maximize``, plus coupled weight decay."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = added(g, p, weight_decay)
    return g


# -- the updates ------------------------------------------------------------------------------


def sgd(p, g, buf, *, lr, momentum, dampening, weight_decay, nesterov, maximize,
        fused=True):
    """SGD; returns the momentum buffer (a new array on the first step with momentum).  On
    a GPU, one fused kernel (``fused=False``: the generic update there too)."""
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
            buf *= momentum
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


def adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, fused=True, **opts):
    """Adam, and AdamW with ``decoupled_weight_decay``: on a GPU in one fused kernel
    (``fused=False``: the generic update there too), on the CPU block by block (the same
    operations on each element, with the memory traffic of one pass)."""
    if fused and type(p) is not np.ndarray:
        k = _kernels.for_array(p)
        if k is not None and k.adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, **opts):
            return
    for bp, bm, bv, bmax, bg in _blocks((p, exp_avg, exp_avg_sq, max_exp_avg_sq), (g,)):
        _adam(bp, bg, bm, bv, bmax, step, **opts)


def _adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, step, *, beta1, beta2, lr, weight_decay,
          eps, amsgrad, maximize, decoupled_weight_decay):
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_weight_decay:
            p *= 1 - lr * weight_decay
        else:
            g = added(g, p, weight_decay)
    lerp_(exp_avg, g, 1 - beta1)
    exp_avg_sq *= beta2
    addcmul_(exp_avg_sq, g, g, 1 - beta2)
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = np.sqrt(max_exp_avg_sq)
    else:
        denom = np.sqrt(exp_avg_sq)
    denom /= bias_correction2_sqrt
    denom += eps
    addcdiv_(p, exp_avg, denom, -step_size)


def rmsprop(p, g, square_avg, grad_avg, buf, *, lr, alpha, eps, weight_decay, momentum,
            centered, maximize):
    g = _grad(p, g, maximize, weight_decay)
    square_avg *= alpha
    addcmul_(square_avg, g, g, 1 - alpha)
    if centered:
        lerp_(grad_avg, g, 1 - alpha)
        avg = addcmul_(square_avg.copy(), grad_avg, grad_avg, -1)
        np.sqrt(avg, out=avg)
    else:
        avg = np.sqrt(square_avg)
    avg += eps
    if momentum > 0:
        buf *= momentum
        addcdiv_(buf, g, avg)
        add_(p, buf, -lr)
    else:
        addcdiv_(p, g, avg, -lr)


def adagrad(p, g, state_sum, step, *, lr, lr_decay, weight_decay, eps, maximize):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = added(g, p, weight_decay)
    clr = lr / (1 + (step - 1) * lr_decay)
    addcmul_(state_sum, g, g)
    std = np.sqrt(state_sum)
    std += eps
    addcdiv_(p, g, std, -clr)


def adadelta(p, g, square_avg, acc_delta, *, lr, rho, eps, weight_decay, maximize):
    g = _grad(p, g, maximize, weight_decay)
    square_avg *= rho
    addcmul_(square_avg, g, g, 1 - rho)
    std = square_avg + eps
    np.sqrt(std, out=std)
    delta = acc_delta + eps
    np.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    acc_delta *= rho
    addcmul_(acc_delta, delta, delta, 1 - rho)
    add_(p, delta, -lr)


def adamax(p, g, exp_avg, exp_inf, step, *, lr, beta1, beta2, eps, weight_decay, maximize):
    g = _grad(p, g, maximize, weight_decay)
    lerp_(exp_avg, g, 1 - beta1)
    exp_inf *= beta2
    norm = np.abs(g)
    norm += eps
    np.maximum(exp_inf, norm, out=exp_inf)
    clr = lr / (1 - beta1 ** step)
    addcdiv_(p, exp_avg, exp_inf, -clr)


def nadam(p, g, exp_avg, exp_avg_sq, mu_product, step, *, lr, beta1, beta2, eps, weight_decay,
          momentum_decay, decoupled_weight_decay, maximize):
    """NAdam; ``mu_product`` is the 0-d array of the running product of the momentum
    coefficients (in the step dtype), updated in place."""
    if maximize:
        g = -g
    bias_correction2 = 1 - beta2 ** step
    if weight_decay != 0:
        if decoupled_weight_decay:
            p *= 1 - lr * weight_decay
        else:
            g = added(g, p, weight_decay)
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
    mu_product *= mu
    lerp_(exp_avg, g, 1 - beta1)
    exp_avg_sq *= beta2
    addcmul_(exp_avg_sq, g, g, 1 - beta2)
    denom = exp_avg_sq / bias_correction2
    np.sqrt(denom, out=denom)
    mu_prod = float(mu_product)
    mu_product_next = mu_prod * mu_next
    denom += eps
    addcdiv_(p, g, denom, -lr * (1.0 - mu) / (1.0 - mu_prod))
    addcdiv_(p, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next))


def radam(p, g, exp_avg, exp_avg_sq, step, *, lr, beta1, beta2, eps, weight_decay,
          decoupled_weight_decay, maximize):
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_weight_decay:
            p *= 1 - lr * weight_decay
        else:
            g = added(g, p, weight_decay)
    lerp_(exp_avg, g, 1 - beta1)
    exp_avg_sq *= beta2
    addcmul_(exp_avg_sq, g, g, 1 - beta2)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    update = exp_avg / bias_correction1
    update *= lr
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    if rho_t > 5.0:
        # The rectified step: (m_hat * lr) * (sqrt(bc2) / (sqrt(v) + eps)) * rect.
        # NOTE: PyTorch evaluates ``scalar / tensor`` as ``tensor.reciprocal() * scalar``.
        adaptive = np.sqrt(exp_avg_sq)
        adaptive += eps
        np.reciprocal(adaptive, out=adaptive)
        adaptive *= bias_correction2 ** 0.5
        update *= adaptive
        update *= ((rho_t - 4) * (rho_t - 2) * rho_inf
                   / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    p -= update


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
