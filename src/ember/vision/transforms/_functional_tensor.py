"""Image operations on tensors shaped ``[..., C, H, W]`` (or ``[..., H, W]``).

Built from ember ops, so they keep autograd and the tensor's device.  Resizing
with ``antialias=True`` (and bicubic, which ``nn.functional.interpolate`` does not
have in ember) multiplies by per-axis weight matrices computed here the way
PyTorch's CPU kernels compute theirs.
"""
from __future__ import annotations

import math

import numpy as np

from ..._tensor import Tensor


def _ember():
    import ember

    return ember


def _assert_image_tensor(img) -> None:
    if not isinstance(img, Tensor) or img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img: Tensor) -> list[int]:
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else int(img.shape[-3])
    return [channels, int(img.shape[-2]), int(img.shape[-1])]


def hflip(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    return img.flip(-1)


def vflip(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    return img.flip(-2)


def crop(img: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    """``img[..., top:top+height, left:left+width]``; parts outside the image are zeros."""
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - w, 0), max(bottom - h, 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], ltrb, fill=0)
    return img[..., top:bottom, left:right]


def _parse_pad_padding(padding) -> list[int]:
    """``int`` | ``[all]`` | ``[left/right, top/bottom]`` | ``[l, t, r, b]`` -> ``[l, r, t, b]``."""
    if isinstance(padding, int):
        left = right = top = bottom = padding
    elif len(padding) == 1:
        left = right = top = bottom = padding[0]
    elif len(padding) == 2:
        left = right = padding[0]
        top = bottom = padding[1]
    else:
        left, top, right, bottom = padding
    return [int(left), int(right), int(top), int(bottom)]


def pad(img: Tensor, padding, fill=0, padding_mode: str = "constant") -> Tensor:
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    p = _parse_pad_padding(padding)
    if any(v < 0 for v in p):  # negative padding crops
        cl, cr, ct, cb = (-min(v, 0) for v in p)
        img = img[..., ct:img.shape[-2] - cb, cl:img.shape[-1] - cr]
        p = [max(v, 0) for v in p]
    if padding_mode == "symmetric":
        return _pad_symmetric(img, p)
    import ember.nn.functional as F

    squeeze = img.ndim < 4 and padding_mode != "constant"
    if squeeze:
        img = img.unsqueeze(0)
    out_dtype = img.dtype
    cast = padding_mode != "constant" and not img.dtype.is_floating_point
    if cast:
        img = img.float()
    if padding_mode == "constant":
        out = F.pad(img, p, mode="constant", value=float(fill))
    else:
        out = F.pad(img, p, mode="replicate" if padding_mode == "edge" else "reflect")
    if squeeze:
        out = out.squeeze(0)
    if cast:
        out = out.to(out_dtype)
    return out


def _pad_symmetric(img: Tensor, p: list[int]) -> Tensor:
    """Mirror padding repeating the edge pixel (``[1, 2, 3]`` by 2: ``[2, 1, 1, 2, 3, 3, 2]``)."""
    left, right, top, bottom = p

    def index(n, before, after):
        idx = np.arange(-before, n + after)
        period = 2 * n
        idx = np.mod(idx, period)
        return np.where(idx < n, idx, period - 1 - idx)

    torch = _ember()
    rows = torch.as_tensor(index(img.shape[-2], top, bottom), device=img.device)
    cols = torch.as_tensor(index(img.shape[-1], left, right), device=img.device)
    return img.index_select(-2, rows).index_select(-1, cols)


# -- resizing ----------------------------------------------------------------------------------

def _aa_filter(mode: str):
    if mode == "bilinear":
        return 2, lambda x: np.maximum(1.0 - np.abs(x), 0.0)
    a = -0.5  # Keys' cubic for antialiased bicubic, as PyTorch (and Pillow) use

    def cubic(x):
        x = np.abs(x)
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = (((x - 5) * x + 8) * x - 4) * a
        return np.where(x < 1, near, np.where(x < 2, far, 0.0))

    return 4, cubic


def _aa_weights(in_size: int, out_size: int, mode: str) -> np.ndarray:
    """``(out, in)`` matrix of PyTorch's antialiased resampling weights (Pillow's scheme).

    Output pixel ``i`` averages the inputs under a filter centred at
    ``scale * (i + 0.5)`` and stretched by ``scale = in/out`` when shrinking.
    """
    interp_size, filt = _aa_filter(mode)
    scale = in_size / out_size
    support = interp_size * 0.5 * scale if scale >= 1.0 else interp_size * 0.5
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    max_size = int(math.ceil(support)) * 2 + 1
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = scale * (i + 0.5)
        xmin = max(int(center - support + 0.5), 0)
        xsize = min(max(min(int(center + support + 0.5), in_size) - xmin, 0), max_size)
        w = filt((np.arange(xsize) + xmin - center + 0.5) * invscale)
        total = w.sum()
        weights[i, xmin:xmin + xsize] = w / total if total != 0 else w
    return weights


def _bicubic_weights(in_size: int, out_size: int) -> np.ndarray:
    """``(out, in)`` matrix of PyTorch's bicubic upsampling (A = -0.75, align_corners=False)."""
    A = -0.75
    scale = in_size / out_size
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        real = scale * (i + 0.5) - 0.5  # NOTE: not clamped at 0 for cubic, as in PyTorch
        x0 = math.floor(real)
        t = real - x0
        c = [((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A,
             ((A + 2) * t - (A + 3)) * t * t + 1,
             ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1,
             ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A]
        for k in range(4):
            weights[i, min(max(x0 - 1 + k, 0), in_size - 1)] += c[k]
    return weights


def _resize_by_matrices(img: Tensor, size, mode: str, antialias: bool) -> Tensor:
    torch = _ember()
    h, w = int(img.shape[-2]), int(img.shape[-1])
    oh, ow = size
    make = (lambda i, o: _aa_weights(i, o, mode)) if antialias else _bicubic_weights
    wh = torch.as_tensor(make(h, oh), dtype=img.dtype, device=img.device)
    ww = torch.as_tensor(make(w, ow), dtype=img.dtype, device=img.device)
    return torch.matmul(torch.matmul(wh, img), ww.t())


def resize(img: Tensor, size: list[int], interpolation: str = "bilinear",
           antialias: bool | None = True) -> Tensor:
    """Resize ``img`` (``[..., H, W]``) to ``size = [h, w]``.

    Integer images are resized in float32 and rounded back, as torchvision does.
    """
    _assert_image_tensor(img)
    if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")
    size = [int(s) for s in size]
    if antialias is None:
        antialias = False
    if antialias and interpolation not in ("bilinear", "bicubic"):
        antialias = False
    out_dtype = img.dtype
    cast = not out_dtype.is_floating_point
    x = img.float() if cast else img
    lead = tuple(x.shape[:-2])
    x = x.reshape(-1, 1, x.shape[-2], x.shape[-1])
    if antialias or interpolation == "bicubic":
        x = _resize_by_matrices(x, size, interpolation, antialias)
    else:
        import ember.nn.functional as F

        x = F.interpolate(x, size=size, mode=interpolation,
                          align_corners=False if interpolation == "bilinear" else None)
    x = x.reshape(*lead, *size)
    if interpolation == "bicubic" and out_dtype == _ember().uint8:
        x = x.clamp(min=0, max=255)
    if cast:
        x = x.round().to(out_dtype)
    return x


# -- values ----------------------------------------------------------------------------------

def _max_value(dtype) -> int:
    torch = _ember()
    return {torch.uint8: 255, torch.int8: 127, torch.int16: 32767, torch.int32: 2**31 - 1,
            torch.int64: 2**63 - 1, torch.bool: 1}[dtype]


def convert_image_dtype(image: Tensor, dtype) -> Tensor:
    torch = _ember()
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == torch.float32 and dtype in (torch.int32, torch.int64)) or (
                image.dtype == torch.float64 and dtype == torch.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               "safely.")
        # NOTE: as torchvision, scale by max + 1 - eps so that the float range
        # [0, 1] maps evenly onto the integers (1.0 alone would reach max).
        eps = 1e-3
        return image.mul(float(_max_value(dtype)) + 1.0 - eps).to(dtype)
    input_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return torch.div(image, factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    torch = _ember()
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    mean = torch.as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = torch.as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         "division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)
