"""ember.linalg's decompositions on complex matrices, against PyTorch: values (and dtypes),
gradients on losses that do not see the vectors' arbitrary phases, ember's gradcheck, and
the errors (non-positive-definite, singular, phase-dependent losses)."""
import warnings

import numpy as np
import pytest

import ember
from diff import as_numpy, torch

DTYPES = ["complex64", "complex128"]
SHAPES = [(3, 3), (2, 4, 4), (2, 1, 3, 3)]
TOL = {"complex64": 2e-4, "complex128": 1e-9}


def _c(rng, shape, dtype="complex128"):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def _hpd(rng, shape, dtype="complex128"):
    """A Hermitian positive-definite batch of ``dtype``."""
    x = _c(rng, shape, "complex128")
    h = x @ np.conj(np.swapaxes(x, -1, -2)) + np.eye(shape[-1])
    return h.astype(dtype)


def _both(a):
    return ember.from_numpy(a.copy()), torch.from_numpy(a.copy())


def _same(e, t, tol, what=""):
    assert str(e.dtype) == str(t.dtype), what
    assert tuple(e.shape) == tuple(t.shape), what
    np.testing.assert_allclose(as_numpy(e), as_numpy(t), rtol=tol, atol=tol, err_msg=what)


def _run(fn, a, tol):
    e, t = _both(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        re, rt = fn(ember, e), fn(torch, t)
    if isinstance(rt, torch.Tensor):
        re, rt = (re,), (rt,)
    assert len(re) == len(rt)
    for i, (x, y) in enumerate(zip(re, rt)):
        _same(x, y, tol, f"output {i}")
    return re, rt


# -- forward values -------------------------------------------------------------------------

HPD_FUNCS = {
    "cholesky": lambda lib, a: lib.linalg.cholesky(a),
    "cholesky_upper": lambda lib, a: lib.linalg.cholesky(a, upper=True),
    "torch.cholesky": lambda lib, a: lib.cholesky(a, upper=True),
    "cholesky_ex": lambda lib, a: tuple(lib.linalg.cholesky_ex(a)),
    "eigvalsh": lambda lib, a: lib.linalg.eigvalsh(a),
    "eigvalsh_U": lambda lib, a: lib.linalg.eigvalsh(a, UPLO="U"),
    "cholesky_inverse": lambda lib, a: lib.cholesky_inverse(lib.linalg.cholesky(a)),
    "cholesky_inverse_upper": lambda lib, a: lib.cholesky_inverse(
        lib.linalg.cholesky(a, upper=True), upper=True),
    "cholesky_solve": lambda lib, a: lib.cholesky_solve(a[..., :2] * 1j,
                                                        lib.linalg.cholesky(a)),
    "cholesky_solve_upper": lambda lib, a: lib.cholesky_solve(
        a[..., :2], lib.linalg.cholesky(a, upper=True), upper=True),
    "matrix_rank_hermitian": lambda lib, a: lib.linalg.matrix_rank(a, hermitian=True),
    "pinv_hermitian": lambda lib, a: lib.linalg.pinv(a, hermitian=True),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(HPD_FUNCS))
def test_hermitian_input_values(name, shape, dtype):
    rng = np.random.default_rng(len(shape) + 7 * len(name))
    a = _hpd(rng, shape, dtype)
    if name.startswith("eigvalsh"):  # only the triangle named by UPLO is read
        junk = _c(rng, shape, dtype)
        a = a + (np.triu(junk, 1) if name == "eigvalsh" else np.tril(junk, -1))
    _run(HPD_FUNCS[name], a, TOL[dtype] * 10)


GENERAL_FUNCS = {
    "slogdet": lambda lib, a: tuple(lib.linalg.slogdet(a)),
    "torch.slogdet": lambda lib, a: tuple(lib.slogdet(a)),
    "logdet": lambda lib, a: lib.logdet(a),
    "qr": lambda lib, a: tuple(lib.linalg.qr(a)),
    "qr_complete": lambda lib, a: tuple(lib.linalg.qr(a, mode="complete")),
    "qr_r": lambda lib, a: lib.linalg.qr(a, mode="r").R,
    "svdvals": lambda lib, a: lib.linalg.svdvals(a),
    "svd_S": lambda lib, a: lib.linalg.svd(a).S,
    "pinv": lambda lib, a: lib.linalg.pinv(a),
    "solve_triangular": lambda lib, a: lib.linalg.solve_triangular(a, a[..., :2] * 1j,
                                                                   upper=True),
    "solve_triangular_right": lambda lib, a: lib.linalg.solve_triangular(
        a, a[..., :2, :], upper=False, left=False, unitriangular=True),
    "triangular_solve": lambda lib, a: tuple(lib.triangular_solve(a[..., :2], a,
                                                                  transpose=True)),
    "lu_factor": lambda lib, a: tuple(lib.linalg.lu_factor(a)),
    "lu_factor_ex": lambda lib, a: tuple(lib.linalg.lu_factor_ex(a)),
    "lu": lambda lib, a: tuple(lib.linalg.lu(a)),
    "lu_solve": lambda lib, a: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), a[..., :2]),
    "lu_solve_adjoint": lambda lib, a: lib.linalg.lu_solve(*lib.linalg.lu_factor(a),
                                                           a[..., :2], adjoint=True),
    "lu_solve_right": lambda lib, a: lib.linalg.lu_solve(*lib.linalg.lu_factor(a),
                                                         a[..., :2, :], left=False),
    "lu_solve_right_adjoint": lambda lib, a: lib.linalg.lu_solve(
        *lib.linalg.lu_factor(a), a[..., :2, :], left=False, adjoint=True),
    "torch.lu_solve": lambda lib, a: lib.lu_solve(a[..., :1], *lib.linalg.lu_factor(a)),
    "lu_unpack": lambda lib, a: tuple(lib.lu_unpack(*lib.linalg.lu_factor(a))),
    "matrix_norm_2": lambda lib, a: lib.linalg.matrix_norm(a, 2),
    "matrix_norm_-2": lambda lib, a: lib.linalg.matrix_norm(a, -2),
    "matrix_norm_nuc": lambda lib, a: lib.linalg.matrix_norm(a, "nuc"),
    "cond": lambda lib, a: lib.linalg.cond(a),
    "matrix_rank": lambda lib, a: lib.linalg.matrix_rank(a),
    "geqrf": lambda lib, a: tuple(lib.geqrf(a)),
    "householder_product": lambda lib, a: lib.linalg.householder_product(*lib.geqrf(a)),
    "ormqr": lambda lib, a: lib.ormqr(*lib.geqrf(a), a[..., :2] * 1j),
    "ormqr_adjoint": lambda lib, a: lib.ormqr(*lib.geqrf(a), a[..., :2], transpose=True),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(GENERAL_FUNCS))
def test_general_input_values(name, shape, dtype):
    rng = np.random.default_rng(len(shape) + 5 * len(name))
    a = _c(rng, shape, dtype)
    if "triangular" in name:
        a = a + 3 * np.eye(shape[-1], dtype=dtype)  # a well-conditioned triangle
    _run(GENERAL_FUNCS[name], a, TOL[dtype] * 10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 5), (4, 4)])
def test_rectangular_values(shape, dtype):
    rng = np.random.default_rng(3)
    a = _c(rng, shape, dtype)
    tol = TOL[dtype] * 10
    for fn in (lambda lib, x: tuple(lib.linalg.qr(x)),
               lambda lib, x: lib.linalg.svdvals(x),
               lambda lib, x: lib.linalg.pinv(x),
               lambda lib, x: tuple(lib.linalg.lu(x)),
               lambda lib, x: lib.linalg.norm(x, "nuc", dim=(-2, -1)),
               lambda lib, x: lib.linalg.lstsq(x, x[..., :2] + 1j).solution,
               lambda lib, x: tuple(lib.linalg.lstsq(x, x[..., :1]))[1:]):
        _run(fn, a, tol)
    if len(shape) == 2:
        _run(lambda lib, x: (lib.linalg.norm(x, 2), lib.linalg.norm(x, "nuc")), a, tol)


def _projectors(v):
    """``v_i v_i^H`` for each column: what an eigen or singular vector is, free of phase."""
    v = as_numpy(v)
    return v[..., :, None, :] * np.conj(v[..., None, :, :])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_eigh_values_and_vectors(shape, dtype):
    rng = np.random.default_rng(11)
    a = _hpd(rng, shape, dtype)
    a = a + np.triu(_c(rng, shape, dtype), 1)  # never read with UPLO="L"
    tol = TOL[dtype] * 100
    for uplo in ("L", "U"):
        b = a if uplo == "L" else np.conj(np.swapaxes(a, -1, -2)).copy()
        e, t = _both(b)
        (ew, ev), (tw, tv) = ember.linalg.eigh(e, UPLO=uplo), torch.linalg.eigh(t, UPLO=uplo)
        _same(ew, tw, tol, "eigenvalues")
        assert ev.dtype is getattr(ember, dtype) and tuple(ev.shape) == tuple(tv.shape)
        np.testing.assert_allclose(_projectors(ev), _projectors(tv), atol=tol)
        herm = np.tril(a) + np.conj(np.swapaxes(np.tril(a, -1), -1, -2))
        back = as_numpy(ev) * as_numpy(ew)[..., None, :] @ np.conj(
            np.swapaxes(as_numpy(ev), -1, -2))
        np.testing.assert_allclose(back, herm, atol=tol * 10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 5, 3), (2, 1, 3, 4)])
@pytest.mark.parametrize("full", [True, False])
def test_svd_values_and_vectors(shape, full, dtype):
    rng = np.random.default_rng(12)
    a = _c(rng, shape, dtype)
    e, t = _both(a)
    tol = TOL[dtype] * 100
    (eu, es, evh), (tu, ts, tvh) = ember.linalg.svd(e, full), torch.linalg.svd(t, full)
    _same(es, ts, tol, "S")
    k = min(shape[-2:])
    for x, y in ((eu, tu), (evh.mH, tvh.mH)):
        assert x.dtype is getattr(ember, dtype) and tuple(x.shape) == tuple(y.shape)
        np.testing.assert_allclose(_projectors(x[..., :k]), _projectors(y[..., :k]), atol=tol)
    # the phases pair up as PyTorch's: U diag(S) Vh rebuilds A
    back = as_numpy(eu)[..., :k] * as_numpy(es)[..., None, :] @ as_numpy(evh)[..., :k, :]
    np.testing.assert_allclose(back, a, atol=tol * 10)
    U, S, V = ember.svd(e)
    tU, tS, tV = torch.svd(t)
    assert V.is_conj() == tV.is_conj()
    np.testing.assert_allclose(as_numpy(U) * as_numpy(S)[..., None, :] @ np.conj(
        np.swapaxes(as_numpy(V), -1, -2)), a, atol=tol * 10)
    _same(S, tS, tol)


def test_lu_pivots_like_lapack():
    """LAPACK picks complex pivots by |Re| + |Im|, not by modulus."""
    a = np.array([[3, 1j, 0], [2 + 2j, 1, 1], [0.5, 2, 1 - 1j]], np.complex128)
    _run(lambda lib, x: tuple(lib.linalg.lu_factor(x)), a, 1e-12)
    _run(lambda lib, x: tuple(lib.linalg.lu(x)), a.astype(np.complex64), 1e-6)


def test_output_dtypes():
    for dtype, real in (("complex64", "float32"), ("complex128", "float64")):
        a = _hpd(np.random.default_rng(0), (3, 3), dtype)
        e = ember.from_numpy(a)
        got = [ember.linalg.eigvalsh(e).dtype, ember.linalg.eigh(e)[0].dtype,
               ember.linalg.svd(e).S.dtype, ember.linalg.svdvals(e).dtype,
               ember.linalg.slogdet(e).sign.dtype, ember.linalg.slogdet(e).logabsdet.dtype,
               ember.logdet(e).dtype, ember.linalg.matrix_norm(e, 2).dtype,
               ember.linalg.lstsq(e, e).residuals.dtype]
        assert [str(d).split(".")[-1] for d in got] == [real, real, real, real, dtype, real,
                                                        dtype, real, real]


# -- gradients ------------------------------------------------------------------------------

def _herm(lib, x):
    return x @ x.mH + lib.eye(x.shape[-1], dtype=x.dtype)


def _w(lib, n, m, like):
    """Fixed complex weights, the same in both libraries."""
    r = np.arange(n * m, dtype=np.float64).reshape(n, m)
    return lib.tensor(np.sin(r) + 1j * np.cos(2 * r)).to(like.dtype)


LOSSES = {
    "cholesky": (lambda lib, x: (lib.linalg.cholesky(_herm(lib, x)) * _w(lib, 3, 3, x))
                 .real.sum(), (2, 3, 3)),
    "cholesky_upper": (lambda lib, x: (lib.linalg.cholesky(_herm(lib, x), upper=True)
                                       * _w(lib, 3, 3, x)).real.sum(), (3, 3)),
    # the raw input: only its lower triangle is read, the gradient is PyTorch's
    "cholesky_raw": (lambda lib, x: (lib.linalg.cholesky(_herm(lib, x).detach() + x * 0.1)
                                     * _w(lib, 3, 3, x)).real.sum(), (3, 3)),
    "cholesky_ex": (lambda lib, x: (lib.linalg.cholesky_ex(_herm(lib, x)).L
                                    * _w(lib, 3, 3, x)).imag.sum(), (3, 3)),
    "cholesky_solve": (lambda lib, x: (lib.cholesky_solve(
        x[..., :2], lib.linalg.cholesky(_herm(lib, x))) * _w(lib, 3, 2, x)).real.sum(),
        (2, 3, 3)),
    "cholesky_inverse": (lambda lib, x: (lib.cholesky_inverse(
        lib.linalg.cholesky(_herm(lib, x), upper=True), upper=True) * _w(lib, 3, 3, x))
        .real.sum(), (3, 3)),
    "eigvalsh": (lambda lib, x: (lib.linalg.eigvalsh(_herm(lib, x)) ** 2).sum(), (2, 3, 3)),
    "eigh_values": (lambda lib, x: lib.linalg.eigh(_herm(lib, x)).eigenvalues.sum(), (3, 3)),
    "eigh_vectors": (lambda lib, x: (lambda w, v: (w * lib.arange(3.0)).sum() + (
        (v * v.conj()).real * _w(lib, 3, 3, x).real).sum())(*lib.linalg.eigh(_herm(lib, x))),
        (2, 3, 3)),
    "eigh_projector": (lambda lib, x: (lambda v: ((v[..., :1] @ v[..., :1].mH)
                                                  * _w(lib, 3, 3, x)).real.sum())(
        lib.linalg.eigh(_herm(lib, x), UPLO="U").eigenvectors), (3, 3)),
    "svd_S": (lambda lib, x: (lib.linalg.svd(x).S * lib.arange(1.0, 4.0)).sum(), (2, 4, 3)),
    "svd_rebuild": (lambda lib, x: (lambda u, s, vh: ((u * s.unsqueeze(-2)) @ vh
                                                      * _w(lib, 3, 4, x)).real.sum())(
        *lib.linalg.svd(x, full_matrices=False)), (2, 3, 4)),
    "svd_projectors": (lambda lib, x: (lambda u, s, vh: (
        (u[..., :2] @ u[..., :2].mH) * _w(lib, 5, 5, x)).real.sum() + (
        (vh[..., :1, :].mH @ vh[..., :1, :]) * _w(lib, 3, 3, x)).imag.sum())(
        *lib.linalg.svd(x, full_matrices=False)), (5, 3)),
    "svd_uvh": (lambda lib, x: (lambda u, s, vh: (u @ vh * _w(lib, 3, 3, x)).real.sum())(
        *lib.linalg.svd(x)), (3, 3)),
    "torch.svd": (lambda lib, x: (lambda u, s, v: (u @ v.mH).imag.sum() + s.sum())(
        *lib.svd(x)), (4, 3)),
    "svdvals": (lambda lib, x: lib.linalg.svdvals(x).sum(), (2, 3, 4)),
    "norm": (lambda lib, x: lib.linalg.norm(x, 2) + lib.linalg.norm(x, "nuc"), (4, 3)),
    "qr": (lambda lib, x: (lambda q, r: (q * _w(lib, 4, 3, x)).real.sum() + (
        r * _w(lib, 3, 3, x)).imag.sum())(*lib.linalg.qr(x)), (2, 4, 3)),
    "qr_square": (lambda lib, x: (lambda q, r: (q * _w(lib, 3, 3, x)).imag.sum() + r.abs()
                                  .sum())(*lib.linalg.qr(x)), (3, 3)),
    "slogdet": (lambda lib, x: (lambda s, la: 2 * la.sum() + (s * (1 + 2j)).real.sum())(
        *lib.linalg.slogdet(x)), (2, 3, 3)),
    "slogdet_sign": (lambda lib, x: lib.linalg.slogdet(x).sign.imag.sum(), (3, 3)),
    "logdet": (lambda lib, x: (lib.logdet(x) * (1 - 2j)).real.sum(), (2, 3, 3)),
    "pinv": (lambda lib, x: (lib.linalg.pinv(x) * _w(lib, 3, 5, x)).real.sum(), (5, 3)),
    "lstsq": (lambda lib, x: (lib.linalg.lstsq(x, x[..., :2] * 2j + 1).solution
                              * _w(lib, 3, 2, x)).real.sum(), (2, 5, 3)),
    "solve_triangular": (lambda lib, x: (lib.linalg.solve_triangular(
        x + 4 * lib.eye(3), x[..., :2], upper=False) * _w(lib, 3, 2, x)).real.sum(), (3, 3)),
    "lu": (lambda lib, x: (lambda p, l_, u: (l_ * _w(lib, 3, 3, x)).real.sum() + (
        u * _w(lib, 3, 3, x)).imag.sum())(*lib.linalg.lu(x)), (2, 3, 3)),
    "householder_product": (lambda lib, x: (lib.linalg.householder_product(
        x, x[..., 0, :2] * 0.5) * _w(lib, 4, 3, x)).real.sum(), (2, 4, 3)),
    "lu_solve": (lambda lib, x: (lib.linalg.lu_solve(*lib.linalg.lu_factor(x), x[..., :2] + 1j,
                                                     adjoint=True) * _w(lib, 3, 2, x))
                 .real.sum(), (3, 3)),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradients_match_pytorch(name):
    loss, shape = LOSSES[name]
    a = _c(np.random.default_rng(len(name)), shape)
    grads = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss(lib, x).backward()
        grads.append(x.grad)
    _same(grads[0], grads[1], 1e-8, name)


@pytest.mark.parametrize("name", ["cholesky", "eigh_vectors", "svd_rebuild", "qr", "slogdet",
                                  "lu"])
def test_gradients_complex64(name):
    loss, shape = LOSSES[name]
    a = _c(np.random.default_rng(len(name)), shape, "complex64")
    grads = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        loss(lib, x).backward()
        grads.append(x.grad)
    _same(grads[0], grads[1], 2e-3, name)


@pytest.mark.parametrize("name", ["cholesky", "cholesky_upper", "cholesky_solve", "eigvalsh",
                                  "eigh_vectors", "eigh_projector", "svd_S", "svd_rebuild",
                                  "svd_projectors", "torch.svd", "qr", "qr_square", "slogdet",
                                  "logdet", "pinv", "lstsq", "lu", "lu_solve",
                                  "householder_product"])
def test_gradcheck(name):
    loss, shape = LOSSES[name]
    a = _c(np.random.default_rng(len(name) + 1), shape)
    x = ember.tensor(a, requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: loss(ember, t), (x,))


def test_cholesky_raw_gradient_fails_gradcheck_as_in_pytorch():
    """Only the lower triangle is read: the gradient (PyTorch's) is not the finite
    differences of an unsymmetric input, so gradcheck must catch it."""
    loss, shape = LOSSES["cholesky_raw"]
    a = _c(np.random.default_rng(2), shape)
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        assert not lib.autograd.gradcheck(lambda t, lib=lib: loss(lib, t), (x,),
                                          raise_exception=False)


PHASE_DEPENDENT = {
    "svd_U": lambda lib, x: lib.linalg.svd(x).U.real.sum(),
    "svd_Vh": lambda lib, x: lib.linalg.svd(x, full_matrices=False).Vh.imag.sum(),
    "torch.svd_V": lambda lib, x: lib.svd(x).V[..., 0].real.sum(),
    "eigh": lambda lib, x: lib.linalg.eigh(_herm(lib, x)).eigenvectors.real.sum(),
}


@pytest.mark.parametrize("name", sorted(PHASE_DEPENDENT))
def test_phase_dependent_loss_is_refused(name):
    a = _c(np.random.default_rng(4), (2, 4, 3))
    msgs = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            PHASE_DEPENDENT[name](lib, x).backward()
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]


# -- errors ---------------------------------------------------------------------------------

NOT_PD = np.array([[[2, 1j], [-1j, 2]], [[1, 2j], [-2j, 1]]], np.complex128)
SINGULAR = np.array([[1, 1j], [1j, -1]], np.complex64)


def _same_error(fn, a):
    msgs = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as info, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(lib, lib.tensor(a))
        msgs.append((type(info.value).__name__, str(info.value)))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("fn", [
    lambda lib, a: lib.linalg.cholesky(a),
    lambda lib, a: lib.linalg.cholesky(a[1]),
    lambda lib, a: lib.linalg.cholesky(a, upper=True),
    lambda lib, a: lib.linalg.cholesky_ex(a, check_errors=True),
    lambda lib, a: lib.cholesky(a),
    lambda lib, a: lib.linalg.inv(a[:, :1, :1] * 0),
    lambda lib, a: lib.linalg.lu_factor(a * 0),
    lambda lib, a: lib.linalg.solve(a * 0, a),
    lambda lib, a: lib.linalg.solve(a[:, None] * lib.tensor([1.0, 0.0]).reshape(1, 2, 1, 1),
                                    a[None, :, :, :1], left=True),
    lambda lib, a: lib.linalg.eigh(a, UPLO="X"),
    lambda lib, a: lib.cholesky_solve(a, a.real),
])
def test_errors(fn):
    _same_error(fn, NOT_PD)


def test_info_and_singular_values():
    # NOTE: ember gives NaN for the matrices that fail, PyTorch LAPACK's partial factor
    for fn in (lambda lib, a: (lib.linalg.cholesky_ex(a).info, lib.linalg.cholesky_ex(a).L[0]),
               lambda lib, a: lib.linalg.cholesky_ex(a, upper=True).info,
               lambda lib, a: tuple(lib.linalg.lu_factor_ex(a * 0)),
               lambda lib, a: tuple(lib.linalg.slogdet(lib.cat([a[..., 1:, :]] * 2, -2))),
               lambda lib, a: lib.logdet(lib.cat([a[..., 1:, :]] * 2, -2))):
        _run(fn, NOT_PD, 1e-12)
    _run(lambda lib, a: tuple(lib.linalg.slogdet(a)) + (lib.logdet(a),), SINGULAR, 1e-6)


@pytest.mark.parametrize("dtype", ["float64", "complex64", "complex128"])
def test_matrix_rank_hermitian_reads_the_lower_triangle(dtype):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4, 2))
    if dtype != "float64":
        x = x + 1j * rng.standard_normal((2, 4, 2))
    low = x @ np.conj(np.swapaxes(x, -1, -2))  # rank 2
    a = (low + 5 * np.triu(rng.standard_normal((4, 4)), 1)).astype(dtype)
    for kw in ({}, {"atol": 1.0, "rtol": 0.5}, {"rtol": 0.9}):
        _run(lambda lib, t, kw=kw: (lib.linalg.matrix_rank(t, hermitian=True, **kw),
                                    lib.linalg.matrix_rank(t, **kw)), a, 0)
