"""Devices as a CPU-only PyTorch build sees them, against torch: ``device(int)``, ``.to(0)``,
``.cuda(...)``, ``pin_memory=True``, ``torch.accelerator`` and the device object's own rules
(immutable, unordered, PyTorch's argument errors).  With a (simulated) GPU, a CUDA build's."""
import io

import numpy as np
import pytest

import ember
from ember import _device, nn

torch = pytest.importorskip("torch")
if torch.cuda.is_available():  # (the differential half needs PyTorch's CPU-only behaviour)
    pytest.skip("PyTorch sees a GPU", allow_module_level=True)


@pytest.fixture(autouse=True)
def no_cuda(monkeypatch):
    """CUDA unavailable, whatever this machine has."""
    monkeypatch.setattr(_device, "_cupy", None)
    monkeypatch.setattr(_device, "_cupy_checked", True)


def outcome(f):
    try:
        r = f()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return "ok", repr(r)


def same(make):
    """``make(T)`` gives the same result, or raises the same error with the same message."""
    t, e = outcome(lambda: make(torch)), outcome(lambda: make(ember))
    assert e == t


CASES = {
    "device(1)": lambda T: T.device(1),
    "device(0)": lambda T: T.device(0),
    "device(-1)": lambda T: T.device(-1),
    "device(True)": lambda T: T.device(True),
    "device(1.0)": lambda T: T.device(1.0),
    "device(None)": lambda T: T.device(None),
    "device()": lambda T: T.device(),
    "device(index=0)": lambda T: T.device(index=0),
    "device(tensor)": lambda T: T.device(T.ones(1)),
    "device('cuda','0')": lambda T: T.device("cuda", "0"),
    "device('cuda',1.0)": lambda T: T.device("cuda", 1.0),
    "device('cuda',True)": lambda T: T.device("cuda", True),
    "device(type=cpu,index=0)": lambda T: T.device(type="cpu", index=0),
    "device(device)": lambda T: T.device(T.device("cuda", 3)),
    "lt": lambda T: T.device("cpu") < T.device("cpu"),
    "ge": lambda T: T.device("cuda", 1) >= T.device("cuda", 0),
    "setattr index": lambda T: setattr(T.device("cpu"), "index", 1),
    "setattr type": lambda T: setattr(T.device("cpu"), "type", "cuda"),
    "to(0)": lambda T: T.arange(3.).to(0),
    "to(device=1)": lambda T: T.arange(3.).to(device=1),
    "to(1, float64)": lambda T: T.arange(3.).to(1, T.float64),
    "to(-1)": lambda T: T.arange(3.).to(-1),
    "to(cpu:0)": lambda T: T.arange(3.).to(T.device("cpu", 0)),
    "cuda()": lambda T: T.arange(3.).cuda(),
    "cuda(0)": lambda T: T.arange(3.).cuda(0),
    "cuda(1)": lambda T: T.arange(3.).cuda(1),
    "cuda('cpu')": lambda T: T.arange(3.).cuda("cpu"),
    "cuda(device(meta))": lambda T: T.arange(3.).cuda(T.device("meta")),
    "cuda(1.5)": lambda T: T.arange(3.).cuda(1.5),
    "xpu()": lambda T: T.arange(3.).xpu(),
    "zeros(device=0)": lambda T: T.zeros(2, device=0),
    "tensor(device=0)": lambda T: T.tensor([1.], device=0),
    "Linear(device=0)": lambda T: T.nn.Linear(2, 2, device=0),
    "Linear.to(0)": lambda T: T.nn.Linear(2, 2).to(0),
    "Linear.cuda(0)": lambda T: T.nn.Linear(2, 2).cuda(0),
    "Linear.cuda('cpu')": lambda T: T.nn.Linear(2, 2).cuda("cpu"),
    "ReLU.cuda()": lambda T: T.nn.ReLU().cuda(),
    "set_default_device(0)": lambda T: T.set_default_device(0),
    "empty pin": lambda T: T.empty(3, pin_memory=True),
    "zeros pin": lambda T: T.zeros(2, 2, pin_memory=True),
    "ones pin": lambda T: T.ones(2, pin_memory=True),
    "randn pin": lambda T: T.randn(2, pin_memory=True),
    "full pin": lambda T: T.full((2,), 1., pin_memory=True),
    "tensor pin": lambda T: T.tensor([1., 2.], pin_memory=True),
    "meta pin": lambda T: T.empty(2, device="meta", pin_memory=True),
    "no pin": lambda T: T.ones(2, pin_memory=False),
    "pin_memory()": lambda T: T.ones(2).pin_memory(),
    "is_pinned()": lambda T: T.ones(2).is_pinned(),
    "acc is_available": lambda T: T.accelerator.is_available(),
    "acc current": lambda T: T.accelerator.current_accelerator(),
    "acc current checked": lambda T: T.accelerator.current_accelerator(check_available=True),
    "acc count": lambda T: T.accelerator.device_count(),
    "acc current_device_index": lambda T: T.accelerator.current_device_index(),
    "acc set_device_index": lambda T: T.accelerator.set_device_index(0),
    "acc set_device_index cpu": lambda T: T.accelerator.set_device_index("cpu"),
    "acc synchronize": lambda T: T.accelerator.synchronize(),
    "acc synchronize cpu": lambda T: T.accelerator.synchronize("cpu"),
    "acc current_stream": lambda T: T.accelerator.current_stream(),
    "acc empty_cache": lambda T: T.accelerator.empty_cache(),
    "acc memory_allocated": lambda T: T.accelerator.memory_allocated(),
    "acc max_memory_reserved": lambda T: T.accelerator.max_memory_reserved(),
    "acc memory_stats": lambda T: T.accelerator.memory_stats(),
    "acc reset_peak": lambda T: T.accelerator.reset_peak_memory_stats(),
    "acc get_memory_info": lambda T: T.accelerator.get_memory_info(),
    "acc device_index(0)": lambda T: T.accelerator.device_index(0).__enter__(),
    "acc device_index(None)": lambda T: T.accelerator.device_index(None).__enter__(),
    "setattr other": lambda T: setattr(T.device("cpu"), "foo", 1),
    "delattr index": lambda T: delattr(T.device("cpu"), "index"),
    "delattr other": lambda T: delattr(T.device("cpu"), "foo"),
    "new_tensor(device=0)": lambda T: T.ones(2).new_tensor([1.], device=0),
    "new_ones(device=0)": lambda T: T.ones(2).new_ones(2, device=0),
    "new_full(device=0)": lambda T: T.ones(2).new_full((2,), 3., device=0),
    "new_zeros(device=cpu:0)": lambda T: T.ones(2).new_zeros(2, device="cpu:0").device,
    "cuda.device(-1) enter": lambda T: T.cuda.device(-1).__enter__(),
    "cuda.device_of enter": lambda T: T.cuda.device_of(T.ones(1)).__enter__(),
    "type('torch.cuda.FloatTensor')": lambda T: T.ones(2).type("torch.cuda.FloatTensor"),
    "type(torch.cuda.DoubleTensor)": lambda T: T.ones(2).type(T.cuda.DoubleTensor),
    "set_default_tensor_type(cuda)": lambda T: T.set_default_tensor_type(T.cuda.FloatTensor),
    "set_default_tensor_type('cuda')": lambda T: T.set_default_tensor_type(
        "torch.cuda.DoubleTensor"),
    "set_default_device(mps)": lambda T: (T.set_default_device("mps"),
                                          T.get_default_device()),
    "set_default_device(xpu)": lambda T: (T.set_default_device("xpu"),
                                          T.get_default_device()),
    "set_default_device(cuda:3)": lambda T: (T.set_default_device("cuda:3"),
                                             T.get_default_device()),
    "set_default_device(cuda)": lambda T: (T.set_default_device("cuda"),
                                           T.get_default_device()),
    "set_default_tensor_type(int)": lambda T: T.set_default_tensor_type(T.IntTensor),
    "mps.is_macos13_or_newer": lambda T: T.backends.mps.is_macos13_or_newer(),
    "mps.is_macos_or_newer": lambda T: T.backends.mps.is_macos_or_newer(14, 0),
    "cpu(1)": lambda T: T.ones(1).cpu(1),
    "cpu(1, 2)": lambda T: T.ones(1).cpu(1, 2),
    "cuda(0, True, 3)": lambda T: T.ones(1).cuda(0, True, 3),
    "cuda.memory.memory_allocated": lambda T: T.cuda.memory.memory_allocated(),
    "cuda.memory.max_memory_reserved": lambda T: T.cuda.memory.max_memory_reserved(0),
    "cuda.random.manual_seed": lambda T: T.cuda.random.manual_seed(1),
    "cuda.random.initial_seed": lambda T: T.cuda.random.initial_seed(),
    "fork_rng()": lambda T: T.random.fork_rng().__enter__(),
    "fork_rng(devices=[0])": lambda T: T.random.fork_rng(devices=[0]).__enter__(),
    "fork_rng(devices=[0], off)": lambda T: T.random.fork_rng([0], enabled=False).__enter__(),
    "fork_rng(mps)": lambda T: T.random.fork_rng(device_type="mps").__enter__(),
    "fork_rng(xla)": lambda T: T.random.fork_rng(device_type="xla").__enter__(),
    "fork_rng(gpu)": lambda T: T.random.fork_rng(device_type="gpu").__enter__(),
    "device('cuda', np.int64)": lambda T: T.device("cuda", np.int64(1)),
    "device(np.int64)": lambda T: T.device(np.int64(1)),
    "device('cpu', 0-d tensor)": lambda T: T.device("cpu", T.tensor(0)),
    "device('cuda', 1-d tensor)": lambda T: T.device("cuda", T.tensor([1])),
    "device(0-d tensor)": lambda T: T.device(T.tensor(1)),
    "to(np.int64)": lambda T: T.ones(1).to(np.int64(0)),
    "cuda(np.int64)": lambda T: T.ones(1).cuda(np.int64(0)),
    "zeros(device=np.int64)": lambda T: T.zeros(1, device=np.int64(0)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_like_cpu_only_pytorch(name):
    try:
        same(CASES[name])
    finally:
        torch.set_default_device(None)
        ember.set_default_device(None)


def test_device_context_exit_returns_none():
    for T in (torch, ember):
        d = T.device("meta")
        d.__enter__()
        try:
            assert T.get_default_device() == T.device("meta")
        finally:
            assert d.__exit__(None, None, None) is None
        assert T.get_default_device() == T.device("cpu")


def test_device_still_hashes_and_pickles():
    import pickle

    d = ember.device("cuda", 1)
    assert pickle.loads(pickle.dumps(d)) == d and hash(d) == hash(ember.device("cuda:1"))
    assert len({ember.device("cpu"), ember.device("cpu", 0), ember.device("cuda")}) == 3


@pytest.mark.parametrize("where", ["cuda:0", "cuda", "cpu:0", "meta", 0, "gpu", "cpu"])
def test_load_map_location_without_gpu(where):
    def load(T):
        buf = io.BytesIO()
        T.save({"w": T.ones(2)}, buf)
        buf.seek(0)
        loc = T.device(where) if where in ("cpu:0", "cuda") else where
        return T.load(buf, map_location=loc)["w"].device

    same(load)


# -- with a (simulated) GPU: a CUDA build's answers -----------------------------------------------

def test_bare_index_with_gpu():
    with _device._simulate_cuda():
        assert ember.device(0) == ember.device("cuda", 0)
        assert ember.device(3) == ember.device("cuda", 3)  # (not checked against the count)
        assert ember.arange(3.).to(0).device == ember.device("cuda", 0)
        assert ember.arange(3.).cuda(0).device == ember.device("cuda", 0)
        with pytest.raises(RuntimeError, match="Invalid device, must be cuda device"):
            ember.arange(3.).cuda("cpu")
        assert nn.Linear(2, 2).to(0).weight.device == ember.device("cuda", 0)


def test_bare_index_on_new_tensors_and_modules_with_gpu():
    with _device._simulate_cuda():
        x = ember.ones(2)
        for t in (x.new_ones(2, device=0), x.new_zeros(2, device=0), x.new_empty(2, device=0),
                  x.new_full((2,), 1., device=0), x.new_tensor([1.], device=0)):
            assert t.device == ember.device("cuda", 0)
        w = nn.Linear(2, 2).to(0, ember.float64).weight
        assert (w.device, w.dtype) == (ember.device("cuda", 0), ember.float64)
        with ember.cuda.device(0) as bound:
            assert bound is None


def test_accelerator_with_gpu():
    A = ember.accelerator
    with _device._simulate_cuda():
        assert A.current_device_index() == 0
        A.set_device_index(0)
        A.synchronize()
        with A.device_index(0):
            assert A.current_device_index() == 0
        assert A.memory_allocated() == ember.cuda.memory_allocated()
        with pytest.raises(RuntimeError, match="Accelerator expected"):
            A.synchronize("cpu")


def test_pin_memory_factories_with_gpu():
    with _device._simulate_cuda():
        t = ember.zeros(3, pin_memory=True)
        assert t.is_pinned() and t.device == ember.device("cpu")
        assert ember.tensor([1., 2.], pin_memory=True).is_pinned()
        r = ember.ones(2, requires_grad=True, pin_memory=True)
        assert r.is_pinned() and r.requires_grad
        assert not ember.ones(2).is_pinned()


@pytest.mark.parametrize("call", ['is_pinned("cpu")', 'is_pinned("cuda")', 'is_pinned(None)',
                                  'pin_memory("meta")', 'pin_memory("cpu")', 'pin_memory("cuda")',
                                  'pin_memory(None)', "is_pinned(1.5)",
                                  'is_pinned(T.device("meta"))'])
def test_pin_memory_device_argument(call):
    import warnings

    def run(T):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            got = outcome(lambda: eval(f"T.ones(2).{call}"))
        return got, [(m.category.__name__, str(m.message).split(" (Triggered")[0]) for m in w]

    assert run(ember) == run(torch)


def test_pin_memory_device_argument_with_gpu():
    with _device._simulate_cuda():
        with pytest.warns(DeprecationWarning, match="argument .device. of Tensor"):
            assert ember.ones(2).pin_memory("cuda").is_pinned()


def test_fork_rng_restores_cpu_state_and_decorates():
    def run(T):
        T.manual_seed(0)
        with T.random.fork_rng():
            a = T.rand(3)
        b = T.rand(3)

        @T.random.fork_rng()
        def draw():
            return T.rand(2)

        return a.tolist(), b.tolist(), draw().tolist(), draw().tolist()

    assert run(ember) == run(torch)


def test_fork_rng_restores_gpu_state():
    with _device._simulate_cuda():
        ember.cuda.manual_seed(3)
        for devices in (None, [0]):
            with ember.random.fork_rng(devices=devices):
                a = ember.rand(2, device="cuda")
            assert ember.equal(a, ember.rand(2, device="cuda"))
