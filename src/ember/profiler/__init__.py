"""``torch.profiler``: ``profile`` with schedules and trace handlers, ``record_function``,
``ProfilerActivity``.  ember records its own ops on the CPU (see ``ember.autograd.profiler``
for how and what the times mean)."""
from ..autograd.profiler import record_function  # noqa: F401
from ..autograd.profiler_util import DeviceType  # noqa: F401
from .profiler import (ExecutionTraceObserver, ProfilerAction, ProfilerActivity,  # noqa: F401
                       _KinetoProfile, kineto_available, profile, schedule,
                       supported_activities, tensorboard_trace_handler)
from . import itt  # noqa: F401
from .._unsupported import module_getattr as _module_getattr  # noqa: E402

__all__ = ["profile", "schedule", "supported_activities", "tensorboard_trace_handler",
           "ProfilerAction", "ProfilerActivity", "kineto_available", "DeviceType",
           "record_function", "ExecutionTraceObserver"]

__getattr__ = _module_getattr("torch.profiler")
