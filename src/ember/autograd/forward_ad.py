"""``torch.autograd.forward_ad``: dual tensors, as in PyTorch's forward-mode AD API.

ember has no forward-mode derivative rules, so a dual tensor works differently inside
while looking the same outside:

- ``make_dual(x, v)`` returns a tensor that ember's (reverse-mode) tape records from.
  When ``x`` does not require grad, the tape is *hidden*: the dual tensor, and everything
  computed from it alone, still say ``requires_grad=False``, ``grad_fn=None`` and
  ``is_leaf=True``, as in PyTorch.  When ``x`` requires grad (a model's parameter) the
  dual tensor is ``x.view_as(x)``, as PyTorch's (``grad_fn=<ViewBackward0>``).
- ``unpack_dual(y)`` computes ``y``'s tangent then, lazily: the Jacobian-vector product
  of ``y`` with respect to the level's dual tensors and their tangents, by the
  double-backward trick of ``torch.func.jvp`` (:mod:`ember.func._transforms`).
  Printing a dual tensor inside its level shows ``tangent=...`` the same way.

A custom ``Function`` gives its tangents by its ``jvp`` (as PyTorch's: one without a
``jvp`` is refused), taking part in the double-backward trick as a vjp whose derivative is
that ``jvp``.

Limits (where PyTorch differs): a function must be twice differentiable by ember's
reverse mode (an op whose backward is not itself differentiable, such as
``max(dim=...)``, gives no tangent); errors in a custom ``jvp`` are raised by
``unpack_dual``, not by the Function's ``apply``; work done under ``no_grad`` is not
tracked (``make_dual`` warns there); a tangent's own ``grad_fn`` (when it requires grad)
has ember's node name, not PyTorch's, and a tangent requires grad only where it depends
on something that does (PyTorch's formulas may record more); only one level, as in
PyTorch.

In-place ops on dual tensors work as PyTorch's: on a dual tensor made from a tensor that
does not require grad, a new hidden leaf takes its place as the level's dual tensor
(:func:`rebase_hidden_leaf`), and a tensor computed from dual tensors on the hidden tape
becomes a dual tensor itself (with the tangent it has) before it is changed
(:func:`freeze_hidden`), so that what the change overwrites is not needed again.  Where the
primal requires grad the tape is the visible one, which two in-place changes may spoil (an
``exp_`` whose saved result is changed again): ``unpack_dual`` then raises autograd's error.
"""
from __future__ import annotations

import functools
import sys
import weakref
from typing import NamedTuple

from .. import _tensor
from .._tensor import Tensor
from .._warnings import warn as _warn
from .grad_mode import STATE, enable_grad

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]

_current_level = -1
_SOURCES: dict[int, list] = {}   # level -> [(dual tensor, tangent)], in order of make_dual
_LIVE_HIDDEN = [0]  # how many hidden leaves are alive (none: nothing is hidden, fast path)
_HIDDEN = "_ember_fwad_hidden"  # marks a hidden leaf (tensor) / caches a node's verdict
_NO_TANGENT = "_ember_fwad_plain"  # a primal or tangent handed out: never dual itself
_PUSHING = [False]  # while tangents are pushed: the primal cut passes nothing and the
                    # hidden tape is shown as it is (the pushing code reads requires_grad)


# -- hidden tape -----------------------------------------------------------------------
def _mark_hidden(t):
    t.__dict__[_HIDDEN] = True
    _LIVE_HIDDEN[0] += 1
    weakref.finalize(t, _forget_hidden)


def _forget_hidden():
    _LIVE_HIDDEN[0] -= 1


def _hidden_node(node) -> bool:
    """Whether every path from ``node`` ends at a hidden leaf.  The search stops at the
    first leaf that is not hidden; a node found hidden keeps the verdict."""
    from .graph import AccumulateGrad

    known = node.__dict__.get(_HIDDEN)
    if known is not None:
        return known
    stack, seen = [node], {id(node): node}
    while stack:
        n = stack.pop()
        known = n.__dict__.get(_HIDDEN)
        if known is True:
            continue
        if known is False:
            return False
        if isinstance(n, AccumulateGrad):
            if not n.variable.__dict__.get(_HIDDEN, False):
                return False
            continue
        nexts = [nx for nx, _ in n.next_functions if nx is not None]
        if not nexts:
            return False
        for nx in nexts:
            if id(nx) not in seen:
                seen[id(nx)] = nx
                stack.append(nx)
    for n in seen.values():
        n.__dict__[_HIDDEN] = True
    return True


def _hidden(t) -> bool:
    """Whether ``t`` requires grad only because of hidden (forward-AD) leaves."""
    if not t._requires_grad or _PUSHING[0] or not _LIVE_HIDDEN[0]:
        return False
    fn = t._grad_fn
    if fn is None:
        return bool(t.__dict__.get(_HIDDEN, False))
    return _hidden_node(fn)


_installed = False
_TAPE_MODULES = ("ember._ops.", "ember.autograd.graph", "ember.autograd.function", "ember.linalg",
                 "ember._linalg_eig")


def _install():
    """Make Tensor's visible autograd state skip the hidden tape (done at first use)."""
    global _installed
    if _installed:
        return
    _installed = True
    T = Tensor
    req, gfn, leaf = (T.__dict__[n] for n in ("requires_grad", "grad_fn", "is_leaf"))
    numpy_fn, repr_fn = T.__dict__["numpy"], T.__dict__["__repr__"]
    backward_fn = T.__dict__["backward"]

    @functools.wraps(backward_fn)
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        # PyTorch computes tangents during the forward pass; ember computes them from the
        # tape when asked, so inside a level the tape outlives a backward pass.
        if retain_graph is None and _current_level >= 0 and _SOURCES.get(_current_level):
            retain_graph = True
        return backward_fn(self, gradient, retain_graph, create_graph, inputs)

    def requires_grad(self):
        r = req.fget(self)
        return False if r and _hidden(self) else r

    def grad_fn(self):
        fn = gfn.fget(self)
        if fn is None or not _hidden(self):
            return fn
        # ember's ops read grad_fn to link the tape (a view's edge): they get the real node
        caller = sys._getframe(1).f_globals.get("__name__", "")
        return fn if caller.startswith(_TAPE_MODULES) else None

    def is_leaf(self):
        return leaf.fget(self) or _hidden(self)

    @functools.wraps(numpy_fn)
    def numpy(self, *, force=False):
        if self._requires_grad and _hidden(self):
            return numpy_fn(self.detach(), force=force)
        return numpy_fn(self, force=force)

    _tensor._FORWARD_AD_NUMPY[0] = numpy.__code__  # (a wrapper: vmap's refusals look past it)

    @functools.wraps(repr_fn)
    def __repr__(self, *, tensor_contents=None):
        text = repr_fn(self, tensor_contents=tensor_contents)
        if _current_level < 0 or tensor_contents is not None or not self._requires_grad:
            return text
        try:
            tangent = _tangent(self, _current_level)
        except RuntimeError:  # (a tape already freed: print what is known)
            tangent = None
        if tangent is None:
            return text
        from .._tensor_str import _OPTS, _add_suffixes

        # (formatted as PyTorch does: a 0-d tangent shows as its number)
        return _add_suffixes(text[:-1], [f"tangent={tangent}"], 7, _OPTS.linewidth)

    T.requires_grad = property(requires_grad, req.fset, req.fdel, req.__doc__)
    T.grad_fn = property(grad_fn, gfn.fset, None, gfn.__doc__)  # (fset: PyTorch's refusal)
    T.is_leaf = property(is_leaf, leaf.fset, None, leaf.__doc__)
    from .._argparse import method_words

    T.numpy = method_words(numpy, "numpy")  # (PyTorch's parser's words for a bad call)
    T.backward = backward
    T.__repr__ = __repr__


# -- levels ----------------------------------------------------------------------------
def enter_dual_level():
    """Enter a new forward-AD level (ember, like PyTorch, supports one at a time)."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _install()
    _current_level += 1
    _SOURCES[_current_level] = []
    return _current_level


def exit_dual_level(*, level=None):
    """Leave the current level; the tangents made in it are forgotten."""
    global _current_level
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    if level < 0:  # (no level is active)
        raise RuntimeError("Dual level must be a positive number.")
    _SOURCES.pop(level, None)
    _current_level = level - 1


class dual_level:
    """``with dual_level():`` runs forward-AD code in a level (also a decorator)."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback):
        exit_dual_level()

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


# -- dual tensors ----------------------------------------------------------------------
def make_dual(tensor, tangent, *, level=None):
    """A tensor equal to (and sharing memory with) ``tensor`` whose tangent is ``tangent``."""
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if getattr(tensor, "is_sparse", False) or getattr(tangent, "is_sparse", False):
        raise NotImplementedError("make_dual(): ember's forward AD does not support sparse "
                                  "tensors; use a dense tensor (to_dense())")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype}")
    if level != _current_level or level not in _SOURCES:
        raise RuntimeError("Trying to access a forward AD level with an invalid index. This "
                           "index was either not created or is already deleted."
                           if _current_level < 0 else "Invalid level given to _make_dual")
    if any(d is tensor for d, _ in _SOURCES[level]) or \
            tensor._requires_grad and _tangent(tensor, level) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {level} is not supported.")
    if tuple(tensor.shape) != tuple(tangent.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than "
                           "that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    if not STATE.enabled:
        _warn("ember computes forward-mode AD from its autograd tape: operations run with grad "
              "mode disabled (no_grad, inference_mode) are not tracked, so their results get "
              "no tangent. Run forward-AD code with grad mode enabled.", UserWarning,
              stacklevel=2)
    with enable_grad():
        if tensor.requires_grad:
            dual = tensor.view_as(tensor)
        else:
            dual = tensor.detach()
            dual.requires_grad_(True)
            # (a backward pass through it leaves no .grad: it does not require grad)
            dual.register_post_accumulate_grad_hook(_drop_grad)
            _mark_hidden(dual)
    _SOURCES[level].append((dual, tangent))
    return dual


class UnpackedDualTensor(NamedTuple):
    """What :func:`unpack_dual` returns: the primal and its tangent (None if not dual)."""

    primal: Tensor
    tangent: Tensor | None


def _drop_grad(t):
    t._grad = None


def rebase_hidden_leaf(t) -> bool:
    """Let an in-place op change ``t``, a dual tensor made from a tensor that does not
    require grad (a hidden leaf), as PyTorch lets it: a new hidden leaf takes ``t``'s place as
    the level's dual tensor (its values, memory and tape node), and ``t`` becomes what is
    computed from it, whose history the in-place op then extends.  False where ``t`` is not
    such a leaf."""
    if not t.__dict__.get(_HIDDEN) or t._grad_fn is not None or t._base is not None:
        return False
    from .._ops._core import make
    from .graph import get_accumulator

    acc = get_accumulator(t)  # (what was computed from ``t`` so far leads here)
    with enable_grad():
        leaf = t.detach()
        leaf._requires_grad = True
    acc.variable, leaf._accumulator = leaf, acc
    _mark_hidden(leaf)
    with enable_grad():
        alias = make(leaf._data, (leaf,), "AliasBackward0", _pass_grad)
    t._grad_fn, t._output_nr = alias._grad_fn, 0
    t._accumulator = None
    del t.__dict__[_HIDDEN]
    for sources in _SOURCES.values():
        for i, (d, tangent) in enumerate(sources):
            if d is t:
                sources[i] = (leaf, tangent)
    return True


def _pass_grad(ctx, g):
    return (g,)


def freeze_hidden(t) -> bool:
    """Before an in-place op changes ``t``, a tensor computed from dual tensors on the hidden
    tape: ``t`` becomes a dual tensor of the level itself, with the tangent it has now.
    PyTorch computes tangents as it goes, so what the op overwrites (an ``exp_``'s saved
    result) is never needed again; ember's tangents are computed from the tape when asked,
    which would then find it changed."""
    if t._grad_fn is None or t._base is not None or _current_level < 0 or not _hidden(t):
        return False
    tangent = _tangent(t, _current_level)
    if tangent is None:
        return False
    t._grad_fn, t._output_nr, t._accumulator = None, 0, None
    t.register_post_accumulate_grad_hook(_drop_grad)  # (before it is hidden, as make_dual)
    _mark_hidden(t)
    _SOURCES[_current_level].append((t, tangent))
    return True


def _primal_cut_rule(ctx, g):
    return (None,) if _PUSHING[0] else (g,)


def _primal(t):
    """``t`` without its tangent: detached when only hidden leaves make it require grad,
    else a view that passes gradients but no tangent (PyTorch's ``Identity`` node)."""
    if not t._requires_grad:
        out = t.view_as(t)
    elif _hidden(t):
        out = t.detach()
    else:
        from .._ops._core import make_view

        out = make_view(t._data, t, "Identity", _primal_cut_rule, lambda b: b.view_as(b))
    out.__dict__[_NO_TANGENT] = True
    return out


def _tangent(t, level):
    if t.__dict__.get(_NO_TANGENT):
        return None
    sources = _SOURCES.get(level, [])
    for dual, tangent in sources:
        if dual is t:
            return tangent
    if not sources or not t._requires_grad:
        return None
    from ..func._transforms import _dual_graph, _push_forward

    duals = [d for d, _ in sources]
    tangents = [tn for _, tn in sources]
    need = STATE.enabled and (not _hidden(t) or any(
        tn._requires_grad and not _hidden(tn) for tn in tangents))
    _PUSHING[0] = True
    try:
        with enable_grad():
            dummies, vjps = _dual_graph(None, [t], duals)
            pushed = _push_forward([t], dummies, vjps, duals, tangents, need, retain=True)
    finally:
        _PUSHING[0] = False
    for u in dummies.values():
        _mark_hidden(u)
    out = pushed[0]
    if out is None:
        if all(v is None for v in vjps):
            return None
        # on the duals' tape, with a derivative that does not depend on the cotangent
        # (sign, round, floor): a zero tangent, as PyTorch's
        from .._ops.creation import zeros_like

        out = zeros_like(t).detach()
    if not need:
        out = out.detach()
    out.__dict__[_NO_TANGENT] = True
    return out


def unpack_dual(tensor, *, level=None):
    """``UnpackedDualTensor(primal, tangent)`` of ``tensor`` at ``level`` (the current one);
    ``tangent`` is None when ``tensor`` does not depend on the level's dual tensors."""
    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        from .._ops._core import tp_name

        raise TypeError("_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
                        f"{tp_name(tensor)}")
    if level != _current_level or level not in _SOURCES:
        # (PyTorch refuses the level only for a tensor that has a tangent)
        if _current_level >= 0 and _tangent(tensor, _current_level) is not None:
            raise RuntimeError("Invalid level given to _fw_primal")
        return UnpackedDualTensor(_primal(tensor), None)
    tangent = _tangent(tensor, level)
    return UnpackedDualTensor(_primal(tensor), tangent)


# -- PyTorch's forward formulas, for the double-backward trick ----------------------------
def tangents_wanted() -> bool:
    """Whether tangents may be asked of what runs now (a dual level holds dual tensors, or
    a forward-mode ``torch.func`` transform runs): an op whose forward formula needs its
    input then saves it for :func:`push_node`."""
    if _current_level >= 0 and _SOURCES.get(_current_level):
        return True
    scope = sys.modules.get("ember.func._scope")  # (none before a transform ever ran)
    return scope is not None and any(s.mode is not None
                                     for s in getattr(scope._ACTIVE, "stack", ()))


def pushing() -> bool:
    """Whether a backward rule runs to build the vjp that the double-backward trick
    differentiates for its cotangent (the tangents of forward mode)."""
    return bool(sys.modules["ember.autograd.function"].FWD_PUSH[0])


def push_node(g, composite, push):
    """A backward rule's result while :func:`pushing`: the values and the gradient for the
    op's inputs of ``composite(g)``, and ``push(t)``, PyTorch's forward formula for the
    tangent ``t``, as the gradient for ``g`` (so that tangents match PyTorch's bit for
    bit)."""
    from .._ops._core import make
    from .function import FWD_PUSH

    pushed, FWD_PUSH[0] = FWD_PUSH[0], 0  # (composite may be the rule that calls this)
    try:
        c = composite(g.detach())
    finally:
        FWD_PUSH[0] = pushed
    return make(c._data, (g, c), "ForwardFormula", lambda ctx, gg: (push(gg), gg))


def auto_element_wise(rule):
    """Decorator for the backward rule of a one-input pointwise op whose forward formula
    is PyTorch's ``auto_element_wise``: the tangent is the backward (its kernel, which the
    rule's first-order path reproduces) applied to the tangent."""
    @functools.wraps(rule)
    def wrapped(ctx, g):
        if pushing():
            return (push_node(g, lambda g: rule(ctx, g)[0], lambda t: rule(ctx, t)[0]),)
        return rule(ctx, g)
    return wrapped


def logsumexp_jvp(x, t, dims, keepdim):
    """PyTorch's ``logsumexp_jvp``: ``sum(e * t) / sum(e)``, ``e = exp(x - amax(x))``."""
    e = (x - x.amax(dims, keepdim=True)).exp() if x.numel() else x.exp()
    return (e * t).sum(dims, keepdim) / e.sum(dims, keepdim)
