"""``ember demo`` trains, writes a checkpoint PyTorch loads, metrics and plots; ``ember predict``
classifies images; every mistake a person can make gets a message, not a traceback."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import demo

FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
needs_data = pytest.mark.skipif(not os.path.exists(FASHION),
                                reason="FashionMNIST is not installed")


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ember.cli", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd)


@needs_data
def test_demo_trains_and_writes_everything(tmp_path):
    out = tmp_path / "out"
    p = cli("demo", "--epochs", "1", "--limit", "2000", "--quiet", "--out", str(out),
            "--data", str(tmp_path / "data"), "--optimizer", "sgd", "--lr", "0.05")
    assert p.returncode == 0, p.stderr
    assert "test accuracy" in p.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and metrics["test_accuracy"] > 0.3
    for name in ("model.pth", "curves.png", "confusion_matrix.png", "predictions.png"):
        assert (out / name).stat().st_size > 0
    torch = pytest.importorskip("torch")
    state = torch.load(out / "model.pth", weights_only=True)
    model = demo.NeuralNetwork()
    model.load_state_dict(ember.load(out / "model.pth"))
    x = np.random.default_rng(0).random((2, 28, 28), dtype=np.float32)
    # the same weights give the same logits in PyTorch (rebuilt from the state dict by hand)
    t = torch.from_numpy(x).reshape(2, -1)
    for i in (0, 2, 4):
        t = t @ state[f"linear_relu_stack.{i}.weight"].T + state[f"linear_relu_stack.{i}.bias"]
        if i < 4:
            t = t.relu()
    np.testing.assert_allclose(model(ember.from_numpy(x)).detach().numpy(), t.numpy(),
                               rtol=1e-5, atol=1e-5)

    img = tmp_path / "shoe.png"
    from PIL import Image

    Image.fromarray((255 - np.asarray(x[0] * 255, dtype=np.uint8))).resize((90, 60)).save(img)
    p = cli("predict", str(out / "model.pth"), str(img))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"{img}: ") and p.stdout.count("%") == 3


def test_predict_errors(tmp_path, capsys):
    # (in this process, through the command's own entry point: a fresh interpreter per call
    # cost a second each; test_demo_trains_and_writes_everything runs ``python -m ember.cli``)
    from ember import cli as ember_cli

    def predict(*args):
        capsys.readouterr()
        code = ember_cli.main(["predict", *args])  # (an uncaught error would fail the test)
        return code, capsys.readouterr().err

    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello")
    ckpt = tmp_path / "m.pth"
    ember.save(demo.NeuralNetwork().state_dict(), ckpt)
    code, err = predict(str(ckpt), str(bad))
    assert code == 2 and "not an image" in err and "Traceback" not in err
    other = tmp_path / "other.pth"
    ember.save(ember.nn.Linear(3, 2).state_dict(), other)
    code, err = predict(str(other), str(bad))
    assert code == 2 and "not one the demo wrote" in err
    assert "Traceback" not in err
    code, err = predict(str(tmp_path / "missing.pth"), str(bad))
    assert code == 2 and "no such checkpoint" in err


def test_demo_errors(tmp_path, monkeypatch):
    if not ember.cuda.is_available():
        p = cli("demo", "--device", "cuda", "--out", str(tmp_path / "o"))
        assert p.returncode == 2 and "--device cuda" in p.stderr
        assert "Traceback" not in p.stderr
    # No data and no network: the message says how to get it.
    from ember.vision import datasets

    monkeypatch.setattr(datasets.FashionMNIST, "_system_dirs", ())
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", ["http://127.0.0.1:9/"])
    rc = demo.demo_main(["--epochs", "1", "--out", str(tmp_path / "o"), "--data",
                         str(tmp_path / "empty"), "--quiet"])
    assert rc == 2
