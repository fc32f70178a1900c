"""``Distribution``, the base class, and ``ExponentialFamily``.

Shapes follow PyTorch: a distribution has a ``batch_shape`` (independent, possibly
differently parameterised copies) and an ``event_shape`` (the shape of one draw); a sample
of ``sample_shape`` has shape ``sample_shape + batch_shape + event_shape`` and ``log_prob``
returns one number per ``sample_shape + batch_shape`` entry.
"""
from __future__ import annotations

from ember._warnings import warn as _warn

import ember
from ember._size import Size
from ember._tensor import Tensor

from . import constraints
from .utils import lazy_property

__all__ = ["Distribution", "ExponentialFamily"]


class Distribution:
    """The abstract base of every probability distribution.

    Args:
        batch_shape: the shape over which parameters are batched.
        event_shape: the shape of a single draw.
        validate_args: check the parameters now (and values given to ``log_prob``, ``cdf``
            later) against their constraints; ``None`` takes the class-wide default, which
            is on unless Python runs with ``-O`` (as PyTorch).
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        """Switch argument validation on or off for every distribution made afterwards."""
        if value not in [True, False]:
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()
        super().__init__()

    def _check_parameters(self):
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:
            arg_constraints = {}
            _warn(f"{self.__class__} does not define `arg_constraints`. Please set "
                  "`arg_constraints = {}` or initialize the distribution with "
                  "`validate_args=False` to turn off validation.", stacklevel=3)
        for name, constraint in arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            # a parameter derived on demand (``logits`` when ``probs`` was given) is not
            # computed just to be checked
            if name not in self.__dict__ and isinstance(getattr(type(self), name, None),
                                                        lazy_property):
                continue
            value = getattr(self, name)
            if not bool(constraint.check(value).all()):
                raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape "
                                 f"{tuple(value.shape)}) of distribution {self!r} to satisfy "
                                 f"the constraint {constraint!r}, but found invalid values:\n"
                                 f"{value}")

    def expand(self, batch_shape, _instance=None):
        """A distribution with its batch dimensions expanded to ``batch_shape`` (parameters
        are expanded views; nothing is re-validated)."""
        raise NotImplementedError

    @property
    def batch_shape(self):
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self):
        """The shape of a single draw."""
        return self._event_shape

    @property
    def arg_constraints(self):
        """``{parameter name: Constraint}`` for the tensor parameters."""
        raise NotImplementedError

    @property
    def support(self):
        """The ``Constraint`` that every sample satisfies."""
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=()):
        """A draw of shape ``sample_shape + batch_shape + event_shape``, outside the graph."""
        with ember.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        """A reparameterised draw: gradients flow back to the parameters."""
        raise NotImplementedError

    def sample_n(self, n):
        _warn("`sample_n(n)` will be deprecated. Use `sample((n,))` instead.",
              FutureWarning, stacklevel=2)
        return self.sample(Size((n,)))

    def log_prob(self, value):
        """The log density (or log mass) at ``value``."""
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        """Every value of a discrete distribution along dimension 0, of shape
        ``(cardinality,) + batch_shape + event_shape`` (batch dimensions of size 1 with
        ``expand=False``)."""
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return ember.exp(self.entropy())

    def _extended_shape(self, sample_shape=()):
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def _validate_sample(self, value):
        """Check that ``value`` is a tensor, broadcasts with the distribution's shape and
        lies in its support (PyTorch's ``ValueError`` messages)."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        start = value.dim() - len(self._event_shape)
        if tuple(value.shape[start:]) != tuple(self._event_shape):
            raise ValueError("The right-most size of value must match event_shape: "
                             f"{value.size()} vs {self._event_shape}.")
        actual = value.size()
        expected = Size(tuple(self._batch_shape) + tuple(self._event_shape))
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError("Value is not broadcastable with batch_shape+event_shape: "
                                 f"{actual} vs {expected}.")
        try:
            support = self.support
        except NotImplementedError:
            _warn(f"{self.__class__} does not define `support` to enable sample "
                  "validation. Please initialize the distribution with "
                  "`validate_args=False` to turn off validation.", stacklevel=3)
            return
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape "
                             f"{tuple(value.shape)}) to be within the support ({support!r}) "
                             f"of the distribution {self!r}, but found invalid values:\n"
                             f"{value}")

    def _get_checked_instance(self, cls, _instance=None):
        """A blank instance for ``expand`` (a subclass with its own ``__init__`` must
        write its own ``expand``)."""
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {self.__class__.__name__} of {cls.__name__} "
                                      "that defines a custom __init__ method must also define "
                                      "a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def _finish_expand(self, new, batch_shape, params=(), event_shape=()):
        """The common end of ``expand``: ``new`` (from ``_get_checked_instance``) gets this
        distribution's attributes named in ``params`` (tensors or inner distributions)
        expanded to ``batch_shape``, that batch shape and ``event_shape``, and this
        distribution's ``validate_args``; nothing is re-validated."""
        batch_shape = Size(batch_shape)
        for name in params:
            setattr(new, name, getattr(self, name).expand(batch_shape))
        Distribution.__init__(new, batch_shape, event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _support_along_dim0(self, values, expand):
        """``enumerate_support`` of a scalar-event distribution from ``values``, its support
        as a 1-d tensor: laid along dimension 0, the batch dimensions of size 1 after it
        (or, with ``expand``, of the batch shape)."""
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values

    def __repr__(self):
        # NOTE: as PyTorch: a one-element parameter prints its value (a 0-d tensor formats as
        # a Python number), a bigger one its size; derived parameters never computed are
        # left out.
        parts = []
        for name in self.arg_constraints:
            if name in self.__dict__:
                v = self.__dict__[name]
                parts.append(f"{name}: {v if v.numel() == 1 else v.size()}")
        return f"{type(self).__name__}({', '.join(parts)})"


class ExponentialFamily(Distribution):
    """Distributions whose density is ``exp(<t(x), theta> - F(theta) + k(x))``.

    Subclasses give ``_natural_params`` (theta), ``_log_normalizer`` (F) and
    ``_mean_carrier_measure`` (E[k(x)]); the entropy then follows from the gradient of F
    (a Bregman divergence), computed with autograd.
    """

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        result = -self._mean_carrier_measure
        thetas = [p.detach().requires_grad_() for p in self._natural_params]
        lognorm = self._log_normalizer(*thetas)
        grads = ember.autograd.grad(lognorm.sum(), thetas, create_graph=True)
        result = result + lognorm
        for theta, g in zip(thetas, grads):
            result = result - (theta * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
