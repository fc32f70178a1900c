"""ShuffleNetV2 x0.5/x1.0/x1.5/x2.0 (Ma et al., 2018) with torchvision's names and weights.

``conv1`` (3x3/2 conv, BN, ReLU) and ``maxpool``; ``stage2..4`` of ``InvertedResidual``
units (split the channels, transform one half, concatenate, shuffle the two groups);
``conv5`` (1x1 conv, BN, ReLU), global mean and ``fc``.  No init of its own: each layer
keeps PyTorch's default initialisation, drawn in construction order.
"""
from __future__ import annotations

from typing import Callable

import ember

from ... import Tensor, nn
from ._api import WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights, _load

__all__ = ["ShuffleNetV2", "ShuffleNet_V2_X0_5_Weights", "ShuffleNet_V2_X1_0_Weights",
           "ShuffleNet_V2_X1_5_Weights", "ShuffleNet_V2_X2_0_Weights", "shufflenet_v2_x0_5",
           "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]


def channel_shuffle(x, groups: int):
    """Interleave ``groups`` groups of channels: ``(N, g*c, H, W)`` viewed as ``(N, g, c, H,
    W)``, transposed to ``(N, c, g, H, W)`` and flattened back."""
    n, channels, h, w = x.size()
    x = x.view(n, groups, channels // groups, h, w)
    return ember.transpose(x, 1, 2).contiguous().view(n, channels, h, w)


class InvertedResidual(nn.Module):
    """A ShuffleNetV2 unit; at stride 1 half the channels pass through untouched."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not (1 <= stride <= 3):
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if stride == 1 and inp != branch_features << 1:
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} "
                             "values. If stride == 1 then inp should be equal to oup // 2 << 1.")
        if stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch_features, branch_features, kernel_size=1,
                      stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3, stride=stride,
                                padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0,
                      bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    @staticmethod
    def depthwise_conv(i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0,
                       bias: bool = False) -> nn.Conv2d:
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = ember.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = ember.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNetV2 with ``stages_repeats`` (3 ints) units per stage and
    ``stages_out_channels`` (5 ints: stem, three stages, ``conv5``)."""

    def __init__(self, stages_repeats: list[int], stages_out_channels: list[int],
                 num_classes: int = 1000,
                 inverted_residual: Callable[..., nn.Module] = InvertedResidual) -> None:
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        out = stages_out_channels[0]
        self.conv1 = nn.Sequential(nn.Conv2d(3, out, 3, 2, 1, bias=False), nn.BatchNorm2d(out),
                                   nn.ReLU(inplace=True))
        cin = out
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for name, repeats, out in zip(("stage2", "stage3", "stage4"), stages_repeats,
                                      stages_out_channels[1:]):
            units = [inverted_residual(cin, out, 2)]
            units += [inverted_residual(out, out, 1) for _ in range(repeats - 1)]
            setattr(self, name, nn.Sequential(*units))
            cin = out
        out = stages_out_channels[-1]
        self.conv5 = nn.Sequential(nn.Conv2d(cin, out, 1, 1, 0, bias=False), nn.BatchNorm2d(out),
                                   nn.ReLU(inplace=True))
        self.fc = nn.Linear(out, num_classes)

    def _forward_impl(self, x):
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean([2, 3]))  # global pool

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


_RECIPE = "https://github.com/ericsun99/Shufflenet-v2-Pytorch"
_NEW = "https://github.com/pytorch/vision/pull/5906"
_PORTED = "Ported from Eric Sun's ShuffleNetV2 implementation."
_TUNED = "Trained by TorchVision with its newer recipe."


class ShuffleNet_V2_X0_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("shufflenetv2_x0.5-f707e7126e.pth", 1366792, 60.552, 81.746,
                                      0.04, 5.282, recipe=_RECIPE, min_size=(1, 1), docs=_PORTED,
                                      crop_size=224)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("shufflenetv2_x1-5666bf0f80.pth", 2278604, 69.362, 88.316,
                                      0.145, 8.791, recipe=_RECIPE, min_size=(1, 1), docs=_PORTED,
                                      crop_size=224)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("shufflenetv2_x1_5-3c479a10.pth", 3503624, 72.996, 91.086,
                                      0.296, 13.557, recipe=_NEW, min_size=(1, 1), docs=_TUNED,
                                      crop_size=224, resize_size=232)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X2_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("shufflenetv2_x2_0-8be3c8ee.pth", 7393996, 76.230, 93.006,
                                      0.583, 28.433, recipe=_NEW, min_size=(1, 1), docs=_TUNED,
                                      crop_size=224, resize_size=232)
    DEFAULT = IMAGENET1K_V1


def _builder(channels: list[int], weights_enum, name: str):
    @handle_legacy_interface(weights_enum.IMAGENET1K_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> ShuffleNetV2:
        weights = weights_enum.verify(weights)
        if weights is not None:
            _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
        return _load(ShuffleNetV2([4, 8, 4], channels, **kwargs), weights, progress)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"ShuffleNetV2 with {name[14:].replace('_', '.')}x output channels, from "
                     "`ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture "
                     "Design <https://arxiv.org/abs/1807.11164>`__.\n\n"
                     f"    ``weights``: ``{weights_enum.__name__}`` member or name, or None.")
    return build


shufflenet_v2_x0_5 = _builder([24, 48, 96, 192, 1024], ShuffleNet_V2_X0_5_Weights,
                              "shufflenet_v2_x0_5")
shufflenet_v2_x1_0 = _builder([24, 116, 232, 464, 1024], ShuffleNet_V2_X1_0_Weights,
                              "shufflenet_v2_x1_0")
shufflenet_v2_x1_5 = _builder([24, 176, 352, 704, 1024], ShuffleNet_V2_X1_5_Weights,
                              "shufflenet_v2_x1_5")
shufflenet_v2_x2_0 = _builder([24, 244, 488, 976, 2048], ShuffleNet_V2_X2_0_Weights,
                              "shufflenet_v2_x2_0")
