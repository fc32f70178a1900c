"""``embedding`` (a table lookup with PyTorch's ``EmbeddingBackward0``) and ``one_hot``."""
from __future__ import annotations

import numpy as np

from ... import _dtype as D
from ..._ops._core import make, same_device, wrap, write, xp_of
from ..._ops.index import _add_at
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["embedding", "one_hot"]

_LEGACY = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
           "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool"}


def _indices(input: Tensor, n: int, xp):
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           "scalar types: Long, Int; but got torch."
                           f"{_LEGACY[input.dtype.name]}Tensor instead (while checking arguments "
                           "for embedding)")
    idx = xp.asarray(input._data).reshape(-1).astype(np.int64, copy=False)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError("index out of range in self")
    return idx


def _renorm_(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Rescale, in place, the rows of ``weight`` read at ``idx`` whose norm exceeds ``max_norm``.

    As PyTorch's ``embedding_renorm_``: a row with norm ``r > max_norm`` is multiplied by
    ``max_norm / (r + 1e-7)``; each row is rescaled once however often it is looked up.
    """
    xp = xp_of(weight)
    rows = xp.unique(idx)
    if rows.size == 0:
        return
    w = weight._data
    sel = w[rows]
    acc = sel.astype(np.float32) if sel.dtype.name in ("float16", "bfloat16") else sel
    p = float(norm_type)
    a = xp.abs(acc)
    if p == np.inf:
        norm = a.max(axis=1)
    elif p == -np.inf:
        norm = a.min(axis=1)
    elif p == 0:
        norm = (a != 0).sum(axis=1).astype(acc.dtype)
    elif p == 1:
        norm = a.sum(axis=1)
    elif p == 2:
        norm = xp.sqrt((a * a).sum(axis=1))
    else:
        norm = (a ** p).sum(axis=1) ** (1.0 / p)
    big = norm > max_norm
    if not bool(big.any()):
        return
    scale = (max_norm / (norm[big] + 1e-7)).astype(acc.dtype)
    new = w.copy()
    new[rows[big]] = (acc[big] * scale[:, None]).astype(w.dtype)
    write(weight, new)


def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the indices ``input``.

    The result has shape ``input.shape + (dim,)``.

    ``padding_idx``'s row gets no gradient; ``max_norm`` renormalises the looked-up rows of
    ``weight`` in place first; ``scale_grad_by_freq`` divides each row's gradient by how
    often it occurs in the batch.

    NOTE: ``sparse=True`` is accepted, but the gradient ember gives is dense (ember has
    no sparse tensors); its values are the same.

    >>> F.embedding(ember.tensor([2, 0]), ember.arange(6.).reshape(3, 2))
    tensor([[4., 5.],
            [0., 1.]])
    """
    if padding_idx is not None:
        n = weight.size(0)
        if padding_idx > 0:
            if padding_idx >= n:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    same_device(weight, input)
    xp = xp_of(weight)
    n, dim = weight.shape
    idx = _indices(input, n, xp)
    if max_norm is not None:
        with no_grad():
            _renorm_(weight, idx, max_norm, norm_type)
    out = weight._data[idx].reshape(tuple(input.shape) + (dim,))
    keep = None if padding_idx < 0 else idx != padding_idx
    counts = xp.bincount(idx, minlength=n) if scale_grad_by_freq and idx.size else None
    return make(out, (weight,), "EmbeddingBackward0", _embedding_rule, (idx, keep, counts), n)


def _embedding_rule(ctx, g):
    plan, n = ctx.saved
    return (_scatter_rows(g, plan, n),)


def _kept(plan, rows):
    """The looked-up rows that get a gradient, each with its factor (``1 / count``)."""
    idx, keep, counts = plan
    if keep is not None:
        idx, rows = idx[keep], rows[keep]
    if counts is not None:
        rows = rows / counts[idx].astype(rows.dtype)[:, None]
    return idx, rows


def _scatter_rows(g: Tensor, plan, n: int) -> Tensor:
    """The weight's gradient: the rows of ``g`` added into the rows they were read from."""
    xp = xp_of(g)
    dim = g.shape[-1]
    gd = g._data.reshape(-1, dim)
    low = gd.dtype.name in ("float16", "bfloat16")
    idx, rows = _kept(plan, gd.astype(np.float32) if low else gd)
    out = xp.zeros((n, dim), dtype=rows.dtype)
    _add_at(out, idx, rows)
    gshape = tuple(g.shape)
    # NOTE: PyTorch's derivative of this gradient (for double backward) reads the rows back
    # without the 1 / count factor of scale_grad_by_freq (padding rows stay zero); as here.
    plain = (plan[0], plan[1], None)
    return make(out.astype(gd.dtype, copy=False), (g,), "EmbeddingDenseBackwardBackward0",
                lambda ctx, gg: (_gather_rows(gg, plain, gshape),))


def _gather_rows(w: Tensor, plan, shape) -> Tensor:
    """The adjoint of :func:`_scatter_rows` (for higher derivatives): rows of ``w`` read back,
    zero where the padding row was looked up."""
    idx, keep, _ = plan
    rows = w._data[idx]
    if keep is not None:
        rows = xp_of(w).where(keep[:, None], rows, rows.dtype.type(0))
    n = w.shape[0]
    return make(rows.reshape(shape), (w,), "EmbeddingBackward0",
                lambda ctx, g: (_scatter_rows(g, plan, n),))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``tensor.shape + (num_classes,)`` with ones at ``tensor``'s values.

    ``num_classes=-1`` takes one more than the largest value.

    >>> F.one_hot(ember.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = xp_of(tensor)
    a = tensor._data
    if a.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return wrap(xp.zeros(a.shape + (num_classes,), dtype=np.int64), tensor._device)
    if int(a.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1
    elif int(a.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return wrap(out, tensor._device)
