"""Differential tests (against PyTorch) for recurrent layers and packed sequences: a small
seeded fuzz of RNN/LSTM/GRU configurations (float32, values and gradients bit for bit), the
autograd nodes of packing and padding (``PackPaddedSequenceBackward0``, ``CopySlices``), and
``pad_packed_sequence``'s argument errors."""
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from diff import measured_cpu  # noqa: E402


def _run(lib, i):
    """One random configuration ``i`` run with ``lib`` (torch or ember): its outputs and
    gradients as NumPy arrays."""
    nn = lib.nn
    rnn = lib.nn.utils.rnn
    rng = random.Random(i)
    kind = rng.choice(["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
    size_in, hidden, layers = rng.randint(2, 6), rng.randint(2, 6), rng.randint(1, 2)
    bi, bf, bias = rng.random() < .5, rng.random() < .5, rng.random() < .7
    drop = rng.choice([0.0, 0.3]) if layers > 1 else 0.0
    proj = rng.randint(1, hidden - 1) if kind == "LSTM" and rng.random() < .4 else 0
    packed, give_h = rng.random() < .5, rng.random() < .5
    steps, batch = rng.randint(1, 5), rng.randint(1, 4)
    lib.manual_seed(i)
    kw = dict(num_layers=layers, bidirectional=bi, batch_first=bf, bias=bias, dropout=drop)
    if kind == "LSTM":
        m = nn.LSTM(size_in, hidden, proj_size=proj, **kw)
    elif kind == "GRU":
        m = nn.GRU(size_in, hidden, **kw)
    else:
        m = nn.RNN(size_in, hidden, nonlinearity="tanh" if kind == "RNN_TANH" else "relu", **kw)
    m.train(rng.random() < .5)
    x = lib.randn(batch, steps, size_in) if bf else lib.randn(steps, batch, size_in)
    x.requires_grad_(True)
    dirs = 2 if bi else 1
    hx, leaves = None, [x]
    if give_h:
        h0 = lib.randn(layers * dirs, batch, proj or hidden, requires_grad=True)
        hx = h0
        leaves.append(h0)
        if kind == "LSTM":
            c0 = lib.randn(layers * dirs, batch, hidden, requires_grad=True)
            hx = (h0, c0)
            leaves.append(c0)
    inp = x
    if packed:
        lengths = [rng.randint(1, steps) for _ in range(batch)]
        inp = rnn.pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=False)
    out, hn = m(inp, hx)
    if packed:
        out = rnn.pad_packed_sequence(out, batch_first=bf, padding_value=-1.5)[0]
    states = list(hn) if kind == "LSTM" else [hn]
    loss = (out * lib.randn(out.shape)).sum()
    for k, h in enumerate(states):
        loss = loss + (h * (k + 1.5)).sum()
    loss.backward()
    res = [out, *states] + [t.grad for t in leaves] + [p.grad for p in m.parameters()]
    return [t.detach().numpy() for t in res]


@pytest.mark.parametrize("i", range(8))
def test_rnn_fuzz_float32_bits(i):
    exact = measured_cpu()  # (oneDNN's RNN kernels and MKL's products: bits there only)
    for a, b in zip(_run(torch, i), _run(ember, i), strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        if exact:
            assert a.tobytes() == b.tobytes()
        else:
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def _names(fn, depth=2):
    if fn is None or depth == 0:
        return None
    return (type(fn).__name__, [_names(f, depth - 1) for f, _ in fn.next_functions])


@pytest.mark.parametrize("batch_first", [False, True])
def test_packing_and_padding_nodes(batch_first):
    got = []
    for lib in (torch, ember):
        rnn = lib.nn.utils.rnn
        lib.manual_seed(0)
        x = lib.randn(*((3, 4, 2) if batch_first else (4, 3, 2)), requires_grad=True)
        p = rnn.pack_padded_sequence(x, [4, 2, 2], batch_first=batch_first)
        o, lengths = rnn.pad_packed_sequence(p, batch_first=batch_first, total_length=5)
        a = lib.randn(3, 2, requires_grad=True)
        b = lib.randn(2, 2, requires_grad=True)
        s = [rnn.pad_sequence([a, b], batch_first=batch_first, padding_side=side)
             for side in ("right", "left")]
        q = rnn.pack_sequence([b, a], enforce_sorted=False)
        (o.sum() * 2 + (p.data * lib.arange(16.).view(8, 2)).sum()).backward()
        (s[0] * lib.arange(12.).view(s[0].shape)).sum().backward()
        got.append([_names(p.data.grad_fn), _names(o.grad_fn), _names(s[0].grad_fn),
                    _names(s[1].grad_fn), _names(q.data.grad_fn), lengths.tolist(),
                    o.detach().numpy().tolist(), s[1].detach().numpy().tolist(),
                    x.grad.numpy().tolist(), a.grad.numpy().tolist()])
    assert got[0] == got[1]


def test_pad_packed_sequence_argument_errors():
    def msg(lib, fn):
        try:
            fn(lib)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
        return None

    cases = [
        lambda lib: lib.nn.utils.rnn.pad_packed_sequence(
            lib.nn.utils.rnn.pack_sequence([lib.ones(3, 1), lib.ones(2, 1)]), total_length=4.0),
        lambda lib: lib.nn.utils.rnn.pad_packed_sequence(
            lib.nn.utils.rnn.pack_sequence([lib.ones(3, 1), lib.ones(2, 1)]), total_length=2),
        lambda lib: lib.nn.utils.rnn.pad_packed_sequence((lib.ones(3), lib.tensor([2, 1]))),
    ]
    for case in cases:
        assert msg(torch, case) == msg(ember, case)
    out = ember.nn.utils.rnn.pad_packed_sequence(
        ember.nn.utils.rnn.pack_sequence([ember.ones(3, 1), ember.ones(2, 1)]),
        total_length=np.int64(4))[0]
    assert tuple(out.shape) == (4, 2, 1)
