"""``ember.linalg``: PyTorch's ``torch.linalg`` on the LAPACK behind NumPy (or CuPy).

The factorizations (``inv``, ``det``, ``slogdet``, ``solve``, ``cholesky``, ``eigh``, ``svd``,
``qr``) are primitives with their own gradient rules, written with ember's ops so that they
work on every device.  Everything else (``norm``, ``matrix_norm``, ``pinv``, ``lstsq``,
``cond``, ``matrix_rank``, ``matrix_power``, ``multi_dot``, ``cross``, ``vecdot``) is built
from those and needs no rule of its own.

Inputs are batches of real or complex matrices ``(*, m, n)``; results match PyTorch's up to
the rounding of the LAPACK each library links, and the signs (complex phases) of singular and
eigen vectors follow LAPACK's (as PyTorch's do, but they are only defined up to them: the
gradients refuse a complex loss that depends on those phases, as PyTorch's do).
"""
from __future__ import annotations
from ember._warnings import warn_once

import math

import numpy as np

from . import _dtype as D
from ._ops import _core
from ._ops._core import OUT, make, make_multi, norm_dim, quiet, wrap, xp_of
from ._ops._core import fused_op, need_tensor
from ._ops.linalg import matmul as _matmul
from ._tensor import Tensor
from ._unsupported import module_getattr as _module_getattr
from .return_types import make_return


def matmul(input, other, *, out=None):
    """``torch.linalg.matmul``: :func:`ember.matmul` (its ``out=`` too)."""
    if out is None:
        return _matmul(input, other)
    from . import matmul as public

    return public(input, other, out=out)


def _exact(text):
    """A check for ``_out``: ``out`` must have the result's dtype, else ``text`` formatted
    with them (``{res}``/``{out}``: PyTorch's legacy names, ``{res_cpp}``/``{out_cpp}``:
    C++'s)."""
    return lambda res, out, k=0: None if res is out else text.format(
        res=_core._legacy(res), out=_core._legacy(out), res_cpp=D.cpp_name(res),
        out_cpp=D.cpp_name(out))


def _castable(name, what="result"):
    """A check for ``_out``: the result must cast safely into ``out``'s dtype (PyTorch's
    ``checkLinalgCompatibleDtype``); ``what``: the output's name, or a tuple of them."""
    def check(res, out, k=0):
        if D.can_cast(res, out):
            return None
        name_k = what[k] if isinstance(what, tuple) else what
        return (f"{name}: Expected {name_k} to be safely castable from {_core._legacy(res)} "
                f"dtype, but got {name_k} with dtype {_core._legacy(out)}")
    return check


_EXACT = _exact("Expected out tensor to have dtype {res_cpp}, but got {out_cpp} instead")


def _out(res, out, check=_EXACT, name=None, strided=True):
    """``res`` written into a caller's ``out=`` (see ``into_out``), whose tensors' dtypes
    ``check`` first (a structured kernel's: exactly the results').  ``strided``: an ``out``
    view resized in its base's memory takes the result's strides there, as PyTorch's
    structured kernels' ``set_output_strided`` gives it (its LAPACK results' column-major
    ones), where ``resize_`` alone would give contiguous strides."""
    _check_out(res, out, check)
    pairs = () if out is None or not strided else \
        zip(out, res) if isinstance(out, (tuple, list)) else ((out, res),)
    views = [(o, r) for o, r in pairs if isinstance(o, Tensor) and isinstance(r, Tensor) and
             o._base is not None and tuple(o.shape) != tuple(r.shape)]
    done = _core.into_out(res, out, name)
    for o, r in views:
        _restride_out(o, r._data)
    return done


def _restride_out(o, r):
    """Lay ``out`` view ``o``, just resized contiguous in its base's memory, out as array ``r``
    (where that is a dense permuted layout of the same elements)."""
    from ._ops.shape import _as_strided, as_strided_view, storage_offset

    a = o._data
    if type(a) is not np.ndarray or not a.flags.c_contiguous or a.shape != r.shape or \
            r.flags.c_contiguous:
        return
    dims = sorted((s, n) for s, n in zip(r.strides, r.shape) if n > 1)
    step = r.itemsize
    for s, n in dims:
        if s != step:
            return
        step *= n
    stride = tuple(s // r.itemsize for s in r.strides)
    values = a.copy()
    o._data = _as_strided(a, a.shape, tuple(s * a.itemsize for s in stride))
    o._data[...] = values
    if o._view_fn is not None:  # (its history, redone from the base: the new geometry)
        size, at = tuple(a.shape), storage_offset(o) - storage_offset(o._base)
        o._view_fn = lambda b: as_strided_view(b, size, stride, at)
        o.__dict__.pop("_replay", None)


def _copied_out(res, out, check):
    """``_out`` of a composite op whose ``out=`` form PyTorch writes with ``out.copy_(res)``
    (``linalg.norm``, ``matrix_norm``): a result that requires grad is recorded as copied
    (``CopyBackwards``), not refused."""
    if not (isinstance(out, Tensor) and isinstance(res, Tensor) and _core.STATE.enabled and
            (res.requires_grad or out.requires_grad)):
        return _out(res, out, check)
    _check_out(res, out, check)
    _core.check_inplace(out)  # (a leaf that requires grad: copy_'s refusal)
    if not out.requires_grad:
        _core.write_out(out, res.detach())  # (resized as PyTorch's, with its warning)
    return out.copy_(res)


def _check_out(res, out, check):
    """PyTorch's refusal (``check``'s message) of ``out=`` tensors of the wrong dtypes."""
    if out is not None and check is not None:
        pairs = zip(out, res) if isinstance(out, (tuple, list)) else ((out, res),)
        for k, (o, r) in enumerate(pairs):
            if isinstance(o, Tensor) and isinstance(r, Tensor):
                message = check(r.dtype, o.dtype, k)
                if message:
                    raise RuntimeError(message)


class _LinAlgError(RuntimeError):
    """A factorization failed on its input (singular, or not positive-definite)."""


_LinAlgError.__module__ = "torch._C"
LinAlgError = _LinAlgError


# -- checks -----------------------------------------------------------------------------

def _check_float(A, fn):
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_{fn}(): argument 'A' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    low = A.dtype in (D.float16, D.bfloat16)
    if A._device.type == "cpu" and (low or (fn in ("eigh", "eigvalsh") and not (
            A.dtype.is_floating_point or A.dtype.is_complex))):
        _refuse_low_precision(A, fn)
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"linalg.{fn}: Expected a floating point or complex tensor as input. "
                           f"Got {_core._legacy(A.dtype)}")
    if low:
        raise RuntimeError(f"linalg.{fn}: Low precision dtypes not supported. Got "
                           f"{_core._legacy(A.dtype)}")


# PyTorch refuses half and bfloat16 matrices (integers too, for eigh) in the CPU kernel each
# function dispatches to, with that kernel's NotImplementedError; a few check first.
_LOW_KERNEL = {"svd": "linalg_svd_cpu", "svdvals": "linalg_svd_cpu", "cond": "linalg_svd_cpu",
               "eigh": "linalg_eigh_cpu", "eigvalsh": "linalg_eigh_cpu", "qr": "geqrf_cpu",
               "cholesky": "cholesky_cpu", "det": "lu_cpu", "solve": "lu_cpu",
               "solve_triangular": "triangular_solve_cpu", "eig": "linalg_eig_out_cpu",
               "eigvals": "linalg_eig_out_cpu"}
_LOW_ONLY_FLOAT = ("lstsq", "matrix_rank")  # "This function doesn't handle types other ..."


def _refuse_low_precision(A, fn):
    name = _core._legacy(A.dtype)
    if fn in _LOW_KERNEL:
        raise NotImplementedError(f'"{_LOW_KERNEL[fn]}" not implemented for \'{name}\'')
    if fn in _LOW_ONLY_FLOAT:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if fn == "pinv":
        raise RuntimeError(f"linalg.pinv({name}{{{list(A.shape)}}}): expected a tensor with 2 "
                           "or more dimensions of float, double, cfloat or cdouble types")


def _check_matrix(A, fn, square=False, shown=None):
    """``A`` is a (square) float matrix (or a batch of them) for ``linalg.<fn>``, which
    reports errors as ``linalg.<shown>`` (the function it calls) where that differs."""
    shown = shown or fn
    if fn == "solve" and isinstance(A, Tensor) and not (A.dtype.is_floating_point
                                                        or A.dtype.is_complex):
        _check_float(A, fn)  # (the one that refuses an integer matrix first)
    if isinstance(A, Tensor):  # (PyTorch checks the shape before the dtype)
        if A.ndim < 2:
            raise RuntimeError(f"linalg.{shown}: The input tensor A must have at least 2 "
                               "dimensions.")
        if square and A.shape[-1] != A.shape[-2]:
            raise RuntimeError(f"linalg.{shown}: A must be batches of square matrices, but "
                               f"they are {A.shape[-2]} by {A.shape[-1]} matrices")
    _check_float(A, shown)


def _check_float_double(A, fn, what):
    """``matrix_rank`` and ``lstsq``: at least 2 dims, then float or double only."""
    if isinstance(A, Tensor):
        if A.ndim < 2:
            raise RuntimeError(f"torch.linalg.{fn}: {what} must have at least 2 dimensions.")
        if not (A.dtype.is_floating_point or A.dtype.is_complex) or A.dtype.itemsize < 4:
            raise RuntimeError("This function doesn't handle types other than float and double")


def _mT(t):
    return t.transpose(-2, -1)


def _colmajor(arr):
    """``arr`` with each matrix in column-major (LAPACK's) order, the batch outermost: the
    strides PyTorch gives its LAPACK results (``(n * k, 1, n)`` for ``(b, n, k)``); the array
    itself where it has fewer than two dimensions or is already laid out so."""
    if arr.ndim < 2:
        return arr
    t = arr.swapaxes(-1, -2)
    if t.flags.c_contiguous and all(d > 1 for d in arr.shape):  # (a size-1 dim's stride: any)
        return arr
    return t.copy(order="C").swapaxes(-1, -2)


def _colmajor_t(t, rows=0):
    """A tensor's ``_colmajor``: a copy of ``t`` (recorded as one) with those strides; with
    ``rows``, the first rows of a column-major buffer of that many (as ``lstsq``'s)."""
    from ._ops.more_tensor import empty_strided

    shape = tuple(t.shape)
    if len(shape) < 2:
        return t
    n = shape[-2]
    shape = shape[:-2] + (max(rows, n), shape[-1])
    strides, step = [0] * len(shape), 1
    for d in (len(shape) - 2, len(shape) - 1, *range(len(shape) - 3, -1, -1)):
        strides[d] = step
        step *= max(shape[d], 1)
    res = empty_strided(shape, tuple(strides), dtype=t.dtype, device=t.device)
    if shape[-2] != n:
        res = res[..., :n, :]
    res.copy_(t)
    res._vc.v = 0  # (a fresh result, as LAPACK's output: no in-place change seen)
    return res


def _mH(t):
    """The conjugate transpose (the transpose of a real matrix)."""
    t = t.transpose(-2, -1)
    return t.conj() if t.dtype.is_complex else t


def _real_dtype(A):
    """The real dtype of A's precision (what singular values and ``log|det|`` come in)."""
    return A.dtype.to_real() if A.dtype.is_complex else A.dtype


def _batch_prefix(A, index):
    return f"(Batch element {index}): " if A.ndim > 2 else ""


def _first_failure(arr, test):
    """The batch index (and what ``test`` found there) of the first matrix ``test`` rejects."""
    host = _core.to_host(arr).reshape((-1,) + arr.shape[-2:])
    for i, m in enumerate(host):
        found = test(m)
        if found:
            return i, found
    return 0, arr.shape[-1]  # LAPACK saw a zero pivot that this recount rounds away


def _zero_pivot(m):
    """1-based index of the first zero pivot of ``m``'s LU factorization with partial
    pivoting (what PyTorch reports for a singular matrix), or 0 if there is none."""
    u = m.astype(m.dtype, copy=True)
    n = u.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1:, k:] -= np.outer(u[k + 1:, k] / u[k, k], u[k, k:])
    return 0


def _not_positive_minor(m):
    """1-based order of the first leading minor of ``m`` (lower triangle) that is not
    positive-definite, or 0.  A complex matrix is read as Hermitian: its lower triangle and
    the real parts of its diagonal, as LAPACK reads it."""
    lower = np.tril(m).astype(np.complex128 if m.dtype.kind == "c" else np.float64)
    a = lower + np.tril(lower, -1).conj().T
    n = a.shape[0]
    chol = np.zeros_like(a)
    for k in range(n):
        d = (a[k, k] - chol[k, :k] @ chol[k, :k].conj()).real
        if not d > 0:
            return k + 1
        chol[k, k] = math.sqrt(d)
        chol[k + 1:, k] = (a[k + 1:, k] - chol[k + 1:, :k] @ chol[k, :k].conj()) / chol[k, k]
    return 0


def _lapack(call, A, fn, on_error):
    """Run ``call`` on A's array; a LAPACK failure becomes PyTorch's error."""
    xp = xp_of(A)
    try:
        with quiet, _raising(xp):
            return call(xp, A._data)
    except (np.linalg.LinAlgError, ValueError) as e:  # CuPy raises NumPy's LinAlgError too
        if on_error is None:
            raise _LinAlgError(f"linalg.{fn}: {e}") from None
        on_error()
        raise


def _raising(xp):
    """On a GPU, CuPy's switch that makes its solvers check for failure (and wait for the GPU,
    as PyTorch's CUDA linalg does to raise its errors)."""
    if xp is not np:
        try:
            import cupyx
            return cupyx.errstate(linalg="raise")
        except ImportError:  # the simulated GPU: NumPy's solvers raise anyway
            pass
    import contextlib
    return contextlib.nullcontext()


def _singular(A, fn):
    def fail():
        i, k = _first_failure(A._data, _zero_pivot)
        raise _LinAlgError(f"linalg.{fn}: {_batch_prefix(A, i)}The diagonal element {k} is zero, "
                           "the inversion could not be completed because the input matrix is "
                           "singular.")
    return fail


# -- inverse, determinant, solve ----------------------------------------------------------

def _inv_rule(ctx, g):
    (inv_a,) = ctx.saved
    inv_t = _mT(inv_a)
    return (-matmul(matmul(inv_t, g), inv_t),)


def inv(A, *, out=None):
    """The inverse of each square matrix in ``A``."""
    _check_matrix(A, "inv", square=True)
    arr = _colmajor(_lapack(lambda xp, a: xp.linalg.inv(a), A, "inv", _singular(A, "inv")))
    return _out(make(arr, (A,), "LinalgInvExBackward0", _inv_rule, OUT), out)


def _ex(factor, A, src, test, check_errors, name, names):
    """The ``*_ex`` form of a factorization: the result and per-matrix ``info`` (0 where the
    factorization succeeded, else what ``test`` reports on ``src``).  Matrices that fail
    give NaNs (unless ``check_errors``); the others keep their results and gradients."""
    try:
        res = factor(A)
        info = wrap(xp_of(A).zeros(A.shape[:-2], np.int32), A._device)
    except _LinAlgError:
        if check_errors:
            raise
        info = _info(src._data, test, A._device)
        from ._ops.shape import stack
        flat = A.reshape((-1,) + A.shape[-2:])
        parts = [factor(m) if code == 0 else m.new_full(m.shape, math.nan)
                 for m, code in zip(flat.unbind(0), info.reshape(-1).tolist())]
        res = stack(parts).reshape(A.shape)
    return make_return(name, res, info, names=names)


def inv_ex(A, *, check_errors=False, out=None):
    """``inv`` with an ``info`` tensor (0 where the matrix was invertible)."""
    _check_matrix(A, "inv", square=True)
    return _out(_ex(inv, A, A, _zero_pivot, check_errors, "linalg_inv_ex", ("inverse", "info")),
                out)


def _info(arr, test, device):
    host = _core.to_host(arr)
    flat = host.reshape((-1,) + host.shape[-2:])
    codes = np.array([test(m) for m in flat], np.int32).reshape(host.shape[:-2])
    return wrap(codes).to(device)


def det(A, *, out=None):
    """The determinant of each square matrix in ``A``."""
    _check_matrix(A, "det", square=True)
    if type(A._data) is np.ndarray and A._data.dtype in (np.float32, np.float64, np.complex64,
                                                         np.complex128):
        # (a complex one measured closer to PyTorch's factored as it is, not transposed)
        arr = _det_real(A._data, A.is_contiguous() and not A.dtype.is_complex)
    else:
        arr = _lapack(lambda xp, a: xp.linalg.det(a), A, "det", None)
    return _out(make(arr, (A,), "LinalgDetBackward0", _det_rule, A, OUT), out)


def _det_real(a, contiguous=True, inverse=False):
    """PyTorch's determinant of real matrices ``a`` (..., n, n): the LU of ``a``'s transpose
    (PyTorch factors ``A.mH``, a column-major view, where ``A`` is contiguous; else ``A``
    itself, copied to columns), the product of its diagonal
    in order from 1, times the sign of its row swaps.  The LU here is MKL's for n up to 16
    (measured): unblocked elimination, multipliers scaled by the pivot's reciprocal (for
    n <= 4 the last one divided by it), updates not blocked (nor fused on the measured AMD
    processor; fused on Intel ones: :func:`_mkl_lu_fused`); larger matrices
    MKL factors in blocks, a few ulp apart.  (NumPy's det is ``sign * exp(logdet)``.)
    Complex matrices go the same way, pivoting on ``|re| + |im|`` as LAPACK's ``izamax``
    (NOTE: a few ulp from MKL's complex arithmetic, but exact where that is, as on
    matrices of small integers, where NumPy's logarithms are not).
    ``inverse``: instead the inverses of the matrices factored (real ones), from this LU (the
    identity carried through the elimination beside them, then back substitution)."""
    n = a.shape[-1]
    m = np.swapaxes(a, -1, -2) if contiguous else a
    m = m.reshape((math.prod(a.shape[:-2]), n, n)).copy()
    if inverse:
        m = np.concatenate([m, np.broadcast_to(np.eye(n, dtype=m.dtype), m.shape)], -1)
    one = m.dtype.type(1)
    cplx = m.dtype.kind == "c"
    rows = np.arange(m.shape[0])
    sign = np.ones(m.shape[0], m.dtype)
    fused = _mkl_lu_fused()
    with quiet:
        for j in range(n - 1):
            c = m[:, j:, j]
            key = np.abs(c.real) + np.abs(c.imag) if cplx else np.abs(c)
            p = j + np.argmax(key, axis=1)  # (the first largest, as LAPACK)
            swap = p != j
            if swap.any():
                r = rows[swap]
                top = m[r, j, :].copy()
                m[r, j, :] = m[r, p[swap], :]
                m[r, p[swap], :] = top
                sign[swap] = -sign[swap]
            d = m[:, j, j, None]
            below = m[:, j + 1:, j]
            col = below / d if n <= 4 and j == n - 2 and not cplx else below * (one / d)
            col = np.where(d != 0, col, below)  # (a zero pivot: LAPACK leaves the column)
            m[:, j + 1:, j] = col
            if fused and not cplx:
                m[:, j + 1:, j + 1:] = _fnma(col[:, :, None], m[:, j, None, j + 1:],
                                             m[:, j + 1:, j + 1:])
            else:
                m[:, j + 1:, j + 1:] -= col[:, :, None] * m[:, j, None, j + 1:]
        if inverse:
            x = m[:, :, n:]
            for i in range(n - 1, -1, -1):
                x[:, i] = (x[:, i] - np.einsum("bk,bkc->bc", m[:, i, i + 1:n], x[:, i + 1:])
                           ) / m[:, i, i, None]
            return x.reshape(a.shape)
        det = np.ones(m.shape[0], m.dtype)
        for k in range(n):
            det *= m[:, k, k]
        det *= sign
    return det.reshape(a.shape[:-2])


_LU_FUSED = []


def _mkl_lu_fused() -> bool:
    """Whether MKL's LU here updates the trailing matrix with fused multiply-adds: on Intel
    processors with FMA (measured on family 6 model 167: every real det of :func:`_det_real`'s
    test matrices, n up to 16, bit for bit).  NOTE: on the AMD processor ember's kernels were
    measured on, MKL rounds the product and the difference apart (no FMA), so a rank-deficient
    matrix's LU may meet an exact zero pivot there (det 0, gradient 0) and not here."""
    if not _LU_FUSED:
        from . import _cpuinfo
        _LU_FUSED.append(_cpuinfo.x86_64() and _cpuinfo.model_id()[0] == "GenuineIntel"
                         and "fma" in _cpuinfo.first("flags", "").split())
    return _LU_FUSED[0]


def _two_sum(a, b):
    """``a + b`` rounded, and its rounding error (exact: Knuth's TwoSum)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _to_odd(s, err):
    """The sum ``s`` (rounded to nearest, ``err`` its error) rounded to odd instead: an inexact
    one with an even last bit moved one ulp toward the exact value."""
    fix = (err != 0) & np.isfinite(err) & ((s.view(np.int64) & 1) == 0)
    if fix.any():
        s = np.where(fix, np.nextafter(s, np.where(err > 0, np.inf, -np.inf)), s)
    return s


def _fma(a, b, c):
    """``a * b + c`` rounded once (float32 or float64 arrays, broadcast): float32's through an
    exact float64 product and a sum rounded to odd; float64's by Boldo and Melquiond's
    emulation (Dekker's exact product, TwoSum, a sum rounded to odd, a last rounded add)."""
    if a.dtype == np.float32:
        s, err = _two_sum(a.astype(np.float64) * b.astype(np.float64), c.astype(np.float64))
        return _to_odd(s, err).astype(np.float32)

    def split(x):
        t = 134217729.0 * x  # (2 ** 27 + 1: Veltkamp's split into two 26-bit halves)
        hi = t - (t - x)
        return hi, x - hi
    uh = a * b
    (ah, al), (bh, bl) = split(a), split(b)
    ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(c, uh)
    r = th + _to_odd(*_two_sum(tl, ul))
    # (infinities, NaNs, a split's overflow; and a zero's sign, which a*b + c has exactly
    # where it is 0: a*b is then c's negative or a zero itself)
    return np.where(np.isfinite(r) & (r != 0), r, uh + c)


def _fnma(a, b, c):
    """``c - a * b`` rounded once; a NaN as the unfused form gives it (its sign: NaN operands
    pass through the hardware's negated multiply-add unnegated)."""
    r = _fma(-a, b, c)
    nan = np.isnan(r)
    return np.where(nan, c - a * b, r) if nan.any() else r


def _det_rule(ctx, g):
    a, d = ctx.saved
    # d det / dA = det(A) A^{-T}.  NOTE: as in PyTorch, a matrix whose LU factorization has
    # a zero pivot (det exactly 0) gets a zero gradient, though its adjugate may not be 0.
    singular = (d == 0).unsqueeze(-1).unsqueeze(-1)
    safe = a.masked_fill(singular, 0.0) + singular * _eye_like(a, a.shape[-1])
    try:
        inv_t = _mT(inv(safe))
    except _LinAlgError:
        if not (type(safe._data) is np.ndarray and safe._data.dtype.kind == "f"):
            raise
        # NOTE: det's own LU met no zero pivot (det != 0), NumPy's did: A^-T from det's LU,
        # as PyTorch solves with the LU its det came from (a rank-deficient matrix whose
        # rounding leaves a tiny pivot: on Intel processors, see _mkl_lu_fused)
        cont = a.is_contiguous()
        x = _det_real(safe._data, cont, inverse=True)  # (the inverse of safe^T, or of safe)
        inv_t = wrap(x if cont else np.swapaxes(x, -1, -2).copy())
    return ((g * d).unsqueeze(-1).unsqueeze(-1) * inv_t,)


def slogdet(A, *, out=None):
    """``(sign, log|det|)`` of each square matrix in ``A``."""
    _check_matrix(A, "slogdet", square=True)
    sign, logabs = _lapack(lambda xp, a: xp.linalg.slogdet(a), A, "slogdet", None)
    xp = xp_of(A)
    sign, logabs = xp.asarray(sign, A.dtype.np), xp.asarray(logabs, _real_dtype(A).np)
    res = make_multi((sign, logabs), (A,), "LinalgSlogdetBackward0", _slogdet_rule)
    _save_outputs(res, A, res[0])
    return _out(make_return("linalg_slogdet", *res, names=("sign", "logabsdet")), out)


def slogdet_(input, *, out=None):
    """``torch.slogdet`` / ``Tensor.slogdet``: :func:`slogdet` under its older result name
    (``torch.return_types.slogdet``)."""
    sign, logabs = slogdet(input)
    return _out(make_return("slogdet", sign, logabs, names=("sign", "logabsdet")), out)


def _slogdet_rule(ctx, g_sign, g_log):
    a, sign = ctx.saved
    # log det A = log|det A| + i angle(det A) is holomorphic with derivative A^{-T}.  A real
    # sign is piecewise constant (no gradient); a complex one, sign = e^{i angle}, gives the
    # angle the gradient Im(g_sign conj(sign)), so log det receives g_log + i that.
    g = g_log
    if a.dtype.is_complex:
        from ._ops.complex import complex_
        g = complex_(g_log, (g_sign * sign.conj()).imag)
    # NOTE: a singular matrix (sign 0) gets NaNs, as PyTorch's LU solve gives it
    singular = (sign == 0).unsqueeze(-1).unsqueeze(-1)
    if singular.any():
        a = a.masked_fill(singular, 0.0) + singular * _eye_like(a, a.shape[-1])
        g = g.unsqueeze(-1).unsqueeze(-1).masked_fill(singular, math.nan).squeeze((-2, -1))
    return (g.unsqueeze(-1).unsqueeze(-1) * _mH(inv(a)),)


def logdet(A):
    """``log(det(A))``: nan for a negative determinant, -inf for a zero one; for complex
    ``A``, ``log|det A| + i angle(det A)``."""
    need_tensor(A, "logdet")  # (PyTorch's own checks, named after logdet)
    if isinstance(A, Tensor):
        if A.ndim < 2:
            raise RuntimeError("logdet: The input tensor A must have at least 2 dimensions.")
        if A.shape[-1] != A.shape[-2]:
            raise RuntimeError("logdet: A must be batches of square matrices, but they are "
                               f"{A.shape[-2]} by {A.shape[-1]} matrices")
        if not (A.dtype.is_floating_point or A.dtype.is_complex):
            raise RuntimeError("logdet: Expected a floating point or complex tensor as input. "
                               f"Got {_core._legacy(A.dtype)}")
        if A.dtype in (D.float16, D.bfloat16):
            raise RuntimeError("logdet: Low precision dtypes not supported. Got "
                               f"{_core._legacy(A.dtype)}")
    sign, logabs = slogdet(A)
    if A.dtype.is_complex:
        res = logabs + sign.log()
        # NOTE: PyTorch's sum of log(0) = -inf + 0j and a real -inf has a NaN imaginary part
        # (its complex add multiplies by alpha = 1 + 0j): a zero determinant gives -inf + nanj
        zero = sign._data == 0
        if zero.any():
            res._data[zero] = complex(-math.inf, math.nan)
        return res
    from ._ops.pointwise import where
    return where(sign < 0, math.nan, logabs)


def _vector_rhs(A, B):
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])


@fused_op("LinalgSolveExBackward0", keep=(0, OUT))  # (as PyTorch's: A, the result)
def solve(A, B, *, left=True, out=None):
    """``X`` with ``A X = B`` (``X A = B`` with ``left=False``)."""
    _check_matrix(A, "solve", square=True)
    _check_float(B, "solve")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {_core._legacy(A.dtype)} and B of type "
                           f"{_core._legacy(B.dtype)} instead")
    vec = _vector_rhs(A, B)
    Bm = B.unsqueeze(-1) if vec else B
    if not left:
        if Bm.shape[-1] != A.shape[-2]:
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                               f"XA = B ({A.shape[-2]}x{A.shape[-1]} and {Bm.shape[-2]}x"
                               f"{Bm.shape[-1]})")
        if vec:
            raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not "
                               "supported for left=False. In this case linalg.solve is "
                               "equivalent to B / A.squeeze(-1)")
        return _out(_mT(solve(_mT(A), _mT(B))), out)
    if Bm.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B"
                           f" ({A.shape[-2]}x{A.shape[-1]} and {Bm.shape[-2]}x{Bm.shape[-1]})")
    batch = np.broadcast_shapes(A.shape[:-2], Bm.shape[:-2])
    xp = xp_of(A)
    Aa = xp.broadcast_to(A._data, batch + A.shape[-2:])
    Ba = xp.broadcast_to(Bm._data, batch + Bm.shape[-2:])

    def fail():
        # (the index is in A's own batch, before broadcasting, as PyTorch reports it)
        i = _first_failure(A._data, _zero_pivot)[0]
        raise _LinAlgError(f"torch.linalg.solve: {_batch_prefix(A, i)}The solver failed "
                           "because the input matrix is singular.")

    try:
        with quiet:
            arr = xp.linalg.solve(Aa, Ba)
    except np.linalg.LinAlgError:
        fail()
    # (column-major as PyTorch's; a vector result is laid out as a matrix of its own shape)
    if vec:  # (the trailing 1 with a stride of its own: NumPy's [..., None] would give 0)
        v = _colmajor(arr[..., 0])
        arr = xp.lib.stride_tricks.as_strided(v, v.shape + (1,), v.strides + (v.itemsize,))
    else:
        arr = _colmajor(arr)
    X = make(arr, (A, Bm), "LinalgSolveExBackward0", _solve_rule, A, OUT)
    return _out(X.squeeze(-1) if vec else X, out)


def _solve_rule(ctx, g):
    a, x = ctx.saved
    gb = solve(_mT(a), g)
    ga = -matmul(gb, _mT(x)) if ctx.needs_input_grad[0] else None
    return (_core.sum_to(ga, a.shape) if ga is not None else None,
            gb if ctx.needs_input_grad[1] else None)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """``solve`` with an ``info`` tensor (0 where ``A`` was invertible; if one is not, the
    whole result is NaN)."""
    _check_matrix(A, "solve", square=True)
    try:
        res = solve(A, B, left=left)
        info = wrap(xp_of(A).zeros(A.shape[:-2], np.int32), A._device)
    except _LinAlgError:
        if check_errors:
            raise
        shape = solve(_eye_like(A, A.shape[-1]).expand(A.shape), B, left=left).shape
        res = wrap(xp_of(A).full(shape, np.nan, A.dtype.np), A._device)
        info = _info(A._data, _zero_pivot, A._device)
    return _out(make_return("linalg_solve_ex", res, info, names=("result", "info")), out)


# -- Cholesky, eigh, SVD, QR ---------------------------------------------------------------

def cholesky(A, *, upper=False, out=None):
    """The lower (or upper) Cholesky factor of each Hermitian positive-definite matrix (only
    its lower triangle, or upper with ``upper``, is read)."""
    _check_matrix(A, "cholesky", square=True)
    return _out(_cholesky(A, upper, "linalg.cholesky"), out)


def _cholesky(A, upper, fn):
    xp = xp_of(A)
    src = xp.conj(xp.swapaxes(A._data, -1, -2)) if upper else A._data  # lower of A, or of A^H

    def fail():
        i, k = _first_failure(src, _not_positive_minor)
        raise _LinAlgError(f"{fn}: {_batch_prefix(A, i)}The factorization could not "
                           f"be completed because the input is not positive-definite (the "
                           f"leading minor of order {k} is not positive-definite).")

    arr = _lapack(lambda xp, a: xp.linalg.cholesky(src), A, "cholesky", fail)
    # (column-major, as PyTorch's; U = L^H a new array, not a conjugate view)
    arr = xp.swapaxes(xp.conj(arr), -1, -2) if upper else _colmajor(arr)
    return make(arr, (A,), "LinalgCholeskyExBackward0", _cholesky_rule, OUT, upper)


@_core.complex_ready
def _cholesky_rule(ctx, g):
    L, upper = ctx.saved
    if upper:
        # NOTE: as PyTorch, the rule for L = U^H with gL = gU^H, its result not conjugate
        # transposed back (the same gradient on the Hermitian matrices A is restricted to)
        L, g = _mH(L), _mH(g)
    # A = L L^H: with P = tril(L^H gL), phi = (P + tril(P, -1)^H) / 2 and
    # gA = L^{-H} phi L^{-1} (symmetric for real A).  NOTE: as in PyTorch, phi keeps the
    # imaginary part of P's diagonal, so a complex gA is not Hermitian; its anti-Hermitian
    # part is invisible to Hermitian perturbations, the only ones cholesky's input allows.
    p = matmul(_mH(L), g).tril()
    phi = 0.5 * (p + _mH(p.tril(-1)))
    inv_l = inv(L)
    return (matmul(matmul(_mH(inv_l), phi), inv_l),)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """``cholesky`` with an ``info`` tensor (the order of the failing minor, or 0)."""
    _check_matrix(A, "cholesky", square=True)
    src = _mH(A.detach()) if upper else A
    return _out(_ex(lambda m: _cholesky(m, upper, "linalg.cholesky_ex"), A, src,
                    _not_positive_minor, check_errors, "linalg_cholesky_ex", ("L", "info")), out)


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices."""
    _check_matrix(A, "eigh", square=True)
    _check_uplo(UPLO, "eigh")
    w, v = _lapack(lambda xp, a: xp.linalg.eigh(a, UPLO=UPLO), A, "eigh", None)
    v = _colmajor(v)
    res = make_multi((w, v), (A,), "LinalgEighBackward0", _eigh_rule)
    _save_outputs(res, *res)
    return _out(make_return("linalg_eigh", *res, names=("eigenvalues", "eigenvectors")), out)


def _check_uplo(UPLO, fn):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


_PHASE = ("{}: The {} in the complex case are specified up to multiplication by e^{{i phi}}. "
          "The specified loss function depends on this {}")


def _check_phase(im_u, im_v, fn, what, tail):
    """PyTorch's refusal of a loss that depends on the arbitrary phases of complex singular
    or eigen vectors: the imaginary diagonal ``im_u`` of ``U^H gU`` must be minus the other
    side's ``im_v`` (zero for eigenvectors), within PyTorch's lax allclose (1e-2, 1e-2)."""
    if ((im_u + im_v).abs() > 1e-2 + 1e-2 * im_v.abs()).any():
        raise RuntimeError(_PHASE.format(fn, what, tail))


def _eigh_rule(ctx, gw, gv):
    w, v = ctx.saved
    gw, gv = _given(gw), _given(gv)
    inner = None
    if gv is not None:
        vg = matmul(_mH(v), gv)
        if vg.dtype.is_complex:
            im = vg.diagonal(0, -2, -1).imag
            _check_phase(im, im.new_zeros(im.shape), "linalg_eigh_backward", "eigenvectors",
                         "quantity, so it is ill-defined.")
        gap = w.unsqueeze(-2) - w.unsqueeze(-1)  # gap[i, j] = w_j - w_i
        n = w.shape[-1]
        eye = _eye_like(w, n)
        inner = 0.5 * (vg - _mH(vg)) / (gap + eye) * (1 - eye)
    if gw is not None:
        inner = gw.diag_embed() if inner is None else inner + gw.diag_embed()
    if inner is None:
        return (v.new_zeros(v.shape),)
    return (matmul(matmul(v, inner.to(v.dtype)), _mH(v)),)


def _eye_like(t, n):
    return wrap(xp_of(t).eye(n, dtype=t.dtype.np), t._device)


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues (ascending) of symmetric matrices."""
    _check_matrix(A, "eigvalsh", square=True, shown="eigh")
    _check_uplo(UPLO, "eigvalsh")
    if _core.needs_grad((A,)):  # (through eigh, whose vectors then take part in a double
        return _out(eigh(A, UPLO).eigenvalues, out)  # backward, as PyTorch's)
    w, v = _lapack(lambda xp, a: xp.linalg.eigh(a, UPLO=UPLO), A, "eigvalsh", None)
    return _out(wrap(w, A._device), out)


def _save_outputs(res, *items):
    """Save ``items`` (a multi-output op's own outputs among them) for its backward, once
    the outputs exist: kept as outputs, a double backward sees how they depend on the
    input, as PyTorch's does."""
    node = next((o.grad_fn for o in res if o.grad_fn is not None), None)
    if node is not None:
        node.save(*items)


def _given(g):
    """A multi-output node's gradient, or None where it is all zeros: the engine fills in
    zeros for outputs nothing used, and the full formulas divide by eigenvalue gaps that
    those terms must not see."""
    return g if _core.to_host(g._data).any() else None


def svd(A, full_matrices=True, *, driver=None, out=None):
    """``U, S, Vh`` with ``A = U diag(S) Vh``."""
    _check_matrix(A, "svd")
    u, s, vh = _lapack(lambda xp, a: xp.linalg.svd(a, full_matrices=full_matrices), A, "svd",
                       _svd_failed(A))
    res = make_multi((_colmajor(u), s, _colmajor(vh)), (A,), "LinalgSvdBackward0", _svd_rule)
    _save_outputs(res, *res)
    return _out(make_return("linalg_svd", *res, names=("U", "S", "Vh")), out)


def _svd_failed(A):
    """PyTorch's error when the SVD does not converge: named by the first matrix with a NaN
    (LAPACK's usual reason)."""
    def fail():
        i, _ = _first_failure(A._data, lambda m: bool(np.isnan(m).any()))
        raise _LinAlgError(f"linalg.svd: {_batch_prefix(A, i)}The algorithm failed to converge "
                           "because the input matrix contained non-finite values.")
    return fail


def _svd_rule(ctx, gu, gs, gvh):
    u, s, vh = ctx.saved
    gu, gs, gvh = _given(gu), _given(gs), _given(gvh)
    m, n = u.shape[-2], vh.shape[-1]
    k = s.shape[-1]
    u, vh = u.narrow(-1, 0, k), vh.narrow(-2, 0, k)
    if gu is not None:
        gu = gu.narrow(-1, 0, k)
    if gvh is not None:
        gvh = gvh.narrow(-2, 0, k)
    v = _mH(vh)
    inner = gs.diag_embed().to(u.dtype) if gs is not None else None
    if gu is None and gvh is None:
        if inner is None:
            return (u.new_zeros(u.shape[:-1] + vh.shape[-1:]),)
        return (matmul(matmul(u, inner), vh),)
    eye = _eye_like(s, k)
    s2 = s * s
    f = (1 - eye) / (s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye)  # 1 / (s_j^2 - s_i^2)
    sm = s.diag_embed().to(u.dtype)
    term = 0
    uhgu = matmul(_mH(u), gu) if gu is not None else None
    if gu is not None:
        j = f * (uhgu - _mH(uhgu))
        term = term + matmul(j, sm)
    if gvh is not None:
        gv = _mH(gvh)
        vhgv = matmul(_mH(v), gv)
        kk = f * (vhgv - _mH(vhgv))
        term = term + matmul(sm, kk)
    if u.dtype.is_complex:
        # Each pair (u_i, v_i) is defined up to one phase e^{i phi}: a loss must not see it,
        # which makes Im diag(U^H gU) = -Im diag(V^H gV); that part of the gradient then
        # comes through U^H dA V's imaginary diagonal, divided by S.
        im_u = uhgu.diagonal(0, -2, -1).imag if gu is not None else s.new_zeros(s.shape)
        im_v = vhgv.diagonal(0, -2, -1).imag if gvh is not None else s.new_zeros(s.shape)
        _check_phase(im_u, im_v, "svd_backward", "singular vectors",
                     "phase term, making it ill-defined.")
        if gu is not None:
            term = term + (im_u / s * 1j).diag_embed()
    if inner is not None:
        term = term + inner
    ga = matmul(matmul(u, term), vh)
    s_inv = (1 / s).unsqueeze(-2)
    if gu is not None and m > k:
        ga = ga + matmul((gu - matmul(u, uhgu)) * s_inv, vh)
    if gvh is not None and n > k:
        gv = _mH(gvh)
        ga = ga + matmul(u * s_inv, _mH(gv - matmul(v, matmul(_mH(v), gv))))
    return (ga,)


def svdvals(A, *, driver=None, out=None):
    """The singular values (descending) of each matrix in ``A``."""
    _check_matrix(A, "svdvals", shown="svd")
    if _core.needs_grad((A,)):  # (through svd, as eigvalsh through eigh)
        return _out(svd(A, full_matrices=False).S, out)
    s = _lapack(lambda xp, a: xp.linalg.svd(a, compute_uv=False), A, "svdvals",
                _svd_failed(A))
    return _out(wrap(s, A._device), out)


def qr(A, mode="reduced", *, out=None):
    """``Q, R`` with ``A = Q R``, ``Q`` orthonormal and ``R`` upper triangular."""
    _check_matrix(A, "qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    xp = xp_of(A)
    q, r = _lapack(lambda xp, a: xp.linalg.qr(a, mode="complete" if mode == "complete"
                                              else "reduced"), A, "qr", None)
    q, r = _colmajor(q), _colmajor(r)
    if mode == "r":
        q = xp.empty((0,), A.dtype.np)
    res = make_multi((q, r), (A,), "LinalgQrBackward0", _qr_rule if mode != "r" else _qr_r_rule)
    _save_outputs(res, *res)
    return _out(make_return("linalg_qr", *res, names=("Q", "R")), out)


def _qr_r_rule(ctx, gq, gr):
    raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                       "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                       "differentiate through linalg.qr.")


def _qr_rule(ctx, gq, gr):
    q, r = ctx.saved
    gq, gr = _given(gq), _given(gr)
    m, n = q.shape[-2], r.shape[-1]
    if m > n and q.shape[-1] != n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")
    if m >= n:
        return (_qr_square_grad(q, r, gq, gr),)
    # A wide matrix A = [X | Y], X square: X = Q U and R = [U | Q^H Y], so Y gets Q gV, and
    # X the square rule with Q's gradient plus Y gV^H (Y = Q V read back from the factors)
    u, v = r[..., :, :m], r[..., :, m:]
    gu = gv = None
    if gr is not None:
        gu, gv = gr[..., :, :m], gr[..., :, m:]
        y = matmul(q, v)
        gq = matmul(y, _mH(gv)) if gq is None else gq + matmul(y, _mH(gv))
    gx = _qr_square_grad(q, u, gq, gu)
    gy = matmul(q, gv) if gv is not None else gx.new_zeros(gx.shape[:-1] + (n - m,))
    from ._ops.shape import cat

    return (cat([gx, gy], -1),)


def _qr_square_grad(q, r, gq, gr):
    """The gradient of ``A = Q R`` with ``R`` square (A tall, or square)."""
    # M = R gR^H - gQ^H Q, copied from its lower triangle to the upper (made Hermitian, its
    # diagonal's real part kept); gA = (gQ + Q copyltu(M)) R^{-H}
    if gq is None and gr is None:
        return q.new_zeros(q.shape[:-1] + r.shape[-1:])
    m_ = 0
    if gr is not None:
        m_ = matmul(r, _mH(gr))
    if gq is not None:
        m_ = m_ - matmul(_mH(gq), q)
    low = m_.tril(-1)
    sym = low + _mH(low) + m_.diagonal(0, -2, -1).real.diag_embed().to(m_.dtype)
    b = matmul(q, sym) if gq is None else gq + matmul(q, sym)
    # X R^H = b  ->  X = b R^{-H}
    return _mH(solve_triangular(r, _mH(b), upper=True))


@fused_op("LinalgSolveTriangularBackward0", keep=(0, OUT))  # (as PyTorch's: A, the result)
def solve_triangular(A, B, *, upper=None, left=True, unitriangular=False, out=None):
    """``X`` with ``A X = B`` for triangular ``A`` (only its triangle is read)."""
    if upper is None:  # (required: PyTorch's parser's words)
        raise TypeError('linalg_solve_triangular() missing 1 required positional arguments: '
                        '"upper"')
    # (PyTorch's: A's shape, then B's, then its kernel refuses an integer or bool dtype)
    refused = isinstance(A, Tensor) and not (A.dtype.is_floating_point or A.dtype.is_complex)
    if not refused or A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        _check_matrix(A, "solve_triangular", square=True)
    if isinstance(B, Tensor) and B.dtype is not A.dtype:
        # NOTE: as PyTorch, B is cast to A's dtype (a complex B into a real A loses its
        # imaginary part, with the cast's warning), not promoted with it
        B = B.to(A.dtype)
    if isinstance(B, Tensor):  # B is always a (batch of) matrices: never a vector as in solve
        if B.ndim < 2:
            raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least "
                               "2 dimensions.")
        n, (r, c) = A.shape[-1], B.shape[-2:]
        if (r if left else c) != n:
            raise RuntimeError("linalg.solve_triangular: Incompatible shapes of A and B for the "
                               f"equation {'AX = B' if left else 'XA = B'} ({n}x{n} and {r}x{c})")
        _core.check_broadcast(B.shape[:-2], A.shape[:-2])
        batch = tuple(np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2])))
        A, B = A.expand(batch + (n, n)), B.expand(batch + (r, c))
    if refused:
        raise NotImplementedError(f'"triangular_solve_cpu" not implemented for '
                                  f"'{_core._legacy(A.dtype)}'")
    tri = A.triu() if upper else A.tril()
    if unitriangular:
        eye = _eye_like(A, A.shape[-1])
        tri = tri * (1 - eye) + eye
    X = solve(tri, B, left=left)
    return _out(X if left else _colmajor_t(X), out,
                _exact("expected scalar type {res} but found {out}"))


# -- built from the above ----------------------------------------------------------------

def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The ``ord``-norm of ``x`` over ``dim`` (all elements when None), as a vector."""
    if isinstance(ord, (complex, np.complexfloating)):
        raise RuntimeError("linalg.vector_norm: Expected a non-complex scalar as the order of "
                           "norm.")
    if not isinstance(ord, (int, float, np.number, Tensor)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    from ._ops.reduce import vector_norm as _vn
    if type(x) is not Tensor and (x.is_sparse or getattr(x, "_compressed", False)):
        _sparse_vector_norm(x, dim, keepdim)
    if dtype is not None:  # (the input's own dtype is checked first)
        if not (x.dtype.is_floating_point or x.dtype.is_complex):
            raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor "
                               f"as input. Got {_core._legacy(x.dtype)}")
        _check_norm_dtype(dtype, x.dtype, "linalg.vector_norm")
    res = _vn(x, ord, dim, keepdim, dtype=dtype)
    if isinstance(out, Tensor) and isinstance(res, Tensor) and out.shape == res.shape and \
            _core.has_internal_overlap(out._data):
        _check_out(res, out, _EXACT)
        return _norm_into_expanded(x, ord, dim, keepdim, dtype, out)
    return _out(res, out, name="linalg_vector_norm")


def _sparse_vector_norm(x, dim, keepdim):
    """PyTorch's refusals of a sparse ``vector_norm``: no COO kernel; a compressed result
    made first, which fails under two dims (a block layout's at any), then no kernel."""
    from . import _sparse, _sparse_compressed

    if x.is_sparse:
        raise NotImplementedError(_sparse._no_kernel("aten::linalg_vector_norm"))
    dims = range(x.ndim) if dim is None or isinstance(dim, (list, tuple)) and not dim else \
        {_core.norm_dim(d, x.ndim) for d in ([dim] if isinstance(dim, int) else dim)}
    size = [1 if i in dims else n for i, n in enumerate(x.shape) if keepdim or i not in dims]
    if len(size) < 2:
        raise RuntimeError("torch.empty: Only batched sparse compressed (non-block) tensors are "
                           f"supported, but got size {size}")
    if x._cl in ("bsr", "bsc"):
        raise RuntimeError("empty_sparse_compressed expected sparse compressed (non-block) "
                           f"tensor layout but got {_sparse_compressed._NAMES[x._cl][2]}")
    raise NotImplementedError(_sparse_compressed._no_kernel("aten::linalg_vector_norm.out"))


def _norm_into_expanded(x, ord, dim, keepdim, dtype, out):
    """PyTorch's ``vector_norm`` into an expanded ``out``: over ``dim`` and the dims where
    ``out`` has a zero stride too, written into the one element those share."""
    from ._ops.reduce import _dims, vector_norm as _vn

    dims = set(_dims(x, dim))
    at = [i for i in range(x.ndim) if keepdim or i not in dims]  # (each out dim's)
    d = out._data
    extra = {at[i] for i, (n, st) in enumerate(zip(d.shape, d.strides)) if st == 0 and n > 1}
    res = _vn(x, ord, sorted(dims | extra), True, dtype=dtype)
    if not keepdim and dims:
        res = res.squeeze(tuple(sorted(dims)))
    one = tuple(slice(0, 1) if st == 0 and n > 1 else slice(None)
                for n, st in zip(d.shape, d.strides))
    _core.write_out(out[one], res, "linalg_vector_norm")
    return out


def _check_norm_dtype(dtype, have, fn):
    """PyTorch's checks of a norm's ``dtype``: floating or complex as the input is, and one
    that the input's dtype converts to without narrowing."""
    dtype = D.to_dtype(dtype)
    if not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(f"{fn}: dtype should be floating point or complex, but got "
                           f"{_core._legacy(dtype)}")
    if dtype.is_complex != have.is_complex:
        kind = "complex" if have.is_complex else "real"
        raise RuntimeError(f"{fn}: dtype should be {kind} for {kind} inputs, but got "
                           f"{_core._legacy(dtype)}")
    if D.promote_types(have, dtype) is not dtype:
        raise RuntimeError(f"{fn}: the dtype of the input ({_core._legacy(have)}) should be "
                           f"convertible without narrowing to the specified dtype "
                           f"({_core._legacy(dtype)})")


_MATRIX_NORM_OUT = _exact("linalg.matrix_norm expected out tensor dtype {res} but got: {out}")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """The matrix ``ord``-norm of each matrix (over the two dims ``dim``)."""
    if not (ord in ("fro", "nuc") if isinstance(ord, str) else
            ord in (2, -2, 1, -1, math.inf, -math.inf)):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if not (A.dtype.is_floating_point or A.dtype.is_complex) or ord in ("nuc", 2, -2):
        _check_float(A, "matrix_norm")  # (half and bfloat16 only where no svd is needed)
    if len(dim) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(str(d) for d in dim)}")
    if dtype is not None:
        _check_norm_dtype(dtype, A.dtype, "linalg.matrix_norm")
        if ord in ("nuc", 2, -2):  # (the others' vector_norm casts)
            A = A.to(dtype)
    d0, d1 = (norm_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if ord == "fro":
        return _copied_out(vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype), out,
                           _MATRIX_NORM_OUT)
    if ord == "nuc" or ord in (2, -2):
        B = A.movedim((d0, d1), (-2, -1))
        s = svdvals(B)
        # (the largest singular value of an empty matrix is 0, as PyTorch gives)
        r = s.sum(-1) if ord == "nuc" or (ord == 2 and s.shape[-1] == 0) else (
            s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:  # (as PyTorch: two trailing dims, permuted back where d0 and d1 were)
            back = [d for d in range(A.ndim) if d not in (d0, d1)] + [d0, d1]
            r = r.unsqueeze(-1).unsqueeze(-1).permute([back.index(d) for d in range(A.ndim)])
        return _copied_out(r, out, _MATRIX_NORM_OUT)
    if ord in (1, -1, math.inf, -math.inf):
        # as PyTorch: the 1-norms along one dim, then their max (min) along the other
        sum_dim, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = vector_norm(A, 1, sum_dim, keepdim, dtype=dtype)
        if not keepdim and sum_dim < other:
            other -= 1
        r = sums.amax(other, keepdim) if ord > 0 else sums.amin(other, keepdim)
        return _copied_out(r, out, _MATRIX_NORM_OUT)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector norm over one dim (or all, when ``ord`` is None), a matrix norm over two."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                           f"Got {list(dim)}")
    if dim is None and ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {A.ndim}D.")
    # (a string order is always a matrix norm; no order is the vector 2-norm)
    if ord is not None and (isinstance(ord, str) or len(dim or ()) == 2 or
                            dim is None and A.ndim == 2):
        res = matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype)
    else:
        res = vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return _copied_out(res, out,
                       _exact("linalg.norm expected out tensor dtype {res} but got: {out}"))


def pinv(input, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """``torch.linalg.pinv``; its older form ``pinv(A, rcond, hermitian)`` too, whose
    ``rcond`` is a tolerance relative to the largest singular value (``atol=0``)."""
    if rcond is not None:
        atol, rtol = 0.0, rcond
    return _pinv(input, atol=atol, rtol=rtol, hermitian=hermitian, out=out)


@fused_op("LinalgPinvBackward0", keep=(0, OUT))  # (as PyTorch's: A, the result)
def _pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The Moore-Penrose pseudo-inverse, through the SVD (singular values at or below
    ``max(atol, rtol * largest)`` count as zero)."""
    if isinstance(A, Tensor) and (A.ndim < 2 or A.dtype.itemsize < 4 or not (
            A.dtype.is_floating_point or A.dtype.is_complex)):
        raise RuntimeError(f"linalg.pinv({_core._legacy(A.dtype)}{{{list(A.shape)}}}): expected "
                           "a tensor with 2 or more dimensions of float, double, cfloat or "
                           "cdouble types")
    _check_matrix(A, "pinv")
    U, S, Vh = svd(A, full_matrices=False)
    tol = _tolerance(A, S, atol, rtol)
    keep = S > tol
    s_inv = (1 / S.masked_fill(~keep, 1.0)).masked_fill(~keep, 0.0)
    return _out(matmul(_mH(Vh) * s_inv.unsqueeze(-2).to(Vh.dtype), _mH(U)), out,
                _castable("linalg.pinv"))


def _tolerance(A, S, atol, rtol):
    if rtol is None:
        rtol = 0.0 if (atol is not None and atol > 0) else \
            D.finfo(A.dtype).eps * max(A.shape[-2], A.shape[-1])
    top = S.amax(-1, keepdim=True) if S.shape[-1] else S.sum(-1, keepdim=True)
    tol = top.detach() * rtol
    if atol is not None:
        from ._ops.pointwise import clamp_min
        tol = clamp_min(tol, float(atol))
    return tol


def matrix_rank(input, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """How many singular values exceed ``max(atol, rtol * largest)`` (with ``hermitian``, the
    eigenvalues' magnitudes, only the lower triangle read, as PyTorch); PyTorch's older form
    ``matrix_rank(A, tol, hermitian)`` too (``tol``: an absolute tolerance)."""
    A = input
    if tol is not None:
        atol, rtol = tol, 0.0
    _check_float_double(A, "matrix_rank", "The input tensor input")
    _check_matrix(A, "matrix_rank")
    S = eigvalsh(A.detach()).abs() if hermitian else svdvals(A.detach())
    return _out((S > _tolerance(A, S, atol, rtol)).sum(-1), out,
                _castable("torch.linalg.matrix_rank"))


@fused_op("LinalgLstsqBackward0", outputs=(True, True, False, False),
          keep=(0, 1, OUT))  # (as PyTorch's: A, B, the solution)
def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B`` (through the pseudo-inverse)."""
    if isinstance(A, Tensor) and isinstance(B, Tensor) and A.dtype is not B.dtype:
        raise RuntimeError("torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {_core._legacy(A.dtype)} and other's "
                           f"dtype {_core._legacy(B.dtype)}")
    _check_float_double(A, "lstsq", "input")
    _check_matrix(A, "lstsq")
    vec = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vec else B
    if Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A.shape[-2:]
    sol = matmul(pinv(A, rtol=rcond), Bm)
    empty = wrap(xp_of(A).empty((0,), _real_dtype(A).np), A._device)
    driver = driver or "gelsy"
    rank = matrix_rank(A, rtol=rcond) if driver != "gels" else \
        wrap(xp_of(A).empty((0,), np.int64), A._device)
    # (as PyTorch's: the singular values from the SVD drivers, and the squared residuals
    # (of each column of B) where A is tall and, for those, of full rank; gelsy gives none)
    sv = svdvals(A) if driver in ("gelsd", "gelss") else empty
    residuals = empty
    if m > n and driver != "gelsy" and (driver == "gels" or bool((rank == n).all())):
        residuals = (matmul(A, sol) - Bm).abs().square().sum(-2)
    # (LAPACK's layout: the first n rows of a column-major buffer of max(m, n) rows)
    sol = _colmajor_t(sol, m)
    sol = sol.squeeze(-1) if vec else sol
    return make_return("linalg_lstsq", sol, residuals, rank, sv,
                       names=("solution", "residuals", "rank", "singular_values"))


_lstsq = lstsq


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of ``A X = B`` (through the pseudo-inverse)."""
    res = _lstsq(A, B, rcond, driver=driver)
    node = res.solution.grad_fn
    if node is not None and node._out_meta is not None:
        # (as PyTorch's node: an output nothing used passes no gradient, not zeros, so that
        # only an empty residuals' leaves A and B with none)
        node._out_meta, node._materialize = None, False
    return res


_COND_OUT = _castable("linalg.cond")


def cond(input, p=None, *, out=None):
    """The condition number of each matrix in the norm ``p`` (2 when None)."""
    A = input
    if isinstance(p, str):  # (PyTorch's checks, in its order for a named norm)
        _cond_square(A, p)
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    else:
        if isinstance(A, Tensor) and A.ndim < 2:
            raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
        if p is not None and p not in (2, -2, 1, -1, math.inf, -math.inf):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if p is None or p in (2, -2) or p == "nuc":
        _check_matrix(A, "svd")
    if p is None or p in (2, -2):
        S = svdvals(A)
        if S.shape[-1] == 0:  # (empty matrices: 0, as PyTorch gives)
            return _out(S.sum(-1), out, _COND_OUT)
        # as PyTorch's graph: the two end values sliced off, divided, squeezed
        hi, lo = S[..., :1], S[..., -1:]
        return _out((hi / lo if p != -2 else lo / hi).squeeze(-1), out, _COND_OUT)
    if A.numel() == 0:  # (empty matrices: 0, as PyTorch gives)
        return _out(A.new_zeros(A.shape[:-2], dtype=A.dtype.to_real()), out, _COND_OUT)
    if not isinstance(p, str):
        _cond_square(A, f"{p:f}" if isinstance(p, float) else int(p))
    if p == "nuc":  # (PyTorch's: from the singular values, with no inverse)
        S = svdvals(A)
        return _out(S.sum(-1) * S.reciprocal().sum(-1), out, _COND_OUT)
    # as PyTorch: a singular matrix's inverse is infinite (its condition number inf)
    inverse, info = inv_ex(A)
    inverse.masked_fill_(info.unsqueeze(-1).unsqueeze(-1) > 0, math.inf)
    res = matrix_norm(A, p) * matrix_norm(inverse, p)
    return _out(res.nan_to_num_(math.inf, math.inf, -math.inf), out,  # (0 * inf: inf)
                _COND_OUT)


def _cond_square(A, ord):
    """PyTorch's check that ``cond`` of norm ``ord`` has batches of square matrices."""
    if A.ndim < 2:
        raise RuntimeError(f"linalg.cond(ord={ord}): The input tensor A must have at least 2 "
                           "dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.cond(ord={ord}): A must be batches of square matrices, but "
                           f"they are {A.shape[-2]} by {A.shape[-1]} matrices")


def matrix_power(A, n, *, out=None):
    """``A`` multiplied by itself ``n`` times (the inverse's powers for negative ``n``)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 "
                           "dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but "
                           f"they are {A.shape[-2]} by {A.shape[-1]} matrices")
    if n == 0:  # identities, a copy in the graph (with zero gradient), as in PyTorch
        xp = xp_of(A)
        ident = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A.dtype.np), A.shape).copy()
        # (PyTorch copies them into a clone of A: edges to that clone and to the constant)
        return _out(make(ident, (A.clone(), None), "CopyBackwards",
                         lambda ctx, g: (g * 0, None)), out)
    if n == 1:  # (PyTorch's: a contiguous copy)
        from ._ops.shape import contiguous_format

        return _out(A.clone(memory_format=contiguous_format), out)
    base = inv(A) if n < 0 else A
    n = abs(n)
    result, power = None, base
    if n == 3:  # (PyTorch's special case: (A A) A)
        return _out(matmul(matmul(base, base), base), out)
    while n:  # square-and-multiply, as PyTorch does
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if n:
            power = matmul(power, power)
    return _out(result, out)


# -- matrix exponential -------------------------------------------------------------------
#
# Scaling and squaring with the degree-13 Pade approximant (Higham, "The scaling and squaring
# method for the matrix exponential revisited", 2005): each matrix is halved s times until its
# 1-norm is at most THETA_13, its Pade approximant taken, and the result squared s times.
# PyTorch sums a Taylor series instead (Bader, Blanes and Casas), so the two agree to rounding
# (float32 is computed in float64 here, float16/bfloat16 in float32, and rounded once).

_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(a, xp):
    """exp of each square matrix in array ``a`` (float64 or float32)."""
    if a.size == 0:
        return a.copy()
    with quiet:
        norm = xp.abs(a).sum(-2).max(-1)
        ok = xp.isfinite(norm) & (norm > _THETA13)
        s = xp.where(ok, xp.ceil(xp.log2(xp.where(ok, norm, 1.0) / _THETA13)), 0).astype(np.int64)
        a = a / (2.0 ** s)[..., None, None]
        b = _PADE13
        ident = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape)
        a2 = a @ a
        a4 = a2 @ a2
        a6 = a4 @ a2
        u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4
                 + b[3] * a2 + b[1] * ident)
        v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
            + b[0] * ident
        r = xp.linalg.solve(v - u, v + u)
        for k in range(int(s.max())):
            r = xp.where((s > k)[..., None, None], r @ r, r)
    return r


def _matrix_exp_rule(ctx, g):
    # the Frechet derivative at A^T applied to g: the top-right block of
    # exp([[A^T, g], [0, A^T]]) (differentiable again, for double backward)
    from ._ops.creation import zeros_like
    from ._ops.shape import cat

    (a,) = ctx.saved
    n = a.shape[-1]
    at = _mT(a)
    big = cat([cat([at, g], -1), cat([zeros_like(g), at], -1)], -2)
    return (matrix_exp(big)[..., :n, n:],)


def matrix_exp(A):
    """``exp(A)`` of each square matrix in ``A`` (``torch.linalg.matrix_exp``)."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_matrix_exp(): argument 'input' (position 1) must be Tensor, "
                        f"not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 "
                           "dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but they "
                           f"are {A.shape[-2]} by {A.shape[-1]} matrices")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as "
                           f"input. Got {_core._legacy(A.dtype)}")
    xp = xp_of(A)
    work = np.complex128 if A.dtype.is_complex else \
        np.float64 if A.dtype is D.float64 or A.dtype is D.float32 else np.float32
    arr = _expm(A._data.astype(work), xp).astype(A.dtype.np)
    return make(arr, (A,), "LinalgMatrixExpBackward0", _matrix_exp_rule, A)


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices (the first and last may be vectors), in PyTorch's
    order: two or three by the cheaper pairing, more by the cheapest parenthesization."""
    from ._ops.linalg import _CPP

    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    ts = list(tensors)
    shape = []
    for i, end in ((0, "first"), (n - 1, "last")):
        t = ts[i]
        if t.ndim == 1:
            ts[i] = t.unsqueeze(0) if i == 0 else t.unsqueeze(-1)
        elif t.ndim == 2:
            shape.append(t.shape[0] if i == 0 else t.shape[1])
        else:
            raise RuntimeError(f"multi_dot(): the {end} tensor must be 1D or 2D but got "
                               f"{t.ndim}D")
    for i in range(1, n - 1):
        if ts[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {ts[i].ndim}D")
    for i in range(1, n):
        if ts[i].dtype is not ts[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor "
                               f"0 is {_CPP.get(ts[0].dtype.name, ts[0].dtype.name)} and tensor "
                               f"{i} {_CPP.get(ts[i].dtype.name, ts[i].dtype.name)}")
        _core.check_same_device(ts[0], ts[i])
        if ts[i - 1].shape[-1] != ts[i].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i - 1} and {i} with shapes "
                               f"{list(tensors[i - 1].shape)} and {list(tensors[i].shape)} "
                               f"cannot be multiplied")
    if n == 2:
        res = ts[0].mm(ts[1])
    elif n == 3:
        a, b, c, d = ts[0].shape[0], ts[1].shape[0], ts[2].shape[0], ts[2].shape[1]
        if (a * c) * (b + d) > (b * d) * (a + c):
            res = ts[0].mm(ts[1].mm(ts[2]))
        else:
            res = ts[0].mm(ts[1]).mm(ts[2])
    else:
        res = _chain_product(ts, _chain_order(ts), 0, n - 1)
    # (PyTorch ends with a view to the result's shape, even when it changes nothing)
    return _out(res.view(shape), out, _exact(
        "multi_dot(): expected out tensor to have dtype {res_cpp} but got {out_cpp}"))


def _chain_order(ts):
    """The cheapest parenthesization of a chain of matrices (the textbook dynamic program, as
    PyTorch's ``matrix_chain_order``, ties to the first split): ``s[i][j]`` is the last
    matrix of the left factor of the product of matrices ``i..j``."""
    n = len(ts)
    p = [t.shape[0] for t in ts] + [ts[-1].shape[1]]
    cost = [[0] * n for _ in range(n)]
    s = [[0] * n for _ in range(n)]
    for span in range(1, n):
        for i in range(n - span):
            j = i + span
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], s[i][j] = q, k
    return s


def _chain_product(ts, s, i, j):
    if i == j:
        return ts[i]
    return _chain_product(ts, s, i, s[i][j]).mm(_chain_product(ts, s, s[i][j] + 1, j))


def cross(input, other, *, dim=-1, out=None):
    """The cross product of 3-vectors along ``dim`` (the two broadcast together)."""
    need_tensor(input, "linalg_cross")
    need_tensor(other, "linalg_cross", "other", 2)
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    norm_dim(dim, input.ndim)  # (PyTorch's IndexError for a dim out of range)
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[dim]} and {other.shape[dim]}")
    _core.check_broadcast(input.shape, other.shape)  # (the sizes first, then the dtypes)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {D.scalar_name(input.dtype)} but found "
                           f"{D.scalar_name(other.dtype)}")
    if input.dtype is D.bool:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    _core.check_same_device(input, other)
    d = norm_dim(dim, input.ndim)
    arr = _cross(input._data, other._data, d)

    def rule(ctx, g):  # PyTorch's: cross(other, g) and cross(g, input), summed back
        x, y = ctx.saved
        xc, yc = (x.conj(), y.conj()) if x.dtype.is_complex else (x, y)
        return (_core.sum_to(cross(yc, g, dim=d), x.shape) if ctx.needs_input_grad[0] else None,
                _core.sum_to(cross(g, xc, dim=d), y.shape) if ctx.needs_input_grad[1] else None)
    return _out(make(arr, (input, other), "LinalgCrossBackward0", rule, input, other), out)


def _cross(x, y, d):
    """The cross product of arrays ``x`` and ``y`` along ``d`` (length 3), broadcast.  Each
    component is ``x_i y_j - x_j y_i``; PyTorch's float32 and float64 kernels contract it into
    ``fma(x_i, y_j, -(x_j y_i))``."""
    from ._random import _fma32, _fma64

    xp = _core.xp_of_array(x)
    x, y = xp.broadcast_arrays(x, y)
    take = [(xp.take(x, k, axis=d), xp.take(y, k, axis=d)) for k in range(3)]
    fma = {np.dtype(np.float32): _fma32, np.dtype(np.float64): _fma64}.get(x.dtype) \
        if xp is np else None
    parts = []
    with quiet:
        for i, j in ((1, 2), (2, 0), (0, 1)):
            (xi, yi), (xj, yj) = take[i], take[j]
            if fma is None:
                parts.append(_cmul_plain(xi, yj) - _cmul_plain(xj, yi)
                             if xp is np and x.dtype.kind == "c" else xi * yj - xj * yi)
                continue
            c = -(xj * yi)
            parts.append(fma(xi, yj, c))
    return xp.stack(parts, axis=d)


def _cmul_plain(a, b):
    """``a * b`` for complex NumPy arrays as PyTorch's scalar kernels compute it:
    ``(ar br - ai bi) + (ar bi + ai br) i``, each product rounded (NumPy's own complex
    multiply may fuse them)."""
    ar, ai, br, bi = a.real, a.imag, b.real, b.imag
    out = np.empty(np.broadcast_shapes(a.shape, b.shape), a.dtype)
    out.real = ar * br - ai * bi
    out.imag = ar * bi + ai * br
    return out


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of vectors along ``dim``, ``sum(conj(x) * y)`` (conjugating a complex
    ``x``)."""
    from .amp import autocast_mode as amp
    if amp.ON:
        x, y = amp.lower(x, y)
    if isinstance(x, Tensor) and isinstance(y, Tensor):
        if not (x.dtype.is_floating_point or x.dtype.is_complex):
            raise RuntimeError("linalg.vecdot: Expected a floating point or complex tensor as "
                               f"input. Got {D.scalar_name(x.dtype)}")
        if x.dtype is not y.dtype:
            raise RuntimeError("linalg.vecdot: Expected x and y to have the same dtype, but "
                               f"found x of type {D.scalar_name(x.dtype)} and y of type "
                               f"{D.scalar_name(y.dtype)} instead")
        if x.ndim == 1 and y.ndim == 1:  # (PyTorch's: two vectors are one vdot, any dim)
            from ._ops.complex import vdot

            return _out(vdot(x, y), out, _exact("linalg.vecdot: Expected out of dtype{res} "
                                                "but found {out}"), "vdot")
    return _out(((x.conj() if x.dtype.is_complex else x) * y).sum(dim), out,
                _exact("linalg.vecdot: Expected out of dtype{res} but found {out}"))


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


__getattr__ = _module_getattr("torch.linalg")


# -- torch.* and Tensor spellings ----------------------------------------------------------

def inverse(input, *, out=None):
    return inv(input, out=out)


def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


def svd_(input, some=True, compute_uv=True, *, out=None):
    """``torch.svd``: ``U, S, V`` (not ``Vh``), reduced unless ``some=False``."""
    if not compute_uv:
        S = svdvals(input)
        m, n = input.shape[-2], input.shape[-1]
        z = input.new_zeros(input.shape[:-2] + ((m, m) if not some else (m, min(m, n))))
        zv = input.new_zeros(input.shape[:-2] + ((n, n) if not some else (n, min(m, n))))
        return _out(make_return("svd", z, S, zv, names=("U", "S", "V")), out)
    U, S, Vh = svd(input, full_matrices=not some)
    return _out(make_return("svd", U, S, _mH(Vh), names=("U", "S", "V")), out)


def qr_(input, some=True, *, out=None):
    """``torch.qr``: reduced unless ``some=False`` (deprecated in PyTorch)."""
    warn_once("qr", "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in "
               "a future PyTorch release.\nThe boolean parameter 'some' has been replaced with a "
               "string parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\n"
               "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')",
              cpp=f"aten/src/ATen/native/BatchLinearAlgebra.cpp:{2505 if out is None else 2517}")
    Q, R = qr(input, "reduced" if some else "complete")
    return _out(make_return("qr", Q, R, names=("Q", "R")), out)


@fused_op("CholeskyBackward0", keep=(OUT,))  # (as PyTorch's: the result)
def cholesky_(input, upper=False, *, out=None):
    """``torch.cholesky``, deprecated in PyTorch in favour of ``torch.linalg.cholesky``."""
    msg = ("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed "
           "in a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = "
           "torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be "
           "replaced with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce "
           "equivalent results for all valid (symmetric positive definite) inputs.")
    if out is not None:  # (cholesky_out warns, then the cholesky it calls)
        warn_once("cholesky out", msg, cpp="aten/src/ATen/native/BatchLinearAlgebra.cpp:1800")
    warn_once("cholesky", msg, cpp="aten/src/ATen/native/BatchLinearAlgebra.cpp:1765")
    _check_matrix(input, "cholesky", square=True)
    return _out(_cholesky(input, upper, "cholesky"), out, _castable("cholesky"))


def cross_(input, other, dim=None, *, out=None):
    """``torch.cross``: without ``dim``, the first dim of length 3."""
    need_tensor(input, "cross")
    need_tensor(other, "cross", "other", 2)
    if dim is None:
        if out is None:  # (cross_out doesn't warn)
            warn_once("cross-dim", "Using torch.cross without specifying the dim arg is "
                      "deprecated.\nPlease either pass the dim explicitly or simply use "
                      "torch.linalg.cross.\nThe default value of dim will change to agree with "
                      "that of linalg.cross in a future release.",
                      cpp="aten/src/ATen/native/Cross.cpp:63")
        # (PyTorch looks at ``input``'s sizes only)
        dim = next((i for i, s in enumerate(input.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return cross(input, other, dim=dim, out=out)


TORCH_FUNCTIONS = {"det": det, "logdet": logdet, "slogdet": slogdet_, "inverse": inverse,
                   "pinverse": pinverse, "matrix_power": matrix_power, "svd": svd_, "qr": qr_,
                   "cholesky": cholesky_, "cross": cross_, "matrix_exp": matrix_exp}


def _install_methods():
    for name, fn in TORCH_FUNCTIONS.items():
        setattr(Tensor, name, fn)


_install_methods()

from ._linalg_eig import eig, eigvals  # noqa: E402,F401
from ._linalg_lu import (householder_product, ldl_factor, ldl_factor_ex,  # noqa: E402,F401
                         ldl_solve, lu, lu_factor, lu_factor_ex, lu_solve, tensorinv,
                         tensorsolve, vander)
