"""``ember.cuda``: GPU queries and settings, through CuPy.

Without CuPy (or without a GPU) ``is_available()`` is False, ``device_count()`` is 0,
the memory counters read 0, seeding is a no-op, and whatever needs a GPU raises
PyTorch's RuntimeError.

Random numbers: ``ember.rand(..., device='cuda')`` and the other creation ops draw from
ember's CPU generator (PyTorch's MT19937 stream) and copy the result to the GPU, so a
seed gives the same numbers on every device.  PyTorch's CUDA generator (Philox) gives
other numbers; no ember program can match those.  Dropout on a GPU draws its masks with
CuPy's generator instead (no host transfer in the training step); ``manual_seed``
seeds both.
"""
from __future__ import annotations

from .._device import _get_cupy, cuda_available, require_cupy

__all__ = ["is_available", "device_count", "current_device", "set_device", "device",
           "get_device_name", "get_device_capability", "get_device_properties",
           "synchronize", "manual_seed", "manual_seed_all", "seed", "seed_all",
           "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved",
           "max_memory_reserved", "reset_peak_memory_stats", "is_initialized", "mem_get_info",
           "is_bf16_supported", "Stream", "Event", "stream", "current_stream",
           "default_stream"]


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
    return require_cupy().cuda.runtime.getDevice()


def set_device(device) -> None:
    """Make ``device`` the GPU that ``'cuda'`` means (a negative index is a no-op)."""
    idx = _index(device)
    if idx >= 0:
        require_cupy().cuda.runtime.setDevice(idx)


class device:
    """``with ember.cuda.device(1):`` makes GPU 1 the current one inside the block."""

    def __init__(self, device):
        self.idx = -1 if device is None else _index(device)
        self.prev = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev = current_device()
            if self.prev != self.idx:
                set_device(self.idx)
        return self

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
        require_cupy().cuda.runtime.getDeviceProperties(_index(device)))


def get_device_name(device=None) -> str:
    return get_device_properties(device).name


def get_device_capability(device=None) -> tuple:
    p = get_device_properties(device)
    return (p.major, p.minor)


def mem_get_info(device=None) -> tuple:
    """``(free, total)`` bytes of the GPU's memory, as the driver counts them."""
    cp = require_cupy()
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
        cp = require_cupy()
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
    cp = require_cupy()
    with cp.cuda.Device(_index(device)):
        return Stream(_stream=cp.cuda.get_current_stream())


def default_stream(device=None) -> Stream:
    return Stream(_stream=require_cupy().cuda.Stream.null)


class stream:
    """``with ember.cuda.stream(s):`` issues the block's GPU work to ``s`` (None: no change)."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        if self.stream is not None:
            self.stream._s.__enter__()
        return self.stream

    def __exit__(self, *exc):
        if self.stream is not None:
            self.stream._s.__exit__(*exc)
        return False


class Event:
    """A marker in a stream's queue (``torch.cuda.Event``): ``synchronize()`` waits for the
    work before it; two recorded with ``enable_timing=True`` time the GPU work between.

    >>> start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    >>> start.record(); y = model(x); end.record()
    >>> end.synchronize(); start.elapsed_time(end)   # milliseconds
    """

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        cp = require_cupy()
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
        return float(require_cupy().cuda.get_elapsed_time(self._ev, end_event._ev))

    def __repr__(self):
        return f"<ember.cuda.Event {'recorded' if self._recorded else 'uninitialized'}>"


def synchronize(device=None) -> None:
    """Wait until the GPU has finished all work queued so far."""
    cp = require_cupy()
    with cp.cuda.Device(_index(device)):
        cp.cuda.runtime.deviceSynchronize()


def manual_seed(seed) -> None:
    """Seed CuPy's generator (used by dropout on the GPU); a no-op without CUDA."""
    cp = _get_cupy()
    if cp is not None:
        cp.random.seed(int(seed) % 2**64)


manual_seed_all = manual_seed


def seed() -> None:
    cp = _get_cupy()
    if cp is not None:
        cp.random.seed()


seed_all = seed


def _seed_all_quietly(seed) -> None:
    if _get_cupy() is not None:
        manual_seed(seed)


def empty_cache() -> None:
    """Hand the blocks CuPy's memory pool holds but does not use back to the driver."""
    cp = _get_cupy()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


_peak = {}


def memory_allocated(device=None) -> int:
    """Bytes in use by tensors (CuPy's memory pool, which serves every device)."""
    cp = _get_cupy()
    if cp is None:
        return 0
    used = cp.get_default_memory_pool().used_bytes()
    _peak["allocated"] = max(_peak.get("allocated", 0), used)
    return used


def max_memory_allocated(device=None) -> int:
    """The largest ``memory_allocated()`` seen, bounded by what the pool has reserved.

    NOTE: CuPy keeps no peak of its own; ember takes the larger of the peak it observed
    and the memory in use now, never more than the pool's reservation.
    """
    cp = _get_cupy()
    if cp is None:
        return 0
    used = memory_allocated(device)
    return min(max(_peak.get("allocated", 0), used),
               max(cp.get_default_memory_pool().total_bytes(), used))


def memory_reserved(device=None) -> int:
    """Bytes CuPy's memory pool holds (in use or cached for reuse)."""
    cp = _get_cupy()
    return 0 if cp is None else cp.get_default_memory_pool().total_bytes()


def max_memory_reserved(device=None) -> int:
    r = memory_reserved(device)
    _peak["reserved"] = max(_peak.get("reserved", 0), r)
    return _peak["reserved"]


def reset_peak_memory_stats(device=None) -> None:
    _peak.clear()



from . import amp  # noqa: E402,F401  (torch.cuda.amp: deprecated spellings of torch.amp)
