"""``QConfig``: which observers make a layer's activation and weight quantization."""
from __future__ import annotations

from collections import namedtuple

from .observer import (PlaceholderObserver, default_dynamic_quant_observer,
                       default_float_qparams_observer, default_observer,
                       default_per_channel_weight_observer, default_weight_observer)

__all__ = ["QConfig", "QConfigDynamic", "default_qconfig", "default_dynamic_qconfig",
           "per_channel_dynamic_qconfig", "float16_dynamic_qconfig",
           "float_qparams_weight_only_qconfig"]


class QConfig(namedtuple("QConfig", ["activation", "weight"])):
    """The observer factories (not instances) for a layer's activation and weight."""

    __slots__ = ()

    def __new__(cls, activation, weight):
        from ember import nn

        if isinstance(activation, nn.Module) or isinstance(weight, nn.Module):
            raise ValueError("QConfig received observer instance, please pass observer class "
                             "instead. Use MyObserver.with_args(x=1) to override arguments to "
                             "constructor if needed")
        return super().__new__(cls, activation, weight)


QConfigDynamic = QConfig

default_qconfig = QConfig(activation=default_observer, weight=default_weight_observer)
default_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer,
                                  weight=default_weight_observer)
per_channel_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer,
                                      weight=default_per_channel_weight_observer)
float_qparams_weight_only_qconfig = QConfig(activation=PlaceholderObserver.with_args(
    dtype=__import__("ember").float32), weight=default_float_qparams_observer)
float16_dynamic_qconfig = QConfig(
    activation=PlaceholderObserver.with_args(dtype=__import__("ember").float16,
                                             is_dynamic=True),
    weight=PlaceholderObserver.with_args(dtype=__import__("ember").float16))
