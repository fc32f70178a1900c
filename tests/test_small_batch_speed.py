"""``nn.Linear`` at batch 1 and small batches, the paths made faster for inference (one sample:
MKL's sgemv order, ``_mkl_gemm._intel_gemv`` through ``_intel_gemv_blas``; 2..16 rows): every
bit as PyTorch's where ember claims PyTorch's order on this processor (the AMD profile,
``measured_cpu()``, or the Intel one where ``_mkl_gemm.covered`` says so), else close; and
the one-pass BLAS form of the sgemv order against its exact chains (on any processor).
"""
from __future__ import annotations

import numpy as np
import pytest

from diff import measured_cpu
from ember._ops import _mkl_gemm as G

torch = pytest.importorskip("torch")
import ember  # noqa: E402


def _bits(x):
    x = x.detach().numpy() if hasattr(x, "detach") else x
    return np.ascontiguousarray(np.asarray(x, np.float32)).view(np.uint32)


def _exact_here(x, w) -> bool:
    """Whether ember gives PyTorch's bits for ``x @ w.t()`` on this machine."""
    if measured_cpu():
        return True
    return G.profile() == "intel" and torch.backends.mkl.is_available() and G.covered(x, w.T)


def _compare(e, t, exact, tag):
    if exact:
        assert np.array_equal(_bits(e), _bits(t)), tag
    else:
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-5,
                                   atol=1e-5, err_msg=str(tag))


@pytest.fixture
def same_threads():
    """PyTorch and ember on 2 intra-op threads (the count ember's order models)."""
    before_t, before_e = torch.get_num_threads(), ember.get_num_threads()
    torch.set_num_threads(2)
    ember.set_num_threads(2)
    yield
    torch.set_num_threads(before_t)
    ember.set_num_threads(before_e)


def _shapes(rng):
    """(M, K, N): batch 1..16 and K, N in 1..2048, the edges of the lane orders included."""
    out = [(1, 784, 512), (1, 512, 512), (1, 512, 10), (1, 784, 10), (1, 17, 4), (1, 33, 7),
           (1, 1, 5), (1, 2048, 3), (1, 48, 2048), (2, 784, 512), (4, 512, 10), (15, 512, 512),
           (16, 784, 512), (3, 97, 13), (1, 16, 1), (1, 2, 2)]
    while len(out) < 110:
        m = int(rng.integers(1, 17)) if rng.random() < 0.5 else 1
        k = int(np.exp(rng.uniform(0, np.log(2048))))
        n = int(np.exp(rng.uniform(0, np.log(2048))))
        if m * k * n <= 1_500_000:
            out.append((m, k, n))
    return out


def test_linear_small_batches_bits(same_threads):
    """F.linear with and without a bias and ``x @ W.t()`` for 1..16 rows against PyTorch."""
    rng = np.random.default_rng(11)
    for i, (m, k, n) in enumerate(_shapes(rng)):
        x = rng.standard_normal((m, k)).astype(np.float32)
        if i % 5 == 1:  # (ReLU-like input: many exact zeros)
            x = np.maximum(x, 0)
        w = (rng.standard_normal((n, k)) / np.sqrt(k)).astype(np.float32)
        bias = rng.standard_normal(n).astype(np.float32)
        tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias)
        ex, ew, eb = ember.from_numpy(x), ember.from_numpy(w), ember.from_numpy(bias)
        exact = _exact_here(x, w)
        tag = (m, k, n)
        _compare(ember.nn.functional.linear(ex, ew, eb), torch.nn.functional.linear(tx, tw, tb),
                 exact, tag + ("bias",))
        _compare(ember.nn.functional.linear(ex, ew), torch.nn.functional.linear(tx, tw),
                 exact, tag + ("no bias",))
        if i % 3 == 0:
            _compare(ex @ ew.t(), tx @ tw.t(), exact, tag + ("mm",))


def test_seed_mlp_inference_small_batches(same_threads):
    """The seed's MLP (Flatten, 784-512-512-10) under no_grad at batches 1, 2, 5 and 16."""
    rng = np.random.default_rng(2)
    models = []
    for T in (torch, ember):
        T.manual_seed(0)
        nn = T.nn
        models.append(nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(),
                                    nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)).eval())
    for batch in (1, 2, 5, 16):
        x = rng.random((batch, 28, 28), dtype=np.float32)
        with torch.no_grad():
            want = models[0](torch.from_numpy(x))
        with ember.no_grad():
            got = models[1](ember.from_numpy(x))
        # (the three products, each covered or not: the first layer's decides for all here)
        exact = _exact_here(x.reshape(batch, -1), np.zeros((512, 784), np.float32))
        _compare(got, want, exact, batch)


def _data(rng, shape, kind):
    a = rng.standard_normal(shape)
    if kind == 1:  # (magnitudes far apart: sums that lose whole products)
        a *= np.exp2(rng.integers(-60, 60, shape))
    elif kind == 2:  # (exact zeros of both signs)
        a[rng.random(shape) < 0.5] = 0.0
        a[rng.random(shape) < 0.3] *= -0.0
    elif kind == 3:  # (small integers: exact sums, many ties and cancellations to 0)
        a = rng.integers(-3, 4, shape).astype(np.float64)
    elif kind == 4:  # (products below float32's smallest steps: signs of zero sums)
        a *= 2.0 ** -70
    return a.astype(np.float32)


def test_sgemv_order_blas_form_is_the_exact_chains():
    """``_intel_gemv`` (its lanes from one BLAS pass) against the same order summed by exact
    float32 FMA chains (``fast=False``), bit for bit: every N % 4 and K % 32 edge, rows at
    odd strides, zeros of both signs, far-apart magnitudes, tiny products, infinities, NaN."""
    if not G._diag_ok():
        pytest.skip("NumPy's BLAS does not sum as the lanes need here")
    rng = np.random.default_rng(5)
    ks = [1, 2, 15, 16, 17, 31, 32, 33, 34, 47, 48, 49, 63, 64, 65, 97, 129, 255, 256, 257,
          511, 512, 513, 783, 784, 785, 1025, 2048]
    ns = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 31, 64, 130, 257, 512]
    count = 0
    for i in range(260):
        k, n = int(rng.choice(ks)), int(rng.choice(ns))
        if n * k > 600_000:
            continue
        pad = int(rng.integers(0, 3))
        w = _data(rng, (n, k + pad), i % 5)[:, pad:]
        x = _data(rng, (k,), int(rng.integers(0, 5)))
        if i % 17 == 3:
            w[int(rng.integers(0, n)), int(rng.integers(0, k))] = np.inf
        if i % 23 == 5:
            x[int(rng.integers(0, k))] = np.nan
        with np.errstate(all="ignore"):
            got = G._intel_gemv(w, x)
            want = G._intel_gemv(w, x, False)
        assert np.array_equal(_bits(got), _bits(want)), (n, k, i)
        count += 1
    assert count > 200


def test_fma_step_redone_where_float64_rounds_twice():
    """One FMA step whose float64 sum lands on a float32 halfway point is redone exactly
    (the exact sum, past halfway, rounds up), and a sum in float32's subnormal range too."""
    a, b = 2 ** 23 + 2896, 2 ** 23 - 2895  # (a * b = 2**46 + 4688: p = 2**-24 + 4688 * 2**-70)
    acc = np.array([1.0, 2.0 ** -126], np.float32)
    w = np.array([a * 2.0 ** -23, -(2.0 ** -103)], np.float32)
    xk = np.float32(b * 2.0 ** -47)
    assert np.float64(1.0) + np.float64(w[0]) * np.float64(xk) == 1.0 + 2.0 ** -24
    got = G._fma_step(acc, w, xk)
    assert got[0] == np.float32(1.0 + 2.0 ** -23)
    exact = G._fma_chains_exact(acc, (w.astype(np.float64) * float(xk))[None])
    assert np.array_equal(_bits(got), _bits(exact))


def test_one_row_times_b_by_rows_bits(same_threads):
    """``g @ W`` for one row (a batch-1 backward through ``nn.Linear`` with fewer than 256
    outputs: MKL's sgemv over W's rows, ``_intel_rowv``) and the N = 1 column form, against
    PyTorch, and a batch-1 training step's input gradient."""
    rng = np.random.default_rng(17)
    for k, n in ((10, 512), (200, 784), (128, 300), (255, 33), (7, 16), (64, 100), (100, 7),
                 (9, 2)):
        g = rng.standard_normal((1, k)).astype(np.float32)
        w = rng.standard_normal((k, n)).astype(np.float32)
        exact = measured_cpu() or G.profile() == "intel" and G.covered(g, w)
        _compare(ember.from_numpy(g) @ ember.from_numpy(w), torch.from_numpy(g) @
                 torch.from_numpy(w), exact, (k, n))
        col = np.asfortranarray(rng.standard_normal((n, k)).astype(np.float32))
        v = rng.standard_normal((k, 1)).astype(np.float32)
        exact = measured_cpu() or G.profile() == "intel" and G.covered(col, v)
        _compare(ember.from_numpy(col) @ ember.from_numpy(v), torch.from_numpy(col) @
                 torch.from_numpy(v), exact, (k, n, "column"))
    x = rng.standard_normal((1, 300)).astype(np.float32)
    grads = []
    for T in (torch, ember):
        T.manual_seed(0)
        h = T.from_numpy(x).requires_grad_()
        model = T.nn.Sequential(T.nn.Linear(300, 200), T.nn.ReLU(), T.nn.Linear(200, 10))
        model(h).sum().backward()
        grads.append(h.grad)
    _compare(grads[1], grads[0], False, "grad")


def test_rowv_blas_form_is_the_numpy_form():
    """``_intel_rowv``'s BLAS chains against its NumPy form, bit for bit, on nasty operands
    (far-apart magnitudes, zeros of both signs, products below float32's range, infinities
    and NaN, rows of ``b`` at odd strides)."""
    if not G._rowv_blas_ok():
        pytest.skip("NumPy's BLAS does not sum as the chains need here")
    rng = np.random.default_rng(9)
    for i in range(120):
        k = int(rng.integers(1, 256))
        n = int(np.exp(rng.uniform(np.log(2), np.log(2500))))
        pad = int(rng.integers(0, 3))
        a = _data(rng, (1, k), i % 5)
        b = _data(rng, (k, n + pad), int(rng.integers(0, 5)))[:, pad:]
        if i % 11 == 4:
            b[int(rng.integers(0, k)), int(rng.integers(0, n))] = np.inf
        if i % 13 == 6:
            a[0, int(rng.integers(0, k))] = np.nan
        with np.errstate(all="ignore"):
            want = G._intel_rowv_numpy(a, b)
        assert np.array_equal(_bits(G._intel_rowv(a, b)), _bits(want)), (k, n, i)


def test_one_row_product_with_inf_times_zero_warns_nothing():
    """NaN from inf * 0 in a one-row product is silent, as in PyTorch (ember's NumPy form of
    MKL's sgemv order used to raise NumPy's RuntimeWarning here)."""
    import warnings

    g = np.ones((1, 20), np.float32)
    g[0, 3] = np.inf
    w = np.zeros((20, 40), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ember.from_numpy(g) @ ember.from_numpy(w)
        col = ember.from_numpy(np.asfortranarray(np.repeat(g, 3, axis=0))) @ \
            ember.from_numpy(w[:, :1])
    want = torch.from_numpy(g) @ torch.from_numpy(w)
    assert np.isnan(got.numpy()).all() and np.isnan(want.numpy()).all()
    assert np.isnan(col.numpy()).all()
