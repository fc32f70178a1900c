"""Utilities, as ``torch.utils``: ``ember.utils.data`` holds datasets, samplers and
``DataLoader``."""
from . import data  # noqa: F401

__all__ = ["data"]
