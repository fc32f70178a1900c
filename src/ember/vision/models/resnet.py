"""ResNet (He et al., 2015) with torchvision's module names, init and weights.

``conv1``/``bn1``/``relu``/``maxpool`` stem, ``layer1``..``layer4`` of
``BasicBlock`` (ResNet-18/34) or ``Bottleneck`` (50/101/152) blocks, each
``conv1``/``bn1``/``conv2``/``bn2``(/``conv3``/``bn3``) with an optional
``downsample`` (1x1 conv + batch norm), then ``avgpool`` and ``fc``.
State-dict keys are torchvision's, so its checkpoints load unchanged.

>>> model = resnet18()                      # doctest: +SKIP
>>> model(ember.randn(1, 3, 64, 64)).shape  # doctest: +SKIP
torch.Size([1, 1000])
"""
from __future__ import annotations

from functools import partial

import ember

from ... import Tensor, nn
from ..transforms._presets import ImageClassification
from ._api import Weights, WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._meta import _IMAGENET_CATEGORIES
from ._utils import _hinted

__all__ = ["BasicBlock", "Bottleneck", "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights",
           "ResNeXt50_32X4D_Weights", "ResNet", "ResNet101_Weights", "ResNet152_Weights",
           "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "Wide_ResNet101_2_Weights",
           "Wide_ResNet50_2_Weights", "resnet101", "resnet152", "resnet18", "resnet34",
           "resnet50", "resnext101_32x8d", "resnext101_64x4d", "resnext50_32x4d",
           "wide_resnet101_2", "wide_resnet50_2"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding, no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut; ``conv1`` (and ``downsample``) apply the stride."""

    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 with the stride (torchvision's "ResNet V1.5"), 1x1 expand by 4, shortcut."""

    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """ResNet of ``block`` with ``layers[i]`` blocks in stage ``i``.

    Convolutions get Kaiming-normal (fan-out, ReLU) init, norms 1 and 0;
    ``zero_init_residual`` zeroes the last norm of every residual branch.
    """

    def __init__(self, block, layers: list[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, groups: int = 1, width_per_group: int = 64,
                 replace_stride_with_dilation=None, norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element tuple, "
                             f"got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1,
                    dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _forward_impl(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        return self.fc(x)

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _resnet(block, layers: list[int], weights, progress: bool, **kwargs) -> ResNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = ResNet(block, layers, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_COMMON_META = {"min_size": (1, 1), "categories": _IMAGENET_CATEGORIES}
_URL = "https://download.pytorch.org/models/"
_V1_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
_V2_RECIPE = "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621"
_NEW_RECIPE = "https://github.com/pytorch/vision/issues/3995#new-recipe"


def _v1(file: str, num_params: int, acc1: float, acc5: float, ops: float,
        size: float) -> Weights:
    return Weights(url=_URL + file, transforms=partial(ImageClassification, crop_size=224),
                   meta={**_COMMON_META, "num_params": num_params, "recipe": _V1_RECIPE,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
                         "_ops": ops, "_file_size": size,
                         "_docs": "These weights reproduce closely the results of the paper "
                                  "using a simple training recipe."})


def _v2(file: str, num_params: int, acc1: float, acc5: float, ops: float, size: float,
        recipe: str = _V2_RECIPE) -> Weights:
    return Weights(url=_URL + file,
                   transforms=partial(ImageClassification, crop_size=224, resize_size=232),
                   meta={**_COMMON_META, "num_params": num_params, "recipe": recipe,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
                         "_ops": ops, "_file_size": size,
                         "_docs": "These weights improve upon the results of the original paper "
                                  "by using TorchVision's new training recipe."})


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("resnet18-f37072fd.pth", 11689512, 69.758, 89.078, 1.814, 44.661)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("resnet34-b627a593.pth", 21797672, 73.314, 91.420, 3.664, 83.275)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("resnet50-0676ba61.pth", 25557032, 76.130, 92.862, 4.089, 97.781)
    IMAGENET1K_V2 = _v2("resnet50-11ad3fa6.pth", 25557032, 80.858, 95.434, 4.089, 97.79)
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("resnet101-63fe2227.pth", 44549160, 77.374, 93.546, 7.801, 170.511)
    IMAGENET1K_V2 = _v2("resnet101-cd907fc2.pth", 44549160, 81.886, 95.780, 7.801, 170.53,
                        _NEW_RECIPE)
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1("resnet152-394f9c45.pth", 60192808, 78.312, 94.046, 11.514, 230.434)
    IMAGENET1K_V2 = _v2("resnet152-f82ba261.pth", 60192808, 82.284, 96.002, 11.514, 230.474,
                        _NEW_RECIPE)
    DEFAULT = IMAGENET1K_V2


def _builder(block, layers: list[int], weights_enum, name: str, depth: int):
    @handle_legacy_interface(weights_enum.IMAGENET1K_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
        weights = weights_enum.verify(weights)
        return _resnet(block, layers, weights, progress, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"ResNet-{depth} from `Deep Residual Learning for Image Recognition "
                     "<https://arxiv.org/abs/1512.03385>`__.\n\n"
                     f"    ``weights``: ``{weights_enum.__name__}`` member or name, or None "
                     "(random init).\n    ``pretrained=True`` (deprecated) means "
                     "``IMAGENET1K_V1``; other keywords go to :class:`ResNet`.")
    return build


resnet18 = _builder(BasicBlock, [2, 2, 2, 2], ResNet18_Weights, "resnet18", 18)
resnet34 = _builder(BasicBlock, [3, 4, 6, 3], ResNet34_Weights, "resnet34", 34)
resnet50 = _builder(Bottleneck, [3, 4, 6, 3], ResNet50_Weights, "resnet50", 50)
resnet101 = _builder(Bottleneck, [3, 4, 23, 3], ResNet101_Weights, "resnet101", 101)
resnet152 = _builder(Bottleneck, [3, 8, 36, 3], ResNet152_Weights, "resnet152", 152)


# -- ResNeXt (Xie et al., 2016) and Wide ResNet (Zagoruyko & Komodakis, 2016) ---------------------
# Bottleneck ResNets with grouped 3x3 convolutions ("32x4d": 32 groups of width 4 at the first
# stage) or with that convolution twice as wide.

def _grouped(file: str, num_params: int, acc1: float, acc5: float, ops: float, size: float,
             recipe: str, new: bool) -> Weights:
    kw = {"crop_size": 224, "resize_size": 232} if new else {"crop_size": 224}
    docs = ("These weights improve upon the results of the original paper by using "
            "TorchVision's new training recipe." if new else
            "These weights reproduce closely the results of the paper using a simple "
            "training recipe.")
    return Weights(url=_URL + file, transforms=partial(ImageClassification, **kw),
                   meta={**_COMMON_META, "num_params": num_params, "recipe": recipe,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
                         "_ops": ops, "_file_size": size, "_docs": docs})


_RESNEXT_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnext"
_WIDE_RECIPE = "https://github.com/pytorch/vision/pull/912#issue-445437439"
_FIXRES = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres"


class ResNeXt50_32X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _grouped("resnext50_32x4d-7cdf4587.pth", 25028904, 77.618, 93.698, 4.23,
                             95.789, _RESNEXT_RECIPE, False)
    IMAGENET1K_V2 = _grouped("resnext50_32x4d-1a0047aa.pth", 25028904, 81.198, 95.340, 4.23,
                             95.833, _NEW_RECIPE, True)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _grouped("resnext101_32x8d-8ba56ff5.pth", 88791336, 79.312, 94.526, 16.414,
                             339.586, _RESNEXT_RECIPE, False)
    IMAGENET1K_V2 = _grouped("resnext101_32x8d-110c445d.pth", 88791336, 82.834, 96.228, 16.414,
                             339.673, _FIXRES, True)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_64X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _grouped("resnext101_64x4d-173b62eb.pth", 83455272, 83.246, 96.454, 15.46,
                             319.318, "https://github.com/pytorch/vision/pull/5935", True)
    DEFAULT = IMAGENET1K_V1


class Wide_ResNet50_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _grouped("wide_resnet50_2-95faca4d.pth", 68883240, 78.468, 94.086, 11.398,
                             131.82, _WIDE_RECIPE, False)
    IMAGENET1K_V2 = _grouped("wide_resnet50_2-9ba9bcbe.pth", 68883240, 81.602, 95.758, 11.398,
                             263.124, _FIXRES, True)
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet101_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _grouped("wide_resnet101_2-32ee1156.pth", 126886696, 78.848, 94.284, 22.753,
                             242.896, _WIDE_RECIPE, False)
    IMAGENET1K_V2 = _grouped("wide_resnet101_2-d733dc28.pth", 126886696, 82.510, 96.020, 22.753,
                             484.747, _NEW_RECIPE, True)
    DEFAULT = IMAGENET1K_V2


def _grouped_builder(layers: list[int], groups: int | None, width: int, weights_enum,
                     name: str, doc: str):
    @handle_legacy_interface(weights_enum.IMAGENET1K_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> ResNet:
        weights = weights_enum.verify(weights)
        if groups is not None:
            _ovewrite_named_param(kwargs, "groups", groups)
        _ovewrite_named_param(kwargs, "width_per_group", width)
        return _resnet(Bottleneck, layers, weights, progress, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"{doc}\n\n    ``weights``: ``{weights_enum.__name__}`` member or name, "
                     "or None (random init); other keywords go to :class:`ResNet`.")
    return build


_RESNEXT_DOC = ("ResNeXt-{} {} from `Aggregated Residual Transformation for Deep Neural "
                "Networks <https://arxiv.org/abs/1611.05431>`__.")
_WIDE_DOC = ("Wide ResNet-{}-2 from `Wide Residual Networks <https://arxiv.org/abs/1605.07146>`__"
             " (the 3x3 convolution of each bottleneck twice as wide).")

resnext50_32x4d = _grouped_builder([3, 4, 6, 3], 32, 4, ResNeXt50_32X4D_Weights,
                                   "resnext50_32x4d", _RESNEXT_DOC.format(50, "32x4d"))
resnext101_32x8d = _grouped_builder([3, 4, 23, 3], 32, 8, ResNeXt101_32X8D_Weights,
                                    "resnext101_32x8d", _RESNEXT_DOC.format(101, "32x8d"))
resnext101_64x4d = _grouped_builder([3, 4, 23, 3], 64, 4, ResNeXt101_64X4D_Weights,
                                    "resnext101_64x4d", _RESNEXT_DOC.format(101, "64x4d"))
wide_resnet50_2 = _grouped_builder([3, 4, 6, 3], None, 64 * 2, Wide_ResNet50_2_Weights,
                                   "wide_resnet50_2", _WIDE_DOC.format(50))
wide_resnet101_2 = _grouped_builder([3, 4, 23, 3], None, 64 * 2, Wide_ResNet101_2_Weights,
                                    "wide_resnet101_2", _WIDE_DOC.format(101))
