"""MobileNetV2 (Sandler et al., 2018) with torchvision's names, init and weights.

``features``: a 3x3/2 ``Conv2dNormActivation`` stem, the ``InvertedResidual`` blocks
(1x1 expand, 3x3 depthwise, 1x1 linear projection, residual when the shape allows),
a 1x1 conv to ``last_channel``; then global average pooling and ``classifier``
(Dropout, Linear).  Convolutions Kaiming-normal (fan-out), norms 1 and 0, linears
N(0, 0.01) with zero bias.
"""
from __future__ import annotations

from typing import Callable

import ember

from ... import Tensor, nn
from ..ops.misc import Conv2dNormActivation
from ._api import WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights, _load, _make_divisible

__all__ = ["MobileNetV2", "MobileNet_V2_Weights", "mobilenet_v2"]


class InvertedResidual(nn.Module):
    """Expand ``inp`` by ``expand_ratio``, depthwise 3x3 at ``stride``, project to ``oup``."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self.stride = stride
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.ReLU6))
        layers += [
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim,
                                 norm_layer=norm_layer, activation_layer=nn.ReLU6),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2; ``width_mult`` scales every layer's channels (rounded to
    ``round_nearest``); ``inverted_residual_setting`` rows are ``[t, c, n, s]``: expansion,
    channels, repeats, first stride."""

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0,
                 inverted_residual_setting: list[list[int]] | None = None,
                 round_nearest: int = 8, block: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 dropout: float = 0.2) -> None:
        super().__init__()
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        input_channel, last_channel = 32, 1280
        if inverted_residual_setting is None:
            inverted_residual_setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2],
                                         [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
                                         [6, 320, 1, 1]]
        if len(inverted_residual_setting) == 0 or len(inverted_residual_setting[0]) != 4:
            raise ValueError("inverted_residual_setting should be non-empty or a 4-element list, "
                             f"got {inverted_residual_setting}")
        input_channel = _make_divisible(input_channel * width_mult, round_nearest)
        self.last_channel = _make_divisible(last_channel * max(1.0, width_mult), round_nearest)
        features: list[nn.Module] = [Conv2dNormActivation(3, input_channel, stride=2,
                                                          norm_layer=norm_layer,
                                                          activation_layer=nn.ReLU6)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1,
                                      expand_ratio=t, norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1,
                                             norm_layer=norm_layer, activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout),
                                        nn.Linear(self.last_channel, num_classes))
        _init_mobilenet(self)

    def _forward_impl(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(ember.flatten(x, 1))

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _init_mobilenet(model: nn.Module) -> None:
    """The MobileNet V2/V3 init, over ``model.modules()`` in order."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


_NEW_RECIPE = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning"


class MobileNet_V2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights(
        "mobilenet_v2-b0353104.pth", 3504872, 71.878, 90.286, 0.301, 13.555,
        recipe="https://github.com/pytorch/vision/tree/main/references/classification"
               "#mobilenetv2",
        min_size=(1, 1), crop_size=224,
        docs="Trained with a simple recipe; close to the paper's results.")
    IMAGENET1K_V2 = _imagenet_weights(
        "mobilenet_v2-7ebf99e0.pth", 3504872, 72.154, 90.822, 0.301, 13.598,
        recipe=_NEW_RECIPE, min_size=(1, 1), crop_size=224, resize_size=232,
        docs="Trained with a variant of TorchVision's newer recipe; better than the paper.")
    DEFAULT = IMAGENET1K_V2


@handle_legacy_interface(MobileNet_V2_Weights.IMAGENET1K_V1)
def mobilenet_v2(*, weights=None, progress: bool = True, **kwargs) -> MobileNetV2:
    """MobileNetV2 from `MobileNetV2: Inverted Residuals and Linear Bottlenecks
    <https://arxiv.org/abs/1801.04381>`__; ``weights``: ``MobileNet_V2_Weights`` or None."""
    weights = MobileNet_V2_Weights.verify(weights)
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return _load(MobileNetV2(**kwargs), weights, progress)
