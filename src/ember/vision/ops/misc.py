"""Building blocks the classification models share, with torchvision's names and layouts.

``Conv2dNormActivation`` is a ``Sequential`` of convolution, optional norm and optional
activation (so its children are ``0``, ``1``, ``2`` in a state dict, as torchvision's);
``SqueezeExcitation`` rescales channels by a gate computed from their spatial mean;
``MLP`` stacks Linear/norm/activation/Dropout; ``FrozenBatchNorm2d`` is a batch norm
whose statistics and affine terms are buffers, never trained.

>>> block = Conv2dNormActivation(3, 16, stride=2)   # doctest: +SKIP
>>> block(ember.randn(1, 3, 32, 32)).shape          # doctest: +SKIP
torch.Size([1, 16, 16, 16])
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import ember

from ... import nn
from ..._warnings import warn as _warn

__all__ = ["Conv2dNormActivation", "Conv3dNormActivation", "ConvNormActivation",
           "FrozenBatchNorm2d", "MLP", "Permute", "SqueezeExcitation", "interpolate"]

interpolate = nn.functional.interpolate


class FrozenBatchNorm2d(nn.Module):
    """``BatchNorm2d`` with fixed statistics and affine terms, all four held as buffers.

    Computes ``x * scale + shift`` with ``scale = weight / sqrt(running_var + eps)`` and
    ``shift = bias - running_mean * scale``, in training and in eval mode alike.  A
    checkpoint's ``num_batches_tracked`` entry is ignored when loading.
    """

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", ember.ones(num_features))
        self.register_buffer("bias", ember.zeros(num_features))
        self.register_buffer("running_mean", ember.zeros(num_features))
        self.register_buffer("running_var", ember.ones(num_features))

    def _upgrade_state_dict(self, state_dict, prefix, version):
        # NOTE: checkpoints of a trained BatchNorm2d carry num_batches_tracked; torchvision
        # drops it here so they load into the frozen layer with strict=True.
        state_dict.pop(prefix + "num_batches_tracked", None)
        return super()._upgrade_state_dict(state_dict, prefix, version)

    def forward(self, x):
        w = self.weight.reshape(1, -1, 1, 1)
        b = self.bias.reshape(1, -1, 1, 1)
        rv = self.running_var.reshape(1, -1, 1, 1)
        rm = self.running_mean.reshape(1, -1, 1, 1)
        scale = w * (rv + self.eps).rsqrt()
        shift = b - rm * scale
        return x * scale + shift

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.weight.shape[0]}, eps={self.eps})"


def _ntuple(x, n: int) -> tuple:
    return tuple(x) if isinstance(x, Sequence) else (x,) * n


class ConvNormActivation(nn.Sequential):
    """Convolution (``conv_layer``), then ``norm_layer`` and ``activation_layer`` if not None.

    ``padding=None`` keeps the spatial size at stride 1: ``(kernel_size - 1) // 2 * dilation``
    per dimension.  ``bias=None`` gives the convolution a bias only when there is no norm.
    ``inplace`` goes to the activation (None: the activation's own default).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1,
                 padding=None, groups: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
                 dilation=1, inplace: bool | None = True, bias: bool | None = None,
                 conv_layer: Callable[..., nn.Module] = nn.Conv2d) -> None:
        if padding is None:
            if isinstance(kernel_size, int) and isinstance(dilation, int):
                padding = (kernel_size - 1) // 2 * dilation
            else:
                n = len(kernel_size) if isinstance(kernel_size, Sequence) else len(dilation)
                kernel_size = _ntuple(kernel_size, n)
                dilation = _ntuple(dilation, n)
                padding = tuple((k - 1) // 2 * d for k, d in zip(kernel_size, dilation))
        if bias is None:
            bias = norm_layer is None
        layers = [conv_layer(in_channels, out_channels, kernel_size, stride, padding,
                             dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {"inplace": inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels
        if type(self) is ConvNormActivation:
            _warn("Don't use ConvNormActivation directly, please use Conv2dNormActivation and "
                  "Conv3dNormActivation instead.")


class Conv2dNormActivation(ConvNormActivation):
    """``Conv2d`` + norm (``BatchNorm2d`` by default) + activation (``ReLU`` by default)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1,
                 padding=None, groups: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
                 dilation=1, inplace: bool | None = True, bias: bool | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups,
                         norm_layer, activation_layer, dilation, inplace, bias, nn.Conv2d)


class Conv3dNormActivation(ConvNormActivation):
    """``Conv3d`` + norm (``BatchNorm3d`` by default) + activation (``ReLU`` by default)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1,
                 padding=None, groups: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm3d,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
                 dilation=1, inplace: bool | None = True, bias: bool | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups,
                         norm_layer, activation_layer, dilation, inplace, bias, nn.Conv3d)


class SqueezeExcitation(nn.Module):
    """Squeeze-and-Excitation (Hu et al., 2017): ``x * sigma(fc2(delta(fc1(mean_hw(x)))))``.

    ``fc1``/``fc2`` are 1x1 convolutions (``input_channels -> squeeze_channels -> input``);
    ``activation`` is delta (ReLU by default), ``scale_activation`` sigma (Sigmoid).
    """

    def __init__(self, input_channels: int, squeeze_channels: int,
                 activation: Callable[..., nn.Module] = nn.ReLU,
                 scale_activation: Callable[..., nn.Module] = nn.Sigmoid) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, x):
        s = self.activation(self.fc1(self.avgpool(x)))
        return self.scale_activation(self.fc2(s))

    def forward(self, x):
        return self._scale(x) * x


class MLP(nn.Sequential):
    """Linear layers to ``hidden_channels[i]`` in turn; between them norm, activation, Dropout.

    Each hidden layer is ``Linear [norm] activation Dropout``; the last is ``Linear Dropout``.
    ``inplace`` (None: each layer's default) goes to the activation and the Dropouts.
    """

    def __init__(self, in_channels: int, hidden_channels: list[int],
                 norm_layer: Callable[..., nn.Module] | None = None,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
                 inplace: bool | None = None, bias: bool = True, dropout: float = 0.0):
        params = {} if inplace is None else {"inplace": inplace}
        layers: list[nn.Module] = []
        width = in_channels
        for hidden in hidden_channels[:-1]:
            layers.append(nn.Linear(width, hidden, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden))
            layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            width = hidden
        layers.append(nn.Linear(width, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class Permute(nn.Module):
    """``x.permute(dims)`` as a module (used between channels-first and channels-last)."""

    def __init__(self, dims: list[int]):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return ember.permute(x, self.dims)
