"""``embedding`` (a table lookup with PyTorch's ``EmbeddingBackward0``), ``embedding_bag``
(sums, means or maxima of bags of rows) and ``one_hot``."""
from __future__ import annotations
from ember._warnings import warn as _warn

import numpy as np

from ... import _dtype as D
from ..._argparse import with_int_args
from ..._ops._core import (make, not_twice_differentiable, same_device, wrap, write, xp_of,
                           xp_of_array)
from ..._ops.index import _add_at
from ..._tensor import Tensor
from ...autograd.grad_mode import STATE, no_grad
from ..parameter import _is_sparse

__all__ = ["embedding", "one_hot", "embedding_bag"]

_LEGACY = {d.name: D.scalar_name(d) for d in D.ALL}


def _sparse_bag_refusal(weight, op):
    """``embedding_bag`` of a sparse (COO or compressed) weight: no kernel, as PyTorch's."""
    from ... import _sparse, _sparse_compressed

    mod = _sparse if isinstance(weight, _sparse.SparseTensor) else _sparse_compressed
    raise NotImplementedError(mod._no_kernel(op))


def _indices(input: Tensor, n: int, xp, arg="#1", fn="embedding", check_range=True):
    if input.dtype not in (D.int64, D.int32):
        from .conv import _type_name

        raise RuntimeError(f"Expected tensor for argument {arg} 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {_type_name(input)} "
                           f"instead (while checking arguments for {fn})")
    idx = xp.asarray(input._data).reshape(-1).astype(np.int64, copy=False)
    if check_range and idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError("index out of range in self")
    return idx


def _renorm_check(input: Tensor, weight: Tensor, xp) -> None:
    """``embedding_renorm_``'s index checks: it selects each distinct row, in ascending order,
    as ``weight[i]``, so a negative index within range wraps and the first out-of-range one
    fails as ``select()`` does."""
    n = weight.shape[0]
    idx = _indices(input, n, xp, "#2", "embedding_renorm_", check_range=False)
    bad = idx[(idx < -n) | (idx >= n)]
    if not (weight.dtype.is_floating_point or weight.dtype.is_complex) and idx.size and \
            -n <= int(idx.min()) < n:  # (the first row's norm refuses an integer table)
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {D.scalar_name(weight.dtype)} instead.")
    if bad.size:
        raise IndexError(f"select(): index {int(bad.min())} out of range for tensor of size "
                         f"[{', '.join(map(str, weight.shape))}] at dimension 0")


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
    if type(acc) is np.ndarray and acc.dtype == np.float32 and p not in (0, np.inf, -np.inf):
        # each row's norm as PyTorch's ``row.norm(p)`` sums it (its CPU reduction order,
        # which ember's ``vector_norm`` follows; NumPy's pairwise sum differs in the last bit)
        from ..._ops.reduce import vector_norm

        norm = vector_norm(wrap(np.ascontiguousarray(acc)), p, dim=1)._data
    elif p == np.inf:
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
    # the norm goes to double before the scale is formed, as PyTorch's ``.item<double>()``
    scale = (max_norm / (norm[big].astype(np.float64) + 1e-7)).astype(acc.dtype)
    new = w.copy()
    new[rows[big]] = (acc[big] * scale[:, None]).astype(w.dtype)
    write(weight, new)


_EMBEDDING_ARGS = with_int_args("embedding", [
    "Tensor weight, Tensor indices, SymInt padding_idx=-1, bool scale_grad_by_freq=False, "
    "bool sparse=False"])(lambda *args: args)


def padding_index(padding_idx, n, name="Padding_idx"):
    """``padding_idx`` of ``n`` rows, a negative one counted from the end, checked as PyTorch
    checks it (only a positive one against ``n``: 0 passes even with no rows)."""
    if padding_idx > 0:
        if padding_idx >= n:
            raise AssertionError(f"{name} must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -n:
            raise AssertionError(f"{name} must be within num_embeddings")
        padding_idx = n + padding_idx
    return padding_idx

def embedding(input: Tensor, weight: Tensor, padding_idx=None, max_norm=None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the indices ``input``.

    The result has shape ``input.shape + (dim,)``.

    ``padding_idx``'s row gets no gradient; ``max_norm`` renormalises the looked-up rows of
    ``weight`` in place first; ``scale_grad_by_freq`` divides each row's gradient by how
    often it occurs in the batch.

    ``sparse=True`` makes the weight's gradient a sparse COO tensor, as PyTorch's.

    >>> F.embedding(ember.tensor([2, 0]), ember.arange(6.).reshape(3, 2))
    tensor([[4., 5.],
            [0., 1.]])
    """
    padding_idx = -1 if padding_idx is None else padding_index(padding_idx, weight.size(0))
    if type(padding_idx) is not int:  # (read by its op's parser, after the tensors)
        padding_idx = _EMBEDDING_ARGS(weight, input, padding_idx)[2]
    for pos, (nm, t) in enumerate((("weight", weight), ("indices", input)), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"embedding(): argument '{nm}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")
    if type(weight) is not Tensor and _is_sparse(weight):
        return _sparse_embedding(input, weight, max_norm)
    if max_norm is not None:  # (the renormalisation checks the indices first)
        _renorm_check(input, weight, xp_of(weight))
    from .loss import _check_flag  # (its op's parser)

    _check_flag(scale_grad_by_freq, "embedding", "scale_grad_by_freq", 4)
    _check_flag(sparse, "embedding", "sparse", 5)
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
    from ..._ops._core import no_complex_autograd

    no_complex_autograd("embedding", weight)  # (after the lookup, as PyTorch's)
    keep = None if padding_idx < 0 else idx != padding_idx
    counts = xp.bincount(idx, minlength=n) if scale_grad_by_freq and idx.size else None
    return make(out, (weight,), "EmbeddingBackward0",  # (the indices: kept, as PyTorch's)
                _embedding_sparse_rule if sparse else _embedding_rule, (idx, keep, counts), n,
                input)


def _sparse_embedding(input, weight, max_norm):
    """``embedding`` of a sparse weight, as PyTorch's: its rows picked by ``index_select``
    (a sparse COO result) for a 1-D ``input``.  NOTE: PyTorch views that result as
    ``input.shape + (dim,)`` for any other ``input``, which a sparse tensor refuses; its
    renormalisation (``max_norm``) and a compressed (CSR) weight have no sparse kernel."""
    from ... import _sparse, _sparse_compressed

    coo = isinstance(weight, _sparse.SparseTensor)
    no_kernel = _sparse._no_kernel if coo else _sparse_compressed._no_kernel
    if max_norm is not None:
        raise NotImplementedError(no_kernel("aten::embedding_renorm_"))
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    _indices(input, weight.shape[0], np, check_range=False)
    if not coo:
        raise NotImplementedError(no_kernel("aten::index_select"))
    out = weight.index_select(0, input.reshape(-1))
    if input.ndim != 1:
        raise NotImplementedError(no_kernel("aten::view"))

    def rule(ctx, g):  # (PyTorch's EmbeddingBackward0 has no sparse kernel either)
        raise NotImplementedError(no_kernel("aten::embedding_dense_backward"))
    return _sparse._make(out._sp_i, out._sp_v, tuple(out.shape), out.is_coalesced(), (weight,),
                         "EmbeddingBackward0", rule, out._device)


def _embedding_rule(ctx, g):
    plan, n = ctx.saved[:2]
    return (_scatter_rows(g, plan, n),)


def _embedding_sparse_rule(ctx, g):
    """``sparse=True``: a sparse COO gradient, one entry per lookup (see ``ember._sparse``)."""
    from ..._sparse import embedding_grad

    (idx, keep, counts), n = ctx.saved[:2]
    if counts is not None:
        raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse "
                           "gradients")
    if keep is not None and ctx.saved[2].dim() == 0:
        # NOTE: PyTorch masks the indices with ``indices != padding_idx``, which a 0-d index
        # tensor refuses
        raise IndexError("too many indices for tensor of dimension 0 (got 1)")
    return (embedding_grad(g, idx, keep, n),)


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
    if plan[2] is not None and type(gd) is np.ndarray and gd.dtype in (np.float32, np.float64):
        out = _freq_scaled_rows(gd, plan, n)
    else:
        idx, rows = _kept(plan, gd.astype(np.float32) if low else gd)
        out = xp.zeros((n, dim), dtype=rows.dtype)
        _add_at(out, idx, rows)
    gshape = tuple(g.shape)
    # NOTE: PyTorch's derivative of this gradient (for double backward) reads the rows back
    # without the 1 / count factor of scale_grad_by_freq (padding rows stay zero); as here.
    plain = (plan[0], plan[1], None)
    return make(out.astype(gd.dtype, copy=False), (g,), "EmbeddingDenseBackwardBackward0",
                lambda ctx, gg: (_gather_rows(gg, plain, gshape),))


def _freq_scaled_rows(gd, plan, n):
    """``scale_grad_by_freq``'s float32 (float64) weight gradient as PyTorch's CPU kernel adds
    it: the lookups in input order, each ``row = fma(1 / count, g, row)`` (its ``add`` with
    ``alpha``, the factor formed in float64 and rounded to the gradient's type)."""
    from ..._random import _fma32, _fma64

    fma = _fma32 if gd.dtype == np.float32 else _fma64
    idx, keep, counts = plan
    pos = np.arange(idx.shape[0]) if keep is None else np.flatnonzero(keep)
    out = np.zeros((n, gd.shape[1]), gd.dtype)
    if pos.size == 0:
        return out
    order = pos[np.argsort(idx[pos], kind="stable")]
    rows = idx[order]
    scale = (1.0 / counts[rows]).astype(gd.dtype)
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
    for k in range(int(rank.max()) + 1):
        at = rank == k
        r = rows[at]
        out[r] = fma(scale[at][:, None], gd[order[at]], out[r])
    return out


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


@with_int_args("one_hot", ["Tensor input, int num_classes=-1"])
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
    if tensor._device.type == "meta":  # no values: only the class count shapes the result
        if num_classes == -1:
            raise RuntimeError("Tensor.item() cannot be called on meta tensors")
        if num_classes < 0:  # (PyTorch's meta path fails in its arange)
            raise RuntimeError("upper bound and lower bound inconsistent with step sign")
        return wrap(xp.zeros(a.shape + (num_classes,), dtype=np.int64), tensor._device)
    if a.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return wrap(xp.zeros(a.shape + (num_classes,), dtype=np.int64), tensor._device)
    # As PyTorch: the range checks read the values back, so only the CPU makes them; on a GPU
    # only an inferred class count reads the maximum (PyTorch leaves bad values to its
    # scatter's device-side assert; here they give rows of zeros)
    on_cpu = tensor._device.type == "cpu"
    if on_cpu and int(a.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1
    elif on_cpu:
        if int(a.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes < 1:
        raise RuntimeError("num_classes should be positive")
    out = xp.ascontiguousarray((a[..., None] == xp.arange(num_classes)).astype(np.int64))
    return wrap(out, tensor._device)


# -- embedding_bag ------------------------------------------------------------------------------

_BAG_CHECK = " (while checking arguments for embedding_bag)"


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm=None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False, padding_idx=None) -> Tensor:
    """Sums, means or maxima of bags of rows of ``weight``, without building the rows.

    ``input`` is (B, N) (B bags of N indices) or 1-D with ``offsets`` giving where each bag
    starts (with ``include_last_offset``, the last offset ends the last bag).  Rows at
    ``padding_idx`` are left out of their bags (a bag of nothing gives zeros);
    ``per_sample_weights`` (``mode='sum'`` only) scales each looked-up row.  The result is
    (B, embedding_dim).

    >>> F.embedding_bag(ember.tensor([0, 2, 1]), ember.arange(6.).reshape(3, 2),
    ...                 ember.tensor([0, 2]), mode="sum")
    tensor([[4., 6.],
            [2., 3.]])
    """
    if weight.dtype is D.int64 and input.is_floating_point():

        _warn("Argument order of nn.functional.embedding_bag was changed. Usage "
              "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
              "`embedding_bag(input, weight, ...)`.", UserWarning, stacklevel=2)
        weight, input = input, weight
    psw = per_sample_weights
    if psw is not None and tuple(input.shape) != tuple(psw.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, then "
                         f"it must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    sparse_weight = type(weight) is not Tensor and _is_sparse(weight)
    xp = xp_of(input) if sparse_weight else xp_of(weight)
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets "
                             "of type " + ("<class 'torch.Tensor'>" if isinstance(offsets, Tensor)
                                           else str(type(offsets))))
        if input.shape[1] == 0:
            raise RuntimeError("step must be nonzero")
        # (PyTorch's offsets: an arange in the input's dtype)
        if input.dtype is D.bool or input.dtype.is_complex or input.dtype in D._WIDE_UNSIGNED:
            raise NotImplementedError(f"\"arange_cpu\" not implemented for "
                                      f"'{D.scalar_name(input.dtype)}'")
        starts = xp.arange(0, input.numel(), input.shape[1], dtype=np.int64)
        include_last_offset = False
        input = input.reshape(-1)
        psw = psw.reshape(-1) if psw is not None else None
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = None
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    n, dim = weight.shape
    if offsets is not None and offsets.dtype is not input.dtype:  # (PyTorch: both promoted)
        dt = D.promote_types(offsets.dtype, input.dtype)
        input, offsets = input.to(dt), offsets.to(dt)
    for t, what in ((input, "indices"), (offsets, "indices")):  # (PyTorch: 'indices' twice)
        if t is not None and t.dtype not in (D.int64, D.int32):
            from .conv import _type_name

            raise RuntimeError(f"Expected tensor for argument #1 '{what}' to have one of the "
                               "following scalar types: Long, Int; but got "
                               f"{_type_name(t)} instead{_BAG_CHECK}")
    if weight.dtype not in (D.float16, D.bfloat16, D.float32, D.float64):
        from .conv import _type_name
        from .loss import _check_flag

        if max_norm is not None and not weight.is_complex():  # (the renorm's norm comes first)
            raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                               f"Got {D.scalar_name(weight.dtype)} instead.")
        _check_flag(scale_grad_by_freq, "embedding_bag", "scale_grad_by_freq", 4)
        _check_flag(sparse, "embedding_bag", "sparse", 6)
        _bag_padding_idx(padding_idx, n)
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following "
                           "scalar types: Half, BFloat16, Float, Double; but got "
                           f"{_type_name(weight)} instead{_BAG_CHECK}")
    idx = xp.asarray(input._data).astype(np.int64, copy=False).reshape(-1)
    if max_norm is not None:
        if sparse_weight:
            _sparse_bag_refusal(weight, "aten::embedding_renorm_")
        bad = (idx < 0) | (idx >= n)
        if bool(bad.any()):
            raise IndexError("index out of range in self")
        with no_grad():
            _renorm_(weight, idx, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' "
                                  f"(got mode='{mode}'). Please open a feature request on GitHub.")
    from .loss import _check_flag  # (its op's parser, past the Python-side checks)

    _check_flag(scale_grad_by_freq, "embedding_bag", "scale_grad_by_freq", 4)
    _check_flag(sparse, "embedding_bag", "sparse", 6)
    if sparse_weight:  # (the forward-only kernel where the weight needs no gradient)
        _sparse_bag_refusal(weight, "aten::_embedding_bag" if weight.requires_grad else
                            "aten::_embedding_bag_forward_only")
    if psw is not None and psw.dtype is not weight.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as "
                           "tensor for argument #1 'per_sample_weights'; but type torch."
                           f"{_LEGACY[weight.dtype.name]}Tensor does not equal torch."
                           f"{_LEGACY[psw.dtype.name]}Tensor{_BAG_CHECK}")
    same_device(weight, input, offsets, psw)
    if starts is None:
        starts = xp.asarray(offsets._data).astype(np.int64, copy=False)
    # (PyTorch's message prints offsets[0] as a tensor, in the type both index tensors share)
    kind = "Int" if offsets is not None and offsets.dtype is D.int32 and \
        input.dtype is D.int32 else "Long"
    bags = _bag_bounds(starts, idx.shape[0], include_last_offset, kind)
    pad = _bag_padding_idx(padding_idx, n)
    bad = (idx < 0) | (idx >= n)
    if bool(bad.any()):
        i = int(xp.argmax(bad))
        if weight.dtype is D.float64:  # NOTE: PyTorch's two CPU kernels word this differently
            raise RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but "
                               f"found idx to be {int(idx[i])}")
        raise RuntimeError(f"Index {i} of input takes value {int(idx[i])} which is not in the "
                           f"valid range [0, {n})")
    return _bag_forward(weight, idx, bags, pad, mode, psw, scale_grad_by_freq, sparse,
                        (input, offsets))


def _bag_padding_idx(padding_idx, n):
    if padding_idx is None:
        return -1
    if not -n <= padding_idx < n:
        raise RuntimeError(f"padding_idx must be within the number of embeddings, -{n} through "
                           f"{n - 1}, but got {padding_idx}")
    return padding_idx + n if padding_idx < 0 else padding_idx


def _bag_bounds(starts, m, include_last_offset, kind="Long"):
    """The bag of each index and each bag's [start, end), from PyTorch's ``offsets``."""
    xp = xp_of_array(starts)
    if include_last_offset:
        if starts.shape[0] < 1:
            raise RuntimeError("include_last_offset: number of offset should be at least 1")
        ends = starts[1:]
        starts = starts[:-1]
    else:
        ends = xp.concatenate([starts[1:], xp.asarray([m], dtype=np.int64)])
    if starts.shape[0]:
        if int(starts[0]) != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the "
                               "mini-batch has to start from position 0. However, got "
                               f"{int(starts[0])}\n[ torch.{kind}Tensor{{}} ]")
        last = int(ends[-1]) if include_last_offset else int(starts[-1])
        if last > m:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {m} but "
                               f"got offsets[-1] of {last}")
        if bool((ends < starts).any()):
            # NOTE: PyTorch fails on an internal check here ("Expected i < index_size")
            raise RuntimeError("embedding_bag: offsets must be non-decreasing")
    return starts, ends


def _bag_forward(weight, idx, bags, pad, mode, psw, scale_grad_by_freq, sparse=False, kept=()):
    xp = xp_of(weight)
    starts, ends = bags
    n_bags = starts.shape[0]
    n, dim = weight.shape
    w = weight._data
    pos = xp.arange(idx.shape[0])
    # the bag of each index (-1 past the last bag, with include_last_offset)
    bag_of = xp.searchsorted(ends, pos, side="right") if n_bags else xp.full(pos.shape, -1)
    inside = (bag_of >= 0) & (bag_of < n_bags)
    keep = inside & (idx != pad)
    bag_of = xp.where(inside, bag_of, 0)
    counts = xp.zeros(n_bags, dtype=np.int64)
    _add_at(counts, bag_of[keep], 1)
    low = w.dtype.name in ("float16", "bfloat16")
    acc = np.float32 if low else w.dtype
    rows = w[idx].astype(acc, copy=False)
    argmax = None
    with _quiet():
        if mode == "max":
            out, argmax = _bag_max(rows, keep, bag_of, starts, ends, n_bags)
        else:
            out = xp.zeros((n_bags, dim), dtype=acc)
            if psw is not None and type(rows) is np.ndarray and acc == np.float32 and pad < 0:
                # (with a padding_idx PyTorch's other kernel rounds each product, then adds)
                _weighted_bags(out, rows, psw._data, bag_of, keep)
            else:
                vals = rows if psw is None else rows * psw._data.astype(acc)[:, None]
                _add_at(out, bag_of[keep], vals[keep])
            if mode == "mean":
                out = out / xp.maximum(counts, 1).astype(acc)[:, None]
    out = out.astype(w.dtype, copy=False)
    freq = _bag_frequencies(idx, n) if scale_grad_by_freq else None
    plan = (idx, bag_of, keep, counts, argmax, freq, mode, n)
    inputs = (weight, psw)  # (an edge for per_sample_weights even when None, as PyTorch)
    return make(out, inputs, "EmbeddingBagBackward0", _bag_sparse_rule if sparse else _bag_rule,
                plan, psw, weight if psw is not None else None, *kept)  # (kept: as PyTorch's)


def _weighted_bags(out, rows, psw, bag_of, keep):
    """``sum`` bags with per-sample weights in float32 as PyTorch's CPU kernel adds them:
    each bag's rows in input order, ``acc = fma(weight, row, acc)``."""
    from ..._random import _fma32

    pos = np.flatnonzero(keep)
    if pos.size == 0:
        return
    bags = bag_of[pos]  # non-decreasing: the bags are consecutive runs of the input
    first = np.r_[True, bags[1:] != bags[:-1]]
    starts = np.flatnonzero(first)
    rank = np.arange(pos.size) - np.repeat(starts, np.diff(np.r_[starts, pos.size]))
    for k in range(int(rank.max()) + 1):
        at = pos[rank == k]
        b = bag_of[at]
        out[b] = _fma32(psw[at].astype(np.float32)[:, None], rows[at], out[b])


def _quiet():
    from ..._ops._core import quiet

    return quiet


def _bag_max(rows, keep, bag_of, starts, ends, n_bags):
    """Each bag's maximum per column and where it was read (the first of equal maxima)."""
    xp = xp_of_array(rows)
    dim = rows.shape[1]
    if n_bags == 0:
        return xp.zeros((0, dim), rows.dtype), xp.zeros((0, dim), np.int64)
    longest = int((ends - starts).max()) if n_bags else 0
    slot = starts[:, None] + xp.arange(max(longest, 1))[None, :]  # (bag, place in bag)
    in_bag = slot < ends[:, None]
    slot = xp.where(in_bag, slot, 0)
    if keep.shape[0]:
        ok, picked = in_bag & keep[slot], rows[slot]
    else:  # no index at all
        ok, picked = in_bag & False, xp.zeros(slot.shape + (dim,), rows.dtype)
    grid = xp.where(ok[:, :, None], picked, -xp.inf)
    where = grid.argmax(axis=1)  # (bag, column): the first maximum
    best = xp.take_along_axis(grid, where[:, None, :], axis=1)[:, 0, :]
    empty = ~ok.any(axis=1)
    best = xp.where(empty[:, None], 0, best)
    at = xp.take_along_axis(slot, where, axis=1)  # the input position the maximum came from
    return best, xp.where(empty[:, None], -1, at)


def _bag_frequencies(idx, n):
    """The count PyTorch divides each row's gradient by under ``scale_grad_by_freq``.

    NOTE: PyTorch's CPU kernel divides the gradient of the k-th distinct index (in increasing
    order) by the count of the k-th *sorted* index, not by its own count (so an index sorted
    after a frequent one may get that one's count); this reproduces it.
    """
    xp = xp_of_array(idx)
    counts = xp.bincount(idx, minlength=n) if idx.size else xp.zeros(n, np.int64)
    uniq = xp.unique(idx)
    srt = xp.sort(idx)
    freq = xp.ones(n, dtype=np.int64)
    freq[uniq] = counts[srt[: uniq.shape[0]]]
    return freq


def _bag_sparse_rule(ctx, g):
    """``sparse=True`` (sum and mean): the weight's gradient as a sparse COO tensor with one
    entry per index in a bag (padding left out), as PyTorch."""
    from ..._sparse import embedding_grad

    (idx, bag_of, keep, counts, argmax, freq, mode, n), psw, weight = ctx.saved[:3]
    if freq is not None:
        raise RuntimeError("embedding_backward: scale_grad_by_freq not supported with sparse "
                           "gradients")
    xp = xp_of(g)
    gd = g._data
    per = gd[bag_of]
    if mode == "mean":  # (PyTorch's: times the reciprocal of the bag's size)
        per = per * (1 / xp.maximum(counts, 1).astype(gd.dtype))[bag_of][:, None]
    if psw is not None:
        per = per * psw._data.astype(gd.dtype)[:, None]
    gw = embedding_grad(wrap(per, g._device), idx, keep, n)
    if psw is None:
        return gw, None
    return (gw,) + tuple(_bag_rule(ctx, g)[1:])


def _bag_axpy_grad(gw, gd, idx, bag_of, keep, counts, freq, mode, psw):
    """The float32 (float64) weight gradient of ``sum``/``mean`` bags into ``gw``, in
    PyTorch's CPU order: the lookups ordered by PyTorch's unstable ``sort`` of the indices
    (ties in ``std::sort``'s order, from ``ember.sort``), and each bag gradient added into its
    row one lookup after the other as ``row = fma(scale, g_bag, row)``, where ``scale`` (the
    per-sample weight or 1, divided by the frequency and by the bag's size, in float64) is
    rounded to the gradient's type first (its BLAS ``axpy``)."""
    from ..._ops.reduce import sort
    from ..._random import _fma32, _fma64

    fma = _fma32 if gd.dtype == np.float32 else _fma64  # (float64: ``daxpy``, the same order)
    order = sort(wrap(idx)).indices._data if idx.size else idx
    order = order[keep[order]]
    if order.size == 0:
        return
    rows = idx[order]
    scale = np.ones(order.size) if psw is None else \
        psw._data.astype(np.float64)[order]
    if freq is not None:
        scale = scale / freq[rows]
    if mode == "mean":
        size = counts[bag_of[order]]
        scale = np.where(size != 0, scale / np.maximum(size, 1), scale)
    scale = scale.astype(gd.dtype)
    src = bag_of[order]
    # rank of each lookup among those of its row: lookups of one rank touch distinct rows
    first = np.r_[True, rows[1:] != rows[:-1]]
    starts = np.flatnonzero(first)
    rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
    plain = psw is None and freq is None and mode == "sum"
    for k in range(int(rank.max()) + 1):
        at = rank == k
        r, b = rows[at], src[at]
        gw[r] = gw[r] + gd[b] if plain else fma(scale[at][:, None], gd[b], gw[r])


def _bag_rule(ctx, g):
    (idx, bag_of, keep, counts, argmax, freq, mode, n), psw, weight = ctx.saved[:3]
    xp = xp_of(g)
    gd = g._data
    low = gd.dtype.name in ("float16", "bfloat16")
    acc = np.float32 if low else gd.dtype
    gd = gd.astype(acc, copy=False)
    dim = gd.shape[1]
    gw = xp.zeros((n, dim), dtype=acc)
    if mode == "max":
        hit = argmax >= 0
        cols = xp.broadcast_to(xp.arange(dim)[None, :], argmax.shape)
        _add_at(gw, (idx[argmax[hit]], cols[hit]), gd[hit])
    elif type(gd) is np.ndarray and gd.dtype in (np.float32, np.float64):
        _bag_axpy_grad(gw, gd, idx, bag_of, keep, counts, freq, mode, psw)
    else:
        per = gd[bag_of]  # each index's bag gradient
        if mode == "mean":
            per = per / xp.maximum(counts, 1).astype(acc)[bag_of][:, None]
        scaled = per if psw is None else per * psw._data.astype(acc)[:, None]
        if freq is not None:
            scaled = scaled / freq[idx].astype(acc)[:, None]
        _add_at(gw, idx[keep], scaled[keep])
    grads = [wrap(gw.astype(g._data.dtype, copy=False), g._device)]
    if psw is not None:
        gp = None
        if ctx.needs_input_grad[1]:  # d out / d psw[i]: the bag's gradient . the row
            gpa = _psw_grad(gd, weight._data, idx, bag_of, keep, acc)
            gp = wrap(gpa.astype(psw.dtype.np, copy=False), g._device)
        grads.append(gp)
    else:
        grads.append(None)
    return _bag_refusing(grads, g, weight, psw)


def _psw_grad(gd, w, idx, bag_of, keep, acc):
    """The per-sample weights' gradient: each kept lookup's bag gradient . its row (zero for
    padding), in float32 as PyTorch's CPU kernel takes each (one BLAS ``sdot`` apiece)."""
    xp = xp_of_array(gd)
    if type(gd) is np.ndarray and gd.dtype == np.float32 and w.dtype == np.float32:
        from ..._ops import _mkl_gemv

        out = np.zeros(idx.shape[0], np.float32)
        for s in np.flatnonzero(keep):
            d = _mkl_gemv.dot(gd[bag_of[s]], w[idx[s]])
            if d is None:
                break
            out[s] = d
        else:
            return out
    rows = w[idx].astype(acc, copy=False)
    return xp.where(keep, (gd[bag_of] * rows).sum(1), 0)


def _bag_refusing(grads, g, weight, psw):
    """``grads`` (weight's, per_sample_weights') under ``create_graph``: PyTorch has no
    derivative for embedding_bag's gradient kernels, so each is a node that refuses a second
    backward (the weight's ``EmbeddingBagBackwardBackward0``, linked to the incoming gradient
    and the per-sample weights; theirs ``NotImplemented``, linked to it and the weight)."""
    if not STATE.enabled:
        return tuple(grads)
    gw, gp = grads
    if gw is not None:
        gw = not_twice_differentiable(
            gw, None, "the derivative for '_embedding_bag_backward' is not implemented.",
            NotImplementedError, "EmbeddingBagBackwardBackward0", (g, psw))
    if gp is not None:
        gp = not_twice_differentiable(
            gp, None, "derivative for aten::_embedding_bag_per_sample_weights_backward is not "
            "implemented", RuntimeError, "NotImplemented", (g, weight))
    return gw, gp
