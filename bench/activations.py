"""Activations: ember's bit-exact float32 kernels against PyTorch and against plain NumPy.

ember reproduces PyTorch's CPU float32 activations bit for bit by replaying Sleef's and
oneDNN's vector algorithms (``ember/_ops/_sleef.py``) in NumPy, one rounding at a time; the
NumPy column is the plain formula (``1 / (1 + np.exp(-x))``...), fast but not PyTorch's
bits, so ember/numpy is the price of exactness. Each activation runs on a (256, 1024) float32
tensor, forward alone and forward with backward (the input's gradient, upstream gradient
given). PyTorch runs on one thread, as ember and NumPy do (``--threads`` for all cores).

Run: ``python bench/activations.py`` (``--quick``: forward only, fewer repeats). Prints
ratios measured in one run (median of several repeats, contenders alternating).
"""
from __future__ import annotations

import os
import platform
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import compare, table  # noqa: E402

import ember  # noqa: E402

SHAPE = (256, 1024)


def _np_softplus(x):
    return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))


def _np_erf(x):
    """erf to about 1e-7 (Abramowitz & Stegun 7.1.26): what plain NumPy code would use."""
    t = 1 / (1 + 0.3275911 * np.abs(x))
    p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                      + t * 1.061405429))))
    return np.copysign(1 - p * np.exp(-x * x), x)


# name: (call on a torch-like module T and a tensor, plain NumPy forward, its NumPy backward)
ACTS = {
    "sigmoid": (lambda T, x: T.sigmoid(x), lambda x: 1 / (1 + np.exp(-x)),
                lambda x, g, y: g * (1 - y) * y),
    "silu": (lambda T, x: T.nn.functional.silu(x), lambda x: x / (1 + np.exp(-x)),
             lambda x, g, y: g * (s := 1 / (1 + np.exp(-x))) * (1 + x * (1 - s))),
    "gelu": (lambda T, x: T.nn.functional.gelu(x), lambda x: 0.5 * x * (1 + _np_erf(x * 0.7071)),
             lambda x, g, y: g * (0.5 * (1 + _np_erf(x * 0.7071))
                                  + x * np.exp(-0.5 * x * x) * 0.3989)),
    "gelu(tanh)": (lambda T, x: T.nn.functional.gelu(x, approximate="tanh"),
                   lambda x: 0.5 * x * (1 + np.tanh(0.79788 * (x + 0.044715 * x * x * x))),
                   lambda x, g, y: g * (1 - np.square(np.tanh(x)))),
    "softplus": (lambda T, x: T.nn.functional.softplus(x), _np_softplus,
                 lambda x, g, y: g / (1 + np.exp(-x))),
    "elu": (lambda T, x: T.nn.functional.elu(x), lambda x: np.where(x > 0, x, np.expm1(x)),
            lambda x, g, y: np.where(x > 0, g, g * np.exp(x))),
    "selu": (lambda T, x: T.nn.functional.selu(x),
             lambda x: 1.0507 * np.where(x > 0, x, 1.6733 * np.expm1(x)),
             lambda x, g, y: np.where(x > 0, 1.0507 * g, g * 1.7581 * np.exp(x))),
    "mish": (lambda T, x: T.nn.functional.mish(x), lambda x: x * np.tanh(_np_softplus(x)),
             lambda x, g, y: g * ((t := np.tanh(_np_softplus(x)))
                                  + x / (1 + np.exp(-x)) * (1 - t * t))),
    "logsigmoid": (lambda T, x: T.nn.functional.logsigmoid(x),
                   lambda x: np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))),
                   lambda x, g, y: g / (1 + np.exp(x))),
    "expm1": (lambda T, x: T.expm1(x), np.expm1, lambda x, g, y: g * (y + 1)),
    "log1p": (lambda T, x: T.log1p(x.abs()), lambda x: np.log1p(np.abs(x)),
              lambda x, g, y: g / (np.abs(x) + 1) * np.sign(x)),
}


def measure(rows, name, x, g, backward, number, repeats):
    import torch

    call, np_fwd, np_bwd = ACTS[name]
    tx, tg = torch.from_numpy(x), torch.from_numpy(g)
    ex, eg = ember.from_numpy(x), ember.from_numpy(g)

    def framework(T, xt, gt):
        if not backward:
            return lambda: call(T, xt)

        def run():
            leaf = xt.detach().requires_grad_()
            call(T, leaf).backward(gt)
        return run

    def plain():
        with np.errstate(all="ignore"):
            y = np_fwd(x)
            return np_bwd(x, g, y) if backward else y

    t = compare({"torch": framework(torch, tx, tg), "ember": framework(ember, ex, eg),
                 "numpy": plain}, number=number, repeats=repeats)
    rows.append((f"{name} {'fwd+bwd' if backward else 'fwd'}", f"{t['ember'] * 1e3:.2f} ms",
                 f"{t['torch'] * 1e3:.2f} ms", f"{t['numpy'] * 1e3:.2f} ms",
                 f"{t['ember'] / t['torch']:.1f}x", f"{t['ember'] / t['numpy']:.1f}x"))


def main():
    import torch

    torch.set_num_threads((os.cpu_count() or 1) if "--threads" in sys.argv else 1)
    quick = "--quick" in sys.argv
    r = np.random.default_rng(0)
    x = (r.standard_normal(SHAPE) * 3).astype(np.float32)
    g = r.standard_normal(SHAPE).astype(np.float32)
    rows = []
    for name in ACTS:
        for backward in (False,) if quick else (False, True):
            measure(rows, name, x, g, backward, number=3, repeats=3 if quick else 5)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numpy {np.__version__}, torch threads {torch.get_num_threads()}, "
          f"input {SHAPE} float32")
    print(table(rows, ("activation", "ember", "torch", "numpy", "ember/torch", "ember/numpy")))
    print("(time ratios: lower is better; ember gives PyTorch's bits on these inputs, but for "
          "about a fifth of gelu's gradients (oneDNN's rounding); plain NumPy does not)")


if __name__ == "__main__":
    main()
