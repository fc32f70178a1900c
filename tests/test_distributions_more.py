"""The distributions added after the first batch (Gumbel, Pareto, Weibull, Kumaraswamy,
FisherSnedecor, NegativeBinomial, RelaxedBernoulli, RelaxedOneHotCategorical, InverseGamma,
...) against torch.distributions: draws for a seed, densities, moments, entropies, expand,
repr, validation errors and KL divergences."""
import math

import numpy as np
import pytest

import ember
import ember.distributions  # noqa: F401

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64"]

A = [0.7, 1.5, 3.0]
B = [2.5, 0.8, 5.0]
P = [0.2, 0.6, 0.9]
L = [0.3, -1.6, 2.9]
S = [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]


def _t(lib, dt):
    d = getattr(lib, dt)
    return lambda v: lib.tensor(v, dtype=d)


# name -> (class name, builder(lib.distributions, t), exact): ``exact`` says the draws are
# PyTorch's bit for bit (the others go through log/exp/pow/logsumexp, where NumPy and
# PyTorch may round one ulp apart, so they are compared to within a few ulps)
CASES = {
    "gumbel": ("Gumbel", lambda D, t: D.Gumbel(t([0.0, -1.0, 2.0]), t(B)), False),
    "gumbel_scalar": ("Gumbel", lambda D, t: D.Gumbel(1.0, 2.0), False),
    "pareto": ("Pareto", lambda D, t: D.Pareto(t(B), t(A)), False),
    "weibull": ("Weibull", lambda D, t: D.Weibull(t(B), t(A)), False),
    "kumaraswamy": ("Kumaraswamy", lambda D, t: D.Kumaraswamy(t(A), t(B)), False),
    "fisher": ("FisherSnedecor", lambda D, t: D.FisherSnedecor(t(A), t(B)), True),
    "fisher_big": ("FisherSnedecor", lambda D, t: D.FisherSnedecor(t([3.0, 5.0, 9.0]),
                                                                   t([5.0, 7.0, 2.0])), True),
    "negbin_probs": ("NegativeBinomial",
                     lambda D, t: D.NegativeBinomial(t([3.0, 0.5, 10.0]), probs=t(P)), True),
    "negbin_logits": ("NegativeBinomial",
                      lambda D, t: D.NegativeBinomial(t([3.0, 0.5, 10.0]), logits=t(L)), True),
    "inverse_gamma": ("InverseGamma", lambda D, t: D.InverseGamma(t([0.7, 2.5, 4.0]), t(A)),
                      False),
    "relaxed_bernoulli": ("RelaxedBernoulli",
                          lambda D, t: D.RelaxedBernoulli(t(0.5), probs=t(P)), False),
    "relaxed_bernoulli_logits": ("RelaxedBernoulli",
                                 lambda D, t: D.RelaxedBernoulli(t(2.0), logits=t(L)), False),
    "relaxed_onehot": ("RelaxedOneHotCategorical",
                       lambda D, t: D.RelaxedOneHotCategorical(t(0.7), probs=t(S)), False),
    "relaxed_onehot_logits": ("RelaxedOneHotCategorical",
                              lambda D, t: D.RelaxedOneHotCategorical(t(1.7), logits=t(S)),
                              False),
    "cont_bern": ("ContinuousBernoulli",
                  lambda D, t: D.ContinuousBernoulli(t([0.1, 0.4995, 0.5, 0.8, 0.999])), False),
    "cont_bern_logits": ("ContinuousBernoulli",
                         lambda D, t: D.ContinuousBernoulli(logits=t([0.1, -3.0, 0.0, 9.0])),
                         True),
    "logistic_normal": ("LogisticNormal",
                        lambda D, t: D.LogisticNormal(t([0.1, -0.5, 1.0]), t([1.0, 0.5, 2.0])),
                        False),
    "logistic_normal_batch": ("LogisticNormal",
                              lambda D, t: D.LogisticNormal(t([[0.1, -0.5], [0.3, 0.2]]),
                                                            t(0.7)), False),
    "logistic_normal_scalar": ("LogisticNormal", lambda D, t: D.LogisticNormal(0.3, 1.2), True),
    "von_mises": ("VonMises", lambda D, t: D.VonMises(t([0.1, -2.5, 3.0, 0.0]),
                                                      t([0.5, 1e-6, 4.0, 50.0])), False),
    "lowrank_mvn": ("LowRankMultivariateNormal",
                    lambda D, t: D.LowRankMultivariateNormal(
                        t([[0.1, -0.3, 1.0], [2.0, 0.0, -1.0]]),
                        t([[0.5, -1.0], [0.2, 0.3], [1.5, 0.1]]),
                        t([[0.7, 1.2, 0.4], [1.0, 2.0, 0.5]])), False),
    "lkj": ("LKJCholesky", lambda D, t: D.LKJCholesky(3, t([0.5, 1.0, 4.0])), False),
    "lkj_scalar": ("LKJCholesky", lambda D, t: D.LKJCholesky(4, t(2.0)), False),
    "lkj_default": ("LKJCholesky", lambda D, t: D.LKJCholesky(2), False),
    "gen_pareto": ("GeneralizedPareto",
                   lambda D, t: D.GeneralizedPareto(t([0.0, 1.0, -1.0, 0.5]),
                                                    t([1.0, 2.0, 0.5, 1.0]),
                                                    t([0.3, 0.0, -0.4, 0.7])), True),
}


def build(lib, case, dt):
    return CASES[case][1](lib.distributions, _t(lib, dt))


def npy(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def close(a, b, rtol=1e-6, atol=1e-12):
    a, b = npy(a), npy(b)
    assert a.shape == b.shape
    assert a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def test_registered():
    for name in {c[0] for c in CASES.values()}:
        assert name in ember.distributions.__all__
        assert hasattr(torch.distributions, name)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_samples_match_torch(case, dt):
    out = []
    for lib in (ember, torch):
        d = build(lib, case, dt)
        lib.manual_seed(7)
        draws = [d.sample(), d.sample((3, 2))]
        if d.has_rsample:
            draws.append(d.rsample((4,)))
        out.append(draws)
    exact = CASES[case][2]
    for e, t in zip(*out):
        assert tuple(e.shape) == tuple(t.shape)
        if exact:
            np.testing.assert_array_equal(npy(e), npy(t))
        else:
            # float32: a one-ulp difference in a log can grow a little through the chain
            close(e, t, rtol=1e-6 if e.dtype == ember.float64 else 4e-6, atol=1e-6)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_densities_and_moments(case, dt):
    de, dtt = build(ember, case, dt), build(torch, case, dt)
    assert tuple(de.batch_shape) == tuple(dtt.batch_shape)
    assert tuple(de.event_shape) == tuple(dtt.event_shape)
    torch.manual_seed(3)
    x = dtt.sample((5,))
    xe = ember.tensor(x.numpy())
    rtol = 1e-5 if dt == "float32" else 1e-10
    atol = 1e-5 if dt == "float32" else 1e-10
    methods = ["log_prob", "cdf", "log_cdf", "log_survival_function"]
    for m in methods:
        try:
            want = getattr(dtt, m)(x)
        except (NotImplementedError, AttributeError):  # not defined for this family
            continue
        except RuntimeError as exc:  # GeneralizedPareto in float64 (PyTorch's isclose)
            with pytest.raises(RuntimeError, match=str(exc)):
                getattr(de, m)(xe)
            continue
        close(getattr(de, m)(xe), want, rtol=rtol, atol=atol)
    u = torch.linspace(0.02, 0.98, 4 * dtt.batch_shape.numel(), dtype=x.dtype)
    u = u.reshape((4,) + tuple(dtt.batch_shape))
    try:
        want = dtt.icdf(u)
    except NotImplementedError:
        want = None
    if want is not None:
        close(de.icdf(ember.tensor(u.numpy())), want, rtol=rtol, atol=atol)
    for attr in ("mean", "mode", "variance", "stddev", "entropy"):
        try:
            want = getattr(dtt, attr)
            want = want() if callable(want) else want
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                got = getattr(de, attr)
                got() if callable(got) else got
            continue
        got = getattr(de, attr)
        close(got() if callable(got) else got, want, rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("case", sorted(CASES))
def test_expand_and_repr(case):
    de, dtt = build(ember, case, "float64"), build(torch, case, "float64")
    assert repr(de) == repr(dtt)
    shape = (4,) + tuple(dtt.batch_shape)
    ee, et = de.expand(shape), dtt.expand(shape)
    assert type(ee) is type(de)
    assert repr(ee) == repr(et)
    assert tuple(ee.batch_shape) == tuple(et.batch_shape)
    ember.manual_seed(1)
    torch.manual_seed(1)
    close(ee.sample((2,)), et.sample((2,)))


def test_rsample_gradients():
    grads = []
    for lib in (ember, torch):
        D = lib.distributions
        s = lib.tensor(B, dtype=lib.float64, requires_grad=True)
        k = lib.tensor(A, dtype=lib.float64, requires_grad=True)
        lib.manual_seed(0)
        total = (D.Weibull(s, k).rsample((3,)).sum() + D.Gumbel(k, s).rsample((3,)).sum()
                 + D.Kumaraswamy(k, s).rsample((3,)).sum() + D.Pareto(s, k).rsample().sum())
        total.backward()
        grads.append((s.grad, k.grad))
    for e, t in zip(*grads):
        close(e, t, rtol=1e-8)


BAD = [
    ("Gumbel", (0.0, -1.0), {}),
    ("Pareto", (-1.0, 1.0), {}),
    ("Pareto", (1.0, 0.0), {}),
    ("Weibull", (1.0, -2.0), {}),
    ("Kumaraswamy", (-1.0, 1.0), {}),
    ("FisherSnedecor", (1.0, -1.0), {}),
    ("InverseGamma", (0.0, 1.0), {}),
    ("NegativeBinomial", (-1.0,), {"probs": 0.5}),
    ("NegativeBinomial", (2.0,), {"probs": 1.0}),
    ("NegativeBinomial", (2.0,), {}),
    ("NegativeBinomial", (2.0,), {"probs": 0.5, "logits": 0.1}),
    ("RelaxedBernoulli", (1.0,), {"probs": 1.5}),
    ("RelaxedBernoulli", (1.0,), {}),
    ("RelaxedOneHotCategorical", (1.0,), {"probs": [-0.5, 0.6]}),
    ("ContinuousBernoulli", (), {"probs": 1.5}),  # clamped first: no error in PyTorch
    ("ContinuousBernoulli", (), {}),
    ("GeneralizedPareto", (0.0, -1.0, 0.5), {}),
    ("LogisticNormal", (0.0, -1.0), {}),
    ("VonMises", (0.0, 0.0), {}),
    ("LKJCholesky", (3, -1.0), {}),
]


def _raises(lib, name, args, kwargs):
    D = lib.distributions
    args = [a if isinstance(a, int) else lib.tensor(a, dtype=lib.float64) for a in args]
    kwargs = {k: lib.tensor(v, dtype=lib.float64) for k, v in kwargs.items()}
    try:
        getattr(D, name)(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        return type(exc), str(exc).split("\n")[0]
    return None


@pytest.mark.parametrize("name,args,kwargs", BAD)
def test_validation_errors(name, args, kwargs):
    e, t = _raises(ember, name, args, kwargs), _raises(torch, name, args, kwargs)
    assert e == t  # same type and first line of message (or no error in both)


def test_log_prob_validates_support():
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="support"):
            lib.distributions.Pareto(lib.tensor(2.0), lib.tensor(1.0)).log_prob(lib.tensor(1.0))
        with pytest.raises(ValueError, match="support"):
            lib.distributions.NegativeBinomial(lib.tensor(2.0), lib.tensor(0.3)).log_prob(
                lib.tensor(1.5))


KL_PAIRS = [
    ("Gumbel", (A, B), "Gumbel", (B, A)),
    ("Pareto", (A, B), "Pareto", ([0.5, 1.0, 4.0], A)),
    ("Exponential", (A,), "Gumbel", (B, A)),
    ("Gamma", (A, B), "Gumbel", (B, A)),
    ("Gumbel", (A, B), "Normal", (B, A)),
    ("Normal", (A, B), "Gumbel", (B, A)),
    ("Uniform", ([0.0, -1.0, 2.0], B), "Gumbel", (B, A)),
    ("Pareto", (A, [0.5, 2.0, 3.0]), "Exponential", (B,)),
    ("Pareto", (A, [0.5, 2.0, 3.0]), "Gamma", (B, A)),
    ("Pareto", (A, [0.5, 2.5, 3.0]), "Normal", (B, A)),
    ("Uniform", ([0.8, 1.0, 2.0], [1.0, 4.0, 5.0]), "Pareto", ([0.5, 1.5, 1.0], A)),
    ("Beta", (A, B), "Pareto", (A, B)),
    ("Exponential", (A,), "Pareto", (A, B)),
    ("Gamma", (A, B), "Pareto", (A, B)),
    ("Gumbel", (A, B), "Beta", (A, B)),
    ("Gumbel", (A, B), "Exponential", (A,)),
    ("Gumbel", (A, B), "Gamma", (A, B)),
    ("Gumbel", (A, B), "Pareto", (A, B)),
    ("Gumbel", (A, B), "Uniform", ([0.0, 0.0, 0.0], B)),
    ("Laplace", (A, B), "Pareto", (A, B)),
    ("Normal", (A, B), "Pareto", (A, B)),
    ("Pareto", (A, B), "Beta", (A, B)),
    ("Pareto", (A, B), "Uniform", ([0.0, 0.0, 0.0], B)),
    ("ContinuousBernoulli", (P,), "ContinuousBernoulli", ([0.5, 0.3, 0.7],)),
    ("Beta", (A, B), "ContinuousBernoulli", (P,)),
    ("Uniform", ([0.1, 0.0, 0.2], [0.5, 0.7, 1.0]), "ContinuousBernoulli", (P,)),
    ("ContinuousBernoulli", (P,), "Exponential", (A,)),
    ("ContinuousBernoulli", (P,), "Normal", (A, B)),
    ("ContinuousBernoulli", (P,), "Uniform", ([-0.1, 0.0, 0.2], [1.5, 0.7, 1.0])),
    ("ContinuousBernoulli", (P,), "Pareto", (A, B)),
    ("Exponential", (A,), "ContinuousBernoulli", (P,)),
    ("Gamma", (A, B), "ContinuousBernoulli", (P,)),
    ("Gumbel", (A, B), "ContinuousBernoulli", (P,)),
    ("Laplace", (A, B), "ContinuousBernoulli", (P,)),
    ("Normal", (A, B), "ContinuousBernoulli", (P,)),
    ("Pareto", (A, B), "ContinuousBernoulli", (P,)),
]


@pytest.mark.parametrize("pn,pa,qn,qa", KL_PAIRS)
def test_kl(pn, pa, qn, qa):
    out = []
    for lib in (ember, torch):
        D = lib.distributions

        def mk(name, args):
            return getattr(D, name)(*[lib.tensor(a, dtype=lib.float64) for a in args])
        out.append(D.kl_divergence(mk(pn, pa), mk(qn, qa)))
    close(out[0], out[1], rtol=1e-10)


def test_generalized_pareto_scalars_and_support():
    for lib in (ember, torch):
        d = lib.distributions.GeneralizedPareto(0.0, 1.0, -0.5)
        assert tuple(d.batch_shape) == ()
        assert float(d.support.upper_bound) == 2.0


def test_kl_pareto_infinite_where_supports_differ():
    for lib in (ember, torch):
        D = lib.distributions
        kl = D.kl_divergence(D.Pareto(lib.tensor([1.0, 3.0]), lib.tensor(2.0)),
                             D.Pareto(lib.tensor(2.0), lib.tensor(2.0)))
        assert math.isinf(float(kl[0])) and math.isfinite(float(kl[1]))


def test_stick_breaking_transform():
    x = np.array([[0.3, -1.2, 2.0], [0.0, 0.0, 0.0]])
    res = []
    for lib in (ember, torch):
        t = lib.distributions.StickBreakingTransform()
        xt = lib.tensor(x)
        y = t(xt)
        res.append((y, t.inv(y), t.log_abs_det_jacobian(xt, y)))
        assert t == lib.distributions.StickBreakingTransform()
        assert tuple(t.forward_shape((2, 3))) == (2, 4)
        assert tuple(t.inverse_shape((2, 4))) == (2, 3)
    for e, t in zip(*res):
        close(e, t, rtol=1e-12)


def _lowrank(lib, seed, batch=(2,), n=3, m=2):
    rng = np.random.default_rng(seed)
    return lib.distributions.LowRankMultivariateNormal(
        lib.tensor(rng.standard_normal(batch + (n,))), lib.tensor(rng.standard_normal((n, m))),
        lib.tensor(rng.uniform(0.5, 2.0, batch + (n,))))


def _mvn(lib, seed, n=3):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    return lib.distributions.MultivariateNormal(lib.tensor(rng.standard_normal(n)),
                                                lib.tensor(a @ a.T + n * np.eye(n)))


def test_lowrank_matrices_and_kl():
    res = []
    for lib in (ember, torch):
        D = lib.distributions
        p, q = _lowrank(lib, 1), _lowrank(lib, 2)
        res.append([p.scale_tril, p.covariance_matrix, p.precision_matrix,
                    D.kl_divergence(p, q), D.kl_divergence(_mvn(lib, 3), q),
                    D.kl_divergence(_lowrank(lib, 5, batch=()), _mvn(lib, 4))])
        # PyTorch expands cov_diag to the batch shape of cov_factor and scale_tril only
        with pytest.raises(RuntimeError):
            D.kl_divergence(p, _mvn(lib, 4))
    for e, t in zip(*res):
        close(e, t, rtol=1e-10)


def test_lowrank_errors():
    for lib in (ember, torch):
        D = lib.distributions
        with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
            D.LowRankMultivariateNormal(lib.tensor(0.0), lib.ones(1, 1), lib.ones(1))
        with pytest.raises(ValueError, match="cov_factor must be a batch of matrices"):
            D.LowRankMultivariateNormal(lib.zeros(3), lib.ones(2, 1), lib.ones(3))
        with pytest.raises(ValueError, match="cov_diag must be a batch of vectors"):
            D.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(2))
        with pytest.raises(ValueError, match="Incompatible batch shapes"):
            D.LowRankMultivariateNormal(lib.zeros(2, 3), lib.ones(4, 3, 1), lib.ones(3))
        with pytest.raises(ValueError, match="different event shapes"):
            D.kl_divergence(_lowrank(lib, 1), _lowrank(lib, 2, n=4))


def _wishart(lib, case):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 3))
    cov = a @ a.transpose(0, 2, 1) + 3 * np.eye(3)
    D = lib.distributions
    if case == 0:
        return D.Wishart(lib.tensor([4.0, 6.5], dtype=lib.float64),
                         covariance_matrix=lib.tensor(cov))
    if case == 1:
        return D.Wishart(5.0, precision_matrix=lib.tensor(cov[0]))
    return D.Wishart(3.5, scale_tril=lib.tensor(np.linalg.cholesky(cov)))


@pytest.mark.parametrize("case", [0, 1, 2])
def test_wishart(case):
    res = []
    for lib in (ember, torch):
        d = _wishart(lib, case)
        lib.manual_seed(2)
        # PyTorch redraws the samples that pass its check, and says so
        with pytest.warns(UserWarning, match="Singular sample detected"):
            s = d.sample((4,))
        with pytest.warns(UserWarning, match="Singular sample detected"):
            s0 = d.rsample()
        got = [s, s0, d.log_prob(s), d.entropy(), d.covariance_matrix, d.precision_matrix,
               d.scale_tril]
        for attr in ("mean", "mode", "variance"):
            try:
                got.append(getattr(d, attr))
            except RuntimeError:  # a number df with batched matrices: PyTorch's view fails
                got.append(None)
        e = d.expand((3,) + tuple(d.batch_shape))
        with pytest.warns(UserWarning):
            got.append(e.sample())
        res.append((repr(d), repr(e), got))
    (re, ree, ge), (rt, ret, gt) = res
    assert re == rt and ree == ret
    for x, y in zip(ge, gt):
        assert (x is None) == (y is None)
        if x is not None:
            close(x, y, rtol=1e-10, atol=1e-12)


def test_wishart_errors():
    for lib in (ember, torch):
        D = lib.distributions
        eye = lib.eye(3, dtype=lib.float64)
        with pytest.raises(AssertionError, match="Exactly one of"):
            D.Wishart(4.0)
        with pytest.raises(ValueError, match="at least two-dimensional"):
            D.Wishart(4.0, covariance_matrix=lib.ones(3))
        with pytest.raises(ValueError, match="expected to be greater than ndim - 1 = 2"):
            D.Wishart(2.0, covariance_matrix=eye)
        with pytest.warns(UserWarning, match="Low df values detected"):
            D.Wishart(2.5, covariance_matrix=eye)
        with pytest.raises(ValueError, match="covariance_matrix"):
            D.Wishart(4.0, covariance_matrix=-eye)


def test_lkj_dim_error():
    for lib in (ember, torch):
        with pytest.raises(ValueError, match="Found dim=1"):
            lib.distributions.LKJCholesky(1)
