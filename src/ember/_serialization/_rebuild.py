"""The ember functions that PyTorch's rebuild globals map to, and that mapping.

``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
hooks)`` and its relatives build a tensor viewing a storage's memory (bounds
checked first, as PyTorch's ``set_`` does); :func:`torch_globals` maps every
``torch.*`` name a checkpoint may use to ember's object.
"""
from __future__ import annotations

import codecs
import math
import pickle
import weakref

import numpy as np

from .. import _dtype as D
from .._device import device
from .._ops._core import adopt, wrap
from .._ops.shape import _as_strided
from .._size import Size
from .._tensor import Tensor
from ..nn.parameter import Parameter
from ._storage import (_STORAGE_NAMES, _TORCH_ONLY_DTYPES, _UNSUPPORTED_STORAGES, RESIZABLE,
                       UNTYPED, StorageType, TypedStorage, _check_dtype, _parse_device,
                       _UnsupportedDtype)


# -- rebuilding tensors -----------------------------------------------------------------

def _ints(seq, what):
    if isinstance(seq, (int, np.integer)) and not isinstance(seq, bool):
        seq = (seq,)
    if not isinstance(seq, (tuple, list)):
        raise TypeError(f"expected a tuple of ints for the {what}, got {type(seq).__name__}")
    out = []
    for s in seq:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"expected ints in the {what}, got {type(s).__name__}")
        out.append(int(s))
    return tuple(out)


def tensor_from_storage(storage, storage_offset, size, stride, dtype=None, flip=False):
    """A tensor viewing ``storage``'s memory; bounds are checked, as PyTorch's ``set_`` does.
    ``flip``: view the storage's conjugated (complex) or negated (real) values instead (see
    :func:`_apply_metadata`)."""
    if not isinstance(storage, TypedStorage):
        raise TypeError(f"expected a storage to rebuild a tensor from, got "
                        f"{type(storage).__name__}")
    dtype = _check_dtype(storage.dtype if dtype is None else dtype, "a tensor")
    size = _ints(size, "size")
    stride = _ints(stride, "stride")
    if isinstance(storage_offset, bool) or not isinstance(storage_offset, (int, np.integer)):
        raise TypeError("expected an int storage offset")
    offset = int(storage_offset)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: size {list(size)}, "
                           f"stride {list(stride)}")
    if offset < 0 or any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise RuntimeError(f"negative size, stride or storage offset in the checkpoint: size "
                           f"{list(size)}, stride {list(stride)}, offset {offset}")
    raw = storage._untyped_storage._data
    itemsize = dtype.itemsize
    n = raw.nbytes // itemsize
    if math.prod(size):
        need = offset + sum((s - 1) * st for s, st in zip(size, stride)) + 1
        if need > n and storage._untyped_storage in RESIZABLE and isinstance(raw, np.ndarray):
            # (PyTorch's ``set_`` grows the storage: its legacy reader then finds the bytes of
            # the file too few)
            grown = np.zeros(need * itemsize, np.uint8)
            grown[:raw.nbytes] = raw
            raw = storage._untyped_storage._data = grown
            n = need
        if need > n:  # (PyTorch's ``set_`` would grow the storage, which a loaded one refuses)
            raise RuntimeError("Trying to resize storage that is not resizable")
    typed = raw[: n * itemsize].view(dtype.np)
    if flip:
        typed = _flipped(storage._untyped_storage, typed)
    start = typed[min(offset, n):]
    if offset >= n > 0 and type(typed) is np.ndarray:
        # (NumPy's empty slice at the end keeps the start's pointer: an empty tensor at the
        # storage's end, ``base[n:]``, would report offset 0)
        start = np.ndarray((0,), typed.dtype, buffer=typed.view(np.uint8), offset=n * itemsize)
    arr = _as_strided(start, size, [st * itemsize for st in stride])
    t = wrap(arr, storage._untyped_storage.device)
    # ``storage_offset()`` measures from the start of this memory (see ember._ops.shape).
    t.__dict__["_storage_root"] = typed
    if not arr.size:  # (an empty tensor keeps its offset, and zero strides, as in PyTorch:
        t.__dict__["_empty_offset"] = offset  # NumPy's empty arrays have neither)
        if not any(stride):
            t.__dict__["_numpy_strides"] = True
    return t


_FLIPPED = weakref.WeakKeyDictionary()


def _flipped(untyped, typed):
    """The conjugated (complex) or negated (real) copy of a loaded storage's values, one per
    storage and dtype, so that the tensors loaded with the same bit share it."""
    copies = _FLIPPED.setdefault(untyped, {})
    key = typed.dtype.str
    if key not in copies:
        copies[key] = typed.conj() if typed.dtype.kind == "c" else -typed
    return copies[key]


def refresh_flipped(untyped):
    """Recompute the flipped copies of a storage whose bytes came after its tensors (in a
    legacy checkpoint)."""
    for copy in _FLIPPED.get(untyped, {}).values():
        values = untyped._data[: copy.nbytes].view(copy.dtype)
        copy[...] = values.conj() if copy.dtype.kind == "c" else -values


def _flags(metadata):
    """``(conj, neg)``: the conjugate and negative bits PyTorch saves in a tensor's metadata."""
    if metadata is None:
        return False, False
    if not isinstance(metadata, dict):
        raise TypeError(f"expected a dict of tensor metadata, got {type(metadata).__name__}")
    return bool(metadata.get("conj", False)), bool(metadata.get("neg", False))


def _with_metadata(storage, storage_offset, size, stride, dtype, metadata):
    """A tensor with PyTorch's conjugate or negative bit set (``metadata``): PyTorch saves the
    memory as it is and the bit on the side; ember keeps the values the bit stands for."""
    conj, neg = _flags(metadata)
    complex_ = _check_dtype(storage.dtype if dtype is None else dtype, "a tensor").is_complex
    conj = conj and complex_  # (the conjugate bit means nothing to real values)
    if complex_ and neg:  # (a complex negative view, ``torch._neg_view``: its values)
        t = tensor_from_storage(storage, storage_offset, size, stride, dtype)
        t = wrap(-(t._data.conj() if conj else t._data), t.device)
    else:
        t = tensor_from_storage(storage, storage_offset, size, stride, dtype, flip=conj or neg)
    if conj:
        t.__dict__["_conj"] = True
    if neg:
        t.__dict__["_neg"] = True
    return t


def _set_requires_grad(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def rebuild_tensor(storage, storage_offset, size, stride):
    return tensor_from_storage(storage, storage_offset, size, stride)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                      backward_hooks=None, metadata=None):
    t = _with_metadata(storage, storage_offset, size, stride, None, metadata)
    return _set_requires_grad(t, requires_grad)


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      dtype, metadata=None):
    t = _with_metadata(storage, storage_offset, size, stride, dtype, metadata)
    return _set_requires_grad(t, requires_grad)


def _as_parameter(data, requires_grad):
    if not isinstance(data, Tensor):
        raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
    p = Parameter(data, requires_grad)
    root = data.__dict__.get("_storage_root")
    if root is not None:
        p.__dict__["_storage_root"] = root
    return p


def rebuild_parameter(data, requires_grad, backward_hooks):
    return _as_parameter(data, requires_grad)


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _as_parameter(data, requires_grad)
    set_obj_state(p, state)
    return p


def rebuild_from_type_v2(func, new_type, args, state):
    """A tensor of class ``new_type`` (``Tensor``, ``Parameter`` or a subclass) with attributes."""
    if not isinstance(args, tuple):
        raise TypeError("expected a tuple of arguments for the rebuild function")
    ret = func(*args)
    if not isinstance(new_type, type) or not issubclass(new_type, Tensor):
        raise TypeError(f"cannot rebuild a tensor as {new_type!r}")
    if not isinstance(ret, Tensor):
        raise TypeError(f"the rebuild function returned {type(ret).__name__}, not a tensor")
    if type(ret) is not new_type:
        obj = object.__new__(new_type)
        adopt(obj, ret)
        if "_storage_root" in ret.__dict__:
            obj.__dict__["_storage_root"] = ret.__dict__["_storage_root"]
        ret = obj
    set_obj_state(ret, state)
    return ret


def set_obj_state(obj, state):
    """Set the user attributes a tensor was saved with (never ember's own attributes)."""
    if state is None:
        return
    if isinstance(state, tuple) and len(state) == 2:
        items = [*(state[0] or {}).items(), *(state[1] or {}).items()]
    elif isinstance(state, dict):
        items = list(state.items())
    else:
        raise TypeError(f"expected a dict of attributes, got {type(state).__name__}")
    for k, v in items:
        if not isinstance(k, str) or k.startswith("__") or hasattr(type(obj), k) \
                or k == "_storage_root":
            raise pickle.UnpicklingError(f"refusing to set attribute {k!r} of a loaded tensor: "
                                         "it would replace ember's own state")
        setattr(obj, k, v)


def _unsupported_rebuild(name, why):
    def fn(*args, **kwargs):
        raise RuntimeError(f"ember cannot load tensors saved through torch._utils.{name}: {why}")
    fn.__name__ = name
    return fn


def rebuild_device_tensor_from_cpu_tensor(data, dtype, device_, requires_grad):
    t = data.to(device=_parse_device(device_), dtype=_check_dtype(dtype, "a tensor"))
    return _set_requires_grad(t, requires_grad)


def rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad):
    """A meta tensor (PyTorch saves no storage for one: its dtype, size and stride alone)."""
    from .._ops.more_tensor import empty_strided

    return empty_strided(size, stride, dtype=_check_dtype(dtype, "a tensor"), device="meta",
                         requires_grad=requires_grad)


def get_layout(name):
    from .. import sparse_coo, strided

    if name == "torch.strided":
        return strided
    if name == "torch.sparse_coo":
        return sparse_coo
    from .. import sparse_bsc, sparse_bsr, sparse_csc, sparse_csr

    for lay in (sparse_csr, sparse_csc, sparse_bsr, sparse_bsc):
        if name == repr(lay):
            return lay
    raise RuntimeError(f"ember only supports the torch.strided, torch.sparse_coo and sparse "
                       f"compressed layouts, not {name}")


def rebuild_sparse_tensor(layout, data):
    from .._sparse import _rebuild_sparse_tensor

    return _rebuild_sparse_tensor(layout, data)


def _codecs_encode(obj, encoding="utf-8", errors="strict"):
    # Protocol-2 pickles spell ``bytes`` as ``_codecs.encode(str, "latin1")``.
    if not isinstance(obj, str) or codecs.lookup(encoding).name not in ("iso8859-1", "utf-8"):
        raise pickle.UnpicklingError("_codecs.encode is only allowed to rebuild bytes from a "
                                     "latin-1 or utf-8 string")
    return codecs.encode(obj, encoding, errors)


def torch_globals():
    """PyTorch's global names (``module.name``) that checkpoints use, mapped to ember objects."""
    from .. import (BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, ComplexDoubleTensor,
                    ComplexFloatTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
                    LongTensor, ShortTensor)

    g = {
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rebuild_parameter_with_state,
        "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
        "torch._utils._rebuild_meta_tensor_no_storage": rebuild_meta_tensor_no_storage,
        "torch._utils._rebuild_device_tensor_from_cpu_tensor":
            rebuild_device_tensor_from_cpu_tensor,
        "torch.nn.parameter.Parameter": Parameter,
        "torch.Tensor": Tensor,
        "torch._tensor.Tensor": Tensor,
        "torch.Size": Size,
        "torch.device": device,
        "torch.serialization._get_layout": get_layout,
        "torch._utils._rebuild_sparse_tensor": rebuild_sparse_tensor,
        "torch.storage.UntypedStorage": UNTYPED,
        "torch.UntypedStorage": UNTYPED,
    }
    for name, why in (("_rebuild_nested_tensor", "nested tensors are not supported"),
                      ("_rebuild_wrapper_subclass", "wrapper subclasses are not supported"),
                      ("_rebuild_device_tensor_from_numpy",
                       "tensors of devices without storages are not supported")):
        g[f"torch._utils.{name}"] = _unsupported_rebuild(name, why)
    for d in D.ALL:
        g[f"torch.{d.name}"] = d
    for alias, d in D._ALIASES.items():
        g[f"torch.{alias}"] = d
    for name in _TORCH_ONLY_DTYPES:
        g[f"torch.{name}"] = _UnsupportedDtype(name)
    for d in D.FLOAT8 + D.SHELLS:
        g[f"torch.{d.name}"] = d
    for name, d in _STORAGE_NAMES.items():
        g[f"torch.{name}"] = g[f"torch.cuda.{name}"] = StorageType(name, d)
    for name, itemsize in _UNSUPPORTED_STORAGES.items():
        g[f"torch.{name}"] = g[f"torch.cuda.{name}"] = StorageType(name, None, itemsize)
    _quantized_globals(g)
    for cls in (FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, LongTensor, IntTensor,
                ShortTensor, CharTensor, ByteTensor, BoolTensor, ComplexFloatTensor,
                ComplexDoubleTensor):
        g[f"torch.{cls.__name__}"] = cls
    return g


def _quantized_globals(g):
    """Quantized tensors (``_rebuild_qtensor``), their dtypes, storages and schemes."""
    from .._quantized import _SCHEMES, _rebuild_qtensor

    g["torch._utils._rebuild_qtensor"] = _rebuild_qtensor
    g.update({f"torch.{name}": s for name, s in _SCHEMES.items()})
    for d in (D.quint8, D.qint8, D.qint32, D.quint4x2, D.quint2x4):
        g[f"torch.{d.name}"] = d
    for name, d in (("QUInt8Storage", D.quint8), ("QInt8Storage", D.qint8),
                    ("QInt32Storage", D.qint32)):
        g[f"torch.{name}"] = StorageType(name, d)


_TORCH_GLOBALS = None


def _torch_globals():
    global _TORCH_GLOBALS
    if _TORCH_GLOBALS is None:
        _TORCH_GLOBALS = torch_globals()
    return _TORCH_GLOBALS
