"""Lite R-ASPP (Howard et al., 2019) on a dilated MobileNetV3-Large, with torchvision's
names and weights.

``LRASPPHead``: the high-level (output stride 16) features go through a 1x1 conv-BN-ReLU
and are gated by a sigmoid of their global average (``scale``); the result is resized to
the low-level (stride 8) features' size, classified, and added to a 1x1 classification of
the low-level features.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from .... import Tensor, nn
from ....nn import functional as F
from .._api import WeightsEnum
from .._intermediate import IntermediateLayerGetter
from .._utils import _hinted
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from ._utils import _handle_legacy, _ovewrite_value_param, _voc_weights
from .deeplabv3 import _mobilenet_stages
from .fcn import _finish

__all__ = ["LRASPP", "LRASPP_MobileNet_V3_Large_Weights", "lraspp_mobilenet_v3_large"]


class LRASPP(nn.Module):
    """``backbone`` returns ``{"low": ..., "high": ...}``; ``classifier`` (``LRASPPHead``)
    combines them and the result is resized to the input.  Returns ``{"out": ...}``."""

    def __init__(self, backbone: nn.Module, low_channels: int, high_channels: int,
                 num_classes: int, inter_channels: int = 128) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = LRASPPHead(low_channels, high_channels, num_classes, inter_channels)

    @_hinted
    def forward(self, input: Tensor) -> dict[str, Tensor]:
        out = self.classifier(self.backbone(input))
        result = OrderedDict()
        result["out"] = F.interpolate(out, size=input.shape[-2:], mode="bilinear",
                                      align_corners=False)
        return result


class LRASPPHead(nn.Module):
    def __init__(self, low_channels: int, high_channels: int, num_classes: int,
                 inter_channels: int) -> None:
        super().__init__()
        self.cbr = nn.Sequential(
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(inplace=True))
        self.scale = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.Sigmoid())
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_classes, 1)

    def forward(self, input):
        low, high = input["low"], input["high"]
        x = self.cbr(high) * self.scale(high)
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.low_classifier(low) + self.high_classifier(x)


def _lraspp_mobilenetv3(backbone, num_classes: int) -> LRASPP:
    features = backbone.features
    stages = _mobilenet_stages(features)
    low_pos, high_pos = stages[-4], stages[-1]  # C2 (output stride 8), C5 (stride 16)
    body = IntermediateLayerGetter(features, return_layers={str(low_pos): "low",
                                                            str(high_pos): "high"})
    return LRASPP(body, features[low_pos].out_channels, features[high_pos].out_channels,
                  num_classes)


class LRASPP_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = _voc_weights(
        "lraspp_mobilenet_v3_large-d234d4ea.pth", 3221538, 57.9, 91.2, 2.086, 12.49,
        "lraspp_mobilenet_v3_large",
        docs="\n                These weights were trained on a subset of COCO, using only the "
             "20 categories that are present in the\n                Pascal VOC dataset.\n"
             "            ")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@_handle_legacy(
    weights=("pretrained", LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1),
    weights_backbone=("pretrained_backbone", MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def lraspp_mobilenet_v3_large(*, weights=None, progress: bool = True,
                              num_classes: int | None = None,
                              weights_backbone=MobileNet_V3_Large_Weights.IMAGENET1K_V1,
                              **kwargs: Any) -> LRASPP:
    """Lite R-ASPP with a dilated MobileNetV3-Large backbone (`Searching for MobileNetV3
    <https://arxiv.org/abs/1905.02244>`_).

    ``weights``: ``LRASPP_MobileNet_V3_Large_Weights`` or None; ``weights_backbone``:
    ``MobileNet_V3_Large_Weights`` or None (default: the ImageNet weights); ``num_classes``
    (21).  It has no auxiliary head: ``aux_loss=True`` raises NotImplementedError.
    """
    if kwargs.pop("aux_loss", False):
        raise NotImplementedError("This model does not use auxiliary loss")
    weights = LRASPP_MobileNet_V3_Large_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
    elif num_classes is None:
        num_classes = 21
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    return _finish(_lraspp_mobilenetv3(backbone, num_classes), weights, progress)
