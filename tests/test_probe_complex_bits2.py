"""Complex multiply rounded bit for bit as PyTorch's CPU kernel (vector body without fused
multiply-adds, scalar tails with them), over lengths, layouts and numbers."""
import numpy as np
import pytest
import torch

import ember


def _data(rng, shape, dt):
    n = int(np.prod(shape))
    mag = 10.0 ** rng.uniform(-3, 3, size=(2, n))
    sgn = rng.choice([-1, 1], size=(2, n))
    return (sgn[0] * mag[0] + 1j * sgn[1] * mag[1]).astype(dt).reshape(shape)


def _same(f):
    r1, r2 = f(torch).numpy(), f(ember).numpy()
    assert r1.dtype == r2.dtype and r1.shape == r2.shape
    assert np.array_equal(r1.real, r2.real, equal_nan=True)
    assert np.array_equal(r1.imag, r2.imag, equal_nan=True)


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 13, 15, 21, 39, 4096, 4097])
def test_mul_layouts(dt, n):
    rng = np.random.default_rng(n)
    x, y, s = _data(rng, (n,), dt), _data(rng, (n,), dt), _data(rng, (), dt)
    m, big, big2 = _data(rng, (3, n), dt), _data(rng, (2 * n,), dt), _data(rng, (2 * n,), dt)
    _same(lambda T: T.from_numpy(x) * T.from_numpy(y))
    _same(lambda T: T.mul(T.from_numpy(x), T.from_numpy(x)))
    _same(lambda T: T.from_numpy(x) * T.from_numpy(s.copy()))
    _same(lambda T: T.from_numpy(s.copy()) * T.from_numpy(x))
    _same(lambda T: T.from_numpy(x) * complex(s))
    _same(lambda T: T.from_numpy(m) * T.from_numpy(x))
    _same(lambda T: T.from_numpy(big)[::2] * T.from_numpy(big2)[::2])
    _same(lambda T: T.from_numpy(m).t() * T.from_numpy(m[::-1].copy()).t())
    _same(lambda T: T.from_numpy(x.real.copy()) * T.from_numpy(y))


def test_mul_inplace_and_method():
    rng = np.random.default_rng(7)
    x, y = _data(rng, (37,), np.complex64), _data(rng, (37,), np.complex64)

    def f(T):
        a = T.from_numpy(x.copy())
        a *= T.from_numpy(y)
        return a.mul_(T.from_numpy(y)).mul(T.from_numpy(x))
    _same(f)


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
def test_mul_special_values_signed_zeros(dt):
    vals = [0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan, 2.5e-20]
    zs = np.array([complex(r, i) for r in vals for i in vals], dt)
    x, y = np.repeat(zs, len(zs)), np.tile(zs, len(zs))
    for n in (len(x), 3, 6, 7):
        for s in range(0, len(x), n * 9):  # (a sample of the chunks)
            xs, ys = x[s:s + n], y[s:s + n]
            r1 = (torch.from_numpy(xs) * torch.from_numpy(ys)).numpy()
            r2 = (ember.from_numpy(xs) * ember.from_numpy(ys)).numpy()
            for p1, p2 in ((r1.real, r2.real), (r1.imag, r2.imag)):
                assert np.array_equal(p1, p2, equal_nan=True)
                num = ~np.isnan(p1)
                assert np.array_equal(np.signbit(p1[num]), np.signbit(p2[num]))


def test_prod_gradient_zero_signs_complex128():
    def f(T):
        x = T.tensor([-0.0 - 0.0j, 2 - 1j, 1j], dtype=T.complex128, requires_grad=True)
        (x.prod() * T.tensor(1.5 - 0.5j, dtype=T.complex128)).real.sum().backward()
        return x.grad
    _same(f)


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 13, 4096, 4097])
def test_div_and_reciprocal_layouts(dt, n):
    rng = np.random.default_rng(n + 100)
    x, y, s = _data(rng, (n,), dt), _data(rng, (n,), dt), _data(rng, (), dt)
    m = _data(rng, (3, n), dt)
    _same(lambda T: T.from_numpy(x) / T.from_numpy(y))
    _same(lambda T: T.from_numpy(x).reciprocal())
    _same(lambda T: T.from_numpy(x) / T.from_numpy(s.copy()))
    _same(lambda T: T.from_numpy(x) / complex(s))
    _same(lambda T: T.from_numpy(x) / 3.0)
    _same(lambda T: complex(s) / T.from_numpy(x))
    _same(lambda T: T.from_numpy(m) / T.from_numpy(x))
    _same(lambda T: T.from_numpy(m).t() / T.from_numpy(m[::-1].copy()).t())
    _same(lambda T: T.from_numpy(x.real.copy()) / T.from_numpy(y))


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
def test_div_special_values(dt):
    vals = [0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan, 1e-30]
    zs = np.array([complex(r, i) for r in vals for i in vals], dt)
    x, y = np.repeat(zs, len(zs)), np.tile(zs, len(zs))
    for n in (len(x), 3, 7):
        for s in range(0, len(x), n * 9):  # (a sample of the chunks)
            xs, ys = x[s:s + n], y[s:s + n]
            r1 = (torch.from_numpy(xs) / torch.from_numpy(ys)).numpy()
            r2 = (ember.from_numpy(xs) / ember.from_numpy(ys)).numpy()
            for p1, p2 in ((r1.real, r2.real), (r1.imag, r2.imag)):
                assert np.array_equal(p1, p2, equal_nan=True)
                num = ~np.isnan(p1)
                assert np.array_equal(np.signbit(p1[num]), np.signbit(p2[num]))
    _same(lambda T: T.from_numpy(zs).reciprocal())


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
@pytest.mark.parametrize("n", [7, 13, 4097])
def test_rsqrt_sigmoid(dt, n):
    rng = np.random.default_rng(n + 200)
    x = _data(rng, (n,), dt)
    _same(lambda T: T.from_numpy(x).rsqrt())
    _same(lambda T: T.sigmoid(T.from_numpy(x)))
    _same(lambda T: T.from_numpy(x).sigmoid_())


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
def test_rsqrt_sigmoid_special_values(dt):
    vals = [0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan, 1e-30, 100.0, -100.0]
    zs = np.array([complex(r, i) for r in vals for i in vals], dt)
    for op in ("sigmoid", "rsqrt"):
        r1 = getattr(torch, op)(torch.from_numpy(zs)).numpy()
        r2 = getattr(ember, op)(ember.from_numpy(zs)).numpy()
        for p1, p2 in ((r1.real, r2.real), (r1.imag, r2.imag)):
            assert np.array_equal(p1, p2, equal_nan=True)
            num = ~np.isnan(p1)
            assert np.array_equal(np.signbit(p1[num]), np.signbit(p2[num]))


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
@pytest.mark.parametrize("n", [7, 13, 29, 4097])
def test_square_and_small_powers(dt, n):
    rng = np.random.default_rng(n + 300)
    x = _data(rng, (n,), dt)
    _same(lambda T: T.square(T.from_numpy(x)))
    for e in (2, 2.0, -2, -1, -0.5, 0.5):
        _same(lambda T: T.from_numpy(x) ** e)
    _same(lambda T: T.from_numpy(x).pow(2))
