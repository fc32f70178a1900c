"""The array module of the ``meta`` device: arrays with a shape, a dtype and strides, no data.

PyTorch's ``meta`` device lets a program build a model of any size without memory, and run
shape-only forward and backward passes.  ember gets it the way it gets CUDA: every op asks
its operands' array module (``xp_of``) for the functions it computes with, and on ``meta``
that module is :data:`module`, whose arrays are :class:`MetaArray` objects.  A ``MetaArray``
takes part in NumPy's protocols (``__array_ufunc__``, ``__array_function__``), so the ops run
unchanged and only work out what their results look like:

- element-wise ufuncs: the broadcast shape, and the dtype NumPy's own promotion gives when
  the ufunc runs on one zero of each operand's dtype (Python numbers stay "weak");
- reductions, ``matmul``/``dot``/``tensordot``, ``concatenate``/``stack``, ``where``: a shape
  rule each, the dtype again from a tiny probe;
- views (``reshape``, ``transpose``, basic indexing, ``as_strided``, ...): NumPy's own code,
  run on a *shadow*, an ``ndarray`` with the real shape and strides laid over a one-element
  buffer.  NumPy makes views without reading memory, so strides, offsets and "can this be a
  view" answers come out exactly as for real data.  No other function ever sees a shadow;
- anything else: NumPy's function, run on zero-stride stand-ins (one element each, broadcast
  to the operand's shape), and only the result's shape and dtype are kept.  That costs the
  result's memory for a moment, but is right for every function NumPy has.

Reading values (``item``, ``get``, ``__array__``) raises PyTorch's errors for meta tensors.
"""
from __future__ import annotations

import numbers
import types

import numpy as np
from numpy.lib import stride_tricks as _st
from ._array_ops import install_operators

NO_DATA = "Cannot copy out of meta tensor; no data!"
NO_ITEM = "Tensor.item() cannot be called on meta tensors"


def _c_strides(shape, itemsize):
    out, step = [], itemsize
    for n in reversed(shape):
        out.append(step)
        step *= max(n, 1)
    return tuple(reversed(out))


def _shadow(shape, dtype, strides=None):
    """An ndarray with ``shape`` and ``strides`` over one element: for views, never read."""
    dtype = np.dtype(dtype)
    shape = tuple(int(n) for n in shape)
    if strides is None:
        strides = _c_strides(shape, dtype.itemsize)
    return _st.as_strided(np.zeros(1, dtype), shape, strides)


def _k_strides(shape, strides, itemsize):
    """The strides of a fresh copy laid out as the original is (NumPy's ``order='K'``)."""
    order = sorted(range(len(shape)), key=lambda d: -abs(strides[d]))
    out, step = [0] * len(shape), itemsize
    for d in reversed(order):
        out[d] = step
        step *= max(shape[d], 1)
    return tuple(out)


def fresh(shape, dtype, like=None):
    """A new meta array (C-ordered, or laid out as the array ``like`` when it is dense)."""
    dtype = np.dtype(dtype)
    strides = None
    if like is not None and not like.flags.c_contiguous and like.ndim:
        st = [abs(s) for s in like.strides]
        if 0 not in st and len(set(st)) == len(st):
            strides = _k_strides(like.shape, like.strides, dtype.itemsize)
    return MetaArray(_shadow(shape, dtype, strides))


def _standin(a):
    """A read-only, one-element ndarray with ``a``'s shape and dtype (safe to compute on)."""
    return np.broadcast_to(np.zeros((), a.dtype), a.shape)


def _probe(x, ndim=0, size=1):
    """``x`` as a tiny real array of its dtype (Python numbers stay as they are)."""
    if isinstance(x, (MetaArray, np.ndarray)):
        return np.zeros((size,) * ndim, x.dtype)
    if isinstance(x, (list, tuple)):
        return np.zeros((size,) * ndim, np.asarray(x).dtype)
    return x


def _shape_of(x):
    if isinstance(x, MetaArray):
        return x.shape
    return np.shape(x)


def _to_standins(x):
    t = type(x)
    if t is MetaArray:
        return _standin(x)
    if t in (list, tuple):
        return t(_to_standins(v) for v in x)
    if t is dict:
        return {k: _to_standins(v) for k, v in x.items()}
    return x


def _to_meta(x):
    """A NumPy result as meta arrays (shape and dtype only)."""
    if isinstance(x, np.ndarray):
        return fresh(x.shape, x.dtype)
    if isinstance(x, np.generic):
        return fresh((), x.dtype)
    if type(x) in (list, tuple):
        return type(x)(_to_meta(v) for v in x)
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # a named result (eigh, slogdet, ...)
        return type(x)(*(_to_meta(v) for v in x))
    return x


def _quiet_call(fn, *args, **kwargs):
    with np.errstate(all="ignore"):
        return fn(*args, **kwargs)


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata", "writeable")

    def __init__(self, a):
        f = a._s.flags
        self.c_contiguous, self.f_contiguous = f.c_contiguous, f.f_contiguous
        self.owndata = a._base is None
        self.writeable = f.writeable

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata, "WRITEABLE": self.writeable}[name]


class _Ptr:
    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr


class _Device:
    __slots__ = ()
    id = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass


def _is_basic_key(key):
    if not isinstance(key, tuple):
        key = (key,)
    for k in key:
        if k is None or k is Ellipsis or type(k) is slice:
            continue
        if isinstance(k, (numbers.Integral, np.integer)) and not isinstance(k, (bool, np.bool_)):
            continue
        return False
    return True


def _unshadow_key(key):
    """An index with meta index arrays replaced by stand-ins (their values are unknown)."""
    if isinstance(key, tuple):
        return tuple(_unshadow_key(k) for k in key)
    if type(key) is MetaArray:
        if key.dtype == np.bool_:
            _needs_values("nonzero")()  # (PyTorch's indexing takes the mask's nonzero)
        return _standin(key)
    if type(key) is slice:
        return slice(*(int(v) if type(v) is MetaArray else v
                       for v in (key.start, key.stop, key.step)))
    return key


class MetaArray:
    """An array's shape, dtype and strides, without its memory (the ``meta`` device's array).

    ``_s`` is the shadow ndarray (real shape and strides over one element; only ever given
    to NumPy functions that make views); ``_base`` is the meta array this one views, or None.
    """

    __slots__ = ("_s", "_base", "_truth", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shadow, base=None, truth=False):
        self._s = shadow
        self._base = base
        self._truth = truth

    # -- attributes ----------------------------------------------------------------------
    shape = property(lambda self: self._s.shape)
    dtype = property(lambda self: self._s.dtype)
    ndim = property(lambda self: self._s.ndim)
    size = property(lambda self: self._s.size)
    strides = property(lambda self: self._s.strides)
    itemsize = property(lambda self: self._s.itemsize)
    nbytes = property(lambda self: self._s.size * self._s.itemsize)
    base = property(lambda self: self._base)
    flags = property(_Flags)
    device = property(lambda self: _Device())
    data = property(lambda self: _Ptr(self._s.__array_interface__["data"][0]))
    T = property(lambda self: self._view(self._s.T))
    mT = property(lambda self: self._view(self._s.mT))
    @property
    def real(self):
        return self._view(self._s.real) if self.dtype.kind == "c" else self

    @real.setter
    def real(self, value):
        pass

    @property
    def imag(self):
        if self.dtype.kind == "c":
            return self._view(self._s.imag)
        return fresh(self.shape, self.dtype)

    @imag.setter
    def imag(self, value):
        pass

    def _view(self, shadow):
        return MetaArray(shadow, self if self._base is None else self._base)

    # -- no data ---------------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise NotImplementedError(NO_DATA)

    def get(self, *args, **kwargs):
        raise NotImplementedError(NO_DATA)

    def tolist(self):
        raise NotImplementedError(NO_DATA)

    def tobytes(self, *args, **kwargs):
        raise NotImplementedError(NO_DATA)

    def item(self, *args):
        raise RuntimeError(NO_ITEM)

    # An op's own checks on values (``if int(idx.max()) >= n: raise``, ``if (x < 0).any()``)
    # read a meta array as its stand-ins, zeros, so that they pass as PyTorch's meta kernels
    # skip them.  A user's ``t.item()``, ``int(t)``, ``bool(t)`` go through ``item`` and raise.
    def _scalar(self):
        if self.size != 1:
            raise TypeError("only length-1 arrays can be converted to Python scalars")
        return self.dtype.type(0)

    def __int__(self):
        return int(self._scalar())

    def __float__(self):
        return float(self._scalar())

    def __complex__(self):
        return complex(self._scalar())

    def __index__(self):
        return int(self._scalar())

    def __bool__(self):
        # (``if (x < 0).any(): raise`` passes, and so does ``if not (x >= 0).all(): raise``:
        # the result of ``all`` reads as true)
        if self.size != 1:
            raise ValueError("The truth value of an array with more than one element is "
                             "ambiguous.")
        return self._truth

    def __repr__(self):
        return f"meta_array(shape={self.shape}, dtype={self.dtype})"

    __str__ = __repr__

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return _rebuild, (self.shape, self.dtype.str)

    # -- views and copies ----------------------------------------------------------------------
    def copy(self, order="C"):
        return fresh(self.shape, self.dtype, self if order == "K" else None)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        dtype = np.dtype(dtype)
        if not copy and dtype == self.dtype:
            return self
        return fresh(self.shape, dtype, self if order in ("K", "A") else None)

    def view(self, dtype=None, type=None):
        return self._view(self._s.view() if dtype is None else self._s.view(dtype))

    def reshape(self, *shape, order="C", copy=None):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return _reshape(self, shape, order=order, copy=copy)

    def ravel(self, order="C"):
        return _reshape(self, (-1,), order=order)

    def flatten(self, order="C"):
        return fresh((self.size,), self.dtype)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return self._view(self._s.transpose(axes) if axes else self._s.transpose())

    def fill(self, value):
        return None

    def __getitem__(self, key):
        if _is_basic_key(key):
            return self._view(self._s[key])
        res = _standin(self)[_unshadow_key(key)]
        return fresh(np.shape(res), res.dtype)

    def __setitem__(self, key, value):
        # Nothing to store; the index is still checked against the shape.
        if not _is_basic_key(key):
            _standin(self)[_unshadow_key(key)]
        elif key is not Ellipsis:
            self._s[key]

    def scatter_add(self, slices, value):  # (CuPy's ``add.at``)
        return None

    def __getattr__(self, name):
        # ``a.sum(...)``, ``a.clip(...)``, ...: NumPy's function, dispatched back to this class
        fn = getattr(np, name, None) if not name.startswith("_") else None
        if fn is None or not callable(fn) or isinstance(fn, type):
            raise AttributeError(f"'MetaArray' object has no attribute '{name}'")
        return lambda *args, **kwargs: fn(self, *args, **kwargs)

    # -- NumPy's protocols -----------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        for v in inputs:
            if not isinstance(v, (MetaArray, np.ndarray, numbers.Number, np.generic, list,
                                  tuple)):
                return NotImplemented
        out = kwargs.pop("out", None)
        if method == "at":
            return None
        if method == "__call__":
            if ufunc.signature is not None:
                res = _gufunc(ufunc, inputs, kwargs)
            else:
                kwargs.pop("where", None)
                shape = np.broadcast_shapes(*(_shape_of(v) for v in inputs))
                probe = _quiet_call(ufunc, *(_probe(v) for v in inputs), **kwargs)
                res = tuple(fresh(shape, p.dtype) for p in probe) if ufunc.nout > 1 else \
                    fresh(shape, np.asarray(probe).dtype)
        elif method in ("reduce", "accumulate"):
            res = _ufunc_reduce(ufunc, method, *inputs, **kwargs)
        elif method == "outer":
            a, b = inputs
            probe = _quiet_call(ufunc.outer, _probe(a), _probe(b), **kwargs)
            res = fresh(_shape_of(a) + _shape_of(b), probe.dtype)
        else:
            res = _to_meta(_quiet_call(getattr(ufunc, method), *_to_standins(inputs),
                                       **_to_standins(kwargs)))
        if out is not None:
            return out if ufunc.nout > 1 else out[0]
        return res

    def __array_function__(self, func, types, args, kwargs):
        handler = _HANDLERS.get(func)
        if handler is not None:
            return handler(*args, **kwargs)
        if func in _VIEW_FUNCS:
            return _run_on_shadows(func, args, kwargs)
        return _fallback(func, args, kwargs)


def _rebuild(shape, dtype):
    return fresh(shape, dtype)


install_operators(MetaArray, lambda other: not isinstance(
    other, (MetaArray, np.ndarray, numbers.Number, np.generic)))


# -- shape rules ----------------------------------------------------------------------------

def _reshape(a, shape, order="C", copy=None):
    if isinstance(shape, (numbers.Integral, np.integer)):
        shape = (shape,)
    if order in ("K", "A"):  # (``ravel``'s memory order: C unless the array is F-ordered)
        order = "F" if a.flags.f_contiguous and not a.flags.c_contiguous else "C"
    try:
        return a._view(a._s.reshape(shape, order=order, copy=False))
    except ValueError:
        if copy is False:
            raise
    # not expressible as a view: a fresh array (the shape checked on a contiguous shadow)
    return fresh(_shadow(a.shape, a.dtype).reshape(shape, order=order).shape, a.dtype)


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)
    return tuple(_norm_axis(int(x), ndim) for x in axis)


def _norm_axis(x, ndim):
    if not -max(ndim, 1) <= x < max(ndim, 1):
        raise np.exceptions.AxisError(x, ndim)
    return x % max(ndim, 1)


def _reduced(shape, axis, keepdims):
    axes = _axes(axis, len(shape))
    if keepdims:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def _reduction(func):
    """A reduction's handler: ``func(a, axis=None, ..., keepdims=False)``."""
    def handler(a, axis=None, *args, **kwargs):
        kwargs.pop("out", None)
        if args and func in (np.sum, np.prod, np.mean, np.nansum, np.nanmean, np.nanprod):
            kwargs.setdefault("dtype", args[0])
        kwargs.pop("where", None)
        keepdims = kwargs.get("keepdims", False)
        a = a if isinstance(a, MetaArray) else np.asarray(a)
        probe = _quiet_call(func, _probe(a, a.ndim, 2), axis, **kwargs)
        out = fresh(_reduced(a.shape, axis, keepdims), np.asarray(probe).dtype)
        out._truth = func is np.all
        return out
    return handler


def _ufunc_reduce(ufunc, method, a, axis=0, dtype=None, out=None, keepdims=False, **kwargs):
    kwargs.pop("where", None)
    probe = _quiet_call(getattr(ufunc, method), _probe(a, a.ndim, 2), axis=axis, dtype=dtype,
                        **({"keepdims": keepdims} if method == "reduce" else {}), **kwargs)
    if method == "accumulate":
        return fresh(a.shape, probe.dtype)
    out = fresh(_reduced(a.shape, axis, keepdims), np.asarray(probe).dtype)
    out._truth = ufunc is np.logical_and
    return out


def _same_shape(func):
    """Functions whose result has the input's shape (``cumsum``, ``sort``, ...)."""
    def handler(a, *args, **kwargs):
        kwargs.pop("out", None)
        probe = _quiet_call(func, _probe(a, a.ndim, 2), *args, **kwargs)
        shape = a.shape
        if probe.ndim != a.ndim:  # (axis=None flattens)
            shape = (a.size,)
        return fresh(shape, probe.dtype)
    return handler


def _matmul_shape(sa, sb):
    if not sa or not sb:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    a2 = sa if len(sa) > 1 else (1,) + tuple(sa)
    b2 = sb if len(sb) > 1 else tuple(sb) + (1,)
    if a2[-1] != b2[-2]:
        raise ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0, "
                         f"with gufunc signature (n?,k),(k,m?)->(n?,m?) (size {b2[-2]} is "
                         f"different from {a2[-1]})")
    batch = np.broadcast_shapes(a2[:-2], b2[:-2])
    return batch + ((a2[-2],) if len(sa) > 1 else ()) + ((b2[-1],) if len(sb) > 1 else ())


def _gufunc(ufunc, inputs, kwargs):
    if ufunc is np.matmul:
        a, b = inputs
        probe = np.matmul(_probe(a, 2), _probe(b, 2), **kwargs)
        return fresh(_matmul_shape(_shape_of(a), _shape_of(b)), probe.dtype)
    return _to_meta(_quiet_call(ufunc, *_to_standins(inputs), **_to_standins(kwargs)))


def _dot(a, b, out=None):
    sa, sb = _shape_of(a), _shape_of(b)
    dtype = np.result_type(_probe(a), _probe(b))
    if not sa or not sb:
        return fresh(np.broadcast_shapes(sa, sb), dtype)
    k = sb[-2] if len(sb) > 1 else sb[0]
    if sa[-1] != k:
        raise ValueError(f"shapes {sa} and {sb} not aligned: {sa[-1]} (dim {len(sa) - 1}) != "
                         f"{k} (dim {max(len(sb) - 2, 0)})")
    return fresh(sa[:-1] + sb[:-2] + sb[-1:] if len(sb) > 1 else sa[:-1], dtype)


def _tensordot(a, b, axes=2):
    sa, sb = _shape_of(a), _shape_of(b)
    if isinstance(axes, (numbers.Integral, np.integer)):
        ax_a = list(range(len(sa) - axes, len(sa)))
        ax_b = list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (numbers.Integral, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (numbers.Integral, np.integer)) else list(ax_b)
    ax_a = [_norm_axis(x, len(sa)) for x in ax_a]
    ax_b = [_norm_axis(x, len(sb)) for x in ax_b]
    if len(ax_a) != len(ax_b) or any(sa[i] != sb[j] for i, j in zip(ax_a, ax_b)):
        raise ValueError("shape-mismatch for sum")
    shape = tuple(n for d, n in enumerate(sa) if d not in ax_a) + \
        tuple(n for d, n in enumerate(sb) if d not in ax_b)
    return fresh(shape, np.result_type(_probe(a), _probe(b)))


def _einsum(*operands, out=None, optimize=False, **kwargs):
    if not isinstance(operands[0], str):  # (the sublist form)
        return _fallback(np.einsum, operands, dict(kwargs, optimize=optimize))
    spec, arrays = operands[0].replace(" ", ""), operands[1:]
    ins, arrow, res = spec.partition("->")
    ins = ins.split(",")
    sizes, ell = {}, []
    for term, a in zip(ins, arrays):
        shape = _shape_of(a)
        if "..." in term:
            head, _, tail = term.partition("...")
            n_ell = len(shape) - len(head) - len(tail)
            ell.append(shape[len(head):len(head) + n_ell])
            letters = list(head) + [None] * n_ell + list(tail)
        else:
            letters = list(term)
        if len(letters) != len(shape):
            raise ValueError("operand has more dimensions than subscripts given in einstein "
                             "sum, but no '...' ellipsis provided to broadcast the extra "
                             "dimensions.")
        for c, n in zip(letters, shape):
            if c is None:
                continue
            if c in sizes and n != sizes[c] and 1 not in (n, sizes[c]):
                raise ValueError(f"operands could not be broadcast together with remapped "
                                 f"shapes [original->remapped]: size {n} != {sizes[c]} for "
                                 f"subscript '{c}'")
            sizes[c] = max(sizes.get(c, n), n) if 1 in (n, sizes.get(c, n)) else n
    if not arrow:
        joined = "".join(t.replace("...", "") for t in ins)
        res = ("..." if ell else "") + "".join(sorted(c for c in set(joined)
                                                      if joined.count(c) == 1))
    ell_shape = np.broadcast_shapes(*ell) if ell else ()
    shape = []
    head, dots, tail = res.partition("...")
    for c in head:
        shape.append(sizes[c])
    if dots:
        shape.extend(ell_shape)
    for c in tail:
        shape.append(sizes[c])
    dtype = np.result_type(*(_probe(a) for a in arrays))
    if kwargs.get("dtype") is not None:
        dtype = np.dtype(kwargs["dtype"])
    return fresh(tuple(shape), dtype)


def _concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    if axis is None:
        arrays = [_reshape(a, (-1,)) if isinstance(a, MetaArray) else np.ravel(a) for a in arrays]
        axis = 0
    probe = np.concatenate([_probe(a, len(_shape_of(a))) for a in arrays], axis=axis,
                           dtype=dtype, casting=casting)
    shapes = [_shape_of(a) for a in arrays]
    ax = _norm_axis(axis, len(shapes[0]))
    for s in shapes[1:]:
        if len(s) != len(shapes[0]) or any(x != y for d, (x, y) in enumerate(zip(s, shapes[0]))
                                           if d != ax):
            raise ValueError("all the input array dimensions except for the concatenation "
                             "axis must match exactly")
    shape = list(shapes[0])
    shape[ax] = sum(s[ax] for s in shapes)
    return fresh(tuple(shape), probe.dtype)


def _stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    shapes = {tuple(_shape_of(a)) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    shape = list(shapes.pop())
    probe = np.stack([_probe(a, len(shape)) for a in arrays], axis=axis, dtype=dtype,
                     casting=casting)
    shape.insert(_norm_axis(axis, len(shape) + 1), len(arrays))
    return fresh(tuple(shape), probe.dtype)


def _where(cond, *xy):
    if not xy:
        return _needs_values("nonzero")()
    x, y = xy
    shape = np.broadcast_shapes(_shape_of(cond), _shape_of(x), _shape_of(y))
    return fresh(shape, np.where(True, _probe(x), _probe(y)).dtype)


def _clip(a, a_min=None, a_max=None, out=None, **kwargs):
    shape = np.broadcast_shapes(*(_shape_of(v) for v in (a, a_min, a_max) if v is not None))
    probe = _quiet_call(np.clip, _probe(a), _probe(a_min), _probe(a_max), **kwargs)
    return out if out is not None else fresh(shape, np.asarray(probe).dtype)


def _take(a, indices, axis=None, out=None, mode="raise"):
    ishape = _shape_of(indices)
    if axis is None:
        return fresh(ishape, a.dtype)
    ax = _norm_axis(axis, a.ndim)
    return fresh(a.shape[:ax] + tuple(ishape) + a.shape[ax + 1:], a.dtype)


def _take_along_axis(arr, indices, axis=-1):
    ishape = tuple(_shape_of(indices))
    if axis is None:
        return fresh(ishape, arr.dtype)
    ax = _norm_axis(axis, arr.ndim)
    if len(ishape) != arr.ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    shape = [np.broadcast_shapes((n,), (m,))[0] if d != ax else m
             for d, (n, m) in enumerate(zip(arr.shape, ishape))]
    return fresh(tuple(shape), arr.dtype)


def _bincount(x, weights=None, minlength=0):
    # (the length depends on the largest value; as the stand-ins, every value reads as 0)
    n = max(int(minlength), 1 if _shape_of(x) and _shape_of(x)[0] else 0)
    return fresh((n,), np.float64 if weights is not None else np.intp)


def _like_handler(a, *args, dtype=None, order="K", subok=True, shape=None, **kwargs):
    if args and args[0] is not None and not isinstance(args[0], (str, np.dtype, type)):
        args = args[1:]  # (full_like's fill value)
    if args:
        dtype = args[0]
    return _new_like(a, dtype, order, shape=shape)


def _elementwise(func):
    """An element-wise function that is not a ufunc (``round``, ``isclose``, ...): the
    broadcast shape, the dtype from a probe."""
    def handler(*args, **kwargs):
        kwargs.pop("out", None)
        arrays = [v for v in args if isinstance(v, (MetaArray, np.ndarray))]
        shape = np.broadcast_shapes(*(v.shape for v in arrays))
        probe = _quiet_call(func, *(_probe(v) for v in args), **kwargs)
        return fresh(shape, np.asarray(probe).dtype)
    return handler


def _same_as_first(a, *args, **kwargs):
    return fresh(a.shape, a.dtype)


def _repeat(a, repeats, axis=None):
    if type(repeats) is MetaArray:
        return _fallback(np.repeat, (a, repeats), {"axis": axis})
    reps = np.asarray(repeats)
    if axis is None:
        n = a.size * int(reps) if reps.ndim == 0 else int(reps.sum())
        return fresh((n,), a.dtype)
    ax = _norm_axis(axis, a.ndim)
    shape = list(a.shape)
    shape[ax] = shape[ax] * int(reps) if reps.ndim == 0 else int(reps.sum())
    return fresh(tuple(shape), a.dtype)


def _tile(a, reps):
    reps = (int(reps),) if isinstance(reps, (numbers.Integral, np.integer)) else \
        tuple(int(r) for r in reps)
    n = max(len(reps), a.ndim)
    reps = (1,) * (n - len(reps)) + reps
    shape = (1,) * (n - a.ndim) + a.shape
    return fresh(tuple(s * r for s, r in zip(shape, reps)), a.dtype)


def _pad(array, pad_width, mode="constant", **kwargs):
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (array.ndim, 2))
    return fresh(tuple(int(s + b + e) for s, (b, e) in zip(array.shape, widths)), array.dtype)


def _nothing(*args, **kwargs):
    return None


def _needs_values(name):
    def handler(*args, **kwargs):
        if name == "nonzero":  # (PyTorch's words)
            raise NotImplementedError(
                "The register_meta function for torch.nonzero() raises unimplemented by "
                "default, as a correct data-independent implementation does not exist. This "
                "implementation returns a fake value, assuming all elements of the tensor are "
                "non-zero. To enable this registration, please set "
                "'torch.fx.experimental._config.meta_nonzero_assume_all_nonzero' to True.")
        raise NotImplementedError(f"{name} needs the values of a meta tensor, which has none "
                                  "(the size of its result depends on them)")
    return handler


def _ascontiguous(a, dtype=None, **kwargs):
    if dtype is not None and np.dtype(dtype) != a.dtype:
        return fresh(a.shape, dtype)
    if a.flags.c_contiguous and a.ndim:
        return a
    return fresh(a.shape if a.ndim else (), a.dtype)


def _copy(a, order="K", subok=False):
    return a.copy(order)


def _ravel(a, order="C"):
    return _reshape(a, (-1,), order=order)


def _shadow_query(func):
    def handler(*args, **kwargs):
        return func(*(v._s if type(v) is MetaArray else v for v in args), **kwargs)
    return handler


_HANDLERS = {
    np.reshape: lambda a, shape=None, order="C", *, copy=None, **kw: _reshape(
        a, kw.get("newshape", shape), order, copy),
    np.ravel: _ravel,
    np.dot: _dot,
    np.tensordot: _tensordot,
    np.einsum: _einsum,
    np.concatenate: _concatenate,
    np.stack: _stack,
    np.where: _where,
    np.clip: _clip,
    np.copyto: _nothing,
    np.put_along_axis: _nothing,
    np.put: _nothing,
    np.place: _nothing,
    np.putmask: _nothing,
    np.ascontiguousarray: _ascontiguous,
    np.take: _take,
    np.take_along_axis: _take_along_axis,
    np.bincount: _bincount,
    np.triu: _same_as_first,
    np.tril: _same_as_first,
    np.roll: _same_as_first,
    np.repeat: _repeat,
    np.tile: _tile,
    np.pad: _pad,
    np.zeros_like: _like_handler,
    np.ones_like: _like_handler,
    np.empty_like: _like_handler,
    np.full_like: _like_handler,
    np.copy: _copy,
    np.may_share_memory: _shadow_query(np.may_share_memory),
    np.shares_memory: _shadow_query(np.shares_memory),
    np.nonzero: _needs_values("nonzero"),
    np.flatnonzero: _needs_values("nonzero"),
    np.argwhere: _needs_values("nonzero"),
    np.unique: _needs_values("unique"),
    np.array_equal: _needs_values("equal"),
    np.compress: _needs_values("compress"),
    np.extract: _needs_values("masked_select"),
}
for _f in (np.sum, np.prod, np.mean, np.max, np.min, np.amax, np.amin, np.any, np.all,
           np.argmax, np.argmin, np.var, np.std, np.nansum, np.nanmean, np.nanprod, np.nanmax,
           np.nanmin, np.nanargmax, np.nanargmin, np.nanvar, np.nanstd, np.median, np.nanmedian,
           np.ptp, np.count_nonzero):
    _HANDLERS[_f] = _reduction(_f)
for _f in (np.cumsum, np.cumprod, np.nancumsum, np.nancumprod, np.sort, np.argsort):
    _HANDLERS[_f] = _same_shape(_f)
for _f in (np.round, np.around, np.nan_to_num, np.isclose, np.angle, np.fix, np.isneginf,
           np.isposinf, np.sinc, np.i0, np.iscomplex, np.isreal):
    _HANDLERS[_f] = _elementwise(_f)
del _f

# Functions that return views: run on the shadows (NumPy makes them without reading memory).
_VIEW_FUNCS = frozenset(f for f in (
    np.transpose, np.swapaxes, np.moveaxis, np.rollaxis, np.squeeze, np.expand_dims,
    np.broadcast_to, np.broadcast_arrays, np.diagonal, np.real, np.imag, np.atleast_1d,
    np.atleast_2d, np.atleast_3d, np.split, np.array_split, np.hsplit, np.vsplit, np.dsplit,
    np.flip, np.fliplr, np.flipud, _st.sliding_window_view, getattr(np, "matrix_transpose", None),
    getattr(np, "permute_dims", None), getattr(np, "unstack", None)) if f is not None)


def _run_on_shadows(func, args, kwargs):
    base = []

    def down(x):
        t = type(x)
        if t is MetaArray:
            base.append(x)
            return x._s
        if t is np.ndarray:
            return _shadow(x.shape, x.dtype)
        if t in (list, tuple):
            return t(down(v) for v in x)
        return x

    res = func(*down(args), **{k: down(v) for k, v in kwargs.items()})
    root = base[0] if base else None
    root = root if root is None or root._base is None else root._base

    def up(r):
        if isinstance(r, np.ndarray):
            return MetaArray(r, root)
        if type(r) in (list, tuple):
            return type(r)(up(v) for v in r)
        return r
    return up(res)


def _eye_standin(a):
    """For ``numpy.linalg``: identity matrices (zeros would be singular)."""
    if a.ndim >= 2 and a.shape[-1] == a.shape[-2]:
        return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    return _standin(a)


def _fallback(func, args, kwargs):
    """Any other NumPy function: run on one-element stand-ins, keep the result's shape."""
    if getattr(func, "__module__", "").startswith("numpy.linalg"):
        args = tuple(_eye_standin(a) if type(a) is MetaArray else a for a in args)
    out = kwargs.pop("out", None) if isinstance(kwargs.get("out"), MetaArray) else None
    res = _to_meta(_quiet_call(func, *_to_standins(args), **_to_standins(kwargs)))
    return out if out is not None else res


# -- the module --------------------------------------------------------------------------------

def _new(shape, dtype=float, order="C", **kwargs):
    """``empty``, ``zeros``, ``ones``: a fresh meta array (there are no values to fill)."""
    if isinstance(shape, (numbers.Integral, np.integer)):
        shape = (shape,)
    return fresh(tuple(shape), dtype)


def _full(shape, fill_value, dtype=None, order="C", **kwargs):
    if dtype is None:
        dtype = fill_value.dtype if isinstance(fill_value, (MetaArray, np.ndarray)) else \
            np.asarray(fill_value).dtype
    return _new(shape, dtype)


def _new_like(a, dtype=None, order="K", subok=True, shape=None, **kwargs):
    """``empty_like`` and its kin: ``a``'s shape, dtype and (by default) layout."""
    dtype = a.dtype if dtype is None else np.dtype(dtype)
    shape = _shape_of(a) if shape is None else shape
    return fresh(shape, dtype, a if isinstance(a, MetaArray) and order == "K" else None)


def asarray(x, dtype=None, order=None, copy=None, **kwargs):
    """``x`` as a meta array (only its shape and dtype are kept)."""
    if type(x) is MetaArray:
        return x if dtype is None or np.dtype(dtype) == x.dtype else x.astype(dtype)
    if isinstance(x, np.ndarray):  # (laid out as ``x`` is, as PyTorch's copy to meta is)
        return fresh(x.shape, x.dtype if dtype is None else dtype, x)
    return _to_meta(np.asarray(_to_standins(x), dtype=dtype))


def array(x, dtype=None, copy=True, order="K", **kwargs):
    if type(x) is MetaArray:
        a = x.astype(x.dtype if dtype is None else dtype, order=order, copy=True)
        return a
    return asarray(x, dtype)


def as_strided(x, shape=None, strides=None, subok=False, writeable=True):
    if type(x) is not MetaArray:
        return _st.as_strided(x, shape, strides, subok, writeable)
    return x._view(_st.as_strided(x._s, shape, strides, writeable=writeable))


def _wrap_fn(fn):
    def call(*args, **kwargs):
        res = fn(*args, **kwargs)
        return _to_meta(res) if isinstance(res, np.ndarray) or (
            type(res) in (list, tuple) and any(isinstance(v, np.ndarray) for v in res)) else res
    call.__name__ = getattr(fn, "__name__", "function")
    return call


class _Namespace(types.ModuleType):
    """NumPy's namespace ``src`` seen from the meta device: functions give meta arrays."""

    def __init__(self, name, src, own=None):
        super().__init__(name)
        self._src = src
        self.__dict__.update(own or {})

    def __getattr__(self, name):
        attr = getattr(self._src, name)
        if isinstance(attr, (type, np.ufunc, types.ModuleType)) or not callable(attr):
            if isinstance(attr, types.ModuleType):
                attr = _Namespace(f"{self.__name__}.{name}", attr)
            setattr(self, name, attr)
            return attr
        fn = _wrap_fn(attr)
        setattr(self, name, fn)
        return fn


class _NoDraw:
    """A random stream for the meta device: each draw is a meta array of the asked length and
    dtype, and nothing is drawn (so the CPU stream is left as it was, as in PyTorch)."""

    def __getattr__(self, name):
        def draw(n, *args, **kwargs):
            dtype = next((a for a in args if isinstance(a, np.dtype) or (
                isinstance(a, type) and issubclass(a, np.generic))), np.float64)
            return fresh((int(n),), dtype)
        return draw


NO_DRAW = _NoDraw()


class _Random:
    """``xp.random`` on the meta device: the shape of the draw (``size`` or the first
    argument), nothing drawn."""

    def __getattr__(self, name):
        def draw(*args, size=None, dtype=np.float64, **kwargs):
            shape = size if size is not None else args[0] if args else ()
            return fresh((shape,) if isinstance(shape, (numbers.Integral, np.integer))
                         else tuple(shape), dtype)
        return draw


class _Special:
    """``scipy.special``'s twin on the meta device: each function is element-wise, so its
    result has its operands' broadcast shape and (at least) a floating dtype."""

    def __getattr__(self, name):
        def fn(*args, **kwargs):
            res = args[0]
            for other in args[1:]:
                res = np.add(res, other)
            return np.multiply(res, 1.0)
        return fn


special = _Special()


class _Cuda:
    Device = staticmethod(lambda *a, **k: _Device())


module = _Namespace("ember.meta_xp", np, {
    "ndarray": MetaArray, "empty": _new, "zeros": _new, "ones": _new, "full": _full,
    "empty_like": _new_like, "zeros_like": _new_like, "ones_like": _new_like,
    "full_like": lambda a, fill_value, dtype=None, **kw: _new_like(a, dtype, **kw),
    "asarray": asarray, "array": array, "asanyarray": asarray,
    "ascontiguousarray": lambda a, dtype=None, **kw: _ascontiguous(asarray(a), dtype),
    "cuda": _Cuda(), "random": _Random(),
    "lib": _Namespace("ember.meta_xp.lib", np.lib, {
        "stride_tricks": _Namespace("ember.meta_xp.lib.stride_tricks", _st,
                                    {"as_strided": as_strided})}),
})
