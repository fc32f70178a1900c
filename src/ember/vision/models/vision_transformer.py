"""Vision Transformer (Dosovitskiy et al., 2020): ViT-B/16, B/32, L/16, L/32, H/14.

``conv_proj`` cuts the image into ``patch_size`` patches (a strided convolution, or the
convolutional stem of ``conv_stem_configs``); a learnt ``class_token`` goes in front, the
``encoder`` adds ``pos_embedding`` and runs ``EncoderBlock`` s (pre-norm self-attention
and ``MLPBlock``, each with a residual), and ``heads`` classify the class token's output.
Init: the patch convolution truncated normal with std sqrt(1/fan_in), positions normal
(std 0.02), MLP linears Xavier-uniform with biases normal (std 1e-6), the head zeros.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial
from typing import Any, Callable, NamedTuple

import ember

from ... import Tensor, nn
from ..ops.misc import MLP, Conv2dNormActivation
from ..transforms._presets import ImageClassification
from ..transforms.functional import InterpolationMode
from ._api import Weights, WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _URL, _hinted, _load
from ._meta import _IMAGENET_CATEGORIES

__all__ = ["VisionTransformer", "ViT_B_16_Weights", "ViT_B_32_Weights", "ViT_L_16_Weights",
           "ViT_L_32_Weights", "ViT_H_14_Weights", "vit_b_16", "vit_b_32", "vit_l_16",
           "vit_l_32", "vit_h_14"]


_assert = ember._assert  # (torch._assert: FX records it, where ``assert`` would fail a trace)


class ConvStemConfig(NamedTuple):
    """One ``Conv2dNormActivation`` of a convolutional stem (Xiao et al., 2021)."""

    out_channels: int
    kernel_size: int
    stride: int
    norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d
    activation_layer: Callable[..., nn.Module] = nn.ReLU


class MLPBlock(MLP):
    """Transformer MLP block: Linear, GELU, Dropout, Linear, Dropout."""

    _version = 2

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float):
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None,
                         dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def _upgrade_state_dict(self, state_dict, prefix, version):
        if version is None or version < 2:  # before torchvision 0.14: linear_1, linear_2
            for i in range(2):
                for kind in ("weight", "bias"):
                    old = f"{prefix}linear_{i + 1}.{kind}"
                    if old in state_dict:
                        state_dict[f"{prefix}{3 * i}.{kind}"] = state_dict.pop(old)
        return super()._upgrade_state_dict(state_dict, prefix, version)


class EncoderBlock(nn.Module):
    """Transformer encoder block: ``x + attn(ln_1(x))``, then ``+ mlp(ln_2(.))``."""

    def __init__(self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float,
                 attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input):
        _assert(input.dim() == 3,
                f"Expected (batch_size, seq_length, hidden_dim) got {input.shape}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x)
        x = x + input
        y = self.ln_2(x)
        y = self.mlp(y)
        return x + y


class Encoder(nn.Module):
    """Positional embedding, dropout, ``num_layers`` encoder blocks and a final norm."""

    def __init__(self, seq_length: int, num_layers: int, num_heads: int, hidden_dim: int,
                 mlp_dim: int, dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        # batch first (batch_first=True in the attention)
        self.pos_embedding = nn.Parameter(
            ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))  # from BERT
        self.dropout = nn.Dropout(dropout)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        for i in range(num_layers):
            layers[f"encoder_layer_{i}"] = EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                        attention_dropout, norm_layer)
        self.layers = nn.Sequential(layers)
        self.ln = norm_layer(hidden_dim)

    def forward(self, input):
        _assert(input.dim() == 3,
                f"Expected (batch_size, seq_length, hidden_dim) got {input.shape}")
        input = input + self.pos_embedding
        return self.ln(self.layers(self.dropout(input)))


class VisionTransformer(nn.Module):
    """Vision Transformer as per https://arxiv.org/abs/2010.11929.

    ``representation_size`` adds a Linear + Tanh ``pre_logits`` layer before ``head``;
    ``conv_stem_configs`` replaces the patch convolution by a convolutional stem
    (https://arxiv.org/abs/2106.14881) ending in a 1x1 ``conv_last``.
    """

    def __init__(self, image_size: int, patch_size: int, num_layers: int, num_heads: int,
                 hidden_dim: int, mlp_dim: int, dropout: float = 0.0,
                 attention_dropout: float = 0.0, num_classes: int = 1000,
                 representation_size: int | None = None,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6),
                 conv_stem_configs: list[ConvStemConfig] | None = None):
        super().__init__()
        _assert(image_size % patch_size == 0, "Input shape indivisible by patch size!")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer

        if conv_stem_configs is not None:
            seq_proj = nn.Sequential()
            prev_channels = 3
            for i, cfg in enumerate(conv_stem_configs):
                seq_proj.add_module(f"conv_bn_relu_{i}", Conv2dNormActivation(
                    in_channels=prev_channels, out_channels=cfg.out_channels,
                    kernel_size=cfg.kernel_size, stride=cfg.stride, norm_layer=cfg.norm_layer,
                    activation_layer=cfg.activation_layer))
                prev_channels = cfg.out_channels
            seq_proj.add_module("conv_last", nn.Conv2d(in_channels=prev_channels,
                                                       out_channels=hidden_dim, kernel_size=1))
            self.conv_proj: nn.Module = seq_proj
        else:
            self.conv_proj = nn.Conv2d(in_channels=3, out_channels=hidden_dim,
                                       kernel_size=patch_size, stride=patch_size)

        seq_length = (image_size // patch_size) ** 2
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        seq_length += 1
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout, norm_layer)
        self.seq_length = seq_length

        heads_layers: OrderedDict[str, nn.Module] = OrderedDict()
        if representation_size is None:
            heads_layers["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads_layers["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads_layers["act"] = nn.Tanh()
            heads_layers["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads_layers)

        if isinstance(self.conv_proj, nn.Conv2d):  # the patchify stem
            k = self.conv_proj.kernel_size
            fan_in = self.conv_proj.in_channels * k[0] * k[1]
            nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
            if self.conv_proj.bias is not None:
                nn.init.zeros_(self.conv_proj.bias)
        elif isinstance(getattr(self.conv_proj, "conv_last", None), nn.Conv2d):
            last = self.conv_proj.conv_last  # the conv stem's last 1x1 convolution
            nn.init.normal_(last.weight, mean=0.0, std=math.sqrt(2.0 / last.out_channels))
            if last.bias is not None:
                nn.init.zeros_(last.bias)
        if hasattr(self.heads, "pre_logits") and isinstance(self.heads.pre_logits, nn.Linear):
            fan_in = self.heads.pre_logits.in_features
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.heads.pre_logits.bias)
        if isinstance(self.heads.head, nn.Linear):
            nn.init.zeros_(self.heads.head.weight)
            nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x):
        n, c, h, w = x.shape
        p = self.patch_size
        _assert(h == self.image_size,
                f"Wrong image height! Expected {self.image_size} but got {h}!")
        _assert(w == self.image_size,
                f"Wrong image width! Expected {self.image_size} but got {w}!")
        n_h, n_w = h // p, w // p
        x = self.conv_proj(x)  # (n, hidden_dim, n_h, n_w)
        x = x.reshape(n, self.hidden_dim, n_h * n_w)
        return x.permute(0, 2, 1)  # (n, seq, hidden_dim), as the attention expects

    @_hinted
    def forward(self, x: Tensor):
        x = self._process_input(x)
        n = x.shape[0]
        batch_class_token = self.class_token.expand(n, -1, -1)
        x = ember.cat([batch_class_token, x], dim=1)
        x = self.encoder(x)
        x = x[:, 0]  # the class token
        return self.heads(x)


def _vision_transformer(patch_size: int, num_layers: int, num_heads: int, hidden_dim: int,
                        mlp_dim: int, weights, progress: bool, **kwargs: Any) -> VisionTransformer:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
        assert weights.meta["min_size"][0] == weights.meta["min_size"][1]
        _ovewrite_named_param(kwargs, "image_size", weights.meta["min_size"][0])
    image_size = kwargs.pop("image_size", 224)
    model = VisionTransformer(image_size=image_size, patch_size=patch_size,
                              num_layers=num_layers, num_heads=num_heads, hidden_dim=hidden_dim,
                              mlp_dim=mlp_dim, **kwargs)
    return _load(model, weights, progress)


# -- weights -------------------------------------------------------------------------------------

_SWAG_RECIPE = "https://github.com/facebookresearch/SWAG"
_SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
# (torchvision's "_docs", said shortly)
_DEIT_DOCS = "Trained from scratch with a modified DeIT recipe (https://arxiv.org/abs/2012.12877)."
_E2E_DOCS = ("SWAG weights (https://arxiv.org/abs/2201.08371) fine-tuned end to end on "
             "ImageNet-1K.")
_LINEAR_DOCS = ("Frozen SWAG trunk (https://arxiv.org/abs/2201.08371) with a linear classifier "
                "trained on ImageNet-1K.")


def _vit_weights(file: str, num_params: int, size: int, acc1: float, acc5: float, ops: float,
                 file_size: float, docs: str, *, recipe: str, swag: bool = False,
                 resize: int | None = None) -> Weights:
    """torchvision's meta of a ViT checkpoint; SWAG ones resize bicubically to their size."""
    meta: dict[str, Any] = {"categories": _IMAGENET_CATEGORIES}
    if swag:
        meta["recipe"] = _SWAG_RECIPE
        meta["license"] = _SWAG_LICENSE
        transforms = partial(ImageClassification, crop_size=size, resize_size=size,
                             interpolation=InterpolationMode.BICUBIC)
    elif resize is None:
        transforms = partial(ImageClassification, crop_size=size)
    else:
        transforms = partial(ImageClassification, crop_size=size, resize_size=resize)
    meta.update({"recipe": recipe, "num_params": num_params, "min_size": (size, size),
                 "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}, "_ops": ops,
                 "_file_size": file_size, "_docs": docs})
    return Weights(url=_URL + file, transforms=transforms, meta=meta)


_REF = "https://github.com/pytorch/vision/tree/main/references/classification#"
_LC = "https://github.com/pytorch/vision/pull/5793"


class ViT_B_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vit_weights("vit_b_16-c867db91.pth", 86567656, 224, 81.072, 95.318, 17.564,
                                 330.285, _DEIT_DOCS, recipe=_REF + "vit_b_16")
    IMAGENET1K_SWAG_E2E_V1 = _vit_weights("vit_b_16_swag-9ac1b537.pth", 86859496, 384, 85.304,
                                          97.650, 55.484, 331.398, _E2E_DOCS,
                                          recipe=_SWAG_RECIPE, swag=True)
    IMAGENET1K_SWAG_LINEAR_V1 = _vit_weights("vit_b_16_lc_swag-4e70ced5.pth", 86567656, 224,
                                             81.886, 96.180, 17.564, 330.285, _LINEAR_DOCS,
                                             recipe=_LC, swag=True)
    DEFAULT = IMAGENET1K_V1


class ViT_B_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vit_weights("vit_b_32-d86f8d99.pth", 88224232, 224, 75.912, 92.466, 4.409,
                                 336.604, _DEIT_DOCS, recipe=_REF + "vit_b_32")
    DEFAULT = IMAGENET1K_V1


class ViT_L_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vit_weights(
        "vit_l_16-852ce7e3.pth", 304326632, 224, 79.662, 94.638, 61.555, 1161.023,
        "Trained from scratch with a variant of TorchVision's newer recipe.",
        recipe=_REF + "vit_l_16", resize=242)
    IMAGENET1K_SWAG_E2E_V1 = _vit_weights("vit_l_16_swag-4f3808c9.pth", 305174504, 512, 88.064,
                                          98.512, 361.986, 1164.258, _E2E_DOCS,
                                          recipe=_SWAG_RECIPE, swag=True)
    IMAGENET1K_SWAG_LINEAR_V1 = _vit_weights("vit_l_16_lc_swag-4d563306.pth", 304326632, 224,
                                             85.146, 97.422, 61.555, 1161.023, _LINEAR_DOCS,
                                             recipe=_LC, swag=True)
    DEFAULT = IMAGENET1K_V1


class ViT_L_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vit_weights("vit_l_32-c7638314.pth", 306535400, 224, 76.972, 93.07, 15.378,
                                 1169.449, _DEIT_DOCS, recipe=_REF + "vit_l_32")
    DEFAULT = IMAGENET1K_V1


class ViT_H_14_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = _vit_weights("vit_h_14_swag-80465313.pth", 633470440, 518, 88.552,
                                          98.694, 1016.717, 2416.643, _E2E_DOCS,
                                          recipe=_SWAG_RECIPE, swag=True)
    IMAGENET1K_SWAG_LINEAR_V1 = _vit_weights("vit_h_14_lc_swag-c1eb923e.pth", 632045800, 224,
                                             85.708, 97.730, 167.295, 2411.209, _LINEAR_DOCS,
                                             recipe=_LC, swag=True)
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


def _builder(arch: str, weights_enum, legacy, patch_size: int, num_layers: int,
             num_heads: int, hidden_dim: int, mlp_dim: int):
    @handle_legacy_interface(legacy)
    def build(*, weights=None, progress: bool = True, **kwargs) -> VisionTransformer:
        weights = weights_enum.verify(weights)
        return _vision_transformer(patch_size, num_layers, num_heads, hidden_dim, mlp_dim,
                                   weights, progress, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = (f"{arch} from `An Image is Worth 16x16 Words: Transformers for Image "
                     "Recognition at Scale <https://arxiv.org/abs/2010.11929>`_.\n\n    "
                     f"``weights``: ``{weights_enum.__name__}`` member or name, or None; "
                     "``image_size`` (224), ``num_classes``, ``dropout``, "
                     "``representation_size``, ``conv_stem_configs`` and other keywords go to "
                     ":class:`VisionTransformer`.")
    return build


vit_b_16 = _builder("vit_b_16", ViT_B_16_Weights, ViT_B_16_Weights.IMAGENET1K_V1, 16, 12, 12,
                    768, 3072)
vit_b_32 = _builder("vit_b_32", ViT_B_32_Weights, ViT_B_32_Weights.IMAGENET1K_V1, 32, 12, 12,
                    768, 3072)
vit_l_16 = _builder("vit_l_16", ViT_L_16_Weights, ViT_L_16_Weights.IMAGENET1K_V1, 16, 24, 16,
                    1024, 4096)
vit_l_32 = _builder("vit_l_32", ViT_L_32_Weights, ViT_L_32_Weights.IMAGENET1K_V1, 32, 24, 16,
                    1024, 4096)
vit_h_14 = _builder("vit_h_14", ViT_H_14_Weights, None, 14, 32, 16, 1280, 5120)


def interpolate_embeddings(image_size: int, patch_size: int, model_state,
                           interpolation_mode: str = "bicubic", reset_heads: bool = False):
    """``model_state`` with ``encoder.pos_embedding`` resized (on its 2-D grid, the class
    token's kept) for ``image_size``; ``reset_heads`` drops the ``heads`` entries."""
    pos_embedding = model_state["encoder.pos_embedding"]
    n, seq_length, hidden_dim = pos_embedding.shape
    if n != 1:
        raise ValueError(f"Unexpected position embedding shape: {pos_embedding.shape}")
    new_seq_length = (image_size // patch_size) ** 2 + 1
    if new_seq_length != seq_length:
        seq_length -= 1
        new_seq_length -= 1
        pos_embedding_token = pos_embedding[:, :1, :]
        pos_embedding_img = pos_embedding[:, 1:, :].permute(0, 2, 1)
        seq_length_1d = int(math.sqrt(seq_length))
        if seq_length_1d * seq_length_1d != seq_length:
            raise ValueError(
                "seq_length is not a perfect square! Instead got seq_length_1d * seq_length_1d "
                f"= {seq_length_1d * seq_length_1d } and seq_length = {seq_length}")
        pos_embedding_img = pos_embedding_img.reshape(1, hidden_dim, seq_length_1d,
                                                      seq_length_1d)
        new_img = nn.functional.interpolate(pos_embedding_img, size=image_size // patch_size,
                                            mode=interpolation_mode, align_corners=True)
        new_img = new_img.reshape(1, hidden_dim, new_seq_length).permute(0, 2, 1)
        model_state["encoder.pos_embedding"] = ember.cat([pos_embedding_token, new_img], dim=1)
        if reset_heads:
            model_state = OrderedDict((k, v) for k, v in model_state.items()
                                      if not k.startswith("heads"))
    return model_state
