"""``torch.nn.modules.pixelshuffle``: where PyTorch keeps PixelShuffle and PixelUnshuffle
(ember defines them in ``padding.py``), for code that imports them from here."""
from .padding import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
