"""Padding layers, resizing layers (``Upsample``), ``PixelShuffle``/``PixelUnshuffle`` and
``ChannelShuffle``."""
from __future__ import annotations

from collections.abc import Iterable

from .. import functional as S
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d", "Upsample", "UpsamplingNearest2d",
           "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle", "ChannelShuffle"]


def _pads(padding, n):
    """An int pads every side; else the (left, right, top, bottom, ...) tuple as given."""
    if isinstance(padding, Iterable):  # (a str too, as PyTorch's)
        return tuple(padding)
    return (padding,) * (2 * n)


class _Pad(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _pads(padding, self._n)

    def forward(self, input):
        return S.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_Pad):
    def __init__(self, padding, value):
        Module.__init__(self)
        self.value = value  # (before the padding, as PyTorch's: the order a pickle keeps)
        self.padding = _pads(padding, self._n)

    def forward(self, input):
        return S.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Pads the last dim with ``value``; ``padding`` is an int or ``(left, right)``."""
    _n = 1


class ConstantPad2d(_ConstantPad):
    """Pads the last two dims with ``value``; ``(left, right, top, bottom)``."""
    _n = 2


class ConstantPad3d(_ConstantPad):
    _n = 3


class _ZeroPad(_ConstantPad):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad):
    _n = 1


class ZeroPad2d(_ZeroPad):
    """Pads the last two dims with zeros.

    >>> nn.ZeroPad2d((1, 2, 0, 0))(ember.zeros(1, 3, 3)).shape
    ember.Size([1, 3, 6])
    """
    _n = 2


class ZeroPad3d(_ZeroPad):
    _n = 3


class ReflectionPad1d(_Pad):
    """Pads by mirroring about the edge (the edge itself is not repeated)."""
    _n, _mode = 1, "reflect"


class ReflectionPad2d(_Pad):
    _n, _mode = 2, "reflect"


class ReflectionPad3d(_Pad):
    _n, _mode = 3, "reflect"


class ReplicationPad1d(_Pad):
    """Pads by repeating the edge value."""
    _n, _mode = 1, "replicate"


class ReplicationPad2d(_Pad):
    _n, _mode = 2, "replicate"


class ReplicationPad3d(_Pad):
    _n, _mode = 3, "replicate"


class _CircularPad(_Pad):
    _mode = "circular"

    def forward(self, input):
        if input.dim() != self._n + 1 and input.dim() != self._n + 2:  # (PyTorch's two reads)
            raise ValueError(f"expected {self._n + 1}D or {self._n + 2}D input (got "
                             f"{input.dim()}D input)")
        return super().forward(input)


class CircularPad1d(_CircularPad):
    """Pads by wrapping around (periodic boundary)."""
    _n = 1


class CircularPad2d(_CircularPad):
    _n = 2


class CircularPad3d(_CircularPad):
    _n = 3


class Upsample(Module):
    """Resizes with :func:`ember.nn.functional.interpolate` (give ``size`` or ``scale_factor``)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return S.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour 2-D upsampling (``Upsample(mode='nearest')``)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear 2-D upsampling with ``align_corners=True``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """``(*, C*r*r, H, W)`` -> ``(*, C, H*r, W*r)``."""

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return S.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``(*, C, H*r, W*r)`` -> ``(*, C*r*r, H, W)``."""

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return S.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """``(N, g*k, *)`` -> ``(N, k*g, *)``: interleaves the channels of ``groups`` groups."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return S.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
