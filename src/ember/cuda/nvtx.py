"""``torch.cuda.nvtx``: named ranges and marks for a GPU profiler's timeline (Nsight Systems),
through CuPy's NVTX bindings.

Without a GPU these raise, as PyTorch's do without a CUDA build.  With a GPU but a CuPy built
without NVTX they only keep count of the nesting (the numbers ``range_push``/``range_pop``
return), since there is no timeline to write to.
"""
from __future__ import annotations

import contextlib

__all__ = ["range_push", "range_pop", "range", "mark"]

_depth = [0]


def _nvtx():
    """CuPy's NVTX module, or None where there is none; raises without a GPU."""
    from .._device import _get_cupy, no_cuda

    cp = _get_cupy()
    if cp is None:  # (PyTorch's CPU build's words)
        raise no_cuda(RuntimeError, "NVTX functions not installed. Are you sure you have a "
                                    "CUDA build?")
    nv = getattr(cp.cuda, "nvtx", None)
    if nv is None:
        try:
            from cupy.cuda import nvtx as nv
        except ImportError:  # (the simulated device of the tests has none)
            return None
    return nv if getattr(nv, "available", True) else None


def range_push(msg: str) -> int:
    """Open a nested range named ``msg``; returns its depth (0 for the outermost)."""
    nv = _nvtx()
    if nv is not None:
        nv.RangePush(msg)
    _depth[0] += 1
    return _depth[0] - 1


def range_pop() -> int:
    """Close the innermost open range; returns its depth (-1 when none was open)."""
    nv = _nvtx()
    if _depth[0] == 0:
        return -1
    if nv is not None:
        nv.RangePop()
    _depth[0] -= 1
    return _depth[0]


def mark(msg: str) -> None:
    """An instant event named ``msg`` on the timeline."""
    nv = _nvtx()
    if nv is not None:
        nv.Mark(msg)


@contextlib.contextmanager
def range(msg: str, *args, **kwargs):
    """``with ember.cuda.nvtx.range("step {}", i):`` wraps the block in a range named
    ``msg.format(*args, **kwargs)``."""
    range_push(msg.format(*args, **kwargs))
    try:
        yield
    finally:
        range_pop()
