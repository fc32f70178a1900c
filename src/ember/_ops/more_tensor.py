"""More of ``torch``'s functions over tensors: differences and products (``diff``, ``kron``,
``cdist``), searching and counting (``searchsorted``, ``histc``, ``quantile``), index
updates (``index_fill``, ``scatter_reduce``), and small constructors.

Most are composites of ember's primitives, so autograd needs no rule for them (their
``grad_fn`` names are then those of the last primitive, not PyTorch's).  Primitives with a
rule of their own: ``logcumsumexp`` (a stable scan), ``scatter_reduce`` (and through it
``index_reduce``), ``index_copy`` (and ``put``), ``mode`` and ``nanmedian``.

Array work goes through the array module of the tensors' device (``xp_of``), so everything
here runs on the GPU too.
"""
from __future__ import annotations

import builtins
import math
import numbers
from ember._warnings import warn as _warn
from ember._warnings import warn_once

import numpy as np

from .. import _device as _dev
from .. import _dtype as D
from .._tensor import Tensor
from ..return_types import make_return
from . import _overlap, _stl_select
from . import creation as F
from . import index as I
from . import linalg as L
from . import pointwise as P
from . import reduce as R
from . import shape as S
from ._core import (OUT, _legacy, check_inplace, commit, make, make_multi, norm_dim, quiet,
                    same_device, shape_arg, snapshot, sum_to, to_host, wrap, xp_of,
                    xp_of_array)
from ._core import c_order, fused, fused_op, need_tensor, not_twice_differentiable
from ._core import check_out_first, check_written_overlap
from ._core import into_out as _out

__all__ = [
    "trace", "diff", "kron", "cdist", "pdist", "dist", "searchsorted", "bucketize", "histc",
    "histogram", "quantile", "nanquantile", "mode", "nanmedian", "logcumsumexp", "isin",
    "index_fill", "index_copy", "index_reduce", "scatter_reduce", "masked_scatter", "put",
    "baddbmm", "addmv", "addbmm", "addr", "chain_matmul", "vsplit", "hsplit", "dsplit",
    "row_stack", "ravel", "cartesian_prod", "combinations", "block_diag", "diagflat", "cov",
    "corrcoef", "trapezoid", "trapz", "cumulative_trapezoid", "is_nonzero", "is_same_size",
    "unravel_index", "frombuffer", "empty_strided", "hann_window", "hamming_window",
    "bartlett_window", "blackman_window", "kaiser_window", "set_default_device",
    "get_default_device", "adjoint", "vander", "renorm",
]

_range = builtins.range
_max = builtins.max


# -- helpers ----------------------------------------------------------------------------------

def _fmt(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _num(v):
    """A number as C++'s stream prints a double (``3``, ``0.5``, ``inf``)."""
    return f"{float(v):g}"


def _long(arr, ref):
    """An int64 tensor on ``ref``'s device holding ``arr`` (an array of that device)."""
    return wrap(arr.astype(np.int64, copy=False), ref._device)


def _host_int(a):
    """A 0-d array's (or NumPy scalar's) value as a Python int (a sync on the GPU)."""
    return int(a.item())


def _cpp(dt):
    """The C++ type name PyTorch's messages use for a dtype."""
    return D.cpp_name(dt)


# -- differences and products -----------------------------------------------------------------

@fused_op("TraceBackward0", twice="ViewBackward0")
def trace(input):
    """The sum of the main diagonal of a matrix (int64 for integer matrices)."""
    if input.dtype is D.bool or input.dtype in D.FLOAT8 or input.dtype in D._WIDE_UNSIGNED:
        # (refused before the dims)
        raise NotImplementedError(f"\"trace\" not implemented for '{D.scalar_name(input.dtype)}'")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return R.sum(S.diagonal(input))


def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    """The ``n``-th forward difference along ``dim`` (``!=`` for bool tensors), with
    ``prepend``/``append`` joined on first.  Shape: ``dim`` shrinks by ``n`` (to 0 at least).
    """
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    if n == 0:  # (the input as it is: PyTorch looks at neither the dim nor prepend/append)
        return _out(input.clone(), out)
    d = norm_dim(dim, input.ndim)
    parts = [input]
    for name, t in (("prepend", prepend), ("append", append)):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(t).__name__}")
        if t.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        parts.insert(0 if name == "prepend" else len(parts), t)
    x = S.cat(parts, d) if len(parts) > 1 else input
    for _ in _range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = S.narrow(x, d, 1, m - 1), S.narrow(x, d, 0, m - 1)
        x = P.logical_xor(hi, lo) if x.dtype is D.bool else P.sub(hi, lo)
    return _out(x, out, "diff")  # (whose refusal of grad names sub, the op it writes with)


def kron(input, other, *, out=None):
    """The Kronecker product: block ``i`` of the result is ``input[i] * other``.

    Shapes (padded with leading 1s to one length ``k``): ``input.shape[j] * other.shape[j]``.
    """
    need_tensor(input, "kron")
    need_tensor(other, "kron", "other", 2)
    k = _max(input.ndim, other.ndim)
    a_shape = (1,) * (k - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (k - other.ndim) + tuple(other.shape)
    # interleave the dims: a as (a0, 1, a1, 1, ...), b as (1, b0, 1, b1, ...)
    # (PyTorch reshapes with ``_unsafe_view``: the nodes are UnsafeViewBackward0)
    a = L._unsafe_view(input, [s for ab in zip(a_shape, (1,) * k) for s in ab])
    b = L._unsafe_view(other, [s for ab in zip((1,) * k, b_shape) for s in ab])
    res = L._unsafe_view(P.mul(a, b), [p * q for p, q in zip(a_shape, b_shape)])
    return _out(res, out)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The ``p``-norm distance between each row of ``x1`` (``B x P x M``) and each row of
    ``x2`` (``B x R x M``): a ``B x P x R`` tensor (batch dims broadcast).

    NOTE: as in PyTorch, the Euclidean distance is taken from matrix products
    (``|a|^2 - 2 a.b + |b|^2``) when either side has more than 25 rows (or always, with
    ``compute_mode='use_mm_for_euclid_dist'``): faster, a little less exact.
    """
    need_tensor(x1, "cdist", "x1")
    need_tensor(x2, "cdist", "x2", 2)
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if type(p) is not float and type(p) is not int:  # (torch.cdist gives it by position)
        from .._argparse import with_int_args

        with_int_args("cdist", ["Tensor x1, Tensor x2, double p=2, int64_t? compute_mode=None"])(
            lambda *args: args)(x1, x2, p)
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
    for name, t in (("X1", x1), ("X2", x2)):
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_legacy(t.dtype)}")
        if t.dtype in (D.float16, D.bfloat16):
            raise NotImplementedError(f"\"cdist\" not implemented for '{_legacy(t.dtype)}'")
    m = x1.shape[-1]
    if x2.shape[-1] != m:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {m} X2: "
                           f"{x2.shape[-1]}")
    if x1.dtype is not x2.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(x1.dtype)} but found "
                           f"{_legacy(x2.dtype)}")
    p = float(p)
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    same_device(x1, x2)
    batch = tuple(S.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2])))
    r1, r2 = x1.shape[-2], x2.shape[-2]
    if m == 0 or r1 == 0 or r2 == 0:
        a = S.expand(x1, batch + (r1, m))
        b = S.expand(x2, batch + (r2, m))
        return F.zeros(batch + (r1, r2), dtype=x1.dtype, device=x1.device) + \
            (a.sum() + b.sum()) * 0
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode != "donot_use_mm_for_euclid_dist" and (r1 > 25 or r2 > 25)))
    # as PyTorch's graph: one CdistBackward0, or ViewBackward0 over EuclideanDistBackward0
    if use_mm:
        res = fused("EuclideanDistBackward0",
                    lambda x1, x2: _cdist(x1, x2, p, batch, use_mm), x1, x2, twice="SubBackward0")
        return res.view(res.shape) if res.requires_grad else res
    if (p in (1.0, 2.0, math.inf) or p > 0 and x1.dtype is D.float32) and \
            x1.shape[:-2] == x2.shape[:-2] and type(x1._data) is np.ndarray and \
            (x1.requires_grad or x2.requires_grad):
        return _cdist_direct(x1, x2, p, batch)
    return fused("CdistBackward0", lambda x1, x2: _cdist(x1, x2, p, batch, use_mm), x1, x2,
                 refuse=_CDIST_TWICE)


# NOTE: PyTorch has no derivative for cdist's (and pdist's) gradient kernels: a create_graph
# gradient is a node that refuses a second backward.
_CDIST_TWICE = ("CdistBackwardBackward0", "the derivative for '_cdist_backward' is not "
                "implemented.", NotImplementedError)
_PDIST_TWICE = ("PdistBackwardBackward0", "the derivative for '_pdist_backward' is not "
                "implemented.", NotImplementedError)


def _cdist_direct(x1, x2, p, batch):
    """cdist without matrix products, with PyTorch's gradient kernel (p = 1, 2, inf): for
    each element of ``x1``, the terms ``g_ij * d(dist_ij)/d(x1_ik)`` added over the rows
    ``j`` of ``x2`` in order from zero (and ``x2``'s gradient the same with the roles
    swapped); under ``create_graph`` the gradients refuse a second backward (as PyTorch's)."""
    from ..autograd.grad_mode import STATE, no_grad

    with no_grad():
        res = _cdist(x1, x2, p, batch, False)
    r1, r2, m = x1.shape[-2], x2.shape[-2], x1.shape[-1]

    def rule(ctx, g):
        t1, t2, out = ctx.saved
        need = ctx.needs_input_grad
        a = t1._data.reshape(-1, r1, m)
        b = t2._data.reshape(-1, r2, m)
        gg = np.ascontiguousarray(g._data).reshape(-1, r1, r2)
        dd = out._data.reshape(-1, r1, r2)
        g1 = wrap(_cdist_grad(a, b, gg, dd, p).reshape(t1.shape), g._device) if need[0] \
            else None
        g2 = wrap(_cdist_grad(b, a, gg.transpose(0, 2, 1), dd.transpose(0, 2, 1),
                              p).reshape(t2.shape), g._device) if need[1] else None
        if STATE.enabled:
            name, msg, err = _CDIST_TWICE
            return tuple(None if r is None else not_twice_differentiable(
                r, None, msg, err, name, (g, t1, t2)) for r in (g1, g2))
        return g1, g2
    return make(res._data, (x1, x2), "CdistBackward0", rule, x1, x2, OUT)


def _cdist_grad(a, b, g, dist, p):
    """(batch, r1, m): PyTorch's cdist gradient for ``a``: per element the terms over the
    rows of ``b`` (``g * sign(diff)`` for p = 1, ``g * diff / dist`` (0 where dist is 0)
    for p = 2, for inf ``g * sign(diff)`` where ``|diff|`` is the distance, else
    ``diff |diff|**(p-2) g / dist**(p-1)``, for p < 2 ``sign(diff) |diff|**(p-1) ...``)
    added in order."""
    from . import _reduce_orders

    diff = a[:, :, None, :] - b[:, None, :, :]
    gk, dk = g[..., None], dist[..., None]
    one = a.dtype.type(1)
    with quiet:
        sign = (diff > 0).astype(a.dtype) - (diff < 0).astype(a.dtype)
        if p == 1:
            terms = gk * sign
        elif p == 2:
            terms = np.where(dk == 0, a.dtype.type(0), gk * diff / dk)
        elif p == math.inf:
            hit = one - np.minimum(one, np.ceil(np.abs(np.abs(diff) - dk)))
            terms = gk * sign * hit
        else:  # (float32 only: Sleef's powf, as the kernel's vectors raise to p - 1, p - 2)
            from ._sleef import powf
            pf = np.float32(p)
            below = powf(dk, pf - one)
            if p < 2:
                terms = sign * powf(np.abs(diff), pf - one) * gk / below
                if p < 1:
                    terms = np.where(diff == 0, a.dtype.type(0), terms)
            else:
                terms = diff * powf(np.abs(diff), pf - np.float32(2)) * gk / below
            terms = np.where(dk == 0, a.dtype.type(0), terms)
    terms = np.moveaxis(terms, 2, -1)
    return _reduce_orders._ordered(terms, np.add) + a.dtype.type(0)


def _cdist(x1, x2, p, batch, use_mm):
    m, r1, r2 = x1.shape[-1], x1.shape[-2], x2.shape[-2]
    a = S.expand(x1, batch + (r1, m))
    b = S.expand(x2, batch + (r2, m))
    if use_mm:
        if a.device.type != "cpu":
            aa = P.mul(a, a).sum(-1, keepdim=True)
            bb = P.mul(b, b).sum(-1, keepdim=True)
            sq = P.add(P.sub(aa, L.matmul(a, S.mT(b)) * 2), S.mT(bb))
            # a rounded-away square (<= 0) is distance 0 with gradient 0, as in PyTorch;
            # the inner where keeps sqrt's derivative finite there
            pos = sq > 0
            return P.where(pos, P.sqrt(P.where(pos, sq, 1.0)), 0.0)
        lead = (math.prod(batch),) if batch else ()
        res = _euclidean_dist(a.reshape(lead + (r1, m)), b.reshape(lead + (r2, m)))
        return res.view(batch + (r1, r2))
    # (the kernel folds each pair's terms left to right: ``vector_norm``'s fold, with the
    # root taken as cdist's kernel takes it)
    return R.vector_norm(P.sub(a.unsqueeze(-2), b.unsqueeze(-3)), p, -1, _cdist=True)


def _euclidean_dist(x1, x2):
    """PyTorch's matrix-product Euclidean distance of the rows of ``x1`` (B x P x M) and
    ``x2`` (B x R x M), its steps and rounding: one batched product of the rows extended by
    their squared norms and ones, ``[-2 x1, |x1|^2, 1] @ [x2, 1, |x2|^2]^T``, clamped at zero,
    square-rooted.  Its gradient is PyTorch's formula (``g / d``, zero where ``d`` is zero,
    taken back through ``x1 * sum(ratio) - ratio @ x2``)."""
    from ..autograd.grad_mode import no_grad

    with no_grad():
        n1 = P.mul(x1, x1).sum(-1, keepdim=True)
        n2 = P.mul(x2, x2).sum(-1, keepdim=True)
        ext1 = S.cat([P.mul(x1, -2), n1, F.ones_like(n1)], -1)
        ext2 = S.cat([x2, F.ones_like(n2), n2], -1)
        out = L.matmul(ext1, S.mT(ext2)).clamp_min(0).sqrt()

    def rule(ctx, g):
        t1, t2, res = ctx.saved
        ratio = P.div(g, res).masked_fill(res.eq(0), 0.0)
        n = ctx.needs_input_grad
        g1 = P.sub(P.mul(t1, ratio.sum(-1, keepdim=True)), L.matmul(ratio, t2)) if n[0] \
            else None
        g2 = P.sub(P.mul(t2, S.mT(ratio.sum(-2, keepdim=True))),
                   L.matmul(S.mT(ratio), t1)) if n[1] else None
        return g1, g2
    return make(out._data, (x1, x2), "EuclideanDistBackward0", rule, x1, x2, OUT)


@fused_op("PdistBackward0", refuse=_PDIST_TWICE, keep=(0, OUT))  # (self, the result)
def pdist(input, p=2):
    """The ``p``-norm distance between every pair of rows ``i < j`` of an ``N x M`` matrix,
    in row-major order of the pairs: ``N * (N - 1) / 2`` values."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    if input.dtype in (D.float16, D.bfloat16) and n >= 2 and input.shape[1] and \
            input.device.type == "cpu":  # (PyTorch's CPU kernel has no half types)
        raise NotImplementedError(f"\"pdist\" not implemented for '{_legacy(input.dtype)}'")
    if float(p) > 0 and type(input._data) is np.ndarray and n >= 2 and input.shape[1] and \
            (input.dtype is D.float32 or input.dtype is D.float64 and
             float(p) in (1.0, 2.0, math.inf)):
        return _pdist_exact(input, float(p))
    i, j = xp_of(input).triu_indices(n, 1)
    rows_i = I.index_select(input, 0, _long(i, input))
    rows_j = I.index_select(input, 0, _long(j, input))
    return R.vector_norm(P.sub(rows_i, rows_j), p, -1)


def _pdist_exact(input, p):
    """pdist as PyTorch's CPU kernel forms it: each pair's terms (``|d|``, ``d*d``, else
    Sleef's ``pow(|d|, p)``) summed in 32-byte vectors whose lanes fold in halves (the last
    partial vector added into the first lanes; a row shorter than a vector left to right),
    then the root ``pow(sum, 1/p)`` in double; the gradient as cdist's kernel forms it, each
    row's terms over its partners in order."""
    from . import _sleef

    x = np.ascontiguousarray(input._data)
    n = x.shape[0]
    i, j = np.triu_indices(n, 1)
    d = x[i] - x[j]
    lanes = 32 // x.itemsize
    with quiet:
        if p == math.inf:
            arr = np.abs(d).max(axis=-1)
        else:
            terms = np.abs(d) if p == 1 else d * d if p == 2 else \
                _sleef.powf(np.abs(d), np.float32(p))
            arr = _sleef.row_sums(terms, lanes) + x.dtype.type(0)
            if p == 2:
                arr = np.sqrt(arr)
            elif p != 1:
                arr = np.power(arr.astype(np.float64), 1.0 / p).astype(x.dtype)

    def rule(ctx, g):
        t, out = ctx.saved
        a = np.ascontiguousarray(t._data)
        full_g = np.zeros((n, n), a.dtype)
        full_d = np.zeros((n, n), a.dtype)
        full_g[i, j] = full_g[j, i] = g._data
        full_d[i, j] = full_d[j, i] = out._data
        return (wrap(_cdist_grad(a[None], a[None], full_g[None], full_d[None], p)[0],
                     g._device),)
    return make(arr.astype(x.dtype, copy=False), (input,), "PdistBackward0", rule, input, OUT)


@fused_op("DistBackward0", keep=(0, 1, OUT))  # (as PyTorch's: self, other, result)
def dist(input, other, p=2):
    """``vector_norm(input - other, p)`` (the two broadcast together)."""
    need_tensor(input, "dist")
    need_tensor(other, "dist", "other", 2)
    if isinstance(p, Tensor):
        p = p.item()
    dt = D.result_type(input, other)
    if dt in D._WIDE_UNSIGNED:  # (PyTorch subtracts first, which it cannot for them)
        _refuse_wide(input if input.dtype is dt else other, "add_stub")
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {_legacy(dt)} instead.")
    return R.vector_norm(P.sub(input, other), p)


# -- searching and counting ----------------------------------------------------------------------

def _bisect(bounds, values, right):
    """Insertion points of ``values`` (``rows x k``) in each row of the sorted ``bounds``
    (``rows x n``): a binary search run on every value at once, ``log2(n)`` steps.

    NOTE: it compares as PyTorch's kernel does (``!(b >= v)`` to go right, or ``!(b > v)``
    for ``right``), so a NaN value lands at the end and NaN bounds count as large.
    """
    xp = xp_of_array(bounds)
    n = bounds.shape[-1]
    lo = xp.zeros(values.shape, dtype=np.int64)
    if n == 0:
        return lo
    hi = xp.full(values.shape, n, dtype=np.int64)
    for _ in _range(n.bit_length()):
        mid = (lo + hi) // 2
        b = xp.take_along_axis(bounds, xp.minimum(mid, n - 1), axis=-1)
        go = ~(b > values) if right else ~(b >= values)
        live = lo < hi
        lo = xp.where(live & go, mid + 1, lo)
        hi = xp.where(live & ~go, mid, hi)
    return lo


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 out=None, sorter=None):
    """Where each value of ``input`` would go in the sorted last dim of ``sorted_sequence``
    (first such place, or last with ``right=True`` / ``side='right'``).  A 1-d sequence
    serves every value; an N-d one has one row per leading index of ``input``."""
    from .complex import kernel_refusal, refuse

    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    if out is not None and out.dtype is not (D.int32 if out_int32 else D.int64):
        raise RuntimeError("torch.searchsorted(): output tensor's dtype is wrong, it can only be "
                           "Int(int32) or Long(int64) depending on whether out_int32 flag is "
                           f"True, but we got output tensor's dtype {_legacy(out.dtype)} and "
                           f"out_int32 flag is {bool(out_int32)}")
    bd = sorted_sequence
    if bd.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    xp = xp_of(bd)
    vals = input._data if isinstance(input, Tensor) else xp.asarray(input)
    if isinstance(input, Tensor):
        same_device(bd, input)
    if bd.ndim > 1 and (vals.ndim != bd.ndim or tuple(vals.shape[:-1]) != tuple(bd.shape[:-1])):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           "first N-1 dimensions of boundaries tensor and input value tensor "
                           f"must match, but we got boundaries tensor {_fmt(bd.shape)} and input "
                           f"value tensor {_fmt(vals.shape)}")
    b = bd._data
    if sorter is not None:
        if sorter.dtype is not D.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got dtype {_legacy(sorter.dtype)}")
        if tuple(sorter.shape) != tuple(bd.shape):
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {_fmt(bd.shape)}and got sorter "
                               f"tensor {_fmt(sorter.shape)}")
        s = sorter._data
        if s.size and (_host_int(s.min()) < 0 or _host_int(s.max()) >= bd.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        b = xp.take_along_axis(b, s, axis=-1)
    if not vals.size:  # (nothing to look up: no kernel runs, so no dtype check)
        return _out(wrap(xp.zeros(vals.shape, np.int32 if out_int32 else np.int64), bd._device),
                    out)
    for t, what, line in ((input, "input value", 32), (bd, "boundary", 38), (sorter, "sorter", 44)):
        if isinstance(t, Tensor) and not t.is_contiguous():  # (PyTorch copies it: once a process)
            warn_once(f"searchsorted {what}", f"torch.searchsorted(): {what} tensor is "
                      "non-contiguous, this will lower the performance due to extra data copy "
                      "when converting non-contiguous tensor to contiguous, please use contiguous "
                      f"{what} tensor if possible. This message will only appear once per "
                      "program.", cpp=f"aten/src/ATen/native/BucketizationUtils.h:{line}")
    for t in (sorted_sequence, input):
        refuse(t, kernel_refusal("searchsorted_out_cpu"))
    if D.result_type(bd, input) is D.bool:  # (computed in the two inputs' common dtype)
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    if D.result_type(bd, input) in D._WIDE_UNSIGNED:
        raise NotImplementedError(f"\"searchsorted_out_cpu\" not implemented for "
                                  f"'{D.scalar_name(D.result_type(bd, input))}'")
    # NOTE: PyTorch compares in the two inputs' common dtype, so a Python scalar or 0-d tensor
    # wraps into an integer sequence's dtype (-1 is 255 among uint8 bounds) and values round
    # to a narrower float sequence's precision before the search.
    common = D.result_type(bd, input).np
    with quiet:  # (a value past float16's range becomes inf, as in PyTorch)
        if b.dtype != common:
            b = b.astype(common)
        if vals.dtype != common:
            vals = vals.astype(common)
    n = b.shape[-1]
    if b.ndim == 1:  # one row of bounds for every value
        rows, v = b.reshape(1, n), vals.reshape(1, -1)
    else:  # a row of bounds per row of values
        rows = b.reshape(-1, n)
        v = vals.reshape(rows.shape[0], vals.shape[-1])
    pos = _bisect(rows, v, right).reshape(vals.shape)
    res = wrap(pos.astype(np.int32 if out_int32 else np.int64), bd._device)
    return _out(res, out)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The bucket of each value of ``input`` among the sorted 1-d ``boundaries``."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def _bins_of(x, edges, local_search=False):
    """Linear bin numbers of the values ``x`` among the evenly spaced ``edges`` (the top edge
    in the last bin), computed in ``x``'s dtype as PyTorch's kernel does, and which values
    count (those within the outer edges).  ``local_search`` (``histogram``'s kernel) then moves
    each to its place among the neighbouring edges."""
    xp = xp_of_array(x)
    bins = edges.shape[0] - 1
    lo_, hi_ = edges[0], edges[-1]
    keep = (x >= lo_) & (x <= hi_)
    with quiet:
        f = (x - lo_) * x.dtype.type(bins) / (hi_ - lo_)
    bad = ~xp.isfinite(f)  # (C++'s cast gives INT64_MIN: histc's kernel lands in bin 0)
    pos = xp.where(bad, 0, f).astype(np.int64)
    if local_search:  # (from INT64_MIN, the search window wraps round to edges 0 and 1)
        lo_i = xp.where(bad, 0, xp.maximum(pos - 1, 0))
        hi_i = xp.where(bad, 2, xp.minimum(pos + 2, bins + 1))
        cnt = xp.zeros_like(pos)
        for k in range(3):
            i = lo_i + k
            cnt += (i < hi_i) & (edges[xp.minimum(i, bins)] <= x)
        pos = lo_i + cnt - 1
    pos = xp.where(pos >= bins, bins - 1, pos)
    return pos, keep


def _nan_text(v, input, a):
    """``v`` as PyTorch's message prints the range's end: its ``aminmax`` gives a NaN of the
    sign bit set (``-nan``) when it reduces several values (bfloat16 aside)."""
    if math.isnan(v) and input.dtype is not D.bfloat16 and (a.size > 1 or np.signbit(a[0])):
        return "-nan"
    return _num(v)


def _check_linspace_bounds(input, lo, hi):
    """PyTorch's histograms make their bin edges with ``linspace`` in the input's dtype:
    its refusals (bool, bounds an integer type cannot hold) come before the kernel's."""
    if input.dtype is D.bool:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if input.dtype._kind == 1:
        info = np.iinfo(input._data.dtype)
        mn, mx = float(info.min), float(info.max)  # (compared as doubles, as c10's check)
        if not (mn <= lo <= mx and mn <= hi <= mx):
            from .creation import _CTYPE  # (int32's C name is ``int``)

            raise RuntimeError(f"value cannot be converted to type {_CTYPE[input.dtype.name]} "
                               "without overflow")


def histc(input, bins=100, min=0, max=0, *, out=None):
    """A histogram of ``input`` with ``bins`` equal bins over ``[min, max]`` (the data's own
    range when both are equal); values outside are ignored.  Not differentiable."""
    from .complex import kernel_refusal, refuse

    if input._device.type == "meta":  # (PyTorch's meta kernel: the size, no dtype check)
        if bins <= 0:
            raise RuntimeError(f"histc(): bins must be > 0, but got {bins}")
        if not float(min) <= float(max):
            raise RuntimeError("histc(): max must be larger than min")
        hist = xp_of(input).zeros((int(bins),), dtype=input._data.dtype)
        return _out(wrap(hist, input._device), out)
    # (PyTorch's order: the out dtype, the bins, the range (the data's own through aminmax),
    # the bin edges (linspace in the input's dtype), then the kernel's dtype)
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError("torch.histogram: input tensor and hist tensor should have the same "
                           f"dtype, but got input {D.cpp_name(input.dtype)} and hist "
                           f"{D.cpp_name(out.dtype)}")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")
    lo, hi = float(min), float(max)
    a = input._data.reshape(-1)
    wide = input.dtype in D._WIDE_UNSIGNED  # (no aminmax, no linspace for it)
    lo_s = None
    if lo == hi and a.size:
        refuse(input, kernel_refusal("aminmax_cpu"))
        if wide:
            raise NotImplementedError(f"\"aminmax_cpu\" not implemented for "
                                      f"'{_legacy(input.dtype)}'")
        lo, hi = float(a.min().item()), float(a.max().item())
        if math.isnan(lo) or math.isnan(hi):  # (aminmax: NaN at both ends)
            lo = hi = math.nan
            lo_s = hi_s = _nan_text(lo, input, a)
    if lo == hi:  # (float and double: at least one step of their own precision)
        if input.dtype in (D.float32, D.float64):
            t = input._data.dtype.type
            fi = np.finfo(t)  # (C++'s nexttoward the lowest and the largest value)
            with quiet:
                lo = builtins.min(float(np.nextafter(t(lo), fi.min)), lo - 1)
                hi = builtins.max(float(np.nextafter(t(hi), fi.max)), hi + 1)
        else:
            lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        if lo_s is None:
            lo_s, hi_s = _num(lo), _num(hi)
        raise RuntimeError(f"torch.histc: range of [{lo_s}, {hi_s}] is not finite")
    if not lo < hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    _check_linspace_bounds(input, lo, hi)
    if wide:
        raise NotImplementedError(f"\"linspace_cpu\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    xp = xp_of(input)
    x = a  # (half types round at each step, as PyTorch computes in them)
    edges = F.linspace(lo, hi, bins + 1, dtype=input.dtype, device=input.device)._data
    pos, keep = _bins_of(x, edges)
    hist = xp.bincount(pos[keep], minlength=bins).astype(input._data.dtype)
    return _out(wrap(hist, input._device), out)


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """``(hist, bin_edges)``: counts (or summed ``weight``) of ``input``'s values in each bin.

    ``bins``: a count of equal bins over ``range`` (the data's range by default), or a
    tensor of increasing edges.  A value equal to the last edge falls in the last bin.
    ``density=True`` scales the counts to integrate to 1.
    """
    if input._device.type == "meta" and not isinstance(bins, Tensor):
        from .reduce import _NO_META_KERNEL  # (the sizes of the edges' range need values)

        raise NotImplementedError(_NO_META_KERNEL.format("histogram.bin_ct"))
    # (PyTorch's order: the bins; the data's range (a float32/float64 kernel); the range's
    # checks; the edges (linspace, in the input's dtype); the weight; the kernel's dtype)
    a = input._data.reshape(-1)
    if isinstance(bins, Tensor):
        if bins.dtype is not input.dtype:
            raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have "
                               f"the same dtype, but got input with dtype {_cpp(input.dtype)} "
                               f"and bins for dimension 0 with dtype {_cpp(bins.dtype)}")
        if bins.ndim != 1:
            raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but "
                               f"got {bins.ndim} dimensions in the bins tensor for dimension 0")
        same_device(input, bins)
        edges = bins.detach().clone()
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               "dimension 0")
        if range is not None:
            lo, hi = (float(v) for v in range)
            if lo > hi:
                raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                                   f"{_num(lo)} max {_num(hi)} for dimension 0")
        elif a.size:
            if input.dtype not in (D.float32, D.float64):
                raise NotImplementedError(f"\"histogramdd\" not implemented for "
                                          f"'{_legacy(input.dtype)}'")
            lo, hi = float(a.min().item()), float(a.max().item())
        else:  # no data: PyTorch's bins span [0, 1]
            lo, hi = 0.0, 1.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{_num(lo)}, {_num(hi)}] "
                               "is not finite")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        _check_linspace_bounds(input, lo, hi)
        edges = F.linspace(lo, hi, bins + 1, dtype=input.dtype, device=input.device) \
            if input.dtype.is_floating_point else None
    w = None
    if weight is not None:
        if weight.dtype is not input.dtype:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor "
                               "and weight tensor should have the same dtype, but got "
                               f"input({_cpp(input.dtype)}), and weight({_cpp(weight.dtype)})")
        if tuple(weight.shape) != tuple(input.shape):
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have "
                               "the same shape as the input tensor excluding its innermost "
                               f"dimension, but got input with shape {_fmt(input.shape)} and "
                               f"weight with shape {_fmt(weight.shape)}")
        w = weight._data.reshape(-1)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    xp = xp_of(input)
    e = edges._data
    nb = e.shape[0] - 1
    if nb < 1:
        hist = xp.zeros(0, dtype=a.dtype)
    else:
        if isinstance(bins, Tensor):  # (any edges: a binary search)
            pos = _bisect(e.reshape(1, -1), a.reshape(1, -1), True).reshape(-1) - 1
            keep = (a >= e[0]) & (a <= e[-1])
            pos = xp.minimum(pos, nb - 1)
        else:  # (even edges: PyTorch's linear interpolation, then a local search)
            pos, keep = _bins_of(a, e, local_search=True)
        hist = xp.bincount(pos[keep], weights=None if w is None else w[keep].astype(np.float64),
                           minlength=nb)
        hist = hist.astype(a.dtype)
        if density:
            with quiet:
                hist = hist / (hist.sum() * (e[1:] - e[:-1]))
    # NOTE: as in PyTorch, both results take part in autograd, with a node that refuses.
    inputs = tuple(t for t in (input, weight, bins) if isinstance(t, Tensor))
    res = make_return("histogram", _refusing(hist, inputs), _refusing(edges._data, inputs),
                      names=("hist", "bin_edges"))
    return _out(res, out)


def _refusing(arr, inputs):
    return R._no_derivative(arr, inputs, "NotImplemented", RuntimeError,
                            "derivative for aten::histogram is not implemented")


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """The ``q``-th quantiles of ``input`` (over everything, or along ``dim``); a NaN in a
    slice makes its quantiles NaN.  A 1-d ``q`` adds a leading dim of its length.

    ``interpolation`` says what lies between two data points: ``linear``, ``lower``,
    ``higher``, ``midpoint`` or ``nearest`` (halves to even).
    """
    return _out(_quantile(input, q, dim, keepdim, interpolation, False, out), out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    """:func:`quantile` over the non-NaN values only (NaN for a slice of NaNs)."""
    return _out(_quantile(input, q, dim, keepdim, interpolation, True, out), out)


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, out=None):
    if not isinstance(q, Tensor) and not 0 <= q <= 1:  # (a number's range is checked first)
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {float(q):g}")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.dtype is not input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        if q.ndim > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        same_device(input, q)
        qa = q._data
        if qa.size and bool(((qa < 0) | (qa > 1)).any().item()):
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        qt, scalar_q = q.detach().reshape(-1), q.ndim == 0
    else:
        qt = F.tensor([q], dtype=input.dtype, device=input.device)
        scalar_q = True
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError("quantile() out tensor must be same dtype as the input tensor")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    kept = keepdim and input.ndim
    if dim is None:
        x = input.reshape(((1,) * input.ndim if kept else ()) + (-1,))
    else:
        d = norm_dim(dim, input.ndim)
        x = S.movedim(input, d, -1) if input.ndim else input.reshape(1)
        if kept:
            x = x.unsqueeze(d)
    srt = R.sort(x, -1).values  # NaNs last
    n = x.shape[-1]
    if ignore_nan:
        count = P.logical_not(P.isnan(srt)).sum(-1, keepdim=True)
        ranks = P.mul(qt, P.sub(count, 1))
        ranks = P.where(P.lt(ranks, 0), F.zeros((), dtype=ranks.dtype, device=ranks.device),
                        ranks)
    else:
        ranks = P.mul(qt, n - 1).expand(tuple(srt.shape[:-1]) + (qt.shape[0],))
        last_nan = P.isnan(S.narrow(srt, -1, n - 1, 1))
        ranks = P.where(last_nan, F.full((), n - 1, dtype=ranks.dtype, device=ranks.device),
                        ranks)
    ranks = ranks.contiguous()
    if interpolation in ("lower", "higher", "nearest"):
        pick = {"lower": P.floor, "higher": P.ceil, "nearest": P.round}[interpolation](ranks)
        res = srt.gather(-1, pick.long())
    else:
        below = P.floor(ranks)
        lo = srt.gather(-1, below.long())
        hi = srt.gather(-1, P.ceil(ranks).long())
        weight = P.sub(ranks, below) if interpolation == "linear" else \
            F.full(tuple(ranks.shape), 0.5, dtype=ranks.dtype, device=ranks.device)
        res = P.lerp(lo, hi, weight)
    # q's dim (last) dropped, or moved first, by PyTorch's in-place view ops (their nodes)
    if not scalar_q:
        res = _node_named(res.unsqueeze(0), "UnsqueezeBackward1")
        res = S.transpose(res, 0, -1, _name="TransposeBackward1")
    return _node_named(res.squeeze(-1), "SqueezeBackward4")


def _node_named(t, name):
    """``t`` with its grad_fn renamed ``name``: a view whose PyTorch counterpart is the
    in-place overload of the same view op (the same rule and layout)."""
    from ..autograd.graph import node_class

    if t._grad_fn is not None:
        t._grad_fn.__class__ = node_class(name)
    return t


def _rows(t, d):
    """``t``'s data with ``d`` moved last and the other dims flattened: ``rows x n``."""
    a = t._data.reshape(1) if t.ndim == 0 else t._data
    a = xp_of(t).moveaxis(a, d, -1)
    return a.reshape(-1, a.shape[-1])


def _value_index(t, d, keepdim, idx_rows, name, node):
    """The ``(values, indices)`` return of a selection along ``d`` with the chosen index of
    each row; the values' gradient goes to the chosen elements."""
    xp = xp_of(t)
    if t.ndim == 0:
        idx = xp.zeros((), dtype=np.int64)
        vals = t._data.copy()
    else:
        other = tuple(s for k, s in enumerate(t.shape) if k != d)
        idx = idx_rows.reshape(other)
        vals = xp.take_along_axis(t._data, xp.expand_dims(idx, d), axis=d).reshape(other)
        if keepdim:
            idx, vals = xp.expand_dims(idx, d), xp.expand_dims(vals, d)
    shape, kd = tuple(t.shape), keepdim and t.ndim > 0
    index = wrap(idx.astype(np.int64, copy=False), t._device)

    def rule(ctx, gv, gi):
        if not shape:
            return (gv,)
        z = F.zeros(shape, dtype=gv.dtype, device=gv.device)
        return (I.scatter(z, d, index if kd else index.unsqueeze(d),
                          gv if kd else gv.unsqueeze(d)),)
    values, indices = make_multi((vals, idx.astype(np.int64, copy=False)), (t,), node, rule,
                                 differentiable=(True, False), keep_index=True)
    return make_return(name, values, indices)


def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence.  NaNs never count as equal."""
    from .complex import kernel_refusal, refuse

    d = norm_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    if input.ndim and input.numel():  # (0-d or empty: no kernel runs, as PyTorch's)
        refuse(input, kernel_refusal("mode_cpu"))
    a = _rows(input, d)
    xp = xp_of(input)
    rows = a.shape[0]
    if rows == 0 or input._device.type == "meta":  # (meta: only the result's shape)
        best = xp.zeros(rows, dtype=np.int64)
    else:
        order = xp.argsort(a, axis=-1, kind="stable")
        s = xp.take_along_axis(a, order, axis=-1)
        new = xp.ones(s.shape, dtype=bool)
        new[:, 1:] = s[:, 1:] != s[:, :-1]  # NaN != NaN: each NaN a run of its own
        flat = new.reshape(-1)
        run = xp.cumsum(flat) - 1  # every position's run, numbered over all rows
        starts = xp.nonzero(flat)[0]
        lengths = xp.diff(xp.concatenate([starts, xp.asarray([flat.size])]))
        run = run.reshape(s.shape)
        size = lengths[run]
        first = xp.argmax(size, axis=-1)  # the first longest run: the smallest value
        chosen = xp.take_along_axis(run, first[:, None], axis=-1)
        best = xp.where(run == chosen, order, -1).max(axis=-1)
        if xp is np:
            # which of equal values PyTorch reports follows its unstable sort: replayed
            # (``_stl_select``) for the rows where the mode repeats or a NaN is present
            redo = xp.take_along_axis(size, first[:, None], axis=-1)[:, 0] > 1
            if a.dtype.kind == "f" or a.dtype.name == "bfloat16":
                redo |= np.isnan(a.astype(np.float32)).any(axis=-1)
            wide = a.astype(np.float32) if a.dtype.itemsize == 2 and a.dtype.kind != "i" else a
            for r in np.flatnonzero(redo):
                best[r] = _stl_select.mode_index(wide[r])
    return _out(_value_index(input, d, keepdim, best, "mode", "ModeBackward0"), out)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """The lower median of the non-NaN values (NaN when there are none); with ``dim``,
    ``(values, indices)`` along it."""
    from .reduce import _int_dim

    _int_dim("nanmedian", dim)
    xp = xp_of(input)
    kernel = "median_cpu" if dim is None else "median_out"
    if dim is not None:  # (the dim and its emptiness are checked before the dtype)
        d = norm_dim(dim, input.ndim)
        if input.ndim and input.shape[d] == 0:
            raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    if (dim is not None or input.numel()) and (input.dtype.is_complex or input.dtype is D.bool):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_legacy(input.dtype)}'")
    if dim is None:
        a = input._data.reshape(-1)
        if (a.dtype.kind == "f" or input.dtype in (D.float16, D.bfloat16)) and \
                input._device.type != "meta":  # (meta: no values to drop NaNs from)
            a = a[~xp.isnan(a)]
        if a.size == 0:  # (NaN, cast to the dtype, whatever it is)
            with quiet:
                v = xp.full((), np.nan, dtype=input._data.dtype)
        else:
            v = R._signed_zero_median(input, input._data.reshape(-1),
                                      xp.sort(a)[(a.size - 1) // 2], skip_nan=True)
        return make(xp.asarray(v), (input,), "NanmedianBackward0",
                    R._even_rule(tuple(_range(input.ndim)), False), input, OUT)
    d = norm_dim(dim, input.ndim)
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    a = _rows(input, d)
    order = xp.argsort(a, axis=-1, kind="stable")  # NaNs last
    if a.dtype.kind == "f" or input.dtype in (D.float16, D.bfloat16):
        count = (~xp.isnan(a)).sum(axis=-1)
    else:
        count = xp.full(a.shape[0], a.shape[-1])
    # NOTE: a row of NaNs gives index 0; PyTorch's index there depends on its selection
    # algorithm's internals.
    k = xp.maximum((count - 1) // 2, 0).astype(np.int64)
    best = xp.take_along_axis(order, k[:, None], axis=-1)[:, 0] if a.shape[0] else k
    return _out(_value_index(input, d, keepdim, best, "nanmedian", "NanmedianBackward1"), out)


def _running_logaddexp(a, d, acc):
    """PyTorch's CPU logcumsumexp along ``d``: a running total kept in ``acc`` (double for
    float32 and float64), each value added as ``log1p(exp(min - max)) + max`` (the total
    unchanged where both are the same infinity), rounded to the tensor's type on output."""
    x = np.moveaxis(a, d, 0).astype(acc)
    out = np.empty_like(x)
    total = np.full(x.shape[1:], -np.inf, acc)
    with quiet:
        for i in range(x.shape[0]):
            v = x[i]
            lo, hi = np.minimum(v, total), np.maximum(v, total)
            step = (_c_log1p_exp(lo - hi) if acc is np.float64 else
                    _c_log1p_expf(lo - hi)) + hi
            total = np.where((lo != hi) | np.isfinite(lo), step, v)
            out[i] = total
    return np.moveaxis(out, 0, d)


def _c_log1p_exp(t):
    """``log1p(exp(t))`` (``t <= 0``, or NaN) as PyTorch's scalar scan loop computes it: the C
    library's double ``exp`` and ``log1p`` (NumPy's differ from them by an ulp in a few
    percent of inputs); NumPy's alone past :data:`_libm.SCALAR_MAX` values a step."""
    import math

    from . import _libm
    if t.size > _libm.SCALAR_MAX:
        return np.log1p(np.exp(t))
    e = _libm.exp64(t)
    return np.where(np.isnan(e), e, _libm.c_double(math.log1p, e, ~np.isnan(e)))


def _c_log1p_expf(t):
    """``log1pf(expf(t))`` for a float32 array, as the C library's float functions give it
    (``expf`` as float64's ``exp`` rounded once; NumPy's float32 ``exp`` is off by an ulp in
    some inputs)."""
    from . import _libm
    return _libm.log1pf(np.exp(t.astype(np.float64)).astype(np.float32))


def _c10_log1p(z):
    """c10's complex ``log1p``: the angle of ``1 + z``, and its log-magnitude through ``log1p``
    where ``|z| < 0.5``."""
    x, y = z.real, z.imag
    theta = np.arctan2(y, x + 1)
    r = x * (2 + x) + y * y
    small = np.abs(z) < 0.5
    mag = np.where(small, np.where(r == 0, x, 0.5 * np.log1p(r)), np.log(np.hypot(x + 1, y)))
    return mag + 1j * theta


def _running_logaddexp_complex(a, d):
    """PyTorch's CPU logcumsumexp of complex values (a complex128 running total): each value
    added as ``log1p(exp(min - max)) + max``, ordered by real part; NaNs spread, and a total
    and a value at the same infinite real part take ``-inf``'s (or ``log(exp + exp)``)."""
    x = np.moveaxis(a, d, 0).astype(np.complex128)
    out = np.empty_like(x)
    total = np.full(x.shape[1:], -np.inf, np.complex128)
    with quiet:
        for i in range(x.shape[0]):
            v = x[i]
            vnan, tnan = np.isnan(v), np.isnan(total)
            first = v.real < total.real
            lo = np.where(first, v, total)
            hi = np.where(first, total, v)
            lo = np.where(tnan, total, np.where(vnan, v, lo))
            hi = np.where(tnan, total, np.where(vnan, v, hi))
            same_inf = ~np.isfinite(lo.real) & (lo.real == hi.real)
            step = _c10_log1p(np.exp(lo - hi)) + hi
            step = np.where(same_inf, np.where(lo.real < 0, lo, np.log(np.exp(lo) + np.exp(hi))),
                            step)
            total = np.where(np.isnan(lo), complex(np.nan, np.nan), step)
            out[i] = total
    return np.moveaxis(out, 0, d)


def logcumsumexp(input, dim, *, out=None):
    """``log(cumsum(exp(input), dim))`` computed stably (a running ``logaddexp``)."""
    norm_dim(dim, input.ndim)  # (PyTorch checks the dim before the dtype)
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    d = norm_dim(dim, input.ndim)
    a = R._acc(input)
    if input.ndim == 0:
        arr = a.copy()
    elif input.dtype.is_complex:
        arr = _running_logaddexp_complex(a, d)
    elif type(a) is np.ndarray:
        arr = _running_logaddexp(a, d, np.float32 if input.dtype in (D.float16, D.bfloat16)
                                 else np.float64)
    else:
        with quiet:
            arr = R._accumulate(np.logaddexp, a, d)
    arr = arr.astype(input._data.dtype, copy=False)
    arr = c_order(arr)  # (PyTorch's scans write a contiguous result)

    def rule(ctx, g):
        # d out_j / d x_i = exp(x_i - out_j) for i <= j; the sum over j >= i is taken in the
        # log domain, the positive and negative parts of g apart.
        x, res = ctx.saved
        if x.ndim == 0:
            return (g,)
        if x.dtype.is_complex:  # sum over j >= i of g_j * exp(x_i - out_j), in logs (the
            with quiet:         # conjugations are ``complex_rule``'s)
                tail = S.flip(logcumsumexp(S.flip(P.sub(g.log(), res), (d,)), d), (d,))
                return (P.exp(P.add(tail, x)),)
        with quiet:
            parts = []
            for gp in (P.clamp_min(g, 0), P.clamp_min(P.neg(g), 0)):
                # log(gp), and the lowest finite number where gp is 0 (as PyTorch: -inf there
                # would make the double backward's weights 0 * inf)
                pos = P.gt(gp, 0)
                low = float(np.finfo(g._data.dtype).min)
                w = P.sub(P.where(pos, P.log(P.where(pos, gp, 1.0)), low), res)
                tail = S.flip(logcumsumexp(S.flip(w, (d,)), d), (d,))
                parts.append(P.exp(P.add(x, tail)))
        return (P.sub(parts[0], parts[1]),)
    return _out(make(arr, (input,), "LogcumsumexpBackward0", rule, input, OUT), out)


def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    """Whether each element of ``elements`` is among ``test_elements`` (a bool tensor of
    ``elements``' shape).  Either may be a number; values compare after type promotion."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got "
                        f"({type(elements).__name__}, {type(test_elements).__name__})")
    from .complex import refuse
    for t in (elements, test_elements):
        refuse(t, "Unsupported input type encountered for isin(): {}", RuntimeError)
    ref = elements if isinstance(elements, Tensor) else test_elements
    if isinstance(elements, Tensor) and isinstance(test_elements, Tensor):
        same_device(elements, test_elements)
    for t in (elements, test_elements):
        if isinstance(t, Tensor) and t.dtype is D.bool or isinstance(t, bool):
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    xp = xp_of(ref)
    dt = D.result_type(elements, test_elements)
    if dt in D._WIDE_UNSIGNED and isinstance(test_elements, Tensor) and (
            not isinstance(elements, Tensor) or elements.numel()):  # (a number: eq)
        raise NotImplementedError(f"\"isin_default_cpu\" not implemented for "
                                  f"'{D.scalar_name(dt)}'")
    if isinstance(test_elements, Tensor) and not test_elements.is_contiguous():
        # NOTE: PyTorch's kernel for few test elements (fewer than 10 * n ** 0.145, n the
        # number of elements) casts them (keeping their strides) and takes ``.view(-1)``: a
        # transposed ``test_elements`` then fails with view's error.
        n = elements.numel() if isinstance(elements, Tensor) else 1
        if n and test_elements.numel() < int(10.0 * n ** 0.145):
            (test_elements if test_elements.dtype is dt else test_elements.to(dt)).view(-1)
    e = (elements._data if isinstance(elements, Tensor) else xp.asarray(elements)).astype(dt.np)
    tv = (test_elements._data if isinstance(test_elements, Tensor)
          else xp.asarray(test_elements)).astype(dt.np).reshape(-1)
    if tv.size == 0:
        hit = xp.zeros(e.shape, dtype=bool)
    else:
        tv = xp.sort(tv)
        pos = xp.minimum(xp.searchsorted(tv, e.reshape(-1)), tv.size - 1)
        hit = (tv[pos] == e.reshape(-1)).reshape(e.shape)
    if invert:
        hit = ~hit
    return _out(wrap(hit, ref._device), out)


# -- index updates ------------------------------------------------------------------------------

def _index_vector(index, name, n, d, wrap_negative):
    """The flat int64 array of an index argument, checked against a dim of size ``n``."""
    idx = index._data.reshape(-1).astype(np.int64, copy=False)
    if idx.size:
        hi, lo = _host_int(idx.max()), _host_int(idx.min())
        low = -n if wrap_negative else 0
        if hi >= n or lo < low:
            at = int(((idx >= n) | (idx < low)).argmax())  # (PyTorch's kernel: the first)
            bad = _host_int(idx[at])
            if name == "index_copy_":
                raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension "
                                 f"{d} with size {n}")
            raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    return idx % n if wrap_negative and n else idx


def _restrided_fits(input, d, k):
    """PyTorch's ``index_fill_``/``index_copy_`` view ``input`` with ``k`` slices of stride 0
    along ``d`` before reading the index: an empty ``input``'s storage may not hold it."""
    if input.numel() == 0 and k and input.ndim:
        size, stride = list(input.shape), list(input.stride())
        size[d], stride[d] = k, 0
        S.as_strided_view(input, size, stride)


def _refuse_wide(t, kernel):
    """PyTorch's error for ``kernel`` on uint16, uint32 or uint64, which lack it."""
    if t.dtype in D._WIDE_UNSIGNED:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_legacy(t.dtype)}'")


def index_fill(input, dim, index, value):
    """``input`` with ``value`` in every slice along ``dim`` that ``index`` names."""
    if isinstance(value, np.bool_):  # (a NumPy scalar: PyTorch's Scalar too)
        value = value.item()
    if not isinstance(value, (Tensor, numbers.Number)):
        raise TypeError(f"index_fill() received an invalid combination of arguments - got "
                        f"(int, Tensor, {type(value).__name__})")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    I._need_index_tensor(index, "index_fill")
    if not isinstance(index, Tensor) or index.dtype is not D.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if (isinstance(value, (complex, np.complexfloating)) or isinstance(value, Tensor) and
            value.dtype.is_complex) and not input.dtype.is_complex:  # (a tensor: its item's)
        raise RuntimeError("index_fill_(): Converting complex Scalar to non-complex type is not "
                           "supported")
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    same_device(input, index)
    d = norm_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if 0 in input.shape[:d] + input.shape[d + 1:]:  # (PyTorch's kernel then reads no index)
        idx = np.zeros(0, dtype=np.int64)
    else:
        _restrided_fits(input, d, index.numel())
        idx = _index_vector(index, "index_fill_", n, d, True)
    _refuse_wide(input, "index_fill_cpu")
    xp = xp_of(input)
    mask = xp.zeros(n, dtype=bool)
    mask[idx] = True
    mask = mask.reshape((n,) + (1,) * (input.ndim - 1 - d) if input.ndim else ())
    if isinstance(value, Tensor):
        if not input.dtype.is_complex:  # (PyTorch fills with its item: the same checks)
            P._check_scalar_fits((value.item(),), input.dtype)
        v = value if value.dtype is input.dtype else value.to(input.dtype)
    else:
        P._check_scalar_fits((value,), input.dtype)  # (float16 refuses 1e5 here, not in full)
        v = F.full((), value, dtype=input.dtype, device=input.device)
    # one node, as PyTorch's: IndexFillBackward0 (a number) or ...1 (a tensor value)
    name = "IndexFillBackward1" if isinstance(value, Tensor) else "IndexFillBackward0"
    mask = wrap(mask, input._device)
    if isinstance(value, Tensor):
        return fused(name, lambda input, v: P.where(mask, v, input), input, v, keep=(index,))
    return fused(name, lambda input: P.where(mask, v, input), input, twice=name, keep=(index,))


def _check_index_copy(input, d, index, source):
    # (in PyTorch's order: the index's and the source's dims before their dtypes)
    if index.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index.ndim})")
    k = index.numel()
    if not source.ndim and k != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element "
                         f"(got {k})")
    if source.ndim and input.ndim and source.ndim != input.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({input.ndim})")
    if index.dtype is not D.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{_legacy(index.dtype)}")
    if source.dtype is not input.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {_legacy(input.dtype)} and (source) "
                           f"{_legacy(source.dtype)}")
    dst_slice = [s for j, s in enumerate(input.shape) if j != d]
    src_slice = [s for j, s in enumerate(source.shape) if j != d]
    if dst_slice != src_slice:
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {' '.join(map(str, dst_slice))} "
                           f"at dimension {d} and source slice shape: "
                           f"{' '.join(map(str, src_slice))} at dimension 0.")
    s_n = source.shape[d] if source.ndim else 1
    if k != s_n:
        raise IndexError(f"index_copy_(): Number of indices ({k}) should be equal to "
                         f"source.size(dim) ({s_n})")


def index_copy(input, dim, index, source):
    """``input`` with the slices of ``source`` along ``dim`` written at ``index`` (the last
    write wins where ``index`` repeats)."""
    I._need_index_tensor(index, "index_copy")
    same_device(input, index, source)
    d = norm_dim(dim, input.ndim)
    _check_index_copy(input, d, index, source)
    n = input.shape[d] if input.ndim else 1
    _restrided_fits(input, d, index.numel())
    idx = _index_vector(index, "index_copy_", n, d, False)
    xp = xp_of(input)
    out = input._data.reshape(input.shape or (1,)).copy()
    src = source._data.reshape(source.shape if source.ndim else (1,) * _max(input.ndim, 1))
    if idx.size:
        # keep only the last of repeated indices (a GPU's scatter picks any one of them)
        last = xp.full(n, -1, dtype=np.int32)
        xp.maximum.at(last, idx, xp.arange(idx.size, dtype=np.int32))
        keep = last[idx] == xp.arange(idx.size)
        lead = (slice(None),) * d
        out[lead + (idx[keep],)] = src[lead + (keep,)]
    out = out.reshape(input.shape)
    sshape = tuple(source.shape)

    def rule(ctx, g):
        index, _ = ctx.saved  # (as PyTorch's: refused once either is changed in place)
        gi = gs = None
        if ctx.needs_input_grad[0]:
            gi = index_fill(g, d, index, 0)
        if ctx.needs_input_grad[1]:
            gs = I.index_select(g, d, index).reshape(sshape) if g.ndim else g.reshape(sshape)
        return gi, gs
    return make(out, (input, source), "IndexCopyBackward0", rule, index, source)


_IDENTITY = {"sum": 0, "mean": 0, "prod": 1}


def _reduce_identity(reduce, dtype):
    if reduce in _IDENTITY:
        return _IDENTITY[reduce]
    if dtype.kind == "f" or dtype.name == "bfloat16":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


# The dtypes CuPy's ``maximum.at``/``minimum.at`` take (its kernels of atomic operations).
_ATOMIC_EXTREME = frozenset(np.dtype(d) for d in (np.int32, np.uint32, np.uint64, np.float32,
                                                  np.float64))


def _ufunc_at(ufunc, arr, coords, vals):
    """``ufunc.at(arr, coords, vals)`` on ``arr``'s device, returning the result array.  CuPy
    has no ``multiply.at`` and no atomic max/min for some dtypes: those go through the host."""
    with quiet:  # (NaNs compared and products overflowing to inf are silent in PyTorch)
        if type(arr) is np.ndarray:
            ufunc.at(arr, coords, vals)
            return arr
        if ufunc is not np.multiply and arr.dtype in _ATOMIC_EXTREME:
            getattr(xp_of_array(arr), ufunc.__name__).at(arr, coords, vals)
            return arr
        host = to_host(arr)
        ufunc.at(host, tuple(to_host(c) for c in coords), to_host(vals))
    return xp_of_array(arr).asarray(host)


def _broadcast_src(a, b):
    """PyTorch's broadcasting error between shapes ``a`` and ``b`` (from the last dim)."""
    for i in range(-1, -min(len(a), len(b)) - 1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b "
                               f"({b[i]}) at non-singleton dimension {len(a) + i}")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``input`` with each element of ``src`` folded, by ``reduce`` (``sum``, ``prod``,
    ``mean``, ``amax``, ``amin``), into the position ``index`` gives it along ``dim``.

    ``include_self=False`` leaves ``input``'s own values out wherever something is
    scattered.  Integer means round down.  Gradients: ``amax``/``amin`` share a position's
    gradient evenly between the members equal to its result.
    """
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # (PyTorch takes these too)

    def check_reduce():
        if reduce not in ("sum", "prod", "mean", "amax", "amin"):
            raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, "
                               f"got {reduce}")
    I._need_index_tensor(index, "scatter_reduce")
    same_device(input, index, src)
    d = norm_dim(dim, input.ndim)
    I._check_index_dtype(index, "scatter")  # (PyTorch's message names scatter)
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    I._check_scatter(input, d, index, src, "scatter_reduce", check_reduce)
    if input.dtype in D._WIDE_UNSIGNED and not include_self:
        raise NotImplementedError("\"scatter_reduce_exclude_input_init\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    if (reduce == "mean" and input.dtype is D.bool) or (reduce in ("amax", "amin", "mean") and (
            input.dtype.is_complex and reduce != "mean" or input.dtype in D._WIDE_UNSIGNED)):
        raise NotImplementedError(f"\"scatter_gather_tensor_cpu_reduce_{reduce}\" not "
                                  f"implemented for '{_legacy(input.dtype)}'")
    xp = xp_of(input)
    out = input._data.reshape(input.shape or (1,)).copy()
    idx = index._data.reshape(index.shape or (1,)).astype(np.int64, copy=False)
    s = src._data.reshape(src.shape or (1,))
    s = s[tuple(slice(0, k) for k in idx.shape)]
    low = out.dtype if input.dtype in (D.float16, D.bfloat16) else None
    if low is not None:  # NOTE: PyTorch's CPU kernel reduces half precision in float32
        out, s = out.astype(np.float32), s.astype(np.float32)
    coords = I._coords(idx, d)
    hit = xp.zeros(out.shape, dtype=bool)
    if idx.size:
        hit[coords] = True
    if not include_self:
        out[hit] = _reduce_identity(reduce, out.dtype)
    counts = None
    if idx.size:
        if reduce in ("sum", "mean"):
            I._add_at(out, coords, s)
        else:
            ufunc = {"amax": np.maximum, "amin": np.minimum, "prod": np.multiply}[reduce]
            out = _ufunc_at(ufunc, out, coords, s)
    if reduce == "mean":
        counts = xp.ones(out.shape, dtype=np.int64)
        if not include_self:
            counts[hit] = 0
        if idx.size:
            I._add_at(counts, coords, xp.ones(idx.shape, dtype=np.int64))
        if out.dtype.kind in "fc" or input.dtype is D.bfloat16:
            out = (out / counts).astype(out.dtype)
        else:
            out = xp.floor_divide(out, counts).astype(out.dtype)
    if low is not None:
        out = out.astype(low)
    out = out.reshape(input.shape)
    shape, sshape = tuple(input.shape), tuple(src.shape)
    flat = shape or (1,)  # 0-d tensors are worked on as 1-element vectors
    index_t = index if index.ndim else index.reshape(1)
    # whether a position's own value takes part in its result
    own_t = wrap(xp.ones(flat, dtype=bool) if include_self else ~hit, input._device)
    counts_t = None if counts is None else wrap(counts, input._device)

    def rule(ctx, g):
        x, sv, res, _ = ctx.saved  # (and the index, as PyTorch's: checked for changes)
        if reduce in ("prod", "amax", "amin"):  # (PyTorch's formula compares src with
            _broadcast_src(sshape or (1,), index_t.shape)  # values at the index's shape)
        g, x, res = g.reshape(flat), x.reshape(flat), res.reshape(flat)
        sv = sv.reshape(sshape or (1,))  # (PyTorch's formulas broadcast it with the values
        # at the index: a src larger along a dim where the index has 1 gets gradient there)
        own = own_t.to(g.dtype)
        if reduce in ("sum", "mean"):
            gm = g if reduce == "sum" else P.div(g, counts_t.to(g.dtype))
            gi, gs = P.where(own_t, gm, 0), gm.gather(d, index_t)
        elif reduce in ("amax", "amin"):
            # the members equal to the result share its gradient evenly
            # NOTE: as in PyTorch, an input value equal to the result counts as a member even
            # where ``include_self=False`` left it out (it then gets no gradient itself).
            same = P.eq(x, res).to(g.dtype)
            theirs = P.eq(sv, res.gather(d, index_t)).to(g.dtype)
            count = P.add(same, I.scatter_add(P.mul(g, 0), d, index_t, theirs))
            share = P.div(g, count)
            gi, gs = P.where(own_t, P.mul(share, same), 0), P.mul(share.gather(d, index_t), theirs)
        else:
            gi, gs = _prod_grads(g, x, sv, own, d, index_t, res)
        if tuple(gs.shape) != (sshape or (1,)):  # (a src larger than the index: PyTorch's
            return gi.reshape(shape), gs  # backward fails, here as autograd checks gs)
        return gi.reshape(shape), gs.reshape(sshape)
    from ._core import no_complex_autograd

    no_complex_autograd("scatter_reduce", input, src)  # (after the kernel, as PyTorch's)
    return make(out, (input, src), "ScatterReduceBackward0", rule, input, src, OUT, index)


def _prod_grads(g, x, sv, own, d, index, res=None):
    """Gradients of a scattered product: each member's is the product of the other members
    of its group (``own``: whether ``x`` itself is a member).  NOTE: as PyTorch's formula, a
    ``src`` member of a group without zeros takes the saved result ``res`` over its value
    (which differs from the members' product where the op wrote a view overlapping itself)."""
    one = F.ones((), dtype=g.dtype, device=g.device)
    zx = P.logical_and(P.eq(x, 0), P.ne(own, 0))
    zs = P.eq(sv, 0)
    zeros = P.add(zx.to(g.dtype), I.scatter_add(P.mul(g, 0), d, index, zs.to(g.dtype)))
    # the product of each group's non-zero members
    nz = scatter_reduce(P.where(P.logical_or(zx, P.eq(own, 0)), one, x), d, index,
                        P.where(zs, one, sv), "prod")

    def others(gv, v, is_zero, zc, p, whole=None):
        gp = P.mul(gv, p)  # (PyTorch's order: the gradient times the product, then divided)
        none = P.mul(gp, 0)
        gw = gp if whole is None else P.mul(gv, whole)
        return P.where(is_zero, P.where(P.eq(zc, 1), gp, none),
                       P.where(P.eq(zc, 0), P.div(gw, P.where(is_zero, one, v)), none))
    gi = P.where(P.ne(own, 0), others(g, x, zx, zeros, nz), 0)  # (PyTorch zeroes, not
    # multiplies: +0, never -0 or NaN, where the input itself is left out)
    gs = others(g.gather(d, index), sv, zs, zeros.gather(d, index), nz.gather(d, index),
                None if res is None else res.gather(d, index))
    return gi, gs


def index_reduce(input, dim, index, source, reduce, *, include_self=True, _warn=True):
    """``input`` with the slices of ``source`` along ``dim`` folded by ``reduce`` (``prod``,
    ``mean``, ``amax``, ``amin``) into the slices ``index`` names."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError("index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    same_device(input, index, source)
    d = norm_dim(dim, input.ndim)
    if not isinstance(index, Tensor) or index.dtype not in (D.int64, D.int32):
        got = _legacy(index.dtype) if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{got}")
    if index.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: "
                         f"{index.ndim} with type: {_legacy(index.dtype)} and size: "
                         f"{_fmt(index.shape)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_reduce_(): self ({_legacy(input.dtype)}) and source "
                           f"({_legacy(source.dtype)}) must have the same scalar type")
    I.check_index_func(input, d, index, source, "index_reduce")
    # (PyTorch warns in its kernel, once the arguments passed its checks)
    if _warn:  # (not where only the checks are wanted, before an in-place op's own)
        warn_once("index_reduce", "index_reduce() is in beta and the API may change at any "
                  "time.", cpp="aten/src/ATen/native/TensorAdvancedIndexing.cpp:1523")
    dt = input.dtype
    kernel = None  # the PyTorch CPU kernel that has no version for this dtype
    if (dt is D.bool or dt.is_complex or dt in D._WIDE_UNSIGNED) and not include_self:
        kernel = "index_reduce_func_exclude_input_init"
    elif dt is D.bool and reduce == "mean":
        kernel = "div_floor_cpu"
    elif dt.is_complex or dt in D._WIDE_UNSIGNED:  # (PyTorch's index_func_ has no version)
        kernel = "index_func_"
    if kernel is not None:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_legacy(dt)}'")
    tshape, sshape = tuple(input.shape) or (1,), tuple(source.shape) or (1,)
    k = index.numel()
    idx = index._data.reshape(-1)
    if k and not include_self and 0 not in tshape[:d] + tshape[d + 1:]:
        # (PyTorch first fills the slices named, wrapping negatives: index_fill_'s checks)
        _restrided_fits(input, d, k)
        _index_vector(index, "index_reduce_", tshape[d], d, True)
    if k and input.ndim > 1 and tshape[d] == 0:  # (its kernel's first slice, to iterate over)
        raise IndexError(f"select(): index 0 out of range for tensor of size "
                         f"{list(tshape)} at dimension {d}")
    if k and (_host_int(idx.min()) < 0 or _host_int(idx.max()) >= tshape[d]):
        raise IndexError("index out of range in self")
    view = [1] * len(sshape)
    view[d] = k

    def composite(input, source, index):
        full = index.reshape(view).to(D.int64).expand(sshape).contiguous()
        res = scatter_reduce(input.reshape(tshape), d, full, source, reduce,
                             include_self=include_self)
        return res.reshape(input.shape)
    # (one node, as PyTorch's, keeping the input, the source, the index and the result)
    return fused("IndexReduceBackward0", composite, input, source, index, keep=(0, 1, 2, OUT))


def masked_scatter(input, mask, source):
    """``input`` with ``source``'s leading elements written, in order, where ``mask``
    (broadcast with ``input``) is True."""
    if isinstance(mask, Tensor):  # (PyTorch broadcasts the two before masked_scatter_'s checks)
        S.broadcast_shapes(tuple(mask.shape), tuple(input.shape))  # (naming the mask "a")
    _check_scatter_source(input, source)
    _check_scatter_mask(mask)
    return I.masked_scatter(input, mask, source)


def _check_scatter_source(input, source):
    """``masked_scatter_``'s first check (then the mask's shape, then its dtype)."""
    if isinstance(source, Tensor) and source.dtype is not input.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but "
                           f"got{_legacy(input.dtype)} and {_legacy(source.dtype)}")


def _check_scatter_mask(mask):
    if isinstance(mask, Tensor) and mask.dtype is D.uint8:  # (PyTorch warns, then refuses it)
        _warn("masked_scatter_ received a mask with dtype torch.uint8, this behavior is now "
              "deprecated,please use a mask with dtype torch.bool instead.",
              cpp="aten/src/ATen/native/TensorAdvancedIndexing.cpp:3130")
    if not isinstance(mask, Tensor) or mask.dtype is not D.bool:
        got = _legacy(mask.dtype) if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {got}")


def _masked_scatter_(self, mask, source):
    check_inplace(self)  # (then the kernel's checks: the overlap first)
    check_written_overlap(self)
    _check_scatter_source(self, source)
    if isinstance(mask, Tensor) and tuple(mask.shape) != tuple(self.shape):
        S.expand(mask, tuple(self.shape))  # the mask must broadcast to ``self``: PyTorch's error
    _check_scatter_mask(mask)
    if I.aliased_1d(self, source):
        masked_scatter(self.detach(), mask, source)  # (its checks)
        return I.write_sequentially(self, source, np.flatnonzero(np.broadcast_to(
            to_host(mask._data), self.shape)))
    from . import _overlap_seq

    if isinstance(mask, Tensor) and _overlap_seq.shares(self):
        masked_scatter(self.detach(), mask, source)  # (its checks; then in PyTorch's order)
        return _overlap_seq.run(self, [source], lambda: _overlap_seq.masked_scatter_(
            self, mask, source), lambda: _inplace(masked_scatter)(self, mask, source))
    return _inplace(masked_scatter)(self, mask, source)


@fused_op("PutBackward0", keep=(1, 2))  # (as PyTorch's: index, source)
def put(input, index, source, accumulate=False):
    """``input`` read as a flat array, with ``source``'s elements written (or added, with
    ``accumulate``) at ``index`` (negative counts from the end)."""
    if not isinstance(index, Tensor) or index.dtype is not D.int64:
        got = _legacy(index.dtype) if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {got}")
    if source.dtype is not input.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_legacy(input.dtype)} and source.dtype = "
                           f"{_legacy(source.dtype)}")
    if index.numel() != source.numel():
        raise IndexError("put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.numel()}, index.numel() = "
                         f"{index.numel()}")
    same_device(input, index, source)
    n = input.numel()
    idx = index._data.reshape(-1)
    if idx.size and not n:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    if idx.size:
        hi, lo = _host_int(idx.max()), _host_int(idx.min())
        if hi >= n or lo < -n:  # (PyTorch's kernel names the first, in the index's order)
            bad = _host_int(idx[int(((idx >= n) | (idx < -n)).argmax())])
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                             "elements.")
    _refuse_wide(input, "take_put_cpu")
    flat_idx = wrap(idx % n if n else idx, input._device)
    flat, src = input.reshape(-1), source.reshape(-1)
    res = I.index_add(flat, 0, flat_idx, src) if accumulate else \
        index_copy(flat, 0, flat_idx, src)
    return res.reshape(input.shape)


# -- products with an added term ---------------------------------------------------------------

def _scalar_args(name, dt, beta, alpha):
    """PyTorch's rules for ``beta``/``alpha`` against the result dtype ``dt``."""
    L._scalar_range(beta, alpha)
    if name == "addr" and not dt.is_floating_point and not dt.is_complex:
        for nm, v in (("beta", beta), ("alpha", alpha)):  # (bool results too)
            if isinstance(v, (float, complex)):
                raise RuntimeError(f"For integral input tensors, argument {nm} must not be a "
                                   "floating point number.")
    if dt is D.bool:
        return beta, alpha
    for nm, v in (("beta", beta), ("alpha", alpha)):
        if isinstance(v, bool):
            raise RuntimeError(f"Boolean {nm} only supported for Boolean results.")
    if not dt.is_complex and any(isinstance(v, complex) and v.imag for v in (beta, alpha)):
        # (PyTorch words a lost imaginary part as an overflow; the matrix products take
        # half-precision scales as floats)
        from .creation import _CTYPE

        half = dt in (D.float16, D.bfloat16) and name not in ("addmv", "addr")
        raise RuntimeError(f"value cannot be converted to type "
                           f"{'float' if half else _CTYPE[dt.name]} without overflow")
    if dt.is_complex:
        return beta, alpha
    if dt.is_floating_point:
        return tuple(v.real if isinstance(v, complex) else v for v in (beta, alpha))
    # NOTE: the other products take a float factor for integer tensors and truncate it.
    return L._int_scales(dt, beta, alpha)


def _combine(input, prod, beta, alpha):
    """``beta * input + alpha * prod``, ``input`` expanded to ``prod``'s shape; with
    ``beta == 0`` the input's values (NaNs too) are ignored, yet it still gets a (zero)
    gradient."""
    inp = S.expand(input, tuple(prod.shape))
    if prod.dtype is D.bool:
        res = P.logical_and(prod, F.full((), bool(alpha), dtype=D.bool, device=prod.device))
        if beta:
            res = P.logical_or(res, inp)
        return res
    if alpha != 1:
        prod = P.mul(prod, alpha)
    if beta == 0:
        never = F.zeros((), dtype=D.bool, device=prod.device)
        return P.where(never, inp, prod)
    # (PyTorch's complex kernels always take ``beta * input``: 1 * (0+infj) is nan+infj)
    return P.add(P.mul(inp, beta) if beta != 1 or inp.dtype.is_complex else inp, prod)


def _scaled_bmm(batch1, batch2, alpha):
    """``(alpha * bmm(batch1, batch2), 1)`` for float32/float64 stacks, as one node whose
    gradients are PyTorch's for baddbmm/addbmm: the bmm first, times alpha after it; else
    ``(bmm, alpha)`` for :func:`_combine` to scale."""
    prod = L.matmul(batch1, batch2)
    if alpha == 1 or prod._data.dtype not in (np.float32, np.float64) or \
            type(prod._data) is not np.ndarray or not (batch1._requires_grad or
                                                       batch2._requires_grad):
        return prod, alpha
    with quiet:
        arr = prod._data * prod._data.dtype.type(alpha)

    def rule(ctx, g):
        a, b = ctx.saved
        n0, n1 = ctx.needs_input_grad
        return (g.bmm(b.mT) * alpha if n0 else None, a.mT.bmm(g) * alpha if n1 else None)
    return make(arr, (batch1, batch2), "BmmBackward0", rule, batch1, batch2), 1


def _half_bmm_bits(c, x, y, beta, alpha, summed):
    """``beta * c + alpha * (x @ y)`` for half-type stacks as PyTorch's CPU kernels round it:
    each product a float32 sum in order, ``beta * c + alpha * sum`` in float32, rounded once to
    the half type; ``summed`` (addbmm): one such in-place addmm per matrix into the result,
    beta on the first only.  None for other dtypes or devices."""
    if type(x) is not np.ndarray or type(c) is not np.ndarray or x.dtype.itemsize != 2 or \
            x.dtype.kind not in "fV" or not x.size or not y.size:
        return None
    f32 = np.float32
    low = x.dtype
    with quiet:
        xf, yf = x.astype(f32), y.astype(f32)
        prods = np.zeros(x.shape[:2] + y.shape[2:], f32)
        for k in range(x.shape[2]):  # (each output one float32 sum, in order)
            prods += xf[:, :, k, None] * yf[:, None, k, :]
        if alpha != 1:
            prods = prods * f32(alpha)
        if not summed:
            res = np.broadcast_to(c, prods.shape).astype(f32)
            res = prods if beta == 0 else (res * f32(beta) if beta != 1 else res) + prods
            return res.astype(low)
        res = np.broadcast_to(c, prods.shape[1:]).astype(f32)
        for i, p in enumerate(prods):
            b = beta if i == 0 else 1
            res = p if b == 0 else (res * f32(b) if b != 1 else res) + p
            res = res.astype(low).astype(f32)
        return res.astype(low)


def _batched_args(input, batch1, batch2):
    """baddbmm's and addbmm's operands, lowered under autocast; both batches must be 3D."""
    from ..amp import autocast_mode as amp
    if amp.ON:
        input, batch1, batch2 = amp.lower(input, batch1, batch2)
    for t, name in ((batch1, "batch1"), (batch2, "batch2")):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    return input, batch1, batch2


@fused_op("BaddbmmBackward0", keep=(1, 2))  # (as PyTorch's: batch1, batch2)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (batch1 @ batch2)`` for batches of matrices:
    ``b x n x m`` and ``b x m x p`` give ``b x n x p`` (``input`` broadcasts to it)."""
    if out is not None:  # (an ``out`` that requires grad is refused first)
        check_out_first("baddbmm", (), out)
    if getattr(batch1, "dtype", None) in D.FLOAT8 or \
            getattr(batch1, "dtype", None) in D._WIDE_UNSIGNED:
        raise NotImplementedError(
            f"\"baddbmm\" not implemented for '{D.scalar_name(batch1.dtype)}'")
    input, batch1, batch2 = _batched_args(input, batch1, batch2)
    bs, n, m = batch1.shape
    S.expand(input, (bs, n, batch2.shape[2]))  # (PyTorch's meta: input expanded first, its
    if input.dtype is not batch1.dtype:  # dtype checked, then the batches' shapes)
        raise RuntimeError(f"Input dtypes must be the same, got: input {_cpp(input.dtype)}, "
                           f"batch1: {_cpp(batch1.dtype)}, batch2: {_cpp(batch2.dtype)}")
    if tuple(batch2.shape[:2]) != (bs, m):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{bs}, {m}] but got: [{batch2.shape[0]}, {batch2.shape[1]}].")
    if not (bs and n and batch2.shape[2]):
        pass  # (an empty result: PyTorch runs no kernel)
    elif not m:  # (an empty contraction: PyTorch's result.mul_(beta))
        L._empty_scale(input.dtype, beta)
    else:
        L._no_bool(input.dtype, "baddbmm")
        if batch1.dtype is not batch2.dtype:
            raise RuntimeError(f"expected scalar type {_legacy(batch1.dtype)} but found "
                               f"{_legacy(batch2.dtype)}")
    beta, alpha = _scalar_args("baddbmm", input.dtype, beta, alpha)
    prod, scale = _scaled_bmm(batch1, batch2, alpha)
    res = _combine(input, prod, beta, scale)
    # (float32: MKL's bits where ember knows them; the graph above stays for gradients)
    exact = L._baddbmm_bits(input._data, batch1._data, batch2._data, beta, alpha)
    if exact is None:  # (half types: one rounding of the float32 result)
        exact = _half_bmm_bits(input._data, batch1._data, batch2._data, beta, alpha, False)
    if exact is not None and exact.shape == res._data.shape:
        res._data = exact
    if res.dtype is not batch2.dtype:  # (an empty product: PyTorch's result is batch2's dtype)
        res = res.to(batch2.dtype)
    return _out(res, out, "baddbmm")


@fused_op("AddbmmBackward0", keep=(1, 2))  # (as PyTorch's: batch1, batch2)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_i (batch1[i] @ batch2[i])``: an ``n x p`` matrix."""
    if out is not None:  # (an ``out`` that requires grad is refused first)
        check_out_first("addbmm", (), out)
    input, batch1, batch2 = _batched_args(input, batch1, batch2)
    _refuse_wide(batch1, "addmm_impl_cpu_")
    target = (batch1.shape[1], batch2.shape[2])
    S.expand(input, target)  # (PyTorch's expand of input first: its errors)
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x"
                           f"{batch1.shape[2]} and {batch2.shape[1]}x{batch2.shape[2]})")
    if batch1.shape[0]:  # (PyTorch's addmm_ per matrix checks the dtypes: self against
        L._same_dtype(input, batch2, "self and mat2")  # mat2 first, then mat1; none with
        L._same_dtype(batch1, batch2, "mat1 and mat2")  # no matrix)
    if not batch1.shape[0]:  # (PyTorch's empty sum: result.mul_(beta), even of no element)
        L._empty_scale(input.dtype, beta)
    elif not batch1.shape[2] and all(target):  # (each matrix's addmm_: result.mul_(beta),
        L._empty_scale(input.dtype, beta)  # then beta 1 for the further ones)
        if batch1.shape[0] > 1:
            L._empty_scale(input.dtype, 1)
    elif all(batch1.shape) and batch2.shape[2]:
        L._no_bool(input.dtype, "addmm_impl_cpu_")
    beta, alpha = _scalar_args("addbmm", input.dtype, beta, alpha)
    if batch1.shape[0]:
        prod, scale = _scaled_bmm(batch1, batch2, alpha)
        prod = prod.sum(0).to(prod.dtype)  # (integer sums stay in their dtype)
    else:
        # (zeros, with empty gradients for the batches; no product to scale: PyTorch's
        # zero_() or mul_(beta) alone, no -0.0)
        prod = L.matmul(batch1, batch2).sum(0).to(input.dtype)
        scale = 1
    res = _combine(input, prod, beta, scale)
    # (float32: PyTorch's addmm per matrix into the result, where ember knows its bits)
    exact = L._addbmm_bits(input._data, batch1._data, batch2._data, beta, alpha)
    if exact is None:  # (half types: one rounding per matrix's addmm)
        exact = _half_bmm_bits(input._data, batch1._data, batch2._data, beta, alpha, True)
    if alpha == 0 and input._data.dtype in L._BLAS_TYPES and batch1.numel() and \
            batch2.numel():  # (each matrix's MKL addmm_ skips its product)
        exact = L._alpha0_blas(input, tuple(res.shape), beta)
    if exact is not None and exact.shape == res._data.shape:
        res._data = exact
    return _out(res, out, "addbmm")



def _kept_factors(args):
    """What PyTorch's ``addmv``/``addr`` node keeps of its two factors (arguments 1 and 2):
    each only where the other one's gradient is wanted."""
    rg = [getattr(args[i], "requires_grad", False) if len(args) > i else False for i in (1, 2)]
    return tuple(i for i, need in ((1, rg[1]), (2, rg[0])) if need)


@fused_op("AddmvBackward0", keep=lambda *a: _kept_factors(a))  # (as PyTorch's: mat, vec)
def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``: ``n x m`` and ``m`` give ``n``."""
    if out is not None:  # (an ``out`` that requires grad is refused first)
        check_out_first("addmv", (), out)
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    n, m = mat.shape
    if vec.shape[0] != m or (input.ndim == 1 and input.shape[0] not in (1, n)):
        shown = input.shape[0] if input.ndim else ""
        raise RuntimeError(f"size mismatch, got input ({shown}), mat ({n}x{m}), vec "
                           f"({vec.shape[0]})")
    if not input.dtype is mat.dtype is vec.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_legacy(input.dtype)}, {_legacy(mat.dtype)}, and "
                           f"{_legacy(vec.dtype)}")
    nonzero = beta != 0  # (PyTorch's test, before beta is converted to input's dtype)
    beta, alpha = _scalar_args("addmv", input.dtype, beta, alpha)
    if not (n and m) and nonzero:
        # NOTE: PyTorch's empty-matrix shortcut writes input * beta (beta as input's dtype)
        # unexpanded: an input of one element gives one element, resizing the result
        from ._core import warn_resized

        if n and tuple(input.shape) != (n,):
            warn_resized(F.empty(n), tuple(input.shape))
        scale = F.full((), beta, dtype=input.dtype, device=input.device)
        return _out(P.mul(input, scale), out, "addmv")
    prod = L.matmul(mat, vec) if m else F.zeros(n, dtype=mat.dtype, device=mat.device)
    res = _combine(input, prod, beta, alpha)
    if m and mat._data.dtype == np.float32:
        # PyTorch's float32 sgemv rounds beta * input in (or starts its sums there): its bits
        # where ember knows them (ember._ops._mkl_gemv); the graph above stays for gradients
        from ._mkl_gemv import addmv as exact_addmv

        exact = exact_addmv(input._data, mat._data, vec._data, beta, alpha)
        if exact is not None and exact.shape == res._data.shape:
            res._data = exact
    elif m and mat._data.dtype == np.float64:
        # (MKL's dgemv starts its sums at the input or adds it: its bits where ember knows them)
        from ._mkl_gemv import addmv64

        exact = addmv64(input._data, mat._data, vec._data, beta, alpha)
        if exact is not None:
            res._data = exact
    elif m:  # (half types: PyTorch's own gemv loops, their roundings)
        exact = _half_gemv_bits(input._data, mat._data, vec._data, beta, alpha)
        if exact is not None and exact.shape == res._data.shape:
            res._data = exact
    if alpha == 0 and m and mat._data.dtype in (np.float32, np.float64):
        res._data = L._alpha0_blas(input, (n,), beta)  # (MKL's gemv skips the product)
    return _out(res, out, "addmv")


def _half_gemv_bits(c, a, x, beta, alpha):
    """``beta * c + alpha * (a @ x)`` for float16/bfloat16 as PyTorch's CPU gemv rounds it
    (measured on 2.13): ``alpha`` and ``beta`` rounded to the half type first, ``beta * c``
    rounded to it (unless beta is 1, or for float16's "t" form with alpha 1; nothing of ``c``
    if beta is 0), then by the matrix's layout
    (PyTorch's ``addmv`` picks gemv's "n" form for a column-major matrix, and for an ``n x 1``
    one): "n": ``sum_j (alpha * x[j]) * a[:, j]`` accumulated in float32 column after column,
    rounded to the half type, then added to the scaled ``c`` and rounded again; "t": each row's
    float32 dot product in order, ``c + alpha * dot`` rounded once.  None for other dtypes or
    devices."""
    if type(a) is not np.ndarray or type(c) is not np.ndarray or type(x) is not np.ndarray or \
            a.dtype.itemsize != 2 or a.dtype.kind not in "fV" or a.ndim != 2:
        return None
    f32, low = np.float32, a.dtype
    n, m = a.shape
    item = a.itemsize
    al = f32(np.array(alpha, f32).astype(low))
    be = f32(np.array(beta, f32).astype(low))
    with quiet:
        af, xf = a.astype(f32), x.astype(f32)
        y = np.broadcast_to(c, (n,)).astype(f32)
        scaled = y * be  # (float16 "t" with alpha 1, PyTorch's fast path: kept in float32)
        if beta == 0:
            y = None
        elif be != 1:
            y = scaled.astype(low).astype(f32)
        s = np.zeros(n, f32)
        if a.strides[0] == item and (m == 1 or a.strides[1] // item >= max(1, n)):
            for j in range(m):  # ("n": the columns scaled by alpha * x[j], in turn)
                s += (al * xf[j]) * af[:, j]
            return s.astype(low) if y is None else (y + s.astype(low).astype(f32)).astype(low)
        for j in range(m):  # ("t": each row's dot product, in order)
            s += af[:, j] * xf[j]
        s *= al
        if y is not None and al == 1 and low == np.float16:
            y = scaled
        return s.astype(low) if y is None else (y + s).astype(low)


@fused_op("AddrBackward0", keep=lambda *a: _kept_factors(a))  # (as PyTorch's: vec1, vec2)
def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * outer(vec1, vec2)`` (bool tensors: ``or`` of ``and``s)."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    dt = D.result_type(input, vec1, vec2)
    _refuse_wide(vec1 if vec1.dtype is dt else input, "addr_cpu")
    beta, alpha = _scalar_args("addr", dt, beta, alpha)
    a, b, inp = (t if t.dtype is dt else t.to(dt) for t in (vec1, vec2, input))
    if dt is D.float32 and type(a._data) is np.ndarray and type(b._data) is np.ndarray and \
            type(inp._data) is np.ndarray:
        return _out(_addr_float32(inp, a, b, float(beta), float(alpha)), out)
    return _out(_combine(inp, P.mul(a.unsqueeze(1), b.unsqueeze(0)), beta, alpha), out)


def _addr_float32(inp, v1, v2, beta, alpha):
    """Float32 ``addr`` with PyTorch's bits: its kernel's vector code computes
    ``fma(alpha * v1, v2, beta * input)`` and its scalar tail ``fma(beta, input, (alpha * v1)
    * v2)`` (compiler-contracted, measured); with ``beta == 0`` both ``(alpha * v1) * v2``.  Its
    gradients are PyTorch's formulas: ``g.mv(v2)`` and ``g.t().mv(v1)`` (times alpha) for the
    vectors, ``g * beta`` summed to the input's shape for the input."""
    from .. import _random

    shape = (v1.shape[0], v2.shape[0])
    x = S.expand(inp, shape)._data  # (PyTorch's error where the input does not expand)
    f = np.float32
    col = v1._data[:, None]
    with quiet:
        scaled = np.multiply(col, f(alpha), dtype=f)
        if beta == 0:
            res = np.broadcast_to(scaled * v2._data, shape).copy()
        else:
            mask = _addr_vector_mask(shape, x, col, v2._data)
            res = np.empty(shape, f)
            if mask is not None:
                base = np.multiply(x, f(beta), dtype=f)
                vec = _random._fma32(np.broadcast_to(scaled, shape),
                                     np.broadcast_to(v2._data, shape), base)
                res[...] = vec
            if mask is not True:
                prod = np.broadcast_to(scaled * v2._data, shape)
                tail = _random._fma32(np.full(shape, f(beta)), np.ascontiguousarray(x), prod)
                if mask is None:
                    res[...] = tail
                else:
                    np.copyto(res, tail, where=~mask)

    def rule(ctx, g):
        a, b, in_shape = ctx.saved
        n0, n1, n2 = ctx.needs_input_grad
        gi = sum_to(g * beta if beta != 1 else g, in_shape) if n0 else None
        g1 = g2 = None
        if n1:
            g1 = g.mv(b)
            g1 = g1 * alpha if alpha != 1 else g1
        if n2:
            g2 = g.t().mv(a)
            g2 = g2 * alpha if alpha != 1 else g2
        return gi, g1, g2
    return make(res, (inp, v1, v2), "AddrBackward0", rule, v1, v2, tuple(inp.shape))


def _addr_vector_mask(shape, x, col, row):
    """Which outputs of a float32 ``addr`` PyTorch's vector code computes: ``True`` (all),
    ``None`` (none) or a boolean array.  Its kernel (AVX2's, also on AVX512 machines) runs
    the iterator's inner loop (the input's fastest dim; a single dim where the other has
    size 1) in blocks of 16 values, the rest of each loop in scalar code; a loop with two
    operands constant along it is all scalar.  From 32768 outputs the flat range is cut into
    one piece per thread, and a row cut in two makes two loops (measured)."""
    from . import _cascade

    m, n = shape
    ops = [np.broadcast_to(a, shape).strides for a in (x, col, row)]
    inner = 1
    if m == 1 or n == 1:
        inner, length = (0 if n == 1 else 1), m * n
    else:
        for s in ops:
            if s[0] and s[1] and s[0] != s[1]:
                inner = 0 if s[0] < s[1] else 1
                break
        length = shape[inner]
    steps = [s[inner] // 4 if length > 1 else 0 for s in ops]
    if any(v not in (0, 1) for v in steps) or steps.count(0) > 1 or length < 16:
        return None
    total = m * n
    threads = _cascade._threads()
    cuts = []
    if total >= 32768 and threads > 1:
        parts = min(threads, -(-total // 32768))
        chunk = -(-total // parts)
        cuts = [chunk * j for j in range(1, parts)]
    full = length - length % 16
    if full == length and all(c % length == 0 for c in cuts):
        return True
    flat = np.broadcast_to(np.arange(length) < full, (total // length, length)).copy()
    for c in cuts:
        r = c // length
        if c % length:
            edges = [0, *[d - r * length for d in cuts if r * length < d < (r + 1) * length],
                     length]
            flat[r] = False
            for a, b in zip(edges, edges[1:]):
                flat[r, a:b - (b - a) % 16] = True
    if inner == 1 or m == 1 or n == 1:
        return flat.reshape(shape)
    return flat.reshape(n, m).T


def chain_matmul(*matrices, out=None):
    """The product of a chain of 2-d matrices (deprecated in PyTorch for
    ``linalg.multi_dot``)."""
    warn_once("chain_matmul", "torch.chain_matmul is deprecated and will be removed in a future "
               "PyTorch release. Use torch.linalg.multi_dot instead, which accepts a list of two "
               "or more tensors rather than multiple parameters.",
              cpp=f"aten/src/ATen/native/LinearAlgebra.cpp:{1102 if out is None else 1120}")
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for t in matrices:
        if t.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return _out(matrices[0].clone(), out)
    from ..linalg import multi_dot  # (PyTorch's: its checks and its order of the products)

    return _out(multi_dot(matrices), out)


# -- shapes ------------------------------------------------------------------------------------

def _split_along(input, sections, indices, dim, name, min_dims, more=()):
    if more:  # ``t.vsplit(1, 2)``: the indices as separate arguments
        indices = (sections, *more)
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {input.ndim} dimensions!")
    ios = indices if indices is not None else sections
    if isinstance(ios, (int, np.integer)):
        n = input.shape[dim]
        if ios == 0 or n % ios:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {n} is not divisible by the split_size "
                               f"{ios}!")
    return S.tensor_split(input, ios, dim)


def vsplit(input, sections=None, *more, indices=None):
    """``input`` cut along dim 0 into ``sections`` equal parts, or at ``indices``."""
    return _split_along(input, sections, indices, 0, "vsplit", 2, more)


def hsplit(input, sections=None, *more, indices=None):
    """``input`` cut along dim 1 (dim 0 for a vector) into equal parts or at ``indices``."""
    return _split_along(input, sections, indices, 1 if input.ndim > 1 else 0, "hsplit", 1,
                        more)


def dsplit(input, sections=None, *more, indices=None):
    """``input`` cut along dim 2 into ``sections`` equal parts, or at ``indices``."""
    return _split_along(input, sections, indices, 2, "dsplit", 3, more)


def row_stack(tensors, *, out=None):
    """``vstack``'s other name."""
    return _out(S.vstack(tensors), out, "row_stack")


def ravel(input):
    """``input`` as a 1-d tensor (a view when its layout allows)."""
    return S.reshape(input, -1)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-d tensor, one per row (row-major)."""
    S.tensor_list_items(tensors)  # (a list of them is refused too, as in PyTorch)
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {_fmt(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if any(t.dtype is not tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    sizes = tuple(t.shape[0] for t in tensors)
    k = len(tensors)
    cols = [t.reshape([-1 if j == i else 1 for j in _range(k)]).expand(sizes).reshape(-1)
            for i, t in enumerate(tensors)]
    return S.stack(cols, 1)


def combinations(input, r=2, with_replacement=False):
    """Every ``r``-element combination of a 1-d tensor's elements, one per row, in
    lexicographic order of positions (``itertools.combinations``)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {_fmt(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return F.empty(0, dtype=input.dtype, device=input.device)
    # As PyTorch: an r-d grid of the elements per column (a view, expanded), the columns
    # masked to the increasing (non-decreasing) index tuples and stacked.
    n = input.shape[0]
    grid = np.indices((n,) * r, dtype=np.int64)
    keep = np.ones((n,) * r, dtype=bool)
    for a, b in zip(grid[:-1], grid[1:]):
        keep &= (a <= b) if with_replacement else (a < b)
    mask = wrap(xp_of(input).asarray(keep), input._device)
    cols = [I.masked_select(S.expand(input.view([-1 if j == i else 1 for j in _range(r)]),
                                     (n,) * r), mask) for i in _range(r)]
    return S.stack(cols, 1)


@fused_op("BlockDiagBackward0")
def block_diag(*tensors):
    """The tensors (at most 2-d; 0-d and 1-d count as one row) down the diagonal of one
    matrix, zeros elsewhere."""
    S.tensor_list_items(tensors)
    if not tensors:
        return F.empty(1, 0)
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
    mats = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t
            for t in tensors]
    dt = D.result_type(*[S._as_dim(t) for t in tensors])
    dev = mats[0].device
    cols = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m.shape
        parts = [F.zeros((r, left), dtype=dt, device=dev), m if m.dtype is dt else m.to(dt),
                 F.zeros((r, cols - left - c), dtype=dt, device=dev)]
        rows.append(S.cat(parts, 1))
        left += c
    out = S.cat(rows, 0)
    if any(t.ndim == 1 and not t.shape[0] for t in tensors) and out._requires_grad:
        # (PyTorch's backward gives an empty vector's gradient without stepping past its row,
        # so the gradients of the blocks after it are read that many rows higher)
        out = make(out._data.copy(), tuple(tensors), "BlockDiagBackward0", _block_diag_grads,
                   [tuple(t.shape) for t in tensors], [t.dtype.is_complex for t in tensors])
    return out


def _block_diag_grads(ctx, g):
    shapes, complex_in = ctx.saved
    grads, row, col = [], 0, 0
    for shape, cx in zip(shapes, complex_in, strict=True):
        part = g.real if g.dtype.is_complex and not cx else g
        if shape == (0,):
            grads.append(part.new_zeros(0))
            continue
        r, c = shape if len(shape) == 2 else (1, shape[0] if shape else 1)
        grads.append(part[row:row + r, col:col + c].reshape(shape))
        row, col = row + r, col + c
    return tuple(grads)


def diagflat(input, offset=0):
    """A matrix with ``input``'s elements (flattened) on diagonal ``offset``."""
    return S.diag(input.reshape(-1), offset)


def adjoint(input):
    """The conjugate transpose of the last two dims (real tensors only transpose: a view)."""
    if input.ndim == 0:  # (deprecated in PyTorch: the conjugate, with a warning)
        warn_once("adjoint on 0-d", "adjoint() is deprecated on 0-D tensors. Consider using "
                  "x.conj().", cpp="aten/src/ATen/native/TensorShape.cpp:4390")
        return input.conj()
    if input.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.ndim}-D tensor.")
    t = S.transpose(input, -2, -1)
    return t.conj() if input.dtype.is_complex else t


def _sum_to_size(self, *size, **kwargs):
    """``self`` summed down to ``size``, a shape ``self``'s shape broadcasts from."""
    if "size" in kwargs:
        size = (kwargs.pop("size"),)
    if kwargs:
        raise TypeError(f"sum_to_size() got an unexpected keyword argument "
                        f"'{next(iter(kwargs))}'")
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    shape = shape_arg(size, "sum_to_size")
    have = tuple(self.shape)
    lead = len(have) - len(shape)
    if lead < 0 or any(s != 1 and s != have[lead + i] for i, s in enumerate(shape)):
        raise RuntimeError(f"size {{{_fmt(shape)}}} is not expandable to size {{{_fmt(have)}}}.")
    return sum_to(self, shape)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a vector: column ``j`` is ``x ** (N - 1 - j)`` (``x ** j``
    when ``increasing``); integer and bool vectors give int64."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0]
    N = n if N is None else N
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    D.promote_types(x.dtype, D.int64)  # (PyTorch's result type: refused for uint16...)
    base = x if x.dtype.is_floating_point else x.to(D.int64)
    if N == 0:
        return F.empty((n, 0), dtype=base.dtype, device=x.device)
    ones = F.ones((n, 1), dtype=base.dtype, device=x.device)
    cols = S.cat([ones, base.unsqueeze(1).expand(n, N - 1)], 1) if N > 1 else ones
    res = R.cumprod(cols, 1)
    return res if increasing else S.flip(res, (1,))


@fused_op("RenormBackward0", keep=(0,))  # (as PyTorch's: self)
def renorm(input, p, dim, maxnorm, *, out=None, _scale_only=False):
    """``input`` with each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled
    down to norm ``maxnorm`` (to within 1e-7)."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {_num(maxnorm)}")
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    d = norm_dim(dim, input.ndim)
    if input.dtype in D._WIDE_UNSIGNED:  # (PyTorch's accumulate type has none for them)
        raise RuntimeError("false INTERNAL ASSERT FAILED at \"/__w/pytorch/pytorch/aten/src/"
                           "ATen/AccumulateType.cpp\":23, please report a bug to PyTorch. "
                           f"Unrecognized ScalarType: {D.scalar_name(input.dtype)}")
    others = tuple(k for k in _range(input.ndim) if k != d)
    from ..autograd.grad_mode import no_grad

    with no_grad():
        x = input.float() if input.dtype in (D.float16, D.bfloat16) else input
        norms = R.vector_norm(x, p, others, keepdim=True)
        scale = P.where(P.gt(norms, maxnorm), P.div(maxnorm, P.add(norms, 1e-7)),
                        F.ones((), dtype=norms.dtype, device=norms.device))
        if _scale_only:
            return scale.to(input.dtype)
        res = P.mul(input, scale.to(input.dtype))
    if out is not None or not (input.dtype.is_floating_point or input.dtype.is_complex):
        return _out(res, out)
    return make(res._data, (input,), "RenormBackward0", _renorm_rule, input, p, others, maxnorm)


def _renorm_rule(ctx, g):
    """PyTorch's renorm gradient, in its accumulation type (double for float32): the norm
    and the sum of ``x * g`` over each slice, the norm's own gradient ``nb``, then
    ``maxnorm * inv * (g - inv * nb)`` (``inv = 1 / (norm + 1e-7)``) where the norm exceeds
    ``maxnorm``, else ``g``."""
    x, p, others, maxnorm = ctx.saved
    acc = D.float32 if x.dtype in (D.float16, D.bfloat16) else D.float64
    if x.dtype.is_complex:  # (the real part of conj(x) g, summed in double, as PyTorch's)
        norm = R.vector_norm(x.to(D.complex128), p, others, keepdim=True)
        go = P.mul(x.conj(), g).real.sum(others, keepdim=True, dtype=acc)
    else:
        norm = R.vector_norm(x, p, others, keepdim=True, dtype=acc)
        go = P.mul(x, g).sum(others, keepdim=True, dtype=acc)
    if p == 1:
        nb = P.mul(x.sgn(), go)
    elif p == 2:
        nb = P.mul(go, P.div(x, norm).masked_fill(norm.eq(0), 0.0))
    elif math.isinf(p):
        mask = x.abs().eq(norm) | x.abs().isnan()
        nb = P.mul(x.sgn(), P.mul(P.div(go, mask.sum(others, keepdim=True)), mask))
    elif p < 1:
        scaled = P.mul(x.sgn(), x.abs().pow(p - 1).masked_fill(x.eq(0), 0.0))
        nb = P.mul(P.mul(scaled, go), norm.pow(1 - p))
    else:
        scaled = P.mul(x.sgn(), x.abs().pow(p - 1)) if p < 2 else P.mul(x, x.abs().pow(p - 2))
        nb = P.mul(scaled, P.div(go, norm.pow(p - 1)).masked_fill(norm.eq(0), 0.0))
    inv = P.add(norm, 1e-7).reciprocal()
    # (PyTorch's order: ``maxnorm * invnorm * (grad - invnorm * nb)``)
    scaled = P.mul(P.mul(inv, maxnorm), P.sub(g, P.mul(inv, nb)))
    res = P.where(P.gt(norm, maxnorm), scaled.to(g.dtype), g)
    return (res.to(x.dtype),)


_renorm_rule.complex_ready = True  # (PyTorch's formula, conj(x) g included)


# -- statistics and integration ----------------------------------------------------------------

def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in ``input``'s rows (observations in columns);
    ``fweights`` (integer repeat counts) and ``aweights`` (importance) weigh observations."""
    if input.ndim > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    if input.dtype is D.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        x = x.to(D.get_default_dtype())
    n = x.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        if wt.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                               f"{name} with {wt.ndim} dimensions")
        if name == "fweights" and wt.dtype.is_floating_point:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got "
                               f"fweights with {_legacy(wt.dtype)} dtype")
        if name == "aweights" and not wt.dtype.is_floating_point:
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                               f"aweights with {_legacy(wt.dtype)} dtype")
        if wt.numel() != n:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                               f"observations in the input but got {wt.numel()} != {n}")
        if wt.numel() and bool(P.lt(wt, 0).any().item()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = wt if w is None else P.mul(w, wt)
    if w is None:
        avg = R.mean(x, 1)
        w_sum = n
        norm = n - correction
    else:
        w_sum = w.sum()
        avg = P.div(P.mul(x, w).sum(1), w_sum)
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = P.sub(w_sum, correction)
        else:
            norm = P.sub(w_sum, P.div(P.mul(w, aweights).sum(), w_sum) * correction)
    if float(norm.item() if isinstance(norm, Tensor) else norm) <= 0:
        _warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
              "than the number of observations.", cpp="aten/src/ATen/native/Correlation.cpp:129")
        norm = 0
    xm = P.sub(x, avg.unsqueeze(1))
    c = L.mm(xm, S.t_(P.mul(xm, w) if w is not None else xm).conj())
    return P.div(c, norm).squeeze()


def corrcoef(input):
    """The Pearson correlation coefficients of the variables in ``input``'s rows, clipped to
    ``[-1, 1]``."""
    if input.ndim > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.ndim} dimensions")
    c = cov(input)
    if c.ndim == 0:
        return P.div(c, c)
    std = P.sqrt(S.diagonal(c))
    c = P.div(P.div(c, std.view(-1, 1)), std.view(1, -1))  # (views, as PyTorch records)
    if c.dtype.is_complex:  # (each part clipped, as PyTorch does)
        from .complex import complex_
        return complex_(P.clamp(c.real, -1, 1), P.clamp(c.imag, -1, 1))
    return P.clamp(c, -1, 1)


def _spacing(y, x, dx, d, name):
    """The widths between neighbouring samples along ``d``: a number or a tensor."""
    n = y.shape[d]
    if x is None:
        return 1 if dx is None else dx
    if x.ndim == 1:
        if x.shape[0] != n:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = _max(n - 1, 0)
        return diff(x).reshape(shape)
    # NOTE: as PyTorch, the differences of an N-d ``x`` are taken along ``y``'s dim counted
    # from the front, whatever ``x``'s own number of dims.
    return diff(x, dim=d)


def _trapezoid_args(y, x, dx, dim, name):
    # NOTE: PyTorch's order: trapezoid wraps the dim and returns zeros for no samples before
    # refusing bools; cumulative_trapezoid refuses a bool ``y`` first, but wraps the dim
    # before its check of ``x`` and ``y`` together.
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments - got "
                        "(Tensor, Tensor, dx=...)")
    with_x = isinstance(x, Tensor)
    if name != "trapezoid" and not with_x and y.dtype is D.bool:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = norm_dim(dim, y.ndim)
    if name == "trapezoid" and y.shape[d] == 0:
        return d
    if with_x and (y.dtype is D.bool or x.dtype is D.bool):
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not "
                           "supported")
    if y.dtype is D.bool:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    return d


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of the samples ``y`` along ``dim`` by the trapezoidal rule, at points
    ``x`` (a tensor) or spaced ``dx`` apart (1 by default)."""
    d = _trapezoid_args(y, x, dx, dim, "trapezoid")
    n = y.shape[d]
    if n == 0:  # nothing to integrate: zeros of y's dtype, outside autograd (as PyTorch)
        return F.zeros(tuple(s for k, s in enumerate(y.shape) if k != d), dtype=y.dtype,
                       device=y.device)
    w = _spacing(y, x, dx, d, "trapezoid")
    if not isinstance(w, Tensor):  # even spacing: every sample counts whole but the two ends
        ends = P.add(S.select(y, d, 0), S.select(y, d, n - 1))
        return P.mul_scalar(P.sub(y.sum(d), P.mul_scalar(ends, 0.5)), w)
    pairs = P.add(S.narrow(y, d, 1, n - 1), S.narrow(y, d, 0, n - 1))
    return P.div_scalar(P.mul(pairs, w).sum(d), 2)  # (true division: integers give floats)


def trapz(y, x=None, *, dx=None, dim=-1):
    """``trapezoid``'s older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral of ``y`` along ``dim``: one value fewer than ``y``
    has there."""
    d = _trapezoid_args(y, x, dx, dim, "cumulative_trapezoid")
    n = y.shape[d]
    if n == 0:
        return P.div(P.mul(y, 1), 2) if not y.dtype.is_floating_point else P.mul(y, 1)
    w = _spacing(y, x, dx, d, "cumulative_trapezoid")
    pairs = P.add(S.narrow(y, d, 1, n - 1), S.narrow(y, d, 0, n - 1))
    if not isinstance(w, Tensor):  # (halving is exact: the same values as (pairs * w) / 2)
        return R.cumsum(P.mul_scalar(pairs, w / 2), d)
    return P.div_scalar(R.cumsum(P.mul(pairs, w), d), 2)  # (as PyTorch: halved last)


# -- small predicates and constructors -----------------------------------------------------------

def is_nonzero(input):
    """Whether a one-element tensor's value is non-zero."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    from .. import _tensor

    if _tensor.VMAP_MAPPED:  # (a mapped one: vmap's refusal of data-dependent control flow)
        _tensor._vmap_conversion("boolean", input, 2)
    return bool(input.item())


def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def unravel_index(indices, shape):
    """The coordinates, one int64 tensor per dim of ``shape``, of flat ``indices`` into a
    tensor of that shape (indices wrap around modulo its number of elements)."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices).__name__}")
    if indices.dtype.is_floating_point or indices.dtype is D.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    if any(s == 0 for s in shape):
        raise RuntimeError("ZeroDivisionError")
    xp = xp_of(indices)
    a = indices._data.astype(np.int64)
    out, stride = [], 1
    for s in reversed(shape):
        out.append(wrap(xp.remainder(xp.floor_divide(a, stride), s), indices._device))
        stride *= s
    return tuple(reversed(out))


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-d CPU tensor sharing memory with a Python buffer (``bytes``, ``bytearray``,
    ``array.array``...): ``count`` elements (all by default) from byte ``offset``."""
    dt = D.to_dtype(dtype)
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    length, size = view.nbytes, np.dtype(dt.np).itemsize
    if length <= 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if offset < 0 or offset >= length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({length} bytes) minus 1")
    if count < 0:
        if (length - offset) % size:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} "
                             f"bytes) must be a multiple of element size ({size})")
        count = (length - offset) // size
    elif offset + count * size > length:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({length} bytes)")
    arr = np.frombuffer(view.cast("B"), dtype=dt.np, count=count, offset=offset)
    if view.readonly:
        warn_once("frombuffer", "The given buffer is not writable, and PyTorch does not support "
                   "non-writable tensors. This means you can write to the underlying "
                   "(supposedly non-writable) buffer using the tensor. You may want to copy the "
                   "buffer to protect its data or make it writable before converting it to a "
                   "tensor. This type of warning will be suppressed for the rest of this "
                   "program.", cpp="torch/csrc/utils/tensor_new.cpp:1556")
    t = wrap(arr)
    if requires_grad:
        F._require_grad(t)
    return t


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """An uninitialised tensor (zeros, in ember) of ``size`` laid out with ``stride``
    (counted in elements), on the default device unless ``device`` says otherwise."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    dt = F._dtype_or_default(dtype)
    dev = F._device(device, "aten::empty_strided")
    xp = _dev.xp_for(dev)
    need = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    item = np.dtype(dt.np).itemsize
    base = xp.zeros(need, dtype=dt.np)
    from ..backends import _uninitialized_fill
    fill = _uninitialized_fill(dt)
    if fill is not None:
        base[...] = fill
    # (no element: the strides as given all the same, zeros too, as PyTorch reports them)
    arr = S._as_strided(base, size, tuple(s * item for s in stride))
    t = wrap(arr, dev)
    if not need:
        t.__dict__["_numpy_strides"] = True
    if requires_grad:
        F._require_grad(t)
    return F._pinned_if(t, pin_memory)


# -- windows ------------------------------------------------------------------------------------

def _window(name, n, periodic, dtype, device, requires_grad, values):
    """A window of ``n`` points from ``values(k, N, work)`` (``k = 0..N-1`` as a host array of
    the working dtype ``work``: float64 for a float64 window, else float32); a periodic window
    is the symmetric one of ``n + 1`` points less its last."""
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={n}")
    dt = F._dtype_or_default(dtype)
    if not dt.is_floating_point:
        rg = "true" if requires_grad else "false (default)"
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype="
                           f"{_cpp(dt)}, device={F._device(device)}, layout=Strided (default), "
                           f"requires_grad={rg}, pinned_memory=false, memory_format=(nullopt))")
    if n <= 1:
        w = np.ones(n)
    else:
        N = n + 1 if periodic else n
        work = np.float64 if dt is D.float64 else np.float32
        w = values(np.arange(N, dtype=work), N, work)[:n]
    F._device(device)  # (PyTorch allocates the window there: its error for a missing backend)
    return F.tensor(w, dtype=dt, device=device, requires_grad=requires_grad)


def _cos(x, work):
    """cos of a ``work``-dtype array as PyTorch's ``cos_`` rounds it (float32: MKL's, see
    ``_vml.cos``)."""
    if work is np.float32:
        from . import _vml

        return _vml.cos(x)
    return np.cos(x.astype(np.float64)).astype(work)


def _cosine_sum(coefs):
    """``sum_j (-1)^j a_j cos(2 pi j k / (N - 1))``: the Hann/Hamming/Blackman family.

    NOTE: evaluated as PyTorch does, in the window's precision and in its order: the phase
    ``k * (2 pi / (N - 1))`` (``k * (pi / (N - 1))`` doubled and quadrupled for Blackman),
    each term scaled, then summed, the constant last; so windows match bit for bit (float32
    ones where ``_vml.emulated()``, else to the last bit of their cosines)."""
    def values(k, N, work):
        if len(coefs) == 2:
            return _cos(k * work(2 * np.pi / (N - 1)), work) * work(-coefs[1]) + work(coefs[0])
        phase = k * work(np.pi / (N - 1))
        return (_cos(phase * work(4), work) * work(coefs[2])
                - _cos(phase * work(2), work) * work(coefs[1]) + work(coefs[0]))
    return values


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False):
    """``0.5 - 0.5 cos(2 pi k / (N - 1))``."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum((0.5, 0.5)))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, pin_memory=False, requires_grad=False):
    """``alpha - beta cos(2 pi k / (N - 1))``."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum((alpha, beta)))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """The triangle ``1 - |2k / (N - 1) - 1|``."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   _triangle)


def _triangle(k, N, work):
    # NOTE: PyTorch's order: the rising ramp k * (2 / (N - 1)), its second half folded as 2 - w
    w = k * work(2 / (N - 1))
    half = (N - 1) // 2 + 1
    w[half:] = work(2) - w[half:]
    return w


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """``0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))``."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum((0.42, 0.5, 0.08)))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False):
    """``I0(beta sqrt(1 - (2k / (N - 1) - 1)^2)) / I0(beta)`` (``I0``: the modified Bessel
    function of order 0)."""
    def values(k, N, work):
        k = k.astype(np.float64)
        r = 2 * k / (N - 1) - 1
        return np.i0(beta * np.sqrt(np.clip(1 - r * r, 0, None))) / np.i0(beta)
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   values)


# -- the default device -------------------------------------------------------------------------

def set_default_device(device):
    """The device that factories (``zeros``, ``tensor``, ``arange``...) use when not told
    one; ``None`` goes back to the CPU."""
    # NOTE: as in PyTorch, a CUDA device is only checked for when first used.  Its steps are
    # PyTorch's, so that mixed with ``with torch.device(...)`` blocks it leaves the same
    # mode stack (where PyTorch's can leave an exited block's device in force).
    ctx = _dev._GLOBAL_CONTEXT[0]
    if ctx is not None:
        ctx.__exit__(None, None, None)
    if device is None:
        ctx = None
    else:
        ctx = _dev.DeviceContext(device)
        ctx.__enter__()
    _dev._GLOBAL_CONTEXT[0] = ctx


def get_default_device():
    """The device factories use when not told one (``cuda`` with the current GPU's index)."""
    d = F._default_device
    ctx = _dev._GLOBAL_CONTEXT[0]
    if d is None and ctx is not None and ctx.device.index is not None:
        return ctx.device  # (the setter's, its mode taken off: PyTorch's gives it if indexed)
    if d is None:
        return _dev.CPU
    # (no index: the device a new tensor gets, or PyTorch's error for a type it cannot have)
    return _dev.canonical(d) if d.index is None and d.type not in ("cpu", "meta") else d


# -- Tensor methods -----------------------------------------------------------------------------

def _inplace(op):
    """The in-place form of ``op``: its out-of-place result written back into ``self``.

    NOTE: ``commit`` records an op on a view as PyTorch's ``CopySlices`` around the op's
    last node, which holds for a primitive whose first input is ``self``; the composites
    here end in other nodes, so on a view their result goes in through ``copy_`` instead.
    """
    src = _SOURCE_ARG.get(op.__name__)

    def op_(self, *args, **kwargs):
        if src is not None and len(args) > src and isinstance(args[src], Tensor):
            # (as PyTorch: no source sharing self's memory; all but index_copy_ check their
            # arguments first)
            if op is not index_copy:
                quiet = {"_warn": False} if op is index_reduce else {}
                I.check_source_overlap(self, args[src],
                                       lambda: op(self.detach(), *args, **kwargs, **quiet))
            else:
                I._check_no_overlap(self, args[src])
            if op is index_copy and I.aliased_1d(self, args[src]):
                check_inplace(self)
                op(self.detach(), *args, **kwargs)  # (its checks)
                return I.write_sequentially(self, args[src], args[1]._data)
        check_inplace(self)
        if op is index_copy:  # (its first check, before its arguments')
            check_written_overlap(self)
        others = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
        snap = snapshot(self, *others)
        from ..autograd.grad_mode import STATE

        if self._base is not None and STATE.enabled and _overlap.self_overlapping(self._data):
            # (a view whose elements share memory, as ``as_strided`` makes: PyTorch's
            # CopySlices writes the op's gradient for each element into the base's gradient
            # in turn, the last one kept; ``copy_``'s history would add them up instead.  One
            # node for the whole composite lets ``commit`` record just that)
            new = fused(None, lambda *a: op(*a, **kwargs), snap, *args)
            self.__dict__["_overlap_result"] = new  # (see ``_overlap_seq.run``)
            return commit(self, new, expanded=True)
        new = op(snap, *args, **kwargs)
        if self._base is None or new._grad_fn is None or (
                new.dtype is not self.dtype and not D.can_cast(new.dtype, self.dtype)):
            # (an ``as_strided`` view overlapping itself: only the elements the op writes)
            return commit(self, new, expanded=_overlap.self_overlapping(self._data))
        return I.copy_(self, new)
    op_.__name__ = op.__name__ + "_"
    return op_


# where the in-place index writes take their source (refused where it shares self's memory)
_SOURCE_ARG = {"index_copy": 2, "scatter_reduce": 2, "put": 1, "index_reduce": 2}


def _install_methods():
    plain = {
        "trace": trace, "diff": diff, "kron": kron, "dist": dist, "histc": histc,
        "histogram": histogram, "quantile": quantile, "nanquantile": nanquantile, "mode": mode,
        "nanmedian": nanmedian, "logcumsumexp": logcumsumexp, "index_fill": index_fill,
        "index_copy": index_copy, "index_reduce": index_reduce,
        "scatter_reduce": scatter_reduce, "masked_scatter": masked_scatter, "put": put,
        "baddbmm": baddbmm, "addmv": addmv, "addbmm": addbmm, "addr": addr, "vsplit": vsplit,
        "hsplit": hsplit, "dsplit": dsplit, "diagflat": diagflat, "cov": cov,
        "corrcoef": corrcoef, "is_nonzero": is_nonzero, "is_same_size": is_same_size,
        "adjoint": adjoint, "renorm": renorm, "ravel": ravel,
    }
    for name, fn in plain.items():
        setattr(Tensor, name, fn)
    for name in ("index_fill", "index_copy", "index_reduce", "scatter_reduce", "put",
                 "baddbmm", "addmv", "addbmm", "addr", "renorm"):
        setattr(Tensor, name + "_", _inplace(plain[name]))
    Tensor.masked_scatter_ = _masked_scatter_
    index_fill_ = Tensor.index_fill_
    renorm_ = Tensor.renorm_

    def _renorm_(self, p, dim, maxnorm):
        from . import _overlap_seq

        if _overlap_seq.applies(self):  # (elements sharing memory: PyTorch's norms of the
            scale = renorm(self.detach(), p, dim, maxnorm, _scale_only=True)  # slices first,
            return self.mul_(scale)  # then its multiplication in its loop's order)
        if _overlap_seq.shares(self):  # (and under autograd: recorded, then in that order)
            def ordered():
                scale = renorm(self.detach(), p, dim, maxnorm, _scale_only=True)
                return self.mul_(scale)
            return _overlap_seq.run(self, [], ordered,
                                    lambda: renorm_(self, p, dim, maxnorm))
        return renorm_(self, p, dim, maxnorm)
    Tensor.renorm_ = _renorm_
    put_ = Tensor.put_

    def _put_(self, index, source, accumulate=False):
        from . import _overlap_seq

        if isinstance(index, Tensor) and isinstance(source, Tensor) and \
                _overlap_seq.shares(self):  # (elements sharing memory: in order)
            put(self.detach(), index, source, accumulate)  # (its checks)
            return _overlap_seq.run(self, [source], lambda: _overlap_seq.put_(
                self, index, source, accumulate), lambda: put_(self, index, source, accumulate))
        return put_(self, index, source, accumulate)
    Tensor.put_ = _put_
    index_copy_ = Tensor.index_copy_

    def _index_copy_(self, dim, index, source):
        from . import _overlap_seq

        if isinstance(index, Tensor) and isinstance(source, Tensor) and \
                _overlap_seq.shares(self):  # (elements sharing memory: in order)
            index_copy(self.detach(), dim, index, source)  # (its checks)
            return _overlap_seq.run(self, [source], lambda: _overlap_seq.index_copy_(
                self, dim, index, source), lambda: index_copy_(self, dim, index, source))
        return index_copy_(self, dim, index, source)
    Tensor.index_copy_ = _index_copy_

    def _index_fill_(self, *args, **kwargs):
        from ._core import has_internal_overlap
        from .methods import _writes_expanded

        if has_internal_overlap(self._data):  # (PyTorch's kernel warns, then writes it)
            return _writes_expanded(index_fill, "index_fill_")(self, *args, **kwargs)
        from . import _overlap_seq

        if _overlap_seq.shares(self):  # (elements sharing memory, under autograd: recorded,
            return _overlap_seq.run(  # then the fill on the memory)
                self, [*args, *kwargs.values()], lambda: index_fill_(self, *args, **kwargs),
                lambda: index_fill_(self, *args, **kwargs))
        return index_fill_(self, *args, **kwargs)
    Tensor.index_fill_ = _index_fill_
    scatter_reduce_ = Tensor.scatter_reduce_

    def _scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        from . import _overlap_seq

        how = {"sum": "add", "prod": "multiply", "amax": "amax", "amin": "amin"}.get(reduce)
        if reduce == "mean" and self.dtype.is_floating_point:
            how = "mean"
        if how is not None and include_self in (True, False) and isinstance(index, Tensor) \
                and isinstance(src, Tensor) and _overlap_seq.shares(self):  # (elements sharing
            # memory: its checks, then in PyTorch's order, as scatter_add_'s; without
            # ``self``, the identity is scattered into the indexed places first)
            scatter_reduce(self.detach(), dim, index, src, reduce, include_self=include_self)

            def ordered():
                if not include_self:
                    _overlap_seq.scatter_(self, dim, index, None,
                                          _reduce_identity(reduce, self._data.dtype))
                if how == "mean":
                    return _overlap_seq.mean_(self, dim, index, src, True, include_self)
                return _overlap_seq.scatter_(self, dim, index, src, None, how)
            return _overlap_seq.run(self, [src], ordered, lambda: scatter_reduce_(
                self, dim, index, src, reduce, include_self=include_self))
        return scatter_reduce_(self, dim, index, src, reduce, include_self=include_self)
    Tensor.scatter_reduce_ = _scatter_reduce_
    index_reduce_ = Tensor.index_reduce_

    def _index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        from . import _overlap_seq

        if (reduce in ("prod", "amax", "amin") or reduce == "mean" and
                self.dtype.is_floating_point) and include_self is True and self.ndim and \
                isinstance(index, Tensor) and isinstance(source, Tensor) and \
                _overlap_seq.shares(self):  # (elements sharing memory: its checks, then a
            index_reduce(self.detach(), dim, index, source, reduce)  # slice after another)
            return _overlap_seq.run(
                self, [source], (lambda: _overlap_seq.mean_(self, dim, index, source, False))
                if reduce == "mean" else
                lambda: _overlap_seq.index_reduce_(self, dim, index, source, reduce),
                lambda: index_reduce_(self, dim, index, source, reduce))
        return index_reduce_(self, dim, index, source, reduce, include_self=include_self)
    Tensor.index_reduce_ = _index_reduce_
    Tensor.sum_to_size = _sum_to_size


_install_methods()
