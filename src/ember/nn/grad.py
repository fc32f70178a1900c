"""``torch.nn.grad`` (also ``F.grad``): the gradients of a convolution with respect to its
input and to its weight, given the gradient of its output, for custom ``autograd.Function``
backward passes.

``conv2d_input(input_size, weight, grad_output)`` is what ``autograd.grad(F.conv2d(x, weight),
x, grad_output)`` gives for an ``x`` of that size (a transposed convolution whose output size
is fixed by ``input_size``); ``conv2d_weight(input, weight_size, grad_output)`` the same for
the weight.  Each runs the convolution's own backward rule, so its values are those of a
``loss.backward()`` through the layer; the result is differentiable (its graph is recorded
when grad mode is on and ``weight``/``input`` or ``grad_output`` requires grad).

>>> x = ember.randn(1, 1, 5, 5); w = ember.randn(2, 1, 3, 3)
>>> g = ember.ones(1, 2, 3, 3)
>>> ember.nn.grad.conv2d_input(x.shape, w, g).shape
torch.Size([1, 1, 5, 5])
"""
from __future__ import annotations

from .. import autograd as _autograd
from .._ops.creation import zeros as _zeros
from ..autograd.grad_mode import enable_grad as _enable_grad
from ..autograd.grad_mode import is_grad_enabled as _is_grad_enabled

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]


def _conv(nd):
    from . import functional

    return getattr(functional, f"conv{nd}d")


def _grad_of(nd, x, weight, grad_output, wrt, stride, padding, dilation, groups):
    """The gradient of ``conv(x, weight)`` with respect to ``wrt`` (the one made here) for the
    output gradient ``grad_output``."""
    create = _is_grad_enabled() and any(
        t.requires_grad for t in (x, weight, grad_output) if t is not wrt)
    with _enable_grad():
        out = _conv(nd)(x, weight, None, stride, padding, dilation, groups)
        (g,) = _autograd.grad(out, wrt, grad_output, create_graph=create)
    return g


def _input_grad(nd):
    def fn(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
        x = _zeros(tuple(input_size), dtype=grad_output.dtype, device=grad_output.device,
                   requires_grad=True)
        return _grad_of(nd, x, weight, grad_output, x, stride, padding, dilation, groups)
    fn.__name__ = fn.__qualname__ = f"conv{nd}d_input"
    fn.__doc__ = (f"The gradient of ``conv{nd}d`` with respect to its input (of size "
                  f"``input_size``), given ``grad_output``.")
    return fn


def _weight_grad(nd):
    def fn(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
        w = _zeros(tuple(weight_size), dtype=input.dtype, device=input.device,
                   requires_grad=True)
        return _grad_of(nd, input, w, grad_output, w, stride, padding, dilation, groups)
    fn.__name__ = fn.__qualname__ = f"conv{nd}d_weight"
    fn.__doc__ = (f"The gradient of ``conv{nd}d`` with respect to its weight (of size "
                  f"``weight_size``), given ``grad_output``.")
    return fn


conv1d_input, conv2d_input, conv3d_input = (_input_grad(n) for n in (1, 2, 3))
conv1d_weight, conv2d_weight, conv3d_weight = (_weight_grad(n) for n in (1, 2, 3))
