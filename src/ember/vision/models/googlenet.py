"""GoogLeNet / Inception v1 (Szegedy et al., 2014) with torchvision's names, init and weights.

Every convolution is a ``BasicConv2d`` (conv without bias, batch norm with eps=0.001,
ReLU); ``inception3a..5b`` run four branches (1x1; 1x1 then 3x3; 1x1 then another 3x3,
torchvision's stand-in for the paper's 5x5; 3x3 max-pool then 1x1) and concatenate them.
With ``aux_logits`` two auxiliary classifiers (``aux1`` after 4a, ``aux2`` after 4d) run in
training mode, and the model returns ``GoogLeNetOutputs(logits, aux_logits2,
aux_logits1)``; otherwise the logits alone.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Callable

import ember

from ... import Tensor, nn
from ..._warnings import warn as _warn
from ._api import WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "GoogLeNet_Weights", "googlenet"]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
_GoogLeNetOutputs = GoogLeNetOutputs


class BasicConv2d(nn.Module):
    """Conv2d (no bias; ``kwargs`` give kernel, stride, padding), BatchNorm2d, ReLU."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return nn.functional.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    """Four parallel branches concatenated along the channels."""

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                 ch5x5: int, pool_proj: int,
                 conv_block: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(conv_block(in_channels, ch3x3red, kernel_size=1),
                                     conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1))
        # NOTE: torchvision's "5x5" branch uses a 3x3 kernel (kept for its checkpoints)
        self.branch3 = nn.Sequential(conv_block(in_channels, ch5x5red, kernel_size=1),
                                     conv_block(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            conv_block(in_channels, pool_proj, kernel_size=1))

    def _forward(self, x):
        return [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]

    def forward(self, x):
        return ember.cat(self._forward(x), 1)


class InceptionAux(nn.Module):
    """Auxiliary head: 4x4 average pool, 1x1 conv to 128, two linears with ReLU/Dropout."""

    def __init__(self, in_channels: int, num_classes: int,
                 conv_block: Callable[..., nn.Module] | None = None,
                 dropout: float = 0.7) -> None:
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.conv = conv_block(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = self.conv(nn.functional.adaptive_avg_pool2d(x, (4, 4))).flatten(1)
        x = self.dropout(nn.functional.relu(self.fc1(x), inplace=True))
        return self.fc2(x)


class GoogLeNet(nn.Module):
    """GoogLeNet; ``transform_input`` re-normalises ImageNet-normalised input to the
    ``(x - 0.5) / 0.5`` scale the ported weights expect.  ``init_weights`` (None: True,
    with torchvision's FutureWarning) draws truncated-normal (std 0.01) convs and linears."""

    __constants__ = ["aux_logits", "transform_input"]

    def __init__(self, num_classes: int = 1000, aux_logits: bool = True,
                 transform_input: bool = False, init_weights: bool | None = None,
                 blocks: list[Callable[..., nn.Module]] | None = None, dropout: float = 0.2,
                 dropout_aux: float = 0.7) -> None:
        super().__init__()
        if blocks is None:
            blocks = [BasicConv2d, Inception, InceptionAux]
        if init_weights is None:
            _warn("The default weight initialization of GoogleNet will be changed in future "
                  "releases of torchvision. If you wish to keep the old behavior (which leads "
                  "to long initialization times due to scipy/scipy#11299), please set "
                  "init_weights=True.", FutureWarning)
            init_weights = True
        if len(blocks) != 3:
            raise ValueError(f"blocks length should be 3 instead of {len(blocks)}")
        conv, inception, aux = blocks
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.conv1 = conv(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv(64, 64, kernel_size=1)
        self.conv3 = conv(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = inception(832, 384, 192, 384, 48, 128, 128)
        if aux_logits:
            self.aux1 = aux(512, num_classes, dropout=dropout_aux)
            self.aux2 = aux(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = None
            self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        if init_weights:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
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
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = ember.flatten(self.avgpool(self.inception5b(self.inception5a(x))), 1)
        return self.fc(self.dropout(x)), aux2, aux1

    def eager_outputs(self, x, aux2, aux1):
        if self.training and self.aux_logits:
            return _GoogLeNetOutputs(x, aux2, aux1)
        return x

    @_hinted
    def forward(self, x: Tensor) -> GoogLeNetOutputs:
        x, aux2, aux1 = self._forward(self._transform_input(x))
        return self.eager_outputs(x, aux2, aux1)


class GoogLeNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights(
        "googlenet-1378be20.pth", 6624904, 69.778, 89.530, 1.498, 49.731,
        recipe="https://github.com/pytorch/vision/tree/main/references/classification"
               "#googlenet",
        min_size=(15, 15), crop_size=224, docs="Ported from the original TensorFlow weights.")
    DEFAULT = IMAGENET1K_V1


@handle_legacy_interface(GoogLeNet_Weights.IMAGENET1K_V1)
def googlenet(*, weights=None, progress: bool = True, **kwargs) -> GoogLeNet:
    """GoogLeNet from `Going Deeper with Convolutions <http://arxiv.org/abs/1409.4842>`__.

    ``weights``: ``GoogLeNet_Weights`` or None.  With weights, ``transform_input`` defaults to
    True and the (untrained) auxiliary heads are dropped unless ``aux_logits=True``.
    """
    weights = GoogLeNet_Weights.verify(weights)
    original_aux_logits = kwargs.get("aux_logits", False)
    if weights is not None:
        if "transform_input" not in kwargs:
            _ovewrite_named_param(kwargs, "transform_input", True)
        _ovewrite_named_param(kwargs, "aux_logits", True)
        _ovewrite_named_param(kwargs, "init_weights", False)
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = GoogLeNet(**kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
        if not original_aux_logits:
            model.aux_logits = False
            model.aux1 = None
            model.aux2 = None
        else:
            _warn("auxiliary heads in the pretrained googlenet model are NOT pretrained, so make "
                  "sure to train them")
    return model
