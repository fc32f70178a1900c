"""Differential probes of the sequence modules against PyTorch (the same case run by both
libraries in one process, weights copied across through state dicts): recurrent layers on
packed input, GRU gradients' signed zeros, EmbeddingBag's per-sample-weight gradients, and
the errors of the recurrent and attention layers."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember._ops import _mkl_gemm

torch = pytest.importorskip("torch")

exact = pytest.mark.skipif(not _mkl_gemm.emulated(),
                           reason="PyTorch's (MKL's, oneDNN's) orders are mapped on another "
                                  "processor only")


def _np(t):
    return None if t is None else t.detach().numpy()


def _same_bits(a, b):
    assert (a is None) == (b is None)
    if a is None:
        return
    assert a.shape == b.shape and a.dtype == b.dtype
    if a.dtype.kind == "f":
        differ = int((a.reshape(-1).view(np.uint8) != b.reshape(-1).view(np.uint8)).sum())
        assert differ == 0, f"{differ} of {a.size} elements differ"
    else:
        assert np.array_equal(a, b)


def _load(lib, make, sd):
    m = make(lib)
    m.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in sd.items()})
    return m


def _state(make, seed=0):
    torch.manual_seed(seed)
    return {k: v.detach().numpy().copy() for k, v in make(torch).state_dict().items()}


# -- recurrent layers on packed input ---------------------------------------------------------

def _packed_run(lib, make, sd, x, lengths, enforce_sorted, h0, batch_first=False):
    m = _load(lib, make, sd)
    xin = lib.from_numpy(x.copy()).requires_grad_(True)
    hs = None if h0 is None else tuple(lib.from_numpy(h.copy()).requires_grad_(True)
                                       for h in h0)
    packed = lib.nn.utils.rnn.pack_padded_sequence(xin, lengths, batch_first=batch_first,
                                                   enforce_sorted=enforce_sorted)
    if hs is None:
        out, st = m(packed)
    else:
        out, st = m(packed, hs if len(hs) == 2 else hs[0])
    padded, lens = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first)
    sts = list(st) if isinstance(st, tuple) else [st]
    g = np.random.default_rng(1)
    loss = 0
    for o in [padded] + sts:
        loss = loss + (o * lib.from_numpy(
            g.standard_normal(tuple(o.shape)).astype(np.float32))).sum()
    loss.backward()
    res = [_np(out.data), _np(padded), _np(lens)] + [_np(s) for s in sts] + [_np(xin.grad)]
    res += [_np(h.grad) for h in hs or ()]
    res += [_np(p.grad) for _, p in m.named_parameters()]
    return res, out.data.grad_fn.name()


UNIFORM = [
    # (make, T, B, F, lengths, enforce_sorted, with h0, batch_first)
    (lambda T: T.nn.LSTM(5, 5), 6, 1, 5, [6], True, False, False),
    (lambda T: T.nn.LSTM(5, 7, 2, bidirectional=True), 4, 3, 5, [4, 4, 4], False, True, False),
    (lambda T: T.nn.LSTM(3, 6, batch_first=True), 3, 2, 3, [3, 3], True, True, True),
    (lambda T: T.nn.LSTM(4, 6, 3), 2, 4, 4, [2, 2, 2, 2], True, False, False),
    (lambda T: T.nn.LSTM(4, 6, bias=False), 5, 2, 4, [5, 5], False, False, False),
]


@exact
@pytest.mark.parametrize("case", range(len(UNIFORM)))
def test_packed_lstm_of_equal_lengths_runs_as_padded(case):
    """PyTorch runs a packed float32 LSTM whose sequences all have one length as the padded
    batch it is (oneDNN): the same bits as the padded call, the rows a view of its output."""
    make, T, B, F, lengths, enforce, with_h0, bf = UNIFORM[case]
    rng = np.random.default_rng(case)
    x = rng.standard_normal((B, T, F) if bf else (T, B, F)).astype(np.float32)
    sd = _state(make, case)
    h0 = None
    if with_h0:
        m = make(torch)
        shape = (m.num_layers * (2 if m.bidirectional else 1), B, m.hidden_size)
        h0 = [rng.standard_normal(shape).astype(np.float32) for _ in range(2)]
    t, tname = _packed_run(torch, make, sd, x, lengths, enforce, h0, bf)
    e, ename = _packed_run(ember, make, sd, x, lengths, enforce, h0, bf)
    assert ename == tname
    assert len(t) == len(e)
    for a, b in zip(t, e):
        _same_bits(a, b)


@exact
@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("lengths", [[6, 5], [6, 6, 3], [3, 3, 3]])
def test_packed_layers(mode, lengths):
    def make(T):
        return getattr(T.nn, mode)(5, 5)
    x = np.random.default_rng(0).standard_normal((max(lengths), len(lengths), 5))
    x = x.astype(np.float32)
    sd = _state(make)
    t, tname = _packed_run(torch, make, sd, x, lengths, False, None)
    e, ename = _packed_run(ember, make, sd, x, lengths, False, None)
    assert ename == tname
    for a, b in zip(t, e):
        _same_bits(a, b)


def test_packed_lstm_of_equal_lengths_without_onednn():
    """With oneDNN off (and for float64, or with projections) PyTorch's own loop runs."""
    lengths = [4, 4]
    x = np.random.default_rng(3).standard_normal((4, 2, 3)).astype(np.float32)
    for make in (lambda T: T.nn.LSTM(3, 4), lambda T: T.nn.LSTM(3, 4, proj_size=2)):
        sd = _state(make)
        old = torch.backends.mkldnn.enabled, ember.backends.mkldnn.enabled
        try:
            torch.backends.mkldnn.enabled = ember.backends.mkldnn.enabled = False
            t, tname = _packed_run(torch, make, sd, x, lengths, True, None)
            e, ename = _packed_run(ember, make, sd, x, lengths, True, None)
        finally:
            torch.backends.mkldnn.enabled, ember.backends.mkldnn.enabled = old
        assert ename == tname
        for a, b in zip(t, e):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# -- GRU: a -0 gradient stays -0 --------------------------------------------------------------

@exact
@pytest.mark.parametrize("packed", [False, True])
def test_gru_weight_grads_keep_negative_zeros(packed):
    """From a zero initial state the recurrent weights' gradients are signed zeros; PyTorch's
    gates (in-place chunks) keep a -0 that a sum of zero-padded pieces would make +0."""
    def make(T):
        return T.nn.GRU(2, 2, bias=False, bidirectional=True)
    sd = _state(make)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 2)).astype(np.float32)
    g = rng.standard_normal((1, 1, 4)).astype(np.float32)
    res = []
    for lib in (torch, ember):
        m = _load(lib, make, sd)
        xin = lib.from_numpy(x.copy()).requires_grad_(True)
        inp = lib.nn.utils.rnn.pack_padded_sequence(xin, [1]) if packed else xin
        out, _ = m(inp)
        o = out.data if packed else out
        (o * lib.from_numpy(g.reshape(tuple(o.shape)))).sum().backward()
        res.append([_np(p.grad) for _, p in m.named_parameters()] + [_np(xin.grad)])
    assert any(np.signbit(a).any() for a in res[0][:-1])  # (the case has -0s)
    for a, b in zip(*res):
        _same_bits(a, b)


# -- EmbeddingBag: per-sample weights' gradient -----------------------------------------------

@exact
@pytest.mark.parametrize("seed", range(6))
def test_embedding_bag_per_sample_weights_grad_bits(seed):
    rng = np.random.default_rng(seed)
    n, dim, count = 9, int(rng.integers(3, 40)), int(rng.integers(2, 12))
    w = rng.standard_normal((n, dim)).astype(np.float32)
    idx = rng.integers(0, n, count)
    offsets = np.array([0] + sorted(rng.integers(0, count + 1, 2).tolist()))
    psw = rng.standard_normal(count).astype(np.float32)
    grad = rng.standard_normal((3, dim)).astype(np.float32)
    pad = [None, 2][seed % 2]
    res = []
    for lib in (torch, ember):
        weight = lib.from_numpy(w.copy()).requires_grad_(True)
        p = lib.from_numpy(psw.copy()).requires_grad_(True)
        out = lib.nn.functional.embedding_bag(lib.from_numpy(idx), weight,
                                              lib.from_numpy(offsets), mode="sum",
                                              per_sample_weights=p, padding_idx=pad)
        out.backward(lib.from_numpy(grad))
        res.append([_np(out), _np(p.grad), _np(weight.grad)])
    for a, b in zip(*res):
        _same_bits(a, b)


def test_embedding_bag_per_sample_weights_grad_from_a_sum():
    """An expanded incoming gradient (``out.sum()``) and float64 take the plain product."""
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        w = rng.standard_normal((6, 5)).astype(dtype)
        idx = rng.integers(0, 6, (3, 4))
        psw = rng.standard_normal((3, 4)).astype(dtype)
        res = []
        for lib in (torch, ember):
            p = lib.from_numpy(psw.copy()).requires_grad_(True)
            out = lib.nn.functional.embedding_bag(lib.from_numpy(idx), lib.from_numpy(w.copy()),
                                                  mode="sum", per_sample_weights=p)
            (out.sum() * 3).backward()
            res.append(_np(p.grad))
        np.testing.assert_allclose(res[0], res[1], rtol=1e-6, atol=1e-6)


@exact
def test_embedding_bag_per_sample_weights_with_padding_idx_forward():
    """With a padding_idx PyTorch's kernel rounds each weighted row before adding it (no
    fused multiply-add, unlike its kernel without one)."""
    for seed in range(4):
        rng = np.random.default_rng(seed)
        w = rng.standard_normal((9, 27)).astype(np.float32)
        idx = rng.integers(0, 9, 10)
        psw = rng.standard_normal(10).astype(np.float32)
        for pad in (None, 2):
            t, e = (_np(lib.nn.functional.embedding_bag(
                lib.from_numpy(idx), lib.from_numpy(w), lib.tensor([0, 5, 5]), mode="sum",
                per_sample_weights=lib.from_numpy(psw), padding_idx=pad)) for lib in (torch, ember))
            _same_bits(t, e)


@exact
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["bag_mean", "bag_mean_freq", "bag_psw", "emb_freq",
                                  "bag_mean_sparse"])
def test_embedding_weight_grad_bits(dtype, kind):
    rng = np.random.default_rng(len(kind))
    w = rng.standard_normal((7, 5)).astype(dtype)
    idx = rng.integers(0, 7, 9)
    offsets = np.array([0, 3, 3, 7])
    psw = rng.standard_normal(9).astype(dtype)
    res = []
    for lib in (torch, ember):
        weight = lib.from_numpy(w.copy()).requires_grad_(True)
        if kind == "emb_freq":
            out = lib.nn.functional.embedding(lib.from_numpy(idx), weight,
                                              scale_grad_by_freq=True, padding_idx=3)
        else:
            out = lib.nn.functional.embedding_bag(
                lib.from_numpy(idx), weight, lib.from_numpy(offsets),
                mode="sum" if kind == "bag_psw" else "mean",
                scale_grad_by_freq=kind == "bag_mean_freq", sparse=kind.endswith("sparse"),
                per_sample_weights=lib.from_numpy(psw) if kind == "bag_psw" else None)
        out.backward(lib.from_numpy(
            np.random.default_rng(2).standard_normal(tuple(out.shape)).astype(dtype)))
        grad = weight.grad
        res.append(_np(grad.to_dense() if grad.is_sparse else grad))
    _same_bits(*res)


def test_sparse_embedding_of_a_0d_index_with_padding_idx_fails_in_backward():
    def outcome(lib, pad):
        m = lib.nn.Embedding(8, 3, padding_idx=pad, sparse=True)
        try:
            m(lib.tensor(6)).sum().backward()
        except Exception as exc:  # the error is the behaviour under test
            return type(exc).__name__, str(exc)
        return "ok", str(m.weight.grad.layout)
    for pad in (None, 1, -7):
        assert outcome(ember, pad) == outcome(torch, pad)


# -- the norm of a single element (Embedding's max_norm renormalisation) -----------------------

@pytest.mark.parametrize("p", [3.0, 1.5, 0.5, -1.0, 2.0, 4.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_of_one_element_is_its_magnitude(p, dtype):
    x = (np.random.default_rng(0).standard_normal((200, 1)) * 2).astype(dtype)
    x[:2, 0] = [1e-30, -3e38 if dtype == np.float32 else -1e300]
    for call in (lambda T, a: T.linalg.vector_norm(a, p, dim=1),
                 lambda T, a: a.norm(p, dim=1, keepdim=True),
                 lambda T, a: T.linalg.vector_norm(a[3], p),
                 lambda T, a: a[5, 0].norm(p)):
        _same_bits(*(_np(call(lib, lib.from_numpy(x.copy()))) for lib in (torch, ember)))


def test_cdist_of_one_feature_keeps_its_root():
    x = np.random.default_rng(0).standard_normal((20, 1)).astype(np.float32) * 3
    y = np.random.default_rng(1).standard_normal((15, 1)).astype(np.float32)
    for p in (1.5, 3.0):
        _same_bits(*(_np(lib.cdist(lib.from_numpy(x), lib.from_numpy(y), p=p))
                     for lib in (torch, ember)))


@pytest.mark.parametrize("norm_type", [3.0, 1.5])
def test_embedding_max_norm_of_width_one(norm_type):
    w = (np.random.default_rng(4).standard_normal((11, 1)) * 2).astype(np.float32)
    idx = np.array([[9, 7, 9, 8, 6], [1, 2, 3, 4, 5]])
    res = []
    for lib in (torch, ember):
        m = lib.nn.Embedding(11, 1, max_norm=1.0, norm_type=norm_type)
        with lib.no_grad():
            m.weight.copy_(lib.from_numpy(w))
        out = m(lib.from_numpy(idx))
        res.append([_np(out), _np(m.weight)])
    for a, b in zip(*res):
        _same_bits(a, b)


# -- errors: PyTorch's kernels' words ---------------------------------------------------------

def _outcome(fn, lib):
    lib.manual_seed(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fn(lib)
    except Exception as exc:  # the error is the behaviour under test
        return type(exc).__name__, str(exc)
    return "ok", str(res)


def _pack(T, *lengths, dtype=None, features=3):
    return T.nn.utils.rnn.pack_sequence([T.ones(n, features, dtype=dtype) for n in lengths])


def _lstm_states(T, dtype_h, dtype_c, batch=2):
    return T.zeros(1, batch, 4, dtype=dtype_h), T.zeros(1, batch, 4, dtype=dtype_c)


ERRORS = {
    "packed lstm double weights": lambda T: T.nn.LSTM(3, 4).double()(_pack(T, 3, 2)),
    "packed lstm double weights, equal lengths": lambda T: T.nn.LSTM(3, 4).double()(
        _pack(T, 3, 3)),
    "packed lstm double input": lambda T: T.nn.LSTM(3, 4)(_pack(T, 3, 3, dtype=T.float64)),
    "packed lstm long input": lambda T: T.nn.LSTM(3, 4)(_pack(T, 3, 2, dtype=T.long)),
    "packed lstm double states": lambda T: T.nn.LSTM(3, 4)(
        _pack(T, 3, 3), _lstm_states(T, T.float64, T.float64)),
    "packed lstm 1-D rows": lambda T: T.nn.LSTM(1, 4)(
        T.nn.utils.rnn.pack_sequence([T.ones(3), T.ones(2)])),
    "lstm double cell state": lambda T: T.nn.LSTM(3, 4)(
        T.ones(3, 2, 3), _lstm_states(T, T.float32, T.float64)),
    "lstm double hidden state": lambda T: T.nn.LSTM(3, 4)(
        T.ones(3, 2, 3), _lstm_states(T, T.float64, T.float32)),
    "lstm half states": lambda T: T.nn.LSTM(3, 4)(
        T.ones(3, 2, 3), _lstm_states(T, T.half, T.half)),
    "lstm double states without grad": lambda T: T.nn.LSTM(3, 4).requires_grad_(False)(
        T.ones(3, 2, 3), _lstm_states(T, T.float64, T.float64)),
    "torch.lstm double state": lambda T: T.lstm(
        T.ones(3, 2, 3), _lstm_states(T, T.float64, T.float32), T.nn.LSTM(3, 4)._flat_weights,
        True, 1, 0.0, False, False, False),
    "lstm, oneDNN off, double states": lambda T: _no_onednn(T, lambda: T.nn.LSTM(3, 4)(
        T.ones(3, 2, 3), _lstm_states(T, T.float64, T.float64))[0].dtype),
    "lstm projections double states": lambda T: T.nn.LSTM(3, 4, proj_size=2)(
        T.ones(3, 2, 3), (T.zeros(1, 2, 2, dtype=T.float64), T.zeros(1, 2, 4))),
    "lstm empty batch double states": lambda T: T.nn.LSTM(3, 4)(
        T.ones(3, 0, 3), _lstm_states(T, T.float64, T.float64, 0)),
    "gru packed double weights": lambda T: T.nn.GRU(3, 4).double()(_pack(T, 3, 3)),
    "lstm_cell one state": lambda T: T.lstm_cell(T.ones(2, 3), (T.zeros(2, 4),),
                                                 T.ones(16, 3), T.ones(16, 4)),
    "lstm_cell three states": lambda T: T.lstm_cell(T.ones(2, 3), (T.zeros(2, 4),) * 3,
                                                    T.ones(16, 3), T.ones(16, 4)),
    "LSTMCell one state": lambda T: T.nn.LSTMCell(3, 4)(T.ones(2, 3), (T.zeros(2, 4),)),
    "pad_sequence 0-d first": lambda T: T.nn.utils.rnn.pad_sequence([T.tensor(1.), T.ones(2)]),
    "pad_sequence 0-d later": lambda T: T.nn.utils.rnn.pad_sequence([T.ones(2), T.tensor(1.)]),
    "sdpa gqa heads do not divide": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 3, 3, 4), T.ones(1, 2, 3, 4), T.ones(1, 2, 3, 4), enable_gqa=True),
    "sdpa negative dropout, flash": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(1, 2, 3, 4), T.ones(1, 2, 3, 4), T.ones(1, 2, 3, 4), dropout_p=-0.5),
    "sdpa negative dropout, math": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.ones(2, 3, 4), T.ones(2, 3, 4), T.ones(2, 3, 4), dropout_p=-0.5),
    "mha double mask, weights": lambda T: T.nn.MultiheadAttention(8, 2)(
        T.ones(3, 2, 8), T.ones(3, 2, 8), T.ones(3, 2, 8), attn_mask=T.zeros(3, 3).double()),
    "mha double padding mask, weights": lambda T: T.nn.MultiheadAttention(8, 2)(
        T.ones(3, 2, 8), T.ones(3, 2, 8), T.ones(3, 2, 8),
        key_padding_mask=T.zeros(2, 3).double()),
    "mha double mask, no weights": lambda T: T.nn.MultiheadAttention(8, 2)(
        T.ones(3, 2, 8), T.ones(3, 2, 8), T.ones(3, 2, 8), attn_mask=T.zeros(3, 3).double(),
        need_weights=False),
    "double mha float mask": lambda T: T.nn.MultiheadAttention(8, 2).double()(
        *[T.ones(3, 2, 8).double()] * 3, attn_mask=T.zeros(3, 3))[0].dtype,
    "bag 2-D input with offsets": lambda T: T.nn.EmbeddingBag(5, 3)(T.tensor([[1, 2]]),
                                                                    T.tensor([0])),
}


def _no_onednn(T, fn):
    old = T.backends.mkldnn.enabled
    T.backends.mkldnn.enabled = False
    try:
        return fn()
    finally:
        T.backends.mkldnn.enabled = old


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match(name):
    assert _outcome(ERRORS[name], ember) == _outcome(ERRORS[name], torch)


# -- a seeded sweep of the recurrent layers ---------------------------------------------------

def _sweep_case(seed):
    """A random layer (sizes from 2: oneDNN's products with one output column are not
    mapped), input, packing and initial state."""
    rng = np.random.default_rng(seed)
    mode = ["RNN", "LSTM", "GRU"][seed % 3]
    kw = dict(input_size=int(rng.integers(2, 9)), hidden_size=int(rng.integers(2, 9)),
              num_layers=int(rng.integers(1, 3)), bias=bool(rng.integers(2)),
              batch_first=bool(rng.integers(2)), bidirectional=bool(rng.integers(2)))
    if mode == "RNN" and rng.integers(2):
        kw["nonlinearity"] = "relu"
    steps, batch = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    lengths = None
    if rng.integers(2):
        lengths = rng.integers(1, steps + 1, batch).tolist()
        lengths[0] = steps
        if rng.integers(2):
            lengths = [steps] * batch  # (equal lengths: an LSTM runs as the padded batch)
    shape = (batch, steps, kw["input_size"]) if kw["batch_first"] else \
        (steps, batch, kw["input_size"])
    x = rng.standard_normal(shape).astype(np.float32)
    h0 = None
    if rng.integers(2):
        layers = kw["num_layers"] * (2 if kw["bidirectional"] else 1)
        h0 = [rng.standard_normal((layers, batch, kw["hidden_size"])).astype(np.float32)
              for _ in range(2 if mode == "LSTM" else 1)]
    return mode, kw, x, lengths, h0


def _sweep_run(lib, mode, kw, sd, x, lengths, h0):
    m = _load(lib, lambda T: getattr(T.nn, mode)(**kw), sd)
    xin = lib.from_numpy(x.copy()).requires_grad_(True)
    hs = None if h0 is None else [lib.from_numpy(h.copy()).requires_grad_(True) for h in h0]
    inp = xin if lengths is None else lib.nn.utils.rnn.pack_padded_sequence(
        xin, lengths, batch_first=kw["batch_first"], enforce_sorted=False)
    args = (inp,) if hs is None else (inp, tuple(hs) if mode == "LSTM" else hs[0])
    out, st = m(*args)
    if lengths is not None:
        out = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=kw["batch_first"])[0]
    outs = [out] + (list(st) if isinstance(st, tuple) else [st])
    g = np.random.default_rng(9)
    sum((o * lib.from_numpy(g.standard_normal(tuple(o.shape)).astype(np.float32))).sum()
        for o in outs).backward()
    return [_np(o) for o in outs] + [_np(xin.grad)] + [_np(h.grad) for h in hs or ()] + \
        [_np(p.grad) for p in m.parameters()]


@exact
@pytest.mark.parametrize("seed", range(12))
def test_recurrent_sweep(seed):
    mode, kw, x, lengths, h0 = _sweep_case(seed)
    sd = _state(lambda T: getattr(T.nn, mode)(**kw), seed)
    t = _sweep_run(torch, mode, kw, sd, x, lengths, h0)
    e = _sweep_run(ember, mode, kw, sd, x, lengths, h0)
    for a, b in zip(t, e):
        _same_bits(a, b)
