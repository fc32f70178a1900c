"""``Tensor``: an array on a device plus its autograd state.

The class holds state and the methods PyTorch users call; each method hands
the work to a function in ``ember._ops`` (imported at the bottom of this file,
since the ops build tensors of this class).
"""
from __future__ import annotations

import functools
from ember._warnings import warn as _warn
from ember._warnings import _ROOT as _EMBER_ROOT

import numbers
import sys

import numpy as np

from . import _dtype as D
from ._size import Size


def _traced_conversion(kind, t=None):
    """PyTorch's TracerWarning when user code turns a tensor into a Python value while
    ``torch.jit.trace`` runs (ember's own conversions, which PyTorch's C++ makes without
    Python values, stay silent); and vmap's refusal of a mapped tensor ``t`` read so."""
    if VMAP_MAPPED and t is not None:
        _vmap_conversion(kind, t)
    jit = sys.modules.get("ember.jit")
    if jit is None or not jit._tracing[0] or \
            _past_dispatch(sys._getframe(2)).f_code.co_filename.startswith(_EMBER_ROOT):
        return
    _warn(f"Converting a tensor to a Python {kind} might cause the trace to be incorrect. We "
          "can't record the data flow of Python values, so this value will be treated as a "
          "constant in the future. This means that the trace might not generalize to other "
          "inputs!", jit.TracerWarning)


# per vmap level running (outermost first): ``{id(array): weakref}`` of the arrays of the
# tensors that level maps (its slices and what ops computed from them; ember.func._vmap)
VMAP_MAPPED: list = []

_VMAP_ITEM = ("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap "
              "over calling .item() on a Tensor, please try to rewrite what you're doing with "
              "other operations. If error is occurring somewhere inside PyTorch internals, "
              "please file a bug report.")
_VMAP_CONTROL_FLOW = ("vmap: It looks like you're attempting to use a Tensor in some "
                      "data-dependent control flow. We don't support that yet, please file an "
                      "issue at https://github.com/pytorch/pytorch/issues .")
_VMAP_NO_STORAGE = "Cannot access data pointer of Tensor that doesn't have storage"


def vmap_mapped(t) -> bool:
    """Whether a running vmap maps ``t`` (PyTorch's BatchedTensor)."""
    k = id(t._data)
    return any(k in level for level in VMAP_MAPPED)


def _vmap_conversion(kind, t, depth=3):
    """PyTorch's refusals of a mapped tensor read as a Python value by user code under vmap
    (ember's own reads stay allowed: PyTorch's C++ makes them on the whole batch)."""
    if not vmap_mapped(t):
        return
    frame = sys._getframe(depth)
    while frame.f_back is not None and (frame.f_code.co_filename in (_ARGPARSE_FILE,
                                                                     _SUBCLASS_FILE) or
                                        frame.f_code is _FORWARD_AD_NUMPY[0]):
        frame = frame.f_back
    if frame.f_code.co_filename.startswith(_EMBER_ROOT):
        return
    if kind == "boolean":
        raise RuntimeError(_VMAP_CONTROL_FLOW)
    raise RuntimeError(_VMAP_NO_STORAGE if kind in ("list", "data") else _VMAP_ITEM)


_new_size = tuple.__new__
_NO_CONTEXT = object()
_NUMPY2 = int(np.__version__.split(".")[0]) >= 2


def _legacy_numpy_protocol():
    """Whether NumPy 2 called ``__array__``/``__array_wrap__`` for user code (not ember)."""
    return _NUMPY2 and not _past_dispatch(sys._getframe(2)).f_code.co_filename.startswith(
        _EMBER_ROOT)


def _past_dispatch(frame):
    """``frame``, or the first frame above it outside ``__torch_function__`` dispatch (the
    dispatching methods Tensor has once a user's subclass exists)."""
    while frame.f_back is not None and frame.f_code.co_filename == _SUBCLASS_FILE:
        frame = frame.f_back
    return frame


class VersionCounter:
    """Counts in-place changes to a storage; shared by a tensor and its views."""

    __slots__ = ("v",)

    def __init__(self):
        self.v = 0


class InferenceVersionCounter(VersionCounter):
    """The memory of an inference tensor (PyTorch's has no version counter): an in-place
    change outside ``inference_mode`` is refused at its version bump, so, as in PyTorch, once
    the op has written (or reshaped) the tensor."""

    __slots__ = ("n",)

    def __init__(self):
        self.n = 0

    @property
    def v(self):
        return self.n

    @v.setter
    def v(self, value):
        self.n = value
        if not _autograd.grad_mode.STATE.inference:
            from ._ops._core import _INFERENCE_INPLACE

            raise RuntimeError(_INFERENCE_INPLACE)



_NDARRAY = np.ndarray


def _grad_layout_kind(t):
    """A tensor's dispatch kind as PyTorch's ``.grad`` setter compares them."""
    if t.is_sparse:
        return "coo"
    lay = str(t.layout)
    return "compressed" if lay.startswith("torch.sparse_") else "strided" if \
        lay == "torch.strided" else lay


def _grad_layout_ok(t, g) -> bool:
    """NOTE: PyTorch takes a ``.grad`` of its tensor's kind (strided, COO or compressed: CSR
    and BSC alike), or a COO one for any tensor."""
    kind = _grad_layout_kind(g)
    return kind == "coo" or kind == _grad_layout_kind(t)

class Tensor:
    """A multi-dimensional array with autograd, as ``torch.Tensor``."""

    # Every op sets these; the rarer ones below are class-level defaults, so that making a
    # tensor (which happens for every op) assigns only a handful of attributes.
    __slots__ = ("_data", "_device", "_requires_grad", "_grad_fn", "_vc", "_fresh",
                 "__dict__", "__weakref__")
    _grad = None
    _output_nr = 0
    _base = None  # the tensor whose memory this view shares
    _view_fn = None  # redoes the view on another tensor (for in-place ops on views)
    _view_version = 0
    _accumulator = None  # the AccumulateGrad node of a leaf
    _retains_grad = False
    _is_inference = False
    _inference_vc = False  # an inference tensor detached outside inference_mode: writable
    _no_grad_view = False  # a view made in no-grad mode of a tensor requiring grad
    _multi_view = False  # an output of unbind/split (or a view of one): no in-place writes

    __array_priority__ = 1000  # so ``ndarray + tensor`` calls Tensor.__radd__

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, device=None, **kwargs):
        # ``torch.Tensor(2, 3)`` is an uninitialised float tensor; ``torch.Tensor([1, 2])``
        # copies data into the default dtype.
        if not args and len(kwargs) == 1 and ("size" in kwargs or "data" in kwargs):
            args = (Size(kwargs.pop("size")),) if "size" in kwargs else (kwargs.pop("data"),)
        if kwargs:  # (PyTorch's parser's words: ``dtype=`` is not among them)
            given = dict(kwargs, **({} if device is None else {"device": device}))
            raise TypeError(_ops._core.format_invalid_args("new", args, given, (
                "(*, torch.device device = None)", "(torch.Storage storage)",
                "(Tensor other)", "(tuple of ints size, *, torch.device device = None)",
                "(object data, *, torch.device device = None)")))
        if len(args) == 1 and isinstance(args[0], Size):
            src = _ops.creation.empty(tuple(args[0]), device=device)
        elif len(args) == 1 and not _ops._core.legacy_one_size(args[0]):
            _ops.creation._check_legacy_data(args[0])
            src = _ops.creation._legacy_from_data(args[0], D.get_default_dtype(), device)
            if "_numpy_strides" in src.__dict__:  # (an empty NumPy array's strides kept)
                self.__dict__["_numpy_strides"] = True
        else:
            shape = _ops._core.legacy_size(args, {} if device is None else {"device": device}) \
                if args else (0,)
            src = _ops.creation.empty(shape, device=device)
        _ops._core.adopt(self, src)

    # -- state ----------------------------------------------------------------
    @property
    def dtype(self):
        try:
            return D._BY_NP[self._data.dtype]
        except KeyError:  # an ml_dtypes bfloat16 array from before ember loaded bfloat16
            return D.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return self._device

    @property
    def shape(self):
        return _new_size(Size, self._data.shape)

    def size(self, dim=None, *extra, **kwargs):
        if extra or kwargs:  # (PyTorch's parser's words: ``self`` not counted)
            _size_arguments(extra, kwargs)
        if dim is None:
            return Size(self._data.shape)
        if type(dim) is not int:
            from ._argparse import read_dim

            dim = read_dim(dim, "size")
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_ops._core.norm_dim(dim, self._data.ndim, wrap_scalar=False)]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self, *args):
        if args:
            raise TypeError(f"TensorBase.dim() takes no arguments ({len(args)} given)")
        return self._data.ndim

    ndimension = dim

    def numel(self, *args):
        if args:
            raise TypeError(f"TensorBase.numel() takes no arguments ({len(args)} given)")
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    @property
    def is_meta(self):
        return self._device.type == "meta"

    def get_device(self):
        return -1 if self._device.type in ("cpu", "meta") else self._device.index

    @property
    def is_leaf(self):
        # (a view written through its base may get a new history, or be refused one, here)
        return (self._grad_fn if self._base is None else self.grad_fn) is None

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def is_inference(self):
        return self._is_inference

    @property
    def layout(self):
        from . import strided

        return strided

    @property
    def requires_grad(self):
        # (as PyTorch's views: one that requires no grad of its own follows its base, as a view
        # made before its base was set to require grad, or one made in no-grad mode)
        if self._requires_grad:
            return True
        b = self._base
        return b is not None and b._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if type(value) is not bool:
            raise RuntimeError("requires_grad must be a bool")
        if not self.is_leaf:  # (PyTorch's setter: refused either way, its own words for True)
            if value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables.")
            self.requires_grad_(value)
        if value and self.dtype._kind < 2:  # NOTE: PyTorch's setter words it unlike the method
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        if type(requires_grad) is not bool:  # (PyTorch's parser takes a bool only)
            from ._ops._core import _py_type_name

            raise TypeError(f"requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {_py_type_name(requires_grad)}")
        if _in_func_transform() and _called_from_user():
            raise RuntimeError(
                "You are attempting to call Tensor.requires_grad_() (or perhaps using "
                "torch.autograd.functional.* APIs) inside of a function being transformed by a "
                "functorch transform. This is unsupported, please attempt to use the functorch "
                "transforms (e.g. grad, vjp, jacrev, jacfwd, hessian) or call requires_grad_() "
                "outside of a function being transformed instead.")
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and self.dtype._kind < 2:  # (floating or complex)
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if requires_grad and self._is_inference and \
                not _autograd.grad_mode.is_inference_mode_enabled():
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        if self._grad_fn is None:
            self._requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        if self._base is not None and self._view_version != self._vc.v:
            _ops._core.refresh_view(self)
        return self._grad_fn

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad and self._requires_grad \
                and self._grad is None:  # (as PyTorch: only while no gradient is set)
            _warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by "
                "mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information.", UserWarning,
                cpp="build/aten/src/ATen/core/TensorBody.h:493")
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.dtype is not self.dtype:
                from ._ops._core import _legacy

                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_CPP_NAMES[value.dtype.name]}'"
                    f" to a tensor with grad_dtype '{_legacy(self.dtype)}'. The gradient must "
                    "match the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
                    "the tensor's grad_dtype attribute with a specific dtype, or None to allow "
                    "any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor "
                    "and its gradient may break downstream systems that assume they match.")
            if (type(value._data) is not _NDARRAY or type(self._data) is not _NDARRAY) \
                    and not _grad_layout_ok(self, value):
                raise RuntimeError("attempting to assign a gradient to a tensor that has data "
                                   "of a different type")
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        return self._retains_grad

    @property
    def data(self):
        # NOTE: as PyTorch's, ``.data`` shares memory but not the version counter: in-place
        # writes through it go unnoticed by autograd (that is what it is for)
        d = self.detach()
        # (one taken in inference mode is an inference tensor: not writable outside it)
        d._vc = InferenceVersionCounter() if d._is_inference and not d._inference_vc \
            else VersionCounter()
        return d

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self._requires_grad and value.dtype._kind < 2:
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
        root = _ops.shape._storage_root(value)
        self._data = value._data
        self._device = value._device
        # (``value``'s storage from now on: for storage_offset and the storage size)
        if root is value._data:
            self.__dict__.pop("_storage_root", None)
        else:
            self.__dict__["_storage_root"] = root

    @property
    def _version(self):
        """How many in-place changes this tensor's memory has seen (shared with views)."""
        if self._is_inference and not self._inference_vc:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._vc.v

    @property
    def output_nr(self):
        return self._output_nr

    def _alias(self):
        """Same data and version counter, no autograd history."""
        t = _ops._core.wrap(self._data, self._device)
        t._vc = self._vc
        return t

    def _is_view(self):
        return self._base is not None

    # -- autograd -------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        if gradient is None and self._data.dtype.kind == "c" and self._data.size == 1:
            raise RuntimeError("grad can be implicitly created only for real scalar outputs but "
                               f"got {self.dtype}")
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        return _ops.shape.detach(self)

    def module_load(self, other, assign=False):
        """What ``load_state_dict`` puts in this tensor's place for ``other`` when
        ``torch.__future__``'s swap switch is on: ``other`` detached with ``assign``, else
        this tensor with ``other`` copied into it, detached."""
        if type(self) is not Tensor or type(other) is not Tensor:  # (PyTorch's Python-level
            from ._subclass import handle_torch_function, has_torch_function  # dispatch)

            if has_torch_function((self, other)):
                return handle_torch_function(Tensor.module_load, (self, other), self, other,
                                             assign=assign)
        if assign:
            return other.detach()
        return self.copy_(other).detach()

    def detach_(self):
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        if self._grad_fn is not None:  # (a node that saved it before refuses it then)
            from .autograd.graph import _seq

            self.__dict__["_detached_at"] = next(_seq)
        self._grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        if not self.requires_grad:  # (a view's own, or as it follows its base, the base's)
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        # (as PyTorch's: a view's history as last looked up, not rebuilt here)
        if self._grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = _weak(self)

        def keep(g):
            t = ref()
            if t is not None:
                t._grad = g.detach().clone() if t._grad is None else t._grad + g.detach()
        keep.retains_grad = True  # the engine runs it after the tensor's other hooks
        self.grad_fn._add_retain_hook(self._output_nr, keep)

    def register_hook(self, hook):
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self._grad_fn is None:
            from .autograd.graph import get_accumulator

            return get_accumulator(self)._add_tensor_hook(0, hook)
        return self.grad_fn._add_tensor_hook(self._output_nr, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        from .autograd.graph import _add_hook, get_accumulator

        acc = get_accumulator(self)
        if acc._post_acc_hooks is None:
            acc._post_acc_hooks = {}
        return _add_hook(acc._post_acc_hooks, hook)

    # -- conversion -----------------------------------------------------------
    def numpy(self, *, force=False):
        if VMAP_MAPPED and not force:
            _vmap_conversion("data", self, 2)
        if self._device.type != "cpu":
            if force:
                return self._data.get()
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        if not force and self.requires_grad and _autograd.is_grad_enabled():  # (as PyTorch)
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._data.dtype in D._ODD_NP and not force:  # (float8...: PyTorch's TypeError)
            from ._float8 import refuse

            refuse(self, None, TypeError)
        if self.dtype is D.bfloat16 and not force:  # (NumPy has no bfloat16: PyTorch refuses)
            # NOTE: PyTorch refuses ``force=True`` too; ember's own code reads through it
            raise TypeError("Got unsupported ScalarType BFloat16")
        if not force and self.dtype.is_complex and _ops.complex.is_conj(self):
            raise RuntimeError("Can't call numpy() on Tensor that has conjugate bit set. Use "
                               "tensor.resolve_conj().numpy() instead.")
        return self._data.view()  # (a new array on the memory, as PyTorch's: its shape, flags
        # are the caller's own)

    def pin_memory(self, device=None):
        """A copy in page-locked host memory, which the GPU reads without a staging copy."""
        from ._device import pinned_empty

        if device is not None:  # (deprecated: the accelerator to pin for)
            _pin_device(self, "pin_memory", device)
        if self._device.type != "cpu":  # (named as PyTorch's C++ names it: 'MetaFloatType')
            kind = {"meta": "Meta", "cuda": "CUDA"}.get(self._device.type, "")
            scalar = self.type().rsplit(".", 1)[-1][:-len("Tensor")]
            raise RuntimeError(f"cannot pin '{kind}{scalar}Type' only dense CPU tensors can be "
                               "pinned")
        if self.is_pinned():
            return self
        arr = pinned_empty(self._data.shape, self._data.dtype)
        arr[...] = self._data
        t = _ops._core.wrap(arr, self._device)
        t._pinned = True
        return t

    def is_pinned(self, device=None):
        if device is not None:
            _pin_device(self, "is_pinned", device)
        base = self._base if self._base is not None else self
        return base.__dict__.get("_pinned", False)

    def record_stream(self, stream):
        """Mark this GPU tensor as used by ``stream`` (PyTorch's allocator then keeps its memory
        until that stream's queued work is done).  NOTE: nothing to record here: CuPy's memory
        pool keeps a block with the stream it was allocated on, and ember queues all its work
        on the current stream."""
        if self._device.type != "cuda":
            raise RuntimeError("record_stream is only supported for CUDA tensors, got a tensor "
                               f"on {self._device}")
        if not hasattr(stream, "synchronize") or not hasattr(stream, "wait_stream"):
            raise TypeError(f"record_stream(): argument 's' (position 1) must be Stream, not "
                            f"{type(stream).__name__}")

    def __array__(self, dtype=None, copy=None):
        if copy is not None and _legacy_numpy_protocol():
            # NOTE: PyTorch's ``__array__`` takes no ``copy=``: NumPy 2 then warns
            # (DeprecationWarning) and calls again without it; ``copy=False`` raises.
            raise TypeError("Tensor.__array__() got an unexpected keyword argument 'copy'")
        a = self.numpy()  # PyTorch's errors for tensors that require grad or live on a GPU
        if dtype is not None:
            return a.astype(dtype)
        # NOTE: NumPy 2 passes copy=True for ``np.array(t)`` and trusts the result to be fresh.
        return a.copy() if copy else a

    def __array_wrap__(self, array, context=_NO_CONTEXT, return_scalar=False):
        """A NumPy function's result on tensors comes back as a tensor (``np.exp(t)``)."""
        from ._ops.creation import from_numpy

        if context is not _NO_CONTEXT and _legacy_numpy_protocol():
            # NOTE: PyTorch's takes only ``array``: NumPy 2 warns, then calls it with that alone
            raise TypeError("Tensor.__array_wrap__() takes 2 positional arguments but 4 were given")

        if array.dtype == np.bool_:  # NOTE: PyTorch gives uint8 here, not bool
            array = array.astype(np.uint8)
        return from_numpy(np.asarray(array))

    def item(self, *args, **kwargs):
        if args or kwargs:  # (PyTorch's METH_NOARGS words)
            _no_arguments("item", args, kwargs)
        _traced_conversion("number", self)
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        if self._data.dtype in D._ODD_NP:  # float8, shells
            from ._float8 import host_values

            return host_values(self).reshape(()).item()
        return self._data.reshape(()).item() if self.dtype is not D.bfloat16 else float(
            self._data.reshape(()))

    def tolist(self, *args, **kwargs):
        if args or kwargs:
            _no_arguments("tolist", args, kwargs)
        _traced_conversion("list", self)
        if self._data.dtype in D._ODD_NP:  # float8, shells
            from ._float8 import host_values

            return host_values(self, for_list=True).tolist()
        a = self.numpy(force=True)
        if self.dtype is D.bfloat16 or self.dtype is D.float16:
            a = a.astype(np.float32)
        return a.tolist()

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        _traced_conversion("boolean", self)
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous"
                               if self._data.size else
                               "Boolean value of Tensor with no values is ambiguous")
        return bool(self._u64_as_int64(self.item()))

    def __float__(self):
        _traced_conversion("float", self)
        self._warn_to_scalar()
        return float(self._real_scalar(self._scalar_for("float"), "double"))

    def _warn_to_scalar(self):
        """PyTorch's warning (once a process) for a tensor that requires grad read as a Python
        number (``float(loss)``, ``complex(z)``, or an element of ``torch.tensor([...])``)."""
        if self.requires_grad and _autograd.is_grad_enabled():  # (PyTorch: not in no_grad)
            from ._warnings import warn_once

            warn_once("requires_grad to scalar",
                      "Converting a tensor with requires_grad=True to a scalar may lead to "
                      "unexpected behavior.\nConsider using tensor.detach() first.",
                      cpp="torch/csrc/autograd/generated/python_variable_methods.cpp:822")

    def __int__(self):
        _traced_conversion("integer", self)
        v = self._scalar_for("int")
        if type(v) is complex:  # (PyTorch's checked conversion, through a double)
            v = self._real_scalar(v, "int64_t")
            if not -2.0 ** 63 <= v <= 2.0 ** 63:  # (NaN and inf too)
                raise RuntimeError("value cannot be converted to type int64_t without overflow")
            return int(v) if v != 2.0 ** 63 else -2 ** 63  # (x86's cast of 2**63)
        return int(self._u64_as_int64(v))

    def _u64_as_int64(self, v):
        """NOTE: PyTorch reads a uint64 through int64_t for ``int()``/``bool()``/``__index__``
        (not for ``item()``), so a value past 2**63 - 1 is its overflow error."""
        if type(v) is int and v > 9223372036854775807 and self.dtype is D.uint64:
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        return v

    @staticmethod
    def _real_scalar(v, ctype):
        """A complex value with no imaginary part as its real part; else PyTorch's error."""
        if type(v) is complex:
            if v.imag != 0:
                raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
            return v.real
        return v

    def __index__(self):
        _traced_conversion("integer", self)
        if self.dtype._kind >= 2 or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._u64_as_int64(self.item()))

    def __complex__(self):
        if VMAP_MAPPED:
            _vmap_conversion("complex", self, 2)
        self._warn_to_scalar()
        return complex(self._scalar_for("complex"))

    def _scalar_for(self, what):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __hash__(self):
        return id(self)

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr

        return tensor_repr(self, tensor_contents=tensor_contents)

    def __format__(self, spec):
        # NOTE: as PyTorch, a 0-d tensor formats as its Python number even with no spec:
        # f"{loss}" gives 2.3025851249694824, not tensor(2.3026)
        if self.ndim == 0 and self._device.type != "meta":  # (a meta tensor shows its repr)
            if VMAP_MAPPED:
                _vmap_conversion("number", self, 2)
            return self.item().__format__(spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __reduce_ex__(self, proto):
        if self._requires_grad:
            from ._serialization._pickling import _warn_if_has_hooks

            _warn_if_has_hooks(self)  # (PyTorch's warning: hooks are not pickled)
        return self._plain_reduce()

    def _plain_reduce(self):
        """``__reduce_ex__`` of a plain tensor (as a subclass's data, or a Parameter's)."""
        if self._device.type == "meta":  # (PyTorch's: no data, its size and strides)
            return (_rebuild_meta, (self.dtype, tuple(self.shape), self.stride(),
                                    self._requires_grad))
        view = self._pickle_view()
        if view is not None:  # (PyTorch's form: the whole storage, offset, size and strides)
            args = (*view, str(self._device), self._requires_grad)
            state = self._pickle_state() if self.__dict__ or self._base is not None else None
            return (_rebuild_view, (*args, state) if state else args)
        return (_rebuild, (self.numpy(force=True).copy(), str(self._device), self._requires_grad))

    def _pickle_state(self):
        """The attributes a user set (kept by pickling and deep copies, as PyTorch's), and the
        conjugate and negative bits."""
        from ._serialization._pickling import _user_state

        state = _user_state(self)
        if _ops.complex.is_conj(self):
            state["_conj"] = True
        if _ops.complex.is_neg(self):
            state["_neg"] = True
        return state

    def _pickle_view(self):
        """``(storage array, byte offset, shape, byte strides, dtype)`` to pickle this tensor
        as PyTorch does: with all the memory it views, at its offset and strides (None where
        its memory is no plain NumPy block: it is then pickled as a copy of its values)."""
        arr = self._data
        if type(arr) is not np.ndarray or self._device.type != "cpu":
            return None
        root = _ops.shape._storage_root(self)
        if root is arr and arr.size and (arr.flags.c_contiguous or arr.flags.f_contiguous):
            return root.view(), 0, arr.shape, arr.strides, arr.dtype  # (the common case)
        if root is arr and type(arr) is np.ndarray and arr.size and not (
                arr.flags.c_contiguous or arr.flags.f_contiguous):
            # A strided array of its own: pickled with the memory it lays out, as PyTorch
            # pickles its storage (the block ``as_strided`` views, or one NumPy laid out in
            # another dims' order: a ufunc's result on a permuted input).
            inner = getattr(arr.base, "base", None)
            if type(inner) is np.ndarray and (inner.flags.c_contiguous or
                                              inner.flags.f_contiguous):
                root = inner
            elif arr.base is None and min(arr.strides) > 0 and _ops._core.is_dense(
                    arr.shape, [s // arr.itemsize for s in arr.strides]):
                root = np.lib.stride_tricks.as_strided(arr, (arr.size,), (arr.itemsize,))
        if type(root) is not np.ndarray or not (root.flags.c_contiguous or
                                                 root.flags.f_contiguous):
            return None
        offset = _ops.shape._ptr(arr) - _ops.shape._ptr(root)
        if arr.size:  # memory that moved since (``share_memory_``, ``.data = ...``): a copy
            lo = offset + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides) if s < 0)
            hi = offset + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides) if s > 0)
            if lo < 0 or hi + arr.itemsize > root.nbytes:
                return None
        else:
            if offset < 0 or offset > root.nbytes:
                offset = 0
            # (the strides it reports: NumPy gives its empty arrays zero strides)
            return root.view(), offset, arr.shape, tuple(
                s * arr.itemsize for s in _ops.shape.stride(self)), arr.dtype
        # (a new array object: as PyTorch's, each tensor pickles its own copy of the memory)
        return root.view(), offset, arr.shape, arr.strides, arr.dtype

    def __copy__(self):
        """``copy.copy``: a new tensor on the same memory (as PyTorch's), without history."""
        new = self._alias()
        if type(self) is not Tensor and hasattr(type(self), "_from_tensor"):
            new = type(self)._from_tensor(new, self._requires_grad)
        new._requires_grad = self._requires_grad
        return new

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        data, new_root = self._deepcopy_data(memo)
        new = _ops._core.wrap(data, self._device)
        if new_root is not None and new_root is not data:
            new.__dict__["_storage_root"] = new_root  # (for storage_offset and storage size)
            if not data.size:  # (an empty one's offset, and zero strides where it has them)
                new.__dict__["_empty_offset"] = _ops.shape.storage_offset(self)
                if data.ndim and not any(data.strides):
                    new.__dict__["_numpy_strides"] = True
        if type(self) is not Tensor:
            new = type(self)._from_tensor(new, self._requires_grad) if hasattr(
                type(self), "_from_tensor") else new
        new._requires_grad = self._requires_grad
        if self.__dict__ and type(self) is Tensor:  # (a Parameter's are left behind)
            import copy

            from ._serialization._pickling import _user_state

            state = _user_state(self)
            if state:
                new.__dict__.update(copy.deepcopy(state, memo))
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    def _deepcopy_data(self, memo):
        """The data for a deep copy: as PyTorch copies a storage once per ``deepcopy`` call,
        tensors sharing memory (a tensor and its views) share the copied memory, at the same
        offsets and strides."""
        arr = self._data
        root = _ops.shape._storage_root(self)
        if not arr.size and type(arr) is np.ndarray and type(root) is np.ndarray and \
                (root.flags.c_contiguous or root.flags.f_contiguous):
            return self._deepcopy_empty(memo, root)
        if type(arr) is not np.ndarray or type(root) is not np.ndarray or arr.size == 0 or \
                not (root.flags.c_contiguous or root.flags.f_contiguous) or \
                (arr.dtype.kind == "c" and _ops.complex.is_conj(self)):  # (PyTorch's resolves)
            # (a copy of its storage keeps a dense tensor's strides, a permuted one's too)
            return _ops.shape._copy_preserving_layout(arr), None
        key = ("ember.storage", id(root))
        if key not in memo:
            memo[key] = root.copy(order="A")
            memo.setdefault(id(memo), []).append(root)  # (keeps ``root`` alive, so its id)
        new_root = memo[key]
        offset = _ops.shape._ptr(arr) - _ops.shape._ptr(root)
        out = np.ndarray(arr.shape, arr.dtype, buffer=new_root, offset=offset, strides=arr.strides)
        return out, new_root

    def _deepcopy_empty(self, memo, root):
        """An empty tensor's deep copy: PyTorch copies its storage (shared with the copies of
        the tensors on it) and keeps its offset and strides, which NumPy's empty arrays lack
        (``__deepcopy__`` marks the copy with them)."""
        key = ("ember.storage", id(root))
        if key not in memo:
            memo[key] = root.copy(order="A")
            memo.setdefault(id(memo), []).append(root)
        new_root = memo[key]
        flat = new_root.reshape(-1, order="A")
        offset = _ops.shape.storage_offset(self)
        start = flat[min(offset, flat.size):]
        if offset >= flat.size > 0:  # (NumPy's empty slice at the end keeps the start's pointer)
            start = np.ndarray((0,), flat.dtype, buffer=flat, offset=flat.nbytes)
        out = np.lib.stride_tricks.as_strided(start, self._data.shape,
                                              [s * flat.itemsize for s in self.stride()])
        return out, new_root

    def __dir__(self):
        return sorted(set(super().__dir__()))

    def __getattr__(self, name):
        # Only reached when normal lookup fails: name the missing PyTorch method.
        if name.startswith("_"):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        from ._unsupported import Unsupported, missing_attribute

        err = missing_attribute(f"'{type(self).__name__}' object has no attribute '{name}'",
                                name, self, _public_names(type(self)))
        if err is None and name not in _TORCH_ONLY:  # (PyTorch lacks it too: its own words)
            err = AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        if err is not None:  # a slip for a name PyTorch has: its own words
            raise err
        raise Unsupported(f"torch.Tensor.{name} is not supported by ember")


# The public attributes of PyTorch 2.13's torch.Tensor that ember's lacks: any other name
# missing here (``x.shpe``, ``x.batch_sizes``, NumPy's ``x.astype``) PyTorch lacks too
_TORCH_ONLY = frozenset((
    "chalf", "const_data_ptr", "grad_dtype", "index",
    "is_distributed", "map2_", "name", "q_per_channel_axis",
    "q_per_channel_scales", "q_per_channel_zero_points", "q_scale", "q_zero_point", "qscheme",
    "reinforce", "resize_as_sparse_", "slice_inverse", "sparse_resize_",
    "sparse_resize_and_clear_", "to_mkldnn", "to_padded_tensor", "volatile"))


@functools.lru_cache(maxsize=None)
def _public_names(cls):
    """The names of ``cls`` (read once: for telling a misspelt method from a missing one)."""
    return tuple(n for n in dir(cls) if not n.startswith("_"))


# The C++ type names PyTorch uses in some messages.
_CPP_NAMES = D.CPP_NAMES


def _rebuild(array, device, requires_grad):
    t = _ops._core.wrap(np.array(array))
    if device != "cpu":
        t = t.to(device)
    t._requires_grad = requires_grad
    return t


def _rebuild_view(root, offset, shape, strides, dtype, device, requires_grad, state=None):
    """A tensor from ``Tensor.__reduce_ex__``'s form: a view at byte ``offset`` and byte
    ``strides`` into its unpickled storage ``root``, which it reports as its storage."""
    if not root.flags.writeable:
        root = root.copy(order="A")
    arr = np.ndarray(shape, dtype, buffer=root, offset=offset, strides=strides)
    t = _ops._core.wrap(arr)
    if not arr.size and arr.ndim and not any(strides):  # (zero strides it reports: see
        t.__dict__["_numpy_strides"] = True  # ``stride``)
    if arr.shape != root.shape or arr.dtype != root.dtype or offset or \
            arr.strides != root.strides:
        t.__dict__["_storage_root"] = root
    if device != "cpu":
        t = t.to(device)
    t._requires_grad = requires_grad
    if state:
        t.__dict__.update(state)
    return t


def _rebuild_meta(dtype, size, stride, requires_grad):
    return _ops.more_tensor.empty_strided(size, stride, dtype=dtype, device="meta",
                                          requires_grad=requires_grad)


def _weak(t):
    import weakref

    return weakref.ref(t)


# Methods are attached from the ops package, which needs this class defined first.
def _pin_device(t, name, device):
    """PyTorch's warning for ``t.pin_memory(device)`` / ``t.is_pinned(device)``, and its errors
    for a device that is no accelerator (or a GPU that is missing)."""
    from ._device import _NO_ATEN_CUDA, cuda_available, device as Device, no_cuda

    if not isinstance(device, (str, int, Device)) or isinstance(device, bool):
        raise TypeError(f"{name}(): argument 'device' (position 1) must be torch.device, not "
                        f"{type(device).__name__}")
    device = Device(device)
    _warn(f"The argument 'device' of Tensor.{name}() is deprecated. Please do not pass this "
          "argument.", DeprecationWarning, stacklevel=3,
          cpp="aten/src/ATen/native/Memory.cpp:" + ("46" if name == "pin_memory" else "31"))
    if name == "pin_memory":
        t.is_pinned(device)
        if device.type != "cuda":
            raise RuntimeError(f"{device.type.upper()} device type not an accelerator.")
        if not cuda_available():
            raise no_cuda(RuntimeError, _NO_ATEN_CUDA)


def _in_func_transform() -> bool:
    """Whether a ``torch.func`` transform (vmap, grad, jvp...) is running."""
    vmap, scope = sys.modules.get("ember.func._vmap"), sys.modules.get("ember.func._scope")
    return bool(vmap is not None and vmap._LEVELS or scope is not None and scope._active())


def _called_from_user() -> bool:
    """Whether the method calling this was called by code outside ember (past the argument
    parser's wrapper)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename in (_ARGPARSE_FILE, _SUBCLASS_FILE):
        frame = frame.f_back
    # (``torch.autograd.functional``'s calls count: PyTorch's message names those APIs)
    return frame is not None and (not frame.f_code.co_filename.startswith(_EMBER_ROOT) or
                                  frame.f_code.co_filename == _AUTOGRAD_FUNCTIONAL_FILE)


_ARGPARSE_FILE = _EMBER_ROOT + "_argparse.py"
_FORWARD_AD_NUMPY = [None]  # (the code of forward AD's wrapper of ``numpy``, once installed)
_SUBCLASS_FILE = _EMBER_ROOT + "_subclass.py"
_AUTOGRAD_FUNCTIONAL_FILE = _EMBER_ROOT + "autograd/functional.py"


from . import _ops  # noqa: E402
from . import autograd as _autograd  # noqa: E402
from ._ops import methods as _methods  # noqa: E402

_methods.install(Tensor)
from . import _subclass  # noqa: E402  (subclasses, ``__torch_function__``: ember._subclass)

_subclass.install(Tensor)
numbers  # noqa: B018  (kept for isinstance checks in methods)


def _not_writable(name):
    def refuse(self, value):
        raise AttributeError(f"attribute '{name}' of 'torch._C.TensorBase' objects is not "
                             "writable")
    return refuse


# NOTE: PyTorch's read-only tensor attributes are C getsets of ``torch._C.TensorBase``: an
# assignment (``x.shape = (2, 3)``) is refused in those words, not as a Python property's.
_READ_ONLY = ("H", "T", "mH", "mT", "_version", "device", "dtype", "grad_fn", "is_cpu",
              "is_cuda", "is_ipu", "is_leaf", "is_maia", "is_meta", "is_mkldnn", "is_mps",
              "is_mtia", "is_nested", "is_quantized", "is_sparse", "is_sparse_csr", "is_vulkan",
              "is_xla", "is_xpu", "itemsize", "layout", "nbytes", "ndim", "output_nr",
              "retains_grad", "shape")


def refuse_attribute_writes():
    """Give the read-only properties of ``Tensor`` (those installed so far) PyTorch's refusal
    of an assignment."""
    for name in _READ_ONLY:
        prop = Tensor.__dict__.get(name)
        if type(prop) is property and prop.fset is None:
            setattr(Tensor, name, property(prop.fget, _not_writable(name), prop.fdel,
                                           prop.__doc__))


refuse_attribute_writes()


def _size_arguments(extra, kwargs):
    """PyTorch's TypeError for ``t.size()`` given more than a ``dim``."""
    if kwargs:
        raise TypeError(f"size() got an unexpected keyword argument '{next(iter(kwargs))}'")
    raise TypeError(f"size() takes from 0 to 1 positional arguments but {len(extra) + 1} were "
                    "given")


def _no_arguments(name, args, kwargs):
    """PyTorch's TypeError for an argument given to a ``METH_NOARGS`` method."""
    from ._argparse import no_args

    no_args(None, name)(None, *args, **kwargs)
