"""Views and shape ops.  A view shares memory and version counter with its base."""
from __future__ import annotations
from ember._warnings import warn_once

import operator

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import _dtype as D
from .._ctype import CTypeName
from .._size import Size
from .._tensor import Tensor, VersionCounter
from ..autograd.grad_mode import STATE
from ._core import _may_overlap
from ._core import needs_grad as _needs_grad
from ._core import channels_last_copy as _channels_last_copy
from ._core import is_channels_last as _is_channels_last
from ._core import c_dense, c_order, is_dense, suggests_channels_last
from ._core import (check_same_device, make, make_view, make_view_multi, norm_dim,
                    norm_dims, shape_arg, sum_to, to_host, wrap, write, xp_of, xp_of_array)


def _as_strided(arr, shape, strides):
    """A view of ``arr``'s memory with the given shape and byte strides (writable if it was)."""
    if type(arr) is np.ndarray:
        if arr.dtype.kind == "f" and arr.itemsize == 1:  # (float8_e5m2: NumPy's as_strided
            return as_strided(arr.view(np.uint8), tuple(shape),  # cannot rebuild its type)
                              tuple(strides)).view(arr.dtype)
        return as_strided(arr, tuple(shape), tuple(strides))
    return xp_of_array(arr).lib.stride_tricks.as_strided(arr, tuple(shape), tuple(strides))


def view_strides(shape, strides, new):
    """PyTorch's strides (in elements) of a view of (``shape``, ``strides``) as ``new`` (its
    ``computeStride``, where a new size-1 dim gets the stride of the chunk it lands in; NumPy's
    differ there); ``None`` where no view fits."""
    out = [0] * len(new)
    vd = len(new) - 1
    base = strides[-1] if strides else 1
    tn = vn = 1
    for td in range(len(shape) - 1, -1, -1):
        tn *= shape[td]
        if td == 0 or (shape[td - 1] != 1 and strides[td - 1] != tn * base):
            while vd >= 0 and (vn < tn or new[vd] == 1):
                out[vd] = vn * base
                vn *= new[vd]
                vd -= 1
            if vn != tn:
                return None
            if td > 0:
                base, tn, vn = strides[td - 1], 1, 1
    while vd >= 0 and new[vd] == 1:  # (a 0-d source: its view is all ones)
        out[vd] = 1
        vd -= 1
    return out if vd == -1 else None


def _view_strides(a, shape):
    """``view_strides`` for array ``a`` viewed as ``shape``; None for a 0-d or empty ``a``."""
    if not a.ndim or not a.size:
        return None
    item = a.itemsize
    return view_strides(a.shape, [s // item for s in a.strides], shape)


def _torch_view(arr, a, shape):
    """``arr``, NumPy's view of ``a`` as ``shape``, with PyTorch's strides for its size-1 dims."""
    # (C order: NumPy's are right, unless a size-1 dim of ``a`` has a stride of its own)
    if 1 in shape and arr.size and (not a.flags.c_contiguous or 1 in a.shape and not (
            a.base is None and a.flags.owndata)):
        st = _view_strides(a, shape)
        if st is not None:
            st = [s * a.itemsize for s in st]
            if tuple(st) != arr.strides:
                return _as_strided(arr, arr.shape, st)
    return arr


def _infer_shape(shape, numel):
    shape = list(shape)
    neg = []
    for i, s in enumerate(shape):  # (one pass, in PyTorch's order)
        if s == -1:
            if neg:
                raise RuntimeError("only one dimension can be inferred")
            neg.append(i)
        elif s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{_fmt(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {_fmt(shape)} "
                               "because the unspecified dimension size -1 can be any value and "
                               "is ambiguous")
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


def view(t, *shape, size=None, dtype=None):
    if dtype is not None or len(shape) == 1 and (isinstance(shape[0], D.dtype) or type(
            shape[0]) is type and shape[0] in (int, float, bool, complex)):  # (``view(float)``)
        return view_dtype(t, dtype if dtype is not None else shape[0])
    shape = _infer_shape(shape_arg(_keyword(shape, "size", size), "view", "size",
                                   ("torch.dtype dtype", "tuple of ints size")), t.numel())
    try:
        arr = _torch_view(t._data.reshape(shape, copy=False), t._data, shape)
    except ValueError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None
    return make_view(arr, t, "ViewBackward0", _view_rule, lambda b: b.view(shape), t.shape)


def view_dtype(t, dtype):
    """The same memory read as ``dtype``; a different element size rescales the last dim."""
    from ._core import _legacy

    dtype = D.to_dtype(dtype)
    from .complex import is_conj, is_neg

    if is_conj(t):  # (PyTorch's refusals, even to the same dtype)
        raise RuntimeError("torch.Tensor.view is not supported for conjugate view tensors when "
                           "converting to a different dtype.")
    if is_neg(t):
        raise RuntimeError("torch.Tensor.view is not supported for tensors with negative bit "
                           "set when converting to a different dtype.")
    a = t._data
    if dtype.itemsize != t.dtype.itemsize:
        what = f"to view {_legacy(t.dtype)} as {_legacy(dtype)} (different element sizes)"
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        # (PyTorch's checks in its order, on the strides it reports)
        strides = t.stride()
        if dtype.itemsize > t.dtype.itemsize:
            ratio = dtype.itemsize // t.dtype.itemsize
            if a.shape[-1] % ratio:
                raise RuntimeError(f"self.size(-1) must be divisible by {ratio} {what}, but got "
                                   f"{a.shape[-1]}")
            if storage_offset(t) % ratio:
                raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} {what}, "
                                   f"but got {storage_offset(t)}")
        if strides[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {strides[-1]}")
        if dtype.itemsize > t.dtype.itemsize:
            for d in range(a.ndim - 1):
                if strides[d] % ratio:
                    raise RuntimeError(f"self.stride({d}) must be divisible by {ratio} {what}, "
                                       f"but got {strides[d]}")
        if a.strides[-1] != a.itemsize:  # a size-1 last dim: make its stride the item size
            a = _as_strided(a, a.shape, a.strides[:-1] + (a.itemsize,))
    out = wrap(a.view(dtype.np), t._device)
    # Not a differentiable view, but the same memory: writes count on the same version.
    out._vc = t._vc
    out.__dict__["_storage_root"] = _storage_root(t)
    return out


def reshape(t, *args, shape=None):
    args = _keyword(args, "shape", shape)
    if len(args) > 1 and isinstance(args[0], (tuple, list)):
        raise TypeError(f"reshape() takes 1 positional argument but {len(args)} were given")
    shape = _infer_shape(shape_arg(args, "reshape", "shape"), t.numel())
    try:
        arr = _torch_view(t._data.reshape(shape, copy=False), t._data, shape)
    except ValueError:
        # Not expressible as a view: PyTorch copies (CloneBackward0, to a contiguous
        # layout whatever the input's) then _unsafe_view.
        c = clone(t, memory_format=contiguous_format)
        return make(c._data.reshape(shape), (c,), "UnsafeViewBackward0", _view_rule, c.shape)
    # (PyTorch views a contiguous tensor, and aliases any other it can: ReshapeAliasBackward0)
    name = "ViewBackward0" if t._data.flags.c_contiguous else "ReshapeAliasBackward0"
    return make_view(arr, t, name, _view_rule, lambda b: b.reshape(shape), t.shape)


def flatten(t, start_dim=0, end_dim=-1):
    if t.ndim == 0:
        norm_dim(start_dim, 0)  # a scalar has dims -1 and 0 only
        norm_dim(end_dim, 0)
        return reshape(t, 1)
    s = norm_dim(start_dim, t.ndim)
    e = norm_dim(end_dim, t.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return t
    shape = t._data.shape
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(t, shape[:s] + (n,) + shape[e + 1:])


def unflatten(t, dim, sizes):
    d = norm_dim(dim, t.ndim)
    sizes = tuple(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if not t.ndim:  # (PyTorch's wraps the size lookup's error; its C++ trace is not given)
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but "
                           "tensor has no dimensions")
    size = t.shape[d]
    if -1 not in sizes:
        n = 1
        for s in sizes:
            n *= s
        if n != size:
            raise RuntimeError(f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to the "
                               f"size of dim {d} ({size}) in the input tensor")
    elif sizes.count(-1) == 1:
        # the inferred size comes from this dim alone (an empty batch leaves it determined)
        known = 1
        for s in sizes:
            known *= s if s != -1 else 1
        if (size % known) if known else size:
            raise RuntimeError(f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to the "
                               f"size of dim {d} ({size}) in the input tensor")
        if known:
            sizes = tuple(size // known if s == -1 else s for s in sizes)
    return view(t, tuple(t.shape[:d]) + sizes + tuple(t.shape[d + 1:]))


def squeeze(t, dim=None, *, axis=None):
    if axis is not None:  # PyTorch's NumPy-style alias
        dim = axis
    if dim is None:
        shape = tuple(s for s in t.shape if s != 1)
        name = "SqueezeBackward0"
    else:
        if t.ndim:
            dims = norm_dims(dim, t.ndim, True)
        else:  # a 0-d tensor accepts dims 0 and -1 and has nothing to squeeze
            seen = set()
            for d in ((dim,) if isinstance(dim, int) else dim):
                d = norm_dim(d, 0)
                if d in seen:  # (as PyTorch's check of a list of dims)
                    raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
                seen.add(d)
            dims = ()
        shape = tuple(s for i, s in enumerate(t.shape) if not (i in dims and s == 1))
        name = "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"
    arr = t._data.reshape(shape)
    if 1 in shape:  # (PyTorch keeps a remaining size-1 dim's stride; NumPy's reshape resets it)
        a = t._data
        arr = _as_strided(a, shape, [a.strides[i] for i, s in enumerate(a.shape)
                                     if not (i in dims and s == 1)])
    return make_view(arr, t, name, _view_rule,
                     (lambda b: b.squeeze()) if dim is None else (lambda b: b.squeeze(dim)),
                     t.shape)


def unsqueeze(t, dim=None, *, axis=None):
    if dim is None:
        if axis is None:
            raise TypeError('unsqueeze() missing 1 required positional arguments: "dim"')
        dim = axis
    d = norm_dim(dim, t.ndim + 1)
    a = t._data
    # NOTE: PyTorch gives the new size-1 dim the stride ``size * stride`` of the dim it
    # lands before (1 at the end); NumPy picks another value, visible through ``stride()``.
    new_stride = a.strides[d] * a.shape[d] if d < a.ndim else a.itemsize
    arr = _as_strided(a, a.shape[:d] + (1,) + a.shape[d:],
                      a.strides[:d] + (new_stride,) + a.strides[d:])
    return make_view(arr, t, "UnsqueezeBackward0", lambda ctx, g: (g.squeeze(ctx.saved[0]),),
                     lambda b: b.unsqueeze(d), d)


def permute(t, *args, dims=None, _name="PermuteBackward0"):
    dims = _keyword(args, "dims", dims)
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = shape_arg(dims, "permute", "dims") \
        if dims and not isinstance(dims[0], int) or len(dims) != 1 else dims
    if len(dims) != t.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {t.ndim} is not equal to len(dims) = {len(dims)}")
    wrapped = tuple(norm_dim(d, t.ndim) for d in dims)
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    dims = wrapped
    inv = tuple(np.argsort(dims))
    a = t._data
    if not a.size:
        a = _laid_out(t)
    return make_view(a.transpose(dims), t, _name,
                     lambda ctx, g: (g.permute(ctx.saved[0]),), lambda b: b.permute(dims), inv)


def _laid_out(t):
    """``t``'s array, but for an empty one with NumPy's zero strides: with the strides it
    reports (contiguous ones), so that a view reordering its dims reorders them as PyTorch's
    (``torch.zeros(0, 3).t().stride()`` is ``(1, 3)``)."""
    a = t._data
    if type(a) is not np.ndarray or any(a.strides):
        return a
    return _as_strided(a, a.shape, [s * a.itemsize for s in stride(t)])


def transpose(t, dim0, dim1, _name="TransposeBackward0"):
    n = t.ndim
    a, b = norm_dim(dim0, n), norm_dim(dim1, n)
    if n < 2:
        return make_view(t._data, t, _name, lambda ctx, g: (g,), lambda x: x.transpose(a, b))
    arr = t._data
    if not arr.size:
        arr = _laid_out(t)
    return make_view(arr.swapaxes(a, b), t, _name,
                     lambda ctx, g: (g.transpose(a, b),), lambda x: x.transpose(a, b))


def _t_rule(ctx, g):
    return (g.t(),)


def _t_view(x):
    return x.t()


def t_(t):
    a = t._data
    if a.ndim == 2:
        return make_view((a if a.size else _laid_out(t)).T, t, "TBackward0", _t_rule, _t_view)
    if t.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {t.ndim}D")
    return make_view(t._data, t, "TBackward0", lambda ctx, g: (g,), lambda x: x.t())


def T(t):
    # NOTE: PyTorch deprecates ``.T`` on anything but matrices (each warning once).
    if t.ndim == 0:
        warn_once("T on 0-d", "Tensor.T is deprecated on 0-D tensors. This function is the "
                  "identity in these cases.", cpp="aten/src/ATen/native/TensorShape.cpp:4321")
    elif t.ndim != 2:
        warn_once("T on n-d", "The use of `x.T` on tensors of dimension other than 2 to reverse "
                  "their shape is deprecated and it will throw an error in a future release. "
                  "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                  "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                  cpp="aten/src/ATen/native/TensorShape.cpp:4314")
    return permute(t, tuple(range(t.ndim - 1, -1, -1)))


def H(t):
    """The conjugate transpose of a matrix (the transpose: ember has no complex tensors)."""
    if t.ndim == 0:
        warn_once("H on 0-d", "Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
                  cpp="aten/src/ATen/native/TensorShape.cpp:4335")
        return t  # (the property conjugates it: PyTorch's ``x.conj()``)
    if t.ndim != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{t.ndim}-D tensor." + (" For batches of matrices, consider using "
                                                    "tensor.mH" if t.ndim > 2 else ""))
    return mT(t)


def mT(t, name="mT"):
    if t.ndim == 0:  # (deprecated in PyTorch: the tensor itself, with a warning)
        warn_once(f"{name} on 0-d", f"Tensor.{name} is deprecated on 0-D tensors. " + (
            "This function is the identity in these cases." if name == "mT" else
            "Consider using x.conj()."),
            cpp=f"aten/src/ATen/native/TensorShape.cpp:{4373 if name == 'mT' else 4382}")
        return t
    if t.ndim < 2:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. "
                           f"Got {t.ndim}-D tensor.")
    return transpose(t, -2, -1)


def movedim(t, source, destination):
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = tuple(norm_dim(x, t.ndim) for x in src)
    dst = tuple(norm_dim(x, t.ndim) for x in dst)
    for what, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{what}` ({list(ds)})")
    if t.ndim == 0:  # (PyTorch aliases a 0-d tensor)
        return make_view(t._data[...], t, "AliasBackward0", lambda ctx, g: (g,),
                         lambda b: b[...])
    order = [d for d in range(t.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(t, tuple(order))


moveaxis = movedim


def swapaxes(t, a, b):
    return transpose(t, a, b)


def expand_0d(t, target):
    """A 0-d tensor expanded to the shape ``target`` (a tuple of sizes >= 0): every full
    reduction's backward, with nothing to check."""
    d = t._data
    if type(d) is np.ndarray:  # np.broadcast_to costs several times more
        arr = np.ndarray(target, d.dtype, d, 0, (0,) * len(target))
        arr.flags.writeable = False  # as broadcast_to's: writing into it is an error
    else:
        arr = xp_of(t).broadcast_to(d, target)
    return make_view(arr, t, "ExpandBackward0", _to_0d_rule, lambda b: b.expand(target))


def _to_0d_rule(ctx, g):
    return (sum_to(g, ()),)


_CLASSIC = frozenset(("float16", "float32", "float64", "int8", "int16", "int32", "int64",
                      "uint8"))


def _type_string(t):
    """How PyTorch's messages name a tensor's type: ``torch.FloatTensor`` for the classic
    dtypes, ``CPUBoolType`` (``CUDABoolType``) for the others."""
    from .._dtype import dtype_name_for_type

    name = dtype_name_for_type(t.dtype)
    cuda = t._device.type == "cuda"
    if t.dtype.name in _CLASSIC:
        return f"torch.cuda.{name}" if cuda else f"torch.{name}"
    return f"{'CUDA' if cuda else 'CPU'}{name[:-len('Tensor')]}Type"


def expand(t, *sizes, size=None, implicit=False):
    if size is not None:
        sizes = (tuple(size),)
    elif not sizes:
        raise TypeError('expand() missing 1 required positional arguments: "size"')
    if len(sizes) == 1 and type(sizes[0]) is tuple and t._data.ndim == 0 and \
            all(type(s) is int and s >= 0 for s in sizes[0]):
        return expand_0d(t, sizes[0])
    sizes = shape_arg(sizes, "expand")
    if len(sizes) < t.ndim:
        raise RuntimeError(f"expand({_type_string(t)}{{{_fmt(t.shape)}}}, size={_fmt(sizes)}): "
                           "the number of sizes provided "
                           f"({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({t.ndim})")
    lead = len(sizes) - t.ndim
    target = []
    for i, s in reversed(list(enumerate(sizes))):  # (from the last dim, as PyTorch's errors)
        if i < lead:
            if s == -1:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            if s < 0:
                raise RuntimeError("numel: integer multiplication overflow")
            target.append(s)
            continue
        have = t.shape[i - lead]
        if s == -1:
            s = have
        elif s < 0 and have == 1:
            raise RuntimeError("numel: integer multiplication overflow")
        elif have != 1 and have != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({have}) at non-singleton dimension {i}.  Target sizes: "
                               f"{_fmt(sizes)}.  Tensor sizes: {_fmt(t.shape)}")
        target.append(s)
    target = tuple(reversed(target))
    d = t._data
    if type(d) is np.ndarray:
        # PyTorch's strides: 0 for new and widened dims, a size-1 dim kept at size 1 keeps its
        # own (NumPy's broadcast_to gives every size-1 dim a 0; as_strided cannot take the
        # ml_dtypes types, bfloat16 and float8, so those go through unsigned ints of their size)
        st = [0] * lead + [0 if have == 1 and s != 1 else ds for have, s, ds
                           in zip(d.shape, target[lead:], d.strides)]
        for i in range(lead - 1, -1, -1) if d.ndim else ():
            if target[i] == 1:  # a new dim of size 1: the next one's extent
                st[i] = target[i + 1] * st[i + 1]
        src = d if d.dtype.isbuiltin == 1 else d.view(f"u{d.dtype.itemsize}")
        arr = np.lib.stride_tricks.as_strided(src, target, st, writeable=False)
        if src is not d:
            arr = arr.view(d.dtype)
    else:
        arr = xp_of(t).broadcast_to(d, target)
    return make_view(arr, t, "ExpandBackward0", lambda ctx, g: (sum_to(g, ctx.saved[0]),),
                     lambda b: b.expand(target), t.shape)


def expand_as(t, other):
    return expand(t, other.shape)


def broadcast_to(t, size):
    return expand(t, size)


def broadcast_to_method(t, *sizes, size=None):
    """``Tensor.broadcast_to``: the sizes as one sequence, as several ints, or ``size=``."""
    if size is not None:
        sizes = (size,)
    if not sizes:
        raise TypeError('broadcast_to() missing 1 required positional arguments: "size"')
    return expand(t, *sizes)


broadcast_to_method.__name__ = broadcast_to_method.__qualname__ = "broadcast_to"


def broadcast_shapes(*shapes):
    """The common shape of ``shapes`` under broadcasting; the error PyTorch's ops give when
    there is none (``torch.broadcast_shapes`` itself: :func:`broadcast_shapes_api`)."""
    out = []
    for shape in shapes:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        lead = len(shape) - len(out)
        if lead > 0:
            out = list(shape[:lead]) + out
        for i in range(1, len(shape) + 1):
            a, b = out[-i], shape[-i]
            if a == 1 or a == b:
                out[-i] = b
            elif b != 1:
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                                   f"({b}) at non-singleton dimension {len(out) - i}")
    return Size(out)


def broadcast_shapes_api(*shapes):
    """``torch.broadcast_shapes``: as :func:`broadcast_shapes`, with its own error text."""
    given = [(shape,) if isinstance(shape, int) else shape for shape in shapes]  # (as shown)
    shapes = [tuple(shape) for shape in given]
    out = [1] * max((len(shape) for shape in shapes), default=0)
    for k, shape in enumerate(shapes):
        for i in range(1, len(shape) + 1):
            a, b = out[-i], shape[-i]
            if b == 1:
                continue
            if a == 1:
                out[-i] = b
            elif a != b:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {b} at {-i}! "
                                   f"Mismatching argument at index {k} had {given[k]}; but "
                                   f"expected shape should be broadcastable to {out}")
    return Size(out)


def broadcast_tensors(*ts):
    tensor_list_items(ts)
    shape = broadcast_shapes(*(tuple(t.shape) for t in ts))
    # (a tensor already of that shape comes back itself, as in PyTorch: no ExpandBackward0)
    return tuple(t if tuple(t.shape) == shape else expand(t, shape) for t in ts)


def _region_rule(ctx, g):
    """Backward of any view that picks a region: the gradient goes back into that region."""
    shape, fn = ctx.saved
    gb = wrap(xp_of(g).zeros(shape, dtype=g._data.dtype), g._device)
    write(fn(gb), g._data)
    if g._requires_grad and STATE.enabled:  # create_graph: its own gradient is the region again
        name = type(ctx).__name__
        name = "SliceBackwardBackward0" if name == "NarrowCopyBackward0" else \
            name.replace("Backward0", "BackwardBackward0")
        gb = make(gb._data, (g,), name, lambda c, gg: (fn(gg),))
    return (gb,)


def select(t, dim, index):
    if t.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"[{', '.join(map(str, t.shape))}] at dimension {d}")
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
    arr = t._data[key]
    if not arr.size:
        arr = _empty_slice(arr, t._data, d, slice(start, stop, step).indices(t.shape[d])[0],
                           step)
    out = make_view(arr, t, "SliceBackward0", _region_rule, fn, t.shape, fn)
    if not arr.size:
        _trust_empty_strides(out, t)
    return out


def _pointed(a, ptr, strides):
    """Empty array ``a`` (a NumPy one) re-pointed at address ``ptr`` with byte ``strides``
    (no element is ever read there, so any address will do: one past the end too)."""
    face = dict(a.__array_interface__)
    face["data"] = (ptr, not a.flags.writeable)
    face["strides"] = tuple(strides)
    face.pop("mask", None)

    class _Face:  # (the array keeps it, and it ``a``, alive)
        __array_interface__ = face
        base = a
    out = np.asarray(_Face())
    return out if out.dtype == a.dtype else out.view(a.dtype)


def _empty_slice(a, parent, d, start, step):
    """NOTE: NumPy gives an empty slice of ``parent`` (``x[3:3]``) its start of 0 and step of
    1; PyTorch's starts at ``start`` (clamped into the dim) with the dim's stride times the
    step, as ``storage_offset()`` and ``stride()`` show: ``a`` (``parent[..., start:...]``
    along dim ``d``, empty) pointed and strided so."""
    if type(a) is not np.ndarray or type(parent) is not np.ndarray or a.ndim != parent.ndim \
            or a.shape[d]:  # (a slice with elements of its own: NumPy's start and step)
        return a
    strides = list(a.strides)
    strides[d] = parent.strides[d] * step
    return _pointed(a, _ptr(a) + start * parent.strides[d], strides)


def redo_empty_view(arr, base, view_fn):
    """NOTE: NumPy gives the empty arrays it makes zero strides, which ``stride`` reports as
    the contiguous ones PyTorch gives them; a view of such a tensor (``torch.zeros(0, 3).t()``,
    ``.diagonal()``, ``[:, 1:]``) has in PyTorch the strides and offset worked out from those:
    ``arr`` (the view of ``base``, empty) redone by ``view_fn`` on ``base``'s memory laid out
    with the strides it reports.  Returns it and whether its zero strides are PyTorch's (those
    of a ``base`` that reports its own zero strides: the view is to report them too)."""
    if type(arr) is not np.ndarray or type(base._data) is not np.ndarray:
        return arr, False
    st = stride(base)
    if not any(st):
        return arr, True
    a = base._data
    probe = wrap(_as_strided(a, a.shape, [s * a.itemsize for s in st]), base._device)
    from ..autograd.grad_mode import no_grad

    with no_grad():
        redone = view_fn(probe)._data
    return (redone if redone.shape == arr.shape and redone.dtype == arr.dtype else arr), False


def _trust_empty_strides(out, t):
    """Have empty view ``out`` of ``t`` report its NumPy strides, zeros too (an empty slice of
    an expanded tensor: ``torch.zeros(1).expand(4)[:0].stride()`` is ``(0,)``), where they are
    ``t``'s own: ``t`` has elements, or reports its NumPy strides itself."""
    if not any(out._data.strides) and out.ndim and (
            t._data.size or "_numpy_strides" in t.__dict__ or
            t._base is not None and "_numpy_strides" in t._base.__dict__):
        out.__dict__["_numpy_strides"] = True


def narrow(t, dim, start, length):
    if isinstance(start, Tensor):  # (PyTorch's overload for a tensor start checks it first)
        if start.ndim or start.dtype._kind != 1:
            raise RuntimeError("start must be an 0-dim integral Tensor.")
        start = int(start.item())
    if t.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:  # (PyTorch checks it before the dim)
        raise RuntimeError("narrow(): length must be non-negative.")
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    start = start % n if n and start < 0 else start
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return slice_(t, d, start, start + length)


def unfold(t, dimension, size, step):
    """All windows of ``size`` elements, ``step`` apart, along ``dimension``, as a new last dim.

    A view: the windows overlap in memory when ``step < size``.
    """
    d = norm_dim(dimension, t.ndim)
    n = t.shape[d] if t.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    a = t._data if t.ndim else t._data.reshape(1)
    count = (n - size) // step + 1
    shape = a.shape[:d] + (count,) + a.shape[d + 1:] + (size,)
    strides = a.strides[:d] + (a.strides[d] * step,) + a.strides[d + 1:] + (a.strides[d],)
    arr = _as_strided(a, shape, strides)
    if not t.ndim:  # (PyTorch's: one window, whatever the step; an empty one for size 0)
        arr = arr.reshape((size,))
    in_shape = t.shape
    fn = lambda b: unfold(b, d, size, step)

    def rule(ctx, g):
        # Each window's gradient goes back to its elements; overlapping windows add up.
        xp = xp_of(g)
        gb = xp.zeros(tuple(in_shape) or (1,), dtype=g._data.dtype)
        ga = g._data.reshape(shape)
        idx = (xp.arange(count)[:, None] * step + xp.arange(size)[None, :]).reshape(-1)
        ga = xp.moveaxis(ga, -1, d + 1).reshape(shape[:d] + (count * size,) + shape[d + 1:-1])
        from .index import _add_at

        _add_at(gb, (slice(None),) * d + (idx,), ga)
        from ._core import linear_grad

        return (linear_grad(gb.reshape(in_shape), g, "UnfoldBackwardBackward0",
                            lambda gg: unfold(gg, d, size, step)),)
    return make_view(arr, t, "UnfoldBackward0", rule, fn)


def diagonal(t, offset=0, dim1=0, dim2=1):
    a, b = norm_dim(dim1, t.ndim), norm_dim(dim2, t.ndim)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    arr = t._data
    na, nb = arr.shape[a], arr.shape[b]
    length = max(0, min(na, nb - offset) if offset >= 0 else min(na + offset, nb))
    # NumPy's own diagonal is read-only; build a writable strided view of the same memory,
    # starting at the first diagonal element (at the tensor's start when the diagonal is empty).
    if length:
        key = [slice(None)] * arr.ndim
        key[a] = slice(max(-offset, 0), None)
        key[b] = slice(max(offset, 0), None)
        arr = arr[tuple(key)]
    keep = [i for i in range(arr.ndim) if i not in (a, b)]
    view_arr = _as_strided(arr, [arr.shape[i] for i in keep] + [length],
                           [arr.strides[i] for i in keep] + [arr.strides[a] + arr.strides[b]])
    fn = lambda x: diagonal(x, offset, a, b)
    return make_view(view_arr, t, "DiagonalBackward0", _region_rule, fn, t.shape, fn)


def unbind(t, dim=0):
    d = norm_dim(dim, t.ndim)
    if t.ndim == 0:  # (a 0-d tensor's dim wraps, then has no size)
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    n = t.shape[d]
    arrs = [t._data[(slice(None),) * d + (i, Ellipsis)] for i in range(n)]
    fns = [lambda b, i=i: select(b, d, i) for i in range(n)]

    def rule(ctx, *gs):
        return (stack(gs, d),)
    return make_view_multi(arrs, t, "UnbindBackward0", rule, fns)


def split(t, split_size_or_sections=None, dim=0, *, split_size=None):
    if split_size_or_sections is None:
        if split_size is None:
            raise TypeError("split() missing required argument 'split_size' (pos 1)")
        split_size_or_sections = split_size
    if t.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={s}")
        if s <= 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [min(s, n - i) for i in range(0, n, s)] if n else [0]
        name = "SplitBackward0"
    else:
        sizes = list(split_size_or_sections)
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {dim}), but got "
                               f"split_sizes={sizes}")
        name = "SplitWithSizesBackward0"
    starts = np.cumsum([0] + sizes[:-1]).tolist()
    arrs = [t._data[(slice(None),) * d + (slice(a, a + s),)] for a, s in zip(starts, sizes)]
    arrs = [_empty_slice(x, t._data, d, a, 1) if not x.size else x
            for x, a in zip(arrs, starts)]
    fns = [lambda b, a=a, s=s: slice_(b, d, a, a + s) for a, s in zip(starts, sizes)]

    def rule(ctx, *gs):
        return (cat(gs, d),)
    outs = make_view_multi(arrs, t, name, rule, fns)
    for o in outs:
        if not o._data.size:
            _trust_empty_strides(o, t)
    return outs


def split_with_sizes(t, split_sizes, dim=0):
    return split(t, list(split_sizes), dim)


def chunk(t, chunks, dim=0):
    if t.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    if n == 0:  # an empty dim gives ``chunks`` empty pieces
        return split(t, [0] * chunks, d)
    return split(t, -(-n // chunks), d)


def tensor_split(t, indices_or_sections=None, dim=0, *, indices=None, sections=None,
                 tensor_indices_or_sections=None):
    """Pieces as slices (views): ``k`` near-equal sections, or cuts at the given indices
    (by keyword, PyTorch's names of its three overloads; its parser checks the types)."""
    if indices_or_sections is None:
        indices_or_sections = next((a for a in (indices, sections, tensor_indices_or_sections)
                                    if a is not None), None)
    if t.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype is not D.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {D.scalar_name(ios.dtype)}")
        if ios.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {ios.ndim} dims")
        ios = int(ios.item()) if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        base, extra = divmod(n, k)
        sizes = [base + 1] * extra + [base] * (k - extra)
        cuts = np.cumsum([0] + sizes).tolist()
    else:
        cuts = [0] + [int(i) for i in ios] + [n]
    # Each piece is ``t[a:b]`` along ``dim`` with Python's slice rules (negatives wrap).
    return tuple(slice_(t, d, *slice(a, b).indices(n)[:2]) for a, b in zip(cuts[:-1], cuts[1:]))


def detach(t):
    d = t._data
    out = wrap(d, t._device)
    # Remember the memory this tensor is a window into, for ``storage_offset``.
    out.__dict__["_storage_root"] = _storage_root(t)
    out._vc = t._vc
    if not d.size:  # (an empty one's offset and zero strides, which NumPy's lack)
        for key in ("_numpy_strides", "_empty_offset"):
            src = t if key in t.__dict__ else t._base
            if src is not None and key in src.__dict__:
                out.__dict__[key] = src.__dict__[key]
    kind = d.dtype.kind
    # (the conjugate and negative bits stay; a real tensor's negative bit is only ever on a
    # view, or on what was detached from one: plain tensors skip the look-up, a hot path)
    if kind == "c" or kind == "f" and (t._base is not None or "_neg" in t.__dict__):
        from .complex import is_conj, is_neg

        if kind == "c" and is_conj(t):
            out.__dict__["_conj"] = True
        if is_neg(t):
            out.__dict__["_neg"] = True
    if t._is_inference:
        out._is_inference = True
        if not STATE.inference:  # as PyTorch: a fresh version counter, so writable
            out._vc = VersionCounter()
            out._inference_vc = True
    return out


class memory_format(metaclass=CTypeName):
    """``torch.contiguous_format``, ``torch.preserve_format``, ``torch.channels_last`` (NHWC
    strides for a 4-d NCHW tensor) and ``torch.channels_last_3d`` (5-d)."""

    _c_name = "torch.memory_format"

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"

    def __reduce__(self):
        return (_memory_format_by_name, (self._name,))


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
_CHANNELS_LAST = {"torch.channels_last": 4, "torch.channels_last_3d": 5}


def _memory_format_by_name(name):
    return globals()[name]


def _channels_last_rank(t, memory_format):
    """4 or 5 for a channels-last ``memory_format`` (checking ``t``'s rank), else None."""
    rank = _CHANNELS_LAST.get(str(memory_format)) if memory_format is not None else None
    if rank is not None and t.ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {str(memory_format)[6:]} "
                           "format")
    return rank


def clone(t, *, memory_format=None):
    if _channels_last_rank(t, memory_format):
        return make(_channels_last_copy(t._data), (t,), "CloneBackward0", lambda ctx, g: (g,))
    if t._data.size == 0 and type(t._data) is np.ndarray and _preserving(memory_format):
        return keep_empty_strides(make(empty_with_strides(t), (t,), "CloneBackward0",
                                       lambda ctx, g: (g,)), t)
    return make(_copy_preserving_layout(t._data, memory_format), (t,), "CloneBackward0",
                lambda ctx, g: (g,))


def _preserving(memory_format):
    return memory_format is None or str(memory_format) == "torch.preserve_format"


def empty_with_strides(t, dtype=None):
    """An array for empty ``t`` (a CPU one) with its shape and the strides it reports.

    NOTE: PyTorch counts a tensor without elements as dense, so ``preserve_format``
    (``clone``, ``empty_like``, ``zeros_like``, ``to``, ...) keeps its strides whatever they
    are: ``torch.zeros(4, 3)[:, :0].clone().stride()`` is ``(3, 1)``."""
    a = t._data
    dt = a.dtype if dtype is None else np.dtype(dtype)
    return _as_strided(np.empty(0, dt), a.shape, [s * dt.itemsize for s in stride(t)])


def keep_empty_strides(out, t):
    """``out`` (made by :func:`empty_with_strides` from ``t``), marked to report zero strides
    where ``t`` reports them (see :func:`stride`)."""
    if t.ndim and not any(stride(t)):
        out.__dict__["_numpy_strides"] = True
    return out


def _copy_preserving_layout(a, memory_format=None):
    """A copy of ``a`` laid out as PyTorch's ``preserve_format`` lays it out.

    A dense, non-overlapping input keeps its strides (so ``x.t().clone()`` is still
    transposed); any other keeps the order of its dims by stride, densely packed.
    """
    xp = xp_of_array(a)
    if a.flags.c_contiguous and 1 not in a.shape or (
            memory_format is not None and str(memory_format) == "torch.contiguous_format"):
        return xp.array(a, order="C", copy=True)
    out = empty_like_layout(a)  # (size-1 dims keep their strides too, as in PyTorch)
    out[...] = a
    return out


def empty_like_layout(a, dtype=None):
    """An uninitialised array shaped as ``a`` and laid out as ``preserve_format`` lays it."""
    xp = xp_of_array(a)
    dtype = a.dtype if dtype is None else np.dtype(dtype)
    if a.flags.c_contiguous and 1 not in a.shape or a.size == 0:
        return xp.empty(a.shape, dtype=dtype)
    strides = [s // a.itemsize for s in a.strides]  # (size-1 dims keep theirs, as in PyTorch)
    if not _dense(a.shape, strides):
        strides = _packed_strides(a.shape, strides)
    return _as_strided(xp.empty(a.size, dtype=dtype), a.shape,
                       [s * dtype.itemsize for s in strides])


def grad_layout_ok(var, g) -> bool:
    """PyTorch's layout contract for a leaf's ``.grad``: the strides of the leaf's array
    ``var`` where it is dense (a transposed weight gets a transposed gradient), else
    C-contiguous."""
    if var.flags.c_contiguous or g.size <= 1:
        return g.flags.c_contiguous
    strides = [s // var.itemsize for s in var.strides]
    if not _dense(var.shape, strides):
        return g.flags.c_contiguous
    return [s // g.itemsize for s in g.strides] == strides


def grad_layout_copy(var, g):
    """A copy of gradient array ``g`` laid out as :func:`grad_layout_ok` asks."""
    strides = [s // var.itemsize for s in var.strides]
    if not (var.flags.c_contiguous or _dense(var.shape, strides)) or \
            var.flags.c_contiguous and 1 not in var.shape:
        return xp_of_array(g).array(g, order="C", copy=True)
    out = empty_like_layout(var, dtype=g.dtype)  # (the leaf's strides, size-1 dims' too)
    out[...] = g
    return out


_dense = is_dense  # (the elements fill a block of memory once, in some dim order)


def _packed_strides(shape, strides):
    """Dense strides with dims ordered as ``strides`` orders them (ties keep dim order)."""
    n = len(shape)
    from ._cascade import operand_order

    order = operand_order(shape, strides)  # innermost first
    out = [0] * n
    step = 1
    for dim in order:
        out[dim] = step
        step *= max(shape[dim], 1)
    return out


def contiguous(t, memory_format=None):
    if _channels_last_rank(t, memory_format):
        if is_contiguous(t, memory_format=memory_format):
            return t
        return make(_channels_last_copy(t._data), (t,), "CloneBackward0", lambda ctx, g: (g,))
    if is_contiguous(t):
        return t
    return make(xp_of(t).array(t._data, order="C", copy=True), (t,), "CloneBackward0",
                lambda ctx, g: (g,))


def is_contiguous(t, *, memory_format=None):
    a = t._data
    if memory_format is not None and str(memory_format) in _CHANNELS_LAST:
        if a.ndim != _CHANNELS_LAST[str(memory_format)]:
            return False
        if a.size:
            return _is_channels_last(a)
        # NOTE: PyTorch judges an empty tensor by its strides here (not as its plain
        # ``is_contiguous``, which is True for any empty one): dims of size 1 are skipped
        expected = 1
        st = stride(t)
        for d in (1, *range(a.ndim - 1, 1, -1), 0):
            if a.shape[d] != 1:
                if st[d] != expected:
                    return False
                expected *= a.shape[d]
        return True
    if a.flags.c_contiguous or a.size == 0:
        return True
    # PyTorch ignores the strides of size-1 dimensions.
    expected = 1
    for s, st in zip(reversed(a.shape), reversed(a.strides)):
        if s != 1 and st // a.itemsize != expected:
            return False
        expected *= s
    return True


def stride(t, dim=None):
    a = t._data
    if a.size == 0:
        st = tuple(s // a.itemsize for s in a.strides)
        # NOTE: NumPy gives the empty arrays it makes zero strides: unless ``t`` is marked as
        # keeping them (an empty NumPy array's tensor), they stand for PyTorch's contiguous
        # ones.  Nonzero strides are kept: an empty view of memory (``x[:, :0]``) has the
        # strides of what it was sliced from, and an empty ``clone`` or ``empty_like`` has
        # its input's, as in PyTorch.
        if not any(st) and "_numpy_strides" not in t.__dict__ and (
                t._base is None or "_numpy_strides" not in t._base.__dict__) and \
                not _zero_strides_kept(_storage_root(t)):
            st, step = [], 1
            for size in reversed(a.shape):
                st.insert(0, step)
                step *= max(size, 1)
            st = tuple(st)
    else:
        st = tuple(s // a.itemsize for s in a.strides)
    if dim is None:
        return st
    if type(dim) is not int:
        from .._argparse import read_dim

        dim = read_dim(dim, "stride")
    return st[norm_dim(dim, t.ndim)]


# Empty NumPy arrays whose tensors report their zero strides (``from_numpy``'s), by id (an
# array is not hashable): found from any tensor on that memory, ``detach``'s included.
_ZERO_STRIDES_KEPT: dict = {}


def keep_zero_strides(arr) -> None:
    """Have tensors whose memory is empty array ``arr`` report its (zero) strides."""
    import weakref

    k = id(arr)

    def gone(ref):
        if _ZERO_STRIDES_KEPT.get(k) is ref:
            del _ZERO_STRIDES_KEPT[k]
    _ZERO_STRIDES_KEPT[k] = weakref.ref(arr, gone)


def _zero_strides_kept(root) -> bool:
    ref = _ZERO_STRIDES_KEPT.get(id(root))
    return ref is not None and ref() is root


def _storage_root(t):
    """The array holding the start of the memory ``t`` looks into."""
    root = t._base if t._base is not None else t
    return root.__dict__.get("_storage_root", root._data)


def storage_offset(t):
    # NOTE: NumPy does not move the data pointer of an empty slice, so empty views report the
    # offset of the tensor they were sliced from rather than PyTorch's (but for an empty
    # ``as_strided`` or ``set_`` past the end of the memory: its offset is kept).
    if not t._data.size:
        off = t.__dict__.get("_empty_offset")
        if off is not None:
            return off
    return (_ptr(t._data) - _ptr(_storage_root(t))) // t._data.itemsize


def _ptr(a):
    return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr


def data_ptr(t):
    # PyTorch reports 0 (no memory to point at) for tensors without elements.
    return _ptr(t._data) if t._data.size and t._device.type != "meta" else 0


def _keyword(args, name, value):
    """A shape-like argument given positionally (``*args``) or by its keyword ``name``."""
    if value is None:
        return args
    if args:
        raise TypeError(f"got multiple values for argument '{name}'")
    return (value,)


def _tensor_seq(tensors, name):
    """``tensors`` as a list; a single Tensor is refused as PyTorch does (iterating it along
    dim 0 would silently give a different result)."""
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        "not Tensor")
    tensors = list(tensors)
    tensor_list_items(tensors)
    if not tensors and name not in ("cat", "stack"):  # (those two have their own words)
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def tensor_list_items(tensors):
    """PyTorch's parser's refusal of an item of a list of tensors that is not one."""
    from ._core import tp_name

    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{tp_name(x)}")


def cat(tensors, dim=0, *, axis=None, out=None):
    if axis is not None:  # NumPy's name, which PyTorch accepts too
        dim = axis
    tensors = _tensor_seq(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
    for i, x in enumerate(tensors):
        if x.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    check_same_device(*tensors)
    # PyTorch skips 1-d empty tensors (legacy behaviour).
    parts = [x for x in tensors if not (x.ndim == 1 and x.shape[0] == 0)]
    # (NOTE: with nothing left, PyTorch returns the empty result without checking the dim)
    d = norm_dim(dim, parts[0].ndim) if parts else 0
    parts = parts or tensors[:1]
    ref = parts[0]
    for i, x in enumerate(parts):
        if x.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and "
                               f"{x.ndim}")
        for k in range(ref.ndim):
            if k != d and x.shape[k] != ref.shape[k]:
                if ref.is_meta:  # (PyTorch's meta kernel's words)
                    raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                       f"Expected {ref.shape[k]} in dimension {k} but got "
                                       f"{x.shape[k]} for tensor number {i} in the list")
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[k]} but got size {x.shape[k]} "
                                   f"for tensor number {i} in the list.")
    # The skipped empty tensors still take part in type promotion.
    dt = D.result_type(*[_as_dim(x) for x in tensors])
    xp = xp_of(ref)
    arr = _cat_layout(xp.concatenate([x._data.astype(dt.np, copy=False) for x in parts],
                                     axis=d), [x._data for x in tensors])
    kept = [not (x.ndim == 1 and x.shape[0] == 0) for x in tensors]
    if not any(kept):
        kept[0] = True
    sizes = [x.shape[d] for x in parts]

    def rule(ctx, g):
        # (PyTorch's: a narrow of the gradient per input, SliceBackward0 under create_graph;
        # the same views, made faster by ``split``, where no graph is recorded)
        if len(parts) < 2:
            grads = iter((g,))
        elif not _needs_grad((g,)):
            grads = iter(split(g, sizes, d))
        else:
            starts = np.cumsum([0] + sizes[:-1]).tolist()
            grads = iter([slice_(g, d, a, a + s) for a, s in zip(starts, sizes)])
        return tuple(next(grads) if k else g.new_zeros(x.shape)
                     for x, k in zip(tensors, kept))
    return make(arr, tuple(tensors), "CatBackward0", rule, laid=True)


def _cat_layout(arr, datas):
    """``arr``, the concatenation of arrays ``datas``, laid out as PyTorch's cat: channels-last
    when every input suggests it (``suggests_channels_last``: a 1 x C x H x W view of an
    H x W x C array does not), else contiguous (NumPy's follows a transposed input's order)."""
    if arr.ndim in (4, 5) and arr.size and all(suggests_channels_last(a) for a in datas):
        return arr if _is_channels_last(arr) and not arr.flags.c_contiguous else \
            _channels_last_copy(arr)
    return c_order(arr)


class _DimProxy:
    """Makes a 0-d tensor promote like a dimensioned one inside ``cat``."""

    __slots__ = ("dtype", "ndim")

    def __init__(self, d):
        self.dtype = d
        self.ndim = 1


def _as_dim(x):
    return _DimProxy(x.dtype)


concat = concatenate = cat


def stack(tensors, dim=0, *, axis=None, out=None):
    if axis is not None:
        dim = axis
    tensors = _tensor_seq(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    # The DataLoader's case (many samples of one dtype, shape and device): no per-item work.
    ref = tensors[0]
    if type(ref) is Tensor and dim == 0:
        d0, dev = ref._data, ref._device
        dt, shape = d0.dtype, d0.shape
        datas = []
        for x in tensors:
            if type(x) is not Tensor or x._device is not dev:
                break
            d = x._data
            if d.dtype is not dt or d.shape != shape:
                break
            datas.append(d)
        else:
            xp = xp_of(ref)
            # NOTE: for samples of one or more dims, one concatenate is twice as fast as stack
            # (PyTorch's: a cat along dim 0 split by a view, laid out as cat's)
            arr = _cat_layout(xp.concatenate(datas), datas).reshape((len(datas),) + shape) \
                if shape else xp.stack(datas)
            return make(arr, tuple(tensors), "StackBackward0",
                        lambda ctx, g: _stack_grads(g, 0, len(datas)), laid=True)
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
    ref = tensors[0]
    d = norm_dim(dim, ref.ndim + 1)  # (the dim is checked first, against the first tensor)
    for i, x in enumerate(tensors):
        if x.shape != ref.shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{_fmt(ref.shape)} at entry 0 and {_fmt(x.shape)} at entry {i}")
    check_same_device(*tensors)
    dt = D.result_type(*[_as_dim(x) for x in tensors])
    datas = [x._data.astype(dt.np, copy=False) for x in tensors]
    xp = xp_of(ref)
    if d < ref.ndim:  # (PyTorch's: a cat along ``d`` split by a view, laid out as cat's)
        shape = ref.shape[:d] + (len(datas),) + ref.shape[d:]
        arr = _cat_layout(xp.concatenate(datas, axis=d), datas).reshape(shape)
    else:  # (a cat of the inputs unsqueezed at the end: contiguous)
        arr = c_order(xp.stack(datas, axis=d))
    return make(arr, tuple(tensors), "StackBackward0",
                lambda ctx, g: _stack_grads(g, d, len(datas)), laid=True)


def _stack_grads(g, d, n):
    """``stack``'s backward: PyTorch's select of the gradient per input (SelectBackward0 under
    create_graph); the same views, made faster by ``unbind``, where no graph is recorded."""
    if not _needs_grad((g,)):
        return tuple(g.unbind(d))
    return tuple(select(g, d, i) for i in range(n))


def hstack(tensors):
    ts = [x if x.ndim else x.reshape(1) for x in _tensor_seq(tensors, "hstack")]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([x if x.ndim >= 2 else x.unsqueeze(0) if x.ndim else x.reshape(1, 1)
                for x in _tensor_seq(tensors, "vstack")], 0)


def flip(t, dims):
    dims = norm_dims(dims, t.ndim, True)
    a = t._data
    if a.dtype in D._WIDE_NP or a.dtype in D._ODD_NP:
        # NOTE: PyTorch's flip kernel lacks these dtypes (wide unsigned, float8, shells); it
        # copies them when there is nothing to flip, or by whole rows when the innermost
        # non-trivial dim (in memory) is not flipped and is contiguous
        work = a.size > 1 and any(a.shape[d] > 1 and a.strides[d] for d in dims)
        inner = [d for d in range(t.ndim) if a.shape[d] > 1]
        first = min(inner, key=lambda d: abs(a.strides[d])) if inner else None
        if work and (first in dims or abs(a.strides[first]) != a.itemsize):
            from .._float8 import refuse

            refuse(t, "flip_cpu")
    arr = empty_like_layout(a)  # (laid out as the input is, as PyTorch's)
    arr[...] = xp_of(t).flip(a, axis=dims) if dims and t.ndim else a
    return make(arr, (t,), "FlipBackward0", lambda ctx, g: (g.flip(dims),), laid=True)


def fliplr(t):
    if t.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(t, (1,))


def flipud(t):
    if t.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(t, (0,))


def roll(t, shifts, dims=None):
    def ints(a):
        return (operator.index(a),) if isinstance(a, (int, np.integer, Tensor)) else tuple(a)

    shifts_t = ints(shifts)
    dims = () if dims is None else ints(dims)
    if not shifts_t:
        raise RuntimeError("`shifts` required")
    if not dims:  # the flattened tensor rolled, as one RollBackward0 node
        if len(shifts_t) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts_t)}, "
                               "dims:0")
        shift = shifts_t[0]
        arr = xp_of(t).roll(t._data.reshape(-1), shift).reshape(t._data.shape)
        arr = c_order(arr)  # (PyTorch's result is contiguous)
        return make(arr, (t,), "RollBackward0", lambda ctx, g: (g.roll(-shift),), laid=True)
    dims_t = dims
    if len(shifts_t) != len(dims_t):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts_t)}, dims:"
                           f"{len(dims_t)}")
    if not t._data.size:  # (PyTorch's: a copy, its dims unchecked)
        return make(t._data.copy(), (t,), "RollBackward0", lambda ctx, g: (g.roll(
            tuple(-s for s in shifts_t), dims_t),), laid=True)
    if t.ndim == 0 and dims_t:
        raise IndexError(f"Dimension specified as {dims_t[0]} but tensor has no dimensions")
    dims_t = tuple(norm_dim(d, t.ndim) for d in dims_t)  # (a repeated dim rolls twice)
    arr = c_dense(xp_of(t).roll(t._data, shifts_t, axis=dims_t))
    # (PyTorch's rolls dim by dim, each a ``cat`` of two narrows, which keeps a channels-last
    # layout; a shift of a whole turn is a contiguous clone instead)
    whole = arr.ndim < 4 or any(s % arr.shape[d] == 0 for s, d in zip(shifts_t, dims_t))
    return make(arr, (t,), "RollBackward0",
                lambda ctx, g: (g.roll(tuple(-s for s in shifts_t), dims_t),), laid=whole)


def tril(t, diagonal=0):
    if t.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return make(c_order(xp_of(t).tril(t._data, diagonal)), (t,), "TrilBackward0",
                lambda ctx, g: (g.tril(diagonal),))


def triu(t, diagonal=0):
    if t.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return make(c_order(xp_of(t).triu(t._data, diagonal)), (t,), "TriuBackward0",
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
    """Put the last dim of ``t`` on the ``offset`` diagonal of new dims ``dim1``, ``dim2``."""
    from ..autograd.grad_mode import no_grad

    with no_grad():
        out = _diag_embed_plain(t, offset, dim1, dim2)
    # (the gradient is the diagonal view of the incoming one, strides and all, as PyTorch's)
    return make(out._data, (t,), "DiagEmbedBackward0",
                lambda ctx, g: (g.diagonal(offset, dim1, dim2),))


def _diag_embed_plain(t, offset, dim1, dim2):
    from .creation import zeros

    nd = t.ndim + 1
    d1, d2 = norm_dim(dim1, nd), norm_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = t.shape[-1] + abs(offset)
    shape = list(t.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    out = zeros(tuple(shape), dtype=t.dtype, device=t.device)  # (contiguous, as PyTorch's)
    out.diagonal(offset, d1, d2).copy_(t)
    return out


def repeat(t, *sizes, repeats=None):
    if not sizes and repeats is None:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    sizes = shape_arg(sizes if repeats is None else (repeats,), "repeat", "repeats")
    if len(sizes) < t.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    out_shape = tuple(r * s for r, s in zip(sizes, (1,) * (len(sizes) - t.ndim) + t.shape))
    for r in sizes:
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension "
                               f"{min(out_shape)}: {list(out_shape)}")
    lead = len(sizes) - t.ndim
    src = wrap(t._data.reshape((1,) * lead + tuple(t.shape)), t._device) if lead else t
    arr = c_dense(xp_of(t).tile(src._data, sizes))  # (NumPy's keeps a strided input's order)

    def rule(ctx, g):
        # As PyTorch's: zeros for a zero repeat; the new leading dims summed away one by
        # one, then each repeated dim folded into (repeats, size) and the repeats summed.
        if 0 in sizes:
            return (g.new_zeros(t.shape),)
        for _ in range(lead):
            g = g.sum(0)
        split_shape, sum_dims = [], []
        for r, s in zip(sizes[lead:], t.shape):
            if r != 1:
                sum_dims.append(len(split_shape))
                split_shape.append(r)
            split_shape.append(s)
        return (g.reshape(split_shape).sum(tuple(sum_dims)) if sum_dims else g,)
    return make(arr, (t,), "RepeatBackward0", rule)


def tile(t, *reps, dims=None):
    """``t`` repeated ``dims`` times per dim (``t.tile(2, 1)``, ``t.tile((2, 1))``)."""
    dims = shape_arg(reps if dims is None else (dims,), "tile", "dims")
    if len(dims) < t.ndim:
        dims = (1,) * (t.ndim - len(dims)) + dims
    return repeat(t, dims)


def repeat_interleave(t, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (along ``dim``, or of the flattened tensor) ``repeats`` times.

    ``repeat_interleave(counts)`` with an integer tensor alone gives ``i`` repeated
    ``counts[i]`` times.  ``output_size``, when given, must be the result's length; a
    ``repeats`` tensor on the meta device needs it (its values are unknown).
    """
    from .index import _idx_tensor, index_select

    if repeats is None:  # torch.repeat_interleave(repeats)
        reps = t
        if reps._device.type == "meta":  # (PyTorch's meta kernel checks nothing else)
            return _meta_repeats_index(reps, output_size, reps.dtype)
        if reps.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        _check_repeats(reps)
        idx = np.repeat(np.arange(reps.shape[0]), to_host(reps._data))
        _check_output_size(idx.shape[0], output_size, True)
        out = _idx_tensor(idx, reps)
        return out if reps.dtype is D.int64 else out.to(reps.dtype)  # (the repeats' dtype)
    if dim is None:
        t = t.flatten()
        dim = 0
    if isinstance(repeats, Tensor) and repeats.ndim <= 1 and not t.ndim:
        # (PyTorch's reads the size of dim ``dim`` of a 0-d tensor, unwrapped)
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = norm_dim(dim, t.ndim)
    n = t.shape[d] if t.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        k = repeats.numel()
        if k != 1 and k != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {k} and input.size({dim}) = {n}")
        if repeats._device.type == "meta":  # the output's size depends on unknown values
            return index_select(t, d, _meta_repeats_index(repeats, output_size, D.int64))
        _check_repeats(repeats)
        reps = to_host(repeats._data).reshape(-1)
        if k == 1:
            reps = reps[0]
        from_tensor = True
    else:
        reps = int(repeats)
        if reps < 0:
            raise RuntimeError("Repeats must be non-negative")
        from_tensor = False
    if not from_tensor:
        # as PyTorch: each entry broadcast ``reps`` times along a new dim, then merged (a
        # copy, even of one repeat)
        _check_output_size(n * reps, output_size, from_tensor)
        shape = tuple(t.shape)
        wide = expand(unsqueeze(t, d + 1), shape[:d + 1] + (reps,) + shape[d + 1:])
        return clone(wide, memory_format=contiguous_format).flatten(d, d + 1)
    idx = np.repeat(np.arange(n), reps)
    _check_output_size(idx.shape[0], output_size, from_tensor)
    return index_select(t, d, _idx_tensor(idx, t))


def _meta_repeats_index(reps, output_size, dtype):
    """The index a meta ``repeats`` tensor stands for: ``output_size`` long, no values."""
    if output_size is None:
        raise RuntimeError("cannot repeat_interleave a meta tensor without output_size")
    xp = xp_of(reps)
    return wrap(xp.empty((int(output_size),), dtype=dtype.np), reps._device)


def _check_output_size(total, output_size, from_tensor):
    if output_size is None or int(output_size) == total:
        return
    if from_tensor:  # (PyTorch's message when the counts come in a tensor)
        raise RuntimeError("allocated size does not match required size")
    raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {total} but got "
                       f"{int(output_size)}")


def _check_repeats(reps):
    if reps.dtype not in (D.int32, D.int64):  # (PyTorch's kernel has the index types only)
        from ._core import _legacy

        raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                  f"'{_legacy(reps.dtype)}'")
    if reps.numel() and int(reps._data.min()) < 0:
        raise RuntimeError("repeats can not be negative")


def _each(fn):
    """``fn`` also taking several tensors, or one list or tuple of them (a tuple back)."""
    import functools

    @functools.wraps(fn)
    def many(*tensors):
        if len(tensors) == 1 and not isinstance(tensors[0], (list, tuple)):
            if not isinstance(tensors[0], Tensor):
                from ._core import format_invalid_args

                raise TypeError(format_invalid_args(fn.__name__, tensors, {}, (
                    "(Tensor input)", "(tuple of Tensors tensors)")))
            return fn(tensors[0])
        if len(tensors) == 1:
            tensors = tensors[0]
        tensor_list_items(tensors)
        return tuple(fn(t) for t in tensors)
    return many


@_each
def atleast_1d(t):
    return t.reshape(1) if t.ndim == 0 else t


@_each
def atleast_2d(t):
    return t.reshape(1, 1) if t.ndim == 0 else t.unsqueeze(0) if t.ndim == 1 else t


storage_offset_of = storage_offset  # (``as_strided_view``'s argument hides the name)


def as_strided_view(t, size, stride, storage_offset=None):
    """A view of ``t``'s memory with any ``size`` and ``stride`` (in elements), starting
    ``storage_offset`` elements into the memory (``t``'s own offset by default)."""
    size, stride = [int(s) for s in size], [int(s) for s in stride]
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, "
                           f"got strides: {stride}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={size} and "
                           f"strides={stride}")
    root = _storage_root(t)
    item = t._data.itemsize
    if root.itemsize != item and root.flags.c_contiguous:  # (a view with another dtype, as
        root = root.reshape(-1).view(t._data.dtype)  # ``view_as_real``'s: in its elements)
    if not root.flags.c_contiguous and root.size and root.itemsize == item and \
            all(s >= 0 for s in root.strides):  # (memory laid out with gaps or overlaps, as
        # ``empty_strided``'s: it spans more or fewer elements than it shows)
        span = sum((n - 1) * s for n, s in zip(root.shape, root.strides)) // item + 1
        if span != root.size:
            root = _as_strided(root, (span,), (item,))
    off = storage_offset_of(t) if storage_offset is None else int(storage_offset)
    if off < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {off}")
    # (an empty view needs no storage, wherever it starts)
    need = 0 if 0 in size else off + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if need > root.size:
        raise RuntimeError(f"setStorage: sizes {size}, strides {stride}, storage offset {off}, "
                           f"and itemsize {item} requiring a storage size of {need * item} are "
                           f"out of bounds for storage of size {root.size * item}")
    flat = _as_strided(root, (root.size,), (item,))
    arr = _as_strided(flat[off:], size, [s * item for s in stride])
    in_shape, in_off = t.shape, storage_offset_of(t)
    in_strides = [s // item for s in t._data.strides]

    def rule(ctx, g):
        # every output element adds its gradient to the memory it reads; the input's
        # gradient is that memory read back through the input's own layout
        from .index import _add_at

        xp = xp_of_array(g._data)
        ids = xp.arange(root.size, dtype=xp.int64)  # each element's place in memory
        reads = _as_strided(ids[off:], size, [s * ids.itemsize for s in stride])
        mem = xp.zeros(root.size, dtype=g._data.dtype)
        _add_at(mem, reads.reshape(-1), g._data.reshape(-1))
        places = _as_strided(ids[in_off:], in_shape, [s * ids.itemsize for s in in_strides])
        count = None
        if _may_overlap(places):  # (as PyTorch's: an element the input shows k times gets
            # 1/k of its memory's gradient at each of its places)
            count = xp.maximum(xp.bincount(places.reshape(-1), minlength=root.size), 1)
            mem = mem / count.astype(mem.real.dtype)
        back = _as_strided(mem[in_off:], in_shape, [s * mem.itemsize for s in in_strides])
        from ._core import linear_grad

        def transpose(gg):  # gg written into memory through the input's layout, read as the view
            from .creation import zeros
            from .index import take

            mem2 = zeros(root.size, dtype=gg.dtype, device=gg.device).index_add(
                0, wrap(places.reshape(-1).copy(), gg._device), gg.reshape(-1))
            if count is not None:
                mem2 = mem2 / wrap(count.astype(mem.real.dtype), gg._device)
            return take(mem2, wrap(reads.copy(), gg._device))
        return (linear_grad(back.copy(), g, "AsStridedScatterBackward0", transpose),)
    fn = lambda x: as_strided_view(x, size, stride, off)
    out = make_view(arr, t, "AsStridedBackward0", rule, fn)
    if need == 0:
        mark_empty_view(out, off)
    return out


def mark_empty_view(t, offset):
    """Have empty ``t`` (made by ``as_strided`` or ``set_`` at ``offset`` into memory) report
    the strides it was given, zeros too, and ``offset`` (NumPy does not point an empty array
    there), as PyTorch does."""
    d = t.__dict__
    d["_numpy_strides"] = True
    d["_empty_offset"] = offset



def as_strided_(t, size, stride, storage_offset=None):
    """``t`` itself re-viewed with ``size`` and ``stride`` over its memory (see
    ``as_strided_view``); not for a tensor in a graph (ember records no such history)."""
    from ._core import check_inplace

    check_inplace(t)
    if STATE.enabled and t.requires_grad:
        raise RuntimeError("as_strided_ of a tensor that requires grad is not supported by "
                           "ember; use as_strided")
    root = _storage_root(t)
    view = as_strided_view(t.detach(), size, stride, storage_offset)
    holder = t._base if t._base is not None else t
    holder.__dict__["_storage_root"] = root  # (its own data is about to become the view)
    t._data = view._data
    t.__dict__.pop("_empty_offset", None)
    for key in ("_numpy_strides", "_empty_offset"):
        if key in view.__dict__:
            t.__dict__[key] = view.__dict__[key]
    t._vc.v += 1
    return t
