"""``torch.utils.benchmark``: ``Timer`` for timing statements, ``Measurement`` for what it
measured, ``Compare`` for printing many measurements as one table.

Only wall-clock timing of Python statements: the C++ timer, Callgrind instruction counts and
the op fuzzers need PyTorch's C++ build.
"""
from .utils.common import (Measurement, TaskSpec, ordered_unique, select_unit,  # noqa: F401
                           set_torch_threads, trim_sigfig, unit_to_english)
from .utils.compare import Colorize, Compare  # noqa: F401
from .utils.timer import Language, Timer, timer  # noqa: F401
from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.utils.benchmark")
