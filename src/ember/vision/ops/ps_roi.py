"""Position-sensitive RoI pooling (R-FCN, Dai et al., 2016): ``ps_roi_align`` and
``ps_roi_pool``.

Like :func:`roi_align`/:func:`roi_pool`, except that output bin ``(i, j)`` of output
channel ``c`` reads input channel ``(c * ph + i) * pw + j``: the input has ``ph * pw`` times
the output's channels.  Reads are planned in NumPy and done with ember ops (``input`` gets
gradients, the boxes do not).
"""
from __future__ import annotations

import math

import numpy as np

import ember

from ... import nn
from .roi import _bilinear_taps, _gather_sum, _pair, _rois_numpy

__all__ = ["PSRoIAlign", "PSRoIPool", "ps_roi_align", "ps_roi_pool"]


def _check_channels(input, ph: int, pw: int) -> int:
    channels = input.shape[1]
    if channels % (ph * pw) != 0:
        raise RuntimeError("input channels must be a multiple of pooling height * pooling width")
    return channels // (ph * pw)


def _position_sensitive(full, k: int, out_channels: int, ph: int, pw: int):
    """From ``(k * ph * pw, C)`` bin values of every channel, the ``(k, C_out, ph, pw)``
    output where bin ``(i, j)`` of channel ``c`` takes input channel ``(c*ph + i)*pw + j``."""
    full = full.reshape(k, ph, pw, out_channels, ph, pw)
    return full.diagonal(dim1=1, dim2=4).diagonal(dim1=1, dim2=3).contiguous()


def _regions(input, boxes, output_size):
    """The bins per side, output channels, regions (as NumPy rows), map size and the regions'
    scalar type of a position-sensitive pooling call."""
    ph, pw = _pair(output_size)
    out_channels = _check_channels(input, ph, pw)
    rois = _rois_numpy(input, boxes)
    _, _, height, width = input.shape
    return ph, pw, out_channels, rois, height, width, rois.dtype.type


def ps_roi_align(input, boxes, output_size, spatial_scale: float = 1.0,
                 sampling_ratio: int = -1):
    """Position-sensitive RoI Align: ``(K, C / (ph * pw), ph, pw)``.

    Boxes are shifted by half a pixel (as ``roi_align(..., aligned=True)``) and each bin
    averages ``sampling_ratio`` (or ``ceil(bin size)``) bilinear samples per side.
    """
    ph, pw, out_channels, rois, height, width, dt = _regions(input, boxes, output_size)
    k = len(rois)
    if k == 0:
        return ember.zeros((0, out_channels, ph, pw), dtype=input.dtype, device=input.device)
    rows, pix, wts, counts = [], [], [], []
    scale = dt(spatial_scale)
    for r, roi in enumerate(rois):
        b = int(roi[0])
        x0, y0 = roi[1] * scale - dt(0.5), roi[2] * scale - dt(0.5)
        rw, rh = roi[3] * scale - dt(0.5) - x0, roi[4] * scale - dt(0.5) - y0
        gh, gw, taps = _bilinear_taps(r, b, x0, y0, rw, rh, ph, pw, sampling_ratio, height,
                                      width, dt)
        counts.append(np.full(ph * pw, gh * gw, dtype=dt))
        for bins, pixels, weights in taps:
            rows.append(bins)
            pix.append(pixels)
            wts.append(weights)
    full = _gather_sum(input, k, ph * pw, np.concatenate(rows), np.concatenate(pix),
                       np.concatenate(wts))
    # NOTE: the sum over the samples divided by their number (0 / 0 for an empty box)
    count = ember.as_tensor(np.concatenate(counts), device=input.device).to(input.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        full = full / count[:, None]
    return _position_sensitive(full, k, out_channels, ph, pw)


def ps_roi_pool(input, boxes, output_size, spatial_scale: float = 1.0):
    """Position-sensitive RoI pooling: the average of each bin (box corners rounded to whole
    pixels), ``(K, C / (ph * pw), ph, pw)``; an empty bin gives 0.

    NOTE: the gradient is this function's own; torchvision's backward kernel spreads it over
    bins clipped to the full map instead, so the two differ where a bin reaches the last row
    or column.
    """
    ph, pw, out_channels, rois, height, width, dt = _regions(input, boxes, output_size)
    k = len(rois)
    if k == 0:
        return ember.zeros((0, out_channels, ph, pw), dtype=input.dtype, device=input.device)
    rows, pix, areas = [], [], np.ones(k * ph * pw, dtype=dt)
    scale = dt(spatial_scale)
    for r, roi in enumerate(rois):
        b = int(roi[0])
        # NOTE: C's round(): halves away from zero
        x0, y0, x1, y1 = (int(math.copysign(math.floor(abs(float(v * scale)) + 0.5), v))
                          for v in roi[1:5])
        rw, rh = max(x1 - x0, 1), max(y1 - y0, 1)
        bin_h, bin_w = dt(rh) / dt(ph), dt(rw) / dt(pw)
        # NOTE: torchvision's kernel clips the bins to ``height - 1`` and ``width - 1``: the
        # last row and column of the map are never read
        for i in range(ph):
            hs = min(max(math.floor(dt(i) * bin_h) + y0, 0), height - 1)
            he = min(max(math.ceil(dt(i + 1) * bin_h) + y0, 0), height - 1)
            for j in range(pw):
                ws = min(max(math.floor(dt(j) * bin_w) + x0, 0), width - 1)
                we = min(max(math.ceil(dt(j + 1) * bin_w) + x0, 0), width - 1)
                if he <= hs or we <= ws:
                    continue  # empty bin: stays 0
                yy, xx = np.mgrid[hs:he, ws:we]
                rows.append(np.full(yy.size, r * ph * pw + i * pw + j))
                pix.append(((b * height + yy) * width + xx).reshape(-1))
                areas[r * ph * pw + i * pw + j] = (he - hs) * (we - ws)
    if rows:
        rows, pix = np.concatenate(rows), np.concatenate(pix)
        full = _gather_sum(input, k, ph * pw, rows, pix, np.ones(len(rows), dtype=dt))
        full = full / ember.as_tensor(areas, device=input.device).to(input.dtype)[:, None]
    else:
        full = ember.zeros((k * ph * pw, input.shape[1]), dtype=input.dtype,
                           device=input.device)
    return _position_sensitive(full, k, out_channels, ph, pw)


class PSRoIAlign(nn.Module):
    """:func:`ps_roi_align` as a layer."""

    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio

    def forward(self, input, rois):
        return ps_roi_align(input, rois, self.output_size, self.spatial_scale,
                            self.sampling_ratio)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale="
                f"{self.spatial_scale}, sampling_ratio={self.sampling_ratio})")


class PSRoIPool(nn.Module):
    """:func:`ps_roi_pool` as a layer."""

    def __init__(self, output_size, spatial_scale: float):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input, rois):
        return ps_roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(output_size={self.output_size}, "
                f"spatial_scale={self.spatial_scale})")
