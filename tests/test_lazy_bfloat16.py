"""``import ember`` leaves out ml_dtypes (half a second of import time) until bfloat16 is used.

Each check runs in a fresh interpreter, since the test session has long loaded bfloat16.
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch

_SRC = os.path.join(os.path.dirname(__file__), "..", "src")


def _run(code: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [_SRC] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


_USE = r'''
import io, json, pickle, sys
import ember
import ember.vision
from ember import nn
r = {"before": "ml_dtypes" in sys.modules}
ember.manual_seed(0)
m = nn.Sequential(nn.Flatten(), nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
m(ember.rand(3, 2, 3)).sum().backward()
r["float_only"] = "ml_dtypes" in sys.modules
r["itemsize"] = ember.bfloat16.itemsize
r["still_lazy"] = "ml_dtypes" in sys.modules
ember.manual_seed(1234)
a = ember.randn(3, 5, dtype=ember.bfloat16)
r["after"] = "ml_dtypes" in sys.modules
r["randn"] = a.float().tolist()
r["rand"] = ember.rand(20, dtype=ember.bfloat16).float().tolist()
b = ember.arange(10.0).reshape(5, 2).to(ember.bfloat16)
r["mm"] = (a @ b).float().tolist()
r["mm_dtype"] = str((a @ b).dtype)
r["repr"] = repr(b[:2])
buf = io.BytesIO()
ember.save({"a": a}, buf)
buf.seek(0)
r["load_equal"] = bool(ember.equal(ember.load(buf)["a"], a))
r["pickle"] = pickle.dumps(a).hex()
r["finfo_eps"] = ember.finfo(ember.bfloat16).eps
print(json.dumps(r))
'''


def test_import_leaves_out_ml_dtypes_until_bfloat16_is_used():
    r = _run(_USE)
    assert not r["before"] and not r["float_only"] and not r["still_lazy"]
    assert r["after"]
    assert r["itemsize"] == 2
    torch.manual_seed(1234)
    a = torch.randn(3, 5, dtype=torch.bfloat16)
    assert r["randn"] == a.float().tolist()  # bit for bit (bfloat16 values are exact in float)
    assert r["rand"] == torch.rand(20, dtype=torch.bfloat16).float().tolist()
    b = torch.arange(10.0).reshape(5, 2).to(torch.bfloat16)
    assert r["mm"] == (a @ b).float().tolist()
    assert r["mm_dtype"] == "torch.bfloat16"
    assert r["repr"] == repr(b[:2])
    assert r["load_equal"]
    assert r["finfo_eps"] == torch.finfo(torch.bfloat16).eps

    # a bfloat16 tensor pickled in one process unpickles in a fresh one (DataLoader workers)
    r2 = _run(f'''
import json, pickle, sys
import ember
t = pickle.loads(bytes.fromhex("{r["pickle"]}"))
print(json.dumps({{"dtype": str(t.dtype), "values": t.float().tolist(),
                  "sum": (t + 1).float().sum().item()}}))
''')
    assert r2["dtype"] == "torch.bfloat16"
    assert r2["values"] == a.float().tolist()
    assert r2["sum"] == (a + 1).float().sum().item()


def test_user_ml_dtypes_array_before_ember_loads_bfloat16():
    r = _run('''
import json
import ml_dtypes, numpy as np
import ember
x = np.array([1.5, -2.0, 3.25], dtype=ml_dtypes.bfloat16)
t = ember.from_numpy(x)
u = ember.tensor(np.array([0.5], dtype=ml_dtypes.bfloat16))
print(json.dumps({"dtype": str(t.dtype), "u": str(u.dtype), "rep": repr(t * 2)}))
''')
    x = torch.from_numpy(np.array([1.5, -2.0, 3.25], dtype=np.float32)).bfloat16()
    assert r == {"dtype": "torch.bfloat16", "u": "torch.bfloat16", "rep": repr(x * 2)}


def test_random_kernels_accept_a_user_bfloat16_dtype_first():
    # the generator's tables get bfloat16 even when the first sight of it is NumPy's dtype
    r = _run('''
import json
import ml_dtypes, numpy as np
from ember import _random
g = _random.CPUGenerator(7)
print(json.dumps(np.asarray(g.uniform(4, np.dtype(ml_dtypes.bfloat16)),
                            np.float32).tolist()))
''')
    g = torch.Generator().manual_seed(7)
    assert r == torch.rand(4, generator=g, dtype=torch.bfloat16).float().tolist()
