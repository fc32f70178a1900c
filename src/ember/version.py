"""``torch.version``: which PyTorch API this ember follows, and which CUDA it reaches.

``__version__`` is the PyTorch release whose behaviour ember matches, with ember's own
release as its local label (``'2.13.0+ember.0.1.0'``), so that scripts that compare
``torch.__version__`` against a release take the path they take on PyTorch 2.13.  Like
PyTorch's, it compares with strings and tuples by release number.

``cuda`` is the CUDA runtime version CuPy was built for (``'12.4'``), or None without CuPy
and a GPU, as PyTorch's CPU builds say None.
"""
from __future__ import annotations

import re

__all__ = ["__version__", "debug", "git_version", "hip"]  # and ``cuda``, computed when read

EMBER_RELEASE = "0.1.0"


class TorchVersion(str):
    """A version string that compares by release numbers: ``v >= "2.0"``, ``v < (3, 0)``."""

    @staticmethod
    def _key(v):
        local = ""
        if isinstance(v, tuple):
            parts = [int(x) for x in v]
        else:
            public, _, local = str(v).strip().lstrip("vV").partition("+")
            release = re.match(r"[\d.]*\d", public)
            parts = [int(x) for x in release.group(0).split(".")] if release else []
        while parts and parts[-1] == 0:
            parts.pop()
        # NOTE: a local label ('+ember.0.1.0', PyTorch's '+cpu') sorts after the bare release
        return tuple(parts), local

    def _cmp(self, other, op):
        if isinstance(other, str) and not re.match(r"v?\d", other.strip()):
            # NOTE: as PyTorch's, what is not a version compares as a plain string
            return getattr(str, op)(self, other)
        return getattr(tuple, op)(self._key(self), self._key(other))

    def __lt__(self, other):
        return self._cmp(other, "__lt__")

    def __le__(self, other):
        return self._cmp(other, "__le__")

    def __gt__(self, other):
        return self._cmp(other, "__gt__")

    def __ge__(self, other):
        return self._cmp(other, "__ge__")


__version__ = TorchVersion(f"2.13.0+ember.{EMBER_RELEASE}")
git_version = "unknown"
hip = None
debug = False


def __getattr__(name):
    if name == "cuda":  # looked up when asked: importing CuPy takes a while
        from ._device import _get_cupy

        cp = _get_cupy()
        if cp is None:
            return None
        v = cp.cuda.runtime.runtimeGetVersion()
        return f"{v // 1000}.{v % 1000 // 10}"
    raise AttributeError(f"module 'torch.version' has no attribute '{name}'")
