"""``Transform``: the base of the v2 transforms (a ``Module`` over nested samples)."""
from __future__ import annotations

import enum

from ember._warnings import warn as _warn

from ...._tensor import Tensor
from ....nn.modules.module import Module
from ... import tv_tensors
from . import functional as F
from ._utils import _is_pil, check_type, has_any, is_pure_tensor, tree_flatten, tree_unflatten


def _ember():
    import ember

    return ember


class Transform(Module):
    """Base class of the v2 transforms.

    ``forward(*inputs)`` flattens the sample, draws the random parameters once
    (``make_params``) from the inputs it will transform, and calls
    ``transform(inpt, params)`` on each of them.  What gets transformed: instances of
    ``_transformed_types``, except that of the plain tensors only the first one is
    (and none when the sample holds an ``Image``, a ``Video`` or a ``PIL.Image``).
    """

    _transformed_types: tuple = (Tensor, _is_pil)

    def check_inputs(self, flat_inputs) -> None:
        pass

    def make_params(self, flat_inputs) -> dict:
        return dict()

    def _call_kernel(self, functional, inpt, *args, **kwargs):
        kernel = F._get_kernel(functional, type(inpt), allow_passthrough=True)
        return kernel(inpt, *args, **kwargs)

    def transform(self, inpt, params: dict):
        raise NotImplementedError

    def forward(self, *inputs):
        flat_inputs, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        self.check_inputs(flat_inputs)
        needs = self._needs_transform_list(flat_inputs)
        params = self.make_params([x for x, n in zip(flat_inputs, needs) if n])
        flat_outputs = [self.transform(x, params) if n else x for x, n in zip(flat_inputs, needs)]
        return tree_unflatten(flat_outputs, spec)

    def _needs_transform_list(self, flat_inputs) -> list[bool]:
        # NOTE: torchvision's heuristic: without an Image/Video/PIL image, the first plain
        # tensor is the image and the other plain tensors (labels...) pass through.
        transform_pure = not has_any(flat_inputs, tv_tensors.Image, tv_tensors.Video, _is_pil)
        needs = []
        for inpt in flat_inputs:
            need = True
            if not check_type(inpt, self._transformed_types):
                need = False
            elif is_pure_tensor(inpt):
                if transform_pure:
                    transform_pure = False
                else:
                    need = False
            needs.append(need)
        return needs

    def extra_repr(self) -> str:
        extra = []
        for name, value in self.__dict__.items():
            if name.startswith("_") or name == "training":
                continue
            if not isinstance(value, (bool, int, float, str, tuple, list, enum.Enum)):
                continue
            extra.append(f"{name}={value}")
        return ", ".join(extra)


class _RandomApplyTransform(Transform):
    """A transform applied with probability ``p`` (one ``torch.rand(1)`` draw per call)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__()
        self.p = p

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(inputs)
        self.check_inputs(flat_inputs)
        if _ember().rand(1) >= self.p:
            return inputs
        needs = self._needs_transform_list(flat_inputs)
        params = self.make_params([x for x, n in zip(flat_inputs, needs) if n])
        flat_outputs = [self.transform(x, params) if n else x for x, n in zip(flat_inputs, needs)]
        return tree_unflatten(flat_outputs, spec)


class _PassesBoxesAndMasks:
    """Mixin: a transform that leaves boxes and masks as they are, warning as torchvision does."""

    def _call_kernel(self, functional, inpt, *args, **kwargs):
        if isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.KeyPoints, tv_tensors.Mask)):
            _warn(f"{type(self).__name__}() is currently passing through inputs of type "
                  f"tv_tensors.{type(inpt).__name__}. This will likely change in the future.",
                  stacklevel=2)
        return super()._call_kernel(functional, inpt, *args, **kwargs)
