"""Index writes and scans into a tensor whose elements share memory, in PyTorch's order.

PyTorch refuses to write a tensor two of whose elements are one memory location only where a
stride is 0 (``expand``); into a view made by ``as_strided`` whose rows overlap, its index and
scan kernels write element after element, so that later steps read (or overwrite) what
earlier ones wrote:

>>> t = ember.arange(10.); t.as_strided((4, 3), (2, 1)).index_add_(0, ember.tensor([0, 2]),
...                                                               ember.ones(2, 3)); t[:7]
tensor([1., 2., 3., 3., 5., 6., 7.])

ember computes these ops out of place and writes the whole result back, which puts stale
values over the shared elements; here they are redone on the memory itself instead, in the
order of PyTorch's loops (measured against PyTorch 2.13):

- ``index_add_``/``index_copy_``: one index entry after another, each adding (copying) a
  whole slice of ``source`` into the slice ``self.select(dim, index[i])``;
- ``scatter_``/``scatter_add_`` (and ``reduce=``): the index's positions with ``dim``
  innermost, the others in row-major order, one element at a time;
- ``masked_scatter_``: the masked elements in row-major order, ``source``'s values in turn;
- ``cumsum_``/``cumprod_`` and the scans' ``out=``: the lines along ``dim`` in row-major
  order of the other dims, each scanned in full (reading the memory as it is then) before
  the next.

Only tensors whose elements do share memory (:func:`_overlap.self_overlapping`) take these
paths; where autograd records the op (``self`` or the source requires grad), :func:`run` has
the usual out-of-place path record it and then redoes the values on the memory in order.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from . import _overlap
from ._core import _sort_dims, needs_grad, wrap

__all__ = ["applies", "shares", "run", "reduce_rows_out", "index_add_", "index_copy_",
           "index_reduce_", "mean_", "scatter_", "put_", "masked_scatter_", "scan_", "scan_out"]


def applies(t, *others) -> bool:
    """Whether ``t`` (a tensor written in place) shares memory between its elements, and no
    autograd is to record the write."""
    return shares(t) and not needs_grad([t] + [o for o in others if isinstance(o, Tensor)])


def shares(t) -> bool:
    """Whether ``t`` (a tensor written in place) shares memory between its elements."""
    d = t._data
    return type(d) is np.ndarray and d.size > 1 and d.flags.writeable and \
        _overlap.self_overlapping(d)


def run(t, others, ordered, recorded):
    """An in-place op on ``t`` (:func:`shares`): ``ordered()`` (one of this module's, on the
    memory) where no autograd records it, else ``recorded()`` (the usual path: the op out of
    place, its node recorded, the result written back) and then, on the memory as it was
    before, ``ordered()``: PyTorch's kernel writes the memory in its order under autograd
    too.  Returns ``recorded()``'s.  (An op whose node saves its result, ``scatter_reduce_``'s
    and ``index_reduce_``'s with amax, amin or prod, has it replaced by the values the memory
    holds at the end, as PyTorch's node reads them.)"""
    if not needs_grad([t] + [o for o in others if isinstance(o, Tensor)]):
        return ordered()
    from ..autograd.grad_mode import no_grad

    d = t._data
    saved = d.copy()
    t.__dict__.pop("_overlap_result", None)
    out = recorded()
    version = t._vc.v
    np.copyto(d, saved)  # (elements sharing memory hold one value: any order restores)
    with no_grad():
        ordered()
    t._vc.v = version
    new = t.__dict__.pop("_overlap_result", None)
    if new is not None and new._data.shape == d.shape and new._data.dtype == d.dtype:
        # (PyTorch's node saves its result as the memory holds it once written, read back
        # through the view: the gradients of amax/amin/prod compare against those values)
        np.copyto(new._data, d)
    return out


def _memory(d):
    """(1-d array over the memory ``d`` spans, ``d``'s elements' positions in it)."""
    item = d.itemsize
    steps = [s // item for s in d.strides]
    span = 1 + sum((n - 1) * s for n, s in zip(d.shape, steps))
    mem = np.lib.stride_tricks.as_strided(d, (span,), (item,))
    at = np.zeros(d.shape, np.int64)
    for k, (n, s) in enumerate(zip(d.shape, steps)):
        shape = [1] * d.ndim
        shape[k] = n
        at = at + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return mem, at


def _done(t):
    t._vc.v += 1
    return t


def _fma(a, b, c):
    from .._random import _fma32, _fma64

    if a.dtype == np.float32:
        return _fma32(a, np.float32(b), c)
    if a.dtype == np.float64:
        return _fma64(a, np.float64(b), c)
    return c + a * a.dtype.type(b)


def index_add_(t, dim, index, source, alpha=1, copy=False):
    """``t.index_add_(dim, index, source, alpha=alpha)`` (``copy``: ``index_copy_``) on the
    memory, one index entry after another (the op's checks made by the caller)."""
    d = t._data
    dim = dim % d.ndim if d.ndim else 0
    idx = np.ascontiguousarray(index._data.reshape(-1))
    if not copy and d.ndim > 1 and dim in (0, d.ndim - 1) and alpha == 1 and \
            idx.dtype == np.int64 and source._data.ndim == d.ndim and all(
                a == b for k, (a, b) in enumerate(zip(d.shape, source._data.shape)) if k != dim):
        # NOTE: PyTorch's index_add_ along the first or last dim (alpha 1, int64 indices) is
        # its scatter_add_ with the index expanded over the other dims
        sizes = list(d.shape)
        sizes[dim] = idx.size
        strides = [idx.itemsize if k == dim else 0 for k in range(d.ndim)]
        ep = np.lib.stride_tricks.as_strided(idx, sizes, strides)
        return scatter_(t, dim, wrap(ep, t._device), source, None, "add")
    mem, at = _memory(d)
    src = np.broadcast_to(source._data, d.shape[:dim] + (index.numel(),) + d.shape[dim + 1:]) \
        if d.ndim else source._data.reshape(-1)
    n = d.shape[dim] if d.ndim else 1
    # (each slice's elements in the order of PyTorch's iterator over it: by its strides)
    rest = [k for k in range(d.ndim) if k != dim]
    ops = [[d.strides[k] // d.itemsize for k in rest]] * 2
    if source._data.ndim == d.ndim:
        ops.append([source._data.strides[k] // source._data.itemsize for k in rest])
    order = _sort_dims([d.shape[k] for k in rest], ops)[::-1]
    for i, j in enumerate(index._data.reshape(-1).tolist()):
        where = np.take(at, j % n, axis=dim) if d.ndim else at.reshape(1)[0]
        vals = np.broadcast_to(np.asarray(np.take(src, i, axis=dim) if d.ndim else src[i],
                                          d.dtype), np.shape(where))
        if d.ndim > 1:
            where, vals = where.transpose(order), vals.transpose(order)
        where, vals = np.asarray(where).reshape(-1), vals.reshape(-1)
        if copy:
            mem[where] = vals
        elif alpha == 1 or d.dtype.kind not in "fc":
            # (a slice whose elements share memory adds into them one after another)
            np.add.at(mem, where, vals if alpha == 1 else vals * d.dtype.type(alpha))
        elif np.unique(where).size == where.size:  # (PyTorch's add with alpha: one fused
            mem[where] = _fma(vals, alpha, mem[where])  # multiply-add)
        else:
            for a, v in zip(where.tolist(), vals):
                mem[a] = _fma(np.asarray([v]), alpha, mem[a:a + 1])[0]
    return _done(t)


def index_reduce_(t, dim, index, source, reduce):
    """``t.index_reduce_(dim, index, source, reduce)`` (``prod``/``amax``/``amin``, with
    ``self`` included) on the memory: one index entry after another, each a whole slice of
    ``t`` combined with one of ``source`` (the op's checks made by the caller)."""
    d = t._data
    mem, at = _memory(d)
    dim = dim % d.ndim
    n = d.shape[dim]
    ufunc = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    src = source._data.astype(d.dtype, copy=False)
    for i, j in enumerate(index._data.reshape(-1).tolist()):
        where = np.take(at, j % n, axis=dim).reshape(-1)
        vals = np.take(src, i, axis=dim).reshape(-1)
        mem[where] = ufunc(mem[where], vals)
    return _done(t)


def scatter_(t, dim, index, src=None, value=None, reduce=None):
    """``t.scatter_``/``scatter_add_`` (``reduce`` "add"/"multiply", "amax"/"amin" for
    ``scatter_reduce_``, or None to write) on the memory, element after element (the op's
    checks made by the caller)."""
    d = t._data
    mem, at = _memory(d)
    idx = index._data
    nd = idx.ndim
    dim = dim % nd if nd else 0
    # (PyTorch's iterator over the index's other dims, in its order of them (by the strides
    # of self, then src, then the index), each element's loop along ``dim`` innermost)
    arrays = [d] + ([src._data] if src is not None and src._data.ndim == nd else []) + [idx]
    ops = [[0 if k == dim else s // a.itemsize for k, s in enumerate(a.strides)]
           for a in arrays]  # (``dim`` squashed: no stride along it)
    shape = [1 if k == dim else n for k, n in enumerate(idx.shape)]
    fast = [k for k in _sort_dims(shape, ops) if k != dim and shape[k] != 1]
    inner, size = fast[:1], shape[fast[0]] if fast else 1
    for k in fast[1:]:  # (the iterator's coalescing: dims that continue the innermost run)
        if any(op[k] != size * op[inner[0]] for op in ops):
            break
        inner.append(k)
        size *= shape[k]
    outer = [k for k in fast[len(inner):]][::-1] + [k for k in range(nd) if k != dim and
                                                      shape[k] == 1]
    # NOTE: PyTorch's kernel runs the loop along ``dim`` inside each element when ``dim`` is
    # the last dim, else outside the iterator's innermost run
    order = outer + inner[::-1] + [dim] if dim == d.ndim - 1 else \
        outer + [dim] + inner[::-1]
    pos = np.indices(idx.shape).transpose([0] + [k + 1 for k in order]).reshape(nd, -1)
    target = list(pos)
    target[dim] = idx.transpose(order).reshape(-1) % d.shape[dim]
    where = at[tuple(target)]
    if src is not None:
        vals = src._data[tuple(pos)].astype(d.dtype, copy=False)
    else:
        vals = np.full(where.shape, value, d.dtype)
    if reduce is None:
        mem[where] = vals  # (NumPy assigns in order: the last write to a place stays)
    elif reduce == "add":
        np.add.at(mem, where, vals)
    elif reduce == "amax":  # (``scatter_reduce_``'s: NaN wins, as PyTorch's)
        np.maximum.at(mem, where, vals)
    elif reduce == "amin":
        np.minimum.at(mem, where, vals)
    else:
        np.multiply.at(mem, where, vals)
    return _done(t)


def mean_(t, dim, index, src, scatter, include_self=True):
    """``t.scatter_reduce_(dim, index, src, "mean")`` (``scatter``) or
    ``t.index_reduce_(dim, index, src, "mean")`` (floating ``t``, ``self`` included) on the
    memory, as PyTorch's kernels do it: the sums as ``scatter_add_``'s (``index_add_``'s), in
    order, then each element of ``t`` divided by its count (one, plus the values folded into
    it), element after element in row-major order, so that a place two elements share is
    divided twice (measured on PyTorch 2.13).  ``include_self=False`` (``scatter_reduce_``'s,
    its indexed places already set to zero): a count of the folded values alone there."""
    d = t._data
    dim = dim % d.ndim
    count = np.ones(d.shape, d.dtype)
    idx = index._data
    if scatter:
        scatter_(t, dim, index, src, None, "add")
        target = list(np.indices(idx.shape).reshape(idx.ndim, -1))
        target[dim] = idx.reshape(-1) % d.shape[dim]
        if not include_self:
            count[tuple(target)] = 0
        np.add.at(count, tuple(target), 1)
    else:
        index_add_(t, dim, index, src)
        for j in idx.reshape(-1).tolist():
            sl = [slice(None)] * d.ndim
            sl[dim] = j % d.shape[dim]
            count[tuple(sl)] += 1
    mem, at = _memory(d)
    for k, c in zip(at.reshape(-1).tolist(), count.reshape(-1).tolist()):
        mem[k] = mem[k] / d.dtype.type(c)
    return t  # (its version counted once, by the sums)


def index_copy_(t, dim, index, source):
    """``t.index_copy_(dim, index, source)`` on the memory: an element of ``source`` after
    another, in the order of PyTorch's iterator over it (the op's checks made by the caller)."""
    d = t._data
    if d.ndim == 0 or source._data.ndim != d.ndim:
        return index_add_(t, dim, index, source, copy=True)
    mem, at = _memory(d)
    dim = dim % d.ndim
    src = source._data
    idx = index._data.reshape(-1)
    ops = [[0 if k == dim else s // d.itemsize for k, s in enumerate(d.strides)],
           [idx.strides[0] // idx.itemsize if k == dim else 0 for k in range(d.ndim)],
           [s // src.itemsize for s in src.strides]]
    order = _sort_dims(list(src.shape), ops)[::-1]
    pos = np.indices(src.shape).transpose([0] + [k + 1 for k in order]).reshape(d.ndim, -1)
    target = list(pos)
    target[dim] = idx[pos[dim]] % d.shape[dim]
    mem[at[tuple(target)]] = src[tuple(pos)]
    return _done(t)


def put_(t, index, source, accumulate):
    """``t.put_(index, source, accumulate)`` on the memory, in ``index``'s order (the op's
    checks made by the caller)."""
    d = t._data
    mem, at = _memory(d)
    where = at.reshape(-1)[index._data.reshape(-1) % d.size]
    vals = source._data.reshape(-1).astype(d.dtype, copy=False)
    if accumulate:
        np.add.at(mem, where, vals)
    else:
        mem[where] = vals
    return _done(t)


def masked_scatter_(t, mask, source):
    """``t.masked_scatter_(mask, source)`` on the memory (the op's checks made by the caller)."""
    d = t._data
    mem, at = _memory(d)
    where = at[np.broadcast_to(mask._data, d.shape)]
    mem[where] = source._data.reshape(-1)[:where.size]
    return _done(t)


def _lines(at, dim, arrays):
    """``at`` with ``dim`` last, as (lines, length): the lines in the order of PyTorch's
    iterator over the other dims (by the strides of ``arrays``, the output's first)."""
    shape = [1 if k == dim else n for k, n in enumerate(at.shape)]
    ops = [[0 if k == dim else s // a.itemsize for k, s in enumerate(a.strides)]
           for a in arrays]
    order = [k for k in _sort_dims(shape, ops)[::-1] if k != dim] + [dim]
    return at.transpose(order).reshape(-1, at.shape[dim])


def scan_(t, dim, op):
    """``t.cumsum_(dim)``/``cumprod_(dim)`` (``op``: the scan, ember's ``cumsum``) on the
    memory: a line along ``dim`` at a time, each read as the earlier ones left it."""
    d = t._data
    mem, at = _memory(d)
    dim = dim % d.ndim
    for line in _lines(at, dim, (d, d)):
        mem[line] = op(wrap(mem[line].copy(), t._device), 0, dtype=t.dtype)._data
    return _done(t)


def scan_out(out, res, dim, x):
    """Write the scan result ``res`` of ``x`` into ``out`` (whose elements share memory) a
    line along ``dim`` after another, as PyTorch's scan kernels write their output."""
    d = out._data
    mem, at = _memory(d)
    dim = dim % d.ndim
    lines = (d, x._data if isinstance(x, Tensor) and x._data.shape == d.shape else d)
    where = _lines(at, dim, lines).reshape(-1)
    vals = _lines(res._data.astype(d.dtype), dim, lines).reshape(-1)
    mem[where] = vals
    out._vc.v += 1


# (the reductions whose ``out=`` PyTorch's kernel first fills with the reduction's identity)
# (``std``/``var``: no fill, each row's result stored over what is there)
_ROW_REDUCTIONS = {"sum": ("sum", 0.0), "nansum": ("nansum", 0.0), "mean": ("sum", 0.0),
                   "nanmean": ("nansum", 0.0), "amax": ("amax", -np.inf),
                   "amin": ("amin", np.inf), "std": ("std", None), "var": ("var", None)}


def reduce_rows_out(name, args, kwargs, out):
    """For reduction ``name`` with ``out=out`` sharing memory with its input: a callable that
    writes ``out`` as PyTorch's kernel does, or None where ember does not know its order.

    Measured (float32/float64, a C-contiguous input reduced over its last dim): the kernel
    fills ``out`` with the reduction's identity (0, -inf, inf), then reduces one row after
    another in row-major order, each row read from the memory as it is then and its result
    combined with the element of ``out`` and stored before the next row is read; ``mean`` is
    that ``sum`` divided in place afterwards (``nanmean``: by the rows' non-NaN counts,
    counted first); ``std``/``var`` store each row's result without a fill first.
    Reductions over other dims read and write in blocks: not reproduced."""
    from ._core import norm_dim

    if name not in _ROW_REDUCTIONS or not args or not isinstance(args[0], Tensor):
        return _fibers_out(name, args, kwargs, out)
    x = args[0]
    xd, od = x._data, out._data
    if type(xd) is not np.ndarray or type(od) is not np.ndarray or xd.dtype != od.dtype or \
            xd.dtype not in (np.float32, np.float64) or not xd.ndim or \
            not xd.flags.c_contiguous or kwargs.get("dtype") not in (None, x.dtype) or \
            not np.may_share_memory(xd, od) or _overlap.self_overlapping(od) or \
            xd.size > 1 << 16:
        return _fibers_out(name, args, kwargs, out)
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    if isinstance(dim, (tuple, list)) and len(dim) == 1:
        dim = dim[0]
    if not isinstance(dim, int) or norm_dim(dim, xd.ndim) != xd.ndim - 1:
        return _fibers_out(name, args, kwargs, out)
    at = 3 if name in ("std", "var") else 2  # (``std(x, dim, unbiased, keepdim)``)
    keepdim = args[at] if len(args) > at else kwargs.get("keepdim", False)
    if keepdim:
        od = od[..., 0]
    if od.shape != xd.shape[:-1] or od.ndim > 1 and not od.flags.c_contiguous and any(
            a < b for a, b in zip(od.strides, od.strides[1:])):
        return None
    op, ident = _ROW_REDUCTIONS[name]
    import ember

    reducer = getattr(ember, op)
    rest = tuple(args[1:]) if op == name else (dim,)  # (the row's call: the same arguments)
    more = {k: v for k, v in kwargs.items() if k != "dtype"} if op == name else {}

    def redo():
        n = xd.shape[-1]
        rows = xd.reshape(-1, n)
        count = (~np.isnan(xd)).sum(-1) if name == "nanmean" else None
        if ident is not None:
            od[...] = ident
        row_shape = (1,) * (xd.ndim - 1) + (n,)
        for k, idx in enumerate(np.ndindex(od.shape)):
            if ident is None:  # (a row's variance depends on its place among the rows:
                v = reducer(wrap(xd.copy(), x._device), *rest,  # all of them, as they are
                            **more)._data.reshape(-1)[k]  # now)
            else:
                row = wrap(rows[k].copy().reshape(row_shape), x._device)
                v = reducer(row, *rest, **more)._data.reshape(-1)[0]
            init = od[idx]
            if op in ("sum", "nansum"):
                od[idx] = init + v
            elif ident is None:
                od[idx] = v
            else:
                od[idx] = np.maximum(init, v) if op == "amax" else np.minimum(init, v)
        with np.errstate(all="ignore"):  # (0/0 for a row of NaNs: NaN, silently)
            if name == "mean":
                np.divide(od, od.dtype.type(n), out=od)
            elif name == "nanmean":
                np.divide(od, count.astype(od.dtype), out=od)
        out._vc.v += 1
    return redo


# (each reduction's kernel: the op it reduces with and how its result joins ``out``)
_FIBER_JOIN = {"sum": ("sum", np.add), "nansum": ("nansum", np.add), "mean": ("sum", np.add),
               "nanmean": ("nansum", np.add), "prod": ("prod", np.multiply),
               "amax": ("amax", np.maximum), "amin": ("amin", np.minimum),
               "all": ("all", np.logical_and), "any": ("any", np.logical_or)}


def _identity(name, dtype):
    """The value PyTorch's reduction kernel fills its output with first."""
    if name in ("amax", "amin"):
        if dtype.kind == "b":
            return name == "amin"
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            return info.min if name == "amax" else info.max
        return -np.inf if name == "amax" else np.inf
    return {"prod": 1, "all": True, "any": False}.get(name, 0)


def _fibers_out(name, args, kwargs, out):
    """For a reduction whose ``out=`` shares the input's memory, over other dims than the
    last (or of dtypes :func:`reduce_rows_out` does not take): a callable writing ``out`` as
    PyTorch's kernel does, or None.

    Measured (PyTorch 2.13, float32/float64/int64/bool, small inputs): the kernel fills
    ``out`` with the reduction's identity (0, 1, -inf/inf or the integer type's bounds, True
    or False); the floating sums (cascade sums) then reduce the memory as it is then and join
    the result with what ``out`` holds (``mean``: that ``sum`` divided in place,
    ``nanmean``: by the counts of non-NaN values taken before the fill); the others (integer
    sums, ``prod``, ``amax``, ``all``, ...) accumulate into ``out`` itself, one reduced
    position after another (row-major), so that an input element that is an element of
    ``out`` is read as the partial result it holds then (``prod(x, 0, out=x[2])`` squares
    ``x[0] * x[1]``)."""
    from ._core import norm_dims

    if name not in _FIBER_JOIN or not args or not isinstance(args[0], Tensor):
        return None
    x = args[0]
    xd, od = x._data, out._data
    if type(xd) is not np.ndarray or type(od) is not np.ndarray or xd.dtype != od.dtype or \
            xd.dtype.kind == "c" or not xd.ndim or not od.size or \
            kwargs.get("dtype") not in (None, x.dtype) or not np.may_share_memory(xd, od) or \
            _overlap.self_overlapping(od) or xd.size > 1 << 16:
        return None
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    if name in ("all", "any") and isinstance(dim, (tuple, list)) and len(dim) == 1:
        dim = dim[0]
    dims = tuple(range(xd.ndim)) if dim is None or isinstance(dim, (tuple, list)) and \
        not dim else norm_dims(dim, xd.ndim)
    op, join = _FIBER_JOIN[name]
    import ember

    reducer = getattr(ember, op)
    more = {k: v for k, v in kwargs.items() if k != "dtype"}
    ident = _identity(name, xd.dtype)

    if name in ("sum", "nansum") and xd.dtype.kind == "f" or name in ("mean", "nanmean"):
        pass
    elif name == "amin" and xd.dtype.kind in "iu":
        return None  # (NOTE: PyTorch's integer amin reads its input before any write)
    elif min(xd.strides, default=0) >= 0 and min(od.strides, default=0) >= 0:
        return lambda: _accumulate_out(x, out, dims, join, ident)
    else:
        return None

    def redo():
        with np.errstate(all="ignore"):
            count = (~np.isnan(xd)).sum(dims) if name == "nanmean" else None
            od[...] = ident
            v = reducer(wrap(xd.copy(), x._device), *args[1:], **more)._data
            od[...] = join(od, v.reshape(od.shape))
            if name == "mean":
                np.divide(od, od.dtype.type(xd.size // od.size), out=od)
            elif name == "nanmean":
                np.divide(od, count.reshape(od.shape).astype(od.dtype), out=od)
        out._vc.v += 1
    return redo


def _accumulate_out(x, out, dims, join, ident):
    """``out`` (sharing ``x``'s memory) filled with ``ident``, then joined with the slices
    of ``x`` at the reduced positions ``dims`` in turn, each read from the memory as it is
    then (see :func:`_fibers_out`)."""
    xd, od = x._data, out._data
    item = xd.itemsize
    lo = min(_ptr(xd), _ptr(od))
    first = xd if _ptr(xd) == lo else od
    span = max(_ptr(a) - lo + item * (1 + sum((n - 1) * (s // item)
                                              for n, s in zip(a.shape, a.strides)))
               for a in (xd, od)) // item
    mem = np.lib.stride_tricks.as_strided(first, (span,), (item,))

    def places(a):
        at = np.full(a.shape, (_ptr(a) - lo) // item, np.int64)
        for k, (n, s) in enumerate(zip(a.shape, a.strides)):
            shape = [1] * a.ndim
            shape[k] = n
            at = at + (np.arange(n, dtype=np.int64) * (s // item)).reshape(shape)
        return at
    kept = [d for d in range(xd.ndim) if d not in dims]
    ax = places(xd).transpose(kept + list(dims)).reshape(od.size, -1)
    ao = places(od).reshape(-1)
    with np.errstate(all="ignore"):
        mem[ao] = ident
        hits = np.isin(ax, ao)
        if not (hits & (ax != ao[:, None])).any():  # (each output reads only its own slot:
            for i in range(ax.shape[1]):  # the outputs side by side give the same)
                mem[ao] = join(mem[ao], mem[ax[:, i]])
        else:  # (one output after another, each over its positions in turn)
            for j, at in enumerate(ao.tolist()):
                acc = mem[at]
                for i in ax[j].tolist():
                    acc = join(acc, mem[i])
                    mem[at] = acc
    out._vc.v += 1


def _ptr(a):
    return a.__array_interface__["data"][0]
