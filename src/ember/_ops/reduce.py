"""Reductions, scans and sorting."""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import _dtype as D
from ..return_types import make_return
from .._tensor import Tensor
from ._core import make, make_multi, norm_dim, norm_dims, wrap, xp_of

_LOW = (D.float16, D.bfloat16)


def _dims(t, dim):
    """Normalised reduction dims (all of them for ``None``), accepting 0-d tensors."""
    if dim is None:
        return tuple(range(t.ndim))
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        return tuple(range(t.ndim))
    if t.ndim == 0:
        for d in (dim,) if isinstance(dim, int) else dim:
            norm_dim(d, 0)
        return ()
    return norm_dims(dim, t.ndim)


def _acc(t):
    """The array to reduce: float32 for half types, as PyTorch accumulates them."""
    a = t._data
    return a.astype(np.float32) if t.dtype in _LOW else a


def _keep_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _expand_back(g, shape, dims, keepdim):
    """Undo a reduction's shape change on its gradient."""
    if not keepdim and dims:
        g = g.reshape(_keep_shape(shape, dims))
    return g.expand(shape)


def sum(t, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        t = t.to(D.to_dtype(dtype))
    dims = _dims(t, dim)
    out_dt = D.int64 if not t.dtype.is_floating_point else t.dtype
    arr = _acc(t).sum(axis=dims, keepdims=keepdim, dtype=out_dt.np if out_dt is D.int64 else None)
    arr = xp_of(t).asarray(arr).astype(out_dt.np, copy=False)
    name = "SumBackward0" if dim is None else "SumBackward1"
    shape = t.shape
    return make(arr, (t,), name, lambda ctx, g: (_expand_back(g, shape, dims, keepdim),))


def nansum(t, dim=None, keepdim=False, *, dtype=None):
    return sum(t.nan_to_num(0.0) if t.dtype.is_floating_point else t, dim, keepdim, dtype=dtype)


def mean(t, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        t = t.to(D.to_dtype(dtype))
    if not t.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           "floating point or complex dtype. Got: " + _legacy(t.dtype))
    dims = _dims(t, dim)
    n = 1
    for d in dims:
        n *= t.shape[d]
    with np.errstate(invalid="ignore", divide="ignore"):
        arr = _acc(t).mean(axis=dims, keepdims=keepdim) if n else \
            xp_of(t).full(_reduced(t.shape, dims, keepdim), np.nan)
    arr = xp_of(t).asarray(arr).astype(t.dtype.np, copy=False)
    name = "MeanBackward0" if dim is None else "MeanBackward1"
    shape = t.shape
    return make(arr, (t,), name, lambda ctx, g: (_expand_back(g / builtins.max(n, 1), shape, dims,
                                                              keepdim),))


def nanmean(t, dim=None, keepdim=False, *, dtype=None):
    notnan = t.isnan().logical_not()
    return nansum(t, dim, keepdim) / notnan.sum(dim, keepdim)


def _reduced(shape, dims, keepdim):
    return tuple(1 if i in dims else s for i, s in enumerate(shape) if keepdim or i not in dims)


def _legacy(dt):
    from ._core import _legacy as f

    return f(dt)


def prod(t, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        t = t.to(D.to_dtype(dtype))
    dims = _dims(t, dim)
    out_dt = D.int64 if not t.dtype.is_floating_point else t.dtype
    arr = xp_of(t).asarray(_acc(t).prod(axis=dims, keepdims=keepdim)).astype(out_dt.np)

    def rule(ctx, g):
        x, out = ctx.saved
        gk = _expand_back(g, x.shape, dims, keepdim)
        ok = _expand_back(out, x.shape, dims, keepdim)
        zero = x.eq(0)
        if not bool(zero.any()):
            return (gk * ok / x,)
        # With zeros, the product of the others is taken directly (no division by zero).
        safe = x.masked_fill(zero, 1.0)
        others = _expand_back(safe.prod(dim, keepdim) if dim is not None else safe.prod(),
                              x.shape, dims, keepdim)
        nz = _expand_back(zero.sum(dim, keepdim) if dim is not None else zero.sum(),
                          x.shape, dims, keepdim)
        return (gk * (zero & nz.eq(1)).to(x.dtype) * others,)
    name = "ProdBackward0" if dim is None else "ProdBackward1"
    return make(arr, (t,), name, rule, t, _OUT)


from ._core import OUT as _OUT  # noqa: E402


def _check_nonempty(t, name, dim):
    if t.numel() == 0 and dim is None:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the 'dim' "
                           "argument.")


def _even_rule(dims, keepdim):
    """Gradient of max/min/amax/amin: shared evenly between tied extremes (as PyTorch)."""
    def rule(ctx, g):
        x, out = ctx.saved
        ok = _expand_back(out, x.shape, dims, keepdim)
        mask = x.eq(ok).to(g.dtype)
        count = _expand_back(mask.sum(dims, True) if dims else mask, x.shape, dims, True)
        return (_expand_back(g, x.shape, dims, keepdim) * mask / count,)
    return rule


def _extreme(t, dim, keepdim, fn, argfn, name):
    if dim is None:
        _check_nonempty(t, name, None)
        arr = xp_of(t).asarray(fn(t._data))
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
                                 differentiable=(True, False))
    return make_return(name, values, indices)


def maximum_like(t, other, name):
    from .pointwise import maximum, minimum

    return maximum(t, other) if name == "max" else minimum(t, other)


def _nan_arg(a, d, argfn):
    """Index of the extreme along ``d``; NaN wins, as in PyTorch."""
    if a.dtype.kind == "f" or a.dtype == np.float16:
        nan = np.isnan(a)
        if nan.any():
            return np.where(nan.any(axis=d), np.argmax(nan, axis=d), argfn(a, axis=d))
    return argfn(a, axis=d)


def _scatter_back(g, shape, d, idx, keepdim):
    gb = xp_of(g).zeros(shape, dtype=g._data.dtype)
    if not shape:
        return wrap(g._data.reshape(()).copy(), g._device)
    i = idx if keepdim else np.expand_dims(idx, d)
    gv = g._data if keepdim else np.expand_dims(g._data, d)
    np.put_along_axis(gb, i, gv, axis=d)
    return wrap(gb, g._device)


def max(t, dim=None, keepdim=False):
    return _extreme(t, dim, keepdim, np.max, np.argmax, "max")


def min(t, dim=None, keepdim=False):
    return _extreme(t, dim, keepdim, np.min, np.argmin, "min")


def _amax(t, dim, keepdim, fn, name):
    dims = _dims(t, dim)
    if t.numel() == 0 and builtins.any(t.shape[d] == 0 for d in dims) or (t.numel() == 0 and not dims):
        raise IndexError(f"{name}(): Expected reduction dim {dims[0] if dims else 0} to have "
                         "non-zero size.")
    arr = xp_of(t).asarray(fn(t._data, axis=dims, keepdims=keepdim))
    return make(arr, (t,), name.capitalize() + "Backward0", _even_rule(dims, keepdim), t, _OUT)


def amax(t, dim=(), keepdim=False):
    return _amax(t, dim, keepdim, np.max, "amax")


def amin(t, dim=(), keepdim=False):
    return _amax(t, dim, keepdim, np.min, "amin")


def aminmax(t, *, dim=None, keepdim=False):
    return make_return("aminmax", amin(t, dim if dim is not None else (), keepdim),
                       amax(t, dim if dim is not None else (), keepdim), names=("min", "max"))


def _arg(t, dim, keepdim, argfn, name):
    if dim is None:
        _check_nonempty(t, name, None)
        idx = _nan_arg(t._data.reshape(-1), 0, argfn)
        arr = np.asarray(idx, dtype=np.int64)
        if keepdim:
            arr = arr.reshape((1,) * t.ndim)
        return wrap(arr, t._device)
    d = norm_dim(dim, t.ndim)
    a = t._data if t.ndim else t._data.reshape(1)
    if a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    idx = _nan_arg(a, d, argfn).astype(np.int64)
    if keepdim and t.ndim:
        idx = np.expand_dims(idx, d)
    return wrap(idx.reshape(()) if not t.ndim else idx, t._device)


def argmax(t, dim=None, keepdim=False):
    return _arg(t, dim, keepdim, np.argmax, "argmax")


def argmin(t, dim=None, keepdim=False):
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


def var(t, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, unbiased, keepdim, correction = _var_args(dim, unbiased, keepdim, correction)
    c = _correction(unbiased, correction)
    dims = _dims(t, dim)
    if not t.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    with np.errstate(invalid="ignore", divide="ignore"):
        a = _acc(t)
        n = 1
        for d in dims:
            n *= t.shape[d]
        m = a.mean(axis=dims, keepdims=True) if n else a
        arr = ((a - m) ** 2).sum(axis=dims, keepdims=keepdim) / builtin_max(n - c, 0)
    arr = xp_of(t).asarray(arr).astype(t.dtype.np, copy=False)
    shape = t.shape

    def rule(ctx, g):
        x, = ctx.saved
        mu = x.mean(dims, True) if dims else x
        return (_expand_back(g, shape, dims, keepdim) * 2 * (x - mu) / builtin_max(n - c, 0),)
    return make(arr, (t,), "VarBackward0", rule, t)


def std(t, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, unbiased, keepdim, correction = _var_args(dim, unbiased, keepdim, correction)
    v = var(t.detach(), dim, unbiased, keepdim, correction=correction)
    with np.errstate(invalid="ignore"):
        arr = np.sqrt(v._data)
    c = _correction(unbiased, correction)
    dims = _dims(t, dim)
    n = 1
    for d in dims:
        n *= t.shape[d]
    shape = t.shape

    def rule(ctx, g):
        x, out = ctx.saved
        mu = x.mean(dims, True) if dims else x
        o = _expand_back(out, shape, dims, keepdim)
        return (_expand_back(g, shape, dims, keepdim) * (x - mu) / (builtin_max(n - c, 0) * o),)
    return make(arr, (t,), "StdBackward0", rule, t, _OUT)


def var_mean(t, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(t, dim, unbiased, keepdim, correction=correction),
            mean(t, dim if not isinstance(dim, bool) else None, keepdim))


def std_mean(t, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(t, dim, unbiased, keepdim, correction=correction),
            mean(t, dim if not isinstance(dim, bool) else None, keepdim))


builtin_max = builtins.max


def norm(t, p="fro", dim=None, keepdim=False, dtype=None):
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        raise NotImplementedError("torch.norm(p='nuc') is not supported by ember")
    return vector_norm(t, p, dim, keepdim, dtype=dtype)


def vector_norm(t, ord=2, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        t = t.to(D.to_dtype(dtype))
    if not t.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_legacy(t.dtype)}")
    dims = _dims(t, dim)
    a = np.abs(_acc(t))
    p = float(ord)
    with np.errstate(all="ignore"):
        if p == math.inf:
            arr = a.max(axis=dims, keepdims=keepdim) if a.size else np.zeros(())
        elif p == -math.inf:
            arr = a.min(axis=dims, keepdims=keepdim)
        elif p == 0:
            arr = (a != 0).sum(axis=dims, keepdims=keepdim).astype(a.dtype)
        elif p == 1:
            arr = a.sum(axis=dims, keepdims=keepdim)
        elif p == 2:
            arr = np.sqrt((a * a).sum(axis=dims, keepdims=keepdim))
        else:
            arr = (a ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)
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
            return (gk * x.sign() * mask / _expand_back(count, shape, dims, True),)
        if p == 2:
            return (gk * (x / ok).masked_fill(ok.eq(0), 0.0),)
        r = x * x.abs().pow(p - 2) / ok.pow(p - 1)
        return (gk * r.masked_fill(ok.eq(0), 0.0),)
    return make(arr, (t,), "LinalgVectorNormBackward0", rule, t, _OUT)


def logsumexp(t, dim, keepdim=False):
    dims = _dims(t, dim)
    a = _acc(t) if t.dtype.is_floating_point else t._data.astype(D.get_default_dtype().np)
    with np.errstate(all="ignore"):
        m = a.max(axis=dims, keepdims=True) if a.size else np.zeros(_keep_shape(a.shape, dims))
        m = np.where(np.isfinite(m), m, 0)
        arr = np.log(np.exp(a - m).sum(axis=dims, keepdims=True)) + m
    if not keepdim:
        arr = arr.reshape(_reduced(a.shape, dims, False))
    arr = xp_of(t).asarray(arr).astype(t.dtype.np if t.dtype.is_floating_point else
                                       D.get_default_dtype().np, copy=False)
    shape = t.shape

    def rule(ctx, g):
        x, out = ctx.saved
        return (_expand_back(g, shape, dims, keepdim) *
                (x - _expand_back(out, shape, dims, keepdim)).exp(),)
    return make(arr, (t,), "LogsumexpBackward0", rule, t, _OUT)


def cumsum(t, dim, *, dtype=None):
    if dtype is not None:
        t = t.to(D.to_dtype(dtype))
    d = norm_dim(dim, t.ndim)
    out_dt = t.dtype if t.dtype.is_floating_point else D.int64
    a = _acc(t) if t.ndim else t._data.reshape(1)
    arr = np.cumsum(a, axis=d).astype(out_dt.np).reshape(t.shape)
    return make(arr, (t,), "CumsumBackward0",
                lambda ctx, g: (g.flip(d).cumsum(d).flip(d) if t.ndim else g,))


def cumprod(t, dim, *, dtype=None):
    if dtype is not None:
        t = t.to(D.to_dtype(dtype))
    d = norm_dim(dim, t.ndim)
    out_dt = t.dtype if t.dtype.is_floating_point else D.int64
    a = _acc(t) if t.ndim else t._data.reshape(1)
    arr = np.cumprod(a, axis=d).astype(out_dt.np).reshape(t.shape)

    def rule(ctx, g):
        x, out = ctx.saved
        if not bool(x.eq(0).any()):
            return ((g * out).flip(d).cumsum(d).flip(d) / x,)
        # Zeros present: sum_{k>=i} g_k * prod_{j<=k, j!=i} x_j, computed directly.
        xs = x._data
        res = np.zeros_like(xs)
        n = xs.shape[d]
        for i in range(n):
            y = xs.copy()
            np.put_along_axis(y, np.full(_keep_shape(xs.shape, (d,)), i), 1.0, axis=d)
            c = np.cumprod(y, axis=d)
            sl = [slice(None)] * xs.ndim
            sl[d] = slice(i, None)
            val = (g._data[tuple(sl)] * c[tuple(sl)]).sum(axis=d)
            sl[d] = i
            res[tuple(sl)] = val
        return (wrap(res, g._device),)
    return make(arr, (t,), "CumprodBackward0", rule, t, _OUT)


def cummax(t, dim):
    d = norm_dim(dim, t.ndim)
    vals = np.maximum.accumulate(t._data, axis=d)
    idx = _cum_idx(t._data, vals, d)
    return make_return("cummax", wrap(vals, t._device), wrap(idx, t._device))


def cummin(t, dim):
    d = norm_dim(dim, t.ndim)
    vals = np.minimum.accumulate(t._data, axis=d)
    idx = _cum_idx(t._data, vals, d)
    return make_return("cummin", wrap(vals, t._device), wrap(idx, t._device))


def _cum_idx(a, vals, d):
    n = a.shape[d]
    pos = np.arange(n).reshape([-1 if i == d else 1 for i in range(a.ndim)])
    hit = np.where(a == vals, pos, 0)
    return np.maximum.accumulate(hit, axis=d).astype(np.int64)


def all(t, dim=None, keepdim=False):
    dims = _dims(t, dim)
    arr = np.asarray(np.all(t._data, axis=dims, keepdims=keepdim))
    return wrap(arr if t.dtype is not D.uint8 else arr.astype(np.uint8), t._device)


def any(t, dim=None, keepdim=False):
    dims = _dims(t, dim)
    arr = np.asarray(np.any(t._data, axis=dims, keepdims=keepdim))
    return wrap(arr if t.dtype is not D.uint8 else arr.astype(np.uint8), t._device)


def count_nonzero(t, dim=None):
    dims = _dims(t, dim)
    return wrap(np.asarray(np.count_nonzero(t._data, axis=dims) if dims else
                           np.count_nonzero(t._data), dtype=np.int64), t._device)


def sort(t, dim=-1, descending=False, stable=False):
    if isinstance(dim, bool):
        dim, descending = -1, dim
    if t.ndim == 0:
        return make_return("sort", t.clone(), wrap(np.zeros((), np.int64), t._device))
    d = norm_dim(dim, t.ndim)
    a = t._data
    # NaN sorts as the largest value, as in PyTorch; ties keep their order (stable).
    if descending:
        key = -a.astype(np.float64) if a.dtype.kind in "fiu" and a.dtype != np.bool_ else ~a
        if a.dtype.kind == "f" or t.dtype in _LOW:
            key = np.where(np.isnan(a.astype(np.float64)), -np.inf, key)
        idx = np.argsort(key, axis=d, kind="stable")
    else:
        idx = np.argsort(a, axis=d, kind="stable")
    idx = idx.astype(np.int64)
    vals = np.take_along_axis(a, idx, axis=d)
    shape = t.shape

    def rule(ctx, gv, gi):
        return (_scatter_back(gv, shape, d, idx, True),)
    values, indices = make_multi((vals, idx), (t,), "SortBackward0", rule,
                                 differentiable=(True, False))
    return make_return("sort", values, indices)


def argsort(t, dim=-1, descending=False, stable=False):
    return sort(t, dim, descending, stable).indices


def msort(t):
    return sort(t, 0).values


def topk(t, k, dim=-1, largest=True, sorted=True):
    d = norm_dim(dim, t.ndim)
    n = t.shape[d] if t.ndim else 1
    if k > n or k < 0:
        raise RuntimeError("selected index k out of range")
    s = sort(t.detach(), d, descending=largest)
    idx = s.indices._data
    sl = [slice(None)] * t.ndim
    if t.ndim:
        sl[d] = slice(0, k)
    idx = idx[tuple(sl)]
    vals = np.take_along_axis(t._data, idx, axis=d) if t.ndim else t._data.copy()
    shape = t.shape

    def rule(ctx, gv, gi):
        return (_scatter_back(gv, shape, d, idx, True),)
    values, indices = make_multi((vals, idx), (t,), "TopkBackward0", rule,
                                 differentiable=(True, False))
    return make_return("topk", values, indices)


def kthvalue(t, k, dim=-1, keepdim=False):
    d = norm_dim(dim, t.ndim)
    s = sort(t, d)
    v = s.values.select(d, k - 1)
    i = s.indices.select(d, k - 1)
    if keepdim:
        v, i = v.unsqueeze(d), i.unsqueeze(d)
    return make_return("kthvalue", v, i)


def median(t, dim=None, keepdim=False):
    if dim is None:
        flat = t.reshape(-1)
        return sort(flat).values[(flat.numel() - 1) // 2]
    d = norm_dim(dim, t.ndim)
    n = t.shape[d]
    k = kthvalue(t, (n - 1) // 2 + 1, d, keepdim)
    return make_return("median", k.values, k.indices)


def mode(t, dim=-1, keepdim=False):
    raise NotImplementedError("torch.mode is not supported by ember")


def unique(t, sorted=True, return_inverse=False, return_counts=False, dim=None):
    if dim is not None:
        res = np.unique(t._data, return_inverse=True, return_counts=True,
                        axis=norm_dim(dim, t.ndim))
    else:
        res = np.unique(t._data.reshape(-1), return_inverse=True, return_counts=True)
    vals, inv, counts = res
    out = [wrap(vals, t._device)]
    if return_inverse:
        out.append(wrap(inv.reshape(t.shape if dim is None else (-1,)).astype(np.int64),
                        t._device))
    if return_counts:
        out.append(wrap(counts.astype(np.int64), t._device))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(t, return_inverse=False, return_counts=False, dim=None):
    a = t._data.reshape(-1)
    if a.size == 0:
        keep = np.zeros(0, dtype=bool)
    else:
        keep = np.concatenate([[True], a[1:] != a[:-1]])
    vals = a[keep]
    out = [wrap(vals, t._device)]
    if return_inverse:
        out.append(wrap((np.cumsum(keep) - 1).reshape(t.shape).astype(np.int64), t._device))
    if return_counts:
        pos = np.flatnonzero(keep)
        out.append(wrap(np.diff(np.append(pos, a.size)).astype(np.int64), t._device))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(t, weights=None, minlength=0):
    w = None if weights is None else weights._data
    arr = np.bincount(t._data, w, minlength)
    return wrap(arr if w is not None else arr.astype(np.int64), t._device)
