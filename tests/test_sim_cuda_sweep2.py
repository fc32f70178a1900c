"""A second GPU-readiness sweep on ember's simulated CUDA device.

Same set-up as ``test_sim_cuda_sweep.py``: ``'cuda'`` is backed by
``ember._device._simulate_cuda()`` (NumPy arrays posing as CuPy ones, refusing implicit
conversion to NumPy and mixing with host arrays), each case runs on the CPU and on the GPU with
the same seeded inputs, and values, dtypes, shapes, gradients and devices must agree.  This file
covers what the first sweep left out: whole torchvision-style models trained on the device,
mixed precision (autocast, GradScaler), the ``torch.cuda`` calls training scripts make, tensor
creation in users' styles, ``nn.utils`` and a few functional ops on the device, and
``torch.compile``/checkpointing there.
"""

import io

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn import functional as F

from test_cuda import _pair_of_models, assert_like, host, same
import test_sim_cuda_sweep as _sweep1
from test_sim_cuda_sweep import _i, _r, count_pulls

torch = pytest.importorskip("torch")

dev = _sweep1.dev  # (the simulated GPU fixture)


def _close(got, want, rtol=1e-4, atol=1e-5, what=""):
    np.testing.assert_allclose(host(got), host(want), rtol=rtol, atol=atol, err_msg=what)


def _no_dropout(m):
    for mod in m.modules():
        if isinstance(mod, nn.modules.dropout._DropoutNd):
            mod.p = 0.0
    return m


# -- whole models: a training step, eval inference, state_dict to the CPU


def _vit():
    from ember.vision.models.vision_transformer import VisionTransformer

    return VisionTransformer(16, 8, 1, 2, 16, 32, num_classes=10)


def _resnet18():
    from ember.vision.models import resnet18

    return resnet18(num_classes=10)


def _mobilenet_v2():
    from ember.vision.models import mobilenet_v2

    return mobilenet_v2(num_classes=10, width_mult=0.25)


def _vgg11_bn_features():
    # vgg11_bn's convolutional stack (its 4096-wide classifier alone holds 120M weights: too
    # slow to draw for a test) with a small head
    from ember.vision.models.vgg import cfgs, make_layers

    return nn.Sequential(
        make_layers(cfgs["A"], batch_norm=True), nn.Flatten(), nn.Dropout(), nn.Linear(512, 10)
    )


def _cheap(name):
    def make():
        from ember.vision import models

        return getattr(models, name)(num_classes=10)

    return make


MODELS = {
    "vgg11_bn_features_sgd": (_vgg11_bn_features, (2, 3, 32, 32), "sgd"),
    "squeezenet1_1_adam": (_cheap("squeezenet1_1"), (2, 3, 48, 48), "adam"),
    "shufflenet_v2_sgd": (_cheap("shufflenet_v2_x0_5"), (2, 3, 32, 32), "sgd"),
    "mobilenet_v3_small_sgd": (_cheap("mobilenet_v3_small"), (2, 3, 32, 32), "sgd"),
    "resnet18_sgd": (_resnet18, (4, 3, 32, 32), "sgd"),
    "mobilenet_v2_sgd": (_mobilenet_v2, (2, 3, 32, 32), "sgd"),
    "vit_adamw": (_vit, (2, 3, 16, 16), "adamw"),
}
_OPT = {
    "sgd": lambda ps: ember.optim.SGD(ps, lr=0.01, momentum=0.9, weight_decay=1e-4),
    "adam": lambda ps: ember.optim.Adam(ps, lr=1e-3),
    "adamw": lambda ps: ember.optim.AdamW(ps, lr=1e-3),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_model_training_step(dev, name):
    """Forward, cross-entropy, backward and an optimizer step of a torchvision model on the
    GPU match the CPU's; then eval inference under no_grad/inference_mode, and the state_dict
    saved from the GPU loads onto the CPU with map_location."""
    make, shape, opt = MODELS[name]
    cpu, gpu = _pair_of_models(dev, lambda: _no_dropout(make()))
    trained = {}
    x = _r(shape, seed=3)
    y = _i(shape[0], 10, seed=4)
    res, params = {}, {}
    # the training steps in float64: deep float32 nets condition their gradients at about
    # 1e-4 (the GPU's own float64 run differs from its float32 one as much as the CPU's does)
    for m, d in ((cpu, "cpu"), (gpu, dev)):
        m.double()
        o = _OPT[opt](m.parameters())
        xs, ys = ember.from_numpy(x).to(d, ember.float64), ember.from_numpy(y).to(d)
        losses = []
        for _ in range(2):
            o.zero_grad()
            loss = F.cross_entropy(m(xs), ys)
            loss.backward()
            o.step()
            losses.append(loss)
        snap = {n: p.detach().clone() for n, p in m.named_parameters()}
        if d == "cpu":
            trained = snap
        else:
            params = snap
        m.float()
        xs = xs.float()
        if d != "cpu":  # eval on the same weights and running statistics as the CPU's
            m.load_state_dict(cpu.state_dict())
        m.eval()
        with ember.no_grad():
            ev = m(xs)
        with ember.inference_mode():
            inf = m(xs)
        res[d] = losses, ev, inf
    (lc, ec, ic), (lg, eg, ig) = res["cpu"], res[dev]
    # (shufflenet: a batch of 2 reaches its last batch norm at 1x1, where two values normalise
    # to about +-1 whatever they are: the gradient behind it is rounding noise, PyTorch's CPU
    # orders' on the CPU (float64 too) and other orders' on the GPU)
    noisy = name == "shufflenet_v2_sgd"
    for a, b in zip(lg, lc):
        assert_like(a, b, "loss", rtol=1e-8 if noisy else 1e-9, atol=1e-12)
    assert not eg.requires_grad and ig.is_inference() and not ec.requires_grad
    _close(eg, ec, 1e-3, 1e-3, "eval")
    _close(ig, eg, 0, 0, "inference_mode")
    _close(ic, ec, 0, 0, "inference_mode on the CPU")
    for n, pc in trained.items():
        assert gpu.get_parameter(n).is_cuda and gpu.get_parameter(n).grad.is_cuda, n
        _close(params[n], pc, 1e-2 if noisy else 1e-7, 1e-5 if noisy else 1e-9, n)
    for (n, bc), bg in zip(cpu.named_buffers(), gpu.buffers()):
        assert bg.is_cuda and bg.dtype is bc.dtype, n
    buf = io.BytesIO()
    ember.save(gpu.state_dict(), buf)
    buf.seek(0)
    sd = ember.load(buf, map_location="cpu")
    assert all(v.device.type == "cpu" for v in sd.values())
    fresh = _no_dropout(make())
    fresh.load_state_dict(sd)
    fresh.eval()
    with ember.no_grad():
        _close(fresh(ember.from_numpy(x)), ec, 1e-3, 1e-3, "reloaded")


def test_resnet_training_step_does_not_wait_for_the_gpu(dev, monkeypatch):
    """resnet's stem (max pooling with padding) and a step: no host waits."""

    ember.manual_seed(0)
    m = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 3),
    ).to(dev)
    o = ember.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x = ember.randn(2, 3, 8, 8, device=dev)
    y = ember.randint(0, 3, (2,), device=dev)
    pulled = count_pulls(monkeypatch)
    for _ in range(2):
        o.zero_grad()
        F.cross_entropy(m(x), y).backward()
        o.step()
    assert pulled == []


def _with_nans(a):
    a = a.copy()
    a.flat[::7] = np.nan
    a.flat[3::11] = -np.inf
    return a


@pytest.mark.parametrize("padding", [0, 1])
def test_max_pool_nan_and_padding(dev, padding):
    """max pooling's NaN and all -inf windows, with and without padding, on the device."""
    x = _with_nans(_r((2, 3, 7, 6), seed=5))
    x[0, 0, :3, :3] = -np.inf
    same(
        dev,
        lambda T, x: (
            F.max_pool2d(x, 3, 2, padding, return_indices=True),
            F.max_pool2d(x, 2, 1, padding, ceil_mode=True, return_indices=True),
            F.max_pool2d(x, 3, 1, padding, dilation=2, return_indices=True),
            F.max_pool1d(x[0], 3, 2, padding, return_indices=True),
            F.max_pool3d(x[:, None], (1, 3, 3), 2, (0, padding, padding), return_indices=True),
        ),
        x,
        grad=False,
    )
    i = np.arange(6, dtype=np.int64).reshape(1, 1, 2, 3)
    same(dev, lambda T, i: F.max_pool2d(i, 2, 1, padding, return_indices=True), i, grad=False)
    y = _r((1, 2, 5, 5), seed=6)
    same(dev, lambda T, y: F.max_pool2d(y, 3, 2, padding), y)


# -- mixed precision


_AUTOCASTS = {
    "autocast_fp16": lambda: ember.autocast("cuda", dtype=ember.float16),
    "cuda_amp_autocast": lambda: ember.cuda.amp.autocast(),
    "amp_autocast_bf16": lambda: ember.amp.autocast("cuda", dtype=ember.bfloat16),
}


@pytest.mark.filterwarnings("ignore:.*is deprecated:FutureWarning")
@pytest.mark.parametrize("name", list(_AUTOCASTS))
def test_autocast_on_cuda(dev, name):
    """Under CUDA autocast, matmuls/convs run in the low dtype, losses and softmax in float32;
    the values are the CPU's computation with the same casts."""
    low = ember.bfloat16 if "bf16" in name else ember.float16
    x, w, b = _r((4, 6), seed=10), _r((5, 6), seed=11), _r(5, seed=12)
    c, k = _r((2, 3, 6, 6), seed=13), _r((4, 3, 3, 3), seed=14)
    t = _i(4, 5, seed=15)

    def manual(T, x, w, b, c, k):
        y = F.linear(x.to(low), w.to(low), b.to(low))
        return (
            y,
            (x.to(low) @ w.to(low).t()),
            F.conv2d(c.to(low), k.to(low), padding=1),
            F.cross_entropy(y.float(), T.tensor(t)),
            y.relu(),
        )

    def auto(T, x, w, b, c, k):
        with _AUTOCASTS[name]():
            assert ember.is_autocast_enabled("cuda") and not ember.is_autocast_enabled("cpu")
            y = F.linear(x, w, b)
            out = (
                y,
                x @ w.t(),
                F.conv2d(c, k, padding=1),
                F.cross_entropy(y, T.tensor(t)),
                y.relu(),
            )
        assert not ember.is_autocast_enabled("cuda")
        return out

    arrays = (x, w, b, c, k)
    want = manual(ember, *[ember.from_numpy(a).requires_grad_() for a in arrays])
    gins = [ember.from_numpy(a).to(dev).requires_grad_() for a in arrays]
    from test_cuda import On

    got = auto(On(dev), *gins)
    assert_like(got, want, rtol=2e-2, atol=2e-2)
    # gradients reach the float32 leaves as float32, on the device
    (got[0].float().sum() + got[2].float().sum() + got[3]).backward()
    for g in gins:
        assert g.grad.is_cuda and g.grad.dtype is ember.float32


def test_autocast_cuda_float32_ops(dev):
    y = ember.randn(3, 4, device=dev).half()
    with ember.autocast("cuda", dtype=ember.float16):
        outs = (y.softmax(-1), y.log_softmax(-1), F.layer_norm(y, (4,)), y.exp(), y.sum(),
                y.log1p(), y.pow(2), y ** 2, y.cumsum(0), F.softplus(y), y.logsumexp(1),
                F.group_norm(y, 2), ember.exp(y), F.softmax(y, 1), y.rsqrt())
        # not on the list, or told a dtype: their own dtype
        kept = (y.relu(), y.tanh(), y.sum(dtype=ember.float16), y.softmax(-1, ember.float16))
        cpu = ember.randn(3, 4).bfloat16()
        cpu_kept = (cpu.softmax(-1), cpu.exp(), cpu.sum())  # (CUDA's list: not the CPU's)
    assert [o.dtype for o in outs] == [ember.float32] * len(outs)
    assert [o.dtype for o in kept] == [ember.float16] * len(kept)
    assert [o.dtype for o in cpu_kept] == [ember.bfloat16] * len(cpu_kept)
    assert [o.device.type for o in outs] == ["cuda"] * len(outs)
    # outside autocast, nothing is cast
    assert y.softmax(-1).dtype is ember.float16 and y.sum().dtype is ember.float16


def _amp_model(dev):
    ember.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)).to(dev)


_SCALERS = {
    "amp": lambda **k: ember.amp.GradScaler("cuda", **k),
    "cuda_amp": lambda **k: ember.cuda.amp.GradScaler(**k),
}


@pytest.mark.filterwarnings("ignore:.*is deprecated:FutureWarning")
@pytest.mark.parametrize("which", list(_SCALERS))
def test_grad_scaler_on_cuda(dev, which):
    """scale/step/update, unscale_ then clipping, a skipped step on inf gradients (the scale
    backs off), growth after growth_interval clean steps, state_dict round trip."""
    make = _SCALERS[which]
    m = _amp_model(dev)
    ref = _amp_model("cpu")
    o = ember.optim.SGD(m.parameters(), lr=0.1)
    oref = ember.optim.SGD(ref.parameters(), lr=0.1)
    scaler = make(init_scale=1024.0, growth_interval=2)
    assert scaler.is_enabled() and scaler.get_scale() == 1024.0
    x = ember.from_numpy(_r((4, 6), seed=20))
    y = ember.from_numpy(_i(4, 3, seed=21))
    scales = []
    for step in range(4):
        o.zero_grad()
        oref.zero_grad()
        with ember.autocast("cuda", dtype=ember.float16):
            out = m(x.to(dev))
            loss = F.cross_entropy(out, y.to(dev))
        assert out.dtype is ember.float16 and loss.dtype is ember.float32
        scaled = scaler.scale(loss)
        assert scaled.is_cuda
        scaled.backward()
        if step == 2:  # an overflowing gradient: the step is skipped, the scale halves
            next(m.parameters()).grad[0, 0] = float("inf")
        scaler.unscale_(o)
        nn.utils.clip_grad_norm_(m.parameters(), 10.0)
        before = [p.detach().clone() for p in m.parameters()]
        scaler.step(o)
        scaler.update()
        scales.append(scaler.get_scale())
        after = list(m.parameters())
        if step == 2:
            assert all(bool((a == b).all()) for a, b in zip(after, before))
        else:  # the same step as the CPU's float16 computation, unscaled
            F.cross_entropy(
                F.linear(
                    F.linear(x.half(), ref[0].weight.half(), ref[0].bias.half()).relu(),
                    ref[2].weight.half(),
                    ref[2].bias.half(),
                ).float(),
                y,
            ).backward()
            nn.utils.clip_grad_norm_(ref.parameters(), 10.0)
            oref.step()
            for pg, pc in zip(after, ref.parameters()):
                assert pg.is_cuda and pg.dtype is ember.float32
                _close(pg, pc, 2e-3, 2e-3)
        if step == 2:  # keep the CPU model in step with the skipped update
            pass
    assert scales == [1024.0, 2048.0, 1024.0, 1024.0]
    sd = scaler.state_dict()
    assert sd["scale"] == 1024.0 and sd["growth_interval"] == 2 and sd["_growth_tracker"] == 1
    fresh = make()
    fresh.load_state_dict(sd)
    assert fresh.get_scale() == 1024.0 and fresh.state_dict() == sd
    tsd = torch.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2).state_dict()
    assert sorted(tsd) == sorted(sd)


def test_grad_scaler_unscale_twice_and_fp16_grads(dev):
    m = _amp_model(dev)
    o = ember.optim.SGD(m.parameters(), lr=0.1)
    scaler = ember.amp.GradScaler("cuda")
    scaler.scale(m(ember.ones(2, 6, device=dev)).sum()).backward()
    scaler.unscale_(o)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(o)
    scaler.update()
    h = nn.Linear(2, 2).to(dev).half()
    oh = ember.optim.SGD(h.parameters(), lr=0.1)
    scaler.scale(h(ember.ones(1, 2, device=dev, dtype=ember.float16)).float().sum()).backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients."):
        scaler.unscale_(oh)


# -- torch.cuda calls of training scripts


def test_cudnn_flags_and_memory_calls(dev):
    for flag in ("benchmark", "deterministic"):
        old = getattr(ember.backends.cudnn, flag)
        setattr(ember.backends.cudnn, flag, True)
        assert getattr(ember.backends.cudnn, flag) is True
        setattr(ember.backends.cudnn, flag, old)
    assert ember.backends.cudnn.is_available() in (True, False)
    with ember.backends.cudnn.flags(enabled=True, benchmark=True, deterministic=True):
        assert ember.backends.cudnn.benchmark
    ember.cuda.empty_cache()
    ember.cuda.reset_peak_memory_stats()
    a0 = ember.cuda.memory_allocated()
    x = ember.ones(256, 256, device=dev)
    a1 = ember.cuda.memory_allocated()
    assert isinstance(a1, int) and a1 >= a0
    assert ember.cuda.max_memory_allocated() >= a1
    assert isinstance(ember.cuda.memory_reserved(), int)
    assert isinstance(ember.cuda.memory_summary(), str)
    assert isinstance(ember.cuda.memory_stats(), dict)
    del x
    ember.cuda.synchronize()
    ember.cuda.synchronize(0)
    ember.cuda.synchronize("cuda")


def test_events_and_streams(dev):
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    start.record()
    y = (ember.ones(64, 64, device=dev) @ ember.ones(64, 64, device=dev)).sum()
    end.record()
    end.synchronize()
    ms = start.elapsed_time(end)
    assert isinstance(ms, float) and ms >= 0.0
    assert start.query() and end.query()
    s = ember.cuda.Stream()
    with ember.cuda.stream(s):
        assert ember.cuda.current_stream() == s
        z = ember.ones(3, device=dev) * 2
    assert ember.cuda.current_stream() == ember.cuda.default_stream()
    ember.cuda.current_stream().wait_stream(s)
    s.synchronize()
    assert z.is_cuda and z.tolist() == [2.0] * 3 and y.item() == 64.0**3
    ev = s.record_event()
    ember.cuda.current_stream().wait_event(ev)


def test_record_stream(dev):
    s = ember.cuda.Stream()
    with ember.cuda.stream(s):
        z = ember.ones(3, device=dev)
    z.record_stream(ember.cuda.current_stream())
    with pytest.raises(RuntimeError):
        ember.ones(3).record_stream(ember.cuda.current_stream())


def test_non_blocking_and_pinned_copies(dev):
    a = _r((3, 5), seed=30)
    x = ember.from_numpy(a).pin_memory()
    assert x.is_pinned() and not ember.from_numpy(a).is_pinned()
    g = x.to(dev, non_blocking=True)
    assert g.is_cuda and not g.is_pinned() if hasattr(g, "is_pinned") else True
    h = g.to("cpu", non_blocking=True)
    assert h.device.type == "cpu"
    np.testing.assert_array_equal(h.numpy(), a)
    np.testing.assert_array_equal(g.cpu(non_blocking=True).numpy() if False else g.cpu().numpy(), a)
    assert x.cuda(non_blocking=True).is_cuda
    ember.cuda.synchronize()
    i = ember.tensor([1, 2, 3]).pin_memory().to(dev, non_blocking=True)
    assert i.dtype is ember.int64 and i.is_cuda


@pytest.mark.parametrize("workers", [0, 2])
def test_dataloader_batches_to_the_device(dev, workers):
    from ember.utils.data import DataLoader, TensorDataset

    a = _r((10, 3), seed=31)
    ds = TensorDataset(ember.from_numpy(a), ember.arange(10))
    got = []
    for xb, yb in DataLoader(ds, batch_size=4, pin_memory=True, num_workers=workers):
        assert xb.is_pinned() and yb.is_pinned()
        xg, yg = xb.to(dev, non_blocking=True), yb.cuda(non_blocking=True)
        assert xg.is_cuda and yg.is_cuda and yg.dtype is ember.int64
        got.append((xg * 2).cpu().numpy())
    np.testing.assert_array_equal(np.concatenate(got), a * 2)


def test_device_queries_and_context(dev):
    name = ember.cuda.get_device_name()
    assert isinstance(name, str) and name == ember.cuda.get_device_name(0)
    cap = ember.cuda.get_device_capability()
    assert isinstance(cap, tuple) and len(cap) == 2 and all(isinstance(v, int) for v in cap)
    p = ember.cuda.get_device_properties(0)
    assert p.name == name and isinstance(p.total_memory, int) and (p.major, p.minor) == cap
    assert ember.cuda.get_device_properties("cuda:0").name == name
    ember.cuda.set_device(0)
    ember.cuda.set_device("cuda:0")
    assert ember.cuda.current_device() == 0
    with ember.cuda.device(0):
        assert ember.cuda.current_device() == 0
        t = ember.zeros(2, device="cuda")
    assert t.device == ember.device("cuda", 0)
    with ember.device("cuda"):
        u = ember.ones(2)
    assert u.is_cuda and ember.ones(2).device.type == "cpu"
    assert ember.cuda.is_bf16_supported() in (True, False)
    free, total = ember.cuda.mem_get_info()
    assert 0 <= free <= total


def test_cuda_seeding_and_rng_state(dev):
    """The GPU's own stream (dropout masks): seeded by cuda.manual_seed(_all) and by
    torch.manual_seed, saved and restored by get/set_rng_state(_all), apart from the CPU's."""
    x = ember.ones(64, device=dev)
    ember.cuda.manual_seed_all(7)
    a = F.dropout(x, 0.5)
    ember.cuda.manual_seed(7)
    b = F.dropout(x, 0.5)
    assert a.is_cuda and a.tolist() == b.tolist() and 0 < int((a == 0).sum()) < 64
    st = ember.cuda.get_rng_state()
    assert st.dtype is ember.uint8 and st.device.type == "cpu" and st.shape == (16,)
    c = F.dropout(x, 0.3)
    ember.cuda.set_rng_state(st)
    assert F.dropout(x, 0.3).tolist() == c.tolist()
    states = ember.cuda.get_rng_state_all()
    assert len(states) == 1
    d = nn.Dropout(0.5)(x)
    ember.cuda.set_rng_state_all(states)
    assert nn.Dropout(0.5)(x).tolist() == d.tolist()
    # drawing on the GPU leaves the CPU stream where it was
    ember.manual_seed(3)
    cpu_a = ember.rand(3)
    ember.manual_seed(3)
    F.dropout(x, 0.5)
    assert ember.rand(3).tolist() == cpu_a.tolist()
    # torch.manual_seed seeds the GPU too
    ember.manual_seed(11)
    g1 = F.dropout(x, 0.5)
    ember.manual_seed(11)
    assert F.dropout(x, 0.5).tolist() == g1.tolist()
    assert ember.cuda.initial_seed() == 11


# -- tensor creation in users' styles


def test_creation_styles(dev):
    a = _r((2, 3), seed=40)
    i = _i((2, 3), 9, seed=41)
    cases = [
        (ember.tensor(a.tolist(), device=dev), ember.tensor(a.tolist())),
        (ember.tensor([[1, 2], [3, 4]], device=dev), ember.tensor([[1, 2], [3, 4]])),
        (ember.tensor([True, False], device=dev), ember.tensor([True, False])),
        (
            ember.tensor(2.5, device=dev, dtype=ember.float64),
            ember.tensor(2.5, dtype=ember.float64),
        ),
        (ember.as_tensor(a, device=dev), ember.as_tensor(a)),
        (ember.as_tensor(i, device=dev), ember.as_tensor(i)),
        (
            ember.as_tensor(a, dtype=ember.float16, device=dev),
            ember.as_tensor(a, dtype=ember.float16),
        ),
        (ember.from_numpy(a).to(dev), ember.from_numpy(a)),
        (ember.from_numpy(i).to(dev, ember.float32), ember.from_numpy(i).float()),
        (ember.tensor(a, device="cuda:0"), ember.tensor(a)),
        (ember.tensor(a).to(ember.device("cuda", 0)), ember.tensor(a)),
        (ember.Tensor(a).to(dev), ember.Tensor(a)),
    ]
    g, c = ember.from_numpy(a).to(dev), ember.from_numpy(a)
    cases += [
        (g.new_zeros(2, 2), c.new_zeros(2, 2)),
        (g.new_ones((3,), dtype=ember.int32), c.new_ones((3,), dtype=ember.int32)),
        (g.new_full((2,), 7.0), c.new_full((2,), 7.0)),
        (g.new_tensor([1, 2]), c.new_tensor([1, 2])),
        (g.new_empty(2, 3).fill_(1.0), c.new_empty(2, 3).fill_(1.0)),
        (g.cuda(0), c),
        (g.cuda(), c),
        (c.cuda(0), c),
        (c.cuda(device="cuda:0"), c),
        (c.to(g), c),
        (ember.from_numpy(i).to(g), ember.from_numpy(i).to(c)),
        (c.to(g, non_blocking=True), c),
        (c.type(ember.cuda.FloatTensor), c),
        (ember.from_numpy(i).type(ember.cuda.LongTensor), ember.from_numpy(i)),
        (c.type("torch.cuda.DoubleTensor"), c.double()),
        (g.type(ember.cuda.HalfTensor), c.half()),
        (ember.zeros_like(c, device=dev), ember.zeros_like(c)),
        (ember.ones_like(c, device="cuda"), ember.ones_like(c)),
        (ember.full_like(c, 3, device=dev), ember.full_like(c, 3)),
        (ember.rand_like(g).mul(0), ember.rand_like(c).mul(0)),
        (ember.empty(2, 3, device=dev).fill_(2), ember.empty(2, 3).fill_(2)),
        (ember.arange(5, device=dev), ember.arange(5)),
        (ember.eye(3, device=dev, dtype=ember.int64), ember.eye(3, dtype=ember.int64)),
    ]
    for k, (got, want) in enumerate(cases):
        assert_like(got, want, f"case {k}")
    z = ember.zeros_like(g, device="cpu")
    assert z.device.type == "cpu" and z.shape == g.shape
    assert g.type() == "torch.cuda.FloatTensor" and c.type() == "torch.FloatTensor"
    assert isinstance(g, ember.cuda.FloatTensor) and not isinstance(c, ember.cuda.FloatTensor)
    assert g.cuda() is g and g.to(g) is g and g.to("cuda:0") is g
    assert g.get_device() == 0 and c.get_device() == -1


def test_set_default_device_cuda(dev):
    try:
        ember.set_default_device("cuda")
        assert ember.get_default_device() == ember.device("cuda", 0)
        x = ember.zeros(2, 3)
        y = ember.tensor([1.0, 2.0])
        r = ember.randn(4)
        m = nn.Linear(3, 2)
        out = m(x)
        assert x.is_cuda and y.is_cuda and r.is_cuda and m.weight.is_cuda and out.is_cuda
        assert ember.arange(3).is_cuda and ember.empty(1).is_cuda and ember.eye(2).is_cuda
        assert ember.from_numpy(np.ones(2)).device.type == "cpu"
        assert ember.zeros(2, device="cpu").device.type == "cpu"
    finally:
        ember.set_default_device(None)
    assert ember.zeros(1).device.type == "cpu"
    assert ember.get_default_device() == ember.device("cpu")


# -- nn.utils on the device ------------------------------------------------------------------------


@pytest.mark.parametrize("foreach", [None, False, True])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_foreach(dev, foreach, norm_type):
    cpu, gpu = _pair_of_models(dev, lambda: nn.Sequential(nn.Linear(6, 5), nn.Linear(5, 3)))
    x = _r((4, 6), seed=45)
    for m, d in ((cpu, "cpu"), (gpu, dev)):
        (m(ember.from_numpy(x).to(d)) ** 2).sum().backward()
    nc = nn.utils.clip_grad_norm_(cpu.parameters(), 0.3, norm_type, foreach=foreach)
    ng = nn.utils.clip_grad_norm_(gpu.parameters(), 0.3, norm_type, foreach=foreach)
    assert_like(ng, nc, rtol=1e-5, atol=1e-6)
    for pc, pg in zip(cpu.parameters(), gpu.parameters()):
        assert_like(pg.grad, pc.grad, rtol=1e-5, atol=1e-6)
    ember.manual_seed(0)
    bad = nn.Linear(2, 2).to(dev)
    bad(ember.ones(1, 2, device=dev)).sum().backward()
    bad.weight.grad[0, 0] = float("nan")
    with pytest.raises(RuntimeError, match="is non-finite"):
        nn.utils.clip_grad_norm_(bad.parameters(), 1.0, error_if_nonfinite=True, foreach=foreach)


@pytest.mark.filterwarnings("ignore:.*weight_norm. is deprecated:FutureWarning")
@pytest.mark.parametrize("which", ["weight_norm", "spectral_norm", "orthogonal", "old_spectral"])
def test_parametrizations_on_device(dev, which):
    P = nn.utils.parametrizations
    make = {
        "weight_norm": lambda: P.weight_norm(nn.Linear(4, 3)),
        "spectral_norm": lambda: P.spectral_norm(nn.Linear(4, 3)),
        "orthogonal": lambda: P.orthogonal(nn.Linear(4, 4)),
        "old_spectral": lambda: nn.utils.spectral_norm(nn.Linear(4, 3)),
    }[which]
    # built on the CPU (the power iteration's start vectors come from the CPU stream), moved
    cpu, gpu = _pair_of_models(dev, make)
    x = _r((5, 4), seed=46)
    for step in range(2):
        outs = []
        for m, d in ((cpu, "cpu"), (gpu, dev)):
            m.train()
            out = m(ember.from_numpy(x).to(d))
            out.pow(2).sum().backward()
            outs.append(out)
        assert_like(outs[1], outs[0], rtol=1e-4, atol=1e-5)
    for (n, pc), pg in zip(cpu.named_parameters(), gpu.parameters()):
        assert_like(pg.grad, pc.grad, n, rtol=1e-4, atol=1e-5)
    gpu.eval()
    cpu.eval()
    with ember.no_grad():
        assert_like(
            gpu(ember.from_numpy(x).to(dev)), cpu(ember.from_numpy(x)), rtol=1e-4, atol=1e-5
        )


@pytest.mark.parametrize("lengths_on", ["cpu", "cuda", "list"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_padded_round_trip(dev, lengths_on, enforce_sorted):
    from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    x = _r((3, 4, 2), seed=47)
    lens = [4, 3, 1] if enforce_sorted else [3, 4, 1]
    res = {}
    for d in ("cpu", dev):
        ember.manual_seed(0)
        gru = nn.GRU(2, 3, batch_first=True).to(d)
        lengths = (
            lens
            if lengths_on == "list"
            else ember.tensor(lens, device="cpu" if d == "cpu" else lengths_on)
        )
        xs = ember.from_numpy(x).to(d).requires_grad_()
        if d != "cpu" and lengths_on == "cuda":  # PyTorch's own refusal, then the usual fix
            with pytest.raises(
                RuntimeError,
                match=r"^'lengths' argument should be a 1D CPU "
                r"int64 tensor, but got 1D cuda:0 Long tensor$",
            ):
                pack_padded_sequence(xs, lengths, batch_first=True, enforce_sorted=enforce_sorted)
            lengths = lengths.cpu()
        packed = pack_padded_sequence(xs, lengths, batch_first=True, enforce_sorted=enforce_sorted)
        assert packed.data.device.type == d and packed.batch_sizes.device.type == "cpu"
        out, h = gru(packed)
        pad, out_lens = pad_packed_sequence(out, batch_first=True, padding_value=-1.0)
        assert out_lens.device.type == "cpu" and out_lens.tolist() == lens
        (pad.sum() + h.sum()).backward()
        res[d] = packed.data, pad, h, xs.grad
        if not enforce_sorted:
            assert packed.sorted_indices.device.type == d
    assert_like(res[dev], res["cpu"], rtol=1e-5, atol=1e-6)


_INITS = {
    "uniform": lambda w: nn.init.uniform_(w, -0.5, 0.5),
    "normal": lambda w: nn.init.normal_(w, 0.0, 0.1),
    "xavier_uniform": lambda w: nn.init.xavier_uniform_(w),
    "xavier_normal": lambda w: nn.init.xavier_normal_(w, gain=2.0),
    "kaiming_uniform": lambda w: nn.init.kaiming_uniform_(w, a=5**0.5),
    "kaiming_normal": lambda w: nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"),
    "trunc_normal": lambda w: nn.init.trunc_normal_(w, std=0.02),
    "orthogonal": lambda w: nn.init.orthogonal_(w),
    "sparse": lambda w: nn.init.sparse_(w, 0.5),
    "constant": lambda w: nn.init.constant_(w, 0.3),
    "zeros": lambda w: nn.init.zeros_(w),
    "ones": lambda w: nn.init.ones_(w),
    "eye": lambda w: nn.init.eye_(w),
    "dirac": lambda w: nn.init.dirac_(w.view(6, 4, 1, 1)),
}


@pytest.mark.parametrize("name", list(_INITS))
def test_init_on_cuda_params(dev, name):
    """nn.init on a GPU parameter: in place, on the device, no grad recorded; the
    deterministic ones equal the CPU's, the random ones have the right statistics."""
    out = {}
    for d in ("cpu", dev):
        ember.manual_seed(0)
        w = nn.Parameter(ember.empty(6, 4, device=d))
        r = _INITS[name](w)
        assert w.device.type == d and w.requires_grad and w.grad_fn is None
        assert r is None or r.device.type == d
        out[d] = w
    g, c = out[dev].detach(), out["cpu"].detach()
    assert g.is_cuda and g.dtype is c.dtype and g.shape == c.shape
    if name in ("constant", "zeros", "ones", "eye", "dirac"):
        assert_like(g, c)
    else:
        assert bool(ember.isfinite(g).all()) and float(g.std()) > 0
        if name == "sparse":
            assert int((g == 0).sum(0).min()) == 3
        if name == "orthogonal":
            assert_like(g.t() @ g, c.t() @ c, rtol=1e-4, atol=1e-5)


# -- functional ops users reach for ----------------------------------------------------------------

X4 = _r((2, 3, 5, 6), seed=50)
THETA = np.array(
    [[[0.9, -0.2, 0.1], [0.3, 1.1, -0.05]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], np.float32
)

FUNCTIONAL = {
    "interpolate": (
        lambda T, x: (
            F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=False),
            F.interpolate(x, scale_factor=2, mode="nearest"),
            F.interpolate(x, scale_factor=1.5, mode="bicubic", align_corners=True),
            F.interpolate(x, size=(3, 4), mode="area"),
            F.interpolate(x, size=(4, 4), mode="bilinear", antialias=True),
            F.interpolate(x, scale_factor=2, mode="nearest-exact"),
            F.interpolate(x[0], size=8, mode="linear"),
            F.upsample(x, scale_factor=2),
        ),
        [X4],
        {"rtol": 1e-5, "atol": 1e-5},
    ),
    "grid_sample_affine": (
        lambda T, x, th: (
            F.affine_grid(th, (2, 3, 4, 5), align_corners=False),
            F.grid_sample(
                x, F.affine_grid(th, (2, 3, 4, 5), align_corners=False), align_corners=False
            ),
            F.grid_sample(
                x,
                F.affine_grid(th, (2, 3, 4, 5), align_corners=True),
                mode="nearest",
                padding_mode="border",
                align_corners=True,
            ),
            F.grid_sample(
                x,
                F.affine_grid(th, (2, 3, 4, 5), align_corners=False),
                mode="bicubic",
                padding_mode="reflection",
                align_corners=False,
            ),
        ),
        [X4, THETA],
        {"rtol": 1e-4, "atol": 1e-5},
    ),
    "pad_modes": (
        lambda T, x: (
            F.pad(x, (1, 2, 2, 1), mode="reflect"),
            F.pad(x, (2, 1, 0, 3), mode="replicate"),
            F.pad(x, (1, 2, 3, 1), mode="circular"),
            F.pad(x, (1, 1, 1, 1), value=-2.0),
            F.pad(x[0], (2, 2), mode="reflect"),
            F.pad(x[:, None], (1, 1, 1, 1, 1, 1), mode="replicate"),
            F.pad(x, (-1, 1, 0, -2)),
            nn.ReflectionPad2d(2)(x),
            nn.ZeroPad2d((1, 0, 0, 1))(x),
            nn.CircularPad1d(2)(x[0]),
        ),
        [X4],
        {},
    ),
    "unfold_fold": (
        lambda T, x: (
            F.unfold(x, 3, padding=1, stride=2),
            F.fold(F.unfold(x, 2, stride=1), (5, 6), 2, stride=1),
            F.unfold(x, (2, 3), dilation=(2, 1)),
            F.fold(F.unfold(x, 3, padding=1), (5, 6), 3, padding=1),
            x.unfold(3, 2, 2),
        ),
        [X4],
        {},
    ),
    "embedding_bag": (
        lambda T, w, i: (
            F.embedding_bag(i, w, T.tensor([0, 3, 5]), mode="mean"),
            F.embedding_bag(
                i, w, T.tensor([0, 3, 5]), mode="sum", per_sample_weights=T.arange(1.0, 9.0)
            ),
            F.embedding_bag(i, w, T.tensor([0, 3, 5]), mode="max"),
            F.embedding_bag(i.view(2, 4), w, mode="sum", padding_idx=2),
            F.embedding_bag(i, w, T.tensor([0, 0, 5]), mode="mean", include_last_offset=True),
            F.embedding(i, w, padding_idx=1, max_norm=None),
            nn.EmbeddingBag.from_pretrained(w.detach(), mode="sum")(i.view(4, 2)),
        ),
        [_r((6, 4), seed=51), np.array([1, 2, 4, 5, 4, 3, 2, 0])],
        {"requires_grad": None},
    ),
    "ctc_loss": (
        lambda T, lp: (
            F.ctc_loss(
                lp.log_softmax(2),
                T.tensor([[1, 2, 2], [3, 1, 0]]),
                T.tensor([6, 5]),
                T.tensor([3, 2]),
            ),
            F.ctc_loss(
                lp.log_softmax(2),
                T.tensor([1, 2, 2, 3, 1]),
                T.tensor([6, 5]),
                T.tensor([3, 2]),
                reduction="sum",
                zero_infinity=True,
            ),
            F.ctc_loss(
                lp.log_softmax(2),
                T.tensor([[1, 2, 2], [3, 1, 0]]),
                (6, 5),
                (3, 2),
                reduction="none",
                blank=4,
            ),
            nn.CTCLoss()(
                lp.log_softmax(2),
                T.tensor([[1, 1, 1], [3, 1, 0]]),
                T.tensor([6, 3]),
                T.tensor([3, 2]),
            ),
        ),
        [_r((6, 2, 5), seed=52)],
        {"rtol": 1e-5, "atol": 1e-5},
    ),
    "one_hot": (
        lambda T, i: (
            F.one_hot(i),
            F.one_hot(i, 7),
            F.one_hot(i[0], num_classes=-1),
            F.one_hot(i).float().argmax(-1),
        ),
        [np.array([[1, 0, 4], [2, 2, 3]])],
        {"grad": False},
    ),
}


@pytest.mark.parametrize("name", list(FUNCTIONAL))
def test_functional(dev, name):
    fn, arrays, opts = FUNCTIONAL[name]
    same(dev, fn, *arrays, **opts)


def _dists(D, x, y):
    return {
        "normal": D.Normal(x, y.abs() + 0.5),
        "bernoulli": D.Bernoulli(logits=x),
        "categorical": D.Categorical(logits=x),
        "uniform": D.Uniform(x - 1, x + y.abs() + 0.1),
        "gamma": D.Gamma(x.exp(), y.exp()),
        "beta": D.Beta(x.exp(), y.exp()),
        "dirichlet": D.Dirichlet(x.exp()),
        "mvn": D.MultivariateNormal(
            x[0], scale_tril=D.transform_to(D.constraints.lower_cholesky)(y[:, :3].t() @ y[:, :3])
        ),
        "laplace": D.Laplace(x, y.abs() + 0.2),
        "poisson": D.Poisson(x.exp()),
        "exponential": D.Exponential(y.exp()),
        "multinomial": D.Multinomial(5, logits=x),
        "one_hot_cat": D.OneHotCategorical(logits=x),
        "independent": D.Independent(D.Normal(x, y.exp()), 1),
        "log_normal": D.LogNormal(x, y.exp()),
        "relaxed_bern": D.RelaxedBernoulli(ember.tensor(0.5, device=x.device), logits=x),
        "binomial": D.Binomial(4, logits=x),
        "studentt": D.StudentT(y.exp() + 1, x, 1.0),
    }


@pytest.mark.parametrize("name", list(_dists(ember.distributions, *[ember.ones(3, 3)] * 2)))
def test_distribution_on_device(dev, name):
    """Parameters on the GPU: samples (and rsample's gradients) there with the right shape and
    support, and log_prob/entropy/mean of one value equal to the CPU's."""
    D = ember.distributions
    x, y = _r((4, 3), seed=53), _r((4, 3), seed=54)
    xc, yc = ember.from_numpy(x).requires_grad_(), ember.from_numpy(y).requires_grad_()
    xg, yg = (ember.from_numpy(a).to(dev).requires_grad_() for a in (x, y))
    dc, dg = _dists(D, xc, yc)[name], _dists(D, xg, yg)[name]
    ember.manual_seed(0)
    s = dg.sample((2,))
    assert s.is_cuda and s.shape == dc.sample((2,)).shape
    assert bool(dg.support.check(s).all())
    v = dc.sample()
    assert_like(dg.log_prob(v.to(dev)), dc.log_prob(v), rtol=1e-4, atol=1e-5)
    for attr in ("mean", "variance", "entropy"):
        try:
            want = getattr(dc, attr)
            want = want() if callable(want) else want
        except NotImplementedError:
            continue
        got = getattr(dg, attr)
        assert_like(got() if callable(got) else got, want, attr, rtol=1e-4, atol=1e-5)
    if dg.has_rsample:
        r = dg.rsample((3,))
        assert r.is_cuda and r.requires_grad
        r.sum().backward()
        assert any(t.grad is not None and t.grad.is_cuda for t in (xg, yg))


# -- torch.compile and checkpointing on the device


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 8)
        self.b = nn.Linear(8, 3)

    def forward(self, x):
        return self.b(
            ember.utils.checkpoint.checkpoint(lambda h: F.gelu(self.a(h)), x, use_reentrant=False)
        )


@pytest.mark.parametrize("how", ["plain", "compiled", "compiled_fn", "reentrant"])
def test_compile_and_checkpoint_step(dev, how):
    cpu, gpu = _pair_of_models(dev, _Block)
    x, y = _r((5, 6), seed=55), _i(5, 3, seed=56)
    res = {}
    for m, d in ((cpu, "cpu"), (gpu, dev)):
        o = ember.optim.Adam(m.parameters(), lr=1e-2)
        run = m
        if how == "compiled":
            run = ember.compile(m)
        elif how == "compiled_fn":
            run = ember.compile(lambda t: m(t), mode="reduce-overhead")
        elif how == "reentrant":

            def run(t, m=m):
                return m.b(
                    ember.utils.checkpoint.checkpoint(
                        lambda h: F.gelu(m.a(h)), t, use_reentrant=True
                    )
                )

        for _ in range(2):
            o.zero_grad()
            xs = ember.from_numpy(x).to(d).requires_grad_(how == "reentrant")
            loss = F.cross_entropy(run(xs), ember.from_numpy(y).to(d))
            loss.backward()
            o.step()
        res[d] = loss, [p.detach() for p in m.parameters()], [p.grad for p in m.parameters()]
    assert_like(res[dev], res["cpu"], rtol=1e-5, atol=1e-6)
    if how == "compiled":
        assert isinstance(run, nn.Module) or callable(run)
        sd = gpu.state_dict()
        assert all(v.is_cuda for v in sd.values())


# -- host waits in training-step ops




def _step_of(loss_fn, shape=(4, 3)):
    def run(dev):
        ember.manual_seed(0)
        x = ember.randn(*shape, device=dev, requires_grad=True)
        t = ember.randint(0, shape[-1], shape[:1], device=dev)
        return lambda: loss_fn(x, t).backward()

    return run


def _module_step(make, shape):
    def run(dev):
        ember.manual_seed(0)
        m = make().to(dev)
        x = ember.randn(*shape, device=dev)
        return lambda: m(x).float().sum().backward()

    return run


_NO_WAIT = {
    "accuracy_argmax": _step_of(
        lambda x, t: (x.argmax(1) == t).float().mean() + x.argmin(1).float().sum() + x.sum()
    ),
    "max_dim": _step_of(lambda x, t: x.max(1).values.sum() + x.min(0)[0].sum()),
    "smooth_l1": _step_of(lambda x, t: F.smooth_l1_loss(x, x.detach() * 0.5, beta=0.5)),
    "upsample_bilinear": _module_step(
        lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.Upsample(scale_factor=2, mode="bilinear")),
        (2, 2, 4, 4),
    ),
    "upsample_nearest_pad": _module_step(
        lambda: nn.Sequential(
            nn.Conv2d(2, 2, 1),
            nn.Upsample(scale_factor=2),
            nn.ReflectionPad2d(1),
            nn.ReplicationPad2d(1),
        ),
        (2, 2, 4, 4),
    ),
    "maxpool_padded": _module_step(
        lambda: nn.Sequential(
            nn.Conv2d(2, 2, 1), nn.MaxPool2d(3, 2, 1), nn.Flatten(2), nn.MaxPool1d(3, 2, 1)
        ),
        (2, 2, 5, 5),
    ),
    "cross_entropy": _step_of(lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1)),
    "lstm_dropout": _module_step(lambda: _LSTMSum(), (3, 2, 4)),
    "one_hot_targets": _step_of(
        lambda x, t: (x.log_softmax(1) * F.one_hot(t, x.shape[1]).float()).sum()
    ),
    "mobilenet_v3_small": _module_step(_cheap("mobilenet_v3_small"), (2, 3, 32, 32)),
    "embedding": _module_step(lambda: _Embed(), (1,)),
    "gather_index": _step_of(
        lambda x, t: x.gather(1, t[:, None]).sum() + x[t].sum() + x.index_select(0, t).sum()
    ),
    "cross_entropy_weight": _step_of(
        lambda x, t: F.cross_entropy(x, t, weight=ember.ones(3, device=x.device))
    ),
    "binary_cross_entropy": _step_of(
        lambda x, t: F.binary_cross_entropy(x.sigmoid(), x.detach().gt(0).float())
    ),
}


class _LSTMSum(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(4, 3, num_layers=2, dropout=0.3)

    def forward(self, x):
        return self.rnn(x)[0]


class _Embed(nn.Module):
    def __init__(self):
        super().__init__()
        self.e = nn.Embedding(10, 4)

    def forward(self, x):
        return self.e(ember.arange(6, device=x.device).view(2, 3))


# range checks of indices and targets: PyTorch's GPU kernels assert on the device (failing
# asynchronously); ember checks on the host before indexing, which makes the GPU wait
_NO_WAIT_XFAIL = {
    "gather_index": "gather, advanced indexing and index_select check their indices' range "
    "on the host (_ops/index.py: int() of the min and max, lines ~278, ~733, ~941)",
    "embedding": "embedding checks its indices' range on the host "
    "(nn/_functional/sparse.py _indices: int(idx.min()), int(idx.max()))",
    "cross_entropy_weight": "weighted nll_loss checks the targets' range on the host "
    "(nn/_functional/loss.py: int(t.max()))",
    "binary_cross_entropy": "binary_cross_entropy checks on the host that input and target "
    "lie in [0, 1] (nn/_functional/loss.py: bool(((x >= 0) & (x <= 1)).all()))",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=_NO_WAIT_XFAIL[n]))
        if n in _NO_WAIT_XFAIL
        else n
        for n in _NO_WAIT
    ],
)
def test_step_does_not_wait_for_the_gpu(dev, name, monkeypatch):
    step = _NO_WAIT[name](dev)
    pulled = count_pulls(monkeypatch)
    step()
    step()
    assert pulled == []


@pytest.mark.parametrize("n_params", [1, 4])
def test_grad_scaler_reads_the_device_once_per_step(dev, monkeypatch, n_params):
    """unscale_ combines the gradients' inf checks on the device: one read per step, as
    PyTorch's single found_inf read, however many parameters there are."""
    ember.manual_seed(0)
    m = nn.Sequential(*[nn.Linear(3, 3, bias=False) for _ in range(n_params)]).to(dev)
    o = ember.optim.SGD(m.parameters(), lr=0.1)
    scaler = ember.amp.GradScaler("cuda", init_scale=8.0)
    x = ember.randn(2, 3, device=dev)
    pulled = count_pulls(monkeypatch)
    for _ in range(2):
        o.zero_grad()
        scaler.scale(m(x).sum()).backward()
        scaler.step(o)
        scaler.update()
    assert len(pulled) == 2
    # and an inf anywhere is still found
    o.zero_grad()
    scaler.scale(m(x).sum()).backward()
    list(m.parameters())[-1].grad[0, 0] = float("nan")
    before = [p.detach().clone() for p in m.parameters()]
    scaler.step(o)
    scaler.update()
    assert scaler.get_scale() == 4.0
    assert all(bool((p == b).all()) for p, b in zip(m.parameters(), before))


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: ember.optim.AdamW(ps, lr=1e-2, fused=True),
        lambda ps: (lambda ps: ember.optim.Adam(ps, lr=1e-2, capturable=ps[0].is_cuda))(list(ps)),
        lambda ps: ember.optim.Adagrad(ps, lr=0.1, fused=True),
        lambda ps: ember.optim.Adam(ps, lr=1e-2, fused=True, betas=(0.8, 0.9)),
    ],
)
def test_device_step_counts_are_not_read_back(dev, monkeypatch, make):
    """Fused and capturable updates keep ``step`` on the GPU; after the first step its count
    comes from the host's copy (no read of the device), and a count set from outside (here
    ``fill_``, and a state_dict round trip) is read again.  Every step equals the CPU's."""
    cpu, gpu = _pair_of_models(dev, lambda: nn.Linear(3, 2))
    oc, og = make(cpu.parameters()), make(gpu.parameters())
    x = _r((4, 3), seed=65)
    pulled = []

    def step(m, o, d):
        o.zero_grad()
        (m(ember.from_numpy(x).to(d)) ** 2).sum().backward()
        o.step()

    for k in range(6):
        if k == 1:
            pulled = count_pulls(monkeypatch)
        if k == 3:
            for o in (oc, og):
                for st in o.state.values():
                    st["step"].fill_(10.0)
        if k == 4:  # (through a file: new step tensors)
            buf = io.BytesIO()
            ember.save(og.state_dict(), buf)
            buf.seek(0)
            og.load_state_dict(ember.load(buf))
        step(cpu, oc, "cpu")
        n = len(pulled)
        step(gpu, og, dev)
        # reads of the device's count: only after the fill_ and the reload
        assert len(pulled) - n == (2 if k in (3, 4) else 0), k
        for pc, pg in zip(cpu.parameters(), gpu.parameters()):
            _close(pg, pc, 1e-6, 1e-7)
    for st_c, st_g in zip(oc.state.values(), og.state.values()):
        assert st_g["step"].is_cuda and float(st_g["step"]) == float(st_c["step"]) == 13.0
    # a float32 count stops at 2**24 on the device; the host's copy stops with it
    for o in (oc, og):
        for st in o.state.values():
            st["step"].fill_(2.0**24 - 1)
    for _ in range(3):
        step(cpu, oc, "cpu")
        step(gpu, og, dev)
    for st_c, st_g in zip(oc.state.values(), og.state.values()):
        assert float(st_g["step"]) == float(st_c["step"]) == 2.0**24
    for pc, pg in zip(cpu.parameters(), gpu.parameters()):
        _close(pg, pc, 1e-6, 1e-7)


def test_argmax_nan_and_upsample_backward_match_cpu(dev):
    """The device-side NaN pick of argmax/argmin/max and the host-planned upsampling adjoint
    give the CPU's values."""
    x = _with_nans(_r((4, 5), seed=57))
    x[1] = np.nan
    x[2, :] = -np.inf
    same(
        dev,
        lambda T, x: (x.argmax(1), x.argmin(0), x.argmax(), x.max(1), x.min(0), x[0].argmin()),
        x,
        grad=False,
    )
    same(
        dev,
        lambda T, x: (
            F.interpolate(x, scale_factor=2.5, mode="bilinear"),
            F.interpolate(x, size=(3, 7), mode="bilinear", align_corners=True),
            F.interpolate(x[0], scale_factor=3, mode="linear"),
            F.interpolate(x, scale_factor=2, mode="nearest"),
            F.pad(x, (2, 1, 1, 2), mode="reflect"),
        ),
        _r((2, 2, 4, 5), seed=58),
        rtol=1e-5,
        atol=1e-6,
    )
    d = _with_nans(_r((3, 4), seed=59))
    same(dev, lambda T, x: F.smooth_l1_loss(x, T.zeros(3, 4), reduction="none"), d)


def test_amp_training_recipe_on_a_cnn(dev):
    """The usual recipe (autocast forward, GradScaler scale/backward/step/update) on a small
    conv net: float16 activations, float32 loss and master weights on the GPU; the first
    step's scaled gradients overflow float16 (skipped, the scale backs off), later ones update
    the weights as the CPU's float16 run does."""

    def make():
        return nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64, 5),
        )

    x, y = _r((2, 3, 8, 8), seed=63), _i(2, 5, seed=64)
    runs = {}
    for d, kind in (("cpu", "cpu"), (dev, "cuda")):
        ember.manual_seed(0)
        m = make().to(d)
        o = ember.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
        scaler = ember.amp.GradScaler(kind, init_scale=2.0**24)
        xs, ys = ember.from_numpy(x).to(d), ember.from_numpy(y).to(d)
        scales = []
        for _ in range(4):
            o.zero_grad()
            with ember.autocast(kind, dtype=ember.float16):
                out = m(xs)
                loss = F.cross_entropy(out, ys)
            assert out.dtype is ember.float16 and loss.dtype is ember.float32
            scaler.scale(loss).backward()
            scaler.step(o)
            scaler.update()
            scales.append(scaler.get_scale())
        runs[d] = scales, list(m.parameters())
    assert runs[dev][0] == runs["cpu"][0] and runs[dev][0][0] < 2.0**24
    for pg, pc in zip(runs[dev][1], runs["cpu"][1]):
        assert pg.is_cuda and pg.dtype is ember.float32 and bool(pg.isfinite().all())
        _close(pg, pc, 1e-2, 1e-2)


def test_one_hot_on_the_gpu_checks_as_pytorch_does(dev):
    """PyTorch's one_hot reads values back for its range checks on the CPU only; on a GPU it
    checks just that an explicit class count is positive (an inferred one reads the max)."""
    t = ember.tensor([[0, 3], [2, 1]])
    for k in (-1, 4, 6):
        assert_like(F.one_hot(t.to(dev), k), F.one_hot(t, k))
    assert (
        F.one_hot(t, 5).tolist()
        == torch.nn.functional.one_hot(torch.tensor(t.tolist()), 5).tolist()
    )
    with pytest.raises(RuntimeError, match="^num_classes should be positive$"):
        F.one_hot(t.to(dev), 0)
    with pytest.raises(RuntimeError, match="^Class values must be smaller than num_classes.$"):
        F.one_hot(t, 0)
    with pytest.raises(RuntimeError, match="^Class values must be smaller than num_classes.$"):
        torch.nn.functional.one_hot(torch.tensor([0, 3]), 0)
    with pytest.raises(RuntimeError, match="^Class values must be non-negative.$"):
        F.one_hot(ember.tensor([-1]), 3)
    assert F.one_hot(ember.tensor([], dtype=ember.int64, device=dev), 3).shape == (0, 3)
