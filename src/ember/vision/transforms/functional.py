"""Functional image transforms with torchvision's API (``torchvision.transforms.functional``).

Each function takes a ``PIL.Image`` (handled by Pillow) or a tensor shaped
``[..., C, H, W]`` (handled by ember ops) and returns the same kind.
"""
from __future__ import annotations

import numbers
import sys
import warnings
from enum import Enum

import numpy as np

from ..._tensor import Tensor
from .. import _pil
from . import _functional_pil as F_pil
from . import _functional_tensor as F_t

__all__ = ["InterpolationMode", "center_crop", "convert_image_dtype", "crop", "get_dimensions",
           "get_image_num_channels", "get_image_size", "hflip", "normalize", "pad",
           "pil_to_tensor", "resize", "resized_crop", "to_pil_image", "to_tensor", "vflip"]


class InterpolationMode(Enum):
    """Interpolation modes; the values are the names ``nn.functional.interpolate`` uses."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"  # PIL only
    HAMMING = "hamming"  # PIL only
    LANCZOS = "lanczos"  # PIL only


# Pillow's integer constants for the resampling filters (PIL.Image.Resampling).
_PIL_INTS = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0,
             InterpolationMode.LANCZOS: 1, InterpolationMode.BILINEAR: 2,
             InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4,
             InterpolationMode.HAMMING: 5}
pil_modes_mapping = _PIL_INTS


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    modes = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
             3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
             5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}
    return modes[i]


def _is_numpy_image(img) -> bool:
    return img.ndim in (2, 3)


def _no_pil_array(img) -> bool:
    """A NumPy image handed on by a dataset because Pillow is missing."""
    return isinstance(img, np.ndarray) and not _pil.available()


def _needs_pil(img, what: str):
    if _no_pil_array(img):
        raise ImportError(f"{what} on an image that is not a tensor needs Pillow, which is not "
                          "installed: pip install pillow, or put transforms.ToTensor() before "
                          f"{what} so that it works on the tensor.")


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]`` of an image."""
    if isinstance(img, Tensor):
        return F_t.get_dimensions(img)
    _needs_pil(img, "get_dimensions")
    return F_pil.get_dimensions(img)


def get_image_size(img) -> list[int]:
    """``[width, height]`` of an image (note the order, as torchvision)."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


# -- conversions --------------------------------------------------------------------------------

def _from_numpy(arr: np.ndarray) -> Tensor:
    from ..._ops.creation import from_numpy

    return from_numpy(arr)


def to_tensor(pic) -> Tensor:
    """A ``PIL.Image`` or ``ndarray`` (H x W x C) as a ``C x H x W`` tensor.

    uint8 data (and PIL modes other than ``I``, ``I;16``, ``F``) becomes the
    default float dtype scaled to ``[0, 1]``; other data keeps its values and type.
    """
    if not (_pil.is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray) and not _is_numpy_image(pic):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    from ..._dtype import get_default_dtype

    if isinstance(pic, np.ndarray):
        if pic.ndim == 2:
            pic = pic[:, :, None]
        chw = np.ascontiguousarray(pic.transpose(2, 0, 1))
        if chw.dtype != np.uint8:
            return _from_numpy(chw)
    else:
        mode_types = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
                      "F": np.float32}
        arr = np.array(pic, mode_types.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = 255 * arr
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if chw.dtype != np.uint8:
            return _from_numpy(chw)
    ftype = get_default_dtype().np
    # NOTE: torch converts then divides in that float type; so does this.
    return _from_numpy(chw.astype(ftype) / ftype.type(255))


def pil_to_tensor(pic) -> Tensor:
    """A ``PIL.Image`` as a ``C x H x W`` tensor of its own type, values unchanged."""
    if _no_pil_array(pic) and _is_numpy_image(pic):
        arr = pic if pic.ndim == 3 else pic[:, :, None]
        return _from_numpy(np.array(arr, copy=True)).permute(2, 0, 1)
    if not _pil.is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return _from_numpy(arr).permute(2, 0, 1)


def to_pil_image(pic, mode=None):
    """A ``C x H x W`` tensor or ``H x W x C`` ndarray as a ``PIL.Image``.

    Float data is scaled by 255 to uint8 (unless ``mode='F'``); with one channel the
    mode follows the type (uint8 ``L``, int16 ``I;16``, int32 ``I``, float32 ``F``), with 2,
    3, 4 channels it is ``LA``, ``RGB``, ``RGBA``.
    """
    image = _pil.image_module()
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic.unsqueeze(0)
        if pic.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-3]} channels.")
        if pic.is_floating_point() and mode != "F":
            pic = pic.mul(255).byte()
        npimg = np.transpose(pic.detach().cpu().numpy(), (1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        npimg = pic[:, :, None] if pic.ndim == 2 else pic
        if npimg.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {npimg.shape[-1]} channels.")
        if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
            npimg = (npimg * 255).astype(np.uint8)
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        by_type = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                   np.dtype(np.int32): "I", np.dtype(np.float32): "F"}
        expected = by_type.get(npimg.dtype)
        if mode is not None and expected is not None and mode != expected and not (
                mode == "1" and npimg.dtype == np.uint8):
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type "
                             f"{npimg.dtype}. Should be {expected}")
        mode = mode or expected
    elif mode is None:
        mode = {2: "LA", 3: "RGB", 4: "RGBA"}[channels]
        if npimg.dtype != np.uint8:
            raise TypeError(f"Input type {npimg.dtype} is not supported")
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    if mode in ("L", "LA", "RGB", "RGBA", "1") and npimg.dtype != np.uint8:
        npimg = npimg.astype(np.uint8)
    out = image.fromarray(np.ascontiguousarray(npimg))
    return out if out.mode == mode else out.convert(mode)


def convert_image_dtype(image: Tensor, dtype=None) -> Tensor:
    """Convert a tensor image to ``dtype`` (default float32), rescaling the value range."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if dtype is None:
        from ..._dtype import float32

        dtype = float32
    return F_t.convert_image_dtype(image, dtype)


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """``(tensor - mean[c]) / std[c]`` per channel of a float ``[..., C, H, W]`` tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    return F_t.normalize(tensor, mean=mean, std=std, inplace=inplace)


# -- geometry -------------------------------------------------------------------------------------

def _compute_resized_output_size(image_size, size, max_size=None) -> list[int]:
    h, w = image_size
    if len(size) == 1:  # match the smaller edge, keep the aspect ratio
        short, long = (w, h) if w <= h else (h, w)
        requested = size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
           antialias: bool | None = True):
    """Resize to ``size`` (``[h, w]``, or an int/``[n]`` for the smaller edge).

    PIL images are resized by Pillow (always antialiased).  Tensors use
    ``nn.functional.interpolate`` for nearest and non-antialiased bilinear, and
    PyTorch's antialiased/bicubic weights otherwise.
    """
    if isinstance(interpolation, int):
        interpolation = _interpolation_modes_from_int(interpolation)
    elif not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a "
                        "corresponding Pillow integer constant")
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of "
                             "the smaller edge, i.e. size should be an int or a sequence of "
                             "length 1 in torchscript mode.")
    _needs_pil(img, "resize")
    _, height, width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((height, width), list(size), max_size)
    if [height, width] == output_size:
        return img
    if not isinstance(img, Tensor):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                          "antialias is ignored.", stacklevel=2)
        return F_pil.resize(img, output_size, _PIL_INTS[interpolation])
    return F_t.resize(img, output_size, interpolation.value, antialias)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad by ``padding`` (int, ``[l/r, t/b]`` or ``[l, t, r, b]``; negative crops).

    ``padding_mode``: ``constant`` (with ``fill``), ``edge``, ``reflect`` or ``symmetric``.
    """
    if isinstance(img, Tensor):
        return F_t.pad(img, padding, fill, padding_mode)
    _needs_pil(img, "pad")
    return F_pil.pad(img, padding, fill, padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height x width`` region whose top-left corner is ``(top, left)``; zeros outside."""
    if isinstance(img, Tensor):
        return F_t.crop(img, top, left, height, width)
    _needs_pil(img, "crop")
    return F_pil.crop(img, top, left, height, width)


def center_crop(img, output_size):
    """The central ``output_size`` region, padding with zeros when the image is smaller."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    # NOTE: Python's round (half to even) of the half offsets, as torchvision.
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    """Mirror left-right."""
    if isinstance(img, Tensor):
        return F_t.hflip(img)
    _needs_pil(img, "hflip")
    return F_pil.hflip(img)


def vflip(img):
    """Mirror top-bottom."""
    if isinstance(img, Tensor):
        return F_t.vflip(img)
    _needs_pil(img, "vflip")
    return F_pil.vflip(img)


from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.transforms.functional")  # a missing API is named
