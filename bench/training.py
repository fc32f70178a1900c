"""One epoch of the quickstart's training (seed MLP, batch 64, SGD, FashionMNIST through a
DataLoader), ember against PyTorch, and the DataLoader's own per-batch overhead.

Both libraries read the same uint8 images through the same kind of map-style Dataset
(torchvision's FashionMNIST does the same per-sample conversion), so the loaders do equal work.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import table  # noqa: E402

import ember  # noqa: E402

ROOT = "/usr/share/datasets/fashion-mnist"


def load_images(n=None):
    path = os.path.join(ROOT, "train-images-idx3-ubyte.gz")
    if os.path.exists(path):
        with gzip.open(path) as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
        with gzip.open(os.path.join(ROOT, "train-labels-idx1-ubyte.gz")) as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    else:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, 60000)
    return (x, y) if n is None else (x[:n], y[:n])


def make_dataset(T, x, y):
    class Images(T.utils.data.Dataset):
        def __len__(self):
            return len(x)

        def __getitem__(self, i):
            return T.from_numpy(x[i][None].astype(np.float32) / 255), int(y[i])
    return Images()


def epoch(T, x, y, steps=None):
    nn = T.nn
    T.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512),
                          nn.ReLU(), nn.Linear(512, 10))
    opt = T.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = T.utils.data.DataLoader(make_dataset(T, x, y), batch_size=64, shuffle=True)
    t0 = time.perf_counter()
    n = 0
    for i, (xb, yb) in enumerate(loader):
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
        n += len(xb)
        if steps and i + 1 >= steps:
            break
    return n / (time.perf_counter() - t0)


def loader_only(T, x, y):
    loader = T.utils.data.DataLoader(make_dataset(T, x, y), batch_size=64, shuffle=True)
    t0 = time.perf_counter()
    k = 0
    for _ in loader:
        k += 1
    return (time.perf_counter() - t0) / k


def _one_run(lib):
    """In a fresh process: one epoch and the loader's per-batch time, for library ``lib``."""
    if lib == "torch":
        import torch as T

        T.set_num_threads(os.cpu_count() or 1)
    else:
        T = ember
    x, y = load_images()
    epoch(T, x, y, steps=20)  # warm up: first calls, allocator, BLAS threads
    time.sleep(0.2)
    rate = epoch(T, x, y)
    time.sleep(0.2)
    per_batch = loader_only(T, x[:16384], y[:16384])
    print(json.dumps({"rate": rate, "per_batch": per_batch}))


def main(repeats=3):
    """Each epoch runs in a process of its own, PyTorch's and ember's alternating: within
    one process, whichever library ran last leaves its thread pool spinning (PyTorch's OpenMP
    workers, NumPy's OpenBLAS workers) and slows the other; a user runs one of them."""
    runs = {"torch": [], "ember": []}
    for r in range(repeats):
        for lib in (("torch", "ember") if r % 2 == 0 else ("ember", "torch")):
            out = subprocess.run([sys.executable, __file__, "--one", lib], check=True,
                                 capture_output=True, text=True).stdout
            runs[lib].append(json.loads(out.strip().splitlines()[-1]))
    rate = {k: [v["rate"] for v in runs[k]] for k in runs}
    pb = {k: float(np.median([v["per_batch"] for v in runs[k]])) for k in runs}
    med = {k: float(np.median(v)) for k, v in rate.items()}
    # each repeat's two runs were neighbours in time: their ratio cancels slow drifts
    paired = float(np.median([e / t for e, t in zip(rate["ember"], rate["torch"])]))
    rows = [("quickstart epoch (MLP, batch 64, SGD)", f"{med['ember']:,.0f} samples/s",
             f"{med['torch']:,.0f} samples/s", f"{paired:.2f}x"),
            ("DataLoader alone, per batch of 64", f"{pb['ember'] * 1e3:.2f} ms",
             f"{pb['torch'] * 1e3:.2f} ms", f"{pb['torch'] / pb['ember']:.2f}x")]
    print(table(rows, ("workload", "ember", "torch", "ember speed vs torch")))
    print(f"(epoch: median of {repeats} runs each, ratio the median of the paired runs' "
          "ratios; each run in a fresh process)")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        _one_run(sys.argv[2])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
