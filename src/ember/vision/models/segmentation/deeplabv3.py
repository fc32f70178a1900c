"""DeepLabV3 (Chen et al., 2017) on a dilated ResNet-50/101 or MobileNetV3-Large, with
torchvision's names and weights.

``classifier`` is a ``DeepLabHead``: ``ASPP`` (a 1x1 conv, three dilated 3x3 convs at rates
12/24/36 and an image-pooling branch, concatenated and projected to 256 channels with
Dropout 0.5), then 3x3 conv, BN, ReLU and a 1x1 conv to the classes.  With ``aux_loss`` an
``FCNHead`` reads a shallower stage.
"""
from __future__ import annotations

from collections.abc import Sequence

import ember

from .... import nn
from ....nn import functional as F
from .._api import WeightsEnum
from .._intermediate import IntermediateLayerGetter
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from ..resnet import ResNet50_Weights, ResNet101_Weights, resnet50, resnet101
from ._utils import _handle_legacy, _SimpleSegmentationModel, _voc_weights
from .fcn import FCNHead, _finish, _prepare, _resnet_parts

__all__ = ["DeepLabV3", "DeepLabV3_ResNet50_Weights", "DeepLabV3_ResNet101_Weights",
           "DeepLabV3_MobileNet_V3_Large_Weights", "deeplabv3_mobilenet_v3_large",
           "deeplabv3_resnet50", "deeplabv3_resnet101"]


class DeepLabV3(_SimpleSegmentationModel):
    """DeepLabV3 (`arXiv:1706.05587 <https://arxiv.org/abs/1706.05587>`_): ``backbone``
    returns ``{"out": ..., "aux": ...}`` feature maps, the heads classify them and the
    results are resized to the input."""


class DeepLabHead(nn.Sequential):
    """ASPP, 3x3 conv (256, no bias), BN, ReLU, 1x1 conv to ``num_classes``."""

    def __init__(self, in_channels: int, num_classes: int,
                 atrous_rates: Sequence[int] = (12, 24, 36)) -> None:
        super().__init__(
            ASPP(in_channels, atrous_rates),
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.Conv2d(256, num_classes, 1))


class ASPPConv(nn.Sequential):
    """3x3 conv dilated by ``dilation`` (same size out), BN, ReLU."""

    def __init__(self, in_channels: int, out_channels: int, dilation: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation,
                      bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU())


class ASPPPooling(nn.Sequential):
    """Global average, 1x1 conv, BN, ReLU, then bilinear back to the input's size."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU())

    def forward(self, x):
        size = x.shape[-2:]  # (a Size: FX records its slicing)
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: parallel branches (``convs``), concatenated and
    projected (``project``) to ``out_channels``."""

    def __init__(self, in_channels: int, atrous_rates: Sequence[int],
                 out_channels: int = 256) -> None:
        super().__init__()
        modules: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU())]
        for rate in tuple(atrous_rates):
            modules.append(ASPPConv(in_channels, out_channels, rate))
        modules.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(modules)
        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.5))

    def forward(self, x):
        return self.project(ember.cat([conv(x) for conv in self.convs], dim=1))


def _deeplabv3_resnet(backbone, num_classes: int, aux: bool | None) -> DeepLabV3:
    body = _resnet_parts(backbone, aux)
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    return DeepLabV3(body, DeepLabHead(2048, num_classes), aux_classifier)


def _mobilenet_stages(features):
    """Indices of the stem, each block that reduces the resolution, and the last layer."""
    return ([0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)]
            + [len(features) - 1])


def _deeplabv3_mobilenetv3(backbone, num_classes: int, aux: bool | None) -> DeepLabV3:
    features = backbone.features
    stages = _mobilenet_stages(features)
    out_pos, aux_pos = stages[-1], stages[-4]  # C5 (output stride 16) and C2 (stride 8)
    return_layers = {str(out_pos): "out"}
    if aux:
        return_layers[str(aux_pos)] = "aux"
    body = IntermediateLayerGetter(features, return_layers=return_layers)
    aux_classifier = FCNHead(features[aux_pos].out_channels, num_classes) if aux else None
    return DeepLabV3(body, DeepLabHead(features[out_pos].out_channels, num_classes),
                     aux_classifier)


class DeepLabV3_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = _voc_weights("deeplabv3_resnet50_coco-cd0a2569.pth", 42004074,
                                           66.4, 92.4, 178.722, 160.515, "deeplabv3_resnet50")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class DeepLabV3_ResNet101_Weights(WeightsEnum):
    # NOTE: torchvision's recipe link for these weights points at fcn_resnet101's section.
    COCO_WITH_VOC_LABELS_V1 = _voc_weights("deeplabv3_resnet101_coco-586e9e4e.pth", 60996202,
                                           67.4, 92.4, 258.743, 233.217, "fcn_resnet101")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class DeepLabV3_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = _voc_weights("deeplabv3_mobilenet_v3_large-fc3c493d.pth",
                                           11029328, 60.3, 91.2, 10.452, 42.301,
                                           "deeplabv3_mobilenet_v3_large")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@_handle_legacy(weights=("pretrained", DeepLabV3_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1),
                weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def deeplabv3_resnet50(*, weights=None, progress: bool = True, num_classes: int | None = None,
                       aux_loss: bool | None = None,
                       weights_backbone=ResNet50_Weights.IMAGENET1K_V1) -> DeepLabV3:
    """DeepLabV3 with a dilated ResNet-50 backbone (`Rethinking Atrous Convolution for
    Semantic Image Segmentation <https://arxiv.org/abs/1706.05587>`__).

    ``weights``: ``DeepLabV3_ResNet50_Weights`` or None; ``weights_backbone``:
    ``ResNet50_Weights`` or None (default: the ImageNet weights); ``num_classes`` (21);
    ``aux_loss`` adds an ``FCNHead`` on ``layer3``.
    """
    weights = DeepLabV3_ResNet50_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    weights_backbone, num_classes, aux_loss = _prepare(weights, weights_backbone, num_classes,
                                                       aux_loss)
    backbone = resnet50(weights=weights_backbone,
                        replace_stride_with_dilation=[False, True, True])
    return _finish(_deeplabv3_resnet(backbone, num_classes, aux_loss), weights, progress)


@_handle_legacy(weights=("pretrained", DeepLabV3_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1),
                weights_backbone=("pretrained_backbone", ResNet101_Weights.IMAGENET1K_V1))
def deeplabv3_resnet101(*, weights=None, progress: bool = True, num_classes: int | None = None,
                        aux_loss: bool | None = None,
                        weights_backbone=ResNet101_Weights.IMAGENET1K_V1) -> DeepLabV3:
    """DeepLabV3 with a dilated ResNet-101 backbone (`Rethinking Atrous Convolution for
    Semantic Image Segmentation <https://arxiv.org/abs/1706.05587>`__).

    ``weights``: ``DeepLabV3_ResNet101_Weights`` or None; ``weights_backbone``:
    ``ResNet101_Weights`` or None (default: the ImageNet weights); ``num_classes`` (21);
    ``aux_loss`` adds an ``FCNHead`` on ``layer3``.
    """
    weights = DeepLabV3_ResNet101_Weights.verify(weights)
    weights_backbone = ResNet101_Weights.verify(weights_backbone)
    weights_backbone, num_classes, aux_loss = _prepare(weights, weights_backbone, num_classes,
                                                       aux_loss)
    backbone = resnet101(weights=weights_backbone,
                         replace_stride_with_dilation=[False, True, True])
    return _finish(_deeplabv3_resnet(backbone, num_classes, aux_loss), weights, progress)


@_handle_legacy(
    weights=("pretrained", DeepLabV3_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1),
    weights_backbone=("pretrained_backbone", MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def deeplabv3_mobilenet_v3_large(*, weights=None, progress: bool = True,
                                 num_classes: int | None = None, aux_loss: bool | None = None,
                                 weights_backbone=MobileNet_V3_Large_Weights.IMAGENET1K_V1
                                 ) -> DeepLabV3:
    """DeepLabV3 with a dilated MobileNetV3-Large backbone (`Rethinking Atrous Convolution
    for Semantic Image Segmentation <https://arxiv.org/abs/1706.05587>`__).

    ``weights``: ``DeepLabV3_MobileNet_V3_Large_Weights`` or None; ``weights_backbone``:
    ``MobileNet_V3_Large_Weights`` or None (default: the ImageNet weights); ``num_classes``
    (21); ``aux_loss`` adds an ``FCNHead`` on the output-stride-8 stage.
    """
    weights = DeepLabV3_MobileNet_V3_Large_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    weights_backbone, num_classes, aux_loss = _prepare(weights, weights_backbone, num_classes,
                                                       aux_loss)
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    return _finish(_deeplabv3_mobilenetv3(backbone, num_classes, aux_loss), weights, progress)
