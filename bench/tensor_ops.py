"""Tensors and autograd: ember against PyTorch (op chain) and against NumPy (matmul).

Run: ``make bench`` or ``python bench/tensor_ops.py``.  Prints ratios measured in one run
(median of several repeats, contenders alternating).
"""
from __future__ import annotations

import os
import platform
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import compare, paired_ratio, samples, table  # noqa: E402

import ember  # noqa: E402


def op_chain(rows):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    r = np.random.default_rng(0)
    arrs = [r.standard_normal((64, 512)).astype(np.float32) for _ in range(3)]
    ta = [torch.from_numpy(a.copy()).requires_grad_() for a in arrs]
    ea = [ember.from_numpy(a.copy()).requires_grad_() for a in arrs]
    na = [a.copy() for a in arrs]

    def run_torch():
        a, b, c = ta
        ((a * b + c).relu()).sum().backward()

    def run_ember():
        a, b, c = ea
        ((a * b + c).relu()).sum().backward()

    def run_numpy():  # the same arithmetic by hand, forward and backward
        a, b, c = na
        h = a * b + c
        m = h > 0
        h = np.maximum(h, 0)
        h.sum()
        g = m.astype(np.float32)
        return g * b, g * a, g

    got = samples({"torch": run_torch, "ember": run_ember, "numpy": run_numpy}, number=300,
                  repeats=15)
    t = {k: statistics.median(v) for k, v in got.items()}
    rows.append(("((a*b+c).relu()).sum().backward(), 64x512 f32",
                 f"{t['ember'] * 1e6:.1f} us", f"{t['torch'] * 1e6:.1f} us",
                 f"{paired_ratio(got, 'ember', 'torch'):.2f}x",
                 f"{paired_ratio(got, 'ember', 'numpy'):.2f}x"))


def matmul(rows, n):
    import torch

    r = np.random.default_rng(1)
    a = r.standard_normal((n, n)).astype(np.float32)
    b = r.standard_normal((n, n)).astype(np.float32)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    ea, eb = ember.from_numpy(a), ember.from_numpy(b)
    # NOTE: ember and NumPy share OpenBLAS: they alternate with each other only, and PyTorch
    # (its own BLAS and thread pool, which disturb whatever runs next) is timed apart.
    number = max(1, 20_000_000_000 // (2 * n ** 3))
    t = compare({"ember": lambda: ea @ eb, "numpy": lambda: a @ b}, number=number, repeats=15)
    t.update(compare({"torch": lambda: ta @ tb}, number=number, repeats=5))
    rows.append((f"matmul {n}x{n} f32", f"{t['ember'] * 1e3:.2f} ms", f"{t['torch'] * 1e3:.2f} ms",
                 f"{t['ember'] / t['torch']:.2f}x", f"{t['ember'] / t['numpy']:.2f}x"))


def main():
    rows = []
    op_chain(rows)
    for n in (512, 1024, 2048):
        matmul(rows, n)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numpy {np.__version__}")
    print(table(rows, ("workload", "ember", "torch", "ember/torch", "ember/numpy")))
    print("(time ratios: lower is better; 1.00x means the same time; the op chain's are the "
          "medians of the paired repeats' ratios)")


if __name__ == "__main__":
    main()
