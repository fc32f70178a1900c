"""The autograd graph: nodes, saved tensors, and the backward engine.

A node is made by each differentiable op.  It holds the op's backward rule
(``rule(ctx, *grads) -> grads per input``), what the rule saved, and the
edges ``next_functions`` to the nodes that produced its inputs.  The engine
walks the graph from the roots in reverse creation order (PyTorch's order),
adding up the gradients that reach each node before running it.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import re
import sys
import weakref
from typing import NamedTuple

from .grad_mode import ANOMALY, STATE

_seq = itertools.count()
OUT = object()  # in what an op saves, stands for the op's own (first) output
_node_classes: dict = {}


_BINARY = ("self", "other")
# The names PyTorch gives what some ops save (``_saved_<name>``), in the order ember saves them
_SAVED_NAMES = {
    "MulBackward0": _BINARY, "PowBackward0": ("self", "exponent"),
    "PowBackward1": ("self", "exponent", "result"), "ExpBackward0": ("result",),
    "SqrtBackward0": ("result",), "TanhBackward0": ("result",),
    "SigmoidBackward0": ("result",), "SinBackward0": ("self",), "CosBackward0": ("self",),
    "SgnBackward0": ("self", "result"), "RemainderBackward1": ("self", "other"),
    "FmodBackward1": ("self", "other"), "ComplexBackward0": ("real", "imag"),
    "LogBackward0": ("self",), "DivBackward0": _BINARY, "ReluBackward0": ("result",),
    "MmBackward0": ("self", "mat2"), "LogSoftmaxBackward0": ("result", "dim"),
    "SoftmaxBackward0": ("result", "dim"), "AbsBackward0": ("self",),
    "ReciprocalBackward0": ("result",), "RsqrtBackward0": ("result",),
    "Log1PBackward0": ("self",), "Expm1Backward0": ("result",), "Exp2Backward0": ("result",),
    "AtanBackward0": ("self",), "DotBackward0": ("self", "tensor"),
    "MaxBackward1": ("self", "result"), "MinBackward1": ("self", "result"),
    "WhereBackward0": ("condition",), "BmmBackward0": ("self", "mat2"),
    "MvBackward0": ("self", "vec"), "TanBackward0": ("result",), "SinhBackward0": ("self",),
    "CoshBackward0": ("self",), "AsinBackward0": ("self",), "AcosBackward0": ("self",),
    "ErfBackward0": ("self",), "Log2Backward0": ("self",), "Log10Backward0": ("self",),
    "SiluBackward0": ("self",), "Atan2Backward0": _BINARY, "MaximumBackward0": _BINARY,
    "MinimumBackward0": _BINARY, "HypotBackward0": ("self", "other", "result"),
    "ProdBackward0": ("self", "result"), "AmaxBackward0": ("self", "result", "dim", "keepdim"),
    "AminBackward0": ("self", "result", "dim", "keepdim"),
    "LogsumexpBackward0": ("self", "result", "dim", "keepdim"),
    "GeluBackward0": ("self", "approximate"), "LeakyReluBackward0": ("self", "negative_slope"),
    "SoftplusBackward0": ("self", "beta", "threshold"), "GatherBackward0": ("self", "index", "dim"),
    "ErfinvBackward0": ("self",),
    # ("-" stands for what ember saves where PyTorch saves nothing, or another value)
    "MseLossBackward0": ("self", "target"), "SmoothL1LossBackward0": ("self", "target"),
    "BinaryCrossEntropyBackward0": ("self", "target", "weight"),
    "BinaryCrossEntropyWithLogitsBackward0": ("self", "target", "weight", "pos_weight"),
    "NllLossBackward0": ("-",) * 8 + ("self", "target", "weight"),
    "AddmmBackward0": ("mat1", "mat2", "alpha", "beta"),
    "ConvolutionBackward0": ("input", "weight"),
    "MaxPool2DWithIndicesBackward0": ("-", "-", "self", "result1"),
    "EmbeddingBackward0": ("-", "weight_sym_argsize_0", "indices"),
    "MaskedFillBackward0": ("mask",), "VarBackward0": ("self",),
    "StdBackward0": ("self", "result"), "LinalgVectorNormBackward0": ("self", "result"),
    "HardtanhBackward0": ("self",), "EluBackward0": ("self",), "ClampBackward1": ("self",),
    "AvgPool2DBackward0": ("self",), "MaxBackward0": ("indices",),
    "NativeLayerNormBackward0": ("input", "weight", "result1", "result2"),
}


def _sizes(saved, node):
    return tuple(node._meta[0][0])


def _numel(saved, node):
    n = 1
    for d in node._meta[0][0]:
        n *= d
    return n


def _strides(i, k):
    """The strides of a matrix product's factor ``i`` (input ``k``) if it needs a gradient (else
    none, as PyTorch's): of the factor kept, else of its layout (``True``: transposed) as
    ``linalg._kept`` keeps it."""
    def get(saved, node):
        x, (r, c) = saved[i], node._meta[k][0]
        if node.next_functions[k][0] is None:
            return ()
        if hasattr(x, "stride"):
            return tuple(x.stride())
        return (1, r) if x is True else (c, 1)
    return get


def _matmul_extra(first, k):
    return {first + "_sym_sizes": lambda s, n: tuple(n._meta[k][0]), first + "_sym_strides":
            _strides(0, k), "mat2_sym_sizes": lambda s, n: tuple(n._meta[k + 1][0]),
            "mat2_sym_strides": _strides(1, k + 1)}


def _extra_value(getter, node):
    """``getter``'s value for ``node``, or ``_NONE`` where ember saved otherwise (another
    path of the op: a fused kernel's)."""
    try:
        return getter(node._saved, node)
    except (IndexError, KeyError, TypeError, ValueError):
        return _NONE


_NONE = object()
_MM = ("MmBackward0", "AddmmBackward0")
_REDUCTION = {"none": 0, "mean": 1, "sum": 2}  # (PyTorch's at::Reduction numbers)
# More ``_saved_<name>`` values PyTorch shows, each made (lazily) from what ember saved and
# the node (its inputs' shapes): ``getter(saved, node)``; a negative int shows as PyTorch's
# (unsigned)
_SAVED_EXTRA = {
    "MmBackward0": _matmul_extra("self", 0), "AddmmBackward0": _matmul_extra("mat1", 1),
    "MseLossBackward0": {"reduction": lambda s, n: _REDUCTION[s[2]]},
    "SmoothL1LossBackward0": {"reduction": lambda s, n: _REDUCTION[s[2]],
                              "beta": lambda s, n: s[4]},
    "BinaryCrossEntropyBackward0": {"reduction": lambda s, n: _REDUCTION[s[3]]},
    "BinaryCrossEntropyWithLogitsBackward0": {"reduction": lambda s, n: _REDUCTION[s[4]]},
    "NllLossBackward0": {"reduction": lambda s, n: _REDUCTION[s[5]],
                         "ignore_index": lambda s, n: s[11] % 2 ** 64},
    "NativeLayerNormBackward0": {"normalized_shape": lambda s, n: tuple(s[4][2])},
    "NativeBatchNormBackward0": {"training": lambda s, n: s[4][4], "eps": lambda s, n: s[4][5]},
    "ConvolutionBackward0": {
        name: (lambda k: lambda s, n: s[3][k])(k) for k, name in enumerate(
            ("stride", "padding", "dilation", "transposed", "output_padding", "groups"))},
    **{name: {"self_sym_sizes": _sizes} for name in (
        "ViewBackward0", "UnsafeViewBackward0", "SumBackward0", "SumBackward1",
        "ExpandBackward0", "SqueezeBackward0", "SqueezeBackward1", "SelectBackward0",
        "SliceBackward0", "IndexBackward0", "MaxBackward0")},
    **{name: {"self_sym_sizes": _sizes, "self_sym_numel": _numel}
       for name in ("MeanBackward0", "MeanBackward1")},
}


# NOTE: PyTorch's MulBackward0 saves (and so packs and unpacks) ``other`` before ``self``
_PACK_ORDER = {"MulBackward0": (1, 0)}
# The order in which PyTorch's backward unpacks (and so checks for in-place changes) what a
# node saved: by the names' alphabetical order (``mat2`` before ``self``); the first
# changed one is the one its error names
_CHECK_ORDER = {name: tuple(sorted(range(len(names)), key=names.__getitem__))
                for name, names in _SAVED_NAMES.items()}
_CHECK_ORDER.update({"FmodBackward1": (1, 0), "XlogyBackward0": (1, 0),
                     "LerpBackward1": (1, 0, 2)})
_SAVED_HOOKS: list = []  # (pack, unpack) of the saved_tensors_hooks blocks entered; last applies
_HOOKS_DISABLED: list = []  # the messages of the disable_saved_tensors_hooks blocks entered


def _plain(v):
    """Whether a saved value is a plain setting (a number, a shape, a dtype, a device, the
    index function of a view), which the backward keeps (PyTorch frees only a node's saved
    tensors)."""
    if v is None or type(v) in (bool, int, float, str):
        return True
    if type(v) is tuple:
        return all(type(i) is int or type(i).__name__.startswith(("int", "uint")) for i in v)
    return type(v).__name__ in ("device", "dtype", "Size", "function")


class _Packed:
    __slots__ = ("value", "unpack")

    def __init__(self, value, unpack):
        self.value, self.unpack = value, unpack

    def get(self):
        """The unpack hook's result (a tensor, as PyTorch checks)."""
        t = self.unpack(self.value)
        if not isinstance(t, _Tensor or _tensor_class()):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(t).__name__}")
        return t


class saved_tensors_hooks:
    """``with saved_tensors_hooks(pack, unpack):`` every tensor an op saves for backward is
    kept as ``pack(tensor)`` and given back as ``unpack(packed)`` when backward needs it."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _HOOKS_DISABLED:
            raise RuntimeError(_HOOKS_DISABLED[-1])
        _SAVED_HOOKS.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *exc):
        _SAVED_HOOKS.pop()


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors kept on the CPU and moved back to their device for backward."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack(t):
            return t.device, t.cpu()

        def unpack(packed):
            device, t = packed
            return t.to(device, non_blocking=pin_memory)

        super().__init__(pack, unpack)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Entering ``saved_tensors_hooks`` inside this block raises ``RuntimeError(error_message)``."""
    _HOOKS_DISABLED.append(error_message)
    try:
        yield
    finally:
        _HOOKS_DISABLED.pop()


_MUTATION_OK = [False]  # inside allow_mutation_on_saved_tensors


class _AllowMutationOnSavedContext:
    """What ``allow_mutation_on_saved_tensors`` keeps: per saved tensor, its value when
    saved (cleared when the block ends)."""

    def __init__(self):
        self.saved = {}

    def clear(self):
        self.saved.clear()


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Tensors saved for backward in this block may be changed in place afterwards: backward
    uses their values as they were saved (PyTorch clones them when they are changed; ember
    keeps a copy when they are saved).  Run the backward in the block too."""
    ctx = _AllowMutationOnSavedContext()
    msg = ("Trying to backward outside of the 'allow_mutation_on_saved_tensors' context"
           "in which the graph was originally recorded.")

    def pack(t):
        key = object()
        ctx.saved[key] = (t, t._version, t.clone())
        return key

    def unpack(key):
        if not _MUTATION_OK[0] or key not in ctx.saved:
            raise AssertionError(msg)
        t, version, copy = ctx.saved[key]
        return t if t._version == version else copy

    with saved_tensors_hooks(pack, unpack):
        try:
            if _MUTATION_OK[0]:
                raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
            _MUTATION_OK[0] = True
            yield ctx
        finally:
            ctx.clear()
            _MUTATION_OK[0] = False


_INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
    "`torch.inference_mode()`.")


class Node:
    """A backward function in the graph.  Subclassed per op so that
    ``type(t.grad_fn).__name__`` is PyTorch's name (``MulBackward0``)."""

    __slots__ = ("next_functions", "_rule", "_meta", "_seq", "_nig", "__weakref__", "__dict__")
    # Set on few nodes; class-level defaults keep making a node (once per op) cheap.
    _num_outputs = 1
    _out_meta = None  # per output (shape, dtype, device): present where missing grads become zeros
    _saved = ()
    _versions = ()
    _pre_hooks = None
    _post_hooks = None
    _tensor_hooks = None
    _released = False
    _packed = False  # saved under saved_tensors_hooks

    def __init__(self, rule, next_functions, meta, num_outputs=1):
        self._rule = rule
        self.next_functions = next_functions
        self._meta = meta  # per input: (shape, dtype) the gradient must take
        self._seq = next(_seq)
        self._nig = None
        if num_outputs != 1:
            self._num_outputs = num_outputs
        if ANOMALY.anomaly:  # where the forward op ran, shown if this node's backward fails
            self.__dict__["_trace"] = _user_stack()

    def name(self) -> str:
        n = type(self).__name__
        # PyTorch's hand-written C++ nodes give their namespaced C++ name
        return f"torch::autograd::{n}" if n in ("AccumulateGrad", "CopySlices", "CopyBackwards") \
            else n

    def _sequence_nr(self) -> int:
        """Where this node comes in the order nodes were made (PyTorch's sequence number)."""
        return self._seq

    @property
    def metadata(self) -> dict:
        """A dict a user may store anything in, made at first access (PyTorch's ``metadata``)."""
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self.__dict__["_metadata"] = {}
        return d

    @property
    def needs_input_grad(self):
        """Per input, whether a gradient for it is wanted (computed when a rule first asks)."""
        nig = self._nig
        if nig is None:
            nig = self._nig = tuple([n is not None for n, _ in self.next_functions])
        return nig

    # -- what the rule saved ------------------------------------------------
    def save(self, *items, out=None):
        """Keep tensors (checked against in-place changes) and other values for backward.

        An op's own output (``OUT`` among ``items`` stands for ``out``) is kept as an alias
        without history (no reference cycle), and gets this node back as its grad_fn when
        unpacked for a double backward.
        """
        tensor = _Tensor or _tensor_class()
        saved = []
        versions = []
        if _SAVED_HOOKS:
            return self._save_packed(items, out, tensor)
        for x in items:
            if x is OUT:
                x = out
            if isinstance(x, tensor):
                if x._is_inference:
                    raise RuntimeError(_INFERENCE_SAVED)
                versions.append(x._vc.v)
                if x._grad_fn is self:
                    x = SavedOutput(x)
            else:
                versions.append(None)
            saved.append(x)
        self._saved = tuple(saved)
        self._versions = tuple(versions)

    def _save_packed(self, items, out, tensor):
        """``save`` under ``saved_tensors_hooks``: each tensor is kept as its pack hook's
        result, and given back through the unpack hook (no version check then)."""
        pack, unpack = _SAVED_HOOKS[-1]
        saved = [out if x is OUT else x for x in items]
        prev, STATE.enabled = STATE.enabled, False  # as PyTorch, pack hooks run in no_grad
        try:
            for i in _PACK_ORDER.get(type(self).__name__, range(len(saved))):
                x = saved[i]
                if isinstance(x, tensor):
                    # (what unpack gives back takes the saved tensor's place in the graph, as
                    # PyTorch's: for a double backward)
                    if items[i] is OUT:
                        meta = (weakref.ref(self), x._output_nr, True, None)
                    else:
                        meta = (x._grad_fn, x._output_nr, x._requires_grad,
                                get_accumulator(x) if x._requires_grad and x._grad_fn is None
                                and x._base is None else None)
                    if x._is_inference:
                        raise RuntimeError(_INFERENCE_SAVED)
                    version = x._vc.v
                    value = pack(x)
                    _check_pack_in_place(x, version)
                    saved[i] = _Packed(value, functools.partial(_unpack_as, unpack, *meta))
        finally:
            STATE.enabled = prev
        self._saved = tuple(saved)
        self._versions = (None,) * len(saved)
        self._packed = True

    @property
    def saved(self):
        if self._packed and not self._released:
            out = list(self._saved)
            for i in _PACK_ORDER.get(type(self).__name__, range(len(out))):
                if type(out[i]) is _Packed:
                    out[i] = out[i].get()
            return tuple(out)
        if self._released:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        order = _CHECK_ORDER.get(type(self).__name__)
        if order is None or len(order) != len(self._saved):
            return tuple([self._unpack_at(i) for i in range(len(self._saved))])
        out = [None] * len(order)
        for i in order:
            out[i] = self._unpack_at(i)
        return tuple(out)

    def _unpack_at(self, i):
        """Saved value ``i`` as backward gets it, checked against in-place changes."""
        x, v = self._saved[i], self._versions[i]
        if v is None:
            # (a tensor with hooks registered on it alone is given back by its unpack hook)
            return x.get() if type(x) is _Packed else x
        is_out = type(x) is SavedOutput
        t = x.tensor if is_out else x
        if not is_out and t._grad_fn is None and t.__dict__.get("_detached_at", -1) > self._seq:
            raise RuntimeError(
                "Trying to use a saved tensor that has been detached in-place, i.e. with "
                ".detach_().This is not supported, please use out-of-place `.detach()` "
                "instead")
        if t._vc.v != v:
            raise RuntimeError(_modified_message(t, v, self if is_out else None,
                                                 x.output_nr if is_out else 0))
        return x.unpack(self) if is_out else x

    def __dir__(self):
        # as PyTorch's nodes, ``dir(grad_fn)`` lists the ``_saved_<name>`` (and, for a
        # tensor, ``_raw_saved_<name>``) that ``__getattr__`` below answers
        out = set(super().__dir__())
        names = _SAVED_NAMES.get(type(self).__name__, ())
        out.update("_saved_" + name for name in _SAVED_EXTRA.get(type(self).__name__, ()))
        for name in names:
            if name == "-" or (names is not _BINARY and name in names and
                               names.index(name) >= len(self._saved) and not self._released):
                continue
            out.add("_saved_" + name)
            try:  # (a binary op's number operand is a tensor in PyTorch)
                names is _BINARY or getattr(self, "_raw_saved_" + name)
            except AttributeError:
                continue
            out.add("_raw_saved_" + name)
        return sorted(out)

    def __getattr__(self, attr):
        # ``grad_fn._saved_self`` / ``_saved_result``...: what the op saved, by PyTorch's names
        # (known for the ops below; only reached when no real attribute has the name)
        names = _SAVED_NAMES.get(type(self).__name__, ())
        shown = self.__dict__.get("_shown_saved")  # (a number as PyTorch shows it, see below)
        if shown is not None and attr.startswith("_saved_") and attr[7:] in shown:
            return shown[attr[7:]]
        extra = _SAVED_EXTRA.get(type(self).__name__)
        if extra is not None and attr.startswith("_saved_") and attr[7:] in extra:
            value = self.__dict__["_kept_extra"].get(attr[7:], _NONE) \
                if "_kept_extra" in self.__dict__ else _extra_value(extra[attr[7:]], self)
            if value is not _NONE:
                return value
        kept = self.__dict__.get("_kept_numbers", {})  # (after the backward freed the rest)
        if attr[7:] == "-" or attr[11:] == "-" or (
                names and not self._released and attr.startswith(("_saved_", "_raw_saved_"))
                and attr.split("saved_", 1)[1] in names and
                names.index(attr.split("saved_", 1)[1]) >= len(self._saved)):
            names = ()  # (not saved where ember took another path: as a name PyTorch lacks)
        if attr.startswith("_saved_") and attr[7:] in names and names.index(attr[7:]) in kept:
            value = kept[names.index(attr[7:])]  # (a product's factor not kept: None, below)
            return None if type(value) is bool and type(self).__name__ in _MM else value
        if attr.startswith("_saved_") and attr[7:] in names:
            i = names.index(attr[7:])  # (as PyTorch: only this one is checked for changes)
            value = self.saved[i] if self._packed or self._released else self._unpack_at(i)
            if type(value) is bool and type(self).__name__ in _MM:
                return None  # (a factor not kept: only its layout, see ``linalg._kept``)
            if isinstance(value, (bool, int, float)) and names is _BINARY:
                import ember  # a number operand is kept as PyTorch's wrapped-number tensor
                value = ember.tensor(value, dtype=ember.bool if isinstance(value, bool) else
                                     ember.int64 if isinstance(value, int) else ember.float64)
            return value
        if attr.startswith("_raw_saved_") and attr[11:] in names:
            i = names.index(attr[11:])
            if self._released and i not in kept:
                return SavedTensor(self, i)
            value = kept[i] if self._released else self._saved[i]
            if not isinstance(value, (int, float, bool, str, tuple, list)) or \
                    names is _BINARY:  # (a tensor, None; a number operand: a tensor there)
                return SavedTensor(self, i)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr}'")

    def _release(self):
        if type(self).__name__ == "CopySlices":  # (PyTorch's frees the op it wraps: a second
            self._saved = self._versions = ()  # backward through it is refused, whatever
            self._released = True  # that op saved)
            return
        extra = _SAVED_EXTRA.get(type(self).__name__)
        if extra is not None and self._saved and "_kept_extra" not in self.__dict__:
            # (the numbers PyTorch keeps past the backward)
            self.__dict__["_kept_extra"] = {k: v for k, v in (
                (k, _extra_value(g, self)) for k, g in extra.items()) if v is not _NONE}
        # no tensor to free (a cast, a view): as PyTorch, the node can run again (but a
        # binary op's number operand is a tensor in PyTorch, freed)
        if self._saved and not self._packed and all(map(_plain, self._saved)) and \
                _SAVED_NAMES.get(type(self).__name__) is not _BINARY:
            return
        if self._saved:
            names = _SAVED_NAMES.get(type(self).__name__)
            if names is not None:
                # NOTE: as PyTorch's, the numbers an op saved (a dim, a slope, ``approximate``)
                # and what it did not need to save (None) stay readable as ``_saved_<name>``
                # once the backward freed the tensors (a binary op's number operand is a
                # tensor there, freed with the rest)
                kept = {i: v for i, v in enumerate(self._saved[:len(names)])
                        if v is None or (names is not _BINARY and _plain(v))}
                if kept:
                    self.__dict__["_kept_numbers"] = kept
            self._saved = self._versions = ()
            self._released = True

    # -- hooks --------------------------------------------------------------
    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node; may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = {}
        return _add_hook(self._post_hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return _add_hook(self._pre_hooks, fn)

    def _add_tensor_hook(self, output_nr, fn):
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        return _add_hook(self._tensor_hooks.setdefault(output_nr, {}), fn)

    def _add_retain_hook(self, output_nr, fn):
        """``retain_grad()``'s hook: PyTorch keeps it apart from the tensor's hooks, without a
        handle, so it takes no id from the handles' shared counter."""
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        self._tensor_hooks.setdefault(output_nr, {})[("retains_grad", id(fn))] = fn

    def apply(self, *grads):
        return self._rule(self, *grads)

    def __call__(self, *grads):
        return self.apply(*grads)


class AccumulateGrad(Node):
    """The node at a leaf tensor: adds incoming gradients into ``variable.grad``."""

    __module__ = "builtins"  # PyTorch's built-in nodes print bare: <class 'AccumulateGrad'>
    __slots__ = ("variable", "_post_acc_hooks")

    def __init__(self, variable):
        super().__init__(None, (), ())
        self.variable = variable
        self._post_acc_hooks = None

    def apply(self, grad):
        accumulate_into_leaf(self.variable, grad)
        return ()

    def _sequence_nr(self) -> int:
        return 2 ** 64 - 1  # (as PyTorch's: UINT64_MAX, so that it runs last)


def node_class(name: str):
    """The Node subclass called ``name``, made once."""
    cls = _node_classes.get(name)
    if cls is None:
        # (in "builtins", a node prints bare, as PyTorch's: <MulBackward0 object at 0x...>)
        cls = _node_classes[name] = type(name, (Node,), {"__slots__": (), "__module__": "builtins"})
    return cls


class RemovableHandle:
    """Takes a hook off again (``torch.utils.hooks.RemovableHandle``): ``remove()`` deletes
    entry ``id`` from ``hooks_dict`` and from ``extra_dict`` (a dict or a list of dicts).
    Ids come from one counter shared by every handle, as in PyTorch."""

    __module__ = "ember.utils.hooks"  # (its public home, where PyTorch's lives)
    _ids = itertools.count()

    def __init__(self, hooks: dict, *, extra_dict=None):
        self.hooks_dict = hooks
        self.id = next(self._ids)
        self.extra_dicts = (extra_dict,) if isinstance(extra_dict, dict) else \
            tuple(extra_dict or ())

    def remove(self):
        self.hooks_dict.pop(self.id, None)
        for extra in getattr(self, "extra_dicts", ()):
            extra.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks: dict, fn):
    h = RemovableHandle(hooks)
    hooks[h.id] = fn
    return h


_Tensor = None  # ember.Tensor (whose module imports this one), fetched on first use


def _tensor_class():
    global _Tensor
    from .._tensor import Tensor as _Tensor

    return _Tensor


class SavedTensor:
    """``grad_fn._raw_saved_<name>``: one tensor a node saved, on which a user may set a
    pack/unpack pair of hooks (``register_hooks``), as ``saved_tensors_hooks`` does for all."""

    __slots__ = ("_node", "_index")

    def __init__(self, node, index):
        self._node, self._index = node, index

    def __repr__(self):
        return f"<torch._C._autograd.SavedTensor object at {id(self):#x}>"

    def register_hooks(self, *hooks):
        if len(hooks) != 2 or not all(callable(h) for h in hooks):
            raise TypeError(
                "register_hooks(): incompatible function arguments. The following argument "
                "types are supported:\n    1. (self: torch._C._autograd.SavedTensor, arg0: "
                "collections.abc.Callable, arg1: collections.abc.Callable) -> None\n\n"
                f"Invoked with: {self!r}, " + ", ".join(repr(h) for h in hooks))
        node, i = self._node, self._index
        if node._released:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved variables after calling "
                "backward.")
        if node._saved[i] is None:  # (a saved tensor that is not there, as ``other``'s of x * 3)
            raise RuntimeError("Calling register_hooks on a saved tensor with value None is "
                               "forbidden")
        if node._packed or type(node._saved[i]) is _Packed:
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have already "
                               "been set. Hint: only one pair of hooks is allowed at a time.")
        value = node.saved[i]
        pack, unpack = hooks
        # the pack hook sees the tensor without its history; what unpack returns takes it back
        if type(node._saved[i]) is SavedOutput:
            ref, nr, req = weakref.ref(node), node._saved[i].output_nr, True
        else:
            ref, nr, req = value._grad_fn, value._output_nr, value._requires_grad
        prev, STATE.enabled = STATE.enabled, False  # pack hooks run in no_grad, as PyTorch's
        try:
            acc = get_accumulator(value) if req and ref is None and value._base is None else None
            version = value._vc.v
            packed = _Packed(pack(value.detach()), functools.partial(_unpack_as, unpack, ref, nr,
                                                                       req, acc))
            _check_pack_in_place(value, version)
        finally:
            STATE.enabled = prev
        saved, versions = list(node._saved), list(node._versions)
        saved[i], versions[i] = packed, None
        node._saved, node._versions = tuple(saved), tuple(versions)


def _check_pack_in_place(t, version):
    if t._vc.v != version:
        raise RuntimeError("A saved tensor pack hook is modifying its input in place. Tensors "
                           "provided as input to pack hook cannot be modified by in-place "
                           "operations as this can lead to unexpected side-effects. Please open "
                           "an issue if you need to perform in-place operations on the input to "
                           "a pack hook.")


def _unpack_as(unpack, grad_fn, output_nr, requires_grad, acc, packed):
    t = unpack(packed)
    if not isinstance(t, _Tensor or _tensor_class()):
        raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                        f"result of type {type(t).__name__}")
    if not STATE.enabled or not requires_grad:
        return t
    out = t.detach()
    out._grad_fn = grad_fn() if type(grad_fn) is weakref.ref else grad_fn
    out._output_nr = output_nr
    out._requires_grad = True
    if acc is not None:  # (a leaf's: its gradient flows to that leaf)
        out._accumulator = acc
    return out


class SavedOutput:
    """An op's own output, saved for its backward without a reference cycle."""

    __slots__ = ("tensor", "output_nr")

    def __init__(self, t):
        self.tensor = t._alias()
        self.output_nr = t._output_nr

    def unpack(self, node):
        t = self.tensor
        if not STATE.enabled:
            return t
        out = t._alias()
        out._grad_fn = node
        out._output_nr = self.output_nr
        out._requires_grad = True
        return out


def show_negative_dim(t, dim):
    """Where ``dim`` (as the user gave it) is negative, ``t.grad_fn._saved_dim`` shows it as
    PyTorch does: its int64 read back as an unsigned 64-bit number (-1 is 2**64 - 1)."""
    node = t._grad_fn
    if type(dim) is int and dim < 0 and node is not None:
        node.__dict__["_shown_saved"] = {"dim": dim + 2 ** 64}
    return t


def _modified_message(t, version, out_node, output_nr):
    from .._ops.shape import _type_string  # (torch.FloatTensor, CPUBFloat16Type, ...)

    shape = ", ".join(str(s) for s in t.shape)
    desc = f"[{_type_string(t)} [{shape}]]"
    # NOTE: PyTorch names the producing op without its "Backward0" suffix here.
    if out_node is not None:
        desc += f", which is output {output_nr} of {_op_name(out_node)},"
    elif t.grad_fn is not None:  # (a view written through its base: rebuilt, AsStrided)
        desc += f", which is output {t._output_nr} of {_op_name(t._grad_fn)},"
    elif "_stands_for" in t.__dict__ and t._stands_for.grad_fn is not None:
        t = t._stands_for  # (a fused op's input, saved by its inner ops)
        desc += f", which is output {t._output_nr} of {_op_name(t._grad_fn)},"
    hint = ("the backtrace further above shows the operation that failed to compute its "
            "gradient. The variable in question was changed in there or anywhere later. Good "
            "luck!") if ANOMALY.anomaly else (
            "enable anomaly detection to find the operation that failed to compute its "
            "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {desc} is at version {t._vc.v}; expected version {version} "
            f"instead. Hint: {hint}")


def _op_name(node):
    name = type(node).__name__
    if name in ("CopySlices", "CopyBackwards"):  # hand-written PyTorch nodes: named with
        return "torch::autograd::" + name  # their C++ namespace
    # NOTE: as PyTorch: "MulBackward0" is "Mul", but "ClampBackward1" is "Clamp1"
    return re.sub(r"Backward(\d*)$", lambda m: "" if m.group(1) in ("", "0") else m.group(1),
                  name)


# -- leaves -------------------------------------------------------------------

def _hook_result(fn, grad, r):
    """A tensor hook's replacement gradient, refused as PyTorch does when it changes the
    gradient's shape or dtype or is not a tensor."""
    from .._dtype import dtype_name_for_type
    from .._tensor import Tensor

    if grad is None:  # (a hook given None, where no gradient came: PyTorch's refusal first)
        raise RuntimeError("can't replace a None gradient with a non-None value")
    if not isinstance(r, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
    if grad is not None:
        name = getattr(fn, "__name__", "<unknown>")
        if r.shape != grad.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        if r.dtype is not grad.dtype:
            raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                               f"torch.{dtype_name_for_type(grad.dtype)} got "
                               f"torch.{dtype_name_for_type(r.dtype)})")
    return r


def _node_hook_result(fn, grads, r):
    """A Node hook's replacement gradients, refused as PyTorch does: not a tuple, a wrong
    count, a value given for a None gradient, or a value ``_hook_result`` refuses."""
    if not isinstance(r, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(r).__name__}'")
    if len(r) != len(grads):
        raise RuntimeError(f"hook '{getattr(fn, '__name__', '<unknown>')}' has returned an "
                           f"incorrect number of values (got {len(r)}, but expected "
                           f"{len(grads)})")
    for g, v in zip(grads, r):
        if v is not None:
            if g is None:
                raise RuntimeError("can't replace a None gradient with a non-None value")
            _hook_result(fn, g, v)
    return list(r)


def accumulate_into_leaf(var, grad, acc=None):
    if grad is not None and grad._device is not var._device and grad._device != var._device \
            and grad._data.ndim == 0:
        # a 0-d CPU leaf used in GPU ops gets its gradient back on the CPU (as PyTorch's
        # engine moves a 0-d gradient to its input's device)
        grad = grad.to(var._device)
    if acc is None:
        acc = var._accumulator
    seen = False  # whether a hook saw the gradient (and so may keep it)
    if acc is not None and acc._tensor_hooks:
        for fn in list(acc._tensor_hooks.get(0, {}).values()):
            seen = True
            r = fn(grad)
            if r is not None:
                grad = _hook_result(fn, grad, r)
    if acc is not None and acc._pre_hooks:  # (the node's own, after the tensor's: PyTorch's)
        grads, seen = [grad], True
        for fn in list(acc._pre_hooks.values()):
            r = fn(tuple(grads))
            if r is not None:
                grads = _node_hook_result(fn, grads, r)
        grad = grads[0]
    if grad is None or not var._requires_grad:  # (a leaf given up since: requires_grad_(False))
        return grad
    if grad.is_sparse or var.is_sparse or (var._grad is not None and var._grad.is_sparse):
        from .._sparse import accumulate

        accumulate(var, grad)
    elif grad._compressed or (var._grad is not None and var._grad._compressed):
        from .._sparse_compressed import accumulate  # (CSR, CSC, BSR, BSC gradients)

        accumulate(var, grad)
    elif var._grad is None:
        if STATE.enabled:  # create_graph: a copy that keeps the gradient's history
            from .._ops.creation import empty_like

            var._grad = empty_like(grad).copy_(grad)
        else:
            gd, vd = grad._data, var._data
            if not (gd.flags.c_contiguous and vd.flags.c_contiguous) and \
                    not _ops_shape().grad_layout_ok(vd, gd):
                # NOTE: PyTorch's layout contract: .grad is laid out as its leaf (so that
                # p.grad.view(-1) works after a transposed use of p), copied if need be.
                grad = _ops_core().wrap(_ops_shape().grad_layout_copy(vd, gd), grad._device)
                grad._fresh = True
            if not seen and _can_take(grad):
                # NOTE: as PyTorch does, a gradient that only the engine holds becomes .grad
                # without a copy.  "Fresh" tensors were allocated by an op during this
                # backward pass; taking one clears the mark so no second leaf takes it too.
                owner = grad if grad._base is None else grad._base
                owner._fresh = grad._fresh = False
                var._grad = grad if grad._base is None else grad.detach()
            else:
                var._grad = grad.detach().clone()
                var._grad._fresh = False
    elif STATE.enabled:
        var._grad = var._grad + grad
    else:
        acc_data, gd = var._grad._data, grad._data
        acc_data += gd if gd.dtype == acc_data.dtype else gd.astype(acc_data.dtype)
        var._grad._vc.v += 1
    if acc is not None and acc._post_acc_hooks:
        for fn in list(acc._post_acc_hooks.values()):
            r = fn(var)
            if r is not None:
                if not isinstance(r, _tensor_class()):
                    raise TypeError(f"expected Variable, but hook returned "
                                    f"'{type(r).__name__}'")
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")
    return grad


def _can_take(grad):
    """Whether a gradient may become a leaf's .grad as it is: made by this backward pass,
    held by nobody else, and covering all of its memory."""
    d = grad._data
    if not getattr(d.flags, "writeable", True):  # (CuPy arrays have no such flag)
        return False
    if grad._base is None:
        return grad._fresh
    base = grad._base
    return base._fresh and base._data.size == d.size


def get_accumulator(t):
    acc = t._accumulator
    if acc is None:
        acc = t._accumulator = AccumulateGrad(t)
    return acc


# -- the engine ---------------------------------------------------------------

def _collect(roots):
    """Every node reachable from the roots."""
    stack = [n for n in roots if n is not None]
    seen = set(stack)
    add = seen.add
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None and child not in seen:
                add(child)
                stack.append(child)
    return seen


_LAST = 2 ** 64 - 1


def _priority(node):
    """A node's place in PyTorch's ready queue: the newest first, and a leaf's AccumulateGrad
    (sequence number UINT64_MAX) as soon as it is ready."""
    return _LAST if type(node) is AccumulateGrad else node._seq


class _ReadyQueue:
    """PyTorch's engine's ready queue: a ``std::priority_queue`` (libstdc++'s heap, kept
    here step for step so that nodes of equal priority, AccumulateGrads, come out in the
    same order as there) of the nodes whose consumers have all run."""

    __slots__ = ("heap",)

    def __init__(self):
        self.heap = []

    def __bool__(self):
        return bool(self.heap)

    def _sift_up(self, hole, top, item):
        h = self.heap
        key = item[0]
        parent = (hole - 1) // 2
        while hole > top and h[parent][0] < key:
            h[hole] = h[parent]
            hole = parent
            parent = (hole - 1) // 2
        h[hole] = item

    def push(self, node):
        self.heap.append(None)
        self._sift_up(len(self.heap) - 1, 0, (_priority(node), node))

    def pop(self):
        h = self.heap
        top = h[0]
        item = h.pop()
        n = len(h)
        if n:
            hole = second = 0
            while second < (n - 1) // 2:
                second = 2 * (second + 1)
                if h[second][0] < h[second - 1][0]:
                    second -= 1
                h[hole] = h[second]
                hole = second
            if n % 2 == 0 and second == (n - 2) // 2:
                second = 2 * (second + 1)
                h[hole] = h[second - 1]
                hole = second - 1
            self._sift_up(hole, 0, item)
        return top[1]


def _dependencies(nodes):
    """Per node, how many edges of the graph lead to it (PyTorch's ``dependencies_``)."""
    deps = {}
    get = deps.get
    for node in nodes:
        for child, _ in node.next_functions:
            if child is not None:
                deps[child] = get(child, 0) + 1
    return deps


def _ops_shape():
    """``ember._ops.shape``, fetched on first use as :func:`_ops_core` is."""
    global _SHAPE
    if _SHAPE is None:
        from .._ops import shape as _SHAPE
    return _SHAPE


_SHAPE = None


def _ops_core():
    """``ember._ops._core`` (which imports this module, so it is fetched on first use)."""
    global _CORE
    if _CORE is None:
        from .._ops import _core as _CORE
    return _CORE


_CORE = None


def _needed(nodes, targets):
    """The nodes from which some target can be reached (only those run for autograd.grad)."""
    memo = {}

    def visit(root):
        stack = [(root, iter(root.next_functions))]
        memo[root] = root in targets
        while stack:
            node, it = stack[-1]
            for child, _ in it:
                if child is None:
                    continue
                if child not in memo:
                    memo[child] = child in targets
                    stack.append((child, iter(child.next_functions)))
                    break
                if memo[child]:
                    memo[node] = True
            else:
                stack.pop()
                if stack and memo[node]:
                    memo[stack[-1][0]] = True
    for n in nodes:
        if n not in memo:
            visit(n)
    return memo


def run_backward(roots, grad_roots, retain_graph, create_graph, inputs=None, accumulate=True,
                 leaf_hooks=False):
    """Propagate ``grad_roots`` from the ``roots`` (``(node, output_nr)`` edges).

    With ``inputs`` (a list of ``(node, output_nr)`` edges), return the gradient that
    reached each of them; with ``accumulate``, leaves' ``.grad`` are updated; with
    ``leaf_hooks``, a leaf input's tensor hooks run on its gradient before it is returned
    (``autograd.grad``, as PyTorch's).
    """
    _core = _ops_core()
    prev = STATE.enabled, STATE.in_backward, STATE.partial
    mark = len(_PASS_END)  # (a nested pass, as a fused op's backward runs, has its own)
    STATE.enabled = create_graph
    STATE.in_backward = True
    STATE.partial = inputs is not None
    try:
        root_nodes = [n for n, _ in roots]
        buffers = {}
        for (node, nr), g in zip(roots, grad_roots):
            if node is None:
                continue
            buf = buffers.setdefault(node, [None] * node._num_outputs)
            buf[nr] = g if buf[nr] is None else buf[nr] + g
        captured = None
        needed = None
        if inputs is not None:
            targets = {n for n, _ in inputs if n is not None}
            captured = {}
            needed = _needed(root_nodes, targets)
        # NOTE: as PyTorch's engine: a node is ready once all the nodes its gradients come from
        # have run, and the newest ready node runs first, but a leaf's AccumulateGrad runs as
        # soon as it is ready.  A node's saved values are freed as soon as it has run.
        release = not retain_graph
        deps = _dependencies(_collect(root_nodes))
        ready = _ReadyQueue()
        for node in dict.fromkeys(root_nodes):
            if node is not None and node not in deps:
                ready.push(node)
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None) or [None] * node._num_outputs
            if type(node) is AccumulateGrad:
                if captured is not None:
                    if node in targets:
                        g0 = grads[0]
                        if leaf_hooks and node._tensor_hooks:
                            for fn in list(node._tensor_hooks.get(0, {}).values()):
                                r = fn(g0)
                                if r is not None:
                                    g0 = _hook_result(fn, g0, r)
                        captured[(node, 0)] = g0
                    if not accumulate or not needed.get(node, False):
                        continue
                g0 = accumulate_into_leaf(node.variable, grads[0], node)  # runs the hooks
                if node._post_hooks:  # (an AccumulateGrad node gives no gradients)
                    for fn in list(node._post_hooks.values()):
                        fn((), (g0,))
                continue
            if captured is None:
                if node._tensor_hooks:
                    grads = _run_tensor_hooks(node, grads)
                out = _apply(node, grads, _core)
                if release:
                    node._release()
            elif needed.get(node, False):  # (as PyTorch, no other node runs, nor its hooks)
                further = _leads_further(node, needed, targets)
                # NOTE: as PyTorch's engine, a target that runs on (towards other targets) is
                # captured before its tensor hooks run, one that ends there after them
                if node in targets and further:
                    for nr in range(node._num_outputs):
                        captured[(node, nr)] = grads[nr]
                if node._tensor_hooks:
                    grads = _run_tensor_hooks(node, grads)
                if node in targets and not further:
                    for nr in range(node._num_outputs):
                        captured[(node, nr)] = grads[nr]
                if not further:
                    continue
                out = _apply(node, grads, _core)
                if release:
                    node._release()
            else:
                continue
            i = 0
            for child, nr in node.next_functions:
                if child is None:
                    i += 1
                    continue
                g = out[i] if out else None
                i += 1
                if g is not None:
                    buf = buffers.get(child)
                    if buf is None:
                        buffers[child] = buf = [None] * child._num_outputs
                    buf[nr] = g if buf[nr] is None else _buffer_add(buf[nr], g, create_graph)
                left = deps[child] - 1
                if left:
                    deps[child] = left
                else:
                    del deps[child]
                    ready.push(child)
    except BaseException:
        del _PASS_END[mark:]  # (a failed pass calls no multi-grad hook)
        raise
    finally:
        STATE.enabled, STATE.in_backward, STATE.partial = prev
    while len(_PASS_END) > mark:  # (register_multi_grad_hook's, once the pass is over)
        _PASS_END.pop(mark)()
    return captured


def _buffer_add(prev, g, create_graph):
    """Two gradients for one input summed, as PyTorch's input buffer sums them: a gradient
    that stands for PyTorch's ``_efficientzerotensor`` (``sgn``'s of a real input) adds
    nothing (another's signed zeros stay), unless the sum is recorded."""
    if not create_graph:
        if "_zero_tensor" in prev.__dict__:  # (a zero and a zero: still a zero)
            return g
        if "_zero_tensor" in g.__dict__:
            # PyTorch adds the zeros in place, as real zeros, into a dense gradient that only
            # the buffer holds (its -0s become 0s there), else it keeps the gradient
            if sys.getrefcount(prev) <= _SOLE_REFS and _dense_own(prev._data):
                return prev + g
            return prev
    return prev + g


def _refs(x):
    return sys.getrefcount(x)


_SOLE_REFS = _refs([object()][0]) + 1  # (a buffer's gradient: the buffer's, as an argument's)


def _dense_own(a):
    return getattr(a, "base", 0) is None and bool(a.flags.c_contiguous or a.flags.f_contiguous)


def _leads_further(node, needed, targets):
    if type(node) is AccumulateGrad:
        return True
    if node in targets:
        return any(needed.get(c, False) for c, _ in node.next_functions if c is not None)
    return True


def _run_tensor_hooks(node, grads):
    grads = list(grads)
    for nr, hooks in node._tensor_hooks.items():
        retain = None
        for fn in list(hooks.values()):
            if getattr(fn, "retains_grad", False):  # runs last, as in PyTorch
                retain = fn
                continue
            # (as PyTorch's: a hook runs when its node does, given None where no gradient came)
            r = fn(grads[nr])
            if r is not None:
                grads[nr] = _hook_result(fn, grads[nr], r)
        if retain is not None and grads[nr] is not None:
            retain(grads[nr])
    return grads


def _check_nan(node, grads):
    """Anomaly mode's check: the first gradient a node returns with a NaN in it is an error
    that names the node."""
    for i, g in enumerate(grads):
        if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
            raise RuntimeError(f"Function '{type(node).__name__}' returned nan values in its "
                               f"{i}th output.")


def _user_stack():
    """The Python stack outside ember, as the lines of a traceback."""
    import os
    import sys
    import traceback

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frames = [f for f in traceback.extract_stack() if not f.filename.startswith(root)]
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    names = [f.filename for f in frames]
    if main in names:  # under ``ember run``: from the script on, as ``python script.py``
        frames = frames[names.index(main):]
    return "".join(traceback.format_list(frames))


def _apply(node, grads, _core):
    if not ANOMALY.anomaly:
        return _apply_node(node, grads, _core)
    try:
        return _apply_node(node, grads, _core)
    except Exception:
        # anomaly mode: a failing backward names its node and where its forward op ran
        from .._warnings import warn

        trace = node.__dict__.get("_trace")
        warn(f"Error detected in {type(node).__name__}. " + (
            "No forward pass information available. Enable detect anomaly during forward "
            "pass for more information." if trace is None else
            # (as PyTorch's: the traceback's last newline kept, before its " (Triggered...")
            "Traceback of forward call that caused the error:\n" + trace),
            cpp=f"torch/csrc/autograd/python_anomaly_mode.cpp:{100 if trace is None else 122}")
        raise


def _is_conj(t):
    from .._ops.complex import is_conj

    return is_conj(t)


def _apply_node(node, grads, _core):
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            r = fn(tuple(grads))
            if r is not None:
                grads = _node_hook_result(fn, grads, r)
    if node._out_meta is not None:
        grads = [g if g is not None else _core.zeros_for(node, i) for i, g in enumerate(grads)]
    elif grads[0] is None and (getattr(node, "_materialize", True) is not False
                               or all(g is None for g in grads)):
        return ()  # (a Function that keeps None grads still runs for its other outputs')
    out = node._rule(node, *grads)
    if type(out) is not tuple:
        out = tuple(out) if isinstance(out, tuple) else (out,)
    nf = node.next_functions
    if len(out) != len(nf):
        raise RuntimeError(f"function {type(node).__name__} returned an incorrect number of "
                           f"gradients (expected {len(nf)}, got {len(out)})")
    fixed = out
    meta = node._meta
    for i, g in enumerate(out):
        if g is None:
            continue
        if nf[i][0] is None:
            g = None
        else:
            m = meta[i]
            d = g._data
            if d.dtype.kind == "c" and _is_conj(g):  # (as PyTorch's, no gradient has the bit:
                g = g.clone()  # ember's conj views hold their values, so a clone drops it)
            elif d.shape == m[0] and d.dtype == m[1]:
                continue
            if d.shape != m[0] or d.dtype != m[1]:
                g = _core.conform_grad(g, m, node, i)
        if fixed is out:
            fixed = list(out)
        fixed[i] = g
    if ANOMALY.anomaly_nan:
        _check_nan(node, fixed)
    if node._post_hooks:
        for fn in list(node._post_hooks.values()):
            r = fn(tuple(fixed), tuple(grads))
            if r is not None:
                fixed = _node_hook_result(fn, fixed, r)
    return fixed


# -- gradient edges -------------------------------------------------------------------

class GradientEdge(NamedTuple):
    """Where a tensor's gradient enters the graph: its node and which of the node's outputs
    (``torch.autograd.graph.GradientEdge``); ``autograd.grad`` takes one as an input."""
    node: object
    output_nr: int
    ownership_token: object = None


def get_gradient_edge(tensor) -> GradientEdge:
    """The :class:`GradientEdge` of ``tensor`` (its AccumulateGrad node for a leaf)."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    node, nr = _ops_core().edge(tensor)
    return GradientEdge(node, nr)


def increment_version(tensor) -> None:
    """Bump the version counter of ``tensor`` (or of each tensor of an iterable), as an
    in-place change would: a saved copy of it no longer passes the backward's check."""
    for t in (tensor,) if isinstance(tensor, _tensor_class()) else tensor:
        t._vc.v += 1


# -- hooks on several tensors ---------------------------------------------------------

_PASS_END: list = []  # callbacks run once the running backward pass has finished


class _MultiHandle:
    """The handle of :func:`register_multi_grad_hook`: ``remove()`` takes off every hook."""

    def __init__(self, handles):
        self.handles = tuple(handles)

    def remove(self):
        for h in self.handles:
            h.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Call ``fn`` once per backward pass that reaches any of ``tensors``.

    ``mode="all"``: ``fn(grads)`` after the pass, with the gradient of each tensor (None for
    those the pass did not reach).  ``mode="any"``: ``fn(grad)`` with the first gradient
    computed for one of them.  (PyTorch calls an "all" hook as soon as the last of those
    gradients is ready; ember calls it when the pass ends.)
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    for t in tensors:
        if not t.requires_grad:
            raise AssertionError("Expected gradient function to be set")
    pending: dict = {}

    def flush():
        grads = pending.pop("grads", None)
        pending.pop("fired", None)
        if grads is not None:
            fn(grads)

    def make(i):
        def hook(grad):
            if mode == "any":
                if not pending.get("fired"):
                    pending["fired"] = True
                    _PASS_END.append(flush)
                    fn(grad)
                return None
            if "grads" not in pending:
                pending["grads"] = [None] * len(tensors)
                _PASS_END.append(flush)
            pending["grads"][i] = grad
            return None
        return hook
    return _MultiHandle(t.register_hook(make(i)) for i, t in enumerate(tensors))
