"""Optimizer steps on the seed model's parameters (784-512-512-10 MLP, 670k floats).

ember's ``opt.step()`` against PyTorch's (its default, single-tensor path on the CPU) with the
same fixed gradients, and against a hand-written in-place NumPy update where one is given (the
floor for any NumPy library).  Ratios are throughput ratios (higher is better for ember),
medians of alternating repeats.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import compare, table  # noqa: E402

import ember  # noqa: E402

SHAPES = [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)]


def numpy_sgd(ps, gs, lr=1e-3):
    for p, g in zip(ps, gs):
        p -= lr * g


def numpy_adam(ps, gs, ms, vs, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    step_size = lr / (1 - b1 ** t)
    bc2 = (1 - b2 ** t) ** 0.5
    for p, g, m, v in zip(ps, gs, ms, vs):
        m += (g - m) * (1 - b1)
        v *= b2
        v += g * g * (1 - b2)
        d = np.sqrt(v)
        d /= bc2
        d += eps
        p -= step_size * m / d


CASES = [("SGD", dict(lr=1e-3), "sgd"), ("SGD", dict(lr=1e-3, momentum=0.9), None),
         ("Adam", dict(lr=1e-3), "adam"), ("AdamW", dict(lr=1e-3), None),
         ("RMSprop", dict(lr=1e-3), None), ("Adagrad", dict(lr=1e-3), None),
         ("Adadelta", dict(), None), ("Adamax", dict(), None), ("NAdam", dict(), None),
         ("RAdam", dict(), None)]


def main():
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    r = np.random.default_rng(0)
    params = [r.standard_normal(s).astype(np.float32) * 0.05 for s in SHAPES]
    grads = [r.standard_normal(s).astype(np.float32) * 1e-3 for s in SHAPES]
    rows = []
    for name, kw, floor in CASES:
        steps = {}
        for T in (torch, ember):
            ps = [T.nn.Parameter(T.from_numpy(p.copy())) for p in params]
            for p, g in zip(ps, grads):
                p.grad = T.from_numpy(g.copy())
            steps[T.__name__] = getattr(T.optim, name)(ps, **kw).step
        if floor == "sgd":
            nps = [p.copy() for p in params]
            steps["numpy"] = lambda nps=nps: numpy_sgd(nps, grads)
        elif floor == "adam":
            nps = [p.copy() for p in params]
            ms, vs = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
            count = iter(range(1, 10 ** 9))
            steps["numpy"] = lambda nps=nps, ms=ms, vs=vs, c=count: numpy_adam(nps, grads, ms,
                                                                               vs, next(c))
        t = compare(steps, number=20, repeats=7)
        opts = ", ".join(f"{k}={v}" for k, v in kw.items())
        rows.append((f"{name}({opts})", f"{t['ember'] * 1e3:.3f} ms", f"{t['torch'] * 1e3:.3f} ms",
                     f"{t['torch'] / t['ember']:.2f}x",
                     f"{t['numpy'] / t['ember']:.2f}x" if "numpy" in t else "-"))
    print(table(rows, ("optimizer step, seed MLP params", "ember", "torch",
                       "ember speed vs torch", "ember speed vs numpy")))


if __name__ == "__main__":
    main()
