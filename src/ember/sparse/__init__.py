"""``torch.sparse``: products, sums and softmax for sparse COO tensors (see ``ember._sparse``);
``mm``/``addmm`` also take the compressed layouts (``ember._sparse_compressed``)."""
from __future__ import annotations

import numpy as np

from .._sparse import (SparseTensor, _core, _make, _mask_like, _new, sparse_addmm, sparse_mm,
                       sparse_sum)

__all__ = ["mm", "addmm", "sum", "softmax", "log_softmax", "spdiags",
           "check_sparse_tensor_invariants"]


def mm(mat1, mat2, reduce=None):
    """``torch.sparse.mm``: ``mat1 @ mat2`` where ``mat1`` is sparse; its gradient is sparse
    (at ``mat1``'s entries)."""
    if reduce is not None:
        raise NotImplementedError("ember's torch.sparse.mm has no reduce argument")
    if getattr(mat1, "_compressed", False) or getattr(mat2, "_compressed", False):
        from .._sparse_compressed import mm as compressed_mm

        return compressed_mm(mat1, mat2, "SparseAddmmBackward0")
    return sparse_mm(mat1, mat2)


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``torch.sparse.addmm``: ``beta * mat + alpha * (mat1 @ mat2)`` for a sparse ``mat1``."""
    if getattr(mat1, "_compressed", False) or getattr(mat2, "_compressed", False):
        from .._sparse_compressed import addmm as compressed_addmm

        return compressed_addmm(mat, mat1, mat2, beta=beta, alpha=alpha)
    return sparse_addmm(mat, mat1, mat2, beta=beta, alpha=alpha)


def sum(input, dim=None, dtype=None):  # noqa: A001 (PyTorch's name)
    """``torch.sparse.sum``: over all entries (a dense scalar) or over ``dim``."""
    return sparse_sum(input, dim, dtype=dtype)


def _softmax(input, dim, dtype, log):
    if not isinstance(input, SparseTensor):
        raise RuntimeError("softmax: expected a sparse tensor")
    if dtype is not None:
        input = input.to(dtype)
    dim = _core.norm_dim(dim, input.ndim)
    name = "SparseLogSoftmaxBackward0" if log else "SparseSoftmaxBackward0"
    if not input.numel():  # (PyTorch returns an empty result before its dtype dispatch)
        i, v, shape, dev = input._sp_i[:, :0].copy(), input._sp_v[:0].copy(), input.shape, \
            input._device
        return _make(i, v, shape, True, (input,), name,
                     lambda ctx, g: (_new(i, v, shape, True, dev),), dev)
    if not input.dtype.is_floating_point:
        from .. import _dtype

        name = "log_softmax" if log else "softmax"
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{_dtype.scalar_name(input.dtype)}'")
    c = input.coalesce()
    if dim >= input.sparse_dim():  # over a dense dim: the dense function of the values
        return _dense_dim_softmax(c, dim - input.sparse_dim() + 1, log, name)
    i, v = _core.to_host(c._sp_i), _core.to_host(c._sp_v)
    # entries that differ only along ``dim`` form one pool; absent entries count as -inf
    others = [d for d in range(c.sparse_dim()) if d != dim]
    key = np.zeros(i.shape[1], dtype=np.int64)
    for d in others:
        key = key * int(c.shape[d]) + i[d]
    _, grp = np.unique(key, return_inverse=True)
    grp = grp.reshape(-1)
    ngrp = int(grp.max()) + 1 if grp.size else 0
    # NOTE: PyTorch's kernel is a scalar loop in double (float32's accumulating type): a
    # running max (NaN skipped), the C library's exp of each difference (kept, rounded to the
    # values' dtype, for softmax), a running sum in entry order; then ``x - (max + log(sum))``
    # or ``e * (1 / sum)``, rounded once
    vd = v.astype(np.float64)
    mx = np.full((ngrp,) + v.shape[1:], -np.inf)
    np.fmax.at(mx, grp, vd)
    with _core.quiet:
        from .._ops import _libm

        e = _libm.exp64(vd - mx[grp])
        s = np.zeros_like(mx)
        np.add.at(s, grp, e)
        if log:
            out = vd - (mx + _libm.log64(s))[grp]
        else:
            out = e.astype(v.dtype).astype(np.float64) * (1.0 / s)[grp]
        out = out.astype(v.dtype)

    def rule(ctx, g):
        # (PyTorch's scalar loop in the values' dtype: ``tmp`` runs down the pool in entry
        # order, then ``g + exp(y) * tmp`` or ``y * (g + tmp)``, each step rounded)
        gv = _core.to_host(_mask_like(g, c)._sp_v).astype(v.dtype, copy=False)
        tmp = np.zeros(mx.shape, v.dtype)
        with _core.quiet:
            if log:
                np.subtract.at(tmp, grp, gv)
                gin = gv + _c_exp(out) * tmp[grp]
            else:
                np.subtract.at(tmp, grp, out * gv)
                gin = out * (gv + tmp[grp])
        return (_new(c._sp_i, _asarray_like(c, gin.astype(v.dtype)), c.shape, True,
                     c._device),)
    return _make(c._sp_i, _asarray_like(c, out), c.shape, True, (c,), name, rule, c._device)


def _c_exp(x):
    """The C library's ``exp`` (``expf`` for float32), as PyTorch's scalar loops call it."""
    from .._ops import _libm, _sleef

    if x.dtype == np.float32:
        return _sleef.c_exp(x)
    return _libm.exp64(x).astype(x.dtype, copy=False)


def _dense_dim_softmax(c, axis, log, name):
    """Softmax over a dense dim: PyTorch's dense kernel on the values (dim ``axis`` there)."""
    from .._ops._core import wrap
    from ..autograd import grad
    from ..autograd.grad_mode import enable_grad, no_grad

    def run(x):
        return x.log_softmax(axis) if log else x.softmax(axis)
    with no_grad():
        out = run(wrap(c._sp_v, c._device))._data

    def rule(ctx, g):
        gv = _mask_like(g, c)._sp_v
        x = wrap(c._sp_v, c._device).requires_grad_()
        with enable_grad():
            (gx,) = grad(run(x), x, wrap(gv.astype(out.dtype, copy=False), c._device))
        return (_new(c._sp_i, gx._data, c.shape, True, c._device),)
    return _make(c._sp_i, out, c.shape, True, (c,), name, rule, c._device)


def softmax(input, dim, dtype=None):
    """``torch.sparse.softmax``: softmax over the specified entries along ``dim``."""
    return _softmax(input, dim, dtype, False)


def log_softmax(input, dim, dtype=None):
    """``torch.sparse.log_softmax``."""
    return _softmax(input, dim, dtype, True)


class check_sparse_tensor_invariants:
    """Whether sparse tensor constructors check their invariants (the indices' order and
    bounds) when not told by ``check_invariants=``: a context manager, a decorator, or
    ``enable()``/``disable()``."""

    _enabled = False
    # NOTE: PyTorch warns (once) at the first ``sparse_coo_tensor`` call that leaves the
    # checks unset while nobody has chosen either way; enable(), disable() or the context
    # manager choose.
    _explicit = False

    def __init__(self, enable=True):
        self.enable = enable

    @staticmethod
    def is_enabled():
        return check_sparse_tensor_invariants._enabled

    @staticmethod
    def enable():
        check_sparse_tensor_invariants._enabled = True
        check_sparse_tensor_invariants._explicit = True

    @staticmethod
    def disable():
        check_sparse_tensor_invariants._enabled = False
        check_sparse_tensor_invariants._explicit = True

    def __enter__(self):
        self._saved = check_sparse_tensor_invariants._enabled
        check_sparse_tensor_invariants._enabled = self.enable
        check_sparse_tensor_invariants._explicit = True
        return self

    def __exit__(self, *exc):
        check_sparse_tensor_invariants._enabled = self._saved
        return False

    def __call__(self, mth):
        """As a decorator: ``mth`` runs with the checks set as this object says."""
        import functools

        @functools.wraps(mth)
        def run(*args, **kwargs):
            with type(self)(self.enable):
                return mth(*args, **kwargs)
        return run



def spdiags(diagonals, offsets, shape, layout=None):
    """``torch.sparse.spdiags``: row ``k`` of ``diagonals`` on the diagonal ``offsets[k]``
    (its element ``j`` at ``(j - offsets[k], j)``, SciPy's convention), as a COO tensor."""
    if layout is not None and str(layout) != "torch.sparse_coo":
        raise NotImplementedError(f"ember's spdiags makes sparse_coo tensors, not {layout}")
    d = diagonals if diagonals.ndim == 2 else diagonals.reshape(1, -1)
    offs = [int(o) for o in _core.to_host(offsets._data).reshape(-1)]
    if d.shape[0] != len(offs):
        raise RuntimeError(f"Number of diagonals ({d.shape[0]}) does not match the number of "
                           f"offsets ({len(offs)})")
    if len(set(offs)) != len(offs):
        raise RuntimeError("Offset tensor contains duplicate values")
    rows, cols, picks = [], [], []
    n_rows, n_cols = int(shape[0]), int(shape[1])
    for k, o in enumerate(offs):
        j = np.arange(max(0, o), min(n_cols, n_rows + o, d.shape[1]))
        rows.append(j - o)
        cols.append(j)
        picks.append((np.full(j.shape, k), j))
    i = np.stack([np.concatenate(rows), np.concatenate(cols)]).astype(np.int64) if rows else \
        np.zeros((2, 0), np.int64)
    ks = np.concatenate([p[0] for p in picks]) if picks else np.zeros(0, np.int64)
    js = np.concatenate([p[1] for p in picks]) if picks else np.zeros(0, np.int64)
    xp = np if d._device.type == "cpu" else None
    v = d._data[(ks, js)] if xp is np else d._data[(_asarray_like(d, ks), _asarray_like(d, js))]
    return _new(i if xp is np else _asarray_like(d, i), v, (n_rows, n_cols), i.shape[1] <= 1,
                d._device)


def _asarray_like(t, a):
    from .._sparse import _xp

    return _xp(t._device).asarray(a)


# -- the legacy sparse tensor types (``torch.sparse.FloatTensor`` and friends) ---------------

_LEGACY_FORMS = ("(*, torch.device device = None)",
                 "(Tensor indices, Tensor values, *, torch.device device = None)",
                 "(Tensor indices, Tensor values, tuple of ints size, *, torch.device device "
                 "= None)",
                 "(tuple of ints size, *, torch.device device = None)")


def _deprecated(form, hint, line):
    from .._warnings import warn_once

    # NOTE: as PyTorch's, each form warns once per process, whatever the type
    warn_once("legacy sparse " + form, f"torch.sparse.SparseTensor({form}) is deprecated.  "
              f"Please use torch.sparse_coo_tensor({hint}).",
              cpp=f"torch/csrc/utils/tensor_new.cpp:{line}")


class _LegacySparseType(type):
    """``torch.sparse.FloatTensor`` and friends: ``isinstance`` is a sparse COO CPU tensor of
    the dtype; calling builds one (with PyTorch's deprecation warning), from
    ``(indices, values[, size])`` (the values' own dtype kept, as PyTorch's) or a size."""

    def __instancecheck__(cls, obj):
        from .. import Tensor, sparse_coo

        return isinstance(obj, Tensor) and obj.layout is sparse_coo and \
            obj.dtype is cls._dtype and obj.device.type == "cpu"

    def __call__(cls, *args, device=None, **kwargs):
        from .. import Size, Tensor, device as _device
        from .._ops._core import format_invalid_args
        from .._sparse import sparse_coo_tensor

        if kwargs:
            raise TypeError(format_invalid_args("new", args, kwargs, _LEGACY_FORMS))
        if device is not None:
            dev = _device(device)
            if dev.type != "cpu":
                raise RuntimeError("legacy constructor expects device type: cpu but device "
                                   f"type: {dev.type} was passed")
        if len(args) in (2, 3) and all(isinstance(a, Tensor) for a in args[:2]):
            i, v = args[:2]
            if len(args) == 2:
                _deprecated("indices, values, *, device=", "indices, values, dtype=, device=",
                            641)
                return sparse_coo_tensor(i, v, check_invariants=False)
            size = args[2]
            if not isinstance(size, (tuple, list)) or not all(
                    isinstance(n, int) and not isinstance(n, bool) for n in size):
                raise TypeError(format_invalid_args("new", args, kwargs, _LEGACY_FORMS))
            _deprecated("indices, values, shape, *, device=",
                        "indices, values, shape, dtype=, device=", 653)
            return sparse_coo_tensor(i, v, tuple(size), check_invariants=False)
        if not args:
            _deprecated("", "(0,), dtype=", 623)
            return sparse_coo_tensor((0,), dtype=cls._dtype, check_invariants=False)
        if len(args) == 1 and isinstance(args[0], (list, tuple)) and \
                not isinstance(args[0], Size):
            raise TypeError("torch.sparse.SparseTensor(sequence) only accepts sizes.  Please "
                            "use torch.sparse_coo_tensor() or construct a strided tensor and "
                            "convert it to sparse via to_sparse.")
        size = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else args
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in size):
            raise TypeError(format_invalid_args("new", args, kwargs, _LEGACY_FORMS))
        _deprecated("shape, *, device=", "shape, dtype=, device=", 684)
        return sparse_coo_tensor(size, dtype=cls._dtype, check_invariants=False)

    dtype = property(lambda cls: cls._dtype)
    is_sparse = property(lambda cls: True)
    is_cuda = property(lambda cls: False)

    def __repr__(cls):
        return f"<class 'torch.sparse.{cls.__name__}'>"


def _legacy_sparse_types():
    from .. import _dtype as D

    for name, dt in (("FloatTensor", D.float32), ("DoubleTensor", D.float64),
                     ("HalfTensor", D.float16), ("BFloat16Tensor", D.bfloat16),
                     ("LongTensor", D.int64), ("IntTensor", D.int32), ("ShortTensor", D.int16),
                     ("CharTensor", D.int8), ("ByteTensor", D.uint8)):
        globals()[name] = _LegacySparseType(name, (), {"_dtype": dt,
                                                         "__module__": "ember.sparse"})


_legacy_sparse_types()
