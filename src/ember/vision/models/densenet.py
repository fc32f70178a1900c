"""DenseNet-121/161/169/201 (Huang et al., 2016) with torchvision's names, init and weights.

``features``: ``conv0``/``norm0``/``relu0``/``pool0``, then ``denseblock1..4`` (each layer
``norm1 relu1 conv1`` (1x1 bottleneck) ``norm2 relu2 conv2`` (3x3) whose output is
concatenated to its inputs) with ``transition1..3`` (norm, ReLU, 1x1 conv halving the
channels, 2x2 average pool) between them, and ``norm5``; then ReLU, global average
pooling and ``classifier``.  Old checkpoints with ``norm.1``-style keys are renamed on load.
"""
from __future__ import annotations

import re
from collections import OrderedDict

import ember

from ... import Tensor, nn
from ._api import WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights

__all__ = ["DenseNet", "DenseNet121_Weights", "DenseNet161_Weights", "DenseNet169_Weights",
           "DenseNet201_Weights", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    """BN-ReLU-Conv1x1 to ``bn_size * growth_rate``, BN-ReLU-Conv3x3 to ``growth_rate``."""

    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int,
                 drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs):
        return self.conv1(self.relu1(self.norm1(ember.cat(list(inputs), 1))))

    def any_requires_grad(self, inputs) -> bool:
        return any(t.requires_grad for t in inputs)

    def call_checkpoint_bottleneck(self, inputs):
        from ...utils.checkpoint import checkpoint

        return checkpoint(lambda *xs: self.bn_function(xs), *inputs, use_reentrant=False)

    def forward(self, input):
        prev = [input] if isinstance(input, ember.Tensor) else input
        if self.memory_efficient and self.any_requires_grad(prev):
            bottleneck = self.call_checkpoint_bottleneck(prev)
        else:
            bottleneck = self.bn_function(prev)
        new = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            new = nn.functional.dropout(new, p=self.drop_rate, training=self.training)
        return new


class _DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers ``denselayer1..``; each sees all earlier outputs."""

    _version = 2

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int,
                 growth_rate: int, drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(
                num_input_features + i * growth_rate, growth_rate=growth_rate, bn_size=bn_size,
                drop_rate=drop_rate, memory_efficient=memory_efficient))

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return ember.cat(features, 1)


class _Transition(nn.Sequential):
    """BN, ReLU, 1x1 conv to ``num_output_features``, 2x2 average pool."""

    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC: ``growth_rate`` channels per layer, ``block_config`` layers per block,
    a ``num_init_features``-channel stem, bottlenecks of ``bn_size * growth_rate``.

    ``memory_efficient`` recomputes each bottleneck in backward instead of storing it.
    Convolutions are Kaiming-normal (fan-in), norms 1 and 0, the classifier's bias 0 (its
    weight keeps Linear's default init).
    """

    def __init__(self, growth_rate: int = 32, block_config: tuple[int, ...] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0,
                 num_classes: int = 1000, memory_efficient: bool = False) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(
                num_layers=num_layers, num_input_features=num_features, bn_size=bn_size,
                growth_rate=growth_rate, drop_rate=drop_rate,
                memory_efficient=memory_efficient))
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        out = nn.functional.relu(self.features(x), inplace=True)
        out = ember.flatten(nn.functional.adaptive_avg_pool2d(out, (1, 1)), 1)
        return self.classifier(out)


# NOTE: the first DenseNet checkpoints named layers "norm.1", "conv.2"...; the published
# files still do, so their keys are renamed to "norm1", "conv2" before loading.
_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\."
                      r"(?:weight|bias|running_mean|running_var))$")


def _load_state_dict(model: nn.Module, weights, progress: bool) -> None:
    state_dict = weights.get_state_dict(progress=progress, check_hash=True)
    for key in list(state_dict):
        m = _OLD_KEY.match(key)
        if m:
            state_dict[m.group(1) + m.group(2)] = state_dict.pop(key)
    model.load_state_dict(state_dict)


def _densenet(growth_rate: int, block_config, num_init_features: int, weights, progress: bool,
              **kwargs) -> DenseNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    if weights is not None:
        _load_state_dict(model, weights, progress)
    return model


def _w(file: str, num_params: int, acc1: float, acc5: float, ops: float, size: float):
    return _imagenet_weights(file, num_params, acc1, acc5, ops, size,
                             recipe="https://github.com/pytorch/vision/pull/116",
                             min_size=(29, 29), crop_size=224,
                             docs="Ported from LuaTorch's DenseNet release.")


class DenseNet121_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("densenet121-a639ec97.pth", 7978856, 74.434, 91.972, 2.834, 30.845)
    DEFAULT = IMAGENET1K_V1


class DenseNet161_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("densenet161-8d451a50.pth", 28681000, 77.138, 93.560, 7.728, 110.369)
    DEFAULT = IMAGENET1K_V1


class DenseNet169_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("densenet169-b2777c0a.pth", 14149480, 75.600, 92.806, 3.36, 54.708)
    DEFAULT = IMAGENET1K_V1


class DenseNet201_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("densenet201-c1103571.pth", 20013928, 76.896, 93.370, 4.291, 77.373)
    DEFAULT = IMAGENET1K_V1


def _builder(growth_rate: int, block_config, num_init: int, weights_enum, name: str):
    @handle_legacy_interface(weights_enum.IMAGENET1K_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> DenseNet:
        return _densenet(growth_rate, block_config, num_init, weights_enum.verify(weights),
                         progress, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"DenseNet-{name[8:]} from `Densely Connected Convolutional Networks "
                     "<https://arxiv.org/abs/1608.06993>`__.\n\n"
                     f"    ``weights``: ``{weights_enum.__name__}`` member or name, or None; "
                     "other keywords go to :class:`DenseNet`.")
    return build


densenet121 = _builder(32, (6, 12, 24, 16), 64, DenseNet121_Weights, "densenet121")
densenet161 = _builder(48, (6, 12, 36, 24), 96, DenseNet161_Weights, "densenet161")
densenet169 = _builder(32, (6, 12, 32, 32), 64, DenseNet169_Weights, "densenet169")
densenet201 = _builder(32, (6, 12, 48, 32), 64, DenseNet201_Weights, "densenet201")
