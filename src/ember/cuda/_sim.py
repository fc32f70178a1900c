"""A simulated CUDA device backed by NumPy, for tests on machines without a GPU.

Test-only and private: ``ember._device._simulate_cuda()`` installs :data:`module`
where CuPy would be, so that ``device('cuda')`` tensors hold :class:`SimArray`
objects.  A ``SimArray`` wraps a NumPy array and behaves like a CuPy array in the
ways that catch device bugs in ops:

- it is not an ``np.ndarray``, so ``xp_of`` picks this module for it;
- implicit conversion to NumPy (``np.asarray(a)``, ``np.array(a)``) raises
  CuPy's ``TypeError``, as does mixing it with NumPy arrays in ufuncs and
  array functions;
- ``np.<function>(a)`` dispatches to this module (CuPy's ``__array_function__``);
- results of reductions and integer indexing are 0-d arrays, never scalars;
- ``.flags`` has only CuPy's flags (no ``writeable``), and there is no
  ``.ctypes`` or ``__array_interface__``.

Speed is no concern here; this is never used outside tests.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._array_ops import install_operators

_CONVERT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
            "construct a NumPy array explicitly.")
# NumPy names a CuPy array lacks: reaching for one is a CPU-only habit in an op.
_MISSING = frozenset({"ctypes", "__array_interface__", "__array_struct__", "setflags",
                      "resize", "itemset", "newbyteorder", "getfield", "setfield", "tofile",
                      "__array_namespace__"})


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, f):
        self.c_contiguous, self.f_contiguous, self.owndata = (f.c_contiguous, f.f_contiguous,
                                                              f.owndata)

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[name]


class _Ptr:
    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr


class _Dev:
    __slots__ = ("id",)

    def __init__(self, i=0):
        self.id = i

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass


# What CuPy's ufunc methods support (``cupy/_core/_kernel.pyx``); others raise there too.
_METHODS = {"reduce": {"add", "multiply"}, "accumulate": {"add", "multiply"},
            "reduceat": {"add"}, "at": {"add", "maximum", "minimum"}}
_ATOMIC = frozenset(np.dtype(d) for d in (np.int32, np.float16, np.float32, np.float64,
                                          np.uint32, np.uint64))


def _check_method(ufunc, method):
    ok = _METHODS.get(method)
    if ok is not None and ufunc.__name__ not in ok:
        raise NotImplementedError(f"`cupy_{ufunc.__name__}.{method}` is not supported yet")


def _check_atomic(dtype):
    if dtype not in _ATOMIC:
        raise TypeError("scatter_add only supports int32, float16, float32, float64, uint32, "
                        "uint64, as data type")


def _unwrap(x, allow_host=False):
    """The NumPy array inside ``x`` (recursively in lists, tuples and dicts)."""
    t = type(x)
    if t is SimArray:
        return x._a
    if t is np.ndarray:
        if allow_host:
            return x
        raise TypeError(f"Unsupported type {t}")
    if t in (list, tuple):
        return t(_unwrap(v, allow_host) for v in x)
    if t is dict:
        return {k: _unwrap(v, allow_host) for k, v in x.items()}
    if t is slice:
        return slice(*(_unwrap(v, True) for v in (x.start, x.stop, x.step)))
    return x


def _broadcast(a, shape, subok=False):
    """A broadcast view that is writable when ``a`` is, as CuPy's are (NumPy's are not)."""
    v = np.broadcast_to(a, shape)
    if not a.flags.writeable:
        return v
    return np.lib.stride_tricks.as_strided(a, v.shape, v.strides, writeable=True)


def _wrap(x):
    t = type(x)
    if t is np.ndarray:
        return SimArray(x)
    if isinstance(x, np.generic):
        return SimArray(np.asarray(x))
    if isinstance(x, (list, tuple)) and any(type(v) is np.ndarray for v in x):
        # (NumPy's named results, such as linalg.eigh's, are plain tuples in CuPy)
        return (list if t is list else tuple)(_wrap(v) for v in x)
    return x


class SimArray:
    """A NumPy array posing as a CuPy array on simulated GPU 0."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100  # CuPy's
    __hash__ = None

    def __init__(self, a):
        self._a = a

    # -- protocols -------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_CONVERT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        for n, v in enumerate(inputs):
            if not isinstance(v, (SimArray, np.ndarray, numbers.Number, np.generic)) and \
                    not (method == "at" and n == 1):  # (``at``'s index may be a tuple)
                return NotImplemented
        _check_method(ufunc, method)
        args = _unwrap(inputs)
        if "out" in kwargs:
            kwargs["out"] = _unwrap(kwargs["out"])
        if method == "at":  # in place on the wrapped arrays; the index may come from the host
            if ufunc is np.add:
                _check_atomic(args[0].dtype)
            getattr(ufunc, method)(args[0], _unwrap(inputs[1], True), *args[2:], **kwargs)
            return None
        return _wrap(getattr(ufunc, method)(*args, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        if func is np.broadcast_to:
            return SimArray(_broadcast(*_unwrap(args), **_unwrap(kwargs)))
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    @property
    def __cuda_array_interface__(self):
        return {"shape": self._a.shape, "typestr": self._a.dtype.str, "version": 3,
                "data": (0, False), "strides": None}

    # -- attributes --------------------------------------------------------------------
    @property
    def device(self):
        return _Dev(0)

    @property
    def flags(self):
        return _Flags(self._a.flags)

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    T = property(lambda self: SimArray(self._a.T))
    mT = property(lambda self: SimArray(self._a.mT))
    base = property(lambda self: None if self._a.base is None else SimArray(self._a.base))

    # CuPy's ``real``/``imag`` are views that can be assigned to, as NumPy's
    @property
    def real(self):
        return SimArray(self._a.real)

    @real.setter
    def real(self, value):
        self._a.real = _unwrap(value)

    @property
    def imag(self):
        return SimArray(self._a.imag)

    @imag.setter
    def imag(self, value):
        self._a.imag = _unwrap(value)

    def __getattr__(self, name):
        if name in _MISSING or name.startswith("__"):
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)

        def method(*args, **kwargs):
            return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))
        return method

    @property
    def data(self):  # CuPy's MemoryPointer: its ``ptr`` is the device address
        return _Ptr(self._a.__array_interface__["data"][0])

    def scatter_add(self, slices, value):
        _check_atomic(self._a.dtype)
        np.add.at(self._a, _unwrap(slices, True), _unwrap(value))

    def get(self, stream=None, order="C", out=None):
        return np.array(self._a, copy=True)

    def set(self, arr, stream=None):
        self._a[...] = arr

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def copy(self, order="C"):
        return SimArray(self._a.copy(order))

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        return SimArray(self._a.astype(dtype, order=order, copy=copy))

    def view(self, dtype=None):
        return SimArray(self._a.view() if dtype is None else self._a.view(dtype))

    # -- indexing ----------------------------------------------------------------------
    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key, True)])

    def __setitem__(self, key, value):
        # NOTE: CuPy takes host index arrays (and copies them over), but a NumPy array as the
        # value of a basic-slice assignment goes to ``fill`` and fails: refused here too.
        self._a[_unwrap(key, True)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (SimArray(np.asarray(r)) for r in self._a)

    # -- conversions (CuPy has these, each a device synchronisation) -----------------------
    def __bool__(self):
        return bool(self._a)

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __repr__(self):
        return repr(self._a).replace("array(", "sim_array(", 1)

    __str__ = __repr__

    def __reduce__(self):
        return SimArray, (self._a,)

    def __copy__(self):
        return SimArray(self._a.copy())

    def __deepcopy__(self, memo):
        return SimArray(self._a.copy())


install_operators(SimArray, lambda other: not isinstance(
    other, (SimArray, numbers.Number, np.generic)) and getattr(
    other, "__array_priority__", 0) > SimArray.__array_priority__)


# -- the module ---------------------------------------------------------------------------

_CREATE = frozenset({"asarray", "array", "asanyarray", "ascontiguousarray"})


class _Namespace:
    """A NumPy namespace (``numpy``, ``numpy.random``...) whose functions make SimArrays."""

    def __init__(self, np_mod, name):
        self._np = np_mod
        self.__name__ = name

    def __getattr__(self, name):
        attr = getattr(self._np, name)
        if isinstance(attr, (type, np.ufunc)) or not callable(attr):
            if type(attr).__name__ == "module":
                return _Namespace(attr, f"{self.__name__}.{name}")
            return attr
        host_ok = name in _CREATE

        def fn(*args, **kwargs):
            return _wrap(attr(*_unwrap(args, host_ok), **_unwrap(kwargs, host_ok)))
        fn.__name__ = name
        return fn


class _Random(_Namespace):
    def seed(self, seed=None):  # CuPy takes any 64-bit seed; NumPy's legacy one 32 bits
        np.random.seed(None if seed is None else int(seed) % 2**32)

    def random_sample(self, size=None, dtype=float):  # CuPy's takes a dtype
        return SimArray(np.asarray(np.random.random_sample(size)).astype(dtype))


class _Pool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass

    _limit = 0

    def set_limit(self, size=None, fraction=None):
        self._limit = int(size if fraction is None else fraction * (1 << 30))

    def get_limit(self):
        return self._limit


class _Runtime:
    _current = 0

    def getDeviceCount(self):
        return 1

    def getDevice(self):
        return self._current

    def setDevice(self, i):
        if i != 0:
            raise RuntimeError("CUDA error: invalid device ordinal")
        self._current = i

    def getDeviceProperties(self, i):
        return {"name": b"Simulated GPU (NumPy)", "major": 0, "minor": 0,
                "totalGlobalMem": 0, "multiProcessorCount": 1}

    def deviceSynchronize(self):
        pass

    def memGetInfo(self):
        return 1 << 30, 1 << 30

    def runtimeGetVersion(self):
        return 12040


class _Event:
    """CuPy's ``cuda.Event`` for the simulation: the host clock (the simulated GPU's work is
    done by the time a call returns)."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.time = None
        self.disable_timing = disable_timing

    def record(self, stream=None):
        import time

        self.time = time.perf_counter()

    def synchronize(self):
        pass

    done = property(lambda self: True)


def _elapsed(start, end):
    if start.disable_timing or end.disable_timing or start.time is None or end.time is None:
        raise RuntimeError("cudaErrorInvalidResourceHandle")
    return (end.time - start.time) * 1e3


class _Stream:
    _current = []
    _count = 0

    def __init__(self, null=False, non_blocking=False, ptr=None, priority=None):
        _Stream._count += 1
        self.ptr = 0 if null else _Stream._count

    def __enter__(self):
        _Stream._current.append(self)
        return self

    def __exit__(self, *exc):
        _Stream._current.pop()

    def synchronize(self):
        pass

    def wait_event(self, event):
        pass

    def use(self):  # the current stream from now on (until the enclosing block's end)
        if _Stream._current:
            _Stream._current[-1] = self
        else:
            _Stream._current.append(self)
        return self

    done = property(lambda self: True)


_Stream.null = _Stream(null=True)


class _Cuda:
    runtime = _Runtime()
    Device = _Dev
    Event = _Event
    Stream = _Stream
    get_elapsed_time = staticmethod(_elapsed)

    @staticmethod
    def get_current_stream():
        return _Stream._current[-1] if _Stream._current else _Stream.null


class _Special:
    """``cupyx.scipy.special`` for the simulation: ember's own NumPy kernels."""

    def __getattr__(self, name):
        from .._ops import _special

        fn = getattr(_special, name)
        return lambda a: _wrap(fn(a._a))


class _Kernels:
    """``ember.cuda._kernels`` for the simulation: their NumPy twins, on unwrapped arrays."""

    def __getattr__(self, name):
        from ._kernels import NumpyTwins

        fn = getattr(NumpyTwins, name)
        return lambda *args, **kwargs: _wrap(fn(*_unwrap(args), **_unwrap(kwargs)))


class _Module(_Namespace):
    ndarray = SimArray
    cuda = _Cuda()
    _pool = _Pool()
    _ember_special = _Special()
    _ember_kernels = _Kernels()

    def __init__(self):
        super().__init__(np, "cupy")

    random = _Random(np.random, "cupy.random")

    @staticmethod
    def _ember_empty_pinned(shape, dtype=float):
        return np.empty(shape, dtype=dtype)

    def broadcast_to(self, a, shape):
        return SimArray(_broadcast(_unwrap(a), shape))

    def asnumpy(self, a, stream=None, order="C", out=None):
        return a.get() if type(a) is SimArray else np.asarray(a)

    def get_default_memory_pool(self):
        return self._pool

    def get_array_module(self, *args):
        return self if any(type(a) is SimArray for a in args) else np

    def __getattr__(self, name):
        if name in ("errstate", "seterr", "geterr"):  # CuPy has none of these
            raise AttributeError(f"module 'cupy' has no attribute '{name}'")
        return super().__getattr__(name)


module = _Module()
