"""Video Swin Transformer (Liu et al., 2021) with torchvision's module names, init and
Kinetics-400 weights: the image Swin's blocks and patch merging, with attention inside
3-D windows (time x height x width) shifted by half a window every other block.

Clips are ``(N, 3, T, H, W)``; a 2x4x4 patch embedding makes ``(N, T/2, H/4, W/4, C)``
tokens, and windows larger than the token grid shrink to it (with no shift).
"""
from __future__ import annotations

from functools import partial

import ember

from .... import fx, nn
from ....nn import functional as F
from .._api import Weights, WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ..swin_transformer import PatchMerging, SwinTransformerBlock
from ._meta import _KINETICS400_CATEGORIES
from ._presets import VideoClassification

__all__ = ["Swin3D_B_Weights", "Swin3D_S_Weights", "Swin3D_T_Weights", "SwinTransformer3d",
           "swin3d_b", "swin3d_s", "swin3d_t"]


def _get_window_and_shift_size(shift_size, size_dhw, window_size):
    """A window no larger than the grid; along a dimension it covers whole, no shift."""
    for i in range(3):
        if size_dhw[i] <= window_size[i]:
            window_size[i] = size_dhw[i]
            shift_size[i] = 0
    return window_size, shift_size


fx.wrap("_get_window_and_shift_size")  # (as torchvision's: FX records these five as calls)


def _get_relative_position_bias(table, index, window_size):
    """The (1, heads, V, V) bias between the V positions of a (possibly shrunk) window."""
    vol = window_size[0] * window_size[1] * window_size[2]
    bias = table[index[:vol, :vol].flatten()].view(vol, vol, -1)
    return bias.permute(2, 0, 1).contiguous().unsqueeze(0)


fx.wrap("_get_relative_position_bias")


def _compute_pad_size_3d(size_dhw, patch_size):
    return tuple((patch_size[i] - size_dhw[i] % patch_size[i]) % patch_size[i] for i in range(3))


fx.wrap("_compute_pad_size_3d")


def _compute_attention_mask_3d(x, size_dhw, window_size, shift_size):
    """(windows, V, V): -100 between positions that the cyclic shift brought from
    different regions of the padded grid, 0 elsewhere."""
    region = x.new_zeros(*size_dhw)
    n_windows = 1
    for i in range(3):
        n_windows *= size_dhw[i] // window_size[i]
    cuts = [((0, -window_size[i]), (-window_size[i], -shift_size[i]), (-shift_size[i], None))
            for i in range(3)]
    label = 0
    for d in cuts[0]:
        for h in cuts[1]:
            for w in cuts[2]:
                region[d[0]:d[1], h[0]:h[1], w[0]:w[1]] = label
                label += 1
    region = region.view(size_dhw[0] // window_size[0], window_size[0],
                         size_dhw[1] // window_size[1], window_size[1],
                         size_dhw[2] // window_size[2], window_size[2])
    region = region.permute(0, 2, 4, 1, 3, 5).reshape(
        n_windows, window_size[0] * window_size[1] * window_size[2])
    mask = region.unsqueeze(1) - region.unsqueeze(2)
    return mask.masked_fill(mask != 0, float(-100.0)).masked_fill(mask == 0, float(0.0))


fx.wrap("_compute_attention_mask_3d")


def shifted_window_attention_3d(input, qkv_weight, proj_weight, relative_position_bias,
                                window_size, num_heads: int, shift_size,
                                attention_dropout: float = 0.0, dropout: float = 0.0,
                                qkv_bias=None, proj_bias=None, training: bool = True):
    """Multi-head self-attention within each (shifted) 3-D window of ``input``
    ``(B, T, H, W, C)``; the grid is zero-padded to whole windows and cut back after."""
    b, t, h, w, c = input.shape
    pad = _compute_pad_size_3d((t, h, w), window_size)
    x = F.pad(input, (0, 0, 0, pad[2], 0, pad[1], 0, pad[0]))
    _, tp, hp, wp, _ = x.shape
    shifted = sum(shift_size) > 0
    if shifted:
        x = ember.roll(x, shifts=(-shift_size[0], -shift_size[1], -shift_size[2]),
                       dims=(1, 2, 3))
    nt, nh, nw = tp // window_size[0], hp // window_size[1], wp // window_size[2]
    n_windows = nt * nh * nw
    vol = window_size[0] * window_size[1] * window_size[2]
    x = x.view(b, nt, window_size[0], nh, window_size[1], nw, window_size[2], c)
    x = x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(b * n_windows, vol, c)

    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.size(0), x.size(1), 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    q = q * (c // num_heads) ** -0.5
    attn = q.matmul(k.transpose(-2, -1)) + relative_position_bias
    if shifted:
        mask = _compute_attention_mask_3d(x, (tp, hp, wp), window_size, shift_size)
        attn = attn.view(x.size(0) // n_windows, n_windows, num_heads, vol, vol)
        attn = attn + mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, num_heads, vol, vol)
    attn = F.dropout(F.softmax(attn, dim=-1), p=attention_dropout, training=training)
    x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), vol, c)
    x = F.dropout(F.linear(x, proj_weight, proj_bias), p=dropout, training=training)

    x = x.view(b, nt, nh, nw, window_size[0], window_size[1], window_size[2], c)
    x = x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, tp, hp, wp, c)
    if shifted:
        x = ember.roll(x, shifts=(shift_size[0], shift_size[1], shift_size[2]), dims=(1, 2, 3))
    return x[:, :t, :h, :w, :].contiguous()


fx.wrap("shifted_window_attention_3d")


class ShiftedWindowAttention3d(nn.Module):
    """Window attention with a learned bias per relative 3-D offset and per head."""

    def __init__(self, dim: int, window_size, shift_size, num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True,
                 attention_dropout: float = 0.0, dropout: float = 0.0) -> None:
        super().__init__()
        if len(window_size) != 3 or len(shift_size) != 3:
            # NOTE: torchvision's message says "length 2" here too
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

    def define_relative_position_bias_table(self) -> None:
        wd, wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            ember.zeros((2 * wd - 1) * (2 * wh - 1) * (2 * ww - 1), self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self) -> None:
        wd, wh, ww = self.window_size
        grids = ember.meshgrid(ember.arange(wd), ember.arange(wh), ember.arange(ww),
                               indexing="ij")
        flat = ember.flatten(ember.stack(grids), 1)  # 3, V
        rel = (flat[:, :, None] - flat[:, None, :]).permute(1, 2, 0).contiguous()  # V, V, 3
        rel[:, :, 0] += wd - 1
        rel[:, :, 1] += wh - 1
        rel[:, :, 2] += ww - 1
        rel[:, :, 0] *= (2 * wh - 1) * (2 * ww - 1)
        rel[:, :, 1] *= 2 * ww - 1
        self.register_buffer("relative_position_index", rel.sum(-1))

    def get_relative_position_bias(self, window_size):
        return _get_relative_position_bias(self.relative_position_bias_table,
                                           self.relative_position_index, window_size)

    def forward(self, x):
        _, t, h, w, _ = x.shape
        window_size, shift_size = _get_window_and_shift_size(
            self.shift_size.copy(), [t, h, w], self.window_size.copy())
        bias = self.get_relative_position_bias(window_size)
        return shifted_window_attention_3d(
            x, self.qkv.weight, self.proj.weight, bias, window_size, self.num_heads,
            shift_size=shift_size, attention_dropout=self.attention_dropout,
            dropout=self.dropout, qkv_bias=self.qkv.bias, proj_bias=self.proj.bias,
            training=self.training)


class PatchEmbed3d(nn.Module):
    """Non-overlapping ``patch_size`` cubes to ``embed_dim`` channels (input zero-padded to
    whole patches), channels moved last, then ``norm_layer``."""

    def __init__(self, patch_size, in_channels: int = 3, embed_dim: int = 96,
                 norm_layer=None) -> None:
        super().__init__()
        self.tuple_patch_size = (patch_size[0], patch_size[1], patch_size[2])
        self.proj = nn.Conv3d(in_channels, embed_dim, kernel_size=self.tuple_patch_size,
                              stride=self.tuple_patch_size)
        self.norm = norm_layer(embed_dim) if norm_layer is not None else nn.Identity()

    def forward(self, x):
        _, _, t, h, w = x.size()
        pad = _compute_pad_size_3d((t, h, w), self.tuple_patch_size)
        x = F.pad(x, (0, pad[2], 0, pad[1], 0, pad[0]))
        x = self.proj(x).permute(0, 2, 3, 4, 1)
        return self.norm(x)


class SwinTransformer3d(nn.Module):
    def __init__(self, patch_size, embed_dim: int, depths, num_heads, window_size,
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.1, num_classes: int = 400, norm_layer=None,
                 block=None, downsample_layer=PatchMerging, patch_embed=None) -> None:
        super().__init__()
        self.num_classes = num_classes
        if block is None:
            block = partial(SwinTransformerBlock, attn_layer=ShiftedWindowAttention3d)
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-5)
        if patch_embed is None:
            patch_embed = PatchEmbed3d
        self.patch_embed = patch_embed(patch_size=patch_size, embed_dim=embed_dim,
                                       norm_layer=norm_layer)
        self.pos_drop = nn.Dropout(p=dropout)

        layers = []
        total = sum(depths)
        block_id = 0
        for stage_i, depth in enumerate(depths):
            dim = embed_dim * 2 ** stage_i
            stage = []
            for layer_i in range(depth):
                # the drop-path rate grows linearly with the block's position in the network
                prob = stochastic_depth_prob * float(block_id) / (total - 1)
                stage.append(block(dim, num_heads[stage_i], window_size=window_size,
                                   shift_size=[0 if layer_i % 2 == 0 else s // 2
                                               for s in window_size],
                                   mlp_ratio=mlp_ratio, dropout=dropout,
                                   attention_dropout=attention_dropout,
                                   stochastic_depth_prob=prob, norm_layer=norm_layer,
                                   attn_layer=ShiftedWindowAttention3d))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if stage_i < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)
        self.num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(self.num_features)
        self.avgpool = nn.AdaptiveAvgPool3d(1)
        self.head = nn.Linear(self.num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.features(self.pos_drop(self.patch_embed(x)))
        x = self.norm(x).permute(0, 4, 1, 2, 3)
        return self.head(ember.flatten(self.avgpool(x), 1))


def _swin_transformer3d(patch_size, embed_dim, depths, num_heads, window_size,
                        stochastic_depth_prob, weights, progress, **kwargs):
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = SwinTransformer3d(patch_size=patch_size, embed_dim=embed_dim, depths=depths,
                              num_heads=num_heads, window_size=window_size,
                              stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_COMMON_META = {"categories": _KINETICS400_CATEGORIES, "min_size": (1, 1),
                "min_temporal_size": 1}


def _w(file: str, num_params: int, acc1: float, acc5: float, ops: float,
       size: float) -> Weights:
    return Weights(
        url="https://download.pytorch.org/models/" + file,
        transforms=partial(VideoClassification, crop_size=(224, 224), resize_size=(256,),
                           mean=(0.4850, 0.4560, 0.4060), std=(0.2290, 0.2240, 0.2250)),
        meta={**_COMMON_META,
              "recipe": "https://github.com/SwinTransformer/Video-Swin-Transformer#kinetics-400",
              "_docs": ("The weights were ported from the paper. The accuracies are estimated "
                        "on video-level with parameters `frame_rate=15`, `clips_per_video=12`, "
                        "and `clip_len=32`"),
              "num_params": num_params,
              "_metrics": {"Kinetics-400": {"acc@1": acc1, "acc@5": acc5}},
              "_ops": ops, "_file_size": size})


class Swin3D_T_Weights(WeightsEnum):
    KINETICS400_V1 = _w("swin3d_t-7615ae03.pth", 28158070, 77.715, 93.519, 43.882, 121.543)
    DEFAULT = KINETICS400_V1


class Swin3D_S_Weights(WeightsEnum):
    KINETICS400_V1 = _w("swin3d_s-da41c237.pth", 49816678, 79.521, 94.158, 82.841, 218.288)
    DEFAULT = KINETICS400_V1


class Swin3D_B_Weights(WeightsEnum):
    KINETICS400_V1 = _w("swin3d_b_1k-24f7c7c6.pth", 88048984, 79.427, 94.386, 140.667,
                        364.134)
    KINETICS400_IMAGENET22K_V1 = _w("swin3d_b_22k-7c6ae6fa.pth", 88048984, 81.643, 95.574,
                                    140.667, 364.134)
    DEFAULT = KINETICS400_V1


def _builder(name: str, weights_enum, embed_dim: int, depths, num_heads, size: str):
    @handle_legacy_interface(weights_enum.KINETICS400_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> SwinTransformer3d:
        weights = weights_enum.verify(weights)
        return _swin_transformer3d([2, 4, 4], embed_dim, depths, num_heads, [8, 7, 7], 0.1,
                                   weights, progress, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"The {size} Video Swin Transformer from `Video Swin Transformer "
                     "<https://arxiv.org/abs/2106.13230>`__; ``weights``: "
                     f"``{weights_enum.__name__}`` member or name, or None (random init).")
    return build


swin3d_t = _builder("swin3d_t", Swin3D_T_Weights, 96, [2, 2, 6, 2], [3, 6, 12, 24], "tiny")
swin3d_s = _builder("swin3d_s", Swin3D_S_Weights, 96, [2, 2, 18, 2], [3, 6, 12, 24], "small")
swin3d_b = _builder("swin3d_b", Swin3D_B_Weights, 128, [2, 2, 18, 2], [4, 8, 16, 32], "base")
