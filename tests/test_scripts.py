"""Whole scripts, written for PyTorch, print the same text on ember.

Each script in tests/scripts runs twice in a subprocess: with PyTorch, and with
``torch`` resolved to ember.  Object addresses (``at 0x...``) are masked.
"""
import os
import subprocess
import sys

import programs
import pytest

torch = pytest.importorskip("torch")
HERE = os.path.dirname(__file__)
SCRIPTS = sorted(f for f in os.listdir(os.path.join(HERE, "scripts")) if f.endswith(".py"))

AS_EMBER = ("import sys, runpy, ember._compat as c; c.install(); "
            "sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')")


def start(args, **extra_env):
    env = dict(os.environ, PYTHONHASHSEED="0", **extra_env)
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_prints_what_pytorch_prints(name):
    from ember._ops import _mkl_gemm

    if name == "training_parity.py" and _mkl_gemm.emulated() and torch.backends.mkl.is_available():
        pytest.skip("test_mkl_gemm runs this script with every digit printed")
    path = os.path.join(HERE, "scripts", name)
    # PyTorch's side runs with torch.compile off: compiled or not, its scripts print the same
    # text (checked when this was added), and a cold inductor build of their three small
    # graphs took 20-30 s of CI time.  ember's side runs torch.compile as the script asks.
    # (the two sides run at the same time: this process only waits for them)
    torch_side = start([path], TORCH_COMPILE_DISABLE="1")
    ember_side = start(["-c", AS_EMBER, path])
    expected, got = (programs.mask(out) for out in programs.finish(torch_side, ember_side))
    assert got == expected
