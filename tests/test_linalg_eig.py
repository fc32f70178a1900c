"""torch.linalg.eig / eigvals: LAPACK's geev (complex output), with PyTorch's gradient."""
import numpy as np
import pytest

import ember
from diff import torch


def _sorted(v):
    v = np.asarray(v).reshape(-1)
    return v[np.lexsort((np.round(v.imag, 8), np.round(v.real, 8)))]


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_values_vectors_and_reconstruction(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 5, 5))
    if dtype == "complex128":
        a = a + 1j * rng.standard_normal((2, 5, 5))
    a = a.astype(dtype)
    L, V = ember.linalg.eig(ember.from_numpy(a))
    tL = torch.linalg.eigvals(torch.from_numpy(a))
    assert repr(L.dtype) == repr(tL.dtype)
    tol = 1e-4 if dtype == "float32" else 1e-10
    for i in range(2):
        np.testing.assert_allclose(_sorted(L[i].numpy()), _sorted(tL[i].numpy()), atol=tol)
    Vn = V.numpy()
    back = Vn @ (L.numpy()[..., None] * np.linalg.inv(Vn))
    np.testing.assert_allclose(back, a, atol=50 * tol)
    np.testing.assert_allclose(np.linalg.norm(Vn, axis=-2), 1, atol=tol)
    np.testing.assert_allclose(ember.linalg.eigvals(ember.from_numpy(a)).numpy(), L.numpy())


def test_gradients_match_pytorch():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 4))
    c = a + 1j * rng.standard_normal((4, 4))
    grads = []
    for lib in (ember, torch):
        A = lib.tensor(a, requires_grad=True)
        L, V = lib.linalg.eig(A)
        ((L.real ** 2).sum() + (V.abs() ** 2 * lib.arange(4.0)).sum()).backward()
        B = lib.tensor(a, requires_grad=True)
        lib.linalg.eigvals(B).abs().sum().backward()
        C = lib.tensor(c, requires_grad=True)
        L, V = lib.linalg.eig(C)
        (L.abs().sum() + V.abs().sum()).backward()
        grads.append([A.grad.numpy(), B.grad.numpy(), C.grad.numpy()])
    for got, want in zip(*grads):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


def test_errors():
    for fn in (lambda lib: lib.linalg.eig(lib.randn(2, 3)),
               lambda lib: lib.linalg.eig(lib.ones(2, 2, dtype=lib.int64)),
               lambda lib: lib.linalg.eig(lib.tensor([[float("nan"), 1.0], [0.0, 1.0]]))):
        msgs = []
        for lib in (ember, torch):
            with pytest.raises(RuntimeError) as e:
                fn(lib)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]
    rot = [[0.0, -1.0, 0.5], [1.0, 0.0, 0.0], [0.0, 0.3, 2.0]]  # (complex eigenvalues)
    for lib in (ember, torch):
        A = lib.tensor(rot, dtype=lib.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="ill-defined"):
            lib.linalg.eig(A).eigenvectors.real.sum().backward()


def test_complex_linspace_logspace_and_channels_last_results():
    for expr in ["T.linspace(0, 1, 5, dtype=T.cfloat)", "T.linspace(0, 1j, 3)",
                 "T.linspace(1+2j, -3+0.5j, 7, dtype=T.complex128)",
                 "T.logspace(0, 1, 3, dtype=T.cfloat)"]:
        a, b = (eval(expr, {"T": T}) for T in (ember, torch))
        assert repr(a.dtype) == repr(b.dtype)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)

    def strides(T):
        T.manual_seed(0)
        x = T.randn(2, 3, 8, 8).to(memory_format=T.channels_last)
        m = T.nn.Sequential(T.nn.Conv2d(3, 4, 3), T.nn.BatchNorm2d(4), T.nn.ReLU(),
                            T.nn.MaxPool2d(2), T.nn.AdaptiveAvgPool2d(1))
        m = m.to(memory_format=T.channels_last)
        out = [m[:i](x).stride() for i in range(1, 6)]
        out.append(T.nn.functional.interpolate(x, scale_factor=2).stride())
        out += [x.relu().stride(), T.cat([x, x], 1).stride(), x.contiguous().stride(),
                x.reshape(2, 3, 64).stride(), x.clone().stride()]
        return out
    assert strides(ember) == strides(torch)
