"""Pillow is optional: ember.vision imports without it; only PIL features need it."""
from __future__ import annotations

try:  # NOTE: the one place that imports Pillow; everything else asks here.
    from PIL import Image as _Image
except ImportError:  # pragma: no cover - exercised in a subprocess test
    _Image = None


def available() -> bool:
    return _Image is not None


def image_module():
    """``PIL.Image``, or an ImportError that says how to get it."""
    if _Image is None:
        raise ImportError("This feature needs Pillow, which is not installed: "
                          "pip install pillow (or pip install 'ember[vision]').")
    return _Image


def is_pil_image(obj) -> bool:
    return _Image is not None and isinstance(obj, _Image.Image)
