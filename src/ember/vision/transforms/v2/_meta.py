"""Bounding-box formats: conversion between ``XYXY``, ``XYWH``, ``CXCYWH`` and clamping.

Works on plain tensors ``[..., 4]``; the rotated formats are not supported by ember.
"""
from __future__ import annotations

from ...._tensor import Tensor
from ...._unsupported import Unsupported
from ...tv_tensors import BoundingBoxFormat, is_rotated_bounding_format


def _ember():
    import ember

    return ember


def _no_rotated(*formats) -> None:
    for f in formats:
        if is_rotated_bounding_format(f):
            raise Unsupported(f"rotated bounding boxes ({f}) are not supported by ember")


def _split(boxes: Tensor):
    return boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]


def _join(a, b, c, d) -> Tensor:
    return _ember().stack([a, b, c, d], dim=-1)


def _half(x: Tensor) -> Tensor:
    """``x / 2``, floored for integer boxes (as torchvision's ``rounding_mode='floor'``)."""
    return x / 2 if x.is_floating_point() else _ember().div(x, 2, rounding_mode="floor")


def _to_xyxy(boxes: Tensor, old) -> Tensor:
    if old == BoundingBoxFormat.XYXY:
        return boxes
    a, b, c, d = _split(boxes)
    if old == BoundingBoxFormat.XYWH:
        return _join(a, b, a + c, b + d)
    # CXCYWH: computed in float, then cast back for integer boxes
    dtype = boxes.dtype
    f = boxes if boxes.is_floating_point() else boxes.float()
    a, b, c, d = _split(f)
    x1, y1 = a - c / 2, b - d / 2
    return _join(x1, y1, x1 + c, y1 + d).to(dtype)


def _from_xyxy(boxes: Tensor, new) -> Tensor:
    if new == BoundingBoxFormat.XYXY:
        return boxes
    x1, y1, x2, y2 = _split(boxes)
    w, h = x2 - x1, y2 - y1
    if new == BoundingBoxFormat.XYWH:
        return _join(x1, y1, w, h)
    return _join(_half(x1 * 2 + w), _half(y1 * 2 + h), w, h)


def _convert_bounding_box_format(boxes: Tensor, old_format, new_format) -> Tensor:
    if new_format == old_format:
        return boxes
    if is_rotated_bounding_format(old_format) ^ is_rotated_bounding_format(new_format):
        raise ValueError("Cannot convert between rotated and unrotated bounding boxes.")
    _no_rotated(old_format, new_format)
    if old_format == BoundingBoxFormat.XYWH and new_format == BoundingBoxFormat.CXCYWH:
        x, y, w, h = _split(boxes)
        return _join(x + _half(w), y + _half(h), w, h)
    if old_format == BoundingBoxFormat.CXCYWH and new_format == BoundingBoxFormat.XYWH:
        dtype = boxes.dtype
        f = boxes if boxes.is_floating_point() else boxes.float()
        cx, cy, w, h = _split(f)
        x1, y1 = cx - w / 2, cy - h / 2
        if boxes.is_floating_point():
            return _join(x1, y1, w, h)
        x1i, y1i = x1.to(dtype), y1.to(dtype)
        return _join(x1i, y1i, (x1 + w).to(dtype) - x1i, (y1 + h).to(dtype) - y1i)
    return _from_xyxy(_to_xyxy(boxes, old_format), new_format)


def _clamp_bounding_boxes(boxes: Tensor, format, canvas_size, clamping_mode) -> Tensor:
    """Clamp the corners into ``[0, W] x [0, H]`` (``clamping_mode=None``: unchanged copy)."""
    _no_rotated(format)
    if clamping_mode is None:
        return boxes.clone()
    in_dtype = boxes.dtype
    f = boxes if boxes.is_floating_point() else boxes.float()
    x1, y1, x2, y2 = _split(_convert_bounding_box_format(f, format, BoundingBoxFormat.XYXY))
    h, w = canvas_size
    xyxy = _join(x1.clamp(0, w), y1.clamp(0, h), x2.clamp(0, w), y2.clamp(0, h))
    return _convert_bounding_box_format(xyxy, BoundingBoxFormat.XYXY, format).to(in_dtype)
