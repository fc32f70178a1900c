"""``torch.nn.modules.upsampling``: where PyTorch keeps Upsample, UpsamplingNearest2d and
UpsamplingBilinear2d (ember defines them in ``padding.py``), for code that imports them
from here."""
from .padding import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
