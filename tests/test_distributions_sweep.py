"""A differential sweep of ``ember.distributions`` against ``torch.distributions``.

Every distribution class is built the same way in both libraries (several
parameterisations: scalar and batched parameters, float32 and float64, probs and
logits, ``validate_args`` on and off), then probed: draws after the same seed (and the
generator state after them, through one ``rand(1)``), ``log_prob`` in and out of the
support, moments, ``entropy``, ``cdf``/``icdf``, ``expand``, ``enumerate_support``,
shapes, constraints, ``repr``, and the gradients of ``rsample`` and ``log_prob`` with
respect to the parameters.  Each probe gives a value or an exception (type and message)
and the two libraries' answers are compared probe by probe.  ``kl_divergence`` is
compared for every pair of classes (registered pairs by value, the others by their
``NotImplementedError``).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

F32, F64 = "float32", "float64"


# -- building both sides -------------------------------------------------------------

class Side:
    """One library's view of a case: ``P(x)`` makes a parameter leaf (requires grad),
    ``C(x)`` a constant tensor, both in the case's dtype; ``D`` is the distributions
    module."""

    def __init__(self, lib, dt):
        self.lib, self.dt = lib, dt
        self.D = lib.distributions
        self.params = []

    def _t(self, x, dt=None):
        arr = np.asarray(x, dtype=dt or self.dt)
        return self.lib.from_numpy(arr.copy())

    def P(self, x):
        t = self._t(x).requires_grad_(True)
        self.params.append(t)
        return t

    def C(self, x, dt=None):
        return self._t(x, dt)


def _spd(n, seed, batch=()):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _tril(n, seed, batch=()):
    return np.linalg.cholesky(_spd(n, seed, batch))


# name -> constructor(S) returning a distribution; S.P/S.C make tensors.  Names carry
# the dtype so that every case is built in float32 and float64.
BASE = {
    "Normal-scalar": lambda S: S.D.Normal(S.P(0.3), S.P(1.7)),
    "Normal-bcast": lambda S: S.D.Normal(S.P([[0.0], [1.0]]), S.P([0.5, 1.0, 2.0])),
    "Normal-float": lambda S: S.D.Normal(S.P([0.0, 1.0]), 2.0),
    "Normal-novalidate": lambda S: S.D.Normal(S.P([0.0, 1.0]), S.P([1.0, 3.0]),
                                              validate_args=False),
    "Uniform": lambda S: S.D.Uniform(S.P([0.0, -1.0]), S.P([1.0, 2.5])),
    "Uniform-novalidate": lambda S: S.D.Uniform(S.P(-1.0), S.P(3.0), validate_args=False),
    "Bernoulli-probs": lambda S: S.D.Bernoulli(probs=S.P([0.2, 0.7, 0.5])),
    "Bernoulli-logits": lambda S: S.D.Bernoulli(logits=S.P([[-1.0, 0.3], [2.0, 0.0]])),
    "Bernoulli-novalidate": lambda S: S.D.Bernoulli(probs=S.P(0.3), validate_args=False),
    "Beta": lambda S: S.D.Beta(S.P([0.5, 2.0, 3.0]), S.P([1.5, 0.7, 3.0])),
    "Binomial-probs": lambda S: S.D.Binomial(S.C([5.0, 10.0, 40.0]), probs=S.P([0.3, 0.6, 0.2])),
    "Binomial-logits": lambda S: S.D.Binomial(8, logits=S.P([-0.5, 1.0])),
    "Categorical-probs": lambda S: S.D.Categorical(probs=S.P([0.1, 0.2, 0.3, 0.4])),
    "Categorical-logits": lambda S: S.D.Categorical(logits=S.P([[0.0, 1.0, -1.0],
                                                                 [2.0, 0.5, 0.1]])),
    "Categorical-novalidate": lambda S: S.D.Categorical(logits=S.P([0.1, 0.2, 0.3]),
                                                        validate_args=False),
    "Cauchy": lambda S: S.D.Cauchy(S.P([0.0, 1.0]), S.P([1.0, 0.5])),
    "Chi2": lambda S: S.D.Chi2(S.P([0.7, 3.0, 8.0])),
    "ContinuousBernoulli-probs": lambda S: S.D.ContinuousBernoulli(probs=S.P([0.2, 0.5, 0.8])),
    "ContinuousBernoulli-logits": lambda S: S.D.ContinuousBernoulli(logits=S.P([-1.0, 1.5])),
    "Dirichlet": lambda S: S.D.Dirichlet(S.P([[0.5, 1.0, 2.0], [3.0, 1.0, 0.3]])),
    "Exponential": lambda S: S.D.Exponential(S.P([0.5, 2.0])),
    "FisherSnedecor": lambda S: S.D.FisherSnedecor(S.P([3.0, 5.0]), S.P([4.0, 7.0])),
    "Gamma": lambda S: S.D.Gamma(S.P([0.4, 1.0, 5.0]), S.P([1.0, 2.0, 0.5])),
    "GeneralizedPareto": lambda S: S.D.GeneralizedPareto(S.P([0.0, 1.0]), S.P([1.0, 2.0]),
                                                         S.P([0.2, -0.3])),
    "Geometric-probs": lambda S: S.D.Geometric(probs=S.P([0.2, 0.6])),
    "Geometric-logits": lambda S: S.D.Geometric(logits=S.P([-1.0, 0.5])),
    "Gumbel": lambda S: S.D.Gumbel(S.P([0.0, 1.0]), S.P([1.0, 2.0])),
    "HalfCauchy": lambda S: S.D.HalfCauchy(S.P([1.0, 2.0])),
    "HalfNormal": lambda S: S.D.HalfNormal(S.P([1.0, 0.5])),
    "InverseGamma": lambda S: S.D.InverseGamma(S.P([2.5, 4.0]), S.P([1.0, 2.0])),
    "Kumaraswamy": lambda S: S.D.Kumaraswamy(S.P([2.0, 0.8]), S.P([3.0, 1.5])),
    "Laplace": lambda S: S.D.Laplace(S.P([0.0, 1.0]), S.P([1.0, 0.5])),
    "LogNormal": lambda S: S.D.LogNormal(S.P([0.0, 0.5]), S.P([1.0, 0.3])),
    "LogisticNormal": lambda S: S.D.LogisticNormal(S.P([0.0, 0.5, -0.2]), S.P([1.0, 0.3, 0.7])),
    "LKJCholesky": lambda S: S.D.LKJCholesky(3, S.P(1.5)),
    "LKJCholesky-batched": lambda S: S.D.LKJCholesky(2, S.P([0.5, 2.0])),
    "LowRankMVN": lambda S: S.D.LowRankMultivariateNormal(
        S.P([0.0, 1.0, -1.0]), S.P([[1.0], [0.5], [-0.3]]), S.P([1.0, 2.0, 0.5])),
    "MixtureSameFamily": lambda S: S.D.MixtureSameFamily(
        S.D.Categorical(logits=S.P([0.1, 0.5, -0.2])),
        S.D.Normal(S.P([-1.0, 0.0, 2.0]), S.P([0.5, 1.0, 0.3]))),
    "MixtureSameFamily-mvn": lambda S: S.D.MixtureSameFamily(
        S.D.Categorical(probs=S.P([0.3, 0.7])),
        S.D.Independent(S.D.Normal(S.P([[0.0, 1.0], [2.0, -1.0]]),
                                   S.P([[1.0, 0.5], [0.3, 2.0]])), 1)),
    "Multinomial": lambda S: S.D.Multinomial(10, probs=S.P([0.2, 0.3, 0.5])),
    "Multinomial-logits": lambda S: S.D.Multinomial(6, logits=S.P([[0.0, 1.0], [1.0, -1.0]])),
    "MVN-cov": lambda S: S.D.MultivariateNormal(S.P([0.0, 1.0, 2.0]),
                                                covariance_matrix=S.P(_spd(3, 1))),
    "MVN-prec": lambda S: S.D.MultivariateNormal(S.P([0.0, 1.0, 2.0]),
                                                 precision_matrix=S.P(_spd(3, 2))),
    "MVN-tril": lambda S: S.D.MultivariateNormal(S.P([[0.0, 1.0], [1.0, 0.0]]),
                                                 scale_tril=S.P(_tril(2, 3))),
    "NegativeBinomial": lambda S: S.D.NegativeBinomial(S.P([3.0, 10.0]), probs=S.P([0.3, 0.6])),
    "NegativeBinomial-logits": lambda S: S.D.NegativeBinomial(S.P(4.0), logits=S.P([0.2, -1.0])),
    "OneHotCategorical": lambda S: S.D.OneHotCategorical(probs=S.P([0.2, 0.3, 0.5])),
    "OneHotCategoricalST": lambda S: S.D.OneHotCategoricalStraightThrough(
        logits=S.P([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]])),
    "Pareto": lambda S: S.D.Pareto(S.P([1.0, 2.0]), S.P([3.0, 2.5])),
    "Poisson": lambda S: S.D.Poisson(S.P([0.5, 4.0, 30.0])),
    "RelaxedBernoulli": lambda S: S.D.RelaxedBernoulli(S.C(0.5), probs=S.P([0.2, 0.7])),
    "RelaxedBernoulli-logits": lambda S: S.D.RelaxedBernoulli(S.C(1.5), logits=S.P([0.2, -1.0])),
    "RelaxedOneHotCategorical": lambda S: S.D.RelaxedOneHotCategorical(
        S.C(0.7), probs=S.P([0.2, 0.3, 0.5])),
    "StudentT": lambda S: S.D.StudentT(S.P([1.5, 5.0]), S.P([0.0, 1.0]), S.P([1.0, 2.0])),
    "VonMises": lambda S: S.D.VonMises(S.P([0.0, 1.0]), S.P([0.5, 4.0])),
    "Weibull": lambda S: S.D.Weibull(S.P([1.0, 2.0]), S.P([0.5, 3.0])),
    "Wishart-cov": lambda S: S.D.Wishart(S.P(4.0), covariance_matrix=S.P(_spd(2, 4))),
    "Wishart-tril": lambda S: S.D.Wishart(S.P([3.0, 5.0]), scale_tril=S.P(_tril(2, 5))),
    "Wishart-prec": lambda S: S.D.Wishart(S.P(3.5), precision_matrix=S.P(_spd(2, 6))),
    "Independent": lambda S: S.D.Independent(S.D.Normal(S.P([[0.0, 1.0], [2.0, 3.0]]),
                                                        S.P([1.0, 2.0])), 1),
    "Independent-Bernoulli": lambda S: S.D.Independent(S.D.Bernoulli(probs=S.P([0.3, 0.6])), 1),
    "TD-exp": lambda S: S.D.TransformedDistribution(
        S.D.Normal(S.P([0.0, 1.0]), S.P([1.0, 0.5])), [S.D.transforms.ExpTransform()]),
    "TD-affine": lambda S: S.D.TransformedDistribution(
        S.D.Normal(S.P([0.0, 1.0]), S.P([1.0, 0.5])),
        S.D.transforms.AffineTransform(S.P(2.0), S.P(3.0))),
    "TD-sigmoid": lambda S: S.D.TransformedDistribution(
        S.D.Normal(S.P(0.2), S.P(0.8)), [S.D.transforms.SigmoidTransform()]),
    "TD-tanh": lambda S: S.D.TransformedDistribution(
        S.D.Normal(S.P([0.0, 1.0]), S.P([1.0, 0.5])), [S.D.transforms.TanhTransform()]),
    "TD-tanh-cache": lambda S: S.D.TransformedDistribution(
        S.D.Normal(S.P([0.0, 3.0]), S.P([1.0, 2.0])),
        [S.D.transforms.TanhTransform(cache_size=1)]),
    "TD-sigmoid-affine-cache": lambda S: S.D.TransformedDistribution(
        S.D.Independent(S.D.Normal(S.P([0.0, 3.0]), S.P([1.0, 2.0])), 1),
        [S.D.transforms.SigmoidTransform(cache_size=1),
         S.D.transforms.AffineTransform(S.P(-1.0), S.P(2.0), event_dim=1)]),
    "TD-compose": lambda S: S.D.TransformedDistribution(
        S.D.Normal(S.P([0.0, 1.0]), S.P([1.0, 0.5])),
        S.D.transforms.ComposeTransform([S.D.transforms.AffineTransform(1.0, 2.0),
                                         S.D.transforms.ExpTransform()])),
    # scalar parameters, Python numbers, broadcasting and the other sampler branches
    "Gamma-scalar": lambda S: S.D.Gamma(S.P(2.5), S.P(0.5)),
    "Gamma-bcast": lambda S: S.D.Gamma(S.P([[0.3], [9.0]]), S.P([1.0, 2.0, 3.0])),
    "Gamma-python": lambda S: S.D.Gamma(3.0, 2.0),
    "Beta-scalar": lambda S: S.D.Beta(S.P(2.0), S.P(3.0)),
    "Beta-bcast": lambda S: S.D.Beta(S.P([[0.2], [4.0]]), S.P([0.5, 6.0])),
    "Dirichlet-single": lambda S: S.D.Dirichlet(S.P([2.0, 0.1, 9.0, 1.0])),
    "Exponential-python": lambda S: S.D.Exponential(1.5),
    "Poisson-scalar": lambda S: S.D.Poisson(S.P(12.5)),
    "Binomial-btrs": lambda S: S.D.Binomial(S.C([100.0, 250.0]), probs=S.P([0.4, 0.93])),
    "Bernoulli-scalar-logits": lambda S: S.D.Bernoulli(logits=S.P(0.4)),
    "Categorical-wide": lambda S: S.D.Categorical(
        logits=S.P(np.linspace(-2.0, 2.0, 24).reshape(3, 8))),
    "StudentT-bcast": lambda S: S.D.StudentT(S.P([[2.0], [30.0]]), S.P([0.0, 1.0]), 2.0),
    "VonMises-scalar": lambda S: S.D.VonMises(S.P(0.5), S.P(0.01)),
    "Normal-python": lambda S: S.D.Normal(0.0, 1.0),
    "Laplace-scalar": lambda S: S.D.Laplace(S.P(1.0), S.P(2.0)),
    "Uniform-bcast": lambda S: S.D.Uniform(S.P([[0.0], [-2.0]]), S.P([1.0, 2.0])),
    "Geometric-scalar": lambda S: S.D.Geometric(probs=S.P(0.35)),
    "Multinomial-large": lambda S: S.D.Multinomial(50, probs=S.P([0.1, 0.2, 0.3, 0.4])),
    # parameters at the edges of their constraints
    "edge-Bernoulli": lambda S: S.D.Bernoulli(probs=S.P([0.0, 1.0, 0.5])),
    "edge-Bernoulli-logits": lambda S: S.D.Bernoulli(logits=S.P([-200.0, 200.0, 0.0])),
    "edge-Categorical-zero": lambda S: S.D.Categorical(probs=S.P([0.0, 0.3, 0.7])),
    "edge-Categorical-inf": lambda S: S.D.Categorical(logits=S.P([float("-inf"), 0.0, 1.0])),
    "edge-Categorical-unnormalised": lambda S: S.D.Categorical(probs=S.P([1.0, 2.0, 3.0])),
    "edge-Geometric": lambda S: S.D.Geometric(probs=S.P([1.0, 1e-4])),
    "edge-Binomial": lambda S: S.D.Binomial(S.C([0.0, 4.0, 4.0]), probs=S.P([0.5, 0.0, 1.0])),
    "edge-Poisson": lambda S: S.D.Poisson(S.P([0.0, 1e-3, 1e4])),
    "edge-Gamma-tiny": lambda S: S.D.Gamma(S.P([1e-3, 0.05]), S.P([1.0, 1e3])),
    "edge-Dirichlet-tiny": lambda S: S.D.Dirichlet(S.P([0.01, 0.02, 0.05])),
    "edge-VonMises": lambda S: S.D.VonMises(S.P([3.0, -3.0]), S.P([1e-6, 500.0])),
    "edge-ContinuousBernoulli": lambda S: S.D.ContinuousBernoulli(probs=S.P([0.499, 0.5001, 1e-4])),
    "edge-Beta-large": lambda S: S.D.Beta(S.P([500.0, 0.01]), S.P([300.0, 0.01])),
    "edge-Normal-tiny": lambda S: S.D.Normal(S.P([0.0, 1e6]), S.P([1e-20, 1e6])),
    "edge-StudentT-df": lambda S: S.D.StudentT(S.P([0.5, 1.0, 2.0, 2.5])),
    "edge-Uniform-equal": lambda S: S.D.Uniform(S.P([0.0, 1.0]), S.P([1e-30, 1.0 + 1e-6]),
                                                 validate_args=False),
    "edge-Normal-negative-novalidate": lambda S: S.D.Normal(S.P(0.0), S.P(-1.0),
                                                            validate_args=False),
    "edge-Pareto-alpha": lambda S: S.D.Pareto(S.P([1.0, 1.0]), S.P([0.5, 1.5])),
    "edge-Weibull": lambda S: S.D.Weibull(S.P([1.0, 2.0]), S.P([0.1, 20.0])),
}

# cases with Python-number parameters have PyTorch's default dtype whatever ``dt`` says
CASES = [(name, dt) for name in BASE for dt in (F32, F64)
         if not (name.endswith("-python") and dt == F64)]


def build(lib, name, dt):
    S = Side(lib, dt)
    return S, BASE[name](S)


# -- probing one side ----------------------------------------------------------------

class Exc:
    def __init__(self, e):
        self.type = type(e).__name__
        self.msg = str(e)

    def __repr__(self):
        return f"{self.type}: {self.msg[:300]}"


def attempt(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 -- the exception itself is the answer
        return Exc(e)


def _np(t):
    if isinstance(t, (ember.Tensor, torch.Tensor)):
        t = t.detach()
        return (str(t.dtype).replace("torch.", ""), tuple(t.shape), t.numpy().copy())
    return t


def out_of_support(lib, d, dt):
    """A value of a draw's shape that no distribution in the table supports: -1.5
    (negative, not an integer, not a simplex or correlation matrix)."""
    shape = tuple(d.batch_shape) + tuple(d.event_shape)
    return lib.full(shape, -1.5, dtype=getattr(lib, dt))


def probe(lib, name, dt, value):
    """Everything that is compared, for one library: ``{probe name: result}``.
    ``value`` is a NumPy array of a draw (made by PyTorch) to evaluate ``log_prob`` at."""
    out = {}
    S, d = build(lib, name, dt)
    out["repr"] = attempt(lambda: repr(d))
    out["batch_shape"] = tuple(d.batch_shape)
    out["event_shape"] = tuple(d.event_shape)
    out["has_rsample"] = d.has_rsample
    out["has_enumerate_support"] = d.has_enumerate_support
    out["support"] = attempt(lambda: repr(d.support))
    out["arg_constraints"] = attempt(lambda: {k: repr(v) for k, v in d.arg_constraints.items()})
    out["shape-types"] = (type(d.batch_shape).__name__, type(d.event_shape).__name__)
    names = attempt(lambda: sorted(d.arg_constraints))
    for pname in ([] if isinstance(names, Exc) else names):  # lazy ones (logits from probs) too
        out[f"param:{pname}"] = attempt(lambda: _np(getattr(d, pname)))
    for pname in ("param_shape", "_num_events", "total_count", "temperature"):
        if hasattr(type(d), pname) or pname in vars(d):
            out[f"attr:{pname}"] = attempt(lambda: _np(getattr(d, pname)))
    for attr in ("mean", "mode", "variance", "stddev"):
        out[attr] = attempt(lambda: _np(getattr(d, attr)))
    out["entropy"] = attempt(lambda: _np(d.entropy()))

    def graph_names():  # what printing a result shows: its grad_fn's name, requires_grad
        lib.manual_seed(8)
        res = {}
        x = None if value is None else lib.from_numpy(value.copy())
        q = lib.full(tuple(d.batch_shape) + tuple(d.event_shape), 0.3, dtype=getattr(lib, dt))
        for what, fn in (("sample", d.sample), ("rsample", d.rsample),
                         ("entropy", d.entropy), ("mean", lambda: d.mean),
                         ("mode", lambda: d.mode), ("variance", lambda: d.variance),
                         ("stddev", lambda: d.stddev), ("log_prob", lambda: d.log_prob(x)),
                         ("cdf", lambda: d.cdf(x)), ("icdf", lambda: d.icdf(q))):
            r = attempt(fn)
            if isinstance(r, Exc):
                continue
            res[what] = (r.requires_grad, type(r.grad_fn).__name__)
            if what == "cdf" and ("Gamma" in name or "Chi2" in name):
                # NOTE: ember's Gamma.cdf differentiates in the concentration too (its own
                # incomplete-gamma node); PyTorch's igamma raises for that gradient
                res[what] = r.requires_grad
        return res
    out["grad_fn"] = graph_names()
    out["perplexity"] = attempt(lambda: _np(d.perplexity()))
    S4, d4 = build(lib, name, dt)

    def egrad():
        d4.entropy().sum().backward()
        return [_np(p.grad) for p in S4.params]
    out["entropy-grad"] = attempt(egrad)
    for k, shape in enumerate([(), (3,), (2, 3)]):
        lib.manual_seed(17 + k)
        out[f"sample{shape}"] = attempt(lambda: _np(d.sample(shape)))
        out[f"sample{shape}-next"] = _np(lib.rand(1, dtype=lib.float64))
    if d.has_rsample:
        lib.manual_seed(5)
        out["rsample(2,)"] = attempt(lambda: _np(d.rsample((2,))))
        out["rsample-next"] = _np(lib.rand(1, dtype=lib.float64))
        lib.manual_seed(6)

        def own():  # log_prob at the distribution's own draw (transform caches are used)
            x = d.rsample()
            return _np(d.log_prob(x))
        out["log_prob-own-rsample"] = attempt(own)
        S2, d2 = build(lib, name, dt)
        lib.manual_seed(5)

        def rgrad():
            r = d2.rsample((2,))
            # a weighted sum: a plain one is constant for draws on a simplex
            w = lib.cos(lib.arange(r.numel(), dtype=r.dtype)).reshape(r.shape)
            (r * w).sum().backward()
            return [_np(p.grad) for p in S2.params]
        out["rsample-grad"] = attempt(rgrad)
    if value is not None:
        x = lib.from_numpy(value.copy())
        out["log_prob"] = attempt(lambda: _np(d.log_prob(x)))
        S3, d3 = build(lib, name, dt)

        def lgrad():
            d3.log_prob(x).sum().backward()
            return [_np(p.grad) for p in S3.params]
        out["log_prob-grad"] = attempt(lgrad)
        out["cdf"] = attempt(lambda: _np(d.cdf(x)))
    bad = out_of_support(lib, d, dt)
    out["log_prob-outside"] = attempt(lambda: _np(d.log_prob(bad)))
    # the same with validation off by default: the value, not an error
    lib.distributions.Distribution.set_default_validate_args(False)
    try:
        out["log_prob-outside-novalidate"] = attempt(
            lambda: _np(build(lib, name, dt)[1].log_prob(bad)))
    finally:
        lib.distributions.Distribution.set_default_validate_args(True)
    q = lib.from_numpy(np.full(tuple(d.batch_shape) + tuple(d.event_shape), 0.3, dtype=dt))
    out["icdf"] = attempt(lambda: _np(d.icdf(q)))
    out["enumerate_support"] = attempt(lambda: _np(d.enumerate_support()))
    out["enumerate_support-noexpand"] = attempt(lambda: _np(d.enumerate_support(expand=False)))
    e = attempt(lambda: d.expand((2,) + tuple(d.batch_shape)))
    out["expand"] = e if isinstance(e, Exc) else (tuple(e.batch_shape), tuple(e.event_shape))
    if not isinstance(e, Exc):
        lib.manual_seed(3)
        out["expand-sample"] = attempt(lambda: _np(e.sample()))
        out["expand-mean"] = attempt(lambda: _np(e.mean))
        if value is not None:
            out["expand-log_prob"] = attempt(lambda: _np(e.log_prob(lib.from_numpy(value[:1]))))
    return out


def torch_value(name, dt):
    S, d = build(torch, name, dt)
    torch.manual_seed(123)
    try:
        return d.sample((2,)).numpy()
    except Exception:  # noqa: BLE001
        return None


# -- comparing -------------------------------------------------------------------------

TOL = {F32: (2e-5, 2e-6), F64: (1e-9, 1e-11)}


def _ulps(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind != "f":
        return 0 if np.array_equal(a, b) else np.inf
    both = np.isnan(a) & np.isnan(b)
    same = (a == b) | both
    if same.all():
        return 0
    spacing = np.spacing(np.maximum(np.abs(a), np.abs(b)).astype(a.dtype))
    with np.errstate(invalid="ignore"):
        d = np.where(same, 0, np.abs(a.astype(np.float64) - b.astype(np.float64)) / spacing)
    return float(np.nan_to_num(d, nan=np.inf).max())


def _message(msg):
    """A message with runs of white space collapsed and PyTorch's module path as ember's."""
    return " ".join(msg.replace("<class 'torch.", "<class 'ember.").split())


def compare(key, e, t, dt):
    """``"identical"``, ``"close: ..."`` or ``"MISMATCH: ..."``."""
    if isinstance(t, Exc) or isinstance(e, Exc):
        if not (isinstance(t, Exc) and isinstance(e, Exc)):
            return f"MISMATCH: ember {e!r} / torch {t!r}"
        if e.type != t.type:
            return f"MISMATCH: exception ember {e!r} / torch {t!r}"
        if _message(e.msg) != _message(t.msg):
            return f"MISMATCH: message ember {e.msg[:200]!r} / torch {t.msg[:200]!r}"
        return "identical"
    if isinstance(t, list):
        res = [compare(key, a, b, dt) for a, b in zip(e, t)]
        if len(e) != len(t):
            return f"MISMATCH: length {len(e)} / {len(t)}"
        bad = [r for r in res if r.startswith("MISMATCH")]
        if bad:
            return bad[0]
        close = [r for r in res if r.startswith("close")]
        return close[0] if close else "identical"
    if isinstance(t, tuple) and len(t) == 3 and isinstance(t[2], np.ndarray):
        if e is None and t[2] is None:
            return "identical"
        if not (isinstance(e, tuple) and len(e) == 3):
            return f"MISMATCH: ember {e!r}"
        if e[0] != t[0] or e[1] != t[1]:
            return f"MISMATCH: dtype/shape ember {e[:2]} / torch {t[:2]}"
        a, b = e[2], t[2]
        if np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
            return "identical"
        u = _ulps(a, b)
        if "sample" in key and u <= 2:
            return f"close: {u:.0f} ulp"
        rtol, atol = TOL.get(t[0], TOL[dt])  # the result's dtype decides
        if "grad" in key or key in ("entropy", "perplexity", "log_prob", "cdf", "icdf"):
            rtol, atol = rtol * 20, atol * 20
        if a.dtype.kind == "f" and np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            return f"close: {u:.1f} ulp"
        return f"MISMATCH: values ember {a.ravel()[:6]} / torch {b.ravel()[:6]} ({u:.3g} ulp)"
    if e == t:
        return "identical"
    if key == "repr" or key == "support":
        return f"MISMATCH: {e!r} / {t!r}"
    return f"MISMATCH: ember {e!r} / torch {t!r}"


def probe_warned(lib, name, dt, value):
    """``probe``, with the warnings it raised (category and text, in order)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = probe(lib, name, dt, value)
    out["warnings"] = [(w.category.__name__, str(w.message).replace("torch.", "ember."))
                       for w in caught]
    return out


def sweep(name, dt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = torch_value(name, dt)
    te = probe_warned(ember, name, dt, value)
    tt = probe_warned(torch, name, dt, value)
    return {k: compare(k, te.get(k, "absent"), tt[k], dt) for k in tt}


# Differences left on purpose ((case substring, probe) -> why); "close" results are fine.
KNOWN = {
    # PyTorch's Wishart.rsample writes its redraws into the sample and its mask in place,
    # so backward raises there ("modified by an inplace operation"); ember's draws are
    # PyTorch's and back-propagate.
    ("Wishart", "rsample-grad"): "PyTorch cannot differentiate it",
    # probs next to the 0.499 cut, where the icdf divides two cancelling float32 numbers:
    # ember's division gradient rounds -g * a / (b * b), PyTorch's -g * ((a / b) / b)
    ("edge-ContinuousBernoulli", "rsample-grad"): "rounding of the division's gradient",
}


@pytest.mark.parametrize("name,dt", CASES)
def test_distribution_probes_match(name, dt):
    res = sweep(name, dt)
    bad = {k: v for k, v in res.items() if v.startswith("MISMATCH")
           and not any(s in name and k == p for s, p in KNOWN)}
    assert not bad, "\n".join(f"{k}: {v}" for k, v in bad.items())


# -- kl_divergence over every pair ---------------------------------------------------------

def _kl_family(S, k):
    """One distribution per class (batch shape (2,)); ``k`` = 0 or 1 picks one of two
    parameter sets so that ``p`` and ``q`` differ."""
    D, f = S.D, 1.0 + 0.4 * k
    P = S.P
    return {
        "Bernoulli": lambda: D.Bernoulli(probs=P([0.3 * f, 0.6])),
        "Beta": lambda: D.Beta(P([0.5 * f, 2.0]), P([1.5, 0.7 * f])),
        "Binomial": lambda: D.Binomial(5, probs=P([0.3 * f, 0.6])),
        "Categorical": lambda: D.Categorical(probs=P([[0.2, 0.3 * f, 0.5], [0.6, 0.3, 0.1]])),
        "Cauchy": lambda: D.Cauchy(P([0.0, f]), P([1.0, 0.5 * f])),
        "Chi2": lambda: D.Chi2(P([3.0 * f, 5.0])),
        "ContinuousBernoulli": lambda: D.ContinuousBernoulli(probs=P([0.2 * f, 0.7])),
        "Dirichlet": lambda: D.Dirichlet(P([[0.5, 1.0 * f, 2.0], [3.0, 1.0, 0.3 * f]])),
        "Exponential": lambda: D.Exponential(P([0.5 * f, 2.0])),
        "FisherSnedecor": lambda: D.FisherSnedecor(P([3.0 * f, 5.0]), P([4.0, 7.0])),
        "Gamma": lambda: D.Gamma(P([0.4 * f, 5.0]), P([1.0, 2.0 * f])),
        "Geometric": lambda: D.Geometric(probs=P([0.2 * f, 0.6])),
        "Gumbel": lambda: D.Gumbel(P([0.0, f]), P([1.0, 2.0 * f])),
        "HalfCauchy": lambda: D.HalfCauchy(P([1.0 * f, 2.0])),
        "HalfNormal": lambda: D.HalfNormal(P([1.0 * f, 0.5])),
        "Independent": lambda: D.Independent(D.Normal(P([[0.0, f, 2.0], [1.0, 0.0, 0.0]]),
                                                      P([1.0, 2.0 * f, 0.5])), 1),
        "InverseGamma": lambda: D.InverseGamma(P([2.5 * f, 4.0]), P([1.0, 2.0])),
        "Kumaraswamy": lambda: D.Kumaraswamy(P([2.0 * f, 0.8]), P([3.0, 1.5])),
        "Laplace": lambda: D.Laplace(P([0.0, f]), P([1.0 * f, 0.5])),
        "LogNormal": lambda: D.LogNormal(P([0.0, 0.5 * f]), P([1.0, 0.3])),
        "LowRankMultivariateNormal": lambda: D.LowRankMultivariateNormal(
            P([[0.0, f, -1.0], [1.0, 0.0, 0.0]]), P([[1.0], [0.5 * f], [-0.3]]),
            P([1.0, 2.0, 0.5 * f])),
        "MultivariateNormal": lambda: D.MultivariateNormal(
            P([[0.0, f, -1.0], [1.0, 0.0, 0.0]]), scale_tril=P(_tril(3, 7 + k, (2,)))),
        "NegativeBinomial": lambda: D.NegativeBinomial(P([3.0, 10.0]), probs=P([0.3 * f, 0.6])),
        "Normal": lambda: D.Normal(P([0.0, f]), P([1.0, 2.0 * f])),
        "OneHotCategorical": lambda: D.OneHotCategorical(
            probs=P([[0.2, 0.3 * f, 0.5], [0.6, 0.3, 0.1]])),
        "Pareto": lambda: D.Pareto(P([1.0 * f, 2.0]), P([3.0, 2.5 * f])),
        "Poisson": lambda: D.Poisson(P([0.5 * f, 4.0])),
        "StudentT": lambda: D.StudentT(P([3.0 * f, 5.0])),
        "TransformedDistribution": lambda: D.TransformedDistribution(
            D.Normal(P([0.0, f]), P([1.0, 0.5])), [D.transforms.ExpTransform()]),
        "Uniform": lambda: D.Uniform(P([0.0, -1.0 * f]), P([1.0 * f, 2.5])),
        "VonMises": lambda: D.VonMises(P([0.0, f]), P([0.5, 4.0])),
        "Weibull": lambda: D.Weibull(P([1.0 * f, 2.0]), P([0.5, 3.0])),
    }


KL_NAMES = list(_kl_family(Side(torch, F64), 0))


def kl_probe(lib, p_name, dt):
    """``kl_divergence(p, q)`` for ``p`` of class ``p_name`` against every class ``q``,
    and the gradient of its sum with respect to both distributions' parameters."""
    out = {}
    for q_name in KL_NAMES:
        S = Side(lib, dt)
        p = _kl_family(S, 0)[p_name]()
        q = _kl_family(S, 1)[q_name]()

        kl = attempt(lambda: lib.distributions.kl_divergence(p, q))
        out[q_name] = kl if isinstance(kl, Exc) else _np(kl)
        if not isinstance(kl, Exc):
            out[q_name + "-grad_fn"] = type(kl.grad_fn).__name__
            def grads():
                kl.sum().backward()
                return [_np(t.grad) for t in S.params]
            out[q_name + "-grad"] = attempt(grads)
    return out


@pytest.mark.parametrize("p_name", KL_NAMES)
@pytest.mark.parametrize("dt", [F32, F64])
def test_kl_divergence_every_pair(p_name, dt):
    te, tt = kl_probe(ember, p_name, dt), kl_probe(torch, p_name, dt)
    res = {k: compare("kl-grad" if k.endswith("grad") else "kl", te.get(k, "absent"), tt[k], dt)
           for k in tt}
    bad = {k: v for k, v in res.items() if v.startswith("MISMATCH")}
    assert not bad, "\n".join(f"{p_name} || {k}: {v}" for k, v in bad.items())


# -- constructor and argument errors ------------------------------------------------------

BAD = {
    "Normal-negative-scale": lambda S: S.D.Normal(S.C(0.0), S.C(-1.0)),
    "Normal-nan-loc": lambda S: S.D.Normal(S.C([0.0, float("nan")]), S.C(1.0)),
    "Normal-shapes": lambda S: S.D.Normal(S.C([0.0, 1.0]), S.C([1.0, 2.0, 3.0])),
    "Bernoulli-none": lambda S: S.D.Bernoulli(),
    "Bernoulli-both": lambda S: S.D.Bernoulli(probs=S.C(0.5), logits=S.C(0.0)),
    "Bernoulli-probs>1": lambda S: S.D.Bernoulli(probs=S.C([0.5, 1.5])),
    "Categorical-scalar": lambda S: S.D.Categorical(probs=S.C(0.5)),
    "Categorical-negative": lambda S: S.D.Categorical(probs=S.C([-0.1, 1.1])),
    "Categorical-none": lambda S: S.D.Categorical(),
    "Uniform-reversed": lambda S: S.D.Uniform(S.C(1.0), S.C(0.0)),
    "Beta-negative": lambda S: S.D.Beta(S.C(-1.0), S.C(1.0)),
    "Dirichlet-scalar": lambda S: S.D.Dirichlet(S.C(1.0)),
    "Dirichlet-zero": lambda S: S.D.Dirichlet(S.C([1.0, 0.0])),
    "Binomial-negative-count": lambda S: S.D.Binomial(S.C(-1.0), probs=S.C(0.5)),
    "Binomial-both": lambda S: S.D.Binomial(5, probs=S.C(0.5), logits=S.C(0.0)),
    "Multinomial-probs": lambda S: S.D.Multinomial(3, probs=S.C([0.5, -0.5])),
    "Poisson-negative": lambda S: S.D.Poisson(S.C(-1.0)),
    "Gamma-zero": lambda S: S.D.Gamma(S.C(0.0), S.C(1.0)),
    "Exponential-negative": lambda S: S.D.Exponential(S.C([1.0, -1.0])),
    "StudentT-df": lambda S: S.D.StudentT(S.C(0.0)),
    "VonMises-kappa": lambda S: S.D.VonMises(S.C(0.0), S.C(-1.0)),
    "Geometric-probs0": lambda S: S.D.Geometric(probs=S.C(0.0)),
    "Pareto-alpha": lambda S: S.D.Pareto(S.C(1.0), S.C(-2.0)),
    "RelaxedBernoulli-probs": lambda S: S.D.RelaxedBernoulli(S.C(0.5), probs=S.C(1.5)),
    "LKJCholesky-dim": lambda S: S.D.LKJCholesky(1, S.C(1.0)),
    "LKJCholesky-concentration": lambda S: S.D.LKJCholesky(3, S.C(-1.0)),
    "MVN-none": lambda S: S.D.MultivariateNormal(S.C([0.0, 1.0])),
    "MVN-two": lambda S: S.D.MultivariateNormal(S.C([0.0, 1.0]), covariance_matrix=S.C(_spd(2, 1)),
                                               scale_tril=S.C(_tril(2, 1))),
    "MVN-scalar-loc": lambda S: S.D.MultivariateNormal(S.C(0.0), covariance_matrix=S.C(_spd(2, 1))),
    "MVN-1d-cov": lambda S: S.D.MultivariateNormal(S.C([0.0, 1.0]),
                                                  covariance_matrix=S.C([1.0, 1.0])),
    "MVN-not-pd": lambda S: S.D.MultivariateNormal(S.C([0.0, 1.0]),
                                                  covariance_matrix=S.C([[1.0, 2.0], [2.0, 1.0]])),
    "MVN-shapes": lambda S: S.D.MultivariateNormal(S.C([0.0, 1.0, 2.0]),
                                                  covariance_matrix=S.C(_spd(2, 1))).rsample(),
    "LowRankMVN-shapes": lambda S: S.D.LowRankMultivariateNormal(
        S.C([0.0, 1.0]), S.C([[1.0], [0.5], [0.2]]), S.C([1.0, 1.0])),
    "LowRankMVN-scalar-loc": lambda S: S.D.LowRankMultivariateNormal(
        S.C(0.0), S.C([[1.0]]), S.C([1.0])),
    "Wishart-df": lambda S: S.D.Wishart(S.C(0.5), covariance_matrix=S.C(_spd(3, 1))),
    "Wishart-none": lambda S: S.D.Wishart(S.C(4.0)),
    "Independent-ndims": lambda S: S.D.Independent(S.D.Normal(S.C([0.0, 1.0]), S.C(1.0)), 2),
    "Mixture-not-categorical": lambda S: S.D.MixtureSameFamily(
        S.D.Normal(S.C([0.0, 1.0]), S.C(1.0)), S.D.Normal(S.C([0.0, 1.0]), S.C(1.0))),
    "Mixture-shapes": lambda S: S.D.MixtureSameFamily(
        S.D.Categorical(logits=S.C([0.0, 1.0, 2.0])), S.D.Normal(S.C([0.0, 1.0]), S.C(1.0))),
    "Mixture-not-distribution": lambda S: S.D.MixtureSameFamily(
        S.D.Categorical(logits=S.C([0.0, 1.0])), "normal"),
    "TD-bad-transforms": lambda S: S.D.TransformedDistribution(S.D.Normal(S.C(0.0), S.C(1.0)),
                                                               "exp"),
    "log_prob-not-tensor": lambda S: S.D.Normal(S.C(0.0), S.C(1.0)).log_prob(0.5),
    "log_prob-shape": lambda S: S.D.Normal(S.C([0.0, 1.0]), S.C(1.0)).log_prob(
        S.C([1.0, 2.0, 3.0])),
    "log_prob-event-shape": lambda S: S.D.MultivariateNormal(
        S.C([0.0, 1.0]), scale_tril=S.C(_tril(2, 1))).log_prob(S.C([1.0, 2.0, 3.0])),
    "Categorical-log_prob-outside": lambda S: S.D.Categorical(logits=S.C([0.0, 1.0])).log_prob(
        S.C(2, "int64")),
    "cdf-outside": lambda S: S.D.Exponential(S.C(1.0)).cdf(S.C(-1.0)),
    "icdf-Uniform-outside": lambda S: S.D.Uniform(S.C(0.0), S.C(1.0)).icdf(S.C(1.5)),
    "sample-int-shape": lambda S: S.D.Normal(S.C(0.0), S.C(1.0)).sample(3),
    "rsample-Bernoulli": lambda S: S.D.Bernoulli(probs=S.C(0.5)).rsample(),
    "enumerate-Normal": lambda S: S.D.Normal(S.C(0.0), S.C(1.0)).enumerate_support(),
    "expand-bad": lambda S: S.D.Normal(S.C([0.0, 1.0]), S.C(1.0)).expand((3,)),
    "entropy-Mixture": lambda S: S.D.MixtureSameFamily(
        S.D.Categorical(logits=S.C([0.0, 1.0])), S.D.Normal(S.C([0.0, 1.0]), S.C(1.0))).entropy(),
    "cdf-Categorical": lambda S: S.D.Categorical(logits=S.C([0.0, 1.0])).cdf(S.C(1.0)),
    "icdf-Gamma": lambda S: S.D.Gamma(S.C(1.0), S.C(1.0)).icdf(S.C(0.5)),
}


def bad_probe(lib, name):
    r = attempt(lambda: BAD[name](Side(lib, F32)))
    return r if isinstance(r, Exc) else ("no error", type(r).__name__)


@pytest.mark.parametrize("name", list(BAD))
def test_errors_match(name):
    e, t = bad_probe(ember, name), bad_probe(torch, name)
    if not isinstance(t, Exc):
        assert e == t, f"ember raised {e!r} where PyTorch gave {t}"
        return
    assert isinstance(e, Exc), f"ember gave {e} where PyTorch raised {t!r}"
    assert e.type == t.type, f"ember raised {e!r}, PyTorch {t!r}"
    assert _message(e.msg) == _message(t.msg), (e.msg, t.msg)


# -- reinforcement-learning idioms ----------------------------------------------------------

def _policy_step(lib, dt):
    """A discrete policy's action and log-probability, and a squashed Gaussian policy's
    action with its tanh-corrected log-probability, with the gradients of a REINFORCE-style
    loss; three steps from one seed."""
    D = lib.distributions
    rng = np.random.default_rng(4)
    logits = lib.from_numpy(rng.standard_normal((4, 5)).astype(dt)).requires_grad_(True)
    mu = lib.from_numpy(rng.standard_normal((4, 2)).astype(dt)).requires_grad_(True)
    log_std = lib.from_numpy((0.3 * rng.standard_normal((4, 2))).astype(dt)).requires_grad_(True)
    lib.manual_seed(2024)
    out = []
    loss = 0
    for _ in range(3):
        pi = D.Categorical(logits=logits)
        action = pi.sample()
        logp = pi.log_prob(action)
        gauss = D.Normal(mu, log_std.exp())
        u = gauss.rsample()
        a = lib.tanh(u)
        logp_c = (gauss.log_prob(u) - lib.log(1 - a.pow(2) + 1e-6)).sum(-1)
        loss = loss - (logp * 0.5).sum() - (logp_c - a.sum(-1)).mean() - pi.entropy().mean()
        out += [_np(action), _np(logp), _np(u), _np(a), _np(logp_c)]
    loss.backward()
    return out + [_np(logits.grad), _np(mu.grad), _np(log_std.grad), _np(lib.rand(2))]


@pytest.mark.parametrize("dt", [F32, F64])
def test_rl_idioms(dt):
    pairs = zip(_policy_step(ember, dt), _policy_step(torch, dt))
    res = [compare("rl", e, t, dt) for e, t in pairs]
    assert not [r for r in res if r.startswith("MISMATCH")], res
    assert all(r == "identical" for r in res[:3] + res[-1:]), res  # draws and log-probs exactly


# -- many draws: every sampler branch, and the generator left where PyTorch leaves it -------

_LG = np.random.default_rng(0).standard_normal((3, 300)).astype(np.float32)
MANY = {
    "Categorical-300": lambda L: L.distributions.Categorical(
        logits=L.from_numpy(_LG)).sample((50,)),
    "Categorical-1000": lambda L: L.distributions.Categorical(
        probs=L.tensor([0.1, 0.2, 0.3, 0.4])).sample((1000,)),
    "Categorical-f64": lambda L: L.distributions.Categorical(
        logits=L.from_numpy(_LG.astype(np.float64))).sample((5,)),
    "Multinomial": lambda L: L.distributions.Multinomial(
        100, logits=L.from_numpy(_LG[:, :20])).sample((4,)),
    "OneHotCategorical": lambda L: L.distributions.OneHotCategorical(
        logits=L.from_numpy(_LG[:, :30])).sample((10,)),
    "Gamma": lambda L: L.distributions.Gamma(L.tensor([0.05, 0.5, 1.0, 30.0]), 1.0).sample((500,)),
    "Dirichlet": lambda L: L.distributions.Dirichlet(L.tensor([0.05, 0.5, 3.0])).sample((200,)),
    "Poisson": lambda L: L.distributions.Poisson(
        L.tensor([0.0, 0.3, 9.9, 10.0, 1e4])).sample((300,)),
    "Binomial": lambda L: L.distributions.Binomial(
        L.tensor([0.0, 1.0, 20.0, 1000.0]), L.tensor([0.5, 0.0, 1.0, 0.01])).sample((300,)),
    "Bernoulli": lambda L: L.distributions.Bernoulli(L.full((1000,), 0.3)).sample(),
    "Bernoulli-f64": lambda L: L.distributions.Bernoulli(
        L.full((1000,), 0.3, dtype=L.float64)).sample(),
    "NegativeBinomial": lambda L: L.distributions.NegativeBinomial(
        L.tensor([5.0, 50.0]), L.tensor([0.3, 0.9])).sample((200,)),
    "VonMises": lambda L: L.distributions.VonMises(
        L.tensor([0.0, 1.0]), L.tensor([1e-3, 100.0])).sample((200,)),
    "StudentT": lambda L: L.distributions.StudentT(L.tensor([0.5, 100.0])).sample((200,)),
    "Geometric": lambda L: L.distributions.Geometric(L.tensor([0.01, 0.99])).sample((200,)),
    "ContinuousBernoulli": lambda L: L.distributions.ContinuousBernoulli(
        L.tensor([0.499, 0.5, 0.51])).sample((100,)),
    "Kumaraswamy": lambda L: L.distributions.Kumaraswamy(
        L.tensor([0.3, 5.0]), L.tensor([0.5, 2.0])).sample((100,)),
    "MixtureSameFamily": lambda L: L.distributions.MixtureSameFamily(
        L.distributions.Categorical(logits=L.from_numpy(_LG[:, :4])),
        L.distributions.Normal(L.zeros(3, 4), 1.0)).sample((50,)),
    "Chi2-f64": lambda L: L.distributions.Chi2(
        L.tensor([0.1, 1.0, 50.0], dtype=L.float64)).sample((100,)),
    "Beta-f64": lambda L: L.distributions.Beta(L.tensor([0.1, 1.0, 50.0], dtype=L.float64),
                                               L.tensor([0.1, 1.0, 50.0],
                                                        dtype=L.float64)).sample((100,)),
    "LKJCholesky-f64": lambda L: L.distributions.LKJCholesky(
        5, L.tensor(0.3, dtype=L.float64)).sample((20,)),
    "RelaxedOneHotCategorical-f64": lambda L: L.distributions.RelaxedOneHotCategorical(
        L.tensor(0.1, dtype=L.float64),
        logits=L.from_numpy(_LG[:, :10].astype(np.float64))).sample((20,)),
}


@pytest.mark.parametrize("name", list(MANY))
def test_many_draws_match(name):
    def run(lib):
        lib.manual_seed(7)
        return _np(MANY[name](lib)), _np(lib.rand(1, dtype=lib.float64))
    (e, e_next), (t, t_next) = run(ember), run(torch)
    assert compare("draws", e_next, t_next, F64) == "identical"  # the generator's position
    res = compare("sample", e, t, t[0])
    # draws exactly, or within 2 ulps where a vector log/exp/sqrt rounds differently; the
    # LKJ factor's diagonal sqrt(1 - |row|^2) magnifies such differences by cancelling
    limit = 1e9 if name.startswith("LKJ") else 2
    assert res == "identical" or (res.startswith("close") and "ulp" in res
                                  and float(res.split()[1]) <= limit), res


@pytest.mark.parametrize("p_name", ["Normal", "Categorical", "MultivariateNormal",
                                    "LowRankMultivariateNormal", "Independent", "Bernoulli",
                                    "Gamma", "Beta", "Dirichlet", "Binomial", "Uniform",
                                    "TransformedDistribution"])
def test_kl_divergence_broadcasts(p_name):
    """``kl_divergence`` of a batch (2,) distribution against a batch (3, 2) one."""
    def run(lib, expand_p=False):
        S = Side(lib, F64)
        p = _kl_family(S, 0)[p_name]()
        p = p.expand((3, 2)) if expand_p else p
        q = _kl_family(S, 1)[p_name]().expand((3, 2))
        kl = lib.distributions.kl_divergence(p, q)
        kl.sum().backward()
        return [_np(kl)] + [_np(t.grad) for t in S.params]
    ref = attempt(lambda: run(torch))
    if isinstance(ref, Exc) and p_name == "Bernoulli":
        # NOTE: PyTorch's Bernoulli pair masks with p's unbroadcast shape and raises an
        # IndexError; ember broadcasts, giving what PyTorch gives for p expanded first
        ref = run(torch, expand_p=True)
    res = compare("kl-grad", attempt(lambda: run(ember)), ref, F64)
    assert not res.startswith("MISMATCH"), res
