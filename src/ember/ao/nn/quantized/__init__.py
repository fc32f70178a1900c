"""``torch.ao.nn.quantized``: the packed weight holder and the dynamic modules."""
from __future__ import annotations

import ember
from ember import nn

__all__ = ["LinearPackedParams", "dynamic"]


class LinearPackedParams(nn.Module):
    """Holds a quantized linear layer's weight and bias (``_packed_params``).

    In a state dict it is ``dtype`` and ``_packed_params`` (the ``(weight, bias)`` tuple),
    as PyTorch's eager (not scripted) modules save it.
    """

    _version = 3

    def __init__(self, dtype=ember.qint8):
        super().__init__()
        self.dtype = dtype
        if dtype is not ember.qint8:
            raise NotImplementedError(f"ember's quantized Linear supports qint8 weights only, "
                                      f"not {dtype}")
        w = ember.quantize_per_tensor(ember.zeros(1, 1), 1.0, 0, ember.qint8)
        self.set_weight_bias(w, None)
        self._register_load_state_dict_pre_hook(_take_entries(("dtype", "_packed_params")),
                                                with_module=True)

    def set_weight_bias(self, weight, bias):
        self._packed_params = (weight, bias)

    def _weight_bias(self):
        return self._packed_params

    def forward(self, x):
        return x

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "dtype"] = self.dtype
        destination[prefix + "_packed_params"] = self._weight_bias()

    def __repr__(self):
        return repr(self._weight_bias())


def _take_entries(names):
    """A load pre-hook that takes this module's non-tensor state dict entries (``names``; a
    missing one is reported missing) and sets them on the module."""
    def hook(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        for name in names:
            key = prefix + name
            if key not in state_dict:
                missing.append(key)
                continue
            value = state_dict.pop(key)
            if name == "_packed_params":
                module.set_weight_bias(*value)
            elif name in ("scale", "zero_point"):
                setattr(module, name, float(value) if name == "scale" else int(value))
            else:
                setattr(module, name, value)
    return hook


from . import dynamic  # noqa: E402,F401
