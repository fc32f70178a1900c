"""``linear_cross_entropy``: a linear projection to logits, then cross entropy, in one call.

Two ways to compute it, as in PyTorch:

- the reference path (``options=None``): ``linear`` then ``cross_entropy``, so the graph
  ends in ``NllLossBackward0`` and every feature of ``cross_entropy`` is there (class
  probabilities, label smoothing, K-dimensional targets through ``out_features``);
- the chunked path (``options=LinearCrossEntropyOptions(...)``): the batch is walked in
  slices of ``batch_chunk_size`` rows, so the whole ``(N, C)`` logits never exist at once.
  For ``'mean'``/``'sum'`` the gradients are worked out during the forward pass and only
  scaled by the incoming gradient in backward (so a second backward fails unless the
  options allow retaining the graph); for ``'none'`` the backward walks the chunks again.

The chunked path keeps PyTorch's order of operations and its choice of working dtype per
step (``acc_policy``/``acc_dtype``), so its rounding is PyTorch's wherever ember's matrix
products and sums round as PyTorch's do.
"""
from __future__ import annotations

import math

from ember._warnings import warn as _warn

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import STATE, no_grad
from .linear import linear
from .loss import cross_entropy

__all__ = ["linear_cross_entropy"]

_REDUCTIONS = ("mean", "sum", "none")


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,
                         linear_bias: Tensor | None = None, weight: Tensor | None = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options=None) -> Tensor:
    """Cross entropy of ``linear(input, linear_weight, linear_bias)`` against ``target``.

    Shapes: ``input`` is ``(in_features,)`` or ``(N, in_features)``; ``linear_weight`` is
    ``(C, in_features)`` or ``(C, d_1, ..., d_K, in_features)`` (the latter for a
    K-dimensional loss, batched input only); ``target`` holds class indices (``()``,
    ``(N,)`` or ``(N, d_1, ..., d_K)``) or class probabilities (the logits' shape).
    ``ignore_index=None`` means -100 for class indices. ``options`` (a
    ``LinearCrossEntropyOptions``) selects the chunked, memory-saving computation.

    Example::

        >>> x, w = torch.randn(8, 4), torch.randn(10, 4)
        >>> loss = F.linear_cross_entropy(x, w, torch.randint(0, 10, (8,)))
    """
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError("expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.dim()}")
    batch = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions "
                           f"(in_features), got {input.shape[-1]} and "
                           f"{linear_weight.shape[-1]}, respectively")
    num_classes = linear_weight.shape[0]
    extra = tuple(linear_weight.shape[1:-1])  # out_features of a K-dimensional loss
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *extra):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *extra)}, got "
                           f"{tuple(linear_bias.shape)}")
    if extra and not batch:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape "
                           f"{tuple(linear_weight.shape)} requires batched input, "
                           f"(N, {in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*batch, num_classes, *extra)
    # NOTE: as PyTorch, a target of exactly the logits' shape is read as probabilities
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains "
                           "probabilities")
    if ignore_index is None:
        ignore_index = -100

    if options is not None:
        chunkable = (not extra and reduction in _REDUCTIONS and label_smoothing == 0.0
                     and target.dtype == D.int64)
        if not chunkable:
            bias_shape = tuple(linear_bias.shape) if linear_bias is not None else None
            _warn("linear_cross_entropy: ``options`` ignored; chunked path needs reduction "
                  "in {'mean','sum','none'}, label_smoothing == 0, target.dtype == int64, "
                  f"out_features == (). Got reduction={reduction!r}, "
                  f"label_smoothing={label_smoothing}, target.dtype={target.dtype}, "
                  f"out_features={extra}, tracing=False, linear_bias.shape={bias_shape}.",
                  UserWarning)
        else:
            return _chunked(input, linear_weight, target, linear_bias, weight, reduction,
                            ignore_index, options)

    if extra:  # one flat linear layer, its logits viewed back as (N, C, d_1, ..., d_K)
        flat = math.prod(extra, start=num_classes)
        linear_weight = linear_weight.reshape((flat, in_features))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(flat)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=ignore_index, label_smoothing=label_smoothing)


# ---------------------------------------------------------------- the chunked path

def _chunked(input, linear_weight, target, linear_bias, weight, reduction, ignore_index,
             options):
    batched = input.dim() == 2
    if not batched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    opts = options._adjust(num_batches=input.shape[0], in_features=input.shape[1],
                           num_classes=linear_weight.shape[0], dtype=input.dtype,
                           device=input.device)
    plan = dict(reduction=reduction, ignore_index=ignore_index,
                chunk=opts.batch_chunk_size, policy=opts.acc_policy, acc=opts.acc_dtype)
    # only the tensors given become inputs of the node (its next_functions, as PyTorch's)
    tensors = [t for t in (input, linear_weight, target, linear_bias, weight) if t is not None]
    plan["has"] = (linear_bias is not None, weight is not None)
    if reduction == "none":
        out = _ChunkedNone.apply(*tensors, plan=plan)
    else:
        grad_on = STATE.enabled
        plan["retain"] = opts.allow_retain_graph
        plan["need"] = (input.requires_grad and grad_on, linear_weight.requires_grad and grad_on,
                        linear_bias is not None and linear_bias.requires_grad and grad_on)
        out = _ChunkedReduced.apply(*tensors, plan=plan)
    return out if batched else out.squeeze(0)


def _unpack(tensors, plan):
    """(input, linear_weight, target, linear_bias, weight) from the node's tensor inputs."""
    input, linear_weight, target, *rest = tensors
    has_bias, has_weight = plan["has"]
    bias = rest.pop(0) if has_bias else None
    weight = rest.pop(0) if has_weight else None
    return input, linear_weight, target, bias, weight


def _slots(plan, grads):
    """The backward's gradients, one per tensor input (``None`` for target and weight)."""
    gi, gw, gb = grads
    out = [gi, gw, None]
    if plan["has"][0]:
        out.append(gb)
    if plan["has"][1]:
        out.append(None)
    return tuple(out)


_TWICE = ("linear_cross_entropy chunked backward called twice; retain_graph=True / double "
          "backward are not supported.")


class GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_default(Function):
    """Scalar reductions: the forward computes the loss and all gradients; the backward only
    scales the stored gradients by the incoming one (in place, once, unless ``retain``)."""

    @staticmethod
    def forward(ctx, *tensors, plan):
        input, linear_weight, target, bias, weight = _unpack(tensors, plan)
        need = plan["need"]
        loss, gi, gw, gb = _accumulate(input, linear_weight, target, bias, weight,
                                       plan["reduction"], plan["ignore_index"], plan["chunk"],
                                       plan["policy"], plan["acc"], *need)
        ctx.plan = plan
        ctx.grads = [gi if need[0] else None, gw if need[1] else None,
                     gb if need[2] else None]
        return loss

    @staticmethod
    def backward(ctx, grad_output):
        plan = ctx.plan
        out = []
        for i, g in enumerate(ctx.grads):
            if not plan["need"][i]:
                out.append(None)
            elif plan["retain"]:
                out.append(g * grad_output)
            else:
                if g is None:
                    raise RuntimeError(_TWICE)
                ctx.grads[i] = None
                out.append(g.mul_(grad_output))
        return _slots(plan, out)


class GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_no_reduction_default(
        Function):
    """``reduction='none'``: the forward computes the per-row losses only; the backward walks
    the chunks again with the incoming per-row gradient folded into the row weights."""

    @staticmethod
    def forward(ctx, *tensors, plan):
        input, linear_weight, target, bias, weight = _unpack(tensors, plan)
        ctx.plan = plan
        ctx.save_for_backward(*tensors)
        return _accumulate(input, linear_weight, target, bias, weight, "none",
                           plan["ignore_index"], plan["chunk"], plan["policy"], plan["acc"],
                           False, False, False)[0]

    @staticmethod
    def backward(ctx, grad_output):
        plan = ctx.plan
        needs = ctx.needs_input_grad
        input, linear_weight, target, bias, weight = _unpack(ctx.saved_tensors, plan)
        need = (needs[0], needs[1], bias is not None and needs[3])
        if not any(need):
            return _slots(plan, (None, None, None))
        with no_grad():
            _, gi, gw, gb = _accumulate(input.detach(), linear_weight.detach(), target,
                                        None if bias is None else bias.detach(),
                                        None if weight is None else weight.detach(), "none",
                                        plan["ignore_index"], plan["chunk"], plan["policy"],
                                        plan["acc"], *need, grad_output=grad_output)
        return _slots(plan, tuple(g if n else None for g, n in zip((gi, gw, gb), need)))


_ChunkedReduced = GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_default
_ChunkedNone = \
    GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_no_reduction_default


def _accumulate(input, linear_weight, target, bias, weight, reduction, ignore_index,
                chunk_size, policy, acc, need_gi, need_gw, need_gb, grad_output=None):
    """The chunked loop. Returns ``(loss, grad_input, grad_linear_weight, grad_linear_bias)``
    (gradients not asked for are empty). Runs with ``grad_output`` only for the backward of
    ``reduction='none'``, where the loss it also returns means nothing."""
    from ..._ops import creation, shape

    device = input.device

    dtype = input.dtype
    n, in_features = input.shape
    num_classes = linear_weight.shape[0]
    if dtype != acc and not (dtype in (D.float16, D.bfloat16) and acc == D.float32):
        raise RuntimeError("linear_cross_entropy supports float32 acc_dtype with float16/"
                           f"bfloat16 inputs, but got {acc} acc_dtype and {dtype} inputs.")
    # Working dtypes, PyTorch's CPU choices. ``mixed``: low-precision input, float32 inside.
    mixed = dtype != acc
    lean = policy in ("balanced", "compact")
    if mixed:
        out_dt = acc if dtype == D.float16 else dtype
        gi_dt = dtype if lean else acc
        logit_dt = dtype if (dtype == D.float16 and lean) else acc
        row_dt = acc  # the per-row weights: 1/N is subnormal in float16 for large N
    else:
        out_dt = gi_dt = logit_dt = row_dt = dtype
    lw = linear_weight.to(logit_dt) if mixed else linear_weight  # weight the products use
    staged_wgrad = need_gw and not (policy == "compact" and logit_dt == dtype)
    staged_bgrad = need_gb and mixed
    input_up = mixed and (need_gw or dtype != logit_dt)  # an acc-dtype copy of each slice
    forward_up = mixed and dtype != logit_dt
    down_logits = need_gw and not staged_wgrad and logit_dt != dtype
    bias_c = None if bias is None else (bias.to(logit_dt) if bias.dtype != logit_dt else bias)

    # per-row weights: -w[t]/d (mean), -w[t] (sum), w[t] (none forward), 0 where ignored
    mask = target == ignore_index
    tgt = target.masked_fill(mask, 0) if not 0 <= ignore_index < num_classes else target
    if weight is None:
        rows = (~mask).to(row_dt)
    elif target.numel() > weight.numel():
        rows = weight.to(row_dt).index_select(0, tgt).masked_fill(mask, 0)
    else:
        rows = weight.index_select(0, tgt).to(row_dt).masked_fill(mask, 0)
    if reduction == "mean":
        d = rows.sum()
        rows = rows / (-d if d.item() != 0 else math.nan)
    elif reduction == "sum":
        rows = -rows
    elif grad_output is not None:
        rows = (-rows) * grad_output.to(rows.dtype)

    empty = creation.empty((0, 0), dtype=gi_dt, device=device)
    gi_parts = []
    gw = (creation.zeros(tuple(linear_weight.shape), dtype=dtype, device=device) if need_gw
          else creation.empty((0, 0), dtype=dtype, device=device))
    gb = (creation.zeros((num_classes,), dtype=dtype, device=device) if need_gb
          else creation.empty((0,), dtype=dtype, device=device))
    loss_none = []
    output = creation.zeros((), dtype=out_dt, device=device)
    if reduction == "mean" and n == 0:
        output = output + math.nan
    for start in range(0, n, chunk_size):
        size = min(chunk_size, n - start)
        x = input.narrow(0, start, size)
        t = tgt.narrow(0, start, size)
        r = rows.narrow(0, start, size)
        x_up = x.to(acc) if input_up else x
        logits = (x_up if forward_up else x).mm(lw.t())
        if bias_c is not None:
            logits = logits + bias_c
        logits = logits - logits.amax(1, keepdim=True)
        picked = logits.gather(1, t.unsqueeze(1)).squeeze(1)
        if reduction == "none" and grad_output is None:
            denom = logits.exp().sum(1, dtype=acc)
            per_row = (denom.log() - picked.to(denom.dtype)) * r.to(denom.dtype)
            loss_none.append(per_row.to(dtype))
            continue
        output = (output + r.dot(picked.to(r.dtype))).to(out_dt)
        exps = logits.exp()
        denom = exps.sum(1, dtype=acc)
        if need_gi or need_gw or need_gb:
            # softmax * row weight: exp times (rows / denom), the factor rounded to the
            # logits' dtype first (PyTorch divides into a buffer of that dtype)
            logits = exps * (r / denom).to(logit_dt).unsqueeze(1)
        output = (output - r.to(denom.dtype).dot(denom.log())).to(out_dt)
        if need_gb:
            acc_b = (creation.zeros((num_classes,), dtype=acc, device=device) if staged_bgrad
                     else gb)
            acc_b = (acc_b - logits.sum(0, dtype=acc if mixed else dtype)).index_add(0, t, r)
            gb = (gb + acc_b.to(dtype)) if staged_bgrad else acc_b
        if need_gi:
            # in lw's dtype (a staging slice when that is not grad_input's dtype)
            part = lw.index_select(0, t) * r.to(lw.dtype).unsqueeze(1)
            gi_parts.append(part.addmm(logits, lw, alpha=-1).to(gi_dt))
        if need_gw:
            if staged_wgrad:  # the chunk's block in acc dtype, then one subtraction
                up = logits if logit_dt == acc else logits.to(acc)
                block = up.t().mm(x_up).index_add(0, t, x_up * r.unsqueeze(1), alpha=-1)
                gw = (gw - block).to(dtype)
            else:  # straight into the running gradient
                lg = logits.to(linear_weight.dtype) if down_logits else logits
                gw = gw.addmm(lg.t(), x, alpha=-1)
                gw = gw.index_add(0, t, (x_up * r.unsqueeze(1)).to(gw.dtype))
    if reduction == "none" and grad_output is None:
        out = shape.cat(loss_none) if loss_none else creation.empty((0,), dtype=dtype,
                                                                    device=device)
        return out, empty, gw, gb
    if need_gi:
        gi = (shape.cat(gi_parts) if gi_parts
              else creation.empty(tuple(input.shape), dtype=gi_dt, device=device)).to(dtype)
    else:
        gi = empty.to(dtype)
    return output.to(dtype), gi, gw, gb

