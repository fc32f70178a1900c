"""RetinaNet (Lin et al., 2017) with torchvision's names, structure and weights.

A ResNet-50 FPN on C3-C5 plus P6/P7 feeds ``RetinaNetHead``: a classification and a
regression branch, each four 3x3 convs shared over the levels, predicting for every
anchor (9 per position) one sigmoid logit per class and 4 box offsets.  Training returns
``{"classification": focal loss, "bbox_regression": L1 (GIoU for v2)}``; eval keeps the
top ``topk_candidates`` scores per level above ``score_thresh``, decodes them and runs
per-class NMS.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial
from typing import Any, Callable

import ember

from .... import nn
from ...ops import boxes as box_ops
from ...ops import misc as misc_nn_ops
from ...ops import sigmoid_focal_loss
from ...ops.feature_pyramid_network import LastLevelP6P7
from .._api import WeightsEnum
from ..resnet import ResNet50_Weights, resnet50
from ..segmentation._utils import _handle_legacy
from . import _utils as det_utils
from ._utils import _box_loss, overwrite_eps
from .anchor_utils import AnchorGenerator
from .backbone_utils import _resnet50_fpn, _resnet_fpn_extractor, _validate_trainable_layers
from .faster_rcnn import _RECIPE, _coco_weights, _load, _prepare
from .transform import imagenet_transform

__all__ = ["RetinaNet", "RetinaNet_ResNet50_FPN_Weights", "RetinaNet_ResNet50_FPN_V2_Weights",
           "retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2"]


def _sum(xs):
    res = xs[0]
    for x in xs[1:]:
        res = res + x
    return res


def _v1_to_v2_weights(state_dict, prefix) -> None:
    # version 1 held bare convs at conv.0, conv.2, ... (ReLUs between them)
    for i in range(4):
        for kind in ("weight", "bias"):
            old = f"{prefix}conv.{2 * i}.{kind}"
            if old in state_dict:
                state_dict[f"{prefix}conv.{i}.0.{kind}"] = state_dict.pop(old)


def _default_anchorgen() -> AnchorGenerator:
    sizes = tuple((x, int(x * 2 ** (1.0 / 3)), int(x * 2 ** (2.0 / 3)))
                  for x in [32, 64, 128, 256, 512])
    return AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * len(sizes))


def _per_anchor(out, width: int):
    """``(N, A*width, H, W)`` as ``(N, H*W*A, width)``."""
    N, _, H, W = out.shape
    return out.view(N, -1, width, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, width)


class RetinaNetHead(nn.Module):
    """``classification_head`` and ``regression_head`` side by side."""

    def __init__(self, in_channels: int, num_anchors: int, num_classes: int,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self.classification_head = RetinaNetClassificationHead(in_channels, num_anchors,
                                                               num_classes,
                                                               norm_layer=norm_layer)
        self.regression_head = RetinaNetRegressionHead(in_channels, num_anchors,
                                                       norm_layer=norm_layer)

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        return {"classification": self.classification_head.compute_loss(targets, head_outputs,
                                                                         matched_idxs),
                "bbox_regression": self.regression_head.compute_loss(targets, head_outputs,
                                                                     anchors, matched_idxs)}

    def forward(self, x):
        return {"cls_logits": self.classification_head(x),
                "bbox_regression": self.regression_head(x)}


class RetinaNetClassificationHead(nn.Module):
    """Four 3x3 Conv(-norm)-ReLU blocks and a 3x3 conv to ``num_anchors * num_classes``
    logits, its bias set so every class starts at probability ``prior_probability``."""

    _version = 2

    def __init__(self, in_channels: int, num_anchors: int, num_classes: int,
                 prior_probability: float = 0.01,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self.conv = nn.Sequential(*[misc_nn_ops.Conv2dNormActivation(
            in_channels, in_channels, norm_layer=norm_layer) for _ in range(4)])
        for layer in self.conv.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                if layer.bias is not None:
                    nn.init.constant_(layer.bias, 0)
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, kernel_size=3,
                                    stride=1, padding=1)
        nn.init.normal_(self.cls_logits.weight, std=0.01)
        nn.init.constant_(self.cls_logits.bias,
                          -math.log((1 - prior_probability) / prior_probability))
        self.num_classes = num_classes
        self.num_anchors = num_anchors
        self.BETWEEN_THRESHOLDS = det_utils.Matcher.BETWEEN_THRESHOLDS

    def _upgrade_state_dict(self, state_dict, prefix, version):
        if version is None or version < 2:
            _v1_to_v2_weights(state_dict, prefix)
        return super()._upgrade_state_dict(state_dict, prefix, version)

    def compute_loss(self, targets, head_outputs, matched_idxs):
        """Sigmoid focal loss over the anchors not in the ignore band, summed and divided
        by the number of foreground anchors, averaged over the images."""
        losses = []
        for target, logits, matched in zip(targets, head_outputs["cls_logits"], matched_idxs):
            fg = matched >= 0
            num_fg = fg.sum()
            gt = ember.zeros_like(logits)
            gt[fg, target["labels"][matched[fg]]] = 1.0
            valid = matched != self.BETWEEN_THRESHOLDS
            losses.append(sigmoid_focal_loss(logits[valid], gt[valid], reduction="sum")
                          / max(1, num_fg))
        return _sum(losses) / len(targets)

    def forward(self, x):
        return ember.cat([_per_anchor(self.cls_logits(self.conv(f)), self.num_classes)
                          for f in x], dim=1)


class RetinaNetRegressionHead(nn.Module):
    """Four 3x3 Conv(-norm)-ReLU blocks and a 3x3 conv to ``num_anchors * 4`` offsets;
    the loss is L1 on the encoded offsets (``_loss_type``; "giou" in v2)."""

    _version = 2

    def __init__(self, in_channels: int, num_anchors: int,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self.conv = nn.Sequential(*[misc_nn_ops.Conv2dNormActivation(
            in_channels, in_channels, norm_layer=norm_layer) for _ in range(4)])
        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=3, stride=1,
                                  padding=1)
        nn.init.normal_(self.bbox_reg.weight, std=0.01)
        nn.init.zeros_(self.bbox_reg.bias)
        for layer in self.conv.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)
        self.box_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self._loss_type = "l1"

    def _upgrade_state_dict(self, state_dict, prefix, version):
        if version is None or version < 2:
            _v1_to_v2_weights(state_dict, prefix)
        return super()._upgrade_state_dict(state_dict, prefix, version)

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        losses = []
        for target, reg, anchors_i, matched in zip(targets, head_outputs["bbox_regression"],
                                                   anchors, matched_idxs):
            fg = ember.where(matched >= 0)[0]
            num_fg = fg.numel()
            gt_boxes = target["boxes"][matched[fg]]
            losses.append(_box_loss(self._loss_type, self.box_coder, anchors_i[fg, :], gt_boxes,
                                    reg[fg, :]) / max(1, num_fg))
        return _sum(losses) / max(1, len(targets))

    def forward(self, x):
        return ember.cat([_per_anchor(self.bbox_reg(self.conv(f)), 4) for f in x], dim=1)


def _check_targets(targets, need_tensor_msg: bool = True):
    if targets is None:
        raise AssertionError("targets should not be none when in training mode")
    for target in targets:
        boxes = target["boxes"]
        if not isinstance(boxes, ember.Tensor):
            raise AssertionError("Expected target boxes to be of type Tensor.")
        if not (len(boxes.shape) == 2 and boxes.shape[-1] == 4):
            raise AssertionError("Expected target boxes to be a tensor of shape [N, 4].")


def _check_degenerate(targets) -> None:
    if targets is None:
        return
    for target_idx, target in enumerate(targets):
        boxes = target["boxes"]
        degenerate = boxes[:, 2:] <= boxes[:, :2]
        if degenerate.any():
            bb_idx = ember.where(degenerate.any(dim=1))[0][0]
            raise AssertionError("All bounding boxes should have positive height and width. "
                                 f"Found invalid box {boxes[bb_idx].tolist()} for target at "
                                 f"index {target_idx}.")


def _run_backbone(model, images, targets, check_targets):
    """The start of a one-stage detector's forward: targets checked (training), images
    transformed and batched, the backbone's feature maps as a list.  Returns the original
    image sizes, the ImageList, the transformed targets and the features."""
    if model.training:
        check_targets(targets)
    original_image_sizes = _original_sizes(images)
    images, targets = model.transform(images, targets)
    _check_degenerate(targets)
    features = model.backbone(images.tensors)
    if isinstance(features, ember.Tensor):
        features = OrderedDict([("0", features)])
    return original_image_sizes, images, targets, list(features.values())


def _top_candidates(model, scores, num_classes, reg_l, anchors_l, decode, image_shape):
    """One feature level's candidates: flat (anchor, class) ``scores`` above the score
    threshold, the best ``topk_candidates`` of them, their boxes decoded and clipped."""
    keep = scores > model.score_thresh
    scores = scores[keep]
    topk_idxs = ember.where(keep)[0]
    k = det_utils._topk_min(topk_idxs, model.topk_candidates, 0)
    scores, idxs = scores.topk(k)
    topk_idxs = topk_idxs[idxs]
    anchor_idxs = ember.div(topk_idxs, num_classes, rounding_mode="floor")
    boxes = decode(reg_l[anchor_idxs], anchors_l[anchor_idxs])
    return box_ops.clip_boxes_to_image(boxes, image_shape), scores, topk_idxs % num_classes


def _nms_detections(model, per_level):
    """An image's detections: its levels' candidates joined, class-wise NMS, the best
    ``detections_per_img`` kept."""
    boxes, scores, labels = (ember.cat(list(part), dim=0) for part in zip(*per_level))
    keep = box_ops.batched_nms(boxes, scores, labels, model.nms_thresh)
    keep = keep[:model.detections_per_img]
    return {"boxes": boxes[keep], "scores": scores[keep], "labels": labels[keep]}


def _original_sizes(images):
    sizes = []
    for img in images:
        val = img.shape[-2:]
        if len(val) != 2:
            raise AssertionError("expecting the last two dimensions of the Tensor to be H and "
                                 f"W instead got {img.shape[-2:]}")
        sizes.append((int(val[0]), int(val[1])))
    return sizes


class RetinaNet(nn.Module):
    """RetinaNet over ``backbone`` (with ``out_channels``).  ``num_classes`` has no
    background class; ``forward(images, targets=None)`` returns the losses in training and
    per-image ``boxes``/``scores``/``labels`` dicts in eval."""

    def __init__(self, backbone, num_classes, min_size=800, max_size=1333, image_mean=None,
                 image_std=None, anchor_generator=None, head=None, proposal_matcher=None,
                 score_thresh=0.05, nms_thresh=0.5, detections_per_img=300,
                 fg_iou_thresh=0.5, bg_iou_thresh=0.4, topk_candidates=1000, **kwargs) -> None:
        super().__init__()
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the "
                             "number of output channels (assumed to be the same for all the "
                             "levels)")
        self.backbone = backbone
        if not isinstance(anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError("anchor_generator should be of type AnchorGenerator or None "
                            f"instead of {type(anchor_generator)}")
        if anchor_generator is None:
            anchor_generator = _default_anchorgen()
        self.anchor_generator = anchor_generator
        if head is None:
            head = RetinaNetHead(backbone.out_channels,
                                 anchor_generator.num_anchors_per_location()[0], num_classes)
        self.head = head
        if proposal_matcher is None:
            proposal_matcher = det_utils.Matcher(fg_iou_thresh, bg_iou_thresh,
                                                 allow_low_quality_matches=True)
        self.proposal_matcher = proposal_matcher
        self.box_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self.transform = imagenet_transform(min_size, max_size, image_mean, image_std, **kwargs)
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self._has_warned = False

    def eager_outputs(self, losses, detections):
        return losses if self.training else detections

    def compute_loss(self, targets, head_outputs, anchors):
        matched_idxs = []
        for anchors_i, target in zip(anchors, targets):
            if target["boxes"].numel() == 0:
                matched_idxs.append(ember.full((anchors_i.size(0),), -1, dtype=ember.int64,
                                               device=anchors_i.device))
                continue
            matched_idxs.append(self.proposal_matcher(box_ops.box_iou(target["boxes"],
                                                                      anchors_i)))
        return self.head.compute_loss(targets, head_outputs, anchors, matched_idxs)

    def postprocess_detections(self, head_outputs, anchors, image_shapes):
        class_logits = head_outputs["cls_logits"]
        box_regression = head_outputs["bbox_regression"]
        detections = []
        for index in range(len(image_shapes)):
            per_level = []
            for reg_l, logits_l, anchors_l in zip([br[index] for br in box_regression],
                                                  [cl[index] for cl in class_logits],
                                                  anchors[index]):
                per_level.append(_top_candidates(
                    self, ember.sigmoid(logits_l).flatten(), logits_l.shape[-1], reg_l,
                    anchors_l, self.box_coder.decode_single, image_shapes[index]))
            detections.append(_nms_detections(self, per_level))
        return detections

    def forward(self, images, targets=None):
        original_image_sizes, images, targets, features = _run_backbone(self, images, targets,
                                                                        _check_targets)
        head_outputs = self.head(features)
        anchors = self.anchor_generator(images, features)
        losses = {}
        detections = []
        if self.training:
            losses = self.compute_loss(targets, head_outputs, anchors)
        else:
            per_level = [x.size(2) * x.size(3) for x in features]
            A = head_outputs["cls_logits"].size(1) // sum(per_level)
            per_level = [hw * A for hw in per_level]
            split_outputs = {k: list(v.split(per_level, dim=1)) for k, v in head_outputs.items()}
            split_anchors = [list(a.split(per_level)) for a in anchors]
            detections = self.postprocess_detections(split_outputs, split_anchors,
                                                     images.image_sizes)
            detections = self.transform.postprocess(detections, images.image_sizes,
                                                    original_image_sizes)
        return self.eager_outputs(losses, detections)


class RetinaNet_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("retinanet_resnet50_fpn_coco-eeacb38b.pth", 34014999, 36.4, 151.54,
                            130.267, _RECIPE + "retinanet")
    DEFAULT = COCO_V1


class RetinaNet_ResNet50_FPN_V2_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("retinanet_resnet50_fpn_v2_coco-5905b1c5.pth", 38198935, 41.5,
                            152.238, 146.037, "https://github.com/pytorch/vision/pull/5756",
                            "These weights were produced using an enhanced training recipe to "
                            "boost the model accuracy.")
    DEFAULT = COCO_V1


@_handle_legacy(weights=("pretrained", RetinaNet_ResNet50_FPN_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def retinanet_resnet50_fpn(*, weights=None, progress: bool = True,
                           num_classes: int | None = None,
                           weights_backbone=ResNet50_Weights.IMAGENET1K_V1,
                           trainable_backbone_layers: int | None = None,
                           **kwargs: Any) -> RetinaNet:
    """RetinaNet with a ResNet-50-FPN backbone (`Focal Loss for Dense Object Detection
    <https://arxiv.org/abs/1708.02002>`_)."""
    weights = RetinaNet_ResNet50_FPN_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    weights_backbone, num_classes = _prepare(weights, weights_backbone, num_classes)
    backbone = _resnet50_fpn(weights, weights_backbone, trainable_backbone_layers, progress,
                             returned_layers=[2, 3, 4],
                             extra_blocks=lambda: LastLevelP6P7(256, 256))
    model = _load(RetinaNet(backbone, num_classes, **kwargs), weights, progress)
    if weights == RetinaNet_ResNet50_FPN_Weights.COCO_V1:
        overwrite_eps(model, 0.0)
    return model


@_handle_legacy(weights=("pretrained", RetinaNet_ResNet50_FPN_V2_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def retinanet_resnet50_fpn_v2(*, weights=None, progress: bool = True,
                              num_classes: int | None = None, weights_backbone=None,
                              trainable_backbone_layers: int | None = None,
                              **kwargs: Any) -> RetinaNet:
    """RetinaNet v2 (`Bridging the Gap Between Anchor-based and Anchor-free Detection
    <https://arxiv.org/abs/1912.02424>`_): P6 from C5, GroupNorm in the heads, GIoU box
    loss."""
    weights = RetinaNet_ResNet50_FPN_V2_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    weights_backbone, num_classes = _prepare(weights, weights_backbone, num_classes)
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers,
                                                           5, 3)
    backbone = resnet50(weights=weights_backbone, progress=progress)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers,
                                     returned_layers=[2, 3, 4],
                                     extra_blocks=LastLevelP6P7(2048, 256))
    anchor_gen = _default_anchorgen()
    head = RetinaNetHead(backbone.out_channels, anchor_gen.num_anchors_per_location()[0],
                         num_classes, norm_layer=partial(nn.GroupNorm, 32))
    head.regression_head._loss_type = "giou"
    model = RetinaNet(backbone, num_classes, anchor_generator=anchor_gen, head=head, **kwargs)
    return _load(model, weights, progress)
