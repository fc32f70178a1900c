"""IoU-based box regression losses: generalized, distance and complete IoU."""
from __future__ import annotations

import math

import ember

__all__ = ["complete_box_iou_loss", "distance_box_iou_loss", "generalized_box_iou_loss"]


def _float(t):
    return t if t.dtype in (ember.float32, ember.float64) else t.float()


def _reduce(loss, reduction: str):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction "
                     "modes: 'none', 'mean', 'sum'")


def _inter_union(boxes1, boxes2):
    """Elementwise intersection and union areas of two ``(..., 4)`` ``xyxy`` box sets."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xi1, yi1 = ember.maximum(x1, x1g), ember.maximum(y1, y1g)
    xi2, yi2 = ember.minimum(x2, x2g), ember.minimum(y2, y2g)
    # NOTE: written into zeros at the overlapping pairs (not a ``where``) and, below, each
    # loss unbinds the boxes as often as torchvision: the gradients reaching the boxes add
    # up in the same order, so they round the same
    overlap = (yi2 > yi1) & (xi2 > xi1)
    inter = ember.zeros_like(x1)
    inter[overlap] = (xi2[overlap] - xi1[overlap]) * (yi2[overlap] - yi1[overlap])
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    return inter, union


def _enclosure(pred, target):
    """Corners of the smallest boxes enclosing the unbound ``pred`` and ``target`` boxes."""
    (x1, y1, x2, y2), (x1g, y1g, x2g, y2g) = pred, target
    return (ember.minimum(x1, x1g), ember.minimum(y1, y1g), ember.maximum(x2, x2g),
            ember.maximum(y2, y2g))


def generalized_box_iou_loss(boxes1, boxes2, reduction: str = "none", eps: float = 1e-7):
    """``1 - GIoU`` of matching ``xyxy`` boxes (elementwise, not pairwise)."""
    boxes1, boxes2 = _float(boxes1), _float(boxes2)
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    xc1, yc1, xc2, yc2 = _enclosure(boxes1.unbind(dim=-1), boxes2.unbind(dim=-1))
    area_c = (xc2 - xc1) * (yc2 - yc1)
    return _reduce(1 - (iou - ((area_c - union) / (area_c + eps))), reduction)


def _diou_iou_loss(boxes1, boxes2, eps: float = 1e-7):
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / (union + eps)
    x1, y1, x2, y2 = pred = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = target = boxes2.unbind(dim=-1)
    xc1, yc1, xc2, yc2 = _enclosure(pred, target)
    diag = ((xc2 - xc1) ** 2) + ((yc2 - yc1) ** 2) + eps
    centers = (((x2 + x1) / 2 - (x1g + x2g) / 2) ** 2) + (((y2 + y1) / 2 - (y1g + y2g) / 2) ** 2)
    return 1 - iou + centers / diag, iou


def distance_box_iou_loss(boxes1, boxes2, reduction: str = "none", eps: float = 1e-7):
    """``1 - DIoU`` of matching ``xyxy`` boxes."""
    loss, _ = _diou_iou_loss(_float(boxes1), _float(boxes2), eps)
    return _reduce(loss, reduction)


def complete_box_iou_loss(boxes1, boxes2, reduction: str = "none", eps: float = 1e-7):
    """``1 - CIoU`` of matching ``xyxy`` boxes."""
    boxes1, boxes2 = _float(boxes1), _float(boxes2)
    # NOTE: torchvision computes the DIoU part with the default eps whatever ``eps`` is
    diou_loss, iou = _diou_iou_loss(boxes1, boxes2)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    v = (4 / (math.pi ** 2)) * ember.pow(
        ember.atan((x2g - x1g) / (y2g - y1g)) - ember.atan((x2 - x1) / (y2 - y1)), 2)
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _reduce(diou_loss + alpha * v, reduction)
