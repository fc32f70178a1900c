"""Image transforms with torchvision's API (``torchvision.transforms``).

>>> from ember.vision import transforms
>>> transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
Compose(
    ToTensor()
    Normalize(mean=(0.5,), std=(0.5,))
)
"""
from . import functional
from .functional import InterpolationMode
from .transforms import (CenterCrop, Compose, ConvertImageDtype, Lambda, Normalize, Pad,
                         PILToTensor, RandomCrop, RandomHorizontalFlip, RandomResizedCrop,
                         RandomVerticalFlip, Resize, ToPILImage, ToTensor)

__all__ = ["CenterCrop", "Compose", "ConvertImageDtype", "InterpolationMode", "Lambda",
           "Normalize", "PILToTensor", "Pad", "RandomCrop", "RandomHorizontalFlip",
           "RandomResizedCrop", "RandomVerticalFlip", "Resize", "ToPILImage", "ToTensor",
           "functional"]


from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.transforms")  # a missing API is named
