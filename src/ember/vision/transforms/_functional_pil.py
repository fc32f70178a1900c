"""Image operations on ``PIL.Image`` objects, done by Pillow (or NumPy where Pillow has no call)."""
from __future__ import annotations

import numpy as np

from .. import _pil


def _assert_pil(img) -> None:
    if not _pil.is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img) -> list[int]:
    if not _pil.is_pil_image(img):
        raise TypeError(f"Unexpected type {type(img)}")
    width, height = img.size
    return [len(img.getbands()), height, width]


def hflip(img):
    _assert_pil(img)
    return img.transpose(_pil.image_module().Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    _assert_pil(img)
    return img.transpose(_pil.image_module().Transpose.FLIP_TOP_BOTTOM)


def crop(img, top: int, left: int, height: int, width: int):
    """Pillow crops with zeros outside the image, as torchvision relies on."""
    _assert_pil(img)
    return img.crop((left, top, left + width, top + height))


def resize(img, size: list[int], interpolation: int):
    """``size`` is ``[h, w]``; ``interpolation`` a Pillow resampling filter."""
    _assert_pil(img)
    return img.resize((int(size[1]), int(size[0])), interpolation)


def _parse_fill(fill, img, name: str = "fillcolor") -> dict:
    channels = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and channels > 1:
        fill = tuple([fill] * channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * channels
        elif len(fill) != channels:
            raise ValueError("The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    _assert_pil(img)
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (int, float, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) not in (1, 2, 4):
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if padding_mode == "constant":
        from PIL import ImageOps

        opts = _parse_fill(fill, img, name="fill")
        if img.mode == "P":
            palette = img.getpalette()
            out = ImageOps.expand(img, border=padding, **opts)
            out.putpalette(palette)
            return out
        return ImageOps.expand(img, border=padding, **opts)
    if isinstance(padding, int):
        left = right = top = bottom = padding
    elif len(padding) == 2:
        left = right = padding[0]
        top = bottom = padding[1]
    else:
        left, top, right, bottom = padding
    p = [left, top, right, bottom]
    crop_l, crop_t, crop_r, crop_b = (-min(v, 0) for v in p)
    if crop_l or crop_t or crop_r or crop_b:
        img = img.crop((crop_l, crop_t, img.width - crop_r, img.height - crop_b))
    left, top, right, bottom = (max(v, 0) for v in p)
    palette = img.getpalette() if img.mode == "P" else None
    arr = np.asarray(img)
    widths = ((top, bottom), (left, right)) + ((0, 0),) * (arr.ndim - 2)
    out = _pil.image_module().fromarray(np.pad(arr, widths, padding_mode))
    if palette is not None:
        out.putpalette(palette)
    return out


# -- colour (Pillow's ImageEnhance / ImageOps, as torchvision calls them) ------------------------

def _enhance(img, kind: str, factor: float):
    from PIL import ImageEnhance

    _assert_pil(img)
    return getattr(ImageEnhance, kind)(img).enhance(factor)


def adjust_brightness(img, brightness_factor: float):
    return _enhance(img, "Brightness", brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    return _enhance(img, "Contrast", contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    return _enhance(img, "Color", saturation_factor)


def adjust_sharpness(img, sharpness_factor: float):
    return _enhance(img, "Sharpness", sharpness_factor)


def adjust_hue(img, hue_factor: float):
    """Shift the H band of Pillow's HSV conversion by ``hue_factor * 255`` (mod 256)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_pil(img)
    mode = img.mode
    if mode in {"L", "1", "I", "F"}:
        return img
    image = _pil.image_module()
    hue, sat, val = img.convert("HSV").split()
    # NOTE: torchvision adds float(hue_factor * 255) cast to uint8, which truncates
    # towards zero and wraps (-76.5 -> 180); so does this.
    shift = np.uint8(int(hue_factor * 255) % 256)
    shifted = np.asarray(hue, dtype=np.uint8) + shift
    hue = image.fromarray(shifted.astype(np.uint8), "L")
    return image.merge("HSV", (hue, sat, val)).convert(mode)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    _assert_pil(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    mode = img.mode
    table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return img.convert("RGB").point(table).convert(mode)


def to_grayscale(img, num_output_channels: int):
    _assert_pil(img)
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    gray = img.convert("L")
    if num_output_channels == 1:
        return gray
    arr = np.asarray(gray, dtype=np.uint8)
    return _pil.image_module().fromarray(np.stack([arr, arr, arr], axis=-1), "RGB")


def _imageops(name: str, img, *args):
    from PIL import ImageOps

    _assert_pil(img)
    return getattr(ImageOps, name)(img, *args)


def invert(img):
    return _imageops("invert", img)


def posterize(img, bits: int):
    return _imageops("posterize", img, bits)


def solarize(img, threshold):
    return _imageops("solarize", img, threshold)


def autocontrast(img):
    return _imageops("autocontrast", img)


def equalize(img):
    return _imageops("equalize", img)


# -- geometry ------------------------------------------------------------------------------------

def affine(img, matrix, interpolation: int = 0, fill=None):
    """Pillow's AFFINE transform; ``matrix`` maps output pixels to input pixels."""
    _assert_pil(img)
    image = _pil.image_module()
    return img.transform(img.size, image.Transform.AFFINE, matrix, interpolation,
                         **_parse_fill(fill, img))


def rotate(img, angle: float, interpolation: int = 0, expand: bool = False, center=None,
           fill=None):
    """Pillow's own ``Image.rotate`` (counter-clockwise degrees)."""
    _assert_pil(img)
    return img.rotate(angle, interpolation, expand, center, **_parse_fill(fill, img))


def perspective(img, perspective_coeffs: list[float], interpolation: int = 3, fill=None):
    """Pillow's own perspective warp (``Image.PERSPECTIVE``) by the eight coefficients."""
    _assert_pil(img)
    image = _pil.image_module()
    return img.transform(img.size, image.Transform.PERSPECTIVE, perspective_coeffs,
                         interpolation, **_parse_fill(fill, img))
