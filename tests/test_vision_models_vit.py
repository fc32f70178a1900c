"""Vision Transformer (``models.vit_*``) against torchvision 0.29.1.

CI has no torchvision, so the references are literals captured from it: with
/tmp/tvenv (torch 2.14.1 + torchvision 0.29.1), ``torch.manual_seed(0)``, the same
constructor call, then ``fingerprint(model)`` below (a SHA-256 over the state dict's keys,
dtypes, shapes and bytes, in key order, and one over ``repr(model)``), and for the forward
checks the outputs on ``_input(size)`` after the head and class token were redrawn with
``torch.manual_seed(1)`` + ``nn.init.normal_`` (the head starts at zero), in eval mode.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn
from ember.vision import models
from ember.vision.models import vision_transformer as vt


def fingerprint(model) -> tuple[str, str]:
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        a = v.detach().numpy()
        h.update(k.encode())
        h.update(str(a.dtype).encode())
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest(), hashlib.sha256(repr(model).encode()).hexdigest()


def _input(size: int) -> np.ndarray:
    return np.random.default_rng(1).standard_normal((2, 3, size, size)).astype(np.float32)


def _forward(model, size: int) -> np.ndarray:
    ember.manual_seed(1)
    for name, p in model.named_parameters():
        if "head" in name or name.endswith("class_token"):
            nn.init.normal_(p)
    model.eval()
    with ember.no_grad():
        return model(ember.tensor(_input(size))).numpy()


def _small(**kw):
    args = dict(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=32,
                mlp_dim=64, num_classes=10)
    args.update(kw)
    return vt.VisionTransformer(**args)


def _small_stem():
    stem = [vt.ConvStemConfig(8, 3, 2), vt.ConvStemConfig(12, 3, 2), vt.ConvStemConfig(16, 3, 2)]
    return _small(num_heads=2, hidden_dim=16, mlp_dim=24, num_classes=5, representation_size=12,
                  conv_stem_configs=stem)


def test_vit_b_16_seeded_init_and_repr_are_torchvisions():
    ember.manual_seed(0)
    model = models.vit_b_16()
    assert fingerprint(model) == (
        "15099e14b728778521dd12fc7ba68351dffd98e73c41aaf22fc8ae123b07489a",
        "545d1bca20511ebbb8480fd727a455a7ca43a2c2107831f8bbc1953f6465455d")
    assert sum(p.numel() for p in model.parameters()) == \
        models.ViT_B_16_Weights.IMAGENET1K_V1.meta["num_params"]
    assert model.seq_length == 197 and model.encoder.pos_embedding.shape == (1, 197, 768)
    assert not model.heads.head.weight.any()  # the classifier starts at zero


# torchvision's outputs: every 2nd (10 classes) / 2nd (5 classes) value of the (2, n) logits
@pytest.mark.parametrize("build,size,sd,rep,shape,values", [
    (_small, 32, "7391a7888725c20118e27e9e11a4c71d93fb175932fe3bedebf118ba840b0cbc",
     "75d25aec25a067d7410f15693d8d24f06ac8a2eeaebe0d0b22596308191faa3e", (2, 10),
     [-0.22038328647613525, 0.7265603542327881, 5.5614447593688965, 4.665773391723633,
      -7.413183212280273]),
    (_small_stem, 32, "7ad761140585a5e79a7b950569f60fd413cf7c0c9d712cf31e43c1e42ea5dfdd",
     "fb96618f17fbba826bab7e5bb26b1cc58a83c5e4d6e481f6bd8ae454245c0158", (2, 5),
     [2.957651376724243, 1.303126335144043, -3.1268231868743896, -3.2770767211914062,
      0.10026049613952637]),
], ids=["small", "stem_and_representation"])
def test_small_vit_init_repr_and_forward(build, size, sd, rep, shape, values):
    ember.manual_seed(0)
    model = build()
    assert fingerprint(model) == (sd, rep)
    y = _forward(model, size)
    assert y.shape == shape
    step = max(1, y.size // 5)
    np.testing.assert_allclose(y.ravel()[::step][:5], values, rtol=1e-5, atol=2e-5)


def test_state_dict_layout_and_legacy_mlp_keys():
    model = _small(image_size=16, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=8,
                   num_classes=3)
    sd = model.state_dict()
    block = "encoder.layers.encoder_layer_0."
    assert list(sd) == [  # torchvision's keys, in its order
        "class_token", "conv_proj.weight", "conv_proj.bias", "encoder.pos_embedding",
        block + "ln_1.weight", block + "ln_1.bias", block + "self_attention.in_proj_weight",
        block + "self_attention.in_proj_bias", block + "self_attention.out_proj.weight",
        block + "self_attention.out_proj.bias", block + "ln_2.weight", block + "ln_2.bias",
        block + "mlp.0.weight", block + "mlp.0.bias", block + "mlp.3.weight",
        block + "mlp.3.bias", "encoder.ln.weight", "encoder.ln.bias", "heads.head.weight",
        "heads.head.bias"]
    assert sd._metadata[block + "mlp"] == {"version": 2}
    fresh = _small(image_size=16, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=8,
                   num_classes=3)
    fresh.load_state_dict(sd)
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].numpy())
    # a checkpoint from before torchvision 0.14 names the MLP's linears linear_1/linear_2
    old = OrderedDict((k.replace("mlp.0.", "mlp.linear_1.").replace("mlp.3.", "mlp.linear_2."),
                       v) for k, v in sd.items())
    old._metadata = OrderedDict(sd._metadata)
    old._metadata[block + "mlp"] = {"version": 1}
    again = _small(image_size=16, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=8,
                   num_classes=3)
    again.load_state_dict(old)
    np.testing.assert_array_equal(again.encoder.layers[0].mlp[3].weight.detach().numpy(),
                                  sd[block + "mlp.3.weight"].numpy())


def test_input_checks_and_training_step():
    ember.manual_seed(0)
    model = _small(image_size=16, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=16,
                   num_classes=3, dropout=0.1)
    with pytest.raises(AssertionError, match="Wrong image height! Expected 16 but got 24!"):
        model(ember.zeros(1, 3, 24, 16))
    with pytest.raises(AssertionError, match="indivisible by patch size"):
        _small(image_size=30)
    nn.init.normal_(model.heads.head.weight)
    x = ember.tensor(_input(16))
    loss = nn.functional.cross_entropy(model(x), ember.tensor([0, 2]))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    assert model.class_token.grad.abs().sum() > 0


def test_weights_enums_and_registry():
    W = models.ViT_B_16_Weights
    assert W.DEFAULT is W.IMAGENET1K_V1
    assert list(W.__members__) == ["IMAGENET1K_V1", "IMAGENET1K_SWAG_E2E_V1",
                                   "IMAGENET1K_SWAG_LINEAR_V1", "DEFAULT"]
    assert W.IMAGENET1K_V1.url == "https://download.pytorch.org/models/vit_b_16-c867db91.pth"
    e2e = W.IMAGENET1K_SWAG_E2E_V1
    assert e2e.meta["min_size"] == (384, 384) and e2e.meta["num_params"] == 86859496
    assert e2e.meta["license"] == "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
    assert e2e.meta["_metrics"]["ImageNet-1K"] == {"acc@1": 85.304, "acc@5": 97.650}
    t = e2e.transforms()
    assert (t.crop_size, t.resize_size, t.interpolation.value) == ([384], [384], "bicubic")
    t = models.ViT_L_16_Weights.DEFAULT.transforms()
    assert (t.crop_size, t.resize_size, t.interpolation.value) == ([224], [242], "bilinear")
    assert models.ViT_L_16_Weights.IMAGENET1K_SWAG_LINEAR_V1.meta["recipe"] == \
        "https://github.com/pytorch/vision/pull/5793"
    H = models.ViT_H_14_Weights
    assert H.DEFAULT is H.IMAGENET1K_SWAG_E2E_V1 and "IMAGENET1K_V1" not in H.__members__
    assert H.DEFAULT.meta["min_size"] == (518, 518) and H.DEFAULT.meta["_ops"] == 1016.717
    expected = {"vit_b_16": ("vit_b_16-c867db91.pth", 86567656),
                "vit_b_32": ("vit_b_32-d86f8d99.pth", 88224232),
                "vit_l_16": ("vit_l_16-852ce7e3.pth", 304326632),
                "vit_l_32": ("vit_l_32-c7638314.pth", 306535400),
                "vit_h_14": ("vit_h_14_swag-80465313.pth", 633470440)}
    assert models.list_models(include="vit_*") == sorted(expected)
    for name, (file, n) in expected.items():
        enum = models.get_model_weights(name)
        assert enum is getattr(models, "ViT" + name[3:].upper() + "_Weights")
        assert enum.DEFAULT.url.endswith("/" + file) and enum.DEFAULT.meta["num_params"] == n
        assert len(enum.DEFAULT.meta["categories"]) == 1000
    assert models.get_model_weights(models.vit_l_32) is models.ViT_L_32_Weights
    assert models.get_weight("ViT_B_32_Weights.IMAGENET1K_V1").meta["_ops"] == 4.409
    assert models.get_model_builder("ViT_B_32") is models.vit_b_32
    with pytest.raises(ValueError, match="expected value 384 but got 224"):
        models.vit_b_16(weights="IMAGENET1K_SWAG_E2E_V1", image_size=224)
    # vit_h_14 has no legacy weights: torchvision 0.29.1 refuses pretrained=True, unwarned
    with pytest.raises(ValueError, match="^No weights available for model vit_h_14$"):
        models.vit_h_14(pretrained=True, image_size=30)


def test_interpolate_embeddings():
    ember.manual_seed(3)
    model = _small(image_size=16, patch_size=4, num_layers=1, num_heads=2, hidden_dim=8,
                   mlp_dim=8, num_classes=3)
    sd = model.state_dict()
    new = vt.interpolate_embeddings(24, 4, OrderedDict(sd), reset_heads=True)
    pos = new["encoder.pos_embedding"]
    assert pos.shape == (1, 37, 8) and not any(k.startswith("heads") for k in new)
    np.testing.assert_array_equal(pos[:, :1].numpy(), sd["encoder.pos_embedding"][:, :1].numpy())
    grid = sd["encoder.pos_embedding"][:, 1:].permute(0, 2, 1).reshape(1, 8, 4, 4)
    ref = nn.functional.interpolate(grid, size=6, mode="bicubic", align_corners=True)
    np.testing.assert_array_equal(pos[:, 1:].numpy(),
                                  ref.reshape(1, 8, 36).permute(0, 2, 1).numpy())
    bigger = _small(image_size=24, patch_size=4, num_layers=1, num_heads=2, hidden_dim=8,
                    mlp_dim=8, num_classes=3)
    assert bigger.load_state_dict(new, strict=False).missing_keys == ["heads.head.weight",
                                                                      "heads.head.bias"]
