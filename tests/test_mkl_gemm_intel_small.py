"""PyTorch's float32 products on the Intel processor of ``_mkl_gemm``'s second profile for one
row times a transposed ``b`` (``nn.Linear`` of one sample: MKL's sgemv on ``W``'s rows,
``_mkl_gemm._intel_gemv``), bit for bit against the live PyTorch, on 1 and 2 threads (where
MKL halves ``W``'s rows between the threads: ``_intel_gemv_split``).  Other small products
(M 2..15, N = 1, one row times ``b`` by rows) stay NumPy's (not mapped).
"""
from __future__ import annotations

import numpy as np
import pytest
from diff import intraop_threads

from ember._ops import _mkl_gemm as G

torch = pytest.importorskip("torch")
import ember  # noqa: E402

pytestmark = pytest.mark.skipif(
    G.profile() != "intel" or not torch.backends.mkl.is_available(),
    reason="the Intel order is reproduced only on the measured Intel processor")


@pytest.fixture
def threads(request):
    """PyTorch and ember's model of it on ``request.param`` intra-op threads."""
    yield from intraop_threads(torch, request.param)


def _bits(x):
    x = x.detach().numpy() if hasattr(x, "detach") else x
    return np.ascontiguousarray(np.asarray(x, np.float32)).view(np.uint32)


def _at(rng, shape, pad=0):
    """A float32 array of ``shape`` at a random float offset from a 64-byte boundary, its rows
    ``pad`` floats longer than needed (a view)."""
    r, c = shape
    buf = np.empty(r * (c + pad) + 32, np.float32)
    s = (-(buf.ctypes.data // 4)) % 16 + int(rng.integers(0, 16))
    out = buf[s:s + r * (c + pad)].reshape(r, c + pad)[:, :c]
    out[...] = rng.standard_normal(shape)
    return out


def _shapes(rng, count):
    out = [(784, 512), (512, 512), (512, 10), (784, 10), (100, 37), (16, 9), (17, 11),
           (1, 6), (2, 3), (33, 2), (3000, 14), (785, 130)]
    while len(out) < count:
        k = int(np.exp(rng.uniform(0, np.log(3000))))
        n = int(np.exp(rng.uniform(np.log(2), np.log(2500))))
        if k * n <= 2_000_000:
            out.append((k, n))
    return out


def _check_row(rng, k, n, i):
    """x @ W.t(), F.linear with and without a bias, addmm with a (1, N) bias, for one row."""
    w = _at(rng, (n, k), int(rng.integers(0, 5)) if i % 3 == 0 else 0)
    x = _at(rng, (1, k))
    if i % 7 == 3:  # (a row read with a stride: PyTorch copies it first)
        x = np.repeat(x, 2, axis=1)[:, ::2]
    bias = rng.standard_normal(n).astype(np.float32)
    tw, tx, tb = torch.from_numpy(w), torch.from_numpy(x), torch.from_numpy(bias)
    ew, ex, eb = ember.from_numpy(w), ember.from_numpy(x), ember.from_numpy(bias)
    if not G.covered(x, w.T):
        return False
    pairs = [(ex @ ew.t(), tx @ tw.t()),
             (ember.nn.functional.linear(ex, ew, eb), torch.nn.functional.linear(tx, tw, tb))]
    if i % 2:
        pairs.append((ember.mm(ex, ew.t()), torch.mm(tx, tw.t())))
        pairs.append((ember.addmm(eb[None], ex, ew.t()), torch.addmm(tb[None], tx, tw.t())))
    for e, t in pairs:
        assert np.array_equal(_bits(e), _bits(t)), (k, n, i)
    return True


@pytest.mark.parametrize("threads", [2, 1], indirect=True)
def test_one_row_times_transposed_b_bit_for_bit(threads):
    rng = np.random.default_rng(40 + threads)
    shapes = _shapes(rng, 70 if threads == 2 else 40)
    done = sum(_check_row(rng, k, n, i) for i, (k, n) in enumerate(shapes))
    assert done >= len(shapes) - 4  # (only the band around the split line is left out)


@pytest.mark.parametrize("threads", [2], indirect=True)
def test_split_between_threads_at_its_edges(threads):
    """W's rows halved between the 2 threads ((N + 1) // 2 first) once N * K > 8192 and N is
    large enough for K; rows 4m + 2 show it (the halves end in other rows than the whole)."""
    rng = np.random.default_rng(3)
    for k, n, split in ((8, 1022, False), (8, 1026, True), (64, 126, False), (784, 30, False),
                        (784, 46, True), (3000, 10, False), (3000, 18, True), (200, 74, False),
                        (200, 98, True), (4096, 2, False)):
        assert G.plan(1, k, n, True, 2) == (0, "intel-gemv-split" if split else "intel-gemv")
        assert _check_row(rng, k, n, 1)
    assert G.plan(1, 80, 114, True, 2) is None  # (near the fitted line: not claimed)
    assert G.plan(1, 80, 112, True, 2) == (0, "intel-gemv")  # (N % 8 == 0: either way)
    assert G.plan(1, 80, 114, True, 1) == (0, "intel-gemv")


@pytest.mark.parametrize("threads", [2], indirect=True)
def test_seed_mlp_one_sample(threads):
    """The seed's MLP (784-512-512-10) on one sample: outputs and every gradient whose product
    is covered."""
    rng = np.random.default_rng(0)
    x = rng.random((1, 784)).astype(np.float32)
    outs = []
    for T in (torch, ember):
        T.manual_seed(0)
        nn = T.nn
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10))
        y = model(T.tensor(x))
        y.sum().backward()
        outs.append([y] + [p.grad for p in model.parameters()])
    assert np.array_equal(_bits(outs[1][0]), _bits(outs[0][0]))
    for e, t in zip(outs[1][1:], outs[0][1:], strict=True):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


def test_lanes_through_blas_match_the_exact_chains():
    """The BLAS form of the 16 lanes against exact float32 FMA chains (numbers far apart, rows
    at odd strides), and with an infinity (those lanes go to the exact form)."""
    assert G._rows16_ok()
    rng = np.random.default_rng(8)
    for n, k in ((12, 784), (4, 17), (40, 1000), (8, 1), (5, 33)):
        w = (rng.standard_normal((n, k + 3)) * np.exp2(rng.integers(-60, 60, (n, k + 3)))).astype(
            np.float32)[:, 3:]
        x = rng.standard_normal(k).astype(np.float32)
        q = (k - 1) // 16
        with np.errstate(all="ignore"):
            want = G._intel_lanes_exact(w, x.astype(np.float64), q)
            assert np.array_equal(_bits(G._lanes16(x[None], w, True)[:, 0]), _bits(want))
            rows = rng.standard_normal((3, k)).astype(np.float32)
            lanes = G._lanes16(rows, w, False)
            for lane in (0, 5, 15):
                ks = np.arange(lane, k, 16)
                prods = rows[:, ks].T[:, :, None].astype(np.float64) * w[:, ks].T[:, None, :]
                ref = G._fma_chains(np.zeros((3, n), np.float32), prods)
                assert np.array_equal(_bits(lanes[lane]), _bits(ref))
            w[1, -1] = np.inf
            got = G._intel_gemv_groups(w[:4], x, x.astype(np.float64))
        assert not np.isfinite(got[1]) or k == 1


def test_fma_chains_exact_where_float64_rounds_twice():
    """A sum landing on a float32 halfway point in float64 is redone exactly."""
    a = np.float32(1.0)
    p = np.float64(2.0 ** -24) + np.float64(2.0 ** -60)  # (not a float32 product: a probe)
    got = G._fma_chains(np.array([a]), np.array([[p]]))
    assert got[0] == np.float32(1.0 + 2.0 ** -23)  # (the exact sum is past halfway: up)
    assert G._fma_chains_exact(np.array([a]), np.array([[p]]))[0] == got[0]


def _check_product(rng, m, k, n, a_cols, b_rows, i):
    """mm and addmm (a bias of N or of (M, N)) for the layouts given; False where the product
    is not claimed."""
    a = rng.standard_normal((m, k)).astype(np.float32)
    a = np.asfortranarray(a) if a_cols else a
    w = rng.standard_normal((n, k)).astype(np.float32)
    b = np.ascontiguousarray(w.T) if b_rows else w.T
    if not G.covered(a, b):
        return False
    bias = rng.standard_normal((n,) if i % 2 else (m, n)).astype(np.float32)
    ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(bias)
    ea, eb, ec = ember.from_numpy(a), ember.from_numpy(b), ember.from_numpy(bias)
    assert np.array_equal(_bits(ea @ eb), _bits(ta @ tb)), (m, k, n, a_cols, b_rows)
    if k > 1:
        assert np.array_equal(_bits(ember.addmm(ec, ea, eb)), _bits(torch.addmm(tc, ta, tb))), \
            (m, k, n, a_cols, b_rows)
    return True


@pytest.mark.parametrize("threads", [2, 1], indirect=True)
def test_small_batches_bit_for_bit(threads):
    """M 2..15: times a transposed b (the 16-lane order from K = 24 M, else one chain, or on
    2 threads the general kernel's K blocks past M N K = 192000) and times b by rows (the K
    blocks' order, a either way)."""
    rng = np.random.default_rng(60 + threads)
    fixed = [(m, k, n) for m in (2, 3, 4, 8, 15) for k, n in ((784, 512), (512, 10), (512, 512))]
    done = 0
    for i in range(70 if threads == 2 else 35):
        if i < len(fixed):
            m, k, n = fixed[i]
        else:
            m = int(rng.integers(2, 16))
            k = int(np.exp(rng.uniform(0, np.log(1500))))
            n = int(np.exp(rng.uniform(np.log(2), np.log(1500))))
            if m * k * n > 4e6:
                continue
        layout = (False, False) if i < len(fixed) else ((False, False), (False, True),
                                                          (True, True))[i % 3]
        done += _check_product(rng, m, k, n, *layout, i)
    assert done >= (35 if threads == 2 else 18)


@pytest.mark.parametrize("threads", [2, 1], indirect=True)
def test_column_products_bit_for_bit(threads):
    """N = 1 from 2 rows (nn.Linear(K, 1), x @ w): the sgemv order on a's rows, either
    layout of b, rows at any address and stride; with a bias (added last)."""
    rng = np.random.default_rng(70 + threads)
    for i in range(40 if threads == 2 else 20):
        m = int(np.exp(rng.uniform(np.log(2), np.log(3000))))
        k = int(np.exp(rng.uniform(0, np.log(2000))))
        if m * k > 2e6:
            continue
        a = _at(rng, (m, k), int(rng.integers(0, 5)) if i % 3 == 0 else 0)
        col = rng.standard_normal((k, 1)).astype(np.float32)
        b = col if i % 2 else np.ascontiguousarray(col.T).T
        bias = rng.standard_normal(1).astype(np.float32)
        if not G.covered(a, b):
            continue
        ta, tb, ea, eb = torch.from_numpy(a), torch.from_numpy(b), ember.from_numpy(a), \
            ember.from_numpy(b)
        assert np.array_equal(_bits(ea @ eb), _bits(ta @ tb)), (m, k)
        assert np.array_equal(
            _bits(ember.nn.functional.linear(ea, eb.t(), ember.from_numpy(bias))),
            _bits(torch.nn.functional.linear(ta, tb.t(), torch.from_numpy(bias)))), (m, k)


def test_small_plans():
    assert G.plan(8, 784, 512, True, 2) == (0, "intel-rows16")  # (N % 256 == 0)
    assert G.plan(8, 784, 500, True, 2) is None  # (general kernel, K > 768: not mapped)
    assert G.plan(8, 700, 500, True, 2) == (0, "intel")
    assert G.plan(8, 700, 500, True, 1) == (0, "intel-rows16")
    assert G.plan(3, 1000, 3000, True, 2) == (0, "intel-rows16")  # (M <= 3: always)
    assert G.plan(5, 100, 30, True, 2) == (0, "intel")  # (K < 24 M: one chain)
    assert G.plan(64, 100, 1, False, 2) == (0, "intel-gemv")


@pytest.mark.parametrize("m,k,n,transposed,a_transposed",
                         [(1, 6000, 512, False, False), (1, 100, 1, False, False),
                          (5, 100, 3, True, False), (8, 1000, 300, True, False),
                          (5, 17000, 10, False, False), (4, 300, 10, True, True),
                          (20, 100, 1, True, True)])
def test_other_small_products_not_claimed(m, k, n, transposed, a_transposed):
    assert G.plan(m, k, n, transposed, 2, 1.0, a_transposed) is None
    rng = np.random.default_rng(1)
    a = rng.standard_normal((k, m) if a_transposed else (m, k)).astype(np.float32)
    a = a.T if a_transposed else a
    b = rng.standard_normal((n, k)).astype(np.float32).T if transposed else \
        rng.standard_normal((k, n)).astype(np.float32)
    assert G.mm(a, b) is None
