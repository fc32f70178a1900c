"""Anchor boxes: ``AnchorGenerator`` (R-CNN, RetinaNet, FCOS) tiles a few boxes of given
sizes and aspect ratios over every position of every feature map; ``DefaultBoxGenerator``
makes SSD's default boxes."""
from __future__ import annotations

import math

import ember

from .... import nn
from .image_list import ImageList

__all__ = ["AnchorGenerator", "DefaultBoxGenerator"]


class AnchorGenerator(nn.Module):
    """``sizes[i]`` and ``aspect_ratios[i]`` (height / width) give the anchors of feature
    map ``i``: ``len(sizes[i]) * len(aspect_ratios[i])`` per position, centred on the
    position scaled by the map's stride.  ``forward(image_list, feature_maps)`` returns one
    ``[sum_i H_i * W_i * A_i, 4]`` tensor per image (map by map, position by position, then
    anchor)."""

    def __init__(self, sizes=((128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),)) -> None:
        super().__init__()
        if not isinstance(sizes[0], (list, tuple)):
            sizes = tuple((s,) for s in sizes)
        if not isinstance(aspect_ratios[0], (list, tuple)):
            aspect_ratios = (aspect_ratios,) * len(sizes)
        self.sizes = sizes
        self.aspect_ratios = aspect_ratios
        self.cell_anchors = [self.generate_anchors(s, a) for s, a in zip(sizes, aspect_ratios)]

    def generate_anchors(self, scales, aspect_ratios, dtype=ember.float32, device="cpu"):
        """Zero-centred anchors ``[-w/2, -h/2, w/2, h/2]`` (rounded), ratios major."""
        scales = ember.as_tensor(scales, dtype=dtype, device=device)
        aspect_ratios = ember.as_tensor(aspect_ratios, dtype=dtype, device=device)
        h_ratios = ember.sqrt(aspect_ratios)
        w_ratios = 1 / h_ratios
        ws = (w_ratios[:, None] * scales[None, :]).view(-1)
        hs = (h_ratios[:, None] * scales[None, :]).view(-1)
        return (ember.stack([-ws, -hs, ws, hs], dim=1) / 2).round()

    def set_cell_anchors(self, dtype, device) -> None:
        self.cell_anchors = [a.to(dtype=dtype, device=device) for a in self.cell_anchors]

    def num_anchors_per_location(self) -> list[int]:
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios)]

    def grid_anchors(self, grid_sizes, strides):
        if not len(grid_sizes) == len(strides) == len(self.cell_anchors):
            raise AssertionError(
                "Anchors should be Tuple[Tuple[int]] because each feature map could "
                "potentially have different sizes and aspect ratios. There needs to be a "
                "match between the number of feature maps passed and the number of sizes / "
                "aspect ratios specified.")
        anchors = []
        for (gh, gw), (sh, sw), base in zip(grid_sizes, strides, self.cell_anchors):
            device = base.device
            shifts_x = ember.arange(0, gw, dtype=ember.int32, device=device) * sw
            shifts_y = ember.arange(0, gh, dtype=ember.int32, device=device) * sh
            shift_y, shift_x = ember.meshgrid(shifts_y, shifts_x, indexing="ij")
            shift_x = shift_x.reshape(-1)
            shift_y = shift_y.reshape(-1)
            shifts = ember.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
            anchors.append((shifts.view(-1, 1, 4) + base.view(1, -1, 4)).reshape(-1, 4))
        return anchors

    def forward(self, image_list: ImageList, feature_maps):
        grid_sizes = [tuple(f.shape[-2:]) for f in feature_maps]
        image_size = image_list.tensors.shape[-2:]
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        strides = [[ember.empty((), dtype=ember.int64, device=device).fill_(image_size[0] // g[0]),
                    ember.empty((), dtype=ember.int64, device=device).fill_(image_size[1] // g[1])]
                   for g in grid_sizes]
        self.set_cell_anchors(dtype, device)
        per_map = self.grid_anchors(grid_sizes, strides)
        return [ember.cat(list(per_map)) for _ in range(len(image_list.image_sizes))]


class DefaultBoxGenerator(nn.Module):
    """SSD's default boxes.  Map ``k`` has scale ``s_k`` (``scales``, or spread evenly over
    ``[min_ratio, max_ratio]``) and boxes of side ``s_k``, ``sqrt(s_k * s_{k+1})`` and
    ``s_k * sqrt(r)`` by ``s_k / sqrt(r)`` for each ratio ``r`` in ``aspect_ratios[k]`` and its
    inverse; ``steps`` fix each map's stride (default: image size / map size).  ``clip``
    clamps the relative ``(cx, cy, w, h)`` boxes to [0, 1].  Returns ``xyxy`` boxes in
    pixels, one tensor per image."""

    def __init__(self, aspect_ratios: list[list[int]], min_ratio: float = 0.15,
                 max_ratio: float = 0.9, scales: list[float] | None = None,
                 steps: list[int] | None = None, clip: bool = True) -> None:
        super().__init__()
        if steps is not None and len(aspect_ratios) != len(steps):
            raise ValueError("aspect_ratios and steps should have the same length")
        self.aspect_ratios = aspect_ratios
        self.steps = steps
        self.clip = clip
        num_outputs = len(aspect_ratios)
        if scales is None:
            if num_outputs > 1:
                span = max_ratio - min_ratio
                self.scales = [min_ratio + span * k / (num_outputs - 1.0)
                               for k in range(num_outputs)]
                self.scales.append(1.0)
            else:
                self.scales = [min_ratio, max_ratio]
        else:
            self.scales = scales
        self._wh_pairs = self._generate_wh_pairs(num_outputs)

    def _generate_wh_pairs(self, num_outputs: int, dtype=ember.float32, device="cpu"):
        pairs = []
        for k in range(num_outputs):
            s_k = self.scales[k]
            s_prime = math.sqrt(self.scales[k] * self.scales[k + 1])
            wh = [[s_k, s_k], [s_prime, s_prime]]
            for ar in self.aspect_ratios[k]:
                sq = math.sqrt(ar)
                w = self.scales[k] * sq
                h = self.scales[k] / sq
                wh.extend([[w, h], [h, w]])
            pairs.append(ember.as_tensor(wh, dtype=dtype, device=device))
        return pairs

    def num_anchors_per_location(self) -> list[int]:
        return [2 + 2 * len(r) for r in self.aspect_ratios]

    def _grid_default_boxes(self, grid_sizes, image_size, dtype=ember.float32):
        boxes = []
        for k, f_k in enumerate(grid_sizes):
            if self.steps is not None:
                x_f_k = image_size[1] / self.steps[k]
                y_f_k = image_size[0] / self.steps[k]
            else:
                y_f_k, x_f_k = f_k
            shifts_x = ((ember.arange(0, f_k[1]) + 0.5) / x_f_k).to(dtype=dtype)
            shifts_y = ((ember.arange(0, f_k[0]) + 0.5) / y_f_k).to(dtype=dtype)
            shift_y, shift_x = ember.meshgrid(shifts_y, shifts_x, indexing="ij")
            shift_x = shift_x.reshape(-1)
            shift_y = shift_y.reshape(-1)
            shifts = ember.stack((shift_x, shift_y) * len(self._wh_pairs[k]),
                                 dim=-1).reshape(-1, 2)
            wh = (self._wh_pairs[k].clamp(min=0, max=1) if self.clip
                  else self._wh_pairs[k])
            wh = wh.repeat((f_k[0] * f_k[1]), 1)
            boxes.append(ember.cat((shifts, wh), dim=1))
        return ember.cat(boxes, dim=0)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(aspect_ratios={self.aspect_ratios}, "
                f"clip={self.clip}, scales={self.scales}, steps={self.steps})")

    def forward(self, image_list: ImageList, feature_maps):
        grid_sizes = [tuple(f.shape[-2:]) for f in feature_maps]
        image_size = image_list.tensors.shape[-2:]
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        default = self._grid_default_boxes(grid_sizes, image_size, dtype=dtype).to(device)
        out = []
        x_y = ember.tensor([image_size[1], image_size[0]], device=default.device)
        for _ in image_list.image_sizes:
            boxes = default
            boxes = ember.cat([(boxes[:, :2] - 0.5 * boxes[:, 2:]) * x_y,
                               (boxes[:, :2] + 0.5 * boxes[:, 2:]) * x_y], -1)
            out.append(boxes)
        return out
