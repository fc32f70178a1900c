"""v2 transforms for conversion, dtype, normalisation, colour, erasing and composition."""
from __future__ import annotations

import collections.abc
import math
import numbers
from collections.abc import Sequence

import numpy as np
from ember._warnings import warn as _warn

from ...._tensor import Tensor
from ... import tv_tensors
from ..transforms import _check_sequence_input, _setup_size
from . import functional as F
from ._transform import Transform, _PassesBoxesAndMasks, _RandomApplyTransform, _ember
from ._utils import (_is_pil, _parse_labels_getter, _setup_number_or_seq, get_bounding_boxes,
                     has_any, is_pure_tensor, query_chw, tree_flatten, tree_unflatten)

__all__ = ["ColorJitter", "Compose", "ConvertImageDtype", "GaussianBlur", "Grayscale", "Identity",
           "Lambda", "Normalize", "PILToTensor", "RGB", "RandomAdjustSharpness", "RandomApply",
           "RandomAutocontrast", "RandomChannelPermutation", "RandomChoice", "RandomEqualize",
           "RandomErasing", "RandomGrayscale", "RandomInvert", "RandomOrder",
           "RandomPhotometricDistort", "RandomPosterize", "RandomSolarize",
           "SanitizeBoundingBoxes", "ToDtype", "ToImage", "ToPILImage", "ToPureTensor", "ToTensor"]


# -- type conversion -------------------------------------------------------------------------------

class PILToTensor(Transform):
    """``PIL.Image`` -> tensor ``C x H x W`` of the image's own type (values unchanged)."""

    _transformed_types = (_is_pil,)

    def transform(self, inpt, params):
        return F.pil_to_tensor(inpt)


class ToImage(Transform):
    """Tensor, ``ndarray`` or ``PIL.Image`` -> ``tv_tensors.Image`` (values unchanged)."""

    _transformed_types = (is_pure_tensor, _is_pil, np.ndarray)

    def transform(self, inpt, params):
        return F.to_image(inpt)


class ToPILImage(Transform):
    """Tensor or ``ndarray`` -> ``PIL.Image`` (``mode`` as ``functional.to_pil_image``)."""

    _transformed_types = (is_pure_tensor, tv_tensors.Image, np.ndarray)

    def __init__(self, mode=None) -> None:
        super().__init__()
        self.mode = mode

    def transform(self, inpt, params):
        return F.to_pil_image(inpt, mode=self.mode)


class ToPureTensor(Transform):
    """Every tv_tensor as a plain ``Tensor`` (metadata dropped)."""

    _transformed_types = (tv_tensors.TVTensor,)

    def transform(self, inpt, params):
        return inpt.as_subclass(Tensor)


class ToTensor(Transform):
    """[DEPRECATED] ``v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])``."""

    _transformed_types = (_is_pil, np.ndarray)

    def __init__(self) -> None:
        _warn("The transform `ToTensor()` is deprecated and will be removed in a future release. "
              "Instead, please use `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, "
              "scale=True)])`.Output is equivalent up to float precision.", stacklevel=2)
        super().__init__()

    def transform(self, inpt, params):
        return F.to_tensor(inpt)


# -- misc ------------------------------------------------------------------------------------------

class Identity(Transform):
    """Returns its input."""

    def transform(self, inpt, params):
        return inpt


class Lambda(Transform):
    """Apply ``lambd`` to the inputs that are instances of ``types`` (all, by default)."""

    _transformed_types = (object,)

    def __init__(self, lambd, *types):
        super().__init__()
        self.lambd = lambd
        self.types = types or self._transformed_types

    def transform(self, inpt, params):
        return self.lambd(inpt) if isinstance(inpt, self.types) else inpt

    def extra_repr(self) -> str:
        extras = []
        name = getattr(self.lambd, "__name__", None)
        if name:
            extras.append(name)
        extras.append(f"types={[t.__name__ for t in self.types]}")
        return ", ".join(extras)


class LinearTransformation(Transform):
    """``(x.flatten() - mean_vector) @ transformation_matrix``, reshaped back, on tensor
    images and videos (PIL images are refused); checks as the v1 transform."""

    _transformed_types = (is_pure_tensor, tv_tensors.Image, tv_tensors.Video)

    def __init__(self, transformation_matrix, mean_vector):
        super().__init__()
        from ..transforms import LinearTransformation as V1

        V1(transformation_matrix, mean_vector)  # (the argument checks)
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def check_inputs(self, sample):
        if has_any(sample, _is_pil):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt, params):
        from ..transforms import LinearTransformation as V1

        out = V1._apply(self, inpt, reshape=True)  # (v1's checks and arithmetic)
        if isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)):
            out = tv_tensors.wrap(out, like=inpt)
        return out


class Normalize(Transform):
    """``(x - mean[c]) / std[c]`` on float images (PIL images are refused)."""

    def __init__(self, mean, std, inplace: bool = False):
        super().__init__()
        self.mean = list(mean)
        self.std = list(std)
        self.inplace = inplace

    def check_inputs(self, sample):
        if has_any(sample, _is_pil):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt, params):
        return self._call_kernel(F.normalize, inpt, mean=self.mean, std=self.std,
                                 inplace=self.inplace)


class GaussianBlur(Transform):
    """Blur with ``sigma`` drawn per call from ``(min, max)`` by ``uniform_``."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)) -> None:
        super().__init__()
        self.kernel_size = _setup_size(kernel_size,
                                       "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        self.sigma = _setup_number_or_seq(sigma, "sigma")
        if not 0.0 < self.sigma[0] <= self.sigma[1]:
            raise ValueError("sigma values should be positive and of the form (min, max). Got "
                             f"{self.sigma}")

    def make_params(self, flat_inputs):
        sigma = _ember().empty(1).uniform_(self.sigma[0], self.sigma[1]).item()
        return dict(sigma=[sigma, sigma])

    def transform(self, inpt, params):
        return self._call_kernel(F.gaussian_blur, inpt, self.kernel_size, **params)


class ToDtype(Transform):
    """Convert images/videos (or, with a dict, each tv_tensor type) to a dtype.

    ``scale=True`` rescales image values (uint8 255 <-> float 1.0).  A dict maps types
    (and ``"others"``) to dtypes, ``None`` meaning unchanged.
    """

    _transformed_types = (Tensor,)

    def __init__(self, dtype, scale: bool = False) -> None:
        super().__init__()
        from ...._dtype import dtype as dtype_cls

        if not isinstance(dtype, (dict, dtype_cls)):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        if isinstance(dtype, dict) and Tensor in dtype and any(
                cls in dtype for cls in (tv_tensors.Image, tv_tensors.Video)):
            _warn("Got `dtype` values for `torch.Tensor` and either `tv_tensors.Image` or "
                  "`tv_tensors.Video`. Note that a plain `torch.Tensor` will *not* be "
                  "transformed by this (or any other transformation) in case a "
                  "`tv_tensors.Image` or `tv_tensors.Video` is present in the input.",
                  stacklevel=2)
        self.dtype = dtype
        self.scale = scale

    def transform(self, inpt, params):
        if not isinstance(self.dtype, dict):
            if not is_pure_tensor(inpt) and not isinstance(inpt, (tv_tensors.Image,
                                                                  tv_tensors.Video)):
                return inpt
            dtype = self.dtype
        elif type(inpt) in self.dtype:
            dtype = self.dtype[type(inpt)]
        elif "others" in self.dtype:
            dtype = self.dtype["others"]
        else:
            raise ValueError(
                f"No dtype was specified for type {type(inpt)}. If you only need to convert the "
                "dtype of images or videos, you can just pass e.g. dtype=torch.float32. If "
                "you're passing a dict as dtype, you can use \"others\" as a catch-all key e.g. "
                "dtype={tv_tensors.Mask: torch.int64, \"others\": None} to pass-through the rest "
                "of the inputs.")
        supports_scaling = is_pure_tensor(inpt) or isinstance(inpt, (tv_tensors.Image,
                                                                     tv_tensors.Video))
        if dtype is None:
            if self.scale and supports_scaling:
                _warn("scale was set to True but no dtype was specified for images or videos: "
                      "no scaling will be done.", stacklevel=2)
            return inpt
        return self._call_kernel(F.to_dtype, inpt, dtype=dtype, scale=self.scale)


class ConvertImageDtype(Transform):
    """``ToDtype(dtype, scale=True)`` (kept from v1)."""

    def __init__(self, dtype=None) -> None:
        super().__init__()
        self.dtype = _ember().float32 if dtype is None else dtype

    def transform(self, inpt, params):
        return self._call_kernel(F.to_dtype, inpt, dtype=self.dtype, scale=True)


class SanitizeBoundingBoxes(Transform):
    """Drop degenerate boxes (and the matching labels and masks)."""

    def __init__(self, min_size: float = 1.0, min_area: float = 1.0,
                 labels_getter="default") -> None:
        super().__init__()
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        self.min_size = min_size
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        self.min_area = min_area
        self.labels_getter = labels_getter
        self._labels_getter = _parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = _checked_labels(self._labels_getter, inputs)
        flat_inputs, spec = tree_flatten(inputs)
        boxes = get_bounding_boxes(flat_inputs)
        if labels is not None:
            for label in labels:
                if boxes.shape[0] != label.shape[0]:
                    raise ValueError(f"Number of boxes (shape={boxes.shape}) and must match the "
                                     "number of labels.Found labels with "
                                     f"shape={label.shape}).")
        _, valid = F.sanitize_bounding_boxes(boxes, min_size=self.min_size,
                                             min_area=self.min_area)
        params = dict(valid=valid, labels=labels)
        return tree_unflatten([self.transform(x, params) for x in flat_inputs], spec)

    def transform(self, inpt, params):
        is_label = params["labels"] is not None and any(inpt is lab for lab in params["labels"])
        is_boxes_or_mask = isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask))
        if not (is_label or is_boxes_or_mask):
            return inpt
        plain = inpt.as_subclass(Tensor) if isinstance(inpt, tv_tensors.TVTensor) else inpt
        try:
            out = plain[params["valid"]]
        except IndexError:
            return inpt
        return out if is_label else tv_tensors.wrap(out, like=inpt)


def _checked_labels(getter, inputs):
    """The labels ``getter`` finds in ``inputs``: None, or a tuple or list of tensors (a lone
    tensor made a 1-tuple); anything else refused with torchvision's words."""
    labels = getter(inputs)
    if labels is None or isinstance(labels, Tensor):
        return labels if labels is None else (labels,)
    msg = "The labels in the input to forward() must be a tensor or None, got {} instead."
    if not isinstance(labels, (tuple, list)):
        raise ValueError(msg.format(type(labels)))
    for entry in labels:
        if not isinstance(entry, Tensor):
            raise ValueError(msg.format(type(entry)))
    return labels


class ConvertBoundingBoxFormat(Transform):
    """``BoundingBoxes`` converted to ``format`` (``"XYXY"``, ``"XYWH"``, ``"CXCYWH"``)."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, format) -> None:
        super().__init__()
        self.format = format

    def transform(self, inpt, params):
        return F.convert_bounding_box_format(inpt, new_format=self.format)


class SanitizeKeyPoints(Transform):
    """Drop the points (or groups of points) outside the canvas, and the matching labels."""

    def __init__(self, labels_getter=None) -> None:
        super().__init__()
        self.labels_getter = labels_getter
        self._labels_getter = _parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        from ._utils import get_keypoints

        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = _checked_labels(self._labels_getter, inputs)
        flat_inputs, spec = tree_flatten(inputs)
        points = get_keypoints(flat_inputs)
        if labels is not None:
            for label in labels:
                if points.shape[0] != label.shape[0]:
                    raise ValueError(f"Number of kepyoints (shape={points.shape}) must match the "
                                     f"number of labels.Found labels with shape={label.shape}).")
        valid = F._sanitize_keypoints_mask(points, points.canvas_size)
        params = dict(valid=valid, labels=labels)
        return tree_unflatten([self.transform(x, params) for x in flat_inputs], spec)

    def transform(self, inpt, params):
        is_label = params["labels"] is not None and any(inpt is lab for lab in params["labels"])
        is_points = isinstance(inpt, tv_tensors.KeyPoints)
        if not (is_label or is_points):
            return inpt
        out = inpt[params["valid"]]
        return out if is_label else tv_tensors.wrap(out, like=inpt)


class ClampKeyPoints(Transform):
    """``KeyPoints`` clamped into their canvas."""

    _transformed_types = (tv_tensors.KeyPoints,)

    def transform(self, inpt, params):
        return F.clamp_keypoints(inpt)


class ClampBoundingBoxes(Transform):
    """``BoundingBoxes`` clamped into their canvas (``"auto"``: each box's own mode)."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, clamping_mode="auto") -> None:
        super().__init__()
        self.clamping_mode = clamping_mode

    def transform(self, inpt, params):
        return F.clamp_bounding_boxes(inpt, clamping_mode=self.clamping_mode)


class GaussianNoise(Transform):
    """Add ``mean + sigma * N(0, 1)`` noise to images (clamped to the valid range by default)."""

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip=True) -> None:
        super().__init__()
        self.mean = mean
        self.sigma = sigma
        self.clip = clip

    def transform(self, inpt, params):
        return self._call_kernel(F.gaussian_noise, inpt, mean=self.mean, sigma=self.sigma,
                                 clip=self.clip)


class JPEG(Transform):
    """JPEG compression artefacts at a quality drawn uniformly from ``quality`` (an int or
    ``[low, high]``)."""

    def __init__(self, quality) -> None:
        super().__init__()
        if isinstance(quality, int):
            if isinstance(quality, bool):
                raise TypeError("quality can't be bool")
            quality = [quality, quality]
        else:
            _check_sequence_input(quality, "quality", req_sizes=(2,))
        if not (1 <= quality[0] <= quality[1] <= 100 and isinstance(quality[0], int)
                and isinstance(quality[1], int)):
            raise ValueError(f"quality must be an integer from 1 to 100, got quality ={quality}")
        self.quality = quality

    def make_params(self, flat_inputs):
        return dict(quality=int(_ember().randint(self.quality[0], self.quality[1] + 1,
                                                 ()).item()))

    def transform(self, inpt, params):
        return self._call_kernel(F.jpeg, inpt, quality=params["quality"])


# -- colour ----------------------------------------------------------------------------------------

class Grayscale(Transform):
    """Greyscale with 1 or 3 (equal) channels."""

    def __init__(self, num_output_channels: int = 1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def transform(self, inpt, params):
        return self._call_kernel(F.rgb_to_grayscale, inpt,
                                 num_output_channels=self.num_output_channels)


class RandomGrayscale(_RandomApplyTransform):
    """Greyscale (keeping the number of channels) with probability ``p``."""

    def __init__(self, p: float = 0.1) -> None:
        super().__init__(p=p)

    def make_params(self, flat_inputs):
        return dict(num_input_channels=query_chw(flat_inputs)[0])

    def transform(self, inpt, params):
        return self._call_kernel(F.rgb_to_grayscale, inpt,
                                 num_output_channels=params["num_input_channels"])


class RGB(Transform):
    """Greyscale images to 3 channels; RGB ones unchanged."""

    def transform(self, inpt, params):
        return self._call_kernel(F.grayscale_to_rgb, inpt)


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue, in a random order.

    Draws ``torch.randperm(4)``, then one ``uniform_`` per enabled factor.
    """

    def __init__(self, brightness=None, contrast=None, saturation=None, hue=None) -> None:
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5),
                                     clip_first_on_zero=False)

    def _check_input(self, value, name, center=1.0, bound=(0, float("inf")),
                     clip_first_on_zero=True):
        if value is None:
            return None
        if isinstance(value, (int, float)):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - value, center + value]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, collections.abc.Sequence) and len(value) == 2:
            value = [float(v) for v in value]
        else:
            raise TypeError(f"{name}={value} should be a single number or a sequence with "
                            "length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound} and increasing, but got "
                             f"{value}.")
        return None if value[0] == value[1] == center else (float(value[0]), float(value[1]))

    @staticmethod
    def _generate_value(left: float, right: float) -> float:
        return float(_ember().empty(1).uniform_(left, right).item())

    def make_params(self, flat_inputs):
        order = _ember().randperm(4)
        draw = [None if r is None else self._generate_value(r[0], r[1])
                for r in (self.brightness, self.contrast, self.saturation, self.hue)]
        return dict(fn_idx=order, brightness_factor=draw[0], contrast_factor=draw[1],
                    saturation_factor=draw[2], hue_factor=draw[3])

    def transform(self, inpt, params):
        steps = {0: (F.adjust_brightness, "brightness_factor"),
                 1: (F.adjust_contrast, "contrast_factor"),
                 2: (F.adjust_saturation, "saturation_factor"),
                 3: (F.adjust_hue, "hue_factor")}
        out = inpt
        for k in params["fn_idx"].tolist():
            fn, name = steps[k]
            if params[name] is not None:
                out = self._call_kernel(fn, out, **{name: params[name]})
        return out


class RandomChannelPermutation(Transform):
    """Shuffle the channels (``torch.randperm(C)``)."""

    def make_params(self, flat_inputs):
        return dict(permutation=_ember().randperm(query_chw(flat_inputs)[0]))

    def transform(self, inpt, params):
        return self._call_kernel(F.permute_channels, inpt, params["permutation"].tolist())


class RandomPhotometricDistort(Transform):
    """SSD's colour distortions, each with probability ``p``."""

    def __init__(self, brightness=(0.875, 1.125), contrast=(0.5, 1.5), saturation=(0.5, 1.5),
                 hue=(-0.05, 0.05), p: float = 0.5):
        super().__init__()
        self.brightness = brightness
        self.contrast = contrast
        self.hue = hue
        self.saturation = saturation
        self.p = p

    def make_params(self, flat_inputs):
        torch = _ember()
        num_channels = query_chw(flat_inputs)[0]
        params = {}
        for key, rng in (("brightness_factor", self.brightness),
                         ("contrast_factor", self.contrast),
                         ("saturation_factor", self.saturation), ("hue_factor", self.hue)):
            params[key] = (ColorJitter._generate_value(rng[0], rng[1])
                           if torch.rand(1) < self.p else None)
        params["contrast_before"] = bool(torch.rand(()) < 0.5)
        params["channel_permutation"] = (torch.randperm(num_channels)
                                         if torch.rand(1) < self.p else None)
        return params

    def transform(self, inpt, params):
        if params["brightness_factor"] is not None:
            inpt = self._call_kernel(F.adjust_brightness, inpt,
                                     brightness_factor=params["brightness_factor"])
        if params["contrast_factor"] is not None and params["contrast_before"]:
            inpt = self._call_kernel(F.adjust_contrast, inpt,
                                     contrast_factor=params["contrast_factor"])
        if params["saturation_factor"] is not None:
            inpt = self._call_kernel(F.adjust_saturation, inpt,
                                     saturation_factor=params["saturation_factor"])
        if params["hue_factor"] is not None:
            inpt = self._call_kernel(F.adjust_hue, inpt, hue_factor=params["hue_factor"])
        if params["contrast_factor"] is not None and not params["contrast_before"]:
            inpt = self._call_kernel(F.adjust_contrast, inpt,
                                     contrast_factor=params["contrast_factor"])
        if params["channel_permutation"] is not None:
            inpt = self._call_kernel(F.permute_channels, inpt,
                                     permutation=params["channel_permutation"].tolist())
        return inpt


class _OneOp(_RandomApplyTransform):
    _fn_name = ""
    _arg = None

    def transform(self, inpt, params):
        kwargs = {} if self._arg is None else {self._arg: getattr(self, self._arg)}
        return self._call_kernel(getattr(F, self._fn_name), inpt, **kwargs)


class RandomEqualize(_OneOp):
    """Equalise the histogram with probability ``p``."""

    _fn_name = "equalize"


class RandomInvert(_OneOp):
    """Invert the colours with probability ``p``."""

    _fn_name = "invert"


class RandomAutocontrast(_OneOp):
    """Stretch each channel to the full range with probability ``p``."""

    _fn_name = "autocontrast"


class RandomPosterize(_OneOp):
    """Keep ``bits`` bits per channel with probability ``p``."""

    _fn_name, _arg = "posterize", "bits"

    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.bits = bits


class RandomSolarize(_OneOp):
    """Invert the values ``>= threshold`` with probability ``p``."""

    _fn_name, _arg = "solarize", "threshold"

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.threshold = threshold


class RandomAdjustSharpness(_OneOp):
    """``adjust_sharpness(img, sharpness_factor)`` with probability ``p``."""

    _fn_name, _arg = "adjust_sharpness", "sharpness_factor"

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.sharpness_factor = sharpness_factor


# -- erasing ---------------------------------------------------------------------------------------

class RandomErasing(_PassesBoxesAndMasks, _RandomApplyTransform):
    """Erase a random rectangle of the image with probability ``p`` (Zhong et al., 2017)."""

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0,
                 inplace: bool = False):
        super().__init__(p=p)
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            _warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        self.scale = scale
        self.ratio = ratio
        if isinstance(value, (int, float)):
            self.value = [float(value)]
        elif isinstance(value, str):
            self.value = None
        else:
            self.value = [float(v) for v in value]
        self.inplace = inplace
        torch = _ember()
        self._log_ratio = torch.log(torch.tensor(self.ratio))

    def make_params(self, flat_inputs):
        torch = _ember()
        img_c, img_h, img_w = query_chw(flat_inputs)
        if self.value is not None and len(self.value) not in (1, img_c):
            raise ValueError("If value is a sequence, it should have either a single value or "
                             f"{img_c} (number of inpt channels)")
        area = img_h * img_w
        lo, hi = float(self._log_ratio[0]), float(self._log_ratio[1])
        for _ in range(10):
            erase_area = area * torch.empty(1).uniform_(self.scale[0], self.scale[1]).item()
            aspect_ratio = torch.exp(torch.empty(1).uniform_(lo, hi)).item()
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if self.value is None:
                v = torch.empty([img_c, h, w], dtype=torch.float32).normal_()
            else:
                v = torch.tensor(self.value)[:, None, None]
            i = torch.randint(0, img_h - h + 1, size=(1,)).item()
            j = torch.randint(0, img_w - w + 1, size=(1,)).item()
            return dict(i=i, j=j, h=h, w=w, v=v)
        return dict(i=0, j=0, h=img_h, w=img_w, v=None)

    def transform(self, inpt, params):
        if params["v"] is not None:
            inpt = self._call_kernel(F.erase, inpt, **params, inplace=self.inplace)
        return inpt


# -- composition -----------------------------------------------------------------------------------

def _check_transforms(transforms, allow_module_list=False):
    from ....nn.modules.container import ModuleList

    kinds = (Sequence, ModuleList) if allow_module_list else (Sequence,)
    if not isinstance(transforms, kinds):
        raise TypeError("Argument transforms should be a sequence of callables" + (
            " or a `nn.ModuleList`" if allow_module_list else ""))
    if not transforms:
        raise ValueError("Pass at least one transform")


def _run(transforms, inputs):
    needs_unpacking = len(inputs) > 1
    outputs = None
    for t in transforms:
        outputs = t(*inputs)
        inputs = outputs if needs_unpacking else (outputs,)
    return outputs


class Compose(Transform):
    """Apply ``transforms`` one after the other (several inputs are passed on as a tuple)."""

    def __init__(self, transforms) -> None:
        super().__init__()
        _check_transforms(transforms)
        self.transforms = transforms

    def forward(self, *inputs):
        return _run(self.transforms, inputs)

    def extra_repr(self) -> str:
        return "\n".join(f"    {t}" for t in self.transforms)


class RandomApply(Transform):
    """Apply all of ``transforms`` with probability ``p`` (one ``torch.rand(1)`` draw)."""

    def __init__(self, transforms, p: float = 0.5) -> None:
        super().__init__()
        _check_transforms(transforms, allow_module_list=True)
        self.transforms = transforms
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p

    def forward(self, *inputs):
        if _ember().rand(1) >= self.p:
            return inputs if len(inputs) > 1 else inputs[0]
        return _run(self.transforms, inputs)

    def extra_repr(self) -> str:
        return "\n".join(f"    {t}" for t in self.transforms)


class RandomChoice(Transform):
    """Apply one of ``transforms``, picked by ``torch.multinomial`` with weights ``p``.

    NOTE: v1 picks with Python's ``random``; v2 with the torch generator.
    """

    def __init__(self, transforms, p=None) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(transforms)}")
        super().__init__()
        self.transforms = transforms
        total = sum(p)
        self.p = [prob / total for prob in p]

    def forward(self, *inputs):
        torch = _ember()
        idx = int(torch.multinomial(torch.tensor(self.p), 1))
        return self.transforms[idx](*inputs)


class RandomOrder(Transform):
    """Apply ``transforms`` in the order of ``torch.randperm`` (v1 uses Python's ``random``)."""

    def __init__(self, transforms) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        super().__init__()
        self.transforms = transforms

    def forward(self, *inputs):
        order = _ember().randperm(len(self.transforms)).tolist()
        return _run([self.transforms[i] for i in order], inputs)
