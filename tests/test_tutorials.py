"""PyTorch's "Learn the Basics" tutorials run unmodified under ``ember run``.

torchvision cannot be installed next to the CPU build of PyTorch used as the oracle, so the
tutorials that need it run on ember alone and are checked for what they must print; the
training parity against PyTorch itself is in tests/scripts/training_parity.py.
"""
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(__file__)
FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


@pytest.mark.skipif(not os.path.exists(FASHION), reason="FashionMNIST is not installed "
                    "(apt-get install dataset-fashion-mnist)")
def test_quickstart_runs_unmodified(tmp_path):
    script = os.path.join(HERE, "tutorials", "quickstart.py")
    p = subprocess.run([sys.executable, "-m", "ember.cli", "run", script], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, QUICKSTART_EPOCHS="1"))
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "Shape of X [N, C, H, W]: torch.Size([64, 1, 28, 28])" in out
    assert "Shape of y: torch.Size([64]) torch.int64" in out
    assert "Using cpu device" in out or "Using cuda device" in out
    assert "(0): Linear(in_features=784, out_features=512, bias=True)" in out
    acc = float(re.search(r"Accuracy: ([0-9.]+)%", out).group(1))
    first = float(re.search(r"loss: ([0-9.]+)", out).group(1))
    # one epoch of SGD at lr 1e-3 from an unseeded start, as in PyTorch: 20-50% accuracy
    assert 2.2 < first < 2.4 and acc > 15
    assert "Saved PyTorch Model State to model.pth" in out
    assert re.search(r'Predicted: ".+", Actual: "Ankle boot"', out)
    torch = pytest.importorskip("torch")
    state = torch.load(tmp_path / "model.pth", weights_only=True)
    assert sorted(state)[0] == "linear_relu_stack.0.bias"


@pytest.mark.skipif(not os.path.exists(FASHION), reason="FashionMNIST is not installed")
def test_data_and_transforms_tutorials_run(tmp_path):
    pytest.importorskip("matplotlib")
    script = os.path.join(HERE, "tutorials", "data_and_transforms.py")
    p = subprocess.run([sys.executable, "-m", "ember.cli", "run", script], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    lines = [x for x in p.stdout.splitlines() if not x.startswith("Using the FashionMNIST")]
    assert lines[:2] == ["Feature batch shape: torch.Size([64, 1, 28, 28])",
                                         "Labels batch shape: torch.Size([64])"]
    assert re.fullmatch(r"Label: \d", lines[2])  # a 0-d tensor formats as its number
    assert lines[3] == ("torch.Size([1, 28, 28]) torch.float32 "
                                        "tensor([0., 0., 0., 0., 0., 0., 0., 0., 0., 1.])")
    assert (tmp_path / "grid.png").stat().st_size > 0
