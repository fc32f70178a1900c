"""``torch.version``: which ember this is and which CUDA it reaches.

``cuda`` is the CUDA runtime version CuPy was built for (``'12.4'``), or None without CuPy
and a GPU, as PyTorch's CPU builds say None.
"""
from __future__ import annotations

__all__ = ["__version__", "debug", "git_version", "hip"]  # and ``cuda``, computed when read

__version__ = "0.1.0"
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
