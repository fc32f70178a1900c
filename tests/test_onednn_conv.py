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

from ember._ops import _onednn_conv as OC

from diff import bits, conv_exact, torch_threads_blas_one

torch = pytest.importorskip("torch")
F = torch.nn.functional

exact = conv_exact(torch)


@pytest.fixture(autouse=True)
def _two_threads():
    yield from torch_threads_blas_one(torch, 2)


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
    return how, int((bits(e) != bits(t)).sum())


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
    assert OC.route((2, 96, 8, 8), (64, 96, 1, 1)) == "onednn_1x1"  # (1x1, channel chunks)
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
    assert OC.conv2d(x, np.ones((4, 96, 1, 1), np.float32), padding=1) is None


@exact
def test_unmapped_shapes_do_differ():
    """The 1x1 kernel's order is not the direct kernel's (its chain starts at the bias); past
    64 channels it is chunks of channels (80 here), which _one_by_one reproduces."""
    rng = np.random.default_rng(9)
    for c in (64, 128):
        x, wt, b = _operands(rng, 2, c, 14, 14, 64, 1, 1)
        t = F.conv2d(torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(b)).numpy()
        e = OC._onednn(x, wt, b, (1, 1), (0, 0), (1, 1))
        assert (e != t).mean() > 0.3
    OC._ger_ok()
    e = OC._one_by_one(x, wt, b, (1, 1))  # (C = 128: chunks of 80)
    assert np.array_equal(e, t)


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
    assert (bits(e[:, :, 0]) != bits(t.numpy())).sum() == 0


# ---------------------------------------------------------------------------------------
# The backward passes: conv2d_grad_input, conv2d_grad_weight, conv2d_grad_bias
# ---------------------------------------------------------------------------------------

def _torch_grads(x, wt, g, s, p, bias, threads):
    torch.set_num_threads(threads)
    xt = torch.from_numpy(x).requires_grad_()
    wtt = torch.from_numpy(wt).requires_grad_()
    bt = torch.zeros(wt.shape[0], requires_grad=True) if bias else None
    y = F.conv2d(xt, wtt, bt, s, p)
    got = torch.autograd.grad(y, [t for t in (xt, wtt, bt) if t is not None],
                              torch.from_numpy(g))
    return [t.numpy() for t in got]


def _compare_backward(n, c, h, w, o, kh, kw, s=1, p=0, threads=2, seed=0):
    """Differing elements of (grad_input, grad_weight, grad_bias) against PyTorch's."""
    rng = np.random.default_rng(seed)
    x, wt, _ = _operands(rng, n, c, h, w, o, kh, kw, relu=c > 3)
    oh = (h + 2 * p - kh) // s + 1
    ow = (w + 2 * p - kw) // s + 1
    g = (rng.standard_normal((n, o, oh, ow)) / 100).astype(np.float32)
    assert OC.bwd_route(x.shape, wt.shape, s, p, threads=threads) == "onednn"
    gi = OC.conv2d_grad_input(g, wt, x.shape, s, p, threads=threads)
    gw = OC.conv2d_grad_weight(x, g, wt.shape, s, p, threads=threads)
    gb = OC.conv2d_grad_bias(g, x.shape, wt.shape, s, p, threads=threads)
    tx, tw, tb = _torch_grads(x, wt, g, s, p, True, threads)
    for e, t in ((gi, tx), (gw, tw), (gb, tb)):
        assert e.shape == t.shape and e.dtype == np.float32
    bad = tuple(int((bits(e) != bits(t)).sum()) for e, t in ((gi, tx), (gw, tw), (gb, tb)))
    # without a bias the weights' primitive sums the weights in the same order
    tx2, tw2 = _torch_grads(x, wt, g, s, p, False, threads)
    assert (bits(tw2) == bits(tw)).all() and (bits(tx2) == bits(tx)).all()
    return bad


# (N, C, H, W, O, KH, KW, stride, padding)
BACKWARD_TUTORIALS = [
    (64, 1, 28, 28, 32, 3, 3, 1, 0),  # MNIST CNN
    (64, 32, 26, 26, 64, 3, 3, 1, 0),
    (4, 3, 32, 32, 6, 5, 5, 1, 0),  # CIFAR tutorial
    (4, 6, 14, 14, 16, 5, 5, 1, 0),
    (64, 1, 28, 28, 32, 3, 3, 1, 1),  # padding 1
    (16, 32, 14, 14, 64, 3, 3, 1, 1),
    (16, 32, 14, 14, 64, 3, 3, 2, 1),  # stride 2, even width: a chain per kernel column
]
BACKWARD_OTHERS = [
    (5, 3, 32, 32, 6, 5, 5, 1, 0),  # odd batch, first layer: threads take runs of rows
    (5, 16, 20, 20, 16, 3, 3, 1, 0),  # >= 10 output rows: runs of rows
    (5, 16, 11, 11, 16, 3, 3, 1, 0),  # 9 output rows: whole images
    (8, 64, 9, 9, 16, 3, 3, 1, 0),  # channel blocks split: the bias alone split in two
    (5, 12, 10, 10, 8, 3, 3, 1, 0),  # jit:avx2 (8-blocks), the same
    (5, 16, 17, 17, 48, 3, 3, 1, 0),  # runs of rows beat output-channel blocks
    (3, 33, 12, 12, 20, 4, 4, 1, 2),
    (7, 20, 15, 15, 24, 3, 3, 2, 1),  # stride 2, odd width: one chain over all channels
    (2, 16, 11, 17, 32, 5, 5, 2, 1),
    (4, 16, 11, 15, 64, 5, 5, 3, 1),  # stride 3, width a multiple of 3
    (2, 128, 14, 14, 256, 3, 3, 2, 1),
    (1, 128, 16, 16, 8, 3, 3, 1, 1),  # batch 1 on oneDNN
]


@exact
@pytest.mark.parametrize("shape", BACKWARD_TUTORIALS + BACKWARD_OTHERS, ids=str)
def test_backward_bit_for_bit(shape):
    assert _compare_backward(*shape, seed=sum(shape[:5])) == (0, 0, 0)


@exact
def test_backward_long_chains():
    """7x7 over 16 channels: the input gradient's chains (784 products) are longer than one
    sgemm sums unbroken (sger updates); on 1 thread the weights' one chain as well."""
    rng = np.random.default_rng(11)
    x, wt, _ = _operands(rng, 2, 16, 20, 20, 40, 7, 7, relu=True)
    g = (rng.standard_normal((2, 40, 20, 20)) / 100).astype(np.float32)
    for threads in (2, 1):
        tx, tw, tb = _torch_grads(x, wt, g, 1, 3, True, threads)
        assert (bits(OC.conv2d_grad_input(g, wt, x.shape, 1, 3, threads=threads))
                == bits(tx)).all()
    gw = OC.conv2d_grad_weight(x, g, wt.shape, 1, 3, threads=1)
    assert (bits(gw) == bits(tw)).all()
    assert (bits(OC.conv2d_grad_bias(g, x.shape, wt.shape, 1, 3, threads=1)) == bits(tb)).all()


@exact
@pytest.mark.parametrize("shape", [(2, 16, 20, 20, 40, 7, 7, 1, 3),
                                   (2, 16, 20, 20, 40, 5, 5, 1, 2)], ids=str)
def test_backward_weight_split_known_misses(shape):
    assert _compare_backward(*shape, seed=1) == (0, 0, 0)


@exact
@pytest.mark.parametrize("shape", [BACKWARD_TUTORIALS[1], BACKWARD_TUTORIALS[2],
                                   BACKWARD_OTHERS[0], BACKWARD_OTHERS[7]], ids=str)
def test_backward_one_thread(shape):
    assert _compare_backward(*shape, threads=1, seed=sum(shape[:5])) == (0, 0, 0)


@exact
def test_backward_orders_are_not_trivial():
    """The emulated orders are not some other order that happens to agree: an unsplit
    chain (1 thread's order) differs on 2 threads where the batch is split, and the
    stride-1 order differs from the strided kernel's."""
    rng = np.random.default_rng(3)
    x, wt, _ = _operands(rng, 5, 16, 20, 20, 16, 3, 3, relu=True)
    g = rng.standard_normal((5, 16, 18, 18)).astype(np.float32)
    _, tw, tb = _torch_grads(x, wt, g, 1, 0, True, 2)
    one_w = OC.conv2d_grad_weight(x, g, wt.shape, threads=1)
    one_b = OC.conv2d_grad_bias(g, x.shape, wt.shape, threads=1)
    assert (bits(one_w) != bits(tw)).mean() > 0.3 and (one_b != tb).any()
    plan = OC._bwd_weights_plan(x.shape, wt.shape, 1, 0, 2)
    assert plan[0] == [(0, 45), (45, 90)]  # (rows: image 2 is cut at its 9th row)
    x, wt, _ = _operands(rng, 4, 16, 12, 12, 32, 3, 3)
    g = rng.standard_normal((4, 32, 5, 5)).astype(np.float32)
    tx, _, _ = _torch_grads(x, wt, g, 2, 0, True, 2)
    ok = OC.conv2d_grad_input(g, wt, x.shape, 2, 0)
    assert (bits(ok) == bits(tx)).all()
    x13 = np.zeros((4, 16, 13, 13), np.float32)  # (odd width: the other strided order)
    other = OC.conv2d_grad_input(g, wt, x13.shape, 2, 0)[:, :, :12, :12]
    assert (bits(other) != bits(tx)).mean() > 0.2


@exact
def test_strided_grad_input_order_probe():
    """Stride 2, even width: one chain per kernel column (over kernel row, then output
    channel), added in order; odd width: one chain over (row, column, channel)."""
    big = 2.0 ** 40
    for width, per_column in ((12, True), (11, False)):
        o, c = 4, 16
        x = torch.zeros(2, c, 11, width, requires_grad=True)
        w = torch.ones(o, c, 3, 3)
        y = F.conv2d(x, w, None, 2, 0)
        # input position (4, 4): taps (i, j) in {0, 2}^2 from outputs (2 - i/2, 2 - j/2)
        terms = [(oc, i, j) for i in (0, 2) for j in (0, 2) for oc in range(o)]
        for plus, minus in (((0, 0, 0), (1, 2, 0)), ((0, 0, 0), (1, 0, 2)),
                            ((3, 2, 0), (0, 0, 2))):
            g = torch.zeros_like(y)
            for oc, i, j in terms:
                v = big if (oc, i, j) == plus else -big if (oc, i, j) == minus else 1.0
                g[0, oc, 2 - i // 2, 2 - j // 2] = v
            got = torch.autograd.grad(y, x, g, retain_graph=True)[0][0, 0, 4, 4].item()
            # the documented order, in float32 (every product is exact)
            chains = ([[(oc, i, j) for i in (0, 2) for oc in range(o)] for j in (0, 2)]
                      if per_column else [terms])
            total = np.float32(0)
            for chain in chains:
                acc = np.float32(0)
                for t in chain:
                    v = big if t == plus else -big if t == minus else 1.0
                    acc = np.float32(acc + np.float32(v))
                total = np.float32(total + acc)
            assert got == float(total), (width, plus, minus)


def test_bwd_route_declines_unmapped():
    if not OC.emulated():
        assert OC.bwd_route((2, 16, 8, 8), (8, 16, 3, 3)) is None
        return
    assert OC.bwd_route((2, 16, 8, 8), (8, 16, 3, 3)) == "onednn"
    assert OC.bwd_route((1, 16, 10, 10), (8, 16, 3, 3)) == "native"  # (own path, batch 1)
    assert OC.bwd_route((2, 64, 8, 8), (64, 64, 1, 1), padding=1) is None  # (padded 1x1)
    assert OC.bwd_route((2, 32, 8, 8), (64, 16, 3, 3), groups=2) == "grouped"  # (_dw_conv_bwd)
    assert OC.bwd_route((2, 24, 8, 8), (24, 12, 3, 3), groups=2) is None  # (12 per group)
    assert OC.bwd_route((2, 16, 14, 14), (16, 16, 3, 3), dilation=2) is None
    assert OC.bwd_route((2, 16, 8, 8), (8, 16, 3, 3), dtype=np.float64) is None
    x = np.ones((2, 64, 8, 8), np.float32)
    g = np.ones((2, 4, 10, 10), np.float32)
    w = np.ones((4, 64, 1, 1), np.float32)
    assert OC.conv2d_grad_weight(x, g, w.shape, 1, 1) is None
    assert OC.conv2d_grad_input(g, w, x.shape, 1, 1) is None
    assert OC.conv2d_grad_bias(g, x.shape, w.shape, 1, 1) is None
    # stride 2, even width, 3 images of one channel block: the threads split the width
    g = np.ones((3, 8, 6, 6), np.float32)
    w = np.ones((8, 16, 3, 3), np.float32)
    assert OC.conv2d_grad_input(g, w, (3, 16, 12, 12), 2, 1) is None
    assert OC.conv2d_grad_input(g, w, (3, 16, 12, 12), 2, 1, threads=1) is not None
