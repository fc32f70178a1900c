"""The training step's faster paths give the same bits as before, and as PyTorch.

- ``_blas.axpy`` hands OpenBLAS runs below its threading threshold: every element still
  rounded once (checked against PyTorch's ``add_(x, alpha=)`` and an exact fused product).
- Adam's flat float32 update, which takes those runs: its moments bit for bit PyTorch's.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from diff import measured_cpu
from ember import _blas, _random
from ember.optim import _functional as F

torch = pytest.importorskip("torch")

needs_blas = pytest.mark.skipif(not _blas.available(), reason="no BLAS axpy next to NumPy")


def _same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@needs_blas
@pytest.mark.parametrize("n", [5, _blas._AXPY_RUN, _blas._AXPY_RUN + 1, 3 * _blas._AXPY_RUN + 37,
                               100_003])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axpy_in_runs_is_torch_add_alpha(n, dtype):
    r = np.random.default_rng(n)
    x = r.standard_normal(n).astype(dtype)
    y = r.standard_normal(n).astype(dtype)
    want = torch.from_numpy(y.copy()).add_(torch.from_numpy(x), alpha=-0.1).numpy()
    got = y.copy()
    assert _blas.axpy(-0.1, x, got)
    assert _same_bits(got, want)
    if dtype == np.float32:
        assert _same_bits(got, _random._fma32(np.float32(-0.1), x, y))
    # a view that does not start at its buffer's first element
    big = np.concatenate([np.zeros(3, dtype), y])
    assert _blas.axpy(-0.1, x, big[3:])
    assert _same_bits(big[3:], want) and not big[:3].any()


@needs_blas
def test_sgd_step_matches_torch():
    r = np.random.default_rng(1)
    w = (r.standard_normal((400, 200)) * 0.1).astype(np.float32)
    g = r.standard_normal((400, 200)).astype(np.float32)
    out = []
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.from_numpy(w.copy()))
        p.grad = lib.from_numpy(g.copy())
        opt = lib.optim.SGD([p], lr=0.037, momentum=0.9, weight_decay=1e-3)
        opt.step()
        opt.step()
        out.append(p.detach().numpy().copy())
    assert _same_bits(out[1], out[0])


def _grad(r, n):
    g = r.standard_normal(n) * 10.0 ** r.uniform(-4, 0, n)
    u = r.random(n)
    g[u < 0.3] = 0.0                      # dead units
    g[(u >= 0.3) & (u < 0.32)] *= 1e-22   # products below float32's normal range
    return g.astype(np.float32)


@needs_blas
@pytest.mark.parametrize("opts", [dict(), dict(weight_decay=0.1), dict(amsgrad=True),
                                  dict(weight_decay=0.2, decoupled_weight_decay=True)],
                         ids=["default", "weight_decay", "amsgrad", "adamw"])
def test_adam_flat_update_matches_torch(opts):
    """A layer-sized parameter (its axpy runs split below OpenBLAS's threading size) through
    three steps: the moments bit for bit PyTorch's, the parameter within MKL's sqrt."""
    r = np.random.default_rng(2)
    shape = (512, 160)
    w = (r.standard_normal(shape) * 0.05).astype(np.float32)
    grads = [_grad(r, w.size).reshape(shape) for _ in range(3)]
    assert w.size >= F._FLAT_MIN and w.size > 2 * _blas._AXPY_RUN
    got = []
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.from_numpy(w.copy()))
        opt = lib.optim.Adam([p], lr=1e-3, **opts)
        for g in grads:
            p.grad = lib.from_numpy(g.copy())
            opt.step()
        st = opt.state[p]
        got.append([st[k].numpy().copy() for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
                    if k in st] + [p.detach().numpy().copy()])
    for a, b in zip(got[0][:-1], got[1][:-1]):
        if opts.get("weight_decay") and not opts.get("decoupled_weight_decay") and \
                not measured_cpu():
            # (coupled weight decay feeds the parameter, and so MKL's sqrt of the steps
            # before, into the moments: off the measured processor that sqrt is NumPy's)
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=0)
            continue
        assert _same_bits(b, a)
    np.testing.assert_allclose(got[1][-1], got[0][-1], rtol=2e-6, atol=5e-7)
