"""Image datasets with torchvision's API: ``MNIST``, ``FashionMNIST``, ``KMNIST``,
``CIFAR10``/``CIFAR100``, ``FakeData``, and ``ImageFolder``/``DatasetFolder`` for a
folder per class."""
from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .folder import DatasetFolder, ImageFolder
from .mnist import KMNIST, MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "DatasetFolder", "FakeData", "FashionMNIST", "ImageFolder",
           "KMNIST", "MNIST", "StandardTransform", "VisionDataset"]


from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.datasets")  # a missing API is named
