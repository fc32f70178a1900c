"""float64 ``sigmoid``, ``softmax`` and ``log_softmax`` against PyTorch's CPU kernels bit for
bit: Sleef's double ``exp``/``log`` in the vector code, the C library's ``exp`` on the scalar
tails, and the kernels' summation orders."""
import numpy as np
import pytest
import torch

import ember
from ember._ops import _sleef

pytestmark = pytest.mark.skipif(not _sleef.VECTORIZED or _sleef.cpu_capability() != "avx512",
                                reason="PyTorch's AVX-512 double kernels")

_SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 709.78, 709.7827128933841, 709.79,
            -709.1, -709.0, -708.99, 745.2, -745.2, 1000.0, -1000.5, 36.8, -36.8, 1e-300,
            5e-324, -5e-324, 1e300, -1e300, 0.5, 2.0 ** -30, 1e-17, -1e-17]


def _values(n, seed=0):
    r = np.random.default_rng(seed)
    k = n // 4
    v = np.concatenate([r.normal(0, 4, k), r.uniform(-40, 40, k),
                        np.exp(r.uniform(-40, 6, k)) * r.choice([-1, 1], k),
                        r.uniform(-800, 800, n - 3 * k)])
    sp = _SPECIAL[:n]
    v[:len(sp)] = sp
    return r.permutation(v)


def _bits(a):
    a = np.ascontiguousarray(a.detach().numpy())
    return np.where(np.isnan(a), 0, a.view(np.uint64))


def _same(fn, v):
    t, e = fn(torch, torch.tensor(v)), fn(ember, ember.tensor(v))
    assert t.dtype == torch.float64 and tuple(e.shape) == t.shape
    np.testing.assert_array_equal(_bits(e), _bits(t))


@pytest.mark.parametrize("n", [0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 40, 100, 1000, 4099])
def test_sigmoid_vector_blocks_and_tails(n):
    _same(lambda T, x: T.sigmoid(x), _values(n, n))


def test_sigmoid_special_values():
    v = np.array(_SPECIAL * 3)
    _same(lambda T, x: T.sigmoid(x), v)
    _same(lambda T, x: T.sigmoid(x[:13]), v)  # all on the scalar path


@pytest.mark.parametrize("how", ["t", "step", "slice", "0d", "inplace", "module", "expit",
                                 "method", "out"])
def test_sigmoid_layouts_and_entry_points(how):
    v = _values(37 * 41, 5).reshape(37, 41)

    def run(T, x):
        if how == "t":
            return T.sigmoid(x.t())
        if how == "step":
            return T.sigmoid(x[:, ::2])
        if how == "slice":
            return T.sigmoid(x[:, 1:])
        if how == "0d":
            return T.sigmoid(x[3, 4])
        if how == "inplace":
            return x.clone().sigmoid_()
        if how == "module":
            return T.nn.Sigmoid()(x)
        if how == "expit":
            return T.special.expit(x)
        if how == "method":
            return x.sigmoid()
        out = T.empty(37, 41, dtype=T.float64)
        T.sigmoid(x, out=out)
        return out
    _same(run, v)


_SHAPES = [(100, 37), (50, 8), (20, 3), (10, 1), (7, 100), (4, 1000), (3, 16), (5, 17),
           (1,), (5,), (2, 3, 4), (3, 5, 7, 9), (33, 65), (9, 40)]


@pytest.mark.parametrize("shape", _SHAPES)
def test_softmax_and_log_softmax_every_dim(shape):
    v = np.random.default_rng(len(shape) * 100 + shape[0]).normal(0, 3, shape)
    for dim in range(-1, len(shape)):
        _same(lambda T, x: x.softmax(dim), v)
        _same(lambda T, x: x.log_softmax(dim), v)


def test_softmax_special_values():
    v = np.array([[0., -np.inf, 1.], [np.inf, 1., 2.], [np.nan, 0., 1.], [-0., -0., -0.],
                  [1e308, -1e308, 0], [-800., 0., -750.], [-40., 40., 0.]])
    for dim in (0, 1):
        _same(lambda T, x: T.softmax(x, dim), v)
        _same(lambda T, x: T.log_softmax(x, dim), v)


def test_softmax_functional_paths():
    v = np.random.default_rng(3).normal(0, 2, (12, 10))
    f = np.float32
    _same(lambda T, x: T.nn.functional.softmax(x.to(T.float32), dim=1, dtype=T.float64),
          v.astype(f))
    _same(lambda T, x: T.nn.functional.log_softmax(x.to(T.float32), 0, dtype=T.float64),
          v.astype(f))
    _same(lambda T, x: T.nn.LogSoftmax(dim=1)(x), v)
    _same(lambda T, x: T.nn.functional.cross_entropy(x, T.arange(12) % 10), v)
    _same(lambda T, x: T.nn.functional.nll_loss(x.log_softmax(1), T.arange(12) % 10,
                                                reduction="none"), v)


@pytest.mark.parametrize("n", [1, 7, 16, 17, 100, 1517])
def test_silu_forward_and_backward(n):
    v = _values(n, n + 1)
    _same(lambda T, x: T.nn.functional.silu(x), v)
    _same(lambda T, x: T.nn.SiLU(inplace=True)(x.clone()), v)

    def grad(T, x, g=None):
        x = x.clone().requires_grad_()
        y = T.nn.functional.silu(x)
        (y.sum() if g is None else (y * g).sum()).backward()
        return x.grad
    v = np.clip(v, -700, 700)
    _same(grad, v)
    _same(lambda T, x: grad(T, x, T.linspace(-2, 3, n, dtype=T.float64)), v)


def test_silu_layouts():
    v = _values(37 * 41, 9).reshape(37, 41)
    _same(lambda T, x: T.nn.functional.silu(x.t()), v)
    _same(lambda T, x: T.nn.functional.silu(x[:, ::2]), v)


@pytest.mark.parametrize("shape", [(4006,), (4, 36), (4, 34), (6, 8), (3, 4, 70), (2, 100, 3),
                                   (50, 2), (7, 66)])
def test_glu_every_even_dim(shape):
    v = np.random.default_rng(shape[0]).normal(0, 5, shape)
    for dim in range(len(shape)):
        if shape[dim] % 2 == 0:
            _same(lambda T, x: T.nn.functional.glu(x, dim), v)


@pytest.mark.parametrize("shape", [(50, 37), (8, 16), (5, 3), (4, 100), (3, 5, 18), (1, 9)])
def test_softmax_and_log_softmax_backward(shape):
    v = np.random.default_rng(shape[-1]).normal(0, 2, shape)
    w = np.random.default_rng(7).normal(0, 1, shape)

    def grad(T, x, fn, dim, weighted):
        x = x.clone().requires_grad_()
        y = getattr(x, fn)(dim)
        (y * T.tensor(w) if weighted else y).sum().backward()
        return x.grad
    for dim in range(len(shape)):
        for fn in ("softmax", "log_softmax"):
            for weighted in (True, False):
                _same(lambda T, x: grad(T, x, fn, dim, weighted), v)
