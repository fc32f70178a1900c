"""EfficientNet B0-B7 (Tan & Le, 2019) and EfficientNetV2 S/M/L (2021), torchvision's way.

``features``: a 3x3/2 SiLU stem, one ``Sequential`` stage per config row of ``MBConv``
(expand 1x1, depthwise k x k, squeeze-excitation, project 1x1) or ``FusedMBConv``
(expand k x k, project 1x1) blocks with stochastic depth on their residuals, and a 1x1
conv head; then average pooling and ``classifier`` (Dropout, Linear).  Convolutions are
Kaiming-normal (fan-out), norms 1 and 0, linears uniform in +-1/sqrt(out_features).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Callable

import ember

from ... import Tensor, nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ..transforms.functional import InterpolationMode
from ._api import WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights, _load, _make_divisible

__all__ = ["EfficientNet", "EfficientNet_B0_Weights", "EfficientNet_B1_Weights",
           "EfficientNet_B2_Weights", "EfficientNet_B3_Weights", "EfficientNet_B4_Weights",
           "EfficientNet_B5_Weights", "EfficientNet_B6_Weights", "EfficientNet_B7_Weights",
           "EfficientNet_V2_L_Weights", "EfficientNet_V2_M_Weights", "EfficientNet_V2_S_Weights",
           "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
           "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
           "efficientnet_v2_l", "efficientnet_v2_m", "efficientnet_v2_s"]


@dataclass
class _MBConvConfig:
    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int
    block: Callable[..., nn.Module]

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """A stage of ``MBConv`` blocks; channels scale by ``width_mult``, depth by ``depth_mult``
    (rounded up)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, width_mult: float = 1.0,
                 depth_mult: float = 1.0, block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__(expand_ratio, kernel, stride,
                         self.adjust_channels(input_channels, width_mult),
                         self.adjust_channels(out_channels, width_mult),
                         self.adjust_depth(num_layers, depth_mult),
                         MBConv if block is None else block)

    @staticmethod
    def adjust_depth(num_layers: int, depth_mult: float):
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    """A stage of ``FusedMBConv`` blocks (EfficientNetV2's early stages)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int,
                 block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         FusedMBConv if block is None else block)


class MBConv(nn.Module):
    """Mobile inverted bottleneck with squeeze-excitation (SiLU throughout)."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module],
                 se_layer: Callable[..., nn.Module] = SqueezeExcitation) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(se_layer(expanded, max(1, cnf.input_channels // 4),
                               activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class FusedMBConv(nn.Module):
    """Fused inverted bottleneck: one k x k convolution does the expansion."""

    def __init__(self, cnf: FusedMBConvConfig, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module]) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        layers: list[nn.Module] = []
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded,
                                               kernel_size=cnf.kernel, stride=cnf.stride,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
            layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=None))
        else:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.out_channels,
                                               kernel_size=cnf.kernel, stride=cnf.stride,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class EfficientNet(nn.Module):
    """EfficientNet from stage configs; the stochastic-depth probability grows linearly from
    0 to ``stochastic_depth_prob`` over the blocks."""

    def __init__(self, inverted_residual_setting: Sequence[_MBConvConfig], dropout: float,
                 stochastic_depth_prob: float = 0.2, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 last_channel: int | None = None) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(inverted_residual_setting, Sequence)
                and all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        layers: list[nn.Module] = [Conv2dNormActivation(
            3, inverted_residual_setting[0].input_channels, kernel_size=3, stride=2,
            norm_layer=norm_layer, activation_layer=nn.SiLU)]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(last_out, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def _forward_impl(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _efficientnet_conf(arch: str, **kwargs):
    """Stage configs and head width of ``arch`` (B-series take ``width_mult``/``depth_mult``)."""
    if arch.startswith("efficientnet_b"):
        c = partial(MBConvConfig, width_mult=kwargs.pop("width_mult"),
                    depth_mult=kwargs.pop("depth_mult"))
        setting = [c(1, 3, 1, 32, 16, 1), c(6, 3, 2, 16, 24, 2), c(6, 5, 2, 24, 40, 2),
                   c(6, 3, 2, 40, 80, 3), c(6, 5, 1, 80, 112, 3), c(6, 5, 2, 112, 192, 4),
                   c(6, 3, 1, 192, 320, 1)]
        return setting, None
    f, m = FusedMBConvConfig, MBConvConfig
    if arch.startswith("efficientnet_v2_s"):
        setting = [f(1, 3, 1, 24, 24, 2), f(4, 3, 2, 24, 48, 4), f(4, 3, 2, 48, 64, 4),
                   m(4, 3, 2, 64, 128, 6), m(6, 3, 1, 128, 160, 9), m(6, 3, 2, 160, 256, 15)]
    elif arch.startswith("efficientnet_v2_m"):
        setting = [f(1, 3, 1, 24, 24, 3), f(4, 3, 2, 24, 48, 5), f(4, 3, 2, 48, 80, 5),
                   m(4, 3, 2, 80, 160, 7), m(6, 3, 1, 160, 176, 14), m(6, 3, 2, 176, 304, 18),
                   m(6, 3, 1, 304, 512, 5)]
    elif arch.startswith("efficientnet_v2_l"):
        setting = [f(1, 3, 1, 32, 32, 4), f(4, 3, 2, 32, 64, 7), f(4, 3, 2, 64, 96, 7),
                   m(4, 3, 2, 96, 192, 10), m(6, 3, 1, 192, 224, 19), m(6, 3, 2, 224, 384, 25),
                   m(6, 3, 1, 384, 640, 7)]
    else:
        raise ValueError(f"Unsupported model type {arch}")
    return setting, 1280


def _efficientnet(setting, dropout: float, last_channel, weights, progress: bool,
                  **kwargs) -> EfficientNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = EfficientNet(setting, dropout, last_channel=last_channel, **kwargs)
    return _load(model, weights, progress)


_BICUBIC, _BILINEAR = InterpolationMode.BICUBIC, InterpolationMode.BILINEAR
_V1_RECIPE = ("https://github.com/pytorch/vision/tree/main/references/classification"
              "#efficientnet-v1")
_V2_RECIPE = ("https://github.com/pytorch/vision/tree/main/references/classification"
              "#efficientnet-v2")


def _v1(file, num_params, acc1, acc5, ops, size, crop, resize, docs, **kw):
    kw.setdefault("recipe", _V1_RECIPE)
    kw.setdefault("interpolation", _BICUBIC)
    return _imagenet_weights(file, num_params, acc1, acc5, ops, size, min_size=(1, 1),
                             docs=docs, crop_size=crop, resize_size=resize, **kw)


def _v2(file, num_params, acc1, acc5, ops, size, crop, **kw):
    kw.setdefault("interpolation", _BILINEAR)
    return _imagenet_weights(file, num_params, acc1, acc5, ops, size, recipe=_V2_RECIPE,
                             min_size=(33, 33), crop_size=crop, resize_size=crop,
                             docs="Trained with TorchVision's EfficientNetV2 recipe.", **kw)


_RW = "Ported from Ross Wightman's timm weights."
_LM = "Ported from Luke Melas-Kyriazi's EfficientNet-PyTorch weights."


class EfficientNet_B0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("efficientnet_b0_rwightman-7f5810bc.pth", 5288548, 77.692, 93.532,
                        0.386, 20.451, 224, 256, _RW)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("efficientnet_b1_rwightman-bac287d4.pth", 7794184, 78.642, 94.186,
                        0.687, 30.134, 240, 256, _RW)
    IMAGENET1K_V2 = _v1("efficientnet_b1-c27df63c.pth", 7794184, 79.838, 94.934, 0.687, 30.136,
                        240, 255, "Trained with a variant of TorchVision's newer recipe.",
                        recipe="https://github.com/pytorch/vision/issues/3995"
                               "#new-recipe-with-lr-wd-crop-tuning",
                        interpolation=_BILINEAR)
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("efficientnet_b2_rwightman-c35c1473.pth", 9109994, 80.608, 95.310,
                        1.088, 35.174, 288, 288, _RW)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("efficientnet_b3_rwightman-b3899882.pth", 12233232, 82.008, 96.054,
                        1.827, 47.184, 300, 320, _RW)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("efficientnet_b4_rwightman-23ab8bcd.pth", 19341616, 83.384, 96.594,
                        4.394, 74.489, 380, 384, _RW)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("efficientnet_b5_lukemelas-1a07897c.pth", 30389784, 83.444, 96.628,
                        10.266, 116.864, 456, 456, _LM)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("efficientnet_b6_lukemelas-24a108a5.pth", 43040704, 84.008, 96.916,
                        19.068, 165.362, 528, 528, _LM)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("efficientnet_b7_lukemelas-c5b4e57e.pth", 66347960, 84.122, 96.908,
                        37.746, 254.675, 600, 600, _LM)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v2("efficientnet_v2_s-dd5fe13b.pth", 21458488, 84.228, 96.878, 8.366,
                        82.704, 384)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_M_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v2("efficientnet_v2_m-dc08266a.pth", 54139356, 85.112, 97.156, 24.582,
                        208.01, 480)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_L_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v2("efficientnet_v2_l-59c71312.pth", 118515272, 85.808, 97.788, 56.08,
                        454.573, 480, interpolation=_BICUBIC, mean=(0.5, 0.5, 0.5),
                        std=(0.5, 0.5, 0.5))
    DEFAULT = IMAGENET1K_V1


_EPS_MOM = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)  # B5-B7 (ported TF weights)
_EPS = partial(nn.BatchNorm2d, eps=1e-03)  # V2


def _builder(arch: str, weights_enum, dropout: float, norm_layer=None, width=None,
             depth=None, paper: str = ""):
    @handle_legacy_interface(weights_enum.IMAGENET1K_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
        weights = weights_enum.verify(weights)
        extra = {} if width is None else {"width_mult": width, "depth_mult": depth}
        setting, last_channel = _efficientnet_conf(arch, **extra)
        if norm_layer is not None:
            if "norm_layer" in kwargs:
                raise TypeError("_efficientnet() got multiple values for keyword argument "
                                "'norm_layer'")
            kwargs["norm_layer"] = norm_layer
        return _efficientnet(setting, kwargs.pop("dropout", dropout), last_channel, weights,
                             progress, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = (f"{arch} from {paper}.\n\n    ``weights``: ``{weights_enum.__name__}`` "
                     "member or name, or None; ``dropout`` and other keywords go to "
                     ":class:`EfficientNet`.")
    return build


_P1 = ("`EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks "
       "<https://arxiv.org/abs/1905.11946>`__")
_P2 = "`EfficientNetV2: Smaller Models and Faster Training <https://arxiv.org/abs/2104.00298>`__"

efficientnet_b0 = _builder("efficientnet_b0", EfficientNet_B0_Weights, 0.2, None, 1.0, 1.0, _P1)
efficientnet_b1 = _builder("efficientnet_b1", EfficientNet_B1_Weights, 0.2, None, 1.0, 1.1, _P1)
efficientnet_b2 = _builder("efficientnet_b2", EfficientNet_B2_Weights, 0.3, None, 1.1, 1.2, _P1)
efficientnet_b3 = _builder("efficientnet_b3", EfficientNet_B3_Weights, 0.3, None, 1.2, 1.4, _P1)
efficientnet_b4 = _builder("efficientnet_b4", EfficientNet_B4_Weights, 0.4, None, 1.4, 1.8, _P1)
efficientnet_b5 = _builder("efficientnet_b5", EfficientNet_B5_Weights, 0.4, _EPS_MOM, 1.6, 2.2,
                           _P1)
efficientnet_b6 = _builder("efficientnet_b6", EfficientNet_B6_Weights, 0.5, _EPS_MOM, 1.8, 2.6,
                           _P1)
efficientnet_b7 = _builder("efficientnet_b7", EfficientNet_B7_Weights, 0.5, _EPS_MOM, 2.0, 3.1,
                           _P1)
efficientnet_v2_s = _builder("efficientnet_v2_s", EfficientNet_V2_S_Weights, 0.2, _EPS, paper=_P2)
efficientnet_v2_m = _builder("efficientnet_v2_m", EfficientNet_V2_M_Weights, 0.3, _EPS, paper=_P2)
efficientnet_v2_l = _builder("efficientnet_v2_l", EfficientNet_V2_L_Weights, 0.4, _EPS, paper=_P2)
