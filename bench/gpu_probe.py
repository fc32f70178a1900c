"""Where a GPU training step spends its time: the figures that decide ember's next GPU changes.

- host cost of one CuPy call (ufunc, matmul, an ElementwiseKernel), against PyTorch's op;
- a bias gradient's column sum: CuPy's reduction against the product with a ones vector
  (what ember uses) and against PyTorch's ``sum(0)``;
- the seed model's training step (SGD and Adam) under ``cupyx.profiler.benchmark``, which
  reports host and GPU time apart: a step whose host time is near its GPU time is
  launch-bound, one whose GPU time is well above it is compute-bound.

    python bench/gpu_probe.py [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def _bench(fn, n_repeat=200):
    """(host µs, GPU µs) per call, medians, from CuPy's profiler."""
    from cupyx.profiler import benchmark

    r = benchmark(fn, n_repeat=n_repeat, n_warmup=10)
    return float(np.median(r.cpu_times) * 1e6), float(np.median(r.gpu_times[0]) * 1e6)


def call_costs(cp, torch):
    a = cp.ones((64, 64), dtype=cp.float32)
    b = cp.ones((64, 64), dtype=cp.float32)
    k = cp.ElementwiseKernel("T x", "T y", "y = x > (T)0 ? x : (T)0", "probe_relu")
    ta = torch.ones((64, 64), device="cuda")
    tb = torch.ones((64, 64), device="cuda")
    cases = {"cupy a + b": lambda: a + b, "cupy a @ b": lambda: a @ b,
             "cupy ElementwiseKernel": lambda: k(a), "cupy a.sum(0)": lambda: a.sum(0),
             "torch a + b": lambda: ta + tb, "torch a @ b": lambda: ta @ tb,
             "torch relu": lambda: torch.relu(ta), "torch a.sum(0)": lambda: ta.sum(0)}
    return {name: _bench(fn, 500) for name, fn in cases.items()}


def column_sums(cp, torch):
    out = {}
    for rows in (64, 1024, 8192):
        g = cp.random.random((rows, 512), dtype=cp.float32)
        ones = cp.ones(rows, dtype=cp.float32)
        tg = torch.rand((rows, 512), device="cuda")
        out[rows] = {"cupy sum(0)": _bench(lambda: g.sum(0)),
                     "ones @ g": _bench(lambda: ones @ g),
                     "torch sum(0)": _bench(lambda: tg.sum(0))}
    return out


def steps(cp, torch, ember):
    from gpu import framework_step

    out = {}
    for opt in ("sgd", "adam"):
        for batch in (64, 1024, 8192):
            row = {}
            for name, lib in (("ember", ember), ("torch", torch)):
                row[name] = _bench(framework_step(lib, batch, opt), 50)
            out[f"{opt} {batch}"] = row
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args(argv)

    import cupy as cp
    import torch

    import ember

    if not ember.cuda.is_available() or not torch.cuda.is_available():
        sys.exit("bench/gpu_probe.py needs a GPU that both CuPy and PyTorch see")
    result = {"call host/GPU us": call_costs(cp, torch),
              "column sum host/GPU us": column_sums(cp, torch),
              "step host/GPU us": steps(cp, torch, ember)}
    for section, rows in result.items():
        print(f"== {section}")
        for name, v in rows.items():
            if isinstance(v, dict):
                print(f"  {name}: " + ", ".join(f"{k} {h:.0f}/{d:.0f}" for k, (h, d) in v.items()))
            else:
                print(f"  {name}: {v[0]:.1f}/{v[1]:.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
