"""Seeded CNN training prints PyTorch's losses bit for bit.

A float32 conv2d/conv1d now runs backward in oneDNN's summation order too
(``ember._ops._onednn_conv.conv2d_grad_*``), its weight gradient's long FMA chains summed by
chained sgemm calls (``ember._ops._chain.outer_chain``).  Checked here: the chain engine
against exact float32 FMAs, each gradient of ``F.conv2d``/``F.conv1d`` against PyTorch's, and
small CNNs trained from the same seed in ember and in PyTorch (every ``loss.item()`` and
every parameter after training, as bits).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _chain, _onednn_conv as OC
from ember._random import _fma32

from diff import (assert_same_training, bits, classifier_steps, conv2d_grads,
                  conv_exact, pinned_threads)

torch = pytest.importorskip("torch")

exact = conv_exact(torch)


@pytest.fixture(autouse=True, params=[2])
def _threads(request):
    yield from pinned_threads(torch, ember, request.param)


# -- the chain engine ----------------------------------------------------------------------

def _fma_reference(u, v, runs):
    total = None
    for r0, r1 in runs:
        acc = np.zeros((u.shape[1], v.shape[1]), np.float32)
        for r in range(r0, r1):
            acc = _fma32(np.broadcast_to(u[r][:, None], acc.shape),
                         np.broadcast_to(v[r][None], acc.shape), acc)
        total = acc if total is None else total + acc
    return total


@exact
@pytest.mark.parametrize("r,p,q,cut", [(1, 1, 1, None), (447, 3, 5, None), (2000, 70, 9, 900),
                                       (1500, 9, 130, None), (1200, 64, 64, 1), (900, 200, 3, 450)],
                         ids=str)
def test_outer_chain_is_one_fma_chain(r, p, q, cut, monkeypatch):
    """Chains longer than one sgemm call, several row blocks, either side smaller, runs cut
    anywhere, and (a small buffer) chunks that end inside a call's span."""
    monkeypatch.setattr(_chain, "_CHUNK", 5000)
    rng = np.random.default_rng(r + p + q)
    u = rng.standard_normal((r, p)).astype(np.float32)
    v = (rng.standard_normal((r, q)) * (rng.random((r, q)) < 0.6)).astype(np.float32)
    runs = [(0, r)] if cut is None else [(0, cut), (cut, r)]

    def fill(r0, r1, uu, vv):
        uu[...] = u[r0:r1]
        vv[...] = v[r0:r1]

    got = _chain.outer_chain(runs, p, q, fill, OC._KMAX)
    assert (bits(got) == bits(_fma_reference(u, v, runs))).all()
    # (the chain's roundings show: it is not the sum rounded once)
    if r > 100:
        assert (bits(got) != bits(u.astype(np.float64).T @ v)).any()


@exact
def test_outer_chain_non_finite_sums():
    """An infinity would spread through the carried identity's zeros: such a chain is summed
    again one exact rank-1 update at a time (inf stays in its own column, NaN where inf
    meets -inf)."""
    u = np.ones((600, 2), np.float32)
    v = np.ones((600, 3), np.float32)
    u[10, 0] = np.inf
    u[500, 0] = -np.inf
    v[20, 2] = np.inf

    def fill(r0, r1, uu, vv):
        uu[...] = u[r0:r1]
        vv[...] = v[r0:r1]

    got = _chain.outer_chain([(0, 300), (300, 600)], 2, 3, fill, OC._KMAX)
    with np.errstate(invalid="ignore"):
        want = np.float32([[np.inf, np.inf, np.inf], [300, 300, np.inf]]) + \
            np.float32([[-np.inf, -np.inf, -np.inf], [300, 300, 300]])
    assert np.isnan(want[0]).all()
    assert (bits(got) == bits(want)).all()


# -- F.conv2d / F.conv1d gradients -----------------------------------------------------------

# (N, C, H, W, O, K, stride, padding, bias)
GRAD_SHAPES = [
    (64, 1, 28, 28, 32, 3, 1, 0, True),  # MNIST first layer
    (64, 32, 13, 13, 64, 3, 1, 1, True),
    (16, 3, 32, 32, 6, 5, 1, 0, True),  # CIFAR tutorial
    (16, 6, 14, 14, 16, 5, 1, 0, False),
    (8, 16, 16, 16, 32, 3, 2, 1, True),
    (4, 16, 20, 20, 24, 7, 1, 3, True),  # 7x7: 784-term input-gradient chains
    (4, 16, 14, 14, 16, 2, 3, 0, True),  # stride 3 over 2x2: rows no tap reaches
]


def _grads(mod, shape, seed):
    n, c, h, w, o, k, s, p, bias = shape
    rng = np.random.default_rng(seed)
    x = np.maximum(rng.standard_normal((n, c, h, w)), 0 if c > 3 else -9).astype(np.float32)
    wt = (rng.standard_normal((o, c, k, k)) / (c * k * k) ** 0.5).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    g = (rng.standard_normal((n, o, oh, ow)) / 50).astype(np.float32)
    return conv2d_grads(mod, x, wt, b if bias else None, g, s, p)


@exact
@pytest.mark.parametrize("shape", GRAD_SHAPES, ids=str)
def test_conv2d_gradients_bit_for_bit(shape):
    seed = sum(shape[:6])
    for e, t in zip(_grads(ember, shape, seed), _grads(torch, shape, seed), strict=True):
        assert e.shape == t.shape
        assert (bits(e) == bits(t)).all()


@exact
@pytest.mark.parametrize("n,c,l,o,k,p", [(32, 8, 50, 16, 3, 1), (16, 1, 100, 8, 5, 2)], ids=str)
def test_conv1d_gradients_bit_for_bit(n, c, l, o, k, p):
    out = []
    for mod in (ember, torch):
        mod.manual_seed(n + c)
        conv = mod.nn.Conv1d(c, o, k, padding=p)
        x = mod.randn(n, c, l)
        conv(x).square().sum().backward()
        out.append([conv.weight.grad.numpy(), conv.bias.grad.numpy()])
    for e, t in zip(*out, strict=True):
        assert (bits(e) == bits(t)).all()


# -- seeded CNN training ------------------------------------------------------------------

def _cnn(nn, kind):
    if kind == "mnist":
        return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 10))
    if kind == "padded":
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(),
                             nn.Linear(64, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 5, stride=2), nn.ReLU(),  # "strided"
                         nn.Conv2d(16, 16, 3, bias=False), nn.ReLU(), nn.Flatten(),
                         nn.Linear(16 * 10 * 10, 10))


def _train(mod, kind, opt_name, steps=6, batch=32):
    mod.manual_seed(0)
    model = _cnn(mod.nn, kind)
    opt = (mod.optim.SGD(model.parameters(), lr=0.05, momentum=0.9) if opt_name == "sgd"
           else mod.optim.Adam(model.parameters(), lr=1e-3))
    x = mod.randn(steps * batch, 1, 28, 28)
    y = mod.randint(0, 10, (steps * batch,))
    return classifier_steps(mod, model, opt, x, y, batch, steps)


@exact
@pytest.mark.parametrize("kind,opt_name", [("mnist", "sgd"), ("padded", "adam"),
                                           ("strided", "sgd")])
def test_cnn_training_bit_for_bit(kind, opt_name):
    assert_same_training(_train(ember, kind, opt_name), _train(torch, kind, opt_name))


# -- transposed convolutions (oneDNN's deconvolution) -----------------------------------------

# (N, C_in, C_out, H, K, stride, padding, output_padding)
DECONV_SHAPES = [
    (16, 100, 64, 1, 4, 1, 0, 0),  # DCGAN: the latent vector to 4x4
    (16, 64, 32, 4, 4, 2, 1, 0),
    (16, 16, 1, 16, 4, 2, 1, 0),  # to one channel: the bias gradient per image
    (8, 32, 16, 7, 3, 2, 1, 1),  # output padding
    (8, 16, 3, 10, 3, 1, 1, 0),
    (5, 8, 2, 9, 3, 2, 0, 1),
]


def _deconv(mod, nd, shape, seed):
    n, ci, co, h, k, s, p, op = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, ci) + (h,) * nd).astype(np.float32)
    w = (rng.standard_normal((ci, co) + (k,) * nd) / 10).astype(np.float32)
    b = rng.standard_normal(co).astype(np.float32)
    ts = [mod.tensor(a, requires_grad=True) for a in (x, w, b)]
    f = mod.nn.functional.conv_transpose2d if nd == 2 else mod.nn.functional.conv_transpose1d
    y = f(*ts, s, p, op)
    g = (rng.standard_normal(tuple(y.shape)) / 10).astype(np.float32)
    y.backward(mod.tensor(g))
    return [y.detach().numpy()] + [t.grad.numpy() for t in ts]


@exact
@pytest.mark.parametrize("nd", [2, 1])
@pytest.mark.parametrize("shape", DECONV_SHAPES, ids=str)
def test_conv_transpose_bit_for_bit(shape, nd):
    seed = sum(shape)
    for e, t in zip(_deconv(ember, nd, shape, seed), _deconv(torch, nd, shape, seed),
                    strict=True):
        assert e.shape == t.shape
        assert (bits(e) == bits(t)).all()


def _autoencoder(mod, steps=5, batch=16):
    nn = mod.nn
    mod.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 4, 2, 1),
                          nn.ReLU(), nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(),
                          nn.ConvTranspose2d(16, 1, 4, 2, 1), nn.Sigmoid())
    opt = mod.optim.Adam(model.parameters(), lr=1e-3)
    x = mod.rand(steps * batch, 1, 28, 28)
    losses = []
    for i in range(steps):
        xb = x[i * batch:(i + 1) * batch]
        loss = nn.functional.mse_loss(model(xb), xb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item().hex())
    return losses


@exact
def test_conv_autoencoder_training_bit_for_bit():
    assert _autoencoder(ember) == _autoencoder(torch)


# -- channels-last: PyTorch's reading of strides (size-1 dims included) ----------------------

@pytest.mark.parametrize("shape", [(8, 1, 12, 12), (1, 3, 1, 1), (1, 1, 5, 5), (8, 1, 1, 1),
                                   (2, 4, 1, 5), (2, 3, 4, 4)], ids=str)
def test_memory_format_strides_with_size_one_dims(shape):
    """``to``/``empty``/``*_like``/``clone`` lay size-1 dims out as PyTorch does: its
    suggested memory format (which also picks oneDNN's kernels) reads those strides."""
    def strides(mod):
        cl = mod.channels_last
        x = mod.zeros(shape).to(memory_format=cl)
        y = x.to(memory_format=cl)
        return [x.stride(), y is x, x.to(memory_format=mod.contiguous_format).stride(),
                mod.empty(shape, memory_format=cl).stride(), mod.empty_like(x).stride(),
                mod.zeros_like(x).stride(), x.clone().stride(), (x + 1).stride(),
                x.contiguous().stride(), mod.zeros(shape).to(memory_format=cl).is_contiguous()]
    assert strides(ember) == strides(torch)


def test_to_memory_format_records_a_copy():
    out = []
    for mod in (ember, torch):
        x = mod.randn(2, 3, 4, 4, requires_grad=True)
        y = x.to(memory_format=mod.channels_last)
        y.sum().backward()
        out.append((y.grad_fn.name(), x.to(memory_format=mod.contiguous_format) is x,
                    x.to(mod.float64, memory_format=mod.channels_last).grad_fn.name(),
                    x.grad.stride()))
    assert out[0] == out[1]


def test_channels_last_conv_is_not_claimed_exact():
    """PyTorch runs oneDNN's channels-last kernels then (other orders, not mapped): ember
    keeps its own order there, within float32 rounding, with PyTorch's output strides."""
    out = []
    for mod in (ember, torch):
        mod.manual_seed(0)
        conv = mod.nn.Conv2d(32, 16, 3, padding=1).to(memory_format=mod.channels_last)
        x = mod.randn(4, 32, 10, 10).to(memory_format=mod.channels_last).requires_grad_()
        y = conv(x)
        y.square().sum().backward()
        out.append([y.stride(), x.grad.stride(), conv.weight.grad.stride()] +
                   [t.detach().numpy() for t in (y, x.grad, conv.weight.grad)])
    assert out[0][:3] == out[1][:3]
    for e, t in zip(out[0][3:], out[1][3:], strict=True):
        np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-4)
