"""The reference text (PyTorch's "Build the Neural Network" tutorial) runs on ember and
prints what PyTorch prints, random values included (seeded with manual_seed(0))."""
import os
import re
import subprocess
import sys

import programs
import pytest

pytest.importorskip("torch")
SEED_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "seeds")


def seed_files():
    if not os.path.isdir(SEED_DIR):
        return []
    return sorted(os.path.join(SEED_DIR, f) for f in os.listdir(SEED_DIR) if f.endswith(".txt"))


def code_blocks(text):
    """The bodies of the ``.. code-block:: default`` sections, dedented."""
    blocks = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip().startswith(".. code-block::") and "none" not in lines[i]:
            i += 1
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
                body.append(lines[i][4:] if lines[i].startswith("    ") else "")
                i += 1
            blocks.append("\n".join(body).strip("\n"))
        else:
            i += 1
    return blocks


def program(text):
    code = "\n\n".join(code_blocks(text))
    # torchvision is not installable next to the CPU wheel of PyTorch used as the oracle;
    # the seed imports it without using it.
    code = re.sub(r"^from torchvision import .*$", "", code, flags=re.M)
    return "import torch\ntorch.manual_seed(0)\n" + code


def start(code, as_ember):
    prefix = "import ember._compat as c; c.install()\n" if as_ember else ""
    return subprocess.Popen([sys.executable, "-c", prefix + code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(not seed_files(), reason="../shared/seeds is not present")
@pytest.mark.parametrize("path", seed_files())
def test_seed_prints_what_pytorch_prints(path):
    with open(path) as f:
        code = program(f.read())
    assert "nn.Module" in code
    # (the two sides run at the same time: this process only waits for them)
    torch_side = start(code, as_ember=False)
    ember_side = start(code, as_ember=True)
    expected, got = programs.finish(torch_side, ember_side, timeout=300)
    assert got == expected
