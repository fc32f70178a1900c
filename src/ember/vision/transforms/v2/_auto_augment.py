"""v2 automatic augmentation: AutoAugment, RandAugment, TrivialAugmentWide, AugMix.

As torchvision v2: the sample may be any nesting, holding exactly one image or video
(a plain tensor, ``Image``, ``Video`` or PIL image); other leaves pass through, and boxes or
masks are refused.  Operations go through the v2 functionals (so float images work too,
and Solarize's threshold is relative to the type's maximum).  The random draws are
torchvision v2's: ``torch.randint(n, ())`` to pick, ``torch.rand(()) <= p`` for
probabilities and signs, ``torch._sample_dirichlet`` for AugMix's weights.
"""
from __future__ import annotations

import math

from ...._tensor import Tensor
from ... import tv_tensors
from .. import _functional_tensor as _FT
from ..autoaugment import AutoAugmentPolicy, _get_policies, augmix_weights
from . import functional as F
from ._transform import Transform, _ember
from ._utils import (_get_fill, _is_pil, _setup_fill_arg, check_type, is_pure_tensor,
                     tree_flatten, tree_unflatten)

__all__ = ["AugMix", "AutoAugment", "RandAugment", "TrivialAugmentWide"]


def _linspace(start, end):
    return lambda num_bins, height, width: _ember().linspace(start, end, num_bins)


def _posterize(top: int, span: int):
    def magnitudes(num_bins, height, width):
        torch = _ember()
        return (top - (torch.arange(num_bins) / ((num_bins - 1) / span))).round().int()

    return magnitudes


def _none(num_bins, height, width):
    return None


def _unsupported_types() -> tuple:
    keypoints = getattr(tv_tensors, "KeyPoints", None)
    return (tv_tensors.BoundingBoxes, tv_tensors.Mask) + (
        (keypoints,) if isinstance(keypoints, type) else ())


class _AutoAugmentBase(Transform):
    def __init__(self, *, interpolation="nearest", fill=None) -> None:
        super().__init__()
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)

    def _get_random_item(self, dct: dict):
        keys = tuple(dct.keys())
        key = keys[int(_ember().randint(len(keys), ()))]
        return key, dct[key]

    def _flatten_and_extract_image_or_video(self, inputs, unsupported_types=None):
        if unsupported_types is None:
            unsupported_types = _unsupported_types()
        flat_inputs, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        needs_transform_list = self._needs_transform_list(flat_inputs)
        image_or_videos = []
        for idx, (inpt, needs) in enumerate(zip(flat_inputs, needs_transform_list)):
            if needs and check_type(inpt, (tv_tensors.Image, _is_pil, is_pure_tensor,
                                           tv_tensors.Video)):
                image_or_videos.append((idx, inpt))
            elif isinstance(inpt, unsupported_types):
                raise TypeError(f"Inputs of type {type(inpt).__name__} are not supported by "
                                f"{type(self).__name__}()")
        if not image_or_videos:
            raise TypeError("Found no image in the sample.")
        if len(image_or_videos) > 1:
            raise TypeError("Auto augment transformations are only properly defined for a "
                            "single image or video, but found "
                            f"{len(image_or_videos)}.")
        idx, image_or_video = image_or_videos[0]
        return (flat_inputs, spec, idx), image_or_video

    def _unflatten_and_insert_image_or_video(self, flat_inputs_with_spec, image_or_video):
        flat_inputs, spec, idx = flat_inputs_with_spec
        flat_inputs[idx] = image_or_video
        return tree_unflatten(flat_inputs, spec)

    def _apply_image_or_video_transform(self, image, transform_id: str, magnitude: float,
                                        interpolation, fill: dict):
        fill_ = _get_fill(fill, type(image))
        if transform_id == "Identity":
            return image
        if transform_id == "ShearX":
            # NOTE: the shear angle is atan(magnitude), about the top-left corner (see v1).
            return F.affine(image, angle=0.0, translate=[0, 0], scale=1.0,
                            shear=[math.degrees(math.atan(magnitude)), 0.0],
                            interpolation=interpolation, fill=fill_, center=[0, 0])
        if transform_id == "ShearY":
            return F.affine(image, angle=0.0, translate=[0, 0], scale=1.0,
                            shear=[0.0, math.degrees(math.atan(magnitude))],
                            interpolation=interpolation, fill=fill_, center=[0, 0])
        if transform_id == "TranslateX":
            return F.affine(image, angle=0.0, translate=[int(magnitude), 0], scale=1.0,
                            interpolation=interpolation, shear=[0.0, 0.0], fill=fill_)
        if transform_id == "TranslateY":
            return F.affine(image, angle=0.0, translate=[0, int(magnitude)], scale=1.0,
                            interpolation=interpolation, shear=[0.0, 0.0], fill=fill_)
        if transform_id == "Rotate":
            return F.rotate(image, angle=magnitude, interpolation=interpolation, fill=fill_)
        if transform_id == "Brightness":
            return F.adjust_brightness(image, brightness_factor=1.0 + magnitude)
        if transform_id == "Color":
            return F.adjust_saturation(image, saturation_factor=1.0 + magnitude)
        if transform_id == "Contrast":
            return F.adjust_contrast(image, contrast_factor=1.0 + magnitude)
        if transform_id == "Sharpness":
            return F.adjust_sharpness(image, sharpness_factor=1.0 + magnitude)
        if transform_id == "Posterize":
            return F.posterize(image, bits=int(magnitude))
        if transform_id == "Solarize":
            bound = _FT._max_value(image.dtype) if isinstance(image, Tensor) else 255.0
            if isinstance(image, Tensor) and image.is_floating_point():
                bound = 1.0
            return F.solarize(image, threshold=bound * magnitude)
        if transform_id == "AutoContrast":
            return F.autocontrast(image)
        if transform_id == "Equalize":
            return F.equalize(image)
        if transform_id == "Invert":
            return F.invert(image)
        raise ValueError(f"No transform available for {transform_id}")


class AutoAugment(_AutoAugmentBase):
    r"""AutoAugment (``policy``: IMAGENET, CIFAR10 or SVHN) on one image or video."""

    _AUGMENTATION_SPACE = {
        "ShearX": (_linspace(0.0, 0.3), True),
        "ShearY": (_linspace(0.0, 0.3), True),
        "TranslateX": (lambda num_bins, height, width: _ember().linspace(
            0.0, 150.0 / 331.0 * width, num_bins), True),
        "TranslateY": (lambda num_bins, height, width: _ember().linspace(
            0.0, 150.0 / 331.0 * height, num_bins), True),
        "Rotate": (_linspace(0.0, 30.0), True),
        "Brightness": (_linspace(0.0, 0.9), True),
        "Color": (_linspace(0.0, 0.9), True),
        "Contrast": (_linspace(0.0, 0.9), True),
        "Sharpness": (_linspace(0.0, 0.9), True),
        "Posterize": (_posterize(8, 4), False),
        "Solarize": (_linspace(1.0, 0.0), False),
        "AutoContrast": (_none, False),
        "Equalize": (_none, False),
        "Invert": (_none, False),
    }

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation="nearest", fill=None) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        self.policy = policy
        self._policies = self._get_policies(policy)

    def _get_policies(self, policy):
        return _get_policies(policy)

    def forward(self, *inputs):
        torch = _ember()
        flat_inputs_with_spec, image_or_video = self._flatten_and_extract_image_or_video(inputs)
        height, width = F.get_size(image_or_video)
        policy = self._policies[int(torch.randint(len(self._policies), ()))]
        for transform_id, probability, magnitude_idx in policy:
            if not torch.rand(()) <= probability:
                continue
            magnitudes_fn, signed = self._AUGMENTATION_SPACE[transform_id]
            magnitudes = magnitudes_fn(10, height, width)
            if magnitudes is not None:
                magnitude = float(magnitudes[magnitude_idx])
                if signed and torch.rand(()) <= 0.5:
                    magnitude *= -1
            else:
                magnitude = 0.0
            image_or_video = self._apply_image_or_video_transform(
                image_or_video, transform_id, magnitude, interpolation=self.interpolation,
                fill=self._fill)
        return self._unflatten_and_insert_image_or_video(flat_inputs_with_spec, image_or_video)


class RandAugment(_AutoAugmentBase):
    r"""RandAugment: ``num_ops`` random operations at bin ``magnitude`` of
    ``num_magnitude_bins``."""

    _AUGMENTATION_SPACE = {
        "Identity": (_none, False),
        "ShearX": (_linspace(0.0, 0.3), True),
        "ShearY": (_linspace(0.0, 0.3), True),
        "TranslateX": (lambda num_bins, height, width: _ember().linspace(
            0.0, 150.0 / 331.0 * width, num_bins), True),
        "TranslateY": (lambda num_bins, height, width: _ember().linspace(
            0.0, 150.0 / 331.0 * height, num_bins), True),
        "Rotate": (_linspace(0.0, 30.0), True),
        "Brightness": (_linspace(0.0, 0.9), True),
        "Color": (_linspace(0.0, 0.9), True),
        "Contrast": (_linspace(0.0, 0.9), True),
        "Sharpness": (_linspace(0.0, 0.9), True),
        "Posterize": (_posterize(8, 4), False),
        "Solarize": (_linspace(1.0, 0.0), False),
        "AutoContrast": (_none, False),
        "Equalize": (_none, False),
    }

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation="nearest", fill=None) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        if not isinstance(num_ops, int) or (num_ops < 0):
            raise ValueError(f"num_ops should be a non-negative integer, but got {num_ops} "
                             "instead.")
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def forward(self, *inputs):
        torch = _ember()
        flat_inputs_with_spec, image_or_video = self._flatten_and_extract_image_or_video(inputs)
        height, width = F.get_size(image_or_video)
        for _ in range(self.num_ops):
            transform_id, (magnitudes_fn, signed) = self._get_random_item(
                self._AUGMENTATION_SPACE)
            magnitudes = magnitudes_fn(self.num_magnitude_bins, height, width)
            if magnitudes is not None:
                magnitude = float(magnitudes[self.magnitude])
                if signed and torch.rand(()) <= 0.5:
                    magnitude *= -1
            else:
                magnitude = 0.0
            image_or_video = self._apply_image_or_video_transform(
                image_or_video, transform_id, magnitude, interpolation=self.interpolation,
                fill=self._fill)
        return self._unflatten_and_insert_image_or_video(flat_inputs_with_spec, image_or_video)


class TrivialAugmentWide(_AutoAugmentBase):
    r"""TrivialAugment Wide: one random operation at a random one of
    ``num_magnitude_bins`` magnitudes."""

    _AUGMENTATION_SPACE = {
        "Identity": (_none, False),
        "ShearX": (_linspace(0.0, 0.99), True),
        "ShearY": (_linspace(0.0, 0.99), True),
        "TranslateX": (_linspace(0.0, 32.0), True),
        "TranslateY": (_linspace(0.0, 32.0), True),
        "Rotate": (_linspace(0.0, 135.0), True),
        "Brightness": (_linspace(0.0, 0.99), True),
        "Color": (_linspace(0.0, 0.99), True),
        "Contrast": (_linspace(0.0, 0.99), True),
        "Sharpness": (_linspace(0.0, 0.99), True),
        "Posterize": (_posterize(8, 6), False),
        "Solarize": (_linspace(1.0, 0.0), False),
        "AutoContrast": (_none, False),
        "Equalize": (_none, False),
    }

    def __init__(self, num_magnitude_bins: int = 31, interpolation="nearest", fill=None):
        super().__init__(interpolation=interpolation, fill=fill)
        self.num_magnitude_bins = num_magnitude_bins

    def forward(self, *inputs):
        torch = _ember()
        flat_inputs_with_spec, image_or_video = self._flatten_and_extract_image_or_video(inputs)
        height, width = F.get_size(image_or_video)
        transform_id, (magnitudes_fn, signed) = self._get_random_item(self._AUGMENTATION_SPACE)
        magnitudes = magnitudes_fn(self.num_magnitude_bins, height, width)
        if magnitudes is not None:
            magnitude = float(magnitudes[int(torch.randint(self.num_magnitude_bins, ()))])
            if signed and torch.rand(()) <= 0.5:
                magnitude *= -1
        else:
            magnitude = 0.0
        image_or_video = self._apply_image_or_video_transform(
            image_or_video, transform_id, magnitude, interpolation=self.interpolation,
            fill=self._fill)
        return self._unflatten_and_insert_image_or_video(flat_inputs_with_spec, image_or_video)


class AugMix(_AutoAugmentBase):
    r"""AugMix: ``mixture_width`` chains of ``chain_depth`` operations (1 to 3 when
    negative) mixed with Dirichlet weights, blended with the original by a Beta weight."""

    _PARTIAL_AUGMENTATION_SPACE = {
        "ShearX": (_linspace(0.0, 0.3), True),
        "ShearY": (_linspace(0.0, 0.3), True),
        "TranslateX": (lambda num_bins, height, width: _ember().linspace(
            0.0, width / 3.0, num_bins), True),
        "TranslateY": (lambda num_bins, height, width: _ember().linspace(
            0.0, height / 3.0, num_bins), True),
        "Rotate": (_linspace(0.0, 30.0), True),
        "Posterize": (_posterize(4, 4), False),
        "Solarize": (_linspace(1.0, 0.0), False),
        "AutoContrast": (_none, False),
        "Equalize": (_none, False),
    }
    _AUGMENTATION_SPACE = {
        **_PARTIAL_AUGMENTATION_SPACE,
        "Brightness": (_linspace(0.0, 0.9), True),
        "Color": (_linspace(0.0, 0.9), True),
        "Contrast": (_linspace(0.0, 0.9), True),
        "Sharpness": (_linspace(0.0, 0.9), True),
    }

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True, interpolation="bilinear",
                 fill=None) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        self._PARAMETER_MAX = 10
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got "
                             f"{severity} instead.")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops

    def _sample_dirichlet(self, params: Tensor) -> Tensor:
        # A method of its own so that tests can replace it (as torchvision's tests do).
        return _ember()._sample_dirichlet(params)

    def forward(self, *inputs):
        torch = _ember()
        flat_inputs_with_spec, orig = self._flatten_and_extract_image_or_video(inputs)
        height, width = F.get_size(orig)
        image_or_video = orig if isinstance(orig, Tensor) else F.pil_to_tensor(orig)
        augmentation_space = (self._AUGMENTATION_SPACE if self.all_ops
                              else self._PARTIAL_AUGMENTATION_SPACE)
        orig_dims = list(image_or_video.shape)
        expected_ndim = 5 if isinstance(orig, tv_tensors.Video) else 4
        batch = image_or_video.reshape([1] * max(expected_ndim - image_or_video.ndim, 0)
                                       + orig_dims)
        if isinstance(batch, tv_tensors.TVTensor):  # reshape gives a plain tensor in torch
            batch = batch.as_subclass(Tensor)
        batch_dims = [batch.size(0)] + [1] * (batch.ndim - 1)
        m, combined_weights = augmix_weights(self._sample_dirichlet, self.alpha,
                                             self.mixture_width, batch_dims[0], batch.device)
        mix = m[:, 0].reshape(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = (self.chain_depth if self.chain_depth > 0
                     else int(torch.randint(low=1, high=4, size=(1,)).item()))
            for _ in range(depth):
                transform_id, (magnitudes_fn, signed) = self._get_random_item(augmentation_space)
                magnitudes = magnitudes_fn(self._PARAMETER_MAX, height, width)
                if magnitudes is not None:
                    magnitude = float(magnitudes[int(torch.randint(self.severity, ()))])
                    if signed and torch.rand(()) <= 0.5:
                        magnitude *= -1
                else:
                    magnitude = 0.0
                aug = self._apply_image_or_video_transform(
                    aug, transform_id, magnitude, interpolation=self.interpolation,
                    fill=self._fill)
            mix.add_(combined_weights[:, i].reshape(batch_dims) * aug)
        mix = mix.reshape(orig_dims).to(dtype=image_or_video.dtype)
        if isinstance(orig, (tv_tensors.Image, tv_tensors.Video)):
            mix = tv_tensors.wrap(mix, like=orig)
        elif _is_pil(orig):
            mix = F.to_pil_image(mix)
        return self._unflatten_and_insert_image_or_video(flat_inputs_with_spec, mix)
