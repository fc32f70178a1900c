"""Leftovers found while reviewing the December 7 (second) fuzz round, checked against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("n", [1, 3, 8, 16, 17, 40])
def test_float32_sqrt_of_negatives_is_positive_nan(n):
    """PyTorch's float32 sqrt gives +NaN (0x7FC00000) for a negative argument or -inf, on
    the measured AMD processor (MKL's) and on Intel's alike; NumPy's is -NaN.  A NaN
    argument comes back as itself."""
    vals = ([-1.0, -float("inf"), -float("nan"), float("nan"), 4.0, -0.0, -3e-39] * 7)[:n]
    x = np.array(vals, np.float32)
    e = ember.tensor(x).sqrt().numpy().view(np.uint32)
    t = torch.tensor(x).sqrt().numpy().view(np.uint32)
    assert e.tolist() == t.tolist()
    out = ember.empty(n)
    ember.sqrt(ember.tensor(x), out=out)
    assert out.numpy().view(np.uint32).tolist() == t.tolist()
    y = ember.tensor(x)
    y.sqrt_()
    assert y.numpy().view(np.uint32).tolist() == t.tolist()
