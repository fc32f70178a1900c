"""``ember.utils.checkpoint``: activation checkpointing, as ``torch.utils.checkpoint``.

``checkpoint(fn, *args, use_reentrant=True)`` runs ``fn`` without recording a graph, keeps
only its inputs, and runs it again (with the random state it first saw, so dropout masks
repeat) when the backward pass reaches it: memory for compute.  With
``use_reentrant=False`` it runs ``fn`` as is (the same values and gradients; ember keeps the
activations).
"""
from __future__ import annotations

import contextlib

from ember._warnings import warn as _warn

from .. import random as _random
from .._tensor import Tensor
from ..autograd import Function, grad_mode
from ..autograd import backward as _backward

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "noop_context_fn",
           "set_checkpoint_early_stop", "set_checkpoint_debug_enabled"]

_NO_FLAG = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.")


_early_stop = True  # (set_checkpoint_early_stop's switch: ember's results do not depend on it)
_debug_enabled = None  # (set_checkpoint_debug_enabled's: None follows checkpoint's debug=)


class CheckpointError(RuntimeError):
    pass


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    """A context in which a non-reentrant checkpoint stops (or not, with False) recomputing
    once it has what the backward needs."""
    global _early_stop
    prev = _early_stop
    try:
        _early_stop = enable
        yield
    finally:
        _early_stop = prev


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled):
    """A context in which checkpoints record debug information (None: as ``debug=`` says)."""
    global _debug_enabled
    prev = _debug_enabled
    try:
        _debug_enabled = enabled
        yield
    finally:
        _debug_enabled = prev


def detach_variable(inputs):
    """The tensors of the tuple ``inputs`` detached, keeping their ``requires_grad``."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for inp in inputs:
        if isinstance(inp, Tensor):
            x = inp.detach()
            x.requires_grad = inp.requires_grad
            inp = x
        out.append(inp)
    return tuple(out)


def check_backward_validity(inputs):
    """Warns when no tensor in ``inputs`` requires grad."""
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        _warn("None of the inputs have requires_grad=True. Gradients will be None",
              UserWarning, stacklevel=2)


def noop_context_fn():
    """The default ``context_fn``: two contexts that do nothing."""
    import contextlib

    return contextlib.nullcontext(), contextlib.nullcontext()


class CheckpointFunction(Function):
    """The node a reentrant checkpoint leaves (``grad_fn=<CheckpointFunctionBackward>``)."""

    @staticmethod
    def forward(ctx, run, preserve_rng_state, *args):
        ctx.run = run
        ctx.rng_state = _random.get_rng_state() if preserve_rng_state else None
        ctx.tensor_at = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = list(args)
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_at])
        with grad_mode.no_grad():
            return run(*args)

    @staticmethod
    def backward(ctx, *grads):
        if grad_mode.STATE.partial:  # (a pass for given inputs only: autograd.grad)
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
                "passing an `inputs` parameter to .backward(). To resolve this error, you can "
                "either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument.")
        args = list(ctx.args)
        for i, t in zip(ctx.tensor_at, ctx.saved_tensors):
            args[i] = t.detach().requires_grad_(t.requires_grad)
        saved_rng = None
        if ctx.rng_state is not None:
            saved_rng = _random.get_rng_state()
            _random.set_rng_state(ctx.rng_state)
        try:
            with grad_mode.enable_grad():
                outs = ctx.run(*args)
        finally:
            if saved_rng is not None:
                _random.set_rng_state(saved_rng)
        outs = outs if isinstance(outs, tuple) else (outs,)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        _backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in args)


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, recomputed during backward instead of stored."""
    if use_reentrant is None:
        _warn(_NO_FLAG, UserWarning, stacklevel=2)
        use_reentrant = True
    if not use_reentrant:
        # (PyTorch's checks; the function then runs once, its results kept rather than
        # recomputed: the same values and gradients)
        if (debug if _debug_enabled is None else _debug_enabled) and \
                context_fn is not noop_context_fn:
            raise ValueError("debug=True is incompatible with non-default context_fn")
        if determinism_check not in ("default", "none"):
            raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                             f"{determinism_check}")
        forward_context, _ = context_fn()
        with forward_context:
            return function(*args, **kwargs)
    if context_fn is not noop_context_fn or debug is not False:
        raise ValueError("Passing `context_fn` or `debug` is only supported when "
                         "use_reentrant=False.")
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        _warn("None of the inputs have requires_grad=True. Gradients will be None",
              UserWarning, stacklevel=2)
    return CheckpointFunction.apply(function, preserve_rng_state, *args)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a ``Sequential`` (or list of modules) in ``segments`` checkpointed pieces; the last
    piece runs normally."""
    if use_reentrant is None:
        _warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant "
              "parameter should be passed explicitly. In version 2.9 we will raise an "
              "exception if use_reentrant is not passed. use_reentrant=False is "
              "recommended, but if you need to preserve the current default behavior, "
              "you can pass use_reentrant=True. Refer to docs for more details on the "
              "differences between the two variants.", UserWarning, stacklevel=2)
        use_reentrant = True
    from ..nn import Sequential
    fns = list(functions.children()) if isinstance(functions, Sequential) else list(functions)
    size = len(fns) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        piece = fns[start:end + 1]

        def run(x, piece=piece):
            for f in piece:
                x = f(x)
            return x
        input = checkpoint(run, input, use_reentrant=use_reentrant, **kwargs)
    for f in fns[end + 1:]:
        input = f(input)
    return input
