"""``torch.profiler.profile``: the autograd profiler's recorder driven by a step schedule.

A schedule maps each step number to a :class:`ProfilerAction`; moving from one action to
the next prepares, starts or stops a recording and, at the end of each active cycle, calls
``on_trace_ready(prof)`` -- the transitions PyTorch's profiler makes, in the same order.
"""
from __future__ import annotations

import enum
import os
import socket
import time
import warnings

from ..autograd import profiler as _prof
from ..autograd.profiler import kineto_available  # noqa: F401
from ..autograd.profiler_util import EventList

__all__ = ["ProfilerAction", "ProfilerActivity", "schedule", "tensorboard_trace_handler",
           "profile", "supported_activities", "ExecutionTraceObserver", "kineto_available"]


class ProfilerActivity(enum.Enum):
    """What to record: ``CPU`` (ember's ops) or a device's kernels (``CUDA``: ember records
    the ops that run on the GPU on the CPU timeline, as it launches them)."""

    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What the profiler does during a step."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities():
    """The activities that can be asked for: CPU, and CUDA when a GPU is there."""
    from .. import cuda

    found = {ProfilerActivity.CPU}
    if cuda.is_available():
        found.add(ProfilerActivity.CUDA)
    return found


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0):
    """The step -> action map: skip ``skip_first`` steps, then cycles of ``wait`` idle,
    ``warmup`` and ``active`` recorded steps (the last one saves), ``repeat`` times (0:
    without end).  ``skip_first_wait`` leaves out the first cycle's wait."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), "
            f"warmup={warmup} (need >= 0), active={active} (need > 0), repeat={repeat} "
            f"(need >= 0), skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)
    cycle = wait + warmup + active

    def action(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


def _always_record(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False, use_python_export: bool = False):
    """An ``on_trace_ready`` that writes each cycle's trace into ``dir_name`` as
    ``<worker>.<ns>.pt.trace.json`` (the layout TensorBoard's profiler plugin reads)."""

    def handler(prof) -> None:
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker_name}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, name))

    return handler


class ExecutionTraceObserver:
    """PyTorch's execution-graph recorder; ember has no operator graph to write."""

    def __init__(self, *args, **kwargs):
        from .._unsupported import Unsupported

        raise Unsupported("torch.profiler.ExecutionTraceObserver is not supported by ember; "
                          "use profile(...).export_chrome_trace(path) for a trace")

    @staticmethod
    def build_execution_trace_obs_from_env():
        return None


class _KinetoProfile:
    """Start/stop recording by hand: ``prepare_trace``, ``start_trace``, ``stop_trace``."""

    def __init__(self, *, activities=None, record_shapes=False, profile_memory=False,
                 with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False,
                 custom_trace_id_callback=None, post_processing_timeout_s=None):
        chosen = set()
        for item in (activities if activities is not None else supported_activities()):
            if isinstance(item, dict):
                chosen.update(item)
            else:
                chosen.add(item)
        self.activities = chosen
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.with_modules = with_modules
        self.experimental_config = experimental_config
        self.acc_events = acc_events
        self.use_device = None
        if ProfilerActivity.CUDA in chosen:
            from .. import cuda

            if cuda.is_available():
                self.use_device = "cuda"
            else:
                warnings.warn("CUDA is not available, disabling CUDA profiling", stacklevel=3)
        self.profiler = None  # the current cycle's recording (an autograd profile)
        self._recorder = None
        self._previous = []
        self._metadata = {}

    def start(self):
        self.prepare_trace()
        self.start_trace()

    def stop(self):
        self.stop_trace()

    def prepare_trace(self):
        if self.profiler is not None and not self.acc_events:
            _warn_once("Warning: Profiler clears events at the end of each cycle. Only events "
                       "from the current cycle will be reported. To keep events across "
                       "cycles, set acc_events=True.")
        if self.profiler is None or not self.acc_events:
            self.profiler = _prof.profile(use_device=self.use_device,
                                          record_shapes=self.record_shapes,
                                          with_flops=self.with_flops,
                                          profile_memory=self.profile_memory,
                                          with_stack=self.with_stack,
                                          with_modules=self.with_modules)
            self._previous = []

    def start_trace(self):
        if self.profiler is None:
            raise AssertionError("Profiler must be initialized before starting trace")
        if self.acc_events and self.profiler._function_events is not None:
            self._previous = list(self.profiler._function_events)
        self._recorder = _prof._Recorder(self.record_shapes, self.profile_memory,
                                         self.with_stack)
        _prof._start(self._recorder)

    def stop_trace(self):
        rec, self._recorder = self._recorder, None
        if rec is None:
            return
        events = _prof._stop(rec)
        p = self.profiler
        p._recorder = rec
        p._function_events = EventList(self._previous + events, use_device=self.use_device,
                                       profile_memory=self.profile_memory,
                                       with_flops=self.with_flops)

    def _results(self, what):
        if self.profiler is None or self.profiler._function_events is None:
            raise AssertionError(f"Profiler must be initialized before {what}")
        return self.profiler._function_events

    def export_chrome_trace(self, path: str, use_python_export: bool = False):
        """The last cycle's events as a Chrome trace (JSON; gzipped for ``.gz`` paths)."""
        events = self._results("exporting chrome trace")
        _prof._write_trace(self.profiler._recorder, events, path, self._metadata)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total"):
        return self._results("exporting stacks").export_stacks(path, metric)

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False):
        """The events added up by name (and input shapes, top stack frames, when asked)."""
        return self._results("getting key averages").key_averages(
            group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def events(self):
        """The recorded events (an ``EventList`` of ``FunctionEvent``)."""
        return self._results("accessing events")

    def add_metadata(self, key: str, value: str) -> None:
        self._metadata[key] = value

    def add_metadata_json(self, key: str, value: str) -> None:
        import json

        self._metadata[key] = json.loads(value)

    def export_memory_timeline(self, path: str, device: str | None = None) -> None:
        from .._unsupported import Unsupported

        raise Unsupported("profile.export_memory_timeline is not supported by ember")

    def toggle_collection_dynamic(self, enable: bool, activities) -> None:
        return None


_warned = set()


def _warn_once(text):
    if text not in _warned:
        _warned.add(text)
        warnings.warn(text, stacklevel=3)


def _warn_transition(text):
    return lambda: warnings.warn(text, stacklevel=2)


class profile(_KinetoProfile):
    """``with torch.profiler.profile(activities=[ProfilerActivity.CPU], schedule=...,
    on_trace_ready=...) as prof:`` and ``prof.step()`` at each training step."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None, custom_trace_id_callback=None,
                 post_processing_timeout_s=None):
        acts = set()
        if activities is not None:
            for item in activities:
                acts.update(item if isinstance(item, dict) else (item,))
        else:
            acts = supported_activities()
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead",
                          FutureWarning, stacklevel=2)
            if use_cuda:
                acts.add(ProfilerActivity.CUDA)
            else:
                acts.discard(ProfilerActivity.CUDA)
        if not acts:
            raise AssertionError("No valid profiler activities found")
        super().__init__(activities=acts, record_shapes=record_shapes,
                         profile_memory=profile_memory, with_stack=with_stack,
                         with_flops=with_flops, with_modules=with_modules,
                         experimental_config=experimental_config, acc_events=acc_events)
        self.schedule = schedule if schedule else _always_record
        self.record_steps = bool(schedule)
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn = None
        self.current_action = self.schedule(self.step_num)
        if self.current_action == ProfilerAction.DEVICE_STOPPED:
            raise ValueError("ProfilerAction.DEVICE_STOPPED is set internally by the profiler "
                             "and must not be returned by a user-provided schedule")
        A = ProfilerAction
        prep, start, stop, ready = (self.prepare_trace, self.start_trace, self.stop_trace,
                                    self._trace_ready)
        # (previous action, next action) -> what to do, in order; None: the profiler stops
        self.action_map = {
            (A.NONE, A.NONE): [], (A.NONE, A.WARMUP): [prep],
            (A.NONE, A.RECORD): [prep, start], (A.NONE, A.RECORD_AND_SAVE): [prep, start],
            (A.WARMUP, A.NONE): [_warn_transition("Incorrect schedule: WARMUP followed by "
                                                  "NONE"), start, stop],
            (A.WARMUP, A.WARMUP): [], (A.WARMUP, A.RECORD): [start],
            (A.WARMUP, A.RECORD_AND_SAVE): [start],
            (A.RECORD, A.NONE): [_warn_transition("Incorrect schedule: RECORD followed by "
                                                  "NONE"), stop],
            (A.RECORD, A.WARMUP): [_warn_transition("Incorrect schedule: RECORD followed by "
                                                    "WARMUP"), stop],
            (A.RECORD, A.RECORD): [], (A.RECORD, A.RECORD_AND_SAVE): [],
            (A.RECORD_AND_SAVE, A.NONE): [stop, ready],
            (A.RECORD_AND_SAVE, A.WARMUP): [stop, ready, prep],
            (A.RECORD_AND_SAVE, A.RECORD): [stop, ready, prep, start],
            (A.RECORD_AND_SAVE, A.RECORD_AND_SAVE): [stop, ready, prep, start],
            (A.WARMUP, None): [start, stop], (A.RECORD, None): [stop, ready],
            (A.RECORD_AND_SAVE, None): [stop, ready],
        }

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.stop()
        return False

    def start(self):
        self._transit(ProfilerAction.NONE, self.current_action)
        self._open_step()

    def stop(self):
        self._close_step()
        self._transit(self.current_action, None)

    def step(self):
        """Marks the start of the next step: applies the schedule's action for it."""
        self._close_step()
        prev = self.current_action
        nxt = self.schedule(self.step_num + 1)
        if nxt == ProfilerAction.DEVICE_STOPPED:
            raise ValueError("ProfilerAction.DEVICE_STOPPED is set internally by the profiler "
                             "and must not be returned by a user-provided schedule")
        self.step_num += 1
        self.current_action = nxt
        self._transit(prev, nxt)
        self._open_step()

    def _open_step(self):
        if self.record_steps:
            self.step_rec_fn = _prof.record_function(f"ProfilerStep#{self.step_num}")
            self.step_rec_fn.__enter__()

    def _close_step(self):
        if self.record_steps and self.step_rec_fn is not None:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None

    def _trace_ready(self):
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit(self, prev, nxt):
        for act in self.action_map.get((prev, nxt), ()):
            act()

    def set_custom_trace_id_callback(self, callback) -> None:
        self.custom_trace_id_callback = callback

    def get_trace_id(self):
        return None
