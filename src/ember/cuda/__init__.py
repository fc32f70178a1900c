"""``ember.cuda``: GPU queries and settings, through CuPy.

Without CuPy (or without a GPU) ``is_available()`` is False, ``device_count()`` is 0,
the memory counters read 0, seeding is a no-op, and whatever needs a GPU raises an error
that is both PyTorch's ``AssertionError`` (what its CPU build raises: "Torch not compiled
with CUDA enabled") and its ``RuntimeError`` (what its CUDA build raises without a GPU).

Random numbers: ``ember.rand(..., device='cuda')`` and the other creation ops draw from
ember's CPU generator (PyTorch's MT19937 stream) and copy the result to the GPU, so a
seed gives the same numbers on every device, and ``ember.get_rng_state()`` /
``set_rng_state()`` govern them.  PyTorch's CUDA generator (Philox) gives other numbers;
no ember program can match those.  Dropout on a GPU draws its masks on the device from
a stream of ember's own (``ember.cuda._rng``: one per GPU, a seed and a count of values
drawn); ``manual_seed`` seeds it, and ``ember.cuda.get_rng_state()`` /
``set_rng_state()`` save and restore exactly it, so that restoring a state repeats the
masks drawn after it.  A checkpoint that saves both states, as PyTorch code does,
reproduces both kinds of draws.

Memory: the figures are those of CuPy's memory pool, under PyTorch's names
(``memory_stats``); the counts PyTorch's allocator keeps and CuPy's does not are left out
rather than made up.  GPU utilisation, temperature and the process list come from NVML
(``pip install nvidia-ml-py``), as in PyTorch.  ``FloatTensor`` and the other legacy types
here check for and make CUDA tensors.  CUDA graphs (``CUDAGraph``, ``graph``,
``make_graphed_callables``) and private memory pools (``MemPool``) are not supported: they
raise, saying what to do instead.
"""
from __future__ import annotations

import collections

from .._device import _get_cupy, cuda_available, no_cuda
from .._unsupported import module_getattr as _module_getattr
from . import _rng

__all__ = ["is_available", "device_count", "current_device", "set_device", "device",
           "get_device_name", "get_device_capability", "get_device_properties",
           "synchronize", "manual_seed", "manual_seed_all", "seed", "seed_all",
           "initial_seed", "get_rng_state", "get_rng_state_all", "set_rng_state",
           "set_rng_state_all", "empty_cache", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "max_memory_reserved", "reset_peak_memory_stats",
           "reset_max_memory_allocated", "reset_max_memory_cached",
           "reset_accumulated_memory_stats", "memory_cached", "max_memory_cached",
           "memory_stats", "memory_stats_as_nested_dict", "memory_summary",
           "set_per_process_memory_fraction", "get_per_process_memory_fraction",
           "list_gpu_processes", "utilization", "temperature", "power_draw", "clock_rate",
           "memory_usage", "device_memory_used", "is_initialized", "init", "ipc_collect",
           "mem_get_info", "is_bf16_supported", "is_tf32_supported",
           "can_device_access_peer", "get_arch_list", "get_gencode_flags", "device_of",
           "Stream", "Event", "StreamContext", "stream", "set_stream", "current_stream",
           "default_stream", "is_current_stream_capturing", "get_sync_debug_mode",
           "set_sync_debug_mode", "has_half", "has_magma", "CUDAGraph", "graph",
           "make_graphed_callables", "MemPool", "use_mem_pool", "graph_pool_handle"]


def _require(*error):
    """CuPy, or the error for a GPU request on a machine without one (PyTorch's CPU build's
    AssertionError, or the ``(class, message)`` of what it raises instead)."""
    cp = _get_cupy()
    if cp is None:
        raise no_cuda(*error)
    return cp


def is_available() -> bool:
    """Whether CuPy is installed and sees at least one GPU."""
    return cuda_available()


def is_initialized() -> bool:
    return cuda_available()


def device_count() -> int:
    cp = _get_cupy()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def _index(d, default=None) -> int:
    """A device index from an int, ``'cuda:N'``, ``ember.device`` or None (the current one)."""
    from .._device import device as Device

    if d is None:
        return current_device() if default is None else default
    if isinstance(d, int) and not isinstance(d, bool):
        return d
    d = Device(d)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return current_device() if d.index is None else d.index


def current_device() -> int:
    return _require().cuda.runtime.getDevice()


def set_device(device) -> None:
    """Make ``device`` the GPU that ``'cuda'`` means (a negative index is a no-op)."""
    idx = _index(device)
    if idx >= 0:
        _require(_NoCudaStats, "module 'torch._C' has no attribute '_cuda_setDevice'")
        _require().cuda.runtime.setDevice(idx)


class device:
    """``with ember.cuda.device(1):`` makes GPU 1 the current one inside the block."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device)
        self.prev = -1

    def __enter__(self):
        if self.idx >= 0:
            _require(RuntimeError, "PyTorch was compiled without CUDA support")
            self.prev = current_device()
            if self.prev != self.idx:
                set_device(self.idx)  # (and, as PyTorch's, nothing to bind with ``as``)

    def __exit__(self, *exc):
        if self.idx >= 0 and self.prev != self.idx:
            set_device(self.prev)
        return False


class _CudaDeviceProperties:
    """What ``get_device_properties`` gives: PyTorch's attribute names over CUDA's figures."""

    __slots__ = ("name", "major", "minor", "total_memory", "multi_processor_count",
                 "L2_cache_size", "is_integrated", "is_multi_gpu_board")

    def __init__(self, p: dict):
        name = p["name"]
        self.name = name.decode() if isinstance(name, bytes) else name
        self.major, self.minor = p["major"], p["minor"]
        self.total_memory = p.get("totalGlobalMem", 0)
        self.multi_processor_count = p.get("multiProcessorCount", 0)
        self.L2_cache_size = p.get("l2CacheSize", 0)
        self.is_integrated = p.get("integrated", 0)
        self.is_multi_gpu_board = p.get("isMultiGpuBoard", 0)

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
                f"minor={self.minor}, total_memory={self.total_memory // 2**20}MB, "
                f"multi_processor_count={self.multi_processor_count}, "
                f"L2_cache_size={self.L2_cache_size // 2**20}MB)")


def get_device_properties(device=None) -> _CudaDeviceProperties:
    """The GPU's name, compute capability (``major``, ``minor``), ``total_memory`` in bytes,
    ``multi_processor_count``..."""
    return _CudaDeviceProperties(
        _require().cuda.runtime.getDeviceProperties(_index(device)))


def get_device_name(device=None) -> str:
    return get_device_properties(device).name


def get_device_capability(device=None) -> tuple:
    p = get_device_properties(device)
    return (p.major, p.minor)


def mem_get_info(device=None) -> tuple:
    """``(free, total)`` bytes of the GPU's memory, as the driver counts them."""
    cp = _require()
    with cp.cuda.Device(_index(device)):
        free, total = cp.cuda.runtime.memGetInfo()
    return int(free), int(total)


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: CuPy has no bfloat16 arrays, so ember keeps bfloat16 tensors on the CPU
    (PyTorch without CUDA says False too)."""
    return False


class Stream:
    """A queue of GPU work (``torch.cuda.Stream``, over a CuPy stream).  Ops issued inside
    ``with ember.cuda.stream(s):`` go to ``s``; work on different streams may overlap.

    >>> s = ember.cuda.Stream()
    >>> with ember.cuda.stream(s):
    ...     y = x @ x
    >>> s.synchronize()
    """

    def __init__(self, device=None, priority=0, *, _stream=None):
        cp = _require(RuntimeError, "torch.cuda.Stream requires CUDA support")
        if _stream is None:
            with cp.cuda.Device(_index(device)):
                _stream = cp.cuda.Stream(priority=priority) if priority else cp.cuda.Stream()
        self._s = _stream

    @property
    def cuda_stream(self) -> int:
        return self._s.ptr

    def synchronize(self) -> None:
        """Wait until the work queued on this stream so far has finished."""
        self._s.synchronize()

    def query(self) -> bool:
        """Whether all the work queued on this stream has finished."""
        return bool(self._s.done)

    def wait_event(self, event) -> None:
        """Work queued here from now on waits for ``event`` (the host does not wait)."""
        self._s.wait_event(event._ev)

    def wait_stream(self, stream) -> None:
        """Work queued here from now on waits for what ``stream`` has queued so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and self._s.ptr == other._s.ptr

    def __hash__(self):
        return hash(self._s.ptr)

    def __repr__(self):
        return f"<ember.cuda.Stream cuda_stream={self._s.ptr:#x}>"


def current_stream(device=None) -> Stream:
    """The stream ops are issued to now (the default stream unless inside ``stream(s)``)."""
    cp = _require()
    with cp.cuda.Device(_index(device)):
        return Stream(_stream=cp.cuda.get_current_stream())


def default_stream(device=None) -> Stream:
    return Stream(_stream=_require().cuda.Stream.null)


class StreamContext:
    """``with StreamContext(s):`` issues the block's GPU work to stream ``s``; a no-op when
    ``s`` is None or there is no GPU (as in PyTorch).  ``stream(s)`` makes one."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        if self.stream is not None and cuda_available():
            self.stream._s.__enter__()
        return self.stream

    def __exit__(self, *exc):
        if self.stream is not None and cuda_available():
            self.stream._s.__exit__(*exc)
        return False


def stream(stream) -> StreamContext:
    """``with ember.cuda.stream(s):`` issues the block's GPU work to ``s`` (None: no change)."""
    return StreamContext(stream)


def set_stream(stream) -> None:
    """Make ``stream`` the current one from now on (None: no change).  Prefer
    ``with ember.cuda.stream(s):``, which puts the previous stream back."""
    if stream is not None:
        _require()
        stream._s.use()


def is_current_stream_capturing() -> bool:
    """False: ember never records CUDA graphs (see ``CUDAGraph``)."""
    _require(RuntimeError, "Tried to instantiate dummy base class _cuda_isCurrentStreamCapturing")
    return False


class Event:
    """A marker in a stream's queue (``torch.cuda.Event``): ``synchronize()`` waits for the
    work before it; two recorded with ``enable_timing=True`` time the GPU work between.

    >>> start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    >>> start.record(); y = model(x); end.record()
    >>> end.synchronize(); start.elapsed_time(end)   # milliseconds
    """

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        cp = _require(RuntimeError, "Tried to instantiate dummy base class Event")
        self.enable_timing = enable_timing
        self._recorded = False
        self._ev = cp.cuda.Event(block=blocking, disable_timing=not enable_timing,
                                 interprocess=interprocess)

    def record(self, stream=None) -> None:
        self._ev.record(None if stream is None else stream._s)
        self._recorded = True

    def wait(self, stream=None) -> None:
        """Work queued on ``stream`` (the current one) from now on waits for this event."""
        (current_stream() if stream is None else stream).wait_event(self)

    def query(self) -> bool:
        """Whether the work before this event has finished."""
        return bool(self._ev.done)

    def synchronize(self) -> None:
        self._ev.synchronize()

    def elapsed_time(self, end_event) -> float:
        """Milliseconds of GPU time between this event and ``end_event``."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument "
                               "'enable_timing=True'.")
        if not (self._recorded and end_event._recorded):
            raise RuntimeError("Both events must be recorded before calculating elapsed "
                               "time.")
        return float(_require().cuda.get_elapsed_time(self._ev, end_event._ev))

    def __repr__(self):
        return f"<ember.cuda.Event {'recorded' if self._recorded else 'uninitialized'}>"


def synchronize(device=None) -> None:
    """Wait until the GPU has finished all work queued so far."""
    cp = _require()
    with cp.cuda.Device(_index(device)):
        cp.cuda.runtime.deviceSynchronize()


# -- random numbers (the stream dropout masks come from on a GPU: see ``_rng``) ------------

_streams: dict = {}  # device index -> _rng.DeviceStream


def _stream_of(idx: int) -> _rng.DeviceStream:
    st = _streams.get(idx)
    if st is None:
        st = _streams[idx] = _rng.DeviceStream()
    return st


def _checked_index(device) -> int:
    idx = _index(device)
    if not 0 <= idx < device_count():
        raise RuntimeError(f"CUDA error: invalid device ordinal {idx}")
    return idx


def manual_seed(seed) -> None:
    """Seed the current GPU's stream (dropout masks); a no-op without a GPU."""
    seed = int(seed)
    if cuda_available():
        _stream_of(current_device()).manual_seed(seed)


def manual_seed_all(seed) -> None:
    """Seed every GPU's stream; a no-op without a GPU."""
    seed = int(seed)
    for i in range(device_count()):
        _stream_of(i).manual_seed(seed)


def seed() -> None:
    """Seed the current GPU's stream with a nondeterministic number."""
    if cuda_available():
        _stream_of(current_device()).reseed()


def seed_all() -> None:
    """Seed every GPU's stream with one nondeterministic number."""
    if cuda_available():
        manual_seed_all(_rng.DeviceStream().reseed())


def _seed_all_quietly(seed) -> None:
    """``ember.manual_seed``/``ember.seed`` seed the GPUs too, when there are any."""
    if cuda_available():
        manual_seed_all(seed)


def initial_seed() -> int:
    """The seed the current GPU's stream was last seeded with."""
    _require()
    return _stream_of(current_device()).seed


def get_rng_state(device="cuda"):
    """The state of ``device``'s stream, a CPU ``uint8`` tensor of 16 bytes (the seed and
    the count of values drawn since, little-endian); ``set_rng_state`` takes it back."""
    import numpy as np

    from .._ops._core import wrap

    _require()
    raw = _stream_of(_checked_index(device)).get_state()
    return wrap(np.frombuffer(raw, dtype=np.uint8).copy())


def get_rng_state_all() -> list:
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state(new_state, device="cuda") -> None:
    """Restore ``device``'s stream from ``get_rng_state()``: the dropout masks drawn after
    it repeat.  A no-op without a GPU (PyTorch defers it to a CUDA start that never comes)."""
    from .._tensor import Tensor

    new_state = new_state.clone()  # (PyTorch's AttributeError for anything but a tensor)
    if not cuda_available():
        return
    if not isinstance(new_state, Tensor) or new_state.dtype.name != "uint8" or \
            new_state.device.type != "cpu":
        raise TypeError("RNG state must be a torch.ByteTensor")
    if new_state.numel() not in (8, 16):
        raise RuntimeError("RNG state is wrong size")
    _stream_of(_checked_index(device)).set_state(new_state.numpy().tobytes())


def set_rng_state_all(new_states) -> None:
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def _uniform(device, shape, dtype):
    """Uniform [0, 1) numbers on GPU ``device`` from its stream (for dropout masks)."""
    cp = _require()
    idx = device.index if device.index is not None else current_device()
    with cp.cuda.Device(idx):
        return _stream_of(idx).uniform(cp, shape, dtype)


# -- memory ---------------------------------------------------------------------------------
#
# ember allocates through CuPy's memory pool; the figures here are what the pool reports
# (bytes in use, bytes held).  CuPy keeps no peaks, so the peaks are the largest figures
# ember has seen when asked for one of these numbers; and it keeps no counts of
# allocations, so ``memory_stats`` leaves out PyTorch's keys for those rather than
# report numbers nobody measured.

_peak: dict = {}  # (device index, "allocated" | "reserved") -> bytes
_fraction: dict = {}  # device index -> what set_per_process_memory_fraction set


class _NoCudaStats(AttributeError, RuntimeError):
    """No GPU to reset statistics on: PyTorch's CPU build fails with an AttributeError
    here (its extension lacks the function), its CUDA build with a RuntimeError."""

    __module__ = "builtins"  # printed bare, as PyTorch's

    def __reduce__(self):  # (pickle cannot find the class under the builtin name it shows)
        return _no_cuda_stats_error, self.args


_NoCudaStats.__name__ = _NoCudaStats.__qualname__ = "AttributeError"


def _no_cuda_stats_error(*args):
    return _NoCudaStats(*args)


def _figures(device):
    """(bytes in use, bytes held, peak in use, peak held) on ``device``; None without a GPU."""
    cp = _get_cupy()
    if cp is None:
        return None
    idx = _index(device)
    pool = cp.get_default_memory_pool()
    with cp.cuda.Device(idx):
        used, held = int(pool.used_bytes()), int(pool.total_bytes())
    pa = _peak[idx, "allocated"] = max(_peak.get((idx, "allocated"), 0), used)
    pr = _peak[idx, "reserved"] = max(_peak.get((idx, "reserved"), 0), held)
    return used, held, pa, pr


def empty_cache() -> None:
    """Hand the blocks CuPy's memory pool holds but does not use back to the driver."""
    cp = _get_cupy()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None) -> int:
    """Bytes in use by tensors on ``device`` (CuPy's memory pool); 0 without a GPU."""
    f = _figures(device)
    return 0 if f is None else f[0]


def max_memory_allocated(device=None) -> int:
    """The largest ``memory_allocated()`` seen since the start or the last
    ``reset_peak_memory_stats()``.

    NOTE: CuPy keeps no peak of its own; this is the largest figure ember has read, on
    each call to one of the memory functions, so a peak between two calls is missed.
    """
    f = _figures(device)
    return 0 if f is None else f[2]


def memory_reserved(device=None) -> int:
    """Bytes CuPy's memory pool holds on ``device`` (in use or cached for reuse)."""
    f = _figures(device)
    return 0 if f is None else f[1]


def max_memory_reserved(device=None) -> int:
    f = _figures(device)
    return 0 if f is None else f[3]


def _renamed(old, new):
    from .._warnings import warn

    warn(f"`torch.cuda.{old}` has been renamed to `torch.cuda.{new}`", FutureWarning)


def memory_cached(device=None) -> int:
    """Deprecated name of ``memory_reserved``."""
    _renamed("memory_cached", "memory_reserved")
    return memory_reserved(device)


def max_memory_cached(device=None) -> int:
    """Deprecated name of ``max_memory_reserved``."""
    _renamed("max_memory_cached", "max_memory_reserved")
    return max_memory_reserved(device)


def _require_for_stats(device, name="resetPeakMemoryStats") -> int:
    if _get_cupy() is None:  # (PyTorch's CPU build lacks the function it calls)
        raise no_cuda(_NoCudaStats, f"module 'torch._C' has no attribute '_cuda_{name}'")
    return _index(device)


def reset_peak_memory_stats(device=None) -> None:
    """Start the peaks (``max_memory_allocated``, ``max_memory_reserved``) again from now."""
    idx = _require_for_stats(device)
    _peak.pop((idx, "allocated"), None)
    _peak.pop((idx, "reserved"), None)


def _reset_all_peaks(old, device):
    from .._warnings import warn

    warn(f"torch.cuda.{old} now calls torch.cuda.reset_peak_memory_stats, which resets "
         "/all/ peak memory stats.", FutureWarning)
    reset_peak_memory_stats(device)


def reset_max_memory_allocated(device=None) -> None:
    """Deprecated: ``reset_peak_memory_stats``, which resets every peak."""
    _reset_all_peaks("reset_max_memory_allocated", device)


def reset_max_memory_cached(device=None) -> None:
    """Deprecated: ``reset_peak_memory_stats``, which resets every peak."""
    _reset_all_peaks("reset_max_memory_cached", device)


def reset_accumulated_memory_stats(device=None) -> None:
    """Nothing to reset: ember keeps no accumulated counts (see ``memory_stats``)."""
    _require_for_stats(device, "resetAccumulatedMemoryStats")


def memory_stats_as_nested_dict(device=None) -> dict:
    """``memory_stats`` nested at its dots: ``{'allocated_bytes': {'all': {'current': ...}}}``."""
    f = _figures(device)
    if f is None:
        return {}
    used, held, peak_used, peak_held = f
    in_use = {"all": {"current": used, "peak": peak_used}}
    return {"active_bytes": in_use, "allocated_bytes": {"all": dict(in_use["all"])},
            "reserved_bytes": {"all": {"current": held, "peak": peak_held}}}


def memory_stats(device=None) -> dict:
    """The memory figures under PyTorch's names, sorted: ``allocated_bytes.all.current``
    and ``.peak`` (tensors), ``active_bytes.all.*`` (the same: CuPy hands a freed block back
    to its pool at once), ``reserved_bytes.all.*`` (held by the pool).  Empty without a
    GPU.  PyTorch's other keys (allocation counts, cumulative bytes, small and large pools,
    segments) are absent: CuPy does not count them."""
    flat = []

    def walk(prefix, d):
        for k, v in d.items():
            if isinstance(v, dict):
                walk(f"{prefix}{k}.", v)
            else:
                flat.append((prefix + k, v))
    walk("", memory_stats_as_nested_dict(device))
    return collections.OrderedDict(sorted(flat))


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 * 4 or unit == "TiB":  # (four digits at most before the unit)
            return f"{n:6d} {unit:<3}"
        n //= 1024
    return ""


def memory_summary(device=None, abbreviated=False) -> str:
    """A table of ``memory_stats()`` to print (e.g. after an out-of-memory error)."""
    stats = memory_stats(device)
    # (without a GPU the figures are missing: PyTorch's KeyError, which ember shares)
    rows = [("Allocated memory", stats["allocated_bytes.all.current"],
             stats["allocated_bytes.all.peak"]),
            ("Active memory", stats["active_bytes.all.current"],
             stats["active_bytes.all.peak"]),
            ("GPU reserved memory", stats["reserved_bytes.all.current"],
             stats["reserved_bytes.all.peak"])]
    idx = _index(device)
    limit = _fraction.get(idx)
    bar, thin = "|" + "=" * 75 + "|", "|" + "-" * 75 + "|"
    lines = [bar, f"|{f'ember CUDA memory summary, device ID {idx}':^75}|", thin,
             f"|{'  figures from the CuPy memory pool; peaks are the largest seen':<75}|",
             bar, f"|{'        Metric':<27}|{'Cur Usage':^23}|{'Peak Usage':^23}|", thin]
    for name, cur, peak in rows:
        lines.append(f"| {name:<26}|{_size(cur):^23}|{_size(peak):^23}|")
    lines.append(thin)
    cached = stats["reserved_bytes.all.current"] - stats["allocated_bytes.all.current"]
    lines.append(f"| {'Cached, not in use':<26}|{_size(cached):^23}|{'':23}|")
    if limit is not None:
        lines.append(f"| {'Memory fraction limit':<26}|{limit:^23.3f}|{'':23}|")
    lines.append(bar)
    return "\n".join(lines) + "\n"


def set_per_process_memory_fraction(fraction, device=None) -> None:
    """Cap this process's memory on ``device`` at ``fraction`` of the GPU's total (CuPy's
    pool limit): a tensor past it raises ``OutOfMemoryError``."""
    cp = _require()
    idx = _index(device)
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if fraction < 0 or fraction > 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    with cp.cuda.Device(idx):
        cp.get_default_memory_pool().set_limit(fraction=fraction)
    _fraction[idx] = fraction


def get_per_process_memory_fraction(device=None) -> float:
    """The fraction ``set_per_process_memory_fraction`` set (1.0: no cap)."""
    _require()
    return _fraction.get(_index(device), 1.0)


def _pynvml():
    try:
        import pynvml
    except ModuleNotFoundError:
        raise ModuleNotFoundError("nvidia-ml-py does not seem to be installed or it can't "
                                  "be imported.") from None
    return pynvml


def _nvml_index(device) -> int:
    """NVML's number for ``device`` (NVML counts every GPU; CUDA_VISIBLE_DEVICES may hide
    some from CUDA, and renumbers the rest)."""
    import os

    idx = _index(device)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        ids = [v.strip() for v in visible.split(",")]
        if all(v.isdigit() for v in ids):
            if not 0 <= idx < len(ids):
                raise RuntimeError(f"device {idx} is not visible "
                                   f"(CUDA_VISIBLE_DEVICES={visible})")
            idx = int(ids[idx])
    return idx


def _nvml_query(device, read):
    pynvml = _pynvml()
    pynvml.nvmlInit()
    return read(pynvml, pynvml.nvmlDeviceGetHandleByIndex(_nvml_index(device)))


def utilization(device=None) -> int:
    """Percent of the last sample period during which a kernel ran on the GPU (NVML, as
    ``nvidia-smi`` shows it; needs ``pip install nvidia-ml-py``)."""
    return _nvml_query(device, lambda nv, h: nv.nvmlDeviceGetUtilizationRates(h).gpu)


def memory_usage(device=None) -> int:
    """Percent of the last sample period during which GPU memory was read or written (NVML)."""
    return _nvml_query(device, lambda nv, h: nv.nvmlDeviceGetUtilizationRates(h).memory)


def temperature(device=None) -> int:
    """The GPU's temperature in degrees Celsius (NVML)."""
    return _nvml_query(device, lambda nv, h: nv.nvmlDeviceGetTemperature(h, 0))


def power_draw(device=None) -> int:
    """The GPU's power draw in milliwatts (NVML)."""
    return _nvml_query(device, lambda nv, h: nv.nvmlDeviceGetPowerUsage(h))


def clock_rate(device=None) -> int:
    """The clock of the GPU's streaming multiprocessors in MHz (NVML)."""
    return _nvml_query(device, lambda nv, h: nv.nvmlDeviceGetClockInfo(h, 1))


def device_memory_used(device=None) -> int:
    """Bytes of the GPU's memory in use by every process, as the driver counts them (NVML)."""
    return _nvml_query(device, lambda nv, h: nv.nvmlDeviceGetMemoryInfo(h).used)


def list_gpu_processes(device=None) -> str:
    """The processes using the GPU and their memory, one line each (NVML), to print."""
    try:
        pynvml = _pynvml()
    except ModuleNotFoundError:
        return "pynvml module not found, please install nvidia-ml-py"
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError_DriverNotLoaded:
        return "cuda driver can't be loaded, is cuda enabled?"
    idx = _nvml_index(device)
    procs = pynvml.nvmlDeviceGetComputeRunningProcesses(pynvml.nvmlDeviceGetHandleByIndex(idx))
    lines = [f"GPU:{idx}"]  # (NVML's number for the GPU, as PyTorch prints)
    if not procs:
        lines.append("no processes are running")
    for p in procs:
        mem = (p.usedGpuMemory or 0) / 2**20
        lines.append(f"process {p.pid:>10d} uses {mem:>12.3f} MB GPU memory")
    return "\n".join(lines)


# -- the rest of torch.cuda's surface -------------------------------------------------------

has_half = True
has_magma = False  # (no MAGMA: CuPy's linear algebra is cuSOLVER's)


def init() -> None:
    """Start CUDA now rather than on first use (CuPy starts it on first use anyway)."""
    _require().cuda.runtime.getDevice()


def ipc_collect() -> None:
    """Nothing to collect: ember shares no GPU memory between processes."""
    _require()


def is_tf32_supported() -> bool:
    """Whether the GPU has TF32 matrix units (compute capability 8.0 or later)."""
    return cuda_available() and get_device_capability()[0] >= 8


def can_device_access_peer(device, peer_device) -> bool:
    """Whether GPU ``device`` can read GPU ``peer_device``'s memory directly."""
    cp = _require()
    a, b = _checked_index(device), _checked_index(peer_device)
    return a == b or bool(cp.cuda.runtime.deviceCanAccessPeer(a, b))


def get_arch_list() -> list:
    """The GPU architectures ember's kernels are built for: CuPy compiles them on first use
    for the GPUs present, so these are those GPUs' (``['sm_86']``); empty without a GPU."""
    if not cuda_available():
        return []
    archs = []
    for i in range(device_count()):
        major, minor = get_device_capability(i)
        if f"sm_{major}{minor}" not in archs:
            archs.append(f"sm_{major}{minor}")
    return archs


def get_gencode_flags() -> str:
    """``get_arch_list()`` as nvcc's ``-gencode`` flags ('' without a GPU)."""
    return " ".join(f"-gencode compute=compute_{a.split('_')[1]},code={a}"
                    for a in get_arch_list())


_SYNC_MODE = [0]


def get_sync_debug_mode() -> int:
    _require()
    return _SYNC_MODE[0]


def set_sync_debug_mode(debug_mode) -> None:
    """Recorded for ``get_sync_debug_mode``, but ember does not watch for synchronising
    operations: "warn" and "error" say so once and change nothing else."""
    _require()
    if isinstance(debug_mode, str):
        modes = {"default": 0, "warn": 1, "error": 2}
        if debug_mode not in modes:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, "
                               "`warn`, `error`")
        debug_mode = modes[debug_mode]
    debug_mode = int(debug_mode)
    if debug_mode and not _SYNC_MODE[0]:
        from .._warnings import warn

        warn("ember does not detect synchronizing CUDA operations: "
             "set_sync_debug_mode() will not warn or raise on them", UserWarning)
    _SYNC_MODE[0] = debug_mode


class device_of(device):
    """``with ember.cuda.device_of(t):`` makes the GPU of ``t`` the current one inside the
    block (a no-op for a CPU tensor)."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


_NO_GRAPHS = ("CUDA graphs are not supported by ember (it issues each GPU operation as it "
              "runs, through CuPy): call the model or function directly instead of capturing "
              "it and replaying the graph.")


def _dummy(name):
    """Without a GPU, PyTorch's CPU build's error for its placeholder class ``name``."""
    _require(RuntimeError, f"Tried to instantiate dummy base class {name}")


class CUDAGraph:
    """Not supported: raises, saying what to do instead."""

    def __init__(self, *args, **kwargs):
        _dummy("CUDAGraph")
        raise NotImplementedError(_NO_GRAPHS)


class graph:
    """Not supported: raises, saying what to do instead."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(_NO_GRAPHS)


def make_graphed_callables(*args, **kwargs):
    """Not supported: raises, saying what to do instead."""
    _dummy("CUDAGraph")
    raise NotImplementedError(_NO_GRAPHS)


def graph_pool_handle():
    """Not supported: raises, saying what to do instead."""
    _dummy("_graph_pool_handle")
    raise NotImplementedError(_NO_GRAPHS)


class MemPool:
    """Not supported: raises, saying what to do instead."""

    def __init__(self, *args, **kwargs):
        _dummy("MemPool")
        raise NotImplementedError("Private memory pools are not supported by ember: tensors "
                                  "come from CuPy's default memory pool; drop the MemPool "
                                  "and use_mem_pool() blocks.")


def use_mem_pool(pool, device=None):
    """Not supported: raises, saying what to do instead (see ``MemPool``)."""
    _require()
    MemPool()


# -- the legacy tensor types: torch.cuda.FloatTensor and friends ------------------------------

_LEGACY = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
           "BFloat16Tensor": "bfloat16", "LongTensor": "int64", "IntTensor": "int32",
           "ShortTensor": "int16", "CharTensor": "int8", "ByteTensor": "uint8",
           "BoolTensor": "bool"}


def _legacy(name):
    """``torch.cuda.<name>``, made on first use from ``ember``'s legacy type machinery (not
    imported yet when this module is)."""
    from .. import _dtype as D
    from .. import _legacy_type

    cls = globals()[name] = _legacy_type(name, getattr(D, _LEGACY[name]), "cuda")
    return cls


_missing = _module_getattr("torch.cuda")


def __getattr__(name):
    if name in _LEGACY:
        return _legacy(name)
    return _missing(name)


def __dir__():
    return sorted(set(globals()) | set(_LEGACY))


__all__ += list(_LEGACY)

from . import amp  # noqa: E402,F401  (torch.cuda.amp: deprecated spellings of torch.amp)
from . import nvtx  # noqa: E402,F401
from . import memory, random  # noqa: E402,F401  (torch.cuda.memory, torch.cuda.random)
