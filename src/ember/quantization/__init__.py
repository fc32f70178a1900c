"""``torch.quantization``: PyTorch's older name for ``torch.ao.quantization``."""
from ember.ao.quantization import *  # noqa: F401,F403
from ember.ao.quantization import __all__  # noqa: F401
