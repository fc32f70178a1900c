"""The conv net training steps after the speed work on ``ember._ops._onednn_conv``: the same bits.

``bench/conv.py``'s net (Conv2d(1,32,3)-ReLU-Conv2d(32,64,3), batch 64) and the FashionMNIST
tutorial CNN (1->32->64 channels, 3x3, padding 1, max pools, two Linear layers, batch 64)
against PyTorch, bit for bit on the measured processor; a sweep of conv shapes (direct,
1x1, strided, padded, grouped, depthwise, dilated, batch 1 and odd batches that leave a
short last batch of images) forward and the three gradients; and the work units' sizes
(images a flat pass copies at once, rows a chained weight gradient copies at once), which
must change no bit, at sizes from one image or one call's rows to the whole batch.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _chain, _onednn_conv as OC

from diff import assert_same_training, bits, conv2d_grads, conv_exact, pinned_threads

torch = pytest.importorskip("torch")

exact = conv_exact(torch)


@pytest.fixture(autouse=True)
def _threads():
    yield from pinned_threads(torch, ember, 2)


def _net_grads(mod, x):
    mod.manual_seed(0)
    c1, c2 = mod.nn.Conv2d(1, 32, 3), mod.nn.Conv2d(32, 64, 3)
    y = c2(mod.relu(c1(mod.from_numpy(x))))
    y.sum().backward()
    return [y.detach().numpy()] + [p.grad.numpy() for p in (c1.weight, c1.bias, c2.weight,
                                                            c2.bias)]


@exact
def test_bench_conv_net_step_bits():
    x = np.random.default_rng(0).standard_normal((64, 1, 28, 28)).astype(np.float32)
    for e, t in zip(_net_grads(ember, x), _net_grads(torch, x), strict=True):
        assert e.shape == t.shape and (bits(e) == bits(t)).all()


def _tutorial(mod):
    nn = mod.nn
    mod.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = mod.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(2)
    x = mod.from_numpy(rng.random((128, 1, 28, 28), dtype=np.float32))
    y = mod.from_numpy(rng.integers(0, 10, 128))
    losses = []
    for i in range(2):
        loss = nn.functional.cross_entropy(model(x[i * 64:(i + 1) * 64]), y[i * 64:(i + 1) * 64])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item().hex())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_tutorial_cnn_steps():
    assert_same_training(_tutorial(ember), _tutorial(torch))


# (N, C, H, W, O, (KH, KW), stride, padding, dilation, groups, bias)
SHAPES = [
    (64, 1, 28, 28, 32, (3, 3), 1, 1, 1, 1, True),  # the tutorial's layers
    (64, 32, 14, 14, 64, (3, 3), 1, 1, 1, 1, True),
    (5, 32, 26, 26, 64, (3, 3), 1, 0, 1, 1, True),  # an odd batch: a short last flat batch
    (3, 20, 15, 13, 33, (3, 2), 1, 1, 1, 1, False),  # channel blocks of 16 and 4
    (8, 17, 12, 12, 16, (3, 3), 2, 1, 1, 1, True),  # strided
    (4, 8, 16, 16, 8, (1, 1), 1, 0, 1, 1, True),  # 1x1
    (3, 96, 9, 9, 80, (1, 1), 2, 0, 1, 1, False),
    (5, 16, 11, 11, 16, (3, 3), 1, 1, 1, 16, True),  # depthwise
    (2, 32, 12, 12, 32, (3, 3), 1, 1, 1, 2, True),  # grouped by 16s
    (3, 6, 14, 14, 8, (3, 3), 1, 2, 2, 1, True),  # dilated
    (1, 16, 20, 20, 16, (5, 5), 1, 2, 1, 1, True),  # batch 1 (PyTorch's own path)
    (1, 3, 40, 40, 8, (3, 3), 1, 1, 1, 1, True),  # batch 1 on oneDNN
    (2, 4, 30, 30, 8, (7, 7), 1, 3, 1, 1, True),  # 7x7
    (7, 12, 10, 21, 10, (2, 4), 1, 1, 1, 1, True),
]


@exact
def test_conv_shapes_bits():
    rng = np.random.default_rng(7)
    for n, c, h, w, o, (kh, kw), s, p, d, g, bias in SHAPES:
        x = rng.standard_normal((n, c, h, w)).astype(np.float32)
        wt = (rng.standard_normal((o, c // g, kh, kw)) / (c * kh * kw / g) ** 0.5).astype(
            np.float32)
        b = rng.standard_normal(o).astype(np.float32) if bias else None
        oh = (h + 2 * p - d * (kh - 1) - 1) // s + 1
        ow = (w + 2 * p - d * (kw - 1) - 1) // s + 1
        gr = (rng.standard_normal((n, o, oh, ow)) / 50).astype(np.float32)
        got = conv2d_grads(ember, x, wt, b, gr, s, p, d, g)
        want = conv2d_grads(torch, x, wt, b, gr, s, p, d, g)
        # which passes ember reproduces here (the others: NumPy's order, close)
        mapped = [OC.conv2d(x, wt, b, s, p, d, g),
                  OC.conv2d_grad_input(gr, wt, x.shape, s, p, d, g),
                  OC.conv2d_grad_weight(x, gr, wt.shape, s, p, d, g),
                  OC.conv2d_grad_bias(gr, x.shape, wt.shape, s, p, d, g)]
        assert mapped[0] is not None
        for e, t, m in zip(got, want, mapped, strict=False):
            assert e.shape == t.shape
            if m is not None:
                assert (bits(e) == bits(t)).all(), (n, c, h, w, o, kh, kw, s, p, d, g)
            else:
                np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-5)


def _passes(x, w, b, gr, s, p):
    return [OC.conv2d(x, w, b, s, p), OC.conv2d_grad_input(gr, w, x.shape, s, p),
            *OC.conv2d_grad_weight_bias(x, gr, w.shape, s, p)]


@pytest.mark.skipif(not OC.emulated(), reason="oneDNN's orders: the measured processors")
def test_work_units_change_no_bit(monkeypatch):
    """The images one flat pass copies at once (from one to the whole batch) and the rows a
    chained weight gradient copies at once (from one sgemm call's new terms up) are speed
    knobs only."""
    rng = np.random.default_rng(3)
    cases = [((6, 32, 12, 12), (64, 32, 3, 3), 1, 0), ((5, 1, 28, 28), (32, 1, 3, 3), 1, 1),
             ((4, 20, 9, 11), (24, 20, 3, 2), 1, 1), ((3, 8, 13, 13), (8, 8, 3, 3), 2, 1)]
    for xs, ws, s, p in cases:
        x = rng.standard_normal(xs).astype(np.float32)
        w = (rng.standard_normal(ws) / 8).astype(np.float32)
        b = rng.standard_normal(ws[0]).astype(np.float32)
        gr = rng.standard_normal(OC.conv2d(x, w, b, s, p).shape).astype(np.float32)
        ref = None
        for cols, chunk in ((1 << 8, 1), (1 << 18, 1 << 18), (1 << 24, 1 << 24),
                            (1 << 12, 1 << 13)):
            monkeypatch.setattr(OC, "_FLAT_COLS", cols)
            monkeypatch.setattr(_chain, "_CHUNK", chunk)
            got = _passes(x, w, b, gr, s, p)
            if ref is None:
                ref = got
            for e, r in zip(got, ref, strict=True):
                assert (bits(e) == bits(r)).all(), (xs, ws, s, p, cols, chunk)


def test_copy_positions():
    a = np.random.default_rng(4).standard_normal((5, 7, 13)).astype(np.float32)
    want = a.transpose(0, 2, 1).reshape(-1, 7)
    for r0, r1 in ((0, 65), (0, 13), (3, 9), (11, 40), (13, 39), (20, 65), (64, 65), (5, 5)):
        u = np.full((r1 - r0, 7), np.nan, np.float32)
        OC.copy_positions(a, r0, r1, u)
        assert (bits(u) == bits(want[r0:r1])).all()
