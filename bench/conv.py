"""Convolution: ember against PyTorch and against the hand-written NumPy floor.

The workload is a batch of 64 FashionMNIST-sized images through
``Conv2d(1, 32, 3) -> ReLU -> Conv2d(32, 64, 3)``, forward and backward (the
parameters' gradients, as in training).  The NumPy floor runs ember's own
im2col/col2im array routines on raw arrays, so ember/numpy is the cost of the
framework (tensors, graph, checks).  Also a max-pool and a transposed
convolution for context.

The conv net is timed twice: in one process (contenders alternating), and each library in
a process of its own (as a user runs one of them).  They differ because importing ember
fixes GNU libc's malloc thresholds (``ember._malloc``), which spares PyTorch's step in the
same process its page faults too.

Run: ``python bench/conv.py``.  Prints ratios measured in one run (median of
several repeats, contenders alternating).
"""
from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import compare, table  # noqa: E402


def _net_input():
    return np.random.default_rng(0).standard_normal((64, 1, 28, 28)).astype(np.float32)


def _step(T, x):
    """The conv net's training step on ``x`` in library ``T`` (torch or ember)."""
    T.manual_seed(0)
    c1, c2 = T.nn.Conv2d(1, 32, 3), T.nn.Conv2d(32, 64, 3)
    tx = T.from_numpy(x)

    def run():
        for p in (c1.weight, c1.bias, c2.weight, c2.bias):
            p.grad = None
        c2(T.relu(c1(tx))).sum().backward()
    return run


def _one_process(lib, number=5, repeats=9):
    """Seconds per step of ``lib`` alone in this process (the other library not imported)."""
    if lib == "torch":
        import torch as T
        T.set_num_threads(os.cpu_count() or 1)
    else:
        import ember as T
    run = _step(T, _net_input())
    for _ in range(3):
        run()
    times = []
    for _ in range(repeats):
        time.sleep(0.1)
        t0 = time.perf_counter()
        for _ in range(number):
            run()
        times.append((time.perf_counter() - t0) / number)
    print(json.dumps({"step": statistics.median(times)}))


def conv_net_apart(rows, repeats=5):
    """The conv net, each library in fresh processes of its own, alternating; the ratio is
    the median of the paired runs' ratios."""
    runs = {"torch": [], "ember": []}
    for r in range(repeats):
        for lib in (("torch", "ember") if r % 2 == 0 else ("ember", "torch")):
            out = subprocess.run([sys.executable, __file__, "--one", lib], check=True,
                                 capture_output=True, text=True).stdout
            runs[lib].append(json.loads(out.strip().splitlines()[-1])["step"])
    ratio = statistics.median(e / t for e, t in zip(runs["ember"], runs["torch"]))
    rows.append(("the same, each library in its own process",
                 f"{statistics.median(runs['ember']) * 1e3:.1f} ms",
                 f"{statistics.median(runs['torch']) * 1e3:.1f} ms", f"{ratio:.2f}x", "-"))
    return ratio


def conv_net(rows, number=5, repeats=7):
    import torch

    import ember
    from ember.nn._functional import conv as C

    torch.set_num_threads(os.cpu_count() or 1)
    x = _net_input()
    torch.manual_seed(0)
    t1, t2 = torch.nn.Conv2d(1, 32, 3), torch.nn.Conv2d(32, 64, 3)
    e1, e2 = ember.nn.Conv2d(1, 32, 3), ember.nn.Conv2d(32, 64, 3)
    for e, t in ((e1, t1), (e2, t2)):
        e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                           for k, v in t.state_dict().items()})
    tx, ex = torch.from_numpy(x), ember.from_numpy(x)
    params = [(p.detach().numpy().copy()) for p in (t1.weight, t1.bias, t2.weight, t2.bias)]

    def run_torch():
        for p in (t1.weight, t1.bias, t2.weight, t2.bias):
            p.grad = None
        t2(torch.relu(t1(tx))).sum().backward()

    def run_ember():
        for p in (e1.weight, e1.bias, e2.weight, e2.bias):
            p.grad = None
        e2(ember.relu(e1(ex))).sum().backward()

    def run_numpy():  # ember's own array routines, called without tensors or autograd
        w1, b1, w2, b2 = params
        p1, p2 = C._Plan((28, 28), (3, 3), (1, 1), (0, 0), (1, 1)), \
            C._Plan((26, 26), (3, 3), (1, 1), (0, 0), (1, 1))
        h = C.conv_forward(np, x, w1, p1, 1, b1)
        m = h > 0
        h = np.maximum(h, 0)
        y = C.conv_forward(np, h, w2, p2, 1, b2)
        g = np.ones_like(y)
        gh, gw2 = C.conv_backward(np, h, g, w2, p2, 1, True, True)
        gh *= m
        _, gw1 = C.conv_backward(np, x, gh, w1, p1, 1, False, True)
        return gw1, gh.sum((0, 2, 3)), gw2, g.sum((0, 2, 3))

    run_ember()
    run_torch()
    np.testing.assert_allclose(e2.weight.grad.numpy(), t2.weight.grad.numpy(), rtol=1e-3,
                               atol=1e-2)
    t = compare({"torch": run_torch, "ember": run_ember, "numpy": run_numpy}, number=number,
                repeats=repeats)
    rows.append(("Conv2d(1,32,3)-ReLU-Conv2d(32,64,3) fwd+bwd, 64x1x28x28 f32",
                 f"{t['ember'] * 1e3:.1f} ms", f"{t['torch'] * 1e3:.1f} ms",
                 f"{t['ember'] / t['torch']:.2f}x", f"{t['ember'] / t['numpy']:.2f}x"))
    return t


def pool_and_transpose(rows):
    import torch

    import ember

    r = np.random.default_rng(1)
    x = r.standard_normal((64, 32, 26, 26)).astype(np.float32)
    w = r.standard_normal((32, 16, 4, 4)).astype(np.float32)
    tx, ex = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x).requires_grad_()
    tw, ew = torch.from_numpy(w).requires_grad_(), ember.from_numpy(w).requires_grad_()

    def pool(T, x):
        return lambda: T.nn.functional.max_pool2d(x, 2).sum().backward()

    def convt(T, x, w):
        return lambda: T.nn.functional.conv_transpose2d(x, w, stride=2, padding=1).sum() \
            .backward()

    t = compare({"torch": pool(torch, tx), "ember": pool(ember, ex)}, number=10, repeats=5)
    rows.append(("max_pool2d(2) fwd+bwd, 64x32x26x26 f32", f"{t['ember'] * 1e3:.1f} ms",
                 f"{t['torch'] * 1e3:.1f} ms", f"{t['ember'] / t['torch']:.2f}x", "-"))
    t = compare({"torch": convt(torch, tx, tw), "ember": convt(ember, ex, ew)}, number=2,
                repeats=5)
    rows.append(("conv_transpose2d(32->16, k4, s2) fwd+bwd, 64x32x26x26 f32",
                 f"{t['ember'] * 1e3:.1f} ms", f"{t['torch'] * 1e3:.1f} ms",
                 f"{t['ember'] / t['torch']:.2f}x", "-"))


def main():
    rows = []
    t = conv_net(rows)
    apart = conv_net_apart(rows)
    if "--quick" not in sys.argv:
        pool_and_transpose(rows)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numpy {np.__version__}")
    print(table(rows, ("workload", "ember", "torch", "ember/torch", "ember/numpy")))
    print("(time ratios: lower is better; 1.00x means the same time)")
    thr = t["torch"] / t["ember"]
    print(f"conv net throughput: ember {1 / apart:.2f}x PyTorch's, each in its own process "
          f"({thr:.2f}x in one process; target >= 0.5x)")
    return math.isfinite(thr)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        _one_process(sys.argv[2])
    else:
        main()
