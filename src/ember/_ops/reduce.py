"""Reductions, scans and sorting."""
from __future__ import annotations
from ember._warnings import warn as _warn

import builtins
import math

import numpy as np

from .. import _dtype as D
from ..amp import autocast_mode as _amp
from ..return_types import make_return
from .._tensor import Tensor
from ..cuda import _kernels
from ._core import as_array, linear_grad, make, make_multi, norm_dim, norm_dims, wrap, xp_of
from ._core import mapped, refuse_dynamic
from ._core import xp_of_array as _xp
from ._core import OUT, c_dense, c_order, fused, fused_op, is_dense, quiet
from . import shape as _shape
from . import _cascade, _stl_select, _vml

_LOW = (D.float16, D.bfloat16)


def _dims(t, dim, in_order=False):
    """Normalised reduction dims (all of them for ``None``), accepting 0-d tensors
    (``in_order``: checked one after the other, see ``norm_dims``)."""
    if dim is None:
        return tuple(range(t.ndim))
    if isinstance(dim, Tensor):  # an integer 0-d tensor names one dim
        dim = int(dim)
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        return tuple(range(t.ndim))
    if t.ndim == 0:
        seen = set()
        for d in (dim,) if isinstance(dim, (int, np.integer)) else dim:
            d = norm_dim(d, 0)
            if d in seen:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
            seen.add(d)
        return ()
    return norm_dims(dim, t.ndim, in_order)


def _acc(t):
    """The array to reduce: float32 for half types, as PyTorch accumulates them."""
    a = t._data
    return a.astype(np.float32) if t.dtype in _LOW else a


def _fsum(a, axis, keepdims=False):
    """``a.sum(axis)``, except that a float32 sum of many elements along outer axes, which
    NumPy adds one row at a time (0.1 summed a million times gives 100958), accumulates in
    float64: as accurate as PyTorch's cascaded sums.  Sums NumPy does pairwise (the trailing
    axes of a contiguous array) and short ones stay in float32."""
    if a.dtype == np.float32 and type(a) is np.ndarray and _outer_sum(a, axis):
        return a.sum(axis=axis, keepdims=keepdims, dtype=np.float64).astype(np.float32)
    return a.sum(axis=axis, keepdims=keepdims)


def _exact_sum(a, axes, keepdims=False):
    """A CPU float32/float64 sum added in PyTorch's order (``_cascade``), so that it gives
    PyTorch's bits; anything else as NumPy sums it (``_fsum``)."""
    if type(a) is np.ndarray and a.dtype in _SUMMED:
        out = _c_order(_cascade.cascade_sum(a, axes))
        return out.reshape(_keep_shape(a.shape, axes)) if keepdims else out
    return _c_order(_fsum(a, axes, keepdims))


def _c_order(arr):
    """A reduction's result laid out as PyTorch's: a new contiguous tensor (strides in C order,
    its size-1 dims' too), whatever layout NumPy's loop left."""
    return c_dense(arr) if type(arr) is np.ndarray and arr.ndim else arr
    stride = arr.itemsize
    for n, st in zip(reversed(arr.shape), reversed(arr.strides)):
        if st != stride:
            return arr.copy()
        stride *= n
    return arr


_CASCADED = (np.dtype(np.float32), np.dtype(np.float64))
# (complex sums too: PyTorch's kernel adds the real and imaginary parts lane by lane, a vector
# holding 32 bytes of complex numbers, in the same cascade: ``_cascade`` with complex adds)
_SUMMED = _CASCADED + (np.dtype(np.complex64), np.dtype(np.complex128))


def _outer_sum(a, axis):
    axes = tuple(range(a.ndim)) if axis is None else \
        tuple(d % a.ndim for d in ((axis,) if isinstance(axis, int) else axis))
    n = 1
    for d in axes:
        n *= a.shape[d]
    if n <= 64:
        return False
    trailing = sorted(axes) == list(range(a.ndim - len(axes), a.ndim))
    return not (trailing and a.flags.c_contiguous)


def _keep_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _expand_back(g, shape, dims, keepdim):
    """Undo a reduction's shape change on its gradient."""
    if not keepdim and dims:
        g = g.reshape(_keep_shape(shape, dims))
    return g.expand(shape)


def _out_dtype(t, dtype):
    """sum/prod/cumsum: integers and bools accumulate as int64 unless ``dtype`` says otherwise."""
    if dtype is not None:
        return D.to_dtype(dtype)
    return D.int64 if t.dtype._kind < 2 else t.dtype


def _no_complex(t, exc, msg):
    """PyTorch's refusal of an ordering op (max, sort, ...) for complex input (and, for
    the kernels it names, for float8 and shell input)."""
    if t._data.dtype.kind == "c" or exc is NotImplementedError and t._data.dtype in D._ODD_NP:
        raise exc(msg.replace("{}", _legacy(t.dtype)))


def sum(t, dim=None, keepdim=False, *, dtype=None):
    if _amp.ON and dtype is None:  # (float32 under CUDA autocast, as PyTorch's)
        t = _amp.cuda_fp32(t)
    out_dt = _out_dtype(t, dtype)
    if dtype is not None:
        if out_dt is not t.dtype and t.requires_grad:
            # PyTorch casts inside the op: the sum's node alone shows, no ToCopyBackward0
            return fused(None, lambda x: sum(x.to(out_dt), dim, keepdim), t)
        t = t.to(out_dt)
    shape = t._data.shape
    if dim is None and keepdim:  # every dim, each kept with size 1
        dim = tuple(range(t.ndim))
    if dim is None:  # the common full reduction (every loss), kept lean
        d = _acc(t)
        with quiet:  # inf + -inf is a silent nan
            arr = d.sum(dtype=D.int64.np) if out_dt is D.int64 else \
                _exact_sum(d, tuple(range(d.ndim))) if d.dtype in _SUMMED else \
                d.sum() if d.flags.c_contiguous else _fsum(d, None)
            if type(arr) is not type(d) or arr.dtype != out_dt.np:  # NumPy gives a scalar
                arr = xp_of(t).asarray(arr, dtype=out_dt.np)  # (overflow: a silent inf)
        return make(arr, (t,), "SumBackward0", _sum_all_rule)
    dims = _dims(t, dim)
    d = _acc(t)
    arr = None
    if type(d) is not np.ndarray and d.dtype == out_dt.np:  # a GPU's float sum
        arr = _kernels.for_array(d).leading_sum(d, dims)
        if arr is not None and keepdim:
            arr = arr.reshape(_keep_shape(shape, dims))
    if arr is None:
        with quiet:
            arr = d.sum(axis=dims, keepdims=keepdim, dtype=D.int64.np) if out_dt is D.int64 \
                else _exact_sum(d, dims, keepdim)
            arr = xp_of(t).asarray(arr).astype(out_dt.np, copy=False)
    return make(arr, (t,), "SumBackward1", lambda ctx, g: (_expand_back(g, shape, dims, keepdim),))


def _sum_all_rule(ctx, g):
    return (_shape.expand_0d(g, ctx._meta[0][0]),)


def nansum(t, dim=None, keepdim=False, *, dtype=None):
    _no_complex(t, RuntimeError, "nansum on CPU does not support complex inputs")
    dims = _dims(t, dim, True)
    if not t.dtype.is_floating_point:
        return sum(t, dim, keepdim, dtype=dtype)
    if dtype is not None and D.to_dtype(dtype).is_complex:  # (the kernel's dispatch)
        raise NotImplementedError(f"\"nansum_cpu\" not implemented for "
                                  f"'{_legacy(D.to_dtype(dtype))}'")
    out = sum(wrap(np.where(np.isnan(t._data), 0, t._data).astype(t._data.dtype), t._device),
              dim, keepdim, dtype=dtype)
    shape = t.shape

    def rule(ctx, g):
        x, = ctx.saved
        e = _expand_back(g, shape, dims, keepdim)
        # (PyTorch's formula: a product with "not NaN", so an inf gradient there gives NaN)
        from .pointwise import times_mask
        with quiet:
            return (times_mask(e, (x._data == x._data).astype(e._data.dtype)),)
    return make(out._data, (t,), "NansumBackward0", rule, t)


def mean(t, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        if D.to_dtype(dtype) is not t.dtype and t.requires_grad:  # (as ``sum``)
            return fused(None, lambda x: mean(x.to(D.to_dtype(dtype)), dim, keepdim), t)
        t = t.to(D.to_dtype(dtype))
    if t.dtype._kind < 2:
        which = "Input" if dtype is None else "Optional"
        raise RuntimeError(f"mean(): could not infer output dtype. {which} dtype must be either "
                           "a floating point or complex dtype. Got: " + _legacy(t.dtype))
    dims = _dims(t, dim)
    n = 1
    for d in dims:
        n *= t.shape[d]
    a = _acc(t)
    # (an empty mean is 0 / 0, as PyTorch's: x86's NaN, its sign bit set; bfloat16's
    # conversion of a NaN gives the positive one)
    with quiet:
        arr = _exact_sum(a, dims, keepdim) / a.dtype.type(n) if n else \
            xp_of(t).full(_reduced(t.shape, dims, keepdim), complex(-np.nan, -np.nan)
                          if t.dtype.is_complex else np.nan if t.dtype is D.bfloat16 else
                          -np.nan)
    arr = xp_of(t).asarray(arr).astype(t.dtype.np, copy=False)
    name = "MeanBackward0" if dim is None else "MeanBackward1"
    shape = t.shape
    # (divided after the expand, as PyTorch's: the gradient comes out dense, not broadcast)
    def rule(ctx, g):
        def vjp(g):  # (``div.Scalar``: PyTorch's DivBackward1 under create_graph)
            from .pointwise import div_scalar

            return div_scalar(_expand_back(g, shape, dims, keepdim), builtins.max(n, 1))
        from ..autograd import forward_ad as fw

        if fw.pushing():  # (forward mode's tangent: PyTorch's, the mean of the tangent)
            return (fw.push_node(g, vjp, lambda tt: mean(tt, dim, keepdim)),)
        return (vjp(g),)
    return make(arr, (t,), name, rule)


def nanmean(t, dim=None, keepdim=False, *, dtype=None):
    if not (t.dtype.is_floating_point or t.dtype.is_complex):  # even with a float dtype=
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_legacy(t.dtype)}")
    if dtype is not None:
        dt = D.to_dtype(dtype)
        if not (dt.is_floating_point or dt.is_complex):
            raise RuntimeError("nanmean(): could not infer output dtype. Optional dtype must be "
                               "either a floating point or complex dtype. Got: " + _legacy(dt))
        if dt.is_complex:  # (as PyTorch's nansum refuses it, the input's check first)
            _no_complex(t, RuntimeError, "nansum on CPU does not support complex inputs")
            raise NotImplementedError(f"\"nansum_cpu\" not implemented for '{_legacy(dt)}'")
        t = t.to(dt)
    _no_complex(t, RuntimeError, "nansum on CPU does not support complex inputs")
    if not t.dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_legacy(t.dtype)}")
    notnan = t.isnan().logical_not()
    count = notnan.sum(dim, keepdim)  # (first, as PyTorch's: a dim out of range before a twice)
    return nansum(t, dim, keepdim) / count


def _reduced(shape, dims, keepdim):
    return tuple(1 if i in dims else s for i, s in enumerate(shape) if keepdim or i not in dims)


def _legacy(dt):
    from ._core import _legacy as f

    return f(dt)


def prod(t, dim=None, keepdim=False, *, dtype=None):
    from ..amp import autocast_mode as amp
    if amp.ON:  # prod runs in float32 under autocast, as PyTorch's
        t = amp.fp32_cast(t)
    out_dt = _out_dtype(t, dtype)
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    if dtype is not None:
        if out_dt is not t.dtype and t.requires_grad:
            # PyTorch casts inside the op: the product's node alone shows, no ToCopyBackward0
            return fused(None, lambda x: prod(x.to(out_dt), dim, keepdim), t)
        t = t.to(out_dt)
    dims = _dims(t, dim)
    with quiet:
        arr = _ordered_prod(t._data, dim, dims, keepdim)
        if arr is None:
            arr = xp_of(t).asarray(_acc(t).prod(axis=dims, keepdims=keepdim,
                                                dtype=np.int64 if out_dt is D.int64 else None))
        arr = arr.astype(out_dt.np, copy=False)

    def rule(ctx, g):
        # d prod / d x_i is the product of the other elements.  NOTE: as in PyTorch, that is
        # out / x_i when the input holds no zero at all; otherwise it is computed without
        # division (exclusive products from both ends), and a full product with two or more
        # zeros has a zero gradient everywhere (whatever NaNs or infs it holds).
        # (written for complex values too: PyTorch's ``grad * conj(d)``, signed zeros and all)
        x, out = ctx.saved
        if not x.ndim:
            return (g,)
        gk = _expand_back(g, x.shape, dims, keepdim)
        zero = x._data == 0
        if not zero.any():  # (PyTorch's order)
            return (gk * _conj_of(_expand_back(out, x.shape, dims, keepdim) / x),)
        if _grad_on():  # create_graph: the same values from differentiable ops
            return (gk * _conj_of(_prod_others(x, dim)),)
        if dim is None and np.count_nonzero(zero) > 1:  # (PyTorch's zeros_like: all +0)
            return (wrap(_xp(x._data).zeros(x.shape, x._data.dtype), g._device),)
        xs = x._data.reshape(-1) if dim is None else x._data
        d = 0 if dim is None else dims[0]
        with quiet:
            others = _exclusive_prod(xs, d).reshape(x.shape)
        return (gk * _conj_of(wrap(others, g._device)),)
    rule.complex_ready = True
    name = "ProdBackward0" if dim is None else "ProdBackward1"
    return make(arr, (t,), name, rule, t, _OUT)


from ._core import OUT as _OUT  # noqa: E402


def _conj_of(t):
    from .complex import conj_physical

    return conj_physical(t) if t.dtype.is_complex else t


def _ordered_prod(a, dim, dims, keepdim):
    """A float CPU product multiplied in PyTorch's order (``_reduce_orders``): float16 and
    bfloat16 ones rounded to their type after every product, as PyTorch's vectors do;
    ``None`` for other arrays."""
    if type(a) is not np.ndarray or a.size == 0 or not a.ndim or not (
            a.dtype in _CASCADED or a.dtype == np.float16 or a.dtype.name == "bfloat16"):
        return None
    from . import _reduce_orders as R

    if dim is None:
        out = np.asarray(R.reduce_all(a, np.multiply, 1), a.dtype)
    elif a.shape[dims[0]] == 1:
        out = np.squeeze(a, dims[0]) * a.dtype.type(1)
    elif a.size == a.shape[dims[0]]:
        # one output (a 1-D tensor's ``prod(0)``): PyTorch's two-pass reduction over its
        # threads, as a whole-tensor product
        out = np.asarray(R.reduce_all(a, np.multiply, 1), a.dtype).reshape(
            tuple(s for i, s in enumerate(a.shape) if i != dims[0]))
    else:
        # (contiguous, as PyTorch's, not laid out as the ordered loop left it)
        out = _c_order(R.reduce_dim(a, dims[0], np.multiply))
    return out.reshape(_keep_shape(a.shape, dims)) if keepdim else out


def _grad_on():
    from ..autograd.grad_mode import STATE

    return STATE.enabled


def _prod_others(x, dim):
    """``_exclusive_prod`` from ops that record a graph (for a create_graph backward)."""
    from .creation import ones_like
    from .shape import cat

    flat = x.reshape(-1) if dim is None else x
    d = 0 if dim is None else norm_dim(dim, x.ndim)
    n = flat.shape[d]
    one = ones_like(flat.narrow(d, 0, 1))
    left = cat([one, flat.narrow(d, 0, n - 1)], d).cumprod(d)
    right = cat([one, flat.flip(d).narrow(d, 0, n - 1)], d).cumprod(d).flip(d)
    return (left * right).reshape(x.shape)


def _exclusive_prod(a, d):
    """For each element, the product of all the others along ``d`` (no division)."""
    a = np.moveaxis(a, d, -1)
    one = _xp(a).ones(a.shape[:-1] + (1,), dtype=a.dtype)
    left = np.cumprod(np.concatenate([one, a[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([one, a[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis(left * right, -1, d)


def _check_nonempty(t, name, dim):
    if t.numel() == 0 and dim is None:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")


def _even_rule(dims, keepdim, nan_aware=True):
    """Gradient of max/min/amax/amin: shared evenly between tied extremes (as PyTorch).

    NOTE: for a NaN result, max()/min() share it between the NaNs, while amax/amin compare
    with ``==`` only and so give NaN gradients (0/0), as PyTorch does.
    """
    def rule(ctx, g):
        x, out = ctx.saved[:2]
        ok = _expand_back(out, x.shape, dims, keepdim)
        mask = x.eq(ok)
        if nan_aware and x.dtype.is_floating_point:  # a NaN result came from the NaNs
            mask = mask | (x.isnan() & ok.isnan())
        weight = mask.to(g.dtype)
        if nan_aware and len(dims) == x.ndim and not keepdim:
            # (max()/min(), as PyTorch's: zeros with ``g / count`` filled in at the extremes,
            # MaskedFillBackward1 under create_graph; the others get +0)
            return (g.new_zeros(x.shape).masked_fill(mask, g / weight.sum()),)
        count = _expand_back(weight.sum(dims, True) if dims else weight, x.shape, dims, True)
        share = _expand_back(g, x.shape, dims, keepdim) / count
        if nan_aware:  # NOTE: max()/min() select (the others get +0); amax/amin multiply (-0)
            from .pointwise import keep_where
            return (keep_where(share, mask._data),)
        return (share * weight,)
    return rule


def _int_dim(name, dim):
    """PyTorch's TypeError for a dim that is not one int (a tuple or list) where the op
    reduces over a single dim."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")


def _extreme(t, dim, keepdim, fn, argfn, name):
    _int_dim(name, dim)
    if dim is None:  # (the emptiness checks come before the dtype's, as PyTorch's)
        _check_nonempty(t, name, None)
        _no_complex(t, NotImplementedError, f'"{name}_all" not implemented for \'{{}}\'')
    elif not isinstance(dim, Tensor):
        d = norm_dim(dim, t.ndim)
        if t.ndim and t.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        _no_complex(t, RuntimeError, f"{name}(): does not support complex input")
    if dim is None:
        arr = xp_of(t).asarray(fn(t._data))
        if t.numel() != 1:  # (one element: a copy of it, its NaN as it is)
            arr = _zero_tie(t._data, _all_reduce_nan(arr, t.dtype), False)
        return make(arr, (t,), name.capitalize() + "Backward1",
                    _even_rule(tuple(range(t.ndim)), False), t, _OUT)
    if isinstance(dim, Tensor):
        return maximum_like(t, dim, name)
    d = norm_dim(dim, t.ndim)
    if t.ndim and t.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    a = t._data if t.ndim else t._data.reshape(1)
    idx = _nan_arg(a, d, argfn)
    vals = np.take_along_axis(a, np.expand_dims(idx, d), axis=d)
    if not keepdim or not t.ndim:
        vals = vals.squeeze(d) if t.ndim else vals.reshape(())
    else:
        idx = np.expand_dims(idx, d)
    if not t.ndim:
        idx = idx.reshape(())
    idx_arr = idx.astype(np.int64)
    shape = t.shape

    def rule(ctx, gv, gi):
        return (_scatter_back(gv, shape, d, idx_arr, keepdim),)
    values, indices = make_multi((vals, idx_arr), (t,), name.capitalize() + "Backward0", rule,
                                 differentiable=(True, False), keep_index=True)
    return make_return(name, values, indices)


def maximum_like(t, other, name):
    from .pointwise import maximum, minimum

    return maximum(t, other) if name == "max" else minimum(t, other)


def _nan_arg(a, d, argfn):
    """Index of the extreme along ``d``; NaN wins, as in PyTorch."""
    if a.dtype.kind == "f" or a.dtype == np.float16:
        nan = np.isnan(a)
        # (on a GPU the NaN pick is always made, rather than asking the host first)
        if type(a) is not np.ndarray or nan.any():
            return np.where(nan.any(axis=d), np.argmax(nan, axis=d), argfn(a, axis=d))
    return argfn(a, axis=d)


def _scatter_back(g, shape, d, idx, keepdim):
    """The input's gradient of a value-selecting reduction (max/min/sort/topk/median along
    ``d``): ``g`` put back at ``idx``, zeros elsewhere."""
    if not shape:
        return linear_grad(g._data.reshape(()).copy(), g, "ViewBackward0",
                           lambda gg: gg.reshape(g.shape))
    gb = xp_of(g).zeros(shape, dtype=g._data.dtype)
    i = idx if keepdim else np.expand_dims(idx, d)
    gv = g._data if keepdim else np.expand_dims(g._data, d)
    np.put_along_axis(gb, i, gv, axis=d)
    return linear_grad(gb, g, "ScatterBackward0", lambda gg: _gather_back(gg, d, i, keepdim))


def _gather_back(gg, d, i, keepdim):
    """The transpose of ``_scatter_back``: the entries at ``i`` along ``d`` (differentiable)."""
    from .index import gather

    out = gather(gg, d, wrap(np.ascontiguousarray(i), gg._device))
    return out if keepdim else out.squeeze(d)


def max(t, dim=None, keepdim=False, *, other=None):
    # (``other=``: PyTorch's keyword for the tensor of its binary form, ``max(t, other)``)
    return _extreme(t, dim if other is None else other, keepdim, np.max, np.argmax, "max")


def min(t, dim=None, keepdim=False, *, other=None):
    return _extreme(t, dim if other is None else other, keepdim, np.min, np.argmin, "min")


def _given_dims(dim, dims):
    """The dims as the caller gave them (``dims``: their wrapped values), for messages."""
    if isinstance(dim, (tuple, list)) and len(dim) == len(dims):
        return [int(d) for d in dim]
    if isinstance(dim, (int, np.integer)) and len(dims) == 1:
        return [int(dim)]
    return list(dims)


def _all_reduce_nan(arr, dtype):
    """The NaN that PyTorch's CPU max()/min()/aminmax() without a dim give: every bit set
    for float32/float64 (its vector kernel's NaN mask), the positive quiet NaN for bfloat16,
    the input's own for float16."""
    if type(arr) is not np.ndarray or (arr.item() == arr.item() if not arr.ndim else
                                       not np.isnan(arr).any()):
        return arr
    if dtype in (D.float32, D.float64):
        ones = np.full(arr.shape, -1, np.int32 if dtype is D.float32 else np.int64)
        return np.where(np.isnan(arr), ones.view(arr.dtype), arr)
    if dtype is D.bfloat16:
        return np.where(np.isnan(arr), np.array(np.nan, arr.dtype), arr)
    return arr


# Which of the tied zeros PyTorch's float32/float64 all-reduce kernels return (both signs
# present), as measured: 8 float32 or 4 float64 lanes.  ``max()``/``min()`` go through
# whole vectors (a later one wins; between lanes, this order), the values past the last
# one joining the lanes (fewer values than lanes: the last zero wins); ``amax``/``amin``
# through blocks of four
# vectors, one accumulator each (lane 0 first, then the last accumulator, then the later
# block), then the scalar tail (after the blocks, an earlier element winning).
_LANE_RANK = {4: np.array([0, 1, 2, 3]), 8: np.array([0, 4, 2, 6, 1, 5, 3, 7])}


def _zero_tie(data, arr, blocks):
    """The extremes ``arr`` of the array ``data`` reduced over its trailing dims (one value
    a row, in order), with the sign of zero that PyTorch's kernel gives where it is a tie of
    +0.0 and -0.0."""
    if type(data) is not np.ndarray or data.dtype not in (np.float32, np.float64) and (
            blocks or data.dtype.name not in ("float16", "bfloat16")) or \
            blocks and not data.flags.c_contiguous or not arr.size or \
            (arr.item() != 0 if not arr.ndim else arr.all()):
        return arr
    # (max()/min() of a strided tensor: as of its contiguous copy, as PyTorch's)
    rows = np.ascontiguousarray(data).reshape(arr.size, -1)
    out = np.array(arr)
    res = out.reshape(-1)
    zero = res == 0
    neg = np.signbit(rows)
    mixed = zero & (neg & (rows == 0)).any(axis=1) & (~neg & (rows == 0)).any(axis=1)
    for r in np.nonzero(mixed)[0]:  # (rows whose extreme is a zero of both signs)
        res[r] = _zero_pick(rows[r], blocks)
    return out


# NOTE: the half types' max()/min() go through 16 lanes whose order between lanes is this
# one; fewer than 16 values through 8 lanes in order.  In every type the values past the
# last whole vector join the lanes (as one more, partial vector), a later one winning.
_HALF_RANK = np.array([0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15])


def _zero_pick(flat, blocks):
    idx = np.nonzero(flat == 0)[0]
    n, lanes = flat.size, 32 // flat.itemsize
    if not blocks:
        rank = _LANE_RANK.get(lanes)
        if lanes == 16:
            lanes, rank = (16, _HALF_RANK) if n >= 16 else (8, np.arange(8))
        key = rank[idx % lanes] * np.int64(n // lanes + 1) + idx // lanes if n >= lanes else idx
        return flat[idx[np.argmax(key)]]
    lane = idx % lanes
    whole = n - n % (4 * lanes)
    nb = np.int64(whole // (4 * lanes))
    key = np.where(idx < whole, ((lanes - 1 - lane) * 4 + idx % (4 * lanes) // lanes) * nb
                   + idx // (4 * lanes), -1 - idx)
    return flat[idx[np.argmax(key)]]


def _reduce_loop(shape, strides, red):
    """The loop PyTorch's TensorIterator makes of a reduction: (size, input stride, reduced)
    a dim, innermost first -- reduced dims first (by input stride), then the kept ones (by
    the contiguous output's strides), then adjacent dims merged where both operands allow."""
    dims = [d for d in range(len(shape)) if shape[d] != 1][::-1]
    ostr, acc = {}, 1
    for d in dims:  # (innermost first: the output is contiguous over the kept dims)
        ostr[d] = 0 if d in red else acc
        acc *= 1 if d in red else shape[d]

    def swap(a, b):  # (> 0: ``b`` goes inside ``a``)
        if (ostr[a] == 0) != (ostr[b] == 0):
            return 1 if ostr[b] == 0 else -1
        for sa, sb in ((ostr[a], ostr[b]), (strides[a], strides[b])):
            if sa == 0 or sb == 0:
                continue
            if sa != sb:
                return -1 if sa < sb else 1
            if shape[a] > shape[b]:
                return 1
        return 0
    dims = _cascade.iterator_sort(dims, swap)
    out = []
    for d in dims:
        if out and out[-1][0] * out[-1][1] == strides[d] and \
                out[-1][0] * out[-1][3] == ostr[d]:
            out[-1][0] *= shape[d]
        else:
            out.append([shape[d], strides[d], d in red, ostr[d]])
    return [tuple(o[:3]) for o in out]


def _zero_tie_dims(data, arr, dims):
    """``_zero_tie`` for a reduction over any ``dims`` of a strided array: the sign of a
    tie of +0.0 and -0.0 as PyTorch's serial CPU kernel gives it.

    NOTE: inside the kernel a row reduced along contiguous memory goes through
    ``_zero_pick``'s blocks; columns reduced down an outer dim go four vectors at a time
    (the later zero kept) with the columns past the last whole block taken one by one (the
    earlier zero kept); every other loop keeps the first zero met, as does combining a
    result with the output's earlier one."""
    if type(data) is not np.ndarray or np.count_nonzero(arr) == arr.size or \
            data.dtype.kind == "c" or \
            builtins.any(s < 0 or s % data.itemsize for s in data.strides):
        return arr  # (the common case: no zero result, no tie to settle)
    red = set(dims)
    zero = data == 0
    neg = np.signbit(data) & zero
    kept = [d for d in range(data.ndim) if d not in red]
    mixed = (neg.any(axis=tuple(red)) & (zero & ~neg).any(axis=tuple(red))).reshape(-1)
    res = np.array(arr).reshape(-1)
    mixed &= res == 0
    if not mixed.any():
        return arr
    loop = _reduce_loop(data.shape, [s // data.itemsize for s in data.strides], red)
    lanes = 32 // data.itemsize
    # the reduced elements of each output in the kernel's order (innermost dim last)
    rows = data.transpose(kept + _red_order(data, red)).reshape(res.size, -1)
    n0, inner = loop[0][0], loop[0][2] and loop[0][1] == 1
    outer = len(loop) > 1 and loop[0][2] and not loop[1][2] and loop[1][1] == 1
    width = (loop[1][0] // (4 * lanes)) * 4 * lanes if outer else 0
    for r in np.nonzero(mixed)[0]:
        flat = rows[r]
        if inner:  # (each contiguous run through the blocks; the first run with a zero)
            seg = flat.reshape(-1, n0)
            res[r] = _zero_pick(seg[np.nonzero((seg == 0).any(axis=1))[0][0]], True)
        else:
            at = np.nonzero(flat == 0)[0]
            res[r] = flat[at[-1] if outer and r % loop[1][0] < width else at[0]]
    return res.reshape(arr.shape)


def _red_order(data, red):
    """The reduced axes of ``data`` outermost first, in the order the kernel's loop takes them."""
    return sorted([d for d in range(data.ndim) if d in red],
                  key=lambda d: (data.shape[d] != 1, -data.strides[d], -d))


def _amax(t, dim, keepdim, fn, name):
    if t.numel() == 0 and (dim is None or dim == () or dim == []):
        _check_nonempty(t, name, None)
    dims = _dims(t, dim)
    for d, given in zip(dims, _given_dims(dim, dims)):
        if t.shape[d] == 0:  # (PyTorch names the dim as it was given)
            raise IndexError(f"{name}(): Expected reduction dim {given} to have non-zero size.")
    if t.numel():  # (an empty result runs no kernel, so no dtype check)
        _no_complex(t, NotImplementedError,
                    f'"{name[1:]}_values_cpu" not implemented for \'{{}}\'')
    arr = c_dense(xp_of(t).asarray(fn(t._data, axis=dims, keepdims=keepdim)))  # (NumPy's
    # result follows a strided input's order; PyTorch's is contiguous)
    if type(arr) is np.ndarray and t.dtype.is_floating_point:  # (NaN: the positive quiet one)
        arr = np.where(np.isnan(arr), np.array(np.nan, arr.dtype), arr)
        if dims and sorted(dims) == list(range(t.ndim - len(dims), t.ndim)) and \
                t._data.flags.c_contiguous and t._data.dtype in (np.float32, np.float64):
            arr = _zero_tie(t._data, arr, True)  # (an inner reduction: each row's)
        elif dims and t.numel() < 32768:  # (PyTorch's serial kernel; a larger one is split)
            arr = _zero_tie_dims(t._data, arr, dims)
    return make(arr, (t,), name.capitalize() + "Backward0", _even_rule(dims, keepdim, False), t,
                _OUT, _shown_dims(dim), bool(keepdim))


def _shown_dims(dim):
    """The dims a reduction was given, as PyTorch's node keeps them (``_saved_dim``): a tuple,
    each negative one read back as an unsigned 64-bit number (-1 is 2**64 - 1)."""
    if dim is None:
        return ()
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    return tuple([d + 2 ** 64 if type(d) is int and d < 0 else d for d in dims])


def amax(t, dim=(), keepdim=False):
    return _amax(t, dim, keepdim, np.max, "amax")


def amin(t, dim=(), keepdim=False):
    return _amax(t, dim, keepdim, np.min, "amin")


@fused_op("AminmaxBackward0", keep=(0, OUT))  # (as PyTorch's: self, min, ...)
def aminmax(t, *, dim=None, keepdim=False):
    _int_dim("aminmax", dim)
    if t.numel() == 0 and dim is not None and t.ndim and t.shape[norm_dim(dim, t.ndim)] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {norm_dim(dim, t.ndim)} to have "
                         "non-zero size.")
    if t.numel() == 0 and (dim is None or t.shape[norm_dim(dim, t.ndim)] == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if dim is not None and t.ndim == 0:  # (PyTorch's 0-d path has its own words)
        norm_dim(dim, 0)
        _no_complex(t, RuntimeError, "aminmax not implemented for {}")
    if dim is not None:
        norm_dim(dim, t.ndim)  # (before the dtype's refusal, as PyTorch)
    _no_complex(t, NotImplementedError, "\"aminmax_cpu\" not implemented for '{}'")
    from .._float8 import refuse

    refuse(t, "aminmax_cpu")
    lo, hi = amin(t, dim if dim is not None else (), keepdim), \
        amax(t, dim if dim is not None else (), keepdim)
    if t.dtype.is_floating_point and type(t._data) is np.ndarray:  # (NaN bits as max/min's)
        if dim is None:  # (the all-reduce kernel's)
            lo_, hi_ = min(t.detach()), max(t.detach())
        else:  # (the input's own NaN)
            lo_, hi_ = min(t.detach(), dim, keepdim).values, max(t.detach(), dim, keepdim).values
        lo._data = lo_._data.reshape(lo._data.shape)
        hi._data = hi_._data.reshape(hi._data.shape)
    return make_return("aminmax", lo, hi, names=("min", "max"))


def _arg(t, dim, keepdim, argfn, name):
    _int_dim(name, dim)
    _no_complex(t, RuntimeError, f"{name}(): does not support complex input")
    if t.dtype is D.bool:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if t.numel() == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        idx = _nan_arg(t._data.reshape(-1), 0, argfn)
        arr = as_array(idx).astype(np.int64, copy=False)
        if keepdim:
            arr = arr.reshape((1,) * t.ndim)
        return mapped(wrap(arr, t._device), t)
    d = norm_dim(dim, t.ndim)
    a = t._data if t.ndim else t._data.reshape(1)
    if a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    idx = _nan_arg(a, d, argfn).astype(np.int64)
    if keepdim and t.ndim:
        idx = np.expand_dims(idx, d)
    return mapped(wrap(idx.reshape(()) if not t.ndim else idx, t._device), t)


def argmax(t, dim=None, keepdim=False):
    from .._float8 import refuse

    if t.numel() or t.dtype not in D._WIDE_UNSIGNED:  # (empty: its dims' errors, no kernel)
        refuse(t, "argmax_cpu")
    return _arg(t, dim, keepdim, np.argmax, "argmax")


def argmin(t, dim=None, keepdim=False):
    from .._float8 import refuse

    if t.numel() or t.dtype not in D._WIDE_UNSIGNED:  # (empty: its dims' errors, no kernel)
        refuse(t, "argmin_cpu")
    return _arg(t, dim, keepdim, np.argmin, "argmin")


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _var_args(dim, unbiased, keepdim, correction):
    # torch.var(x, True) means unbiased; torch.var(x, 0) means dim 0.
    if isinstance(dim, bool):
        return None, dim, keepdim, correction
    return dim, unbiased, keepdim, correction


def _dof_warning(name, n, c):
    if n - c <= 0:

        _warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
              "than the reduction factor (input numel divided by output numel).",
              cpp="aten/src/ATen/native/ReduceOps.cpp:1861")


def _variance(t, dims, n, c, keepdim):
    """(variance, mean) over ``dims``.  PyTorch's CPU kernel accumulates float32 input's
    Welford sums in double, so on the CPU those are computed two-pass in float64, which
    rounds to PyTorch's bits (float64 input's Welford sums: ``_welford``, within its budget)."""
    a = _acc(t)
    if type(a) is np.ndarray and t.dtype is D.float32:
        a = a.astype(np.float64)
    with quiet:
        m = a.sum(axis=dims, keepdims=True) / a.dtype.type(n) if n else a
        arr = ((a - m) ** 2).sum(axis=dims, keepdims=keepdim) / builtin_max(n - c, 0) \
            if type(a) is np.ndarray else \
            _fsum((a - m) ** 2, dims, keepdim) / builtin_max(n - c, 0)
        if n and n - c > 0 and a.size:
            # NOTE: PyTorch's one-pass (Welford) variance of a constant slice is exactly 0;
            # a rounded two-pass mean would leave a tiny positive value (and a std gradient).
            hi = a.max(axis=dims, keepdims=keepdim)  # (an infinite one's is NaN, as there)
            arr = np.where((hi == a.min(axis=dims, keepdims=keepdim)) & np.isfinite(hi), 0, arr)
    return arr, m  # (the mean keeps the reduced dims)


def _iter_order(shape, strides):
    """The dims (outermost first) and coalesced sizes (innermost first) in which PyTorch's
    TensorIterator walks one input operand (its ``reorder_dimensions`` and ``coalesce``)."""
    perm = _cascade.operand_order(shape, strides)  # innermost first
    sizes, strd = [], []
    for d in perm:
        if sizes and (shape[d] == 1 or sizes[-1] == 1
                      or strides[d] == sizes[-1] * strd[-1]):
            if sizes[-1] == 1:
                strd[-1] = strides[d]
            sizes[-1] *= shape[d]
        else:
            sizes.append(shape[d])
            strd.append(strides[d])
    return perm[::-1], sizes


def _var_all(t, c, take_sqrt):
    """PyTorch's ``std_var_all_cpu`` (a float32/float64 var or std to one value): the mean
    as ``mean()`` rounds it, then ``(x - mean)**2`` added in double in the iterator's order,
    one running sum per 2-D block of the walk and per thread's range."""
    a = t._data
    n = a.size
    perm, sizes = _iter_order(t.shape, t.stride())
    with quiet:
        m = float(_exact_sum(a, tuple(range(a.ndim))) / a.dtype.type(n))
        dx = np.transpose(a, perm).reshape(-1).astype(np.float64) - m
        sq = dx * dx
    s0 = sizes[0] if sizes else 1
    s1 = sizes[1] if len(sizes) > 1 else 1
    threads = _cascade._threads() if n >= _cascade.GRAIN else 1
    used = builtins.min(threads, -(-n // _cascade.GRAIN)) if threads > 1 else 1
    chunk = -(-n // used)
    total = 0.0
    with quiet:
        for b in range(0, n, chunk):
            e, off, part = builtins.min(n, b + chunk), b, 0.0
            while off < e:  # (serial_for_each: the 2-D steps of the DimCounter)
                step = builtins.min(s0 - off % s0, e - off)
                if step == s0 and len(sizes) > 1:
                    step = s0 * builtins.min(s1 - (off // s0) % s1, (e - off) // s0)
                part += float(np.cumsum(sq[off:off + step])[-1])
                off += step
            total += part
        var = np.float64(total) / np.float64(builtins.max(0.0, n - c))
    return np.sqrt(var) if take_sqrt else var


def _to_low(a, dtype):
    """A double array as PyTorch's ``static_cast`` to Half/BFloat16 rounds it: to float
    first, then to the half type (BFloat16's NaN: the positive quiet 0x7FC0)."""
    a = a.astype(np.float32)
    if dtype is D.bfloat16:
        a = np.where(np.isnan(a), np.float32(np.nan), a)
    return a


# NOTE: the loop below costs about 3 us a step (a reduced value) plus 10 ns an element, up to
# 3x the two-pass sums; past about 1 ms more than those (750 a step + 1 an element over
# this budget) the two-pass sums are used, whose bits differ from PyTorch's at rounding.
# float32 and the half types keep that budget (their double sums, rounded, are nearly always
# PyTorch's bits); float64 results show every rounding, so its running means are reproduced
# up to about 40 ms of work (``_welford_cost``, in ns): a million-element row still takes the
# two-pass sums.
_WELFORD_BUDGET = 250_000
_WELFORD_BUDGET64 = 40_000_000


def _welford_cost(rows, n):
    """About how many ns ``_welford_sums`` takes for ``rows`` slices of ``n`` values."""
    return builtins.min(120 * rows * n, 3000 * n + 12 * rows * n)


def _welford_sums(rows):
    """(m2, mean) in double: the running Welford sums of each row of ``rows`` (its last
    axis: the values in PyTorch's order), one value at a time as ``WelfordOps::reduce``."""
    n = rows.shape[-1]
    lead = rows.shape[:-1]
    x = rows.reshape(-1, n)
    r = x.shape[0]
    if 120 * r <= 3000 + 12 * r:  # few rows: Python floats, a row at a time
        x = np.asarray(x, np.float64)
        ks = np.arange(1, n + 1, dtype=np.float64).tolist()
        means = np.empty((r, n))
        for i in range(r):
            m = 0.0
            means[i] = [m := m + (v - m) / k for v, k in zip(x[i].tolist(), ks)]
        prev = np.empty_like(means)
        prev[:, 0] = 0.0
        prev[:, 1:] = means[:, :-1]
        with quiet:
            # (sequential adds; + 0.0: the sum starts at +0, so an all -0 one is +0)
            m2 = np.cumsum((x - prev) * (x - means), axis=1)[:, -1] + 0.0
        return m2.reshape(lead), means[:, -1].reshape(lead)
    xt = np.ascontiguousarray(x.T, np.float64)  # (n, r): a step's values together
    means = np.empty((n + 1, r))
    means[0] = 0.0
    step = np.empty(r)
    with quiet:
        for j in range(n):
            np.subtract(xt[j], means[j], out=step)
            np.divide(step, j + 1.0, out=step)
            np.add(means[j], step, out=means[j + 1])
        m2 = np.cumsum((xt - means[:-1]) * (xt - means[1:]), axis=0)[-1] + 0.0
    return m2.reshape(lead), means[-1].reshape(lead)


def _welford_chunks(row, threads):
    """(m2, mean) of one long row as PyTorch's ``binary_kernel_reduce`` forms a single
    output's: ``parallel_for`` ranges of the row reduced apart, their sums combined in thread
    order (``WelfordOps::combine``)."""
    n = row.size
    used = builtins.min(threads, -(-n // _cascade.GRAIN))
    chunk = -(-n // used)
    acc = None
    for b in range(0, n, chunk):
        m2, mu = _welford_sums(row[b:b + chunk])
        m2, mu, nf = float(m2), float(mu), float(builtins.min(n, b + chunk) - b)
        if acc is None:
            acc = (m2, mu, nf)
            continue
        am2, amu, anf = acc
        delta = mu - amu
        count = anf + nf
        ratio = nf / count
        acc = (am2 + m2 + delta * delta * anf * ratio, amu + delta * ratio, count)
    return np.float64(acc[0]), np.float64(acc[1])


def _welford(t, dims, c):
    """(variance, mean) in double as PyTorch's CPU ``WelfordOps`` reduce each output's slice
    one value at a time, the reduced dims walked in the input's memory order (the
    ``std_var_stub`` kernel of float32/float64 ``var``/``std``, and of ``var_mean``);
    None where that is not reproduced (over the budget, other arrays)."""
    a = t._data
    n = math.prod(t.shape[d] for d in dims)
    if (type(a) is not np.ndarray or t.dtype not in (D.float32, D.float64) + _LOW or not n
            or not a.size):
        return None
    rows_n = a.size // n
    if t.dtype is D.float64:
        if _welford_cost(rows_n, n) > _WELFORD_BUDGET64:
            return None
    elif 750 * n + a.size > _WELFORD_BUDGET:
        return None
    memo = _WELFORD_MEMO[0]
    key = (id(a), tuple(dims))  # (the entry holds ``a``: its id stays unique meanwhile)
    if memo is not None and key in memo and memo[key][0] is a:
        m2, mean = memo[key][1:]
    else:
        kept = [d for d in range(t.ndim) if d not in dims]
        st = t.stride()
        order = [dims[i] for i in _iter_order([t.shape[d] for d in dims],
                                              [st[d] for d in dims])[0]]
        rows = np.transpose(a, kept + order).reshape([t.shape[d] for d in kept] + [n])
        threads = _cascade._threads()
        if rows_n == 1 and n >= _cascade.GRAIN and threads > 1:
            # one output: its range split between the threads
            m2, mean = _welford_chunks(rows.reshape(-1), threads)
            m2, mean = m2.reshape(rows.shape[:-1]), mean.reshape(rows.shape[:-1])
        else:
            m2, mean = _welford_sums(rows)
        if memo is not None:
            memo[key] = (a, m2, mean)
    with quiet:
        var = m2 / np.float64(builtins.max(0.0, n - c))
    return np.asarray(var), np.asarray(mean)


# (while ``var_mean``/``std_mean`` run: their variance and mean share one pass)
_WELFORD_MEMO = [None]


def var(t, dim=None, unbiased=None, keepdim=False, *, correction=None, _name="var",
        _sqrt=False):
    dim, unbiased, keepdim, correction = _var_args(dim, unbiased, keepdim, correction)
    if t.dtype._kind == 3:  # the spread of |z - mean|: the parts' variances added
        return _complex_spread(t, dim, _correction(unbiased, correction), keepdim, _name,
                               _sqrt)
    c = _correction(unbiased, correction)
    if not t.dtype.is_floating_point:  # (checked before the dims, as PyTorch)
        raise RuntimeError("std and var only support floating point and complex dtypes")
    dims = _dims(t, dim, True)
    n = 1
    for d in dims:
        n *= t.shape[d]
    _dof_warning(_name, n, c)
    out_shape = _reduced(t.shape, dims, keepdim)
    if not t.numel() and type(t._data) is np.ndarray:  # (PyTorch fills a quiet NaN)
        arr = np.full(out_shape, np.nan)
    elif (n and n == t.numel() and t.dtype in (D.float32, D.float64) and _name in ("var", "std")
            and type(t._data) is np.ndarray):  # one value: PyTorch's all-reduce kernel
        arr = _var_all(t, c, _sqrt).reshape(out_shape)
    elif (wf := _welford(t, dims, c)) is not None:
        arr = wf[0].reshape(out_shape)
        if _sqrt:
            with quiet:
                arr = np.sqrt(arr)
        if t.dtype in _LOW:  # (a double is rounded to float, then to the half type)
            arr = _to_low(arr, t.dtype)
    else:
        arr = _variance(t, dims, n, c, keepdim)[0]
        if _sqrt:  # std: the root of the wide variance, rounded once
            with quiet:
                arr = np.sqrt(arr)
        if t.dtype is D.bfloat16 and type(arr) is np.ndarray:
            arr = _to_low(arr, t.dtype)
    arr = xp_of(t).asarray(arr).astype(t.dtype.np, copy=False)
    shape = t.shape

    full = dim is None or t.ndim == 0

    def rule(ctx, g):
        x, = ctx.saved
        mu = x.mean(dims, True) if dims else x
        if full and n - c <= 0:  # NOTE: as PyTorch: NaN where x is the mean, else +inf
            from .pointwise import where

            return (_expand_back(g, shape, dims, keepdim) * where(x.eq(mu), math.nan, math.inf),)
        # (PyTorch's rounding order: (2 / dof) * g first, then times x - mean)
        k = 2.0 / (n - c) if n != c else math.inf
        from ..autograd import forward_ad as fw

        if dims and not _sqrt and fw.pushing():
            # forward mode's tangent: PyTorch's var_jvp, sum((2 / dof) * t * (x - mean))
            return (fw.push_node(g, lambda g: _expand_back(g, shape, dims, keepdim) * k *
                                 (x - mu), lambda tt: (k * tt * (x - mu)).sum(dims, keepdim)),)
        return (_expand_back(g, shape, dims, keepdim) * k * (x - mu),)
    return make(arr, (t,), "VarBackward0", rule, t)


def _complex_spread(t, dim, c, keepdim, name, sqrt):
    """``var``/``std`` of a complex tensor: one VarBackward0/StdBackward0 node, as PyTorch's."""
    from .complex import imag, real

    d = t.detach()
    v = var(real(d), dim, keepdim=keepdim, correction=c, _name=name) + \
        var(imag(d), dim, keepdim=keepdim, correction=c, _name=name)
    if sqrt:
        v = v.sqrt()
    dims = _dims(t, dim)
    n = math.prod(t.shape[i] for i in dims)
    shape = t.shape

    def rule(ctx, g):
        x, out = ctx.saved
        mu = x.mean(dims, True) if dims else x
        gx = _expand_back(g, shape, dims, keepdim)
        if sqrt:  # (zero where the std is 0, as for real input)
            o = _expand_back(out, shape, dims, keepdim)
            gx = (gx / (2 * o)).masked_fill(o.eq(0), 0.0)
        return (gx * 2 * (x - mu) / builtin_max(n - c, 0),)
    rule.complex_ready = True
    return make(v._data, (t,), "StdBackward0" if sqrt else "VarBackward0", rule, t, _OUT)


def std(t, dim=None, unbiased=None, keepdim=False, *, correction=None, _name="std"):
    dim, unbiased, keepdim, correction = _var_args(dim, unbiased, keepdim, correction)
    if t.dtype._kind == 3:
        return var(t, dim, unbiased, keepdim=keepdim, correction=correction, _name=_name,
                   _sqrt=True)
    arr = var(t.detach(), dim, unbiased, keepdim, correction=correction, _name=_name,
              _sqrt=True)._data
    c = _correction(unbiased, correction)
    dims = _dims(t, dim, True)
    n = 1
    for d in dims:
        n *= t.shape[d]
    shape = t.shape
    full = dim is None or t.ndim == 0

    def rule(ctx, g):
        x, out = ctx.saved
        mu = x.mean(dims, True) if dims else x
        o = _expand_back(out, shape, dims, keepdim)
        # NOTE: PyTorch zeroes the gradient where the std is 0 (a constant slice).
        gv = (_expand_back(g, shape, dims, keepdim) / (2 * o)).masked_fill(o.eq(0), 0.0)
        if full and n - c <= 0:  # (as var's gradient)
            from .pointwise import where

            return (gv * where(x.eq(mu), math.nan, math.inf),)
        k = 2.0 / (n - c) if n != c else math.inf
        return (gv * k * (x - mu),)  # (var's rounding order)
    return make(arr, (t,), "StdBackward0", rule, t, _OUT)


@fused_op("VarMeanBackward0", keep=(0,))  # (as PyTorch's: self)
def var_mean(t, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _check_var_mean_dtype(t, "var_mean")
    _WELFORD_MEMO[0] = {}
    try:
        return (var(t, dim, unbiased, keepdim, correction=correction, _name="var_mean"),
                _welford_mean(t, dim, keepdim))
    finally:
        _WELFORD_MEMO[0] = None


@fused_op("StdMeanBackward0", keep=(0, OUT))  # (as PyTorch's: self, std)
def std_mean(t, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _check_var_mean_dtype(t, "std_mean")
    _WELFORD_MEMO[0] = {}
    try:
        return (std(t, dim, unbiased, keepdim, correction=correction, _name="std_mean"),
                _welford_mean(t, dim, keepdim))
    finally:
        _WELFORD_MEMO[0] = None


def _check_var_mean_dtype(t, name):
    if not (t.dtype.is_floating_point or t.dtype.is_complex):
        raise RuntimeError(f"{name} only support floating point and complex dtypes")


def _welford_mean(t, dim, keepdim):
    """``var_mean``'s mean: PyTorch's comes out of the wide variance pass, not ``mean``."""
    m = mean(t, dim if not isinstance(dim, bool) else None, keepdim)
    if not t.numel() and m.numel() and type(m._data) is np.ndarray:
        # (the variance pass's NaN is positive, mean's 0/0 not)
        m._data = np.full_like(m._data, complex(np.nan, np.nan) if t.dtype.is_complex else
                               np.nan)
        return m
    dims = _dims(t, dim if not isinstance(dim, bool) else None, True)
    if t.dtype.is_complex:  # (PyTorch's: the means of the real and imaginary parts)
        from .complex import imag, real

        wr, wi = _welford(real(t.detach()), dims, 0), _welford(imag(t.detach()), dims, 0)
        if wr is not None and wi is not None:
            z = np.empty(wr[1].shape, t.dtype.np)
            z.real, z.imag = wr[1], wi[1]  # (each rounded to the part's dtype)
            m._data = z.reshape(m._data.shape)
        return m
    wf = _welford(t, dims, 0)
    if wf is not None:
        wide = _to_low(wf[1], t.dtype) if t.dtype in _LOW else wf[1]
        m._data = wide.astype(t.dtype.np).reshape(m._data.shape)
        return m
    if type(m._data) is np.ndarray and t.dtype is D.float32 and t.numel():
        dims = _dims(t, dim if not isinstance(dim, bool) else None)
        wide = _variance(t, dims, builtin_max(1, math.prod(t.shape[d] for d in dims)), 0,
                         True)[1]
        m._data = np.asarray(wide).astype(t.dtype.np).reshape(m._data.shape)
    if type(m._data) is np.ndarray and t.dtype.is_floating_point and t.ndim and t.numel():
        # Welford's running mean: an infinity followed by any value makes it NaN (inf - inf)
        dims = _dims(t, dim if not isinstance(dim, bool) else None)
        a = np.moveaxis(np.asarray(t._data, np.float32) if t.dtype in _LOW else t._data,
                        dims, tuple(range(-len(dims), 0)))
        inf = np.isinf(a.reshape(a.shape[:t.ndim - len(dims)] + (-1,)))
        keep = (inf.sum(-1) == 0) | ((inf.sum(-1) == 1) & inf[..., -1])
        m._data = np.where(keep.reshape(m._data.shape), m._data, np.nan).astype(t.dtype.np)
    return m


builtin_max = builtins.max


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """``torch.norm``, Python-level in PyTorch: a vector norm (``"fro"`` over at most two
    dims, or a number), else a matrix norm, by ``linalg``'s parsed functions."""
    from .. import linalg

    if type(input) is not Tensor and getattr(input, "_compressed", False):  # (its own norm)
        return input.norm(p, dim, keepdim, dtype=dtype)
    _dim = [dim] if isinstance(dim, int) else dim
    extra = {"dtype": dtype} if out is None else {"dtype": dtype, "out": out}
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return linalg.vector_norm(input, 2, _dim, keepdim, **extra)
        if _dim is None:
            _dim = list(range(input.ndim))
        return linalg.matrix_norm(input, p, _dim, keepdim, **extra)
    return linalg.vector_norm(input, 2.0 if p is None else p, _dim, keepdim, **extra)


def _tensor_norm(self, p="fro", dim=None, keepdim=False, dtype=None):
    """``Tensor.norm`` (Python-level in PyTorch: ``torch.norm`` without ``out``)."""
    from .. import norm as _norm

    return _norm(self, p, dim, keepdim, dtype=dtype)


_tensor_norm.__name__, _tensor_norm.__qualname__ = "norm", "Tensor.norm"


def _lastdim_norm2(a, dims) -> bool:
    """Whether PyTorch's CPU 2-norm takes its fast path, reducing the trailing dims of a
    contiguous float32 array (reproduced by :func:`_norm2_rows`)."""
    return (type(a) is np.ndarray and a.dtype == np.float32 and a.size > 0
            and a.flags.c_contiguous and tuple(dims) == tuple(range(a.ndim - len(dims), a.ndim))
            and len(dims) > 0)


def _norm2_fast(a, dims):
    """The 2-norms of a float32/float64 array over ``dims`` where PyTorch's CPU fast path
    takes them: its iterator's layout (``_cascade``) leaves one reduced dim, innermost and
    contiguous (a transposed or sliced array too); ``None`` elsewhere."""
    if type(a) is not np.ndarray or a.dtype not in _CASCADED or a.size == 0 or not dims or \
            builtins.any(s < 0 for s in a.strides):
        return None
    axes = tuple(sorted(dims))
    layout = _cascade._layout(a, axes)
    if not layout or not layout[0][3] or layout[0][1] != a.itemsize or \
            builtins.sum(d[3] for d in layout) != 1:
        return None
    view = _cascade._merged(a, layout)
    res = _norm2_rows(view.reshape(-1, layout[0][0]))
    kept = [d for d in reversed(layout) if not d[3]]
    out_shape = tuple(n for k, n in enumerate(a.shape) if k not in axes)
    return _cascade._restore(res, kept, a, axes, out_shape)


def _norm2_rows(rows):
    """Each row's 2-norm as PyTorch's fast CPU path computes it: squares added into 8
    float32 lanes, the lanes added left to right, then the leftover elements one by one;
    (measured) the compiler fuses a leftover square into its add, except the first four of
    four or more leftovers, which it squares in one vector first."""
    m, n = rows.shape
    width = 32 // rows.itemsize  # (float64: 4 lanes, every leftover fused; measured)
    full = n - n % width
    if full:
        sq = rows[:, :full] * rows[:, :full]
        lanes = np.add.reduce(np.ascontiguousarray(
            sq.reshape(m, -1, width).transpose(1, 0, 2)), axis=0)
        acc = lanes[:, 0].copy()
        for j in range(1, width):
            acc += lanes[:, j]
    else:
        acc = np.zeros(m, rows.dtype)
    rest = n - full
    for k in range(rest):
        v = rows[:, full + k]
        if rest >= 4 and k < 4:
            acc += v * v
        elif rows.dtype == np.float64:
            from .._random import _fma64
            acc = _fma64(v, v, acc)
        else:
            acc = (v.astype(np.float64) * v + acc).astype(np.float32)
    return np.sqrt(acc)


def _pow_c(a, e):
    """``a ** e`` (``e`` a number) as the C library's ``pow`` in ``a``'s float type rounds
    it (float32: its powf, modelled in ``_sleef``)."""
    if a.dtype == np.float32 and a.size <= 1 << 18:
        from . import _sleef
        return _sleef.c_pow(a, np.float32(e))
    if a.dtype == np.float32:  # (beyond: float64's pow rounded once, the model being slow;
        # it differs from powf for a few values in 1000)
        return np.power(a.astype(np.float64), np.float64(np.float32(e))).astype(np.float32)
    if a.dtype == np.float64 and type(a) is np.ndarray and a.size <= 1 << 18:
        # (the C library's pow, as PyTorch's scalar loop calls it: NumPy's SIMD power of
        # float64 is not correctly rounded)
        e = float(e)

        def c_pow(x):
            try:
                return math.pow(x, e)
            except OverflowError:
                return math.inf
            except ValueError:  # (pow(0, e < 0): C's pole, inf, where math raises)
                return float(np.power(x, e))
        out = np.fromiter(map(c_pow, a.reshape(-1).tolist()), np.float64, count=a.size)
        return out.reshape(a.shape)
    return np.power(a, np.float64(e))


def _folded_norm(a, p, dims, keepdim, src, inv64=False):
    """The p-norm (finite p other than 0) of the magnitudes ``a`` as PyTorch's scalar CPU
    loop forms it: each term (``|x|``, ``x*x`` or ``pow(|x|, p)`` in the tensor's float type)
    added left to right (``_reduce_orders.fold``), then ``pow(sum, 1/p)`` with ``1/p``
    rounded to that type."""
    from . import _reduce_orders as R

    terms = a if p == 1 else a * a if p == 2 else _pow_c(a, p)
    m = a.shape[-1] if a.ndim else 0
    if inv64 and p == 2 and m % 4 and dims == (a.ndim - 1,):
        # (measured: cdist's compiled loop takes squares four at a time; the last m % 4
        # it fuses into their additions, one rounding each)
        from .._random import _fma32, _fma64
        fma = _fma32 if a.dtype == np.float32 else _fma64
        s = R.fold(terms[..., :m - m % 4], dims) if m >= 4 else np.zeros(a.shape[:-1], a.dtype)
        for k in range(m - m % 4, m):
            s = fma(a[..., k], a[..., k], s)
    else:
        s = R.fold(terms, dims, src if src.shape == a.shape else None)
    if p == 2:
        out = np.sqrt(s)
    elif p == 1:
        out = s
    else:
        if inv64:  # (cdist: pow(float, double), in double)
            out = np.power(np.asarray(s, np.float64), 1.0 / p).astype(a.dtype)
        else:
            out = _pow_c(np.asarray(s), a.dtype.type(1) / a.dtype.type(p))
    return out.reshape(_keep_shape(a.shape, dims)) if keepdim else out


def vector_norm(t, ord=2, dim=None, keepdim=False, *, dtype=None, _cdist=False):
    # (``_cdist``: as ``cdist``'s kernel forms it: every finite p > 0 folded left to right,
    # and the root taken with 1/p in double precision)
    if dtype is not None:
        dt = D.to_dtype(dtype)
        if dt is not t.dtype and t.requires_grad and t.dtype._kind != 3:
            # PyTorch casts inside the op: the norm's node alone shows, no ToCopyBackward0
            return fused(None, lambda x: vector_norm(x.to(dt), ord, dim, keepdim,
                                                     _cdist=_cdist), t)
        t = t.to(dt)
    if t.dtype._kind == 3:  # the norm of the magnitudes (their gradient is complex's)
        if float(ord) == 0 and t.numel() and not (t.dim() == 0 and dim not in (None, (), [])) \
                and math.prod(t.shape[d] for d in _dims(t, dim, True)) == 1:
            # (PyTorch's 0-norm of single elements copies them into its real result)
            from .._warnings import warn_once

            warn_once("complex to real", "Casting complex values to real discards the "
                      "imaginary part", cpp="aten/src/ATen/native/Copy.cpp:307")
        return vector_norm(t.abs(), ord, dim, keepdim)
    if not t.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_legacy(t.dtype)}")
    dims = _dims(t, dim, True)
    a = np.abs(_acc(t))
    p = float(ord)
    if (p < 0 or p == math.inf) and t.numel() == 0:
        name = f"{p:g}"
        if dim is None or dim == () or dim == []:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d, given in zip(dims, _given_dims(dim, dims)):
            if t.shape[d] == 0:  # (PyTorch names the dim as it was given)
                raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the "
                                   f"dimension {given}because this dimension is empty and the "
                                   "operation does not have an identity")
    with quiet:
        if p != 0 and not _cdist and t.numel() and math.prod(t.shape[d] for d in dims) == 1:
            # NOTE: PyTorch's norm of a single element is its magnitude, whatever p (no
            # rounding through pow and root, no under- or overflow of a square)
            arr = a.reshape(_reduced(t.shape, dims, keepdim))
        elif p == math.inf:
            arr = a.max(axis=dims, keepdims=keepdim)
        elif p == -math.inf:
            arr = a.min(axis=dims, keepdims=keepdim)
        elif p == 0:
            arr = (a != 0).sum(axis=dims, keepdims=keepdim).astype(a.dtype)
        elif p == 2 and not _cdist and (fast := _norm2_fast(t._data, dims)) is not None:
            arr = fast.reshape(_reduced(t.shape, dims, keepdim))
        elif type(a) is np.ndarray and a.dtype in _CASCADED:
            arr = _folded_norm(a, p, dims, keepdim, t._data, _cdist)
        elif p == 1:
            arr = _fsum(a, dims, keepdim)
        elif p == 2 and _lastdim_norm2(t._data, dims):
            n = 1
            for d in dims:
                n *= t.shape[d]
            arr = _norm2_rows(t._data.reshape(-1, n)).reshape(_reduced(t.shape, dims, keepdim))
        elif p == 2:
            arr = np.sqrt(_fsum(a * a, dims, keepdim))
        else:
            arr = _fsum(a ** p, dims, keepdim) ** (1.0 / p)
    with np.errstate(over="ignore"):  # (a norm past a half type's range is inf, quietly)
        arr = xp_of(t).asarray(arr).astype(t.dtype.np, copy=False)
    shape = t.shape

    def rule(ctx, g):
        x, out = ctx.saved
        gk = _expand_back(g, shape, dims, keepdim)
        ok = _expand_back(out, shape, dims, keepdim)
        if p == 0:
            return (gk * 0,)
        if p == 1:
            return (gk * x.sign(),)
        if p in (math.inf, -math.inf):
            mask = x.abs().eq(ok).to(g.dtype)
            count = mask.sum(dims, True) if dims else mask
            # NOTE: a NaN norm matches nothing: PyTorch's gradient is then 0, not 0/0.
            count = _expand_back(count, shape, dims, True).clamp(min=1)
            return (gk * x.sign() * mask / count,)
        if p == 2:
            return (gk * (x / ok).masked_fill(ok.eq(0), 0.0),)
        # (PyTorch's grouping: the scaled input times the scaled gradient, each masked)
        if p < 1:  # 0 * inf at the zeros: their gradient is 0
            r = (x.sgn() * x.abs().pow(p - 1)).masked_fill(x.eq(0), 0.0)
            return (r * gk * ok.pow(1 - p),)
        r = x.sgn() * x.abs().pow(p - 1) if p < 2 else x * x.abs().pow(p - 2)
        return (r * (gk / ok.pow(p - 1)).masked_fill(ok.eq(0), 0.0),)
    return make(arr, (t,), "LinalgVectorNormBackward0", rule, t, _OUT)


def logsumexp(t, dim, keepdim=False):
    if _amp.ON:  # (float32 under CUDA autocast, as PyTorch's)
        t = _amp.cuda_fp32(t)
    dims = _dims(t, dim)
    if isinstance(dim, (tuple, list)) and not dim and t.ndim and not keepdim and t.numel():
        # NOTE: as PyTorch's: dim=() reduces all, into a keepdim-shaped result it can't copy
        raise RuntimeError("output with shape [] doesn't match the broadcast shape "
                           f"[{', '.join(['1'] * t.ndim)}]")
    a = _acc(t) if t.dtype._kind >= 2 else t._data.astype(D.get_default_dtype().np)
    with quiet:
        m = (a.real if t.dtype._kind == 3 else a).max(axis=dims, keepdims=True) if a.size \
            else _xp(a).zeros(_keep_shape(a.shape, dims))
        m = np.where(np.isfinite(m), m, 0)
        if type(a) is np.ndarray and a.dtype in _CASCADED and t.dtype not in _LOW:
            # PyTorch's steps in the tensor's dtype: exp and log (float32: MKL's, as ember's),
            # a sum in PyTorch's order, + max
            e = a - m
            if a.dtype == np.float32:
                e = _vml.exp(e)
                s = _exact_sum(e, dims, True)
                arr = _vml.log(s) + m
            else:
                arr = np.log(_exact_sum(np.exp(e), dims, True)) + m
        elif type(a) is np.ndarray and t.dtype in _LOW:
            # PyTorch's steps each round to the half type: the difference, exp, the
            # (float-accumulated) sum, log, + max
            lp = t._data.dtype
            e = np.exp((a - m).astype(lp).astype(np.float32)).astype(lp).astype(np.float32)
            s = e.sum(axis=dims, keepdims=True).astype(lp).astype(np.float32)
            arr = np.log(s).astype(lp).astype(np.float32) + m
        else:
            arr = np.log(np.exp(a - m).sum(axis=dims, keepdims=True)) + m
    if not keepdim:
        arr = arr.reshape(_reduced(a.shape, dims, False))
    arr = xp_of(t).asarray(arr).astype(t.dtype.np if t.dtype._kind >= 2 else
                                       D.get_default_dtype().np, copy=False)
    shape = t.shape

    def rule(ctx, g):
        x, out = ctx.saved[:2]

        def vjp(g):
            return _expand_back(g, shape, dims, keepdim) * \
                (x - _expand_back(out, shape, dims, keepdim)).exp()
        if not x.dtype.is_complex:
            from ..autograd import forward_ad as fw

            if fw.pushing():  # (forward mode's tangent: PyTorch's formula)
                return (fw.push_node(g, vjp, lambda t: fw.logsumexp_jvp(x, t, dims, keepdim)),)
        return (vjp(g),)
    return make(arr, (t,), "LogsumexpBackward0", rule, t, _OUT, _shown_dims(dim), bool(keepdim))


def _scan_acc(a):
    """The running total's dtype in a scan: as PyTorch's CPU kernels, float64 for float32
    (so ``ones(2**25).cumsum(0)`` counts past 2**24) and complex128 for complex64, the
    array's own otherwise."""
    if type(a) is np.ndarray and a.dtype in (np.float32, np.complex64):
        return np.float64 if a.dtype == np.float32 else np.complex128
    return None


_NO_DIM = object()  # (PyTorch's parser words a missing dim its own way)


def _no_bool_scan(t, dim, dtype, name):
    # (after the dim's check; PyTorch's kernel only sees a non-empty input of 1 dim or more)
    if dtype is not None and D.to_dtype(dtype) is D.bool and \
            norm_dim(dim, t.ndim) is not None and t.ndim and t.numel():
        raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")


def _grad_dtype(dtype):
    """PyTorch's refusal of a differentiable scan into an integer or bool dtype."""
    if _grad_on() and not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(f"Autograd not support dtype: {D.scalar_name(dtype)}")


def cumsum(t, dim=_NO_DIM, *, dtype=None):
    if dim is _NO_DIM:
        raise TypeError('cumsum() missing 1 required positional arguments: "dim"')
    _no_bool_scan(t, dim, dtype, "cumsum")
    if _amp.ON and dtype is None:  # (float32 under CUDA autocast, as PyTorch's)
        t = _amp.cuda_fp32(t)
    out_dt = _out_dtype(t, dtype)
    src = t
    if dtype is not None:
        if out_dt is not t.dtype and t.requires_grad:  # (cast inside the op, as sum's)
            _grad_dtype(out_dt)
        t = t.detach().to(out_dt)
    d = norm_dim(dim, t.ndim)
    a = _acc(t) if t.ndim else t._data.reshape(1)
    with quiet:
        arr = np.cumsum(a, axis=d, dtype=_scan_acc(t._data))  # (half types: float32's total)
        if t.ndim and arr.dtype.kind in "fc":  # (PyTorch's running total starts at +0, so
            arr = arr + 0.0                     # -0 never comes out; a 0-d input is copied)
        arr = arr.astype(out_dt.np).reshape(t.shape)
    arr = c_order(arr)  # (PyTorch's scans write a contiguous result)
    # NOTE: with dtype=, PyTorch casts the gradient back to the input's dtype before its
    # reversed cumsum (so that sum runs in the input's dtype, not the result's).
    return make(arr, (src,), "CumsumBackward0",
                lambda ctx, g: (g.to(src.dtype).flip(d).cumsum(d).flip(d) if t.ndim else g,))


def cumprod(t, dim=_NO_DIM, *, dtype=None):
    if dim is _NO_DIM:
        raise TypeError('cumprod() missing 1 required positional arguments: "dim"')
    _no_bool_scan(t, dim, dtype, "cumprod")
    if _amp.ON and dtype is None:  # (float32 under CUDA autocast, as PyTorch's)
        t = _amp.cuda_fp32(t)
    out_dt = _out_dtype(t, dtype)
    src = t
    if dtype is not None:
        if out_dt is not t.dtype and t.requires_grad:  # (cast inside the op, as sum's)
            _grad_dtype(out_dt)
        t = t.detach().to(out_dt)
    d = norm_dim(dim, t.ndim)
    a = _acc(t) if t.ndim else t._data.reshape(1)
    with quiet:
        arr = np.cumprod(a, axis=d, dtype=np.int64 if out_dt is D.int64 else _scan_acc(t._data))
        arr = arr.astype(out_dt.np).reshape(t.shape)  # (overflow to inf is silent)
    arr = c_order(arr)  # (PyTorch's scans write a contiguous result)

    def rule(ctx, g):
        x, out = ctx.saved
        # (PyTorch: the gradient in the input's dtype; passed through where the scan is of
        # one element; else the reversed cumsum of g * out over x, in the promoted dtype)
        g = g.to(x.dtype)
        if x.numel() <= 1 or x.shape[d] == 1:
            return (g,)
        if not bool(x.eq(0).any()):
            return ((out * g).flip(d).cumsum(d).flip(d) / x,)
        if _grad_on():  # create_graph: the same formula from differentiable ops
            return (_cumprod_grad_graph(x, g, out, d),)
        with quiet:
            res = _cumprod_grad_with_zeros(x._data, g._data, out._data, d)
        return (wrap(res, g._device),)
    return make(arr, (src,), "CumprodBackward0", rule, src, _OUT)


def _cumprod_grad_with_zeros(x, g, out, d):
    """cumprod's gradient where zeros occur, slice by slice, in PyTorch's steps and order.

    With ``k`` a slice's first zero: before ``k`` the reversed cumsum of ``out * g`` (zeroed
    from ``k`` on) over ``x``; at ``k``, ``sum_{k<=j<z2} g_j prod_{k<i<=j} x_i`` (``z2`` the
    second zero) times ``out[k - 1]`` (1 where ``k`` is 0); after ``k``, 0.
    """
    xp = _xp(x)
    half = x.dtype == np.float16
    acc = np.float32 if half else _scan_acc(x)  # (the scans' running totals, as cumsum's)
    n = x.shape[d]
    pos = xp.arange(n).reshape([-1 if i == d else 1 for i in range(x.ndim)])
    zeros = np.cumsum(x == 0, axis=d)
    w = out * g
    before = zeros == 0
    rev = np.flip(np.cumsum(np.flip(np.where(before, w, 0), d), axis=d, dtype=acc), d)
    res = np.where(before, rev.astype(x.dtype, copy=False) / x, 0).astype(x.dtype, copy=False)
    run = zeros == 1
    first = np.argmax(run, axis=d, keepdims=True)
    at_first = (pos == first) & run
    inner = run & ~at_first
    cp = np.cumprod(np.where(inner, x, 1), axis=d, dtype=acc).astype(x.dtype, copy=False)
    terms = cp * np.where(run, g, 0)
    if half:
        tot = terms.astype(np.float32).sum(axis=d, keepdims=True).astype(x.dtype)
    else:
        tot = _exact_sum(terms, (d,), True)
    prev = np.take_along_axis(out, np.maximum(first - 1, 0), axis=d)
    tot = tot * np.where(first == 0, 1, prev).astype(x.dtype, copy=False)
    return np.where(at_first, tot, res).astype(x.dtype, copy=False)


def _cumprod_grad_graph(x, g, out, d):
    """``_cumprod_grad_with_zeros`` written with tensor ops, for a create_graph backward.

    After a slice's first zero (at k) the gradient is 0 in value but not in its derivative:
    it is x_k times the cumprod gradient of the slice with x_k replaced by 1 (recursively).
    """
    from .pointwise import where

    if not bool(x.eq(0).any()):
        return (g * out).flip(d).cumsum(d).flip(d) / x
    n = x.shape[d]
    shape = [-1 if i == d else 1 for i in range(x.ndim)]
    pos = wrap(_xp(x._data).arange(n).reshape(shape), g._device)
    zero = x.eq(0)
    first = zero.to(D.int64).argmax(d, keepdim=True)
    k = where(zero.any(d, keepdim=True), first, n)
    rev = (g * out).flip(d).cumsum(d).flip(d)
    before = rev / where(pos < k, x, 1.0)
    z = where(pos == k, 1.0, x)
    cz = z.cumprod(d)
    at_k = where(pos >= k, g * cz, 0.0).sum(d, keepdim=True)
    after = x.gather(d, first) * _cumprod_grad_graph(z, g, cz, d)
    return where(pos < k, before, where(pos == k, at_k, after))


def _cum_extreme(t, dim, ufunc, name):
    if t.numel() == 0:  # NOTE: PyTorch returns at once, checking neither dim nor dtype
        xp = _xp(t._data)
        values, indices = make_multi((t._data.copy(), xp.zeros(t.shape, np.int64)), (t,),
                                     name.capitalize() + "Backward0",
                                     lambda ctx, gv, gi: (gv,), differentiable=(True, False))
        return make_return(name, values, indices)
    d = norm_dim(dim, t.ndim)
    if t.ndim:  # (a 0-d input is copied whatever its dtype, as PyTorch's)
        _no_complex(t, NotImplementedError, f"\"{name}_cpu\" not implemented for '{{}}'")
    a = t._data if t.ndim else t._data.reshape(1)
    xp = _xp(a)
    with quiet:
        vals = _accumulate(ufunc, a, d) if a.size else a.copy()
        n = a.shape[d]
        pos = xp.arange(n).reshape([-1 if i == d else 1 for i in range(a.ndim)])
        # NOTE: like PyTorch, a tie moves the index to the later element, and a NaN sticks.
        hit = a == vals
        if t.dtype.is_floating_point:  # (bfloat16's NumPy kind is not "f")
            hit = hit | (a != a)
        idx = _accumulate(np.maximum, np.where(hit, pos, 0), d).astype(np.int64) \
            if a.size else xp.zeros(a.shape, np.int64)
        if t.dtype.is_floating_point and a.size:  # (the value is the indexed element's:
            vals = xp.take_along_axis(a, idx, axis=d)  # -0 after a tying 0 is -0)
    vals, idx = vals.reshape(t.shape), idx.reshape(t.shape)
    vals, idx = c_order(vals), c_order(idx)  # (as PyTorch's)
    shape = t.shape

    def rule(ctx, gv, gi):
        _ = ctx.saved  # (the input, as PyTorch's: refused once changed in place)
        if not shape:
            return (gv,)
        # Each output position sends its gradient to the element its index names.
        gm = np.moveaxis(gv._data, d, -1)
        im = np.moveaxis(idx, d, -1)
        n = gm.shape[-1]
        xp = _xp(gm)
        res = xp.zeros(gm.shape, dtype=gm.dtype)
        if gm.size:
            from .index import _add_at

            r = res.reshape(-1, n)
            _add_at(r, (xp.arange(r.shape[0])[:, None], im.reshape(-1, n)), gm.reshape(-1, n))
        return (linear_grad(np.moveaxis(res, -1, d).copy(), gv, "ScatterAddBackward0",
                            lambda gg: _gather_back(gg, d, idx, True)),)
    values, indices = make_multi((vals, idx), (t,), name.capitalize() + "Backward0", rule, t,
                                 differentiable=(True, False), keep_index=True)
    return make_return(name, values, indices)


def _accumulate(ufunc, a, axis):
    """``ufunc.accumulate(a, axis)``.  CuPy accumulates only add and multiply: on a GPU the
    running maximum/minimum is a log-step scan (each step combines with the value ``2**k``
    places back), a different kernel with the same result."""
    if type(a) is np.ndarray:
        return ufunc.accumulate(a, axis=axis)
    a = np.moveaxis(a, axis, -1).copy()
    n, step = a.shape[-1], 1
    while step < n:
        a[..., step:] = ufunc(a[..., step:], a[..., :-step])
        step *= 2
    return np.moveaxis(a, -1, axis)


def cummax(t, dim):
    return _cum_extreme(t, dim, np.maximum, "cummax")


def cummin(t, dim):
    return _cum_extreme(t, dim, np.minimum, "cummin")


def all(t, dim=None, keepdim=False):
    dims = _dims(t, dim) if dim != () else ()  # NOTE: all(dim=()) reduces nothing in PyTorch
    arr = c_dense(as_array(np.all(t._data, axis=dims, keepdims=keepdim)))  # (contiguous)
    return mapped(wrap(arr if t.dtype is not D.uint8 else arr.astype(np.uint8), t._device), t)


def any(t, dim=None, keepdim=False):
    dims = _dims(t, dim) if dim != () else ()
    arr = c_dense(as_array(np.any(t._data, axis=dims, keepdims=keepdim)))
    return mapped(wrap(arr if t.dtype is not D.uint8 else arr.astype(np.uint8), t._device), t)


def count_nonzero(t, dim=None):
    from .._float8 import refuse

    if dim is None or t.dtype not in D._WIDE_UNSIGNED:  # (by dims: a sum of t != 0)
        refuse(t, "nonzero_count_cpu")
    dims = _dims(t, dim)
    return wrap(c_dense(as_array(np.count_nonzero(t._data, axis=dims) if dims else
                                 np.count_nonzero(t._data)).astype(np.int64, copy=False)),
                t._device)


def hash_tensor(t, dim=(), *, keepdim=False, mode=0):
    """PyTorch's hash of the elements over ``dim`` (all for none): mode 0, each widened to its
    64-bit float or integer type, its bits read as uint64, reduced by xor."""
    if mode != 0:
        raise RuntimeError(f"Unknown hash_tensor mode: {mode}")
    if t.dtype.is_complex or t.dtype in D._WIDE_UNSIGNED or t.dtype in D.FLOAT8:
        raise NotImplementedError(f"\"xor_sum_cpu\" not implemented for "
                                  f"'{D.scalar_name(t.dtype)}'")
    named = dim is not None and not (isinstance(dim, (list, tuple)) and len(dim) == 0)
    dims = _dims(t, dim)
    if not named and t.numel() == 0:
        raise RuntimeError("hash_tensor: Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")
    for d in sorted(dims) if named else ():
        if t.shape[d] == 0:
            raise IndexError(f"hash_tensor: Expected reduction dim {d} to have non-zero size.")
    xp = xp_of(t)
    a = t._data.astype(np.float64 if t.dtype.is_floating_point else np.int64).view(np.uint64)
    out = xp.bitwise_xor.reduce(a, axis=dims, keepdims=bool(keepdim)) if dims else a.copy()
    return wrap(as_array(out).astype(np.uint64, copy=False), t._device)


def sort(t, dim=-1, descending=False, stable=None):
    if isinstance(dim, bool):
        dim, descending = -1, dim
    _no_complex(t, RuntimeError, " Sort does not support complex dtypes on CPU")
    # (as PyTorch: a call that names ``stable`` runs the ``sort.stable`` overload)
    name = "SortBackward0" if stable is None else "SortBackward1"
    stable = bool(stable)
    if t.ndim == 0:
        values, indices = make_multi((t._data.copy(), xp_of(t).zeros((), np.int64)), (t,), name,
                                     lambda ctx, gv, gi: (gv,), differentiable=(True, False))
        return make_return("sort", values, indices)
    d = norm_dim(dim, t.ndim)
    a = t._data
    # NaN sorts as the largest value, as in PyTorch; ties keep their order (stable).
    if descending:
        # a stable ascending sort of the reversed slices, read backwards: NaN first (above
        # inf), equal values in their input order
        src = a.astype(np.float32) if t.dtype in _LOW else a
        n = a.shape[d]
        idx = np.flip(np.argsort(np.flip(src, axis=d), axis=d, kind="stable"), axis=d)
        idx = (n - 1) - idx
    else:
        idx = np.argsort(a, axis=d, kind="stable")
    idx = idx.astype(np.int64)
    if not stable and type(a) is np.ndarray and a.shape[d] > 16:
        idx = _sort_ties(t, a, idx, d, descending)
    vals = np.take_along_axis(a, idx, axis=d)
    if not a.flags.c_contiguous:  # (PyTorch's results are laid out as the input is)
        from .shape import empty_like_layout

        vals_, idx_ = empty_like_layout(a), empty_like_layout(a, np.int64)
        vals_[...], idx_[...] = vals, idx
        vals, idx = vals_, idx_
    shape = t.shape

    def rule(ctx, gv, gi):
        return (_scatter_back(gv, shape, d, idx, True),)
    values, indices = make_multi((vals, idx), (t,), name, rule, differentiable=(True, False),
                                 keep_index=True)
    return make_return("sort", values, indices)


def _sort_ties(t, a, idx, d, descending):
    """``idx`` (a stable sort) with the rows that hold equal values redone in the order
    PyTorch's CPU ``sort(stable=False)`` leaves them: ``std::sort`` on (value, index) pairs,
    NaN largest (``_stl_select.sort_indices``).

    NOTE: rows of at most 16 elements (insertion sort) and 1-D integer ascending sorts of at
    least 32768 elements (fbgemm's radix sort) come out stable in PyTorch too.
    """
    n = a.shape[d]
    if t.stride(d) == 0:  # NOTE: PyTorch leaves 0, 1, 2... for a broadcast (expanded) dim
        return np.broadcast_to(np.arange(n).reshape((n,) + (1,) * (t.ndim - 1 - d)),
                               idx.shape).copy()
    if (t.ndim == 1 and not descending and n >= 32768 and a.dtype.kind in "iu"
            and a.dtype != np.bool_):
        return idx
    rows = np.moveaxis(a, d, -1).reshape(-1, n)
    if t.dtype in _LOW:
        rows = rows.astype(np.float32)
    moved = np.moveaxis(idx, d, -1)
    out = moved.reshape(-1, n)
    keys, _ = _stl_select.dense_ranks(rows, out)  # ranks in the sort's own order
    if keys is None:
        return idx
    out = out.copy()
    for r in np.flatnonzero(keys.max(axis=1) < n - 1):  # the rows with equal values
        out[r] = _stl_select.sort_indices(keys[r])
    return np.moveaxis(out.reshape(moved.shape), -1, d)


def argsort(t, dim=-1, descending=False, stable=False):
    return sort(t, dim, descending, stable).indices


def msort(t):
    return sort(t, 0).values


def topk(t, k, dim=-1, largest=True, sorted=True):
    from .._float8 import refuse

    d = norm_dim(dim, t.ndim)
    n = t.shape[d] if t.ndim else 1
    if k > n or k < 0:
        raise RuntimeError("selected index k out of range")
    _no_complex(t, RuntimeError, " topk does not support complex dtypes on CPU")
    refuse(t, "topk_cpu")
    if t.dtype is D.bool:  # (after the dim and k checks, as PyTorch)
        raise RuntimeError("topk does not support bool dtypes on CPU")
    s = sort(t.detach(), d, descending=largest, stable=True)  # ties: _topk_ties
    idx = s.indices._data
    sl = [slice(None)] * t.ndim
    if t.ndim:
        sl[d] = slice(0, k)
    idx = idx[tuple(sl)]
    if type(idx) is np.ndarray and t.ndim and k:
        idx = _topk_ties(t._data, idx, d, k, largest, sorted)
    vals = np.take_along_axis(t._data, idx, axis=d) if t.ndim else t._data.copy()
    vals, idx = c_order(vals), c_order(idx)  # (as PyTorch's)
    shape = t.shape

    def rule(ctx, gv, gi):
        return (_scatter_back(gv, shape, d, idx, True),)
    values, indices = make_multi((vals, idx), (t,), "TopkBackward0", rule,
                                 differentiable=(True, False), keep_index=True)
    return make_return("topk", values, indices)


def _topk_ties(a, idx, d, k, largest, sorted):
    """``idx`` (a stable sort's first ``k``) with the rows where values tie, or where the
    order is unsorted, redone as PyTorch's CPU kernel picks them (``_stl_select``)."""
    rows = np.moveaxis(a, d, -1).reshape(-1, a.shape[d])
    if sorted:
        srt = np.sort(rows, axis=1)
        redo = (srt[:, 1:] == srt[:, :-1]).any(axis=1)
        if rows.dtype.kind == "f":
            redo |= np.isnan(rows).sum(axis=1) > 1
        if not redo.any():
            return idx
    else:
        redo = np.ones(rows.shape[0], bool)
    out = np.moveaxis(idx, d, -1).reshape(-1, k).copy()
    for r in np.flatnonzero(redo):
        out[r] = _stl_select.topk_indices(rows[r], k, largest, sorted)
    shape = np.moveaxis(idx, d, -1).shape
    return np.moveaxis(out.reshape(shape), -1, d)


def _select(t, k, dim, keepdim, name, node, nan_first=False):
    """The ``k``-th smallest (0-based) along ``dim``, NaN sorting last, with its index.

    ``nan_first``: a slice holding a NaN selects its first NaN (median propagates NaN).
    """
    d = norm_dim(dim, t.ndim)
    a = t._data if t.ndim else t._data.reshape(1)
    if a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    order = np.argsort(a, axis=d, kind="stable")
    idx = np.take(order, [k], axis=d)
    if name == "kthvalue" and type(a) is np.ndarray and a.shape[d] > 1:
        idx = _kth_ties(t, a, idx, d, k, order)
    if nan_first and (a.dtype.kind == "f" or t.dtype in _LOW):
        nan = np.isnan(a.astype(np.float32) if t.dtype in _LOW else a)
        idx = np.where(nan.any(axis=d, keepdims=True), np.argmax(nan, axis=d, keepdims=True),
                       idx)
    vals = np.take_along_axis(a, idx, axis=d)
    if not keepdim or not t.ndim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    vals, idx = vals.reshape(_reduced(t.shape, (d,), keepdim) if t.ndim else ()), \
        idx.astype(np.int64).reshape(vals.shape if t.ndim else ())
    shape = t.shape
    kd = keepdim and bool(t.ndim)

    def rule(ctx, gv, gi):
        return (_scatter_back(gv, shape, d, idx, kd),)
    values, indices = make_multi((vals, idx), (t,), node, rule, differentiable=(True, False),
                                 keep_index=True)
    return make_return(name, values, indices)


def _kth_ties(t, a, idx, d, k, order):
    """``idx`` (the stable order's ``k``-th) with the rows where the ``k``-th value is shared
    redone as PyTorch's CPU quickselect picks (``_stl_select.kth_index``); NaN largest."""
    n = a.shape[d]
    rows = np.moveaxis(a, d, -1).reshape(-1, n)
    if t.dtype in _LOW:
        rows = rows.astype(np.float32)
    order = np.moveaxis(order, d, -1).reshape(-1, n)
    ranks, _ = _stl_select.dense_ranks(rows, order)
    if ranks is None:
        return idx
    kth = np.take_along_axis(ranks, order[:, k:k + 1], axis=1)
    redo = np.flatnonzero((ranks == kth).sum(axis=1) > 1)
    if not redo.size:
        return idx
    moved = np.moveaxis(idx, d, -1)
    out = moved.reshape(-1).copy()
    for r in redo:
        out[r] = _stl_select.kth_index(ranks[r], k)
    return np.moveaxis(out.reshape(moved.shape), -1, d)


def kthvalue(t, k, dim=-1, keepdim=False):
    _int_dim("kthvalue", dim)
    d = norm_dim(dim, t.ndim)
    n = t.shape[d] if t.ndim else 1
    if n and not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if not n:  # (the k and empty-dim checks come before the dtype's, as PyTorch's)
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if t.ndim:  # (a 0-d input is copied whatever its dtype)
        _no_complex(t, NotImplementedError, "\"kthvalue_cpu\" not implemented for '{}'")
        if t.dtype is D.bool:
            raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    return _select(t, k - 1, d, keepdim, "kthvalue", "KthvalueBackward0")


def _signed_zero_median(t, a, v, skip_nan=False):
    """``v``, a stable sort's lower median of all of ``t``'s values ``a``, as PyTorch's
    selection picks it: where it is a zero and zeros of both signs are present, the one
    ``std::nth_element`` leaves there (see ``_stl_select.median_all_index``)."""
    if type(a) is not np.ndarray or not t.dtype.is_floating_point or v != 0:
        return v
    st = t.stride()
    if not t.is_contiguous() and is_dense(t.shape, st):
        # NOTE: PyTorch selects in a clone, which keeps a dense tensor's order in memory
        perm = builtins.sorted(range(t.ndim), key=lambda i: -st[i])
        a = a.reshape(t.shape).transpose(perm).reshape(-1)
    wide = a.astype(np.float32) if t.dtype in _LOW else a
    signs = np.signbit(wide[wide == 0])
    if signs.all() or not signs.any():
        return v
    return a[_stl_select.median_all_index(wide, skip_nan)]


def median(t, dim=None, keepdim=False):
    """The lower median; a NaN anywhere in a slice makes it NaN (as in PyTorch)."""
    _int_dim("median", dim)
    kernel = "median_cpu" if dim is None else "median_out"
    if dim is None and t.numel() == 0:  # (NaN, cast to the dtype, whatever it is)
        with quiet:
            v = xp_of(t).full((), np.nan, dtype=t._data.dtype)
        return make(v, (t,), "MedianBackward0", _even_rule(tuple(range(t.ndim)), False), t,
                    _OUT)
    if dim is not None:  # (the dim and its emptiness are checked before the dtype)
        d = norm_dim(dim, t.ndim)
        if t.ndim and t.shape[d] == 0:
            raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    _no_complex(t, NotImplementedError, f"\"{kernel}\" not implemented for '{{}}'")
    if t.dtype is D.bool:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    if dim is None:
        a = t._data.reshape(-1)
        if t.dtype.is_floating_point and bool(np.isnan(a).any()):
            v = xp_of(t).full((), np.nan, dtype=a.dtype)
        else:
            v = as_array(_signed_zero_median(t, a, np.sort(a)[(a.size - 1) // 2]))
        return make(v, (t,), "MedianBackward0",
                    _even_rule(tuple(range(t.ndim)), False), t, _OUT)
    d = norm_dim(dim, t.ndim)
    n = t.shape[d] if t.ndim else 1
    return _select(t, (n - 1) // 2, d, keepdim, "median", "MedianBackward1", nan_first=True)


def mode(t, dim=-1, keepdim=False):
    raise NotImplementedError("torch.mode is not supported by ember")


def _no_derivative(arr, inputs, name, exc, msg):
    """A result PyTorch records with a node whose backward raises (unique, bincount)."""
    def rule(ctx, *grads):
        raise exc(msg)
    return make(arr, inputs, name, rule)


def _no_dims(t, dim):
    """PyTorch's IndexError for a dim of a 0-d tensor in ``unique``'s dim forms."""
    if t.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")


def _zero_sized_dims(t, d):
    """PyTorch's unique_dim checks of zero-sized dims: True where the ``d`` selected is the
    only one (the result is then empty), an error where another one is."""
    zeros = [i for i, n in enumerate(t.shape) if n == 0]
    if len(zeros) > 1:
        raise RuntimeError("Number of zero sized dimensions is more than one, so unique cannot "
                           "be applied ")
    if zeros and zeros[0] != d:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                           "cannot be applied")
    return bool(zeros)


def dispatch_words(fn, prefix, inverse_at, counts_at, method=False):
    """``fn`` (``unique``, ``unique_consecutive``) refusing an unknown keyword in PyTorch's
    words: its Python function is a ``boolean_dispatch`` on ``return_inverse`` (argument
    ``inverse_at``) and ``return_counts`` (``counts_at``, as PyTorch reads them: for
    ``unique_consecutive`` the other way round) to ``_return_output``,
    ``_return_inverse``, ``_return_counts`` or ``_return_inverse_and_counts`` (each with
    ``prefix``), and its Tensor method a Python method (``Tensor.unique()``)."""
    import functools

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            head, _, rest = str(e).partition("() ")
            if head != fn.__name__ or not rest.startswith("got an unexpected keyword"):
                raise
            inv, cnt = (kwargs[k] if k in kwargs else args[i] if i < len(args) else False
                        for i, k in ((inverse_at, "return_inverse"),
                                     (counts_at, "return_counts")))
            name = f"Tensor.{fn.__name__}" if method else prefix + (
                ("return_inverse_and_counts" if cnt else "return_inverse") if inv else
                "return_counts" if cnt else "return_output")
            raise TypeError(f"{name}() {rest}") from None
    return call


def _sort_decides(flat):
    """Whether which of equal values ``unique`` keeps shows (NaNs, or both signed zeros):
    only then does it need the order of PyTorch's sort (else NumPy's ``unique`` agrees)."""
    with quiet:
        if np.isnan(flat).any():
            return True
        zeros = flat[flat == 0]
    return bool(zeros.size) and bool(np.signbit(zeros).any()) and not np.signbit(zeros).all()


def _unique_dim_needs_replay(a, d):
    """Whether PyTorch's sort order shows in ``unique(dim=d)`` of a float array: NaNs, or
    slices equal by value but not in the signs of their zeros (the sort picks which stays)."""
    if not _sort_decides(a.reshape(-1)):
        return False
    with quiet:
        if np.isnan(a).any():
            return True
    rows = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
    _, first, inv = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    neg = np.signbit(rows.astype(np.float32, copy=False))
    return bool((neg != neg[first][inv.reshape(-1)]).any())


def _unique_rows_replayed(a, d):
    """``unique(dim=d)`` of a float array holding NaNs or both signed zeros, as PyTorch's CPU
    kernel gives it: ``std::sort`` of the slices (a NaN column ties, so the next decides),
    then runs of slices equal by ``==`` (NaN never equal) kept as their first.  None where
    the sort cannot be replayed."""
    moved = np.moveaxis(a, d, 0)
    n = moved.shape[0]
    rows = moved.reshape(n, -1)
    order = _stl_select.row_sort_indices(rows)
    if order is None:
        return None
    s = rows[order]
    with quiet:
        starts = np.concatenate([[True], (s[1:] != s[:-1]).any(axis=1)])
    vals = np.moveaxis(moved[order][starts], 0, d).copy()
    inv = np.empty(n, np.int64)
    inv[order] = np.cumsum(starts) - 1
    counts = np.diff(np.append(np.flatnonzero(starts), n))
    return vals, inv, counts


def unique(t, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Sorted unique values (``sorted=False`` sorts too), optionally inverse indices and counts."""
    kernel = "unique" if dim is None else "unique_dim"
    refuse_dynamic("_unique2" if dim is None else kernel, t)
    if t._device.type == "meta":  # (the size of the result depends on the values)
        raise NotImplementedError(_NO_META_KERNEL.format("_unique2" if dim is None else kernel))
    _no_complex(t, NotImplementedError, f"\"{kernel}\" not implemented for '{{}}'")
    if dim is not None:
        _no_dims(t, dim)
        d = norm_dim(dim, t.ndim)
        if _zero_sized_dims(t, d):
            empty = np.zeros(0, np.int64)
            vals, inv, counts = t._data.copy(), empty, empty
        elif (type(t._data) is np.ndarray and (t._data.dtype.kind == "f" or t.dtype in _LOW)
              and _unique_dim_needs_replay(t._data, d)
              and (vals := _unique_rows_replayed(t._data, d)) is not None):
            vals, inv, counts = vals
        else:
            vals, inv, counts = np.unique(t._data, return_inverse=True, return_counts=True,
                                          axis=d)
        inv = inv.reshape(-1)
        node = ("UniqueDimBackward0", "the derivative for 'unique_dim' is not implemented.")
    else:
        # NOTE: NaNs are all distinct in PyTorch's unique.
        flat = t._data.reshape(-1)
        if (type(flat) is np.ndarray and flat.size and (flat.dtype.kind == "f"
                                                          or t.dtype in _LOW)
                and _sort_decides(flat)):
            # as PyTorch: runs of equal values in ``sort(stable=False)``'s order, each kept
            # as its first (which of -0.0 and 0.0 stays; the order of the NaNs)
            s = sort(wrap(np.ascontiguousarray(flat), t._device), 0, stable=False)
            sv, si = s.values._data, s.indices._data
            starts = np.concatenate([[True], sv[1:] != sv[:-1]])
            vals = sv[starts]
            inv = np.empty(flat.size, np.int64)
            inv[si] = np.cumsum(starts) - 1
            counts = np.diff(np.append(np.flatnonzero(starts), flat.size))
        else:
            vals, inv, counts = np.unique(flat, return_inverse=True, return_counts=True,
                                          equal_nan=False)
        inv = inv.reshape(t.shape)
        node = ("Unique2Backward0", "the derivative for '_unique2' is not implemented.")
    out = [_no_derivative(vals, (t,), node[0], NotImplementedError, node[1])]
    if return_inverse:
        out.append(wrap(inv.astype(np.int64), t._device))
    if return_counts:
        out.append(wrap(counts.astype(np.int64), t._device))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(t, return_inverse=False, return_counts=False, dim=None):
    refuse_dynamic("unique_consecutive", t)
    if t._device.type == "meta":
        raise NotImplementedError(_NO_META_KERNEL.format("unique_consecutive"))
    if dim is not None and t.ndim == 1 and dim == 0:
        dim = None  # (PyTorch's 1-d path)
    if t.dtype.is_complex:
        raise NotImplementedError(f"\"{'unique' if dim is None else 'unique_dim'}\" not "
                                  f"implemented for '{_legacy(t.dtype)}'")
    if dim is None:
        a = t._data.reshape(-1)
        rows = a.reshape(-1, 1)
    else:
        _no_dims(t, dim)
        d = norm_dim(dim, t.ndim)
        if _zero_sized_dims(t, d):
            empty = wrap(np.zeros(0, np.int64), t._device)
            out = [_no_derivative(t._data.copy(), (t,), "UniqueConsecutiveBackward0",
                                  NotImplementedError,
                                  "the derivative for 'unique_consecutive' is not implemented.")]
            out += [empty] * return_inverse + [empty.clone()] * return_counts
            return out[0] if len(out) == 1 else tuple(out)
        a = np.moveaxis(t._data, d, 0)
        rows = a.reshape(a.shape[0], -1)
    n = rows.shape[0]
    keep = xp_of(t).ones(n, dtype=bool)
    if n > 1:
        keep[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    vals = a[keep]
    if dim is not None:
        vals = np.moveaxis(vals, 0, d)
    out = [_no_derivative(vals.copy(), (t,), "UniqueConsecutiveBackward0",
                          NotImplementedError,
                          "the derivative for 'unique_consecutive' is not implemented.")]
    if return_inverse:
        inv = (np.cumsum(keep) - 1).astype(np.int64)
        out.append(wrap(inv.reshape(t.shape) if dim is None else inv, t._device))
    if return_counts:
        pos = np.flatnonzero(keep)
        out.append(wrap(np.diff(np.append(pos, n)).astype(np.int64), t._device))
    return out[0] if len(out) == 1 else tuple(out)


# (PyTorch's text when an op has no meta kernel: bincount's size depends on the values)
_NO_META_KERNEL = (
    "aten::{}: attempted to run this operator with Meta tensors, but there was no fake impl "
    "or Meta kernel registered. You may have run into this message while using an operator "
    "with PT2 compilation APIs (torch.compile/torch.export); in order to use this operator "
    "with those APIs you'll need to add a fake impl. Please see the following for next "
    "steps:  https://pytorch.org/tutorials/advanced/custom_ops_landing_page.html")


def bincount(t, weights=None, minlength=0):
    if t._device.type == "meta":
        raise NotImplementedError(_NO_META_KERNEL.format("bincount"))
    _no_complex(t, NotImplementedError, "\"bincount_cpu\" not implemented for '{}'")
    if t.dtype.is_floating_point or t.dtype is D.bool or t.dtype in D._WIDE_UNSIGNED:
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{_legacy(t.dtype)}\'')
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if t.ndim != 1 or t.dtype.is_floating_point or (t.numel() and int(t._data.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None or not t.numel():  # (no values: int64 zeros, whatever the weights)
        return wrap(np.bincount(t._data, minlength=minlength).astype(np.int64), t._device)
    if weights.shape != t.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    w = weights._data
    arr = np.bincount(t._data, w.astype(np.float64), minlength)
    arr = arr.astype(w.dtype if weights.dtype in (D.float32, D.float64) else np.float64)
    return _no_derivative(arr, (weights,), "NotImplemented", RuntimeError,
                          "derivative for aten::bincount is not implemented")


def _accept_axis(fn):
    """PyTorch accepts NumPy's ``axis=`` (and ``keepdims=``) as aliases of ``dim=``/``keepdim=``."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        if "keepdims" in kwargs:
            kwargs["keepdim"] = kwargs.pop("keepdims")
        if "out" in kwargs and kwargs["out"] is None:  # NumPy's functions pass out=None
            del kwargs["out"]
        return fn(*args, **kwargs)
    return wrapper


for _name in ("sum", "nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin",
              "argmax", "argmin", "std", "var", "std_mean", "var_mean", "logsumexp", "all",
              "any", "count_nonzero", "median", "cumsum", "cumprod"):
    globals()[_name] = _accept_axis(globals()[_name])  # (not norm: PyTorch's is Python code)
del _name
