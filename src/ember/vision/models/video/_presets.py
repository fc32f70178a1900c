"""The preprocessing the video classifiers' weights expect (``weights.transforms()``)."""
from __future__ import annotations

from ....nn.modules.module import Module
from ...transforms import functional as F
from ...transforms.functional import InterpolationMode

__all__ = ["VideoClassification"]


class VideoClassification(Module):
    """Frames ``(..., T, C, H, W)``: resize each (no antialiasing), centre-crop, rescale to
    float, normalize, then move the channels first: ``(..., C, T, H, W)``."""

    def __init__(self, *, crop_size, resize_size, mean=(0.43216, 0.394666, 0.37645),
                 std=(0.22803, 0.22145, 0.216989),
                 interpolation=InterpolationMode.BILINEAR) -> None:
        super().__init__()
        self.crop_size = list(crop_size)
        self.resize_size = list(resize_size)
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation

    def forward(self, vid):
        from ...._dtype import float32

        single = vid.ndim < 5
        if single:
            vid = vid.unsqueeze(dim=0)
        n, t, c, h, w = vid.shape
        frames = vid.reshape(-1, c, h, w)
        # NOTE: as torchvision, antialias stays off so the pretrained numbers hold
        frames = F.resize(frames, self.resize_size, interpolation=self.interpolation,
                          antialias=False)
        frames = F.center_crop(frames, self.crop_size)
        frames = F.convert_image_dtype(frames, float32)
        frames = F.normalize(frames, mean=self.mean, std=self.std)
        out = frames.reshape(n, t, c, *self.crop_size).permute(0, 2, 1, 3, 4)
        return out.squeeze(dim=0) if single else out

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(\n    crop_size={self.crop_size}\n    resize_size="
                f"{self.resize_size}\n    mean={self.mean}\n    std={self.std}\n    "
                f"interpolation={self.interpolation}\n)")

    def describe(self) -> str:
        return ("Accepts batched ``(B, T, C, H, W)`` and single ``(T, C, H, W)`` video frame "
                "``torch.Tensor`` objects. The frames are resized to ``resize_size="
                f"{self.resize_size}`` using ``interpolation={self.interpolation}``, followed by "
                f"a central crop of ``crop_size={self.crop_size}``. Finally the values are first "
                f"rescaled to ``[0.0, 1.0]`` and then normalized using ``mean={self.mean}`` and "
                f"``std={self.std}``. Finally the output dimensions are permuted to "
                "``(..., C, T, H, W)`` tensors.")
