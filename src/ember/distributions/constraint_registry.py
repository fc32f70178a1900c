"""From constraints to transforms: ``biject_to`` and ``transform_to``.

Both are registries keyed by constraint class.  ``biject_to(c)`` gives a bijective
transform from unconstrained real space onto ``c`` (so that a density can be moved through
it with ``log_abs_det_jacobian``); ``transform_to(c)`` gives any transform onto ``c``, which
may be cheaper or better conditioned but need not be one-to-one (``SoftmaxTransform`` for a
simplex, ``LowerCholeskyTransform`` for lower Cholesky factors).

>>> import ember
>>> from ember.distributions import biject_to, constraints
>>> t = biject_to(constraints.positive)
>>> t(ember.zeros(2))
tensor([1., 1.])

A new constraint class is added with ``register``, as a decorator or directly::

    @transform_to.register(MyConstraint)
    def _(constraint):
        return MyTransform(constraint.param)

NOTE: as in PyTorch, lookups go by the constraint's class, so every instance of a class
shares a factory: ``positive`` is a ``greater_than(0.0)`` and maps to
``ComposeTransform([ExpTransform(), AffineTransform(0.0, 1)])``, not to a bare
``ExpTransform()``, and ``nonnegative`` does the same with ``greater_than_eq``.
"""
from __future__ import annotations

from . import constraints, transforms
from .utils import _NUMBER

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """A map from ``Constraint`` classes to factories ``constraint -> Transform``."""

    def __init__(self):
        self._registry = {}
        super().__init__()

    def register(self, constraint, factory=None):
        """Map ``constraint`` (a ``Constraint`` subclass, or an instance standing for its
        class) to ``factory``; without ``factory``, return a decorator that does so."""
        if factory is None:
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not (isinstance(constraint, type) and issubclass(constraint, constraints.Constraint)):
            raise TypeError("Expected constraint to be either a Constraint subclass or "
                            f"instance, but got {constraint}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        """The transform the factory registered for ``type(constraint)`` builds."""
        factory = self._registry.get(type(constraint))
        if factory is None:
            raise NotImplementedError(
                f"Cannot transform {type(constraint).__name__} constraints")
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _both(*keys):
    """Register one factory for ``keys`` in both registries."""
    def deco(factory):
        for key in keys:
            biject_to.register(key, factory)
            transform_to.register(key, factory)
        return factory
    return deco


@_both(constraints.real)
def _to_real(constraint):
    return transforms.identity_transform


@biject_to.register(constraints.independent)
def _biject_to_independent(constraint):
    return transforms.IndependentTransform(biject_to(constraint.base_constraint),
                                           constraint.reinterpreted_batch_ndims)


@transform_to.register(constraints.independent)
def _transform_to_independent(constraint):
    return transforms.IndependentTransform(transform_to(constraint.base_constraint),
                                           constraint.reinterpreted_batch_ndims)


# ``positive`` and ``nonnegative`` are instances of these two classes, so this one factory
# serves them too (see the module's note)
@_both(constraints.greater_than, constraints.greater_than_eq)
def _to_greater_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.lower_bound, 1)])


@_both(constraints.less_than)
def _to_less_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.upper_bound, -1)])


@_both(constraints.interval, constraints.half_open_interval)
def _to_interval(constraint):
    lo, hi = constraint.lower_bound, constraint.upper_bound
    if isinstance(lo, _NUMBER) and lo == 0 and isinstance(hi, _NUMBER) and hi == 1:
        return transforms.SigmoidTransform()
    return transforms.ComposeTransform([transforms.SigmoidTransform(),
                                        transforms.AffineTransform(lo, hi - lo)])


@biject_to.register(constraints.simplex)
def _biject_to_simplex(constraint):
    return transforms.StickBreakingTransform()


@transform_to.register(constraints.simplex)
def _transform_to_simplex(constraint):
    return transforms.SoftmaxTransform()


@transform_to.register(constraints.lower_cholesky)
def _transform_to_lower_cholesky(constraint):
    return transforms.LowerCholeskyTransform()


@transform_to.register(constraints.positive_definite)
@transform_to.register(constraints.positive_semidefinite)
def _transform_to_positive_definite(constraint):
    return transforms.PositiveDefiniteTransform()


@_both(constraints.corr_cholesky)
def _to_corr_cholesky(constraint):
    return transforms.CorrCholeskyTransform()


@biject_to.register(constraints.cat)
def _biject_to_cat(constraint):
    return transforms.CatTransform([biject_to(c) for c in constraint.cseq], constraint.dim,
                                   constraint.lengths)


@transform_to.register(constraints.cat)
def _transform_to_cat(constraint):
    return transforms.CatTransform([transform_to(c) for c in constraint.cseq],
                                   constraint.dim, constraint.lengths)


@biject_to.register(constraints.stack)
def _biject_to_stack(constraint):
    return transforms.StackTransform([biject_to(c) for c in constraint.cseq], constraint.dim)


@transform_to.register(constraints.stack)
def _transform_to_stack(constraint):
    return transforms.StackTransform([transform_to(c) for c in constraint.cseq],
                                     constraint.dim)
