"""float32 forward conv2d as PyTorch's CPU rounds it: ``ember._ops._onednn_conv``.

Where ``_onednn_conv.emulated()`` (the measured processor), ``conv2d`` must equal
``F.conv2d`` bit for bit on every shape ``route()`` claims (oneDNN's direct kernel, or
PyTorch's own im2col + MKL path for a batch of 1), and the order the module documents
(16-channel blocks, FMA chains over kernel row, column, channel, the bias after the first
block) must be oneDNN's, probed directly.
"""
from __future__ import annotations

import numpy as np
import pytest

from ember import _blas
from ember._ops import _onednn_conv as OC

torch = pytest.importorskip("torch")
F = torch.nn.functional

exact = pytest.mark.skipif(
    not (OC.emulated() and torch.backends.mkldnn.is_available()),
    reason="PyTorch's conv2d order is reproduced only on the measured processor")


@pytest.fixture(autouse=True)
def _two_threads():
    """PyTorch on 2 threads (this machine's default); NumPy's OpenBLAS on 1, which changes no
    bits (its threads split rows and columns, never a sum) but keeps it from fighting
    PyTorch's spinning OpenMP threads for the cores."""
    before, blas_before = torch.get_num_threads(), _blas.threads()
    torch.set_num_threads(2)
    _blas.set_threads(1)
    yield
    torch.set_num_threads(before)
    if blas_before:
        _blas.set_threads(blas_before)


def _bits(a):
    return np.ascontiguousarray(a, np.float32).view(np.uint32)


def _compare(x, w, b, stride=1, padding=0, dilation=1, threads=2, groups=1):
    """(route, differing outputs) of ember's conv2d against PyTorch's."""
    torch.set_num_threads(threads)
    how = OC.route(x.shape, w.shape, stride, padding, dilation, groups, threads=threads)
    e = OC.conv2d(x, w, b, stride, padding, dilation, groups, threads=threads)
    t = F.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                 None if b is None else torch.from_numpy(b), stride, padding, dilation,
                 groups).numpy()
    assert (e is None) == (how is None)
    if e is None:
        return how, None
    assert e.shape == t.shape and e.dtype == np.float32
    return how, int((_bits(e) != _bits(t)).sum())


def _operands(rng, n, c, h, w, o, kh, kw, relu=False):
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    if relu:  # (a ReLU's output: half zeros, as a second layer sees)
        x = np.maximum(x, np.float32(0))
    wt = (rng.standard_normal((o, c, kh, kw)) / np.sqrt(c * kh * kw)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    return x, wt, b


# (N, C, H, W, O, KH, KW, stride, padding, dilation)
TUTORIALS = [
    (64, 1, 28, 28, 32, 3, 3, 1, 0, 1),  # MNIST CNN
    (64, 32, 26, 26, 64, 3, 3, 1, 0, 1),
    (4, 3, 32, 32, 6, 5, 5, 1, 0, 1),  # CIFAR tutorial
    (4, 6, 14, 14, 16, 5, 5, 1, 0, 1),
    (16, 3, 32, 32, 16, 3, 3, 1, 1, 1),
    (8, 16, 16, 16, 32, 3, 3, 1, 1, 1),
]
OTHERS = [
    (2, 20, 10, 10, 8, 3, 3, 1, 0, 1),  # C not a multiple of 16
    (2, 33, 8, 8, 16, 3, 3, 1, 0, 1),
    (2, 15, 12, 12, 7, 3, 3, 1, 1, 1),  # the plain-layout first-layer kernel, C < 16
    (2, 128, 8, 8, 16, 3, 3, 1, 1, 1),  # 8 blocks
    (2, 32, 12, 12, 64, 3, 3, 2, 1, 1),  # stride 2
    (2, 3, 40, 40, 8, 7, 7, 2, 3, 1),  # 7x7 stem
    (2, 32, 12, 12, 8, 7, 7, 1, 3, 1),  # chains of 784 products: sger
    (2, 20, 9, 9, 4, 6, 6, 1, 1, 1),
    (2, 3, 48, 48, 8, 11, 11, 4, 2, 1),
    (2, 16, 14, 14, 16, 3, 3, 1, 2, 2),  # dilation 2
    (2, 40, 15, 17, 24, 3, 5, 2, (1, 2), 1),  # rectangles
    (2, 16, 12, 12, 16, 1, 3, 1, 0, 1),
    (3, 17, 9, 9, 5, 2, 2, 1, 0, 1),
    (1, 6, 14, 14, 16, 5, 5, 1, 0, 1),  # batch 1, kernel > 3: oneDNN
    (1, 128, 16, 16, 8, 3, 3, 1, 1, 1),  # batch 1, > 20480 elements: oneDNN
]
NATIVE = [  # batch 1, small: PyTorch's own im2col and MKL sgemm
    (1, 1, 28, 28, 32, 3, 3, 1, 0, 1),
    (1, 3, 32, 32, 6, 3, 3, 1, 1, 1),
    (1, 16, 10, 10, 8, 3, 3, 1, 0, 1),
    (1, 32, 12, 12, 64, 3, 3, 2, 1, 1),
    (1, 64, 8, 8, 64, 1, 1, 1, 0, 1),
    (1, 8, 20, 20, 7, 3, 3, 1, 1, 1),
]


@exact
@pytest.mark.parametrize("shape", TUTORIALS + OTHERS, ids=str)
def test_onednn_bit_for_bit(shape):
    n, c, h, w, o, kh, kw, s, p, d = shape
    rng = np.random.default_rng(sum(shape[:7]))
    x, wt, b = _operands(rng, n, c, h, w, o, kh, kw, relu=c > 3)
    for bias in (b, None):
        how, bad = _compare(x, wt, bias, s, p, d)
        assert (how, bad) == ("onednn", 0)


@exact
@pytest.mark.parametrize("shape", NATIVE, ids=str)
def test_native_bit_for_bit(shape):
    n, c, h, w, o, kh, kw, s, p, d = shape
    rng = np.random.default_rng(sum(shape[:7]))
    x, wt, b = _operands(rng, n, c, h, w, o, kh, kw)
    for threads in (2, 1):
        for bias in (b, None):
            assert _compare(x, wt, bias, s, p, d, threads) == ("native", 0)


# (N, C, H, O, K, groups, stride, padding, dilation, route)
GROUPED = [
    (2, 32, 12, 64, 3, 2, 1, 1, 1, "onednn"),
    (2, 64, 10, 32, 3, 2, 1, 1, 1, "onednn"),
    (2, 128, 8, 128, 3, 8, 2, 1, 1, "onednn"),
    (2, 32, 14, 32, 3, 32, 1, 1, 1, "depthwise"),
    (2, 48, 14, 48, 3, 48, 2, 1, 1, "depthwise"),
    (1, 24, 10, 24, 5, 24, 1, 2, 1, "depthwise"),
    (2, 3, 10, 3, 3, 3, 1, 1, 1, "depthwise"),
    (2, 32, 12, 32, 3, 32, 1, 2, 2, "depthwise"),
]


@exact
@pytest.mark.parametrize("shape", GROUPED, ids=str)
def test_groups_bit_for_bit(shape):
    n, c, h, o, k, g, s, p, d, how = shape
    rng = np.random.default_rng(sum(shape[:6]))
    x, _, b = _operands(rng, n, c, h, h, o, k, k, relu=True)
    wt = (rng.standard_normal((o, c // g, k, k)) / np.sqrt(c // g * k * k)).astype(np.float32)
    for bias in (b, None):
        assert _compare(x, wt, bias, s, p, d, groups=g) == (how, 0)


@exact
def test_one_thread_same_order():
    rng = np.random.default_rng(5)
    x, wt, b = _operands(rng, 4, 48, 12, 12, 32, 3, 3, relu=True)
    assert _compare(x, wt, b, 1, 1, threads=1) == ("onednn", 0)


def _probe(c, kh, kw, plus, minus, bias=None):
    """PyTorch's output for ones everywhere but two weights (+2**40 at tap ``plus``, -2**40
    at ``minus``, taps as (channel, row, column)): it counts the ones summed outside the
    subtree where the two big ones meet."""
    x = torch.ones(2, c, kh, kw)
    w = torch.ones(1, c, kh, kw)
    w[(0,) + plus] = 2.0 ** 40
    w[(0,) + minus] = -2.0 ** 40
    b = None if bias is None else torch.tensor([bias])
    return F.conv2d(x, w, b)[0, 0, 0, 0].item()


def _documented(c, kh, kw, plus, minus, bias=None):
    """The same output from the documented order, in float32 (every product here is exact,
    so each fused multiply-add is one rounded add)."""
    f = np.float32
    w = np.ones((c, kh, kw), f)
    w[plus] = f(2.0 ** 40)
    w[minus] = f(-2.0 ** 40)
    out = None
    for bi, (c0, c1) in enumerate(OC.channel_blocks(c)):
        acc = f(0)
        for i in range(kh):
            for j in range(kw):
                for ch in range(c0, c1):
                    acc = f(acc + w[ch, i, j])
        out = acc if out is None else f(out + acc)
        if bi == 0 and bias is not None:
            out = f(out + f(bias))
    return float(out)


@exact
@pytest.mark.parametrize("c,kh,kw", [(32, 3, 3), (3, 5, 5), (20, 2, 3)])
def test_order_probes(c, kh, kw):
    rng = np.random.default_rng(c * 100 + kh)
    taps = [(ch, i, j) for ch in range(c) for i in range(kh) for j in range(kw)]
    picks = rng.choice(len(taps), size=(12, 2), replace=False)
    for bias in (None, 3.0):
        for pi, mi in picks:
            plus, minus = taps[pi], taps[mi]
            got = _probe(c, kh, kw, plus, minus, bias)
            assert got == _documented(c, kh, kw, plus, minus, bias), (plus, minus, bias)


@exact
def test_bias_joins_after_first_block():
    # +big in block 0, -big in block 1: P0 = 2**40 swallows the bias, so the output is P1's
    # ones after -2**40 cancels; a bias added last (or first into a chain) would survive
    got = _probe(32, 1, 2, (0, 0, 0), (16, 0, 0), bias=1000.0)
    assert got == 0.0
    # both big ones in block 1: the bias survives with block 0's 32 ones
    got = _probe(32, 1, 2, (16, 0, 0), (17, 0, 0), bias=1000.0)
    assert got == 1000.0 + 32 + (32 - 1 - 1)


def test_route_declines_unmapped():
    if not OC.emulated():
        assert OC.route((2, 16, 8, 8), (8, 16, 3, 3)) is None
        return
    assert OC.route((2, 16, 8, 8), (8, 16, 3, 3)) == "onednn"
    assert OC.route((2, 64, 8, 8), (64, 64, 1, 1)) == "onednn_1x1"
    assert OC.route((2, 96, 8, 8), (64, 96, 1, 1)) is None  # (1x1, channel blocks)
    assert OC.route((2, 32, 8, 8), (64, 32, 1, 1), padding=1) is None
    assert OC.route((2, 32, 8, 8), (64, 32, 1, 1), threads=1) is None  # (PyTorch's, batch)
    assert OC.route((2, 16, 10, 10), (32, 1, 3, 3), groups=16) is None  # (gemm:jit)
    assert OC.route((2, 32, 8, 8), (32, 1, 1, 1), groups=32) is None
    assert OC.route((2, 32, 8, 8), (32, 16, 3, 3), groups=3) is None
    assert OC.route((1, 16, 10, 10), (8, 16, 3, 3), dilation=2) is None  # dilated, native
    assert OC.route((2, 16, 8, 8), (8, 16, 3, 3), dtype=np.float64) is None
    assert OC.route((2, 16, 2, 2), (8, 16, 3, 3)) is None  # no output
    assert OC.route((1, 16, 10, 10), (8, 16, 3, 3), threads=4) is None
    x = np.ones((2, 96, 8, 8), np.float32)
    assert OC.conv2d(x, np.ones((4, 96, 1, 1), np.float32)) is None


@exact
def test_unmapped_shapes_do_differ():
    """The 1x1 kernel's order is not the direct kernel's (its chain starts at the bias), and
    past 64 channels not one chain either."""
    rng = np.random.default_rng(9)
    for c in (64, 128):
        x, wt, b = _operands(rng, 2, c, 14, 14, 64, 1, 1)
        t = F.conv2d(torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(b)).numpy()
        e = OC._onednn(x, wt, b, (1, 1), (0, 0), (1, 1))
        assert (e != t).mean() > 0.3
    OC._ger_ok()
    e = OC._one_by_one(x, wt, b, (1, 1))  # (C = 128: one chain is not oneDNN's order)
    assert (e != t).mean() > 0.3


# (N, C, H, O, stride)
ONE_BY_ONE = [(2, 64, 28, 64, 1), (2, 64, 28, 128, 2), (16, 32, 8, 64, 1), (2, 3, 20, 8, 1),
              (4, 33, 12, 40, 1), (2, 48, 14, 96, 2), (1, 64, 32, 16, 1)]


@exact
@pytest.mark.parametrize("shape", ONE_BY_ONE, ids=str)
def test_one_by_one_bit_for_bit(shape):
    n, c, h, o, s = shape
    rng = np.random.default_rng(sum(shape))
    x, wt, b = _operands(rng, n, c, h, h, o, 1, 1, relu=True)
    for bias in (b, None):
        assert _compare(x, wt, bias, s) == ("onednn_1x1", 0)


@exact
@pytest.mark.parametrize("shape", [(8, 16, 100, 32, 5, 1, 2, 1, "onednn"),
                                   (4, 32, 64, 32, 3, 1, 1, 32, "depthwise"),
                                   (1, 16, 50, 8, 3, 1, 1, 1, "native")], ids=str)
def test_conv1d_as_one_row(shape):
    """PyTorch runs conv1d as a conv2d of one row: (N, C, 1, L) by (O, C, 1, K)."""
    n, c, length, o, k, s, p, g, how = shape
    rng = np.random.default_rng(length)
    x = rng.standard_normal((n, c, length)).astype(np.float32)
    wt = rng.standard_normal((o, c // g, k)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    t = F.conv1d(torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(b), s, p, 1, g)
    assert OC.route((n, c, 1, length), (o, c // g, 1, k), (1, s), (0, p), 1, g) == how
    e = OC.conv2d(x[:, :, None], wt[:, :, None], b, (1, s), (0, p), 1, g)
    assert (_bits(e[:, :, 0]) != _bits(t.numpy())).sum() == 0
