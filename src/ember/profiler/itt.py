"""``torch.profiler.itt``: Intel VTune ranges; ember emits none, so these do nothing."""
import contextlib

__all__ = ["is_available", "range_push", "range_pop", "mark", "range"]


def is_available() -> bool:
    return False


def range_push(msg):
    return -1


def range_pop():
    return -1


def mark(msg):
    return None


@contextlib.contextmanager
def range(msg, *args, **kwargs):  # noqa: A001 (PyTorch's name)
    yield
