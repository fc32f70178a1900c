"""``FakeData``: random images, the same ones for the same index, as torchvision makes them."""
from __future__ import annotations

import numpy as np

from .. import _pil
from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random images of ``image_size`` (C, H, W) with labels in ``[0, num_classes)``.

    Sample ``i`` is made by seeding the generator with ``i + random_offset`` and
    drawing ``torch.randn(*image_size)`` then ``torch.randint(0, num_classes, (1,))``;
    the caller's generator state is restored afterwards.  So the images equal
    torchvision's for the same arguments.  The image is handed to ``transform`` as
    ``ToPILImage()`` makes it from that tensor.

    NOTE: as torchvision, ``target_transform`` receives the label as a 0-d int64
    tensor and ``.item()`` is taken of what it returns.
    """

    def __init__(self, size: int = 1000, image_size=(3, 224, 224), num_classes: int = 10,
                 transform=None, target_transform=None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int):
        import ember

        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        state = ember.get_rng_state()
        try:
            ember.manual_seed(index + self.random_offset)
            img = ember.randn(*self.image_size)
            target = ember.randint(0, self.num_classes, size=(1,), dtype=ember.long)[0]
        finally:
            ember.set_rng_state(state)
        if _pil.available():
            from ..transforms import functional as F

            img = F.to_pil_image(img)
        elif self.transform is not None:
            # Without Pillow: the uint8 H x W (x C) array the image would hold.
            arr = np.transpose(img.mul(255).byte().numpy(), (1, 2, 0))
            img = arr[:, :, 0] if arr.shape[2] == 1 else arr
        else:
            raise ImportError("FakeData returns PIL images, and Pillow is not installed: pip "
                              "install pillow, or pass transform=transforms.ToTensor() to get "
                              "tensors without it.")
        img, target = self._apply_transforms(img, target)
        return img, target.item()

    def __len__(self) -> int:
        return self.size
