"""Grad mode: whether ops record the graph.  The only global autograd state, as in PyTorch."""
from __future__ import annotations

import functools
import inspect
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled"]


class _Anomaly:
    """Anomaly mode: one switch for the whole process, as PyTorch's."""

    __slots__ = ("anomaly", "anomaly_nan")

    def __init__(self):
        self.anomaly = False  # autograd.set_detect_anomaly
        self.anomaly_nan = False  # ... with check_nan: a NaN gradient is an error


# NOTE: a plain object, not the thread-local STATE: every op's node reads it, and an
# attribute of a threading.local costs several times a plain one's
ANOMALY = _Anomaly()


class _State(threading.local):
    """Autograd's switches.  Grad mode, inference mode and the engine's in-backward flag are
    per thread, as PyTorch's (a new thread starts with grad mode on, whatever the thread that
    started it had); anomaly mode is one switch for the process (``ANOMALY``), read here too."""

    anomaly = property(lambda self: ANOMALY.anomaly)
    anomaly_nan = property(lambda self: ANOMALY.anomaly_nan)

    def __init__(self):
        self.enabled = True
        self.inference = False
        self.in_backward = False  # set by the engine: tensors made then may become .grad
        self.partial = False  # set by the engine while it runs for given inputs only
        self.multithreading = True  # set_multithreading_enabled's switch (ember runs on one)


STATE = _State()


def is_grad_enabled() -> bool:
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _Mode:
    """Base for the grad-mode context managers; each also decorates functions."""

    def _enter(self):
        raise NotImplementedError

    def __enter__(self):
        self._saved = (STATE.enabled, STATE.inference)
        self._enter()
        return None

    def __exit__(self, *exc):
        STATE.enabled, STATE.inference = self._saved
        return False

    def clone(self):
        return self.__class__()

    def __call__(self, fn):
        if inspect.isclass(fn):
            from .._warnings import warn

            warn("Decorating classes is deprecated and will be disabled in future versions. You "
                 "should only decorate functions or methods. To preserve the current behavior "
                 "of class decoration, you can directly decorate the `__init__` method and "
                 "nothing else.", FutureWarning)
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen_wrapper(*args, **kwargs):
                gen = fn(*args, **kwargs)
                value = None
                while True:
                    with self.clone():
                        try:
                            item = gen.send(value)
                        except StopIteration as stop:
                            return stop.value
                    value = yield item
            return gen_wrapper

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper


class _BareDecorator(_Mode):
    """A mode that also decorates without parentheses: ``@torch.no_grad`` is
    ``@torch.no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        # (anything else is decorated too, as PyTorch's: ``with torch.no_grad(x):`` then fails
        # as a function that is no context manager, a call as the object that is no function)
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        pass


class no_grad(_BareDecorator):
    """Context manager and decorator that stops ops from recording the graph."""

    # NOTE: as PyTorch's, the mode to restore is the object's ``prev`` (False until entered),
    # and only grad mode is restored: an object entered twice over restores the inner
    # entry's mode, and ``__exit__`` before any ``__enter__`` turns grad mode off.
    def __init__(self, orig_func=None):
        self.prev = False

    def _enter(self):
        STATE.enabled = False

    def __enter__(self):
        self.prev = STATE.enabled
        STATE.enabled = False

    def __exit__(self, *exc):
        STATE.enabled = self.prev
        return False


class enable_grad(_BareDecorator):
    """Context manager and decorator that turns recording back on inside ``no_grad``."""

    def _enter(self):
        STATE.enabled = True

    def __enter__(self):  # (no_grad's ``prev``; none before the first entry, as PyTorch's)
        self.prev = STATE.enabled
        STATE.enabled = True

    def __exit__(self, *exc):
        STATE.enabled = self.prev
        return False


class set_grad_enabled(_Mode):
    """``set_grad_enabled(False)`` switches grad mode at once; as a context manager it
    restores it."""

    def __init__(self, mode: bool):
        if type(mode) is not bool:
            kind = type(mode)
            name = kind.__name__ if kind.__module__ == "builtins" else (
                "Tensor" if kind.__name__ == "Tensor" else f"{kind.__module__}.{kind.__name__}")
            raise TypeError("set_grad_enabled(): argument 'enabled' (position 1) must be bool, "
                            f"not {name}")
        self._prev = (STATE.enabled, STATE.inference)
        self.mode = mode
        STATE.enabled = self.mode

    def __enter__(self):
        self._saved = self._prev
        STATE.enabled = self.mode

    def clone(self):
        return set_grad_enabled(self.mode)

    def __repr__(self):
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.mode})"

    def __call__(self, fn):
        # set_grad_enabled(False) applied as a decorator must not leave the mode changed.
        STATE.enabled, STATE.inference = self._prev
        return super().__call__(fn)


def is_multithreading_enabled() -> bool:
    return STATE.multithreading


class set_multithreading_enabled(_Mode):
    """``set_multithreading_enabled(False)`` switches the (per-thread) setting at once; as a
    context manager it restores it.  ember's backward runs on the calling thread either way."""

    def __init__(self, mode: bool):
        self.prev = STATE.multithreading
        STATE.multithreading = self.mode = mode

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        STATE.multithreading = self.prev
        return False

    def clone(self):
        return set_multithreading_enabled(self.mode)


class inference_mode(_Mode):
    """Like ``no_grad``; tensors created inside report ``is_inference()``."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # ``@torch.inference_mode`` without parentheses, as PyTorch's

    def __init__(self, mode: bool = True):
        self.mode = mode

    def _enter(self):
        # (as PyTorch's InferenceMode guard: grad mode off inside, and on for mode=False)
        STATE.enabled = not self.mode
        STATE.inference = self.mode

    def clone(self):
        return inference_mode(self.mode)
