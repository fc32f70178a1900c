"""``torch.fft``: discrete Fourier transforms on the device's array module.

Every transform is one of three primitives, as in PyTorch: complex-to-complex (``fft``,
``ifft``, ``fftn``...), real-to-complex keeping the non-negative frequencies (``rfft``,
``ihfft``) and its inverse, complex-to-real (``irfft``, ``hfft``).  Each computes with
``xp.fft`` (NumPy's pocketfft on the CPU, cuFFT through CuPy on a GPU); on the CPU 32-bit
input is transformed in double precision and rounded once.  ``n``/``s`` first zero-pad or
trim the input.  NOTE: PyTorch's CPU build transforms with MKL in the input's precision, so
float32 results agree with it to float32 rounding (a 4-decimal print differs now and then
in its last digit), float64 ones to about 1e-15.

``torch.stft``/``torch.istft`` (and the Tensor methods) are built here from the same
primitives: frames by ``unfold``, window, one-sided or full transforms, and overlap-add.

``norm`` is PyTorch's: ``"backward"`` (the default) scales the inverse transforms by
``1/n``, ``"forward"`` the forward ones, ``"ortho"`` both by ``1/sqrt(n)``.  Integer and
bool input becomes the default float dtype; float32 gives complex64, float64 complex128.

Gradients follow PyTorch's conjugate-Wirtinger convention: a complex-to-complex
transform's gradient is the adjoint transform; real-to-complex zero-extends the gradient
of the missing half before transforming it back; complex-to-real transforms its real
gradient forward and doubles the frequencies that stand for two in the Hermitian signal.
"""
from __future__ import annotations

import math

import numpy as np

from . import _dtype as D
from ._ops._core import (_dense_like, complex_ready, iter_layout, make, norm_dim, xp_of,
                         xp_of_array)
from ._ops.shape import _as_strided
from ._tensor import Tensor
from ._unsupported import module_getattr as _module_getattr

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]

_NORMS = ("backward", "forward", "ortho")
_SWAP = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


# -- arguments ----------------------------------------------------------------------------

def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _legacy(dt):
    from ._ops._core import _legacy as f

    return f(dt)


def _tensor_arg(x, fname):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def _check_out(out, fname, complex_out):
    if out is not None and out.dtype.is_complex != complex_out:
        kind = "complex" if complex_out else "floating point"
        raise RuntimeError(f"{fname} expects a {kind} output tensor, but got "
                           f"{_legacy(out.dtype)}")


def _floating(x, fname, real_only=False, out=None, complex_out=True, real_msg=None):
    """``x`` as a float or complex tensor (integers and bools: the default float dtype).
    NOTE: PyTorch's 1-D transforms check a real input, then ``out``'s kind, then half
    precision; the n-D ones check the dims and sizes first and ``out`` last."""
    _tensor_arg(x, fname)
    dt = x.dtype
    if real_only and dt.is_complex:
        msg = real_msg or "{} expects a real input tensor, but got {}"
        raise RuntimeError(msg.format(fname, _legacy(dt)))
    _check_out(out, fname, complex_out)
    if dt is D.float16 or dt is D.bfloat16:
        raise RuntimeError(f"Unsupported dtype {_legacy(dt)}")
    if dt._kind < 2:
        x = x.to(D.get_default_dtype())
    return x


def _points(n):
    if isinstance(n, Tensor):
        n = n.item()
    n = int(n)
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return n


def _one_dim(x, n, dim):
    """The transformed dim and its signal length for the 1-D transforms."""
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = norm_dim(dim, x.ndim, wrap_scalar=False)
    return d, _points(x.shape[d] if n is None else n)


def _many_dims(x, s, dim, fname=None):
    """The transformed dims and their signal lengths for the n-D transforms (PyTorch's rules:
    ``s`` alone names the last ``len(s)`` dims, ``-1`` in ``s`` keeps a dim's length)."""
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(s, (int, Tensor)) and not (isinstance(s, Tensor) and s.ndim):
        s = (s,)
    if s is not None:
        s = [int(v.item() if isinstance(v, Tensor) else v) for v in s]
    # NOTE: PyTorch checks the dims (range, uniqueness) before their count against ``s``
    if dim is not None:
        if x.ndim == 0 and len(dim):
            raise IndexError(f"Dimension specified as {dim[0]} but tensor has no dimensions")
        dims = tuple(norm_dim(d, x.ndim, wrap_scalar=False) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
        if s is not None and len(dims) != len(s):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > x.ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{x.ndim} dimensions.")
        dims = tuple(range(x.ndim - len(s), x.ndim))
    else:
        dims = tuple(range(x.ndim))
    if fname is not None and not dims:
        raise RuntimeError(f"{fname} must transform at least one axis")
    if s is None:
        sizes = tuple(x.shape[d] for d in dims)
    else:
        sizes = tuple(x.shape[d] if v == -1 else _points(v) for d, v in zip(dims, s))
    for n in sizes:
        _points(n)
    return dims, sizes


# -- resizing: zero-padding or trimming before a transform ----------------------------------

def _resize(x, dims, sizes):
    """``x`` zero-padded or cut to ``sizes`` along ``dims`` (the leading entries are kept).
    As PyTorch's: the cuts are slices (views keeping ``x``'s strides, which decide the
    result's layout), then one ``constant_pad_nd`` of the slice where a dim grows."""
    pad = [0] * (2 * x.ndim)
    for d, n in zip(dims, sizes):
        m = x.shape[d]
        if m < n:
            pad[2 * (x.ndim - d) - 1] = n - m
        elif m > n:
            x = x.narrow(d, 0, n)
    if any(pad):
        from ._ops.api_gaps import constant_pad_nd

        x = constant_pad_nd(x, pad)
    return x


# -- the three primitives -------------------------------------------------------------------

def _order(strides, dims, sort_dims):
    """The dims of a PyTorch CPU transform's result from outermost to innermost.
    NOTE: MKL's transforms write a buffer holding the untransformed dims first (by decreasing
    input stride) and then the transformed ones in the order transformed: by decreasing
    input stride (``sort_dims``: "all", or "last_fixed" for the one-sided ones).  Ties keep
    the order that C++'s (unstable) ``std::partition`` leaves the untransformed dims in."""
    key = lambda d: -strides[d]  # noqa: E731 (stable, as std::sort on a few dims is)
    perm, lo, hi = list(range(len(strides))), 0, len(strides)
    while True:  # std::partition, moving the untransformed dims first
        while lo < hi and perm[lo] not in dims:
            lo += 1
        if lo == hi:
            break
        hi -= 1
        while lo < hi and perm[hi] in dims:
            hi -= 1
        if lo == hi:
            break
        perm[lo], perm[hi] = perm[hi], perm[lo]
        lo += 1
    dims = list(dims)
    if sort_dims == "all":
        dims.sort(key=key)
    elif sort_dims == "last_fixed":
        dims[:-1] = sorted(dims[:-1], key=key)
    return sorted(perm[:lo], key=key) + dims


def _strides_of(shape, order):
    """Contiguous strides of ``shape`` with its dims nested as ``order``."""
    st, step = [0] * len(shape), 1
    for d in reversed(order):
        st[d] = step
        step *= max(shape[d], 1)
    return st


def _laid_out(out, order):
    """``out`` copied into the layout ``order`` (see :func:`_order`) unless already in it."""
    if out.size == 0 or out.ndim == 0:
        return out
    want = tuple(w * out.itemsize for w in _strides_of(out.shape, order))
    if out.ndim < 2 or out.strides == want:
        return out
    buf = xp_of_array(out).empty([out.shape[d] for d in order], dtype=out.dtype)
    res = buf.transpose(tuple(int(i) for i in np.argsort(order)))
    res[...] = out
    return res


def _host_wide(a):
    """A CPU array to transform: 32-bit values widened (rounded once at the end)."""
    if type(a) is np.ndarray and a.dtype in (np.float32, np.complex64):
        return a.astype(np.float64 if a.dtype == np.float32 else np.complex128)
    return a


def _c2c(x, dims, norm, forward):
    """The complex transform of ``x`` (real or complex) over ``dims``; ``norm`` as NumPy's."""
    a = x._data
    cdt = x.dtype.to_complex()
    if not dims:  # (PyTorch's ``clone``: the layout kept, a dense one for a strided input)
        return make(_cloned(a, x.stride(), cdt.np), (x,), "FftC2CBackward0", _copy_rule)
    xp = xp_of_array(a)
    with np.errstate(all="ignore"):
        out = (xp.fft.fftn if forward else xp.fft.ifftn)(_host_wide(a), axes=dims, norm=norm)
    out = _laid_out(out.astype(cdt.np, copy=False), _order(x.stride(), dims, "all"))
    return make(out, (x,), "FftC2CBackward0", lambda ctx, g: (_c2c(g, dims, norm, forward),),
                laid=True)


def _cloned(a, stride, dtype):
    """A copy of array ``a`` (element strides ``stride``) as ``dtype``, laid out as PyTorch's
    ``clone``/``to`` lay it out: ``a``'s strides where dense (size-1 dims' included), else
    dense in the order of its strides."""
    out = a.astype(dtype)
    if out.ndim == 0 or out.size == 0 or type(out) is not np.ndarray:
        return out
    want = tuple(s * out.itemsize for s in _dense_like(a.shape, list(stride)))
    if out.strides == want:
        return out
    res = _as_strided(np.empty(out.size, out.dtype), out.shape, want)
    res[...] = out
    return res


def _copy_rule(ctx, g):
    return (g,)


def _r2c(x, dims, norm, onesided=True):
    """The forward transform of real ``x`` over ``dims``, the last one cut to its
    ``n // 2 + 1`` non-negative frequencies (``onesided``, else completed by Hermitian
    symmetry: one dim only); ``norm`` scales as NumPy's ``rfftn``."""
    a = x._data
    xp = xp_of_array(a)
    with np.errstate(all="ignore"):
        out = xp.fft.rfftn(_host_wide(a), axes=dims, norm=norm)
    n = a.shape[dims[-1]]
    if not onesided:  # the other frequencies are the conjugates of these (exactly)
        d, m = dims[-1], out.shape[dims[-1]]
        rest = xp.conj(xp.take(out, xp.arange(n - m, 0, -1), axis=d))
        out = xp.concatenate([out, rest], axis=d)
    out = _laid_out(out.astype(x.dtype.to_complex().np, copy=False),
                    _order(x.stride(), dims, "last_fixed"))
    def rule(ctx, g):
        _ = ctx.saved  # (as PyTorch's node, it keeps self: refused once changed in place)
        return (_c2c(_resize(g, (dims[-1],), (n,)), dims, norm, True),)
    return make(out, (x,), "FftR2CBackward0", rule, x, laid=True)


def _c2r(x, dims, n, norm, stride=None):
    """The real signal of length ``n`` (last of ``dims``) whose non-negative frequencies are
    ``x``; ``norm`` scales as NumPy's ``irfftn``.  ``stride``: the input's strides, where
    ``x`` is computed from a view of PyTorch's (a conj view keeps strides ember's may not)."""
    a = x._data
    xp = xp_of_array(a)
    shape = [a.shape[d] for d in dims]
    shape[-1] = n
    with np.errstate(all="ignore"):
        out = xp.fft.irfftn(_host_wide(a), s=shape, axes=dims, norm=norm)
    real = x.dtype.to_real()

    @complex_ready
    def rule(ctx, g):
        gi = _r2c(g, dims, _SWAP[norm])
        m = gi.shape[dims[-1]]
        twice = n - m  # the frequencies 1..twice stand for two in the full signal
        if twice > 0:
            w = np.ones(m, dtype=real.np)
            w[1:1 + twice] = 2
            w = w.reshape([-1 if i == dims[-1] else 1 for i in range(gi.ndim)])
            gi = gi * _tensor_like(w, g)
        return (gi,)
    st = x.stride() if stride is None else stride
    if len(dims) > 1:  # (PyTorch transforms all but the last complex first)
        st = _strides_of(a.shape, _order(st, dims[:-1], "all"))
    out = _laid_out(out.astype(real.np, copy=False), _order(st, dims[-1:], None))
    return make(out, (x,), "FftC2RBackward0", rule, laid=True)


def _tensor_like(arr, ref):
    from ._ops._core import wrap

    if type(ref._data) is not np.ndarray:
        arr = xp_of(ref).asarray(arr)
    return wrap(arr, ref._device)


# -- complex-to-complex -------------------------------------------------------------------

def _c2c_1d(x, n, dim, norm, forward, fname, out):
    x = _floating(x, fname, out=out)
    d, n = _one_dim(x, n, dim)
    x = _resize(x, (d,), (n,))
    norm = _norm(norm)
    if not x.dtype.is_complex:  # NOTE: PyTorch transforms a real signal as real (R2C)
        res = _r2c(x, (d,), norm, False) if forward else \
            _r2c(x, (d,), _SWAP[norm], False).conj()  # (a conj view, as PyTorch's)
        return _out(res, out, fname)
    return _out(_c2c(x, (d,), norm, forward), out, fname)


def _c2c_nd(x, s, dim, norm, forward, fname, out):
    _tensor_arg(x, fname)
    dims, sizes = _many_dims(x, s, dim)
    x = _floating(x, fname)
    norm = _norm(norm)
    _check_out(out, "fftn", True)
    if not x.dtype.is_complex:
        x = x.to(x.dtype.to_complex())
    return _out(_c2c(_resize(x, dims, sizes), dims, norm, forward), out, "fftn")


def _out(res, out, fname=None):
    if out is None:
        return res
    from ._ops._core import _legacy, into_out

    name = None
    if res.requires_grad:  # (PyTorch's refusal names the inner transform)
        if res.is_conj():  # NOTE: PyTorch writes it, with a grad_fn that cannot backward
            res = res.detach()
        name = _INNER.get(type(res.grad_fn).__name__)
    resized = tuple(out.shape) != tuple(res.shape)
    if resized and not res.is_conj():
        res = res.contiguous()  # NOTE: a resized ``out`` is contiguous, but for a conj view
    if fname is not None and res.dtype.is_complex != out.dtype.is_complex:
        kind = "complex" if res.dtype.is_complex else "floating point"
        raise RuntimeError(f"{fname} expects a {kind} output tensor, but got "
                           f"{_legacy(out.dtype)}")
    if res.is_conj() and res.dtype is not out.dtype:  # (``conj_physical_out``'s own check:
        raise RuntimeError(f"Found dtype {_legacy(out.dtype)} but expected "  # no cast)
                           f"{_legacy(res.dtype)}")
    into_out(res, out, name)
    if resized and res.is_conj() and out._base is None and type(out._data) is np.ndarray:
        # (PyTorch's ``conj_physical_out``: ``out`` laid out by TensorIterator, as the
        # result's layout, the strides of its size-1 dims included)
        out._data = iter_layout(out._data, (res,))
    return out


_INNER = {"FftC2CBackward0": "_fft_c2c", "FftR2CBackward0": "_fft_r2c",
          "FftC2RBackward0": "_fft_c2r"}


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D discrete Fourier transform along ``dim`` (``n`` points: padded or cut)."""
    return _c2c_1d(input, n, dim, norm, True, "fft", out)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D inverse discrete Fourier transform along ``dim``."""
    return _c2c_1d(input, n, dim, norm, False, "ifft", out)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _c2c_nd(input, s, dim, norm, True, "fft2", out)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _c2c_nd(input, s, dim, norm, False, "ifft2", out)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-D transform over ``dim`` (all dims, or the last ``len(s)``, when not given)."""
    return _c2c_nd(input, s, dim, norm, True, "fftn", out)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    return _c2c_nd(input, s, dim, norm, False, "ifftn", out)


# -- real input, one-sided output -----------------------------------------------------------

def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The transform of a real signal: its ``n // 2 + 1`` non-negative frequencies."""
    x = _floating(input, "rfft", real_only=True, out=out)
    d, n = _one_dim(x, n, dim)
    return _out(_r2c(_resize(x, (d,), (n,)), (d,), _norm(norm)), out, "rfft")


def _rfftn(input, s, dim, norm, fname, out):
    _tensor_arg(input, fname)
    if input.dtype.is_complex:  # (checked before the dims, unlike ihfftn's)
        raise RuntimeError(f"rfftn expects a real-valued input tensor, but got "
                           f"{_legacy(input.dtype)}")
    dims, sizes = _many_dims(input, s, dim, "rfftn")
    x = _floating(input, "rfftn")
    norm = _norm(norm)
    _check_out(out, "rfftn", True)
    return _out(_r2c(_resize(x, dims, sizes), dims, norm), out, "rfftn")


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _rfftn(input, s, dim, norm, "rfft2", out)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _rfftn(input, s, dim, norm, "rfftn", out)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of ``hfft``: the one-sided inverse transform of a real signal."""
    x = _floating(input, "ihfft", real_only=True, out=out)
    d, n = _one_dim(x, n, dim)
    return _out(_r2c(_resize(x, (d,), (n,)), (d,), _SWAP[_norm(norm)]).conj(), out,
                "ihfft")


def _ihfftn(input, s, dim, norm, fname, out):
    _tensor_arg(input, fname)
    dims, sizes = _many_dims(input, s, dim, "ihfftn")
    x = _floating(input, fname, True, real_msg="Only supports floating-point dtypes, but "
                  "found: {1}")
    norm = _norm(norm)
    if len(dims) > 1:
        _check_out(out, "ihfftn", True)
    # as PyTorch: the last dim one-sided and conjugated, then the inverse transform of the
    # others (which decides the signs of the zero imaginary parts)
    res = _r2c(_resize(x, dims, sizes), dims[-1:], _SWAP[norm]).conj()
    if len(dims) == 1 and out is not None:
        return _swapped_out(res, out)
    if len(dims) > 1:
        res = _c2c(res, dims[:-1], norm, False)
    return _out(res, out, "ihfftn")


def _swapped_out(res, out):
    """NOTE: PyTorch's ``ihfftn``/``ihfft2`` of one dim into ``out=`` calls
    ``conj_physical_out`` with its arguments swapped: it writes ``conj(out)`` into its own
    result (checking the dtypes, resizing the result to ``out``'s shape) and returns ``out``
    as it was, values and shape."""
    from ._ops._core import _legacy, warn_resized

    if res.dtype is not out.dtype:
        raise RuntimeError(f"Found dtype {_legacy(res.dtype)} but expected {_legacy(out.dtype)}")
    if tuple(res.shape) != tuple(out.shape):
        warn_resized(res, out.shape)
    return out


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _ihfftn(input, s, dim, norm, "ihfft2", out)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-D inverse of ``hfftn``: one-sided over the last of ``dim``."""
    return _ihfftn(input, s, dim, norm, "ihfftn", out)


# -- one-sided input, real output ------------------------------------------------------------

def _complex_input(input, fname, out=None):
    x = _floating(input, fname, out=out, complex_out=False)
    return x if x.dtype.is_complex else x.to(x.dtype.to_complex())


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The real signal of ``n`` points (``2 * (m - 1)`` by default) with the non-negative
    frequencies ``input`` (Hermitian symmetry gives the others)."""
    x = _complex_input(input, "irfft", out)
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = norm_dim(dim, x.ndim, wrap_scalar=False)
    n = _points(2 * (x.shape[d] - 1) if n is None else n)
    return _out(_c2r(_resize(x, (d,), (n // 2 + 1,)), (d,), n, _norm(norm)), out, "irfft")


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The real transform of a signal with Hermitian symmetry given by its first half."""
    x = _complex_input(input, "hfft", out)
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = norm_dim(dim, x.ndim, wrap_scalar=False)
    n = _points(2 * (x.shape[d] - 1) if n is None else n)
    x = _resize(x, (d,), (n // 2 + 1,))
    return _out(_c2r(x.conj(), (d,), n, _SWAP[_norm(norm)], x.stride()), out, "hfft")


def _irfftn(input, s, dim, norm, fname, out, hermitian=False):
    _tensor_arg(input, fname)
    name = "hfftn" if hermitian else "irfftn"
    dims, sizes = _many_dims(input, s, dim, name)
    given = s is not None and (s if isinstance(s, int) else list(s)[-1]) != -1
    last = sizes[-1] if given else 2 * (input.shape[dims[-1]] - 1)
    last = _points(last)
    x = _complex_input(input, fname)
    norm = _norm(norm)
    _check_out(out, name, False)
    sizes = sizes[:-1] + (last // 2 + 1,)
    x = _resize(x, dims, sizes)
    if hermitian:  # hfftn: the forward transform of the Hermitian signal (conj, then C2R)
        return _out(_c2r(x.conj(), dims, last, _SWAP[_norm(norm)], x.stride()), out,
                    "hfftn")
    return _out(_c2r(x, dims, last, _norm(norm)), out, "irfftn")


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _irfftn(input, s, dim, norm, "hfft2", out, hermitian=True)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The real n-D transform of a Hermitian signal given by its one-sided half."""
    return _irfftn(input, s, dim, norm, "hfftn", out, hermitian=True)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _irfftn(input, s, dim, norm, "irfft2", out)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _irfftn(input, s, dim, norm, "irfftn", out)


# -- frequencies and shifts -------------------------------------------------------------------

def _freqs(k, n, d, dtype, device, requires_grad, fname="fftfreq"):
    from ._ops.creation import _finish

    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if dt._kind == 3:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_legacy(dt)}'")
    if not dt.is_floating_point:
        raise RuntimeError(f"{fname} requires a floating point or complex dtype")
    # NOTE: as PyTorch, the integers are scaled by 1 / (n * d) rounded to the dtype first
    nd = n * d  # (a zero spacing or length scales by inf, as C++'s division does)
    scale = dt.np.type(1.0 / nd if nd else math.copysign(math.inf, nd))
    with np.errstate(invalid="ignore"):
        arr = k.astype(dt.np) * scale
    return _finish(arr, device, requires_grad)


def _check_size(size):
    if size < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {size}: [{size}]")
    return size


def _freq_args(n, d, fname):
    """``n`` and ``d`` as PyTorch's parser takes them (an int; a float)."""
    from ._ops.more_math import _int_arg

    n = _int_arg(n, fname, "n", 1)
    if isinstance(d, Tensor):
        d = d.item()
    if isinstance(d, bool) or not isinstance(d, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fname}(): argument 'd' (position 2) must be float, not "
                        f"{type(d).__name__}")
    return n, d


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an ``n``-point transform (spacing ``d``): ``0, 1, ...,
    -(n // 2), ..., -1`` over ``n * d``."""
    n, d = _freq_args(n, d, "fft_fftfreq")
    _check_size(n)
    k = np.concatenate([np.arange((n + 1) // 2), np.arange(-(n // 2), 0)])
    if out is not None and dtype is None:  # (PyTorch computes in out's dtype)
        dtype = out.dtype
    return _out(_freqs(k, n, d, dtype, device, requires_grad), out)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The ``n // 2 + 1`` non-negative sample frequencies of ``rfft``."""
    n, d = _freq_args(n, d, "fft_rfftfreq")
    size = _check_size(int(n / 2) + 1)  # (C++'s division, truncating towards zero)
    if out is not None and dtype is None:
        dtype = out.dtype
    return _out(_freqs(np.arange(size), n, d, dtype, device, requires_grad, "rfftfreq"), out)


def _shift(x, dim, forward):
    if dim is None:
        dims = tuple(range(x.ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if x.ndim == 0 and dims:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        dims = tuple(norm_dim(d, x.ndim) for d in dims)
    if not dims:  # (as PyTorch's roll with no dims)
        raise RuntimeError("`shifts` required")
    shifts = [(x.shape[d] // 2) if forward else ((x.shape[d] + 1) // 2) for d in dims]
    return x.roll(shifts, dims)


def fftshift(input, dim=None):
    """The zero frequency moved to the centre (a roll by half of each dim)."""
    return _shift(input, dim, True)


def ifftshift(input, dim=None):
    """The inverse of :func:`fftshift`."""
    return _shift(input, dim, False)


# -- short-time transforms (torch.stft / torch.istft, not part of torch.fft) -----------------

def _win_desc(w):
    if w is None:
        return "None"
    from ._ops._core import _legacy as name

    return f"torch.{name(w.dtype)}Tensor{{{list(w.shape)}}}"


def _flag(v):
    return "None" if v is None else str(int(v))


def _padded_window(window, win_length, n_fft, like):
    """The window (ones when not given) centred in ``n_fft`` points."""
    from ._ops.creation import ones

    w = window if window is not None else ones(win_length, dtype=like.dtype.to_real(),
                                              device=like.device)
    if win_length < n_fft:
        from .nn.functional import pad

        left = (n_fft - win_length) // 2
        w = pad(w, [left, n_fft - win_length - left])
    return w


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    """``torch.stft``: the transforms of windowed frames of ``input`` (``(B?, L)``), as a
    ``(B?, frequencies, frames)`` complex tensor; composed of differentiable ops."""
    from ._warnings import warn_once

    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    x = input
    if center:
        from .nn.functional import pad

        nd = x.dim()
        half = n_fft // 2
        x = pad(x.reshape([1] * (3 - nd) + list(x.shape)), [half, half], pad_mode)
        x = x.reshape(x.shape[-nd:])
    if window is None:
        warn_once("stft window", "A window was not provided. A rectangular window will be "
                  "applied,which is known to cause spectral leakage. Other windows such as "
                  "torch.hann_window or torch.hamming_window are recommended to reduce "
                  "spectral leakage.To suppress this warning and use a rectangular window, "
                  "explicitly set `window=torch.ones(n_fft, device=<device>)`.",
                  cpp="aten/src/ATen/native/SpectralOps.cpp:835")
    complex_in = x.dtype.is_complex or (window is not None and window.dtype.is_complex)
    given_rc = return_complex
    if return_complex is None:
        if not complex_in:
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in a "
                               "future PyTorch release.")
        return_complex = True
    if not return_complex:
        warn_once("stft return_complex", "stft with return_complex=False is deprecated. In a "
                  "future pytorch release, stft will return complex tensors for all inputs, and "
                  "return_complex=False will raise an error.\nNote: you can still call "
                  "torch.view_as_real on the complex output to recover the old return format.",
                  cpp="aten/src/ATen/native/SpectralOps.cpp:874")
    hop = n_fft // 4 if hop_length is None else hop_length
    wl = n_fft if win_length is None else win_length
    from ._ops._core import _legacy as name

    # NOTE: PyTorch names complex input by its legacy type and prints return_complex as given
    desc = f"CPU{name(x.dtype)}Type" if x.dtype.is_complex else f"torch.{name(x.dtype)}Tensor"
    where = (f"stft({desc}{list(x.shape)}, n_fft={n_fft}, "
             f"hop_length={hop}, win_length={wl}, window={_win_desc(window)}, "
             f"normalized={int(bool(normalized))}, onesided={_flag(onesided)}, "
             f"return_complex={_flag(given_rc)}, "
             f"align_to_window={_flag(align_to_window)}) : ")
    if x.dim() not in (1, 2):
        raise RuntimeError(where + "expected a 1D or 2D tensor")
    if x.dtype._kind < 2:
        raise RuntimeError(where + "expected a tensor of floating point or complex values")
    n = x.shape[-1]
    if n_fft <= 0 or n_fft > n:
        # NOTE: PyTorch's message quotes win_length as the n_fft it got
        raise RuntimeError(where + f"expected 0 < n_fft < {n}, but got n_fft={wl}")
    if hop <= 0:
        raise RuntimeError(where + f"expected hop_length > 0, but got hop_length={hop}")
    if wl <= 0 or wl > n_fft:
        raise RuntimeError(where + f"expected 0 < win_length <= n_fft, but got win_length={wl}")
    if window is not None and (window.dim() != 1 or window.shape[0] != wl):
        raise RuntimeError(where + "expected a 1D window tensor of size equal to win_length="
                           f"{wl}, but got window with size {list(window.shape)}")
    one = x.dim() == 1
    frames = (x.unsqueeze(0) if one else x).unfold(-1, n_fft, hop)  # (B, frames, n_fft)
    if window is not None or wl < n_fft:  # (no window: ones of win_length, centred)
        frames = frames * _padded_window(window, wl, n_fft, x)
    full = frames.dtype.is_complex
    onesided = (not full) if onesided is None else onesided
    if onesided and full:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    out = _c2c(frames, (2,), norm, True) if full else _r2c(frames, (2,), norm, onesided)
    out = out.transpose(1, 2)
    if one:
        out = out.squeeze(0)
    return out if return_complex else _view_as_real(out)


def _view_as_real(t):
    from ._ops.complex import view_as_real

    return view_as_real(t)


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """``torch.istft``: the signal whose ``stft`` is ``input``, by windowed overlap-add
    divided by the summed squared window (which must not vanish: the NOLA condition)."""
    from ._ops._core import wrap
    from ._warnings import warn_once

    if window is None:
        warn_once("istft window", "A window was not provided. A rectangular window will be "
                  "applied.Please provide the same window used by stft to make the inversion "
                  "lossless.To suppress this warning and use a rectangular window, explicitly "
                  "set `window=torch.ones(n_fft, device=<device>)`.",
                  cpp="aten/src/ATen/native/SpectralOps.cpp:1035")
    if not input.dtype.is_complex:
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    hop = n_fft // 4 if hop_length is None else hop_length
    wl = n_fft if win_length is None else win_length
    kind = "ComplexFloat" if input.dtype is D.complex64 else "ComplexDouble"
    where = (f"istft(CPU{kind}Type{list(input.shape)}, n_fft={n_fft}, hop_length={hop}, "
             f"win_length={wl}, window={_win_desc(window)}, center={int(bool(center))}, "
             f"normalized={int(bool(normalized))}, onesided={_flag(onesided)}, "
             f"length={'None' if length is None else length}, "
             f"return_complex={int(bool(return_complex))}) : ")
    if input.dim() not in (2, 3):
        raise RuntimeError(where + f"expected a tensor with 3 or 4 dimensions, but got "
                           f"{input.dim() + 1}")
    n_frames, fft_size = input.shape[-1], input.shape[-2]
    expected = n_fft + hop * (n_frames - 1)
    onesided = fft_size != n_fft if onesided is None else onesided
    if onesided and n_fft // 2 + 1 != fft_size:
        raise RuntimeError(where + "expected the frequency dimension (3rd to the last) of the "
                           "input tensor to match n_fft / 2 + 1 when onesided=True, but got "
                           f"{fft_size}")
    if not onesided and n_fft != fft_size:
        raise RuntimeError(where + "expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft when onesided=False, but got {fft_size}")
    if not 0 < hop <= wl:
        raise RuntimeError(where + "expected 0 < hop_length <= win_length")
    if not 0 < wl <= n_fft:
        raise RuntimeError(where + "expected 0 < win_length <= n_fft")
    if window is not None and (window.dim() != 1 or window.shape[0] != wl):
        raise RuntimeError(where + "Invalid window shape. window has to be 1D and length of "
                           "`win_length`")
    w = _padded_window(window, wl, n_fft, input)
    x = input.unsqueeze(0) if input.dim() == 2 else input
    x = x.transpose(1, 2)  # (B, frames, frequencies)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        if onesided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        y = _c2c(x, (2,), norm, False)
    else:
        if window is not None and window.dtype.is_complex:
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not onesided:
            x = x[..., :n_fft // 2 + 1]
        y = _c2r(x, (2,), n_fft, norm)
    y = y * w
    # overlap-add: frame f's sample k lands at f * hop + k
    idx = (np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None]).reshape(-1)
    xp = xp_of(y)
    index = wrap(xp.asarray(idx), y.device)
    b = y.shape[0]
    from ._ops.creation import zeros

    sig = zeros(b, expected, dtype=y.dtype, device=y.device).index_add(
        1, index, y.reshape(b, -1))
    w2 = (w * w).detach() if not w.requires_grad else w * w
    env = zeros(expected, dtype=w2.dtype, device=y.device).index_add(
        0, index, w2.expand(n_frames, n_fft).reshape(-1))
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (expected - n_fft // 2 if center else expected)
    sig, env = sig[:, start:end], env[start:end]
    if bool((env.abs() < 1e-11).any()):
        raise RuntimeError(where[:-3] + " window overlap add min: 1\n[ CPUBoolType{} ]")
    sig = sig / env
    if input.dim() == 2:
        sig = sig.squeeze(0)
    if end > expected:
        warn_once("istft length", "The length of signal is shorter than the length parameter. "
                  "Result is being padded with zeros in the tail. Please check your center and "
                  "hop_length settings.")
        from .nn.functional import pad

        sig = pad(sig, [0, end - expected])
    return sig


# (defined under their public names, which Python's argument errors quote, and kept out of
# this module's namespace: torch.fft has no stft)
_stft, _istft = stft, istft
del stft, istft

__getattr__ = _module_getattr("torch.fft")
