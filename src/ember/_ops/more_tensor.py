"""More of ``torch``'s functions over tensors: differences and products (``diff``, ``kron``,
``cdist``), searching and counting (``searchsorted``, ``histc``, ``quantile``), index
updates (``index_fill``, ``scatter_reduce``), and small constructors."""
from __future__ import annotations

__all__: list = []
