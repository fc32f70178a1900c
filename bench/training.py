"""One epoch of the quickstart's training (seed MLP, batch 64, SGD, FashionMNIST through a
DataLoader), ember against PyTorch, and the DataLoader's own per-batch overhead.

Both libraries read the same uint8 images through the same kind of map-style Dataset
(torchvision's FashionMNIST does the same per-sample conversion), so the loaders do equal work.
"""
from __future__ import annotations

import gzip
import os
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


def main(repeats=3):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    x, y = load_images()
    rates = {"torch": [], "ember": []}
    per_batch = {"torch": [], "ember": []}
    for r in range(repeats):
        # Rotate the order and pause between runs: PyTorch's worker threads keep spinning
        # for a moment after its own work and would slow whatever ran right after it.
        for T in ((torch, ember) if r % 2 == 0 else (ember, torch)):
            time.sleep(0.5)
            rates[T.__name__].append(epoch(T, x, y))
            time.sleep(0.5)
            per_batch[T.__name__].append(loader_only(T, x[:16384], y[:16384]))
    med = {k: float(np.median(v)) for k, v in rates.items()}
    pb = {k: float(np.median(v)) for k, v in per_batch.items()}
    rows = [("quickstart epoch (MLP, batch 64, SGD)", f"{med['ember']:,.0f} samples/s",
             f"{med['torch']:,.0f} samples/s", f"{med['ember'] / med['torch']:.2f}x"),
            ("DataLoader alone, per batch of 64", f"{pb['ember'] * 1e3:.2f} ms",
             f"{pb['torch'] * 1e3:.2f} ms", f"{pb['torch'] / pb['ember']:.2f}x")]
    print(table(rows, ("workload", "ember", "torch", "ember speed vs torch")))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
