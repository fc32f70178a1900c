"""PyTorch's float64 dot and matrix-vector products on the Intel processor (profile
``"intel"``): MKL's ``ddot`` (four 8-lane FMA accumulators, halves on 2 threads from K = 4096)
and its ``dgemv`` by rows (two 8-lane sets over steps of 16, the tail into the lanes) and by
columns (one FMA chain per output, K halved on 2 threads past a size), as ember reproduces
them (``ember._ops._mkl_gemv._intel_dot64``/``_intel_mv64``): ``torch.mv``, ``A @ w`` of a
(K, 1) ``w``, ``v @ W``, ``nn.Linear(K, 1)`` and ``F.linear`` of a 1-D input, ``addmv``,
forward and backward.  Differential against the live PyTorch, bit for bit, 1 and 2 threads.
"""
from __future__ import annotations

import numpy as np
import pytest
from diff import intraop_threads

from ember._ops import _mkl_gemm as G
from ember._ops import _mkl_gemv as V

torch = pytest.importorskip("torch")
import ember  # noqa: E402

pytestmark = pytest.mark.skipif(
    G.profile() != "intel" or not torch.backends.mkl.is_available(),
    reason="the Intel order is reproduced only on the measured Intel processor")


@pytest.fixture(params=[1, 2])
def threads(request):
    """PyTorch and ember's model of it on 1 or 2 intra-op threads."""
    yield from intraop_threads(torch, request.param)


def _bits(x):
    x = x.detach().numpy() if hasattr(x, "detach") else x
    x = np.ascontiguousarray(np.asarray(x, np.float64))
    b = x.view(np.int64).copy()
    b[np.isnan(x)] = 0x7FF8000000000000  # (NaN payloads aside)
    return b


def _same(e, t, what=""):
    e, t = _bits(e), _bits(t)
    assert e.shape == t.shape, what
    assert np.array_equal(e, t), f"{what}: {(e != t).sum()} of {e.size} outputs differ"


def _vec(rng, n, kind=0, off=0):
    x = rng.standard_normal(n + off)
    if kind == 1:  # (magnitudes far apart)
        x *= np.exp2(rng.integers(-300, 300, x.shape))
    elif kind == 2:  # (zeros of both signs, subnormal products)
        x[rng.random(x.shape) < 0.3] = -0.0
        x[rng.random(x.shape) < 0.2] = 1e-160
    elif kind == 3:  # (inf and nan)
        x[rng.integers(0, x.size)] = np.inf if rng.random() < 0.5 else np.nan
    return x[off:]


def _pair(x):
    return torch.from_numpy(x), ember.from_numpy(x)


def test_dot_sweep(threads):
    rng = np.random.default_rng(300 + threads)
    sizes = list(range(1, 80)) + [95, 96, 97, 127, 128, 129, 255, 1000, 4095, 4096, 4097, 9999,
                                   100000]
    for n in sizes:
        kind = n % 4 if n < 80 else 0
        tx, ex = _pair(_vec(rng, n, kind, n % 5))
        ty, ey = _pair(_vec(rng, n, (n // 4) % 3, n % 3))
        what = f"threads={threads} n={n} kind={kind}"
        _same(ember.dot(ex, ey), torch.dot(tx, ty), what + " dot")
        if n % 3 == 0:
            _same(ember.matmul(ex, ey), torch.matmul(tx, ty), what + " matmul")
            _same(ember.inner(ex, ey), torch.inner(tx, ty), what + " inner")
            _same(ember.vdot(ex, ey), torch.vdot(tx, ty), what + " vdot")


def _products(rng, m, k, threads, kind=0, lda=0, off=0, few=False):
    """Every entry point of one (M, K) matrix and (K,) vector, ember against torch."""
    buf = _vec(rng, m * (k + lda) + off, kind)
    a = np.lib.stride_tricks.as_strided(buf[off:], (m, k), ((k + lda) * 8, 8))
    ta = torch.from_numpy(buf)[off:].as_strided((m, k), (k + lda, 1))
    ea = ember.from_numpy(buf)[off:].as_strided((m, k), (k + lda, 1))
    v = _vec(rng, k, kind % 3)
    tv, ev = _pair(v)
    tc, ec = _pair(np.ascontiguousarray(a.T))  # (K, M): its .t() by columns
    what = f"threads={threads} M={m} K={k} kind={kind} lda={k + lda} off={off}"
    _same(ember.mv(ea, ev), torch.mv(ta, tv), what + " mv rows")
    _same(ember.mv(ec.t(), ev), torch.mv(tc.t(), tv), what + " mv columns")
    b = rng.standard_normal(1)
    tb, eb = _pair(b)
    _same(ember.nn.functional.linear(ea, ev[None], eb),
          torch.nn.functional.linear(ta, tv[None], tb), what + " linear out 1")
    if few:  # (the large ones: the two layouts and the bias only)
        return
    _same(ea @ ev[:, None], ta @ tv[:, None], what + " A @ w")
    _same(ec.t() @ ev[:, None], tc.t() @ tv[:, None], what + " A.t() @ w")
    _same(ev @ ec, tv @ tc, what + " v @ W")
    _same(ev[None] @ ea.t(), tv[None] @ ta.t(), what + " v @ W.t()")
    _same(ember.nn.functional.linear(ev, ea), torch.nn.functional.linear(tv, ta),
          what + " linear 1-D")
    # (a bias: the plain dgemv's chains start there, the transposed one adds it)
    _same(ember.nn.functional.linear(ec.t(), ev[None], eb),
          torch.nn.functional.linear(tc.t(), tv[None], tb), what + " linear out 1, columns")
    tcb, ecb = _pair(rng.standard_normal(m))
    _same(ember.addmv(ecb, ea, ev), torch.addmv(tcb, ta, tv), what + " addmv rows")
    _same(ember.addmv(ecb, ec.t(), ev), torch.addmv(tcb, tc.t(), tv), what + " addmv columns")


def test_mv_random_shapes(threads):
    rng = np.random.default_rng(310 + threads)
    for i in range(30 if threads == 1 else 16):
        m = int(rng.integers(1, 140)) if i % 5 else int(rng.integers(1, 520))
        k = int(rng.integers(1, 300)) if i % 4 else int(rng.integers(1, 6000))
        k = min(k, 200_000 // m)
        _products(rng, m, k, threads, kind=i % 3 if i % 7 else 3,
                  lda=int(rng.integers(0, 3)) if i % 3 == 0 else 0, off=i % 4)


def test_mv_thread_split_edges(threads):
    # (2 threads halve K in the plain dgemv from K = 128 where (M + 64) K >= 17600, for
    # 41 <= M <= 69 up to K = 150 and then from K = 1000)
    rng = np.random.default_rng(320 + threads)
    for m, k in ((1, 270), (1, 271), (2, 266), (2, 267), (16, 219), (16, 220), (40, 169),
                 (40, 170), (41, 999), (41, 1000), (55, 147), (55, 148), (55, 150), (55, 151),
                 (69, 132), (69, 133), (69, 999), (69, 1000), (70, 251), (70, 252), (128, 127),
                 (128, 128), (300, 127), (300, 128)):
        _products(rng, m, k, threads)
    # (the transposed dgemv: K halved for 2..100 rows from K = 10000, one row from 17536; a
    # bias goes onto the first half's sums)
    for m, k in ((1, 17535), (1, 17536), (3, 9999), (3, 10000), (100, 10000), (101, 10000)):
        _products(rng, m, k, threads, few=True)


def test_mv_one_row_layouts(threads):
    rng = np.random.default_rng(330 + threads)
    for k in (1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100, 257, 1000):
        x = _vec(rng, k)
        w = _vec(rng, k)
        tx, ex = _pair(x)
        tw, ew = _pair(w)
        what = f"threads={threads} K={k}"
        # (a (K, 1) column by rows or by columns: the plain dgemv's chain or the transposed
        # dgemv's lanes)
        _same(ex[None] @ ew[:, None], tx[None] @ tw[:, None], what + " row @ column")
        _same(ex[None] @ ew[None].t(), tx[None] @ tw[None].t(), what + " row @ W.t()")
        _same(ember.mv(ew[None], ex), torch.mv(tw[None], tx), what + " mv one row")
        _same(ember.nn.functional.linear(ex, ew[None]),
              torch.nn.functional.linear(tx, tw[None]), what + " linear 1-D out 1")


def test_backward_and_linear_regression(threads):
    rng = np.random.default_rng(340 + threads)
    for m, k in ((32, 3), (7, 64), (100, 13), (5, 300)):
        x = rng.standard_normal((m, k))
        y = rng.standard_normal((m, 1))
        w0 = rng.standard_normal((1, k)) * 0.1
        b0 = rng.standard_normal(1) * 0.1
        results = []
        for lib in (torch, ember):
            lin = lib.nn.Linear(k, 1).double()
            with lib.no_grad():
                lin.weight.copy_(lib.from_numpy(w0))
                lin.bias.copy_(lib.from_numpy(b0))
            xs, ys = lib.from_numpy(x), lib.from_numpy(y)
            for _ in range(5):  # (plain SGD steps: the optimizers are tested elsewhere)
                lin.zero_grad()
                loss = ((lin(xs) - ys) ** 2).mean()
                loss.backward()
                with lib.no_grad():
                    for p in lin.parameters():
                        p -= 0.01 * p.grad
            a = lib.from_numpy(x).requires_grad_()
            v = lib.from_numpy(w0[0].copy()).requires_grad_()
            out = lib.mv(a, v)
            out.backward(lib.from_numpy(y[:, 0]))
            results.append([loss, lin.weight, lin.bias, out, a.grad, v.grad])
        for i, (t, e) in enumerate(zip(*results)):
            _same(e, t, f"threads={threads} M={m} K={k} item {i}")


def test_blas_chains_match_the_exact_ones():
    # (the BLAS chains are checked on first use; NaN/inf take the exact path)
    assert V._blas_chains_ok()
    rng = np.random.default_rng(350)
    a = rng.standard_normal((5, 40))
    b = rng.standard_normal(40)
    a[2, 7] = np.inf
    a[3, 9] = np.nan
    got = V._fast_chains(np.zeros(5), a, b)
    want = V._chains64(np.zeros(5), a.T, b[:, None])
    assert np.array_equal(_bits(got), _bits(want))
