"""RegNetX and RegNetY (Radosavovic et al., 2020), torchvision's way.

A RegNet is a ``stem`` (3x3/2 convolution, BN, ReLU), a ``trunk_output`` of stages
(``AnyStage``) of residual bottleneck blocks (1x1, grouped 3x3, squeeze-excitation for
RegNetY, 1x1), average pooling and ``fc``.  The stage widths and depths come from four
numbers (``BlockParams.from_init_params``): block ``i`` has the width ``w_0 + i * w_a``,
snapped to ``w_0 * w_m ** k`` (``k`` an integer) and rounded to a multiple of 8; runs of
equal widths are the stages.  Init: convolutions normal with std sqrt(2 / fan_out), norms
1 and 0, ``fc`` normal (std 0.01) with zero bias.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial
from typing import Any, Callable

import ember

from ... import Tensor, nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..transforms._presets import ImageClassification
from ..transforms.functional import InterpolationMode
from ._api import Weights, WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._meta import _IMAGENET_CATEGORIES
from ._utils import _URL, _hinted, _load, _make_divisible

_SIZES = ["400MF", "800MF", "1_6GF", "3_2GF", "8GF", "16GF", "32GF"]
__all__ = (["RegNet"] + [f"RegNet_Y_{s}_Weights" for s in _SIZES + ["128GF"]]
           + [f"RegNet_X_{s}_Weights" for s in _SIZES]
           + [f"regnet_y_{s.lower()}" for s in _SIZES + ["128GF"]]
           + [f"regnet_x_{s.lower()}" for s in _SIZES])


class SimpleStemIN(Conv2dNormActivation):
    """The ImageNet stem: a 3x3 stride-2 convolution, norm and activation."""

    def __init__(self, width_in: int, width_out: int, norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module]) -> None:
        super().__init__(width_in, width_out, kernel_size=3, stride=2, norm_layer=norm_layer,
                         activation_layer=activation_layer)


class BottleneckTransform(nn.Sequential):
    """``a`` (1x1), ``b`` (grouped 3x3, strided), ``se`` (when ``se_ratio``), ``c`` (1x1,
    no activation); the bottleneck is ``width_out * bottleneck_multiplier`` wide."""

    def __init__(self, width_in: int, width_out: int, stride: int,
                 norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], group_width: int,
                 bottleneck_multiplier: float, se_ratio: float | None) -> None:
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        w_b = int(round(width_out * bottleneck_multiplier))
        g = w_b // group_width
        layers["a"] = Conv2dNormActivation(width_in, w_b, kernel_size=1, stride=1,
                                           norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        layers["b"] = Conv2dNormActivation(w_b, w_b, kernel_size=3, stride=stride, groups=g,
                                           norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        if se_ratio:  # the squeeze width is relative to the block's input width
            layers["se"] = SqueezeExcitation(input_channels=w_b,
                                             squeeze_channels=int(round(se_ratio * width_in)),
                                             activation=activation_layer)
        layers["c"] = Conv2dNormActivation(w_b, width_out, kernel_size=1, stride=1,
                                           norm_layer=norm_layer, activation_layer=None)
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """``activation(shortcut(x) + f(x))``; the shortcut is a 1x1 projection (``proj``)
    when the width or the resolution changes, else the identity."""

    def __init__(self, width_in: int, width_out: int, stride: int,
                 norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], group_width: int = 1,
                 bottleneck_multiplier: float = 1.0, se_ratio: float | None = None) -> None:
        super().__init__()
        self.proj = None
        if width_in != width_out or stride != 1:
            self.proj = Conv2dNormActivation(width_in, width_out, kernel_size=1, stride=stride,
                                             norm_layer=norm_layer, activation_layer=None)
        self.f = BottleneckTransform(width_in, width_out, stride, norm_layer, activation_layer,
                                     group_width, bottleneck_multiplier, se_ratio)
        self.activation = activation_layer(inplace=True)

    def forward(self, x):
        if self.proj is not None:
            x = self.proj(x) + self.f(x)
        else:
            x = x + self.f(x)
        return self.activation(x)


class AnyStage(nn.Sequential):
    """``depth`` blocks named ``block{stage_index}-{i}``; only the first changes the width
    and the resolution."""

    def __init__(self, width_in: int, width_out: int, stride: int, depth: int,
                 block_constructor: Callable[..., nn.Module],
                 norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], group_width: int,
                 bottleneck_multiplier: float, se_ratio: float | None = None,
                 stage_index: int = 0) -> None:
        super().__init__()
        for i in range(depth):
            block = block_constructor(width_in if i == 0 else width_out, width_out,
                                      stride if i == 0 else 1, norm_layer, activation_layer,
                                      group_width, bottleneck_multiplier, se_ratio)
            self.add_module(f"block{stage_index}-{i}", block)


class BlockParams:
    """Per-stage depths, widths, group widths, bottleneck multipliers and strides."""

    def __init__(self, depths: list[int], widths: list[int], group_widths: list[int],
                 bottleneck_multipliers: list[float], strides: list[int],
                 se_ratio: float | None = None) -> None:
        self.depths = depths
        self.widths = widths
        self.group_widths = group_widths
        self.bottleneck_multipliers = bottleneck_multipliers
        self.strides = strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(cls, depth: int, w_0: int, w_a: float, w_m: float, group_width: int,
                         bottleneck_multiplier: float = 1.0, se_ratio: float | None = None,
                         **kwargs: Any) -> BlockParams:
        """The stages of a RegNet of ``depth`` blocks: initial width ``w_0``, slope ``w_a``,
        log-space step ``w_m`` (other keywords are ignored)."""
        quant, stride = 8, 2
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        # NOTE: float32 tensor arithmetic, as torchvision computes it, so that the roundings
        # (and so the widths) are its own.
        linear = ember.arange(depth) * w_a + w_0
        steps = ember.round(ember.log(linear / w_0) / math.log(w_m))
        block_widths = (ember.round(ember.divide(w_0 * ember.pow(w_m, steps), quant))
                        * quant).int().tolist()
        # a stage starts wherever the width changes
        starts = [i for i in range(depth + 1)
                  if i == 0 or i == depth or block_widths[i] != block_widths[i - 1]]
        stage_widths = [block_widths[i] for i in starts[:-1]]
        stage_depths = [b - a for a, b in zip(starts, starts[1:])]
        n = len(stage_widths)
        multipliers = [bottleneck_multiplier] * n
        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(
            stage_widths, multipliers, [group_width] * n)
        return cls(depths=stage_depths, widths=stage_widths, group_widths=group_widths,
                   bottleneck_multipliers=multipliers, strides=[stride] * n, se_ratio=se_ratio)

    def _get_expanded_params(self):
        return zip(self.widths, self.strides, self.depths, self.group_widths,
                   self.bottleneck_multipliers)

    @staticmethod
    def _adjust_widths_groups_compatibilty(stage_widths: list[int],
                                           bottleneck_ratios: list[float],
                                           group_widths: list[int]):
        """Group widths no wider than the bottleneck, and bottleneck widths a multiple of
        them (the stage widths follow)."""
        bottlenecks = [int(w * b) for w, b in zip(stage_widths, bottleneck_ratios)]
        groups = [min(g, w) for g, w in zip(group_widths, bottlenecks)]
        bottlenecks = [_make_divisible(w, g) for w, g in zip(bottlenecks, groups)]
        return [int(w / b) for w, b in zip(bottlenecks, bottleneck_ratios)], groups


class RegNet(nn.Module):
    """A RegNet from its ``BlockParams``."""

    def __init__(self, block_params: BlockParams, num_classes: int = 1000, stem_width: int = 32,
                 stem_type: Callable[..., nn.Module] | None = None,
                 block_type: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 activation: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        stem_type = SimpleStemIN if stem_type is None else stem_type
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        block_type = ResBottleneckBlock if block_type is None else block_type
        activation = nn.ReLU if activation is None else activation
        self.stem = stem_type(3, stem_width, norm_layer, activation)
        width = stem_width
        blocks = []
        for i, (width_out, stride, depth, group_width, multiplier) in enumerate(
                block_params._get_expanded_params()):
            blocks.append((f"block{i + 1}", AnyStage(
                width, width_out, stride, depth, block_type, norm_layer, activation,
                group_width, multiplier, block_params.se_ratio, stage_index=i + 1)))
            width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=width, out_features=num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):  # (no biases: every convolution has a norm)
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
                nn.init.zeros_(m.bias)

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.trunk_output(self.stem(x)))
        return self.fc(x.flatten(start_dim=1))


def _regnet(block_params: BlockParams, weights, progress: bool, **kwargs: Any) -> RegNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
    model = RegNet(block_params, norm_layer=norm_layer, **kwargs)
    return _load(model, weights, progress)


# -- weights -------------------------------------------------------------------------------------

_REF = "https://github.com/pytorch/vision/tree/main/references/classification#"
_NEW = "https://github.com/pytorch/vision/issues/3995#new-recipe"
_SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
# (torchvision's "_docs", said shortly)
_DOCS = {"v1": "Close to the paper's results, with a simple training recipe.",
         "v2": "Trained with a variant of TorchVision's newer recipe, improving on the paper's "
               "results.",
         "e2e": "SWAG weights (https://arxiv.org/abs/2201.08371) fine-tuned end to end on "
                "ImageNet-1K.",
         "linear": "Frozen SWAG trunk (https://arxiv.org/abs/2201.08371) with a linear "
                   "classifier trained on ImageNet-1K."}


def _w(kind: str, file: str, num_params: int, acc1: float, acc5: float, ops: float,
       file_size: float, recipe: str | None = None) -> Weights:
    """One checkpoint: ``kind`` v1 (resize 256), v2 (232), e2e (SWAG, bicubic 384) or
    linear (SWAG trunk, bicubic 224)."""
    meta: dict[str, Any] = {"min_size": (1, 1), "categories": _IMAGENET_CATEGORIES}
    if kind == "v1":
        transforms = partial(ImageClassification, crop_size=224)
    elif kind == "v2":
        transforms = partial(ImageClassification, crop_size=224, resize_size=232)
        recipe = recipe or _NEW
    else:
        size = 384 if kind == "e2e" else 224
        transforms = partial(ImageClassification, crop_size=size, resize_size=size,
                             interpolation=InterpolationMode.BICUBIC)
        recipe = ("https://github.com/facebookresearch/SWAG" if kind == "e2e"
                  else "https://github.com/pytorch/vision/pull/5793")
        meta["license"] = _SWAG_LICENSE
    meta.update({"recipe": recipe, "num_params": num_params,
                 "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}, "_ops": ops,
                 "_file_size": file_size, "_docs": _DOCS[kind]})
    return Weights(url=_URL + file, transforms=transforms, meta=meta)


_SMALL, _MEDIUM, _LARGE = _REF + "small-models", _REF + "medium-models", _REF + "large-models"
_FIXRES = _NEW + "-with-fixres"


class RegNet_Y_400MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_y_400mf-c65dace8.pth", 4344144, 74.046, 91.716, 0.402,
                       16.806, _SMALL)
    IMAGENET1K_V2 = _w("v2", "regnet_y_400mf-e6988f5f.pth", 4344144, 75.804, 92.742, 0.402,
                       16.806)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_800MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_y_800mf-1b27b58c.pth", 6432512, 76.42, 93.136, 0.834,
                       24.774, _SMALL)
    IMAGENET1K_V2 = _w("v2", "regnet_y_800mf-58fc7688.pth", 6432512, 78.828, 94.502, 0.834,
                       24.774)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_1_6GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_y_1_6gf-b11a554e.pth", 11202430, 77.95, 93.966, 1.612,
                       43.152, _SMALL)
    IMAGENET1K_V2 = _w("v2", "regnet_y_1_6gf-0d7bc02a.pth", 11202430, 80.876, 95.444, 1.612,
                       43.152)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_3_2GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_y_3_2gf-b5a9779c.pth", 19436338, 78.948, 94.576, 3.176,
                       74.567, _MEDIUM)
    IMAGENET1K_V2 = _w("v2", "regnet_y_3_2gf-9180c971.pth", 19436338, 81.982, 95.972, 3.176,
                       74.567)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_8GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_y_8gf-d0d0e4a8.pth", 39381472, 80.032, 95.048, 8.473,
                       150.701, _MEDIUM)
    IMAGENET1K_V2 = _w("v2", "regnet_y_8gf-dc2b1b54.pth", 39381472, 82.828, 96.33, 8.473,
                       150.701)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_16GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_y_16gf-9e6ed7dd.pth", 83590140, 80.424, 95.24, 15.912,
                       319.49, _LARGE)
    IMAGENET1K_V2 = _w("v2", "regnet_y_16gf-3e4a00f9.pth", 83590140, 82.886, 96.328, 15.912,
                       319.49)
    IMAGENET1K_SWAG_E2E_V1 = _w("e2e", "regnet_y_16gf_swag-43afe44d.pth", 83590140, 86.012,
                                98.054, 46.735, 319.49)
    IMAGENET1K_SWAG_LINEAR_V1 = _w("linear", "regnet_y_16gf_lc_swag-f3ec0043.pth", 83590140,
                                   83.976, 97.244, 15.912, 319.49)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_32GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_y_32gf-4dee3f7a.pth", 145046770, 80.878, 95.34, 32.28,
                       554.076, _LARGE)
    IMAGENET1K_V2 = _w("v2", "regnet_y_32gf-8db6d4b5.pth", 145046770, 83.368, 96.498, 32.28,
                       554.076)
    IMAGENET1K_SWAG_E2E_V1 = _w("e2e", "regnet_y_32gf_swag-04fdfa75.pth", 145046770, 86.838,
                                98.362, 94.826, 554.076)
    IMAGENET1K_SWAG_LINEAR_V1 = _w("linear", "regnet_y_32gf_lc_swag-e1583746.pth", 145046770,
                                   84.622, 97.48, 32.28, 554.076)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_128GF_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = _w("e2e", "regnet_y_128gf_swag-c8ce3e52.pth", 644812894, 88.228,
                                98.682, 374.57, 2461.564)
    IMAGENET1K_SWAG_LINEAR_V1 = _w("linear", "regnet_y_128gf_lc_swag-cbe8ce12.pth", 644812894,
                                   86.068, 97.844, 127.518, 2461.564)
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


class RegNet_X_400MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_x_400mf-adf1edd5.pth", 5495976, 72.834, 90.95, 0.414,
                       21.258, _SMALL)
    IMAGENET1K_V2 = _w("v2", "regnet_x_400mf-62229a5f.pth", 5495976, 74.864, 92.322, 0.414,
                       21.257, _FIXRES)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_800MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_x_800mf-ad17e45c.pth", 7259656, 75.212, 92.348, 0.8,
                       27.945, _SMALL)
    IMAGENET1K_V2 = _w("v2", "regnet_x_800mf-94a99ebd.pth", 7259656, 77.522, 93.826, 0.8,
                       27.945, _FIXRES)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_1_6GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_x_1_6gf-e3633e7f.pth", 9190136, 77.04, 93.44, 1.603,
                       35.339, _SMALL)
    IMAGENET1K_V2 = _w("v2", "regnet_x_1_6gf-a12f2b72.pth", 9190136, 79.668, 94.922, 1.603,
                       35.339, _FIXRES)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_3_2GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_x_3_2gf-f342aeae.pth", 15296552, 78.364, 93.992, 3.177,
                       58.756, _MEDIUM)
    IMAGENET1K_V2 = _w("v2", "regnet_x_3_2gf-7071aa85.pth", 15296552, 81.196, 95.43, 3.177,
                       58.756)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_8GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_x_8gf-03ceed89.pth", 39572648, 79.344, 94.686, 7.995,
                       151.456, _MEDIUM)
    IMAGENET1K_V2 = _w("v2", "regnet_x_8gf-2b70d774.pth", 39572648, 81.682, 95.678, 7.995,
                       151.456)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_16GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_x_16gf-2007eb11.pth", 54278536, 80.058, 94.944, 15.941,
                       207.627, _MEDIUM)
    IMAGENET1K_V2 = _w("v2", "regnet_x_16gf-ba3796d7.pth", 54278536, 82.716, 96.196, 15.941,
                       207.627)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_32GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("v1", "regnet_x_32gf-9d47f8d0.pth", 107811560, 80.622, 95.248, 31.736,
                       412.039, _LARGE)
    IMAGENET1K_V2 = _w("v2", "regnet_x_32gf-6eb8fdc6.pth", 107811560, 83.014, 96.288, 31.736,
                       412.039)
    DEFAULT = IMAGENET1K_V2


def _builder(arch: str, weights_enum, legacy, **params):
    @handle_legacy_interface(legacy)
    def build(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
        weights = weights_enum.verify(weights)
        # NOTE: as in torchvision, the keywords go to both from_init_params and RegNet
        block_params = BlockParams.from_init_params(**params, **kwargs)
        return _regnet(block_params, weights, progress, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = (f"{arch} from `Designing Network Design Spaces "
                     "<https://arxiv.org/abs/2003.13678>`_.\n\n    ``weights``: "
                     f"``{weights_enum.__name__}`` member or name, or None; other keywords go "
                     "to :class:`RegNet`.")
    return build


def _y(arch, enum, depth, w_0, w_a, w_m, group_width, legacy: bool = True):
    """A RegNetY builder (``legacy``: ``pretrained=True`` means IMAGENET1K_V1)."""
    return _builder(arch, enum, enum.IMAGENET1K_V1 if legacy else None, depth=depth,
                    w_0=w_0, w_a=w_a, w_m=w_m, group_width=group_width, se_ratio=0.25)


def _x(arch, enum, depth, w_0, w_a, w_m, group_width):
    return _builder(arch, enum, enum.IMAGENET1K_V1, depth=depth, w_0=w_0, w_a=w_a, w_m=w_m,
                    group_width=group_width)


regnet_y_400mf = _y("regnet_y_400mf", RegNet_Y_400MF_Weights, 16, 48, 27.89, 2.09, 8)
regnet_y_800mf = _y("regnet_y_800mf", RegNet_Y_800MF_Weights, 14, 56, 38.84, 2.4, 16)
regnet_y_1_6gf = _y("regnet_y_1_6gf", RegNet_Y_1_6GF_Weights, 27, 48, 20.71, 2.65, 24)
regnet_y_3_2gf = _y("regnet_y_3_2gf", RegNet_Y_3_2GF_Weights, 21, 80, 42.63, 2.66, 24)
regnet_y_8gf = _y("regnet_y_8gf", RegNet_Y_8GF_Weights, 17, 192, 76.82, 2.19, 56)
regnet_y_16gf = _y("regnet_y_16gf", RegNet_Y_16GF_Weights, 18, 200, 106.23, 2.48, 112)
regnet_y_32gf = _y("regnet_y_32gf", RegNet_Y_32GF_Weights, 20, 232, 115.89, 2.53, 232)
regnet_y_128gf = _y("regnet_y_128gf", RegNet_Y_128GF_Weights, 27, 456, 160.83, 2.52, 264,
                    legacy=False)
regnet_x_400mf = _x("regnet_x_400mf", RegNet_X_400MF_Weights, 22, 24, 24.48, 2.54, 16)
regnet_x_800mf = _x("regnet_x_800mf", RegNet_X_800MF_Weights, 16, 56, 35.73, 2.28, 16)
regnet_x_1_6gf = _x("regnet_x_1_6gf", RegNet_X_1_6GF_Weights, 18, 80, 34.01, 2.25, 24)
regnet_x_3_2gf = _x("regnet_x_3_2gf", RegNet_X_3_2GF_Weights, 25, 88, 26.31, 2.25, 48)
regnet_x_8gf = _x("regnet_x_8gf", RegNet_X_8GF_Weights, 23, 80, 49.56, 2.88, 120)
regnet_x_16gf = _x("regnet_x_16gf", RegNet_X_16GF_Weights, 22, 216, 55.59, 2.1, 128)
regnet_x_32gf = _x("regnet_x_32gf", RegNet_X_32GF_Weights, 23, 320, 69.86, 2.0, 168)
