"""Quantized tensors (``torch.quantize_per_tensor``, ``torch.quint8``...), on the CPU.

A quantized tensor is a :class:`QuantizedTensor`, a ``Tensor`` subclass holding the integer
values (a NumPy array of the dtype's raw type, one value an element even for the packed
``quint4x2``/``quint2x4``) and the parameters that map them to reals: ``x = (q - zero_point) *
scale``, one pair for the whole tensor or one a slice along ``axis``.  Its ``_data`` carries only
the shape and raw dtype (the autograd engine and the shape methods read those), so a dense op
that reaches for the values fails with PyTorch's error for the QuantizedCPU backend instead of
computing on raw integers; ordinary tensors are untouched.

Numerics follow PyTorch's x86 kernels, checked bit for bit: ``quint8``/``qint8`` quantize as
``rint(fma(x, 1/scale, zero_point))`` in float32 (FBGEMM's vector loop), ``qint32`` and the
per-channel path as ``rint(x * (1/scale) + zero_point)`` rounded at each float32 step, the
packed ``quint4x2``/``quint2x4`` as ``rint(x * (1/scale)) + zero_point``; rounding is half to
even.  Dequantizing a per-tensor value is ``(q - zp) * scale`` in float32, a
per-channel one is computed in float64 and then rounded to float32.
"""
from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._tensor import Tensor
from ._device import CPU
from ._sparse import _SparseMeta, install_stubs, shell

__all__ = ["QuantizedTensor", "qscheme", "per_tensor_affine", "per_channel_affine",
           "per_tensor_symmetric", "per_channel_symmetric", "per_channel_affine_float_qparams",
           "quantize_per_tensor", "quantize_per_channel", "quantize_per_tensor_dynamic",
           "dequantize", "int_repr"]


class qscheme:
    """A quantization scheme (``torch.per_tensor_affine``...)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return _qscheme_by_name, (self.name,)


per_tensor_affine = qscheme("per_tensor_affine")
per_channel_affine = qscheme("per_channel_affine")
per_tensor_symmetric = qscheme("per_tensor_symmetric")
per_channel_symmetric = qscheme("per_channel_symmetric")
per_channel_affine_float_qparams = qscheme("per_channel_affine_float_qparams")
_SCHEMES = {s.name: s for s in (per_tensor_affine, per_channel_affine, per_tensor_symmetric,
                                per_channel_symmetric, per_channel_affine_float_qparams)}


def _qscheme_by_name(name):
    return _SCHEMES[name]


def _is_qdtype(d):
    return isinstance(d, D._QDtype)


_DEPRECATION_WARNED = [False]


def _deprecation_warning():
    # NOTE: PyTorch warns once a process when a quint8/qint8/qint32 tensor is created.
    if not _DEPRECATION_WARNED[0]:
        _DEPRECATION_WARNED[0] = True
        from ._warnings import warn

        warn("torch.quantize_per_tensor, torch.quantize_per_channel and other quantized tensor "
             "creation functions that produce tensors with dtype torch.quint8, torch.qint8, and "
             "torch.qint32 are deprecated and will be removed in a future PyTorch release. "
             "Please see https://github.com/pytorch/pytorch/issues/184982 for more "
             "information.", UserWarning, stacklevel=3,
             cpp="aten/src/ATen/quantized/Quantizer.cpp:111")


# -- the tensor ------------------------------------------------------------------------------

class _QMeta(_SparseMeta):
    """A quantized tensor's ``_data``: its shape and raw dtype, and nothing to compute on (the
    raw values live in the tensor's ``_q``)."""

    __slots__ = ()

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    def __array__(self, dtype=None, copy=None):
        raise NotImplementedError(_no_kernel("this operation"))


def _no_kernel(op):
    return (f"Could not run '{op}' with arguments from the 'QuantizedCPU' backend. This could be "
            "because the operator doesn't exist for this backend (ember's quantized tensors "
            "support quantize/dequantize, int_repr, their quantization parameters, printing, "
            "views, indexing and clone; call .dequantize() first for anything else).")


def _new(q, qdtype, scheme, scale, zero_point, axis=None):
    """A quantized tensor over the integer array ``q`` (per-tensor: Python scale and zero
    point; per-channel: float64 / int64 (or float) arrays and an axis)."""
    t = shell(QuantizedTensor, _QMeta(q.shape, qdtype.np), CPU)
    t._q = q
    t._qdtype = qdtype
    t._qscheme = scheme
    t._qscale = scale
    t._qzp = zero_point
    t._qaxis = axis
    return t


class QuantizedTensor(Tensor):
    """A quantized tensor (PyTorch's ``torch.Tensor`` with ``is_quantized`` True)."""

    is_quantized = True

    @property
    def dtype(self):
        return self._qdtype

    def qscheme(self):
        return self._qscheme

    def _per_channel(self):
        return self._qaxis is not None

    def q_scale(self):
        if self._per_channel():
            raise RuntimeError(_expected("quantizer->qscheme() == kPerTensorAffine"))
        return self._qscale

    def q_zero_point(self):
        if self._per_channel():
            raise RuntimeError(_expected("quantizer->qscheme() == kPerTensorAffine"))
        return self._qzp

    def q_per_channel_scales(self):
        self._check_per_channel()
        return _wrap(np.array(self._qscale))

    def q_per_channel_zero_points(self):
        self._check_per_channel()
        return _wrap(np.array(self._qzp))

    def q_per_channel_axis(self):
        self._check_per_channel()
        return self._qaxis

    def _check_per_channel(self):
        if not self._per_channel():
            raise RuntimeError(_expected(
                "quantizer->qscheme() == kPerChannelAffine || quantizer->qscheme() == "
                "kPerChannelAffineFloatQParams"))

    def int_repr(self):
        q = self._q
        bits = {"quint4x2": 4, "quint2x4": 2}.get(self._qdtype.name)
        if bits is None:
            return _wrap(q.copy())
        per = 8 // bits
        flat = q.reshape(-1).astype(np.uint8)
        n = -(-flat.size // per)
        padded = np.zeros(n * per, np.uint8)
        padded[:flat.size] = flat
        padded = padded.reshape(n, per)
        out = np.zeros(n, np.uint8)
        for i in range(per):
            out |= padded[:, i] << np.uint8(i * bits)
        return _wrap(out)

    def dequantize(self):
        return _wrap(_dequantize_array(self))

    def __repr__(self, *, tensor_contents=None):
        return _repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        return _repr(self) if not spec else format(self.dequantize(), spec)

    # -- what PyTorch's QuantizedCPU kernels also do ------------------------------------------
    def clone(self, *, memory_format=None):
        return self._like(self._q.copy())

    def detach(self):
        return self._like(self._q)

    def __deepcopy__(self, memo):
        return self.clone()

    def __copy__(self):
        return self.detach()

    def contiguous(self, memory_format=None):
        return self

    def is_contiguous(self, memory_format=None):
        return True

    def stride(self, dim=None):
        st = tuple(s // self._q.itemsize for s in _QMeta(self.shape, self._q.dtype).strides)
        return st if dim is None else st[dim]

    def _like(self, q):
        return _new(q, self._qdtype, self._qscheme, self._qscale, self._qzp, self._qaxis)

    def _view_op(self, name, fn):
        if self._per_channel():
            raise NotImplementedError(_no_kernel(f"aten::{name}") + " (per-channel tensors)")
        return self._like(fn(_wrap(self._q))._data)

    def view(self, *shape):
        return self._view_op("view", lambda t: t.view(*shape))

    def reshape(self, *shape):
        return self._view_op("reshape", lambda t: t.reshape(*shape))

    def flatten(self, start_dim=0, end_dim=-1):
        return self._view_op("flatten", lambda t: t.flatten(start_dim, end_dim))

    def squeeze(self, *dim):
        return self._view_op("squeeze", lambda t: t.squeeze(*dim))

    def unsqueeze(self, dim):
        return self._view_op("unsqueeze", lambda t: t.unsqueeze(dim))

    def t(self):
        return self._view_op("t", lambda t: t.t())

    def transpose(self, dim0, dim1):
        return self._view_op("transpose", lambda t: t.transpose(dim0, dim1))

    def permute(self, *dims):
        return self._view_op("permute", lambda t: t.permute(*dims))

    def __getitem__(self, idx):
        return self._view_op("index", lambda t: t[idx])

    def relu(self):
        if self._per_channel():
            raise NotImplementedError(_no_kernel("aten::relu"))
        return self._like(np.maximum(self._q, np.asarray(self._qzp).astype(self._q.dtype)))

    def equal(self, other):
        if not isinstance(other, QuantizedTensor):
            return False
        return (self._qdtype is other._qdtype and self._qscheme is other._qscheme
                and self.shape == other.shape and np.array_equal(self._q, other._q)
                and np.array_equal(self._qscale, other._qscale)
                and np.array_equal(self._qzp, other._qzp) and self._qaxis == other._qaxis)

    def __eq__(self, other):
        # (as PyTorch: the values compared, dequantized)
        return self.dequantize() == (other.dequantize() if isinstance(other, QuantizedTensor)
                                     else other)

    def __ne__(self, other):
        return self.dequantize() != (other.dequantize() if isinstance(other, QuantizedTensor)
                                     else other)

    def unbind(self, dim=0):
        n = self.shape[dim] if self.ndim else 0
        return tuple(self._view_op("unbind", lambda t, i=i: t.select(dim, i)) for i in range(n))

    def __iter__(self):
        if not self.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def storage_offset(self):
        return 0

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            return f"torch.quantized.{D.dtype_name_for_type(self._qdtype)}"
        return _to(self, dtype)

    def numpy(self, *, force=False):
        raise TypeError(f"Got unsupported ScalarType {D.scalar_name(self._qdtype)}")

    def __array__(self, dtype=None, copy=None):
        return self.numpy()

    def tolist(self):
        raise RuntimeError("load_scalar: invalid type")

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self.dequantize().item()

    def __reduce_ex__(self, proto):
        return _rebuild, (self._q, self._qdtype.name, self._qscheme.name, self._qscale,
                          self._qzp, self._qaxis)

    def __hash__(self):
        return id(self)

    def _save_form(self):
        """(what ``torch.save`` stores as the raw values, the quantizer's parameters), as
        PyTorch's ``_rebuild_qtensor`` reads them."""
        if self._qdtype.name not in ("quint8", "qint8", "qint32"):
            raise NotImplementedError(f"ember cannot save {self._qdtype} tensors yet")
        if self._qaxis is None:
            params = (self._qscheme, float(self._qscale), int(self._qzp))
        else:
            params = (self._qscheme, _wrap(np.array(self._qscale)), _wrap(np.array(self._qzp)),
                      self._qaxis)
        return _RawValues(self._q, self._qdtype), params


class _RawValues:
    """A quantized tensor's integer values, as the checkpoint writer reads a tensor."""

    __slots__ = ("_data", "dtype", "device")

    def __init__(self, q, qdtype):
        self._data = q
        self.dtype = qdtype
        self.device = CPU


def _rebuild_qtensor(storage, storage_offset, size, stride, quantizer_params,
                     requires_grad=False, backward_hooks=None):
    """``torch._utils._rebuild_qtensor``: a quantized tensor from a checkpoint."""
    from ._ops._core import to_host
    from ._serialization._rebuild import tensor_from_storage

    qdtype = storage.dtype
    if not _is_qdtype(qdtype):
        raise RuntimeError(f"expected a quantized storage, got one of {qdtype}")
    ints = tensor_from_storage(storage, storage_offset, size, stride,
                               D.from_numpy_dtype(qdtype.np))
    q = np.ascontiguousarray(to_host(ints._data))
    scheme = quantizer_params[0]
    if scheme is per_tensor_affine or scheme is per_tensor_symmetric:
        return _new(q, qdtype, per_tensor_affine, float(quantizer_params[1]),
                    int(quantizer_params[2]))
    if scheme in (per_channel_affine, per_channel_symmetric, per_channel_affine_float_qparams):
        scales, zps, axis = quantizer_params[1:4]
        return _new(q, qdtype, scheme, np.array(to_host(scales._data)),
                    np.array(to_host(zps._data)), int(axis))
    raise RuntimeError(f"Can't deserialize quantized tensor with qscheme {scheme}")


def _rebuild(q, dtype_name, scheme_name, scale, zero_point, axis):
    return _new(q, D._BY_NAME[dtype_name], _SCHEMES[scheme_name], scale, zero_point, axis)


def _expected(cond):
    return (f"Expected {cond} to be true, but got false.  (Could this error message be "
            "improved?  If so, please report an enhancement request to PyTorch.)")


def _wrap(a):
    from ._ops._core import wrap

    a = np.asarray(a)  # (not np.ascontiguousarray alone: it makes a 0-d array 1-d)
    return wrap(a if a.flags.c_contiguous else np.ascontiguousarray(a), CPU)


# Tensor methods that would read a quantized tensor as dense raise PyTorch's error for the
# quantized backend.
_KEEP = {
    "size", "dim", "ndimension", "numel", "nelement", "element_size", "get_device",
    "is_floating_point", "is_complex", "is_inference", "requires_grad_", "__len__",
    "__format__", "__hash__", "__dir__", "__getattr__", "__init__", "__new__",
    "__init_subclass__", "__repr__", "__str__", "__reduce__", "__setstate__", "__getstate__",
    "__sizeof__", "__class_getitem__", "__subclasshook__", "__eq__", "__ne__", "__iter__",
    "__reduce_ex__", "__deepcopy__", "__copy__", "__array__", "__array_wrap__", "type",
    "cpu", "to", "is_pinned", "share_memory_", "is_shared", "__bool__", "dequantize",
    "int_repr",
}
_DUNDER_OPS = {"__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
               "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__floordiv__",
               "__rfloordiv__", "__mod__", "__rmod__", "__lt__", "__le__", "__gt__", "__ge__",
               "__and__", "__or__", "__xor__", "__invert__", "__abs__", "__neg__", "__iadd__",
               "__isub__", "__imul__", "__itruediv__", "__matmul__", "__rmatmul__", "__pos__",
               "__setitem__", "__float__", "__int__", "__index__", "__complex__"}


def _stub(name):
    def method(self, *args, **kwargs):
        raise NotImplementedError(_no_kernel(f"aten::{name}"))
    method.__name__ = name
    return method


def _to(self, *args, **kwargs):
    """``.to``/``.cpu``/``.type`` of a quantized tensor: only to itself (the CPU, its dtype)."""
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, D.dtype) and a is not self._qdtype:
            raise RuntimeError("Creation of quantized tensor requires quantized dtype like "
                               "torch.quint8")
        if isinstance(a, str) and a.split(":")[0] not in ("cpu",):
            raise NotImplementedError(_no_kernel("aten::_to_copy"))
    return self


def _float(self, memory_format=None):
    raise RuntimeError("Creation of quantized tensor requires quantized dtype like "
                       "torch.quint8")


def _plain_dequantize(self):
    """``Tensor.dequantize`` of a tensor that is not quantized: float16 becomes float32,
    anything else is returned as it is."""
    return dequantize(self)


def _plain_int_repr(self):
    return int_repr(self)


Tensor.dequantize = _plain_dequantize
Tensor.int_repr = _plain_int_repr
install_stubs(QuantizedTensor, _KEEP, _DUNDER_OPS, lambda name: _stub(name.strip("_")))
QuantizedTensor.to = _to
QuantizedTensor.cpu = lambda self, memory_format=None: self
for _n in ("float", "double", "half", "int", "long", "bool", "bfloat16", "short", "char",
           "byte"):
    setattr(QuantizedTensor, _n, _float)
del _n


# -- numerics --------------------------------------------------------------------------------

def _qrange(qdtype):
    return D._QRANGE[qdtype.name]


def _quantize_array(x, scale, zero_point, qdtype, fused):
    """float32 ``x`` -> the clamped integer values (see the module's docstring)."""
    lo, hi = _qrange(qdtype)
    inv = np.float32(1.0) / np.asarray(scale, dtype=np.float32)
    with np.errstate(all="ignore"):
        if fused:  # float32 fma: the float64 product of two float32 values is exact
            v = (x.astype(np.float64) * inv.astype(np.float64) +
                 np.asarray(zero_point, np.float64)).astype(np.float32)
        else:
            v = x * inv + np.asarray(zero_point).astype(np.float32)
        r = np.rint(v)
    r = np.nan_to_num(r, nan=0.0, posinf=hi, neginf=lo)
    # (clamped in float64: qint32's top, 2**31 - 1, is not a float32 value)
    return np.clip(r.astype(np.float64), lo, hi).astype(np.int64).astype(qdtype.np)


def _dequantize_array(t):
    q = t._q.astype(np.int64)
    if t._qaxis is None:
        # (q - zero_point wraps around in int32, as PyTorch's per-tensor kernel computes it)
        return np.asarray((q - t._qzp).astype(np.int32).astype(np.float32) *
                          np.float32(t._qscale))
    shape = [1] * q.ndim
    shape[t._qaxis] = -1
    scales = np.asarray(t._qscale).reshape(shape)
    zps = np.asarray(t._qzp).reshape(shape)
    if t._qscheme is per_channel_affine_float_qparams:
        return ((q - zps.astype(np.float32)) * scales.astype(np.float32)).astype(np.float32)
    # (q - zero_point rounded to float32 first, as PyTorch's kernel: it shows past 2**24)
    return ((q - zps).astype(np.float32).astype(np.float64) *
            scales.astype(np.float64)).astype(np.float32)


def _float_input(input):
    if not isinstance(input, Tensor):
        raise TypeError(f"quantize_per_tensor(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(input).__name__}")
    if input.dtype is not D.float32:
        raise RuntimeError(f"Quantize only works on Float Tensor, got {D.scalar_name(input.dtype)}")
    from ._ops._core import to_host

    return np.asarray(to_host(input.detach()._data), dtype=np.float32)


def _check_qdtype(dtype):
    if not _is_qdtype(dtype):
        raise RuntimeError(f"ScalarType {D.scalar_name(dtype)} is not supported in new_qtensor.")


def _scalar(v, kind):
    if isinstance(v, Tensor):
        v = v.item()
    return kind(v)


def quantize_per_tensor(input, scale, zero_point, dtype):
    """Quantize a float32 tensor with one scale and zero point (``x / scale + zero_point``,
    rounded half to even and clamped to the dtype's range); a list of tensors with tensors of
    scales and zero points gives a list."""
    if isinstance(input, (list, tuple)):
        scales = scale.tolist() if isinstance(scale, Tensor) else list(scale)
        zps = zero_point.tolist() if isinstance(zero_point, Tensor) else list(zero_point)
        return tuple(quantize_per_tensor(t, s, z, dtype) for t, s, z in zip(input, scales, zps))
    x = _float_input(input)
    _check_qdtype(dtype)
    scale = _scalar(scale, float)
    zero_point = _scalar(zero_point, int)
    lo, hi = _qrange(dtype)
    if zero_point > hi:
        raise RuntimeError(f"quantize_tensor_per_tensor_affine zero_point {zero_point} is above "
                           "upper bound.")
    if zero_point < lo:
        raise RuntimeError(f"quantize_tensor_per_tensor_affine zero_point {zero_point} is below "
                           "lower bound.")
    if dtype in (D.quint8, D.qint8, D.qint32):
        _deprecation_warning()
    if dtype is D.quint4x2 or dtype is D.quint2x4:  # (zero point added after rounding)
        lo, hi = _qrange(dtype)
        with np.errstate(all="ignore"):
            r = np.rint(x * (np.float32(1.0) / np.float32(scale)))
        r = np.nan_to_num(r, nan=0.0, posinf=hi, neginf=lo)
        q = np.clip(r + zero_point, lo, hi).astype(np.uint8)
    else:
        q = _quantize_array(x, scale, zero_point, dtype, dtype is D.quint8 or dtype is D.qint8)
    return _new(q, dtype, per_tensor_affine, scale, zero_point)


def quantize_per_channel(input, scales, zero_points, axis, dtype):
    """Quantize a float32 tensor with one scale and zero point a slice along ``axis``.

    Integer zero points give ``per_channel_affine``; floating ones
    ``per_channel_affine_float_qparams``.
    """
    x = _float_input(input)
    _check_qdtype(dtype)
    from ._ops._core import to_host

    s = np.asarray(to_host(scales._data) if isinstance(scales, Tensor) else scales)
    z = np.asarray(to_host(zero_points._data) if isinstance(zero_points, Tensor) else zero_points)
    axis = int(axis)
    if not 0 <= axis < x.ndim:
        raise RuntimeError(f"Channel axis out of range in per channel affine quantization. Got: "
                           f"{axis}Expected: < {x.ndim}")
    n = x.shape[axis]
    if s.size != n:
        raise RuntimeError("length of scales must equal to channel, expected " + str(n) +
                           " got, " + str(s.size))
    if z.size != n:
        raise RuntimeError("length of zero_points must equal to channel expected " + str(n) +
                           " got, " + str(z.size))
    shape = [1] * x.ndim
    shape[axis] = n
    if dtype in (D.quint8, D.qint8, D.qint32):
        _deprecation_warning()
    if z.dtype.kind == "f":
        scheme = per_channel_affine_float_qparams
        lo, hi = _qrange(dtype)
        sf = s.astype(np.float32).reshape(shape)
        inv = np.float32(1.0) / sf
        with np.errstate(all="ignore"):
            r = np.rint(x * inv + z.astype(np.float32).reshape(shape))
        q = np.clip(r.astype(np.float64), lo, hi).astype(np.int64).astype(dtype.np)
        # (PyTorch keeps float qparams as float32, whatever dtypes they came in)
        return _new(q, dtype, scheme, s.astype(np.float32), z.astype(np.float32), axis)
    q = _quantize_array(x, s.reshape(shape), z.astype(np.int64).reshape(shape), dtype, False)
    return _new(q, dtype, per_channel_affine, s.astype(np.float64), z.astype(np.int64), axis)


_SMALL_SCALE = np.float32(6.1e-5)


def choose_qparams(xmin, xmax, qmin, qmax, reduce_range=False):
    """PyTorch's choice of (scale, zero_point) for values in [xmin, xmax] (the range widened to
    hold 0), used by dynamic quantization: the zero point comes from whichever end of the range
    loses less, rounded half to even and clamped to [qmin, qmax]."""
    if reduce_range:
        qmin, qmax = qmin // 2, qmax // 2
    xmin = min(float(xmin), 0.0)
    xmax = max(float(xmax), 0.0)
    scale = (xmax - xmin) / (qmax - qmin)
    s32 = np.float32(scale)
    with np.errstate(all="ignore"):
        if s32 == 0 or np.isinf(np.float32(1.0) / s32):
            scale = 0.1
    if scale < _SMALL_SCALE:  # NOTE: PyTorch widens a tiny range (in float32 steps) to this
        org = np.float32(scale)
        scale = float(_SMALL_SCALE)
        f_min, f_max = np.float32(xmin), np.float32(xmax)
        if f_min == 0:
            f_max = _SMALL_SCALE * np.float32(qmax - qmin)
        elif f_max == 0:
            f_min = -_SMALL_SCALE * np.float32(qmax - qmin)
        else:
            amp = _SMALL_SCALE / org
            f_min, f_max = f_min * amp, f_max * amp
        xmin, xmax = float(f_min), float(f_max)
    from_min, from_max = qmin - xmin / scale, qmax - xmax / scale
    err_min = abs(qmin) - abs(xmin / scale)
    err_max = abs(qmax) - abs(xmax / scale)
    z0 = from_min if err_min < err_max else from_max
    if z0 < qmin:
        zp = qmin
    elif z0 > qmax:
        zp = qmax
    else:
        zp = int(np.rint(z0))
    return scale, zp


def quantize_per_tensor_dynamic(input, dtype, reduce_range):
    """Quantize with a scale and zero point chosen from the tensor's own range."""
    x = _float_input(input)
    if dtype not in (D.quint8, D.qint8, D.float16):
        raise RuntimeError(f"Expected dtype to be one of Byte, Char, Half, but got "
                           f"{D.scalar_name(dtype)}")
    if dtype is D.float16:
        return input.to(D.float16)
    lo, hi = _qrange(dtype)
    xmin, xmax = (float(x.min()), float(x.max())) if x.size else (0.0, 0.0)
    scale, zp = choose_qparams(xmin, xmax, lo, hi, reduce_range)
    return quantize_per_tensor(input, scale, zp, dtype)


_QDTYPE_OF_INT = {"uint8": "quint8", "int8": "qint8", "int32": "qint32"}


def _int_values(t):
    from ._ops._core import to_host

    name = _QDTYPE_OF_INT.get(t.dtype.name) if isinstance(t, Tensor) else None
    if name is None:
        raise RuntimeError("Creation of quantized tensor requires quantized dtype like "
                           "torch.quint8")
    return np.array(to_host(t.detach()._data)), D._BY_NAME[name]


def _make_per_tensor_quantized_tensor(input, scale, zero_point):
    """A quantized tensor whose raw values are ``input`` (uint8, int8 or int32)."""
    q, qdtype = _int_values(input)
    return _new(q, qdtype, per_tensor_affine, _scalar(scale, float), _scalar(zero_point, int))


def _make_per_channel_quantized_tensor(input, scale, zero_point, axis):
    """A per-channel quantized tensor whose raw values are ``input``."""
    from ._ops._core import to_host

    q, qdtype = _int_values(input)
    s = np.array(to_host(scale._data), np.float64)
    z = np.array(to_host(zero_point._data), np.int64)
    return _new(q, qdtype, per_channel_affine, s, z, int(axis))


def dequantize(tensor):
    """The float32 values of a quantized tensor (a list gives a list); others unchanged."""
    if isinstance(tensor, (list, tuple)):
        return [dequantize(t) for t in tensor]
    if isinstance(tensor, QuantizedTensor):
        return tensor.dequantize()
    if tensor.dtype is D.float16:
        return tensor.float()
    return tensor


def int_repr(input):
    """The raw integer values of a quantized tensor (``uint8``, ``int8`` or ``int32``)."""
    if not isinstance(input, QuantizedTensor):
        raise NotImplementedError(
            "Could not run 'aten::int_repr' with arguments from the 'CPU' backend.")
    return input.int_repr()


def _linear_dynamic(x, weight, bias, reduce_range=True):
    """FBGEMM's dynamic quantized linear: the input quantized to quint8 with a range chosen
    from its own minimum and maximum (half the range with ``reduce_range``), an exact integer
    product with the int8 weight, and ``acc * (x_scale * w_scale) + bias`` as one float32 fma.
    Bit-identical to PyTorch on x86."""
    from ._ops._core import to_host, wrap

    xa = np.asarray(to_host(x.detach()._data))
    if xa.dtype != np.float32:
        raise RuntimeError(f"expected scalar type Float but found {D.scalar_name(x.dtype)}")
    K = weight.shape[1]
    if xa.ndim < 2:
        raise RuntimeError("The dimension of input tensor should be larger than or equal to 2")
    if xa.shape[-1] != K:
        raise RuntimeError(f"The number of rows in the packB should be equal to K: "
                           f"{xa.shape[-1]}")
    x2 = xa.reshape(-1, K)
    xmin, xmax = (float(x2.min()), float(x2.max())) if x2.size else (0.0, 0.0)
    xs, xz = choose_qparams(xmin, xmax, 0, 255, reduce_range)
    xq = _quantize_array(x2, xs, xz, D.quint8, True).astype(np.int64)
    W = weight._q.astype(np.int64)
    # int32 accumulation, exact: float64 products of these integers sum exactly below 2**53
    acc = np.rint(xq.astype(np.float64) @ W.T.astype(np.float64)).astype(np.int64)
    if weight._qaxis is None:
        wz = np.full(W.shape[0], weight._qzp, np.int64)
        ws = np.full(W.shape[0], np.float32(weight._qscale), np.float32)
    else:
        wz = np.asarray(weight._qzp, np.int64)
        ws = np.asarray(weight._qscale).astype(np.float32)
    col = W.sum(1) - wz * K
    raw = acc - xz * col[None, :]
    if np.any(wz):
        raw = raw - wz[None, :] * xq.sum(1, keepdims=True)
    raw = raw.astype(np.int32)
    mult = (np.float32(xs) * ws).astype(np.float64)
    y = raw.astype(np.float32).astype(np.float64) * mult
    if bias is not None:
        y = y + np.asarray(to_host(bias.detach()._data), np.float32).astype(np.float64)
    y = y.astype(np.float32).reshape(xa.shape[:-1] + (W.shape[0],))
    return wrap(y, CPU)


# -- printing --------------------------------------------------------------------------------

def _repr(t):
    from . import _tensor_str as S

    opts = S._OPTS
    prefix = "tensor("
    indent = len(prefix)
    shape = tuple(int(n) for n in t.shape)
    suffixes = [f"size={shape}", f"dtype={t.dtype}", f"quantization_scheme={t._qscheme}"]
    if t._qaxis is None:
        suffixes += [f"scale={t._qscale}", f"zero_point={t._qzp}"]
    else:
        suffixes += [f"scale={t.q_per_channel_scales()}",
                     f"zero_point={t.q_per_channel_zero_points()}", f"axis={t._qaxis}"]
    vals = _dequantize_array(t)
    body = "[]" if vals.size == 0 else S._contents(vals, True, indent, opts)
    return S._add_suffixes(prefix + body, suffixes, indent, opts.linewidth)
