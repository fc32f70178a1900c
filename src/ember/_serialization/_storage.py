"""Storages of a loaded checkpoint and where they go (``map_location``).

A checkpoint's pickle refers to each storage by a persistent id
``('storage', torch.FloatStorage, key, location, numel)``; :class:`StorageLoader`
turns those into :class:`TypedStorage` objects (bytes + dtype) placed on a device
by PyTorch's ``map_location`` rules.
"""
from __future__ import annotations

import pickle
import re
import weakref

import numpy as np

from .. import _dtype as D
from .._device import device
from ..storage import (_LEGACY_DTYPES, TypedStorage, UntypedStorage, _parse_device,  # noqa: F401 (for _rebuild)
                       _register)


# -- storages -----------------------------------------------------------------------------
# A loaded storage is ember's public ``UntypedStorage`` (the bytes, which ``map_location``
# callables receive as PyTorch passes them, and return or move with ``.cpu()``,
# ``.cuda(i)``, ``.to(device=...)``) wrapped in a ``TypedStorage`` (bytes plus a dtype).


class StorageType:
    """What ``torch.FloatStorage`` & co. unpickle to: the element type of a storage.

    ``dtype`` is None for PyTorch storage types ember has no dtype for (complex32,
    quantized, uint16...); loading a tensor of one raises a clear error.
    """

    __slots__ = ("name", "dtype", "itemsize")

    def __init__(self, name, dtype, itemsize=None):
        self.name = name
        self.dtype = dtype
        self.itemsize = dtype.itemsize if dtype is not None else itemsize

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"ember cannot create a torch.{self.name}: legacy storage "
                           "constructors are not supported")

    def __repr__(self):
        return f"torch.{self.name}"


_STORAGE_NAMES = _LEGACY_DTYPES
# PyTorch storage types ember cannot hold, with their element sizes.
_UNSUPPORTED_STORAGES = {
    "QInt8Storage": 1,
    "QUInt8Storage": 1, "QInt32Storage": 4, "QUInt4x2Storage": 1, "QUInt2x4Storage": 1,
}
UNTYPED = StorageType("UntypedStorage", D.uint8)
STORAGE_NAME_OF_DTYPE = {d: name for name, d in _STORAGE_NAMES.items()}
# (quantized tensors save their raw values in these; see ember._quantized)
STORAGE_NAME_OF_DTYPE.update({D.quint8: "QUInt8Storage", D.qint8: "QInt8Storage",
                              D.qint32: "QInt32Storage"})


class _UnsupportedDtype:
    """A PyTorch dtype ember lacks (``torch.uint16``...): loads, but no tensor can use it."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


_TORCH_ONLY_DTYPES = ("complex32", "chalf", "qint8", "quint8", "qint32", "quint4x2", "quint2x4")


def _check_dtype(dtype, what):
    if not isinstance(dtype, D.dtype):
        raise RuntimeError(f"ember cannot load {what} of dtype {dtype!r}: ember has no such "
                           "dtype (it supports float16, bfloat16, float32, float64, complex64, "
                           "complex128, int8, int16, int32, int64, uint8, uint16, uint32, uint64 "
                           "and bool)")
    return dtype


# -- storage loading (shared by the zip and legacy readers) -------------------------------

# The loaded storages a tensor may grow (``set_``), as PyTorch's legacy reader's can
RESIZABLE = weakref.WeakSet()


def _cuda_location_error(location):
    from .. import cuda

    if not cuda.is_available():
        return RuntimeError(
            "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
            "is False. If you are running on a CPU-only machine, please use torch.load with "
            "map_location=torch.device('cpu') to map your storages to the CPU.")
    index = device(location).index or 0
    if index >= cuda.device_count():
        return RuntimeError(
            f"Attempting to deserialize object on CUDA device {index} but "
            f"torch.cuda.device_count() is {cuda.device_count()}. Please use torch.load with "
            "map_location to map your storages to an existing device.")
    return None


def _check_cuda(location):
    err = _cuda_location_error(location)
    if err is not None:
        raise err


def default_restore_location(storage, location):
    """``storage`` moved to the device a location tag (``'cpu'``, ``'cuda:1'``) names."""
    if not isinstance(location, str):  # (PyTorch's: its device-name regex refuses it)
        if isinstance(location, (bytes, bytearray, memoryview)):
            raise TypeError("cannot use a string pattern on a bytes-like object")
        name = "torch.device" if isinstance(location, device) else type(location).__name__
        raise TypeError(f"expected string or bytes-like object, got '{name}'")
    if location == "cpu":
        return storage.cpu()
    if location == "meta":  # (the sizes only: a meta storage holds no bytes)
        from .._meta_xp import fresh

        return UntypedStorage._new(fresh((storage._data.nbytes,), np.uint8), device("meta"))
    m = re.fullmatch(r"cuda(?::?([0-9]+))?", location) if isinstance(location, str) else None
    if m:
        location = f"cuda:{m.group(1)}" if m.group(1) else "cuda"
        _check_cuda(location)
        return storage.to(device=device(location))
    _check_backend_location(location)
    raise RuntimeError(f"don't know how to restore data location of "
                       f"torch.storage.UntypedStorage (tagged with {location})")


_CPU_ONLY_HINT = ("If you are running on a CPU-only machine, please use torch.load with "
                  "map_location=torch.device('cpu') to map your storages to the CPU.")


def _check_backend_location(location):
    """PyTorch's CPU build's errors for the backends it registers a restore function for."""
    if location.startswith("mps"):
        raise RuntimeError("torch.UntypedStorage(): Storage device not recognized: mps")
    if location == "mtia":
        raise RuntimeError("Cannot execute getCurrentDevice() without MTIA backend.")
    for name in ("xpu", "mtia"):
        if location.startswith(name):
            raise RuntimeError(f"Attempting to deserialize object on a {name.upper()} device but "
                               f"torch.{name}.is_available() is False. {_CPU_ONLY_HINT}")
    for name in ("hpu", "privateuseone"):
        if location.startswith(name):
            raise RuntimeError(f"The {name.upper()} device module is not registered. "
                               f"{_CPU_ONLY_HINT}")


def restore_location_fn(map_location):
    """PyTorch's ``map_location`` rules: None, a dict, a device string/object or a callable."""
    if map_location is None:
        return default_restore_location
    if isinstance(map_location, dict):
        # (as in PyTorch, the values must be location strings: a device is refused)
        return lambda storage, location: default_restore_location(
            storage, map_location.get(location, location))
    if isinstance(map_location, (str, bytes)):
        return lambda storage, location: default_restore_location(storage, map_location)
    if isinstance(map_location, device) or (hasattr(map_location, "type") and hasattr(
            map_location, "index") and not callable(map_location)):  # also a torch.device
        return lambda storage, location: default_restore_location(storage, str(map_location))
    # Anything else is called, as in PyTorch (which fails on an int, say, only at the first
    # storage to restore: "'int' object is not callable").
    def restore(storage, location):
        result = map_location(storage, location)
        if result is None:
            result = default_restore_location(storage, location)
        return result
    return restore


def _as_untyped(result):
    if isinstance(result, TypedStorage):
        return result._untyped_storage
    if not isinstance(result, UntypedStorage):  # (PyTorch's TypedStorage refuses it)
        from ..storage import _TYPED_SIGNATURES, _class_repr

        raise TypeError(_TYPED_SIGNATURES + "\nArgument 'wrap_storage' must be "
                        f"UntypedStorage, but got {_class_repr(result)}")
    return result


class StorageLoader:
    """``persistent_load`` for a checkpoint: each storage key is read and placed once.

    ``read(key, nbytes)`` returns the storage's bytes as a writable uint8 array (the zip
    reader), or None to allocate them now and fill them later (the legacy reader).
    """

    def __init__(self, read, map_location, swap_bytes=False, legacy=False, exact=False):
        self._read = read
        self._exact = exact  # (a record must hold exactly the storage's bytes, as PyTorch's)
        # (to meta, as PyTorch's loader, the records are not even read)
        self._to_meta = map_location == "meta" if isinstance(map_location, str) else \
            isinstance(map_location, device) and map_location.type == "meta"
        self._restore = restore_location_fn(map_location)
        self.swap = swap_bytes
        self._legacy = legacy
        self.storages = {}  # key -> TypedStorage
        self.views = {}

    def __call__(self, pid):
        if isinstance(pid, str):  # (written by pickle protocol 0: PyTorch's loader's words)
            raise AssertionError("saved_id must be a tuple, got str")
        if not self._legacy:  # (PyTorch's loader's checks, with its errors)
            if not isinstance(pid, tuple):
                raise AssertionError(f"saved_id must be a tuple, got {type(pid).__name__}")
            if not pid:
                raise IndexError("tuple index out of range")
        if not isinstance(pid, tuple) or not pid:
            raise pickle.UnpicklingError("unsupported persistent id encountered")
        typename = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if typename != "storage":
            if not self._legacy:  # (PyTorch's assertion)
                raise AssertionError(f"Unknown typename for persistent_load, expected "
                                     f"'storage' but got '{typename}'")
            if typename != "module":  # (PyTorch's legacy reader's words)
                raise RuntimeError(f"Unknown saved id type: {pid[0]}")
            # A whole module's class, saved as ``('module', class, source file, source)``
            # (its source is not compared: the class here is ember's, not the one saved)
            return pid[1]
        if not self._legacy and len(pid) != 5:  # (``storage_type, key, location, numel =``)
            raise ValueError(f"not enough values to unpack (expected 4, got {len(pid) - 1})"
                             if len(pid) < 5 else "too many values to unpack (expected 4)")
        if len(pid) != (6 if self._legacy else 5):
            raise pickle.UnpicklingError(f"malformed storage persistent id {pid!r}")
        storage_type, key, location, numel = pid[1:5]
        if not isinstance(storage_type, StorageType):
            raise pickle.UnpicklingError(f"expected a storage type in the persistent id, got "
                                         f"{storage_type!r}")
        if isinstance(location, bytes):
            location = location.decode("ascii")
        if isinstance(key, bytes):
            key = key.decode("ascii")
        if not isinstance(key, (str, int)) or not isinstance(location, str) \
                or isinstance(numel, bool) or not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError(f"malformed storage persistent id {pid!r}")
        if storage_type.dtype is None:
            raise RuntimeError(f"ember cannot load a torch.{storage_type.name}: ember has no "
                               "complex32, quint4x2 or quint2x4 storages")
        dtype = storage_type.dtype
        key = str(key)
        typed = self.storages.get(key)
        if typed is None:
            nbytes = numel * dtype.itemsize
            # (a meta storage was saved without bytes: zeros stand in, as PyTorch's loader)
            data = self._read(key, nbytes) if location != "meta" and not self._to_meta \
                else None
            if data is None:
                data = np.zeros(nbytes, np.uint8)
            elif data.nbytes != nbytes and self._exact:
                raise RuntimeError(f"record size ({data.nbytes} bytes) does not match expected "
                                   f"size ({nbytes} bytes = {nbytes} elements * 1 bytes/element) "
                                   "for dtype Byte")
            elif data.nbytes < nbytes:
                raise RuntimeError(f"PytorchStreamReader failed reading file data/{key}: it "
                                   f"holds {data.nbytes} bytes where the checkpoint's pickle "
                                   f"expects {nbytes} (the file is corrupted)")
            data = data[:nbytes]
            if self.swap and dtype.itemsize > 1:
                data.view(dtype.np).byteswap(inplace=True)
            # (a meta storage stays on meta whatever map_location says, as in PyTorch)
            restore = self._restore if location != "meta" else default_restore_location
            untyped = _as_untyped(restore(UntypedStorage._new(data), location))
            typed = TypedStorage._wrap(_register(untyped), dtype)  # (tensors view it)
            if self._legacy:  # (PyTorch's legacy reader makes storages that can grow)
                RESIZABLE.add(untyped)
            self.storages[key] = typed
        if self._legacy and pid[5] is not None:
            return self._storage_view(typed, pid[5])
        if typed.dtype is not dtype:
            typed = TypedStorage._wrap(typed._untyped_storage, dtype)
        return typed

    def _storage_view(self, root, view_metadata):
        # Pre-1.0 files could save a slice of a storage: (view key, offset, numel).
        view_key, offset, size = view_metadata
        if view_key not in self.views:
            itemsize = root.dtype.itemsize
            raw = root._untyped_storage._data[offset * itemsize:(offset + size) * itemsize]
            self.views[view_key] = TypedStorage._wrap(
                UntypedStorage._new(raw, root._untyped_storage.device), root.dtype)
        return self.views[view_key]
