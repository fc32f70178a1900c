"""Attention layers against PyTorch: ``scaled_dot_product_attention``, ``MultiheadAttention``
and the transformer layers.

Each module is built in both libraries after the same ``manual_seed``: the weights must be
PyTorch's bit for bit.  Then outputs, attention weights and the gradients with respect to
the inputs and every parameter are compared, and so are printed modules, state-dict keys,
warnings and exception types.
"""
import warnings

import numpy as np
import pytest

import ember
from diff import assert_same, check, check_error, to_ember, to_torch

torch = pytest.importorskip("torch")

L, S, N, E, H = 4, 5, 3, 8, 2
NESTED = "ignore:The PyTorch API of nested tensors"  # PyTorch's (once per process) notice


def arr(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def bool_mask(shape, seed=1, p=0.3):
    """A random boolean mask in which no row is fully True (so no NaN appears)."""
    m = np.random.default_rng(seed).random(shape) < p
    m[..., 0] = False
    return m


def float_mask(shape, seed=2, dtype=np.float32):
    return (np.random.default_rng(seed).standard_normal(shape) * 2).astype(dtype)


CAUSAL = np.triu(np.ones((L, L), bool), 1)
FCAUSAL = np.where(CAUSAL, -np.inf, 0).astype(np.float32)
SKPM = bool_mask((N, L), seed=5)
FSKPM = np.where(SKPM, -np.inf, 0).astype(np.float32)


def _flat(r):
    if isinstance(r, (tuple, list)):
        return [y for x in r for y in _flat(x)]
    return [r]


def build_both(build, seed=0):
    """``build(lib)`` after ``manual_seed(seed)`` in each library: (ember module, torch
    module), with PyTorch's warnings silenced (tests of warnings are below)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(seed)
        t = build(torch)
        ember.manual_seed(seed)
        e = build(ember)
    return e, t


def assert_same_weights(e, t):
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        assert str(es[k].dtype) == str(ts[k].dtype), k
        assert es[k].numpy().tobytes() == ts[k].numpy().tobytes(), f"{k} differs"


def compare(build, call, *arrays, train=False, seed=0, grad=True, rtol=None, atol=None):
    """Build in both libraries, check the weights are equal, run ``call(lib, module, *inputs)``
    and compare the results, then the gradients of the inputs and of every parameter."""
    e, t = build_both(build, seed)
    assert_same_weights(e, t)
    e.train(train)
    t.train(train)
    et = [to_ember(a) for a in arrays]
    tt = [to_torch(a) for a in arrays]
    torch.manual_seed(seed + 1)
    tr = call(torch, t, *tt)
    ember.manual_seed(seed + 1)
    er = call(ember, e, *et)
    assert_same(er, tr, rtol, atol)
    if not grad:
        return er, tr
    touts = [o for o in _flat(tr) if isinstance(o, torch.Tensor) and o.requires_grad]
    eouts = [o for o in _flat(er) if isinstance(o, ember.Tensor) and o.requires_grad]
    assert len(touts) == len(eouts)
    r = np.random.default_rng(seed)
    ups = [r.standard_normal(tuple(o.shape)) for o in touts]
    tin = [x for x in tt if x.requires_grad] + list(t.parameters())
    ein = [x for x in et if x.requires_grad] + list(e.parameters())
    names = [f"input{i}" for i, x in enumerate(tt) if x.requires_grad] + \
        [n for n, _ in t.named_parameters()]
    tg = torch.autograd.grad(touts, tin, [torch.from_numpy(u).to(o.dtype)
                                          for u, o in zip(ups, touts)], allow_unused=True)
    eg = ember.autograd.grad(eouts, ein, [ember.from_numpy(u).to(o.dtype)
                                          for u, o in zip(ups, eouts)], allow_unused=True)
    for name, a, b in zip(names, eg, tg):
        if b is None:
            assert a is None or not np.any(a.numpy()), name
            continue
        assert a is not None, name
        assert_same(a, b, rtol, atol, f"grad of {name}")
    return er, tr


# -- scaled_dot_product_attention ------------------------------------------------------------

def _sdpa(**kw):
    def fn(T, q, k, v):
        kw2 = {n: (T.from_numpy(x.copy()) if isinstance(x, np.ndarray) else x)
               for n, x in kw.items()}
        return T.nn.functional.scaled_dot_product_attention(q, k, v, **kw2)
    return fn


SDPA_CASES = {
    "plain": ({}, (2, 3, L, E), (2, 3, S, E), (2, 3, S, 6)),
    "bool_mask": (dict(attn_mask=bool_mask((L, S))), (2, 3, L, E), (2, 3, S, E), (2, 3, S, 6)),
    "bool_mask_4d": (dict(attn_mask=bool_mask((2, 1, L, S))), (2, 3, L, E), (2, 3, S, E),
                     (2, 3, S, E)),
    "float_mask": (dict(attn_mask=float_mask((3, L, S))), (2, 3, L, E), (2, 3, S, E),
                   (2, 3, S, E)),
    "causal_square": (dict(is_causal=True), (2, 3, L, E), (2, 3, L, E), (2, 3, L, E)),
    "causal_wide": (dict(is_causal=True), (2, L, E), (2, S, E), (2, S, E)),
    "causal_tall": (dict(is_causal=True), (2, S, E), (2, L, E), (2, L, E)),
    "scale": (dict(scale=0.3), (3, L, E), (3, S, E), (3, S, E)),
    "negative_scale": (dict(scale=-0.7), (3, L, E), (3, S, E), (3, S, E)),
    "gqa": (dict(enable_gqa=True), (2, 4, L, E), (2, 2, S, E), (2, 1, S, E)),
    "broadcast_heads": ({}, (2, 3, L, E), (2, 1, S, E), (1, 3, S, E)),
    "two_dims": (dict(attn_mask=bool_mask((L, S))), (L, E), (S, E), (S, 6)),
    "empty_keys": ({}, (2, L, E), (2, 0, E), (2, 0, E)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", SDPA_CASES)
def test_sdpa(case, dtype):
    kw, qs, ks, vs = SDPA_CASES[case]
    kw = {n: (x.astype(dtype) if isinstance(x, np.ndarray) and x.dtype != bool else x)
          for n, x in kw.items()}
    check(_sdpa(**kw), arr(qs, 0, dtype), arr(ks, 1, dtype), arr(vs, 2, dtype))


def test_sdpa_fully_masked_rows_give_zeros():
    m = bool_mask((L, S))
    m[1] = False  # nothing to attend to: PyTorch returns zeros (and zero gradients), not NaN
    fm = np.zeros((L, S), np.float32)
    fm[2] = -np.inf
    q, k, v = arr((2, L, E)), arr((2, S, E), 1), arr((2, S, E), 2)
    out = check(_sdpa(attn_mask=m), q, k, v)
    assert not out[:, 1].any()
    out = check(_sdpa(attn_mask=fm), q, k, v)
    assert not out[:, 2].any()


def test_sdpa_float32_mask_on_float64_and_half_inputs():
    check(_sdpa(attn_mask=float_mask((L, S))), arr((2, L, E), 0, np.float64),
          arr((2, S, E), 1, np.float64), arr((2, S, E), 2, np.float64))
    check(_sdpa(is_causal=True), arr((2, L, E), 0, np.float16), arr((2, L, E), 1, np.float16),
          arr((2, L, E), 2, np.float16), grad=False)


def test_sdpa_dropout_bits():
    q, k, v = arr((2, 2, L, E)), arr((2, 2, S, E), 1), arr((2, 2, S, E), 2)

    def fn(T, q, k, v):
        T.manual_seed(5)
        return T.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.4)
    check(fn, q, k, v)


@pytest.mark.parametrize("args", [
    dict(attn_mask=bool_mask((L, S)), is_causal=True),
    dict(attn_mask=np.zeros((L, S), np.int32)),
    dict(attn_mask=np.zeros((L, S), np.float64)),
    dict(attn_mask=np.zeros((2, 2, L, S), bool)),
    dict(attn_mask=np.zeros((3, S), bool)),
    dict(dropout_p=1.5),
])
def test_sdpa_errors(args):
    check_error(_sdpa(**args), arr((2, L, E)), arr((2, S, E), 1), arr((2, S, E), 2))


def test_sdpa_input_errors():
    F = "nn.functional.scaled_dot_product_attention"

    def sdpa(T, *a, **kw):
        fn = T
        for part in F.split("."):
            fn = getattr(fn, part)
        return fn(*a, **kw)
    q, k = arr((2, L, E)), arr((2, S, E), 1)
    check_error(lambda T, q, k: sdpa(T, q, k.astype(np.float64), k), q, k)
    check_error(lambda T, q, k: sdpa(T, q, k.astype(np.float64), k),
                q, k.astype(np.float64))
    check_error(lambda T, q, k: sdpa(T, q[0, 0], k[0, 0], k[0, 0]), q, k)
    check_error(lambda T, q, k: sdpa(T, q, k[..., :6], k), q, k)
    check_error(lambda T, q, k: sdpa(T, q.int(), k.int(), k.int()), q, k)
    check_error(lambda T, q, k: sdpa(T, q, k, k, enable_gqa=True), arr((2, 3, L, E)),
                arr((2, 2, S, E)))
    check_error(lambda T, q, k: sdpa(T, q[0], k[0], k[0], enable_gqa=True), q, k)
    check_error(lambda T, q, k: sdpa(T, [1.0], k, k), q, k)


def test_multi_head_attention_forward_static_kv():
    def fn(T, q, w, b, ow, sk, sv):
        return T.nn.functional.multi_head_attention_forward(
            q, q, q, E, H, w, b, None, None, False, 0.0, ow, None, training=False,
            static_k=sk, static_v=sv, average_attn_weights=False)
    check(fn, arr((L, N, E)), arr((3 * E, E), 1) * 0.3, arr((3 * E,), 2), arr((E, E), 3) * 0.3,
          arr((N * H, S, E // H), 4), arr((N * H, S, E // H), 5))


# -- MultiheadAttention: construction ----------------------------------------------------------

MHA_CTORS = [
    {}, dict(bias=False), dict(kdim=4, vdim=6), dict(add_bias_kv=True),
    dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5, bias=False),
    dict(dropout=0.2, batch_first=True), dict(dtype="float64"),
]


def _mha(**kw):
    def build(T):
        kw2 = dict(kw)
        if "dtype" in kw2:
            kw2["dtype"] = getattr(T, kw2["dtype"])
        return T.nn.MultiheadAttention(E, H, **kw2)
    return build


@pytest.mark.parametrize("kw", MHA_CTORS)
@pytest.mark.parametrize("seed", [0, 11])
def test_mha_init_repr_state_dict(kw, seed):
    e, t = build_both(_mha(**kw), seed)
    assert_same_weights(e, t)
    assert repr(e) == repr(t)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    for attr in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "dropout", "batch_first",
                 "_qkv_same_embed_dim", "add_zero_attn"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert (e.bias_k is None) == (t.bias_k is None)
    assert type(e.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(e.out_proj, ember.nn.Linear)


def test_mha_load_state_dict_from_torch():
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(E, H, kdim=4, vdim=6, add_bias_kv=True)
    ember.manual_seed(1)
    e = ember.nn.MultiheadAttention(E, H, kdim=4, vdim=6, add_bias_kv=True)
    e.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()})
    assert_same_weights(e, t)


# -- MultiheadAttention: forward and backward --------------------------------------------------

def _mha_call(kind, **fw):
    """``kind``: "self" (one tensor for query, key and value), "cross" (key is value) or
    "qkv" (three tensors); mask arrays in ``fw`` become tensors of the library."""
    def call(T, m, *xs):
        kw = {n: (T.from_numpy(x.copy()) if isinstance(x, np.ndarray) else x)
              for n, x in fw.items()}
        if kind == "self":
            return m(xs[0], xs[0], xs[0], **kw)
        if kind == "cross":
            return m(xs[0], xs[1], xs[1], **kw)
        return m(*xs, **kw)
    return call


SEQ = [(L, N, E)]
CROSS = [(L, N, E), (S, N, E)]
QKV = [(L, N, E), (S, N, E), (S, N, E)]
AM, KPM = bool_mask((L, S)), bool_mask((N, S), seed=3)
MHA_CASES = {
    "self": ({}, "self", SEQ, {}),
    "self_no_weights": ({}, "self", SEQ, dict(need_weights=False)),
    "cross": ({}, "cross", CROSS, {}),
    "qkv": ({}, "qkv", QKV, {}),
    "per_head_weights": ({}, "qkv", QKV, dict(average_attn_weights=False)),
    "kdim_vdim": (dict(kdim=4, vdim=6), "qkv", [(L, N, E), (S, N, 4), (S, N, 6)], {}),
    "kdim_vdim_no_weights": (dict(kdim=4, vdim=6), "qkv", [(L, N, E), (S, N, 4), (S, N, 6)],
                             dict(need_weights=False, key_padding_mask=KPM)),
    "no_bias": (dict(bias=False), "cross", CROSS, dict(attn_mask=AM)),
    "batch_first": (dict(batch_first=True), "qkv", [(N, L, E), (N, S, E), (N, S, E)],
                    dict(key_padding_mask=KPM)),
    "batch_first_self": (dict(batch_first=True), "self", [(N, L, E)],
                         dict(need_weights=False)),
    "bool_attn_mask": ({}, "cross", CROSS, dict(attn_mask=AM)),
    "float_attn_mask": ({}, "cross", CROSS, dict(attn_mask=float_mask((L, S)))),
    "3d_attn_mask": ({}, "cross", CROSS, dict(attn_mask=bool_mask((N * H, L, S)))),
    "3d_attn_mask_no_weights": ({}, "cross", CROSS,
                                dict(attn_mask=float_mask((N * H, L, S)), need_weights=False)),
    "bool_kpm": ({}, "cross", CROSS, dict(key_padding_mask=KPM)),
    "float_kpm": ({}, "cross", CROSS, dict(key_padding_mask=float_mask((N, S)))),
    "both_masks": ({}, "cross", CROSS, dict(attn_mask=AM, key_padding_mask=KPM)),
    "both_masks_no_weights": ({}, "cross", CROSS, dict(attn_mask=float_mask((L, S)),
                                                      key_padding_mask=float_mask((N, S), 4),
                                                      need_weights=False)),
    "bias_kv": (dict(add_bias_kv=True), "cross", CROSS,
                dict(attn_mask=AM, key_padding_mask=KPM)),
    "zero_attn": (dict(add_zero_attn=True), "cross", CROSS,
                  dict(attn_mask=AM, key_padding_mask=KPM, average_attn_weights=False)),
    "bias_kv_zero_attn": (dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5), "qkv",
                          [(L, N, E), (S, N, 3), (S, N, 5)],
                          dict(attn_mask=float_mask((L, S)), need_weights=False)),
    "unbatched": ({}, "qkv", [(L, E), (S, E), (S, E)],
                  dict(key_padding_mask=bool_mask((S,)), attn_mask=bool_mask((H, L, S)))),
    "unbatched_no_weights": (dict(batch_first=True), "self", [(L, E)],
                             dict(key_padding_mask=bool_mask((L,)), need_weights=False)),
    "causal_no_weights": ({}, "self", SEQ, dict(
        attn_mask=np.triu(np.ones((L, L), bool), 1), is_causal=True, need_weights=False)),
    "causal_weights": ({}, "self", SEQ, dict(
        attn_mask=np.triu(np.ones((L, L), bool), 1), is_causal=True)),
    "causal_with_kpm": ({}, "self", SEQ, dict(
        attn_mask=np.triu(np.ones((L, L), bool), 1), is_causal=True, need_weights=False,
        key_padding_mask=bool_mask((N, L), seed=3))),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", MHA_CASES)
def test_mha(case, dtype):
    ctor, kind, shapes, fw = MHA_CASES[case]
    if dtype == np.float64:
        ctor = dict(ctor, dtype="float64")
        fw = {n: (x.astype(dtype) if isinstance(x, np.ndarray) and x.dtype != bool else x)
              for n, x in fw.items()}
    xs = [arr(s, i, dtype) for i, s in enumerate(shapes)]
    compare(_mha(**ctor), _mha_call(kind, **fw), *xs, train=True)


@pytest.mark.parametrize("fw", [{}, dict(need_weights=False)])
def test_mha_eval_and_train_agree_without_dropout(fw):
    x = arr((L, N, E))
    e, _ = compare(_mha(), _mha_call("self", **fw), x, train=False)
    e2, _ = compare(_mha(), _mha_call("self", **fw), x, train=True)
    np.testing.assert_array_equal(e[0].detach().numpy(), e2[0].detach().numpy())


@pytest.mark.parametrize("fw", [{}, dict(need_weights=False), dict(key_padding_mask=KPM)])
def test_mha_dropout_in_training_is_pytorchs(fw):
    compare(_mha(dropout=0.3), _mha_call("cross", **fw), *[arr(s, i) for i, s in
                                                        enumerate(CROSS)], train=True)


def test_mha_fully_masked_rows():
    kpm = KPM.copy()
    kpm[1] = True  # every key of the second sequence is padding
    xs = [arr(s, i) for i, s in enumerate(CROSS)]
    # with weights: NaN, as PyTorch; without: zeros (scaled_dot_product_attention's rule)
    e, _ = compare(_mha(), _mha_call("cross", key_padding_mask=kpm), *xs, grad=False)
    assert np.isnan(e[0].detach().numpy()[:, 1]).all()
    compare(_mha(), _mha_call("cross", key_padding_mask=kpm, need_weights=False), *xs)


@pytest.mark.parametrize("fw", [{}, dict(key_padding_mask=SKPM), dict(need_weights=False),
                                dict(attn_mask=bool_mask((L, L)), need_weights=False,
                                     average_attn_weights=False)])
def test_mha_inference_fast_path(fw):
    """PyTorch takes its fused path here (eval, batch_first, self-attention, no grad)."""
    def call(T, m, x):
        with T.no_grad():
            kw = {n: (T.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v)
                  for n, v in fw.items()}
            return m(x, x, x, **kw)
    x = arr((N, L, E))
    compare(_mha(batch_first=True), call, x, grad=False, rtol=1e-5, atol=1e-6)


def test_mha_mismatched_mask_types_warn():
    msgs = []
    for T in (torch, ember):
        T.manual_seed(0)
        m = T.nn.MultiheadAttention(E, H)
        x = T.from_numpy(arr((L, N, E)))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m(x, x, x, key_padding_mask=T.from_numpy(KPM[:, :L].copy()),
              attn_mask=T.zeros(L, L))
        msgs.append([(type(x.message), str(x.message)) for x in w])
    assert msgs[0] == msgs[1] and len(msgs[0]) == 1


MHA_ERRORS = [
    ({}, [(L, N, E, 1), (S, N, E), (S, N, E)], {}),
    ({}, [(L, N, E), (S, E), (S, E)], {}),
    ({}, [(L, N, E), (S, N, E), (S, N, E)], dict(key_padding_mask=np.zeros((S,), bool))),
    ({}, [(L, N, E), (S, N, E), (S, N, E)], dict(attn_mask=np.zeros((S,), bool))),
    ({}, [(L, N, E), (S, N, E), (S, N, E)], dict(attn_mask=np.zeros((S, L), bool))),
    ({}, [(L, N, E), (S, N, E), (S, N, E)], dict(attn_mask=np.zeros((N, L, S), bool))),
    ({}, [(L, N, E), (S, N, E), (S, N, E)], dict(attn_mask=np.zeros((L, S), np.int64))),
    ({}, [(L, N, E), (S, N, E), (S, N, E)], dict(key_padding_mask=np.zeros((N, S), np.int64))),
    ({}, [(L, N, E), (S, N, E), (S, N, E)], dict(key_padding_mask=np.zeros((N + 1, S), bool))),
    ({}, [(L, N, E), (S, N, E), (S, N, E)], dict(key_padding_mask=np.zeros((N, S + 1), bool))),
    ({}, [(L, N, E), (S, N, E), (S, N, E)], dict(is_causal=True)),
    ({}, [(L, N, 6), (S, N, 6), (S, N, 6)], {}),
    ({}, [(L, N, E), (S, N, E), (S + 1, N, E)], {}),
    (dict(kdim=4, vdim=6), [(L, N, E), (S, N, 4), (S + 1, N, 6)], {}),
    (dict(kdim=4, vdim=6), [(L, N, E), (S, N, 5), (S, N, 6)], {}),
    ({}, [(L, E), (S, E), (S, E)], dict(attn_mask=np.zeros((N * H, L, S), bool))),
    ({}, [(L, E), (S, E), (S, E)], dict(attn_mask=np.zeros((H, L, S, 1), bool))),
]


@pytest.mark.parametrize("ctor, shapes, fw", MHA_ERRORS)
def test_mha_errors(ctor, shapes, fw):
    def fn(T, *xs):
        T.manual_seed(0)
        m = T.nn.MultiheadAttention(E, H, **ctor)
        kw = {n: T.from_numpy(x.copy()) for n, x in fw.items() if isinstance(x, np.ndarray)}
        kw.update({n: x for n, x in fw.items() if not isinstance(x, np.ndarray)})
        return m(*xs, **kw)
    check_error(fn, *[arr(s, i) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("args", [(0, 2), (8, 0), (8, 3), (-4, 2)])
def test_mha_constructor_errors(args):
    check_error(lambda T: T.nn.MultiheadAttention(*args))


# -- TransformerEncoderLayer / TransformerEncoder ------------------------------------------

def _layer(cls="TransformerEncoderLayer", **kw):
    def build(T):
        kw2 = dict(kw)
        if kw2.get("activation") == "GELU()":
            kw2["activation"] = T.nn.GELU()
        if kw2.get("activation") == "tanh":
            kw2["activation"] = T.tanh
        if "dtype" in kw2:
            kw2["dtype"] = getattr(T, kw2["dtype"])
        return getattr(T.nn, cls)(E, H, dim_feedforward=16, dropout=kw2.pop("dropout", 0.0),
                                  **kw2)
    return build


def _enc_call(**fw):
    def call(T, m, x):
        kw = {n: (T.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v)
              for n, v in fw.items()}
        return m(x, **kw)
    return call


ENC_CASES = {
    "default": ({}, (L, N, E), {}),
    "norm_first": (dict(norm_first=True), (L, N, E), dict(src_key_padding_mask=SKPM)),
    "gelu": (dict(activation="gelu"), (L, N, E), {}),
    "gelu_module": (dict(activation="GELU()"), (L, N, E), {}),
    "tanh": (dict(activation="tanh"), (L, N, E), {}),
    "batch_first": (dict(batch_first=True), (N, L, E), dict(src_key_padding_mask=SKPM)),
    "no_bias": (dict(bias=False, layer_norm_eps=1e-3), (L, N, E), dict(src_mask=CAUSAL)),
    "bool_src_mask": ({}, (L, N, E), dict(src_mask=bool_mask((L, L), 6))),
    "float_src_mask": ({}, (L, N, E), dict(src_mask=float_mask((L, L)))),
    "both_masks": ({}, (L, N, E), dict(src_mask=bool_mask((L, L), 6),
                                       src_key_padding_mask=SKPM)),
    "causal": ({}, (L, N, E), dict(src_mask=FCAUSAL, is_causal=True)),
    "unbatched": (dict(norm_first=True), (L, E), dict(src_key_padding_mask=SKPM[0])),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ENC_CASES)
def test_encoder_layer(case, dtype):
    ctor, shape, fw = ENC_CASES[case]
    if dtype == np.float64:
        ctor = dict(ctor, dtype="float64")
        fw = {n: (x.astype(dtype) if isinstance(x, np.ndarray) and x.dtype != bool else x)
              for n, x in fw.items()}
    compare(_layer(**ctor), _enc_call(**fw), arr(shape, 0, dtype), train=True)


@pytest.mark.parametrize("case", ["default", "batch_first", "both_masks", "unbatched"])
def test_encoder_layer_eval(case):
    ctor, shape, fw = ENC_CASES[case]
    compare(_layer(dropout=0.1, **ctor), _enc_call(**fw), arr(shape), train=False)


@pytest.mark.filterwarnings(NESTED)
@pytest.mark.parametrize("fw", [{}, dict(src_key_padding_mask=SKPM),
                                dict(src_mask=bool_mask((L, L), 6)),
                                dict(src_mask=FCAUSAL, src_key_padding_mask=FSKPM)])
def test_encoder_layer_inference_fast_path(fw):
    def call(T, m, x):
        with T.no_grad():
            return _enc_call(**fw)(T, m, x)
    compare(_layer(batch_first=True, activation="gelu"), call, arr((N, L, E)), grad=False,
            rtol=1e-5, atol=1e-5)


def test_encoder_layer_dropout_in_training_is_pytorchs():
    compare(_layer(dropout=0.3), _enc_call(src_key_padding_mask=SKPM), arr((L, N, E)),
            train=True)


def test_encoder_layer_repr_and_attributes():
    for kw in ({}, dict(activation="gelu", bias=False), dict(activation="GELU()"),
               dict(norm_first=True, batch_first=True, layer_norm_eps=1e-6)):
        e, t = build_both(_layer(**kw))
        assert repr(e) == repr(t)
        assert e.activation_relu_or_gelu == t.activation_relu_or_gelu
        assert e.norm_first == t.norm_first
    check_error(lambda T: T.nn.TransformerEncoderLayer(E, H, activation="tanh"))


def _encoder(num_layers=2, norm=True, **kw):
    def build(T):
        layer = _layer(**kw)(T)
        return T.nn.TransformerEncoder(layer, num_layers,
                                       norm=T.nn.LayerNorm(E) if norm else None)
    return build


@pytest.mark.parametrize("kw, fw, shape", [
    ({}, {}, (L, N, E)),
    (dict(norm=False, norm_first=True), dict(src_key_padding_mask=SKPM), (L, N, E)),
    (dict(batch_first=True), dict(mask=CAUSAL), (N, L, E)),  # detected as causal
    ({}, dict(mask=FCAUSAL, src_key_padding_mask=SKPM.astype(np.float32) * -1e9), (L, N, E)),
    ({}, dict(mask=bool_mask((L, L), 6), is_causal=False), (L, N, E)),
    (dict(activation="gelu"), dict(mask=FCAUSAL), (L, E)),
])
def test_encoder(kw, fw, shape):
    compare(_encoder(**kw), _enc_call(**fw), arr(shape), train=True)


def test_encoder_clones_are_deep_copies():
    e, t = build_both(_encoder(3))
    assert repr(e) == repr(t)
    assert_same_weights(e, t)
    w = [m.self_attn.in_proj_weight for m in e.layers]
    assert w[0] is not w[1] and np.array_equal(w[0].detach().numpy(), w[1].detach().numpy())
    assert e.num_layers == t.num_layers == 3


@pytest.mark.filterwarnings(NESTED)
@pytest.mark.parametrize("grad", [False, True])
def test_encoder_nested_tensor_path_zeroes_padding(grad):
    """In eval without autograd PyTorch runs on nested tensors: padded positions come out 0
    (before the final norm).  With autograd on, it does not, and neither does ember."""
    kpm = np.zeros((N, L), bool)
    kpm[1, 2:] = True
    kpm[2, 1:] = True

    def call(T, m, x):
        with T.set_grad_enabled(grad):
            return m(x, src_key_padding_mask=T.from_numpy(kpm))
    for norm in (False, True):
        e, t = compare(_encoder(norm=norm, batch_first=True), call, arr((N, L, E)),
                       grad=False, rtol=1e-5, atol=1e-5)
        padded = e.detach().numpy()[kpm]
        if not grad and not norm:
            assert not padded.any()
        elif not norm:
            assert padded.all()


@pytest.mark.filterwarnings(NESTED)
def test_encoder_nested_tensor_path_float_padding_mask():
    """There, any nonzero entry of a float padding mask marks padding (PyTorch's
    ``logical_not``), and those keys are dropped rather than penalised."""
    kpm = np.zeros((N, L), np.float32)
    kpm[1, 2:] = -1.5
    kpm[2, 3:] = 2.0

    def call(T, m, x):
        with T.no_grad():
            return m(x, src_key_padding_mask=T.from_numpy(kpm))
    e, _ = compare(_encoder(norm=False, batch_first=True), call, arr((N, L, E)), grad=False,
                   rtol=1e-5, atol=1e-5)
    assert not e.numpy()[kpm != 0].any()


def test_encoder_nested_tensor_path_not_taken_for_right_aligned_padding():
    kpm = np.zeros((N, L), bool)
    kpm[1, 0] = True  # padding first: PyTorch checks left alignment and falls back

    def call(T, m, x):
        with T.no_grad():
            return m(x, src_key_padding_mask=T.from_numpy(kpm))
    e, _ = compare(_encoder(norm=False, batch_first=True), call, arr((N, L, E)), grad=False,
                   rtol=1e-5, atol=1e-5)
    assert e.numpy()[1, 0].all()


@pytest.mark.parametrize("build", [
    lambda T: T.nn.TransformerEncoderLayer(E, H),
    lambda T: T.nn.TransformerEncoderLayer(E, H, batch_first=True),
    lambda T: T.nn.TransformerEncoderLayer(E, H, batch_first=True, norm_first=True),
    lambda T: T.nn.TransformerEncoderLayer(E, H, batch_first=True, bias=False),
    lambda T: T.nn.TransformerEncoderLayer(E, H, batch_first=True, activation=T.tanh),
    lambda T: T.nn.TransformerEncoderLayer(E, H, batch_first=True, activation=T.nn.ReLU()),
    lambda T: T.nn.TransformerEncoderLayer(E, 1, batch_first=True),
    lambda T: T.nn.TransformerDecoderLayer(E, H, batch_first=True),
])
@pytest.mark.parametrize("enable", [True, False])
def test_encoder_enable_nested_tensor_warnings(build, enable):
    got = []
    for T in (torch, ember):
        layer = build(T)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            enc = T.nn.TransformerEncoder(layer, 1, enable_nested_tensor=enable)
        got.append(([(x.category, str(x.message)) for x in w], enc.use_nested_tensor,
                    enc.enable_nested_tensor))
    assert got[0] == got[1]


def test_encoder_mismatched_mask_types_warn():
    msgs = []
    for T in (torch, ember):
        T.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            enc = T.nn.TransformerEncoder(T.nn.TransformerEncoderLayer(E, H, 16), 1)
            layer = T.nn.TransformerEncoderLayer(E, H, 16)
        x = T.from_numpy(arr((L, N, E)))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            enc(x, mask=T.zeros(L, L), src_key_padding_mask=T.from_numpy(SKPM))
            layer(x, src_mask=T.from_numpy(CAUSAL), src_key_padding_mask=T.zeros(N, L))
        msgs.append([str(x.message) for x in w])
    assert msgs[0] == msgs[1] and len(msgs[0]) == 2


# -- decoder and Transformer ---------------------------------------------------------------------

def _dec_call(**fw):
    def call(T, m, tgt, mem):
        kw = {n: (T.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v)
              for n, v in fw.items()}
        return m(tgt, mem, **kw)
    return call


MKPM = bool_mask((N, S), seed=7)


@pytest.mark.parametrize("kw, fw, shapes", [
    ({}, {}, [(L, N, E), (S, N, E)]),
    (dict(norm_first=True, activation="gelu"), dict(tgt_mask=CAUSAL, tgt_is_causal=True,
                                                    memory_key_padding_mask=MKPM),
     [(L, N, E), (S, N, E)]),
    (dict(batch_first=True), dict(tgt_key_padding_mask=SKPM, memory_mask=bool_mask((L, S))),
     [(N, L, E), (N, S, E)]),
    (dict(bias=False), dict(tgt_mask=FCAUSAL), [(L, E), (S, E)]),
])
def test_decoder_layer(kw, fw, shapes):
    compare(_layer("TransformerDecoderLayer", **kw), _dec_call(**fw),
            *[arr(s, i) for i, s in enumerate(shapes)], train=True)


@pytest.mark.parametrize("fw", [{}, dict(tgt_mask=FCAUSAL, memory_key_padding_mask=MKPM)])
def test_decoder(fw):
    def build(T):
        return T.nn.TransformerDecoder(_layer("TransformerDecoderLayer")(T), 2,
                                       norm=T.nn.LayerNorm(E))
    compare(build, _dec_call(**fw), arr((L, N, E)), arr((S, N, E), 1), train=True)
    e, t = build_both(build)
    assert repr(e) == repr(t)


def _transformer(**kw):
    def build(T):
        return T.nn.Transformer(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=1,
                                dim_feedforward=16, dropout=0.0, **kw)
    return build


@pytest.mark.parametrize("kw, fw, shapes", [
    ({}, {}, [(S, N, E), (L, N, E)]),
    (dict(batch_first=True, norm_first=True), dict(
        tgt_mask=FCAUSAL, src_key_padding_mask=MKPM, memory_key_padding_mask=MKPM),
     [(N, S, E), (N, L, E)]),
    (dict(activation="gelu"), dict(tgt_mask=CAUSAL), [(S, E), (L, E)]),
])
def test_transformer(kw, fw, shapes):
    def call(T, m, src, tgt):
        kw2 = {n: (T.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v)
               for n, v in fw.items()}
        return m(src, tgt, **kw2)
    compare(_transformer(**kw), call, *[arr(s, i) for i, s in enumerate(shapes)], train=True)


def test_transformer_repr_attributes_and_errors():
    e, t = build_both(_transformer())
    assert repr(e) == repr(t)
    assert (e.d_model, e.nhead, e.batch_first) == (t.d_model, t.nhead, t.batch_first)

    def fwd(src_shape, tgt_shape, batch_first=False):
        def fn(T):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = _transformer(batch_first=batch_first)(T)
            return m(T.zeros(*src_shape), T.zeros(*tgt_shape))
        return fn
    check_error(fwd((S, N, E), (L, N + 1, E)), match="batch number")
    check_error(fwd((N, S, E), (N + 1, L, E), True), match="batch number")
    check_error(fwd((S, N, E), (L, N, E + 2)), match="feature number")


def test_transformer_warns_as_pytorch():
    got = []
    for T in (torch, ember):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            _transformer()(T)
        got.append([(x.category, str(x.message)) for x in w])
    assert got[0] == got[1] and len(got[0]) == 1


@pytest.mark.parametrize("kw", [{}, dict(dtype="float64")])
def test_generate_square_subsequent_mask(kw):
    def fn(T):
        kw2 = {n: getattr(T, v) for n, v in kw.items()}
        return T.nn.Transformer.generate_square_subsequent_mask(5, **kw2)
    e, t = fn(ember), fn(torch)
    assert_same(e, t)
    assert str(e.dtype) == str(t.dtype)
