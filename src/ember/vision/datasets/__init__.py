"""Image datasets with torchvision's API: ``MNIST``, ``FashionMNIST``, ``KMNIST``."""
from .mnist import KMNIST, MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["FashionMNIST", "KMNIST", "MNIST", "StandardTransform", "VisionDataset"]
