"""``torch.linalg`` (and its ``torch.*``/Tensor spellings) against PyTorch: values,
gradients, result types, and the errors for singular, indefinite and ill-shaped input."""
import warnings

import numpy as np
import pytest

import ember
from diff import check

torch = pytest.importorskip("torch")

rng = np.random.default_rng(7)


def mat(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def spd(*shape, dtype=np.float64):
    """Symmetric positive-definite matrices with well-separated eigenvalues."""
    a = rng.standard_normal(shape)
    n = shape[-1]
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def sym(*shape):
    a = rng.standard_normal(shape)
    return a + np.swapaxes(a, -1, -2)


F32 = {"rtol": 2e-4, "atol": 2e-5}

CASES = [
    ("inv", lambda T, a: T.linalg.inv(a), [mat(4, 4)]),
    ("inv batched", lambda T, a: T.linalg.inv(a), [mat(2, 3, 3)]),
    ("inverse", lambda T, a: T.inverse(a), [mat(3, 3)]),
    ("Tensor.inverse", lambda T, a: a.inverse(), [mat(3, 3)]),
    ("inv float32", lambda T, a: T.linalg.inv(a), [mat(3, 3, dtype=np.float32)]),
    ("det", lambda T, a: T.linalg.det(a), [mat(4, 4)]),
    ("det batched", lambda T, a: T.det(a), [mat(2, 3, 3)]),
    ("Tensor.det", lambda T, a: a.det(), [mat(3, 3)]),
    ("det of a rank-deficient matrix", lambda T, a: T.linalg.det(a),
     [np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])]),
    ("slogdet", lambda T, a: T.linalg.slogdet(a), [mat(4, 4)]),
    ("logdet", lambda T, a: T.logdet(a), [spd(3, 3)]),
    ("logdet negative", lambda T, a: T.logdet(a), [np.diag([-1.0, 2.0])]),
    ("solve", lambda T, a, b: T.linalg.solve(a, b), [mat(3, 3), mat(3, 2)]),
    ("solve vector", lambda T, a, b: T.linalg.solve(a, b), [mat(3, 3), mat(3)]),
    ("solve batched vectors", lambda T, a, b: T.linalg.solve(a, b), [mat(2, 3, 3), mat(2, 3)]),
    ("solve broadcast", lambda T, a, b: T.linalg.solve(a, b), [mat(3, 3), mat(2, 3, 4)]),
    ("solve left=False", lambda T, a, b: T.linalg.solve(a, b, left=False),
     [mat(3, 3), mat(2, 3)]),
    ("cholesky", lambda T, a: T.linalg.cholesky(a), [spd(4, 4)]),
    ("cholesky upper", lambda T, a: T.linalg.cholesky(a, upper=True), [spd(3, 3)]),
    ("cholesky batched", lambda T, a: T.linalg.cholesky(a), [spd(2, 3, 3)]),
    ("cholesky_ex", lambda T, a: T.linalg.cholesky_ex(a), [spd(3, 3)]),
    ("inv_ex", lambda T, a: T.linalg.inv_ex(a), [mat(3, 3)]),
    ("eigvalsh", lambda T, a: T.linalg.eigvalsh(a), [sym(4, 4)]),
    ("eigvalsh U", lambda T, a: T.linalg.eigvalsh(a, UPLO="U"), [mat(3, 3)]),
    ("eigh values", lambda T, a: T.linalg.eigh(a).eigenvalues, [sym(4, 4)]),
    ("eigh invariant", lambda T, a: _eigh_invariant(T, a), [sym(4, 4)]),
    ("svdvals", lambda T, a: T.linalg.svdvals(a), [mat(4, 3)]),
    ("svdvals wide batched", lambda T, a: T.linalg.svdvals(a), [mat(2, 3, 5)]),
    ("svd invariant tall", lambda T, a: _svd_invariant(T, a, False), [mat(5, 3)]),
    ("svd invariant wide", lambda T, a: _svd_invariant(T, a, False), [mat(3, 5)]),
    ("svd full_matrices values", lambda T, a: T.linalg.svd(a).S, [mat(4, 3)]),
    ("qr invariant", lambda T, a: _qr_invariant(T, a, "reduced"), [mat(5, 3)]),
    ("qr square", lambda T, a: _qr_invariant(T, a, "reduced"), [mat(3, 3)]),
    ("qr r", lambda T, a: T.linalg.qr(a, mode="r").R.abs().detach(), [mat(4, 3)]),
    ("pinv", lambda T, a: T.linalg.pinv(a), [mat(4, 3)]),
    ("pinverse", lambda T, a: T.pinverse(a), [mat(3, 4)]),
    ("lstsq", lambda T, a, b: T.linalg.lstsq(a, b).solution, [mat(5, 3), mat(5, 2)]),
    ("matrix_rank", lambda T, a: T.linalg.matrix_rank(a),
     [np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 1.0]])]),
    ("matrix_rank full", lambda T, a: T.linalg.matrix_rank(a), [mat(3, 4)]),
    ("matrix_rank atol", lambda T, a: T.linalg.matrix_rank(a, atol=1.0), [np.diag([3.0, 0.5])]),
    ("cond", lambda T, a: T.linalg.cond(a), [mat(3, 3)]),
    # (PyTorch's own backward through cond(p != 2) fails on an in-place write)
    ("cond 1", lambda T, a: T.linalg.cond(a, 1).detach(), [mat(3, 3)]),
    ("cond nuc", lambda T, a: T.linalg.cond(a, "nuc").detach(), [mat(3, 3)]),
    ("norm default", lambda T, a: T.linalg.norm(a), [mat(3, 4)]),
    ("norm vector ord 1", lambda T, a: T.linalg.norm(a, 1), [mat(5)]),
    ("norm matrix ord 1", lambda T, a: T.linalg.norm(a, 1), [mat(3, 4)]),
    ("norm matrix ord inf", lambda T, a: T.linalg.norm(a, float("inf")), [mat(3, 4)]),
    ("norm matrix nuc", lambda T, a: T.linalg.norm(a, "nuc"), [mat(3, 4)]),
    ("norm dim", lambda T, a: T.linalg.norm(a, dim=1, keepdim=True), [mat(3, 4)]),
    ("norm dims 2", lambda T, a: T.linalg.norm(a, 2, dim=(0, 2)), [mat(3, 2, 4)]),
    ("matrix_norm fro batched", lambda T, a: T.linalg.matrix_norm(a), [mat(2, 3, 4)]),
    ("matrix_norm -1 keepdim", lambda T, a: T.linalg.matrix_norm(a, -1, keepdim=True),
     [mat(2, 3, 4)]),
    ("matrix_norm -inf", lambda T, a: T.linalg.matrix_norm(a, -float("inf")), [mat(3, 4)]),
    ("matrix_norm -2", lambda T, a: T.linalg.matrix_norm(a, -2), [mat(3, 4)]),
    ("vector_norm", lambda T, a: T.linalg.vector_norm(a, 3, dim=0), [mat(3, 4)]),
    ("matrix_power 3", lambda T, a: T.linalg.matrix_power(a, 3), [mat(3, 3)]),
    ("matrix_power 0", lambda T, a: T.matrix_power(a, 0), [mat(2, 3, 3)]),
    ("matrix_power -2", lambda T, a: a.matrix_power(-2), [mat(3, 3)]),
    ("multi_dot", lambda T, a, b, c: T.linalg.multi_dot([a, b, c]),
     [mat(3), mat(3, 4), mat(4)]),
    ("multi_dot matrices", lambda T, a, b, c: T.linalg.multi_dot([a, b, c]),
     [mat(2, 3), mat(3, 4), mat(4, 2)]),
    ("cross", lambda T, a, b: T.linalg.cross(a, b), [mat(4, 3), mat(4, 3)]),
    ("torch.cross dim", lambda T, a, b: T.cross(a, b, dim=0), [mat(3, 2), mat(3, 2)]),
    ("vecdot", lambda T, a, b: T.linalg.vecdot(a, b), [mat(4, 3), mat(4, 3)]),
    ("torch.svd", lambda T, a: _old_svd_invariant(T, a), [mat(4, 3)]),
    ("solve_triangular", lambda T, a, b: T.linalg.solve_triangular(a, b, upper=True),
     [mat(3, 3) + 3 * np.eye(3), mat(3, 2)]),
]


def _eigh_invariant(T, a):
    w, v = T.linalg.eigh(a)
    # v's columns are defined up to sign: v diag(w^2) v^T is not
    return w, (v * (w * w).unsqueeze(-2)) @ v.mT


def _svd_invariant(T, a, full):
    u, s, vh = T.linalg.svd(a, full_matrices=full)
    return s, (u * s.sqrt().unsqueeze(-2)) @ vh, u @ u.mT


def _qr_invariant(T, a, mode):
    q, r = T.linalg.qr(a, mode=mode)
    sign = r.diagonal(0, -2, -1).sign()
    return q * sign.unsqueeze(-2), r * sign.unsqueeze(-1)


def _old_svd_invariant(T, a):
    u, s, v = T.svd(a)
    return s, (u * s.unsqueeze(-2)) @ v.mT


@pytest.mark.parametrize("name,fn,arrays", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch(name, fn, arrays):
    tol = F32 if arrays[0].dtype == np.float32 else {"rtol": 1e-8, "atol": 1e-10}
    check(fn, *arrays, **tol)


def test_grad_fn_names_and_result_types():
    a = spd(3, 3)
    for T in (ember, torch):
        x = T.tensor(a, requires_grad=True)
        names = [type(T.linalg.inv(x).grad_fn).__name__, type(T.linalg.det(x).grad_fn).__name__,
                 type(T.linalg.cholesky(x).grad_fn).__name__,
                 type(T.linalg.solve(x, x).grad_fn).__name__,
                 type(T.linalg.svdvals(x).grad_fn).__name__,
                 type(T.linalg.eigvalsh(x).grad_fn).__name__]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.qr is deprecated
            results = [T.linalg.slogdet(x), T.linalg.eigh(x), T.linalg.svd(x), T.linalg.qr(x),
                       T.linalg.cholesky_ex(x), T.linalg.inv_ex(x), T.svd(x), T.qr(x),
                       T.linalg.lstsq(x, x)]
        kinds = [type(r).__name__ for r in results]
        fields = [[f for f in ("sign", "logabsdet", "eigenvalues", "eigenvectors", "U", "S", "V",
                               "Vh", "Q", "R", "L", "info", "inverse", "solution", "residuals",
                               "rank", "singular_values") if hasattr(r, f)] for r in results]
        if T is ember:
            got = names, kinds, fields
        else:
            assert (names, kinds, fields) == got


def test_reprs():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    got = repr(ember.linalg.slogdet(ember.tensor(a)))
    assert got == repr(torch.linalg.slogdet(torch.tensor(a)))
    got = repr(ember.linalg.eigh(ember.tensor(a)))
    assert got == repr(torch.linalg.eigh(torch.tensor(a)))


ERRORS = [
    ("inv singular", lambda T, a: T.linalg.inv(a), [np.array([[1.0, 2.0], [2.0, 4.0]])]),
    ("inv singular batch", lambda T, a: T.linalg.inv(a), [np.zeros((3, 2, 2))]),
    ("inv singular third pivot", lambda T, a: T.linalg.inv(a),
     [np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])]),
    ("inv not square", lambda T, a: T.linalg.inv(a), [np.ones((2, 3))]),
    ("inv of ints", lambda T, a: T.linalg.inv(a), [np.ones((2, 2), np.int64)]),
    ("inv of a vector", lambda T, a: T.linalg.inv(a), [np.ones(3)]),
    ("det of a vector", lambda T, a: T.linalg.det(a), [np.ones(3)]),
    ("cholesky indefinite", lambda T, a: T.linalg.cholesky(a),
     [np.array([[1.0, 2.0], [2.0, 1.0]])]),
    ("cholesky batch", lambda T, a: T.linalg.cholesky(a), [-np.stack([np.eye(3)] * 2)]),
    ("cholesky third minor", lambda T, a: T.linalg.cholesky(a),
     [np.array([[4.0, 2.0, 0.0], [2.0, 5.0, 3.0], [0.0, 3.0, 1.0]])]),
    ("solve singular", lambda T, a, b: T.linalg.solve(a, b),
     [np.array([[1.0, 2.0], [2.0, 4.0]]), np.ones(2)]),
    ("solve shapes", lambda T, a, b: T.linalg.solve(a, b), [np.eye(2), np.ones(3)]),
    ("solve dtypes", lambda T, a, b: T.linalg.solve(a, b),
     [np.eye(2), np.ones(2, np.float32)]),
    ("eigh not square", lambda T, a: T.linalg.eigh(a), [np.ones((2, 3))]),
    ("eigh UPLO", lambda T, a: T.linalg.eigh(a, UPLO="X"), [np.eye(2)]),
    ("svd of ints", lambda T, a: T.linalg.svd(a), [np.ones((2, 3), np.int32)]),
    ("qr of a vector", lambda T, a: T.linalg.qr(a), [np.ones(3)]),
    ("qr mode", lambda T, a: T.linalg.qr(a, mode="full"), [np.eye(2)]),
    ("norm 3-d with ord", lambda T, a: T.linalg.norm(a, 2), [np.ones((2, 2, 2))]),
    ("cross length", lambda T, a: T.linalg.cross(a, a), [np.ones((2, 2))]),
    ("inv half", lambda T, a: T.linalg.inv(a), [np.eye(2, dtype=np.float16)]),
]


@pytest.mark.parametrize("name,fn,arrays", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_pytorch(name, fn, arrays):
    tt = [torch.from_numpy(a) for a in arrays]
    et = [ember.from_numpy(a) for a in arrays]
    with pytest.raises(Exception) as want:
        fn(torch, *tt)
    with pytest.raises(Exception) as got:
        fn(ember, *et)
    assert type(got.value).__name__ == type(want.value).__name__
    assert isinstance(got.value, RuntimeError) == isinstance(want.value, RuntimeError)
    assert str(got.value) == str(want.value)


def test_linalg_error_is_catchable_as_pytorch_spells_it():
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv(ember.zeros(2, 2))
    with pytest.raises(RuntimeError):
        ember.linalg.cholesky(-ember.eye(2))


def test_ex_variants_report_failures():
    bad = np.stack([np.eye(2), np.array([[1.0, 2.0], [2.0, 1.0]])])
    for T in (ember, torch):
        r = T.linalg.cholesky_ex(T.tensor(bad))
        i = T.linalg.inv_ex(T.tensor(np.stack([np.eye(2), np.zeros((2, 2))])))
        # (the failing matrix's L is LAPACK's partial work: not compared)
        s = T.linalg.solve_ex(T.zeros(2, 2, dtype=T.float64), T.ones(2, dtype=T.float64))
        info = (r.info.tolist(), str(r.info.dtype), i.info.tolist(), r.L[0].tolist(),
                i.inverse[0].tolist(), s.info.tolist())
        if T is ember:
            got = info
    assert got == info


def test_double_backward_through_inv_and_cholesky():
    a = spd(3, 3)
    out = []
    for T in (ember, torch):
        x = T.tensor(a, requires_grad=True)
        y = (T.linalg.inv(x).sum() + T.linalg.cholesky(x).sum()) ** 2
        (g,) = T.autograd.grad(y, x, create_graph=True)
        (h,) = T.autograd.grad(g.sum(), x)
        out.append(h.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-8, atol=1e-10)


def test_torch_cholesky_warns_once_like_pytorch(monkeypatch):
    a = ember.tensor(spd(2, 2))
    from ember import _warnings
    monkeypatch.setattr(_warnings, "_once", set())  # (as in a fresh process)
    with pytest.warns(UserWarning, match="torch.cholesky is deprecated"):
        got = ember.cholesky(a)
    np.testing.assert_allclose(got.numpy(), torch.linalg.cholesky(torch.tensor(a.numpy())))


def test_qr_r_has_no_gradient():
    for T in (ember, torch):
        r = T.linalg.qr(T.ones(3, 2, requires_grad=True), mode="r").R
        with pytest.raises(RuntimeError, match="depends on Q, which is not computed"):
            r.sum().backward()


def test_unsupported_linalg_names_say_so():
    # (every public torch.linalg function exists now: a name PyTorch has stands in; one it
    # lacks too is its own AttributeError)
    with pytest.raises(NotImplementedError, match="torch.linalg.common_notes is not supported"):
        ember.linalg.common_notes  # noqa: B018
    with pytest.raises(AttributeError, match="^module 'torch.linalg' has no attribute "
                       "'eig_banded'$"):
        ember.linalg.eig_banded(ember.eye(2))
