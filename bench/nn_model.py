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


def numpy_sgd(params, grads, lr=1e-3):
    for p, g in zip(params, grads):
        p -= lr * g


def numpy_adam(state, params, grads, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    state["t"] += 1
    t = state["t"]
    for i, (p, g) in enumerate(zip(params, grads)):
        m, v = state["m"][i], state["v"][i]
        m += (1 - b1) * (g - m)
        v *= b2
        v += (1 - b2) * g * g
        denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps
        p -= (lr / (1 - b1 ** t)) * m / denom


def train_rows(batch, opt_name, r, precision="highest"):
    """``precision``: ember's float32 matmul precision for the step (below "highest" it leaves
    PyTorch's summation order for NumPy's faster one)."""
    import torch

    x = r.random((batch, 28, 28), dtype=np.float32)
    y = r.integers(0, 10, batch)
    steps = {}
    for T in (torch, ember):
        m = build(T)
        X, Y = T.from_numpy(x), T.from_numpy(y)
        opt = (T.optim.SGD(m.parameters(), lr=1e-3) if opt_name == "sgd"
               else T.optim.Adam(m.parameters(), lr=1e-3))
        loss_fn = T.nn.functional.cross_entropy

        def step(m=m, X=X, Y=Y, opt=opt, loss_fn=loss_fn):
            opt.zero_grad()
            loss_fn(m(X), Y).backward()
            opt.step()
        steps[T.__name__] = step
    params = [p.detach().numpy().copy() for p in build(ember).parameters()]
    state = {"t": 0, "m": [np.zeros_like(p) for p in params],
             "v": [np.zeros_like(p) for p in params]}

    def numpy_train():
        grads = numpy_step(params, x, y)
        if opt_name == "sgd":
            numpy_sgd(params, grads)
        else:
            numpy_adam(state, params, grads)
    steps["numpy"] = numpy_train
    if precision != "highest":
        exact_step = steps["ember"]

        def fast_step():
            ember.set_float32_matmul_precision(precision)
            try:
                exact_step()
            finally:
                ember.set_float32_matmul_precision("highest")
        steps["ember"] = fast_step
    t = compare(steps, number=max(5, 2000 // batch), repeats=7)
    label = f"train step, batch {batch}, {opt_name}"
    if precision != "highest":
        label += f", ember at matmul precision '{precision}'"
    return (label, f"{batch / t['ember']:,.0f}/s",
            f"{batch / t['torch']:,.0f}/s", f"{t['torch'] / t['ember']:.2f}x",
            f"{t['numpy'] / t['ember']:.2f}x")


def inference_row(r):
    import torch

    x = r.random((1, 28, 28), dtype=np.float32)
    steps = {}
    for T in (torch, ember):
        m = build(T).eval()
        X = T.from_numpy(x)

        def infer(m=m, X=X, T=T):
            with T.no_grad():
                return m(X)
        steps[T.__name__] = infer
    params = [p.detach().numpy().copy() for p in build(ember).parameters()]

    def numpy_infer():
        w1, b1, w2, b2, w3, b3 = params
        h = np.maximum(x.reshape(1, -1) @ w1.T + b1, 0)
        h = np.maximum(h @ w2.T + b2, 0)
        return h @ w3.T + b3
    steps["numpy"] = numpy_infer
    t = compare(steps, number=200, repeats=7)
    return ("inference, batch 1", f"{1 / t['ember']:,.0f}/s", f"{1 / t['torch']:,.0f}/s",
            f"{t['torch'] / t['ember']:.2f}x", f"{t['numpy'] / t['ember']:.2f}x")


def main():
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    r = np.random.default_rng(0)
    rows = [train_rows(b, o, r) for b in (64, 256) for o in ("sgd", "adam")]
    rows.append(train_rows(64, "sgd", r, precision="high"))
    rows.append(inference_row(r))
    print(table(rows, ("seed MLP (784-512-512-10)", "ember", "torch",
                       "ember speed vs torch", "ember speed vs numpy")))
    print("(samples per second; speed ratios: higher is better, 1.00x = the same speed)")


if __name__ == "__main__":
    main()
