"""Training the seed's model on a GPU: ember (CuPy) against PyTorch CUDA eager and against
the same matrix products written by hand in CuPy.

FashionMNIST-shaped random data already on the GPU; the 784-512-512-10 MLP; softmax
cross-entropy; SGD (lr 1e-3).  One step is forward, backward and the update.  The three
contenders alternate within each repeat; each measurement runs a number of steps and
waits for the GPU (synchronise) before the clock stops; the figure is the median over
repeats, in samples per second.

    python bench/gpu.py                 # batches 64, 1024, 8192
    python bench/gpu.py --json out.json --batches 64 1024
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np


def _build(T):
    nn = T.nn
    T.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512),
                         nn.ReLU(), nn.Linear(512, 10))


def framework_step(T, batch, optimizer="sgd"):
    """One training step of library ``T`` (``ember`` or ``torch``) on data on the GPU, with
    SGD (lr 1e-3) or Adam (lr 1e-3)."""
    model = _build(T).to("cuda")
    make = {"sgd": T.optim.SGD, "adam": T.optim.Adam}[optimizer]
    opt = make(model.parameters(), lr=1e-3)
    g = np.random.default_rng(0)
    x = T.from_numpy(g.random((batch, 1, 28, 28), dtype=np.float32)).to("cuda")
    y = T.from_numpy(g.integers(0, 10, batch)).to("cuda")
    loss_fn = T.nn.functional.cross_entropy

    def step():
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def cupy_step(batch):
    """The same step by hand: the matrix products, ReLU masks and softmax in CuPy."""
    import cupy as cp

    g = np.random.default_rng(0)
    sizes = [(512, 784), (512, 512), (10, 512)]
    params = []
    for o, i in sizes:
        bound = 1 / np.sqrt(i)
        params.append(cp.asarray(g.uniform(-bound, bound, (o, i)).astype(np.float32)))
        params.append(cp.asarray(g.uniform(-bound, bound, o).astype(np.float32)))
    x = cp.asarray(g.random((batch, 1, 28, 28), dtype=np.float32))
    y = cp.asarray(g.integers(0, 10, batch))
    rows = cp.arange(batch)
    lr = np.float32(1e-3)

    def step():
        w1, b1, w2, b2, w3, b3 = params
        h0 = x.reshape(batch, -1)
        z1 = h0 @ w1.T + b1
        h1 = cp.maximum(z1, 0)
        z2 = h1 @ w2.T + b2
        h2 = cp.maximum(z2, 0)
        z3 = h2 @ w3.T + b3
        e = cp.exp(z3 - z3.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        p[rows, y] -= 1
        g3 = p / batch
        g2 = (g3 @ w3) * (z2 > 0)
        g1 = (g2 @ w2) * (z1 > 0)
        grads = (g1.T @ h0, g1.sum(0), g2.T @ h1, g2.sum(0), g3.T @ h2, g3.sum(0))
        for p_, g_ in zip(params, grads):
            p_ -= lr * g_
    return step


def measure(contenders: dict, sync, number: int, repeats: int, warmup: int = 5) -> dict:
    """Median seconds per step of each contender, alternating, GPU synchronised."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
        sync()
    samples = {k: [] for k in contenders}
    for _ in range(repeats):
        for k, fn in contenders.items():
            sync()
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            sync()
            samples[k].append((time.perf_counter() - t0) / number)
    return {k: statistics.median(v) for k, v in samples.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", type=int, nargs="+", default=[64, 1024, 8192])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=0.25, help="per measurement, roughly")
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args(argv)

    import cupy as cp
    import torch

    import ember

    if not ember.cuda.is_available() or not torch.cuda.is_available():
        sys.exit("bench/gpu.py needs a GPU that both CuPy and PyTorch see")

    def sync():
        cp.cuda.Device().synchronize()
        torch.cuda.synchronize()

    rows, results = [], []
    for batch in args.batches:
        contenders = {"ember": framework_step(ember, batch), "torch": framework_step(torch, batch),
                      "cupy": cupy_step(batch)}
        # steps per measurement: about --seconds of the slowest contender
        probe = measure(contenders, sync, number=3, repeats=1, warmup=2)
        number = max(5, int(args.seconds / max(probe.values())))
        t = measure(contenders, sync, number=number, repeats=args.repeats)
        rate = {k: batch / v for k, v in t.items()}
        results.append({"batch": batch, "steps_per_measurement": number,
                        "samples_per_s": rate,
                        "ember_vs_torch": rate["ember"] / rate["torch"],
                        "ember_vs_cupy": rate["ember"] / rate["cupy"]})
        rows.append((batch, *(f"{rate[k]:,.0f}" for k in ("ember", "torch", "cupy")),
                     f"{rate['ember'] / rate['torch']:.2f}x",
                     f"{rate['ember'] / rate['cupy']:.2f}x"))
        print(f"batch {batch}: done", file=sys.stderr, flush=True)
    from common import table

    print(f"GPU: {ember.cuda.get_device_name()} | torch {torch.__version__} | "
          f"cupy {cp.__version__} | numpy {np.__version__}")
    print(table(rows, ("batch", "ember samples/s", "torch samples/s", "cupy samples/s",
                       "ember/torch", "ember/cupy")))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": ember.cuda.get_device_name(), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
