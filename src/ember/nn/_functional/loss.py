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

import math
from ember._warnings import warn as _warn, warn_up

import numpy as np

from ... import _dtype as D
from ..._ops import _cascade, _libm, _sleef
from ..._ops import pointwise as P
from ..._ops.reduce import _exact_sum
from ..._ops._core import make, not_twice_differentiable, same_device, wrap, xp_of, xp_of_array
from ..._ops._core import check_broadcast, grads_shown_as, is_dense, iter_layout
from ...cuda import _kernels
from ..._tensor import Tensor
from ...autograd.grad_mode import STATE, no_grad
from .activation import log_softmax
from ..._ops._core import quiet

__all__ = ["nll_loss", "cross_entropy", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
           "poisson_nll_loss", "gaussian_nll_loss", "ctc_loss"]

_REDUCTIONS = ("none", "mean", "sum")
_EPS32 = float(np.float32(1e-12))


# -- reduction arguments ----------------------------------------------------------

def _legacy_reduction(size_average, reduce, emit_warning=True, depth=1) -> str:
    """The ``reduction`` string meant by the deprecated ``size_average`` / ``reduce`` pair;
    its warning is shown at the line ``depth`` frames up (see ``warn_up``)."""
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
        # (PyTorch's own line: shown once, whatever the user's line)
        warn_up(f"size_average and reduce args will be deprecated, please use "
                f"reduction='{ret}' instead.", depth=depth)
    return ret


def _reduction(size_average, reduce, reduction, own_line=False) -> str:
    """``reduction``, or the one the deprecated pair means, whose warning is shown at one
    line shared by the losses (PyTorch's ``legacy_get_enum``), or with ``own_line`` at the
    loss's own (those of PyTorch's losses that call ``legacy_get_string`` themselves)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, depth=2 if own_line else 1)
    if reduction == "elementwise_mean":
        _warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
              UserWarning, stacklevel=4)
        return "mean"
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


def _target_tensor(target, name):
    """PyTorch's parser error for a target that is no tensor (a list, a NumPy array)."""
    if not isinstance(target, Tensor):
        from ..._ops._core import tp_name

        raise TypeError(f"{name}(): argument 'target' (position 2) must be Tensor, not "
                        f"{tp_name(target)}")


def _warn_size(input, target):
    if tuple(target.size()) != tuple(input.size()):  # (a non-tensor fails on .size, as PyTorch)
        # (PyTorch's ``stacklevel=2``: at the loss module's line when one calls the function)
        warn_up(f"Using a target size ({_size(target.shape)}) that is different to the "
                f"input size ({_size(input.shape)}). This will likely lead to incorrect "
                "results due to broadcasting. Please ensure they have the same size.",
                UserWarning, depth=2)


def _broadcast(*ts):
    """The broadcast shape of tensors ``ts``; PyTorch's message when they do not fit."""
    shapes = [tuple(t.shape) for t in ts if isinstance(t, Tensor)]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        pass
    a = shapes[0]
    for b in shapes[1:]:
        check_broadcast(a, b)
        a = np.broadcast_shapes(a, b)
    raise RuntimeError("shapes cannot be broadcast")  # pragma: no cover


def _check_in_place(out, shape):
    """PyTorch's errors where a tensor of ``shape`` is combined in place into one shaped as
    ``out``: the shapes do not broadcast, or their broadcast is larger than ``out``."""
    check_broadcast(tuple(out.shape), tuple(shape))
    b = np.broadcast_shapes(tuple(out.shape), tuple(shape))
    if tuple(b) != tuple(out.shape):
        raise RuntimeError(f"output with shape {list(out.shape)} doesn't match the broadcast "
                           f"shape {list(b)}")


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
    elif nd == 4:
        if target.dim() != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {target.dim()}")
    elif tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, "
                           f"got {list(target.shape)}")
    # as PyTorch: the target's dtype before its size and the weight's
    if target.dtype not in (D.int64, D.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_legacy(target.dtype)}")
    if nd == 1 and target.dim() == 1 and target.shape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{target.shape[0]}")
    n_classes = input.shape[1] if nd >= 2 else input.shape[0]
    if nd > 2:  # (PyTorch's spatial kernel words it shorter, and counts the elements only)
        if weight is not None and weight.numel() != n_classes:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        if nd == 4 and tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: "
                               f"{list(target.shape)}")
    elif weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    return n_classes


def _check_nll_kernel(input, target, weight):
    """The checks of ``nll_loss``'s kernels, after the shapes': the input's dtype, the
    weight's, then (the spatial kernel's) the target's, which must be int64."""
    if not input.dtype.is_floating_point:  # (complex too: no kernel takes it)
        kernel = "nll_loss_out_frame" if input.dim() <= 2 else "nll_loss2d_forward_out_frame"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_legacy(input.dtype)}\'')
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(input.dtype)} but found "
                           f"{_legacy(weight.dtype)}")
    if input.dim() > 2 and target.dtype is not D.int64:
        raise RuntimeError(f"expected scalar type Long but found {_legacy(target.dtype)}")


_NLL_CASCADED = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class ``target`` under log-probabilities ``input``.

    ``input`` is (C,), (N, C) or (N, C, d1, ...) with the classes at dim 1; ``target``
    holds class indices of shape (), (N,) or (N, d1, ...).  ``weight`` rescales each class;
    ``mean`` divides by the summed weights of the targets that count (not ``ignore_index``).
    """
    reduction = _reduction(size_average, reduce, reduction, own_line=True)
    _target_tensor(target, "nll_loss_nd")
    same_device(input, target, weight)
    n_classes = _check_nll(input, target, weight)
    _check_nll_kernel(input, target, weight)
    if weight is not None and weight.dim() != 1:  # (the spatial kernel's: any shape of C)
        weight = weight.reshape(-1)
    _no_grad_for(weight, "nll_loss_forward" if input.dim() <= 2 else "nll_loss2d_forward",
                 "weight")
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
        elif xp is np and (dt in _NLL_CASCADED or dt.name == "bfloat16"):
            # added in the order of PyTorch's kernel (bfloat16 too: it keeps its partial sums
            # in bfloat16, as NumPy adds them)
            skipped = None if valid is None else ~valid
            out = _cascade.nll_sum(losses, skipped)
            total = 1
            if reduction == "mean":  # over the targets that count, or their weights
                total = _cascade.nll_sum(w, skipped) if weight is not None else \
                    m if skipped is None else m - int(skipped.sum())
                out = out / dt.type(total)
        elif reduction == "mean":
            total = m if w is None else w.sum()
            out = losses.sum() / total
        else:
            total = 1
            out = losses.sum()
    out = xp.asarray(out).astype(dt, copy=False)
    name = "NllLossBackward0" if nd <= 2 else "NllLoss2DBackward0"
    # (the input, target and weight too, as PyTorch's: refused once changed in place)
    res = make(out, (input,), name, _nll_rule, input.shape, rows, ts, w, total, reduction,
               tuple(target.shape), valid, input, target, weight, ignore_index)
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
                ignore_index, reduction == "mean", input, target)


def _nll_fused_rule(ctx, g):
    t, count, n_classes, ignore, mean = ctx.saved[:5]
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
    if STATE.enabled:
        from ...autograd import forward_ad

        if forward_ad.pushing():  # forward mode's tangent: PyTorch's, nll_loss of it
            target, weight, ignore, reduction = *ctx.saved[9:12], ctx.saved[5]
            return (forward_ad.push_node(
                g, lambda g: _nll_vjp(ctx, g)[0],
                lambda t: nll_loss(t, target, weight, None, ignore, None,
                                   reduction).reshape(g.shape)),)
    return _nll_vjp(ctx, g)


def _nll_vjp(ctx, g):
    shape, rows, ts, w, total, reduction, tshape, valid = ctx.saved[:8]
    if len(shape) == 4 and ctx.saved[8]._device.type == "cpu":
        # NOTE: PyTorch's 2-d CPU kernel allocates its gradient like the input (a permuted
        # layout, channels_last, kept) and then refuses it unless contiguous
        st = ctx.saved[8].stride()
        if not ctx.saved[8].is_contiguous() and is_dense(shape, st):
            raise RuntimeError("grad_input must be contiguous")
    xp = xp_of(g)
    m = rows.shape[0]
    n_classes = shape[1] if len(shape) >= 2 else shape[0]
    # As PyTorch's kernel: zeros (+0) everywhere but each kept target's slot, which gets
    # -w * g[i] unreduced, else -(g / total) (times w), rounded in that order.
    hit = xp.zeros((m, n_classes), dtype=bool)
    hit[rows if valid is None else rows[valid], ts if valid is None else ts[valid]] = True
    gd = g._data
    if not STATE.enabled and (gd.dtype == np.float32 or gd.dtype == np.float64):
        # a plain backward: the same arithmetic on the arrays, without a node per step
        if reduction == "none":
            v = -gd.reshape((m, 1)) if w is None else \
                gd.reshape((m, 1)) * -w.astype(gd.dtype).reshape(m, 1)
        else:
            # (``total``: a number, or with class weights a 0-d array on g's device)
            tot = total.astype(gd.dtype) if hasattr(total, "astype") else gd.dtype.type(total)
            if reduction == "mean" and not isinstance(total, (np.ndarray, np.generic, int,
                                                               float)):
                v = xp.where(tot != 0, -(gd / tot), -gd)  # (a GPU total: no wait to test it)
            else:
                v = -(gd / tot) if reduction == "mean" and total else -gd
            if w is not None:
                v = v * w.astype(gd.dtype)
            v = v.reshape((m, 1)) if v.ndim else v.reshape((1, 1))
        full = wrap(xp.where(hit, v, xp.zeros((), gd.dtype)), g._device)
        full._fresh = True  # (allocated by this backward pass, as an op's result is)
    else:
        full = _nll_grad_graph(g, m, n_classes, w, total, reduction, hit)
    if len(shape) <= 2:
        return (full if len(shape) == 2 else full.reshape(shape),)
    moved = full.reshape((shape[0],) + tuple(shape[2:]) + (n_classes,))
    return (moved.movedim(-1, 1),)


def _nll_grad_graph(g, m, n_classes, w, total, reduction, hit):
    """``_nll_rule``'s gradient from differentiable ops (a create_graph backward)."""
    if reduction == "none":
        val = -g.reshape((m, 1)) if w is None else \
            P.times_mask(g.reshape((m, 1)), -w.astype(g._data.dtype).reshape(m, 1))
    else:
        # NOTE: with every target ignored the loss is nan (0 / 0) but its gradient is 0
        val = -(g / float(total)) if reduction == "mean" and total else -g
        if w is not None:
            val = P.times_mask(val, w.astype(g._data.dtype))
        val = val.reshape((m, 1)) if val.dim() else val.reshape((1, 1))
    return P.keep_where(val.expand((m, n_classes)), hit)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between the logits ``input`` and ``target``.

    ``target`` holds class indices (shape of ``input`` without dim 1) or class probabilities
    (the shape of ``input``).  ``label_smoothing`` mixes the target with the uniform
    distribution.  For class indices this is ``nll_loss(log_softmax(input, 1), target)``.
    """
    reduction = _reduction(size_average, reduce, reduction, own_line=True)
    _target_tensor(target, "cross_entropy_loss")
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
    if reduction == "mean" and input.numel() == 0:  # (PyTorch's: a NaN filled in, negated)
        return -prod.sum().fill_(math.nan)
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
    return P.mul_scalar(nll, 1 - ls) + P.mul_scalar(smooth, ls / n_classes)


# -- regression losses -----------------------------------------------------------------

def _regression_operands(input, target, kernel):
    shape = _broadcast(input, target)  # (as PyTorch's Python layer: broadcast them first)
    dt = D.promote_types(input.dtype, target.dtype)  # (none is 0-d once broadcast)
    if not dt.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_legacy(dt)}\'')
    same_device(input, target)  # (a 0-d CPU tensor may join a GPU one: copied over)
    x = input._data.astype(dt.np, copy=False)
    y = target._data.astype(dt.np, copy=False)
    if type(x) is not type(y):
        if type(x) is np.ndarray:
            x = xp_of(target).asarray(x)
        else:
            y = xp_of(input).asarray(y)
    return dt, shape, x, y


def _pointwise_loss(input, target, reduction, kernel, name, fn, rule, *extra, out_dtype=None,
                    half_ops=()):
    """A loss computed elementwise by ``fn(diff)`` then reduced, recorded as one node.

    ``half_ops``: the half types whose CPU kernel computes ``fn`` in that type, each operation
    rounded (the others compute it in float32, rounded once)."""
    dt, shape, x, y = _regression_operands(input, target, kernel)
    out_dtype = out_dtype or dt
    with quiet:
        cpu = input._device.type == "cpu" and type(x) is np.ndarray
        if x.dtype.itemsize == 2 and cpu and x.dtype.name in half_ops:
            h = x.dtype.type
            v = fn(x - y, *(h(e) for e in extra)).astype(x.dtype)
            if reduction != "none":
                v = v.astype(np.float32)
        elif x.dtype.itemsize == 2:  # half types: each loss in float32, rounded; sums in float32
            d = x.astype(np.float32) - y.astype(np.float32)
            if cpu and (kernel == "mse_cpu" or input.dtype is not target.dtype):
                # (mse's kernel, and any with an operand cast, take the difference in the half
                # type)
                d = d.astype(x.dtype).astype(np.float32)
            v = fn(d, *extra).astype(x.dtype)
            if reduction != "none":
                v = v.astype(np.float32)
        else:
            v = fn(x - y, *extra)
        # (laid out as PyTorch's TensorIterator over the input and target: the order the
        # reduction adds in, and the strides of an unreduced loss)
        v = iter_layout(v, (input, target))
        n = int(np.prod(shape))
        out = _np_reduce(v, reduction)
    out = _xp(x).asarray(out).astype(out_dtype.np, copy=reduction != "none")
    dev = target._device if input._device.type == "cpu" else input._device  # (a 0-d CPU input)
    return make(out, (input, target), name, rule, input, target, reduction, n, *extra,
                device=dev)


def _np_reduce(v, reduction):
    """``apply_loss_reduction``: the mean as PyTorch's (its sum, then one division)."""
    if reduction == "none":
        return v
    if v.dtype.kind == "f" and v.dtype.itemsize == 2 or v.dtype.name == "bfloat16":
        v = v.astype(np.float32)  # (a half type's sum and mean accumulate in float32)
    with quiet:
        total = _exact_sum(v, tuple(range(v.ndim)))
        if reduction == "sum":
            return total
        return total / v.dtype.type(v.size) if v.size else total * np.nan


def _diff_rule(grad_of_diff):
    """The rule of a pointwise loss from the derivative of its value in ``diff``."""
    def rule(ctx, g):
        x, y, reduction, n, *extra = ctx.saved
        dl = grad_of_diff(x - y, *extra)
        # as PyTorch's vectorised kernels round it: (norm * dl) * g, norm = 1 / n for a mean
        gd = g * dl if reduction != "mean" else dl * (1.0 / n if n else math.inf) * g
        return (gd if ctx.needs_input_grad[0] else None,
                _target_grad(gd, x, y) if ctx.needs_input_grad[1] else None)
    return rule


def _target_grad(gd, x, y):
    """``-gd``, the target's gradient of a pointwise loss: PyTorch runs the kernel with the
    operands swapped, which gives the input's signed zero (not its negation) wherever they are
    equal."""
    a, b, d = x._data, y._data, gd._data
    if STATE.enabled or not (type(a) is type(b) is type(d) is np.ndarray):
        return -gd
    with quiet:
        eq = a == b
        if not eq.any():
            return -gd
        return wrap(np.where(np.broadcast_to(eq, d.shape), d, -d), gd._device)


# PyTorch's smooth_l1 and huber backward kernels run at AVX2 width on AVX512 machines too:
# vector blocks of two registers, the rest of each thread's range in the scalar code
_SPLIT_BLOCK = {np.float32: 16, np.float64: 8}


def _split_rule(parts, generic):
    """The rule of a pointwise loss whose CPU backward kernel computes its vector blocks and
    its scalar tail differently: ``parts(d, norm, g, p)`` gives both (NumPy arrays), taken
    where each runs for contiguous operands of one dtype; ``generic`` elsewhere (other
    layouts, a GPU, a graph of the gradient)."""
    def rule(ctx, g):
        x, y, reduction, n, p = ctx.saved
        gd = None if STATE.enabled else _split_grad(parts, x._data, y._data, g._data,
                                                    reduction, n, p)
        if gd is None:
            return generic(ctx, g)
        gd = wrap(gd, g._device)
        return (gd if ctx.needs_input_grad[0] else None,
                _target_grad(gd, x, y) if ctx.needs_input_grad[1] else None)
    return rule


def _split_grad(parts, x, y, g, reduction, n, p):
    """The gradient of the loss in ``input`` at the broadcast shape, as PyTorch's kernel
    computes it, for C-contiguous ``x`` and ``y`` (broadcast or not) and a gradient ``g`` of
    one value or C-contiguous; None for other layouts."""
    if not (type(x) is np.ndarray and type(y) is np.ndarray and type(g) is np.ndarray):
        return None
    t = x.dtype.type
    half = x.dtype.name in _LOW_FLOATS
    if not (t in _SPLIT_BLOCK or half) or y.dtype != x.dtype or g.dtype != x.dtype or \
            not (x.flags.c_contiguous and y.flags.c_contiguous):
        return None
    shape = np.broadcast_shapes(x.shape, y.shape)
    if not math.prod(shape):
        return None
    if g.ndim == 0 or (g.shape == shape and not any(g.strides)):
        g = t(g.reshape(-1)[0])  # (one value: the kernel reads it with stride 0)
    elif g.shape != shape or not g.flags.c_contiguous:
        return None
    xb, yb = np.broadcast_to(x, shape), np.broadcast_to(y, shape)
    with quiet:
        gf = g.reshape(-1) if type(g) is np.ndarray else g
        if half:  # (the half types' kernels: their own parts, on the values widened)
            f = np.float32
            vec, scalar = _HALF_PARTS[parts](xb.reshape(-1).astype(f), yb.reshape(-1).astype(f),
                                             1.0 / n if reduction == "mean" else 1.0,
                                             np.asarray(gf).astype(f), p, x.dtype)
        else:
            d = np.subtract(xb, yb).reshape(-1)
            norm = t(1.0 / n) if reduction == "mean" else t(1)
            vec, scalar = parts(d, norm, gf, p)
    # (a vector step: two vectors of 8 float32, 4 float64 or 16 half-type values)
    block = 32 if half else _SPLIT_BLOCK[t]
    m = _loop_vector_mask(shape, (xb, yb, g), block) if _sleef.VECTORIZED else None
    if m is None:
        return scalar.reshape(shape)
    if m is not True:
        vec[~m] = scalar[~m]
    return vec.reshape(shape)


def _loop_vector_mask(shape, operands, block):
    """Which values (flat, C order) of a contiguous result of ``shape`` PyTorch's
    ``cpu_kernel_vec`` computes with its vector code, ``block`` values a step, for operands
    broadcast from C-contiguous arrays (or numbers): True (all), None (none) or a mask. The
    inner loop runs over the trailing dims the operands coalesce; it is vectorised where every
    operand is contiguous along it, or one has stride 0; each thread's part of each row ends
    in a scalar tail."""
    dims = [k for k, n in enumerate(shape) if n > 1]
    if not dims:
        return None
    out = np.cumprod((1,) + tuple(shape[:0:-1]))[::-1]
    strides = [out] + [np.zeros(len(shape), np.int64) if type(o) is not np.ndarray or not o.ndim
                       else np.array(o.strides) // o.itemsize for o in operands]
    inner = dims[-1]
    row = shape[inner]
    for k in reversed(dims[:-1]):
        if any(st[k] != st[inner] * row for st in strides):
            break
        row *= shape[k]
    steps = [int(st[inner]) for st in strides[1:]]
    ones = steps.count(1)
    if not (ones == len(steps) or (steps.count(0) == 1 and ones == len(steps) - 1)):
        return None
    size = int(np.prod(shape))
    ranges = _sleef._flat_ranges(size)
    if len(ranges) == 1 and size == row:
        return True if row % block == 0 else np.arange(size) < row - row % block
    idx = np.arange(size)
    starts = np.array([a for a, _ in ranges])
    ends = np.array([b for _, b in ranges])
    which = np.searchsorted(starts, idx, "right") - 1
    lo = np.maximum(idx - idx % row, starts[which])
    hi = np.minimum(idx - idx % row + row, ends[which])
    return idx < hi - (hi - lo) % block


def _smooth_l1_parts(d, norm, g, beta):
    # vector: (norm * (|d| >= beta ? sign(d) : d / beta)) * g, beta in d's dtype; scalar:
    # the same compared with, and divided by, the float64 beta
    t = d.dtype.type
    bt, one = t(beta), t(1)
    sign = np.where(d > 0, one, -one)
    vec = (norm * np.where(np.abs(d) >= bt, sign, d / bt)) * g
    d64 = d.astype(np.float64)
    small = (((norm * d) * g).astype(np.float64) / beta).astype(t)
    scalar = np.where(d64 <= -beta, -norm * g, np.where(d64 >= beta, norm * g, small))
    return vec, scalar


def _huber_parts(d, norm, g, delta):
    # vector: (norm * (|d| >= delta ? sign(d) * delta : d)) * g; scalar: +-(norm * g) * delta
    # in float64 where d, compared in float64, is outside (-delta, delta)
    t = d.dtype.type
    dt, one = t(delta), t(1)
    sign = np.where(d > 0, one, -one)
    vec = (norm * np.where(np.abs(d) >= dt, sign * dt, d)) * g
    d64 = d.astype(np.float64)
    big = (np.asarray(norm * g, np.float64) * delta).astype(t)
    scalar = np.where(d64 <= -delta, -big, np.where(d64 >= delta, big, (norm * d) * g))
    return vec, scalar


def _smooth_l1_parts_half(x, y, norm, g, beta, dt):
    # a half type's kernel works in float32 (x, y, g widened; norm and beta as float32) and
    # rounds its result once; the scalar tail compares with, and divides by, the float64 beta
    f = np.float32
    nf, bf, one = f(norm), f(beta), f(1)
    d = x - y
    sign = np.where(d > 0, one, -one)
    vec = (nf * np.where(np.abs(d) >= bf, sign, d / bf)) * g
    d64 = d.astype(np.float64)
    small = (((nf * d) * g).astype(np.float64) / beta).astype(f)
    scalar = np.where(d64 <= -beta, -nf * g, np.where(d64 >= beta, nf * g, small))
    return vec.astype(dt), scalar.astype(dt)


def _huber_parts_half(x, y, norm, g, delta, dt):
    # a half type's kernel works in the half type: each operation rounded to it (its vector
    # ops through float32); the scalar tail's product with the float64 delta is a double one
    f = np.float32

    def r(a):
        return np.asarray(a, f).astype(dt).astype(f)
    nv, dv, one = r(f(norm)), r(f(delta)), f(1)
    d = r(x - y)
    sign = np.where(d > 0, one, -one)
    vec = r(r(nv * np.where(np.abs(d) >= dv, r(sign * dv), d)) * g)
    d64 = d.astype(np.float64)
    big = (r(nv * g).astype(np.float64) * delta).astype(f)
    scalar = np.where(d64 <= -delta, -big, np.where(d64 >= delta, big, r(r(nv * d) * g)))
    return vec.astype(dt), scalar.astype(dt)


_HALF_PARTS = {_smooth_l1_parts: _smooth_l1_parts_half, _huber_parts: _huber_parts_half}


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
    input, target = _expand_0d(input, target)
    return _pointwise_loss(input, target, reduction, "mse_cpu", "MseLossBackward0",
                           lambda d: d * d, _mse_rule)


@grads_shown_as("MseLossBackwardBackward0")
def _mse_rule(ctx, g):
    """PyTorch's ``norm * (x - y) * g`` with ``norm`` = 2/n for the mean (2 otherwise) in the
    input's dtype, multiplied in that order (its kernel's rounding, and the half types' each
    product rounded)."""
    x, y, reduction, n = ctx.saved
    a, b, ga = x._data, y._data, g._data
    wide = (np.dtype(np.float32), np.dtype(np.float64))  # (mixed: the kernel's common dtype)
    if reduction == "mean" and n and not STATE.enabled and type(a) is np.ndarray and \
            type(b) is np.ndarray and (a.dtype == b.dtype == ga.dtype and x.is_floating_point()
                                       and not x.is_complex() or a.dtype in wide and
                                       b.dtype in wide and ga.dtype in wide):
        ct = np.result_type(a.dtype, b.dtype, ga.dtype)
        norm = ct.type(2 / n)
        a, b, ga = a.astype(ct, copy=False), b.astype(ct, copy=False), ga.astype(ct, copy=False)
        with quiet:
            gx = ((norm * (a - b)) * ga).astype(x.dtype.np, copy=False)
            # its target gradient: the same kernel, swapped
            gy = ((norm * (b - a)) * ga).astype(y.dtype.np, copy=False)
        return (wrap(gx, g._device) if ctx.needs_input_grad[0] else None,
                wrap(gy, g._device) if ctx.needs_input_grad[1] else None)
    if STATE.enabled and not ctx.needs_input_grad[1]:
        from ...autograd import forward_ad

        if forward_ad.pushing():  # forward mode's tangent: PyTorch's, (2 (x - y)) t reduced
            return (forward_ad.push_node(g, lambda g: _mse_vjp(x, y, g, reduction, n),
                                         lambda t: _reduce((x - y) * 2 * t, reduction)), None)
    gd = _mse_vjp(x, y, g, reduction, n)
    return (gd if ctx.needs_input_grad[0] else None,
            _target_grad(gd, x, y) if ctx.needs_input_grad[1] else None)


def _mse_vjp(x, y, g, reduction, n):
    gd = g * ((x - y) * 2)
    return gd / n if reduction == "mean" else gd


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
    input, target = _expand_0d(input, target)
    return _reduce((input - target).abs(), reduction)


def _expand_0d(input, target):
    """NOTE: PyTorch's regression losses broadcast their operands first, so a 0-d one of
    another dtype is 0-d no longer: its dtype promotes as a full tensor's (``mse_loss(half,
    tensor(2.))`` is float32, its gradients computed in float32), its gradient summed back."""
    if input.dtype is not target.dtype and (input.dim() == 0) != (target.dim() == 0):
        shape = _broadcast(input, target)
        return input.expand(shape), target.expand(shape)
    return input, target


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta``; d = input - target."""
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction, own_line=True)
    if beta == 0.0:
        _broadcast(input, target)
        input, target = _expand_0d(input, target)
        return _reduce((input - target).abs(), reduction)
    if beta < 0:
        _broadcast(input, target)  # (as PyTorch: its Python layer broadcasts them first)
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    input, target = _expand_0d(input, target)
    return _pointwise_loss(input, target, reduction, "smooth_l1_cpu", "SmoothL1LossBackward0",
                           _np_smooth_l1, grads_shown_as("SmoothL1LossBackwardBackward0")(
                               _split_rule(_smooth_l1_parts, _diff_rule(_smooth_l1_grad))),
                           beta, half_ops=("float16",))


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
    a = d._data
    nan = a != a
    small = wrap((abs(a) < beta) | nan, d._device)  # (a NaN difference gives NaN)
    # (as a constant: PyTorch's second derivative is 0 there; on a GPU always, rather than
    # asking the host whether any difference is NaN)
    if type(a) is not np.ndarray or nan.any():
        d = P.where(wrap(nan, d._device), d.detach(), d)
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
        _broadcast(input, target)  # (as PyTorch: its Python layer broadcasts them first)
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    # NOTE: unlike the other regression losses, PyTorch's huber_loss keeps the input's dtype
    _broadcast(input, target)
    input, target = _expand_0d(input, target)
    dt = D.promote_types(input.dtype, target.dtype)  # (broadcast first: none is 0-d)
    if not D.can_cast(dt, input.dtype):
        raise RuntimeError(f"result type {_legacy(dt)} can't be cast to the desired output type "
                           f"{_legacy(input.dtype)}")
    return _pointwise_loss(input, target, reduction, "huber_cpu", "HuberLossBackward0",
                           _np_huber, grads_shown_as("HuberLossBackwardBackward0")(
                               _same_dtypes(_split_rule(_huber_parts, _diff_rule(_huber_grad)))),
                           delta, out_dtype=input.dtype, half_ops=("bfloat16",))


def _same_dtypes(rule):
    """NOTE: PyTorch's huber_loss_backward refuses an input and a target of two dtypes (the
    forward takes them): the input's gradient first, then the target's, operands swapped."""
    def checked(ctx, g):
        x, y = ctx.saved[0], ctx.saved[1]
        if x.dtype is not y.dtype:
            found, expected = (y, x) if ctx.needs_input_grad[0] else (x, y)
            raise RuntimeError(f"Found dtype {_legacy(found.dtype)} but expected "
                               f"{_legacy(expected.dtype)}")
        return rule(ctx, g)
    return checked


def _np_huber(d, delta):
    a = abs(d)
    return _xp(d).where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def _huber_grad(d, delta):
    from ...autograd.grad_mode import STATE

    if STATE.enabled:  # (|d| = delta as a constant: PyTorch's second derivative is 0 there)
        d = P.where(wrap(abs(d._data) < delta, d._device), d, d.detach())
    return d.clamp(-delta, delta)


# -- binary classification ----------------------------------------------------------------

def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``-w * (y * log(x) + (1 - y) * log(1 - x))`` for probabilities ``x``.

    The logs are clamped at -100 (as PyTorch), so ``x = 0`` or ``1`` gives a finite loss.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.size()) != tuple(input.size()):
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
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    if weight is not None and weight.dtype.is_complex:  # (multiplied into the loss in place)
        raise RuntimeError(f"result type {_legacy(D.promote_types(input.dtype, weight.dtype))} "
                           f"can't be cast to the desired output type {_legacy(input.dtype)}")
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
        if xp is np and dt == np.float32 and y.dtype == np.float32:
            # NOTE: PyTorch's CPU kernel is a scalar loop over the C library's logf and
            # log1pf (not correctly rounded), in this order of float32 operations
            lx = np.maximum(_libm.logf(cx), np.float32(-100))
            l1x = np.maximum(_libm.log1pf(-cx), np.float32(-100))
            v = (y - np.float32(1)) * l1x - y * lx
        elif xp is np and cx is not x and y.dtype == dt:
            # a half type: the same loop, each log rounded to it and each operation in it
            lx = np.maximum(_libm.logf(cx).astype(dt), dt.type(-100))
            l1x = np.maximum(_libm.log1pf(-cx).astype(dt), dt.type(-100))
            v = (y - dt.type(1)) * l1x - y * lx
        elif xp is np and dt == np.float64 and y.dtype == dt and x.size <= _libm.SCALAR_MAX:
            # (the same loop in double: the C library's log and log1p, as Python's math calls)
            lx = np.maximum(_libm.log64(x), -100.0)
            ok = x < 1
            l1x = np.where(ok, _libm.c_double(math.log1p, -x, ok), -np.inf)
            v = (y - 1.0) * np.maximum(l1x, -100.0) - y * lx
        else:
            lx = xp.maximum(xp.log(cx), -100)
            l1x = xp.maximum(xp.log1p(-cx), -100)
            v = (y - 1) * l1x - y * lx
        if weight is not None:
            v = v * weight._data
        v = iter_layout(v, (input,))  # (PyTorch's loss: an empty_like of the input)
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


@grads_shown_as("BinaryCrossEntropyBackwardBackward0", None)
def _bce_rule(ctx, g):
    x, y, w, reduction, n = ctx.saved
    gx = gy = None
    if ctx.needs_input_grad[0]:
        # NOTE: PyTorch divides by max((1 - x) * x, 1e-12), which keeps x = 0 or 1 finite
        # (1e-12 rounded to float32, in every dtype)
        gx = _bce_scale(g * (x - y) / ((1 - x) * x).clamp_min(_EPS32), w, reduction, n)
    if ctx.needs_input_grad[1]:
        # NOTE: PyTorch does not clamp these logs: x = 0 or 1 gives an infinite gradient
        gy = _bce_scale(-x.logit() * g, w, reduction, n)  # (PyTorch's: -logit(x) * g)
    return gx, gy


def _bce_scale(grad, w, reduction, n):
    if w is not None:  # (w in the gradient's dtype: a 0-d gradient would not promote it)
        grad = grad * w.to(grad.dtype)
    # (the mean: a division by a number, DivBackward1 under create_graph as in PyTorch)
    return P.div_scalar(grad, n) if reduction == "mean" else grad


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy on logits: ``sigmoid`` and the log-loss fused so that no logit,
    however large, overflows; ``pos_weight`` weighs the positive term."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.size()) != tuple(input.size()):  # (a non-tensor fails on .size, as PyTorch)
        raise ValueError(f"Target size ({_size(target.shape)}) must be the same as input size "
                         f"({_size(input.shape)})")
    if pos_weight is not None:
        _no_grad_for(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    if weight is not None:
        _no_grad_for(weight, "binary_cross_entropy_with_logits", "weight")
    same_device(input, target, weight, pos_weight)
    dt = D.result_type(*[t for t in (input, target, weight, pos_weight) if t is not None])
    # as PyTorch's, in the order of its ops: log_sigmoid(input), then (pos_weight - 1) *
    # target multiplied into it in place, then (1 - target) * input ..., then ``weight`` in place
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"log_sigmoid_cpu" not implemented for '
                                  f"'{_legacy(input.dtype)}'")
    if pos_weight is not None:
        if pos_weight.dtype is D.bool:
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        _check_in_place(input, _broadcast(pos_weight, target))
    if target.dtype.name == "bool":  # (PyTorch's loss starts with ``1 - target``)
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if not target.dtype.is_floating_point and not target.dtype.is_complex:
        raise RuntimeError(f"result type {_legacy(dt)} can't be cast to the desired output type "
                           f"{_legacy(target.dtype)}")
    # (complex factors: the in-place products into the input's and the target's dtypes)
    if pos_weight is not None and (pos_weight.dtype.is_complex or target.dtype.is_complex):
        lwd = D.promote_types(input.dtype, D.promote_types(pos_weight.dtype, target.dtype))
        raise RuntimeError(f"result type {_legacy(lwd)} can't be cast to the desired output "
                           f"type {_legacy(input.dtype)}")
    if weight is not None and weight.dtype.is_complex and not target.dtype.is_complex:
        raise RuntimeError(f"result type {_legacy(D.promote_types(target.dtype, weight.dtype))}"
                           f" can't be cast to the desired output type {_legacy(target.dtype)}")
    if target.dtype.is_complex:  # NOTE: PyTorch computes a complex target's loss, no grad
        if STATE.enabled and (input.requires_grad or target.requires_grad):
            raise RuntimeError("binary_cross_entropy_with_logits does not support automatic "
                               "differentiation for outputs with complex dtype.")
    if weight is not None:
        _check_in_place(input, tuple(weight.shape))
    # NOTE: PyTorch builds the loss in place on ``1 - target`` (see below), each op computed
    # in its operands' promoted type (at least float32) and stored in the in-place tensor's
    # dtype; the same roundings here give its values for mixed and half-precision dtypes.
    def step(fn, store, *ops):
        work = np.result_type(np.float32, *(o.dtype for o in ops))
        return fn(*(o.astype(work, copy=False) for o in ops)).astype(store, copy=False)
    xp = xp_of(input)
    x0, y, xd, td = input._data, target._data, input._data.dtype, target._data.dtype
    xw = x0.astype(np.result_type(np.float32, xd), copy=False)
    with quiet:
        # log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|)): exact and finite for any logit, in
        # the input's own dtype
        if type(xw) is np.ndarray and xw.dtype == np.float32:
            # (PyTorch's log_sigmoid kernel: Sleef's exp and log1p, as F.logsigmoid)
            ls = _sleef.log_sigmoidf(xw)[0].astype(xd, copy=False)
        else:
            ls = (xp.minimum(xw, 0) - xp.log1p(xp.exp(-abs(xw)))).astype(xd, copy=False)
        if pos_weight is not None:
            pw = pos_weight._data
            lwd = D.promote_types(pos_weight.dtype, target.dtype).np  # (PyTorch's promotion)
            # (an integer ``pos_weight - 1`` stays in its dtype: a uint8 0 wraps to 255)
            lw = pw - pw.dtype.type(1) if pw.dtype.kind in "iu" else step(lambda a: a - 1, lwd, pw)
            lw = step(lambda a, b: a * b, lwd, lw, y)
            lw = step(lambda a: a + 1, lwd, lw)
            ls = step(lambda a, b: a * b, xd, ls, lw)
        v = step(lambda a: 1 - a, td, y)
        v = step(lambda a, b: a * b, td, v, x0)
        v = step(lambda a, b: a - b, td, v, ls)
        if weight is not None:
            v = step(lambda a, b: a * b, td, v, weight._data)
        if type(v) is np.ndarray:  # (built in place on ``1 - target``: the target's layout)
            v = iter_layout(v, (target,))
        out = _np_reduce(v, reduction)
    # (so the loss is in the target's dtype: a float64 input with a float32 target gives a
    # float32 loss)
    out = xp.asarray(out).astype(target.dtype.np, copy=False)
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
            t = pw * y  # (PyTorch's grouping: ((t + 1 - y) * s - t) * g)
            gx = _bce_scale(((t + 1 - y) * s - t) * g, w, reduction, n)
    if ctx.needs_input_grad[1]:
        if pw is None:
            gy = _bce_scale(-g * x, w, reduction, n)
        else:
            from .activation import logsigmoid

            # (PyTorch's: (logsigmoid(-x) - logsigmoid(x) * pw) * g)
            gy = _bce_scale((logsigmoid(-x) - logsigmoid(x) * pw) * g, w, reduction, n)
    return gx, gy


# -- distributions and embeddings ------------------------------------------------------------

def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``target * (log(target) - input)`` for log-probabilities
    ``input``; ``batchmean`` divides the sum by the batch size (the mathematical KL)."""
    if size_average is not None or reduce is not None:
        mode = _reduction(size_average, reduce, reduction)
    else:
        if reduction == "mean":
            _warn("reduction: 'mean' divides the total loss by both the batch size and "
                  "the support size.'batchmean' divides only by the batch size, and "
                  "aligns with the KL div math definition.'mean' will be changed to "
                  "behave the same as 'batchmean' in the next major release.",
                  UserWarning, stacklevel=2)
        mode = "sum" if reduction == "batchmean" else _reduction(None, None, reduction)
    _check_flag(log_target, "kl_div", "log_target")
    if any(isinstance(t, Tensor) and t.dtype._kind == 3 for t in (input, target)):
        raise RuntimeError("kl_div: Complex inputs not supported.")
    if any(isinstance(t, Tensor) and t.dtype._kind < 2 for t in (input, target)):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    # NOTE: PyTorch's C++ builds the right operand first (target - input; target * input),
    # which decides the order its backward adds the target's gradients in
    if log_target:
        diff = target - input
        loss = target.exp() * diff
    else:
        prod = target * input
        loss = P.xlogy(target, target) - prod
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
    # (the margin is a C++ double in PyTorch: integer inputs give a float loss)
    diff = input1 - input2  # (before the negation, as PyTorch's: which shows in errors)
    return _reduce(P.add_scalar(-target * diff, float(margin)).clamp_min(0), reduction)


# -- margin and embedding losses ------------------------------------------------------------

def _triplet_dims(anchor, positive, negative):
    a, p, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == p == n:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {p}D, and "
                           f"negative {n}D inputs")


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the ``p``-norm distance along the last
    dim; ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance."""
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_flag(swap, "triplet_margin_loss", "swap", 7)
    _triplet_dims(anchor, positive, negative)
    from .distance import pairwise_distance

    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((P.add_scalar(d_pos, margin) - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """:func:`triplet_margin_loss` with any ``distance_function(x1, x2)`` (default: the
    Euclidean :func:`pairwise_distance`)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _triplet_dims(anchor, positive, negative)
    if distance_function is None:
        from .distance import pairwise_distance as distance_function
    d_pos = distance_function(anchor, positive)
    d_neg = distance_function(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(distance_function(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where it is -1 (any other
    target value adds both terms, as in PyTorch)."""
    reduction = _reduction(size_average, reduce, reduction)
    from ..._ops.creation import zeros_like

    if input.dtype is D.bool:  # (PyTorch's ``margin - input``: a bool tensor of the margin's)
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    zeros = zeros_like(input)
    gap = margin - input
    if not input.dtype.is_floating_point:  # NOTE: PyTorch truncates to the integer dtype
        gap = gap.to(input.dtype)
    hinge = P.where(target != 1, gap.clamp_min(0), zeros)
    return _reduce(hinge + P.where(target != -1, input, zeros), reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-target * input))`` (a two-class logistic loss for targets +-1)."""
    reduction = _reduction(size_average, reduce, reduction)
    _no_grad_for(target, "soft_margin_loss", "target")
    # as PyTorch's kernel, ``neg(input).mul_(target).exp_().log1p_()``: the negation's check,
    # the in-place product's (its shape, then its dtype), then the exponential's
    if input.dtype is D.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    shape = _broadcast(input, target)
    if tuple(shape) != tuple(input.shape):
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    dt = D.result_type(input, target)
    if not D.can_cast(dt, input.dtype):
        raise RuntimeError(f"result type {_legacy(dt)} can't be cast to the desired output "
                           f"type {_legacy(input.dtype)}")
    if not input.dtype.is_floating_point and not input.dtype.is_complex:
        raise RuntimeError("result type Float can't be cast to the desired output type "
                           f"{_legacy(input.dtype)}")
    if input.dtype.is_complex and input.requires_grad and STATE.enabled:
        raise RuntimeError("soft_margin_loss does not support automatic differentiation for "
                           "outputs with complex dtype.")
    same_device(input, target)
    xp = xp_of(input)
    with quiet:
        # (PyTorch's exp_ and log1p_ round as torch.exp and torch.log1p: MKL's exp and
        # Sleef's log1p for float32)
        t = target._data.astype(dt.np)
        if type(t) is not type(input._data):  # (a 0-d CPU target with a GPU input)
            t = xp.asarray(t)
        v = xp.asarray(-(input._data.astype(dt.np) * t))  # (0-d: an array, not a scalar)
        v = P._VML[np.exp](v) if type(v) is np.ndarray and v.dtype == np.float32 else xp.exp(v)
        v = P._LOG1P_REAL(v) if type(v) is np.ndarray and v.dtype.kind == "f" else \
            xp.log1p(v)
        # (PyTorch's kernel negates the input, then works in place: the input's layout)
        v = iter_layout(v.astype(input.dtype.np, copy=False), (input,))
        out = _np_reduce(v, reduction)
    out = xp.asarray(out).astype(input.dtype.np, copy=False)
    return make(out, (input,), "SoftMarginLossBackward0", _soft_margin_rule, input, target,
                reduction)


@grads_shown_as("SoftMarginLossBackwardBackward0")
def _soft_margin_rule(ctx, g):
    x, y, reduction = ctx.saved
    # NOTE: PyTorch's formula, z / (1 + z) with z = exp(-y * x), so z = inf gives nan
    z = (-(y * x)).exp()
    # (rounded as PyTorch: y * z * -norm, norm = 1 / n for a mean, then / (z + 1), then * g)
    norm = (1.0 / x.numel() if x.numel() else math.inf) if reduction == "mean" else 1.0
    return ((y * z * -norm / (z + 1) * g).to(x.dtype),)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """The binary log-loss of each class's logit, averaged over the classes (the last dim)."""
    from .activation import logsigmoid

    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(class_dim) / input.size(class_dim)
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")  # (a non-str: PyTorch's TypeError)
    return _reduce(loss, reduction)


def _check_flag(v, fn, name, pos=None):
    """PyTorch's C++ parser on a ``bool`` argument: a Python bool (not an int, nor a NumPy
    bool)."""
    if not isinstance(v, bool):
        from ..._ops._core import tp_name

        where = f" (position {pos})" if pos else ""
        raise TypeError(f"{fn}(): argument '{name}'{where} must be bool, not {tp_name(v)}")


_LOW_FLOATS = ("float16", "bfloat16")


def _check_margin_input(input, kernel):
    nd = input.dim()
    if not ((nd <= 1 and input.numel() > 0) or (nd == 2 and input.shape[1] != 0)):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_legacy(input.dtype)}'")


def _margin_out(input, losses, reduction, out_shape, per=1):
    """Reduce per-sample ``losses`` (an array) as the multi-margin kernels do (a reduction's
    total divided by ``per`` first)."""
    xp = xp_of(input)
    with quiet:
        if reduction == "none":
            out = losses.reshape(out_shape)
        else:
            # (PyTorch's kernels add the samples' losses up in double, one after the other,
            # and divide that for a mean)
            acc = np.float32 if losses.dtype.itemsize <= 2 else np.float64
            out = xp.cumsum(losses, dtype=acc)[-1] if losses.size else acc(0)
            if per != 1:
                out = out / max(per, 1)
            if reduction == "mean":
                out = out / losses.size if losses.size else out * np.nan
    return xp.asarray(out).astype(input.dtype.np, copy=False)


def _margin_rule(ctx, g):
    x, coef, reduction, kernel = ctx.saved[:4]  # (then the target, checked for changes)
    if reduction == "none":
        g = g.reshape((coef.shape[0], 1) if coef.ndim == 2 else ())
    elif reduction == "mean":
        g = g / coef.shape[0]
    # (PyTorch has no derivative for these gradient kernels: a second backward refuses)
    return (not_twice_differentiable(P.times_mask(g, coef), x,
                                     f"derivative for aten::{kernel} is not implemented"),)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: ``sum_{i != y} max(0, margin - x[y] + x[i]) ** p / C`` for each
    sample (times ``weight[y]``); ``p`` is 1 or 2."""
    reduction = _reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    nd = input.dim()
    n_frames = input.shape[0] if nd == 2 else 1
    n_classes = input.shape[-1] if nd else 1
    _check_margin_input(input, "multi_margin_loss_cpu_kernel")
    if target.dim() > 1 or target.numel() != n_frames:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the "
                           "number of input samples (batch size). Expected target size "
                           f"[{n_frames}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(f"inconsistent weight size, expected {n_classes} but got "
                           f"{list(weight.shape)}")
    if input.dtype.name in _LOW_FLOATS and input._device.type == "cpu":  # (float, double only)
        raise NotImplementedError(f"\"multi_margin_loss_cpu_kernel\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    if target.dtype is not D.int64:
        raise RuntimeError(f"expected scalar type Long but found {_legacy(target.dtype)}")
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(input.dtype)} but found "
                           f"{_legacy(weight.dtype)}")
    _no_grad_for(weight, "multi_margin_loss", "weight")
    same_device(input, target, weight)
    xp = xp_of(input)
    x = input._data.reshape(n_frames, n_classes)
    t = target._data.reshape(-1)
    if t.size and (int(t.min()) < 0 or int(t.max()) >= n_classes):
        raise RuntimeError("target out of range")
    rows = xp.arange(n_frames)
    with quiet:
        z = margin - x[rows, t][:, None] + x
        on = (z > 0) & (xp.arange(n_classes)[None, :] != t[:, None])
        z = xp.where(on, z, 0)
        h = z if p == 1 else z * z
        if weight is not None:
            h = h * weight._data[t][:, None]
        # (PyTorch's kernel: a running sum over the classes in the input's dtype, then / C)
        losses = xp.cumsum(h, axis=1, dtype=x.dtype)[:, -1] if n_classes else \
            xp.zeros(n_frames, x.dtype)
        losses = losses / x.dtype.type(max(n_classes, 1))
        # the gradient as PyTorch's kernel rounds it: h = g0 (p = 1) or 2 * g0 * z, with
        # g0 = 1 / (N * C) for a mean (else 1 / C) in the input's dtype, times the weight;
        # the target's slot gets minus the others' running sum; then all times grad_output
        g0 = x.dtype.type(1.0 / (n_frames * n_classes) if reduction == "mean" and n_frames
                          else 1.0 / n_classes)
        coef = xp.where(on, g0, x.dtype.type(0)) if p == 1 else xp.where(on, 2 * g0 * z, 0)
        if weight is not None:
            coef = coef * weight._data[t][:, None]
        coef = coef.astype(x.dtype, copy=False)
        if n_classes:
            coef[rows, t] = 0 - xp.cumsum(coef, axis=1, dtype=x.dtype)[:, -1]  # (+0 if none)
    out = _margin_out(input, losses, reduction, tuple(target.shape))
    if nd < 2:  # (in the input's shape: a sum over a size-1 dim would turn -0 into +0)
        coef = coef.reshape(input.shape)
    return make(out, (input,), "MultiMarginLossBackward0", _margin_rule, input,  # (g0: the mean)
                coef, "sum" if reduction == "mean" else reduction, "multi_margin_loss_backward",
                target)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: ``target`` lists each sample's classes, ended by the first -1;
    ``sum_{j in targets} sum_{i not in targets} max(0, 1 - x[j] + x[i]) / C``."""
    reduction = _reduction(size_average, reduce, reduction)
    nd = input.dim()
    n_frames = input.shape[0] if nd == 2 else 1
    n_classes = input.shape[-1] if nd else 1
    if not ((nd <= 1 and input.numel() > 0) or (nd == 2 and input.shape[1] != 0)):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    if (nd <= 1 and (target.dim() > 1 or target.numel() != n_classes)) or \
            (nd == 2 and tuple(target.shape) != tuple(input.shape)):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    same_device(input, target)
    xp = xp_of(input)
    t = target._data.reshape(n_frames, n_classes)
    if t.size and target.dtype.is_complex:  # (the range check's ``target.min()``)
        raise NotImplementedError(f"\"min_all\" not implemented for '{_legacy(target.dtype)}'")
    if t.size and (int(t.min()) < -1 or int(t.max()) >= n_classes):
        raise RuntimeError("argument #2 'target' is out of range")
    # as PyTorch: the shapes and the targets' range, then the kernel's dtypes (float and
    # double only), then the target's
    if not input.dtype.is_floating_point or input.dtype.name in _LOW_FLOATS:
        raise NotImplementedError('"multilabel_margin_loss_forward_out_frame" not implemented '
                                  f"for '{_legacy(input.dtype)}'")
    if target.dtype is not D.int64:
        raise RuntimeError(f"expected scalar type Long but found {_legacy(target.dtype)}")
    x = input._data.reshape(n_frames, n_classes)
    listed = xp.cumprod(t != -1, axis=1).astype(bool)  # the entries before the first -1
    ts = xp.where(listed, t, 0)
    rows = xp.arange(n_frames)[:, None]
    is_target = xp.zeros((n_frames, n_classes), bool)
    is_target[xp.broadcast_to(rows, ts.shape)[listed], ts[listed]] = True
    with quiet:
        z = 1 - x[rows, ts][:, :, None] + x[:, None, :]  # (sample, listed j, class i)
        on = (z > 0) & listed[:, :, None] & ~is_target[:, None, :]
        z = xp.where(on, z, 0)
        # (PyTorch's kernel: each sample's running sum in its accumulation type (double for
        # float), rounded to the input's dtype; "none" divides that by C, a reduction adds
        # the samples up in the accumulation type and divides the total by C)
        acc = np.float32 if x.dtype.itemsize <= 2 else np.float64
        losses = (xp.cumsum(z.reshape(n_frames, -1), axis=1, dtype=acc)[:, -1] if z.size else
                  xp.zeros(n_frames, acc)).astype(x.dtype)
        if reduction == "none":
            losses = losses / x.dtype.type(max(n_classes, 1))
        # PyTorch's kernel adds g = 1 / (N * C) for a mean (else 1 / C), in the input's dtype,
        # once per active pair, one at a time: k additions give steps[k]
        g0 = x.dtype.type(1.0 / (n_frames * n_classes) if reduction == "mean" and n_frames
                          else 1.0 / n_classes)
        counts = on.sum(1)  # (per class i, its active listed targets)
        tcounts = xp.zeros((n_frames, n_classes), np.int64)
        _add_at_rows(tcounts, ts, on.sum(2))  # (per target class, its active pairs)
        top = int(max(counts.max(), tcounts.max())) if counts.size else 0
        steps = xp.cumsum(xp.concatenate([xp.zeros(1, x.dtype), xp.full(top, g0, x.dtype)]),
                          dtype=x.dtype)
        coef = xp.where(is_target, 0 - steps[tcounts], steps[counts]).astype(x.dtype)
    if nd < 2:  # (in the input's shape: a sum over a size-1 dim would turn -0 into +0)
        coef = coef.reshape(input.shape)
    out = _margin_out(input, losses, reduction, (n_frames,) if nd == 2 else (), n_classes)
    return make(out, (input,), "MultilabelMarginLossBackward0", _margin_rule, input,
                coef, "sum" if reduction == "mean" else reduction,
                "multilabel_margin_loss_backward", target)  # (g0 holds the mean)


def _add_at_rows(out, cols, vals):
    """``out[n, cols[n, j]] += vals[n, j]`` with repeated columns adding up."""
    from ..._ops.index import _add_at

    n, k = cols.shape
    flat = out.reshape(-1)
    idx = (cols + _xp(cols).arange(n)[:, None] * out.shape[1]).reshape(-1)
    _add_at(flat, idx, vals.reshape(-1).astype(out.dtype, copy=False))


# -- likelihoods ------------------------------------------------------------------------------

def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Negative log likelihood of ``target`` under a Poisson law of rate ``exp(input)``
    (``log_input``) or ``input``; ``full`` adds Stirling's term where ``target > 1``."""
    if size_average is None and reduce is None and reduction not in _REDUCTIONS:
        # (PyTorch's own check here: no 'elementwise_mean'; a non-str is a TypeError)
        raise ValueError(reduction + " is not a valid value for reduction")
    reduction = _reduction(size_average, reduce, reduction, own_line=True)
    _check_flag(log_input, "poisson_nll_loss", "log_input", 3)
    _check_flag(full, "poisson_nll_loss", "full", 4)
    if log_input:
        # NOTE: PyTorch's C++ forms ``target * input`` before ``exp(input)``: the order its
        # backward adds their gradients in
        prod = target * input
        loss = input.exp() - prod
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + (2 * math.pi * target).log() * 0.5
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """``0.5 * (log(var) + (input - target) ** 2 / var)`` (plus ``0.5 * log(2 pi)`` if ``full``).

    ``var`` has ``input``'s shape, or lacks its last dim, or has one dim of size 1 (one
    variance shared along it), or is a float; it is clamped at ``eps`` without a gradient
    through the clamp (as in PyTorch).
    """
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * input.detach().new_ones(tuple(input.shape))
    elif not isinstance(var, Tensor):
        raise TypeError(f"any() received an invalid combination of arguments - got "
                        f"({type(var < 0).__name__}), but expected (Tensor input)")
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and sum(
                b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")  # (a non-str: PyTorch's TypeError)
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# -- connectionist temporal classification ---------------------------------------------------

def _ctc_lengths(lengths, name, device):
    """``input_lengths`` / ``target_lengths`` (a tensor or a sequence of ints) as an int64
    array."""
    if isinstance(lengths, Tensor):
        if lengths.dtype.is_floating_point or lengths.dtype is D.bool:
            raise RuntimeError(f"{name} must be integral")
        return xp_of(lengths).asarray(lengths._data).astype(np.int64).reshape(-1), \
            lengths.dim()
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in lengths):
        raise TypeError(f"ctc_loss(): argument '{name}' must be tuple of ints or Tensor")
    return np.asarray(list(lengths), dtype=np.int64), 1


def _lse(*terms):
    """Elementwise ``log(sum(exp(t)))`` of arrays that may hold -inf (not nan for all -inf)."""
    xp = _xp(terms[0])
    m = terms[0]
    for t in terms[1:]:
        m = xp.maximum(m, t)
    safe = xp.where(xp.isinf(m), 0, m)
    if xp is np:  # (PyTorch's CPU kernels: std::exp and std::log)
        return _log(sum(_exp(t - safe) for t in terms)) + safe
    s = sum(xp.exp(t - safe) for t in terms)
    return xp.log(s) + safe


def _shift(a, k, fill):
    """``a`` moved ``k`` places along its last axis (right for k > 0), ``fill`` coming in."""
    xp = _xp(a)
    out = xp.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist Temporal Classification loss: ``-log`` of the total probability of all
    alignments of each target with its input (blanks between and around labels).

    ``log_probs`` is (T, N, C) (or (T, C) unbatched) log-probabilities; ``targets`` is (N, S)
    padded or the N targets concatenated; ``reduction='mean'`` divides each loss by its target
    length before averaging over the batch.

    NOTE: the gradient is PyTorch's: ``exp(log_probs) - posterior / probs``, the gradient with
    respect to the logits of a ``log_softmax`` rather than to ``log_probs`` themselves (the two
    agree once back-propagated through ``log_softmax``).
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    il, il_dim = _ctc_lengths(input_lengths, "input_lengths", log_probs.device)
    tl, _ = _ctc_lengths(target_lengths, "target_lengths", log_probs.device)
    batched = log_probs.dim() == 3
    lp_t = log_probs if batched else log_probs.unsqueeze(1)
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    # as PyTorch: the kernel's dtype, its emptiness check, then its output allocation's
    # checks (the dims, the lengths' sizes, the targets' sizes, then the lengths' values)
    if log_probs.dtype not in (D.float32, D.float64):
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for "
                                  f"'{_legacy(log_probs.dtype)}'")
    if not log_probs.numel():
        raise RuntimeError("log_probs tensor must not be empty")
    if lp_t.dim() != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp_t.dim()}-dimensional "
                           f"tensor for argument #1 'log_probs'{where}")
    if targets.dim() not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.dim()}-dimensional "
                           f"tensor for argument #2 'targets'{where}")
    T, N, C = lp_t.shape
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if il.shape[0] != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.shape[0] != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    for name, v in (("target_lengths", tl), ("input_lengths", il)):
        if v.size and int(v.min()) < 0:
            raise RuntimeError(f"Expected {name} to have value at least 0, but got value "
                               f"{int(v.min())}{where}")
    xp = xp_of(log_probs)
    il, tl = xp.asarray(il), xp.asarray(tl)
    smax = int(tl.max()) if tl.size else 0
    tg = xp.asarray(targets._data).astype(np.int64)
    if targets.dim() == 1:
        total = int(tl.sum())
        if tg.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got "
                               f"size {tg.shape[0]} for argument #2 'targets'{where}")
        starts = xp.cumsum(tl) - tl
        pos = starts[:, None] + xp.arange(smax)[None, :]
        padded = tg[xp.minimum(pos, max(total - 1, 0))] if total else \
            xp.zeros((N, smax), np.int64)
    else:
        if tg.shape[0] != N:
            raise RuntimeError(f"Expected tensor to have size {N} at dimension 0, but got size "
                               f"{tg.shape[0]} for argument #2 'targets'{where}")
        if tg.shape[1] < smax:
            raise RuntimeError(f"Expected tensor to have size at least {smax} at dimension 1, "
                               f"but got size {tg.shape[1]} for argument #2 'targets'{where}")
        padded = tg[:, :smax]
    if il.size and int(il.max()) > T:
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value "
                           f"{int(il.max())}{where}")
    kept = xp.arange(smax)[None, :] < tl[:, None]
    padded = xp.where(kept, padded, blank)
    if padded.size and (int(padded.min()) < 0 or int(padded.max()) >= C):
        # NOTE: PyTorch reads out of bounds here (its result is undefined)
        raise RuntimeError(f"ctc_loss: target label out of range [0, {C})")
    nll, grad = _ctc_forward(lp_t._data, padded, il, tl, blank, zero_infinity)
    loss = make(nll, (lp_t,), "CtcLossBackward0", _ctc_rule, grad, lp_t)
    if zero_infinity:
        loss = P.where(loss == math.inf, loss.new_zeros(()), loss)
    if reduction == "mean":
        lengths = wrap(tl, log_probs._device).clamp_min(1).to(loss.dtype)
        return (loss / lengths).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.squeeze(0)


def _ctc_forward(lp, labels, il, tl, blank, zero_infinity):
    """The alpha and beta recursions over all samples at once, in log space.

    ``labels`` (N, S) are the targets padded with blanks; the extended label sequence puts a
    blank before, between and after them (2S + 1 states).  Returns the losses (N,) and their
    gradient with respect to ``lp`` (T, N, C) for a unit upstream gradient.
    """
    xp = _xp(lp)
    T, N, C = lp.shape
    S = labels.shape[1]
    L = 2 * S + 1
    ninf = -np.inf
    ext = xp.full((N, L), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    n_states = 2 * tl + 1
    valid = xp.arange(L)[None, :] < n_states[:, None]
    skip = xp.zeros((N, L), bool)  # may a path jump from state s - 2 to s?
    if L > 2:
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    rows = xp.arange(N)[:, None]
    emit = lp[:, rows, ext]  # (T, N, L): each state's log-probability at each step
    alpha = xp.full((T, N, L), ninf, dtype=lp.dtype)
    beta = xp.full((T, N, L), ninf, dtype=lp.dtype)
    with quiet:
        if T:
            first = xp.full((N, L), ninf, dtype=lp.dtype)
            first[:, 0] = emit[0, :, 0]
            if L > 1:
                first[:, 1] = xp.where(tl > 0, emit[0, :, 1], ninf)
            alpha[0] = first
        for t in range(1, T):
            a = alpha[t - 1]
            a2 = xp.where(skip, _shift(a, 2, ninf), ninf)
            alpha[t] = xp.where(valid, _lse(a, _shift(a, 1, ninf), a2) + emit[t], ninf)
        last = n_states - 1  # the final blank; the final label is just before it
        skip_next = _shift(skip, -2, False)
        for t in range(T - 1, -1, -1):
            init = xp.full((N, L), ninf, dtype=lp.dtype)
            init[xp.arange(N), last] = emit[t, xp.arange(N), last]
            prev = xp.maximum(last - 1, 0)
            init[xp.arange(N), prev] = xp.where(tl > 0, emit[t, xp.arange(N), prev],
                                                init[xp.arange(N), prev])
            if t + 1 < T:
                b = beta[t + 1]
                b2 = xp.where(skip_next, _shift(b, -2, ninf), ninf)
                rec = xp.where(valid, _lse(b, _shift(b, -1, ninf), b2) + emit[t], ninf)
            else:
                rec = init
            step = (t == il - 1)[:, None]
            inside = (t < il - 1)[:, None]
            beta[t] = xp.where(step, init, xp.where(inside, rec, ninf))
        end = alpha[xp.maximum(il - 1, 0), xp.arange(N)]  # (N, L) at each sample's last step
        ll = _lse(end[xp.arange(N), last],
                  xp.where(tl > 0, end[xp.arange(N), xp.maximum(last - 1, 0)], ninf))
        ll = xp.where(il > 0, ll, xp.where(tl > 0, ninf, 0.0))
        nll = (-ll).astype(lp.dtype)
        grad = _ctc_grad(lp, ext, alpha, beta, nll, il, n_states)
        live = xp.arange(T)[:, None] < il[None, :]
        if zero_infinity:
            live = live & ~xp.isinf(nll)[None, :]
        grad = xp.where(live[:, :, None], grad, 0).astype(lp.dtype)
    return nll, grad


def _ctc_grad(lp, ext, alpha, beta, nll, il, n_states):
    """PyTorch's CPU CTC gradient for a unit upstream gradient, in ``lp``'s dtype and order:
    each (step, class) collects ``log(alpha + beta)`` of its states, pairwise ("log+="),
    over the states in descending order (the last step only its two final states), then
    ``exp(lp) - exp(collected + nll - lp)``; the steps past a sample's length come out as
    whatever this gives (the caller zeroes them)."""
    xp = _xp(lp)
    T, N, C = lp.shape
    L = ext.shape[1]
    ex, lg = (_exp, _log) if xp is np else (xp.exp, xp.log)
    ninf = lp.dtype.type(-np.inf)
    lab = alpha + beta  # (T, N, L)
    lcab = xp.full((T, N, C), ninf, dtype=lp.dtype)
    rows = xp.arange(N)
    steps = xp.arange(T)[:, None]
    before_last = steps < (il - 1)[None, :]  # (T, N): the recursion's steps
    with quiet:
        for s in range(L - 1, -1, -1):
            cls = ext[:, s]
            cur = lcab[:, rows, cls]
            new = lab[:, :, s]
            top = xp.maximum(cur, new)
            both = lg(ex(cur - top) + ex(new - top)) + top
            upd = xp.where(cur == ninf, new, both)
            lcab[:, rows, cls] = xp.where(before_last & (s < n_states)[None, :], upd, cur)
        # the last step: its two final states, assigned (a blank and a label: two classes)
        last, t_end = n_states - 1, xp.maximum(il - 1, 0)
        has = il > 0
        for state, ok in ((last, has), (xp.maximum(last - 1, 0), has & (last > 0))):
            r, t_, c_ = rows[ok], t_end[ok], ext[rows, state][ok]
            lcab[t_, r, c_] = lab[t_, r, state[ok]]
        return ex(lp) - ex(lcab + nll[None, :, None] - lp)


def _exp(x):
    """``std::exp`` in the array's float type: the C library's ``expf`` and ``exp``."""
    if x.dtype == np.float32:
        return _sleef.c_exp(x)
    return _libm.exp64(x) if x.dtype == np.float64 else np.exp(x)


def _log(x):
    """``std::log`` in the array's float type (the C library's ``logf`` and ``log``)."""
    if x.dtype == np.float32:
        return _libm.logf(x)
    return _libm.log64(x) if x.dtype == np.float64 else np.log(x)


def _ctc_rule(ctx, g):
    grad, lp = ctx.saved
    # (the gradient's own dependence on the log-probabilities is not recorded: PyTorch has no
    # double backward for CTC either, and a create_graph pass raises its error if it gets here)
    return (not_twice_differentiable(P.times_mask(g.reshape((1, grad.shape[1], 1)), grad), lp,
                                     "derivative for aten::_ctc_loss_backward is not implemented"),)


def _run_in_float32_under_autocast():
    """Autocast runs these losses in float32 (PyTorch's list; the ones it builds in Python
    from other ops, such as gaussian_nll_loss, follow their parts instead)."""
    from ...amp.autocast_mode import fp32

    for name in ("nll_loss", "cross_entropy", "mse_loss", "l1_loss", "smooth_l1_loss",
                 "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                 "kl_div", "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
                 "poisson_nll_loss", "soft_margin_loss", "triplet_margin_loss",
                 "multi_margin_loss", "multilabel_margin_loss", "ctc_loss"):
        globals()[name] = fp32(globals()[name])


_run_in_float32_under_autocast()
