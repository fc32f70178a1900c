"""``torch.multiprocessing``: Python's ``multiprocessing``, plus ``spawn`` and the sharing
strategy switches.

Tensors moved to shared memory with ``Tensor.share_memory_()`` (or ``Module.share_memory()``)
live in an anonymous shared mapping, so processes forked afterwards (``Process`` with the
``fork`` start method, Linux's default) update the same parameters: Hogwild training works.
A tensor sent to a *spawned* process arrives as a copy.
"""
from __future__ import annotations

import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from .spawn import (ProcessContext, ProcessException, ProcessExitedException,  # noqa: F401
                    ProcessRaisedException, spawn, start_processes)

__all__ = [*multiprocessing.__all__, "spawn", "start_processes", "ProcessContext",
           "ProcessException", "ProcessRaisedException", "ProcessExitedException",
           "get_sharing_strategy", "set_sharing_strategy", "get_all_sharing_strategies"]

_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set:
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Accepted for compatibility: ember shares memory one way whichever is chosen."""
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of "
                             f"{_STRATEGIES}")
    _strategy = new_strategy
