"""Regression tests from the review of Dec 7's Intel and leftovers changes (task K2).

- float64 p-norms through the C library's ``pow`` (``reduce._pow_c``): a zero raised to a
  negative ``p`` (``ord < 0`` with a zero element) raised Python's ValueError from
  ``math.pow`` instead of giving C's ``inf`` (and so a norm of 0, as PyTorch).
- ``baddbmm`` of stacks of one column (N = 1, B >= 2) on the Intel processor: PyTorch's
  batched MKL product sums each column as ``bmm`` does (``_mkl_gemm._intel_bmm_column``),
  then ``C + round(alpha * sum)``; ember claimed the 2-D product's sgemv order there.
"""
from __future__ import annotations

import numpy as np
import pytest

from diff import assert_same, pinned_threads

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from ember._ops import _mkl_gemm  # noqa: E402


def test_float64_norm_negative_p_with_zeros():
    rng = np.random.default_rng(7)
    for i in range(40):
        shape = [(5,), (3, 4), (2, 3, 4)][i % 3]
        a = rng.standard_normal(shape)
        a.reshape(-1)[rng.integers(0, a.size, 1 + i % 3)] = 0.0
        if i % 7 == 0:
            a[...] = 0.0
        p = [-1.0, -1.5, -3.0, -0.5, -2.5, 0.5, 3.5][i % 7]
        dim = None if i % 2 == 0 or a.ndim == 1 else i % a.ndim
        for lib_fn in (lambda L, x: L.linalg.vector_norm(x, ord=p, dim=dim),
                       lambda L, x: x.norm(p=p, dim=dim),
                       lambda L, x: L.linalg.vector_norm(x, ord=p, dim=dim, keepdim=True)):
            want = lib_fn(torch, torch.tensor(a))
            got = lib_fn(ember, ember.tensor(a))
            assert_same(got, want)


@pytest.fixture(params=[1, 2])
def _threads(request):
    yield from pinned_threads(torch, ember, request.param)


def _bits(t):
    return np.ascontiguousarray(t.detach().numpy()).view(np.uint32)


def test_baddbmm_one_column_stacks(_threads):
    rng = np.random.default_rng(11 + _threads)
    intel = _mkl_gemm.profile() == "intel"
    for i in range(40):
        b = int(rng.integers(2, 9))
        m = int(rng.integers(2, 60))
        k = int(rng.integers(8, 300))
        if m * k < 400:
            k = 400 // m + 1
        a = rng.standard_normal((b, m, k)).astype(np.float32)
        x = rng.standard_normal((b, k, 1)).astype(np.float32)
        c = rng.standard_normal((b, m, 1) if i % 3 else (m, 1)).astype(np.float32)
        alpha = [1.0, 0.5, -1.7, 0.3][i % 4]
        by_columns = i % 5 == 4
        res = []
        for L in (torch, ember):
            at = L.from_numpy(a)
            if by_columns:
                at = L.from_numpy(np.ascontiguousarray(a.transpose(0, 2, 1))).transpose(1, 2)
            res.append(L.baddbmm(L.from_numpy(c), at, L.from_numpy(x), alpha=alpha))
        got, want = res[1], res[0]
        if intel:
            assert np.array_equal(_bits(got), _bits(want)), (b, m, k, alpha, by_columns)
        else:
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)


def test_intel_sin_cos_fixed_values_beside_nan():
    """The Intel kernel's one-ulp steps (``_vml._TRIG_INTEL_FIX``) were skipped for a whole
    block holding a NaN (its ``max`` is NaN)."""
    from ember._ops import _vml

    exact = _vml.emulated() or _vml.intel_sqrt()
    rng = np.random.default_rng(3)
    keys = [np.uint32(k).view(np.float32) for c in (False, True)
            for k in _vml._TRIG_INTEL_FIX[c][0].tolist()]
    for i in range(24):
        n = [17, 40, 100, 3000][i % 4]
        x = (rng.standard_normal(n) * [1.0, 1e3, 9e3][i % 3]).astype(np.float32)
        x[rng.integers(0, n, 4)] = np.array(keys)[rng.integers(0, len(keys), 4)] * \
            np.float32([1, -1][i % 2])
        x[rng.integers(0, n)] = [np.nan, np.inf, -np.inf, 1e6][i % 4]
        for fn in ("sin", "cos"):
            want = getattr(torch.from_numpy(x.copy()), fn)().numpy()
            got = getattr(ember.from_numpy(x.copy()), fn)().numpy()
            small = np.abs(x) <= 10000  # (beyond: within an ulp, see _vml._TRIG_INTEL_FIX)
            if exact:
                assert np.array_equal(got.view(np.uint32)[small], want.view(np.uint32)[small])
            else:
                np.testing.assert_allclose(got[small], want[small], rtol=3e-7, atol=1e-30)
