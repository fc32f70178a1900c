"""``torch.types``: the type aliases PyTorch's annotations use."""
from __future__ import annotations

import os
from typing import IO

from ._device import device as _device
from ._dtype import dtype as _dtype
from ._size import Size
from ._tensor import Tensor
from .storage import UntypedStorage as Storage

Number = int | float | bool
Device = _device | str | int | None
FileLike = str | os.PathLike | IO[bytes]
IntLikeType = int
FloatLikeType = float
BoolLikeType = bool

__all__ = ["Number", "Device", "FileLike", "IntLikeType", "FloatLikeType", "BoolLikeType",
           "Size", "Storage", "Tensor", "_dtype"]
