"""ember.vision.models.detection against torchvision 0.29.1.

torchvision is not installed here, so each scenario below was run once under torchvision
(the same functions, with ``torch``/``torchvision`` passed in) and its results are kept in
GOLDEN: sha256 prefixes of printed models and seeded state dicts (bit for bit), and a few
numbers of outputs and losses computed in float64 (where the two must agree to ~1e-9; in
float32 they agree to rounding, ~1e-5 relative, but detections near a threshold can flip).
"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

import ember
from ember import nn
from ember.vision import ops
from ember.vision.models import detection as D
from ember.vision.models.detection.rpn import AnchorGenerator

# fasterrcnn_resnet50_fpn at a small size with few proposals, so it runs in seconds
SMALL = dict(weights=None, weights_backbone=None, num_classes=3, min_size=64, max_size=96,
             rpn_pre_nms_top_n_test=100, rpn_post_nms_top_n_test=30,
             rpn_pre_nms_top_n_train=100, rpn_post_nms_top_n_train=30,
             rpn_batch_size_per_image=32, box_batch_size_per_image=16,
             box_detections_per_img=6)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _sd_sha(model) -> str:
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(str(tuple(v.shape)).encode())
        h.update(np.ascontiguousarray(v.detach().cpu().numpy()).tobytes())
    return h.hexdigest()[:16]


def _inputs(T, masks=False):
    T.manual_seed(1)
    imgs = [T.rand(3, 64, 80, dtype=T.float64), T.rand(3, 50, 70, dtype=T.float64)]
    targets = [dict(boxes=T.tensor([[5., 10., 35., 45.], [30., 15., 75., 60.]],
                                   dtype=T.float64), labels=T.tensor([1, 2])),
               dict(boxes=T.tensor([[3., 3., 25., 30.]], dtype=T.float64),
                    labels=T.tensor([2]))]
    if masks:
        for t, im in zip(targets, imgs):
            m = T.zeros(len(t["boxes"]), im.shape[1], im.shape[2], dtype=T.uint8)
            for i, b in enumerate(t["boxes"].long().tolist()):
                m[i, b[1]:b[3], b[0]:b[2]] = 1
            t["masks"] = m
    return imgs, targets


def _summary(dets):
    """Per image: count, then sums and the first entries of each output."""
    out = []
    for d in dets:
        row = [len(d["boxes"])]
        for k in sorted(d):
            v = d[k].detach().double()
            row += [float(v.sum())] + [float(x) for x in v.reshape(-1)[:3].tolist()]
        out.append(row)
    return out


def scen_faster_build(T, D):
    T.manual_seed(0)
    model = D.fasterrcnn_resnet50_fpn(**SMALL)
    return model, {"repr": _sha(repr(model).encode()), "sd": _sd_sha(model),
                   "frozen": [n for n, p in model.named_parameters() if not p.requires_grad]}


def scen_faster_run(T, model):
    model.double()
    imgs, targets = _inputs(T)
    model.eval()
    with T.no_grad():
        dets = model(imgs)
    model.train()
    T.manual_seed(5)
    losses = model(imgs, targets)
    return {"eval": _summary(dets), "keys": sorted(dets[0]),
            "losses": {k: float(v.detach()) for k, v in losses.items()}}


def scen_mask(T, D, nn, ops):
    """Mask R-CNN over a one-level toy backbone (single-level RoI Align path)."""
    T.manual_seed(0)
    backbone = nn.Sequential(nn.Conv2d(3, 8, 3, stride=4, padding=1), nn.ReLU())
    backbone.out_channels = 8
    anchors = D.anchor_utils.AnchorGenerator(((16, 32),), ((0.5, 1.0),))
    model = D.MaskRCNN(backbone, num_classes=3, rpn_anchor_generator=anchors,
                       box_roi_pool=ops.MultiScaleRoIAlign(["0"], 7, 2),
                       mask_roi_pool=ops.MultiScaleRoIAlign(["0"], 14, 2),
                       **{k: v for k, v in SMALL.items() if k not in
                          ("weights", "weights_backbone", "num_classes")})
    facts = {"repr": _sha(repr(model).encode()), "sd": _sd_sha(model)}
    model.double()
    imgs, targets = _inputs(T, masks=True)
    model.eval()
    with T.no_grad():
        dets = model(imgs)
    facts["eval"] = _summary(dets)
    facts["mask_shape"] = list(dets[1]["masks"].shape)
    model.train()
    T.manual_seed(5)
    losses = model(imgs, targets)
    facts["losses"] = {k: float(v.detach()) for k, v in losses.items()}
    sum(losses.values()).backward()
    facts["grads"] = [float(p.grad.double().sum()) for p in (
        backbone[0].weight, model.rpn.head.cls_logits.weight,
        model.roi_heads.box_head.fc6.weight, model.roi_heads.mask_predictor[2].weight)]
    return facts


def scen_blocks(T, D, ops):
    """The building blocks on their own."""
    facts = {}
    T.manual_seed(3)
    gen = D.anchor_utils.AnchorGenerator(((16, 32), (64,)), ((0.5, 1.0, 2.0), (1.0,)))
    il = D.image_list.ImageList(T.zeros(2, 3, 64, 96), [(60, 90), (64, 80)])
    anchors = gen(il, [T.zeros(2, 4, 16, 24), T.zeros(2, 4, 8, 12)])
    facts["anchors"] = [list(anchors[0].shape), float(anchors[0].sum()),
                        anchors[0][:2].tolist(), anchors[0][-1].tolist()]
    tr = D.transform.GeneralizedRCNNTransform(48, 70, [0.4, 0.5, 0.6], [0.2, 0.25, 0.3])
    tr.eval()
    imgs = [T.rand(3, 30, 50), T.rand(3, 41, 37)]
    il, tg = tr(imgs, [dict(boxes=T.tensor([[1., 2., 20., 25.]]), labels=T.tensor([1]))] * 2)
    facts["transform"] = [list(il.tensors.shape), il.image_sizes,
                          float(il.tensors.double().sum()), tg[1]["boxes"].tolist(), repr(tr)]
    fpn = ops.FeaturePyramidNetwork([4, 8], 6,
                                    extra_blocks=ops.feature_pyramid_network.LastLevelMaxPool())
    feats = fpn({"a": T.rand(1, 4, 8, 10), "b": T.rand(1, 8, 4, 5)})
    facts["fpn"] = [list(feats), [list(v.shape) for v in feats.values()],
                    [float(v.detach().double().sum()) for v in feats.values()]]
    pool = ops.MultiScaleRoIAlign(["a", "b"], 3, 2)
    boxes = [T.tensor([[0., 0., 30., 30.], [2., 3., 200., 150.]]),
             T.tensor([[5., 5., 9., 12.]])]
    feats = {"a": T.rand(2, 2, 16, 16), "b": T.rand(2, 2, 8, 8)}
    out = pool(feats, boxes, [(64, 64), (60, 64)])
    facts["pool"] = [list(out.shape), float(out.double().sum()), out[1, 0].reshape(-1).tolist()[:4],
                     repr(pool)]
    coder = D._utils.BoxCoder((10.0, 10.0, 5.0, 5.0))
    ref = T.tensor([[0., 0., 10., 20.], [5., 5., 30., 15.]])
    props = T.tensor([[1., 1., 12., 18.], [4., 6., 25., 20.]])
    codes = coder.encode_single(ref, props)
    facts["coder"] = [codes.tolist(), coder.decode(codes, [props]).reshape(-1).tolist()]
    m = D._utils.Matcher(0.7, 0.3, allow_low_quality_matches=True)
    q = T.tensor([[0.1, 0.8, 0.5, 0.2], [0.25, 0.1, 0.6, 0.65]])
    facts["matcher"] = m(q).tolist()
    masks = T.rand(2, 1, 5, 5)
    pasted = D.roi_heads.paste_masks_in_image(masks, T.tensor([[2., 3., 12., 9.],
                                                                [-4., 10., 8., 30.]]), (20, 16))
    facts["paste"] = [list(pasted.shape), float(pasted.double().sum())]
    return facts


def _pyramid(nn, width):
    """A toy two-level backbone of ``nn`` (ember's or torch's): strides 4 and 8."""

    class Pyramid(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(3, width, 3, stride=4, padding=1)
            self.c2 = nn.Conv2d(width, width, 3, stride=2, padding=1)
            self.out_channels = width

        def forward(self, x):
            a = self.c1(x).relu()
            return {"0": a, "1": self.c2(a).relu()}

    return Pyramid()


def _run_toy(T, model, imgs, targets):
    facts = {"repr": _sha(repr(model).encode()), "sd": _sd_sha(model)}
    model.double()
    model.eval()
    with T.no_grad():
        facts["eval"] = _summary(model(imgs))
    model.train()
    T.manual_seed(5)
    facts["losses"] = {k: float(v.detach()) for k, v in model(imgs, targets).items()}
    return facts


def scen_one_stage(T, D, nn, ops):
    """RetinaNet, FCOS, SSD and Keypoint R-CNN heads over toy backbones."""
    facts = {}
    imgs, targets = _inputs(T)
    small = dict(min_size=64, max_size=96)
    T.manual_seed(0)
    anchors = D.anchor_utils.AnchorGenerator(((16, 24), (32, 48)), ((0.5, 1.0),) * 2)
    model = D.RetinaNet(_pyramid(nn, 8), 3, anchor_generator=anchors, detections_per_img=6,
                        score_thresh=0.005, **small)
    facts["retinanet"] = _run_toy(T, model, imgs, targets)
    T.manual_seed(0)
    anchors = D.anchor_utils.AnchorGenerator(((8,), (16,)), ((1.0,),) * 2)
    model = D.FCOS(_pyramid(nn, 32), 3, anchor_generator=anchors, detections_per_img=6,
                   score_thresh=0.05, **small)
    facts["fcos"] = _run_toy(T, model, imgs, targets)
    T.manual_seed(0)
    backbone = _pyramid(nn, 8)
    backbone.out_channels = [8, 8]
    gen = D.anchor_utils.DefaultBoxGenerator([[2], [2, 3]])
    model = D.ssd.SSD(backbone, gen, (64, 64), 3, detections_per_img=6)
    facts["ssd"] = _run_toy(T, model, imgs, targets)
    facts["ssd"]["gen"] = repr(gen)
    T.manual_seed(0)
    backbone = nn.Sequential(nn.Conv2d(3, 8, 3, stride=4, padding=1), nn.ReLU())
    backbone.out_channels = 8
    kp_targets = [dict(t) for t in targets]
    for t in kp_targets:
        b = t["boxes"]
        t["keypoints"] = T.stack([T.stack([b[:, 0] + (b[:, 2] - b[:, 0]) * f,
                                           b[:, 1] + (b[:, 3] - b[:, 1]) * f,
                                           T.ones(len(b), dtype=T.float64)], 1)
                                  for f in (0.2, 0.5, 0.8)], 1)
    rest = {k: v for k, v in SMALL.items()
            if k not in ("weights", "weights_backbone", "num_classes")}
    model = D.KeypointRCNN(
        backbone, num_classes=3, rpn_anchor_generator=D.anchor_utils.AnchorGenerator(
            ((16, 32),), ((0.5, 1.0),)),
        box_roi_pool=ops.MultiScaleRoIAlign(["0"], 7, 2),
        keypoint_roi_pool=ops.MultiScaleRoIAlign(["0"], 14, 2),
        keypoint_head=D.keypoint_rcnn.KeypointRCNNHeads(8, (16, 16)),
        keypoint_predictor=D.keypoint_rcnn.KeypointRCNNPredictor(16, 3), **rest)
    # NOTE: torchvision checks target keypoints are float32 even when the model is float64
    for t in kp_targets:
        t["keypoints"] = t["keypoints"].float()
    facts["keypoint"] = _run_toy(T, model, imgs, kp_targets)
    return facts


# generated by running the scenarios above under torch 2.14.1 + torchvision 0.29.1
GOLDEN = {'blocks': {'anchors': [[2400, 4], 364032.0,
                        [[-11.0, -6.0, 11.0, 6.0], [-23.0, -11.0, 23.0, 11.0]],
                        [56.0, 24.0, 120.0, 88.0]],
            'coder': [[[-1.3636363744735718, 0.29411765933036804, -0.47655075788497925,
                        0.8125948905944824],
                       [1.4285714626312256, -2.142857074737549, 0.8717668652534485,
                        -1.682361125946045]],
                      [0.0, 0.0, 10.0, 20.0, 5.0, 5.0, 30.0, 15.0]],
            'fpn': [['a', 'b', 'pool'], [[1, 6, 8, 10], [1, 6, 4, 5], [1, 6, 2, 3]],
                    [97.42787133401725, -2.5720251405145973, -1.3908371478319168]],
            'matcher': [-1, 0, -2, 1],
            'paste': [[2, 1, 20, 16], 104.71835459955037],
            'pool': [[3, 2, 3, 3], 20.5202534198761, [0.4866800606250763, 0.0, 0.0, 0.0],
                     "MultiScaleRoIAlign(featmap_names=['a', 'b'], output_size=(3, 3), "
                     'sampling_ratio=2)'],
            'transform': [[2, 3, 64, 96], [(42, 70), (53, 48)], 795.2130687877107,
                          [[1.2972972393035889, 2.5853657722473145, 25.945945739746094,
                            32.317073822021484]],
                          'GeneralizedRCNNTransform(\n'
                          '    Normalize(mean=[0.4, 0.5, 0.6], std=[0.2, 0.25, 0.3])\n'
                          "    Resize(min_size=(48,), max_size=70, mode='bilinear')\n"
                          ')']},
 'faster_build': {'frozen': [], 'repr': 'eb7c16b01772b88e', 'sd': '18cf25abd4a8e7cd'},
 'faster_run': {'eval': [[6, 996.8633487127761, 40.26790612688747, 17.617717235384436,
                          45.74403025812147, 12.0, 2.0, 2.0, 2.0, 5.994816993889216,
                          0.9997270418736705, 0.9996991869439252, 0.999548972503182],
                         [6, 910.3867816120843, 38.95786073758318, 8.941613395118573,
                          49.37694345487175, 12.0, 2.0, 2.0, 2.0, 5.9070910715008065,
                          0.9956115793480359, 0.994045466433131, 0.984313395068672]],
                'keys': ['boxes', 'labels', 'scores'],
                'losses': {'loss_box_reg': 0.2988885705213081,
                           'loss_classifier': 1.3947216091513723,
                           'loss_objectness': 0.7188137769699097,
                           'loss_rpn_box_reg': 0.23689424816118093}},
 'mask': {'eval': [[6, 1224.929902282838, 40.12950209833181, 47.92537816834835,
                    56.05587496820601, 12.0, 2.0, 2.0, 2.0, 660.7275482604527, 0.0, 0.0, 0.0,
                    2.1124142944896946, 0.3583783682629008, 0.3534268144806944,
                    0.3520871757185732],
                   [6, 695.8110985848421, 53.550662193018155, 3.082953149407203,
                    66.06978302826343, 12.0, 2.0, 2.0, 2.0, 488.60796104619453, 0.0, 0.0, 0.0,
                    2.1044034024403997, 0.35675830020309346, 0.35104992590842643,
                    0.349826054277326]],
          'grads': [0.13985489102170617, 0.006420311899902967, 7.790975474077198,
                    -2.0645411325002025],
          'losses': {'loss_box_reg': 0.004246589818486469,
                     'loss_classifier': 1.0934831041692936,
                     'loss_mask': 0.7179767182342239,
                     'loss_objectness': 0.6931105852127075,
                     'loss_rpn_box_reg': 0.13557680132473693},
          'mask_shape': [6, 1, 50, 70],
          'repr': '5f6d2b6d8dd9c7b5',
          'sd': 'e7bc34a7df45ea45'},
 'one_stage': {'fcos': {'eval': [[6, 861.0523923213752, 47.6224147582544, 19.789005017058116,
                                  49.436766940466924, 11.0, 2.0, 2.0, 2.0, 0.5026184980558275,
                                  0.08769269788164066, 0.08357287313813241,
                                  0.08337160001397453],
                                 [6, 616.3235731259258, 37.752808570861816, 22.92408060136083,
                                  37.752808570861816, 12.0, 2.0, 2.0, 2.0, 0.504476868003345,
                                  0.085797161334812, 0.08514541855881928,
                                  0.08442264118953033]],
                        'losses': {'bbox_ctrness': 0.694283362906717,
                                   'bbox_regression': 0.9996171240338545,
                                   'classification': 1.110105610281991},
                        'repr': '5b6f7696fa98ecc2',
                        'sd': '762e3e53b7168265'},
               'keypoint': {'eval': [[6, 916.5207875088713, 23.92681121229798,
                                      27.92666389984005, 40.072660134792486, 1396.483470261097,
                                      38.64802551269531, 34.06534194946289, 1.0,
                                      2.887786764651537, 0.06234535574913025,
                                      0.22175870835781097, 0.14670225977897644, 6.0, 1.0, 1.0,
                                      1.0, 2.1866667179331576, 0.36549792643128803,
                                      0.3647125535969684, 0.3643591158378016],
                                     [6, 546.5791902233627, 50.32334179186102, 0.0,
                                      63.01992314694039, 825.4024562239647, 61.899635314941406,
                                      1.9487578868865967, 1.0, 1.7348777074366808,
                                      0.029475461691617966, 0.15488329529762268,
                                      0.1444632112979889, 6.0, 1.0, 1.0, 1.0,
                                      2.1643368321139533, 0.36487756828996365,
                                      0.3613093403945308, 0.36068188222765385]],
                            'losses': {'loss_box_reg': 0.0014849149889646191,
                                       'loss_classifier': 1.1023310220584004,
                                       'loss_keypoint': 8.078196893495516,
                                       'loss_objectness': 0.6931963562965393,
                                       'loss_rpn_box_reg': 0.1352211956426286},
                            'repr': 'ed93e25e0ce3bb9d',
                            'sd': '9c1aecc9f9c6431f'},
               'retinanet': {'eval': [[6, 971.0000596731609, 41.000016503823076,
                                       21.999995417048414, 63.00000772446555, 10.0, 2.0, 2.0,
                                       2.0, 0.06000007022887928, 0.010000016036884513,
                                       0.010000011649770983, 0.010000011533965944],
                                      [6, 930.7865493018339, 47.977536926543614,
                                       7.812498669527344, 65.28090553158157, 10.0, 2.0, 2.0,
                                       2.0, 0.06000004886571323, 0.01000001104701254,
                                       0.010000008369042494, 0.010000007749076004]],
                             'losses': {'bbox_regression': 0.6835342803971807,
                                        'classification': 1.1286230796759553},
                             'repr': '9ea8dea51e8d7e5b',
                             'sd': 'adddc9ef9d0caba5'},
               'ssd': {'eval': [[6, 957.3250663097463, 4.547700925171403, 34.75891898690571,
                                 21.664811812213767, 8.0, 1.0, 2.0, 2.0, 3.5786635106795575,
                                 0.6159771483910943, 0.6011250245080054, 0.5951038223698895],
                                [6, 650.1673858183215, 20.7379140524175, 23.842855571679966,
                                 37.08341845961882, 6.0, 1.0, 1.0, 1.0, 3.561729529690991,
                                 0.6842622683560382, 0.6148117851964615, 0.5815157159374056]],
                       'gen': 'DefaultBoxGenerator(aspect_ratios=[[2], [2, 3]], clip=True, '
                              'scales=[0.15, 0.9, 1.0], steps=None)',
                       'losses': {'bbox_regression': 3.1095598187738567,
                                  'classification': 6.018765897878358},
                       'repr': '80341e86a0e681ed',
                       'sd': '1242a675d0eb9621'}}}


@pytest.fixture(scope="module")
def faster():
    model, facts = scen_faster_build(ember, D)
    return model, facts


def _close(a, b, tol=1e-8):
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for k in a:
            _close(a[k], b[k], tol)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            _close(x, y, tol)
    elif isinstance(a, float):
        assert abs(a - b) <= tol * max(1.0, abs(b)), (a, b)
    else:
        assert a == b


def test_fasterrcnn_resnet50_fpn_structure_and_init(faster):
    model, facts = faster
    g = GOLDEN["faster_build"]
    assert facts["repr"] == g["repr"]  # print(model) character for character
    assert facts["sd"] == g["sd"]  # names, shapes and seeded values bit for bit
    assert facts["frozen"] == g["frozen"] == []  # no weights: everything trains
    assert isinstance(model.roi_heads.box_predictor, D.faster_rcnn.FastRCNNPredictor)
    assert model.roi_heads.box_predictor.cls_score.in_features == 1024


def test_fasterrcnn_resnet50_fpn_eval_and_train(faster):
    model, _ = faster
    facts = scen_faster_run(ember, model)
    g = GOLDEN["faster_run"]
    assert facts["keys"] == ["boxes", "labels", "scores"]
    _close(facts["eval"], g["eval"])
    # NOTE: torchvision computes loss_objectness in float32 (float32 labels), ember in
    # float64, hence 1e-6
    _close(facts["losses"], g["losses"], 1e-6)
    assert list(facts["losses"]) == ["loss_classifier", "loss_box_reg", "loss_objectness",
                                     "loss_rpn_box_reg"]


def test_maskrcnn_toy_backbone():
    facts = scen_mask(ember, D, nn, ops)
    _close(facts, GOLDEN["mask"], 1e-6)


def test_building_blocks():
    _close(scen_blocks(ember, D, ops), GOLDEN["blocks"], 1e-6)


def _toy_faster(**kw):
    backbone = nn.Sequential(nn.Conv2d(3, 4, 3, stride=8, padding=1), nn.ReLU())
    backbone.out_channels = 4
    return D.FasterRCNN(backbone, rpn_anchor_generator=AnchorGenerator(((16,),), ((1.0,),)),
                        box_roi_pool=ops.MultiScaleRoIAlign(["0"], 2, 2), min_size=32,
                        max_size=48, rpn_post_nms_top_n_train=10, rpn_post_nms_top_n_test=10,
                        box_batch_size_per_image=8, **kw)


def test_finetuning_tutorial_flow():
    # the tutorial's recipe: a new FastRCNNPredictor for 2 classes, then train and eval
    ember.manual_seed(0)
    model = _toy_faster(num_classes=91)
    in_features = model.roi_heads.box_predictor.cls_score.in_features
    model.roi_heads.box_predictor = D.faster_rcnn.FastRCNNPredictor(in_features, 2)
    imgs = [ember.rand(3, 32, 40), ember.rand(3, 30, 30)]
    targets = [{"boxes": ember.tensor([[2., 3., 20., 25.]]), "labels": ember.tensor([1])},
               {"boxes": ember.tensor([[1., 1., 9., 9.], [5., 5., 29., 28.]]),
                "labels": ember.tensor([1, 1])}]
    model.train()
    opt = ember.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.005,
                          momentum=0.9, weight_decay=0.0005)
    losses = model(imgs, targets)
    assert sorted(losses) == ["loss_box_reg", "loss_classifier", "loss_objectness",
                              "loss_rpn_box_reg"]
    assert all(v.dim() == 0 and v.requires_grad for v in losses.values())
    before = model.roi_heads.box_predictor.cls_score.weight.detach().clone()
    opt.zero_grad()
    sum(losses.values()).backward()
    opt.step()
    assert not ember.equal(before, model.roi_heads.box_predictor.cls_score.weight)
    assert targets[0]["boxes"].tolist() == [[2., 3., 20., 25.]]  # the targets are not touched
    model.eval()
    with ember.no_grad():
        out = model(imgs)
    assert len(out) == 2 and sorted(out[0]) == ["boxes", "labels", "scores"]
    assert out[0]["boxes"].dtype == ember.float32 and out[0]["labels"].dtype == ember.int64
    assert bool((out[0]["labels"] == 1).all()) and bool((out[0]["scores"] > 0.05).all())
    assert bool((out[0]["boxes"][:, 2] <= 40).all()) and bool((out[0]["boxes"][:, 3] <= 32).all())


def test_errors():
    bare = nn.ReLU()  # no out_channels
    with pytest.raises(ValueError, match="out_channels"):
        D.FasterRCNN(bare, num_classes=2)
    with pytest.raises(ValueError, match="num_classes should not be None"):
        _toy_faster()
    with pytest.raises(ValueError, match="num_classes should be None"):
        _toy_faster(num_classes=3, box_predictor=D.faster_rcnn.FastRCNNPredictor(4, 3))
    with pytest.raises(TypeError, match="rpn_anchor_generator"):
        _toy_faster_bad_anchor()
    model = _toy_faster(num_classes=3)
    img = ember.rand(3, 32, 32)
    with pytest.raises(AssertionError, match="targets should not be none"):
        model([img])
    with pytest.raises(AssertionError, match="positive height and width"):
        model([img], [{"boxes": ember.tensor([[5., 5., 5., 9.]]), "labels": ember.tensor([1])}])
    with pytest.raises(AssertionError, match=r"shape \[N, 4\]"):
        model([img], [{"boxes": ember.tensor([5., 5., 8., 9.]), "labels": ember.tensor([1])}])
    with pytest.raises(TypeError, match="labels must of int64"):
        model([img], [{"boxes": ember.tensor([[5., 5., 8., 9.]]),
                       "labels": ember.tensor([1], dtype=ember.int32)}])
    model.eval()
    with pytest.raises(TypeError, match="floating type"):
        model([ember.zeros(3, 8, 8, dtype=ember.uint8)])
    with pytest.raises(ValueError, match="3d tensors"):
        model([ember.rand(8, 8)])


def _toy_faster_bad_anchor():
    backbone = nn.Sequential(nn.Conv2d(3, 4, 3))
    backbone.out_channels = 4
    return D.FasterRCNN(backbone, num_classes=2, rpn_anchor_generator=object())


def test_builders_weights_and_registry():
    from ember.vision import models

    w = D.FasterRCNN_ResNet50_FPN_Weights.DEFAULT
    assert w is D.FasterRCNN_ResNet50_FPN_Weights.COCO_V1
    assert w.url.endswith("fasterrcnn_resnet50_fpn_coco-258fb6c6.pth")
    assert len(w.meta["categories"]) == 91 and w.meta["categories"][1] == "person"
    assert repr(w.transforms()) == "ObjectDetection()"
    assert D.MaskRCNN_ResNet50_FPN_Weights.COCO_V1.meta["_metrics"]["COCO-val2017"] == {
        "box_map": 37.9, "mask_map": 34.6}
    assert "fasterrcnn_resnet50_fpn" in models.list_models(module=models.detection)
    assert models.get_model_weights("maskrcnn_resnet50_fpn") is D.MaskRCNN_ResNet50_FPN_Weights
    with pytest.raises(ValueError, match="num_classes"):
        D.fasterrcnn_resnet50_fpn(weights="DEFAULT", num_classes=3)
    with pytest.raises(ValueError, match=r"range \[0,5\]"):
        D.backbone_utils._validate_trainable_layers(True, 6, 5, 3)
    with pytest.warns(UserWarning, match="falling back to trainable_backbone_layers=5"):
        assert D.backbone_utils._validate_trainable_layers(False, 2, 5, 3) == 5


def test_one_stage_detectors_and_keypoints():
    _close(scen_one_stage(ember, D, nn, ops), GOLDEN["one_stage"], 1e-6)


# sha256 prefixes of repr, state dict and (name, requires_grad) list under torchvision,
# each built right after manual_seed(0)
BUILT = {
    "resnet18_fpn": ("40dcce2a77e078d5", "42f4807a39ebf211", "49fd12f1cf7ced02"),
    "mobilenet_nofpn": ("ed72738acf97fe84", "0e70d3dbeb697956", "89a131dd0ff322bf"),
    "ssdlite320_mobilenet_v3_large": ("4f8dc2aca8a3cacb", "6424871c2175b76b",
                                      "5bf01f04bcb74e19"),
}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_builders_bit_equal(name):
    ember.manual_seed(0)
    if name == "resnet18_fpn":  # FrozenBatchNorm2d, two trainable stages, C3 and C5
        m = D.backbone_utils.resnet_fpn_backbone(backbone_name="resnet18", weights=None,
                                                 trainable_layers=2, returned_layers=[2, 4])
    elif name == "mobilenet_nofpn":
        m = D.backbone_utils.mobilenet_backbone(backbone_name="mobilenet_v3_large",
                                                weights=None, fpn=False, trainable_layers=3)
    else:
        m = getattr(D, name)(weights=None, weights_backbone=None)
    req = str([(n, p.requires_grad) for n, p in m.named_parameters()]).encode()
    assert (_sha(repr(m).encode()), _sd_sha(m), _sha(req)) == BUILT[name]


# under torchvision: per weights enum, each member's file and a hash of its meta
WEIGHTS = {
    "FCOS_ResNet50_FPN_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["fcos_resnet50_fpn_coco-99b0c9b7.pth", "84eb574dc92ad5da"]},
    "FasterRCNN_MobileNet_V3_Large_320_FPN_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["fasterrcnn_mobilenet_v3_large_320_fpn-907ea3f9.pth", "bd27338ce0eaeb03"]},
    "FasterRCNN_MobileNet_V3_Large_FPN_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth", "b58d3c6d4597356e"]},
    "FasterRCNN_ResNet50_FPN_V2_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth", "bd9325f9ec4bff9b"]},
    "FasterRCNN_ResNet50_FPN_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["fasterrcnn_resnet50_fpn_coco-258fb6c6.pth", "ee384eba584a2ff5"]},
    "KeypointRCNN_ResNet50_FPN_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_LEGACY": ["keypointrcnn_resnet50_fpn_coco-9f466800.pth", "b37bb55d163a3b06"],
        "COCO_V1": ["keypointrcnn_resnet50_fpn_coco-fc266e95.pth", "b7b218dc34026e32"]},
    "MaskRCNN_ResNet50_FPN_V2_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth", "9bfa3bed0c99b323"]},
    "MaskRCNN_ResNet50_FPN_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth", "d22a6df435d7f0f6"]},
    "RetinaNet_ResNet50_FPN_V2_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["retinanet_resnet50_fpn_v2_coco-5905b1c5.pth", "87909be82a8c66ce"]},
    "RetinaNet_ResNet50_FPN_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["retinanet_resnet50_fpn_coco-eeacb38b.pth", "a76f13a762ac63c9"]},
    "SSD300_VGG16_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["ssd300_vgg16_coco-b556d3b4.pth", "c5b3bb5f57d31acc"]},
    "SSDLite320_MobileNet_V3_Large_Weights": {
        "DEFAULT": "COCO_V1",
        "COCO_V1": ["ssdlite320_mobilenet_v3_large_coco-a79551df.pth", "b252790a5cc6899e"]},
}


def test_weights_enums_match_torchvision():
    enums = {n: getattr(D, n) for n in D.__all__ if n.endswith("_Weights")}
    assert sorted(enums) == sorted(WEIGHTS)
    for name, members in WEIGHTS.items():
        enum = enums[name]
        assert enum.DEFAULT.name == members["DEFAULT"]
        got = {m: [w.url.rsplit("/", 1)[1],
                   _sha(repr(sorted((k, repr(v)) for k, v in w.meta.items())).encode())]
               for m, w in enum.__members__.items() if m != "DEFAULT"}
        assert got == {k: v for k, v in members.items() if k != "DEFAULT"}, name
        assert all(repr(w.transforms()) == "ObjectDetection()" for w in enum)


def test_old_checkpoint_keys_upgrade():
    # checkpoints from before the heads' version 2 name the convs without ".0" levels
    m = nn.Module()
    m.head = D.rpn.RPNHead(8, 3)
    m.fpn = ops.FeaturePyramidNetwork([4, 8], 8)
    m.mask = D.mask_rcnn.MaskRCNNHeads(8, (8, 8), 1)
    sd = m.state_dict()
    assert sd._metadata["head"]["version"] == sd._metadata["fpn"]["version"] == 2
    old = {}
    for k, v in sd.items():
        k = k.replace("head.conv.0.0.", "head.conv.").replace("inner_blocks.0.0.",
                                                               "inner_blocks.0.")
        k = k.replace("mask.1.0.", "mask.mask_fcn2.")
        old[k] = v + 1
    assert "head.conv.weight" in old and "mask.mask_fcn2.bias" in old
    assert not m.load_state_dict(old).missing_keys
    assert ember.equal(m.head.conv[0][0].weight, old["head.conv.weight"])
    assert ember.equal(m.mask[1][0].bias, old["mask.mask_fcn2.bias"])


@pytest.mark.parametrize("name,digest", [("retinanet_resnet50_fpn", "dcd93a46b973cdc6"),
                                         ("fcos_resnet50_fpn", "57b17df4636230fc")])
def test_extra_fpn_blocks_are_initialised_after_the_resnet(name, digest):
    """torchvision builds LastLevelP6P7 after ResNet-50, so its random initialisation comes
    second; the digest is of the seeded state dict, which matched torchvision 0.29.1's."""
    import hashlib

    ember.manual_seed(0)
    with pytest.warns(UserWarning, match="trainable_backbone_layers"):
        m = getattr(ember.vision.models.detection, name)(
            weights=None, weights_backbone=None, trainable_backbone_layers=2)
    h = hashlib.sha256()
    for k, v in m.state_dict().items():
        h.update(k.encode())
        h.update(v.numpy().tobytes())
    assert h.hexdigest()[:16] == digest
