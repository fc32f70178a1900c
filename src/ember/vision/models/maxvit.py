"""MaxViT (Tu et al., 2022), the Tiny variant, with torchvision's names, init and weights.

``stem``: a strided 3x3 conv-BN-GELU and a plain 3x3 conv.  ``blocks``: four
``MaxVitBlock`` s, each a list of ``MaxVitLayer`` s; a layer is an ``MBConv`` (pre-norm,
1x1 expand, depthwise 3x3 -- strided in a block's first layer --, squeeze-excitation with
SiLU, 1x1 project, plus a shortcut that pools and projects when the shape changes), then
attention within non-overlapping ``partition_size`` windows ("window") and across a
dilated grid of the same size ("grid").  Each attention layer is pre-LayerNorm multi-head
attention with a learnt relative position bias, and a pre-LayerNorm MLP, both residual
with stochastic depth.  ``classifier``: average pool, LayerNorm, Linear, Tanh, Linear.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial
from typing import Any, Callable

import numpy as np

import ember

from ... import Tensor, nn
from ...nn import functional as F
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ..transforms.functional import InterpolationMode
from ._api import WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights, _load

__all__ = ["MaxVit", "MaxVit_T_Weights", "maxvit_t"]


def _get_conv_output_shape(input_size, kernel_size: int, stride: int,
                           padding: int) -> tuple[int, int]:
    return tuple((s - kernel_size + 2 * padding) // stride + 1 for s in input_size[:2])


def _make_block_input_shapes(input_size, n_blocks: int) -> list[tuple[int, int]]:
    """The feature size each block receives: the stem and every block halve it (3x3/2)."""
    shapes, size = [], _get_conv_output_shape(input_size, 3, 2, 1)
    for _ in range(n_blocks):
        size = _get_conv_output_shape(size, 3, 2, 1)
        shapes.append(size)
    return shapes


def _get_relative_position_index(height: int, width: int):
    """For every pair (i, j) of positions in a height x width window, the row of the bias
    table holding their offset: ``(dy + height - 1) * (2 * width - 1) + dx + width - 1``."""
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    ys, xs = ys.reshape(-1), xs.reshape(-1)
    dy = ys[:, None] - ys[None, :] + height - 1
    dx = xs[:, None] - xs[None, :] + width - 1
    return ember.from_numpy((dy * (2 * width - 1) + dx).astype(np.int64))


class MBConv(nn.Module):
    """Mobile inverted bottleneck with squeeze-excitation; ``proj`` is the shortcut."""

    def __init__(self, in_channels: int, out_channels: int, expansion_ratio: float,
                 squeeze_ratio: float, stride: int, activation_layer: Callable[..., nn.Module],
                 norm_layer: Callable[..., nn.Module], p_stochastic_dropout: float = 0.0) -> None:
        super().__init__()
        if stride != 1 or in_channels != out_channels:
            proj: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size=1,
                                               stride=1, bias=True)]
            if stride == 2:
                proj.insert(0, nn.AvgPool2d(kernel_size=3, stride=stride, padding=1))
            self.proj = nn.Sequential(*proj)
        else:
            self.proj = nn.Identity()
        mid_channels = int(out_channels * expansion_ratio)
        sqz_channels = int(out_channels * squeeze_ratio)
        self.stochastic_depth = (StochasticDepth(p_stochastic_dropout, mode="row")
                                 if p_stochastic_dropout else nn.Identity())
        self.layers = nn.Sequential(OrderedDict([
            ("pre_norm", norm_layer(in_channels)),
            ("conv_a", Conv2dNormActivation(in_channels, mid_channels, kernel_size=1, stride=1,
                                            padding=0, activation_layer=activation_layer,
                                            norm_layer=norm_layer, inplace=None)),
            ("conv_b", Conv2dNormActivation(mid_channels, mid_channels, kernel_size=3,
                                            stride=stride, padding=1,
                                            activation_layer=activation_layer,
                                            norm_layer=norm_layer, groups=mid_channels,
                                            inplace=None)),
            ("squeeze_excitation", SqueezeExcitation(mid_channels, sqz_channels,
                                                     activation=nn.SiLU)),
            ("conv_c", nn.Conv2d(in_channels=mid_channels, out_channels=out_channels,
                                 kernel_size=1, bias=True))]))

    def forward(self, x):
        return self.proj(x) + self.stochastic_depth(self.layers(x))


class RelativePositionalMultiHeadAttention(nn.Module):
    """Multi-head self-attention over the P positions of each of G partitions (input
    [B, G, P, D]), with a learnt bias per head for every relative offset."""

    def __init__(self, feat_dim: int, head_dim: int, max_seq_len: int) -> None:
        super().__init__()
        if feat_dim % head_dim != 0:
            raise ValueError(f"feat_dim: {feat_dim} must be divisible by head_dim: {head_dim}")
        self.n_heads = feat_dim // head_dim
        self.head_dim = head_dim
        self.size = int(math.sqrt(max_seq_len))
        self.max_seq_len = max_seq_len
        self.to_qkv = nn.Linear(feat_dim, self.n_heads * self.head_dim * 3)
        # NOTE: torchvision scales by feat_dim ** -0.5, not head_dim ** -0.5; kept for its
        # checkpoints.
        self.scale_factor = feat_dim ** -0.5
        self.merge = nn.Linear(self.head_dim * self.n_heads, feat_dim)
        self.relative_position_bias_table = nn.Parameter(
            ember.empty(((2 * self.size - 1) * (2 * self.size - 1), self.n_heads),
                        dtype=ember.float32))
        self.register_buffer("relative_position_index",
                             _get_relative_position_index(self.size, self.size))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def get_relative_positional_bias(self):
        index = self.relative_position_index.view(-1)
        bias = self.relative_position_bias_table[index].view(self.max_seq_len,
                                                             self.max_seq_len, -1)
        return bias.permute(2, 0, 1).contiguous().unsqueeze(0)

    def forward(self, x):
        B, G, P, D = x.shape
        H, DH = self.n_heads, self.head_dim
        # op by op as torchvision (no loops over proxies), so fx tracing gives its node names
        q, k, v = ember.chunk(self.to_qkv(x), 3, dim=-1)
        q = q.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)
        k = k.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)
        v = v.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4)
        k = k * self.scale_factor
        attn = ember.einsum("B G H I D, B G H J D -> B G H I J", q, k)
        attn = F.softmax(attn + self.get_relative_positional_bias(), dim=-1)
        out = ember.einsum("B G H I J, B G H J D -> B G H I D", attn, v)
        out = out.permute(0, 1, 3, 2, 4).reshape(B, G, P, D)
        return self.merge(out)


class SwapAxes(nn.Module):
    """``x.swapaxes(a, b)`` as a module."""

    def __init__(self, a: int, b: int) -> None:
        super().__init__()
        self.a = a
        self.b = b

    def forward(self, x):
        return ember.swapaxes(x, self.a, self.b)


class WindowPartition(nn.Module):
    """[B, C, H, W] -> [B, (H/p)*(W/p), p*p, C]: the p x p windows, each flattened."""

    def forward(self, x, p: int):
        B, C, H, W = x.shape
        x = x.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1)
        return x.reshape(B, (H // p) * (W // p), p * p, C)


class WindowDepartition(nn.Module):
    """The inverse of :class:`WindowPartition`: [B, hp*wp, p*p, C] -> [B, C, hp*p, wp*p]."""

    def forward(self, x, p: int, h_partitions: int, w_partitions: int):
        B, G, PP, C = x.shape
        x = x.reshape(B, h_partitions, w_partitions, p, p, C).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(B, C, h_partitions * p, w_partitions * p)


class PartitionAttentionLayer(nn.Module):
    """Attention then MLP, both residual, within windows (``partition_type="window"``: p is
    the partition size) or across a grid (``"grid"``: p is the number of partitions and the
    window and position axes are swapped, so each group gathers strided positions)."""

    def __init__(self, in_channels: int, head_dim: int, partition_size: int,
                 partition_type: str, grid_size: tuple[int, int], mlp_ratio: int,
                 activation_layer: Callable[..., nn.Module],
                 norm_layer: Callable[..., nn.Module], attention_dropout: float,
                 mlp_dropout: float, p_stochastic_dropout: float) -> None:
        super().__init__()
        self.n_heads = in_channels // head_dim
        self.head_dim = head_dim
        self.n_partitions = grid_size[0] // partition_size
        self.partition_type = partition_type
        self.grid_size = grid_size
        if partition_type not in ["grid", "window"]:
            raise ValueError("partition_type must be either 'grid' or 'window'")
        if partition_type == "window":
            self.p, self.g = partition_size, self.n_partitions
        else:
            self.p, self.g = self.n_partitions, partition_size
        self.partition_op = WindowPartition()
        self.departition_op = WindowDepartition()
        grid = partition_type == "grid"
        self.partition_swap = SwapAxes(-2, -3) if grid else nn.Identity()
        self.departition_swap = SwapAxes(-2, -3) if grid else nn.Identity()
        self.attn_layer = nn.Sequential(
            norm_layer(in_channels),
            RelativePositionalMultiHeadAttention(in_channels, head_dim, partition_size ** 2),
            nn.Dropout(attention_dropout))
        self.mlp_layer = nn.Sequential(
            nn.LayerNorm(in_channels),
            nn.Linear(in_channels, in_channels * mlp_ratio),
            activation_layer(),
            nn.Linear(in_channels * mlp_ratio, in_channels),
            nn.Dropout(mlp_dropout))
        self.stochastic_dropout = StochasticDepth(p_stochastic_dropout, mode="row")

    def forward(self, x):
        if self.grid_size[0] % self.p or self.grid_size[1] % self.p:
            raise AssertionError(f"Grid size must be divisible by partition size. Got grid size "
                                 f"of {self.grid_size} and partition size of {self.p}")
        gh, gw = self.grid_size[0] // self.p, self.grid_size[1] // self.p
        x = self.partition_swap(self.partition_op(x, self.p))
        x = x + self.stochastic_dropout(self.attn_layer(x))
        x = x + self.stochastic_dropout(self.mlp_layer(x))
        return self.departition_op(self.departition_swap(x), self.p, gh, gw)


class MaxVitLayer(nn.Module):
    """``MBconv``, ``window_attention`` and ``grid_attention`` in a Sequential."""

    def __init__(self, in_channels: int, out_channels: int, squeeze_ratio: float,
                 expansion_ratio: float, stride: int, norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], head_dim: int, mlp_ratio: int,
                 mlp_dropout: float, attention_dropout: float, p_stochastic_dropout: float,
                 partition_size: int, grid_size: tuple[int, int]) -> None:
        super().__init__()
        attention = partial(PartitionAttentionLayer, in_channels=out_channels,
                            head_dim=head_dim, partition_size=partition_size,
                            grid_size=grid_size, mlp_ratio=mlp_ratio,
                            activation_layer=activation_layer, norm_layer=nn.LayerNorm,
                            attention_dropout=attention_dropout, mlp_dropout=mlp_dropout,
                            p_stochastic_dropout=p_stochastic_dropout)
        layers: OrderedDict = OrderedDict()
        layers["MBconv"] = MBConv(in_channels=in_channels, out_channels=out_channels,
                                  expansion_ratio=expansion_ratio, squeeze_ratio=squeeze_ratio,
                                  stride=stride, activation_layer=activation_layer,
                                  norm_layer=norm_layer,
                                  p_stochastic_dropout=p_stochastic_dropout)
        layers["window_attention"] = attention(partition_type="window")
        layers["grid_attention"] = attention(partition_type="grid")
        self.layers = nn.Sequential(layers)

    def forward(self, x):
        return self.layers(x)


class MaxVitBlock(nn.Module):
    """``n_layers`` MaxVit layers; the first halves the resolution (stride 2)."""

    def __init__(self, in_channels: int, out_channels: int, squeeze_ratio: float,
                 expansion_ratio: float, norm_layer: Callable[..., nn.Module],
                 activation_layer: Callable[..., nn.Module], head_dim: int, mlp_ratio: int,
                 mlp_dropout: float, attention_dropout: float, partition_size: int,
                 input_grid_size: tuple[int, int], n_layers: int,
                 p_stochastic: list[float]) -> None:
        super().__init__()
        if not len(p_stochastic) == n_layers:
            raise ValueError(f"p_stochastic must have length n_layers={n_layers}, got "
                             f"p_stochastic={p_stochastic}.")
        self.layers = nn.ModuleList()
        self.grid_size = _get_conv_output_shape(input_grid_size, kernel_size=3, stride=2,
                                                padding=1)
        for idx, p in enumerate(p_stochastic):
            self.layers.append(MaxVitLayer(
                in_channels=in_channels if idx == 0 else out_channels,
                out_channels=out_channels, squeeze_ratio=squeeze_ratio,
                expansion_ratio=expansion_ratio, stride=2 if idx == 0 else 1,
                norm_layer=norm_layer, activation_layer=activation_layer, head_dim=head_dim,
                mlp_ratio=mlp_ratio, mlp_dropout=mlp_dropout,
                attention_dropout=attention_dropout, partition_size=partition_size,
                grid_size=self.grid_size, p_stochastic_dropout=p))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class MaxVit(nn.Module):
    """MaxViT for ``input_size`` images (each block's input size must be a multiple of
    ``partition_size``).  Stochastic depth grows linearly from 0 to
    ``stochastic_depth_prob`` over all layers; ``norm_layer`` None means
    ``BatchNorm2d(eps=1e-3, momentum=0.01)``.  Convolutions and linears are N(0, 0.02) with
    zero bias."""

    def __init__(self, input_size: tuple[int, int], stem_channels: int, partition_size: int,
                 block_channels: list[int], block_layers: list[int], head_dim: int,
                 stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 activation_layer: Callable[..., nn.Module] = nn.GELU,
                 squeeze_ratio: float = 0.25, expansion_ratio: float = 4, mlp_ratio: int = 4,
                 mlp_dropout: float = 0.0, attention_dropout: float = 0.0,
                 num_classes: int = 1000) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)
        block_input_sizes = _make_block_input_shapes(input_size, len(block_channels))
        for idx, size in enumerate(block_input_sizes):
            if size[0] % partition_size != 0 or size[1] % partition_size != 0:
                raise ValueError(
                    f"Input size {size} of block {idx} is not divisible by partition size "
                    f"{partition_size}. Consider changing the partition size or the input "
                    "size.\nCurrent configuration yields the following block input sizes: "
                    f"{block_input_sizes}.")
        self.stem = nn.Sequential(
            Conv2dNormActivation(3, stem_channels, 3, stride=2, norm_layer=norm_layer,
                                 activation_layer=activation_layer, bias=False, inplace=None),
            Conv2dNormActivation(stem_channels, stem_channels, 3, stride=1, norm_layer=None,
                                 activation_layer=None, bias=True))
        input_size = _get_conv_output_shape(input_size, kernel_size=3, stride=2, padding=1)
        self.partition_size = partition_size
        self.blocks = nn.ModuleList()
        in_channels = [stem_channels] + list(block_channels[:-1])
        p_stochastic = np.linspace(0, stochastic_depth_prob, sum(block_layers)).tolist()
        p_idx = 0
        for cin, cout, n in zip(in_channels, block_channels, block_layers):
            self.blocks.append(MaxVitBlock(
                in_channels=cin, out_channels=cout, squeeze_ratio=squeeze_ratio,
                expansion_ratio=expansion_ratio, norm_layer=norm_layer,
                activation_layer=activation_layer, head_dim=head_dim, mlp_ratio=mlp_ratio,
                mlp_dropout=mlp_dropout, attention_dropout=attention_dropout,
                partition_size=partition_size, input_grid_size=input_size, n_layers=n,
                p_stochastic=p_stochastic[p_idx:p_idx + n]))
            input_size = self.blocks[-1].grid_size
            p_idx += n
        width = block_channels[-1]
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(width), nn.Linear(width, width),
            nn.Tanh(), nn.Linear(width, num_classes, bias=False))
        self._init_weights()

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.classifier(x)

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)


class MaxVit_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights(
        "maxvit_t-bc5ab103.pth", 30919624, 83.700, 96.722, 5.558, 118.769,
        recipe="https://github.com/pytorch/vision/tree/main/references/classification#maxvit",
        min_size=(224, 224),
        docs="These weights reproduce closely the results of the paper using a similar "
             "training recipe.\n            They were trained with a BatchNorm2D momentum of "
             "0.99 instead of the more correct 0.01.",
        crop_size=224, resize_size=224, interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


@handle_legacy_interface(MaxVit_T_Weights.IMAGENET1K_V1)
def maxvit_t(*, weights=None, progress: bool = True, **kwargs: Any) -> MaxVit:
    """MaxViT-T from `MaxViT: Multi-Axis Vision Transformer
    <https://arxiv.org/abs/2204.01697>`_.

    ``weights``: ``MaxVit_T_Weights`` or None; ``input_size`` (default (224, 224)) and other
    keywords go to :class:`MaxVit`.
    """
    weights = MaxVit_T_Weights.verify(weights)
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
        _ovewrite_named_param(kwargs, "input_size", weights.meta["min_size"])
    input_size = kwargs.pop("input_size", (224, 224))
    model = MaxVit(input_size=input_size, stem_channels=64, partition_size=7,
                   block_channels=[64, 128, 256, 512], block_layers=[2, 2, 5, 2], head_dim=32,
                   stochastic_depth_prob=0.2, **kwargs)
    return _load(model, weights, progress)
