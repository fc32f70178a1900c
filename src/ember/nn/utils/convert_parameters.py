"""Flatten parameters into one vector and back."""
from __future__ import annotations

from ..._ops import shape


def parameters_to_vector(parameters):
    vec = []
    for p in parameters:
        p.device  # noqa: B018 (as PyTorch's device check, first)
        vec.append(p.view(-1))
    return shape.cat(vec)


def vector_to_parameters(vec, parameters):
    from ..._tensor import Tensor

    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for p in parameters:
        p.device  # noqa: B018 (as PyTorch's device check, first)
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
