"""Differential probes (against real PyTorch) of leftover linear-algebra differences:
``triangular_solve``'s autograd node, ``lstsq``'s empty residuals, ``solve``'s vector result
strides (``squeeze`` keeping size-1 dims' strides) and ``out=`` views resized in storage."""
import warnings

import numpy as np
import pytest

import ember
import torch

pytestmark = pytest.mark.filterwarnings("ignore")


def _pair(fn):
    """``fn(lib)`` run under torch and under ember."""
    torch.manual_seed(0)
    ember.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(torch), fn(ember)


def _np(t):
    return None if t is None else t.detach().numpy()


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
def test_triangular_solve_node_and_grads(upper, transpose, unitriangular):
    a0 = np.random.RandomState(1).randn(2, 3, 3) + 3 * np.eye(3)
    b0 = np.random.RandomState(2).randn(3, 2)

    def run(lib):
        A = lib.tensor(a0, requires_grad=True)
        b = lib.tensor(b0, requires_grad=True)
        x, c = lib.triangular_solve(b, A, upper, transpose, unitriangular)
        names = (type(x.grad_fn).__name__, type(c.grad_fn).__name__, x.stride(), c.stride())
        w = lib.arange(6.0, dtype=lib.float64).view(3, 2)
        ((x * w).sum() + c.pow(2).sum()).backward()
        return names, _np(A.grad), _np(b.grad)

    t, e = _pair(run)
    assert t[0] == e[0]
    np.testing.assert_allclose(e[1], t[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(e[2], t[2], rtol=1e-10, atol=1e-12)


def test_triangular_solve_coefficient_only_gives_b_zero_grad():
    def run(lib):
        A = (lib.randn(3, 3).triu() + 3 * lib.eye(3)).requires_grad_()
        b = lib.randn(3, 2, requires_grad=True)
        _, c = lib.triangular_solve(b, A)
        c.sum().backward()
        return _np(A.grad), _np(b.grad)

    t, e = _pair(run)
    np.testing.assert_array_equal(e[0], t[0])
    np.testing.assert_array_equal(e[1], t[1])


def test_triangular_solve_complex_and_gradcheck():
    def run(lib):
        A = (lib.randn(3, 3, dtype=lib.complex128) + 3 * lib.eye(3)).requires_grad_()
        b = lib.randn(3, 2, dtype=lib.complex128, requires_grad=True)
        x, _ = lib.triangular_solve(b, A, transpose=True)
        x.abs().sum().backward()
        A2 = (lib.randn(3, 3, dtype=lib.float64) + 3 * lib.eye(3)).requires_grad_()
        b2 = lib.randn(3, 2, dtype=lib.float64, requires_grad=True)
        ok = lib.autograd.gradgradcheck(lambda b, A: lib.triangular_solve(b, A, False), (b2, A2))
        return _np(A.grad), _np(b.grad), ok

    t, e = _pair(run)
    np.testing.assert_allclose(e[0], t[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(e[1], t[1], rtol=1e-10, atol=1e-12)
    assert e[2] and t[2]


def test_lstsq_empty_residuals_give_no_grad():
    def run(lib):
        A = lib.randn(2, 3, 3, requires_grad=True)
        B = lib.randn(2, 3, 2, requires_grad=True)
        r = lib.linalg.lstsq(A, B)
        name = type(r.residuals.grad_fn).__name__
        r.residuals.sum().backward()
        first = (A.grad, B.grad)
        r = lib.linalg.lstsq(A, B)
        r.solution.sum().backward()
        return name, first, _np(A.grad)

    t, e = _pair(run)
    assert e[0] == t[0]
    assert e[1] == (None, None) == t[1]
    np.testing.assert_allclose(e[2], t[2], rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gels"])
def test_lstsq_tall_grads(driver):
    def run(lib):
        A = lib.randn(4, 3, dtype=lib.float64, requires_grad=True)
        B = lib.randn(4, 2, dtype=lib.float64, requires_grad=True)
        r = lib.linalg.lstsq(A, B, driver=driver)
        out = []
        if r.residuals.numel():
            r.residuals.sum().backward()
            out += [_np(A.grad), _np(B.grad)]
            A.grad = B.grad = None
        r = lib.linalg.lstsq(A, B, driver=driver)
        (r.solution.sum() + r.residuals.sum()).backward()
        return out + [_np(A.grad), _np(B.grad)]

    t, e = _pair(run)
    assert len(t) == len(e)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("a,b", [((1, 3, 3), (1, 3)), ((1, 3, 3), (3,)), ((2, 1, 3, 3), (2, 1, 3)),
                                 ((1, 1, 3, 3), (1, 1, 3)), ((2, 3, 3), (2, 3)),
                                 ((1, 1, 1), (1, 1)), ((1, 3, 3), (1, 3, 1))])
def test_solve_vector_strides(a, b):
    def run(lib):
        A, B = lib.randn(a), lib.randn(b)
        return lib.linalg.solve(A, B).stride(), lib.linalg.solve_ex(A, B)[0].stride()

    t, e = _pair(run)
    assert e == t


@pytest.mark.parametrize("shape,stride,dim", [
    ((1, 3, 1), (1, 1, 1), -1), ((1, 3, 1), (7, 1, 5), -1), ((2, 1, 3), (3, 1, 1), 1),
    ((1, 3), (1, 1), 0), ((1, 3, 1), (1, 1, 1), None), ((1, 1), (5, 2), (1,))])
def test_squeeze_keeps_size_one_strides(shape, stride, dim):
    def run(lib):
        x = lib.empty_strided(shape, stride)
        y = x.squeeze() if dim is None else x.squeeze(dim)
        return y.shape, y.stride()

    t, e = _pair(run)
    assert tuple(e[0]) == tuple(t[0]) and e[1] == t[1]


_OUT_CASES = {
    "inv": lambda lib, A, B, S, o: lib.linalg.inv(A, out=o),
    "inv_ex": lambda lib, A, B, S, o: lib.linalg.inv_ex(A, out=(o, lib.empty(0, dtype=lib.int32))),
    "cholesky": lambda lib, A, B, S, o: lib.linalg.cholesky(S, out=o),
    "solve": lambda lib, A, B, S, o: lib.linalg.solve(A, B, out=o),
    "solve_ex": lambda lib, A, B, S, o: lib.linalg.solve_ex(
        A, B, out=(o, lib.empty(0, dtype=lib.int32))),
    "solve_triangular": lambda lib, A, B, S, o: lib.linalg.solve_triangular(A, B, upper=True,
                                                                             out=o),
    "lu_solve": lambda lib, A, B, S, o: lib.linalg.lu_solve(*lib.linalg.lu_factor(A), B, out=o),
    "cholesky_solve": lambda lib, A, B, S, o: lib.cholesky_solve(B, lib.linalg.cholesky(S), out=o),
    "triangular_solve": lambda lib, A, B, S, o: lib.triangular_solve(B, A, out=(o, lib.empty(0))),
    "qr": lambda lib, A, B, S, o: lib.linalg.qr(A, out=(o, lib.empty(0))),
    "householder": lambda lib, A, B, S, o: lib.linalg.householder_product(A, lib.randn(2, 3),
                                                                          out=o),
    "pinv": lambda lib, A, B, S, o: lib.linalg.pinv(A, out=o),
}


@pytest.mark.parametrize("name", sorted(_OUT_CASES))
@pytest.mark.parametrize("view", [True, False])
def test_out_resized_strides(name, view):
    def run(lib):
        A, B = lib.randn(2, 3, 3), lib.randn(2, 3, 3)
        S = A @ A.mT + 4 * lib.eye(3)
        base = lib.zeros(2, 4, 4)
        o = base[..., :3] if view else base
        _OUT_CASES[name](lib, A, B, S, o)
        return tuple(o.shape), o.stride(), o.storage_offset(), _np(base)

    t, e = _pair(run)
    assert e[:3] == t[:3]
    np.testing.assert_allclose(e[3], t[3], rtol=1e-4, atol=1e-4)
