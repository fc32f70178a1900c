"""``Parameter``: a tensor that a ``Module`` registers as learnable state."""
from __future__ import annotations

from .._ops._core import adopt, wrap
from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and belongs to a module.

    >>> p = Parameter(ember.zeros(3))
    >>> p.requires_grad
    True
    """

    def __new__(cls, data=None, requires_grad=True):
        return object.__new__(cls)

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            from .._ops.creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter data must be a Tensor, got {type(data).__name__}")
        src = wrap(data._data, data._device)
        src._vc = data._vc  # shares memory and version counter with ``data``
        adopt(self, src)
        self._requires_grad = False
        if requires_grad:
            from .._ops.creation import _require_grad

            _require_grad(self)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach().numpy(force=True).copy(),
                                     str(self._device), self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = Parameter(wrap(self._data.copy(), self._device), self._requires_grad)
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    @classmethod
    def _from_tensor(cls, t, requires_grad):
        return cls(t, requires_grad)


def _rebuild_parameter(array, device, requires_grad):
    import numpy as np

    t = wrap(np.array(array))
    if device != "cpu":
        t = t.to(device)
    return Parameter(t, requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a module attribute."""

    def __new__(cls, data=None, *, persistent=True):
        return object.__new__(cls)

    def __init__(self, data=None, *, persistent=True):
        from .._ops.creation import empty

        data = empty(0) if data is None else data
        adopt(self, data.detach())
        self.persistent = persistent
