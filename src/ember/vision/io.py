"""Reading images into tensors (``torchvision.io.read_image``), through Pillow."""
from __future__ import annotations

from enum import Enum

import numpy as np

from . import _pil

__all__ = ["ImageReadMode", "decode_image", "read_file", "read_image"]


class ImageReadMode(Enum):
    """Colour mode to read in: as stored, grey, grey + alpha, RGB, RGB + alpha."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
              ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}
_NAMES = {"UNCHANGED": ImageReadMode.UNCHANGED, "GRAY": ImageReadMode.GRAY,
          "GRAY_ALPHA": ImageReadMode.GRAY_ALPHA, "RGB": ImageReadMode.RGB,
          "RGBA": ImageReadMode.RGB_ALPHA, "RGB_ALPHA": ImageReadMode.RGB_ALPHA}


def read_file(path):
    """The bytes of ``path`` as a 1-D uint8 tensor."""
    from .._ops.creation import from_numpy

    with open(path, "rb") as f:
        return from_numpy(np.frombuffer(bytearray(f.read()), dtype=np.uint8))


def _decode(pil_image, mode):
    from .._ops.creation import from_numpy

    if isinstance(mode, str):
        mode = _NAMES[mode.upper()]
    if mode is ImageReadMode.UNCHANGED:
        if pil_image.mode not in ("L", "LA", "RGB", "RGBA"):
            pil_image = pil_image.convert("RGBA" if "A" in pil_image.getbands() else "RGB")
    else:
        pil_image = pil_image.convert(_PIL_MODES[mode])
    arr = np.array(pil_image, dtype=np.uint8, copy=True)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """A PNG/JPEG/... file as a ``C x H x W`` uint8 tensor (decoded by Pillow)."""
    image = _pil.image_module()
    with image.open(path) as im:
        if apply_exif_orientation:
            from PIL import ImageOps

            im = ImageOps.exif_transpose(im)
        return _decode(im, mode)


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """Decode encoded image bytes (a 1-D uint8 tensor, as ``read_file`` gives) or a path."""
    import io as _io
    import os

    if isinstance(input, (str, os.PathLike)):
        return read_image(input, mode, apply_exif_orientation)
    image = _pil.image_module()
    data = bytes(input.numpy().tobytes()) if hasattr(input, "numpy") else bytes(input)
    with image.open(_io.BytesIO(data)) as im:
        if apply_exif_orientation:
            from PIL import ImageOps

            im = ImageOps.exif_transpose(im)
        return _decode(im, mode)
