"""What the detection models share: box encoding (``BoxCoder``), ground-truth matching
(``Matcher``), positive/negative sampling, the COCO label names and the weights' preset.

``BalancedPositiveNegativeSampler`` draws its samples with ``ember.randperm``, which gives
PyTorch's numbers under the same seed, so a seeded training step samples what
torchvision's does.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import ember

from .... import nn
from ....nn import functional as F
from ...ops import (FrozenBatchNorm2d, complete_box_iou_loss, distance_box_iou_loss,
                    generalized_box_iou_loss)

__all__ = ["BalancedPositiveNegativeSampler", "BoxCoder", "BoxLinearCoder", "Matcher",
           "ObjectDetection", "SSDMatcher", "overwrite_eps", "retrieve_out_channels"]

_COCO_CATEGORIES = [
    "__background__", "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train",
    "truck", "boat", "traffic light", "fire hydrant", "N/A", "stop sign", "parking meter",
    "bench", "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra",
    "giraffe", "N/A", "backpack", "umbrella", "N/A", "N/A", "handbag", "tie", "suitcase",
    "frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove",
    "skateboard", "surfboard", "tennis racket", "bottle", "N/A", "wine glass", "cup", "fork",
    "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot",
    "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed", "N/A",
    "dining table", "N/A", "N/A", "toilet", "N/A", "tv", "laptop", "mouse", "remote",
    "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "N/A",
    "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush"]

_COCO_PERSON_CATEGORIES = ["no person", "person"]

_COCO_PERSON_KEYPOINT_NAMES = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]


class ObjectDetection(nn.Module):
    """The detection weights' preprocessing: a PIL image becomes a tensor, and the values
    are rescaled to floats in [0, 1] (resizing and normalizing happen inside the model)."""

    def forward(self, img):
        from ...._tensor import Tensor
        from ...transforms import functional as TF

        if not isinstance(img, Tensor):
            img = TF.pil_to_tensor(img)
        return TF.convert_image_dtype(img, ember.float)

    def __repr__(self) -> str:
        return type(self).__name__ + "()"

    def describe(self) -> str:
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` "
                "image ``torch.Tensor`` objects. The images are rescaled to ``[0.0, 1.0]``.")


class BalancedPositiveNegativeSampler:
    """Per image, picks at most ``batch_size_per_image * positive_fraction`` positives
    (``matched >= 1``) at random and fills the rest of the batch with negatives
    (``matched == 0``); ``-1`` entries are never picked.  Returns two lists of uint8
    masks (positives, negatives), one per image."""

    def __init__(self, batch_size_per_image: int, positive_fraction: float) -> None:
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction

    def __call__(self, matched_idxs):
        pos_masks, neg_masks = [], []
        for matched in matched_idxs:
            positive = ember.where(matched >= 1)[0]
            negative = ember.where(matched == 0)[0]
            num_pos = min(positive.numel(), int(self.batch_size_per_image
                                                * self.positive_fraction))
            num_neg = min(negative.numel(), self.batch_size_per_image - num_pos)
            # the two permutations are drawn in this order, as torchvision draws them
            perm_pos = ember.randperm(positive.numel(), device=positive.device)[:num_pos]
            perm_neg = ember.randperm(negative.numel(), device=negative.device)[:num_neg]
            pos_mask = ember.zeros_like(matched, dtype=ember.uint8)
            neg_mask = ember.zeros_like(matched, dtype=ember.uint8)
            pos_mask[positive[perm_pos]] = 1
            neg_mask[negative[perm_neg]] = 1
            pos_masks.append(pos_mask)
            neg_masks.append(neg_mask)
        return pos_masks, neg_masks


def encode_boxes(reference_boxes, proposals, weights):
    """Offsets ``(dx, dy, dw, dh)`` that move each proposal onto its reference box, scaled
    by ``weights`` (a 4-element tensor)."""
    wx, wy, ww, wh = weights[0], weights[1], weights[2], weights[3]
    px1, py1, px2, py2 = (proposals[:, i].unsqueeze(1) for i in range(4))
    gx1, gy1, gx2, gy2 = (reference_boxes[:, i].unsqueeze(1) for i in range(4))
    pw = px2 - px1
    ph = py2 - py1
    pcx = px1 + 0.5 * pw
    pcy = py1 + 0.5 * ph
    gw = gx2 - gx1
    gh = gy2 - gy1
    gcx = gx1 + 0.5 * gw
    gcy = gy1 + 0.5 * gh
    dx = wx * (gcx - pcx) / pw
    dy = wy * (gcy - pcy) / ph
    dw = ww * ember.log(gw / pw)
    dh = wh * ember.log(gh / ph)
    return ember.cat((dx, dy, dw, dh), dim=1)


class BoxCoder:
    """Encodes boxes as offsets from reference boxes (Faster R-CNN's parametrisation) and
    decodes them back; ``dw``/``dh`` are clamped at ``bbox_xform_clip`` before ``exp``."""

    def __init__(self, weights: tuple[float, float, float, float],
                 bbox_xform_clip: float = math.log(1000.0 / 16)) -> None:
        self.weights = weights
        self.bbox_xform_clip = bbox_xform_clip

    def encode(self, reference_boxes, proposals):
        counts = [len(b) for b in reference_boxes]
        targets = self.encode_single(ember.cat(list(reference_boxes), dim=0),
                                     ember.cat(list(proposals), dim=0))
        return targets.split(counts, 0)

    def encode_single(self, reference_boxes, proposals):
        weights = ember.as_tensor(self.weights, dtype=reference_boxes.dtype,
                                  device=reference_boxes.device)
        return encode_boxes(reference_boxes, proposals, weights)

    def decode(self, rel_codes, boxes):
        if not isinstance(boxes, (list, tuple)):
            raise AssertionError("This function expects boxes of type list or tuple.")
        if not isinstance(rel_codes, ember.Tensor):
            raise AssertionError("This function expects rel_codes of type torch.Tensor.")
        box_sum = sum(b.size(0) for b in boxes)
        concat = ember.cat(list(boxes), dim=0)
        if box_sum > 0:
            rel_codes = rel_codes.reshape(box_sum, -1)
        pred = self.decode_single(rel_codes, concat)
        if box_sum > 0:
            pred = pred.reshape(box_sum, -1, 4)
        return pred

    def decode_single(self, rel_codes, boxes):
        boxes = boxes.to(rel_codes.dtype)
        widths = boxes[:, 2] - boxes[:, 0]
        heights = boxes[:, 3] - boxes[:, 1]
        ctr_x = boxes[:, 0] + 0.5 * widths
        ctr_y = boxes[:, 1] + 0.5 * heights
        wx, wy, ww, wh = self.weights
        dx = rel_codes[:, 0::4] / wx
        dy = rel_codes[:, 1::4] / wy
        dw = ember.clamp(rel_codes[:, 2::4] / ww, max=self.bbox_xform_clip)
        dh = ember.clamp(rel_codes[:, 3::4] / wh, max=self.bbox_xform_clip)
        cx = dx * widths[:, None] + ctr_x[:, None]
        cy = dy * heights[:, None] + ctr_y[:, None]
        half_w = 0.5 * (ember.exp(dw) * widths[:, None])
        half_h = 0.5 * (ember.exp(dh) * heights[:, None])
        return ember.stack((cx - half_w, cy - half_h, cx + half_w, cy + half_h),
                           dim=2).flatten(1)


class BoxLinearCoder:
    """FCOS's encoding: distances from the reference box's centre to the four edges of
    the target box, divided by the reference's width/height when ``normalize_by_size``."""

    def __init__(self, normalize_by_size: bool = True) -> None:
        self.normalize_by_size = normalize_by_size

    def _sizes(self, boxes):
        w = boxes[..., 2] - boxes[..., 0]
        h = boxes[..., 3] - boxes[..., 1]
        return ember.stack((w, h, w, h), dim=-1)

    def encode(self, reference_boxes, proposals):
        cx = 0.5 * (reference_boxes[..., 0] + reference_boxes[..., 2])
        cy = 0.5 * (reference_boxes[..., 1] + reference_boxes[..., 3])
        targets = ember.stack((cx - proposals[..., 0], cy - proposals[..., 1],
                               proposals[..., 2] - cx, proposals[..., 3] - cy), dim=-1)
        if self.normalize_by_size:
            targets = targets / self._sizes(reference_boxes)
        return targets

    def decode(self, rel_codes, boxes):
        boxes = boxes.to(dtype=rel_codes.dtype)
        cx = 0.5 * (boxes[..., 0] + boxes[..., 2])
        cy = 0.5 * (boxes[..., 1] + boxes[..., 3])
        if self.normalize_by_size:
            rel_codes = rel_codes * self._sizes(boxes)
        return ember.stack((cx - rel_codes[..., 0], cy - rel_codes[..., 1],
                            cx + rel_codes[..., 2], cy + rel_codes[..., 3]), dim=-1)


class Matcher:
    """Matches each prediction (column of an M x N quality matrix) to its best ground
    truth (row): quality >= ``high_threshold`` keeps the match, below ``low_threshold``
    gives ``BELOW_LOW_THRESHOLD`` (-1), in between ``BETWEEN_THRESHOLDS`` (-2).  With
    ``allow_low_quality_matches`` every ground truth also keeps the predictions that
    overlap it best (ties included), whatever their quality."""

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(self, high_threshold: float, low_threshold: float,
                 allow_low_quality_matches: bool = False) -> None:
        self.BELOW_LOW_THRESHOLD = -1
        self.BETWEEN_THRESHOLDS = -2
        if not low_threshold <= high_threshold:
            raise AssertionError("low_threshold should be <= high_threshold")
        self.high_threshold = high_threshold
        self.low_threshold = low_threshold
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, match_quality_matrix):
        if match_quality_matrix.numel() == 0:
            if match_quality_matrix.shape[0] == 0:
                raise ValueError("No ground-truth boxes available for one of the images "
                                 "during training")
            raise ValueError("No proposal boxes available for one of the images during "
                             "training")
        matched_vals, matches = match_quality_matrix.max(dim=0)
        all_matches = matches.clone() if self.allow_low_quality_matches else None
        below = matched_vals < self.low_threshold
        between = (matched_vals >= self.low_threshold) & (matched_vals < self.high_threshold)
        matches[below] = self.BELOW_LOW_THRESHOLD
        matches[between] = self.BETWEEN_THRESHOLDS
        if all_matches is not None:
            self.set_low_quality_matches_(matches, all_matches, match_quality_matrix)
        return matches

    def set_low_quality_matches_(self, matches, all_matches, match_quality_matrix) -> None:
        best_per_gt, _ = match_quality_matrix.max(dim=1)
        pairs = ember.where(match_quality_matrix == best_per_gt[:, None])
        preds = pairs[1]
        matches[preds] = all_matches[preds]


class SSDMatcher(Matcher):
    """One threshold; every ground truth also claims the prediction that overlaps it
    best."""

    def __init__(self, threshold: float) -> None:
        super().__init__(threshold, threshold, allow_low_quality_matches=False)

    def __call__(self, match_quality_matrix):
        matches = super().__call__(match_quality_matrix)
        _, best_pred = match_quality_matrix.max(dim=1)
        matches[best_pred] = ember.arange(best_pred.size(0), dtype=ember.int64,
                                          device=best_pred.device)
        return matches


def overwrite_eps(model: nn.Module, eps: float) -> None:
    """Sets ``eps`` of every ``FrozenBatchNorm2d`` in ``model`` (the first COCO weights were
    trained with ``eps=0``)."""
    for module in model.modules():
        if isinstance(module, FrozenBatchNorm2d):
            module.eps = eps


def retrieve_out_channels(model: nn.Module, size: tuple[int, int]) -> list[int]:
    """The channels of each feature map ``model`` returns for a zero image of ``size``
    (width, height)."""
    was_training = model.training
    model.eval()
    with ember.no_grad():
        device = next(model.parameters()).device
        features = model(ember.zeros((1, 3, size[1], size[0]), device=device))
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        out = [x.size(1) for x in features.values()]
    if was_training:
        model.train()
    return out


def _topk_min(input, orig_kval: int, axis: int) -> int:
    return min(orig_kval, input.size(axis))


def _box_loss(type: str, box_coder, anchors_per_image, matched_gt_boxes_per_image,
              bbox_regression_per_image, cnf=None):
    if type not in ("l1", "smooth_l1", "ciou", "diou", "giou"):
        raise AssertionError(f"Unsupported loss: {type}")
    if type in ("l1", "smooth_l1"):
        target = box_coder.encode_single(matched_gt_boxes_per_image, anchors_per_image)
        if type == "l1":
            return F.l1_loss(bbox_regression_per_image, target, reduction="sum")
        beta = cnf["beta"] if cnf is not None and "beta" in cnf else 1.0
        return F.smooth_l1_loss(bbox_regression_per_image, target, reduction="sum", beta=beta)
    boxes = box_coder.decode_single(bbox_regression_per_image, anchors_per_image)
    eps = cnf["eps"] if cnf is not None and "eps" in cnf else 1e-7
    loss = {"ciou": complete_box_iou_loss, "diou": distance_box_iou_loss,
            "giou": generalized_box_iou_loss}[type]
    return loss(boxes, matched_gt_boxes_per_image, reduction="sum", eps=eps)
