"""More of ``torch``'s pointwise math: gamma-family functions, ``logit``, ``sinc``, bit and
float manipulation (``copysign``, ``ldexp``, ``gcd``...), and the ops behind
``torch.special`` (:mod:`ember.special` names them).

The special functions run ember's own float64 kernels (:mod:`._gamma`, :mod:`._bessel`,
:mod:`._gauss`, written with the array module of the input, so on a GPU too) and round
to the result dtype; the elementary ones (``sinc``, ``logit``, ``entr``...) compute in the
input's dtype as PyTorch does.  Each gradient rule sits beside its op.

NOTE: where PyTorch's own kernels lose accuracy ember does not copy the loss, and gives the
true values (to about 1e-15 in float64): PyTorch's trigamma (``polygamma(1, x)``, hence
digamma's gradient) is good to about 1e-9 only and finite at the poles (the sine of a
rounded multiple of pi), where ember returns inf; ``special.ndtr`` is ``(1 + erf)/2`` there
and cancels to 0 below about -8.3; ``zeta`` (so ``polygamma(n >= 2, x)``) is NaN at
``q = inf`` and for huge ``q``, where ember returns 0 and the small true value; its float32
zeta sums in float32 and drifts at negative ``q``; ``bessel_j0``/``bessel_j1`` err by up to
2.5e-7 near x = 5 and reduce ``x - pi/4`` after rounding it for large x; the gradient of
``ldexp`` is 0 where an integer exponent is negative (``2 ** -n`` in integer arithmetic),
where ember gives ``2 ** -n``.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .. import return_types as _return_types
from .._tensor import Tensor
from . import _bessel, _gamma, _gauss, _libm, _overlap
from . import pointwise as P
from ._core import OUT, _legacy, as_array, check_inplace, commit, make, make_multi, quiet, \
    check_written_overlap, float_result_type, iter_layout, need_tensor, precheck_inplace, \
    snapshot, wrap, write_out, xp_of
from ._core import check_no_partial_overlap

__all__ = [
    "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "i0_", "sinc", "sinc_", "logit",
    "logit_", "heaviside", "copysign", "nextafter", "ldexp", "ldexp_", "frexp", "gcd", "gcd_",
    "lcm", "lcm_", "deg2rad", "deg2rad_", "rad2deg", "rad2deg_", "float_power", "logaddexp2",
    "clamp_", "clip_", "clamp_min_", "clamp_max_",
]

_LOW = (D.float16, D.bfloat16)
_IN = object()  # stands for the op's input among the values a rule keeps

_return_types._class("frexp", ("mantissa", "exponent"))


# -- helpers --------------------------------------------------------------------

def _refuse(t, message, exc=NotImplementedError):
    from .complex import refuse

    refuse(t, message, exc)


def _kernel(name):
    from .complex import kernel_refusal

    return kernel_refusal(name)


def _float_dtype(t):
    """The dtype of a float op on ``t``: its own, or the default float for ints and bools."""
    return t.dtype if t.dtype.is_floating_point else D.get_default_dtype()


def _no_half(dt, kernel):
    if dt in _LOW:
        raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'{_legacy(dt)}\'')


def _done(res, out, name=None):
    """``res``, or ``res`` written into the user's ``out=`` tensor (``name``: the op's)."""
    return res if out is None else write_out(out, res, name)


def _kernel_unary(input, kernel, name, rule, *saved, fname, half=True):
    """A unary op computed by a float64 kernel and rounded to the result dtype."""
    need_tensor(input, fname)
    if fname in _REAL_KERNELS:  # (PyTorch's kernel has no complex version)
        _refuse(input, _kernel(fname + "_cpu"))
    dt = _float_dtype(input)
    if not half:
        _no_half(dt, fname)
    with quiet:
        res = as_array(kernel(input._data)).astype(dt.np, copy=False)
    res = iter_layout(res, (input,))  # (the kernel's result: laid out as the input, as PyTorch's)
    return make(res, (input,), name, rule, *[input if s is _IN else s for s in saved])


_REAL_KERNELS = frozenset(("i0e", "i1", "i1e", "bessel_j0", "bessel_j1", "erfcx", "log_ndtr",
                           "ndtri", "entr"))


def _compute(input):
    """``input``'s values in the dtype PyTorch computes a float op in (float32 for the
    half types, the default float for integers), with the result dtype."""
    dt = _float_dtype(input)
    cdt = D.float32 if dt in _LOW else dt
    d = input._data
    return (d if d.dtype == cdt.np else d.astype(cdt.np)), dt


def _elementary(input, fn, name, rule, *saved, fname):
    """A unary op written with the array functions, in PyTorch's compute dtype."""
    need_tensor(input, fname)
    if fname in _REAL_KERNELS:  # (PyTorch's kernel has no complex version)
        _refuse(input, _kernel(fname + "_cpu"))
    x, dt = _compute(input)
    with quiet:
        res = iter_layout(as_array(fn(x)).astype(dt.np, copy=False), (input,))
    return make(res, (input,), name, rule, *[input if s is _IN else s for s in saved])


def _both_tensors(fname, input, other, arg="other"):
    need_tensor(input, fname)
    need_tensor(other, fname, arg, 2)


def _float_pair(a, b):
    """``a`` and ``b`` cast to the default float dtype when their result type is not float."""
    if not D.result_type(a, b).is_floating_point:
        dt = D.get_default_dtype()
        return P._cast(a, dt), P._cast(b, dt)
    return a, b


def _not_scalars(fname, a, b, first="input", second="other"):
    """PyTorch's refusal of two numbers for a binary op (its three signatures listed)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        from ._core import format_invalid_args

        out = ", *, Tensor out = None)"
        raise TypeError(format_invalid_args(fname, (a, b), {}, (
            f"(Tensor {first}, Tensor {second}{out}",
            f"(Number {'self' if first == 'input' else first}, Tensor {second}{out}",
            f"(Tensor {first}, Number {second}{out}")))


def _variant(a, b):
    """PyTorch's node suffix: 0 for two tensors, 1 for a number first, 2 for a number second."""
    return "0" if isinstance(a, Tensor) and isinstance(b, Tensor) else \
        "1" if isinstance(b, Tensor) else "2"


# -- gamma family -----------------------------------------------------------------

def lgamma(input, *, out=None):
    """``log|Gamma(x)|``."""
    _refuse(input, _kernel("lgamma_vml_cpu"))
    return _done(_kernel_unary(input, _gamma.lgamma, "LgammaBackward0", _lgamma_rule, _IN,
                               fname="lgamma"), out)


def _lgamma_rule(ctx, g):
    return (g * digamma(ctx.saved[0]),)


def digamma(input, *, out=None):
    """``Gamma'(x) / Gamma(x)``; -inf at 0 (+inf at -0), NaN at the negative integers."""
    _refuse(input, _kernel("digamma"))
    return _done(_kernel_unary(input, _gamma.digamma, "DigammaBackward0", _digamma_rule, _IN,
                               fname="digamma"), out)


def _digamma_rule(ctx, g):
    return (g * polygamma(1, ctx.saved[0]),)


def _int_arg(v, fname, arg, pos):
    """``v`` as PyTorch's parser takes an int argument (a 0-d integer tensor included)."""
    if isinstance(v, Tensor) and v.dim() == 0 and not v.dtype.is_floating_point and \
            not v.dtype.is_complex and v.dtype is not D.bool:
        v = v.item()
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        where = "" if pos is None else f" (position {pos})"
        raise TypeError(f"{fname}(): argument '{arg}'{where} must be int, not "
                        f"{type(v).__name__}")
    return int(v)


def _order(n, fname="polygamma"):
    n = _int_arg(n, fname, "n", 1)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return int(n)


def polygamma(n, input, *, out=None):
    """The ``n``-th derivative of :func:`digamma`."""
    n = _order(n)
    _refuse(input, _kernel({0: "digamma", 1: "trigamma"}.get(n, "polygamma")))
    return _done(_kernel_unary(input, lambda d: _gamma.polygamma(n, d), "PolygammaBackward0",
                               _polygamma_rule, n, _IN, fname="polygamma"), out)


def _polygamma_rule(ctx, g):
    n, x = ctx.saved
    return (g * polygamma(n + 1, x),)


def mvlgamma(input, p, *, out=None):
    """The multivariate log-gamma ``p(p-1)/4 log(pi) + sum_{i<p} lgamma(x - i/2)``."""
    need_tensor(input, "mvlgamma")
    p = _int_arg(p, "mvlgamma", "p", 2)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    _refuse(input, _kernel("arange_cpu"))  # (PyTorch's offsets: an arange in input's dtype)
    dt = _float_dtype(input)
    offsets = wrap(xp_of(input).asarray(np.arange(-(p - 1) / 2, 0.25, 0.5).astype(dt.np)),
                   input._device)

    def composite(input):
        x = input if input.dtype is dt else input.to(dt)
        return lgamma(x.unsqueeze(-1) + offsets).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)
    # (as PyTorch's node, it keeps self)
    return _done(P._one_node("MvlgammaBackward0", composite, input, keep=(0,)), out)


# -- Bessel functions ---------------------------------------------------------------

def i0(input, *, out=None):
    """The modified Bessel function of the first kind, order 0."""
    _refuse(input, _kernel("i0_vml_cpu"))
    return _done(_kernel_unary(input, _bessel.i0, "I0Backward0",
                               lambda ctx, g: (g * i1(ctx.saved[0]),), _IN, fname="i0"), out)


def i0e(input, *, out=None):
    """``exp(-|x|) i0(x)``."""
    return _done(_kernel_unary(input, _bessel.i0e, "SpecialI0EBackward0", _i0e_rule, _IN, OUT,
                               fname="i0e"), out)


def _i0e_rule(ctx, g):
    x, res = ctx.saved
    return (g * (i1e(x) - x.sgn() * res),)


def i1(input, *, out=None):
    """The modified Bessel function of the first kind, order 1."""
    return _done(_kernel_unary(input, _bessel.i1, "SpecialI1Backward0", _i1_rule, _IN, OUT,
                               fname="i1"), out)


def _tiny_safe(x):
    """PyTorch's guard in the i1/i1e gradients: ``|x| > eps`` (the dtype's machine epsilon),
    and ``x`` with the tiny values replaced by eps."""
    eps = float(np.finfo(x.dtype.np if x.dtype.is_floating_point else np.float32).eps)
    big = x.abs().gt(eps)
    return big, P.where(big, x, eps)


def _i1_rule(ctx, g):
    x, res = ctx.saved
    big, safe = _tiny_safe(x)
    return (g * P.where(big, i0(safe) - res * safe.reciprocal(), 0.5),)


def i1e(input, *, out=None):
    """``exp(-|x|) i1(x)``."""
    return _done(_kernel_unary(input, _bessel.i1e, "SpecialI1EBackward0", _i1e_rule, _IN, OUT,
                               fname="i1e"), out)


def _i1e_rule(ctx, g):
    x, res = ctx.saved
    big, safe = _tiny_safe(x)
    return (g * P.where(big, i0e(safe) - res * (safe.sgn() + safe.reciprocal()), 0.5),)


def bessel_j0(input, *, out=None):
    """The Bessel function of the first kind, order 0 (not differentiable, as in PyTorch)."""
    return _done(_kernel_unary(input, _bessel.j0, "", None, fname="bessel_j0", half=False), out)


def bessel_j1(input, *, out=None):
    """The Bessel function of the first kind, order 1 (not differentiable, as in PyTorch)."""
    return _done(_kernel_unary(input, _bessel.j1, "", None, fname="bessel_j1", half=False), out)


# -- the normal distribution ---------------------------------------------------------

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT1_2 = math.sqrt(0.5)  # (C's M_SQRT1_2)


def erfcx(input, *, out=None):
    """The scaled complementary error function ``exp(x^2) erfc(x)``."""
    return _done(_kernel_unary(input, _gauss.erfcx, "SpecialErfcxBackward0", _erfcx_rule, _IN,
                               OUT, fname="erfcx", half=False), out)


def _erfcx_rule(ctx, g):
    x, res = ctx.saved
    return (g * (2 * x * res - 2 / math.sqrt(math.pi)),)


def ndtr(input, *, out=None):
    """The standard normal distribution function."""
    # NOTE: PyTorch's is the composite (1 + erf(x / sqrt 2)) / 2 in the input's dtype (so
    # float32 loses the far left tail to 0) and its graph is that of the composite
    need_tensor(input, "ndtr")
    res = P.mul_scalar(P.add_scalar(P.erf(P.mul_scalar(input, _SQRT1_2)), 1), 0.5)
    return _done(res, out)


def log_ndtr(input, *, out=None):
    """``log(ndtr(x))``, accurate far into both tails."""
    return _done(_kernel_unary(input, _gauss.log_ndtr, "SpecialLogNdtrBackward0",
                               _log_ndtr_rule, _IN, OUT, fname="log_ndtr", half=False), out)


def _log_ndtr_rule(ctx, g):
    x, res = ctx.saved
    return (g * (-(res + x * x * 0.5)).exp() * _INV_SQRT_2PI,)


def ndtri(input, *, out=None):
    """The inverse of :func:`ndtr` (the standard normal quantile function)."""
    return _done(_kernel_unary(input, _gauss.ndtri, "SpecialNdtriBackward0", _ndtri_rule, OUT,
                               fname="ndtri", half=False), out)


def _ndtri_rule(ctx, g):
    res, = ctx.saved
    return (g * (res * res * 0.5).exp() * math.sqrt(2 * math.pi),)


# -- elementary functions -----------------------------------------------------------

def sinc(input, *, out=None):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    if isinstance(input, Tensor) and input.dtype.is_complex:
        # (PyTorch's complex kernel: 1 at 0, else sin(pi z) / (pi z), pi z a complex product)
        x = input._data
        with quiet:
            px = x * x.dtype.type(math.pi)
            res = np.where(x == 0, x.dtype.type(1), np.sin(px) / px).astype(x.dtype)
        return _done(make(res, (input,), "SincBackward0", _sinc_rule, input), out)

    def fn(x):
        px = x * x.dtype.type(math.pi)
        # (PyTorch's scalar loop: the C library's sinf for float32)
        s = _libm.sinf(px) if type(px) is np.ndarray and px.dtype == np.float32 else \
            np.sin(px)
        return np.where(x == 0, x.dtype.type(1), s / px)
    return _done(_elementary(input, fn, "SincBackward0", _sinc_rule, _IN, fname="sinc"), out)


def _sinc_rule(ctx, g):
    x, = ctx.saved
    px = x * math.pi
    sq = x * x * math.pi
    # (PyTorch's order: grad * conj((px cos px - sin px) / (x x pi)), then the where on
    # that square)
    d = (px * px.cos() - px.sin()) / sq
    return (P.where(sq.eq(0), 0.0, g * (d.conj() if d.dtype.is_complex else d)),)


_sinc_rule.complex_ready = True  # (PyTorch's formula, its conj included)


def logit(input, eps=None, *, out=None):
    """``log(x / (1 - x))``, with ``x`` first clamped to ``[eps, 1 - eps]`` if ``eps`` is given.

    NOTE: as in PyTorch, a negative ``eps`` means no clamping.
    """
    _refuse(input, _kernel("logit_cpu"))
    need_tensor(input, "logit")
    x, dt = _compute(input)
    lo = hi = None
    if eps is not None and eps >= 0:
        lo = x.dtype.type(eps)
        hi = x.dtype.type(1) - lo
    def ratio(v):
        if lo is not None:
            v = np.where(v < lo, lo, np.where(v > hi, hi, v))
        return v / (v.dtype.type(1) - v)

    with quiet:
        if dt is D.float32 and type(x) is np.ndarray:
            res = _logit_log(x, ratio(x))
        elif dt in _LOW and type(x) is np.ndarray:
            # the half types: each step (1 - x, the ratio, the log) rounded to the type
            from . import _vml

            def rnd(v):
                return v.astype(dt.np).astype(np.float32)
            if lo is not None:
                lo = rnd(np.float32(eps))
                hi = rnd(np.float32(1) - lo)
                x = np.where(x < lo, lo, np.where(x > hi, hi, x))
            res = _vml.log(rnd(x / rnd(np.float32(1) - x))).astype(dt.np)
        else:
            res = as_array(np.log(ratio(x))).astype(dt.np, copy=False)
    res = iter_layout(res, (input,))
    return _done(make(res, (input,), "LogitBackward0", _logit_rule, input, lo, hi), out)


def _logit_log(x, r):
    """The log of float32 logit's ratio ``r`` (of ``x``, in its layout) as PyTorch takes it:
    MKL's over a tensor whose values fill their memory (in any order of dims), else Sleef's
    ``logf`` in the vector loop and the C library's on the tails and strided loops."""
    from . import _libm, _sleef, _vml
    if _dense(x):
        return _vml.log(r)
    m = _sleef.loop_mask(x.shape, x) if x.ndim else None
    flat = np.ascontiguousarray(r).reshape(-1)
    if m is None:
        return _libm.logf(flat).reshape(r.shape)
    out = _libm.logf(flat).reshape(r.shape)
    if m is True:
        m = np.ones(r.shape, np.bool_)
    out[m] = _sleef.logf(np.ascontiguousarray(r[m]))
    return out


def _dense(a):
    """Whether the array ``a`` fills its memory without gaps (its dims, sorted by stride,
    chain into one contiguous run)."""
    step = a.itemsize
    for st, n in sorted((abs(st), n) for st, n in zip(a.strides, a.shape) if n > 1):
        if st != step:
            return False
        step *= n
    return True


def _logit_rule(ctx, g):
    x, lo, hi = ctx.saved
    d = g / (x * (1 - x))
    if lo is None:
        return (P.where(x.lt(0) | x.gt(1), math.nan, d),)
    return (P.where(x.lt(float(lo)) | x.gt(float(hi)), 0.0, d),)


def entr(input, *, out=None):
    """``-x log(x)`` for ``x > 0``, 0 at 0, ``-inf`` below."""
    def fn(x):
        return np.where(x > 0, -x * P._c_log(np.where(x > 0, x, x.dtype.type(1))),
                        np.where(x == 0, x.dtype.type(0), np.where(x < 0, -np.inf, x)))
    return _done(_elementary(input, fn, "SpecialEntrBackward0",
                             lambda ctx, g: (g * -(1 + ctx.saved[0].log()),), _IN,
                             fname="entr"), out)


def deg2rad(input, *, out=None):
    """Degrees to radians."""
    _refuse(input, "deg2rad is not supported for complex tensors.", RuntimeError)
    return _done(_elementary(input, lambda x: x * x.dtype.type(math.pi / 180),
                             "Deg2RadBackward0", lambda ctx, g: (g * (math.pi / 180),),
                             fname="deg2rad"), out)


def rad2deg(input, *, out=None):
    """Radians to degrees."""
    _refuse(input, "rad2deg is not supported for complex tensors.", RuntimeError)
    return _done(_elementary(input, lambda x: x * x.dtype.type(180 / math.pi),
                             "Rad2DegBackward0", lambda ctx, g: (g * (180 / math.pi),),
                             fname="rad2deg"), out)


# -- binary ops -------------------------------------------------------------------

def heaviside(input, values, *, out=None):
    """0 where ``input < 0``, ``values`` where it is 0, 1 where it is positive (or NaN: 0)."""
    _both_tensors("heaviside", input, values, "values")
    _refuse(input, "heaviside is not yet implemented for complex tensors.", RuntimeError)
    _refuse(values, "heaviside is not yet implemented for complex tensors.", RuntimeError)
    if input.dtype is not values.dtype or out is not None and out.dtype is not input.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    if input.dtype in D._WIDE_UNSIGNED:
        raise NotImplementedError(f"\"heaviside_cpu\" not implemented for "
                                  f"'{D.scalar_name(input.dtype)}'")

    def fn(x, v):
        return np.where(x == 0, v, (x > 0).astype(x.dtype))
    # NOTE: PyTorch records a node named NotImplemented whose backward raises.
    return _done(P._binary(input, values, fn, "NotImplemented", _heaviside_rule), out)


def _heaviside_dtypes(input, values):
    """heaviside_'s own check, before TensorIterator's of an expanded ``input``."""
    if isinstance(values, Tensor) and (input.dtype.is_complex or values.dtype.is_complex):
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if isinstance(values, Tensor) and input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")


def _heaviside_rule(ctx, g):
    raise RuntimeError("derivative for aten::heaviside is not implemented")


def copysign(input, other, *, out=None):
    """``|input|`` with the sign of ``other``; integers give the default float dtype."""
    if isinstance(input, Tensor) and (isinstance(other, complex) or input.dtype.is_complex or (
            isinstance(other, Tensor) and other.dtype.is_complex)):  # (named by the common one)
        raise NotImplementedError(_kernel("copysign_cpu").replace(
            "{}", _legacy(D.result_type(input, other))))
    _refuse(input, _kernel("copysign_cpu"))
    _refuse(other, _kernel("copysign_cpu"))
    if not isinstance(input, Tensor):
        raise TypeError(f"copysign() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}), but expected one "
                        f"of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n * "
                        f"(Tensor input, Number other, *, Tensor out = None)\n")
    a, b = _float_pair(input, other)
    name = "CopysignBackward0" if isinstance(other, Tensor) else "CopysignBackward1"
    return _done(P._binary(a, b, np.copysign, name, _copysign_rule, a, OUT), out)


def _copysign_rule(ctx, g):
    a, res = ctx.saved
    return (g * P.where(a.eq(0), 0.0, res / a) if ctx.needs_input_grad[0] else None,
            g.new_zeros(g.shape) if ctx.needs_input_grad[1] else None)


def nextafter(input, other, *, out=None):
    """The next representable value after ``input`` in the direction of ``other``."""
    _both_tensors("nextafter", input, other)
    dt = D.result_type(input, other)
    if not dt.is_floating_point:
        raise NotImplementedError(f'"nextafter_cpu" not implemented for \'{_legacy(dt)}\'')

    def fn(x, y):  # in the result dtype itself (the half types are not widened)
        return np.nextafter(x.astype(dt.np, copy=False), y.astype(dt.np, copy=False))
    return _done(P._binary(input, other, fn, "NextafterBackward0",
                           lambda ctx, g: (g, g * 0 if ctx.needs_input_grad[1] else None)), out)


def ldexp(input, other, *, out=None):
    """``input * 2 ** other``."""
    _both_tensors("ldexp", input, other)
    if other.dtype is D.bool and input.dtype.is_floating_point:
        raise NotImplementedError("\"ldexp_cpu_exp\" not implemented for 'Bool'")
    # PyTorch computes it as this product, under one node of its own, in the two tensors'
    # promoted dtype (an integer one's being the default float dtype).
    dt = D.result_type(input, other)
    if dt._kind < 2:
        dt = D.get_default_dtype()
    # NOTE: as PyTorch, a real floating input with an integer exponent is scaled exactly in
    # its own dtype (C's ldexp, the exponent cast to a C int): no power of two is rounded
    # first, so 1e-30 * 2 ** 150 is finite in float32 and 5 * 2 ** -150 a subnormal.  Other
    # pairs are the product with 2.0 ** other, whose power may overflow or underflow.
    exact = input.dtype.is_floating_point and other.dtype._kind == 1

    two = 2.0 + 0j if input.dtype.is_complex else 2.0  # (a complex power of two for a
    # complex input, as PyTorch's: refused for a half exponent, complex32 having no kernel)

    def fn(x, e):
        r = P.mul(x, P.pow(two, e))
        r = r if r.dtype is dt else r.to(dt)
        if exact:
            xa = x._data
            if xa.dtype.itemsize < 4:  # (half, bfloat16: exact in float32, rounded once)
                xa = xa.astype(np.float32)
            xp = xp_of(r)
            with quiet:
                r._data[...] = xp.ldexp(xa, e._data.astype(np.int32)).astype(r._data.dtype)
        return r
    # (as PyTorch's node, it keeps other and the result)
    res = P._one_node("LdexpBackward0", fn, input, other, int_edges=True, keep=(1, OUT))
    if out is None and input.dtype.is_floating_point and other.dtype._kind < 2 and \
            res.shape != input.shape:
        # (PyTorch's kernel for integer exponents writes into a tensor shaped as ``input``)
        from ._core import warn_resized

        warn_resized(input, res.shape)
    return _done(res, out)


def frexp(input, *, out=None):
    """``(mantissa, exponent)`` with ``input == mantissa * 2 ** exponent``, ``0.5 <= |mantissa|
    < 1`` (int32 exponents; 0, inf and NaN keep exponent 0)."""
    need_tensor(input, "frexp")
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    d = input._data
    if input.dtype is D.bfloat16:
        m, e = np.frexp(d.astype(np.float32))
        m = m.astype(d.dtype)
    else:
        m, e = np.frexp(d)
    e = as_array(e).astype(np.int32, copy=False)
    m = as_array(m)
    dev = input._device

    def rule(ctx, gm, ge):
        return (gm / wrap(e, dev).to(gm.dtype).exp2(),)
    mant, expo = make_multi((m, e), (input,), "FrexpBackward0", rule,
                            differentiable=(True, False), keep_index=True)  # (the exponent)
    res = _return_types.make_return("frexp", mant, expo, names=("mantissa", "exponent"))
    if out is not None:
        if out[0].dtype is not input.dtype:
            raise RuntimeError(f"torch.frexp() expects mantissa to have dtype "
                               f"{D.cpp_name(input.dtype)} but got {D.cpp_name(out[0].dtype)}")
        if out[1].dtype is not D.int32:
            raise RuntimeError(f"torch.frexp() expects exponent to have int dtype but got "
                               f"{D.cpp_name(out[1].dtype)}")
        write_out(out[0], mant)
        write_out(out[1], expo)
        return _return_types.make_return("frexp_out", out[0], out[1],
                                          names=("mantissa", "exponent"))
    return res


def _integer_op(fname, ufunc):
    def op(input, other, *, out=None):
        _both_tensors(fname, input, other)
        dt = D.result_type(input, other)
        if dt.is_floating_point or dt.is_complex or dt is D.bool:
            P._broadcast_error(input, other)  # (PyTorch checks the shapes first)
            raise NotImplementedError(f'"{fname}_cpu" not implemented for \'{_legacy(dt)}\'')
        return _done(P._binary(input, other, ufunc, fname, None), out, fname)
    op.__name__ = op.__qualname__ = fname
    op.__doc__ = f"``{fname}`` of integer tensors (of the absolute values)."
    return op


def _c_gcd(x, y):
    """PyTorch's ``gcd``: Euclid's loop on the operands' abs in C's arithmetic. The abs of
    the type's minimum is that minimum (narrower types: through int, wrapping back), and
    C's remainder keeps the dividend's sign, so a gcd with it can come out negative;
    NumPy's is the gcd of the true absolute values."""
    g = np.gcd(x, y)
    if g.dtype.kind != "i" or not g.size:
        return g
    low = np.iinfo(g.dtype).min
    odd = (x == low) | (y == low)
    if not np.any(odd):
        return g
    x, y = np.broadcast_arrays(x, y)
    with quiet:
        b, a = np.abs(x[odd]).astype(g.dtype), np.abs(y[odd]).astype(g.dtype)
        a, b = b, a
        while np.any(a != 0):
            nz = a != 0
            c = a.copy()
            a[nz] = np.fmod(b[nz], a[nz])
            b[nz] = c[nz]
    g = np.array(g)  # (a copy; a 0-d one too)
    g[odd] = b
    return g


def _np_lcm(x, y):
    """PyTorch's ``lcm``: ``abs(x / gcd * y)`` in C's arithmetic (the types narrower than
    int computed in int, the others wrapping around before the abs; NumPy's takes the abs
    of the operands first)."""
    with quiet:
        g = _c_gcd(x, y)
        dt = g.dtype
        c = np.int32 if dt.itemsize < 4 else dt
        x, y, g = x.astype(c), y.astype(c), g.astype(c)  # (both tensors: arrays)
        return np.where(g == 0, 0, np.abs(x // np.where(g == 0, 1, g) * y)).astype(dt)


gcd = _integer_op("gcd", _c_gcd)
lcm = _integer_op("lcm", _np_lcm)


def float_power(input, exponent, *, out=None):
    """``input ** exponent`` computed in float64 whatever the dtypes."""
    _not_scalars("float_power", input, exponent, second="exponent")
    if any(isinstance(v, Tensor) and v.dtype.is_complex or isinstance(v, complex)
           for v in (input, exponent)):  # complex powers: in complex128
        base = input.to(D.complex128) if isinstance(input, Tensor) else complex(input)
        exp = exponent.to(D.complex128) if isinstance(exponent, Tensor) else complex(exponent)
        return _done(P.pow(base, exp) if isinstance(base, Tensor) else P.pow(
            P.mul(exp, 0) + base, exp), out)
    base = input.to(D.float64) if isinstance(input, Tensor) else float(input)
    power = exponent.to(D.float64) if isinstance(exponent, Tensor) else float(exponent)
    return _done(P.pow(base, power), out)


def logaddexp2(input, other, *, out=None):
    """``log2(2 ** input + 2 ** other)`` without overflow."""
    _both_tensors("logaddexp2", input, other)
    dt = D.result_type(input, other)
    if not dt.is_floating_point:
        raise NotImplementedError(f'"logaddexp2_cpu" not implemented for \'{_legacy(dt)}\'')
    return _done(P._binary(input, other, P.np_logaddexp2, "Logaddexp2Backward0", _logaddexp2_rule,
                           input, other), out)


def _logaddexp2_rule(ctx, g):
    a, b = ctx.saved
    return (g / (1 + (b - a).exp2()) if ctx.needs_input_grad[0] else None,
            g / (1 + (a - b).exp2()) if ctx.needs_input_grad[1] else None)


def xlog1py(input, other, *, out=None):
    """``input * log1p(other)``, and 0 where ``input == 0`` (unless ``other`` is NaN)."""
    _not_scalars("special_xlog1py", input, other)
    _refuse(input, _kernel("xlog1py_cpu"))
    _refuse(other, _kernel("xlog1py_cpu"))
    a, b = _float_pair(input, other)
    dt = D.result_type(a, b)

    def fn(x, y):
        # (PyTorch's scalar loop: the C library's log1pf, log1p; for half types the log1p of
        # a half value is rounded to it first)
        if dt in (D.float16, D.bfloat16) and not hasattr(y, "__cuda_array_interface__"):
            y = np.asarray(y, dt.np).astype(np.float32)
            lp = _libm.log1pf(y).astype(dt.np).astype(np.float32)
        elif type(y) is np.ndarray and y.dtype == np.float32:
            lp = _libm.log1pf(y)
        elif type(y) is np.ndarray and y.dtype == np.float64:
            lp = np.where(y > -1, _libm.c_double(math.log1p, y, (y > -1) & (y < np.inf)),
                          np.log1p(y))
            lp = np.where(y == np.inf, y, lp)
        else:
            lp = np.log1p(y)
        return np.where((x == 0) & ~np.isnan(y), 0, x * lp)
    return _done(P._binary(a, b, fn, "SpecialXlog1PyBackward" + _variant(a, b), _xlog1py_rule,
                           a, b), out)


def _xlog1py_rule(ctx, g):
    a, b = ctx.saved
    ga = gb = None
    if ctx.needs_input_grad[0]:
        # log1p(b), but 0 where a == 0 and b <= -1 (and where g is 0)
        ga = xlog1py(g, b)
        mask = a.eq(0) & b.le(-1) if isinstance(b, Tensor) else a.eq(0) if b <= -1 else None
        if mask is not None:  # (a masked_fill, as PyTorch's formula)
            ga = ga.masked_fill(mask, 0.0)
    if ctx.needs_input_grad[1]:
        gb = g * a / (b + 1)
    return ga, gb


def zeta(input, other, *, out=None):
    """The Hurwitz zeta function ``sum_{k>=0} (other + k) ** -input``."""
    _not_scalars("special_zeta", input, other)
    _refuse(input, _kernel("zeta_cpu"))
    _refuse(other, _kernel("zeta_cpu"))
    a, b = _float_pair(input, other)
    dt = D.result_type(a, b)
    _no_half(dt, "zeta")
    return _done(P._binary(a, b, _gamma.zeta, "SpecialZetaBackward" + _variant(a, b),
                           _zeta_rule, a, b), out)


def _zeta_rule(ctx, g):
    s, q = ctx.saved
    if ctx.needs_input_grad[0]:
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")
    return None, (g * -s * zeta(s + 1, q) if ctx.needs_input_grad[1] else None)


# -- in-place forms ---------------------------------------------------------------

def _ordered(input, args) -> bool:
    """Whether an elementwise write into view ``input`` must follow PyTorch's loop order (its
    elements share memory, or an operand is another layout of it)."""
    return input._data.base is not None and _overlap.ordered_args(input, args)


def _inplace_unary(op, name):
    def op_(input, *args, **kwargs):
        check_inplace(input)
        check_written_overlap(input, name[:-1], lambda: op(input.detach(), *args, **kwargs))
        if _ordered(input, args):  # (elements sharing memory: PyTorch's loop order)
            return _overlap.ordered_op(input, op, args, kwargs,
                                       lambda: op(snapshot(input), *args, **kwargs))
        return commit(input, op(snapshot(input), *args, **kwargs))
    op_.__name__ = op_.__qualname__ = name
    op_.__doc__ = f"In-place :func:`{op.__name__}`."
    return op_


def _inplace_binary(op, name, precheck=None, first=None):
    """``precheck(input, other)``: the op's own check of ``input``'s dtype (for the general
    one of the common dtype); ``first(input, other)``: its checks that come before
    TensorIterator's refusal of an expanded ``input``."""
    def op_(input, other, **kwargs):
        check_inplace(input)
        if first is not None:
            first(input, other)
        check_written_overlap(input, name[:-1], lambda: op(input.detach(), other, **kwargs))
        check_no_partial_overlap(input, other)
        if precheck is not None:
            precheck(input, other)
        elif isinstance(other, Tensor):
            precheck_inplace(input, other)
        if _ordered(input, (other,)):  # (elements sharing memory: PyTorch's loop order)
            return _overlap.ordered_op(input, op, (other,), kwargs,
                                       lambda: op(snapshot(input, other), other, **kwargs))
        return commit(input, op(snapshot(input, other), other, **kwargs))
    op_.__name__ = op_.__qualname__ = name
    op_.__doc__ = f"In-place :func:`{op.__name__}`."
    return op_


i0_ = _inplace_unary(i0, "i0_")
sinc_ = _inplace_unary(sinc, "sinc_")
logit_ = _inplace_unary(logit, "logit_")
deg2rad_ = _inplace_unary(deg2rad, "deg2rad_")
rad2deg_ = _inplace_unary(rad2deg, "rad2deg_")
def _ldexp_precheck(input, other, first=False):
    if isinstance(other, Tensor):  # (the result is floating: an integer input cannot hold it)
        dt = D.promote_types(input.dtype, other.dtype)
        if not (dt.is_floating_point or dt.is_complex):
            dt = D.get_default_dtype()
        # (a float input's mul_ names the complex type, after its TensorIterator's checks;
        # ldexp_'s own check of an integer input comes before them)
        if not D.can_cast(dt, input.dtype) and first != input.dtype.is_floating_point:
            what = f"result type {_legacy(dt)}" if input.dtype.is_floating_point else "ldexp"
            raise RuntimeError(f"{what} can't be cast to the desired output type "
                               f"{_legacy(input.dtype)}")
        if first:
            return
        try:  # (before ``ldexp``'s warning about resizing a result shaped as ``input``)
            shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        except ValueError:
            return  # (``ldexp`` gives PyTorch's error)
        if shape != tuple(input.shape):
            raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}")


ldexp_ = _inplace_binary(ldexp, "ldexp_", _ldexp_precheck,
                         lambda i, o: _ldexp_precheck(i, o, True))
gcd_ = _inplace_binary(gcd, "gcd_")
lcm_ = _inplace_binary(lcm, "lcm_")


def clamp_(input, min=None, max=None):
    """In-place :func:`clamp`."""
    P._check_ints(max, min)  # (PyTorch's parser reads ``max`` first)
    P._clamp_bounds_given(min, max)  # (before the overlap check)
    min, max = P.scalar_bounds(min, max)
    if isinstance(input, Tensor) and not input.dtype.is_floating_point:
        from .methods import _check_clamp_scalars

        _check_clamp_scalars(input, min, max)
    P.precheck_clamp_(input, min, max)
    return _inplace_unary(P.clamp, "clamp_")(input, min, max)


clip_ = clamp_


def clamp_min_(input, min):
    """In-place :func:`clamp_min`."""
    P.precheck_clamp_(input, min, None)
    return _inplace_unary(P.clamp_min, "clamp_min_")(input, min)


def clamp_max_(input, max):
    """In-place :func:`clamp_max`."""
    P.precheck_clamp_(input, max, None)
    return _inplace_unary(P.clamp_max, "clamp_max_")(input, max)


def _polygamma_(input, n):
    check_inplace(input)
    return commit(input, polygamma(n, snapshot(input)))


def _float_power_(input, exponent):
    cplx = input.dtype.is_complex or isinstance(exponent, complex) or (
        isinstance(exponent, Tensor) and exponent.dtype.is_complex)
    need = D.complex128 if cplx else D.float64
    if input.dtype is not need:
        raise RuntimeError(f"the base given to float_power_ has dtype {_legacy(input.dtype)} "
                           f"but the operation's result requires dtype {_legacy(need)}")
    check_inplace(input)
    return commit(input, float_power(snapshot(input, exponent), exponent))


# -- Tensor methods ---------------------------------------------------------------

_heaviside_inplace = _inplace_binary(heaviside, "heaviside_", lambda a, b: None,
                                     _heaviside_dtypes)


def _heaviside_(input, values):
    """``t.heaviside_(values)`` (PyTorch's name for the second argument)."""
    return _heaviside_inplace(input, values)


_heaviside_.__name__ = _heaviside_.__qualname__ = "heaviside_"

_METHODS = {
    "lgamma": lgamma, "lgamma_": _inplace_unary(lgamma, "lgamma_"),
    "digamma": digamma, "digamma_": _inplace_unary(digamma, "digamma_"),
    "polygamma": lambda self, n: polygamma(n, self), "polygamma_": _polygamma_,
    "mvlgamma": lambda self, p: mvlgamma(self, _int_arg(p, "mvlgamma", "p", 1)),
    "mvlgamma_": _inplace_unary(mvlgamma, "mvlgamma_"),
    "i0": i0, "i0_": i0_, "sinc": sinc, "sinc_": sinc_, "logit": logit, "logit_": logit_,
    "heaviside": heaviside,
    # (its own dtype check comes first: one dtype for both)
    "heaviside_": _heaviside_,
    "copysign": copysign, "copysign_": _inplace_binary(copysign, "copysign_", lambda i, o: (
        precheck_inplace(i, o, None if isinstance(o, complex) else float_result_type(i, o))
        if isinstance(o, (Tensor, complex)) else None)),
    "nextafter": nextafter, "nextafter_": _inplace_binary(nextafter, "nextafter_"),
    "ldexp": ldexp, "ldexp_": ldexp_, "frexp": frexp,
    "gcd": gcd, "gcd_": gcd_, "lcm": lcm, "lcm_": lcm_,
    "deg2rad": deg2rad, "deg2rad_": deg2rad_, "rad2deg": rad2deg, "rad2deg_": rad2deg_,
    "float_power": float_power, "float_power_": _float_power_,
    "logaddexp2": logaddexp2,
}


def _install_methods():
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)


_install_methods()
