"""``torch.distributed``: ember runs in one process, so there is no process group.

``is_available()`` and ``is_initialized()`` say so (scripts use them as guards); the
functions that ask the default process group fail as PyTorch's do before
``init_process_group`` (ember's is never initialized); everything else is named as
unsupported.
"""
from __future__ import annotations

from ._unsupported import module_getattr as _module_getattr


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


def no_process_group():
    """PyTorch's error for a use of the default process group before it is initialized."""
    return ValueError("Default process group has not been initialized, please make sure to "
                      "call init_process_group.")


def _needs_group(name):
    def fn(*args, **kwargs):
        raise no_process_group()
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torch.distributed.{name}``: no process group here, PyTorch's error."
    return fn


for _name in ("get_rank", "get_world_size", "get_backend", "barrier", "new_group",
              "all_reduce", "reduce", "broadcast", "all_gather", "gather", "scatter",
              "reduce_scatter", "all_to_all", "all_gather_object", "broadcast_object_list",
              "gather_object", "scatter_object_list", "all_gather_into_tensor",
              "reduce_scatter_tensor", "send", "recv", "isend", "irecv"):
    globals()[_name] = _needs_group(_name)
del _name


def destroy_process_group(group=None):
    raise AssertionError("Process group cannot be None")


__getattr__ = _module_getattr("torch.distributed")
