"""``torch.utils.deterministic``: whether ``empty`` and its kind fill their memory with
markers (NaN, the largest integer) while deterministic algorithms are on."""
import sys
import types

from .. import backends as _backends


class _Deterministic(types.ModuleType):
    @property
    def fill_uninitialized_memory(self):
        """Whether to fill uninitialized memory with a known value when
        :meth:`torch.use_deterministic_algorithms()` is set to ``True``."""
        return _backends._state["fill_uninitialized_memory"]

    @fill_uninitialized_memory.setter
    def fill_uninitialized_memory(self, mode):
        if type(mode) is not bool:
            raise RuntimeError(f"expected a bool, but got {type(mode).__name__}")
        _backends._state["fill_uninitialized_memory"] = mode


sys.modules[__name__].__class__ = _Deterministic
