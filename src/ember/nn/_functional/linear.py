"""``linear`` and ``bilinear``."""
from __future__ import annotations

from ..._ops import linalg
from ...amp import autocast_mode as _amp
from ..._tensor import Tensor

__all__ = ["linear", "bilinear"]


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``; 2-D input runs PyTorch's fused ``addmm``."""
    if not isinstance(input, Tensor):  # a list or a NumPy array: PyTorch's TypeError
        from ..._ops._core import tp_name

        raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not "
                        f"{tp_name(input)}")
    if isinstance(weight, Tensor) and (input.dim() == 0 or weight.dim() == 0):
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.dim()}D and {weight.dim()}D")
    if _amp.ON:  # as PyTorch: linear is the autocast op, casting the weight itself (a leaf)
        input, weight, bias = _amp.lower(input, weight, bias)
    if bias is not None:
        if input.dim() == 2:
            return linalg.addmm(bias, input, weight.t())
        if (input.is_contiguous() or not input.numel()) and bias.is_contiguous() and \
                (bias.dim() == 1 or sum(n != 1 for n in bias.shape) == 1):
            # as PyTorch: other contiguous inputs (all empty ones are) with a contiguous bias
            # of one dim (or one dim not 1) run one addmm over their rows, viewed back
            # (grad_fn=<ViewBackward0>)
            rows = 1
            for n in input.shape[:-1]:
                rows *= n
            out = linalg.addmm(bias, input.reshape(rows, input.shape[-1]), weight.t())
            return out.view(*input.shape[:-1], out.shape[-1])
    out = linalg.matmul(input, weight.t())
    return out.add_(bias) if bias is not None else out  # (PyTorch's: in place, its errors)


def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1 @ W_k @ x2 + b_k`` for each output feature k."""
    kinds = [input1.dtype, input2.dtype, weight.dtype] + ([bias.dtype] if bias is not None
                                                         else [])
    if len(set(kinds)) > 1:
        from ..._ops.linalg import _CPP
        names = ", ".join(f"{n}: {_CPP[d.name]}" for n, d in
                          zip(("input1", "input2", "weight", "bias"), kinds))
        raise RuntimeError(f"All tensors must have the same dtype, got {names}")
    if input1.dim() != input2.dim():
        raise RuntimeError("bilinear(): input dimensions do not match: got "
                           f"{input1.dim()} and {input2.dim()}")
    if input1.shape[:-1] != input2.shape[:-1]:  # PyTorch names the first dim that differs
        d = next(i for i, (a, b) in enumerate(zip(input1.shape, input2.shape)) if a != b)
        raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: "
                           f"got {input1.shape[d]} and {input2.shape[d]}")
    for k, x in ((1, input1), (2, input2)):
        if x.shape[-1] != weight.size(k):  # (an IndexError where the weight has no dim k)
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{x.shape[-1]} but expected {weight.shape[k]}")
    if bias is not None and bias.size(0) != weight.shape[0]:
        raise RuntimeError("bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {weight.shape[0]}")
    if weight.dim() != 3:  # (from PyTorch's trilinear product)
        raise RuntimeError("number of dimensions must match")
    # as PyTorch: the inputs as rows, one trilinear product, viewed back to the batch shape
    rows1 = input1.reshape(-1, input1.shape[-1])
    rows2 = input2.reshape(-1, input2.shape[-1])
    out = _trilinear_op(rows1, weight, rows2, (1, 3), (0,), (1, 2), (2, 3))
    out = out.view(*input1.shape[:-1], weight.shape[0])
    return out + bias if bias is not None else out


def _trilinear(i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim=1):
    """PyTorch's ``_trilinear`` step for step: the operands unsqueezed at their ``expand``
    dims, then for each index of ``unroll_dim`` two pairwise sum-products (``bmm``s: i1 with
    i2 over the summed dims i3 lacks, the result with i3 over the rest) added into a zero
    output; the summed dims squeezed away at the end."""
    from ..._ops import creation
    from ..._ops.einsum import sumproduct_pair

    total = i1.dim() + len(expand1)
    e1, e2, e3, sd = (set(d % total for d in x) for x in (expand1, expand2, expand3, sumdim))
    size, sum12, sum23, unroll = [], [], [], -1
    for i in range(total):
        s = 0
        if i in e1:
            i1 = i1.unsqueeze(i)
        else:
            s = i1.shape[i]
        if i in e2:
            i2 = i2.unsqueeze(i)
        else:
            s = i2.shape[i]
        if i in e3:
            i3 = i3.unsqueeze(i)
            if i in sd and i != unroll_dim:
                sum12.append(i)
        else:
            s = i3.shape[i]
            if i in sd and i != unroll_dim:
                sum23.append(i)
        size.append(1 if i in sd else s)
        if i == unroll_dim:
            unroll = s
    m1, m2, m3 = (0 if unroll_dim in e else 1 for e in (e1, e2, e3))
    out = creation.zeros(size, dtype=i1.dtype, device=i1.device)
    if i1.numel() and i2.numel() and i3.numel():
        for k in range(unroll):
            buf = sumproduct_pair(i1.narrow(unroll_dim, k * m1, 1),
                                  i2.narrow(unroll_dim, k * m2, 1), sum12, True)
            buf = sumproduct_pair(buf, i3.narrow(unroll_dim, k * m3, 1), sum23, True)
            (out if unroll_dim in sd else out.narrow(unroll_dim, k, 1)).add_(buf)
    for i in range(out.dim() - 1, -1, -1):
        if i in sd:
            out = out.squeeze(i)
    return out


def _trilinear_op(i1, i2, i3, expand1, expand2, expand3, sumdim):
    """:func:`_trilinear` as one ``TrilinearBackward0`` node, whose gradients are PyTorch's
    ``_trilinear_backward``: three more trilinear products with the dims' roles swapped."""
    from ..._ops._core import make
    from ...autograd.grad_mode import STATE, no_grad

    if i1.dtype.is_complex and STATE.enabled and \
            (i1.requires_grad or i2.requires_grad or i3.requires_grad):
        raise RuntimeError("_trilinear does not support automatic differentiation for outputs "
                           "with complex dtype.")
    with no_grad():
        out = _trilinear(i1, i2, i3, expand1, expand2, expand3, sumdim)

    def rule(ctx, g):
        a, b, c = ctx.saved
        need = ctx.needs_input_grad
        # (each a node of its own again: a create_graph backward differentiates them alike)
        return (_trilinear_op(g, b, c, sumdim, expand2, expand3, expand1) if need[0] else None,
                _trilinear_op(a, g, c, expand1, sumdim, expand3, expand2) if need[1] else None,
                _trilinear_op(a, b, g, expand1, expand2, sumdim, expand3) if need[2] else None)
    # NOTE: as PyTorch's node, it keeps an input only where another's gradient needs it: a
    # weight changed in place after a Bilinear whose inputs need no gradient is no error
    r1, r2, r3 = i1.requires_grad, i2.requires_grad, i3.requires_grad
    return make(out._data, (i1, i2, i3), "TrilinearBackward0", rule, i1 if r2 or r3 else None,
                i2 if r1 or r3 else None, i3 if r1 or r2 else None)
