"""``gradcheck`` and ``gradgradcheck``: compare a function's gradients (as autograd computes
them) with finite differences, as ``torch.autograd.gradcheck`` does.

For every output and every input that requires grad, two Jacobians of shape
``(input.numel(), output.numel())`` are built:

- numerical: central differences, ``(f(x + eps) - f(x - eps)) / (2 eps)`` per input
  element, in the output's dtype (inputs should be float64 for this to be accurate);
- analytical: one backward pass per output element with a one-hot upstream gradient
  (run twice, to catch a backward that is not deterministic).

They must agree as ``allclose(analytical, numerical, rtol, atol)``; otherwise a
:class:`GradcheckError` (a ``RuntimeError``) names the pair and shows both Jacobians,
or with ``raise_exception=False`` the check returns False.

``check_forward_ad`` compares the Jacobians of forward-mode AD (``forward_ad``) too, for
real inputs; ``check_batched_forward_grad`` is refused; ``fast_mode`` checks ``v^T J u`` as
PyTorch's does for real inputs and outputs (else the full check); ``check_batched_grad`` adds
nothing here (gradients are computed one at a time).
``check_undefined_grad`` runs the function again and back-propagates zeros through it, as
PyTorch's does with undefined gradients (which a custom ``Function`` sees as zeros too,
unless it turned ``set_materialize_grads`` off).
"""
from __future__ import annotations

from ember._warnings import warn as _warn

import numpy as np

from .._tensor import Tensor
from .grad_mode import no_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """A gradient check failed (PyTorch's ``torch.autograd.gradcheck.GradcheckError``)."""


_NOT_REENTRANT = (
    "Backward is not reentrant, i.e., running backward with same input and grad_output "
    "multiple times gives different values, although analytical gradient matches numerical "
    "gradient.The tolerance for nondeterminism was {tol}.\n\n"
    "NOTE: If your op relies on non-deterministic operations i.e., it is listed here:\n"
    "https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html\n"
    "this failure might be expected.\n\n"
    "If you are adding a new operator, please file an issue and then use one of the\n"
    "workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.\n"
    "If the test\n"
    "- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck\n"
    "  with `nondet_tol=<tol>` as a keyword argument.\n"
    "- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test\n"
    "  to have `gradcheck_nondet_tol=<tol>`.\n"
    "- is a Module test (e.g., in common_nn.py), then modify the corresponding\n"
    "  module_test entry to have `gradcheck_nondet_tol=<tol>`\n")


def _tupled(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _check_inputs(inputs):
    """PyTorch's checks: a warning for inputs that are not float64, an error for inputs with
    overlapping memory, and at least one input must require grad."""
    any_grad = False
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            continue
        any_grad = True
        if t.dtype.name not in ("float64", "complex128"):
            _warn(f"Input #{i} requires gradient and is not a double precision floating "
                  "point or complex. This check will likely fail if all the inputs are not of "
                  "double precision floating point or complex. ")
        if any(st == 0 and n > 1 for st, n in zip(t.stride(), t.shape)):
            raise RuntimeError(f"The {i}th input has a dimension with stride 0. gradcheck only "
                               "supports inputs that are non-overlapping to be able to compute "
                               "the numerical gradients correctly. You should call .contiguous "
                               "on the input before passing it to gradcheck.")
    if not any_grad:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")


def _tensors(outputs):
    return [o for o in outputs if isinstance(o, Tensor)]


def _numerical(func, inputs, diff_idx, outputs, eps):
    """Per differentiable input, per tensor output: the central-difference Jacobians
    ``(input.numel(), output.numel())`` in the output's dtype (as NumPy arrays), one for a
    step along the real axis and, for a complex input, one along the imaginary axis
    (else None)."""
    result = []
    for i in diff_idx:
        x = inputs[i]
        a = x._data  # perturbed in place, without a version bump, and put back exactly
        steps = (1, 1j) if a.dtype.kind == "c" else (1,)
        per_step = []
        for unit in steps:
            columns = [np.zeros((x.numel(), o.numel()), dtype=o._data.dtype) for o in outputs]
            for k in range(x.numel()):
                pos = np.unravel_index(k, a.shape) if a.ndim else ()
                orig = a[pos].copy()
                a[pos] = orig - a.dtype.type(eps * unit)
                # copies taken at once: an output may be a view of the perturbed input
                before = [_host(t).copy() for t in _tensors(_tupled(func(*inputs)))]
                a[pos] = orig + a.dtype.type(eps * unit)
                after = [_host(t).copy() for t in _tensors(_tupled(func(*inputs)))]
                a[pos] = orig
                for col, lo, hi in zip(columns, before, after):
                    diff = (hi - lo) / (2 * eps)
                    col[k] = np.asarray(diff, dtype=col.dtype).reshape(-1)
            per_step.append(columns)
        result.append([(re_, im_) for re_, im_ in
                       zip(per_step[0], per_step[1] if len(per_step) > 1 else
                           [None] * len(outputs))])
    return result


def _part_of(jac, part):
    """The real (``part`` 0) or imaginary (1) part of a numerical Jacobian."""
    if jac.dtype.kind != "c":
        return jac if part == 0 else np.zeros_like(jac)
    return jac.real if part == 0 else jac.imag


def _numerical_for(pair, part):
    """The numerical Jacobian of the real function ``part`` of an output, for one input:
    for a complex input ``d/dx + 1j d/dy`` (PyTorch's conjugate-Wirtinger convention)."""
    along_re, along_im = pair
    jac = _part_of(along_re, part)
    if along_im is not None:
        jac = jac + 1j * _part_of(along_im, part)
    return jac


def _host(t):
    """A tensor's values as a NumPy array (floating, for differences)."""
    a = t.detach().numpy(force=True) if hasattr(t, "numpy") else np.asarray(t)
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    return a


def _analytical(output, inputs, diff_idx, unit=1):
    """The Jacobian of ``output`` for each differentiable input, one backward pass per
    output element (upstream ``unit``: 1, or 1j for the imaginary part of a complex
    output); also whether each gradient had its input's dtype and size."""
    from .._ops.creation import zeros_like
    from . import grad

    diff_inputs = [inputs[i] for i in diff_idx]
    n_out = output.numel()
    jac = [np.zeros((t.numel(), n_out), dtype=t._data.dtype) for t in diff_inputs]
    types_ok = sizes_ok = True
    for k in range(n_out):
        onehot = zeros_like(output).contiguous()  # (a transposed output's layout: no view)
        with no_grad():
            onehot.view(-1)[k] = unit
        grads = grad(output, diff_inputs, onehot, retain_graph=True, allow_unused=True)
        for j, (g, t) in enumerate(zip(grads, diff_inputs)):
            if g is None:
                continue
            if g.dtype is not t.dtype:
                types_ok = False
            if tuple(g.shape) != tuple(t.shape):
                sizes_ok = False
                continue
            jac[j][:, k] = g.detach().numpy(force=True).reshape(-1)
    return jac, types_ok, sizes_ok


def _as_tensor(a, like):
    from .._ops.creation import from_numpy

    return from_numpy(np.ascontiguousarray(a)).to(like.device)


def _slow_check(func, inputs, func_out, eps, atol, rtol, nondet_tol, check_grad_dtypes):
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    all_out = _tensors(func_out)
    diff_out = [o for o in all_out if o.requires_grad]
    numerical = _numerical(func, inputs, diff_idx, all_out, eps)
    if not diff_out:
        # nothing to back-propagate: the function must not depend on its inputs
        for per_input in numerical:
            for pair in per_input:
                if any(jac is not None and np.any(jac != 0) for jac in pair):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    cols = [c for c, o in enumerate(all_out) if o.requires_grad]
    # NOTE: as in PyTorch, a complex output is checked as two real functions, its imaginary
    # part (upstream gradient 1j) first and then its real part (upstream gradient 1).
    parts = [(0, 1, "")]
    if any(o.dtype.is_complex for o in diff_out):
        parts = [(1, 1j, "While considering the imaginary part of complex outputs only, "),
                 (0, 1, "While considering the real part of complex outputs only, ")]
    for part, unit, prefix in parts:
        for oi, (col, o) in enumerate(zip(cols, diff_out)):
            if part and not o.dtype.is_complex:
                continue
            first, types_ok, sizes_ok = _analytical(o, inputs, diff_idx, unit)
            second, _, _ = _analytical(o, inputs, diff_idx, unit)
            if not types_ok and check_grad_dtypes:
                raise GradcheckError("Gradient has dtype mismatch")
            if not sizes_ok:
                raise GradcheckError("Analytical gradient has incorrect size")
            for a, b in zip(first, second):
                if a.size and np.abs(a.astype(np.complex128) - b).max() > nondet_tol:
                    raise GradcheckError(_NOT_REENTRANT.format(tol=nondet_tol))
            for j, (a, per_input) in enumerate(zip(first, numerical)):
                n = _numerical_for(per_input[col], part)
                close = np.allclose(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64),
                                    n, rtol=rtol, atol=atol, equal_nan=False)
                if not close:
                    raise GradcheckError(
                        f"{prefix}Jacobian mismatch for output {oi} with respect to input {j},\n"
                        f"numerical:{_as_tensor(n, o)!r}\nanalytical:{_as_tensor(a, o)!r}\n")
    return True


_FAST_FAIL_SLOW_OK = (
    "\nFast gradcheck failed but element-wise differences are small. This means that the\n"
    "test might've passed in slow_mode!\n\n"
    "If you are adding a new operator, please file an issue and then use one of the\n"
    "workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck:\n\n"
    "If the test\n"
    "- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck\n"
    "  with `fast_mode=False` as a keyword argument.\n"
    "- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test\n"
    "  to have `gradcheck_fast_mode=False`\n"
    "- is a Module test (e.g., in common_nn.py), then modify the corresponding\n"
    "  module_test entry to have `gradcheck_fast_mode=False`")


def _fast_check(func, inputs, func_out, eps, atol, rtol, nondet_tol, check_grad_dtypes):
    """``fast_mode``, as PyTorch's for real inputs and outputs: ``v^T J u`` for random unit
    vectors ``u`` (per input) and ``v`` (per output), drawn from a fresh generator, by
    central differences along ``u`` and by one backward pass with ``v``; on a mismatch
    the message adds the slow mode's Jacobians.  Else (complex, no differentiable output)
    the slow check runs."""
    from .._ops.creation import rand, zeros_like
    from ..random import Generator
    from . import grad

    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    diff_in = [inputs[i] for i in diff_idx]
    all_out = _tensors(func_out)
    outputs = [o for o in all_out if o.requires_grad]
    if not outputs or any(t.is_complex() for t in diff_in + all_out):
        return _slow_check(func, inputs, func_out, eps, atol, rtol, nondet_tol,
                           check_grad_dtypes)
    gen = Generator()

    def unit(t):
        vec = rand(t.numel(), generator=gen).to(dtype=t.dtype)
        return vec / vec.norm()
    all_u = [unit(t) for t in diff_in]
    all_v = [unit(o) for o in outputs]
    numerical = []
    for x, u in zip(diff_in, all_u):
        a = x._data  # perturbed in place, without a version bump, and put back exactly
        delta = (eps * u.reshape(x.shape))._data
        orig = a.copy()
        a[...] = orig - delta
        lo = [t.detach().clone() for t in _tupled(func(*inputs))]
        a[...] = orig + delta
        hi = [t.detach().clone() for t in _tupled(func(*inputs))]
        a[...] = orig
        ju = [((b - c) / (2 * eps)).reshape(-1) for c, b in zip(lo, hi)
              if b.is_floating_point() or b.is_complex()]
        numerical.append([(v * j).sum() for v, j in zip(all_v, ju)])
    analytical = []
    for o, v in zip(outputs, all_v):
        runs = [grad(o, diff_in, v.reshape(o.shape), retain_graph=True, allow_unused=True)
                for _ in range(2)]
        for g, t in zip(runs[0], diff_in):
            if g is not None and tuple(g.shape) != tuple(t.shape):
                raise GradcheckError("Analytical gradient has incorrect size")
            if g is not None and g.dtype is not t.dtype and check_grad_dtypes:
                raise GradcheckError("Gradient has dtype mismatch")
        for g1, g2 in zip(*runs):
            if g1 is not None and g2 is not None and g1.numel() and \
                    float((g1 - g2).abs().max()) > nondet_tol:
                raise GradcheckError(_NOT_REENTRANT.format(tol=nondet_tol))
        analytical.append([(zeros_like(t) if g is None else g).reshape(-1).dot(u)
                           for g, t, u in zip(runs[0], diff_in, all_u)])
    for i, per_input in enumerate(numerical):
        for j, n in enumerate(per_input):
            a = analytical[j][i]
            tol = atol * float(all_u[i].sum()) * float(all_v[j].sum())
            if abs(float(a) - float(n)) <= tol + rtol * abs(float(n)):
                continue
            slow_n = _numerical(func, inputs, [diff_idx[i]], all_out, eps)[0][j][0]
            slow_a = _analytical(outputs[j], inputs, [diff_idx[i]])[0][0]
            o = outputs[j]
            msg = (f"Jacobian mismatch for output {j} with respect to input {i},\n"
                   f"numerical:{n}\nanalytical:{a}\n"
                   "\nThe above quantities relating the numerical and analytical jacobians are "
                   "computed \nin fast mode. See: https://github.com/pytorch/pytorch/issues/53876 "
                   "for more background \nabout fast mode. Below, we recompute numerical and "
                   "analytical jacobians in slow mode:\n\n"
                   f"Numerical:\n {_as_tensor(slow_n, o)!r}\n"
                   f"Analytical:\n{_as_tensor(slow_a, o)!r}\n\n"
                   "The max per-element difference (slow mode) is: "
                   f"{float(np.abs(slow_n - slow_a).max())}.\n")
            if np.allclose(slow_a, slow_n, rtol=rtol, atol=atol):
                msg += _FAST_FAIL_SLOW_OK
            raise GradcheckError(msg)
    return True


def _forward_check(func, inputs, func_out, eps, atol, rtol):
    """``check_forward_ad``: the Jacobians that forward-mode AD gives (one unit tangent per
    input element, as PyTorch's slow mode) against the numerical ones."""
    from .._ops.creation import zeros_like
    from . import forward_ad as fwAD

    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    all_out = _tensors(func_out)
    cols = [c for c, o in enumerate(all_out) if o.requires_grad]
    if not cols:
        return
    numerical = _numerical(func, inputs, diff_idx, all_out, eps)
    for j, i in enumerate(diff_idx):
        x = inputs[i]
        jac = [np.zeros((x.numel(), all_out[c].numel()), dtype=all_out[c]._data.dtype)
               for c in cols]
        for k in range(x.numel()):
            tangent = zeros_like(x).contiguous()
            with no_grad():
                tangent.view(-1)[k] = 1
            with fwAD.dual_level():
                args = [fwAD.make_dual(t.detach(), tangent) if n == i else
                        (t.detach() if n in diff_idx else t) for n, t in enumerate(inputs)]
                outs = [o for o in _tensors(_tupled(func(*args)))
                        if o.is_floating_point() or o.is_complex()]
                for col, c in zip(jac, cols):
                    res = fwAD.unpack_dual(outs[c]).tangent
                    if res is not None:
                        col[k] = res.detach().numpy(force=True).reshape(-1)
        for oi, (c, a) in enumerate(zip(cols, jac)):
            n = numerical[j][c][0]
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=False):
                o = all_out[c]
                raise GradcheckError(
                    f"Jacobian computed with forward mode mismatch for output {oi} with respect "
                    f"to input {j},\nnumerical:{_as_tensor(n, o)!r}\n"
                    f"analytical:{_as_tensor(a, o)!r}\n")


def _check_scales_with_grad_output(func_out, inputs):
    """A zero upstream gradient must give zero input gradients of the input's dtype,
    device and size (PyTorch's last check)."""
    from .._ops.creation import zeros_like
    from . import grad

    outputs = [o for o in func_out if o.requires_grad]
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not outputs:
        return
    grads = grad(outputs, diff_inputs, [zeros_like(o) for o in outputs], allow_unused=True)
    for g, t in zip(grads, diff_inputs):
        if g is None:
            continue
        if bool((g != 0).any()):
            raise GradcheckError("backward not multiplied by grad_output")
        if g.dtype is not t.dtype:
            raise GradcheckError("grad is incorrect type")
        if g.device != t.device:
            raise GradcheckError("grad is incorrect device")
        if tuple(g.shape) != tuple(t.shape):
            raise GradcheckError("grad is incorrect size")


_UNDEFINED_NOTE = ('Please look at "Notes about undefined output gradients" in '
                   '"tools/autograd/derivatives.yaml"')


def _check_undefined_grad(func, inputs, n_outputs):
    """PyTorch's check that a backward copes with undefined output gradients: the function is
    run again and all-zero gradients (ember's stand-in for undefined ones) go back through
    it, then once more per output when there are several."""
    from .._ops.creation import zeros_like
    from . import grad

    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")

    def outputs():
        return [o for o in _tupled(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]

    def warn_bc_breaking():
        _warn("Backwards compatibility: New undefined gradient support checking feature is "
              "enabled by default, but it may break existing callers of this function. If "
              "this is true for you, you can call this function with "
              '"check_undefined_grad=False" to disable the feature')

    def check(outs):
        try:
            grads = grad(outs, diff_inputs, [zeros_like(o) for o in outs], allow_unused=True)
        except RuntimeError as exc:
            warn_bc_breaking()
            raise GradcheckError("Expected backward function to handle undefined output "
                                 f"grads. {_UNDEFINED_NOTE}") from exc
        for g in grads:
            if g is not None and not bool(g.eq(0).all()):
                warn_bc_breaking()
                raise GradcheckError("Expected all input grads to be undefined or zero when "
                                     "all output grads are undefined or zero. "
                                     f"{_UNDEFINED_NOTE}")

    checks = [outputs()]
    if len(checks[0]) > 1:
        checks += [outputs() for _ in range(n_outputs)]
    for outs in checks:
        if outs:
            check(outs)


def gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences.

    Returns True, or raises :class:`GradcheckError` (returns False with
    ``raise_exception=False``).  Inputs that require grad should be float64.

    >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    >>> gradcheck(ember.sin, (x,))
    True
    """
    inputs = _tupled(inputs)
    if check_batched_forward_grad or (check_forward_ad and any(
            isinstance(t, Tensor) and t.requires_grad and t.is_complex() for t in inputs)):
        raise NotImplementedError("ember's gradcheck does not support check_batched_forward_grad "
                                  "nor check_forward_ad with complex inputs")
    _check_inputs(inputs)
    try:
        if not (check_backward_ad or check_forward_ad):
            return True
        func_out = _tupled(func(*inputs))
        for o in func_out:
            o.requires_grad  # noqa: B018  (PyTorch's AttributeError for a non-tensor output)
        if check_backward_ad:
            (_fast_check if fast_mode else _slow_check)(
                func, inputs, func_out, eps, atol, rtol, nondet_tol, check_grad_dtypes)
        if check_forward_ad:
            _forward_check(func, inputs, func_out, eps, atol, rtol)
        if check_backward_ad:
            _check_scales_with_grad_output(func_out, inputs)
            if check_undefined_grad:
                _check_undefined_grad(func, inputs, len(func_out))
        return True
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False) -> bool:
    """Check second derivatives: :func:`gradcheck` of the map from (inputs, upstream
    gradients) to the input gradients, built with ``create_graph=True``.

    Without ``grad_outputs``, random ones (uniform in [-1, 1], from the default
    generator, as PyTorch draws them) are used.
    """
    from .. import _dtype as D
    from .._ops.creation import empty
    from . import grad

    inputs = _tupled(inputs)
    if grad_outputs is None:
        outs = [o for o in _tupled(func(*inputs)) if o.requires_grad]
        grad_outputs = tuple(
            empty(tuple(o.shape), dtype=o.dtype if o.is_floating_point() or o.is_complex()
                  else D.float64,
                  device=o.device).uniform_(-1, 1).requires_grad_() for o in outs)
    else:
        grad_outputs = _tupled(grad_outputs)
    n_out = len(grad_outputs)

    def first_derivatives(*args):
        xs, ups = args[:-n_out], args[-n_out:]
        outs = tuple(o for o in _tupled(func(*xs)) if o.requires_grad)
        diff_xs = tuple(x for x in xs if isinstance(x, Tensor) and x.requires_grad)
        grads = grad(outs, diff_xs, ups, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     check_forward_ad=check_fwd_over_rev, check_backward_ad=check_rev_over_rev,
                     fast_mode=fast_mode, masked=masked)
