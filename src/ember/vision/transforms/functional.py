"""Functional image transforms with torchvision's API (``torchvision.transforms.functional``).

Each function takes a ``PIL.Image`` (handled by Pillow) or a tensor shaped
``[..., C, H, W]`` (handled by ember ops) and returns the same kind.
"""
from __future__ import annotations

import math
import numbers
import sys
from ember._warnings import warn as _warn
from enum import Enum

import numpy as np

from ..._tensor import Tensor
from .. import _pil
from . import _functional_pil as F_pil
from . import _functional_tensor as F_t

__all__ = ["InterpolationMode", "adjust_brightness", "adjust_contrast", "adjust_gamma",
           "adjust_hue", "adjust_saturation", "adjust_sharpness", "affine", "autocontrast",
           "center_crop", "convert_image_dtype", "crop", "elastic_transform",
           "equalize", "erase", "five_crop",
           "gaussian_blur", "get_dimensions", "get_image_num_channels", "get_image_size", "hflip",
           "invert", "normalize", "pad", "pil_to_tensor", "posterize", "resize", "resized_crop",
           "rgb_to_grayscale", "rotate", "solarize", "ten_crop", "to_grayscale", "to_pil_image",
           "to_tensor", "vflip"]


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


def _pil_or_tensor(name: str, img, *args):
    """Call ``name`` from the tensor module for tensors, from the Pillow module otherwise."""
    if isinstance(img, Tensor):
        return getattr(F_t, name)(img, *args)
    _needs_pil(img, name)
    return getattr(F_pil, name)(img, *args)


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]`` of an image."""
    return _pil_or_tensor("get_dimensions", img)


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
    3, 4 channels it is ``LA``, ``RGB``, ``RGBA`` (uint8 only).  A ``mode`` given for 2, 3
    or 4 channels must be one of ``LA`` / ``RGB``, ``YCbCr``, ``HSV`` / ``RGBA``, ``CMYK``,
    ``RGBX``, and the bytes are read as that mode as they are (no colour conversion).
    """
    import sys

    image = _pil.image_module()
    if isinstance(pic, Tensor):
        if pic.ndim == 3:
            pic = pic.permute(1, 2, 0)
        pic = pic.detach().cpu().numpy()
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        expected = {np.dtype(np.uint8): "L",
                    np.dtype(np.int16): "I;16" if sys.byteorder == "little" else "I;16B",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(npimg.dtype)
        if mode is not None and mode != expected:
            # NOTE: torchvision's message names the class ``np.dtype``, not the array's dtype.
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        allowed = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[channels]
        if mode is not None and mode not in allowed:
            raise ValueError(f"Only modes {allowed} are supported for {channels}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = allowed[0]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    height, width = npimg.shape[:2]
    return image.frombuffer(mode, (width, height), np.ascontiguousarray(npimg).tobytes(), "raw",
                            mode, 0, 1)


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
            _warn("Anti-alias option is always applied for PIL Image input. Argument "
                  "antialias is ignored.", stacklevel=2)
        return F_pil.resize(img, output_size, _PIL_INTS[interpolation])
    return F_t.resize(img, output_size, interpolation.value, antialias)


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad by ``padding`` (int, ``[l/r, t/b]`` or ``[l, t, r, b]``; negative crops).

    ``padding_mode``: ``constant`` (with ``fill``), ``edge``, ``reflect`` or ``symmetric``.
    """
    return _pil_or_tensor("pad", img, padding, fill, padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height x width`` region whose top-left corner is ``(top, left)``; zeros outside."""
    return _pil_or_tensor("crop", img, top, left, height, width)


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
    return _pil_or_tensor("hflip", img)


def vflip(img):
    """Mirror top-bottom."""
    return _pil_or_tensor("vflip", img)


def _crop_size(size):
    """``size`` for ``five_crop``/``ten_crop`` as ``(h, w)``: a number or a one-item
    sequence stands for a square."""
    if isinstance(size, numbers.Number):
        return (int(size), int(size))
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return size


def five_crop(img, size):
    """The four corner crops and the central crop of ``size``, as ``(tl, tr, bl, br, center)``."""
    size = _crop_size(size)
    _, height, width = get_dimensions(img)
    crop_h, crop_w = size
    if crop_w > width or crop_h > height:
        raise ValueError(f"Requested crop size {size} is bigger than input size "
                         f"{(height, width)}")
    bottom, right = height - crop_h, width - crop_w
    corners = [crop(img, top, left, crop_h, crop_w)
               for top, left in ((0, 0), (0, right), (bottom, 0), (bottom, right))]
    return (*corners, center_crop(img, [crop_h, crop_w]))


def ten_crop(img, size, vertical_flip: bool = False):
    """``five_crop`` of the image, then of its mirror (left-right, or top-bottom)."""
    size = _crop_size(size)
    mirrored = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(mirrored, size)


# -- colour ---------------------------------------------------------------------------------------

def adjust_brightness(img, brightness_factor: float):
    """Scale the intensities: 0 gives black, 1 the original, 2 twice as bright."""
    return _pil_or_tensor("adjust_brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey: 0 gives a flat grey image, 1 the original."""
    return _pil_or_tensor("adjust_contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image: 0 gives grey, 1 the original, 2 twice as saturated."""
    return _pil_or_tensor("adjust_saturation", img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Turn the hue by ``hue_factor`` of a full circle (in ``[-0.5, 0.5]``) through HSV."""
    return _pil_or_tensor("adjust_hue", img, hue_factor)


def adjust_gamma(img, gamma: float, gain: float = 1):
    """``gain * I ** gamma`` on intensities in [0, 1]."""
    return _pil_or_tensor("adjust_gamma", img, gamma, gain)


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a smoothed copy: 0 gives it, 1 the original, 2 twice as sharp."""
    return _pil_or_tensor("adjust_sharpness", img, sharpness_factor)


def to_grayscale(img, num_output_channels: int = 1):
    """A ``PIL.Image`` of any mode in greyscale (1 channel, or 3 equal ones)."""
    if _pil.is_pil_image(img):
        return F_pil.to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Greyscale version of an RGB image (``[..., 3, H, W]`` tensor or ``PIL.Image``)."""
    if isinstance(img, Tensor):
        return F_t.rgb_to_grayscale(img, num_output_channels)
    _needs_pil(img, "rgb_to_grayscale")
    return F_pil.to_grayscale(img, num_output_channels)


def invert(img):
    """``max - value`` for every channel (255 for uint8, 1.0 for floats)."""
    return _pil_or_tensor("invert", img)


def posterize(img, bits: int):
    """Keep the ``bits`` most significant bits of each channel (uint8 only)."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _pil_or_tensor("posterize", img, bits)


def solarize(img, threshold: float):
    """Invert every value ``>= threshold``."""
    return _pil_or_tensor("solarize", img, threshold)


def autocontrast(img):
    """Stretch each channel to the full range (darkest value -> 0, lightest -> max)."""
    return _pil_or_tensor("autocontrast", img)


def equalize(img):
    """Histogram-equalise each channel (uint8 tensors, or ``P``/``L``/``RGB`` images)."""
    return _pil_or_tensor("equalize", img)


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Set ``img[..., i:i+h, j:j+w] = v`` (a copy unless ``inplace``); tensors only."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace=inplace)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel of ``kernel_size`` (odd; int or ``[kx, ky]``).

    ``sigma`` (float or ``[sx, sy]``) defaults to ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``.
    Borders are reflected.  A ``PIL.Image`` is blurred as a uint8 tensor and
    converted back, as torchvision does.
    """
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError("kernel_size should be int or a sequence of integers. Got "
                        f"{type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError("If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if isinstance(img, Tensor):
        return F_t.gaussian_blur(img, list(kernel_size), list(sigma))
    _needs_pil(img, "gaussian_blur")
    if not _pil.is_pil_image(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    blurred = F_t.gaussian_blur(pil_to_tensor(img), list(kernel_size), list(sigma))
    return to_pil_image(blurred, mode=img.mode)


# -- rotations and affine warps ---------------------------------------------------------------

def _get_inverse_affine_matrix(center, angle: float, translate, scale: float, shear,
                               inverted: bool = True) -> list[float]:
    """The 2 x 3 matrix of the affine map, or (``inverted``) of its inverse, as a flat list.

    The map is ``T(translate) C(center) R(angle) S(scale) Shy(shear[1]) Shx(shear[0])
    C(center)^-1`` with angles in degrees, ``R`` turning clockwise in image coordinates
    (y down) and ``Shx(s) = [[1, -tan s], [0, 1]]``, ``Shy(s) = [[1, 0], [-tan s, 1]]``.
    Pillow's ``transform`` wants the inverse (output pixel -> input pixel).
    """
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # R(rot) @ Shy(sy) @ Shx(sx), before scaling; its determinant is 1
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        m = [v / scale for v in (d, -b, 0.0, -c, a, 0.0)]
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    else:
        m = [v * scale for v in (a, b, 0.0, c, d, 0.0)]
        m[2] += m[0] * (-cx) + m[1] * (-cy) + (cx + tx)
        m[5] += m[3] * (-cx) + m[4] * (-cy) + (cy + ty)
    return m


def _check_interpolation(interpolation) -> InterpolationMode:
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a "
                        "corresponding Pillow integer constant")
    return interpolation


def _centre_offset(center, img) -> list[float]:
    """``center`` in pixels measured from the image centre (the tensor warps' origin)."""
    if center is None:
        return [0.0, 0.0]
    _, height, width = get_dimensions(img)
    return [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center=None, fill=None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default: the centre).

    PIL images go through Pillow's ``Image.rotate``; tensors are resampled
    (``nearest`` or ``bilinear``) as torchvision's ``grid_sample`` path does.
    ``expand`` grows the output to hold the whole turned image; ``fill`` colours
    the area that comes from outside.
    """
    interpolation = _check_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not isinstance(img, Tensor):
        _needs_pil(img, "rotate")
        return F_pil.rotate(img, angle, _PIL_INTS[interpolation], expand, center, fill)
    # NOTE: affine() turns clockwise and rotate() counter-clockwise, hence -angle.
    matrix = _get_inverse_affine_matrix(_centre_offset(center, img), -angle, [0.0, 0.0], 1.0,
                                        [0.0, 0.0])
    return F_t.rotate(img, matrix, interpolation.value, expand, fill)


def _affine_args(angle, translate, scale, shear, center):
    """``affine``'s arguments checked as torchvision checks them: ``(angle, translate, shear,
    center)`` with the shear as ``[sx, sy]``."""
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None:
        if not isinstance(center, (list, tuple)):
            raise TypeError("Argument center should be a sequence")
        center = [float(c) for c in center]
    return float(angle), list(translate), shear, center


def affine(img, angle: float, translate, scale: float, shear,
           interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotate (clockwise degrees), scale, shear and translate, keeping the centre fixed.

    ``shear`` is one angle (along x) or ``[sx, sy]``; ``translate`` is ``[dx, dy]``
    pixels after the rest.
    """
    interpolation = _check_interpolation(interpolation)
    angle, translate, shear, center = _affine_args(angle, translate, scale, shear, center)
    if not isinstance(img, Tensor):
        _needs_pil(img, "affine")
        _, height, width = get_dimensions(img)
        # NOTE: as torchvision, Pillow's centre is (w/2, h/2), without the half-pixel shift.
        pil_center = [width * 0.5, height * 0.5] if center is None else center
        matrix = _get_inverse_affine_matrix(pil_center, angle, translate, scale, shear)
        return F_pil.affine(img, matrix, _PIL_INTS[interpolation], fill)
    matrix = _get_inverse_affine_matrix(_centre_offset(center, img), angle,
                                        [1.0 * t for t in translate], scale, shear)
    return F_t.affine(img, matrix, interpolation.value, fill)


def _get_perspective_coeffs(startpoints, endpoints) -> list[float]:
    """The eight coefficients ``(a, b, c, d, e, f, g, h)`` that take each corner of
    ``endpoints`` to the matching one of ``startpoints``, with
    ``(x, y) -> ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))``:
    the least-squares solution of the 8 linear equations, in float64, rounded to float32."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} "
                         f"startpoints and {len(endpoints)} endpoints.")
    rows, rhs = [], []
    for (x, y), (u, v) in zip(endpoints, startpoints):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    a = np.asarray(rows, dtype=np.float64)
    solution = np.linalg.lstsq(a, np.asarray(rhs, dtype=np.float64), rcond=None)[0]
    return [float(c) for c in solution.astype(np.float32)]


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                fill=None):
    """Warp ``img`` so that the corners ``startpoints`` (top-left, top-right, bottom-right,
    bottom-left) move to ``endpoints``."""
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    interpolation = _check_interpolation(interpolation)
    if not isinstance(img, Tensor):
        _needs_pil(img, "perspective")
        return F_pil.perspective(img, coeffs, _PIL_INTS[interpolation], fill)
    return F_t.perspective(img, coeffs, interpolation.value, fill)


from ._elastic import elastic_transform  # noqa: E402,F401
from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.transforms.functional")  # a missing API is named
