"""Writing PyTorch pickles from ember objects, without PyTorch.

:class:`TorchPickler` writes what ``torch.save`` writes: a tensor becomes
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
OrderedDict())`` whose storage is a persistent id ``('storage', torch.FloatStorage,
key, location, numel)``; a parameter wraps that in ``torch._utils._rebuild_parameter``;
dtypes, devices, ``Size`` and the strided layout are written under ``torch``'s names.

Those names are written as raw ``GLOBAL`` opcodes by a pure-Python pickler (the C
pickler insists on importing every global it writes, and ``torch`` may not be
installed).  The pickle itself is small: the tensor bytes go to separate records.

:class:`StorageTable` finds which memory each tensor views so that tensors sharing
memory (a tensor and its slices, transposes, ``expand``s; tied weights) are
written once and share memory again when loaded.
"""
from __future__ import annotations

import collections
import pickle
import sys
import warnings

import numpy as np

from .. import _dtype as D
from .._device import device
from .._ops._core import contiguous_strides, is_dense
from .._ops.shape import _ptr, memory_format
from .._ops.shape import xp_of_array
from .._size import Size
from .._tensor import Tensor
from ..nn.parameter import Buffer, Parameter
from ..storage import TypedStorage, UntypedStorage
from ._storage import STORAGE_NAME_OF_DTYPE
from .._quantized import qscheme as _qscheme


class TorchGlobal:
    """Stands for a ``module.name`` global of PyTorch's; pickles as a ``GLOBAL`` opcode."""

    __slots__ = ("module", "name", "__name__")
    _cache: dict = {}

    def __new__(cls, module, name):
        key = (module, name)
        g = cls._cache.get(key)
        if g is None:
            g = object.__new__(cls)
            g.module, g.name, g.__name__ = module, name, name
            cls._cache[key] = g
        return g

    def __call__(self, *args, **kwargs):  # the pickler wants reduce functions to be callable
        raise RuntimeError(f"{self.module}.{self.name} is a placeholder for pickling")

    def __repr__(self):
        return f"{self.module}.{self.name}"


REBUILD_V2 = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
REBUILD_V3 = TorchGlobal("torch._utils", "_rebuild_tensor_v3")
REBUILD_PARAMETER = TorchGlobal("torch._utils", "_rebuild_parameter")
REBUILD_PARAMETER_STATE = TorchGlobal("torch._utils", "_rebuild_parameter_with_state")
REBUILD_FROM_TYPE = TorchGlobal("torch._tensor", "_rebuild_from_type_v2")
REBUILD_META = TorchGlobal("torch._utils", "_rebuild_meta_tensor_no_storage")


class _Reduced:
    """An object to pickle as ``func(*args)`` (the inner tensor of a parameter)."""

    __slots__ = ("func", "args")

    def __init__(self, func, args):
        self.func, self.args = func, args


# The module of dtype globals: "torch", but not the string object of the module's name (as
# PyTorch's dtype class names it), which protocol 4 pickles write out once more
_DTYPE_MODULE = "".join(("tor", "ch"))


class _ClassRepr:
    """Shows a storage type's global as Python shows the class (``<class 'torch.X'>``)."""

    __slots__ = ("g",)

    def __init__(self, g):
        self.g = g

    def __repr__(self):
        return f"<class '{self.g.module}.{self.g.name}'>"


class _StorageRef:
    """One storage to write; pickles as its persistent id."""

    __slots__ = ("pid", "key", "data", "dtype", "location")

    def __init__(self, key, data, dtype, location, legacy):
        self.key, self.data, self.dtype, self.location = key, data, dtype, location
        if dtype in D._UINT_SHELLS or dtype in D._INT_SHELLS:  # (PyTorch can't save them)
            raise KeyError(f"dtype {dtype} is not recognized")
        name = STORAGE_NAME_OF_DTYPE.get(dtype)
        if name is None:  # no typed storage class (uint16...): bytes, typed by the tensor
            storage_type, numel = TorchGlobal("torch.storage", "UntypedStorage"), data.nbytes
        else:
            storage_type, numel = TorchGlobal("torch", name), data.nbytes // dtype.itemsize
        self.pid = ("storage", storage_type, key, location, numel)
        if legacy:
            self.pid += (None,)  # no view of another storage

    def host_bytes(self):
        """The storage's bytes as a 1-d uint8 NumPy array (copied from the GPU if needed)."""
        return self.data if isinstance(self.data, np.ndarray) else self.data.get()


def _owner(arr):
    """The array that owns the memory ``arr`` looks into (following ``.base``)."""
    kind = np.ndarray if isinstance(arr, np.ndarray) else type(arr)
    owner = arr
    while True:
        b = owner.base
        if isinstance(b, kind):
            owner = b
            continue
        inner = getattr(b, "base", None)  # NumPy's as_strided keeps the array one level down
        if b is not None and isinstance(inner, kind):
            owner = inner
            continue
        return owner


def _block(owner):
    """``(start address, nbytes, uint8 view)`` of the memory block ``owner`` lives in."""
    if owner.base is None:
        if not (owner.flags.c_contiguous or owner.flags.f_contiguous):
            # (memory NumPy laid out in another dims' order, a ufunc's result on a permuted
            # input: one block all the same)
            if isinstance(owner, np.ndarray) and owner.size and min(owner.strides) > 0 and \
                    is_dense(owner.shape, [s // owner.itemsize for s in owner.strides]):
                flat = np.lib.stride_tricks.as_strided(owner, (owner.size,), (owner.itemsize,))
                return _ptr(owner), owner.nbytes, flat.view(np.uint8)
            return None
        return _ptr(owner), owner.nbytes, owner.ravel(order="K").view(np.uint8)
    if isinstance(owner, np.ndarray):
        # Memory from a buffer (np.frombuffer, np.memmap): the whole buffer is the block.
        try:
            buf = np.frombuffer(owner.base, np.uint8)
        except (TypeError, ValueError):
            return None
        return _ptr(buf), buf.nbytes, buf
    return None


class StorageTable:
    """The storages of everything pickled so far, keyed ``'0'``, ``'1'``... in order."""

    def __init__(self, legacy=False):
        self.refs = []
        self._by_block = {}
        self._legacy = legacy

    def _new_ref(self, data, dtype, location):
        ref = _StorageRef(str(len(self.refs)), data, dtype, location, self._legacy)
        self.refs.append(ref)
        return ref

    def tensor_args(self, t):
        """``(storage ref, storage_offset, size, stride)`` for tensor ``t``."""
        arr = t._data
        dtype = t.dtype
        location = t.device.type if t.device.type != "cuda" else f"cuda:{t.device.index or 0}"
        size = tuple(int(s) for s in arr.shape)
        itemsize = dtype.itemsize
        found = self._find(arr, itemsize) if arr.size else self._find_empty(arr, itemsize)
        # The memory of a tensor with the conjugate bit is written as PyTorch holds it: with
        # the values before conjugation (so its imaginary parts negated).
        conj = _conj_memory(t) and arr.dtype.kind in "cf"
        if found is None:
            # Empty, or memory we cannot describe (negative strides...): a contiguous copy.
            flat = xp_of_array(arr).ascontiguousarray(arr).reshape(-1)
            if conj:  # (the values before the conjugate or negative bit, as above)
                meta = _metadata(t)
                flat = flat.conj() if meta.get("conj") else flat
                flat = -flat if meta.get("neg") else flat
            ref = self._new_ref(flat.view(np.uint8), dtype, location)
            # (an empty tensor's strides as it reports them, as PyTorch saves its own)
            if not arr.size:  # (Tensor's own methods: a lazy module's UninitializedParameter
                # refuses its overrides)
                return ref, Tensor.storage_offset(t), size, tuple(Tensor.stride(t))
            return ref, 0, size, contiguous_strides(size)
        (start, nbytes, raw), offset, strides = found
        if not arr.size:  # (its offset and strides as it reports them: NumPy's pointer of an
            offset, strides = Tensor.storage_offset(t), tuple(Tensor.stride(t))  # empty slice
            # stays put)
        key = (start, nbytes, location)
        entry = self._by_block.get(key)
        if entry is None:
            if conj:  # (the block is a complex tensor's: the odd parts are imaginary)
                parts = raw.view(arr.real.dtype).copy()
                parts[1::2] *= -1
                raw = parts.view(np.uint8)
            entry = self._by_block[key] = (self._new_ref(raw, dtype, location), dtype)
        elif entry[1] is not dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data "
                               "as different types")
        return entry[0], offset, size, strides

    def storage_ref(self, storage):
        """The ref of a storage saved by itself (shared with tensors on the same memory).
        An UntypedStorage is saved as bytes (PyTorch loads either back as a uint8
        TypedStorage)."""
        if isinstance(storage, TypedStorage) and storage.dtype not in STORAGE_NAME_OF_DTYPE:
            # (PyTorch has no storage class to name: uint16, float8...)
            raise KeyError(f"dtype {storage.dtype} is not recognized")
        typed = storage if isinstance(storage, TypedStorage) else TypedStorage._wrap(
            storage, D.uint8)
        ref, offset, _, _ = self.tensor_args(typed._as_tensor())
        if offset or ref.data.nbytes != typed._nbytes():  # a part of a larger block
            t = typed._as_tensor()
            location = "cpu" if t.device.type == "cpu" else f"cuda:{t.device.index or 0}"
            ref = self._new_ref(typed._untyped_storage._data, typed.dtype, location)
        return ref

    @staticmethod
    def _find(arr, itemsize):
        block = _block(_owner(arr))
        if block is None:
            return None
        start, nbytes, _ = block
        strides = arr.strides
        if nbytes % itemsize or any(s < 0 or s % itemsize for s in strides):
            return None
        lo = _ptr(arr)
        hi = lo + sum((n - 1) * s for n, s in zip(arr.shape, strides)) + itemsize
        if lo < start or hi > start + nbytes or (lo - start) % itemsize:
            return None
        return block, (lo - start) // itemsize, tuple(s // itemsize for s in strides)

    @staticmethod
    def _find_empty(arr, itemsize):
        """As ``_find`` for an empty tensor: PyTorch saves one that views another's memory
        (``base[4:]``, ``base.view(0, 3)``) with that memory's storage, as it saves the rest."""
        block = _block(_owner(arr))
        if block is None or block[1] % itemsize:
            return None
        offset = _ptr(arr) - block[0]
        if not 0 <= offset <= block[1] or offset % itemsize:
            return None
        return block, offset // itemsize, contiguous_strides(tuple(arr.shape))




def _user_state(t):
    """Attributes a user set on a tensor (ember's own bookkeeping is left out)."""
    # (a Buffer's ``persistent`` and ``_is_buffer`` marks are saved, as PyTorch saves them)
    return {k: v for k, v in t.__dict__.items()
            if not hasattr(Tensor, k) and k not in _OWN_STATE}


# ember's bookkeeping in a tensor's ``__dict__`` (the conjugate and negative bits are saved as
# PyTorch saves them: in the tensor's metadata, see ``_metadata``)
_OWN_STATE = frozenset(("_storage_root", "_conj", "_neg", "_replay", "_detached_at",
                        "_resize_store", "_stands_for", "_numpy_memory", "_numpy_strides",
                        "_zero_tensor", "_snapshot", "_empty_offset"))


def _warn_if_has_hooks(t):
    """PyTorch's warning for each backward hook of a saved tensor (hooks are not saved)."""
    node = t._grad_fn if t._grad_fn is not None else t._accumulator
    hooks = getattr(node, "_tensor_hooks", None)
    if not hooks:
        return
    for hook in hooks.get(0 if t._grad_fn is None else t._output_nr, {}).values():
        if not hasattr(hook, "__torch_unserializable__"):
            # (at a line of ember's, as PyTorch's at its own: the default filter shows it once)
            warnings.warn(f"backward hook {hook!r} on tensor will not be serialized.  If this "
                          "is expected, you can decorate the function with "
                          "@torch.utils.hooks.unserializable_hook to suppress this warning",
                          stacklevel=1)


def _conj_memory(t) -> bool:
    """Whether ``t`` views the memory of a tensor with the conjugate bit (ember keeps the
    conjugated values there; PyTorch's memory holds the values before conjugation)."""
    while t is not None:
        if getattr(t, "__dict__", {}).get("_conj", False):
            return True
        t = getattr(t, "_base", None)  # (a quantized tensor's raw values have none)
    return False


def _metadata(t):
    """PyTorch's tensor metadata: the conjugate and negative bits that are set."""
    from .._ops.complex import is_conj, is_neg

    meta = {}
    if t.dtype.is_complex and is_conj(t):
        meta["conj"] = True
    if is_neg(t):
        meta["neg"] = True
    return meta


# Where ember's classes and functions are public, with the PyTorch name of each namespace:
# a whole pickled model names ``torch.nn.Linear`` (which PyTorch resolves), not ember's module.
_PUBLIC = (("ember.nn", "torch.nn"), ("ember.nn.functional", "torch.nn.functional"),
           ("ember.nn.init", "torch.nn.init"), ("ember.nn.utils.rnn", "torch.nn.utils.rnn"),
           ("ember.optim", "torch.optim"),
           ("ember.optim.lr_scheduler", "torch.optim.lr_scheduler"),
           ("ember.utils.data", "torch.utils.data"), ("ember.amp", "torch.amp"),
           ("ember.distributions", "torch.distributions"),
           ("ember.vision.models", "torchvision.models"),
           ("ember.vision.transforms", "torchvision.transforms"),
           ("ember.vision.datasets", "torchvision.datasets"), ("ember", "torch"))
_TORCH_PATHS: dict = {}
_MIRRORED = ("ember.nn.modules.", "ember.optim.", "ember.utils.data.", "ember.distributions.",
             "ember.amp.")


def torch_path(obj):
    """``(module, name)`` under which PyTorch knows ember's class or function ``obj``."""
    key = id(obj)
    path = _TORCH_PATHS.get(key)
    if path is None:
        import importlib
        import sys

        from .._compat import _HOME_OF, EMBER_MODULE, _public_module

        name = getattr(obj, "__qualname__", None) or obj.__name__
        module = EMBER_MODULE.get(obj, obj.__module__)
        if isinstance(obj, type) and "." not in name and _HOME_OF.get(name) and \
                not module.startswith("ember.vision"):
            # (a class PyTorch defines elsewhere than ember: where, as ``ember run`` names it)
            path = (_HOME_OF[name], name)
            _TORCH_PATHS[key] = path
            return path
        if (isinstance(obj, type) or module.startswith(_MIRRORED[3:])) and \
                module.startswith(_MIRRORED) and "." not in name and \
                _public_module(module) == module:
            # A module's, an optimizer's or a dataset's class: where PyTorch defines it
            # (``torch.nn.modules.linear``), the name that ``torch.save(model)`` writes
            # (there, ember's modules mirror PyTorch's; distributions' and amp's functions too)
            path = ("torch" + module[len("ember"):], name)
            _TORCH_PATHS[key] = path
            return path
        for ours, theirs in _PUBLIC:
            try:
                mod = sys.modules.get(ours) or importlib.import_module(ours)
            except ImportError:
                continue
            if "." not in name and _exports(getattr(mod, name, None), obj):
                path = (theirs, name)
                break
        else:  # not exported: the module of the same path in PyTorch (or torchvision)
            if module.startswith("ember.vision"):
                path = ("torchvision" + module[len("ember.vision"):], name)
            else:
                path = ("torch" + module[len("ember"):], name)
        _TORCH_PATHS[key] = path
    return path


def _exports(public, obj) -> bool:
    """Whether the public attribute ``public`` is ``obj``, or a wrapper of it (ember wraps some
    public functions: argument checks, ``__torch_function__`` dispatch)."""
    while public is not None:
        if public is obj:
            return True
        public = getattr(public, "__wrapped__", None)
    return False


class TorchPickler(pickle._Pickler):
    """Pickles like ``torch.save``'s pickler, for ember tensors (see the module doc)."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol, storages: StorageTable):
        from .. import strided

        super().__init__(file, protocol)
        self.storages = storages
        self._strided = strided

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            pid = obj.pid
        elif isinstance(obj, (TypedStorage, UntypedStorage)):  # a storage saved on its own
            pid = self.storages.storage_ref(obj).pid
            if isinstance(obj, UntypedStorage):  # (PyTorch names its class, numel in bytes)
                pid = (pid[0], TorchGlobal("torch.storage", "UntypedStorage"), *pid[2:])
        else:
            return None
        # A new tuple each time, as PyTorch's persistent_id returns: a storage used again is
        # written as a tuple again (its items are memoized), not as a memo reference.
        pid = (*pid,)
        if self.proto == 0:  # (a text id, as PyTorch's shows it: the storage type as a class)
            pid = (pid[0], _ClassRepr(pid[1]), *pid[2:])
        # NOTE: protocol 0 writes persistent ids as text; PyTorch saves such a file (without
        # a word) and only fails when loading it, with an AssertionError: ember does the same.
        return pid

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            if obj.is_quantized:  # PyTorch's form: raw values, then the quantizer's params
                raw, qparams = obj._save_form()
                ref, offset, size, stride = self.storages.tensor_args(raw)
                return TorchGlobal("torch._utils", "_rebuild_qtensor"), \
                    (ref, offset, size, stride, qparams, False, collections.OrderedDict())
            if obj.is_sparse or obj._compressed:  # PyTorch's form: indices, values, size,
                # coalesced (compressed layouts: compressed and plain indices, values, size)
                if isinstance(obj, Parameter):  # (that form, in a parameter)
                    inner = _Reduced(TorchGlobal("torch._utils", "_rebuild_sparse_tensor"),
                                     super(Parameter, obj).__reduce_ex__(2)[1])
                    return REBUILD_PARAMETER, (inner, obj.requires_grad,
                                               collections.OrderedDict())
                return TorchGlobal("torch._utils", "_rebuild_sparse_tensor"), \
                    obj.__reduce_ex__(2)[1]
            return self._reduce_tensor(obj)
        if type(obj) is _Reduced:
            return obj.func, obj.args
        if type(obj) is Size:
            return TorchGlobal("torch", "Size"), (tuple(obj),)
        if type(obj) is device:
            # NOTE: PyTorch's device gives a new string each time it is pickled, so equal
            # type names of different devices are each written out, never memo references
            kind = obj.type.encode().decode()
            args = (kind,) if obj.index is None else (kind, obj.index)
            return TorchGlobal("torch", "device"), args
        if type(obj) is type(self._strided):  # a layout: strided or sparse_coo
            return TorchGlobal("torch.serialization", "_get_layout"), (repr(obj),)
        return NotImplemented

    def _tensor_v2(self, t, requires_grad):
        if t.device.type == "meta":  # (no bytes: PyTorch saves the shape alone, unshared)
            return _Reduced(REBUILD_META, (t.dtype, tuple(int(s) for s in t.shape),
                                           tuple(t.stride()), bool(requires_grad)))
        ref, offset, size, stride = self.storages.tensor_args(t)
        meta = _metadata(t)
        meta = (meta,) if meta else ()  # (as PyTorch: only when a bit is set)
        if t.dtype not in STORAGE_NAME_OF_DTYPE:  # (as PyTorch: v3 names the dtype itself)
            return _Reduced(REBUILD_V3, (ref, offset, size, stride, bool(requires_grad),
                                         collections.OrderedDict(), t.dtype, *meta))
        return _Reduced(REBUILD_V2, (ref, offset, size, stride, bool(requires_grad),
                                     collections.OrderedDict(), *meta))

    def _reduce_tensor(self, t):
        _warn_if_has_hooks(t)
        state = _user_state(t)
        if isinstance(t, Parameter):
            inner = self._tensor_v2(t, False)
            hooks = collections.OrderedDict()
            if type(t) is Parameter and not state:
                return REBUILD_PARAMETER, (inner, t.requires_grad, hooks)
            if type(t) is Parameter:
                return REBUILD_PARAMETER_STATE, (inner, t.requires_grad, hooks, state)
        plain = type(t) in (Tensor, Buffer)
        inner = self._tensor_v2(t, t.requires_grad)
        if plain and not state:
            return inner.func, inner.args
        new_type = TorchGlobal("torch", "Tensor") if plain else type(t)
        return REBUILD_FROM_TYPE, (inner.func, new_type, inner.args, state)

    def _write_global(self, module, name):
        """``module.name`` as Python's pickler writes a global: protocol 4 and up push the
        two strings (one string object per module, as each module's ``__name__``: written
        once, then memo references) for ``STACK_GLOBAL``; lower ones write ``GLOBAL``."""
        if self.proto >= 4:
            self.save(module if module is _DTYPE_MODULE else sys.intern(module))
            self.save(sys.intern(name))
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("utf-8"))

    def save_torch_global(self, obj):
        self._write_global(obj.module, obj.name)
        self.memoize(obj)
    dispatch[TorchGlobal] = save_torch_global

    def save_dtype(self, obj):
        # (a qscheme's module is torch's name; a dtype's, another string object "torch")
        self.save(TorchGlobal("torch" if type(obj) is _qscheme else _DTYPE_MODULE, obj.name))

    def save_memory_format(self, obj):
        # A global of torch's, which pickle protocols below 4 cannot find (PyTorch's pickler
        # then fails on the module it finds instead)
        if self.proto < 4:
            raise TypeError("cannot pickle 'module' object")
        # NOTE: PyTorch's pickler finds ``torch.channels_last`` through the first module that
        # has ``torch`` as an attribute, torch._utils, and writes it so
        self.save(TorchGlobal("torch._utils", repr(obj)))
    dispatch[memory_format] = save_memory_format
    dispatch[D.dtype] = save_dtype
    dispatch[D._QDtype] = save_dtype
    dispatch[_qscheme] = save_dtype  # (torch.per_tensor_affine... are globals too)
    for _t in (D._LazyBFloat16, D._LazyFloat8, D._ShellDtype, D._BitsDtype):  # (lazy ones)
        dispatch[_t] = save_dtype

    def save_global(self, obj, name=None):
        """Classes and functions of ember's under their PyTorch names (see ``torch_path``)."""
        from .._compat import EMBER_MODULE

        module = getattr(obj, "__module__", None) or ""
        if name is None and (module == "ember" or module.startswith("ember.") or
                             (isinstance(obj, type) and obj in EMBER_MODULE)):
            path = torch_path(obj)
            self._write_global(path[0], path[1])
            self.memoize(obj)
            return
        qualname = getattr(obj, "__qualname__", None)
        if name is None and module.split(".")[0] in ("torch", "torchvision") and \
                isinstance(qualname, str) and "." not in qualname and \
                getattr(sys.modules.get(module), qualname, None) is not obj:
            # An ember class named after PyTorch's (``torch.return_types.max``) in a process
            # where that name is PyTorch's own: written under the name, as PyTorch writes it.
            self._write_global(module, qualname)
            self.memoize(obj)
            return
        try:
            super().save_global(obj, name)
        except pickle.PicklingError:
            # NOTE: PyTorch pickles with the C pickler, whose error for (say) a lambda defined
            # in a function is an AttributeError ("Can't pickle local object ..."): raise that.
            pickle.dumps(obj, self.proto)
            raise
    dispatch[type(torch_path)] = save_global  # Python functions (classes come through save_type)

