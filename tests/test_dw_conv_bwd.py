"""Depthwise and grouped conv2d backward in PyTorch's (oneDNN's) order, bit for bit.

``ember._ops._dw_conv_bwd``: oneDNN's ``jit_dw`` backward kernels for depthwise convolutions
(``groups`` = C = O) and, per group, its direct kernels for groups of 16-multiple channels.
Checked: each gradient of ``F.conv2d`` (input, weight, bias) against PyTorch's as bits, on 1
and 2 threads; that shapes outside the mapped kernels fall back rather than guess; and a
MobileNet-style net (depthwise 3x3 + pointwise 1x1) trained from the same seed.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _dw_conv_bwd as DW, _onednn_conv as OC

from diff import assert_same_training, bits, classifier_steps, conv2d_grads, pinned_threads

torch = pytest.importorskip("torch")

exact = pytest.mark.skipif(
    not (OC.emulated() and OC._ger_ok() and torch.backends.mkldnn.is_available()),
    reason="PyTorch's conv2d order is reproduced only on the measured processor")


def _operands(shape, seed):
    n, c, o, groups, h, w, k, s, p = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = (rng.standard_normal((o, c // groups) + k) / 3).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    oh = (h + 2 * p - k[0]) // s + 1
    ow = (w + 2 * p - k[1]) // s + 1
    g = rng.standard_normal((n, o, oh, ow)).astype(np.float32)
    return x, wt, b, g


# (N, C, O, groups, H, W, (KH, KW), stride, padding)
DEPTHWISE = [
    (7, 16, 16, 16, 26, 26, (3, 3), 1, 0),  # the MobileNet-ish net below
    (32, 16, 16, 16, 12, 12, (3, 3), 1, 1),  # one channel block: the threads split the batch
    (5, 32, 32, 32, 14, 14, (3, 3), 2, 1),  # two blocks: the threads split the channels
    (3, 24, 24, 24, 9, 40, (3, 3), 1, 1),  # a padded channel block; column blocks of 15
    (2, 32, 32, 32, 5, 46, (3, 3), 1, 1),  # the last column block 16 wide (right padding)
    (1, 16, 16, 16, 40, 20, (3, 3), 1, 1),  # row blocks of 15
    (2, 96, 96, 96, 17, 33, (3, 3), 2, 0),
    (1, 8, 8, 8, 12, 12, (3, 3), 1, 1),  # a batch of 1
    (4, 20, 20, 20, 11, 9, (5, 5), 1, 2),  # weights by gemm:jit (not mapped): input only
    (3, 12, 12, 12, 10, 13, (3, 2), 2, 1),  # rectangular
    (6, 48, 48, 48, 8, 8, (2, 2), 1, 0),
    # more rows than one sgemm chunk of the weight chains: a chunk ends inside an image
    (12, 16, 16, 16, 47, 61, (3, 3), 1, 1),
]

WEIGHTS_UNMAPPED = {(4, 20, 20, 20, 11, 9, (5, 5), 1, 2)}

GROUPED = [
    (4, 32, 32, 2, 10, 10, (3, 3), 1, 1),
    (3, 48, 96, 3, 9, 11, (3, 3), 1, 1),  # 32 outputs per group: two blocks
    (8, 64, 64, 4, 8, 8, (3, 3), 2, 1),  # strided, 16 outputs per group: direct kernel
    (5, 32, 64, 2, 12, 9, (3, 3), 2, 1),  # strided, 32 per group (brgconv_strided)
    (6, 32, 64, 2, 12, 12, (3, 3), 2, 1),  # ... a width a multiple of the stride
    (16, 32, 32, 2, 6, 6, (5, 5), 1, 2),
    (2, 64, 32, 2, 13, 13, (3, 3), 1, 0),  # more than 9 output rows
]


@exact
@pytest.mark.parametrize("threads", [2, 1])
@pytest.mark.parametrize("shape", DEPTHWISE + GROUPED, ids=str)
def test_conv2d_backward_bits(shape, threads):
    with_threads = pinned_threads(torch, ember, threads)
    next(with_threads)
    try:
        seed = sum(shape[:6]) + threads
        got = conv2d_grads(ember, *_operands(shape, seed), shape[7], shape[8], 1, shape[3])
        want = conv2d_grads(torch, *_operands(shape, seed), shape[7], shape[8], 1, shape[3])
    finally:
        next(with_threads, None)
    for name, e, t in zip(("output", "input", "weight", "bias"), got, want, strict=True):
        assert e.shape == t.shape and e.dtype == t.dtype
        if name in ("weight", "bias") and shape in WEIGHTS_UNMAPPED:
            np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-4)  # (ember's own order)
        else:
            assert (bits(e) == bits(t)).all(), name


@exact
@pytest.mark.parametrize("shape,parts", [
    ((4, 20, 20, 20, 11, 9, (5, 5), 1, 2), (True, False)),  # kernel wider than 3: gemm:jit
    ((4, 16, 16, 16, 11, 9, (3, 3), 1, 2), (True, False)),  # padding over half the kernel
    ((4, 16, 16, 16, 11, 9, (3, 3), 4, 1), (True, False)),  # a stride wider than the kernel
    ((5, 32, 64, 2, 10, 10, (3, 3), 2, 2), (False, False)),  # brgconv, padding 2; AVX2
    ((3, 48, 96, 3, 12, 12, (3, 3), 2, 1), (False, True)),  # brgconv's threads may split
    ((1, 32, 32, 2, 12, 12, (3, 3), 1, 1), (True, False)),  # a batch of 1, grouped
], ids=str)
def test_unmapped_parts_fall_back(shape, parts):
    """Where oneDNN runs another kernel the functions say None (ember's own order runs)."""
    n, c, o, groups, h, w, k, s, p = shape
    x, wt, _, g = _operands(shape, 0)
    gx = OC.conv2d_grad_input(g, wt, x.shape, s, p, 1, groups, threads=2)
    gw = OC.conv2d_grad_weight(x, g, wt.shape, s, p, 1, groups, threads=2)
    gb = OC.conv2d_grad_bias(g, x.shape, wt.shape, s, p, 1, groups, threads=2)
    assert (gx is not None, gw is not None) == parts
    assert (gb is None) == (gw is None)


@exact
@pytest.mark.parametrize("shape", [(8, 32, 50, 3, 1, 1), (4, 16, 41, 3, 2, 1),
                                   (16, 64, 20, 2, 1, 0)], ids=str)
def test_depthwise_conv1d_backward_bits(shape):
    """conv1d runs as a conv2d of one row: the same depthwise kernels."""
    n, c, length, k, s, p = shape
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal((n, c, length)).astype(np.float32)
    w = rng.standard_normal((c, 1, k)).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    g = rng.standard_normal((n, c, (length + 2 * p - k) // s + 1)).astype(np.float32)
    with_threads = pinned_threads(torch, ember, 2)
    next(with_threads)
    try:
        res = []
        for mod in (ember, torch):
            ts = [mod.tensor(a, requires_grad=True) for a in (x, w, b)]
            mod.nn.functional.conv1d(*ts, s, p, 1, c).backward(mod.tensor(g))
            res.append([t.grad.numpy() for t in ts])
    finally:
        next(with_threads, None)
    for e, t in zip(*res, strict=True):
        assert (bits(e) == bits(t)).all()


def _input_grad(mod, x, w, g, stride, padding):
    ts = [mod.tensor(a, requires_grad=True) for a in (x, w)]
    mod.nn.functional.conv2d(*ts, None, stride, padding, 1, x.shape[1]).backward(mod.tensor(g))
    return ts[0].grad.numpy()


@exact
@pytest.mark.parametrize("case", ["halfway", "tiny"])
def test_input_gradient_double_rounding(case):
    """Sums where float64 then float32 would round twice: a float64 sum exactly halfway
    between two float32 (1 + 2**-23, then + (1 + 2**-23) * 2**-24 * (1 - 2**-23)), and sums
    in float32's subnormal range."""
    rng = np.random.default_rng(5)
    if case == "halfway":
        n, c, h, wd, k, s, p = 2, 3, 4, 9, (1, 2), 1, 0
        w = np.empty((c, 1) + k, np.float32)
        w[..., 0] = 1
        w[..., 1] = np.float32(2.0 ** -24 * (1 - 2.0 ** -23))
        g = np.full((n, c, h, wd - 1), 1 + 2.0 ** -23, np.float32)
        g[1] *= rng.choice([1.0, -1.0], g[1].shape).astype(np.float32)
    else:
        n, c, h, wd, k, s, p = 3, 5, 7, 8, (3, 3), 2, 1
        w = (rng.standard_normal((c, 1) + k) * 1e-19).astype(np.float32)
        g = (rng.standard_normal((n, c, 4, 4)) * 1e-19).astype(np.float32)
    x = rng.standard_normal((n, c, h, wd)).astype(np.float32)
    with_threads = pinned_threads(torch, ember, 2)
    next(with_threads)
    try:
        got, want = (_input_grad(mod, x, w, g, s, p) for mod in (ember, torch))
    finally:
        next(with_threads, None)
    assert (bits(got) == bits(want)).all()
    if case == "halfway":  # (rounding float64 sums to float32 would differ)
        w1 = w[None, :, 0, 0, 1, None, None].astype(np.float64)
        naive = (g[..., :-1] * w1 + g[..., 1:]).astype(np.float32)
        assert (bits(naive) != bits(got[..., 1:-1])).any()


def test_weight_chain_order():
    """Rows in blocks of 15; more than 30 columns in blocks of 15, the last one holding
    the rest (15 more where the rest does not reach past the right padding)."""
    assert DW._column_blocks(30, 0) == [(0, 30)]
    assert DW._column_blocks(40, 0) == [(0, 15), (15, 30), (30, 40)]
    assert DW._column_blocks(46, 0) == [(0, 15), (15, 30), (30, 45), (45, 46)]
    assert DW._column_blocks(46, 1) == [(0, 15), (15, 30), (30, 46)]
    assert DW._column_blocks(45, 1) == [(0, 15), (15, 30), (30, 45)]
    order = DW._image_order(16, 2, 0)
    assert order[:30].tolist() == list(range(30)) and order[30:].tolist() == [30, 31]
    order = DW._image_order(16, 46, 1)
    assert order[:3].tolist() == [0, 1, 2] and order[15:17].tolist() == [46, 47]
    assert order[15 * 15:15 * 15 + 2].tolist() == [15, 16] and len(set(order)) == 16 * 46
    assert DW._batch_runs(5, 16, 2) == [(0, 3), (3, 5)]
    assert DW._batch_runs(5, 17, 2) == [(0, 5)]
    assert DW._batch_runs(5, 16, 1) == [(0, 5)]


def _mobile(mod):
    nn = mod.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(),
        nn.Conv2d(16, 16, 3, groups=16), nn.ReLU(),
        nn.Conv2d(16, 32, 1), nn.Flatten(),
        nn.Linear(32 * 24 * 24, 10))


def _train(mod, batch, steps=5):
    mod.manual_seed(0)
    model = _mobile(mod)
    opt = mod.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = mod.randn(steps * batch, 1, 28, 28)
    y = mod.randint(0, 10, (steps * batch,))
    return classifier_steps(mod, model, opt, x, y, batch, steps)


@exact
@pytest.mark.parametrize("batch", [7, 32])
def test_mobilenet_training_bit_for_bit(batch):
    with_threads = pinned_threads(torch, ember, 2)
    next(with_threads)
    try:
        ours, theirs = _train(ember, batch), _train(torch, batch)
    finally:
        next(with_threads, None)
    assert_same_training(ours, theirs)


@exact
@pytest.mark.parametrize("x_shape,w_shape,groups,s,p", [
    ((1, 2, 3, 15), (2, 1, 2, 2), 2, (1, 1), (0, 2)),  # depthwise: a window in the padding
    ((1, 16, 12, 2), (16, 1, 5, 6), 16, (1, 2), (4, 5)),  # depthwise: past the unroll
    ((3, 64, 7, 2), (64, 16, 5, 7), 4, (1, 1), (3, 3)),  # grouped: kernel wider than input
], ids=str)
def test_gemm_jit_shapes_not_claimed(x_shape, w_shape, groups, s, p):
    """Shapes where oneDNN runs ``gemm:jit`` for the pass a review found claimed and wrong
    (the depthwise forwards, the grouped input gradient): not claimed, and PyTorch's values
    to rounding (a pass still claimed: its bits)."""
    from ember._ops import _onednn_conv as OC

    rng = np.random.default_rng(9)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32)
    y = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), None, s, p, 1, groups)
    g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    claims = (OC.conv2d(x, w, b, s, p, 1, groups) is not None,
              OC.conv2d_grad_input(g, w, x_shape, s, p, 1, groups) is not None)
    assert claims[0 if groups == x_shape[1] else 1] is False
    got = conv2d_grads(ember, x, w, b, g, s, p, 1, groups)
    want = conv2d_grads(torch, x, w, b, g, s, p, 1, groups)
    for e, t, claimed in zip(got[:2], want[:2], claims):
        if claimed:
            np.testing.assert_array_equal(bits(e), bits(t))
        np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-4)
