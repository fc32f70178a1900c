"""PyTorch's argument parser (``torch/csrc/utils/python_arg_parser.cpp``) for the public
functions and methods written in C++ there: which of an op's signatures a call fits, and
the ``TypeError`` PyTorch raises when it fits none (a wrong type, a missing or unexpected
argument, too many positional ones, or its "invalid combination" message with the list of
signatures).  The ops' own checks of values (a dim out of range...) come after, in ember."""

import operator

import numpy as np

from ._dtype import dtype as _dtype_class
from ._tensor import Tensor

_NUMPY_NAMES = {"dim": ("axis",), "keepdim": ("keepdims",), "input": ("x", "a", "x1"),
                "other": ("x2",)}
_PRINTED = {"Tensor": "Tensor", "int": "int", "SymInt": "int", "int[]": "tuple of ints",
            "bool": "bool", "float": "float", "Scalar": "Number", "ScalarType": "torch.dtype",
            "str": "str", "Tensor[]": "tuple of Tensors", "Generator": "torch.Generator",
            "Layout": "torch.layout", "Device": "torch.device",
            "MemoryFormat": "torch.memory_format", "PyObject*": "object"}
# PyTorch's C++ spellings of the kinds (its signatures as its binary holds them)
_CPP_KINDS = {"int64_t": "int", "c10::string_view": "str", "double": "float"}


class _Param:
    __slots__ = ("name", "kind", "size", "optional", "allow_none", "kw_only", "default",
                 "names", "check", "symint")

    def __init__(self, spec, kw_only):
        kind, _, rest = spec.partition(" ")
        name, eq, default = rest.partition("=")
        self.symint = kind.startswith("SymIntArrayRef")  # (its items read as SymInts)
        self.allow_none = kind.endswith("?") or default == "None"
        kind = kind.rstrip("?")
        if kind.startswith(("SymIntArrayRef", "IntArrayRef")):  # (``IntArrayRef[1]``: int[1])
            kind = "int[" + (kind.partition("[")[2] or "]")
        kind = _CPP_KINDS.get(kind, kind)
        self.size = 0
        if kind.endswith("]"):  # int[], int[1], Tensor[], Tensor[2]
            base, _, n = kind[:-1].partition("[")
            self.size = int(n) if n else 0
            kind = base + "[]"
        self.kind, self.name, self.kw_only = kind, name, kw_only
        self.optional = bool(eq)
        self.default = default if eq else None
        if kind == "int[]" and eq and not default.isdigit():  # (PyTorch takes None for a
            self.allow_none = True  # list of ints whose default is a list, not for ``=1``)
        self.names = (name,) + _NUMPY_NAMES.get(name, ())
        self.check = _CHECKS[kind] if kind != "int[]" or not self.size else _one_or_list

    def printed(self):
        text = f"{_PRINTED[self.kind]} {self.name}"
        return text + (f" = {self.default}" if self.optional else "")


def _is_tensor(obj):
    return isinstance(obj, Tensor) or (
        hasattr(obj, "__torch_function__") and not isinstance(obj, type))


def _is_int(obj, with_bool_tensor=False):
    if isinstance(obj, (int, np.integer)):
        return type(obj) is not bool
    if isinstance(obj, Tensor):
        kind = obj.dtype._kind
        return obj.dim() == 0 and (kind == 1 or with_bool_tensor and kind == 0)
    return False


def _is_index(obj):
    """An item PyTorch takes in a list of ints (anything with ``__index__`` but a bool)."""
    if type(obj) is bool:
        return False
    if isinstance(obj, Tensor):
        return obj.numel() == 1 and obj.dtype._kind <= 1
    if _is_int(obj, True):
        return True
    if not hasattr(type(obj), "__index__"):
        return False
    try:  # (PyTorch calls it: a NumPy array with dimensions refuses)
        operator.index(obj)
    except TypeError:
        return False
    return True


def _is_float(obj):
    if isinstance(obj, (int, float, np.integer, np.floating, np.bool_)):
        return True
    return isinstance(obj, Tensor) and obj.dim() == 0 and not obj.requires_grad


def _int_list(obj, loose=False):
    """A list of ints (its first item checked, as PyTorch does); with ``loose``, one int
    passes too (PyTorch's ``int[1]``)."""
    if isinstance(obj, (tuple, list)):
        return not obj or _is_index(obj[0])
    return loose and _is_index(obj)


def _one_or_list(obj):
    return _int_list(obj, True)


def _is_long(obj):  # (PyTorch's ``THPUtils_checkLong``: an int, not a bool, not a tensor)
    return isinstance(obj, (int, np.integer)) and type(obj) is not bool


def _is_device(obj):
    from ._device import device

    return isinstance(obj, (str, device)) or _is_long(obj)


def _is_layout(obj):
    from . import layout

    return isinstance(obj, layout)


def _is_memory_format(obj):
    from ._ops.shape import memory_format

    return isinstance(obj, memory_format)


def _is_generator(obj):
    from .random import Generator

    return isinstance(obj, Generator)


_CHECKS = {
    "Device": _is_device, "Layout": _is_layout, "MemoryFormat": _is_memory_format,
    "Generator": _is_generator, "PyObject*": lambda obj: True,
    "Tensor": _is_tensor, "int": _is_int, "SymInt": _is_index,
    "bool": lambda obj: type(obj) is bool,
    "int[]": _int_list,
    "float": _is_float,
    "Scalar": lambda obj: _is_float(obj) or isinstance(obj, (complex, np.complexfloating)),
    "ScalarType": lambda obj: isinstance(obj, _dtype_class) or type(obj) is type and obj in (
        int, float, bool, complex),
    "str": lambda obj: isinstance(obj, str),
    "Tensor[]": lambda obj: isinstance(obj, (tuple, list)),
}


class Signature:
    __slots__ = ("params", "max_pos_args", "min_args", "max_args", "text", "varargs", "lists",
                 "ints", "deprecated", "out_dtype")

    def __init__(self, spec):
        spec, _, flag = spec.partition("|")  # (``|deprecated``: parsed, never listed)
        self.deprecated = flag == "deprecated"
        params, kw_only = [], False
        for part in spec.split(", ") if spec else ():
            if part == "*":
                kw_only = True
                continue
            params.append(_Param(part, kw_only))
        self._set(params)

    def _set(self, params):
        self.params = params
        self.max_pos_args = sum(not p.kw_only for p in params)
        self.min_args = sum(not p.optional for p in params)
        self.max_args = len(params)
        self.varargs = self.max_pos_args == 1 and params[0].kind == "int[]"
        self.lists = [(i, p) for i, p in enumerate(params) if p.kind == "int[]" or
                      p.kind == "Tensor[]" and p.size]
        self.ints = [(i, p) for i, p in enumerate(params) if p.kind in ("int", "SymInt")]
        # (the position of an ``out_dtype``, whose overloads have no CPU kernel)
        self.out_dtype = next((i for i, p in enumerate(params) if p.name == "out_dtype"), None)
        out, star = [], False
        for p in params:
            if p.kw_only and not star:
                out.append("*")
                star = True
            out.append(p.printed())
        self.text = "(" + ", ".join(out) + ")"

    def method(self):
        """This signature as a Tensor method's (no ``input``, no ``out``)."""
        m = Signature.__new__(Signature)
        m._set([p for p in self.params[1:] if p.name != "out"])
        m.deprecated = self.deprecated
        return m

    def parse(self, name, args, kwargs, raise_error):
        """Whether the call fits; PyTorch's error for it when ``raise_error``."""
        nargs = len(args)
        if self.varargs and nargs:  # ``t.flip(0, 1)``: the list of ints given loose
            first = self.params[0]
            if not first.check(args[0]) and first.check(args) and not (
                    args[0] is None and first.allow_none):
                return self.parse(name, (args,), kwargs, raise_error)
        if nargs > self.max_pos_args:
            if raise_error:
                self._extra_args(name, nargs)
            return False
        remaining = len(kwargs)
        pos = 0
        for i, p in enumerate(self.params):
            is_kwd = False
            obj = _MISSING
            if pos < nargs:
                if p.kw_only:
                    if raise_error:
                        self._extra_args(name, nargs)
                    return False
                obj = args[pos]
            elif kwargs:
                for key in p.names:
                    if key in kwargs:
                        obj = kwargs[key]
                        break
                is_kwd = True
            if (obj is _MISSING and p.optional) or (obj is None and p.allow_none):
                pass
            elif obj is _MISSING:
                if raise_error:
                    missing = [f'"{q.name}"' for q in self.params[i:] if not q.optional]
                    raise TypeError(f"{name}() missing {len(missing)} required positional "
                                    f"argument{'s' if len(missing) == 1 else ''}: "
                                    f"{', '.join(missing)}")
                return False
            elif not p.check(obj):
                if not raise_error:
                    return False
                kind = _PRINTED[p.kind]
                if is_kwd:
                    raise TypeError(f"{name}(): argument '{p.name}' must be {kind}, not "
                                    f"{_tp_name(obj)}")
                if p.kind == "int[]" and isinstance(obj, (tuple, list)):
                    raise TypeError(f"{name}(): argument '{p.name}' (position {pos + 1}) must "
                                    f"be {kind}, but found element of type "
                                    f"{_tp_name(obj[0])} at pos 0")
                raise TypeError(f"{name}(): argument '{p.name}' (position {pos + 1}) must be "
                                f"{kind}, not {_tp_name(obj)}")
            if not is_kwd:
                pos += 1
            elif obj is not _MISSING:
                remaining -= 1
        if remaining > 0:
            if raise_error:
                for key in kwargs:
                    idx = next((j for j, q in enumerate(self.params) if q.name == key), -1)
                    if idx < 0:
                        raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")
                    if idx < nargs:
                        raise TypeError(f"{name}() got multiple values for argument '{key}'")
                raise TypeError("invalid keyword arguments")
            return False
        return True

    def _extra_args(self, name, nargs):
        top, low = self.max_pos_args, self.min_args
        if low != top:
            raise TypeError(f"{name}() takes from {low} to {top} positional arguments but "
                            f"{nargs} were given")
        raise TypeError(f"{name}() takes {top} positional argument{'' if top == 1 else 's'} "
                        f"but {nargs} {'was' if nargs == 1 else 'were'} given")

    def unpack(self, name, args, kwargs):
        """The checks PyTorch makes as it reads the arguments of the signature it chose: every
        item of a list of ints, and the length of an ``out=`` tuple."""
        for i, p in self.lists:
            if i < len(args) and not p.kw_only:
                obj = args[i]
            else:
                obj = next((kwargs[k] for k in p.names if k in kwargs), None)
            if p.kind == "int[]" and isinstance(obj, (tuple, list)):
                for j, item in enumerate(obj):
                    if p.symint and isinstance(item, Tensor) and item.dtype._kind == 0:
                        raise RuntimeError(_BOOL_ITEM)
                    if type(item) is not bool and not _is_index(item):
                        raise TypeError(
                            f"{name}(): argument '{p.name}' failed to unpack the object at pos "
                            f"{j + 1} with error \"type must be tuple of ints,but got "
                            f"{_tp_name(item)}\"")
            elif p.kind == "int[]" and p.size and obj is not None and not isinstance(
                    obj, Tensor) and not _is_long(obj):  # (an array's ``__index__``: asserts)
                raise RuntimeError(
                    'PyList_Check(arg) INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/torch/csrc/'
                    f'utils/python_arg_parser.h":{573 if p.symint else 658}, please report a bug '
                    'to PyTorch. expected tuple or list')
            elif p.kind == "Tensor[]" and p.size and isinstance(obj, (tuple, list)) and \
                    len(obj) != p.size:
                raise TypeError(f"expected tuple of {p.size} elements but got {len(obj)}")


_MISSING = object()
# (PyTorch's message goes on with where each of these is registered in its own build)
_NO_DTYPE_KERNEL = (
    "Could not run '{0}' with arguments from the 'CPU' backend. This could be because the "
    "operator doesn't exist for this backend, or was omitted during the selective/custom build "
    "process (if using custom build). If you are a Facebook employee using PyTorch on mobile, "
    "please visit https://fburl.com/ptmfixes for possible resolutions. '{0}' is only available "
    "for these backends: [Meta, BackendSelect, Python, FuncTorchDynamicLayerBackMode, "
    "Functionalize, Conjugate, Negative, ZeroTensor, ADInplaceOrView, AutogradOther, "
    "AutogradCPU, AutogradCUDA, AutogradHIP, AutogradXLA, AutogradMPS, AutogradIPU, AutogradXPU, "
    "AutogradHPU, AutogradVE, AutogradLazy, AutogradMTIA, AutogradMAIA, AutogradPrivateUse1, "
    "AutogradPrivateUse2, AutogradPrivateUse3, AutogradMeta, AutogradNestedTensor, Tracer, "
    "AutocastCPU, AutocastMTIA, AutocastMAIA, AutocastXPU, AutocastMPS, AutocastCUDA, "
    "FuncTorchBatched, BatchedNestedTensor, FuncTorchVmapMode, Batched, VmapMode, "
    "FuncTorchGradWrapper, PythonTLSSnapshot, FuncTorchDynamicLayerFrontMode, PreDispatch, "
    "PythonDispatcher].\n")
# (PyTorch reads a bool tensor in a list of ints, then refuses its item)
_BOOL_ITEM = ("Expected scalar.isIntegral( false) to be true, but got false.  (Could this error "
              "message be improved?  If so, please report an enhancement request to PyTorch.)")


def _tp_name(obj):
    from ._ops._core import tp_name

    return tp_name(obj)


class Parser:
    """An op's signatures (in PyTorch's order) and how a call is matched to one of them."""
    __slots__ = ("name", "sigs", "renames")

    def __init__(self, name, sigs, renames=True):
        self.name, self.sigs, self.renames = name, sigs, renames

    def check(self, args, kwargs):
        """PyTorch's TypeError for a call that fits none of the signatures; else the call's
        arguments as ember's function takes them (a loose list of ints packed in a tuple,
        NumPy's names of ``input``/``other`` as PyTorch's)."""
        return self.match(args, kwargs)[1:]

    def match(self, args, kwargs):
        """``check``'s answer, after the signature the call fits."""
        name, sigs = self.name, self.sigs
        if len(sigs) == 1:
            sigs[0].parse(name, args, kwargs, True)
            return (sigs[0],) + self._bind(sigs[0], args, kwargs)
        for sig in sigs:
            if sig.parse(name, args, kwargs, False):
                if sig.out_dtype is not None and (len(args) > sig.out_dtype or
                                                  "out_dtype" in kwargs):
                    kind = "dtype_out" if kwargs.get("out") is not None else "dtype"
                    raise NotImplementedError(_NO_DTYPE_KERNEL.format(f"aten::{name}.{kind}"))
                if sig.deprecated:
                    self._deprecated(sig)
                    return (sig,) + self._current(sig, args, kwargs)
                return (sig,) + self._bind(sig, args, kwargs)
        count = len(args) + len(kwargs)
        listed = [s for s in sigs if not s.deprecated]
        plausible = [s for s in listed if s.min_args <= count <= s.max_args]
        if len(plausible) == 1:
            plausible[0].parse(name, args, kwargs, True)
        from ._ops._core import format_invalid_args

        raise TypeError(format_invalid_args(name, args, kwargs, [s.text for s in listed]))

    def _current(self, sig, args, kwargs):
        """A call that fits deprecated signature ``sig``, as its op's first signature takes it
        (``add(x, 2, y)``: ``add(x, y, alpha=2)``)."""
        values = dict(zip((p.name for p in sig.params), args))
        for p in sig.params:
            values.update((p.name, kwargs[k]) for k in p.names if k in kwargs)
        target = next(s for s in self.sigs if not s.deprecated)
        pos = []
        for p in target.params:
            if p.kw_only or p.name not in values:
                break
            pos.append(values.pop(p.name))
        return tuple(pos), values

    def _deprecated(self, sig):
        """PyTorch's warning for a call that fits a deprecated signature (one warning in a
        process, whichever op and signature it is for: ``TORCH_WARN_ONCE``)."""
        from ._warnings import warn_once

        name = self.name
        others = "".join(f"\n\t{name}{s.text}" for s in self.sigs if not s.deprecated)
        warn_once("argparse-deprecated", f"This overload of {name} is deprecated:\n\t{name}"
                  f"{sig.text}\nConsider using one of the following signatures instead:{others}",
                  cpp="torch/csrc/utils/python_arg_parser.cpp:1841")

    def _bind(self, sig, args, kwargs):
        first = sig.params[0] if sig.varargs and args else None
        if first is not None and not first.check(args[0]) and first.check(args) and not (
                args[0] is None and first.allow_none):
            args = (tuple(args),)
        if sig.lists:
            sig.unpack(self.name, args, kwargs)
            args, kwargs = _read_int_lists(sig, args, kwargs)
        if sig.ints:
            args, kwargs = _read_ints(sig, args, kwargs)
        if not args and "self" in kwargs and sig.params[0].name == "self":  # (pow(self=2, ...))
            kwargs = dict(kwargs)
            args = (kwargs.pop("self"),)
        if kwargs and self.renames and not _ALIASES.isdisjoint(kwargs):
            kwargs = dict(kwargs)
            own = {p.name for p in sig.params}  # (``x1``/``x2`` of cosine_similarity stay)
            for canon, names in _NUMPY_NAMES.items():
                if canon in ("input", "other"):
                    for alias in names:
                        if alias in kwargs and canon not in kwargs and alias not in own:
                            kwargs[canon] = kwargs.pop(alias)
        return args, kwargs


_ALIASES = frozenset(("x", "a", "x1", "x2"))


_ABSENT = object()


def _given(i, p, args, kwargs):
    """Parameter ``p`` (``i``-th) of a call: its value and the keyword it came by (None when
    by position), or ``_ABSENT``."""
    if i < len(args) and not p.kw_only:
        return args[i], None
    key = next((k for k in p.names if k in kwargs), None)
    return (_ABSENT, None) if key is None else (kwargs[key], key)


def _read_int_lists(sig, args, kwargs):
    """The call's lists of ints as PyTorch reads them: their one-element tensors and NumPy
    integers (and a loose one given for ``int[1]``) as Python ints."""
    for i, p in sig.lists:
        if p.kind != "int[]":
            continue
        obj, key = _given(i, p, args, kwargs)
        if obj is _ABSENT:
            continue
        if isinstance(obj, (tuple, list)):  # (a ``torch.Size`` too)
            if all(type(item) is int or type(item) is bool for item in obj):
                continue
            value = type(obj)(item if type(item) is bool else _read_int(item) for item in obj)
        elif type(obj) is int or obj is None or not p.size:
            continue
        else:
            value = _read_int(obj)
        if key is None:
            args = args[:i] + (value,) + args[i + 1:]
        else:
            kwargs = {**kwargs, key: value}
    return args, kwargs


def _read_int(obj):
    return int(obj.item()) if isinstance(obj, Tensor) else operator.index(obj)


def _read_ints(sig, args, kwargs):
    """The call's ints as PyTorch reads them for the op: a one-element tensor, a NumPy integer
    or anything with ``__index__`` given for an int, as a Python int."""
    new_args = new_kwargs = None
    for i, p in sig.ints:
        obj, key = _given(i, p, args, kwargs)
        if obj is _ABSENT:
            continue
        if type(obj) is int or obj is None or type(obj) is bool:
            continue
        if isinstance(obj, Tensor):
            if obj.dtype._kind == 0:  # (PyTorch reads a bool tensor's item, then asserts)
                raise RuntimeError('scalar.isIntegral( false) INTERNAL ASSERT FAILED at "/__w/'
                                   'pytorch/pytorch/torch/csrc/utils/pybind.cpp":27, please '
                                   'report a bug to PyTorch. ')
            value = int(obj.item())
        else:
            value = operator.index(obj)
        if key is None:
            new_args = list(args) if new_args is None else new_args
            new_args[i] = value
        else:
            new_kwargs = dict(kwargs) if new_kwargs is None else new_kwargs
            new_kwargs[key] = value
    return (args if new_args is None else tuple(new_args),
            kwargs if new_kwargs is None else new_kwargs)


# The signatures of PyTorch's functions (as ``torch.<name>``; the methods drop ``input`` and
# ``out``), in the order its parser tries them; ``int[1]``: a list of ints that takes one
# int too; ``Tensor[2]``: a tuple of two output tensors.
_RED = "Tensor input, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None, " \
       "Tensor out=None"
_VAR = ("Tensor input, int[1]? dim, bool unbiased=True, bool keepdim=False, *, Tensor out=None",
        "Tensor input, int[1]? dim=None, *, Scalar? correction=None, bool keepdim=False, "
        "Tensor out=None",
        "Tensor input, bool unbiased=True")
_EXTREME = ("Tensor input, *, Tensor out=None", "Tensor input, Tensor other, *, Tensor out=None",
            "Tensor input, int dim, bool keepdim=False, *, Tensor[2] out=None")
_MEDIAN = ("Tensor input", "Tensor input, int dim, bool keepdim=False, *, Tensor[2] out=None")
_ALL = ("Tensor input, *, Tensor out=None",
        "Tensor input, int[]? dim=None, bool keepdim=False, *, Tensor out=None",
        "Tensor input, int dim, bool keepdim=False, *, Tensor out=None")
_QUANTILE = tuple(f"Tensor input, {q} q, int? dim=None, bool keepdim=False, *, "
                  "str interpolation=\"linear\", Tensor out=None" for q in ("Tensor", "float"))
_LERP = ("Tensor input, Tensor end, Tensor weight, *, Tensor out=None",
         "Tensor input, Tensor end, Scalar weight, *, Tensor out=None")
SIGNATURES = {
    "sum": ("Tensor input, *, ScalarType? dtype=None",
            "Tensor input, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None, "
            "Tensor out=None"),
    "mean": ("Tensor input, *, ScalarType? dtype=None, Tensor out=None",
             "Tensor input, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None, "
             "Tensor out=None"),
    "nansum": (_RED,), "nanmean": (_RED,),
    "prod": ("Tensor input, *, ScalarType? dtype=None",
             "Tensor input, int dim, bool keepdim=False, *, ScalarType? dtype=None, "
             "Tensor out=None"),
    "amax": ("Tensor input, int[1] dim=(), bool keepdim=False, *, Tensor out=None",),
    "amin": ("Tensor input, int[1] dim=(), bool keepdim=False, *, Tensor out=None",),
    "all": _ALL, "any": _ALL, "max": _EXTREME, "min": _EXTREME,
    "argmax": ("Tensor input, int? dim=None, bool keepdim=False, *, Tensor out=None",),
    "argmin": ("Tensor input, int? dim=None, bool keepdim=False, *, Tensor out=None",),
    "std": _VAR, "var": _VAR,
    "std_mean": tuple(s.replace(", *, Tensor out=None", "").replace(", Tensor out=None", "")
                      for s in _VAR),
    "logsumexp": ("Tensor input, int[1] dim, bool keepdim=False, *, Tensor out=None",),
    "median": _MEDIAN, "nanmedian": _MEDIAN,
    "mode": ("Tensor input, int dim=-1, bool keepdim=False, *, Tensor[2] out=None",),
    "kthvalue": ("Tensor input, SymInt k, int dim=-1, bool keepdim=False, *, Tensor[2] out=None",),
    "topk": ("Tensor input, SymInt k, int dim=-1, bool largest=True, bool sorted=True, *, "
             "Tensor[2] out=None",),
    "sort": ("Tensor input, *, bool? stable, int dim=-1, bool descending=False, "
             "Tensor[2] out=None",
             "Tensor input, int dim=-1, bool descending=False, *, Tensor[2] out=None"),
    "argsort": ("Tensor input, *, bool stable, int dim=-1, bool descending=False, "
                "Tensor out=None",
                "Tensor input, int dim=-1, bool descending=False"),
    "cumsum": ("Tensor input, int dim, *, ScalarType? dtype=None, Tensor out=None",),
    "cumprod": ("Tensor input, int dim, *, ScalarType? dtype=None, Tensor out=None",),
    "cummax": ("Tensor input, int dim, *, Tensor[2] out=None",),
    "cummin": ("Tensor input, int dim, *, Tensor[2] out=None",),
    "logcumsumexp": ("Tensor input, int dim, *, Tensor out=None",),
    "count_nonzero": ("Tensor input, int? dim=None", "Tensor input, int[] dim"),
    "aminmax": ("Tensor input, *, int? dim=None, bool keepdim=False, Tensor[2] out=None",),
    "quantile": _QUANTILE, "nanquantile": _QUANTILE,
    "cat": ("Tensor[] tensors, int dim=0, *, Tensor out=None",),
    "stack": ("Tensor[] tensors, int dim=0, *, Tensor out=None",),
    "index_select": ("Tensor input, int dim, Tensor index, *, Tensor out=None",),
    "gather": ("Tensor input, int dim, Tensor index, *, bool sparse_grad=False, "
               "Tensor out=None",),
    "unsqueeze": ("Tensor input, int dim",),
    "transpose": ("Tensor input, int dim0, int dim1",),
    "select": ("Tensor input, int dim, SymInt index",),
    "movedim": ("Tensor input, int source, int destination",
                "Tensor input, int[] source, int[] destination"),
    "chunk": ("Tensor input, int chunks, int dim=0",),
    "unbind": ("Tensor input, int dim=0",),
    **{name: (f"Tensor input, {k} diagonal=0, *, Tensor out=None",) for name, k in (
        ("tril", "SymInt"), ("triu", "SymInt"), ("diag", "int"))},
    "tril_": ("Tensor input, SymInt diagonal=0",), "triu_": ("Tensor input, SymInt diagonal=0",),
    "cross": ("Tensor input, Tensor other, int? dim=None, *, Tensor out=None",),
    "renorm": ("Tensor input, Scalar p, int dim, Scalar maxnorm, *, Tensor out=None",),
    "renorm_": ("Tensor input, Scalar p, int dim, Scalar maxnorm",),
    "combinations": ("Tensor input, int r=2, bool with_replacement=False",),
    "histc": ("Tensor input, int bins=100, Scalar min=0, Scalar max=0, *, Tensor out=None",),
    "bincount": ("Tensor input, Tensor? weights=None, SymInt minlength=0",),
    "multinomial": ("Tensor input, SymInt num_samples, bool replacement=False, *, "
                    "Generator? generator=None, Tensor out=None",),
    "matrix_power": ("Tensor input, int n, *, Tensor out=None",),
    "swapaxes": ("Tensor input, int axis0, int axis1",),
    "swapdims": ("Tensor input, int dim0, int dim1",),
    "diagonal": ("Tensor input, int offset=0, int dim1=0, int dim2=1",),
    "squeeze": ("Tensor input", "Tensor input, int dim", "Tensor input, int[] dim"),
    "flip": ("Tensor input, int[] dims",),
    "roll": ("Tensor input, SymInt[1] shifts, int[1] dims=()",),
    "frexp": ("Tensor input, *, Tensor[2] out=None",),
    "t": ("Tensor input",), "positive": ("Tensor input",),
    "linalg_vector_norm": ("Tensor input, Scalar ord=2, int[1]? dim=None, bool keepdim=False, "
                           "*, ScalarType? dtype=None, Tensor out=None",),
    "repeat_interleave": ("Tensor input, Tensor repeats, int? dim=None, *, "
                          "SymInt? output_size=None",
                          "Tensor repeats, *, SymInt? output_size=None",
                          "Tensor input, SymInt repeats, int? dim=None, *, "
                          "SymInt? output_size=None"),
    "lerp": _LERP, "lerp_": _LERP,
    **dict.fromkeys(("addcmul", "addcmul_", "addcdiv", "addcdiv_"), (
        "Tensor input, Tensor tensor1, Tensor tensor2, *, Scalar value=1, Tensor out=None",
        "Tensor input, Scalar value, Tensor tensor1, Tensor tensor2, *, Tensor out=None"
        "|deprecated")),
    "bucketize": ("Tensor input, Tensor boundaries, *, bool out_int32=False, bool right=False, "
                  "Tensor out=None",
                  "Scalar self, Tensor boundaries, *, bool out_int32=False, bool right=False"),
    "searchsorted": tuple(f"Tensor sorted_sequence, {x}, *, bool out_int32=False, "
                          "bool right=False, str? side=None, Tensor? sorter=None, "
                          "Tensor out=None" for x in ("Tensor input", "Scalar self")),
    "flatten": ("Tensor input, int start_dim=0, int end_dim=-1",),
    "take_along_dim": ("Tensor input, Tensor indices, int? dim=None, *, Tensor out=None",),
    "cumsum_": ("Tensor input, int dim, *, ScalarType? dtype=None",),
    "cumprod_": ("Tensor input, int dim, *, ScalarType? dtype=None",),
    "narrow_copy": ("Tensor input, int dim, SymInt start, SymInt length, *, Tensor out=None",),
    "narrow": ("Tensor input, int dim, Tensor start, SymInt length",
               "Tensor input, int dim, SymInt start, SymInt length"),
    "softmax": ("Tensor input, int dim, ScalarType? dtype=None, *, Tensor out=None",),
    "log_softmax": ("Tensor input, int dim, ScalarType? dtype=None, *, Tensor out=None",),
    "diff": ("Tensor input, int n=1, int dim=-1, Tensor? prepend=None, Tensor? append=None, *, "
             "Tensor out=None",),
    "rot90": ("Tensor input, int k=1, int[] dims=[0,1]",),
    **dict.fromkeys(("index_put", "index_put_"), (
        "Tensor input, Tensor[] indices, Tensor values, bool accumulate=False",)),
    "vander": ("Tensor x, int? N=None, bool increasing=False",),
    "tensor_split": ("Tensor input, SymIntArrayRef indices, int dim=0",
                     "Tensor input, Tensor tensor_indices_or_sections, int dim=0",
                     "Tensor input, SymInt sections, int dim=0"),
    # (``torch.linalg``'s and ``torch.fft``'s, by their C++ names)
    "linalg_matrix_power": ("Tensor input, int n, *, Tensor out=None",),
    **{f"linalg_{k}": tuple(
        f"Tensor input, *, {t}? atol=None, {t}? rtol=None, bool hermitian=False, "
        "Tensor out=None" for t in ("Tensor", "float")) + tuple(
        f"Tensor input, {t} {old}, bool hermitian=False, *, Tensor out=None"
        for t in ("Tensor", "float")) for k, old in (("pinv", "rcond"), ("matrix_rank", "tol"))},
    "linalg_cond": ("Tensor input, Scalar? p=None, *, Tensor out=None",
                    "Tensor input, str p, *, Tensor out=None"),
    "linalg_matrix_norm": tuple(f"Tensor input, {o}, int[] dim={{-2,-1}}, bool keepdim=False, "
                                "*, ScalarType? dtype=None, Tensor out=None"
                                for o in ("Scalar ord", 'str ord="fro"')),
    "linalg_norm": tuple(f"Tensor input, {o} ord{d}, int[1]? dim=None, bool keepdim=False, *, "
                         "ScalarType? dtype=None, Tensor out=None"
                         for o, d in (("Scalar?", "=None"), ("str", ""))),
    **{f"fft_{k}": ("Tensor input, SymInt? n=None, int dim=-1, str? norm=None, *, "
                    "Tensor out=None",) for k in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")},
}
_CLAMP = tuple(f"Tensor input, {b}? min=None, {b}? max=None, *, Tensor out=None"
               for b in ("Tensor", "Scalar"))
SIGNATURES.update(clamp=_CLAMP, clip=_CLAMP, clamp_=_CLAMP, clip_=_CLAMP)
for _b in ("min", "max"):
    SIGNATURES[f"clamp_{_b}"] = SIGNATURES[f"clamp_{_b}_"] = tuple(
        f"Tensor input, {k} {_b}, *, Tensor out=None" for k in ("Tensor", "Scalar"))
del _b
# The binary ops (a tensor or a number as their other operand); their common calls take
# ``binary``'s short way past the parser.
_OUT = ", *, Tensor out=None"
_TN = ("Tensor input, Tensor other" + _OUT, "Tensor input, Scalar other" + _OUT)
_TSN = ("Tensor input, Tensor other" + _OUT, "Scalar self, Tensor other",
        "Tensor input, Scalar other" + _OUT)
_TN2 = ("Tensor input, Tensor other" + _OUT, "Tensor input, Scalar other")
_POW = ("Tensor input, Tensor exponent" + _OUT, "Scalar self, Tensor exponent" + _OUT,
        "Tensor input, Scalar exponent" + _OUT)
_MM = ("Tensor input, Tensor mat2" + _OUT, "Tensor input, Tensor mat2, ScalarType out_dtype" + _OUT)
BINARY = {
    **dict.fromkeys("eq ne lt le gt ge greater greater_equal less less_equal not_equal fmod "
                    "copysign".split(), _TN),
    **dict.fromkeys("remainder bitwise_and bitwise_or bitwise_xor bitwise_left_shift "
                    "bitwise_right_shift".split(), _TSN),
    **dict.fromkeys("multiply true_divide floor_divide".split(), _TN2),
    "xlogy": ("Tensor input, Tensor other" + _OUT, "Scalar self, Tensor other" + _OUT,
              "Tensor input, Scalar other" + _OUT),
    **{name: ("Tensor input, Tensor other, *, Scalar alpha=1, Tensor out=None",
              "Tensor input, Scalar alpha, Tensor other, *, Tensor out=None|deprecated")
       for name in ("add", "sub")},
    "subtract": ("Tensor input, Tensor other, *, Scalar alpha=1, Tensor out=None",
                 "Tensor input, Scalar other, Scalar alpha=1"),
    "rsub": ("Tensor input, Tensor other, *, Scalar alpha=1",
             "Tensor input, Scalar other, Scalar alpha=1"),
    "div": ("Tensor input, Tensor other" + _OUT,
            "Tensor input, Tensor other, *, str? rounding_mode, Tensor out=None",
            "Tensor input, Scalar other, *, str? rounding_mode"),
    "divide": ("Tensor input, Tensor other" + _OUT,
               "Tensor input, Tensor other, *, str? rounding_mode, Tensor out=None",
               "Tensor input, Scalar other", "Tensor input, Scalar other, *, str? rounding_mode"),
    **{name: (f"Tensor input, Tensor {other}" + _OUT,) for name, other in (
        *((n, "other") for n in "maximum minimum fmax fmin atan2 arctan2 matmul logical_and "
          "logical_or logical_xor hypot nextafter ldexp logaddexp logaddexp2 gcd lcm vdot "
          "inner kron".split()),
        ("heaviside", "values"), ("dot", "tensor"), ("mv", "vec"), ("outer", "vec2"),
        ("ger", "vec2"))},
    "pow": _POW, "float_power": _POW, "mm": _MM, "bmm": _MM,
    "where": ("Tensor condition", "Tensor condition, Tensor input, Tensor other" + _OUT,
              "Tensor condition, Scalar self, Tensor other",
              "Tensor condition, Tensor input, Scalar other",
              "Tensor condition, Scalar self, Scalar other"),
}
SIGNATURES.update(BINARY)
for _name in ("squeeze", "unsqueeze", "transpose"):  # (the in-place methods' own names)
    SIGNATURES[_name + "_"] = SIGNATURES[_name]
del _name
# The factories (PyTorch's C++ spelling of the kinds, as its binary holds the signatures)
_FACTORY = ("ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
            "bool? pin_memory=False, bool? requires_grad=False")
_LIKE = "Tensor input, *, MemoryFormat? memory_format=None, " + _FACTORY
_GEN = "*, Generator? generator, "
_RANGE = tuple(f"{a} start, {b} end, int64_t steps{{}}, *, Tensor out=None, " + _FACTORY
               for a, b in (("Tensor", "Tensor"), ("Scalar", "Tensor"), ("Tensor", "Scalar"),
                            ("Scalar", "Scalar")))
SIGNATURES.update({
    **{name: ("SymIntArrayRef size, *, Tensor out=None, " + _FACTORY,) for name in (
        "zeros", "ones")},
    "empty": ("SymIntArrayRef size, *, MemoryFormat? memory_format=None, Tensor out=None, " +
              _FACTORY,),
    **{name: ("SymIntArrayRef size, " + _GEN + "Tensor out=None, " + _FACTORY,
              "SymIntArrayRef size, *, Tensor out=None, " + _FACTORY) for name in (
        "rand", "randn")},
    "full": ("SymIntArrayRef size, Scalar fill_value, *, Tensor out=None, " + _FACTORY,),
    "randint": tuple(f"{lo}SymInt high, SymIntArrayRef size, {g}Tensor out=None, " + _FACTORY
                     for lo in ("", "SymInt low, ") for g in (_GEN, "*, ")),
    "randperm": ("SymInt n, " + _GEN + "Tensor out=None, " + _FACTORY,
                 "SymInt n, *, Tensor out=None, " + _FACTORY),
    "arange": ("Scalar end, *, Tensor out=None, " + _FACTORY,
               "Scalar start, Scalar end, *, " + _FACTORY,
               "Scalar start, Scalar end, Scalar step=1, *, Tensor out=None, " + _FACTORY),
    "linspace": tuple(s.format("") for s in _RANGE),
    "logspace": tuple(s.format(", double base=10.0") for s in _RANGE),
    "eye": ("SymInt n, *, Tensor out=None, " + _FACTORY,
            "SymInt n, SymInt m, *, Tensor out=None, " + _FACTORY),
    "empty_strided": ("SymIntArrayRef size, SymIntArrayRef stride, *, " + _FACTORY,),
    **{name: ("int64_t row, int64_t col, int64_t offset=0, *, " + _FACTORY,) for name in (
        "tril_indices", "triu_indices")},
    "tensor": ("PyObject* data, *, ScalarType dtype=None, Device? device=None, "
               "bool pin_memory=False, bool requires_grad=False",),
    "as_tensor": ("PyObject* data, *, ScalarType dtype=None, Device? device=None",),
    "asarray": ("PyObject* obj, *, ScalarType? dtype=None, Device? device=None, "
                "bool? copy=None, bool? requires_grad=False",),
    **{name: (_LIKE,) for name in ("zeros_like", "ones_like", "empty_like")},
    **{name: (_LIKE.replace("*, ", _GEN), _LIKE) for name in ("rand_like", "randn_like")},
    "full_like": (_LIKE.replace("*, ", "Scalar fill_value, *, "),),
    "randint_like": tuple(_LIKE.replace("*, ", f"{a}, {g}") for a in (
        "SymInt low, SymInt high", "Tensor high", "SymInt high") for g in (_GEN, "*, ")),
})
# Ops on sizes and on indices (the methods are the functions less ``input`` and ``out``)
_INDEX_FILL = ("Tensor input, int64_t dim, Tensor index, Tensor value",
               "Tensor input, int64_t dim, Tensor index, Scalar value")
_SCATTER = tuple(f"Tensor input, int64_t dim, Tensor index, {v}, *, {r}Tensor out=None"
                 for v in ("Tensor src", "Scalar value") for r in ("", "c10::string_view reduce, "))
_MASKED_FILL = tuple(f"Tensor input, Tensor mask, {v} value" for v in ("Tensor", "Scalar"))
_STRIDED = ("Tensor input, SymIntArrayRef size, SymIntArrayRef stride, "
            "SymInt? storage_offset=None",)
SIGNATURES.update({
    "reshape": ("Tensor input, SymIntArrayRef shape",),
    "permute": ("Tensor input, IntArrayRef dims",),
    "tile": ("Tensor input, SymIntArrayRef dims",),
    "broadcast_to": ("Tensor input, SymIntArrayRef size",),
    "unflatten": ("Tensor input, int64_t dim, SymIntArrayRef sizes",),
    "as_strided": _STRIDED, "as_strided_": _STRIDED,
    "index_add": ("Tensor input, int64_t dim, Tensor index, Tensor source, *, Scalar alpha=1, "
                  "Tensor out=None",),
    "index_copy": ("Tensor input, int64_t dim, Tensor index, Tensor source, *, "
                   "Tensor out=None",),
    "index_reduce": ("Tensor input, int64_t dim, Tensor index, Tensor source, "
                     "c10::string_view reduce, *, bool include_self=True, Tensor out=None",),
    "index_fill": _INDEX_FILL, "index_fill_": _INDEX_FILL,
    "scatter": _SCATTER, "scatter_": _SCATTER,
    "scatter_add": ("Tensor input, int64_t dim, Tensor index, Tensor src, *, Tensor out=None",),
    "scatter_reduce": ("Tensor input, int64_t dim, Tensor index, Tensor src, "
                       "c10::string_view reduce, *, bool include_self=True, Tensor out=None",),
    "masked_fill": _MASKED_FILL, "masked_fill_": _MASKED_FILL,
    "masked_scatter": ("Tensor input, Tensor mask, Tensor source",),
    "masked_select": ("Tensor input, Tensor mask, *, Tensor out=None",),
    "put": ("Tensor input, Tensor index, Tensor source, bool accumulate=False",),
    "take": ("Tensor input, Tensor index, *, Tensor out=None",),
    "nonzero": ("Tensor input, *, bool as_tuple=False, Tensor out=None",),
    "clone": ("Tensor input, *, MemoryFormat? memory_format=None",),
})
for _name in ("index_add", "index_copy", "index_reduce", "scatter_add", "scatter_reduce",
              "masked_scatter", "put"):  # (the in-place methods)
    SIGNATURES[_name + "_"] = SIGNATURES[_name]
SIGNATURES["var_mean"] = SIGNATURES["std_mean"]
SIGNATURES["allclose"] = ("Tensor input, Tensor other, double rtol=1e-05, double atol=1e-08, "
                          "bool equal_nan=False",)
SIGNATURES["isclose"] = SIGNATURES["allclose"]
SIGNATURES["fill"] = SIGNATURES["fill_"] = tuple(f"Tensor input, {k} value"
                                                 for k in ("Tensor", "Scalar"))
for _name in ("xlogy", "xlog1py", "zeta"):  # (torch.special's, by their C names)
    SIGNATURES["special_" + _name] = BINARY["xlogy"]
SIGNATURES["moveaxis"] = SIGNATURES["movedim"]
SIGNATURES["logit"] = ("Tensor input, double? eps=None, *, Tensor out=None",)
SIGNATURES["logit_"] = ("Tensor input, double? eps=None",)
SIGNATURES["nan_to_num"] = ("Tensor input, double? nan=None, double? posinf=None, "
                            "double? neginf=None, *, Tensor out=None",)
SIGNATURES["nan_to_num_"] = ("Tensor input, double? nan=None, double? posinf=None, "
                             "double? neginf=None",)
SIGNATURES["mvlgamma_"] = ("Tensor input, int64_t p",)
SIGNATURES["concat"] = SIGNATURES["concatenate"] = SIGNATURES["cat"]
NO_METHOD = frozenset(("cat", "concat", "concatenate", "stack", "std_mean", "var_mean", "t",
                       "linalg_vector_norm",
                       "bucketize", "searchsorted", "repeat_interleave", "rsub"))

# PyTorch's Tensor methods that take nothing but ``self`` (Python's ``METH_NOARGS``: their own
# words for an argument given)
NO_ARGS = frozenset((
    "abs abs_ absolute absolute_ acos acos_ acosh acosh_ adjoint angle arccos arccos_ arccosh "
    "arccosh_ arcsin arcsin_ arcsinh arcsinh_ arctan arctan_ arctanh arctanh_ argwhere asin "
    "asin_ asinh asinh_ atan atan_ atanh atanh_ bitwise_not bitwise_not_ ceil ceil_ conj "
    "conj_physical conj_physical_ corrcoef cos cos_ cosh cosh_ deg2rad deg2rad_ det digamma "
    "digamma_ erf erf_ erfc erfc_ erfinv erfinv_ exp exp2 exp2_ exp_ expm1 expm1_ fix fix_ "
    "fliplr flipud floor floor_ frac frac_ frexp i0 i0_ inverse is_complex is_conj "
    "is_floating_point is_inference is_neg is_nonzero is_signed isfinite isinf isnan isneginf "
    "isposinf isreal lgamma lgamma_ log log10 log10_ log1p log1p_ log2 log2_ log_ logdet "
    "logical_not logical_not_ matrix_exp msort ndimension neg neg_ negative negative_ nelement "
    "positive rad2deg rad2deg_ ravel reciprocal reciprocal_ relu relu_ resolve_conj resolve_neg "
    "rsqrt rsqrt_ sgn sgn_ sigmoid sigmoid_ sign sign_ signbit sin sin_ sinc sinc_ sinh sinh_ "
    "slogdet sqrt sqrt_ square square_ t t_ tan tan_ tanh tanh_ trace trunc trunc_ zero_ "
    "detach detach_ dim numel data_ptr element_size storage_offset get_device "
    "retain_grad untyped_storage"
).split())


def no_args(fn, name):
    """Method ``fn`` refusing any argument as PyTorch's ``METH_NOARGS`` methods do."""
    import functools

    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"TensorBase.{name}() takes no keyword arguments")
        if args:
            raise TypeError(f"TensorBase.{name}() takes no arguments ({len(args)} given)")
        return fn(self)
    return method


def deprecated_alpha(name, args, kwargs, method):
    """``add``/``sub`` methods (the in-place ones, which no parser here checks) called in
    PyTorch's deprecated form, the scale before the tensor (``x.sub_(2, y)``): the call's
    arguments in the current form (with PyTorch's warning), or None for a call in another
    form."""
    first = 0 if method else 1
    if len(args) == first + 2:
        alpha, other = args[first], args[first + 1]
    elif len(args) == first + 1 and "other" in kwargs:
        alpha, other = args[first], kwargs["other"]
    else:
        return None
    if "alpha" in kwargs or not _tensor_or_number(other) or _is_tensor(alpha) and (
            alpha.dim() or alpha.requires_grad) or not _CHECKS["Scalar"](alpha):
        return None
    from ._warnings import warn_once

    rest = "" if method else "Tensor input, "
    out = "" if method else ", *, Tensor out = None"
    warn_once("argparse-deprecated", f"This overload of {name} is deprecated:\n\t{name}("
              f"{rest}Number alpha, Tensor other{out})\nConsider using one of the following "
              f"signatures instead:\n\t{name}({rest}Tensor other, *, Number alpha = 1"
              f"{'' if method else ', Tensor out = None'})",
              cpp="torch/csrc/utils/python_arg_parser.cpp:1841")
    kwargs = {k: v for k, v in kwargs.items() if k != "other"}
    kwargs["alpha"] = alpha
    return args[:first] + (other,), kwargs


def python_split(fn, method):
    """``Tensor.split`` (``method``) or ``torch.split`` as PyTorch's, written in Python: a
    tensor split size read as an int where it can be, then the parser of ``split`` (one size)
    or of ``split_with_sizes`` (anything else)."""
    by_size = Parser("split", [Signature(f"Tensor input, {k} split_size, int dim=0")
                               for k in ("SymInt", "SymIntArrayRef")])
    by_sizes = Parser("split_with_sizes", [Signature("Tensor input, SymIntArrayRef split_sizes, "
                                                     "int dim=0")])

    def split_method(self, split_size, dim=0):
        if type(split_size) is int and type(dim) is int:  # (the common call)
            return fn(self, split_size, dim)
        if isinstance(split_size, Tensor):
            try:
                split_size = int(split_size)
            except ValueError:
                pass
        parser = by_size if isinstance(split_size, int) else by_sizes
        return fn(*parser.check((self, split_size, dim), {})[0])

    def split(tensor, split_size_or_sections, dim=0):
        if not isinstance(tensor, Tensor):  # (PyTorch's calls its method: Python's error)
            return tensor.split(split_size_or_sections, dim)
        return split_method(tensor, split_size_or_sections, dim)

    split_method.__name__, split_method.__qualname__ = "split", "Tensor.split"
    split.__qualname__ = "split"  # (Python's errors name them so)
    split = split_method if method else split
    split.__doc__ = fn.__doc__
    return split


def python_unflatten(method):
    """``Tensor.unflatten`` as PyTorch's, written in Python: its own arguments (Python's
    errors), its refusal of empty sizes, then the parser's checks (``method``'s)."""
    def unflatten(self, dim, sizes):
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        return method(self, dim, sizes)
    unflatten.__qualname__ = "Tensor.unflatten"
    unflatten.__doc__ = method.__doc__
    return unflatten


# Methods whose signatures are not their function's without ``input`` (as ``Tensor.<name>``,
# ``self`` written as ``Tensor input`` for the form's sake).
METHOD_SIGNATURES = {
    "repeat_interleave": tuple(f"Tensor input, {r} repeats, int? dim=None, *, "
                               "SymInt? output_size=None" for r in ("Tensor", "SymInt")),
    "mm": ("Tensor input, Tensor mat2",), "bmm": ("Tensor input, Tensor mat2",),
    "where": tuple(f"Tensor input, Tensor condition, {k} other" for k in ("Tensor", "Scalar")),
    "view": ("Tensor input, ScalarType dtype", "Tensor input, SymIntArrayRef size"),
    "expand": ("Tensor input, SymIntArrayRef size, *, bool implicit=False",),
    "repeat": ("Tensor input, SymIntArrayRef repeats",),
    "unfold": ("Tensor input, int dimension, int size, int step",),
    "resize_": ("Tensor input, SymIntArrayRef size, *, MemoryFormat? memory_format=None",),
    **{f"new_{k}": ("Tensor input, SymIntArrayRef size, *, " + _FACTORY,) for k in (
        "zeros", "ones", "empty")},
    "new_full": ("Tensor input, SymIntArrayRef size, Scalar fill_value, *, " + _FACTORY,),
    "nonzero": ("Tensor input", "Tensor input, *, bool as_tuple"),
    "contiguous": ("Tensor input, *, MemoryFormat memory_format=contiguous_format",),
    "fill_diagonal_": ("Tensor input, Scalar fill_value, bool wrap=False",),
    "to_sparse": ("Tensor input, *, Layout? layout=None, IntArrayRef[2]? blocksize=None, "
                  "int64_t? dense_dim=None", "Tensor input, int64_t sparse_dim"),
    "new_tensor": ("Tensor input, PyObject* data, *, ScalarType dtype=None, Device? device=None, "
                   "bool requires_grad=False",),
    "new_empty_strided": ("Tensor input, SymIntArrayRef size, SymIntArrayRef stride, *, " +
                          _FACTORY,),
    **{name: (f"Tensor input, {params}, *, Generator? generator=None",) for name, params in (
        ("normal_", "double mean=0, double std=1"), ("uniform_", "double from=0, double to=1"),
        ("log_normal_", "double mean=1, double std=2"), ("exponential_", "double lambd=1"),
        ("cauchy_", "double median=0, double sigma=1"), ("geometric_", "double p"))},
}
# The products added to a tensor, with PyTorch's deprecated forms (the scales first)
for _name, _m1, _m2 in (("addmm", "mat1", "mat2"), ("addmv", "mat", "vec"),
                        ("addbmm", "batch1", "batch2"), ("baddbmm", "batch1", "batch2"),
                        ("addr", "vec1", "vec2")):
    _mats = f"Tensor {_m1}, Tensor {_m2}"
    _scales = "*, Scalar beta=1, Scalar alpha=1"
    SIGNATURES[_name] = (
        f"Tensor input, {_mats}, {_scales}, Tensor out=None",
        *((f"Tensor input, {_mats}, ScalarType out_dtype, {_scales}, Tensor out=None",)
          if _name in ("addmm", "baddbmm") else ()),
        f"Scalar beta, Tensor input, Scalar alpha, {_mats}, *, Tensor out=None|deprecated",
        f"Scalar beta, Tensor input, {_mats}, *, Tensor out=None|deprecated")
    METHOD_SIGNATURES[_name] = METHOD_SIGNATURES[_name + "_"] = (
        f"Tensor input, {_mats}, {_scales}",
        f"Tensor input, Scalar beta, Scalar alpha, {_mats}|deprecated",
        f"Tensor input, Scalar beta, {_mats}|deprecated")
del _name, _m1, _m2, _mats, _scales


# Ops whose parser takes a number for a tensor (PyTorch's ``should_allow_numbers_as_tensors``;
# ``mul`` takes them too, before any parser here).
_NUMBERS_AS_TENSORS = frozenset(("add", "sub", "div", "divide", "floor_divide", "multiply",
                                 "subtract", "true_divide"))


def _tensor_or_number(obj):
    return _is_tensor(obj) or isinstance(obj, (int, float, complex, np.number, np.bool_))


def parser(name, method=False):
    specs = METHOD_SIGNATURES.get(name, SIGNATURES.get(name)) if method else SIGNATURES[name]
    sigs = [Signature(s.replace("SymInt[", "SymIntArrayRef[")) for s in specs]
    if name in _NUMBERS_AS_TENSORS:
        for q in (q for s in sigs for q in s.params if q.kind == "Tensor" and q.name != "out"):
            q.check = _tensor_or_number
    if method:  # (a method's ``self`` is a tensor: the signatures for a number drop out)
        sigs = [s.method() for s in sigs if s.params[0].kind == "Tensor"]
    return Parser(name, sigs)


def checked(fn, name, method=False, renames=True):
    """``fn`` with PyTorch's parser's errors for the arguments that fit no signature
    (``renames=False``: ``fn`` takes NumPy's names of ``input``/``other`` as they come)."""
    import functools

    p = parser(name, method)
    p.renames = renames
    match = p.match
    if name.startswith(("linalg_", "special_", "fft_")):  # (Python's, for C functions)
        fn = _renamed_keywords(fn, name)
    # The common call (plain numbers, bools or None, and tensors where the signature takes a
    # tensor) skips the parser once a call with the same types has passed it unchanged, or
    # with its loose ints packed in a tuple (``view(2, 3)``; True): its answer depends only on
    # them (and, for the calls marked ``_CHECK_FIRST``, on their lists holding ints alone).
    fits = {}

    def remember(key, sig, args, kwargs, checked_args, checked_kwargs):
        if checked_kwargs is not kwargs:
            return
        if checked_args is args:
            if _plain(sig, args, kwargs):
                fits[key] = False
            elif _plain(sig, args, kwargs, True):
                fits[key] = _CHECK_FIRST[False]
        elif all(type(a) in _PLAIN for a in args):
            if _plain(sig, (), kwargs):
                fits[key] = True
            elif _plain(sig, (), kwargs, True):
                fits[key] = _CHECK_FIRST[True]

    if method:
        @functools.wraps(fn)
        def wrapper(self, *args, **kwargs):
            key = tuple(map(type, args))
            if kwargs:
                key = (key, *kwargs, *map(type, kwargs.values()))  # (names, then types)
            pack = fits.get(key)
            if pack is not None and pack is not True and pack is not False:
                pack = pack[0] if _int_seqs(args, kwargs) else None
            if pack is not None:
                return fn(self, args, **kwargs) if pack is True else fn(self, *args, **kwargs)
            sig, checked_args, checked_kwargs = match(args, kwargs)
            remember(key, sig, args, kwargs, checked_args, checked_kwargs)
            return fn(self, *checked_args, **checked_kwargs)
    else:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            key = tuple(map(type, args))
            if kwargs:
                key = (key, *kwargs, *map(type, kwargs.values()))  # (names, then types)
            pack = fits.get(key)
            if pack is not None and pack is not True and pack is not False:
                pack = pack[0] if _int_seqs(args, kwargs) else None
            if pack is True:
                args = (args,)
            elif pack is None:
                sig, checked_args, checked_kwargs = match(args, kwargs)
                remember(key, sig, args, kwargs, checked_args, checked_kwargs)
                args, kwargs = checked_args, checked_kwargs
            try:
                return fn(*args, **kwargs)
            except NotImplementedError as e:  # (a kernel's refusal of the operands' dtype)
                if kwargs.get("out") is not None:
                    from ._ops._core import out_before_kernel

                    out_before_kernel(name, args, kwargs, e)
                raise
    wrapper._ember_parsed = True
    return _binary(wrapper, fn, p, method) if name in BINARY else wrapper


def _binary(checked_fn, fn, p, method):
    """``checked_fn`` with a short way for a binary op's common call: its operands alone, of
    types a signature takes by type alone (a tensor, a number where a number is taken)."""
    import functools
    import itertools

    kinds = {"Tensor": (Tensor,), "Scalar": (int, float, bool)}
    fast = set()
    for sig in p.sigs:
        need = [q.kind for q in sig.params if not q.optional and not q.kw_only]
        if all(k in kinds for k in need) and not sig.deprecated:  # (which warns, and moves)
            fast.update(itertools.product(*(kinds[k] for k in need)))
    if method:
        ones = frozenset(t[0] for t in fast if len(t) == 1)

        @functools.wraps(fn)
        def wrapper(self, _other=_MISSING, *args, **kwargs):
            if type(_other) in ones and not args and not kwargs:
                return fn(self, _other)
            if _other is not _MISSING:
                args = (_other,) + args
            if not kwargs and tuple(map(type, args)) in fast:
                return fn(self, *args)
            return checked_fn(self, *args, **kwargs)
        return wrapper
    pairs = frozenset(t for t in fast if len(t) == 2)

    @functools.wraps(fn)
    def wrapper(_input=_MISSING, _other=_MISSING, *args, **kwargs):
        if (type(_input), type(_other)) in pairs and not args and not kwargs:
            return fn(_input, _other)
        if len(args) == 1 and not kwargs and (type(_input), type(_other), type(args[0])) in fast:
            return fn(_input, _other, args[0])  # (``where(cond, a, b)``)
        if _other is not _MISSING:
            args = (_input, _other) + args
        elif _input is not _MISSING:
            args = (_input,) + args
        if not kwargs and tuple(map(type, args)) in fast:
            return fn(*args)
        return checked_fn(*args, **kwargs)
    return wrapper


_PLAIN = frozenset((int, bool, float, type(None)))
_SEQS = frozenset((tuple, list))
# (a call that fits once the lists it gives hold nothing but ints: whether it packs its loose
# ints, once its own lists are checked)
_CHECK_FIRST = {False: (False,), True: (True,)}
_TYPE_CHECKED = frozenset(("ScalarType", "Device", "Layout", "MemoryFormat", "Generator", "str"))


_SCALAR_CLASSES = (int, float, bool, complex)  # (a dtype as a Python class: ``dtype=float``)


def _int_seqs(args, kwargs):
    """Whether every list or tuple among the arguments holds Python ints alone, and every
    class among them is a Python number's (those a call that passed had there)."""
    for obj in (*args, *kwargs.values()) if kwargs else args:
        if type(obj) in _SEQS:
            for item in obj:
                if type(item) is not int:
                    return False
        elif type(obj) is type and obj not in _SCALAR_CLASSES:
            return False
    return True


def _plain(sig, args, kwargs, int_seqs=False):
    """Whether the parser's answer for a call that fits ``sig`` depends on the types of its
    arguments alone: plain numbers, bools or None, and tensors where ``sig`` takes a tensor
    (a tensor given for a number or an int is taken by its number of dims); with
    ``int_seqs``, on those and on the lists of ints being lists of Python ints alone (and the
    dtypes given as classes being Python numbers')."""
    params = sig.params
    for i, obj in enumerate(args):
        if type(obj) not in _PLAIN and not _by_type(obj, params[i], int_seqs):
            return False
    for key, obj in kwargs.items():
        if type(obj) not in _PLAIN and not any(key in p.names and _by_type(obj, p, int_seqs)
                                               for p in params):
            return False
    return True


def _by_type(obj, param, int_seqs=False):
    """Whether ``param`` takes ``obj`` by its type alone: a tensor for a tensor, a list or
    tuple for a list of tensors (``cat``'s; its items are the op's to check), anything for
    ``tensor``'s data; with ``int_seqs``, a list or tuple of Python ints for a list of ints."""
    kind = param.kind
    if kind == "Tensor":
        return isinstance(obj, Tensor)
    if kind in _TYPE_CHECKED:  # (a dtype, a device, a string...; a class, as ``float``, with
        if type(obj) is type:  # ``int_seqs``: each call's own is checked)
            return int_seqs and kind == "ScalarType" and obj in _SCALAR_CLASSES
        return _CHECKS[kind](obj)
    if type(obj) in _SEQS:
        if kind == "int[]":
            return int_seqs and all(type(item) is int for item in obj)
        return kind == "Tensor[]" and not param.size or kind == "PyObject*"
    return kind == "PyObject*"


def with_int_args(name, specs, invalid=None):
    """A decorator: a function of ``nn.functional`` written in Python over one of PyTorch's
    C++ ops (signatures ``specs``) behind PyTorch's parser for the calls that give anything
    but what the signatures take by type alone (Python ints, tuples of them, bools, strings,
    tensors): its errors, and the ints it reads (a one-element tensor, a NumPy integer) given
    to the function as Python ints.  ``invalid(args, kwargs)``: the op's own message where no
    signature fits (PyTorch's "invalid combination" one, written otherwise)."""
    import functools

    p = Parser(name, [Signature(s.replace("SymInt[", "SymIntArrayRef[")) for s in specs])
    kinds = {}
    for sig in p.sigs:
        for i, q in enumerate(sig.params):
            for key in (i, q.name):
                kinds.setdefault(key, set()).add(q.kind)
    ints = frozenset(k for k, v in kinds.items() if v & {"int", "SymInt", "int[]"})
    nullable = frozenset(key for sig in p.sigs for i, q in enumerate(sig.params)
                         if q.allow_none for key in (i, q.name))
    by_type = {int: {"int", "SymInt", "int[]", "float", "Scalar"}, bool: {"bool"}, str: {"str"}}

    def plain(key, obj):
        t = type(obj)
        if t is tuple or t is list:
            return "int[]" in kinds.get(key, ()) and all(type(a) is int for a in obj)
        if t in by_type:
            return not by_type[t].isdisjoint(kinds.get(key, ()))
        if obj is None:
            return key in nullable
        return isinstance(obj, Tensor) and "Tensor" in kinds.get(key, ())

    # (the types each parameter takes by type alone, as ``plain``: the short way)
    by_key = {key: frozenset(t for t, ok in (
        (int, not by_type[int].isdisjoint(k)), (bool, "bool" in k), (str, "str" in k),
        (Tensor, "Tensor" in k and key not in ints), (type(None), key in nullable)) if ok)
        for key, k in kinds.items()}
    positional = tuple(by_key.get(i, frozenset()) for i in range(max(
        len(s.params) for s in p.sigs)))

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for i, obj in enumerate(args):
                if (i >= len(positional) or type(obj) not in positional[i]) and not plain(i, obj):
                    break
            else:
                for k, v in kwargs.items():
                    if type(v) not in by_key.get(k, ()) and not plain(k, v):
                        break
                else:
                    return fn(*args, **kwargs)
            try:
                args, kwargs = p.check(args, kwargs)
            except TypeError as e:
                if invalid is None or "received an invalid combination" not in str(e):
                    raise
                raise TypeError(invalid(args, kwargs)) from None
            args = tuple(_python_ints(a) if i in ints else a for i, a in enumerate(args))
            kwargs = {k: _python_ints(v) if k in ints else v for k, v in kwargs.items()}
            return fn(*args, **kwargs)
        return wrapper
    return decorator


def _python_ints(obj):
    """An int (or a list of ints) as the parser read it, as Python ints."""
    if isinstance(obj, (tuple, list)):
        return tuple(_python_ints(a) for a in obj)
    if isinstance(obj, Tensor):
        return int(obj.item())
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    return operator.index(obj)


def read_dim(obj, name):
    """``obj`` given for the single ``int dim`` of ``name`` (``size``, ``stride``), read as
    PyTorch's parser reads it (a 0-d integer tensor, a NumPy integer), or its error."""
    if not _is_int(obj):
        raise TypeError(f"{name}(): argument 'dim' (position 1) must be int, not "
                        f"{_tp_name(obj)}")
    return _read_int(obj)


# PyTorch's names of the leading arguments of its C functions in ``torch.linalg`` and
# ``torch.special`` where ember's Python functions name them otherwise (by position)
_C_NAMES = {
    **dict.fromkeys((
        "linalg_cholesky", "linalg_cholesky_ex", "linalg_eig", "linalg_eigh", "linalg_eigvals",
        "linalg_eigvalsh", "linalg_householder_product", "linalg_ldl_factor",
        "linalg_ldl_factor_ex", "linalg_matrix_exp", "linalg_matrix_norm", "linalg_matrix_power",
        "linalg_norm", "linalg_solve_triangular", "linalg_tensorinv", "linalg_vector_norm",
        "special_erf", "special_erfc", "special_erfinv", "special_exp2", "special_expit",
        "special_expm1", "special_log1p", "special_logsumexp"), ("input",)),
    "linalg_lstsq": ("input", "b"), "linalg_tensorsolve": ("input", "other"),
    "special_xlogy": ("input", "other"),
    **dict.fromkeys(tuple(f"special_{k}" for k in (
        "airy_ai", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
        "spherical_bessel_j0", "hermite_polynomial_h", "hermite_polynomial_he",
        "laguerre_polynomial_l", "legendre_polynomial_p")) + tuple(
        f"special_{s}chebyshev_polynomial_{k}" for s in ("", "shifted_") for k in "tuvw"),
        ("x",)),
}


def _keywords(fn, shown):
    """How ``fn`` (Python's, for PyTorch's C function ``shown``) takes PyTorch's keywords:
    ``{PyTorch's keyword (or NumPy's name its parser takes): the name fn takes}`` (None
    where it takes ``**kwargs``), ``{that name: PyTorch's}`` where they differ, and the
    names of ``fn``'s required positional arguments."""
    ours = _named_params(fn)
    if ours is None:
        return None, {}, []
    own = dict(zip((p.name for p in ours), _C_NAMES.get(shown, ())))
    target = {p.name: p.name for p in ours}
    inner = fn
    while inner is not None:  # (a ``tensor_input`` wrapper takes its input by PyTorch's name)
        keyword = getattr(inner, "_ember_keyword_input", None)
        if keyword is not None and ours:
            own[ours[0].name] = target[ours[0].name] = keyword
            break
        inner = getattr(inner, "__wrapped__", None)
    accepted = {}
    for p in ours:
        theirs = own.get(p.name, p.name)
        accepted[theirs] = target[p.name]
        for alias in _NUMPY_NAMES.get(theirs, ()):
            accepted.setdefault(alias, target[p.name])
    required = [target[p.name] for p in ours
                if p.default is p.empty and p.kind == p.POSITIONAL_OR_KEYWORD]
    return accepted, {target[o]: t for o, t in own.items() if target[o] != t}, required


def _named_params(fn):
    """The arguments ``fn`` takes by name (None where it takes any): a wrapper's own (its
    ``out=``...), then the function it wraps (``__wrapped__``) where it passes the rest on."""
    import inspect

    extra = []
    while True:
        try:
            params = inspect.signature(fn, follow_wrapped=False).parameters.values()
        except (TypeError, ValueError):
            return None
        named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        inner = getattr(fn, "__wrapped__", None)
        if not any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in params):
            seen = {p.name for p in named}
            return named + [p for p in extra if p.name not in seen]
        if inner is None:
            return None
        extra += named
        fn = inner


def _renamed_keywords(fn, shown):
    """``fn`` taking PyTorch's keywords (and NumPy's) where its own names differ (for a
    parsed function: its parser checks them first)."""
    import functools

    accepted = _keywords(fn, shown)[0]
    if not accepted or all(k == o for k, o in accepted.items()):
        return fn

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs:
            kwargs = {accepted.get(k, k): v for k, v in kwargs.items()}
        return fn(*args, **kwargs)
    return call


def python_words(fn, name, shown):
    """``fn`` (Python's, standing for PyTorch's C function ``shown``, ``linalg_inv``...)
    taking PyTorch's keyword names for its arguments (and the NumPy names its parser takes),
    and refusing a call's arguments in the words of PyTorch's parser, not Python's."""
    import functools

    if getattr(fn, "_ember_parsed", False):  # (its parser's words already)
        return fn
    names, inner = {name}, fn
    while inner is not None:  # (the functions a Python refusal may name)
        names.add(getattr(inner, "__name__", name))
        inner = getattr(inner, "__wrapped__", None)
    accepted, shown_as, required = _keywords(fn, shown)
    if accepted is None:
        accepted = {}
        plain = True
    else:
        plain = all(k == o for k, o in accepted.items())

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs and accepted:
            if not accepted.keys() >= kwargs.keys():  # (PyTorch's parser: missing ones first)
                given = {accepted[k] for k in kwargs if k in accepted}
                missing = [f'"{shown_as.get(r, r)}"' for r in required[len(args):]
                           if r not in given]
                if missing:
                    raise TypeError(f"{shown}() missing {len(missing)} required positional "
                                    f"argument{'s' if len(missing) == 1 else ''}: "
                                    f"{', '.join(missing)}")
                key = next(k for k in kwargs if k not in accepted)
                raise TypeError(f"{shown}() got an unexpected keyword argument '{key}'")
            if not plain:
                kwargs = {accepted[k]: v for k, v in kwargs.items()}
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            words = _parser_words(str(e), names, shown, shown_as)
            if words is None:
                raise
            raise TypeError(words) from None
    return call


def _parser_words(message, names, shown, shown_as=None, offset=0):
    """PyTorch's parser's words for Python's refusal ``message`` of a call of a function
    named one of ``names`` (None for any other message); ``shown_as``: PyTorch's names of
    its arguments where they differ; ``offset``: the positional arguments Python counts
    that PyTorch does not (a method's ``self``)."""
    import re

    head, sep, rest = message.partition("() ")
    if not sep or head not in names:
        return None
    if rest.startswith(("got an unexpected keyword argument '", "got multiple values for ")):
        return f"{shown}() {rest}"
    m = re.fullmatch(r"takes (?:from (\d+) to )?(\d+) positional arguments? but (\d+) "
                     r"(?:positional arguments? \(and .+\) )?(?:was|were) given", rest)
    if m:
        top, given = int(m.group(2)) - offset, int(m.group(3)) - offset
        if m.group(1) is not None:
            return (f"{shown}() takes from {int(m.group(1)) - offset} to {top} positional "
                    f"arguments but {given} were given")
        return (f"{shown}() takes {top} positional argument{'' if top == 1 else 's'} but "
                f"{given} {'was' if given == 1 else 'were'} given")
    m = re.fullmatch(r"missing (\d+) required (?:positional|keyword-only) arguments?: (.+)",
                     rest)
    if m:
        missing = [f'"{(shown_as or {}).get(n, n)}"' for n in re.findall(r"'(\w+)'", m.group(2))]
        return (f"{shown}() missing {len(missing)} required positional "
                f"argument{'s' if len(missing) == 1 else ''}: {', '.join(missing)}")
    return None


def method_words(fn, name):
    """Tensor method ``fn`` (Python's, for PyTorch's C method ``name``) refusing a call's
    arguments in the words of PyTorch's parser (``self`` not counted, no ``Tensor.``)."""
    import functools

    names = {name, f"Tensor.{name}", getattr(fn, "__qualname__", name)}

    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except TypeError as e:
            words = _parser_words(str(e), names, name, offset=1)
            if words is None:
                raise
            raise TypeError(words) from None
    return method


# Tensor methods written in Python here whose binding errors PyTorch's parser words
PYTHON_METHODS = ("float double half bfloat16 int long short char byte bool numpy "
                  "is_contiguous stride requires_grad_").split()
