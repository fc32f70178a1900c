"""PyTorch's float32 products (MKL sgemm) on the Intel processor ``_mkl_gemm`` measured as its
second profile (``profile() == "intel"``): K blocks of 384, and K split between the 2 threads
for M 64..96 (see "Intel" in ``ember._ops._mkl_gemm``'s docstring).  Differential against the
live PyTorch, bit for bit, in the claimed region; NumPy's product outside it.
"""
from __future__ import annotations

import numpy as np
import pytest

from ember._ops import _mkl_gemm as G
from diff import assert_same_training, classifier_steps

torch = pytest.importorskip("torch")
import ember  # noqa: E402

pytestmark = pytest.mark.skipif(
    G.profile() != "intel" or not torch.backends.mkl.is_available(),
    reason="the Intel order is reproduced only on the measured Intel processor")


@pytest.fixture(autouse=True)
def _two_threads():
    """PyTorch and ember's model of it on 2 intra-op threads (the order was measured there)."""
    from ember._ops import _cascade

    before, before_e = torch.get_num_threads(), _cascade.intraop_threads
    torch.set_num_threads(2)
    _cascade.intraop_threads = 2
    yield
    torch.set_num_threads(before)
    _cascade.intraop_threads = before_e


def _bits(x):
    return np.ascontiguousarray(np.asarray(x, np.float32)).view(np.uint32)


def _same(e, t):
    e = e.detach().numpy() if hasattr(e, "detach") else e
    t = t.detach().numpy()
    assert e.shape == t.shape
    assert np.array_equal(_bits(e), _bits(t))


def _pair(rng, shape, by_columns):
    x = rng.standard_normal(shape[::-1] if by_columns else shape).astype(np.float32)
    if by_columns:
        return torch.from_numpy(x).t(), ember.from_numpy(x).t()
    return torch.from_numpy(x), ember.from_numpy(x)


def _shapes(seed, count):
    """Random (M, K, N) in the claimed region: K <= 768 (any 16 <= M, 2 <= N), or K split
    (M 64..96, N 16..1024)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        if i % 3 == 2:
            m, k, n = int(rng.integers(64, 97)), int(rng.integers(769, 1600)), \
                int(rng.integers(16, 700))
        else:
            m = int(np.exp(rng.uniform(np.log(16), np.log(1100))))
            k = int(np.exp(rng.uniform(0, np.log(768))))
            n = int(np.exp(rng.uniform(np.log(2), np.log(1100))))
            if m * k * n > 3e7:
                m = max(16, int(3e7 // (k * n)))
        out.append((m, k, n))
    return out


@pytest.mark.parametrize("seed", range(3))
def test_random_products_bit_for_bit(seed):
    """mm, matmul and addmm (bias of N and of (M, N)) on every layout of both operands."""
    rng = np.random.default_rng(100 + seed)
    for i, (m, k, n) in enumerate(_shapes(seed, 10)):
        ta, ea = _pair(rng, (m, k), i % 2 == 1)
        tb, eb = _pair(rng, (k, n), i % 4 >= 2)
        assert G.covered(ea.numpy(), eb.numpy())
        _same(ember.mm(ea, eb), torch.mm(ta, tb))
        _same(ea @ eb, ta @ tb)
        if k > 1:
            bias = rng.standard_normal((n,) if i % 3 else (m, n)).astype(np.float32)
            _same(ember.addmm(ember.from_numpy(bias), ea, eb),
                  torch.addmm(torch.from_numpy(bias), ta, tb))


@pytest.mark.parametrize("m,k,n", [(64, 784, 512), (64, 512, 512), (64, 512, 10), (96, 1000, 1024),
                                   (256, 300, 128), (1024, 512, 10), (16, 768, 100),
                                   (80, 2000, 64), (128, 64, 784), (128, 784, 256),
                                   (256, 784, 512), (100, 784, 300), (32, 784, 128),
                                   (16, 1500, 800), (128, 784, 128), (32, 784, 512),
                                   (16, 784, 512)])
def test_linear_forward_and_backward(m, k, n):
    """F.linear (W.t() as MKL's transposed b, the bias starting C) and its gradients (those
    whose products the region covers: the weight's is (N, M) @ (M, K), not claimed for
    N < 16 or for M > 768 outside the split region)."""
    rng = np.random.default_rng(m * 7 + k + n)
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = (rng.standard_normal((n, k)) / np.sqrt(k)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    g = rng.standard_normal((m, n)).astype(np.float32)
    outs = []
    for T in (torch, ember):
        xt, wt, bt = (T.tensor(v, requires_grad=True) for v in (x, w, b))
        y = T.nn.functional.linear(xt, wt, bt)
        y.backward(T.tensor(g))
        outs.append((y, xt.grad, wt.grad, bt.grad))
    claimed = (True, G.covered(g, w), G.covered(g.T, x), True)
    assert G.covered(x, w.T)
    for e, t, c in zip(outs[1], outs[0], claimed, strict=True):
        if c:
            _same(e, t)


def test_mlp_training_steps():
    """A few SGD steps of the 784-512-512-10 MLP at batch 64: every loss and parameter."""
    rng = np.random.default_rng(0)
    x = rng.random((64 * 3, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64 * 3)
    runs = []
    for T in (torch, ember):
        T.manual_seed(0)
        nn = T.nn
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10))
        opt = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        runs.append(classifier_steps(T, model, opt, T.tensor(x), T.tensor(y), 64, 3))
    assert_same_training(runs[1], runs[0])


def test_k784_not_split_at_larger_batches():
    """768 < K <= 800 (nn.Linear(784, ...)) for batches of 100 and more: the blocks of K in
    sequence, no split (random M, N in that region, every layout)."""
    rng = np.random.default_rng(21)
    done = 0
    while done < 6:
        m, k, n = int(rng.integers(100, 700)), int(rng.integers(769, 801)), \
            int(rng.integers(100, 900))
        if G.plan(m, k, n, done % 2 == 0, 2) != (0, "intel"):
            continue
        ta, ea = _pair(rng, (m, k), done % 3 == 1)
        tb, eb = _pair(rng, (k, n), done % 2 == 0)
        bias = rng.standard_normal(n).astype(np.float32)
        _same(ea @ eb, ta @ tb)
        _same(ember.addmm(ember.from_numpy(bias), ea, eb),
              torch.addmm(torch.from_numpy(bias), ta, tb))
        done += 1


def test_split_rule_at_the_edges():
    """K just past 768 (the halves summed in two blocks each) and blocks of 384 with a
    remainder, with the bias in the first half."""
    rng = np.random.default_rng(5)
    for m, k, n in ((64, 769, 33), (96, 1153, 40), (70, 2999, 17)):
        ta, ea = _pair(rng, (m, k), False)
        tb, eb = _pair(rng, (k, n), True)
        bias = rng.standard_normal(n).astype(np.float32)
        _same(ember.addmm(ember.from_numpy(bias), ea, eb),
              torch.addmm(torch.from_numpy(bias), ta, tb))


def test_linear_at_small_batches_halves_the_last_blocks():
    """nn.Linear's x @ W.t() at batch 16..56 for N 379..755 and K > 768 (the quickstart's last
    batch of 32 and its test set's last 16 through Linear(784, 512)): blocks of 384 in
    sequence until 768 or fewer are left, those halved; no split between the threads."""
    assert G._intel_blocks(784, True) == ((0, 384), (384, 584), (584, 784))
    assert G._intel_blocks(1153, True) == ((0, 384), (384, 768), (768, 961), (961, 1153))
    assert G._intel_blocks(1152, True) == ((0, 384), (384, 768), (768, 1152))
    assert G._intel_blocks(784) == ((0, 384), (384, 768), (768, 784))
    rng = np.random.default_rng(31)
    for i in range(8):
        m, n = int(rng.integers(16, 57)), int(rng.integers(379, 756))
        k = 784 if i < 3 else int(rng.integers(769, 3000))
        assert G.plan(m, k, n, True, 2) == (0, "intel-tail")
        x = rng.standard_normal((m, k)).astype(np.float32)
        w = rng.standard_normal((n, k)).astype(np.float32)
        b = rng.standard_normal(n).astype(np.float32)
        _same(ember.nn.functional.linear(ember.from_numpy(x), ember.from_numpy(w),
                                         ember.from_numpy(b) if i % 2 else None),
              torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w),
                                         torch.from_numpy(b) if i % 2 else None))
    # (other layouts there: the same, but K split where a leading dimension or N is a
    # multiple of 256 floats, tests/test_mkl_gemm_intel_mid.py; from batch 57 K is split
    # again)
    assert G.plan(32, 784, 512, False, 2) == (0, "intel-split")
    assert G.plan(32, 784, 500, False, 2) == (0, "intel-tail")
    assert G.plan(57, 784, 512, True, 2) == (0, "intel-split")


@pytest.mark.parametrize("seed", range(2))
def test_few_columns_or_little_work_past_k_768(seed):
    """K > 768 on 2 threads with N <= 56: halved last blocks, unsplit, where M * N * K <=
    192000 or (with ``a`` by rows) M >= 379; K split otherwise (every layout, with a bias)."""
    rng = np.random.default_rng(40 + seed)
    for i in range(9):
        if i % 3 == 0:
            m, k = int(rng.integers(16, 100)), int(rng.integers(769, 3000))
            n = max(2, min(15, 192000 // (m * k)))
        elif i % 3 == 1:
            m, k, n = int(rng.integers(16, 379)), int(rng.integers(769, 3000)), \
                int(rng.integers(2, 57))
        else:
            m, k, n = int(rng.integers(379, 1100)), int(rng.integers(769, 3000)), \
                int(rng.integers(2, 57))
        a_cols, b_cols = i % 2 == 1, (i // 2) % 2 == 1
        want = "intel-tail" if m * n * k <= 192000 or m >= 379 and not a_cols else "intel-split"
        assert G.plan(m, k, n, b_cols, 2, 1.0, a_cols) == (0, want)
        ta, ea = _pair(rng, (m, k), a_cols)
        tb, eb = _pair(rng, (k, n), b_cols)
        bias = rng.standard_normal(n).astype(np.float32)
        _same(ea @ eb, ta @ tb)
        _same(ember.addmm(ember.from_numpy(bias), ea, eb),
              torch.addmm(torch.from_numpy(bias), ta, tb))


@pytest.mark.parametrize("m,k,n,alpha", [(8, 17000, 20, 1.0), (40, 17000, 30, 1.0),
                                         (1, 100, 1, 1.0), (64, 100, 64, 0.5),
                                         (100, 16400, 100, 1.0)])
def test_outside_the_region_is_numpys_product(m, k, n, alpha):
    """K > 16384, M = N = 1 and
    alpha != 1 are not claimed: the product is NumPy's, as before (other M < 16 and N = 1
    products: tests/test_mkl_gemm_intel_small.py)."""
    rng = np.random.default_rng(9)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    assert G.plan(m, k, n, False, 2, alpha) is None
    if alpha != 1:
        assert G.addmm(np.zeros(n, np.float32), a, b, 1.0, alpha) is None
        return
    assert G.mm(a, b) is None
    got = ember.mm(ember.from_numpy(a), ember.from_numpy(b)).numpy()
    assert np.array_equal(_bits(got), _bits(a @ b))


def test_one_and_two_threads_plans():
    assert G.plan(64, 784, 512, True, 1) == (0, "intel")  # (tests/test_mkl_gemm_intel_mid.py)
    assert G.plan(64, 784, 512, False, 1) == (0, "intel-tail")
    assert G.plan(64, 784, 512, True, 3) is None
    assert G.plan(64, 512, 512, True, 1) == (0, "intel")
    assert G.plan(64, 784, 512, True, 2) == (0, "intel-split")
    assert G.plan(256, 784, 512, True, 2) == (0, "intel")
    assert G.plan(256, 784, 64, True, 2) == (0, "intel-split")


def test_amd_profile_untouched():
    """The AMD-measured kernels (which other modules read through ``emulated()``) stay off."""
    assert not G.emulated()
    # (bmm: the Intel order per matrix, see tests/test_attn_intel.py)
    got = G.bmm(np.ones((2, 20, 30), np.float32), np.ones((2, 30, 40), np.float32))
    assert got is not None and np.array_equal(got, np.full((2, 20, 40), 30, np.float32))
