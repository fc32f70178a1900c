"""Run PyTorch code unchanged: ``torch`` and ``torchvision`` imports resolve to ember.

``install()`` puts a finder on ``sys.meta_path`` that answers ``import torch.nn``
with ``ember.nn`` (and ``torchvision.transforms`` with ``ember.vision.transforms``).
A submodule ember lacks fails with an error naming the PyTorch module.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

ALIASES = {"torch": "ember", "torchvision": "ember.vision"}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target
        self._spec = None

    def create_module(self, spec):
        try:
            module = importlib.import_module(self.target)
            # importlib will set the torch-named spec on it: keep ember's, put back in
            # exec_module (a ``__spec__`` whose parent is not ``__package__`` makes every
            # later relative import inside the module warn)
            self._spec = module.__spec__
            return module
        except ModuleNotFoundError as exc:
            if exc.name and (exc.name == self.target or self.target.startswith(exc.name + ".")):
                torch_name = spec.name
                raise ModuleNotFoundError(f"{torch_name} is not supported by ember",
                                          name=torch_name) from None
            raise

    def exec_module(self, module):
        if self._spec is not None:
            module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        root, _, rest = fullname.partition(".")
        if root not in ALIASES:
            return None
        mapped = ALIASES[root] + ("." + rest if rest else "")
        return importlib.util.spec_from_loader(fullname, _AliasLoader(mapped))


_finder = _AliasFinder()


def install() -> None:
    """Make ``import torch`` (and submodules, and torchvision) give ember."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
