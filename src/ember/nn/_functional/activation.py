"""Activations and softmax.  Each op is a primitive with PyTorch's node name."""
from __future__ import annotations

import numpy as np

from ..._ops import pointwise as P
from ..._ops._core import OUT, make, norm_dim, xp_of
from ..._tensor import Tensor

__all__ = ["relu", "relu_", "softmax", "log_softmax", "softmin"]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu_() if inplace else P.relu(input)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def _softmax_dim(ndim):
    import warnings

    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def _dim_dtype(input, dim, dtype):
    if dim is None:
        dim = _softmax_dim(input.dim())
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f'"softmax_lastdim_kernel_impl" not implemented for '
                           f"'{_legacy(input.dtype)}'")
    return input, norm_dim(dim, input.dim())


def _legacy(dt):
    from ..._ops._core import _legacy as f

    return f(dt)


def _shifted(a, d):
    """``a - max(a)`` along ``d`` (the usual guard against overflow in exp)."""
    m = a.max(axis=d, keepdims=True) if a.size else a
    if a.size and not np.all(np.isfinite(m)):
        m = np.where(np.isfinite(m), m, 0)
    return a - m


def softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    input, d = _dim_dtype(input, dim, dtype)
    a = input._data if input.ndim else input._data.reshape(1)
    low = a.dtype in (np.float16,) or a.dtype.name == "bfloat16"
    x = a.astype(np.float32) if low else a
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(_shifted(x, d))
        out = (e / e.sum(axis=d, keepdims=True)).astype(a.dtype, copy=False).reshape(input.shape)
    return make(out, (input,), "SoftmaxBackward0", _softmax_rule, OUT, d)


def _softmax_rule(ctx, g):
    y, d = ctx.saved
    return (y * (g - (g * y).sum(d, keepdim=True)),)


def log_softmax(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    input, d = _dim_dtype(input, dim, dtype)
    a = input._data if input.ndim else input._data.reshape(1)
    low = a.dtype in (np.float16,) or a.dtype.name == "bfloat16"
    x = a.astype(np.float32) if low else a
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        s = _shifted(x, d)
        out = (s - np.log(np.exp(s).sum(axis=d, keepdims=True))).astype(a.dtype, copy=False)
    out = out.reshape(input.shape)
    return make(out, (input,), "LogSoftmaxBackward0", _log_softmax_rule, OUT, d)


def _log_softmax_rule(ctx, g):
    y, d = ctx.saved
    return (g - y.exp() * g.sum(d, keepdim=True),)


def softmin(input: Tensor, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    if dim is None:
        dim = _softmax_dim(input.dim())
    return softmax(-input if dtype is None else -input.to(dtype), dim)


xp_of  # noqa: B018
