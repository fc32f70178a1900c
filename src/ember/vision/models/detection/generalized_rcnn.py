"""``GeneralizedRCNN``: transform -> backbone -> RPN -> RoI heads -> postprocess, the
skeleton Faster, Mask and Keypoint R-CNN share."""
from __future__ import annotations

from collections import OrderedDict

import ember

from .... import nn

__all__ = ["GeneralizedRCNN"]


class GeneralizedRCNN(nn.Module):
    """``forward(images, targets=None)``: in training returns the dict of losses (targets
    required: per image a dict with ``boxes`` ``[N, 4]`` xyxy float and ``labels`` int64,
    plus ``masks``/``keypoints`` for those models); in eval a list of per-image dicts
    (``boxes``, ``labels``, ``scores``...) in the input images' coordinates."""

    def __init__(self, backbone: nn.Module, rpn: nn.Module, roi_heads: nn.Module,
                 transform: nn.Module) -> None:
        super().__init__()
        self.transform = transform
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads
        self._has_warned = False

    def eager_outputs(self, losses, detections):
        return losses if self.training else detections

    def forward(self, images, targets=None):
        if self.training:
            if targets is None:
                raise AssertionError("targets should not be none when in training mode")
            for target in targets:
                boxes = target["boxes"]
                if not isinstance(boxes, ember.Tensor):
                    raise AssertionError("Expected target boxes to be of type Tensor, got "
                                         f"{type(boxes)}.")
                if not (len(boxes.shape) == 2 and boxes.shape[-1] == 4):
                    raise AssertionError("Expected target boxes to be a tensor of shape "
                                         f"[N, 4], got {boxes.shape}.")
        original_image_sizes = []
        for img in images:
            val = img.shape[-2:]
            if len(val) != 2:
                raise AssertionError("expecting the last two dimensions of the Tensor to be "
                                     f"H and W instead got {img.shape[-2:]}")
            original_image_sizes.append((int(val[0]), int(val[1])))
        images, targets = self.transform(images, targets)
        if targets is not None:
            for target_idx, target in enumerate(targets):
                boxes = target["boxes"]
                degenerate = boxes[:, 2:] <= boxes[:, :2]
                if degenerate.any():
                    bb_idx = ember.where(degenerate.any(dim=1))[0][0]
                    degen_bb = boxes[bb_idx].tolist()
                    raise AssertionError("All bounding boxes should have positive height and "
                                         f"width. Found invalid box {degen_bb} for target at "
                                         f"index {target_idx}.")
        features = self.backbone(images.tensors)
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        proposals, proposal_losses = self.rpn(images, features, targets)
        detections, detector_losses = self.roi_heads(features, proposals, images.image_sizes,
                                                     targets)
        detections = self.transform.postprocess(detections, images.image_sizes,
                                                original_image_sizes)
        losses = {}
        losses.update(detector_losses)
        losses.update(proposal_losses)
        return self.eager_outputs(losses, detections)
