"""Complex-only ops: building complex tensors from parts and taking them apart.

``real``/``imag``/``view_as_real``/``view_as_complex`` are views sharing memory, as in
PyTorch.  ``conj`` is computed (a new tensor), where PyTorch flips a lazy "conjugate bit"
on a view: ember keeps only the bit's answer to ``is_conj()`` on ``conj``'s result.

Gradients follow PyTorch's convention: the gradient of a real loss ``L`` with respect to a
complex ``z = x + iy`` is ``dL/dx + i dL/dy``.  Holomorphic ops need no rule of their own
(``_core.complex_rule`` derives it from the real one); the rules below, written for
complex values, are marked ``complex_ready``.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._core import REPLAYED, complex_ready, iter_layout, make, make_view, wrap, xp_of, xp_of_array


def _legacy(dt):
    from ._core import _legacy as f

    return f(dt)


def _parts(re, im, xp, dt):
    """A new complex array of dtype ``dt`` from real arrays ``re`` and ``im`` (broadcast)."""
    shape = np.broadcast_shapes(re.shape, im.shape)
    out = xp.empty(shape, dtype=dt.np)
    out.real = re
    out.imag = im
    return out


def refuse(t, message, exc=NotImplementedError):
    """PyTorch's refusal of complex input to an op without a complex kernel: ``message``
    with ``{}`` standing for the dtype's name (``ComplexFloat``)."""
    if isinstance(t, Tensor) and t.dtype._kind == 3:
        raise exc(message.replace("{}", _legacy(t.dtype)))


def kernel_refusal(kernel):
    return f"\"{kernel}\" not implemented for '{{}}'"


# -- parts as views ---------------------------------------------------------------------

def real(t):
    """``t.real``: a view of the real parts (``t`` itself for a real tensor)."""
    if not t.dtype.is_complex:
        return t
    if STATE.enabled and t.requires_grad:  # PyTorch's graph: a select of view_as_real
        from .shape import select

        return select(view_as_real(t), -1, 0)
    return make_view(t._data.real, t, "SelectBackward0", _real_rule, real)


@complex_ready
def _real_rule(ctx, g):
    return (complex_(g, g.new_zeros(g.shape)),)


def imag(t):
    """``t.imag``: a view of the imaginary parts (complex tensors only)."""
    if not t.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    if STATE.enabled and t.requires_grad:  # (as ``real``)
        from .shape import select

        out = select(view_as_real(t), -1, 1)
    else:
        out = make_view(t._data.imag, t, "SelectBackward0", _imag_rule, imag)
    if is_conj(t):  # (PyTorch's is a view with the negative bit)
        out.__dict__["_neg"] = True
    return out


@complex_ready
def _imag_rule(ctx, g):
    return (complex_(g.new_zeros(g.shape), g),)


def real_part(g):
    """A real gradient's copy of the real parts of complex ``g`` (differentiable): what a real
    input receives of a complex gradient.  Its node is named as PyTorch's (a ``real`` there:
    a select of ``view_as_real``)."""
    re = g._data.real
    if re.size == 1 and type(re) is np.ndarray and 0 not in re.strides:
        # (one value: PyTorch's real view, its strides and all, is what the input gets)
        out = np.lib.stride_tricks.as_strided(np.empty(1, re.dtype), re.shape, re.strides)
        out[...] = re
    else:
        out = re.copy()
    return make(out, (g,), "SelectBackward0", _real_rule)


def view_as_real(t):
    """The complex ``t`` as a real view with a trailing dimension of 2 (real, imaginary)."""
    if not t.dtype.is_complex:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    a = t._data
    if type(a) is np.ndarray:
        arr = a[..., None].view(a.real.dtype)  # (a length-1 last axis may change itemsize)
    else:  # CuPy views only contiguous arrays with another itemsize
        xp = xp_of_array(a)
        arr = a.view(a.real.dtype).reshape(a.shape + (2,)) if a.flags.c_contiguous else \
            xp.stack([a.real, a.imag], -1)
    return make_view(arr, t, "ViewAsRealBackward0", _view_as_real_rule, view_as_real)


@complex_ready
def _view_as_real_rule(ctx, g):
    return (complex_(g[..., 0], g[..., 1]),)


def view_as_complex(t):
    """A real tensor with a last dimension of 2 (stride 1) seen as complex numbers."""
    if t.dtype is D.float16 or t.dtype is D.bfloat16:
        from .._unsupported import Unsupported

        raise Unsupported("torch.complex32 is not supported by ember")
    if t.dtype not in (D.float32, D.float64):
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: {_legacy(t.dtype)}")
    a = t._data
    if not a.ndim:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if a.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if a.strides[-1] != a.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any((s // a.itemsize) % 2 for s in a.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if t.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    arr = a.view(t.dtype.to_complex().np)[..., 0]
    return make_view(arr, t, "ViewAsComplexBackward0", _view_as_complex_rule, view_as_complex)


@complex_ready
def _view_as_complex_rule(ctx, g):
    return (view_as_real(g).clone(),)


# (redone from the base after an in-place change as PyTorch's: ``view_as_real`` and then, for
# a part, an ``as_strided`` to its geometry)
REPLAYED.update({view_as_real: (view_as_real,), view_as_complex: (view_as_complex,),
                 real: (view_as_real, None), imag: (view_as_real, None)})


# -- conjugation ------------------------------------------------------------------------

def conj(t):
    """The complex conjugate (``t`` itself for a real tensor).

    NOTE: PyTorch returns a lazy view (its conjugate bit set); ember computes the values,
    so writing into the result does not write into ``t``.  ``is_conj()`` is True on the result
    of an odd number of ``conj()`` calls in a row (PyTorch keeps the bit through views too).
    """
    if not t.dtype.is_complex:
        return t
    out = make(_kept_layout(np.conjugate(t._data), t._data), (t,), "ConjBackward0", _conj_rule)
    if not is_conj(t):  # (conj of a conj clears the bit)
        out.__dict__["_conj"] = True
    if t._requires_grad and not STATE.enabled:
        # PyTorch's conj is a view: made without grad, it requires grad as such views do
        from ._core import _no_grad_view

        out._is_inference = t._is_inference
        _no_grad_view(out)
        out._requires_grad = bool(out._no_grad_view)  # (no base here to follow)
    return out


def _kept_layout(out, a):
    """``out`` (computed from ``a``, of its shape) with ``a``'s strides where ``a`` is dense:
    those of PyTorch's view, size-1 dims' included (NumPy's own for them differ)."""
    if out.strides == a.strides or type(out) is not np.ndarray or 1 not in a.shape or \
            out.itemsize != a.itemsize:
        return out
    from ._core import is_dense
    from .shape import _as_strided

    st = [s // a.itemsize for s in a.strides]
    if not is_dense(a.shape, st) or any(s < 0 for s in st) or 0 in a.shape:
        return out
    res = _as_strided(np.empty(a.size, out.dtype), a.shape, a.strides)
    res[...] = out
    return res


def conj_physical(t):
    if not t.dtype.is_complex:
        return t  # (as PyTorch's: the tensor itself)
    return make(np.conjugate(t._data), (t,), "ConjPhysicalBackward0", _conj_rule)


def conj_physical_(t):
    """In-place conjugation (nothing to do for a real tensor)."""
    if not t.dtype.is_complex:
        return t
    from ._core import check_inplace, commit

    check_inplace(t)
    return commit(t, make(np.conjugate(t._data), (t,), "ConjPhysicalBackward1", _conj_rule))


def view_as_real_checked(t):
    """``torch.view_as_real``: refuses a tensor with the conjugate bit, as PyTorch's."""
    if isinstance(t, Tensor) and t.dtype.is_complex and is_conj(t):
        raise RuntimeError(
            "view_as_real doesn't work on unresolved conjugated tensors.  To resolve the "
            "conjugate tensor so you can view it as real, use self.resolve_conj(); however, be "
            "warned that the resulting tensor will NOT alias the original.")
    return view_as_real(t)


@complex_ready
def _conj_rule(ctx, g):
    return (conj_physical(g),)  # (no conjugate bit on a gradient, as in PyTorch)


def resolve_conj(t):
    if is_conj(t):
        return t.clone()
    return t


def is_conj(t) -> bool:
    """The conjugate bit: set on ``conj()``'s result and kept by the views of it (never on a
    real tensor, as its real or imaginary part)."""
    if not t.dtype.is_complex:
        return False
    while t is not None:
        if t.__dict__.get("_conj", False):
            return True
        t = t._base
    return False


def resolve_neg(t):
    if is_neg(t):
        return t.clone()
    return t


def is_neg(t) -> bool:
    """The negative bit: PyTorch sets it on the imaginary part of a tensor with the conjugate
    bit (ember's ``imag`` marks it), and its views keep it."""
    while t is not None:
        if t.__dict__.get("_neg", False):
            return True
        t = t._base
    return False


# -- magnitude and phase ----------------------------------------------------------------

def angle(t):
    """The argument of each complex value (for real values: pi where negative, else 0)."""
    a = t._data
    xp = xp_of(t)
    if t.dtype.is_complex:
        return make(_complex_angle(a, xp), (t,), "AngleBackward0", _angle_rule, t)
    if not t.dtype.is_floating_point:
        a = a.astype(D.get_default_dtype().np)
    with np.errstate(invalid="ignore"):
        out = xp.where(a < 0, a.dtype.type(np.pi), a.dtype.type(0))
        out = xp.where(xp.isnan(a), a, out)
    return make(out, (t,), "AngleBackward0", _angle_real_rule)


def _complex_angle(a, xp):
    """``atan2(im, re)`` as PyTorch's kernel computes it: Sleef's ``atan2f`` (complex64) or
    ``atan2_u1`` (complex128) in its vector loop and the C library's on the tails
    (measured)."""
    if type(a) is not np.ndarray or a.dtype not in (np.complex64, np.complex128):
        return xp.angle(a)
    from . import _sleef

    if a.dtype == np.complex128:
        return _angle128(a, _sleef)
    if not a.ndim:  # (a lone value: the C library's)
        return np.asarray(_sleef.c_atan2(a.imag, a.real), np.float32).reshape(())
    m = _sleef.loop_mask(a.shape, a, block=64 // a.itemsize) if _sleef.VECTORIZED else None
    im, re = np.ascontiguousarray(a.imag), np.ascontiguousarray(a.real)
    if m is True:
        return _sleef.atan2f(im, re)
    tail = _sleef.c_atan2(im, re)
    return tail if m is None else np.where(m, _sleef.atan2f(im, re), tail)


def _angle128(a, _sleef):
    """:func:`_complex_angle` of a complex128 array (a lone value: the C library's)."""
    from . import _sleef_more

    if a.size > _sleef_more.COMPLEX_EXACT_MAX:  # (a loop's cost: NumPy's, within an ulp)
        return np.arctan2(a.imag, a.real)
    m = _sleef.loop_mask(a.shape, a, block=64 // a.itemsize) if _sleef.VECTORIZED and \
        a.ndim else None
    im, re = np.ascontiguousarray(a.imag), np.ascontiguousarray(a.real)
    if m is True:
        return _sleef_more.atan2d(im, re)
    # (the tails: the C library's, as Python's math calls it)
    tail = np.fromiter(map(math.atan2, im.reshape(-1).tolist(), re.reshape(-1).tolist()),
                       np.float64, count=a.size).reshape(a.shape)
    return tail if m is None else np.where(m, _sleef_more.atan2d(im, re), tail)


@complex_ready
def _angle_rule(ctx, g):
    z, = ctx.saved
    # d angle: (-y dx + x dy) / |z|^2, so the gradient is g * i z / |z|^2 (0 at z = 0)
    if STATE.enabled:  # create_graph: the same from ops that record a graph
        from .pointwise import where

        # (unmasked |z|^2, as PyTorch's: a second derivative at z = 0 is NaN there too)
        with np.errstate(all="ignore"):
            return (where(z.eq(0), 0.0, g * z / z.abs().pow(2) * 1j),)
    zd = z._data
    xp = xp_of(z)
    with np.errstate(all="ignore"):  # (in PyTorch's order: g z / |z|^2 i, its signed zeros)
        r2 = xp.abs(zd) ** 2
        w = (g._data * zd / r2).astype(zd.dtype) * zd.dtype.type(1j)
        w = xp.where(r2 == 0, zd.dtype.type(0), w)
    return (wrap(w, g._device),)


@complex_ready
def _angle_real_rule(ctx, g):
    return (g.new_zeros(g.shape),)


def sgn(t):
    """``z / |z|`` (0 where ``z`` is 0) for complex ``t``."""
    a = t._data
    xp = xp_of(t)
    r = xp.hypot(a.real, a.imag)  # (the C library's, as PyTorch's: NumPy's abs is not)
    m = _sgn_vector_mask(a)
    from . import _sleef_more

    if m is not None and a.dtype == np.complex128 and type(a) is np.ndarray and \
            a.size <= _sleef_more.COMPLEX_EXACT_MAX:  # (the vector loop's: Sleef's hypot_u05)
        r = _sleef_more.hypotd(a.real, a.imag) if m is True else \
            np.where(m, _sleef_more.hypotd(a.real, a.imag), r)
    with np.errstate(all="ignore"):
        # (PyTorch's vector loop divides each part by |z|; its scalar tail multiplies them
        # by 1 / |z|, its complex division by a real number.  Measured.)
        d = xp.where(r == 0, 1, r)
        re, im = a.real / d, a.imag / d
        if m is not True:
            inv = 1 / d
            re, im = (a.real * inv, a.imag * inv) if m is None else \
                (xp.where(m, re, a.real * inv), xp.where(m, im, a.imag * inv))
        out = xp.empty_like(a)
        out.real = xp.where(r == 0, 0, re)
        out.imag = xp.where(r == 0, 0, im)
    return make(out, (t,), "SgnBackward0", _sgn_rule, t, _OUT)


def _sgn_vector_mask(a):
    """Which values PyTorch's complex ``sgn`` kernel computes in its vector loop (its AVX-512
    build: 128 bytes a step): ``_sleef.loop_mask``'s answer (True where there is no such
    loop to tell apart, off NumPy)."""
    from . import _sleef

    if type(a) is not np.ndarray:
        return True
    if not a.ndim or not _sleef.VECTORIZED:
        return None
    return _sleef.loop_mask(a.shape, a, block=128 // a.itemsize)


@complex_ready
def _sgn_rule(ctx, g):
    z, s = ctx.saved
    # the gradient of s = z/|z| is (g - conj(g) s^2) / (2|z|), 0 where z is 0
    # (divided by the unmasked |z| as PyTorch: a second derivative at z = 0 is NaN there too)
    r = z.abs()
    with np.errstate(all="ignore"):
        res = (g - (s * s) * g.conj()) / (2. * r)
    return (res.masked_fill(r.eq(0), 0),)


def complex_(real, imag):
    """``torch.complex(real, imag)``: a new complex tensor from two real tensors of one dtype."""
    re, im = real, imag
    for pos, (name, v) in enumerate((("real", re), ("imag", im)), 1):
        if not isinstance(v, Tensor):
            raise TypeError(f"complex(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{type(v).__name__}")
    ok = (D.float16, D.float32, D.float64)
    if re.dtype not in ok or im.dtype not in ok:
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_legacy(re.dtype)} and {_legacy(im.dtype)}")
    if re.dtype is not im.dtype:
        raise RuntimeError(f"Expected object of scalar type {_legacy(re.dtype)} but got scalar "
                           f"type {_legacy(im.dtype)} for second argument")
    dt = re.dtype.to_complex()
    dev = re._device
    a, b = re._data, im._data
    if im._device is not dev and im._device != dev:  # (a 0-d CPU part joins a GPU one)
        from ._core import check_same_device

        dev = check_same_device(re, im) or dev
        if type(a) is np.ndarray:
            a = xp_of(im).asarray(a)
        elif type(b) is np.ndarray:
            b = xp_of(re).asarray(b)
    try:
        arr = _parts(a, b, xp_of_array(a), dt)
    except ValueError:
        from .pointwise import _broadcast_error

        _broadcast_error(re, im)
        raise
    arr = iter_layout(arr, (re, im))  # (TensorIterator's layout, as PyTorch's)
    # (as PyTorch's node, it keeps both parts: refused once they changed in place)
    return make(arr, (re, im), "ComplexBackward0", _complex_rule, re, im, device=dev)


@complex_ready
def _complex_rule(ctx, g):
    _ = ctx.saved
    n = ctx.needs_input_grad
    return (real_part(g) if n[0] else None,
            imag(g).clone() if n[1] else None)


def polar(abs, angle):
    """``abs * (cos(angle) + i sin(angle))``."""
    from .pointwise import _one_node

    for pos, (name, v) in enumerate((("abs", abs), ("angle", angle)), 1):
        if not isinstance(v, Tensor):
            raise TypeError(f"polar(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{type(v).__name__}")
    if abs.dtype is D.float16 and angle.dtype is D.float16:  # (a complex32 result: no kernel)
        from .._warnings import warn_once

        warn_once("complex32", "ComplexHalf support is experimental and many operators don't "
                  "support it yet.", cpp="aten/src/ATen/EmptyTensor.cpp:54")
        raise NotImplementedError("\"polar_cpu\" not implemented for 'Half'")
    complex_(abs.detach(), angle.detach())  # PyTorch's dtype checks
    return _one_node("PolarBackward0", lambda r, t: complex_(r * t.cos(), r * t.sin()),
                     abs, angle, keep=(_OUT,))  # (as PyTorch's: the result only)


def vdot(a, b):
    """``conj(a) . b`` for vectors."""
    from .linalg import dot

    if not isinstance(b, Tensor):
        raise TypeError(f"vdot(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(b).__name__}")
    value = dot(conj(a.detach()), b.detach())  # (dot's checks and errors)
    return make(value._data, (a, b), "VdotBackward0", _vdot_rule, a, b)


def _vdot_rule(ctx, g):
    a, b = ctx.saved
    return (conj_physical(g) * b if ctx.needs_input_grad[0] else None,
            g * a if ctx.needs_input_grad[1] else None)


_vdot_rule.complex_ready = True  # (written for complex values: conj(a) is not holomorphic)


from ._core import OUT as _OUT  # noqa: E402


def install(cls, methods, properties):
    """Put the complex methods and properties on ``Tensor`` (called by ``methods.install``)."""
    for name, fn in (("conj", conj), ("conj_physical", conj_physical),
                     ("conj_physical_", conj_physical_),
                     ("resolve_conj", resolve_conj), ("is_conj", is_conj),
                     ("resolve_neg", resolve_neg), ("is_neg", is_neg), ("angle", angle),
                     ("vdot", vdot)):
        methods[name] = fn
    methods["cfloat"] = lambda self, memory_format=None: self.to(D.complex64)
    methods["cdouble"] = lambda self, memory_format=None: self.to(D.complex128)
    methods.setdefault("is_signed", lambda self: self.dtype.is_signed)

    def stft(self, *args, **kwargs):
        from .. import fft

        return fft._stft(self, *args, **kwargs)

    def istft(self, *args, **kwargs):
        from .. import fft

        return fft._istft(self, *args, **kwargs)
    methods["stft"], methods["istft"] = stft, istft

    def set_real(self, value):
        real(self).copy_(value) if self.dtype.is_complex else self.copy_(value)

    def set_imag(self, value):
        imag(self).copy_(value)
    properties["real"] = (real, set_real)
    properties["imag"] = (imag, set_imag)
