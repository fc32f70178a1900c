"""``torch.linalg.eig`` and ``eigvals``: eigen-decompositions of general square matrices.

The values come from LAPACK's ``geev`` through NumPy (PyTorch calls the same routine), so
eigenvalues come in LAPACK's order and each eigenvector has unit norm; real input gives
complex output of the matching precision.  The gradient is the one for ``A = V diag(L)
V^-1`` with unit-norm eigenvectors:
``gA = V^-H (diag(gL) + (V^H gV - V^H V Re(diag(V^H gV))) / conj(L_j - L_i)) V^H``
(the real part for real ``A``), refused as in PyTorch when the loss depends on the
eigenvectors' arbitrary phases.
"""
from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._ops import _core
from ._ops._core import make, make_multi, wrap
from ._ops.linalg import matmul
from ._tensor import Tensor
from .return_types import make_return


def _check(A, fn):
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        # NOTE: PyTorch asks for the complex type of the input first, and fails there
        raise RuntimeError(f"Unknown Complex ScalarType for {_core._legacy(A.dtype)}")
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{fn}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{fn}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if A.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f'"linalg_eig_out_cpu" not implemented for '
                                  f"'{_core._legacy(A.dtype)}'")


def _geev(A, check_finite=True):
    """``(L, V)`` as NumPy arrays of A's complex dtype (NaN for a matrix holding inf or NaN,
    where ``eig`` refuses it and ``eigvals`` does not)."""
    cdt = A.dtype.to_complex().np
    if A._device.type == "meta":  # (no values: arrays of the results' shapes)
        xp = _core.xp_of(A)
        return xp.empty(A.shape[:-1], cdt), xp.empty(A.shape, cdt)
    a = A.detach().numpy(force=True) if A._device.type == "cpu" else A._data.get()
    n = a.shape[-1]
    bad = ~np.isfinite(a).all(axis=(-2, -1))
    if check_finite and bad.any():
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
    if a.size == 0:
        return np.zeros(a.shape[:-1], cdt), np.zeros(a.shape[:-2] + (n, n), cdt)
    wide = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    wide[bad] = 0
    with _core.quiet:
        w, v = np.linalg.eig(wide)
    w, v = w.astype(cdt), v.astype(cdt)
    w[bad] = np.nan
    v[bad] = np.nan
    return w, v


def _to_device(arr, like):
    if like._device.type == "cpu":
        return arr
    return _core.xp_for(like._device).asarray(arr)


@_core.complex_ready
def _eig_rule(ctx, gL, gV):
    L, V, real = ctx.saved
    if gL is None and gV is None:
        return (None,)
    Vh = V.mH
    n = L.shape[-1]
    inner = None
    if gV is not None:
        VhgV = matmul(Vh, gV)
        diag = VhgV.diagonal(0, -2, -1)
        if (diag.imag.abs() > 1e-4 * (diag.abs() + 1)).any():
            raise RuntimeError(
                "linalg_eig_backward: The eigenvectors in the complex case are specified up to "
                "multiplication by e^{i phi}. The specified loss function depends on this "
                "quantity, so it is ill-defined.")
        inner = VhgV - matmul(Vh, V) * diag.real.unsqueeze(-2)
        E = L.unsqueeze(-2) - L.unsqueeze(-1)  # E[i, j] = L_j - L_i
        eye = wrap(_core.xp_of(L).eye(n, dtype=np.bool_), L._device)
        inner = (inner / E.conj().masked_fill(eye, 1)).masked_fill(eye, 0)
    if gL is not None:
        inner = gL.diag_embed() if inner is None else inner + gL.diag_embed()
    gA = _linalg().solve(Vh, matmul(inner, Vh))  # V^-H inner V^H
    return (gA.real if real else gA,)


@_core.complex_ready
def _eigvals_rule(ctx, gL):
    return _eig_rule(ctx, gL, None)


def _linalg():
    from . import linalg
    return linalg


def eig(A, *, out=None):
    """Eigenvalues and unit-norm eigenvectors of square matrices (complex, LAPACK's order)."""
    _check(A, "eig")
    w, v = _geev(A)
    w, v = _to_device(w, A), _linalg()._colmajor(_to_device(v, A))  # (as LAPACK's)
    real = not A.dtype.is_complex
    res = make_multi((w, v), (A,), "LinalgEigBackward0", _eig_rule)
    node = res[0].grad_fn
    if node is not None:  # (its own outputs, saved as such: a double backward sees them)
        node.save(res[0], res[1], real)
    res = make_return("linalg_eig", *res, names=("eigenvalues", "eigenvectors"))
    if out is not None:
        lin = _linalg()
        lin._check_out(res, out, lin._castable("torch.linalg.eig", ("eigenvalues", "eigenvectors")))
        for o, r in zip(out, res):
            o.resize_(r.shape).copy_(r)
        return make_return("linalg_eig_out", *out, names=("eigenvalues", "eigenvectors"))
    return res


def eigvals(A, *, out=None):
    """The eigenvalues of square matrices (complex, LAPACK's order)."""
    _check(A, "eigvals")
    if _core.needs_grad((A,)) and out is None:  # (through eig, whose vectors then take part
        return eig(A).eigenvalues  # in a double backward, as PyTorch's)
    w, v = _geev(A, check_finite=False)
    w, v = _to_device(w, A), _to_device(v, A)
    real = not A.dtype.is_complex
    L = make(w, (A,), "LinalgEigBackward0", _eigvals_rule, wrap(w, A._device),
             wrap(v, A._device), real)
    if out is not None:
        lin = _linalg()
        lin._check_out(L, out, lin._castable("torch.linalg.eigvals", "eigenvalues"))
        return out.resize_(L.shape).copy_(L)
    return L
