"""float32 matrix products as PyTorch's CPU ``sgemm`` (MKL) rounds them: ``ember._ops._mkl_gemm``.

Where ``_mkl_gemm.emulated()`` (the measured processor), ``mkl_sgemm``/``mkl_addmm`` must equal
``torch.mm``/``torch.addmm``/``F.linear`` bit for bit on every shape ``covered()`` claims, and the
summation order the module documents (K blocks, FMA chains, 4-lane sums) must be MKL's, probed
directly; elsewhere both functions are NumPy's products.
"""
from __future__ import annotations

import numpy as np
import pytest

from ember._ops import _mkl_gemm as G

torch = pytest.importorskip("torch")
F = torch.nn.functional

exact = pytest.mark.skipif(
    not (G.emulated() and torch.backends.mkl.is_available()),
    reason="PyTorch's MKL sgemm order is reproduced only on the measured processor")


@pytest.fixture(autouse=True)
def _two_threads():
    """MKL splits small-M products between threads; the module claims 1 and 2 threads, so the
    tests pin PyTorch to 2 (this machine's default) unless they say otherwise."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def _diff(e, t):
    e = np.ascontiguousarray(e, np.float32).view(np.uint32)
    t = np.ascontiguousarray(t.detach().numpy(), np.float32).view(np.uint32)
    assert e.shape == t.shape
    return int((e != t).sum())


def _operands(rng, m, n, k, layout):
    """x (m, k) and the (k, n) right operand as torch and NumPy views of the same memory:
    ``nt`` is ``W.t()`` (nn.Linear), ``nn`` a contiguous (k, n), ``tn`` a transposed x."""
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)
    tx, tb = torch.from_numpy(x), torch.from_numpy(w).t()
    if layout != "nt":
        tb = tb.contiguous()
    if layout == "tn":
        tx = torch.from_numpy(np.ascontiguousarray(x.T)).t()
    return tx, tb, torch.from_numpy(w)


@exact
@pytest.mark.parametrize("m", [2, 3, 4, 5, 7, 8, 11, 12, 13, 32, 64, 100, 128])
def test_linear_784_512(m):
    # the MNIST-sized layer of the brief: F.linear, mm and a bias-free product, bit for bit
    rng = np.random.default_rng(m)
    tx, tb, tw = _operands(rng, m, 512, 784, "nt")
    bias = torch.from_numpy(rng.standard_normal(512).astype(np.float32))
    x, b = tx.numpy(), tb.numpy()
    assert G.covered(x, b, threads=2)
    # (one row through this layer: MKL's sgemv on W's rows, ember._ops._mkl_gemv)
    assert G.covered(x[:1], b, threads=2)
    assert _diff(G.mkl_addmm(bias.numpy(), x[:1], b, threads=2), F.linear(tx[:1], tw, bias)) == 0
    assert _diff(G.mkl_addmm(bias.numpy(), x, b, threads=2), F.linear(tx, tw, bias)) == 0
    assert _diff(G.mkl_sgemm(x, b, threads=2), torch.mm(tx, tb)) == 0
    # and it is not NumPy's order (else this test would prove nothing)
    assert _diff(x @ b, torch.mm(tx, tb)) > 0


@exact
@pytest.mark.parametrize("shape", [(64, 512, 512), (64, 512, 10), (256, 784, 1024), (64, 96, 10),
                                   (50, 100, 12), (1, 64, 20), (1, 512, 8), (700, 784, 10)])
def test_linear_shapes(shape):
    m, k, n = shape
    rng = np.random.default_rng(k + n)
    tx, tb, tw = _operands(rng, m, n, k, "nt")
    bias = torch.from_numpy(rng.standard_normal(n).astype(np.float32))
    x, b = tx.numpy(), tb.numpy()
    assert G.covered(x, b, threads=2)
    assert _diff(G.mkl_addmm(bias.numpy(), x, b, threads=2), F.linear(tx, tw, bias)) == 0
    assert _diff(G.mkl_sgemm(x, b, threads=2), tx @ tb) == 0


@exact
@pytest.mark.parametrize("seed,threads", [(0, 2), (1, 2), (2, 2), (3, 1), (4, 1)])
def test_random_battery(seed, threads):
    """Random shapes, layouts, alpha and beta: every covered case bit for bit, and the class
    is not empty (at least half the draws are covered)."""
    torch.set_num_threads(threads)
    rng = np.random.default_rng(100 + seed)
    covered = total = 0
    for t in range(30):
        m = int(rng.integers(1, 40)) if t % 3 else int(rng.integers(12, 150))
        n = int(rng.integers(1, 40)) if t % 4 else int(rng.integers(12, 300))
        k = int(rng.choice([1, 2, 3, 4, 8, 12, 16, 33, 64, 100, 192, 193, 300, 385, 512, 784]))
        layout = ("nt", "nn", "tn")[t % 3]
        tx, tb, _ = _operands(rng, m, n, k, layout)
        bias = torch.from_numpy(rng.standard_normal(n).astype(np.float32))
        x, b = tx.numpy(), tb.numpy()
        for alpha, beta in ((1.0, 1.0), (0.3, 1.0), (1.0, 0.7), (0.3, 0.0)):
            total += 1
            if not G.covered(x, b, alpha, beta, threads):
                continue
            covered += 1
            want = torch.addmm(bias, tx, tb, beta=beta, alpha=alpha)
            d = _diff(G.mkl_addmm(bias.numpy(), x, b, beta, alpha, threads), want)
            assert d == 0, (m, n, k, layout, alpha, beta, d)
        if G.covered(x, b, threads=threads):
            assert _diff(G.mkl_sgemm(x, b, threads), torch.mm(tx, tb)) == 0, (m, n, k, layout)
    assert covered >= total // 2


def _probe(k, first, js, m=16, n=None):
    """Summation-order probe through torch.mm: in column c, product ``first`` is +2**40, product
    ``js[c]`` is -2**40 and every other product is 1; the result counts the ones that were added
    outside the subtree in which the two big products meet."""
    n = len(js) if n is None else n
    a = np.ones((m, k), np.float32)
    b = np.ones((k, n), np.float32)
    a[:, first] = 2.0 ** 20
    b[first, :] = 2.0 ** 20
    for c, j in enumerate(js):
        b[j, c] = -(2.0 ** 40)
    out = torch.mm(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    assert (out == out[:1]).all()  # every row alike
    return out[0].astype(np.int64)


@exact
@pytest.mark.parametrize("k", [100, 193, 300, 385, 784, 1000])
def test_probe_k_blocks(k):
    """MKL's order for M, N >= 12: per K block one chain from the block's start, blocks added
    in order; this predicts each probe exactly (a wrong block size or join order fails here)."""
    blocks = G.kblocks(k)
    js = list(range(1, k))

    def expected(j):
        s, e = next(be for be in blocks if be[0] <= j < be[1])
        if s == 0:  # same chain as product 0: the ones before j are absorbed
            return k - 1 - j
        # product 0's block sum is +2**40 and j's block sum -2**40; they cancel when j's block
        # is added, and only the blocks after it survive
        return k - e

    got = []
    for s in range(0, len(js), 64):
        chunk = js[s:s + 64]
        got.extend(_probe(k, 0, chunk, n=max(12, len(chunk))).tolist()[:len(chunk)])
    assert got == [expected(j) for j in js]


@exact
def test_probe_four_lanes():
    """M < 12 rows outside full 4-row blocks (here M = 3, nn.Linear layout): four lanes over
    k mod 4, reduced (l0 + l2) + (l1 + l3), no K blocks."""
    k, n = 784, 64
    rng = np.random.default_rng(0)
    js = [int(j) for j in rng.choice(np.arange(1, k), n, replace=False)]
    a = np.ones((3, k), np.float32)
    w = np.ones((n, k), np.float32)
    a[:, 0] = 2.0 ** 20
    w[:, 0] = 2.0 ** 20
    for c, j in enumerate(js):
        w[c, j] = -(2.0 ** 40)
    got = (torch.from_numpy(a) @ torch.from_numpy(w).t()).numpy()
    assert (got == got[:1]).all()
    got = got[0].astype(np.int64)
    per_lane = k // 4
    want = [per_lane * 2 if j % 4 == 2 else 0 if j % 4 else k - 2 - (j // 4 - 1)
            for j in js]
    assert got.tolist() == want


@exact
def test_thread_split():
    """(7, 784) @ W.t(): on 1 thread all rows are the blocked FMA order, on 2 threads rows 4-6
    are a second thread's 4-lane product; each claim fails against the other thread count."""
    rng = np.random.default_rng(9)
    tx, tb, _ = _operands(rng, 7, 512, 784, "nt")
    x, b = tx.numpy(), tb.numpy()
    for threads in (1, 2):
        torch.set_num_threads(threads)
        want = torch.mm(tx, tb)
        assert _diff(G.mkl_sgemm(x, b, threads), want) == 0
        assert _diff(G.mkl_sgemm(x, b, 3 - threads), want) > 0
    assert not G.covered(x, b, threads=4)


def test_kblocks():
    assert G.kblocks(192) == [(0, 192)]
    assert G.kblocks(193) == [(0, 96), (96, 192), (192, 193)]
    assert G.kblocks(384) == [(0, 192), (192, 384)]
    assert G.kblocks(784) == [(0, 192), (192, 384), (384, 576), (576, 768), (768, 784)]


def test_fallback_is_numpy(monkeypatch):
    # off the measured processor (or outside the covered class) the products are NumPy's
    monkeypatch.setattr(G, "emulated", lambda: False)
    monkeypatch.setattr(G, "_intel_measured", lambda: False)  # (nor the Intel profile)
    rng = np.random.default_rng(5)
    a = rng.standard_normal((20, 300)).astype(np.float32)
    b = rng.standard_normal((300, 30)).astype(np.float32)
    bias = rng.standard_normal(30).astype(np.float32)
    assert np.array_equal(G.mkl_sgemm(a, b, 2), a @ b)
    assert np.array_equal(G.mkl_addmm(bias, a, b, threads=2), bias + a @ b)
    # (N = 1: a by rows at any address and row stride, see _mkl_gemm._offset)
    assert G.covered(a[:1], b, threads=2) and G.covered(a[:, 1:], b[:, 1:2], threads=2)
    assert G.covered(a, b[:, :1], threads=2)
    assert not G.covered(a[:1], b[:, :1], alpha=0.5, threads=2)
    assert np.array_equal(G.mkl_sgemm(a, b[:, :1], 2), a @ b[:, :1])
    assert G.covered(a[:3], b[:, :18], threads=2)  # tail rows after the first, N % 4 != 0
    assert G.covered(a[:1], np.ascontiguousarray(b[:, :10]), threads=2)  # N < 12, b by rows
    assert G.covered(a, np.ascontiguousarray(b[:, :8]), threads=2)
    assert G.covered(a, np.ascontiguousarray(b[:, :10]), threads=2)  # rows 1, 3, ...: heads
    assert not G.covered(a[:, :1], b[:1, :20], 0.5, threads=2)  # (order 1, K = 1 and alpha)
    assert G.covered(a[:, :296], np.asfortranarray(b[:296, :10]), threads=2)  # b = W.t()
    assert G.covered(a, np.asfortranarray(b[:, :10]), threads=2)  # 8 lanes, K % 8 = 4
    assert G.covered(a[:, :298], np.asfortranarray(b[:298, :10]), threads=2)  # K % 4 = 2
    assert G.covered(a[:1], np.asfortranarray(b[:, :12]), threads=2)


# -- wired into ember: its public products and a training run, against PyTorch -------------

@pytest.fixture
def _ember_two_threads():
    """ember models PyTorch's intra-op threads (ember._ops._cascade); pin them to the 2 the
    tests give PyTorch, and put them back after."""
    from ember._ops import _cascade

    before = _cascade.intraop_threads
    _cascade.intraop_threads = 2
    yield
    _cascade.intraop_threads = before


def _mlp(T):
    nn = T.nn
    T.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512),
                         nn.ReLU(), nn.Linear(512, 10))


@exact
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_training_is_bit_identical(opt_name, _ember_two_threads):
    """The quickstart's network trained through ember's public API (nn.Linear, cross-entropy,
    backward, the optimizer) on the batches PyTorch's seeded RNG draws: every parameter after
    every step equals PyTorch's to the bit.  Batches of 64 and 32 (all rows in the blocked
    order, the 10-class layer in lanes), 10 (rows 8-9 a second thread's, in lanes) and 3."""
    import ember

    finals = {}
    for T in (torch, ember):
        model = _mlp(T)
        opt = getattr(T.optim, opt_name)(model.parameters(), lr=1e-3)
        loss_fn = T.nn.CrossEntropyLoss()
        T.manual_seed(1)
        seen = []
        for batch in (64, 32, 64, 10, 3, 64):
            x = T.rand(batch, 1, 28, 28)
            y = T.randint(0, 10, (batch,))
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen.append([p.detach().numpy().copy() for p in model.parameters()])
            seen[-1].append(np.float32(loss.item()))
        finals[T.__name__] = seen
    for step, (want, got) in enumerate(zip(finals["torch"], finals["ember"])):
        for i, (w, g) in enumerate(zip(want, got)):
            assert np.array_equal(w.view(np.uint32), np.asarray(g).view(np.uint32)), (step, i)


@exact
@pytest.mark.parametrize("m,k,n", [(64, 784, 512), (64, 512, 10), (10, 64, 512), (3, 784, 20),
                                   (7, 100, 44), (13, 300, 12)])
def test_public_products_bit_identical(m, k, n, _ember_two_threads):
    """mm, addmm, F.linear (2-D and 3-D input), matmul of a vector and of a batch, and the
    gradients they send back: as PyTorch's bits."""
    import ember

    rng = np.random.default_rng(m * k + n)
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    v = rng.standard_normal(k).astype(np.float32)
    out = {}
    for T in (torch, ember):
        tx = T.tensor(x, requires_grad=True)
        tw = T.tensor(w, requires_grad=True)
        tb = T.tensor(bias, requires_grad=True)
        res = [T.mm(tx, tw.t()), T.addmm(tb, tx, tw.t()), T.nn.functional.linear(tx, tw, tb),
               T.nn.functional.linear(tx.reshape(1, m, k), tw, tb),
               T.matmul(T.tensor(v), tw.t()), T.matmul(tx.reshape(1, m, k), tw.t()),
               T.addmm(tb, tx, tw.t(), beta=0.5, alpha=1.5)]
        sum(r.sum() for r in res).backward()
        out[T.__name__] = [r.detach().numpy() for r in res] + \
            [t.grad.numpy() for t in (tx, tw, tb)]
    # (a vector through a wide layer, or with N % 4 != 0, is NumPy's: see _GEMV_MAX)
    vector_exact = G.covered(v[None], w.T, threads=2)
    for i, (want, got) in enumerate(zip(out["torch"], out["ember"])):
        if i == 4 and not vector_exact:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
            continue
        assert _diff(got, torch.from_numpy(want)) == 0, i


@exact
@pytest.mark.parametrize("n,k", [(16, 16), (16, 17), (12, 4), (17, 4), (17, 5), (20, 5),
                                 (100, 2), (101, 2), (101, 1), (140, 3)])
def test_thread_split_boundaries(n, k):
    """M = 10 on 2 threads: MKL splits the rows (8 + 2) exactly where _split says, for both
    layouts of b (rows: the tail is one chain; W.t(): lanes)."""
    rng = np.random.default_rng(n * 100 + k)
    for layout in ("nn", "nt"):
        if layout == "nt" and k % 8:
            continue  # (lane rows need K % 4, or % 8 with N % 4 != 0; not what is probed here)
        tx, tb, _ = _operands(rng, 10, n, k, layout)
        x, b = tx.numpy(), tb.numpy()
        if not G.covered(x, b, threads=2):
            continue
        assert _diff(G.mkl_sgemm(x, b, 2), torch.mm(tx, tb)) == 0, (layout, G._split(n, k))


@exact
def test_chain_rows_start_at_the_bias():
    """Tail rows with b by rows: one chain from round(beta * bias), alpha rounding a first."""
    rng = np.random.default_rng(4)
    tx, tb, _ = _operands(rng, 2, 512, 64, "nn")
    bias = torch.from_numpy(rng.standard_normal(512).astype(np.float32))
    x, b = tx.numpy(), tb.numpy()
    for alpha, beta in ((1.0, 1.0), (0.3, 1.0), (1.0, 0.7), (2.5, 0.0)):
        want = torch.addmm(bias, tx, tb, beta=beta, alpha=alpha)
        assert _diff(G.mkl_addmm(bias.numpy(), x, b, beta, alpha, 2), want) == 0, (alpha, beta)
        # (the bias added after the chain, as NumPy would, differs)
    assert _diff(x @ b + bias.numpy(), torch.addmm(bias, tx, tb)) > 0


def test_precision_below_highest_takes_numpys_order():
    """set_float32_matmul_precision('high') lets ember's CPU products take NumPy's order (and
    speed); 'highest', the default, is PyTorch's where ember knows it."""
    import ember

    rng = np.random.default_rng(8)
    a = rng.standard_normal((64, 784)).astype(np.float32)
    w = rng.standard_normal((512, 784)).astype(np.float32)
    assert ember.get_float32_matmul_precision() == "highest"
    exact_out = (ember.from_numpy(a) @ ember.from_numpy(w).t()).numpy()
    try:
        ember.set_float32_matmul_precision("high")
        assert G.mm(a, w.T) is None
        fast = (ember.from_numpy(a) @ ember.from_numpy(w).t()).numpy()
    finally:
        ember.set_float32_matmul_precision("highest")
    np.testing.assert_allclose(fast, exact_out, rtol=1e-5, atol=1e-4)
    if G.emulated():
        want = torch.from_numpy(a) @ torch.from_numpy(w).t()
        assert _diff(exact_out, want) == 0
        assert _diff(fast, want) > 0


@exact
def test_training_script_prints_every_bit_as_pytorch():
    """tests/scripts/training_parity.py (a FashionMNIST slice through a shuffled DataLoader;
    SGD+Nesterov, Adam, AdamW, RMSprop with schedulers, dropout, label smoothing, gradient
    clipping) printing every loss in full and the parameters' sums: the same text as PyTorch."""
    import os
    import subprocess
    import sys

    here = os.path.dirname(__file__)
    path = os.path.join(here, "scripts", "training_parity.py")
    env = dict(os.environ, PARITY_DIGITS="all", PYTHONHASHSEED="0")
    as_ember = ("import sys, runpy, ember._compat as c; c.install(); "
                "sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')")
    outs = []
    for args in ([path], ["-c", as_ember, path]):
        p = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                           timeout=300)
        assert p.returncode == 0, p.stderr
        outs.append(p.stdout)
    assert outs[0].count("\n") >= 5 and outs[1] == outs[0]


@exact
@pytest.mark.parametrize("B,m,k,n", [(4, 3, 4, 5), (2, 7, 8, 7), (8, 16, 64, 16), (16, 10, 32, 32),
                                     (1, 10, 32, 32), (3, 5, 64, 512), (2, 2, 64, 512),
                                     (2, 12, 300, 20)])
@pytest.mark.parametrize("layout", ["nn", "nt", "tn"])
def test_bmm_bit_identical(B, m, k, n, layout, _ember_two_threads):
    """torch.bmm and a 4-D matmul (PyTorch's bmm on the flattened batch), forward and both
    gradients: its own loop under M*K*N = 400 (one non-fused chain per output), MKL per matrix
    above, on one thread each when the batch has several (on both when it has one)."""
    import ember

    rng = np.random.default_rng(B * 1000 + m * k + n)
    a = rng.standard_normal((B, m, k)).astype(np.float32)
    b = rng.standard_normal((B, k, n)).astype(np.float32)
    outs = {}
    for T in (torch, ember):
        ta = T.tensor(a.transpose(0, 2, 1).copy() if layout == "tn" else a, requires_grad=True)
        tb = T.tensor(b.transpose(0, 2, 1).copy() if layout == "nt" else b, requires_grad=True)
        x = ta.mT if layout == "tn" else ta
        y = tb.mT if layout == "nt" else tb
        r = T.bmm(x, y)
        r4 = T.matmul(x.reshape(1, B, m, k), y.reshape(1, B, k, n))
        (r * r).sum().backward()
        outs[T.__name__] = [v.detach().numpy() for v in (r, r4, ta.grad, tb.grad)]
    for i, (want, got) in enumerate(zip(outs["torch"], outs["ember"])):
        assert _diff(got, torch.from_numpy(want)) == 0, i


# -- N = 1: a regression output (nn.Linear(K, 1)) and x @ w with w of shape (K, 1) ----------

def _at16(rng, shape, offset=0):
    """A float32 array of ``shape`` starting ``offset`` floats past a 16-byte boundary."""
    n = int(np.prod(shape))
    buf = np.empty(n + 8, np.float32)
    s = (-buf.ctypes.data // 4) % 4 + offset
    out = buf[s:s + n].reshape(shape)
    out[...] = rng.standard_normal(shape)
    return out


@exact
@pytest.mark.parametrize("threads", [1, 2])
def test_n1_random(threads):
    """N = 1 on random shapes, both layouts of b (W.t() and a (K, 1) column), a by rows (lane
    dots, groups of 4 rows and the M % 4 rows after them), by columns (one chain) or a single
    row (8 lanes with W.t(), one chain with a column), alpha and beta: every covered case bit
    for bit, and NumPy's order differs from MKL's in some of them."""
    torch.set_num_threads(threads)
    rng = np.random.default_rng(40 + threads)
    covered = differs = 0
    for t in range(48):
        m = (1, int(rng.integers(2, 160)), int(rng.integers(2, 30)))[t % 3]
        k = int(rng.integers(1, 40) if t % 2 else rng.integers(40, 1200))
        a = _at16(rng, (m, k))
        if t % 3 == 2:
            a = np.asfortranarray(a)
        w = rng.standard_normal((1, k)).astype(np.float32)
        tb = torch.from_numpy(w).t() if t % 4 < 2 else torch.from_numpy(w.T.copy())
        ta, b = torch.from_numpy(a), tb.numpy()
        bias = rng.standard_normal(1).astype(np.float32)
        alpha, beta = ((1.0, 1.0), (0.3, 1.0), (1.0, 0.7), (2.5, 0.0))[t // 3 % 4]
        if not G.covered(a, b, alpha, beta, threads):
            assert m == 1 and t % 4 >= 2 and alpha != 1, (m, k, t)
            continue
        covered += 1
        want = torch.addmm(torch.from_numpy(bias), ta, tb, beta=beta, alpha=alpha)
        got = G.mkl_addmm(bias, a, b, beta, alpha, threads)
        assert _diff(got, want) == 0, (m, k, t, alpha, beta)
        want = torch.mm(ta, tb)
        assert _diff(G.mkl_sgemm(a, b, threads), want) == 0, (m, k, t)
        differs += _diff(a @ b, want) > 0
    assert covered >= 36 and differs >= 10


@exact
@pytest.mark.parametrize("k", [16, 33, 64])
def test_n1_probe_four_lane_dots(k):
    """a (M % 4 == 0 rows) times a column: per row the first (K-1) % 4 + 1 products in order
    into lane 0, then 4 lanes over k, reduced (l0 + l2) + (l1 + l3); the probe (+2**40 at
    k = 0, -2**40 at k = j, ones elsewhere) sees exactly that."""
    h = (k - 1) % 4 + 1
    per = (k - h) // 4
    got = []
    for j in range(1, k):
        a = np.ones((8, k), np.float32)
        w = np.ones((k, 1), np.float32)
        a[:, 0] = w[0] = 2.0 ** 20
        a[:, j] = -(2.0 ** 40)
        out = torch.mm(torch.from_numpy(a), torch.from_numpy(w)).numpy()[:, 0]
        assert (out == out[0]).all()
        assert _diff(G.mkl_sgemm(a, w, 2), torch.from_numpy(out[:, None])) == 0
        got.append(int(out[0]))
    want = []
    for j in range(1, k):
        lane = 0 if j < h else (j - h) % 4
        if lane == 0:  # lane 0's chain: the ones before j are absorbed, lanes 1-3 come after
            want.append(k - 1 - j if j < h else (k - 1 - j) // 4 + 3 * per)
        else:
            want.append(2 * per if lane == 2 else 0)
    assert got == want


@exact
def test_n1_alignment_and_strides():
    """The 4-lane dots depend on where a starts and on its row stride: off a 16-byte boundary
    or with rows spaced, the last (o + K - lda) % 4 products come after the lanes; b's
    stride along K does not matter."""
    rng = np.random.default_rng(3)
    a = _at16(rng, (8, 33))
    wide = rng.standard_normal((33, 5)).astype(np.float32)
    tb = torch.from_numpy(wide)[:, 2:3]
    want = torch.mm(torch.from_numpy(a), tb)
    assert G.covered(a, tb.numpy(), threads=2)
    assert _diff(G.mkl_sgemm(a, tb.numpy(), 2), want) == 0
    # the same values off the boundary, or rows 40 floats apart: MKL's order moves with them
    off = _at16(rng, (8, 33), 1)
    off[...] = a
    spaced = _at16(rng, (8, 40))[:, :33]
    spaced[...] = a
    for other in (off, spaced):
        assert _diff(torch.mm(torch.from_numpy(other), tb), want) > 0
        assert G.covered(other, tb.numpy(), threads=2)
        assert _diff(G.mkl_sgemm(other, tb.numpy(), 2), torch.mm(torch.from_numpy(other), tb)) \
            == 0


@exact
def test_single_column_chains_are_sequential():
    """One output summed by a chain (bmm's own loop for M = N = 1, a single row times a
    column): sequential, not NumPy's pairwise sum of a contiguous run."""
    rng = np.random.default_rng(6)
    a = rng.standard_normal((1, 1, 300)).astype(np.float32)
    b = rng.standard_normal((1, 300, 1)).astype(np.float32)
    want = torch.bmm(torch.from_numpy(a), torch.from_numpy(b))
    assert _diff(G.bmm(a, b), want) == 0
    assert _diff(G.mkl_sgemm(a[0], b[0], 2), torch.mm(torch.from_numpy(a[0]),
                                                       torch.from_numpy(b[0]))) == 0


@exact
def test_regression_head_training(_ember_two_threads):
    """nn.Linear(13, 1) under MSE, trained with SGD on batches of 64 and 32 through ember's
    public API: every parameter and loss after every step as PyTorch's, to the bit."""
    import ember

    rng = np.random.default_rng(12)
    data = [(rng.standard_normal((b, 13)).astype(np.float32),
             rng.standard_normal((b, 1)).astype(np.float32)) for b in (64, 32, 64, 64)]
    runs = {}
    for T in (torch, ember):
        T.manual_seed(0)
        model = T.nn.Sequential(T.nn.Linear(13, 16), T.nn.Tanh(), T.nn.Linear(16, 1))
        opt = T.optim.SGD(model.parameters(), lr=0.05)
        seen = []
        for x, y in data:
            loss = T.nn.functional.mse_loss(model(T.tensor(x)), T.tensor(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen.append([p.detach().numpy().copy() for p in model.parameters()] +
                        [np.float32(loss.item())])
        runs[T.__name__] = seen
    for step, (want, got) in enumerate(zip(runs["torch"], runs["ember"])):
        for i, (w, g) in enumerate(zip(want, got)):
            assert np.array_equal(np.asarray(w).view(np.uint32), np.asarray(g).view(np.uint32)), \
                (step, i)


@exact
def test_n1_probe_tail_rows():
    """The M % 4 rows after the groups of 4 (here all of M = 3): 4 products in order, 8 lanes
    (rows 0 and 2) or 4 lanes (row 1) over the next 8 * ((K - 4) // 8), halved pairwise, the
    rest added in order; the probes tell the rows apart, and the emulation matches each."""
    k = 41
    rows = []
    for j in range(1, k):
        a = np.ones((3, k), np.float32)
        w = np.ones((k, 1), np.float32)
        a[:, 0] = w[0] = 2.0 ** 20
        a[:, j] = -(2.0 ** 40)
        out = torch.mm(torch.from_numpy(a), torch.from_numpy(w))
        assert _diff(G.mkl_sgemm(a, w, 2), out) == 0, j
        rows.append(out.numpy()[:, 0].astype(np.int64))
    rows = np.array(rows)
    assert (rows[:, 0] == rows[:, 2]).all() and (rows[:, 0] != rows[:, 1]).any()
    # the last five products come after the lanes, one by one
    assert rows[-5:, 0].tolist() == rows[-5:, 1].tolist() == [4, 3, 2, 1, 0]
    # k = 12 follows 0..4 in lane 0 of 8 lanes (the ones at 1..4 absorbed, 35 of 39 left), as
    # k = 8 does in lane 0 of 4
    assert rows[11, 0] == rows[7, 1] == 39 - 4 and rows[7, 0] != rows[7, 1]


@exact
@pytest.mark.parametrize("threads", [1, 2])
def test_chain_rows_with_heads_random(threads):
    """b by rows, N % 4 != 0: in a chain row i the -(i * N) % 4 outputs before C's first
    16-byte boundary of the row take the grouped order when 4 or more outputs follow them;
    random shapes, both layouts of a, alpha and beta, every covered case bit for bit."""
    torch.set_num_threads(threads)
    rng = np.random.default_rng(70 + threads)
    heads = 0
    for t in range(40):
        m = int(rng.integers(2, 14) if t % 3 else rng.integers(12, 40))
        n = int(rng.choice([5, 6, 7, 9, 10, 11, 13, 18, 22, 30]))
        k = int(rng.integers(2, 40) if t % 2 else rng.integers(40, 400))
        tx, tb, _ = _operands(rng, m, n, k, ("nn", "tn")[t % 2])
        bias = torch.from_numpy(rng.standard_normal(n).astype(np.float32))
        x, b = tx.numpy(), tb.numpy()
        alpha, beta = ((1.0, 1.0), (0.3, 1.0), (1.0, 0.7), (0.3, 0.0))[t % 4]
        assert G.covered(x, b, alpha, beta, threads), (m, n, k)
        want = torch.addmm(bias, tx, tb, beta=beta, alpha=alpha)
        assert _diff(G.mkl_addmm(bias.numpy(), x, b, beta, alpha, threads), want) == 0, \
            (m, n, k, alpha, beta)
        want = torch.mm(tx, tb)
        assert _diff(G.mkl_sgemm(x, b, threads), want) == 0, (m, n, k)
        if k >= 8 and G.plan(m, k, n, False, threads)[0] < m - 1:
            # (the heads' order is not the plain chain's: a plain chain misses some of them)
            chain = G._chain(x, b, None)
            heads += _diff(chain, want) > 0
    assert heads >= 5


@exact
def test_probe_head_outputs():
    """Row 1 of a (2, K) @ (K, 6) product starts 8 bytes past a 16-byte boundary of C: its
    two head outputs group the products of k = 4-7, 12-15, ... (the probe: +2**40 at k = 0,
    -2**40 at j; a j in such a group takes its three ones down with it)."""
    k, n = 40, 6
    got = []
    for j in range(1, k):
        a = np.ones((2, k), np.float32)
        b = np.ones((k, n), np.float32)
        a[:, 0] = b[0] = 2.0 ** 20
        b[j] = -(2.0 ** 40)
        out = torch.mm(torch.from_numpy(a), torch.from_numpy(b))
        assert _diff(G.mkl_sgemm(a, b, 2), out) == 0, j
        got.append(out.numpy()[1].astype(np.int64))
    got = np.array(got)
    chain = [k - 1 - j for j in range(1, k)]
    assert got[:, 2:].T.tolist() == [chain] * (n - 2)  # (after the boundary: one chain)
    grouped = [k - 8 * (j // 8 + 1) if j % 8 >= 4 else k - 1 - j for j in range(1, k)]
    assert got[:, 0].tolist() == got[:, 1].tolist() == grouped


@exact
def test_n1_single_row_alignment():
    """One row through nn.Linear(K, 1) (b = W.t()): 4 products, 8 lanes, the rest one by one,
    as the first of the M % 4 rows; the order moves with the row's address (the products
    up to its next 16-byte boundary first: _tail_head), claimed at any."""
    rng = np.random.default_rng(17)
    for k in (7, 12, 45, 300):
        w = torch.from_numpy(rng.standard_normal((1, k)).astype(np.float32))
        bias = torch.from_numpy(rng.standard_normal(1).astype(np.float32))
        x = _at16(rng, (1, k))
        want = F.linear(torch.from_numpy(x), w, bias)
        assert G.covered(x, w.numpy().T, threads=2)
        assert _diff(G.mkl_addmm(bias.numpy(), x, w.numpy().T, threads=2), want) == 0, k
        for o in (1, 2, 3):
            off = _at16(rng, (1, k), o)
            off[...] = x
            assert G.covered(off, w.numpy().T, threads=2)
            want = F.linear(torch.from_numpy(off), w, bias)
            assert _diff(G.mkl_addmm(bias.numpy(), off, w.numpy().T, threads=2), want) == 0


@exact
@pytest.mark.parametrize("m,n", [(2, 2), (5, 7), (300, 513), (1, 7), (6, 1)], ids=str)
def test_one_term_products_keep_the_sign_of_zero(m, n):
    """K = 1: MKL gives the products themselves (a -0 stays -0) into two or more rows and
    columns; its one-row and one-column paths sum from +0 (-0 becomes +0)."""
    import ember

    rng = np.random.default_rng(m * 1000 + n)
    a = rng.standard_normal((m, 1)).astype(np.float32)
    b = rng.standard_normal((1, n)).astype(np.float32)
    a[::2] = 0
    b[0, ::3] = -0.0
    want = torch.mm(torch.tensor(a), torch.tensor(b)).numpy()
    got = (ember.tensor(a) @ ember.tensor(b)).numpy()
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


@exact
def test_linear_weight_grad_of_one_sample_prints_negative_zeros():
    """One sample through a Linear whose input has zeros (a dead ReLU unit, say): the weight
    gradient is an outer product, and PyTorch shows ``-0.`` where the output gradient is
    negative."""
    import ember

    x = np.array([[0.0, 1.5, 0.0, -2.0]], np.float32)
    out = []
    for mod in (torch, ember):
        mod.manual_seed(0)
        lin = mod.nn.Linear(4, 3)
        (lin(mod.tensor(x)) * mod.tensor([[-1.0, 2.0, -3.0]])).sum().backward()
        out.append(str(lin.weight.grad))
    assert out[0] == out[1] and "-0." in out[0]
