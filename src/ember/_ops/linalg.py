"""Matrix products: mm, bmm, mv, dot, outer, addmm, matmul, einsum, tensordot.

Errors carry PyTorch's messages (its C++ type names in dtype mismatches), and each result
records the node PyTorch's own dispatch would leave on top (``matmul`` of a vector and a
matrix ends in ``SqueezeBackward4``, ...).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _blas
from .. import _dtype as D
from .._tensor import Tensor
from ..amp import autocast_mode as _amp
from ..autograd.grad_mode import STATE
from ._core import _legacy, check_same_device, make, sum_to, wrap, xp_of
from ._core import check_broadcast, gets_grad, need_tensor, quiet
from . import _mkl_gemm, _mkl_gemv

_LOW = (D.float16, D.bfloat16)

# PyTorch's C++ spellings, used by some of its dtype-mismatch messages.
_CPP = {"float32": "float", "float64": "double", "float16": "c10::Half",
        "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
        "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
        "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _no_bool(dt, kernel):
    if dt is D.bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _int_scales(dt, *values):
    """``beta``/``alpha`` for an integer result ``dt`` as PyTorch converts them: floats
    truncate, small negatives wrap into unsigned types (-1 -> 255), the rest overflow."""
    from .creation import _fill_scalar

    return tuple(int(_fill_scalar(v, dt)) for v in values)


def _scalar_range(*values):
    """PyTorch's OverflowError for a Python int ``beta``/``alpha`` past a Scalar's range."""
    for v in values:
        if type(v) is int and not -1 << 63 <= v < 1 << 64:
            from .pointwise import scalar_int

            scalar_int(v)


def _alpha0_blas(bias, shape, beta):
    """``beta * bias`` as BLAS's gemm gives it for ``alpha == 0``: the product is never read
    (its NaNs do not spread), zeros where ``beta == 0``; an array of ``shape``."""
    c = bias._data
    if beta == 0:
        return xp_of(bias).zeros(shape, dtype=c.dtype)
    with quiet:
        out = c * c.dtype.type(beta) if beta != 1 else c
    return xp_of(bias).broadcast_to(out, shape).copy()


_BLAS_TYPES = (np.float32, np.float64, np.complex64, np.complex128)


def _empty_scale(dt, beta):
    """PyTorch's ``result.mul_(beta)`` where a product's contraction is empty: a float beta
    cannot scale an integer result in place, nor an int one a bool result."""
    if isinstance(beta, bool) or beta == 0 or dt.is_floating_point or dt.is_complex:
        return
    rt = D._combine(dt, D.scalar_dtype(beta))
    if rt is not dt:
        raise RuntimeError(f"result type {_legacy(rt)} can't be cast to the desired output "
                           f"type {_legacy(dt)}")


def _same_dtype(a, b, names):
    """PyTorch's addmm error when ``a`` and ``b`` (``names``, e.g. "mat1 and mat2") differ."""
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{names} must have the same dtype, but got {_legacy(a.dtype)} and "
                           f"{_legacy(b.dtype)}")


def _mm_arr(x, y):
    # NOTE: overflow and inf * 0 are silent in PyTorch; NumPy's matmul would warn.
    if x.dtype == np.float64 and y.dtype == np.float64 and x.ndim == 2 == y.ndim and \
            x.shape[1] == 1 and x.shape[0] > 1 and y.shape[1] > 1 and \
            type(x) is np.ndarray and type(y) is np.ndarray:
        # one product per element (K = 1), as MKL's dgemm writes it: a -0.0 product stays
        # -0.0 (a sum started from +0.0 would lose its sign; its gemv and batched products
        # do start there)
        with quiet:
            return np.multiply(x, y, order="C")
    if x.dtype == np.float32 and type(x) is np.ndarray and y.dtype == np.float32 and \
            y.ndim == 2 and x.size and y.size:
        # PyTorch's summation order (MKL's), where ember knows it (ember._ops._mkl_gemm)
        if x.ndim == 2:
            out = _mkl_gemm.mm(x, y)
            if out is not None:
                return out
        elif x.ndim == 1:  # (a vector times a matrix: PyTorch's unsqueeze(0).mm)
            out = _mkl_gemm.mm(x[None], y)
            if out is not None:
                return out[0]
        else:  # (a stack PyTorch did not fold into rows: its bmm, the matrix expanded)
            stack = x.reshape((-1,) + x.shape[-2:])
            out = _mkl_gemm.bmm(stack, np.broadcast_to(y, (stack.shape[0],) + y.shape))
            if out is not None:
                return out.reshape(x.shape[:-1] + y.shape[-1:])
    elif x.ndim >= 3 and y.ndim == x.ndim and x.shape[:-2] == y.shape[:-2] and \
            x.dtype == np.float32 and x.size and y.size:
        # stacks of one batch shape: PyTorch's bmm on the batch flattened
        out = _bmm_bits(x.reshape((-1,) + x.shape[-2:]), y.reshape((-1,) + y.shape[-2:]))
        if out is not None:
            return out.reshape(x.shape[:-1] + y.shape[-1:])
    elif x.dtype == np.float64 and x.ndim == 2 and y.ndim == 2 and \
            (x.shape[0] == 1 or y.shape[1] == 1):
        # one row times a matrix, or a matrix times one column: MKL's dgemv orders, where
        # ember knows them (_mkl_gemv)
        if x.shape[0] == 1:
            out = _mkl_gemv.mv64(y.T, x[0], mm=True)
            if out is not None:
                return out.reshape(1, -1)  # (a row's strides, not NumPy's 0 for a new axis)
        else:
            out = _mkl_gemv.mv64(x, y[:, 0], mm=True)
            if out is not None:
                return out.reshape(-1, 1)
    with quiet:
        if x.dtype == np.float16 or x.dtype.kind == "V" and x.dtype.name == "bfloat16":
            # Half types accumulate in float32 and round once, as PyTorch's CPU kernels do.
            return _mm_arr32(x, y).astype(x.dtype)
        if x.dtype == np.complex64 and type(x) is np.ndarray:
            # in complex128 and rounded once: each product of float32 parts is exact there,
            # so z @ z.conj().T has exactly real diagonals, as PyTorch's MKL product gives
            return (x.astype(np.complex128) @ y.astype(np.complex128)).astype(np.complex64)
        if x.ndim == 2 and y.ndim == 2 and type(x) is np.ndarray and x.dtype == y.dtype and \
                _blas.nt_product_flipped(x, y):
            return np.ascontiguousarray((y.T @ x.T).T)
        return x @ y  # the operator: on a GPU, CuPy's own matmul without NumPy's dispatch


def _mm_arr32(x, y):
    """The product of two half-type matrices, accumulated and left in float32."""
    with quiet:
        return x.astype(np.float32) @ y.astype(np.float32)


def _batch_items_blas(x) -> bool:
    """PyTorch's test of a (B, M, K) stack for MKL's batched sgemm: each matrix by rows or by
    columns (strides in elements; a dim of size 1 takes any stride)."""
    _, m, k = x.shape
    s1, s2 = (s // x.itemsize for s in x.strides[1:])
    return s2 == 1 and (m == 1 or s1 >= k) or s1 == 1 and (k == 1 or s2 >= m)


def _bmm_bits(x, y):
    """PyTorch's float32 ``bmm`` of (B, M, K) and (B, K, N) stacks (None where ember does not
    know its bits): MKL's batched sgemm where each matrix of both is stored by rows or by
    columns (:func:`ember._ops._mkl_gemm.bmm`); else, for M * K * N of 400 or more, one
    addmm per matrix on all threads into its place in the output, an operand BLAS cannot
    take copied to rows first."""
    bs, m, k = x.shape
    n = y.shape[2]
    if _batch_items_blas(x) and _batch_items_blas(y) or m * k * n < _mkl_gemm._NAIVE_BMM:
        return _mkl_gemm.bmm(x, y)
    if bs > _mkl_gemm._BMM_MAX or not _mkl_gemm._plain(x, y):
        return None
    out = np.empty((bs, m, n), np.float32)
    for i in range(bs):
        a, b = x[i], y[i]
        a = a if _mkl_gemm._layout(a) is not None else np.ascontiguousarray(a)
        b = b if _mkl_gemm._layout(b) is not None else np.ascontiguousarray(b)
        if k == 1 and m > 1 and n > 1:  # (one term: the products themselves, as mm)
            with quiet:
                r = np.multiply(a, b)
        else:
            r = _mkl_gemm._run(a, b, None, 1.0, 1.0, None, i * m)
        if r is None:
            return None
        out[i] = r
    return out


def _baddbmm_bits(c, x, y, beta, alpha):
    """``beta * c + alpha * (x @ y)`` for float32 stacks as PyTorch's ``baddbmm`` rounds it
    where that is MKL's (M * K * N of 400 or more: each matrix an addmm with ``c``'s matrix
    as C, on one thread when the batch holds several and BLAS takes the stacks as they are),
    else None (its own loop below 400 rounds as the composite ``beta * c + alpha * bmm``
    does)."""
    if not _mkl_gemm._plain(x, y) or type(c) is not np.ndarray or c.dtype != np.float32:
        return None
    bs, m, k = x.shape
    n = y.shape[2]
    if not (bs and m and k and n) or m * k * n < _mkl_gemm._NAIVE_BMM or \
            bs > _mkl_gemm._BMM_MAX:
        return None
    # (a stack BLAS cannot take: an addmm per matrix on all threads, as in _bmm_bits)
    batched = _batch_items_blas(x) and _batch_items_blas(y)
    threads = 1 if bs > 1 and batched else None
    c = np.broadcast_to(c, (bs, m, n))
    if n == 1 and bs > 1 and batched and _mkl_gemm.profile() == "intel":
        # (Intel: MKL's batched columns, summed as bmm's (not a 2-D product's sgemv); then
        # C + round(alpha * sum), measured for beta = 1 on ~180 random stacks)
        col = _mkl_gemm._intel_bmm_column(x, y) if beta == 1 else None
        if col is None:
            return None
        with quiet:
            if alpha != 1:
                col = np.multiply(col, np.float32(alpha), dtype=np.float32)
            return np.add(c, col, dtype=np.float32)
    out = np.empty((bs, m, n), np.float32)
    for i in range(bs):
        a, b = x[i], y[i]
        if not batched:
            a = a if _mkl_gemm._layout(a) is not None else np.ascontiguousarray(a)
            b = b if _mkl_gemm._layout(b) is not None else np.ascontiguousarray(b)
        r = _mkl_gemm._run(a, b, c[i], float(alpha), float(beta), threads, i * m)
        if r is None:
            return None
        out[i] = r
    return out


def _addbmm_bits(c, x, y, beta, alpha):
    """``beta * c + alpha * sum_i x[i] @ y[i]`` for float32 stacks as PyTorch's ``addbmm``
    rounds it: one in-place addmm per matrix into the result, beta on the first only; None
    where ember does not know an addmm's order."""
    if not _mkl_gemm._plain(x, y) or type(c) is not np.ndarray or c.dtype != np.float32:
        return None
    bs, m, k = x.shape
    n = y.shape[2]
    if not (bs and m and k and n):
        return None
    out = np.broadcast_to(c, (m, n))
    for i in range(bs):
        out = _mkl_gemm._run(x[i], y[i], out, float(alpha), float(beta) if i == 0 else 1.0,
                             None)
        if out is None:
            return None
    return out


def _cannot_multiply(a, b):
    if a._device.type == "meta":  # (PyTorch's meta kernel's words)
        raise RuntimeError(f"a and b must have same reduction dim, but got [{a.shape[0]}, "
                           f"{a.shape[1]}] X [{b.shape[0]}, {b.shape[1]}].")
    raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                       f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")


def _check_mm(a, b):
    need_tensor(a, "mm")
    need_tensor(b, "mm", "mat2", 2)
    check_same_device(a, b)
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:  # (as PyTorch: the shapes before the dtypes)
        _cannot_multiply(a, b)
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CPP[a.dtype.name]} != {_CPP[b.dtype.name]}")
    if all(a.shape) and b.shape[1]:  # (an empty product is zeros, before any kernel)
        _no_bool(a.dtype, "addmm_impl_cpu_")


def mm(a, b):
    """``(n, m) @ (m, p) -> (n, p)``."""
    if getattr(a, "is_sparse", False) or getattr(b, "is_sparse", False) or \
            getattr(a, "_compressed", False) or getattr(b, "_compressed", False):
        return _sparse_mm(a, b)
    if _amp.ON:
        a, b = _amp.lower(a, b)
    _check_mm(a, b)
    # NOTE: as PyTorch, mat2 is kept only when mat1's gradient needs it (so that a weight
    # updated in place after a forward on plain inputs leaves the graph valid)
    return make(_mm_arr(a._data, b._data), (a, b), "MmBackward0", _mm_rule, _kept(b, a),
                _kept(a, b))


def _sparse_mm(a, b):
    """A product with a sparse operand (``ember._sparse``)."""
    if getattr(a, "_compressed", False) or getattr(b, "_compressed", False):
        from .._sparse_compressed import mm as compressed_mm  # (CSR, CSC, BSR, BSC)

        return compressed_mm(a, b)
    from .._sparse import mm as sparse_mm

    return sparse_mm(a, b)


def _mm_rule(ctx, g):
    a, b = ctx.saved
    n0, n1 = ctx.needs_input_grad
    if not STATE.enabled and g._data.dtype in _MM_FLOATS:
        return _mm_grads_arr(g, a, b, n0, n1)
    return (_grad_mat1(g, b, a) if n0 else None, _grad_mat2(g, a, b) if n1 else None)


def _mm_grads_arr(g, a, b, n0, n1):
    """``_grad_mat1`` and ``_grad_mat2`` on arrays, for a first-order backward (nothing to
    record): the same products in the same layouts, without a tensor per transpose."""
    gd = g._data
    dev = g._device
    ga = gm = None
    if n0:
        y = b._data
        ga = wrap(_mm_arr(y, gd.T).T if _is_transposed(a) else _mm_arr(gd, y.T), dev)
    if n1:
        x = a._data
        gm = wrap(_mm_arr(gd.T, x).T if _is_transposed(b) else _mm_arr(x.T, gd), dev)
    return ga, gm


def _transposed(t):
    """Whether a matrix is stored column-major (a ``.t()`` of a contiguous one)."""
    return _transposed_arr(t._data)


def _transposed_arr(d):
    # (PyTorch's test in mm's backward: strides (1, rows) exactly, a size-1 dim's stride as
    # it is, so a (1, 1) matrix, or a (1, n) column view, counts as column-major; empty
    # arrays: NumPy's zero strides, PyTorch's contiguous ones)
    return d.ndim == 2 and d.size > 0 and d.strides[0] == d.itemsize and \
        d.strides[1] == d.itemsize * d.shape[0]


def _grad_mat1(g, b, a=None):
    # NOTE: as PyTorch does, each gradient is produced in the memory layout of the matrix
    # it belongs to, so that a transposed weight gets a gradient it can keep without a copy.
    if a is not None and _is_transposed(a):
        return b.mm(g.t()).t()
    return g.mm(b.t())


def _kept(a, b):
    """What a product keeps of its second factor: the factor when the first one's gradient
    needs it, else only its layout (as PyTorch keeps mat2 only for mat1's gradient, so a
    weight updated in place after a forward on plain inputs leaves the graph valid; and
    mat1 only for mat2's: ``_kept(b, a)``)."""
    return b if gets_grad(a) else _transposed(b)


def _is_transposed(b):
    return b if isinstance(b, bool) else _transposed(b)


def _grad_mat2(g, a, b):
    if _is_transposed(b):
        return g.t().mm(a).t()
    return a.t().mm(g)


_MM_FLOATS = frozenset((np.dtype(np.float32), np.dtype(np.float64)))


def addmm(bias, a, b, *, beta=1, alpha=1):
    """``beta * bias + alpha * (a @ b)``: what ``nn.Linear`` runs on 2-D input."""
    if getattr(a, "_compressed", False) or getattr(b, "_compressed", False):
        from .._sparse_compressed import addmm as compressed_addmm

        return compressed_addmm(bias, a, b, beta=beta, alpha=alpha)
    if getattr(a, "is_sparse", False):
        from .._sparse import sparse_addmm

        return sparse_addmm(bias, a, b, beta=beta, alpha=alpha)
    if _amp.ON:
        bias, a, b = _amp.lower(bias, a, b)
    if alpha == 1 and beta == 1 and isinstance(a, Tensor) and isinstance(b, Tensor) and \
            isinstance(bias, Tensor):
        # nn.Linear's case, checked on the arrays: float matrices on one device, a bias of
        # one row or of the whole output.
        x, y, c = a._data, b._data, bias._data
        dev = a._device
        if x.ndim == 2 and y.ndim == 2 and x.dtype is y.dtype and c.dtype is x.dtype and \
                x.dtype in _MM_FLOATS and b._device is dev and bias._device is dev and \
                x.shape[1] == y.shape[0] and (c.shape == (y.shape[1],) or
                                              c.shape == (x.shape[0], y.shape[1])):
            if x.dtype.itemsize == 2:  # half types: one rounding of the float32 sum, as PyTorch
                with quiet:
                    out = _mm_arr32(x, y)
                    out += c.astype(np.float32)
                out = out.astype(x.dtype)
            else:
                out = _mkl_gemm.addmm(c, x, y) if x.dtype == np.float32 and x.size and \
                    y.size else None  # (PyTorch's summation order, where ember knows it)
                if out is None and x.dtype == np.float64 and x.size and y.size and \
                        (x.shape[0] == 1 or y.shape[1] == 1) and type(x) is np.ndarray:
                    out = _mkl_gemv.addmm64(c, x, y)  # (MKL's dgemv and its bias, Intel)
                if out is None:
                    out = _mm_arr(x, y)  # a fresh, row-major array
                    with quiet:
                        out += c
            return make(out, (bias, a, b), "AddmmBackward0", _addmm_rule, _kept(b, a),
                        _kept(a, b), 1, 1)
    return _addmm(bias, a, b, beta, alpha)


def _addmm_rule(ctx, g):
    a, b, alpha, beta = ctx.saved
    n0, n1, n2 = ctx.needs_input_grad
    gb = sum_to(g * beta if beta != 1 else g, ctx._meta[0][0]) if n0 else None
    if alpha == 1 and not STATE.enabled and g._data.dtype in _MM_FLOATS:
        return (gb,) + _mm_grads_arr(g, a, b, n1, n2)
    ga = gm = None
    if n1:
        ga = _grad_mat1(g, b, a)
        ga = ga * alpha if alpha != 1 else ga
    if n2:
        gm = _grad_mat2(g, a, b)
        gm = gm * alpha if alpha != 1 else gm
    return gb, ga, gm


def _addmm(bias, a, b, beta, alpha):
    """addmm in general: PyTorch's checks and errors, any alpha and beta."""
    need_tensor(a, "addmm", "mat1", 2)
    need_tensor(b, "addmm", "mat2", 3)
    _scalar_range(beta, alpha)
    check_same_device(bias, a, b)
    _same_dtype(bias, b, "self and mat2")  # (PyTorch's meta: the dtypes, then the dims)
    _same_dtype(a, b, "mat1 and mat2")
    for t, name in ((a, "mat1"), (b, "mat2")):
        if t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        _cannot_multiply(a, b)
    target = (a.shape[0], b.shape[1])
    if tuple(bias.shape) != target:  # (PyTorch expands the bias: expand's errors)
        from .shape import expand

        expand(bias, target)
    if a.shape[1] == 0 and a.shape[0] and b.shape[1]:
        _empty_scale(a.dtype, beta)
    if a.shape[1] and b.shape[1] and a.shape[0]:  # (empty products need no kernel)
        _no_bool(a.dtype, "addmm_impl_cpu_")
    if not a.dtype.is_complex and any(isinstance(v, complex) for v in (alpha, beta)):
        if alpha.imag or beta.imag:  # (PyTorch words a lost imaginary part as an overflow)
            from .creation import _CTYPE

            ctype = "float" if a.dtype in (D.float16, D.bfloat16) else _CTYPE[a.dtype.name]
            raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
        alpha, beta = alpha.real, beta.real
    if a.dtype._kind < 2:  # NOTE: PyTorch casts alpha and beta to the int type
        alpha, beta = _int_scales(a.dtype, alpha, beta)
    low = a._data.dtype.itemsize <= 2 and a.dtype.is_floating_point  # (half types, float8)
    out = None
    if alpha == 0 and a._data.dtype in _BLAS_TYPES and a.numel() and b.numel() or \
            a.shape[1] == 0 and a._data.dtype not in D._ODD_NP:
        # (MKL's gemm skips the product; with none, PyTorch's zero_() or mul_(beta))
        out = _alpha0_blas(bias, target, beta)
    elif a._data.dtype == np.float32 and type(a._data) is np.ndarray and a.numel() and b.numel():
        # PyTorch's summation order (MKL's), where ember knows it (ember._ops._mkl_gemm)
        out = _mkl_gemm.addmm(bias._data, a._data, b._data, float(beta), float(alpha))
    if out is None:
        prod = _mm_arr32(a._data, b._data) if low else _mm_arr(a._data, b._data)
        bias_arr = bias._data.astype(np.float32) if low else bias._data
        with quiet:
            if alpha != 1:
                prod = prod * prod.dtype.type(alpha)
            # NOTE: beta == 0 ignores the bias entirely (its NaNs included), as in PyTorch.
            out = prod + (bias_arr if beta == 1 else bias_arr * bias_arr.dtype.type(beta)) \
                if beta != 0 else prod.copy()
    if out.shape != target:
        out = xp_of(a).broadcast_to(out, target).copy()
    elif not out.flags.c_contiguous:
        out = out.copy()
    if out.dtype != a._data.dtype:
        if a._data.dtype in D._ODD_NP:  # float8: PyTorch's rounding (ember._float8)
            from .convert import _cast

            out = _cast(out.astype(np.float32, copy=False), D.float32, a.dtype)
        else:
            with quiet:  # (half types overflow to inf silently, as in PyTorch)
                out = out.astype(a._data.dtype)
    return make(out, (bias, a, b), "AddmmBackward0", _addmm_rule, _kept(b, a), _kept(a, b),
                alpha, beta)


def bmm(a, b):
    """``(b, n, m) @ (b, m, p) -> (b, n, p)``."""
    if _amp.ON:
        a, b = _amp.lower(a, b)
    need_tensor(a, "bmm")
    need_tensor(b, "bmm", "mat2", 2)
    check_same_device(a, b)
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    # (PyTorch's order: the shapes (its meta function), the kernel for batch1's dtype, then
    # batch2's dtype against it)
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    if not all(a.shape) or not b.shape[2]:
        # (PyTorch's empty shortcut, before any kernel: zeros of batch2's dtype)
        arr = xp_of(b).zeros((a.shape[0], a.shape[1], b.shape[2]), dtype=b._data.dtype)
        if STATE.enabled and a.requires_grad and not (b.dtype.is_floating_point or
                                                      b.dtype.is_complex):
            # (an integer result of a differentiable input: PyTorch's autograd refuses it)
            raise RuntimeError(f"Autograd not support dtype: {D.scalar_name(b.dtype)}")
    else:
        if a.dtype is not b.dtype or a.dtype is D.bool:
            _bmm_refusal(a, b)
        arr = _mm_arr(a._data, b._data)
    return make(arr, (a, b), "BmmBackward0",
                lambda ctx, g: (g.bmm(ctx.saved[1].mT) if ctx.needs_input_grad[0] else None,
                                ctx.saved[0].mT.bmm(g) if ctx.needs_input_grad[1] else None),
                *_each_for_other(a, b))


def _bmm_refusal(a, b):
    """PyTorch's refusal of bmm operands of two dtypes (or bools), which its kernel words:
    under 400 multiply-adds a batch item, a loop for batch1's dtype; beyond, into a result of
    batch2's dtype, MKL's for a float or complex one (where each batch item is a contiguous
    or transposed matrix), else ``addmm`` for each batch item."""
    if a.shape[1] * a.shape[2] * b.shape[2] < 400:
        _no_bool(a.dtype, "bmm")
        raise RuntimeError(f"expected scalar type {_legacy(a.dtype)} but found "
                           f"{_legacy(b.dtype)}")

    def matrices(t):
        (_, rows, cols), (_, s_rows, s_cols) = t.shape, t.stride()
        return (s_cols == 1 and (rows == 1 or s_rows >= cols)) or \
            (s_rows == 1 and (cols == 1 or s_cols >= rows))
    r = b.dtype
    if (r.is_complex or r.is_floating_point and r not in (D.float16, D.bfloat16)) and \
            matrices(a) and matrices(b):
        raise RuntimeError(f"expected scalar type {_legacy(r)} but found {_legacy(a.dtype)}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CPP[a.dtype.name]} != {_CPP[b.dtype.name]}")
    _no_bool(a.dtype, "addmm_impl_cpu_")


def mv(a, v):
    """``(n, m) @ (m,) -> (n,)``."""
    need_tensor(a, "mv")
    need_tensor(v, "mv", "vec", 2)
    check_same_device(a, v)
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:  # (as PyTorch: the shapes before the dtypes)
        if a.is_meta:  # (PyTorch's meta kernel's words)
            raise RuntimeError(f"size mismatch, got input ({a.shape[0]}x{a.shape[1]}), vec "
                               f"({v.shape[0]})")
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x"
                           f"{a.shape[1]}), vec ({v.shape[0]})")
    if a.dtype is not v.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{_legacy(v.dtype)}, {_legacy(a.dtype)}, and {_legacy(v.dtype)}")
    if a.numel():  # (an empty matrix gives zeros, before any kernel)
        _no_bool(a.dtype, "addmv_impl_cpu")
    out = _mkl_gemv.mv(a._data, v._data) if a._data.dtype == np.float32 else \
        _mkl_gemv.mv64(a._data, v._data)
    if out is None:  # (None: not PyTorch's MKL order, or one ember does not know)
        out = _mm_arr(a._data, v._data)
    return make(out, (a, v), "MvBackward0",
                lambda ctx, g: (g.outer(ctx.saved[1]) if ctx.needs_input_grad[0] else None,
                                ctx.saved[0].t().mv(g) if ctx.needs_input_grad[1] else None),
                *_each_for_other(a, v))


def dot(a, b):
    """``(n,) . (n,) -> ()``."""
    need_tensor(a, "dot")
    need_tensor(b, "dot", "tensor", 2)
    check_same_device(a, b)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype is not b.dtype:  # (PyTorch's meta kernel names the dtypes as torch.*)
        a_name, b_name = (a.dtype, b.dtype) if a.is_meta else map(_legacy, (a.dtype, b.dtype))
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{a_name} and {b_name}")
    if a.shape[0] != b.shape[0]:
        # (PyTorch's meta kernel says "thesame")
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the{'' if a.is_meta else ' '}same number of "
                           "elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    _no_bool(a.dtype, "dot")  # (after the sizes, as PyTorch's kernel)
    arr = _mkl_gemv.dot(a._data, b._data) if a._data.dtype == np.float32 else \
        _mkl_gemv.dot64(a._data, b._data)
    if arr is None:  # (None: not PyTorch's MKL order, or one ember does not know)
        arr = _mm_arr(a._data, b._data)
    return make(arr, (a, b), "DotBackward0",
                lambda ctx, g: (g * ctx.saved[1] if ctx.needs_input_grad[0] else None,
                                g * ctx.saved[0] if ctx.needs_input_grad[1] else None),
                *_each_for_other(a, b))


def _each_for_other(a, b):
    """What a product of two factors keeps: each only where the other's gradient needs it (as
    PyTorch, so that a factor changed in place later is refused only where it is used)."""
    return (a if gets_grad(b) else None), (b if gets_grad(a) else None)


def outer(a, b, _name="outer"):
    """``(n,) x (m,) -> (n, m)``, dtypes promoted like ``*``."""
    need_tensor(a, _name)
    need_tensor(b, _name, "vec2", 2)
    for t, name in ((a, "self"), (b, "vec2")):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return a.reshape(-1, 1) * b


def ger(a, b):
    """``outer``'s old name."""
    return outer(a, b, "ger")


def inner(a, b):
    """Sum over the last dims: ``dot`` for vectors, ``a @ b.mT``-like for more dims."""
    need_tensor(a, "inner")
    need_tensor(b, "inner", "other", 2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a.shape)} and {list(b.shape)}")
    if a.dtype is not b.dtype:  # (PyTorch's tensordot's check)
        raise RuntimeError("both inputs should have same dtype")
    if a.ndim == 1 and b.ndim == 1:  # (PyTorch's graph: both permuted, a dot, a view)
        if not (a.is_contiguous() and b.is_contiguous()):
            # (PyTorch's tensordot multiplies strided operands and sums the products)
            # (the sum keeps the operands' dtype: int8 wraps, bool is any())
            return (a * b).sum().to(a.dtype).view(())
        return dot(a.permute(0), b.permute(0)).view(())
    return tensordot(a, b, ([a.ndim - 1], [b.ndim - 1]))


def matmul(a, b):
    """``a @ b`` with PyTorch's rules for 1-D, 2-D and batched (broadcast) operands."""
    need_tensor(a, "matmul")
    need_tensor(b, "matmul", "other", 2)
    if a.is_sparse or b.is_sparse or getattr(a, "_compressed", False) or \
            getattr(b, "_compressed", False):
        if a.is_sparse or b.is_sparse:  # (COO: its own cases by the operands' dims)
            from .._sparse import matmul as sparse_matmul

            return sparse_matmul(a, b)
        return _sparse_mm(a, b)
    if _amp.ON:
        a, b = _amp.lower(a, b)
    da, db = a.ndim, b.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D "
                           f"and {db}D")
    if da == 1 and db == 1:
        return dot(a, b)
    if da == 2 and db == 1:
        return mv(a, b)
    if da == 1 and db == 2:
        _check_mm(a.reshape(1, -1), b)
        arr = _mkl_gemv.mv64(b._data.T, a._data, mm=True) if a._data.dtype == np.float64 \
            else None
        if arr is None:  # (None: not PyTorch's float64 MKL order, or one ember does not know)
            arr = _mm_arr(a._data, b._data)
        # NOTE: PyTorch computes unsqueeze(0).mm(b).squeeze_(0): the node is SqueezeBackward4.
        sa, sb = _each_for_other(a, b)  # (PyTorch keeps the unsqueezed view of a)
        out = make(arr, (a, b), "SqueezeBackward4", _matmul_rule(1, 2),
                   sa if sa is None else sa.unsqueeze(0), sb)
        out._vc.v = 1  # (squeezed in place)
        return out
    if da == 2 and db == 2:
        return mm(a, b)
    if _should_fold(a, b):
        # One mm (or mv) on the larger operand's batch folded into rows, as PyTorch does; a
        # left matrix times a stack runs as (b.mT folded) @ a.t(), transposed back.
        flip = db > da
        t1 = b.mT if flip else a
        t2 = (a.t() if da == 2 else a) if flip else b
        shape = tuple(t1.shape[:-1])
        folded = t1.reshape(math.prod(shape), t1.shape[-1])
        if t2.ndim == 1:
            return _unsafe_view(mv(folded, t2), shape)
        out = _unsafe_view(mm(folded, t2), shape + (t2.shape[1],))
        return out.mT.contiguous() if flip else out
    return _batched_matmul(a, b)


def _should_fold(a, b) -> bool:
    """PyTorch's ``should_fold``: whether matmul folds the batch of the operand of 3 or more
    dims into the rows of one ``mm``/``mv`` with the other (of 1 or 2), rather than running
    ``bmm`` with that one expanded: where the smaller operand requires grad, and else where
    the larger one is on the right of a vector or on the left, and its batch dims view as
    rows without a copy (or it is empty)."""
    big, small = (a, b) if a.ndim >= b.ndim else (b.mT, a)
    if big.ndim < 3 or small.ndim > 2:
        return False
    if small.requires_grad:
        return True
    if a.ndim == 2:
        return False
    if big.numel() == 0:
        return True
    st, sh = big.stride(), big.shape
    return all(st[i] == st[i + 1] * sh[i + 1] for i in range(big.ndim - 2))


def _batched_matmul(a, b):
    """PyTorch's ``bmm`` path of matmul: both operands expanded to the broadcast batch,
    reshaped to one batch dim (a view where one exists, else a copy), one ``bmm``, the result
    viewed back to the batch shape."""
    da, db = a.ndim, b.ndim
    check_same_device(a, b)
    if da == 3 and db == 3 and a.shape[0] != b.shape[0]:
        # (as PyTorch, a batch of one that requires grad is squeezed to fold the product)
        if a.shape[0] == 1 and a.requires_grad:
            return matmul(a.squeeze(0), b)
        if b.shape[0] == 1 and b.requires_grad:
            return matmul(a, b.squeeze(0))
    n = a.shape[-2] if da > 1 else 1
    k_a = a.shape[-1]
    k_b = b.shape[-2] if db > 1 else b.shape[0]
    p = b.shape[-1] if db > 1 else 1
    check_broadcast(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    batch = tuple(np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    count = math.prod(batch)
    x = _expand_reshape(a, batch + (n, k_a), (count, n, k_a))
    if db == 1:
        y = _expand_reshape(b, batch + (k_b,), (count, k_b)).unsqueeze(2)
    else:
        y = _expand_reshape(b, batch + (k_b, p), (count, k_b, p))
    out = bmm(x, y)
    shape = batch + ((n,) if da > 1 else ()) + ((p,) if db > 1 else ())
    return _unsafe_view(out.squeeze(-1) if db == 1 else out, shape)


def _expand_reshape(t, shape, flat):
    """``t.expand(shape).reshape(flat)``; where no graph is recorded, the steps that leave
    ``t`` as it is are skipped (the same array: an expand to its own shape keeps its strides)."""
    if STATE.enabled and t.requires_grad:
        return t.expand(shape).reshape(flat)
    if tuple(t.shape) != shape:
        t = t.expand(shape)
    return t if tuple(t.shape) == flat else t.reshape(flat)


def _matmul_rule(da, db):
    """Gradients of a (broadcast) matmul; the engine sums them back over broadcast dims."""
    def rule(ctx, g):
        a, b = ctx.saved  # (each kept only where the other's gradient needs it)
        a2 = a.unsqueeze(0) if da == 1 and a is not None and a.ndim == 1 else a
        b2 = b.unsqueeze(1) if db == 1 and b is not None else b
        g2 = g
        if da == 1:
            g2 = g2.unsqueeze(-2 if db > 1 else 0)
        if db == 1:
            g2 = g2.unsqueeze(-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = matmul(g2, b2.mT if b2.ndim > 1 else b2)
            if da == 1:
                ga = ga.reshape(-1, ctx._meta[0][0][0]).sum(0) if ga.ndim > 1 else ga
        if ctx.needs_input_grad[1]:
            gb = matmul(a2.mT, g2)
            if db == 1:
                gb = gb.reshape(-1, ctx._meta[1][0][0]).sum(0) if gb.ndim > 1 else gb
        return ga, gb
    return rule


def _unsafe_view(t, shape):
    """PyTorch's ``_unsafe_view``: a view (not recorded as one), never a copy."""
    from .shape import _torch_view, _view_strides

    a = t._data
    try:
        arr = a.reshape(shape, copy=False)
        # (PyTorch's computeStride: stricter than NumPy's where size-1 dims have strides of
        # their own, as kron's product of a transposed column)
        if a.ndim and a.size and _view_strides(a, tuple(arr.shape)) is None:
            raise ValueError
    except ValueError:  # (kron of a transposed operand: its product's layout does not view)
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None
    return make(_torch_view(arr, a, tuple(arr.shape)), (t,), "UnsafeViewBackward0",
                lambda ctx, g: (g.reshape(ctx.saved[0]),), t.shape)


def _sublist_equation(args):
    """The equation and operands of einsum's sublist form ``einsum(a, [0, 1], b, [1, 2],
    [0, 2])``: subscripts 0-25 stand for ``A``-``Z`` and 26-51 for ``a``-``z``, ``...`` for
    an ellipsis; a last sublist without an operand names the output."""
    def label(v):  # (PyTorch's comparisons and chr(): a float or a str fails as there)
        if v == Ellipsis:
            return "..."
        if v >= 0 and v < 52:
            return chr((ord("A") if v < 26 else ord("a") - 26) + v)
        raise ValueError("einsum(): subscript in subscript list is not within the valid range "
                         "[0, 52)")

    def term(sub):
        return "".join(label(v) for v in sub)
    operands = args[0:len(args) - 1:2]
    equation = ",".join(term(sub) for sub in args[1::2])
    if len(args) % 2:
        equation += "->" + term(args[-1])
    return equation, tuple(operands)


def einsum(*args):
    """Einstein summation; ``...`` and size-1 dims broadcast, as in PyTorch (see
    :mod:`ember._ops.einsum`).  (PyTorch's takes ``*args`` alone: no keywords.)"""
    from .einsum import einsum as _einsum

    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    equation, operands = args[0], args[1:]
    if isinstance(equation, Tensor):  # the sublist form
        equation, operands = _sublist_equation((equation, *operands))
    elif not isinstance(equation, str):
        from ._core import tp_name

        raise TypeError("einsum(): argument 'equation' (position 1) must be str, not "
                        f"{tp_name(equation)}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
        if not operands:  # (PyTorch's Python wrapper calls itself with the list spread)
            return einsum(equation)
    for k, op in enumerate(operands):
        if not isinstance(op, Tensor):  # (its C function's parser, given the list)
            from ._core import tp_name

            raise TypeError(f"expected Tensor as element {k} in argument 1, but got "
                            f"{tp_name(op)}")
    return _einsum(equation, operands)


def _int_like(v):
    """Whether PyTorch's parser takes ``v`` as an element of a list of ints (an integer or a
    one-element integer tensor; never a bool)."""
    if isinstance(v, Tensor):
        return v.numel() == 1 and not (v.dtype.is_floating_point or v.dtype.is_complex or
                                       v.dtype is D.bool)
    return not isinstance(v, (bool, np.bool_)) and hasattr(type(v), "__index__")


def tensordot(a, b, dims=2):
    from .shape import norm_dim, norm_dims

    from ._core import tp_name

    if isinstance(dims, Tensor):  # (PyTorch's: two rows of dims, or one count)
        if dims.numel() > 1:
            if dims.shape[0] != 2:
                raise AssertionError(f"dims tensor must have size 2 in first dimension, got "
                                     f"{dims.shape[0]}")
            dims = (dims[0].tolist(), dims[1].tolist())
        else:  # (a count, with no check against the ranks: a dim out of range says so)
            count = int(dims.item())
            if count < 0:
                raise RuntimeError(f"tensordot expects dims >= 0, but got dims={count}")
            dims = (list(range(-count, 0)), list(range(count)))
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):  # (PyTorch's Python: a non-tensor fails on .dim())
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        ax = (list(range(-dims, 0)), list(range(dims)))  # PyTorch's error counts a's from -1
    elif isinstance(dims, (tuple, list)):
        ax = dims_a, dims_b = dims  # (Python's ValueError unless two)
        need_tensor(a, "tensordot")  # (then its parser's checks, argument by argument)
        need_tensor(b, "tensordot", "other", 2)
        for name, at, d in (("dims_self", 3, dims_a), ("dims_other", 4, dims_b)):
            if not isinstance(d, (tuple, list)):
                raise TypeError(f"tensordot(): argument '{name}' (position {at}) must be tuple "
                                f"of ints, not {tp_name(d)}")
            for k, v in enumerate(d):
                if not _int_like(v):
                    raise TypeError(f"tensordot(): argument '{name}' (position {at}) must be "
                                    f"tuple of ints, but found element of type {tp_name(v)} "
                                    f"at pos {k}")
        ax = [[int(v) for v in d] for d in ax]
        if len(ax[0]) != len(ax[1]):
            raise RuntimeError("both dimension lists should have same length")
    else:
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    letters = "abcdefghijklmnopqrstuvwxyz"
    ta = list(letters[:a.ndim])
    tb = list(letters[a.ndim:a.ndim + b.ndim])
    for i, j in zip(*ax, strict=True):
        for d, t in ((i, a), (j, b)):  # (PyTorch's sizes take no dim of a 0-d tensor)
            if t.ndim == 0:
                raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        sa, sb = a.shape[norm_dim(i, a.ndim)], b.shape[norm_dim(j, b.ndim)]
        if sa != sb and 1 not in (sa, sb):
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} "
                               f"in dim {i} and second has size {sb} in dim {j}")
        tb[j] = ta[i]
    for ds, t in zip(ax, (a, b)):  # (PyTorch's check, once the sizes are)
        if len(ds) > 1:
            norm_dims(ds, t.ndim)
    # As PyTorch computes it (and so records it): a size-1 contracted dim sums the other
    # side's dim first; then a is permuted to (free, contracted) and b to (contracted, free),
    # each reshaped to a matrix, and one mm's result is viewed to the free dims' shape.
    ca = [norm_dim(i, a.ndim) for i in ax[0]]
    cb = [norm_dim(j, b.ndim) for j in ax[1]]
    for i, j in zip(ca, cb):
        if b.shape[j] == 1:  # (PyTorch checks b's size first: a size-1 pair sums a's)
            a = a.sum(i, keepdim=True, dtype=a.dtype)
        elif a.shape[i] == 1:
            b = b.sum(j, keepdim=True, dtype=b.dtype)
    fa = [d for d in range(a.ndim) if d not in ca]
    fb = [d for d in range(b.ndim) if d not in cb]
    k = math.prod(a.shape[i] for i in ca)
    m, n = math.prod(a.shape[d] for d in fa), math.prod(b.shape[d] for d in fb)
    shape = [a.shape[d] for d in fa] + [b.shape[d] for d in fb]
    if m == 1 and n == 1:  # (one element out: PyTorch takes the dot of the flattened sides,
        # or, where one would not flatten as a view, sums their product)
        pa, pb = a.permute(fa + ca), b.permute(cb + fb)
        if pa.is_contiguous() and pb.is_contiguous():
            return dot(pa.flatten(), pb.flatten()).view(shape)
        prod = pa.squeeze() * pb.squeeze()
        return prod.sum(dtype=prod.dtype).view(shape)  # (integers not widened)
    left = a.permute(fa + ca).reshape(m, k)
    right = b.permute(cb + fb).reshape(k, n)
    return mm(left, right).view(shape)


def xp(t):
    return xp_of(t)
