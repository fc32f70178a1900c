"""How oneDNN splits a conv2d's weight and bias gradients between PyTorch's threads.

``ember._ops._onednn_conv._bwd_weights_plan`` follows oneDNN's own thread balancing (the
AVX-512 kernel's memory/compute cost search, the AVX2 kernel's generic reducer, the bias
reducer) and ``_bwd_weights_kernel`` its choice of kernel.  Checked here bit for bit
against PyTorch's ``grad_weight`` and ``grad_bias`` on seeded random shapes (batch 1-64,
1-64 channels, 1-128 outputs, 5-32 pixels a side, kernels 1-7, strides 1-3, padding 0-3),
on 2 threads and on 1.
"""
from __future__ import annotations

import numpy as np
import pytest

from ember import _blas
from ember._ops import _onednn_conv as OC

from diff import bits, conv_exact

torch = pytest.importorskip("torch")
F = torch.nn.functional

exact = conv_exact(torch)

_BUDGET = 3e7  # multiply-adds of one weight gradient at most (keeps the file fast)


@pytest.fixture(autouse=True)
def _threads():
    before, blas_before = torch.get_num_threads(), _blas.threads()
    _blas.set_threads(1)
    yield
    torch.set_num_threads(before)
    if blas_before:
        _blas.set_threads(blas_before)


def _random_shape(seed):
    """(N, C, H, W, O, KH, KW, stride, padding) that oneDNN's direct kernels take."""
    rng = np.random.default_rng(seed)
    while True:
        n, c, o = (int(rng.integers(1, m + 1)) for m in (64, 64, 128))
        h, w = (int(rng.integers(5, 33)) for _ in range(2))
        kh, kw = (int(rng.integers(1, 8)) for _ in range(2))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, 4))
        if (kh, kw) == (1, 1) or h + 2 * p < kh or w + 2 * p < kw:
            continue
        oh, ow = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
        if n * oh * ow * o * c * kh * kw > _BUDGET:
            continue
        xs, ws = (n, c, h, w), (o, c, kh, kw)
        if OC._bwd_weights_kernel(xs, ws, s, p)[2] is not None and all(
                OC.bwd_route(xs, ws, s, p, threads=t) == "onednn" for t in (1, 2)):
            return (n, c, h, w, o, kh, kw, s, p)


def _compare(shape, threads, seed):
    """Differing elements of (grad_weight, grad_bias) against PyTorch's, and the plan."""
    n, c, h, w, o, kh, kw, s, p = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    if c > 3:
        x = np.maximum(x, 0)  # (a ReLU's output, as a second layer sees)
    wt = rng.standard_normal((o, c, kh, kw)).astype(np.float32)
    oh, ow = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
    g = (rng.standard_normal((n, o, oh, ow)) / 100).astype(np.float32)
    assert OC.bwd_route(x.shape, wt.shape, s, p, threads=threads) == "onednn"
    gw = OC.conv2d_grad_weight(x, g, wt.shape, s, p, threads=threads)
    gb = OC.conv2d_grad_bias(g, x.shape, wt.shape, s, p, threads=threads)
    torch.set_num_threads(threads)
    xt = torch.from_numpy(x).requires_grad_()
    wtt = torch.from_numpy(wt).requires_grad_()
    bt = torch.zeros(o, requires_grad=True)
    y = F.conv2d(xt, wtt, bt, s, p)
    _, tw, tb = torch.autograd.grad(y, [xt, wtt, bt], torch.from_numpy(g))
    assert gw.shape == tw.shape and gb.shape == tb.shape and gw.dtype == np.float32
    bad = (int((bits(gw) != bits(tw.numpy())).sum()),
           int((bits(gb) != bits(tb.numpy())).sum()))
    return bad, OC._bwd_weights_plan(x.shape, wt.shape, s, p, threads)


def _split(plan):
    """Whether the weights' or the bias's sums are cut into several runs."""
    return any(sum(b > a for a, b in runs) > 1 for runs in plan[:2])


SEEDS = list(range(100, 136))


@exact
@pytest.mark.parametrize("seed", SEEDS)
def test_random_shapes_two_threads(seed):
    shape = _random_shape(seed)
    bad, _ = _compare(shape, 2, seed)
    assert bad == (0, 0), shape


@exact
@pytest.mark.parametrize("seed", SEEDS[:8])
def test_random_shapes_one_thread(seed):
    shape = _random_shape(seed)
    bad, plan = _compare(shape, 1, seed)
    assert bad == (0, 0), shape
    assert not _split(plan)


# (N, C, H, W, O, KH, KW, stride, padding): shapes that exercise each rule
RULES = [
    (64, 8, 13, 13, 16, 3, 3, 1, 0),  # AVX2, 2 channel-block pairs: one a thread, no cut
    (8, 8, 10, 10, 24, 3, 3, 1, 0),  # AVX2, 3 pairs: its reducer cuts the batch instead
    (6, 16, 10, 10, 40, 3, 3, 1, 2),  # padding over KH // 2: AVX2 with 16 channels
    (9, 3, 20, 20, 8, 5, 5, 1, 2),  # first layer, rows split: image 4 cut in its middle
    (7, 1, 9, 9, 32, 3, 3, 1, 1),  # first layer, 9 output rows: output-channel blocks
    (2, 16, 20, 20, 40, 7, 7, 1, 3),  # rows split where channel blocks cost more
    (12, 32, 8, 8, 48, 3, 3, 1, 1),  # channel blocks; the bias (3 blocks) cut by images
    (3, 48, 12, 12, 64, 3, 3, 2, 1),  # strided: the input plane counted over both strides
    (5, 64, 11, 11, 16, 3, 3, 1, 0),  # input-channel blocks; the bias cut by images
]


@exact
@pytest.mark.parametrize("shape", RULES, ids=str)
def test_rules(shape):
    bad, _ = _compare(shape, 2, sum(shape))
    assert bad == (0, 0)


@exact
def test_splits_are_exercised():
    """The random shapes are not all one run (where any order of the runs would agree)."""
    split = 0
    for seed in SEEDS:
        shape = _random_shape(seed)
        n, c, h, w, o, kh, kw, s, p = shape
        split += _split(OC._bwd_weights_plan((n, c, h, w), (o, c, kh, kw), s, p, 2))
    assert split >= len(SEEDS) // 3
