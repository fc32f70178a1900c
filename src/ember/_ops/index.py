"""Indexing: ``t[key]``, ``t[key] = v``, gather/scatter and masks."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._core import (check_inplace, commit, make, norm_dim, snapshot, wrap, xp_of)
from .shape import select, slice_, unsqueeze


def _idx_tensor(arr, ref):
    return wrap(np.asarray(arr, dtype=np.int64), ref._device)


def _is_basic(k):
    return k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice)) and \
        not isinstance(k, bool)


def _normalize_key(t, key):
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Tensor):
            if k.ndim == 0 and not k.dtype.is_floating_point and k.dtype is not D.bool:
                out.append(int(k.item()))
                continue
            out.append(k)
        elif isinstance(k, (list, np.ndarray)) or isinstance(k, bool):
            from .creation import tensor

            out.append(tensor(k))
        elif isinstance(k, np.integer):
            out.append(int(k))
        elif _is_basic(k):
            out.append(k)
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte or bool tensors are valid indices (got "
                             f"{type(k).__name__})")
    return tuple(out)


def _count_dims(key):
    n = 0
    for k in key:
        if k is None or k is Ellipsis:
            continue
        if isinstance(k, Tensor) and k.dtype is D.bool:
            n += max(k.ndim, 1) if k.ndim else 0
        else:
            n += 1
    return n


def getitem(t, key):
    key = _normalize_key(t, key)
    used = _count_dims(key)
    if used > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
    if all(_is_basic(k) for k in key):
        return _basic(t, key, used)
    return _advanced(t, key)


def _basic(t, key, used):
    """Apply ints, slices, None and ... one by one, as PyTorch's chain of view nodes."""
    out = t
    d = 0
    made = False
    for k in key:
        if k is Ellipsis:
            d += t.ndim - used
        elif k is None:
            out = unsqueeze(out, d)
            d += 1
            made = True
        elif isinstance(k, slice):
            n = out.shape[d]
            start, stop, step = k.indices(n)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            if (start, stop, step) != (0, n, 1):
                out = slice_(out, d, start, max(stop, start), step)
                made = True
            d += 1
        else:
            n = out.shape[d]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {d} with size {n}")
            out = select(out, d, k)
            made = True
    if not made:  # ``t[:]`` and ``t[...]`` are still views
        out = slice_(t, 0, 0, t.shape[0]) if t.ndim else _alias_view(t)
    return out


def _alias_view(t):
    from ._core import make_view

    return make_view(t._data[...], t, "AliasBackward0", lambda ctx, g: (g,), lambda b: b[...])


def _np_key(t, key):
    """The key as NumPy understands it, with PyTorch's errors for bad indices."""
    out = []
    d = 0
    for k in key:
        if isinstance(k, Tensor):
            if k.dtype is D.bool or k.dtype is D.uint8:
                for i in range(k.ndim):
                    if d + i < t.ndim and k.shape[i] != t.shape[d + i]:
                        raise IndexError(f"The shape of the mask {list(k.shape)} at index {i} "
                                         f"does not match the shape of the indexed tensor "
                                         f"{list(t.shape)} at index {d + i}")
                out.append(k._data.astype(bool))
                d += k.ndim
                continue
            if k.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            a = k._data
            n = t.shape[d]
            if a.size and (a.max() >= n or a.min() < -n):
                bad = int(a.max()) if a.max() >= n else int(a.min())
                raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
            out.append(a)
            d += 1
        elif k is Ellipsis:
            out.append(k)
            d = t.ndim - sum(1 for j in key[key.index(k) + 1:] if j is not None)
        elif k is None:
            out.append(k)
        else:
            if isinstance(k, int):
                n = t.shape[d]
                if not -n <= k < n:
                    raise IndexError(f"index {k} is out of bounds for dimension {d} with size "
                                     f"{n}")
            out.append(k)
            d += 1
    return tuple(out)


def _advanced(t, key):
    nk = _np_key(t, key)
    arr = t._data[nk]

    def rule(ctx, g):
        gb = xp_of(g).zeros(t.shape, dtype=g._data.dtype)
        np.add.at(gb, nk, g._data)
        return (wrap(gb, g._device),)
    return make(arr, (t,), "IndexBackward0", rule)


def setitem(t, key, value):
    from .creation import tensor

    key = _normalize_key(t, key)
    if not isinstance(value, Tensor):
        value = tensor(value, dtype=t.dtype) if not isinstance(value, (int, float, bool)) \
            else value
    if all(_is_basic(k) for k in key):
        used = _count_dims(key)
        if used > t.ndim:
            raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
        region = _basic(t, key, used) if key != () else t
        copy_(region, value)
        return
    index_put_(t, key, value)


def index_put_(t, key, value, accumulate=False):
    check_inplace(t)
    nk = _np_key(t, _normalize_key(t, key))
    val = value if isinstance(value, Tensor) else None

    def compute(base, v):
        arr = base._data.copy()
        data = v._data if isinstance(v, Tensor) else v
        if accumulate:
            np.add.at(arr, nk, data)
        else:
            arr[nk] = data
        return arr

    src = snapshot(t, val)
    arr = compute(src, value)

    def rule(ctx, g):
        gself = None
        if ctx.needs_input_grad[0]:
            ga = g._data.copy()
            if not accumulate:
                ga[nk] = 0
            gself = wrap(ga, g._device)
        gv = None
        if ctx.needs_input_grad[1]:
            gv = wrap(g._data[nk], g._device)
        return gself, gv
    new = make(arr, (src, val), "IndexPutBackward0", rule)
    return commit(t, new)


def copy_(t, src, non_blocking=False):
    """Write ``src`` (broadcast, any dtype or device) into ``t``."""
    check_inplace(t)
    if not isinstance(src, Tensor):
        from .creation import full

        src = full((), src, dtype=t.dtype)
    if src._device != t._device:
        src = src.to(t._device)
    try:
        np.broadcast_shapes(src.shape, t.shape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({t.shape[-1] if t.ndim else 1}) must match "
                           f"the size of tensor b ({src.shape[-1] if src.ndim else 1}) at "
                           f"non-singleton dimension {max(t.ndim - 1, 0)}") from None
    from ._core import needs_grad

    if not needs_grad((t, src)):
        from ._core import write

        write(t, src._data)
        return t
    shape, dtype = t.shape, t.dtype

    def rule(ctx, g):
        return (g * 0 if ctx.needs_input_grad[0] else None,
                g if ctx.needs_input_grad[1] else None)
    xp = xp_of(t)
    arr = xp.broadcast_to(src._data.astype(dtype.np, copy=False), shape).copy()
    new = make(arr, (snapshot(t), src), "CopyBackwards", rule)
    return commit(t, new)


def gather(t, dim, index, *, sparse_grad=False):
    d = norm_dim(dim, t.ndim)
    _check_index(index, "gather")
    if index.ndim != t.ndim and not (index.ndim <= 1 and t.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    idx = index._data
    n = t.shape[d] if t.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise RuntimeError(f"index {int(idx.max())} is out of bounds for dimension {d} with "
                           f"size {n}")
    arr = np.take_along_axis(t._data, _fit(idx, t, d), axis=d) if t.ndim else t._data.copy()

    def rule(ctx, g):
        return (scatter_add(wrap(xp_of(g).zeros(t.shape, dtype=g._data.dtype), g._device), d,
                            index, g),)
    return make(arr, (t,), "GatherBackward0", rule)


def _fit(idx, t, d):
    """PyTorch lets ``index`` be smaller than ``t`` outside ``dim``: crop ``t`` to match."""
    return idx


def _check_index(index, name):
    if not isinstance(index, Tensor) or index.dtype is not D.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")


def _scatter_arrays(t, d, index, src_arr, reduce_add):
    out = t._data.copy()
    idx = index._data
    # Build full coordinate arrays for every element of ``index``.
    grids = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx
    coords = tuple(grids)
    src = src_arr[tuple(slice(0, s) for s in idx.shape)] if np.ndim(src_arr) else src_arr
    if reduce_add:
        np.add.at(out, coords, src)
    else:
        out[coords] = src
    return out


def scatter(t, dim, index, src=None, value=None, *, reduce=None):
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required positional argument: 'src' or 'value'")
    d = norm_dim(dim, t.ndim)
    _check_index(index, "scatter")
    s = src if src is not None else value
    if isinstance(s, Tensor):
        if s.dtype is not t.dtype:
            raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype")
        arr = _scatter_arrays(t, d, index, s._data, reduce == "add")

        def rule(ctx, g):
            gself = g.scatter(d, index, 0.0) if ctx.needs_input_grad[0] else None
            gsrc = g.gather(d, index) if ctx.needs_input_grad[1] else None
            return gself, gsrc
        return make(arr, (t, s), "ScatterBackward0", rule)
    arr = _scatter_arrays(t, d, index, np.asarray(s, dtype=t.dtype.np), reduce == "add")
    return make(arr, (t,), "ScatterBackward1", lambda ctx, g: (g.scatter(d, index, 0.0),))


def scatter_add(t, dim, index, src):
    d = norm_dim(dim, t.ndim)
    _check_index(index, "scatter_add")
    arr = _scatter_arrays(t, d, index, src._data.astype(t.dtype.np, copy=False), True)

    def rule(ctx, g):
        return (g if ctx.needs_input_grad[0] else None,
                g.gather(d, index) if ctx.needs_input_grad[1] else None)
    return make(arr, (t, src), "ScatterAddBackward0", rule)


def index_select(t, dim, index):
    d = norm_dim(dim, t.ndim)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    idx = index._data.reshape(-1)
    n = t.shape[d] if t.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError("index out of range in self")
    arr = xp_of(t).take(t._data, idx, axis=d) if t.ndim else t._data.copy()

    def rule(ctx, g):
        z = wrap(xp_of(g).zeros(t.shape, dtype=g._data.dtype), g._device)
        return (index_add(z, d, index, g),)
    return make(arr, (t,), "IndexSelectBackward0", rule)


def index_add(t, dim, index, source, *, alpha=1):
    d = norm_dim(dim, t.ndim)
    out = t._data.copy()
    src = source._data.astype(t.dtype.np, copy=False)
    if alpha != 1:
        src = src * alpha
    key = (slice(None),) * d + (index._data.reshape(-1),)
    np.add.at(out, key, src)

    def rule(ctx, g):
        gs = None
        if ctx.needs_input_grad[1]:
            gs = index_select(g, d, index)
            if alpha != 1:
                gs = gs * alpha
        return (g if ctx.needs_input_grad[0] else None, gs)
    return make(out, (t, source), "IndexAddBackward0", rule)


def masked_fill(t, mask, value):
    if not isinstance(mask, Tensor) or mask.dtype is not D.bool:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        v = value._data.astype(t.dtype.np)
    else:
        v = value
    arr = xp_of(t).where(mask._data, np.asarray(v).astype(t.dtype.np), t._data)
    if arr.shape != tuple(t.shape):
        raise RuntimeError(f"The expanded size of the tensor ({t.shape[-1]}) must match the "
                           f"existing size ({mask.shape[-1]}) at non-singleton dimension 0.")
    return make(arr, (t,), "MaskedFillBackward0",
                lambda ctx, g: (g.masked_fill(mask, 0.0),))


def masked_select(t, mask):
    shape = np.broadcast_shapes(tuple(t.shape), tuple(mask.shape))
    a = xp_of(t).broadcast_to(t._data, shape)
    m = xp_of(t).broadcast_to(mask._data, shape)
    arr = a[m]

    def rule(ctx, g):
        gb = xp_of(g).zeros(shape, dtype=g._data.dtype)
        gb[m] = g._data
        return (wrap(gb, g._device),)
    return make(arr, (t,), "MaskedSelectBackward0", rule)


def masked_scatter(t, mask, source):
    out = t._data.copy()
    m = np.broadcast_to(mask._data, t.shape)
    n = int(m.sum())
    out[m] = source._data.reshape(-1)[:n]
    return make(out, (t,), "MaskedScatterBackward0", lambda ctx, g: (g.masked_fill(mask, 0.0),))


def nonzero(t, *, as_tuple=False):
    idx = np.nonzero(t._data) if t.ndim else np.nonzero(t._data.reshape(1))
    if as_tuple:
        return tuple(wrap(np.asarray(i, dtype=np.int64), t._device) for i in idx)
    return wrap(np.stack(idx, axis=1).astype(np.int64) if idx else
                np.zeros((int(bool(t._data)), 0), dtype=np.int64), t._device)


def argwhere(t):
    return nonzero(t)


def take(t, index):
    flat = t.reshape(-1)
    return getitem(flat, index.reshape(-1)).reshape(index.shape)


_ = (select, slice_)
