"""Power-average pooling, local response normalisation and randomized leaky ReLU.

``lp_pool1d/2d/3d`` and ``local_response_norm`` are composites of the pooling ops,
as in PyTorch, so their graphs (``PowBackward0 <- MulBackward0 <- ...``,
``DivBackward0``) and their gradients are PyTorch's.  ``rrelu`` is one primitive
(``RreluWithNoiseBackward0``); in training it draws its slopes from the default
generator exactly as PyTorch's CPU kernel does.  ``cross_map_lrn2d`` is the legacy
``nn.CrossMapLRN2d`` computation, with that module's own (quirky) forward and
backward.
"""
from __future__ import annotations

import math
import sys
from collections.abc import Iterable

import numpy as np

from ... import _dtype as D
from ..._ops._core import OUT, check_inplace, commit, make, snapshot, wrap, xp_of
from ..._tensor import Tensor
from . import pooling as _pool
from .activation import _fwd, _legacy, _mask, _number, _second_order, leaky_grad
from .spatial import pad as _pad

# (cross_map_lrn2d is not in torch.nn.functional: only nn.CrossMapLRN2d uses it)
__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d", "local_response_norm", "rrelu", "rrelu_"]


# -- power-average pooling ----------------------------------------------------------

def _tuple(v, n):  # (PyTorch's _pair/_triple: any iterable, a str too, is taken as it is)
    return tuple(v) if isinstance(v, Iterable) else (v,) * n


def _lp_finish(out: Tensor, norm_type, count) -> Tensor:
    # NOTE: sign(s) * relu(|s|) is just s, but it is how PyTorch writes it: relu's backward
    # blocks the infinite slope of pow(s, 1/p) at s == 0, so a window whose powers sum to
    # zero gets a zero gradient (not NaN).  A negative sum (odd p, negative inputs) gives
    # NaN for a fractional root, as in PyTorch.  sign() is detached: its derivative is zero
    # and PyTorch's SignBackward returns zeros outright, while ember's multiplies the
    # incoming (here infinite) gradient by 0, which would make NaN.
    return (out.sign().detach() * out.abs().relu()).mul(count).pow(1.0 / norm_type)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, maxpool, avgpool, count):
    if isinstance(norm_type, (int, float)):
        if norm_type == math.inf:
            return maxpool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -math.inf:  # the smallest |x| of each window
            return -maxpool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:  # (as PyTorch's: a keyword ceil_mode when no stride is given)
        out = avgpool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avgpool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    if callable(count):  # (the kernel's size, multiplied out after the pool, as PyTorch's)
        count = count()
    if isinstance(count, (list, tuple)):  # (lp_pool1d: PyTorch multiplies by kernel_size itself)
        raise TypeError("mul(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(count).__name__}")
    return _lp_finish(out, norm_type, count)


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False
              ) -> Tensor:
    """``(sum over each window of x**p) ** (1/p)`` over ``(N, C, L)`` or ``(C, L)``.

    ``norm_type=inf`` gives the max of ``|x|`` per window, ``-inf`` the min.  No padding.

    >>> F.lp_pool1d(ember.tensor([[1., 2., 2., 1.]]), 2, 2)
    tensor([[2.2361, 2.2361]])
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, _pool.max_pool1d,
                    _pool.avg_pool1d, kernel_size)


def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False
              ) -> Tensor:
    """2-D power-average pooling over ``(N, C, H, W)`` or ``(C, H, W)`` (see ``lp_pool1d``)."""
    kh, kw = _tuple(kernel_size, 2)
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, _pool.max_pool2d,
                    _pool.avg_pool2d, lambda: kh * kw)


def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False
              ) -> Tensor:
    """3-D power-average pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    kd, kh, kw = _tuple(kernel_size, 3)
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, _pool.max_pool3d,
                    _pool.avg_pool3d, lambda: kd * kh * kw)


# -- local response normalisation ---------------------------------------------------

def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Divide each element by ``(k + alpha * mean of x**2 over `size` neighbouring
    channels) ** beta``; channels are dim 1 of an input of 3 or more dims.

    The window of channel ``c`` is ``[c - size // 2, c + (size - 1) // 2]`` (zeros
    outside), and the mean always divides by ``size``.
    """
    dim = input.dim()
    if dim < 3:
        # NOTE: PyTorch's message has this run of spaces (a line continuation inside it).
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    sq = input.mul(input)
    if dim == 3:
        sq = _pad(sq.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        if size <= 0:  # PyTorch's avg_pool2d names the kernel before its (unit) stride
            raise RuntimeError(f"kernel size should be greater than zero, but got kH: {size} "
                               "kW: 1")
        div = _pool.avg_pool2d(sq, (size, 1), stride=1).squeeze(1)
    else:
        shape = input.shape
        sq = sq.view(shape[0], 1, shape[1], shape[2], -1)
        sq = _pad(sq, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = _pool.avg_pool3d(sq, (size, 1, 1), stride=1).squeeze(1).view(shape)
    return input / div.mul(alpha).add(k).pow(beta)


def cross_map_lrn2d(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                    k: float = 1.0) -> Tensor:
    """The computation of ``nn.CrossMapLRN2d`` (4-D input only).

    NOTE: this reproduces PyTorch's legacy implementation, quirks included: the running
    window sum never drops channel 0 (for ``size >= 3`` channels far from 0 still count
    it), an even ``size`` sums only ``size - 1`` channels, and the backward is that
    module's hand-written formula, whose window is shifted by one channel from the
    forward's (so it is not the exact derivative of the forward).
    """
    if input.dim() != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
    xp = xp_of(input)
    a = input._data
    sq = a * a
    channels = a.shape[1]
    pre = int((size - 1) / 2 + 1)
    scale = xp.empty_like(a)
    first = xp.zeros_like(a[:, 0])
    for c in range(min(pre, channels)):
        first += sq[:, c]
    scale[:, 0] = first
    for c in range(1, channels):  # the running sum, updated as PyTorch updates it
        cur = scale[:, c - 1].copy()
        if c < channels - pre + 1:
            cur += sq[:, c + pre - 1]
        if c > pre:
            cur -= sq[:, c - pre]
        scale[:, c] = cur
    scale *= a.dtype.type(alpha / size)
    scale += a.dtype.type(k)
    out = xp.power(scale, a.dtype.type(-beta)) * a
    return make(out, (input,), "CrossMapLRN2dBackward", _cross_map_rule, input, scale, out,
                size, alpha, beta)


def _cross_map_rule(ctx, g):
    x, scale, out, size, alpha, beta = ctx.saved
    xp = xp_of(g)
    a, ga = x._data, g._data
    n, channels = a.shape[:2]
    dt = a.dtype.type
    coef = dt(2 * alpha * beta / size)
    inv_pre = int(size - (size - 1) / 2)
    if inv_pre + channels > channels + size - 1:  # size 1: PyTorch's narrow fails
        raise RuntimeError(f"start ({inv_pre}) + length ({channels}) exceeds dimension size "
                           f"({channels + size - 1}).")
    gi = xp.power(scale, dt(-beta)) * ga
    padded = xp.zeros((n, channels + size - 1) + a.shape[2:], dtype=a.dtype)
    padded[:, inv_pre:inv_pre + channels] = ga * out / scale
    acc = padded[:, :size - 1].sum(1)
    for c in range(channels):
        acc = acc + padded[:, c + size - 1]
        gi[:, c] -= coef * a[:, c] * acc
        acc = acc - padded[:, c]
    return (wrap(gi, g._device),)


# -- randomized leaky ReLU ------------------------------------------------------------

def _check_bounds(lower, upper):
    if not math.isfinite(lower):
        raise RuntimeError(f"rrelu: lower bound must be finite, got {_num(lower)}")
    if not math.isfinite(upper):
        raise RuntimeError(f"rrelu: upper bound must be finite, got {_num(upper)}")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")


def _num(v):
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def _draw_slopes(x: Tensor, lower, upper):
    """Output and noise (the slope per element, 1 where ``x > 0``) of a training pass.

    NOTE: PyTorch's CPU kernel walks the elements in row-major order and, for each one
    ``<= 0`` (zeros too), draws ``uniform_real_distribution<double>(lower, upper)``: one
    ``random64()``, ``u = (r & (2**53 - 1)) * 2**-53`` and ``u * (upper - lower) + lower``
    in double (not fused), where ``lower``/``upper`` were first rounded to the op's
    compute type (float for float32 and bfloat16).  The slope is rounded to that type and
    multiplies the element in it.
    """
    from ..._ops.creation import _gen

    a = x._data
    dt = a.dtype
    comp = np.float64 if dt == np.float64 else np.float32
    lo, hi = float(comp(lower)), float(comp(upper))
    host = a.get() if hasattr(a, "get") else np.asarray(a)
    neg = host.reshape(-1) <= 0
    bits = _gen(None).random_u64(int(neg.sum()))
    u = (bits & np.uint64((1 << 53) - 1)).astype(np.float64) * (2.0 ** -53)
    slope = (u * (hi - lo) + lo).astype(comp)
    noise = np.ones(host.size, dtype=comp)
    noise[neg] = slope
    noise = noise.reshape(host.shape)
    out = np.where(neg.reshape(host.shape), host.astype(comp) * noise, host)
    xp = xp_of(x)
    return xp.asarray(out.astype(dt)), xp.asarray(noise.astype(dt))


def _rrelu(x: Tensor, lower, upper, training, name):
    _check_bounds(lower, upper)
    if training:
        if not x.dtype.is_floating_point or x.dtype is D.float16:
            raise NotImplementedError(
                f'"rrelu_with_noise_out_cpu" not implemented for \'{_legacy(x.dtype)}\'')
        out, noise = _draw_slopes(x, lower, upper)
        # (as PyTorch, the in-place op keeps its result, positive where the input was)
        return make(out, (x,), name, _rrelu_rule, OUT if name[-1] == "1" else x, noise,
                    (lower + upper) / 2, name)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"leaky_relu_cpu" not implemented for \'{_legacy(x.dtype)}\'')
    slope = (lower + upper) / 2
    out = _fwd(x, lambda a, xp: xp.where(a > 0, a, a * slope))
    return make(out, (x,), name, _rrelu_rule, OUT if name[-1] == "1" else x, None, slope, name)


def _rrelu_rule(ctx, g):
    x, noise, slope, name = ctx.saved
    if noise is not None:
        def again(gg):
            return _mask(gg, noise)
    else:
        def again(gg):
            return leaky_grad(gg, x, slope, name)
    # (create_graph: one node of the gradient and the input, as PyTorch's)
    return (_second_order(again(g), g, x, "RreluWithNoiseBackwardBackward0", again),)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: ``x`` where positive, ``a * x`` elsewhere.

    In training ``a`` is drawn uniformly from ``[lower, upper)`` for every element
    ``<= 0`` (PyTorch's numbers for the same seed); otherwise ``a = (lower + upper) / 2``.
    The gradient is the slope used.
    """
    if inplace:
        return rrelu_(input, lower, upper, training)
    lower = _number(lower, "rrelu", "lower", 2)
    upper = _number(upper, "rrelu", "upper", 3)
    _refuse_under_vmap("rrelu")
    return _rrelu(input, lower, upper, training, "RreluWithNoiseBackward0")


def _refuse_under_vmap(name):
    """PyTorch's vmap has no batching rule for rrelu, in or out of training (ember takes
    the input to be mapped)."""
    vmap = sys.modules.get("ember.func._vmap")
    if vmap is not None and vmap._LEVELS:
        raise RuntimeError(f"vmap: we do not yet support aten::{name}. Please file an issue")


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place ``rrelu``."""
    lower = _number(lower, "rrelu_", "lower", 2)
    upper = _number(upper, "rrelu_", "upper", 3)
    _refuse_under_vmap("rrelu_")
    check_inplace(input)
    return commit(input, _rrelu(snapshot(input), lower, upper, training,
                                "RreluWithNoiseBackward1"))
