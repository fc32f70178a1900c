"""``KeyPoints`` through the v2 geometric functionals (torchvision 0.29's kernels): flips,
resize, crops, pad, affine, rotate, perspective and elastic move the points (never clamped)
and update ``canvas_size``; the other functionals pass them through."""
from __future__ import annotations

from ... import tv_tensors
from .. import _functional_tensor as F_t
from .. import functional as F1
from . import _functional_geometry as G
from . import _warp_more as W
from .functional import _plain, _register, _to_dtype_plain, get_size, to_dtype

_KP = tv_tensors.KeyPoints


def _ember():
    import ember

    return ember


def _wrap(out, like, canvas_size=None):
    kwargs = {} if canvas_size is None else {"canvas_size": tuple(canvas_size)}
    return tv_tensors.wrap(out, like=like, **kwargs)


_register(get_size, _KP, wrap_output=False)(lambda points: list(points.canvas_size))
_register(to_dtype, _KP, wrap_output=False)(_to_dtype_plain)


def _flip(points, axis: int, size: int):
    shape = points.shape
    out = points.clone().reshape(-1, 2)
    out[..., axis] = out[..., axis].sub_(size - 1).neg_()
    return out.reshape(shape)


@_register(G.horizontal_flip, _KP, wrap_output=False)
def _hflip_keypoints(points):
    return _wrap(_flip(_plain(points), 0, points.canvas_size[1]), points)


@_register(G.vertical_flip, _KP, wrap_output=False)
def _vflip_keypoints(points):
    return _wrap(_flip(_plain(points), 1, points.canvas_size[0]), points)


def _resize(points, size, canvas_size, max_size=None):
    old_h, old_w = canvas_size
    new_h, new_w = G._compute_resized_output_size(canvas_size, size, max_size=max_size)
    if (new_h, new_w) == (old_h, old_w):
        return points, canvas_size
    ratios = _ember().tensor([new_w / old_w, new_h / old_h], device=points.device)
    return points.mul(ratios).to(points.dtype), (new_h, new_w)


@_register(G.resize, _KP, wrap_output=False)
def _resize_keypoints(points, size, max_size=None, **kwargs):
    out, canvas = _resize(_plain(points), size, tuple(points.canvas_size), max_size)
    return _wrap(out, points, canvas)


def _crop(points, top, left, height, width):
    shift = _ember().tensor([left, top], dtype=points.dtype, device=points.device)
    return points - shift, (height, width)


@_register(G.crop, _KP, wrap_output=False)
def _crop_keypoints(points, top: int, left: int, height: int, width: int):
    out, canvas = _crop(_plain(points), top, left, height, width)
    return _wrap(out, points, canvas)


@_register(G.center_crop, _KP, wrap_output=False)
def _center_crop_keypoints(points, output_size):
    crop_h, crop_w = G._center_crop_size(output_size)
    top, left = G._center_crop_anchor(crop_h, crop_w, *points.canvas_size)
    out, canvas = _crop(_plain(points), top, left, crop_h, crop_w)
    return _wrap(out, points, canvas)


@_register(G.resized_crop, _KP, wrap_output=False)
def _resized_crop_keypoints(points, top, left, height, width, size, **kwargs):
    out, canvas = _crop(_plain(points), top, left, height, width)
    out, canvas = _resize(out, size, canvas)
    return _wrap(out, points, canvas)


@_register(G.pad, _KP, wrap_output=False)
def _pad_keypoints(points, padding, padding_mode: str = "constant", **kwargs):
    if padding_mode not in ["constant"]:
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with KeyPoints "
                         "(supported modes are constant)")
    left, right, top, bottom = G._parse_pad_padding(padding)
    plain = _plain(points)
    shift = _ember().tensor([left, top], dtype=plain.dtype, device=plain.device)
    h, w = points.canvas_size
    return _wrap(plain + shift, points, (h + top + bottom, w + left + right))


def _affine(points, canvas_size, angle, translate, scale, shear, center=None, expand=False):
    """The points through the forward affine map (as a matrix product), and the canvas
    (grown to the rotated frame with ``expand``)."""
    torch = _ember()
    if points.numel() == 0:
        return points, canvas_size
    dtype, shape = points.dtype, points.shape
    pts = points.clone() if points.is_floating_point() else points.float()
    work = pts.dtype
    angle, translate, shear, center = F1._affine_args(angle, translate, scale, shear, center)
    height, width = canvas_size
    if center is None:
        center = [width * 0.5, height * 0.5]
    forward = G._get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=False)
    m = torch.tensor(forward, dtype=work, device=pts.device).reshape(2, 3).T
    flat = pts.reshape(-1, 2)
    ones = torch.ones(flat.shape[0], 1, device=pts.device, dtype=work)
    moved = torch.matmul(torch.cat([flat, ones], dim=-1), m)
    if expand:
        frame = torch.tensor([[0.0, 0.0, 1.0], [0.0, float(height), 1.0],
                              [float(width), float(height), 1.0], [float(width), 0.0, 1.0]],
                             dtype=work, device=pts.device)
        moved.sub_(torch.amin(torch.matmul(frame, m), dim=0, keepdim=True))
        inverse = G._get_inverse_affine_matrix(center, angle, translate, scale, shear)
        new_w, new_h = F_t._compute_affine_output_size(inverse, width, height)
        canvas_size = (new_h, new_w)
    return moved.reshape(shape).to(dtype), canvas_size


@_register(G.affine, _KP, wrap_output=False)
def _affine_keypoints(points, angle, translate, scale, shear, center=None, **kwargs):
    out, canvas = _affine(_plain(points), tuple(points.canvas_size), angle, translate, scale,
                          shear, center)
    return _wrap(out, points, canvas)


@_register(G.rotate, _KP, wrap_output=False)
def _rotate_keypoints(points, angle, expand: bool = False, center=None, **kwargs):
    out, canvas = _affine(_plain(points), tuple(points.canvas_size), -angle, [0.0, 0.0], 1.0,
                          [0.0, 0.0], center, expand)
    return _wrap(out, points, canvas)


@_register(W.perspective, _KP, wrap_output=False)
def _perspective_keypoints(points, startpoints, endpoints, coefficients=None, **kwargs):
    torch = _ember()
    plain = _plain(points)
    if plain.numel() == 0:
        return _wrap(plain, points)
    work = plain.dtype if plain.is_floating_point() else torch.float32
    shape = plain.shape
    flat = plain.clone().reshape(-1, 2)
    c = W._perspective_coefficients(startpoints, endpoints, coefficients)
    denom = c[0] * c[4] - c[1] * c[3]
    if denom == 0:
        raise RuntimeError(f"Provided perspective_coeffs {c} can not be inverted to transform "
                           f"keypoints. Denominator is zero, denom={denom}")
    inv = [(c[4] - c[5] * c[7]) / denom, (-c[1] + c[2] * c[7]) / denom,
           (c[1] * c[5] - c[2] * c[4]) / denom, (-c[3] + c[5] * c[6]) / denom,
           (c[0] - c[2] * c[6]) / denom, (-c[0] * c[5] + c[2] * c[3]) / denom,
           (-c[4] * c[6] + c[3] * c[7]) / denom, (-c[0] * c[7] + c[1] * c[6]) / denom]
    theta1 = torch.tensor([inv[0:3], inv[3:6]], dtype=work, device=plain.device)
    theta2 = torch.tensor([[inv[6], inv[7], 1.0], [inv[6], inv[7], 1.0]], dtype=work,
                          device=plain.device)
    # (as torchvision: the ones column is float32 whatever the points' dtype)
    pts = torch.cat([flat, torch.ones(flat.shape[0], 1, device=plain.device)], dim=-1)
    out = torch.matmul(pts, theta1.T).div_(torch.matmul(pts, theta2.T))
    return _wrap(out.to(plain.dtype).reshape(shape), points)


@_register(W.elastic, _KP, wrap_output=False)
def _elastic_keypoints(points, displacement, **kwargs):
    """Each point moved by the inverse of the displacement at its (truncated) pixel, an
    approximation, as torchvision's."""
    torch = _ember()
    from ...._tensor import Tensor

    plain = _plain(points)
    h, w = points.canvas_size
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    if tuple(displacement.shape) != (1, h, w, 2):
        raise ValueError(f"Argument displacement shape should be {(1, h, w, 2)}, but given "
                         f"{displacement.shape}")
    if plain.numel() == 0:
        return _wrap(plain, points)
    work = plain.dtype if plain.is_floating_point() else torch.float32
    disp = displacement.to(dtype=work, device=plain.device)
    shape = plain.shape
    flat = plain.clone().reshape(-1, 2)
    grid = torch.empty(1, h, w, 2, dtype=work, device=plain.device)
    grid[..., 0].copy_(torch.linspace((-w + 1) / w, (w - 1) / w, w, dtype=work))
    grid[..., 1].copy_(torch.linspace((-h + 1) / h, (h - 1) / h, h, dtype=work).unsqueeze_(-1))
    inv_grid = grid.sub_(disp)
    index = flat.to(dtype=torch.long)
    ix, iy = index[:, 0].clamp_(0, w - 1), index[:, 1].clamp_(0, h - 1)
    size = torch.tensor([w, h], dtype=disp.dtype, device=disp.device)
    out = inv_grid[0, iy, ix, :].add_(1).mul_(0.5 * size).sub_(0.5)
    return _wrap(out.to(plain.dtype).reshape(shape), points)
