"""The seed's model (784-512-512-10 MLP): forward + backward at batch 64, ember vs PyTorch.

Also the same matrix products written by hand in NumPy (the floor for any NumPy library).
Ratios are throughput ratios (higher is better for ember), medians of alternating repeats.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import compare, table  # noqa: E402

import ember  # noqa: E402


def build(T):
    nn = T.nn
    T.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512),
                         nn.ReLU(), nn.Linear(512, 10))


def numpy_step(params, x, y):
    """Forward and backward of the same MLP with softmax cross-entropy, by hand."""
    w1, b1, w2, b2, w3, b3 = params
    h0 = x.reshape(len(x), -1)
    z1 = h0 @ w1.T + b1
    h1 = np.maximum(z1, np.zeros_like(z1))
    z2 = h1 @ w2.T + b2
    h2 = np.maximum(z2, np.zeros_like(z2))
    z3 = h2 @ w3.T + b3
    z = z3 - z3.max(1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    g3 = p / len(y)
    gw3, gb3 = g3.T @ h2, g3.sum(0)
    g2 = (g3 @ w3) * (z2 > 0)
    gw2, gb2 = g2.T @ h1, g2.sum(0)
    g1 = (g2 @ w2) * (z1 > 0)
    gw1, gb1 = g1.T @ h0, g1.sum(0)
    return gw1, gb1, gw2, gb2, gw3, gb3


def main(batch=64):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    r = np.random.default_rng(0)
    x = r.random((batch, 28, 28), dtype=np.float32)
    y = r.integers(0, 10, batch)
    steps = {}
    for T in (torch, ember):
        m = build(T)
        X, Y = T.from_numpy(x), T.from_numpy(y)
        loss_fn = T.nn.functional.cross_entropy if hasattr(T.nn.functional, "cross_entropy") \
            else (lambda out, _: out.logsumexp(1).mean())

        def step(m=m, X=X, Y=Y, loss_fn=loss_fn):
            m.zero_grad()
            loss_fn(m(X), Y).backward()
        steps[T.__name__] = step
    params = [p.detach().numpy().copy() for p in build(ember).parameters()]
    steps["numpy"] = lambda: numpy_step(params, x, y)
    t = compare(steps, number=30, repeats=7)
    rows = [(f"seed MLP fwd+bwd, batch {batch}", f"{t['ember'] * 1e3:.2f} ms",
             f"{t['torch'] * 1e3:.2f} ms", f"{t['torch'] / t['ember']:.2f}x",
             f"{t['numpy'] / t['ember']:.2f}x")]
    print(table(rows, ("workload", "ember", "torch", "ember speed vs torch",
                       "ember speed vs numpy")))


if __name__ == "__main__":
    main()
