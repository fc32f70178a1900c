"""torchvision.ops on ember: box utilities, NMS, losses and the models' shared layers.

Everything is written with ember tensor ops (autograd included), except ``nms`` and
``batched_nms``, which return indices and run a greedy NumPy loop as torchvision's CPU
kernel does, and the RoI ops, which plan their reads in NumPy and read with ember ops
(so ``input`` gets gradients, the boxes do not, as in torchvision).
"""
from ._box_losses import complete_box_iou_loss, distance_box_iou_loss, generalized_box_iou_loss
from .boxes import (batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image,
                    complete_box_iou, distance_box_iou, generalized_box_iou, masks_to_boxes, nms,
                    remove_small_boxes)
from .deform_conv import DeformConv2d, deform_conv2d
from .drop_block import DropBlock2d, DropBlock3d, drop_block2d, drop_block3d
from .feature_pyramid_network import FeaturePyramidNetwork
from .focal_loss import sigmoid_focal_loss
from .misc import (MLP, Conv2dNormActivation, Conv3dNormActivation, FrozenBatchNorm2d, Permute,
                   SqueezeExcitation)
from .poolers import MultiScaleRoIAlign
from .ps_roi import PSRoIAlign, PSRoIPool, ps_roi_align, ps_roi_pool
from .roi import RoIAlign, RoIPool, roi_align, roi_pool
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = [
    "Conv2dNormActivation", "Conv3dNormActivation", "DeformConv2d", "DropBlock2d", "DropBlock3d",
    "FeaturePyramidNetwork", "FrozenBatchNorm2d",
    "MLP", "MultiScaleRoIAlign", "PSRoIAlign", "PSRoIPool", "Permute",
    "RoIAlign", "RoIPool", "SqueezeExcitation", "StochasticDepth", "batched_nms", "box_area",
    "box_convert", "box_iou", "clip_boxes_to_image", "complete_box_iou", "complete_box_iou_loss",
    "deform_conv2d",
    "distance_box_iou", "distance_box_iou_loss", "drop_block2d", "drop_block3d",
    "generalized_box_iou", "generalized_box_iou_loss",
    "masks_to_boxes", "nms", "ps_roi_align", "ps_roi_pool", "remove_small_boxes", "roi_align",
    "roi_pool", "sigmoid_focal_loss", "stochastic_depth"]


from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.ops")  # a missing API is named
