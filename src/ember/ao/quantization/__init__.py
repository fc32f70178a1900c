"""``torch.ao.quantization``: observers, qconfigs and dynamic quantization (``nn.Linear``)."""
from __future__ import annotations

from .observer import (MinMaxObserver, ObserverBase, PerChannelMinMaxObserver,  # noqa: F401
                       PlaceholderObserver, UniformQuantizationObserverBase,
                       default_dynamic_quant_observer, default_float_qparams_observer,
                       default_observer, default_per_channel_weight_observer,
                       default_placeholder_observer, default_weight_observer)
from .qconfig import (QConfig, QConfigDynamic, default_dynamic_qconfig,  # noqa: F401
                      default_qconfig, float16_dynamic_qconfig,
                      float_qparams_weight_only_qconfig, per_channel_dynamic_qconfig)
from .quantize import (convert, get_default_dynamic_quant_module_mappings,  # noqa: F401
                       propagate_qconfig_, quantize_dynamic, swap_module)
from . import observer, qconfig, quantize  # noqa: F401

__all__ = ["MinMaxObserver", "ObserverBase", "PerChannelMinMaxObserver", "PlaceholderObserver",
           "UniformQuantizationObserverBase", "default_dynamic_quant_observer",
           "default_float_qparams_observer", "default_observer",
           "default_per_channel_weight_observer", "default_placeholder_observer",
           "default_weight_observer", "QConfig", "QConfigDynamic", "default_dynamic_qconfig",
           "default_qconfig", "float16_dynamic_qconfig", "float_qparams_weight_only_qconfig",
           "per_channel_dynamic_qconfig", "convert", "get_default_dynamic_quant_module_mappings",
           "propagate_qconfig_", "quantize_dynamic", "swap_module"]
