"""The second stage of the R-CNN family.  ``RoIHeads`` pools features for each proposal,
classifies and refines the boxes (Fast R-CNN), and, when given the modules, predicts
masks (Mask R-CNN) and keypoints (Keypoint R-CNN) for the detections.  In training it
samples proposals against the targets and returns the losses; in eval it returns the
detections after score threshold and per-class NMS."""
from __future__ import annotations

import ember

from .... import nn
from ....nn import functional as F
from ...ops import boxes as box_ops
from ...ops import roi_align
from . import _utils as det_utils

__all__ = ["RoIHeads", "fastrcnn_loss", "maskrcnn_loss", "maskrcnn_inference",
           "keypointrcnn_loss", "keypointrcnn_inference", "paste_masks_in_image"]


def fastrcnn_loss(class_logits, box_regression, labels, regression_targets):
    """Cross-entropy over the classes, and smooth L1 (beta 1/9, summed, divided by the
    number of samples) on the box of the true class of each positive sample."""
    labels = ember.cat(labels, dim=0)
    regression_targets = ember.cat(regression_targets, dim=0)
    classification_loss = F.cross_entropy(class_logits, labels)
    pos = ember.where(labels > 0)[0]
    labels_pos = labels[pos]
    N = class_logits.shape[0]
    box_regression = box_regression.reshape(N, box_regression.size(-1) // 4, 4)
    box_loss = F.smooth_l1_loss(box_regression[pos, labels_pos], regression_targets[pos],
                                beta=1 / 9, reduction="sum")
    return classification_loss, box_loss / labels.numel()


def maskrcnn_inference(x, labels):
    """The sigmoid mask of each detection's own class, as ``(n, 1, M, M)`` per image."""
    mask_prob = x.sigmoid()
    counts = [lab.shape[0] for lab in labels]
    labels = ember.cat(labels)
    index = ember.arange(x.shape[0], device=labels.device)
    mask_prob = mask_prob[index, labels][:, None]
    return mask_prob.split(counts, dim=0)


def project_masks_on_boxes(gt_masks, boxes, matched_idxs, M: int):
    """Each proposal's matched ground-truth mask cropped to the proposal and resampled to
    ``M x M`` (RoI Align)."""
    matched_idxs = matched_idxs.to(boxes)
    rois = ember.cat([matched_idxs[:, None], boxes], dim=1)
    gt_masks = gt_masks[:, None].to(rois)
    return roi_align(gt_masks, rois, (M, M), 1.0)[:, 0]


def maskrcnn_loss(mask_logits, proposals, gt_masks, gt_labels, mask_matched_idxs):
    """Binary cross-entropy between each positive's mask logits for its class and its
    projected ground-truth mask."""
    size = mask_logits.shape[-1]
    labels = [gl[idxs] for gl, idxs in zip(gt_labels, mask_matched_idxs)]
    targets = [project_masks_on_boxes(m, p, i, size)
               for m, p, i in zip(gt_masks, proposals, mask_matched_idxs)]
    labels = ember.cat(labels, dim=0)
    targets = ember.cat(targets, dim=0)
    if targets.numel() == 0:
        return mask_logits.sum() * 0
    picked = mask_logits[ember.arange(labels.shape[0], device=labels.device), labels]
    return F.binary_cross_entropy_with_logits(picked, targets)


def keypoints_to_heatmap(keypoints, rois, heatmap_size: int):
    """Each keypoint as a flat index into its RoI's ``heatmap_size``-square grid, and
    whether it is inside the RoI and visible."""
    offset_x = rois[:, 0][:, None]
    offset_y = rois[:, 1][:, None]
    scale_x = (heatmap_size / (rois[:, 2] - rois[:, 0]))[:, None]
    scale_y = (heatmap_size / (rois[:, 3] - rois[:, 1]))[:, None]
    x = keypoints[..., 0]
    y = keypoints[..., 1]
    x_on_edge = x == rois[:, 2][:, None]
    y_on_edge = y == rois[:, 3][:, None]
    x = ((x - offset_x) * scale_x).floor().long()
    y = ((y - offset_y) * scale_y).floor().long()
    x[x_on_edge] = heatmap_size - 1
    y[y_on_edge] = heatmap_size - 1
    valid_loc = (x >= 0) & (y >= 0) & (x < heatmap_size) & (y < heatmap_size)
    vis = keypoints[..., 2] > 0
    valid = (valid_loc & vis).long()
    lin_ind = y * heatmap_size + x
    return lin_ind * valid, valid


def heatmaps_to_keypoints(maps, rois):
    """Each keypoint at the peak of its heatmap resized (bicubic) to its RoI's size, with
    the peak value as its score.  Returns ``(R, K, 3)`` points and ``(R, K)`` scores."""
    offset_x = rois[:, 0]
    offset_y = rois[:, 1]
    widths = (rois[:, 2] - rois[:, 0]).clamp(min=1)
    heights = (rois[:, 3] - rois[:, 1]).clamp(min=1)
    widths_ceil = widths.ceil()
    heights_ceil = heights.ceil()
    num_keypoints = maps.shape[1]
    xy_preds = ember.zeros((len(rois), 3, num_keypoints), dtype=ember.float32,
                           device=maps.device)
    end_scores = ember.zeros((len(rois), num_keypoints), dtype=ember.float32,
                             device=maps.device)
    for i in range(len(rois)):
        map_w = int(widths_ceil[i].item())
        map_h = int(heights_ceil[i].item())
        width_correction = widths[i] / map_w
        height_correction = heights[i] / map_h
        roi_map = F.interpolate(maps[i][:, None], size=(map_h, map_w), mode="bicubic",
                                align_corners=False)[:, 0]
        w = roi_map.shape[2]
        pos = roi_map.reshape(num_keypoints, -1).argmax(dim=1)
        x_int = pos % w
        y_int = ember.div(pos - x_int, w, rounding_mode="floor")
        x = (x_int.float() + 0.5) * width_correction
        y = (y_int.float() + 0.5) * height_correction
        xy_preds[i, 0, :] = x + offset_x[i]
        xy_preds[i, 1, :] = y + offset_y[i]
        xy_preds[i, 2, :] = 1
        end_scores[i, :] = roi_map[ember.arange(num_keypoints, device=roi_map.device), y_int,
                                   x_int]
    return xy_preds.permute(0, 2, 1), end_scores


def keypointrcnn_loss(keypoint_logits, proposals, gt_keypoints, keypoint_matched_idxs):
    """Cross-entropy over the heatmap positions for each valid keypoint."""
    N, K, H, W = keypoint_logits.shape
    if H != W:
        raise ValueError("keypoint_logits height and width (last two elements of shape) "
                         f"should be equal. Instead got H = {H} and W = {W}")
    heatmaps, valid = [], []
    for props, gt_kp, midx in zip(proposals, gt_keypoints, keypoint_matched_idxs):
        hm, v = keypoints_to_heatmap(gt_kp[midx], props, H)
        heatmaps.append(hm.view(-1))
        valid.append(v.view(-1))
    targets = ember.cat(heatmaps, dim=0)
    valid = ember.where(ember.cat(valid, dim=0).to(dtype=ember.uint8))[0]
    if targets.numel() == 0 or len(valid) == 0:
        return keypoint_logits.sum() * 0
    keypoint_logits = keypoint_logits.view(N * K, H * W)
    return F.cross_entropy(keypoint_logits[valid], targets[valid])


def keypointrcnn_inference(x, boxes):
    counts = [b.size(0) for b in boxes]
    probs, scores = [], []
    for xx, bb in zip(x.split(counts, dim=0), boxes):
        p, s = heatmaps_to_keypoints(xx, bb)
        probs.append(p)
        scores.append(s)
    return probs, scores


def expand_boxes(boxes, scale: float):
    w_half = (boxes[:, 2] - boxes[:, 0]) * 0.5 * scale
    h_half = (boxes[:, 3] - boxes[:, 1]) * 0.5 * scale
    x_c = (boxes[:, 2] + boxes[:, 0]) * 0.5
    y_c = (boxes[:, 3] + boxes[:, 1]) * 0.5
    return ember.stack((x_c - w_half, y_c - h_half, x_c + w_half, y_c + h_half), dim=1)


def expand_masks(mask, padding: int):
    M = mask.shape[-1]
    scale = float(M + 2 * padding) / M
    return F.pad(mask, (padding,) * 4), scale


def paste_mask_in_image(mask, box, im_h: int, im_w: int):
    """``mask`` resized (bilinear) to the integer ``box`` and placed in an ``im_h x im_w``
    canvas of zeros (the part outside the image is cut)."""
    box = [int(v) for v in box.tolist()]
    w = max(box[2] - box[0] + 1, 1)
    h = max(box[3] - box[1] + 1, 1)
    mask = F.interpolate(mask.expand((1, 1, -1, -1)), size=(h, w), mode="bilinear",
                         align_corners=False)[0][0]
    im_mask = ember.zeros((im_h, im_w), dtype=mask.dtype, device=mask.device)
    x_0, x_1 = max(box[0], 0), min(box[2] + 1, im_w)
    y_0, y_1 = max(box[1], 0), min(box[3] + 1, im_h)
    if x_1 > x_0 and y_1 > y_0:
        im_mask[y_0:y_1, x_0:x_1] = mask[y_0 - box[1]:y_1 - box[1], x_0 - box[0]:x_1 - box[0]]
    return im_mask


def paste_masks_in_image(masks, boxes, img_shape, padding: int = 1):
    """The ``(n, 1, M, M)`` masks pasted into ``(n, 1, H, W)`` images at their boxes
    (each mask padded by ``padding`` and its box grown to match first)."""
    masks, scale = expand_masks(masks, padding=padding)
    boxes = expand_boxes(boxes, scale).to(dtype=ember.int64)
    im_h, im_w = img_shape
    res = [paste_mask_in_image(m[0], b, im_h, im_w) for m, b in zip(masks, boxes)]
    if res:
        return ember.stack(res, dim=0)[:, None]
    return masks.new_empty((0, 1, im_h, im_w))


class RoIHeads(nn.Module):
    """Box head (``box_roi_pool`` -> ``box_head`` -> ``box_predictor``) plus optional mask
    and keypoint branches; proposals with IoU >= ``fg_iou_thresh`` are foreground,
    < ``bg_iou_thresh`` background; ``batch_size_per_image`` samples per image of which
    ``positive_fraction`` at most are foreground."""

    def __init__(self, box_roi_pool, box_head, box_predictor, fg_iou_thresh, bg_iou_thresh,
                 batch_size_per_image, positive_fraction, bbox_reg_weights, score_thresh,
                 nms_thresh, detections_per_img, mask_roi_pool=None, mask_head=None,
                 mask_predictor=None, keypoint_roi_pool=None, keypoint_head=None,
                 keypoint_predictor=None) -> None:
        super().__init__()
        self.box_similarity = box_ops.box_iou
        self.proposal_matcher = det_utils.Matcher(fg_iou_thresh, bg_iou_thresh,
                                                  allow_low_quality_matches=False)
        self.fg_bg_sampler = det_utils.BalancedPositiveNegativeSampler(batch_size_per_image,
                                                                       positive_fraction)
        if bbox_reg_weights is None:
            bbox_reg_weights = (10.0, 10.0, 5.0, 5.0)
        self.box_coder = det_utils.BoxCoder(bbox_reg_weights)
        self.box_roi_pool = box_roi_pool
        self.box_head = box_head
        self.box_predictor = box_predictor
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.mask_roi_pool = mask_roi_pool
        self.mask_head = mask_head
        self.mask_predictor = mask_predictor
        self.keypoint_roi_pool = keypoint_roi_pool
        self.keypoint_head = keypoint_head
        self.keypoint_predictor = keypoint_predictor

    def has_mask(self) -> bool:
        return (self.mask_roi_pool is not None and self.mask_head is not None
                and self.mask_predictor is not None)

    def has_keypoint(self) -> bool:
        return (self.keypoint_roi_pool is not None and self.keypoint_head is not None
                and self.keypoint_predictor is not None)

    def assign_targets_to_proposals(self, proposals, gt_boxes, gt_labels):
        matched_idxs, labels = [], []
        for props, gt_b, gt_l in zip(proposals, gt_boxes, gt_labels):
            if gt_b.numel() == 0:
                device = props.device
                clamped = ember.zeros((props.shape[0],), dtype=ember.int64, device=device)
                lab = ember.zeros((props.shape[0],), dtype=ember.int64, device=device)
            else:
                idxs = self.proposal_matcher(box_ops.box_iou(gt_b, props))
                clamped = idxs.clamp(min=0)
                lab = gt_l[clamped].to(dtype=ember.int64)
                lab[idxs == self.proposal_matcher.BELOW_LOW_THRESHOLD] = 0
                lab[idxs == self.proposal_matcher.BETWEEN_THRESHOLDS] = -1
            matched_idxs.append(clamped)
            labels.append(lab)
        return matched_idxs, labels

    def subsample(self, labels):
        pos, neg = self.fg_bg_sampler(labels)
        return [ember.where(p | n)[0] for p, n in zip(pos, neg)]

    def add_gt_proposals(self, proposals, gt_boxes):
        return [ember.cat((p, g)) for p, g in zip(proposals, gt_boxes)]

    def check_targets(self, targets) -> None:
        if targets is None:
            raise ValueError("targets should not be None")
        if not all("boxes" in t for t in targets):
            raise ValueError("Every element of targets should have a boxes key")
        if not all("labels" in t for t in targets):
            raise ValueError("Every element of targets should have a labels key")
        if self.has_mask() and not all("masks" in t for t in targets):
            raise ValueError("Every element of targets should have a masks key")

    def select_training_samples(self, proposals, targets):
        self.check_targets(targets)
        dtype, device = proposals[0].dtype, proposals[0].device
        gt_boxes = [t["boxes"].to(dtype) for t in targets]
        gt_labels = [t["labels"] for t in targets]
        proposals = self.add_gt_proposals(proposals, gt_boxes)
        matched_idxs, labels = self.assign_targets_to_proposals(proposals, gt_boxes, gt_labels)
        sampled = self.subsample(labels)
        matched_gt_boxes = []
        for i in range(len(proposals)):
            keep = sampled[i]
            proposals[i] = proposals[i][keep]
            labels[i] = labels[i][keep]
            matched_idxs[i] = matched_idxs[i][keep]
            gt_b = gt_boxes[i]
            if gt_b.numel() == 0:
                gt_b = ember.zeros((1, 4), dtype=dtype, device=device)
            matched_gt_boxes.append(gt_b[matched_idxs[i]])
        regression_targets = self.box_coder.encode(matched_gt_boxes, proposals)
        return proposals, matched_idxs, labels, regression_targets

    def postprocess_detections(self, class_logits, box_regression, proposals, image_shapes):
        device = class_logits.device
        num_classes = class_logits.shape[-1]
        counts = [p.shape[0] for p in proposals]
        pred_boxes = self.box_coder.decode(box_regression, proposals)
        pred_scores = F.softmax(class_logits, -1)
        all_boxes, all_scores, all_labels = [], [], []
        for boxes, scores, image_shape in zip(pred_boxes.split(counts, 0),
                                              pred_scores.split(counts, 0), image_shapes):
            boxes = box_ops.clip_boxes_to_image(boxes, image_shape)
            labels = ember.arange(num_classes, device=device).view(1, -1).expand_as(scores)
            # class 0 is the background: drop it, then one candidate per (box, class)
            boxes = boxes[:, 1:].reshape(-1, 4)
            scores = scores[:, 1:].reshape(-1)
            labels = labels[:, 1:].reshape(-1)
            inds = ember.where(scores > self.score_thresh)[0]
            boxes, scores, labels = boxes[inds], scores[inds], labels[inds]
            keep = box_ops.remove_small_boxes(boxes, min_size=1e-2)
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            keep = box_ops.batched_nms(boxes, scores, labels, self.nms_thresh)
            keep = keep[:self.detections_per_img]
            all_boxes.append(boxes[keep])
            all_scores.append(scores[keep])
            all_labels.append(labels[keep])
        return all_boxes, all_scores, all_labels

    def _positives(self, proposals, labels, matched_idxs):
        props, idxs = [], []
        for i in range(len(proposals)):
            pos = ember.where(labels[i] > 0)[0]
            props.append(proposals[i][pos])
            idxs.append(matched_idxs[i][pos])
        return props, idxs

    def forward(self, features, proposals, image_shapes, targets=None):
        if targets is not None:
            for t in targets:
                if t["boxes"].dtype not in (ember.float, ember.double, ember.half):
                    raise TypeError("target boxes must of float type, instead got "
                                    f"{t['boxes'].dtype}")
                if t["labels"].dtype != ember.int64:
                    raise TypeError("target labels must of int64 type, instead got "
                                    f"{t['labels'].dtype}")
                if self.has_keypoint() and t["keypoints"].dtype != ember.float32:
                    raise TypeError("target keypoints must of float type, instead got "
                                    f"{t['keypoints'].dtype}")
        if self.training:
            proposals, matched_idxs, labels, regression_targets = \
                self.select_training_samples(proposals, targets)
        else:
            labels = regression_targets = matched_idxs = None
        box_features = self.box_roi_pool(features, proposals, image_shapes)
        box_features = self.box_head(box_features)
        class_logits, box_regression = self.box_predictor(box_features)
        result = []
        losses = {}
        if self.training:
            loss_classifier, loss_box_reg = fastrcnn_loss(class_logits, box_regression, labels,
                                                          regression_targets)
            losses = {"loss_classifier": loss_classifier, "loss_box_reg": loss_box_reg}
        else:
            boxes, scores, labels = self.postprocess_detections(class_logits, box_regression,
                                                                proposals, image_shapes)
            for i in range(len(boxes)):
                result.append({"boxes": boxes[i], "labels": labels[i], "scores": scores[i]})

        if self.has_mask():
            if self.training:
                mask_proposals, pos_matched_idxs = self._positives(proposals, labels,
                                                                   matched_idxs)
            else:
                mask_proposals = [p["boxes"] for p in result]
            mask_features = self.mask_roi_pool(features, mask_proposals, image_shapes)
            mask_logits = self.mask_predictor(self.mask_head(mask_features))
            if self.training:
                gt_masks = [t["masks"] for t in targets]
                gt_labels = [t["labels"] for t in targets]
                losses["loss_mask"] = maskrcnn_loss(mask_logits, mask_proposals, gt_masks,
                                                    gt_labels, pos_matched_idxs)
            else:
                probs = maskrcnn_inference(mask_logits, [r["labels"] for r in result])
                for p, r in zip(probs, result):
                    r["masks"] = p

        if self.has_keypoint():
            if self.training:
                kp_proposals, pos_matched_idxs = self._positives(proposals, labels,
                                                                 matched_idxs)
            else:
                kp_proposals = [p["boxes"] for p in result]
            kp_features = self.keypoint_roi_pool(features, kp_proposals, image_shapes)
            kp_logits = self.keypoint_predictor(self.keypoint_head(kp_features))
            if self.training:
                gt_kps = [t["keypoints"] for t in targets]
                losses["loss_keypoint"] = keypointrcnn_loss(kp_logits, kp_proposals, gt_kps,
                                                            pos_matched_idxs)
            else:
                kp_probs, kp_scores = keypointrcnn_inference(kp_logits, kp_proposals)
                for p, s, r in zip(kp_probs, kp_scores, result):
                    r["keypoints"] = p
                    r["keypoints_scores"] = s
        return result, losses
