"""Round 2 of the conv speed work on ``ember._ops._onednn_conv``: the same bits.

Strided forwards now read the input's stride phases as flat planes (``_phases``: each tap a
stride-1 run of one phase, so the columns are copied in runs, not per window), stride-1
passes pad each row with one margin (``_flat_padded``: a tap left of a row reads the row
above's right margin), a strided input gradient writes each phase into its place, and the
weight gradient pads and transposes its input in one copy.  None of it may change a bit:
forwards and the three gradients against PyTorch over strided, dilated, padded, odd and
non-finite shapes, the transposed convolution (whose input gradient is a strided forward),
and the two helpers' layouts against plain zero padding.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _onednn_conv as OC

from diff import bits, conv2d_grads, conv_exact, pinned_threads

torch = pytest.importorskip("torch")

exact = conv_exact(torch)


@pytest.fixture(autouse=True)
def _threads():
    yield from pinned_threads(torch, ember, 2)


def _same_or_close(e, t, exact_bits):
    assert e.shape == t.shape
    if exact_bits:
        assert (bits(e) == bits(t)).all()
    else:
        np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-4, equal_nan=True)


def _check_conv(rng, n, c, h, w, o, kh, kw, s, p, d, nonfinite=False):
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((o, c, kh, kw)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    if nonfinite:
        flat = x.reshape(-1)
        flat[rng.integers(0, flat.size, 3)] = [np.inf, -np.inf, np.nan]
    oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    g = rng.standard_normal((n, o, oh, ow)).astype(np.float32)
    got = conv2d_grads(ember, x, wt, b, g, s, p, d)
    want = conv2d_grads(torch, x, wt, b, g, s, p, d)
    fwd = OC.covered(x.shape, wt.shape, s, p, d)
    bwd = OC.bwd_route(x.shape, wt.shape, s, p, d) is not None
    for i, (e, t) in enumerate(zip(got, want, strict=True)):
        # (a gradient is exact where its pass is mapped; ember then gives None from no pass)
        exact_bits = fwd if i == 0 else bwd and (
            (i == 1 and OC.conv2d_grad_input(g, wt, x.shape, s, p, d) is not None)
            or (i == 2 and OC.conv2d_grad_weight(x, g, wt.shape, s, p, d) is not None)
            or (i == 3 and OC.conv2d_grad_bias(g, x.shape, wt.shape, s, p, d) is not None))
        if nonfinite and i == 2:
            continue  # (a non-finite weight gradient's NaN payloads are not compared)
        _same_or_close(e, t, exact_bits)


# (n, c, h, w, o, kh, kw, stride, padding, dilation)
_STRIDED = [
    (4, 1, 28, 28, 8, 3, 3, (2, 2), (1, 1), (1, 1)),
    (3, 16, 13, 11, 32, 3, 3, (2, 2), (1, 1), (1, 1)),
    (3, 8, 17, 17, 16, 3, 3, (2, 2), (0, 0), (1, 1)),
    (2, 20, 15, 16, 24, 5, 5, (2, 2), (2, 2), (1, 1)),
    (2, 3, 33, 31, 8, 7, 7, (2, 2), (3, 3), (1, 1)),
    (2, 16, 20, 20, 16, 3, 3, (3, 3), (1, 1), (1, 1)),
    (2, 17, 19, 23, 18, 4, 4, (4, 4), (1, 1), (1, 1)),
    (2, 16, 18, 18, 32, 3, 3, (2, 2), (1, 1), (2, 2)),
    (3, 5, 9, 12, 7, 3, 2, (1, 3), (1, 0), (2, 1)),
    (5, 12, 11, 13, 9, 3, 5, (3, 2), (1, 2), (1, 1)),
    (6, 16, 10, 10, 16, 2, 3, (2, 1), (0, 1), (1, 1)),
    (2, 40, 9, 9, 20, 3, 3, (2, 2), (1, 1), (1, 1)),
    (2, 64, 8, 8, 40, 3, 3, (2, 2), (0, 0), (1, 1)),
    (3, 8, 9, 10, 8, 1, 1, (2, 2), (0, 0), (1, 1)),  # (uneven 1x1: the direct kernel)
    (1, 8, 16, 16, 16, 3, 3, (2, 2), (1, 1), (1, 1)),
    (1, 3, 40, 40, 8, 11, 11, (4, 4), (2, 2), (1, 1)),
    (64, 16, 12, 12, 32, 3, 3, (2, 2), (1, 1), (1, 1)),
]


@exact
def test_strided_forward_and_gradients_bits():
    rng = np.random.default_rng(11)
    for shape in _STRIDED:
        _check_conv(rng, *shape)
    for i in range(16):  # random strided shapes, some dilated
        k = int(rng.integers(1, 6))
        s = (int(rng.integers(1, 4)), int(rng.integers(2, 4)))
        d = (int(rng.integers(1, 3)),) * 2 if i % 5 == 0 else (1, 1)
        p = (int(rng.integers(0, k // 2 + 1)), int(rng.integers(0, k // 2 + 1)))
        h = int(rng.integers(d[0] * (k - 1) + 2, 20))
        _check_conv(rng, int(rng.integers(1, 5)), int(rng.integers(1, 36)), h,
                    h + int(rng.integers(0, 3)), int(rng.integers(1, 36)), k, k, s, p, d)


@exact
def test_padded_stride1_margins_bits():
    rng = np.random.default_rng(12)
    cases = [
        (64, 1, 28, 28, 32, 3, 3, (1, 1), (1, 1), (1, 1)),  # (the tutorial's layers)
        (64, 32, 14, 14, 64, 3, 3, (1, 1), (1, 1), (1, 1)),
        (3, 16, 21, 21, 16, 3, 3, (1, 1), (2, 2), (2, 2)),
        (2, 16, 9, 12, 24, 5, 3, (1, 1), (2, 0), (1, 1)),
        (2, 16, 9, 12, 24, 3, 5, (1, 1), (0, 2), (1, 1)),
        (2, 20, 11, 7, 16, 4, 4, (1, 1), (1, 2), (1, 1)),
        (1, 24, 12, 12, 16, 3, 3, (1, 1), (1, 1), (1, 1)),
        (5, 33, 6, 6, 17, 2, 2, (1, 1), (1, 1), (1, 1)),
    ]
    for j, shape in enumerate(cases):
        _check_conv(rng, *shape, nonfinite=j % 3 == 2)
    for _ in range(3):  # non-finite inputs: the margins' garbage columns are dropped
        _check_conv(rng, 2, 16, 10, 10, 16, 3, 3, (1, 1), (1, 1), (1, 1), nonfinite=True)
        _check_conv(rng, 2, 16, 11, 10, 16, 3, 3, (2, 2), (1, 1), (1, 1), nonfinite=True)


def _deconv(mod, x, w, b, g, s, p, op):
    ts = [mod.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = mod.nn.functional.conv_transpose2d(*ts, stride=s, padding=p, output_padding=op)
    y.backward(mod.tensor(g))
    return [y.detach().numpy()] + [t.grad.numpy() for t in ts]


@exact
def test_conv_transpose_strided_bits():
    from ember._ops import _onednn_deconv as D

    rng = np.random.default_rng(13)
    for n, c, h, o, k, s, p, op in ((8, 32, 13, 16, 4, 2, 1, 0), (3, 16, 7, 8, 3, 2, 1, 0),
                                    (2, 20, 6, 12, 5, 3, 2, 0), (2, 16, 9, 16, 4, 2, 1, 0),
                                    (4, 3, 8, 5, 3, 2, 0, 1)):
        x = rng.standard_normal((n, c, h, h + 1)).astype(np.float32)
        w = rng.standard_normal((c, o, k, k)).astype(np.float32)
        b = rng.standard_normal(o).astype(np.float32)
        y = D.out_shape(x.shape, w.shape, s, p, op)
        g = rng.standard_normal(y).astype(np.float32)
        exact_bits = D.route(x.shape, w.shape, s, p, op) is not None
        for e, t in zip(_deconv(ember, x, w, b, g, s, p, op),
                        _deconv(torch, x, w, b, g, s, p, op), strict=True):
            _same_or_close(e, t, exact_bits)


def test_phases_layout():
    rng = np.random.default_rng(14)
    for n, c, h, w, s, p in ((2, 3, 7, 9, (2, 2), (1, 1)), (1, 2, 8, 5, (3, 2), (2, 0)),
                             (2, 1, 5, 6, (1, 4), (0, 3)), (1, 4, 6, 6, (2, 3), (3, 1))):
        x = rng.standard_normal((n, c, h, w)).astype(np.float32)
        hp, wp = h + 2 * p[0], w + 2 * p[1]
        got = OC._phases(x, p, s, hp, wp)
        xp = np.zeros((n, c, hp, wp), np.float32)
        xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
        hq, wq = -(-hp // s[0]), -(-wp // s[1])
        assert got.shape == (n, s[0] * s[1] * c, hq, wq)
        for a in range(s[0]):
            for b in range(s[1]):
                want = np.zeros((n, c, hq, wq), np.float32)
                part = xp[:, :, a::s[0], b::s[1]]
                want[:, :, :part.shape[2], :part.shape[3]] = part
                at = (a * s[1] + b) * c
                assert (bits(got[:, at:at + c]) == bits(want)).all()


def test_flat_padded_reads_as_zero_padding():
    rng = np.random.default_rng(15)
    for n, c, h, w, top, bottom, left, right, width in (
            (2, 3, 5, 6, 1, 1, 1, 1, 0), (1, 2, 4, 4, 2, 0, 2, 1, 0), (1, 1, 3, 5, 0, 2, 0, 3, 9),
            (2, 2, 4, 3, 0, 0, 0, 0, 0), (1, 2, 3, 3, 0, 1, 2, 0, 4)):
        x = rng.standard_normal((n, c, h, w)).astype(np.float32)
        a, rows_above, pitch = OC._flat_padded(x, top, bottom, left, right, width)
        assert pitch >= max(width, w + max(left, right)) and rows_above >= top
        flat = a.reshape(n, c, -1)
        # every read (row r, column q) of the zero-padded input, r in -top .. h + bottom - 1,
        # q in -left .. w + right - 1, at (r + rows_above) * pitch + q of the flat plane
        for r in range(-top, h + bottom):
            for q in range(-left, w + right):
                want = x[:, :, r, q] if 0 <= r < h and 0 <= q < w else 0
                at = (r + rows_above) * pitch + q
                assert 0 <= at < flat.shape[2]
                assert (flat[:, :, at] == want).all()


def _bn_train(mod, x, w, b, g):
    xt = mod.tensor(x, requires_grad=True)
    wt, bt = mod.tensor(w, requires_grad=True), mod.tensor(b, requires_grad=True)
    rm, rv = mod.zeros(x.shape[1]), mod.ones(x.shape[1])
    y = mod.nn.functional.batch_norm(xt, rm, rv, wt, bt, training=True, momentum=0.1)
    y.backward(mod.tensor(g))
    return [y.detach().numpy(), rm.numpy(), rv.numpy(), xt.grad.numpy(), wt.grad.numpy(),
            bt.grad.numpy()]


def test_batch_norm_statistics_bits():
    # (the per-channel sums now run down channels-last rows, each column in order)
    rng = np.random.default_rng(16)
    for j, shape in enumerate(((64, 32, 28, 28), (8, 2, 5, 5), (3, 5, 7), (4, 3, 2, 2, 2),
                               (2, 17, 1, 3), (5, 4, 9, 1))):
        for kind in range(3):
            x = rng.standard_normal(shape).astype(np.float32)
            x *= np.float32(10.0 ** rng.integers(-12, 12))
            if kind == 1:  # (zeros of both signs; a channel of -0 alone)
                x.reshape(-1)[::5] = -0.0
                x[:, 0] = -0.0
            if kind == 2 and j:
                x.reshape(-1)[rng.integers(0, x.size, 2)] = [np.inf, -np.inf]
            c = shape[1]
            w = rng.standard_normal(c).astype(np.float32)
            b = rng.standard_normal(c).astype(np.float32)
            g = rng.standard_normal(shape).astype(np.float32)
            with np.errstate(all="ignore"):
                got = _bn_train(ember, x, w, b, g)
            want = _bn_train(torch, x, w, b, g)
            for e, t in zip(got, want, strict=True):
                assert e.shape == t.shape and (bits(e) == bits(t)).all()
