"""MobileNetV3 Large and Small (Howard et al., 2019) with torchvision's names and init.

``features``: a 3x3/2 Hardswish stem, ``InvertedResidual`` blocks (optional 1x1 expand,
depthwise k x k, optional squeeze-excitation gated by Hardsigmoid, 1x1 projection), and
a 1x1 conv to six times the last width; then average pooling and ``classifier``
(Linear, Hardswish, Dropout, Linear).  Batch norms use eps=0.001, momentum=0.01.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Callable

import ember

from ... import Tensor, nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation as SElayer
from ._api import WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights, _load, _make_divisible
from .mobilenetv2 import _init_mobilenet

__all__ = ["MobileNetV3", "MobileNet_V3_Large_Weights", "MobileNet_V3_Small_Weights",
           "mobilenet_v3_large", "mobilenet_v3_small"]


class InvertedResidualConfig:
    """One block's settings; channel counts are scaled by ``width_mult`` and rounded to 8.

    ``activation`` is ``"RE"`` (ReLU) or ``"HS"`` (Hardswish).
    """

    def __init__(self, input_channels: int, kernel: int, expanded_channels: int,
                 out_channels: int, use_se: bool, activation: str, stride: int, dilation: int,
                 width_mult: float):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels: int, width_mult: float):
        return _make_divisible(channels * width_mult, 8)


class InvertedResidual(nn.Module):
    """One MobileNetV3 block as set by ``cnf``, with a residual when the shape allows."""

    def __init__(self, cnf: InvertedResidualConfig, norm_layer: Callable[..., nn.Module],
                 se_layer: Callable[..., nn.Module] = partial(SElayer,
                                                              scale_activation=nn.Hardsigmoid)):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        act = nn.Hardswish if cnf.use_hs else nn.ReLU
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.expanded_channels,
                                               kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=act))
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.expanded_channels,
                                           kernel_size=cnf.kernel, stride=stride,
                                           dilation=cnf.dilation, groups=cnf.expanded_channels,
                                           norm_layer=norm_layer, activation_layer=act))
        if cnf.use_se:
            layers.append(se_layer(cnf.expanded_channels,
                                   _make_divisible(cnf.expanded_channels // 4, 8)))
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.out_channels,
                                           kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result += input
        return result


class MobileNetV3(nn.Module):
    """MobileNetV3 from a list of ``InvertedResidualConfig`` and the classifier's width."""

    def __init__(self, inverted_residual_setting: list[InvertedResidualConfig],
                 last_channel: int, num_classes: int = 1000,
                 block: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None, dropout: float = 0.2,
                 **kwargs) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(inverted_residual_setting, Sequence)
                and all(isinstance(s, InvertedResidualConfig)
                        for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[InvertedResidualConfig]")
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        first = inverted_residual_setting[0].input_channels
        layers: list[nn.Module] = [Conv2dNormActivation(3, first, kernel_size=3, stride=2,
                                                        norm_layer=norm_layer,
                                                        activation_layer=nn.Hardswish)]
        for cnf in inverted_residual_setting:
            layers.append(block(cnf, norm_layer))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = 6 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_out, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )
        _init_mobilenet(self)

    def _forward_impl(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _mobilenet_v3_conf(arch: str, width_mult: float = 1.0, reduced_tail: bool = False,
                       dilated: bool = False, **kwargs):
    """The block list and classifier width of ``arch``; ``reduced_tail`` halves the last
    stage's channels, ``dilated`` turns its stride into dilation 2."""
    rd = 2 if reduced_tail else 1
    dil = 2 if dilated else 1
    c = partial(InvertedResidualConfig, width_mult=width_mult)
    adjust = partial(InvertedResidualConfig.adjust_channels, width_mult=width_mult)
    if arch == "mobilenet_v3_large":
        setting = [
            c(16, 3, 16, 16, False, "RE", 1, 1),
            c(16, 3, 64, 24, False, "RE", 2, 1),  # C1
            c(24, 3, 72, 24, False, "RE", 1, 1),
            c(24, 5, 72, 40, True, "RE", 2, 1),  # C2
            c(40, 5, 120, 40, True, "RE", 1, 1),
            c(40, 5, 120, 40, True, "RE", 1, 1),
            c(40, 3, 240, 80, False, "HS", 2, 1),  # C3
            c(80, 3, 200, 80, False, "HS", 1, 1),
            c(80, 3, 184, 80, False, "HS", 1, 1),
            c(80, 3, 184, 80, False, "HS", 1, 1),
            c(80, 3, 480, 112, True, "HS", 1, 1),
            c(112, 3, 672, 112, True, "HS", 1, 1),
            c(112, 5, 672, 160 // rd, True, "HS", 2, dil),  # C4
            c(160 // rd, 5, 960 // rd, 160 // rd, True, "HS", 1, dil),
            c(160 // rd, 5, 960 // rd, 160 // rd, True, "HS", 1, dil),
        ]
        last_channel = adjust(1280 // rd)  # C5
    elif arch == "mobilenet_v3_small":
        setting = [
            c(16, 3, 16, 16, True, "RE", 2, 1),  # C1
            c(16, 3, 72, 24, False, "RE", 2, 1),  # C2
            c(24, 3, 88, 24, False, "RE", 1, 1),
            c(24, 5, 96, 40, True, "HS", 2, 1),  # C3
            c(40, 5, 240, 40, True, "HS", 1, 1),
            c(40, 5, 240, 40, True, "HS", 1, 1),
            c(40, 5, 120, 48, True, "HS", 1, 1),
            c(48, 5, 144, 48, True, "HS", 1, 1),
            c(48, 5, 288, 96 // rd, True, "HS", 2, dil),  # C4
            c(96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, dil),
            c(96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, dil),
        ]
        last_channel = adjust(1024 // rd)  # C5
    else:
        raise ValueError(f"Unsupported model type {arch}")
    return setting, last_channel


def _mobilenet_v3(setting, last_channel: int, weights, progress: bool, **kwargs) -> MobileNetV3:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return _load(MobileNetV3(setting, last_channel, **kwargs), weights, progress)


_V1_RECIPE = ("https://github.com/pytorch/vision/tree/main/references/classification"
              "#mobilenetv3-large--small")
_NEW_RECIPE = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning"


class MobileNet_V3_Large_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights(
        "mobilenet_v3_large-8738ca79.pth", 5483032, 74.042, 91.340, 0.217, 21.114,
        recipe=_V1_RECIPE, min_size=(1, 1), crop_size=224,
        docs="Trained from scratch with a simple recipe.")
    IMAGENET1K_V2 = _imagenet_weights(
        "mobilenet_v3_large-5c1a4163.pth", 5483032, 75.274, 92.566, 0.217, 21.107,
        recipe=_NEW_RECIPE, min_size=(1, 1), crop_size=224, resize_size=232,
        docs="Trained with a variant of TorchVision's newer recipe; a little better than the "
             "paper.")
    DEFAULT = IMAGENET1K_V2


class MobileNet_V3_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights(
        "mobilenet_v3_small-047dcff4.pth", 2542856, 67.668, 87.402, 0.057, 9.829,
        recipe=_V1_RECIPE, min_size=(1, 1), crop_size=224,
        docs="Close to the paper's results, trained with a simple recipe.")
    DEFAULT = IMAGENET1K_V1


@handle_legacy_interface(MobileNet_V3_Large_Weights.IMAGENET1K_V1)
def mobilenet_v3_large(*, weights=None, progress: bool = True, **kwargs) -> MobileNetV3:
    """MobileNetV3-Large from `Searching for MobileNetV3 <https://arxiv.org/abs/1905.02244>`__;
    ``weights``: ``MobileNet_V3_Large_Weights`` or None."""
    weights = MobileNet_V3_Large_Weights.verify(weights)
    setting, last_channel = _mobilenet_v3_conf("mobilenet_v3_large", **kwargs)
    return _mobilenet_v3(setting, last_channel, weights, progress, **kwargs)


@handle_legacy_interface(MobileNet_V3_Small_Weights.IMAGENET1K_V1)
def mobilenet_v3_small(*, weights=None, progress: bool = True, **kwargs) -> MobileNetV3:
    """MobileNetV3-Small from `Searching for MobileNetV3 <https://arxiv.org/abs/1905.02244>`__;
    ``weights``: ``MobileNet_V3_Small_Weights`` or None."""
    weights = MobileNet_V3_Small_Weights.verify(weights)
    setting, last_channel = _mobilenet_v3_conf("mobilenet_v3_small", **kwargs)
    return _mobilenet_v3(setting, last_channel, weights, progress, **kwargs)
