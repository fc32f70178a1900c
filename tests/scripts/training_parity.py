# Seeded training as users write it: a FashionMNIST slice through a shuffled DataLoader,
# several optimizers and schedulers, printing losses (PyTorch and ember must agree).
import gzip
import os

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
root = "/usr/share/datasets/fashion-mnist"
if os.path.exists(os.path.join(root, "train-images-idx3-ubyte.gz")):
    with gzip.open(os.path.join(root, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:2048]
    with gzip.open(os.path.join(root, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)[:2048]
else:  # the same script on a machine without the dataset
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2048, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 2048).astype(np.uint8)
x = torch.from_numpy(images.copy()).float() / 255
y = torch.from_numpy(labels.astype(np.int64))
loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)


def model():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.1),
                         nn.Linear(128, 10))


setups = [
    ("sgd+steplr", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=10, gamma=0.5)),
    ("adam+cosine", lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=1e-4),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=30)),
    ("adamw+onecycle", lambda p: torch.optim.AdamW(p, lr=1e-3),
     lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=1e-2, total_steps=64)),
    ("rmsprop", lambda p: torch.optim.RMSprop(p, lr=1e-3, momentum=0.5), None),
]
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
for name, make_opt, make_sched in setups:
    net = model()
    opt = make_opt(net.parameters())
    sched = make_sched(opt) if make_sched else None
    losses = []
    for epoch in range(2):
        for xb, yb in loader:
            loss = loss_fn(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            if isinstance(sched, torch.optim.lr_scheduler.OneCycleLR):
                sched.step()
            losses.append(loss.item())
        if sched is not None and not isinstance(sched, torch.optim.lr_scheduler.OneCycleLR):
            sched.step()
    net.eval()
    with torch.no_grad():
        acc = (net(x).argmax(1) == y).float().mean().item()
    if os.environ.get("PARITY_DIGITS") == "all":  # (every bit: tests/test_mkl_gemm.py)
        print(name, " ".join(repr(v) for v in losses), f"acc={acc!r}",
              [p.detach().double().sum().item() for p in net.parameters()])
    else:
        print(name, " ".join(f"{v:.3f}" for v in losses[::8]), f"acc={acc:.3f}",
              f"lr={opt.param_groups[0]['lr']:.6f}")
print(torch.rand(3))
