"""bmm, baddbmm, batched matmul, scaled_dot_product_attention and MultiheadAttention against
PyTorch, bit for bit on the Intel processor of ``ember._ops._mkl_gemm.profile() == "intel"``
(where ember claims the products), within a few ulps elsewhere."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF
from ember._ops import _mkl_gemm as G
from ember._ops import linalg as L

F32 = np.float32


def _intel():
    return G.profile() == "intel"


def _check(got, want, exact, rtol=1e-4, atol=1e-5):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    if exact:
        bad = int((got.view(np.uint32) != want.view(np.uint32)).sum())
        assert bad == 0, f"{bad} of {got.size} outputs differ"
    else:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _layout(x, cols):
    return np.ascontiguousarray(x.transpose(0, 2, 1)).transpose(0, 2, 1) if cols else x


def test_bmm_and_batched_matmul():
    rng = np.random.default_rng(0)
    claimed = 0
    cases = [(8, 30, 40, 50, 0, 0), (64, 32, 16, 32, 0, 1), (16, 12, 8, 12, 0, 1),
             (40, 20, 600, 30, 1, 0), (4, 5, 40, 50, 0, 0), (3, 2, 3, 1, 0, 0),
             (5, 30, 100, 1, 0, 0), (12, 1, 300, 1, 1, 0), (3, 64, 700, 1, 1, 0)]
    for _ in range(70):
        cases.append((int(rng.integers(1, 40)), int(rng.integers(1, 90)),
                      int(rng.integers(1, 200)), int(rng.integers(1, 90)),
                      int(rng.integers(0, 2)), int(rng.integers(0, 2))))
    for b_, m, k, n, ac, bc in cases:
        a = _layout(rng.standard_normal((b_, m, k)).astype(F32), ac)
        b = _layout(rng.standard_normal((b_, k, n)).astype(F32), bc)
        want = torch.bmm(torch.from_numpy(a), torch.from_numpy(b)).numpy()
        got = ember.bmm(ember.from_numpy(a), ember.from_numpy(b)).numpy()
        exact = _intel() and L._bmm_bits(a, b) is not None
        claimed += exact
        _check(got, want, exact)
    if _intel():
        assert claimed > 55
    # 4-D matmul (PyTorch: bmm on the flattened batch), as attention's q @ k^T and p @ v
    for bs, h, s, e in ((16, 4, 32, 16), (2, 8, 20, 8), (64, 2, 16, 32), (3, 1, 70, 64)):
        q, k = (rng.standard_normal((bs, h, s, e)).astype(F32) for _ in range(2))
        tq, tk = torch.from_numpy(q), torch.from_numpy(k)
        eq, ek = ember.from_numpy(q), ember.from_numpy(k)
        sc = (tq @ tk.transpose(-2, -1)).numpy()
        _check((eq @ ek.transpose(-2, -1)).numpy(), sc, _intel())
        p = torch.softmax(torch.from_numpy(sc), -1)
        _check((ember.from_numpy(p.numpy()) @ ek).numpy(), (p @ tk).numpy(), _intel())


def test_baddbmm_alpha():
    rng = np.random.default_rng(1)
    for i in range(40):
        b_ = int(rng.integers(2, 9))
        m, k, n = (int(rng.integers(16, 70)), int(rng.integers(2, 300)),
                   int(rng.integers(2, 90)))
        a = rng.standard_normal((b_, m, k)).astype(F32)
        b = _layout(rng.standard_normal((b_, k, n)).astype(F32), i % 2)
        c = rng.standard_normal((b_, m, n)).astype(F32)
        alpha = [0.3, -1.7, 0.125, 1.0][i % 4]
        want = torch.baddbmm(*map(torch.from_numpy, (c, a, b)), alpha=alpha).numpy()
        got = ember.baddbmm(*map(ember.from_numpy, (c, a, b)), alpha=alpha).numpy()
        _check(got, want, _intel())


def test_addmm_alpha_one_thread():
    # MKL on one thread: alpha * (each K block's chain), or, for b transposed with
    # N >= min(max(M + 1, K), 192), b scaled first (as the flash backward's products run);
    # fma(alpha, sum, C) after its 16-lane kernel (2..15 rows) and its sgemv (one row)
    rng = np.random.default_rng(2)
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        claimed = 0
        for i in range(120):
            m = int(rng.integers(2, 16)) if i % 4 == 0 else 1 if i % 8 == 3 else \
                int(rng.integers(16, 160))
            k = int(rng.integers(2, 769)) if i % 3 == 0 else int(rng.integers(2, 80))
            n = int(rng.integers(2, 400))
            if i % 5 == 0:
                n = int(rng.integers(max(2, m - 2), m + 3))
            a = _layout(rng.standard_normal((1, m, k)).astype(F32), i % 7 == 0)[0]
            b = _layout(rng.standard_normal((1, k, n)).astype(F32), i % 2)[0]
            c = rng.standard_normal((m, n)).astype(F32)
            alpha = [0.3, -1.7, 0.17677669][i % 3]
            beta = 0.0 if i % 6 == 5 else 1.0
            want = torch.addmm(torch.from_numpy(c), torch.from_numpy(a), torch.from_numpy(b),
                               alpha=alpha, beta=beta).numpy()
            got = G._run(a, b, c if beta else None, alpha, 1.0, 1)
            if got is None:
                continue
            claimed += 1
            _check(got, want, _intel())
        if _intel():
            assert claimed > 70
    finally:
        torch.set_num_threads(old)


def _sdpa_case(rng, shape, causal, masked):
    b_, h, lq, s, e = shape
    q, k, v = (rng.standard_normal(sh).astype(F32)
               for sh in ((b_, h, lq, e), (b_, h, s, e), (b_, h, s, e)))
    mask = rng.standard_normal((lq, s)).astype(F32) if masked else None
    g = rng.standard_normal((b_, h, lq, e)).astype(F32)
    ts = [torch.from_numpy(x).requires_grad_() for x in (q, k, v)]
    es = [ember.from_numpy(x).requires_grad_() for x in (q, k, v)]
    to = TF.scaled_dot_product_attention(
        *ts, attn_mask=None if mask is None else torch.from_numpy(mask), is_causal=causal)
    eo = EF.scaled_dot_product_attention(
        *es, attn_mask=None if mask is None else ember.from_numpy(mask), is_causal=causal)
    assert eo.grad_fn.name() == to.grad_fn.name()
    to.backward(torch.from_numpy(g))
    eo.backward(ember.from_numpy(g))
    return [(eo.detach().numpy(), to.detach().numpy())] + \
        [(x.grad.numpy(), y.grad.numpy()) for x, y in zip(es, ts)]


def test_sdpa_flash_forward_backward():
    rng = np.random.default_rng(3)
    # (batch, heads, L, S, E): E >= 16 and several (batch, head) pairs: claimed on Intel
    shapes = [(16, 4, 32, 32, 16), (2, 2, 36, 36, 32), (2, 4, 70, 70, 16), (3, 2, 8, 55, 32),
              (2, 1, 128, 40, 64), (1, 2, 2, 104, 32), (8, 1, 47, 47, 32), (1, 2, 192, 64, 16),
              (2, 2, 34, 34, 64), (4, 2, 40, 40, 8)]
    for i, shape in enumerate(shapes):
        for causal, masked in ((False, False), (i % 2 == 0, i % 2 == 1)):
            for got, want in _sdpa_case(rng, shape, causal, masked):
                _check(got, want, _intel())
    # not claimed (2..15 query rows times fewer keys with a head size under 16, one query
    # row in the backward, one (batch, head) on 2 threads): the math kernel's values under
    # the flash node, within ulps
    for shape in ((2, 2, 10, 10, 8), (2, 2, 33, 33, 16), (1, 1, 29, 29, 16)):
        for got, want in _sdpa_case(rng, shape, False, False):
            _check(got, want, False)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention(need_weights):
    rng = np.random.default_rng(4 + need_weights)
    for i, (d, h, s, b_) in enumerate(((64, 4, 32, 16), (32, 2, 20, 3), (128, 8, 16, 4),
                                      (64, 1, 40, 2))):
        batch_first, padded = i % 2 == 1, i >= 2
        seed = int(rng.integers(1 << 30))
        torch.manual_seed(seed)
        tm = torch.nn.MultiheadAttention(d, h, batch_first=batch_first)
        em = ember.nn.MultiheadAttention(d, h, batch_first=batch_first)
        em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                            for k, v in tm.state_dict().items()})
        x = rng.standard_normal((b_, s, d) if batch_first else (s, b_, d)).astype(F32)
        pad = None
        if padded:
            pad = rng.random((b_, s)) < 0.2
            pad[:, 0] = False
        tx, ex = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x).requires_grad_()
        to, tw = tm(tx, tx, tx, need_weights=need_weights,
                    key_padding_mask=None if pad is None else torch.from_numpy(pad))
        eo, ew = em(ex, ex, ex, need_weights=need_weights,
                    key_padding_mask=None if pad is None else ember.from_numpy(pad))
        g = rng.standard_normal(tuple(to.shape)).astype(F32)
        to.backward(torch.from_numpy(g))
        eo.backward(ember.from_numpy(g))
        _check(eo.detach().numpy(), to.detach().numpy(), _intel())
        if need_weights:
            _check(ew.detach().numpy(), tw.detach().numpy(), _intel())
        _check(ex.grad.numpy(), tx.grad.numpy(), _intel())
        tp = dict(tm.named_parameters())
        for name, p in em.named_parameters():
            _check(p.grad.numpy(), tp[name].grad.numpy(), _intel())


def test_few_rows_short_k_times_transposed():
    # 2..15 rows times a transposed b with K < 16 (q @ k^T of a last query block with a
    # head size under 16, nn.Linear(K < 16, N) at batch 2..15): one FMA chain over K for
    # N >= 12, or N >= 4 with M >= N or K > N (another kernel elsewhere: NumPy's)
    rng = np.random.default_rng(6)
    claimed = 0
    for i in range(150):
        m, k, n = int(rng.integers(2, 16)), int(rng.integers(1, 16)), int(rng.integers(2, 200))
        a = rng.standard_normal((m, k)).astype(F32)
        w = rng.standard_normal((n, k)).astype(F32)
        bias = rng.standard_normal(n).astype(F32) if i % 2 else None
        ta, tw = torch.from_numpy(a), torch.from_numpy(w)
        ea, ew = ember.from_numpy(a), ember.from_numpy(w)
        want = TF.linear(ta, tw, None if bias is None else torch.from_numpy(bias)).numpy()
        got = EF.linear(ea, ew, None if bias is None else ember.from_numpy(bias)).numpy()
        exact = _intel() and G._run(a, w.T, bias, 1.0, 1.0, None) is not None
        claimed += exact
        _check(got, want, exact)
    if _intel():
        assert claimed > 100


def test_transformer_encoder_layer():
    rng = np.random.default_rng(7)
    for i, (d, h, s, b_) in enumerate(((64, 4, 32, 16), (32, 4, 20, 3), (128, 2, 13, 4))):
        batch_first, norm_first = i % 2 == 0, i == 1
        seed = int(rng.integers(1 << 30))
        torch.manual_seed(seed)
        tm = torch.nn.TransformerEncoderLayer(d, h, 2 * d, dropout=0.0, batch_first=batch_first,
                                              norm_first=norm_first)
        em = ember.nn.TransformerEncoderLayer(d, h, 2 * d, dropout=0.0,
                                              batch_first=batch_first, norm_first=norm_first)
        em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                            for k, v in tm.state_dict().items()})
        x = rng.standard_normal((b_, s, d) if batch_first else (s, b_, d)).astype(F32)
        tx, ex = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x).requires_grad_()
        to, eo = tm(tx), em(ex)
        g = rng.standard_normal(tuple(to.shape)).astype(F32)
        to.backward(torch.from_numpy(g))
        eo.backward(ember.from_numpy(g))
        _check(eo.detach().numpy(), to.detach().numpy(), _intel())
        _check(ex.grad.numpy(), tx.grad.numpy(), _intel())
        tp = dict(tm.named_parameters())
        for name, p in em.named_parameters():
            _check(p.grad.numpy(), tp[name].grad.numpy(), _intel())
        tm.eval()
        em.eval()
        with torch.no_grad():
            want = tm(torch.from_numpy(x)).numpy()
        with ember.no_grad():
            got = em(ember.from_numpy(x)).numpy()
        _check(got, want, _intel())
