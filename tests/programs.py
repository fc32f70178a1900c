"""Running whole user programs under ember and under PyTorch, and comparing what they print
(tests/test_probe_user_programs*.py; the programs live in tests/data/programs*)."""
import json
import math
import os
import re
import subprocess
import sys

# Runs each program given on the command line as ``python program.py`` would, capturing its
# stdout; prints {name: [stdout, error or null]} as JSON.  argv: library, "quiet" (warnings
# ignored) or "", then the programs' paths.
RUNNER = r"""
import contextlib, io, json, os, runpy, sys, traceback, warnings
if sys.argv[2] == "quiet":
    warnings.simplefilter("ignore")
if sys.argv[1] == "ember":
    import ember._compat as c
    c.install()
res = {}
for path in sys.argv[3:]:
    buf = io.StringIO()
    err = None
    try:
        with contextlib.redirect_stdout(buf):
            runpy.run_path(path, run_name="__main__")
    except BaseException as e:  # noqa: BLE001
        err = "".join(traceback.format_exception_only(type(e), e)).strip()
    res[os.path.basename(path)[:-3]] = [buf.getvalue(), err]
print(json.dumps(res))
"""


def names(here):
    """The programs in the folder ``here`` (file names less ``.py``), sorted."""
    return sorted(f[:-3] for f in os.listdir(here) if f.endswith(".py"))


def start(lib, here, quiet=False):
    """All the programs of ``here`` in one subprocess that imports ``lib`` ("ember": ``import
    torch`` resolved to ember); :func:`results` collects them."""
    env = dict(os.environ, PYTHONHASHSEED="0", TORCH_COMPILE_DISABLE="1")
    paths = [os.path.join(here, n + ".py") for n in names(here)]
    return subprocess.Popen([sys.executable, "-c", RUNNER, lib, "quiet" if quiet else "",
                             *paths], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=here)


def results(p):
    """{program: [its stdout, object addresses masked; its exception or None]}."""
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    return {k: [mask(v[0]), v[1]] for k, v in json.loads(out.splitlines()[-1]).items()}


def run_both(here, quiet=True):
    """(ember's results, PyTorch's) for the programs of ``here``, the two runs side by side."""
    ember_run = start("ember", here, quiet=quiet)
    torch_run = start("torch", here, quiet=quiet)
    return results(ember_run), results(torch_run)


def check_program(outputs, name):
    """Program ``name`` ran without error under both and printed what PyTorch printed
    (exactly, or to the digits printed where float32 products are not PyTorch's here)."""
    got, want = outputs
    assert want[name][1] is None, want[name][1]
    assert got[name][1] is None, got[name][1]
    assert want[name][0].count("\n") > 2  # (the program ran and printed)
    if exact():
        assert got[name][0] == want[name][0]
    else:
        assert close(got[name][0], want[name][0]), (got[name][0], want[name][0])


def finish(*procs, timeout=120):
    """The stdouts of ``procs`` (started together, so that they run side by side), each one's
    exit status checked; every one is ended and reaped whatever happens."""
    try:
        outs = [p.communicate(timeout=timeout) for p in procs]
    finally:
        for p in procs:
            p.kill()  # (no-op once it has exited)
            with p:  # (closes its pipes, waits for it)
                pass
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err
    return [out for out, _ in outs]


def mask(text):
    return re.sub(r"0x[0-9a-f]+", "0x?", text)


_NUM = re.compile(r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?|inf|nan)")


def close(got, want, rtol=2e-3, atol=2e-4):
    """Whether two outputs are the same text with numbers equal to ``rtol`` (runs of spaces
    count as one: a tensor's column widths follow its values)."""
    g, w = (" ".join(t.split()) for t in (got, want))
    if _NUM.split(g) != _NUM.split(w):
        return False
    gn, wn = _NUM.findall(g), _NUM.findall(w)
    if len(gn) != len(wn):
        return False
    for a, b in zip(gn, wn):
        fa, fb = float(a), float(b)
        if math.isnan(fa) and math.isnan(fb):
            continue
        if not (fa == fb or abs(fa - fb) <= atol + rtol * abs(fb)):
            return False
    return True


def exact():
    """Whether the text must be identical: ember's float32 products and vector math are
    PyTorch's bit for bit on this processor."""
    from ember._ops import _mkl_gemm, _vml

    return _mkl_gemm.emulated() and _vml.emulated()
