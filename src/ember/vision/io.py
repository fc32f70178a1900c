"""Reading and writing images as tensors (``torchvision.io``), through Pillow.

torchvision decodes with libpng and libjpeg; Pillow links the same libraries, and
where torchvision asks them for a conversion that Pillow does differently, the
conversion is done here the libpng/libjpeg way (see :func:`_png_gray`).
"""
from __future__ import annotations

import io as _io
import os
from enum import Enum

import numpy as np

from . import _pil

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg",
           "encode_png", "read_file", "read_image", "write_file", "write_jpeg", "write_png"]


class ImageReadMode(Enum):
    """Colour mode to read in: as stored, grey, grey + alpha, RGB, RGB + alpha."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA  # an alias, as torchvision's


# torchvision 0.29 deprecates its image decoding and encoding (a DeprecationWarning per call)
_DEPRECATION_MSG = (
    "The image decoding and encoding capabilities of TorchVision are deprecated "
    "since torchvision 0.29 and will be removed in a future release. They are "
    "superseded by the more complete decoders and encoders of TorchCodec (from "
    "torchcodec 0.16). Please see "
    "https://meta-pytorch.org/torchcodec/0.16/generated_examples/migration/"
    "torchvision_migration.html on how to migrate your code."
)


def _warn_deprecated():
    import warnings

    warnings.warn(_DEPRECATION_MSG, DeprecationWarning, stacklevel=1)  # as torchvision


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
              ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}
_NAMES = {"UNCHANGED": ImageReadMode.UNCHANGED, "GRAY": ImageReadMode.GRAY,
          "GRAY_ALPHA": ImageReadMode.GRAY_ALPHA, "RGB": ImageReadMode.RGB,
          "RGBA": ImageReadMode.RGB_ALPHA, "RGB_ALPHA": ImageReadMode.RGB_ALPHA}


def read_file(path):
    """The bytes of ``path`` as a 1-D uint8 tensor."""
    from .._ops.creation import from_numpy

    _warn_deprecated()
    try:
        f = open(path, "rb")
    except OSError as e:  # NOTE: torchvision's reader raises RuntimeError with the OS message
        raise RuntimeError(str(e)) from e
    with f:
        return from_numpy(np.frombuffer(bytearray(f.read()), dtype=np.uint8))


def write_file(filename, data):
    """Write a 1-D uint8 tensor of bytes to ``filename``; returns ``data`` (as torchvision)."""
    _warn_deprecated()
    with open(filename, "wb") as f:
        f.write(data.numpy().tobytes())
    return data


def _png_gray(rgb):
    """libpng's RGB -> grey (as torchvision asks it, weights 0.2989 and 0.587).

    NOTE: not Pillow's ``convert("L")``: libpng scales the weights to 15 bits
    (9794, 19234 and the rest, 3740, for blue), truncates the weighted sum, and
    passes pixels with R == G == B through unchanged.
    """
    r, g, b = (rgb[..., k].astype(np.int64) for k in range(3))
    grey = (9794 * r + 19234 * g + 3740 * b) >> 15
    return np.where((r == g) & (r == b), r, grey).astype(rgb.dtype)


def _png_array(im, mode):
    """``H x W x C`` pixels of a PNG as torchvision's libpng path gives them."""
    if im.mode in ("I;16", "I;16B", "I"):  # 16-bit grey stays 16-bit (uint16)
        grey = np.array(im).astype(np.uint16)[..., None]
        opaque = np.full_like(grey, 65535)
        return {ImageReadMode.RGB: [grey] * 3, ImageReadMode.RGB_ALPHA: [grey] * 3 + [opaque],
                ImageReadMode.GRAY_ALPHA: [grey, opaque]}.get(mode, [grey])
    if mode is ImageReadMode.UNCHANGED:
        if im.mode == "1":
            im = im.convert("L")
        elif im.mode == "P":  # NOTE: torchvision returns the palette indices
            return np.array(im, dtype=np.uint8)
        elif im.mode not in ("L", "LA", "RGB", "RGBA"):
            im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
        return np.array(im, dtype=np.uint8)
    if mode in (ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA) and im.mode in ("RGB", "RGBA", "P"):
        rgba = np.array(im.convert("RGBA"), dtype=np.uint8)
        grey = _png_gray(rgba)[..., None]
        return grey if mode is ImageReadMode.GRAY else np.concatenate([grey, rgba[..., 3:]], -1)
    return np.array(im.convert(_PIL_MODES[mode]), dtype=np.uint8)


def _jpeg_array(im, mode):
    """``H x W x C`` pixels of a JPEG (UNCHANGED, GRAY or RGB, as torchvision)."""
    if mode not in (ImageReadMode.UNCHANGED, ImageReadMode.GRAY, ImageReadMode.RGB):
        raise RuntimeError("The provided mode is not supported for JPEG files")
    if mode is ImageReadMode.GRAY and im.mode != "L":
        im.draft("L", im.size)  # libjpeg hands out its luma plane, as torchvision's decoder
    if mode is ImageReadMode.UNCHANGED and im.mode in ("L", "RGB"):
        return np.array(im, dtype=np.uint8)
    return np.array(im.convert(_PIL_MODES.get(mode, "RGB")), dtype=np.uint8)


def _decode(pil_image, mode):
    from .._ops.creation import from_numpy

    if isinstance(mode, str):
        mode = _NAMES[mode.upper()]
    if pil_image.format == "PNG":
        arr = _png_array(pil_image, mode)
    elif pil_image.format == "JPEG":
        arr = _jpeg_array(pil_image, mode)
    elif mode is ImageReadMode.UNCHANGED:
        if pil_image.mode not in ("L", "LA", "RGB", "RGBA"):
            pil_image = pil_image.convert("RGBA" if "A" in pil_image.getbands() else "RGB")
        arr = np.array(pil_image, dtype=np.uint8)
    else:
        arr = np.array(pil_image.convert(_PIL_MODES[mode]), dtype=np.uint8)
    if isinstance(arr, list):
        arr = np.concatenate(arr, -1)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def _open_decode(fp, mode, apply_exif_orientation, formats=None):
    image = _pil.image_module()
    if isinstance(fp, (str, os.PathLike)) and not os.path.isfile(fp):
        read_file(fp)  # raises torchvision's RuntimeError
    with image.open(fp, formats=formats) as im:
        if apply_exif_orientation:
            from PIL import ImageOps

            transposed = ImageOps.exif_transpose(im)
            transposed.format = im.format
            im = transposed
        return _decode(im, mode)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """A PNG/JPEG/... file as a ``C x H x W`` uint8 tensor (decoded by Pillow)."""
    _warn_deprecated()
    return _open_decode(path, mode, apply_exif_orientation)


def _bytes(data):
    return bytes(data.numpy().tobytes()) if hasattr(data, "numpy") else bytes(data)


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """Decode encoded image bytes (a 1-D uint8 tensor, as ``read_file`` gives) or a path."""
    _warn_deprecated()
    if isinstance(input, (str, os.PathLike)):
        return read_image(input, mode, apply_exif_orientation)
    data = _bytes(input)
    if not (data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8\xff")
            or data.startswith(b"GIF8") or data[8:12] == b"WEBP"):
        raise RuntimeError("Unsupported image file. Only jpeg, png, webp and gif are currently "
                           "supported. For avif and heic format, please rely on `decode_avif` "
                           "and `decode_heic` directly.")
    return _open_decode(_io.BytesIO(data), mode, apply_exif_orientation)


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """Decode the bytes of a PNG (a 1-D uint8 tensor) into a ``C x H x W`` tensor."""
    _warn_deprecated()
    data = _bytes(input)
    if len(data) < 8:
        raise RuntimeError("Content is too small for png!")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise RuntimeError("Content is not png!")
    return _open_decode(_io.BytesIO(data), mode, apply_exif_orientation, ("PNG",))


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu",
                apply_exif_orientation: bool = False):
    """Decode JPEG bytes (a 1-D uint8 tensor, or a list of them) into ``C x H x W`` tensors."""
    _warn_deprecated()
    if isinstance(input, (list, tuple)):
        return [decode_jpeg(x, mode, device, apply_exif_orientation) for x in input]
    data = _bytes(input)
    if not data.startswith(b"\xff\xd8"):
        head = " ".join(f"0x{b:02x}" for b in data[:2])
        raise RuntimeError(f"Not a JPEG file: starts with {head}")
    out = _open_decode(_io.BytesIO(data), mode, apply_exif_orientation, ("JPEG",))
    return out if str(device) == "cpu" else out.to(device)


def _check_encodable(input, name):
    """``H x W`` or ``H x W x 3`` uint8 pixels of a ``C x H x W`` tensor with C in (1, 3)."""
    from .. import uint8

    if input.dtype != uint8:
        raise RuntimeError("Input tensor dtype should be uint8")
    if input.dim() != 3:
        raise RuntimeError("Input data should be a 3-dimensional tensor")
    channels = input.size(0)
    if channels not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {channels}")
    pixels = input.detach().cpu().numpy().transpose(1, 2, 0)
    return np.ascontiguousarray(pixels[:, :, 0] if channels == 1 else pixels)


def _as_tensor(data):
    from .._ops.creation import from_numpy

    return from_numpy(np.frombuffer(bytearray(data), dtype=np.uint8))


def encode_png(input, compression_level: int = 6):
    """A ``C x H x W`` uint8 tensor (C = 1 or 3) as the bytes of a PNG (1-D uint8 tensor)."""
    _warn_deprecated()
    if not 0 <= compression_level <= 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    pixels = _check_encodable(input, "encode_png")
    buf = _io.BytesIO()
    _pil.image_module().fromarray(pixels).save(buf, format="PNG", compress_level=compression_level)
    return _as_tensor(buf.getvalue())


def write_png(input, filename, compression_level: int = 6):
    """Write a ``C x H x W`` uint8 tensor to ``filename`` as a PNG; returns the PNG's bytes."""
    _warn_deprecated()
    return write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality: int = 75):
    """A ``C x H x W`` uint8 tensor (C = 1 or 3), or a list of them, as JPEG bytes.

    Pillow and torchvision both hand the pixels to libjpeg with the same defaults
    (4:2:0 chroma subsampling for colour, no optimised tables), so the bytes match.
    """
    _warn_deprecated()
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, (list, tuple)):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is "
                             "passed")
        return [encode_jpeg(x, quality) for x in input]
    pixels = _check_encodable(input, "encode_jpeg")
    buf = _io.BytesIO()
    _pil.image_module().fromarray(pixels).save(buf, format="JPEG", quality=quality)
    return _as_tensor(buf.getvalue())


def write_jpeg(input, filename, quality: int = 75):
    """Write a ``C x H x W`` uint8 tensor to ``filename`` as a JPEG; returns the JPEG's bytes."""
    _warn_deprecated()
    return write_file(filename, encode_jpeg(input, quality))
