"""Configuration modules in PyTorch's style (``torch._dynamo.config``,
``torch._inductor.config``): a module whose known settings can be read, assigned and
patched for a block, and whose unknown names raise AttributeError.

ember compiles nothing (``torch.compile`` runs code eagerly), so these settings change no
behaviour; they are kept so that scripts written for PyTorch's compiler run unchanged and
read back what they set.
"""
from __future__ import annotations

import contextlib
import sys
import types


def _owner(module, name):
    """The (config module, attribute) a possibly dotted setting name refers to."""
    while "." in name:
        head, name = name.split(".", 1)
        module._check(head)
        module = getattr(module, head)
    module._check(name)
    return module, name


class _Patch(contextlib.ContextDecorator):
    def __init__(self, module, changes):
        self.targets = [(*_owner(module, name), value) for name, value in changes.items()]
        self.saved = []

    def __enter__(self):
        self.saved.append([(m, n, getattr(m, n)) for m, n, _ in self.targets])
        for m, n, value in self.targets:
            setattr(m, n, value)
        return self

    def __exit__(self, *exc):
        for m, n, value in self.saved.pop():
            setattr(m, n, value)
        return False


class ConfigModule(types.ModuleType):
    """The class a config module takes on: see :func:`install`."""

    def _check(self, name):
        if name not in self._defaults:
            raise AttributeError(f"{self._label}.{name} does not exist")

    def __getattr__(self, name):  # (only names that are not set reach here)
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"{self._label}.{name} does not exist")

    def __setattr__(self, name, value):
        if not name.startswith("_"):
            self._check(name)
        super().__setattr__(name, value)

    def patch(self, arg=None, value=None, **changes):
        """``with config.patch(name=value):`` (or ``patch("name", value)``, or a dict): the
        settings changed inside the block, or the decorated function, only."""
        if isinstance(arg, str):
            changes[arg] = value
        elif isinstance(arg, dict):
            changes.update(arg)
        return _Patch(self, changes)

    def get_config_copy(self) -> dict:
        return {name: getattr(self, name) for name in self._defaults}

    def load_config(self, config) -> None:
        for name, value in dict(config).items():
            setattr(self, name, value)


def _make(module, defaults):
    module.__class__ = ConfigModule
    module._label = "torch" + module.__name__[len("ember"):]  # (PyTorch's name, in errors)
    module._defaults = dict(defaults)
    for name, value in defaults.items():
        if isinstance(value, dict):  # a nested namespace: ``config.triton.cudagraphs``
            value = _make(types.ModuleType(f"{module.__name__}.{name}"), value)
        setattr(module, name, value)
    return module


def install(module_name: str, defaults: dict) -> None:
    """Make the module ``module_name`` a config module holding ``defaults``."""
    _make(sys.modules[module_name], defaults)
