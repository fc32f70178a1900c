"""What the differentiating transforms (``grad``, ``vjp``, ``jvp``, ``jacrev``, ...) share.

PyTorch runs each transform at its own "level" and unwraps the results to the level
outside.  ember has one tape, so a :class:`Scope` does the same with it:

- :meth:`Scope.lift` makes the tensor to differentiate at: a fresh leaf that requires
  grad (marked as the scope's own), or, for a tensor already on an outer graph, a view of
  it, so that what the function computes stays differentiable from outside
  (``grad(grad(f))``, ``hessian = jacfwd(jacrev(f))``);
- :meth:`Scope.reaches_outside` tells whether a result depends on a tensor requiring grad
  from outside: the caller's (a model's parameters, an input requiring grad) or an
  enclosing transform's leaves, not this scope's nor those of transforms already finished
  (PyTorch's levels).  Only then are gradients computed with ``create_graph=True``;
- :meth:`Scope.unwrap` detaches a result that depends on nothing outside, so that
  ``grad(f)(x)`` does not require grad when ``x`` does not, as in PyTorch.

The running scopes are kept in a (per-thread) stack, as PyTorch keeps its transforms'.
"""
from __future__ import annotations

import threading

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..autograd.graph import AccumulateGrad
from ._pytree import tree_map

__all__ = ["Scope", "slice_argnums", "replace_args", "check_argnums"]


_ACTIVE = threading.local()  # .stack: the scopes whose transform is running, outermost first
_OWNER = "_ember_func_scope"  # the attribute marking a scope's leaf with its scope


def _active():
    stack = getattr(_ACTIVE, "stack", None)
    if stack is None:
        stack = _ACTIVE.stack = []
    return stack


class Scope:
    """One run of a transform; ``with scope:`` while it runs (it is then "active")."""

    # forward mode in PyTorch: "jvp" (jvp, linearize) or "jacfwd" (a vmap of jvps), which a
    # custom autograd.Function must support (its ``jvp``, and ``vmap`` for jacfwd)
    mode = None
    custom_jvp = False  # set when a custom autograd.Function ran under it (forward mode)

    def __init__(self):
        self.outer_grad = is_grad_enabled()  # grad mode of the caller

    def __enter__(self):
        _active().append(self)
        return self

    def __exit__(self, *exc):
        _active().remove(self)

    def lift(self, t):
        if not isinstance(t, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
        with enable_grad():
            if t.requires_grad:
                return t.view_as(t)
            leaf = t.detach().requires_grad_(True)
        leaf.__dict__[_OWNER] = self
        return leaf

    def _outside(self, leaf) -> bool:
        """A leaf is outside this scope when it is the caller's (made by no transform) or an
        enclosing transform's; the leaves of this scope and of finished ones are not."""
        owner = leaf.__dict__.get(_OWNER)
        if owner is None:
            return True
        return owner is not self and any(owner is s for s in _active())

    def reaches_outside(self, tensors) -> bool:
        """Whether any of ``tensors`` depends on a tensor requiring grad outside this
        scope (see :meth:`_outside`)."""
        stack, seen = [], set()
        for t in tensors:
            if not isinstance(t, Tensor) or not t.requires_grad:
                continue
            if t.grad_fn is None:
                if self._outside(t):
                    return True
            else:
                stack.append(t.grad_fn)
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            for nxt, _ in node.next_functions:
                if nxt is None:
                    continue
                if isinstance(nxt, AccumulateGrad):
                    if self._outside(nxt.variable):
                        return True
                elif id(nxt) not in seen:
                    stack.append(nxt)
        return False

    def wants_graph(self, tensors, extra=()) -> bool:
        """Whether gradients of ``tensors`` must be recorded for an outer level: the caller
        had grad mode on and something outside (or one of ``extra``) is involved."""
        if not self.outer_grad:
            return False
        return (any(isinstance(t, Tensor) and t.requires_grad for t in extra)
                or self.reaches_outside(tensors))

    def unwrap(self, tree):
        """``tree`` with each tensor that depends only on local leaves detached (PyTorch's
        RuntimeError for a leaf that is not a tensor)."""
        def one(t):
            if not isinstance(t, Tensor):
                raise RuntimeError(f"Expected tensors, got unsupported type {type(t)}")
            if t.requires_grad and (not self.outer_grad or not self.reaches_outside((t,))):
                return t.detach()
            return t

        return tree_map(one, tree)


def grads(outputs, inputs, grad_outputs=None, *, create_graph=False, retain_graph=None):
    """``autograd.grad`` of the outputs that require grad with respect to ``inputs``, zeros
    where an input is unused (or nothing requires grad)."""
    from .._ops.creation import zeros_like
    from ..autograd import grad

    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
             if isinstance(o, Tensor) and o.requires_grad]
    if pairs:
        with enable_grad():
            found = grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs],
                         retain_graph=retain_graph, create_graph=create_graph,
                         allow_unused=True)
    else:
        found = [None] * len(inputs)
    return [zeros_like(x) if g is None else g for g, x in zip(found, inputs)]


# -- argnums -------------------------------------------------------------------------------

def _wrap_argnum(argnum, num_args):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def check_argnums(argnums, num_args):
    """``argnums`` validated against ``num_args`` positional arguments, negatives wrapped."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        return _wrap_argnum(argnums, num_args)
    argnums = tuple(_wrap_argnum(a, num_args) for a in argnums)
    if not argnums:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return argnums


def slice_argnums(args, argnums, as_tuple=True):
    """The arguments at ``argnums`` (a tuple of them; a bare one for an int unless
    ``as_tuple``)."""
    argnums = check_argnums(argnums, len(args))
    if isinstance(argnums, int):
        return (args[argnums],) if as_tuple else args[argnums]
    return tuple(args[i] for i in argnums)


def replace_args(args, new, argnums):
    """``args`` with those at ``argnums`` replaced by ``new`` (one value for an int)."""
    argnums = check_argnums(argnums, len(args))
    args = list(args)
    if isinstance(argnums, int):
        args[argnums] = new
    else:
        for i, v in zip(argnums, new):
            args[i] = v
    return tuple(args)
