"""Regression tests from a differential review of the day's features (meta device, complex
linalg, profiler, jit, grad mode per thread), each compared with PyTorch."""
from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(fn, lib):
    """What a call gives: its result's shape, dtype, device and grad_fn name, or its error's
    type and full message."""
    try:
        r = fn(lib)
    except Exception as e:
        return ("error", type(e).__name__, str(e))
    if isinstance(r, (tuple, list)):
        return [outcome(lambda _, x=x: x, lib) for x in r]
    if hasattr(r, "shape"):
        fn_ = r.grad_fn
        return ("ok", tuple(r.shape), str(r.dtype), str(r.device), r.requires_grad,
                None if fn_ is None else type(fn_).__name__)
    return ("ok", r)


def same(fn):
    assert outcome(fn, ember) == outcome(fn, torch)


def meta_long(lib, values=(0, 2, 5)):
    return lib.tensor(list(values)).to("meta")


# -- meta device: ops whose result size depends on values --------------------------------------

@pytest.mark.parametrize("case", [
    lambda L: L.nn.functional.one_hot(meta_long(L)),
    lambda L: L.nn.functional.one_hot(meta_long(L), 7),
    lambda L: L.nn.functional.one_hot(meta_long(L), 0),
    lambda L: L.nn.functional.one_hot(meta_long(L), -2),
    lambda L: L.nn.functional.one_hot(L.empty(0, dtype=L.long, device="meta")),
    lambda L: L.nn.functional.one_hot(L.empty(0, 2, dtype=L.long, device="meta"), 3),
    lambda L: L.nn.functional.one_hot(L.empty(2, dtype=L.int32, device="meta"), 3),
])
def test_meta_one_hot(case):
    same(case)


@pytest.mark.parametrize("case", [
    lambda L: L.bincount(meta_long(L)),
    lambda L: L.bincount(meta_long(L), minlength=10),
    lambda L: L.bincount(meta_long(L), weights=L.ones(3, device="meta")),
    lambda L: meta_long(L).bincount(),
    lambda L: L.bincount(L.empty(3, device="meta")),
])
def test_meta_bincount_has_no_kernel(case):
    same(case)


def X(L):
    return L.randn(3, 4, device="meta")


@pytest.mark.parametrize("case", [
    lambda L: L.repeat_interleave(X(L), meta_long(L)),  # (sizes checked first)
    lambda L: L.repeat_interleave(X(L), meta_long(L), dim=0),
    lambda L: L.repeat_interleave(X(L), meta_long(L), dim=0, output_size=7),
    lambda L: L.repeat_interleave(X(L), meta_long(L), dim=1, output_size=9),
    lambda L: L.repeat_interleave(X(L), L.tensor(2, device="meta"), dim=1),
    lambda L: L.repeat_interleave(X(L), L.tensor([2], device="meta"), dim=1, output_size=9),
    lambda L: L.repeat_interleave(X(L), L.tensor([[2]], device="meta"), output_size=9),
    lambda L: L.repeat_interleave(meta_long(L)),
    lambda L: L.repeat_interleave(meta_long(L), output_size=7),
    lambda L: L.repeat_interleave(L.arange(3), meta_long(L)),
    lambda L: L.repeat_interleave(X(L), 2),
    lambda L: X(L).repeat_interleave(2, dim=1),
    lambda L: L.repeat_interleave(X(L), L.tensor([1, 2, 3]), dim=0),
    lambda L: L.repeat_interleave(X(L), 2, dim=0, output_size=7),
    lambda L: L.repeat_interleave(L.randn(3, 4, device="meta", requires_grad=True),
                                  meta_long(L), dim=0, output_size=7),
])
def test_meta_repeat_interleave(case):
    same(case)


@pytest.mark.parametrize("case", [
    lambda L: L.repeat_interleave(L.arange(3), L.tensor([1, 2, 3]), output_size=6),
    lambda L: L.repeat_interleave(L.arange(3), L.tensor([1, 2, 3]), output_size=5),
    lambda L: L.repeat_interleave(L.tensor([1, 2, 3]), output_size=7),
    lambda L: L.repeat_interleave(L.tensor([1, 2, 3]), output_size=6),
    lambda L: L.repeat_interleave(L.arange(3), 2, output_size=7),
    lambda L: L.repeat_interleave(L.arange(6).reshape(2, 3), 2, dim=1, output_size=6),
    lambda L: L.repeat_interleave(L.arange(3), L.tensor([1, 2]), dim=0),
])
def test_repeat_interleave_output_size_is_checked(case):
    same(case)


def test_repeat_interleave_values_unchanged():
    for lib in (ember, torch):
        r = lib.repeat_interleave(lib.arange(6).reshape(2, 3), lib.tensor([1, 3]), dim=0,
                                  output_size=4)
        assert r.tolist() == [[0, 1, 2], [3, 4, 5], [3, 4, 5], [3, 4, 5]]


@pytest.mark.parametrize("case", [
    lambda L: L.histc(X(L), bins=7),
    lambda L: L.histc(X(L)),
    lambda L: X(L).histc(4, min=0, max=1),
    lambda L: L.histc(L.empty(3, dtype=L.float64, device="meta"), bins=5),
    lambda L: L.histc(L.empty(3, dtype=L.long, device="meta"), bins=5),
    lambda L: L.histc(L.empty(0, device="meta"), bins=3),
    lambda L: L.histc(L.empty(3, 2, device="meta", requires_grad=True), bins=3),
    lambda L: L.histc(X(L), bins=3, out=L.empty(0, device="meta")),
    lambda L: L.histc(X(L), bins=0),
    lambda L: L.histc(X(L), bins=3, min=2, max=1),
    lambda L: L.histc(X(L), bins=3, min=float("inf"), max=1),
    lambda L: L.histogram(X(L), bins=3),
])
def test_meta_histc(case):
    same(case)


def test_meta_type_string():
    for dtype in ("float32", "int64", "float16"):
        assert ember.empty(2, device="meta", dtype=getattr(ember, dtype)).type() == \
            torch.empty(2, device="meta", dtype=getattr(torch, dtype)).type()
        assert ember.typename(ember.empty(1, device="meta", dtype=getattr(ember, dtype))) == \
            torch.typename(torch.empty(1, device="meta", dtype=getattr(torch, dtype)))
    assert ember.empty(2).type() == torch.empty(2).type()



@pytest.mark.parametrize("case", [
    lambda L: L.mode(X(L)),
    lambda L: L.mode(X(L), 0),
    lambda L: X(L).mode(1, keepdim=True),
    lambda L: L.nanmedian(X(L)),
    lambda L: L.nanmedian(X(L), 1),
    lambda L: L.multinomial(L.ones(3, device="meta"), 2),
    lambda L: L.multinomial(L.ones(2, 3, device="meta"), 4, replacement=True),
    lambda L: L.multinomial(L.ones(3, device="meta"), 4),
    lambda L: L.multinomial(L.ones(3, device="meta"), 0),
    lambda L: L.multinomial(L.ones(2, 3, device="meta"), -1),
    lambda L: L.multinomial(L.ones(2, 2, 3, device="meta"), 2),
    lambda L: L.multinomial(L.ones(3, device="meta", dtype=L.long), 2),
    lambda L: L.linalg.eig(L.empty(3, 3, device="meta")),
    lambda L: L.linalg.eigvals(L.empty(2, 3, 3, device="meta", dtype=L.float64)),
    lambda L: L.linalg.eig(L.empty(3, 3, device="meta", dtype=L.complex64)),
    lambda L: X(L)[L.tensor([True, False, True])],
    lambda L: X(L)[:, L.tensor([True, False, True, True])],
    lambda L: L.randn(3, 4, device="meta", requires_grad=True)[L.tensor([[True, False] * 2] * 3)],
    lambda L: X(L)[L.tensor([True, False, True]), 1:],
    lambda L: X(L)[L.tensor([True, False, True]).to("meta")],
    lambda L: X(L)[[True, False, True]],
])
def test_meta_ops_that_read_no_values(case):
    e, t = outcome(case, ember), outcome(case, torch)
    if t[0] == "error":  # (ember's text for an op with no meta kernel is its own)
        assert e[:2] == t[:2]
    else:
        assert e == t


def test_meta_setitem_with_host_mask():
    for lib in (ember, torch):
        y = lib.empty(3, 4, device="meta")
        y[lib.tensor([True, False, True])] = lib.empty(2, 4, device="meta")
        assert tuple(y.shape) == (3, 4) and y.is_meta


# -- the profiler ----------------------------------------------------------------------------

def _profiled_keys(lib, opt_name):
    lib.manual_seed(0)
    m = lib.nn.Linear(3, 2)
    opt = getattr(lib.optim, opt_name)(m.parameters(), lr=0.1)
    with lib.profiler.profile() as prof:
        m(lib.ones(4, 3)).sum().backward()
        opt.step()
        opt.zero_grad()
    return {e.key: e.count for e in prof.key_averages()}


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_profiler_records_optimizer_step_and_zero_grad(opt_name):
    e, t = _profiled_keys(ember, opt_name), _profiled_keys(torch, opt_name)
    for key in (f"Optimizer.step#{opt_name}.step", f"Optimizer.zero_grad#{opt_name}.zero_grad"):
        assert e.get(key) == t.get(key) == 1


def test_profiler_leaves_optimizers_as_they_were():
    before = ember.optim.Optimizer.__dict__["zero_grad"]
    _profiled_keys(ember, "SGD")
    assert ember.optim.Optimizer.__dict__["zero_grad"] is before
    from ember.optim import optimizer

    assert not optimizer._global_pre_hooks and not optimizer._global_post_hooks


def test_is_profiler_enabled_is_a_flag():
    for lib in (ember, torch):
        ap = lib.autograd.profiler
        assert ap._is_profiler_enabled is False
        with lib.autograd.profiler.profile():
            assert ap._is_profiler_enabled is True
        assert ap._is_profiler_enabled is False


# -- jit ---------------------------------------------------------------------------------------

def _jit_warning_file(lib):
    def f(x):
        return x + 1

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        lib.jit.script(f)
        lib.jit.trace(f, lib.ones(1))
    return [(x.category, x.filename) for x in w if issubclass(x.category, DeprecationWarning)]


def test_jit_deprecation_is_hidden_by_default_filters_as_pytorchs():
    # Python shows a DeprecationWarning by default only where it is attributed to __main__;
    # PyTorch attributes jit's to its own file, so a user's script prints nothing.
    for lib in (ember, torch):
        found = _jit_warning_file(lib)
        assert len(found) >= 2  # (PyTorch's trace repeats it when it checks the trace)
        assert all(cat is DeprecationWarning and fname != __file__ for cat, fname in found)


# -- anomaly mode stays process-wide while grad mode is per thread -------------------------

@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_anomaly_mode_is_shared_by_threads(lib):
    seen = []

    def look():
        seen.append((lib.is_anomaly_enabled(), lib.is_grad_enabled()))

    with lib.no_grad(), lib.autograd.set_detect_anomaly(True):
        t = threading.Thread(target=look)
        t.start()
        t.join()
    look()
    assert seen == [(True, True), (False, True)]


def test_anomaly_nan_check_still_fires():
    for lib in (ember, torch):
        x = lib.tensor([-1.0, 4.0], requires_grad=True)
        with lib.autograd.set_detect_anomaly(True), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError, match="returned nan values"):
                x.sqrt().sum().backward()


def test_anomaly_state_reads_through():
    from ember.autograd.grad_mode import STATE

    assert STATE.anomaly is False
    with ember.autograd.set_detect_anomaly(True, check_nan=False):
        assert STATE.anomaly is True and STATE.anomaly_nan is False
        assert ember.is_anomaly_enabled()
    assert STATE.anomaly is False and not ember.is_anomaly_enabled()


# -- linalg ----------------------------------------------------------------------------------

def _np(t):
    return t.detach().resolve_conj().numpy()


def _hpd(rng, shape, complex_):
    a = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if complex_ else 0)
    return a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_gradients_as_pytorchs(dtype, upper):
    # PyTorch's gradient for the factor is not restricted to its triangle
    rng = np.random.default_rng(0)
    h = _hpd(rng, (2, 3, 3), dtype == "complex128")
    b = rng.standard_normal((3, 2))  # broadcast over the factor's batch
    off = 0.1 * rng.standard_normal((2, 3, 3))  # entries the forward does not read
    grads = []
    for lib in (ember, torch):
        dt = getattr(lib, dtype)
        L = lib.linalg.cholesky(lib.tensor(h, dtype=dt))
        L = ((L.mH if upper else L) + lib.tensor(off, dtype=dt) * 0.5).requires_grad_()
        B = lib.tensor(b, dtype=dt, requires_grad=True)
        X = lib.cholesky_solve(B, L, upper=upper)
        gb, gl = lib.autograd.grad(X.abs().sum(), (B, L), create_graph=True)
        (ggl,) = lib.autograd.grad(gl.abs().sum() + gb.abs().sum(), L)
        grads.append([_np(X), _np(gb), _np(gl), _np(ggl), type(X.grad_fn).__name__])
    e, t = grads
    for a, b_ in zip(e[:4], t[:4]):
        np.testing.assert_allclose(a, b_, rtol=1e-9, atol=1e-10)
    assert e[4] == t[4]


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_gradient_as_pytorchs(upper):
    rng = np.random.default_rng(1)
    h = _hpd(rng, (3, 3), True)
    out = []
    for lib in (ember, torch):
        L = lib.linalg.cholesky(lib.tensor(h))
        L = (L.mH if upper else L).detach().requires_grad_()
        (g,) = lib.autograd.grad(lib.cholesky_inverse(L, upper=upper).abs().sum(), L)
        out.append(_np(g))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 5), (2, 2, 4), (1, 4), (0, 3), (4, 3), (3, 3)])
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_qr_backward_wide_and_tall(shape, dtype, mode):
    rng = np.random.default_rng(2)
    a = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if dtype == "complex128"
                                      else 0)
    res = []
    for lib in (ember, torch):
        A = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True)
        Q, R = lib.linalg.qr(A, mode=mode)
        wq = lib.tensor(np.random.default_rng(3).standard_normal(tuple(Q.shape)))
        wr = lib.tensor(np.random.default_rng(4).standard_normal(tuple(R.shape)))
        try:
            (g,) = lib.autograd.grad((Q.abs() * wq).sum() + (R.abs() * wr).sum(), A)
            res.append(("ok", _np(g)))
        except Exception as e:
            res.append(("error", type(e).__name__, str(e)))
    e, t = res
    assert e[0] == t[0]
    if e[0] == "ok":
        np.testing.assert_allclose(e[1], t[1], rtol=1e-8, atol=1e-10)
    else:
        assert e == t


def test_qr_backward_wide_gradcheck():
    A = ember.randn(3, 5, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: ember.linalg.qr(a)[0].sum()
                                    + ember.linalg.qr(a)[1].pow(2).sum(), (A,))


_LOW = [lambda L, h: L.linalg.svd(h), lambda L, h: L.linalg.svdvals(h),
        lambda L, h: L.linalg.eigh(h), lambda L, h: L.linalg.eigvalsh(h),
        lambda L, h: L.linalg.qr(h), lambda L, h: L.linalg.cholesky(h),
        lambda L, h: L.linalg.cholesky_ex(h), lambda L, h: L.linalg.pinv(h),
        lambda L, h: L.linalg.inv(h), lambda L, h: L.linalg.det(h),
        lambda L, h: L.linalg.slogdet(h), lambda L, h: L.linalg.solve(h, h),
        lambda L, h: L.linalg.lstsq(h, h), lambda L, h: L.linalg.matrix_rank(h),
        lambda L, h: L.linalg.cond(h), lambda L, h: L.linalg.lu_factor(h),
        lambda L, h: L.linalg.solve_triangular(h, h, upper=True)]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("i", range(len(_LOW)))
def test_low_precision_refusals(dtype, i):
    same(lambda L: _LOW[i](L, L.eye(2, dtype=getattr(L, dtype))))


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_eigh_of_integers(dtype):
    same(lambda L: L.linalg.eigh(L.eye(2, dtype=getattr(L, dtype))))
    same(lambda L: L.linalg.eigvalsh(L.eye(2, dtype=getattr(L, dtype))))


@pytest.mark.parametrize("case", [
    lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(L.eye(3)), L.ones(2, 1, dtype=L.float64)),
    lambda L: L.linalg.lstsq(L.eye(3), L.ones(2, 1, dtype=L.float64)),
    lambda L: L.linalg.lstsq(L.eye(3, dtype=L.long), L.ones(3, 1, dtype=L.float64)),
    lambda L: L.linalg.lstsq(L.eye(3, dtype=L.complex64), L.ones(3, 1)),
    lambda L: L.linalg.cond(L.zeros(2, 0, 0)),
    lambda L: L.linalg.cond(L.zeros(0, 3, 3)),
    lambda L: L.linalg.matrix_norm(L.zeros(2, 0, 0), 2),
    lambda L: L.linalg.matrix_norm(L.zeros(2, 0, 0), "nuc"),
])
def test_linalg_dtype_checks_and_empty_batches(case):
    same(case)


@pytest.mark.parametrize("a_dtype,b_dtype", [
    ("float32", "float64"), ("float64", "float32"), ("complex64", "float32"),
    ("float64", "complex64"), ("float32", "int64"), ("complex128", "float64")])
def test_solve_triangular_casts_b_to_a_dtype(a_dtype, b_dtype):
    res = []
    for lib in (ember, torch):
        A = (lib.eye(2) * 2 + lib.ones(2, 2).triu(1)).to(getattr(lib, a_dtype))
        B = lib.arange(1, 5).reshape(2, 2).to(getattr(lib, b_dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (a complex B into a real A: the cast's warning)
            X = lib.linalg.solve_triangular(A, B, upper=True)
        res.append((str(X.dtype), _np(X)))
    assert res[0][0] == res[1][0]
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6)


# -- double backward -----------------------------------------------------------------------

@pytest.mark.parametrize("variant", range(8))
def test_double_backward_through_inplace_view_writes(variant):
    # the CopySlices node's gradient must be recorded under create_graph, not written raw
    res = []
    for lib in (ember, torch):
        x = lib.tensor([0.5, -1.2, 2.0, 0.7], dtype=lib.float64, requires_grad=True)
        M = x.reshape(2, 2)
        if variant == 0:
            col = M[1:, 0:1] * M[0:1, 0:1].reciprocal()
            M = M.clone()
            M[1:, 0:1] = col
        elif variant == 1:
            M = x.clone()
            M[2:3] = x[2:3] * 3.0
        elif variant == 2:
            M = M.clone()
            M[1:, :] = M[1:, :].clone() * 3.0  # (a (1, 2) value stripped to (2,))
        elif variant == 3:
            M = x * 1.0
            M.narrow(0, 1, 2).mul_(x[:2] + 1)
        else:  # an in-place op on a view, then that view read again (its refreshed history)
            M = M.clone()
            t = M[1:, :]
            t.mul_(3.0)
            if variant == 4:
                M[1:, :] *= 3.0
            elif variant == 5:
                M[0:1, :] = t.clone()
            elif variant == 6:
                M[1:, :] = t.clone()
            else:
                M = M + t
        (g,) = lib.autograd.grad((M ** 3).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g ** 2).sum(), x)
        res.append((_np(g), _np(gg)))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def _phase_free(name, L, a):
    la = L.linalg
    return {
        "eigvalsh": lambda: la.eigvalsh(a + a.mH),
        "eigh": lambda: la.eigh(a + a.mH)[1].abs(),
        "svdvals": lambda: la.svdvals(a),
        "svd": lambda: la.svd(a)[0].abs(),
        "qr": lambda: la.qr(a)[1].abs(),
        "qr_wide": lambda: la.qr(a[:2])[1].abs(),
        "slogdet": lambda: la.slogdet(a)[1],
        "pinv": lambda: la.pinv(a).abs(),
        "lstsq": lambda: la.lstsq(a, a[:, :2]).solution.abs(),
        "lu_factor": lambda: la.lu_factor(a)[0].abs(),
        "lu": lambda: la.lu(a)[2].abs(),
        "solve_triangular": lambda: la.solve_triangular(a, a.mH, upper=True).abs(),
        "eig": lambda: la.eigvals(a).abs(),
    }[name]()


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("name", ["eigvalsh", "eigh", "svdvals", "svd", "qr", "qr_wide",
                                  "slogdet", "pinv", "lstsq", "lu_factor", "lu",
                                  "solve_triangular", "eig"])
def test_linalg_double_backward_as_pytorchs(name, dtype):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    if dtype == "complex128":
        a = a + 1j * rng.standard_normal((3, 3))
    w = rng.standard_normal(3)
    res = []
    for lib in (ember, torch):
        x = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True)
        y = _phase_free(name, lib, x)
        loss = (y * lib.tensor(np.resize(w, tuple(y.shape)), dtype=y.dtype)).sum()
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        (gg,) = lib.autograd.grad((g.abs() ** 2).sum(), x)
        res.append((_np(g), _np(gg)))
    for a_, b_ in zip(*res):
        np.testing.assert_allclose(a_, b_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("shape,key", [
    ((2, 2), (slice(1, None), slice(None))), ((1, 4), (slice(None), slice(None, 2))),
    ((3,), slice(0, 1)), ((1, 1, 3), (0, slice(None))), ((2, 3), (slice(0, 1),))])
def test_augmented_assignment_into_a_slice_with_unit_dims(shape, key):
    res = []
    for lib in (ember, torch):
        M = lib.arange(float(np.prod(shape))).reshape(shape).clone()
        M[key] *= 2
        M[key] += M[key]
        res.append(M.tolist())
    assert res[0] == res[1]


@pytest.mark.parametrize("case", [
    lambda L: (lambda x: x[1:].add_(x[:-1]))(L.arange(4.0)),
    lambda L: (lambda x: x.reshape(2, 2).add_(x.reshape(2, 2).t()))(L.arange(4.0)),
    lambda L: (lambda x: x[:1].unsqueeze(0).add_(x[:1]))(L.arange(4.0)),
    lambda L: (lambda m: (m.__setitem__((slice(1, None), slice(None)), m[1]), m)[1])(
        L.arange(4.0).reshape(2, 2)),
    lambda L: (lambda m: (m.__setitem__((slice(0, 1),), m[0]), m)[1])(
        L.arange(4.0).reshape(2, 2)),
    lambda L: (lambda m: (m.__setitem__(0, m[0]), m)[1])(L.arange(4.0).reshape(2, 2)),
])
def test_partial_overlap_still_refused(case):
    same(case)


def test_gradgradcheck_takes_complex_outputs():
    a = ember.randn(2, 2, dtype=ember.complex128, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda x: x.mT @ x, (a,))
    assert ember.autograd.gradgradcheck(lambda x: ember.linalg.qr(x)[1].abs(), (a.detach().real
                                        .requires_grad_(),))
