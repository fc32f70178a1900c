"""Image operations on tensors shaped ``[..., C, H, W]`` (or ``[..., H, W]``).

Built from ember ops, so they keep autograd and the tensor's device.  Resizing
with ``antialias=True`` or bicubic multiplies by per-axis weight matrices from
``nn.functional``'s resize code (computed the way PyTorch's CPU kernels compute theirs).
"""
from __future__ import annotations
from ember._warnings import warn as _warn

import numpy as np

from ..._tensor import Tensor
from ...nn._functional.spatial import resize_matrix


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


def crop(img: Tensor, top: int, left: int, height: int, width: int, v2: bool = False) -> Tensor:
    """``img[..., top:top+height, left:left+width]``; parts outside the image are zeros."""
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], ltrb, fill=0, v2=v2)
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


def pad(img: Tensor, padding, fill=0, padding_mode: str = "constant",
        v2: bool = False) -> Tensor:
    """torchvision v1's pad; ``v2``: torchvision v2's (``[..., C, H, W]``, any leading dims)."""
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
    if v2:
        _v2_image_dims(img)
    if padding_mode == "symmetric" and any(v < 0 for v in p):  # negative padding crops
        cl, cr, ct, cb = (-min(v, 0) for v in p)
        img = img[..., ct:img.shape[-2] - cb, cl:img.shape[-1] - cr]
        p = [max(v, 0) for v in p]
    # (other modes: F.pad crops, and checks the reflection sizes against the uncropped image)
    if padding_mode == "symmetric":
        if not v2 and img.ndim not in (3, 4):
            raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")
        return _pad_symmetric(img, p)
    import ember.nn.functional as F

    lead = None
    if v2 and img.ndim > 4 and padding_mode != "constant":  # v2 pads a (-1, C, H, W) view
        lead = tuple(img.shape[:-3])
        img = img.reshape(-1, *img.shape[-3:])
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
    return out if lead is None else out.reshape(*lead, *out.shape[-3:])


def _pad_symmetric(img: Tensor, p: list[int]) -> Tensor:
    """Mirror padding repeating the edge pixel (``[1, 2, 3]`` by 2: ``[2, 1, 1, 2, 3, 3, 2]``).

    As torchvision, by indexing with ``[before-1, ..., 0, 0, ..., n-1, -1, ..., -after]``:
    padding by more than the image size is an IndexError (no second reflection)."""
    left, right, top, bottom = p

    def index(n, before, after):
        return list(range(before - 1, -1, -1)) + list(range(n)) + [-(i + 1) for i in
                                                                  range(after)]

    torch = _ember()
    cols = torch.tensor(index(int(img.shape[-1]), left, right), device=img.device)
    rows = torch.tensor(index(int(img.shape[-2]), top, bottom), device=img.device)
    return img[..., rows[:, None], cols[None, :]]


# -- resizing ----------------------------------------------------------------------------------

def _resize_by_matrices(img: Tensor, size, mode: str, antialias: bool) -> Tensor:
    """Bicubic or antialiased resizing as two matrix products (the matrices built in float64
    by ``nn.functional``'s resize code, then cast to the image's type)."""
    torch = _ember()
    h, w = int(img.shape[-2]), int(img.shape[-1])
    oh, ow = size
    wh = torch.as_tensor(resize_matrix(h, oh, mode, antialias), dtype=img.dtype,
                         device=img.device)
    ww = torch.as_tensor(resize_matrix(w, ow, mode, antialias), dtype=img.dtype,
                         device=img.device)
    return torch.matmul(torch.matmul(wh, img), ww.t())


def resize(img: Tensor, size: list[int], interpolation: str = "bilinear",
           antialias: bool | None = True, v2: bool = False) -> Tensor:
    """Resize ``img`` (``[..., H, W]``) to ``size = [h, w]``.

    Integer images are resized in float32 and rounded back, as torchvision does.
    """
    _assert_image_tensor(img)
    size = [int(s) for s in size]
    if antialias is None:
        antialias = False
    if antialias and interpolation not in ("bilinear", "bicubic") + (("lanczos",) if v2 else ()):
        antialias = False  # (v1 leaves Lanczos to F.interpolate's error)
    torch = _ember()
    out_dtype = img.dtype
    # NOTE: as torchvision, anything but float32/float64 is resized in float32
    cast = out_dtype not in (torch.float32, torch.float64)
    x = img.float() if cast else img
    # NOTE: as torchvision, only a 3-D image gains a batch dim (so a 2-D or 5-D tensor, or
    # a mode that F.interpolate lacks, gets F.interpolate's error), and a 4-D batch keeps
    # its channels (PyTorch's small-output bilinear kernel sums in a channel-dependent order)
    squeeze = x.dim() < 4
    if squeeze:
        x = x.unsqueeze(0)
    import ember.nn.functional as F

    x = F.interpolate(x, size=size, mode=interpolation, antialias=antialias,
                      align_corners=False if interpolation in ("bilinear", "bicubic") else None)
    if squeeze:
        x = x.squeeze(0)
    if interpolation in ("bicubic", "lanczos") and out_dtype == torch.uint8:
        x = x.clamp(min=0, max=255)
    if cast:
        if out_dtype in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64):
            x = x.round()
        x = x.to(out_dtype)
    return x


# -- values ----------------------------------------------------------------------------------

def _max_value(dtype) -> int:
    """The value of "white" for images of ``dtype``: the type's maximum, or 1 for floats."""
    torch = _ember()
    tops = {torch.uint8: 255, torch.int8: 127, torch.int16: 32767, torch.int32: 2**31 - 1,
            torch.int64: 2**63 - 1, torch.bool: 1}
    if hasattr(torch, "uint16"):
        tops[torch.uint16] = 65535
    return tops.get(dtype, 1)


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


# -- colour ----------------------------------------------------------------------------------

def _assert_channels(img: Tensor, permitted: list[int]) -> None:
    channels = get_dimensions(img)[0]
    if channels not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found "
                        f"{channels}")


def _float_type(img: Tensor):
    """The type the colour and geometry formulas run in: the image's own, or float32."""
    return img.dtype if img.is_floating_point() else _ember().float32


def _at_least_3d(img: Tensor) -> None:
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")


def rgb_to_grayscale(img: Tensor, num_output_channels: int = 1) -> Tensor:
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (truncated back to integer types)."""
    _at_least_3d(img)
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 1:
        gray = img.clone()
    else:
        red, green, blue = img.unbind(dim=-3)
        # NOTE: torchvision's tensor weights (not Pillow's 299/587/114 fixed point); the
        # float sum goes back to an integer type by truncation, not rounding.
        gray = (0.2989 * red + 0.587 * green + 0.114 * blue).to(img.dtype).unsqueeze(-3)
    return gray.expand(img.shape) if num_output_channels == 3 else gray


def _blend(img1: Tensor, img2: Tensor, ratio: float) -> Tensor:
    """``ratio * img1 + (1 - ratio) * img2`` clipped to the type's range, in ``img1``'s type."""
    ratio = float(ratio)
    mixed = ratio * img1 + (1.0 - ratio) * img2
    return mixed.clamp(0, _max_value(img1.dtype)).to(img1.dtype)


def _check_factor(value: float, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name} ({value}) is not non-negative.")


def adjust_brightness(img: Tensor, brightness_factor: float) -> Tensor:
    _check_factor(brightness_factor, "brightness_factor")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, _ember().zeros_like(img), brightness_factor)


def adjust_contrast(img: Tensor, contrast_factor: float) -> Tensor:
    """Blend with the mean grey level of each image (computed from its greyscale version)."""
    _check_factor(contrast_factor, "contrast_factor")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    gray = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = gray.to(_float_type(img)).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img: Tensor, saturation_factor: float) -> Tensor:
    _check_factor(saturation_factor, "saturation_factor")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as Pillow: nothing to desaturate
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb_to_hsv(img: Tensor) -> Tensor:
    """``[..., 3, H, W]`` RGB in [0, 1] -> HSV with hue in [0, 1) (Pillow's hexcone formulas)."""
    torch = _ember()
    red, green, blue = img.unbind(dim=-3)
    value = img.max(dim=-3).values
    chroma = value - img.min(dim=-3).values
    grey = chroma == 0
    one = torch.ones_like(value)
    # Where the pixel is grey the divisions below would be 0/0; dividing by one instead
    # gives saturation 0 and a hue that the final wrap turns into 0.
    saturation = chroma / torch.where(grey, one, value)
    span = torch.where(grey, one, chroma)
    dist_r, dist_g, dist_b = (value - red) / span, (value - green) / span, (value - blue) / span
    red_max = value == red
    green_max = (value == green) & ~red_max
    hue6 = torch.where(red_max, dist_b - dist_g,
                       torch.where(green_max, 2.0 + dist_r - dist_b, 4.0 + dist_g - dist_r))
    hue = torch.fmod(hue6 / 6.0 + 1.0, 1.0)
    return torch.stack((hue, saturation, value), dim=-3)


def _hsv_to_rgb(img: Tensor) -> Tensor:
    torch = _ember()
    hue, saturation, value = img.unbind(dim=-3)
    sector_f = torch.floor(hue * 6.0)
    frac = hue * 6.0 - sector_f
    sector = sector_f.to(torch.int32) % 6
    low = torch.clamp(value * (1.0 - saturation), 0.0, 1.0)
    falling = torch.clamp(value * (1.0 - saturation * frac), 0.0, 1.0)
    rising = torch.clamp(value * (1.0 - saturation * (1.0 - frac)), 0.0, 1.0)
    # (R, G, B) for the six 60-degree sectors of the hue circle
    table = [(value, rising, low), (falling, value, low), (low, value, rising),
             (low, falling, value), (rising, low, value), (value, low, falling)]
    channels = []
    for c in range(3):
        out = table[5][c]
        for k in range(4, -1, -1):
            out = torch.where(sector == k, table[k][c], out)
        channels.append(out)
    return torch.stack(channels, dim=-3)


def adjust_hue(img: Tensor, hue_factor: float) -> Tensor:
    """Rotate the hue by ``hue_factor`` turns, through HSV in float32."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:  # as Pillow: a grey image has no hue
        return img
    torch = _ember()
    orig_dtype = img.dtype
    hsv = _rgb_to_hsv(convert_image_dtype(img, torch.float32))
    hue, saturation, value = hsv.unbind(dim=-3)
    hue = (hue + hue_factor) % 1.0
    rgb = _hsv_to_rgb(torch.stack((hue, saturation, value), dim=-3))
    return convert_image_dtype(rgb, orig_dtype)


def adjust_gamma(img: Tensor, gamma: float, gain: float = 1) -> Tensor:
    torch = _ember()
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    result = img if img.is_floating_point() else convert_image_dtype(img, torch.float32)
    result = (gain * result ** gamma).clamp(0, 1)
    return convert_image_dtype(result, dtype)


def _to_nchw(img: Tensor, work_dtype):
    """``img`` as a 4-D tensor of ``work_dtype``, and what undoes that."""
    lead = tuple(img.shape[:-3]) if img.ndim >= 3 else None
    x = img.reshape(-1, *img.shape[-3:]) if img.ndim >= 3 else img.reshape(1, 1, *img.shape)
    out_dtype = img.dtype
    if x.dtype != work_dtype:
        x = x.to(work_dtype)

    def restore(y: Tensor) -> Tensor:
        y = y.reshape(*lead, *y.shape[-3:]) if lead is not None else y.reshape(y.shape[-2:])
        if y.dtype != out_dtype:
            if not out_dtype.is_floating_point:
                y = y.round()  # NOTE: as torchvision, round before going back to integers
            y = y.to(out_dtype)
        return y

    return x, restore


def _depthwise_3x3(x: Tensor, kernel: Tensor) -> Tensor:
    """``conv2d(x, kernel, groups=C)`` for a 3-D or 4-D image ``x`` and a ``(C, 1, 3, 3)``
    kernel, with PyTorch's numbers for torchvision's blurs (float32 on the CPU).

    PyTorch convolves one single-channel image of at most 20480 values without oneDNN (its
    ``use_mkldnn`` rule), through im2col and a matrix product that adds the nine taps in
    order, each product rounded; every other case goes to oneDNN, which chains the taps in
    the same order through fused multiply-adds (both checked against PyTorch).
    """
    torch = _ember()
    import ember.nn.functional as F

    c, h, w = (int(s) for s in x.shape[-3:])
    n = int(x.shape[0]) if x.ndim == 4 else 1
    if (x.dtype != torch.float32 or x.device.type != "cpu"
            or torch.is_grad_enabled() and (x.requires_grad or kernel.requires_grad)):
        return F.conv2d(x, kernel, groups=c)
    arr = x.detach().numpy(force=True)
    k = kernel.detach().numpy(force=True).reshape(c, 1, 1, 9)
    fused = (n > 1 or c > 1 or c * h * w > 20480) and _fused()
    acc = None
    for t in range(9):
        i, j = divmod(t, 3)
        tap = arr[..., i:i + h - 2, j:j + w - 2]
        weight = k[..., t]
        if acc is None:
            acc = tap * weight
        elif fused:
            acc = _muladd(tap, weight, acc, np.dtype(np.float32), True)
        else:
            acc = acc + tap * weight
    return torch.from_numpy(np.ascontiguousarray(acc, dtype=np.float32))


def _smooth_3x3(img: Tensor) -> Tensor:
    """The image with its interior blurred by Pillow's SMOOTH kernel (edges kept)."""
    torch = _ember()

    work = _float_type(img)
    kernel = torch.ones((3, 3), dtype=work, device=img.device)
    kernel[1, 1] = 5.0
    kernel = (kernel / kernel.sum()).expand(img.shape[-3], 1, 3, 3)
    x, restore = _to_nchw(img, work)
    inner = restore(_depthwise_3x3(x, kernel))
    out = img.clone()
    out[..., 1:-1, 1:-1] = inner
    return out


def adjust_sharpness(img: Tensor, sharpness_factor: float) -> Tensor:
    _check_factor(sharpness_factor, "sharpness_factor")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    if img.ndim > 4:  # NOTE: as torchvision, whose conv2d takes the image as it is
        raise RuntimeError("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got "
                           f"input of size: {list(img.shape)}")
    return _blend(img, _smooth_3x3(img), sharpness_factor)


def invert(img: Tensor) -> Tensor:
    _at_least_3d(img)
    _assert_channels(img, [1, 3])
    return _max_value(img.dtype) - img


def posterize(img: Tensor, bits: int) -> Tensor:
    """Keep the top ``bits`` bits of each uint8 value."""
    torch = _ember()
    _at_least_3d(img)
    if img.dtype != torch.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    keep = (0xFF << (8 - bits)) & 0xFF
    return img & keep


def solarize(img: Tensor, threshold: float) -> Tensor:
    """Invert the values ``>= threshold``."""
    _at_least_3d(img)
    _assert_channels(img, [1, 3])
    if threshold > _max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return _ember().where(img >= threshold, invert(img), img)


def autocontrast(img: Tensor) -> Tensor:
    """Stretch each channel so that its darkest value becomes 0 and its lightest the maximum."""
    torch = _ember()
    _at_least_3d(img)
    _assert_channels(img, [1, 3])
    bound = _max_value(img.dtype)
    work = _float_type(img)
    low = img.amin(dim=(-2, -1), keepdim=True).to(work)
    high = img.amax(dim=(-2, -1), keepdim=True).to(work)
    scale = bound / (high - low)
    flat = ~torch.isfinite(scale)  # a constant channel is left as it is
    low = torch.where(flat, torch.zeros_like(low), low)
    scale = torch.where(flat, torch.ones_like(scale), scale)
    return ((img - low) * scale).clamp(0, bound).to(img.dtype)


def _equalize_channel(chan: np.ndarray) -> np.ndarray:
    """Pillow's histogram equalisation of one uint8 channel."""
    hist = np.bincount(chan.ravel(), minlength=256)
    used = hist[hist != 0]
    step = int(used[:-1].sum()) // 255
    if step == 0:
        return chan
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate(([0], lut[:-1])), 0, 255).astype(np.uint8)
    return lut[chan]


def equalize(img: Tensor) -> Tensor:
    torch = _ember()
    _assert_image_tensor(img)
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    if img.dtype != torch.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    arr = img.detach().cpu().numpy()
    flat = arr.reshape(-1, *arr.shape[-2:])
    out = np.stack([_equalize_channel(c) for c in flat]).reshape(arr.shape)
    return torch.as_tensor(out, device=img.device)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False) -> Tensor:
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img


# -- blur ------------------------------------------------------------------------------------

def _gaussian_kernel1d(size: int, sigma: float, dtype, device) -> Tensor:
    """Samples of ``exp(-x^2 / (2 sigma^2))`` at ``size`` integer offsets, summing to one."""
    torch = _ember()
    half = (size - 1) * 0.5
    x = torch.linspace(-half, half, steps=size, dtype=dtype, device=device)
    weights = torch.exp(-0.5 * (x / sigma).pow(2))
    return weights / weights.sum()


def gaussian_blur(img: Tensor, kernel_size: list[int], sigma: list[float]) -> Tensor:
    """Separable Gaussian blur with reflect padding; ``kernel_size``/``sigma`` are ``[x, y]``."""
    torch = _ember()
    import ember.nn.functional as F

    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    _assert_image_tensor(img)
    work = _float_type(img)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], work, img.device)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], work, img.device)
    kernel = torch.mm(ky[:, None], kx[None, :])
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    # NOTE: as torchvision: the channels are read at dim -3 (a 2-D image has none), and a
    # 5-D or larger image goes to F.pad as it is (which refuses it)
    kernel = kernel.expand(img.shape[-3], 1, kernel.shape[0], kernel.shape[1])
    if img.ndim > 4:
        F.pad(img.to(work), [px, px, py, py], mode="reflect")
    x, restore = _to_nchw(img, work)
    x = F.pad(x, [px, px, py, py], mode="reflect")
    return restore(F.conv2d(x, kernel, groups=x.shape[-3]))


# -- affine warps ------------------------------------------------------------------------------

def _v2_image_dims(img: Tensor) -> None:
    """torchvision v2's kernels read ``C, H, W = image.shape[-3:]``: Python's unpacking error
    for a 2-D image."""
    if img.ndim < 3:
        raise ValueError(f"not enough values to unpack (expected 3, got {img.ndim})")


def _check_warp_args(img, matrix, interpolation: str, fill, v2: bool = False) -> None:
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor")
    _assert_image_tensor(img)
    if matrix is not None and not isinstance(matrix, list):
        raise TypeError("Argument matrix should be a list")
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    if fill is not None and not isinstance(fill, (int, float, tuple, list)):

        _warn("Argument fill should be either int, float, tuple or list", stacklevel=3)
    if v2 and isinstance(fill, (tuple, list)) and img.ndim < 3:
        raise IndexError("tuple index out of range")  # (v2 reads the channels at dim -3)
    channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number "
                         f"of channels of the image ({len(fill)} != {channels})")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def _grid_coords(matrix, w: int, h: int, ow: int, oh: int, np_type):
    """The ``grid_sample`` grid ``(gx, gy)`` (each ``oh x ow``) of torchvision's affine warps.

    ``matrix`` maps output to input positions, both measured from the image centres.
    As torchvision, output pixel centres go through it and are scaled to the [-1, 1] range
    of ``grid_sample`` by the input's half size, in ``np_type``: its ``bmm`` with a
    3-long inner dimension adds the products in order, unfused (checked against PyTorch).
    """
    theta = np.asarray(matrix, dtype=np.float64).astype(np_type).reshape(2, 3)
    rows = theta / np.array([[0.5 * w], [0.5 * h]], dtype=np_type)
    xs = (np.arange(ow, dtype=np.float64) - ow * 0.5 + 0.5).astype(np_type)
    ys = (np.arange(oh, dtype=np.float64) - oh * 0.5 + 0.5).astype(np_type)
    x, y = np.meshgrid(xs, ys)
    gx = x * rows[0, 0] + y * rows[0, 1] + rows[0, 2]
    gy = x * rows[1, 0] + y * rows[1, 1] + rows[1, 2]
    return gx, gy


def _fused() -> bool:
    """Whether PyTorch's vectorised CPU kernels here are built with FMA (AVX2/AVX512)."""
    from ..._random import cpu_capability

    return cpu_capability() != "default"


def _muladd(a, b, c, np_type, fused: bool):
    """``a * b + c`` as PyTorch's kernel computes it: one fused rounding, or two."""
    if not fused:
        return a * b + c
    from ..._random import _fma32, _fma64

    if np_type == np.float32:
        return _fma32(a, b, c)
    a, b, c = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, c)))
    return _fma64(a, b, c).reshape(a.shape)


def _source_coords(matrix, w: int, h: int, ow: int, oh: int, np_type, fused: bool = False):
    """Input pixel coordinates ``(ix, iy)`` (each ``oh x ow``) that the output pixels read.

    The grid (:func:`_grid_coords`) comes back to pixel units the way PyTorch's CPU
    sampler does (``align_corners=False``): ``(g + 1) * size / 2 - 0.5``, fused when
    its vectorised kernel is.
    """
    gx, gy = _grid_coords(matrix, w, h, ow, oh, np_type)
    one, half = np_type.type(1), np_type.type(-0.5)
    return (_muladd(gx + one, np_type.type(w / 2), half, np_type, fused),
            _muladd(gy + one, np_type.type(h / 2), half, np_type, fused))


def _sample_exact(arr: np.ndarray, ix, iy, mode: str, fused: bool) -> np.ndarray:
    """PyTorch's 2-D CPU ``grid_sample`` (zeros padding) of ``arr`` ``(n, c, h, w)`` at the
    pixel positions ``ix``/``iy``, value for value.

    Its vectorised bilinear kernel weighs the four neighbours ``nw = s * e``,
    ``ne = s * w``, ``sw = n * e``, ``se = n * w`` (``w``/``n`` the distances to the west and
    north neighbours, ``e = 1 - w``, ``s = 1 - n``) and adds
    ``nw_val * nw + ne_val * ne + sw_val * sw + se_val * se`` left to right, the last
    three products fused into the sum where the build has FMA.  Nearest rounds half to even.
    """
    n, c, h, w = arr.shape
    np_type = arr.dtype.type
    flat = arr.reshape(n, c, h * w)

    def gather(tx, ty):
        inside = (tx >= 0) & (tx < w) & (ty >= 0) & (ty < h)
        index = (np.clip(ty, 0, h - 1).astype(np.int64) * w
                 + np.clip(tx, 0, w - 1).astype(np.int64))
        vals = flat[:, :, np.where(inside, index, 0).ravel()].reshape(n, c, *ix.shape)
        return np.where(inside, vals, np_type(0))

    if mode == "nearest":
        return gather(np.rint(ix), np.rint(iy)).astype(np_type, copy=False)
    x_w, y_n = np.floor(ix), np.floor(iy)
    dw, dn = ix - x_w, iy - y_n
    de, ds = np_type(1) - dw, np_type(1) - dn
    taps = [(x_w, y_n, ds * de), (x_w + 1, y_n, ds * dw), (x_w, y_n + 1, dn * de),
            (x_w + 1, y_n + 1, dn * dw)]
    acc = None
    for tx, ty, weight in taps:
        vals = gather(tx, ty)
        acc = (vals * weight).astype(np_type, copy=False) if acc is None else \
            np.asarray(_muladd(vals, weight, acc, arr.dtype, fused), dtype=np_type)
    return acc


def _warp_exact(img: Tensor, matrix, ow: int, oh: int, mode: str, fill, v2: bool,
                coords=None) -> Tensor:
    """:func:`_warp` for a CPU tensor outside autograd: torchvision's own steps on PyTorch's
    kernels (the grid, ``grid_sample`` with a ones channel appended when there is a
    ``fill``, the fill blend, rounding back to integers) restated in NumPy."""
    torch = _ember()
    work = _float_type(img)
    np_type = np.dtype(np.float64 if work == torch.float64 else np.float32)
    shape = tuple(img.shape)
    arr = img.detach().numpy(force=True)
    arr = arr.reshape(-1, *arr.shape[-3:]) if arr.ndim >= 3 else arr.reshape(1, 1, *arr.shape)
    arr = arr.astype(np_type)
    n, c, h, w = arr.shape
    if fill is not None:
        arr = np.concatenate([arr, np.ones((n, 1, h, w), np_type)], axis=1)
    fused = _fused()
    ix, iy = (coords or _source_coords)(matrix, w, h, ow, oh, np_type, fused)
    sampled = out = _sample_exact(arr, ix, iy, mode, fused)
    # NOTE: torchvision fills a float image in place where v1 samples nearest and v2 bilinear,
    # so a batch comes back as a view of the sampled channels beside the ones channel (not
    # contiguous; v2's final reshape gives a batch of one contiguous strides)
    in_place = fill is not None and img.is_floating_point() and (mode == "nearest") != v2 \
        and (n > 1 or not v2)
    if fill is not None:
        out, mask = out[:, :-1], np.broadcast_to(out[:, -1:], (n, c, oh, ow))
        values = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = np.asarray(values, dtype=np.float64).astype(np_type).reshape(1, -1, 1, 1)
        fill_img = np.broadcast_to(fill_img, out.shape)
        if mode == "nearest":
            out = np.where(mask < np_type.type(0.5), fill_img, out)
        elif v2:  # torchvision v2: (img - fill) * mask + fill
            out = (out - fill_img) * mask + fill_img
        else:  # torchvision v1: img * mask + (1 - mask) * fill
            out = out * mask + (np_type.type(1) - mask) * fill_img
    out_shape = shape[:-2] + (oh, ow) if len(shape) >= 3 else (oh, ow)
    if in_place:
        buf = np.ascontiguousarray(sampled)
        buf[:, :-1] = out
        full = torch.from_numpy(buf)
        view = (full if full.dtype == img.dtype else full.to(img.dtype))[:, :-1]
        # (v1 squeezes a lone image's batch dim away, v2 reshapes to the input's dims)
        return view.reshape(out_shape) if v2 or len(shape) != 4 else view
    out = np.ascontiguousarray(out.astype(np_type, copy=False)).reshape(out_shape)
    if not img.is_floating_point():
        out = np.round(out)
    result = torch.from_numpy(out)
    return result if result.dtype == img.dtype else result.to(img.dtype)


def _warp_low(img: Tensor, matrix, ow: int, oh: int, mode: str, fill, v2: bool,
              perspective: bool = False) -> Tensor:
    """:func:`_warp` of a float16/bfloat16 image: torchvision's steps on ember's ops, all in
    the image's own type as there (the affine or perspective grid from a ``linspace``
    copied into it, scaled and multiplied by ``bmm``; ``grid_sample``, whose half-precision
    kernel rounds every step; v1's or v2's ``fill`` blend, in place on a view where theirs
    is)."""
    torch = _ember()
    dt = img.dtype
    shape = tuple(img.shape)
    x = img.reshape(-1, *shape[-3:]) if v2 else (img.unsqueeze(0) if img.ndim < 4 else img)
    n, c, h, w = (int(s) for s in x.shape)
    if perspective:
        grid = _perspective_grid_low(torch, matrix, ow, oh, dt, v2)
    else:
        grid = _affine_grid_low(torch, matrix, w, h, ow, oh, dt, v2)
    if n > 1:
        grid = grid.expand(n, oh, ow, 2)
    if fill is not None:
        x = torch.cat((x, torch.ones((n, 1, h, w), dtype=dt)), dim=1)
    out = torch.nn.functional.grid_sample(x, grid, mode=mode, padding_mode="zeros",
                                          align_corners=False)
    return _blend_low(torch, img, shape, out, c, oh, ow, mode, fill, v2)


def _perspective_grid_low(torch, c, ow: int, oh: int, dt, v2: bool):
    """torchvision's perspective grid in ``dt`` (v2's ``linspace`` in ``dt``, v1's in
    float32)."""
    theta1 = torch.tensor([[[c[0], c[1], c[2]], [c[3], c[4], c[5]]]], dtype=dt)
    theta2 = torch.tensor([[[c[6], c[7], 1.0], [c[6], c[7], 1.0]]], dtype=dt)
    base = torch.empty(1, oh, ow, 3, dtype=dt)
    kw = {"dtype": dt} if v2 else {}
    base[..., 0].copy_(torch.linspace(0.5, ow * 1.0 + 0.5 - 1.0, steps=ow, **kw))
    base[..., 1].copy_(torch.linspace(0.5, oh * 1.0 + 0.5 - 1.0, steps=oh, **kw).unsqueeze(-1))
    base[..., 2].fill_(1)
    rescaled = theta1.transpose(1, 2) / torch.tensor([0.5 * ow, 0.5 * oh], dtype=dt)
    flat = base.view(1, oh * ow, 3)
    return (flat.bmm(rescaled) / flat.bmm(theta2.transpose(1, 2)) - 1.0).view(1, oh, ow, 2)


def _affine_grid_low(torch, matrix, w: int, h: int, ow: int, oh: int, dt, v2: bool):
    """torchvision's affine grid in ``dt`` (its ``linspace`` in float32, copied in)."""
    theta = torch.tensor(matrix, dtype=dt).reshape(1, 2, 3)
    base = torch.empty(1, oh, ow, 3, dtype=dt)
    if v2:
        xs = torch.linspace((1.0 - ow) * 0.5, (ow - 1.0) * 0.5, steps=ow)
        ys = torch.linspace((1.0 - oh) * 0.5, (oh - 1.0) * 0.5, steps=oh)
    else:
        xs = torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 + 0.5 - 1, steps=ow)
        ys = torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 + 0.5 - 1, steps=oh)
    base[..., 0].copy_(xs)
    base[..., 1].copy_(ys.unsqueeze(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=dt)
    return base.view(1, oh * ow, 3).bmm(rescaled).view(1, oh, ow, 2)


def _blend_low(torch, img, shape, out, c: int, oh: int, ow: int, mode: str, fill, v2: bool):
    """torchvision's ``fill`` blend after ``grid_sample`` (v1's or v2's), and its shapes."""
    dt = img.dtype
    if fill is not None:
        values = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        if v2:
            out, mask = torch.tensor_split(out, (c,), dim=-3)
            mask = mask.expand_as(out)
            fill_img = torch.tensor(values, dtype=dt).view(1, -1, 1, 1)
            if mode == "nearest":
                out = torch.where(mask < 0.5, fill_img.expand_as(out), out)
            else:
                out = out.sub_(fill_img).mul_(mask).add_(fill_img)
        else:
            mask = out[:, -1:, :, :]
            out = out[:, :-1, :, :]
            mask = mask.expand_as(out)
            fill_img = torch.tensor(values, dtype=dt).view(1, len(values), 1, 1).expand_as(out)
            if mode == "nearest":
                mask = mask < 0.5
                out[mask] = fill_img[mask]
            else:
                out = out * mask + (1.0 - mask) * fill_img
    if v2:
        return out.reshape(shape[:-2] + (oh, ow))
    return out.squeeze(0) if img.ndim < 4 else out


def _v1_grid_sample_dims(img: Tensor, ow: int, oh: int, fill) -> None:
    """torchvision v1 hands ``grid_sample`` a 2-D image as 3-D and a 5-D (or larger) one
    as it is, with a ``(N, oh, ow, 2)`` grid (and a ones channel when there is a ``fill``):
    PyTorch's errors for those, for an empty batch and for an image of no pixels."""
    nd = img.ndim
    if nd in (3, 4):
        n, c, h, w = ((1,) if nd == 3 else ()) + tuple(int(v) for v in img.shape)
        sizes = f"[{n}, {c + (fill is not None)}, {h}, {w}]"
        if n == 0:
            raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, "
                               f"but got input with sizes {sizes} and grid with sizes "
                               f"[1, {oh}, {ow}, 2]")
        if h == 0 or w == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {sizes} with dimension "
                               f"{2 if h == 0 else 3} being empty")
        return
    if fill is not None:  # (the ones channel appended for the fill fails first)
        if nd == 2:
            raise IndexError("tuple index out of range")
        raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and 4")
    n = 1 if nd == 2 else int(img.shape[0])
    raise RuntimeError(f"grid_sampler(): expected grid to have size {max(nd, 3) - 2} in last "
                       f"dimension, but got grid with sizes [{n}, {oh}, {ow}, 2]")


def _warp(img: Tensor, matrix, ow: int, oh: int, mode: str, fill, v2: bool = False,
          coords=None) -> Tensor:
    """Resample ``img`` at the positions ``matrix`` gives (zeros outside), then apply ``fill``.

    CPU tensors outside autograd take :func:`_warp_exact` (PyTorch's numbers).  Otherwise
    each output value is a weighted sum of up to four input values gathered with
    ``index_select``, so the result keeps autograd and the device (the same values up to
    float rounding).  The ``fill`` blend follows torchvision, which samples an extra
    all-ones channel to learn how much of each output pixel came from inside the image.
    """
    torch = _ember()
    if not v2:
        _v1_grid_sample_dims(img, ow, oh, fill)
    else:
        _v2_image_dims(img)
    if img.numel() == 0:  # (an empty batch, no channels, or v2's masks of no objects)
        return img.reshape(*img.shape[:-2], oh, ow)
    if coords in (None, _perspective_source_coords) and img.device.type == "cpu" and \
            img.dtype in (torch.float16, torch.bfloat16):
        return _warp_low(img, matrix, ow, oh, mode, fill, v2, coords is not None)
    if img.device.type == "cpu" and not (img.requires_grad and torch.is_grad_enabled()):
        return _warp_exact(img, matrix, ow, oh, mode, fill, v2, coords)
    work = _float_type(img)
    x, restore = _to_nchw(img, work)
    n, c, h, w = (int(s) for s in x.shape)
    np_type = np.dtype(np.float64 if work == torch.float64 else np.float32)
    ix, iy = (coords or _source_coords)(matrix, w, h, ow, oh, np_type)
    if mode == "nearest":
        # NOTE: np.rint rounds halves to even, like the vector kernel of PyTorch's sampler.
        taps = [(np.rint(ix), np.rint(iy), np.ones_like(ix))]
    else:
        x0, y0 = np.floor(ix), np.floor(iy)
        east, south = ix - x0, iy - y0
        west, north = 1 - east, 1 - south
        taps = [(x0, y0, north * west), (x0 + 1, y0, north * east),
                (x0, y0 + 1, south * west), (x0 + 1, y0 + 1, south * east)]
    flat = x.reshape(n, c, h * w)
    out, coverage = None, None
    for tx, ty, weight in taps:
        inside = (tx >= 0) & (tx < w) & (ty >= 0) & (ty < h)
        index = (np.clip(ty, 0, h - 1).astype(np.int64) * w
                 + np.clip(tx, 0, w - 1).astype(np.int64))
        weight = np.where(inside, weight, 0).astype(np_type)
        index_t = torch.as_tensor(np.where(inside, index, 0).ravel(), device=img.device)
        term = flat.index_select(-1, index_t) * torch.as_tensor(weight.ravel(),
                                                                 device=img.device)
        out = term if out is None else out + term
        coverage = weight if coverage is None else coverage + weight
    out = out.reshape(n, c, oh, ow)
    if fill is not None:
        values = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_t = torch.tensor(values, dtype=work, device=img.device).view(1, len(values), 1, 1)
        mask = torch.as_tensor(coverage, device=img.device).view(1, 1, oh, ow)
        if mode == "nearest":
            out = torch.where(mask < 0.5, fill_t.expand_as(out), out)
        elif v2:
            out = (out - fill_t) * mask + fill_t
        else:
            # NOTE: as torchvision: the sampled values already lack the outside part, and
            # are scaled by the coverage once more here, so border pixels come out darker
            # than a plain blend (even with the default fill of 0).
            out = out * mask + (1.0 - mask) * fill_t
    return restore(out)


def affine(img: Tensor, matrix: list[float], interpolation: str = "nearest",
           fill=None, v2: bool = False) -> Tensor:
    """Warp by the inverse affine ``matrix`` (centred coordinates), same output size.

    ``v2``: blend a bilinear ``fill`` as torchvision v2 does (``(img - fill) * mask + fill``,
    not v1's ``img * mask + (1 - mask) * fill``; the last bits differ).
    """
    _check_warp_args(img, matrix, interpolation, fill, v2)
    h, w = int(img.shape[-2]), int(img.shape[-1])
    return _warp(img, matrix, w, h, interpolation, fill, v2)


def _compute_affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """``(width, height)`` that holds the whole warped image (for ``expand=True``).

    As torchvision (and Pillow), the corners go through the matrix in float32 and
    the bounds are cut to 1e-4 before rounding outwards, so that 1e-15 noise does
    not add a pixel.
    """
    f32 = np.float32
    corners = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                        [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=f32)
    theta = np.asarray(matrix, dtype=np.float64).astype(f32).reshape(2, 3)
    moved = corners @ theta.T
    centre = np.array([w * 0.5, h * 0.5], dtype=f32)
    low, high = moved.min(axis=0) + centre, moved.max(axis=0) + centre
    tol = f32(1e-4)
    size = np.ceil(np.trunc(high / tol) * tol) - np.floor(np.trunc(low / tol) * tol)
    return int(size[0]), int(size[1])


def rotate(img: Tensor, matrix: list[float], interpolation: str = "nearest",
           expand: bool = False, fill=None, v2: bool = False) -> Tensor:
    _check_warp_args(img, matrix, interpolation, fill, v2)
    h, w = int(img.shape[-2]), int(img.shape[-1])
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    return _warp(img, matrix, ow, oh, interpolation, fill, v2)


def _perspective_source_coords(coeffs, w: int, h: int, ow: int, oh: int, np_type,
                               fused: bool = False):
    """Input pixel coordinates ``(ix, iy)`` that the output pixels of a perspective warp read.

    As torchvision's grid: each output pixel centre ``(x, y)`` goes to
    ``((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))``, the
    numerator's coefficients first scaled to ``grid_sample``'s [-1, 1] range by the half
    size, each sum of three products added in order (two ``bmm``), then 1 taken off.
    """
    c = np.asarray(coeffs, dtype=np.float64).astype(np_type)
    half = np.array([0.5 * ow, 0.5 * oh], dtype=np.float64).astype(np_type)
    num = np.array([[c[0], c[3]], [c[1], c[4]], [c[2], c[5]]], dtype=np_type) / half
    xs = (np.arange(ow, dtype=np.float64) + 0.5).astype(np_type)
    ys = (np.arange(oh, dtype=np.float64) + 0.5).astype(np_type)
    x, y = np.meshgrid(xs, ys)
    one = np_type.type(1)
    den = x * c[6] + y * c[7] + one
    gx = (x * num[0, 0] + y * num[1, 0] + num[2, 0]) / den - one
    gy = (x * num[0, 1] + y * num[1, 1] + num[2, 1]) / den - one
    shift = np_type.type(-0.5)
    return (_muladd(gx + one, np_type.type(w / 2), shift, np_type, fused),
            _muladd(gy + one, np_type.type(h / 2), shift, np_type, fused))


def perspective(img: Tensor, perspective_coeffs: list[float], interpolation: str = "bilinear",
                fill=None) -> Tensor:
    """Warp by the eight perspective coefficients (output to input positions)."""
    _check_warp_args(img, None, interpolation, fill)
    if len(perspective_coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    h, w = int(img.shape[-2]), int(img.shape[-1])
    return _warp(img, list(perspective_coeffs), w, h, interpolation, fill,
                 coords=_perspective_source_coords)
