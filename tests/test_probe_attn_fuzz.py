"""Attention and transformer layers fuzzed against PyTorch: ``TransformerEncoder``'s
nested-tensor path (evaluation, key padding mask only) gives PyTorch's bits (its products on
the packed rows, a plain softmax, the sequences padded to the longest, the first n tokens of
each), the fused layer's float64 scale, and ``scaled_dot_product_attention``'s IndexError for
a mask of fewer than 2 dims where its flash kernel is considered."""
import random
import warnings

import numpy as np
import pytest

import ember
from diff import assert_bits_or_close

torch = pytest.importorskip("torch")


def _encoder(lib, seed, E, H, ff, act, nl, norm, mc, dt):
    lib.manual_seed(seed)
    dtype = getattr(lib, dt)
    layer = lib.nn.TransformerEncoderLayer(E, H, ff, 0.1, act, batch_first=True, dtype=dtype)
    norm = lib.nn.LayerNorm(E, dtype=dtype) if norm else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lib.nn.TransformerEncoder(layer, nl, norm=norm, mask_check=mc).eval()


def _run_encoder(lib, cfg, x, kpm, float_kpm):
    enc = _encoder(lib, *cfg)
    x = lib.tensor(x)
    kpm = lib.tensor(kpm)
    if float_kpm:
        kpm = lib.zeros(kpm.shape, dtype=x.dtype).masked_fill(kpm, float("-inf"))
    with warnings.catch_warnings(), lib.no_grad():
        warnings.simplefilter("ignore")
        return enc(x, src_key_padding_mask=kpm).numpy()


def _bits_equal(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    if got.dtype == np.float32:  # (MKL's products: the bits on the measured processor only)
        assert_bits_or_close(got, want, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("seed", range(6))
def test_nested_encoder_fuzz(seed):
    r = random.Random(seed)
    H = r.choice([2, 4, 8])
    E = H * r.choice([1, 2, 4, 8])
    dt = r.choice(["float32", "float32", "float64"])
    cfg = (seed, E, H, r.choice([4, 16, 64]), r.choice(["relu", "gelu"]), r.choice([1, 2]),
           r.random() < 0.3, r.random() < 0.6, dt)
    B, L = r.choice([1, 2, 3, 5]), r.randint(2, 12)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, L, E)).astype(dt)
    kpm = np.zeros((B, L), bool)
    for b in range(B):  # every sequence padded: the nested tensor is shorter than L
        kpm[b, L - r.randint(1, L - 1):] = True
    if not cfg[7] and r.random() < 0.5:
        kpm[0, 0] = True  # (not left-aligned, unchecked: the first n tokens are taken)
    float_kpm = r.random() < 0.2
    want = _run_encoder(torch, cfg, x, kpm, float_kpm)
    got = _run_encoder(ember, cfg, x, kpm, float_kpm)
    _bits_equal(got, want)


@pytest.mark.parametrize("mc", [True, False])
def test_nested_encoder_one_token(mc):
    # (one token in all: PyTorch's products of the packed rows are one row's)
    cfg = (0, 8, 2, 16, "relu", 2, False, mc, "float32")
    x = np.random.default_rng(1).standard_normal((1, 2, 8)).astype("float32")
    kpm = np.array([[False, True]])
    _bits_equal(_run_encoder(ember, cfg, x, kpm, False), _run_encoder(torch, cfg, x, kpm, False))


def test_nested_encoder_unaligned_takes_first_tokens():
    cfg = (0, 8, 2, 16, "relu", 1, False, False, "float32")
    x = np.random.default_rng(2).standard_normal((2, 4, 8)).astype("float32")
    kpm = np.array([[True, False, False, True], [False, False, False, True]])
    want = _run_encoder(torch, cfg, x, kpm, False)
    got = _run_encoder(ember, cfg, x, kpm, False)
    _bits_equal(got, want)
    assert got[0, :2].all(axis=-1).all() and not got[0, 2:].any()


@pytest.mark.parametrize("hd", [1, 2, 3, 4])
def test_fused_layer_float64_scale(hd):
    # (the fused layer's 1 / sqrt(head_dim) in double for double inputs)
    def run(lib):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(2 * hd, 2, 16, batch_first=True,
                                               dtype=lib.float64).eval()
        x = lib.tensor(np.random.default_rng(hd).standard_normal((2, 5, 2 * hd)))
        kpm = lib.tensor([[False] * 3 + [True] * 2, [False] * 5])
        with lib.no_grad():
            return layer(x, src_key_padding_mask=kpm).numpy()
    np.testing.assert_allclose(run(ember), run(torch), rtol=1e-13, atol=1e-14)


def _err(lib, fn):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001 (the exception is what is compared)
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("case", ["1d", "0d", "1d bool", "1d f64", "1d Ev", "1d 3-D q",
                                  "1d dropout", "1d grad"])
def test_sdpa_mask_under_two_dims(case):
    def fn(lib):
        F = lib.nn.functional
        dt = lib.float64 if "f64" in case else lib.float32
        q, k = lib.ones(2, 3, 4, 8, dtype=dt), lib.ones(2, 3, 5, 8, dtype=dt)
        v = lib.ones(2, 3, 5, 6 if "Ev" in case else 8, dtype=dt)
        m = lib.ones((), dtype=dt) if case == "0d" else lib.ones(5, dtype=dt)
        if "bool" in case:
            m = m.bool()
        if "grad" in case:
            m.requires_grad_()
        if "3-D" in case:
            q, k, v = q[0], k[0], v[0]
        p = 0.3 if "dropout" in case else 0.0
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, dropout_p=p)
    assert _err(ember, fn) == _err(torch, fn)


@pytest.mark.parametrize("B", [0, 2])
def test_nested_encoder_nothing_held(B):
    # (an empty batch, or every token padded: PyTorch's nested tensor refuses)
    def fn(lib):
        lib.manual_seed(0)
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            enc = lib.nn.TransformerEncoder(layer, 1).eval()
            with lib.no_grad():
                return enc(lib.ones(B, 3, 8), src_key_padding_mask=lib.ones(B, 3, dtype=lib.bool))
    assert _err(ember, fn) == _err(torch, fn) is not None


def test_transformer_eval_nested_encoder():
    # (nn.Transformer's encoder takes the nested-tensor path; the decoder reads its memory)
    def run(lib):
        lib.manual_seed(3)
        tr = lib.nn.Transformer(16, 4, 2, 2, 32, batch_first=True).eval()
        rng = np.random.default_rng(3)
        src = lib.tensor(rng.standard_normal((3, 7, 16)).astype("float32"))
        tgt = lib.tensor(rng.standard_normal((3, 5, 16)).astype("float32"))
        kpm = lib.zeros(3, 7, dtype=lib.bool)
        kpm[0, 4:] = True
        kpm[1, 6:] = True
        kpm[2, 2:] = True
        with warnings.catch_warnings(), lib.no_grad():
            warnings.simplefilter("ignore")
            return tr(src, tgt, tgt_mask=lib.nn.Transformer.generate_square_subsequent_mask(5),
                      src_key_padding_mask=kpm, memory_key_padding_mask=kpm,
                      tgt_is_causal=True).numpy()
    _bits_equal(run(ember), run(torch))
