"""Mask R-CNN (He et al., 2017) with torchvision's names, structure and weights.

``MaskRCNN`` is a ``FasterRCNN`` whose ``roi_heads`` also carry a mask branch:
``MultiScaleRoIAlign`` 14x14 -> ``MaskRCNNHeads`` (four 3x3 convs) -> ``MaskRCNNPredictor``
(a 2x transposed conv and a 1x1 conv to one 28x28 mask logit map per class).  Training
adds ``loss_mask``; eval adds ``masks``, ``(n, 1, H, W)`` probabilities pasted into each
image.  Targets need ``masks``, ``(n, H, W)`` uint8.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

from .... import nn
from ...ops import misc as misc_nn_ops
from ...ops.poolers import MultiScaleRoIAlign
from .._api import WeightsEnum
from ..resnet import ResNet50_Weights, resnet50
from ..segmentation._utils import _handle_legacy
from ._utils import overwrite_eps
from .backbone_utils import _resnet50_fpn, _resnet_fpn_extractor, _validate_trainable_layers
from .faster_rcnn import (_RECIPE, FastRCNNConvFCHead, FasterRCNN, _coco_weights,
                          _default_anchorgen, _load, _prepare)
from .rpn import RPNHead

__all__ = ["MaskRCNN", "MaskRCNN_ResNet50_FPN_Weights", "MaskRCNN_ResNet50_FPN_V2_Weights",
           "maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"]


class MaskRCNN(FasterRCNN):
    """``FasterRCNN``'s parameters plus ``mask_roi_pool``, ``mask_head`` and
    ``mask_predictor`` (None: the defaults; give ``num_classes`` or ``mask_predictor``).
    The mask modules are built before the rest of the heads, as in torchvision, so a
    seeded model draws the same weights."""

    def __init__(self, backbone, num_classes=None, min_size=800, max_size=1333,
                 image_mean=None, image_std=None, rpn_anchor_generator=None, rpn_head=None,
                 rpn_pre_nms_top_n_train=2000, rpn_pre_nms_top_n_test=1000,
                 rpn_post_nms_top_n_train=2000, rpn_post_nms_top_n_test=1000,
                 rpn_nms_thresh=0.7, rpn_fg_iou_thresh=0.7, rpn_bg_iou_thresh=0.3,
                 rpn_batch_size_per_image=256, rpn_positive_fraction=0.5,
                 rpn_score_thresh=0.0, box_roi_pool=None, box_head=None, box_predictor=None,
                 box_score_thresh=0.05, box_nms_thresh=0.5, box_detections_per_img=100,
                 box_fg_iou_thresh=0.5, box_bg_iou_thresh=0.5, box_batch_size_per_image=512,
                 box_positive_fraction=0.25, bbox_reg_weights=None, mask_roi_pool=None,
                 mask_head=None, mask_predictor=None, **kwargs) -> None:
        if not isinstance(mask_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError("mask_roi_pool should be of type MultiScaleRoIAlign or None "
                            f"instead of {type(mask_roi_pool)}")
        if num_classes is not None and mask_predictor is not None:
            raise ValueError("num_classes should be None when mask_predictor is specified")
        out_channels = backbone.out_channels
        if mask_roi_pool is None:
            mask_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"],
                                               output_size=14, sampling_ratio=2)
        if mask_head is None:
            mask_head = MaskRCNNHeads(out_channels, (256, 256, 256, 256), 1)
        if mask_predictor is None:
            mask_predictor = MaskRCNNPredictor(256, 256, num_classes)
        super().__init__(
            backbone, num_classes, min_size, max_size, image_mean, image_std,
            rpn_anchor_generator, rpn_head, rpn_pre_nms_top_n_train, rpn_pre_nms_top_n_test,
            rpn_post_nms_top_n_train, rpn_post_nms_top_n_test, rpn_nms_thresh,
            rpn_fg_iou_thresh, rpn_bg_iou_thresh, rpn_batch_size_per_image,
            rpn_positive_fraction, rpn_score_thresh, box_roi_pool, box_head, box_predictor,
            box_score_thresh, box_nms_thresh, box_detections_per_img, box_fg_iou_thresh,
            box_bg_iou_thresh, box_batch_size_per_image, box_positive_fraction,
            bbox_reg_weights, **kwargs)
        self.roi_heads.mask_roi_pool = mask_roi_pool
        self.roi_heads.mask_head = mask_head
        self.roi_heads.mask_predictor = mask_predictor


class MaskRCNNHeads(nn.Sequential):
    """A 3x3 Conv(-norm)-ReLU block per entry of ``layers`` (dilated by ``dilation``)."""

    _version = 2

    def __init__(self, in_channels: int, layers, dilation: int,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        blocks = []
        prev = in_channels
        for ch in layers:
            blocks.append(misc_nn_ops.Conv2dNormActivation(
                prev, ch, kernel_size=3, stride=1, padding=dilation, dilation=dilation,
                norm_layer=norm_layer))
            prev = ch
        super().__init__(*blocks)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)

    def _upgrade_state_dict(self, state_dict, prefix, version):
        # before version 2 the convolutions were named mask_fcn1, mask_fcn2...
        if version is None or version < 2:
            for i in range(len(self)):
                for kind in ("weight", "bias"):
                    old = f"{prefix}mask_fcn{i + 1}.{kind}"
                    if old in state_dict:
                        state_dict[f"{prefix}{i}.0.{kind}"] = state_dict.pop(old)
        return super()._upgrade_state_dict(state_dict, prefix, version)


class MaskRCNNPredictor(nn.Sequential):
    """``conv5_mask`` (2x2 stride-2 transposed conv), ReLU, ``mask_fcn_logits`` (1x1 conv
    to ``num_classes`` maps); weights Kaiming-normal (fan out)."""

    def __init__(self, in_channels: int, dim_reduced: int, num_classes: int) -> None:
        super().__init__(OrderedDict([
            ("conv5_mask", nn.ConvTranspose2d(in_channels, dim_reduced, 2, 2, 0)),
            ("relu", nn.ReLU(inplace=True)),
            ("mask_fcn_logits", nn.Conv2d(dim_reduced, num_classes, 1, 1, 0))]))
        for name, param in self.named_parameters():
            if "weight" in name:
                nn.init.kaiming_normal_(param, mode="fan_out", nonlinearity="relu")


class MaskRCNN_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth", 44401393, 37.9, 134.38,
                            169.84, _RECIPE + "mask-r-cnn", mask_map=34.6)
    DEFAULT = COCO_V1


class MaskRCNN_ResNet50_FPN_V2_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth", 46359409, 47.4,
                            333.577, 177.219, "https://github.com/pytorch/vision/pull/5773",
                            "These weights were produced using an enhanced training recipe to "
                            "boost the model accuracy.", mask_map=41.8)
    DEFAULT = COCO_V1


@_handle_legacy(weights=("pretrained", MaskRCNN_ResNet50_FPN_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def maskrcnn_resnet50_fpn(*, weights=None, progress: bool = True,
                          num_classes: int | None = None,
                          weights_backbone=ResNet50_Weights.IMAGENET1K_V1,
                          trainable_backbone_layers: int | None = None,
                          **kwargs: Any) -> MaskRCNN:
    """Mask R-CNN with a ResNet-50-FPN backbone (`Mask R-CNN
    <https://arxiv.org/abs/1703.06870>`_).  Parameters as ``fasterrcnn_resnet50_fpn``;
    ``weights``: ``MaskRCNN_ResNet50_FPN_Weights`` or None."""
    weights = MaskRCNN_ResNet50_FPN_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    weights_backbone, num_classes = _prepare(weights, weights_backbone, num_classes)
    backbone = _resnet50_fpn(weights, weights_backbone, trainable_backbone_layers, progress)
    model = _load(MaskRCNN(backbone, num_classes=num_classes, **kwargs), weights, progress)
    if weights == MaskRCNN_ResNet50_FPN_Weights.COCO_V1:
        overwrite_eps(model, 0.0)
    return model


@_handle_legacy(weights=("pretrained", MaskRCNN_ResNet50_FPN_V2_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def maskrcnn_resnet50_fpn_v2(*, weights=None, progress: bool = True,
                             num_classes: int | None = None, weights_backbone=None,
                             trainable_backbone_layers: int | None = None,
                             **kwargs: Any) -> MaskRCNN:
    """Mask R-CNN v2 (`Benchmarking Detection Transfer Learning with Vision Transformers
    <https://arxiv.org/abs/2111.11429>`_): batch norm in the FPN and heads, a two-conv RPN
    head and a four-conv + one-FC box head."""
    weights = MaskRCNN_ResNet50_FPN_V2_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    weights_backbone, num_classes = _prepare(weights, weights_backbone, num_classes)
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers,
                                                           5, 3)
    backbone = resnet50(weights=weights_backbone, progress=progress)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers,
                                     norm_layer=nn.BatchNorm2d)
    anchor_gen = _default_anchorgen()
    rpn_head = RPNHead(backbone.out_channels, anchor_gen.num_anchors_per_location()[0],
                       conv_depth=2)
    box_head = FastRCNNConvFCHead((backbone.out_channels, 7, 7), [256, 256, 256, 256], [1024],
                                  norm_layer=nn.BatchNorm2d)
    mask_head = MaskRCNNHeads(backbone.out_channels, [256, 256, 256, 256], 1,
                              norm_layer=nn.BatchNorm2d)
    model = MaskRCNN(backbone, num_classes=num_classes, rpn_anchor_generator=anchor_gen,
                     rpn_head=rpn_head, box_head=box_head, mask_head=mask_head, **kwargs)
    return _load(model, weights, progress)
