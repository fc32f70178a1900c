"""FCN (Long et al., 2015) on a dilated ResNet-50/101, with torchvision's names and weights.

The backbone is the ResNet's children up to ``layer4`` (``IntermediateLayerGetter``), with
``layer3`` and ``layer4`` dilated instead of strided (output stride 8); ``classifier`` is an
``FCNHead`` (3x3 conv to a quarter of the channels, BN, ReLU, Dropout 0.1, 1x1 conv to the
classes) on ``layer4``, and with ``aux_loss`` ``aux_classifier`` is another on ``layer3``.
"""
from __future__ import annotations

from typing import Any

from .... import nn
from .._api import WeightsEnum
from .._intermediate import IntermediateLayerGetter
from ..resnet import ResNet50_Weights, ResNet101_Weights, resnet50, resnet101
from ._utils import _handle_legacy, _ovewrite_value_param, _SimpleSegmentationModel, _voc_weights

__all__ = ["FCN", "FCN_ResNet50_Weights", "FCN_ResNet101_Weights", "fcn_resnet50",
           "fcn_resnet101"]


class FCN(_SimpleSegmentationModel):
    """Fully Convolutional Network (`arXiv:1411.4038 <https://arxiv.org/abs/1411.4038>`_):
    ``backbone`` returns ``{"out": ..., "aux": ...}`` feature maps, the heads classify them
    and the results are resized to the input."""


class FCNHead(nn.Sequential):
    """3x3 conv to ``in_channels // 4`` (no bias), BN, ReLU, Dropout(0.1), 1x1 conv."""

    def __init__(self, in_channels: int, channels: int) -> None:
        inter_channels = in_channels // 4
        super().__init__(
            nn.Conv2d(in_channels, inter_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Conv2d(inter_channels, channels, 1))


class FCN_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = _voc_weights("fcn_resnet50_coco-1167a1af.pth", 35322218, 60.5,
                                           91.4, 152.717, 135.009, "fcn_resnet50")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class FCN_ResNet101_Weights(WeightsEnum):
    # NOTE: torchvision's recipe link for these weights points at deeplabv3_resnet101's
    # section; kept as it is.
    COCO_WITH_VOC_LABELS_V1 = _voc_weights("fcn_resnet101_coco-7ecb50ca.pth", 54314346, 63.7,
                                           91.9, 232.738, 207.711, "deeplabv3_resnet101")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


def _resnet_parts(backbone, aux: bool | None):
    """The ResNet's children up to layer4 returning ``out`` (and ``aux`` from layer3)."""
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    return IntermediateLayerGetter(backbone, return_layers=return_layers)


def _fcn_resnet(backbone, num_classes: int, aux: bool | None) -> FCN:
    body = _resnet_parts(backbone, aux)
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    return FCN(body, FCNHead(2048, num_classes), aux_classifier)


def _prepare(weights, weights_backbone, num_classes, aux_loss):
    """torchvision's rules: with ``weights`` the backbone's weights are not loaded and the
    classes (21) and ``aux_loss`` (True) are fixed; without, ``num_classes`` defaults to 21."""
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
        aux_loss = _ovewrite_value_param("aux_loss", aux_loss, True)
    elif num_classes is None:
        num_classes = 21
    return weights_backbone, num_classes, aux_loss


def _finish(model, weights, progress: bool):
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


@_handle_legacy(weights=("pretrained", FCN_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1),
                weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def fcn_resnet50(*, weights=None, progress: bool = True, num_classes: int | None = None,
                 aux_loss: bool | None = None,
                 weights_backbone=ResNet50_Weights.IMAGENET1K_V1, **kwargs: Any) -> FCN:
    """FCN with a dilated ResNet-50 backbone (`Fully Convolutional Networks for Semantic
    Segmentation <https://arxiv.org/abs/1411.4038>`_).

    ``weights``: ``FCN_ResNet50_Weights`` or None; ``weights_backbone``:
    ``ResNet50_Weights`` or None (default: the ImageNet weights, as in torchvision);
    ``num_classes`` (21) and ``aux_loss`` (an auxiliary head on ``layer3``).
    """
    weights = FCN_ResNet50_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    weights_backbone, num_classes, aux_loss = _prepare(weights, weights_backbone, num_classes,
                                                       aux_loss)
    backbone = resnet50(weights=weights_backbone,
                        replace_stride_with_dilation=[False, True, True])
    return _finish(_fcn_resnet(backbone, num_classes, aux_loss), weights, progress)


@_handle_legacy(weights=("pretrained", FCN_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1),
                weights_backbone=("pretrained_backbone", ResNet101_Weights.IMAGENET1K_V1))
def fcn_resnet101(*, weights=None, progress: bool = True, num_classes: int | None = None,
                  aux_loss: bool | None = None,
                  weights_backbone=ResNet101_Weights.IMAGENET1K_V1, **kwargs: Any) -> FCN:
    """FCN with a dilated ResNet-101 backbone (`Fully Convolutional Networks for Semantic
    Segmentation <https://arxiv.org/abs/1411.4038>`_).

    ``weights``: ``FCN_ResNet101_Weights`` or None; ``weights_backbone``:
    ``ResNet101_Weights`` or None (default: the ImageNet weights, as in torchvision);
    ``num_classes`` (21) and ``aux_loss`` (an auxiliary head on ``layer3``).
    """
    weights = FCN_ResNet101_Weights.verify(weights)
    weights_backbone = ResNet101_Weights.verify(weights_backbone)
    weights_backbone, num_classes, aux_loss = _prepare(weights, weights_backbone, num_classes,
                                                       aux_loss)
    backbone = resnet101(weights=weights_backbone,
                         replace_stride_with_dilation=[False, True, True])
    return _finish(_fcn_resnet(backbone, num_classes, aux_loss), weights, progress)
