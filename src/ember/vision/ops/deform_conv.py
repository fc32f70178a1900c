"""Deformable convolution (Dai et al., 2017; v2 with a modulation mask, Zhu et al., 2018).

Each kernel tap reads the input at its regular position plus a learned ``(dy, dx)`` offset,
by bilinear interpolation (zero outside the map), optionally scaled by a mask; the samples
are then multiplied by the weights as in a grouped convolution.  Written with ember ops, so
the input, offsets, mask, weight and bias all get gradients.
"""
from __future__ import annotations

import math

import ember

from ... import nn
from ...nn import init
from ...nn.modules.utils import _pair

__all__ = ["DeformConv2d", "deform_conv2d"]


def _unexplained(condition):
    """The message of a failed message-less ``TORCH_CHECK(condition)``."""
    return (f"Expected {condition} to be true, but got false.  (Could this error message be "
            "improved?  If so, please report an enhancement request to PyTorch.)")


def _corner(flat, yy, xx, height, width):
    """``flat[..., yy * width + xx]`` (``flat`` is ``(B, G, C/G, H*W)``, the indices
    ``(B, G, L)``), zero where ``(yy, xx)`` is off the map."""
    inside = (yy >= 0) & (yy <= height - 1) & (xx >= 0) & (xx <= width - 1)
    index = ember.where(inside, yy * width + xx, ember.zeros_like(yy))
    index = index[:, :, None, :].expand(-1, -1, flat.shape[2], -1)
    return flat.gather(3, index) * inside[:, :, None, :].to(flat.dtype)


def deform_conv2d(input, offset, weight, bias=None, stride=(1, 1), padding=(0, 0),
                  dilation=(1, 1), mask=None):
    """Deformable 2-D convolution of ``input`` ``(B, C, H, W)``.

    ``offset`` is ``(B, 2 * G * kh * kw, Ho, Wo)``: a ``(dy, dx)`` pair per offset group
    ``G``, kernel tap and output position; ``mask`` (``(B, G * kh * kw, Ho, Wo)``) scales
    each sample; ``weight`` is ``(O, C / groups, kh, kw)``.
    """
    out_channels = weight.shape[0]
    kh, kw = weight.shape[-2:]
    batch, channels, height, width = input.shape
    groups_off = offset.shape[1] // (2 * kh * kw)
    if groups_off == 0:
        raise RuntimeError(
            "the shape of the offset tensor at dimension 1 is not valid. It should be a "
            "multiple of 2 * weight.size[2] * weight.size[3].\n"
            f"Got offset.shape[1]={offset.shape[1]}, while 2 * weight.size[2] * "
            f"weight.size[3]={2 * kh * kw}")
    groups = channels // weight.shape[1]
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    dh, dw = _pair(dilation)
    out_h = (height + 2 * ph - (dh * (kh - 1) + 1)) // sh + 1
    out_w = (width + 2 * pw - (dw * (kw - 1) + 1)) // sw + 1
    # the kernel's checks, in its order
    if weight.shape[1] * groups != channels:
        raise RuntimeError(_unexplained("weight_c.size(1) * n_weight_grps == input_c.size(1)"))
    if out_channels % groups:
        raise RuntimeError(_unexplained("weight_c.size(0) % n_weight_grps == 0"))
    if offset.shape[1] != groups_off * 2 * kh * kw:
        raise RuntimeError(f"offset.shape[1] is not valid: got: {offset.shape[1]} expected: "
                           f"{groups_off * 2 * kh * kw}")
    if mask is not None and mask.shape[1] != groups_off * kh * kw:
        raise RuntimeError(f"mask.shape[1] is not valid: got: {mask.shape[1]} expected: "
                           f"{groups_off * kh * kw}")
    if channels % groups_off:
        raise RuntimeError(_unexplained("input_c.size(1) % n_offset_grps == 0"))
    if offset.shape[0] != batch:
        raise RuntimeError("invalid batch size of offset")
    if tuple(offset.shape[2:]) != (out_h, out_w):
        raise RuntimeError(f"offset output dims: ({offset.shape[2]}, {offset.shape[3]}) - "
                           f"computed output dims: ({out_h}, {out_w})")
    if mask is not None and mask.shape[0] != batch:
        raise RuntimeError("invalid batch size of mask")
    if mask is not None and tuple(mask.shape[2:]) != (out_h, out_w):
        raise RuntimeError(f"mask output dims: ({mask.shape[2]}, {mask.shape[3]}) - "
                           f"computed output dims: ({out_h}, {out_w})")
    if out_h <= 0 or out_w <= 0:
        raise RuntimeError(f"Calculated output size too small - out_h: {out_h} out_w: {out_w}")
    taps = kh * kw
    dev, dt = input.device, input.dtype
    # where each tap of each output position reads, before the offsets: (taps, Ho, Wo)
    rows = ember.arange(out_h, device=dev)[None, :, None] * sh - ph
    cols = ember.arange(out_w, device=dev)[None, None, :] * sw - pw
    tap_y = (ember.arange(kh, device=dev) * dh).repeat_interleave(kw)[:, None, None]
    tap_x = (ember.arange(kw, device=dev) * dw).repeat(kh)[:, None, None]
    off = offset.reshape(batch, groups_off, taps, 2, out_h, out_w)
    y = (rows + tap_y).to(dt) + off[:, :, :, 0]
    x = (cols + tap_x).to(dt) + off[:, :, :, 1]
    y, x = y.reshape(batch, groups_off, -1), x.reshape(batch, groups_off, -1)
    # bilinear reads (zero for a sample at or beyond one pixel off the map)
    inside = (y > -1) & (y < height) & (x > -1) & (x < width)
    y_lo, x_lo = ember.floor(y.detach()), ember.floor(x.detach())
    ly, lx = y - y_lo, x - x_lo
    hy, hx = 1 - ly, 1 - lx
    y_lo, x_lo = y_lo.long(), x_lo.long()
    flat = input.reshape(batch, groups_off, channels // groups_off, height * width)
    val = (_corner(flat, y_lo, x_lo, height, width) * (hy * hx)[:, :, None]
           + _corner(flat, y_lo, x_lo + 1, height, width) * (hy * lx)[:, :, None]
           + _corner(flat, y_lo + 1, x_lo, height, width) * (ly * hx)[:, :, None]
           + _corner(flat, y_lo + 1, x_lo + 1, height, width) * (ly * lx)[:, :, None])
    val = val * inside[:, :, None].to(dt)
    if mask is not None:
        val = val * mask.reshape(batch, groups_off, 1, -1)
    # (B, C, taps, Ho*Wo) columns times the grouped weights
    cols = val.reshape(batch, groups, (channels // groups) * taps, out_h * out_w)
    w = weight.reshape(groups, out_channels // groups, -1)
    out = ember.matmul(w[None], cols).reshape(batch, out_channels, out_h, out_w)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out


class DeformConv2d(nn.Module):
    """:func:`deform_conv2d` as a layer with its own weight and bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True):
        super().__init__()
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.weight = nn.Parameter(ember.empty(out_channels, in_channels // groups,
                                               self.kernel_size[0], self.kernel_size[1]))
        if bias:
            self.bias = nn.Parameter(ember.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input, offset, mask=None):
        return deform_conv2d(input, offset, self.weight, self.bias, stride=self.stride,
                             padding=self.padding, dilation=self.dilation, mask=mask)

    def __repr__(self) -> str:
        s = (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
             f"kernel_size={self.kernel_size}, stride={self.stride}")
        s += f", padding={self.padding}" if self.padding != (0, 0) else ""
        s += f", dilation={self.dilation}" if self.dilation != (1, 1) else ""
        s += f", groups={self.groups}" if self.groups != 1 else ""
        s += ", bias=False" if self.bias is None else ""
        return s + ")"
