"""``torch._dynamo``: the switches of PyTorch's graph capture, for scripts that set them.

ember captures no graphs (``torch.compile`` runs code eagerly, see ``ember._compile``), so
``reset``, ``mark_dynamic`` & co. record nothing and ``optimize`` returns the code as it is;
``config`` holds the settings with PyTorch's defaults, and backends are checked by name as
PyTorch checks them.
"""
from __future__ import annotations

from .. import compiler as _compiler
from .._compile import OptimizedModule  # noqa: F401
from .._unsupported import module_getattr as _module_getattr
from . import config, exc  # noqa: F401

is_compiling = _compiler.is_compiling
disable = _compiler.disable
reset = _compiler.reset
set_stance = _compiler.set_stance

# PyTorch's registered backends (``list_backends(exclude_tags=())``); the default listing
# leaves out the debugging and experimental ones, as PyTorch's does.
_BACKENDS = {"cudagraphs": (), "inductor": (), "openxla": (), "tvm": (),
             "aot_eager": ("debug",), "aot_eager_decomp_partition": ("debug",),
             "aot_eager_default_partitioner": ("debug",), "aot_ts": ("experimental",),
             "eager": ("debug",), "eager_debug": ("debug",), "eager_noexcept": ("debug",),
             "openxla_eval": ("experimental",), "pre_dispatch_eager": ("debug",),
             "ts": ("experimental",)}


def list_backends(exclude_tags=("debug", "experimental")) -> list:
    """The names ``torch.compile(backend=...)`` accepts."""
    skip = set(exclude_tags or ())
    return sorted(n for n, tags in _BACKENDS.items() if not skip.intersection(tags))


def lookup_backend(compiler_fn):
    """``compiler_fn`` if it is callable; a registered name otherwise (InvalidBackend if it is
    none)."""
    if isinstance(compiler_fn, str):
        if compiler_fn not in _BACKENDS:
            raise exc.InvalidBackend(compiler_fn)
        return compiler_fn
    return compiler_fn


def register_backend(compiler_fn=None, name=None, tags=()):
    """Register a backend under ``name`` (the function's name by default); ember never calls
    it, but ``torch.compile(backend=name)`` then accepts the name."""
    if compiler_fn is None:
        return lambda fn: register_backend(fn, name=name, tags=tags)
    _BACKENDS[name or compiler_fn.__name__] = tuple(tags)
    return compiler_fn


def optimize(backend="inductor", *, nopython=False, guard_export_fn=None, guard_fail_fn=None,
             disable=False, dynamic=None, **kwargs):
    """The older spelling of ``torch.compile``: a decorator (or context manager) leaving the
    code as it is once ``backend`` is known."""
    lookup_backend(backend)
    return _Null()


class _Null:
    def __call__(self, fn):
        return fn

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _indices(t, index):
    if not hasattr(t, "dim"):
        raise AttributeError(f"'{type(t).__name__}' object has no attribute "
                             "'_dynamo_dynamic_indices'")
    return index


def mark_dynamic(t, index, *, hint_override=None, min=None, max=None, specialize_on=None):
    """A hint that dimension ``index`` of ``t`` varies between calls (no effect here)."""
    _indices(t, index)


def maybe_mark_dynamic(t, index):
    _indices(t, index)


def mark_static(t, index=None):
    return None


def mark_static_address(t, guard=True):
    return None


def allow_in_graph(fn):
    return fn


def disallow_in_graph(fn):
    return fn


def graph_break(msg=""):
    """Where PyTorch would split its captured graph; eager code has nothing to split."""


def is_dynamo_supported() -> bool:
    return True


def is_inductor_supported() -> bool:
    return True


__getattr__ = _module_getattr("torch._dynamo")
