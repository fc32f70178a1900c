"""Multiscale Vision Transformers for video (MViT, Fan et al., 2021; MViTv2, Li et al.,
2021) with torchvision's module names, init and Kinetics-400 weights.

A strided 3x7x7 convolution turns the clip into tokens plus a class token; each block
attends with queries, keys and values pooled by strided depthwise convolutions, so the
token grid shrinks stage by stage while the width grows.  v1 adds learned absolute
position embeddings; v2 adds relative position biases (per axis) inside the attention,
a pooled-query residual, and projects the width after the attention.

The model is built for one clip size (``spatial_size``, ``temporal_size``: 224x224x16 for
the weights); other sizes need those keywords.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import ember

from .... import fx, nn
from ...ops.misc import MLP
from ...ops.stochastic_depth import StochasticDepth
from .._api import Weights, WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._meta import _KINETICS400_CATEGORIES
from ._presets import VideoClassification

__all__ = ["MViT", "MViT_V1_B_Weights", "MViT_V2_S_Weights", "mvit_v1_b", "mvit_v2_s"]


@dataclass
class MSBlockConfig:
    num_heads: int
    input_channels: int
    output_channels: int
    kernel_q: list[int]
    kernel_kv: list[int]
    stride_q: list[int]
    stride_kv: list[int]


def _prod(values) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _unsqueeze(x, target_dim: int, expand_dim: int):
    tensor_dim = x.dim()
    if tensor_dim == target_dim - 1:
        x = x.unsqueeze(expand_dim)
    elif tensor_dim != target_dim:
        raise ValueError(f"Unsupported input dimension {x.shape}")
    return x, tensor_dim


def _squeeze(x, target_dim: int, expand_dim: int, tensor_dim: int):
    return x.squeeze(expand_dim) if tensor_dim == target_dim - 1 else x


fx.wrap("_unsqueeze")  # (as torchvision's: FX records these four as calls)
fx.wrap("_squeeze")


class Pool(nn.Module):
    """Pool the tokens (all but the class token) of ``(B, heads, 1 + THW, C)`` on their
    ``thw`` grid; then the optional norm/activation (before the pool if asked)."""

    def __init__(self, pool, norm, activation=None, norm_before_pool: bool = False) -> None:
        super().__init__()
        self.pool = pool
        layers = [m for m in (norm, activation) if m is not None]
        self.norm_act = nn.Sequential(*layers) if layers else None
        self.norm_before_pool = norm_before_pool

    def forward(self, x, thw):
        x, tensor_dim = _unsqueeze(x, 4, 1)
        class_token, x = ember.tensor_split(x, indices=(1,), dim=2)
        x = x.transpose(2, 3)
        b, n, c = x.shape[:3]
        x = x.reshape((b * n, c) + tuple(thw)).contiguous()
        if self.norm_before_pool and self.norm_act is not None:
            x = self.norm_act(x)
        x = self.pool(x)
        t, h, w = x.shape[2:]
        x = x.reshape(b, n, c, -1).transpose(2, 3)
        x = ember.cat((class_token, x), dim=2)
        if not self.norm_before_pool and self.norm_act is not None:
            x = self.norm_act(x)
        return _squeeze(x, 4, 1, tensor_dim), (t, h, w)


def _interpolate(embedding, d: int):
    """A ``(L, C)`` table resampled linearly to ``d`` rows (unchanged when ``L == d``)."""
    if embedding.shape[0] == d:
        return embedding
    return nn.functional.interpolate(embedding.permute(1, 0).unsqueeze(0), size=d,
                                     mode="linear").squeeze(0).permute(1, 0)


def _axis_distance(q: int, k: int):
    """Row indices into a relative table: query and key positions scaled to a common grid
    (the coarser side stretched), offset so the most negative distance is 0."""
    q_ratio = max(k / q, 1.0)
    k_ratio = max(q / k, 1.0)
    return ember.arange(q)[:, None] * q_ratio - (ember.arange(k)[None, :] + (1.0 - k)) * k_ratio


def _add_rel_pos(attn, q, q_thw, k_thw, rel_pos_h, rel_pos_w, rel_pos_t):
    """Add MViTv2's decomposed relative position terms (height, width, time) to the
    token-to-token part of ``attn``."""
    q_t, q_h, q_w = q_thw
    k_t, k_h, k_w = k_thw
    rh = _interpolate(rel_pos_h, int(2 * max(q_h, k_h) - 1))[_axis_distance(q_h, k_h).long()]
    rw = _interpolate(rel_pos_w, int(2 * max(q_w, k_w) - 1))[_axis_distance(q_w, k_w).long()]
    rt = _interpolate(rel_pos_t, int(2 * max(q_t, k_t) - 1))[_axis_distance(q_t, k_t).long()]
    b, heads, _, dim = q.shape
    r_q = q[:, :, 1:].reshape(b, heads, q_t, q_h, q_w, dim)
    rel_h = ember.einsum("bythwc,hkc->bythwk", r_q, rh)
    rel_w = ember.einsum("bythwc,wkc->bythwk", r_q, rw)
    r_q = r_q.permute(2, 0, 1, 3, 4, 5).reshape(q_t, b * heads * q_h * q_w, dim)
    rel_t = ember.matmul(r_q, rt.transpose(1, 2)).transpose(0, 1)
    rel_t = rel_t.view(b, heads, q_h, q_w, q_t, k_t).permute(0, 1, 4, 2, 3, 5)
    rel = (rel_h[:, :, :, :, :, None, :, None] + rel_w[:, :, :, :, :, None, None, :]
           + rel_t[:, :, :, :, :, :, None, None]).reshape(b, heads, q_t * q_h * q_w,
                                                          k_t * k_h * k_w)
    attn[:, :, 1:, 1:] += rel
    return attn


def _add_shortcut(x, shortcut, residual_with_cls_embed: bool):
    if residual_with_cls_embed:
        x.add_(shortcut)
    else:
        x[:, :, 1:, :] += shortcut[:, :, 1:, :]
    return x


fx.wrap("_add_rel_pos")
fx.wrap("_add_shortcut")


class MultiscaleAttention(nn.Module):
    def __init__(self, input_size, embed_dim: int, output_dim: int, num_heads: int, kernel_q,
                 kernel_kv, stride_q, stride_kv, residual_pool: bool,
                 residual_with_cls_embed: bool, rel_pos_embed: bool, dropout: float = 0.0,
                 norm_layer=nn.LayerNorm) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.output_dim = output_dim
        self.num_heads = num_heads
        self.head_dim = output_dim // num_heads
        self.scaler = 1.0 / math.sqrt(self.head_dim)
        self.residual_pool = residual_pool
        self.residual_with_cls_embed = residual_with_cls_embed

        self.qkv = nn.Linear(embed_dim, 3 * output_dim)
        layers = [nn.Linear(output_dim, output_dim)]
        if dropout > 0.0:
            layers.append(nn.Dropout(dropout, inplace=True))
        self.project = nn.Sequential(*layers)

        def pooler(kernel, stride):
            return Pool(nn.Conv3d(self.head_dim, self.head_dim, kernel, stride=stride,
                                  padding=[int(k // 2) for k in kernel], groups=self.head_dim,
                                  bias=False),
                        norm_layer(self.head_dim))

        self.pool_q = None
        if _prod(kernel_q) > 1 or _prod(stride_q) > 1:
            self.pool_q = pooler(kernel_q, stride_q)
        self.pool_k = None
        self.pool_v = None
        if _prod(kernel_kv) > 1 or _prod(stride_kv) > 1:
            self.pool_k = pooler(kernel_kv, stride_kv)
            self.pool_v = pooler(kernel_kv, stride_kv)

        self.rel_pos_h = None
        self.rel_pos_w = None
        self.rel_pos_t = None
        if rel_pos_embed:
            size = max(input_size[1:])
            q_size = size // stride_q[1] if len(stride_q) > 0 else size
            kv_size = size // stride_kv[1] if len(stride_kv) > 0 else size
            spatial_dim = 2 * max(q_size, kv_size) - 1
            temporal_dim = 2 * input_size[0] - 1
            self.rel_pos_h = nn.Parameter(ember.zeros(spatial_dim, self.head_dim))
            self.rel_pos_w = nn.Parameter(ember.zeros(spatial_dim, self.head_dim))
            self.rel_pos_t = nn.Parameter(ember.zeros(temporal_dim, self.head_dim))
            nn.init.trunc_normal_(self.rel_pos_h, std=0.02)
            nn.init.trunc_normal_(self.rel_pos_w, std=0.02)
            nn.init.trunc_normal_(self.rel_pos_t, std=0.02)

    def forward(self, x, thw):
        b, n, _ = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).transpose(
            1, 3).unbind(dim=2)
        k_thw = thw
        if self.pool_k is not None:
            k, k_thw = self.pool_k(k, thw)
        if self.pool_v is not None:
            v = self.pool_v(v, thw)[0]
        if self.pool_q is not None:
            q, thw = self.pool_q(q, thw)
        attn = ember.matmul(self.scaler * q, k.transpose(2, 3))
        if self.rel_pos_h is not None:
            attn = _add_rel_pos(attn, q, thw, k_thw, self.rel_pos_h, self.rel_pos_w,
                                self.rel_pos_t)
        x = ember.matmul(attn.softmax(dim=-1), v)
        if self.residual_pool:
            _add_shortcut(x, q, self.residual_with_cls_embed)
        x = x.transpose(1, 2).reshape(b, -1, self.output_dim)
        return self.project(x), thw


class MultiscaleBlock(nn.Module):
    def __init__(self, input_size, cnf: MSBlockConfig, residual_pool: bool,
                 residual_with_cls_embed: bool, rel_pos_embed: bool, proj_after_attn: bool,
                 dropout: float = 0.0, stochastic_depth_prob: float = 0.0,
                 norm_layer=nn.LayerNorm) -> None:
        super().__init__()
        self.proj_after_attn = proj_after_attn
        self.pool_skip = None
        if _prod(cnf.stride_q) > 1:
            kernel_skip = [s + 1 if s > 1 else s for s in cnf.stride_q]
            self.pool_skip = Pool(nn.MaxPool3d(kernel_skip, stride=cnf.stride_q,
                                               padding=[int(k // 2) for k in kernel_skip]),
                                  None)
        attn_dim = cnf.output_channels if proj_after_attn else cnf.input_channels
        self.norm1 = norm_layer(cnf.input_channels)
        self.norm2 = norm_layer(attn_dim)
        self.needs_transposal = isinstance(self.norm1, nn.BatchNorm1d)
        self.attn = MultiscaleAttention(
            input_size, cnf.input_channels, attn_dim, cnf.num_heads, kernel_q=cnf.kernel_q,
            kernel_kv=cnf.kernel_kv, stride_q=cnf.stride_q, stride_kv=cnf.stride_kv,
            rel_pos_embed=rel_pos_embed, residual_pool=residual_pool,
            residual_with_cls_embed=residual_with_cls_embed, dropout=dropout,
            norm_layer=norm_layer)
        self.mlp = MLP(attn_dim, [4 * attn_dim, cnf.output_channels], activation_layer=nn.GELU,
                       dropout=dropout, inplace=None)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.project = None
        if cnf.input_channels != cnf.output_channels:
            self.project = nn.Linear(cnf.input_channels, cnf.output_channels)

    def _norm(self, norm, x):
        return norm(x.transpose(1, 2)).transpose(1, 2) if self.needs_transposal else norm(x)

    def forward(self, x, thw):
        x_norm1 = self._norm(self.norm1, x)
        x_attn, thw_new = self.attn(x_norm1, thw)
        if self.project is not None and self.proj_after_attn:
            x = self.project(x_norm1)
        x_skip = x if self.pool_skip is None else self.pool_skip(x, thw)[0]
        x = x_skip + self.stochastic_depth(x_attn)
        x_norm2 = self._norm(self.norm2, x)
        x_proj = x if self.project is None or self.proj_after_attn else self.project(x_norm2)
        return x_proj + self.stochastic_depth(self.mlp(x_norm2)), thw_new


class PositionalEncoding(nn.Module):
    """Prepend the class token; without relative positions, add learned time + space
    (and class) embeddings."""

    def __init__(self, embed_size: int, spatial_size, temporal_size: int,
                 rel_pos_embed: bool) -> None:
        super().__init__()
        self.spatial_size = spatial_size
        self.temporal_size = temporal_size
        self.class_token = nn.Parameter(ember.zeros(embed_size))
        self.spatial_pos = None
        self.temporal_pos = None
        self.class_pos = None
        if not rel_pos_embed:
            self.spatial_pos = nn.Parameter(
                ember.zeros(self.spatial_size[0] * self.spatial_size[1], embed_size))
            self.temporal_pos = nn.Parameter(ember.zeros(self.temporal_size, embed_size))
            self.class_pos = nn.Parameter(ember.zeros(embed_size))

    def forward(self, x):
        token = self.class_token.expand(x.size(0), -1).unsqueeze(1)
        x = ember.cat((token, x), dim=1)
        # (all three read, as torchvision: FX records them in this order)
        if self.spatial_pos is not None and self.temporal_pos is not None and \
                self.class_pos is not None:
            hw_size, embed_size = self.spatial_pos.shape
            pos = ember.repeat_interleave(self.temporal_pos, hw_size, dim=0)
            pos.add_(self.spatial_pos.unsqueeze(0).expand(self.temporal_size, -1, -1)
                     .reshape(-1, embed_size))
            pos = ember.cat((self.class_pos.unsqueeze(0), pos), dim=0).unsqueeze(0)
            x.add_(pos)
        return x


class MViT(nn.Module):
    def __init__(self, spatial_size, temporal_size: int, block_setting, residual_pool: bool,
                 residual_with_cls_embed: bool, rel_pos_embed: bool, proj_after_attn: bool,
                 dropout: float = 0.5, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0, num_classes: int = 400, block=None,
                 norm_layer=None, patch_embed_kernel=(3, 7, 7), patch_embed_stride=(2, 4, 4),
                 patch_embed_padding=(1, 3, 3)) -> None:
        super().__init__()
        total = len(block_setting)
        if total == 0:
            raise ValueError("The configuration parameter can't be empty.")
        if block is None:
            block = MultiscaleBlock
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.conv_proj = nn.Conv3d(in_channels=3, out_channels=block_setting[0].input_channels,
                                   kernel_size=patch_embed_kernel, stride=patch_embed_stride,
                                   padding=patch_embed_padding)
        input_size = [size // stride for size, stride in
                      zip((temporal_size,) + tuple(spatial_size), self.conv_proj.stride)]
        self.pos_encoding = PositionalEncoding(
            embed_size=block_setting[0].input_channels,
            spatial_size=(input_size[1], input_size[2]), temporal_size=input_size[0],
            rel_pos_embed=rel_pos_embed)
        self.blocks = nn.ModuleList()
        for i, cnf in enumerate(block_setting):
            prob = stochastic_depth_prob * i / (total - 1.0)
            self.blocks.append(block(input_size=input_size, cnf=cnf, residual_pool=residual_pool,
                                     residual_with_cls_embed=residual_with_cls_embed,
                                     rel_pos_embed=rel_pos_embed,
                                     proj_after_attn=proj_after_attn, dropout=attention_dropout,
                                     stochastic_depth_prob=prob, norm_layer=norm_layer))
            if len(cnf.stride_q) > 0:
                input_size = [size // stride for size, stride in zip(input_size, cnf.stride_q)]
        self.norm = norm_layer(block_setting[-1].output_channels)
        self.head = nn.Sequential(nn.Dropout(dropout, inplace=True),
                                  nn.Linear(block_setting[-1].output_channels, num_classes))

        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0.0)
            elif isinstance(m, nn.LayerNorm):
                if m.weight is not None:
                    nn.init.constant_(m.weight, 1.0)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0.0)
            elif isinstance(m, PositionalEncoding):
                for p in m.parameters():
                    nn.init.trunc_normal_(p, std=0.02)

    def forward(self, x):
        x = _unsqueeze(x, 5, 2)[0]  # a single image becomes a one-frame clip
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        x = self.pos_encoding(x)
        thw = (self.pos_encoding.temporal_size,) + tuple(self.pos_encoding.spatial_size)
        for blk in self.blocks:
            x, thw = blk(x, thw)
        return self.head(self.norm(x)[:, 0])


def _mvit(block_setting, stochastic_depth_prob: float, weights, progress: bool,
          **kwargs) -> MViT:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
        assert weights.meta["min_size"][0] == weights.meta["min_size"][1]
        _ovewrite_named_param(kwargs, "spatial_size", weights.meta["min_size"])
        _ovewrite_named_param(kwargs, "temporal_size", weights.meta["min_temporal_size"])
    spatial_size = kwargs.pop("spatial_size", (224, 224))
    temporal_size = kwargs.pop("temporal_size", 16)
    model = MViT(spatial_size=spatial_size, temporal_size=temporal_size,
                 block_setting=block_setting,
                 residual_pool=kwargs.pop("residual_pool", False),
                 residual_with_cls_embed=kwargs.pop("residual_with_cls_embed", True),
                 rel_pos_embed=kwargs.pop("rel_pos_embed", False),
                 proj_after_attn=kwargs.pop("proj_after_attn", False),
                 stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


def _w(file: str, recipe: str, num_params: int, acc1: float, acc5: float, ops: float,
       size: float) -> Weights:
    return Weights(
        url="https://download.pytorch.org/models/" + file,
        transforms=partial(VideoClassification, crop_size=(224, 224), resize_size=(256,),
                           mean=(0.45, 0.45, 0.45), std=(0.225, 0.225, 0.225)),
        meta={"min_size": (224, 224), "min_temporal_size": 16,
              "categories": _KINETICS400_CATEGORIES, "recipe": recipe,
              "_docs": ("The weights were ported from the paper. The accuracies are estimated "
                        "on video-level with parameters `frame_rate=7.5`, `clips_per_video=5`, "
                        "and `clip_len=16`"),
              "num_params": num_params,
              "_metrics": {"Kinetics-400": {"acc@1": acc1, "acc@5": acc5}},
              "_ops": ops, "_file_size": size})


class MViT_V1_B_Weights(WeightsEnum):
    KINETICS400_V1 = _w("mvit_v1_b-dbeb1030.pth",
                        "https://github.com/facebookresearch/pytorchvideo/blob/main/docs/source/"
                        "model_zoo.md", 36610672, 78.477, 93.582, 70.599, 139.764)
    DEFAULT = KINETICS400_V1


class MViT_V2_S_Weights(WeightsEnum):
    KINETICS400_V1 = _w("mvit_v2_s-ae3be167.pth",
                        "https://github.com/facebookresearch/SlowFast/blob/main/MODEL_ZOO.md",
                        34537744, 80.757, 94.665, 64.224, 131.884)
    DEFAULT = KINETICS400_V1


# 16 blocks in four stages; the query is pooled (halving H and W) at the first block of
# stages 2-4, and the key/value pooling stride shrinks as the grid does.
_HEADS = [1, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 8, 8]
_STRIDE_KV = [[1, 8, 8]] + [[1, 4, 4]] * 2 + [[1, 2, 2]] * 11 + [[1, 1, 1]] * 2
_DOWN = (1, 3, 14)  # the blocks whose query is pooled


def _settings(widths_in, widths_out, kernel_q, stride_q):
    return [MSBlockConfig(num_heads=_HEADS[i], input_channels=widths_in[i],
                          output_channels=widths_out[i], kernel_q=kernel_q[i],
                          kernel_kv=[3, 3, 3], stride_q=stride_q[i], stride_kv=_STRIDE_KV[i])
            for i in range(16)]


@handle_legacy_interface(MViT_V1_B_Weights.KINETICS400_V1)
def mvit_v1_b(*, weights=None, progress: bool = True, **kwargs) -> MViT:
    """The base MViT from `Multiscale Vision Transformers <https://arxiv.org/abs/2104.11227>`__;
    ``weights``: ``MViT_V1_B_Weights`` member or name, or None (random init); other keywords
    go to :class:`MViT`."""
    weights = MViT_V1_B_Weights.verify(weights)
    # v1 widens at the last block of a stage (its MLP projects), so widths lead by one
    widths_in = [96] + [192] * 2 + [384] * 11 + [768] * 2
    widths_out = [192] * 2 + [384] * 11 + [768] * 3
    kernel_q = [[3, 3, 3] if i in _DOWN else [] for i in range(16)]
    stride_q = [[1, 2, 2] if i in _DOWN else [] for i in range(16)]
    return _mvit(spatial_size=(224, 224), temporal_size=16,
                 block_setting=_settings(widths_in, widths_out, kernel_q, stride_q),
                 residual_pool=False, residual_with_cls_embed=False,
                 stochastic_depth_prob=kwargs.pop("stochastic_depth_prob", 0.2),
                 weights=weights, progress=progress, **kwargs)


@handle_legacy_interface(MViT_V2_S_Weights.KINETICS400_V1)
def mvit_v2_s(*, weights=None, progress: bool = True, **kwargs) -> MViT:
    """The small MViTv2 from `MViTv2: Improved Multiscale Vision Transformers for
    Classification and Detection <https://arxiv.org/abs/2112.01526>`__; ``weights``:
    ``MViT_V2_S_Weights`` member or name, or None (random init); other keywords go to
    :class:`MViT`."""
    weights = MViT_V2_S_Weights.verify(weights)
    # v2 widens at the first block of a stage (after its attention)
    widths_in = [96] * 2 + [192] * 2 + [384] * 11 + [768]
    widths_out = [96] + [192] * 2 + [384] * 11 + [768] * 2
    stride_q = [[1, 2, 2] if i in _DOWN else [1, 1, 1] for i in range(16)]
    return _mvit(spatial_size=(224, 224), temporal_size=16,
                 block_setting=_settings(widths_in, widths_out, [[3, 3, 3]] * 16, stride_q),
                 residual_pool=True, residual_with_cls_embed=False, rel_pos_embed=True,
                 proj_after_attn=True,
                 stochastic_depth_prob=kwargs.pop("stochastic_depth_prob", 0.2),
                 weights=weights, progress=progress, **kwargs)
