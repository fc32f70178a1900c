"""Elementwise writes through memory that the written elements share, in PyTorch's order.

PyTorch refuses to write a tensor two of whose elements are one memory location only where
a stride is 0 (``expand``); a view made by ``as_strided`` or ``unfold`` whose rows overlap
is written element after element, so later elements read what earlier ones wrote:

>>> t = ember.arange(10.); t.as_strided((4, 3), (2, 1)).add_(1); t
tensor([1., 2., 4., 4., 6., 6., 8., 8., 9., 9.])

(``t[2]``, ``t[4]`` and ``t[6]`` are each element of two rows: they get 1 added twice).
Likewise an input that is another view of the written memory (``x[2::2].copy_(x[:-2:2])``,
views PyTorch's overlap check leaves unjudged since they are not dense) reads values the
op has already written.  NumPy instead buffers such operands, so ember redoes these writes
here, in the order of PyTorch's TensorIterator loop:

- the dims sorted by the operands' strides (the written tensor's first), fastest first, and
  merged where they make one run of memory (:func:`loop_dims`);
- an inner loop over the fastest dim that, where every operand is contiguous along it (or a
  broadcast number), reads and writes 64 bytes at a time (its vector kernels: two AVX2
  vectors) and the rest one element at a time; otherwise one element at a time.

Only the order in which elements of one memory location are visited matters for an op that
reads no other location (``v.mul_(v)``, ``v.exp_()``, ``v.copy_(other)``); the width of the
vector step matters only where an input reads another element's location.

The work is a dataflow evaluation: each read is resolved to the last write before it to the
same location (or the memory's first value), then the elements are computed in waves, each
wave those whose reads are all known, as whole NumPy arrays.

NOTE: PyTorch splits a loop of 32768 or more elements between threads, whose order on
shared memory is a race; ember follows the single-threaded order.  The VML-backed unary
kernels (``exp``, ``log``, ``sin``...) of an input that is another view of the written
memory read in blocks of their own; ember reads those one element at a time.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._core import _may_overlap, _sort_dims

__all__ = ["self_overlapping", "needs_order", "ordered_write", "ordered_args", "run_op", "run",
           "ordered_values", "take_values", "ordered_op"]

_VEC_BYTES = 64  # (what PyTorch's CPU vector loops read and write at a time, here measured)
_WHOLE_LIMIT = 1 << 22  # (waves times elements: past it, each wave computes only its own)


def _owner(d):
    """The array owning the memory of ``d``, where NumPy's ordinary views (slices, reshapes,
    transposes: none of whose elements share memory) tell it cheaply; else None (``d`` came
    from ``as_strided``, a broadcast or a buffer, and may overlap itself)."""
    b = d.base
    if b is None:
        return d
    if type(b) is np.ndarray and b.base is None:
        return b
    return None


def not_plain(d) -> bool:
    """Whether array ``d`` is neither one owning its memory nor an ordinary view of one (see
    :func:`_owner`): only such arrays can overlap themselves."""
    b = d.base
    return b is not None and (type(b) is not np.ndarray or b.base is not None)


def self_overlapping(d) -> bool:
    """Whether two elements of NumPy array ``d`` share memory with no zero stride among its
    dims (those PyTorch refuses to write): an ``as_strided``/``unfold`` view.  Cheap for the
    common tensors (an array owning its memory, or an ordinary view of one)."""
    if type(d) is not np.ndarray or d.ndim < 2 or _owner(d) is not None or \
            d.flags.c_contiguous:
        return False
    for n, s in zip(d.shape, d.strides):
        if s == 0 and n > 1:
            return False
    return _may_overlap(d)


def needs_order(d, arr) -> bool:
    """Whether storing array ``arr`` into ``d`` (broadcast) must follow PyTorch's loop: ``d``
    overlaps itself, or ``arr`` is another layout of memory it shares with ``d``."""
    if type(d) is not np.ndarray or type(arr) is not np.ndarray or d.size < 2:
        return False
    return self_overlapping(d) or _aliases(d, arr)


def _aliases(d, b) -> bool:
    """Whether array ``b`` is another layout (or place) of memory array ``d`` shares."""
    if b is d or type(b) is not np.ndarray or b.ndim == 0:
        return False
    od = _owner(d)
    if od is not None:
        ob = _owner(b)
        if ob is not None and ob is not od:
            return False  # (two arrays' own memory)
    if b.dtype != d.dtype or not np.may_share_memory(d, b):
        return False
    return not (b.shape == d.shape and b.strides == d.strides and _ptr(b) == _ptr(d))


def ordered_args(t, args) -> bool:
    """Whether an elementwise write into tensor ``t`` reading ``args`` (tensors, numbers) must
    follow PyTorch's loop (see :func:`needs_order`).  Cheap for ordinary tensors."""
    d = t._data
    if type(d) is not np.ndarray:
        return False
    b = d.base
    plain = b is None or type(b) is np.ndarray and b.base is None  # (owner or ordinary view)
    if not plain and d.ndim > 1 and self_overlapping(d):
        return _computed_in_place(t, args)
    for a in args:
        if isinstance(a, Tensor):
            ad = a._data
            if plain and type(ad) is np.ndarray:
                ab = ad.base
                if ab is None:
                    if ad is not b:
                        continue
                elif type(ab) is np.ndarray and ab.base is None and ab is not b and ab is not d:
                    continue
            if _aliases(d, ad) and d.size > 1:
                return _computed_in_place(t, args)
    return False


def _computed_in_place(t, args) -> bool:
    """Whether PyTorch's TensorIterator computes the op in ``t``'s own memory: where the
    operands' common dtype is another, it reads ``t`` through a converted copy and writes a
    temporary, copied into ``t`` at the end (NOTE: so every element reads the old values,
    the copy back in loop order, as ember's plain path already does)."""
    from .._dtype import result_type

    try:
        return result_type(t, *args) is t.dtype
    except Exception:  # (an operand ``result_type`` does not know: the loop as it is)
        return True


def run_op(t, op, args, kwargs) -> None:
    """Write ``op(t, *args, **kwargs)`` (an elementwise op, without autograd) into ``t`` in
    PyTorch's loop order, and count the version."""
    from .._dtype import can_cast
    from ._core import _legacy, wrap

    d = t._data
    where = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a._data.ndim > 0 and
             type(a._data) is np.ndarray]
    arrays = [d] + [args[i]._data for i in where]

    def fn(x, *vals):
        given = list(args)
        for i, v in zip(where, vals):
            given[i] = wrap(v, t._device)
        return op(wrap(x, t._device), *given, **kwargs)._data
    # (the op's own refusals and ``commit``'s, as on the plain path: the whole op once)
    res = op(wrap(d, t._device), *args, **kwargs)
    if tuple(res.shape) != d.shape and np.broadcast_shapes(res.shape, d.shape) != d.shape:
        raise RuntimeError(f"output with shape {list(d.shape)} doesn't match the broadcast "
                           f"shape {list(np.broadcast_shapes(res.shape, d.shape))}")
    if res.dtype is not t.dtype and not can_cast(res.dtype, t.dtype):
        raise RuntimeError(f"result type {_legacy(res.dtype)} can't be cast to the desired "
                           f"output type {_legacy(t.dtype)}")
    run(d, fn, arrays)
    t._vc.v += 1


def ordered_values(t, op, args, kwargs):
    """The values :func:`run_op` would leave in ``t`` (an array of its shape), ``t``'s memory
    and version left as they were: for an op autograd records, its values as PyTorch's
    loop computes them (see :func:`take_values`)."""
    from ..autograd.grad_mode import no_grad

    d = t._data
    saved, version = d.copy(), t._vc.v
    try:
        with no_grad():
            run_op(t, op, args, kwargs)
        return d.copy()
    finally:
        np.copyto(d, saved)  # (elements sharing memory hold one value: any order restores)
        t._vc.v = version


def take_values(new, vals) -> None:
    """Give ``new`` (an in-place op's result computed out of place, its node recorded) the
    values ``vals`` of :func:`ordered_values`, for ``commit`` to write (a result of another
    shape is left for ``commit`` to refuse)."""
    if tuple(new.shape) == vals.shape and type(new._data) is np.ndarray:
        new._data = vals.astype(new._data.dtype, copy=False)


def ordered_op(t, op, args, kwargs, recorded):
    """An elementwise in-place op on ``t`` that must follow PyTorch's loop order: without
    autograd, :func:`run_op`; with it, ``recorded()`` (the op computed out of place, its node
    recorded) given the loop's values and committed.  Returns ``t``."""
    from ._core import commit, needs_grad

    if not needs_grad([t] + [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]):
        run_op(t, op, args, kwargs)
        return t
    vals = ordered_values(t, op, args, kwargs)
    new = recorded()
    take_values(new, vals)
    return commit(t, new)


def redo_out(name, fn, args, kwargs, out):
    """For elementwise op ``fn`` (PyTorch's ``name``) called with ``out=out``: where ``out``
    shares memory with itself or is another layout of an input's, a callable that writes the
    op into ``out`` in PyTorch's loop order; else None."""
    from ._core import needs_grad, wrap

    tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
    if not ordered_args(out, tensors) or needs_grad(tensors + [out]):
        return None
    keys = list(kwargs)
    flat = list(args) + [kwargs[k] for k in keys]
    where = [i for i, a in enumerate(flat) if isinstance(a, Tensor) and a._data.ndim > 0 and
             type(a._data) is np.ndarray]

    def values(*vals):
        given = list(flat)
        for i, v in zip(where, vals):
            given[i] = wrap(v, out._device)
        return fn(*given[:len(args)], **dict(zip(keys, given[len(args):])))._data

    def redo():
        run(out._data, values, [flat[i]._data for i in where])
        out._vc.v += 1
    return redo


def _ptr(a):
    return a.__array_interface__["data"][0]


def ordered_write(d, arr) -> None:
    """``d[...] = arr`` as PyTorch's ``copy_`` would do it (see :func:`needs_order`)."""
    run(d, lambda x: x, [arr])


def loop_dims(shape, strides):
    """TensorIterator's loop over ``shape`` for operands of byte ``strides`` (the written
    one first): the dims' sizes and each operand's strides, fastest dim first, with the dims
    that make one run of memory for every operand merged."""
    perm = _sort_dims(shape, strides)
    size = [shape[d] for d in perm]
    st = [[s[d] for d in perm] for s in strides]
    if not size:
        return [1], [[0] for _ in strides]
    prev = 0
    for dim in range(1, len(size)):
        a, b = size[prev], size[dim]
        if a == 1 or b == 1 or all(a * s[prev] == s[dim] for s in st):
            if a == 1:
                for s in st:
                    s[prev] = s[dim]
            size[prev] *= b
        else:
            prev += 1
            if prev != dim:
                for s in st:
                    s[prev] = s[dim]
                size[prev] = b
    k = prev + 1
    return size[:k], [s[:k] for s in st]


def _in_loop_order(a, size, st):
    """The elements of array ``a`` (strides ``st`` of the loop) in the loop's order."""
    view = np.lib.stride_tricks.as_strided(a, tuple(size[::-1]), tuple(st[::-1]))
    return view.reshape(-1)


def _offsets(size, st):
    """Each element's byte offset from the operand's first, in the loop's order."""
    off = np.zeros((), np.int64)
    for n, s in zip(size[::-1], st[::-1]):
        off = (off[..., None] + np.arange(n, dtype=np.int64) * s)
    return off.reshape(-1)


def run(out, fn, operands, vector=True) -> None:
    """Write ``fn(*values)`` into NumPy array ``out`` element by element in PyTorch's loop
    order, each element's values read just before its write (``vector``: the inner loop
    steps 64 bytes at a time where every operand allows it).

    ``operands``: arrays broadcastable to ``out``'s shape (one may be ``out`` itself); ``fn``
    takes their values as 1-d arrays (and returns the values to store, any dtype)."""
    shape = out.shape
    if out.size == 0:
        return
    ops = [np.broadcast_to(a, shape) if a.shape != shape else a for a in operands]
    size, st = loop_dims(shape, [out.strides] + [a.strides for a in ops])
    n = out.size
    item = out.itemsize
    # the step of each element: a vector step where all operands run contiguously
    inner = size[0]
    w = _VEC_BYTES // item
    runs = st[0][0] == item and all(s[0] == a.itemsize or s[0] == 0
                                    for s, a in zip(st[1:], ops))
    contiguous = vector and runs and inner >= w
    pos = np.arange(n, dtype=np.int64)
    if contiguous:
        row, col = np.divmod(pos, inner)
        full = (inner // w) * w
        per_row = inner // w + (inner - full)
        step = row * per_row + np.where(col < full, col // w, inner // w + (col - full))
    else:
        step = pos
    base = _ptr(out)
    waddr = base + _offsets(size, st[0])
    # the reads of operands sharing ``out``'s memory: resolved to the last earlier write
    vals_in, deps = [], []
    for a, s in zip(ops, st[1:]):
        v = _in_loop_order(a, size, s).copy()
        vals_in.append(v)
        if a.dtype == out.dtype and np.may_share_memory(a, out):
            deps.append(_last_write_before(waddr, step, _ptr(a) + _offsets(size, s)))
        else:
            deps.append(None)
    level = np.zeros(n, np.int64)
    if any(d is not None for d in deps):
        while True:
            new = np.zeros(n, np.int64)
            for d in deps:
                if d is not None:
                    np.maximum(new, np.where(d >= 0, level[np.maximum(d, 0)] + 1, 0), out=new)
            if np.array_equal(new, level):
                break
            level = new
    vals = np.empty(n, out.dtype)
    top = int(level.max()) if n else -1
    # Each wave's values are computed where they sit in the loop (rows of the inner dim, laid
    # out contiguous or not as the operands are), since ember's kernels, as PyTorch's, round
    # the elements of a vector step and those of the scalar tail differently.
    whole = (top + 1) * n <= _WHOLE_LIMIT
    for lv in range(top + 1):
        sel = np.flatnonzero(level == lv) if top else slice(None)
        pick = slice(None) if whole else sel
        args = []
        for v, d in zip(vals_in, deps):
            if d is None:
                a = v[pick]
            else:
                dd = d[pick]
                a = np.where(dd >= 0, vals[np.maximum(dd, 0)], v[pick])
            args.append(_laid_out(a, inner, runs) if whole else a)
        with np.errstate(all="ignore"):
            res = np.asarray(fn(*args)).astype(out.dtype, copy=False)
        vals[sel] = res.reshape(-1)[sel] if whole else res
    # each location keeps its last write
    order = np.lexsort((step, waddr))
    last = order[np.append(waddr[order][1:] != waddr[order][:-1], True)]
    view = np.lib.stride_tricks.as_strided(out, tuple(size[::-1]), tuple(st[0][::-1]),
                                           writeable=True)
    view[np.unravel_index(last, view.shape)] = vals[last]


def _laid_out(a, inner, contiguous):
    """1-d ``a`` (loop order) as rows of ``inner`` elements that no loop merges: contiguous
    along the row or (``contiguous`` False) strided, as the loop's operands are."""
    rows = a.size // inner
    if contiguous:
        buf = np.empty((rows, inner + (rows > 1)), a.dtype)
        out = buf[:, :inner]
    else:
        out = np.empty((rows, 2 * inner), a.dtype)[:, ::2]
    out[...] = a.reshape(rows, inner)
    return out


def _last_write_before(waddr, step, raddr):
    """For each read (address ``raddr[e]`` at step ``step[e]``), the element whose write to
    that address comes last in an earlier step; -1 where none does."""
    ids, inv = np.unique(np.concatenate([waddr, raddr]), return_inverse=True)
    n = waddr.size
    wid, rid = inv[:n], inv[n:]
    span = int(step.max()) + 2 if n else 1
    wkey = wid * span + step
    order = np.argsort(wkey, kind="stable")
    sk = wkey[order]
    at = np.searchsorted(sk, rid * span + step, side="left") - 1
    ok = at >= 0
    cand = order[np.maximum(at, 0)]
    ok &= wid[cand] == rid
    return np.where(ok, cand, -1)
