"""Image transforms with torchvision's API (``torchvision.transforms``).

>>> from ember.vision import transforms
>>> transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
Compose(
    ToTensor()
    Normalize(mean=(0.5,), std=(0.5,))
)
"""
from . import functional
from .autoaugment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from .functional import InterpolationMode
from .transforms import (CenterCrop, ColorJitter, Compose, ConvertImageDtype, ElasticTransform,
                         FiveCrop,
                         GaussianBlur, Grayscale, Lambda, LinearTransformation, Normalize, Pad,
                         PILToTensor, RandomAdjustSharpness, RandomAffine, RandomApply,
                         RandomAutocontrast, RandomChoice, RandomCrop, RandomEqualize,
                         RandomErasing, RandomGrayscale, RandomHorizontalFlip, RandomInvert,
                         RandomOrder, RandomPerspective, RandomPosterize, RandomResizedCrop,
                         RandomRotation, RandomSolarize, RandomVerticalFlip, Resize, TenCrop,
                         ToPILImage, ToTensor)
__all__ = ["AugMix", "AutoAugment", "AutoAugmentPolicy", "CenterCrop", "ColorJitter", "Compose",
           "ConvertImageDtype", "ElasticTransform", "FiveCrop", "GaussianBlur", "Grayscale",
           "InterpolationMode",
           "Lambda", "LinearTransformation", "Normalize", "PILToTensor", "Pad", "RandAugment",
           "RandomAdjustSharpness", "RandomAffine", "RandomApply", "RandomAutocontrast",
           "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing", "RandomGrayscale",
           "RandomHorizontalFlip", "RandomInvert", "RandomOrder", "RandomPerspective",
           "RandomPosterize", "RandomResizedCrop", "RandomRotation", "RandomSolarize",
           "RandomVerticalFlip", "Resize", "TenCrop", "ToPILImage", "ToTensor",
           "TrivialAugmentWide", "functional"]


from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

_missing = _module_getattr("torchvision.transforms")


def __getattr__(name):  # ``transforms.v2`` loads on first use; other missing APIs are named
    if name == "v2":
        import importlib

        from ... import _compat

        module = importlib.import_module(".v2", __name__)
        if _compat.installed():  # under ``ember run``: its classes print torchvision's names
            _compat.name_classes_as_torch()
        return module
    return _missing(name)
