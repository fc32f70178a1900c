"""``ember.cuda`` beyond the basics: RNG state, memory statistics, legacy tensor types, stream
helpers, NVML queries, ``cuda.amp``'s deprecated spellings.

Without a GPU each case runs on ember and on PyTorch's CPU build and must agree: the same
value, the same warnings, or an exception of PyTorch's type.  With a GPU the cases run on
ember's simulated device (``_device._simulate_cuda``).
"""
import pickle
import re
import sys
import types
import warnings

import numpy as np
import pytest

import ember
from ember import _device, nn
from ember.cuda import _rng

torch = pytest.importorskip("torch")


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(_device, "_cupy", None)
    monkeypatch.setattr(_device, "_cupy_checked", True)


@pytest.fixture
def sim(monkeypatch):
    monkeypatch.setattr(ember.cuda, "_fraction", {})  # (no memory cap left by another test)
    with _device._simulate_cuda() as cp:
        yield cp


# -- without a GPU: differential against PyTorch's CPU build -----------------------------------

def _u8(T):
    return T.zeros(16, dtype=T.uint8)


def _with_block(ctx):
    with ctx:
        return "ran"


def _custom_fwd_bwd(T, cast=None):
    ctx = types.SimpleNamespace()
    fwd = T.cuda.amp.custom_fwd(cast_inputs=cast) if cast else T.cuda.amp.custom_fwd
    bwd = T.cuda.amp.custom_bwd
    return fwd(lambda ctx, x: x + 1)(ctx, 2), bwd(lambda ctx, g: g * 3)(ctx, 5)


NO_GPU = {
    "get_rng_state": lambda T: T.cuda.get_rng_state(),
    "get_rng_state_dev": lambda T: T.cuda.get_rng_state("cuda:0"),
    "get_rng_state_all": lambda T: T.cuda.get_rng_state_all(),
    "set_rng_state": lambda T: T.cuda.set_rng_state(_u8(T)),
    "set_rng_state_list": lambda T: T.cuda.set_rng_state([1, 2]),
    "set_rng_state_all": lambda T: T.cuda.set_rng_state_all([_u8(T)]),
    "set_rng_state_all_empty": lambda T: T.cuda.set_rng_state_all([]),
    "initial_seed": lambda T: T.cuda.initial_seed(),
    "manual_seed": lambda T: T.cuda.manual_seed(1),
    "manual_seed_bad": lambda T: T.cuda.manual_seed("a"),
    "manual_seed_all": lambda T: T.cuda.manual_seed_all(3),
    "seed": lambda T: T.cuda.seed(),
    "seed_all": lambda T: T.cuda.seed_all(),
    "memory_stats": lambda T: T.cuda.memory_stats(),
    "memory_stats_0": lambda T: T.cuda.memory_stats(0),
    "memory_stats_nested": lambda T: T.cuda.memory_stats_as_nested_dict(),
    "memory_summary": lambda T: T.cuda.memory_summary(),
    "memory_summary_abbr": lambda T: T.cuda.memory_summary(abbreviated=True),
    "reset_peak": lambda T: T.cuda.reset_peak_memory_stats(),
    "reset_max_allocated": lambda T: T.cuda.reset_max_memory_allocated(),
    "reset_max_cached": lambda T: T.cuda.reset_max_memory_cached(),
    "reset_accumulated": lambda T: T.cuda.reset_accumulated_memory_stats(),
    "memory_cached": lambda T: T.cuda.memory_cached(),
    "max_memory_cached": lambda T: T.cuda.max_memory_cached(0),
    "memory_allocated": lambda T: T.cuda.memory_allocated(),
    "max_memory_allocated": lambda T: T.cuda.max_memory_allocated(),
    "memory_reserved": lambda T: T.cuda.memory_reserved(),
    "max_memory_reserved": lambda T: T.cuda.max_memory_reserved(),
    "list_gpu_processes": lambda T: T.cuda.list_gpu_processes(),
    "utilization": lambda T: T.cuda.utilization(),
    "temperature": lambda T: T.cuda.temperature(),
    "power_draw": lambda T: T.cuda.power_draw(),
    "clock_rate": lambda T: T.cuda.clock_rate(),
    "memory_usage": lambda T: T.cuda.memory_usage(),
    "device_memory_used": lambda T: T.cuda.device_memory_used(),
    "set_fraction": lambda T: T.cuda.set_per_process_memory_fraction(0.5),
    "get_fraction": lambda T: T.cuda.get_per_process_memory_fraction(),
    "ipc_collect": lambda T: T.cuda.ipc_collect(),
    "get_arch_list": lambda T: T.cuda.get_arch_list(),
    "get_gencode_flags": lambda T: T.cuda.get_gencode_flags(),
    "init": lambda T: T.cuda.init(),
    "is_initialized": lambda T: T.cuda.is_initialized(),
    "get_sync_debug_mode": lambda T: T.cuda.get_sync_debug_mode(),
    "set_sync_debug_mode": lambda T: T.cuda.set_sync_debug_mode("warn"),
    "device_of": lambda T: _with_block(T.cuda.device_of(T.zeros(2))),
    "stream_context_none": lambda T: _with_block(T.cuda.StreamContext(None)),
    "stream_none": lambda T: _with_block(T.cuda.stream(None)),
    "set_stream_none": lambda T: T.cuda.set_stream(None),
    "capturing": lambda T: T.cuda.is_current_stream_capturing(),
    "has_half": lambda T: T.cuda.has_half,
    "has_magma": lambda T: T.cuda.has_magma,
    "tf32": lambda T: T.cuda.is_tf32_supported(),
    "bf16": lambda T: T.cuda.is_bf16_supported(),
    "peer": lambda T: T.cuda.can_device_access_peer(0, 0),
    "cuda_graph": lambda T: T.cuda.CUDAGraph(),
    "graphed_callables": lambda T: T.cuda.make_graphed_callables(lambda x: x,
                                                                 (T.zeros(1),)),
    "mem_pool": lambda T: T.cuda.MemPool(),
    "graph_pool_handle": lambda T: T.cuda.graph_pool_handle(),
    "use_mem_pool": lambda T: _with_block(T.cuda.use_mem_pool(None)),
    "nvtx_push": lambda T: T.cuda.nvtx.range_push("a"),
    "nvtx_pop": lambda T: T.cuda.nvtx.range_pop(),
    "nvtx_mark": lambda T: T.cuda.nvtx.mark("a"),
    "nvtx_range": lambda T: _with_block(T.cuda.nvtx.range("a{}", 1)),
    "current_device": lambda T: T.cuda.current_device(),
    "synchronize": lambda T: T.cuda.synchronize(),
    "legacy_isinstance": lambda T: [isinstance(T.zeros(2, dtype=d), T.cuda.FloatTensor)
                                    for d in (T.float32, T.float64)],
    "legacy_cpu_isinstance": lambda T: isinstance(T.zeros(2), T.FloatTensor),
    "legacy_call": lambda T: T.cuda.FloatTensor(2, 3),
    "legacy_call_data": lambda T: T.cuda.LongTensor([1, 2]),
    "legacy_repr": lambda T: [repr(T.cuda.FloatTensor), repr(T.cuda.BFloat16Tensor),
                              repr(T.FloatTensor)],
    "legacy_attrs": lambda T: [(str(T.cuda.HalfTensor.dtype), T.cuda.HalfTensor.is_cuda),
                               (str(T.IntTensor.dtype), T.IntTensor.is_cuda)],
    "legacy_names": lambda T: sorted(n for n in dir(T.cuda) if n.endswith("Tensor")),
    "amp_autocast": lambda T: T.cuda.amp.autocast()._enabled,
    "amp_autocast_args": lambda T: T.cuda.amp.autocast(True, T.bfloat16)._enabled,
    "amp_scaler": lambda T: T.cuda.amp.GradScaler().is_enabled(),
    "amp_custom_fwd_bwd": lambda T: _custom_fwd_bwd(T),
    "amp_custom_fwd_cast": lambda T: _custom_fwd_bwd(T, T.float32),
    "amp_not_available": lambda T: T.cuda.amp.common.amp_definitely_not_available()
    if T is torch else T.cuda.amp.amp_definitely_not_available(),
}

# PyTorch messages that speak of its own build ("Torch not compiled with CUDA enabled",
# "dummy base class", "torch._C"): ember gives them as they are, and says what to install or do
# instead in a note (shown after them in the traceback)
_BUILD_SPECIFIC = re.compile(r"Torch not compiled|dummy base class|torch\._C|not available\. "
                             r"Torch|requires CUDA support|have a CUDA build")


def _outcome(T, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("value", fn(T))
        except Exception as e:  # noqa: BLE001  (the exception is the result compared)
            result = ("raise", e)
    return result, [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("name", list(NO_GPU))
def test_without_gpu_like_pytorch(no_cuda, name):
    fn = NO_GPU[name]
    (tk, tv), tw = _outcome(torch, fn)
    (ek, ev), ew = _outcome(ember, fn)
    assert ek == tk, (name, tv, ev)
    assert ew == tw
    if tk == "raise":
        assert isinstance(ev, type(tv)), (type(ev), type(tv))
        assert type(ev).__name__ == type(tv).__name__
        assert str(ev) == str(tv)
        if _BUILD_SPECIFIC.search(str(tv)):
            assert any("CuPy" in n for n in getattr(ev, "__notes__", ())), str(ev)
    else:
        assert type(ev) is type(tv) and ev == tv


def test_no_gpu_error_is_both_of_pytorchs(no_cuda):
    # PyTorch's CPU build raises AssertionError, its CUDA build RuntimeError: code may catch
    # either; the message is the CPU build's, a note says what to install
    for fn in (ember.cuda.get_rng_state, ember.cuda.initial_seed, ember.cuda.current_device,
               ember.cuda.init, ember.cuda.get_sync_debug_mode):
        with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled") as e:
            fn()
        assert "pip install ember[cuda]" in e.value.__notes__[0]
        with pytest.raises(RuntimeError):
            fn()
    with pytest.raises(RuntimeError, match="_cuda_resetPeakMemoryStats") as e:
        ember.cuda.reset_peak_memory_stats()
    assert "CuPy" in e.value.__notes__[0]


def test_dir_lists_what_pytorch_scripts_call():
    missing = {n for n in dir(torch.cuda) if not n.startswith("_")} - set(dir(ember.cuda))
    for name in ("get_rng_state", "set_rng_state_all", "memory_stats", "memory_summary",
                 "StreamContext", "set_stream", "device_of", "FloatTensor", "BoolTensor",
                 "list_gpu_processes", "utilization", "get_arch_list", "has_half"):
        assert name not in missing and name in ember.cuda.__all__


# -- with a GPU (simulated): the random stream ---------------------------------------------------

def _masks(x, *ps):
    return [nn.functional.dropout(x, p).cpu().numpy() for p in ps]


def test_rng_state_round_trip_repeats_the_draws(sim):
    x32, x64 = ember.ones(300, device="cuda"), ember.ones(7, 11, device="cuda",
                                                            dtype=ember.float64)
    ember.manual_seed(11)
    assert ember.cuda.initial_seed() == 11
    nn.functional.dropout(x32, 0.3)  # (somewhere in the stream, not at its start)
    state = ember.cuda.get_rng_state()
    assert state.dtype == ember.uint8 and state.shape == (16,) and state.device.type == "cpu"
    cpu_state = ember.get_rng_state()
    first = _masks(x32, 0.5, 0.2) + _masks(x64, 0.4)
    again = _masks(x32, 0.5)
    assert not np.array_equal(first[0], again[0])
    ember.cuda.set_rng_state(state)
    assert ember.equal(ember.get_rng_state(), cpu_state)  # the CPU stream is not touched
    second = _masks(x32, 0.5, 0.2) + _masks(x64, 0.4)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    # the state is (seed, values drawn), each little-endian 64-bit
    raw = ember.cuda.get_rng_state().numpy().tobytes()
    assert int.from_bytes(raw[:8], "little") == 11
    assert int.from_bytes(raw[8:], "little") == 300 + 300 + 300 + 77


def test_set_rng_state_all_and_short_state(sim):
    x = ember.ones(64, device="cuda")
    ember.cuda.manual_seed_all(5)
    states = ember.cuda.get_rng_state_all()
    assert len(states) == ember.cuda.device_count() == 1
    a = _masks(x, 0.5)[0]
    ember.cuda.set_rng_state_all(states)
    np.testing.assert_array_equal(a, _masks(x, 0.5)[0])
    # 8 bytes: a seed alone, at the start of its stream (PyTorch takes this size too)
    ember.cuda.set_rng_state(ember.tensor(list((5).to_bytes(8, "little")), dtype=ember.uint8))
    np.testing.assert_array_equal(a, _masks(x, 0.5)[0])


def test_dropout_masks_are_the_documented_stream(sim):
    ember.cuda.manual_seed(2**64 - 3)
    x = ember.ones(1000, device="cuda")
    kept = nn.functional.dropout(x, 0.25).cpu().numpy() != 0
    # dropout keeps where bernoulli_(1 - p) draws 1, i.e. where the uniform number < 1 - p
    bits = _rng.reference(2**64 - 3, 0, 1000) >> np.uint64(40)
    want = bits.astype(np.float32) * np.float32(2.0 ** -24) < np.float32(0.75)
    np.testing.assert_array_equal(kept, want)
    # and the same seed gives the same stream on the host
    u = _rng.DeviceStream(2**64 - 3).uniform(np, (1000,), np.float32)
    np.testing.assert_array_equal(kept, u < 0.75)
    # float64 masks take 53 bits of the next values
    kept = nn.functional.dropout(x.double(), 0.5).cpu().numpy() != 0
    bits = _rng.reference(2**64 - 3, 1000, 1000) >> np.uint64(11)
    np.testing.assert_array_equal(kept, bits.astype(np.float64) * 2.0 ** -53 < 0.5)


def test_seeding(sim):
    ember.manual_seed(7)  # torch.manual_seed seeds the GPUs too
    assert ember.cuda.initial_seed() == 7
    ember.cuda.manual_seed(-1)  # (as a 64-bit pattern)
    assert ember.cuda.initial_seed() == 2**64 - 1
    ember.cuda.seed()
    s = ember.cuda.initial_seed()
    ember.cuda.seed_all()
    assert ember.cuda.initial_seed() != s
    s = ember.seed()
    assert ember.cuda.initial_seed() == s
    with pytest.raises(ValueError):
        ember.cuda.manual_seed("a")


def test_gpu_creation_ops_follow_the_cpu_state(sim):
    state = ember.get_rng_state()
    a = ember.rand(5, device="cuda")
    ember.set_rng_state(state)
    assert ember.equal(ember.rand(5, device="cuda"), a)


def test_bad_rng_states(sim):
    with pytest.raises(TypeError, match="ByteTensor"):
        ember.cuda.set_rng_state(ember.zeros(16))
    with pytest.raises(TypeError, match="ByteTensor"):
        ember.cuda.set_rng_state(ember.zeros(16, dtype=ember.uint8, device="cuda"))
    with pytest.raises(RuntimeError, match="wrong size"):
        ember.cuda.set_rng_state(ember.zeros(5, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        ember.cuda.get_rng_state("cuda:3")
    with pytest.raises(AttributeError, match="clone"):
        ember.cuda.set_rng_state(b"\0" * 16)


# -- memory -------------------------------------------------------------------------------------

_STAT_KEY = re.compile(r"(allocated_bytes|reserved_bytes|active_bytes|requested_bytes|"
                       r"inactive_split_bytes|allocation|active|segment|inactive_split)\."
                       r"(all|large_pool|small_pool)\.(current|peak|allocated|freed)")


@pytest.fixture
def pool(sim, monkeypatch):
    """The simulated pool, reporting figures the test sets."""
    figures = {"used": 0, "held": 0}
    p = sim.get_default_memory_pool()
    monkeypatch.setattr(p, "used_bytes", lambda: figures["used"], raising=False)
    monkeypatch.setattr(p, "total_bytes", lambda: figures["held"], raising=False)
    ember.cuda.reset_peak_memory_stats()
    yield figures
    ember.cuda.reset_peak_memory_stats()


def test_memory_stats_keys_and_peaks(pool):
    c = ember.cuda
    pool.update(used=5000, held=8192)
    stats = c.memory_stats()
    assert list(stats) == sorted(stats)
    assert all(_STAT_KEY.fullmatch(k) for k in stats), list(stats)
    assert stats["allocated_bytes.all.current"] == 5000 == c.memory_allocated()
    assert stats["reserved_bytes.all.current"] == 8192 == c.memory_reserved()
    pool.update(used=1200, held=4096)
    assert c.memory_allocated() == 1200 and c.max_memory_allocated() == 5000
    assert c.memory_reserved() == 4096 and c.max_memory_reserved() == 8192
    stats = c.memory_stats(0)
    assert stats["allocated_bytes.all.peak"] == 5000 and stats["reserved_bytes.all.peak"] == 8192
    nested = c.memory_stats_as_nested_dict()
    assert nested["allocated_bytes"]["all"]["current"] == 1200
    assert {f"{a}.{b}.{k}": v for a, d in nested.items() for b, e in d.items()
            for k, v in e.items()} == dict(stats)
    with pytest.warns(FutureWarning, match="reset_peak_memory_stats"):
        c.reset_max_memory_allocated()
    assert c.max_memory_allocated() == 1200 and c.max_memory_reserved() == 4096
    c.reset_accumulated_memory_stats()
    with pytest.warns(FutureWarning, match="renamed to `torch.cuda.memory_reserved`"):
        assert c.memory_cached() == 4096
    with pytest.warns(FutureWarning, match="renamed to `torch.cuda.max_memory_reserved`"):
        assert c.max_memory_cached() == 4096


def test_memory_summary(pool):
    pool.update(used=3 * 2**20, held=10 * 2**20 + 5)
    text = ember.cuda.memory_summary()
    assert "device ID 0" in text
    line = next(s for s in text.splitlines() if s.startswith("| Allocated memory"))
    assert "3072 KiB" in line
    cached = next(s for s in text.splitlines() if "Cached" in s)
    assert "   7 MiB" in cached  # held - used, rounded down
    assert all(len(s) == 77 for s in text.splitlines())
    ember.cuda.set_per_process_memory_fraction(0.25)
    assert "0.250" in ember.cuda.memory_summary(abbreviated=True)


def test_memory_fraction(sim):
    c = ember.cuda
    assert c.get_per_process_memory_fraction() == 1.0  # no cap set
    c.set_per_process_memory_fraction(0.5)
    assert c.get_per_process_memory_fraction() == 0.5
    assert sim.get_default_memory_pool().get_limit() == (1 << 30) // 2  # CuPy's pool limit
    with pytest.raises(TypeError, match="must be `float`"):
        c.set_per_process_memory_fraction(1)
    with pytest.raises(ValueError, match="Allowed range: 0~1"):
        c.set_per_process_memory_fraction(1.5)
    c.set_per_process_memory_fraction(1.0)


# -- legacy tensor types --------------------------------------------------------------------------

LEGACY = sorted(n for n in dir(torch.cuda) if n.endswith("Tensor") and n[0].isupper())
DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_types_check_dtype_and_device(sim, name):
    cls = getattr(ember.cuda, name)
    assert repr(cls) == repr(getattr(torch.cuda, name))
    assert pickle.loads(pickle.dumps(cls)) is cls
    assert pickle.loads(pickle.dumps(getattr(ember, name))) is getattr(ember, name)
    assert str(cls.dtype) == str(getattr(torch.cuda, name).dtype) and cls.is_cuda
    for dt in DTYPES:
        for dev in ("cpu", "cuda"):
            t = ember.zeros(2, dtype=getattr(ember, dt), device=dev)
            assert isinstance(t, cls) == (dev == "cuda" and t.dtype is cls.dtype), (dt, dev)
            assert isinstance(t, getattr(ember, name)) == (dev == "cpu" and t.dtype is cls.dtype)


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_types_construct_on_the_gpu(sim, name):
    cls, cpu_cls = getattr(ember.cuda, name), getattr(torch, name)
    data = [[1, 0], [3, 1]]
    t = cls(data)
    assert t.is_cuda and isinstance(t, cls)
    want = cpu_cls(data)
    assert str(t.dtype) == str(want.dtype)
    assert t.cpu().float().tolist() == want.float().tolist()
    assert cls(2, 3).shape == (2, 3) and cls(2, 3).is_cuda
    assert cls(ember.Size([4])).shape == (4,)
    assert cls().shape == cpu_cls().shape


def test_type_with_legacy_classes(sim):
    t = ember.ones(2).type(ember.cuda.DoubleTensor)
    assert t.is_cuda and t.dtype is ember.float64
    assert t.type() == "torch.cuda.DoubleTensor"
    back = t.type(ember.FloatTensor)
    assert back.device.type == "cpu" and back.dtype is ember.float32
    assert ember.ones(2).type("torch.cuda.HalfTensor").is_cuda


# -- streams, devices, the rest ----------------------------------------------------------------

def test_stream_helpers(sim):
    c = ember.cuda
    s = c.Stream()
    with c.StreamContext(s):
        assert c.current_stream() == s
    assert c.current_stream() == c.default_stream()
    c.set_stream(s)
    assert c.current_stream() == s
    c.set_stream(c.default_stream())
    assert c.current_stream() == c.default_stream()
    assert c.is_current_stream_capturing() is False
    with c.device_of(ember.ones(1, device="cuda")):
        assert c.current_device() == 0
    with c.device_of(ember.ones(1)):
        assert c.current_device() == 0


def test_device_facts(sim):
    c = ember.cuda
    major, minor = c.get_device_capability()
    assert c.get_arch_list() == [f"sm_{major}{minor}"]
    arch = f"{major}{minor}"
    assert c.get_gencode_flags() == f"-gencode compute=compute_{arch},code=sm_{arch}"
    c.init()
    c.ipc_collect()
    assert c.can_device_access_peer(0, 0) is True
    assert c.is_tf32_supported() == (major >= 8)
    assert c.memory_stats()  # initialised: figures, not {}


def test_sync_debug_mode(sim):
    c = ember.cuda
    assert c.get_sync_debug_mode() == 0
    with pytest.warns(UserWarning, match="does not detect"):
        c.set_sync_debug_mode("error")
    assert c.get_sync_debug_mode() == 2
    c.set_sync_debug_mode("default")
    assert c.get_sync_debug_mode() == 0
    with pytest.raises(RuntimeError, match="invalid value of debug_mode"):
        c.set_sync_debug_mode("loud")


def test_nvtx_ranges_nest(sim):
    nvtx = ember.cuda.nvtx
    assert nvtx.range_push("outer") == 0
    with nvtx.range("step {}", 3):
        assert nvtx.range_push("inner") == 2
        assert nvtx.range_pop() == 2
    nvtx.mark("here")
    assert nvtx.range_pop() == 0
    assert nvtx.range_pop() == -1


@pytest.mark.parametrize("make", [lambda c: c.CUDAGraph(), lambda c: c.graph(None),
                                  lambda c: c.make_graphed_callables(lambda x: x, ()),
                                  lambda c: c.graph_pool_handle(), lambda c: c.MemPool(),
                                  lambda c: c.use_mem_pool(None)])
def test_graphs_say_what_to_do(sim, make):
    with pytest.raises(RuntimeError, match="not supported by ember"):
        make(ember.cuda)


class _FakeNVML(types.ModuleType):
    """Enough of ``pynvml`` for the NVML queries."""

    class NVMLError_DriverNotLoaded(Exception):
        pass

    def __init__(self):
        super().__init__("pynvml")
        self.asked = []

    def nvmlInit(self):
        pass

    def nvmlDeviceGetHandleByIndex(self, i):
        self.asked.append(i)
        return ("handle", i)

    def nvmlDeviceGetUtilizationRates(self, h):
        return types.SimpleNamespace(gpu=37, memory=12)

    def nvmlDeviceGetTemperature(self, h, sensor):
        return 55 + sensor

    def nvmlDeviceGetPowerUsage(self, h):
        return 71000

    def nvmlDeviceGetClockInfo(self, h, which):
        return 1400 + which

    def nvmlDeviceGetMemoryInfo(self, h):
        return types.SimpleNamespace(used=2**30)

    def nvmlDeviceGetComputeRunningProcesses(self, h):
        return [types.SimpleNamespace(pid=4242, usedGpuMemory=3 * 2**20 + 2**19),
                types.SimpleNamespace(pid=7, usedGpuMemory=2**20)]


def test_nvml_queries(sim, monkeypatch):
    fake = _FakeNVML()
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,1")
    c = ember.cuda
    assert (c.utilization(), c.memory_usage(), c.temperature(), c.power_draw(),
            c.clock_rate(), c.device_memory_used()) == (37, 12, 55, 71000, 1401, 2**30)
    assert set(fake.asked) == {3}  # CUDA's device 0 is NVML's 3 here
    # the same text as PyTorch's, which needs no GPU to format it
    assert c.list_gpu_processes(0) == torch.cuda.list_gpu_processes(0)
    fake.nvmlDeviceGetComputeRunningProcesses = lambda h: []
    assert c.list_gpu_processes(0) == torch.cuda.list_gpu_processes(0)


# -- cuda.amp on a GPU -------------------------------------------------------------------------

def test_cuda_amp_on_gpu(sim):
    with pytest.warns(FutureWarning, match="torch.amp.autocast\\('cuda'"):
        ac = ember.cuda.amp.autocast()
    assert ac._enabled
    with pytest.warns(FutureWarning, match="torch.amp.GradScaler\\('cuda'"):
        assert ember.cuda.amp.GradScaler().is_enabled()
    with pytest.warns(FutureWarning, match="device_type='cuda'"):
        fwd = ember.cuda.amp.custom_fwd(cast_inputs=ember.float32)(lambda x: x.dtype)
    half = ember.ones(2, device="cuda", dtype=ember.float16)
    with ember.autocast("cuda"):
        assert fwd(half) is ember.float32
    assert fwd(half) is ember.float16  # autocast off: inputs as they are
    assert ember.cuda.amp.amp_definitely_not_available() is False
