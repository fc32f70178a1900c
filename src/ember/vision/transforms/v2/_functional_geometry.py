"""Geometric v2 functionals: flips, resize, crops, pad, rotate, affine (images, masks, boxes)."""
from __future__ import annotations

import math
import numbers

from ...._tensor import Tensor
from ... import tv_tensors
from .. import _functional_pil as F_pil
from .. import _functional_tensor as F_t
from .. import functional as F1
from ..functional import InterpolationMode, _interpolation_modes_from_int, pil_modes_mapping
from ._meta import _clamp_bounding_boxes, _convert_bounding_box_format
from .functional import (_IMAGE, _IMAGE_PIL, _PIL, _as_mask3d, _boxes_op, _dispatch, _ember,
                         _get_kernel, _plain, _register)

__all__ = ["affine", "center_crop", "crop", "five_crop", "hflip", "horizontal_flip", "pad",
           "resize", "resized_crop", "rotate", "ten_crop", "vertical_flip", "vflip"]

_XYXY = tv_tensors.BoundingBoxFormat.XYXY
_BY_STRING = {m.value: m for m in InterpolationMode}


def _check_interpolation(interpolation) -> InterpolationMode:
    if isinstance(interpolation, str):
        if interpolation not in _BY_STRING:
            raise ValueError(f"Invalid interpolation mode: '{interpolation}'. Supported string "
                             f"values are: {list(_BY_STRING.keys())}.")
        return _BY_STRING[interpolation]
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise ValueError("Argument interpolation should be an `InterpolationMode` or a "
                         f"corresponding Pillow integer constant, but got {interpolation}.")
    return interpolation


def _get_inverse_affine_matrix(center, angle: float, translate, scale: float, shear,
                               inverted: bool = True) -> list[float]:
    """The affine matrix as torchvision v2 computes it (v1's is
    ``functional._get_inverse_affine_matrix``): the same map, but the arithmetic runs in
    another order, so the last bits differ from v1's (and so, now and then, a resampled
    pixel).  The order below is v2's."""
    theta = math.radians(angle)
    shx, shy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    ox, oy = cx + translate[0], cy + translate[1]
    cos_shy, tan_shx = math.cos(shy), math.tan(shx)
    # rotation times shear, [[a, b], [c, d]], before scaling (determinant 1)
    a = math.cos(theta - shy) / cos_shy
    b = -(a * tan_shx + math.sin(theta))
    c = math.sin(theta - shy) / cos_shy
    d = math.cos(theta) - c * tan_shx
    if inverted:
        m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
        m[2] += cx - m[0] * ox - m[1] * oy
        m[5] += cy - m[3] * ox - m[4] * oy
    else:
        m = [a * scale, b * scale, 0.0, c * scale, d * scale, 0.0]
        m[2] += ox - m[0] * cx - m[1] * cy
        m[5] += oy - m[3] * cx - m[4] * cy
    return m


def _xyxy_float(boxes: Tensor, format) -> Tensor:
    f = boxes if boxes.is_floating_point() else boxes.float()
    return _convert_bounding_box_format(f, format, _XYXY)


def _finish_boxes(xyxy, format, canvas, clamping_mode, dtype, shape):
    out = _clamp_bounding_boxes(xyxy, _XYXY, canvas, clamping_mode)
    return _convert_bounding_box_format(out, _XYXY, format).to(dtype).reshape(shape)


def _offset_boxes(boxes: Tensor, format, dx, dy) -> Tensor:
    """Boxes moved by ``(dx, dy)`` (integers), keeping their format and dtype."""
    torch = _ember()
    if format == _XYXY:
        shift = [dx, dy, dx, dy]
    else:
        shift = [dx, dy, 0, 0]
    return boxes + torch.tensor(shift, dtype=boxes.dtype, device=boxes.device)


# -- flips -----------------------------------------------------------------------------------------

def horizontal_flip(inpt):
    """Mirror left-right."""
    return _dispatch(horizontal_flip, inpt)


def vertical_flip(inpt):
    """Mirror top-bottom."""
    return _dispatch(vertical_flip, inpt)


hflip = horizontal_flip
vflip = vertical_flip

_register(horizontal_flip, *_IMAGE, tv_tensors.Mask)(lambda image: image.flip(-1))
_register(horizontal_flip, _PIL)(F_pil.hflip)
_register(vertical_flip, *_IMAGE, tv_tensors.Mask)(lambda image: image.flip(-2))
_register(vertical_flip, _PIL)(F_pil.vflip)


def _flip_boxes(boxes: Tensor, format, size: int, axis: int) -> Tensor:
    """``axis`` 0 mirrors x about ``size`` (the width), 1 mirrors y about the height."""
    torch = _ember()
    c = [boxes[..., k] for k in range(4)]
    lo, hi = axis, axis + 2
    # NOTE: computed as -(x - size), as torchvision does, so that a coordinate on the far
    # edge becomes -0.0 (printed "-0.") rather than 0.0
    if format == _XYXY:
        c[lo], c[hi] = -(c[hi] - size), -(c[lo] - size)
    elif format == tv_tensors.BoundingBoxFormat.XYWH:
        c[lo] = -(c[lo] + c[hi] - size)
    else:
        c[lo] = -(c[lo] - size)
    return torch.stack(c, dim=-1)


@_register(horizontal_flip, tv_tensors.BoundingBoxes, wrap_output=False)
def _hflip_boxes(boxes):
    return _boxes_op(boxes, lambda b, canvas: (_flip_boxes(b, boxes.format, canvas[1], 0), None))


@_register(vertical_flip, tv_tensors.BoundingBoxes, wrap_output=False)
def _vflip_boxes(boxes):
    return _boxes_op(boxes, lambda b, canvas: (_flip_boxes(b, boxes.format, canvas[0], 1), None))


# -- resize ----------------------------------------------------------------------------------------

def _compute_resized_output_size(canvas_size, size, max_size=None) -> list[int]:
    """``[h, w]`` after resizing: ``size`` ``[h, w]``, ``[short edge]``, or ``None`` (fit the long
    edge to ``max_size``)."""
    if isinstance(size, int):
        size = [size]
    elif max_size is not None and size is not None and len(size) != 1:
        raise ValueError("max_size should only be passed if size is None or specifies the length "
                         "of the smaller edge, i.e. size should be an int or a sequence of length "
                         "1 in torchscript mode.")
    h, w = canvas_size
    short, long = (w, h) if w <= h else (h, w)
    if size is None:
        new_short, new_long = int(max_size * short / long), max_size
    elif len(size) == 1:
        requested = size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
    else:
        return [int(size[0]), int(size[1])]
    return [new_long, new_short] if w <= h else [new_short, new_long]


def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
           antialias=True):
    """Resize to ``size``: ``[h, w]``, an int for the smaller edge, or ``None`` (``max_size``)."""
    return _dispatch(resize, inpt, size=size, interpolation=interpolation, max_size=max_size,
                     antialias=antialias)


@_register(resize, *_IMAGE)
def resize_image(image, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
    interpolation = _check_interpolation(interpolation)
    if interpolation == InterpolationMode.LANCZOS and not antialias:
        raise ValueError("InterpolationMode.LANCZOS requires antialias=True")
    shape = tuple(image.shape)
    channels, old_h, old_w = (int(n) for n in shape[-3:])  # (2-D: ValueError, as torchvision)
    new_h, new_w = _compute_resized_output_size((old_h, old_w), size, max_size)
    if (new_h, new_w) == (old_h, old_w):
        return image
    if image.numel() == 0:
        return image.reshape(tuple(image.shape[:-2]) + (new_h, new_w))
    if _native_uint8_resize(image, interpolation):
        # NOTE: torchvision (0.29) hands uint8 CPU images straight to ``interpolate`` for
        # bicubic, and for bilinear where PyTorch reports the AVX2 or AVX512 capability or
        # the machine is ARM64; otherwise it resizes in float32 and rounds back, as the v1
        # kernel below.  (Earlier releases took bilinear uint8 natively on AVX2 only.)
        import ember.nn.functional as F

        lead = tuple(image.shape[:-3])
        x = image.reshape(-1, *image.shape[-3:])
        x = F.interpolate(x, size=[new_h, new_w], mode=interpolation.value,
                          align_corners=False, antialias=bool(antialias))
        return x.reshape(lead + tuple(x.shape[-3:]))
    x = F_t.resize(image.reshape(-1, channels, old_h, old_w), [new_h, new_w],
                   interpolation.value, bool(antialias), v2=True)
    return x.reshape(shape[:-2] + (new_h, new_w))


def _native_uint8_resize(image, interpolation) -> bool:
    """Whether torchvision's v2 ``resize_image`` resizes this image in uint8 directly."""
    if image.dtype != _ember().uint8 or image.dim() < 3 or image.device.type != "cpu":
        return False
    if interpolation in (InterpolationMode.BICUBIC, InterpolationMode.LANCZOS):
        return True
    if interpolation == InterpolationMode.BILINEAR:
        import platform

        from ember._random import cpu_capability

        return cpu_capability() in ("avx2", "avx512") or \
            platform.machine() in ("aarch64", "arm64")
    return False


@_register(resize, _PIL)
def _resize_pil(image, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                antialias=True):
    from ember._warnings import warn

    if antialias is False:
        warn("Anti-alias option is always applied for PIL Image input. Argument antialias is "
             "ignored.", stacklevel=4)
    interpolation = _check_interpolation(interpolation)
    new_h, new_w = _compute_resized_output_size((image.height, image.width), size, max_size)
    if (new_h, new_w) == (image.height, image.width):
        return image
    return image.resize((new_w, new_h), resample=pil_modes_mapping[interpolation])


@_register(resize, tv_tensors.Mask)
def resize_mask(mask, size, interpolation=InterpolationMode.NEAREST, max_size=None, **kwargs):
    interpolation = _check_interpolation(interpolation)
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        interpolation = InterpolationMode.NEAREST
    mask, undo = _as_mask3d(mask)
    return undo(resize_image(mask, size, interpolation=interpolation, max_size=max_size))


def _resize_boxes(boxes, size, max_size=None, **kwargs):
    def fn(b, canvas):
        new_h, new_w = _compute_resized_output_size(canvas, size, max_size)
        if (new_h, new_w) == tuple(canvas):
            return b, canvas
        ratios = _ember().tensor([new_w / canvas[1], new_h / canvas[0]] * 2, device=b.device)
        return b.mul(ratios).to(b.dtype), (new_h, new_w)

    return _boxes_op(boxes, fn)


_register(resize, tv_tensors.BoundingBoxes, wrap_output=False)(_resize_boxes)


# -- crops -----------------------------------------------------------------------------------------

def crop(inpt, top: int, left: int, height: int, width: int):
    """The ``height x width`` region at ``(top, left)``; zeros where it leaves the image."""
    return _dispatch(crop, inpt, top=top, left=left, height=height, width=width)


@_register(crop, *_IMAGE)
def crop_image(image, top: int, left: int, height: int, width: int):
    return F_t.crop(image, top, left, height, width, v2=True)


_register(crop, _PIL)(F_pil.crop)


@_register(crop, tv_tensors.Mask)
def crop_mask(mask, top: int, left: int, height: int, width: int):
    mask, undo = _as_mask3d(mask)
    return undo(crop_image(mask, top, left, height, width))


def _crop_boxes_plain(b, format, top, left, height, width, clamping_mode):
    moved = _offset_boxes(b, format, -left, -top)
    canvas = (height, width)
    return _clamp_bounding_boxes(moved, format, canvas, clamping_mode), canvas


@_register(crop, tv_tensors.BoundingBoxes, wrap_output=False)
def _crop_boxes(boxes, top: int, left: int, height: int, width: int):
    return _boxes_op(boxes, lambda b, canvas: _crop_boxes_plain(
        b, boxes.format, top, left, height, width, boxes.clamping_mode))


def _center_crop_size(output_size) -> list[int]:
    if isinstance(output_size, numbers.Number):
        return [int(output_size), int(output_size)]
    if isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        return [output_size[0], output_size[0]]
    return list(output_size)


def _center_crop_anchor(crop_h, crop_w, h, w):
    return int(round((h - crop_h) / 2.0)), int(round((w - crop_w) / 2.0))


def center_crop(inpt, output_size):
    """The central ``output_size`` region (padded with zeros when the image is smaller)."""
    return _dispatch(center_crop, inpt, output_size=output_size)


@_register(center_crop, *_IMAGE, _PIL)
def center_crop_image(image, output_size):
    crop_h, crop_w = _center_crop_size(output_size)
    if isinstance(image, Tensor) and image.numel() == 0:
        return image.reshape(tuple(image.shape[:-2]) + (crop_h, crop_w))
    return F1.center_crop(image, [crop_h, crop_w])


@_register(center_crop, tv_tensors.Mask)
def center_crop_mask(mask, output_size):
    mask, undo = _as_mask3d(mask)
    return undo(center_crop_image(mask, output_size))


@_register(center_crop, tv_tensors.BoundingBoxes, wrap_output=False)
def _center_crop_boxes(boxes, output_size):
    def fn(b, canvas):
        crop_h, crop_w = _center_crop_size(output_size)
        top, left = _center_crop_anchor(crop_h, crop_w, *canvas)
        return _crop_boxes_plain(b, boxes.format, top, left, crop_h, crop_w,
                                 boxes.clamping_mode)

    return _boxes_op(boxes, fn)


def resized_crop(inpt, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``crop`` then ``resize`` to ``size``."""
    return _dispatch(resized_crop, inpt, top=top, left=left, height=height, width=width,
                     size=size, interpolation=interpolation, antialias=antialias)


@_register(resized_crop, *_IMAGE)
def resized_crop_image(image, top, left, height, width, size,
                       interpolation=InterpolationMode.BILINEAR, antialias=True):
    image = crop_image(image, top, left, height, width)
    return resize_image(image, size, interpolation=interpolation, antialias=antialias)


@_register(resized_crop, _PIL)
def _resized_crop_pil(image, top, left, height, width, size,
                      interpolation=InterpolationMode.BILINEAR, antialias=True):
    image = F_pil.crop(image, top, left, height, width)
    return _resize_pil(image, size, interpolation=interpolation)


@_register(resized_crop, tv_tensors.Mask)
def resized_crop_mask(mask, top, left, height, width, size, **kwargs):
    mask = crop_mask(mask, top, left, height, width)
    return resize_mask(mask, size)


@_register(resized_crop, tv_tensors.BoundingBoxes, wrap_output=False)
def _resized_crop_boxes(boxes, top, left, height, width, size, **kwargs):
    return _resize_boxes(_crop_boxes(boxes, top, left, height, width), size)


def five_crop(inpt, size):
    """``(top-left, top-right, bottom-left, bottom-right, centre)`` crops of ``size``."""
    kernel = _get_kernel(five_crop, type(inpt))
    return kernel(inpt, size)


def ten_crop(inpt, size, vertical_flip: bool = False):
    """``five_crop`` of the image and of its mirror image."""
    kernel = _get_kernel(ten_crop, type(inpt))
    return kernel(inpt, size, vertical_flip=vertical_flip)


def _wrap_each(kernel):
    def wrapper(inpt, size, *args, **kwargs):
        crop_h, crop_w = F1._crop_size(size)
        _, height, width = F1.get_dimensions(inpt)
        if crop_w > width or crop_h > height:  # (v2 names the size as it was given)
            raise ValueError(f"Requested crop size {size} is bigger than input size "
                             f"{(height, width)}")
        out = kernel(_plain(inpt), size, *args, **kwargs)
        if isinstance(inpt, tv_tensors.TVTensor):
            return type(out)(tv_tensors.wrap(o, like=inpt) for o in out)
        return out

    return wrapper


_register(five_crop, *_IMAGE_PIL, wrap_output=False)(_wrap_each(F1.five_crop))
_register(ten_crop, *_IMAGE_PIL, wrap_output=False)(_wrap_each(F1.ten_crop))


# -- pad -------------------------------------------------------------------------------------------

def _parse_pad_padding(padding) -> list[int]:
    """``padding`` as ``[left, right, top, bottom]``."""
    if isinstance(padding, int):
        return [padding] * 4
    if isinstance(padding, (tuple, list)):
        if len(padding) == 1:
            return [padding[0]] * 4
        if len(padding) == 2:
            return [padding[0], padding[0], padding[1], padding[1]]
        if len(padding) == 4:
            return [padding[0], padding[2], padding[1], padding[3]]
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple or list. Found "
                         f"{len(padding)}")
    raise TypeError(f"`padding` should be an integer or tuple or list of integers, but got "
                    f"{padding}")


def pad(inpt, padding, fill=None, padding_mode: str = "constant"):
    """Pad by ``padding`` (int, ``[l/r, t/b]`` or ``[l, t, r, b]``); boxes move with the image."""
    return _dispatch(pad, inpt, padding=padding, fill=fill, padding_mode=padding_mode)


@_register(pad, *_IMAGE)
def pad_image(image, padding, fill=None, padding_mode: str = "constant"):
    torch = _ember()
    left, right, top, bottom = _parse_pad_padding(padding)
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("`padding_mode` should be either `'constant'`, `'edge'`, `'reflect'` or "
                         f"`'symmetric'`, but got `'{padding_mode}'`.")
    if fill is None:
        fill = 0
    if isinstance(fill, (list, tuple)) and len(fill) == 1:
        fill = fill[0]
    ltrb = [left, top, right, bottom]
    if isinstance(fill, (int, float)):
        return F_t.pad(image, ltrb, fill=fill, padding_mode=padding_mode, v2=True)
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported if fill is not scalar")
    out = F_t.pad(image, ltrb, fill=0, padding_mode="constant", v2=True)
    colour = torch.tensor(fill, device=image.device).to(dtype=image.dtype).reshape(-1, 1, 1)
    h, w = int(out.shape[-2]), int(out.shape[-1])
    rows = torch.zeros(h, 1, dtype=torch.bool)
    cols = torch.zeros(1, w, dtype=torch.bool)
    if top > 0:
        rows[:top] = True
    if bottom > 0:
        rows[h - bottom:] = True
    if left > 0:
        cols[:, :left] = True
    if right > 0:
        cols[:, w - right:] = True
    return torch.where((rows | cols).to(image.device), colour, out)


_register(pad, _PIL)(F_pil.pad)


@_register(pad, tv_tensors.Mask)
def pad_mask(mask, padding, fill=None, padding_mode: str = "constant"):
    if fill is None:
        fill = 0
    if isinstance(fill, (tuple, list)):
        raise ValueError("Non-scalar fill value is not supported")
    mask, undo = _as_mask3d(mask)
    return undo(pad_image(mask, padding, fill=fill, padding_mode=padding_mode))


@_register(pad, tv_tensors.BoundingBoxes, wrap_output=False)
def _pad_boxes(boxes, padding, padding_mode: str = "constant", **kwargs):
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with bounding boxes")
    left, right, top, bottom = _parse_pad_padding(padding)

    def fn(b, canvas):
        canvas = (canvas[0] + top + bottom, canvas[1] + left + right)
        moved = _offset_boxes(b, boxes.format, left, top)
        return _clamp_bounding_boxes(moved, boxes.format, canvas, boxes.clamping_mode), canvas

    return _boxes_op(boxes, fn)


# -- affine warps ----------------------------------------------------------------------------------

def affine(inpt, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Rotate (clockwise degrees), scale, shear and translate about ``center``."""
    return _dispatch(affine, inpt, angle=angle, translate=translate, scale=scale, shear=shear,
                     interpolation=interpolation, fill=fill, center=center)


@_register(affine, *_IMAGE_PIL)
def affine_image(image, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
                 fill=None, center=None):
    interpolation = _check_interpolation(interpolation)
    angle, translate, shear, center = F1._affine_args(angle, translate, scale, shear, center)
    # NOTE: as F1.affine, with v2's matrix and, on tensors, v2's fill blend (see F_t.affine)
    if not isinstance(image, Tensor):
        if center is None:
            height, width = F_pil.get_dimensions(image)[1:]
            center = [width * 0.5, height * 0.5]
        matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        return F_pil.affine(image, matrix, pil_modes_mapping[interpolation], fill)
    matrix = _get_inverse_affine_matrix(F1._centre_offset(center, image), angle,
                                        [float(t) for t in translate], scale, shear)
    return F_t.affine(image, matrix, interpolation.value, fill, v2=True)


@_register(affine, tv_tensors.Mask)
def affine_mask(mask, angle, translate, scale, shear, fill=None, center=None, **kwargs):
    mask, undo = _as_mask3d(mask)
    return undo(affine_image(mask, angle, translate, scale, shear,
                             interpolation=InterpolationMode.NEAREST, fill=fill, center=center))


def _affine_boxes(boxes, angle, translate, scale, shear, center=None, expand=False):
    """Boxes through the forward affine map: the box of each mapped rectangle."""
    torch = _ember()
    angle, translate, shear, center = F1._affine_args(angle, translate, scale, shear, center)

    def fn(b, canvas):
        if b.numel() == 0:
            return b, canvas
        dtype, shape = b.dtype, b.shape
        xyxy = _xyxy_float(b, boxes.format).reshape(-1, 4)
        height, width = canvas
        c = [width * 0.5, height * 0.5] if center is None else center
        forward = _get_inverse_affine_matrix(c, angle, translate, scale, shear,
                                             inverted=False)
        m = torch.tensor(forward, dtype=xyxy.dtype, device=xyxy.device).reshape(2, 3).T
        corners = xyxy[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 2)
        ones = torch.ones(corners.shape[0], 1, dtype=xyxy.dtype, device=xyxy.device)
        pts = torch.matmul(torch.cat([corners, ones], dim=-1), m).reshape(-1, 4, 2)
        out = torch.cat([pts.amin(dim=1), pts.amax(dim=1)], dim=1)
        if expand:
            frame = torch.tensor([[0.0, 0.0, 1.0], [0.0, float(height), 1.0],
                                  [float(width), float(height), 1.0], [float(width), 0.0, 1.0]],
                                 dtype=xyxy.dtype, device=xyxy.device)
            moved = torch.matmul(frame, m)
            out = out - moved.amin(dim=0, keepdim=True).repeat((1, 2))
            inverse = _get_inverse_affine_matrix(c, angle, translate, scale, shear)
            new_w, new_h = F_t._compute_affine_output_size(inverse, width, height)
            canvas = (new_h, new_w)
        return _finish_boxes(out, boxes.format, canvas, boxes.clamping_mode, dtype, shape), canvas

    return _boxes_op(boxes, fn)


@_register(affine, tv_tensors.BoundingBoxes, wrap_output=False)
def _affine_boxes_dispatch(boxes, angle, translate, scale, shear, center=None, **kwargs):
    return _affine_boxes(boxes, angle, translate, scale, shear, center)


def rotate(inpt, angle, interpolation=InterpolationMode.NEAREST, expand: bool = False,
           center=None, fill=None):
    """Rotate by ``angle`` degrees counter-clockwise (``expand`` grows the canvas to fit)."""
    return _dispatch(rotate, inpt, angle=angle, interpolation=interpolation, expand=expand,
                     center=center, fill=fill)


@_register(rotate, *_IMAGE)
def rotate_image(image, angle, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center=None, fill=None):
    torch = _ember()
    turn = angle % 360
    if center is None:  # v2 takes exact shortcuts for quarter turns
        if turn == 0:
            return image.clone()
        if turn == 180:
            return torch.rot90(image, k=2, dims=(-2, -1))
        if expand or image.shape[-1] == image.shape[-2]:
            if turn == 90:
                return torch.rot90(image, k=1, dims=(-2, -1))
            if turn == 270:
                return torch.rot90(image, k=3, dims=(-2, -1))
    interpolation = _check_interpolation(interpolation)
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    # NOTE: as F1.rotate on tensors, with v2's matrix and fill blend (see F_t.affine)
    matrix = _get_inverse_affine_matrix(F1._centre_offset(center, image), -float(turn),
                                        [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(image, matrix, interpolation.value, expand, fill, v2=True)


@_register(rotate, _PIL)
def _rotate_pil(image, angle, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                center=None, fill=None):
    interpolation = _check_interpolation(interpolation)
    return F1.rotate(image, float(angle), interpolation, expand, center, fill)


@_register(rotate, tv_tensors.Mask)
def rotate_mask(mask, angle, expand: bool = False, center=None, fill=None, **kwargs):
    mask, undo = _as_mask3d(mask)
    return undo(rotate_image(mask, angle, interpolation=InterpolationMode.NEAREST,
                             expand=expand, center=center, fill=fill))


@_register(rotate, tv_tensors.BoundingBoxes, wrap_output=False)
def _rotate_boxes(boxes, angle, expand: bool = False, center=None, **kwargs):
    return _affine_boxes(boxes, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center, expand)


math  # noqa: B018
