"""SqueezeNet 1.0 and 1.1 (Iandola et al., 2016) with torchvision's names and init.

``features`` mixes plain convolutions, ceil-mode max-pools and ``Fire`` modules (a 1x1
``squeeze`` then parallel 1x1 and 3x3 ``expand`` convolutions, concatenated);
``classifier`` is Dropout, a 1x1 convolution to the classes, ReLU and global average
pooling.  Convolutions are Kaiming-uniform, the final one N(0, 0.01), biases zero.
"""
from __future__ import annotations

import ember

from ... import Tensor, nn
from ._api import WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights, _load

__all__ = ["SqueezeNet", "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights", "squeezenet1_0",
           "squeezenet1_1"]


class Fire(nn.Module):
    """Squeeze to ``squeeze_planes`` channels, expand by 1x1 and 3x3 convs, concatenate."""

    def __init__(self, inplanes: int, squeeze_planes: int, expand1x1_planes: int,
                 expand3x3_planes: int) -> None:
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return ember.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


def _pool():
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


class SqueezeNet(nn.Module):
    """SqueezeNet ``version`` ``"1_0"`` or ``"1_1"`` (1.1: smaller stem, earlier pooling)."""

    def __init__(self, version: str = "1_0", num_classes: int = 1000,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), _pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), _pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), _pool(), Fire(512, 64, 256, 256))
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), _pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), _pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), _pool(),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
                Fire(512, 64, 256, 256))
        else:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")
        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        return ember.flatten(self.classifier(self.features(x)), 1)


_COMMON = {"recipe": "https://github.com/pytorch/vision/pull/49#issuecomment-277560717",
           "docs": "Ported from the authors' Caffe release; close to the paper's results.",
           "crop_size": 224}


class SqueezeNet1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("squeezenet1_0-b66bff10.pth", 1248424, 58.092, 80.420,
                                      0.819, 4.778, min_size=(21, 21), **_COMMON)
    DEFAULT = IMAGENET1K_V1


class SqueezeNet1_1_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("squeezenet1_1-b8a52dc0.pth", 1235496, 58.178, 80.624,
                                      0.349, 4.729, min_size=(17, 17), **_COMMON)
    DEFAULT = IMAGENET1K_V1


def _squeezenet(version: str, weights, progress: bool, **kwargs) -> SqueezeNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return _load(SqueezeNet(version, **kwargs), weights, progress)


@handle_legacy_interface(SqueezeNet1_0_Weights.IMAGENET1K_V1)
def squeezenet1_0(*, weights=None, progress: bool = True, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.0 from `SqueezeNet: AlexNet-level accuracy with 50x fewer parameters
    <https://arxiv.org/abs/1602.07360>`__; ``weights``: ``SqueezeNet1_0_Weights`` or None."""
    return _squeezenet("1_0", SqueezeNet1_0_Weights.verify(weights), progress, **kwargs)


@handle_legacy_interface(SqueezeNet1_1_Weights.IMAGENET1K_V1)
def squeezenet1_1(*, weights=None, progress: bool = True, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.1 (2.4x less computation than 1.0, same accuracy);
    ``weights``: ``SqueezeNet1_1_Weights`` or None."""
    return _squeezenet("1_1", SqueezeNet1_1_Weights.verify(weights), progress, **kwargs)
