"""``ember.special``: PyTorch's ``torch.special``.

The functions live with the other pointwise ops (:mod:`ember._ops.more_math` and
:mod:`ember._ops.pointwise`); this module gives them their ``torch.special`` names, and
every one takes ``out=``.  Names ember does not provide raise its "not supported" error.
"""
from __future__ import annotations

import functools as _functools

from ._ops import more_math as _m
from ._ops import pointwise as _pw
from ._ops import reduce as _reduce
from ._ops._core import tensor_input as _tensor_input
from ._ops._core import write_out as _write_out
from ._unsupported import module_getattr as _module_getattr

__all__ = [
    "bessel_j0", "bessel_j1", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2",
    "expit", "expm1", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax",
    "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc",
    "softmax", "xlog1py", "xlogy", "zeta",
]


def _with_out(fn, name):
    """``fn`` under its ``torch.special`` name, taking ``out=``."""
    @_functools.wraps(fn)
    def op(*args, out=None, **kwargs):
        res = fn(*args, **kwargs)
        return res if out is None else _write_out(out, res)
    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    return op


# ember's own ops, which take ``out=`` already
bessel_j0, bessel_j1, erfcx = _m.bessel_j0, _m.bessel_j1, _m.erfcx
digamma = psi = _m.digamma
gammaln = _m.lgamma
i0, i0e, i1, i1e = _m.i0, _m.i0e, _m.i1, _m.i1e
ndtr, ndtri, log_ndtr = _m.ndtr, _m.ndtri, _m.log_ndtr
logit, sinc, entr, xlog1py, zeta = _m.logit, _m.sinc, _m.entr, _m.xlog1py, _m.zeta

# the elementary ones, under their special names
expit = _with_out(_pw.sigmoid, "expit")
erf = _with_out(_pw.erf, "erf")
erfc = _with_out(_pw.erfc, "erfc")
erfinv = _with_out(_pw.erfinv, "erfinv")
exp2 = _with_out(_pw.exp2, "exp2")
expm1 = _with_out(_pw.expm1, "expm1")
log1p = _with_out(_pw.log1p, "log1p")
xlogy = _with_out(_pw.xlogy, "xlogy")
logsumexp = _with_out(_reduce.logsumexp, "logsumexp")


def round(input, *, decimals=0, out=None):
    """:func:`ember.round` under its special name."""
    res = _pw.round(input, decimals=decimals)
    return res if out is None else _write_out(out, res)


def softmax(input, dim, *, dtype=None):
    """``torch.special.softmax``: ``dim`` is required."""
    from .nn import functional

    return functional.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """``torch.special.log_softmax``: ``dim`` is required."""
    from .nn import functional

    return functional.log_softmax(input, dim, dtype=dtype)


from ._ops.special_more import (  # noqa: E402,F401
    airy_ai, bessel_y0, bessel_y1, chebyshev_polynomial_t, chebyshev_polynomial_u,
    chebyshev_polynomial_v, chebyshev_polynomial_w, gammainc, gammaincc, hermite_polynomial_h,
    hermite_polynomial_he, laguerre_polynomial_l, legendre_polynomial_p, modified_bessel_i0,
    modified_bessel_i1, modified_bessel_k0, modified_bessel_k1, scaled_modified_bessel_k0,
    scaled_modified_bessel_k1, shifted_chebyshev_polynomial_t, shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v, shifted_chebyshev_polynomial_w, spherical_bessel_j0)
from ._ops.special_more import __all__ as _more  # noqa: E402

__all__ += [n for n in _more if n not in ("igamma", "igammac")]


def polygamma(n, input, *, out=None):
    """:func:`ember.polygamma` under its special name."""
    return _m.polygamma(_m._order(n, "special_polygamma"), input, out=out)


def multigammaln(input, p, *, out=None):
    """:func:`ember.mvlgamma` under its special name."""
    _m.need_tensor(input, "special_multigammaln")
    return _m.mvlgamma(input, _m._int_arg(p, "special_multigammaln", "p", 2), out=out)


# PyTorch's TypeError, under the special name, for a non-tensor where a tensor is required
for _name in ("airy_ai bessel_j0 bessel_j1 bessel_y0 bessel_y1 digamma entr erf erfc erfcx "
              "erfinv exp2 expit expm1 gammainc gammaincc gammaln i0 i0e i1 i1e log1p log_ndtr "
              "log_softmax logit logsumexp modified_bessel_i0 modified_bessel_i1 "
              "modified_bessel_k0 modified_bessel_k1 ndtr ndtri psi round "
              "scaled_modified_bessel_k0 scaled_modified_bessel_k1 sinc softmax "
              "spherical_bessel_j0").split():
    globals()[_name] = _tensor_input(
        globals()[_name], "special_" + _name, True,
        "x" if _name in ("airy_ai", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
                         "spherical_bessel_j0") else "input")
del _name

__getattr__ = _module_getattr("torch.special")
