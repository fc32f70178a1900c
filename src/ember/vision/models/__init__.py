"""Image classification models with torchvision's API: VGG and ResNet.

Module names and structure are torchvision's, so its pretrained checkpoints
(``vgg16-397923af.pth``, ``resnet18-f37072fd.pth``...) load into them; weights
come from the torch hub cache (``~/.cache/torch/hub/checkpoints``).
"""
from . import resnet, vgg
from ._api import Weights, WeightsEnum
from .resnet import (BasicBlock, Bottleneck, ResNet, ResNet18_Weights, ResNet34_Weights,
                     ResNet50_Weights, ResNet101_Weights, ResNet152_Weights, resnet18, resnet34,
                     resnet50, resnet101, resnet152)
from .vgg import (VGG, VGG11_BN_Weights, VGG11_Weights, VGG13_BN_Weights, VGG13_Weights,
                  VGG16_BN_Weights, VGG16_Weights, VGG19_BN_Weights, VGG19_Weights, vgg11,
                  vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn)

_BUILDERS = {f.__name__: f for f in (resnet18, resnet34, resnet50, resnet101, resnet152, vgg11,
                                     vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn)}
_WEIGHTS = {w.__name__: w for w in (ResNet18_Weights, ResNet34_Weights, ResNet50_Weights,
                                    ResNet101_Weights, ResNet152_Weights, VGG11_Weights,
                                    VGG11_BN_Weights, VGG13_Weights, VGG13_BN_Weights,
                                    VGG16_Weights, VGG16_BN_Weights, VGG19_Weights,
                                    VGG19_BN_Weights)}


def list_models(module=None, include=None, exclude=None) -> list[str]:
    """Names of the models ``get_model`` builds (ember has the VGG and ResNet families)."""
    import fnmatch

    names = sorted(_BUILDERS)
    if include is not None:
        pats = [include] if isinstance(include, str) else include
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in pats)]
    if exclude is not None:
        pats = [exclude] if isinstance(exclude, str) else exclude
        names = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in pats)]
    return names


def get_model_builder(name: str):
    try:
        return _BUILDERS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name: str, **config):
    """``get_model("resnet18", weights="DEFAULT")`` builds ``resnet18(weights="DEFAULT")``."""
    return get_model_builder(name)(**config)


def get_weight(name: str):
    """The weights enum member named ``"ResNet50_Weights.IMAGENET1K_V2"``."""
    cls_name, _, member = name.partition(".")
    if cls_name not in _WEIGHTS:
        raise ValueError(f"The weight enum '{cls_name}' for the specific method couldn't be "
                         "retrieved.")
    return _WEIGHTS[cls_name][member]


__all__ = ["BasicBlock", "Bottleneck", "ResNet", "ResNet101_Weights", "ResNet152_Weights",
           "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "VGG", "VGG11_BN_Weights",
           "VGG11_Weights", "VGG13_BN_Weights", "VGG13_Weights", "VGG16_BN_Weights",
           "VGG16_Weights", "VGG19_BN_Weights", "VGG19_Weights", "Weights", "WeightsEnum",
           "get_model", "get_model_builder", "get_weight", "list_models", "resnet",
           "resnet101", "resnet152", "resnet18", "resnet34", "resnet50", "vgg", "vgg11",
           "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]


from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.models")  # a missing API is named
