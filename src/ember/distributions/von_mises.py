"""The von Mises distribution: a normal-like law on the circle."""
from __future__ import annotations

import math

import ember
from ember._size import Size

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property

__all__ = ["VonMises"]


def _horner(y, coefficients):
    """``sum(c_i * y**i)`` by Horner's rule, the highest power first."""
    out = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        out = c + y * out
    return out


# Abramowitz & Stegun 9.8.1-9.8.4: polynomial fits of the modified Bessel functions I0
# and I1, below and above x = 3.75
_BESSEL_SMALL = (
    [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813],
    [0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411],
)
_BESSEL_LARGE = (
    [0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706,
     0.02635537, -0.01647633, 0.00392377],
    [0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967,
     -0.02895312, 0.01787654, -0.00420059],
)


def _log_bessel_i(x, order=0):
    """``log I_order(x)`` for ``order`` 0 or 1 and positive ``x``."""
    if order not in (0, 1):
        raise AssertionError(f"order must be 0 or 1, got {order}")
    y = x / 3.75
    small = _horner(y * y, _BESSEL_SMALL[order])
    if order == 1:
        small = x.abs() * small
    large = x - 0.5 * x.log() + _horner(3.75 / x, _BESSEL_LARGE[order]).log()
    return ember.where(x < 3.75, small.log(), large)


def _best_fisher(loc, kappa, r, x):
    """Best & Fisher's (1979) rejection sampler, in double precision.  Each round draws
    three uniforms per entry; an entry takes every proposal accepted for it (the last one
    stays), and rounds go on until every entry has accepted at least once."""
    done = ember.zeros(x.shape, dtype=ember.bool, device=loc.device)
    while not bool(done.all()):
        u1, u2, u3 = ember.rand((3,) + tuple(x.shape), dtype=loc.dtype,
                                device=loc.device).unbind()
        z = ember.cos(math.pi * u1)
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        accept = (c * (2 - c) - u2 > 0) | ((c / u2).log() + 1 - c >= 0)
        if bool(accept.any()):
            x = ember.where(accept, (u3 - 0.5).sign() * f.acos(), x)
            done = done | accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """VonMises(loc, concentration): density ``exp(k cos(x - loc)) / (2 pi I0(k))`` on the
    circle, reported in ``[-pi, pi)``.

    Sampled as PyTorch does (rejection in float64 with ``torch.rand`` draws), so the
    numbers are PyTorch's.  ``I0``/``I1`` are PyTorch's polynomial approximations.
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, Size(), validate_args)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        out = self.concentration * ember.cos(value - self.loc)
        return out - math.log(2 * math.pi) - _log_bessel_i(self.concentration, order=0)

    @lazy_property
    def _loc(self):
        return self.loc.to(ember.double)

    @lazy_property
    def _concentration(self):
        return self.concentration.to(ember.double)

    @lazy_property
    def _proposal_r(self):
        k = self._concentration
        tau = 1 + (1 + 4 * k ** 2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * k)
        return ember.where(k < 1e-5, 1 / k + k, (1 + rho ** 2) / (2 * rho))

    def sample(self, sample_shape=()):
        with ember.no_grad():
            shape = self._extended_shape(sample_shape)
            x = ember.zeros(shape, dtype=self._loc.dtype, device=self.loc.device)
            draw = _best_fisher(self._loc, self._concentration, self._proposal_r, x)
            return draw.to(self.loc.dtype)

    def expand(self, batch_shape, _instance=None):
        # as PyTorch: a fresh instance, validated only if validate_args was given
        return type(self)(self.loc.expand(batch_shape),
                          self.concentration.expand(batch_shape),
                          validate_args=self.__dict__.get("_validate_args"))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        k = self.concentration
        return 1 - (_log_bessel_i(k, order=1) - _log_bessel_i(k, order=0)).exp()
