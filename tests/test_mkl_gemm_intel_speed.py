"""The BLAS forms of the Intel small-product orders of ``_mkl_gemm`` (one sample through
``nn.Linear``: MKL's sgemv, ``_intel_gemv``; batches of 2..15: ``_intel_rows16``; N = 1): the
16-lane chains as one product of ``W`` times a block-diagonal spread of ``x``
(``_diag_product``) or per lane over a transposed copy (``_copied_lanes``), checked bit for bit
against exact chains and against the live PyTorch, with the infinities, NaN and zero signs
where those forms could differ from the chains.
"""
from __future__ import annotations

import numpy as np
import pytest

from ember._ops import _mkl_gemm as G

torch = pytest.importorskip("torch")
import ember  # noqa: E402

import test_mkl_gemm_intel_small as _small  # noqa: E402

pytestmark = _small.pytestmark
threads = _small.threads  # (the fixture: PyTorch and ember on the same intra-op threads)
_bits = _small._bits


def _same(x, w, bias, tag):
    """x @ w.t(), F.linear with ``bias`` and addmm with it, bit for bit; False where the
    product is not covered."""
    if not G.covered(x, w.T):
        return False
    tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias)
    ex, ew, eb = ember.from_numpy(x), ember.from_numpy(w), ember.from_numpy(bias)
    pairs = [(ex @ ew.t(), tx @ tw.t()),
             (ember.nn.functional.linear(ex, ew, eb), torch.nn.functional.linear(tx, tw, tb)),
             (ember.addmm(eb[None], ex, ew.t()), torch.addmm(tb[None], tx, tw.t()))]
    for i, (e, t) in enumerate(pairs):
        assert np.array_equal(_bits(e), _bits(t)), (tag, i, x.shape, w.shape)
    return True


@pytest.mark.parametrize("threads", [2, 1], indirect=True)
def test_infinite_weight_in_the_first_column(threads):
    """W[n, 0] infinite: the groups' lane 0 takes it first, the other lanes never see it
    (the sum is infinite, not NaN); also in the rows after the groups and through N = 1."""
    rng = np.random.default_rng(1)
    for n, k, row in ((8, 100, 1), (12, 784, 5), (10, 512, 2), (9, 33, 8), (967, 1, 5),
                      (10, 1, 9), (8, 2, 3), (6, 700, 4)):
        for v in (np.inf, -np.inf, np.nan):
            w = rng.standard_normal((n, k)).astype(np.float32)
            w[row, 0] = v
            x = rng.standard_normal((1, k)).astype(np.float32)
            assert _same(x, w, rng.standard_normal(n).astype(np.float32), (n, k, v))
    for m, k in ((40, 300), (7, 784)):  # (N = 1: the same sgemv on x's rows)
        x = rng.standard_normal((m, k)).astype(np.float32)
        x[m // 2, 0] = np.inf
        assert _same(x, rng.standard_normal((1, k)).astype(np.float32),
                     np.zeros(1, np.float32), (m, k))


@pytest.mark.parametrize("threads", [2, 1], indirect=True)
def test_products_that_round_to_zero(threads):
    """Every product below float32's smallest step: the chains reach -0 where the products
    are negative; MKL's C starts at +0 (so +0 without a bias) or at the bias (-0 with a bias
    of -0), and the +0 products of the BLAS forms must not turn a chain's -0 into +0."""
    rng = np.random.default_rng(2)
    done = 0
    for i, (m, k, n) in enumerate(((1, 737, 8), (1, 737, 13), (1, 300, 9), (1, 100, 11),
                                   (1, 33, 7), (1, 512, 10), (2, 837, 24), (3, 649, 22),
                                   (8, 352, 20), (4, 784, 8), (2, 500, 30), (8, 784, 512),
                                   (15, 894, 14), (5, 466, 22), (200, 784, 1), (3, 784, 1),
                                   (1, 527, 374))):
        s = np.where(rng.random((1, k)) < 0.5, 1.0, -1.0)
        lo = (76, 70, 60)[i % 3]  # (76: all round to zero; else some do)
        x = (s * np.exp2(-rng.integers(lo, 80, (m, k)))).astype(np.float32)
        w = (-s * np.exp2(-rng.integers(lo, 80, (n, k)))).astype(np.float32)
        w[::3] *= -1
        bias = np.full(n, -0.0, np.float32)
        bias[::2] = 0.0
        done += _same(x, w, bias, i)
    assert done >= 16


def test_blas_forms_match_the_exact_chains():
    """Both BLAS forms of the lanes against exact float32 FMA chains (numbers far apart, rows
    at odd strides, W's rows in several chunks), and the outputs they cannot vouch for."""
    assert G._diag_ok() and G._rows16_ok()
    rng = np.random.default_rng(3)

    def wide(shape):
        return (rng.standard_normal(shape) * np.exp2(rng.integers(-40, 40, shape))).astype(
            np.float32)

    for m, n, k, head in ((1, 700, 784, True), (1, 5, 3000, True), (1, 3, 17, False),
                          (2, 300, 785, False), (8, 512, 784, False), (15, 40, 100, False),
                          (3, 2, 1000, False), (2, 33, 40, False)):
        a = wide((m, k + 1))[:, 1:]
        w = wide((n, k + 5))[:, 3:-2]
        if head:
            kk = 1 + 16 * ((k - 1) // 16)
            a, w = a[:, :kk], w[:, :kk]
        want = G._exact_lanes(a, w, head)
        assert np.array_equal(_bits(G._blas_lanes(a, w, head)), _bits(want)), (m, n, k)
        assert np.array_equal(_bits(G._lanes16(a, w, head)), _bits(want))
        if not head:
            diag = G._diag_lanes(a, w, 16, False) if 2 * 16 * m * k <= G._SMALL_GEMM else want
            assert np.array_equal(_bits(diag), _bits(want))
            assert np.array_equal(_bits(G._copied_lanes(a, w)), _bits(want))
    x = np.zeros((1, 40), np.float32)
    x[0, 3] = 2.0 ** -80
    w = np.full((2, 40), -(2.0 ** -80), np.float32)
    assert G._suspect(np.zeros((1, 2), np.float32), x, w)  # (a zero, products under 2**-102)
    assert not G._suspect(np.zeros((1, 2), np.float32), x, w * 2.0 ** 60)
    assert not G._suspect(np.zeros((1, 2), np.float32), x * 0, w)  # (x all zero)
    assert G._suspect(np.array([[1.0, np.nan]], np.float32), x, w)


@pytest.mark.parametrize("threads", [2, 1], indirect=True)
def test_random_products_bit_for_bit(threads):
    """Random shapes through the three paths (one row, N = 1, 2..15 rows), with zeros,
    infinities, NaN and exponents far apart."""
    rng = np.random.default_rng(10 + threads)
    done = 0
    for i in range(60):
        kind = i % 3
        if kind == 0:
            m, k = 1, int(np.exp(rng.uniform(0, np.log(3000))))
            n = int(np.exp(rng.uniform(np.log(2), np.log(1500))))
        elif kind == 1:
            m, n = int(np.exp(rng.uniform(np.log(2), np.log(400)))), 1
            k = int(rng.integers(1, 2000))
        else:
            m, k = int(rng.integers(2, 16)), int(rng.integers(16, 1600))
            n = int(np.exp(rng.uniform(np.log(2), np.log(900))))
        scale = rng.integers(-30, 30, (n, k)) if i % 5 == 0 else 0
        w = (rng.standard_normal((n, k)) * np.exp2(scale)).astype(np.float32)
        x = rng.standard_normal((m, k)).astype(np.float32)
        if i % 4 == 1:
            x[:, rng.random(k) < 0.8] = 0
        if i % 7 == 2:
            w[:, rng.random(k) < 0.5] = 0
        if i % 11 == 0:
            w[rng.integers(0, n), rng.integers(0, k)] = (np.inf, -np.inf, np.nan)[i % 3]
        if i % 13 == 0:
            x[:] = 0
        done += _same(x, w, rng.standard_normal(n).astype(np.float32), i)
    assert done >= 45
