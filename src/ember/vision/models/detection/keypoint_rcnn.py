"""Keypoint R-CNN (the keypoint branch of Mask R-CNN) with torchvision's names and weights.

``KeypointRCNN`` is a ``FasterRCNN`` whose ``roi_heads`` also predict ``num_keypoints``
heatmaps per detection: ``MultiScaleRoIAlign`` 14x14 -> ``KeypointRCNNHeads`` (eight 3x3
convs, 512 channels) -> ``KeypointRCNNPredictor`` (a 4x4 stride-2 transposed conv and a 2x
bilinear upsample, 56x56 maps).  Training adds ``loss_keypoint`` (targets need
``keypoints``, ``(n, K, 3)`` float: x, y, visibility); eval adds ``keypoints`` ``(n, K, 3)``
and ``keypoints_scores`` ``(n, K)``.
"""
from __future__ import annotations

import functools
from typing import Any

from .... import nn
from ....nn import functional as F
from ...ops.poolers import MultiScaleRoIAlign
from .._api import Weights, WeightsEnum
from ..resnet import ResNet50_Weights
from ..segmentation._utils import _handle_legacy, _ovewrite_value_param
from ._utils import (_COCO_PERSON_CATEGORIES, _COCO_PERSON_KEYPOINT_NAMES, ObjectDetection,
                     overwrite_eps)
from .backbone_utils import _resnet50_fpn
from .faster_rcnn import _RECIPE, _URL, FasterRCNN, _load

__all__ = ["KeypointRCNN", "KeypointRCNN_ResNet50_FPN_Weights", "keypointrcnn_resnet50_fpn"]


class KeypointRCNN(FasterRCNN):
    """``FasterRCNN``'s parameters plus ``keypoint_roi_pool``, ``keypoint_head``,
    ``keypoint_predictor`` and ``num_keypoints`` (17).  ``min_size`` defaults to the
    multi-scale training sizes ``(640, 672, 704, 736, 768, 800)``."""

    def __init__(self, backbone, num_classes=None, min_size=None, max_size=1333,
                 image_mean=None, image_std=None, rpn_anchor_generator=None, rpn_head=None,
                 rpn_pre_nms_top_n_train=2000, rpn_pre_nms_top_n_test=1000,
                 rpn_post_nms_top_n_train=2000, rpn_post_nms_top_n_test=1000,
                 rpn_nms_thresh=0.7, rpn_fg_iou_thresh=0.7, rpn_bg_iou_thresh=0.3,
                 rpn_batch_size_per_image=256, rpn_positive_fraction=0.5,
                 rpn_score_thresh=0.0, box_roi_pool=None, box_head=None, box_predictor=None,
                 box_score_thresh=0.05, box_nms_thresh=0.5, box_detections_per_img=100,
                 box_fg_iou_thresh=0.5, box_bg_iou_thresh=0.5, box_batch_size_per_image=512,
                 box_positive_fraction=0.25, bbox_reg_weights=None, keypoint_roi_pool=None,
                 keypoint_head=None, keypoint_predictor=None, num_keypoints=None,
                 **kwargs) -> None:
        if not isinstance(keypoint_roi_pool, (MultiScaleRoIAlign, type(None))):
            # NOTE: torchvision's message lacks the f-prefix, so it prints the braces as is
            raise TypeError("keypoint_roi_pool should be of type MultiScaleRoIAlign or None "
                            "instead of {type(keypoint_roi_pool)}")
        if min_size is None:
            min_size = (640, 672, 704, 736, 768, 800)
        if num_keypoints is not None:
            if keypoint_predictor is not None:
                raise ValueError("num_keypoints should be None when keypoint_predictor is "
                                 "specified")
        else:
            num_keypoints = 17
        out_channels = backbone.out_channels
        if keypoint_roi_pool is None:
            keypoint_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"],
                                                   output_size=14, sampling_ratio=2)
        if keypoint_head is None:
            keypoint_head = KeypointRCNNHeads(out_channels, tuple(512 for _ in range(8)))
        if keypoint_predictor is None:
            keypoint_predictor = KeypointRCNNPredictor(512, num_keypoints)
        super().__init__(
            backbone, num_classes, min_size, max_size, image_mean, image_std,
            rpn_anchor_generator, rpn_head, rpn_pre_nms_top_n_train, rpn_pre_nms_top_n_test,
            rpn_post_nms_top_n_train, rpn_post_nms_top_n_test, rpn_nms_thresh,
            rpn_fg_iou_thresh, rpn_bg_iou_thresh, rpn_batch_size_per_image,
            rpn_positive_fraction, rpn_score_thresh, box_roi_pool, box_head, box_predictor,
            box_score_thresh, box_nms_thresh, box_detections_per_img, box_fg_iou_thresh,
            box_bg_iou_thresh, box_batch_size_per_image, box_positive_fraction,
            bbox_reg_weights, **kwargs)
        self.roi_heads.keypoint_roi_pool = keypoint_roi_pool
        self.roi_heads.keypoint_head = keypoint_head
        self.roi_heads.keypoint_predictor = keypoint_predictor


class KeypointRCNNHeads(nn.Sequential):
    """3x3 Conv + ReLU per entry of ``layers``; Kaiming-normal weights, zero biases."""

    def __init__(self, in_channels: int, layers) -> None:
        mods = []
        prev = in_channels
        for ch in layers:
            mods.append(nn.Conv2d(prev, ch, 3, stride=1, padding=1))
            mods.append(nn.ReLU(inplace=True))
            prev = ch
        super().__init__(*mods)
        for m in self.children():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.constant_(m.bias, 0)


class KeypointRCNNPredictor(nn.Module):
    """``kps_score_lowres`` (4x4 stride-2 transposed conv to one map per keypoint), then
    a 2x bilinear upsample."""

    def __init__(self, in_channels: int, num_keypoints: int) -> None:
        super().__init__()
        kernel = 4
        self.kps_score_lowres = nn.ConvTranspose2d(in_channels, num_keypoints, kernel, stride=2,
                                                   padding=kernel // 2 - 1)
        nn.init.kaiming_normal_(self.kps_score_lowres.weight, mode="fan_out",
                                nonlinearity="relu")
        nn.init.constant_(self.kps_score_lowres.bias, 0)
        self.up_scale = 2
        self.out_channels = num_keypoints

    def forward(self, x):
        x = self.kps_score_lowres(x)
        return F.interpolate(x, scale_factor=float(self.up_scale), mode="bilinear",
                             align_corners=False, recompute_scale_factor=False)


_KP_META = {"categories": _COCO_PERSON_CATEGORIES,
            "keypoint_names": _COCO_PERSON_KEYPOINT_NAMES, "min_size": (1, 1)}


def _kp_weights(file, box_map, kp_map, ops, recipe, docs):
    return Weights(url=_URL + file, transforms=ObjectDetection,
                   meta={**_KP_META, "num_params": 59137258, "recipe": recipe,
                         "_metrics": {"COCO-val2017": {"box_map": box_map, "kp_map": kp_map}},
                         "_ops": ops, "_file_size": 226.054, "_docs": docs})


class KeypointRCNN_ResNet50_FPN_Weights(WeightsEnum):
    COCO_LEGACY = _kp_weights(
        "keypointrcnn_resnet50_fpn_coco-9f466800.pth", 50.6, 61.1, 133.924,
        "https://github.com/pytorch/vision/issues/1606",
        "\n                These weights were produced by following a similar training recipe "
        "as on the paper but use a checkpoint\n                from an early epoch.\n"
        "            ")
    COCO_V1 = _kp_weights(
        "keypointrcnn_resnet50_fpn_coco-fc266e95.pth", 54.6, 65.0, 137.42,
        _RECIPE + "keypoint-r-cnn",
        "These weights were produced by following a similar training recipe as on the paper.")
    DEFAULT = COCO_V1


def keypointrcnn_resnet50_fpn(*, weights=None, progress: bool = True,
                              num_classes: int | None = None, num_keypoints: int | None = None,
                              weights_backbone=ResNet50_Weights.IMAGENET1K_V1,
                              trainable_backbone_layers: int | None = None,
                              **kwargs: Any) -> KeypointRCNN:
    """Keypoint R-CNN with a ResNet-50-FPN backbone (`Mask R-CNN
    <https://arxiv.org/abs/1703.06870>`_).  ``num_classes`` defaults to 2 (person or not),
    ``num_keypoints`` to 17 (COCO's)."""
    weights = KeypointRCNN_ResNet50_FPN_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
        num_keypoints = _ovewrite_value_param("num_keypoints", num_keypoints,
                                              len(weights.meta["keypoint_names"]))
    else:
        num_classes = 2 if num_classes is None else num_classes
        num_keypoints = 17 if num_keypoints is None else num_keypoints
    backbone = _resnet50_fpn(weights, weights_backbone, trainable_backbone_layers, progress)
    model = _load(KeypointRCNN(backbone, num_classes, num_keypoints=num_keypoints, **kwargs),
                  weights, progress)
    if weights == KeypointRCNN_ResNet50_FPN_Weights.COCO_V1:
        overwrite_eps(model, 0.0)
    return model


def _legacy_variant(default):
    return _handle_legacy(weights=("pretrained", default),
                          weights_backbone=("pretrained_backbone",
                                            ResNet50_Weights.IMAGENET1K_V1))(
        keypointrcnn_resnet50_fpn)


_KP_BUILDERS = (_legacy_variant(KeypointRCNN_ResNet50_FPN_Weights.COCO_V1),
                _legacy_variant(KeypointRCNN_ResNet50_FPN_Weights.COCO_LEGACY))


@functools.wraps(keypointrcnn_resnet50_fpn)
def _keypointrcnn_resnet50_fpn(*args, **kwargs):
    # NOTE: as in torchvision, pretrained="legacy" (or weights="legacy") means the early
    # COCO_LEGACY checkpoint; any other true value means COCO_V1.
    legacy = "legacy" in (kwargs.get("pretrained"), kwargs.get("weights"),
                          args[0] if args else None)
    return _KP_BUILDERS[legacy](*args, **kwargs)


keypointrcnn_resnet50_fpn = _keypointrcnn_resnet50_fpn
