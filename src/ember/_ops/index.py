"""Indexing: ``t[key]``, ``t[key] = v``, gather/scatter and masks.

``t[key]`` works as PyTorch's does: the basic parts of the key (ints, slices,
``None``, ``...``) are applied first as a chain of views (select, slice,
unsqueeze); what is left of the key (index tensors and boolean masks, with
full slices between them) is then applied as one copying ``IndexBackward0``
op, with NumPy's rules for where the indexed dims land.
"""
from __future__ import annotations

from ember._warnings import warn as _warn
from ember._warnings import warn_once as _warn_once

import operator
import sys

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._core import (_legacy, check_inplace, commit, make, needs_grad, norm_dim, same_device,
                    snapshot, wrap, xp_of)
from ._core import c_order, linear_grad, need_tensor, refuse_dynamic, to_host
from ._core import xp_of_array as _xp
from ._cascade import iterator_sort
from .shape import broadcast_shapes, select, slice_, unsqueeze
from .shape import view_strides as _view_strides


def _idx_tensor(arr, ref):
    """An int64 index tensor on ``ref``'s device (``arr`` may be a host array)."""
    return wrap(xp_of(ref).asarray(arr, dtype=np.int64), ref._device)


# The dtypes CUDA adds atomically, so that CuPy's scatter_add takes them.
_ATOMIC_ADD = frozenset(np.dtype(d) for d in (np.float16, np.float32, np.float64, np.int32,
                                              np.uint32, np.uint64))


def _add_at(arr, key, vals):
    """``arr[key] += vals`` with repeated positions adding up (inf - inf silently NaN, integers
    wrapping, as in PyTorch)."""
    with np.errstate(all="ignore"):
        if type(arr) is np.ndarray:
            np.add.at(arr, key, vals)
        elif arr.dtype in _ATOMIC_ADD:  # CuPy's kernel of atomic adds
            _xp(arr).add.at(arr, key, vals)
        else:  # no atomic add for this dtype on a GPU (int64...): rare, done on the host
            host = to_host(arr)
            hkey = tuple(_host_part(k) for k in key) if isinstance(key, tuple) else \
                _host_part(key)
            np.add.at(host, hkey, _host_part(vals))
            arr[...] = _xp(arr).asarray(host)


def _host_part(k):
    return to_host(k) if hasattr(k, "__cuda_array_interface__") else k


def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


# -- parsing a key --------------------------------------------------------------

_SEQ_WARNING = ("Using a non-tuple sequence for multidimensional indexing is deprecated and will "
                "be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 "
                "this will be interpreted as tensor index, x[torch.tensor(seq)], which will "
                "result either in an error or a different result")


def _key_items(key):
    """The key as a tuple of items, as PyTorch splits it."""
    if isinstance(key, tuple):
        return key
    if isinstance(key, list) and len(key) < 32 and any(
            k is None or k is Ellipsis or
            isinstance(k, (slice, Tensor, list, tuple, np.ndarray, range, str))
            for k in key):
        # NOTE: PyTorch (like old NumPy) still reads such a list as a tuple, with a warning.
        _warn_sequence(key)
        return tuple(key)
    if isinstance(key, str) and 0 < len(key) < 32:
        # NOTE: to PyTorch a str is a sequence of sequences (its characters): read as a tuple
        # with the same warning, before its first item is refused
        _warn_sequence(key)
        return tuple(key)
    return (key,)


def _warn_sequence(key):
    try:
        _warn(_SEQ_WARNING, cpp="torch/csrc/autograd/python_variable_indexing.cpp:349")
    except Warning:  # warnings as errors: PyTorch's error for a str item wins over its warning
        if not any(isinstance(k, str) for k in key):
            raise


class _Mask:
    """A boolean mask item of a key (its array, on the tensor's device); ``byte`` when it was
    given as a uint8 tensor."""

    __slots__ = ("arr", "byte")

    def __init__(self, arr, byte=False):
        self.arr = arr
        self.byte = byte


class _Ints:
    """An integer index-array item of a key."""

    __slots__ = ("arr",)

    def __init__(self, arr):
        self.arr = arr


def _bad_index(k):
    tp = type(k)
    name = tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__name__}"
    return IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                      f"Variables are valid indices (got {name})")


def _index_array(k, t):
    """An index tensor/array/list as ``_Ints`` or ``_Mask`` (or an int for 0-d integers)."""
    if isinstance(k, Tensor):
        dt = k.dtype
        a = k._data
        if type(a) is not np.ndarray and type(t._data) is np.ndarray:
            raise RuntimeError(f"indices should be either on cpu or on the same device as the "
                               f"indexed tensor ({t.device})")
        # (a CPU mask tensor stays on the host for a meta tensor: PyTorch finds its
        # positions, which size the result)
        if type(a) is np.ndarray and type(t._data) is not np.ndarray and not (
                dt is D.bool and t._device.type == "meta"):
            a = xp_of(t).asarray(a)  # CPU indices for a GPU tensor: PyTorch allows them
    else:
        if isinstance(k, (list, tuple)):
            from .creation import tensor

            try:
                k = tensor(k)
            except TypeError as e:
                if str(e).startswith("new(): invalid data type"):  # (a str in the list)
                    raise
                raise _bad_index(k) from None
            if k.dtype.is_complex:
                raise TypeError("'complex' object cannot be interpreted as an integer")
            if k.dtype is not D.bool and k.dtype is not D.uint8:
                # NOTE: PyTorch makes an index list long whatever its numbers (0.7 is 0);
                # an empty one indexes nothing
                k = k.long()
            dt, a = k.dtype, k._data
        else:
            a = k
            try:
                dt = D.from_numpy_dtype(a.dtype)
            except TypeError:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors") from None
            if dt is not D.bool and dt is not D.uint8 and dt is not D.int64:
                # (a NumPy array is read as a list is: long unless bool or uint8)
                if dt.is_complex:
                    _warn_once("complex to real", "Casting complex values to real discards the "
                               "imaginary part", cpp="aten/src/ATen/native/Copy.cpp:307")
                    a = a.real
                a, dt = a.astype(np.int64), D.int64
        xp = xp_of(t)
        if xp is not np:
            a = xp.asarray(a)
    if (dt is D.bool or dt is D.uint8) and isinstance(k, Tensor):
        refuse_dynamic("bool_mask", k)  # (a mask vmap maps: PyTorch's refusal)
    if dt is D.uint8:  # (warned of where it is applied: a masked fill refuses it first)
        return _Mask(a.astype(bool), True)
    if dt is D.bool:
        return _Mask(a)
    if dt not in (D.int64, D.int32):
        if a.ndim == 0 and dt._kind == 1:  # (any 0-d integer tensor is a number, as in PyTorch)
            if int(a) >= 1 << 63:
                raise RuntimeError("value cannot be converted to type int64_t without overflow")
            return int(a)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if a.ndim == 0:
        return int(a)
    return _Ints(a.astype(np.int64, copy=False))


def _slice_part(v):
    if v is None or isinstance(v, int):
        return v
    if isinstance(v, Tensor):  # (its own refusal of a float or many-element tensor)
        return v.__index__()
    try:
        return v.__index__()
    except (AttributeError, TypeError):
        raise TypeError("slice indices must be integers or None or have an __index__ "
                        "method") from None


def _parse(t, key):
    """Split ``key`` into normalised items: int, slice, None, Ellipsis, _Ints, _Mask."""
    items = []
    negative_step = False
    keys = _key_items(key)
    try:
        for k in keys:
            if k is None or k is Ellipsis:
                items.append(k)
            elif isinstance(k, bool):
                items.append(_Mask(np.asarray(bool(k))))
            elif isinstance(k, (int, np.integer)):
                items.append(int(k))
            elif isinstance(k, slice):
                step = _slice_part(k.step)
                if step == 0:
                    raise ValueError("slice step cannot be zero")
                negative_step = negative_step or (step is not None and step < 0)
                items.append(slice(_slice_part(k.start), _slice_part(k.stop), step))
            elif isinstance(k, (Tensor, np.ndarray, list, tuple)):
                items.append(_index_array(k, t))
            elif isinstance(k, range):  # an index list, as PyTorch reads it
                items.append(_index_array(list(k), t))
            elif isinstance(k, str):
                raise TypeError(f"new(): invalid data type '{type(k).__name__}'")
            else:
                raise _bad_index(k)
    except (TypeError, IndexError, ValueError):
        # NOTE: PyTorch counts the dims the key's items take before it reads any of them:
        # too many is the error it gives, whatever item it could not read
        if _specified(keys) > t.ndim:
            raise IndexError(f"too many indices for tensor of dimension {t.ndim}") from None
        raise
    if negative_step:  # (PyTorch counts the indices first: too many is the error it gives)
        if _consumed(items) > t.ndim:
            raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
        raise ValueError("step must be greater than zero")
    return items


def _specified(keys):
    """The dims PyTorch counts for a key's raw items: a mask tensor its dims, None, ``...``
    and a bool none, anything else one."""
    n = 0
    for k in keys:
        if isinstance(k, Tensor):
            n += k.ndim if k.dtype is D.bool or k.dtype is D.uint8 else 1
        elif not (k is None or k is Ellipsis or k is True or k is False):
            n += 1
    return n


def _consumed(items):
    n = 0
    for k in items:
        if isinstance(k, _Mask):
            n += k.arr.ndim
        elif k is not None and k is not Ellipsis:
            n += 1
    return n


def _apply_basic(t, items, defer=None, tupled=False):
    """Apply the basic items as views; return the view and the key left for NumPy.

    The key left has one entry per dim of the view: ``slice(None)`` or an index array
    (masks become their ``nonzero`` arrays).  ``None`` when nothing advanced is left.
    With a ``defer`` list, an index array out of bounds is wrapped into range and its
    IndexError appended there (writes check the value's shape and dtype first).
    """
    used = _consumed(items)
    if t.ndim == 0 and any(isinstance(k, int) for k in items):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    if used > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
    if t.ndim == 0 and any(isinstance(k, slice) for k in items):
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    out = t
    d = 0
    # NOTE: PyTorch's messages name an integer index by its position in the key, and an
    # index tensor by how many index dims came before it.
    adv = 0
    rest = []
    ints = []  # (where in ``rest``, the dim's size, which index tensor) of each index array
    masks = []  # (mask, its dim, the view's dim) of each mask whose shape does not fit
    advanced = False
    made = False
    seen_ellipsis = False
    for pos, k in enumerate(items):
        if k is Ellipsis:
            n = 0 if seen_ellipsis else t.ndim - used
            seen_ellipsis = True
            rest.extend([slice(None)] * n)
            d += n
        elif k is None:
            out = unsqueeze(out, d)
            rest.append(slice(None))
            d += 1
            made = True
        elif isinstance(k, int):
            n = out.shape[d]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {pos} with size {n}")
            out = select(out, d, k)
            made = True
        elif isinstance(k, slice):
            n = out.shape[d]
            start, stop, step = k.indices(n)
            # (PyTorch skips a slice whose start as written is 0: ``x[-5:]`` of 2 rows is one)
            if (start, stop, step) != (0, n, 1) or k.start is not None and k.start != 0:
                out = slice_(out, d, start, max(stop, start), step)
                made = True
            rest.append(slice(None))
            d += 1
        elif isinstance(k, _Ints):
            ints.append((len(rest), out.shape[d], adv))  # (checked once the ints are)
            rest.append(k.arr)
            advanced = True
            d += 1
            adv += 1
        else:  # _Mask
            m = k.arr
            # (writes warn once past a masked fill's refusal; a 0-d uint8 key doesn't warn)
            if k.byte and defer is None and m.ndim:
                _warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", cpp=_UINT8_AT)
            if m.ndim == 0:
                # A 0-d mask adds a dim of length 1 (True) or 0 (False), picked by index.
                out = unsqueeze(out, d)
                rest.append(xp_of(out).arange(int(bool(m)), dtype=np.int64))
                advanced = True
                d += 1
                adv += 1  # (an index tensor of PyTorch's, counted in its messages)
                continue
            bad = next((i for i in range(m.ndim) if m.shape[i] != out.shape[d + i]), None)
            if bad is not None:  # (reported once the key's ints, slices and Nones are applied)
                masks.append((m, bad, d + bad))
                m = xp_of(out).zeros(out.shape[d:d + m.ndim], dtype=bool)
            if type(m) is np.ndarray and xp_of(out) is not np:  # a host mask, meta tensor:
                rest.extend(xp_of(out).asarray(i) for i in np.nonzero(m))  # sizes known
            else:
                rest.extend(xp_of(out).nonzero(m))
            advanced = True
            d += m.ndim
            adv += m.ndim
    for m, i, at in masks:
        raise IndexError(f"The shape of the mask {_fmt(m.shape)} at index {i} does not match "
                         f"the shape of the indexed tensor {_fmt(out.shape)} at index {at}")
    if not advanced:
        if not made:
            # ``t[:]`` is a slice; ``t[...]``, ``t[()]``, ``t[:, :]`` and ``t[0:,]`` (a key
            # tuple, ``tupled``) are aliases.
            full = not tupled and len(items) == 1 and isinstance(items[0], slice)
            out = slice_(t, 0, 0, t.shape[0]) if full else _alias_view(t)
        return out, None
    arrays = [a for a in rest if not isinstance(a, slice)]
    try:
        if any(a.shape != arrays[0].shape for a in arrays):
            np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                         "shapes " + ", ".join(_fmt(a.shape) for a in arrays)) from None
    if ints:
        _check_index_arrays(out, rest, arrays, ints, defer)
    return out, tuple(rest)


_SIZE0 = "index is out of bounds for dimension with size 0"


def _check_index_arrays(out, rest, arrays, ints, defer):
    """PyTorch's bounds checks of index arrays, after those of the int indices and the
    broadcast: a non-empty index into a dim of size 0 is an error; any other index is only
    read (and checked) where the result has elements.  Out-of-range indices of a result
    with none, or deferred into ``defer`` for a write, are wrapped into range."""
    if any(n == 0 for _, n, _ in ints) and all(a.size for a in arrays):
        if 0 not in np.broadcast_shapes(*(a.shape for a in arrays)):
            err = IndexError(_SIZE0)
            if defer is None:
                raise err
            defer.append(err)  # (a write: after its in-place checks, as PyTorch's)
    bad = [(i, n, which) for i, n, which in ints
           if rest[i].size and (int(rest[i].max()) >= n or int(rest[i].min()) < -n)]
    if not bad:
        return
    empty = any(n == 0 for j, n in enumerate(out.shape)
                if j >= len(rest) or isinstance(rest[j], slice)) or \
        any(a.size == 0 for a in arrays)
    if not empty:
        # PyTorch's kernel stops at the first element (in order) that reads out of range,
        # naming the first index there that does
        xp = _xp(rest[bad[0][0]])
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        flat = [(xp.broadcast_to(rest[i], shape).reshape(-1), n, which)
                for i, n, which in bad]
        wrong = None
        for a, n, _ in flat:
            w = (a >= n) | (a < -n)
            wrong = w if wrong is None else wrong | w
        at = int(wrong.argmax())
        v, n, which = next((int(a[at]), n, which) for a, n, which in flat
                           if not -n <= int(a[at]) < n)
        err = IndexError(f"index {v} is out of bounds for dimension {which} with size {n}")
        if defer is None:
            raise err
        defer.append(err)
    for i, n, _ in bad:
        rest[i] = rest[i] % n if n else rest[i] * 0


def _alias_view(t):
    from ._core import make_view

    return make_view(t._data[...], t, "AliasBackward0", lambda ctx, g: (g,), lambda b: b[...])


# -- t[key] ------------------------------------------------------------------------

def _zero_dim_key(key):
    """PyTorch's errors for indexing a 0-dim tensor, where a bare int or slice key has words
    of its own and a key of more items has "too many indices"."""
    if isinstance(key, tuple):
        if any(isinstance(k, (int, np.integer, slice, Tensor, list, np.ndarray, range))
               and not isinstance(k, (bool, np.bool_)) for k in key):
            raise IndexError("too many indices for tensor of dimension 0")
    elif isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        if key != 0:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size 0")
    elif isinstance(key, slice):
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    elif isinstance(key, (list, range)) or (isinstance(key, Tensor) and key.dtype is not D.bool):
        raise IndexError("too many indices for tensor of dimension 0")


def getitem(t, key):
    if t.ndim == 0 and key is not None and key is not Ellipsis:
        _zero_dim_key(key)
    out, rest = _apply_basic(t, _parse(t, key), tupled=type(key) is tuple)
    if rest is None:
        return out
    return _index(out, rest, _key_tensors(key))


def _key_tensors(key):
    """The index tensors (not 0-d) of an indexing key: PyTorch's IndexBackward0 and
    IndexPutBackward0 keep them, refused once changed in place."""
    if isinstance(key, Tensor):
        return (key,) if key.ndim else ()
    if type(key) is tuple:
        return tuple([k for k in key if isinstance(k, Tensor) and k.ndim])
    return ()


def _c_layout(a):
    """``a`` laid out as a fresh C-contiguous array, as PyTorch's index results are (NumPy
    leaves dims before the index arrays' outermost, and size-1 dims with odd strides)."""
    if a.ndim < 2:
        return a
    want = a.itemsize
    for n, st in zip(reversed(a.shape), reversed(a.strides)):
        if st != want and n != 0:
            return a.copy(order="C")  # (a fresh C array has the canonical strides)
        want *= n
    return a


def _expand_strides(shape, strides, to):
    """PyTorch's strides of ``expand`` from (shape, strides) to the shape ``to``."""
    out = [0] * len(to)
    off = len(to) - len(shape)
    for i in range(len(to) - 1, -1, -1):
        j = i - off
        n, st = (shape[j], strides[j]) if j >= 0 else (1, out[i + 1] * to[i + 1]
                                                       if i + 1 < len(to) else 1)
        out[i] = 0 if n != to[i] else st
    return out


def _contiguous(shape, strides):
    want = 1
    for n, st in zip(reversed(shape), reversed(strides)):
        if n != 1 and st != want:
            return False
        want *= n
    return True


def _index_layout(t, nk, arr):
    """``arr`` (``t[nk]``) laid out as PyTorch's index kernel lays out its result: its
    TensorIterator orders the dims by the strides of ``t`` (the indexed dims broadcast) and
    then of the index tensors, so a transposed ``t`` gives a transposed result."""
    adv = [i for i, k in enumerate(nk) if not isinstance(k, slice)]
    arrays = [nk[i] for i in adv]
    n = t.ndim
    size = t._data.itemsize
    shape = list(t.shape)
    st = [s // size for s in t._data.strides]
    if adv[-1] - adv[0] + 1 != len(adv):  # (PyTorch moves the indexed dims to the front)
        order = adv + [i for i in range(n) if i not in adv]
        shape, st = [shape[i] for i in order], [st[i] for i in order]
        adv = list(range(len(adv)))
    b = list(arr.shape[adv[0]:adv[0] + arr.ndim - n + len(adv)])
    before, after = adv[0], n - adv[-1] - 1
    rshape = shape[:before] + b + shape[n - after:]
    ops = [st[:before] + [0] * len(b) + st[n - after:]]
    same = after + before == 0 or all(k == 1 for k in rshape[:before] + rshape[len(rshape)
                                                                                - after:])
    for a in arrays:
        ast = [s // a.itemsize for s in a.strides]
        est = _expand_strides(a.shape, ast, b) if list(a.shape) != b else ast
        vs = _view_strides(b, est, [1] * before + b + [1] * after)
        if vs is None:
            vs = list(_contig_strides([1] * before + b + [1] * after))
        full = [1] * before + b + [1] * after
        ops.append([0 if full[i] == 1 and rshape[i] != 1 else vs[i] for i in range(len(full))])
    if same and all(_contiguous(rshape, o) for o in ops[:1]) and all(
            _contiguous(b, [s // a.itemsize for s in a.strides]) and list(a.shape) == b
            for a in arrays):
        return _c_layout(arr)
    nd = len(rshape)
    perm = list(range(nd - 1, -1, -1))

    def swap(d0, d1):
        for o in ops:
            s0, s1 = o[d0], o[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if rshape[d0] > rshape[d1]:
                return 1
        return 0
    perm = iterator_sort(perm, swap)
    if perm == list(range(nd - 1, -1, -1)):
        return _c_layout(arr)
    xp = _xp(arr)
    buf = xp.empty([rshape[p] for p in reversed(perm)], dtype=arr.dtype)
    out = buf.transpose([nd - 1 - perm.index(d) for d in range(nd)])
    out[...] = arr
    return out


def _plain_arrays(nk):
    """Whether the index arrays of ``nk`` are adjacent, of one shape without 1s, and
    C-contiguous: into a contiguous tensor, PyTorch's result is then contiguous too."""
    pos = [i for i, k in enumerate(nk) if type(k) is not slice]
    first = nk[pos[0]]
    return pos[-1] - pos[0] + 1 == len(pos) and 1 not in first.shape and all(
        nk[i].shape == first.shape and nk[i].flags.c_contiguous for i in pos)


def _contig_strides(shape):
    st, step = [], 1
    for n in reversed(shape):
        st.insert(0, step)
        step *= max(n, 1)
    return st


def _index(t, nk, kept=()):
    """``t[nk]`` for a NumPy key of full slices and integer arrays (a copy); ``kept``: the
    key's tensors, checked against in-place changes."""
    arr = t._data[nk]
    a = t._data
    if arr.ndim < 2 or not arr.size or (a.flags.c_contiguous and 1 not in a.shape and (all(
            type(k) is slice or k.ndim == 1 and k.strides[0] == k.itemsize for k in nk)
            or _plain_arrays(nk))):
        arr = _c_layout(arr)  # (then PyTorch's order of the dims is theirs)
    else:
        arr = _index_layout(t, nk, arr)
    shape = t.shape

    def rule(ctx, g):
        if kept:
            _ = ctx.saved
        gb = xp_of(g).zeros(shape, dtype=g._data.dtype)
        _add_at(gb, nk, g._data)
        return (linear_grad(gb, g, "IndexPutImplBackward0", lambda gg: _index(gg, nk),
                            into_zeros=True),)
    return make(arr, (t,), "IndexBackward0", rule, *kept)


# -- t[key] = value -------------------------------------------------------------------

def _check_value(t, value):
    # (PyTorch takes NumPy integers, and float64/complex128 as the Python numbers they
    # subclass, but refuses NumPy's other floats and bools)
    if isinstance(value, (Tensor, bool, int, float, complex, np.integer)):
        return
    tp = type(value)
    name = tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__name__}"
    if tp is np.ndarray:
        name = "numpy.ndarray"
    raise TypeError(f"can't assign a {name} to a torch.{D.dtype_name_for_type(t.dtype)}")


def _whole_key(t, key):
    """Whether ``t[key]`` is ``t`` itself to PyTorch: a key of Ellipsis and slices alone, each
    slice as written starting at 0, ending at or past the end of its dim, by step 1."""
    items = key if type(key) is tuple else (key,)
    slices = [k for k in items if k is not Ellipsis]
    if len(items) - len(slices) > 1 or len(slices) > t.ndim or \
            not all(type(k) is slice for k in slices):
        return False
    if len(slices) < len(items):  # after the Ellipsis, the slices apply to the last dims
        at = items.index(Ellipsis)
        dims = list(range(at)) + list(range(t.ndim - len(items) + at + 1, t.ndim))
    else:
        dims = range(len(slices))
    for k, d in zip(slices, dims):
        try:
            start = 0 if k.start is None else operator.index(k.start)
            stop = t.shape[d] if k.stop is None else operator.index(k.stop)
            step = 1 if k.step is None else operator.index(k.step)
        except TypeError:
            return False
        if start != 0 or step != 1 or stop < t.shape[d]:
            return False
    return True


def _strip_leading_ones(v):
    """PyTorch drops a value's leading size-1 dims before broadcasting it into place."""
    if isinstance(v, Tensor) and v.ndim and v.shape[0] == 1:
        n = 0
        while n < v.ndim and v.shape[n] == 1:
            n += 1
        return v.reshape(tuple(v.shape[n:]))
    return v


def _lone_mask(items):
    """The one mask (of 1 dim or more) of a key whose other items are all basic, or None."""
    found = None
    for k in items:
        if isinstance(k, _Ints) or (isinstance(k, _Mask) and (k.arr.ndim == 0 or found)):
            return None
        if isinstance(k, _Mask):
            found = k
    return found


_UINT8_AT = "aten/src/ATen/native/IndexingUtils.h:37"


def _warn_byte(items):
    if any(isinstance(k, _Mask) and k.byte and k.arr.ndim for k in items):
        _warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
              "torch.bool instead.", cpp=_UINT8_AT)


def _masked_fill_value(mask, value, dtype):
    """The one-element ``value`` written under one ``mask``, cast to ``dtype``.

    NOTE: as PyTorch's, such a write is a masked fill: the value is cast (where other index
    writes want the same dtype), and a uint8 mask is refused there.
    """
    if mask.byte:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           "unsigned char")
    if dtype in D.FLOAT8:  # (PyTorch has no masked_fill kernel for them)
        raise NotImplementedError(f"\"masked_fill\" not implemented for '{D.scalar_name(dtype)}'")
    if value.dtype is dtype:
        return value
    if value.dtype.is_complex and not dtype.is_complex:  # (PyTorch's, without a warning)
        if dtype is D.bool:
            return value.ne(0)
        if bool(value.detach().imag.ne(0).any()):
            from .creation import _CTYPE

            raise RuntimeError(f"value cannot be converted to type {_CTYPE[dtype.name]} "
                               "without overflow")
        value = value.real
    return value.to(dtype)


def setitem(t, key, value):
    _check_value(t, value)
    number = None
    if not isinstance(value, Tensor):
        # PyTorch first makes a number a tensor of ``t``'s dtype (its overflow errors come
        # before any index error).
        from .creation import _fill_scalar

        if isinstance(value, np.generic):
            value = value.item()
        if type(value) is int and not -1 << 63 <= value < 1 << 63:
            raise ValueError("Overflow when unpacking long long")  # (the parser's int64)
        if type(value) is float and (t.dtype is D.float64 or t.dtype is D.float32 and
                                     -3.4028234e38 <= value <= 3.4028234e38):
            number = value  # (the common case, with nothing to check)
        else:
            number = _fill_scalar(value, t.dtype)
    if key is False or key is True:
        # NOTE: PyTorch reads a bare ``False`` key as "write nothing" (nothing else is checked)
        # and a bare ``True`` as ``None`` (a plain copy, casting the value); inside a tuple
        # either is an index of length 1 or 0.
        if key is False:
            return
        key = None
    if t.ndim == 0 and key is not None and key is not Ellipsis:
        _zero_dim_key(key)
    whole = _whole_key(t, key)
    if whole:  # (PyTorch writes into ``t`` itself: no view, no CopySlices)
        region, rest, pending = t, None, []
    else:
        items = _parse(t, key)
        pending = []
        region, rest = _apply_basic(t, items, pending)
    vmap = sys.modules.get("ember.func._vmap") if number is None else None
    if vmap is not None and vmap._LEVELS:  # (``unmapped[i] = mapped``: PyTorch's refusal)
        vmap.check_inplace_batched(t, value, "copy" if rest is None else "index_put")
    if number is not None:
        if rest is None and not needs_grad((region,)):  # the common ``x[i] = 0.5``
            from ._core import _OVERLAP, has_internal_overlap, write

            check_inplace(region)
            if has_internal_overlap(region._data):  # (PyTorch's copy_ refuses it, as for an
                raise RuntimeError(_OVERLAP)  # ``as_strided`` view with a zero stride)
            if t.dtype is D.float16 or t.dtype is D.bfloat16:
                from ._core import quiet

                with quiet:  # (a number too big becomes inf, as in PyTorch)
                    write(region, number)
            else:
                write(region, number)
            return
        value = wrap(xp_of(t).asarray(number, dtype=t.dtype.np), t._device)
    if rest is None and value.shape != region.shape and (whole or needs_grad((value,))):
        # PyTorch's copy into the region: a 0-d value on the CPU fills it; another is viewed
        # without its leading 1s and expanded to the region's shape (the nodes autograd shows)
        if value.ndim == 0 and value._device.type == "cpu":
            from .methods import _fill_

            _fill_(region, value)
            return
        kept = value.ndim - _strip_leading_ones(value).ndim
        stripped = value.view(tuple(value.shape[kept:]))
        if region.shape != (1,) * (region.ndim - stripped.ndim) + tuple(stripped.shape) or \
                not np.may_share_memory(value._data, region._data):
            # (``x[:1] = x[0]``, the same memory in the region's layout, takes the path below)
            copy_(region, stripped if stripped.shape == region.shape else
                  stripped.expand(region.shape), _setitem=True)
            return
    if not (rest is None and isinstance(value, Tensor) and value.shape == region.shape):
        # (a value of the region's own shape is copied as it is, as PyTorch: ``x[:1] *= 2``
        # writes its (1, n) view back onto itself, the same memory in the same layout)
        value = _strip_leading_ones(value)
        lead = region.ndim - value.ndim if isinstance(value, Tensor) else 0
        if rest is None and lead > 0 and region.shape == (1,) * lead + tuple(value.shape):
            # (only leading 1s to add: PyTorch's expand lays them out as the region's own,
            # so ``x[:1] = x[0]`` is the same memory in the same layout, not an overlap)
            value = value.reshape(region.shape)
    if rest is None:
        if value.shape != region.shape and needs_grad((region,)):
            value.expand(region.shape)  # (PyTorch expands the value before copy_'s leaf check)
        copy_(region, value, _setitem=True)
        return
    mask = _lone_mask(items) if value.numel() == 1 else None
    if mask is not None:
        _refuse_wide_put(region, True)
        value = _masked_fill_value(mask, value, region.dtype)
    _warn_byte(items)
    # (a number's fresh tensor, or a masked fill's one value, cannot overlap the target)
    _index_put(region, rest, value, False, pending, mask is not None or number is not None,
               _key_tensors(key), masked=mask is not None)


def _refuse_wide_put(t, masked):
    """PyTorch's error for an index write into uint16, uint32 or uint64, which it lacks (as a
    masked fill, or else once the value's shape and dtype are found right)."""
    if t.dtype in D._WIDE_UNSIGNED:
        from .._float8 import refuse

        refuse(t, "masked_fill" if masked else "index_put")


def check_index_tensors(indices, arg):
    """PyTorch's parser's refusal of an index that is not a tensor (``arg``: the indices'
    argument number, 0 for a method's)."""
    for i, k in enumerate((indices,) if isinstance(indices, Tensor) else indices):
        if not isinstance(k, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument {arg}, but got "
                            f"{type(k).__name__}")


def index_put_(t, indices, values, accumulate=False):
    """``t[indices] = values`` for a tuple of index tensors (``+=`` with ``accumulate``)."""
    if isinstance(indices, Tensor):
        indices = (indices,)
    check_index_tensors(indices, 0)
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put_(): argument 'values' must be Tensor, not "
                        f"{type(values).__name__}")
    check_inplace(t)  # (autograd's check: before the kernel's of the indices)
    if len(indices) > t.ndim:  # (the kernel's first check: before the indices' dtypes)
        raise IndexError(f"too many indices for tensor of dimension {t.ndim} (got "
                         f"{len(indices)})")
    items = []
    for k in indices:
        item = _index_array(k, t)
        items.append(_Ints(xp_of(t).asarray(item, dtype=np.int64)) if isinstance(item, int)
                     else item)
    _check_put_masks(t, items)
    if len(items) == 1 and isinstance(items[0], _Mask) and not items[0].arr.ndim and \
            not accumulate and values.numel() == 1:  # (a masked fill, the 0-d mask broadcast)
        items = [_Mask(xp_of(t).full(t.shape, bool(items[0].arr)), items[0].byte)]
    elif any(isinstance(k, _Mask) and not k.arr.ndim for k in items):
        # PyTorch's kernel drops a 0-d mask, True or False: it finds no positions to index by
        items = [k for k in items if not isinstance(k, _Mask) or k.arr.ndim]
        if not items:
            vshape = tuple(values.shape)
            try:
                fits = np.broadcast_shapes(vshape, t.shape) == t.shape
            except ValueError:
                fits = False
            if not fits:
                raise RuntimeError(f"shape mismatch: value tensor of shape {_fmt(vshape)} cannot "
                                   f"be broadcast to indexing result of shape {_fmt(t.shape)}")
            raise RuntimeError('ntensor >= 3 INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/'
                               'aten/src/ATen/native/cpu/IndexKernelUtils.h":8, please report '
                               'a bug to PyTorch. ')
    if _consumed(items) > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim} (got "
                         f"{_consumed(items)})")
    mask = _lone_mask(items) if not accumulate and values.numel() == 1 else None
    if mask is not None:
        _refuse_wide_put(t, True)
        values = _masked_fill_value(mask, values, t.dtype)
    pending = []
    _, rest = _apply_basic(wrap(t._data, t._device), items, pending)
    _warn_byte(items)
    if rest is None:  # no index tensors at all
        rest = (Ellipsis,)
    return _index_put(t, rest, values, accumulate, pending, mask is not None,
                      tuple([k for k in indices if k.ndim]), masked=mask is not None)


def _check_put_masks(t, items):
    """PyTorch's check of index_put_'s masks, each size against the target's at its place,
    in order (a mask that runs past the target's dims meets a dim out of range)."""
    def out_of_range(d):
        n = max(t.ndim, 1)
        return IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                          f"but got {d})")

    at, past = 0, None
    for k in items:
        if not isinstance(k, _Mask):
            if at >= t.ndim and past is None:  # (met once all the masks are checked)
                past = at
            at += 1
            continue
        for i, size in enumerate(k.arr.shape):
            if at + i >= t.ndim:
                raise out_of_range(at + i)
            if size != t.shape[at + i]:
                raise IndexError(f"The shape of the mask {_fmt(k.arr.shape)} at index {i} does "
                                 f"not match the shape of the indexed tensor {_fmt(t.shape)} "
                                 f"at index {at + i}")
        at += k.arr.ndim
    if past is not None:
        raise out_of_range(past)


def _target_shape(arr, nk):
    """The shape of ``arr[nk]`` (full slices and index arrays that broadcast), by NumPy's
    rules and without gathering it: the index arrays' shape goes where the first one is when
    they are all adjacent, else in front."""
    if any(k is Ellipsis for k in nk):
        return arr[nk].shape
    shape = arr.shape
    adv = [i for i, k in enumerate(nk) if not isinstance(k, slice)]
    shapes = [nk[i].shape for i in adv]
    b = tuple(shapes[0])
    if any(sh != b for sh in shapes):
        b = tuple(np.broadcast_shapes(*shapes))
    kept = tuple(shape[i] for i, k in enumerate(nk) if isinstance(k, slice)) + \
        tuple(shape[len(nk):])
    if adv[-1] - adv[0] == len(adv) - 1:  # adjacent: in place of the first
        return kept[:adv[0]] + b + kept[adv[0]:]
    return b + kept


_SHARED = ("unsupported operation: some elements of the input tensor and the written-to tensor "
           "refer to a single memory location. Please clone() the tensor before performing the "
           "operation.")


def _check_no_overlap(t, value):
    """PyTorch's refusal of an index write whose value shares memory with the target (all
    of it or part; like PyTorch, it judges only tensors whose elements fill their span)."""
    from ._core import _bounds, _dense

    a, b = t._data, value._data
    if b is a:
        raise RuntimeError(_SHARED)
    if (a.base is None and b.base is None) or not (_dense(a) and _dense(b)):
        return
    (lo_a, hi_a), (lo_b, hi_b) = _bounds(a), _bounds(b)
    if lo_a < hi_b and lo_b < hi_a:
        raise RuntimeError(_SHARED)


def aliased_1d(t, source) -> bool:
    """Whether an index write into 1-d ``t`` reads a 1-d ``source`` sharing its memory in a
    layout ``_check_no_overlap`` lets pass (a strided view), with no autograd to record."""
    a, b = t._data, source._data if isinstance(source, Tensor) else None
    return type(a) is np.ndarray and type(b) is np.ndarray and a.ndim <= 1 and b.ndim <= 1 \
        and a.flags.writeable and np.may_share_memory(a, b) and not needs_grad((t, source))


def write_sequentially(t, source, at, add=False, alpha=1):
    """NOTE: PyTorch's kernel for an index write whose source shares the target's memory
    reads each source element just before its write, so earlier writes show through
    (``x[1:4].scatter_(0, i, x[::2][:2])``): done so here, element by element, at the flat
    positions ``at`` of 1-d ``t`` (``add``: adding ``alpha`` times them)."""
    dst, src = t._data.reshape(-1), source._data.reshape(-1)
    for i, j in enumerate(np.asarray(at).reshape(-1).tolist()):
        v = src[i]
        dst[j] = dst[j] + alpha * v if add else v
    t._vc.v += 1
    return t


def check_source_overlap(t, source, validate) -> None:
    """``_check_no_overlap`` for the in-place index ops (``index_add_``, ``scatter_``, ...),
    whose PyTorch kernels check their arguments' shapes and dtypes first: ``validate()``
    (the op, out of place) raises those refusals before the overlap's (but not its kernel's
    later ones: an index out of bounds, an unknown reduction)."""
    try:
        _check_no_overlap(t, source)
    except RuntimeError as overlap:
        try:
            validate()
        except Exception as e:  # noqa: BLE001
            msg = str(e)
            if "out of range" in msg or "out of bounds" in msg or msg.startswith("reduce argument"):
                raise overlap from None
            raise
        raise


def _index_put(t, nk, value, accumulate, pending=(), no_overlap=False, kept=(), masked=False):
    """Write ``value`` at ``t[nk]`` (NumPy key), recording ``IndexPutBackward0``; ``pending``
    holds an index error to raise once the value's shape and dtype are found right
    (``no_overlap``: the value is known not to share the target's memory, or is written as
    a masked fill, which does not check; ``kept``: the index tensors, which PyTorch's node
    keeps, refused once changed in place; ``masked``: PyTorch makes it a ``masked_fill_``)."""
    check_inplace(t)
    if not no_overlap and isinstance(value, Tensor) and value._device == t._device:
        _check_no_overlap(t, value)
    if pending and str(pending[0]) == _SIZE0:  # (PyTorch's, as it lays out the indexing,
        raise pending[0]  # before the value's checks)
    target_shape = _target_shape(t._data, nk)
    vshape = tuple(value.shape) if isinstance(value, Tensor) else ()
    try:
        if vshape and np.broadcast_shapes(vshape, target_shape) != target_shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {_fmt(vshape)} cannot be "
                           f"broadcast to indexing result of shape {_fmt(target_shape)}") from None
    if isinstance(value, Tensor) and value.dtype is not t.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_legacy(t.dtype)} for the destination and {_legacy(value.dtype)} "
                           "for the source.")
    if pending:
        raise pending[0]
    if not masked:
        _refuse_wide_put(t, False)
    val = value if isinstance(value, Tensor) else None
    if val is not None and val._device != t._device:
        val = val.to(t._device)
    from ._core import has_internal_overlap

    expanded = has_internal_overlap(t._data)
    if expanded:
        res = _index_put_expanded(t, nk, val, accumulate, target_shape, masked)
        if res is not None:
            return res
    if val is None:
        val = wrap(xp_of(t).asarray(value).astype(t._data.dtype), t._device)
    if not needs_grad((t, val)) and getattr(t._data.flags, "writeable", True):
        # no history to record: write straight into ``t``'s memory
        data = val._data.astype(t._data.dtype, copy=False)
        if accumulate:
            _add_at(t._data, nk, xp_of(t).broadcast_to(data, target_shape))
        else:
            t._data[nk] = data
        t._vc.v += 1
        return t
    src = snapshot(t, val)
    arr = src._data.copy()
    data = val._data.astype(arr.dtype, copy=False)
    shared = _aliasing_copy(t._data) if expanded else None
    if shared is not None:  # (the writes land in shared memory: the last one wins, or all add)
        arr = shared
    if accumulate:
        _add_at(arr, nk, xp_of(t).broadcast_to(data, target_shape))
    else:
        arr[nk] = data
    if shared is not None:
        arr = arr.copy()

    def rule(ctx, g):
        if kept:
            _ = ctx.saved
        gself = gv = None
        if ctx.needs_input_grad[0]:
            gself = g if accumulate else _zeroed_at(g, nk)
        if ctx.needs_input_grad[1]:
            from ._core import sum_to

            gv = sum_to(_read_at(g, nk), vshape)
        return gself, gv
    new = make(arr, (src, val), "IndexPutBackward0", rule, *kept)
    return commit(t, new, expanded=expanded)


def _warn_masked_expanded(name):
    """PyTorch's warning for a masked (or index) fill into an expanded tensor."""
    _warn(f"Use of {name} on expanded tensors is deprecated. Please clone() the tensor before "
          "performing this operation. This also applies to advanced indexing e.g. "
          "tensor[mask] = scalar",
          cpp=f"aten/src/ATen/native/TensorAdvancedIndexing.cpp:{_FILL_AT[name]}")


_FILL_AT = {"masked_fill_": 2450, "index_fill_": 1913}  # (the lines of PyTorch's warnings)


def _aliasing_copy(a):
    """A copy of NumPy array ``a`` on fresh memory laid out as ``a``'s (its elements that
    share memory still do); None where its strides are not plain."""
    if type(a) is not np.ndarray or any(st < 0 or st % a.itemsize for st in a.strides):
        return None
    span = sum((n - 1) * st for n, st in zip(a.shape, a.strides)) // a.itemsize + 1
    out = np.lib.stride_tricks.as_strided(np.empty(span, dtype=a.dtype), a.shape, a.strides)
    out[...] = a
    return out


def _index_put_expanded(t, nk, val, accumulate, target_shape, masked=False):
    """An index write into an expanded tensor: PyTorch warns and writes element by element
    into the shared memory (the last write to a location wins)."""
    from ._core import _OVERLAP, needs_grad, writable_alias

    _warn("Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor "
          "before performing this operation. This also applies to advanced indexing e.g. "
          "tensor[indices] = tensor", cpp="aten/src/ATen/native/TensorAdvancedIndexing.cpp:976")
    if masked:  # (PyTorch's index_put_ hands a one-value mask write to masked_fill_)
        _warn_masked_expanded("masked_fill_")
    if needs_grad((t, val)):
        return None  # (recorded as any other: ``commit`` writes it, backward refuses it)
    w = writable_alias(t._data)
    if w is None:
        raise RuntimeError(_OVERLAP)
    data = np.broadcast_to(val._data.astype(w.dtype, copy=False), target_shape)
    if accumulate:
        _add_at(w, nk, data)
    else:
        w[nk] = data
    t._vc.v += 1
    return t


def copy_(t, src, *args, non_blocking=False, _setitem=False):
    """Write ``src`` (broadcast, any dtype or device) into ``t``."""
    where = ""  # (a keyword argument's refusal names no position)
    if args:
        if len(args) > 1:
            raise TypeError(f"copy_() takes from 2 to 3 positional arguments but "
                            f"{len(args) + 2} were given")
        non_blocking, where = args[0], " (position 2)"
    if type(non_blocking) is not bool:  # (PyTorch's parser's refusal)
        from ._core import tp_name

        raise TypeError(f"copy_(): argument 'non_blocking'{where} must be bool, not "
                        f"{tp_name(non_blocking)}")
    from .pointwise import _vmap_levels

    if _vmap_levels() and not _setitem:
        _vmap_levels().check_inplace_batched(t, src, "copy")
    check_inplace(t)
    if not _setitem and src is not t:  # (TensorIterator's first check)
        from ._core import check_written_overlap

        check_written_overlap(t)
    if not isinstance(src, Tensor):
        import numbers

        if not _setitem and not isinstance(src, numbers.Number):
            raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(src).__name__}")
        from .creation import full

        # (a complex number into a real tensor: PyTorch's copy of a complex tensor, dropping
        # the imaginary part with its warning)
        src = full((), src, dtype=D.complex128 if isinstance(src, complex) and not _setitem
                   and t.dtype._kind != 3 else t.dtype, device=t.device)
    if src._device != t._device:
        src = src.to(t._device)
    else:
        from ._core import check_no_partial_overlap
        check_no_partial_overlap(t, src)
    if tuple(src.shape) != tuple(t.shape):
        if not _setitem:  # NOTE: copy_ itself words its errors as a broadcasting op does
            from .shape import broadcast_shapes

            both = tuple(broadcast_shapes(t.shape, src.shape))
            if both != tuple(t.shape):
                raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the "
                                   f"broadcast shape {list(both)}")
        try:
            if np.broadcast_shapes(src.shape, t.shape) != tuple(t.shape):
                raise ValueError
        except ValueError:
            _expand_error(src, t.shape)
    from ._core import needs_grad

    if _setitem and src is not t:  # (the copy's own overlap check: after the value's expand)
        from ._core import check_written_overlap

        check_written_overlap(t)
    if not needs_grad((t, src)):
        from ._core import write

        if src is t:  # (PyTorch's kernel skips a copy into itself, even an expanded one)
            t._vc.v += 1
            return t
        write(t, _cast_into(src._data, t.dtype, src.dtype))
        return t

    def rule(ctx, g):
        return (g.new_zeros(g.shape) if ctx.needs_input_grad[0] else None,
                g if ctx.needs_input_grad[1] else None)
    xp = xp_of(t)
    from . import _overlap

    if src.dtype is t.dtype and src.ndim and type(t._data) is np.ndarray and \
            _overlap.ordered_args(t, (src,)):  # (``src`` another layout of ``t``'s memory:
        arr = _overlap.ordered_values(t, _second, (src,), {})  # PyTorch's loop order)
    else:
        arr = xp.broadcast_to(_cast_into(src._data, t.dtype, src.dtype), t.shape).copy()
    new = make(arr, (snapshot(t, src), src), "CopyBackwards", rule)
    return commit(t, new, expanded=src is t)


def _second(a, b):
    return b


def _cast_into(a, dst, src):
    if a.dtype == dst.np:
        return a
    from .convert import _cast

    return _cast(a, src, dst)


def _expand_error(src, dst_shape):
    """PyTorch's message for a copy whose source does not broadcast to the destination."""
    from .shape import _type_string

    src_shape = src.shape
    if len(src_shape) > len(dst_shape):
        raise RuntimeError(f"expand({_type_string(src)}{{{_fmt(src_shape)}}}, "
                           f"size={_fmt(dst_shape)}): the number of sizes provided "
                           f"({len(dst_shape)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(src_shape)})")
    lead = len(dst_shape) - len(src_shape)
    for i, s in enumerate(src_shape):
        if s != 1 and s != dst_shape[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({dst_shape[lead + i]}) must "
                               f"match the existing size ({s}) at non-singleton dimension "
                               f"{lead + i}.  Target sizes: {_fmt(dst_shape)}.  Tensor sizes: "
                               f"{_fmt(src_shape)}")
    raise RuntimeError("copy_: the source does not broadcast to the destination")


# -- gather / scatter ----------------------------------------------------------------------

def _need_index_tensor(index, name, position=2):
    """PyTorch's TypeError for an index given as a list, a number or an array."""
    if not isinstance(index, Tensor):
        cls = type(index)
        kind = cls.__qualname__ if cls.__module__ == "builtins" else \
            f"{cls.__module__}.{cls.__qualname__}"
        raise TypeError(f"{name}(): argument 'index' (position {position}) must be Tensor, not "
                        f"{kind}")


def _check_index_dtype(index, name):
    """PyTorch's dtype check of a gather's or a scatter's index (after its ``dim``'s; an empty
    index is not checked)."""
    _need_index_tensor(index, name)
    if index.dtype not in (D.int64, D.int32) and index.numel():
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _check_bounds(idx, n, d, others=None):
    """PyTorch's bounds check of a gather/scatter index ``idx`` along ``d`` (or, without
    ``others``, of a 1-d index): it names the first index out of range that its kernel
    meets; ``others``: the arrays it walks along with ``idx`` (their strides decide it)."""
    if idx.size:
        hi, lo = int(idx.max()), int(idx.min())
        if hi >= n or lo < 0:
            flat = _walk_order(idx, d, others) if others is not None else idx.reshape(-1)
            bad = int(flat[int(((flat >= n) | (flat < 0)).argmax())])
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")


def _walk_order(idx, d, others):
    """The elements of ``idx`` in the order PyTorch's scatter/gather kernel reads them: its
    TensorIterator walks the index's dims but ``d``, in order, with the loop along ``d``
    inside all but the innermost run of dims that every operand keeps contiguous."""
    nd = idx.ndim
    if nd < 2 or d == nd - 1:
        return idx.reshape(-1)
    shape = list(idx.shape)
    shape[d] = 1
    ops = [[s // a.itemsize for s in a.strides] if a is not None else _contig_strides(shape)
           for a in (idx,) + tuple(others) if a is None or a.ndim == nd]
    inner = [nd - 1]  # (TensorIterator's coalescing, from the innermost dim out)
    size, st = shape[-1], [o[-1] for o in ops]
    for k in range(nd - 2, -1, -1):
        if shape[k] == 1 or size == 1 or all(o[k] == s * size for o, s in zip(ops, st)):
            if size == 1:  # (the merged dims take the strides of the outer one)
                st = [o[k] for o in ops]
            size *= shape[k]
            inner.insert(0, k)
        else:
            break
    block = [k for k in inner if k != d]
    outer = [k for k in range(nd) if k != d and k not in block]
    return idx.transpose(outer + [d] + block).reshape(-1)


def _coords(idx, d):
    """Full coordinates of every element of ``idx``, with ``idx`` itself along ``d``."""
    if type(idx) is np.ndarray:
        grids = list(np.indices(idx.shape, sparse=True))
    else:  # the same open grid, on the index's device (CuPy's indices has no ``sparse``)
        n = idx.ndim
        grids = [_xp(idx).arange(s).reshape((1,) * k + (-1,) + (1,) * (n - k - 1))
                 for k, s in enumerate(idx.shape)]
    grids[d] = idx
    return tuple(grids)


def _crop(a, shape):
    return a[tuple(slice(0, s) for s in shape)]


def gather(t, dim, index, *, sparse_grad=False):
    """``out[i][j] = t[index[i][j]][j]`` along ``dim`` (for ``dim == 0``)."""
    _need_index_tensor(index, "gather")
    same_device(t, index)
    d = norm_dim(dim, t.ndim)
    _check_index_dtype(index, "gather")
    empty = not index.numel()  # (PyTorch checks no shape of an empty index)
    if max(index.ndim, 1) != max(t.ndim, 1) and not empty:
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    x = t._data.reshape(-1) if t.ndim == 0 else t._data
    idx = index._data.reshape(-1) if index.ndim == 0 else index._data
    for k in range(x.ndim if not empty else 0):
        if k != d and idx.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{_fmt(index.shape)} to be no larger than self {_fmt(t.shape)} "
                               f"apart from dimension {d}")
    _check_bounds(idx, x.shape[d], d, (None, x))
    arr = x[_coords(idx.astype(np.int64, copy=False), d)] if idx.size else \
        xp_of(t).zeros(idx.shape, dtype=x.dtype)
    arr = arr.reshape(index.shape)
    shape = t.shape

    def rule(ctx, g):
        _, idx, _ = ctx.saved  # (kept as PyTorch keeps them: refused once changed in place)
        z = wrap(xp_of(g).zeros(shape, dtype=g._data.dtype), g._device)
        return (scatter_add(z, d, idx, g),)
    from ..autograd.graph import show_negative_dim

    return show_negative_dim(make(arr, (t,), "GatherBackward0", rule, t, index, d), dim)


def take_along_dim(t, indices, dim=None):
    """``t``'s elements picked along ``dim`` by ``indices`` (the two broadcast together apart
    from ``dim``); with no ``dim``, picked from ``t`` read flat."""
    need_tensor(t, "take_along_dim")
    need_tensor(indices, "take_along_dim", "indices", 2)
    if dim is None:
        return gather(t.view(-1), 0, indices.view(-1))  # (PyTorch's views: no copies)
    if t.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {t.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    if indices.dtype is not D.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_legacy(indices.dtype)}")
    d = norm_dim(dim, t.ndim)
    if not t.ndim:  # (PyTorch then reads the size of that dim)
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    n = t.shape[d]
    if n and indices.numel():
        # NOTE: PyTorch 2.13's CPU take_along_dim wraps every index into range (modulo the
        # dim's size: -1 is the last, n + 1 the second) instead of refusing one out of range.
        a = indices._data
        if int(a.min()) < 0 or int(a.max()) >= n:
            indices = wrap(a % n, indices._device)
    shape = list(broadcast_shapes(tuple(1 if i == d else s for i, s in enumerate(t.shape)),
                                  tuple(1 if i == d else s for i, s in enumerate(indices.shape))))
    ishape, jshape = list(shape), list(shape)
    ishape[d], jshape[d] = t.shape[d], indices.shape[d]
    return gather(t.expand(ishape), d, indices.expand(jshape))


def _check_scatter(t, d, index, src, name, then=None):
    """PyTorch's shape checks of a scatter (none for an empty index), in its order: ``self``'s
    number of dims, the sizes (reading ``src``'s along each of ``self``'s dims: an IndexError
    for a ``src`` of fewer dims), ``src``'s number of dims; then ``then()`` (the reduction's
    name), then the bounds."""
    tshape = tuple(t.shape) or (1,)
    if index.numel():
        if max(index.ndim, 1) != max(t.ndim, 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as self "
                               "tensor")
        ishape = tuple(index.shape) or (1,)
        wrong = any(k != d and ishape[k] > tshape[k] for k in range(len(tshape)))
        if isinstance(src, Tensor):
            for k in range(len(tshape) if not wrong else 0):
                if ishape[k] > (src.shape[norm_dim(k, src.ndim)] if src.ndim else 1):
                    wrong = True
                    break
            if max(src.ndim, 1) != max(index.ndim, 1):
                raise RuntimeError("Index tensor must have the same number of dimensions as src "
                                   "tensor")
        if wrong:
            raise RuntimeError(f"Expected index {_fmt(index.shape)} to be no larger than self "
                               f"{_fmt(t.shape)} apart from dimension {d}" +
                               (f" and to be no larger size than src {_fmt(src.shape)}"
                                if isinstance(src, Tensor) else ""))
    if then is not None:
        then()
    _check_bounds(index._data, tshape[d], d, (t._data, src._data if isinstance(src, Tensor)
                                              else None))


def _scatter_arrays(t, d, index, src_arr, reduce):
    out = t._data.copy()
    flat = out.ndim == 0
    if flat:
        out = out.reshape(1)
    idx = index._data.reshape(-1) if index.ndim == 0 else index._data
    if not idx.size:
        return out.reshape(t.shape)
    coords = _coords(idx.astype(np.int64, copy=False), d)
    if np.ndim(src_arr):
        src_arr = _crop(src_arr.reshape(-1) if src_arr.ndim == 0 else src_arr, idx.shape)
    else:
        src_arr = _xp(out).broadcast_to(_xp(out).asarray(src_arr, dtype=out.dtype), idx.shape)
    low = out.dtype if reduce is not None and t.dtype in (D.float16, D.bfloat16) else None
    if low is not None:
        # NOTE: PyTorch's CPU scatter kernel adds (and multiplies) half-precision values in
        # float32, rounding once at the end
        out, src_arr = out.astype(np.float32), src_arr.astype(np.float32)
    if reduce == "add":
        _add_at(out, coords, src_arr)
    elif reduce == "multiply":
        if type(out) is np.ndarray:
            np.multiply.at(out, coords, src_arr)
        else:  # CuPy has no multiply.at: this rare op goes through the host
            host = to_host(out)
            np.multiply.at(host, tuple(to_host(c) for c in coords), to_host(src_arr))
            out = _xp(out).asarray(host)
    else:
        out[coords] = src_arr
    if low is not None:
        out = out.astype(low)
    return out.reshape(t.shape)


def scatter(t, dim, index, src=None, value=None, *, reduce=None, _name="scatter"):
    """Write ``src`` (or a number) into ``t`` at ``index`` along ``dim`` (out of place;
    ``_name``: the op, as the refusal of a reduction's derivative names it)."""
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required positional argument: 'src' or 'value'")
    _need_index_tensor(index, "scatter")
    same_device(t, index, src if isinstance(src, Tensor) else None)
    s = src if src is not None else value
    if isinstance(s, Tensor) and reduce is not None:  # (warned before any check)
        _warn_once("scatter-reduce", "The reduce argument of torch.scatter with Tensor src is "
                   "deprecated and will be removed in a future PyTorch release. Use "
                   "torch.scatter_reduce instead for more reduction options.",
                   cpp="aten/src/ATen/native/TensorAdvancedIndexing.cpp:225")
    d = norm_dim(dim, t.ndim)
    _check_index_dtype(index, "scatter")

    def check_reduce():
        if reduce not in (None, "add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
    if isinstance(s, Tensor):
        if s.dtype is not t.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        _check_scatter(t, d, index, s, "scatter", check_reduce)
        arr = _scatter_arrays(t, d, index, s._data, reduce)

        def rule(ctx, g):
            gself = gsrc = None
            if ctx.needs_input_grad[0]:
                gself = g.scatter(d, ctx.saved[0], 0.0)
            if ctx.needs_input_grad[1]:
                # (at the index's shape: where ``src`` is larger, autograd refuses it as
                # PyTorch's does)
                gsrc = g.gather(d, ctx.saved[0])
            return gself, gsrc
        return make(arr, (t, s), "ScatterBackward0", rule if reduce is None else
                    _no_derivative(_name),
                    index)
    _check_scatter(t, d, index, None, "scatter", check_reduce)
    v = _scalar_for(s, t.dtype)
    from .pointwise import _check_scalar_fits

    _check_scalar_fits((v,), t.dtype)  # (the kernel's conversion of the number)
    arr = _scatter_arrays(t, d, index, np.asarray(v).astype(t.dtype.np)[()], reduce)
    return make(arr, (t,), "ScatterBackward1",
                _no_derivative(_name) if reduce is not None else
                lambda ctx, g: (g.scatter(d, index, 0.0),))


def _no_derivative(name):
    # NOTE: as in PyTorch, scatter with ``reduce=`` records a node whose backward refuses.
    def rule(ctx, *grads):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
    return rule


def scatter_add(t, dim, index, src):
    """Add ``src`` into ``t`` at ``index`` along ``dim``; repeated positions add up."""
    _need_index_tensor(index, "scatter_add")
    same_device(t, index, src)
    d = norm_dim(dim, t.ndim)
    _check_index_dtype(index, "scatter")  # (PyTorch's message names scatter)
    if src.dtype is not t.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_scatter(t, d, index, src, "scatter_add")
    arr = _scatter_arrays(t, d, index, src._data, "add")

    def rule(ctx, g):
        index, = ctx.saved  # (as PyTorch's: refused once changed in place)
        return (g if ctx.needs_input_grad[0] else None,
                g.gather(d, index) if ctx.needs_input_grad[1] else None)
    return make(arr, (t, src), "ScatterAddBackward0", rule, index)


# -- index_select / index_add / take -----------------------------------------------------------

def index_select(t, dim, index):
    _need_index_tensor(index, "index_select")
    same_device(t, index)
    d = norm_dim(dim, t.ndim)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if t.ndim == 0 and index.numel() != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{index.numel()} value(s)")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    idx = index._data.reshape(-1).astype(np.int64, copy=False)
    n = t.shape[d] if t.ndim else 1
    if idx.size and n == 0 and t.ndim > 1:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if t.ndim <= 1 and t.dtype in D._WIDE_UNSIGNED and (t.ndim or idx.size == 1):
        from .._float8 import refuse  # (a vector's kernel, which checks the bounds, lacks them)

        refuse(t, "index_select")
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < 0):
        if t.ndim > 1 and (d == 1 or not t._data.size):
            # NOTE: PyTorch's CPU kernel for dim 1 (or any dim of an empty tensor) reports the
            # first bad index its own way
            bad = int(idx[(idx < 0) | (idx >= n)][0])
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
        raise IndexError("index out of range in self")
    if t.ndim == 0:
        arr = t._data.copy()
    else:
        arr = xp_of(t).take(t._data, idx, axis=d)
    shape = t.shape

    def rule(ctx, g):
        index, = ctx.saved  # (as PyTorch's: refused once changed in place)
        z = wrap(xp_of(g).zeros(shape, dtype=g._data.dtype), g._device)
        if not shape:
            return (g,)
        return (index_add(z, d, index, g),)
    return make(arr, (t,), "IndexSelectBackward0", rule, index)


def check_index_func(t, d, index, source, name):
    """PyTorch's shape checks of ``index_add``/``index_reduce`` (``d``: the wrapped dim), in
    its order: the number of indices before the shapes."""
    if d != 0 and d >= source.ndim:
        raise RuntimeError(f"{name}_(): Indexing dim {d} is out of bounds of the source tensor "
                           f"with dim {source.ndim}")
    if index.numel() != (source.shape[d] if source.ndim else 1):
        if not source.ndim:  # (its message reads source.size(dim) of a 0-d source)
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        raise RuntimeError(f"{name}_(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({source.shape[d]}), for dim: {d}")
    cut = source.ndim and t.ndim  # (a 0-d one: the whole shapes must match)
    if [n for k, n in enumerate(t.shape) if not cut or k != d] != \
            [n for k, n in enumerate(source.shape) if not cut or k != d]:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {_fmt(t.shape)} source.shape "
                           f"= {_fmt(source.shape)}")


def _scalar_for(value, dt):
    """A number argument (a 0-d tensor's) for an op on ``dt``: a complex one with an imaginary
    part refused for a real ``dt``, as PyTorch converts it."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, (complex, np.complexfloating)) and not dt.is_complex:
        from .creation import _fill_scalar

        return _fill_scalar(complex(value), dt)
    return value


def index_add(t, dim, index, source, *, alpha=1):
    """``t`` with ``alpha * source`` slices added at ``index`` along ``dim``."""
    _need_index_tensor(index, "index_add")
    same_device(t, index, source)
    d = norm_dim(dim, t.ndim)
    if index.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{index.ndim} with type: {_legacy(index.dtype)} and size: "
                         f"{_fmt(index.shape)}")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{_legacy(index.dtype)}")
    if source.dtype is not t.dtype:
        raise RuntimeError(f"index_add_(): self ({_legacy(t.dtype)}) and source "
                           f"({_legacy(source.dtype)}) must have the same scalar type")
    check_index_func(t, d, index, source, "index_add")
    tshape, sshape = tuple(t.shape) or (1,), tuple(source.shape) or (1,)
    idx = index._data.reshape(-1).astype(np.int64, copy=False)
    empty = t.ndim > 1 and t.numel() == 0  # (PyTorch's kernel returns at once: no index read)
    if empty:
        pass
    elif t.ndim > 1 and alpha == 1 and d in (0, t.ndim - 1):
        # NOTE: PyTorch's CPU kernel words this by its path: an accumulating index_put for
        # alpha 1 along the first or last dim, a loop saying "index out of range" otherwise.
        _check_bounds(idx, tshape[d], d)
    elif idx.size and (int(idx.max()) >= tshape[d] or int(idx.min()) < 0):
        raise IndexError("index out of range in self")  # PyTorch's 1-d kernel says this
    out = t._data.copy().reshape(tshape)
    src = source._data.reshape(sshape)
    alpha = _scalar_for(alpha, t.dtype)
    if t.dtype._kind < 2 and type(alpha) is not bool:
        from .creation import _fill_scalar

        alpha = _fill_scalar(alpha, t.dtype)  # (PyTorch's kernel casts it: 0.5 adds nothing)
        alpha = alpha.item() if hasattr(alpha, "item") else alpha
    if alpha != 1:
        from ._core import quiet

        with quiet:  # (``inf * 0`` parts of a complex product: silent, as in PyTorch)
            src = (src * alpha).astype(out.dtype)
    if empty:
        pass
    elif t.ndim > 1 and alpha == 1 and d in (0, t.ndim - 1) and (
            t.dtype is D.float16 or t.dtype is D.bfloat16):
        # (that path of PyTorch's sums each slot's additions in float, rounding once)
        wide = out.astype(np.float32)
        _add_at(wide, (slice(None),) * d + (idx,), src.astype(np.float32))
        out = wide.astype(out.dtype)
    else:
        _add_at(out, (slice(None),) * d + (idx,), src)
    out = out.reshape(t.shape)

    def rule(ctx, g):
        index, _ = ctx.saved  # (as PyTorch's: refused once either is changed in place)
        gs = None
        if ctx.needs_input_grad[1]:
            gs = index_select(g, d, index)
            if alpha != 1:
                gs = gs * alpha
        return (g if ctx.needs_input_grad[0] else None, gs)
    return make(out, (t, source), "IndexAddBackward0", rule, index, source)


def _zeroed_at(g, nk):
    """``g`` with zeros at ``nk`` (its own transpose, for double backward)."""
    ga = g._data.copy()
    ga[nk] = 0
    return linear_grad(ga, g, "IndexPutBackward0", lambda gg: _zeroed_at(gg, nk))


def _read_at(g, nk):
    """``g[nk]``; its transpose adds the entries back at ``nk`` (for double backward)."""
    shape = g.shape

    def put_back(gg):
        from .creation import zeros

        return _index_put(zeros(shape, dtype=gg.dtype, device=gg.device), nk, gg, True)
    return linear_grad(g._data[nk], g, "IndexBackward0", put_back)


def take(t, index):
    """Elements of ``t`` read as a flat array, at ``index`` (negative counts from the end)."""
    _need_index_tensor(index, "take", 1)
    if not isinstance(index, Tensor) or index.dtype is not D.int64:
        got = _legacy(index.dtype) if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {got}")
    same_device(t, index)
    n = t.numel()
    idx = index._data
    if idx.size:
        if n == 0:
            raise IndexError("take(): tried to take from an empty tensor")
        hi, lo = int(idx.max()), int(idx.min())
        if hi >= n or lo < -n:  # (PyTorch names the first such index)
            flat = idx.reshape(-1)
            first = int(flat[int(((flat >= n) | (flat < -n)).argmax())])
            raise IndexError(f"out of range: tried to access index {first} on a tensor of {n} "
                             "elements.")
    flat_idx = idx % n if n else idx
    arr = t._data.reshape(-1)[flat_idx]
    shape = t.shape

    def rule(ctx, g):
        _ = ctx.saved  # (as PyTorch's, which keeps both: refused once either changed in place)
        gb = xp_of(g).zeros(n, dtype=g._data.dtype)
        _add_at(gb, flat_idx, g._data)
        return (linear_grad(gb.reshape(shape), g, "PutBackward0",
                            lambda gg: take(gg, wrap(flat_idx, gg._device)), into_zeros=True),)
    return make(arr, (t,), "TakeBackward0", rule, index, t)


# -- masks --------------------------------------------------------------------------------------

def _torch_type_name(d):
    return D.cpp_name(d)


def check_fill_mask(mask, value):
    """``masked_fill_``'s first checks, in PyTorch's order: a 0-d value tensor, a bool mask."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    if not isinstance(mask, Tensor) or mask.dtype is not D.bool:
        got = _torch_type_name(mask.dtype) if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{got}")


def masked_fill(t, mask, value):
    """``t`` with ``value`` wherever ``mask`` (broadcast) is True."""
    if isinstance(mask, Tensor):  # (PyTorch broadcasts the two before its masked_fill_'s checks)
        broadcast_shapes(tuple(mask.shape), tuple(t.shape))  # (naming the mask "a")
    check_fill_mask(mask, value)
    same_device(t, mask)
    vt = None
    if isinstance(value, Tensor):
        if value.dtype.is_complex and not t.dtype.is_complex:  # (its value: a lost
            if t.dtype is not D.bool and bool(value.imag.ne(0)):  # imaginary part refused)
                from .creation import _CTYPE

                raise RuntimeError(f"value cannot be converted to type {_CTYPE[t.dtype.name]} "
                                   "without overflow")
            value = value.ne(0) if t.dtype is D.bool else value.real
        if not t.dtype.is_complex:  # the same overflow checks as for a number
            from .pointwise import _check_scalar_fits

            _check_scalar_fits((value.item(),), t.dtype)
        vt = value
        v = value._data
    else:
        from .creation import _fill_scalar
        from .pointwise import _check_scalar_fits

        _check_scalar_fits((value,), t.dtype)  # PyTorch's overflow errors (uint8 and 1000,
        v = _fill_scalar(value, t.dtype, via_double=False)  # float16 and 1e5)
    shape = broadcast_shapes(tuple(mask.shape), tuple(t.shape))  # PyTorch names the mask "a"
    xp = xp_of(t)
    fill = xp.asarray(v)
    if t.dtype.is_floating_point or t.dtype is D.bool:
        fill = fill.astype(t.dtype.np)
    else:
        from .convert import _cast

        fill = _cast(fill, D.from_numpy_dtype(fill.dtype), t.dtype) if fill.dtype.kind in "fb" \
            else fill.astype(t.dtype.np)
    arr = xp.where(mask._data, fill, t._data)
    if arr.dtype != t.dtype.np:
        arr = arr.astype(t.dtype.np)
    arr = c_order(arr)  # (PyTorch fills a contiguous clone)

    def rule(ctx, g):
        mask, = ctx.saved  # (as PyTorch's: refused once changed in place)
        gself = gv = None
        if ctx.needs_input_grad[0]:
            gself = g.masked_fill(mask, 0.0)
        if len(ctx.needs_input_grad) > 1 and ctx.needs_input_grad[1]:
            gv = g.masked_fill(~mask, 0.0).sum()
        return (gself, gv) if vt is not None else (gself,)
    if vt is not None:
        return make(arr.reshape(shape), (t, vt), "MaskedFillBackward1", rule, mask)
    return make(arr.reshape(shape), (t,), "MaskedFillBackward0", rule, mask)


def masked_select(t, mask):
    """The elements of ``t`` where ``mask`` (broadcast together) is True, as a 1-d tensor."""
    need_tensor(t, "masked_select")
    need_tensor(mask, "masked_select", "mask", 2)
    if mask.dtype is not D.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    same_device(t, mask)
    refuse_dynamic("masked_select", mask)
    if t._device.type == "meta":  # (the result's size depends on the mask's values)
        from .reduce import _NO_META_KERNEL

        raise NotImplementedError(_NO_META_KERNEL.format("masked_select"))
    shape = broadcast_shapes(tuple(mask.shape), tuple(t.shape))  # PyTorch names the mask "a"
    xp = xp_of(t)
    a = xp.broadcast_to(t._data, shape)
    m = xp.broadcast_to(mask._data, shape)
    arr = a[m]

    def rule(ctx, g):
        _ = ctx.saved  # (as PyTorch's, which keeps both: refused once either changed in place)
        gb = xp_of(g).zeros(shape, dtype=g._data.dtype)
        gb[m] = g._data
        return (linear_grad(gb, g, "MaskedScatterBackward0",
                            lambda gg: masked_select(gg, wrap(m.copy(), gg._device))),)
    return make(arr, (t,), "MaskedSelectBackward0", rule, mask, t)


def masked_scatter(t, mask, source):
    """``t`` with the first elements of ``source`` written, in order, where ``mask`` is True."""
    if not isinstance(mask, Tensor) or mask.dtype is not D.bool:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {_torch_type_name(mask.dtype)}")
    same_device(t, mask, source)
    shape = broadcast_shapes(tuple(mask.shape), tuple(t.shape))  # PyTorch names the mask "a"
    xp = xp_of(t)
    out = xp.broadcast_to(t._data, shape).copy()
    m = xp.broadcast_to(mask._data, shape)
    n = int(m.sum())
    if n > source.numel():
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got "
                           if source.dtype is not t.dtype else
                           "Number of elements of source < number of ones in mask")
    out[m] = source._data.reshape(-1)[:n].astype(out.dtype, copy=False)
    sshape = source.shape

    def rule(ctx, g):
        mask, = ctx.saved  # (as PyTorch's: refused once changed in place)
        gself = g.masked_fill(mask, 0.0) if ctx.needs_input_grad[0] else None
        gsrc = None
        if ctx.needs_input_grad[1]:
            flat = xp_of(g).zeros(int(np.prod(sshape)), dtype=g._data.dtype)
            flat[:n] = xp_of(g).broadcast_to(g._data, shape)[m]

            def scatter_back(gg):
                from .creation import zeros

                return masked_scatter(zeros(shape, dtype=gg.dtype, device=gg.device),
                                      wrap(m.copy(), gg._device), gg)
            gsrc = linear_grad(flat.reshape(sshape), g, "MaskedScatterBackwardBackward0",
                               scatter_back)
        return gself, gsrc
    return make(out, (t, source), "MaskedScatterBackward0", rule, mask)


def nonzero(t, *, as_tuple=False, _op="nonzero"):
    """Indices of the non-zero elements: an ``(n, ndim)`` tensor, or one tensor per dim."""
    from .._float8 import refuse

    if _op is not None:  # (vmap refuses it; NOTE: PyTorch's vmap takes ``argwhere``)
        refuse_dynamic(_op if not as_tuple or _op != "nonzero" else "nonzero_numpy", t)
    refuse(t, "nonzero_count_cpu")
    xp = xp_of(t)
    if t.ndim == 0:
        hit = bool(t._data)
        if as_tuple:
            return (wrap(xp.zeros(int(hit), dtype=np.int64), t._device),)
        return wrap(xp.zeros((int(hit), 0), dtype=np.int64), t._device)
    idx = xp.nonzero(t._data)
    if as_tuple:
        return tuple(wrap(i.astype(np.int64), t._device) for i in idx)
    # (n, ndim) with strides (1, n), as PyTorch lays it out: one index row per dim in memory
    return wrap(xp.stack(idx, axis=0).astype(np.int64).T, t._device)


def argwhere(t):
    return nonzero(t, _op=None)
