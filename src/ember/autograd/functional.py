"""Higher-level differentiation of functions, as ``torch.autograd.functional``:
``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``vhp`` and ``hvp``.

Each takes a function of tensors and the point (a tensor or a tuple of tensors) to
differentiate it at, and answers with tensors shaped like PyTorch's, in the same
nesting: a tuple where the function took or gave a tuple, a bare tensor otherwise.

Everything is reverse mode.  Forward-mode products (``jvp``, ``hvp``) use the double
backward trick: ``J v`` is the gradient, with respect to a dummy upstream gradient
``u``, of ``(u^T J) v``.  ``vectorize=True`` and ``strategy="forward-mode"`` are
accepted and give the same numbers (computed a row at a time).

>>> ember.autograd.functional.jacobian(lambda x: x ** 2, ember.tensor([1., 2.]))
tensor([[2., 0.],
        [0., 4.]])
"""
from __future__ import annotations

from .._tensor import Tensor
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# -- arguments and results -----------------------------------------------------------------

def _tupled(value, arg_name, fn_name):
    """``(was_a_tuple, tuple_of_tensors)``; PyTorch's TypeError for anything else."""
    was_tuple = isinstance(value, tuple)
    items = value if was_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"the value at index {i} has" if was_tuple else f"the given {arg_name} has"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but {where} type {type(item)}.")
    return was_tuple, items


def _untuple(result, was_tuple):
    """Undo :func:`_tupled`: ``was_tuple`` is one flag, or (outer, inner) for nested results."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(r[0] for r in result)
        return result if outer else result[0]
    return result if was_tuple else result[0]


def _fresh(tensors, create_graph, need_graph):
    """Inputs to differentiate at: views that keep the caller's graph (``create_graph``),
    or detached leaves that require grad when ``need_graph``."""
    out = []
    for t in tensors:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _done(tensors, create_graph):
    """Results leave detached unless the caller asked for a graph through them."""
    if isinstance(tensors[0], Tensor):
        return tensors if create_graph else tuple(t.detach() for t in tensors)
    return tuple(_done(t, create_graph) for t in tensors)


def _check_v(v, like, like_is_tuple):
    if len(v) != len(like):
        if like_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, like)):
        if a.size() != b.size():
            where = f"Entry {i} in " if like_is_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {b.size()} but got "
                               f"{a.size()}.")


_STRICT = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
               "outputs must be computed in a differentiable manner from the input when running "
               "in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
                   "user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
                "function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
               "independent of the input. This is not allowed in strict mode. You should "
               "ensure that your function is thrice differentiable and that the hessian "
               "depends on the inputs.",
}


def _strict_requires_grad(tensors, kind, strict):
    """In strict mode, every tensor of ``tensors`` must carry a graph."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_STRICT[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` over the outputs that require grad (None per input if none do)."""
    from . import grad

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad(tuple(o for o, _ in pairs), inputs, tuple(g for _, g in pairs),
                retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward mode "
                         "AD.",
}


def _zeros_for_missing(grads, like, strict, create_graph, stage):
    """Zeros where a gradient is None (refused in strict mode, as is a gradient without a
    graph when one was asked for)."""
    from .._ops.creation import zeros_like

    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i))
            g = zeros_like(like[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        out.append(g)
    return tuple(out)


def _prepare_inputs(inputs, create_graph, fn_name):
    """``(was_a_tuple, inputs)`` with the inputs made ready to differentiate at."""
    in_tuple, inputs = _tupled(inputs, "inputs", fn_name)
    return in_tuple, _fresh(inputs, create_graph, True)


def _call(func, inputs, strict, fn_name):
    """``(was_a_tuple, outputs)`` of ``func(*inputs)``; in strict mode each output must
    carry a graph."""
    out_tuple, outputs = _tupled(func(*inputs), "outputs of the user-provided function",
                                 fn_name)
    _strict_requires_grad(outputs, "outputs", strict)
    return out_tuple, outputs


_V_NONE = {
    "inputs": "The vector v can only be None if the input to the user-provided function is a "
              "single Tensor with a single element.",
    "outputs": "The vector v can only be None if the user-provided function returns a single "
               "Tensor with a single element.",
}


def _prepare_v(v, like, like_is_tuple, create_graph, fn_name, like_name):
    """``v`` as a tuple of tensors shaped as ``like`` (the function's ``like_name``,
    "inputs" or "outputs"); None only stands for a single one-element ``like``."""
    if v is None:
        if len(like) != 1 or like[0].nelement() != 1:
            raise RuntimeError(_V_NONE[like_name])
        return None
    _, v = _tupled(v, "v", fn_name)
    v = _fresh(v, create_graph, False)
    _check_v(v, like, like_is_tuple)
    return v


def _last_grads(outputs, wrt, v, like, strict, create_graph, stage):
    """The final backward pass of a product: the gradients of ``outputs`` with respect to
    ``wrt`` along ``v``, recorded only when a graph is asked for (or grad mode is on), with
    zeros shaped as ``like`` where one is missing."""
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grad(outputs, wrt, v, create_graph=create_graph)
        return _zeros_for_missing(grads, like, strict, create_graph, stage)


def _answer(outputs, out_tuple, product, product_tuple, create_graph):
    """``(func's outputs, the product)``, each in the nesting the caller used."""
    return (_untuple(_done(outputs, create_graph), out_tuple),
            _untuple(_done(product, create_graph), product_tuple))


# -- the products --------------------------------------------------------------------------

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    ``v`` is shaped like the output (it may be None for a one-element output).

    >>> vjp(lambda x: x.sum(1), ember.ones(2, 3), ember.tensor([1., 2.]))[1]
    tensor([[1., 1., 1.],
            [2., 2., 2.]])
    """
    with enable_grad():
        in_tuple, inputs = _prepare_inputs(inputs, create_graph, "vjp")
        out_tuple, outputs = _call(func, inputs, strict, "vjp")
        v = _prepare_v(v, outputs, out_tuple, create_graph, "vjp", "outputs")
    result = _last_grads(outputs, inputs, v, inputs, strict, create_graph, "back")
    return _answer(outputs, out_tuple, result, in_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product at ``inputs``.

    ``v`` is shaped like the input (it may be None for a one-element input).
    """
    from .._ops.creation import zeros_like

    with enable_grad():
        in_tuple, inputs = _prepare_inputs(inputs, create_graph, "jvp")
        v = _prepare_v(v, inputs, in_tuple, create_graph, "jvp", "inputs")
        out_tuple, outputs = _call(func, inputs, strict, "jvp")
        # u^T J as a function of a dummy u; its gradient with respect to u along v is J v
        dummies = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        vjps = _grad(outputs, inputs, dummies, create_graph=True)
        _strict_requires_grad(vjps, "grad_inputs", strict)
    result = _last_grads(vjps, dummies, v, outputs, strict, create_graph, "back_trick")
    return _answer(outputs, out_tuple, result, out_tuple, create_graph)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output ``i`` and input ``j``, a tensor of
    shape ``output_i.shape + input_j.shape`` (nested tuples as the arguments were).

    >>> jacobian(lambda x: x.exp(), ember.zeros(2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                             'Hint: If your function has more outputs than inputs, '
                             '"forward-mode" tends to be more performant. Otherwise, prefer to '
                             'use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError("torch.autograd.functional.jacobian: `create_graph=True` "
                                      'and `strategy="forward-mode"` are not supported together '
                                      '(yet). Please either set `create_graph=False` or '
                                      '`strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                               '`strategy="forward-mode"` are not supported together (yet). '
                               'Please either set `strict=False` or '
                               '`strategy="reverse-mode"`.')
        if not vectorize:  # (NOTE: "isonly" is PyTorch's spelling)
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-"
                                      "reverse Hessian isonly implemented for `vectorize=True`.")
    with enable_grad():
        in_tuple, inputs = _prepare_inputs(inputs, create_graph, "jacobian")
        out_tuple, outputs = _call(func, inputs, strict, "jacobian")
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                               "`vectorized=True` are not supported together. Please either "
                               "set `strict=False` or `vectorize=False`.")
        jac = tuple(_jacobian_rows(out, i, inputs, create_graph, strict)
                    for i, out in enumerate(outputs))
        return _untuple(_done(jac, create_graph), (out_tuple, in_tuple))


def _jacobian_rows(out, i, inputs, create_graph, strict):
    """One output's Jacobian blocks (one per input), a row (output element) at a time."""
    from .._ops.creation import zeros_like
    from .._ops.shape import stack

    rows = [[] for _ in inputs]
    flat = out.reshape(-1)
    for k in range(out.nelement()):
        grads = _grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
        for j, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is "
                                       f"independent of input {j}. This is not allowed in "
                                       "strict mode.")
                g = zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(f"The jacobian of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode when "
                                   "create_graph=True.")
            rows[j].append(g)
    return tuple(stack(rows[j], 0).view(tuple(out.shape) + tuple(inp.shape))
                 for j, inp in enumerate(inputs))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs``: for inputs ``i`` and ``j``,
    a tensor of shape ``input_i.shape + input_j.shape``.

    >>> hessian(lambda x: (x ** 3).sum(), ember.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    in_tuple, inputs = _tupled(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        out_tuple, outputs = _call(func, inp, strict, "hessian")
        _scalar_output(outputs, out_tuple, "hessian")
        return outputs[0].squeeze()

    def gradient(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(scalar_func, inp, create_graph=True)
        _strict_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                      vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _untuple(result, (in_tuple, in_tuple))


def _scalar_output(outputs, out_tuple, name):
    if out_tuple:
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {name} should contain "
                           "a single element")


def _gradient_of_scalar(func, inputs, v, create_graph, strict, fn_name):
    """What ``vhp`` and ``hvp`` share (run under ``enable_grad``): the prepared inputs and
    ``v``, the function's single scalar output and its gradient, with a graph, as
    ``(in_tuple, inputs, v, out_tuple, outputs, jac)``."""
    in_tuple, inputs = _prepare_inputs(inputs, create_graph, fn_name)
    v = _prepare_v(v, inputs, in_tuple, create_graph, fn_name, "inputs")
    out_tuple, outputs = _call(func, inputs, strict, fn_name)
    _scalar_output(outputs, out_tuple, fn_name)
    jac = _grad(outputs, inputs, create_graph=True)
    _strict_requires_grad(jac, "jacobian", strict)
    return in_tuple, inputs, v, out_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar function: the vector-Hessian product."""
    with enable_grad():
        in_tuple, inputs, v, out_tuple, outputs, jac = _gradient_of_scalar(
            func, inputs, v, create_graph, strict, "vhp")
    result = _last_grads(jac, inputs, v, inputs, strict, create_graph, "double_back")
    return _answer(outputs, out_tuple, result, in_tuple, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar function: the Hessian-vector product (by the
    double backward trick, so it equals ``vhp`` for a symmetric Hessian)."""
    from .._ops.creation import zeros_like

    with enable_grad():
        in_tuple, inputs, v, out_tuple, outputs, jac = _gradient_of_scalar(
            func, inputs, v, create_graph, strict, "hvp")
        dummies = tuple(zeros_like(t, requires_grad=True) for t in inputs)
        double_back = _grad(jac, inputs, dummies, create_graph=True)
        # NOTE: PyTorch checks the jacobian here again (not double_back), as "hessian".
        _strict_requires_grad(jac, "hessian", strict)
    result = _last_grads(double_back, dummies, v, inputs, strict, create_graph,
                         "double_back_trick")
    return _answer(outputs, out_tuple, result, in_tuple, create_graph)
