"""Colour v2 functionals.  The tensor kernels follow torchvision v2's order of operations
(which differs from v1 in places: greyscale weights applied with ``add_(alpha=)``, hue and
gamma through ``to_dtype``), so that results match it bit for bit; PIL images go to Pillow."""
from __future__ import annotations

from ... import tv_tensors
from .. import _functional_pil as F_pil
from .. import _functional_tensor as F_t
from .functional import (_IMAGE, _PIL, _dispatch, _ember, _num_value_bits, _register,
                         pil_to_tensor, to_dtype_image)

__all__ = ["adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
           "adjust_saturation", "adjust_sharpness", "autocontrast", "equalize",
           "grayscale_to_rgb", "invert", "permute_channels", "posterize", "rgb_to_grayscale",
           "solarize", "to_grayscale"]


def _bound(dtype):
    return F_t._max_value(dtype)


def _check_channels(image) -> int:
    c = int(image.shape[-3])
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are 1 or 3, but found {c}")
    return c


def _grey(image, num_output_channels: int = 1, preserve_dtype: bool = True):
    if image.shape[-3] == 1 and num_output_channels == 1:
        return image.clone()
    if image.shape[-3] == 1 and num_output_channels == 3:
        reps = [1] * image.ndim
        reps[-3] = 3
        return image.repeat(reps)
    r, g, b = image.unbind(dim=-3)
    # (the channel slices as they are, strided in a batch, as torchvision's: see _blend)
    lum = r.mul(0.2989).add_(g, alpha=0.587).add_(b, alpha=0.114)
    lum = lum.unsqueeze(-3)
    if preserve_dtype:
        lum = lum.to(image.dtype)
    if num_output_channels == 3:
        lum = lum.expand(image.shape)
    return lum


def rgb_to_grayscale(inpt, num_output_channels: int = 1):
    """Greyscale with 1 or 3 (equal) channels."""
    return _dispatch(rgb_to_grayscale, inpt, num_output_channels=num_output_channels)


to_grayscale = rgb_to_grayscale


# NOTE: torchvision registers no Video kernel for the two greyscale conversions: the
# functional refuses a Video (TypeError) and Grayscale/RandomGrayscale/RGB pass it through
_STILL = _IMAGE[:2]  # (Image, Tensor)


@_register(rgb_to_grayscale, *_STILL)
def rgb_to_grayscale_image(image, num_output_channels: int = 1):
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    return _grey(image, num_output_channels)


@_register(rgb_to_grayscale, _PIL)
def _rgb_to_grayscale_pil(image, num_output_channels: int = 1):
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    return F_pil.to_grayscale(image, num_output_channels)


def grayscale_to_rgb(inpt):
    return _dispatch(grayscale_to_rgb, inpt)


@_register(grayscale_to_rgb, *_STILL)
def grayscale_to_rgb_image(image):
    return image if image.shape[-3] >= 3 else _grey(image, 3)


_register(grayscale_to_rgb, _PIL)(lambda image: image.convert(mode="RGB"))


def _blend(image1, image2, ratio: float):
    ratio = float(ratio)
    # (image2 broadcast as torchvision passes it: the operands' layout decides where
    # PyTorch's vectorised add_(alpha=) leaves a scalar tail, which rounds differently)
    out = image1.mul(ratio).add_(image2, alpha=1.0 - ratio).clamp_(0, _bound(image1.dtype))
    return out if image1.is_floating_point() else out.to(image1.dtype)


def adjust_brightness(inpt, brightness_factor: float):
    return _dispatch(adjust_brightness, inpt, brightness_factor=brightness_factor)


@_register(adjust_brightness, *_IMAGE)
def adjust_brightness_image(image, brightness_factor: float):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _check_channels(image)
    out = image.mul(brightness_factor).clamp_(0, _bound(image.dtype))
    return out if image.is_floating_point() else out.to(image.dtype)


def adjust_saturation(inpt, saturation_factor: float):
    return _dispatch(adjust_saturation, inpt, saturation_factor=saturation_factor)


@_register(adjust_saturation, *_IMAGE)
def adjust_saturation_image(image, saturation_factor: float):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    if _check_channels(image) == 1:
        return image
    grey = _grey(image, 1, preserve_dtype=False)
    if not image.is_floating_point():
        grey = grey.floor_()
    return _blend(image, grey, saturation_factor)


def adjust_contrast(inpt, contrast_factor: float):
    return _dispatch(adjust_contrast, inpt, contrast_factor=contrast_factor)


@_register(adjust_contrast, *_IMAGE)
def adjust_contrast_image(image, contrast_factor: float):
    torch = _ember()
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    fp = image.is_floating_point()
    if _check_channels(image) == 3:
        grey = _grey(image, 1, preserve_dtype=False)
        if not fp:
            grey = grey.floor_()
    else:
        grey = image if fp else image.to(torch.float32)
    mean = torch.mean(grey, dim=(-3, -2, -1), keepdim=True)
    return _blend_mean(image, mean, contrast_factor)


def _blend_mean(image, mean, ratio: float):
    """``_blend`` of each image with its mean (shaped ``[..., 1, 1, 1]``).

    PyTorch adds the broadcast mean (a stride-0 operand) with ``add_(alpha=)`` in one loop
    over each image's values: in 32-value blocks with a fused multiply-add, then a tail
    that its AVX512 build (GCC's vectorised scalar loop) rounds partly in two steps: after
    the tail's first 16 values (when it has that many) one value fused, then the
    multiple of 4 values that follows ``alpha * mean``-then-add, and the rest fused.
    Restated here for contiguous float32 on that build (checked against PyTorch for every
    length); elsewhere every value is fused.
    """
    import numpy as np

    from ...._random import _fma32, cpu_capability

    torch = _ember()
    ratio = float(ratio)
    scaled = image.mul(ratio)
    if (scaled.dtype != torch.float32 or cpu_capability() != "avx512"
            or scaled.device.type != "cpu" or image.numel() == 0 or not image.is_contiguous()
            or (torch.is_grad_enabled() and (image.requires_grad or mean.requires_grad))):
        return _blend(image, mean, ratio)
    x = np.ascontiguousarray(scaled.numpy(force=True))
    rows = x.reshape(int(np.prod(x.shape[:-3], dtype=np.int64)), -1)
    c = mean.detach().numpy(force=True).astype(np.float32).reshape(-1, 1)
    alpha = np.float32(1.0 - ratio)
    out = _fma32(c, alpha, rows)
    length = rows.shape[1]
    start, tail = (length // 32) * 32, length % 32
    if tail >= 16:
        start, tail = start + 16, tail - 16
    if tail > 4:
        two_step = slice(start + 1, start + 1 + 4 * ((tail - 1) // 4))
        out[:, two_step] = rows[:, two_step] + (c * alpha).astype(np.float32)
    out = torch.from_numpy(out.reshape(x.shape)).clamp_(0, _bound(image.dtype))
    return out if image.is_floating_point() else out.to(image.dtype)


def adjust_sharpness(inpt, sharpness_factor: float):
    return _dispatch(adjust_sharpness, inpt, sharpness_factor=sharpness_factor)


@_register(adjust_sharpness, *_IMAGE)
def adjust_sharpness_image(image, sharpness_factor: float):
    torch = _ember()

    c, h, w = (int(s) for s in image.shape[-3:])
    if c not in (1, 3):
        raise TypeError(f"Input image tensor can have 1 or 3 channels, but found {c}")
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    if image.numel() == 0 or h <= 2 or w <= 2:
        return image
    fp = image.is_floating_point()
    shape = image.shape
    x = image.reshape(-1, c, h, w) if image.ndim != 4 else image
    work = image.dtype if fp else torch.float32
    a, b = 1.0 / 13.0, 5.0 / 13.0
    kernel = torch.tensor([[a, a, a], [a, b, a], [a, a, a]], dtype=work,
                          device=image.device).expand(c, 1, 3, 3)
    out = x.to(dtype=work).clone()
    blurred = F_t._depthwise_3x3(out, kernel)
    if not fp:
        blurred = blurred.round()
    inner = out[..., 1:-1, 1:-1].contiguous()
    out[..., 1:-1, 1:-1] = inner.add((blurred - inner).contiguous(), alpha=1.0 - sharpness_factor)
    out = out.clamp_(0, _bound(image.dtype))
    if not fp:
        out = out.to(image.dtype)
    return out.reshape(shape)


def _rgb_to_hsv(image):
    torch = _ember()
    r, g, _ = image.unbind(dim=-3)
    minc, maxc = torch.aminmax(image, dim=-3)
    eqc = maxc == minc
    channels_range = maxc - minc
    ones = torch.ones_like(maxc)
    s = channels_range / torch.where(eqc, ones, maxc)
    divisor = torch.where(eqc, ones, channels_range).unsqueeze(-3)
    rc, gc, bc = ((maxc.unsqueeze(-3) - image) / divisor).unbind(dim=-3)
    neq_r = maxc != r
    eq_g = maxc == g
    hg = rc.add(2.0).sub(bc).mul(eq_g & neq_r)
    hr = bc.sub(gc).mul(~neq_r)
    hb = gc.add(4.0).sub(rc).mul(neq_r & ~eq_g)
    h = hr.add(hg).add(hb).mul(1.0 / 6.0).add(1.0).fmod(1.0)
    return torch.stack((h, s, maxc), dim=-3)


def _hsv_to_rgb(img):
    torch = _ember()
    h, s, v = img.unbind(dim=-3)
    h6 = h.mul(6)
    i = torch.floor(h6)
    f = h6.sub(i)
    i = i.to(dtype=torch.int32).remainder(6)
    sxf = s * f
    one_minus_s = 1.0 - s
    q = (1.0 - sxf).mul(v).clamp(0.0, 1.0)
    t = sxf.add(one_minus_s).mul(v).clamp(0.0, 1.0)
    p = one_minus_s.mul(v).clamp(0.0, 1.0)
    vpqt = torch.stack((v, p, q, t), dim=-3)
    select = torch.tensor([[0, 2, 1, 1, 3, 0], [3, 0, 0, 2, 1, 1], [1, 1, 3, 0, 0, 2]],
                          dtype=torch.long, device=img.device)
    select = select[:, i.long()]
    if select.ndim > 3:
        select = select.moveaxis(0, -3)
    return vpqt.gather(-3, select)


def adjust_hue(inpt, hue_factor: float):
    return _dispatch(adjust_hue, inpt, hue_factor=hue_factor)


@_register(adjust_hue, *_IMAGE)
def adjust_hue_image(image, hue_factor: float):
    torch = _ember()
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _check_channels(image) == 1 or image.numel() == 0:
        return image
    orig = image.dtype
    hsv = _rgb_to_hsv(to_dtype_image(image, torch.float32, scale=True))
    h, s, v = hsv.unbind(dim=-3)
    h = h.add(hue_factor).remainder(1.0)
    rgb = _hsv_to_rgb(torch.stack((h, s, v), dim=-3))
    return to_dtype_image(rgb, orig, scale=True)


def adjust_gamma(inpt, gamma: float, gain: float = 1):
    return _dispatch(adjust_gamma, inpt, gamma=gamma, gain=gain)


@_register(adjust_gamma, *_IMAGE)
def adjust_gamma_image(image, gamma: float, gain: float = 1.0):
    torch = _ember()
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    if not image.is_floating_point():
        out = to_dtype_image(image, torch.float32, scale=True).pow_(gamma)
    else:
        out = image.pow(gamma)
    if gain != 1.0:
        out = out.mul_(gain).clamp_(0.0, 1.0)
    return to_dtype_image(out, image.dtype, scale=True)


def posterize(inpt, bits: int):
    return _dispatch(posterize, inpt, bits=bits)


@_register(posterize, *_IMAGE)
def posterize_image(image, bits: int):
    if not isinstance(bits, int) or not 0 <= bits <= 8:
        raise TypeError(f"bits must be a positive integer in the range [0, 8], got {bits} "
                        "instead.")
    if image.is_floating_point():
        levels = 1 << bits
        return image.mul(levels).floor_().clamp_(0, levels - 1).mul_(1.0 / levels)
    value_bits = _num_value_bits(image.dtype)
    if bits >= value_bits:
        return image
    return image & (((1 << bits) - 1) << (value_bits - bits))


def invert(inpt):
    return _dispatch(invert, inpt)


@_register(invert, *_IMAGE)
def invert_image(image):
    torch = _ember()
    if image.is_floating_point():
        return 1.0 - image
    if image.dtype == torch.uint8:
        return image.bitwise_not()
    return image.bitwise_xor((1 << _num_value_bits(image.dtype)) - 1)


def solarize(inpt, threshold: float):
    return _dispatch(solarize, inpt, threshold=threshold)


@_register(solarize, *_IMAGE)
def solarize_image(image, threshold: float):
    if threshold > _bound(image.dtype):
        raise TypeError("Threshold should be less or equal the maximum value of the dtype, but "
                        f"got {threshold}")
    return _ember().where(image >= threshold, invert_image(image), image)


def autocontrast(inpt):
    return _dispatch(autocontrast, inpt)


@_register(autocontrast, *_IMAGE)
def autocontrast_image(image):
    torch = _ember()
    _check_channels(image)
    if image.numel() == 0:
        return image
    bound = _bound(image.dtype)
    fp = image.is_floating_point()
    f = image if fp else image.to(torch.float32)
    low = f.amin(dim=(-2, -1), keepdim=True)
    high = f.amax(dim=(-2, -1), keepdim=True)
    same = high == low
    inv_scale = (high - low).mul(1.0 / bound)
    low = torch.where(same, torch.zeros_like(low), low)
    inv_scale = torch.where(same, torch.ones_like(inv_scale), inv_scale)
    return f.sub(low).div(inv_scale).clamp(0, bound).to(image.dtype)


def equalize(inpt):
    return _dispatch(equalize, inpt)


@_register(equalize, *_IMAGE)
def equalize_image(image):
    torch = _ember()
    if image.numel() == 0:
        return image
    import numpy as np

    # NOTE: v2 equalises every [H, W] plane of any number of leading dims and channels
    # (Pillow's lookup table, as v1), not only 3-D/4-D images of 1 or 3 channels.
    u8 = to_dtype_image(image, torch.uint8, scale=True)
    arr = u8.detach().cpu().numpy()
    planes = arr.reshape(-1, *arr.shape[-2:])
    out = np.stack([F_t._equalize_channel(p) for p in planes]).reshape(arr.shape)
    out = torch.as_tensor(out, device=image.device)
    return to_dtype_image(out, image.dtype, scale=True)


def permute_channels(inpt, permutation):
    return _dispatch(permute_channels, inpt, permutation=permutation)


@_register(permute_channels, *_IMAGE)
def permute_channels_image(image, permutation):
    shape = image.shape
    c, h, w = (int(s) for s in shape[-3:])
    if len(permutation) != c:
        raise ValueError("Length of permutation does not match number of channels: "
                         f"{len(permutation)} != {c}")
    if image.numel() == 0:
        return image
    index = _ember().as_tensor(permutation, device=image.device).long()
    return image.reshape(-1, c, h, w).index_select(1, index).reshape(shape)


@_register(permute_channels, _PIL)
def _permute_channels_pil(image, permutation):
    from .. import functional as F1

    return F1.to_pil_image(permute_channels_image(pil_to_tensor(image), permutation))


for _name in ("adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_sharpness",
              "adjust_hue", "adjust_gamma", "posterize", "invert", "solarize", "autocontrast",
              "equalize"):
    _register(globals()[_name], _PIL)(getattr(F_pil, _name))
del _name
tv_tensors  # noqa: B018
