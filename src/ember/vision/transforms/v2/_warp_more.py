"""v2 perspective and elastic warps (functionals and the ``RandomPerspective``,
``ElasticTransform`` transforms) and ``RandomIoUCrop``.

Images are sampled by the exact ``grid_sample`` restatement of
``_functional_tensor._warp`` with v2's fill blend; masks take nearest sampling;
boxes go through the inverse map (perspective) or the approximate inverse grid
``identity - displacement`` (elastic), as torchvision v2 does.
"""
from __future__ import annotations

from ... import tv_tensors
from .. import _elastic
from .. import _functional_pil as F_pil
from .. import _functional_tensor as F_t
from .. import functional as F1
from ..functional import InterpolationMode, pil_modes_mapping
from ._functional_geometry import _XYXY, _check_interpolation, crop
from ._meta import _clamp_bounding_boxes, _convert_bounding_box_format
from ._transform import Transform, _RandomApplyTransform, _ember
from ._utils import (_get_fill, _setup_fill_arg, _setup_number_or_seq, get_bounding_boxes,
                     has_all, has_any, is_pure_tensor, query_size)
from .functional import _IMAGE, _PIL, _as_mask3d, _boxes_op, _dispatch, _register, gaussian_blur

__all__ = ["ElasticTransform", "RandomIoUCrop", "RandomPerspective", "elastic",
           "elastic_image", "elastic_mask", "elastic_transform", "perspective",
           "perspective_image", "perspective_mask"]


# -- perspective -----------------------------------------------------------------------------

def _perspective_coefficients(startpoints, endpoints, coefficients) -> list[float]:
    if coefficients is not None:
        if startpoints is not None and endpoints is not None:
            raise ValueError("The startpoints/endpoints and the coefficients shouldn't be "
                             "defined concurrently.")
        if len(coefficients) != 8:
            raise ValueError("Argument coefficients should have 8 float values")
        return coefficients
    if startpoints is not None and endpoints is not None:
        return F1._get_perspective_coeffs(startpoints, endpoints)
    raise ValueError("Either the startpoints/endpoints or the coefficients must have non "
                     "`None` values.")


def perspective(inpt, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                fill=None, coefficients=None):
    """Warp so that ``startpoints`` move to ``endpoints`` (or by eight ``coefficients``)."""
    return _dispatch(perspective, inpt, startpoints=startpoints, endpoints=endpoints,
                     interpolation=interpolation, fill=fill, coefficients=coefficients)


@_register(perspective, *_IMAGE)
def perspective_image(image, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                      fill=None, coefficients=None):
    coeffs = _perspective_coefficients(startpoints, endpoints, coefficients)
    interpolation = _check_interpolation(interpolation)
    F_t._check_warp_args(image, None, interpolation.value, fill, v2=True)
    h, w = int(image.shape[-2]), int(image.shape[-1])
    if image.numel() == 0:
        return image
    return F_t._warp(image, list(coeffs), w, h, interpolation.value, fill, v2=True,
                     coords=F_t._perspective_source_coords)


@_register(perspective, _PIL)
def _perspective_pil(image, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                     fill=None, coefficients=None):
    coeffs = _perspective_coefficients(startpoints, endpoints, coefficients)
    interpolation = _check_interpolation(interpolation)
    return F_pil.perspective(image, coeffs, pil_modes_mapping[interpolation], fill)


@_register(perspective, tv_tensors.Mask)
def perspective_mask(mask, startpoints, endpoints, fill=None, coefficients=None, **kwargs):
    mask, undo = _as_mask3d(mask)
    return undo(perspective_image(mask, startpoints, endpoints, InterpolationMode.NEAREST,
                                  fill, coefficients))


def _inverse_coefficients(c) -> list[float]:
    """The coefficients of the inverse perspective map (Python floats, as torchvision)."""
    denom = c[0] * c[4] - c[1] * c[3]
    if denom == 0:
        raise RuntimeError(f"Provided perspective_coeffs {c} can not be inverted to transform "
                           f"bounding boxes. Denominator is zero, denom={denom}")
    return [(c[4] - c[5] * c[7]) / denom, (-c[1] + c[2] * c[7]) / denom,
            (c[1] * c[5] - c[2] * c[4]) / denom, (-c[3] + c[5] * c[6]) / denom,
            (c[0] - c[2] * c[6]) / denom, (-c[0] * c[5] + c[2] * c[3]) / denom,
            (-c[4] * c[6] + c[3] * c[7]) / denom, (-c[0] * c[7] + c[1] * c[6]) / denom]


@_register(perspective, tv_tensors.BoundingBoxes, wrap_output=False)
def _perspective_boxes(boxes, startpoints, endpoints, coefficients=None, **kwargs):
    torch = _ember()

    def fn(b, canvas):
        if b.numel() == 0:
            return b, canvas
        coeffs = _perspective_coefficients(startpoints, endpoints, coefficients)
        inv = _inverse_coefficients(coeffs)
        dtype, shape = b.dtype, b.shape
        xyxy = _convert_bounding_box_format(b, boxes.format, _XYXY).reshape(-1, 4)
        work = xyxy.dtype if xyxy.is_floating_point() else torch.float32
        theta = torch.tensor(inv, dtype=work, device=b.device)
        pts = xyxy[:, [[0, 1], [2, 1], [2, 3], [0, 3]]].reshape(-1, 2).to(work)
        x, y = pts[:, 0], pts[:, 1]
        # NOTE: torchvision's two 3-term matmuls add their products in order, unfused
        den = x * theta[6] + y * theta[7] + 1.0
        moved = torch.stack([(x * theta[0] + y * theta[1] + theta[2]) / den,
                             (x * theta[3] + y * theta[4] + theta[5]) / den], dim=-1)
        moved = moved.reshape(-1, 4, 2)
        out = torch.cat([moved.amin(dim=1), moved.amax(dim=1)], dim=1)
        out = _clamp_bounding_boxes(out, _XYXY, canvas, boxes.clamping_mode)
        out = _convert_bounding_box_format(out, _XYXY, boxes.format).reshape(shape).to(dtype)
        return out, canvas

    return _boxes_op(boxes, fn)


# -- elastic ---------------------------------------------------------------------------------

def elastic(inpt, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Sample at the identity grid moved by ``displacement`` (``(1, H, W, 2)``)."""
    return _dispatch(elastic, inpt, displacement=displacement, interpolation=interpolation,
                     fill=fill)


elastic_transform = elastic


def _check_displacement(displacement, height: int, width: int):
    from ...._tensor import Tensor

    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    expected = (1, height, width, 2)
    if tuple(displacement.shape) != expected:
        raise ValueError(f"Argument displacement shape should be {_ember().Size(expected)}, "
                         f"but given {displacement.shape}")


@_register(elastic, *_IMAGE)
def elastic_image(image, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    from ...._tensor import Tensor

    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    interpolation = _check_interpolation(interpolation)
    h, w = int(image.shape[-2]), int(image.shape[-1])
    _check_displacement(displacement, h, w)
    if image.numel() == 0:
        return image
    return _elastic.elastic_transform_tensor(image, displacement, interpolation.value, fill,
                                             v2=True)


@_register(elastic, _PIL)
def _elastic_pil(image, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    out = elastic_image(F1.pil_to_tensor(image), displacement, interpolation, fill)
    return F1.to_pil_image(out, mode=image.mode)


@_register(elastic, tv_tensors.Mask)
def elastic_mask(mask, displacement, fill=None, **kwargs):
    mask, undo = _as_mask3d(mask)
    return undo(elastic_image(mask, displacement, InterpolationMode.NEAREST, fill))


@_register(elastic, tv_tensors.BoundingBoxes, wrap_output=False)
def _elastic_boxes(boxes, displacement, **kwargs):
    torch = _ember()

    def fn(b, canvas):
        _check_displacement(displacement, canvas[0], canvas[1])
        if b.numel() == 0:
            return b, canvas
        dtype, shape = b.dtype, b.shape
        work = dtype if b.is_floating_point() else torch.float32
        disp = displacement.to(dtype=work)
        xyxy = _convert_bounding_box_format(b.clone(), boxes.format, _XYXY).reshape(-1, 4)
        gx = _elastic._identity_axis(canvas[1], work)
        gy = _elastic._identity_axis(canvas[0], work)
        base = torch.stack([gx.expand(canvas[0], canvas[1]),
                            gy[:, None].expand(canvas[0], canvas[1])], dim=-1)
        inv_grid = base - disp[0]
        pts = xyxy[:, [[0, 1], [2, 1], [2, 3], [0, 3]]].reshape(-1, 2)
        if pts.is_floating_point():
            pts = pts.ceil()
        idx = pts.to(torch.long)
        ix = idx[:, 0].clamp(0, canvas[1] - 1)
        iy = idx[:, 1].clamp(0, canvas[0] - 1)
        size = torch.tensor([canvas[1], canvas[0]], dtype=disp.dtype)
        moved = ((inv_grid[iy, ix, :] + 1) * (0.5 * size) - 0.5).reshape(-1, 4, 2)
        out = torch.cat([moved.amin(dim=1), moved.amax(dim=1)], dim=1).to(xyxy.dtype)
        out = _clamp_bounding_boxes(out, _XYXY, canvas, boxes.clamping_mode)
        return _convert_bounding_box_format(out, _XYXY, boxes.format).reshape(shape), canvas

    return _boxes_op(boxes, fn)


# -- transforms ------------------------------------------------------------------------------

class RandomPerspective(_RandomApplyTransform):
    """With probability ``p``, a perspective warp whose corners move inwards by up to
    ``distortion_scale`` of half the size (v2's draws: eight ``torch.randint`` calls)."""

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5, interpolation="bilinear",
                 fill=0) -> None:
        super().__init__(p=p)
        if not 0 <= distortion_scale <= 1:
            raise ValueError("Argument distortion_scale value should be between 0 and 1")
        self.distortion_scale = distortion_scale
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)

    def make_params(self, flat_inputs):
        torch = _ember()
        height, width = query_size(flat_inputs)
        bound_h = int(self.distortion_scale * (height // 2)) + 1
        bound_w = int(self.distortion_scale * (width // 2)) + 1

        def draw(low, high):
            return int(torch.randint(low, high, size=(1,)))

        near_x, near_y = (0, bound_w), (0, bound_h)
        far_x, far_y = (width - bound_w, width), (height - bound_h, height)
        topleft = [draw(*near_x), draw(*near_y)]
        topright = [draw(*far_x), draw(*near_y)]
        botright = [draw(*far_x), draw(*far_y)]
        botleft = [draw(*near_x), draw(*far_y)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        coeffs = F1._get_perspective_coeffs(startpoints, [topleft, topright, botright, botleft])
        return dict(coefficients=coeffs)

    def transform(self, inpt, params):
        fill = _get_fill(self._fill, type(inpt))
        return self._call_kernel(perspective, inpt, startpoints=None, endpoints=None, fill=fill,
                                 interpolation=self.interpolation, **params)


class ElasticTransform(Transform):
    """Warp by a smooth random displacement field (v1's draws, v2's kernels)."""

    def __init__(self, alpha=50.0, sigma=5.0, interpolation="bilinear", fill=0) -> None:
        super().__init__()
        self.alpha = _setup_number_or_seq(alpha, "alpha")
        self.sigma = _setup_number_or_seq(sigma, "sigma")
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)

    def make_params(self, flat_inputs):
        height, width = query_size(flat_inputs)

        def blur(d, kernel_size, sigma):
            return self._call_kernel(gaussian_blur, d, kernel_size, sigma)

        return dict(displacement=_elastic._elastic_field(self.alpha, self.sigma,
                                                         [height, width], blur,
                                                         _elastic._kernel2d_v2))

    def transform(self, inpt, params):
        fill = _get_fill(self._fill, type(inpt))
        return self._call_kernel(elastic, inpt, **params, fill=fill,
                                 interpolation=self.interpolation)


class RandomIoUCrop(Transform):
    """SSD's random crop: pick a minimum IoU from ``sampler_options`` (1.0 or more: keep the
    sample), then try up to ``trials`` crops until one keeps a box centre and overlaps some
    kept box by at least that IoU.  Boxes whose centre falls outside become all zeros."""

    def __init__(self, min_scale: float = 0.3, max_scale: float = 1.0,
                 min_aspect_ratio: float = 0.5, max_aspect_ratio: float = 2.0,
                 sampler_options=None, trials: int = 40):
        super().__init__()
        self.min_scale = min_scale
        self.max_scale = max_scale
        self.min_aspect_ratio = min_aspect_ratio
        self.max_aspect_ratio = max_aspect_ratio
        if sampler_options is None:
            sampler_options = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
        self.options = sampler_options
        self.trials = trials

    def check_inputs(self, flat_inputs) -> None:
        from ._utils import _is_pil

        if not (has_all(flat_inputs, tv_tensors.BoundingBoxes)
                and has_any(flat_inputs, _is_pil, tv_tensors.Image, is_pure_tensor)):
            raise TypeError(f"{type(self).__name__}() requires input sample to contain tensor or "
                            "PIL images and bounding boxes. Sample can also contain masks.")

    def make_params(self, flat_inputs):
        from ...ops.boxes import box_iou

        torch = _ember()
        orig_h, orig_w = query_size(flat_inputs)
        bboxes = get_bounding_boxes(flat_inputs)
        while True:
            idx = int(torch.randint(low=0, high=len(self.options), size=(1,)))
            min_iou = self.options[idx]
            if min_iou >= 1.0:
                return dict()
            for _ in range(self.trials):
                r = self.min_scale + (self.max_scale - self.min_scale) * torch.rand(2)
                new_w, new_h = int(orig_w * r[0]), int(orig_h * r[1])
                aspect = new_w / new_h
                if not self.min_aspect_ratio <= aspect <= self.max_aspect_ratio:
                    continue
                r = torch.rand(2)
                left, top = int((orig_w - new_w) * r[0]), int((orig_h - new_h) * r[1])
                right, bottom = left + new_w, top + new_h
                if left == right or top == bottom:
                    continue
                xyxy = _convert_bounding_box_format(bboxes.as_subclass(type(r)), bboxes.format,
                                                    _XYXY)
                cx = 0.5 * (xyxy[..., 0] + xyxy[..., 2])
                cy = 0.5 * (xyxy[..., 1] + xyxy[..., 3])
                inside = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
                if not inside.any():
                    continue
                kept = xyxy[inside]
                frame = torch.tensor([[left, top, right, bottom]], dtype=kept.dtype)
                if box_iou(kept, frame).max() < min_iou:
                    continue
                return dict(top=top, left=left, height=new_h, width=new_w,
                            is_within_crop_area=inside)

    def transform(self, inpt, params):
        if len(params) < 1:
            return inpt
        out = self._call_kernel(crop, inpt, top=params["top"], left=params["left"],
                                height=params["height"], width=params["width"])
        if isinstance(out, tv_tensors.BoundingBoxes):
            out[~params["is_within_crop_area"]] = 0
        return out

