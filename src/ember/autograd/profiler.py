"""``torch.autograd.profiler``: ``profile`` (the autograd profiler), ``record_function``, and
the recorder that both it and ``torch.profiler.profile`` use.

How ops are seen: every ember op ends in ``ember._ops._core.make`` (or ``make_multi``), which
calls ``_core._profile_hook`` when it is set -- only while a profiler records, so an op pays
one global check otherwise.  The hook gets the op's backward-node name (``AddmmBackward0``),
turned into PyTorch's operator name (``aten::addmm``).

NOTE: the hook runs when an op *finishes*; its start is taken as the moment the previous op
(or ``record_function`` boundary) finished.  In straight-line model code that is the op's
own time, plus the Python between the two ops; composite ops appear as their parts
(``aten::linear`` shows as ``aten::t`` and ``aten::addmm``, without the parent range).
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sys
import threading
import time

from .profiler_util import EventList, FunctionEvent, FunctionEventAvg  # noqa: F401

__all__ = ["profile", "record_function", "emit_nvtx", "emit_itt", "EventList",
           "FunctionEvent", "FunctionEventAvg", "kineto_available"]

# -- operator names ------------------------------------------------------------------

# Backward-node names whose operator is not simply their snake_case form.
_ATEN = {
    "Softmax": "_softmax", "LogSoftmax": "_log_softmax", "UnsafeView": "_unsafe_view",
    "ToCopy": "_to_copy", "NllLoss": "nll_loss_forward", "NllLoss2D": "nll_loss2d_forward",
    "MaxPool2DWithIndices": "max_pool2d_with_indices",
    "MaxPool3DWithIndices": "max_pool3d_with_indices",
    "AdaptiveAvgPool2D": "_adaptive_avg_pool2d", "AdaptiveAvgPool3D": "_adaptive_avg_pool3d",
    "NativeBatchNorm": "native_batch_norm", "NativeLayerNorm": "native_layer_norm",
    "NativeGroupNorm": "native_group_norm", "Rsub": "rsub", "PowBackward": "pow",
    "Convolution": "convolution", "ConvolutionBackward": "convolution_backward",
    "ReshapeAlias": "_reshape_alias", "Mkldnn": "mkldnn_convolution",
}
_names: dict = {}
_SUFFIX = re.compile(r"Backward\d*$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def aten_name(node_name) -> str:
    """``"AddmmBackward0"`` -> ``"aten::addmm"`` (cached)."""
    name = _names.get(node_name)
    if name is None:
        base = _SUFFIX.sub("", str(node_name)) or str(node_name)
        op = _ATEN.get(base)
        if op is None:
            op = re.sub(r"(\d)D\b|(\d)D(?=[A-Z])", lambda m: (m.group(1) or m.group(2)) + "d",
                        base)
            op = _CAMEL.sub("_", op).lower()
        name = _names[node_name] = "aten::" + op
    return name


# -- the recorder --------------------------------------------------------------------

_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


_now_ns = time.perf_counter_ns  # (integers while recording; microseconds once finished)


class _Recorder:
    """The events of one profiling run, and the open ``record_function`` ranges."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False):
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.events = []
        self.open = []  # ranges entered and not yet left, innermost last
        self.ids = 0
        self.thread_ids = {}
        self.start_ns = self.mark = _now_ns()
        self.end_ns = None
        self.lock = threading.Lock()

    def _thread(self):
        ident = threading.get_ident()
        tid = self.thread_ids.get(ident)
        if tid is None:
            tid = self.thread_ids[ident] = len(self.thread_ids) + 1
        return tid

    def _stack(self):
        frames = []
        f = sys._getframe(3)
        while f is not None:
            path = f.f_code.co_filename
            if not path.startswith(_EMBER_DIR):
                frames.append(f"{path}({f.f_lineno}): {f.f_code.co_name}")
            f = f.f_back
        return frames

    def _new(self, name, start, end, shapes=None, memory=0, annotation=False):
        self.ids += 1
        # (the steps of a schedule add up as one row, "ProfilerStep*", as in PyTorch)
        key = "ProfilerStep*" if name.startswith("ProfilerStep#") else name
        ev = FunctionEvent(self.ids, key, self._thread(), start, end, input_shapes=shapes,
                           stack=self._stack() if self.with_stack else None,
                           cpu_memory_usage=memory, is_user_annotation=annotation,
                           trace_name=name)
        parent = self.open[-1] if self.open else None
        if parent is not None and parent.thread == ev.thread:
            ev.cpu_parent = parent
            parent.cpu_children.append(ev)
        self.events.append(ev)
        return ev

    def op(self, node_name, inputs, arr):
        """``_core._profile_hook``: an op named ``node_name`` just made ``arr``."""
        end = _now_ns()
        with self.lock:
            start, self.mark = self.mark, end
            name = aten_name(node_name)
            memory = _fresh_bytes(arr) if self.profile_memory else 0
            top = self.open[-1] if self.open else None
            if top is not None and top.name == name and not top.is_user_annotation:
                top.cpu_memory_usage += memory  # (the op is the composite range itself)
                return
            shapes = None
            if self.record_shapes:
                shapes = [list(t.shape) if t is not None else [] for t in inputs]
            self._new(name, start, end, shapes, memory)

    def enter(self, name, annotation=True, shapes=None):
        now = _now_ns()
        with self.lock:
            self.mark = now
            if self.record_shapes and shapes is None:
                shapes = []
            ev = self._new(name, now, now, shapes if self.record_shapes else None,
                           annotation=annotation)
            self.open.append(ev)
        return ev

    def exit(self, ev):
        now = _now_ns()
        with self.lock:
            if self.end_ns is not None:  # (left after the profile ended: it ended with it)
                return
            self.mark = now
            ev.time_range.end = now
            if ev in self.open:
                del self.open[len(self.open) - 1 - self.open[::-1].index(ev):]
            ev.cpu_memory_usage += sum(c.cpu_memory_usage for c in ev.cpu_children)

    def finish(self):
        now = _now_ns()
        for ev in reversed(self.open):  # (ranges left open end with the profiler)
            ev.time_range.end = now
        self.open = []
        self.end_ns = now
        base = self.start_ns
        for ev in self.events:  # microseconds since the recording began
            ev.time_range.start = (ev.time_range.start - base) / 1000
            ev.time_range.end = (ev.time_range.end - base) / 1000
        self.events.sort(key=lambda e: (e.time_range.start, -e.time_range.end))
        return self.events


def _fresh_bytes(arr):
    """Bytes an op's result(s) newly hold (a view of other memory holds none)."""
    if isinstance(arr, (list, tuple)):
        return sum(_fresh_bytes(a) for a in arr)
    if getattr(arr, "base", None) is not None:
        return 0
    return int(getattr(arr, "nbytes", 0))


_active = [None]  # the recorder that ops report to (None: no profiler records)


def _start(recorder):
    from .._ops import _core

    if _active[0] is not None:
        raise RuntimeError("Profiler is already enabled on this thread")
    global _is_profiler_enabled
    _active[0] = recorder
    _is_profiler_enabled = True
    _core._profile_hook = recorder.op
    _patches[:] = _wrap_composites() + _optimizer_ranges()


def _stop(recorder):
    from .._ops import _core

    global _is_profiler_enabled
    if _active[0] is recorder:
        _active[0] = None
        _is_profiler_enabled = False
        _core._profile_hook = None
        _unwrap_composites(_patches)
        _patches.clear()
    return recorder.finish()


# -- composite operators -------------------------------------------------------------
#
# PyTorch records a layer's call as its composite operator with the primitive ops inside
# (``aten::linear`` > ``aten::t``, ``aten::addmm``).  ember's composites are plain Python
# functions, so while a profiler records, every reference that ember's modules and classes
# hold to one of them is swapped for a wrapper that opens that range; stopping puts the
# originals back.  Nothing is wrapped at other times.

_COMPOSITES = (
    ("ember.nn.functional", "linear", "aten::linear"),
    ("ember.nn.functional", "conv1d", "aten::conv1d"),
    ("ember.nn.functional", "conv2d", "aten::conv2d"),
    ("ember.nn.functional", "conv3d", "aten::conv3d"),
    ("ember.nn.functional", "conv_transpose1d", "aten::conv_transpose1d"),
    ("ember.nn.functional", "conv_transpose2d", "aten::conv_transpose2d"),
    ("ember.nn.functional", "conv_transpose3d", "aten::conv_transpose3d"),
    ("ember.nn.functional", "batch_norm", "aten::batch_norm"),
    ("ember.nn.functional", "layer_norm", "aten::layer_norm"),
    ("ember.nn.functional", "group_norm", "aten::group_norm"),
    ("ember.nn.functional", "instance_norm", "aten::instance_norm"),
    ("ember.nn.functional", "dropout", "aten::dropout"),
    ("ember.nn.functional", "max_pool1d", "aten::max_pool1d"),
    ("ember.nn.functional", "max_pool2d", "aten::max_pool2d"),
    ("ember.nn.functional", "max_pool3d", "aten::max_pool3d"),
    ("ember.nn.functional", "adaptive_avg_pool1d", "aten::adaptive_avg_pool1d"),
    ("ember.nn.functional", "adaptive_avg_pool2d", "aten::adaptive_avg_pool2d"),
    ("ember.nn.functional", "adaptive_avg_pool3d", "aten::adaptive_avg_pool3d"),
    ("ember.nn.functional", "cross_entropy", "aten::cross_entropy_loss"),
    ("ember.nn.functional", "nll_loss", "aten::nll_loss_nd"),
    ("ember.nn.functional", "mse_loss", "aten::mse_loss"),
    ("ember.nn.functional", "binary_cross_entropy_with_logits",
     "aten::binary_cross_entropy_with_logits"),
    ("ember.nn.functional", "log_softmax", "aten::log_softmax"),
    ("ember.nn.functional", "softmax", "aten::softmax"),
    ("ember.nn.functional", "embedding", "aten::embedding"),
    ("ember.nn.functional", "scaled_dot_product_attention",
     "aten::scaled_dot_product_attention"),
    ("ember", "flatten", "aten::flatten"),
    ("ember", "matmul", "aten::matmul"),
    ("ember._ops.linalg", "matmul", "aten::matmul"),
)
_patches: list = []


def _ranged(fn, op):
    """``fn`` inside an ``op`` range while a profiler records (once, if it calls itself)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        rec = _active[0]
        if rec is None or (rec.open and rec.open[-1].name == op):
            return fn(*args, **kwargs)
        shapes = None
        if rec.record_shapes:
            shapes = [list(a.shape) if hasattr(a, "shape") and hasattr(a, "_data") else []
                      for a in args]
        ev = rec.enter(op, annotation=False, shapes=shapes)
        try:
            return fn(*args, **kwargs)
        finally:
            rec.exit(ev)

    run._ember_unranged = fn
    return run


_EVALUATE = "autograd::engine::evaluate_function: "
_ACCUMULATE = "torch::autograd::AccumulateGrad"


def _backward_ranged(fn, leaf):
    """The backward engine's step for one node (or, with ``leaf``, the accumulation into a
    leaf's ``.grad``) inside PyTorch's two ranges: ``autograd::engine::evaluate_function:
    AddmmBackward0`` holding ``AddmmBackward0``."""

    @functools.wraps(fn)
    def run(node, *args):
        rec = _active[0]
        if rec is None:
            return fn(node, *args)
        name = _ACCUMULATE if leaf else type(node).__name__
        outer = rec.enter(_EVALUATE + name, annotation=False)
        inner = rec.enter(name, annotation=False)
        try:
            return fn(node, *args)
        finally:
            rec.exit(inner)
            rec.exit(outer)

    return run


def _wrap_composites():
    wrappers = {}
    for modname, attr, op in _COMPOSITES:
        fn = getattr(sys.modules.get(modname), attr, None)
        # (a public function may be a checking wrapper around the implementation that
        # ember's modules call directly: both get the range, opened once)
        while callable(fn) and id(fn) not in wrappers:
            wrappers[id(fn)] = (fn, _ranged(fn, op))
            fn = getattr(fn, "__wrapped__", None)
    from . import graph

    for attr, leaf in (("_apply", False), ("accumulate_into_leaf", True)):
        fn = getattr(graph, attr, None)
        if callable(fn):
            wrappers[id(fn)] = (fn, _backward_ranged(fn, leaf))
    done, seen = [], set()
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname == "ember" or modname.startswith("ember.")):
            continue
        space = getattr(mod, "__dict__", None)
        if not isinstance(space, dict):
            continue
        for key, value in list(space.items()):
            hit = wrappers.get(id(value))
            if hit is not None and hit[0] is value:
                space[key] = hit[1]
                done.append((space, key, value, hit[1]))
            elif isinstance(value, type) and id(value) not in seen:
                # (any class an ember module holds: under ``ember run`` ember's classes carry
                # torch module names, so where one was defined is not told by its name)
                seen.add(id(value))
                for ckey, cvalue in list(vars(value).items()):
                    inner = cvalue.__func__ if isinstance(cvalue, staticmethod) else cvalue
                    hit = wrappers.get(id(inner))
                    if hit is not None and hit[0] is inner:
                        new = staticmethod(hit[1]) if inner is not cvalue else hit[1]
                        setattr(value, ckey, new)
                        done.append((value, ckey, cvalue, new))
    return done


def _optimizer_ranges():
    """PyTorch's ranges around every optimizer's ``step`` and ``zero_grad``
    (``Optimizer.step#SGD.step``): global step hooks (so a user's optimizer class gets them
    too) and a wrapped ``Optimizer.zero_grad``, in the form ``_unwrap_composites`` undoes."""
    optim = sys.modules.get("ember.optim.optimizer")
    if optim is None:
        return []
    open_ranges = {}  # id(optimizer) -> its open step ranges

    def pre(opt, args, kwargs):
        rec = _active[0]
        if rec is not None:
            name = type(opt).__name__
            open_ranges.setdefault(id(opt), []).append(
                rec.enter(f"Optimizer.step#{name}.step", annotation=False))

    def post(opt, args, kwargs):
        rec, stack = _active[0], open_ranges.get(id(opt))
        if rec is not None and stack:
            rec.exit(stack.pop())

    handles = [optim.register_optimizer_step_pre_hook(pre),
               optim.register_optimizer_step_post_hook(post)]
    base = optim.Optimizer
    zero_grad = base.__dict__["zero_grad"]

    @functools.wraps(zero_grad)
    def ranged_zero_grad(self, *args, **kwargs):
        rec = _active[0]
        if rec is None:
            return zero_grad(self, *args, **kwargs)
        name = type(self).__name__
        ev = rec.enter(f"Optimizer.zero_grad#{name}.zero_grad", annotation=False)
        try:
            return zero_grad(self, *args, **kwargs)
        finally:
            rec.exit(ev)

    base.zero_grad = ranged_zero_grad
    return [(base, "zero_grad", zero_grad, ranged_zero_grad)] + [
        (handles, i, h, None) for i, h in enumerate(handles)]


def _unwrap_composites(done):
    for where, key, old, new in reversed(done):
        if isinstance(where, list):  # (an optimizer hook's handle)
            old.remove()
        elif isinstance(where, dict):
            if where.get(key) is new:
                where[key] = old
        elif where.__dict__.get(key) is new:
            setattr(where, key, old)


# (a flag, not a function, as PyTorch's: ``if torch.autograd.profiler._is_profiler_enabled:``)
_is_profiler_enabled = False


# -- record_function -----------------------------------------------------------------

class record_function(contextlib.ContextDecorator):
    """A named range in the profile: ``with record_function("forward"):`` or
    ``@record_function("step")``.  Does nothing while no profiler records."""

    def __init__(self, name: str, args: str | None = None):
        self.name = name
        self.args = args
        self.run_callbacks_on_exit = True
        self.record = None
        self._rec = None

    def __enter__(self):
        rec = _active[0]
        if rec is not None:
            self._rec = rec
            self.record = rec.enter(self.name)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if not self.run_callbacks_on_exit:
            return False
        rec, self._rec = self._rec, None
        if rec is not None and self.record is not None:
            rec.exit(self.record)
        return False

    def _call_end_callbacks_on_future(self, fut):
        self.__exit__(None, None, None)
        return fut


# -- the autograd profiler -----------------------------------------------------------

def kineto_available() -> bool:
    return False


class profile:
    """``with torch.autograd.profiler.profile() as prof:``: records ember's ops (CPU);
    ``prof.key_averages().table(...)`` summarises them."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None):
        self.enabled = enabled
        self.use_device = use_device
        self.record_shapes = record_shapes
        self.with_flops = with_flops
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_modules = with_modules
        self.entered = False
        self._recorder = None
        self._function_events = None

    def __enter__(self):
        if not self.enabled:
            return None
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._recorder = _Recorder(self.record_shapes, self.profile_memory, self.with_stack)
        _start(self._recorder)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if not self.enabled:
            return None
        events = _stop(self._recorder)
        self._function_events = EventList(events, use_device=self.use_device,
                                          profile_memory=self.profile_memory,
                                          with_flops=self.with_flops)
        return False

    def __repr__(self):
        if self._function_events is None:
            return "<unfinished torch.autograd.profile>"
        return repr(self._function_events)

    def __str__(self):
        if self._function_events is None:
            return "<unfinished torch.autograd.profile>"
        return str(self._function_events)

    def _results(self):
        if self._function_events is None:
            raise AssertionError("Expected profiling results")
        return self._function_events

    @property
    def function_events(self):
        return self._function_events

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False):
        return self._results().table(
            sort_by=sort_by, row_limit=row_limit, max_src_column_width=max_src_column_width,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width, header=header,
            top_level_events_only=top_level_events_only)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        return self._results().key_averages(group_by_input_shape, group_by_stack_n,
                                            group_by_overload_name)

    def total_average(self):
        return self._results().total_average()

    @property
    def self_cpu_time_total(self):
        return self._results().self_cpu_time_total

    def export_chrome_trace(self, path, metadata=None, use_python_export=False):
        _write_trace(self._recorder, self._results(), path, metadata)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        return self._results().export_stacks(path, metric)


def _write_trace(recorder, events, path, metadata=None):
    """A Chrome trace in the JSON-object form PyTorch's profiler writes (``traceEvents``
    with one complete ``"X"`` event per range); ``.gz`` paths are gzipped."""
    pid = os.getpid()
    tid = threading.get_native_id()
    base = recorder.start_ns / 1000 if recorder is not None else 0.0
    trace = []
    for name, value in (("process_name", {"name": "python"}),
                        ("process_labels", {"labels": "CPU"}),
                        ("thread_name", {"name": f"thread {tid} (python)"})):
        trace.append({"ph": "M", "name": name, "ts": base, "pid": pid,
                      "tid": tid if name == "thread_name" else 0, "args": value})
    for i, e in enumerate(events):
        args = {"External id": e.id, "Ev Idx": i}
        if e.input_shapes and not e.is_user_annotation:
            args["Input Dims"] = e.input_shapes
        cat = "user_annotation" if e.is_user_annotation else "cpu_op"
        trace.append({"ph": "X", "cat": cat, "name": e.trace_name, "pid": pid,
                      "tid": tid, "ts": base + e.time_range.start,
                      "dur": e.time_range.elapsed_us(), "args": args})
    doc = {"schemaVersion": 1, "deviceProperties": [],
           "record_shapes": int(bool(recorder and recorder.record_shapes)),
           "displayTimeUnit": "ms",
           "baseTimeNanoseconds": time.time_ns() - time.perf_counter_ns(),
           "traceEvents": trace, "traceName": str(path)}
    if metadata:
        doc.update(metadata)
    text = json.dumps(doc)
    if str(path).endswith(".gz"):
        import gzip

        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)


class emit_nvtx:
    """``emit_nvtx()``: NVTX ranges for NVIDIA's tools; ember emits none (a no-op)."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled = enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


emit_itt = emit_nvtx


def load_nvprof(path):
    from .._unsupported import Unsupported

    raise Unsupported("torch.autograd.profiler.load_nvprof is not supported by ember")

