"""Sparse compressed tensors: the ``sparse_csr``, ``sparse_csc``, ``sparse_bsr`` and
``sparse_bsc`` layouts.

A compressed tensor is a :class:`CompressedTensor` holding three arrays: the compressed
indices (``crow_indices`` or ``ccol_indices``, ``(*batch, n + 1)``), the plain indices
(``col_indices`` or ``row_indices``, ``(*batch, nnz)``) and the values (``(*batch, nnz,
*dense)``, or ``(*batch, nnz, b0, b1, *dense)`` for the blocked layouts).  Entry ``k`` of
compressed row (column) ``i`` is ``crow[i] <= k < crow[i + 1]``.  As with COO tensors
(``ember._sparse``) its ``_data`` only carries the shape and dtype, and Tensor methods without
a compressed version raise PyTorch's error for the SparseCsrCPU backend.

What is here: creation (``torch.sparse_csr_tensor`` and friends, ``to_sparse_csr`` and
friends, COO <-> compressed), accessors, printing, products with dense matrices (with their
gradients), scalar and same-layout elementwise arithmetic, transposes and pickling.
Batched (leading batch dimensions) and hybrid (trailing dense dimensions) tensors can be
made, printed and densified; the arithmetic is for plain 2-D ones.
"""
from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._ops import _core
from ._ops._core import wrap
from ._sparse import _KEEP, SparseTensor, _SparseMeta, _Storageless, install_stubs, shell
from ._sparse import _new as _coo_new
from ._tensor import Tensor

__all__ = ["CompressedTensor", "sparse_compressed_tensor", "sparse_csr_tensor",
           "sparse_csc_tensor", "sparse_bsr_tensor", "sparse_bsc_tensor"]

# layout -> (compressed indices' name, plain indices' name, PyTorch's layout name)
_NAMES = {"csr": ("crow_indices", "col_indices", "SparseCsr"),
          "csc": ("ccol_indices", "row_indices", "SparseCsc"),
          "bsr": ("crow_indices", "col_indices", "SparseBsr"),
          "bsc": ("ccol_indices", "row_indices", "SparseBsc")}
_ROWWISE = ("csr", "bsr")
_BLOCKED = ("bsr", "bsc")


def _layout_name(t):
    """PyTorch's C++ name of ``t``'s layout (as its error messages spell it)."""
    if isinstance(t, CompressedTensor):
        return _NAMES[t._cl][2]
    return "Sparse" if isinstance(t, SparseTensor) else "Strided"


def _layout_key(layout):
    """``'csr'`` for ``torch.sparse_csr`` and so on; None for other layouts."""
    name = str(layout).replace("torch.sparse_", "")
    return name if name in _NAMES else None


def _no_kernel(op):
    return (f"Could not run '{op}' with arguments from the 'SparseCsrCPU' backend. This could "
            "be because the operator doesn't exist for this backend (ember's sparse compressed "
            "tensors support construction, conversion, to_dense, products with dense "
            "matrices and a few elementwise ops; call .to_dense() first for anything else).")


def _unsupported(t):
    return RuntimeError(f"unsupported tensor layout: {_layout_name(t)}")


# -- the tensor ----------------------------------------------------------------------------------

class CompressedTensor(_Storageless, Tensor):
    """A sparse compressed tensor (PyTorch's ``torch.Tensor`` with a ``sparse_csr``,
    ``sparse_csc``, ``sparse_bsr`` or ``sparse_bsc`` layout)."""

    is_sparse = False
    _compressed = True

    @property
    def is_sparse_csr(self):
        return self._cl == "csr"

    @property
    def layout(self):
        from . import sparse_bsc, sparse_bsr, sparse_csc, sparse_csr

        return {"csr": sparse_csr, "csc": sparse_csc, "bsr": sparse_bsr,
                "bsc": sparse_bsc}[self._cl]

    # -- structure ----------------------------------------------------------------------------
    def _nbatch(self):
        return self._ci.ndim - 1

    def _blocksize(self):
        nb = self._nbatch()
        return tuple(self._cv.shape[nb + 1:nb + 3]) if self._cl in _BLOCKED else (1, 1)

    def sparse_dim(self):
        return 2

    def dense_dim(self):
        return self._cv.ndim - self._nbatch() - 1 - (2 if self._cl in _BLOCKED else 0)

    def _nnz(self):
        return int(self._pi.shape[-1])

    def _index(self, name, rowwise):
        if (self._cl in _ROWWISE) != rowwise:
            kind = "row" if rowwise else "column"
            raise RuntimeError(f"{name} expected sparse {kind} compressed tensor layout but got "
                               f"{_layout_name(self)}")
        arr = self._ci if name in ("crow_indices", "ccol_indices") else self._pi
        out = _out(arr, self._device)
        base = getattr(arr, "base", None)
        if out._data is arr and type(base) is np.ndarray and base.size == 2 * arr.size:
            out.__dict__["_storage_root"] = base  # (``_second_row``'s: at its offset)
        return out

    def crow_indices(self):
        return self._index("crow_indices", True)

    def col_indices(self):
        return self._index("col_indices", True)

    def ccol_indices(self):
        return self._index("ccol_indices", False)

    def row_indices(self):
        return self._index("row_indices", False)

    def values(self):
        src = self

        def rule(ctx, g):
            return (_new(src._cl, src._ci, src._pi, _core.to_host(g._data), src.shape,
                         src._device),)
        return _core.make(_on(self._cv, self._device), (self,), "ValuesBackward0", rule,
                          device=self._device)

    def indices(self):
        raise RuntimeError(f"indices expected sparse coordinate tensor layout but got "
                           f"{_layout_name(self)}")

    def coalesce(self):
        raise RuntimeError(f"coalesce expected sparse coordinate tensor layout but got "
                           f"{_layout_name(self)}")

    def is_coalesced(self):
        raise RuntimeError(f"is_coalesced expected sparse coordinate tensor layout but got "
                           f"{_layout_name(self)}")

    # -- conversion ---------------------------------------------------------------------------
    def to_dense(self, dtype=None, *, masked_grad=None):
        if dtype is not None:
            raise RuntimeError("dtype argument is not supported by sparse_csr_to_dense")
        pattern = self

        def rule(ctx, g):
            return (_like(pattern, _gather(g, pattern)),)
        return _core.make(_on(_dense_arr(self), self._device), (self,), "ToDenseBackward0",
                          rule, device=self._device)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        key = None if layout is None else _layout_key(layout)
        if key is None:
            if sparse_dim is not None and sparse_dim != 2:
                raise RuntimeError(f"sparse_compressed_to_sparse: conversion from "
                                   f"{_layout_name(self)} to Sparse with sparse_dim argument "
                                   "!=2 is not supported")
            return self._to_coo("ToSparseBackward1" if sparse_dim is None else
                                "ToSparseBackward0")
        return _convert(self, key, blocksize, dense_dim)

    def to_sparse_coo(self):
        return self._to_coo("ToSparseBackward1")

    def _to_coo(self, name):
        """The entries as a COO tensor, in storage order (blocks element by element; batch
        dimensions become sparse ones); flagged coalesced for CSR only, as PyTorch."""
        from ._sparse import _make as coo_make

        nb = self._nbatch()
        b0, b1 = self._blocksize()
        vb = _blocks_of(self)
        ci, pi = _core.to_host(self._ci), _core.to_host(self._pi)
        idx, vals = [], []
        for bi in np.ndindex(*self.shape[:nb]):
            comp = np.repeat(np.arange(ci[bi].shape[0] - 1), np.diff(ci[bi]).astype(np.int64))
            r, c = (comp, pi[bi]) if self._cl in _ROWWISE else (pi[bi], comp)
            rr = (r[:, None, None] * b0 + np.arange(b0)[None, :, None]) + 0 * np.arange(b1)
            cc = (c[:, None, None] * b1 + np.arange(b1)[None, None, :]) + 0 * rr
            n = rr.size
            idx.append(np.stack([np.full(n, k) for k in bi] + [rr.reshape(-1), cc.reshape(-1)]))
            vals.append(vb[bi].reshape((n,) + vb.shape[nb + 3:]))
        i = np.concatenate(idx, axis=1).astype(np.int64)
        src = self

        def rule(ctx, g):
            return (_like(src, _gather(g, src)),)
        return coo_make(i, np.ascontiguousarray(np.concatenate(vals)), self.shape,
                        self._cl == "csr", (self,), name, rule, self._device)

    def to_sparse_csr(self, dense_dim=None):
        return _convert(self, "csr", None, dense_dim)

    def to_sparse_csc(self, dense_dim=None):
        return _convert(self, "csc", None, dense_dim)

    def to_sparse_bsr(self, blocksize, dense_dim=None):
        return _convert(self, "bsr", blocksize, dense_dim)

    def to_sparse_bsc(self, blocksize, dense_dim=None):
        return _convert(self, "bsc", blocksize, dense_dim)

    def numpy(self, *, force=False):
        raise TypeError(f"can't convert {_layout_name(self)} layout tensor to numpy. Use "
                        "Tensor.to_dense() first.")


    def stride(self, dim=None):
        raise RuntimeError(f"Sparse {self._cl.upper()} tensors do not have strides")

    def is_contiguous(self, memory_format=None):
        raise RuntimeError(f"Sparse {self._cl.upper()} tensors do not have is_contiguous")

    def reshape(self, *shape):
        raise RuntimeError(f"Sparse {self._cl.upper()} tensors do not have is_contiguous")

    def unsqueeze(self, dim):
        raise RuntimeError(f"Sparse {self._cl.upper()} tensors do not have strides")

    def storage(self):
        raise NotImplementedError("Cannot access storage of SparseCsrTensorImpl")

    untyped_storage = storage

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            raise RuntimeError("Unimplemented backend SparseCsrCPU")
        return self.to(dtype)

    def to(self, *args, **kwargs):
        vt = wrap(self._cv, self._device)
        r = vt.to(*args, **kwargs)
        if r is vt:
            return self
        src_dtype = self.dtype

        def rule(ctx, g):
            return (g.to(src_dtype) if g.dtype is not src_dtype else g,)
        return _make(self._cl, self._ci, self._pi, r._data, self.shape, (self,),
                     "ToCopyBackward0", rule, r._device)

    def cpu(self, memory_format=None):
        return self

    def clone(self, *, memory_format=None):
        return _make(self._cl, self._ci.copy(), self._pi.copy(), self._cv.copy(), self.shape,
                     (self,), "CloneBackward0", lambda ctx, g: (g,), self._device)

    def detach(self):
        return _new(self._cl, self._ci, self._pi, self._cv, self.shape, self._device)

    __copy__ = detach

    def __deepcopy__(self, memo):
        # NOTE: as PyTorch 2.13, whose deepcopy reads the (absent) storage
        raise NotImplementedError("Cannot access storage of SparseCsrTensorImpl")

    def copy_(self, src, non_blocking=False):
        if not isinstance(src, CompressedTensor) or src._cl != self._cl:
            raise RuntimeError(f"torch.copy_: copy of sparse compressed tensors having "
                               f"different layouts is not supported. self layout is "
                               f"{_layout_name(self)} and src layout is {_layout_name(src)}")
        if src._nnz() != self._nnz():
            raise RuntimeError("torch.copy_: only sparse compressed tensors with the same "
                               "number of specified elements are supported.")
        if tuple(src.shape) != tuple(self.shape):
            raise RuntimeError(f"torch.copy_: expected shapes of self and src to match along "
                               f"dimension 0 for {_layout_name(self)} layout but the "
                               f"corresponding "
                               f"dimensions of self and src are {self.shape[0]} and "
                               f"{src.shape[0]}, respectively.")
        self._ci = src._ci.astype(self._ci.dtype, copy=True)
        self._pi = src._pi.astype(self._pi.dtype, copy=True)
        self._cv = src._cv.astype(self._cv.dtype, copy=True)
        self._vc.v += 1
        return self

    def mul_(self, other):
        r = self.mul(other)
        self._ci, self._pi, self._cv = r._ci, r._pi, r._cv.astype(self._cv.dtype, copy=False)
        self._vc.v += 1
        return self

    def add_(self, other, *, alpha=1):
        if not isinstance(other, CompressedTensor):
            raise _unsupported(self)
        r = self.add(other, alpha=alpha)
        self._ci, self._pi, self._cv = r._ci, r._pi, r._cv.astype(self._cv.dtype, copy=False)
        self._vc.v += 1
        return self

    __imul__ = mul_
    __iadd__ = add_

    def zero_(self):
        nb = self._nbatch()
        self._ci = np.zeros_like(self._ci)
        self._pi = self._pi[..., :0].copy()
        self._cv = self._cv[(slice(None),) * nb + (slice(0, 0),)].copy()
        self._vc.v += 1
        return self

    def __reduce_ex__(self, proto):
        from . import Size

        return (_rebuild_compressed,
                (self.layout, (wrap(self._ci, self._device), wrap(self._pi, self._device),
                               wrap(self._cv, self._device), Size(self.shape))))

    def __repr__(self, *, tensor_contents=None):
        return _repr(self)

    # -- shape ------------------------------------------------------------------------------
    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return self._transpose("TBackward0")

    def transpose(self, dim0, dim1):
        a, b = _core.norm_dim(dim0, self.ndim), _core.norm_dim(dim1, self.ndim)
        if a == b:
            return self
        nb = self._nbatch()
        if {a, b} != {nb, nb + 1}:
            raise NotImplementedError("ember transposes sparse compressed tensors along their "
                                      "two sparse dimensions only")
        return self._transpose("TransposeBackward0")

    def _transpose(self, name):
        nb = self._nbatch()
        flip = {"csr": "csc", "csc": "csr", "bsr": "bsc", "bsc": "bsr"}[self._cl]
        v = self._cv.swapaxes(nb + 1, nb + 2) if self._cl in _BLOCKED else self._cv
        shape = list(self.shape)
        shape[nb], shape[nb + 1] = shape[nb + 1], shape[nb]
        return _make(flip, self._ci, self._pi, v, shape, (self,), name,
                     lambda ctx, g: (g.transpose(nb, nb + 1),), self._device)

    # -- arithmetic -------------------------------------------------------------------------
    def mul(self, other):
        if isinstance(other, CompressedTensor):
            return _mul_compressed(self, other)
        if isinstance(other, Tensor) and other.ndim > 0:
            return _mul_dense(self, other)
        return _scale(self, other)

    __mul__ = __rmul__ = multiply = mul

    def add(self, other, *, alpha=1):
        if isinstance(other, CompressedTensor):
            return _add_compressed(self, other, alpha)
        if isinstance(other, SparseTensor):
            raise RuntimeError(f"add: expected a {_layout_name(self)} or strided other, got "
                               "Sparse (PyTorch 2.13 fails on this sum too)")
        if isinstance(other, Tensor):
            return self.to_dense() + (other if alpha == 1 else other * alpha)
        raise _unsupported(self)

    __add__ = add

    def __radd__(self, other):
        if isinstance(other, Tensor) and not isinstance(other, CompressedTensor):
            return other + self.to_dense()
        return self.add(other)

    def sub(self, other, *, alpha=1):
        raise _unsupported(self)

    __sub__ = __rsub__ = subtract = sub

    def div(self, other, *, rounding_mode=None):
        raise _unsupported(self)

    __truediv__ = __rtruediv__ = divide = true_divide = div

    def neg(self):
        return _valuewise(self, "neg")

    __neg__ = negative = neg

    def positive(self):
        return self

    conj = resolve_conj = resolve_neg = positive

    def sum(self, dim=None, keepdim=False, dtype=None):
        if dim is None:
            v = self.values()
            return v.sum(dtype=dtype)
        if not keepdim:
            raise RuntimeError("reduction operations on CSR tensors with keepdim=False is "
                               "unsupported")
        return self.to_dense().sum(dim, keepdim=True, dtype=dtype).to_sparse(layout=self.layout)

    def mm(self, mat2):
        return mm(self, mat2)

    def matmul(self, other):
        return mm(self, other)

    __matmul__ = matmul

    def __rmatmul__(self, other):
        return mm(other, self)

    def mv(self, vec):
        return mm(self, vec)

    def __getitem__(self, idx):
        """``C[k]`` for a 2-D CSR tensor: row ``k`` as a 1-D COO tensor (as PyTorch)."""
        if self._cl != "csr" or self._nbatch() or not isinstance(idx, (int, np.integer)) or \
                isinstance(idx, bool):
            raise NotImplementedError(_no_kernel("aten::index.Tensor"))
        n = self.shape[0]
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for tensor of size "
                             f"{list(self.shape)} at dimension 0")
        k = idx + n if idx < 0 else idx
        a, b = int(self._ci[k]), int(self._ci[k + 1])
        return self.to_sparse_coo()[k] if self._requires_grad else _coo_new(
            self._pi[None, a:b].astype(np.int64), self._cv[a:b].copy(), self.shape[1:], True,
            self._device)

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self.to_dense().item()

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """No kernel, as PyTorch's (``torch.norm`` of a sparse layout is its ``norm`` op): a
        reduction over some of the dims fails sizing its compressed output first (so
        ``F.normalize`` of one does), one over all of them finds no kernel."""
        dims = [dim] if isinstance(dim, int) else dim
        if dims is not None and len(dims) and len(
                {_core.norm_dim(d, self.ndim) for d in dims}) < self.ndim:
            raise RuntimeError(f"resize_reduction: support for output with {_NAMES[self._cl][2]} "
                               "layout is not implemented yet")
        raise NotImplementedError(_no_kernel("aten::norm.out"))


_SPARSE_LAYOUT_OPS = ("exp", "cos", "pow", "log", "sigmoid", "square", "__pow__", "__rpow__")


_DUNDER_OPS = {"__pow__", "__rpow__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__",
               "__lt__", "__le__", "__gt__", "__ge__", "__and__", "__or__", "__xor__",
               "__invert__", "__abs__", "__iadd__", "__isub__", "__imul__", "__itruediv__",
               "__lshift__", "__rshift__", "__pos__"}


def _stub(name, layout_error):
    def method(self, *args, **kwargs):
        if layout_error:
            raise _unsupported(self)
        raise NotImplementedError(_no_kernel(f"aten::{name}"))
    method.__name__ = name
    return method


# -- making compressed tensors -------------------------------------------------------------------

def _new(cl, ci, pi, v, shape, device):
    """A compressed tensor of layout ``cl`` over the three arrays (no history)."""
    t = shell(CompressedTensor, _SparseMeta(shape, v.dtype), device)
    t._cl = cl
    t._ci = ci
    t._pi = pi
    t._cv = v
    return t


def _on(arr, device):
    """Host array ``arr`` in ``device``'s memory.  (Compressed tensors keep their index and
    value arrays on the host on every device; what leaves them as a dense tensor goes to
    the GPU when they are tagged with one.)"""
    if device is not None and device.type == "cuda" and type(arr) is np.ndarray:
        from ._device import xp_for

        return xp_for(device).asarray(arr)
    return arr


def _out(arr, device):
    """A dense tensor on ``device`` with the host array ``arr``'s values."""
    return wrap(_on(arr, device), device)


def _make(cl, ci, pi, v, shape, inputs, name, rule, device):
    """A compressed result of an op, recorded in the graph when an input requires grad."""
    out = _new(cl, ci, pi, v, shape, device)
    if rule is not None and _core.needs_grad(inputs) and v.dtype.kind in "fc":
        out._grad_fn = _core._node(name, rule, inputs)
        out._requires_grad = True
    return out


def _like(pattern, v):
    """A compressed tensor with ``pattern``'s indices and the value array ``v``."""
    return _new(pattern._cl, pattern._ci, pattern._pi, v, pattern.shape, pattern._device)


_BETA = ("Sparse {} tensor support is in beta state. If you miss a functionality in the sparse "
         "tensor support, please submit a feature request to "
         "https://github.com/pytorch/pytorch/issues.")


def _beta_warning(key):
    """PyTorch's once-per-process warning, naming the layout of the first compressed tensor."""
    from ._warnings import warn_once

    warn_once("sparse compressed beta", _BETA.format(key.upper()),
              cpp="aten/src/ATen/SparseCsrTensorImpl.cpp:49")


def _index_array(x, what):
    if isinstance(x, Tensor):
        if isinstance(x, (SparseTensor, CompressedTensor)):
            raise TypeError(f"{what} must be a dense tensor")
        a = _core.to_host(x._data)
    else:
        from ._ops.creation import tensor

        a = tensor(x)._data
    return a


def _dtype_label(a):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool"}.get(
                a.dtype.name, a.dtype.name)


def sparse_compressed_tensor(compressed_indices, plain_indices, values, size=None, *,
                             dtype=None, layout=None, device=None, pin_memory=False,
                             requires_grad=False, check_invariants=None):
    """``torch.sparse_compressed_tensor``: a tensor of layout ``layout`` (``sparse_csr``,
    ``sparse_csc``, ``sparse_bsr`` or ``sparse_bsc``) from its three parts; the size is
    inferred from the indices and the values' shape when not given."""
    key = None if layout is None else _layout_key(layout)
    if key is None:
        got = "none" if layout is None else ("Sparse" if str(layout) == "torch.sparse_coo"
                                             else "Strided")
        raise RuntimeError(f"sparse_compressed_tensor expected sparse compressed tensor layout "
                           f"but got {got}")
    return _create(key, compressed_indices, plain_indices, values, size, dtype, device,
                   requires_grad, check_invariants)


def _factory(key):
    c, p, _ = _NAMES[key]

    def fn(compressed_indices=None, plain_indices=None, values=None, size=None, *, dtype=None,
           device=None, pin_memory=False, requires_grad=False, check_invariants=None,
           **names):
        # (PyTorch's names for the indices: ``crow_indices``/``col_indices`` for csr...)
        compressed_indices = names.pop(c, compressed_indices)
        plain_indices = names.pop(p, plain_indices)
        if names:
            raise TypeError(f"sparse_{key}_tensor() got an unexpected keyword argument "
                            f"'{next(iter(names))}'")
        if compressed_indices is None or plain_indices is None or values is None:
            missing = [n for n, v in ((c, compressed_indices), (p, plain_indices),
                                      ("values", values)) if v is None]
            raise TypeError(f"sparse_{key}_tensor() missing {len(missing)} required positional "
                            f"arguments: {', '.join(repr(m) for m in missing)}")
        return _create(key, compressed_indices, plain_indices, values, size, dtype, device,
                       requires_grad, check_invariants)
    fn.__name__ = fn.__qualname__ = f"sparse_{key}_tensor"
    fn.__doc__ = (f"``torch.sparse_{key}_tensor({c}, {p}, values, size=None)``: a "
                  f"``sparse_{key}`` tensor from its parts (see ``sparse_compressed_tensor``).")
    return fn


sparse_csr_tensor = _factory("csr")
sparse_csc_tensor = _factory("csc")
sparse_bsr_tensor = _factory("bsr")
sparse_bsc_tensor = _factory("bsc")


def _create(key, cidx, pidx, values, size, dtype, device, requires_grad, check_invariants):
    from ._ops.creation import tensor

    if check_invariants is None:
        from .sparse import check_sparse_tensor_invariants

        if not check_sparse_tensor_invariants._explicit:
            from ._sparse import _IMPLICIT_CHECKS
            from ._warnings import warn_once

            warn_once("sparse invariants", _IMPLICIT_CHECKS, cpp="aten/src/ATen/Context.cpp:816")
        check_invariants = check_sparse_tensor_invariants.is_enabled()
    if isinstance(values, Tensor):
        vt = values
        if dtype is not None and D.to_dtype(dtype) is not vt.dtype:
            vt = vt.to(D.to_dtype(dtype))
    else:
        vt = tensor(values, dtype=None if dtype is None else D.to_dtype(dtype))
    if device is not None:
        vt = vt.to(device)
    ci, pi = _index_array(cidx, "compressed_indices"), _index_array(pidx, "plain_indices")
    cname, pname, _ = _NAMES[key]
    if ci.ndim != pi.ndim:
        raise RuntimeError(f"{cname} and {pname} dimensionalities must be equal but got "
                           f"{ci.ndim} and {pi.ndim}, respectively")
    nb = ci.ndim - 1
    blocked = key in _BLOCKED
    v = vt._data
    if v.ndim <= nb + (2 if blocked else 0):
        raise RuntimeError(f"values must have dimensionality > sum of batch and block "
                           f"dimensionalities (={nb} + {2 if blocked else 0}) but got {v.ndim}")
    bs = tuple(v.shape[nb + 1:nb + 3]) if blocked else (1, 1)
    dense = tuple(v.shape[nb + (3 if blocked else 1):])
    if size is None:
        n_comp = ci.shape[-1] - 1 if ci.ndim else 0
        n_plain = int(pi.max()) + 1 if pi.size else 0
        r, c = (n_comp, n_plain) if key in _ROWWISE else (n_plain, n_comp)
        shape = tuple(ci.shape[:-1]) + (r * bs[0], c * bs[1]) + dense
    else:
        shape = tuple(int(n) for n in size)
    if check_invariants:
        _check(key, ci, pi, v, shape, nb, bs, dense)
    # (indices that are neither int32 nor int64 are stored as int64, as a checked PyTorch
    # tensor would refuse them)
    ci = ci if ci.dtype in (np.int32, np.int64) else ci.astype(np.int64)
    pi = pi if pi.dtype in (np.int32, np.int64) else pi.astype(np.int64)
    _beta_warning(key)
    src = None

    def rule(ctx, g):
        return (_out(_gather(g, src), g._device),)
    src = _make(key, ci, pi, v, shape, (vt,), "SparseCompressedTensorBackward0", rule,
                vt._device)
    if requires_grad:
        src.requires_grad_(True)
    return src


def _check(key, ci, pi, v, shape, nb, bs, dense):
    """PyTorch's invariant checks of a compressed tensor, in its order and words."""
    cname, pname, _ = _NAMES[key]
    rowwise = key in _ROWWISE
    if ci.dtype != pi.dtype:
        raise RuntimeError(f"{cname} and {pname} must have the same dtype, bot got "
                           f"{_dtype_label(ci)} and {_dtype_label(pi)}, respectively")
    if ci.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"{cname} and {pname} dtype must be Int or Long, but got "
                           f"{_dtype_label(ci)}")
    if len(shape) != nb + 2 + len(dense):
        raise RuntimeError(f"tensor dimensionality must be sum of batch, base, and dense "
                           f"dimensionalities (={nb} + 2 + {len(dense)}) but got {len(shape)}")
    for k in (0, 1):
        if shape[nb + k] % bs[k]:
            raise RuntimeError(f"tensor shape[{nb + k}] (={shape[nb + k]}) must be divisible "
                               f"with blocksize[{k}] (={bs[k]}) as defined by values shape")
    nrows, ncols = shape[nb] // bs[0], shape[nb + 1] // bs[1]
    n_comp, n_plain = (nrows, ncols) if rowwise else (ncols, nrows)
    what = ("rows", "ncols") if rowwise else ("columns", "nrows")
    if ci.shape[-1] != n_comp + 1:
        raise RuntimeError(f"{cname}.shape[-1] must be equal to the number of {what[0]} + 1 "
                           f"(={n_comp + 1}), but got {ci.shape[-1]}")
    nnz = v.shape[nb]
    if pi.shape[-1] != nnz:
        raise RuntimeError(f"{pname}.shape[-1] must be equal to nnz (={nnz}) as defined by "
                           f"values.shape[{nb}], but got {pi.shape[-1]}")
    ci2 = ci.reshape(-1, ci.shape[-1])
    pi2 = pi.reshape(-1, pi.shape[-1])
    if ci2.size and (ci2[:, 0] != 0).any():
        raise RuntimeError(f"`{cname}[..., 0] == 0` is not satisfied.")
    if ci2.size and (ci2[:, -1] != nnz).any():
        raise RuntimeError(f"`{cname}[..., -1] == nnz` is not satisfied.")
    if pi2.size and ((pi2 < 0) | (pi2 >= n_plain)).any():
        raise RuntimeError(f"`0 <= {pname} < {what[1]}` is not satisfied.")
    # (row by row, as PyTorch: the row's length first, then the order of its indices)
    for c, p in zip(ci2, pi2):
        for i in range(1, len(c)):
            if not 0 <= c[i] - c[i - 1] <= n_plain:
                raise RuntimeError(f"`0 <= {cname}[..., 1:] - {cname}[..., :-1] <= "
                                   f"{what[1]}` is not satisfied.")
            seg = p[c[i - 1]:c[i]]
            if seg.size > 1 and (np.diff(seg) <= 0).any():
                raise RuntimeError(f"`{pname}[..., {cname}[..., i - 1]:{cname}[..., i]] for "
                                   f"all i = 1, ..., {'nrows' if rowwise else 'ncols'} are "
                                   "sorted and distinct along the last dimension values` is "
                                   "not satisfied.")


# -- array work -----------------------------------------------------------------------------------

def _entries(t):
    """Block row, block column and value of each entry of a 2-D (unbatched) tensor, in
    storage order."""
    ci, pi = _core.to_host(t._ci), _core.to_host(t._pi)
    comp = np.repeat(np.arange(ci.shape[0] - 1), np.diff(ci).astype(np.int64))
    plain = pi.astype(np.int64)
    r, c = (comp, plain) if t._cl in _ROWWISE else (plain, comp)
    return r, c, _core.to_host(t._cv)


def _blocks_of(t):
    """The values as ``(*batch, nnz, b0, b1, *dense)`` (unblocked layouts get 1 x 1)."""
    v = _core.to_host(t._cv)
    if t._cl in _BLOCKED:
        return v
    nb = t._nbatch()
    return v.reshape(v.shape[:nb + 1] + (1, 1) + v.shape[nb + 1:])


def _dense_arr(t):
    nb = t._nbatch()
    shape = tuple(t.shape)
    b0, b1 = t._blocksize()
    rows, cols = shape[nb], shape[nb + 1]
    vb = _blocks_of(t)
    out = np.zeros(shape[:nb] + (rows // b0, cols // b1, b0, b1) + shape[nb + 2:],
                   dtype=vb.dtype)
    ci, pi = _core.to_host(t._ci), _core.to_host(t._pi)
    for bi in np.ndindex(*shape[:nb]):
        c, p = ci[bi], pi[bi]
        comp = np.repeat(np.arange(c.shape[0] - 1), np.diff(c).astype(np.int64))
        r, k = (comp, p) if t._cl in _ROWWISE else (p, comp)
        np.add.at(out[bi], (r, k), vb[bi])
    out = np.moveaxis(out, nb + 2, nb + 1)
    return np.ascontiguousarray(out).reshape(shape)


def _gather(g, pattern):
    """The entries of gradient ``g`` (dense or compressed) at ``pattern``'s entries, shaped as
    ``pattern``'s values."""
    if isinstance(g, CompressedTensor):
        if g._cl == pattern._cl and g._ci is pattern._ci and g._pi is pattern._pi:
            return g._cv
        g = g.to_dense()
    if isinstance(g, SparseTensor):
        g = g.to_dense()
    return _compress(_core.to_host(g._data), pattern._cl, pattern._blocksize(),
                     pattern.dense_dim(), pattern)[2]


def _compress(a, key, bs, dense_dim, pattern=None):
    """Compressed indices, plain indices and values of dense array ``a`` (its non-zero blocks,
    or ``pattern``'s entries when given)."""
    dd = int(dense_dim or 0)
    nb = a.ndim - 2 - dd
    b0, b1 = bs
    batch, dense = a.shape[:nb], a.shape[nb + 2:]
    rows, cols = a.shape[nb], a.shape[nb + 1]
    blocks = a.reshape(batch + (rows // b0, b0, cols // b1, b1) + dense)
    blocks = np.moveaxis(blocks, nb + 1, nb + 2)  # (*batch, nbr, nbc, b0, b1, *dense)
    rowwise = key in _ROWWISE
    cis, pis, vs = [], [], []
    for bi in np.ndindex(*batch):
        blk = blocks[bi]
        if pattern is None:
            inner = int(np.prod(blk.shape[2:]))  # (not -1: the tensor may be empty)
            mask = (blk != 0).reshape(blk.shape[:2] + (inner,)).any(-1)
            if rowwise:
                r, c = np.nonzero(mask)
            else:
                c, r = np.nonzero(mask.T)
        else:
            c_arr, p_arr = _core.to_host(pattern._ci)[bi], _core.to_host(pattern._pi)[bi]
            comp = np.repeat(np.arange(c_arr.shape[0] - 1), np.diff(c_arr).astype(np.int64))
            r, c = (comp, p_arr) if rowwise else (p_arr, comp)
        comp, n_comp = (r, blk.shape[0]) if rowwise else (c, blk.shape[1])
        counts = np.bincount(comp, minlength=n_comp) if comp.size else np.zeros(n_comp, int)
        cis.append(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))
        pis.append((c if rowwise else r).astype(np.int64))
        vs.append(blk[r, c])
    if len({p.shape[0] for p in pis}) > 1:
        raise RuntimeError("Expect the same number of specified elements per batch.")
    ci = np.stack(cis).reshape(batch + cis[0].shape) if cis else \
        np.zeros(batch + (1,), np.int64)
    pi = np.stack(pis).reshape(batch + pis[0].shape)
    v = np.stack(vs).reshape(batch + vs[0].shape)
    if key not in _BLOCKED:
        v = v[(slice(None),) * (nb + 1) + (0, 0)]
    return ci, pi, np.ascontiguousarray(v)


def _from_entries(key, r, c, v, shape, idx_dtype=np.int64):
    """A 2-D compressed tensor's arrays from (block) entries ``r``, ``c`` with values ``v``
    (no duplicates), sorted into ``key``'s order."""
    rowwise = key in _ROWWISE
    bs = v.shape[1:3] if key in _BLOCKED else (1, 1)
    n_comp = shape[0] // bs[0] if rowwise else shape[1] // bs[1]
    comp, plain = (r, c) if rowwise else (c, r)
    order = np.lexsort((plain, comp))
    counts = np.bincount(comp, minlength=n_comp) if comp.size else np.zeros(n_comp, np.int64)
    ci = np.concatenate([[0], np.cumsum(counts)]).astype(idx_dtype)
    return ci, plain[order].astype(idx_dtype), np.ascontiguousarray(v[order])


# -- conversions ---------------------------------------------------------------------------------

_TO_NAME = {"csr": "ToSparseCsrBackward0", "csc": "ToSparseCscBackward0",
            "bsr": "ToSparseBsrBackward0", "bsc": "ToSparseBscBackward0"}


def _blocksize_arg(key, blocksize, src_layout):
    if key not in _BLOCKED:
        return (1, 1)
    if blocksize is None:
        where = {"Strided": "dense_to_sparse", "Sparse": "sparse_coo_to_sparse"}.get(
            src_layout, "sparse_compressed_to_sparse")
        raise RuntimeError(f"{where}: conversion from {src_layout} to "
                           f"{_NAMES[key][2]} without blocksize argument given is not "
                           "supported")
    if isinstance(blocksize, int):
        return (blocksize, blocksize)
    return tuple(int(b) for b in blocksize)


def _to_grad_rule(ctx, g):
    return (g.to_dense() if isinstance(g, (CompressedTensor, SparseTensor)) else g,)


def dense_to_compressed(t, key, blocksize=None, dense_dim=None, src="Strided"):
    """``Tensor.to_sparse_csr()`` and friends on a dense tensor (``src`` names the layout
    the caller converts from, for the messages)."""
    bs = _blocksize_arg(key, blocksize, src)
    a = _core.to_host(t._data)
    dd = int(dense_dim or 0)
    if a.ndim - dd < 2:
        raise RuntimeError(f"to_sparse_{key}: expected a tensor with at least 2 sparse "
                           f"dimensions, got {a.ndim - dd}")
    nb = a.ndim - 2 - dd
    rows, cols = a.shape[nb], a.shape[nb + 1]
    if key in _BLOCKED and (rows % bs[0] or cols % bs[1]):
        where = "coo" if src == "Sparse" else "dense"
        raise RuntimeError(f"{where}_to_sparse_{key}: tensor sparse size ({rows},{cols}) must "
                           f"be divisible by given blocksize ({bs[0]},{bs[1]})")
    if a.dtype in D._WIDE_NP and key not in _BLOCKED:
        from ._float8 import refuse

        refuse(t, "index_select")  # (PyTorch gathers the entries with a kernel these lack)
    elif t.dtype in D.SHELLS:
        raise NotImplementedError(f"\"copy_\" not implemented for '{D.scalar_name(t.dtype)}'")
    _beta_warning(key)
    ci, pi, v = _compress(a, key, bs, dd)
    return _make(key, ci, _second_row(pi), v, a.shape, (t,), _TO_NAME[key], _to_grad_rule,
                 t._device)


def coo_to_compressed(s, key, blocksize=None, dense_dim=None):
    """COO -> compressed: the coalesced entries, sorted into the layout's order (the
    blocked layouts go through the dense tensor)."""
    if s.sparse_dim() != 2:
        raise RuntimeError(f"coo_to_sparse_{key}: conversion from Sparse to "
                           f"{_NAMES[key][2]} for input tensors with sparse_dim()!=2 is not "
                           "supported")
    if key in _BLOCKED:
        return dense_to_compressed(s.to_dense(), key, blocksize, s.dense_dim(), "Sparse")
    c = s.coalesce()
    i, v = _core.to_host(c._sp_i), _core.to_host(c._sp_v)
    _beta_warning(key)
    ci, pi, vv = _from_entries(key, i[0], i[1], v, tuple(s.shape))
    return _make(key, ci, _second_row(pi), vv, s.shape, (s,), _TO_NAME[key], _to_grad_rule,
                 s._device)


def _convert(t, key, blocksize, dense_dim):
    """compressed -> compressed: as PyTorch, between the unblocked layouts, between the
    blocked ones of one blocksize, and from unblocked to blocked.  Entries are moved as
    they are (explicit zeros stay), except for batched tensors and new blocksizes, which go
    through the dense tensor."""
    if (t._cl in _BLOCKED) and key not in _BLOCKED:
        raise RuntimeError(f"sparse_compressed_to_sparse_{key}: expected SparseCsr or "
                           f"SparseCsc layout but got {_NAMES[t._cl][2]}")
    if key in _BLOCKED and blocksize is None:
        raise RuntimeError(f"sparse_compressed_to_sparse: conversion from {_layout_name(t)} to "
                           f"{_NAMES[key][2]} without blocksize argument given is not "
                           "supported")
    bs = _blocksize_arg(key, blocksize, _layout_name(t))
    if t._cl in _BLOCKED and bs != t._blocksize():
        where = f"to_sparse_{key}" if t._cl == key else f"sparse_compressed_to_sparse_{key}"
        raise RuntimeError(f"{where}: conversion from {_layout_name(t)} to "
                           f"{_NAMES[key][2]} with blocksize changed from "
                           f"{list(t._blocksize())} to {list(bs)} is not supported")
    if t._cl == key:
        return t
    if t._nbatch() or bs != t._blocksize():
        return dense_to_compressed(t.to_dense(), key, bs, t.dense_dim())
    r, c, v = _entries(t)
    if key in _BLOCKED and t._cl not in _BLOCKED:
        v = v.reshape(v.shape[:1] + (1, 1) + v.shape[1:])
    ci, pi, vv = _from_entries(key, r, c, v, tuple(t.shape), t._ci.dtype.type)
    return _make(key, ci, _second_row(pi), vv, t.shape, (t,), _TO_NAME[key], _to_grad_rule,
                 t._device)


def _second_row(pi):
    """The plain indices of a conversion as PyTorch's: the second row of a two-row index
    array (its COO indices'), so that they start at an offset of their own size."""
    if type(pi) is not np.ndarray or not pi.size:
        return pi
    buf = np.empty(2 * pi.size, pi.dtype)
    buf[pi.size:] = pi.reshape(-1)
    return buf[pi.size:].reshape(pi.shape)


# -- arithmetic ----------------------------------------------------------------------------------

def _scale(s, c):
    vt = wrap(s._cv, s._device)
    r = vt * c
    src = s

    def rule(ctx, g):
        return (g * c,)
    return _make(src._cl, src._ci, src._pi, r._data, src.shape, (s,), "MulBackward0", rule,
                 s._device)


def _mul_dense(s, d):
    """Compressed times a dense tensor of its shape: the values times ``d`` at the entries."""
    if tuple(d.shape) != tuple(s.shape):
        raise NotImplementedError(_no_kernel("aten::mul.Tensor"))
    dv = _gather(d, s)
    out = s._cv * dv
    src = s

    def rule(ctx, g):
        n0, n1 = ctx.needs_input_grad
        gv = _gather(g, src)
        return (_like(src, gv * dv) if n0 else None,
                _like(src, gv * src._cv).to_dense() if n1 else None)
    return _make(s._cl, s._ci, s._pi, out, s.shape, (s, d), "MulBackward0", rule, s._device)


# Elementwise ops that map zero to zero, applied to the values.  The second set has no
# compressed gradient in PyTorch 2.13 (its backward fails with the unsupported-layout error).
_VALUEWISE = ("abs", "relu", "log1p", "sign", "trunc", "floor", "ceil", "round", "frac",
              "deg2rad", "rad2deg", "angle", "sin", "sqrt", "tan", "tanh", "asin", "atan",
              "sinh", "asinh", "atanh", "erf", "erfinv", "expm1", "sgn", "isnan", "isinf",
              "isposinf", "isneginf", "signbit")
_NO_BACKWARD = {"sin", "sqrt", "tan", "tanh", "asin", "atan", "sinh", "asinh", "atanh", "erf",
                "erfinv", "expm1", "sgn"}


def _valuewise_method(op):
    def method(self):
        return _valuewise(self, op)
    method.__name__ = op
    return method


for _op in _VALUEWISE:
    setattr(CompressedTensor, _op, _valuewise_method(_op))


def _valuewise(s, op):
    name = {"log1p": "Log1PBackward0", "deg2rad": "Deg2RadBackward0",
            "rad2deg": "Rad2DegBackward0"}.get(op, op.capitalize() + "Backward0")
    vt = wrap(s._cv, s._device).requires_grad_(s._cv.dtype.kind in "fc" and s._requires_grad)
    with _core.quiet:
        r = getattr(vt, op)()
    src = s

    def rule(ctx, g):
        if op in _NO_BACKWARD:
            raise _unsupported(src)
        if op == "log1p":
            from ._warnings import warn

            warn("log1p_backward: received self with sparse layout, but backward requires "
                 "materialization of a dense tensor with this shape")
        gv = _gather(g, src)
        from .autograd import grad as agrad

        (gi,) = agrad(r, vt, wrap(gv, src._device), retain_graph=True)
        return (_like(src, gi._data),)
    return _make(s._cl, s._ci, s._pi, r.detach()._data, s.shape, (s,), name, rule, s._device)


def _check_same(a, b, op):
    if a._cl != b._cl:
        name, rowwise = ("crow_indices", True) if a._cl in _ROWWISE else ("ccol_indices", False)
        kind = "row" if rowwise else "column"
        raise RuntimeError(f"{name} expected sparse {kind} compressed tensor layout but got "
                           f"{_layout_name(b)}")
    if tuple(a.shape) != tuple(b.shape):
        raise RuntimeError(f"{op}: expected self and other to have same size, but self has "
                           f"size {list(a.shape)} while other has size {list(b.shape)}")
    if a._nbatch() or a.dense_dim() or a._cl in _BLOCKED:
        raise NotImplementedError(_no_kernel(f"aten::{op}"))


def _keys(t):
    r, c, v = _entries(t)
    return r * int(t.shape[1]) + c, v


def _add_compressed(a, b, alpha):
    if a is b:  # NOTE: PyTorch adds a tensor to itself on its values alone (any layout or
        # dtype: the checks below are skipped), with the dense sum's roundings
        va = a._cv
        if va.dtype == np.bool_:
            v = va | (va & bool(alpha))
        else:
            from ._ops.pointwise import add

            vt = wrap(va, a._device)
            v = add(vt, vt, alpha=alpha)._data

        def rule_same(ctx, g):
            return _like(a, _gather(g, a)), _like(a, _gather(g, a) * alpha)
        return _make(a._cl, a._ci.copy(), a._pi.copy(), v, a.shape, (a, b), "AddBackward0",
                     rule_same, a._device)
    # NOTE: PyTorch's CPU sum of two compressed tensors is MKL's CSR add (BSR aside): a
    # column-wise operand is refused as not row-wise (even with the same layout), the
    # operands' dtypes must agree, and integer values have no kernel (the shapes come first)
    if tuple(a.shape) != tuple(b.shape):
        raise RuntimeError("torch.add: Expected input tensors to have the same shape, but got "
                           f"tensor `self` with shape {list(a.shape)} and tensor `other` with "
                           f"shape {list(b.shape)}")
    for t in (a, b):
        if t._cl not in _ROWWISE:
            raise RuntimeError("crow_indices expected sparse row compressed tensor layout but "
                               f"got {_layout_name(t)}")
    if a._cl == "csr" == b._cl:
        want = D.promote_types(a.dtype, b.dtype)
        for t in (a, b):
            if t.dtype is not want:
                raise RuntimeError(f"expected scalar type {D.scalar_name(want)} but found "
                                   f"{D.scalar_name(t.dtype)}")
        if not (want.is_floating_point or want.is_complex):
            raise NotImplementedError("\"add_out_sparse_csr_impl_mkl\" not implemented for "
                                      f"'{D.scalar_name(want)}'")
    _check_same(a, b, "add")
    ka, va = _keys(a)
    kb, vb = _keys(b)
    dt = D.promote_types(a.dtype, b.dtype).np
    keys, inv = np.unique(np.concatenate([ka, kb]), return_inverse=True)
    vals = np.zeros(keys.shape, dt)
    if dt in (np.float32, np.float64) and alpha != 1:
        # NOTE: PyTorch adds through MKL's sparse add, fused: ``alpha * b + a`` rounded once
        from ._random import _fma32, _fma64

        at = inv[ka.size:]
        vals[inv[:ka.size]] = va  # (each key once per operand)
        vals[at] = (_fma32 if dt == np.float32 else _fma64)(
            vb.astype(dt), dt.type(alpha), vals[at])
    else:
        np.add.at(vals, inv[:ka.size], va.astype(dt))
        np.add.at(vals, inv[ka.size:], (vb * alpha).astype(dt))
    n = int(a.shape[1])
    ci, pi, v = _from_entries(a._cl, keys // n, keys % n, vals, tuple(a.shape))

    def rule(ctx, g):
        n0, n1 = ctx.needs_input_grad
        return (_like(a, _gather(g, a)) if n0 else None,
                _like(b, _gather(g, b) * alpha) if n1 else None)
    return _make(a._cl, ci, pi, v, a.shape, (a, b), "AddBackward0", rule, a._device)


def _mul_compressed(a, b):
    _check_same(a, b, "mul")
    ka, va = _keys(a)
    kb, vb = _keys(b)
    keys, ia, ib = np.intersect1d(ka, kb, assume_unique=True, return_indices=True)
    dt = D.promote_types(a.dtype, b.dtype).np
    vals = va[ia].astype(dt) * vb[ib].astype(dt)
    n = int(a.shape[1])
    ci, pi, v = _from_entries(a._cl, keys // n, keys % n, vals, tuple(a.shape))
    bd, ad = b.detach(), a.detach()

    def rule(ctx, g):
        n0, n1 = ctx.needs_input_grad
        gd = g.to_dense() if isinstance(g, CompressedTensor) else g
        return (_like(a, _gather(gd * bd.to_dense(), a)) if n0 else None,
                _like(b, _gather(gd * ad.to_dense(), b)) if n1 else None)
    return _make(a._cl, ci, pi, v, a.shape, (a, b), "MulBackward0", rule, a._device)


# -- products ------------------------------------------------------------------------------------

_CPP = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
        "int64": "Long", "int32": "Int", "complex64": "ComplexFloat",
        "complex128": "ComplexDouble"}


def _check_mm(a, b):
    for t in (a, b):
        if isinstance(t, CompressedTensor) and (t._nbatch() or t.dense_dim()):
            raise RuntimeError(f"Sparse {t._cl.upper()} tensors do not have strides")
    if isinstance(a, CompressedTensor) and a._cl == "bsc":
        raise RuntimeError("addmm: computation on CPU is not implemented for Strided + "
                           "SparseBsc @ Strided")
    if isinstance(b, CompressedTensor) and b._cl == "bsr" and not isinstance(a, CompressedTensor):
        raise RuntimeError("addmm: computation on CPU is not implemented for Strided + "
                           "Strided @ SparseBsr")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {_CPP.get(a.dtype.name, a.dtype.name)} but "
                           f"found {_CPP.get(b.dtype.name, b.dtype.name)}")
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"{'mat1' if a.ndim != 2 else 'mat2'} must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")


def _arr(t):
    return _dense_arr(t) if isinstance(t, CompressedTensor) else _core.to_host(t._data)


def _segment_sum(keys, vals, n):
    """``out[k] = sum of vals[i] where keys[i] == k`` for ``k < n`` (rows in key order)."""
    out = np.zeros((n,) + vals.shape[1:], dtype=vals.dtype)
    if keys.size == 0:
        return out
    if (keys[1:] < keys[:-1]).any():
        order = np.argsort(keys, kind="stable")
        keys, vals = keys[order], vals[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    out[keys[starts]] = np.add.reduceat(vals, starts, axis=0)
    return out


def _spmm(t, d):
    """Array of ``t @ d`` for a 2-D compressed ``t`` and a dense 2-D array ``d``, from the
    entries alone (``t`` is never densified)."""
    r, c, v = _entries(t)
    b0, b1 = t._blocksize()
    p = d.shape[1]
    with _core.quiet:
        if t._cl not in _BLOCKED:
            return _segment_sum(r, v[:, None] * d[c], t.shape[0])
        blocks = d.reshape(t.shape[1] // b1, b1, p)[c]        # (nnz, b1, p)
        out = _segment_sum(r, np.matmul(v, blocks), t.shape[0] // b0)  # (rows/b0, b0, p)
    return out.reshape(t.shape[0], p)


def _prod(x, y):
    """Array of ``x @ y``; each a 2-D compressed tensor or a dense array."""
    cx, cy = isinstance(x, CompressedTensor), isinstance(y, CompressedTensor)
    if cx and not cy:
        return _spmm(x, y)
    if cy and not cx:
        return _spmm(y.t(), x.T).T  # (x @ y = (y^T @ x^T)^T; y.t() only relabels y)
    return (_dense_arr(x) if cx else x) @ (_dense_arr(y) if cy else y)


def _operand(t):
    """A product's operand for ``_prod``: compressed tensors as they are, dense ones as
    arrays."""
    return t.detach() if isinstance(t, CompressedTensor) else _core.to_host(t._data)


def _t(x):
    return x.t() if isinstance(x, CompressedTensor) else x.T


def mm(a, b, name="MmBackward0"):
    """``torch.mm``/``matmul``/``@`` with a compressed operand (a 1-D ``b`` is a vector).
    A compressed times a compressed gives a compressed result (of ``a``'s layout); otherwise
    the result is dense.  NOTE: as PyTorch, the gradient a compressed operand gets here is
    dense."""
    if b.ndim == 1 and isinstance(a, CompressedTensor):
        return _mv(a, b)
    if isinstance(a, SparseTensor) or isinstance(b, SparseTensor):
        raise RuntimeError(f"addmm: computation on CPU is not implemented for "
                           f"{_layout_name(a)} + {_layout_name(a)} @ {_layout_name(b)}")
    if b.ndim > 2 and isinstance(a, CompressedTensor):
        raise RuntimeError(f"expand is unsupported for {_layout_name(a)} tensors")
    _check_mm(a, b)
    ad, bd = _operand(a), _operand(b)
    out = _prod(ad, bd)

    def rule(ctx, g):
        n0, n1 = ctx.needs_input_grad
        gd = _arr(g)
        return (_out(_prod(gd, _t(bd)), a._device) if n0 else None,
                _out(_prod(_t(ad), gd), b._device) if n1 else None)
    if isinstance(a, CompressedTensor) and isinstance(b, CompressedTensor):
        ci, pi, v = _compress(out, a._cl, (1, 1), 0)
        return _make(a._cl, ci, pi, v, out.shape, (a, b), name, rule, a._device)
    return _core.make(_on(out, a._device), (a, b), name, rule, device=a._device)


def _mv(a, vec):
    """``C @ v`` for a compressed matrix ``C`` and a vector ``v``."""
    if a._nbatch() or a.dense_dim() or a.ndim != 2:
        raise NotImplementedError(_no_kernel("aten::mv"))
    if a.dtype is not vec.dtype:
        raise RuntimeError(f"expected scalar type {_CPP.get(a.dtype.name, a.dtype.name)} but "
                           f"found {_CPP.get(vec.dtype.name, vec.dtype.name)}")
    if a.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x"
                           f"{a.shape[1]}), vec ({vec.shape[0]})")
    ad, vd = a.detach(), _core.to_host(vec._data)
    out = _spmm(ad, vd[:, None])[:, 0]

    def rule(ctx, g):
        n0, n1 = ctx.needs_input_grad
        gd = _core.to_host(g._data)
        return (_out(np.outer(gd, vd), a._device) if n0 else None,
                _out(_spmm(ad.t(), gd[:, None])[:, 0], vec._device) if n1 else None)
    return _core.make(_on(out, vec._device), (a, vec), "MvBackward0", rule, device=vec._device)


def addmm(bias, a, b, *, beta=1, alpha=1):
    """``torch.addmm(bias, a, b)``: ``beta * bias + alpha * (a @ b)`` with a compressed
    ``a`` or ``b`` and a dense ``bias``."""
    _check_mm(a, b)
    ad, bd = _operand(a), _operand(b)
    prod = _prod(ad, bd)
    c = _core.to_host(bias._data)
    out = (beta * c if beta != 1 else c) + (alpha * prod if alpha != 1 else prod)
    out = np.asarray(out, dtype=prod.dtype) if beta else np.asarray(alpha * prod, prod.dtype)
    shape = tuple(bias.shape)

    def rule(ctx, g):
        n0, n1, n2 = ctx.needs_input_grad
        gd = _arr(g)
        gb = None
        if n0:
            gb = gd * beta
            while gb.ndim > len(shape):
                gb = gb.sum(0)
            for k, n in enumerate(shape):
                if n == 1 and gb.shape[k] != 1:
                    gb = gb.sum(k, keepdims=True)
        return (_out(np.asarray(gb, gd.dtype), bias._device) if n0 else None,
                _out(alpha * _prod(gd, _t(bd)), a._device) if n1 else None,
                _out(alpha * _prod(_t(ad), gd), b._device) if n2 else None)
    return _core.make(_on(out, bias._device), (bias, a, b), "AddmmBackward0", rule,
                      device=bias._device)


# -- gradients of leaves ------------------------------------------------------------------------

def accumulate(var, grad):
    """Add ``grad`` into ``var.grad`` where either is compressed.  As PyTorch 2.13: a first
    gradient is kept as it is; a compressed one added onto a dense ``.grad`` is added in
    place, as one onto a compressed ``.grad`` (their sum's pattern holds both); adding a dense
    one onto a compressed ``.grad`` fails as PyTorch's does."""
    old = var._grad
    if old is None:
        var._grad = grad.detach() if isinstance(grad, CompressedTensor) else \
            grad.detach().clone()
        return
    if isinstance(old, CompressedTensor):
        if isinstance(grad, CompressedTensor):
            old.add_(grad.detach())
            return
        raise RuntimeError(f"Sparse {old._cl.upper()} tensors do not have is_contiguous")
    add = _dense_arr(grad) if isinstance(grad, CompressedTensor) else _core.to_host(grad._data)
    old._data += add.astype(old._data.dtype, copy=False)
    old._vc.v += 1


# -- printing and pickling -----------------------------------------------------------------------

def _repr(t):
    from . import _tensor_str as TS

    opts = TS._OPTS
    indent = 7
    cname, pname, _ = _NAMES[t._cl]

    def part(prefix, arr, floating):
        if arr.size == 0:
            return prefix + "[]" + f", size={tuple(arr.shape)})"
        return prefix + TS._contents(arr, floating, indent + len(prefix), opts) + ")"
    body = ("tensor(" + part(cname + "=tensor(", _core.to_host(t._ci), False) + ",\n" +
            " " * indent + part(pname + "=tensor(", _core.to_host(t._pi), False) + ",\n" +
            " " * indent + part("values=tensor(", _core.to_host(t._cv),
                                bool(t.dtype.is_floating_point)))
    suffixes = []
    if t._device.type != "cpu":
        suffixes.append(f"device='{t._device}'")
    suffixes += [f"size={tuple(int(n) for n in t.shape)}", f"nnz={t._nnz()}"]
    default = D.get_default_dtype().name
    if t.dtype.name not in (default, "int64", "bool",
                            "complex128" if default == "float64" else "complex64"):
        suffixes.append(f"dtype={t.dtype}")
    suffixes.append(f"layout=torch.sparse_{t._cl}")
    fn = t._grad_fn
    if fn is not None:
        suffixes.append(f"grad_fn=<{type(fn).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return TS._add_suffixes(body, suffixes, indent, opts.linewidth)


def _rebuild_compressed(layout, data):
    """``torch._utils._rebuild_sparse_tensor`` for the compressed layouts."""
    cidx, pidx, values, size = data
    return sparse_compressed_tensor(cidx, pidx, values, size, layout=layout,
                                    check_invariants=False)


# -- the dense (and COO) tensor's doors --------------------------------------------------------

def _dense_to_sparse_csr(self, dense_dim=None):
    if isinstance(self, SparseTensor):
        return coo_to_compressed(self, "csr", None, dense_dim)
    return dense_to_compressed(self, "csr", None, dense_dim)


def _dense_to_sparse_csc(self, dense_dim=None):
    if isinstance(self, SparseTensor):
        return coo_to_compressed(self, "csc", None, dense_dim)
    return dense_to_compressed(self, "csc", None, dense_dim)


def _dense_to_sparse_bsr(self, blocksize, dense_dim=None):
    if isinstance(self, SparseTensor):
        return coo_to_compressed(self, "bsr", blocksize, dense_dim)
    return dense_to_compressed(self, "bsr", blocksize, dense_dim)


def _dense_to_sparse_bsc(self, blocksize, dense_dim=None):
    if isinstance(self, SparseTensor):
        return coo_to_compressed(self, "bsc", blocksize, dense_dim)
    return dense_to_compressed(self, "bsc", blocksize, dense_dim)


def _wrong_layout(name, wanted):
    def method(self, *args, **kwargs):
        raise RuntimeError(f"{name} expected {wanted} tensor layout but got "
                           f"{_layout_name(self)}")
    method.__name__ = name
    return method


def _dense_sparse_dim(self):
    return 0


def _dense_dense_dim(self):
    return self.ndim


def _aten_cpu(name):
    def method(self, *args, **kwargs):
        raise NotImplementedError(
            f"Could not run 'aten::{name}' with arguments from the 'CPU' backend. This could be "
            f"because the operator doesn't exist for this backend. 'aten::{name}' is only "
            "available for sparse tensors.")
    method.__name__ = name
    return method


def _install():
    import functools

    from . import _sparse

    Tensor._compressed = False  # (read by the products to route a compressed operand here)
    for name, fn in (("to_sparse_csr", _dense_to_sparse_csr),
                     ("to_sparse_csc", _dense_to_sparse_csc),
                     ("to_sparse_bsr", _dense_to_sparse_bsr),
                     ("to_sparse_bsc", _dense_to_sparse_bsc)):
        setattr(Tensor, name, fn)
        setattr(SparseTensor, name, fn)
    for name, kind in (("crow_indices", "sparse row compressed"),
                       ("col_indices", "sparse row compressed"),
                       ("ccol_indices", "sparse column compressed"),
                       ("row_indices", "sparse column compressed")):
        setattr(Tensor, name, _wrong_layout(name, kind))
        setattr(SparseTensor, name, _wrong_layout(name, kind))
    for name in ("coalesce", "is_coalesced", "indices"):
        if name not in Tensor.__dict__:
            setattr(Tensor, name, _wrong_layout(name, "sparse coordinate"))
    if "values" not in Tensor.__dict__:
        Tensor.values = _wrong_layout("values", "sparse")
    if "sparse_dim" not in Tensor.__dict__:
        Tensor.sparse_dim = _dense_sparse_dim
    if "dense_dim" not in Tensor.__dict__:
        Tensor.dense_dim = _dense_dense_dim
    for name in ("_nnz", "_values", "_indices"):
        if name not in Tensor.__dict__:
            setattr(Tensor, name, _aten_cpu(name))

    # ``to_sparse(layout=...)`` on dense and COO tensors
    coo_to_sparse = _sparse.to_sparse

    @functools.wraps(coo_to_sparse)
    def to_sparse(t, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        key = None if layout is None else _layout_key(layout)
        _no_blocksize(key, blocksize, isinstance(t, SparseTensor))
        if key is None:
            return coo_to_sparse(t, sparse_dim, layout=layout, blocksize=blocksize,
                                 dense_dim=dense_dim)
        if isinstance(t, SparseTensor):
            return coo_to_compressed(t, key, blocksize, dense_dim)
        return dense_to_compressed(t, key, blocksize, dense_dim)
    Tensor.to_sparse = to_sparse
    SparseTensor.to_sparse = _coo_to_sparse_method(SparseTensor.to_sparse)


def _no_blocksize(key, blocksize, coo):
    """PyTorch's refusal of a ``blocksize`` for a layout without blocks (``key`` None: COO)."""
    if blocksize is None or key in _BLOCKED:
        return
    to = "Sparse" if key is None else _NAMES[key][2]
    where = ("to_sparse" if key is None else "sparse_coo_to_sparse") if coo else "dense_to_sparse"
    raise RuntimeError(f"{where}: conversion from {'Sparse' if coo else 'Strided'} to {to} with "
                       "blocksize argument given is not supported")


def _coo_to_sparse_method(orig):
    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        key = None if layout is None else _layout_key(layout)
        _no_blocksize(key, blocksize, True)
        if key is None:
            return orig(self, sparse_dim, layout=layout, blocksize=blocksize,
                        dense_dim=dense_dim)
        return coo_to_compressed(self, key, blocksize, dense_dim)
    return to_sparse


def _route_functions():
    """``torch.add(C, ...)``, ``torch.t(C)`` and friends go to the compressed tensor's method."""
    import functools
    import sys

    module = sys.modules.get(__name__.rsplit(".", 1)[0])
    if module is None:
        return
    for name in ("add", "sub", "subtract", "mul", "multiply", "div", "divide", "sum", "t",
                 "transpose", "neg", "negative", "abs", "sin", "sqrt", "relu", "clone", "mv",
                 "exp", "cos", "pow"):
        dense = getattr(module, name, None)
        if dense is None or getattr(dense, "_compressed_routed", False):
            continue

        def make(dense, name):
            @functools.wraps(dense)
            def fn(*args, **kwargs):  # (the dense op's own errors for a missing input)
                if not args and type(kwargs.get("input")) is CompressedTensor:
                    kwargs = dict(kwargs)
                    args = (kwargs.pop("input"),)
                input = args[0] if args else None
                if type(input) is CompressedTensor:
                    return getattr(input, name)(*args[1:], **kwargs)
                if len(args) > 1 and type(args[1]) is CompressedTensor and name in ("add", "mul"):
                    return getattr(args[1], name)(input, *args[2:], **kwargs)
                return dense(*args, **kwargs)
            fn._compressed_routed = True
            return fn
        setattr(module, name, make(dense, name))


install_stubs(CompressedTensor, _KEEP, _DUNDER_OPS,
              lambda name: _stub(name.strip("_"), name in _SPARSE_LAYOUT_OPS))
_install()
_route_functions()
