"""``torch.ao``: quantization (``ember.ao.quantization``, ``ember.ao.nn.quantized``)."""
from __future__ import annotations

from . import nn, quantization  # noqa: F401
from ember.nn import quantized as _nn_quantized  # noqa: F401  (torch.nn.quantized)
