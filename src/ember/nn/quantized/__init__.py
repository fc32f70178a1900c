"""``torch.nn.quantized``: PyTorch's older name for ``torch.ao.nn.quantized``."""
from ember.ao.nn.quantized import *  # noqa: F401,F403
from ember.ao.nn.quantized import dynamic  # noqa: F401
