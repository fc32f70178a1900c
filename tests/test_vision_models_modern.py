"""ConvNeXt, RegNet, Swin Transformer and MNASNet (``ember.vision.models``) against
torchvision 0.29.1.

CI has no torchvision, so the references are literals captured from it: with /tmp/tvenv
(torch 2.14.1 + torchvision 0.29.1), ``torch.manual_seed(0)``, the same constructor call,
then ``fingerprint(model)`` (tests/test_vision_models_vit.py: SHA-256 of the state dict's
keys, dtypes, shapes and bytes in key order, and of ``repr(model)``), and for the forward
values the eval-mode output on ``_input(size)`` (Swin's ``head`` redrawn first with
``torch.manual_seed(1)`` + ``nn.init.normal_``), every ``size // 5``-th value of it.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember.vision import models
from ember.vision.models import convnext as cn, mnasnet as mn, regnet as rg
from ember.vision.models import swin_transformer as st

from test_vision_models_vit import _forward, fingerprint

# (sd sha256, repr sha256), torchvision's, for models built right after manual_seed(0)
FULL = {
    "convnext_tiny": ("d31d9c57bd28b6666f0ebf0760bee813c897129ca2b7071f329e989f570f08b7",
                      "a7b04350cb5cbfaf90c768359ccc6ea68dd4e78171e99520612f1856f1b1c7c7"),
    "regnet_y_400mf": ("27d677ca6f614cf4e6450fdc5f56909c96e3dd6f9c5b92f48ff1815009b57d47",
                       "ba1e9fc1bab2336920913ba1ea95cbdd20bbbd9480c36420a9977b5d39ab70b4"),
    "regnet_x_400mf": ("a76e900741a16627a8ad3c55af72f512d8fd5f38f7ccb103093f559e63c98f88",
                       "2bcfb0f057ea7eb3dbf7e4d478a2b57a52dd8d2dfde40bb7089e5cd88872e0bc"),
    "swin_t": ("bcceb8418ac8ee7f241f6e1d12b007980df1c2b8b9c96e97f626f16148a7c7d4",
               "615399ddc58d5fe1a0cccc71b8194a4238569315a6337825edf0e6d750040ca3"),
    "swin_v2_t": ("c2a2e6e2c145f174a57cbef5916c3d78dba8ad429905d756543d8b4f4fda1f92",
                  "e128146d1cd815b0b1b16de763574595f0b1c4ca988f820f756f363e7ea24590"),
    "mnasnet0_5": ("a0c540f6e92ff54e602696956c81649b89844778d7f6ac14f1785819e065bc2d",
                   "3ccc87c83bc492f763b57c2ff43c28b7ebf25d8549907042fb35ffdc4b1ba55d"),
}
# torchvision's (2, 1000) logits of those models on _input(64), every 400th value (ConvNeXt's
# and Swin V2's forward passes are checked on the small configurations below, to save time)
FULL_OUT = {
    "regnet_y_400mf": [0.01047687977552414, -0.0008770721033215523, -0.028265442699193954,
                       -0.0018532550893723965, 0.019644688814878464],
    "regnet_x_400mf": [-0.02830822393298149, -0.0593833290040493, 0.04392281174659729,
                       -0.02422049082815647, -0.0012764614075422287],
    "swin_t": [-8.587520599365234, 4.1000847816467285, -3.3287911415100098, 5.079143524169922,
               -29.098337173461914],
}


def _check_values(y, values):
    step = max(1, y.size // 5)
    scale = max(abs(v) for v in values)
    np.testing.assert_allclose(y.ravel()[::step][:5], values, rtol=1e-4, atol=2e-5 * scale)


@pytest.mark.parametrize("name", list(FULL))
def test_smallest_of_each_family_is_torchvisions(name):
    ember.manual_seed(0)
    model = getattr(models, name)()
    assert fingerprint(model) == FULL[name]
    assert sum(p.numel() for p in model.parameters()) == \
        models.get_model_weights(name).DEFAULT.meta["num_params"]
    if name in FULL_OUT:
        y = _forward(model, 64)
        assert y.shape == (2, 1000)
        _check_values(y, FULL_OUT[name])


def _small_convnext():
    return cn.ConvNeXt([cn.CNBlockConfig(8, 16, 1), cn.CNBlockConfig(16, None, 2)],
                       stochastic_depth_prob=0.2, layer_scale=0.5, num_classes=7)


def _small_regnet():
    params = rg.BlockParams.from_init_params(depth=4, w_0=16, w_a=8.0, w_m=2.0, group_width=8,
                                             se_ratio=0.25)
    return rg.RegNet(params, num_classes=5, stem_width=8)


def _small_swin():  # 20 px: 5x5 patches in windows of 2, so padding, shifts and masks
    return st.SwinTransformer([4, 4], 8, [2, 2], [2, 4], [2, 2], num_classes=5)


def _small_swin_v2():
    return st.SwinTransformer([4, 4], 8, [2, 2], [2, 4], [3, 3], num_classes=5,
                              block=st.SwinTransformerBlockV2,
                              downsample_layer=st.PatchMergingV2)


SMALL = {
    "convnext": (_small_convnext, 32,
                 "8d7f81e51b0572d64f29ec0b34b9ad24c672acce40d9c524ac42c1222cd45217",
                 "913d8d5be0e11b1682671b33218960dd11badf15c76721d146227cefddf313e5",
                 [-0.1000806912779808, -0.013046098873019218, -0.07691163569688797,
                  0.14543578028678894, 0.017773669213056564]),
    "regnet": (_small_regnet, 32,
               "52a16d3fc9f76f9a476f1b5ac896d43583d0c927a9f61b4b9aa8d7103fc70bcb",
               "2ff44a13385fe3b9b6082484bc527536fdb1f4c24cd9d99c25ad64dd192919dc",
               [0.02087365835905075, 0.001997013110667467, -0.006266697309911251,
                0.011389002203941345, -0.014030644670128822]),
    "swin": (_small_swin, 20,
             "60f9c8f248e58e23a1541e06e07c22a62c84f69c7fad3e754ebca474ce5d6a52",
             "71950b73fa40d9b5c9d31e5e52c8445d3ab00eb6a7472f7c7165053e6ee7eff7",
             [-1.2687177658081055, -0.5047463178634644, -1.9073700904846191,
              0.9866654872894287, 2.102945327758789]),
    "swin_v2": (_small_swin_v2, 28,
                "c123d5a0a70fab0aa1448fb19bc1fa4c406147a65bb585703514ffc31a679c30",
                "3e59113ab6927b5419c36af231ad1a429ce6462409add7c15490b7d3a290ca68",
                [1.9771761894226074, -1.0695399045944214, -1.6965086460113525,
                 0.8477054238319397, 0.5135098695755005]),
}


@pytest.mark.parametrize("name", list(SMALL))
def test_small_configs_init_repr_forward_and_training(name):
    build, size, sd, rep, values = SMALL[name]
    ember.manual_seed(0)
    model = build()
    assert fingerprint(model) == (sd, rep)
    _check_values(_forward(model, size), values)
    # a training step reaches every parameter, with stochastic depth drawing its masks
    model.train()
    x = ember.tensor(np.random.default_rng(2).standard_normal((3, 3, size, size))
                     .astype(np.float32))
    ember.manual_seed(4)
    loss = model(x).square().mean()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    # and the state dict goes round the checkpoint layout
    state = OrderedDict((k, v.clone()) for k, v in model.state_dict().items())
    ember.manual_seed(9)
    fresh = build()
    fresh.load_state_dict(state)
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), state[k].numpy(), err_msg=k)


def test_regnet_block_params_match_torchvision():
    # torchvision's BlockParams.from_init_params(...) depths, widths, group widths
    cases = [
        (dict(depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25),
         [1, 3, 6, 6], [48, 104, 208, 440], [8, 8, 8, 8]),
        (dict(depth=27, w_0=456, w_a=160.83, w_m=2.52, group_width=264, se_ratio=0.25),
         [2, 7, 17, 1], [528, 1056, 2904, 7392], [264, 264, 264, 264]),
        (dict(depth=25, w_0=88, w_a=26.31, w_m=2.25, group_width=48),
         [2, 6, 15, 2], [96, 192, 432, 1008], [48, 48, 48, 48]),
        (dict(depth=23, w_0=80, w_a=49.56, w_m=2.88, group_width=120),
         [2, 5, 15, 1], [80, 240, 720, 1920], [80, 120, 120, 120]),
        (dict(depth=4, w_0=16, w_a=8.0, w_m=2.0, group_width=8, se_ratio=0.25,
              bottleneck_multiplier=0.5), [1, 3], [16, 32], [8, 8]),
    ]
    for kwargs, depths, widths, groups in cases:
        p = rg.BlockParams.from_init_params(**kwargs)
        assert (p.depths, p.widths, p.group_widths) == (depths, widths, groups)
        assert p.strides == [2] * len(depths) and p.se_ratio == kwargs.get("se_ratio")
        assert p.bottleneck_multipliers == [kwargs.get("bottleneck_multiplier", 1.0)] * \
            len(depths)
    with pytest.raises(ValueError, match="Invalid RegNet settings"):
        rg.BlockParams.from_init_params(depth=3, w_0=12, w_a=1, w_m=2, group_width=8)


def test_convnext_pieces():
    assert repr(cn.CNBlockConfig(96, None, 3)) == \
        "CNBlockConfig(input_channels=96, out_channels=None, num_layers=3)"
    with pytest.raises(ValueError, match="block_setting should not be empty"):
        cn.ConvNeXt([])
    with pytest.raises(TypeError, match=r"List\[CNBlockConfig\]"):
        cn.ConvNeXt([(8, 16, 1)])
    torch = pytest.importorskip("torch")
    norm = cn.LayerNorm2d(6, eps=1e-6)
    ember.manual_seed(1)
    ember.nn.init.normal_(norm.weight)
    ember.nn.init.normal_(norm.bias)
    x = np.random.default_rng(3).standard_normal((2, 6, 3, 5)).astype(np.float32)
    ref = torch.nn.functional.layer_norm(torch.tensor(x).permute(0, 2, 3, 1), (6,),
                                         torch.tensor(norm.weight.detach().numpy()),
                                         torch.tensor(norm.bias.detach().numpy()), 1e-6)
    np.testing.assert_allclose(norm(ember.tensor(x)).detach().numpy(),
                               ref.permute(0, 3, 1, 2).numpy(), rtol=1e-6, atol=1e-6)


def test_swin_attention_pieces():
    attn = st.ShiftedWindowAttention(8, [3, 2], [1, 1], 2)
    # one table row per relative offset, row index (dh + 2) * 3 + (dw + 1)
    idx = attn.relative_position_index.numpy()
    assert idx.dtype == np.int64 and idx.shape == (36,)
    pos = [(h, w) for h in range(3) for w in range(2)]
    assert idx.tolist() == [(a[0] - b[0] + 2) * 3 + (a[1] - b[1] + 1) for a in pos for b in pos]
    with pytest.raises(ValueError, match="must be of length 2"):
        st.ShiftedWindowAttention(8, [7], [0, 0], 2)
    v2 = st.ShiftedWindowAttentionV2(8, [2, 2], [0, 0], 2)
    assert not v2.qkv.bias[8:16].any() and v2.qkv.bias[:8].any()  # the key bias starts at 0
    table = v2.relative_coords_table
    assert table.shape == (1, 3, 3, 2)
    expect = np.sign([-1.0, 0.0, 1.0]) * np.log2(8 * np.abs([-1.0, 0.0, 1.0]) + 1) / 3
    np.testing.assert_allclose(table[0, :, 0, 0].numpy(), expect, rtol=1e-6)
    merge = st.PatchMerging(4)
    x = ember.arange(2 * 5 * 3 * 4, dtype=ember.float32).reshape(2, 5, 3, 4)
    assert merge(x).shape == (2, 3, 2, 8)  # odd sizes padded
    cat = st._patch_merging_pad(x)
    np.testing.assert_array_equal(cat[0, 0, 0].numpy(),
                                  np.concatenate([x[0, 0, 0].numpy(), x[0, 1, 0].numpy(),
                                                  x[0, 0, 1].numpy(), x[0, 1, 1].numpy()]))


def test_weights_enums_and_registry():
    # (``module`` filters by package, as torchvision's: a model file's module lists none)
    assert models.list_models(models.convnext) == []
    assert models.list_models(include="convnext*") == ["convnext_base", "convnext_large",
                                                       "convnext_small", "convnext_tiny"]
    assert len(models.list_models(include="regnet*")) == 15
    assert models.list_models(models, include="swin*") == ["swin_b", "swin_s", "swin_t",
                                                   "swin_v2_b", "swin_v2_s", "swin_v2_t"]
    assert models.list_models(include="regnet_x_*")[:2] == ["regnet_x_16gf", "regnet_x_1_6gf"]
    base = "https://download.pytorch.org/models/"
    expected = {  # (DEFAULT's file, num_params, crop, resize, interpolation, acc@1)
        "convnext_tiny": ("convnext_tiny-983f1562.pth", 28589128, 224, 236, "bilinear", 82.52),
        "convnext_large": ("convnext_large-ea097f82.pth", 197767336, 224, 232, "bilinear",
                           84.414),
        "regnet_y_400mf": ("regnet_y_400mf-e6988f5f.pth", 4344144, 224, 232, "bilinear",
                           75.804),
        "regnet_y_128gf": ("regnet_y_128gf_swag-c8ce3e52.pth", 644812894, 384, 384, "bicubic",
                           88.228),
        "regnet_x_32gf": ("regnet_x_32gf-6eb8fdc6.pth", 107811560, 224, 232, "bilinear",
                          83.014),
        "swin_t": ("swin_t-704ceda3.pth", 28288354, 224, 232, "bicubic", 81.474),
        "swin_v2_b": ("swin_v2_b-781e5279.pth", 87930848, 256, 272, "bicubic", 84.112),
    }
    for name, (file, n, crop, resize, interp, acc1) in expected.items():
        w = models.get_model_weights(name).DEFAULT
        assert w.url == base + file and w.meta["num_params"] == n
        assert w.meta["_metrics"]["ImageNet-1K"]["acc@1"] == acc1
        t = w.transforms()
        assert (t.crop_size, t.resize_size, t.interpolation.value) == ([crop], [resize], interp)
    R = models.RegNet_Y_16GF_Weights
    assert list(R.__members__) == ["IMAGENET1K_V1", "IMAGENET1K_V2", "IMAGENET1K_SWAG_E2E_V1",
                                   "IMAGENET1K_SWAG_LINEAR_V1", "DEFAULT"]
    assert R.DEFAULT is R.IMAGENET1K_V2
    assert R.IMAGENET1K_V1.meta["recipe"].endswith("classification#large-models")
    assert R.IMAGENET1K_SWAG_LINEAR_V1.meta["license"].endswith("SWAG/blob/main/LICENSE")
    assert models.RegNet_X_400MF_Weights.IMAGENET1K_V2.meta["recipe"] == \
        "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres"
    assert models.RegNet_X_400MF_Weights.IMAGENET1K_V2.meta["_file_size"] == 21.257
    assert models.Swin_V2_S_Weights.DEFAULT.meta["recipe"].endswith("#swintransformer-v2")
    assert models.Swin_S_Weights.DEFAULT.meta["min_size"] == (224, 224)
    assert models.ConvNeXt_Base_Weights.DEFAULT.meta["min_size"] == (32, 32)
    assert models.get_weight("RegNet_Y_32GF_Weights.IMAGENET1K_SWAG_E2E_V1").meta["_ops"] == \
        94.826
    assert models.get_model_builder("swin_v2_t") is models.swin_v2_t
    with pytest.raises(ValueError, match="expected value 1000 but got 10"):
        models.convnext_tiny(weights="DEFAULT", num_classes=10)
    with pytest.raises(TypeError):  # the V2 builders fix the block, as torchvision's
        models.swin_v2_t(block=st.SwinTransformerBlock)
    # regnet_y_128gf has no legacy weights: torchvision 0.29.1 refuses pretrained=True
    with pytest.raises(ValueError, match="^No weights available for model regnet_y_128gf$"):
        models.regnet_y_128gf(pretrained=True, w_0=8)


def test_mnasnet_forward_and_versioned_checkpoints():
    ember.manual_seed(0)
    model = models.mnasnet0_5(num_classes=10)
    # torchvision's logits on _input(64) (untrained: tiny, but compared relative to scale)
    _check_values(_forward(model, 64),
                  [5.53193046926026e-10, 1.1605476402110071e-07, 2.2160226365031122e-07,
                   -1.932313864472235e-08, 9.940068679270553e-08])
    assert mn._get_depths(0.75) == [24, 16, 24, 32, 64, 72, 144, 240]
    assert (mn._round_to_multiple_of(83, 8), mn._round_to_multiple_of(84, 8)) == (80, 88)
    with pytest.raises(ValueError, match="alpha should be greater than 0.0 instead of 0"):
        mn.MNASNet(0)
    # a version-1 checkpoint (32/16-wide stem whatever alpha) rebuilds the stem, as in
    # torchvision: the same modules drawn from the same generator, then saved as version 1
    ember.manual_seed(0)
    old = models.mnasnet0_5()
    with pytest.warns(UserWarning, match="A new version of MNASNet model has been"):
        old._upgrade_state_dict({}, "", 1)
    assert fingerprint(old) == (
        "2fb01594db58d96bb6230d2cf1de7a2cfde0b8d9c11ae723ea81fd06922607af",
        "d6fb55d30bc6834b6214be5b6d92bc469c398a96767babf6c76f29e199dc88fd")
    sd = old.state_dict()
    assert sd._metadata[""] == {"version": 1}
    with pytest.raises(ValueError, match="version should be set to 1 or 2 instead of None"):
        models.mnasnet0_5().load_state_dict(dict(sd))  # NOTE: torchvision refuses it too
    fresh = models.mnasnet0_5()
    with pytest.warns(UserWarning, match="previous version"):
        fresh.load_state_dict(sd)
    assert fresh._version == 1 and fresh.layers[0].out_channels == 32
    np.testing.assert_array_equal(fresh.layers[8][0].layers[0].weight.detach().numpy(),
                                  sd["layers.8.0.layers.0.weight"].numpy())
    W = models.MNASNet0_75_Weights.DEFAULT
    assert W.url.endswith("/mnasnet0_75-7090bc5f.pth")
    assert W.meta["recipe"] == "https://github.com/pytorch/vision/pull/6019"
    assert W.transforms().resize_size == [232]
    assert models.MNASNet1_0_Weights.DEFAULT.url.endswith(
        "/mnasnet1.0_top1_73.512-f206786ef8.pth")
    assert models.list_models(include="mnasnet*") == ["mnasnet0_5", "mnasnet0_75",
                                                       "mnasnet1_0", "mnasnet1_3"]
