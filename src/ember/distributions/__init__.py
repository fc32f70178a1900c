"""``ember.distributions``: PyTorch's ``torch.distributions`` on ember tensors.

Parameterisable probability distributions with sampling (``sample``, and ``rsample`` with
reparameterisation gradients), ``log_prob``, ``entropy``, moments, ``cdf``/``icdf`` where
PyTorch has them, argument validation with PyTorch's messages, constraints, transforms and
``kl_divergence``.

Sampling reproduces PyTorch's CPU numbers for the same seed: the distributions PyTorch
builds from its basic random streams make the same calls in the same order (up to the
rounding of a matrix product or a vector ``log``/``exp``), and Gamma, Chi2, Beta, Dirichlet,
StudentT, Poisson and Binomial replay PyTorch's own C++ rejection samplers (``_aten``).

>>> import ember
>>> from ember.distributions import Normal, kl_divergence
>>> p, q = Normal(0.0, 1.0), Normal(1.0, 2.0)
>>> kl_divergence(p, q)
tensor(0.4431)
"""
from __future__ import annotations

from .._unsupported import module_getattr
from . import constraints, transforms
from .constraint_registry import biject_to, transform_to
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .chi2 import Chi2
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Dirichlet
from .distribution import Distribution, ExponentialFamily
from .exponential import Exponential
from .fishersnedecor import FisherSnedecor
from .geometric import Geometric
from .gamma import Gamma
from .generalized_pareto import GeneralizedPareto
from .half_cauchy import HalfCauchy
from .gumbel import Gumbel
from .half_normal import HalfNormal
from .independent import Independent
from .inverse_gamma import InverseGamma
from .kl import kl_divergence, register_kl
from .kumaraswamy import Kumaraswamy
from .lkj_cholesky import LKJCholesky
from .laplace import Laplace
from .log_normal import LogNormal
from .logistic_normal import LogisticNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .pareto import Pareto
from .poisson import Poisson
from .relaxed_bernoulli import RelaxedBernoulli
from .relaxed_categorical import RelaxedOneHotCategorical
from .studentT import StudentT
from .transformed_distribution import TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, CatTransform, ComposeTransform,
                         CorrCholeskyTransform, CumulativeDistributionTransform, ExpTransform,
                         IndependentTransform, LowerCholeskyTransform,
                         PositiveDefiniteTransform, PowerTransform, ReshapeTransform,
                         SigmoidTransform, SoftmaxTransform, SoftplusTransform,
                         StackTransform, StickBreakingTransform, TanhTransform, Transform,
                         identity_transform)
from .uniform import Uniform
from .von_mises import VonMises
from .weibull import Weibull
from .wishart import Wishart

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical",
    "Cauchy", "Chi2", "ComposeTransform", "CumulativeDistributionTransform", "Dirichlet",
    "Distribution", "ExpTransform", "Exponential", "ExponentialFamily", "Gamma",
    "Geometric", "HalfCauchy", "HalfNormal", "Independent", "IndependentTransform",
    "Laplace", "LogNormal",
    # added with the second batch of distributions
    "ContinuousBernoulli", "FisherSnedecor", "GeneralizedPareto", "Gumbel", "InverseGamma",
    "Kumaraswamy", "LKJCholesky", "LogisticNormal", "LowRankMultivariateNormal", "NegativeBinomial",
    "Pareto", "RelaxedBernoulli", "RelaxedOneHotCategorical", "StickBreakingTransform",
    "VonMises", "Weibull", "Wishart",
    "MixtureSameFamily", "Multinomial", "MultivariateNormal", "Normal", "OneHotCategorical",
    "OneHotCategoricalStraightThrough", "Poisson", "PowerTransform", "ReshapeTransform",
    "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StudentT",
    "TanhTransform", "Transform", "TransformedDistribution", "Uniform", "constraints",
    "identity_transform", "kl_divergence", "register_kl", "transforms",
    # the constraint registry and the matrix/functor transforms
    "CatTransform", "CorrCholeskyTransform", "LowerCholeskyTransform",
    "PositiveDefiniteTransform", "StackTransform", "biject_to", "transform_to",
]

# what ember does not have yet is named in the error:
# "torch.distributions.<name> is not supported by ember"
__getattr__ = module_getattr("torch.distributions")
