"""``ember.optim``: optimizers and learning-rate schedulers, as ``torch.optim``.

>>> opt = ember.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
>>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=10)
"""
from . import lr_scheduler  # noqa: F401
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adafactor import Adafactor
from .asgd import ASGD
from .adamw import AdamW
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam
from . import swa_utils  # noqa: F401,E402

__all__ = ["ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS",
           "Muon", "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD", "SparseAdam",
           "lr_scheduler", "swa_utils"]

from .._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.optim")  # SparseAdam... name what is missing
