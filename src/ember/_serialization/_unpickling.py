"""The two unpicklers that read a checkpoint's ``data.pkl``.

A checkpoint's pickle names PyTorch's globals (``torch._utils._rebuild_tensor_v2``,
``torch.FloatStorage``, ``torch.Size``, ``torch.float16``...).  Both unpicklers map
each such name to ember's counterpart (``_rebuild.torch_globals``), so nothing
here imports ``torch``.

- :class:`WeightsUnpickler` (``weights_only=True``) is a pure-Python unpickler whose
  risky opcodes are all checked: a global must be on the allowlist (tensors,
  parameters, storages, dtypes, devices, ``torch.Size``, ``OrderedDict`` and plain
  containers, plus what the user added with ``add_safe_globals``); only
  allowlisted callables are ever called; ``BUILD`` only updates ``OrderedDict``
  attributes (a state dict's ``_metadata``) or user-allowlisted objects;
  container opcodes only touch real containers; only protocol 2's opcodes are
  read (PyTorch's weights-only unpickler reads no others).  Anything else raises
  ``pickle.UnpicklingError`` naming what was refused, before it runs.
- :class:`FullUnpickler` (``weights_only=False``) is Python's ordinary unpickler
  with ``torch.*`` names redirected to ember; it can run arbitrary code and is
  only for trusted files.
"""
from __future__ import annotations

import _compat_pickle
import collections
import io
import operator
import pickle
import struct
import warnings

from ..nn.parameter import Parameter
from ._rebuild import _codecs_encode, _torch_globals


# Plain-container globals that weights-only loading allows besides PyTorch's tensor globals:
# exactly the ones PyTorch allows (NOTE: PyTorch refuses ``frozenset`` and ``slice`` by
# default although ``set`` and ``complex`` load; ember refuses them too, so that a file that
# loads with ember loads with PyTorch; ``add_safe_globals([frozenset])`` allows them).
_SAFE_BUILTINS = {
    "collections.OrderedDict": collections.OrderedDict,
    "collections.Counter": collections.Counter,
    "builtins.set": set,
    "builtins.bytearray": bytearray,
    "builtins.complex": complex,
    "_codecs.encode": _codecs_encode,
}

# The entries of ``ember.serialization.add_safe_globals`` (a set, as PyTorch's: each once),
# checked only when a load needs them, as PyTorch's
MARKED: dict = {}
# Set by ``ember.serialization``: the ``(name, object)`` pairs of a class or function entry
entry_names = None


def user_globals() -> dict:
    """PyTorch's ``_get_user_allowed_globals``: name -> object of the marked entries."""
    rc = {}
    for f in MARKED:
        if isinstance(f, tuple):
            if len(f) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(f)}")
            if type(f[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(f[1])}")
            rc[f[1]] = f[0]
        else:
            _ = f.__module__, f.__qualname__  # (PyTorch's AttributeError for other objects)
            rc.update(entry_names(f))
    return rc


def global_name(obj) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', None) or obj.__name__}"


# -- the unpicklers -------------------------------------------------------------------------

def _compat_names(module, name, proto):
    # Protocol-2 pickles may use Python 2 names (``__builtin__.set``).
    if proto < 3:
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
    return module, name


def unsupported_global_message(full_path):
    if full_path.startswith("builtins."):  # (named as Python code names it: ``frozenset``)
        full_path = full_path[len("builtins."):]
    # (PyTorch's words: weights_only=True loads only tensors, parameters, storages, dtypes,
    # devices, torch.Size, plain containers and what was allowlisted)
    return (f"Unsupported global: GLOBAL {full_path} was not an allowed global by default. "
            f"Please use `torch.serialization.add_safe_globals([{full_path}])` or the "
            f"`torch.serialization.safe_globals([{full_path}])` context manager to allowlist "
            "this global if you trust this class/function.")


class WeightsUnpickler(pickle._Unpickler):
    """The restricted unpickler behind ``load(..., weights_only=True)`` (see the module doc)."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, *, persistent_load, encoding="utf-8", **kwargs):
        if kwargs:  # (PyTorch's weights-only unpickler takes no other argument)
            raise TypeError(f"Unpickler.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        super().__init__(file, encoding=encoding)
        read = self._file_read

        def read_bytes(n):  # (a file of text: PyTorch's words, not pickle's bare assertion)
            data = read(n)
            if data and not isinstance(data, (bytes, bytearray)):
                raise AssertionError(f"Expected bytes, got {type(data).__name__}")
            return data
        self._file_read = read_bytes
        self._persistent_load = persistent_load
        self._allowed = {**_SAFE_BUILTINS, **_torch_globals()}
        self._callables = {id(v) for v in self._allowed.values() if callable(v)}
        self._user_types = ()
        self._user = None  # (the allowlisted globals, read when a global is not a default)

    def persistent_load(self, pid):
        if self._persistent_load is None:  # (a legacy file's header pickles)
            raise pickle.UnpicklingError("unexpected persistent id in a checkpoint header")
        # (PyTorch's weights-only unpickler's checks come first)
        if type(pid) is not tuple and type(pid) is not int:
            raise pickle.UnpicklingError(f"persistent_load id must be tuple or int, but got "
                                         f"{type(pid)}")
        if type(pid) is tuple and pid and (pid[0].decode("ascii") if isinstance(
                pid[0], bytes) else pid[0]) != "storage":
            raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, but got "
                                         f"{type(pid[0])}")
        return self._persistent_load(pid)

    def find_class(self, module, name):
        module, name = _compat_names(module, name, self.proto)
        full = f"{module}.{name}"
        if module in ("sys", "os", "posix", "nt"):  # (never allowed, as in PyTorch)
            raise pickle.UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose "
                                         f"module {module} is blocked.")
        obj = self._allowed.get(full)
        if obj is None:
            if self._user is None:
                self._user = user_globals()
                self._callables |= {id(v) for v in self._user.values() if callable(v)}
                self._user_types = tuple(v for v in self._user.values() if isinstance(v, type))
            obj = self._user.get(full)
        if obj is None:
            raise pickle.UnpicklingError(unsupported_global_message(full))
        return obj

    # NOTE: as PyTorch's weights-only unpickler, a damaged pickle fails with the error of
    # what went wrong (an EOFError, a KeyError for a missing memo entry, an IndexError for an
    # empty stack...): only what it refuses is an UnpicklingError.

    def load_binget(self):
        self.append(self.memo[self.read(1)[0]])  # (a KeyError, not Python's UnpicklingError)
    dispatch[pickle.BINGET[0]] = load_binget

    def load_long_binget(self):
        self.append(self.memo[struct.unpack("<I", self.read(4))[0]])
    dispatch[pickle.LONG_BINGET[0]] = load_long_binget

    def _call(self, func, args, kwargs=None):
        if id(func) not in self._callables:
            raise pickle.UnpicklingError(f"Trying to call reduce for unrecognized function "
                                         f"{func!r}: only allowlisted globals may be called")
        if not isinstance(args, tuple):
            raise pickle.UnpicklingError("REDUCE arguments must be a tuple")
        return func(*args, **(kwargs or {}))

    def load_reduce(self):
        args = self.stack.pop()
        self.stack[-1] = self._call(self.stack[-1], args)
    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._new(cls, args, {}))
    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def _new(self, cls, args, kwargs):
        if cls is Parameter:
            return Parameter(*args, **kwargs)
        if cls in (collections.OrderedDict, collections.Counter, set, frozenset, bytearray) \
                or cls in self._user_types:
            return cls.__new__(cls, *args, **kwargs)
        raise pickle.UnpicklingError(f"Can only create new objects of nn.Parameter, containers "
                                     f"or classes allowlisted with add_safe_globals, but got "
                                     f"{cls!r}")

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) in (collections.OrderedDict, collections.Counter):
            # A state dict's ``_metadata`` (module versions) arrives this way.
            if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
                raise pickle.UnpicklingError("unexpected state for an OrderedDict")
            inst.__dict__.update(state)
        elif type(inst) in self._user_types:
            self.stack.append(state)
            super().load_build()
        else:
            raise pickle.UnpicklingError(f"Can only build OrderedDict or types allowlisted via "
                                         f"add_safe_globals, but got {type(inst)}")
    dispatch[pickle.BUILD[0]] = load_build

    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self._dict(self.stack[-1], "SETITEM")[key] = value
    dispatch[pickle.SETITEM[0]] = load_setitem

    def load_setitems(self):
        items = self.pop_mark()
        d = self._dict(self.stack[-1], "SETITEMS")
        for i in range(0, len(items), 2):
            d[items[i]] = items[i + 1]
    dispatch[pickle.SETITEMS[0]] = load_setitems

    @staticmethod
    def _dict(obj, opcode):
        if type(obj) not in (dict, collections.OrderedDict, collections.Counter):
            raise pickle.UnpicklingError(f"Can only {opcode} for dict, collections.OrderedDict, "
                                         f"collections.Counter, but got {type(obj)}")
        return obj

    def load_append(self):
        value = self.stack.pop()
        self._list(self.stack[-1]).append(value)
    dispatch[pickle.APPEND[0]] = load_append

    def load_appends(self):
        items = self.pop_mark()
        self._list(self.stack[-1], "extend").extend(items)
    dispatch[pickle.APPENDS[0]] = load_appends

    @staticmethod
    def _list(obj, verb="append to"):
        if type(obj) is not list:
            raise pickle.UnpicklingError(f"Can only {verb} lists, but got {type(obj)}")
        return obj

    def load_proto(self):
        proto = self.read(1)[0]  # (unchecked, as PyTorch's: its own opcodes are what fails)
        self.proto = proto
        if proto != 2:  # (PyTorch's warning; protocols 3+ then fail on their own opcodes)
            # (shown at ember's line calling ``load()``, as PyTorch's at its own)
            warnings.warn(f"Detected pickle protocol {proto} in the checkpoint, which was not "
                          "the default pickle protocol used by `torch.load` (2). The "
                          "weights_only Unpickler might not support all instructions "
                          "implemented by this protocol, please file an issue for adding "
                          "support if you encounter this.", UserWarning, stacklevel=3)
    dispatch[pickle.PROTO[0]] = load_proto

    # NOTE: as PyTorch's weights-only unpickler, only the opcodes ``torch.save``'s protocol 2
    # uses are read: other protocols' (4's FRAME, MEMOIZE, STACK_GLOBAL...), text opcodes,
    # extension codes and text persistent ids fail with "Unsupported operand", so a file that
    # loads here also loads with PyTorch.
    _OPCODES = {getattr(pickle, name)[0] for name in (
        "GLOBAL", "NEWOBJ", "REDUCE", "BUILD", "APPEND", "APPENDS", "SETITEM", "SETITEMS",
        "MARK", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "NONE", "NEWFALSE", "NEWTRUE",
        "EMPTY_TUPLE", "EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET", "BININT", "BININT1",
        "BININT2", "BINFLOAT", "BINUNICODE", "SHORT_BINSTRING", "BINPERSID", "BINGET",
        "LONG_BINGET", "BINPUT", "LONG_BINPUT", "LONG1", "PROTO", "STOP")}

    @staticmethod
    def _refuser(code):
        def refuse(self):
            # (only the opcodes of PyTorch's default pickle protocol 2 are read)
            raise pickle.UnpicklingError(f"Unsupported operand {code}")
        return refuse

    for _code in range(256):
        if _code not in _OPCODES:
            dispatch[_code] = _refuser.__func__(_code)
    del _code


class FullUnpickler(pickle.Unpickler):
    """Python's unpickler with ``torch.*`` globals mapped to ember (``weights_only=False``)."""

    def __init__(self, file, *, persistent_load, **kwargs):
        super().__init__(file, **kwargs)
        # (None: none at all, as for the header pickles of a legacy file, which PyTorch reads
        # with a plain ``pickle.load``: a persistent id there fails before it is read)
        if persistent_load is not None:
            self.persistent_load = persistent_load

    def find_class(self, module, name):
        module, name = _compat_names(module, name, 2)
        if name.startswith(("torch.", "torchvision.")):
            # (a protocol-4 global found through a module's ``torch`` attribute: PyTorch
            # writes ``torch.channels_last`` as ``torch._utils`` + ``torch.channels_last``)
            module, name = name.rsplit(".", 1)
        obj = _torch_globals().get(f"{module}.{name}")
        if obj is not None:
            return obj
        if module == "torch" or module.startswith("torch."):
            return _ember_equivalent(module, name)
        if module == "torchvision" or module.startswith("torchvision."):
            return _ember_equivalent("torch.vision" + module[len("torchvision"):], name)
        return super().find_class(module, name)


def _ember_equivalent(module, name):
    """``torch.nn.modules.linear.Linear`` -> ``ember.nn.modules.linear.Linear`` (or ember.nn's)."""
    import importlib

    candidates = ["ember" + module[len("torch"):]]
    parts = module.split(".")
    for i in range(len(parts) - 1, 0, -1):
        candidates.append(".".join(["ember", *parts[1:i]]))
    for mod_name in candidates:
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        try:
            return operator.attrgetter(name)(mod)
        except AttributeError:
            continue
    raise pickle.UnpicklingError(f"ember has no counterpart of {module}.{name}, which this "
                                 "checkpoint needs (whole PyTorch objects other than tensors "
                                 "and containers cannot be loaded; save a state_dict instead)")


def scan_globals(data: bytes):
    """The ``module.name`` globals a pickle refers to (without running it)."""
    import pickletools

    found, strings = [], []
    for op, arg, _ in pickletools.genops(io.BytesIO(data)):
        if op.name in ("GLOBAL", "INST"):
            module, name = arg.split(" ", 1)
            found.append(".".join(_compat_names(module, name, 2)))
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.append(f"{strings[-2]}.{strings[-1]}")
        if isinstance(arg, str):
            strings.append(arg)
    return found

