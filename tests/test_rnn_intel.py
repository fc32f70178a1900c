"""PyTorch's float32 recurrent layers on the CPU, bit for bit on both measured processors
(the AMD one and the Intel one of ``ember._ops._mkl_gemm.profile``; elsewhere close).

- ``nn.LSTM`` on padded input runs oneDNN's LSTM (``ember.nn._functional._onednn_rnn``,
  gated on its ``emulated()``): forward (inference and training) and, where
  ``mapped_backward`` says so, every gradient, over random configurations; the shapes it does
  not map (one hidden unit, one input feature's gradient, one step of a batch of one) stay
  close.
- ``nn.RNN``, ``nn.GRU``, the cells and an LSTM off oneDNN (packed, ``proj_size``, oneDNN
  disabled) run PyTorch's own loop: MKL's products (Intel order, ``_intel_plan``), Sleef's
  sigmoid and MKL's ``tanh``. They are PyTorch's bits where ember's float32 ``tanh`` is
  PyTorch's (checked on a sample: ``_tanh_exact``); the rest of the loop is checked bit for
  bit with PyTorch's own ``tanh`` put in ember's place.
- The Intel products these need beyond ``_intel_plan``'s general region: one row times a
  matrix by rows (a batch of one's backward ``grad @ W_hh``, a ``Linear(H, 1)`` head's
  weight gradient), ``a.t() @ x`` for one feature, ``Linear(1, G)`` with a bias (K = 1).
"""
from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import ember
from ember._ops import _mkl_gemm
from ember.nn._functional import _onednn_rnn

torch = pytest.importorskip("torch")

onednn = pytest.mark.skipif(not _onednn_rnn.emulated(),
                            reason="oneDNN's LSTM orders are mapped on two processors only")
products = pytest.mark.skipif(_mkl_gemm.profile() is None,
                              reason="MKL's product orders are mapped on two processors only")


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint32)


def _differ(a, b):
    assert a.shape == b.shape
    return int((_bits(a) != _bits(b)).sum())


@functools.lru_cache(maxsize=None)
def _tanh_exact() -> bool:
    """Whether ember's float32 tanh is PyTorch's here (on a sample of every magnitude)."""
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.standard_normal(50_000) * 3, rng.standard_normal(2000) * 1e-3,
                        rng.uniform(-12, 12, 5000)]).astype(np.float32)
    return _differ(torch.from_numpy(x).tanh().numpy(), ember.from_numpy(x).tanh().numpy()) == 0


def _run(lib, mode, shape, kw, state, grad, seed=0, packed=None, loss_seed=1):
    """A seeded layer of ``mode`` on a random input: outputs (and, with ``grad``, the input's
    and every parameter's gradient of a random weighting of the outputs)."""
    steps, batch, feat, hid = shape
    lib.manual_seed(seed)
    m = getattr(lib.nn, mode)(feat, hid, **kw)
    rng = np.random.default_rng(seed)
    bf = kw.get("batch_first", False)
    x = lib.from_numpy(rng.standard_normal((batch, steps, feat) if bf else (steps, batch, feat))
                       .astype(np.float32))
    if grad:
        x.requires_grad_(True)
    args = []
    if state:
        d = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        h0 = lib.from_numpy(rng.standard_normal((d, batch, kw.get("proj_size", 0) or hid))
                            .astype(np.float32))
        if mode == "LSTM":
            args.append((h0, lib.from_numpy(rng.standard_normal((d, batch, hid))
                                            .astype(np.float32))))
        else:
            args.append(h0)
    inp = x if packed is None else lib.nn.utils.rnn.pack_padded_sequence(x, packed,
                                                                         batch_first=bf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (proj_size: "not supported with oneDNN")
        if grad:
            out, hidden = m(inp, *args)
        else:
            with lib.no_grad():
                out, hidden = m(inp, *args)
    if packed is not None:
        out = out.data
    outs = [out] + (list(hidden) if isinstance(hidden, tuple) else [hidden])
    res = [t.detach().numpy().copy() for t in outs]
    if grad:
        g = np.random.default_rng(loss_seed)
        loss = 0
        for t in outs:
            loss = loss + (t * lib.from_numpy(g.standard_normal(tuple(t.shape))
                                              .astype(np.float32))).sum()
        loss.backward()
        res.append(x.grad.numpy().copy())
        res += [p.grad.numpy().copy() for p in m.parameters()]
    return res


def _compare(mode, shape, kw, state, grad, exact, **k):
    t = _run(torch, mode, shape, kw, state, grad, **k)
    e = _run(ember, mode, shape, kw, state, grad, **k)
    assert len(t) == len(e)
    for i, (a, b) in enumerate(zip(t, e)):
        if exact(i):
            assert _differ(a, b) == 0, f"{mode} {shape} {kw} state={state} grad={grad}: " \
                                       f"result {i}: {_differ(a, b)} of {a.size} differ"
        else:
            np.testing.assert_allclose(b, a, rtol=2e-4, atol=2e-5)


def _configs(seed, n, small=False):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        feat = int(rng.choice([rng.integers(1, 24), rng.integers(24, 100)], p=[.7, .3]))
        hid = int(rng.choice([rng.integers(1, 24), rng.integers(24, 80)], p=[.7, .3]))
        steps = int(rng.integers(1, 6))
        batch = int(rng.choice([1, rng.integers(2, 7), rng.integers(7, 20)]))
        kw = {}
        if rng.random() < .3:
            kw["num_layers"] = int(rng.integers(2, 4))
        if rng.random() < .3:
            kw["bidirectional"] = True
        if rng.random() < .4:
            kw["batch_first"] = True
        if rng.random() < .15:
            kw["bias"] = False
        yield (steps, batch, feat, hid), kw, bool(rng.random() < .5), bool(rng.random() < .6)


# -- nn.LSTM through oneDNN -----------------------------------------------------------------

@onednn
def test_lstm_onednn_random_configs():
    """Forward bit for bit wherever :func:`mapped` says so, gradients wherever
    :func:`mapped_backward` does (else close), over random layers."""
    claimed = 0
    for i, (shape, kw, state, grad) in enumerate(_configs(2026, 18)):
        steps, batch, feat, hid = shape
        layers, bidir = kw.get("num_layers", 1), bool(kw.get("bidirectional"))
        fwd = _onednn_rnn.mapped(feat, hid, batch, layers, bidir, grad, steps)
        bwd = grad and _onednn_rnn.mapped_backward(feat, hid, batch, steps, layers, bidir)
        claimed += fwd + bwd
        _compare("LSTM", shape, kw, state, grad, lambda k: fwd if k < 3 else bwd, seed=i)
    assert claimed >= 20


@onednn
def test_lstm_one_step_of_one_inference():
    """One step of a batch of one with as many features as hidden units: oneDNN's inference
    forward sums one chain over ``(x, h0)`` there (a given h0 shows it)."""
    for i, (shape, kw) in enumerate([((1, 1, 16, 16), {}), ((1, 1, 86, 86), {}),
                                     ((1, 1, 115, 86), {"num_layers": 2}),
                                     ((1, 1, 24, 24), {"bidirectional": True})]):
        _compare("LSTM", shape, kw, True, False, lambda k: True, seed=i)


@onednn
def test_lstm_unmapped_shapes_stay_close():
    """Shapes whose oneDNN orders are not mapped: claimed by neither function, and close."""
    cases = [((4, 3, 1, 16), {}),       # one input feature: x's and dW_ih summed otherwise
             ((4, 3, 8, 1), {}),        # one hidden unit
             ((1, 1, 300, 20), {}),     # one step of a batch of one, training
             ((1, 1, 90, 72), {})]
    for i, (shape, kw) in enumerate(cases):
        steps, batch, feat, hid = shape
        assert not _onednn_rnn.mapped_backward(feat, hid, batch, steps, 1, False)
        _compare("LSTM", shape, kw, False, True, lambda k: False, seed=i)
    # without the input's gradient one feature is mapped: the weights' gradients hold
    assert _onednn_rnn.mapped_backward(1, 16, 3, 4, 1, False, input_grad=False)


def _train(lib, mode, feat, hid, steps, batch, opt, head, loss, iters=3, seed=0):
    """A user's model: ``mode(feat, hid, batch_first=True)`` and a Linear head on the last
    step, trained ``iters`` steps; every parameter afterwards and the last loss."""
    lib.manual_seed(seed)

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(lib.nn, mode)(feat, hid, batch_first=True)
            self.fc = lib.nn.Linear(hid, head)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.fc(out[:, -1])

    net = Net()
    o = (lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9) if opt == "sgd"
         else lib.optim.Adam(net.parameters(), lr=1e-2))
    rng = np.random.default_rng(seed)
    for _ in range(iters):
        x = lib.from_numpy(rng.standard_normal((batch, steps, feat)).astype(np.float32))
        if loss == "mse":
            y = lib.from_numpy(rng.standard_normal((batch, head)).astype(np.float32))
            value = lib.nn.functional.mse_loss(net(x), y)
        else:
            y = lib.from_numpy(rng.integers(0, head, batch))
            value = lib.nn.functional.cross_entropy(net(x), y)
        o.zero_grad()
        value.backward()
        o.step()
    return [p.detach().numpy().copy() for p in net.parameters()] + \
        [np.float32(value.item())]


def _same_training(mode, *args, exact=True):
    t = _train(torch, mode, *args)
    e = _train(ember, mode, *args)
    for i, (a, b) in enumerate(zip(t, e)):
        if exact:
            assert _differ(a, b) == 0, f"{mode} {args}: result {i}: {_differ(a, b)} differ"
        else:
            np.testing.assert_allclose(b, a, rtol=1e-3, atol=1e-5)


@onednn
@products
def test_lstm_with_linear_head_trains_like_pytorch():
    """``nn.LSTM(F, H, batch_first=True)`` and a Linear head, a few SGD and Adam steps: every
    weight bit for bit (oneDNN's forward and backward, MKL's products, the optimisers)."""
    for args in [(10, 20, 5, 4, "adam", 5, "ce"), (8, 32, 12, 16, "sgd", 3, "mse"),
                 (6, 16, 7, 1, "sgd", 4, "ce"),
                 (1, 16, 6, 8, "adam", 1, "mse")]:  # (a series of one feature, one output)
        _same_training("LSTM", *args)


@products
def test_gru_and_char_rnn_training():
    """GRU and an ``nn.RNN`` char-RNN with a Linear head: PyTorch's own loop, bit for bit
    where ember's tanh is PyTorch's, close otherwise."""
    exact = _tanh_exact()
    for mode, args in [("GRU", (10, 20, 5, 4, "adam", 5, "ce")),
                       ("GRU", (1, 24, 8, 16, "sgd", 1, "mse")),
                       ("RNN", (30, 64, 12, 8, "adam", 30, "ce")),
                       ("RNN", (20, 32, 9, 1, "sgd", 20, "ce"))]:  # (a batch of one)
        _same_training(mode, *args, exact=exact)


# -- PyTorch's own loop: RNN, GRU, cells, LSTM off oneDNN -----------------------------------

def _own_loop_cases():
    packed = [6, 6, 4, 3, 2]
    return [
        ("RNN", (7, 5, 16, 32), {}, None),
        ("RNN", (5, 3, 10, 20), {"nonlinearity": "relu", "num_layers": 2,
                                 "bidirectional": True}, None),
        ("RNN", (6, 5, 12, 24), {"batch_first": True}, packed),
        ("GRU", (7, 5, 16, 32), {"num_layers": 2}, None),
        ("GRU", (5, 3, 10, 20), {"batch_first": True, "bidirectional": True}, None),
        ("GRU", (6, 5, 12, 24), {"bidirectional": True}, packed),
        ("LSTM", (6, 5, 12, 24), {"num_layers": 2, "bidirectional": True}, packed),
        ("LSTM", (5, 4, 10, 20), {"proj_size": 6, "num_layers": 2}, None),
        ("GRU", (5, 20, 30, 64), {}, None),
        ("RNN", (6, 1, 9, 24), {"num_layers": 2}, None),  # (batches of one)
        ("GRU", (5, 1, 1, 16), {"batch_first": True}, None),
        ("LSTM", (5, 1, 7, 12), {"proj_size": 4}, None),
    ]


def _own_loop(exact_tanh):
    for i, (mode, shape, kw, packed) in enumerate(_own_loop_cases()):
        exact = exact_tanh or kw.get("nonlinearity") == "relu"
        _compare(mode, shape, kw, i % 2 == 1, True, lambda k: exact, packed=packed)
    old = torch.backends.mkldnn.enabled, ember.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = ember.backends.mkldnn.enabled = False
    try:
        _compare("LSTM", (7, 5, 16, 32), {"batch_first": True}, True, True,
                 lambda k: exact_tanh)
    finally:
        torch.backends.mkldnn.enabled, ember.backends.mkldnn.enabled = old
    rng = np.random.default_rng(4)
    for cell, kw in [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
                     ("GRUCell", {})]:
        res = []
        for lib in (torch, ember):
            lib.manual_seed(3)
            m = getattr(lib.nn, cell)(12, 20, **kw)
            x = lib.from_numpy(rng.standard_normal((6, 12)).astype(np.float32))
            x.requires_grad_(True)
            out = m(x)
            out = out if isinstance(out, tuple) else (out,)
            m2 = sum((o * (k + 1.5)).sum() for k, o in enumerate(out))
            (m2 if cell != "RNNCell" else (out[0] ** 2).sum()).backward()
            res.append([o.detach().numpy() for o in out] + [x.grad.numpy()]
                       + [p.grad.numpy() for p in m.parameters()])
            rng = np.random.default_rng(4)
        exact = exact_tanh or kw.get("nonlinearity") == "relu"
        for a, b in zip(*res):
            if exact:
                assert _differ(a, b) == 0, cell
            else:
                np.testing.assert_allclose(b, a, rtol=2e-4, atol=2e-5)


@products
def test_own_loop_layers_and_cells():
    """RNN (tanh, relu), GRU, the cells and LSTM off oneDNN: bit for bit where ember's tanh is
    PyTorch's (relu always), close otherwise."""
    _own_loop(_tanh_exact())


@products
def test_own_loop_is_exact_but_for_tanh(monkeypatch):
    """The same with PyTorch's own tanh put in place of ember's float32 one: every other part
    of the loop (products, sigmoid, gradients) is PyTorch's bit for bit on this processor."""
    from ember._ops import pointwise

    def tanh(x):
        x = np.asarray(x)
        if x.dtype != np.float32:
            return np.tanh(x)
        return torch.from_numpy(np.ascontiguousarray(x)).tanh().numpy()

    if np.tanh not in pointwise._VML:
        pytest.skip("ember's float32 tanh no longer dispatches through pointwise._VML")
    monkeypatch.setitem(pointwise._VML, np.tanh, tanh)
    x = (np.random.default_rng(2).standard_normal(5000) * 3).astype(np.float32)
    assert _differ(torch.from_numpy(x).tanh().numpy(), ember.from_numpy(x).tanh().numpy()) == 0
    _own_loop(True)


@products
def test_intel_sgemv_products():
    """The products a recurrent layer's backward takes at a batch of one or one feature:
    PyTorch's bits wherever ember claims them (on Intel: for K < 256)."""
    rng = np.random.default_rng(17)
    intel = _mkl_gemm.profile() == "intel"
    for _ in range(60):
        k = int(rng.integers(1, 256))
        n = int(rng.choice([rng.integers(2, 40), rng.integers(40, 400)]))
        scale = float(rng.choice([1.0, 1e-3, 1e3]))
        a = (rng.standard_normal((1, k)) * scale).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        g = rng.standard_normal((k, n)).astype(np.float32)
        x = rng.standard_normal((k, 1)).astype(np.float32)
        w = rng.standard_normal((n, 1)).astype(np.float32)
        bias = rng.standard_normal(n).astype(np.float32)
        cases = [(lambda L, a=a, b=b: L.from_numpy(a) @ L.from_numpy(b), a, b),
                 (lambda L, g=g, x=x: L.from_numpy(g).t() @ L.from_numpy(x), g.T, x),
                 (lambda L, x=x, w=w, bias=bias: L.nn.functional.linear(
                     L.from_numpy(x), L.from_numpy(w), L.from_numpy(bias)), x, w.T)]
        for j, (fn, lhs, rhs) in enumerate(cases):
            if not _mkl_gemm.covered(lhs, rhs):
                assert not intel or j == 2 and k < 16, (j, k, n)  # (K = 1, M < 16: aside)
                continue
            assert _differ(fn(torch).numpy(), fn(ember).numpy()) == 0, (j, k, n)
