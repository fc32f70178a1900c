"""Bounding-box utilities: formats, areas, IoU variants, non-maximum suppression.

Boxes are ``(..., 4)`` tensors, ``xyxy`` (corners ``x1, y1, x2, y2`` with ``x1 <= x2``,
``y1 <= y2``) unless a function takes another ``fmt``.  Everything except the
suppression functions (which return indices) is written with ember tensor ops, so
gradients flow through it as through torchvision's.

>>> box_iou(ember.tensor([[0., 0, 2, 2]]), ember.tensor([[1., 1, 3, 3]]))  # doctest: +SKIP
tensor([[0.1429]])
"""
from __future__ import annotations

import math

import numpy as np

import ember

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "clip_boxes_to_image",
           "complete_box_iou", "distance_box_iou", "generalized_box_iou", "masks_to_boxes",
           "nms", "remove_small_boxes"]


def _upcast(t):
    """float16/bfloat16 to float32 and small integers to int32, against overflow in products."""
    if t.is_floating_point():
        return t if t.dtype in (ember.float32, ember.float64) else t.float()
    return t if t.dtype in (ember.int32, ember.int64) else t.int()


# -- suppression -------------------------------------------------------------------------------

def _nms_numpy(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy NMS as torchvision's CPU kernel computes it, in the boxes' own dtype.

    Boxes are visited by decreasing score (a stable sort, so ties keep their input order;
    NaN scores come first, as torch sorts them);
    each one kept suppresses every later box whose IoU with it exceeds the threshold.
    """
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    areas = (x2 - x1) * (y2 - y1)
    # torch's stable descending sort, NaN scores first (torch sorts NaN above everything)
    keys = scores.astype(np.float64)
    order = np.lexsort((-keys, ~np.isnan(keys)))
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for pos, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[pos + 1:]
        rest = rest[~suppressed[rest]]
        if not len(rest):
            continue
        w = np.maximum(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0)
        h = np.maximum(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0)
        inter = w * h
        with np.errstate(invalid="ignore", divide="ignore"):  # empty boxes: 0/0 is not > thr
            iou = inter / (areas[i] + areas[rest] - inter)
        # NOTE: the kernel compares its float IoU with the threshold as a double
        suppressed[rest[iou.astype(np.float64) > iou_threshold]] = True
    return np.asarray(keep, dtype=np.int64)


def nms(boxes, scores, iou_threshold: float):
    """Indices (int64) of the boxes non-maximum suppression keeps, by decreasing score.

    ``boxes`` is ``(N, 4)`` in ``xyxy``, ``scores`` ``(N,)``; a box is dropped when its IoU
    with a higher-scoring kept box is above ``iou_threshold``.
    """
    if boxes.dim() != 2:
        raise RuntimeError(f"boxes should be a 2d tensor, got {boxes.dim()}D")
    if boxes.shape[1] != 4:
        raise RuntimeError(f"boxes should have 4 elements in dimension 1, got {boxes.shape[1]}")
    if scores.dim() != 1:
        raise RuntimeError(f"scores should be a 1d tensor, got {scores.dim()}D")
    if boxes.shape[0] != scores.shape[0]:
        raise RuntimeError(f"boxes and scores should have same number of elements in dimension "
                           f"0, got {boxes.shape[0]} and {scores.shape[0]}")
    if boxes.dtype != scores.dtype:
        raise RuntimeError("dets should have the same type as scores")
    b = boxes.detach().cpu().numpy()
    s = scores.detach().cpu().numpy()
    keep = _nms_numpy(b, s, float(iou_threshold)) if b.shape[0] else np.zeros(0, np.int64)
    return ember.as_tensor(keep, device=boxes.device)


def batched_nms(boxes, scores, idxs, iou_threshold: float):
    """NMS within each category ``idxs[i]``: boxes of different categories never suppress.

    Returns int64 indices sorted by decreasing score.
    """
    # NOTE: torchvision picks its method by size, and so does ember, because the two can
    # differ in rounding: small inputs shift each category's boxes apart by a multiple of
    # (largest coordinate + 1) and run one NMS; large ones run one NMS per category.
    if boxes.numel() > (4000 if boxes.device.type == "cpu" else 100_000):
        return _batched_nms_vanilla(boxes, scores, idxs, iou_threshold)
    return _batched_nms_coordinate_trick(boxes, scores, idxs, iou_threshold)


def _batched_nms_coordinate_trick(boxes, scores, idxs, iou_threshold: float):
    if boxes.numel() == 0:
        return ember.empty((0,), dtype=ember.int64, device=boxes.device)
    max_coordinate = boxes.max()
    offsets = idxs.to(boxes) * (max_coordinate + ember.tensor(1).to(boxes))
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def _batched_nms_vanilla(boxes, scores, idxs, iou_threshold: float):
    keep_mask = ember.zeros_like(scores, dtype=ember.bool)
    for class_id in ember.unique(idxs):
        curr = ember.where(idxs == class_id)[0]
        kept = nms(boxes[curr], scores[curr], iou_threshold)
        keep_mask[curr[kept]] = True
    keep = ember.where(keep_mask)[0]
    return keep[scores[keep].sort(descending=True)[1]]


def remove_small_boxes(boxes, min_size: float):
    """Indices of the boxes whose width and height are both at least ``min_size``."""
    ws, hs = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return ember.where((ws >= min_size) & (hs >= min_size))[0]


def clip_boxes_to_image(boxes, size: tuple[int, int]):
    """Clamp ``xyxy`` boxes into an image of ``size = (height, width)``."""
    dim = boxes.dim()
    height, width = size
    xs = boxes[..., 0::2].clamp(min=0, max=width)
    ys = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((xs, ys), dim=dim).reshape(boxes.shape)


# -- formats -----------------------------------------------------------------------------------

def _cxcywh_to_xyxy(b):
    cx, cy, w, h = b.unbind(-1)
    return ember.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=-1)


def _xyxy_to_cxcywh(b):
    x1, y1, x2, y2 = b.unbind(-1)
    return ember.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def _xywh_to_xyxy(b):
    x, y, w, h = b.unbind(-1)
    return ember.stack((x, y, x + w, y + h), dim=-1)


def _xyxy_to_xywh(b):
    x1, y1, x2, y2 = b.unbind(-1)
    return ember.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)


def _rotated(fn):
    """Run a rotated-box conversion; integer boxes are computed in float and rounded back."""

    def wrapper(b):
        out = fn(b)
        if not b.is_floating_point():
            out = out.round().to(b.dtype)
        return out

    return wrapper


def _cos_sin(r):
    rad = r * math.pi / 180.0
    return ember.cos(rad), ember.sin(rad)


@_rotated
def _cxcywhr_to_xywhr(b):
    cx, cy, w, h, r = b.unbind(-1)
    cos, sin = _cos_sin(r)
    return ember.stack((cx - w / 2 * cos - h / 2 * sin, cy - h / 2 * cos + w / 2 * sin, w, h, r),
                       dim=-1)


@_rotated
def _xywhr_to_cxcywhr(b):
    x1, y1, w, h, r = b.unbind(-1)
    cos, sin = _cos_sin(r)
    return ember.stack((x1 + w / 2 * cos + h / 2 * sin, y1 - w / 2 * sin + h / 2 * cos, w, h, r),
                       dim=-1)


@_rotated
def _xywhr_to_xyxyxyxy(b):
    x1, y1, w, h, r = b.unbind(-1)
    cos, sin = _cos_sin(r)
    x2, y2 = x1 + w * cos, y1 - w * sin
    return ember.stack((x1, y1, x2, y2, x2 + h * sin, y2 + h * cos, x1 + h * sin, y1 + h * cos),
                       dim=-1)


@_rotated
def _xyxyxyxy_to_xywhr(b):
    x1, y1, x2, y2, x3, y3, _, _ = b.unbind(-1)
    r = ember.atan2(y1 - y2, x2 - x1) * 180 / math.pi
    w = ((x2 - x1) ** 2 + (y1 - y2) ** 2).sqrt()
    h = ((x3 - x2) ** 2 + (y3 - y2) ** 2).sqrt()
    return ember.stack((x1, y1, w, h, r), dim=-1)


_FORMATS = ("xyxy", "xywh", "cxcywh", "xywhr", "cxcywhr", "xyxyxyxy")
_CONVERSIONS = {
    ("xywh", "xyxy"): (_xywh_to_xyxy,),
    ("cxcywh", "xyxy"): (_cxcywh_to_xyxy,),
    ("xyxy", "xywh"): (_xyxy_to_xywh,),
    ("xyxy", "cxcywh"): (_xyxy_to_cxcywh,),
    ("xywh", "cxcywh"): (_xywh_to_xyxy, _xyxy_to_cxcywh),
    ("cxcywh", "xywh"): (_cxcywh_to_xyxy, _xyxy_to_xywh),
    ("cxcywhr", "xywhr"): (_cxcywhr_to_xywhr,),
    ("xywhr", "cxcywhr"): (_xywhr_to_cxcywhr,),
    ("cxcywhr", "xyxyxyxy"): (_cxcywhr_to_xywhr, _xywhr_to_xyxyxyxy),
    ("xyxyxyxy", "cxcywhr"): (_xyxyxyxy_to_xywhr, _xywhr_to_cxcywhr),
    ("xywhr", "xyxyxyxy"): (_xywhr_to_xyxyxyxy,),
    ("xyxyxyxy", "xywhr"): (_xyxyxyxy_to_xywhr,),
}


def box_convert(boxes, in_fmt: str, out_fmt: str):
    """Convert boxes between ``xyxy``, ``xywh`` (corner and size), ``cxcywh`` (centre and
    size) and the rotated ``xywhr``, ``cxcywhr`` (angle in degrees) and ``xyxyxyxy``."""
    if in_fmt not in _FORMATS or out_fmt not in _FORMATS:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and "
                         f"out_fmt {out_fmt}")
    if in_fmt == out_fmt:
        return boxes.clone()
    steps = _CONVERSIONS.get((in_fmt, out_fmt))
    if steps is None:
        raise NotImplementedError(f"Unsupported Bounding Box Conversions for given in_fmt "
                                  f"{in_fmt} and out_fmt {out_fmt}")
    for step in steps:
        boxes = step(boxes)
    return boxes


# -- areas and overlaps -------------------------------------------------------------------------

def box_area(boxes, fmt: str = "xyxy"):
    """Areas of ``(..., 4)`` boxes in ``fmt`` (``xyxy``, ``xywh`` or ``cxcywh``)."""
    if fmt not in ("xyxy", "xywh", "cxcywh"):
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _box_inter_union(boxes1, boxes2, fmt: str = "xyxy"):
    area1 = box_area(boxes1, fmt=fmt)
    area2 = box_area(boxes2, fmt=fmt)
    a, b = boxes1[..., None, :], boxes2[..., None, :, :]  # broadcast to [..., N, M, 4]
    if fmt == "xyxy":
        lt = ember.maximum(a[..., :2], b[..., :2])
        rb = ember.minimum(a[..., 2:], b[..., 2:])
    elif fmt == "xywh":
        lt = ember.maximum(a[..., :2], b[..., :2])
        rb = ember.minimum(a[..., :2] + a[..., 2:], b[..., :2] + b[..., 2:])
    else:  # cxcywh
        lt = ember.maximum(a[..., :2] - a[..., 2:] / 2, b[..., :2] - b[..., 2:] / 2)
        rb = ember.minimum(a[..., :2] + a[..., 2:] / 2, b[..., :2] + b[..., 2:] / 2)
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area1[..., None] + area2[..., None, :] - inter
    return inter, union


def box_iou(boxes1, boxes2, fmt: str = "xyxy"):
    """Pairwise IoU, ``[..., N, M]``, of ``[..., N, 4]`` and ``[..., M, 4]`` boxes in ``fmt``."""
    axis_aligned = ("xyxy", "xywh", "cxcywh")
    rotated = ("cxcywhr", "xywhr", "xyxyxyxy")
    if fmt in rotated:
        raise NotImplementedError("box_iou of rotated boxes is not implemented in ember")
    if fmt not in axis_aligned:
        raise ValueError(f"Unsupported format '{fmt}'. Supported axis-aligned formats: "
                         f"{axis_aligned}. Supported rotated formats: {rotated}.")
    inter, union = _box_inter_union(boxes1, boxes2, fmt=fmt)
    return inter / union


def _enclosing_wh(boxes1, boxes2):
    lti = ember.minimum(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rbi = ember.maximum(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    return _upcast(rbi - lti).clamp(min=0)


def generalized_box_iou(boxes1, boxes2):
    """Pairwise generalized IoU (Rezatofighi et al., 2019) of ``xyxy`` boxes, in [-1, 1]."""
    inter, union = _box_inter_union(boxes1, boxes2)
    iou = inter / union
    whi = _enclosing_wh(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def _box_diou_iou(boxes1, boxes2, eps: float = 1e-7):
    iou = box_iou(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    diag = (whi[..., 0] ** 2) + (whi[..., 1] ** 2) + eps
    x_p = (boxes1[..., 0] + boxes1[..., 2]) / 2
    y_p = (boxes1[..., 1] + boxes1[..., 3]) / 2
    x_g = (boxes2[..., 0] + boxes2[..., 2]) / 2
    y_g = (boxes2[..., 1] + boxes2[..., 3]) / 2
    centers = (_upcast(x_p[..., None] - x_g[..., None, :]) ** 2) + (
        _upcast(y_p[..., None] - y_g[..., None, :]) ** 2)
    return iou - centers / diag, iou


def distance_box_iou(boxes1, boxes2, eps: float = 1e-7):
    """Pairwise distance IoU (Zheng et al., 2019): IoU minus the squared centre distance over
    the squared diagonal of the enclosing box."""
    diou, _ = _box_diou_iou(_upcast(boxes1), _upcast(boxes2), eps=eps)
    return diou


def complete_box_iou(boxes1, boxes2, eps: float = 1e-7):
    """Pairwise complete IoU: distance IoU minus an aspect-ratio consistency term."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[..., None, 2] - boxes1[..., None, 0]
    h_pred = boxes1[..., None, 3] - boxes1[..., None, 1]
    w_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h_gt = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / (math.pi ** 2)) * ember.pow(ember.atan(w_pred / h_pred) - ember.atan(w_gt / h_gt), 2)
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def masks_to_boxes(masks):
    """``(N, 4)`` float ``xyxy`` boxes around the nonzero pixels of ``(N, H, W)`` masks
    (inclusive pixel coordinates; an empty mask gives zeros)."""
    if masks.numel() == 0:
        return ember.zeros((0, 4), device=masks.device, dtype=ember.float)
    _, h, w = masks.shape
    masks_bool = masks.bool()
    rows = ember.any(masks_bool, dim=2)
    cols = ember.any(masks_bool, dim=1)
    empty = ~ember.any(rows, dim=1)
    rows_f, cols_f = rows.float(), cols.float()
    y1 = rows_f.argmax(dim=1)
    x1 = cols_f.argmax(dim=1)
    y2 = (h - 1) - rows_f.flip(dims=[1]).argmax(dim=1)
    x2 = (w - 1) - cols_f.flip(dims=[1]).argmax(dim=1)
    boxes = ember.stack([x1, y1, x2, y2], dim=1).float()
    boxes[empty] = 0
    return boxes
