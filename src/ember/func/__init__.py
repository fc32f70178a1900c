"""``ember.func`` (``torch.func``): composable function transforms.

- :func:`vmap`: map a function over a dimension of its inputs;
- :func:`grad`, :func:`grad_and_value`, :func:`vjp`, :func:`jvp`, :func:`jacrev`,
  :func:`jacfwd`, :func:`hessian`, :func:`linearize`: derivatives of functions of tensors;
- :func:`functional_call`, :func:`stack_module_state`: a module as a function of its
  parameters and buffers (per-sample gradients, model ensembles).

They compose as PyTorch's do, for example per-sample gradients::

    def loss(params, x, y):
        return F.cross_entropy(functional_call(model, params, (x.unsqueeze(0),)),
                               y.unsqueeze(0))

    params = {k: v.detach() for k, v in model.named_parameters()}
    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)

ember builds them on its reverse-mode autograd and a Python loop instead of batched and
forward-mode tensors: the numbers are PyTorch's, the speed is that of the loop (each
function's docstring says what else differs).
"""
from ._functional_call import functional_call, replace_all_batch_norm_modules_, stack_module_state
from ._transforms import (debug_unwrap, functionalize, grad, grad_and_value, hessian, jacfwd,
                          jacrev, jvp, linearize, vjp)
from ._vmap import vmap
from ._einops import rearrange

__all__ = ["grad", "grad_and_value", "vmap", "replace_all_batch_norm_modules_",
           "functionalize", "hessian", "jacfwd", "jacrev", "jvp", "linearize", "vjp",
           "functional_call", "stack_module_state", "debug_unwrap", "rearrange"]
