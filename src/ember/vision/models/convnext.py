"""ConvNeXt (Liu et al., 2022) Tiny, Small, Base and Large, torchvision's way.

``features``: a 4x4/4 patchify stem (convolution and ``LayerNorm2d``), then stages of
``CNBlock`` (depthwise 7x7, channels-last LayerNorm, Linear 4x expansion, GELU, Linear back,
times a learnt per-channel ``layer_scale``, with stochastic depth on the residual), each but
the last followed by a downsampling ``LayerNorm2d`` + 2x2/2 convolution; then average
pooling and ``classifier`` (LayerNorm2d, Flatten, Linear).  Every convolution and Linear
is truncated normal (std 0.02) with zero bias.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, Callable

import ember

from ... import Tensor, nn
from ...nn import functional as F
from ..ops.misc import Conv2dNormActivation, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import Weights, WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights, _load

__all__ = ["ConvNeXt", "ConvNeXt_Tiny_Weights", "ConvNeXt_Small_Weights",
           "ConvNeXt_Base_Weights", "ConvNeXt_Large_Weights", "convnext_tiny", "convnext_small",
           "convnext_base", "convnext_large"]


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an (N, C, H, W) tensor."""

    def forward(self, x):
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias,
                         self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """``input + drop_path(layer_scale * block(input))``; ``block`` works channels-last
    between its two ``Permute`` s."""

    def __init__(self, dim, layer_scale: float, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            norm_layer(dim),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True),
            Permute([0, 3, 1, 2]))
        self.layer_scale = nn.Parameter(ember.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input):
        result = self.stochastic_depth(self.layer_scale * self.block(input))
        result += input
        return result


class CNBlockConfig:
    """One stage: ``num_layers`` blocks of ``input_channels``, then a downsampling to
    ``out_channels`` (None: no downsampling, the last stage)."""

    def __init__(self, input_channels: int, out_channels: int | None, num_layers: int) -> None:
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(input_channels={self.input_channels}, "
                f"out_channels={self.out_channels}, num_layers={self.num_layers})")


class ConvNeXt(nn.Module):
    """ConvNeXt from stage configs; the stochastic-depth probability grows linearly from 0
    (first block) to ``stochastic_depth_prob`` (last block)."""

    def __init__(self, block_setting: list[CNBlockConfig], stochastic_depth_prob: float = 0.0,
                 layer_scale: float = 1e-6, num_classes: int = 1000,
                 block: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None, **kwargs: Any) -> None:
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not (isinstance(block_setting, Sequence)
                and all(isinstance(s, CNBlockConfig) for s in block_setting)):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        if block is None:
            block = CNBlock
        if norm_layer is None:
            norm_layer = partial(LayerNorm2d, eps=1e-6)
        # NOTE: as in torchvision, norm_layer reaches the stem, the downsamplings and the
        # classifier, not the blocks (they keep their own LayerNorm).
        layers: list[nn.Module] = [Conv2dNormActivation(
            3, block_setting[0].input_channels, kernel_size=4, stride=4, padding=0,
            norm_layer=norm_layer, activation_layer=None, bias=True)]
        total_blocks = sum(cnf.num_layers for cnf in block_setting)
        block_id = 0
        for cnf in block_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                sd_prob = stochastic_depth_prob * block_id / (total_blocks - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(nn.Sequential(
                    norm_layer(cnf.input_channels),
                    nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last = block_setting[-1]
        last_channels = last.out_channels if last.out_channels is not None else \
            last.input_channels
        self.classifier = nn.Sequential(norm_layer(last_channels), nn.Flatten(1),
                                        nn.Linear(last_channels, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def _forward_impl(self, x):
        return self.classifier(self.avgpool(self.features(x)))

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _convnext(block_setting, stochastic_depth_prob: float, weights, progress: bool,
              **kwargs: Any) -> ConvNeXt:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = ConvNeXt(block_setting, stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    return _load(model, weights, progress)


def _weights(file: str, num_params: int, acc1: float, acc5: float, ops: float,
             file_size: float, resize: int) -> Weights:
    return _imagenet_weights(
        file, num_params, acc1, acc5, ops, file_size, min_size=(32, 32),
        recipe="https://github.com/pytorch/vision/tree/main/references/classification#convnext",
        docs="Trained with a variant of TorchVision's newer recipe, improving on the paper's "
             "results.", crop_size=224, resize_size=resize)


class ConvNeXt_Tiny_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("convnext_tiny-983f1562.pth", 28589128, 82.520, 96.146, 4.456,
                             109.119, 236)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("convnext_small-0c510722.pth", 50223688, 83.616, 96.650, 8.684,
                             191.703, 230)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Base_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("convnext_base-6075fbad.pth", 88591464, 84.062, 96.870, 15.355,
                             338.064, 232)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Large_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("convnext_large-ea097f82.pth", 197767336, 84.414, 96.976, 34.361,
                             754.537, 232)
    DEFAULT = IMAGENET1K_V1


def _builder(arch: str, weights_enum, widths: tuple[int, int, int, int], depth3: int,
             sd_prob: float):
    @handle_legacy_interface(weights_enum.IMAGENET1K_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> ConvNeXt:
        weights = weights_enum.verify(weights)
        w = widths
        setting = [CNBlockConfig(w[0], w[1], 3), CNBlockConfig(w[1], w[2], 3),
                   CNBlockConfig(w[2], w[3], depth3), CNBlockConfig(w[3], None, 3)]
        return _convnext(setting, kwargs.pop("stochastic_depth_prob", sd_prob), weights,
                         progress, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = (f"{arch} from `A ConvNet for the 2020s <https://arxiv.org/abs/2201.03545>`_."
                     f"\n\n    ``weights``: ``{weights_enum.__name__}`` member or name, or None; "
                     f"``stochastic_depth_prob`` ({sd_prob}) and other keywords go to "
                     ":class:`ConvNeXt`.")
    return build


convnext_tiny = _builder("convnext_tiny", ConvNeXt_Tiny_Weights, (96, 192, 384, 768), 9, 0.1)
convnext_small = _builder("convnext_small", ConvNeXt_Small_Weights, (96, 192, 384, 768), 27,
                          0.4)
convnext_base = _builder("convnext_base", ConvNeXt_Base_Weights, (128, 256, 512, 1024), 27, 0.5)
convnext_large = _builder("convnext_large", ConvNeXt_Large_Weights, (192, 384, 768, 1536), 27,
                          0.5)
