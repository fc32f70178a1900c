"""DropBlock (Ghiasi et al., 2018): zero square (cubic) blocks of a feature map while training."""
from __future__ import annotations

import math

import ember

from ... import fx, nn

__all__ = ["DropBlock2d", "DropBlock3d", "drop_block2d", "drop_block3d"]


def _drop_block(input, p, block_size, inplace, eps, training, spatial):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != spatial + 2:
        raise ValueError(f"input should be {spatial + 2} dimensional. Got {input.ndim} "
                         "dimensions.")
    if not training or p == 0.0:
        return input
    sizes = tuple(input.shape[2:])
    block_size = min(block_size, *sizes)
    if block_size % 2 == 0:
        raise ValueError(f"block size should be odd. Got {block_size} which is even.")
    # block centres are drawn where a whole block fits, at the rate that drops ``p`` of the map
    starts = [s - block_size + 1 for s in sizes]
    gamma = (p * math.prod(sizes)) / ((block_size ** spatial) * math.prod(starts))
    noise = ember.empty(tuple(input.shape[:2]) + tuple(starts), dtype=input.dtype,
                        device=input.device)
    noise.bernoulli_(gamma)
    half = block_size // 2
    noise = nn.functional.pad(noise, [half] * (2 * spatial), value=0)
    pool = nn.functional.max_pool2d if spatial == 2 else nn.functional.max_pool3d
    noise = 1 - pool(noise, stride=(1,) * spatial, kernel_size=(block_size,) * spatial,
                     padding=half)
    scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(scale)
    return input * noise * scale


def drop_block2d(input, p: float, block_size: int, inplace: bool = False, eps: float = 1e-06,
                 training: bool = True):
    """Zero ``block_size x block_size`` blocks of an ``(N, C, H, W)`` map, each block centre
    drawn so that about ``p`` of the map is dropped, and rescale what is kept."""
    return _drop_block(input, p, block_size, inplace, eps, training, 2)


def drop_block3d(input, p: float, block_size: int, inplace: bool = False, eps: float = 1e-06,
                 training: bool = True):
    """:func:`drop_block2d` for ``(N, C, D, H, W)`` volumes (cubic blocks)."""
    return _drop_block(input, p, block_size, inplace, eps, training, 3)


fx.wrap("drop_block2d")  # (as torchvision's: FX records them as calls)
fx.wrap("drop_block3d")


class DropBlock2d(nn.Module):
    """:func:`drop_block2d` as a layer; active in training mode only."""

    def __init__(self, p: float, block_size: int, inplace: bool = False,
                 eps: float = 1e-06) -> None:
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input):
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps,
                            self.training)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(p={self.p}, block_size={self.block_size}, "
                f"inplace={self.inplace})")


class DropBlock3d(DropBlock2d):
    """:func:`drop_block3d` as a layer; active in training mode only."""

    def forward(self, input):
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps,
                            self.training)
