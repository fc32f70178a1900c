"""FCOS (Tian et al., 2019) with torchvision's names, structure and weights.

Anchor-free: every position of P3-P7 (one square "anchor" per position, sizes 8-128) is a
candidate.  ``FCOSHead`` predicts class logits, four distances to the box edges
(``BoxLinearCoder``) and a centerness logit.  In training a position matches a
ground-truth box when it lies inside the box, near its centre (``center_sampling_radius``
anchor sizes) and the box's extent suits the level; the smallest such box wins.  Losses:
focal (classification), GIoU (``bbox_regression``), BCE (``bbox_ctrness``).
"""
from __future__ import annotations

import math
from functools import partial
from typing import Any, Callable

import ember

from .... import nn
from ...ops import generalized_box_iou_loss, sigmoid_focal_loss
from ...ops.feature_pyramid_network import LastLevelP6P7
from .._api import Weights, WeightsEnum
from ..resnet import ResNet50_Weights
from ..segmentation._utils import _handle_legacy
from . import _utils as det_utils
from ._utils import _COCO_CATEGORIES, ObjectDetection
from .anchor_utils import AnchorGenerator
from .backbone_utils import _resnet50_fpn
from .faster_rcnn import _RECIPE, _URL, _load, _prepare
from .retinanet import (_check_targets, _nms_detections, _per_anchor, _run_backbone,
                        _top_candidates)
from .transform import imagenet_transform

__all__ = ["FCOS", "FCOS_ResNet50_FPN_Weights", "fcos_resnet50_fpn"]


class FCOSHead(nn.Module):
    """Classification and regression (+ centerness) branches and FCOS's losses."""

    def __init__(self, in_channels: int, num_anchors: int, num_classes: int,
                 num_convs: int | None = 4) -> None:
        super().__init__()
        self.box_coder = det_utils.BoxLinearCoder(normalize_by_size=True)
        self.classification_head = FCOSClassificationHead(in_channels, num_anchors, num_classes,
                                                          num_convs)
        self.regression_head = FCOSRegressionHead(in_channels, num_anchors, num_convs)

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        cls_logits = head_outputs["cls_logits"]
        bbox_regression = head_outputs["bbox_regression"]
        bbox_ctrness = head_outputs["bbox_ctrness"]
        gt_classes, gt_boxes = [], []
        for target, matched in zip(targets, matched_idxs):
            if len(target["labels"]) == 0:
                cls_t = target["labels"].new_zeros((len(matched),))
                box_t = target["boxes"].new_zeros((len(matched), 4))
            else:
                cls_t = target["labels"][matched.clip(min=0)]
                box_t = target["boxes"][matched.clip(min=0)]
            cls_t[matched < 0] = -1
            gt_classes.append(cls_t)
            gt_boxes.append(box_t)
        gt_boxes = ember.stack(gt_boxes)
        gt_classes = ember.stack(gt_classes)
        anchors = ember.stack(anchors)
        fg = gt_classes >= 0
        num_fg = fg.sum().item()
        cls_target = ember.zeros_like(cls_logits)
        cls_target[fg, gt_classes[fg]] = 1.0
        loss_cls = sigmoid_focal_loss(cls_logits, cls_target, reduction="sum")
        pred_boxes = self.box_coder.decode(bbox_regression, anchors)
        loss_reg = generalized_box_iou_loss(pred_boxes[fg], gt_boxes[fg], reduction="sum")
        reg_targets = self.box_coder.encode(anchors, gt_boxes)
        if len(reg_targets) == 0:
            ctr_targets = reg_targets.new_zeros(reg_targets.size()[:-1])
        else:
            lr = reg_targets[:, :, [0, 2]]
            tb = reg_targets[:, :, [1, 3]]
            ctr_targets = ember.sqrt(lr.min(dim=-1)[0] / lr.max(dim=-1)[0]
                                     * (tb.min(dim=-1)[0] / tb.max(dim=-1)[0]))
        pred_ctr = bbox_ctrness.squeeze(dim=2)
        loss_ctr = nn.functional.binary_cross_entropy_with_logits(pred_ctr[fg], ctr_targets[fg],
                                                                  reduction="sum")
        n = max(1, num_fg)
        return {"classification": loss_cls / n, "bbox_regression": loss_reg / n,
                "bbox_ctrness": loss_ctr / n}

    def forward(self, x):
        cls_logits = self.classification_head(x)
        bbox_regression, bbox_ctrness = self.regression_head(x)
        return {"cls_logits": cls_logits, "bbox_regression": bbox_regression,
                "bbox_ctrness": bbox_ctrness}


def _conv_tower(in_channels: int, num_convs: int, norm_layer):
    mods = []
    for _ in range(num_convs):
        mods += [nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=1, padding=1),
                 norm_layer(in_channels), nn.ReLU()]
    return nn.Sequential(*mods)


class FCOSClassificationHead(nn.Module):
    """``num_convs`` x (3x3 conv, GroupNorm(32), ReLU), then a 3x3 conv to the class
    logits (bias for probability ``prior_probability``)."""

    def __init__(self, in_channels: int, num_anchors: int, num_classes: int,
                 num_convs: int = 4, prior_probability: float = 0.01,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.num_anchors = num_anchors
        if norm_layer is None:
            norm_layer = partial(nn.GroupNorm, 32)
        self.conv = _conv_tower(in_channels, num_convs, norm_layer)
        for layer in self.conv.children():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                nn.init.constant_(layer.bias, 0)
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, kernel_size=3,
                                    stride=1, padding=1)
        nn.init.normal_(self.cls_logits.weight, std=0.01)
        nn.init.constant_(self.cls_logits.bias,
                          -math.log((1 - prior_probability) / prior_probability))

    def forward(self, x):
        return ember.cat([_per_anchor(self.cls_logits(self.conv(f)), self.num_classes)
                          for f in x], dim=1)


class FCOSRegressionHead(nn.Module):
    """``num_convs`` x (3x3 conv, GroupNorm(32), ReLU), then ``bbox_reg`` (ReLU'd edge
    distances) and ``bbox_ctrness`` (centerness logit)."""

    def __init__(self, in_channels: int, num_anchors: int, num_convs: int = 4,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.GroupNorm, 32)
        self.conv = _conv_tower(in_channels, num_convs, norm_layer)
        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=3, stride=1,
                                  padding=1)
        self.bbox_ctrness = nn.Conv2d(in_channels, num_anchors * 1, kernel_size=3, stride=1,
                                      padding=1)
        for layer in (self.bbox_reg, self.bbox_ctrness):
            nn.init.normal_(layer.weight, std=0.01)
            nn.init.zeros_(layer.bias)
        for layer in self.conv.children():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                nn.init.zeros_(layer.bias)

    def forward(self, x):
        regs, ctrs = [], []
        for f in x:
            t = self.conv(f)
            regs.append(_per_anchor(nn.functional.relu(self.bbox_reg(t)), 4))
            ctrs.append(_per_anchor(self.bbox_ctrness(t), 1))
        return ember.cat(regs, dim=1), ember.cat(ctrs, dim=1)


class FCOS(nn.Module):
    """FCOS over ``backbone`` (with ``out_channels``); ``anchor_generator`` must give one
    anchor per position.  ``forward(images, targets=None)``: losses in training,
    per-image ``boxes``/``scores``/``labels`` in eval (score = sqrt(class prob x
    centerness))."""

    def __init__(self, backbone: nn.Module, num_classes: int, min_size: int = 800,
                 max_size: int = 1333, image_mean=None, image_std=None, anchor_generator=None,
                 head=None, center_sampling_radius: float = 1.5, score_thresh: float = 0.2,
                 nms_thresh: float = 0.6, detections_per_img: int = 100,
                 topk_candidates: int = 1000, **kwargs) -> None:
        super().__init__()
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the "
                             "number of output channels (assumed to be the same for all the "
                             "levels)")
        self.backbone = backbone
        if not isinstance(anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError("anchor_generator should be of type AnchorGenerator or None, "
                            f"instead  got {type(anchor_generator)}")
        if anchor_generator is None:
            sizes = ((8,), (16,), (32,), (64,), (128,))
            anchor_generator = AnchorGenerator(sizes, ((1.0,),) * len(sizes))
        self.anchor_generator = anchor_generator
        if self.anchor_generator.num_anchors_per_location()[0] != 1:
            raise ValueError("anchor_generator.num_anchors_per_location()[0] should be 1 "
                             f"instead of {anchor_generator.num_anchors_per_location()[0]}")
        if head is None:
            head = FCOSHead(backbone.out_channels,
                            anchor_generator.num_anchors_per_location()[0], num_classes)
        self.head = head
        self.box_coder = det_utils.BoxLinearCoder(normalize_by_size=True)
        self.transform = imagenet_transform(min_size, max_size, image_mean, image_std, **kwargs)
        self.center_sampling_radius = center_sampling_radius
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self._has_warned = False

    def eager_outputs(self, losses, detections):
        return losses if self.training else detections

    def compute_loss(self, targets, head_outputs, anchors, num_anchors_per_level):
        matched_idxs = []
        for anchors_i, target in zip(anchors, targets):
            if target["boxes"].numel() == 0:
                matched_idxs.append(ember.full((anchors_i.size(0),), -1, dtype=ember.int64,
                                               device=anchors_i.device))
                continue
            gt_boxes = target["boxes"]
            gt_centers = (gt_boxes[:, :2] + gt_boxes[:, 2:]) / 2
            centers = (anchors_i[:, :2] + anchors_i[:, 2:]) / 2
            sizes = anchors_i[:, 2] - anchors_i[:, 0]
            # near the box's centre (in anchor sizes) ...
            match = ((centers[:, None, :] - gt_centers[None, :, :]).abs_().max(dim=2).values
                     < self.center_sampling_radius * sizes[:, None])
            # ... inside the box ...
            x, y = centers.unsqueeze(dim=2).unbind(dim=1)
            x0, y0, x1, y1 = gt_boxes.unsqueeze(dim=0).unbind(dim=2)
            dist = ember.stack([x - x0, y - y0, x1 - x, y1 - y], dim=2)
            match &= dist.min(dim=2).values > 0
            # ... and with an extent this level is for
            lower = sizes * 4
            lower[:num_anchors_per_level[0]] = 0
            upper = sizes * 8
            upper[-num_anchors_per_level[-1]:] = float("inf")
            dist = dist.max(dim=2).values
            match &= (dist > lower[:, None]) & (dist < upper[:, None])
            # the smallest matching box wins
            areas = (gt_boxes[:, 2] - gt_boxes[:, 0]) * (gt_boxes[:, 3] - gt_boxes[:, 1])
            match = match.to(ember.float32) * (1e8 - areas[None, :])
            best, idx = match.max(dim=1)
            idx[best < 1e-5] = -1
            matched_idxs.append(idx)
        return self.head.compute_loss(targets, head_outputs, anchors, matched_idxs)

    def postprocess_detections(self, head_outputs, anchors, image_shapes):
        class_logits = head_outputs["cls_logits"]
        box_regression = head_outputs["bbox_regression"]
        box_ctrness = head_outputs["bbox_ctrness"]
        detections = []
        for index in range(len(image_shapes)):
            per_level = []
            for reg_l, logits_l, ctr_l, anchors_l in zip(
                    [br[index] for br in box_regression], [cl[index] for cl in class_logits],
                    [bc[index] for bc in box_ctrness], anchors[index]):
                per_level.append(_top_candidates(
                    self, ember.sqrt(ember.sigmoid(logits_l) * ember.sigmoid(ctr_l)).flatten(),
                    logits_l.shape[-1], reg_l, anchors_l, self.box_coder.decode,
                    image_shapes[index]))
            detections.append(_nms_detections(self, per_level))
        return detections

    def forward(self, images, targets=None):
        original_image_sizes, images, targets, features = _run_backbone(self, images, targets,
                                                                        _check_targets)
        head_outputs = self.head(features)
        anchors = self.anchor_generator(images, features)
        per_level = [x.size(2) * x.size(3) for x in features]
        losses = {}
        detections = []
        if self.training:
            losses = self.compute_loss(targets, head_outputs, anchors, per_level)
        else:
            split_outputs = {k: list(v.split(per_level, dim=1)) for k, v in head_outputs.items()}
            split_anchors = [list(a.split(per_level)) for a in anchors]
            detections = self.postprocess_detections(split_outputs, split_anchors,
                                                     images.image_sizes)
            detections = self.transform.postprocess(detections, images.image_sizes,
                                                    original_image_sizes)
        return self.eager_outputs(losses, detections)


class FCOS_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url=_URL + "fcos_resnet50_fpn_coco-99b0c9b7.pth", transforms=ObjectDetection,
        meta={"num_params": 32269600, "categories": _COCO_CATEGORIES, "min_size": (1, 1),
              "recipe": _RECIPE + "fcos-resnet-50-fpn",
              "_metrics": {"COCO-val2017": {"box_map": 39.2}}, "_ops": 128.207,
              "_file_size": 123.608,
              "_docs": "These weights were produced by following a similar training recipe "
                       "as on the paper."})
    DEFAULT = COCO_V1


@_handle_legacy(weights=("pretrained", FCOS_ResNet50_FPN_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def fcos_resnet50_fpn(*, weights=None, progress: bool = True, num_classes: int | None = None,
                      weights_backbone=ResNet50_Weights.IMAGENET1K_V1,
                      trainable_backbone_layers: int | None = None, **kwargs: Any) -> FCOS:
    """FCOS with a ResNet-50-FPN backbone (`FCOS: Fully Convolutional One-Stage Object
    Detection <https://arxiv.org/abs/1904.01355>`_)."""
    weights = FCOS_ResNet50_FPN_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    weights_backbone, num_classes = _prepare(weights, weights_backbone, num_classes)
    backbone = _resnet50_fpn(weights, weights_backbone, trainable_backbone_layers, progress,
                             returned_layers=[2, 3, 4],
                             extra_blocks=lambda: LastLevelP6P7(256, 256))
    return _load(FCOS(backbone, num_classes, **kwargs), weights, progress)
