"""``Parameter``: a tensor that a ``Module`` registers as learnable state."""
from __future__ import annotations

from .._ops._core import adopt, wrap
from .._ops.shape import _storage_root
from .._tensor import Tensor


class _ParameterMeta(type):
    """As PyTorch's: a tensor of a user's subclass made a parameter (marked ``_is_param``)
    counts as a ``Parameter``."""

    def __instancecheck__(self, instance) -> bool:
        if type.__instancecheck__(self, instance):
            return True
        if self is not Parameter or not isinstance(instance, Tensor):
            return False
        if type(instance) is Tensor:  # (its ``__dict__``: no slow failed attribute lookup)
            return bool(instance.__dict__.get("_is_param", False))
        return bool(getattr(instance, "_is_param", False))


class Parameter(Tensor, metaclass=_ParameterMeta):
    """A leaf tensor that requires grad (by default) and belongs to a module.

    >>> p = Parameter(ember.zeros(3))
    >>> p.requires_grad
    True
    """

    _sparse_param = False  # (True on a sparse tensor's Parameter class; a class attribute, so
    # that a plain one's check needs no failed instance lookup through Tensor.__getattr__)

    def __new__(cls, data=None, requires_grad=True):
        from .._subclass import _INTERNAL

        kind = type(data)
        if cls is Parameter and kind is not Tensor and kind is not Parameter and \
                _is_sparse(data):
            # (a sparse tensor's parameter: the tensor detached, of a sparse class that is a
            # Parameter, printed as one; its layout kept, as PyTorch's)
            t = data.detach()
            t.__class__ = _sparse_parameter_class(type(t))
            t.requires_grad_(requires_grad)
            return t
        if data is not None and kind is not Tensor and kind is not Parameter and (
                kind not in _INTERNAL or isinstance(data, UninitializedTensorMixin)):
            # (PyTorch's path for a user's subclass: the tensor itself, detached and marked;
            # what is no tensor fails there)
            t = data.detach().requires_grad_(requires_grad)
            if type(t) is not kind:
                raise RuntimeError(
                    f"Creating a Parameter from an instance of type {kind.__name__} requires "
                    "that detach() returns an instance of the same type, but return type "
                    f"{type(t).__name__} was found instead. To use the type as a Parameter, "
                    "please correct the detach() semantics defined by its "
                    "__torch_dispatch__() implementation.")
            t._is_param = True
            return t
        return object.__new__(cls)

    def __init__(self, data=None, requires_grad=True):
        if self._sparse_param:  # (made whole by ``__new__``)
            return
        if data is None:
            from .._ops.creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        src = wrap(data._data, data._device)
        src._vc = data._vc  # shares memory and version counter with ``data``
        if data._is_inference:  # stays one (so requires_grad=True is refused outside the mode)
            src._is_inference, src.__dict__["_inference_vc"] = True, data._inference_vc
        adopt(self, src)
        if data.__dict__ or data._base is not None:  # (the conjugate and negative bits stay)
            from .._ops.complex import is_conj, is_neg

            if is_conj(data):
                self.__dict__["_conj"] = True
            if is_neg(data):
                self.__dict__["_neg"] = True
        root = _storage_root(data)
        if root is not data._data:  # (a parameter of a view keeps the view's storage offset)
            self.__dict__["_storage_root"] = root
        if not data._data.size:  # (an empty one's offset and zero strides: see ``stride``)
            for key in ("_numpy_strides", "_empty_offset"):
                src = data if key in data.__dict__ else data._base
                if src is not None and key in src.__dict__:
                    self.__dict__[key] = src.__dict__[key]
        self._requires_grad = False
        if requires_grad:
            from .._ops.creation import _require_grad

            _require_grad(self)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        # (PyTorch's: its data pickled as a tensor, at its storage offset and strides, and the
        # attributes a user set)
        fn, args = Tensor._plain_reduce(self)
        return (_rebuild_parameter_from, (fn, args, self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        # NOTE: PyTorch's Parameter deep copy leaves the gradient behind (a plain tensor's
        # keeps it), and is a ``clone`` (``preserve_format``: a transposed or channels-last
        # parameter's strides, an empty one's too; new memory from offset 0).
        from .._ops.shape import clone

        new = type(self)(clone(Tensor.detach(self)), self._requires_grad)
        memo[id(self)] = new
        return new

    @classmethod
    def _from_tensor(cls, t, requires_grad):
        return cls(t, requires_grad)


_STORAGELESS: list = []


def _is_sparse(t) -> bool:
    """Whether ``t`` is a sparse (COO or compressed) tensor."""
    if not _STORAGELESS:
        from .._sparse import _Storageless

        _STORAGELESS.append(_Storageless)
    return isinstance(t, _STORAGELESS[0])


_SPARSE_PARAMETERS: dict = {}


def _sparse_parameter_class(kind):
    """The ``Parameter`` of sparse tensor class ``kind`` (COO or compressed): both classes'
    behaviour, named ``Parameter`` as PyTorch's ``type(p)`` is."""
    cls = _SPARSE_PARAMETERS.get(kind)
    if cls is None:
        cls = _SPARSE_PARAMETERS[kind] = type(
            "Parameter", (Parameter, kind), {"_sparse_param": True, "__module__": __name__,
                                             "__reduce_ex__": _reduce_sparse_parameter,
                                             "__deepcopy__": _deepcopy_sparse_parameter})
    return cls


def _reduce_sparse_parameter(self, proto):
    # (as PyTorch's Parameter: its data's own form, in a parameter)
    fn, args = super(Parameter, self).__reduce_ex__(proto)[:2]
    return (_rebuild_parameter_from, (fn, args, self.requires_grad))


def _deepcopy_sparse_parameter(self, memo):
    # NOTE: PyTorch's Parameter deep copy clones its data with the preserve memory format,
    # which a sparse tensor refuses
    raise RuntimeError("unsupported memory format option Preserve")


def _rebuild_parameter_from(fn, args, requires_grad):
    """A parameter from its pickled data (``Tensor.__reduce_ex__``'s ``fn(*args)``)."""
    from .._serialization._pickling import _user_state

    t = fn(*args)
    t._requires_grad = False
    p = Parameter(t, requires_grad)
    if t.__dict__:
        p.__dict__.update(_user_state(t))
    return p


def _rebuild_parameter(array, device, requires_grad):
    import numpy as np

    t = wrap(np.array(array))
    if device != "cpu":
        t = t.to(device)
    return Parameter(t, requires_grad)


class _BufferMeta(type):
    """``isinstance(t, Buffer)`` asks whether tensor ``t`` carries the buffer mark."""

    def __instancecheck__(cls, instance):
        if cls is Buffer:
            if type(instance) is Tensor:  # (its ``__dict__``: no slow failed attribute lookup)
                return instance.__dict__.get("_is_buffer", False)
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a module attribute.

    NOTE: as PyTorch's, ``Buffer(t)`` is no instance of a class of its own: it is a plain
    ``Tensor`` (``t`` detached, keeping ``requires_grad``) marked ``_is_buffer``, which is
    what ``isinstance(x, Buffer)`` checks; ``type(Buffer(t))`` prints ``Tensor``.
    """

    def __new__(cls, data=None, *, persistent=True):
        from .._ops.creation import empty

        data = empty(0) if data is None else data
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


# -- lazy (shape-unknown) parameters and buffers --------------------------------------------

_SHAPE_ERROR = ("Can't access the shape of an uninitialized parameter or buffer. This error "
                "usually happens in `load_state_dict` when trying to load an uninitialized "
                "parameter into an initialized one. Call `forward` to initialize the parameters "
                "before accessing their attributes.")

# Tensor methods an uninitialized tensor still answers (PyTorch's list): the ones that change
# its dtype or device, which a lazy module's ``.to()``/``.double()`` need before materializing.
_CONVERSIONS = frozenset({"half", "float", "double", "char", "short", "int", "long", "cuda",
                          "cpu", "to"})
_ALLOWED = _CONVERSIONS | {"size", "copy_", "is_complex", "is_floating_point", "get_device"}
# Python protocol methods that must keep working for the object to exist at all.
_PROTOCOL = frozenset({"__init__", "__repr__", "__reduce_ex__", "__copy__", "__deepcopy__",
                       "__dir__", "__getattr__"})


class UninitializedTensorMixin:
    """What ``UninitializedParameter`` and ``UninitializedBuffer`` share: an empty tensor that
    remembers only dtype, device and ``requires_grad`` until :meth:`materialize` gives it a
    shape (and its final class).

    Everything else refuses, as PyTorch's: ``.shape`` raises RuntimeError and any other tensor
    method ValueError, save the dtype/device conversions, ``size()`` and ``copy_``.
    """

    __slots__ = ()
    cls_to_become: type | None = None

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Become a ``cls_to_become`` of ``shape`` (uninitialized memory), on this tensor's
        device and dtype unless others are given."""
        from .._ops.creation import empty

        new = empty(shape, device=self._device if device is None else device,
                    dtype=self.dtype if dtype is None else dtype)
        self._data, self._device = new._data, new._device
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_ERROR)

    @property
    def data(self):
        return wrap(self._data, self._device)  # empty, with a version counter of its own

    @data.setter
    def data(self, value):
        Tensor.data.fset(self, value)

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        Tensor.requires_grad_(self, value)

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def _blank(self, requires_grad=None):
        """A new uninitialized tensor of this class, dtype and device."""
        raise NotImplementedError

    def __reduce_ex__(self, proto):
        return (_rebuild_uninitialized, (type(self), self._requires_grad, str(self._device),
                                         self.dtype))

    def __copy__(self):
        return self._blank()

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = self._blank()
        return memo[id(self)]


# what PyTorch's message names for an operator: the method it runs (``p + 1``: 'add'), a
# slot wrapper, or a Python function (named ``Tensor.x``/``TensorBase.x``, with an address)
_OPERATOR_FUNC = {
    "__abs__": "abs", "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub",
    "__isub__": "sub_", "__mul__": "mul", "__rmul__": "mul", "__imul__": "mul_",
    "__truediv__": "div", "__itruediv__": "div_", "__ifloordiv__": "floor_divide_",
    "__mod__": "remainder", "__imod__": "remainder_", "__ge__": "ge", "__gt__": "gt",
    "__le__": "le", "__lt__": "lt", "__ne__": "ne", "__neg__": "neg", "__pos__": "positive",
    "__iter__": "dim", "__rand__": "bitwise_and", "__ror__": "bitwise_or",
    "__rxor__": "bitwise_xor", "__matmul__": "matmul", "__getitem__": "slot wrapper",
    "__setitem__": "slot wrapper",
    "__pow__": "TensorBase.pow", "__ipow__": "TensorBase.pow_", "__rtruediv__": "Tensor.__rdiv__",
    **{n: "Tensor." + n for n in (
        "__array__", "__array_wrap__", "__contains__", "__floordiv__", "__format__", "__len__",
        "__reversed__", "__rfloordiv__", "__rlshift__", "__rmatmul__", "__rmod__", "__rpow__",
        "__rrshift__", "__rsub__")}}


def _torch_func(name, method):
    func = _OPERATOR_FUNC.get(name, name)
    if func == "slot wrapper":
        return f"<slot wrapper '{name}' of 'torch._C.TensorBase' objects>"
    if "." in func:
        return f"<function {func} at {hex(id(method))}>"
    return f"<method '{func}' of 'torch._C.TensorBase' objects>"


def _refuse(name):
    def method(self, *args, **kwargs):
        raise ValueError(f"Attempted to use an uninitialized parameter in "
                         f"{_torch_func(name, method)}. This error happens when you are using "
                         "a `LazyModule` or explicitly manipulating "
                         f"`torch.nn.parameter.{type(self).__name__}` objects. When using "
                         "LazyModules Call `forward` with a dummy batch to initialize the "
                         "parameters before calling torch functions")
    method.__name__ = method.__qualname__ = name
    return method


# NOTE: PyTorch refuses through __torch_function__, which sees every torch function; ember has
# no such dispatch, so the refusal covers Tensor's methods and operators (``p.sum()``,
# ``p + 1``, ``len(p)``) but not free functions given such a tensor (``ember.add(p, 1)``).
for _name, _attr in list(vars(Tensor).items()):
    if (callable(_attr) and not isinstance(_attr, (staticmethod, classmethod, type))
            and (not _name.startswith("_") or (_name.startswith("__") and _name.endswith("__")))
            and _name not in _ALLOWED and _name not in _PROTOCOL
            and _name not in vars(UninitializedTensorMixin)):
        setattr(UninitializedTensorMixin, _name, _refuse(_name))
UninitializedTensorMixin.__hash__ = Tensor.__hash__
del _name, _attr


def is_lazy(param) -> bool:
    """Whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)


def _empty_leaf(t, device, dtype, requires_grad):
    from .._ops.creation import empty

    adopt(t, empty(0, device=device, dtype=dtype))
    t._requires_grad = False
    if requires_grad:
        if not t.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (a lazy module's, until its first forward).

    It holds no data: only its dtype, device and ``requires_grad``, which the ``Parameter``
    it becomes on :meth:`materialize` takes.

    >>> p = UninitializedParameter()
    >>> p.materialize((2, 3)); type(p).__name__, tuple(p.shape)
    ('Parameter', (2, 3))
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return object.__new__(cls)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        _empty_leaf(self, device, dtype, requires_grad)

    def _blank(self, requires_grad=None):
        rg = self._requires_grad if requires_grad is None else requires_grad
        return type(self)(rg, self._device, self.dtype)

    @classmethod
    def _from_tensor(cls, t, requires_grad):
        return cls(requires_grad, t._device, t.dtype)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet; :meth:`materialize` makes it a plain tensor.

    ``persistent`` is kept for the module that registers it (``register_buffer``).
    """

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        return object.__new__(cls)

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        _empty_leaf(self, device, dtype, requires_grad)
        self.persistent = persistent
        self._is_buffer = True

    def _blank(self, requires_grad=None):
        rg = self._requires_grad if requires_grad is None else requires_grad
        return type(self)(rg, self._device, self.dtype, self.persistent)

    @classmethod
    def _from_tensor(cls, t, requires_grad):
        return cls(requires_grad, t._device, t.dtype)


def _buffer_conversion(name):
    convert = getattr(Tensor, name)

    def method(self, *args, **kwargs):
        # As PyTorch's, a converted uninitialized buffer is still one (a module's .double()
        # or .to() must leave its lazy buffers lazy).
        out = convert(self, *args, **kwargs)
        if out is self:
            return self
        new = UninitializedBuffer(out._requires_grad, out._device, out.dtype, self.persistent)
        return new
    method.__name__ = method.__qualname__ = name
    return method


for _name in _CONVERSIONS:
    setattr(UninitializedBuffer, _name, _buffer_conversion(_name))
del _name


def _rebuild_uninitialized(cls, requires_grad, device, dtype):
    return cls(requires_grad, device, dtype)
