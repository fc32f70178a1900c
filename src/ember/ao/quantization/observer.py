"""Observers: modules that watch the values flowing through them and choose quantization
parameters (``calculate_qparams``), with PyTorch's formulas, defaults and messages."""
from __future__ import annotations

import functools

import ember
from ember import nn
from ember._warnings import warn as _warn

__all__ = ["ObserverBase", "UniformQuantizationObserverBase", "MinMaxObserver",
           "PerChannelMinMaxObserver", "PlaceholderObserver", "default_observer",
           "default_weight_observer", "default_per_channel_weight_observer",
           "default_dynamic_quant_observer", "default_float_qparams_observer",
           "default_placeholder_observer", "float_qparams_weight_only_qconfig_observer"]


class _PartialWrapper:
    """What ``Observer.with_args(...)`` returns: a factory printing as a ``functools.partial``
    followed by its callable arguments."""

    def __init__(self, p):
        self.p = p
        self.callable_args = {}

    def __call__(self, *args, **keywords):
        for name, make in self.callable_args.items():
            if name not in keywords:
                keywords = {**keywords, name: make()}
        return self.p(*args, **keywords)

    def __repr__(self):
        return repr(self.p) + repr(self.callable_args)

    def with_args(self, **kwargs):
        return _with_args(self, **kwargs)

    def with_callable_args(self, **kwargs):
        out = _PartialWrapper(self.p)
        out.callable_args = {**self.callable_args, **kwargs}
        return out


def _with_args(cls_or_self, **kwargs):
    return _PartialWrapper(functools.partial(cls_or_self, **kwargs))


class ObserverBase(nn.Module):
    """An observer of ``dtype`` (``is_dynamic``: its parameters are chosen at run time)."""

    def __init__(self, dtype, is_dynamic=False):
        super().__init__()
        self.dtype = dtype
        self.is_dynamic = is_dynamic

    def calculate_qparams(self, **kwargs):
        pass

    with_args = classmethod(_with_args)


_ALLOWED = ("qint8", "quint8", "quint4x2", "qint32", "int8", "uint8", "int16", "int32",
            "uint16")
_SCHEMES = ("per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
            "per_channel_symmetric", "per_channel_affine_float_qparams")


def _qmin_qmax(quant_min, quant_max, custom, dtype, reduce_range):
    name = dtype.name
    if custom:
        qrange = quant_max - quant_min + 1
        if name in ("qint8", "int8") and not 0 < qrange <= 256:
            raise AssertionError("quantization range should be positive and not exceed the "
                                 "maximum bit range (=256).")
        if name in ("qint32", "int32") and not 0 < qrange <= 2**32:
            raise AssertionError("quantization range should be positive and not exceed the "
                                 "maximum bit range (=4294967296).")
        if reduce_range:
            quant_min, quant_max = quant_min // 2, quant_max // 2
        return quant_min, quant_max
    if name in ("qint8", "int8"):
        return (-64, 63) if reduce_range else (-128, 127)
    if name in ("quint8", "uint8"):
        return (0, 127) if reduce_range else (0, 255)
    if name in ("qint32", "int32"):
        return -2**31, 2**31 - 1
    if name == "uint16":
        return 0, 2**16 - 1
    if name == "int16":
        return -2**15, 2**15 - 1
    return 0, 15  # quint4x2


def _check_min_max_valid(min_val, max_val):
    if min_val.numel() == 0 or max_val.numel() == 0:
        _warn("must run observer before calling calculate_qparams. Returning default values.",
              UserWarning, stacklevel=3)
        return False
    if min_val.dim() == 0 or max_val.dim() == 0:
        if float(min_val) == float("inf") and float(max_val) == float("-inf"):
            _warn("must run observer before calling calculate_qparams. Returning default "
                  "values.", UserWarning, stacklevel=3)
            return False
        if bool(min_val > max_val):
            raise AssertionError(f"min {min_val} should be less than max {max_val}")
    elif bool(ember.any(min_val > max_val)):
        raise AssertionError(f"min {min_val} should be less than max {max_val}")
    return True


class UniformQuantizationObserverBase(ObserverBase):
    """What observers choosing a uniform (affine or symmetric) quantization share."""

    _version = 3

    def __init__(self, dtype=ember.quint8, qscheme=ember.per_tensor_affine, reduce_range=False,
                 quant_min=None, quant_max=None, factory_kwargs=None,
                 eps=1.1920928955078125e-07, is_dynamic=False, **kwargs):
        super().__init__(dtype=dtype, is_dynamic=is_dynamic, **kwargs)
        self.qscheme = qscheme
        if reduce_range:
            _warn("Please use quant_min and quant_max to specify the range for observers.     "
                  "                reduce_range will be deprecated in a future release of "
                  "PyTorch.", UserWarning, stacklevel=3)
        self.reduce_range = reduce_range
        self.register_buffer("eps", ember.tensor([eps], **(factory_kwargs or {})))
        if getattr(qscheme, "name", None) not in _SCHEMES:
            raise AssertionError(
                "Default Observer only works for per_tensor_affine, per_tensor_symmetric, "
                "per_channel_affine, per_channel_symmetric and per_channel_float_qparams "
                "quantization scheme")
        if getattr(dtype, "name", None) not in _ALLOWED:
            raise AssertionError("Default Observer only works for (torch.qint8, torch.quint8, "
                                 "torch.quint4x2, torch.qint32, torch.int8, torch.uint8, "
                                 "torch.int16, torch.int32, torch.float8_e5m2, "
                                 "torch.float8_e4m3fn, torch.uint16) data type")
        self.has_customized_qrange = quant_min is not None and quant_max is not None
        if self.has_customized_qrange:
            if not quant_min <= 0 <= quant_max:
                raise AssertionError("Used-specified quantization range must include 0.")
            if quant_min >= quant_max:
                raise AssertionError("qmin must be strictly less than qmax for user-specified "
                                     "quantization range.")
        self.quant_min, self.quant_max = _qmin_qmax(quant_min, quant_max,
                                                    self.has_customized_qrange, dtype,
                                                    reduce_range)

    def _calculate_qparams(self, min_val, max_val):
        """(scale, zero_point) from the observed range, as PyTorch computes them (float32
        tensor arithmetic, the scale kept at least ``eps``)."""
        if not _check_min_max_valid(min_val, max_val):
            return ember.tensor([1.0]), ember.tensor([0])
        qmin, qmax = self.quant_min, self.quant_max
        min_neg = ember.min(min_val, ember.zeros_like(min_val))
        max_pos = ember.max(max_val, ember.zeros_like(max_val))
        zero_point = ember.zeros(min_neg.size(), dtype=ember.int64)
        scheme = self.qscheme
        if scheme in (ember.per_tensor_symmetric, ember.per_channel_symmetric):
            max_pos = ember.max(-min_neg, max_pos)
            scale = max_pos / (float(qmax - qmin) / 2)
            scale = ember.max(scale, self.eps)
            if self.dtype in (ember.quint8, ember.uint8):
                mid = (qmin + qmax) // 2 if self.has_customized_qrange else 128
                zero_point = zero_point.new_full(zero_point.size(), mid)
            elif self.dtype is ember.uint16:
                zero_point = zero_point.new_full(zero_point.size(), 2**15)
        elif scheme is ember.per_channel_affine_float_qparams:
            scale = (max_val - min_val) / float(qmax - qmin)
            scale = ember.where(scale > self.eps, scale, ember.ones_like(scale))
            zero_point = -1 * min_val / scale
        else:
            scale = (max_pos - min_neg) / float(qmax - qmin)
            scale = ember.max(scale, self.eps)
            zero_point = qmin - ember.round(min_neg / scale).to(ember.int)
            zero_point = ember.clamp(zero_point, qmin, qmax)
        if scale.dim() == 0:
            scale = ember.tensor([float(scale)], dtype=scale.dtype)
        if zero_point.dim() == 0:
            zero_point = ember.tensor([int(zero_point)], dtype=zero_point.dtype)
            if scheme is ember.per_channel_affine_float_qparams:
                zero_point = ember.tensor([float(zero_point)], dtype=zero_point.dtype)
        return scale, zero_point

    def reset_min_max_vals(self):
        raise NotImplementedError("Cannot reset min/max values in the given observer.")


class _MinMaxCommon:
    """What the two min/max observers share: qparams and repr from their running range."""

    def calculate_qparams(self):
        return self._calculate_qparams(self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class MinMaxObserver(_MinMaxCommon, UniformQuantizationObserverBase):
    """Records the running minimum and maximum of what it sees (per tensor)."""

    def __init__(self, dtype=ember.quint8, qscheme=ember.per_tensor_affine, reduce_range=False,
                 quant_min=None, quant_max=None, factory_kwargs=None,
                 eps=1.1920928955078125e-07, is_dynamic=False, **kwargs):
        if qscheme not in (ember.per_tensor_affine, ember.per_tensor_symmetric):
            raise NotImplementedError(
                "MinMaxObserver's qscheme only support torch.per_tensor_symmetric     "
                "                and torch.per_tensor_affine.")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max,
                         factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        fk = factory_kwargs or {}
        self.register_buffer("min_val", ember.tensor(float("inf"), **fk))
        self.register_buffer("max_val", ember.tensor(float("-inf"), **fk))
        if qscheme is ember.per_tensor_symmetric and reduce_range and dtype is ember.quint8:
            raise NotImplementedError("Cannot reduce range for symmetric                      "
                                      "                  quantization for quint8")

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        x = x_orig.detach().to(self.min_val.dtype)
        lo, hi = ember.aminmax(x)
        self.min_val.copy_(ember.min(lo, self.min_val))
        self.max_val.copy_(ember.max(hi, self.max_val))
        return x_orig

    def reset_min_max_vals(self):
        self.min_val.copy_(ember.tensor(float("inf")))
        self.max_val.copy_(ember.tensor(float("-inf")))


class PerChannelMinMaxObserver(_MinMaxCommon, UniformQuantizationObserverBase):
    """Records the running minimum and maximum of each slice along ``ch_axis``."""

    def __init__(self, ch_axis=0, dtype=ember.quint8, qscheme=ember.per_channel_affine,
                 reduce_range=False, quant_min=None, quant_max=None, factory_kwargs=None,
                 eps=1.1920928955078125e-07, is_dynamic=False, **kwargs):
        if qscheme not in (ember.per_channel_affine, ember.per_channel_symmetric,
                           ember.per_channel_affine_float_qparams):
            raise NotImplementedError(
                "PerChannelMinMaxObserver's qscheme only support     "
                "                torch.per_channel_symmetric, torch.per_channel_affine and "
                "torch.per_channel_affine_float_qparams.")
        if is_dynamic:
            raise NotImplementedError("PerChannelMinMaxObserver doesn't support dynamic "
                                      "quantization")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max,
                         factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        self.ch_axis = ch_axis
        fk = factory_kwargs or {}
        self.register_buffer("min_val", ember.tensor([], **fk))
        self.register_buffer("max_val", ember.tensor([], **fk))
        if qscheme is ember.per_channel_symmetric and reduce_range and dtype is ember.quint8:
            raise NotImplementedError("Cannot reduce range for symmetric quantization for "
                                      "quint8")

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        x = x_orig.detach().to(self.min_val.dtype)
        dims = list(range(x.dim()))
        dims[0], dims[self.ch_axis] = dims[self.ch_axis], 0
        y = ember.flatten(x.permute(dims), start_dim=1)
        lo, hi = ember.aminmax(y, dim=1)
        if self.min_val.numel() == 0 or self.max_val.numel() == 0:
            self.min_val.resize_(lo.shape)
            self.max_val.resize_(hi.shape)
            self.min_val.copy_(lo)
            self.max_val.copy_(hi)
        else:
            self.min_val.copy_(ember.min(lo, self.min_val))
            self.max_val.copy_(ember.max(hi, self.max_val))
        return x_orig

    def reset_min_max_vals(self):
        self.min_val = ember.tensor([])
        self.max_val = ember.tensor([])


class PlaceholderObserver(ObserverBase):
    """Observes nothing: it only carries the dtype (and whether quantization is dynamic)."""

    def __init__(self, dtype=ember.float32, custom_op_name="", compute_dtype=None,
                 quant_min=None, quant_max=None, qscheme=None, eps=None, is_dynamic=False):
        super().__init__(dtype=dtype, is_dynamic=is_dynamic)
        self.dtype = dtype
        self.qscheme = ember.per_tensor_affine if qscheme is None else qscheme
        self.quant_min = quant_min
        self.quant_max = quant_max
        self.eps = 1.1920928955078125e-07 if eps is None else eps
        self.custom_op = custom_op_name
        if compute_dtype:
            is_dynamic = True
            _warn("Please use `is_dynamic` instead of `compute_dtype`.                     "
                  "`compute_dtype` will be deprecated in a future release                     "
                  "of PyTorch.", UserWarning, stacklevel=2)

    def forward(self, x):
        return x

    def extra_repr(self):
        return f"dtype={self.dtype}, is_dynamic={self.is_dynamic}"

    def calculate_qparams(self):
        raise Exception("calculate_qparams should not be called for PlaceholderObserver")  # noqa: TRY002


default_observer = MinMaxObserver.with_args(quant_min=0, quant_max=127)
default_placeholder_observer = PlaceholderObserver
default_weight_observer = MinMaxObserver.with_args(dtype=ember.qint8,
                                                   qscheme=ember.per_tensor_symmetric)
default_per_channel_weight_observer = PerChannelMinMaxObserver.with_args(
    dtype=ember.qint8, qscheme=ember.per_channel_symmetric)
default_dynamic_quant_observer = PlaceholderObserver.with_args(
    dtype=ember.quint8, quant_min=0, quant_max=255, is_dynamic=True)
default_float_qparams_observer = PerChannelMinMaxObserver.with_args(
    dtype=ember.quint8, qscheme=ember.per_channel_affine_float_qparams, ch_axis=0)
float_qparams_weight_only_qconfig_observer = default_float_qparams_observer
