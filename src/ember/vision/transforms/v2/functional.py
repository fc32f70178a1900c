"""Functional v2 transforms (``torchvision.transforms.v2.functional``).

Each function takes a plain tensor, a ``PIL.Image`` or a tv_tensor and hands it to
the kernel registered for its type: ``Image``/``Video``/plain tensors share the image
kernels, ``Mask`` the mask kernels (nearest sampling, no channel dim needed) and
``BoundingBoxes`` move their coordinates along with the image.  A kernel's output
is re-wrapped in the input's tv_tensor type.  The pixel work reuses the v1
kernels (``transforms._functional_tensor`` / ``_functional_pil``) wherever v2
computes the same thing; where v2's arithmetic differs (colour, dtype scaling,
blur) it is written out here in the same order of operations.
"""
from __future__ import annotations

import functools
import math

from ...._tensor import Tensor
from ... import _pil, tv_tensors
from .. import _functional_pil as F_pil
from .. import _functional_tensor as F_t
from .. import functional as F1
from ..functional import InterpolationMode
from ._meta import _clamp_bounding_boxes, _convert_bounding_box_format, _no_rotated
from ._utils import is_pure_tensor

__all__ = [
    "InterpolationMode", "adjust_brightness", "adjust_brightness_image", "adjust_contrast",
    "adjust_contrast_image", "adjust_gamma", "adjust_gamma_image", "adjust_hue",
    "adjust_hue_image", "adjust_saturation", "adjust_saturation_image", "adjust_sharpness",
    "adjust_sharpness_image", "affine", "affine_image", "affine_mask", "autocontrast",
    "autocontrast_image", "center_crop", "center_crop_image", "center_crop_mask",
    "clamp_bounding_boxes", "clamp_keypoints", "convert_bounding_box_format",
    "convert_image_dtype", "crop",
    "crop_image", "crop_mask", "elastic", "elastic_image", "elastic_mask", "elastic_transform",
    "equalize", "equalize_image", "erase", "erase_image",
    "five_crop", "gaussian_blur", "gaussian_blur_image", "gaussian_noise",
    "gaussian_noise_image", "get_dimensions",
    "get_image_num_channels", "get_image_size", "get_num_channels", "get_num_frames",
    "get_size", "grayscale_to_rgb", "grayscale_to_rgb_image", "hflip", "horizontal_flip",
    "invert", "invert_image", "is_pure_tensor", "jpeg", "jpeg_image", "normalize",
    "normalize_image", "pad",
    "pad_image", "pad_mask", "permute_channels", "permute_channels_image", "perspective",
    "perspective_image", "perspective_mask", "pil_to_tensor",
    "posterize", "posterize_image", "register_kernel", "resize", "resize_image", "resize_mask",
    "resized_crop", "resized_crop_image", "resized_crop_mask", "rgb_to_grayscale",
    "rgb_to_grayscale_image", "rotate", "rotate_image", "rotate_mask",
    "sanitize_bounding_boxes", "sanitize_keypoints", "solarize", "solarize_image", "ten_crop",
    "to_dtype",
    "to_dtype_image", "to_grayscale", "to_image", "to_pil_image", "to_tensor", "vertical_flip",
    "vflip"]


def _ember():
    import ember

    return ember


# -- the kernel registry ------------------------------------------------------------------------

_KERNELS: dict = {}
_PIL = "PIL.Image.Image"  # the registry key of Pillow images (Pillow may be missing)


def _key_of(cls):
    if cls.__name__ == "Image" and cls.__module__ == "PIL.Image":
        return _PIL
    return cls


def _register(functional, *types, wrap_output: bool = True):
    """Register the decorated kernel of ``functional`` for ``types``; for tv_tensor types
    (unless ``wrap_output`` is off) it gets a plain tensor and its result is re-wrapped."""

    def decorator(kernel):
        registry = _KERNELS.setdefault(functional, {})
        for t in types:
            if t in registry:
                raise ValueError(f"Functional {functional} already has a kernel registered for "
                                 f"type {t}.")
            tv = isinstance(t, type) and issubclass(t, tv_tensors.TVTensor)
            registry[t] = _tv_wrapper(kernel) if tv and wrap_output else kernel
        return kernel

    return decorator


def _tv_wrapper(kernel):
    @functools.wraps(kernel)
    def wrapper(inpt, *args, **kwargs):
        out = kernel(inpt.as_subclass(Tensor), *args, **kwargs)
        return tv_tensors.wrap(out, like=inpt)

    return wrapper


def _get_kernel(functional, input_type, *, allow_passthrough: bool = False):
    registry = _KERNELS.get(functional)
    if not registry:
        raise ValueError(f"No kernel registered for functional {functional.__name__}.")
    for cls in input_type.__mro__:
        key = _key_of(cls)
        if key in registry:
            return registry[key]
        if cls is tv_tensors.TVTensor:
            break
    if allow_passthrough:
        return lambda inpt, *args, **kwargs: inpt
    names = ", ".join(f"<class '{k}'>" if isinstance(k, str) else
                      f"<class '{k.__module__}.{k.__qualname__}'>" for k in registry)
    raise TypeError(f"Functional F.{functional.__name__} supports inputs of type "
                    f"dict_keys([{names}]), but got {input_type} instead.")


def _dispatch(functional, inpt, *args, **kwargs):
    return _get_kernel(functional, type(inpt))(inpt, *args, **kwargs)


def register_kernel(functional, tv_tensor_cls):
    """Register a kernel of ``functional`` for a custom tv_tensor class (a decorator)."""
    if isinstance(functional, str):
        try:
            functional = globals()[functional]
        except KeyError:
            raise ValueError(f"Could not find functional with name '{functional}' in "
                             "torchvision.transforms.v2.functional.") from None
    elif not (callable(functional) and functional in _KERNELS):
        raise ValueError("Kernels can only be registered on functionals from the "
                         "torchvision.transforms.v2.functional namespace, but got "
                         f"{functional}.")
    if not (isinstance(tv_tensor_cls, type) and issubclass(tv_tensor_cls, tv_tensors.TVTensor)):
        raise ValueError("Kernels can only be registered for subclasses of "
                         f"torchvision.tv_tensors.TVTensor, but got {tv_tensor_cls}.")
    if tv_tensor_cls in (tv_tensors.Image, tv_tensors.Video, tv_tensors.Mask,
                         tv_tensors.BoundingBoxes, tv_tensors.TVTensor):
        raise ValueError("Kernels cannot be registered for the builtin tv_tensor classes, but "
                         f"got {tv_tensor_cls}")
    return _register(functional, tv_tensor_cls, wrap_output=False)


# what the image kernels take (in torchvision's order of registration, which its error for
# an unsupported type lists)
_IMAGE = (tv_tensors.Image, Tensor, tv_tensors.Video)
_IMAGE_PIL = (*_IMAGE[:2], _PIL, _IMAGE[2])


def _as_mask3d(mask: Tensor):
    """``(mask with a channel dim, undo)``: masks may come without one."""
    if mask.ndim < 3:
        return mask.unsqueeze(0), lambda out: out.squeeze(0)
    return mask, lambda out: out


def _wrap_boxes(out, like, canvas_size=None):
    kwargs = {} if canvas_size is None else {"canvas_size": tuple(canvas_size)}
    return tv_tensors.wrap(out, like=like, **kwargs)


def _plain(t):
    return t.as_subclass(Tensor) if isinstance(t, tv_tensors.TVTensor) else t


# -- sizes -----------------------------------------------------------------------------------------

def get_dimensions(inpt) -> list[int]:
    """``[channels, height, width]``."""
    return _dispatch(get_dimensions, inpt)


def get_num_channels(inpt) -> int:
    return _dispatch(get_num_channels, inpt)


get_image_num_channels = get_num_channels


def get_size(inpt) -> list[int]:
    """``[height, width]`` (a box's canvas size for ``BoundingBoxes``)."""
    return _dispatch(get_size, inpt)


def get_num_frames(inpt) -> int:
    return _dispatch(get_num_frames, inpt)


def get_image_size(inpt) -> list[int]:
    """``[width, height]`` (deprecated by torchvision in favour of ``get_size``)."""
    height, width = get_size(inpt)
    return [width, height]


def _chw(image) -> list[int]:
    chw = list(image.shape[-3:])
    if len(chw) == 3:
        return chw
    if len(chw) == 2:
        return [1, *chw]
    raise TypeError(f"Input tensor should have at least two dimensions, but got {len(chw)}")


def _hw(image) -> list[int]:
    hw = list(image.shape[-2:])
    if len(hw) != 2:
        raise TypeError(f"Input tensor should have at least two dimensions, but got {len(hw)}")
    return hw


_register(get_dimensions, *_IMAGE, wrap_output=False)(_chw)
_register(get_dimensions, _PIL)(F_pil.get_dimensions)
_register(get_num_channels, *_IMAGE, wrap_output=False)(lambda image: _chw(image)[0])
_register(get_num_channels, _PIL)(lambda image: F_pil.get_dimensions(image)[0])
_register(get_size, *_IMAGE, tv_tensors.Mask, wrap_output=False)(_hw)
_register(get_size, _PIL)(lambda image: F_pil.get_dimensions(image)[1:])
_register(get_size, tv_tensors.BoundingBoxes, wrap_output=False)(
    lambda boxes: list(boxes.canvas_size))
_register(get_num_frames, Tensor, tv_tensors.Video, wrap_output=False)(
    lambda video: video.shape[-4])


# -- bounding-box formats --------------------------------------------------------------------------

def _parse_format(fmt):
    return tv_tensors.BoundingBoxFormat[fmt.upper()] if isinstance(fmt, str) else fmt


def convert_bounding_box_format(inpt, old_format=None, new_format=None, inplace: bool = False):
    """Boxes in ``new_format``; a ``BoundingBoxes`` knows its own ``old_format``."""
    if new_format is None:
        raise TypeError("convert_bounding_box_format() missing 1 required argument: "
                        "'new_format'")
    old_format, new_format = _parse_format(old_format), _parse_format(new_format)
    if is_pure_tensor(inpt):
        if old_format is None:
            raise ValueError("For pure tensor inputs, `old_format` has to be passed.")
        return _convert_bounding_box_format(inpt, old_format, new_format)
    if isinstance(inpt, tv_tensors.BoundingBoxes):
        if old_format is not None:
            raise ValueError("For bounding box tv_tensor inputs, `old_format` must not be passed.")
        out = _convert_bounding_box_format(_plain(inpt), inpt.format, new_format)
        return tv_tensors.wrap(out, like=inpt, format=new_format)
    raise TypeError("Input can either be a plain tensor or a bounding box tv_tensor, but got "
                    f"{type(inpt)} instead.")


def _clamp_keypoints(points, canvas_size):
    dtype = points.dtype
    out = points.clone() if points.is_floating_point() else points.float()
    # NOTE: up to size - 1 (a box's edge may reach size), as torchvision
    out[..., 0].clamp_(min=0, max=canvas_size[1] - 1)
    out[..., 1].clamp_(min=0, max=canvas_size[0] - 1)
    return out.to(dtype=dtype)


def clamp_keypoints(inpt, canvas_size=None):
    """Points moved into their canvas (``[0, W - 1] x [0, H - 1]``)."""
    from ._utils import is_pure_tensor

    if is_pure_tensor(inpt):
        if canvas_size is None:
            raise ValueError("For pure tensor inputs, `canvas_size` has to be passed.")
        return _clamp_keypoints(inpt, canvas_size)
    if isinstance(inpt, tv_tensors.KeyPoints):
        if canvas_size is not None:
            raise ValueError("For keypoints tv_tensor inputs, `canvas_size` must not be passed.")
        return tv_tensors.wrap(_clamp_keypoints(_plain(inpt), inpt.canvas_size), like=inpt)
    raise TypeError("Input can either be a plain tensor or a keypoints tv_tensor, but got "
                    f"{type(inpt)} instead.")


def _sanitize_keypoints_mask(points, canvas_size):
    """Which points (which groups of them, for ``[N, ..., 2]``) lie inside the canvas."""
    h, w = canvas_size
    x, y = points[..., 0], points[..., 1]
    valid = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    return valid.flatten(start_dim=1).all(dim=1) if valid.ndim > 1 else valid


def sanitize_keypoints(key_points, canvas_size=None):
    """The points (or groups of points) inside the canvas, and the mask that keeps them."""
    from ._utils import is_pure_tensor

    if is_pure_tensor(key_points):
        if canvas_size is None:
            raise ValueError("canvas_size cannot be None if key_points is a pure tensor. Set it "
                             "to an appropriate value or pass key_points as a "
                             "tv_tensors.KeyPoints object.")
        valid = _sanitize_keypoints_mask(key_points, canvas_size)
        return key_points[valid], valid
    if not isinstance(key_points, tv_tensors.KeyPoints):
        raise ValueError("key_points must be a tv_tensors.KeyPoints instance or a pure tensor.")
    if canvas_size is not None:
        raise ValueError("canvas_size must be None when key_points is a tv_tensors.KeyPoints "
                         f"instance. Got canvas_size={canvas_size}. Leave it to None or pass "
                         "key_points as a pure tensor.")
    valid = _sanitize_keypoints_mask(key_points, key_points.canvas_size)
    return tv_tensors.wrap(_plain(key_points)[valid], like=key_points), valid


def clamp_bounding_boxes(inpt, format=None, canvas_size=None, clamping_mode="auto"):
    """Boxes clamped into their canvas."""
    if clamping_mode is not None and clamping_mode not in ("soft", "hard", "auto"):
        raise ValueError(f"clamping_mode must be soft, hard, auto or None, got {clamping_mode}")
    if is_pure_tensor(inpt):
        if format is None or canvas_size is None or clamping_mode == "auto":
            raise ValueError("For pure tensor inputs, `format`, `canvas_size` and "
                             "`clamping_mode` have to be passed.")
        return _clamp_bounding_boxes(inpt, _parse_format(format), canvas_size, clamping_mode)
    if isinstance(inpt, tv_tensors.BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError("For bounding box tv_tensor inputs, `format` and `canvas_size` "
                             "must not be passed.")
        mode = inpt.clamping_mode if clamping_mode == "auto" else clamping_mode
        out = _clamp_bounding_boxes(_plain(inpt), inpt.format, inpt.canvas_size, mode)
        return tv_tensors.wrap(out, like=inpt)
    raise TypeError("Input can either be a plain tensor or a bounding box tv_tensor, but got "
                    f"{type(inpt)} instead.")


def _boxes_op(boxes, fn):
    """Apply ``fn(xyxy float boxes, canvas) -> (xyxy, canvas)`` to ``BoundingBoxes`` ``boxes``."""
    _no_rotated(boxes.format)
    plain = _plain(boxes)
    out, canvas = fn(plain, tuple(boxes.canvas_size))
    return _wrap_boxes(out, boxes, canvas)


# -- type conversion -------------------------------------------------------------------------------

def pil_to_tensor(pic):
    return F1.pil_to_tensor(pic)


def to_pil_image(pic, mode=None):
    return F1.to_pil_image(_plain(pic) if isinstance(pic, Tensor) else pic, mode)


def to_tensor(pic):
    """Deprecated by torchvision: ``to_image`` then ``to_dtype(..., scale=True)``."""
    return F1.to_tensor(pic)


def to_image(inpt) -> tv_tensors.Image:
    """A tensor, ``ndarray`` (``H x W x C``) or ``PIL.Image`` as an ``Image`` (values unchanged)."""
    import numpy as np

    torch = _ember()
    if isinstance(inpt, np.ndarray):
        arr = inpt[:, :, None] if inpt.ndim == 2 else inpt
        out = torch.from_numpy(np.ascontiguousarray(arr)).permute((2, 0, 1)).contiguous()
    elif _pil.is_pil_image(inpt):
        out = pil_to_tensor(inpt)
    elif isinstance(inpt, Tensor):
        out = inpt
    else:
        raise TypeError("Input can either be a pure Tensor, a numpy array, or a PIL image, but "
                        f"got {type(inpt)} instead.")
    return tv_tensors.Image(_plain(out))


# -- dtype, normalisation, blur, erasing -----------------------------------------------------------

def _num_value_bits(dtype) -> int:
    torch = _ember()
    bits = {torch.uint8: 8, torch.int8: 7, torch.int16: 15, torch.int32: 31, torch.int64: 63}
    if getattr(torch, "uint16", None) is not None:
        bits[torch.uint16] = 16
    if dtype not in bits:
        raise TypeError("Number of value bits is only defined for integer dtypes, but got "
                        f"{dtype}.")
    return bits[dtype]


def to_dtype(inpt, dtype=None, scale: bool = False):
    """Convert to ``dtype``; with ``scale`` images are rescaled (uint8 255 <-> float 1.0)."""
    if dtype is None:
        dtype = _ember().float32
    return _dispatch(to_dtype, inpt, dtype=dtype, scale=scale)


@_register(to_dtype, *_IMAGE)
def to_dtype_image(image, dtype=None, scale: bool = False):
    torch = _ember()
    dtype = torch.float32 if dtype is None else dtype
    if image.dtype == dtype:
        return image
    if not scale:
        return image.to(dtype)
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == torch.float32 and dtype in (torch.int32, torch.int64)) or (
                image.dtype == torch.float64 and dtype == torch.int64):
            raise RuntimeError(f"The conversion from {image.dtype} to {dtype} cannot be "
                               "performed safely.")
        eps = 1e-3
        return image.mul(float(F_t._max_value(dtype)) + 1.0 - eps).to(dtype)
    if dtype.is_floating_point:
        # NOTE: v2 multiplies by the reciprocal (v1 divides): results differ in the last bit.
        return image.to(dtype).mul_(1.0 / F_t._max_value(image.dtype))
    bits_in, bits_out = _num_value_bits(image.dtype), _num_value_bits(dtype)
    shift = abs(bits_in - bits_out)
    # NOTE: PyTorch has no shifts for uint16: torchvision divides or multiplies it instead
    if bits_in > bits_out:
        if image.dtype == getattr(torch, "uint16", None):
            return image.div(2 ** shift).to(dtype)
        return image.bitwise_right_shift(shift).to(dtype)
    if dtype == getattr(torch, "uint16", None):
        return image.to(dtype).mul(2 ** shift)
    return image.to(dtype).bitwise_left_shift(shift)


@_register(to_dtype, tv_tensors.BoundingBoxes, tv_tensors.Mask, wrap_output=False)
def _to_dtype_plain(inpt, dtype=None, scale: bool = False):
    return inpt.to(dtype)


def convert_image_dtype(image, dtype=None):
    """``to_dtype(image, dtype, scale=True)`` on an image tensor."""
    return to_dtype_image(image, dtype=dtype, scale=True)


def normalize(inpt, mean, std, inplace: bool = False):
    """``(x - mean[c]) / std[c]`` per channel of a float image ``[..., C, H, W]``."""
    return _dispatch(normalize, inpt, mean=mean, std=std, inplace=inplace)


@_register(normalize, *_IMAGE)
def normalize_image(image, mean, std, inplace: bool = False):
    torch = _ember()
    if not image.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {image.dtype}.")
    if image.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"{image.shape}.")
    divzero = (not all(std)) if isinstance(std, (tuple, list)) else (
        std == 0 if isinstance(std, (int, float)) else False)
    if divzero:
        raise ValueError("std evaluated to zero, leading to division by zero.")
    mean = torch.as_tensor(mean, dtype=image.dtype, device=image.device)
    std = torch.as_tensor(std, dtype=image.dtype, device=image.device)
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    image = image.sub_(mean) if inplace else image.sub(mean)
    return image.div_(std)


def gaussian_blur(inpt, kernel_size, sigma=None):
    """Blur with a Gaussian of ``kernel_size`` (odd) and ``sigma``; borders reflected."""
    return _dispatch(gaussian_blur, inpt, kernel_size=kernel_size, sigma=sigma)


def _gaussian_kernel1d(size: int, sigma: float, dtype, device):
    torch = _ember()
    lim = (size - 1) / (2.0 * math.sqrt(2.0))
    x = torch.linspace(-lim, lim, steps=size, dtype=dtype, device=device)
    return torch.softmax(x.div(sigma).pow(2).neg(), dim=0)


@_register(gaussian_blur, *_IMAGE)
def gaussian_blur_image(image, kernel_size, sigma=None):
    torch = _ember()
    import ember.nn.functional as nnF

    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    elif len(kernel_size) != 2:
        raise ValueError("If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    elif isinstance(sigma, (list, tuple)):
        if len(sigma) == 1:
            sigma = [sigma[0], sigma[0]]
        elif len(sigma) != 2:
            raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    elif isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    else:
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if image.numel() == 0:
        return image
    dtype, shape, ndim = image.dtype, image.shape, image.ndim
    if ndim == 3:
        image = image.unsqueeze(0)
    elif ndim > 4:
        image = image.reshape((-1,) + tuple(shape[-3:]))
    fp = image.is_floating_point()
    work = dtype if fp else torch.float32
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], work, image.device)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], work, image.device)
    kernel = (ky.unsqueeze(-1) * kx).expand(shape[-3], 1, kernel_size[1], kernel_size[0])
    out = image if fp else image.to(torch.float32)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    out = nnF.conv2d(nnF.pad(out, [px, px, py, py], mode="reflect"), kernel, groups=shape[-3])
    if ndim == 3:
        out = out.squeeze(0)
    elif ndim > 4:
        out = out.reshape(shape)
    return out if fp else out.round().to(dtype)


@_register(gaussian_blur, _PIL)
def _gaussian_blur_pil(image, kernel_size, sigma=None):
    out = gaussian_blur_image(pil_to_tensor(image), kernel_size=kernel_size, sigma=sigma)
    return F1.to_pil_image(out, mode=image.mode)


def erase(inpt, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """``inpt[..., i:i+h, j:j+w] = v`` on image tensors (others pass through)."""
    return _dispatch(erase, inpt, i=i, j=j, h=h, w=w, v=v, inplace=inplace)


@_register(erase, *_IMAGE)
def erase_image(image, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    return F_t.erase(image, i, j, h, w, v, inplace=inplace)


@_register(erase, _PIL)
def _erase_pil(image, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    out = erase_image(pil_to_tensor(image), i, j, h, w, v, inplace=inplace)
    return F1.to_pil_image(out, mode=image.mode)


def gaussian_noise(inpt, mean: float = 0.0, sigma: float = 0.1, clip: bool = True):
    """``inpt + mean + sigma * N(0, 1)`` per pixel (float images, or uint8 scaled by 255)."""
    return _dispatch(gaussian_noise, inpt, mean=mean, sigma=sigma, clip=clip)


@_register(gaussian_noise, *_IMAGE)
def gaussian_noise_image(image, mean: float = 0.0, sigma: float = 0.1, clip: bool = True):
    torch = _ember()
    if sigma < 0:
        raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
    if image.is_floating_point():
        out = image + (mean + torch.randn_like(image) * sigma)
        return torch.clamp(out, 0, 1) if clip else out
    if image.dtype == torch.uint8:
        # NOTE: as torchvision, the noise is drawn in float32, scaled to the 0-255 range
        # and truncated to int16 before it is added
        noise = (mean * 255 + torch.randn_like(image, dtype=torch.float32) * (sigma * 255))
        out = image + noise.to(torch.int16)
        return (torch.clamp(out, 0, 255) if clip else out).to(torch.uint8)
    raise ValueError("Input tensor is expected to be in uint8 or float dtype, got "
                     f"dtype={image.dtype}")


@_register(gaussian_noise, _PIL)
def _gaussian_noise_pil(image, mean: float = 0.0, sigma: float = 0.1, clip: bool = True):
    raise ValueError("Gaussian Noise is not implemented for PIL images.")


def jpeg(image, quality: int):
    """``image`` encoded as a JPEG of ``quality`` and decoded again (compression artefacts)."""
    return _dispatch(jpeg, image, quality=quality)


@_register(jpeg, *_IMAGE)
def jpeg_image(image, quality: int):
    from ...io import decode_jpeg, encode_jpeg

    shape = image.shape
    flat = image.reshape((-1,) + tuple(shape[-3:]))
    if flat.shape[0] == 0:
        return flat.reshape(shape).clone()
    frames = [decode_jpeg(encode_jpeg(flat[k], quality=quality)) for k in range(flat.shape[0])]
    return _ember().stack(frames, dim=0).view(shape)


@_register(jpeg, _PIL)
def _jpeg_pil(image, quality: int):
    import io

    from ... import _pil

    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return _pil.image_module().open(buf).copy()


def sanitize_bounding_boxes(bounding_boxes, format=None, canvas_size=None, min_size: float = 1.0,
                            min_area: float = 1.0):
    """``(kept boxes, mask of kept)``: drops boxes smaller than ``min_size``/``min_area`` or
    with a corner outside the canvas."""
    if is_pure_tensor(bounding_boxes):
        if format is None or canvas_size is None:
            raise ValueError("format and canvas_size cannot be None if bounding_boxes is a pure "
                             f"tensor. Got format={format} and canvas_size={canvas_size}.Set "
                             "those to appropriate values or pass bounding_boxes as a "
                             "tv_tensors.BoundingBoxes object.")
        valid = _sanitize_mask(bounding_boxes, _parse_format(format), canvas_size, min_size,
                               min_area)
        return bounding_boxes[valid], valid
    if not isinstance(bounding_boxes, tv_tensors.BoundingBoxes):
        raise ValueError("bounding_boxes must be a tv_tensors.BoundingBoxes instance or a pure "
                         "tensor.")
    if format is not None or canvas_size is not None:
        raise ValueError("format and canvas_size must be None when bounding_boxes is a "
                         f"tv_tensors.BoundingBoxes instance. Got format={format} and "
                         f"canvas_size={canvas_size}. Leave those to None or pass bounding_boxes "
                         "as a pure tensor.")
    valid = _sanitize_mask(bounding_boxes, bounding_boxes.format, bounding_boxes.canvas_size,
                           min_size, min_area)
    return tv_tensors.wrap(_plain(bounding_boxes)[valid], like=bounding_boxes), valid


def _sanitize_mask(boxes, format, canvas_size, min_size, min_area):
    xyxy = _convert_bounding_box_format(_plain(boxes), format,
                                        tv_tensors.BoundingBoxFormat.XYXY)
    h, w = canvas_size
    ws, hs = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
    valid = (ws >= min_size) & (hs >= min_size) & (xyxy >= 0).all(dim=-1) & (ws * hs >= min_area)
    return valid & (xyxy[:, 0] <= w) & (xyxy[:, 1] <= h) & (xyxy[:, 2] <= w) & (xyxy[:, 3] <= h)


from ._functional_color import (adjust_brightness, adjust_brightness_image,  # noqa: E402
                                adjust_contrast, adjust_contrast_image, adjust_gamma,
                                adjust_gamma_image, adjust_hue, adjust_hue_image,
                                adjust_saturation, adjust_saturation_image, adjust_sharpness,
                                adjust_sharpness_image, autocontrast, autocontrast_image,
                                equalize, equalize_image, grayscale_to_rgb,
                                grayscale_to_rgb_image, invert, invert_image, permute_channels,
                                permute_channels_image, posterize, posterize_image,
                                rgb_to_grayscale, rgb_to_grayscale_image, solarize,
                                solarize_image, to_grayscale)
from ._functional_geometry import (affine, affine_image, affine_mask, center_crop,  # noqa: E402
                                   center_crop_image, center_crop_mask, crop, crop_image,
                                   crop_mask, five_crop, hflip, horizontal_flip, pad, pad_image,
                                   pad_mask, resize, resize_image, resize_mask, resized_crop,
                                   resized_crop_image, resized_crop_mask, rotate, rotate_image,
                                   rotate_mask, ten_crop, vertical_flip, vflip)



from ._warp_more import (elastic, elastic_image, elastic_mask,  # noqa: E402,F401
                         elastic_transform, perspective, perspective_image,
                         perspective_mask)
from ...._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.transforms.v2.functional")  # a missing API is named
