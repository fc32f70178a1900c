"""Transforms and the constraint registry (``biject_to``/``transform_to``) against PyTorch.

Each case builds the same transform in both libraries and compares forward values, inverse
values, ``log_abs_det_jacobian``, the gradients of all three, and the static description
(repr, domain, codomain, event dims, ``bijective``, ``sign``, shapes).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.distributions  # noqa: F401
from diff import as_numpy, assert_same, check

torch = pytest.importorskip("torch")


def D(lib):
    return lib.distributions


def C(lib):
    return lib.distributions.constraints


R = np.random.default_rng(7)


def real(*shape):
    return R.standard_normal(shape)


def spd(n, batch=()):
    a = R.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def same(fn):
    """``fn(lib)`` gives equal plain values in both libraries, or raises the same error type
    with the same message."""
    try:
        want = fn(torch)
    except Exception as exc:
        with pytest.raises(type(exc)) as info:
            fn(ember)
        assert str(info.value) == str(exc)
        return None
    got = fn(ember)
    assert got == want, f"ember {got!r} != torch {want!r}"
    return got


# -- transforms built in both libraries -------------------------------------------------
def _cat0(lib):
    d = D(lib)
    return d.CatTransform([d.ExpTransform(), d.identity_transform, d.AffineTransform(1.0, -2.0)],
                          dim=0, lengths=[2, 3, 1])


def _cat_last(lib):
    d = D(lib)
    return d.CatTransform([d.SigmoidTransform(), d.TanhTransform()], dim=-1, lengths=[2, 3])


def _cat_event_batch(lib):
    # an event-dim-1 piece beside a scalar piece, cut along a batch dimension: terms joined
    d = D(lib)
    return d.CatTransform([d.IndependentTransform(d.ExpTransform(), 1), d.SoftplusTransform()],
                          dim=0, lengths=[2, 2])


def _cat_event_event(lib):
    # ... and cut along the event dimension: terms added
    d = D(lib)
    return d.CatTransform([d.IndependentTransform(d.ExpTransform(), 1), d.SoftplusTransform()],
                          dim=-1, lengths=[3, 1])


def _cat_nested(lib):
    d = D(lib)
    inner = d.CatTransform([d.ExpTransform(), d.identity_transform], dim=0, lengths=[1, 2])
    return d.CatTransform([inner, inner], dim=0, lengths=[3, 3])


def _stack1(lib):
    d = D(lib)
    return d.StackTransform([d.ExpTransform(), d.AffineTransform(0.5, 3.0), d.SigmoidTransform()],
                            dim=1)


def _stack_last(lib):
    d = D(lib)
    return d.StackTransform([d.TanhTransform(), d.identity_transform], dim=-1)


def _stack_compose(lib):
    d = D(lib)
    return d.ComposeTransform([d.StackTransform([d.ExpTransform(), d.SoftplusTransform()], dim=0),
                               d.AffineTransform(1.0, 2.0)])


def _corr(lib):
    return D(lib).CorrCholeskyTransform()


def _lower(lib):
    return D(lib).LowerCholeskyTransform()


def _posdef(lib):
    return D(lib).PositiveDefiniteTransform()


def _compose_vec(lib):
    d = D(lib)
    return d.ComposeTransform([d.AffineTransform(0.5, 2.0, event_dim=1),
                               d.StickBreakingTransform(), d.ExpTransform().inv])


def _identity(lib):
    return D(lib).identity_transform


def _compose_corr(lib):
    d = D(lib)
    return d.ComposeTransform([d.AffineTransform(0.0, 0.5), d.CorrCholeskyTransform()])


def _indep_corr(lib):
    d = D(lib)
    return d.IndependentTransform(d.CorrCholeskyTransform(), 1)


# name -> (builder, input shape, whether log_abs_det_jacobian is defined)
BIJECTIVE = {
    "cat0": (_cat0, (6, 4)),
    "cat_last": (_cat_last, (3, 5)),
    "cat_event_batch": (_cat_event_batch, (4, 3)),
    "cat_event_event": (_cat_event_event, (2, 4)),
    "cat_nested": (_cat_nested, (6, 2)),
    "stack1": (_stack1, (4, 3)),
    "stack_last": (_stack_last, (2, 3, 2)),
    "stack_compose": (_stack_compose, (2, 5)),
    "corr1": (_corr, (1,)),
    "corr3": (_corr, (3,)),
    "corr_batch": (_corr, (2, 3, 6)),
    "compose_vec": (_compose_vec, (2, 3)),
    "identity": (_identity, (3, 2)),
    "compose_corr": (_compose_corr, (2, 3)),
    "indep_corr": (_indep_corr, (2, 6)),
}


@pytest.mark.parametrize("name", sorted(BIJECTIVE))
def test_bijective_values_jacobians_gradients(name):
    build, shape = BIJECTIVE[name]
    x = real(*shape)

    def fwd(lib, x):
        t = build(lib)
        y = t(x)
        return y, t.log_abs_det_jacobian(x, y)

    check(fwd, x, rtol=1e-9, atol=1e-10)

    # the inverse from a point of the codomain (computed here, without the cache)
    y = as_numpy(build(torch)(torch.from_numpy(x)))

    def inv(lib, y):
        t = build(lib)
        x = t.inv(y)
        return x, t.inv.log_abs_det_jacobian(y, x)

    check(inv, y, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("name", sorted(BIJECTIVE))
def test_description(name):
    build, shape = BIJECTIVE[name]
    for get in (repr, lambda t: repr(t.inv), lambda t: repr(t.domain),
                lambda t: repr(t.codomain), lambda t: t.domain.event_dim,
                lambda t: t.codomain.event_dim, lambda t: t.event_dim,
                lambda t: t.bijective, lambda t: t.inv.bijective,
                lambda t: tuple(t.forward_shape(shape)),
                lambda t: tuple(t.inv.inverse_shape(shape)),
                lambda t: t.inv.inv is t, lambda t: t.inv == t.inv.with_cache(0)):
        same(lambda lib: get(build(lib)))
    same(lambda lib: build(lib) == build(lib))


@pytest.mark.parametrize("build,x", [
    (_lower, real(2, 3, 3)), (_lower, real(4, 4)), (_posdef, real(3, 3)),
    (_posdef, real(2, 2, 2)),
])
def test_matrix_transforms(build, x):
    check(lambda lib, x: build(lib)(x), x, rtol=1e-9, atol=1e-10)
    y = as_numpy(build(torch)(torch.from_numpy(x)))
    check(lambda lib, y: build(lib).inv(y), y, rtol=1e-7, atol=1e-8)
    for get in (repr, lambda t: repr(t.domain), lambda t: repr(t.codomain), lambda t: t.bijective,
                lambda t: t.event_dim, lambda t: t.inv.inv is t):
        same(lambda lib: get(build(lib)))
    # no Jacobian term: both raise NotImplementedError
    same(lambda lib: build(lib).log_abs_det_jacobian(lib.tensor(x), lib.tensor(x)))


def test_equality_rules():
    def eqs(lib):
        d = D(lib)
        return [d.LowerCholeskyTransform() == d.LowerCholeskyTransform(),
                d.PositiveDefiniteTransform() == d.PositiveDefiniteTransform(),
                d.CorrCholeskyTransform() == d.CorrCholeskyTransform(),
                d.CatTransform([d.ExpTransform()]) == d.CatTransform([d.ExpTransform()]),
                d.StackTransform([d.ExpTransform()]) == d.StackTransform([d.ExpTransform()]),
                d.LowerCholeskyTransform().inv == d.LowerCholeskyTransform().inv,
                d.LowerCholeskyTransform() != d.PositiveDefiniteTransform(),
                d.ComposeTransform([d.LowerCholeskyTransform()])
                == d.ComposeTransform([d.LowerCholeskyTransform()]),
                d.identity_transform == d.ComposeTransform([])]
    same(eqs)


@pytest.mark.parametrize("build,x", [(_cat0, real(6, 4)), (_stack1, real(4, 3)),
                                     (_corr, real(2, 3)), (_lower, real(3, 3)),
                                     (_posdef, real(3, 3)), (_identity, real(2)),
                                     (_compose_vec, real(2, 3))])
def test_caching(build, x):
    def cached(lib):
        t = build(lib).with_cache(1)
        xt = lib.tensor(x)
        y = t(xt)
        out = [t._cache_size, t.inv(y) is xt, t(xt) is y, build(lib).with_cache(0)._cache_size,
               type(t).__name__, repr(t)]
        # an uncached transform recomputes
        u = build(lib)
        out.append(u(xt) is u(xt))
        return out
    same(cached)


def test_cache_size_errors():
    same(lambda lib: D(lib).CatTransform([D(lib).ExpTransform()], cache_size=2))
    same(lambda lib: D(lib).StackTransform([D(lib).ExpTransform()], cache_size=2))
    same(lambda lib: D(lib).CorrCholeskyTransform(cache_size=3))
    same(lambda lib: D(lib).LowerCholeskyTransform().with_cache(1)._cache_size)


@pytest.mark.parametrize("case", [
    lambda lib: D(lib).CatTransform([D(lib).ExpTransform(), 3]),
    lambda lib: D(lib).CatTransform([D(lib).ExpTransform()], lengths=[1, 2]),
    lambda lib: D(lib).StackTransform([lib.exp]),
    lambda lib: _cat0(lib)(lib.zeros(5, 2)),
    lambda lib: _cat0(lib).inv(lib.zeros(5, 2)),
    lambda lib: _cat0(lib)(lib.zeros(6, 2).sum(0).sum(0)),
    lambda lib: _cat_last(lib).log_abs_det_jacobian(lib.zeros(3, 5), lib.zeros(3, 4)),
    lambda lib: _stack1(lib)(lib.zeros(4, 2)),
    lambda lib: _stack1(lib).inv(lib.zeros(4)),
    lambda lib: _stack1(lib).log_abs_det_jacobian(lib.zeros(4, 2), lib.zeros(4, 3)),
    lambda lib: _corr(lib).forward_shape(lib.Size([4])),
    lambda lib: _corr(lib).forward_shape(lib.Size([])),
    lambda lib: _corr(lib).inverse_shape(lib.Size([3])),
    lambda lib: _corr(lib).inverse_shape(lib.Size([3, 2])),
    lambda lib: _corr(lib)(lib.zeros(4)),
    lambda lib: _cat0(lib).sign,
    lambda lib: _stack1(lib).sign,
])
def test_errors(case):
    same(case)


def test_lower_cholesky_through_composition():
    # LowerCholeskyTransform().inv of a Cholesky factor of a covariance and the reverse
    check(lambda lib, a: D(lib).LowerCholeskyTransform().inv(lib.linalg.cholesky(a)),
          spd(3, (2,)), rtol=1e-8, atol=1e-9)


# -- constraints ------------------------------------------------------------------------
def _constraints(lib):
    c = C(lib)
    return {
        "real": c.real, "real_vector": c.real_vector, "positive": c.positive,
        "nonnegative": c.nonnegative, "greater_than": c.greater_than(2.5),
        "greater_than_eq": c.greater_than_eq(-1.0), "less_than": c.less_than(3.0),
        "interval": c.interval(-2.0, 5.0), "half_open": c.half_open_interval(0.0, 1.0),
        "unit_interval": c.unit_interval, "interval_int": c.interval(0, 1),
        "interval_tensor": c.interval(lib.tensor([0.0, -1.0]), lib.tensor([1.0, 4.0])),
        "simplex": c.simplex, "corr_cholesky": c.corr_cholesky,
        "lower_cholesky": c.lower_cholesky, "positive_definite": c.positive_definite,
        "positive_semidefinite": c.positive_semidefinite,
        "cat": c.cat([c.real, c.positive, c.interval(0.0, 2.0)], 0, [2, 1, 3]),
        "cat_last": c.cat([c.unit_interval, c.less_than(0.0)], -1, [2, 2]),
        "stack": c.stack([c.positive, c.real, c.unit_interval], dim=-1),
        "stack0": c.stack([c.greater_than(1.0), c.less_than(-1.0)]),
        "independent": c.independent(c.positive, 1),
        "independent_simplex": c.independent(c.simplex, 2),
        "independent_cat": c.independent(c.cat([c.positive, c.real], 0, [1, 2]), 1),
        "boolean": c.boolean, "one_hot": c.one_hot, "lower_triangular": c.lower_triangular,
        "square": c.square, "symmetric": c.symmetric, "multinomial": c.multinomial(5),
        "integer_interval": c.integer_interval(0, 3), "nonnegative_integer": c.nonnegative_integer,
        "positive_integer": c.positive_integer,
    }


# an unconstrained input shape for each constraint (None: neither registry has it)
SHAPES = {
    "real": (3,), "real_vector": (2, 3), "positive": (4,), "nonnegative": (2, 2),
    "greater_than": (3,), "greater_than_eq": (3,), "less_than": (3,), "interval": (2, 3),
    "half_open": (3,), "unit_interval": (3,), "interval_int": (3,), "interval_tensor": (3, 2),
    "simplex": (2, 3), "corr_cholesky": (2, 3), "lower_cholesky": (2, 3, 3),
    "positive_definite": (3, 3), "positive_semidefinite": (2, 2, 2), "cat": (6, 2),
    "cat_last": (3, 4), "stack": (2, 3), "stack0": (2, 2), "independent": (2, 3),
    "independent_simplex": (2, 2, 3), "independent_cat": (3, 2),
}
NAMES = sorted(_constraints(torch))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_registry(name, registry):
    def get(lib):
        return getattr(D(lib), registry)(_constraints(lib)[name])

    rep = same(lambda lib: repr(get(lib)))
    if rep is None:  # not registered: the same NotImplementedError
        return
    for fn in (lambda t: repr(t.inv), lambda t: repr(t.domain), lambda t: repr(t.codomain),
               lambda t: t.bijective, lambda t: t.domain.event_dim, lambda t: t.codomain.event_dim,
               lambda t: type(t).__name__):
        same(lambda lib: fn(get(lib)))
    x = real(*SHAPES[name])

    def fwd(lib, x):
        t = getattr(D(lib), registry)(_constraints(lib)[name])
        y = t(x)
        ok = _constraints(lib)[name].check(y)
        if not t.bijective:
            return y, ok
        return y, ok, t.log_abs_det_jacobian(x, y)

    check(fwd, x, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_constraint_description_and_check(name):
    for fn in (repr, lambda c: c.event_dim, lambda c: c.is_discrete, lambda c: type(c).__name__):
        same(lambda lib: fn(_constraints(lib)[name]))


CHECK_VALUES = {
    "cat": [np.array([[-1.0, 2.0, 0.5, 1.0, 0.0, 3.0], [0.0, -1.0, -0.5, 2.0, 2.0, 1.0]]).T],
    "cat_last": [np.array([[0.5, 1.0, -1.0, 0.0], [1.5, 0.0, -2.0, -0.1]])],
    "stack": [np.array([[1.0, -3.0, 0.5], [0.0, 2.0, 1.0], [2.0, 1.0, 1.5]])],
    "stack0": [np.array([[2.0, 0.5], [-2.0, -1.0]])],
    "square": [np.zeros((2, 3, 3)), np.zeros((2, 3))],
    "symmetric": [spd(3, (2,)), real(2, 3, 3), real(2, 3)],
    "positive_semidefinite": [spd(3, (2,)), -spd(3, (2,)), real(3, 3)],
    "positive_definite": [spd(3, (2,)), -spd(2), real(3, 3)],
    "corr_cholesky": [np.linalg.cholesky(np.array([[1.0, 0.3], [0.3, 1.0]])), np.eye(3),
                      np.tril(real(2, 3, 3))],
    "one_hot": [np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])],
    "multinomial": [np.array([[1.0, 2.0, 2.0], [3.0, 3.0, 0.0], [-1.0, 2.0, 0.0]])],
    "independent": [np.abs(real(2, 3)), real(2, 3)],
    "independent_cat": [np.array([[1.0, 2.0, -3.0], [-1.0, 0.0, 0.0]]).T],
    "lower_cholesky": [np.tril(np.abs(real(3, 3)) + 0.1), real(3, 3)],
}


@pytest.mark.parametrize("name", sorted(CHECK_VALUES))
def test_constraint_check(name):
    for v in CHECK_VALUES[name]:
        check(lambda lib, v: _constraints(lib)[name].check(v), v, grad=False,
              requires_grad=False)


@pytest.mark.parametrize("case", [
    lambda lib: C(lib).cat([C(lib).real], dim=2).check(lib.zeros(3)),
    lambda lib: C(lib).stack([C(lib).real], dim=-3).check(lib.zeros(3, 1)),
    lambda lib: C(lib).cat([C(lib).real, 1.0]),
    lambda lib: C(lib).stack([int]),
    lambda lib: C(lib).cat([C(lib).real], lengths=[1, 1]),
    lambda lib: C(lib).independent(C(lib).positive, 2).check(lib.ones(3)),
    lambda lib: C(lib).dependent.event_dim,
    lambda lib: C(lib).dependent.check(lib.ones(1)),
])
def test_constraint_errors(case):
    same(case)


# -- the registry object ----------------------------------------------------------------
def test_register_decorator_and_direct():
    def run(lib):
        reg = D(lib).constraint_registry.ConstraintRegistry()
        c = C(lib)

        @reg.register(c.positive)
        def _pos(constraint):
            return D(lib).ExpTransform()

        got = reg.register(type(c.real), lambda constraint: D(lib).identity_transform)
        out = [repr(reg(c.positive)), repr(reg(c.greater_than(3.0))), repr(reg(c.real)),
               got is not None, _pos.__name__]
        try:
            reg(c.simplex)
        except NotImplementedError as exc:
            out.append(str(exc))
        return out
    same(run)


@pytest.mark.parametrize("bad", ["not a constraint", 3, int])
def test_register_type_error(bad):
    def run(lib):
        return D(lib).transform_to.register(bad, lambda c: None)

    with pytest.raises(TypeError) as t_err:
        run(torch)
    with pytest.raises(TypeError) as e_err:
        run(ember)
    assert str(e_err.value).replace("ember", "torch") == str(t_err.value)


def test_exports():
    for mod in ("", ".transforms", ".constraints", ".constraint_registry"):
        tm = eval("torch.distributions" + mod)
        em = eval("ember.distributions" + mod)
        names = getattr(tm, "__all__", None) or ["ConstraintRegistry", "biject_to",
                                                 "transform_to"]
        missing = [n for n in names if not hasattr(em, n)]
        assert not missing, f"{mod}: {missing}"
    assert ember.distributions.biject_to is ember.distributions.constraint_registry.biject_to


# -- what users write -------------------------------------------------------------------
def _dists(lib):
    d = D(lib)
    return {
        "normal": lambda p: d.Normal(p[0], p[1].exp()),
        "gamma": lambda p: d.Gamma(p[0].exp(), p[1].exp()),
        "beta": lambda p: d.Beta(p[0].exp(), p[1].exp()),
        "uniform": lambda p: d.Uniform(p[0], p[0] + p[1].exp()),
        "exponential": lambda p: d.Exponential(p[0].exp()),
        "half_normal": lambda p: d.HalfNormal(p[1].exp()),
        "pareto": lambda p: d.Pareto(p[0].exp(), p[1].exp() + 1),
        "dirichlet": lambda p: d.Dirichlet(p.exp().reshape(-1)),
        "lkj": lambda p: d.LKJCholesky(3, p[0].exp().reshape(())),
        "mvn": lambda p: d.MultivariateNormal(
            p.reshape(-1)[:2], scale_tril=lib.eye(2, dtype=p.dtype) * p[1].exp().sum()),
    }


UNCONSTRAINED = {"dirichlet": (5, 2), "lkj": (5, 3), "mvn": (5, 2)}


@pytest.mark.parametrize("name", sorted(_dists(torch)))
def test_unconstrained_log_density(name):
    params = real(2, 3)
    u = real(*UNCONSTRAINED.get(name, (5, 3)))

    def logp(lib, params, u):
        dist = _dists(lib)[name](params)
        t = D(lib).biject_to(dist.support)
        x = t(u)
        return x, dist.log_prob(x) + t.log_abs_det_jacobian(u, x)

    check(logp, params, u, rtol=1e-8, atol=1e-9)


def test_transform_to_corr_cholesky_user_line():
    def run(lib, v):
        return D(lib).transform_to(C(lib).corr_cholesky)(v)

    check(run, real(3), rtol=1e-9, atol=1e-10)
    check(run, real(3).astype(np.float32))


def test_transformed_distribution_with_stack():
    def run(lib, loc, value):
        d = D(lib)
        t = [d.StackTransform([d.ExpTransform(), d.SigmoidTransform(),
                               d.AffineTransform(1.0, 3.0)], dim=-1),
             d.AffineTransform(0.5, 2.0)]
        td = d.TransformedDistribution(d.Normal(loc, lib.ones(4, 3)), t)
        return td.log_prob(value), repr(td.support), td.event_shape, td.batch_shape

    value = np.stack([np.exp(real(4)), 1 / (1 + np.exp(real(4))), real(4)], -1) * 2.0 + 0.5
    check(run, real(4, 3), value, rtol=1e-9, atol=1e-10)


def test_transformed_distribution_rsample_same_draws():
    def run(lib):
        d = D(lib)
        lib.manual_seed(3)
        loc = lib.zeros(6, dtype=lib.float64, requires_grad=True)
        base = d.Independent(d.Normal(loc, lib.ones(6, dtype=lib.float64)), 1)
        td = d.TransformedDistribution(base, [d.CorrCholeskyTransform()])
        x = td.rsample((2,))
        lp = td.log_prob(x)
        (g,) = lib.autograd.grad(lp.sum() + x.sum(), loc)
        return x, lp, g

    t = run(torch)
    e = run(ember)
    for a, b in zip(e, t):
        assert_same(a, b, rtol=1e-8, atol=1e-9)


def test_float32_stays_float32():
    def run(lib, x):
        d = D(lib)
        outs = []
        for t in (d.CorrCholeskyTransform(), _stack1(lib)):
            xx = x.reshape(4, 3)[0] if isinstance(t, d.CorrCholeskyTransform) else x.reshape(4, 3)
            y = t(xx)
            outs += [y, t.log_abs_det_jacobian(xx, y)]
        return outs

    check(run, real(12).astype(np.float32))


@pytest.mark.parametrize("case", [
    lambda lib: repr(C(lib).dependent),
    lambda lib: (C(lib).dependent(is_discrete=True, event_dim=1).event_dim,
                 C(lib).dependent(is_discrete=True).is_discrete),
    lambda lib: C(lib).dependent(is_discrete=True).event_dim,
    lambda lib: [C(lib).is_dependent(c) for c in (C(lib).dependent, C(lib).real,
                                                 D(lib).Uniform.support)],
    lambda lib: repr(C(lib).MixtureSameFamilyConstraint(C(lib).simplex)),
    lambda lib: repr(D(lib).Uniform(0.0, 2.0).support),
    lambda lib: repr(D(lib).biject_to(D(lib).Uniform(0.0, 2.0).support)),
    lambda lib: D(lib).biject_to(D(lib).Uniform.support),
])
def test_dependent_constraints(case):
    same(case)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_corr_cholesky_saturated(dtype):
    # tanh rounds to +-1 here and the clamp keeps the rows finite (gradients stop there)
    x = np.array([[25.0, -30.0, 0.5, 1e-8, -4.0, 18.0]], dtype=dtype)

    def run(lib, x):
        t = D(lib).CorrCholeskyTransform()
        y = t(x)
        return y, t.log_abs_det_jacobian(x, y), C(lib).corr_cholesky.check(y)

    check(run, x, rtol=1e-5 if dtype == np.float32 else 1e-9, atol=1e-5)
