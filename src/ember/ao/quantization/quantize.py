"""``quantize_dynamic``: a model's layers swapped for dynamically quantized ones."""
from __future__ import annotations

import copy

import ember
from ember import nn
from ember._warnings import warn as _warn

from .qconfig import default_dynamic_qconfig, float_qparams_weight_only_qconfig

__all__ = ["quantize_dynamic", "propagate_qconfig_", "convert", "swap_module",
           "get_default_dynamic_quant_module_mappings"]

DEPRECATION_WARNING = (
    "torch.ao.quantization is deprecated and will be removed in 2.10. \n"
    "For migrations of users: \n"
    "1. Eager mode quantization (torch.ao.quantization.quantize, "
    "torch.ao.quantization.quantize_dynamic), please migrate to use torchao eager mode "
    "quantize_ API instead \n"
    "2. FX graph mode quantization (torch.ao.quantization.quantize_fx.prepare_fx,"
    "torch.ao.quantization.quantize_fx.convert_fx, please migrate to use torchao pt2e "
    "quantization API instead (prepare_pt2e, convert_pt2e) \n"
    "3. pt2e quantization has been migrated to torchao "
    "(https://github.com/pytorch/ao/tree/main/torchao/quantization/pt2e) \n"
    "see https://github.com/pytorch/ao/issues/2259 for more details")


def get_default_dynamic_quant_module_mappings():
    """Float module type -> its dynamically quantized replacement (ember: ``nn.Linear``)."""
    from ember.ao.nn.quantized import dynamic as nnqd

    return {nn.Linear: nnqd.Linear,
            nn.modules.linear.NonDynamicallyQuantizableLinear: nnqd.Linear,
            nn.LSTM: nnqd.LSTM}


def propagate_qconfig_(module, qconfig_dict=None, prefix=""):
    """Give each submodule the ``qconfig`` of its type or name in ``qconfig_dict`` (a name's
    entry wins over a type's), or its parent's."""
    qconfig_dict = qconfig_dict or {}
    _propagate(module, qconfig_dict, None, prefix)


def _propagate(module, qconfig_dict, parent_qconfig, prefix):
    qconfig = qconfig_dict.get(type(module), parent_qconfig)
    qconfig = qconfig_dict.get(prefix, qconfig)
    qconfig = getattr(module, "qconfig", qconfig)
    module.qconfig = qconfig
    for name, child in module.named_children():
        _propagate(child, qconfig_dict, qconfig, prefix + "." + name if prefix else name)


def swap_module(mod, mapping):
    """``mod`` replaced by its quantized counterpart when it has a qconfig and a mapping."""
    if getattr(mod, "qconfig", None) is not None and type(mod) in mapping:
        return mapping[type(mod)].from_float(mod)
    return mod


def convert(module, mapping=None, inplace=False, remove_qconfig=True):
    """Swap every submodule that has a qconfig for its entry in ``mapping``."""
    if mapping is None:
        mapping = get_default_dynamic_quant_module_mappings()
    if not inplace:
        module = copy.deepcopy(module)
    _convert(module, mapping)
    if remove_qconfig:
        _remove_qconfig(module)
    return module


def _convert(module, mapping):
    for name, child in list(module.named_children()):
        if type(child) not in mapping:
            _convert(child, mapping)
        module._modules[name] = swap_module(child, mapping)


def _remove_qconfig(module):
    for child in module.children():
        _remove_qconfig(child)
    if hasattr(module, "qconfig"):
        del module.qconfig


def quantize_dynamic(model, qconfig_spec=None, dtype=ember.qint8, mapping=None, inplace=False):
    """A copy of ``model`` (or ``model`` itself with ``inplace``) in eval mode whose chosen
    layers are dynamically quantized: int8 weights, activations quantized on each call.

    ``qconfig_spec`` is a set of module types and/or names (quantized with ``dtype``), or a
    dict mapping them to ``QConfig`` objects.  ember quantizes ``nn.Linear`` layers with
    ``qint8`` weights (per tensor or per channel); other layers are left as they are.
    """
    _warn(DEPRECATION_WARNING, DeprecationWarning, stacklevel=2)
    if qconfig_spec is None:
        if dtype is ember.qint8:
            qconfig_spec = dict.fromkeys((nn.Linear, nn.LSTM, nn.GRU, nn.LSTMCell, nn.RNNCell,
                                          nn.GRUCell), default_dynamic_qconfig)
        elif dtype in (ember.float16, ember.quint8, ember.quint4x2):
            raise NotImplementedError(f"ember's quantize_dynamic supports dtype=torch.qint8 "
                                      f"only, not {dtype}")
        else:
            raise ValueError(f"Don't know how to quantize with default settings for {dtype}. "
                             "Provide full qconfig please")
    elif isinstance(qconfig_spec, set):
        if dtype is ember.qint8:
            default = default_dynamic_qconfig
        elif dtype is ember.quint8:
            default = float_qparams_weight_only_qconfig
        elif dtype in (ember.float16, ember.quint4x2):
            raise NotImplementedError(f"ember's quantize_dynamic supports dtype=torch.qint8 "
                                      f"only, not {dtype}")
        else:
            raise RuntimeError("Unknown dtype specified for quantize_dynamic: ", str(dtype))
        qconfig_spec = dict.fromkeys(qconfig_spec, default)
    if mapping is None:
        mapping = get_default_dynamic_quant_module_mappings()
    if not inplace:
        model = copy.deepcopy(model)
    model.eval()
    propagate_qconfig_(model, qconfig_spec)
    for name, m in model.named_modules():
        if type(m) in _NOT_YET and getattr(m, "qconfig", None) is not None:
            # NOTE: PyTorch swaps these for dynamically quantized versions; ember refuses
            # rather than leave them float
            raise NotImplementedError(
                f"ember's quantize_dynamic quantizes nn.Linear and nn.LSTM layers only; it "
                f"cannot quantize the {type(m).__name__} layer {name!r} yet (leave it out of "
                "qconfig_spec)")
    convert(model, mapping, inplace=True)
    return model


_NOT_YET = (nn.GRU, nn.LSTMCell, nn.RNNCell, nn.GRUCell, nn.Embedding, nn.EmbeddingBag)
