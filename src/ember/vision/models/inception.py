"""Inception v3 (Szegedy et al., 2015) with torchvision's names, init and weights.

A stem of ``BasicConv2d`` (conv without bias, batch norm eps=0.001, ReLU) and two max
pools, then the ``Mixed_*`` blocks: three ``InceptionA`` (35x35), one ``InceptionB``
(reduction to 17x17), four ``InceptionC`` (factorised 1x7/7x1 convolutions), one
``InceptionD`` (reduction to 8x8) and two ``InceptionE`` (split 1x3/3x1 branches); then
average pooling, dropout and ``fc``.  With ``aux_logits`` an auxiliary classifier
(``AuxLogits``) reads the 17x17 features in training mode and the model returns
``InceptionOutputs(logits, aux_logits)``.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any, Callable

import ember

from ... import Tensor, nn
from ..._warnings import warn as _warn
from ...nn import functional as F
from ._api import WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights

__all__ = ["Inception3", "InceptionOutputs", "_InceptionOutputs", "Inception_V3_Weights",
           "inception_v3"]

InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])
_InceptionOutputs = InceptionOutputs


class BasicConv2d(nn.Module):
    """Conv2d (no bias; ``kwargs`` give kernel, stride, padding), BatchNorm2d, ReLU."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs: Any) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


def _chain(x, *layers):
    for layer in layers:
        x = layer(x)
    return x


def _pool3(x):
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)


class InceptionA(nn.Module):
    """35x35 block: 1x1; 1x1 then 5x5; 1x1 then two 3x3; 3x3 average pool then 1x1."""

    def __init__(self, in_channels: int, pool_features: int,
                 conv_block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        self.branch1x1 = c(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = c(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = c(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = c(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = c(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = c(96, 96, kernel_size=3, padding=1)
        self.branch_pool = c(in_channels, pool_features, kernel_size=1)

    def _forward(self, x):
        return [self.branch1x1(x),
                _chain(x, self.branch5x5_1, self.branch5x5_2),
                _chain(x, self.branch3x3dbl_1, self.branch3x3dbl_2, self.branch3x3dbl_3),
                self.branch_pool(_pool3(x))]

    def forward(self, x):
        return ember.cat(self._forward(x), 1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17: strided 3x3; 1x1, 3x3, strided 3x3; strided max pool."""

    def __init__(self, in_channels: int,
                 conv_block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        self.branch3x3 = c(in_channels, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = c(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = c(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = c(96, 96, kernel_size=3, stride=2)

    def _forward(self, x):
        return [self.branch3x3(x),
                _chain(x, self.branch3x3dbl_1, self.branch3x3dbl_2, self.branch3x3dbl_3),
                F.max_pool2d(x, kernel_size=3, stride=2)]

    def forward(self, x):
        return ember.cat(self._forward(x), 1)


class InceptionC(nn.Module):
    """17x17 block whose 7x7 convolutions are factorised into 1x7 and 7x1 pairs."""

    def __init__(self, in_channels: int, channels_7x7: int,
                 conv_block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        c7 = channels_7x7
        row, col = {"kernel_size": (1, 7), "padding": (0, 3)}, \
            {"kernel_size": (7, 1), "padding": (3, 0)}
        self.branch1x1 = c(in_channels, 192, kernel_size=1)
        self.branch7x7_1 = c(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = c(c7, c7, **row)
        self.branch7x7_3 = c(c7, 192, **col)
        self.branch7x7dbl_1 = c(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = c(c7, c7, **col)
        self.branch7x7dbl_3 = c(c7, c7, **row)
        self.branch7x7dbl_4 = c(c7, c7, **col)
        self.branch7x7dbl_5 = c(c7, 192, **row)
        self.branch_pool = c(in_channels, 192, kernel_size=1)

    def _forward(self, x):
        return [self.branch1x1(x),
                _chain(x, self.branch7x7_1, self.branch7x7_2, self.branch7x7_3),
                _chain(x, self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                       self.branch7x7dbl_4, self.branch7x7dbl_5),
                self.branch_pool(_pool3(x))]

    def forward(self, x):
        return ember.cat(self._forward(x), 1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8: 1x1 then strided 3x3; 1x1, 1x7, 7x1, strided 3x3; max pool."""

    def __init__(self, in_channels: int,
                 conv_block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        self.branch3x3_1 = c(in_channels, 192, kernel_size=1)
        self.branch3x3_2 = c(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = c(in_channels, 192, kernel_size=1)
        self.branch7x7x3_2 = c(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = c(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = c(192, 192, kernel_size=3, stride=2)

    def _forward(self, x):
        return [_chain(x, self.branch3x3_1, self.branch3x3_2),
                _chain(x, self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3,
                       self.branch7x7x3_4),
                F.max_pool2d(x, kernel_size=3, stride=2)]

    def forward(self, x):
        return ember.cat(self._forward(x), 1)


class InceptionE(nn.Module):
    """8x8 block whose 3x3 branches end in parallel 1x3 and 3x1 convolutions."""

    def __init__(self, in_channels: int,
                 conv_block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        row, col = {"kernel_size": (1, 3), "padding": (0, 1)}, \
            {"kernel_size": (3, 1), "padding": (1, 0)}
        self.branch1x1 = c(in_channels, 320, kernel_size=1)
        self.branch3x3_1 = c(in_channels, 384, kernel_size=1)
        self.branch3x3_2a = c(384, 384, **row)
        self.branch3x3_2b = c(384, 384, **col)
        self.branch3x3dbl_1 = c(in_channels, 448, kernel_size=1)
        self.branch3x3dbl_2 = c(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = c(384, 384, **row)
        self.branch3x3dbl_3b = c(384, 384, **col)
        self.branch_pool = c(in_channels, 192, kernel_size=1)

    def _forward(self, x):
        # (the branches in torchvision's order: FX node names follow it)
        branch1x1 = self.branch1x1(x)
        a = self.branch3x3_1(x)
        branch3x3 = ember.cat([self.branch3x3_2a(a), self.branch3x3_2b(a)], 1)
        b = _chain(x, self.branch3x3dbl_1, self.branch3x3dbl_2)
        branch3x3dbl = ember.cat([self.branch3x3dbl_3a(b), self.branch3x3dbl_3b(b)], 1)
        return [branch1x1, branch3x3, branch3x3dbl, self.branch_pool(_pool3(x))]

    def forward(self, x):
        return ember.cat(self._forward(x), 1)


class InceptionAux(nn.Module):
    """Auxiliary head on the 17x17 features: 5x5/3 average pool, 1x1 conv to 128, 5x5 conv
    to 768, global average and ``fc``."""

    def __init__(self, in_channels: int, num_classes: int,
                 conv_block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        self.conv0 = c(in_channels, 128, kernel_size=1)
        self.conv1 = c(128, 768, kernel_size=5)
        # NOTE: torchvision tags these with a ``stddev`` for its init loop; the loop only
        # looks at Conv2d/Linear modules, so the tag on the BasicConv2d ``conv1`` is never
        # read (its conv gets the default 0.1) while ``fc``'s 0.001 is.
        self.conv1.stddev = 0.01
        self.fc = nn.Linear(768, num_classes)
        self.fc.stddev = 0.001

    def forward(self, x):
        x = self.conv1(self.conv0(F.avg_pool2d(x, kernel_size=5, stride=3)))
        return self.fc(F.adaptive_avg_pool2d(x, (1, 1)).flatten(1))


class Inception3(nn.Module):
    """Inception v3.  ``transform_input`` re-normalises ImageNet-normalised input to the
    ``(x - 0.5) / 0.5`` scale the ported weights expect; ``init_weights`` (None: True, with
    torchvision's FutureWarning) draws truncated-normal weights (std 0.1, or a module's
    ``stddev``) for convolutions and linears."""

    def __init__(self, num_classes: int = 1000, aux_logits: bool = True,
                 transform_input: bool = False,
                 inception_blocks: list[Callable[..., nn.Module]] | None = None,
                 init_weights: bool | None = None, dropout: float = 0.5) -> None:
        super().__init__()
        if inception_blocks is None:
            inception_blocks = [BasicConv2d, InceptionA, InceptionB, InceptionC, InceptionD,
                                InceptionE, InceptionAux]
        if init_weights is None:
            _warn("The default weight initialization of inception_v3 will be changed in future "
                  "releases of torchvision. If you wish to keep the old behavior (which leads "
                  "to long initialization times due to scipy/scipy#11299), please set "
                  "init_weights=True.", FutureWarning)
            init_weights = True
        if len(inception_blocks) != 7:
            raise ValueError("length of inception_blocks should be 7 instead of "
                             f"{len(inception_blocks)}")
        conv, block_a, block_b, block_c, block_d, block_e, aux = inception_blocks
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.Conv2d_1a_3x3 = conv(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = conv(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = conv(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = conv(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = conv(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = block_a(192, pool_features=32)
        self.Mixed_5c = block_a(256, pool_features=64)
        self.Mixed_5d = block_a(288, pool_features=64)
        self.Mixed_6a = block_b(288)
        self.Mixed_6b = block_c(768, channels_7x7=128)
        self.Mixed_6c = block_c(768, channels_7x7=160)
        self.Mixed_6d = block_c(768, channels_7x7=160)
        self.Mixed_6e = block_c(768, channels_7x7=192)
        self.AuxLogits = aux(768, num_classes) if aux_logits else None
        self.Mixed_7a = block_d(768)
        self.Mixed_7b = block_e(1280)
        self.Mixed_7c = block_e(2048)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(2048, num_classes)
        if init_weights:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    std = float(getattr(m, "stddev", 0.1))
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=std, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

    def _transform_input(self, x):
        if not self.transform_input:
            return x
        chans = [x[:, i].unsqueeze(1) * (s / 0.5) + (m - 0.5) / 0.5
                 for i, (m, s) in enumerate(((0.485, 0.229), (0.456, 0.224), (0.406, 0.225)))]
        return ember.cat(chans, 1)

    def _forward(self, x):
        x = _chain(x, self.Conv2d_1a_3x3, self.Conv2d_2a_3x3, self.Conv2d_2b_3x3, self.maxpool1,
                   self.Conv2d_3b_1x1, self.Conv2d_4a_3x3, self.maxpool2)
        x = _chain(x, self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b,
                   self.Mixed_6c, self.Mixed_6d, self.Mixed_6e)
        aux = self.AuxLogits(x) if self.AuxLogits is not None and self.training else None
        x = _chain(x, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c, self.avgpool, self.dropout)
        return self.fc(ember.flatten(x, 1)), aux

    def eager_outputs(self, x, aux):
        if self.training and self.aux_logits:
            return InceptionOutputs(x, aux)
        return x

    @_hinted
    def forward(self, x: Tensor) -> InceptionOutputs:
        x, aux = self._forward(self._transform_input(x))
        return self.eager_outputs(x, aux)


class Inception_V3_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights(
        "inception_v3_google-0cc3c7bd.pth", 27161264, 77.294, 93.450, 5.713, 103.903,
        recipe="https://github.com/pytorch/vision/tree/main/references/classification"
               "#inception-v3",
        min_size=(75, 75), docs="These weights are ported from the original paper.",
        crop_size=299, resize_size=342)
    DEFAULT = IMAGENET1K_V1


@handle_legacy_interface(Inception_V3_Weights.IMAGENET1K_V1)
def inception_v3(*, weights=None, progress: bool = True, **kwargs: Any) -> Inception3:
    """Inception v3 from `Rethinking the Inception Architecture for Computer Vision
    <http://arxiv.org/abs/1512.00567>`_; it expects N x 3 x 299 x 299 input.

    ``weights``: ``Inception_V3_Weights`` or None.  With weights, ``transform_input``
    defaults to True and the auxiliary head is dropped when ``aux_logits=False``.
    """
    weights = Inception_V3_Weights.verify(weights)
    original_aux_logits = kwargs.get("aux_logits", True)
    if weights is not None:
        if "transform_input" not in kwargs:
            _ovewrite_named_param(kwargs, "transform_input", True)
        _ovewrite_named_param(kwargs, "aux_logits", True)
        _ovewrite_named_param(kwargs, "init_weights", False)
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = Inception3(**kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
        if not original_aux_logits:
            model.aux_logits = False
            model.AuxLogits = None
    return model
