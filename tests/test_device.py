"""Devices on a machine without a GPU: ``ember.device``, what ``ember.cuda`` says when CUDA
is missing, and (on ember's simulated GPU) the device bookkeeping a real GPU needs: the
mismatch errors, ``.to``, printing, ``Module.to`` and the ``ember.cuda`` calls."""
import pickle

import numpy as np
import pytest

import ember
from ember import _device, nn

torch = pytest.importorskip("torch")

MISMATCH = "Expected all tensors to be on the same device, but found at least two devices, "


@pytest.fixture
def no_cuda(monkeypatch):
    """CUDA unavailable, whatever this machine has."""
    monkeypatch.setattr(_device, "_cupy", None)
    monkeypatch.setattr(_device, "_cupy_checked", True)


@pytest.fixture
def sim():
    with _device._simulate_cuda():
        yield


# -- ember.device -------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 1), ("cpu", 0),
                                  ("meta",), ("cuda:0",)])
def test_device_like_pytorch(args):
    e, t = ember.device(*args), torch.device(*args)
    assert (repr(e), str(e), e.type, e.index) == (repr(t), str(t), t.type, t.index)
    assert pickle.loads(pickle.dumps(e)) == e
    assert ember.device(e) == e


def test_device_equality():
    assert ember.device("cuda:0") == ember.device("cuda", 0)
    for T in (ember, torch):  # a device is never equal to a string, in PyTorch too
        assert not T.device("cpu") == "cpu" and T.device("cpu") != "cpu"
    assert ember.device("cuda") != ember.device("cuda:0")  # as in PyTorch
    assert ember.device("cpu") != ember.device("cuda")
    assert len({ember.device("cuda", 1), ember.device("cuda:1")}) == 1
    with _device._simulate_cuda():  # a bare index means a GPU (the current accelerator's)
        assert ember.device(2) == ember.device("cuda", 2)


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda:-1", "cuda:0:1"])
def test_bad_device_strings(bad):
    with pytest.raises(RuntimeError) as t:
        torch.device(bad)
    with pytest.raises(type(t.value)):
        ember.device(bad)


def test_device_index_twice():
    with pytest.raises(RuntimeError) as t:
        torch.device("cuda:1", 1)
    with pytest.raises(RuntimeError) as e:
        ember.device("cuda:1", 1)
    assert str(e.value) == str(t.value)


# -- without CUDA -------------------------------------------------------------------------------

def test_cuda_unavailable(no_cuda):
    c = ember.cuda
    assert c.is_available() is False and c.device_count() == 0
    assert c.memory_allocated() == 0 and c.max_memory_allocated() == 0
    assert c.memory_reserved() == 0
    c.manual_seed(1)  # no-ops without a GPU, as in PyTorch
    c.manual_seed_all(1)
    c.empty_cache()
    ember.manual_seed(0)
    assert c.is_bf16_supported() is False
    for f in (c.current_device, c.synchronize, c.get_device_name, lambda: c.set_device(0),
              c.Event, c.Stream, c.current_stream, c.mem_get_info, c.get_device_properties):
        with pytest.raises(RuntimeError, match="ember uses CuPy"):
            f()


@pytest.mark.parametrize("make", [lambda: ember.zeros(2, device="cuda"),
                                  lambda: ember.ones(2).cuda(), lambda: ember.ones(2).to("cuda:0"),
                                  lambda: ember.tensor([1], device=ember.device("cuda", 0)),
                                  lambda: nn.Linear(2, 2).to("cuda"),
                                  lambda: ember.rand(2, device="cuda"),
                                  lambda: ember.zeros_like(ember.ones(1), device="cuda")])
def test_cuda_requests_say_what_to_install(no_cuda, make):
    with pytest.raises(RuntimeError, match="pip install ember\\[cuda\\]"):
        make()


def test_seed_picks_cpu_without_cuda(no_cuda):
    device = "cuda" if ember.cuda.is_available() else "cpu"
    assert device == "cpu"
    assert repr(ember.tensor([9], device=device)) == "tensor([9])"


# -- the simulated GPU ------------------------------------------------------------------------

def test_simulation_is_scoped():
    before = ember.cuda.is_available()
    with _device._simulate_cuda():
        assert ember.cuda.is_available() and ember.cuda.device_count() == 1
        t = ember.ones(2, device="cuda")
        assert type(t._data).__name__ == "SimArray"
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
            np.asarray(t._data)
        with pytest.raises(TypeError, match="Unsupported type"):
            t._data + np.ones(2)
    assert ember.cuda.is_available() == before
    assert "_simulate_cuda" not in dir(ember) and "_sim" not in ember.cuda.__all__


def test_mismatch_errors(sim):
    g, c = ember.ones(3, device="cuda"), ember.ones(3)
    for f, order in ((lambda: g + c, "cuda:0 and cpu"), (lambda: c * g, "cpu and cuda:0"),
                     (lambda: ember.maximum(g, c), "cuda:0 and cpu"),
                     (lambda: g.eq(c), "cuda:0 and cpu"),
                     (lambda: ember.cat([g, c]), "cuda:0 and cpu"),
                     (lambda: ember.stack([c, g]), "cpu and cuda:0"),
                     (lambda: ember.where(g > 0, g, c), "cuda:0 and cpu"),
                     (lambda: g.add_(c), "cuda:0 and cpu")):
        with pytest.raises(RuntimeError) as e:
            f()
        assert str(e.value) == MISMATCH + order + "!"
    m = ember.ones(3, 3, device="cuda")
    for f in (lambda: m @ ember.ones(3, 3), lambda: ember.ones(3, 3).mm(m),
              lambda: ember.addmm(ember.ones(3), m, ember.ones(3, 3)),
              lambda: nn.functional.linear(m, ember.ones(2, 3)),
              lambda: ember.einsum("ij,jk->ik", m, ember.ones(3, 3)), lambda: g.dot(c)):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            f()


def test_mismatch_in_layers(sim):
    lin = nn.Linear(3, 2)
    x = ember.ones(4, 3, device="cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        lin(x)
    lin.to("cuda")
    assert lin(x).is_cuda
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        lin(ember.ones(4, 3))
    for layer, inp in ((nn.Conv2d(1, 1, 1), ember.ones(1, 1, 2, 2, device="cuda")),
                       (nn.BatchNorm1d(3), x), (nn.LayerNorm(3), x),
                       (nn.Embedding(5, 2), ember.tensor([1, 2], device="cuda"))):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            layer(inp)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        nn.functional.cross_entropy(ember.ones(2, 3, device="cuda"), ember.tensor([0, 1]))


def test_zero_dim_cpu_tensors_mix(sim):
    g = ember.arange(3.0, device="cuda")
    s = ember.tensor(2.0)
    assert (g * s).is_cuda and (s + g).is_cuda and (g > s).is_cuda
    assert (g * s).tolist() == [0.0, 2.0, 4.0]
    g.add_(s)
    assert g.tolist() == [2.0, 3.0, 4.0]
    # but a 0-d GPU tensor does not carry a dimensioned CPU one
    with pytest.raises(RuntimeError, match=MISMATCH):
        ember.ones(2) + ember.tensor(1.0, device="cuda")


def test_numpy_errors(sim):
    g = ember.ones(2, device="cuda")
    t = torch.ones(2)
    for e in (lambda x: x.numpy(), lambda x: np.asarray(x)):
        with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy. "
                                            r"Use Tensor.cpu\(\) to copy the tensor to host "
                                            r"memory first."):
            e(g)
    assert t.numpy().tolist() == g.cpu().numpy().tolist()


def test_to_and_printing(sim):
    c = ember.tensor([[1.5, -2.0], [3.0, 4.25]])
    g = c.to("cuda")
    assert g.device == ember.device("cuda", 0) and g.is_cuda and g.get_device() == 0
    assert c.get_device() == -1
    text = repr(torch.tensor([[1.5, -2.0], [3.0, 4.25]]))
    assert repr(g) == text[:-1] + ", device='cuda:0')"
    assert str(g.double()) == text[:-1] + ", device='cuda:0', dtype=torch.float64)"
    assert repr(g.cpu()) == text
    x = g.clone().requires_grad_()
    assert repr(x * 2) == ("tensor([[ 3.0000, -4.0000],\n        [ 6.0000,  8.5000]], "
                           "device='cuda:0', grad_fn=<MulBackward0>)")


def test_module_to(sim):
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    params = list(m.parameters())
    before = repr(m)
    assert m.to("cuda") is m
    assert repr(m) == before
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(p.is_cuda and isinstance(p, nn.Parameter) and p.requires_grad
               for p in m.parameters())
    assert all(b.is_cuda for b in m.buffers())
    out = m(ember.randn(5, 3, device="cuda"))
    out.sum().backward()
    assert all(p.grad.is_cuda for p in m.parameters())
    m.cpu()
    assert all(p.device.type == "cpu" and p.grad.device.type == "cpu" for p in m.parameters())
    m.cuda()
    assert all(p.is_cuda for p in m.parameters())
    m.to(ember.float64)
    assert all(p.is_cuda and p.dtype is ember.float64 for p in m.parameters())
    m.to("cpu", ember.float32)
    assert all(p.device.type == "cpu" and p.dtype is ember.float32 for p in m.parameters())


def test_cuda_api(sim):
    c = ember.cuda
    assert c.is_available() and c.device_count() == 1 and c.current_device() == 0
    assert isinstance(c.get_device_name(), str)
    assert c.get_device_name(0) == c.get_device_name("cuda:0")
    c.set_device(0)
    c.set_device("cuda:0")
    c.synchronize()
    c.synchronize("cuda")
    with c.device(0):
        assert ember.zeros(1, device="cuda").device == ember.device("cuda", 0)
    with c.device(None):
        pass
    assert isinstance(c.memory_allocated(), int) and isinstance(c.max_memory_allocated(), int)
    assert c.max_memory_allocated() >= c.memory_allocated()
    c.reset_peak_memory_stats()
    c.empty_cache()
    c.manual_seed(3)
    c.manual_seed_all(2**64 - 1)
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        ember.zeros(1, device="cuda:1")


def test_dropout_on_gpu_is_seeded(sim):
    x = ember.ones(1000, device="cuda")
    ember.manual_seed(5)
    a = nn.functional.dropout(x, 0.5)
    ember.manual_seed(5)
    b = nn.functional.dropout(x, 0.5)
    assert a.tolist() == b.tolist() and a.is_cuda


def test_pin_memory(sim):
    t = ember.arange(6.0).reshape(2, 3)
    p = t.pin_memory()
    assert p.is_pinned() and not t.is_pinned() and p.device.type == "cpu"
    assert p.tolist() == t.tolist()
    assert p.to("cuda", non_blocking=True).is_cuda
    from ember.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(ember.arange(8.0).reshape(4, 2), ember.arange(4))
    for x, y in DataLoader(ds, batch_size=2, pin_memory=True):
        assert x.is_pinned() and y.is_pinned()


def test_pin_memory_without_cuda(no_cuda):
    t = ember.ones(2)
    with pytest.raises(RuntimeError):
        t.pin_memory()
    assert not t.is_pinned()


def test_generator_devices(sim):
    # a GPU's own generator: its draws land on the GPU (ember's MT19937 stream, seeded);
    # a generator of the other device is refused with PyTorch's words
    g = ember.Generator(device="cuda").manual_seed(0)
    assert g.device == ember.device("cuda", 0)
    x = ember.randn(3, generator=g, device="cuda")
    assert x.device.type == "cuda"
    want = torch.randn(3, generator=torch.Generator().manual_seed(0))
    assert np.array_equal(x.cpu().numpy(), want.numpy())
    y = ember.empty(4, device="cuda").uniform_(generator=g)
    assert y.device.type == "cuda"
    with pytest.raises(RuntimeError, match="^Expected a 'cpu' device type for generator but "
                                           "found 'cuda'$"):
        ember.randn(3, generator=g)
    with pytest.raises(RuntimeError, match="^Expected a 'cuda' device type for generator but "
                                           "found 'cpu'$"):
        ember.rand(3, generator=ember.Generator(), device="cuda")


@pytest.mark.parametrize("dev", ["meta", "mps"])
def test_generator_without_backend(dev):
    with pytest.raises(RuntimeError) as t:
        torch.Generator(device=dev)
    with pytest.raises(RuntimeError) as e:
        ember.Generator(device=dev)
    assert str(e.value) == str(t.value)


def test_cuda_generator_without_cuda(no_cuda):
    with pytest.raises(RuntimeError):
        ember.Generator(device="cuda")
