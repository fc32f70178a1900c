"""Module full backward hooks: identity nodes around a module's inputs and outputs.

The node on the outputs sees ``grad_output`` (and runs the backward pre-hooks);
the node on the inputs sees ``grad_input`` and runs the backward hooks with both.
"""
from __future__ import annotations
from ember._warnings import warn as _warn

from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.graph import RemovableHandle


class BackwardHookFunction(Function):
    @staticmethod
    def forward(ctx, *args):
        ctx.mark_non_differentiable(*[a for a in args if isinstance(a, Tensor)
                                      and not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx, *grads):
        return ctx.hook_fn(grads)


class BackwardHook:
    def __init__(self, module, pre_hooks=None, hooks=None):
        self.module = module
        self.pre_hooks = list(module._backward_pre_hooks.values()) if pre_hooks is None \
            else pre_hooks
        self.hooks = list(module._backward_hooks.values()) if hooks is None else hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = 0
        self.input_requires_grad = False
        self.input_idx = self.output_idx = ()

    def _apply(self, values, fn):
        idx = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        tensors = [values[i] for i in idx]
        if not tensors or not any(t.requires_grad for t in tensors):
            return values, False
        if fn == self._on_grad_input:
            self.input_idx = tuple(idx)
        else:
            self.output_idx = tuple(idx)
        node_holder = {}

        materialize = fn == self._on_grad_input

        class _Hook(BackwardHookFunction):
            @staticmethod
            def forward(ctx, *args):
                # (PyTorch's output hook sits on the node itself and sees None for an output
                # that got no gradient; the inputs' node is a Function's, with zeros there)
                ctx.set_materialize_grads(materialize)
                return BackwardHookFunction.forward(ctx, *args)

            @staticmethod
            def backward(ctx, *grads):
                return fn(grads)
        _Hook.__name__ = "BackwardHookFunction"
        out = _Hook.apply(*tensors)
        out = out if isinstance(out, tuple) else (out,)
        if any(isinstance(o, Tensor) and o.grad_fn is not None for o in out):
            # NOTE: PyTorch hooks its identity node with ``grad_fn.register_hook`` (inputs)
            # or ``register_prehook`` (outputs), each taking a handle id from the counter all
            # handles share: the ids of the hooks a program adds later show it
            RemovableHandle({})
        new = list(values)
        for i, o in zip(idx, out):
            new[i] = o
        del node_holder
        return tuple(new), True

    def setup_input(self, args):
        self.n_inputs = len(args)
        new, self.input_requires_grad = self._apply(args, self._on_grad_input)
        return new

    def setup_output(self, result):
        single = isinstance(result, Tensor)
        values = (result,) if single else tuple(result) if isinstance(result, tuple) else None
        if values is None:  # (a list or dict of outputs is not hooked, as in PyTorch)
            return result
        self.n_outputs = len(values)
        new, _ = self._apply(values, self._on_grad_output)
        if single:
            return new[0]
        if hasattr(result, "_fields"):  # a namedtuple takes its fields one by one
            return type(result)(*new)
        return type(result)(new)

    def _on_grad_output(self, grads):
        # the hooks see one entry per output, None where an output is not a tensor
        m = self.module
        grads = given = _pack(self.output_idx, grads, self.n_outputs)
        for hook in self.pre_hooks:
            r = hook(m, grads)
            if r is not None:
                if len(r) != len(grads):
                    raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(r)}, but expected {len(grads)}")
                grads = tuple(r)
        self.grad_outputs = grads
        if not self.input_requires_grad:  # (PyTorch warns with backward pre-hooks alone too)

            _warn("Full backward hook is firing when gradients are computed with respect "
                  "to module outputs since no inputs require gradients. See "
                  "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                  "#torch.nn.Module.register_full_backward_hook for more details.",
                  UserWarning, stacklevel=2)
            nones = tuple(None for _ in range(max(self.n_inputs, 1)))
            for hook in self.hooks:  # (no gradient to replace: only Nones may come back)
                r = hook(m, nones, self.grad_outputs)
                if r is not None and not (isinstance(r, tuple) and all(v is None for v in r)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
        if grads is not given:  # (PyTorch's node hook: checked once it has run)
            _check_same_kind(grads, given)
        return tuple(grads[i] for i in self.output_idx)

    def _on_grad_input(self, grads):
        if self.grad_outputs is None:
            # the gradient reached the inputs without passing through the outputs (an output
            # PyTorch does not look into, such as a dict): the hooks are not run
            return grads
        # one entry per positional input, None where an input is not a tensor
        packed = self._run_hooks(_pack(self.input_idx, grads, self.n_inputs))
        return tuple(packed[i] for i in self.input_idx)

    def _run_hooks(self, grad_inputs):
        m = self.module
        for hook in self.hooks:
            r = hook(m, grad_inputs, self.grad_outputs)
            if r is not None:
                if len(r) != len(grad_inputs):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                       f"got {len(r)}, but expected {len(grad_inputs)}")
                _check_same_kind(r, grad_inputs)
                grad_inputs = tuple(r)
        return grad_inputs


def _pack(idx, grads, n):
    out = [None] * n
    for i, g in zip(idx, grads):
        out[i] = g
    return tuple(out)


def _check_same_kind(new, old):
    """PyTorch's refusal of a module backward hook's gradient of another size or dtype (it
    calls the user's hook through a wrapper named ``hook``)."""
    from ..autograd.graph import _hook_result

    for n, o in zip(new, old):
        if n is not None and o is not None:
            _hook_result(_check_same_kind, o, n)


_check_same_kind.__name__ = "hook"
