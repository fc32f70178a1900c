"""``torch.jit`` for code that only passes through it: everything runs eagerly.

Model code is full of TorchScript decorations (``@torch.jit.ignore``, ``torch.jit.Final``,
``if torch.jit.is_scripting():``) and scripts call ``torch.jit.script(model)`` or
``torch.jit.trace(model, x)`` to get something faster to call.  Here those calls give back a
module (or function) that runs the original Python code, shares the original's parameters and
buffers, and prints like PyTorch's ``RecursiveScriptModule`` / traced module.

What needs a TorchScript program -- ``.save()``, ``torch.jit.save``/``load``, ``.code``,
``.graph`` -- raises :class:`ember._unsupported.Unsupported` saying what to use instead.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import typing
import warnings

from ._unsupported import Unsupported
from ._unsupported import module_getattr as _module_getattr
from .nn.modules.module import Module

__all__ = ["script", "trace", "trace_module", "is_scripting", "is_tracing", "ignore", "unused",
           "export", "annotate", "Final", "interface", "freeze", "optimize_for_inference",
           "save", "load", "ScriptModule", "RecursiveScriptModule", "TracedModule",
           "TopLevelTracedModule", "ScriptFunction", "Error", "Attribute", "fork", "wait",
           "isinstance", "script_if_tracing", "optimized_execution", "fuser", "strict_fusion",
           "enable_onednn_fusion", "onednn_fusion_enabled", "set_fusion_strategy",
           "TracerWarning", "ScriptWarning", "CompilationUnit", "Future"]

_builtin_isinstance = isinstance
Final = typing.Final

_NO_PROGRAM = ("{what} needs a TorchScript program, which ember does not build (it runs "
               "models eagerly); to keep a model, save its weights with "
               "torch.save(model.state_dict(), path) and load them into the model's Python "
               "class with model.load_state_dict(torch.load(path))")


def _deprecated(name, instead="`torch.compile` or `torch.export`"):
    # (PyTorch 2.13 says this on every call; scripts that filter it keep working alike.)
    # NOTE: attributed to this file, as PyTorch's is to its own: Python's default filters
    # then hide it in a user's script (``__main__``), as they hide PyTorch's
    warnings.warn(f"`torch.jit.{name}` is deprecated. Please switch to {instead}.",
                  DeprecationWarning, stacklevel=1)


def _refuse(what):
    return Unsupported(_NO_PROGRAM.format(what=what))


class Error(Exception):
    """``torch.jit.Error``: what a TorchScript ``raise`` becomes (never raised by ember)."""


class TracerWarning(Warning):
    """``torch.jit.TracerWarning`` (ember's trace records nothing, so never warns)."""

    @staticmethod
    def ignore_lib_warnings():
        pass


class ScriptWarning(Warning):
    pass


# -- state ---------------------------------------------------------------------------

_tracing = [0]  # depth of trace() runs in progress


def is_scripting() -> bool:
    """False: ember never compiles, so the eager branch of ``if is_scripting():`` runs."""
    return False


def is_tracing() -> bool:
    """True only while :func:`trace` runs the example inputs through the model."""
    return _tracing[0] > 0


# -- decorators that change nothing when running eagerly -----------------------------

def ignore(drop=False, **kwargs):
    """``@torch.jit.ignore`` or ``@torch.jit.ignore(drop=...)``: the function stays Python
    (it always is here) and comes back unchanged."""
    if callable(drop):
        return drop
    if not _builtin_isinstance(drop, bool):
        raise RuntimeError(f"Argument to @torch.jit.ignore must be a bool or a function but "
                           f"got {drop}")
    if kwargs.pop("drop_on_export", None):
        warnings.warn("ignore(drop_on_export=True) has been deprecated. TorchScript will now "
                      "drop the function call on compilation. Use torch.jit.unused now. {}",
                      FutureWarning, stacklevel=2)
    elif drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the "
                      "function call on compilation. Use torch.jit.unused now. {}",
                      FutureWarning, stacklevel=2)
    return lambda fn: fn


def unused(fn):
    """``@torch.jit.unused``: the method is left out of the compiled program (no-op here)."""
    return fn


def export(fn):
    """``@torch.jit.export``: the method is compiled too (only marked here: :func:`trace`
    gives a module with such methods back scripted, as PyTorch does)."""
    fn._ember_jit_export = True
    return fn


def _has_exports(mod) -> bool:
    return any(getattr(v, "_ember_jit_export", False)
               for cls in type(mod).__mro__ for v in vars(cls).values())


def interface(obj):
    """``@torch.jit.interface``: the class or module type is used as it is."""
    return obj


def _overload(fn):
    return fn


def _overload_method(fn):
    return fn


def script_if_tracing(fn):
    return fn


def annotate(the_type, the_value):
    """``torch.jit.annotate(List[int], [])``: the value, unchanged."""
    return the_value


class Attribute(typing.NamedTuple):
    """``torch.jit.Attribute(value, type)``: in eager code, just a value and its type."""

    value: typing.Any
    type: typing.Any


_LOST = ("The inner type of a container is lost when calling torch.jit.isinstance in eager "
         "mode. For example, List[int] would become list and therefore falsely return True "
         "for List[float] or List[str].")


def isinstance(obj, target_type) -> bool:  # noqa: A001 (torch.jit.isinstance)
    """``torch.jit.isinstance(x, List[int])``: a check that also looks inside typing's
    containers (``List``, ``Dict``, ``Tuple``, ``Optional``/``Union``)."""
    origin = typing.get_origin(target_type)
    args = typing.get_args(target_type)
    if origin is None:
        if target_type is None or target_type is type(None):
            return obj is None
        return _builtin_isinstance(obj, target_type)
    if origin is typing.Union:
        return any(isinstance(obj, a) for a in args)
    if origin in (list, tuple, dict) and _builtin_isinstance(obj, origin) and not obj:
        warnings.warn(_LOST, stacklevel=2)  # (an empty container matches any inner type)
    if origin is list:
        return _builtin_isinstance(obj, list) and all(isinstance(v, args[0]) for v in obj)
    if origin is dict:
        return _builtin_isinstance(obj, dict) and all(
            isinstance(k, args[0]) and isinstance(v, args[1]) for k, v in obj.items())
    if origin is tuple:  # (fixed length only, as in TorchScript)
        return (_builtin_isinstance(obj, tuple) and len(obj) == len(args)
                and all(isinstance(v, a) for v, a in zip(obj, args)))
    return _builtin_isinstance(obj, origin)


# -- fork / wait ---------------------------------------------------------------------

class Future:
    """What :func:`fork` returns: the result, already computed."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value

    def value(self):
        return self._value

    def done(self) -> bool:
        return True


def fork(func, *args, **kwargs) -> Future:
    """``torch.jit.fork``: runs ``func`` now (eager code has no parallel interpreter)."""
    return Future(func(*args, **kwargs))


def wait(future):
    return future.wait()


# -- execution settings that have nothing to set ------------------------------------

@contextlib.contextmanager
def optimized_execution(should_optimize):
    yield


@contextlib.contextmanager
def fuser(name):
    yield


class strict_fusion:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_onednn = [False]


def enable_onednn_fusion(enabled: bool) -> None:
    _onednn[0] = bool(enabled)


def onednn_fusion_enabled() -> bool:
    return _onednn[0]


def set_fusion_strategy(strategy):
    return [("STATIC", 2), ("DYNAMIC", 10)]


class CompilationUnit:
    def __init__(self, *args, **kwargs):
        raise _refuse("torch.jit.CompilationUnit")


# -- the wrappers --------------------------------------------------------------------

_PROGRAM_ATTRS = ("code", "graph", "inlined_graph", "code_with_constants", "_c")


class ScriptModule(Module):
    """A module given by :func:`script` or :func:`trace`.

    It runs its original class's Python ``forward``; its parameters, buffers and plain
    attributes are the original module's own objects (so an optimizer step on one shows in
    the other), and each child module is wrapped the same way."""

    def __getattr__(self, name):
        if name in _PROGRAM_ATTRS:
            raise _refuse(f"{type(self).__name__}.{name}")
        if name == "original_name":  # (a user's own ScriptModule subclass)
            return type(self).__name__
        return Module.__getattr__(self, name)

    def __setattr__(self, name, value):
        if _builtin_isinstance(value, Attribute):  # self.x = torch.jit.Attribute(3, int)
            value = value.value
        Module.__setattr__(self, name, value)

    def save(self, f, _extra_files=None):
        raise _refuse(f"{type(self).__name__}.save")

    def _save_for_lite_interpreter(self, *args, **kwargs):
        raise _refuse(f"{type(self).__name__}._save_for_lite_interpreter")

    def extra_repr(self) -> str:
        return f"original_name={self.original_name}"

    def define(self, src):
        raise _refuse("ScriptModule.define")


class RecursiveScriptModule(ScriptModule):
    """What ``torch.jit.script(module)`` returns; prints as ``RecursiveScriptModule(...)``."""

    def _get_name(self) -> str:
        return "RecursiveScriptModule"


class TracedModule(ScriptModule):
    """A child of a traced module; prints under its original class name."""

    def _get_name(self) -> str:
        return self.original_name


class TopLevelTracedModule(TracedModule):
    """What ``torch.jit.trace(module, inputs)`` returns."""


_classes: dict = {}


def _wrapper_class(kind, cls):
    """``kind`` mixed over the user's class: its methods (and ``super()`` calls in them)
    work on the wrapper, while the wrapper's printing and refusals come first."""
    if _builtin_isinstance(cls, type) and issubclass(cls, ScriptModule):
        return cls
    key = (kind, cls)
    made = _classes.get(key)
    if made is None:
        made = type(kind.__name__, (kind, cls), {"__module__": kind.__module__,
                                                 "__qualname__": kind.__qualname__})
        _classes[key] = made
    return made


def _wrap_module(mod, kind, child_kind=None):
    if _builtin_isinstance(mod, ScriptModule):
        return mod
    out = object.__new__(_wrapper_class(kind, type(mod)))
    state = dict(mod.__dict__)  # (the parameter and buffer dicts themselves are shared)
    for key, value in state.items():
        if "hook" in key and _builtin_isinstance(value, (dict, set)):
            state[key] = copy.copy(value)  # (hooks added later belong to one of the two)
    child_kind = child_kind or kind
    state["_modules"] = {name: None if child is None else _wrap_module(child, child_kind)
                         for name, child in mod._modules.items()}
    state["original_name"] = type(mod).__name__
    out.__dict__.update(state)
    return out


class ScriptFunction:
    """What :func:`script` or :func:`trace` give for a plain function: calls it."""

    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self._fn = fn

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)

    def __repr__(self):
        return f"<torch.jit.torch.jit.ScriptFunction object at {hex(id(self))}>"

    def __getattr__(self, name):
        if name in _PROGRAM_ATTRS:
            raise _refuse(f"{type(self).__name__}.{name}")
        raise AttributeError(f"'ScriptFunction' object has no attribute '{name}'")

    def save(self, f, _extra_files=None):
        raise _refuse("ScriptFunction.save")


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``torch.jit.script``: a module comes back wrapped (see :class:`ScriptModule`), a
    function as a :class:`ScriptFunction`, a class as it is."""
    _deprecated("script")
    if _builtin_isinstance(obj, (ScriptModule, ScriptFunction)):
        return obj
    if _builtin_isinstance(obj, Module):
        return _wrap_module(obj, RecursiveScriptModule)
    if inspect.isclass(obj):
        if issubclass(obj, Module):
            raise RuntimeError(f"Type '{obj}' cannot be compiled since it inherits from "
                               "nn.Module, pass an instance instead")
        return obj
    if callable(obj):
        return ScriptFunction(obj)
    return obj  # (PyTorch scripts only functions, modules and classes; others pass through)


def script_method(fn):
    _deprecated("script_method")
    return fn


def _call(fn, example_inputs, example_kwarg_inputs):
    if example_kwarg_inputs is not None:
        return fn(**example_kwarg_inputs)
    if not _builtin_isinstance(example_inputs, tuple):
        example_inputs = (example_inputs,)
    return fn(*example_inputs)


def _run_once(fn, example_inputs, example_kwarg_inputs, check_trace=False, warn=False):
    """Run ``fn`` on the examples as PyTorch's tracer does: once traced and, with
    ``check_trace``, once more traced and once plainly (the check compares those) -- so a
    module's side effects (BatchNorm statistics, hooks) happen as often as in PyTorch."""
    for traced in ((True, True, False) if check_trace else (True,)):
        if warn and traced:  # (PyTorch traces a module through trace_module, which warns)
            # (attributed to this file, as PyTorch's to its own: hidden in a user's script)
            warnings.warn("`torch.jit.trace_method` is deprecated. Please switch to "
                          "`torch.compile` or `torch.export`.", DeprecationWarning,
                          stacklevel=1)
        _tracing[0] += traced
        try:
            _call(fn, example_inputs, example_kwarg_inputs)
        finally:
            _tracing[0] -= traced


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-5, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """``torch.jit.trace``: runs ``func`` once on the example inputs, as PyTorch does (so
    shape errors surface here), and gives back a wrapper that runs the Python code on each
    call (nothing is recorded: control flow stays live)."""
    _deprecated("trace")
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("example_kwarg_inputs or example_inputs should be provided")
    if _builtin_isinstance(func, ScriptModule):
        return func
    if _builtin_isinstance(func, Module):
        _run_once(func, example_inputs, example_kwarg_inputs, check_trace, warn=True)
        if _has_exports(func):  # (PyTorch compiles the whole module then)
            return _wrap_module(func, RecursiveScriptModule)
        return _wrap_module(func, TopLevelTracedModule, TracedModule)
    if not callable(func):
        raise AttributeError(f"'{type(func).__name__}' object has no attribute '__name__'")
    _run_once(func, example_inputs, example_kwarg_inputs, check_trace)
    return ScriptFunction(func)


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None,
                 check_tolerance=1e-5, strict=True, _force_outplace=False,
                 _module_class=None, _compilation_unit=None, example_inputs_is_kwarg=False,
                 _store_inputs=True):
    """``torch.jit.trace_module(mod, {"forward": x, "other": y})``: each method runs once."""
    if not _builtin_isinstance(mod, Module):
        raise AttributeError("expected torch.nn.Module as the first argument")
    if not _builtin_isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    for name, example in inputs.items():
        method = getattr(mod, name)
        if example_inputs_is_kwarg:
            _run_once(method, None, example, check_trace, warn=True)
        else:
            _run_once(method, example, None, check_trace, warn=True)
    return _wrap_module(mod, TopLevelTracedModule, TracedModule)


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """``torch.jit.freeze``: the scripted module itself (eager code has nothing to fold)."""
    if not _builtin_isinstance(mod, ScriptModule):
        raise RuntimeError("Freezing expects a ScriptModule as input. Please use "
                           "torch.jit.script or torch.jit.trace to script your 'nn.Module'.")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    return mod


def run_frozen_optimizations(mod, optimize_numerics=True, preserved_methods=None):
    return None


def optimize_for_inference(mod, other_methods=None):
    """``torch.jit.optimize_for_inference``: the module itself, in eval mode."""
    if not _builtin_isinstance(mod, ScriptModule):
        raise RuntimeError("optimize_for_inference expects a ScriptModule as input. Please "
                           "use torch.jit.script or torch.jit.trace to script your "
                           "'nn.Module'.")
    if mod.training:
        mod.eval()
    return mod


def save(m, f, _extra_files=None):
    """No TorchScript archive to write: raises :class:`Unsupported`."""
    _deprecated("save", "`torch.export`")
    raise _refuse("torch.jit.save")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """No TorchScript interpreter to run an archive: raises :class:`Unsupported`."""
    _deprecated("load", "`torch.export`")
    raise Unsupported("ember cannot load TorchScript archives (torch.jit.load); load a "
                      "state_dict saved with torch.save(model.state_dict(), path) into the "
                      "model's Python class instead")


def export_opnames(m):
    raise _refuse("torch.jit.export_opnames")


# (a name PyTorch lacks too, a typo, gets PyTorch's AttributeError; one it has, Unsupported)
__getattr__ = _module_getattr("torch.jit")
