"""ember's malloc thresholds (ember._malloc): large arrays reuse freed heap memory."""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="GNU libc only")

_PROBE = """
import resource, sys
import numpy as np
import ember  # noqa: F401
from ember import _malloc
faults = []
for _ in range(6):
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(2 << 20, np.float32) for _ in range(3)]  # 3 x 8 MiB, touched
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    del arrays  # (a step's temporaries: freed together, then made again)
print(min(faults[2:]))
"""


def _faults(env_value):
    env = dict(os.environ)
    env.pop("EMBER_MALLOC", None)
    if env_value is not None:
        env["EMBER_MALLOC"] = env_value
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True,
                         check=True)
    return int(out.stdout.split()[-1])


def test_freed_arrays_are_reused_without_page_faults():
    from ember import _malloc

    if not _malloc.keep_freed_memory():
        pytest.skip("not GNU libc")
    pages = 3 * (8 << 20) // 4096
    assert _faults(None) < pages // 50  # (the heap's pages come back already mapped)
    # malloc left alone: its trim threshold (twice the largest array freed) hands the heap
    # back, and every step faults its pages in again
    assert _faults("default") > pages // 10

