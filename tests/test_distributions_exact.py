"""Gamma, Dirichlet, Poisson and Binomial draws are PyTorch's for the same seed (its CPU
kernels replayed draw for draw), and so are the distributions built on them."""
import numpy as np
import pytest

import ember
from diff import torch

DTYPES = ["float32", "float64"]


def both(fn, seed=0):
    out = []
    for lib in (ember, torch):
        lib.manual_seed(seed)
        out.append(fn(lib))
    return out


def same(fn, seed=0):
    a, b = both(fn, seed)
    a, b = (x if isinstance(x, list) else [x] for x in (a, b))
    for x, y in zip(a, b):
        assert x.dtype.__repr__() == y.dtype.__repr__()
        np.testing.assert_array_equal(x.detach().numpy(), y.detach().numpy())


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_kernels_draw_pytorchs_numbers(dt, seed):
    def draw(lib):
        d = getattr(lib, dt)
        scales = lib.tensor([0.05, 1, 5, 50], dtype=d).repeat(30)
        rates = lib.tensor([1, 9, 30, 3000], dtype=d).repeat(30)
        n = lib.randint(0, 2000, (120,)).to(d)
        p = lib.rand(120, dtype=d)
        p[::7] *= 0.01
        return [lib._standard_gamma(lib.rand(120, dtype=d) * scales),
                lib._sample_dirichlet(lib.rand(20, 4, dtype=d) * 3 + 0.01),
                lib.poisson(lib.rand(120, dtype=d) * rates),
                lib.binomial(n, p),
                lib.binomial(lib.tensor([10., 0., 20., 7.], dtype=d),
                             lib.tensor([1.0, 0.5, 0.0, 0.999], dtype=d)),
                lib.rand(3, dtype=d)]  # the generator is left where PyTorch leaves it
    same(draw, seed)


@pytest.mark.parametrize("dt", DTYPES)
def test_distributions_sample_as_pytorch(dt):
    def draw(lib):
        d = getattr(lib, dt)
        D = lib.distributions
        t = lambda *v: lib.tensor(v, dtype=d)
        return [D.Gamma(t(2.0, 0.5), t(1.5, 3.0)).sample((4,)),
                D.Beta(t(2.0), t(3.0)).sample((5,)),
                D.Dirichlet(t(1.0, 2.0, 3.0)).sample((3,)),
                D.Chi2(t(3.0)).sample((4,)),
                D.StudentT(t(4.0)).sample((4,)),
                D.Poisson(t(4.0, 20.0)).sample((3,)),
                D.Binomial(t(30.0), t(0.4)).sample((5,)),
                D.Gamma(t(0.3), t(1.0)).rsample((3,)),
                lib.randn(2, dtype=d)]
    same(draw)


def test_generator_argument_and_half_rates():
    def draw(lib):
        g = lib.Generator().manual_seed(5)
        return [lib.poisson(lib.full((5,), 12.0), generator=g),
                lib._standard_gamma(lib.full((3,), 0.7), generator=g),
                lib.poisson(lib.rand(6, dtype=lib.float16) * 20),
                lib.rand(2)]
    same(draw)


def test_sampler_errors():
    for fn in [lambda lib: lib.poisson(lib.tensor([1, 2])),
               lambda lib: lib.poisson(lib.tensor([-1.0])),
               lambda lib: lib.binomial(lib.tensor([1.0]), lib.tensor([0.5], dtype=lib.float64)),
               lambda lib: lib.binomial(lib.tensor([1]), lib.tensor([1])),
               lambda lib: lib._standard_gamma(lib.tensor([1])),
               lambda lib: lib._sample_dirichlet(lib.tensor([1]))]:
        errors = []
        for lib in (ember, torch):
            with pytest.raises(Exception) as e:
                fn(lib)
            errors.append((type(e.value), str(e.value)))
        assert errors[0] == errors[1]


def test_rsample_gradients():
    # Dirichlet (and so Beta): PyTorch's estimator, sample for sample.  Gamma: ember keeps the
    # exact implicit gradient, which PyTorch's _standard_gamma_grad approximates.
    grads = []
    for lib in (ember, torch):
        lib.manual_seed(3)
        a = lib.tensor([0.5, 2.0, 9.0], dtype=lib.float64, requires_grad=True)
        lib.distributions.Gamma(a, lib.ones(3, dtype=lib.float64)).rsample((200,)).sum().backward()
        c = lib.tensor([0.7, 2.0, 4.0, 30.0, 45.0], dtype=lib.float64, requires_grad=True)
        (lib.distributions.Dirichlet(c).rsample((300,)) * lib.arange(5.0)).sum().backward()
        b = lib.tensor([0.2, 8.0], dtype=lib.float64, requires_grad=True)
        lib.distributions.Beta(b[0], b[1]).rsample((50,)).pow(2).sum().backward()
        grads.append((a.grad.numpy(), c.grad.numpy(), b.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-4)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-10)
    np.testing.assert_allclose(grads[0][2], grads[1][2], rtol=1e-10)
