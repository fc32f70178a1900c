"""``binary_cross_entropy_with_logits`` with mixed dtypes: the loss comes out in the target's
dtype (PyTorch builds it in place on ``1 - target``) with PyTorch's roundings."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

PAIRS = [("float64", "float32"), ("float32", "float64"), ("float32", "float16"),
         ("bfloat16", "float32"), ("float16", "float16"), ("float32", "float32")]


@pytest.mark.parametrize("xd,td", PAIRS)
@pytest.mark.parametrize("kw", ["plain", "none", "pos_weight", "weight"])
def test_loss_dtype_and_value(xd, td, kw):
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(6), rng.random(6)
    out = []
    for lib in (torch, ember):
        x = lib.tensor(a, dtype=getattr(lib, xd), requires_grad=True)
        t = lib.tensor(b).to(getattr(lib, td))
        extra = {"plain": {}, "none": {"reduction": "none"},
                 "pos_weight": {"pos_weight": lib.full((6,), 2.0)},
                 "weight": {"weight": lib.tensor(b[::-1].copy())}}[kw]
        loss = lib.nn.functional.binary_cross_entropy_with_logits(x, t, **extra)
        loss.sum().backward()
        out.append((str(loss.dtype), loss.detach().double().numpy(), str(x.grad.dtype)))
    assert out[1][0] == out[0][0] and out[1][2] == out[0][2]
    # (float32 logsigmoid: NumPy's exp/log1p against PyTorch's vector library, an ulp apart)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-6 if "16" not in xd + td else 1e-2)
