"""Fractional max pooling over volumes: ``fractional_max_pool3d`` (see ``fractional.py``).

Each (batch, channel) volume draws three numbers ``u`` in [0, 1), for the depth, height and
width in that order (one ``rand(N, C, 3)`` call in the input's dtype, so seeded runs match
PyTorch's).  Within a window the maximum is searched in memory order (depth, height,
width), the first of equal maxima winning and a NaN beating everything.
"""
from __future__ import annotations

import numpy as np

from ..._ops._core import grads_shown_as, make, wrap, xp_of
from ..._tensor import Tensor
from .fractional import _FRACTIONAL_ARGS, _check_out_shape, _empty_windows, _sizes, _starts
from .pooling import _float_only

__all__ = ["fractional_max_pool3d", "fractional_max_pool3d_with_indices"]


def _triple(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v, v)


@grads_shown_as("FractionalMaxPool3DBackwardBackward0", takes_input=True)
def _frac3_rule(ctx, g):
    idx, shape = ctx.saved
    from ..._ops import creation

    lead = tuple(shape[:-3])
    flat = creation.zeros(lead + (shape[-3] * shape[-2] * shape[-1],), dtype=g.dtype,
                          device=g.device)
    it = wrap(idx, g._device).flatten(-3)
    return (flat.scatter_add(-1, it, g.flatten(-3)).reshape(shape),)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None):
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool3d requires specifying either an output_size or "
                         "an output_ratio")
    if output_size is None:
        r = _triple(output_ratio)
        output_size = [int(input.size(-3) * r[0]), int(input.size(-2) * r[1]),
                       int(input.size(-1) * r[2])]
    if _random_samples is None:
        import ember

        n = 1 if input.dim() == 4 else input.size(0)
        _random_samples = ember.rand(n, input.size(-4), 3, dtype=input.dtype,
                                     device=input.device)
    kernel_size, output_size = _FRACTIONAL_ARGS[3](input, kernel_size, output_size,
                                                   _random_samples)
    kt, kh, kw = _sizes(kernel_size, 3, "fractional_max_pool3d: kernel_size must either be a "
                        "single Int or tuple of three Ints")
    ot, oh, ow = _sizes(output_size, 3, "fractional_max_pool3d: output_size must either be a "
                        "single Int or tuple of three Ints")
    shape = list(input.shape)
    if input.dim() not in (4, 5):
        raise RuntimeError(f"fractional_max_pool3d_out(): Expected 4D or 5D tensor, but got: "
                           f"{shape}")
    for d in range(1, input.dim()):
        if shape[d] == 0:
            raise RuntimeError("fractional_max_pool3d_out(): Expected input to have non-zero "
                               f"size for non-batch dimensions, but got{shape} with dimension "
                               f"{d} being empty.")
    batched = input.dim() == 5
    a = input._data if batched else input._data[None]
    n, c, t, h, w = a.shape
    for name, o, k, i in (("time", ot, kt, t), ("height", oh, kh, h), ("width", ow, kw, w)):
        if o + k - 1 > i:
            raise RuntimeError(f"fractional_max_pool3d_out(): pool {name} {k} too large "
                               f"relative to input {name} {i}")
    _check_out_shape(shape[:-3], (ot, oh, ow))
    rs = _random_samples
    if rs.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if rs.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {rs.dim()}")
    if rs.size(0) < n:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if rs.size(1) != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if rs.size(2) != 3:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to 3; got {rs.size(2)}.")
    _float_only(input, "fractional_max_pool3d_out_frame")
    xp = xp_of(input)
    u = np.asarray(rs._data[:n] if xp is np else rs._data[:n].get())
    if kt <= 0 or kh <= 0 or kw <= 0:
        best, idx = _empty_windows(xp, a, (_starts(u[..., 0], t, ot, kt),
                                           _starts(u[..., 1], h, oh, kh),
                                           _starts(u[..., 2], w, ow, kw)), (t, h, w),
                                   (ot, oh, ow))
        if not batched:
            best, idx = best[0], idx[0]
        res = make(best, (input,), "FractionalMaxPool3DBackward0", _frac3_rule, idx,
                   input.shape)
        return res, wrap(idx, input._device)
    ts = _starts(u[..., 0], t, ot, kt)[..., None] + np.arange(kt)  # (N, C, ot, kt)
    hs = _starts(u[..., 1], h, oh, kh)[..., None] + np.arange(kh)
    ws = _starts(u[..., 2], w, ow, kw)[..., None] + np.arange(kw)
    # window elements in memory order, the order PyTorch searches them
    full = (n, c, ot, oh, ow, kt, kh, kw)
    tt = np.broadcast_to(ts[:, :, :, None, None, :, None, None], full)
    hh = np.broadcast_to(hs[:, :, None, :, None, None, :, None], full)
    ww = np.broadcast_to(ws[:, :, None, None, :, None, None, :], full)
    kk = kh * kw * kt
    flat = ((tt * h + hh) * w + ww).reshape(n, c, ot * oh * ow * kk)
    win = xp.take_along_axis(a.reshape(n, c, t * h * w), xp.asarray(flat), -1)
    win = win.reshape(n, c, ot, oh, ow, kk)
    flat = flat.reshape(n, c, ot, oh, ow, kk)
    nan = xp.isnan(win)
    last_nan = kk - 1 - xp.argmax(nan[..., ::-1], -1)
    pos = xp.where(nan.any(-1), last_nan, xp.argmax(win, -1))[..., None]
    best = xp.take_along_axis(win, pos, -1)[..., 0]
    idx = xp.take_along_axis(xp.asarray(flat), pos, -1)[..., 0]
    if not batched:
        best, idx = best[0], idx[0]
    res = make(best, (input,), "FractionalMaxPool3DBackward0", _frac3_rule, idx, input.shape)
    return res, wrap(idx, input._device)


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Max pooling of volumes over pseudo-random windows to ``output_size`` (or
    ``output_ratio`` of the input); ``return_indices`` also gives the maxima's flat
    positions."""
    out, idx = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio,
                                                  return_indices, _random_samples)
    return (out, idx) if return_indices else out
