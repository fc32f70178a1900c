"""``ember.nn``: modules, parameters, layers, ``functional`` and ``init``."""
from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from .parameter import Buffer, Parameter  # noqa: F401
from . import attention, grad, parallel  # noqa: E402,F401
from .parallel import DataParallel  # noqa: E402,F401
from .modules import utils as _modules_utils  # noqa: E402,F401  (nn.modules.utils._pair & co.)

from .._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.nn")
