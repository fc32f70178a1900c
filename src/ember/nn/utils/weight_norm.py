"""``weight_norm``: a weight written as a direction ``v`` times a magnitude ``g`` (Salimans and
Kingma, 2016), through a forward pre-hook.  Deprecated in PyTorch in favour of
``nn.utils.parametrizations.weight_norm``, and kept here for the models that still use it.
"""
from __future__ import annotations

from ember._warnings import warn_up

from ..._ops import pointwise as P
from ..parameter import Parameter
from ._norm_hooks import check_no_hook, remove_hook

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def _norm_except_dim(v, p, dim: int):
    """The ``p``-norm of ``v`` over every dim but ``dim``, kept as size-1 dims (dim -1: the
    norm of the whole tensor, a 0-d result)."""
    if dim == -1:
        return v.norm(p)
    d = dim % v.dim()
    others = tuple(i for i in range(v.dim()) if i != d)
    if not others:  # a vector: the norm of each single entry
        return v.abs()
    return v.norm(p, dim=others, keepdim=True)


def _weight_norm(v, g, dim: int):
    """``v * g / ||v||`` with the norm taken over every dim but ``dim``."""
    if dim != -1 and (dim == 0 or dim == v.dim() - 1):
        # NOTE: PyTorch runs these two cases as one fused op
        return P._one_node("WeightNormInterfaceBackward0",
                           lambda v, g: v * (g / _norm_except_dim(v, 2, dim)), v, g)
    return v * (g / _norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and
    ``<name>_v`` before each call."""

    name: str
    dim: int

    def __init__(self, name: str, dim: int):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                            self.dim)

    @staticmethod
    def apply(module, name: str, dim: int) -> WeightNorm:
        # (PyTorch's stacklevel=2: its ``weight_norm``'s line, so shown once a process)
        warn_up("`torch.nn.utils.weight_norm` is deprecated in favor of "
                "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning)
        check_no_hook(module, WeightNorm, name, "weight_norm")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(_norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name: str = "weight", dim: int = 0):
    """Split ``module.<name>`` into ``<name>_g`` (its norm over every dim but ``dim``; all dims
    when ``dim`` is None) and ``<name>_v`` (the direction); the weight is recomputed before
    every forward.  Deprecated: ``nn.utils.parametrizations.weight_norm`` is the new form.

    >>> m = weight_norm(nn.Linear(3, 4))  # doctest: +SKIP
    >>> m.weight_g.shape, m.weight_v.shape  # doctest: +SKIP
    (torch.Size([4, 1]), torch.Size([4, 3]))
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """Undo :func:`weight_norm`: ``module.<name>`` becomes one parameter again."""
    return remove_hook(module, WeightNorm, name, "weight_norm")
