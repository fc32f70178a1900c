"""``ember.distributions``: PyTorch's ``torch.distributions`` on ember tensors.

Parameterisable probability distributions with sampling (``sample``, and ``rsample`` with
reparameterisation gradients), ``log_prob``, ``entropy``, moments, ``cdf``/``icdf`` where
PyTorch has them, argument validation with PyTorch's messages, constraints, transforms and
``kl_divergence``.

Sampling reproduces PyTorch's CPU numbers for the same seed wherever PyTorch's sampler is
a transform of its basic random streams (Normal, Uniform, Bernoulli, Categorical,
OneHotCategorical, Multinomial, Exponential, Laplace, Cauchy, Geometric, LogNormal,
MultivariateNormal up to the rounding of a matrix product).  Gamma, Chi2, Beta, Dirichlet,
StudentT, Poisson and Binomial use PyTorch's own C++ samplers there; ember draws the same
distributions with textbook algorithms (see ``_sampling``), repeatable with
``manual_seed`` but not PyTorch's numbers.

>>> import ember
>>> from ember.distributions import Normal, kl_divergence
>>> p, q = Normal(0.0, 1.0), Normal(1.0, 2.0)
>>> kl_divergence(p, q)
tensor(0.4431)
"""
from __future__ import annotations

from .._unsupported import module_getattr
from . import constraints, transforms
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .chi2 import Chi2
from .dirichlet import Dirichlet
from .distribution import Distribution, ExponentialFamily
from .exponential import Exponential
from .geometric import Geometric
from .gamma import Gamma
from .half_cauchy import HalfCauchy
from .half_normal import HalfNormal
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .poisson import Poisson
from .studentT import StudentT
from .transformed_distribution import TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, ComposeTransform,
                         CumulativeDistributionTransform, ExpTransform, IndependentTransform,
                         PowerTransform, ReshapeTransform, SigmoidTransform, SoftmaxTransform,
                         SoftplusTransform, TanhTransform, Transform, identity_transform)
from .uniform import Uniform

__all__ = [
    "AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical",
    "Cauchy", "Chi2", "ComposeTransform", "CumulativeDistributionTransform", "Dirichlet",
    "Distribution", "ExpTransform", "Exponential", "ExponentialFamily", "Gamma",
    "Geometric", "HalfCauchy", "HalfNormal", "Independent", "IndependentTransform",
    "Laplace", "LogNormal",
    "MixtureSameFamily", "Multinomial", "MultivariateNormal", "Normal", "OneHotCategorical",
    "OneHotCategoricalStraightThrough", "Poisson", "PowerTransform", "ReshapeTransform",
    "SigmoidTransform", "SoftmaxTransform", "SoftplusTransform", "StudentT",
    "TanhTransform", "Transform", "TransformedDistribution", "Uniform", "constraints",
    "identity_transform", "kl_divergence", "register_kl", "transforms",
]

# the distributions ember does not have yet (Gumbel, Wishart, ...) are named in the error:
# "torch.distributions.Wishart is not supported by ember"
__getattr__ = module_getattr("torch.distributions")
