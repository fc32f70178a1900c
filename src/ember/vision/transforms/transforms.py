"""Transform classes with torchvision's names, arguments, randomness and ``repr``.

Random transforms draw from ember's global generator with the same calls
torchvision makes on torch's (``torch.rand(1) < p`` for flips,
``torch.randint(0, n + 1, size=(1,))`` for crop offsets, ...), so after the same
``manual_seed`` they make the same choices as torchvision.
"""
from __future__ import annotations

import math
import numbers
import random
from ember._warnings import warn as _warn
from collections.abc import Sequence

from ..._tensor import Tensor
from ...nn.modules.module import Module
from . import functional as F
from .functional import InterpolationMode, _interpolation_modes_from_int

__all__ = ["CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "ElasticTransform",
           "FiveCrop",
           "GaussianBlur", "Grayscale", "Lambda", "LinearTransformation", "Normalize", "Pad",
           "PILToTensor", "RandomAdjustSharpness", "RandomAffine", "RandomApply",
           "RandomAutocontrast", "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing",
           "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert", "RandomOrder",
           "RandomPosterize", "RandomResizedCrop", "RandomRotation", "RandomSolarize",
           "RandomVerticalFlip", "Resize", "TenCrop", "ToPILImage", "ToTensor"]


def _ember():
    import ember

    return ember


def _setup_size(size, error_msg: str):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


class Compose:
    """Apply transforms one after the other.

    >>> Compose([CenterCrop(10), ToTensor()])
    Compose(
        CenterCrop(size=(10, 10))
        ToTensor()
    )
    """

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = [type(self).__name__ + "("]
        lines += [f"    {t}" for t in self.transforms]
        return "\n".join(lines) + "\n)"


class ToTensor:
    """``PIL.Image`` or ``ndarray`` (H x W x C, uint8) -> float C x H x W tensor in [0, 1]."""

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor:
    """``PIL.Image`` -> tensor C x H x W of the image's own type, values unchanged."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToPILImage:
    """Tensor (C x H x W) or ndarray (H x W x C) -> ``PIL.Image`` (``functional.to_pil_image``)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        mode = f"mode={self.mode}" if self.mode is not None else ""
        return f"{type(self).__name__}({mode})"


class ConvertImageDtype(Module):
    """Convert a tensor image to ``dtype``, rescaling values (uint8 255 <-> float 1.0)."""

    def __init__(self, dtype) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class Normalize(Module):
    """``output[c] = (input[c] - mean[c]) / std[c]`` on a float tensor ``[..., C, H, W]``.

    Not in place unless ``inplace=True``.
    """

    def __init__(self, mean, std, inplace: bool = False):
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Resize(Module):
    """Resize to ``size``: ``(h, w)``, or an int to match the smaller edge keeping the aspect ratio.

    ``interpolation``: an ``InterpolationMode`` or Pillow's integer constant.
    ``antialias`` (default True) applies to tensors; Pillow always antialiases.
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias: bool | None = True):
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, interpolation="
                f"{self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop(Module):
    """Crop the centre ``size`` region (an int means a square); pads with zeros if larger."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class Pad(Module):
    """Pad every side: ``padding`` int, ``(left/right, top/bottom)`` or ``(l, t, r, b)``.

    ``padding_mode``: ``constant`` (with ``fill``), ``edge``, ``reflect`` or ``symmetric``.
    """

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class Lambda:
    """Apply a user function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomCrop(Module):
    """Crop a random ``size`` region, after optional ``padding`` (and ``pad_if_needed``).

    ``pad_if_needed`` pads a side shorter than the crop by the shortfall on *both*
    ends, as torchvision does.  The offsets are ``torch.randint(0, h - th + 1, (1,))``
    then the same for the width.
    """

    @staticmethod
    def get_params(img, output_size):
        """``(top, left, height, width)`` of a random crop of ``output_size``."""
        torch = _ember()
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = torch.randint(0, h - th + 1, size=(1,)).item()
        j = torch.randint(0, w - tw + 1, size=(1,)).item()
        return i, j, th, tw

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant"):
        super().__init__()
        self.size = tuple(_setup_size(size, "Please provide only two dimensions (h, w) for "
                                            "size."))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(Module):
    """Mirror left-right with probability ``p`` (draws ``torch.rand(1)`` each call)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        if _ember().rand(1) < self.p:
            return F.hflip(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(Module):
    """Mirror top-bottom with probability ``p`` (draws ``torch.rand(1)`` each call)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        if _ember().rand(1) < self.p:
            return F.vflip(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomResizedCrop(Module):
    """Crop a random area (``scale``) and aspect ratio (``ratio``), then resize to ``size``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            _warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio):
        """``(top, left, height, width)``: up to 10 random tries, then a central crop."""
        torch = _ember()
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = torch.log(torch.tensor(ratio))
        for _ in range(10):
            target_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = torch.exp(
                torch.empty(1).uniform_(float(log_ratio[0]), float(log_ratio[1]))).item()
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = torch.randint(0, height - h + 1, size=(1,)).item()
                j = torch.randint(0, width - w + 1, size=(1,)).item()
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation,
                              antialias=self.antialias)

    def __repr__(self) -> str:
        interpolation = self.interpolation.value  # (read first, as torchvision)
        scale = tuple(round(s, 4) for s in self.scale)
        ratio = tuple(round(r, 4) for r in self.ratio)
        return (f"{type(self).__name__}(size={self.size}, scale={scale}, ratio={ratio}, "
                f"interpolation={interpolation}, antialias={self.antialias})")



# -- choosing among transforms ------------------------------------------------------------------

class RandomApply(Module):
    """Apply all of ``transforms`` with probability ``p`` (one ``torch.rand(1)`` draw)."""

    def __init__(self, transforms, p: float = 0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, img):
        if self.p < _ember().rand(1):
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = [type(self).__name__ + "(", f"    p={self.p}"]
        lines += [f"    {t}" for t in self.transforms]
        return "\n".join(lines) + "\n)"


class RandomTransforms:
    """Base of the transforms that pick from a sequence of transforms."""

    def __init__(self, transforms):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, *args, **kwargs):
        raise NotImplementedError()

    def __repr__(self) -> str:
        lines = [type(self).__name__ + "("] + [f"    {t}" for t in self.transforms]
        return "\n".join(lines) + "\n)"


class RandomOrder(RandomTransforms):
    """Apply ``transforms`` in a random order.

    NOTE: as torchvision, the order comes from Python's ``random.shuffle``, not
    from the torch generator: seed ``random`` to repeat it.
    """

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one of ``transforms``, picked with weights ``p`` (equal by default).

    NOTE: as torchvision, the pick is Python's ``random.choices``, not the torch generator.
    """

    def __init__(self, transforms, p=None):
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        chosen = random.choices(self.transforms, weights=self.p)[0]
        return chosen(*args)

    def __repr__(self) -> str:
        # NOTE: torchvision appends "(p=...)" after the closing bracket; so does this.
        return f"{super().__repr__()}(p={self.p})"


# -- multi-crops and linear maps ------------------------------------------------------------------

class FiveCrop(Module):
    """The four corners and the centre, each of ``size``: a tuple of 5 images."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class TenCrop(Module):
    """``FiveCrop`` of the image and of its mirror image: a tuple of 10 images."""

    def __init__(self, size, vertical_flip: bool = False):
        super().__init__()
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class LinearTransformation(Module):
    """``(x.flatten() - mean_vector) @ transformation_matrix``, reshaped back (e.g. ZCA whitening).

    ``transformation_matrix`` is ``D x D`` and ``mean_vector`` ``D`` with ``D = C * H * W``.
    """

    def __init__(self, transformation_matrix, mean_vector):
        super().__init__()
        size = tuple(transformation_matrix.size())
        if transformation_matrix.size(0) != transformation_matrix.size(1):
            raise ValueError(f"transformation_matrix should be square. Got {size} rectangular "
                             "matrix.")
        if mean_vector.size(0) != transformation_matrix.size(0):
            raise ValueError(f"mean_vector should have the same length {mean_vector.size(0)} as "
                             f"any one of the dimensions of the transformation_matrix [{size}]")
        if transformation_matrix.device != mean_vector.device:
            raise ValueError("Input tensors should be on the same device. Got "
                             f"{transformation_matrix.device} and {mean_vector.device}")
        if transformation_matrix.dtype != mean_vector.dtype:
            raise ValueError("Input tensors should have the same dtype. Got "
                             f"{transformation_matrix.dtype} and {mean_vector.dtype}")
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def forward(self, tensor):
        return self._apply(tensor, reshape=False)

    def _apply(self, tensor, reshape):
        """The transform; ``reshape``: flatten by ``reshape`` (v2's), not ``view`` (v1's)."""
        shape = tensor.shape
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError("Input tensor and transformation matrix have incompatible shape."
                             f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != "
                             f"{self.transformation_matrix.shape[0]}")
        if tensor.device.type != self.mean_vector.device.type:
            raise ValueError("Input tensor should be on the same device as transformation matrix "
                             f"and mean vector. Got {tensor.device} vs {self.mean_vector.device}")
        flat = (tensor.reshape(-1, n) if reshape else tensor.view(-1, n)) - self.mean_vector
        matrix = self.transformation_matrix.to(flat.dtype)
        out = _ember().mm(flat, matrix)
        return out.reshape(shape) if reshape else out.view(shape)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(transformation_matrix="
                f"{self.transformation_matrix.tolist()}, mean_vector={self.mean_vector.tolist()})")


# -- colour -------------------------------------------------------------------------------------

class ColorJitter(Module):
    """Random brightness, contrast, saturation and hue changes, applied in a random order.

    Each argument is ``x`` (a factor drawn from ``[max(0, 1 - x), 1 + x]``; for hue
    ``[-x, x]``) or a ``(min, max)`` pair.  Each call draws ``torch.randperm(4)`` for
    the order, then one ``uniform_`` per enabled adjustment (brightness, contrast,
    saturation, hue), as torchvision does.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0) -> None:
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5),
                                     clip_first_on_zero=False)

    def _check_input(self, value, name, center=1, bound=(0, float("inf")),
                     clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:  # no change at all: skip it (and its draw)
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """``(order, b, c, s, h)``: a permutation of 0..3 and the factors (None when off)."""
        torch = _ember()
        order = torch.randperm(4)

        def draw(bounds):
            if bounds is None:
                return None
            return float(torch.empty(1).uniform_(bounds[0], bounds[1]))

        b = draw(brightness)
        c = draw(contrast)
        s = draw(saturation)
        h = draw(hue)
        return order, b, c, s, h

    def forward(self, img):
        order, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation,
                                            self.hue)
        steps = {0: (F.adjust_brightness, b), 1: (F.adjust_contrast, c),
                 2: (F.adjust_saturation, s), 3: (F.adjust_hue, h)}
        for k in order.tolist():
            fn, factor = steps[k]
            if factor is not None:
                img = fn(img, factor)
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Grayscale(Module):
    """Convert to greyscale with 1 or 3 (equal) output channels."""

    def __init__(self, num_output_channels: int = 1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale(Module):
    """Greyscale with probability ``p``, keeping the number of channels."""

    def __init__(self, p: float = 0.1):
        super().__init__()
        self.p = p

    def forward(self, img):
        channels, _, _ = F.get_dimensions(img)
        if _ember().rand(1) < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=channels)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class _RandomOp(Module):
    """Apply ``_apply_op`` with probability ``p`` (one ``torch.rand(1).item()`` draw per call)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def _apply_op(self, img):
        raise NotImplementedError

    def forward(self, img):
        if _ember().rand(1).item() < self.p:
            return self._apply_op(img)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomInvert(_RandomOp):
    """Invert the colours with probability ``p``."""

    def _apply_op(self, img):
        return F.invert(img)


class RandomPosterize(_RandomOp):
    """Keep ``bits`` bits per channel with probability ``p``."""

    def __init__(self, bits: int, p: float = 0.5):
        super().__init__(p)
        self.bits = bits

    def _apply_op(self, img):
        return F.posterize(img, self.bits)

    def __repr__(self) -> str:
        # NOTE: no space after the comma, as torchvision prints it
        return f"{type(self).__name__}(bits={self.bits},p={self.p})"


class RandomSolarize(_RandomOp):
    """Invert the values ``>= threshold`` with probability ``p``."""

    def __init__(self, threshold: float, p: float = 0.5):
        super().__init__(p)
        self.threshold = threshold

    def _apply_op(self, img):
        return F.solarize(img, self.threshold)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(threshold={self.threshold},p={self.p})"


class RandomAdjustSharpness(_RandomOp):
    """``adjust_sharpness(img, sharpness_factor)`` with probability ``p``."""

    def __init__(self, sharpness_factor: float, p: float = 0.5):
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def _apply_op(self, img):
        return F.adjust_sharpness(img, self.sharpness_factor)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sharpness_factor={self.sharpness_factor},p={self.p})"


class RandomAutocontrast(_RandomOp):
    """Stretch each channel to the full range with probability ``p``."""

    def _apply_op(self, img):
        return F.autocontrast(img)


class RandomEqualize(_RandomOp):
    """Equalise the histogram with probability ``p``."""

    def _apply_op(self, img):
        return F.equalize(img)


class GaussianBlur(Module):
    """Gaussian blur with ``sigma`` fixed or drawn from ``(min, max)`` by ``uniform_`` per call."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        super().__init__()
        self.kernel_size = _setup_size(kernel_size,
                                       "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        return _ember().empty(1).uniform_(sigma_min, sigma_max).item()

    def forward(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


# -- geometry -----------------------------------------------------------------------------------

def _check_sequence_input(x, name: str, req_sizes) -> None:
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join(str(s) for s in req_sizes)
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def _setup_angle(x, name: str, req_sizes=(2,)) -> list[float]:
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        _check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _check_fill(fill):
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def _fill_for(img, fill, channels: int):
    """Tensors get ``fill`` as one float per channel, as torchvision passes it on."""
    if not isinstance(img, Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    return [float(f) for f in fill]


class RandomRotation(Module):
    """Rotate by an angle drawn by ``torch.empty(1).uniform_(*degrees)`` (counter-clockwise)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand: bool = False,
                 center=None, fill=0):
        super().__init__()
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = interpolation
        self.expand = expand
        self.fill = _check_fill(fill)

    @staticmethod
    def get_params(degrees) -> float:
        return float(_ember().empty(1).uniform_(float(degrees[0]), float(degrees[1])).item())

    def forward(self, img):
        channels, _, _ = F.get_dimensions(img)
        fill = _fill_for(img, self.fill, channels)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        s = (f"{type(self).__name__}(degrees={self.degrees}, "
             f"interpolation={self.interpolation.value}, expand={self.expand}")
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


def _affine_ranges(degrees, translate, scale, shear):
    """``RandomAffine``'s ranges checked as torchvision checks them: ``(degrees, translate,
    scale, shear)`` with the angles as ``[lo, hi]`` lists."""
    degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
    if translate is not None:
        _check_sequence_input(translate, "translate", req_sizes=(2,))
        for t in translate:
            if not 0.0 <= t <= 1.0:
                raise ValueError("translation values should be between 0 and 1")
    if scale is not None:
        _check_sequence_input(scale, "scale", req_sizes=(2,))
        for s in scale:
            if s <= 0:
                raise ValueError("scale values should be positive")
    shear = None if shear is None else _setup_angle(shear, name="shear", req_sizes=(2, 4))
    return degrees, translate, scale, shear


class RandomAffine(Module):
    """Random rotation, translation, scale and shear about the centre.

    Draws, in this order and each by ``torch.empty(1).uniform_``: the angle; the x
    then y shift (if ``translate``, rounded to whole pixels); the scale (if
    ``scale``); the x shear then, for 4 values, the y shear (if ``shear``).
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        super().__init__()
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.degrees, self.translate, self.scale, self.shear = _affine_ranges(
            degrees, translate, scale, shear)
        self.interpolation = interpolation
        self.fill = _check_fill(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))``; ``img_size`` is ``[width, height]``."""
        torch = _ember()

        def uniform(low, high) -> float:
            return float(torch.empty(1).uniform_(low, high).item())

        angle = uniform(float(degrees[0]), float(degrees[1]))
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = int(round(uniform(-max_dx, max_dx)))
            ty = int(round(uniform(-max_dy, max_dy)))
            translations = (tx, ty)
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = _fill_for(img, self.fill, channels)
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear,
                                 [width, height])
        return F.affine(img, *params, interpolation=self.interpolation, fill=fill,
                        center=self.center)

    def __repr__(self) -> str:
        s = f"{type(self).__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        if self.interpolation != InterpolationMode.NEAREST:
            s += f", interpolation={self.interpolation.value}"
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


class RandomErasing(Module):
    """Erase a random rectangle of a tensor image with probability ``p`` (Zhong et al., 2017).

    ``scale``: range of the erased fraction of the area; ``ratio``: range of its
    aspect ratio (drawn log-uniformly); ``value``: a number, one per channel, or
    ``'random'`` for normal noise.  Up to 10 tries find a rectangle that fits;
    otherwise the image is returned unchanged.
    """

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0,
                 inplace: bool = False):
        super().__init__()
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            _warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """``(i, j, h, w, v)`` for ``erase``; ``value=None`` means normal noise."""
        torch = _ember()
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = torch.log(torch.tensor(ratio))
        for _ in range(10):
            erase_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
            aspect_ratio = torch.exp(
                torch.empty(1).uniform_(float(log_ratio[0]), float(log_ratio[1]))).item()
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = torch.empty([img_c, h, w], dtype=torch.float32).normal_()
            else:
                v = torch.tensor(value)[:, None, None]
            i = torch.randint(0, img_h - h + 1, size=(1,)).item()
            j = torch.randint(0, img_w - w + 1, size=(1,)).item()
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def forward(self, img):
        if _ember().rand(1) < self.p:
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            elif isinstance(self.value, (list, tuple)):
                value = [float(v) for v in self.value]
            else:
                value = self.value
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError("If value is a sequence, it should have either a single value "
                                 f"or {img.shape[-3]} (number of input channels)")
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio,
                                            value=value)
            return F.erase(img, x, y, h, w, v, self.inplace)
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


class RandomPerspective(Module):
    """With probability ``p`` (``torch.rand(1)``), warp so that the four corners move inwards
    by up to ``distortion_scale`` of half the image size each.

    The eight corner coordinates are drawn by ``torch.randint``, one at a time: top-left x
    then y, top-right, bottom-right, bottom-left (torchvision's order).
    """

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR,
                 fill=0):
        super().__init__()
        self.p = p
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.distortion_scale = distortion_scale
        self.fill = _check_fill(fill)

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = _fill_for(img, self.fill, channels)
        if _ember().rand(1) < self.p:
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float):
        torch = _ember()
        dx = int(distortion_scale * (width // 2))
        dy = int(distortion_scale * (height // 2))

        def draw(low, high):
            return int(torch.randint(low, high, size=(1,)).item())

        near_x, near_y = (0, dx + 1), (0, dy + 1)
        far_x, far_y = (width - dx - 1, width), (height - dy - 1, height)
        topleft = [draw(*near_x), draw(*near_y)]
        topright = [draw(*far_x), draw(*near_y)]
        botright = [draw(*far_x), draw(*far_y)]
        botleft = [draw(*near_x), draw(*far_y)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


from ._elastic import ElasticTransform  # noqa: E402,F401
