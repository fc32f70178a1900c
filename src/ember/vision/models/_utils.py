"""Helpers the model files share: channel rounding and ImageNet weight descriptions."""
from __future__ import annotations

import typing
from functools import partial

from ..transforms._presets import ImageClassification
from ._api import Weights
from ._meta import _IMAGENET_CATEGORIES

_URL = "https://download.pytorch.org/models/"


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), but never
    more than 10% below ``v`` (the MobileNet/EfficientNet channel rule)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _imagenet_weights(file: str, num_params: int, acc1: float, acc5: float, ops: float,
                      file_size: float, *, recipe: str, min_size: tuple[int, int], docs: str,
                      **transform_kwargs) -> Weights:
    """An ImageNet-1K checkpoint at torchvision's URL; ``transform_kwargs`` go to the
    ``ImageClassification`` preset (``crop_size`` always, the rest where it differs)."""
    meta = {"min_size": min_size, "categories": _IMAGENET_CATEGORIES, "num_params": num_params,
            "recipe": recipe, "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
            "_ops": ops, "_file_size": file_size, "_docs": docs}
    return Weights(url=_URL + file, transforms=partial(ImageClassification, **transform_kwargs),
                   meta=meta)


def _hinted(forward):
    """``forward`` with its annotations as objects rather than the strings of ``from __future__
    import annotations``, as torchvision's are: a traced model's code shows them
    (``def forward(self, x : torch.Tensor)``)."""
    forward.__annotations__ = typing.get_type_hints(forward)
    return forward


def _load(model, weights, progress: bool):
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model

from ._intermediate import IntermediateLayerGetter  # noqa: E402,F401  (torchvision.models._utils)
