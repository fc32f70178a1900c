"""Elastic warps (torchvision's ``ElasticTransform`` and ``F.elastic_transform``).

A displacement field ``(1, H, W, 2)`` (x then y, in ``grid_sample``'s [-1, 1] units) is
added to the identity grid of pixel centres, and the image is sampled there.  The random
field is two uniform noise planes, each Gaussian-blurred and scaled by ``alpha`` over the
image size.  Sampling goes through the same exact ``grid_sample`` restatement as the
affine and perspective warps (see ``_functional_tensor._warp``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..._tensor import Tensor
from ...nn.modules.module import Module


def _ember():
    import ember

    return ember


def _identity_axis(s: int, dtype) -> Tensor:
    """``linspace((1 - s) / s, (s - 1) / s, s)``: the pixel centres in [-1, 1] units."""
    return _ember().linspace((-s + 1) / s, (s - 1) / s, s, dtype=dtype)


def _grid_coords_from_field(grid: np.ndarray):
    """A ``coords`` function for ``F_t._warp`` that reads the sample grid ``(H, W, 2)``."""
    from . import _functional_tensor as F_t

    def coords(_matrix, w, h, ow, oh, np_type, fused=False):
        gx = grid[..., 0].astype(np_type, copy=False)
        gy = grid[..., 1].astype(np_type, copy=False)
        one, half = np_type.type(1), np_type.type(-0.5)
        return (F_t._muladd(gx + one, np_type.type(w / 2), half, np_type, fused),
                F_t._muladd(gy + one, np_type.type(h / 2), half, np_type, fused))

    return coords


def _sample_grid(height: int, width: int, displacement: Tensor, dtype,
                 base_dtype=None) -> np.ndarray:
    """Identity grid (made in ``base_dtype``, by default ``dtype``) plus ``displacement``, in
    ``dtype``, as a NumPy ``(H, W, 2)`` array."""
    gx = _identity_axis(width, base_dtype or dtype).to(dtype).numpy(force=True)
    gy = _identity_axis(height, base_dtype or dtype).to(dtype).numpy(force=True)
    base = np.empty((height, width, 2), dtype=gx.dtype)
    base[..., 0] = gx[None, :]
    base[..., 1] = gy[:, None]
    disp = displacement.detach().to(dtype).cpu().numpy(force=True).reshape(height, width, 2)
    return base + disp


def elastic_transform_tensor(img: Tensor, displacement: Tensor, interpolation: str = "bilinear",
                             fill=None, v2: bool = False) -> Tensor:
    """Sample ``img`` (``[..., C, H, W]``) at the identity grid moved by ``displacement``.

    v1 works in the grid's dtype (float32), casting a float64 image down and back, and
    blends a ``fill`` as ``img * mask + (1 - mask) * fill``; ``v2`` works in the image's
    float dtype and blends as ``(img - fill) * mask + fill``.
    """
    from . import _functional_tensor as F_t

    torch = _ember()
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    F_t._assert_image_tensor(img)
    h, w = int(img.shape[-2]), int(img.shape[-1])
    if not v2:
        F_t._v1_grid_sample_dims(img, w, h, fill)
    channels = int(img.shape[-3]) if img.ndim >= 3 else 1
    if isinstance(fill, (tuple, list)) and len(fill) not in (1, channels):
        _refuse_fill(img, len(fill), interpolation, v2)
    if interpolation not in ("nearest", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor "
                         "input (ember's elastic warp takes nearest, bilinear or bicubic)")
    if v2:
        dtype = img.dtype if img.is_floating_point() else torch.float32
        if dtype == torch.float16:
            dtype = torch.float32
    else:
        # (v1: the identity grid, in the default dtype, plus the displacement: the grid's
        # dtype is their promotion; a half-precision displacement is added in float32)
        base = torch.get_default_dtype()
        dtype = torch.promote_types(base, displacement.dtype) \
            if displacement.is_floating_point() else base
    work = img
    if img.is_floating_point() and img.dtype != dtype:
        work = img.to(dtype)
    grid = _sample_grid(h, w, displacement, dtype, None if v2 else base)
    if interpolation == "bicubic" or work.dtype in (torch.float16, torch.bfloat16):
        # (half precision: grid_sample's own kernel, which rounds every step to the dtype)
        out = _grid_warp(work, grid, fill, v2, interpolation)
    else:
        out = F_t._warp(work, None, w, h, interpolation, fill, v2,
                        coords=_grid_coords_from_field(grid))
    return out if out.dtype == img.dtype else out.to(img.dtype)


def _grid_warp(img: Tensor, grid: np.ndarray, fill, v2: bool, mode: str = "bicubic") -> Tensor:
    """torchvision's grid transform with ``grid_sample`` itself: an all-ones channel sampled
    beside the image where there is a ``fill``, blended in as v1 or v2 does (nearest: the
    fill where the mask is under 0.5); integer images rounded back."""
    torch = _ember()
    shape = tuple(img.shape)
    c, h, w = shape[-3:] if len(shape) >= 3 else (1,) + shape
    x = img.to(torch.from_numpy(grid).dtype) if not img.is_floating_point() else img
    x = x.reshape(-1, c, h, w)
    n = int(x.shape[0])
    g = torch.from_numpy(np.ascontiguousarray(grid)).to(x.dtype)[None].expand(n, h, w, 2)
    if fill is not None:
        x = torch.cat((x, torch.ones((n, 1, h, w), dtype=x.dtype)), dim=1)
    out = torch.nn.functional.grid_sample(x, g, mode=mode, padding_mode="zeros",
                                          align_corners=False)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:].expand(n, c, h, w)
        values = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = torch.tensor(values, dtype=out.dtype).view(1, len(values), 1, 1)
        fill_img = fill_img.expand_as(out)
        if mode == "nearest":
            out = torch.where(mask < 0.5, fill_img, out)
        else:
            out = (out - fill_img) * mask + fill_img if v2 else \
                out * mask + (1.0 - mask) * fill_img
    if not img.is_floating_point():
        out = out.round()
    return out.reshape(shape).to(img.dtype)


def _refuse_fill(img: Tensor, n_fill: int, interpolation: str, v2: bool) -> None:
    """torchvision does not check the length of ``fill``: PyTorch's errors where the fill
    colour (``(1, n_fill, 1, 1)``) meets the ``(N, C, H, W)`` image (v1: ``expand_as``; v2:
    ``expand_as`` for nearest, an in-place broadcast for bilinear)."""
    c, h, w = (int(n) for n in img.shape[-3:])
    n = int(np.prod(img.shape[:-3], dtype=np.int64)) if v2 else \
        (int(img.shape[0]) if img.ndim == 4 else 1)
    if v2 and interpolation == "bilinear":
        if c == 1:
            raise RuntimeError(f"output with shape [{n}, 1, {h}, {w}] doesn't match the "
                               f"broadcast shape [{n}, {n_fill}, {h}, {w}]")
        raise RuntimeError(f"The size of tensor a ({c}) must match the size of tensor b "
                           f"({n_fill}) at non-singleton dimension 1")
    raise RuntimeError(f"The expanded size of the tensor ({c}) must match the existing size "
                       f"({n_fill}) at non-singleton dimension 1.  Target sizes: [{n}, {c}, {h}, "
                       f"{w}].  Tensor sizes: [1, {n_fill}, 1, 1]")


def elastic_transform(img, displacement, interpolation=None, fill=None):
    """Move each pixel of ``img`` by ``displacement`` (``(1, H, W, 2)``, [-1, 1] units)."""
    from . import functional as F
    from .functional import InterpolationMode, _interpolation_modes_from_int

    if interpolation is None:
        interpolation = InterpolationMode.BILINEAR
    if isinstance(interpolation, int):
        from ember._warnings import warn

        warn("Argument interpolation should be of type InterpolationMode instead of int. "
             "Please, use InterpolationMode enum.")
        interpolation = _interpolation_modes_from_int(interpolation)
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    t_img = img
    if not isinstance(img, Tensor):
        from .._pil import is_pil_image

        if not is_pil_image(img):
            raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
        t_img = F.pil_to_tensor(img)
    shape = (1,) + tuple(t_img.shape[-2:]) + (2,)
    if shape != tuple(displacement.shape):
        raise ValueError(f"Argument displacement shape should be {_ember().Size(shape)}, "
                         f"but given {displacement.shape}")
    out = elastic_transform_tensor(t_img, displacement, interpolation.value, fill)
    if not isinstance(img, Tensor):
        return F.to_pil_image(out, mode=img.mode)
    return out


def _kernel_size(sigma: float) -> int:
    k = int(8 * sigma + 1)
    return k + 1 if k % 2 == 0 else k


def _kernel2d_v1(k: int, sigma) -> np.ndarray:
    """v1's ``k x k`` Gaussian: ``mm`` of the y and x kernels (float32)."""
    from . import _functional_tensor as F_t

    torch = _ember()
    kx = F_t._gaussian_kernel1d(k, sigma[0], torch.float32, "cpu")
    ky = F_t._gaussian_kernel1d(k, sigma[1], torch.float32, "cpu")
    return torch.mm(ky[:, None], kx[None, :]).numpy(force=True)


def _kernel2d_v2(k: int, sigma) -> np.ndarray:
    """v2's ``k x k`` Gaussian: the y kernel times the x kernel, broadcast (float32)."""
    from .v2.functional import _gaussian_kernel1d

    torch = _ember()
    kx = _gaussian_kernel1d(k, sigma[0], torch.float32, "cpu")
    ky = _gaussian_kernel1d(k, sigma[1], torch.float32, "cpu")
    return (ky.unsqueeze(-1) * kx).numpy(force=True)


def _blur_plane_exact(plane: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``conv2d`` of one reflect-padded float32 plane ``(H, W)`` with a ``k x k`` kernel,
    with the numbers PyTorch's CPU convolution gives for torchvision's blur.

    A kernel larger than 3x3 (or a padded plane of more than 20480 values) goes to oneDNN,
    which adds the taps row by row, left to right, each through a fused multiply-add; a
    smaller single-channel case goes through im2col and a matrix product that adds the
    products in the same order, each rounded (both checked against PyTorch).
    """
    from . import _functional_tensor as F_t

    k = kernel.shape[0]
    p = k // 2
    h, w = plane.shape
    padded = np.pad(plane, p, mode="reflect")
    fused = (k > 3 or padded.size > 20480) and F_t._fused()
    acc = None
    for i in range(k):
        for j in range(k):
            tap = padded[i:i + h, j:j + w]
            weight = kernel[i, j]
            if acc is None:
                acc = tap * weight
            elif fused:
                acc = F_t._muladd(tap, weight, acc, np.dtype(np.float32), True)
            else:
                acc = acc + tap * weight
    return np.ascontiguousarray(acc, dtype=np.float32)


def _elastic_field(alpha, sigma, size, blur, kernel2d=None) -> Tensor:
    """torchvision's random field: for x then y, ``rand * 2 - 1``, blurred, times
    ``alpha / size``; returned as ``(1, H, W, 2)``.

    With ``kernel2d`` (v1's or v2's kernel) the blur is :func:`_blur_plane_exact` where it
    can be (float32 on the CPU, the plane larger than the kernel's half), else ``blur``.
    """
    torch = _ember()
    planes = []
    for axis, extent in ((0, size[1]), (1, size[0])):
        d = torch.rand([1, 1] + list(size)) * 2 - 1
        if sigma[axis] > 0.0:
            k = _kernel_size(sigma[axis])
            if (kernel2d is not None and d.dtype == torch.float32 and d.device.type == "cpu"
                    and k // 2 < min(size)):
                out = _blur_plane_exact(d.numpy(force=True)[0, 0], kernel2d(k, list(sigma)))
                d = torch.from_numpy(out).reshape(1, 1, *out.shape)
            else:
                d = blur(d, [k, k], list(sigma))
        planes.append(d * alpha[axis] / extent)
    return torch.concat(planes, 1).permute([0, 2, 3, 1])


def _float_pair(value, name: str):
    if not isinstance(value, (float, Sequence)):
        raise TypeError(f"{name} should be float or a sequence of floats. Got {type(value)}")
    if isinstance(value, Sequence) and len(value) != 2:
        raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(value)}")
    if isinstance(value, Sequence):
        for element in value:
            if not isinstance(element, float):
                raise TypeError(f"{name} should be a sequence of floats. Got {type(element)}")
    if isinstance(value, float):
        value = [float(value), float(value)]
    return value


class ElasticTransform(Module):
    """Warp by a smooth random displacement field: uniform noise blurred with ``sigma``,
    scaled by ``alpha`` pixels (torchvision's draws: ``torch.rand`` for x, then y)."""

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=None, fill=0):
        from .functional import InterpolationMode, _interpolation_modes_from_int

        super().__init__()
        self.alpha = _float_pair(alpha, "alpha")
        self.sigma = _float_pair(sigma, "sigma")
        if interpolation is None:
            interpolation = InterpolationMode.BILINEAR
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        if isinstance(fill, (int, float)):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError("fill should be int or float or a list or tuple of them. "
                            f"Got {type(fill)}")
        self.fill = fill

    @staticmethod
    def get_params(alpha, sigma, size) -> Tensor:
        from . import functional as F

        return _elastic_field(alpha, sigma, size, F.gaussian_blur, _kernel2d_v1)

    def forward(self, tensor):
        from . import functional as F

        _, height, width = F.get_dimensions(tensor)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return elastic_transform(tensor, displacement, self.interpolation, self.fill)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(alpha={self.alpha}, sigma={self.sigma}, "
                f"interpolation={self.interpolation}, fill={self.fill})")

