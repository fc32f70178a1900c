"""``torch.storage``: the flat memory under tensors.

A PyTorch tensor is a window (offset, sizes, strides) onto a storage, a flat run of
bytes that views share.  An ember tensor keeps a NumPy (CuPy on a GPU) array and its
views are NumPy views of their base's array, so a storage here is a 1-d ``uint8``
array over that same memory: writes through the storage are seen by every tensor
that views it, and the other way round.

- :class:`UntypedStorage`: the bytes (``t.untyped_storage()``).  Every tensor viewing
  one memory block gets the same object back while it lives, as in PyTorch, so
  ``a.untyped_storage() is b.untyped_storage()`` and equal ``data_ptr()`` both tell
  that two tensors share memory.
- :class:`TypedStorage`: bytes plus a dtype (``t.storage()``, deprecated in PyTorch,
  with its UserWarning), and the legacy ``torch.FloatStorage``-style classes, whose
  constructors make typed storages and whose ``isinstance`` checks the dtype.
- ``Tensor.set_``, ``Tensor.is_set_to``, ``Tensor.untyped_storage`` and
  ``Tensor.storage`` (installed on the class by :func:`_install`).

NOTE: PyTorch can grow or shrink a storage in place (``resize_``, ``set_`` past its
end) and every tensor on it follows the new memory.  NumPy arrays cannot follow
their memory elsewhere, so where tensors view a storage that grows, ember finds them
among the live objects and moves each onto the new block (``_grow_tied``); it refuses,
with a RuntimeError, to shrink memory that tensors view, or to grow a NumPy array's
(``from_numpy``: not resizable, as in PyTorch) or shared memory.
"""
from __future__ import annotations

import collections.abc
import mmap
import operator
import weakref

import numpy as np

from . import _dtype as D
from ._device import CPU, _get_cupy, canonical, device
from ._ops._core import contiguous_strides
from ._warnings import warn

__all__ = ["UntypedStorage", "TypedStorage"]


# -- the deprecation warning of TypedStorage ----------------------------------------------

_TYPED_STORAGE_WARNING = (
    "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will "
    "be the only storage class. This should only matter to you if you are using storages "
    "directly.  To access UntypedStorage directly, use tensor.untyped_storage() instead "
    "of tensor.storage()")
_warn_state = {"warned": False, "always": False}


def _warn_typed_storage_removal(stacklevel=2):
    """PyTorch's warning: once per process (always, after ``_set_always_warn...(True)``),
    pointing at the user's line."""
    if _warn_state["always"] or not _warn_state["warned"]:
        warn(_TYPED_STORAGE_WARNING, UserWarning)
        _warn_state["warned"] = True


def _reset_warn_typed_storage_removal():
    _warn_state["warned"] = False


def _get_always_warn_typed_storage_removal():
    return _warn_state["always"]


def _set_always_warn_typed_storage_removal(always_warn):
    if not isinstance(always_warn, bool):
        raise TypeError(f"always_warn must be bool, got {type(always_warn).__name__}")
    _warn_state["always"] = always_warn


# -- memory helpers ---------------------------------------------------------------------

def _ptr(a):
    return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr


class _Memory:
    """Hands NumPy a byte range of ``owner``'s memory through the array interface."""

    def __init__(self, start, nbytes, readonly, owner):
        self.__array_interface__ = {"data": (start, readonly), "shape": (nbytes,),
                                    "typestr": "|u1", "version": 3}
        self.owner = owner  # keeps the memory alive as long as the byte array


def _bytes_of(a):
    """A 1-d ``uint8`` view of the memory array ``a`` spans (lowest to highest byte)."""
    if a.flags.c_contiguous:
        return a.reshape(-1).view(np.uint8)
    if a.flags.f_contiguous:
        return a.T.reshape(-1).view(np.uint8)
    lo = hi = _ptr(a)
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    hi += a.itemsize
    if type(a) is np.ndarray:
        return np.asarray(_Memory(lo, hi - lo, not a.flags.writeable, a))
    cp = _get_cupy()  # a GPU array: a uint8 array on the same device memory
    return cp.ndarray((hi - lo,), dtype=cp.uint8, memptr=a.data + (lo - _ptr(a)))


class _FileMapping(mmap.mmap):
    """A checkpoint file mapped by ``load(..., mmap=True)``: not shared memory in PyTorch's
    sense (``is_shared()`` is False), whether copy-on-write or ``MAP_SHARED``."""


def _is_shared_memory(a) -> bool:
    if type(a) is not np.ndarray:
        return True  # device memory is shared between processes, as ember's tensors report
    while a is not None:  # arrays' bases, down to a memoryview of an mmap
        if isinstance(a, mmap.mmap):
            return not isinstance(a, _FileMapping)
        a = a.obj if isinstance(a, memoryview) else getattr(a, "base", None)
    return False


def _foreign(a) -> bool:
    """Memory ember did not allocate (a Python buffer, a file mapping): not resizable."""
    while isinstance(a, np.ndarray):
        a = a.base
        if not isinstance(a, (np.ndarray, _Memory)) and \
                isinstance(getattr(a, "base", None), np.ndarray):
            a = a.base  # (NumPy's as_strided keeps the array one level down)
    return a is not None and not isinstance(a, _Memory)


def _zeros(nbytes, dev):
    from ._ops.creation import zeros

    return zeros((nbytes,), dtype=D.uint8, device=dev)._data


def _typename(obj) -> str:
    """``torch.typename`` of a storage: PyTorch's public module for ember's own classes
    (``ember._tensor.Tensor`` is ``torch.Tensor``), no module for builtins."""
    cls = obj if isinstance(obj, type) else type(obj)
    module = cls.__module__ or ""
    if module == "builtins":
        return cls.__qualname__
    if module == "ember" or module.startswith("ember."):
        parts = []
        for part in module.split("."):
            if part.startswith("_"):
                break
            parts.append(part)
        module = "torch" + ".".join(parts)[len("ember"):]
    return f"{module}.{cls.__qualname__}"


def _class_repr(obj) -> str:
    return f"<class '{_typename(obj)}'>"


def _type_name(value) -> str:
    from ._tensor import Tensor

    if isinstance(value, Tensor):
        return "Tensor"
    if isinstance(value, (UntypedStorage, TypedStorage)):
        return _typename(value)
    return type(value).__name__


def _int_index(idx):
    """An int from an index PyTorch's C++ storages accept (not bool, not a tensor)."""
    from ._tensor import Tensor

    if isinstance(idx, Tensor) or not hasattr(type(idx), "__index__"):
        return None
    return operator.index(idx)


# The storages made for tensors' memory, by (device, first byte, size), while they live.
_LIVE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _key(data, dev):
    return (str(dev), _ptr(data), int(data.nbytes))


def _register(storage):
    storage._tied = True
    _LIVE[_key(storage._data, storage._device)] = storage
    return storage


# -- UntypedStorage -----------------------------------------------------------------------

_UNTYPED_SIGNATURES = (
    " * (*, int allocator = None, torch.device device = None)\n"
    " * (int size, *, int allocator = None, torch.device device = None)\n"
    " * (object sequence, *, int allocator = None, torch.device device = None)\n"
    " * (*, int cdata)")


class UntypedStorage:
    """Bytes on a device, as ``torch.UntypedStorage``: ``UntypedStorage(nbytes)``,
    ``UntypedStorage([1, 2, 3])`` or a tensor's ``t.untyped_storage()``.

    Example::

        >>> x = torch.tensor([1.0, 2.0])
        >>> s = x.untyped_storage()
        >>> len(s), s.data_ptr() == x.data_ptr()
        (8, True)
    """

    __slots__ = ("_data", "_device", "_tied", "_pinned", "_filename", "__weakref__")
    is_sparse = False
    is_sparse_csr = False
    is_hpu = False

    def __init__(self, *args, device=None, allocator=None, **kwargs):
        if "size" in kwargs and not args and _int_index(kwargs["size"]) is not None:
            args = (kwargs.pop("size"),)
        if kwargs or len(args) > 1:
            got = ", ".join([type(a).__name__ for a in args] +
                            [f"{k}={_kw_type(v)}" for k, v in kwargs.items()])
            raise TypeError(f"torch.UntypedStorage() received an invalid combination of "
                            f"arguments - got ({got}), but expected one of:\n"
                            f"{_UNTYPED_SIGNATURES}\n")
        if device is not None:
            _check_storage_device(device)
        dev = canonical(device if device is not None else CPU)
        if not args:
            data = _zeros(0, dev)
        elif _int_index(args[0]) is not None:
            n = _int_index(args[0])
            if n < 0:
                raise RuntimeError("alloc_cpu() seems to have been called with negative "
                                   f"number: {n % 2 ** 64}")
            data = _zeros(n, dev)
        else:
            data = _zeros(0, dev)
            seq = args[0]
            if not isinstance(seq, collections.abc.Sequence):
                raise RuntimeError(f"torch.UntypedStorage(): Expected a sequence type, but "
                                   f"got {_type_name(seq)}")
            values = []
            for v in seq:
                if _int_index(v) is None and not isinstance(v, bool):
                    raise RuntimeError(
                        f"torch.UntypedStorage(): tried to construct a storage from a sequence "
                        f"({type(seq).__name__}), but one of the items was of type "
                        f"{_type_name(v)} instead of int")
                values.append(int(v) & 0xFF)
            host = np.array(values, dtype=np.uint8)
            data = host if dev.type == "cpu" else _to_device(host, dev)
        self._set(data, dev)

    def _set(self, data, dev, tied=False):
        self._data = data  # 1-d uint8 array: NumPy on the CPU, CuPy on a GPU
        self._device = dev
        self._tied = tied  # tensors view this memory: it cannot move
        self._pinned = False
        self._filename = None

    @classmethod
    def _new(cls, data, dev=CPU):
        """A storage over the 1-d uint8 array ``data`` (no copy)."""
        s = object.__new__(UntypedStorage)
        s._set(data, dev)
        return s

    # -- what it is ---------------------------------------------------------------------
    def __getattr__(self, name):  # (only for names it lacks: PyTorch's class name)
        raise AttributeError(f"'{_typename(self)}' object has no attribute '{name}'")

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def filename(self):
        return self._filename

    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def size(self) -> int:
        return int(self._data.nbytes)

    def __len__(self):
        return int(self._data.nbytes)

    def element_size(self) -> int:
        return 1

    def data_ptr(self) -> int:
        # PyTorch reports 0 (no memory to point at) for an empty storage.
        return _ptr(self._data) if self._data.nbytes else 0

    def get_device(self):
        return self._device.index  # NOTE: None on the CPU, as PyTorch's storages say

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return _typename(self)
        raise RuntimeError("ember does not support casting storages with type(); use the "
                           "dtype methods (float(), long()...) instead")

    def untyped(self):
        return self

    def resizable(self) -> bool:
        return not _foreign(self._data) and self._filename is None

    def is_shared(self) -> bool:
        return self._device.type == "cpu" and _is_shared_memory(self._data)

    def is_pinned(self, device=None) -> bool:
        return self._pinned

    # -- elements -----------------------------------------------------------------------
    def _host(self):
        return self._data if type(self._data) is np.ndarray else self._data.get()

    def __getitem__(self, idx):
        n = self.nbytes()
        if isinstance(idx, slice):
            if idx.step not in (None, 1):
                raise RuntimeError(f"Trying to slice with a step of {idx.step}, but only a "
                                   "step of 1 is supported")
            start, stop, _ = idx.indices(n)
            part = UntypedStorage._new(self._data[start:max(start, stop)], self._device)
            part._tied = True  # a window of this memory: it cannot move on its own
            return part
        i = None if isinstance(idx, (bool, np.bool_)) else _int_index(idx)
        if i is None:
            raise TypeError(f"can't index a torch.UntypedStorage with {_type_name(idx)}")
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"index {i} out of range for storage of size {n}")
        return int(self._data[i])

    def __setitem__(self, idx, value):
        if _int_index(value) is None:
            raise RuntimeError(f"can only set storage content with a int types, but got "
                               f"{_type_name(value)} instead")
        v = _int_index(value) & 0xFF
        n = self.nbytes()
        if isinstance(idx, slice):
            if idx.step not in (None, 1):
                raise RuntimeError(f"Trying to slice with a step of {idx.step}, but only a "
                                   "step of 1 is supported")
            start, stop, _ = idx.indices(n)
            self._data[start:max(start, stop)] = v
            return
        i = _int_index(idx)
        if i is None:
            raise TypeError(f"can't index a torch.UntypedStorage with {_type_name(idx)}")
        if not 0 <= i < n:  # NOTE: PyTorch does not wrap negative indices here
            raise RuntimeError("out of bounds")
        self._data[i] = v

    def fill_(self, value):
        if _int_index(value) is None:
            raise RuntimeError(f"fill_ expects int, but got {_type_name(value)}")
        self._data[...] = _int_index(value) & 0xFF
        return self

    def copy_(self, source, non_blocking=None):
        if isinstance(source, TypedStorage):
            source = source._untyped_storage
        if not isinstance(source, UntypedStorage):
            raise TypeError(f"copy_(): argument 'src' (position 1) must be torch.Storage, not "
                            f"{_type_name(source)}")
        if source.nbytes() != self.nbytes():
            raise RuntimeError(f"size does not match, self was {self.nbytes()} bytes but src "
                               f"was {source.nbytes()} bytes")
        src = source._data
        if source._device != self._device:
            src = source._host() if self._device.type == "cpu" else _to_device(
                source._host(), self._device)
        self._data[...] = src
        return self

    def tolist(self):
        return self._host().tolist()

    def __iter__(self):
        return iter(self.tolist())

    def __repr__(self):
        values = self.tolist()
        return (" " + "\n ".join(str(v) for v in values) +
                f"\n[{_typename(self)}(device={self._device}) of size {len(values)}]")

    __str__ = __repr__

    def __sizeof__(self):
        return object.__sizeof__(self) + self.nbytes()

    # -- copies and moves ---------------------------------------------------------------
    def clone(self):
        return UntypedStorage._new(self._data.copy(), self._device)

    def __copy__(self):
        return self.clone()

    def __deepcopy__(self, memo):
        done = memo.setdefault("torch", {})
        if id(self) not in done:
            done[id(self)] = self.clone()
        return done[id(self)]

    def new(self):
        return UntypedStorage(device=self._device)

    def cpu(self):
        if self._device.type == "cpu":
            return self
        return UntypedStorage._new(self._data.get(), CPU)

    def cuda(self, device=None, non_blocking=False):
        # (as PyTorch's: an index, where a falsy one, 0 included, is the current device)
        d = _device_cls("cuda", device) if device else _device_cls("cuda")
        return self.to(device=d)

    def to(self, *, device, non_blocking=False):
        """A copy on ``device`` (``self`` when it is there already)."""
        target = _parse_device(device)
        if target.type == "cpu":
            return self.cpu()
        if _get_cupy() is None:
            _no_backend(target)
        target = canonical(target)
        if self._device == target:
            return self
        return UntypedStorage._new(_to_device(self._host(), target), target)

    def pin_memory(self, device=None):
        from ._device import pinned_empty

        if self._device.type != "cpu":
            raise RuntimeError(f"cannot pin '{self._device.type}' memory: only CPU storages "
                               "can be pinned")
        if self._pinned:
            return self
        arr = pinned_empty((self.nbytes(),), np.uint8)
        arr[...] = self._data
        out = UntypedStorage._new(arr, CPU)
        out._pinned = True
        return out

    def share_memory_(self):
        """Move the bytes into an anonymous shared mapping (a no-op when they are already,
        and on a GPU)."""
        if self._device.type != "cpu" or self.is_shared():
            return self
        if self._tied:
            raise RuntimeError(
                "ember cannot move memory that tensors view into shared memory: call "
                "share_memory_() on the tensor (or the module) before making its views")
        arr = np.frombuffer(mmap.mmap(-1, max(self.nbytes(), 1)), np.uint8,
                            count=self.nbytes())
        arr[...] = self._data
        self._data = arr
        return self

    def resize_(self, size):
        size = _int_index(size)
        if size is None or size < 0:
            raise RuntimeError(f"resize_: invalid size {size}")
        n = self.nbytes()
        if size == n:
            return self
        if self._tied and self.resizable() and size > n and _grow_tied(self, size):
            return self  # (the tensors on it moved along, as PyTorch's)
        if self._tied and self.resizable() and size < n and type(self._data) is np.ndarray \
                and not self.is_shared():
            # NOTE: PyTorch shrinks a storage that tensors view and leaves them their sizes:
            # they read past its new end, memory it has freed.  Here the storage keeps the
            # first ``size`` bytes of its block, shared with them, and they keep the whole old
            # block (its later bytes as they were); they still name this storage.
            if _numpy_tied(self):  # (a NumPy array's memory: PyTorch's cannot resize)
                raise RuntimeError("Trying to resize storage that is not resizable")
            self._data = self._data[:size]
            _register(self)
            return self
        if self._tied:
            raise RuntimeError(
                "ember cannot resize a storage that tensors view: NumPy arrays cannot follow "
                "their memory to a new place (PyTorch's tensors would)")
        if not self.resizable() or self.is_shared():
            raise RuntimeError("Trying to resize storage that is not resizable")
        data = _zeros(size, self._device)
        k = min(n, size)
        data[:k] = self._data[:k]
        self._data = data
        return self

    def byteswap(self, dtype):
        """Reverse the bytes of each ``dtype`` element in place."""
        item = D.to_dtype(dtype).itemsize
        if item > 1:
            if self.nbytes() % item:
                raise RuntimeError(f"the storage's {self.nbytes()} bytes are not a whole "
                                   f"number of {item}-byte elements")
            rows = self._data.reshape(-1, item)
            rows[...] = rows[:, ::-1].copy()

    # -- typed views ----------------------------------------------------------------------
    def _to(self, dtype):
        return _cast(self, D.uint8, dtype)

    def double(self):
        return self._to(D.float64)

    def float(self):
        return self._to(D.float32)

    def half(self):
        return self._to(D.float16)

    def bfloat16(self):
        return self._to(D.bfloat16)

    def long(self):
        return self._to(D.int64)

    def int(self):
        return self._to(D.int32)

    def short(self):
        return self._to(D.int16)

    def char(self):
        return self._to(D.int8)

    def byte(self):
        return self._to(D.uint8)

    def bool(self):
        return self._to(D.bool)

    # -- pickling and files -------------------------------------------------------------
    def __reduce__(self):
        return _reduce_storage(self)

    @classmethod
    def from_buffer(cls, buffer, byte_order=None, count=-1, offset=0, *, dtype=None):
        """The bytes of a Python buffer (copied), converted to native order when
        ``byte_order`` ('little', 'big' or 'native') says they are ``dtype`` elements."""
        return _from_buffer(buffer, byte_order, count, offset, dtype)

    @classmethod
    def from_file(cls, filename, shared=False, nbytes=0):
        """A storage mapping ``nbytes`` of a file: changes reach the file when ``shared``
        (which creates the file if needed), else they stay private (copy on write)."""
        return _from_file(filename, shared, nbytes)

    @classmethod
    def _new_shared(cls, size, *, device="cpu"):
        return cls(size, device=device).share_memory_()


def _kw_type(v):
    if isinstance(v, D.dtype):
        return "torch.dtype"
    return type(v).__name__


_device_cls = device


# the device types PyTorch's storages know (the others: "not recognized"; and for those
# known, PyTorch's CPU build's errors come from ``canonical``)
_STORAGE_TYPES = ("cpu", "cuda", "meta", "hpu", "mtia", "xpu", "privateuseone", "maia")


def _check_storage_device(d):
    kind = (d if isinstance(d, device) else _parse_device(d)).type
    if kind not in _STORAGE_TYPES:
        raise RuntimeError(f"torch.UntypedStorage(): Storage device not recognized: {kind}")


def _parse_device(d):
    if isinstance(d, device):
        return d
    if isinstance(d, bytes):
        d = d.decode("ascii")
    if isinstance(d, int) and not isinstance(d, bool):
        return device("cuda", d)
    return device(d)


def _no_backend(target):
    """What PyTorch's CPU build raises where a storage is sent to another device."""
    kind = target.type
    if kind == "cuda":
        if target.index is None:  # (its current CUDA device is None)
            raise TypeError("'<' not supported between instances of 'NoneType' and 'int'")
        raise RuntimeError("PyTorch was compiled without CUDA support")
    if kind == "xpu":
        raise NotImplementedError("PyTorch was compiled without XPU support")
    if kind == "mps":
        raise AttributeError("module 'torch.mps' has no attribute 'device'")
    if kind == "mtia":
        raise RuntimeError("Cannot execute getCurrentDevice() without MTIA backend.")
    raise AssertionError(f"{kind.upper()} device module is not loaded")


def _to_device(host, target):
    """The host array ``host`` copied to the GPU ``target``."""
    cp = _get_cupy()
    if cp is None:
        canonical(target)  # ember's error for a CUDA request without a GPU
    with cp.cuda.Device(target.index or 0):
        return cp.asarray(host)


def _from_buffer(buffer, byte_order, count, offset, dtype):
    if dtype is None:
        raise RuntimeError("argument 'dtype' cannot be None")
    dtype = D.to_dtype(dtype)
    item = dtype.itemsize
    raw = memoryview(buffer).cast("B")
    if item > 1 and byte_order not in ("little", "big", "native"):
        if byte_order is None:
            raise RuntimeError("function missing required argument 'byte_order' (pos 2)")
        raise ValueError(f"invalid byte_order '{byte_order}' (expected 'big', 'little', or "
                         "'native')")
    if offset < 0 or (raw.nbytes and offset >= raw.nbytes):
        raise ValueError(f"offset must be non-negative and no greater than buffer length "
                         f"({raw.nbytes}) , but got {offset}")
    left = raw.nbytes - offset
    if count < 0:
        if left % item:
            raise ValueError(f"buffer size ({left}) must be a multiple of element size "
                             f"({item})")
        count = left // item
    elif count * item > left:
        raise ValueError(f"buffer has only {left} elements after offset {offset}, but the "
                         f"requested count is {count}")
    data = np.frombuffer(raw, np.uint8, count=count * item, offset=offset).copy()
    storage = UntypedStorage._new(data, CPU)
    import sys

    if item > 1 and byte_order != "native" and byte_order != sys.byteorder:
        storage.byteswap(dtype)
    return storage


def _from_file(filename, shared, nbytes):
    import os

    nbytes = int(nbytes)
    if shared:
        if not os.path.exists(filename) or os.path.getsize(filename) < nbytes:
            with open(filename, "ab") as f:
                f.truncate(max(nbytes, os.path.getsize(filename)))
        data = np.memmap(filename, np.uint8, mode="r+", shape=(nbytes,)) if nbytes else \
            np.zeros(0, np.uint8)
    else:
        size = os.path.getsize(filename)
        if size < nbytes:
            raise RuntimeError(f"unable to mmap {nbytes} bytes from file <{filename}>: file "
                               f"too short ({size} bytes)")
        data = np.memmap(filename, np.uint8, mode="c", shape=(nbytes,)) if nbytes else \
            np.zeros(0, np.uint8)
    s = UntypedStorage._new(data.view(np.ndarray) if nbytes else data, CPU)
    s._filename = filename if shared else None
    return s


def _reduce_storage(storage):
    """``pickle`` of a storage, as PyTorch's: the bytes of ``torch.save`` of it."""
    import io

    from .serialization import save

    buf = io.BytesIO()
    save(storage, buf)
    return (_load_from_bytes, (buf.getvalue(),))


def _load_from_bytes(b):
    import io

    from .serialization import load

    return load(io.BytesIO(b), weights_only=False)


# -- TypedStorage -------------------------------------------------------------------------

_TYPED_SIGNATURES = (
    "TypedStorage.__init__ received an invalid combination of arguments. Expected one of:\n"
    " * (*, torch.device device, torch.dtype dtype)\n"
    " * (int size, *, torch.device device, torch.dtype dtype)\n"
    " * (Sequence data, *, torch.device device, torch.dtype dtype)\n"
    " * (*, UntypedStorage wrap_storage, torch.dtype dtype)")


def _is_int(x):
    return isinstance(x, (int, np.integer))


class TypedStorage:
    """A storage read as elements of one dtype, as ``torch.TypedStorage`` (deprecated in
    PyTorch, which warns once per process; so does ember)."""

    is_sparse = False

    def __init__(self, *args, device=None, dtype=None, wrap_storage=None, _internal=False):
        if not _internal:
            _warn_typed_storage_removal()
        if wrap_storage is not None:
            if args:
                raise RuntimeError(_TYPED_SIGNATURES + "\nNo positional arguments should be "
                                   "given when using 'wrap_storage'")
            if dtype is None:
                raise RuntimeError(_TYPED_SIGNATURES + "\nArgument 'dtype' must be specified")
            if not isinstance(dtype, D.dtype):
                raise TypeError(_TYPED_SIGNATURES + f"\nArgument 'dtype' must be torch.dtype, "
                                f"not {_class_repr(dtype)}")
            if device is not None:
                raise RuntimeError(_TYPED_SIGNATURES + "\nArgument 'device' should not be "
                                   "specified when 'wrap_storage' is given")
            if not isinstance(wrap_storage, UntypedStorage):
                raise TypeError(_TYPED_SIGNATURES + "\nArgument 'wrap_storage' must be "
                                f"UntypedStorage, but got {_class_repr(wrap_storage)}")
            self.dtype = dtype
            self._untyped_storage = wrap_storage
            return
        self.dtype = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
        dev = device if device is not None else "cpu"
        if not args:
            self._untyped_storage = UntypedStorage(device=dev)
        elif len(args) > 1:
            raise RuntimeError(_TYPED_SIGNATURES + "\nToo many positional arguments")
        elif _is_int(args[0]):
            self._untyped_storage = UntypedStorage(int(args[0]) * self.dtype.itemsize,
                                                   device=dev)
        elif isinstance(args[0], collections.abc.Sequence):
            from ._ops.creation import tensor

            t = tensor(args[0], dtype=self.dtype, device=dev)
            self._untyped_storage = untyped_storage(t)
        else:
            raise TypeError(_TYPED_SIGNATURES +
                            f"\nArgument type not recognized: {_class_repr(args[0])}")

    @classmethod
    def _wrap(cls, untyped, dtype):
        """A typed storage over ``untyped`` (no warning: for ember's own use)."""
        s = object.__new__(TypedStorage)
        s.dtype = dtype
        s._untyped_storage = untyped
        return s

    def _new_wrapped_storage(self, untyped):
        return TypedStorage._wrap(untyped, self.dtype)

    # -- internal, without the warning ----------------------------------------------------
    @property
    def _dtype(self):
        return self.dtype

    def _size(self):
        return self._untyped_storage.nbytes() // self.dtype.itemsize

    def _nbytes(self):
        return self._untyped_storage.nbytes()

    def _element_size(self):
        return self.dtype.itemsize

    def _data_ptr(self):
        return self._untyped_storage.data_ptr()

    def _as_tensor(self):
        """A 1-d tensor of this storage's elements, viewing its memory."""
        from ._ops._core import wrap

        raw = self._untyped_storage._data
        n = raw.nbytes // self.dtype.itemsize
        arr = raw[:n * self.dtype.itemsize].view(self.dtype.np)
        t = wrap(arr, self._untyped_storage._device)
        t.__dict__["_storage_root"] = arr
        return t

    def _getitem(self, idx):
        if isinstance(idx, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        if not isinstance(idx, int):
            raise RuntimeError(f"can't index a {_class_repr(self)} with {_class_repr(idx)}")
        return self._as_tensor()[self._wrap_index(idx)].item()

    def _wrap_index(self, idx):
        if type(idx) is not int:
            raise TypeError(f"can't index a {_class_repr(self)} with {_class_repr(idx)}")
        n = self._size()
        if idx >= n or idx < -n:
            raise IndexError(f"index {idx} out of range for storage of size {n}")
        return idx % n

    def _setitem(self, idx, value):
        if not isinstance(idx, (int, slice)):
            raise RuntimeError(f"can't index a {_class_repr(self)} with {_class_repr(idx)}")
        if isinstance(value, (UntypedStorage, TypedStorage)):
            raise RuntimeError(f"cannot set item with value type {_class_repr(value)}")
        self._as_tensor()[idx] = value

    def _tolist(self):
        return self._as_tensor().tolist()

    # -- PyTorch's API (each warns, once per process) ---------------------------------------
    @property
    def device(self):
        _warn_typed_storage_removal()
        return self._untyped_storage.device

    @property
    def is_cuda(self):
        _warn_typed_storage_removal()
        return self._untyped_storage.device.type == "cuda"

    @property
    def is_hpu(self):
        _warn_typed_storage_removal()
        return False

    @property
    def filename(self):
        return self._untyped_storage.filename

    def untyped(self):
        _warn_typed_storage_removal()
        return self._untyped_storage

    def size(self):
        _warn_typed_storage_removal()
        return self._size()

    def __len__(self):
        _warn_typed_storage_removal()
        return self._size()

    def nbytes(self):
        _warn_typed_storage_removal()
        return self._nbytes()

    def element_size(self):
        _warn_typed_storage_removal()
        return self._element_size()

    def data_ptr(self):
        _warn_typed_storage_removal()
        return self._data_ptr()

    def get_device(self):
        _warn_typed_storage_removal()
        return self._untyped_storage.get_device()

    def __getitem__(self, idx):
        _warn_typed_storage_removal()
        return self._getitem(idx)

    def __setitem__(self, idx, value):
        _warn_typed_storage_removal()
        self._setitem(idx, value)

    def fill_(self, value):
        _warn_typed_storage_removal()
        self._setitem(slice(0, self._size()), value)
        return self

    def copy_(self, source, non_blocking=None):
        _warn_typed_storage_removal()
        self._untyped_storage.copy_(source, non_blocking)
        return self

    def tolist(self):
        _warn_typed_storage_removal()
        return self._tolist()

    def __iter__(self):
        _warn_typed_storage_removal()
        return iter(self._tolist())

    def __str__(self):
        _warn_typed_storage_removal()
        values = self._tolist()
        return (" " + "\n ".join(str(v) for v in values) +
                f"\n[{_typename(self)}(dtype={self.dtype}, "
                f"device={self._untyped_storage.device}) of size {len(values)}]")

    def __repr__(self):
        _warn_typed_storage_removal()
        return str(self)

    def __sizeof__(self):
        _warn_typed_storage_removal()
        return object.__sizeof__(self) + self._nbytes()

    def type(self, dtype=None, non_blocking=False):
        _warn_typed_storage_removal()
        if dtype is None:
            legacy = self._get_legacy_storage_class()
            return _typename(legacy) if legacy is not None else _typename(self)
        return self._untyped_storage.type(dtype, non_blocking)

    def pickle_storage_type(self):
        _warn_typed_storage_removal()
        return self._pickle_storage_type()

    def _pickle_storage_type(self):
        try:
            return _NAME_OF_DTYPE[self.dtype]
        except KeyError:
            raise KeyError(f"dtype {self.dtype} is not recognized") from None

    def _get_legacy_storage_class(self):
        name = _NAME_OF_DTYPE.get(self.dtype)
        if name is None or self._untyped_storage.device.type != "cpu":
            return None
        return _LEGACY[name]

    def clone(self):
        _warn_typed_storage_removal()
        return self._new_wrapped_storage(self._untyped_storage.clone())

    def __copy__(self):
        _warn_typed_storage_removal()
        return self._new_wrapped_storage(self._untyped_storage.clone())

    def __deepcopy__(self, memo):
        _warn_typed_storage_removal()
        return self._new_wrapped_storage(self._untyped_storage.__deepcopy__(memo))

    def cpu(self):
        _warn_typed_storage_removal()
        return self._new_wrapped_storage(self._untyped_storage.cpu())

    def cuda(self, device=None, non_blocking=False):
        _warn_typed_storage_removal()
        return self._new_wrapped_storage(self._untyped_storage.cuda(device, non_blocking))

    def to(self, *, device, non_blocking=False):
        _warn_typed_storage_removal()
        return self._new_wrapped_storage(self._untyped_storage.to(device=device))

    def is_pinned(self, device=None):
        _warn_typed_storage_removal()
        return self._untyped_storage.is_pinned(device)

    def pin_memory(self, device=None):
        _warn_typed_storage_removal()
        return self._new_wrapped_storage(self._untyped_storage.pin_memory(device))

    def share_memory_(self):
        _warn_typed_storage_removal()
        self._untyped_storage.share_memory_()
        return self

    def is_shared(self):
        _warn_typed_storage_removal()
        return self._untyped_storage.is_shared()

    def resizable(self):
        _warn_typed_storage_removal()
        return self._untyped_storage.resizable()

    def resize_(self, size):
        _warn_typed_storage_removal()
        self._untyped_storage.resize_(size * self.dtype.itemsize)

    def _to(self, dtype):
        out = _cast(self._untyped_storage, self.dtype, dtype)
        if out._data_ptr() == self._data_ptr():
            out = out._new_wrapped_storage(out._untyped_storage.clone())
        return out

    def __reduce__(self):
        return _reduce_storage(self)

    @classmethod
    def from_buffer(cls, *args, dtype=None, device=None, **kwargs):
        _warn_typed_storage_removal()
        legacy = getattr(cls, "_legacy_dtype", None)
        if legacy is None:
            dtype = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
            if device is not None and _parse_device(device).type != "cpu":
                raise RuntimeError(f"TypedStorage.from_buffer: Not available for device "
                                   f"{_parse_device(device).type}")
        else:
            if dtype is not None or len(args) == 5:
                raise RuntimeError("from_buffer: 'dtype' can only be specified in "
                                   "UntypedStorage.from_buffer and TypedStorage.from_buffer")
            if device is not None:
                raise RuntimeError("from_buffer: 'device' can only be specified in "
                                   "UntypedStorage.from_buffer and TypedStorage.from_buffer")
            dtype = legacy
        untyped = UntypedStorage.from_buffer(*args, dtype=dtype, **kwargs)
        return TypedStorage._wrap(untyped, dtype)

    @classmethod
    def from_file(cls, filename, shared=False, size=0):
        _warn_typed_storage_removal()
        legacy = getattr(cls, "_legacy_dtype", None)
        if legacy is None:
            raise RuntimeError("from_file can only be called on derived classes")
        untyped = UntypedStorage.from_file(filename, shared, size * legacy.itemsize)
        return TypedStorage._wrap(untyped, legacy)


def _add_casts(cls):
    for name, dt in (("double", D.float64), ("float", D.float32), ("half", D.float16),
                     ("bfloat16", D.bfloat16), ("long", D.int64), ("int", D.int32),
                     ("short", D.int16), ("char", D.int8), ("byte", D.uint8),
                     ("bool", D.bool)):
        def cast(self, _dt=dt):
            _warn_typed_storage_removal()
            return self._to(_dt)
        cast.__name__ = cast.__qualname__ = name
        cast.__doc__ = f"A copy of this storage's elements as {dt}."
        setattr(cls, name, cast)


_add_casts(TypedStorage)


def _cast(untyped, from_dtype, to_dtype):
    """A typed storage of ``to_dtype`` holding the elements of ``untyped`` (read as
    ``from_dtype``) converted; the same memory when the dtypes agree."""
    to_dtype = D.to_dtype(to_dtype) if not isinstance(to_dtype, D.dtype) else to_dtype
    t = TypedStorage._wrap(untyped, from_dtype)._as_tensor().to(to_dtype)
    return TypedStorage._wrap(untyped_storage(t), to_dtype)


# -- the legacy classes (torch.FloatStorage...) -------------------------------------------

_LEGACY_DTYPES = {
    "DoubleStorage": D.float64, "FloatStorage": D.float32, "HalfStorage": D.float16,
    "LongStorage": D.int64, "IntStorage": D.int32, "ShortStorage": D.int16,
    "CharStorage": D.int8, "ByteStorage": D.uint8, "BoolStorage": D.bool,
    "BFloat16Storage": D.bfloat16, "ComplexFloatStorage": D.complex64,
    "ComplexDoubleStorage": D.complex128}
_NAME_OF_DTYPE = {d: name for name, d in _LEGACY_DTYPES.items()}

_LEGACY_SIGNATURES = (
    "{cls}.__new__ received an invalid combination of arguments. Expected one of:\n"
    " * no arguments\n"
    " * (int size)\n"
    " * (Sequence data)\n"
    " * (*, UntypedStorage wrap_storage)")


class _LegacyStorageMeta(type):
    """``isinstance(s, torch.FloatStorage)``: a CPU TypedStorage of float32 elements."""

    def __instancecheck__(cls, instance):
        dt = cls.__dict__.get("_legacy_dtype")
        if dt is None or type(instance) is not TypedStorage:
            return False
        return instance._untyped_storage.device.type == "cpu" and instance.dtype is dt

    @property
    def dtype(cls):
        return cls.__dict__.get("_legacy_dtype")

    @property
    def _dtype(cls):
        return cls.__dict__.get("_legacy_dtype")


class _LegacyStorage(TypedStorage, metaclass=_LegacyStorageMeta):
    """The base of ``torch.FloatStorage`` & co.: constructing one makes a TypedStorage."""

    def __new__(cls, *args, wrap_storage=None, dtype=None, device=None, _internal=False):
        if not _internal:
            _warn_typed_storage_removal()
        if cls is _LegacyStorage:
            raise RuntimeError("Only child classes of _LegacyStorage can be instantiated")
        msg = _LEGACY_SIGNATURES.format(cls=_class_repr(cls))
        if device is not None:
            raise RuntimeError(msg + "\nKeyword argument 'device' cannot be specified")
        if dtype is not None:
            raise RuntimeError(msg + "\nKeyword argument 'dtype' cannot be specified")
        dt = cls._legacy_dtype
        if wrap_storage is None:
            if len(args) > 1:
                raise RuntimeError(msg + "\nToo many positional arguments")
            if args and not _is_int(args[0]) and not isinstance(
                    args[0], collections.abc.Sequence):
                raise TypeError(msg + f"\nArgument type not recognized: "
                                f"{_class_repr(args[0])}")
            return TypedStorage(*args, dtype=dt, device="cpu", _internal=True)
        if args:
            raise RuntimeError(msg + "\nNo positional arguments should be given when using "
                               "'wrap_storage'")
        if not isinstance(wrap_storage, UntypedStorage):
            raise TypeError(msg + "\nArgument 'wrap_storage' must be UntypedStorage, but got "
                            f"{_class_repr(wrap_storage)}")
        if wrap_storage.device.type != "cpu":
            raise RuntimeError(msg + f"\nDevice of 'wrap_storage' must be cpu, but got "
                               f"{wrap_storage.device.type}")
        return TypedStorage(wrap_storage=wrap_storage, dtype=dt, _internal=True)


_LEGACY = {}
for _name, _dt in _LEGACY_DTYPES.items():
    _LEGACY[_name] = _LegacyStorageMeta(_name, (_LegacyStorage,), {
        "_legacy_dtype": _dt, "__module__": "ember", "__qualname__": _name,
        "__doc__": f"``torch.{_name}``: makes TypedStorages of {_dt} elements."})
del _name, _dt

DoubleStorage = _LEGACY["DoubleStorage"]
FloatStorage = _LEGACY["FloatStorage"]
HalfStorage = _LEGACY["HalfStorage"]
LongStorage = _LEGACY["LongStorage"]
IntStorage = _LEGACY["IntStorage"]
ShortStorage = _LEGACY["ShortStorage"]
CharStorage = _LEGACY["CharStorage"]
ByteStorage = _LEGACY["ByteStorage"]
BoolStorage = _LEGACY["BoolStorage"]
BFloat16Storage = _LEGACY["BFloat16Storage"]
ComplexFloatStorage = _LEGACY["ComplexFloatStorage"]
ComplexDoubleStorage = _LEGACY["ComplexDoubleStorage"]


def is_storage(obj) -> bool:
    """``torch.is_storage``: whether ``obj`` is an UntypedStorage or a TypedStorage."""
    return isinstance(obj, (UntypedStorage, TypedStorage))


# -- tensors and their storages -------------------------------------------------------------

def _root_bytes(t):
    """The bytes of the memory block ``t`` views (its base's whole memory for a view)."""
    from ._ops.shape import _storage_root

    data = t._data
    root = _storage_root(t)
    raw = _bytes_of(root)
    if data.size:  # memory that moved since (``share_memory_``, ``.data = ...``): its own
        lo = _ptr(raw)
        start = _ptr(data) + sum((n - 1) * s for n, s in zip(data.shape, data.strides)
                                 if s < 0)
        end = _ptr(data) + sum((n - 1) * s for n, s in zip(data.shape, data.strides)
                               if s > 0) + data.itemsize
        if start < lo or end > lo + raw.nbytes:
            raw = _bytes_of(data)
    return raw


def untyped_storage(t) -> UntypedStorage:
    """``Tensor.untyped_storage()``: the bytes of the memory ``t`` views, as one object
    per memory block while it lives."""
    raw = _root_bytes(t)
    key = _key(raw, t._device)
    s = _LIVE.get(key)
    if s is None:
        s = UntypedStorage._new(raw, t._device)
        _register(s)
    return s


def _typed_storage(t) -> TypedStorage:
    return TypedStorage._wrap(untyped_storage(t), t.dtype)


def storage(t) -> TypedStorage:
    """``Tensor.storage()``: deprecated in PyTorch, which warns (once per process)."""
    _warn_typed_storage_removal()
    return _typed_storage(t)


# The Python names of PyTorch's scalar types, for set_'s error.
_SCALAR_NAMES = {d.name: D.scalar_name(d) for d in D.ALL}

_SET_SIGNATURES = (
    " * ()\n"
    " * (torch.Storage source)\n"
    " * (torch.Storage source, int storage_offset, tuple of ints size, tuple of ints "
    "stride = None)\n"
    " * (Tensor source)\n"
    " * (Tensor source, int storage_offset, tuple of ints size, tuple of ints stride = None)\n")

_MISSING = object()


def _set_args_error(args, kwargs):
    got = ", ".join([_type_name(a) if is_storage(a) else type(a).__name__ for a in args] +
                    [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    return TypeError(f"set_() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{_SET_SIGNATURES}")


def _int_tuple(v):
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),)
    if not isinstance(v, (tuple, list)) or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in v):
        return None
    return tuple(int(s) for s in v)


def set_(self, *args, **kwargs):
    """``Tensor.set_``: make ``self`` view a storage (or another tensor's memory) with the
    given offset, size and stride; ``set_()`` gives it a new empty storage."""
    from ._tensor import Tensor

    names = ("source", "storage_offset", "size", "stride")
    if len(args) > 4 or any(k not in names for k in kwargs):
        raise _set_args_error(args, kwargs)
    given = dict(zip(names, args))
    for k, v in kwargs.items():
        if k in given:
            raise _set_args_error(args, kwargs)
        given[k] = v
    source = given.get("source", _MISSING)
    offset = given.get("storage_offset", _MISSING)
    size = given.get("size", _MISSING)
    stride = given.get("stride", None)
    if (offset is _MISSING) != (size is _MISSING) or (source is _MISSING and len(given)) \
            or (source is not _MISSING and not isinstance(source, Tensor) and
                not is_storage(source)):
        raise _set_args_error(args, kwargs)
    if offset is not _MISSING:
        size_t = _int_tuple(size)
        stride_t = None if stride is None else _int_tuple(stride)
        if (isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or
                size_t is None or (stride is not None and stride_t is None)):
            raise _set_args_error(args, kwargs)
        offset = int(offset)
    _check_settable(self)

    if source is _MISSING:
        return _set_view(self, UntypedStorage(device=self._device), 0, (0,), (1,))
    if isinstance(source, Tensor):
        if source.dtype is not self.dtype:
            from ._tensor import _CPP_NAMES

            raise RuntimeError(f"Could not set tensor of type {_CPP_NAMES[source.dtype.name]} "
                               f"to a tensor of type {_CPP_NAMES[self.dtype.name]}")
        _check_device(self, source.device)
        if offset is _MISSING:
            return _set_tensor(self, source)
        return _set_view(self, untyped_storage(source), offset, size_t, stride_t)
    if isinstance(source, TypedStorage):
        if source.dtype is not self.dtype:
            from ._tensor import _CPP_NAMES

            raise RuntimeError(f"Expected a Storage of type {_CPP_NAMES[self.dtype.name]} or "
                               f"an UntypedStorage, but got type "
                               f"{_SCALAR_NAMES[source.dtype.name]} for argument 1 'storage'")
        source = source._untyped_storage
    _check_device(self, source.device)
    if offset is _MISSING:
        return _set_view(self, source, 0, (source.nbytes() // self.element_size(),), (1,))
    return _set_view(self, source, offset, size_t, stride_t)


def _check_device(t, dev):
    if dev != t._device:
        raise RuntimeError(f"Expected a storage on {t._device}, but got one on {dev}: "
                           "set_ cannot move a tensor between devices")


def _check_settable(t):
    from ._ops._core import check_inplace
    from .autograd import grad_mode

    check_inplace(t)
    if t._grad_fn is not None and grad_mode.is_grad_enabled():
        raise RuntimeError("ember does not support set_ on a tensor with autograd history "
                           "(PyTorch's result there has no usable gradient either)")




def _set_view(t, storage, offset, size, stride):
    from ._ops.shape import _as_strided

    if stride is None:
        stride = contiguous_strides(size)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if any(s < 0 for s in size):
        raise RuntimeError("numel: integer multiplication overflow")
    if len(size) != len(stride):
        raise RuntimeError(f"unequal size length ({len(size)}) and stride length "
                           f"({len(stride)})")
    item = t.element_size()
    numel = 1
    for s in size:
        numel *= s
    if any(s < 0 for s in stride):
        if numel:
            raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} "
                               f"and strides={list(stride)}")
        # NOTE: PyTorch's tensor of no elements takes a negative stride as this: 1 for the
        # last dim, else the next dim's size (at least 1) times its stride
        stride = list(stride)
        for k in range(len(size) - 1, -1, -1):
            if stride[k] < 0:
                stride[k] = 1 if k == len(size) - 1 else max(size[k + 1], 1) * stride[k + 1]
    need = 0 if numel == 0 else (offset + 1 + sum((n - 1) * s for n, s in zip(size, stride)))
    if need * item > storage.nbytes():
        # (PyTorch grows the storage in place: every tensor on it follows)
        if not storage.resizable():
            raise RuntimeError("Trying to resize storage that is not resizable")
        if not storage._tied:
            storage.resize_(need * item)
        elif not _grow_tied(storage, need * item):  # (shared or device memory)
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                f"{offset}, and itemsize {item} requiring a storage size of {need * item} are "
                f"out of bounds for storage of size {storage.nbytes()}")
    raw = storage._data
    n = raw.nbytes // item
    typed = raw[:n * item].view(t.dtype.np)
    arr = _as_strided(typed[min(offset, n):], size, [s * item for s in stride])
    _register(storage)
    _adopt_memory(t, arr, typed)
    if numel == 0:
        from ._ops.shape import mark_empty_view

        mark_empty_view(t, offset)
    return t


def _numpy_tied(storage) -> bool:
    """Whether a tensor of a NumPy array's (``from_numpy``'s) views ``storage``'s memory
    (found among the live objects, as :func:`_grow_tied` finds them)."""
    import gc

    from ._tensor import Tensor

    raw = storage._data
    lo = _ptr(raw)
    hi = lo + raw.nbytes
    for o in gc.get_objects():
        if not issubclass(type(o), Tensor):
            continue
        a = getattr(o, "_data", None)
        if type(a) is np.ndarray and lo <= _ptr(a) < hi and (
                "_numpy_memory" in o.__dict__ or
                o._base is not None and "_numpy_memory" in o._base.__dict__):
            return True
    return False


def _grow_tied(storage, nbytes) -> bool:
    """Grow ``storage``, which tensors view, to ``nbytes`` as PyTorch's ``set_`` does: a new
    block with the old bytes first (the rest zero here, uninitialised in PyTorch), every tensor
    on the old block moved onto it at the same place, the storage object kept.  False
    (nothing done) where ember cannot (device or shared memory).

    NOTE: NumPy arrays cannot follow their memory, and ember keeps no list of a storage's
    tensors, so they are found among the live objects (as ``resize_`` finds them): slow, but
    this is rare."""
    import gc

    from ._ops.shape import _as_strided
    from ._tensor import Tensor

    raw = storage._data
    if type(raw) is not np.ndarray or storage.is_shared():
        return False
    lo = _ptr(raw)
    hi = lo + raw.nbytes
    grown = _zeros(nbytes, storage._device)
    grown[:raw.nbytes] = raw

    def typed(a, at):  # (the rest of the new block from byte ``at``, as ``a``'s dtype)
        return np.ndarray(((nbytes - at) // a.itemsize,), a.dtype, buffer=grown, offset=at)

    def inside(a):
        return type(a) is np.ndarray and lo <= _ptr(a) < hi and \
            (not a.size or np.may_share_memory(a, raw))

    on = []
    for o in gc.get_objects():
        if not issubclass(type(o), Tensor):  # (not ``isinstance``: it asks proxies' __class__)
            continue
        d = o.__dict__
        if inside(getattr(o, "_data", None)) or inside(d.get("_storage_root")):
            if "_numpy_memory" in d or o._base is not None and "_numpy_memory" in \
                    o._base.__dict__:  # (a NumPy array's memory: PyTorch's cannot grow)
                raise RuntimeError("Trying to resize storage that is not resizable")
            on.append(o)
    for o in on:
        d = o.__dict__
        root = d.get("_storage_root")
        if root is not None and inside(root):
            d["_storage_root"] = typed(root, _ptr(root) - lo)
        a = getattr(o, "_data", None)
        if not inside(a) or any(st < 0 for st in a.strides):
            continue
        rest = typed(a, _ptr(a) - lo)
        if a.flags.c_contiguous and (a.base is None or a.base is root):
            new = rest[:a.size].reshape(a.shape)  # (an ordinary view, as before)
        else:
            new = _as_strided(rest, a.shape, a.strides)
        if not a.flags.writeable:  # (a broadcast: read-only, as ember's expanded views are)
            new.flags.writeable = False
        if root is None and o._base is None:  # (a base tensor: the whole block is its root)
            d["_storage_root"] = typed(a, 0) if not (_ptr(a) - lo) % a.itemsize else grown
        o._data = new
    _LIVE.pop(_key(raw, storage._device), None)
    storage._data = grown
    _register(storage)
    return True


def _set_tensor(t, source):
    from ._ops.shape import _storage_root

    _register(untyped_storage(source))
    _adopt_memory(t, source._data, _storage_root(source))
    return t


def _adopt_memory(t, arr, root):
    d = t.__dict__
    if t._base is not None:  # no longer a view of its old base
        d["_base"] = None
        d["_view_fn"] = None
    d.pop("_resize_store", None)
    d.pop("_empty_offset", None)
    d["_storage_root"] = root
    t._data = arr
    t._vc.v += 1


def is_set_to(self, tensor) -> bool:
    """``Tensor.is_set_to``: the same storage, offset, sizes and strides as ``tensor``."""
    from ._tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"is_set_to(): argument 'tensor' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    return (untyped_storage(self) is untyped_storage(tensor) and
            self.storage_offset() == tensor.storage_offset() and
            tuple(self.shape) == tuple(tensor.shape) and self.stride() == tensor.stride())


def _install(cls) -> None:
    """Give ``Tensor`` its storage methods."""
    for name, fn in (("untyped_storage", untyped_storage), ("storage", storage),
                     ("_typed_storage", _typed_storage), ("set_", set_),
                     ("is_set_to", is_set_to)):
        if name not in cls.__dict__:  # never replace a method someone else has given it
            setattr(cls, name, fn)
