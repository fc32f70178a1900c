"""PyTorch's float32 products on the Intel processor for K > 768 with M and N of 57 or more
(``nn.Linear`` with 1000..4096 inputs at batch 64..1024, forward and backward): MKL on 2
threads splits K between them from ``K = 8 * min(M, N)`` on, and for M, N < 379 from
``3 M + N + 242`` on where that comes first; below, the K blocks in sequence (see
``_mkl_gemm._intel_splits``).  Also the thin products whose order depends on the leading
dimensions (``_intel_thin_split``) and K > 768 on one thread (and so in ``bmm``).
Differential against the live PyTorch, bit for bit.
"""
from __future__ import annotations

import numpy as np
import pytest

from ember._ops import _mkl_gemm as G

torch = pytest.importorskip("torch")
import ember  # noqa: E402

import test_mkl_gemm_intel as _intel  # noqa: E402

pytestmark = _intel.pytestmark
_two_threads = _intel._two_threads  # (the autouse fixture: 2 intra-op threads, as measured)


def _bits(x):
    x = x.detach().numpy() if hasattr(x, "detach") else x
    return np.ascontiguousarray(np.asarray(x, np.float32)).view(np.uint32)


def _same(e, t, what=""):
    e, t = _bits(e), _bits(t)
    assert e.shape == t.shape, what
    assert np.array_equal(e, t), f"{what}: {(e != t).sum()} of {e.size} outputs differ"


def _operand(rng, shape, by_columns, pad=0):
    """(torch, ember) views of one random float32 array of ``shape``, stored by rows or by
    columns, its rows (columns) ``pad`` floats further apart than packed."""
    r, c = shape[::-1] if by_columns else shape
    x = rng.standard_normal((r, c + pad)).astype(np.float32)
    t, e = torch.from_numpy(x)[:, :c], ember.from_numpy(x)[:, :c]
    return (t.t(), e.t()) if by_columns else (t, e)


def _check(rng, m, k, n, a_cols, b_cols, what="", pad_a=0, pad_b=0):
    """mm, matmul and addmm (a bias of N or of (M, N)) against PyTorch, bit for bit."""
    ta, ea = _operand(rng, (m, k), a_cols, pad_a)
    tb, eb = _operand(rng, (k, n), b_cols, pad_b)
    what = f"{what} M={m} K={k} N={n} a_cols={a_cols} b_cols={b_cols}"
    _same(ember.mm(ea, eb), torch.mm(ta, tb), what + " mm")
    bias = rng.standard_normal((n,) if (m + k + n) % 2 else (m, n)).astype(np.float32)
    _same(ember.addmm(ember.from_numpy(bias), ea, eb),
          torch.addmm(torch.from_numpy(bias), ta, tb), what + " addmm")


def _threshold(m, n):
    t = 8 * min(m, n)
    return min(t, 3 * m + n + 242) if n < 379 and m < 379 else t


def test_split_threshold():
    """The first K that MKL splits, exact: the plan and the bits at K - 1 and K, every layout,
    for M, N 57..4096 (powers of two included: the leading dimensions do not matter here)."""
    rng = np.random.default_rng(0)
    pairs = [(128, 512), (128, 256), (256, 256), (200, 100), (97, 2048), (300, 320), (200, 378),
             (200, 379), (512, 128), (377, 383), (378, 300), (400, 320), (150, 100), (57, 700),
             (1024, 100), (100, 57)]
    for i, (m, n) in enumerate(pairs):
        t = _threshold(m, n)
        for k in (t - 1, t):
            if k <= 768:
                continue
            want = "intel-split" if k == t else "intel"
            a_cols, b_cols = (i + k) % 2 == 1, (i // 2 + k) % 2 == 1
            assert G.plan(m, k, n, b_cols, 2, 1.0, a_cols) == (0, want), (m, k, n)
            if m * n * k <= 1e8:  # (the larger ones: the plan only, to keep the test fast)
                _check(rng, m, k, n, a_cols, b_cols, want)
    assert G.plan(768, 6143, 1024, True, 2) == (0, "intel")
    assert G.plan(768, 6144, 1024, True, 2) == (0, "intel-split")
    assert G.plan(128, 16385, 512, True, 2) is None  # (past the K measured)
    assert G.plan(128, 1000, 512, True, 3) is None  # (3 threads: not measured)


def test_random_products():
    """Random M, N 57..1100 and K 769..4000, every layout, with a bias and without."""
    rng = np.random.default_rng(1)
    done = {"intel": 0, "intel-split": 0}
    while sum(done.values()) < 12:
        m = int(np.exp(rng.uniform(np.log(57), np.log(1100))))
        n = int(np.exp(rng.uniform(np.log(57), np.log(1100))))
        k = int(rng.integers(769, 4000))
        if m * n * k > 1e8:
            continue
        a_cols, b_cols = bool(rng.integers(2)), bool(rng.integers(2))
        p = G.plan(m, k, n, b_cols, 2, 1.0, a_cols)
        assert p in ((0, "intel"), (0, "intel-split"))
        if done[p[1]] >= 6:
            continue
        done[p[1]] += 1
        _check(rng, m, k, n, a_cols, b_cols)


@pytest.mark.parametrize("batch,fan_in,fan_out", [(64, 1000, 512), (128, 2048, 100),
                                                  (256, 1024, 256), (1024, 1000, 64),
                                                  (96, 4096, 300)])
def test_linear_forward_and_backward(batch, fan_in, fan_out):
    """F.linear (x @ W.t() + b) and its gradients (grad @ W, grad.t() @ x) in training shapes."""
    rng = np.random.default_rng(batch + fan_in + fan_out)
    x = rng.standard_normal((batch, fan_in)).astype(np.float32)
    w = (rng.standard_normal((fan_out, fan_in)) / np.sqrt(fan_in)).astype(np.float32)
    b = rng.standard_normal(fan_out).astype(np.float32)
    g = rng.standard_normal((batch, fan_out)).astype(np.float32)
    outs = []
    for T in (torch, ember):
        xt, wt, bt = (T.tensor(v, requires_grad=True) for v in (x, w, b))
        y = T.nn.functional.linear(xt, wt, bt)
        y.backward(T.tensor(g))
        outs.append((y, xt.grad, wt.grad, bt.grad))
    for c, (m, k, n) in enumerate(((batch, fan_in, fan_out), (batch, fan_out, fan_in),
                                   (fan_out, batch, fan_in))):
        assert G.plan(m, k, n, c == 0, 2, 1.0, c == 2) is not None, (m, k, n)
    for what, e, t in zip(("y", "x.grad", "w.grad", "b.grad"), outs[1], outs[0], strict=True):
        _same(e, t, what)


def test_k784_edges():
    """768 < K <= 800 at the threshold (these were taken for the K blocks in sequence)."""
    rng = np.random.default_rng(2)
    for i, (m, k, n) in enumerate(((150, 795, 100), (150, 800, 100), (100, 799, 256),
                                   (150, 791, 100), (100, 797, 256))):
        want = "intel-split" if k >= _threshold(m, n) else "intel"
        assert G.plan(m, k, n, i % 2 == 0, 2, 1.0, i % 3 == 0) == (0, want)
        _check(rng, m, k, n, i % 3 == 0, i % 2 == 0)


def test_strided_operands():
    """Rows of the operands further apart than packed (multiples of 256 floats among them):
    the same orders for M, N >= 57."""
    rng = np.random.default_rng(3)
    for i, (m, k, n, pad_a, pad_b) in enumerate(((256, 2047, 512, 49, 3), (256, 2048, 512, 256, 0),
                                                 (200, 1098, 256, 8, 256),
                                                 (512, 800, 64, 224, 0))):
        a_cols, b_cols = i % 2 == 1, i // 2 == 1
        lda = (m if a_cols else k) + pad_a
        if lda % 256:
            pad_a += 256 - lda % 256  # (a's rows (columns) a multiple of 256 floats apart)
        _check(rng, m, k, n, a_cols, b_cols, "strided", pad_a, pad_b)


def test_thin_products_with_rows_256_floats_apart():
    """The two thin regions where MKL halves the last K blocks unsplit (N <= 56 from M = 379
    with both operands by rows; M 16..56 with N 379..755 but for ``x @ W.t()``) split K where
    a leading dimension is a multiple of 256 floats (from N = 32 in the first, from M = 17 in
    the second): packed operands (K or N such a multiple) and views alike."""
    rng = np.random.default_rng(4)
    assert G.plan(512, 1024, 32, False, 2) == (0, "intel-split")
    assert G.plan(512, 1024, 24, False, 2) == (0, "intel-tail")
    assert G.plan(512, 1000, 32, False, 2) == (0, "intel-tail")
    assert G.plan(512, 1024, 32, True, 2) == (0, "intel-tail")
    assert G.plan(32, 1000, 400, False, 2, 1.0, True) == (0, "intel-tail")
    assert G.plan(32, 1000, 512, False, 2, 1.0, True) == (0, "intel-split")
    assert G.plan(16, 1000, 512, False, 2, 1.0, True) == (0, "intel-tail")
    assert G.plan(16, 2048, 600, True, 2, 1.0, True) == (0, "intel-split")
    assert G.plan(40, 2048, 600, True, 2) == (0, "intel-tail")  # (x @ W.t(): always)
    cases = [  # (m, k, n, a_cols, b_cols, pad_a, pad_b)
        (512, 1000, 32, False, False, 0, 0), (512, 1000, 32, False, False, 24, 0),
        (400, 1024, 40, False, False, 0, 0), (400, 1024, 24, False, False, 0, 0),
        (450, 900, 48, False, False, 0, 256 - 48), (512, 1024, 32, False, True, 0, 0),
        (24, 1000, 600, False, False, 0, 0), (24, 1000, 600, False, False, 24, 0),
        (30, 900, 512, True, False, 0, 0), (16, 900, 640, True, False, 0, 128),
        (16, 1000, 400, True, True, 0, 24), (33, 800, 700, True, False, 0, 68),
    ]
    for m, k, n, a_cols, b_cols, pad_a, pad_b in cases:
        _check(rng, m, k, n, a_cols, b_cols, "thin", pad_a, pad_b)


def test_one_thread():
    """K > 768 on 1 thread: the K blocks in sequence from N = 192 on (with ``b`` by rows, from
    M = 192 too), else the last 385..768 of K halved; ``bmm``'s matrices (one per thread) alike."""
    from ember._ops import _cascade

    assert G.plan(300, 1000, 192, True, 1) == (0, "intel")
    assert G.plan(300, 1000, 191, True, 1) == (0, "intel-tail")
    assert G.plan(191, 1000, 300, False, 1) == (0, "intel-tail")
    assert G.plan(192, 1000, 300, False, 1) == (0, "intel")
    rng = np.random.default_rng(5)
    torch.set_num_threads(1)
    _cascade.intraop_threads = 1
    for i, (m, k, n) in enumerate(((300, 1000, 192), (300, 1000, 191), (191, 1300, 300),
                                   (192, 900, 300), (40, 2000, 500), (500, 1500, 20),
                                   (64, 4100, 64), (128, 800, 1000))):
        _check(rng, m, k, n, i % 3 == 1, i % 2 == 0, "1 thread", 256 * (i % 4 == 3))
    torch.set_num_threads(2)
    _cascade.intraop_threads = 2
    a = rng.standard_normal((3, 100, 1200)).astype(np.float32)
    b = rng.standard_normal((3, 1200, 250)).astype(np.float32)
    _same(ember.bmm(ember.from_numpy(a), ember.from_numpy(b)),
          torch.bmm(torch.from_numpy(a), torch.from_numpy(b)), "bmm")


def test_few_rows_times_b_by_rows():
    """2..15 rows times ``b`` by rows (the weight's gradient of a small nn.Linear at a batch
    over 768: grad.t() @ x) with K > 768: split on 2 threads, but the last K blocks halved
    unsplit for M N K <= 192000 and for N 379..755, and on 1 thread."""
    from ember._ops import _cascade

    assert G.plan(10, 1024, 784, False, 2, 1.0, True) == (0, "intel-split")
    assert G.plan(10, 1024, 500, False, 2, 1.0, True) == (0, "intel-tail")
    assert G.plan(10, 1024, 18, False, 2, 1.0, True) == (0, "intel-tail")
    assert G.plan(10, 1024, 19, False, 2, 1.0, True) == (0, "intel-split")
    rng = np.random.default_rng(6)
    for i, (m, k, n) in enumerate(((10, 1024, 784), (10, 1024, 500), (10, 1024, 18),
                                   (10, 1024, 19), (3, 2000, 1000), (15, 900, 512),
                                   (7, 5000, 60))):
        _check(rng, m, k, n, i % 2 == 0, False, "few rows", 256 * (i == 5))
    torch.set_num_threads(1)
    _cascade.intraop_threads = 1
    _check(rng, 10, 1024, 784, True, False, "few rows, 1 thread")
    torch.set_num_threads(2)
    _cascade.intraop_threads = 2
