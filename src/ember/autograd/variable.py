"""``torch.autograd.variable``: where PyTorch keeps the legacy ``Variable`` (ember's is in
``ember.autograd``), for code that imports it from here (``from torch.autograd.variable import
Variable``)."""
from . import Variable
from . import _VariableMeta as VariableMeta

__all__ = ["VariableMeta", "Variable"]
