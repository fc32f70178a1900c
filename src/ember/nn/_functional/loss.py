"""Loss functions.

The losses PyTorch runs as one kernel are primitives here too, with PyTorch's
node names (``NllLossBackward0``, ``MseLossBackward0``,
``BinaryCrossEntropyWithLogitsBackward0``...); the ones PyTorch composes from
other ops (``l1_loss``, ``kl_div``, ``cosine_embedding_loss``...) are composed
here the same way, so their graphs end in the same nodes.

``cross_entropy`` with class indices is ``log_softmax`` then ``nll_loss``: two
nodes, NumPy fancy indexing for the gather, nothing else on the hot path.
"""
from __future__ import annotations

import warnings

import numpy as np

from ... import _dtype as D
from ..._ops import pointwise as P
from ..._ops._core import make, same_device, wrap, xp_of, xp_of_array
from ...cuda import _kernels
from ..._tensor import Tensor
from ...autograd.grad_mode import STATE
from .activation import log_softmax
from ..._ops._core import quiet

__all__ = ["nll_loss", "cross_entropy", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "cosine_embedding_loss", "margin_ranking_loss"]

_REDUCTIONS = ("none", "mean", "sum")
_EPS32 = float(np.float32(1e-12))


# -- reduction arguments ----------------------------------------------------------

def _legacy_reduction(size_average, reduce, emit_warning=True) -> str:
    """The ``reduction`` string meant by the deprecated ``size_average`` / ``reduce`` pair."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", UserWarning, stacklevel=4)
    return ret


def _reduction(size_average, reduce, reduction) -> str:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _legacy(dt) -> str:
    from ..._ops._core import _legacy as f

    return f(dt)


def _size(shape) -> str:
    return f"torch.Size({list(shape)})"


def _warn_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({_size(target.shape)}) that is different to the "
                      f"input size ({_size(input.shape)}). This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)


def _broadcast(*ts):
    """The broadcast shape of tensors ``ts``; PyTorch's message when they do not fit."""
    shapes = [tuple(t.shape) for t in ts if isinstance(t, Tensor)]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        pass
    a = shapes[0]
    for b in shapes[1:]:
        n = max(len(a), len(b))
        for i in range(1, n + 1):
            x = a[-i] if i <= len(a) else 1
            y = b[-i] if i <= len(b) else 1
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                                   f"({y}) at non-singleton dimension {n - i}")
        a = np.broadcast_shapes(a, b)
    raise RuntimeError("shapes cannot be broadcast")  # pragma: no cover


def _no_grad_for(t, fn, arg):
    if isinstance(t, Tensor) and t.requires_grad and STATE.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{arg}'. This input cannot have requires_grad True.")


def _scaled(t: Tensor, c, name: str) -> Tensor:
    """``t / c`` for a Python number ``c``, recorded as PyTorch's node ``name``."""
    with quiet:
        arr = (t._data / c).astype(t._data.dtype, copy=False)
    return make(arr, (t,), name, lambda ctx, g: (g / c,))


# -- negative log likelihood ---------------------------------------------------------

def _check_nll(input, target, weight):
    """PyTorch's shape and dtype checks for ``nll_loss``, in its order."""
    ishape, tshape = input._data.shape, target._data.shape
    nd = len(ishape)
    if nd == 2 and len(tshape) == 1 and ishape[0] == tshape[0] and target.dtype is D.int64 \
            and weight is None:
        return ishape[1]  # the usual case, all checks passed
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd != 1:
        tb = target.shape[0] if target.dim() > 0 else 0
        if input.shape[0] != tb:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                             f"batch_size ({tb}).")
    if nd <= 2:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if nd == 1 and target.dim() == 1 and target.shape[0] != 1:
            raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                             f"{target.shape[0]}")
    elif nd == 4:
        if target.dim() != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {target.dim()}")
        if tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: "
                               f"{list(target.shape)}")
    elif tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, "
                           f"got {list(target.shape)}")
    n_classes = input.shape[1] if nd >= 2 else input.shape[0]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    if target.dtype not in (D.int64, D.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_legacy(target.dtype)}")
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(input.dtype)} but found "
                           f"{_legacy(weight.dtype)}")
    return n_classes


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class ``target`` under log-probabilities ``input``.

    ``input`` is (C,), (N, C) or (N, C, d1, ...) with the classes at dim 1; ``target``
    holds class indices of shape (), (N,) or (N, d1, ...).  ``weight`` rescales each class;
    ``mean`` divides by the summed weights of the targets that count (not ``ignore_index``).
    """
    reduction = _reduction(size_average, reduce, reduction)
    same_device(input, target, weight)
    n_classes = _check_nll(input, target, weight)
    _no_grad_for(weight, "nll_loss_forward", "weight")
    nd = input.dim()
    lp = input._data
    if type(lp) is not np.ndarray and nd == 2 and weight is None and reduction != "none":
        res = _nll_fused(input, target, ignore_index, reduction)
        if res is not None:
            return res
    xp = xp_of(input)
    if nd == 1:
        lp2 = lp.reshape(1, n_classes)
    elif nd == 2:
        lp2 = lp
    else:
        lp2 = xp.moveaxis(lp, 1, -1).reshape(-1, n_classes)
    t = target._data.reshape(-1)
    m = t.shape[0]
    ts, valid = t, None  # valid: where the target is not ignore_index (None: everywhere)
    if m:
        # one reduction for the common case: seen as unsigned, negative targets are huge
        fast = not 0 <= ignore_index < n_classes and int(
            (t.view(np.uint64) if t.dtype == np.int64 else t).max()) < n_classes
        if not fast:
            lo, hi = int(t.min()), int(t.max())
            valid = t != ignore_index
            if bool(valid.all()):
                valid = None
            else:
                ts = xp.where(valid, t, 0)
                lo, hi = int(ts.min()), int(ts.max())
            if lo < 0 or hi >= n_classes:
                bad = (ts < 0) | (ts >= n_classes)
                # NOTE: PyTorch names the first bad target (its unreduced CPU kernel, run in
                # parallel chunks, may name another one)
                raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    rows = xp.arange(m)
    picked = lp2[rows, ts]
    dt = lp.dtype
    if weight is not None:
        w = weight._data[ts]
        if valid is not None:
            w = w * valid
    else:
        w = None if valid is None else valid.astype(dt)
    with quiet:
        losses = -picked if w is None else -(picked * w)
        if valid is not None:
            losses = xp.where(valid, losses, 0)
        if reduction == "none":
            # NOTE: PyTorch runs 3-D and 5-D+ inputs as 4-D ones and views the result back
            shape = () if nd == 1 else tuple(target.shape) if nd in (2, 4) else (m,)
            out = losses.reshape(shape)
            total = None
        elif reduction == "mean":
            total = m if w is None else w.sum()
            out = losses.sum() / total
        else:
            total = 1
            out = losses.sum()
    out = xp.asarray(out).astype(dt, copy=False)
    name = "NllLossBackward0" if nd <= 2 else "NllLoss2DBackward0"
    res = make(out, (input,), name, _nll_rule, input.shape, rows, ts, w, total, reduction,
               tuple(target.shape))
    if reduction == "none" and (nd == 3 or nd > 4):
        res = res.view(tuple(target.shape))
    return res


def _nll_fused(input, target, ignore_index, reduction):
    """nll_loss in one kernel on a GPU (and its gradient in one more), or None.

    NOTE: no host round trip, so no IndexError for a target out of range: the loss is NaN.
    """
    lp, t = input._data, target._data
    if not _kernels.fits_rows(lp) or t.dtype != np.int64 or t.ndim != 1:
        return None
    k = _kernels.for_array(lp)
    res = k.nll_forward(lp, t, ignore_index, reduction == "mean") if k is not None else None
    if res is None:
        return None
    out, count = res
    return make(out, (input,), "NllLossBackward0", _nll_fused_rule, t, count, lp.shape[1],
                ignore_index, reduction == "mean")


def _nll_fused_rule(ctx, g):
    t, count, n_classes, ignore, mean = ctx.saved
    k = _kernels.for_array(g._data)
    go = g._data
    if k is not None and go.shape == () and go.dtype == count.dtype:
        gx = k.nll_backward(go, t, count, n_classes, ignore, mean)
        if gx is not None:
            def rule(ctx, gg):  # a second order: gx is g times a constant array
                return (P.times_mask(gg, _nll_coef(t, count, n_classes, ignore, mean)),)
            return (make(gx, (g,), "MulBackward0", rule),)
    return (P.times_mask(g, _nll_coef(t, count, n_classes, ignore, mean)),)


def _nll_coef(t, count, n_classes, ignore, mean):
    """d loss / d input for the fused nll_loss: -1 (or -1/count) at each kept target."""
    xp = xp_of_array(t)
    hit = (xp.arange(n_classes)[None, :] == t[:, None]) & (t != ignore)[:, None]
    v = -1 / count if mean else -xp.ones((), count.dtype)
    return xp.where(hit, v, 0).astype(count.dtype)


def _nll_rule(ctx, g):
    shape, rows, ts, w, total, reduction, tshape = ctx.saved
    xp = xp_of(g)
    dt = g._data.dtype
    n_classes = shape[1] if len(shape) >= 2 else shape[0]
    coef = xp.zeros((rows.shape[0], n_classes), dtype=dt)
    val = xp.asarray(-1.0 if w is None else -w, dtype=dt)
    if reduction == "mean":
        # NOTE: with every target ignored the loss is nan (0 / 0) but its gradient is 0
        val = val / total if total else val * 0
    coef[rows, ts] = val
    if reduction == "none":
        # one gradient per target, put in its row's class slot
        if len(shape) == 1:
            return (P.times_mask(g, coef.reshape(shape)),)
        full = P.times_mask(g.reshape((rows.shape[0], 1)), coef)
    else:
        full = P.times_mask(g, coef)
    if len(shape) <= 2:
        return (full if len(shape) == 2 else full.reshape(shape),)
    moved = full.reshape((shape[0],) + tuple(shape[2:]) + (n_classes,))
    return (moved.movedim(-1, 1),)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between the logits ``input`` and ``target``.

    ``target`` holds class indices (shape of ``input`` without dim 1) or class probabilities
    (the shape of ``input``).  ``label_smoothing`` mixes the target with the uniform
    distribution.  For class indices this is ``nll_loss(log_softmax(input, 1), target)``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
    class_dim = 0 if input.dim() == 1 else 1
    if input.dim() == 0 and target.dim() == 0 and target.dtype.is_floating_point:
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")
    if input._data.shape == target._data.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction,
                                    label_smoothing, class_dim)
    lsm = log_softmax(input, class_dim)
    if label_smoothing <= 0.0:
        return nll_loss(lsm, target, weight, None, ignore_index, None, reduction)
    return _cross_entropy_smoothed(lsm, target, weight, ignore_index, reduction,
                                   label_smoothing, class_dim)


def _class_view(weight, ndim, class_dim):
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return weight.reshape(shape)


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, ls, class_dim):
    if not target.dtype.is_floating_point:
        raise RuntimeError("Expected floating point type for target with class probabilities, "
                           f"got {_legacy(target.dtype)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    n_classes = input.shape[class_dim]
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                           f"{n_classes} classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    lsm = log_softmax(input, class_dim)
    if ls > 0.0:
        target = target * (1 - ls) + ls / n_classes
    prod = lsm * target
    if weight is not None:
        prod = prod * _class_view(weight, input.dim(), class_dim)
    if reduction == "none":
        return -prod.sum(class_dim)
    total = -prod.sum()
    if reduction == "sum":
        return total
    return _scaled(total, input.numel() // n_classes if n_classes else 0, "DivBackward1")


def _cross_entropy_smoothed(lsm, target, weight, ignore_index, reduction, ls, class_dim):
    n_classes = lsm.shape[class_dim]
    nll = nll_loss(lsm, target, weight, None, ignore_index, None, reduction)
    ignored = target == ignore_index
    if weight is not None:
        smooth = -(lsm * _class_view(weight, lsm.dim(), class_dim)).sum(class_dim)
    else:
        smooth = -lsm.sum(class_dim)
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        kept = ~ignored
        if weight is not None:
            denom = weight[target[kept]].sum()
        else:
            denom = kept.sum()
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - ls) + smooth * (ls / n_classes)


# -- regression losses -----------------------------------------------------------------

def _regression_operands(input, target, kernel):
    dt = D.result_type(input, target)
    if not dt.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_legacy(dt)}\'')
    shape = _broadcast(input, target)
    x = input._data.astype(dt.np, copy=False)
    y = target._data.astype(dt.np, copy=False)
    return dt, shape, x, y


def _pointwise_loss(input, target, reduction, kernel, name, fn, rule, *extra, out_dtype=None):
    """A loss computed elementwise by ``fn(diff)`` then reduced, recorded as one node."""
    dt, shape, x, y = _regression_operands(input, target, kernel)
    out_dtype = out_dtype or dt
    with quiet:
        d = x - y
        v = fn(d, *extra)
        n = int(np.prod(shape))
        out = _np_reduce(v, reduction)
    out = xp_of(input).asarray(out).astype(out_dtype.np, copy=reduction != "none")
    return make(out, (input, target), name, rule, input, target, reduction, n, *extra)


def _np_reduce(v, reduction):
    if reduction == "mean":
        with quiet:
            return v.sum() / v.size if v.size else v.sum() * np.nan
    return v.sum() if reduction == "sum" else v


def _diff_rule(grad_of_diff):
    """The rule of a pointwise loss from the derivative of its value in ``diff``."""
    def rule(ctx, g):
        x, y, reduction, n, *extra = ctx.saved
        dl = grad_of_diff(x - y, *extra)
        gd = g * dl if reduction != "mean" else g * dl / n
        return (gd if ctx.needs_input_grad[0] else None,
                -gd if ctx.needs_input_grad[1] else None)
    return rule


def _weighted(loss, weight, reduction, input, mean_by_weight):
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                         "'sum'.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if mean_by_weight else loss.mean()


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target) ** 2``, reduced; optional per-element ``weight``."""
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if weight is not None:
        shape = _broadcast(input, target)
        sq = (input.expand(shape) - target.expand(shape)).pow(2)
        return _weighted(sq, weight, reduction, input, True)
    reduction = _reduction(None, None, reduction)
    return _pointwise_loss(input, target, reduction, "mse_cpu", "MseLossBackward0",
                           lambda d: d * d, _diff_rule(lambda d: d * 2))


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|`` (a composite, as in PyTorch)."""
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    shape = _broadcast(input, target)
    if weight is not None:
        ab = (input.expand(shape) - target.expand(shape)).abs()
        return _weighted(ab, weight, reduction, input, True)
    reduction = _reduction(None, None, reduction)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta``; d = input - target."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta == 0.0:
        _broadcast(input, target)
        return _reduce((input - target).abs(), reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise_loss(input, target, reduction, "smooth_l1_cpu", "SmoothL1LossBackward0",
                           _np_smooth_l1, _diff_rule(_smooth_l1_grad), beta)


def _xp(a):
    """The array module of array (or NumPy scalar) ``a``."""
    if isinstance(a, (np.ndarray, np.generic)):
        return np
    from ..._ops.shape import xp_of_array

    return xp_of_array(a)


def _np_smooth_l1(d, beta):
    a = abs(d)
    return _xp(d).where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


def _smooth_l1_grad(d, beta):
    small = wrap(abs(d._data) < beta, d._device)
    return P.where(small, d / beta, d.sign())


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``."""
    _warn_size(input, target)
    if weight is not None:
        shape = _broadcast(input, target)
        loss = huber_loss(input.expand(shape), target.expand(shape), "none", delta)
        return _weighted(loss, weight, reduction, input, False)
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    # NOTE: unlike the other regression losses, PyTorch's huber_loss keeps the input's dtype
    dt = D.result_type(input, target)
    if dt is not input.dtype and not input.dtype.is_floating_point:
        raise RuntimeError(f"result type {_legacy(dt)} can't be cast to the desired output type "
                           f"{_legacy(input.dtype)}")
    return _pointwise_loss(input, target, reduction, "huber_cpu", "HuberLossBackward0",
                           _np_huber, _diff_rule(_huber_grad), delta, out_dtype=input.dtype)


def _np_huber(d, delta):
    a = abs(d)
    return _xp(d).where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def _huber_grad(d, delta):
    return d.clamp(-delta, delta)


# -- binary classification ----------------------------------------------------------------

def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``-w * (y * log(x) + (1 - y) * log(1 - x))`` for probabilities ``x``.

    The logs are clamped at -100 (as PyTorch), so ``x = 0`` or ``1`` gives a finite loss.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({_size(target.shape)}) that is different to the "
                         f"input size ({_size(input.shape)}) is deprecated. Please ensure they "
                         "have the same size.")
    if weight is not None:
        try:
            np.broadcast_shapes(tuple(target.shape), tuple(weight.shape))
        except ValueError:
            _broadcast_to_error(weight, target)
        _no_grad_for(weight, "binary_cross_entropy", "weight")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {_legacy(target.dtype)} but expected "
                           f"{_legacy(input.dtype)}")
    same_device(input, target, weight)
    x = input._data
    y = target._data
    with quiet:
        if not bool(((x >= 0) & (x <= 1)).all()):
            raise RuntimeError("all elements of input should be between 0 and 1")
        if not bool(((y >= 0) & (y <= 1)).all()):
            raise RuntimeError("all elements of target should be between 0 and 1")
    dt = x.dtype
    cx = x.astype(np.float32) if dt.name in ("float16", "bfloat16") else x
    with quiet:
        xp = xp_of(input)
        lx = xp.maximum(xp.log(cx), -100)
        l1x = xp.maximum(xp.log1p(-cx), -100)
        v = -(y * lx + (1 - y) * l1x)
        if weight is not None:
            v = v * weight._data
        out = _np_reduce(v, reduction)
    out = xp.asarray(out).astype(dt, copy=False)
    return make(out, (input, target), "BinaryCrossEntropyBackward0", _bce_rule, input, target,
                weight, reduction, x.size)


def _broadcast_to_error(weight, target):
    ws, ts = tuple(weight.shape), tuple(target.shape)
    for i in range(1, len(ws) + 1):
        a = ws[-i]
        b = ts[-i] if i <= len(ts) else 1
        if a != b and a != 1:
            raise RuntimeError(f"Attempting to broadcast a dimension of length {a} at -{i}! "
                               f"Mismatching argument at index 1 had {_size(ws)}; but expected "
                               f"shape should be broadcastable to {list(ts)}")
    raise RuntimeError(f"The size of weight {list(ws)} does not broadcast to {list(ts)}")


def _bce_rule(ctx, g):
    x, y, w, reduction, n = ctx.saved
    gx = gy = None
    if ctx.needs_input_grad[0]:
        # NOTE: PyTorch divides by max((1 - x) * x, 1e-12), which keeps x = 0 or 1 finite
        # (1e-12 rounded to float32, in every dtype)
        gx = _bce_scale(g * (x - y) / ((1 - x) * x).clamp_min(_EPS32), w, reduction, n)
    if ctx.needs_input_grad[1]:
        # NOTE: PyTorch does not clamp these logs: x = 0 or 1 gives an infinite gradient
        gy = _bce_scale(g * ((1 - x).log() - x.log()), w, reduction, n)
    return gx, gy


def _bce_scale(grad, w, reduction, n):
    if w is not None:  # (w in the gradient's dtype: a 0-d gradient would not promote it)
        grad = grad * w.to(grad.dtype)
    return grad / n if reduction == "mean" else grad


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy on logits: ``sigmoid`` and the log-loss fused so that no logit,
    however large, overflows; ``pos_weight`` weighs the positive term."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_size(target.shape)}) must be the same as input size "
                         f"({_size(input.shape)})")
    if pos_weight is not None:
        _broadcast(pos_weight, target)
        _no_grad_for(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    if weight is not None:
        _broadcast(input, weight)
        _no_grad_for(weight, "binary_cross_entropy_with_logits", "weight")
    same_device(input, target, weight, pos_weight)
    dt = D.result_type(*[t for t in (input, target, weight, pos_weight) if t is not None])
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {_legacy(dt)} can't be cast to the desired output type "
                           f"{_legacy(target.dtype)}")
    cdt = np.float32 if dt.name in ("float16", "bfloat16") else dt.np
    x0 = input._data
    if x0.dtype.name in ("float16", "bfloat16"):
        x0 = x0.astype(np.float32)
    x = x0.astype(cdt, copy=False)
    y = target._data.astype(cdt, copy=False)
    with quiet:
        # softplus(-x) = log1p(exp(-|x|)) + max(-x, 0): exact and finite for any logit; in the
        # input's own precision, as PyTorch (which promotes only afterwards)
        xp = xp_of(input)
        sp = (xp.log1p(xp.exp(-abs(x0))) + xp.maximum(-x0, 0)).astype(cdt, copy=False)
        if pos_weight is not None:
            lw = 1 + (pos_weight._data.astype(cdt, copy=False) - 1) * y
            v = (1 - y) * x + lw * sp
        else:
            v = (1 - y) * x + sp
        if weight is not None:
            v = v * weight._data.astype(cdt, copy=False)
        out = _np_reduce(v, reduction)
    out = xp.asarray(out).astype(dt.np, copy=False)
    return make(out, (input, target), "BinaryCrossEntropyWithLogitsBackward0", _bcel_rule,
                input, target, weight, pos_weight, reduction, v.size)


def _bcel_rule(ctx, g):
    x, y, w, pw, reduction, n = ctx.saved
    gx = gy = None
    if ctx.needs_input_grad[0]:
        s = x.sigmoid()
        if pw is None:
            gx = _bce_scale(g * (s - y), w, reduction, n)
        else:
            lw = (pw - 1) * y + 1
            gx = _bce_scale(g * ((1 - y) - lw * (1 - s)), w, reduction, n)
    if ctx.needs_input_grad[1]:
        if pw is None:
            gy = _bce_scale(-g * x, w, reduction, n)
        else:
            gy = _bce_scale(g * ((pw - 1) * _softplus_neg(x) - x), w, reduction, n)
    return gx, gy


def _softplus_neg(x):
    """``softplus(-x) = -logsigmoid(x)``, differentiable and overflow-free."""
    from .activation import logsigmoid

    return -logsigmoid(x)


# -- distributions and embeddings ------------------------------------------------------------

def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``target * (log(target) - input)`` for log-probabilities
    ``input``; ``batchmean`` divides the sum by the batch size (the mathematical KL)."""
    if size_average is not None or reduce is not None:
        mode = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          UserWarning, stacklevel=2)
        mode = "sum" if reduction == "batchmean" else reduction
        if mode not in _REDUCTIONS:
            raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = P.xlogy(target, target) - target * input
    out = _reduce(loss, mode)
    if reduction == "batchmean" and input.dim() != 0:
        out = out / input.shape[0]
    return out


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where it is
    -1 (and 0 for any other target value)."""
    reduction = _reduction(size_average, reduce, reduction)
    td = target.dim()
    if td > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if td == 1 else 1
    if input1.dim() != want or input2.dim() != want:
        raise RuntimeError(f"{td}D target tensor expects {want}D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    dim = td
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / (mag1 * mag2).sqrt()
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    out = P.where(target == 1, pos, 0.0) + P.where(target == -1, neg, 0.0)
    return _reduce(out, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {_size(input1.shape)}, input2: "
                           f"{_size(input2.shape)}, target: {_size(target.shape)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def _run_in_float32_under_autocast():
    """Autocast runs every loss in float32 (PyTorch's list), whatever its inputs' dtype."""
    from ...amp.autocast_mode import fp32

    for name in __all__:
        globals()[name] = fp32(globals()[name])


_run_in_float32_under_autocast()
