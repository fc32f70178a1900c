"""The backward of a float32 1x1 conv2d as PyTorch's CPU rounds it: ``ember._ops._conv1x1_bwd``.

oneDNN's ``jit_1x1`` kernels (stride 1, and for the weights a stride that divides the input)
sum the weight gradient in chains over blocks of positions per thread, the bias through its
reducer, the input gradient in chunks of output channels; a stride that does not divide the
input sends the weights to its direct kernel (``ember._ops._onednn_conv``), and every
strided input gradient goes to ``brgconv_strided`` (one chain over all output channels).
Every gradient must equal PyTorch's bit for bit wherever ``bwd_route`` claims the shape, and
a small CNN with a 1x1 layer must train to PyTorch's losses and parameters.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _chain, _conv1x1_bwd as B1, _onednn_conv as OC

from diff import assert_same_training, bits, classifier_steps, pinned_threads

torch = pytest.importorskip("torch")
F = torch.nn.functional

exact = pytest.mark.skipif(
    not (OC.emulated() and OC._ger_ok() and torch.backends.mkldnn.is_available()),
    reason="PyTorch's conv2d order is reproduced only on the measured processor")


@pytest.fixture(autouse=True)
def _two_threads():
    yield from pinned_threads(torch, ember, 2)


def _operands(n, c, h, w, o, s, seed):
    rng = np.random.default_rng(seed)
    x = np.maximum(rng.standard_normal((n, c, h, w)), 0 if c > 3 else -9).astype(np.float32)
    wt = (rng.standard_normal((o, c, 1, 1)) / c ** 0.5).astype(np.float32)
    sh, sw = OC._pair(s)
    g = (rng.standard_normal((n, o, (h - 1) // sh + 1, (w - 1) // sw + 1)) / 50)
    return x, wt, g.astype(np.float32)


def _torch_grads(x, wt, g, s, threads):
    torch.set_num_threads(threads)
    xt = torch.from_numpy(x).requires_grad_()
    wtt = torch.from_numpy(wt).requires_grad_()
    bt = torch.zeros(wt.shape[0], requires_grad=True)
    y = F.conv2d(xt, wtt, bt, s)
    return [t.numpy() for t in torch.autograd.grad(y, [xt, wtt, bt], torch.from_numpy(g))]


# (N, C, H, W, O, stride, threads, route)
SHAPES = [
    (32, 16, 26, 26, 32, 1, 2, "onednn_1x1"),  # the tutorial CNN's 1x1 layer
    (8, 3, 14, 14, 16, 1, 2, "onednn_1x1"),  # 3 channels (padded to a 16-block)
    (4, 64, 7, 7, 64, 1, 2, "onednn_1x1"),
    (16, 128, 14, 14, 256, 1, 2, "onednn_1x1"),  # input gradient in chunks of 80 channels
    (2, 256, 7, 7, 128, 1, 2, "onednn_1x1"),  # threads split input-channel blocks
    (5, 20, 13, 11, 24, 1, 2, "onednn_1x1"),  # odd batch, 11 wide: blocks of 11 positions
    (3, 48, 28, 28, 96, 1, 2, "onednn_1x1"),
    (2, 96, 23, 23, 128, 1, 2, "onednn_1x1"),
    (64, 16, 9, 9, 16, 1, 2, "onednn_1x1"),
    (4, 32, 56, 56, 16, 1, 2, "onednn_1x1"),  # 3136 positions: several chains per image
    (1, 16, 40, 40, 16, 1, 2, "onednn_1x1"),  # a batch of 1 on oneDNN
    (16, 32, 14, 14, 64, 1, 1, "onednn_1x1"),  # 1 thread (16 images: oneDNN)
    (32, 8, 10, 10, 24, 1, 1, "onednn_1x1"),
    (8, 32, 28, 28, 64, 2, 2, "onednn_1x1"),  # stride 2 dividing the input
    (8, 3, 16, 16, 32, 2, 1, "onednn_1x1"),
    (4, 20, 14, 10, 128, 2, 2, "onednn_1x1"),
    (16, 64, 12, 12, 32, (1, 2), 2, "onednn_1x1"),
    (8, 32, 27, 27, 64, 3, 2, "onednn_1x1"),
    (4, 16, 15, 15, 32, 2, 2, "onednn"),  # odd size: oneDNN's direct kernel
    (2, 8, 7, 7, 8, 2, 1, "onednn"),  # (its AVX2 kernel)
    (3, 32, 17, 12, 16, 2, 1, "onednn"),
    (2, 16, 12, 12, 8, 2, 2, "onednn_1x1"),  # few images: brgconv's threads split the width
    (2, 16, 12, 13, 8, 2, 2, "onednn"),
    (4, 64, 9, 9, 160, (2, 3), 1, "onednn"),
    (3, 32, 16, 28, 512, 2, 2, "onednn_1x1"),  # 512-channel input-gradient chains
]


@exact
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_gradients_bit_for_bit(shape):
    n, c, h, w, o, s, threads, how = shape
    x, wt, g = _operands(n, c, h, w, o, s, seed=n + c + h + o)
    assert OC.bwd_route(x.shape, wt.shape, s, threads=threads) == how
    got = (OC.conv2d_grad_input(g, wt, x.shape, s, threads=threads),
           OC.conv2d_grad_weight(x, g, wt.shape, s, threads=threads),
           OC.conv2d_grad_bias(g, x.shape, wt.shape, s, threads=threads))
    for e, t in zip(got, _torch_grads(x, wt, g, s, threads), strict=True):
        assert e.shape == t.shape and e.dtype == np.float32
        assert (bits(e) == bits(t)).all()


@exact
def test_orders_are_not_trivial():
    """One FMA chain over all of the batch's positions (or one per image, added in order)
    is not PyTorch's weight gradient; the documented plan is."""
    n, c, h, o = 32, 16, 26, 32
    x, wt, g = _operands(n, c, h, h, o, 1, seed=5)
    _, tw, _ = _torch_grads(x, wt, g, 1, 2)
    gl = np.ascontiguousarray(g.transpose(0, 2, 3, 1)).reshape(-1, o)
    xl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).reshape(-1, c)

    def fill(r0, r1, u, v):
        u[...] = gl[r0:r1]
        v[...] = xl[r0:r1]

    size = h * h
    one = _chain.outer_chain([(0, n * size)], o, c, fill, OC._KMAX)
    per_image = _chain.outer_chain([(i * size, (i + 1) * size) for i in range(n)], o, c,
                                   fill, OC._KMAX)
    for other in (one, per_image):
        assert (bits(other.reshape(tw.shape)) != bits(tw)).mean() > 0.3
    # 2 threads over the batch, each image one chain (676 positions, blocks of 13)
    plan, used = B1._weights_plan(n, c, o, h, h, 2)
    assert used == 2 and [len(p) for p in plan] == [16, 16]
    assert plan[1][0] == (16 * size, 17 * size)
    # 56x56 images: chains of 784 positions (the L1 cache's bound), 4 per image
    plan, _ = B1._weights_plan(4, 32, 16, 56, 56, 2)
    assert plan[0][:2] == ((0, 784), (784, 1568)) and len(plan[0]) == 8
    # the input gradient's chunks of output channels
    assert B1._data_chunk(16, 128, 256, 14, 14, 2) == 80
    assert B1._data_chunk(3, 48, 96, 28, 28, 2) == 96
    assert B1._data_chunk(4, 64, 64, 7, 7, 2) == 64


def test_bwd_route():
    if not (OC.emulated() and OC._ger_ok()):
        assert OC.bwd_route((8, 16, 14, 14), (32, 16, 1, 1)) is None
        return
    assert OC.bwd_route((8, 16, 14, 14), (32, 16, 1, 1)) == "onednn_1x1"
    assert OC.bwd_route((8, 16, 14, 14), (32, 16, 1, 1), 2) == "onednn_1x1"
    assert OC.bwd_route((8, 16, 15, 14), (32, 16, 1, 1), 2) == "onednn"
    assert OC.bwd_route((8, 16, 14, 14), (32, 16, 1, 1), padding=1) is None  # (padded)
    assert OC.bwd_route((8, 16, 14, 14), (32, 16, 1, 1), dilation=2) is None
    assert OC.bwd_route((8, 16, 14, 14), (32, 16, 1, 1), dtype=np.float64) is None
    # 1 thread, stride 1, under 16 images: PyTorch's own path, not mapped for a batch
    assert OC.bwd_route((8, 16, 14, 14), (32, 16, 1, 1), threads=1) is None
    assert OC.bwd_route((16, 16, 14, 14), (32, 16, 1, 1), threads=1) == "onednn_1x1"
    assert OC.bwd_route((8, 16, 14, 14), (32, 16, 1, 1), threads=3) is None
    x = np.ones((8, 16, 14, 14), np.float32)
    w = np.ones((32, 16, 1, 1), np.float32)
    g = np.ones((8, 32, 16, 16), np.float32)
    assert OC.conv2d_grad_weight(x, g, w.shape, 1, 1) is None
    assert OC.conv2d_grad_input(g, w, x.shape, 1, 1) is None
    assert OC.conv2d_grad_bias(g, x.shape, w.shape, 1, 1) is None


# -- a CNN with a 1x1 layer, trained from the same seed ------------------------------------

def _train(mod, steps=5, batch=32):
    nn = mod.nn
    mod.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Conv2d(16, 32, 1), nn.ReLU(),
                          nn.Flatten(), nn.Linear(32 * 14 * 14, 10))
    opt = mod.optim.SGD(model.parameters(), lr=0.05)
    x = mod.randn(steps * batch, 1, 16, 16)
    y = mod.randint(0, 10, (steps * batch,))
    return classifier_steps(mod, model, opt, x, y, batch, steps)


@exact
def test_cnn_with_1x1_layer_trains_bit_for_bit():
    assert_same_training(_train(ember), _train(torch))


@exact
@pytest.mark.parametrize("shape", [(8, 16, 15, 15, 32, 2), (4, 3, 13, 13, 16, 2),
                                   (8, 64, 15, 14, 64, 2), (2, 96, 19, 23, 16, 3)], ids=str)
def test_uneven_stride_forward_runs_direct_kernel(shape):
    """Forward: a stride that does not divide the input sends a 1x1 kernel to oneDNN's
    direct kernel (the block's chain from +0, the bias added after), not its 1x1 one."""
    n, c, h, w, o, s = shape
    x, wt, _ = _operands(n, c, h, w, o, s, seed=n + c)
    b = np.linspace(-1, 1, o).astype(np.float32)
    assert OC.route(x.shape, wt.shape, s, threads=2) == "onednn"
    t = F.conv2d(torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(b), s).numpy()
    assert (bits(OC.conv2d(x, wt, b, s, threads=2)) == bits(t)).all()


@exact
@pytest.mark.parametrize("n,c,length,o,s", [(4, 64, 37, 16, 1), (8, 32, 41, 16, 2)], ids=str)
def test_conv1d_kernel_1_through_autograd(n, c, length, o, s):
    """``F.conv1d`` with a kernel of 1 (a 1x1 conv2d of one row): output and every
    gradient as PyTorch's."""
    rng = np.random.default_rng(n + c)
    arrays = [rng.standard_normal(shape).astype(np.float32)
              for shape in ((n, c, length), (o, c, 1), (o,))]
    out = []
    for mod in (ember, torch):
        ts = [mod.tensor(a, requires_grad=True) for a in arrays]
        y = mod.nn.functional.conv1d(*ts, stride=s)
        g = np.linspace(-1, 1, int(np.prod(tuple(y.shape))), dtype=np.float32)
        y.backward(mod.tensor(g.reshape(tuple(y.shape))))
        out.append([y.detach().numpy()] + [t.grad.numpy() for t in ts])
    for e, t in zip(*out, strict=True):
        assert e.shape == t.shape and (bits(e) == bits(t)).all()
