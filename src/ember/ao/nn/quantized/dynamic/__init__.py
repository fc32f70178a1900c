"""``torch.ao.nn.quantized.dynamic``: layers whose activations are quantized on each call."""
from __future__ import annotations

import ember
from ember import nn
from ember._quantized import QuantizedTensor, _linear_dynamic

from .. import LinearPackedParams, _take_entries

__all__ = ["Linear", "LSTM"]


class Linear(nn.Module):
    """A dynamically quantized ``nn.Linear`` (``DynamicQuantizedLinear``): int8 weights; each
    call quantizes its input to uint8 from the input's own range and computes as PyTorch's
    FBGEMM kernel does, with float32 outputs identical to PyTorch's on x86."""

    _version = 4

    def __init__(self, in_features, out_features, bias_=True, dtype=ember.qint8):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        bias = ember.zeros(out_features, dtype=ember.float) if bias_ else None
        qweight = ember.quantize_per_tensor(ember.zeros(out_features, in_features), 1.0, 0,
                                            ember.qint8)
        self._packed_params = LinearPackedParams(dtype)
        self._packed_params.set_weight_bias(qweight, bias)
        self.scale = 1.0
        self.zero_point = 0
        self.version = 4
        self._register_load_state_dict_pre_hook(_take_entries(("scale", "zero_point")),
                                                with_module=True)

    def _get_name(self):
        return "DynamicQuantizedLinear"

    def extra_repr(self):
        s = (f"in_features={self.in_features}, out_features={self.out_features}, "
             f"dtype={self._packed_params.dtype}")
        if self._packed_params.dtype is ember.qint8:
            s += f", qscheme={self.weight().qscheme()}"
        return s

    def __repr__(self):
        # (as PyTorch: the packed parameters are not shown as a child module)
        return f"{self._get_name()}({self.extra_repr()})"

    def forward(self, x):
        w, b = self._packed_params._weight_bias()
        return _linear_dynamic(x, w, b, reduce_range=True)

    def weight(self):
        return self._packed_params._weight_bias()[0]

    def bias(self):
        return self._packed_params._weight_bias()[1]

    def set_weight_bias(self, w, b):
        self._packed_params.set_weight_bias(w, b)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "scale"] = ember.tensor(self.scale)
        destination[prefix + "zero_point"] = ember.tensor(self.zero_point)

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """The dynamically quantized copy of a float ``nn.Linear`` that has a ``qconfig``."""
        floats = [nn.Linear, nn.modules.linear.NonDynamicallyQuantizableLinear]
        if type(mod) not in floats:
            raise AssertionError("nn.quantized.dynamic.Linear.from_float only works for one of"
                                 + str([f.__name__ for f in floats]) + f", got {type(mod)}")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if mod.qconfig is not None and mod.qconfig.weight is not None:
            observer = mod.qconfig.weight()
        else:
            from ember.ao.quantization.qconfig import default_dynamic_qconfig

            observer = default_dynamic_qconfig.weight()
        dtype = observer.dtype
        if dtype is ember.float16:
            raise NotImplementedError("ember's dynamic quantized Linear supports qint8 weights "
                                      "only, not float16")
        if dtype is not ember.qint8:
            raise AssertionError("The only supported dtypes for dynamic quantized linear are "
                                 f"qint8 and float16, got: {dtype}")
        observer(mod.weight)
        qweight = _quantize_weight(mod.weight.float(), observer)
        q = cls(mod.in_features, mod.out_features, dtype=dtype)
        q.set_weight_bias(qweight, mod.bias)
        return q


def _quantize_weight(w, observer):
    scale, zp = observer.calculate_qparams()
    if observer.qscheme in (ember.per_tensor_symmetric, ember.per_tensor_affine):
        q = ember.quantize_per_tensor(w, float(scale), int(zp), ember.qint8)
    elif observer.qscheme in (ember.per_channel_symmetric, ember.per_channel_affine):
        q = ember.quantize_per_channel(w, scale.to(ember.double), zp.to(ember.int64),
                                       observer.ch_axis, ember.qint8)
    else:
        raise ValueError("Unexpected qscheme " + str(observer.qscheme))
    return _clamp(q, observer)


def _clamp(q, observer):
    # the observer's range may be narrower than the dtype's (custom quant_min/quant_max)
    lo, hi = observer.quant_min, observer.quant_max
    if (lo, hi) == (-128, 127):
        return q
    import numpy as np

    out = q._like(np.clip(q._q, lo, hi).astype(q._q.dtype))
    assert isinstance(out, QuantizedTensor)
    return out


class _CellParams:
    """One LSTM layer-direction's quantized weights and float biases (PyTorch keeps these in
    a TorchScript object, which ember cannot write into a checkpoint)."""

    __slots__ = ("w_ih", "w_hh", "b_ih", "b_hh")

    def __init__(self, w_ih, w_hh, b_ih, b_hh):
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = w_ih, w_hh, b_ih, b_hh

    def __reduce_ex__(self, proto):
        raise NotImplementedError(
            "ember cannot save a dynamically quantized LSTM's weights (PyTorch stores them as "
            "TorchScript CellParams objects); save the float model's state_dict instead")

    def __deepcopy__(self, memo):
        import copy

        return _CellParams(*(copy.deepcopy(getattr(self, k), memo) for k in self.__slots__))


class PackedParameter(nn.Module):
    """Holds one ``_CellParams`` (saved under ``param`` in a state dict)."""

    def __init__(self, param):
        super().__init__()
        self.param = param

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "param"] = self.param


class LSTM(nn.Module):
    """A dynamically quantized ``nn.LSTM`` (``DynamicQuantizedLSTM``): int8 weights; the input
    projections of a whole sequence are quantized together, each step's hidden projection on
    its own, as in PyTorch.  The quantized products are PyTorch's bit for bit; the gates'
    float32 tanh/sigmoid may differ from PyTorch's in a rare last bit."""

    _FLOAT_MODULE = nn.LSTM
    _version = 2

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=ember.qint8):
        super().__init__()
        self.mode = "LSTM"
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.dtype = dtype
        self.version = 2
        self.training = False
        if dtype is not ember.qint8:
            raise NotImplementedError("ember's dynamic quantized LSTM supports qint8 weights "
                                      f"only, not {dtype}")
        dirs = 2 if bidirectional else 1
        params = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * dirs
            for _ in range(dirs):
                gate = 4 * hidden_size
                w_ih = ember.quantize_per_tensor(ember.randn(gate, in_size), 0.1, 0, ember.qint8)
                w_hh = ember.quantize_per_tensor(ember.randn(gate, hidden_size), 0.1, 0,
                                                 ember.qint8)
                params.append(PackedParameter(_CellParams(w_ih, w_hh, ember.randn(gate),
                                                          ember.randn(gate))))
        self._all_weight_values = nn.ModuleList(params)

    def _get_name(self):
        return "DynamicQuantizedLSTM"

    extra_repr = nn.RNNBase.extra_repr  # (no proj_size: the same text as nn.LSTM's)

    def __repr__(self):
        # (as PyTorch: the packed weights are not shown as children)
        return f"{self._get_name()}({self.extra_repr()})"

    def forward(self, input, hx=None):
        if not isinstance(input, ember.Tensor):
            raise NotImplementedError("ember's dynamic quantized LSTM does not take packed "
                                      "sequences yet")
        if input.dim() != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.dim()}")
        if self.training and self.dropout:
            raise NotImplementedError("ember's dynamic quantized LSTM has no training-mode "
                                      "dropout")
        x = input.transpose(0, 1) if self.batch_first else input
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        dirs = 2 if self.bidirectional else 1
        B = x.shape[1]
        if hx is None:
            z = ember.zeros(self.num_layers * dirs, B, self.hidden_size, dtype=input.dtype)
            hx = (z, z)
        h0, c0 = hx
        hs, cs = [], []
        params = [m.param for m in self._all_weight_values]
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                y, h, c = _lstm_direction(x, h0[k], c0[k], params[k], reverse=d == 1)
                outs.append(y)
                hs.append(h)
                cs.append(c)
            x = outs[0] if dirs == 1 else ember.cat(outs, 2)
        out = x.transpose(0, 1) if self.batch_first else x
        return out, (ember.stack(hs), ember.stack(cs))

    @classmethod
    def from_float(cls, mod, use_precomputed_fake_quant=False):
        """The dynamically quantized copy of a float ``nn.LSTM`` that has a ``qconfig``."""
        if type(mod) is not nn.LSTM:
            raise AssertionError("nn.quantized.dynamic.RNNBase.from_float only works for "
                                 "nn.LSTM and nn.GRU")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if mod.qconfig is not None and mod.qconfig.weight is not None:
            make_observer = mod.qconfig.weight
        else:
            from ember.ao.quantization.qconfig import default_dynamic_qconfig

            make_observer = default_dynamic_qconfig.weight
        dtype = make_observer().dtype
        if dtype is not ember.qint8:
            raise NotImplementedError(f"ember's dynamic quantized LSTM supports qint8 weights "
                                      f"only, not {dtype}")
        if getattr(mod, "proj_size", 0):
            raise NotImplementedError("ember's dynamic quantized LSTM has no proj_size")
        q = cls(mod.input_size, mod.hidden_size, mod.num_layers, mod.bias, mod.batch_first,
                mod.dropout, mod.bidirectional, dtype)
        if not mod.bias:
            raise AssertionError("mod.bias must be True")

        def quantize(w):
            observer = make_observer()
            observer(w)
            return _quantize_weight(w.float(), observer)
        params = []
        for layer in range(mod.num_layers):
            for d in range(2 if mod.bidirectional else 1):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                params.append(PackedParameter(_CellParams(
                    quantize(getattr(mod, "weight_ih" + sfx)),
                    quantize(getattr(mod, "weight_hh" + sfx)),
                    getattr(mod, "bias_ih" + sfx), getattr(mod, "bias_hh" + sfx))))
        q._all_weight_values = nn.ModuleList(params)
        return q


def _lstm_direction(x, h, c, p, reverse):
    """One layer-direction over the whole sequence ``x`` (T, B, I)."""
    T, B = x.shape[0], x.shape[1]
    gi_all = _linear_dynamic(x.reshape(T * B, x.shape[2]), p.w_ih, p.b_ih).reshape(T, B, -1)
    outs = [None] * T
    with ember.no_grad():
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            gates = _linear_dynamic(h, p.w_hh, p.b_hh) + gi_all[t]
            i, f, g, o = gates.chunk(4, 1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
            outs[t] = h
    return ember.stack(outs), h, c
