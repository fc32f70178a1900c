"""``GeneralizedRCNNTransform``: what the R-CNN family does to images before the backbone
(normalize, resize so the short side is ``min_size`` and the long side at most
``max_size``, pad into one batch whose sides are multiples of ``size_divisible``) and to
detections after (boxes, masks and keypoints back to each original image's size)."""
from __future__ import annotations

import math

import ember

from .... import nn
from ....nn import functional as F
from .image_list import ImageList
from .roi_heads import paste_masks_in_image

__all__ = ["GeneralizedRCNNTransform", "resize_boxes", "resize_keypoints"]


def _resize_image_and_masks(image, self_min_size, self_max_size, target=None,
                            fixed_size=None):
    size = None
    scale_factor = None
    recompute = None
    if fixed_size is not None:
        size = [fixed_size[1], fixed_size[0]]
    else:
        short, long = min(image.shape[-2:]), max(image.shape[-2:])
        scale_factor = min(self_min_size / short, self_max_size / long)
        recompute = True
    image = F.interpolate(image[None], size=size, scale_factor=scale_factor, mode="bilinear",
                          recompute_scale_factor=recompute, align_corners=False)[0]
    if target is None:
        return image, target
    if "masks" in target:
        mask = target["masks"]
        mask = F.interpolate(mask[:, None].float(), size=size, scale_factor=scale_factor,
                             recompute_scale_factor=recompute)[:, 0].byte()
        target["masks"] = mask
    return image, target


def _ratios(new_size, original_size, device):
    return [ember.tensor(s, dtype=ember.float32, device=device)
            / ember.tensor(s_orig, dtype=ember.float32, device=device)
            for s, s_orig in zip(new_size, original_size)]


def resize_keypoints(keypoints, original_size, new_size):
    ratio_h, ratio_w = _ratios(new_size, original_size, keypoints.device)
    out = keypoints.clone()
    out[..., 0] *= ratio_w
    out[..., 1] *= ratio_h
    return out


def resize_boxes(boxes, original_size, new_size):
    ratio_h, ratio_w = _ratios(new_size, original_size, boxes.device)
    xmin, ymin, xmax, ymax = boxes.unbind(1)
    return ember.stack((xmin * ratio_w, ymin * ratio_h, xmax * ratio_w, ymax * ratio_h), dim=1)


class GeneralizedRCNNTransform(nn.Module):
    """``forward(images, targets=None)`` takes a list of ``(C, H, W)`` float images (and
    their target dicts) and returns an ``ImageList`` and the targets with boxes (masks,
    keypoints) resized.  In training the short side is drawn from ``min_size`` (a tuple)
    with ember's generator; in eval it is ``min_size[-1]``."""

    def __init__(self, min_size, max_size: int, image_mean: list[float],
                 image_std: list[float], size_divisible: int = 32,
                 fixed_size: tuple[int, int] | None = None, **kwargs) -> None:
        super().__init__()
        if not isinstance(min_size, (list, tuple)):
            min_size = (min_size,)
        self.min_size = min_size
        self.max_size = max_size
        self.image_mean = image_mean
        self.image_std = image_std
        self.size_divisible = size_divisible
        self.fixed_size = fixed_size
        self._skip_resize = kwargs.pop("_skip_resize", False)

    def forward(self, images, targets=None):
        images = list(images)
        if targets is not None:
            targets = [dict(t) for t in targets]  # the caller's dicts stay as they were
        for i in range(len(images)):
            image = images[i]
            target = targets[i] if targets is not None else None
            if image.dim() != 3:
                raise ValueError("images is expected to be a list of 3d tensors of shape "
                                 f"[C, H, W], got {image.shape}")
            image = self.normalize(image)
            image, target = self.resize(image, target)
            images[i] = image
            if targets is not None and target is not None:
                targets[i] = target
        image_sizes = [tuple(img.shape[-2:]) for img in images]
        batched = self.batch_images(images, size_divisible=self.size_divisible)
        return ImageList(batched, [(int(h), int(w)) for h, w in image_sizes]), targets

    def normalize(self, image):
        if not image.is_floating_point():
            raise TypeError("Expected input images to be of floating type (in range [0, 1]), "
                            f"but found type {image.dtype} instead")
        mean = ember.as_tensor(self.image_mean, dtype=image.dtype, device=image.device)
        std = ember.as_tensor(self.image_std, dtype=image.dtype, device=image.device)
        return (image - mean[:, None, None]) / std[:, None, None]

    def torch_choice(self, k):
        """``random.choice`` drawn from ember's generator (one ``uniform_`` draw)."""
        index = int(ember.empty(1).uniform_(0.0, float(len(k))).item())
        return k[index]

    def resize(self, image, target=None):
        h, w = image.shape[-2:]
        if self.training:
            if self._skip_resize:
                return image, target
            size = self.torch_choice(self.min_size)
        else:
            size = self.min_size[-1]
        image, target = _resize_image_and_masks(image, size, self.max_size, target,
                                                 self.fixed_size)
        if target is None:
            return image, target
        target["boxes"] = resize_boxes(target["boxes"], (h, w), image.shape[-2:])
        if "keypoints" in target:
            target["keypoints"] = resize_keypoints(target["keypoints"], (h, w),
                                                   image.shape[-2:])
        return image, target

    def max_by_axis(self, the_list):
        maxes = list(the_list[0])
        for sub in the_list[1:]:
            for i, item in enumerate(sub):
                maxes[i] = max(maxes[i], item)
        return maxes

    def batch_images(self, images, size_divisible: int = 32):
        max_size = self.max_by_axis([list(img.shape) for img in images])
        stride = float(size_divisible)
        max_size[1] = int(math.ceil(float(max_size[1]) / stride) * stride)
        max_size[2] = int(math.ceil(float(max_size[2]) / stride) * stride)
        batched = images[0].new_full([len(images)] + max_size, 0)
        for i, img in enumerate(images):
            batched[i, :img.shape[0], :img.shape[1], :img.shape[2]].copy_(img)
        return batched

    def postprocess(self, result, image_shapes, original_image_sizes):
        if self.training:
            return result
        for i, (pred, im_s, o_im_s) in enumerate(zip(result, image_shapes,
                                                     original_image_sizes)):
            boxes = resize_boxes(pred["boxes"], im_s, o_im_s)
            result[i]["boxes"] = boxes
            if "masks" in pred:
                result[i]["masks"] = paste_masks_in_image(pred["masks"], boxes, o_im_s)
            if "keypoints" in pred:
                result[i]["keypoints"] = resize_keypoints(pred["keypoints"], im_s, o_im_s)
        return result

    def __repr__(self) -> str:
        ind = "\n    "
        return (f"{type(self).__name__}({ind}Normalize(mean={self.image_mean}, "
                f"std={self.image_std}){ind}Resize(min_size={self.min_size}, "
                f"max_size={self.max_size}, mode='bilinear')\n)")


def imagenet_transform(min_size, max_size, image_mean=None, image_std=None, **kwargs):
    """The detectors' ``GeneralizedRCNNTransform``, normalising with ImageNet's mean and
    standard deviation unless others are given."""
    if image_mean is None:
        image_mean = [0.485, 0.456, 0.406]
    if image_std is None:
        image_std = [0.229, 0.224, 0.225]
    return GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std, **kwargs)
