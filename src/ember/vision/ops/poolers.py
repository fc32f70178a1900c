"""``MultiScaleRoIAlign``: RoI Align over a feature pyramid, each box read from the level
that suits its size (the FPN paper's rule ``k = floor(k0 + log2(sqrt(area) / 224))``).

The scale of each level (``1/4``, ``1/8``...) is worked out from the first call's feature and
image sizes and then kept, as torchvision does.
"""
from __future__ import annotations

import ember

from ... import nn
from .boxes import box_area
from .roi import roi_align

__all__ = ["LevelMapper", "MultiScaleRoIAlign", "initLevelMapper"]


class LevelMapper:
    """Maps boxes to pyramid levels ``k_min..k_max`` (returned minus ``k_min``): a box of
    side ``canonical_scale`` goes to ``canonical_level``, each doubling one level up."""

    def __init__(self, k_min: int, k_max: int, canonical_scale: int = 224,
                 canonical_level: int = 4, eps: float = 1e-6) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists):
        s = ember.sqrt(ember.cat([box_area(b) for b in boxlists]))
        lvls = ember.floor(self.lvl0 + ember.log2(s / self.s0)
                           + ember.tensor(self.eps, dtype=s.dtype))
        lvls = ember.clamp(lvls, min=self.k_min, max=self.k_max)
        return lvls.to(ember.int64) - self.k_min


def initLevelMapper(k_min: int, k_max: int, canonical_scale: int = 224,
                    canonical_level: int = 4, eps: float = 1e-6) -> LevelMapper:
    return LevelMapper(k_min, k_max, canonical_scale, canonical_level, eps)


def _convert_to_roi_format(boxes):
    concat = ember.cat(list(boxes), dim=0)
    ids = ember.cat([ember.full_like(b[:, :1], i, dtype=concat.dtype)
                     for i, b in enumerate(boxes)], dim=0)
    return ember.cat([ids, concat], dim=1)


def _infer_scale(feature, original_size) -> float:
    """The power of two nearest ``feature size / image size`` (from the height)."""
    scales = []
    for s1, s2 in zip(feature.shape[-2:], original_size):
        approx = float(s1) / float(s2)
        scales.append(2 ** float(ember.tensor(approx).log2().round()))
    return scales[0]


def _setup_scales(features, image_shapes, canonical_scale: int, canonical_level: int):
    if not image_shapes:
        raise ValueError("images list should not be empty")
    max_x = max(s[0] for s in image_shapes)
    max_y = max(s[1] for s in image_shapes)
    scales = [_infer_scale(f, (max_x, max_y)) for f in features]
    lvl_min = -ember.log2(ember.tensor(scales[0], dtype=ember.float32)).item()
    lvl_max = -ember.log2(ember.tensor(scales[-1], dtype=ember.float32)).item()
    return scales, initLevelMapper(int(lvl_min), int(lvl_max), canonical_scale=canonical_scale,
                                   canonical_level=canonical_level)


def _filter_input(x, featmap_names):
    return [v for k, v in x.items() if k in featmap_names]


def _multiscale_roi_align(feats, boxes, output_size, sampling_ratio, scales, mapper):
    if scales is None or mapper is None:
        raise ValueError("scales and mapper should not be None")
    rois = _convert_to_roi_format(boxes)
    if len(feats) == 1:
        return roi_align(feats[0], rois, output_size=output_size, spatial_scale=scales[0],
                         sampling_ratio=sampling_ratio)
    levels = mapper(boxes)
    first = feats[0]
    result = ember.zeros((len(rois), first.shape[1]) + tuple(output_size), dtype=first.dtype,
                         device=first.device)
    for level, (feat, scale) in enumerate(zip(feats, scales)):
        idx = ember.where(levels == level)[0]
        part = roi_align(feat, rois[idx], output_size=output_size, spatial_scale=scale,
                         sampling_ratio=sampling_ratio)
        result[idx] = part.to(result.dtype)
    return result


class MultiScaleRoIAlign(nn.Module):
    """RoI Align on the maps of ``x`` named in ``featmap_names`` (a pyramid, finest first).

    ``forward(x, boxes, image_shapes)``: ``boxes`` is a list of per-image ``[L, 4]`` boxes in
    image coordinates; returns ``[sum L, C, *output_size]``.
    """

    def __init__(self, featmap_names: list[str], output_size, sampling_ratio: int, *,
                 canonical_scale: int = 224, canonical_level: int = 4) -> None:
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales = None
        self.map_levels = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(self, x, boxes, image_shapes):
        feats = _filter_input(x, self.featmap_names)
        if self.scales is None or self.map_levels is None:
            # NOTE: as in torchvision, the scales found on the first call are kept for good
            self.scales, self.map_levels = _setup_scales(feats, image_shapes,
                                                         self.canonical_scale,
                                                         self.canonical_level)
        return _multiscale_roi_align(feats, boxes, self.output_size, self.sampling_ratio,
                                     self.scales, self.map_levels)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(featmap_names={self.featmap_names}, "
                f"output_size={self.output_size}, sampling_ratio={self.sampling_ratio})")
