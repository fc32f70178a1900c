"""PyTorch's float32 ``nn.LSTM`` on padded CPU input runs through oneDNN: ember's forward
values (output, h_n, c_n) must equal PyTorch's bit for bit there, with gradient mode off
(oneDNN's inference forward) and on (its training forward), and so must the gradients
(oneDNN's backward) where its orders are mapped (see ``ember.nn._functional._onednn_rnn``).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _mkl_gemm
from ember.nn._functional import _onednn_rnn

torch = pytest.importorskip("torch")

exact = pytest.mark.skipif(not _onednn_rnn.emulated(),
                           reason="oneDNN's orders are mapped on other processors only")
# (PyTorch's own loop also needs MKL's tanh, reproduced on the AMD processor only)
own_loop_exact = pytest.mark.skipif(not _mkl_gemm.emulated(),
                                    reason="MKL's tanh is reproduced on another processor only")


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint32)


def _same_bits(a, b, what):
    assert a.shape == b.shape, what
    differ = int((_bits(a) != _bits(b)).sum())
    assert differ == 0, f"{what}: {differ} of {a.size} elements differ"


def _forward(lib, shape, kw, state, seed=0, grad=False):
    steps, batch, feat, hid = shape
    lib.manual_seed(seed)
    m = lib.nn.LSTM(feat, hid, **kw)
    rng = np.random.default_rng(seed)
    dims = (batch, steps, feat) if kw.get("batch_first") else (steps, batch, feat)
    x = lib.from_numpy(rng.standard_normal(dims).astype(np.float32))
    if grad:
        x.requires_grad_(True)
    args = [x]
    if state:
        d = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        args.append(tuple(lib.from_numpy(rng.standard_normal((d, batch, hid))
                                         .astype(np.float32)) for _ in range(2)))
    if not grad:
        with lib.no_grad():
            out, (h, c) = m(*args)
    else:
        out, (h, c) = m(*args)
    return m, x, out, h, c


CASES = [
    ((7, 5, 16, 32), {}, False),
    ((6, 3, 16, 16), {"num_layers": 3, "bidirectional": True}, True),
    ((5, 4, 24, 24), {"num_layers": 2}, True),   # F == H: one chain over (x, h)
    ((5, 1, 20, 20), {"num_layers": 2}, False),  # ... but not for a batch of one
    ((4, 3, 10, 40), {"batch_first": True, "bias": False}, True),
    ((3, 2, 500, 12), {}, False),                # a chain longer than one BLAS call
    ((9, 6, 40, 20), {"bidirectional": True, "batch_first": True}, False),
    ((3, 2, 391, 12), {}, True),                 # training: a chain cut in two halves
    ((3, 3, 16, 400), {}, False),                # ... the recurrent one too
    ((4, 1, 30, 20), {"num_layers": 2, "bidirectional": True}, True),
]


@exact
@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad"])
@pytest.mark.parametrize("shape,kw,state", CASES)
def test_forward_bits(shape, kw, state, grad):
    """With gradient mode on PyTorch runs oneDNN's training forward (other products)."""
    _, _, ot, ht, ct = _forward(torch, shape, kw, state, grad=grad)
    _, _, oe, he, ce = _forward(ember, shape, kw, state, grad=grad)
    for what, a, b in (("output", ot, oe), ("h_n", ht, he), ("c_n", ct, ce)):
        _same_bits(a.detach().numpy(), b.detach().numpy(), what)


def _train(lib, shape, kw, state, seed=0):
    """Forward with every input and parameter requiring grad, then a backward of a random
    weighting of output, h_n and c_n: every result and gradient."""
    m, x, out, h, c = _forward(lib, shape, kw, state, seed=seed, grad=True)
    rng = np.random.default_rng(seed + 7)
    loss = 0
    for t in (out, h, c):
        loss = loss + (t * lib.from_numpy(rng.standard_normal(tuple(t.shape))
                                          .astype(np.float32))).sum()
    loss.backward()
    res = [out.detach().numpy(), h.detach().numpy(), c.detach().numpy(), x.grad.numpy()]
    return res + [p.grad.numpy() for p in m.parameters()], out.grad_fn.name()


BACKWARD = [
    ((7, 5, 16, 32), {}, False),
    ((6, 3, 12, 20), {"num_layers": 2, "bidirectional": True}, True),
    ((5, 4, 24, 24), {"num_layers": 2, "batch_first": True}, True),
    ((4, 1, 10, 64), {}, True),            # a batch of one: its recurrent product in halves
    ((4, 3, 10, 40), {"bias": False, "bidirectional": True}, False),
    ((3, 4, 400, 100), {}, False),         # chains over 384 products: in halves
]


@exact
@pytest.mark.parametrize("shape,kw,state", BACKWARD)
def test_backward_bits(shape, kw, state):
    """oneDNN's backward: input, h0/c0 and every parameter's gradient bit for bit."""
    t, tname = _train(torch, shape, kw, state)
    e, ename = _train(ember, shape, kw, state)
    assert ename == tname
    assert len(t) == len(e)
    for i, (a, b) in enumerate(zip(t, e)):
        _same_bits(a, b, f"result {i}")


@exact
def test_backward_bits_one_thread():
    """On one thread a batch of one keeps its recurrent product in one chain."""
    from ember._ops import _cascade

    old = torch.get_num_threads(), _cascade.intraop_threads, ember.get_num_threads()
    torch.set_num_threads(1)
    ember.set_num_threads(1)
    try:
        t, _ = _train(torch, (4, 1, 10, 64), {}, True)
        e, _ = _train(ember, (4, 1, 10, 64), {}, True)
    finally:
        torch.set_num_threads(old[0])
        ember.set_num_threads(old[2])
        _cascade.intraop_threads = old[1]
    for i, (a, b) in enumerate(zip(t, e)):
        _same_bits(a, b, f"result {i}")


@exact
def test_unmapped_backward_stays_close():
    """Where oneDNN's backward orders are not mapped (products over more than 768 terms:
    here 800 steps times rows) the values are oneDNN's and the gradients ember's own
    loop's, close to PyTorch's."""
    shape = (40, 20, 8, 12)
    from ember.nn._functional._onednn_rnn import mapped_backward
    assert not mapped_backward(8, 12, 20, 40, 1, False)
    t, _ = _train(torch, shape, {}, False)
    e, _ = _train(ember, shape, {}, False)
    for i in range(3):
        _same_bits(t[i], e[i], f"result {i}")
    for a, b in zip(t[3:], e[3:]):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


@exact
def test_functional_entry_point():
    """``torch.lstm(input, hx, params, ...)`` takes the same path."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 2, 8)).astype(np.float32)
    h0 = np.zeros((1, 2, 16), np.float32)
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(1)
        m = lib.nn.LSTM(8, 16)
        with lib.no_grad():
            outs.append(lib.lstm(lib.from_numpy(x), (lib.from_numpy(h0), lib.from_numpy(h0)),
                                 m._flat_weights, True, 1, 0.0, False, False, False))
    for a, b in zip(*outs):
        _same_bits(a.numpy(), b.numpy(), "torch.lstm")


@own_loop_exact
def test_mkldnn_off_keeps_pytorchs_own_loop():
    """With oneDNN off PyTorch (and ember) run the own loop: the values differ from
    oneDNN's, and ember follows the switch."""
    shape = (7, 5, 16, 32)
    old = torch.backends.mkldnn.enabled, ember.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = ember.backends.mkldnn.enabled = False
    try:
        _, _, ot, ht, ct = _forward(torch, shape, {}, False)
        _, _, oe, he, ce = _forward(ember, shape, {}, False)
    finally:
        torch.backends.mkldnn.enabled, ember.backends.mkldnn.enabled = old
    _same_bits(ot.numpy(), oe.numpy(), "output")
    _, _, on, _, _ = _forward(torch, shape, {}, False)
    assert (_bits(on.numpy()) != _bits(ot.numpy())).any()


@exact
def test_tanh_and_sigmoid_of_onednn():
    """The gate functions alone, against oneDNN's eltwise primitive run by PyTorch
    (``torch.tanh``/``torch.sigmoid`` on an mkldnn tensor)."""
    x = np.concatenate([
        (np.random.default_rng(0).standard_normal(20000) * 3).astype(np.float32),
        np.array([0, -0.0, 1e-4, 4.2e-4, 9.0, -9.1, 20, 1e-30, 88.7, -88.8, -100],
                 np.float32)])
    xt = torch.from_numpy(x).to_mkldnn()
    _same_bits(torch.tanh(xt).to_dense().numpy(), _onednn_rnn.tanh(x), "tanh")
    _same_bits(torch.sigmoid(xt).to_dense().numpy(), _onednn_rnn.sigmoid(x), "sigmoid")


def test_chain_matches_exact_fmas():
    """The BLAS shortcut of the FMA chain equals exact float32 FMAs (any machine)."""
    rng = np.random.default_rng(5)
    for n, g, k in ((1, 12, 5), (7, 40, 33), (3, 8, 600)):
        a = rng.standard_normal((n, k)).astype(np.float32)
        w = rng.standard_normal((g, k)).astype(np.float32)
        _same_bits(_onednn_rnn._chain(a, w), _onednn_rnn._fma_chain(a, w), str((n, g, k)))
