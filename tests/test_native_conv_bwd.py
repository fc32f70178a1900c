"""conv2d/conv1d backward on PyTorch's own path (a batch of 1, small kernels), bit for bit.

``ember._ops._native_conv_bwd`` reproduces ``slow_conv2d``'s backward: the column gradient
``W^T @ G`` in MKL's order followed by the col2im accumulation (taps added in (kernel row,
kernel column) order), the weight gradient ``G @ cols^T`` added into zeros, and the bias
gradient as PyTorch's reduction.  Checked against PyTorch through autograd on 1 and 2
threads, and by seeded batch-1 CNN training (every loss and every parameter as bits).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _mkl_gemm, _native_conv_bwd as NB, _onednn_conv as OC

from diff import (assert_same_training, bits, classifier_steps, conv2d_grads,
                  conv_exact, pinned_threads)

torch = pytest.importorskip("torch")

exact = conv_exact(torch)


@pytest.fixture(autouse=True, params=[2, 1], ids=["t2", "t1"])
def _threads(request):
    yield from pinned_threads(torch, ember, request.param)


# (C, H, W, O, KH, KW, stride, padding, bias)
SHAPES = [
    (1, 28, 28, 32, 3, 3, 1, 0, True),  # MNIST first layer
    (16, 14, 14, 32, 3, 3, 1, 1, True),
    (32, 13, 13, 64, 3, 3, 1, 1, True),
    (8, 13, 13, 16, 3, 3, 1, 0, False),
    (3, 32, 32, 16, 3, 3, 1, 1, True),  # CIFAR-like stem
    (16, 12, 12, 16, 3, 3, 2, 1, True),  # strided
    (5, 10, 10, 7, 3, 3, 3, 2, True),
    (4, 9, 11, 5, 2, 3, 1, 1, True),  # rectangular kernel, uneven padding reach
    (1, 28, 28, 16, 5, 3, 2, 0, True),  # a 5x3 kernel: still PyTorch's own path
    (64, 8, 8, 10, 1, 1, 1, 0, True),  # 1x1 kernel
    (3, 16, 16, 1, 3, 3, 1, 1, True),  # one output channel (MKL's sgemv rows)
    (2, 6, 6, 3, 3, 3, 1, 0, True),  # few outputs: MKL's tail rows everywhere
    (100, 6, 6, 200, 3, 3, 1, 1, True),  # K = 200 output channels: two K blocks
    (128, 5, 5, 40, 3, 3, 1, 1, False),  # 1152 columns
    (1, 40, 1, 8, 3, 1, 1, 0, True),  # a one-column image
]


def _operands(shape, seed):
    c, h, w, o, kh, kw, s, p, _ = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, c, h, w)).astype(np.float32)
    wt = (rng.standard_normal((o, c, kh, kw)) / (c * kh * kw) ** 0.5).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    oh, ow = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
    g = (rng.standard_normal((1, o, oh, ow)) / 50).astype(np.float32)
    return x, wt, b, g


def _grads(mod, shape, seed):
    s, p, bias = shape[6:]
    x, wt, b, g = _operands(shape, seed)
    return conv2d_grads(mod, x, wt, b if bias else None, g, s, p)


@exact
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_conv2d_batch1_gradients_bit_for_bit(shape):
    c, h, w, o, kh, kw, s, p, bias = shape
    zeros = [np.zeros(v, np.float32) for v in ((1, c, h, w), (o, c, kh, kw), o)]
    if _mkl_gemm.profile() != "amd" and ((
            OC.route((1, c, h, w), (o, c, kh, kw), s, p),
            OC.bwd_route((1, c, h, w), (o, c, kh, kw), s, p)) != ("native", "native")
            or OC.conv2d(zeros[0], zeros[1], zeros[2] if bias else None, s, p) is None):
        # (the Intel processor: MKL's order for one of the products is not mapped there:
        # one output channel's one-row product with a bias, K > 768 on 1 thread, ...)
        pytest.skip("MKL's order for this product is not mapped on this processor")
    assert OC.route((1, c, h, w), (o, c, kh, kw), s, p) == "native"
    assert OC.bwd_route((1, c, h, w), (o, c, kh, kw), s, p) == "native"
    seed = sum(shape[:6])
    for e, t in zip(_grads(ember, shape, seed), _grads(torch, shape, seed), strict=True):
        assert e.shape == t.shape
        assert (bits(e) == bits(t)).all()


@exact
def test_naive_orders_differ():
    """The shapes above are not trivially exact: NumPy's own products miss PyTorch's bits."""
    shape = SHAPES[1]
    x, wt, _, g = _operands(shape, 7)
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, wt))
    torch.nn.functional.conv2d(tx, tw, None, 1, 1).backward(torch.tensor(g))
    cols = NB.columns(x[0], 3, 3, (1, 1), (1, 1))
    naive = (g[0].reshape(32, -1) @ cols.T).reshape(wt.shape)
    if _mkl_gemm.profile() == "amd":  # (on the Intel processor OpenBLAS's order is MKL's
        assert (bits(naive) != bits(tw.grad)).any()  # for this product: one K block)
    assert (bits(NB.grad_weight(x, g, wt.shape, 1, 1)) == bits(tw.grad)).all()
    gi = NB.grad_input(g, wt, x.shape, 1, 1)
    assert (bits(gi) == bits(tx.grad)).all()


@exact
def test_misaligned_operands():
    """ember's arrays may start anywhere; PyTorch's buffers start on a 16-byte boundary, and
    MKL's lane rows (32 x 676 x 9 here) move with the address: the operands are realigned."""
    shape = SHAPES[0]
    x, wt, _, g = _operands(shape, 3)
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, wt))
    torch.nn.functional.conv2d(tx, tw).backward(torch.tensor(g))
    for shift in (1, 2, 3):
        buf = np.empty(g.size + 8, np.float32)
        start = (-(buf.ctypes.data // 4) + shift) % 4
        gs = buf[start:start + g.size].reshape(g.shape)
        gs[...] = g
        assert gs.ctypes.data % 16 == 4 * shift
        assert (bits(NB.grad_weight(x, gs, wt.shape, 1, 0)) == bits(tw.grad)).all()
        assert (bits(NB.grad_input(gs, wt, x.shape, 1, 0)) == bits(tx.grad)).all()


@exact
@pytest.mark.parametrize("c,length,o,k,s,p", [(4, 50, 16, 3, 1, 1), (1, 100, 8, 5, 1, 2),
                                              (16, 30, 8, 5, 2, 0)], ids=str)
def test_conv1d_batch1_gradients_bit_for_bit(c, length, o, k, s, p):
    out = []
    for mod in (ember, torch):
        mod.manual_seed(c + length)
        conv = mod.nn.Conv1d(c, o, k, stride=s, padding=p)
        x = mod.randn(1, c, length, requires_grad=True)
        conv(x).square().sum().backward()
        out.append([x.grad.numpy(), conv.weight.grad.numpy(), conv.bias.grad.numpy()])
    for e, t in zip(*out, strict=True):
        assert (bits(e) == bits(t)).all()


def test_bwd_route_native_and_declined():
    if not OC.emulated():
        assert OC.bwd_route((1, 16, 10, 10), (8, 16, 3, 3)) is None
        return
    assert OC.bwd_route((1, 16, 10, 10), (8, 16, 3, 3)) == "native"
    assert OC.bwd_route((1, 16, 10, 10), (8, 16, 3, 3), dilation=2) is None  # (dilated)
    assert OC.bwd_route((1, 16, 10, 10), (8, 16, 3, 3), dtype=np.float64) is None
    assert OC.bwd_route((2, 16, 10, 10), (8, 16, 3, 3)) == "onednn"  # (a batch: oneDNN)
    g = np.ones((1, 8, 8, 8), np.float32)
    assert OC.conv2d_grad_bias(g, (1, 16, 10, 10), (8, 16, 3, 3), dilation=2) is None


# -- seeded batch-1 CNN training -----------------------------------------------------------

def _cnn(nn, kind):
    if kind == "mnist":
        return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 10))
    if kind == "padded":
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    return nn.Sequential(nn.Conv1d(4, 16, 3, padding=1), nn.ReLU(),  # "conv1d"
                         nn.Conv1d(16, 8, 5, stride=2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8 * 23, 10))


def _train(mod, kind, opt_name, steps=5):
    mod.manual_seed(0)
    model = _cnn(mod.nn, kind)
    opt = (mod.optim.SGD(model.parameters(), lr=0.05, momentum=0.9) if opt_name == "sgd"
           else mod.optim.Adam(model.parameters(), lr=1e-3))
    x = mod.randn(steps, 4, 50) if kind == "conv1d" else mod.randn(steps, 1, 28, 28)
    y = mod.randint(0, 10, (steps,))
    return classifier_steps(mod, model, opt, x, y, 1, steps)


@exact
@pytest.mark.parametrize("kind,opt_name", [("mnist", "sgd"), ("padded", "adam"),
                                           ("conv1d", "sgd")])
def test_batch1_cnn_training_bit_for_bit(kind, opt_name):
    assert_same_training(_train(ember, kind, opt_name), _train(torch, kind, opt_name))
