"""``torch.special``'s Bessel functions of the second kind, ``airy_ai``, the incomplete gamma
functions (also ``torch.igamma``/``igammac`` and their Tensor methods) and the orthogonal
polynomials, on the float64 kernels of :mod:`._special_more`.

As in PyTorch: the Bessel, Airy and polynomial functions are not differentiable; ``igamma``
differentiates in its second argument only.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from . import _special_more as K
from . import pointwise as P
from ._core import quiet, to_host, wrap, write_out
from .more_math import _kernel_unary, _legacy

__all__ = [
    "airy_ai", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
    "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1", "spherical_bessel_j0", "gammainc", "gammaincc", "igamma",
    "igammac", "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
    "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
    "laguerre_polynomial_l", "legendre_polynomial_p",
]


def _done(res, out):
    return res if out is None else write_out(out, res)


def _unary(kernel, fname):
    def fn(input, *, out=None):
        return _done(_kernel_unary(input, kernel, "", None, fname=fname, half=False), out)
    fn.__name__ = fn.__qualname__ = fname
    fn.__doc__ = f"``torch.special.{fname}`` (not differentiable, as in PyTorch)."
    return fn


airy_ai = _unary(K.airy_ai, "airy_ai")
bessel_y0 = _unary(K.y0, "bessel_y0")
bessel_y1 = _unary(K.y1, "bessel_y1")
def _bessel_k(nu, scaled, fallback):
    from . import _bessel

    def k(x):  # (PyTorch's CPU kernel on CPU arrays)
        out = _bessel.modified_k(x, nu, scaled)
        return fallback(x) if out is None else out
    return k


modified_bessel_k0 = _unary(_bessel_k(0, False, K.k0), "modified_bessel_k0")
modified_bessel_k1 = _unary(_bessel_k(1, False, K.k1), "modified_bessel_k1")
scaled_modified_bessel_k0 = _unary(_bessel_k(0, True, K.k0e), "scaled_modified_bessel_k0")
scaled_modified_bessel_k1 = _unary(_bessel_k(1, True, K.k1e), "scaled_modified_bessel_k1")
spherical_bessel_j0 = _unary(K.spherical_j0, "spherical_bessel_j0")


def _bessel_i(nu):
    from . import _bessel

    def i1(x):  # (PyTorch's modified_bessel_i1 keeps the whole I1 series for float32)
        out = _bessel.modified_i1(x)
        return _bessel.i1(x) if out is None else out

    return _unary(_bessel.i0 if nu == 0 else i1, f"modified_bessel_i{nu}")


modified_bessel_i0 = _bessel_i(0)
modified_bessel_i1 = _bessel_i(1)


# -- incomplete gamma --------------------------------------------------------------------------

def _igamma(fname, upper, input, other, out):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not isinstance(other, Tensor):
        raise TypeError(f"{fname}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    dt = D.result_type(input, other)
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"igamma{'c' if upper else ''}_cpu\" not implemented for "
                                  f"'{_legacy(dt)}'")
    kernel = K.gammaincc if upper else K.gammainc
    if dt in (D.float16, D.bfloat16):  # half types: computed in float32, rounded once
        full = kernel

        def kernel(a, x):
            return full(a.astype("float32"), x.astype("float32"))
    name = ("Igammac" if upper else "Igamma") + "Backward0"
    res = P._binary(input, other, lambda a, x: kernel(a, x).astype(dt.np), name,
                    _igamma_rule("igammac" if upper else "igamma", upper), input, other)
    return _done(res, out)


def _igamma_rule(fname, upper):
    def rule(ctx, g):
        a, x = ctx.saved
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(f"the derivative for '{fname}: input' is not "
                                      "implemented.")
        # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a); Q's is its negative
        from .more_math import lgamma

        d = ((a - 1) * x.log() - x - lgamma(a)).exp()
        return None, g * (-d if upper else d)
    return rule


def igamma(input, other, *, out=None):
    """The regularized lower incomplete gamma function ``P(input, other)``."""
    return _igamma("igamma", False, input, other, out)


def igammac(input, other, *, out=None):
    """The regularized upper incomplete gamma function ``Q(input, other) = 1 - P``."""
    return _igamma("igammac", True, input, other, out)


def gammainc(input, other, *, out=None):
    return _igamma("special_gammainc", False, input, other, out)


def gammaincc(input, other, *, out=None):
    return _igamma("special_gammaincc", True, input, other, out)


# -- orthogonal polynomials --------------------------------------------------------------------

def _poly(kernel, fname):
    def fn(input, n, *, out=None):
        if not isinstance(input, Tensor) and not isinstance(n, Tensor):
            from .more_math import _not_scalars

            _not_scalars("special_" + fname, input, n, "x", "n")
        ref = input if isinstance(input, Tensor) else n
        dt = D.result_type(input, n)
        if not dt.is_floating_point:
            dt = D.get_default_dtype()
        x = to_host(input._data) if isinstance(input, Tensor) else np.asarray(input)
        k = to_host(n._data) if isinstance(n, Tensor) else np.asarray(n)
        with quiet:
            res = kernel(x.astype(np.float64), k).astype(dt.np)
        from .._device import xp_for

        return _done(wrap(xp_for(ref.device).asarray(np.ascontiguousarray(res)), ref.device),
                     out)
    fn.__name__ = fn.__qualname__ = fname
    fn.__doc__ = f"``torch.special.{fname}(input, n)`` (not differentiable, as in PyTorch)."
    return fn


chebyshev_polynomial_t = _poly(K.chebyshev_t, "chebyshev_polynomial_t")
chebyshev_polynomial_u = _poly(K.chebyshev_u, "chebyshev_polynomial_u")
chebyshev_polynomial_v = _poly(K.chebyshev_v, "chebyshev_polynomial_v")
chebyshev_polynomial_w = _poly(K.chebyshev_w, "chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _poly(K.shifted_chebyshev_t, "shifted_chebyshev_polynomial_t")
shifted_chebyshev_polynomial_u = _poly(K.shifted_chebyshev_u, "shifted_chebyshev_polynomial_u")
shifted_chebyshev_polynomial_v = _poly(K.shifted_chebyshev_v, "shifted_chebyshev_polynomial_v")
shifted_chebyshev_polynomial_w = _poly(K.shifted_chebyshev_w, "shifted_chebyshev_polynomial_w")
hermite_polynomial_h = _poly(K.hermite_h, "hermite_polynomial_h")
hermite_polynomial_he = _poly(K.hermite_he, "hermite_polynomial_he")
laguerre_polynomial_l = _poly(K.laguerre_l, "laguerre_polynomial_l")
legendre_polynomial_p = _poly(K.legendre_p, "legendre_polynomial_p")


def _install():
    from .pointwise import inplace

    for name, fn in (("igamma", igamma), ("igammac", igammac),
                     ("igamma_", inplace(igamma)), ("igammac_", inplace(igammac))):
        if name not in Tensor.__dict__:
            setattr(Tensor, name, fn)


_install()
