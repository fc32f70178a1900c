"""The order in which PyTorch's CPU reduction kernels other than ``sum`` combine values, so
that float32/float64 results match PyTorch's bits (``sum`` and ``mean``: ``_cascade``).

``prod`` (and every reduction built on the same vectorised loop) reduces a contiguous run in
four 32-byte vectors at a time: lane ``l`` of vector ``j`` takes the elements at positions
``l + j * lanes + k * 4 * lanes`` (k = 0, 1, ...) in order; the four vectors are then combined
pairwise, ``(v0 . v1) . (v2 . v3)``, their lanes folded left to right, and the elements after
the last whole group of four vectors folded in one at a time.  Measured black-box: products of
values near one, compared bit for bit for every row length up to a few hundred, on an AVX-512
machine too (the kernel's vectors stay 32 bytes wide there).  A reduced dim that is not
contiguous in memory is folded element by element, in order.

``norm`` with p other than 2 and infinity, and ``cdist`` on the same path, fold each output's
terms left to right (a scalar loop); see ``fold``.
"""
from __future__ import annotations

import numpy as np

from . import _cascade

VECTOR_BYTES = 32


def _ordered(terms, ufunc):
    """``ufunc`` folded left to right along the last axis of ``terms`` (at least one term)."""
    if terms.shape[-1] == 1:
        return terms[..., 0].copy()
    if terms.size <= 4 * terms.shape[-1]:  # (few outputs: NumPy might add pairwise)
        return ufunc.accumulate(terms, axis=-1)[..., -1]
    # (NumPy reduces along a leading axis one row after another: in order)
    return ufunc.reduce(np.ascontiguousarray(np.moveaxis(terms, -1, 0)), axis=0)


def _vector_part(rows, ufunc):
    """rows (r, n) contiguous along n, n >= 4 vectors: the vectorised part's result for each
    row and the index where the element-by-element tail starts."""
    r, n = rows.shape
    lanes = VECTOR_BYTES // rows.itemsize
    group = 4 * lanes
    count = n // group
    acc = _ordered(rows[:, :count * group].reshape(r, count, group).transpose(0, 2, 1), ufunc)
    acc = acc.reshape(r, 4, lanes)
    v = ufunc(ufunc(acc[:, 0], acc[:, 1]), ufunc(acc[:, 2], acc[:, 3]))
    return _ordered(v, ufunc), count * group


def row_terms(rows, ufunc):
    """rows (r, n), contiguous along n: the terms each row contributes, in order (the
    vectorised part's result, then the tail's elements)."""
    n = rows.shape[1]
    lanes = VECTOR_BYTES // rows.itemsize
    if n < 4 * lanes:
        return rows
    head, start = _vector_part(rows, ufunc)
    return np.concatenate([head[:, None], rows[:, start:]], axis=1)


def _block_terms(view, dims, ufunc):
    """The terms one pass over ``view`` (laid out as ``dims``, every dim reduced) folds, in
    order: whole rows through the vectorised loop where the inner dim is contiguous."""
    size0 = dims[0][0]
    rows = view.reshape(-1, size0)
    if dims[0][1] == view.itemsize:
        return row_terms(rows, ufunc).reshape(-1)
    return rows.reshape(-1)


def reduce_all(a, ufunc, identity):
    """``a`` (float32/float64 NumPy array) reduced to one value as PyTorch's vectorised
    reduction loop does it, split between PyTorch's threads as its two-pass reduction does:
    each thread folds a contiguous range of the iteration into its own slot (the identity
    for an idle thread), then the slots are folded."""
    if a.size == 0:
        return np.asarray(identity, a.dtype)
    if any(s < 0 for s in a.strides):
        a = np.ascontiguousarray(a)
    dims = _cascade._layout(a, tuple(range(a.ndim)))
    if not dims:
        return ufunc(a.reshape(()), a.dtype.type(identity))
    view = _cascade._merged(a, dims)
    threads = _cascade._threads() if a.size >= _cascade.GRAIN else 1
    if threads == 1:
        return _ordered(_block_terms(view, dims, ufunc)[None], ufunc)[0]
    n = view.size
    used = min(threads, -(-n // _cascade.GRAIN))
    chunk = -(-n // used)
    slots = np.full(threads, identity, a.dtype)
    for t, lo in enumerate(range(0, n, chunk)):
        hi = min(n, lo + chunk)
        terms = [_block_terms(v, d, ufunc) for v, d in _cascade._ranges(view, dims, lo, hi)]
        slots[t] = _ordered(np.concatenate(terms)[None], ufunc)[0]
    return _ordered(slots[None], ufunc)[0]


def reduce_dim(a, axis, ufunc):
    """``a`` (float32/float64 NumPy array) reduced along one ``axis`` (of size > 1) as
    PyTorch's vectorised loop does it; the axis is removed."""
    moved = np.moveaxis(a, axis, -1)
    if a.strides[axis] == a.itemsize:
        rows = moved.reshape(-1, a.shape[axis])
        return _ordered(row_terms(rows, ufunc), ufunc).reshape(moved.shape[:-1])
    return _ordered(moved, ufunc)


def fold(terms, axes, order_of=None):
    """``terms`` (float32/float64 NumPy array) summed over ``axes`` as PyTorch's scalar
    reduction loop adds them (``norm`` with p other than 2 on its fast path, ``cdist``'s
    general p): each output's terms left to right from zero, in the iterator's order (the
    reduced dims by decreasing stride of ``order_of``, the input, else of ``terms``).  A
    reduction to one value over at least ``GRAIN`` terms is cut into one contiguous range per
    thread, each summed on its own, and the ranges' sums added to zero in turn."""
    src = terms if order_of is None else order_of
    axes = tuple(sorted(set(axes)))
    kept = [d for d in range(terms.ndim) if d not in axes]
    red = sorted(axes, key=lambda d: (-abs(src.strides[d]), d))
    out_shape = tuple(terms.shape[d] for d in kept)
    n = 1
    for d in axes:
        n *= terms.shape[d]
    zero = terms.dtype.type(0)
    if n == 0:
        return np.zeros(out_shape, terms.dtype)
    flat = terms.transpose(kept + red).reshape(out_shape + (n,))
    threads = _cascade._threads()
    if int(np.prod(out_shape)) != 1 or n < _cascade.GRAIN or threads == 1:
        return _ordered(flat, np.add) + zero
    chunk = -(-n // min(threads, -(-n // _cascade.GRAIN)))
    total = zero
    for lo in range(0, n, chunk):
        total = total + _ordered(flat[lo:lo + chunk][None], np.add)[0]
    return np.full(out_shape, total, terms.dtype)
