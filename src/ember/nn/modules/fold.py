"""``torch.nn.modules.fold``: where PyTorch keeps Fold, Unfold (ember defines them in
``conv.py``), for code that imports them from here."""
from .conv import Fold, Unfold

__all__ = ["Fold", "Unfold"]
