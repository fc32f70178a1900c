"""torchvision's Inception v3, MaxViT and segmentation models (FCN, DeepLabV3, LR-ASPP).

torchvision is not installed where the tests run, so each seeded model is compared with
facts recorded from torchvision 0.29.1 (torch 2.14.1) for the same seed and
configuration: sha256 prefixes of ``repr(model)``, of the state dict's
``key:shape:dtype`` list and of its tensors' bytes (bit-for-bit init), and the sum, absolute
sum and first values of eval-mode outputs for a seeded ``randn`` input.  The MaxViT
attention is also checked against a torch re-statement of it.
"""
from __future__ import annotations

import copy
import hashlib
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember.vision import models
from ember.vision.models import segmentation
from ember.vision.models._utils import IntermediateLayerGetter
from ember.vision.models.maxvit import MaxVit, RelativePositionalMultiHeadAttention

torch = pytest.importorskip("torch")

# Recorded with /tmp/tvenv (torchvision 0.29.1): for each case, torch.manual_seed(0), build,
# hash; then torch.manual_seed(1), x = torch.randn(shape), model.eval()(x).
# out: {key: [shape, sum, abs-sum, first three values]}.  weights: [name, url,
# hash of sorted (key, repr(value)) of meta, repr(transforms())].
GOLDEN = {'inception_v3': {'repr': '1ad0ac8f1ccb2b6a0a5e218617196937',
                  'keys': 'f6af36fbb2c7204916987787e61a028c',
                  'bytes': '2274d34ef241d197bb8c607ed6e2f616',
                  'n': 580,
                  'out': {'y': [[1, 1000], 573202478.0, 32204849400.0,
                                [-55797360.0, -33605240.0, -17523566.0]]}},
 'maxvit_t': {'repr': '258cce5fddb0b5d114b81facee6f8983',
              'keys': '2a0ab0bf6ec3ec9b80ccc824c9f8b599',
              'bytes': 'af215c77a54210d307a02f26f130d33f',
              'n': 582},
 'maxvit_small': {'repr': '049894bd78a9bf0f46df6518986afee4',
                  'keys': '278add6d457ae3c0bd026a4d2be0c019',
                  'bytes': 'ef9a31adc00ed788dbc210fc9d76f0bb',
                  'n': 117,
                  'out': {'y': [[2, 5], 0.0041334203, 0.091355101,
                                [0.0128291082, -0.0140723065, 0.0219515972]]}},
 'fcn_resnet50': {'repr': '2a5da6bae8e0139ac2ce01f69225cb7e',
                  'keys': 'efe43a93a7c9da878e8dc9ec254c3ed8',
                  'bytes': '71679e75812a988334fc2725409b2fb7',
                  'n': 334,
                  'out': {'out': [[1, 21, 64, 64], 34235.0492, 298818.946,
                                  [0.0422691107, 0.0422691107, 0.0422691107]],
                          'aux': [[1, 21, 64, 64], 10252.2844, 222511.246,
                                  [-2.80611539, -2.80611539, -2.80611539]]}},
 'deeplabv3_mobilenet_v3_large': {'repr': '0f239ebd33e00f21c39405beac54ff2a',
                                  'keys': '3194cf16144b484c4e56503a9cae32a7',
                                  'bytes': '624af38569ebd800f5a3f8aedcf1deaf',
                                  'n': 360,
                                  'out': {'out': [[1, 21, 64, 64], -186.746793, 3012.43826,
                                                  [-0.0377783328, -0.0377783328,
                                                   -0.0377783328]],
                                          'aux': [[1, 21, 64, 64], -1610.90308, 11102.0879,
                                                  [0.101009443, 0.101009443, 0.101009443]]}},
 'lraspp_mobilenet_v3_large': {'repr': '77152ae4f216ac3f60e4ae92e7a39959',
                               'keys': '3c6c5975de718f93592459916fff8d79',
                               'bytes': 'd2bdc50be1d17cdaa64bce6fa87edca9',
                               'n': 319,
                               'out': {'out': [[1, 4, 64, 64], 852.177181, 1032.98024,
                                               [-0.0105613209, -0.0105613209, -0.0105613209]]}},
 'weights': {'Inception_V3_Weights': ['IMAGENET1K_V1',
                                      'https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth',
                                      '80a2094c2960fdbfdedbd8abe8295da1',
                                      'ImageClassification(\n'
                                      '    crop_size=[299]\n'
                                      '    resize_size=[342]\n'
                                      '    mean=[0.485, 0.456, 0.406]\n'
                                      '    std=[0.229, 0.224, 0.225]\n'
                                      '    interpolation=InterpolationMode.BILINEAR\n'
                                      ')'],
             'MaxVit_T_Weights': ['IMAGENET1K_V1',
                                  'https://download.pytorch.org/models/maxvit_t-bc5ab103.pth',
                                  '780a8ac71f26aa02be9a94820c3246e1',
                                  'ImageClassification(\n'
                                  '    crop_size=[224]\n'
                                  '    resize_size=[224]\n'
                                  '    mean=[0.485, 0.456, 0.406]\n'
                                  '    std=[0.229, 0.224, 0.225]\n'
                                  '    interpolation=InterpolationMode.BICUBIC\n'
                                  ')'],
             'FCN_ResNet50_Weights': ['COCO_WITH_VOC_LABELS_V1',
                                      'https://download.pytorch.org/models/fcn_resnet50_coco-1167a1af.pth',
                                      'bab12d13add049af4f9876ac3e608aa8',
                                      'SemanticSegmentation(\n'
                                      '    resize_size=[520]\n'
                                      '    mean=[0.485, 0.456, 0.406]\n'
                                      '    std=[0.229, 0.224, 0.225]\n'
                                      '    interpolation=InterpolationMode.BILINEAR\n'
                                      ')'],
             'FCN_ResNet101_Weights': ['COCO_WITH_VOC_LABELS_V1',
                                       'https://download.pytorch.org/models/fcn_resnet101_coco-7ecb50ca.pth',
                                       '537a4af1d5095fafdaa6f37ca2887add',
                                       'SemanticSegmentation(\n'
                                       '    resize_size=[520]\n'
                                       '    mean=[0.485, 0.456, 0.406]\n'
                                       '    std=[0.229, 0.224, 0.225]\n'
                                       '    interpolation=InterpolationMode.BILINEAR\n'
                                       ')'],
             'DeepLabV3_ResNet50_Weights': ['COCO_WITH_VOC_LABELS_V1',
                                            'https://download.pytorch.org/models/deeplabv3_resnet50_coco-cd0a2569.pth',
                                            'ba5026013a4c0a849e2739c1183983f3',
                                            'SemanticSegmentation(\n'
                                            '    resize_size=[520]\n'
                                            '    mean=[0.485, 0.456, 0.406]\n'
                                            '    std=[0.229, 0.224, 0.225]\n'
                                            '    interpolation=InterpolationMode.BILINEAR\n'
                                            ')'],
             'DeepLabV3_ResNet101_Weights': ['COCO_WITH_VOC_LABELS_V1',
                                             'https://download.pytorch.org/models/deeplabv3_resnet101_coco-586e9e4e.pth',
                                             '6f08868edb6512d4ea65b0075b315d75',
                                             'SemanticSegmentation(\n'
                                             '    resize_size=[520]\n'
                                             '    mean=[0.485, 0.456, 0.406]\n'
                                             '    std=[0.229, 0.224, 0.225]\n'
                                             '    interpolation=InterpolationMode.BILINEAR\n'
                                             ')'],
             'DeepLabV3_MobileNet_V3_Large_Weights': ['COCO_WITH_VOC_LABELS_V1',
                                                      'https://download.pytorch.org/models/deeplabv3_mobilenet_v3_large-fc3c493d.pth',
                                                      '23ab9041aff66e63c4e571d09b50ccab',
                                                      'SemanticSegmentation(\n'
                                                      '    resize_size=[520]\n'
                                                      '    mean=[0.485, 0.456, 0.406]\n'
                                                      '    std=[0.229, 0.224, 0.225]\n'
                                                      '    '
                                                      'interpolation=InterpolationMode.BILINEAR\n'
                                                      ')'],
             'LRASPP_MobileNet_V3_Large_Weights': ['COCO_WITH_VOC_LABELS_V1',
                                                   'https://download.pytorch.org/models/lraspp_mobilenet_v3_large-d234d4ea.pth',
                                                   'a156550e41ed93df790f3a04a810af5c',
                                                   'SemanticSegmentation(\n'
                                                   '    resize_size=[520]\n'
                                                   '    mean=[0.485, 0.456, 0.406]\n'
                                                   '    std=[0.229, 0.224, 0.225]\n'
                                                   '    '
                                                   'interpolation=InterpolationMode.BILINEAR\n'
                                                   ')']}}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _facts(m):
    sd = m.state_dict()
    hb = hashlib.sha256()
    for v in sd.values():
        hb.update(np.ascontiguousarray(v.detach().numpy()).tobytes())
    keys = ";".join(f"{k}:{tuple(v.shape)}:{str(v.dtype).replace('torch.', '')}"
                    for k, v in sd.items())
    return {"repr": _sha(repr(m)), "keys": _sha(keys), "bytes": hb.hexdigest()[:32],
            "n": len(sd)}


def _check(name, m, x_shape=None):
    gold = GOLDEN[name]
    got = _facts(m)
    for key in ("n", "keys", "repr", "bytes"):
        assert got[key] == gold[key], f"{name}: {key} differs from torchvision"
    if x_shape is None:
        return None
    ember.manual_seed(1)
    x = ember.randn(*x_shape)
    m.eval()
    with ember.no_grad():
        out = m(x)
    outs = dict(out) if isinstance(out, dict) else {"y": out}
    assert list(outs) == list(gold["out"])
    for k, (shape, total, abs_total, first) in gold["out"].items():
        y = outs[k].numpy().astype(np.float64)
        assert list(y.shape) == shape
        assert abs(y.sum() - total) <= 1e-5 * abs_total
        assert abs(np.abs(y).sum() - abs_total) <= 1e-5 * abs_total
        np.testing.assert_allclose(y.reshape(-1)[:3], first, rtol=1e-4,
                                   atol=1e-5 * abs_total / y.size)
    return outs


def _build(fn, **kwargs):
    ember.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(**kwargs)


# -- Inception v3 ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def inception():
    return _build(models.inception_v3, init_weights=True)


def test_inception_v3_matches_torchvision(inception):
    _check("inception_v3", inception, (1, 3, 75, 75))


def test_inception_v3_modes_and_options(inception):
    m = inception
    assert isinstance(m.AuxLogits, models.inception.InceptionAux)
    # the stddev tags torchvision sets: only the Linear's is read by the init loop
    assert m.AuxLogits.fc.stddev == 0.001 and m.AuxLogits.conv1.stddev == 0.01
    assert float(m.AuxLogits.fc.weight.detach().std()) == pytest.approx(0.001, rel=0.01)
    assert float(m.AuxLogits.conv1.conv.weight.detach().std()) == pytest.approx(0.1, rel=0.01)
    x = ember.randn(1, 3, 75, 75)
    m.eval()
    with ember.no_grad():
        plain = m(x)
        m.transform_input = True
        moved = m(x)
        scale = ember.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1) / 0.5
        shift = (ember.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1) - 0.5) / 0.5
        m.transform_input = False
        by_hand = m(x * scale + shift)
    assert not ember.equal(plain, moved)
    np.testing.assert_allclose(moved.numpy(), by_hand.numpy(), rtol=1e-4,
                               atol=1e-5 * float(by_hand.abs().max()))
    # training mode: (logits, aux) when the aux head runs; eager_outputs picks the type
    m.train()
    out = m.eager_outputs(plain, plain)
    assert isinstance(out, models.InceptionOutputs) and out._fields == ("logits", "aux_logits")
    m.aux_logits = False
    assert m.eager_outputs(plain, None) is plain
    m.aux_logits = True
    m.eval()
    assert m.eager_outputs(plain, None) is plain


def test_inception_v3_train_forward_returns_aux(inception):
    # A full training-mode pass needs 299x299 input (slow here), so the stem and the Mixed
    # blocks of a copy are replaced by identities: the 17x17x768 input then reaches AuxLogits
    # as Mixed_6e's output would.
    m = copy.deepcopy(inception)
    for name in ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
                 "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a",
                 "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b",
                 "Mixed_7c"]:
        setattr(m, name, ember.nn.Identity())
    m.fc = ember.nn.Linear(768, 7)
    x = ember.randn(2, 768, 17, 17)
    out = m.train()(x)
    assert type(out) is models.InceptionOutputs
    assert tuple(out.logits.shape) == (2, 7) and tuple(out.aux_logits.shape) == (2, 1000)
    out.aux_logits.sum().backward()
    assert m.AuxLogits.fc.weight.grad is not None and m.fc.weight.grad is None
    with ember.no_grad():
        assert tuple(m.eval()(x).shape) == (2, 7)
    m.AuxLogits, m.aux_logits = None, False
    with ember.no_grad():
        assert tuple(m.train()(x).shape) == (2, 7)


def test_inception_v3_errors_and_warnings():
    with pytest.raises(ValueError, match="length of inception_blocks should be 7"):
        models.Inception3(inception_blocks=[models.inception.BasicConv2d], init_weights=False)
    with pytest.warns(FutureWarning, match="inception_v3 will be changed"):
        with pytest.raises(ValueError):
            models.Inception3(inception_blocks=[], init_weights=None)
    with pytest.raises(ValueError, match="expected value 1000 but got 10"):
        models.inception_v3(weights="DEFAULT", num_classes=10)


# -- MaxViT ----------------------------------------------------------------------------------

def test_maxvit_t_matches_torchvision():
    m = _build(models.maxvit_t)
    _check("maxvit_t", m)
    assert m.blocks[3].layers[1].layers.MBconv.stochastic_depth.p == pytest.approx(0.2)
    assert isinstance(m.blocks[0].layers[0].layers.MBconv.stochastic_depth, ember.nn.Identity)


def test_small_maxvit_matches_torchvision():
    m = _build(MaxVit, input_size=(28, 28), stem_channels=8, partition_size=7,
               block_channels=[16], block_layers=[2], head_dim=8, stochastic_depth_prob=0.2,
               num_classes=5)
    _check("maxvit_small", m, (2, 3, 28, 28))
    m.train()
    out = m(ember.randn(2, 3, 28, 28))
    out.sum().backward()
    table = m.blocks[0].layers[0].layers.window_attention.attn_layer[1]
    assert table.relative_position_bias_table.grad is not None


def test_maxvit_attention_against_torch():
    ember.manual_seed(3)
    att = RelativePositionalMultiHeadAttention(16, 8, 9)
    idx = att.relative_position_index.numpy()
    assert idx.dtype == np.int64 and idx.shape == (9, 9) and idx.max() == 24
    x = ember.randn(2, 3, 9, 16)
    y = att(x)
    p = {k: torch.from_numpy(v.detach().numpy().copy()) for k, v in att.state_dict().items()}
    tx = torch.from_numpy(x.numpy().copy())
    q, k, v = (t.reshape(2, 3, 9, 2, 8).permute(0, 1, 3, 2, 4) for t in
               (tx @ p["to_qkv.weight"].T + p["to_qkv.bias"]).chunk(3, -1))
    bias = p["relative_position_bias_table"][p["relative_position_index"].view(-1)]
    bias = bias.view(9, 9, 2).permute(2, 0, 1)
    w = torch.softmax(torch.einsum("bghid,bghjd->bghij", q, k * 16 ** -0.5) + bias, -1)
    ref = torch.einsum("bghij,bghjd->bghid", w, v).permute(0, 1, 3, 2, 4).reshape(2, 3, 9, 16)
    ref = ref @ p["merge.weight"].T + p["merge.bias"]
    np.testing.assert_allclose(y.detach().numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="feat_dim: 10 must be divisible by head_dim: 4"):
        RelativePositionalMultiHeadAttention(10, 4, 9)


def test_maxvit_bad_input_size():
    with pytest.raises(ValueError, match=r"Input size \(8, 8\) of block 0 is not divisible"):
        MaxVit(input_size=(32, 32), stem_channels=8, partition_size=7, block_channels=[16],
               block_layers=[1], head_dim=8, stochastic_depth_prob=0.0)


# -- segmentation ----------------------------------------------------------------------------

def test_fcn_resnet50_matches_torchvision():
    m = _build(segmentation.fcn_resnet50, weights_backbone=None, aux_loss=True)
    _check("fcn_resnet50", m, (1, 3, 64, 64))
    assert type(m.backbone) is IntermediateLayerGetter
    assert list(m.backbone)[-1] == "layer4" and m.backbone.return_layers == {
        "layer4": "out", "layer3": "aux"}


def test_deeplabv3_mobilenet_v3_large_matches_torchvision():
    m = _build(segmentation.deeplabv3_mobilenet_v3_large, weights_backbone=None,
               aux_loss=True)
    outs = _check("deeplabv3_mobilenet_v3_large", m, (1, 3, 64, 64))
    assert isinstance(outs, dict)


def test_lraspp_matches_torchvision_and_rejects_aux():
    m = _build(segmentation.lraspp_mobilenet_v3_large, weights_backbone=None, num_classes=4)
    _check("lraspp_mobilenet_v3_large", m, (1, 3, 64, 64))
    out = m(ember.randn(2, 3, 40, 48))
    assert type(out) is OrderedDict and list(out) == ["out"]
    assert tuple(out["out"].shape) == (2, 4, 40, 48)
    with pytest.raises(NotImplementedError, match="does not use auxiliary loss"):
        segmentation.lraspp_mobilenet_v3_large(weights_backbone=None, aux_loss=True)


def test_segmentation_legacy_keywords_and_checks():
    with pytest.warns(UserWarning) as rec:
        m = segmentation.lraspp_mobilenet_v3_large(pretrained=False, pretrained_backbone=False)
    assert isinstance(m, segmentation.LRASPP)
    text = [str(w.message) for w in rec.list]
    assert "The parameter 'pretrained_backbone' is deprecated since 0.13 and may be removed " \
           "in the future, please use 'weights_backbone' instead." in text
    assert any("passing `weights_backbone=None`" in t for t in text)
    with pytest.raises(ValueError, match="'num_classes' expected value 21 but got 3"):
        segmentation.fcn_resnet50(weights="DEFAULT", num_classes=3)
    with pytest.raises(ValueError, match="'aux_loss' expected value True but got False"):
        segmentation.deeplabv3_resnet50(weights="DEFAULT", aux_loss=False)
    with pytest.raises(TypeError):
        segmentation.deeplabv3_resnet50(weights_backbone=None, dropout=0.1)


def test_intermediate_layer_getter():
    net = ember.nn.Sequential(OrderedDict([("a", ember.nn.Linear(4, 3)),
                                           ("b", ember.nn.ReLU()),
                                           ("c", ember.nn.Linear(3, 2))]))
    body = IntermediateLayerGetter(net, {"a": "first", "b": "second"})
    assert list(body.keys()) == ["a", "b"]  # "c" comes after the last one asked for
    x = ember.randn(5, 4)
    out = body(x)
    assert list(out) == ["first", "second"]
    np.testing.assert_array_equal(out["second"].detach().numpy(),
                                  net.b(net.a(x)).detach().numpy())
    with pytest.raises(ValueError, match="return_layers are not present in model"):
        IntermediateLayerGetter(net, {"d": "x"})


# -- weights enums and the registry ----------------------------------------------------------

def test_weights_enums_and_registry():
    enums = {**{n: getattr(models, n) for n in ("Inception_V3_Weights", "MaxVit_T_Weights")},
             **{n: getattr(segmentation, n) for n in segmentation.__all__
                if n.endswith("_Weights")}}
    assert sorted(enums) == sorted(GOLDEN["weights"])
    for name, (member, url, meta_hash, transforms) in GOLDEN["weights"].items():
        w = enums[name].DEFAULT
        assert (w.name, w.url) == (member, url)
        assert _sha(repr(sorted((k, repr(v)) for k, v in w.meta.items()))) == meta_hash, name
        assert repr(w.transforms()) == transforms
    for name in ("inception_v3", "maxvit_t", "fcn_resnet50", "fcn_resnet101",
                 "deeplabv3_resnet50", "deeplabv3_resnet101", "deeplabv3_mobilenet_v3_large",
                 "lraspp_mobilenet_v3_large"):
        assert name in models.list_models()
        assert models.get_model_weights(name).__name__.lower() == name + "_weights"
    assert models.list_models(module=segmentation) == sorted(
        n for n in segmentation.__all__ if n[0].islower())
    assert models.get_weight("MaxVit_T_Weights.IMAGENET1K_V1") is models.MaxVit_T_Weights.DEFAULT
