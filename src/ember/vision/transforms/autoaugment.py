"""Automatic augmentation policies (``torchvision.transforms.autoaugment``).

``AutoAugment`` (the ImageNet, CIFAR10 and SVHN policies), ``RandAugment``,
``TrivialAugmentWide`` and ``AugMix``, with torchvision's arguments, ``repr`` and errors.
Each one draws from the global generator with the calls torchvision makes
(``torch.randint``, ``torch.rand``, and for AugMix ``torch._sample_dirichlet``, PyTorch's
sampler replayed by ``ember.distributions``), in the same order, and builds its magnitude
tables with the same ``linspace``/``arange`` calls, so after the same ``manual_seed`` it
picks the same operations with the same magnitudes.  The operations are this package's
functionals: Pillow's own calls for PIL images, ember ops for tensors (``uint8`` for the
full set: ``posterize`` and ``equalize`` refuse float tensors here as in torchvision v1).
"""
from __future__ import annotations

import math
from enum import Enum

from ..._tensor import Tensor
from ...nn.modules.module import Module
from . import functional as F
from .functional import InterpolationMode

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _ember():
    import ember

    return ember


def _apply_op(img, op_name: str, magnitude: float, interpolation: InterpolationMode, fill):
    if op_name == "ShearX":
        # NOTE: as torchvision: the shear angle is atan(magnitude) (the official
        # AutoAugment's matrix (1, level, 0, 0, 1, 0) is torchvision's (1, tan(angle), ...)),
        # about the top-left corner.
        img = F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                       shear=[math.degrees(math.atan(magnitude)), 0.0],
                       interpolation=interpolation, fill=fill, center=[0, 0])
    elif op_name == "ShearY":
        img = F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                       shear=[0.0, math.degrees(math.atan(magnitude))],
                       interpolation=interpolation, fill=fill, center=[0, 0])
    elif op_name == "TranslateX":
        img = F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0,
                       interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    elif op_name == "TranslateY":
        img = F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0,
                       interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    elif op_name == "Rotate":
        img = F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    elif op_name == "Brightness":
        img = F.adjust_brightness(img, 1.0 + magnitude)
    elif op_name == "Color":
        img = F.adjust_saturation(img, 1.0 + magnitude)
    elif op_name == "Contrast":
        img = F.adjust_contrast(img, 1.0 + magnitude)
    elif op_name == "Sharpness":
        img = F.adjust_sharpness(img, 1.0 + magnitude)
    elif op_name == "Posterize":
        img = F.posterize(img, int(magnitude))
    elif op_name == "Solarize":
        img = F.solarize(img, magnitude)
    elif op_name == "AutoContrast":
        img = F.autocontrast(img)
    elif op_name == "Equalize":
        img = F.equalize(img)
    elif op_name == "Invert":
        img = F.invert(img)
    elif op_name == "Identity":
        pass
    else:
        raise ValueError(f"The provided operator {op_name} is not recognized.")
    return img


class AutoAugmentPolicy(Enum):
    """AutoAugment policies learned on different datasets: IMAGENET, CIFAR10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# (operation, probability, magnitude bin) pairs of each policy, in torchvision's order.
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
        (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
        (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
        (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
        (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
        (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
        (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
        (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
        (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
        (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
        (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
        (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
        (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
        (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
        (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
        (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
        (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
        (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
        (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
        (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
        (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
        (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
        (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
        (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
        (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
        (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


def _get_policies(policy):
    for key, value in _POLICIES.items():
        if policy == key:
            return [tuple(pair) for pair in value]
    raise ValueError(f"The provided policy {policy} is not recognized.")


def _linspace(start, end, steps):
    return _ember().linspace(start, end, steps)


def _posterize_bins(top: int, num_bins: int, span: int):
    """``top - (arange(num_bins) / ((num_bins - 1) / span)).round().int()`` (int32)."""
    torch = _ember()
    return top - (torch.arange(num_bins) / ((num_bins - 1) / span)).round().int()


def _scalar(value):
    return _ember().tensor(value)


def _tensor_fill(fill, channels: int):
    """torchvision's ``fill`` for tensors: a list of floats, one per channel for a number."""
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    if fill is not None:
        return [float(f) for f in fill]
    return fill


class AutoAugment(Module):
    r"""AutoAugment (Cubuk et al., "AutoAugment: Learning Augmentation Strategies from Data").

    Picks one of the policy's 25 sub-policies and applies each of its two operations with
    its probability.  Tensors should be ``uint8`` shaped ``[..., 1 or 3, H, W]``; PIL
    images ``L`` or ``RGB``.
    """

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST, fill=None) -> None:
        super().__init__()
        self.policy = policy
        self.interpolation = interpolation
        self.fill = fill
        self.policies = self._get_policies(policy)

    def _get_policies(self, policy):
        return _get_policies(policy)

    def _augmentation_space(self, num_bins: int, image_size) -> dict:
        return {
            # op_name: (magnitudes, signed)
            "ShearX": (_linspace(0.0, 0.3, num_bins), True),
            "ShearY": (_linspace(0.0, 0.3, num_bins), True),
            "TranslateX": (_linspace(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
            "TranslateY": (_linspace(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
            "Rotate": (_linspace(0.0, 30.0, num_bins), True),
            "Brightness": (_linspace(0.0, 0.9, num_bins), True),
            "Color": (_linspace(0.0, 0.9, num_bins), True),
            "Contrast": (_linspace(0.0, 0.9, num_bins), True),
            "Sharpness": (_linspace(0.0, 0.9, num_bins), True),
            "Posterize": (_posterize_bins(8, num_bins, 4), False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (_scalar(0.0), False),
            "Equalize": (_scalar(0.0), False),
            "Invert": (_scalar(0.0), False),
        }

    @staticmethod
    def get_params(transform_num: int):
        """``(policy index, tensor of 2 probabilities, tensor of 2 signs)``."""
        torch = _ember()
        policy_id = int(torch.randint(transform_num, (1,)).item())
        probs = torch.rand((2,))
        signs = torch.randint(2, (2,))
        return policy_id, probs, signs

    def forward(self, img):
        fill = self.fill
        channels, height, width = F.get_dimensions(img)
        if isinstance(img, Tensor):
            fill = _tensor_fill(fill, channels)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, signed = op_meta[op_name]
                magnitude = (float(magnitudes[magnitude_id].item())
                             if magnitude_id is not None else 0.0)
                if signed and signs[i] == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation,
                                fill=fill)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment(Module):
    r"""RandAugment (Cubuk et al., "RandAugment: Practical automated data augmentation with a
    reduced search space"): ``num_ops`` operations drawn uniformly, all at bin ``magnitude``
    of ``num_magnitude_bins``."""

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST, fill=None) -> None:
        super().__init__()
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int, image_size) -> dict:
        return {
            "Identity": (_scalar(0.0), False),
            "ShearX": (_linspace(0.0, 0.3, num_bins), True),
            "ShearY": (_linspace(0.0, 0.3, num_bins), True),
            "TranslateX": (_linspace(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
            "TranslateY": (_linspace(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
            "Rotate": (_linspace(0.0, 30.0, num_bins), True),
            "Brightness": (_linspace(0.0, 0.9, num_bins), True),
            "Color": (_linspace(0.0, 0.9, num_bins), True),
            "Contrast": (_linspace(0.0, 0.9, num_bins), True),
            "Sharpness": (_linspace(0.0, 0.9, num_bins), True),
            "Posterize": (_posterize_bins(8, num_bins, 4), False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (_scalar(0.0), False),
            "Equalize": (_scalar(0.0), False),
        }

    def forward(self, img):
        torch = _ember()
        fill = self.fill
        channels, height, width = F.get_dimensions(img)
        if isinstance(img, Tensor):
            fill = _tensor_fill(fill, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        for _ in range(self.num_ops):
            op_index = int(torch.randint(len(op_meta), (1,)).item())
            op_name = list(op_meta.keys())[op_index]
            magnitudes, signed = op_meta[op_name]
            magnitude = float(magnitudes[self.magnitude].item()) if magnitudes.ndim > 0 else 0.0
            if signed and torch.randint(2, (1,)):
                magnitude *= -1.0
            img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}"
                f", num_magnitude_bins={self.num_magnitude_bins}"
                f", interpolation={self.interpolation}, fill={self.fill})")


class TrivialAugmentWide(Module):
    r"""TrivialAugment Wide (Müller and Hutter, "TrivialAugment: Tuning-free Yet
    State-of-the-Art Data Augmentation"): one operation at a random magnitude bin."""

    def __init__(self, num_magnitude_bins: int = 31,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST, fill=None) -> None:
        super().__init__()
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int) -> dict:
        return {
            "Identity": (_scalar(0.0), False),
            "ShearX": (_linspace(0.0, 0.99, num_bins), True),
            "ShearY": (_linspace(0.0, 0.99, num_bins), True),
            "TranslateX": (_linspace(0.0, 32.0, num_bins), True),
            "TranslateY": (_linspace(0.0, 32.0, num_bins), True),
            "Rotate": (_linspace(0.0, 135.0, num_bins), True),
            "Brightness": (_linspace(0.0, 0.99, num_bins), True),
            "Color": (_linspace(0.0, 0.99, num_bins), True),
            "Contrast": (_linspace(0.0, 0.99, num_bins), True),
            "Sharpness": (_linspace(0.0, 0.99, num_bins), True),
            "Posterize": (_posterize_bins(8, num_bins, 6), False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (_scalar(0.0), False),
            "Equalize": (_scalar(0.0), False),
        }

    def forward(self, img):
        torch = _ember()
        fill = self.fill
        channels, height, width = F.get_dimensions(img)
        if isinstance(img, Tensor):
            fill = _tensor_fill(fill, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_index = int(torch.randint(len(op_meta), (1,)).item())
        op_name = list(op_meta.keys())[op_index]
        magnitudes, signed = op_meta[op_name]
        magnitude = (float(magnitudes[torch.randint(len(magnitudes), (1,),
                                                    dtype=torch.long)].item())
                     if magnitudes.ndim > 0 else 0.0)
        if signed and torch.randint(2, (1,)):
            magnitude *= -1.0
        return _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}"
                f", interpolation={self.interpolation}, fill={self.fill})")


def augmix_weights(sample_dirichlet, alpha, mixture_width, batch_size, device):
    """AugMix's draws: the Beta weights of the original and augmented images, as a
    two-parameter Dirichlet (column 0: the original's weight), then the chains' mixing weights
    scaled by the augmented share, in torchvision's order."""
    torch = _ember()
    m = sample_dirichlet(torch.tensor([alpha, alpha], device=device).expand(batch_size, -1))
    combined = sample_dirichlet(torch.tensor([alpha] * mixture_width, device=device).expand(
        batch_size, -1)) * m[:, 1].reshape([batch_size, -1])
    return m, combined


class AugMix(Module):
    r"""AugMix (Hendrycks et al., "AugMix: A Simple Data Processing Method to Improve
    Robustness and Uncertainty"): ``mixture_width`` chains of ``chain_depth`` operations
    (1 to 3 at random when negative), mixed with Dirichlet weights and blended with the
    original by a Beta weight.  PIL images are mixed as uint8 tensors and converted back."""

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True,
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 fill=None) -> None:
        super().__init__()
        self._PARAMETER_MAX = 10
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got "
                             f"{severity} instead.")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int, image_size) -> dict:
        s = {
            "ShearX": (_linspace(0.0, 0.3, num_bins), True),
            "ShearY": (_linspace(0.0, 0.3, num_bins), True),
            "TranslateX": (_linspace(0.0, image_size[1] / 3.0, num_bins), True),
            "TranslateY": (_linspace(0.0, image_size[0] / 3.0, num_bins), True),
            "Rotate": (_linspace(0.0, 30.0, num_bins), True),
            "Posterize": (_posterize_bins(4, num_bins, 4), False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (_scalar(0.0), False),
            "Equalize": (_scalar(0.0), False),
        }
        if self.all_ops:
            s.update({
                "Brightness": (_linspace(0.0, 0.9, num_bins), True),
                "Color": (_linspace(0.0, 0.9, num_bins), True),
                "Contrast": (_linspace(0.0, 0.9, num_bins), True),
                "Sharpness": (_linspace(0.0, 0.9, num_bins), True),
            })
        return s

    def _pil_to_tensor(self, img) -> Tensor:
        return F.pil_to_tensor(img)

    def _tensor_to_pil(self, img: Tensor):
        return F.to_pil_image(img)

    def _sample_dirichlet(self, params: Tensor) -> Tensor:
        # A method of its own so that tests can replace it (as torchvision's tests do).
        return _ember()._sample_dirichlet(params)

    def forward(self, orig_img):
        torch = _ember()
        fill = self.fill
        channels, height, width = F.get_dimensions(orig_img)
        if isinstance(orig_img, Tensor):
            img = orig_img
            fill = _tensor_fill(fill, channels)
        else:
            img = self._pil_to_tensor(orig_img)
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        orig_dims = list(img.shape)
        batch = img.view([1] * max(4 - img.ndim, 0) + orig_dims)
        batch_dims = [batch.size(0)] + [1] * (batch.ndim - 1)
        m, combined_weights = augmix_weights(self._sample_dirichlet, self.alpha,
                                             self.mixture_width, batch_dims[0], batch.device)
        mix = m[:, 0].view(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = (self.chain_depth if self.chain_depth > 0
                     else int(torch.randint(low=1, high=4, size=(1,)).item()))
            for _ in range(depth):
                op_index = int(torch.randint(len(op_meta), (1,)).item())
                op_name = list(op_meta.keys())[op_index]
                magnitudes, signed = op_meta[op_name]
                magnitude = (float(magnitudes[torch.randint(self.severity, (1,),
                                                            dtype=torch.long)].item())
                             if magnitudes.ndim > 0 else 0.0)
                if signed and torch.randint(2, (1,)):
                    magnitude *= -1.0
                aug = _apply_op(aug, op_name, magnitude, interpolation=self.interpolation,
                                fill=fill)
            mix.add_(combined_weights[:, i].view(batch_dims) * aug)
        mix = mix.view(orig_dims).to(dtype=img.dtype)
        if not isinstance(orig_img, Tensor):
            return self._tensor_to_pil(mix)
        return mix

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(severity={self.severity}"
                f", mixture_width={self.mixture_width}, chain_depth={self.chain_depth}"
                f", alpha={self.alpha}, all_ops={self.all_ops}"
                f", interpolation={self.interpolation}, fill={self.fill})")
