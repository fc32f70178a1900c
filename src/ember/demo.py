"""``ember demo``: train the tutorial's network on FashionMNIST and show what happens.

``ember predict model.pth IMAGE...`` classifies images with a checkpoint the demo wrote.
Every problem a person can cause (no data offline, an unreadable image, a checkpoint of
another model, ``--device cuda`` without a GPU) ends in a message saying what to do, not a
traceback.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time

import numpy as np

import ember
from ember import nn

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]


class DemoError(Exception):
    """A problem to report to the person running the demo (no traceback)."""


# -- models -----------------------------------------------------------------------

class NeuralNetwork(nn.Module):
    """The network of PyTorch's "Build the Neural Network" tutorial."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
            nn.Linear(512, 10))

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


class SmallCNN(nn.Module):
    """Two convolutions and two linear layers (about 225k parameters)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        if x.dim() == 3:
            x = x.unsqueeze(1)
        return self.classifier(self.features(x))


MODELS = {"mlp": NeuralNetwork, "cnn": SmallCNN}


def model_kind(state_dict) -> str:
    """Which demo model a state dict belongs to, or a DemoError."""
    for kind, cls in MODELS.items():
        want = {k: tuple(v.shape) for k, v in cls().state_dict().items()}
        have = {k: tuple(v.shape) for k, v in state_dict.items() if hasattr(v, "shape")}
        if want == have:
            return kind
    raise DemoError("this checkpoint is not one the demo wrote (its parameter names or shapes "
                    "match neither the 'mlp' nor the 'cnn' model). Train one with "
                    "`ember demo --out DIR` and pass DIR/model.pth.")


# -- data -------------------------------------------------------------------------

def load_fashion_mnist(root):
    """(train_x, train_y, test_x, test_y) as float32 images in [0, 1] and int64 labels."""
    from ember.vision import datasets

    try:
        train = datasets.FashionMNIST(root, train=True, download=True)
        test = datasets.FashionMNIST(root, train=False, download=True)
    except RuntimeError as exc:
        raise DemoError(f"FashionMNIST is not available: {exc}") from None
    scale = 1.0 / 255

    def prep(ds):
        return (ds.data.float() * scale), ds.targets.long()
    return (*prep(train), *prep(test))


# -- training ---------------------------------------------------------------------

def pick_device(name):
    if name == "auto":
        return "cuda" if ember.cuda.is_available() else "cpu"
    if name == "cuda" and not ember.cuda.is_available():
        raise DemoError("--device cuda was asked for, but no CUDA GPU is usable here (ember "
                        "needs CuPy and an NVIDIA GPU: pip install 'ember[cuda]'). Use "
                        "--device cpu or --device auto.")
    return name


def make_optimizer(name, params, lr):
    from ember import optim

    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    return optim.AdamW(params, lr=lr)


def _progress(total, desc, enabled):
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is optional: fall back to a line per epoch
        return None
    return tqdm(total=total, desc=desc, unit="batch", leave=True, dynamic_ncols=True,
                disable=not enabled, file=sys.stdout)


def evaluate(model, x, y, device, batch=1000):
    model.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total_loss, correct = 0.0, 0
    preds = []
    with ember.no_grad():
        for i in range(0, len(x), batch):
            xb, yb = x[i:i + batch].to(device), y[i:i + batch].to(device)
            out = model(xb)
            total_loss += loss_fn(out, yb).item()
            p = out.argmax(1)
            correct += (p == yb).sum().item()
            preds.append(p.cpu())
    model.train()
    return total_loss / len(x), correct / len(x), ember.cat(preds)


def train(args):
    ember.set_float32_matmul_precision(getattr(args, "matmul_precision", "highest"))
    device = pick_device(args.device)
    os.makedirs(args.out, exist_ok=True)
    ember.manual_seed(args.seed)
    train_x, train_y, test_x, test_y = load_fashion_mnist(args.data)
    if args.limit:
        train_x, train_y = train_x[:args.limit], train_y[:args.limit]
        test_x, test_y = test_x[:args.limit], test_y[:args.limit]
    model = MODELS[args.model]().to(device)
    opt = make_optimizer(args.optimizer, model.parameters(), args.lr)
    loss_fn = nn.CrossEntropyLoss()
    from ember.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=args.batch_size,
                        shuffle=True)
    # The learning rate decays to zero along a cosine over the run: steadier last epochs.
    from ember.optim.lr_scheduler import CosineAnnealingLR

    sched = CosineAnnealingLR(opt, T_max=args.epochs * len(loader))
    print(f"Using {device} device; model {args.model}, optimizer {args.optimizer} "
          f"(lr {args.lr}, cosine decay), batch {args.batch_size}, {args.epochs} epochs")
    history = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        bar = _progress(len(loader), f"epoch {epoch}/{args.epochs}", not args.quiet)
        t0 = time.perf_counter()
        seen, running = 0, 0.0
        for step, (xb, yb) in enumerate(loader, 1):
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            seen += len(xb)
            running += loss.item() * len(xb)
            if bar is not None and (step % 20 == 0 or step == len(loader)):
                rate = seen / (time.perf_counter() - t0)
                bar.set_postfix(loss=f"{running / seen:.4f}", samples_per_s=f"{rate:,.0f}")
                bar.update(step - bar.n)
        if bar is not None:
            bar.close()
        elapsed = time.perf_counter() - t0
        test_loss, acc, preds = evaluate(model, test_x, test_y, device)
        history.append({"epoch": epoch, "train_loss": running / seen, "test_loss": test_loss,
                        "test_accuracy": acc, "samples_per_s": seen / elapsed,
                        "seconds": elapsed})
        print(f"epoch {epoch}: train loss {running / seen:.4f}, test loss {test_loss:.4f}, "
              f"test accuracy {acc * 100:.1f}% ({seen / elapsed:,.0f} samples/s)")
    total = time.perf_counter() - start
    ember.save(model.state_dict(), os.path.join(args.out, "model.pth"))
    metrics = {"model": args.model, "optimizer": args.optimizer, "lr": args.lr,
               "batch_size": args.batch_size, "epochs": args.epochs, "seed": args.seed,
               "device": device, "seconds": total, "history": history,
               "test_accuracy": history[-1]["test_accuracy"] if history else None}
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    plots = write_plots(args.out, history, test_x, test_y, preds if history else None)
    print(f"done in {total:.0f} s: wrote {os.path.join(args.out, 'model.pth')}, metrics.json"
          + (", " + ", ".join(plots) if plots else " (install matplotlib for the plots)"))
    return metrics


# -- plots ------------------------------------------------------------------------

def write_plots(out, history, test_x, test_y, preds):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    if not history:
        return []
    written = []
    epochs = [h["epoch"] for h in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot(epochs, [h["train_loss"] for h in history], "o-", label="train")
    a1.plot(epochs, [h["test_loss"] for h in history], "o-", label="test")
    a1.set_xlabel("epoch")
    a1.set_ylabel("cross-entropy loss")
    a1.legend()
    a2.plot(epochs, [100 * h["test_accuracy"] for h in history], "o-", color="tab:green")
    a2.set_xlabel("epoch")
    a2.set_ylabel("test accuracy (%)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "curves.png"), dpi=110)
    plt.close(fig)
    written.append("curves.png")

    y = test_y.numpy()
    p = preds.numpy()
    cm = np.zeros((10, 10), dtype=np.int64)
    np.add.at(cm, (y, p), 1)
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    im = ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(10), CLASSES, rotation=45, ha="right")
    ax.set_yticks(range(10), CLASSES)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(10):
        for j in range(10):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
    fig.colorbar(im)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "confusion_matrix.png"), dpi=110)
    plt.close(fig)
    written.append("confusion_matrix.png")

    fig, axes = plt.subplots(4, 6, figsize=(9, 7))
    for k, ax in enumerate(axes.flat):
        ax.imshow(test_x[k].numpy(), cmap="gray")
        ok = p[k] == y[k]
        ax.set_title(f"{CLASSES[p[k]]}\n(true: {CLASSES[y[k]]})", fontsize=7,
                     color="green" if ok else "red")
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "predictions.png"), dpi=110)
    plt.close(fig)
    written.append("predictions.png")
    return written


# -- prediction -------------------------------------------------------------------

def load_image(path):
    """An image file as a 1x28x28 tensor the way FashionMNIST draws its items."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise DemoError("reading images needs Pillow: pip install pillow") from None
    try:
        with Image.open(path) as im:
            im = im.convert("L")
    except FileNotFoundError:
        raise DemoError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise DemoError(f"{path}: not an image this demo can read ({exc})") from None
    # Fit the longer side to 28 pixels on a square canvas, as the dataset's items are.
    w, h = im.size
    s = 28 / max(w, h)
    im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.BILINEAR)
    a = np.asarray(im, dtype=np.float32) / 255
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    if border.mean() > 0.5:  # dark clothes on a light background: invert, as in the dataset
        a = 1.0 - a
    canvas = np.zeros((28, 28), dtype=np.float32)
    top, left = (28 - a.shape[0]) // 2, (28 - a.shape[1]) // 2
    canvas[top:top + a.shape[0], left:left + a.shape[1]] = a
    return ember.from_numpy(canvas).unsqueeze(0)


def predict(checkpoint, images, top=3):
    try:
        state = ember.load(checkpoint, map_location="cpu")
    except FileNotFoundError:
        raise DemoError(f"{checkpoint}: no such checkpoint file") from None
    except Exception as exc:  # a corrupted or foreign file: say so plainly
        raise DemoError(f"{checkpoint}: not a checkpoint ember can read ({exc})") from None
    if not isinstance(state, dict):
        raise DemoError(f"{checkpoint}: expected a state dict (as `ember demo` writes), got "
                        f"{type(state).__name__}")
    model = MODELS[model_kind(state)]()
    model.load_state_dict(state)
    model.eval()
    results = []
    with ember.no_grad():
        for path in images:
            x = load_image(path)
            probs = nn.functional.softmax(model(x), dim=1)[0]
            values, idx = probs.topk(top)
            picks = [(CLASSES[i], float(v)) for v, i in zip(values.tolist(), idx.tolist())]
            results.append((path, picks))
            print(f"{path}: " + ", ".join(f"{c} {p * 100:.1f}%" for c, p in picks))
    return results


# -- command line -----------------------------------------------------------------

def demo_main(argv) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="ember demo", description="Train the tutorial's network "
                                "on FashionMNIST with ember and write a checkpoint and plots.")
    p.add_argument("--model", choices=sorted(MODELS), default="mlp")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--optimizer", choices=["sgd", "adam", "adamw"], default="adam")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--out", default="ember-demo")
    p.add_argument("--data", default=os.environ.get("EMBER_DATA", "data"),
                   help="dataset root (torchvision's layout; default ./data)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--limit", type=int, default=0,
                   help="use only the first N train and test images (for quick checks)")
    p.add_argument("--matmul-precision", choices=["highest", "high"], default="highest",
                   help="'highest': products summed in PyTorch's order (its bits); 'high': "
                   "NumPy's order, about 1.5x faster")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or not math.isfinite(args.lr) or args.lr <= 0:
        p.error("--epochs and --batch-size must be at least 1 and --lr positive")
    try:
        train(args)
    except DemoError as exc:
        print(f"ember demo: {exc}", file=sys.stderr)
        return 2
    return 0


def predict_main(argv) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="ember predict",
                                description="Classify images with a demo checkpoint.")
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+")
    p.add_argument("--top", type=int, default=3)
    args = p.parse_args(argv)
    try:
        predict(args.checkpoint, args.images, args.top)
    except DemoError as exc:
        print(f"ember predict: {exc}", file=sys.stderr)
        return 2
    return 0
