"""Sparse COO tensors (``layout=torch.sparse_coo``).

A sparse tensor is a :class:`SparseTensor`, a ``Tensor`` subclass holding two arrays:
``indices`` (int64, ``(sparse_dim, nnz)``) and ``values`` (``(nnz, *dense_sizes)``), plus a
flag saying whether the entries are coalesced (sorted, no duplicates).  Its ``_data`` is a
:class:`_SparseMeta`, which carries only the shape and dtype: the autograd engine reads those
from every tensor, and any dense op that reaches for the values fails instead of computing on
something wrong.  Tensor methods that have no sparse version raise PyTorch's
NotImplementedError for the SparseCPU backend.

What is here: creation (``torch.sparse_coo_tensor``, ``to_sparse``), the sparse tensor's
methods, products with dense matrices (``torch.sparse.mm``/``addmm``, ``mm``/``matmul``/``@``,
and the sparse results of ``hspmm``/``smm``/``sspaddmm``), sums, ``any``, elementwise
arithmetic, printing, pickling, and the pieces the autograd engine, the embedding layers and
the optimizers call for sparse gradients.  ``nn.functional``'s activations given a sparse
tensor fail (or, relu and tanh, run) as PyTorch's do (``_nn_route``).  ``torch.<function>(S)`` runs
``S.<function>()`` (``_layout_route``: public functions take sparse tensors the slow way, so
dense calls pay nothing), and fails as PyTorch's dispatcher does where there is no sparse
kernel.
"""
from __future__ import annotations

import math

import numpy as np

from . import _dtype as D
from ._device import xp_for
from ._tensor import Tensor, VersionCounter
from ._ops import _core, _vml
from ._ops._core import wrap
from .autograd.grad_mode import STATE

__all__ = ["SparseTensor", "sparse_coo_tensor", "is_sparse"]


class _Flags:
    # (c_contiguous: layout checks on a 4-d or 5-d op's inputs never take it for channels-last)
    c_contiguous = True
    f_contiguous = writeable = False


class _SparseMeta:
    """A sparse tensor's ``_data``: its shape and NumPy dtype, and nothing to compute on."""

    __slots__ = ("shape", "dtype")
    flags = _Flags()

    def __init__(self, shape, dtype):
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)

    @property
    def strides(self):
        """Row-major byte strides (layout checks on a 4-D result read them)."""
        out, step = [], self.dtype.itemsize
        for n in reversed(self.shape):
            out.append(step)
            step *= max(n, 1)
        return tuple(reversed(out))

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return 0

    def __array__(self, dtype=None, copy=None):
        raise NotImplementedError(_no_kernel("this operation"))


def _no_kernel(op):
    return (f"Could not run '{op}' with arguments from the 'SparseCPU' backend. This could be "
            "because the operator doesn't exist for this backend (ember's sparse COO tensors "
            "support construction, coalesce, to_dense, arithmetic, sum and products with dense "
            "matrices; call .to_dense() first for anything else).")


def is_sparse(t) -> bool:
    return isinstance(t, SparseTensor)


def _xp(dev):
    return np if dev.type == "cpu" else xp_for(dev)


# -- the tensor ----------------------------------------------------------------------------------

class _Storageless:
    """What the sparse layouts (COO here, the compressed ones in ``_sparse_compressed``) share:
    no storage to hand to NumPy or to list, and dtype casts through their own ``to``."""

    def __array__(self, dtype=None, copy=None):
        return self.numpy()

    def tolist(self):
        raise RuntimeError("Cannot access data pointer of Tensor that doesn't have storage")

    data_ptr = tolist

    def float(self, memory_format=None):
        return self.to(D.float32)

    def double(self, memory_format=None):
        return self.to(D.float64)

    def half(self, memory_format=None):
        return self.to(D.float16)

    def long(self, memory_format=None):
        return self.to(D.int64)

    def int(self, memory_format=None):
        return self.to(D.int32)

    def bool(self, memory_format=None):
        return self.to(D.bool)


_ADD_CAST = "Can't convert result type {} to output {} in add operation"


class SparseTensor(_Storageless, Tensor):
    """A sparse COO tensor (PyTorch's ``torch.Tensor`` with ``layout=torch.sparse_coo``)."""

    is_sparse = True
    is_sparse_csr = False

    @property
    def layout(self):
        from . import sparse_coo

        return sparse_coo

    # -- structure --------------------------------------------------------------------------
    def sparse_dim(self):
        return int(self._sp_i.shape[0])

    def dense_dim(self):
        return int(self._sp_v.ndim - 1)

    def _nnz(self):
        return int(self._sp_i.shape[1])

    def is_coalesced(self):
        return self._sp_c

    def _coalesced_(self, coalesced):
        self._sp_c = bool(coalesced)
        return self

    def indices(self):
        if not self._sp_c:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._indices()

    def values(self):
        if not self._sp_c:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._values_out("ValuesBackward0")

    def _indices(self):
        return wrap(self._sp_i, self._device)

    def _values(self):
        return wrap(self._sp_v, self._device)  # (no history, as PyTorch's)

    def _values_out(self, name):
        src = self

        def rule(ctx, g):
            return (_new(src._sp_i, g._data, src.shape, src._sp_c, src._device),)
        return _core.make(self._sp_v, (self,), name, rule, device=self._device)

    def coalesce(self):
        if self._sp_c:
            return self
        i, v, _ = _coalesce_arrays(self._sp_i, self._sp_v, self.shape, self._device)
        n, k = self._sp_i.shape[1], i.shape[1]
        if i.shape[0] and type(i) is np.ndarray:
            # NOTE: PyTorch's coalesce writes the unique indices into a buffer as wide as its
            # input's and narrows it: their stride is the input's nnz (``(3, 1)`` for 3 -> 2;
            # NumPy's may be anything along a dim of one)
            buf = np.empty((i.shape[0], n), i.dtype)
            buf[:, :k] = i
            i = buf[:, :k]
        src = self

        def rule(ctx, g):
            return (g,)
        return _make(i, v, self.shape, True, (src,), "CoalesceBackward0", rule, self._device)

    # -- conversion -------------------------------------------------------------------------
    def to_dense(self, dtype=None, *, masked_grad=None):
        v = self._sp_v
        if v.dtype.kind == "c":  # (PyTorch adds the entries into zeros: times 1+0j, complex)
            with np.errstate(invalid="ignore"):
                v = v * v.dtype.type(1)
        out = _to_dense_arr(self._sp_i, v, self.shape, self._device)
        pattern = self

        def rule(ctx, g):
            return (_mask_like(g, pattern),)
        t = _core.make(out, (self,), "ToDenseBackward0", rule, device=self._device)
        return t if dtype is None else t.to(dtype)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        if sparse_dim is not None and sparse_dim != self.sparse_dim():
            raise RuntimeError("to_sparse: conversion from Sparse to Sparse with sparse_dim "
                               "argument !=self.sparse_dim() is not supported")
        return self

    def to_sparse_coo(self):
        return self

    def numpy(self, *, force=False):
        raise TypeError("can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() "
                        "first.")


    def stride(self, dim=None):
        # NOTE: as PyTorch 2.13, a sparse tensor reports all-zero strides instead of failing
        return 0 if dim is not None else (0,) * self.ndim

    def is_contiguous(self, memory_format=None):
        return False

    def contiguous(self, memory_format=None):
        raise RuntimeError("unsupported memory format option Contiguous")

    def storage(self):
        raise NotImplementedError("Cannot access storage of SparseTensorImpl")

    untyped_storage = storage

    def view(self, *shape):
        raise NotImplementedError(_no_kernel("aten::view"))

    def reshape(self, *shape):
        raise RuntimeError("reshape is not implemented for sparse tensors")

    def to(self, *args, **kwargs):
        vt = wrap(self._sp_v, self._device)
        r = vt.to(*args, **kwargs)
        if r is vt:
            return self
        dev = r._device
        i = self._sp_i if dev == self._device else wrap(self._sp_i, self._device).to(dev)._data
        src_dtype = self.dtype

        def rule(ctx, g):
            return (g.to(src_dtype) if g.dtype is not src_dtype else g,)
        return _make(i, r._data, self.shape, self._sp_c, (self,), "ToCopyBackward0", rule, dev)

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return "torch.sparse." + Tensor.type(wrap(self._sp_v[:0], self._device)).split(".")[-1]
        return self.to(dtype)

    def cpu(self, memory_format=None):
        from ._device import CPU

        return self.to(CPU)

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        return self.to("cuda" if device is None else device)

    def clone(self, *, memory_format=None):
        return _make(self._sp_i.copy(), self._values_copy(), self.shape, self._sp_c, (self,),
                     "CloneBackward0", lambda ctx, g: (g,), self._device)

    def _values_copy(self):
        """A copy of the values laid out as PyTorch's ``values.clone()`` (its sparse clone's and
        deep copy's): dense values (any without elements) keep their strides."""
        from ._ops.shape import clone

        return clone(wrap(self._sp_v, self._device))._data

    def detach(self):
        return _new(self._sp_i, self._sp_v, self.shape, self._sp_c, self._device)

    def __copy__(self):
        return _new(self._sp_i, self._sp_v, self.shape, self._sp_c, self._device)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = _new(self._sp_i.copy(), self._values_copy(), self.shape, self._sp_c, self._device)
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            import copy

            new._grad = copy.deepcopy(self._grad, memo)
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, proto):
        from . import Size

        return (_rebuild_sparse_tensor,
                (self.layout, (self._indices(), wrap(self._sp_v, self._device),
                               Size(self.shape), self._sp_c)))

    def __repr__(self, *, tensor_contents=None):
        return _sparse_repr(self)

    # -- shape ------------------------------------------------------------------------------
    def t(self):
        if self.sparse_dim() > 2 or self.dense_dim():
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, "
                               f"but got {self.sparse_dim()} sparse and {self.dense_dim()} dense "
                               "dimensions")
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        if self.ndim < 2:
            return self
        return self._transpose(0, 1, "TBackward0")

    def transpose(self, dim0, dim1):
        return self._transpose(_core.norm_dim(dim0, self.ndim), _core.norm_dim(dim1, self.ndim),
                               "TransposeBackward0")

    def _transpose(self, a, b, name):
        sd = self.sparse_dim()
        if a >= sd or b >= sd:  # NOTE: PyTorch transposes sparse dims only
            raise RuntimeError(f"sparse transpose: transposed dimensions must be sparse Got "
                               f"sparse_dim: {sd}, d0: {a}, d1: {b}")
        shape = list(self.shape)
        shape[a], shape[b] = shape[b], shape[a]
        if a < sd:
            i = self._sp_i.copy()
            i[[a, b]] = i[[b, a]]
            v = self._sp_v
        else:
            i = self._sp_i
            v = self._sp_v.swapaxes(a - sd + 1, b - sd + 1)
        coalesced = (self._sp_c and a == b) or i.shape[1] == 0  # (as PyTorch flags it)
        return _make(i, v, shape, coalesced, (self,), name,
                     lambda ctx, g: (g.transpose(a, b),), self._device)

    # -- arithmetic ---------------------------------------------------------------------------
    def add(self, other, *, alpha=1):
        if isinstance(other, SparseTensor):
            return _add_sparse(self, other, alpha)
        if STATE.in_backward and isinstance(other, Tensor):  # the engine summing gradients
            return other + self.to_dense()
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                           "instead.")

    def __add__(self, other):
        if STATE.in_backward and isinstance(other, SparseTensor) and \
                tuple(other.shape) == tuple(self.shape):
            # NOTE: PyTorch's engine adds two sparse gradients of one tensor as ``later +
            # earlier`` (ember's engine calls ``earlier + later``)
            c = _add_sparse(other, self, 1)
            if other is self:  # (one gradient reaching a tensor twice: flagged coalesced)
                c._sp_c = True
            return c
        return self.add(other)

    def __radd__(self, other):
        if isinstance(other, Tensor) and not isinstance(other, SparseTensor):
            return _dense_add_sparse(other, self, 1)
        return self.add(other)

    def sub(self, other, *, alpha=1):
        if isinstance(other, SparseTensor):
            return _add_sparse(self, other, -alpha, "SubBackward0")
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                           "instead.")

    __sub__ = sub

    def __rsub__(self, other):
        if isinstance(other, Tensor) and not isinstance(other, SparseTensor):
            return _dense_add_sparse(other, self, -1, sub=True)
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                           "instead.")

    def mul(self, other):
        if isinstance(other, SparseTensor):
            return _mul_sparse(self, other)
        if isinstance(other, Tensor) and other.ndim > 0:
            return _mul_dense(self, other)
        return _scale(self, other, "MulBackward0", False)

    __mul__ = __rmul__ = mul

    def div(self, other, *, rounding_mode=None):
        if isinstance(other, Tensor) and other.ndim > 0:
            raise RuntimeError("Sparse division requires a scalar or zero-dim dense tensor "
                               f"divisor (got shape {list(other.shape)} for divisor)")
        if rounding_mode is not None:
            return self._rounded_div(other, rounding_mode, "DivBackward2")
        return _scale(self, other, "DivBackward0", True)

    __truediv__ = div

    def floor_divide(self, other):
        if isinstance(other, Tensor) and other.ndim > 0:
            raise RuntimeError("Sparse floor division requires a scalar or zero-dim dense "
                               f"tensor divisor (got shape {list(other.shape)} for divisor)")
        return self._rounded_div(other, "floor", None)

    __floordiv__ = floor_divide

    def _rounded_div(self, other, mode, node):
        # NOTE: rounding does not distribute over duplicate entries, so PyTorch coalesces
        # first; the gradient (of a rounded result) is an empty sparse tensor.
        c = self.coalesce()
        dev = c._device
        out = wrap(c._sp_v, dev).div(other, rounding_mode=mode)._data
        xp = _xp(dev)

        def rule(ctx, g):
            return (_new(xp.zeros((c.sparse_dim(), 0), np.int64),
                         xp.zeros((0,) + c._sp_v.shape[1:], c._sp_v.dtype), c.shape, True,
                         dev),)
        return _make(c._sp_i, out, self.shape, True, (c,), node,
                     None if node is None else rule, dev)

    def neg(self):
        from ._ops.pointwise import neg as dense_neg

        # (the dense kernel on the values: its error for bool, its signed zeros for complex)
        v = dense_neg(wrap(self._sp_v, self._device))._data
        return _make(self._sp_i, v, self.shape, self._sp_c, (self,), "NegBackward0",
                     lambda ctx, g: (-g,), self._device)

    __neg__ = neg

    def abs(self):
        return _valuewise(self, np.abs, lambda a, r: np.sign(a))

    def sqrt(self):
        return _valuewise(self, np.sqrt, lambda a, r: 0.5 / r)

    def pow(self, exponent):
        e = exponent

        return _valuewise(self, lambda a: a ** a.dtype.type(e),
                          lambda a, r: a.dtype.type(e) * a ** a.dtype.type(e - 1))

    def _become(self, r, mismatch=None):
        """``self`` takes the entries of result ``r`` (an in-place op's): a result dtype
        that cannot be cast to ``self``'s is refused (``mismatch``: PyTorch's words for it)."""
        if r.dtype is not self.dtype:
            if not D.can_cast(r.dtype, self.dtype):
                have, want = D.scalar_name(r.dtype), D.scalar_name(self.dtype)
                if mismatch is not None:
                    raise RuntimeError(mismatch.format(have, want))
                raise RuntimeError(f"result type {have} can't be cast to the desired output "
                                   f"type {want}")
            r = r.to(self.dtype)
        self._sp_i, self._sp_v, self._sp_c = r._sp_i, r._sp_v, r._sp_c
        self._vc.v += 1
        return self

    def add_(self, other, *, alpha=1):
        return self._become(self.add(other, alpha=alpha), _ADD_CAST)

    def sub_(self, other, *, alpha=1):
        return self._become(self.sub(other, alpha=alpha), _ADD_CAST)

    def mul_(self, other):
        scalar = not isinstance(other, Tensor) or (not isinstance(other, SparseTensor) and
                                                   other.ndim == 0)
        if scalar and not self._nnz():
            return self  # (PyTorch's kernel returns before its dtype check)
        if scalar and 0 in self.shape:  # (no elements: emptied, before the dtype check too)
            return self.zero_()
        if isinstance(other, SparseTensor):
            _check_same_shape(self, other, "mul")
            if not (self._nnz() and other._nnz()):  # (zeroed before any dtype check)
                return self.zero_()
            both = self._sp_c and other._sp_c  # (the two kernels' words)
            return self._become(self.mul(other), "Can't convert result type {} to output {}" +
                                (" in mul operation" if both else ""))
        out = self._become(self.mul(other), "dtype of values ({}) must match dtype of sparse "
                           "tensor ({})")
        if scalar and out._nnz() > 1:
            # NOTE: as PyTorch 2.13, scaling in place flags two or more entries uncoalesced
            out._sp_c = False
        return out

    def div_(self, other, *, rounding_mode=None):
        return self._become(self.div(other, rounding_mode=rounding_mode))

    def true_divide_(self, other):
        return self._become(self.div(other))

    def floor_divide_(self, other):
        return self._become(self.floor_divide(other))

    def copy_(self, src, non_blocking=False):
        if not isinstance(src, SparseTensor):
            raise RuntimeError("copy_() between dense and sparse Tensors is not implemented! "
                               f"Found self type = {self.type()} and src type = {src.type()}")
        if tuple(src.shape) != tuple(self.shape):
            raise RuntimeError(f"copy_(): sizes must match, but self has size "
                               f"{list(self.shape)} and src has size {list(src.shape)}")
        xp = _xp(self._device)
        self._sp_i = xp.asarray(_core.to_host(src._sp_i)).copy() if src._device != \
            self._device else src._sp_i.copy()
        v = src._sp_v if src._device == self._device else xp.asarray(_core.to_host(src._sp_v))
        self._sp_v = v.astype(self._sp_v.dtype, copy=True)
        self._sp_c = src._sp_c
        self._vc.v += 1
        return self

    def zero_(self):
        self._sp_i = self._sp_i[:, :0].copy()
        self._sp_v = self._sp_v[:0].copy()
        self._sp_c = True
        self._vc.v += 1
        return self

    def sum(self, dim=None, keepdim=False, dtype=None):
        if dim is None:
            return _sum_all(self if dtype is None else self.to(dtype))
        if dtype is None and not (self.dtype.is_floating_point or self.dtype.is_complex):
            dtype = D.int64  # (as a dense sum: integers and bools sum in int64)
        return sparse_sum(self, dim, dtype=dtype, keepdim=keepdim, name="SumBackward1")

    def mm(self, mat2):
        return mm(self, mat2)

    def matmul(self, other):
        return matmul(self, other)

    __matmul__ = matmul

    def __rmatmul__(self, other):
        return matmul(other, self)

    def mv(self, vec):
        if self.ndim != 2 or vec.ndim != 1:
            raise RuntimeError(f"mv: two tensor dim should be 2 and 1, but got SparseTensor "
                               f"Dim: {self.ndim}Tensor Dim: {vec.ndim}")
        if self.shape[-1] != vec.shape[-1]:
            raise RuntimeError("mv: expected self.size(-1) == vec.size(-1)")
        return mm(self, vec.unsqueeze(1)).squeeze(1)

    def unsqueeze(self, dim):
        dim = _core.norm_dim(dim, self.ndim + 1)
        xp, sd = _xp(self._device), self.sparse_dim()
        shape = self.shape[:dim] + (1,) + self.shape[dim:]
        if dim <= sd:
            i = xp.concatenate([self._sp_i[:dim], xp.zeros((1, self._sp_i.shape[1]), np.int64),
                                self._sp_i[dim:]])
            v = self._sp_v
        else:
            i, v = self._sp_i, xp.expand_dims(self._sp_v, dim - sd + 1)
        src = self

        def rule(ctx, g):
            if not isinstance(g, SparseTensor):
                return (g.squeeze(dim),)
            if dim <= sd:
                keep = [k for k in range(g._sp_i.shape[0]) if k != dim]
                return (_new(g._sp_i[keep], g._sp_v, src.shape, g._sp_c, g._device),)
            return (_new(g._sp_i, g._sp_v.squeeze(dim - sd + 1), src.shape, g._sp_c,
                         g._device),)
        return _make(i, v, shape, self._sp_c, (self,), "UnsqueezeBackward0", rule,
                     self._device)

    def index_select(self, dim, index):
        """The slices at ``index`` along ``dim`` (entries repeat with repeated indices)."""
        dim = _core.norm_dim(dim, self.ndim)
        xp, sd = _xp(self._device), self.sparse_dim()
        idx = index._data.reshape(-1).astype(np.int64) if isinstance(index, Tensor) else \
            np.asarray(index, np.int64).reshape(-1)
        n = self.shape[dim]
        if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
            bad = int(idx[(idx < -n) | (idx >= n)][0])
            if bad >= n:
                raise IndexError(f"index_select(): index contains {bad} that is out of range "
                                 f"for tensor of size {list(self.shape)} at dimension {dim}")
            raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
        idx = np.where(idx < 0, idx + n, idx)
        c = self  # NOTE: as PyTorch, the entries as they are (duplicates kept)
        shape = self.shape[:dim] + (len(idx),) + self.shape[dim + 1:]
        if dim < sd:
            hits = _core.to_host(c._sp_i[dim])[None, :] == idx[:, None]  # (len(idx), nnz)
            pos, ent = np.nonzero(hits)  # (ordered by position in ``index``, as PyTorch)
            ent, pos = xp.asarray(ent), xp.asarray(pos)
            i = c._sp_i[:, ent].copy()
            i[dim] = pos
            v = c._sp_v[ent]
        else:
            ent = None
            i, v = c._sp_i, xp.take(c._sp_v, xp.asarray(idx), axis=dim - sd + 1)

        def rule(ctx, g):  # (the dense index_select's gradient, at the input's places)
            gd = g.to_dense() if isinstance(g, SparseTensor) else g
            full = np.zeros(tuple(c.shape), gd._data.dtype)
            np.add.at(np.moveaxis(full, dim, 0), idx, np.moveaxis(_core.to_host(gd._data), dim, 0))
            return (_mask_like(wrap(xp.asarray(full), c._device), c),)
        # (PyTorch flags a result along a sparse dim coalesced only when it has < 2 entries)
        coalesced = c._sp_c if dim >= sd else i.shape[1] < 2
        return _make(i, v, shape, coalesced, (c,), "IndexSelectBackward0",
                     rule, self._device)

    @property
    def T(self):
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def permute(self, *dims):
        dims = tuple(dims[0]) if len(dims) == 1 and not isinstance(dims[0], int) else dims
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input "
                               f"does not match the length of the desired ordering of "
                               f"dimensions i.e. input.dim() = {self.ndim} is not equal to "
                               f"len(dims) = {len(dims)}")
        dims = [_core.norm_dim(d, self.ndim) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        sd = self.sparse_dim()
        if any((d < sd) != (k < sd) for k, d in enumerate(dims)):
            raise RuntimeError("permute(sparse_coo): transpositions between sparse and dense "
                               "dimensions are not allowed.Only transpositions within sparse "
                               "and dense dimensions are supported.")
        inv = [dims.index(k) for k in range(self.ndim)]
        i = self._sp_i[dims[:sd]]
        v = self._sp_v.transpose((0,) + tuple(d - sd + 1 for d in dims[sd:]))
        shape = [self.shape[d] for d in dims]
        coalesced = self._sp_c and dims[:sd] == list(range(sd))
        return _make(i, v, shape, coalesced, (self,), "PermuteBackward0",
                     lambda ctx, g: (g.permute(*inv),), self._device)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False):
        size = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
        dt = self.dtype if dtype is None else dtype
        xp = _xp(self._device)
        out = _new(xp.zeros((len(size), 0), np.int64), xp.zeros((0,), dt.np), size, True,
                   self._device)
        return out.requires_grad_() if requires_grad else out

    new_empty = new_zeros

    def is_same_size(self, other):
        return tuple(self.shape) == tuple(other.shape)

    def select(self, dim, index):
        """The slice at ``index`` along ``dim``: sparse (or, selecting the only sparse dim,
        dense: the sum of the entries there)."""
        dim = _core.norm_dim(dim, self.ndim)
        n = self.shape[dim]
        if not -n <= index < n:
            raise IndexError(f"select(): index {index} out of range for tensor of size "
                             f"{list(self.shape)} at dimension {dim}")
        index = index + n if index < 0 else index
        sd = self.sparse_dim()
        xp = _xp(self._device)
        if dim >= sd:
            v = xp.take(self._sp_v, index, axis=dim - sd + 1)
            return _new(self._sp_i, v, self.shape[:dim] + self.shape[dim + 1:],
                        self._sp_i.shape[1] < 2, self._device)  # (as PyTorch flags it)
        keep = xp.nonzero(self._sp_i[dim] == index)[0]
        v = self._sp_v[keep]
        if sd == 1:  # (no sparse dim left: the entries there, summed)
            return wrap(v, self._device).sum(0, dtype=self.dtype) if v.shape[0] else \
                wrap(xp.zeros(v.shape[1:], v.dtype), self._device)
        i = xp.ascontiguousarray(xp.delete(self._sp_i[:, keep], dim, axis=0))
        return _new(i, v, self.shape[:dim] + self.shape[dim + 1:], i.shape[1] < 2,
                    self._device)

    def narrow_copy(self, dim, start, length):
        nd = self.ndim
        if not 0 <= dim < nd:  # NOTE: PyTorch's sparse narrow_copy takes no negative dim
            raise RuntimeError(f"Dimension {dim} out of range. Expecting 0 <= dim < {nd}.")
        n = self.shape[dim]
        start = start + n if start < 0 else start
        if not (0 <= start and length >= 0 and start + length <= n):
            raise RuntimeError("Invalid range to narrow. range(start, start+length) must be a "
                               f"subset of range(0, {n}).")
        sd = self.sparse_dim()
        xp = _xp(self._device)
        shape = self.shape[:dim] + (length,) + self.shape[dim + 1:]
        if dim >= sd:
            sl = (slice(None),) * (dim - sd + 1) + (slice(start, start + length),)
            return _new(self._sp_i, xp.ascontiguousarray(self._sp_v[sl]), shape, self._sp_c,
                        self._device)
        keep = xp.nonzero((self._sp_i[dim] >= start) & (self._sp_i[dim] < start + length))[0]
        i = self._sp_i[:, keep].copy()
        i[dim] -= start
        return _new(i, self._sp_v[keep], shape, self._sp_c, self._device)

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self.to_dense().item()

    def sparse_resize_(self, size, sparse_dim, dense_dim):
        raise NotImplementedError(_no_kernel("aten::sparse_resize_"))


# Methods that read a sparse tensor as dense raise PyTorch's error for the sparse backend.
_KEEP = {
    "size", "dim", "ndimension", "numel", "nelement", "element_size", "get_device",
    "is_floating_point", "is_complex", "is_inference", "requires_grad_", "backward",
    "register_hook", "retain_grad", "register_post_accumulate_grad_hook", "detach_", "item",
    "__len__", "__bool__", "__format__", "__hash__", "__dir__", "__getattr__", "__init__",
    "__new__", "__init_subclass__", "__repr__", "__str__", "__reduce__", "__setstate__",
    "__getstate__", "__sizeof__", "__class_getitem__", "__subclasshook__", "__eq__", "__ne__",
    "_alias", "_is_view", "_real_scalar", "_scalar_for", "__float__", "__int__",
    "__index__", "__complex__", "__array_wrap__", "__iter__", "__getitem__", "__setitem__",
    "is_pinned", "pin_memory", "share_memory_", "is_shared",
}


def install_stubs(cls, keep, dunders, stub):
    """Give ``cls`` (a tensor class of another layout) ``stub(name)`` for every Tensor method
    it does not define itself (in its own bases included) or ``keep``: methods its layout has
    no kernel for fail as PyTorch's do, instead of computing on ``_data``.  Of the dunder
    methods, only those in ``dunders`` are replaced."""
    own = set()
    for k in cls.__mro__:
        if k is Tensor:
            break
        own |= set(k.__dict__)
    for name in dir(Tensor):
        if name in own or name in keep or (name.startswith("_") and not name.startswith("__")):
            continue
        attr = getattr(Tensor, name, None)
        if isinstance(attr, property) or not callable(attr) or isinstance(attr, type):
            continue
        if name.startswith("__") and name not in dunders:
            continue
        setattr(cls, name, stub(name))


_DUNDER_OPS = {"__pow__", "__rpow__", "__rtruediv__", "__floordiv__", "__rfloordiv__",
               "__mod__", "__rmod__", "__lt__", "__le__", "__gt__", "__ge__", "__and__",
               "__or__", "__xor__", "__invert__", "__abs__", "__iadd__", "__isub__", "__imul__",
               "__itruediv__", "__lshift__", "__rshift__", "__pos__"}


# The overloads PyTorch's dispatcher names for a method with no sparse kernel, where its name
# alone is not what it says (``S.mean()`` runs ``mean.dim``).
_OVERLOADS = {"mean": "mean.dim"}


def _stub(name):
    op = _OVERLOADS.get(name, name)

    def method(self, *args, **kwargs):
        raise NotImplementedError(_no_kernel(f"aten::{op}"))
    method.__name__ = name
    method._sparse = False  # (no sparse version: see _layout_route)
    return method


def _getitem(self, idx):
    """``S[k]`` for an integer ``k`` along a leading sparse dimension (of two or more): the
    entries in that slice, in their order; other indexing is not supported."""
    if isinstance(idx, (int, np.integer)) and not isinstance(idx, bool) and \
            self.sparse_dim() == 1 and not self.requires_grad:
        n = self.shape[0]
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of bounds for dimension 0 with size {n}")
        return self.select(0, int(idx))  # (the entries there, summed: dense)
    if isinstance(idx, (int, np.integer)) and not isinstance(idx, bool) and self.sparse_dim() > 1:
        n = self.shape[0]
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of bounds for dimension 0 with size {n}")
        k = idx + n if idx < 0 else idx
        xp = _xp(self._device)
        keep = xp.nonzero(self._sp_i[0] == k)[0]
        src = self

        def rule(ctx, g):
            gd = g.to_dense() if isinstance(g, SparseTensor) else g
            full = _xp(gd._device).zeros(tuple(src.shape), gd._data.dtype)
            full[k] = gd._data
            return (_mask_like(wrap(full, gd._device), src),)
        # (PyTorch flags the slice coalesced only when it has < 2 entries)
        return _make(xp.ascontiguousarray(self._sp_i[1:, keep]), self._sp_v[keep],
                     self.shape[1:], len(keep) < 2, (self,), "SelectBackward0", rule,
                     self._device)
    raise NotImplementedError(_no_kernel("aten::index"))


def _norm(self, p="fro", dim=None, keepdim=False, dtype=None):
    """``S.norm(p)``: the p-norm of all values (of the coalesced tensor), a dense 0-d tensor."""
    if dim is not None:
        dims = {_core.norm_dim(d, self.ndim) for d in ((dim,) if isinstance(dim, int) else dim)}
        if dims != set(range(self.ndim)):
            raise RuntimeError("norm_sparse currently only supports full reductions, so 'dim' "
                               "must either be empty or contain all dimensions of the input")
    if keepdim:  # (``F.normalize(S, dim=(0, 1))`` asks for it)
        raise RuntimeError("norm_sparse currently does not support keepdim=True")
    v = self.coalesce()._values()
    out = v.norm(2 if p in ("fro", None) else p)
    return out if dtype is None else out.to(dtype)


def _iadd(self, other):
    return self.add_(other)


def _imul(self, other):
    return self.mul_(other)


# -- making sparse tensors -----------------------------------------------------------------------

def shell(cls, meta, device):
    """A tensor of class ``cls`` with no history and no storage of its own, only ``meta``
    (a :class:`_SparseMeta`) as its ``_data``: the layout classes fill in their arrays."""
    t = object.__new__(cls)
    t._data = meta
    t._device = device
    t._requires_grad = False
    t._grad_fn = None
    t._vc = VersionCounter()
    t._fresh = False
    return t


def _new(i, v, shape, coalesced, device):
    """A sparse tensor over index array ``i`` and value array ``v`` (no history)."""
    t = shell(SparseTensor, _SparseMeta(shape, v.dtype), device)
    t._sp_i = i
    t._sp_v = v
    t._sp_c = bool(coalesced)
    return t


def _make(i, v, shape, coalesced, inputs, name, rule, device):
    """A sparse result of an op, recorded in the graph when an input requires grad."""
    out = _new(i, v, shape, coalesced, device)
    if rule is not None and _core.needs_grad(inputs) and v.dtype.kind in "fc":
        out._grad_fn = _core._node(name, rule, inputs)
        out._requires_grad = True
    return out


def _as_index_array(indices, device):
    if isinstance(indices, Tensor):
        if isinstance(indices, SparseTensor):
            raise TypeError("indices must be a dense tensor")
        a = indices._data
    else:
        from ._ops.creation import tensor

        a = tensor(indices)._data
    if a.dtype.kind == "c" or a.dtype.kind == "b":
        raise RuntimeError(f"indices must be an int64 tensor, not {a.dtype}")
    # (int64 indices are kept, not copied, as PyTorch's: the tensor aliases them)
    return a.astype(np.int64, copy=False)


_IMPLICIT_CHECKS = ("Sparse invariant checks are implicitly disabled. Memory errors (e.g. "
                    "SEGFAULT) will occur when operating on a sparse tensor which violates the "
                    "invariants, but checks incur performance overhead. To silence this "
                    "warning, explicitly opt in or out. See "
                    "`torch.sparse.check_sparse_tensor_invariants.__doc__` for guidance. ")


def sparse_coo_tensor(indices=None, values=None, size=None, *, dtype=None, device=None,
                      pin_memory=False, requires_grad=False, check_invariants=None,
                      is_coalesced=None):
    """``torch.sparse_coo_tensor``: a tensor whose entries ``values[k]`` sit at
    ``indices[:, k]``; the size is inferred from the largest indices when not given.
    ``sparse_coo_tensor(size)`` (or ``size=``) alone gives an empty one of that size."""
    from ._ops.creation import tensor

    if check_invariants is None:
        from .sparse import check_sparse_tensor_invariants

        if not check_sparse_tensor_invariants._explicit:
            from ._warnings import warn_once

            warn_once("sparse invariants", _IMPLICIT_CHECKS, cpp="aten/src/ATen/Context.cpp:816")
    if values is None:
        if size is None and indices is not None and not isinstance(indices, Tensor):
            size, indices = indices, None
        if indices is not None or size is None or isinstance(size, Tensor):
            raise TypeError("sparse_coo_tensor() expects (indices, values[, size]) or a size "
                            "(a tuple of ints) alone")
        size = tuple(int(n) for n in size)
        dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
        return sparse_coo_tensor(np.zeros((len(size), 0), np.int64),
                                 tensor(np.zeros((0,), dt.np)), size, device=device,
                                 requires_grad=requires_grad, check_invariants=False,
                                 is_coalesced=True)

    if isinstance(values, Tensor):
        vt = values
        if dtype is not None and D.to_dtype(dtype) is not vt.dtype:
            vt = vt.to(D.to_dtype(dtype))
    else:
        vt = tensor(values, dtype=None if dtype is None else D.to_dtype(dtype))
    if device is not None:
        vt = vt.to(device)
    dev = vt._device
    i = _as_index_array(indices, dev)
    if dev.type != "cpu":
        i = _xp(dev).asarray(i)
    if i.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(i.shape)}")
    v = vt._data
    if v.ndim == 0:
        raise RuntimeError("values must have at least one dimension")  # (PyTorch: an assert)
    nnz = i.shape[1]
    if v.shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{nnz}, nnz from values: {v.shape[0]}")
    sd, dd = i.shape[0], v.ndim - 1
    if check_invariants is None:
        from .sparse import check_sparse_tensor_invariants

        check_invariants = check_sparse_tensor_invariants.is_enabled()
    if size is None:
        if nnz:
            sizes = [int(s) + 1 for s in _core.to_host(i.max(axis=1))]
            if any(s <= 0 for s in sizes):
                sizes = [max(s, 0) for s in sizes]
        else:
            sizes = [0] * sd
        shape = tuple(sizes) + tuple(v.shape[1:])
    else:
        shape = tuple(int(s) for s in (size.shape if isinstance(size, Tensor) else size))
        if len(shape) != sd + dd:
            raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: "
                               f"len(size) = {len(shape)}, sparse_dim = {sd}, dense_dim = {dd}")
        for k in range(dd):
            if shape[sd + k] != v.shape[k + 1]:
                want = list((nnz,) + shape[sd:])
                raise RuntimeError(f"values has incorrect size, expected {want}, got "
                                   f"{list(v.shape)}")
        if check_invariants and nnz:
            host = _core.to_host(i)
            for d in range(sd):
                lo, hi = int(host[d].min()), int(host[d].max())
                if lo < 0:
                    raise RuntimeError(f"found negative index {lo} for dim {d}")
                if hi >= shape[d]:
                    raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size "
                                       f"is {shape[d]} but found index {hi}")
    coalesced = nnz <= 1 if is_coalesced is None else bool(is_coalesced)

    def rule(ctx, g):
        return (_gather_at(g, i),)
    out = _make(i, v, shape, coalesced, (vt,), "SparseCooTensorWithDimsAndTensorsBackward0",
                rule, dev)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _gather_at(g, i):
    """Entries of gradient ``g`` (dense or sparse) at the index columns ``i``."""
    if isinstance(g, SparseTensor):
        g = g.to_dense()
    return wrap(g._data[tuple(i)], g._device)


def to_sparse(t, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """``Tensor.to_sparse``: the non-zero entries of a dense tensor (rows of its first
    ``sparse_dim`` dimensions with any non-zero, for a hybrid result), coalesced."""
    if isinstance(t, SparseTensor):
        return t.to_sparse(sparse_dim)
    if layout is not None and str(layout) not in ("torch.sparse_coo",):
        raise NotImplementedError(f"ember supports only the sparse_coo layout, not {layout}")
    a = t._data
    xp = _xp(t._device)
    sd = a.ndim if sparse_dim is None else int(sparse_dim)
    if not 0 <= sd <= a.ndim:
        raise RuntimeError(f"dense_to_sparse: sparse_dim argument must be in [0,{a.ndim}] "
                           f"range, but {sd} is given")
    if sd == 0 and a.ndim:
        raise RuntimeError("dense_to_sparse: sparse_dim argument must be in >0 when "
                           "self.dim()>0")
    from ._float8 import refuse

    refuse(t, "nonzero_count_cpu")  # (PyTorch counts the non-zeros first: no kernel for these)
    if a.ndim == 0:
        sd = 0
    lead = a.reshape(a.shape[:sd] + (math.prod(a.shape[sd:]),)) if sd < a.ndim else a[..., None]
    mask = (lead != 0).any(axis=-1)
    # (a 0-d tensor keeps its value as one entry unless it is zero)
    i = xp.stack(xp.nonzero(mask)).astype(np.int64) if sd else \
        xp.zeros((0, int(a != 0)), np.int64)
    if i.ndim == 1:
        i = i.reshape(sd, -1)
    v = a[tuple(i)] if sd else a[None][:i.shape[1]]
    v = xp.ascontiguousarray(v)

    def rule(ctx, g):
        return (g.to_dense(),)
    name = "ToSparseBackward1" if sparse_dim is None else "ToSparseBackward0"
    return _make(i, v, a.shape, True, (t,), name, rule, t._device)


def _to_sparse_coo(t):
    return to_sparse(t)


# -- coalescing and densifying -------------------------------------------------------------------

def _linear(i, shape, xp):
    """Each index column as one number (row-major position in the sparse dims)."""
    sd = i.shape[0]
    lin = xp.zeros(i.shape[1], dtype=np.int64)
    for d in range(sd):
        lin = lin * int(shape[d]) + i[d]
    return lin


def _coalesce_arrays(i, v, shape, dev):
    """Sorted unique indices and the summed values (each index's values added in PyTorch's
    order); also the position in the result of each input entry."""
    xp = _xp(dev)
    lin = _linear(i, shape, xp)
    host = _core.to_host(lin)
    n = host.shape[0]
    order = np.argsort(host, kind="stable")
    if 16 < n < _RADIX_FROM:
        counts = np.unique(host, return_counts=True)[1]
        if counts.size and int(counts.max()) > 2:  # (sums of two do not depend on the order)
            order = np.asarray(_std_sort_perm(host.tolist()), dtype=np.int64)
    srt = host[order]
    start = np.ones(n, dtype=bool)
    start[1:] = srt[1:] != srt[:-1]
    group = np.cumsum(start) - 1
    order_x = xp.asarray(order)
    firsts = order_x[xp.asarray(start)]
    new_i = xp.ascontiguousarray(i[:, firsts])
    out = v[firsts].copy()
    rest = ~start
    if rest.any():
        xp.add.at(out, xp.asarray(group[rest]), v[order_x[xp.asarray(rest)]])
    pos = np.empty(n, dtype=np.int64)
    pos[order] = group
    return new_i, out, xp.asarray(pos)


_RADIX_FROM = 32768  # PyTorch sorts this many int64 keys or more with a stable radix sort


# -- PyTorch's order for summing duplicates --------------------------------------------------------
# PyTorch's CPU coalesce sorts the flattened indices with an unstable sort (libstdc++'s
# introsort below 32768 entries, a stable radix sort from there) and adds each index's values in
# the sorted order; float sums depend on that order once an index repeats three times or more.
# These functions give the same permutation (a port of the algorithm's steps, not of its code).

_THRESHOLD = 16


def _std_sort_perm(keys):
    """The permutation libstdc++'s ``std::sort`` leaves on ``(key, position)`` pairs compared
    by key only (an introsort: quicksort with a median-of-three pivot, heapsort past a depth
    limit, insertion sort to finish)."""
    k = list(keys)
    p = list(range(len(k)))
    n = len(k)
    if n < 2:
        return p

    def swap(a, b):
        k[a], k[b] = k[b], k[a]
        p[a], p[b] = p[b], p[a]

    def median_to_first(res, a, b, c):
        if k[a] < k[b]:
            if k[b] < k[c]:
                swap(res, b)
            elif k[a] < k[c]:
                swap(res, c)
            else:
                swap(res, a)
        elif k[a] < k[c]:
            swap(res, a)
        elif k[b] < k[c]:
            swap(res, c)
        else:
            swap(res, b)

    def partition(first, last, pivot):
        while True:
            while k[first] < k[pivot]:
                first += 1
            last -= 1
            while k[pivot] < k[last]:
                last -= 1
            if not first < last:
                return first
            swap(first, last)
            first += 1

    def sift_down(first, hole, length, vk, vp):
        top = hole
        child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if k[first + child] < k[first + child - 1]:
                child -= 1
            k[first + hole], p[first + hole] = k[first + child], p[first + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            k[first + hole], p[first + hole] = k[first + child - 1], p[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and k[first + parent] < vk:
            k[first + hole], p[first + hole] = k[first + parent], p[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        k[first + hole], p[first + hole] = vk, vp

    def heap_sort(first, last):
        length = last - first
        if length >= 2:
            parent = (length - 2) // 2
            while True:
                sift_down(first, parent, length, k[first + parent], p[first + parent])
                if parent == 0:
                    break
                parent -= 1
        while last - first > 1:
            last -= 1
            vk, vp = k[last], p[last]
            k[last], p[last] = k[first], p[first]
            sift_down(first, 0, last - first, vk, vp)

    def introsort(first, last, depth):
        while last - first > _THRESHOLD:
            if depth == 0:
                heap_sort(first, last)
                return
            depth -= 1
            mid = first + (last - first) // 2
            median_to_first(first, first + 1, mid, last - 1)
            cut = partition(first + 1, last, first)
            introsort(cut, last, depth)
            last = cut

    def linear_insert(i):
        vk, vp = k[i], p[i]
        j = i - 1
        while vk < k[j]:
            k[j + 1], p[j + 1] = k[j], p[j]
            j -= 1
        k[j + 1], p[j + 1] = vk, vp

    def insertion_sort(first, last):
        for i in range(first + 1, last):
            if k[i] < k[first]:
                vk, vp = k[i], p[i]
                k[first + 1:i + 1], p[first + 1:i + 1] = k[first:i], p[first:i]
                k[first], p[first] = vk, vp
            else:
                linear_insert(i)

    introsort(0, n, 2 * (n.bit_length() - 1))
    if n > _THRESHOLD:
        insertion_sort(0, _THRESHOLD)
        for i in range(_THRESHOLD, n):
            linear_insert(i)
    else:
        insertion_sort(0, n)
    return p


def _to_dense_arr(i, v, shape, dev):
    xp = _xp(dev)
    out = xp.zeros(tuple(shape), dtype=v.dtype)
    if i.shape[1]:
        if dev.type == "cpu":
            np.add.at(out, tuple(i), v)
        else:
            xp.add.at(out, tuple(i), v)
    return out


def _mask_like(g, pattern):
    """Gradient ``g`` kept at the entries of sparse ``pattern`` (coalesced), as a sparse
    tensor (PyTorch's ``sparse_mask``)."""
    if isinstance(g, SparseTensor):
        g = g.to_dense()
    p = pattern.coalesce() if not pattern._sp_c else pattern
    i = p._sp_i
    return _new(i, g._data[tuple(i)], pattern.shape, False, g._device)


def sparse_mask(dense, mask):
    """``Tensor.sparse_mask``: ``dense``'s entries at the sparse ``mask``'s (coalesced)
    indices."""
    if not isinstance(mask, SparseTensor):
        raise RuntimeError("sparse_mask expects mask to be sparse")
    if isinstance(dense, SparseTensor):  # (a sparse self: its values at the mask's places)
        if tuple(dense.shape) != tuple(mask.shape):
            raise RuntimeError("sparse_mask(): operands have incompatible sizes; self has size "
                               f"{list(dense.shape)} but mask has size {list(mask.shape)}")
        if not mask._nnz():
            return _new(mask._sp_i.copy(), dense._sp_v[:0].copy(), mask.shape, True,
                        dense._device)
        common = D.promote_types(dense.dtype, mask.dtype)
        if dense._nnz() and not D.can_cast(common, dense.dtype):  # (its intersection's check)
            raise RuntimeError(f"Can't convert result type {D.scalar_name(common)} to output "
                               f"{D.scalar_name(dense.dtype)}")
        out = sparse_mask(dense.to_dense(), mask)
        # NOTE: PyTorch sums self's entries at each of the mask's places in the accumulating
        # type (float32's in double, from 0) and rounds once
        out._sp_v = _sums_at(mask._sp_i, dense, mask.shape)
        return out
    if tuple(dense.shape) != tuple(mask.shape):
        raise RuntimeError("sparse_mask(): operands have incompatible sizes; self has size "
                           f"{list(dense.shape)} but mask has size {list(mask.shape)}")
    # NOTE: as PyTorch 2.13, the result keeps the mask's entries as they are (duplicates and
    # order), each with the dense value at its place
    i = mask._sp_i
    at = tuple(i)

    def rule(ctx, g):  # (the upstream gradient at the mask's places, once each)
        gd = g.to_dense() if isinstance(g, SparseTensor) else g
        out = _xp(gd._device).zeros(tuple(gd.shape), gd._data.dtype)
        out[at] = gd._data[at]
        return (wrap(out, gd._device),)
    return _make(i, dense._data[at], mask.shape, mask._sp_c, (dense,), "SparseMaskBackward0",
                 rule, dense._device)


# -- arithmetic -----------------------------------------------------------------------------------

def _check_same_shape(a, b, what="add"):
    if tuple(a.shape) == tuple(b.shape):
        return
    if what == "dense add":
        raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has "
                           f"size {list(a.shape)} while other has size {list(b.shape)} (FYI: "
                           "dense-sparse addition does not currently support broadcasting)")
    if what == "mul":
        raise RuntimeError(f"The size of tensor a ({b.shape[0]}) must match the size of tensor b "
                           f"({a.shape[0]}) at non-singleton dimension 0")
    raise RuntimeError(f"add: expected sizes of 'self' and 'other' to match, but "
                       f"{list(a.shape)} != {list(b.shape)}")


def _add_sparse(t, s, alpha, name="AddBackward0"):
    """``t + alpha * s`` for two sparse tensors: PyTorch's merge of the two entry lists (entries
    that meet with equal indices are summed; the rest keep their order)."""
    _check_same_shape(t, s)
    from ._ops import pointwise as _pw

    if name == "SubBackward0":
        _pw._check_bool_sub(t, s)
    _pw._check_alpha(wrap(t._sp_v[:0], t._device), wrap(s._sp_v[:0], s._device), alpha)
    if t.sparse_dim() != s.sparse_dim():
        raise RuntimeError("add: expected 'self' and 'other' to have same sparse dimensions")
    dt = D.promote_types(t.dtype, s.dtype)
    npdt = dt.np
    if dt is D.bool and s._nnz():
        # NOTE: as PyTorch, an empty ``t`` takes ``s * alpha`` (an integer product that cannot
        # be cast back to bool); otherwise its adding kernel has no bool version
        if not t._nnz():
            raise RuntimeError("result type Long can't be cast to the desired output type Bool")
        raise NotImplementedError('"cadd_sparse" not implemented for \'Bool\'')
    ti, tv = t._sp_i, t._sp_v.astype(npdt, copy=False)
    si, sv = s._sp_i, s._sp_v.astype(npdt, copy=False)
    shape, dev = t.shape, t._device
    if s._nnz() == 0:
        i, v, c = ti.copy(), tv.copy(), t._sp_c
    elif t._nnz() == 0:
        i, c = si.copy(), s._sp_c
        # (as PyTorch: the values times alpha in their own dtype, then cast)
        v = sv.copy() if alpha == 1 else \
            (wrap(s._sp_v, s._device) * alpha)._data.astype(npdt, copy=False)
    elif not (_contiguous(tv) and _contiguous(sv)):
        # NOTE: PyTorch's kernel for values not laid out contiguously (an embedding's
        # gradient made from an expanded one, say) appends the entries instead of merging
        xp = _xp(dev)
        i = xp.concatenate([ti, si], axis=1)
        v = xp.concatenate([tv, sv if alpha == 1 else sv * np.asarray(alpha, dtype=npdt)[()]])
        c = False
    else:
        i, v = _merge(ti, tv, si, sv, alpha, shape, dev)
        c = t._sp_c and s._sp_c

    def rule(ctx, g):
        n0, n1 = ctx.needs_input_grad
        return (g if n0 else None, (g * alpha if alpha != 1 else g) if n1 else None)
    return _make(i, v, shape, c, (t, s), name, rule, dev)


def _contiguous(a):
    return a.flags.c_contiguous


def _merge(ti, tv, si, sv, alpha, shape, dev):
    xp = _xp(dev)
    lt = _core.to_host(_linear(ti, shape, xp)).tolist()
    ls = _core.to_host(_linear(si, shape, xp)).tolist()
    nt, ns = len(lt), len(ls)
    take_t, take_s = [], []
    a = b = r = 0
    while a < nt or b < ns:
        if a >= nt:
            cmp = -1
        elif b >= ns:
            cmp = 1
        else:
            cmp = 1 if lt[a] < ls[b] else (-1 if lt[a] > ls[b] else 0)
        if cmp >= 0:
            take_t.append((a, r))
            a += 1
        if cmp <= 0:
            take_s.append((b, r))
            b += 1
        r += 1
    out_i = xp.empty((ti.shape[0], r), dtype=np.int64)
    out_v = xp.zeros((r,) + tv.shape[1:], dtype=tv.dtype)
    if take_t:
        src, dst = (xp.asarray(x) for x in zip(*take_t))
        out_i[:, dst] = ti[:, src]
        # (added into zeros, as PyTorch's kernel: -0 becomes 0; a complex one as its axpy
        # does, times 1+0j: inf+0j is inf+nanj)
        out_v[dst] = _fma(out_v[dst], tv[src], 1) if tv.dtype.kind in "fc" else tv[src]
    if take_s:
        src, dst = (xp.asarray(x) for x in zip(*take_s))
        out_i[:, dst] = si[:, src]
        # (each result slot takes at most one entry of each side)
        out_v[dst] = _fma(out_v[dst], sv[src], alpha)
    return out_i, out_v


def _fma(r, v, alpha):
    """``r + alpha * v`` rounded once for float32 (PyTorch's CPU kernels fuse the multiply
    and add there; exact in float64 before the one rounding), plainly otherwise."""
    if alpha == 1 and r.dtype.kind != "c":  # (complex: 1 is 1+0j, (inf+0j) * (1+0j) inf+nanj)
        return r + v
    if r.dtype == np.float32:
        return (r.astype(np.float64) + np.float64(np.float32(alpha)) * v.astype(np.float64)
                ).astype(np.float32)
    with np.errstate(invalid="ignore"):
        return r + np.asarray(alpha, dtype=r.dtype)[()] * v


def _add_entries(a, at, v, alpha=1):
    """``a[at[k]] += alpha * v[k]`` for each entry ``k`` in turn (duplicates add in order),
    as PyTorch's sequential CPU kernel; ``at`` is a tuple of index arrays."""
    n = v.shape[0]
    if not n:
        return
    xp = np if type(a) is np.ndarray else _xp(_core._dev_of(a))
    if alpha == 1 or a.dtype != np.float32:
        # (a complex alpha product always, as PyTorch's kernel: see _fma)
        with np.errstate(invalid="ignore"):
            vv = v if alpha == 1 and a.dtype.kind != "c" else \
                np.asarray(alpha, dtype=a.dtype)[()] * v
        xp.add.at(a, at, vv)
        return
    # fused multiply-adds: one round per repeat of an index, so each round writes rows once
    lin = _linear(xp.stack(at), a.shape, xp)
    order = xp.argsort(lin, kind="stable")
    srt = lin[order]
    start = xp.concatenate([xp.ones(1, dtype=bool), srt[1:] != srt[:-1]])
    first = xp.maximum.accumulate(xp.where(start, xp.arange(n), 0))
    rank = xp.empty(n, dtype=np.int64)
    rank[order] = xp.arange(n) - first
    for r in range(int(rank.max()) + 1):
        sel = xp.nonzero(rank == r)[0]
        rows = tuple(x[sel] for x in at)
        a[rows] = _fma(a[rows], v[sel], alpha)


def _concat(a, b):
    """The entries of ``a`` then those of ``b`` (not coalesced; no history)."""
    xp = _xp(a._device)
    dt = D.promote_types(a.dtype, b.dtype)
    i = xp.concatenate([a._sp_i, b._sp_i], axis=1)
    v = xp.concatenate([a._sp_v.astype(dt.np, copy=False), b._sp_v.astype(dt.np, copy=False)])
    return _new(i, v, a.shape, False, a._device)


def _dense_add_sparse(d, s, alpha, sub=False):
    """``dense + alpha * sparse`` (dense result), entry by entry in the sparse order (``sub``:
    a subtraction's, whose bool operands are refused)."""
    if sub:
        from ._ops import pointwise as _pw

        _pw._check_bool_sub(d, s)
    _check_same_shape(d, s, "dense add")
    dt = D.promote_types(d.dtype, s.dtype)
    out = d._data.astype(dt.np, copy=True)
    _add_entries(out, tuple(s._sp_i), s._sp_v.astype(dt.np, copy=False), alpha)

    def rule(ctx, g):
        n0, n1 = ctx.needs_input_grad
        return (g if n0 else None, (g * alpha if alpha != 1 else g) if n1 else None)
    return _core.make(out, (d, s), "AddBackward0", rule, device=d._device)


def add_sparse_into_dense_(d, s, alpha=1):
    """``d.add_(s, alpha=alpha)`` for a dense ``d`` and sparse ``s`` (no autograd), the way
    PyTorch's CPU kernel does it: ``d[index] += alpha * value`` for each entry in turn.
    (A sparse ``d``, a sparse Parameter's optimizer step: sparse ``add_``.)"""
    if d.is_sparse:
        return d.add_(s, alpha=alpha)
    a = d._data
    _add_entries(a, tuple(s._sp_i), s._sp_v.astype(a.dtype, copy=False), alpha)
    d._vc.v += 1
    return d


def _scale(s, c, name, divide):
    """Every value times (or divided by) the scalar ``c``."""
    if isinstance(c, Tensor):
        cval = c
        c = c.item()
    else:
        cval = None
    v = s._sp_v
    npdt = D.result_type(wrap(v[:0], s._device), cval if cval is not None else c).np
    if divide and npdt.kind in "biu":  # (true division of integers: the default dtype)
        npdt = D.get_default_dtype().np
    vv = v.astype(npdt, copy=False)
    i, coalesced = s._sp_i, s._sp_c
    if not divide and 0 in s.shape:  # NOTE: as PyTorch, a product with no elements keeps
        i, vv, coalesced = i[:, :0], vv[:0], True  # no entries either
    with _core.quiet:
        out = vv / np.asarray(c, dtype=npdt)[()] if divide else vv * np.asarray(c, dtype=npdt)[()]

    def rule(ctx, g):
        return ((g / c if divide else g * c),) if cval is None else (
            (g / c if divide else g * c), None)
    inputs = (s,) if cval is None else (s, cval)
    return _make(i, out, s.shape, coalesced, inputs, name, rule, s._device)


def _mul_dense(s, d):
    """Sparse times dense (``d`` broadcast to ``s``'s shape): the dense entries at the sparse
    entries' places."""
    if tuple(d.shape) != tuple(s.shape):
        try:
            if np.broadcast_shapes(tuple(d.shape), tuple(s.shape)) == tuple(s.shape):
                d = d.expand(s.shape)
        except ValueError:
            pass
    _check_same_shape(s, d, "mul")
    npdt = D.promote_types(s.dtype, d.dtype).np
    i, coalesced = s._sp_i, s._sp_c
    if 0 in s.shape:  # (no elements: no entries, as a product with a number)
        i, coalesced = i[:, :0], True
    with _core.quiet:
        vals = s._sp_v[:i.shape[1]].astype(npdt, copy=False) * \
            d._data[tuple(i)].astype(npdt, copy=False)
    pattern = s

    def rule(ctx, g):
        n0, n1 = ctx.needs_input_grad
        gs = None
        if n0:
            gs = _mul_dense(g, d.detach()) if isinstance(g, SparseTensor) else \
                _mask_like(g * d.detach(), pattern)
        gdense = None
        if n1:
            gdense = (g * pattern).to_dense() if isinstance(g, SparseTensor) else \
                _mul_dense(pattern.detach(), g).to_dense()
        return gs, gdense
    return _make(i, vals, s.shape, coalesced, (s, d), "MulBackward0", rule, s._device)


def _mul_sparse(a, b):
    """Sparse times sparse (same shape): the product at the places both hold an entry."""
    _check_same_shape(a, b, "mul")
    if not (a._sp_c and b._sp_c) and a._nnz() and b._nnz():
        return _mul_uncoalesced(a, b)
    ac, bc = a.coalesce(), b.coalesce()
    xp = _xp(a._device)
    ka, kb = _linear(ac._sp_i, a.shape, xp), _linear(bc._sp_i, a.shape, xp)
    _, ia, ib = np.intersect1d(_core.to_host(ka), _core.to_host(kb), assume_unique=True,
                               return_indices=True)
    ia, ib = xp.asarray(ia), xp.asarray(ib)
    npdt = D.result_type(wrap(ac._sp_v[:0], a._device), wrap(bc._sp_v[:0], b._device)).np
    if npdt.kind == "b" and a._nnz() and b._nnz() and (len(ia) or not a.dense_dim()):
        # (the kernel for coalesced operands; a hybrid one's rows meet only where both hold
        # an entry)
        kernel = "addcmul_cpu_out" if a.dense_dim() else "mul_out_sparse"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    x, y = ac._sp_v[ia].astype(npdt, copy=False), bc._sp_v[ib].astype(npdt, copy=False)
    with _core.quiet:
        if npdt.kind == "c":  # (PyTorch's loop here: each real product rounded, no fused ones)
            vals = xp.empty(x.shape, npdt)
            vals.real = x.real * y.real - x.imag * y.imag
            vals.imag = x.real * y.imag + x.imag * y.real
        else:
            vals = x * y
        if vals.ndim > 1 and npdt.kind in "fc":
            vals += npdt.type(0)  # NOTE: rows of a hybrid tensor are added into zeros (-0 is 0)

    def rule(ctx, g):
        n0, n1 = ctx.needs_input_grad
        g = g.to_dense() if isinstance(g, SparseTensor) else g
        ga = _mask_like(g * bc.detach().to_dense(), ac) if n0 else None
        gb = _mask_like(g * ac.detach().to_dense(), bc) if n1 else None
        return ga, gb
    return _make(ac._sp_i[:, ia], vals, a.shape, True, (ac, bc), "MulBackward0", rule,
                 a._device)


def _acc_type(npdt):
    """PyTorch's CPU accumulating type for values of NumPy dtype ``npdt``."""
    if npdt.kind == "f":
        return np.float32 if npdt.itemsize < 4 else np.float64
    return {"c": np.complex128, "b": np.bool_}.get(npdt.kind, np.int64)


def _sums_at(i, s, shape):
    """For each index column of ``i``, the sum of sparse ``s``'s values there (in entry order,
    in the accumulating type from 0, rounded once to ``s``'s dtype; 0 where it has none)."""
    xp = _xp(s._device)
    kp = _core.to_host(_linear(s._sp_i, shape, xp))
    ks = _core.to_host(_linear(i, shape, xp))
    order = np.argsort(kp, kind="stable")
    srt = kp[order]
    lo = np.searchsorted(srt, ks, "left")
    count = np.searchsorted(srt, ks, "right") - lo
    acc = _acc_type(s._sp_v.dtype)
    pv = s._sp_v.astype(acc, copy=False)
    res = xp.zeros((len(ks),) + pv.shape[1:], acc)
    with _core.quiet:
        for r in range(int(count.max()) if count.size else 0):
            sel = np.nonzero(count > r)[0]
            add = pv[xp.asarray(order[lo[sel] + r])]
            if acc is np.bool_:
                res[xp.asarray(sel)] |= add
            else:
                res[xp.asarray(sel)] += add
    return res.astype(s._sp_v.dtype)


def _mul_uncoalesced(a, b):
    """Sparse times sparse where an operand is not coalesced, as PyTorch's intersection
    kernel: one operand is looked up (the coalesced one; of two uncoalesced ones, the one with
    more entries, ``a`` on a tie) and the other, the source, keeps its entries, order and
    coalesced flag; each source entry's value is the sum, over the looked-up entries at its
    index, of the products, in the accumulating type (float32's in double, starting from 0),
    so zero where there are none."""
    # NOTE: an uncoalesced result can hold zeros and duplicates (as PyTorch's does)
    if a._sp_c or (not b._sp_c and a._nnz() >= b._nnz()):
        probe, src = a, b
    else:
        probe, src = b, a
    xp = _xp(a._device)
    kp = _core.to_host(_linear(probe._sp_i, a.shape, xp))
    ks = _core.to_host(_linear(src._sp_i, a.shape, xp))
    order = np.argsort(kp, kind="stable")
    srt = kp[order]
    lo = np.searchsorted(srt, ks, "left")
    count = np.searchsorted(srt, ks, "right") - lo
    npdt = D.result_type(wrap(a._sp_v[:0], a._device), wrap(b._sp_v[:0], b._device)).np
    acc = {"f": np.float64, "c": np.complex128, "b": np.bool_}.get(npdt.kind, np.int64)
    if npdt.kind == "f" and npdt.itemsize < 4:
        acc = np.float32  # (half types accumulate in float)
    sv = src._sp_v.astype(npdt, copy=False).astype(acc, copy=False)
    pv = probe._sp_v.astype(npdt, copy=False).astype(acc, copy=False)
    res = xp.zeros(sv.shape, acc)
    with _core.quiet:
        for r in range(int(count.max()) if count.size else 0):
            sel = np.nonzero(count > r)[0]
            prod = sv[xp.asarray(sel)] * pv[xp.asarray(order[lo[sel] + r])]
            if acc is np.bool_:
                res[xp.asarray(sel)] |= prod
            else:
                res[xp.asarray(sel)] += prod
        vals = res.astype(npdt)

    def rule(ctx, g):
        n0, n1 = ctx.needs_input_grad
        g = g.to_dense() if isinstance(g, SparseTensor) else g
        ga = _mask_like(g * b.detach().to_dense(), a) if n0 else None
        gb = _mask_like(g * a.detach().to_dense(), b) if n1 else None
        return ga, gb
    return _make(src._sp_i, vals, a.shape, src._sp_c, (a, b), "MulBackward0", rule,
                 a._device)


def _valuewise(s, fn, dfn=None):
    """A zero-preserving function of each value: on the coalesced tensor, as PyTorch.
    ``dfn(values, result)`` is its derivative (the gradient keeps the input's pattern)."""
    c = s.coalesce()
    with _core.quiet:
        v = fn(c._sp_v)

    def rule(ctx, g):
        m = _mask_like(g, c)
        with _core.quiet:
            m._sp_v = (m._sp_v * dfn(c._sp_v, v)).astype(c._sp_v.dtype, copy=False)
        return (m,)
    return _make(c._sp_i, v, s.shape, True, (c,), "SparseValuewiseBackward0",
                 None if dfn is None else rule, s._device)


def _sum_all(s):
    """``s.sum()``: the sum of every value, a dense 0-d tensor whose gradient is dense."""
    # NOTE: as PyTorch, the values as they are (not coalesced: a bool tensor's duplicates
    # each count)
    total = wrap(s._sp_v, s._device).sum()._data
    shape = tuple(s.shape)
    return _core.make(_core.as_array(total), (s,), "SumBackward0",
                      lambda ctx, g: (g.expand(*shape),), device=s._device)


def sparse_sum(s, dim=None, dtype=None, *, keepdim=False, name="SparseSumBackward0"):
    """``torch.sparse.sum``: a sum over sparse dims gives a sparse tensor (dense when every
    sparse dim is summed); over dense dims, the values are summed.  ``keepdim`` (``S.sum``'s):
    the summed dims kept with size 1."""
    if not isinstance(s, SparseTensor):
        raise RuntimeError("torch.sparse.sum expects a sparse tensor")
    if dtype is not None:
        s = s.to(D.to_dtype(dtype))
    if dim is None:
        return s.coalesce().values().sum()
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    normed = [_core.norm_dim(d, s.ndim) for d in dims]
    if len(set(normed)) != len(normed):
        dup = next(d for d in normed if normed.count(d) > 1)
        raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    dims = sorted(set(normed))
    sd = s.sparse_dim()
    sparse_dims = [d for d in dims if d < sd]
    dense_dims = [d - sd + 1 for d in dims if d >= sd]
    keep = [d for d in range(sd) if d not in sparse_dims]
    out_shape = tuple(n for k, n in enumerate(s.shape) if k not in dims)
    src = s
    if keep:
        # NOTE: as PyTorch, the entries as they are (not coalesced first): those that meet
        # at the kept indices add in entry order
        c = s
        v = c._sp_v
        if dense_dims:
            if s.dtype.is_floating_point or s.dtype.is_complex or s.dtype is D.int64:
                v = wrap(v, s._device).sum(tuple(dense_dims))._data  # (the dense sum)
            else:  # NOTE: as PyTorch, the summed values (int64) do not fit the input's dtype
                raise RuntimeError(f"dtype of values (Long) must match dtype of sparse tensor "
                                   f"({D.scalar_name(s.dtype)})")

    def rule(ctx, g):
        gd = g.to_dense() if isinstance(g, SparseTensor) else g
        shape_kept = [n if k not in dims else 1 for k, n in enumerate(src.shape)]
        full = gd.reshape(shape_kept).expand(*src.shape)
        return (_mask_like(full, src),)
    if not keep:  # every sparse dim summed: a dense result, of the values as they are
        # (not coalesced; the dense sum's order and dtype, as PyTorch)
        vals = wrap(s._sp_v, s._device)
        if dense_dims:  # (the dense dims first, then the entries)
            vals = vals.sum(tuple(dense_dims))
        out = _core.as_array(vals.sum(0)._data)
        if keepdim:
            out = out.reshape([n if k not in dims else 1 for k, n in enumerate(s.shape)])
        return _core.make(out, (s,), name, rule, device=s._device)
    i = c._sp_i[keep]
    ni, nv, _ = _coalesce_arrays(i, v, [s.shape[k] for k in keep], s._device)
    coalesced = True
    if keepdim:  # (zero indices along the summed sparse dims, size-1 dense dims)
        xp = _xp(s._device)
        rows = [ni[keep.index(d)] if d in keep else xp.zeros(ni.shape[1], np.int64)
                for d in range(sd)]
        ni = xp.stack(rows) if rows else ni
        for d in dense_dims:
            nv = xp.expand_dims(nv, d)
        out_shape = tuple(n if k not in dims else 1 for k, n in enumerate(s.shape))
        coalesced = ni.shape[1] < 2  # NOTE: as PyTorch, flagged so only below two entries
    return _make(ni, nv, out_shape, coalesced, (s,), name, rule, s._device)


# -- products with dense matrices ----------------------------------------------------------------

def _check_mm_shapes(a, b):
    if a.ndim != 2 or b.ndim != 2:
        bad = a if a.ndim != 2 else b
        raise RuntimeError(f"{'mat1' if bad is a else 'mat2'} must be a matrix, got "
                           f"{bad.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {a.shape[1]}, got "
                           f"{b.shape[0]}")


def _spmm_arr(s, darr, out):
    """``out += s @ darr`` entry by entry (row ``i`` gains ``value * darr[j]``).  NOTE: for
    float32/float64 as PyTorch's CPU kernel (an axpy per entry, in entry order): each entry's
    row updated by fused multiply-adds."""
    if s._nnz():
        rows, cols = s._sp_i[0], s._sp_i[1]
        v = s._sp_v.astype(out.dtype, copy=False)
        if type(out) is np.ndarray and out.dtype in (np.float32, np.float64) and out.shape[1]:
            from ._random import _fma32, _fma64

            fma = _fma32 if out.dtype == np.float32 else _fma64
            # rounds by the entries' rank within their row: each round writes rows once
            order = np.argsort(rows, kind="stable")
            srt = rows[order]
            start = np.concatenate([[True], srt[1:] != srt[:-1]])
            first = np.maximum.accumulate(np.where(start, np.arange(len(srt)), 0))
            rank = np.empty(len(srt), np.int64)
            rank[order] = np.arange(len(srt)) - first
            for r in range(int(rank.max()) + 1):
                sel = np.nonzero(rank == r)[0]
                at = rows[sel]
                out[at] = fma(np.broadcast_to(v[sel][:, None], (len(sel), out.shape[1])),
                              darr[cols[sel]], out[at])
            return out
        contrib = v[:, None] * darr[cols]
        if type(out) is np.ndarray:
            np.add.at(out, rows, contrib)
        else:
            _xp(s._device).add.at(out, rows, contrib)
    return out


def _dense_times(s, d):
    """Array of ``s @ d`` for sparse 2-D ``s`` and dense 2-D ``d`` (checked as PyTorch's
    ``mm`` checks them: :func:`_check_sparse_first`)."""
    _check_sparse_first(s, d)
    dt = d.dtype
    darr = d._data.astype(dt.np, copy=False)
    out = _xp(d._device).zeros((s.shape[0], d.shape[1]), dtype=dt.np)
    with _core.quiet:
        return _spmm_arr(s, darr, out)


def _size(t, k):
    """``t.size(k)`` with PyTorch's IndexError for a dim out of range."""
    n = max(t.ndim, 1)
    if not -n <= k < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {k})")
    return t.shape[k] if t.ndim else 1


def _check_sparse_first(s, d):
    """PyTorch's checks of ``mm(s, d)`` for sparse ``s`` and dense ``d``, in its order: the
    zeros it adds to, ``(s.size(-2), d.size(-1))``, expanded to ``(s.size(0), d.size(1))``;
    then its addmm kernel's checks of the operands (matrices, shapes, dtypes)."""
    have = (_size(s, -2), _size(d, -1))
    want = (_size(s, 0), _size(d, 1))
    if have != want:
        from ._ops.creation import zeros

        zeros(have).expand(*want)  # (its error)
    if s.sparse_dim() != 2:
        raise RuntimeError(f"addmm: matrices expected, got {s.sparse_dim()}D tensor")
    if s.dense_dim():
        raise RuntimeError(f"addmm: scalar values expected, got {s.dense_dim()}D values")
    if d.ndim != 2:
        raise RuntimeError(f"addmm: matrices expected, got {d.ndim}D tensor")
    if s.shape[1] != d.shape[0]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {s.shape[1]}, got "
                           f"{d.shape[0]}")
    _check_mm_dtypes(s, d)


def mm(a, b):
    """``torch.mm`` (and 2-D ``matmul``/``@``) with a sparse operand.  NOTE: as PyTorch, the
    gradient a sparse operand gets through these is dense (``torch.sparse.mm`` gives a sparse
    one)."""
    if isinstance(a, SparseTensor) and isinstance(b, SparseTensor):
        return _sparse_sparse_mm(a, b)
    if isinstance(a, SparseTensor):
        out = _dense_times(a, b)
        sa = a

        def rule(ctx, g):
            n0, n1 = ctx.needs_input_grad
            ga = g.mm(b.detach().t()) if n0 else None
            gb = mm(sa.detach().t(), g) if n1 else None
            return ga, gb
        return _core.make(out, (a, b), "MmBackward0", rule, device=b._device)
    # dense @ sparse: (s^T @ d^T)^T, each transposed over its last two dims (the dense one
    # first), as PyTorch
    dt = a.detach().transpose(-2, -1)
    st = b.detach().transpose(-2, -1)
    out = _dense_times(st, dt).T
    sb = b

    def rule2(ctx, g):
        n0, n1 = ctx.needs_input_grad
        ga = mm(g, sb.detach().t()) if n0 else None
        gb = a.detach().t().mm(g) if n1 else None
        return ga, gb
    return _core.make(_xp(a._device).ascontiguousarray(out), (a, b), "MmBackward0", rule2,
                      device=a._device)


def matmul(a, b):
    """``torch.matmul``/``@`` with a sparse COO operand: PyTorch's cases by the operands'
    dims (a vector made a matrix and back; a product of vectors or batches has no sparse
    kernel)."""
    sa = isinstance(a, SparseTensor)
    if sa and isinstance(b, SparseTensor) or a.ndim == 2 and b.ndim == 2:
        return mm(a, b)
    if a.ndim == 1 and b.ndim == 1:
        raise NotImplementedError(_no_kernel("aten::dot"))
    if sa and b.ndim > 2 or not sa and b.ndim > 2 and a.ndim > 1:
        if a.ndim == 2:  # (matrix @ batch: the batch is transposed first)
            b.transpose(-2, -1)
        raise RuntimeError("expand is unsupported for Sparse tensors")
    if sa and a.ndim > 2:
        raise RuntimeError("reshape is not implemented for sparse tensors")
    if b.ndim > 2:  # vector @ batch: the batch transposed, then folded
        b.transpose(-2, -1)
        raise RuntimeError("reshape is not implemented for sparse tensors")
    if a.ndim > 2:  # (dense) batch @ sparse: the batch folded into rows
        rows = a.reshape(-1, a.shape[-1])
        out = matmul(rows, b)
        return out.reshape(*a.shape[:-1], *out.shape[1:])
    if a.ndim == 2:  # matrix @ vector
        if sa:
            return a.mv(b)
        if a.shape[-1] != b.shape[-1]:
            raise RuntimeError("mv: expected self.size(-1) == vec.size(-1)")
        return mm(a, b.unsqueeze(1)).squeeze(1)
    return mm(a.unsqueeze(0), b).squeeze(0)  # vector @ matrix


def _check_mm_dtypes(s, d):
    """A product of sparse ``s`` (with entries) and dense ``d``: PyTorch's kernel takes no bool
    and does not promote; without entries the result is zeros of ``d``'s dtype."""
    if not s._nnz():
        return
    if s.dtype is D.bool:
        raise NotImplementedError('"addmm_sparse_dense" not implemented for \'Bool\'')
    if s.dtype is not d.dtype:  # NOTE: PyTorch's sparse products do not promote
        raise RuntimeError(f"expected scalar type {D.scalar_name(s.dtype)} but found "
                           f"{D.scalar_name(d.dtype)}")


def _sparse_sparse_mm(a, b):
    for t in (a, b):
        if t.dense_dim():
            raise RuntimeError(f"sparse_sparse_matmul_cpu: scalar values expected, got "
                               f"{t.dense_dim()}D values")
    if a.ndim != 2 or b.ndim != 2:
        _check_mm_shapes(a, b)
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"mat1 dtype {D.scalar_name(a.dtype)} does not match mat2 dtype "
                           f"{D.scalar_name(b.dtype)}")
    dt = a.dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise NotImplementedError(f'"sparse_matmul" not implemented for \'{D.scalar_name(dt)}\'')
    dense = mm(a, b.to_dense())
    return to_sparse(dense.detach())


def sparse_addmm(bias, s, d, *, beta=1, alpha=1):
    """``torch.sparse.addmm``: ``beta * bias + alpha * (s @ d)``; ``s`` gets a sparse
    gradient at its own entries."""
    if not isinstance(s, SparseTensor):
        from ._ops.linalg import addmm

        return addmm(bias, s, d, beta=beta, alpha=alpha)
    if isinstance(d, SparseTensor):
        raise RuntimeError("sparse.addmm: the second matrix must be dense")
    _check_mm_shapes(s, d)
    if d.shape[0] != s.shape[1]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {s.shape[1]}, got "
                           f"{d.shape[0]}")
    dt = D.promote_types(s.dtype, d.dtype)
    npdt = dt.np
    xp = _xp(d._device)
    b = xp.broadcast_to(bias._data, (s.shape[0], d.shape[1])).astype(npdt)
    with _core.quiet:
        out = b * np.asarray(beta, dtype=npdt)[()] if beta != 1 else b.copy()
        if beta == 0:
            out[...] = 0
        v = s._sp_v.astype(npdt, copy=False)
        if alpha != 1:
            v = np.asarray(alpha, dtype=npdt)[()] * v
        scaled = _new(s._sp_i, v, s.shape, s._sp_c, s._device)
        _spmm_arr(scaled, d._data.astype(npdt, copy=False), out)
    src, dd = s, d

    def rule(ctx, g):
        n0, n1, n2 = ctx.needs_input_grad
        gb = _core.sum_to(g * beta if beta != 1 else g, tuple(bias.shape)) if n0 else None
        gs = gd = None
        if n1:
            full = g.mm(dd.detach().t())
            gs = _mask_like(full * alpha if alpha != 1 else full, src)
        if n2:
            gd = mm(src.detach().t(), g)
            gd = gd * alpha if alpha != 1 else gd
        return gb, gs, gd
    return _core.make(out, (bias, s, d), "SparseAddmmBackward0", rule, device=d._device)


def sparse_mm(s, d):
    """``torch.sparse.mm``: ``s @ d`` with a sparse gradient for the sparse ``s``."""
    if not isinstance(s, SparseTensor):
        return mm(s, d)
    if isinstance(d, SparseTensor):
        return _sparse_sparse_mm(s, d)
    _check_sparse_first(s, d)
    if not s._nnz() and s.dtype is not d.dtype:
        s = s.to(d.dtype)  # (no entries: zeros of the dense operand's dtype)
    from ._ops.creation import zeros

    bias = zeros((s.shape[0], d.shape[1]), dtype=d.dtype, device=d.device)
    return sparse_addmm(bias, s, d, beta=0, alpha=1)


# -- hspmm, smm, sspaddmm: sparse results of sparse-times-dense products ---------------------------

def _no_derivative(kernel):
    def rule(ctx, g):
        raise RuntimeError(f"derivative for aten::{kernel} is not implemented")
    return rule


def _check_product_operands(name, s, d):
    """PyTorch's checks of the sparse matrix ``s`` (argument 2) and dense matrix ``d``
    (argument 3) of hspmm / sspaddmm."""
    sd = s.sparse_dim() if isinstance(s, SparseTensor) else 0
    if sd != 2:
        raise RuntimeError(f"{name}: Argument #2: matrices expected, got {sd}D tensor")
    if s.dense_dim():
        raise RuntimeError(f"{name}: Argument #2: scalar values expected, got {s.dense_dim()}D "
                           "values")
    if d.ndim != 2:
        raise RuntimeError(f"{name}: Argument #3: matrices expected, got {d.ndim}D tensor")


def _row_products(s, d, scale=None, start=None):
    """The rows of ``s @ d`` that ``s`` (coalesced, with entries) has entries in: the sorted
    row numbers and their values, as PyTorch's kernels compute them (an axpy of
    ``scale * value`` per entry into a row of ``start``s (zeros), in entry order)."""
    xp = _xp(s._device)
    rows = s._sp_i[0]
    first = xp.concatenate([xp.ones(1, bool), rows[1:] != rows[:-1]])
    which = xp.cumsum(first) - 1  # (each entry's place among the rows with entries)
    v = s._sp_v
    if scale is not None:
        v = (v * v.dtype.type(scale)).astype(v.dtype, copy=False)
    packed = _new(xp.stack([which, s._sp_i[1]]), v, (int(which[-1]) + 1, s.shape[1]), True,
                  s._device)
    out = xp.zeros((packed.shape[0], d.shape[1]), dtype=v.dtype)
    if start is not None:
        out[...] = start
    return rows[first], _spmm_arr(packed, d._data, out)


def _into(out, r):
    """``out=`` of a sparse result: ``out`` takes its shape, entries and flag."""
    out._data = _SparseMeta(r.shape, out._data.dtype)
    return out._become(r)


def hspmm(mat1, mat2, *, out=None):
    """``torch.hspmm``: ``mat1 @ mat2`` for a sparse COO matrix ``mat1`` and a dense ``mat2``,
    as a hybrid sparse tensor (one sparse dimension): the rows ``mat1`` has entries in."""
    if not isinstance(mat1, SparseTensor) and not isinstance(mat2, SparseTensor):
        raise NotImplementedError(
            "Could not run 'aten::hspmm' with arguments from the 'CPU' backend. This could be "
            "because the operator doesn't exist for this backend ('aten::hspmm' is only "
            "available for the SparseCPU backend).")
    _check_product_operands("hspmm", mat1, mat2)
    m, k = mat1.shape
    n = mat2.shape[1]
    if mat2.shape[0] != k:
        raise RuntimeError(f"hspmm: Argument #3: Expected dim 0 size {k}, got {mat2.shape[0]}")
    s = mat1.coalesce()
    xp = _xp(mat1._device)
    if not s._nnz():
        r = _new(xp.zeros((1, 0), np.int64), xp.zeros((0, n), mat1.dtype.np), (m, n), True,
                 mat1._device)
    else:
        if isinstance(mat2, SparseTensor):
            raise RuntimeError("addmm_sparse_dense: expected strided result tensor, got tensor "
                               "with layout Sparse")
        _check_mm_dtypes(s, mat2)
        rows, vals = _row_products(s, mat2)
        # NOTE: PyTorch flags the result coalesced only when it has fewer than two rows
        r = _make(rows[None, :].copy(), vals, (m, n), len(rows) < 2, (mat1, mat2),
                  "NotImplemented", _no_derivative("hspmm"), mat1._device)
    return r if out is None else _into(out, r)


def sspaddmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``torch.sspaddmm``: ``beta * input + alpha * (mat1 @ mat2)`` as a sparse COO tensor, for
    sparse ``input`` and ``mat1`` and dense ``mat2``: ``input``'s entries (scaled), then a full
    row of entries for each row ``mat1`` has entries in (not coalesced)."""
    return _sspaddmm(input, mat1, mat2, beta, alpha, out)


def _sspaddmm(input, mat1, mat2, beta, alpha, out, name="sspaddmm"):
    # (``input`` None: smm's, the empty result itself, of the product's shape)
    if not any(isinstance(t, SparseTensor) for t in (input, mat1, mat2)):
        raise RuntimeError("tensor.sspaddmm(...) can only be called on sparse tensors")
    if not isinstance(mat1, SparseTensor):
        raise RuntimeError("sspaddmm: expected 'mat1' to have sparse layout, got 'mat1' with "
                           "layout Strided")
    if isinstance(mat2, SparseTensor):
        raise RuntimeError("sspaddmm: expected 'mat2' to have strided layout, got 'mat2' with "
                           "layout Sparse")
    _check_product_operands("sspaddmm", mat1, mat2)
    if input is not None and not isinstance(input, SparseTensor) or \
            out is not None and not isinstance(out, SparseTensor):
        raise RuntimeError(
            'self.is_sparse() INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/aten/src/ATen/'
            'native/SparseTensorUtils.h":28, please report a bug to PyTorch. '
            "_internal_get_SparseTensorImpl: not a sparse tensor")
    s = mat1.coalesce()
    dim_i, dim_j = s.shape
    dim_k = mat2.shape[1]
    if mat2.shape[0] != dim_j:
        raise RuntimeError(f"sspaddmm: Argument #3: Expected dim 0 size {dim_j}, got "
                           f"{mat2.shape[0]}")
    dev = mat1._device
    xp = _xp(dev)
    if input is None:
        input = _new(xp.zeros((2, 0), np.int64), xp.zeros(0, s.dtype.np), (dim_i, dim_k), True,
                     dev)
    for d, want in ((0, dim_i), (1, dim_k)):
        if input.shape[d] != want:
            raise RuntimeError(f"sspaddmm: Argument #1: Expected dim {d} size {want}, got "
                               f"{input.shape[d]}")
    vdt = s.dtype
    if vdt in (D.bool, D.float16, D.bfloat16):
        raise NotImplementedError(f'"sspmm" not implemented for \'{D.scalar_name(vdt)}\'')
    if mat2.dtype is not vdt:
        raise RuntimeError(f"expected scalar type {D.scalar_name(vdt)} but found "
                           f"{D.scalar_name(mat2.dtype)}")
    t_nnz = input._nnz()
    # PyTorch's buffer: input's values (as mat1's dtype) then zeros, all scaled by beta when
    # input has entries (its dtype check included); the products are added to that
    buf = wrap(xp.concatenate([input._sp_v.astype(vdt.np), xp.zeros(1, vdt.np)]), dev)
    if t_nnz:
        buf.mul_(beta)
    head, start = buf._data[:t_nnz], buf._data[t_nnz]
    if s._nnz() and dim_k:
        # (alpha as the values' type: an integer product truncates it)
        scale = alpha if vdt.is_floating_point or vdt.is_complex else int(alpha)
        rows, vals = _row_products(s, mat2, scale, start)
        i = xp.stack([xp.repeat(rows, dim_k), xp.tile(xp.arange(dim_k), len(rows))])
        i = xp.concatenate([input._sp_i, i], axis=1)
        v = xp.concatenate([head, vals.reshape(-1)])
    else:
        i, v = input._sp_i.copy(), head.copy()
    if input.dtype is not vdt:
        raise RuntimeError(f"dtype of values ({D.scalar_name(vdt)}) must match dtype of sparse "
                           f"tensor ({D.scalar_name(input.dtype)})")
    # NOTE: PyTorch flags the result coalesced only when it has fewer than two entries
    r = _make(i, v, (dim_i, dim_k), i.shape[1] < 2, (input, mat1, mat2), "NotImplemented",
              _no_derivative(name), dev)
    return r if out is None else _into(out, r)


def smm(input, mat2):
    """``torch.smm``: ``input @ mat2`` for sparse ``input`` and dense ``mat2``, as a sparse COO
    tensor (PyTorch's ``sspaddmm`` into an empty result)."""
    if not isinstance(input, SparseTensor):
        return _sspaddmm(input, input, mat2, 0.0, 1.0, None)
    return _sspaddmm(None, input, mat2, 0.0, 1.0, None)


# -- printing -------------------------------------------------------------------------------------

def _sparse_repr(t):
    from . import _tensor_str as TS

    opts = TS._OPTS
    indent = 7

    def part(prefix, arr, floating):
        if arr.size == 0:
            return prefix + "[]" + f", size={tuple(arr.shape)})"
        return prefix + TS._contents(arr, floating, indent + len(prefix), opts) + ")"
    i_str = part("indices=tensor(", _core.to_host(t._sp_i), False)
    v_str = part("values=tensor(", _core.to_host(t._sp_v), bool(t.dtype.is_floating_point))
    body = "tensor(" + i_str + ",\n" + " " * indent + v_str
    suffixes = []
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    suffixes += [f"size={tuple(int(n) for n in t.shape)}", f"nnz={t._nnz()}"]
    default = D.get_default_dtype().name
    if t.dtype.name not in (default, "int64", "bool",
                            "complex128" if default == "float64" else "complex64"):
        suffixes.append(f"dtype={t.dtype}")
    suffixes.append("layout=torch.sparse_coo")
    try:
        fn = t.grad_fn
        fn_name = None if fn is None else type(fn).__name__
    except RuntimeError:
        fn_name = "Invalid"
    if fn_name is not None:
        suffixes.append(f"grad_fn=<{fn_name}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    # (PyTorch starts a sparse tensor's suffixes on a new line, then fills lines as usual)
    out = [body]
    used = 0
    force = True
    for sfx in suffixes:
        if force or used + len(sfx) + 2 > opts.linewidth:
            out.append(",\n" + " " * indent + sfx)
            used = indent + len(sfx)
            force = False
        else:
            out.append(", " + sfx)
            used += len(sfx) + 2
    out.append(")")
    return "".join(out)


# -- pickling -------------------------------------------------------------------------------------

def _rebuild_sparse_tensor(layout, data):
    """``torch._utils._rebuild_sparse_tensor`` (the compressed layouts: ``_sparse_compressed``)."""
    if str(layout) in ("torch.sparse_csr", "torch.sparse_csc", "torch.sparse_bsr",
                       "torch.sparse_bsc"):
        from ._sparse_compressed import _rebuild_compressed

        return _rebuild_compressed(layout, data)
    if str(layout) != "torch.sparse_coo":
        raise RuntimeError(f"ember cannot load sparse tensors of layout {layout}")
    if len(data) == 3:
        indices, values, size = data
        coalesced = None
    else:
        indices, values, size, coalesced = data
    return sparse_coo_tensor(indices, values, size, check_invariants=False,
                             is_coalesced=coalesced)


# -- gradients of leaves ------------------------------------------------------------------------

def accumulate(var, grad):
    """Add ``grad`` into ``var.grad`` where either is sparse.  As PyTorch's AccumulateGrad: a
    first sparse gradient is kept as it is; sparse onto sparse appends the entries (not
    coalesced); sparse onto dense adds in place; dense onto sparse makes a dense sum."""
    old = var._grad
    if old is None:
        var._grad = grad if isinstance(grad, SparseTensor) else grad.detach().clone()
        if isinstance(grad, SparseTensor) and grad._grad_fn is not None and not STATE.enabled:
            var._grad = grad.detach()
        return
    if isinstance(old, SparseTensor) and isinstance(grad, SparseTensor):
        # in place, as PyTorch (so a gradient zeroed by zero_grad(set_to_none=False) is
        # the one that grows again)
        both = _concat(old, grad.to(old.dtype))
        coalesced = old._sp_c if not grad._nnz() else grad._sp_c if not old._nnz() else False
        old._sp_i, old._sp_v, old._sp_c = both._sp_i, both._sp_v, coalesced
        old._vc.v += 1
    elif isinstance(grad, SparseTensor):
        add_sparse_into_dense_(old, grad)
    else:
        var._grad = _dense_add_sparse(grad.detach(), old, 1)


# -- embedding ------------------------------------------------------------------------------------

def embedding_grad(g, idx, keep, n):
    """The sparse gradient of an embedding table of ``n`` rows: one entry per looked-up index
    (padding lookups left out), in lookup order, not coalesced, as PyTorch."""
    dim = g.shape[-1]
    rows = g._data.reshape(-1, dim)
    if keep is not None:
        idx, rows = idx[keep], rows[keep]
    xp = _xp(g._device)
    i = xp.asarray(idx, dtype=np.int64).reshape(1, -1)
    # (the values stay a view of the incoming gradient where they can, as PyTorch's: whether
    # they are contiguous decides how PyTorch adds two such gradients)
    return _new(i, rows, (n, dim), i.shape[1] <= 1, g._device)


# -- optimizers ----------------------------------------------------------------------------------

def sgd_update(p, g, group, state):
    """SGD's step for a sparse gradient, as PyTorch: no weight decay; the momentum buffer is
    a sparse tensor of its own."""
    if group.get("maximize"):
        g = -g
    if group.get("weight_decay", 0):  # (PyTorch's SGD adds the decay with sparse + dense)
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                           "instead.")
    lr = group["lr"]
    lr = lr.item() if isinstance(lr, Tensor) else lr
    momentum = group.get("momentum", 0)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = g.clone().detach()
        else:
            buf = buf * momentum
            buf = buf.add(g, alpha=1 - group.get("dampening", 0))
        state["momentum_buffer"] = buf
        g = g.add(buf, alpha=momentum) if group.get("nesterov") else buf
    if isinstance(g, SparseTensor):
        add_sparse_into_dense_(p, g, -lr)
    else:
        p._data -= np.asarray(lr, dtype=p._data.dtype)[()] * g._data
        p._vc.v += 1


def adagrad_update(p, g, group, state, step):
    """Adagrad's step for a sparse gradient (PyTorch's: on the coalesced gradient)."""
    if group.get("weight_decay", 0):
        raise RuntimeError("weight_decay option is not compatible with sparse gradients")
    lr = group["lr"]
    lr = lr.item() if isinstance(lr, Tensor) else lr
    clr = lr / (1 + (step - 1) * group["lr_decay"])
    if group.get("maximize"):
        g = -g
    g = g.coalesce()
    i, v = g._sp_i, g._sp_v
    sq = v * v
    s = state["sum"]
    add_sparse_into_dense_(s, _new(i, sq, g.shape, True, g._device))
    with _core.quiet:
        std = np.sqrt(s._data[tuple(i)])
        std = std + np.asarray(group["eps"], dtype=std.dtype)[()]
        upd = v / std
    add_sparse_into_dense_(p, _new(i, upd, g.shape, True, g._device), -clr)


def sparse_adam_update(p, g, state, lr, beta1, beta2, eps, maximize):
    """SparseAdam's step (``state['step']`` already counted): Adam's update on the rows
    (entries) the gradient touches."""
    if maximize:
        g = -g
    g = g.coalesce()
    i, v = g._sp_i, g._sp_v
    if v.size == 0:
        return
    step = state["step"]
    ea, es = state["exp_avg"], state["exp_avg_sq"]
    f = v.dtype.type
    at = tuple(i)
    with _core.quiet:
        old_a = ea._data[at]
        upd_a = (v - old_a) * f(1 - beta1)
        add_sparse_into_dense_(ea, _new(i, upd_a, g.shape, True, g._device))
        old_s = es._data[at]
        upd_s = (v ** 2 - old_s) * f(1 - beta2)
        add_sparse_into_dense_(es, _new(i, upd_s, g.shape, True, g._device))
        numer = upd_a + old_a
        denom = _vml.sqrt(upd_s + old_s) + f(eps)  # (MKL's float32 sqrt, as PyTorch's)
        bc1 = 1 - beta1 ** step
        bc2 = 1 - beta2 ** step
        # (a tensor ``lr``, a NumPy scalar of its dtype here, rounds the step size in it)
        step_size = lr * math.sqrt(bc2) / bc1
        upd = f(-step_size) * (numer / denom)
    add_sparse_into_dense_(p, _new(i, upd, g.shape, True, g._device))


install_stubs(SparseTensor, _KEEP, _DUNDER_OPS, lambda name: _stub(name.strip("_")))
SparseTensor.__getitem__ = _getitem
SparseTensor.norm = _norm
SparseTensor.__iadd__ = _iadd
SparseTensor.__imul__ = _imul
SparseTensor.__isub__ = lambda self, other: self.sub_(other)
SparseTensor.__itruediv__ = lambda self, other: self.div_(other)
SparseTensor.__ifloordiv__ = lambda self, other: self.floor_divide_(other)


def _any(self, dim=None, keepdim=False, *, out=None):
    """``S.any()``: whether any stored value is nonzero (NOTE: as PyTorch, the values as
    stored: duplicates that would cancel are not summed first).  PyTorch has no sparse kernel
    for the reduction over dims or for ``out=``."""
    if out is not None:
        raise NotImplementedError(_no_kernel("aten::any.all_out"))
    if isinstance(dim, (tuple, list)) and not dim:  # (no dims reduced: the values as bool)
        return self.to(D.bool)
    if dim is not None:
        raise NotImplementedError(_no_kernel("aten::any.dim"))
    r = wrap(self._sp_v, self._device).any()
    return r.reshape((1,) * self.ndim) if keepdim else r


def _all(self, dim=None, keepdim=False, *, out=None):
    raise NotImplementedError(_no_kernel("aten::all" if dim is None else "aten::all.dim"))


SparseTensor.any = _any
SparseTensor.all = _all
# (PyTorch's Tensor.softmax reaches the kernel behind it, which has no sparse version)
SparseTensor.softmax = _stub("_softmax")
SparseTensor.log_softmax = _stub("_log_softmax")


# Zero-preserving pointwise functions PyTorch has sparse COO kernels for, with the name of
# their backward node (None: no gradient).  They run the dense function on the coalesced
# tensor's values, so dtypes, results and errors are the dense function's; the gradient is
# the dense function's derivative at the values (PyTorch's own sparse backward of most of
# these fails; ember's computes it).
_POINTWISE = {
    "abs": "AbsBackward0", "sgn": "SgnBackward0", "sign": "SignBackward0",
    "sqrt": "SqrtBackward0", "sin": "SinBackward0", "sinh": "SinhBackward0",
    "tan": "TanBackward0", "tanh": "TanhBackward0", "asin": "AsinBackward0",
    "asinh": "AsinhBackward0", "atan": "AtanBackward0", "atanh": "AtanhBackward0",
    "ceil": "CeilBackward0", "floor": "FloorBackward0", "round": "RoundBackward0",
    "trunc": "TruncBackward0", "frac": "FracBackward0", "expm1": "Expm1Backward0",
    "log1p": "Log1PBackward0", "relu": "ReluBackward0", "erf": "ErfBackward0",
    "erfinv": "ErfinvBackward0", "deg2rad": "Deg2RadBackward0", "rad2deg": "Rad2DegBackward0",
    "nan_to_num": "NanToNumBackward0", "square": "PowBackward0", "pow": "PowBackward0",
    "isnan": None, "isinf": None,
    "isposinf": None, "isneginf": None, "signbit": None,
}


def _pointwise(name, node):
    def method(self, *args, **kwargs):
        c = self.coalesce()
        dev = c._device

        def apply(x):
            return getattr(x, name)(*args, **kwargs)
        out = apply(wrap(c._sp_v, dev))
        if name in ("pow", "square") and out.dtype is not self.dtype:
            # NOTE: PyTorch's sparse pow writes into a tensor of the input's dtype
            if not D.can_cast(out.dtype, self.dtype):
                raise RuntimeError(f"result type {D.scalar_name(out.dtype)} can't be cast to "
                                   f"the desired output type {D.scalar_name(self.dtype)}")
            out = out.to(self.dtype)

        def rule(ctx, g):
            from .autograd import grad
            from .autograd.grad_mode import enable_grad

            gv = _mask_like(g, c)._sp_v
            x = wrap(c._sp_v, dev).requires_grad_()
            with enable_grad():
                (gx,) = grad(apply(x), x, wrap(gv.astype(out._data.dtype, copy=False), dev))
            return (_new(c._sp_i, gx._data, c.shape, True, dev),)
        return _make(c._sp_i, out._data, self.shape, True, (c,), node,
                     None if node is None else rule, dev)
    method.__name__ = name
    return method


def _pointwise_(name):
    def method(self, *args, **kwargs):
        if not self._sp_c:
            raise RuntimeError(f"{name}_ requires coalesced input")
        v = wrap(self._sp_v, self._device)
        getattr(v, name + "_")(*args, **kwargs)  # (the dense in-place op's dtype checks)
        self._sp_v = v._data
        self._vc.v += 1
        return self
    method.__name__ = name + "_"
    return method


for _name, _node in _POINTWISE.items():
    setattr(SparseTensor, _name, _pointwise(_name, _node))
    if _node is not None and _name not in ("square", "pow"):
        setattr(SparseTensor, _name + "_", _pointwise_(_name))
SparseTensor.__abs__ = SparseTensor.abs
SparseTensor.__pow__ = SparseTensor.pow


def _dense_to_dense(self, dtype=None, *, masked_grad=None):
    return self if dtype is None else self.to(dtype)


# The dense tensor's doors into the sparse layout.
Tensor.to_sparse = to_sparse
Tensor.to_sparse_coo = _to_sparse_coo
Tensor.sparse_mask = sparse_mask
Tensor.smm = SparseTensor.smm = smm
Tensor.sspaddmm = SparseTensor.sspaddmm = sspaddmm
if "to_dense" not in Tensor.__dict__:
    Tensor.to_dense = _dense_to_dense


# ``torch.add(S, ...)`` and friends: a sparse first (or, for add/sub/mul, second) operand goes
# to the sparse tensor's method; everything else to the dense function as before.
def cat(tensors, dim=0):
    """``torch.cat`` of sparse tensors along a sparse dimension: the entries one after the
    other, indices shifted by the sizes before them (not coalesced)."""
    tensors = list(tensors)
    for k, t in enumerate(tensors):
        if not isinstance(t, SparseTensor):
            raise RuntimeError(f"Concatenating sparse tensors, but a dense tensor was found at "
                               f"position {k}.")
    first = tensors[0]
    d = _core.norm_dim(dim, first.ndim)
    if d >= first.sparse_dim():
        raise NotImplementedError("ember concatenates sparse tensors along sparse dimensions "
                                  "only")
    xp = _xp(first._device)
    dt = first.dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t.dtype)
        if t.ndim != first.ndim or any(a != b for k2, (a, b) in
                                       enumerate(zip(t.shape, first.shape)) if k2 != d):
            raise RuntimeError("All tensors must have the same shape except along the "
                               "concatenation dimension")
    idx, vals, offset = [], [], 0
    for t in tensors:
        i = t._sp_i.copy()
        i[d] += offset
        offset += t.shape[d]
        idx.append(i)
        vals.append(t._sp_v.astype(dt.np, copy=False))
    shape = list(first.shape)
    shape[d] = offset
    i = xp.concatenate(idx, axis=1)
    # (flagged coalesced with fewer than two entries, as PyTorch)
    return _new(i, xp.concatenate(vals), shape, i.shape[1] < 2, first._device)


def stack(tensors, dim=0):
    """``torch.stack`` of sparse tensors along a new leading (sparse) dimension."""
    tensors = list(tensors)
    if dim != 0:
        raise NotImplementedError("ember stacks sparse tensors along dimension 0 only")
    parts = []
    for t in tensors:
        if not isinstance(t, SparseTensor):
            raise RuntimeError("Concatenating sparse tensors, but a dense tensor was found.")
        xp = _xp(t._device)
        i = xp.concatenate([xp.zeros((1, t._nnz()), np.int64), t._sp_i])
        parts.append(_new(i, t._sp_v, (1,) + tuple(t.shape), False, t._device))
    return cat(parts, 0)


_ROUTED = ("add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "sum",
           "t", "transpose", "neg", "negative", "clone", "abs", "sqrt", "pow", "norm", "mv",
           "index_select", "unsqueeze")
# (``torch.sin(S)``, ``torch.softmax(S, 0)`` and every other function with a sparse first
# operand go through ``_layout_route`` below instead, at no cost to dense calls.)


def _route(module, name):
    import functools

    dense = getattr(module, name, None)
    if dense is None or getattr(dense, "_sparse_routed", False):
        return
    method = {"subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
              "negative": "neg"}.get(name, name)

    @functools.wraps(dense)
    def fn(*args, **kwargs):  # (the dense op's own errors for its missing or doubled input)
        if not args and type(kwargs.get("input")) is SparseTensor:
            kwargs = dict(kwargs)
            args = (kwargs.pop("input"),)
        input = args[0] if args else None
        if type(input) is SparseTensor:
            return getattr(input, method)(*args[1:], **kwargs)
        if len(args) > 1 and type(args[1]) is SparseTensor and method in ("add", "sub", "mul"):
            other = args[1]
            if method == "mul":
                return other.mul(input)
            alpha = kwargs.get("alpha", 1)
            return _dense_add_sparse(input, other, alpha if method == "add" else -alpha,
                                     sub=method == "sub")
        return dense(*args, **kwargs)
    fn._sparse_routed = True
    setattr(module, name, fn)


def _route_seq(module, name, sparse_fn):
    """``torch.cat``/``torch.stack``: sequences holding a sparse tensor go to ``sparse_fn``."""
    import functools

    dense = getattr(module, name, None)
    if dense is None or getattr(dense, "_sparse_routed", False):
        return

    @functools.wraps(dense)
    def fn(tensors, *args, **kwargs):
        if isinstance(tensors, (list, tuple)) and any(type(t) is SparseTensor for t in tensors):
            return sparse_fn(tensors, *args, **kwargs)
        return dense(tensors, *args, **kwargs)
    fn._sparse_routed = True
    setattr(module, name, fn)


def _dense_inplace_with_sparse():
    """A dense tensor's ``add_``/``sub_``/``+=``/``-=``/``copy_`` (and ``add``/``sub``) given a
    sparse argument."""
    import functools

    def make(name, sign):
        dense = Tensor.__dict__.get(name)
        if dense is None or getattr(dense, "_sparse_routed", False):
            return

        @functools.wraps(dense)
        def fn(self, other, *args, **kwargs):
            if type(other) is SparseTensor and type(self) is not SparseTensor:
                if sign == 0:
                    raise RuntimeError(
                        "copy_() between dense and sparse Tensors is not implemented! Found "
                        f"self type = {self.type()} and src type = {other.type()} (use "
                        "src.to_dense())")
                alpha = kwargs.get("alpha", args[0] if args else 1)
                if not name.endswith("_"):  # (out of place: a new dense tensor)
                    return _dense_add_sparse(self, other, -alpha if sign < 0 else alpha,
                                             sub=sign < 0)
                return self.copy_(_dense_add_sparse(self, other, sign * alpha, sub=sign < 0))
            return dense(self, other, *args, **kwargs)
        fn._sparse_routed = True
        setattr(Tensor, name, fn)
    for name, sign in (("add_", 1), ("sub_", -1), ("subtract_", -1), ("__iadd__", 1),
                       ("__isub__", -1), ("copy_", 0), ("add", 1), ("sub", -1),
                       ("subtract", -1)):
        make(name, sign)


def _install_functions():
    import sys

    _dense_inplace_with_sparse()

    module = sys.modules.get(__name__.rsplit(".", 1)[0])
    if module is None:
        return
    for name in _ROUTED:
        _route(module, name)
    _route_seq(module, "cat", cat)
    _route_seq(module, "concat", cat)
    _route_seq(module, "concatenate", cat)
    _route_seq(module, "stack", stack)
    if not hasattr(type(module), "spmm") and "spmm" not in vars(module):
        module.spmm = module.mm  # (PyTorch's spmm: mm, for sparse or dense first operands)
    for name, fn in (("hspmm", hspmm), ("smm", smm), ("sspaddmm", sspaddmm)):
        if name not in vars(module):
            setattr(module, name, fn)


_install_functions()


# -- torch.<function>(S) ------------------------------------------------------------------------
# A public function given a sparse tensor goes the slow way (``ember._subclass``: sparse tensors
# are never taken as plain), where ``_layout_route`` picks what runs: the sparse tensor's
# method of that name (its sparse version, or the stub that fails as PyTorch's dispatcher
# does), so that ``torch.sin(S)`` is ``S.sin()``; dense calls pay nothing for this.

# nn.functional's functions on a sparse COO tensor: PyTorch's check their other arguments,
# then reach an op with no SparseCPU kernel (its dispatcher's NotImplementedError names the
# op, the in-place one for ``inplace=True``); relu and tanh have sparse kernels.
_NN_KERNELS = {
    "relu6": "hardtanh", "hardtanh": "hardtanh", "hardtanh_": "hardtanh_", "elu": "elu",
    "selu": "elu", "celu": "elu", "elu_": "elu_", "selu_": "elu_", "celu_": "elu_",
    "leaky_relu": "leaky_relu", "leaky_relu_": "leaky_relu_", "_threshold": "threshold",
    "threshold_": "threshold_", "gelu": "gelu", "silu": "silu", "mish": "mish",
    "hardswish": "hardswish", "hardsigmoid": "hardsigmoid", "softplus": "softplus",
    "softshrink": "softshrink", "hardshrink": "hardshrink",
    "log_sigmoid": "log_sigmoid_forward", "sigmoid": "sigmoid", "glu": "glu",
    "prelu": "_prelu_kernel", "rrelu": None, "rrelu_": None}
_SOFTMAX = {"softmax": "softmax", "log_softmax": "log_softmax", "softmin": "softmax"}
_NO_MEMORY_FORMAT = "memory format option is only supported by strided tensors"


def _stand_in(s, name):
    """A small dense tensor of ``s``'s dtype and rank for running a function's argument
    checks (prelu's: of its channel count)."""
    from ._ops.creation import zeros

    shape = [1] * s.ndim
    if name == "prelu" and s.ndim >= 2:
        shape[1] = s.shape[1]
    return zeros(shape, dtype=s.dtype)


def _kernel_missing(op):
    return lambda a, s: NotImplementedError(_no_kernel(f"aten::{op}"))


def _contiguous_refused(a, s):
    return RuntimeError("unsupported memory format option Contiguous")


def _pad_refusal(a, s):
    mode = a.get("mode", "constant")
    n = len(a["pad"]) // 2
    op = {"constant": "fill_.Scalar", "reflect": f"reflection_pad{n}d",
          "replicate": f"replication_pad{n}d", "circular": "as_strided"}.get(mode)
    return None if op is None else NotImplementedError(_no_kernel(f"aten::{op}"))


def _interpolate_refusal(a, s):
    d = s.ndim - 2
    op = {"nearest": f"upsample_nearest{d}d", "nearest-exact": f"_upsample_nearest_exact{d}d",
          "linear": "upsample_linear1d", "bilinear": "upsample_bilinear2d",
          "bicubic": "upsample_bicubic2d", "trilinear": "upsample_trilinear3d"}.get(a["mode"])
    return None if op is None or d < 1 else NotImplementedError(_no_kernel(f"aten::{op}"))


# nn.functional's functions with no sparse kernel beneath them, and what PyTorch's raise for
# a sparse COO input: ("checks": the dense function's own checks of the arguments come first,
# run on a dense stand-in of the input; "kernel": the refusal comes before any), then the
# refusal (None: the function runs as it is).  Most are the dispatcher's NotImplementedError
# for the first op with no SparseCPU kernel; some first ask for a contiguous copy.
_NN_REFUSALS = {
    "layer_norm": ("checks", _contiguous_refused),
    "group_norm": ("checks", _contiguous_refused),
    "conv1d": ("checks", _contiguous_refused),
    "conv2d": ("checks", _contiguous_refused),
    "conv_transpose1d": ("checks", _contiguous_refused),
    "conv_transpose2d": ("checks", _contiguous_refused),
    "conv3d": ("checks", _kernel_missing("slow_conv3d_forward")),
    "rms_norm": ("checks", _kernel_missing("mean.dim")),
    "batch_norm": ("checks", _kernel_missing("native_batch_norm")),
    "local_response_norm": ("checks", _kernel_missing("fill_.Scalar")),
    "one_hot": ("kernel", lambda a, s: NotImplementedError(_no_kernel("aten::aminmax"))
                if s.dtype is D.int64 else None),
    "embedding": ("checks", lambda a, s: RuntimeError(
        "reshape is not implemented for sparse tensors")),
    "mse_loss": ("checks", _kernel_missing("mse_loss")),
    "smooth_l1_loss": ("checks", _kernel_missing("smooth_l1_loss")),
    "huber_loss": ("checks", _kernel_missing("huber_loss")),
    "binary_cross_entropy": ("checks", _kernel_missing("binary_cross_entropy")),
    "binary_cross_entropy_with_logits": ("checks", _kernel_missing("log_sigmoid_forward")),
    "soft_margin_loss": ("checks", _kernel_missing("exp_")),
    "multilabel_soft_margin_loss": ("checks", _kernel_missing("log_sigmoid_forward")),
    "hinge_embedding_loss": ("checks", lambda a, s: RuntimeError(_NO_MEMORY_FORMAT)),
    "cross_entropy": ("kernel", _kernel_missing("_log_softmax")),
    "nll_loss": ("kernel", _kernel_missing("nll_loss_forward")),
    "multi_margin_loss": ("checks", _kernel_missing("multi_margin_loss")),
    "multilabel_margin_loss": ("checks", _kernel_missing("multilabel_margin_loss_forward")),
    "cosine_similarity": ("checks", _kernel_missing("linalg_vector_norm")),
    "avg_pool1d": ("kernel", _kernel_missing("avg_pool2d")),
    "avg_pool2d": ("kernel", _kernel_missing("avg_pool2d")),
    "max_pool1d": ("checks", _kernel_missing("max_pool2d_with_indices")),
    "max_pool2d": ("checks", _kernel_missing("max_pool2d_with_indices")),
    "adaptive_avg_pool1d": ("checks", _kernel_missing("_adaptive_avg_pool2d")),
    "adaptive_avg_pool2d": ("checks", _kernel_missing("_adaptive_avg_pool2d")),
    "adaptive_max_pool1d": ("checks", _kernel_missing("adaptive_max_pool2d")),
    "pad": ("checks", _pad_refusal),
    "interpolate": ("checks", _interpolate_refusal),
    "pixel_shuffle": ("kernel", _kernel_missing("pixel_shuffle")),
    "pixel_unshuffle": ("kernel", _kernel_missing("pixel_unshuffle")),
    "unfold": ("kernel", _kernel_missing("im2col")),
    "fold": ("kernel", _kernel_missing("col2im")),
    "grid_sample": ("checks", _kernel_missing("grid_sampler_2d")),
}


def _refuse_after_checks(spec, fn, a, s, args, kwargs):
    """Raise what PyTorch's ``nn.functional`` function ``fn`` raises for sparse COO ``s``
    (``spec``: an entry of ``_NN_REFUSALS``); returns where ``fn`` is to run as it is."""
    when, refusal = spec
    err = refusal(a, s)
    if err is None:
        return
    if when == "checks" and s.numel() <= 1 << 16:  # (a dense copy of it: the checks' input)
        from ._ops.creation import zeros

        def dense(x):  # (the other tensors copied, a check must not change them; sparse
            if type(x) is SparseTensor:  # ones as dense zeros)
                return zeros(tuple(x.shape), dtype=x.dtype)
            return x.detach().clone() if isinstance(x, Tensor) else x
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (its warnings are the sparse call's own)
            try:
                fn(*(dense(x) for x in args), **{k: dense(v) for k, v in kwargs.items()})
            except Exception as e:  # (a message naming the stand-in's type names ``s``'s)
                theirs, ours = dense(s).type(), s.type()
                if type(e) in (RuntimeError, ValueError) and f"{theirs} " in str(e):
                    raise type(e)(str(e).replace(f"{theirs} ", f"{ours} ")) from None
                raise
    raise err


# The losses whose PyTorch kernel takes the target too: a sparse target with a dense input
# fails as a sparse input does, after the arguments' checks.
_NN_TARGET_REFUSALS = {
    "mse_loss": _kernel_missing("mse_loss"),
    "smooth_l1_loss": _kernel_missing("smooth_l1_loss"),
    "huber_loss": _kernel_missing("huber_loss"),
    "binary_cross_entropy": _kernel_missing("binary_cross_entropy"),
    "binary_cross_entropy_with_logits": lambda a, s: RuntimeError(_NO_MEMORY_FORMAT),
}


def _target_refused(name, fn):
    def run(*args, **kwargs):
        s = next(x for x in (*args, *kwargs.values()) if type(x) is SparseTensor)
        _refuse_after_checks(("checks", _NN_TARGET_REFUSALS[name]), fn, None, s, args, kwargs)
        return fn(*args, **kwargs)
    return run


def _nn_route(name, fn):
    """What ``nn.functional.<name>`` runs for a sparse COO input (None: the function itself)."""
    if name not in _NN_KERNELS and name not in _SOFTMAX and name not in _NN_REFUSALS and \
            name not in ("relu", "relu_", "tanh", "gumbel_softmax", "pdist"):
        return None
    sig = _signature(fn)

    def run(*args, **kwargs):
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError:
            return fn(*args, **kwargs)  # (its own TypeError for the call)
        bound.apply_defaults()
        a = bound.arguments
        s = args[0] if args else kwargs.get("input", kwargs.get("logits"))
        if name in _NN_REFUSALS:
            _refuse_after_checks(_NN_REFUSALS[name], fn, a, s, args, kwargs)
            return fn(*args, **kwargs)
        if name in ("relu", "relu_"):
            return s.relu_() if name == "relu_" or a.get("inplace") else s.relu()
        if name == "tanh":
            return s.tanh()
        if name in _SOFTMAX:
            if a["dim"] is None:  # (its warning first)
                from .nn._functional.activation import _softmax_dim

                _softmax_dim(s.dim(), name)
            raise NotImplementedError(_no_kernel(f"aten::_{_SOFTMAX[name]}"))
        if name == "gumbel_softmax":
            if a["eps"] != 1e-10:
                from ._warnings import warn_up

                warn_up("`eps` parameter is deprecated and has no effect.", UserWarning)
            raise RuntimeError(_NO_MEMORY_FORMAT)
        if name == "pdist":
            if s.ndim != 2:
                raise RuntimeError(f"pdist only supports 2D tensors, got: {s.ndim}D")
            if not s.dtype.is_floating_point:
                raise RuntimeError("pdist only supports floating-point dtypes")
            if a["p"] < 0:
                raise RuntimeError("pdist only supports non-negative p values")
            raise RuntimeError("unsupported memory format option Contiguous")
        if name == "glu":  # (the only check before its kernel)
            if s.ndim == 0:
                raise RuntimeError("glu does not support scalars because halving size must be "
                                   "even")
        else:  # (the other arguments' checks: on a stand-in of the input)
            args2 = (_stand_in(s, name),) + args[1:] if args else args
            kwargs2 = kwargs if args else {**kwargs, "input": _stand_in(s, name)}
            try:
                fn(*args2, **kwargs2)
            except (TypeError, ValueError):
                raise
            except RuntimeError:
                if name == "prelu":
                    raise
            except Exception:  # noqa: BLE001 (the dense kernel's refusals come after dispatch)
                pass
        if name in ("rrelu", "rrelu_"):
            if a["lower"] > a["upper"]:
                raise RuntimeError("Lower bound should be less than or equal to the upper bound")
            raise RuntimeError(_NO_MEMORY_FORMAT)
        kernel = _NN_KERNELS[name]
        if a.get("inplace") and not kernel.endswith("_"):
            kernel += "_"
        raise NotImplementedError(_no_kernel(f"aten::{kernel}"))
    return run


_FUNCTIONS: dict = {}


def _as_method(name):
    def fn(*args, **kwargs):
        if not args:
            kwargs = dict(kwargs)
            args = (kwargs.pop("input"),)
        return getattr(args[0], name)(*args[1:], **kwargs)
    return fn


def _layout_route(public, fn, args, kwargs):
    """What ``public`` (a ``torch.*`` function whose implementation is ``fn``) runs for
    ``args``: ``fn`` unless the first tensor is a sparse COO tensor with a method of that
    name (or an entry in ``_FUNCTIONS``)."""
    first = args[0] if args else kwargs.get("input")
    if type(first) is not SparseTensor:
        if public.__name__ in _NN_TARGET_REFUSALS and public.__module__ == \
                "ember.nn.functional" and any(type(x) is SparseTensor for x in (
                    *args, *kwargs.values())):  # (a dense input, a sparse target)
            return _target_refused(public.__name__, fn)
        return fn
    key = (public.__module__, public.__name__)
    own = _FUNCTIONS.get(key)
    if own is not None:
        return own
    if key[0] == "ember.nn.functional":
        own = _nn_route(key[1], fn)
        if own is None:
            return fn
        _FUNCTIONS[key] = own
        return own
    method = SparseTensor.__dict__.get(key[1]) if key[0] == "ember" else None
    if not callable(method) or key[1] in _ROUTED:
        return fn
    if not getattr(method, "_sparse", True):
        own = _FUNCTIONS[key] = _refusing(fn, key[1], method)
        return own
    if "out" in kwargs and "out" in _signature(method).parameters:  # (the dense one's
        kwargs = {k: v for k, v in kwargs.items() if k != "out"}  # signature may not show it)
    if not _parses(fn, key[1], args, kwargs):
        return fn  # (the dense function's TypeError for the call, as PyTorch's parser's)
    own = _METHODS.get(key[1])
    if own is None:
        own = _METHODS[key[1]] = _as_method(key[1])
    return own


_METHODS: dict = {}


def _signature(fn):
    from ._subclass import signature

    return signature(fn)


def _parses(fn, name, args, kwargs):
    """Whether ``args``/``kwargs`` fit the function form's parameters (the method forms of
    ``permute``/``reshape`` take the sizes loose; the functions take one sequence)."""
    sig = _signature(fn)
    if sig is not False:
        try:
            sig.bind(*args, **kwargs)
        except TypeError:
            return False
    if name in ("permute", "reshape"):
        return len(args) == 2 and isinstance(args[1], (tuple, list))
    if name in ("mm", "matmul", "mv"):
        return len(args) == 2 and isinstance(args[1], Tensor)
    return True


def _refusing(fn, name, stub):
    """``fn`` for a function with no sparse kernel: the call's own mistakes (PyTorch's argument
    parser's TypeError) come first, then the dispatcher's NotImplementedError; a dense
    function that happens to work on the sparse tensor (``torch.positive``) is left to."""
    checked_first = name in _COMPOSITE

    def run(*args, **kwargs):
        misfit = None  # (a call that does not fit: the parser's TypeError comes first)
        sig = _signature(fn)
        if sig is not False:
            try:
                sig.bind(*args, **kwargs)
            except TypeError as e:
                misfit = e
        try:
            return fn(*args, **kwargs)
        except TypeError as e:
            if misfit is not None or "_SparseMeta" not in str(e):  # (the dense one's words)
                raise
        except (RuntimeError, IndexError, ValueError):
            if misfit is not None:
                raise misfit from None
            if checked_first:
                raise
        except Exception:  # noqa: BLE001 (the dense function's failure on sparse data)
            if misfit is not None:
                raise misfit from None
        return stub(None)  # (its NotImplementedError)
    return run


# Functions PyTorch composes of others (or whose sparse kernel checks its operands): their
# own checks of shapes and dims come before any missing sparse kernel is reached
_COMPOSITE = frozenset((
    "bmm cholesky_solve chunk cummax cummin diagflat dsplit eig flatten ger hsplit inner "
    "is_nonzero istft logdet lstsq matrix_power mvlgamma nanquantile outer prelu quantile "
    "solve split squeeze symeig tensor_split unbind unsafe_chunk unsafe_split vsplit").split())


def _install_route():
    from . import _subclass

    _subclass.LAYOUT_TYPES.add(SparseTensor)
    _subclass.LAYOUT_ROUTE = _layout_route


_install_route()
