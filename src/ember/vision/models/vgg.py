"""VGG (Simonyan & Zisserman, 2014) with torchvision's module names, init and weights.

``features`` is the ``Sequential`` of 3x3 convolutions (with ``BatchNorm2d`` in
the ``_bn`` variants), ReLUs and 2x2 max-pools; ``avgpool`` pools to 7x7;
``classifier`` is Linear-ReLU-Dropout twice then Linear.  State-dict keys are
torchvision's (``features.0.weight`` ... ``classifier.6.bias``), so its
checkpoints load unchanged.

>>> model = vgg16()                       # doctest: +SKIP
>>> model(ember.randn(1, 3, 32, 32)).shape  # doctest: +SKIP
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

__all__ = ["VGG", "VGG11_BN_Weights", "VGG11_Weights", "VGG13_BN_Weights", "VGG13_Weights",
           "VGG16_BN_Weights", "VGG16_Weights", "VGG19_BN_Weights", "VGG19_Weights", "vgg11",
           "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]


class VGG(nn.Module):
    """VGG on ``features``: ``num_classes`` outputs, ``dropout`` in the classifier.

    ``init_weights`` applies torchvision's init: convolutions Kaiming-normal
    (fan-out, ReLU) with zero bias, batch norms 1 and 0, linears N(0, 0.01) with
    zero bias.
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            _init_weights(self)

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = ember.flatten(x, 1)
        return self.classifier(x)


def _init_weights(model: nn.Module) -> None:
    """torchvision's VGG init, over ``model.modules()`` in order."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.constant_(m.bias, 0)


def make_layers(cfg: list, batch_norm: bool = False) -> nn.Sequential:
    """``features`` from a config: an int is a 3x3 conv to that many channels, "M" a max-pool."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            if batch_norm:
                layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            else:
                layers += [conv2d, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


cfgs: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512,
          512, 512, "M"],
}


def _vgg(cfg: str, batch_norm: bool, weights, progress: bool, **kwargs) -> VGG:
    if weights is not None:
        kwargs["init_weights"] = False
        if weights.meta["categories"] is not None:
            _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_COMMON_META = {
    "categories": _IMAGENET_CATEGORIES,
    "min_size": (32, 32),
    "recipe": "https://github.com/pytorch/vision/tree/main/references/classification"
              "#alexnet-and-vgg",
    "_docs": "These weights were trained from scratch by using a simplified training recipe.",
}
_URL = "https://download.pytorch.org/models/"


def _weights(file: str, num_params: int, acc1: float, acc5: float, ops: float,
             size: float, **extra) -> Weights:
    return Weights(url=_URL + file, transforms=partial(ImageClassification, crop_size=224),
                   meta={**_COMMON_META, "num_params": num_params,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
                         "_ops": ops, "_file_size": size, **extra})


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg11-8a719046.pth", 132863336, 69.020, 88.628, 7.609, 506.84)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg11_bn-6002323d.pth", 132868840, 70.370, 89.810, 7.609, 506.881)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg13-19584684.pth", 133047848, 69.928, 89.246, 11.308, 507.545)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg13_bn-abd245e5.pth", 133053736, 71.586, 90.374, 11.308, 507.59)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg16-397923af.pth", 138357544, 71.592, 90.382, 15.47, 527.796)
    # Weights ported from https://github.com/amdegroot/ssd.pytorch: only ``features``
    # is trained, the classifier is not (so it has no categories).
    IMAGENET1K_FEATURES = Weights(
        url=_URL + "vgg16_features-amdegroot-88682ab5.pth",
        transforms=partial(ImageClassification, crop_size=224, mean=(0.48235, 0.45882, 0.40784),
                           std=(1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0)),
        meta={**_COMMON_META, "num_params": 138357544,
              "categories": None,
              "recipe": "https://github.com/amdegroot/ssd.pytorch#training-ssd",
              "_metrics": {"ImageNet-1K": {"acc@1": float("nan"), "acc@5": float("nan")}},
              "_ops": 15.47, "_file_size": 527.802,
              "_docs": "These weights can't be used for classification because they are "
                       "missing values in the `classifier` module. Only the `features` module "
                       "has valid values and can be used for feature extraction."})
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg16_bn-6c64b313.pth", 138365992, 73.360, 91.516, 15.47, 527.866)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg19-dcbb9e9d.pth", 143667240, 72.376, 90.876, 19.632, 548.051)
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vgg19_bn-c79401a0.pth", 143678248, 74.218, 91.842, 19.632, 548.143)
    DEFAULT = IMAGENET1K_V1


def _builder(cfg: str, batch_norm: bool, weights_enum, name: str):
    @handle_legacy_interface(weights_enum.IMAGENET1K_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> VGG:
        weights = weights_enum.verify(weights)
        return _vgg(cfg, batch_norm, weights, progress, **kwargs)

    depth = {"A": 11, "B": 13, "D": 16, "E": 19}[cfg]
    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"VGG-{depth}{'-BN' if batch_norm else ''} (configuration \"{cfg}\") from "
                     "`Very Deep Convolutional Networks for Large-Scale Image Recognition "
                     "<https://arxiv.org/abs/1409.1556>`__.\n\n"
                     f"    ``weights``: ``{weights_enum.__name__}`` member or name, or None "
                     "(random init).\n    ``pretrained=True`` (deprecated) means "
                     "``IMAGENET1K_V1``; other keywords go to :class:`VGG`.")
    return build


vgg11 = _builder("A", False, VGG11_Weights, "vgg11")
vgg11_bn = _builder("A", True, VGG11_BN_Weights, "vgg11_bn")
vgg13 = _builder("B", False, VGG13_Weights, "vgg13")
vgg13_bn = _builder("B", True, VGG13_BN_Weights, "vgg13_bn")
vgg16 = _builder("D", False, VGG16_Weights, "vgg16")
vgg16_bn = _builder("D", True, VGG16_BN_Weights, "vgg16_bn")
vgg19 = _builder("E", False, VGG19_Weights, "vgg19")
vgg19_bn = _builder("E", True, VGG19_BN_Weights, "vgg19_bn")
