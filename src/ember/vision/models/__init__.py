"""Image classification models with torchvision's API.

Module names and structure are torchvision's, so its pretrained checkpoints
(``vgg16-397923af.pth``, ``resnet18-f37072fd.pth``...) load into them; weights
come from the torch hub cache (``~/.cache/torch/hub/checkpoints``).
"""
from . import (alexnet as _alexnet_mod, convnext, densenet, efficientnet,
               googlenet as _googlenet_mod, mnasnet, mobilenet, mobilenetv2, mobilenetv3,
               regnet, resnet, shufflenetv2, squeezenet, swin_transformer, vgg,
               vision_transformer)
from . import inception as _inception_mod, maxvit, segmentation
from . import detection
from . import video
from ._api import Weights, WeightsEnum
from .alexnet import AlexNet, AlexNet_Weights, alexnet
from .convnext import (ConvNeXt, ConvNeXt_Base_Weights, ConvNeXt_Large_Weights,
                       ConvNeXt_Small_Weights, ConvNeXt_Tiny_Weights, convnext_base,
                       convnext_large, convnext_small, convnext_tiny)
from .densenet import (DenseNet, DenseNet121_Weights, DenseNet161_Weights, DenseNet169_Weights,
                       DenseNet201_Weights, densenet121, densenet161, densenet169, densenet201)
from .efficientnet import (EfficientNet, EfficientNet_B0_Weights, EfficientNet_B1_Weights,
                           EfficientNet_B2_Weights, EfficientNet_B3_Weights,
                           EfficientNet_B4_Weights, EfficientNet_B5_Weights,
                           EfficientNet_B6_Weights, EfficientNet_B7_Weights,
                           EfficientNet_V2_L_Weights, EfficientNet_V2_M_Weights,
                           EfficientNet_V2_S_Weights, efficientnet_b0, efficientnet_b1,
                           efficientnet_b2, efficientnet_b3, efficientnet_b4, efficientnet_b5,
                           efficientnet_b6, efficientnet_b7, efficientnet_v2_l,
                           efficientnet_v2_m, efficientnet_v2_s)
from .googlenet import GoogLeNet, GoogLeNet_Weights, GoogLeNetOutputs, googlenet
from .inception import Inception3, Inception_V3_Weights, InceptionOutputs, inception_v3
from .maxvit import MaxVit, MaxVit_T_Weights, maxvit_t
from .mnasnet import (MNASNet, MNASNet0_5_Weights, MNASNet0_75_Weights, MNASNet1_0_Weights,
                      MNASNet1_3_Weights, mnasnet0_5, mnasnet0_75, mnasnet1_0, mnasnet1_3)
from .mobilenetv2 import MobileNet_V2_Weights, MobileNetV2, mobilenet_v2
from .mobilenetv3 import (MobileNet_V3_Large_Weights, MobileNet_V3_Small_Weights, MobileNetV3,
                          mobilenet_v3_large, mobilenet_v3_small)
from .regnet import (RegNet, RegNet_X_1_6GF_Weights, RegNet_X_3_2GF_Weights,
                     RegNet_X_8GF_Weights, RegNet_X_16GF_Weights, RegNet_X_32GF_Weights,
                     RegNet_X_400MF_Weights, RegNet_X_800MF_Weights, RegNet_Y_1_6GF_Weights,
                     RegNet_Y_3_2GF_Weights, RegNet_Y_8GF_Weights, RegNet_Y_16GF_Weights,
                     RegNet_Y_32GF_Weights, RegNet_Y_128GF_Weights, RegNet_Y_400MF_Weights,
                     RegNet_Y_800MF_Weights, regnet_x_1_6gf, regnet_x_3_2gf, regnet_x_8gf,
                     regnet_x_16gf, regnet_x_32gf, regnet_x_400mf, regnet_x_800mf,
                     regnet_y_1_6gf, regnet_y_3_2gf, regnet_y_8gf, regnet_y_16gf, regnet_y_32gf,
                     regnet_y_128gf, regnet_y_400mf, regnet_y_800mf)
from .resnet import (BasicBlock, Bottleneck, ResNet, ResNet18_Weights, ResNet34_Weights,
                     ResNet50_Weights, ResNet101_Weights, ResNet152_Weights,
                     ResNeXt50_32X4D_Weights, ResNeXt101_32X8D_Weights, ResNeXt101_64X4D_Weights,
                     Wide_ResNet50_2_Weights, Wide_ResNet101_2_Weights, resnet18, resnet34,
                     resnet50, resnet101, resnet152, resnext50_32x4d, resnext101_32x8d,
                     resnext101_64x4d, wide_resnet50_2, wide_resnet101_2)
from .shufflenetv2 import (ShuffleNet_V2_X0_5_Weights, ShuffleNet_V2_X1_0_Weights,
                           ShuffleNet_V2_X1_5_Weights, ShuffleNet_V2_X2_0_Weights, ShuffleNetV2,
                           shufflenet_v2_x0_5, shufflenet_v2_x1_0, shufflenet_v2_x1_5,
                           shufflenet_v2_x2_0)
from .squeezenet import (SqueezeNet, SqueezeNet1_0_Weights, SqueezeNet1_1_Weights,
                         squeezenet1_0, squeezenet1_1)
from .swin_transformer import (Swin_B_Weights, Swin_S_Weights, Swin_T_Weights,
                               Swin_V2_B_Weights, Swin_V2_S_Weights, Swin_V2_T_Weights,
                               SwinTransformer, swin_b, swin_s, swin_t, swin_v2_b, swin_v2_s,
                               swin_v2_t)
from .vgg import (VGG, VGG11_BN_Weights, VGG11_Weights, VGG13_BN_Weights, VGG13_Weights,
                  VGG16_BN_Weights, VGG16_Weights, VGG19_BN_Weights, VGG19_Weights, vgg11,
                  vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn)
from .vision_transformer import (ViT_B_16_Weights, ViT_B_32_Weights, ViT_H_14_Weights,
                                 ViT_L_16_Weights, ViT_L_32_Weights, VisionTransformer, vit_b_16,
                                 vit_b_32, vit_h_14, vit_l_16, vit_l_32)

_MODULES = (_alexnet_mod, convnext, densenet, efficientnet, _googlenet_mod, mnasnet, mobilenetv2,
            mobilenetv3, regnet, resnet, shufflenetv2, squeezenet, swin_transformer, vgg,
            vision_transformer, _inception_mod, maxvit, segmentation, detection, video)
_BUILDERS = {name: getattr(m, name) for m in _MODULES for name in m.__all__
             if name[0].islower()}
_WEIGHTS = {name: getattr(m, name) for m in _MODULES for name in m.__all__
            if name.endswith("_Weights")}


def list_models(module=None, include=None, exclude=None) -> list[str]:
    """Names of the models ``get_model`` builds (``module``, if given, e.g.
    ``models.resnet``, limits them to that module's)."""
    import fnmatch

    # (``module`` is a package, as torchvision's: ``models.detection``; a model file such as
    # ``models.resnet`` has none of its own; empty filters filter nothing)
    names = sorted(n for n, fn in _BUILDERS.items()
                   if module is None or fn.__module__.rsplit(".", 1)[0] == module.__name__)
    if include:
        pats = [include] if isinstance(include, str) else include
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in pats)]
    if exclude:
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


def get_model_weights(name):
    """The weights enum of a builder, given by name (``"vit_b_16"``) or as the function."""
    import inspect

    builder = get_model_builder(name) if isinstance(name, str) else name
    if "weights" not in inspect.signature(builder).parameters:
        raise ValueError("The method is missing the 'weights' argument.")
    key = getattr(builder, "__name__", "").lower() + "_weights"  # resnet18: ResNet18_Weights
    for enum_name, enum in _WEIGHTS.items():
        if enum_name.lower() == key:
            return enum
    raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. Make "
                     "sure the typing info is correct.")


def get_weight(name: str):
    """The weights enum member named ``"ResNet50_Weights.IMAGENET1K_V2"``."""
    try:
        cls_name, member = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    # (looked up by name in this package and its subpackages, as torchvision does: a name
    # there that is not a class is issubclass's TypeError)
    for names in (globals(), vars(detection), vars(segmentation), vars(video)):
        found = names.get(cls_name)
        if found is not None and issubclass(found, WeightsEnum):
            return found[member]
    raise ValueError(f"The weight enum '{cls_name}' for the specific method couldn't be "
                     "retrieved.")


__all__ = [
    "AlexNet", "AlexNet_Weights", "BasicBlock", "Bottleneck", "DenseNet", "DenseNet121_Weights",
    "DenseNet161_Weights", "DenseNet169_Weights", "DenseNet201_Weights", "EfficientNet",
    "EfficientNet_B0_Weights", "EfficientNet_B1_Weights", "EfficientNet_B2_Weights",
    "EfficientNet_B3_Weights", "EfficientNet_B4_Weights", "EfficientNet_B5_Weights",
    "EfficientNet_B6_Weights", "EfficientNet_B7_Weights", "EfficientNet_V2_L_Weights",
    "EfficientNet_V2_M_Weights", "EfficientNet_V2_S_Weights", "GoogLeNet",
    "GoogLeNetOutputs", "GoogLeNet_Weights", "MobileNetV2", "MobileNetV3",
    "MobileNet_V2_Weights", "MobileNet_V3_Large_Weights", "MobileNet_V3_Small_Weights",
    "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights", "ResNeXt50_32X4D_Weights", "ResNet",
    "ResNet101_Weights", "ResNet152_Weights", "ResNet18_Weights", "ResNet34_Weights",
    "ResNet50_Weights", "ShuffleNetV2", "ShuffleNet_V2_X0_5_Weights", "ShuffleNet_V2_X1_0_Weights",
    "ShuffleNet_V2_X1_5_Weights", "ShuffleNet_V2_X2_0_Weights", "SqueezeNet",
    "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights", "VGG", "VGG11_BN_Weights", "VGG11_Weights",
    "VGG13_BN_Weights", "VGG13_Weights", "VGG16_BN_Weights", "VGG16_Weights", "VGG19_BN_Weights",
    "VGG19_Weights", "Weights", "WeightsEnum", "Wide_ResNet101_2_Weights",
    "Wide_ResNet50_2_Weights", "alexnet", "densenet", "densenet121", "densenet161", "densenet169",
    "densenet201", "efficientnet", "efficientnet_b0", "efficientnet_b1", "efficientnet_b2",
    "efficientnet_b3", "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
    "efficientnet_v2_l", "efficientnet_v2_m", "efficientnet_v2_s", "get_model",
    "get_model_builder", "get_model_weights", "get_weight", "googlenet", "list_models",
    "mobilenet", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "mobilenetv2",
    "mobilenetv3", "resnet",
    "resnet101", "resnet152", "resnet18", "resnet34", "resnet50", "resnext101_32x8d",
    "resnext101_64x4d", "resnext50_32x4d", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
    "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "shufflenetv2", "squeezenet", "squeezenet1_0",
    "squeezenet1_1", "vgg", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
    "vgg19_bn", "wide_resnet101_2", "wide_resnet50_2",
    "ViT_B_16_Weights", "ViT_B_32_Weights", "ViT_H_14_Weights", "ViT_L_16_Weights",
    "ViT_L_32_Weights", "VisionTransformer", "vision_transformer", "vit_b_16", "vit_b_32",
    "vit_h_14", "vit_l_16", "vit_l_32", "ConvNeXt", "ConvNeXt_Base_Weights",
    "ConvNeXt_Large_Weights", "ConvNeXt_Small_Weights", "ConvNeXt_Tiny_Weights", "convnext",
    "convnext_base", "convnext_large", "convnext_small", "convnext_tiny", "RegNet",
    "RegNet_X_16GF_Weights", "RegNet_X_1_6GF_Weights", "RegNet_X_32GF_Weights",
    "RegNet_X_3_2GF_Weights", "RegNet_X_400MF_Weights", "RegNet_X_800MF_Weights",
    "RegNet_X_8GF_Weights", "RegNet_Y_128GF_Weights", "RegNet_Y_16GF_Weights",
    "RegNet_Y_1_6GF_Weights", "RegNet_Y_32GF_Weights", "RegNet_Y_3_2GF_Weights",
    "RegNet_Y_400MF_Weights", "RegNet_Y_800MF_Weights", "RegNet_Y_8GF_Weights", "regnet",
    "regnet_x_16gf", "regnet_x_1_6gf", "regnet_x_32gf", "regnet_x_3_2gf", "regnet_x_400mf",
    "regnet_x_800mf", "regnet_x_8gf", "regnet_y_128gf", "regnet_y_16gf", "regnet_y_1_6gf",
    "regnet_y_32gf", "regnet_y_3_2gf", "regnet_y_400mf", "regnet_y_800mf", "regnet_y_8gf",
    "SwinTransformer", "Swin_B_Weights", "Swin_S_Weights", "Swin_T_Weights", "Swin_V2_B_Weights",
    "Swin_V2_S_Weights", "Swin_V2_T_Weights", "swin_b", "swin_s", "swin_t", "swin_transformer",
    "swin_v2_b", "swin_v2_s", "swin_v2_t", "MNASNet", "MNASNet0_5_Weights",
    "MNASNet0_75_Weights", "MNASNet1_0_Weights", "MNASNet1_3_Weights", "mnasnet", "mnasnet0_5",
    "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
    "Inception3", "InceptionOutputs", "Inception_V3_Weights", "inception", "inception_v3",
    "MaxVit", "MaxVit_T_Weights", "maxvit", "maxvit_t", "segmentation", "detection", "video"]


from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.models")  # a missing API is named
