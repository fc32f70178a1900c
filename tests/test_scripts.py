"""Whole scripts, written for PyTorch, print the same text on ember.

Each script in tests/scripts runs twice in a subprocess: with PyTorch, and with
``torch`` resolved to ember.  Object addresses (``at 0x...``) are masked.
"""
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("torch")
HERE = os.path.dirname(__file__)
SCRIPTS = sorted(f for f in os.listdir(os.path.join(HERE, "scripts")) if f.endswith(".py"))

AS_EMBER = ("import sys, runpy, ember._compat as c; c.install(); "
            "sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')")


def run(args):
    env = dict(os.environ, PYTHONHASHSEED="0")
    p = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    return re.sub(r"0x[0-9a-f]+", "0x?", p.stdout)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_prints_what_pytorch_prints(name):
    path = os.path.join(HERE, "scripts", name)
    expected = run([path])
    got = run(["-c", AS_EMBER, path])
    assert got == expected
