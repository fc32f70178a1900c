"""``ImageList``: a padded batch of images together with each image's size before padding."""
from __future__ import annotations

__all__ = ["ImageList"]


class ImageList:
    """``tensors`` is the ``(N, C, H, W)`` padded batch; ``image_sizes[i]`` is image ``i``'s
    ``(height, width)`` inside it."""

    def __init__(self, tensors, image_sizes: list[tuple[int, int]]) -> None:
        self.tensors = tensors
        self.image_sizes = image_sizes

    def to(self, device) -> ImageList:
        return ImageList(self.tensors.to(device), self.image_sizes)
