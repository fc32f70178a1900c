"""Swin Transformer (Liu et al., 2021) T/S/B and Swin Transformer V2 (2022) T/S/B,
torchvision's way.

The image is cut into 4x4 patches (a strided convolution, channels-last from then on),
then stages of ``SwinTransformerBlock`` s alternate plain and shifted windows of
self-attention (``ShiftedWindowAttention``: multi-head attention inside each window, with
a learnt relative position bias; shifted windows roll the map by half a window and mask
the pairs that were not neighbours) and an MLP; ``PatchMerging`` halves the resolution and
doubles the width between stages.  V2 puts the norms after attention and MLP, uses cosine
attention with a learnt ``logit_scale`` and computes the position bias with a small MLP
(``cpb_mlp``) of log-spaced coordinates.  Linears are truncated normal (std 0.02, zero
bias), except the MLPs' (Xavier-uniform, biases normal with std 1e-6).
"""
from __future__ import annotations

import math
from functools import partial
from typing import Any, Callable

import ember

from ... import fx, nn
from ...nn import functional as F
from ..ops.misc import MLP, Permute
from ..ops.stochastic_depth import StochasticDepth
from ..transforms._presets import ImageClassification
from ..transforms.functional import InterpolationMode
from ._api import Weights, WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._meta import _IMAGENET_CATEGORIES
from ._utils import _URL, _load

__all__ = ["SwinTransformer", "Swin_T_Weights", "Swin_S_Weights", "Swin_B_Weights",
           "Swin_V2_T_Weights", "Swin_V2_S_Weights", "Swin_V2_B_Weights", "swin_t", "swin_s",
           "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"]


def _patch_merging_pad(x):
    """[..., H, W, C] -> [..., ceil(H/2), ceil(W/2), 4C]: each 2x2 neighbourhood's four
    pixels side by side (odd sizes padded with zeros)."""
    H, W, _ = x.shape[-3:]
    x = F.pad(x, (0, 0, 0, W % 2, 0, H % 2))
    corners = [x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :],
               x[..., 1::2, 1::2, :]]
    return ember.cat(corners, -1)


fx.wrap("_patch_merging_pad")  # (as torchvision's: FX records these three as calls)


def _get_relative_position_bias(relative_position_bias_table, relative_position_index,
                                window_size: list[int]):
    """The (1, heads, N, N) bias of every pair of the N positions in a window."""
    n = window_size[0] * window_size[1]
    bias = relative_position_bias_table[relative_position_index].view(n, n, -1)
    return bias.permute(2, 0, 1).contiguous().unsqueeze(0)


fx.wrap("_get_relative_position_bias")


class PatchMerging(nn.Module):
    """Halve H and W, double C: concatenate 2x2 neighbours, norm, Linear 4C -> 2C."""

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x):
        return self.reduction(self.norm(_patch_merging_pad(x)))


class PatchMergingV2(nn.Module):
    """V2's patch merging: the norm comes after the reduction (over 2C)."""

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x):
        return self.norm(self.reduction(_patch_merging_pad(x)))


def _shift_mask(pad_H: int, pad_W: int, window_size, shift_size, num_windows: int, like):
    """(num_windows, N, N): 0 where two positions of a shifted window came from the same
    region of the map before the roll, -100 where they did not."""
    region = like.new_zeros((pad_H, pad_W))
    h_bounds = ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None))
    w_bounds = ((0, -window_size[1]), (-window_size[1], -shift_size[1]), (-shift_size[1], None))
    label = 0
    for h0, h1 in h_bounds:
        for w0, w1 in w_bounds:
            region[h0:h1, w0:w1] = label
            label += 1
    region = region.view(pad_H // window_size[0], window_size[0], pad_W // window_size[1],
                         window_size[1])
    region = region.permute(0, 2, 1, 3).reshape(num_windows, window_size[0] * window_size[1])
    diff = region.unsqueeze(1) - region.unsqueeze(2)
    return diff.masked_fill(diff != 0, float(-100.0)).masked_fill(diff == 0, float(0.0))


def shifted_window_attention(input, qkv_weight, proj_weight, relative_position_bias,
                             window_size: list[int], num_heads: int, shift_size: list[int],
                             attention_dropout: float = 0.0, dropout: float = 0.0,
                             qkv_bias=None, proj_bias=None, logit_scale=None,
                             training: bool = True):
    """Multi-head self-attention within (shifted) windows of an [N, H, W, C] map.

    The map is padded to whole windows; with a shift it is rolled by ``-shift_size`` first
    (and back after), and pairs that wrapped around are masked.  ``logit_scale`` (V2)
    selects cosine attention, whose key bias is held at zero.
    """
    B, H, W, C = input.shape
    pad_r = (window_size[1] - W % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - H % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_H, pad_W, _ = x.shape
    shift_size = list(shift_size)
    if window_size[0] >= pad_H:  # one window covers the map: nothing to shift
        shift_size[0] = 0
    if window_size[1] >= pad_W:
        shift_size[1] = 0
    shifted = sum(shift_size) > 0
    if shifted:
        x = ember.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    # windows: (B * num_windows, N, C)
    num_windows = (pad_H // window_size[0]) * (pad_W // window_size[1])
    x = x.view(B, pad_H // window_size[0], window_size[0], pad_W // window_size[1],
               window_size[1], C)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B * num_windows, window_size[0] * window_size[1],
                                            C)
    if logit_scale is not None and qkv_bias is not None:
        qkv_bias = qkv_bias.clone()
        third = qkv_bias.numel() // 3
        qkv_bias[third:2 * third].zero_()
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.size(0), x.size(1), 3, num_heads, C // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:  # cosine attention
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * ember.clamp(logit_scale, max=math.log(100.0)).exp()
    else:
        q = q * (C // num_heads) ** -0.5
        attn = q.matmul(k.transpose(-2, -1))
    attn = attn + relative_position_bias
    if shifted:
        mask = _shift_mask(pad_H, pad_W, window_size, shift_size, num_windows, x)
        attn = attn.view(x.size(0) // num_windows, num_windows, num_heads, x.size(1), x.size(1))
        attn = attn + mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, num_heads, x.size(1), x.size(1))
    attn = F.softmax(attn, dim=-1)
    attn = F.dropout(attn, p=attention_dropout, training=training)
    x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), x.size(1), C)
    x = F.linear(x, proj_weight, proj_bias)
    x = F.dropout(x, p=dropout, training=training)
    # windows back to the map
    x = x.view(B, pad_H // window_size[0], pad_W // window_size[1], window_size[0],
               window_size[1], C)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, pad_H, pad_W, C)
    if shifted:
        x = ember.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :H, :W, :].contiguous()


fx.wrap("shifted_window_attention")


class ShiftedWindowAttention(nn.Module):
    """Window attention (see :func:`shifted_window_attention`) with a learnt table of
    relative position biases, one row per relative offset."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int],
                 num_heads: int, qkv_bias: bool = True, proj_bias: bool = True,
                 attention_dropout: float = 0.0, dropout: float = 0.0):
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self):
        wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            ember.zeros((2 * wh - 1) * (2 * ww - 1), self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self):
        """For each pair of window positions, the table row of their offset."""
        wh, ww = self.window_size
        coords = ember.stack(ember.meshgrid(ember.arange(wh), ember.arange(ww), indexing="ij"))
        flat = ember.flatten(coords, 1)  # 2, N
        rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()  # N, N, 2
        rel[:, :, 0] += wh - 1  # offsets from 0
        rel[:, :, 1] += ww - 1
        rel[:, :, 0] *= 2 * ww - 1
        self.register_buffer("relative_position_index", rel.sum(-1).flatten())

    def get_relative_position_bias(self):
        return _get_relative_position_bias(self.relative_position_bias_table,
                                           self.relative_position_index, self.window_size)

    def forward(self, x):
        relative_position_bias = self.get_relative_position_bias()  # (first, as torchvision)
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, relative_position_bias,
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """V2's window attention: cosine similarity times a learnt per-head ``logit_scale``,
    and position biases ``16 * sigmoid(cpb_mlp(log-spaced offsets))``."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int],
                 num_heads: int, qkv_bias: bool = True, proj_bias: bool = True,
                 attention_dropout: float = 0.0, dropout: float = 0.0):
        super().__init__(dim, window_size, shift_size, num_heads, qkv_bias=qkv_bias,
                         proj_bias=proj_bias, attention_dropout=attention_dropout,
                         dropout=dropout)
        self.logit_scale = nn.Parameter(ember.log(10 * ember.ones((num_heads, 1, 1))))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True),
                                     nn.Linear(512, num_heads, bias=False))
        if qkv_bias:  # the key bias starts (and stays, in the attention) at zero
            third = self.qkv.bias.numel() // 3
            self.qkv.bias[third:2 * third].data.zero_()

    def define_relative_position_bias_table(self):
        wh, ww = self.window_size
        rows = ember.arange(-(wh - 1), wh, dtype=ember.float32)
        cols = ember.arange(-(ww - 1), ww, dtype=ember.float32)
        table = ember.stack(ember.meshgrid([rows, cols], indexing="ij"))
        table = table.permute(1, 2, 0).contiguous().unsqueeze(0)  # 1, 2Wh-1, 2Ww-1, 2
        table[:, :, :, 0] /= wh - 1
        table[:, :, :, 1] /= ww - 1
        table *= 8  # in [-8, 8], then log-spaced
        table = ember.sign(table) * ember.log2(ember.abs(table) + 1.0) / 3.0
        self.register_buffer("relative_coords_table", table)

    def get_relative_position_bias(self):
        bias = _get_relative_position_bias(
            self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads),
            self.relative_position_index, self.window_size)
        return 16 * ember.sigmoid(bias)

    def forward(self, x):
        relative_position_bias = self.get_relative_position_bias()
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, relative_position_bias,
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, logit_scale=self.logit_scale,
            training=self.training)


class SwinTransformerBlock(nn.Module):
    """``x + drop_path(attn(norm1(x)))``, then ``+ drop_path(mlp(norm2(.)))``."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int],
                 shift_size: list[int], mlp_ratio: float = 4.0, dropout: float = 0.0,
                 attention_dropout: float = 0.0, stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttention):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads,
                               attention_dropout=attention_dropout, dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None,
                       dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x):
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """V2's block: ``x + drop_path(norm1(attn(x)))``, then ``+ drop_path(norm2(mlp(.)))``."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int],
                 shift_size: list[int], mlp_ratio: float = 4.0, dropout: float = 0.0,
                 attention_dropout: float = 0.0, stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttentionV2):
        super().__init__(dim, num_heads, window_size, shift_size, mlp_ratio=mlp_ratio,
                         dropout=dropout, attention_dropout=attention_dropout,
                         stochastic_depth_prob=stochastic_depth_prob, norm_layer=norm_layer,
                         attn_layer=attn_layer)

    def forward(self, x):
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


class SwinTransformer(nn.Module):
    """Swin Transformer as per https://arxiv.org/abs/2103.14030 (and V2,
    https://arxiv.org/abs/2111.09883, with ``block=SwinTransformerBlockV2`` and
    ``downsample_layer=PatchMergingV2``).  Odd blocks of a stage shift their windows by half
    a window; the stochastic-depth probability grows linearly to ``stochastic_depth_prob``.
    """

    def __init__(self, patch_size: list[int], embed_dim: int, depths: list[int],
                 num_heads: list[int], window_size: list[int], mlp_ratio: float = 4.0,
                 dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.1, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 block: Callable[..., nn.Module] | None = None,
                 downsample_layer: Callable[..., nn.Module] = PatchMerging):
        super().__init__()
        self.num_classes = num_classes
        if block is None:
            block = SwinTransformerBlock
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-5)
        patch = (patch_size[0], patch_size[1])
        layers: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=patch, stride=patch),
            Permute([0, 2, 3, 1]), norm_layer(embed_dim))]
        total_blocks = sum(depths)
        block_id = 0
        for i_stage, depth in enumerate(depths):
            dim = embed_dim * 2 ** i_stage
            stage: list[nn.Module] = []
            for i_layer in range(depth):
                sd_prob = stochastic_depth_prob * float(block_id) / (total_blocks - 1)
                stage.append(block(
                    dim, num_heads[i_stage], window_size=window_size,
                    shift_size=[0 if i_layer % 2 == 0 else w // 2 for w in window_size],
                    mlp_ratio=mlp_ratio, dropout=dropout, attention_dropout=attention_dropout,
                    stochastic_depth_prob=sd_prob, norm_layer=norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)
        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])  # B H W C -> B C H W
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.norm(self.features(x))
        x = self.flatten(self.avgpool(self.permute(x)))
        return self.head(x)


def _swin_transformer(patch_size, embed_dim, depths, num_heads, window_size,
                      stochastic_depth_prob: float, weights, progress: bool,
                      **kwargs: Any) -> SwinTransformer:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = SwinTransformer(patch_size=patch_size, embed_dim=embed_dim, depths=depths,
                            num_heads=num_heads, window_size=window_size,
                            stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    return _load(model, weights, progress)


_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#swintransformer"


def _w(file: str, num_params: int, size: int, resize: int, acc1: float, acc5: float,
       ops: float, file_size: float, v2: bool = False) -> Weights:
    meta = {"categories": _IMAGENET_CATEGORIES, "num_params": num_params,
            "min_size": (size, size), "recipe": _RECIPE + ("-v2" if v2 else ""),
            "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}, "_ops": ops,
            "_file_size": file_size,
            "_docs": "Close to the paper's results, with a similar training recipe."}
    return Weights(url=_URL + file, meta=meta,
                   transforms=partial(ImageClassification, crop_size=size, resize_size=resize,
                                      interpolation=InterpolationMode.BICUBIC))


class Swin_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_t-704ceda3.pth", 28288354, 224, 232, 81.474, 95.776, 4.491,
                       108.19)
    DEFAULT = IMAGENET1K_V1


class Swin_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_s-5e29d889.pth", 49606258, 224, 246, 83.196, 96.360, 8.741,
                       189.786)
    DEFAULT = IMAGENET1K_V1


class Swin_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_b-68c6b09e.pth", 87768224, 224, 238, 83.582, 96.640, 15.431,
                       335.364)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_v2_t-b137f0e2.pth", 28351570, 256, 260, 82.072, 96.132, 5.94,
                       108.626, v2=True)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_v2_s-637d8ceb.pth", 49737442, 256, 260, 83.712, 96.816, 11.546,
                       190.675, v2=True)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("swin_v2_b-781e5279.pth", 87930848, 256, 272, 84.112, 96.864, 20.325,
                       336.372, v2=True)
    DEFAULT = IMAGENET1K_V1


def _builder(arch: str, weights_enum, embed_dim: int, depths: list[int],
             num_heads: list[int], sd_prob: float, v2: bool = False):
    extra = {"block": SwinTransformerBlockV2, "downsample_layer": PatchMergingV2} if v2 else {}
    window = [8, 8] if v2 else [7, 7]

    @handle_legacy_interface(weights_enum.IMAGENET1K_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> SwinTransformer:
        weights = weights_enum.verify(weights)
        return _swin_transformer([4, 4], embed_dim, depths, num_heads, window, sd_prob,
                                 weights, progress, **extra, **kwargs)

    build.__name__ = build.__qualname__ = arch
    paper = ("`Swin Transformer V2: Scaling Up Capacity and Resolution "
             "<https://arxiv.org/abs/2111.09883>`_" if v2 else
             "`Swin Transformer: Hierarchical Vision Transformer using Shifted Windows "
             "<https://arxiv.org/abs/2103.14030>`_")
    build.__doc__ = (f"{arch} from {paper}.\n\n    ``weights``: ``{weights_enum.__name__}`` "
                     "member or name, or None; other keywords go to :class:`SwinTransformer`.")
    return build


swin_t = _builder("swin_t", Swin_T_Weights, 96, [2, 2, 6, 2], [3, 6, 12, 24], 0.2)
swin_s = _builder("swin_s", Swin_S_Weights, 96, [2, 2, 18, 2], [3, 6, 12, 24], 0.3)
swin_b = _builder("swin_b", Swin_B_Weights, 128, [2, 2, 18, 2], [4, 8, 16, 32], 0.5)
swin_v2_t = _builder("swin_v2_t", Swin_V2_T_Weights, 96, [2, 2, 6, 2], [3, 6, 12, 24], 0.2,
                     v2=True)
swin_v2_s = _builder("swin_v2_s", Swin_V2_S_Weights, 96, [2, 2, 18, 2], [3, 6, 12, 24], 0.3,
                     v2=True)
swin_v2_b = _builder("swin_v2_b", Swin_V2_B_Weights, 128, [2, 2, 18, 2], [4, 8, 16, 32], 0.5,
                     v2=True)
