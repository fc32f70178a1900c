"""LU and friends for ``ember.linalg``: ``lu_factor(_ex)``, ``lu``, ``lu_solve``,
``lu_unpack``, ``householder_product``, ``ldl_factor(_ex)``/``ldl_solve``, ``tensorinv``,
``tensorsolve``, ``vander``, and ``torch.cholesky_solve``/``cholesky_inverse``.

LU is Gaussian elimination with LAPACK's partial pivoting (``getrf``): at each column the
row of largest magnitude (the first, on ties) comes up, and the multipliers are the column
times the reciprocal of the pivot.  The pivots are LAPACK's 1-based row swaps, int32.

Gradients: the factorization's values come from NumPy; when autograd needs them, the same
elimination is replayed with ember's ops on the rows permuted by those pivots (the same
arithmetic, so the same values), which gives the gradient for every shape.  The solves and
the rest are built from differentiable ops and need no rule of their own.
"""
from __future__ import annotations

import functools

import numpy as np

from . import _dtype as D
from ._ops import _core
from ._device import xp_for
from ._ops._core import wrap as _wrap_host
from ._tensor import Tensor
from .autograd.grad_mode import STATE
from .return_types import make_return


def wrap(arr, device):
    """A tensor on ``device`` holding the host array ``arr``."""
    return _wrap_host(xp_for(device).asarray(arr), device)


def _takes_out(fn):
    """``fn`` taking ``out=`` (a tensor, or a tuple for several results) as PyTorch's do,
    with their checks of its dtypes (exactly the results', but where ``_OUT_CHECKS`` says)."""
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        from . import linalg

        check = _OUT_CHECKS.get(fn.__name__, ())
        check = linalg._castable(*check) if type(check) is tuple and check else \
            linalg._exact(check) if check else None if check is None else linalg._EXACT
        res = fn(*args, **kwargs)
        # (PyTorch's unstructured ones resize ``out`` with contiguous strides; but
        # cholesky_inverse an empty one, as its result)
        plain = fn.__name__ in ("cholesky_solve", "cholesky_inverse", "householder_product")
        if plain and isinstance(out, Tensor) and isinstance(res, Tensor) and \
                out.shape != res.shape and (out.numel() or fn.__name__ != "cholesky_inverse"):
            res = res.contiguous()
        return linalg._out(res, out, check, strided=not plain)
    return wrapper


# (the ops whose kernels cast into ``out`` (their name in PyTorch's message, and their
# outputs'), or check it in words of their own)
_OUT_CHECKS = {
    "householder_product": ("torch.linalg.householder_product",), "tensorinv": ("tensorinv",),
    "tensorsolve": ("tensorsolve",), "cholesky_solve": ("cholesky_solve",),
    "cholesky_inverse": ("cholesky_inverse",), "geqrf": ("torch.geqrf", ("a", "tau")),
    "torch_lu": None,  # (Python-level in PyTorch: its outputs copied into ``out``)
    "ormqr": "torch.ormqr: Expected input and result to have the same dtype, but input has "
             "dtype{res} and result has dtype {out}"}


def _legacy(dt):
    return _core._legacy(dt)


def _check_lu_input(A, fn):
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_{fn}(): argument 'A' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(A.shape)} instead")
    if not (A.dtype.is_floating_point or A.dtype.is_complex) or \
            A.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{_legacy(A.dtype)}'")


def _getrf(a):
    """``(LU, pivots, info)`` of a batch of matrices ``a`` (…, m, n) in ``a``'s dtype."""
    lu = np.array(a, copy=True)
    m, n = lu.shape[-2:]
    k = min(m, n)
    batch = lu.shape[:-2]
    lu = lu.reshape((int(np.prod(batch, dtype=np.int64)), m, n))  # (empty matrices too)
    piv = np.zeros((lu.shape[0], k), np.int32)
    info = np.zeros(lu.shape[0], np.int32)
    rows = np.arange(lu.shape[0])
    one = lu.dtype.type(1)
    with np.errstate(all="ignore"):
        for j in range(k):
            p = j + np.argmax(_pivot_size(lu[:, j:, j]), axis=1)
            piv[:, j] = p + 1
            swap = p != j
            if swap.any():
                r = rows[swap]
                top = lu[r, j, :].copy()
                lu[r, j, :] = lu[r, p[swap], :]
                lu[r, p[swap], :] = top
            d = lu[:, j, j]
            zero = d == 0
            info[(info == 0) & zero] = j + 1
            d = np.where(zero, one, d)
            col = lu[:, j + 1:, j] * (one / d)[:, None]
            col[zero] = lu[zero, j + 1:, j]
            lu[:, j + 1:, j] = col
            upd = col[:, :, None] * lu[:, j, None, j + 1:]
            upd[zero] = 0
            lu[:, j + 1:, j + 1:] -= upd
    return (lu.reshape(batch + (m, n)), piv.reshape(batch + (k,)),
            info.reshape(batch))


def _pivot_size(col):
    """What LAPACK's pivot search compares: ``|x|`` of a real entry, ``|Re x| + |Im x|`` of a
    complex one (``i?amax``'s cheap magnitude), so complex pivots are PyTorch's."""
    if col.dtype.kind == "c":
        return np.abs(col.real) + np.abs(col.imag)
    return np.abs(col)


def _perm_of(piv, m):
    """The row order ``perm`` with ``(P^T A)[i] = A[perm[i]]`` from LAPACK's swaps."""
    piv = np.asarray(piv).astype(np.int64) - 1
    batch = piv.shape[:-1]
    piv = piv.reshape((int(np.prod(batch, dtype=np.int64)), piv.shape[-1]))
    perm = np.tile(np.arange(m), (piv.shape[0], 1))
    rows = np.arange(piv.shape[0])
    for j in range(piv.shape[1]):
        p = piv[:, j]
        a, b = perm[rows, j].copy(), perm[rows, p].copy()
        perm[rows, j], perm[rows, p] = b, a
    return perm.reshape(batch + (m,))


def _replay(A, perm):
    """The packed LU of ``A`` with rows taken in the order ``perm``, in ember's ops."""
    from ._ops.index import gather

    m, n = A.shape[-2:]
    idx = wrap(np.broadcast_to(perm[..., :, None], A.shape[:-2] + (m, n)).copy(), A.device)
    M = gather(A, -2, idx)
    for j in range(min(m, n)):
        col = M[..., j + 1:, j:j + 1] * M[..., j:j + 1, j:j + 1].reciprocal()
        row = M[..., j:j + 1, j + 1:]
        M = M.clone()
        M[..., j + 1:, j:j + 1] = col
        M[..., j + 1:, j + 1:] = M[..., j + 1:, j + 1:] - col * row
    return M.clone()  # (PyTorch's LU is at version 0: the writes above stay inside)


def _lu_core(A, fn):
    _check_lu_input(A, fn)
    a = _core.to_host(A._data)
    lu, piv, info = _getrf(a)
    if STATE.enabled and A.requires_grad:
        from .linalg import _colmajor_t

        LU = _colmajor_t(_replay(A, _perm_of(piv, A.shape[-2])))  # (as LAPACK's)
    else:
        from .linalg import _colmajor

        LU = wrap(_colmajor(lu), A.device)  # (column-major, as LAPACK's)
    return LU, wrap(piv, A.device), wrap(info, A.device)


@_takes_out
@_core.fused_op("LinalgLuFactorExBackward0", keep=((_core.OUT, 0), (_core.OUT, 1)))
def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """``(LU, pivots, info)``: ``A = P L U`` packed in one matrix, LAPACK's 1-based row swaps,
    and per matrix 0 or the 1-based index of the first zero pivot of ``U``."""
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, piv, info = _lu_core(A, "lu_factor_ex")
    if check_errors:
        _raise_info(A, info, "torch.linalg.lu_factor_ex")
    return make_return("linalg_lu_factor_ex", LU, piv, info, names=("LU", "pivots", "info"))


def _raise_info(A, info, fn):
    # NOTE: a plain RuntimeError, not LinAlgError: PyTorch raises this one from a TORCH_CHECK
    bad = np.flatnonzero(_core.to_host(info._data).reshape(-1))
    if bad.size:
        i = int(bad[0])
        k = int(_core.to_host(info._data).reshape(-1)[i])
        pre = f"(Batch element {i}): " if A.ndim > 2 else ""
        raise RuntimeError(f"{fn}: {pre}U[{k},{k}] is zero and using it on lu_solve would "
                           "result in a division by zero. If you still want to perform the "
                           "factorization, consider calling linalg.lu(A, pivot) or "
                           "linalg.lu_factor_ex(A, pivot)")


@_takes_out  # (PyTorch's node keeps LU and the pivots)
@_core.fused_op("LinalgLuFactorExBackward0", keep=((_core.OUT, 0), (_core.OUT, 1)))
def lu_factor(A, *, pivot=True, out=None):
    """``(LU, pivots)`` of ``A``; a zero pivot is an error (see :func:`lu_factor_ex`)."""
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, piv, info = _lu_core(A, "lu_factor")
    _raise_info(A, info, "torch.linalg.lu_factor")
    return make_return("linalg_lu_factor", LU, piv, names=("LU", "pivots"))


def _perm_matrix(piv, m, dtype, device):
    perm = _perm_of(_core.to_host(piv._data), m)
    eye = np.eye(m, dtype=dtype.np)
    P = np.swapaxes(eye[perm], -1, -2)  # P[perm[i], i] = 1
    return wrap(np.ascontiguousarray(P), device)


def _unpack(LU, m, n):
    from ._ops import creation, shape

    k = min(m, n)
    L = LU[..., :, :k].tril(-1) + shape.broadcast_to(
        creation.eye(m, k, dtype=LU.dtype, device=LU.device), LU.shape[:-2] + (m, k))
    U = LU[..., :k, :].triu()
    return L, U


@_takes_out  # (one node, as PyTorch's: L and U its outputs 0 and 1)
@_core.fused_op("LuUnpackBackward0", compact=True)
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """``(P, L, U)`` from a packed LU and its pivots (empty where not asked for)."""
    from ._ops import creation

    if LU_pivots.dtype is not D.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor "
                           "of torch.int32 dtype.\nNote: this function is intended to be used "
                           "with the output produced by torch.linalg.lu_factor")
    m, n = LU_data.shape[-2:]
    empty = creation.empty(0, dtype=LU_data.dtype, device=LU_data.device)
    L, U = _unpack(LU_data, m, n) if unpack_data else (empty, empty)
    P = _perm_matrix(LU_pivots, m, LU_data.dtype, LU_data.device) if unpack_pivots else empty
    return make_return("lu_unpack", P, L, U, names=("P", "L", "U"))


@_takes_out  # (PyTorch's node keeps P, L and U; L and U are its outputs 0 and 1)
@_core.fused_op("LinalgLuBackward0", keep=((_core.OUT, 0), (_core.OUT, 1), (_core.OUT, 2)),
                compact=True)
def lu(A, *, pivot=True, out=None):
    """``(P, L, U)`` with ``A = P L U``: ``L`` unit lower (m×k), ``U`` upper (k×n)."""
    if not pivot:
        raise RuntimeError("linalg.lu: LU without pivoting is not implemented on the CPU")
    LU, piv, _ = _lu_core(A, "lu")
    m, n = A.shape[-2:]
    L, U = _unpack(LU, m, n)
    return make_return("linalg_lu", _perm_matrix(piv, m, A.dtype, A.device), L, U,
                       names=("P", "L", "U"))


@_takes_out
def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """``X`` with ``A X = B`` (``X A = B`` when not ``left``; ``A^H`` when ``adjoint``), for
    ``A`` given by :func:`lu_factor`."""
    from .linalg import solve_triangular

    if LU.dtype is not B.dtype:  # (checked first, as PyTorch)
        raise RuntimeError("linalg.lu_solve: Expected LU and B to have the same dtype, but found "
                           f"LU of type {_legacy(LU.dtype)} and B of type {_legacy(B.dtype)} "
                           "instead")
    if LU.ndim < 2 or LU.shape[-1] != LU.shape[-2]:
        raise RuntimeError("torch.linalg.lu_solve: A must be batches of square matrices, but "
                           "they are "
                           f"{LU.shape[-2]} by {LU.shape[-1]} matrices")
    n = LU.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError("linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    if pivots.dtype is not D.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type Int")
    _core.check_broadcast(B.shape[:-2], LU.shape[:-2])
    P = _perm_matrix(pivots, n, LU.dtype, LU.device)
    L, U = _unpack(LU, n, n)
    Lt, Ut, Pt = L.mH, U.mH, P.mT  # (A^H = U^H L^H P^T: complex factors are conjugated)
    if left and not adjoint:      # P L U X = B
        X = solve_triangular(L, Pt @ B, upper=False, unitriangular=True)
        return solve_triangular(U, X, upper=True)
    if left:                      # U^H L^H P^T X = B
        X = solve_triangular(Ut, B, upper=False)
        return P @ solve_triangular(Lt, X, upper=True, unitriangular=True)
    if not adjoint:               # X P L U = B
        X = solve_triangular(U, B, upper=True, left=False)
        return solve_triangular(L, X, upper=False, left=False, unitriangular=True) @ Pt
    X = B @ P                     # X U^H L^H P^T = B
    X = solve_triangular(Lt, X, upper=True, left=False, unitriangular=True)
    return solve_triangular(Ut, X, upper=False, left=False)


def torch_lu_solve(b, LU_data, LU_pivots, *, out=None):
    """``torch.lu_solve(b, LU_data, LU_pivots)`` (deprecated in PyTorch)."""
    from ._warnings import warn

    warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in "
         "a future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments "
         "reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be replaced with\nX = "
         "torch.linalg.lu_solve(LU, pivots, B)",
         cpp=f"aten/src/ATen/native/BatchLinearAlgebra.cpp:{2230 if out is None else 2242}")
    return _torch_lu_solve(b, LU_data, LU_pivots, out=out)


@_takes_out
def _torch_lu_solve(b, LU_data, LU_pivots):
    return lu_solve(LU_data, LU_pivots, b)


@_takes_out
def torch_lu(A, pivot=True, get_infos=False, out=None):
    """``torch.lu``: ``(LU, pivots)``, or ``(LU, pivots, infos)`` with ``get_infos``."""
    from ._warnings import warn

    warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex "
         "and will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, "
         "compute_pivots)\nshould be replaced with\nLU, pivots = torch.linalg.lu_factor(A, "
         "compute_pivots)\nand\nLU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)"
         "\nshould be replaced with\nLU, pivots, info = torch.linalg.lu_factor_ex(A, "
         "compute_pivots)", cpp="aten/src/ATen/native/BatchLinearAlgebra.cpp:2073")
    if get_infos:
        LU, piv, info = lu_factor_ex(A, pivot=pivot)
        return LU, piv, info
    LU, piv, info = _lu_core(A, "lu")
    _raise_info(A, info, "torch.linalg.lu_factor")
    return LU, piv


# -- Householder, LDL ----------------------------------------------------------------------

@_takes_out
@_core.fused_op("LinalgHouseholderProductBackward0", keep=(0, 1, _core.OUT))  # (A, tau, result)
def householder_product(A, tau, *, out=None):
    """The first ``n`` columns of ``H_1 H_2 ... H_k`` with ``H_i = I - tau_i v_i v_i^H``, ``v_i``
    being column ``i`` of ``A`` below the diagonal, with a 1 on it (LAPACK's ``orgqr``)."""
    from ._ops import creation, shape

    if A.ndim < 2:
        raise RuntimeError("torch.linalg.householder_product: input must have at least 2 "
                           "dimensions.")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]")
    k = tau.shape[-1]
    if n < k:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError("torch.linalg.householder_product: Expected tau to have one "
                           "dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {A.ndim}")
    Q = shape.broadcast_to(creation.eye(m, n, dtype=A.dtype, device=A.device),
                           A.shape[:-2] + (m, n))
    eye = creation.eye(m, dtype=A.dtype, device=A.device)
    for i in reversed(range(k)):
        v = A[..., :, i:i + 1].tril(-i) * 1  # zeros above row i
        v = v * (1 - eye[:, i:i + 1]) + eye[:, i:i + 1]
        t = tau[..., i:i + 1].unsqueeze(-1)
        Q = Q - t * (v @ (v.mH @ Q))
    from .linalg import _colmajor_t

    return _colmajor_t(Q)  # (column-major, as LAPACK's)


@_takes_out
def geqrf(input, *, out=None):
    """``(a, tau)``: LAPACK's ``geqrf`` QR, ``R`` on and above the diagonal of ``a`` and the
    Householder vectors below it (NumPy's ``qr(mode='raw')`` calls the same routine)."""
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if not (input.dtype.is_floating_point or input.dtype.is_complex) or \
            input.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for "
                                  f"'{_legacy(input.dtype)}'")
    a = _core.to_host(input.detach()._data)
    m, n = a.shape[-2:]
    flat = a.reshape((int(np.prod(a.shape[:-2], dtype=np.int64)), m, n))
    hs, ts = [], []
    for mat in flat:
        h, tau = np.linalg.qr(mat, mode="raw")
        hs.append(h.T)
        ts.append(tau)
    k = min(m, n)
    h = np.stack(hs).reshape(a.shape).astype(a.dtype) if flat.shape[0] else a.copy()
    t = (np.stack(ts).reshape(a.shape[:-2] + (k,)) if flat.shape[0]
         else np.zeros(a.shape[:-2] + (k,))).astype(a.dtype)
    from .linalg import _colmajor

    return make_return("geqrf", wrap(_colmajor(h), input.device),
                       wrap(t, input.device), names=("a", "tau"))


def orgqr(input, tau):
    """``torch.orgqr``: :func:`householder_product`."""
    return householder_product(input, tau)


@_takes_out
@_core.fused_op("OrmqrBackward0")
def ormqr(input, input2, input3, left=True, transpose=False, *, out=None):
    """``Q @ input3`` (``input3 @ Q`` when not ``left``; ``Q^H`` with ``transpose``) for the
    full ``m x m`` ``Q`` of the Householder vectors ``input`` and scales ``input2``."""
    from ._ops import creation, shape

    m, n = input.shape[-2:]
    side = -2 if left else -1
    if input3.ndim >= 2 and input3.shape[side] != m:
        raise RuntimeError(f"torch.ormqr: other.shape[{side}] must be equal to input.shape[-2]")
    if input3.ndim >= 2 and input2.ndim >= 1 and input2.shape[-1] != min(m, n):
        raise RuntimeError(f"torch.ormqr: tau.shape[-1] must be equal to min(other.shape[{side}],"
                           " input.shape[-1])")
    if n > m:  # (a wide input: its first m columns hold the reflectors)
        input, n = input[..., :, :m], m
    if m > n:  # room for the full Q: the missing columns carry no reflector
        pad = creation.zeros(tuple(input.shape[:-1]) + (m - n,), dtype=input.dtype,
                             device=input.device)
        input = shape.cat([input, pad], -1)
    Q = householder_product(input, input2)
    if transpose:
        Q = Q.mH
    from .linalg import _colmajor_t

    return _colmajor_t(Q @ input3 if left else input3 @ Q)  # (column-major, as LAPACK's)


def _check_system(b, A, name):
    """PyTorch's checks of the square ``A`` and the ``b`` of ``A X = b`` (``linearSolveCheck
    Inputs``), in its words."""
    if A.ndim >= 2 and b.ndim >= 2:
        if A.shape[-1] != A.shape[-2]:
            raise RuntimeError(f"A must be batches of square matrices, but they are "
                               f"{A.shape[-2]} by {A.shape[-1]} matrices")
        if A.shape[-1] != b.shape[-2]:
            raise RuntimeError(f"Incompatible matrix sizes for {name}: each A matrix is "
                               f"{A.shape[-1]} by {A.shape[-1]} but each b matrix is "
                               f"{b.shape[-2]} by {b.shape[-1]}")


@_takes_out
def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """Deprecated ``torch.triangular_solve``: ``(solution, cloned_coefficient)``."""
    from ._warnings import warn_once
    from .linalg import _colmajor_t, solve_triangular

    if isinstance(A, Tensor) and isinstance(b, Tensor) and A.dtype is b.dtype:
        _check_system(b, A, "triangular_solve")  # (before the deprecation warning, as PyTorch)
    warn_once("triangular_solve",  # (PyTorch's TORCH_WARN_ONCE)
              "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand "
              "will be removed in a future PyTorch release.\ntorch.linalg.solve_triangular has "
              "its arguments reversed and does not return a copy of one of the inputs.\nX = "
              "torch.triangular_solve(B, A).solution\nshould be replaced with\nX = "
              "torch.linalg.solve_triangular(A, B).",
              cpp="aten/src/ATen/native/BatchLinearAlgebra.cpp:2273")
    # the values from the detached inputs; one node for both results, PyTorch's rule
    bd, Ad = b.detach(), A.detach()
    x = solve_triangular(Ad.mT if transpose else Ad, bd, upper=upper != transpose,
                         unitriangular=unitriangular)
    res = _core.make_multi((x._data, _colmajor_t(Ad)._data), (b, A), "TriangularSolveBackward0",
                           _triangular_solve_rule, b, A, _core.OUT, upper, transpose,
                           unitriangular)
    return make_return("triangular_solve", *res, names=("solution", "cloned_coefficient"))


def _triangular_solve_rule(ctx, gx, gm):
    # PyTorch's: the solution's gradient through the transposed system (A's restricted to its
    # triangle); the cloned coefficient's passed on to all of A
    from .linalg import _given, solve_triangular

    b, A, x, upper, transpose, unitriangular = ctx.saved
    gx, gm = _given(gx), _given(gm)
    gb = b.new_zeros(()).expand(x.shape) if gx is None else solve_triangular(
        A.conj() if transpose else A.mH, gx, upper=upper == transpose,
        unitriangular=unitriangular)
    ga = A.new_zeros(()).expand(A.shape)
    if gx is not None and ctx.needs_input_grad[1]:
        ga = -(x.conj() @ gb.mT if transpose else gb @ x.mH)
        ga = ga.triu(int(unitriangular)) if upper else ga.tril(-int(unitriangular))
    if gm is not None:
        ga = ga + gm
    return _core.sum_to(gb, b.shape), _core.sum_to(ga, A.shape)


def _sytf2_lower(a):
    """LAPACK's Bunch-Kaufman ``sytf2`` (lower) on one symmetric matrix: ``(LD, ipiv, info)``."""
    a = a.copy()
    n = a.shape[0]
    ipiv = np.zeros(n, np.int32)
    info = 0
    alpha = (1 + np.sqrt(17.0)) / 8
    k = 0
    while k < n:
        kstep = 1
        absakk = abs(a[k, k])
        if k < n - 1:
            imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k])))
            colmax = abs(a[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0:
            if info == 0:
                info = k + 1
            kp = k
        else:
            if absakk >= alpha * colmax:
                kp = k
            else:
                # the largest off-diagonal magnitude in row imax
                rowmax = np.abs(a[imax, k:imax]).max()
                if imax < n - 1:
                    rowmax = max(rowmax, np.abs(a[imax + 1:, imax]).max())
                if absakk >= alpha * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= alpha * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:
                # swap rows and columns kk and kp in the trailing lower triangle
                if kp < n - 1:
                    tmp = a[kp + 1:, kk].copy()
                    a[kp + 1:, kk] = a[kp + 1:, kp]
                    a[kp + 1:, kp] = tmp
                tmp = a[kk + 1:kp, kk].copy()
                a[kk + 1:kp, kk] = a[kp, kk + 1:kp]
                a[kp, kk + 1:kp] = tmp
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if kstep == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if kstep == 1:
                if k < n - 1:
                    d11 = 1 / a[k, k]
                    x = a[k + 1:, k].copy()
                    # rank-1 update of the trailing lower triangle (LAPACK's syr)
                    tri = np.tril(np.outer(x, x) * d11)
                    a[k + 1:, k + 1:] -= tri
                    a[k + 1:, k] = x * d11
            else:
                if k < n - 2:
                    d21 = a[k + 1, k]
                    d11 = a[k + 1, k + 1] / d21
                    d22 = a[k, k] / d21
                    t = 1 / (d11 * d22 - 1)
                    d21 = t / d21
                    for j in range(k + 2, n):
                        wk = d21 * (d11 * a[j, k] - a[j, k + 1])
                        wkp1 = d21 * (d22 * a[j, k + 1] - a[j, k])
                        for i in range(j, n):
                            a[i, j] -= a[i, k] * wk + a[i, k + 1] * wkp1
                        a[j, k] = wk
                        a[j, k + 1] = wkp1
        if kstep == 1:
            ipiv[k] = kp + 1
        else:
            ipiv[k] = ipiv[k + 1] = -(kp + 1)
        k += kstep
    return np.tril(a), ipiv, info


@_takes_out
def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """``(LD, pivots, info)``: the Bunch-Kaufman factorization ``A = L D L^T`` of symmetric
    ``A`` (its lower triangle is read), packed as LAPACK's ``sytrf`` packs it."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError("torch.linalg.ldl_factor_ex: A must be batches of square matrices, "
                           f"but they are {A.shape[-2]} by {A.shape[-1]} matrices")
    if A.dtype.is_complex:  # (PyTorch's sytrf/hetrf; ember's Bunch-Kaufman is real only)
        raise NotImplementedError("linalg.ldl_factor on complex tensors is not supported by "
                                  "ember")
    if not A.dtype.is_floating_point or A.dtype in (D.float16, D.bfloat16):
        raise RuntimeError("torch.linalg.ldl_factor_ex: Expected a floating point or complex "
                           f"tensor as input. Got {_legacy(A.dtype)}")
    a = _core.to_host(A.detach()._data)
    n = a.shape[-1]
    flat = a.reshape((-1, n, n))
    res = [_sytf2_lower(m) for m in flat]
    ld = np.stack([r[0] for r in res]).reshape(a.shape).astype(a.dtype)
    piv = np.stack([r[1] for r in res]).reshape(a.shape[:-1])
    info = np.array([r[2] for r in res], np.int32).reshape(a.shape[:-2])
    if check_errors and info.any():
        from .linalg import LinAlgError

        raise LinAlgError(f"torch.linalg.ldl_factor_ex: The factorization could not be "
                          f"completed because the input is not positive-definite (the leading "
                          f"minor of order {int(info.reshape(-1)[0])} is not positive-definite).")
    # NOTE: as PyTorch, LD joins the graph but has no derivative
    from .linalg import _colmajor

    LD = _core.make(_colmajor(xp_for(A.device).asarray(ld)), (A,), "NotImplemented",
                    _ldl_factor_no_grad)
    return make_return("linalg_ldl_factor_ex", LD, wrap(piv, A.device),
                       wrap(info, A.device), names=("LD", "pivots", "info"))


def _ldl_factor_no_grad(ctx, g):
    raise RuntimeError("derivative for aten::linalg_ldl_factor_ex is not implemented")


@_takes_out
def ldl_factor(A, *, hermitian=False, out=None):
    LD, piv, info = ldl_factor_ex(A, hermitian=hermitian)
    bad = np.flatnonzero(_core.to_host(info._data).reshape(-1))
    if bad.size:
        from .linalg import LinAlgError

        k = int(_core.to_host(info._data).reshape(-1)[bad[0]])
        raise LinAlgError(f"torch.linalg.ldl_factor: The factorization could not be completed "
                          f"because the input is not positive-definite (the leading minor of "
                          f"order {k} is not positive-definite).")
    return make_return("linalg_ldl_factor", LD, piv, names=("LD", "pivots"))


@_takes_out
def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """``X`` with ``A X = B`` for ``A`` given by :func:`ldl_factor` (1×1 and 2×2 blocks)."""
    ld = _core.to_host(LD.detach()._data)
    piv = _core.to_host(pivots._data).astype(np.int64)
    b = _core.to_host(B.detach()._data)
    n = ld.shape[-1]
    batch = np.broadcast_shapes(ld.shape[:-2], b.shape[:-2])
    ld = np.broadcast_to(ld, batch + (n, n)).reshape((-1, n, n))
    piv = np.broadcast_to(piv, batch + (n,)).reshape((-1, n))
    b = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    out = np.empty(b.shape, np.result_type(ld, b))
    for i in range(ld.shape[0]):
        L, Dm, perm = _ldl_parts(ld[i], piv[i])
        y = np.linalg.solve(L, b[i][perm])
        z = np.linalg.solve(Dm, y)
        x = np.empty_like(z)
        x[perm] = np.linalg.solve(L.T, z)
        out[i] = x
    res = out.reshape(batch + b.shape[-2:]).astype(LD.dtype.np)
    # NOTE: as PyTorch, the result joins the graph but has no derivative
    return _core.make(xp_for(LD.device).asarray(res), (LD, B), "NotImplemented", _ldl_no_grad)


def _ldl_no_grad(ctx, g):
    raise RuntimeError("derivative for aten::linalg_ldl_solve is not implemented")


def _ldl_parts(ld, piv):
    """Explicit ``L``, block-diagonal ``D`` and row order ``perm`` with
    ``A[perm][:, perm] = L D L^T`` from the packed ``sytrf`` form."""
    n = ld.shape[0]
    L = np.eye(n)
    Dm = np.zeros((n, n))
    perm = np.arange(n)
    k = 0
    # replay the interchanges: LAPACK applies each to the rows of L already formed
    Lcols = []
    while k < n:
        if piv[k] > 0:
            kp, step = piv[k] - 1, 1
        else:
            kp, step = -piv[k] - 1, 2
        kk = k + step - 1
        if kp != kk:
            perm[[kk, kp]] = perm[[kp, kk]]
            for c in Lcols:
                L[[kk, kp], c] = L[[kp, kk], c]
        if step == 1:
            Dm[k, k] = ld[k, k]
            L[k + 1:, k] = ld[k + 1:, k]
            Lcols.append(k)
        else:
            Dm[k, k], Dm[k + 1, k], Dm[k, k + 1], Dm[k + 1, k + 1] = (
                ld[k, k], ld[k + 1, k], ld[k + 1, k], ld[k + 1, k + 1])
            L[k + 2:, k] = ld[k + 2:, k]
            L[k + 2:, k + 1] = ld[k + 2:, k + 1]
            Lcols += [k, k + 1]
        k += step
    return L, Dm, perm


# -- built from the others ------------------------------------------------------------------

@_takes_out
def tensorinv(A, ind=2, *, out=None):
    """The inverse of ``A`` seen as a matrix of rows ``A.shape[:ind]`` by columns
    ``A.shape[ind:]``; the result has shape ``A.shape[ind:] + A.shape[:ind]``."""
    from .linalg import inv

    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows = int(np.prod(A.shape[:ind]))
    cols = int(np.prod(A.shape[ind:]))
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return inv(A.reshape(rows, cols)).reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))


@_takes_out
def tensorsolve(A, B, dims=None, *, out=None):
    """``X`` with ``tensordot(A, X, X.ndim) = B``; ``dims`` of ``A`` move to the end first."""
    from .linalg import solve

    if dims is not None:
        nd = A.ndim
        dims = [d % nd for d in dims]
        A = A.permute([d for d in range(nd) if d not in dims] + dims)
    rest = tuple(A.shape[B.ndim:])
    n = int(np.prod(rest))
    if n != B.numel():  # (B's own shape need not be A's leading dims: it is flattened)
        raise RuntimeError("Expected self to satisfy the requirement "
                           "prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
                           f"but got {n} != {B.numel()}")
    return solve(A.reshape(B.numel(), n), B.reshape(B.numel(), 1)).reshape(rest)


def vander(x, *, N=None):
    """``[x^0, x^1, ..., x^(N-1)]`` along a new last dim (running products, as PyTorch)."""
    from ._ops import creation, reduce, shape

    if x.ndim < 1:  # (PyTorch's takes a scalar as one element)
        x = x.reshape(1)
    if x.dtype is D.bool:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer "
                           "tensors, but got Bool")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    dt = x.dtype if x.dtype.is_floating_point or x.dtype.is_complex else D.int64
    ones = creation.ones(tuple(x.shape) + (1,), dtype=dt, device=x.device)
    rep = shape.expand(x.unsqueeze(-1).to(dt), tuple(x.shape) + (n - 1,))
    return reduce.cumprod(shape.cat([ones, rep], -1), -1)


# -- Cholesky helpers ----------------------------------------------------------------------

@_takes_out
def cholesky_solve(input, input2, upper=False, *, out=None):
    """``X`` with ``A X = B`` where ``A = L L^H`` (``U^H U`` with ``upper``): ``B`` is
    ``input``, ``L`` is ``input2`` (PyTorch's keyword names)."""
    from .linalg import solve_triangular

    B, L = input, input2

    if B.ndim < 2 or L.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {B.ndim} dimensions "
                           "instead" if B.ndim < 2 else
                           f"u should have at least 2 dimensions, but has {L.ndim} dimensions "
                           "instead")
    if B.dtype is not L.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_legacy(B.dtype)} and A of type {_legacy(L.dtype)} instead.")
    _check_system(B, L, "cholesky_solve")
    # The values from the two triangular solves (which read only L's triangle); the node's
    # rule is PyTorch's, whose gradient for L is not restricted to that triangle
    Bd, Ld = B.detach(), L.detach()
    if upper:
        X = solve_triangular(Ld, solve_triangular(Ld.mH, Bd, upper=False), upper=True)
    else:
        X = solve_triangular(Ld.mH, solve_triangular(Ld, Bd, upper=False), upper=True)
    return _core.make(X._data, (B, L), "CholeskySolveBackward0", _cholesky_solve_rule,
                      _core.OUT, L, upper)


@_core.complex_ready
def _cholesky_solve_rule(ctx, g):
    # A X = B with A = L L^H: gB = A^{-1} g, and gL = -(C + C^H) L with C = gB X^H
    # (L^H ... on the right, -U (C + C^H), for U^H U)
    X, L, upper = ctx.saved
    gb = cholesky_solve(g, L, upper)
    c = gb @ X.mH
    c = c + c.mH
    return gb, -(L @ c) if upper else -(c @ L)


@_takes_out
def cholesky_inverse(L, upper=False, *, out=None):
    """The inverse of ``L L^H`` (``U^H U`` with ``upper``) from its Cholesky factor."""
    from ._ops import creation

    if L.ndim < 2 or L.shape[-1] != L.shape[-2]:
        raise RuntimeError("A must be batches of square matrices, but they are "
                           f"{L.shape[-2] if L.ndim >= 2 else 1} by {L.shape[-1]} matrices")
    eye = creation.eye(L.shape[-1], dtype=L.dtype, device=L.device)
    return cholesky_solve(eye.expand(L.shape), L, upper)


def _install():
    for name, fn in (("lu", torch_lu), ("lu_solve", torch_lu_solve), ("geqrf", geqrf),
                     ("orgqr", orgqr), ("ormqr", ormqr), ("triangular_solve", triangular_solve),
                     ("cholesky_solve", cholesky_solve),
                     ("cholesky_inverse", cholesky_inverse)):
        if name not in Tensor.__dict__:
            setattr(Tensor, name, fn)


_install()
