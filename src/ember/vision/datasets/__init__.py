"""Image datasets with torchvision's API: ``MNIST``, ``FashionMNIST``, ``KMNIST``, and
``ImageFolder``/``DatasetFolder`` for a folder per class."""
from .folder import DatasetFolder, ImageFolder
from .mnist import KMNIST, MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["DatasetFolder", "FashionMNIST", "ImageFolder", "KMNIST", "MNIST",
           "StandardTransform", "VisionDataset"]


from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.datasets")  # a missing API is named
