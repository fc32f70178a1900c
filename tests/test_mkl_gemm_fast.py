"""The cheaper paths of ``ember._ops._mkl_gemm`` keep PyTorch's bits: BLAS's transposing copy
of ``a``, the einsum products of the lane and chain rows, and the in-place lane halving, on
operands with signed zeros, subnormals, infinities and NaNs (where a shortcut would show)."""
from __future__ import annotations

import numpy as np
import pytest
from diff import bits, pinned_threads

import ember
from ember._ops import _mkl_gemm as G

torch = pytest.importorskip("torch")

exact = pytest.mark.skipif(
    not (G.emulated() and torch.backends.mkl.is_available()),
    reason="PyTorch's MKL sgemm order is reproduced only on the measured processor")

_SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-45, 3e38], np.float32)


@pytest.fixture(autouse=True)
def _two_threads():
    yield from pinned_threads(torch, ember, 2)


def _same(e, t):
    """Equal bit for bit, NaNs only where PyTorch has them (their payloads aside)."""
    t = t.detach().numpy()
    nan = np.isnan(t)
    assert np.array_equal(np.isnan(e), nan)
    assert np.array_equal(bits(np.where(nan, 0, e)), bits(np.where(nan, 0, t)))


def _salted(rng, shape, share=0.05):
    x = rng.standard_normal(shape).astype(np.float32)
    hit = rng.random(shape) < share
    x[hit] = rng.choice(_SPECIAL, int(hit.sum()))
    return x


@pytest.mark.parametrize("shape,stride", [((64, 784), 784), ((64, 512), 512), ((37, 70), 75),
                                          ((5, 3), 3), ((600, 20), 20), ((1, 4096), 4096)])
def test_columns_copy_every_bit(shape, stride):
    rng = np.random.default_rng(shape[0])
    base = _salted(rng, (shape[0], stride), 0.2)
    a = base[:, :shape[1]]
    assert np.array_equal(bits(G._columns(a)), bits(a.T))
    assert G._columns(a).flags.c_contiguous


def test_selfchecks_hold():
    assert G._einsum_ok()
    if G.emulated():
        assert G._transpose_ok()


def test_halve_in_place_order():
    rng = np.random.default_rng(3)
    acc = (rng.standard_normal((8, 5)) * 2.0 ** rng.integers(-30, 30, (8, 5))).astype(np.float32)
    want = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
    assert np.array_equal(bits(G._halve(acc.copy())), bits(want))


@exact
@pytest.mark.parametrize("m,k,n", [(64, 512, 10), (64, 784, 12), (7, 64, 3), (30, 96, 9),
                                   (3, 40, 40), (1, 128, 16), (1, 64, 4)])
def test_lane_rows_with_special_values(m, k, n):
    rng = np.random.default_rng(m * 1000 + n)
    a = _salted(rng, (m, k))
    w = _salted(rng, (n, k))
    bias = _salted(rng, (n,), 0.3)
    assert G.covered(a, w.T)
    _same(G.mkl_sgemm(a, w.T), torch.mm(torch.from_numpy(a), torch.from_numpy(w).t()))
    _same(G.mkl_addmm(bias, a, w.T),
          torch.addmm(torch.from_numpy(bias), torch.from_numpy(a), torch.from_numpy(w).t()))


@exact
def test_lane_zero_signs():
    # every product zero, some -0: MKL's lanes start at +0, so the sum is +0, and a -0 bias
    # then stays as addmm adds it
    a = np.zeros((16, 64), np.float32)
    a[::2] = -0.0
    w = np.ones((10, 64), np.float32)
    bias = np.full(10, -0.0, np.float32)
    _same(G.mkl_sgemm(a, w.T), torch.mm(torch.from_numpy(a), torch.from_numpy(w).t()))
    _same(G.mkl_addmm(bias, a, w.T),
          torch.addmm(torch.from_numpy(bias), torch.from_numpy(a), torch.from_numpy(w).t()))


@exact
@pytest.mark.parametrize("m,k,n", [(10, 64, 512), (3, 33, 40), (64, 100, 7), (9, 20, 13)])
def test_chain_rows_with_special_values(m, k, n):
    rng = np.random.default_rng(m + 7 * n)
    a = _salted(rng, (k, m)).T  # (by columns, as a gradient's transpose)
    b = _salted(rng, (k, n))
    bias = _salted(rng, (m, n), 0.3)
    bias[::3] = -0.0
    _same(G.mkl_sgemm(a, b), torch.mm(torch.from_numpy(a), torch.from_numpy(b)))
    _same(G.mkl_addmm(bias, a, b),
          torch.addmm(torch.from_numpy(bias), torch.from_numpy(a), torch.from_numpy(b)))
    # rows of -0 times positive b: every product -0, so a -0 start stays -0 (a shortcut that
    # lost the zero products' signs would give +0)
    zero = np.zeros_like(a)
    zero[1::2] = -0.0
    pos = np.abs(rng.standard_normal((k, n))).astype(np.float32) + 0.5
    _same(G.mkl_addmm(bias, zero, pos),
          torch.addmm(torch.from_numpy(bias), torch.from_numpy(zero), torch.from_numpy(pos)))


@exact
def test_linear_layers_by_rows_times_weight_t():
    rng = np.random.default_rng(11)
    for m, k, n in ((64, 784, 512), (64, 512, 512), (20, 300, 30)):
        x = _salted(rng, (m, k), 0.01)
        w = rng.standard_normal((n, k)).astype(np.float32)
        bias = rng.standard_normal(n).astype(np.float32)
        _same(G.mkl_addmm(bias, x, w.T), torch.nn.functional.linear(
            torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias)))
