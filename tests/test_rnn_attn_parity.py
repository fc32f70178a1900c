"""Bit-for-bit parity with PyTorch's float32 CPU results for recurrent, embedding and attention
layers: seeded construction in both libraries, the same inputs, every output and every
gradient compared bit for bit (forward and backward).

Where ember does not reproduce PyTorch's bits the case is a strict xfail that names the
operation that differs first.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _mkl_gemm

torch = pytest.importorskip("torch")

exact = pytest.mark.skipif(not _mkl_gemm.emulated(),
                           reason="PyTorch's (MKL's) summation orders are mapped on another "
                                  "processor only")


def _flat(o):
    if isinstance(o, (tuple, list)):
        return [x for item in o for x in _flat(item)]
    if hasattr(o, "batch_sizes"):  # a PackedSequence
        return [o.data]
    return [] if o is None else [o]


def _run(lib, make, inputs, call, seed):
    lib.manual_seed(seed)
    m = make(lib)
    ins = [lib.from_numpy(x.copy()) if isinstance(x, np.ndarray) else x for x in inputs]
    for x in ins:
        if isinstance(x, lib.Tensor) and x.is_floating_point():
            x.requires_grad_(True)
    outs = _flat(call(lib, m, ins) if call else m(*ins))
    g = np.random.default_rng(1)
    loss = 0
    for o in outs:
        if o.is_floating_point():
            loss = loss + (o * lib.from_numpy(
                g.standard_normal(tuple(o.shape)).astype(np.float32))).sum()
    loss.backward()
    res = [o.detach().numpy() for o in outs]
    res += [x.grad.numpy() for x in ins if isinstance(x, lib.Tensor) and x.grad is not None]
    res += [p.grad.numpy() for _, p in m.named_parameters() if p.grad is not None]
    return res


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint32)


def check(make, inputs, call=None, seed=0):
    """Outputs, input gradients and parameter gradients equal bit for bit."""
    t = _run(torch, make, inputs, call, seed)
    e = _run(ember, make, inputs, call, seed)
    assert len(t) == len(e)
    for i, (a, b) in enumerate(zip(t, e)):
        assert a.shape == b.shape, i
        differ = int((_bits(a) != _bits(b)).sum())
        assert differ == 0, f"result {i}: {differ} of {a.size} elements differ"


def _r(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


# -- recurrent layers -----------------------------------------------------------------------

T, B, F, H = 7, 5, 16, 32


@exact
@pytest.mark.parametrize("kw", [{}, {"num_layers": 2, "bidirectional": True},
                                {"batch_first": True}, {"bidirectional": True}])
def test_rnn_relu(kw):
    x = _r(np.random.default_rng(0), T, B, F)
    check(lambda lib: lib.nn.RNN(F, H, nonlinearity="relu", **kw), [x])


def _packed(lib, m, ins):
    return m(lib.nn.utils.rnn.pack_padded_sequence(ins[0], [7, 6, 4, 4, 2]))


@exact
def test_rnn_relu_packed_bidirectional():
    x = _r(np.random.default_rng(0), T, B, F)
    check(lambda lib: lib.nn.RNN(F, H, 2, nonlinearity="relu", bidirectional=True), [x],
          _packed)


@exact
@pytest.mark.parametrize("mode", ["RNN", "GRU"])
def test_tanh_layers(mode):
    x = _r(np.random.default_rng(0), T, B, F)
    check(lambda lib: getattr(lib.nn, mode)(F, H), [x])


@exact
def test_gru_two_layers_bidirectional_packed():
    x = _r(np.random.default_rng(0), T, B, F)
    check(lambda lib: lib.nn.GRU(F, H, 2, bidirectional=True), [x], _packed)


@exact
def test_lstm_packed():
    # packed sequences run PyTorch's own loop (addmm, Sleef sigmoid, tanh), not oneDNN
    x = _r(np.random.default_rng(0), T, B, F)
    check(lambda lib: lib.nn.LSTM(F, H), [x], _packed)


@exact
@pytest.mark.parametrize("cell,kw", [("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
                                     ("GRUCell", {})])
def test_cells(cell, kw):
    rng = np.random.default_rng(0)
    _r(rng, T, B, F)
    check(lambda lib: getattr(lib.nn, cell)(F, H, **kw), [_r(rng, B, F)])


@exact
def test_lstm_matches_pytorchs_own_loop():
    """With oneDNN off, PyTorch's padded LSTM runs its own loop, which ember reproduces."""
    x = _r(np.random.default_rng(0), T, B, F)
    old = torch.backends.mkldnn.enabled, ember.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = ember.backends.mkldnn.enabled = False
    try:
        check(lambda lib: lib.nn.LSTM(F, H, num_layers=2), [x])
    finally:
        torch.backends.mkldnn.enabled, ember.backends.mkldnn.enabled = old


@exact
def test_lstm_onednn():
    # PyTorch runs a padded float32 LSTM through oneDNN, forward and backward
    # (ember.nn._functional._onednn_rnn; more cases in tests/test_lstm_onednn.py)
    x = _r(np.random.default_rng(0), T, B, F)
    check(lambda lib: lib.nn.LSTM(F, H), [x])


@exact
def test_tanh_is_mkls():
    # torch.tanh on float32 is MKL's vsTanh, not correctly rounded (ember._ops._vml.tanh)
    x = (np.random.default_rng(0).standard_normal(200_000) * 2).astype(np.float32)
    a = torch.from_numpy(x).tanh().numpy()
    b = ember.from_numpy(x).tanh().numpy()
    assert int((_bits(a) != _bits(b)).sum()) == 0


# -- embeddings ------------------------------------------------------------------------------

@exact
@pytest.mark.parametrize("dim", [8, 37])
def test_embedding_max_norm(dim):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 20, (6, 9))
    check(lambda lib: lib.nn.Embedding(20, dim, max_norm=1.0), [idx])


@exact
@pytest.mark.parametrize("kw", [{"scale_grad_by_freq": True},
                                {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding_backward(kw):
    idx = np.random.default_rng(0).integers(0, 50, (32, 40))
    check(lambda lib: lib.nn.Embedding(50, 64, **kw), [idx])


@exact
@pytest.mark.parametrize("kw", [{"mode": "sum"}, {"mode": "mean"}, {"mode": "max"},
                                {"mode": "mean", "padding_idx": 3},
                                {"mode": "mean", "scale_grad_by_freq": True}])
def test_embedding_bag(kw):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 30, 400)
    offsets = np.r_[0, np.sort(rng.choice(np.arange(1, 400), 39, replace=False))]

    def call(lib, m, ins):
        return m(ins[0], ins[1])
    check(lambda lib: lib.nn.EmbeddingBag(30, 16, **kw), [idx, offsets], call)


@exact
def test_embedding_bag_per_sample_weights_forward_and_weight_grad():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 30, 200)
    offs = np.r_[0, np.sort(rng.choice(np.arange(1, 200), 19, replace=False))]
    psw = rng.standard_normal(200).astype(np.float32)
    up = rng.standard_normal((20, 16)).astype(np.float32)
    res = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.EmbeddingBag(30, 16, mode="sum")
        out = m(lib.from_numpy(idx), lib.from_numpy(offs), lib.from_numpy(psw))
        out.backward(lib.from_numpy(up))
        res.append((out.detach().numpy(), m.weight.grad.numpy()))
    for a, b in zip(*res):
        assert (_bits(a) == _bits(b)).all()


@exact
def test_embedding_bag_per_sample_weights_grad():
    # (its gradient: one BLAS sdot (MKL) of a bag's gradient and a row per sample)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 30, 200)
    offs = np.r_[0, np.sort(rng.choice(np.arange(1, 200), 19, replace=False))]
    psw = rng.standard_normal(200).astype(np.float32)
    check(lambda lib: lib.nn.EmbeddingBag(30, 16, mode="sum"), [idx, offs, psw],
          lambda lib, m, ins: m(ins[0], ins[1], ins[2]))


# -- attention -------------------------------------------------------------------------------

def _sdpa(mask=None, **kw):
    def call(lib, m, ins):
        am = None if mask is None else lib.from_numpy(mask.copy())
        return lib.nn.functional.scaled_dot_product_attention(*ins, attn_mask=am, **kw)
    return call


def _ident(lib):
    return lib.nn.Identity()


@exact
@pytest.mark.parametrize("q_shape,s,causal", [((2, 4, 6, 8), 9, False), ((2, 4, 6, 8), 6, True),
                                              ((3, 2, 40, 16), 40, False),
                                              ((2, 3, 33, 8), 20, True),
                                              ((1, 2, 40, 16), 700, False),
                                              ((1, 1, 200, 16), 300, True)])
def test_sdpa(q_shape, s, causal):
    rng = np.random.default_rng(0)
    b, h, _, e = q_shape
    qkv = [_r(rng, *q_shape), _r(rng, b, h, s, e), _r(rng, b, h, s, e)]
    check(_ident, qkv, _sdpa(is_causal=causal))


@exact
@pytest.mark.parametrize("kind", ["float2d", "bool4d", "float_broadcast", "dead_row"])
def test_sdpa_masks(kind):
    rng = np.random.default_rng(0)
    qkv = [_r(rng, 2, 4, 10, 16), _r(rng, 2, 4, 13, 16), _r(rng, 2, 4, 13, 16)]
    if kind == "float2d":
        mask = _r(rng, 10, 13)
    elif kind == "float_broadcast":
        mask = _r(rng, 1, 1, 1, 13)
    else:
        mask = rng.random((2, 1, 10, 13)) > 0.3
        mask[..., 0] = True
        if kind == "dead_row":
            mask[0, 0, 3] = False
    check(_ident, qkv, _sdpa(mask))


@exact
@pytest.mark.parametrize("kv_heads", [2, 1])
def test_sdpa_gqa(kv_heads):
    rng = np.random.default_rng(0)
    k = _r(rng, 2, kv_heads, 9, 8)
    check(_ident, [_r(rng, 2, 6, 6, 8), k, k.copy()], _sdpa(enable_gqa=True))


@exact
def test_sdpa_same_tensor_and_node():
    q = _r(np.random.default_rng(0), 4, 4, 6, 8)
    check(_ident, [q], lambda lib, m, i: lib.nn.functional.scaled_dot_product_attention(
        i[0], i[0], i[0]))
    t = torch.from_numpy(q).requires_grad_()
    e = ember.from_numpy(q).requires_grad_()
    assert torch._fused_sdp_choice(t, t, t) == 1  # PyTorch's flash kernel
    assert type(ember.nn.functional.scaled_dot_product_attention(e, e, e).grad_fn).__name__ == \
        type(torch.nn.functional.scaled_dot_product_attention(t, t, t).grad_fn).__name__


@exact
def test_sdpa_short_rows():
    """5 queries, 5 keys, head size 12: every product has tail rows (MKL's lane orders)."""
    rng = np.random.default_rng(0)
    check(_ident, [_r(rng, 2, 2, 5, 12) for _ in range(3)], _sdpa())


E = 32


@exact
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_self(need_weights):
    x = _r(np.random.default_rng(0), 6, 4, E)
    check(lambda lib: lib.nn.MultiheadAttention(E, 4), [x],
          lambda lib, m, i: m(i[0], i[0], i[0], need_weights=need_weights))


@exact
def test_multihead_attention_kdim_padding_mask():
    rng = np.random.default_rng(0)
    kpm = np.zeros((4, 9), bool)
    kpm[1, 6:] = True
    check(lambda lib: lib.nn.MultiheadAttention(E, 4, kdim=16, vdim=16),
          [_r(rng, 6, 4, E), _r(rng, 9, 4, 16), _r(rng, 9, 4, 16)],
          lambda lib, m, i: m(*i, key_padding_mask=lib.from_numpy(kpm.copy()),
                              need_weights=False))


@exact
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_layer(norm_first):
    x = _r(np.random.default_rng(0), 7, 3, E)
    mask = np.triu(np.ones((7, 7), bool), 1)
    check(lambda lib: lib.nn.TransformerEncoderLayer(E, 4, 64, dropout=0.0,
                                                     norm_first=norm_first), [x],
          lambda lib, m, i: m(i[0], src_mask=lib.from_numpy(mask.copy()), is_causal=True))


@exact
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_decoder_layer(norm_first):
    rng = np.random.default_rng(0)
    kpm = np.zeros((3, 7), bool)
    kpm[1, 5:] = True
    check(lambda lib: lib.nn.TransformerDecoderLayer(E, 4, 64, dropout=0.0,
                                                     norm_first=norm_first),
          [_r(rng, 5, 3, E), _r(rng, 7, 3, E)],
          lambda lib, m, i: m(i[0], i[1], tgt_mask=lib.from_numpy(
              np.triu(np.ones((5, 5), bool), 1)), memory_key_padding_mask=lib.from_numpy(kpm)))


@exact
def test_transformer_encoder_layer_gelu():
    x = _r(np.random.default_rng(0), 6, 4, E)
    check(lambda lib: lib.nn.TransformerEncoderLayer(E, 4, 64, dropout=0.0, activation="gelu"),
          [x])


@exact
def test_transformer_training_losses():
    """20 Adam steps of a small transformer classifier: every printed loss identical."""
    rng = np.random.default_rng(0)
    X = _r(rng, 16, 10, 16)
    Y = rng.integers(0, 3, 16)

    def train(lib):
        lib.manual_seed(0)
        enc = lib.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
        fc = lib.nn.Linear(16, 3)
        params = list(enc.parameters()) + list(fc.parameters())
        opt = lib.optim.Adam(params, lr=1e-2)
        xs, ys = lib.from_numpy(X), lib.from_numpy(Y)
        losses = []
        for _ in range(20):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(fc(enc(xs).mean(1)), ys)
            loss.backward()
            opt.step()
            losses.append(repr(loss.item()))
        return losses
    assert train(ember) == train(torch)


@exact
def test_sdpa_double_backward_refused_as_pytorch():
    q = _r(np.random.default_rng(0), 1, 2, 12, 16)
    got = []
    for lib in (torch, ember):
        x = lib.from_numpy(q.copy()).requires_grad_()
        o = lib.nn.functional.scaled_dot_product_attention(x, x * 2, x * 3)
        g, = lib.autograd.grad(o.sum(), x, create_graph=True)
        got.append(g.detach().numpy())
        with pytest.raises(RuntimeError, match="_scaled_dot_product_flash_attention_for_cpu_"
                                               "backward is not implemented"):
            g.sum().backward()
    assert (_bits(got[0]) == _bits(got[1])).all()


def test_sdpa_math_kernel_when_chosen():
    q = _r(np.random.default_rng(0), 2, 2, 12, 16)
    names = []
    for lib in (torch, ember):
        x = lib.from_numpy(q.copy()).requires_grad_()
        with lib.nn.attention.sdpa_kernel(lib.nn.attention.SDPBackend.MATH):
            names.append(type(lib.nn.functional.scaled_dot_product_attention(x, x, x).grad_fn)
                         .__name__)
    assert names[0] == names[1] == "UnsafeViewBackward0"


def _eval_outputs(make, call, x):
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = make(lib).eval()
        with lib.no_grad():
            res = call(lib, m, lib.from_numpy(x.copy()))
        outs.append([r.numpy() for r in _flat(res)])
    return outs


@exact
@pytest.mark.parametrize("case", ["mha", "mha_weights", "mha_head_weights", "mha_kpm",
                                  "encoder", "encoder_norm_first_gelu", "encoder_causal",
                                  "encoder_kpm_no_nested", "transformer"])
def test_eval_fast_paths(case):
    """Evaluation without autograd: PyTorch's fused multi-head attention (also inside its
    fused encoder layer) rounds otherwise than its training path; ember follows it."""
    rng = np.random.default_rng(0)
    x = _r(rng, 3, 7, E)
    kpm = np.zeros((3, 7), bool)
    kpm[1, 5:] = True
    causal = np.triu(np.ones((7, 7), bool), 1)

    def layer(lib, **kw):
        return lib.nn.TransformerEncoderLayer(E, 4, 64, batch_first=True, **kw)
    make, call = {
        "mha": (lambda lib: lib.nn.MultiheadAttention(E, 4, batch_first=True),
                lambda lib, m, t: m(t, t, t, need_weights=False)),
        "mha_weights": (lambda lib: lib.nn.MultiheadAttention(E, 4, batch_first=True),
                        lambda lib, m, t: m(t, t, t)),
        "mha_head_weights": (lambda lib: lib.nn.MultiheadAttention(E, 4, batch_first=True),
                             lambda lib, m, t: m(t, t, t, average_attn_weights=False)),
        "mha_kpm": (lambda lib: lib.nn.MultiheadAttention(E, 4, batch_first=True),
                    lambda lib, m, t: m(t, t, t, key_padding_mask=lib.from_numpy(kpm))),
        "encoder": (layer, lambda lib, m, t: m(t)),
        "encoder_norm_first_gelu": (lambda lib: layer(lib, norm_first=True, activation="gelu"),
                                    lambda lib, m, t: m(t)),
        "encoder_causal": (layer, lambda lib, m, t: m(t, src_mask=lib.from_numpy(causal),
                                                      is_causal=True)),
        "encoder_kpm_no_nested": (
            lambda lib: lib.nn.TransformerEncoder(layer(lib), 2, enable_nested_tensor=False),
            lambda lib, m, t: m(t, src_key_padding_mask=lib.from_numpy(kpm))),
        "transformer": (lambda lib: lib.nn.Transformer(E, 4, 1, 1, 64, batch_first=True),
                        lambda lib, m, t: m(t, t)),
    }[case]
    t, e = _eval_outputs(make, call, x)
    assert len(t) == len(e)
    for a, b in zip(t, e):
        assert a.shape == b.shape
        assert (_bits(a) == _bits(b)).all()


@exact
@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_eval_nested_encoder():
    # (TransformerEncoder's nested-tensor path: products on the held rows, a plain softmax)
    rng = np.random.default_rng(0)
    x = _r(rng, 3, 7, E)
    kpm = np.zeros((3, 7), bool)
    kpm[1, 5:] = True
    kpm[2, 3:] = True
    t, e = _eval_outputs(
        lambda lib: lib.nn.TransformerEncoder(
            lib.nn.TransformerEncoderLayer(E, 4, 64, batch_first=True), 2),
        lambda lib, m, s: m(s, src_key_padding_mask=lib.from_numpy(kpm)), x)
    assert (_bits(t[0]) == _bits(e[0])).all()
