"""``differentiable=True`` steps of SGD, Adam (AdamW), RMSprop, Adagrad, Adamax and Adadelta:
the update in ops that autograd records (the step runs with grad mode on), so that a loss of
the updated parameters can be differentiated back through the step (to the gradients given,
to the parameters before it, to a tensor learning rate that requires grad), as in
meta-learning.

The ops and their order are those of PyTorch's single-tensor updates for
``differentiable=True`` (its ``_single_tensor_sgd``, ``_single_tensor_adam``...), so the
values round as PyTorch's do: Adam's bias corrections, for one, are computed on the 0-d step
tensor (in its float32) rather than in Python floats.  The parameters must not be leaves
that require grad (the in-place update refuses them, as in PyTorch): the usual pattern
optimises clones, ``p = w.clone()``.

>>> w = ember.tensor([1.0, 2.0], requires_grad=True)
>>> p = w.clone(); opt = ember.optim.SGD([p], lr=0.1, differentiable=True)
>>> p.grad = 2 * p; opt.step(); p.sum().backward(); w.grad
tensor([0.8000, 0.8000])
"""
from __future__ import annotations

from .._tensor import Tensor
from .optimizer import with_grad


def _squeezed(x):
    """PyTorch's ``_to_scalar``: a one-element tensor of one or more dims as a 0-d one."""
    return x.squeeze() if isinstance(x, Tensor) and x.dim() != 0 else x


def _number_alpha(lr) -> None:
    """NOTE: PyTorch's updates that scale by ``alpha=-lr`` refuse a learning rate that
    requires grad (``add_`` takes a number there), once the buffers are updated."""
    if isinstance(lr, Tensor) and lr.requires_grad:
        raise TypeError("add_(): argument 'alpha' must be Number, not Tensor")


def _foreach_refusal(name, first, second):
    """PyTorch's parser refusing a ``_foreach_add``/``_foreach_add_`` whose ``alpha`` is a
    tensor that requires grad (its multi-tensor updates pass a tensor rate or decay there)."""
    return TypeError(
        f"{name}() received an invalid combination of arguments - got ({first}, {second}, "
        "alpha=Tensor), but expected one of:\n * (tuple of Tensors self, Number scalar)\n"
        " * (tuple of Tensors self, tuple of Scalars scalars)\n"
        " * (tuple of Tensors self, Tensor other, *, Number alpha = 1)\n"
        " * (tuple of Tensors self, tuple of Tensors other, *, Number alpha = 1)\n")


def sgd(opt, group) -> None:
    """One SGD step of ``group`` (PyTorch's single-tensor update, which its multi-tensor one
    matches element for element)."""
    wd, momentum, dampening = group["weight_decay"], group["momentum"], group["dampening"]
    lr = _squeezed(group["lr"])
    if group["foreach"] and any(True for _ in with_grad(group)):
        # NOTE: PyTorch's multi-tensor SGD (``foreach=True``) passes a tensor decay or rate
        # as the ``alpha`` of ``_foreach_add(_)``, whose parser refuses one that requires
        # grad: the decay before anything is updated, the rate once the existing momentum
        # buffers are (the new ones are not stored then)
        if isinstance(wd, Tensor) and wd.requires_grad:
            for p, _ in with_grad(group) if momentum != 0 else ():
                opt.state[p]  # (the state entries PyTorch's group init makes)
            raise _foreach_refusal("_foreach_add_" if group["maximize"] else "_foreach_add",
                                   "tuple" if group["maximize"] else "list", "list")
        if isinstance(lr, Tensor) and lr.requires_grad:
            for p, grad in with_grad(group):
                buf = opt.state[p].get("momentum_buffer") if momentum != 0 else None
                if buf is not None:  # (``_foreach_mul_`` and ``_foreach_add_`` of them)
                    grad = -grad if group["maximize"] else grad
                    buf.mul_(momentum).add_(grad if wd == 0 else grad.add(p, alpha=wd),
                                            alpha=1 - dampening)
            raise _foreach_refusal("_foreach_add_", "list", "list" if momentum != 0 and not
                                   group["nesterov"] or not (group["maximize"] or wd != 0)
                                   else "tuple")
    for p, grad in with_grad(group):
        if grad.is_sparse:
            raise RuntimeError("ember's differentiable SGD takes dense gradients only")
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            if isinstance(wd, Tensor) and wd.requires_grad:
                grad = grad.addcmul_(p.clone(), wd)
            else:
                grad = grad.add(p, alpha=wd)
        if momentum != 0:
            state = opt.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = grad.detach().clone()
                state["momentum_buffer"] = buf
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - dampening)
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        if isinstance(lr, Tensor) and lr.requires_grad:
            p.addcmul_(grad, lr, value=-1)
        else:
            p.add_(grad, alpha=-lr)


def adam(opt, group) -> None:
    """One Adam (AdamW with ``decoupled_weight_decay``) step of ``group``."""
    from .. import maximum, square, view_as_real

    if group["foreach"]:  # (PyTorch's multi-tensor Adam refuses autograd)
        raise AssertionError("_foreach ops don't support autograd")
    beta1, beta2 = (_squeezed(b) for b in group["betas"])
    lr, wd, eps = _squeezed(group["lr"]), group["weight_decay"], group["eps"]
    amsgrad = group["amsgrad"]
    for p, grad in with_grad(group):
        state = opt.state[p]
        if not state:
            opt._init_state(state, group, p, "exp_avg", "exp_avg_sq")
            if amsgrad:
                from .optimizer import zeros_state

                state["max_exp_avg_sq"] = zeros_state(p)
        step_t = state["step"]
        if step_t.requires_grad:
            raise RuntimeError("`requires_grad` is not supported for `step` in differentiable "
                               "mode")
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        if group["maximize"]:
            grad = -grad
        step_t += 1
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * wd)
            elif isinstance(wd, Tensor) and wd.requires_grad:
                grad = grad.addcmul_(p.clone(), wd)
            else:
                grad = grad.add(p, alpha=wd)
        param = p
        if p.is_complex():
            grad, exp_avg, exp_avg_sq, param = (view_as_real(t) for t in (
                grad, exp_avg, exp_avg_sq, p))
        exp_avg.lerp_(grad, 1 - beta1)
        if isinstance(beta2, Tensor) and beta2.requires_grad:
            exp_avg_sq.lerp_(square(grad), weight=1 - beta2)
        else:
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=float(1 - beta2))
        step = step_t
        bias_correction1 = 1 - beta1 ** (step.clone() if isinstance(beta1, Tensor) and
                                         beta1.requires_grad else step)
        bias_correction2 = 1 - beta2 ** (step.clone() if isinstance(beta2, Tensor) and
                                         beta2.requires_grad else step)
        step_size_neg = (lr / bias_correction1).neg()
        bias_correction2_sqrt = bias_correction2.sqrt()
        if amsgrad:
            max_sq = state["max_exp_avg_sq"]
            if p.is_complex():
                max_sq = view_as_real(max_sq)
            max_sq.copy_(maximum(max_sq.clone(), exp_avg_sq))
            denom = (max_sq.sqrt() / (bias_correction2_sqrt * step_size_neg)).add_(
                eps / step_size_neg)
        else:
            denom = (exp_avg_sq.sqrt() / (bias_correction2_sqrt * step_size_neg)).add_(
                eps / step_size_neg)
        param.addcdiv_(exp_avg.clone(), denom)


def rmsprop(opt, group) -> None:
    """One RMSprop step of ``group`` (PyTorch's single-tensor update)."""
    from .. import view_as_real
    from .optimizer import zeros_state

    if group["foreach"]:  # (PyTorch's multi-tensor RMSprop refuses autograd)
        raise AssertionError("_foreach ops don't support autograd")

    lr, alpha, eps = _squeezed(group["lr"]), group["alpha"], group["eps"]
    wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
    for p, grad in with_grad(group):
        state = opt.state[p]
        if not state:
            opt._init_state(state, group, p, "square_avg")
            if momentum > 0:
                state["momentum_buffer"] = zeros_state(p)
            if centered:
                state["grad_avg"] = zeros_state(p)
        if group["maximize"]:
            grad = -grad
        square_avg = state["square_avg"]
        state["step"] += 1
        if wd != 0:
            grad = grad.add(p, alpha=wd)
        param, cplx = p, p.is_complex()
        if cplx:
            param, grad, square_avg = (view_as_real(t) for t in (p, grad, square_avg))
        square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        if centered:
            grad_avg = view_as_real(state["grad_avg"]) if cplx else state["grad_avg"]
            grad_avg.lerp_(grad, 1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
        else:
            avg = square_avg.sqrt()
        avg = avg.add(eps)
        if momentum > 0:
            buf = view_as_real(state["momentum_buffer"]) if cplx else state["momentum_buffer"]
            buf.mul_(momentum).addcdiv_(grad, avg)
            _number_alpha(lr)
            param.add_(buf, alpha=-lr)
        else:
            param.addcdiv_(grad, avg, value=-lr)


def adagrad(opt, group) -> None:
    """One Adagrad step of ``group`` (PyTorch's single-tensor update, dense gradients)."""
    from .. import view_as_real
    from .optimizer import full_state

    if group["foreach"]:  # (PyTorch's multi-tensor Adagrad refuses autograd)
        raise AssertionError("_foreach ops don't support autograd")
    lr, wd, eps, lr_decay = (_squeezed(group["lr"]), group["weight_decay"], group["eps"],
                             group["lr_decay"])
    for p, grad in with_grad(group):
        if grad.is_sparse:
            raise RuntimeError("ember's differentiable Adagrad takes dense gradients only")
        state = opt.state[p]
        if not state:
            from .adagrad import _initial

            state["step"] = opt._step_tensor(0.0, group, p)
            state["sum"] = full_state(p, _initial(p, opt.defaults["initial_accumulator_value"]))
        step_t = state["step"]
        step_t += 1
        step = step_t.item()
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            grad = grad.add(p, alpha=wd)
        clr = lr / (1 + (step - 1) * lr_decay)
        param, state_sum = p, state["sum"]
        if p.is_complex():
            grad, state_sum, param = (view_as_real(t) for t in (grad, state_sum, p))
        state_sum.addcmul_(grad, grad, value=1)
        std = state_sum.sqrt() + eps
        param.addcdiv_(grad, std, value=-clr)


def adamax(opt, group) -> None:
    """One Adamax step of ``group`` (PyTorch's single-tensor update)."""
    from .. import amax, cat, view_as_real

    if group["foreach"]:  # (PyTorch's multi-tensor Adamax refuses autograd)
        raise AssertionError("_foreach ops don't support autograd")
    beta1, beta2 = group["betas"]
    lr, wd, eps = _squeezed(group["lr"]), group["weight_decay"], group["eps"]
    for p, grad in with_grad(group):
        state = opt.state[p]
        if not state:
            opt._init_state(state, group, p, "exp_avg", "exp_inf")
        if group["maximize"]:
            grad = -grad
        exp_avg, exp_inf, step_t = state["exp_avg"], state["exp_inf"], state["step"]
        step_t += 1
        if wd != 0:
            grad = grad.add(p, alpha=wd)
        param = p
        if p.is_complex():
            param, grad, exp_avg, exp_inf = (view_as_real(t) for t in (p, grad, exp_avg,
                                                                       exp_inf))
        exp_avg.lerp_(grad, 1 - beta1)
        norm_buf = cat([exp_inf.mul_(beta2).unsqueeze(0), grad.abs().add_(eps).unsqueeze_(0)],
                       0)
        exp_inf.copy_(amax(norm_buf, 0, keepdim=False))
        clr = lr / (1 - beta1 ** step_t.item())
        param.addcdiv_(exp_avg, exp_inf, value=-clr)


def adadelta(opt, group) -> None:
    """One Adadelta step of ``group`` (PyTorch's single-tensor update)."""
    from .. import view_as_complex, view_as_real

    if group["foreach"]:  # (PyTorch's multi-tensor Adadelta refuses autograd)
        raise AssertionError("_foreach ops don't support autograd")
    lr, rho, eps, wd = _squeezed(group["lr"]), group["rho"], group["eps"], group["weight_decay"]
    for p, grad in with_grad(group):
        state = opt.state[p]
        if not state:
            opt._init_state(state, group, p, "square_avg", "acc_delta")
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if wd != 0:
            grad = grad.add(p, alpha=wd)
        cplx = p.is_complex()
        if cplx:
            square_avg, acc_delta, grad = (view_as_real(t) for t in (square_avg, acc_delta,
                                                                     grad))
        square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        std = square_avg.add(eps).sqrt_()
        delta = acc_delta.add(eps).sqrt_().clone()
        delta.div_(std).mul_(grad)
        acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        if cplx:
            delta = view_as_complex(delta)
        _number_alpha(lr)
        p.add_(delta, alpha=-lr)
