"""Views and shape ops.  A view shares memory and version counter with its base."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import _dtype as D
from .._tensor import Tensor
from ._core import (check_same_device, make, make_multi, make_view, make_view_multi, norm_dim,
                    norm_dims, shape_arg, sum_to, wrap, write, xp_of)


def _infer_shape(shape, numel):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{_fmt(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _view_rule(ctx, g):
    shape, = ctx.saved
    return (g.reshape(shape),)


def view(t, *shape):
    if len(shape) == 1 and isinstance(shape[0], (D.dtype,)):
        return view_dtype(t, shape[0])
    shape = _infer_shape(shape_arg(shape), t.numel())
    try:
        arr = t._data.reshape(shape, copy=False)
    except ValueError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None
    return make_view(arr, t, "ViewBackward0", _view_rule, lambda b: b.view(shape), t.shape)


def view_dtype(t, dtype):
    dtype = D.to_dtype(dtype)
    if dtype.itemsize != t.dtype.itemsize:
        raise RuntimeError("ember only supports views between dtypes of the same size")
    return wrap(t._data.view(dtype.np), t._device)


def reshape(t, *shape):
    shape = _infer_shape(shape_arg(shape), t.numel())
    try:
        arr = t._data.reshape(shape, copy=False)
    except ValueError:
        # Not expressible as a view: PyTorch copies (CloneBackward0) then _unsafe_view.
        c = clone(t, memory_format=None)
        return make(c._data.reshape(shape), (c,), "UnsafeViewBackward0", _view_rule, c.shape)
    return make_view(arr, t, "ViewBackward0", _view_rule, lambda b: b.reshape(shape), t.shape)


def flatten(t, start_dim=0, end_dim=-1):
    if t.ndim == 0:
        return reshape(t, 1)
    s = norm_dim(start_dim, t.ndim)
    e = norm_dim(end_dim, t.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return t
    shape = t.shape
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(t, tuple(shape[:s]) + (n,) + tuple(shape[e + 1:]))


def unflatten(t, dim, sizes):
    d = norm_dim(dim, t.ndim)
    sizes = tuple(sizes)
    size = t.shape[d]
    if -1 not in sizes:
        n = 1
        for s in sizes:
            n *= s
        if n != size:
            raise RuntimeError(f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to the "
                               f"size of dim {dim} ({size}) in the input tensor")
    return view(t, tuple(t.shape[:d]) + sizes + tuple(t.shape[d + 1:]))


def squeeze(t, dim=None):
    if dim is None:
        shape = tuple(s for s in t.shape if s != 1)
        name = "SqueezeBackward0"
    else:
        dims = norm_dims(dim, t.ndim) if t.ndim else ()
        shape = tuple(s for i, s in enumerate(t.shape) if not (i in dims and s == 1))
        name = "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"
    arr = t._data.reshape(shape)
    return make_view(arr, t, name, _view_rule, lambda b: b.squeeze(dim), t.shape)


def unsqueeze(t, dim):
    d = norm_dim(dim, t.ndim + 1)
    arr = np.expand_dims(t._data, d) if type(t._data) is np.ndarray else \
        xp_of(t).expand_dims(t._data, d)
    return make_view(arr, t, "UnsqueezeBackward0", lambda ctx, g: (g.squeeze(ctx.saved[0]),),
                     lambda b: b.unsqueeze(d), d)


def permute(t, *dims, _name="PermuteBackward0"):
    dims = shape_arg(dims) if dims and not isinstance(dims[0], int) or len(dims) != 1 else dims
    if len(dims) != t.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {t.ndim} is not equal to len(dims) = {len(dims)}")
    dims = norm_dims(dims, t.ndim)
    inv = tuple(np.argsort(dims))
    return make_view(t._data.transpose(dims), t, _name,
                     lambda ctx, g: (g.permute(ctx.saved[0]),), lambda b: b.permute(dims), inv)


def transpose(t, dim0, dim1, _name="TransposeBackward0"):
    n = t.ndim
    a, b = norm_dim(dim0, n), norm_dim(dim1, n)
    if n < 2:
        return make_view(t._data, t, _name, lambda ctx, g: (g,), lambda x: x.transpose(a, b))
    return make_view(t._data.swapaxes(a, b), t, _name,
                     lambda ctx, g: (g.transpose(a, b),), lambda x: x.transpose(a, b))


def t_(t):
    if t.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {t.ndim}D")
    return transpose(t, 0, 1, _name="TBackward0") if t.ndim == 2 else \
        make_view(t._data, t, "TBackward0", lambda ctx, g: (g,), lambda x: x.t())


def T(t):
    if t.ndim <= 1:
        return t
    return permute(t, tuple(range(t.ndim - 1, -1, -1)))


def mT(t):
    if t.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{t.ndim}-D tensor.")
    return transpose(t, -2, -1)


def movedim(t, source, destination):
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = norm_dims(src, t.ndim)
    dst = norm_dims(dst, t.ndim)
    order = [d for d in range(t.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(t, tuple(order))


moveaxis = movedim


def swapaxes(t, a, b):
    return transpose(t, a, b)


def expand(t, *sizes):
    sizes = shape_arg(sizes)
    if len(sizes) < t.ndim:
        raise RuntimeError(f"expand(torch.FloatTensor{{{_fmt(t.shape)}}}, size={_fmt(sizes)}): "
                           "the number of sizes provided "
                           f"({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({t.ndim})")
    lead = len(sizes) - t.ndim
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            target.append(s)
            continue
        have = t.shape[i - lead]
        if s == -1:
            s = have
        elif have != 1 and have != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({have}) at non-singleton dimension {i}.  Target sizes: "
                               f"{_fmt(sizes)}.  Tensor sizes: {_fmt(t.shape)}")
        target.append(s)
    target = tuple(target)
    arr = xp_of(t).broadcast_to(t._data, target)
    return make_view(arr, t, "ExpandBackward0", lambda ctx, g: (sum_to(g, ctx.saved[0]),),
                     lambda b: b.expand(target), t.shape)


def expand_as(t, other):
    return expand(t, other.shape)


def broadcast_to(t, shape):
    return expand(t, shape)


def broadcast_tensors(*ts):
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in ts))
    return tuple(expand(t, shape) for t in ts)


def _region_rule(ctx, g):
    """Backward of any view that picks a region: the gradient goes back into that region."""
    shape, fn = ctx.saved
    gb = wrap(xp_of(g).zeros(shape, dtype=g._data.dtype), g._device)
    write(fn(gb), g._data)
    return (gb,)


def select(t, dim, index):
    if t.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    if not -n <= index < n:
        raise IndexError(f"index {index} is out of bounds for dimension {d} with size {n}")
    i = index % n
    key = (slice(None),) * d + (i, Ellipsis)  # the Ellipsis keeps a 0-d result a view
    fn = lambda b: select(b, d, i)
    return make_view(t._data[key], t, "SelectBackward0", _region_rule, fn, t.shape, fn)


def slice_(t, dim, start, stop, step=1):
    d = norm_dim(dim, t.ndim)
    if step <= 0:
        raise ValueError("step must be greater than zero")
    key = (slice(None),) * d + (slice(start, stop, step),)
    fn = lambda b: slice_(b, d, start, stop, step)
    return make_view(t._data[key], t, "SliceBackward0", _region_rule, fn, t.shape, fn)


def narrow(t, dim, start, length):
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    if isinstance(start, Tensor):
        start = start.item()
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    start = start % n if n and start < 0 else start
    if start + length > n or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return slice_(t, d, start, start + length)


def diagonal(t, offset=0, dim1=0, dim2=1):
    a, b = norm_dim(dim1, t.ndim), norm_dim(dim2, t.ndim)
    arr = t._data
    view_arr = np.diagonal(arr, offset, a, b)
    strided = as_strided(view_arr, view_arr.shape, view_arr.strides, writeable=True) \
        if type(arr) is np.ndarray and arr.flags.writeable else view_arr
    fn = lambda x: diagonal(x, offset, a, b)
    return make_view(strided, t, "DiagonalBackward0", _region_rule, fn, t.shape, fn)


def unbind(t, dim=0):
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    arrs = [t._data[(slice(None),) * d + (i, Ellipsis)] for i in range(n)]
    fns = [lambda b, i=i: select(b, d, i) for i in range(n)]

    def rule(ctx, *gs):
        return (stack(gs, d),)
    return make_view_multi(arrs, t, "UnbindBackward0", rule, fns)


def split(t, split_size_or_sections, dim=0):
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [min(s, n - i) for i in range(0, n, s)] if n else [0]
        name = "SplitBackward0"
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
        name = "SplitWithSizesBackward0"
    starts = np.cumsum([0] + sizes[:-1]).tolist()
    arrs = [t._data[(slice(None),) * d + (slice(a, a + s),)] for a, s in zip(starts, sizes)]
    fns = [lambda b, a=a, s=s: slice_(b, d, a, a + s) for a, s in zip(starts, sizes)]

    def rule(ctx, *gs):
        return (cat(gs, d),)
    return make_view_multi(arrs, t, name, rule, fns)


def chunk(t, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    size = -(-n // chunks) if n else 0
    if size == 0:
        return split(t, [0] * min(chunks, 1) if n == 0 else 1, d)
    return split(t, size, d)


def tensor_split(t, indices_or_sections, dim=0):
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        base, extra = divmod(n, k)
        sizes = [base + 1] * extra + [base] * (k - extra)
    else:
        idx = [0] + [min(max(i, 0), n) for i in indices_or_sections] + [n]
        sizes = [max(b - a, 0) for a, b in zip(idx[:-1], idx[1:])]
    return split(t, sizes, d)


def detach(t):
    out = wrap(t._data, t._device)
    out._vc = t._vc
    return out


def clone(t, *, memory_format=None):
    return make(t._data.copy(), (t,), "CloneBackward0", lambda ctx, g: (g,))


def contiguous(t, memory_format=None):
    if t._data.flags.c_contiguous:
        return t
    return clone(t)


def is_contiguous(t, memory_format=None):
    a = t._data
    if a.flags.c_contiguous:
        return True
    # PyTorch ignores the strides of size-1 dimensions.
    expected = 1
    for s, st in zip(reversed(a.shape), reversed(a.strides)):
        if s != 1 and st // a.itemsize != expected:
            return False
        expected *= s
    return True


def stride(t, dim=None):
    st = tuple(s // t._data.itemsize for s in t._data.strides)
    if dim is None:
        return st
    return st[norm_dim(dim, t.ndim)]


def storage_offset(t):
    root = t._base if t._base is not None else t
    return (_ptr(t._data) - _ptr(root._data)) // t._data.itemsize


def _ptr(a):
    return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr


def data_ptr(t):
    return _ptr(t._data)


def cat(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
    check_same_device(*tensors)
    # PyTorch skips 1-d empty tensors (legacy behaviour).
    parts = [x for x in tensors if not (x.ndim == 1 and x.shape[0] == 0)] or tensors[:1]
    ref = parts[0]
    d = norm_dim(dim, ref.ndim)
    for i, x in enumerate(parts):
        if x.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and "
                               f"{x.ndim}")
        for k in range(ref.ndim):
            if k != d and x.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[k]} but got size {x.shape[k]} "
                                   f"for tensor number {i} in the list.")
    dt = D.result_type(*[_as_dim(x) for x in parts])
    arr = xp_of(ref).concatenate([x._data.astype(dt.np, copy=False) for x in parts], axis=d)
    sizes = [x.shape[d] for x in parts]

    def rule(ctx, g):
        grads = split(g, sizes, d) if len(parts) > 1 else (g,)
        it = iter(grads)
        return tuple(next(it) if not (x.ndim == 1 and x.shape[0] == 0) or x is parts[0]
                     else None for x in tensors)
    return make(arr, tuple(tensors), "CatBackward0", rule)


class _DimProxy:
    """Makes a 0-d tensor promote like a dimensioned one inside ``cat``."""

    __slots__ = ("dtype", "ndim")

    def __init__(self, d):
        self.dtype = d
        self.ndim = 1


def _as_dim(x):
    return _DimProxy(x.dtype)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]
    for i, x in enumerate(tensors):
        if x.shape != ref.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{_fmt(ref.shape)} at entry 0 and {_fmt(x.shape)} at entry {i}")
    d = norm_dim(dim, ref.ndim + 1)
    check_same_device(*tensors)
    dt = D.result_type(*[_as_dim(x) for x in tensors])
    arr = xp_of(ref).stack([x._data.astype(dt.np, copy=False) for x in tensors], axis=d)
    return make(arr, tuple(tensors), "StackBackward0", lambda ctx, g: tuple(g.unbind(d)))


def hstack(tensors):
    ts = [x if x.ndim else x.reshape(1) for x in tensors]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([x if x.ndim >= 2 else x.reshape(1, -1) for x in tensors], 0)


def flip(t, dims):
    dims = norm_dims(dims, t.ndim)
    arr = xp_of(t).flip(t._data, axis=dims).copy() if dims else t._data.copy()
    return make(arr, (t,), "FlipBackward0", lambda ctx, g: (g.flip(dims),))


def fliplr(t):
    return flip(t, (1,))


def flipud(t):
    return flip(t, (0,))


def roll(t, shifts, dims=None):
    if dims is None:
        flat = t.flatten()
        arr = xp_of(t).roll(flat._data, shifts)
        out = make(arr, (flat,), "RollBackward0", lambda ctx, g: (g.roll(-shifts),))
        return out.view(t.shape)
    shifts_t = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims_t = norm_dims(dims, t.ndim)
    if len(shifts_t) != len(dims_t):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts_t)}, dims:"
                           f"{len(dims_t)}")
    arr = xp_of(t).roll(t._data, shifts_t, axis=dims_t)
    return make(arr, (t,), "RollBackward0",
                lambda ctx, g: (g.roll(tuple(-s for s in shifts_t), dims_t),))


def tril(t, diagonal=0):
    if t.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return make(xp_of(t).tril(t._data, diagonal), (t,), "TrilBackward0",
                lambda ctx, g: (g.tril(diagonal),))


def triu(t, diagonal=0):
    if t.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return make(xp_of(t).triu(t._data, diagonal), (t,), "TriuBackward0",
                lambda ctx, g: (g.triu(diagonal),))


def diag(t, diagonal=0):
    if t.ndim == 1:
        return make(xp_of(t).diag(t._data, diagonal), (t,), "DiagEmbedBackward0",
                    lambda ctx, g: (g.diagonal(diagonal),))
    if t.ndim == 2:
        return make(xp_of(t).diag(t._data, diagonal).copy(), (t,), "DiagonalBackward0_copy",
                    lambda ctx, g: (_diag_embed(g, diagonal, ctx.saved[0]),), t.shape)
    raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + str(t.ndim) + "D")


def _diag_embed(g, k, shape):
    from .creation import zeros

    out = zeros(shape, dtype=g.dtype, device=g.device)
    out.diagonal(k).copy_(g)
    return out


def diag_embed(t, offset=0, dim1=-2, dim2=-1):
    from .creation import zeros

    n = t.shape[-1] + abs(offset)
    out = zeros(tuple(t.shape[:-1]) + (n, n), dtype=t.dtype, device=t.device)
    return out.diagonal_scatter(t, offset, dim1, dim2) if False else _embed(out, t, offset)


def _embed(out, t, offset):
    out = out.clone()
    out.diagonal(offset, -2, -1).copy_(t)
    return out


def repeat(t, *sizes):
    sizes = shape_arg(sizes)
    if len(sizes) < t.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    lead = len(sizes) - t.ndim
    src = t.reshape((1,) * lead + tuple(t.shape)) if lead else t
    arr = xp_of(t).tile(src._data, sizes)
    in_shape = src.shape

    def rule(ctx, g):
        # Fold each repeated dim into (repeats, size) and sum the repeats away.
        split_shape = []
        for r, s in zip(sizes, in_shape):
            split_shape += [r, s]
        gs = g.reshape(split_shape).sum(tuple(range(0, 2 * len(sizes), 2)))
        return (gs.reshape(t.shape),)
    return make(arr, (t,), "RepeatBackward0", rule)


def tile(t, dims):
    dims = tuple(dims)
    if len(dims) < t.ndim:
        dims = (1,) * (t.ndim - len(dims)) + dims
    return repeat(t, dims)


def repeat_interleave(t, repeats, dim=None):
    if dim is None:
        t = t.flatten()
        dim = 0
    d = norm_dim(dim, t.ndim)
    if isinstance(repeats, Tensor):
        reps = repeats._data
    else:
        reps = repeats
    idx = np.repeat(np.arange(t.shape[d]), reps)
    from .index import index_select, _idx_tensor

    return index_select(t, d, _idx_tensor(idx, t))


def atleast_1d(t):
    return t.reshape(1) if t.ndim == 0 else t


def atleast_2d(t):
    return t.reshape(1, -1) if t.ndim < 2 else t
