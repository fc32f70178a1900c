"""MNASNet B1 (Tan et al., 2018) at depth multipliers 0.5, 0.75, 1.0 and 1.3, torchvision's way.

``layers``: a 3x3/2 convolution, a depthwise-separable convolution, six stacks of inverted
residuals (1x1 expansion, depthwise 3x3 or 5x5, linear 1x1) and a 1x1 convolution to 1280
channels; the spatial mean then goes to ``classifier`` (Dropout, Linear).  Batch norms use
momentum 0.0003 (TensorFlow's 0.9997).  Convolutions are Kaiming-normal (fan-out, ReLU), the
Linear Kaiming-uniform (fan-out, sigmoid gain).
"""
from __future__ import annotations

from functools import partial
from typing import Any

from ... import Tensor, nn
from ..._warnings import warn as _warn
from ..transforms._presets import ImageClassification
from ._api import Weights, WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._meta import _IMAGENET_CATEGORIES
from ._utils import _URL, _hinted, _load

__all__ = ["MNASNet", "MNASNet0_5_Weights", "MNASNet0_75_Weights", "MNASNet1_0_Weights",
           "MNASNet1_3_Weights", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]

_BN_MOMENTUM = 1 - 0.9997  # PyTorch's momentum for TensorFlow's 0.9997


class _InvertedResidual(nn.Module):
    """Expand (1x1), depthwise (k x k), project (1x1, no activation); a residual when the
    shape is kept."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int,
                 expansion_factor: int, bn_momentum: float = 0.1) -> None:
        super().__init__()
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in [3, 5]:
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, mid_ch, kernel_size, padding=kernel_size // 2, stride=stride,
                      groups=mid_ch, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch, momentum=bn_momentum))

    def forward(self, input):
        if self.apply_residual:
            return self.layers(input) + input
        return self.layers(input)


def _stack(in_ch: int, out_ch: int, kernel_size: int, stride: int, exp_factor: int,
           repeats: int, bn_momentum: float) -> nn.Sequential:
    """``repeats`` inverted residuals; only the first changes the width and resolution."""
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    blocks = [_InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor,
                                bn_momentum=bn_momentum)]
    blocks += [_InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor,
                                 bn_momentum=bn_momentum) for _ in range(1, repeats)]
    return nn.Sequential(*blocks)


def _round_to_multiple_of(val: float, divisor: int, round_up_bias: float = 0.9) -> int:
    """``val`` rounded to a multiple of ``divisor``, up unless rounding down loses no more
    than ``1 - round_up_bias`` of it: (83, 8) -> 80, (84, 8) -> 88."""
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError("round_up_bias should be greater than 0.0 and smaller than 1.0 "
                         f"instead of {round_up_bias}")
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha: float) -> list[int]:
    """The eight stage widths at depth multiplier ``alpha``."""
    return [_round_to_multiple_of(d * alpha, 8) for d in (32, 16, 24, 40, 80, 96, 192, 320)]


def _stem(c0: int, c1: int) -> list[nn.Module]:
    """3x3/2 convolution to ``c0``, then a depthwise-separable convolution to ``c1``."""
    return [nn.Conv2d(3, c0, 3, padding=1, stride=2, bias=False),
            nn.BatchNorm2d(c0, momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(c0, c0, 3, padding=1, stride=1, groups=c0, bias=False),
            nn.BatchNorm2d(c0, momentum=_BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(c0, c1, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(c1, momentum=_BN_MOMENTUM)]


class MNASNet(nn.Module):
    """MNASNet B1 (https://arxiv.org/abs/1807.11626) with depth multiplier ``alpha``.

    Version 2 scales the stem's widths with ``alpha`` too; a version-1 checkpoint (fixed
    32/16-wide stem) rebuilds the stem as it was, with a warning.
    """

    _version = 2

    def __init__(self, alpha: float, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        d = _get_depths(alpha)
        m = _BN_MOMENTUM
        layers = _stem(d[0], d[1]) + [
            _stack(d[1], d[2], 3, 2, 3, 3, m),
            _stack(d[2], d[3], 5, 2, 3, 3, m),
            _stack(d[3], d[4], 5, 2, 6, 3, m),
            _stack(d[4], d[5], 3, 1, 6, 2, m),
            _stack(d[5], d[6], 5, 2, 6, 4, m),
            _stack(d[6], d[7], 3, 1, 6, 1, m),
            nn.Conv2d(d[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=m),
            nn.ReLU(inplace=True)]
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(1280, num_classes))
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
                if mod.bias is not None:
                    nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.BatchNorm2d):
                nn.init.ones_(mod.weight)
                nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.Linear):
                nn.init.kaiming_uniform_(mod.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(mod.bias)

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        x = self.layers(x).mean([2, 3])  # global average pooling
        return self.classifier(x)

    def _upgrade_state_dict(self, state_dict, prefix, version):
        # NOTE: as torchvision, a state dict without version metadata (a plain dict) is
        # refused.
        if version not in [1, 2]:
            raise ValueError(f"version should be set to 1 or 2 instead of {version}")
        if version == 1 and not self.alpha == 1.0:
            # version 1's stem was 32/16 wide whatever alpha: rebuild it so (new modules,
            # initialised as torchvision's are), and save as version 1 from now on
            stem = _stem(32, 16) + [_stack(16, _get_depths(self.alpha)[2], 3, 2, 3, 3,
                                           _BN_MOMENTUM)]
            for idx, layer in enumerate(stem):
                self.layers[idx] = layer
            self._version = 1
            _warn("A new version of MNASNet model has been implemented. Your checkpoint was "
                  "saved using the previous version. This checkpoint will load and work as "
                  "before, but you may want to upgrade by training a newer model or transfer "
                  "learning from an updated ImageNet checkpoint.", UserWarning)
        return super()._upgrade_state_dict(state_dict, prefix, version)


def _mnasnet(alpha: float, weights, progress: bool, **kwargs: Any) -> MNASNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return _load(MNASNet(alpha, **kwargs), weights, progress)


def _w(file: str, num_params: int, acc1: float, acc5: float, ops: float, file_size: float,
       new_recipe: bool) -> Weights:
    """``new_recipe``: retrained with TorchVision's newer recipe (resize 232)."""
    meta = {"min_size": (1, 1), "categories": _IMAGENET_CATEGORIES,
            "recipe": ("https://github.com/pytorch/vision/pull/6019" if new_recipe
                       else "https://github.com/1e100/mnasnet_trainer"),
            "num_params": num_params,
            "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}, "_ops": ops,
            "_file_size": file_size,
            "_docs": ("Trained from scratch with TorchVision's newer recipe." if new_recipe
                      else "Close to the paper's results.")}
    transforms = partial(ImageClassification, crop_size=224,
                         **({"resize_size": 232} if new_recipe else {}))
    return Weights(url=_URL + file, transforms=transforms, meta=meta)


class MNASNet0_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("mnasnet0.5_top1_67.823-3ffadce67e.pth", 2218512, 67.734, 87.490, 0.104,
                       8.591, False)
    DEFAULT = IMAGENET1K_V1


class MNASNet0_75_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("mnasnet0_75-7090bc5f.pth", 3170208, 71.180, 90.496, 0.215, 12.303, True)
    DEFAULT = IMAGENET1K_V1


class MNASNet1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("mnasnet1.0_top1_73.512-f206786ef8.pth", 4383312, 73.456, 91.510, 0.314,
                       16.915, False)
    DEFAULT = IMAGENET1K_V1


class MNASNet1_3_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("mnasnet1_3-a4c69d6f.pth", 6282256, 76.506, 93.522, 0.526, 24.246, True)
    DEFAULT = IMAGENET1K_V1


def _builder(arch: str, weights_enum, alpha: float):
    @handle_legacy_interface(weights_enum.IMAGENET1K_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> MNASNet:
        weights = weights_enum.verify(weights)
        return _mnasnet(alpha, weights, progress, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = (f"MNASNet with depth multiplier {alpha} from `MnasNet: Platform-Aware "
                     "Neural Architecture Search for Mobile <https://arxiv.org/abs/1807.11626>`_."
                     f"\n\n    ``weights``: ``{weights_enum.__name__}`` member or name, or None; "
                     "``num_classes`` and ``dropout`` go to :class:`MNASNet`.")
    return build


mnasnet0_5 = _builder("mnasnet0_5", MNASNet0_5_Weights, 0.5)
mnasnet0_75 = _builder("mnasnet0_75", MNASNet0_75_Weights, 0.75)
mnasnet1_0 = _builder("mnasnet1_0", MNASNet1_0_Weights, 1.0)
mnasnet1_3 = _builder("mnasnet1_3", MNASNet1_3_Weights, 1.3)
