"""``linear`` and ``bilinear``."""
from __future__ import annotations

from ..._ops import linalg
from ..._tensor import Tensor

__all__ = ["linear", "bilinear"]


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``; 2-D input runs PyTorch's fused ``addmm``."""
    if not isinstance(input, Tensor):  # a list or a NumPy array: PyTorch's TypeError
        t = type(input)
        name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"
        raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not {name}")
    if isinstance(weight, Tensor) and (input.dim() == 0 or weight.dim() == 0):
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.dim()}D and {weight.dim()}D")
    if bias is not None:
        if input.dim() == 2:
            return linalg.addmm(bias, input, weight.t())
        if input.numel() and input.is_contiguous():
            # as PyTorch: other contiguous inputs run one addmm over their rows, viewed back
            # (grad_fn=<ViewBackward0>)
            out = linalg.addmm(bias, input.reshape(-1, input.shape[-1]), weight.t())
            return out.view(*input.shape[:-1], out.shape[-1])
    out = linalg.matmul(input, weight.t())
    return out + bias if bias is not None else out


def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1 @ W_k @ x2 + b_k`` for each output feature k."""
    if input1.shape[:-1] != input2.shape[:-1]:
        if input1.dim() == input2.dim():  # PyTorch names the first dim that differs
            d = next(i for i, (a, b) in enumerate(zip(input1.shape, input2.shape)) if a != b)
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: "
                               f"got {input1.shape[d]} and {input2.shape[d]}")
        raise RuntimeError("bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if weight.dim() != 3:
        raise RuntimeError("bilinear(): input size does not match weight size")
    for k, x in ((1, input1), (2, input2)):
        if x.shape[-1] != weight.shape[k]:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{x.shape[-1]} but expected {weight.shape[k]}")
    # as PyTorch: the inputs as rows, one trilinear product, viewed back to the batch shape
    from ..._ops._core import fused

    rows1 = input1.reshape(-1, input1.shape[-1])
    rows2 = input2.reshape(-1, input2.shape[-1])
    out = fused("TrilinearBackward0",
                lambda x1, w, x2: linalg.einsum("...i,kij,...j->...k", x1, w, x2),
                rows1, weight, rows2)
    out = out.view(*input1.shape[:-1], weight.shape[0])
    return out + bias if bias is not None else out
