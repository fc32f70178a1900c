"""Float32 1x1 conv2d with more than 64 input channels, bit for bit against PyTorch's CPU.

oneDNN's ``jit_1x1`` forward kernel cuts the input channels into chunks (80, 256 or 512, as
its backward-data kernel cuts the output channels): the first chunk's FMA chain starts at the
bias, each further chunk's at +0, added in order.  resnet18/34/50's downsample and
bottleneck 1x1 layers (64 to 2048 channels, strides 1 and 2) must give PyTorch's bits
forward and backward (the Transfer Learning tutorial's resnet18 used to drift by ~1e-6).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _onednn_conv as OC

from diff import pinned_threads

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.skipif(
    not (OC.emulated() and OC._ger_ok() and torch.backends.mkldnn.is_available()),
    reason="PyTorch's conv2d order is reproduced only on the measured processor")


@pytest.fixture(autouse=True)
def _two_threads():
    yield from pinned_threads(torch, ember, 2)


def _run(lib, x, w, b, g, s):
    xt = lib.tensor(x, requires_grad=True)
    wt = lib.tensor(w, requires_grad=True)
    bt = None if b is None else lib.tensor(b, requires_grad=True)
    y = lib.nn.functional.conv2d(xt, wt, bt, stride=s)
    y.backward(lib.tensor(g))
    out = [y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy()]
    return out + ([] if b is None else [bt.grad.numpy()])


def _check(n, c, hw, s, o, bias, seed=0, threads=2):
    torch.set_num_threads(threads)
    ember.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    w = (rng.standard_normal((o, c, 1, 1)) / c ** 0.5).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32) if bias else None
    oh = (hw - 1) // s + 1
    g = rng.standard_normal((n, o, oh, oh)).astype(np.float32)
    want = _run(torch, x, w, b, g, s)
    got = _run(ember, x, w, b, g, s)
    for name, a, e in zip(("out", "grad_x", "grad_w", "grad_b"), want, got):
        assert np.array_equal(a, e), (name, float(np.abs(a - e).max()))


@pytest.mark.parametrize("n,c,hw,s,o,bias", [
    (4, 256, 14, 2, 512, False),   # resnet18 layer4 downsample at 224 (Transfer Learning)
    (4, 256, 4, 2, 512, False),    # ... at 64x64 (2x2 output)
    (4, 256, 2, 2, 512, True),     # 1x1 output
    (2, 128, 28, 2, 64, False),    # layer3 downsample (chunks of 80)
    (2, 128, 16, 2, 256, True),
    (2, 512, 6, 2, 256, False),    # resnet50 layer3/4 downsamples (chunks of 256)
    (1, 1024, 4, 2, 128, True),
    (2, 256, 14, 1, 64, False),    # resnet50 bottleneck reductions, stride 1
    (3, 512, 7, 1, 128, True),
    (1, 2048, 2, 1, 64, False),
    (1, 1024, 28, 1, 16, True),    # chunks of 512
    (2, 1024, 32, 1, 16, False),   # chunks cut to 112 (cache aliasing)
    (8, 96, 8, 1, 100, True),      # channels not a multiple of 16
    (2, 160, 14, 1, 72, False),
    (2, 384, 1, 1, 1000, True),    # 1x1 input
])
def test_wide_1x1_matches_torch(n, c, hw, s, o, bias):
    _check(n, c, hw, s, o, bias)


@pytest.mark.parametrize("n,c,hw,s,o", [(4, 256, 14, 2, 512), (2, 512, 4, 2, 128)])
def test_wide_1x1_one_thread_strided(n, c, hw, s, o):
    _check(n, c, hw, s, o, True, seed=3, threads=1)


def test_route_claims_wide_1x1():
    assert OC.route((4, 256, 14, 14), (512, 256, 1, 1), 2, threads=2) == "onednn_1x1"
    assert OC.route((2, 2048, 7, 7), (512, 2048, 1, 1), 1, threads=2) == "onednn_1x1"
    # padded 1x1 kernels still are not mapped
    assert OC.route((2, 256, 7, 7), (512, 256, 1, 1), 1, 1, threads=2) is None


def test_wide_1x1_non_finite():
    torch.set_num_threads(2)
    ember.set_num_threads(2)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 320, 6, 6)).astype(np.float32)
    x[0, 7, 2, 2] = np.inf
    x[1, 300, 0, 0] = np.nan
    w = rng.standard_normal((48, 320, 1, 1)).astype(np.float32)
    b = rng.standard_normal(48).astype(np.float32)
    want = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=2)
    got = ember.nn.functional.conv2d(ember.tensor(x), ember.tensor(w), ember.tensor(b), stride=2)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_resnet_downsample_module():
    torch.set_num_threads(2)
    ember.set_num_threads(2)
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(256, 512, 1, 2, bias=False),
                             torch.nn.BatchNorm2d(512))
    em = ember.nn.Sequential(ember.nn.Conv2d(256, 512, 1, 2, bias=False),
                             ember.nn.BatchNorm2d(512))
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((4, 256, 4, 4)).astype(np.float32)
    yt = tm(torch.tensor(x))
    ye = em(ember.tensor(x))
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
    yt.square().sum().backward()
    ye.square().sum().backward()
    np.testing.assert_array_equal(em[0].weight.grad.numpy(), tm[0].weight.grad.numpy())
