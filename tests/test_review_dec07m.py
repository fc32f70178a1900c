"""Review of the Dec 7 session's changes: fixes found by differential checks against PyTorch.

- RMSprop (centered) on float32 parameters large enough for the blocked update
  (``optim._functional._rmsprop_flat``): ``square_avg.addcmul(grad_avg, grad_avg, value=-1)``
  multiplies by -1, which keeps a NaN's sign, where a negation flips it (a NaN ``grad_avg``
  comes from an infinite gradient when ``1 - alpha >= 0.5``).
- RMSprop (centered), either update: a variance that rounding takes below zero (constant
  gradients) has PyTorch's ``sqrt`` NaN there, +nan (NumPy's is -nan).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _steps(lib, name, kw, p0, grads):
    p = lib.nn.Parameter(lib.tensor(p0.copy()))
    opt = getattr(lib.optim, name)([p], **kw)
    for g in grads:
        p.grad = lib.tensor(g.copy())
        opt.step()
    return p.detach().numpy().copy()


def test_rmsprop_centered_nan_signs():
    rng = np.random.default_rng(0)
    checked = 0
    for size in (2053, 65540):  # (one block, two blocks)
        for alpha in ((0.1, 0.3, 0.49, 0.99) if size < 65536 else (0.3,)):
            for kw in (dict(centered=True), dict(centered=True, momentum=0.5),
                       dict(centered=True, weight_decay=0.1, maximize=True)):
                kw = dict(kw, lr=1e-2, alpha=alpha)
                p0 = rng.standard_normal(size).astype(np.float32)
                grads = [rng.standard_normal(size).astype(np.float32) for _ in range(3)]
                grads[0][:4] = [np.inf, -np.inf, np.nan, 0.0]
                grads[1][4:6] = [np.inf, -np.nan]
                want = _steps(torch, "RMSprop", kw, p0, grads)
                got = _steps(ember, "RMSprop", kw, p0, grads)
                assert np.array_equal(want.view(np.uint32), got.view(np.uint32)), (size, kw)
                checked += 1
    assert checked == 15


def test_rmsprop_centered_negative_variance_nan_sign():
    rng = np.random.default_rng(1)
    checked = 0
    for size in (7, 300, 2053):  # (the generic update, and the blocked one)
        for alpha in (0.0, 0.5, 0.99):
            for kw in (dict(), dict(momentum=0.9)):
                kw = dict(kw, lr=1e-2, alpha=alpha, centered=True)
                p0 = rng.standard_normal(size).astype(np.float32)
                g = rng.standard_normal(size).astype(np.float32)
                want = _steps(torch, "RMSprop", kw, p0, [g] * 4)
                got = _steps(ember, "RMSprop", kw, p0, [g] * 4)
                assert np.array_equal(want.view(np.uint32), got.view(np.uint32)), (size, kw)
                checked += int(np.isnan(want).any())
    assert checked >= 6  # (cases where the variance went negative somewhere)
