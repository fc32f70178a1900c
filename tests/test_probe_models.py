"""Differential probes found by training whole small models (char-level LSTM language models,
regression MLPs, metric-learning losses) with ember and with PyTorch and comparing every
number bit for bit: the LSTM's dropout between layers, the order gradients are summed in where
a tensor feeds several ops, and the scalar tails of the smooth L1 and Huber backward kernels."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from diff import measured_cpu

torch = pytest.importorskip("torch")

LIBS = (ember, torch)


def arrays(values):
    return [v.detach().numpy() if hasattr(v, "detach") else np.asarray(v) for v in values]


def assert_same(fn, rtol=None, atol=None):
    """``fn(ember)`` is ``fn(torch)`` bit for bit; with ``rtol``, only on the measured processor
    (elsewhere within ``rtol``/``atol``: the run goes through MKL's or oneDNN's kernels, whose
    bits ember reproduces there only, see ``diff.measured_cpu``)."""
    got, want = arrays(fn(ember)), arrays(fn(torch))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        if rtol is None or g.dtype.kind not in "fc" or measured_cpu():
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)


# -- LSTM with dropout between its layers -------------------------------------------------

@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("grad", [True, False])
def test_lstm_dropout_between_layers(bidirectional, grad):
    def run(L):
        L.manual_seed(0)
        lstm = L.nn.LSTM(3, 4, num_layers=3, dropout=0.3, batch_first=True,
                         bidirectional=bidirectional)
        x = L.randn(2, 4, 3, requires_grad=grad)
        with L.set_grad_enabled(grad):
            out, (h, c) = lstm(x)
        res = [out, h, c, L.rand(3)]  # (the masks drawn: the generator's state after)
        if grad:
            (out.sum() + h.pow(2).sum()).backward()
            res += [x.grad] + [p.grad for p in lstm.parameters()]
        return res
    assert_same(run, rtol=1e-4, atol=1e-5)


def test_lstm_dropout_where_the_backward_is_ember_own():
    # (a shape oneDNN's backward is not mapped for: the values are oneDNN's forward, the
    # gradients flow through ember's own loop, which must draw the same masks again)
    def run(L):
        L.manual_seed(1)
        lstm = L.nn.LSTM(2, 3, num_layers=2, dropout=0.5)
        out, (h, c) = lstm(L.randn(20, 40, 2, requires_grad=True))
        return [out, h, c, L.rand(3)]
    assert_same(run, rtol=1e-4, atol=1e-5)


def test_char_lm_training_steps():
    def run(L):
        L.manual_seed(0)
        emb, fc = L.nn.Embedding(20, 8), L.nn.Linear(12, 20)
        lstm = L.nn.LSTM(8, 12, num_layers=2, batch_first=True, dropout=0.2)
        params = [*emb.parameters(), *lstm.parameters(), *fc.parameters()]
        data = L.randint(0, 20, (4, 17))
        h, losses = None, []
        for step in range(2):
            xb, yb = data[:, step * 8:step * 8 + 8], data[:, step * 8 + 1:step * 8 + 9]
            if h is not None:
                h = tuple(s.detach() for s in h)
            out, h = lstm(emb(xb), h)
            loss = L.nn.functional.cross_entropy(fc(out).reshape(-1, 20), yb.reshape(-1))
            loss.backward()
            L.nn.utils.clip_grad_norm_(params, 5.0)
            with L.no_grad():  # (by hand: PyTorch's first optimizer step takes seconds)
                for p in params:
                    p -= 0.5 * p.grad
                    p.grad = None
            losses.append(loss)
        return losses + [h[0], h[1]]
    assert_same(run, rtol=1e-3, atol=1e-4)


# -- gradients summed where a tensor feeds several ops --------------------------------------

def test_broadcast_tensors_returns_a_tensor_of_that_shape_itself():
    for L in LIBS:
        a = L.randn(3, 4, requires_grad=True)
        c = L.randn(1, 4, requires_grad=True)
        x, y = L.broadcast_tensors(a, c)
        assert x is a and x.grad_fn is None
        assert type(y.grad_fn).__name__ == "ExpandBackward0"
        (z,) = L.broadcast_tensors(a)
        assert z is a


def _consumers(name):
    def loss(L, a, b, t):
        F = L.nn.functional
        return {
            "poisson": lambda: F.poisson_nll_loss(a, t),
            "poisson_full": lambda: F.poisson_nll_loss(a, t * 3, full=True),
            "cossim": lambda: F.cosine_similarity(a, b).sum(),
            "cossim_bc": lambda: F.cosine_similarity(a, a[:1]).sum(),
            "cossim_bc2": lambda: F.cosine_similarity(a[:1] * 2, a).sum(),
        }[name]()
    return loss


@pytest.mark.parametrize("name", ["poisson", "poisson_full", "cossim", "cossim_bc",
                                  "cossim_bc2"])
@pytest.mark.parametrize("first", [True, False])
def test_gradients_summed_in_pytorch_order(name, first):
    loss = _consumers(name)

    def run(L):
        L.manual_seed(0)
        lin, lin2 = L.nn.Linear(4, 8), L.nn.Linear(4, 8)
        x, t = L.randn(6, 4), L.rand(6, 8)
        a, b = lin(x), lin2(x)
        a.retain_grad()
        other = ((a - t) ** 2).mean()
        total = loss(L, a, b, t) + other if first else other + loss(L, a, b, t)
        total.backward()
        return [total, a.grad, lin.weight.grad, lin.bias.grad]
    assert_same(run, rtol=1e-5, atol=1e-6)


def test_cosine_similarity_graph():
    def walk(fn):
        if fn is None:
            return None
        return type(fn).__name__, [walk(f) for f, _ in fn.next_functions]

    got = []
    for L in LIBS:
        a = L.randn(3, 4, requires_grad=True) * 1
        got.append((walk(L.nn.functional.cosine_similarity(a, a[:1]).grad_fn),
                    walk(L.nn.functional.cosine_similarity(a, a * 2).grad_fn)))
    assert got[0] == got[1]


# -- smooth L1 and Huber backward: vector blocks and scalar tails -----------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss,param", [("smooth_l1_loss", "beta"), ("huber_loss", "delta")])
@pytest.mark.parametrize("value", [0.3, 0.7])
def test_regression_loss_backward_tails(dtype, reduction, loss, param, value):
    dt = getattr(np, dtype)
    rng = np.random.default_rng(int(value * 10))
    cases = []
    for n in (5, 31, 47, 200):
        x = (rng.standard_normal(n) * value * 1.5).astype(dt)
        y = (rng.standard_normal(n) * 0.1).astype(dt)
        y[-4:] = 0  # differences at the parameter, rounded to the dtype, in the tail
        x[-1], x[-2] = dt(value), -dt(value)
        x[-3] = np.nextafter(dt(value), dt(1))
        x[-4] = -np.nextafter(dt(value), dt(0))
        cases.append((x, y))

    def run(L):
        res = []
        for x, y in cases:
            a, b = L.tensor(x, requires_grad=True), L.tensor(y, requires_grad=True)
            out = getattr(L.nn.functional, loss)(a, b, reduction=reduction, **{param: value})
            if reduction == "none":
                (out * L.linspace(0.5, 1.5, out.numel(), dtype=out.dtype)).sum().backward()
            else:
                (out * 1.7).backward()
            res += [out, a.grad, b.grad]
        return res
    assert_same(run)


@pytest.mark.parametrize("loss,param", [("smooth_l1_loss", "beta"), ("huber_loss", "delta")])
def test_regression_loss_backward_broadcast_target(loss, param):
    # (an (N, 1) prediction against an (N,) target: PyTorch warns, broadcasts to (N, N) and
    # its kernel, with two operands of stride 0, runs every value in its scalar code)
    def run(L):
        L.manual_seed(0)
        a = L.randn(31, 1, requires_grad=True)
        b = L.randn(31) * 0.1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = getattr(L.nn.functional, loss)(a, b, **{param: 0.3})
        out.backward()
        return [out, a.grad]
    assert_same(run)


def test_regression_mlp_with_four_losses():
    def run(L):
        nn = L.nn
        L.manual_seed(3)
        X = L.linspace(-2, 2, 200).unsqueeze(1)
        Y = X ** 3 - X + 0.1 * L.randn_like(X)
        net = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(),
                            nn.Linear(32, 1))
        res = []
        for lf in [nn.MSELoss(), nn.L1Loss(), nn.HuberLoss(delta=0.5),
                   nn.SmoothL1Loss(beta=0.3)]:
            for _ in range(3):
                loss = lf(net(X), Y)
                loss.backward()
                with L.no_grad():
                    for p in net.parameters():
                        p -= 0.05 * p.grad
                        p.grad.zero_()
            res.append(loss)
        return res + list(net.parameters())
    assert_same(run, rtol=1e-3, atol=1e-4)


# -- attention in evaluation: which masks PyTorch's fused kernels take -------------------------

@pytest.mark.parametrize("case", ["float_mask", "bool_mask", "float_mask_weights",
                                  "float_padding", "bool_padding", "decoder_layer",
                                  "encoder_layer", "encoder_layer_hooked"])
def test_attention_fast_path_masks(case):
    # (a float mask as given keeps MultiheadAttention off its fused kernel; the fused encoder
    # layer takes float masks, having made them so itself)
    def run(L):
        nn = L.nn
        L.manual_seed(0)
        mha = nn.MultiheadAttention(16, 4, batch_first=True).eval()
        enc = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True).eval()
        dec = nn.TransformerDecoderLayer(16, 4, 32, batch_first=True).eval()
        t, mem = L.randn(3, 4, 16), L.randn(3, 5, 16)
        causal = nn.Transformer.generate_square_subsequent_mask(4)
        pad = L.tensor([[False] * 4, [False] * 3 + [True], [False, True, True, True]])
        with L.no_grad():
            if case == "float_mask":
                return mha(t, t, t, attn_mask=causal, need_weights=False)[:1]
            if case == "bool_mask":
                return mha(t, t, t, attn_mask=causal < 0, need_weights=False)[:1]
            if case == "float_mask_weights":
                return mha(t, t, t, attn_mask=causal, is_causal=True)
            if case == "float_padding":
                return mha(t, t, t, key_padding_mask=pad.float() * -1e9, need_weights=False)[:1]
            if case == "bool_padding":
                return mha(t, t, t, key_padding_mask=pad)
            if case == "decoder_layer":
                return [dec(t, mem, tgt_mask=causal, tgt_is_causal=True)]
            if case == "encoder_layer_hooked":
                enc.linear1.register_forward_hook(lambda *a: None)
            return [enc(t, src_mask=causal < 0, src_key_padding_mask=pad)]
    assert_same(run, rtol=1e-5, atol=1e-5)
