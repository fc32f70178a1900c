"""Differential checks (against PyTorch) of the layouts of linear-algebra results: LAPACK's
column-major strides, lstsq's outputs per driver, and argument errors of the solvers."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _pair(arr, transposed=False):
    out = []
    for lib in (torch, ember):
        if transposed:
            t = lib.tensor(np.ascontiguousarray(np.swapaxes(arr, -1, -2))).transpose(-1, -2)
        else:
            t = lib.tensor(arr)
        out.append(t)
    return out


def _desc(r):
    if isinstance(r, (tuple, list)):
        return [_desc(x) for x in r]
    return tuple(r.shape), r.stride(), r.is_contiguous(), str(r.dtype).split(".")[-1]


def _values(r):
    if isinstance(r, (tuple, list)):
        return [v for x in r for v in _values(x)]
    return [r.detach().resolve_conj().numpy()]


def _same(fn, *arrs, transposed=False, values=True):
    args = [_pair(a, transposed) for a in arrs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rt = fn(torch, *[a[0] for a in args])
        re = fn(ember, *[a[1] for a in args])
    assert _desc(re) == _desc(rt)
    if values:
        for x, y in zip(_values(rt), _values(re)):
            np.testing.assert_allclose(y, x, rtol=1e-4, atol=1e-5)


rng = np.random.default_rng(0)


def _rand(*shape, dtype="float64"):
    a = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def _well(*shape, dtype="float64"):
    return (_rand(*shape, dtype=dtype) + 4 * np.eye(shape[-1])).astype(dtype)


def _spd(*shape, dtype="float64"):
    a = _rand(*shape, dtype=dtype)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])).astype(dtype)


SHAPES = [(), (2,), (3, 2)]


@pytest.mark.parametrize("batch", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "complex128"])
@pytest.mark.parametrize("transposed", [False, True])
def test_solvers_column_major(batch, dtype, transposed):
    A, B = _well(*batch, 4, 4, dtype=dtype), _rand(*batch, 4, 3, dtype=dtype)
    L = ember.linalg
    _same(lambda lib, a, b: lib.linalg.solve(a, b), A, B, transposed=transposed)
    _same(lambda lib, a, b: lib.linalg.solve(a, b.mT.contiguous(), left=False), A, B,
          transposed=transposed)
    _same(lambda lib, a, b: lib.linalg.solve(a, b[..., 0]), A, B, transposed=transposed)
    _same(lambda lib, a, b: lib.linalg.solve_ex(a, b), A, B, transposed=transposed)
    _same(lambda lib, a, b: lib.linalg.solve_triangular(a.triu(), b, upper=True), A, B,
          transposed=transposed)
    _same(lambda lib, a, b: lib.linalg.solve_triangular(a.tril(), b.mT, upper=False,
                                                        left=False), A, B)
    _same(lambda lib, a, b: lib.triangular_solve(b, a.triu()), A, B, transposed=transposed)
    _same(lambda lib, a: lib.linalg.inv(a), A, transposed=transposed)
    _same(lambda lib, a: lib.linalg.inv_ex(a), A, transposed=transposed)
    _same(lambda lib, a: lib.linalg.matrix_power(a, -2), A, transposed=transposed)
    _same(lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b), A, B,
          transposed=transposed)
    _same(lambda lib, a: lib.linalg.lu_factor(a), A[..., :3], transposed=transposed)
    assert L is ember.linalg


@pytest.mark.parametrize("batch", SHAPES)
@pytest.mark.parametrize("dtype", ["float64", "complex64"])
def test_factorizations_column_major(batch, dtype):
    S, R = _spd(*batch, 4, 4, dtype=dtype), _rand(*batch, 4, 3, dtype=dtype)
    for upper in (False, True):
        _same(lambda lib, a: lib.linalg.cholesky(a, upper=upper), S)
        _same(lambda lib, a: lib.linalg.cholesky_ex(a, upper=upper), S, transposed=True)
        _same(lambda lib, b, a: lib.cholesky_solve(b, lib.linalg.cholesky(a, upper=upper),
                                                   upper=upper), R, S)
        _same(lambda lib, a: lib.cholesky_inverse(lib.linalg.cholesky(a, upper=upper),
                                                  upper=upper), S)
    _same(lambda lib, a: lib.linalg.eigh(a), S, values=False)
    _same(lambda lib, a: lib.linalg.eig(a), S, values=False)
    for mode in ("reduced", "complete", "r"):
        _same(lambda lib, a: lib.linalg.qr(a, mode=mode), R, values=False)
        _same(lambda lib, a: lib.linalg.qr(a.mT, mode=mode), R, values=False)
    for full in (False, True):
        _same(lambda lib, a: lib.linalg.svd(a, full_matrices=full), R, values=False)
        _same(lambda lib, a: lib.svd(a, some=not full), R, values=False)
    _same(lambda lib, a: lib.geqrf(a), R, values=False)
    _same(lambda lib, a: lib.linalg.householder_product(*lib.geqrf(a)), R)
    _same(lambda lib, a, b: lib.ormqr(*lib.geqrf(a), b), S, R)
    if dtype == "float64":
        _same(lambda lib, a: lib.linalg.ldl_factor(a), S)


def test_ormqr_node_and_matrix_power_one():
    A = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    q, tau = ember.geqrf(A.detach())
    r = ember.ormqr(q.requires_grad_(), tau, ember.randn(4, 2, dtype=ember.float64))
    assert r.grad_fn.name() == "OrmqrBackward0"
    B = ember.randn(3, 3, requires_grad=True)
    p = ember.linalg.matrix_power(B.mT, 1)
    assert p.grad_fn.name() == "CloneBackward0" and p.stride() == (3, 1)
    assert ember.linalg.matrix_power(B.detach(), 1) is not B


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("shape", [((2, 5, 3), (2, 5, 2)), ((5, 3), (5,)), ((3, 5), (3, 2)),
                                   ((4, 4), (4, 1))])
def test_lstsq_outputs(driver, shape):
    a, b = _rand(*shape[0]), _rand(*shape[1])
    _same(lambda lib, x, y: lib.linalg.lstsq(x, y, driver=driver), a, b)


def test_lstsq_rank_deficient_residuals():
    a = _rand(5, 3)
    a[:, 2] = a[:, 0]
    b = _rand(5, 2)
    for driver in ("gelsd", "gelss"):
        _same(lambda lib, x, y: lib.linalg.lstsq(x, y, driver=driver), a, b, values=False)


def _err(fn):
    out = []
    for lib in (torch, ember):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn(lib)
            out.append(None)
        except Exception as e:  # noqa: BLE001
            out.append((type(e).__name__, str(e)))
    return out


@pytest.mark.parametrize("a,b", [((3, 3), (4, 2)), ((2, 3), (2, 2)), ((2, 3, 3), (3, 3, 2))])
def test_solver_shape_errors(a, b):
    def fns():
        yield lambda lib: lib.triangular_solve(lib.ones(*b), lib.ones(*a))
        yield lambda lib: lib.cholesky_solve(lib.ones(*b), lib.ones(*a))
        yield lambda lib: lib.linalg.lu_solve(*lib.linalg.lu_factor(lib.eye(a[-2], a[-1]).expand(
            *a)), lib.ones(*b))
    for fn in fns():
        rt, re = _err(fn)
        assert rt is not None and re == rt


def test_vander_small_n():
    for fn in (lambda lib: lib.linalg.vander(lib.tensor([1.0, 2.0]), N=1),
               lambda lib: lib.linalg.vander(lib.tensor([2.0])),
               lambda lib: lib.linalg.vander(lib.tensor(2.0))):
        rt, re = _err(fn)
        assert rt is not None and re == rt
    _same(lambda lib, x: lib.linalg.vander(x.sum(), N=3), np.array([2.0]))


def test_ormqr_checks_and_wide_input():
    a, t3, t4 = _rand(4, 4), _rand(3), _rand(4)
    cases = [(a, t3, _rand(4, 3), True), (a, t3, _rand(3, 4), False), (a, t4, _rand(3, 4), False),
             (a[:, :3], t3, _rand(4, 2), True), (a[:3], t3, _rand(3, 2), True),
             (a[:, :3], t3, _rand(5, 2), True)]
    for x, t, c, left in cases:
        rt, re = _err(lambda lib: lib.ormqr(lib.tensor(x), lib.tensor(t), lib.tensor(c),
                                            left=left))
        assert re == rt
        if rt is None:
            _same(lambda lib, x, t, c: lib.ormqr(x, t, c, left=left, transpose=True), x, t, c)


def test_lu_factor_with_grad_and_triangular_solve_warns_once():
    _same(lambda lib, a: lib.linalg.lu_factor(a.requires_grad_()), _well(2, 4, 4))
    ember._warnings._once.discard("triangular_solve")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(2):
            ember.triangular_solve(ember.ones(2, 1), ember.eye(2))
    assert len(w) == 1
