"""Dropout: ``dropout``, ``dropout1d/2d/3d``, ``alpha_dropout``, ``feature_alpha_dropout``.

All are composites: a noise tensor is drawn with ``bernoulli_(1 - p)`` on the
default generator, exactly as PyTorch draws it on the CPU, so that after the same
``manual_seed`` the kept elements (and the output) are PyTorch's bit for bit.
The noise is scaled once (by ``1 / (1 - p)``) and the input multiplied by it, so
the result's ``grad_fn`` is ``MulBackward0`` as in PyTorch.
"""
from __future__ import annotations

import math
from ember._warnings import warn_up

from ..._argparse import _is_float
from ..._ops import creation
from ..._tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

# The SELU constant alpha * scale: alpha dropout sets dropped units to SELU's negative limit.
_SELU_NEG = 1.7580993408473766


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise_shape(input: Tensor, feature: bool, batched: bool = True):
    if not feature:
        return tuple(input.shape)
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if batched:  # one draw per (sample, channel)
        return tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return (input.shape[0],) + (1,) * (input.ndim - 1)  # unbatched: one per channel


def _dropout(input: Tensor, p, training, inplace, feature=False, alpha=False, batched=True):
    if not isinstance(training, bool) or type(p) is not float and type(p) is not int and \
            not _is_float(p):
        # (PyTorch's native op takes a Python bool alone: ``model.training = None`` fails)
        from ..._ops._core import tp_name

        name = ("feature_" if feature else "") + ("alpha_" if alpha else "") + "dropout" + \
            ("_" if inplace else "")
        arg, pos, kind, obj = ("train", 3, "bool", training) if _is_float(p) else (
            "p", 2, "float", p)  # (its parser's order: ``p``, then ``train``)
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be {kind}, not "
                        f"{tp_name(obj)}")
    if type(input) is not Tensor and input.is_sparse:
        _sparse_refusal(input, p, training, batched, feature)
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = creation.zeros((), dtype=input.dtype, device=input.device)
        return input.mul_(zero) if inplace else input * zero
    shape = _noise_shape(input, feature, batched)
    # NOTE: an elementwise mask takes the input's layout and is drawn in memory order, as
    # PyTorch's (empty_like, then bernoulli_): a transposed input gets PyTorch's mask
    # (the feature dropouts' noise: always a new row-major tensor, even of the input's shape)
    noise = creation.empty_like(input) if tuple(shape) == tuple(input.shape) and \
        not feature else creation.empty(shape, dtype=input.dtype, device=input.device)
    creation.bernoulli_(noise, 1 - p)
    if not alpha:
        noise.div_(1 - p)
        return input.mul_(noise) if inplace else input * noise
    # Alpha dropout keeps mean and variance: dropped units become -alpha', then an affine map.
    a = 1.0 / math.sqrt((_SELU_NEG * _SELU_NEG * p + 1) * (1 - p))
    b = noise.add(-1).mul_(_SELU_NEG * a).add_(_SELU_NEG * a * p)
    noise.mul_(a)
    return input.mul_(noise).add_(b) if inplace else input * noise + b


def _sparse_refusal(input, p, training, batched, feature):
    """PyTorch's dropouts of a sparse COO input: its noise tensor, sparse like the input, has
    no ``bernoulli_``; an unbatched feature dropout's ``squeeze`` of its result has no sparse
    kernel either (it is reached where the input is returned unchanged)."""
    from ..._sparse import _no_kernel

    unchanged = p == 0 or not training or input.numel() == 0
    if not batched and (unchanged or p == 1):
        raise NotImplementedError(_no_kernel("aten::as_strided"))
    if not unchanged and p != 1:
        if feature and batched:
            _noise_shape(input, True)  # (its refusal of fewer than 2 dims first)
        raise NotImplementedError(_no_kernel("aten::bernoulli_.float"))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Returns ``input`` itself when not training or when ``p`` is 0.

    >>> ember.manual_seed(0); F.dropout(ember.ones(4), 0.5)
    tensor([0., 0., 2., 0.])
    """
    _check_p(p)
    return _dropout(input, p, training, inplace)


def _spatial_warning(name, ndim, spatial, ok):
    # (PyTorch's ``stacklevel=2``: at a dropout module's line when one calls the function)
    warn_up(
        f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in "
        f"an error in a future release. To retain the behavior and silence this warning, please "
        f"use dropout instead. Note that {name} exists to provide channel-wise dropout on inputs "
        f"with {spatial} spatial dimensions, a channel dimension, and an optional batch dimension "
        f"(i.e. {ok} inputs).", UserWarning, depth=2)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    _check_p(p)
    ndim = input.dim()  # (PyTorch's call: a non-tensor has no ``dim``)
    if ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {ndim}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout on "
                           "inputs with 1 spatial dimension, a channel dimension, and an optional "
                           "batch dimension (i.e. 2D or 3D inputs).")
    return _dropout(input, p, training, inplace, feature=True, batched=ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability ``p``.

    NOTE: as in PyTorch, 3-D input is read as (N, C, L) (with a warning), not as an
    unbatched (C, H, W).
    """
    _check_p(p)
    ndim = input.dim()  # (PyTorch's call: a non-tensor has no ``dim``)
    if ndim not in (3, 4):
        _spatial_warning("dropout2d", ndim, 2, "3D or 4D")
    if ndim == 3:
        warn_up(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning)
    return _dropout(input, p, training, inplace, feature=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p``."""
    _check_p(p)
    ndim = input.dim()  # (PyTorch's call: a non-tensor has no ``dim``)
    if ndim not in (4, 5):
        _spatial_warning("dropout3d", ndim, 3, "4D or 5D")
    return _dropout(input, p, training, inplace, feature=True, batched=ndim == 5)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: keeps zero mean and unit variance (note ``training=False``)."""
    _check_p(p)
    return _dropout(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels."""
    _check_p(p)
    return _dropout(input, p, training, inplace, feature=True, alpha=True)
