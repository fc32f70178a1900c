"""Backbones for detection: a ResNet or MobileNetV3 cut into stages whose outputs feed a
Feature Pyramid Network (``BackboneWithFPN``), with the early stages frozen."""
from __future__ import annotations

from typing import Callable

from .... import nn
from ...._warnings import warn as _warn
from ...ops import misc as misc_nn_ops
from ...ops.feature_pyramid_network import (ExtraFPNBlock, FeaturePyramidNetwork,
                                            LastLevelMaxPool)
from .. import mobilenetv3 as _mobilenetv3
from .. import resnet as _resnet
from .._api import WeightsEnum
from .._intermediate import IntermediateLayerGetter

__all__ = ["BackboneWithFPN", "mobilenet_backbone", "resnet_fpn_backbone"]


class BackboneWithFPN(nn.Module):
    """``body`` (an ``IntermediateLayerGetter`` returning ``return_layers``) followed by
    ``fpn``; ``out_channels`` is the pyramid's width."""

    def __init__(self, backbone: nn.Module, return_layers: dict[str, str],
                 in_channels_list: list[int], out_channels: int,
                 extra_blocks: ExtraFPNBlock | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if extra_blocks is None:
            extra_blocks = LastLevelMaxPool()
        self.body = IntermediateLayerGetter(backbone, return_layers=return_layers)
        self.fpn = FeaturePyramidNetwork(in_channels_list=in_channels_list,
                                         out_channels=out_channels, extra_blocks=extra_blocks,
                                         norm_layer=norm_layer)
        self.out_channels = out_channels

    def forward(self, x):
        return self.fpn(self.body(x))


def resnet_fpn_backbone(*, backbone_name: str, weights: WeightsEnum | None,
                        norm_layer: Callable[..., nn.Module] = misc_nn_ops.FrozenBatchNorm2d,
                        trainable_layers: int = 3, returned_layers: list[int] | None = None,
                        extra_blocks: ExtraFPNBlock | None = None) -> BackboneWithFPN:
    """``resnet50`` (or another ResNet, by name) with ``FrozenBatchNorm2d`` and an FPN on
    ``returned_layers`` (default ``[1, 2, 3, 4]``); only the last ``trainable_layers``
    stages train."""
    backbone = getattr(_resnet, backbone_name)(weights=weights, norm_layer=norm_layer)
    return _resnet_fpn_extractor(backbone, trainable_layers, returned_layers, extra_blocks)


def _resnet50_fpn(weights, weights_backbone, trainable_layers, progress, returned_layers=None,
                  extra_blocks=None):
    """The ResNet-50 FPN backbone of the detection builders: its batch norms frozen when any
    weights are given, the trainable layers checked (default 3 with weights, else 5).
    ``extra_blocks``: a function building them, called after the ResNet so that the random
    initialisations come in torchvision's order."""
    is_trained = weights is not None or weights_backbone is not None
    trainable_layers = _validate_trainable_layers(is_trained, trainable_layers, 5, 3)
    norm_layer = misc_nn_ops.FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = _resnet.resnet50(weights=weights_backbone, progress=progress,
                                norm_layer=norm_layer)
    return _resnet_fpn_extractor(backbone, trainable_layers, returned_layers=returned_layers,
                                 extra_blocks=extra_blocks() if extra_blocks else None)


def _resnet_fpn_extractor(backbone, trainable_layers: int,
                          returned_layers: list[int] | None = None,
                          extra_blocks: ExtraFPNBlock | None = None,
                          norm_layer: Callable[..., nn.Module] | None = None) -> BackboneWithFPN:
    if trainable_layers < 0 or trainable_layers > 5:
        raise ValueError(f"Trainable layers should be in the range [0,5], got {trainable_layers}")
    layers_to_train = ["layer4", "layer3", "layer2", "layer1", "conv1"][:trainable_layers]
    if trainable_layers == 5:
        layers_to_train.append("bn1")
    for name, parameter in backbone.named_parameters():
        if all(not name.startswith(layer) for layer in layers_to_train):
            parameter.requires_grad_(False)
    if extra_blocks is None:
        extra_blocks = LastLevelMaxPool()
    if returned_layers is None:
        returned_layers = [1, 2, 3, 4]
    if min(returned_layers) <= 0 or max(returned_layers) >= 5:
        raise ValueError(f"Each returned layer should be in the range [1,4]. Got {returned_layers}")
    return_layers = {f"layer{k}": str(v) for v, k in enumerate(returned_layers)}
    in_channels_stage2 = backbone.inplanes // 8
    in_channels_list = [in_channels_stage2 * 2 ** (i - 1) for i in returned_layers]
    return BackboneWithFPN(backbone, return_layers, in_channels_list, 256,
                           extra_blocks=extra_blocks, norm_layer=norm_layer)


def _validate_trainable_layers(is_trained: bool, trainable_backbone_layers: int | None,
                               max_value: int, default_value: int) -> int:
    if not is_trained:
        if trainable_backbone_layers is not None:
            _warn("Changing trainable_backbone_layers has no effect if neither pretrained nor "
                  "pretrained_backbone have been set to True, falling back to "
                  f"trainable_backbone_layers={max_value} so that all layers are trainable")
        trainable_backbone_layers = max_value
    if trainable_backbone_layers is None:
        trainable_backbone_layers = default_value
    if trainable_backbone_layers < 0 or trainable_backbone_layers > max_value:
        raise ValueError(f"Trainable backbone layers should be in the range [0,{max_value}], "
                         f"got {trainable_backbone_layers} ")
    return trainable_backbone_layers


def mobilenet_backbone(*, backbone_name: str, weights: WeightsEnum | None, fpn: bool,
                       norm_layer: Callable[..., nn.Module] = misc_nn_ops.FrozenBatchNorm2d,
                       trainable_layers: int = 2, returned_layers: list[int] | None = None,
                       extra_blocks: ExtraFPNBlock | None = None) -> nn.Module:
    backbone = getattr(_mobilenetv3, backbone_name)(weights=weights, norm_layer=norm_layer)
    return _mobilenet_extractor(backbone, fpn, trainable_layers, returned_layers, extra_blocks)


def _mobilenet_extractor(backbone, fpn: bool, trainable_layers: int,
                         returned_layers: list[int] | None = None,
                         extra_blocks: ExtraFPNBlock | None = None,
                         norm_layer: Callable[..., nn.Module] | None = None) -> nn.Module:
    features = backbone.features
    # the stem, each block that reduces the resolution, and the last layer
    stage_indices = ([0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)]
                     + [len(features) - 1])
    num_stages = len(stage_indices)
    if trainable_layers < 0 or trainable_layers > num_stages:
        raise ValueError(f"Trainable layers should be in the range [0,{num_stages}], got "
                         f"{trainable_layers} ")
    freeze_before = (len(features) if trainable_layers == 0
                     else stage_indices[num_stages - trainable_layers])
    for b in features[:freeze_before]:
        for parameter in b.parameters():
            parameter.requires_grad_(False)
    out_channels = 256
    if fpn:
        if extra_blocks is None:
            extra_blocks = LastLevelMaxPool()
        if returned_layers is None:
            returned_layers = [num_stages - 2, num_stages - 1]
        if min(returned_layers) < 0 or max(returned_layers) >= num_stages:
            raise ValueError(f"Each returned layer should be in the range [0,{num_stages - 1}], "
                             f"got {returned_layers} ")
        return_layers = {f"{stage_indices[k]}": str(v) for v, k in enumerate(returned_layers)}
        in_channels_list = [features[stage_indices[i]].out_channels for i in returned_layers]
        return BackboneWithFPN(features, return_layers, in_channels_list, out_channels,
                               extra_blocks=extra_blocks, norm_layer=norm_layer)
    m = nn.Sequential(features, nn.Conv2d(features[-1].out_channels, out_channels, 1))
    m.out_channels = out_channels
    return m
