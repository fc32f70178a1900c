"""MixUp and CutMix on batches (``torchvision.transforms.v2.MixUp`` / ``CutMix``).

Both take a batch ``(images [N, C, H, W], labels)`` (after the DataLoader, or in its
``collate_fn``), pair each sample with the previous one in the batch (``roll(1, 0)``) and
mix the images and the (one-hot) labels with weight ``lam``.  ``lam`` comes from
``Beta(alpha, alpha)``, drawn as torchvision draws it (``torch.distributions.Beta.sample``,
whose Dirichlet sampler ``ember.distributions`` replays); CutMix then draws the box
centre with ``torch.randint(W)`` and ``torch.randint(H)``.
"""
from __future__ import annotations

import math

from ...._tensor import Tensor
from ... import tv_tensors
from ._transform import Transform, _ember
from ._utils import _is_pil, _parse_labels_getter, has_any, is_pure_tensor, query_size
from ._utils import tree_flatten, tree_unflatten

__all__ = ["CutMix", "MixUp"]


class _BaseMixUpCutMix(Transform):
    def __init__(self, *, alpha: float = 1.0, num_classes=None, labels_getter="default"):
        super().__init__()
        torch = _ember()
        self.alpha = float(alpha)
        self._dist = torch.distributions.Beta(torch.tensor([alpha]), torch.tensor([alpha]))
        self.num_classes = num_classes
        self._labels_getter = _parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(inputs)
        needs_transform_list = self._needs_transform_list(flat_inputs)
        unsupported = [_is_pil, tv_tensors.BoundingBoxes, tv_tensors.Mask]
        if isinstance(getattr(tv_tensors, "KeyPoints", None), type):
            unsupported.append(tv_tensors.KeyPoints)
        if has_any(flat_inputs, *unsupported):
            raise ValueError(f"{type(self).__name__}() does not support PIL images, bounding "
                             "boxes, keypoints and masks.")
        labels = self._labels_getter(inputs)
        if not isinstance(labels, Tensor):
            raise ValueError(f"The labels must be a tensor, but got {type(labels)} instead.")
        if labels.ndim not in (1, 2):
            raise ValueError("labels should be index based with shape (batch_size,) or "
                             "probability based with shape (batch_size, num_classes), but got "
                             f"a tensor of shape {labels.shape} instead.")
        if labels.ndim == 2 and self.num_classes is not None and (
                labels.shape[-1] != self.num_classes):
            raise ValueError("When passing 2D labels, the number of elements in last dimension "
                             f"must match num_classes: {labels.shape[-1]} != "
                             f"{self.num_classes}. You can Leave num_classes to None.")
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be passed if the labels are index-based (1D)")
        params = {
            "labels": labels,
            "batch_size": labels.shape[0],
            **self.make_params([inpt for inpt, needs in zip(flat_inputs, needs_transform_list)
                                if needs]),
        }
        # The labels come after the image, so the heuristic passes them through: they are
        # transformed here all the same (as in torchvision).
        needs_transform_list[next(idx for idx, inpt in enumerate(flat_inputs)
                                  if inpt is labels)] = True
        flat_outputs = [self.transform(inpt, params) if needs else inpt
                        for inpt, needs in zip(flat_inputs, needs_transform_list)]
        return tree_unflatten(flat_outputs, spec)

    def _check_image_or_video(self, inpt: Tensor, *, batch_size: int):
        expected_num_dims = 5 if isinstance(inpt, tv_tensors.Video) else 4
        if inpt.ndim != expected_num_dims:
            raise ValueError(f"Expected a batched input with {expected_num_dims} dims, but got "
                             f"{inpt.ndim} dimensions instead.")
        if inpt.shape[0] != batch_size:
            raise ValueError("The batch size of the image or video does not match the batch "
                             f"size of the labels: {inpt.shape[0]} != {batch_size}.")

    def _mixup_label(self, label: Tensor, *, lam: float) -> Tensor:
        from ....nn.functional import one_hot

        if label.ndim == 1:
            label = one_hot(label, num_classes=self.num_classes)
        if not label.dtype.is_floating_point:
            label = label.float()
        return label.roll(1, 0).mul_(1.0 - lam).add_(label.mul(lam))


def _is_image_or_video(inpt) -> bool:
    return isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)) or is_pure_tensor(inpt)


class MixUp(_BaseMixUpCutMix):
    """MixUp (Zhang et al., "mixup: Beyond Empirical Risk Minimization") on a batch:
    ``lam * x + (1 - lam) * x.roll(1, 0)``, and the same for the one-hot labels.

    Labels of shape ``(batch_size,)`` become ``(batch_size, num_classes)``; ``num_classes``
    may be left out only for labels that already are probabilities.
    """

    def make_params(self, flat_inputs) -> dict:
        return dict(lam=float(self._dist.sample(())))

    def transform(self, inpt, params: dict):
        lam = params["lam"]
        if inpt is params["labels"]:
            return self._mixup_label(inpt, lam=lam)
        if _is_image_or_video(inpt):
            self._check_image_or_video(inpt, batch_size=params["batch_size"])
            output = inpt.roll(1, 0).mul_(1.0 - lam).add_(inpt.mul(lam))
            if isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)):
                output = tv_tensors.wrap(output, like=inpt)
            return output
        return inpt


class CutMix(_BaseMixUpCutMix):
    """CutMix (Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with
    Localizable Features") on a batch: a random box of area ``1 - lam`` is pasted from the
    previous sample, and the labels are mixed by the box's actual share of the image."""

    def make_params(self, flat_inputs) -> dict:
        torch = _ember()
        lam = float(self._dist.sample(()))
        H, W = query_size(flat_inputs)
        r_x = torch.randint(W, size=(1,))
        r_y = torch.randint(H, size=(1,))
        r = 0.5 * math.sqrt(1.0 - lam)
        r_w_half = int(r * W)
        r_h_half = int(r * H)
        x1 = int(torch.clamp(r_x - r_w_half, min=0))
        y1 = int(torch.clamp(r_y - r_h_half, min=0))
        x2 = int(torch.clamp(r_x + r_w_half, max=W))
        y2 = int(torch.clamp(r_y + r_h_half, max=H))
        box = (x1, y1, x2, y2)
        lam_adjusted = float(1.0 - (x2 - x1) * (y2 - y1) / (W * H))
        return dict(box=box, lam_adjusted=lam_adjusted)

    def transform(self, inpt, params: dict):
        if inpt is params["labels"]:
            return self._mixup_label(inpt, lam=params["lam_adjusted"])
        if _is_image_or_video(inpt):
            self._check_image_or_video(inpt, batch_size=params["batch_size"])
            x1, y1, x2, y2 = params["box"]
            rolled = inpt.roll(1, 0)
            output = inpt.clone()
            output[..., y1:y2, x1:x2] = rolled[..., y1:y2, x1:x2]
            if isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)):
                output = tv_tensors.wrap(output, like=inpt)
            return output
        return inpt
