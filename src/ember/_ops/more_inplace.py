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
    shape = shape_arg(sizes if size is None else (size,), "resize_")
    if any(s < 0 for s in shape):  # (PyTorch's words: the size product overflows)
        raise RuntimeError("numel: integer multiplication overflow")
    if tuple(shape) == tuple(self._data.shape):  # (as PyTorch: nothing changes, not even
        return self  # the version or the layout)
    from ._core import resize_view_in_storage

    if resize_view_in_storage(self, shape):  # (a view: in its base's memory, where it fits)
        self._vc.v += 1
        return self
    n = 1
    for s in shape:
        n *= s
    xp = xp_of(self)
    store = self.__dict__.get("_resize_store")
    if store is None or not np.shares_memory(store, self._data) if xp is np else store is None:
        store = xp.ascontiguousarray(self._data).reshape(-1).copy()
    if n > store.size:
        store = xp.concatenate([store, xp.zeros(n - store.size, dtype=store.dtype)])
    self.__dict__["_resize_store"] = store
    self._data = store[:n].reshape(shape)
    self._vc.v += 1
    return self


def resize_as_(self: Tensor, other: Tensor, memory_format=None) -> Tensor:
    return resize_(self, *other.shape)


def _install() -> None:
    for name, fn in (("transpose_", transpose_), ("swapaxes_", transpose_),
                     ("swapdims_", transpose_), ("fill_diagonal_", fill_diagonal_),
                     ("cumsum_", cumsum_), ("cumprod_", cumprod_),
                     ("take_along_dim", take_along_dim), ("new", new), ("resize_", resize_),
                     ("resize_as_", resize_as_)):
        if name not in Tensor.__dict__:  # never replace a method someone else has given it
            setattr(Tensor, name, fn)


_install()
