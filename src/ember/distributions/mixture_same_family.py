"""``MixtureSameFamily``: a mixture whose components are one batched distribution."""
from __future__ import annotations

import ember
from ember._size import Size

from . import constraints
from .categorical import Categorical
from .distribution import Distribution

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """MixtureSameFamily(mixture_distribution, component_distribution): pick a component
    with the ``Categorical`` ``mixture_distribution``, then draw from it.  The components
    are the rightmost batch dimension of ``component_distribution``.

    >>> mix = Categorical(ember.ones(5))
    >>> comp = Normal(ember.randn(5), ember.rand(5) + 0.5)
    >>> gmm = MixtureSameFamily(mix, comp)   # a 5-component Gaussian mixture
    """

    arg_constraints = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(" The Mixture distribution needs to be an  instance of "
                             "torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution needs to be an instance of "
                             "torch.distributions.Distribution")
        mdbs = mixture_distribution.batch_shape
        cdbs = component_distribution.batch_shape[:-1]
        for a, b in zip(reversed(mdbs), reversed(cdbs)):
            if a != 1 and b != 1 and a != b:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mdbs}) is not "
                                 f"compatible with `component_distribution.batch_shape`({cdbs})")
        km = mixture_distribution.logits.shape[-1]
        kc = component_distribution.batch_shape[-1]
        if km != kc:
            raise ValueError(f"`mixture_distribution component` ({km}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({kc})")
        self._num_component = km
        event_shape = component_distribution.event_shape
        self._event_ndims = len(event_shape)
        super().__init__(batch_shape=cdbs, event_shape=event_shape,
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        new = self._get_checked_instance(MixtureSameFamily, _instance)
        new._component_distribution = self._component_distribution.expand(
            batch_shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        new._num_component = self._num_component
        new._event_ndims = self._event_ndims
        return self._finish_expand(new, batch_shape,
                                   event_shape=new._component_distribution.event_shape)

    @constraints.dependent_property
    def support(self):
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    def _pad(self, x):
        # a component axis just left of the event dimensions
        return x.unsqueeze(-1 - self._event_ndims)

    def _pad_mixture_dimensions(self, x):
        # the mixture weights shaped to line up with the components' batch and event dims
        ndims = len(self.batch_shape)
        cat_ndims = len(self.mixture_distribution.batch_shape)
        pad = 0 if cat_ndims == 1 else ndims - cat_ndims
        s = tuple(x.shape)
        return x.reshape(s[:-1] + (1,) * pad + s[-1:] + (1,) * self._event_ndims)

    @property
    def mean(self):
        probs = self._pad_mixture_dimensions(self.mixture_distribution.probs)
        return ember.sum(probs * self.component_distribution.mean, dim=-1 - self._event_ndims)

    @property
    def variance(self):
        probs = self._pad_mixture_dimensions(self.mixture_distribution.probs)
        comp = self.component_distribution
        within = ember.sum(probs * comp.variance, dim=-1 - self._event_ndims)
        between = ember.sum(probs * (comp.mean - self._pad(self.mean)).pow(2.0),
                            dim=-1 - self._event_ndims)
        return within + between

    def cdf(self, x):
        cdf_x = self.component_distribution.cdf(self._pad(x))
        return ember.sum(cdf_x * self.mixture_distribution.probs, dim=-1)

    def log_prob(self, x):
        if self._validate_args:
            self._validate_sample(x)
        lp = self.component_distribution.log_prob(self._pad(x))
        log_w = ember.log_softmax(self.mixture_distribution.logits, dim=-1)
        return ember.logsumexp(lp + log_w, dim=-1)

    def sample(self, sample_shape=()):
        # NOTE: as PyTorch, the component indices are drawn first, then a draw from every
        # component, from which the chosen ones are gathered (so the numbers match).
        with ember.no_grad():
            gather_dim = len(sample_shape) + len(self.batch_shape)  # (len first, as PyTorch)
            sample_shape = Size(sample_shape)
            es = tuple(self.event_shape)
            index = self.mixture_distribution.sample(sample_shape)
            comp = self.component_distribution.sample(sample_shape)
            index = index.reshape(tuple(index.shape) + (1,) * (len(es) + 1))
            index = index.repeat((1,) * (index.dim() - len(es) - 1) + (1,) + es)
            return ember.gather(comp, gather_dim, index).squeeze(gather_dim)

    def __repr__(self):
        return (f"MixtureSameFamily(\n  {self.mixture_distribution},\n"
                f"  {self.component_distribution})")
