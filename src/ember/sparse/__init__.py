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
    if not input.dtype.is_floating_point:
        from .. import _dtype

        name = "log_softmax" if log else "softmax"
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{_dtype.scalar_name(input.dtype)}'")
    if dim >= input.sparse_dim():
        raise NotImplementedError("ember's sparse softmax is over a sparse dimension only")
    c = input.coalesce()
    i, v = _core.to_host(c._sp_i), _core.to_host(c._sp_v)
    # entries that differ only along ``dim`` form one group; absent entries count as -inf
    others = [d for d in range(c.sparse_dim()) if d != dim]
    key = np.zeros(i.shape[1], dtype=np.int64)
    for d in others:
        key = key * int(c.shape[d]) + i[d]
    _, grp = np.unique(key, return_inverse=True)
    grp = grp.reshape(-1)
    ngrp = int(grp.max()) + 1 if grp.size else 0
    mx = np.full((ngrp,) + v.shape[1:], -np.inf, dtype=v.dtype)
    np.maximum.at(mx, grp, v)
    with _core.quiet:
        e = np.exp(v - mx[grp])
        s = np.zeros_like(mx)
        np.add.at(s, grp, e)
        out = ((v - mx[grp] - np.log(s[grp])) if log else e / s[grp]).astype(v.dtype)

    def rule(ctx, g):
        gv = _core.to_host(_mask_like(g, c)._sp_v)
        with _core.quiet:
            if log:   # d/dv: g - softmax * (sum of g over the group)
                tot = np.zeros_like(mx)
                np.add.at(tot, grp, gv)
                gin = gv - np.exp(out) * tot[grp]
            else:     # d/dv: y * (g - sum of g * y over the group)
                tot = np.zeros_like(mx)
                np.add.at(tot, grp, gv * out)
                gin = out * (gv - tot[grp])
        return (_new(c._sp_i, _asarray_like(c, gin.astype(v.dtype)), c.shape, True,
                     c._device),)
    return _make(c._sp_i, _asarray_like(c, out), c.shape, True, (c,),
                 "SparseLogSoftmaxBackward0" if log else "SparseSoftmaxBackward0", rule,
                 c._device)


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
