"""SSDlite320 (MobileNetV3 paper's detector) with torchvision's names, structure and
weights: an ``SSD`` on MobileNetV3-Large (C4 split inside its expansion block, C5, and four
extra depthwise blocks) with depthwise-separable prediction heads, at a fixed 320x320."""
from __future__ import annotations

from collections import OrderedDict
from functools import partial
from typing import Any, Callable

from .... import nn
from ...._warnings import warn as _warn
from ...ops.misc import Conv2dNormActivation
from .._api import Weights, WeightsEnum
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from ..segmentation._utils import _handle_legacy
from . import _utils as det_utils
from ._utils import _COCO_CATEGORIES, ObjectDetection
from .anchor_utils import DefaultBoxGenerator
from .backbone_utils import _validate_trainable_layers
from .faster_rcnn import _RECIPE, _URL, _load, _prepare
from .ssd import SSD, SSDScoringHead

__all__ = ["SSDLite320_MobileNet_V3_Large_Weights", "ssdlite320_mobilenet_v3_large"]


def _prediction_block(in_channels: int, out_channels: int, kernel_size: int,
                      norm_layer: Callable[..., nn.Module]) -> nn.Sequential:
    """Depthwise conv-norm-ReLU6, then a 1x1 conv."""
    return nn.Sequential(
        Conv2dNormActivation(in_channels, in_channels, kernel_size=kernel_size,
                             groups=in_channels, norm_layer=norm_layer,
                             activation_layer=nn.ReLU6),
        nn.Conv2d(in_channels, out_channels, 1))


def _extra_block(in_channels: int, out_channels: int,
                 norm_layer: Callable[..., nn.Module]) -> nn.Sequential:
    """1x1 to half the channels, 3x3 depthwise stride 2, 1x1 up (each norm + ReLU6)."""
    mid = out_channels // 2
    act = nn.ReLU6
    return nn.Sequential(
        Conv2dNormActivation(in_channels, mid, kernel_size=1, norm_layer=norm_layer,
                             activation_layer=act),
        Conv2dNormActivation(mid, mid, kernel_size=3, stride=2, groups=mid,
                             norm_layer=norm_layer, activation_layer=act),
        Conv2dNormActivation(mid, out_channels, kernel_size=1, norm_layer=norm_layer,
                             activation_layer=act))


def _normal_init(conv: nn.Module) -> None:
    for layer in conv.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, mean=0.0, std=0.03)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 0.0)


class SSDLiteHead(nn.Module):
    def __init__(self, in_channels: list[int], num_anchors: list[int], num_classes: int,
                 norm_layer: Callable[..., nn.Module]) -> None:
        super().__init__()
        self.classification_head = SSDLiteClassificationHead(in_channels, num_anchors,
                                                             num_classes, norm_layer)
        self.regression_head = SSDLiteRegressionHead(in_channels, num_anchors, norm_layer)

    def forward(self, x):
        return {"bbox_regression": self.regression_head(x),
                "cls_logits": self.classification_head(x)}


class SSDLiteClassificationHead(SSDScoringHead):
    def __init__(self, in_channels: list[int], num_anchors: list[int], num_classes: int,
                 norm_layer: Callable[..., nn.Module]) -> None:
        blocks = nn.ModuleList()
        for ch, a in zip(in_channels, num_anchors):
            blocks.append(_prediction_block(ch, num_classes * a, 3, norm_layer))
        _normal_init(blocks)
        super().__init__(blocks, num_classes)


class SSDLiteRegressionHead(SSDScoringHead):
    def __init__(self, in_channels: list[int], num_anchors: list[int],
                 norm_layer: Callable[..., nn.Module]) -> None:
        blocks = nn.ModuleList()
        for ch, a in zip(in_channels, num_anchors):
            blocks.append(_prediction_block(ch, 4 * a, 3, norm_layer))
        _normal_init(blocks)
        super().__init__(blocks, 4)


class SSDLiteFeatureExtractorMobileNet(nn.Module):
    """``features``: the MobileNet up to C4's expansion conv, and the rest; ``extra``: four
    stride-2 blocks.  Returns the six maps as an ordered dict ``"0"``..``"5"``."""

    def __init__(self, backbone: nn.Module, c4_pos: int, norm_layer: Callable[..., nn.Module],
                 width_mult: float = 1.0, min_depth: int = 16) -> None:
        super().__init__()
        if backbone[c4_pos].use_res_connect:
            raise ValueError("backbone[c4_pos].use_res_connect should be False")
        self.features = nn.Sequential(
            nn.Sequential(*backbone[:c4_pos], backbone[c4_pos].block[0]),
            nn.Sequential(backbone[c4_pos].block[1:], *backbone[c4_pos + 1:]))

        def depth(d):
            return max(min_depth, int(d * width_mult))

        extra = nn.ModuleList([
            _extra_block(backbone[-1].out_channels, depth(512), norm_layer),
            _extra_block(depth(512), depth(256), norm_layer),
            _extra_block(depth(256), depth(256), norm_layer),
            _extra_block(depth(256), depth(128), norm_layer)])
        _normal_init(extra)
        self.extra = extra

    def forward(self, x):
        output = []
        for block in self.features:
            x = block(x)
            output.append(x)
        for block in self.extra:
            x = block(x)
            output.append(x)
        return OrderedDict((str(i), v) for i, v in enumerate(output))


def _mobilenet_extractor(backbone, trainable_layers: int, norm_layer: Callable[..., nn.Module]):
    features = backbone.features
    stage_indices = ([0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)]
                     + [len(features) - 1])
    num_stages = len(stage_indices)
    if not 0 <= trainable_layers <= num_stages:
        # NOTE: torchvision's message lacks the f-prefix, so the braces print as they are
        raise ValueError("trainable_layers should be in the range [0, {num_stages}], instead "
                         "got {trainable_layers}")
    freeze_before = (len(features) if trainable_layers == 0
                     else stage_indices[num_stages - trainable_layers])
    for b in features[:freeze_before]:
        for parameter in b.parameters():
            parameter.requires_grad_(False)
    return SSDLiteFeatureExtractorMobileNet(features, stage_indices[-2], norm_layer)


class SSDLite320_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url=_URL + "ssdlite320_mobilenet_v3_large_coco-a79551df.pth",
        transforms=ObjectDetection,
        meta={"num_params": 3440060, "categories": _COCO_CATEGORIES, "min_size": (1, 1),
              "recipe": _RECIPE + "ssdlite320-mobilenetv3-large",
              "_metrics": {"COCO-val2017": {"box_map": 21.3}}, "_ops": 0.583,
              "_file_size": 13.418,
              "_docs": "These weights were produced by following a similar training recipe "
                       "as on the paper."})
    DEFAULT = COCO_V1


@_handle_legacy(weights=("pretrained", SSDLite320_MobileNet_V3_Large_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def ssdlite320_mobilenet_v3_large(*, weights=None, progress: bool = True,
                                  num_classes: int | None = None,
                                  weights_backbone=MobileNet_V3_Large_Weights.IMAGENET1K_V1,
                                  trainable_backbone_layers: int | None = None,
                                  norm_layer: Callable[..., nn.Module] | None = None,
                                  **kwargs: Any) -> SSD:
    """SSDlite with a MobileNetV3-Large backbone (`Searching for MobileNetV3
    <https://arxiv.org/abs/1905.02244>`_), input fixed at 320x320.  Without backbone
    weights the backbone has the reduced tail and N(0, 0.03) weights, as in torchvision."""
    weights = SSDLite320_MobileNet_V3_Large_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    if "size" in kwargs:
        _warn("The size of the model is already fixed; ignoring the parameter.")
    weights_backbone, num_classes = _prepare(weights, weights_backbone, num_classes)
    trainable_backbone_layers = _validate_trainable_layers(
        weights is not None or weights_backbone is not None, trainable_backbone_layers, 6, 6)
    reduce_tail = weights_backbone is None
    if norm_layer is None:
        norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)
    # NOTE: as in torchvision, the extra keywords also reach mobilenet_v3_large
    backbone = mobilenet_v3_large(weights=weights_backbone, progress=progress,
                                  norm_layer=norm_layer, reduced_tail=reduce_tail, **kwargs)
    if weights_backbone is None:
        _normal_init(backbone)
    backbone = _mobilenet_extractor(backbone, trainable_backbone_layers, norm_layer)
    size = (320, 320)
    anchor_generator = DefaultBoxGenerator([[2, 3] for _ in range(6)], min_ratio=0.2,
                                           max_ratio=0.95)
    out_channels = det_utils.retrieve_out_channels(backbone, size)
    num_anchors = anchor_generator.num_anchors_per_location()
    if len(out_channels) != len(anchor_generator.aspect_ratios):
        raise ValueError(f"The length of the output channels from the backbone "
                         f"{len(out_channels)} do not match the length of the anchor generator "
                         f"aspect ratios {len(anchor_generator.aspect_ratios)}")
    defaults = {"score_thresh": 0.001, "nms_thresh": 0.55, "detections_per_img": 300,
                "topk_candidates": 300, "image_mean": [0.5, 0.5, 0.5],
                "image_std": [0.5, 0.5, 0.5]}
    model = SSD(backbone, anchor_generator, size, num_classes,
                head=SSDLiteHead(out_channels, num_anchors, num_classes, norm_layer),
                **{**defaults, **kwargs})
    return _load(model, weights, progress)
