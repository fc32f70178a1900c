"""``VisionDataset``: the base of image datasets, with torchvision's ``repr``."""
from __future__ import annotations

import os

from ...utils.data import Dataset
from .. import _pil


class VisionDataset(Dataset):
    """Base class of image datasets: ``root``, ``transform``, ``target_transform``.

    ``transforms`` (a callable on ``(input, target)``) and the pair
    ``transform``/``target_transform`` are mutually exclusive.
    """

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        has_separate = transform is not None or target_transform is not None
        if transforms is not None and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform = transform
        self.target_transform = target_transform
        if has_separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def __repr__(self) -> str:
        # NOTE: as torchvision, a multi-line transforms repr is indented on its
        # first line only.
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:
            body.append(repr(self.transforms))
        pad = " " * self._repr_indent
        return "\n".join(["Dataset " + type(self).__name__] + [pad + line for line in body])

    def _format_transform_repr(self, transform, head: str) -> list[str]:
        return _format_transform_repr(transform, head)

    def extra_repr(self) -> str:
        return ""

    def _image_from_array(self, array):
        """A sample image from its uint8 H x W (x C) ``array``: a ``PIL.Image``, as
        torchvision hands every transform; without Pillow, the array itself, which
        ``ToTensor``/``PILToTensor`` turn into the same tensor (an ImportError if there is no
        transform to take it)."""
        if _pil.available():
            return _pil.image_module().fromarray(array)
        if self.transform is None:
            raise ImportError(f"{type(self).__name__} returns PIL images, and Pillow is not "
                              "installed: pip install pillow, or pass "
                              "transform=transforms.ToTensor() to get tensors without it.")
        return array

    def _apply_transforms(self, sample, target):
        """``(sample, target)`` through ``transform`` and ``target_transform`` (where set)."""
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target


def _format_transform_repr(transform, head: str) -> list[str]:
    lines = repr(transform).splitlines()
    return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]


class StandardTransform:
    """Applies ``transform`` to the input and ``target_transform`` to the target."""

    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def __repr__(self) -> str:
        body = [type(self).__name__]
        if self.transform is not None:
            body += _format_transform_repr(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += _format_transform_repr(self.target_transform, "Target transform: ")
        return "\n".join(body)
