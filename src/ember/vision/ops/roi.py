"""Region-of-interest pooling: ``roi_align`` (Mask R-CNN) and ``roi_pool`` (Fast R-CNN).

Regions are a ``Tensor[K, 5]`` of ``(batch_index, x1, y1, x2, y2)`` or a list of
``Tensor[L, 4]`` boxes, one per image.  Where each output bin reads from is worked out in
NumPy from the boxes (torchvision gives the boxes no gradient either); the reading itself
is an ember gather and ``index_add``, so gradients reach ``input``.

>>> feats = ember.randn(1, 8, 32, 32)                           # doctest: +SKIP
>>> roi_align(feats, [ember.tensor([[0., 0, 15, 15]])], 7).shape  # doctest: +SKIP
torch.Size([1, 8, 7, 7])
"""
from __future__ import annotations

import math

import numpy as np

import ember

from ... import nn

__all__ = ["RoIAlign", "RoIPool", "roi_align", "roi_pool"]


def _pair(x) -> tuple[int, int]:
    return (x, x) if isinstance(x, int) else tuple(x)


def _check_boxes(boxes) -> None:
    if isinstance(boxes, (list, tuple)):
        for t in boxes:
            if t.size(1) != 4:
                raise AssertionError("The shape of the tensor in the boxes list is not correct "
                                     "as List[Tensor[L, 4]]")
    elif isinstance(boxes, ember.Tensor):
        if boxes.size(1) != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    else:
        raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def convert_boxes_to_roi_format(boxes) -> ember.Tensor:
    """A list of per-image ``[L, 4]`` boxes as one ``[K, 5]`` tensor with the image index
    in the first column."""
    concat = boxes[0] if len(boxes) == 1 else ember.cat(list(boxes), dim=0)
    ids = [ember.full_like(b[:, :1], i) for i, b in enumerate(boxes)]
    ids = ids[0] if len(ids) == 1 else ember.cat(ids, dim=0)
    return ember.cat([ids, concat], dim=1)


def _rois_numpy(input, boxes) -> np.ndarray:
    _check_boxes(boxes)
    rois = boxes if isinstance(boxes, ember.Tensor) else convert_boxes_to_roi_format(boxes)
    if rois.dtype != input.dtype:  # torchvision's kernels check this (after the shape)
        raise RuntimeError("input should have the same type as rois")
    return rois.detach().cpu().numpy()


def _channels_last(input):
    """``(N, C, H, W)`` as ``(N*H*W, C)``: row ``(n*H + y)*W + x`` is one pixel's channels."""
    n, c, h, w = input.shape
    return input.permute(0, 2, 3, 1).reshape(n * h * w, c)


def _gather_sum(input, k: int, bins: int, rows: np.ndarray, pix: np.ndarray,
                weights: np.ndarray):
    """``out[r, :] = sum weights[i] * input_pixel[pix[i]]`` over the entries with ``rows ==
    r``, as ``(k, C, ph, pw)`` (``bins = ph * pw`` rows per region)."""
    c = input.shape[1]
    dev = input.device
    flat = _channels_last(input)
    vals = flat[ember.as_tensor(pix, device=dev)] * ember.as_tensor(
        weights, device=dev).to(input.dtype)[:, None]
    out = ember.zeros((k * bins, c), dtype=input.dtype, device=dev)
    return out.index_add(0, ember.as_tensor(rows, device=dev), vals)


def _bilinear_taps(r, b, x0, y0, rw, rh, ph, pw, sampling_ratio, height, width, dt):
    """The bilinear samples of region ``r`` (on image ``b``, corner ``(x0, y0)``, size ``(rw,
    rh)``) split into ``ph x pw`` bins, as the kernels compute them (in the input's precision):
    the samples per bin side ``(gh, gw)`` (from ``sampling_ratio``, else the bin size rounded
    up) and, for each of the four neighbours, the output rows (``r * ph * pw + bin``), input
    pixels and weights of the samples inside the map."""
    bin_h, bin_w = rh / dt(ph), rw / dt(pw)
    gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / dt(ph))
    gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / dt(pw))
    n_h, n_w = max(gh, 0), max(gw, 0)  # an inverted box (aligned) has no samples
    ys = (y0 + np.arange(ph, dtype=dt)[:, None] * bin_h
          + (np.arange(n_h, dtype=dt)[None, :] + dt(0.5)) * bin_h / dt(n_h)).reshape(-1)
    xs = (x0 + np.arange(pw, dtype=dt)[:, None] * bin_w
          + (np.arange(n_w, dtype=dt)[None, :] + dt(0.5)) * bin_w / dt(n_w)).reshape(-1)
    y_lo, y_hi, ly, y_ok = _corners(ys, height, dt)
    x_lo, x_hi, lx, x_ok = _corners(xs, width, dt)
    hy, hx = dt(1) - ly, dt(1) - lx
    # every (bin row, sample row, bin col, sample col) and its four neighbours
    shape = (ph, n_h, pw, n_w)
    yl, yh, wy_l, wy_h, oky = (a.reshape(ph, n_h, 1, 1) for a in (y_lo, y_hi, hy, ly, y_ok))
    xl, xh, wx_l, wx_h, okx = (a.reshape(1, 1, pw, n_w) for a in (x_lo, x_hi, hx, lx, x_ok))
    ok = np.broadcast_to(oky & okx, shape)
    bin_id = np.broadcast_to((np.arange(ph)[:, None, None, None] * pw
                              + np.arange(pw)[None, None, :, None]), shape)
    base = b * height * width
    taps = [((r * ph * pw + bin_id)[ok], np.broadcast_to(base + yy * width + xx, shape)[ok],
             np.broadcast_to(wgt, shape)[ok])
            for yy, xx, wgt in ((yl, xl, wy_l * wx_l), (yl, xh, wy_l * wx_h),
                                (yh, xl, wy_h * wx_l), (yh, xh, wy_h * wx_h))]
    return gh, gw, taps


def roi_align(input, boxes, output_size, spatial_scale: float = 1.0, sampling_ratio: int = -1,
              aligned: bool = False):
    """Average of bilinear samples on a regular grid in each of the ``output_size`` bins of
    every region: ``(K, C, ph, pw)``.

    Box coordinates are multiplied by ``spatial_scale`` to reach ``input``'s grid;
    ``sampling_ratio`` samples per bin side (<= 0: ``ceil(region side / bins)``);
    ``aligned=True`` shifts boxes by half a pixel so that pixel centres line up.
    """
    ph, pw = _pair(output_size)
    rois = _rois_numpy(input, boxes)
    n, _, height, width = input.shape
    dt = rois.dtype.type
    rows, pix, wts = [], [], []
    offset = dt(0.5) if aligned else dt(0)
    scale = dt(spatial_scale)
    for r, roi in enumerate(rois):
        b = int(roi[0])
        x0, y0 = roi[1] * scale - offset, roi[2] * scale - offset
        rw, rh = roi[3] * scale - offset - x0, roi[4] * scale - offset - y0
        if not aligned:  # NOTE: legacy mode: regions at least one pixel wide and high
            rw, rh = max(rw, dt(1)), max(rh, dt(1))
        gh, gw, taps = _bilinear_taps(r, b, x0, y0, rw, rh, ph, pw, sampling_ratio, height,
                                      width, dt)
        count = dt(max(gh * gw, 1))
        for bins, pixels, weights in taps:
            rows.append(bins)
            pix.append(pixels)
            wts.append(weights / count)
    k = len(rois)
    if k == 0:
        return ember.zeros((0, input.shape[1], ph, pw), dtype=input.dtype, device=input.device)
    rows, pix, wts = np.concatenate(rows), np.concatenate(pix), np.concatenate(wts)
    out = _gather_sum(input, k, ph * pw, rows, pix, wts)
    return out.reshape(k, ph, pw, -1).permute(0, 3, 1, 2).contiguous()


def _corners(v: np.ndarray, size: int, dt):
    """Low/high neighbour indices, the fraction towards the high one, and whether a sample
    at ``v`` lies within one pixel of the map (outside it contributes zero)."""
    ok = ~((v < -1.0) | (v > size))
    v = np.maximum(v, dt(0))
    lo = v.astype(np.int64)
    at_edge = lo >= size - 1
    lo = np.where(at_edge, size - 1, lo)
    hi = np.where(at_edge, size - 1, lo + 1)
    v = np.where(at_edge, lo.astype(dt), v)
    lo, hi = np.where(ok, lo, 0), np.where(ok, hi, 0)
    return lo, hi, (v - lo.astype(dt)).astype(dt), ok


def roi_pool(input, boxes, output_size, spatial_scale: float = 1.0):
    """Maximum over each of the ``output_size`` bins of every region (rounded to whole
    pixels): ``(K, C, ph, pw)``; an empty bin gives 0."""
    ph, pw = _pair(output_size)
    rois = _rois_numpy(input, boxes)
    n, c, height, width = input.shape
    dt = rois.dtype.type
    data = input.detach().cpu().numpy()
    k = len(rois)
    rows, pix = [], []
    scale = dt(spatial_scale)
    for r, roi in enumerate(rois):
        b = int(roi[0])
        # NOTE: C's round(): halves away from zero, unlike NumPy's round-half-to-even
        x0, y0, x1, y1 = (int(math.copysign(math.floor(abs(float(v * scale)) + 0.5), v))
                          for v in roi[1:5])
        rw, rh = max(x1 - x0 + 1, 1), max(y1 - y0 + 1, 1)
        bin_h, bin_w = dt(rh) / dt(ph), dt(rw) / dt(pw)
        for i in range(ph):
            hs = min(max(math.floor(dt(i) * bin_h) + y0, 0), height)
            he = min(max(math.ceil(dt(i + 1) * bin_h) + y0, 0), height)
            for j in range(pw):
                ws = min(max(math.floor(dt(j) * bin_w) + x0, 0), width)
                we = min(max(math.ceil(dt(j + 1) * bin_w) + x0, 0), width)
                if he <= hs or we <= ws:
                    continue  # empty bin: stays 0
                window = data[b, :, hs:he, ws:we].reshape(c, -1)
                arg = window.argmax(axis=1)  # the first maximum in row-major order
                yy, xx = hs + arg // (we - ws), ws + arg % (we - ws)
                rows.append(np.full(c, r * ph * pw + i * pw + j))
                pix.append(((b * height + yy) * width + xx) * c + np.arange(c))
    if k == 0 or not rows:
        return ember.zeros((k, c, ph, pw), dtype=input.dtype, device=input.device)
    rows, pix = np.concatenate(rows), np.concatenate(pix)
    flat = _channels_last(input).reshape(-1)
    dev = input.device
    vals = flat[ember.as_tensor(pix, device=dev)]
    out = ember.zeros(k * ph * pw * c, dtype=input.dtype, device=dev)
    out = out.index_add(0, ember.as_tensor(rows * c + pix % c, device=dev), vals)
    return out.reshape(k, ph, pw, c).permute(0, 3, 1, 2).contiguous()


class RoIAlign(nn.Module):
    """:func:`roi_align` as a layer."""

    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int,
                 aligned: bool = False):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input, rois):
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio,
                         self.aligned)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(output_size={self.output_size}, spatial_scale="
                f"{self.spatial_scale}, sampling_ratio={self.sampling_ratio}, aligned="
                f"{self.aligned})")


class RoIPool(nn.Module):
    """:func:`roi_pool` as a layer."""

    def __init__(self, output_size, spatial_scale: float):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input, rois):
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale})")
