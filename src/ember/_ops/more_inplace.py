"""More in-place Tensor methods: ``transpose_`` (``swapaxes_``, ``swapdims_``),
``fill_diagonal_``, ``cumsum_``, ``cumprod_``, and the ``take_along_dim`` method.

They are attached to :class:`Tensor` when this module is imported (see the end).

``transpose_`` changes only the tensor's layout, as PyTorch's does: the memory is
the same, the tensor now reads it with two dims swapped, and its history gains a
``TransposeBackward1`` node.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from . import reduce as R
from . import shape as S
from ._core import check_inplace, commit, norm_dim, snapshot

__all__ = ["transpose_", "fill_diagonal_", "cumsum_", "cumprod_", "take_along_dim", "new",
           "resize_", "resize_as_"]


def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dims ``dim0`` and ``dim1`` of ``self`` in place (a new layout, the same memory).

    >>> t = ember.zeros(2, 3); t.transpose_(0, 1).shape
    torch.Size([3, 2])
    """
    check_inplace(self)  # (as PyTorch's: autograd's refusals come before the dims')
    n = self.ndim
    norm_dim(dim0, n)
    norm_dim(dim1, n)
    view = S.transpose(self, dim0, dim1, _name="TransposeBackward1")
    self._data = view._data
    if STATE.enabled and view._grad_fn is not None:
        self._grad_fn, self._output_nr, self._requires_grad = view._grad_fn, 0, True
    self._vc.v += 1  # (as PyTorch: a tensor saved for backward before this is now stale)
    if self._base is not None:
        # The view now reads its base's memory through one more transpose.
        self._view_fn = view._view_fn
        self._view_version = self._vc.v
    return self


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Write ``fill_value`` on the main diagonal (every index ``(i, i, ..., i)``).

    A tall matrix has ``min(rows, cols)`` diagonal entries, or with ``wrap=True`` the
    diagonal starts again after each block of ``cols + 1`` rows (PyTorch's layout:
    every ``cols + 1``-th element of the row-major memory).  Tensors of more than two
    dims must have all dims equal.
    """
    n = self.ndim
    if n < 2:
        raise RuntimeError("dimensions must larger than 1")
    if n > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    size = min(self.shape)
    numel = self.numel()
    if numel == 0:
        return self
    if self.is_contiguous():
        # the diagonal is every ``step``-th element of the flat memory: a strided view
        step = sum(int(np.prod(self.shape[i + 1:])) for i in range(n))
        count = size
        if wrap and n == 2 and self.shape[0] > self.shape[1] + 1:
            count = -(-numel // step)
        flat = self.view(-1)
        flat[0:(count - 1) * step + 1:step].fill_(fill_value)
        return self
    from ._core import has_internal_overlap

    if has_internal_overlap(self._data):  # (PyTorch's: one strided fill, never an index write)
        st = sum(self.stride())
        self.as_strided((size,), (st,), self.storage_offset()).fill_(fill_value)
        return self
    idx = np.arange(size)
    from .creation import tensor

    it = tensor(idx, device=self.device)
    self[(it,) * n] = fill_value
    return self


def _scan_(op, kernel):
    def method(self: Tensor, dim, *, dtype=None) -> Tensor:
        if dtype is not None and dtype is not self.dtype:
            raise RuntimeError(f"Bad in-place call: input tensor dtype {_cpp(self.dtype)} and "
                               f"output tensor dtype {_cpp(dtype)} should match")
        if self.dtype.name == "bool":
            raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
        check_inplace(self)
        new = op(snapshot(self), dim, dtype=self.dtype)
        from . import _overlap_seq

        if _overlap_seq.shares(self):  # (elements sharing memory: in PyTorch's order)
            return _overlap_seq.run(self, [], lambda: _overlap_seq.scan_(self, dim, op),
                                    lambda: commit(self, new))
        return commit(self, new)
    method.__name__ = op.__name__ + "_"
    return method


def _cpp(dt) -> str:
    """PyTorch's C++ spelling of a dtype in its messages (``long int``, ``float``...)."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}.get(dt.name, dt.name)


cumsum_ = _scan_(R.cumsum, "cumsum_out_cpu")
cumprod_ = _scan_(R.cumprod, "cumprod_out_cpu")


def take_along_dim(self: Tensor, indices, dim=None) -> Tensor:
    """``torch.take_along_dim(self, indices, dim)`` as a method."""
    import ember

    return ember.take_along_dim(self, indices, dim)


def new(self: Tensor, *args, device=None) -> Tensor:
    """The legacy constructor ``x.new(...)``: from data (a list, a tensor) or, from sizes, an
    uninitialised tensor; ``x``'s dtype and device either way."""
    from . import creation

    device = self.device if device is None else device
    if len(args) == 1 and not isinstance(args[0], int):
        data = args[0]
        if isinstance(data, (tuple, type(self.shape))) and all(isinstance(v, int) for v in data):
            return creation.empty(tuple(data), dtype=self.dtype, device=device)
        return creation.tensor(data, dtype=self.dtype, device=device)
    return creation.empty(args if args else (0,), dtype=self.dtype, device=device)


def resize_(self: Tensor, *sizes, memory_format=None, size=None) -> Tensor:
    """Give ``self`` a new shape in place.  As PyTorch's, the elements are those of its
    memory, in order: shrinking keeps them (growing back shows them again), new ones are
    uninitialised (zero here)."""
    from ._core import shape_arg, xp_of

    if self.requires_grad:  # (any tensor requiring grad, in any grad mode, as PyTorch's)
        raise RuntimeError("cannot resize variables that require grad")
    if self._requires_grad or self._base is not None and self._base._requires_grad:
        # (only forward AD's hidden tape: a tensor with a tangent)
        raise RuntimeError("cannot resize variables that has a forward grad")
    shape = shape_arg(sizes if size is None else (size,), "resize_")
    if any(s < 0 for s in shape):  # (PyTorch's words: the size product overflows)
        raise RuntimeError("numel: integer multiplication overflow")
    if tuple(shape) == tuple(self._data.shape):  # (as PyTorch: nothing changes, not even
        return self  # the version or the layout)
    if "_numpy_memory" in self.__dict__ or \
            self._base is not None and "_numpy_memory" in self._base.__dict__:
        _numpy_fits(self, shape)
    from ._core import resize_view_in_storage

    if resize_view_in_storage(self, shape):  # (a view: in its base's memory, where it fits)
        self._vc.v += 1
        return self
    if self._base is not None and _grow_storage(self, shape) and \
            resize_view_in_storage(self, shape):  # (past its end: the memory grown first)
        self._vc.v += 1
        return self
    if self._base is None and _viewed(self) and _resize_in_storage(self, shape):
        self._vc.v += 1  # (a tensor others view: its memory kept, or grown, for them too)
        return self
    n = 1
    for s in shape:
        n *= s
    xp = xp_of(self)
    store = self.__dict__.get("_resize_store")
    if store is None or not _on_store(store, self._data) if xp is np else store is None:
        store = xp.ascontiguousarray(self._data).reshape(-1).copy()
    if n > store.size:
        store = xp.concatenate([store, xp.zeros(n - store.size, dtype=store.dtype)])
    self.__dict__["_resize_store"] = store
    self._data = store[:n].reshape(shape)
    self._vc.v += 1
    return self


def _on_store(store, data) -> bool:
    """Whether ``data`` is still a view of the memory a resize kept (an empty view shares
    no bytes with it, yet the memory past its end is still the tensor's)."""
    if data.size == 0:
        return data.base is store or data.base is not None and data.base is store.base
    return np.shares_memory(store, data)


def _numpy_fits(t: Tensor, shape) -> None:
    """A tensor on a NumPy array's memory (``from_numpy``) may take any shape that fits in
    that memory; PyTorch cannot grow it (its storage is not resizable)."""
    from .shape import _storage_root, storage_offset

    n = 1
    for s in shape:
        n *= s
    store = t.__dict__.get("_resize_store")  # (its memory, where a resize shrank it)
    room = max(_storage_root(t).nbytes, 0 if store is None else store.nbytes)
    if (storage_offset(t) + n) * t._data.itemsize > room:
        raise RuntimeError("Trying to resize storage that is not resizable")


def _viewed(t: Tensor) -> bool:
    """Whether anything else holds ``t``'s own NumPy array (views of it do)."""
    import sys

    d = t._data
    if type(d) is not np.ndarray:
        return False
    if d.base is None:
        return sys.getrefcount(d) > 3
    return "_storage_root" in t.__dict__  # (memory grown before, or given by ``set_``)


def _resize_in_storage(t: Tensor, shape) -> bool:
    """Give base tensor ``t`` the contiguous ``shape`` at the start of its memory, grown if
    need be (PyTorch's storage is kept, its other tensors seeing what ``t`` writes)."""
    from .shape import _storage_root, storage_offset

    d, root = t._data, _storage_root(t)
    if type(root) is not np.ndarray or root.base is not None or not root.flags.c_contiguous \
            or root.dtype != d.dtype or not d.flags.c_contiguous or not d.flags.writeable:
        return False
    off = storage_offset(t)
    n = 1
    for s in shape:
        n *= s
    if off < 0 or off + n > root.size and not _grow_storage(t, shape):
        return False
    root = _storage_root(t)
    t._data = root.reshape(-1)[off:off + n].reshape(tuple(shape))
    t.__dict__["_storage_root"] = root
    t.__dict__.pop("_resize_store", None)
    return True


def _grow_storage(t: Tensor, shape) -> bool:
    """Grow the memory view ``t`` looks into so that a contiguous ``shape`` from its storage
    offset fits, as PyTorch's ``resize_`` grows a storage in place: the old bytes kept, the
    new ones zero here (uninitialised in PyTorch), and every tensor on that memory (the base,
    its other views) moved onto the new block.  False (nothing done) where ember cannot.

    NOTE: NumPy arrays cannot follow their memory, and ember keeps no list of a storage's
    tensors, so they are found among the live objects: slow, but this is rare."""
    import gc

    from .shape import _as_strided, _storage_root, storage_offset

    root = _storage_root(t)
    if type(root) is not np.ndarray or not root.flags.c_contiguous or \
            not root.flags.writeable or root.dtype != t._data.dtype or root.base is not None:
        return False
    n = 1
    for s in shape:
        n *= s
    need = storage_offset(t) + n
    if need <= root.size:
        return False
    grown = np.zeros(need, root.dtype)
    grown[:root.size] = root.reshape(-1)
    lo = root.__array_interface__["data"][0]
    hi = lo + root.nbytes
    item = root.itemsize
    for o in gc.get_objects():
        if not issubclass(type(o), Tensor):  # (not ``isinstance``: it asks proxies' __class__)
            continue
        d = o.__dict__
        if d.get("_storage_root") is root:
            d["_storage_root"] = grown
        a = o._data
        if type(a) is not np.ndarray or not a.size:
            continue
        p = a.__array_interface__["data"][0]
        if not lo <= p < hi or not (a is root or np.may_share_memory(a, root)):
            continue
        off, rem = divmod(p - lo, item)
        if a.dtype != root.dtype or rem:  # (a view of another dtype: its bytes)
            b = np.ndarray(a.shape, a.dtype, buffer=grown, offset=p - lo, strides=a.strides)
            new = _as_strided(b, a.shape, a.strides)
        elif a.flags.c_contiguous and (a.base is None or a.base is root):
            new = grown[off:off + a.size].reshape(a.shape)  # (an ordinary view, as before)
        else:
            new = _as_strided(grown[off:], a.shape, a.strides)
        if not a.flags.writeable:  # (a broadcast: read-only, as ember's expanded views are)
            new.flags.writeable = False
        o._data = new
        if a is root and o._base is None:
            d["_storage_root"] = grown
    return True


def resize_as_(self: Tensor, the_template: Tensor, memory_format=None) -> Tensor:
    return resize_(self, *the_template.shape)


def swapaxes_(self: Tensor, axis0, axis1) -> Tensor:
    """``transpose_`` under NumPy's argument names (``swapdims_`` keeps ``dim0``/``dim1``)."""
    return transpose_(self, axis0, axis1)


def _install() -> None:
    for name, fn in (("transpose_", transpose_), ("swapaxes_", swapaxes_),
                     ("swapdims_", transpose_), ("fill_diagonal_", fill_diagonal_),
                     ("cumsum_", cumsum_), ("cumprod_", cumprod_),
                     ("take_along_dim", take_along_dim), ("new", new), ("resize_", resize_),
                     ("resize_as_", resize_as_)):
        if name not in Tensor.__dict__:  # never replace a method someone else has given it
            setattr(Tensor, name, fn)


_install()
