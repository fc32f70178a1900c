"""``torch.nn.modules.instancenorm``: where PyTorch keeps the instance norm layers (ember
defines them in ``batchnorm.py`` and their lazy forms in ``lazy.py``), for code that imports
them from here."""
from .batchnorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, _InstanceNorm  # noqa: F401
from .lazy import LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]
