"""torchvision's API on ember: ``datasets``, ``transforms``, ``models``, ``io``.

``import ember.vision as torchvision`` (or ``ember._compat.install()``, which maps
``import torchvision`` here).  Pillow is optional: without it everything
imports, and only what handles ``PIL.Image`` objects asks for it.
"""
from . import datasets, io, models, ops, transforms, utils

from ..version import EMBER_RELEASE as _RELEASE, TorchVersion as _TorchVersion  # noqa: E402

__version__ = _TorchVersion(f"0.28.0+ember.{_RELEASE}")  # torchvision's release for PyTorch 2.13

_image_backend = "PIL"


def get_image_backend() -> str:
    """The package used to load images (always ``'PIL'`` in ember)."""
    return _image_backend


def set_image_backend(backend: str) -> None:
    if backend != "PIL":
        raise ValueError(f"Invalid backend '{backend}'. ember.vision supports only 'PIL'")


__all__ = ["datasets", "get_image_backend", "io", "models", "ops", "set_image_backend",
           "transforms", "utils"]


from .._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision")  # a missing API is named
