"""float32 linear interpolation bit for bit against PyTorch's CPU kernels."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
import ember.nn.functional as F  # noqa: E402

CASES = [
    ("linear", (2, 3, 17), dict(size=37)),
    ("linear", (2, 3, 37), dict(size=13)),
    ("linear", (2, 3, 17), dict(scale_factor=2.3)),
    ("linear", (2, 3, 40), dict(scale_factor=0.37)),
    ("trilinear", (1, 2, 5, 7, 9), dict(size=(9, 4, 13))),
    ("trilinear", (1, 2, 6, 8, 10), dict(scale_factor=(1.7, 0.6, 1.0))),
    ("bilinear", (1, 3, 40, 50), dict(size=(100, 90))),  # generic kernel (large output)
    ("bilinear", (1, 2, 200, 100), dict(scale_factor=0.6)),
    ("bilinear", (2, 3, 13, 17), dict(size=(13, 37))),  # separable kernel, one axis
    ("bilinear", (2, 3, 29, 17), dict(size=(11, 17))),
    ("bilinear", (1, 2, 9, 9), dict(scale_factor=(1.3, 1.0))),
]


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode,shape,kw", CASES)
def test_linear_modes_bit_exact(mode, shape, kw, align_corners):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.interpolate(tx, mode=mode, align_corners=align_corners, **kw)
    g = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(g))
    ex = ember.tensor(x, requires_grad=True)
    ey = F.interpolate(ex, mode=mode, align_corners=align_corners, **kw)
    ey.backward(ember.tensor(g))
    np.testing.assert_array_equal(ey.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("kw", [dict(size=(29, 37)), dict(scale_factor=0.37), dict(size=(7, 11))])
def test_bilinear_small_output_gradient_bit_exact(kw):
    # both axes resized with a small output: the gradient is exact (the forward is close)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 32, 40)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.interpolate(tx, mode="bilinear", **kw)
    g = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.tensor(g))
    ex = ember.tensor(x, requires_grad=True)
    ey = F.interpolate(ex, mode="bilinear", **kw)
    ey.backward(ember.tensor(g))
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=0, atol=1e-6)


def test_double_backward_runs():
    x = ember.randn(1, 1, 4, 5, requires_grad=True)
    y = F.interpolate(x, size=(7, 9), mode="bilinear")
    (g,) = ember.autograd.grad((y * y).sum(), x, create_graph=True)
    (g * g).sum().backward()
    assert x.grad.shape == x.shape
