"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList`` and
``ParameterDict``."""
from __future__ import annotations

import collections
import collections.abc

import itertools
import operator
import warnings
from collections import OrderedDict

from ..._tensor import Tensor
from ..parameter import Parameter
from .module import Module, _addindent

__all__ = ["Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict"]


class Container(Module):
    """The deprecated ancestor of ``Module``: keyword arguments become submodules."""

    def __init__(self, **kwargs):
        super().__init__()
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented "
                      "in `nn.Module`. Subclass that instead.", FutureWarning, stacklevel=2)
        for name, module in kwargs.items():
            self.add_module(name, module)


def _index(idx, n):
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range")
    return idx % n


class _Indexed(Module):
    """What ``Sequential`` and ``ModuleList`` share: modules keyed "0", "1", ... in order."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __delitem__(self, idx):
        keys = list(self._modules.keys())
        doomed = keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys))]]
        for key in doomed:
            del self._modules[key]
        # PyTorch renumbers the remaining modules to keep the indices contiguous.
        self._renumber(list(self._modules.values()))

    def _renumber(self, items):
        # (as PyTorch, a new OrderedDict replaces ``_modules``: it prints as one after that)
        self.__dict__["_modules"] = OrderedDict((str(i), m) for i, m in enumerate(items))


class Sequential(_Indexed):
    """Modules applied one after the other: ``Sequential(nn.Linear(4, 8), nn.ReLU())``."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(idx, len(self))]

    def __setitem__(self, idx, module):
        key = list(self._modules.keys())[_index(idx, len(self))]
        setattr(self, key, module)

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        out = Sequential()
        for m in list(self) + list(other):
            out.append(m)
        return out

    def __iadd__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        offset = len(self)
        for i, m in enumerate(other):
            self.add_module(str(i + offset), m)
        return self

    def _check_factor(self, n):
        if not isinstance(n, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(n)}")
        if n <= 0:
            raise ValueError(f"Non-positive multiplication factor {n} for {type(self)}")

    def __mul__(self, n):
        self._check_factor(n)
        out = Sequential()
        for _ in range(n):
            for m in self:
                out.append(m)
        return out

    def __rmul__(self, n):
        return self.__mul__(n)

    def __imul__(self, n):
        self._check_factor(n)
        n_orig = offset = len(self)
        for _ in range(n - 1):
            for i in range(n_orig):
                self.add_module(str(i + offset), self._modules[str(i)])
            offset += n_orig
        return self

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        # as PyTorch, by shifting the numbered keys up (a named module's key stays)
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def extend(self, sequential):
        for m in sequential:
            self.append(m)
        return self

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]


class ModuleList(_Indexed):
    """A list of modules, registered so their parameters are found."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self)))]

    def __setitem__(self, idx, module):
        setattr(self, str(_index(idx, len(self))), module)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __delitem__(self, idx):
        # (by position, as PyTorch: the names "0", "1", ... whatever the keys are)
        names = [str(k) for k in range(len(self._modules))[idx]] if isinstance(idx, slice) \
            else [str(_index(idx, len(self)))]
        for name in names:
            delattr(self, name)
        self._renumber(list(self._modules.values()))

    def __add__(self, other):
        out = ModuleList()
        for m in itertools.chain(self, other):  # (lazily, as PyTorch: its errors come in turn)
            out.append(m)
        return out

    def insert(self, index, module):
        # PyTorch's loop, shifting the numbered keys up from ``index`` (a negative index or
        # one past the end is not normalised there: KeyError, or a key past the end)
        for i in range(len(self._modules), index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def extend(self, modules):
        if not isinstance(modules, collections.abc.Iterable):  # (a str or tensor iterates)
            raise TypeError("ModuleList.extend should be called with an iterable, but got " +
                            type(modules).__name__)
        offset = len(self)
        for i, m in enumerate(modules):
            self.add_module(str(offset + i), m)
        return self

    def __repr__(self):
        # Runs of identical modules fold into one line: ``(0-1): 2 x Linear(...)``.
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        lines = []
        start = 0
        for i in range(1, len(reprs) + 1):
            if i < len(reprs) and reprs[i] == reprs[start]:
                continue
            body = _addindent(reprs[start], 2)
            if i - start == 1:
                lines.append(f"({start}): {body}")
            else:
                lines.append(f"({start}-{i - 1}): {i - start} x {body}")
            start = i
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]


class ModuleDict(Module):
    """An ordered dict of modules."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        # (as PyTorch, only a mapping gives items: a ParameterDict iterates its keys)
        mapping = isinstance(modules, (ModuleDict, collections.abc.Mapping))
        items = modules.items() if mapping else modules
        for k, v in _pairs(items, "ModuleDict", "ModuleDict"):
            self[k] = v


def _pairs(items, cls, element_cls):
    """The ``(key, value)`` pairs of a ``ModuleDict``/``ParameterDict.update`` argument,
    checked as PyTorch checks them."""
    if not isinstance(items, collections.abc.Iterable):
        raise TypeError(f"{cls}.update should be called with an iterable of key/value pairs, "
                        f"but got {type(items).__name__}")
    for j, kv in enumerate(items):
        if not isinstance(kv, collections.abc.Iterable):
            raise TypeError(f"{element_cls} update sequence element #{j} should be Iterable; "
                            f"is{type(kv).__name__}")
        if len(kv) != 2:  # (len and indexing, as PyTorch: a generator pair fails here)
            raise ValueError(f"{element_cls} update sequence element #{j} has length "
                             f"{len(kv)}; 2 is required")
        value = kv[1]  # (PyTorch's ``self[p[0]] = p[1]`` reads the value first)
        yield kv[0], value


class ParameterList(Module):
    """A list of parameters (plain tensors are wrapped as ``Parameter``)."""

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(len(self))[idx]])
        return getattr(self, str(_index(idx, len(self))))

    def __setitem__(self, idx, param):
        idx = _index(idx, len(self))
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        setattr(self, str(idx), param)

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __iadd__(self, params):
        return self.extend(params)

    def append(self, value):
        n = self._size
        self._size += 1
        self[n] = value
        return self

    def extend(self, values):
        if isinstance(values, Tensor) or not isinstance(values, collections.abc.Iterable):
            raise TypeError("ParameterList.extend should be called with an iterable, but got " +
                            type(values).__name__)
        for v in values:
            self.append(v)
        return self

    def extra_repr(self):
        lines = []
        for k, p in enumerate(self):
            if isinstance(p, Tensor):
                size = "x".join(str(s) for s in p.size())
                kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
                dev = f" ({p.device})" if p.device.type == "cuda" else ""  # (not meta, not cpu)
                lines.append(f"  ({k}): {kind} containing: [{p.dtype} of size {size}{dev}]")
            else:
                lines.append(f"  ({k}): Object of type: {type(p).__name__}")
        return "\n".join(lines)


def _str_key(key):
    if not isinstance(key, str):
        raise TypeError("Index given to ParameterDict cannot be used as a key as it is not a "
                        f"string (type is '{type(key).__name__}'). Open an issue on github if "
                        "you need non-string keys.")
    return key


class ParameterDict(Module):
    """An ordered dict of parameters."""

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return getattr(self, _str_key(key))

    def __setitem__(self, key, value):
        self._keys[key] = None  # (first, as in PyTorch: a bad key stays listed after the error)
        _str_key(key)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, key, value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, _str_key(key))

    def __reversed__(self):
        return reversed(self._keys)

    def setdefault(self, key, default=None):
        """The value at ``key``, first storing ``default`` there if the key is new."""
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self):
        """Remove and return the most recently inserted ``(key, value)``."""
        if not self._keys:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def fromkeys(self, keys, default=None):
        """A new ParameterDict with each of ``keys`` set to ``default``."""
        return ParameterDict((k, default) for k in keys)

    def copy(self):
        """A new ParameterDict holding the same values (an OrderedDict keeps the order)."""
        return ParameterDict(collections.OrderedDict((k, self[k]) for k in self._keys))

    def clear(self):
        for k in list(self._keys):
            del self[k]

    def __or__(self, other):
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other):
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other):
        self.update(other)
        return self

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def update(self, parameters):
        if isinstance(parameters, (collections.OrderedDict, ParameterDict)):
            items = parameters.items()
        elif isinstance(parameters, collections.abc.Mapping):
            items = sorted(parameters.items())  # NOTE: PyTorch sorts a plain dict's keys
        else:
            items = parameters
        # NOTE: "ParametersDict" is PyTorch's spelling in this one message
        for k, v in _pairs(items, "ParametersDict", "ParameterDict"):
            self[k] = v

    def extra_repr(self):
        lines = []
        for k, p in self.items():
            if isinstance(p, Tensor):
                size = "x".join(str(s) for s in p.size())
                kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
                dev = f" ({p.device})" if p.device.type == "cuda" else ""  # (not meta, not cpu)
                lines.append(f"  ({k}): {kind} containing: [{p.type()} of size {size}{dev}]")
            else:
                lines.append(f"  ({k}): Object of type: {type(p).__name__}")
        return "\n".join(lines)
