"""What the segmentation models share: the backbone + head model, the VOC label names, the
preprocessing preset, and the legacy ``pretrained=`` / ``pretrained_backbone=`` keywords."""
from __future__ import annotations

import functools
import inspect
from collections import OrderedDict
from typing import Any

from .... import Tensor, nn
from ...._warnings import warn as _warn
from ....nn import functional as F
from ...transforms import functional as TF
from ...transforms.functional import InterpolationMode
from .._api import Weights, WeightsEnum, _sequence_to_str
from .._utils import _hinted

__all__ = ["_SimpleSegmentationModel", "SemanticSegmentation", "_VOC_CATEGORIES"]

_VOC_CATEGORIES = [
    "__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep",
    "sofa", "train", "tvmonitor"]


class _SimpleSegmentationModel(nn.Module):
    """``backbone`` returns a dict of feature maps; ``classifier`` turns ``"out"`` (and
    ``aux_classifier``, if any, turns ``"aux"``) into per-class maps, which are resized
    bilinearly to the input's height and width.  Returns an ``OrderedDict`` with ``"out"``
    (and ``"aux"``)."""

    __constants__ = ["aux_classifier"]

    def __init__(self, backbone: nn.Module, classifier: nn.Module,
                 aux_classifier: nn.Module | None = None) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    @_hinted
    def forward(self, x: Tensor) -> dict[str, Tensor]:
        size = x.shape[-2:]  # (a Size, not traced through: FX records its slicing)
        features = self.backbone(x)
        result = OrderedDict()
        result["out"] = F.interpolate(self.classifier(features["out"]), size=size,
                                      mode="bilinear", align_corners=False)
        if self.aux_classifier is not None:
            result["aux"] = F.interpolate(self.aux_classifier(features["aux"]), size=size,
                                          mode="bilinear", align_corners=False)
        return result


class SemanticSegmentation(nn.Module):
    """The preprocessing of the segmentation weights: resize the smaller edge to
    ``resize_size`` (None: keep the size), rescale to [0, 1] and normalize."""

    def __init__(self, *, resize_size: int | None, mean=(0.485, 0.456, 0.406),
                 std=(0.229, 0.224, 0.225), interpolation=InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.resize_size = [resize_size] if resize_size is not None else None
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        from ...._dtype import float32
        from ...._tensor import Tensor

        if isinstance(self.resize_size, list):
            img = TF.resize(img, self.resize_size, interpolation=self.interpolation,
                            antialias=self.antialias)
        if not isinstance(img, Tensor):
            img = TF.pil_to_tensor(img)
        img = TF.convert_image_dtype(img, float32)
        return TF.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(\n    resize_size={self.resize_size}\n    mean="
                f"{self.mean}\n    std={self.std}\n    interpolation={self.interpolation}\n)")

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image "
                "``torch.Tensor`` objects. The images are resized to ``resize_size="
                f"{self.resize_size}`` using ``interpolation={self.interpolation}``. Finally the "
                "values are first rescaled to ``[0.0, 1.0]`` and then normalized using ``mean="
                f"{self.mean}`` and ``std={self.std}``.")


def _voc_weights(file: str, num_params: int, miou: float, pixel_acc: float, ops: float,
                 file_size: float, recipe: str, docs: str | None = None) -> Weights:
    """COCO-trained weights with the 21 VOC labels, at torchvision's URL."""
    if docs is None:
        docs = ("\n        These weights were trained on a subset of COCO, using only the 20 "
                "categories that are present in the Pascal VOC\n        dataset.\n    ")
    meta = {"categories": _VOC_CATEGORIES, "min_size": (1, 1), "_docs": docs,
            "num_params": num_params,
            "recipe": "https://github.com/pytorch/vision/tree/main/references/segmentation#"
                      + recipe,
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": miou, "pixel_acc": pixel_acc}},
            "_ops": ops, "_file_size": file_size}
    return Weights(url="https://download.pytorch.org/models/" + file,
                   transforms=functools.partial(SemanticSegmentation, resize_size=520),
                   meta=meta)


def _ovewrite_value_param(param: str, actual, expected):
    if actual is not None and actual != expected:
        raise ValueError(f"The parameter '{param}' expected value {expected} but got {actual} "
                         "instead.")
    return expected


def _handle_legacy(**legacy: tuple[str, Any]):
    """torchvision's pre-0.13 interface for builders with two weights: positional arguments
    (mapped onto the keyword-only parameters, with a warning) and ``pretrained=`` /
    ``pretrained_backbone=`` booleans (or booleans given as ``weights=`` /
    ``weights_backbone=``), turned into the default weights or None with torchvision's
    warnings.  ``legacy`` maps each weights parameter to (old name, default weights)."""

    def wrap(builder):
        params = inspect.signature(builder).parameters
        keyword_only = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY]

        @functools.wraps(builder)
        def inner(*args, **kwargs):
            if args:
                if len(args) > len(keyword_only):
                    raise TypeError(f"{builder.__name__}() takes {len(keyword_only)} positional "
                                    f"arguments but {len(args)} were given")
                _warn(f"Using {_sequence_to_str(keyword_only[:len(args)])} as positional "
                      "parameter(s) is deprecated since 0.13 and may be removed in the future. "
                      "Please use keyword parameter(s) instead.", stacklevel=2)
                kwargs.update(zip(keyword_only, args))
            missing = object()
            for param, (old, default) in legacy.items():
                value = kwargs.get(param, missing)
                if (param not in kwargs and old not in kwargs) or value is None \
                        or isinstance(value, WeightsEnum) \
                        or (isinstance(value, str) and value != "legacy"):
                    continue
                positional = param in kwargs
                pretrained = kwargs.pop(param) if positional else kwargs.pop(old)
                new = default if pretrained else None
                if not positional:
                    _warn(f"The parameter '{old}' is deprecated since 0.13 and may be removed "
                          f"in the future, please use '{param}' instead.", stacklevel=2)
                msg = (f"Arguments other than a weight enum or `None` for '{param}' are "
                       "deprecated since 0.13 and may be removed in the future. The current "
                       f"behavior is equivalent to passing `{param}={new}`.")
                if pretrained:
                    msg += (f" You can also use `{param}={type(new).__name__}.DEFAULT` to get "
                            "the most up-to-date weights.")
                _warn(msg, stacklevel=2)
                kwargs[param] = new
            return builder(**kwargs)

        return inner

    return wrap
