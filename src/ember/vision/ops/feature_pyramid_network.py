"""Feature Pyramid Network (Lin et al., 2017) with torchvision's module names.

``FeaturePyramidNetwork`` takes an ordered dict of feature maps, finest first, and returns
one of the same keys whose maps all have ``out_channels`` channels: each input goes through
a 1x1 ``inner_blocks[i]``, the coarser result is upsampled (nearest) and added to it, and a
3x3 ``layer_blocks[i]`` smooths the sum.  An ``ExtraFPNBlock`` may add more levels:
``LastLevelMaxPool`` (a stride-2 subsample named ``"pool"``, Faster R-CNN) or
``LastLevelP6P7`` (two stride-2 convs, RetinaNet).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from ... import nn
from ...nn import functional as F
from .misc import Conv2dNormActivation

__all__ = ["ExtraFPNBlock", "FeaturePyramidNetwork", "LastLevelMaxPool", "LastLevelP6P7"]


class ExtraFPNBlock(nn.Module):
    """Base of the blocks that add levels after the pyramid: ``forward(results, x, names)``
    gets the FPN outputs, the original inputs and their names and returns the extended
    ``(results, names)``."""

    def forward(self, results, x, names):
        pass


class FeaturePyramidNetwork(nn.Module):
    """``in_channels_list`` gives the channels of each input map (finest first); every output
    has ``out_channels``.  ``norm_layer`` (None: none) goes after each convolution."""

    _version = 2

    def __init__(self, in_channels_list: list[int], out_channels: int,
                 extra_blocks: ExtraFPNBlock | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self.inner_blocks = nn.ModuleList()
        self.layer_blocks = nn.ModuleList()
        for in_channels in in_channels_list:
            if in_channels == 0:
                raise ValueError("in_channels=0 is currently not supported")
            self.inner_blocks.append(Conv2dNormActivation(
                in_channels, out_channels, kernel_size=1, padding=0, norm_layer=norm_layer,
                activation_layer=None))
            self.layer_blocks.append(Conv2dNormActivation(
                out_channels, out_channels, kernel_size=3, norm_layer=norm_layer,
                activation_layer=None))
        # every convolution is re-drawn here, in module order, after all were built
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise TypeError(f"extra_blocks should be of type ExtraFPNBlock not "
                            f"{type(extra_blocks)}")
        self.extra_blocks = extra_blocks

    def _upgrade_state_dict(self, state_dict, prefix, version):
        # checkpoints before version 2 held bare convolutions: "inner_blocks.0.weight"
        if version is None or version < 2:
            for block in ("inner_blocks", "layer_blocks"):
                for i in range(len(self.inner_blocks)):
                    for kind in ("weight", "bias"):
                        old = f"{prefix}{block}.{i}.{kind}"
                        if old in state_dict:
                            state_dict[f"{prefix}{block}.{i}.0.{kind}"] = state_dict.pop(old)
        return super()._upgrade_state_dict(state_dict, prefix, version)

    def get_result_from_inner_blocks(self, x, idx: int):
        return self.inner_blocks[idx](x)

    def get_result_from_layer_blocks(self, x, idx: int):
        return self.layer_blocks[idx](x)

    def forward(self, x):
        names = list(x.keys())
        feats = list(x.values())
        last_inner = self.inner_blocks[-1](feats[-1])
        results = [self.layer_blocks[-1](last_inner)]
        for idx in range(len(feats) - 2, -1, -1):
            lateral = self.inner_blocks[idx](feats[idx])
            top_down = F.interpolate(last_inner, size=tuple(lateral.shape[-2:]), mode="nearest")
            last_inner = lateral + top_down
            results.insert(0, self.layer_blocks[idx](last_inner))
        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, feats, names)
        return OrderedDict(zip(names, results))


class LastLevelMaxPool(ExtraFPNBlock):
    """Adds ``"pool"``: the last output subsampled by 2 (a 1x1 max-pool with stride 2)."""

    def forward(self, x, y, names):
        names.append("pool")
        x.append(F.max_pool2d(x[-1], kernel_size=1, stride=2, padding=0))
        return x, names


class LastLevelP6P7(ExtraFPNBlock):
    """Adds ``"p6"`` (3x3 stride-2 conv of P5, or of C5 when the channels differ) and
    ``"p7"`` (3x3 stride-2 conv of ReLU(P6))."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for module in (self.p6, self.p7):
            nn.init.kaiming_uniform_(module.weight, a=1)
            nn.init.constant_(module.bias, 0)
        self.use_P5 = in_channels == out_channels

    def forward(self, p, c, names):
        p6 = self.p6(p[-1] if self.use_P5 else c[-1])
        p7 = self.p7(F.relu(p6))
        p.extend([p6, p7])
        names.extend(["p6", "p7"])
        return p, names
