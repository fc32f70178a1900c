"""Fractional max pooling (Graham, 2014): windows at pseudo-random, increasing offsets.

Each (batch, channel) plane draws two numbers ``u`` in [0, 1) (one for the width, one for
the height); window ``i`` of ``out`` starts at ``int((i + u) * alpha) - int(u * alpha)``
with ``alpha = (in - k) / (out - 1)``, computed in the input's dtype, and the last window
ends at the input's edge.  Without ``_random_samples`` the numbers come from one
``rand(N, C, 2)`` call in the input's dtype, so seeded runs match PyTorch's.
"""
from __future__ import annotations

import numpy as np

from ..._ops._core import grads_shown_as, make, wrap, xp_of
from ..._tensor import Tensor
from .pooling import _float_only, _scatter_plane

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices"]


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _sizes(v, n, what):
    """``v`` as ``n`` ints, PyTorch's int-list check: a single int or a sequence of ``n``."""
    v = tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
    if len(v) != n:
        raise RuntimeError(what)
    return v


def _parsed(nsp):
    """PyTorch's parser in front of ``fractional_max_pool{nsp}d``: its ints read."""
    from ..._argparse import with_int_args

    k = f"int[{nsp}]"
    return with_int_args(f"fractional_max_pool{nsp}d", [
        f"Tensor input, {k} kernel_size, {k} output_size, Tensor random_samples"])(
        lambda *args: tuple(tuple(int(v) for v in a) if isinstance(a, (tuple, list)) else
                            int(a) for a in args[1:3]))  # (a bool after the first item: 1)


_FRACTIONAL_ARGS = {2: _parsed(2), 3: _parsed(3)}


def _check_out_shape(lead, out):
    """PyTorch's check when it allocates the output ``lead + out``."""
    if min(out) < 0:
        bad = next(o for o in out if o < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"{list(lead) + list(out)}")


def _empty_windows(xp, a, starts, sizes, out_shape):
    """Windows with a size <= 0 are empty: PyTorch's kernel gives -inf, indexed at the start."""
    n, c = a.shape[:2]
    idx = np.zeros((n, c) + tuple(out_shape), np.int64)
    for ax, (st, size) in enumerate(zip(starts, sizes)):
        shape = [n, c] + [1] * len(out_shape)
        shape[2 + ax] = out_shape[ax]
        idx = idx * size + st.reshape(shape)
    best = xp.full(idx.shape, -np.inf, a.dtype)
    return best, xp.asarray(idx)


def _starts(u, n_in, n_out, k):
    """Window starts (..., n_out) for the samples ``u`` (...) of one axis."""
    dt = u.dtype
    starts = np.zeros(u.shape + (n_out,), np.int64)
    if n_out > 1:
        alpha = dt.type(n_in - k) / dt.type(n_out - 1)
        base = (u * alpha).astype(np.int64)
        for i in range(n_out - 1):  # (dtype arithmetic throughout, as PyTorch's kernel)
            starts[..., i] = ((dt.type(i) + u) * alpha).astype(np.int64) - base
    if n_out > 0:
        starts[..., n_out - 1] = n_in - k
    return starts


@grads_shown_as("FractionalMaxPool2DBackwardBackward0", takes_input=True)
def _frac_rule(ctx, g):
    idx, shape = ctx.saved
    return (_scatter_plane(g, idx, shape),)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None):
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool2d requires specifying either an output_size or "
                         "an output_ratio")
    if output_size is None:
        # NOTE: PyTorch takes len() of output_ratio here, so a bare float raises TypeError.
        if len(output_ratio) > 2:
            raise ValueError("fractional_max_pool2d requires output_ratio to either be a "
                             "single Int or tuple of Ints.")
        r = _pair(output_ratio)
        output_size = [int(input.size(-2) * r[0]), int(input.size(-1) * r[1])]
    if _random_samples is None:
        import ember

        n = 1 if input.dim() == 3 else input.size(0)
        _random_samples = ember.rand(n, input.size(-3), 2, dtype=input.dtype,
                                     device=input.device)
    kernel_size, output_size = _FRACTIONAL_ARGS[2](input, kernel_size, output_size,
                                                   _random_samples)
    kh, kw = _sizes(kernel_size, 2, "fractional_max_pool2d: kernel_size must either be a "
                    "single Int or tuple of Ints")
    oh, ow = _sizes(output_size, 2, "fractional_max_pool2d: output_size must either be a "
                    "single Int or tuple of Ints")
    shape = list(input.shape)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"fractional_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{shape}")
    for d in range(1, input.dim()):
        if shape[d] == 0:
            raise RuntimeError("fractional_max_pool2d(): Expected input to have non-zero size "
                               f"for non-batch dimensions, but got{shape} with dimension {d} "
                               "being empty.")
    batched = input.dim() == 4
    a = input._data if batched else input._data[None]
    n, c, h, w = a.shape
    if oh + kh - 1 > h:
        raise RuntimeError(f"fractional_max_pool2d(): pool height {kh} too large relative to "
                           f"input height {h}")
    if ow + kw - 1 > w:
        raise RuntimeError(f"fractional_max_pool2d(): pool width {kw} too large relative to "
                           f"input width {w}")
    _check_out_shape(shape[:-2], (oh, ow))
    rs = _random_samples
    if rs.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if rs.dim() != 3:
        raise RuntimeError(f"Expect _random samples to be 3d tensor, got {rs.dim()}d tensor.")
    if rs.size(0) < n:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if rs.size(1) != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if rs.size(2) != 2:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to 2; got {rs.size(2)}.")
    _float_only(input, "fractional_max_pool2d_out_frame")
    xp = xp_of(input)
    u = np.asarray(rs._data[:n] if xp is np else rs._data[:n].get())
    if kh <= 0 or kw <= 0:
        best, idx = _empty_windows(xp, a, (_starts(u[..., 1], h, oh, kh),
                                           _starts(u[..., 0], w, ow, kw)), (h, w), (oh, ow))
        if not batched:
            best, idx = best[0], idx[0]
        res = make(best, (input,), "FractionalMaxPool2DBackward0", _frac_rule, idx, input.shape)
        return res, wrap(idx, input._device)
    rows = _starts(u[..., 1], h, oh, kh)[..., None] + np.arange(kh)  # (N, C, oh, kh)
    cols = _starts(u[..., 0], w, ow, kw)[..., None] + np.arange(kw)  # (N, C, ow, kw)
    rr = np.broadcast_to(rows[:, :, :, None, :, None], (n, c, oh, ow, kh, kw))
    cc = np.broadcast_to(cols[:, :, None, :, None, :], (n, c, oh, ow, kh, kw))
    flat = (rr * w + cc).reshape(n, c, oh, ow, kh * kw)
    win = xp.take_along_axis(a.reshape(n, c, 1, h * w),
                             xp.asarray(flat.reshape(n, c, 1, oh * ow * kh * kw)), -1)
    win = win.reshape(n, c, oh, ow, kh * kw)
    # the first maximum of each window, or its last NaN (NaN beats everything)
    nan = xp.isnan(win)
    last_nan = kh * kw - 1 - xp.argmax(nan[..., ::-1], -1)
    pos = xp.where(nan.any(-1), last_nan, xp.argmax(win, -1))[..., None]
    best = xp.take_along_axis(win, pos, -1)[..., 0]
    idx = xp.take_along_axis(xp.asarray(flat), pos, -1)[..., 0]
    if not batched:
        best, idx = best[0], idx[0]
    res = make(best, (input,), "FractionalMaxPool2DBackward0", _frac_rule, idx, input.shape)
    return res, wrap(idx, input._device)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Max pooling over pseudo-random windows to ``output_size`` (or ``output_ratio`` of the
    input); ``return_indices`` also gives the flat positions of the maxima."""
    out, idx = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio,
                                                  return_indices, _random_samples)
    return (out, idx) if return_indices else out
