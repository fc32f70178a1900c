"""SSD300 (Liu et al., 2016) on VGG-16, with torchvision's names, structure and weights.

The VGG features up to conv4_3 (L2-normalised and rescaled by a learned per-channel
weight) and five more blocks give six maps; ``SSDHead`` predicts, for each of their
default boxes (``DefaultBoxGenerator``), class logits (softmax, background = 0) and 4
offsets.  Training uses hard negative mining (3 negatives per positive) with smooth L1 and
cross-entropy; images are resized to a fixed 300x300.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import ember

from .... import nn
from ...._warnings import warn as _warn
from ....nn import functional as F
from ...ops import boxes as box_ops
from .._api import Weights, WeightsEnum
from ..segmentation._utils import _handle_legacy
from ..vgg import VGG16_Weights, vgg16
from . import _utils as det_utils
from ._utils import _COCO_CATEGORIES, ObjectDetection
from .anchor_utils import DefaultBoxGenerator
from .backbone_utils import _validate_trainable_layers
from .faster_rcnn import _RECIPE, _URL, _load, _prepare
from .retinanet import _run_backbone
from .transform import imagenet_transform

__all__ = ["SSD300_VGG16_Weights", "ssd300_vgg16"]  # SSD itself: detection.ssd.SSD


class SSD300_VGG16_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url=_URL + "ssd300_vgg16_coco-b556d3b4.pth", transforms=ObjectDetection,
        meta={"num_params": 35641826, "categories": _COCO_CATEGORIES, "min_size": (1, 1),
              "recipe": _RECIPE + "ssd300-vgg16",
              "_metrics": {"COCO-val2017": {"box_map": 25.1}}, "_ops": 34.858,
              "_file_size": 135.988,
              "_docs": "These weights were produced by following a similar training recipe "
                       "as on the paper."})
    DEFAULT = COCO_V1


def _xavier_init(conv: nn.Module) -> None:
    for layer in conv.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 0.0)


class SSDHead(nn.Module):
    """``classification_head`` and ``regression_head``: one 3x3 conv per feature map."""

    def __init__(self, in_channels: list[int], num_anchors: list[int], num_classes: int):
        super().__init__()
        self.classification_head = SSDClassificationHead(in_channels, num_anchors, num_classes)
        self.regression_head = SSDRegressionHead(in_channels, num_anchors)

    def forward(self, x):
        return {"bbox_regression": self.regression_head(x),
                "cls_logits": self.classification_head(x)}


class SSDScoringHead(nn.Module):
    """Applies ``module_list[i]`` to map ``i`` and concatenates the results as
    ``(N, sum H*W*A, num_columns)``."""

    def __init__(self, module_list: nn.ModuleList, num_columns: int) -> None:
        super().__init__()
        self.module_list = module_list
        self.num_columns = num_columns

    def _get_result_from_module_list(self, x, idx: int):
        return self.module_list[idx](x)

    def forward(self, x):
        out = []
        for i, features in enumerate(x):
            r = self.module_list[i](features)
            N, _, H, W = r.shape
            out.append(r.view(N, -1, self.num_columns, H, W).permute(0, 3, 4, 1, 2)
                       .reshape(N, -1, self.num_columns))
        return ember.cat(out, dim=1)


class SSDClassificationHead(SSDScoringHead):
    def __init__(self, in_channels: list[int], num_anchors: list[int], num_classes: int):
        convs = nn.ModuleList()
        for ch, a in zip(in_channels, num_anchors):
            convs.append(nn.Conv2d(ch, num_classes * a, kernel_size=3, padding=1))
        _xavier_init(convs)
        super().__init__(convs, num_classes)


class SSDRegressionHead(SSDScoringHead):
    def __init__(self, in_channels: list[int], num_anchors: list[int]):
        convs = nn.ModuleList()
        for ch, a in zip(in_channels, num_anchors):
            convs.append(nn.Conv2d(ch, 4 * a, kernel_size=3, padding=1))
        _xavier_init(convs)
        super().__init__(convs, 4)


def _check_targets_ssd(targets) -> None:
    if targets is None:
        raise AssertionError("targets should not be none when in training mode")
    for target in targets:
        boxes = target["boxes"]
        if not isinstance(boxes, ember.Tensor):
            raise AssertionError(f"Expected target boxes to be of type Tensor, got {type(boxes)}.")
        if not (len(boxes.shape) == 2 and boxes.shape[-1] == 4):
            raise AssertionError("Expected target boxes to be a tensor of shape [N, 4], got "
                                 f"{boxes.shape}.")


class SSD(nn.Module):
    """SSD over ``backbone`` (returning a list/dict of maps) with ``anchor_generator`` (a
    ``DefaultBoxGenerator``); images are resized to ``size`` exactly.  ``num_classes``
    counts the background."""

    def __init__(self, backbone: nn.Module, anchor_generator: DefaultBoxGenerator,
                 size: tuple[int, int], num_classes: int, image_mean=None, image_std=None,
                 head: nn.Module | None = None, score_thresh: float = 0.01,
                 nms_thresh: float = 0.45, detections_per_img: int = 200,
                 iou_thresh: float = 0.5, topk_candidates: int = 400,
                 positive_fraction: float = 0.25, **kwargs: Any) -> None:
        super().__init__()
        self.backbone = backbone
        self.anchor_generator = anchor_generator
        self.box_coder = det_utils.BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))
        if head is None:
            if hasattr(backbone, "out_channels"):
                out_channels = backbone.out_channels
            else:
                out_channels = det_utils.retrieve_out_channels(backbone, size)
            if len(out_channels) != len(anchor_generator.aspect_ratios):
                raise ValueError(f"The length of the output channels from the backbone "
                                 f"({len(out_channels)}) do not match the length of the anchor "
                                 f"generator aspect ratios "
                                 f"({len(anchor_generator.aspect_ratios)})")
            head = SSDHead(out_channels, self.anchor_generator.num_anchors_per_location(),
                           num_classes)
        self.head = head
        self.proposal_matcher = det_utils.SSDMatcher(iou_thresh)
        self.transform = imagenet_transform(min(size), max(size), image_mean, image_std,
                                            size_divisible=1, fixed_size=size, **kwargs)
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self.neg_to_pos_ratio = (1.0 - positive_fraction) / positive_fraction
        self._has_warned = False

    def eager_outputs(self, losses, detections):
        return losses if self.training else detections

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        bbox_regression = head_outputs["bbox_regression"]
        cls_logits = head_outputs["cls_logits"]
        num_fg = 0
        bbox_loss, cls_targets = [], []
        for target, reg, logits, anchors_i, matched in zip(targets, bbox_regression, cls_logits,
                                                           anchors, matched_idxs):
            fg = ember.where(matched >= 0)[0]
            fg_matched = matched[fg]
            num_fg += fg_matched.numel()
            gt_boxes = target["boxes"][fg_matched]
            target_reg = self.box_coder.encode_single(gt_boxes, anchors_i[fg, :])
            bbox_loss.append(F.smooth_l1_loss(reg[fg, :], target_reg, reduction="sum"))
            cls_t = ember.zeros((logits.size(0),), dtype=target["labels"].dtype,
                                device=target["labels"].device)
            cls_t[fg] = target["labels"][fg_matched]
            cls_targets.append(cls_t)
        bbox_loss = ember.stack(bbox_loss)
        cls_targets = ember.stack(cls_targets)
        num_classes = cls_logits.size(-1)
        cls_loss = F.cross_entropy(cls_logits.view(-1, num_classes), cls_targets.view(-1),
                                   reduction="none").view(cls_targets.size())
        # hard negative mining: per image, the neg_to_pos_ratio x positives hardest negatives
        fg_mask = cls_targets > 0
        num_negative = self.neg_to_pos_ratio * fg_mask.sum(1, keepdim=True)
        negative_loss = cls_loss.clone()
        negative_loss[fg_mask] = -float("inf")
        _, idx = negative_loss.sort(1, descending=True)
        bg_mask = idx.sort(1)[1] < num_negative
        N = max(1, num_fg)
        return {"bbox_regression": bbox_loss.sum() / N,
                "classification": (cls_loss[fg_mask].sum() + cls_loss[bg_mask].sum()) / N}

    def forward(self, images, targets=None):
        original_image_sizes, images, targets, features = _run_backbone(self, images, targets,
                                                                        _check_targets_ssd)
        head_outputs = self.head(features)
        anchors = self.anchor_generator(images, features)
        losses = {}
        detections = []
        if self.training:
            matched_idxs = []
            for anchors_i, target in zip(anchors, targets):
                if target["boxes"].numel() == 0:
                    matched_idxs.append(ember.full((anchors_i.size(0),), -1, dtype=ember.int64,
                                                   device=anchors_i.device))
                    continue
                matched_idxs.append(self.proposal_matcher(box_ops.box_iou(target["boxes"],
                                                                          anchors_i)))
            losses = self.compute_loss(targets, head_outputs, anchors, matched_idxs)
        else:
            detections = self.postprocess_detections(head_outputs, anchors, images.image_sizes)
            detections = self.transform.postprocess(detections, images.image_sizes,
                                                    original_image_sizes)
        return self.eager_outputs(losses, detections)

    def postprocess_detections(self, head_outputs, image_anchors, image_shapes):
        bbox_regression = head_outputs["bbox_regression"]
        pred_scores = F.softmax(head_outputs["cls_logits"], dim=-1)
        num_classes = pred_scores.size(-1)
        device = pred_scores.device
        detections = []
        for boxes, scores, anchors, image_shape in zip(bbox_regression, pred_scores,
                                                       image_anchors, image_shapes):
            boxes = box_ops.clip_boxes_to_image(self.box_coder.decode_single(boxes, anchors),
                                                image_shape)
            image_boxes, image_scores, image_labels = [], [], []
            for label in range(1, num_classes):
                score = scores[:, label]
                keep = score > self.score_thresh
                score = score[keep]
                box = boxes[keep]
                k = det_utils._topk_min(score, self.topk_candidates, 0)
                score, idxs = score.topk(k)
                image_boxes.append(box[idxs])
                image_scores.append(score)
                image_labels.append(ember.full_like(score, fill_value=label, dtype=ember.int64,
                                                    device=device))
            image_boxes = ember.cat(image_boxes, dim=0)
            image_scores = ember.cat(image_scores, dim=0)
            image_labels = ember.cat(image_labels, dim=0)
            keep = box_ops.batched_nms(image_boxes, image_scores, image_labels, self.nms_thresh)
            keep = keep[:self.detections_per_img]
            detections.append({"boxes": image_boxes[keep], "scores": image_scores[keep],
                               "labels": image_labels[keep]})
        return detections


class SSDFeatureExtractorVGG(nn.Module):
    """VGG-16 features as SSD's six maps: conv4_3 (normalised, ``scale_weight``), then
    fc6/fc7 as convolutions and four (five when ``highres``) extra blocks."""

    def __init__(self, backbone: nn.Module, highres: bool) -> None:
        super().__init__()
        _, _, maxpool3_pos, maxpool4_pos, _ = (i for i, layer in enumerate(backbone)
                                               if isinstance(layer, nn.MaxPool2d))
        backbone[maxpool3_pos].ceil_mode = True
        self.scale_weight = nn.Parameter(ember.ones(512) * 20)
        self.features = nn.Sequential(*backbone[:maxpool4_pos])

        def block(cin, mid, cout, **conv):
            return nn.Sequential(nn.Conv2d(cin, mid, kernel_size=1), nn.ReLU(inplace=True),
                                 nn.Conv2d(mid, cout, **conv), nn.ReLU(inplace=True))

        extra = nn.ModuleList([
            block(1024, 256, 512, kernel_size=3, padding=1, stride=2),
            block(512, 128, 256, kernel_size=3, padding=1, stride=2),
            block(256, 128, 256, kernel_size=3),
            block(256, 128, 256, kernel_size=3)])
        if highres:
            extra.append(block(256, 128, 256, kernel_size=4))
        _xavier_init(extra)
        fc = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=False),
            nn.Conv2d(in_channels=512, out_channels=1024, kernel_size=3, padding=6, dilation=6),
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels=1024, out_channels=1024, kernel_size=1),
            nn.ReLU(inplace=True))
        _xavier_init(fc)
        extra.insert(0, nn.Sequential(*backbone[maxpool4_pos:-1], fc))
        self.extra = extra

    def forward(self, x):
        x = self.features(x)
        output = [self.scale_weight.view(1, -1, 1, 1) * F.normalize(x)]
        for block in self.extra:
            x = block(x)
            output.append(x)
        return OrderedDict((str(i), v) for i, v in enumerate(output))


def _vgg_extractor(backbone, highres: bool, trainable_layers: int):
    features = backbone.features
    stage_indices = [0] + [i for i, b in enumerate(features)
                           if isinstance(b, nn.MaxPool2d)][:-1]
    num_stages = len(stage_indices)
    if not 0 <= trainable_layers <= num_stages:
        raise AssertionError(f"trainable_layers should be in the range [0, {num_stages}]. "
                             f"Instead got {trainable_layers}")
    freeze_before = (len(features) if trainable_layers == 0
                     else stage_indices[num_stages - trainable_layers])
    for b in features[:freeze_before]:
        for parameter in b.parameters():
            parameter.requires_grad_(False)
    return SSDFeatureExtractorVGG(features, highres)


@_handle_legacy(weights=("pretrained", SSD300_VGG16_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", VGG16_Weights.IMAGENET1K_FEATURES))
def ssd300_vgg16(*, weights=None, progress: bool = True, num_classes: int | None = None,
                 weights_backbone=VGG16_Weights.IMAGENET1K_FEATURES,
                 trainable_backbone_layers: int | None = None, **kwargs: Any) -> SSD:
    """SSD300 with a VGG-16 backbone (`SSD: Single Shot MultiBox Detector
    <https://arxiv.org/abs/1512.02325>`_).  The input size is fixed at 300x300."""
    weights = SSD300_VGG16_Weights.verify(weights)
    weights_backbone = VGG16_Weights.verify(weights_backbone)
    if "size" in kwargs:
        _warn("The size of the model is already fixed; ignoring the parameter.")
    weights_backbone, num_classes = _prepare(weights, weights_backbone, num_classes)
    trainable_backbone_layers = _validate_trainable_layers(
        weights is not None or weights_backbone is not None, trainable_backbone_layers, 5, 4)
    backbone = vgg16(weights=weights_backbone, progress=progress)
    backbone = _vgg_extractor(backbone, False, trainable_backbone_layers)
    anchor_generator = DefaultBoxGenerator(
        [[2], [2, 3], [2, 3], [2, 3], [2], [2]],
        scales=[0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05], steps=[8, 16, 32, 64, 100, 300])
    defaults = {"image_mean": [0.48235, 0.45882, 0.40784],
                "image_std": [1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0]}
    model = SSD(backbone, anchor_generator, (300, 300), num_classes, **{**defaults, **kwargs})
    return _load(model, weights, progress)
