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

    def __init__(self, func=None):
        self.outer_grad = is_grad_enabled()  # grad mode of the caller
        self.func = func  # the function transformed (what it captured may not be mutated)
        self._captured = None

    def __enter__(self):
        if self.func is not None:  # (what it captured now: functional_call swaps tensors in)
            self.captured()
            _CAPTURE_CHECK[0] += 1
        _active().append(self)
        return self

    def __exit__(self, *exc):
        _active().remove(self)
        if self.func is not None:
            _CAPTURE_CHECK[0] -= 1

    def captured(self) -> set:
        """The ids of the tensors the transformed function captured (found on first need)."""
        if self._captured is None:
            from ._vmap import _captured

            self._captured = _captured(self.func)
        return self._captured

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


# > 0 while a transform that knows its function runs (``_core.check_inplace`` then asks
# :func:`refuse_captured_mutation`)
from .._ops._core import CAPTURE_CHECK as _CAPTURE_CHECK  # noqa: E402

_CAPTURED_MUTATION = (
    "During a grad (vjp, jvp, grad, etc) transform, the function provided attempted to call "
    "in-place operation ({}) that would mutate a captured Tensor. This is not supported; "
    "please rewrite the function being transformed to explicitly accept the mutated Tensor(s) "
    "as inputs.")


def refuse_captured_mutation(t):
    """PyTorch's refusal, under a differentiating transform, of an in-place op on a tensor
    the transformed function captured from outside (or a view of one)."""
    if not _CAPTURE_CHECK[0]:
        return
    mine = (id(t),) if t._base is None else (id(t), id(t._base))
    for scope in _active():
        if scope.func is not None and any(k in scope.captured() for k in mine):
            raise RuntimeError(_CAPTURED_MUTATION.format(_aten_inplace_name()))


_TENSOR_OVERLOAD = {"add_", "sub_", "mul_", "div_", "remainder_", "floor_divide_",
                    "true_divide_", "fmod_"}
_SCALAR_OR_TENSOR = {"pow_", "clamp_", "fill_", "lerp_", "masked_fill_", "clamp_min_",
                     "clamp_max_", "index_fill_"}
_INPLACE_BINARY = {"+=": "add_", "-=": "sub_", "*=": "mul_", "/=": "div_", "//=": "floor_divide_",
                   "%=": "remainder_", "**=": "pow_", "&=": "bitwise_and_",
                   "|=": "bitwise_or_", "^=": "bitwise_xor_"}


def _aten_inplace_name():
    """The in-place op the user's code is calling, as PyTorch's dispatcher names it
    (``aten::mul_.Tensor``), read from the call the innermost user frame is making."""
    import dis
    import sys

    from .._tensor import Tensor

    frame, callee = sys._getframe(1), None
    while frame is not None and frame.f_code.co_filename.startswith(_EMBER_DIR):
        frame, callee = frame.f_back, frame
    if frame is None:
        return "aten::copy_"
    # (a stack of the names of the callables loaded: a call pops its own)
    name, stack, cur, named = None, [], None, False
    for ins in dis.get_instructions(frame.f_code):
        if ins.offset > frame.f_lasti:  # (the one running: the last at or before f_lasti)
            break
        cur, op = ins, ins.opname
        if op == "LOAD_METHOD":
            stack.append(ins.argval)
        elif op == "PUSH_NULL":
            stack.append(None)
        elif op in ("LOAD_GLOBAL", "LOAD_NAME") and str(ins.argrepr).startswith("NULL"):
            stack.append(ins.argval)
            named = True
            continue
        elif op in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF") and \
                stack and stack[-1] is None:
            stack[-1] = ins.argval
            named = True
            continue
        elif op == "LOAD_ATTR" and named:  # (``torch.sin_(x)``, ``F.relu(x, inplace=True)``)
            stack[-1] = ins.argval
            continue
        elif op == "CALL":
            name = stack.pop() if stack else None
        named = False
    args = []  # the callee's arguments, past ``self``
    if callee is not None:
        code, local = callee.f_code, callee.f_locals
        n = code.co_argcount + code.co_kwonlyargcount
        star, starstar = code.co_flags & 0x04, code.co_flags & 0x08
        for i, k in enumerate(code.co_varnames[1:n + bool(star) + bool(starstar)], 1):
            v = local.get(k)
            if star and i == n:
                args.extend(v or ())
            elif starstar and i == n + bool(star):
                args.extend((v or {}).values())
            else:
                args.append(v)
    kwargs = callee.f_locals.get("kwargs") if callee is not None else None
    kwargs = kwargs if isinstance(kwargs, dict) else {}
    if cur is None or cur.opname != "CALL":
        name = None
        if cur is not None and cur.opname == "STORE_SUBSCR":
            name = "copy_"
        elif cur is not None and cur.opname == "BINARY_OP":
            name = _INPLACE_BINARY.get(cur.argrepr)
    name = _DUNDER.get(name, name)
    if name is None:
        return "aten::copy_"
    if not name.endswith("_") and (kwargs.get("inplace") or callee is not None and
                                   callee.f_locals.get("inplace") is True):
        name += "_"  # (``F.relu(x, inplace=True)``)
    if not name.endswith("_"):
        # NOTE: a change made inside what the user called (batch norm's running statistics):
        # PyTorch's kernels update them with ``add_``
        name, args = "add_", []
    tensor = any(isinstance(a, Tensor) for a in args)
    if name in _TENSOR_OVERLOAD:
        if name == "div_" and (kwargs.get("rounding_mode") is not None or callee is not None
                               and callee.f_locals.get("rounding_mode") is not None):
            return "aten::div_.Tensor_mode"
        return f"aten::{name}.Tensor"
    if name in _SCALAR_OR_TENSOR:  # (by the value: the last argument)
        last = next((a for a in reversed(args) if a is not None), None)
        if not isinstance(last, Tensor):
            return "aten::clamp_" if name == "clamp_" else f"aten::{name}.Scalar"
        return f"aten::{name}.Tensor"
    if name == "set_":
        return "aten::set_.source_Tensor" if tensor else "aten::set_"
    if name == "scatter_":
        return "aten::scatter_." + ("src" if tensor and sum(
            isinstance(a, Tensor) for a in args) > 1 else "value")
    return f"aten::{name}"


_DUNDER = {"__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
           "__setitem__": "copy_", "__ifloordiv__": "floor_divide_", "__imod__": "remainder_",
           "__ipow__": "pow_"}


_EMBER_DIR = __file__[:-len("func/_scope.py")]


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
