"""The differentiating transforms of ``torch.func``: ``grad``, ``grad_and_value``, ``vjp``,
``jvp``, ``jacrev``, ``jacfwd``, ``hessian`` and ``linearize``, on ember's reverse-mode
autograd.

Each one runs ``func`` on inputs made differentiable for it (see :mod:`._scope`), so they
nest (``grad(grad(f))``, ``jacfwd(jacrev(f))``) and compose with ``vmap``
(``vmap(grad(f))``).  Arguments may be pytrees (tuples, lists, dicts of tensors) and the
results follow their structure, as in PyTorch.

ember has no forward-mode AD: ``jvp`` and ``linearize`` use the double-backward trick
(``J v`` is the gradient, with respect to a dummy cotangent ``u``, of ``(u^T J) v``), and
``jacfwd`` pushes a column per input element forward the same way.  The numbers agree
with PyTorch's to rounding; the costs differ (a ``jacfwd`` column costs a backward pass, not
a forward pass).
"""
from __future__ import annotations

import functools

from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ._pytree import spec_pprint, tree_flatten, tree_unflatten
from ._scope import Scope, check_argnums, grads, replace_args, slice_argnums
from ._vmap import (
    _RANDOM_ERROR,
    _fingerprint,
    _generator,
    _random_error_flag,
    _same_state,
    _undraw,
    check_randomness,
)

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
           "linearize", "functionalize", "debug_unwrap"]

_JVP = "jvp(f, primals, tangents)"


def _lifted_args(scope, args, argnums):
    """``(call_args, flat_lifted, spec)``: ``args`` with the arguments at ``argnums`` (all of
    them for None) replaced by differentiable ones; ``spec`` describes the tuple of those
    arguments (``flat_lifted`` are its leaves)."""
    diff = args if argnums is None else slice_argnums(args, argnums)
    flat, spec = tree_flatten(diff)
    lifted = [scope.lift(t) for t in flat]
    new = tree_unflatten(lifted, spec)
    if argnums is None:
        return new, lifted, spec
    argnums = check_argnums(argnums, len(args))
    return replace_args(args, new[0] if isinstance(argnums, int) else new, argnums), \
        lifted, spec


def _split_aux(output, has_aux, api):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    return output


def _check_tensor_outputs(flat, api):
    if not flat or (len(flat) == 1 and flat[0] is None):
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output "
                           f"(got output = {flat})")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")


def _check_float_outputs(flat):
    for o in flat:
        if not (o.is_floating_point() or o.is_complex()):
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex "
                               f"Tensors, got Tensor with dtype {o.dtype}")


# -- grad ----------------------------------------------------------------------------------

def grad_and_value(func, argnums=0, has_aux=False):
    """Like :func:`grad`, but the function answers ``(gradient, value)`` (``(gradient,
    (value, aux))`` with ``has_aux``), from a single evaluation of ``func``.

    >>> grad_and_value(lambda x: (x ** 2).sum())(ember.tensor([1., 2.]))
    (tensor([2., 4.]), tensor(5.))
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        api = "grad_and_value(f)(*args)"
        scope = Scope(func)
        with scope, enable_grad():
            call_args, lifted, spec = _lifted_args(scope, args, argnums)
            output, aux = _split_aux(func(*call_args, **kwargs), has_aux, api)
            if not isinstance(output, Tensor):
                raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got "
                                   f"{type(output)}")
            if output.dim() != 0:
                raise RuntimeError(f"{api}: Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {output.dim()} dims. Maybe you wanted to use "
                                   "the vjp or jacrev APIs instead?")
            need = scope.wants_graph((output,))
            # (kept when there is an aux, which may share the graph and be differentiated later)
            found = grads([output], lifted, create_graph=need, retain_graph=need or has_aux)
        result = tree_unflatten(scope.unwrap(found), spec)
        if isinstance(check_argnums(argnums, len(args)), int):
            result = result[0]
        value = scope.unwrap(output)
        if has_aux:
            return result, (value, scope.unwrap(aux))
        return result, value

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``grad(f)(*args)``: the gradient of the scalar ``f(*args)`` with respect to the
    argument at ``argnums`` (a tuple of gradients for a tuple of argnums; a dict of them for
    a dict argument, and so on).  With ``has_aux``, ``f`` answers ``(output, aux)`` and
    ``grad(f)`` answers ``(gradient, aux)``.

    Nests (``grad(grad(f))``) and composes with ``vmap`` (``vmap(grad(f))``: per-sample
    gradients).  It records a graph for the gradient only where something outside requires
    grad (an enclosing transform's input, a parameter), so the plain case costs one forward
    and one backward pass.

    >>> grad(lambda x: x.sin().sum())(ember.tensor([0., 1.]))
    tensor([1.0000, 0.5403])
    """
    vg = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        result, value = vg(*args, **kwargs)
        return (result, value[1]) if has_aux else result

    return wrapper


# -- vjp -----------------------------------------------------------------------------------

def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` (``(output, vjp_fn, aux)`` with ``has_aux``), where
    ``vjp_fn(cotangents)`` answers the vector-Jacobian products ``cotangents^T J`` with
    respect to each primal, in the structure of ``primals``.  ``cotangents`` has the
    structure of the output; ``vjp_fn`` may be called many times.

    >>> out, vjp_fn = vjp(ember.sin, ember.zeros(2))
    >>> vjp_fn(ember.ones(2))
    (tensor([1., 1.]),)
    """
    return _vjp(func, primals, None, has_aux)


def _outputs(result, has_aux, api):
    """A transformed function's result: (output, aux, flat outputs, their structure), its
    outputs checked to be tensors."""
    output, aux = _split_aux(result, has_aux, api)
    flat_out, out_spec = tree_flatten(output)
    _check_tensor_outputs(flat_out, api)
    return output, aux, flat_out, out_spec


def _vjp(func, primals, argnums, has_aux):
    api = "vjp(f, *primals)"
    scope = Scope(func)
    with scope, enable_grad():
        call_args, lifted, spec = _lifted_args(scope, primals, argnums)
        output, aux, flat_out, out_spec = _outputs(func(*call_args), has_aux, api)
        _check_float_outputs(flat_out)
    outside = []  # whether the outputs reach outside, found on first need

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        from ..autograd.grad_mode import is_grad_enabled

        if create_graph is None:
            create_graph = is_grad_enabled()
        flat_ct, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function. cotangents: "
                               f"{spec_pprint(ct_spec)}, primal output: {spec_pprint(out_spec)}")
        if create_graph and not outside:
            outside.append(scope.reaches_outside(flat_out))
        need = create_graph and (outside[0] or any(
            isinstance(c, Tensor) and c.requires_grad for c in flat_ct))
        found = grads(flat_out, lifted, flat_ct, create_graph=need,
                      retain_graph=retain_graph or need)
        if need:
            found = scope.unwrap(found)
        return tree_unflatten(found, spec)

    results = scope.unwrap(output)
    if has_aux:
        return results, vjp_fn, scope.unwrap(aux)
    return results, vjp_fn


# -- jvp -----------------------------------------------------------------------------------

def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)`` (``(output, jvp_out, aux)`` with ``has_aux``):
    the Jacobian-vector product.  ``primals`` is a tuple (of tensors or pytrees of them) and
    ``tangents`` has the same structure and shapes; ``jvp_out`` has the output's.

    ember computes it with the double-backward trick (two backward passes), so ``func`` must
    be twice differentiable by reverse mode; PyTorch uses forward-mode AD.  An output
    independent of the primals gets a zero tangent (an error with ``strict=True``).

    >>> jvp(lambda x: x ** 2, (ember.tensor([1., 2.]),), (ember.ones(2),))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    return _jvp(func, primals, tangents, None, strict=strict, has_aux=has_aux)


def _check_dual_dtype(primal, tangent=None):
    """PyTorch's ``make_dual`` refusals of a primal or tangent that is not floating point
    or complex (forward mode's transforms make dual tensors of their inputs)."""
    for t, name in ((primal, "primal"), (tangent, "tangent")):
        if t is not None and not (t.is_floating_point() or t.is_complex()):
            raise ValueError(f"Expected {name} to be floating point or complex, but got: "
                             f"{t.dtype}")


def _check_jvp_args(primals, tangents, argnums):
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid "
                           "to call f(*primals).")
    diff = primals if argnums is None else slice_argnums(primals, argnums)
    flat_p, p_spec = tree_flatten(diff)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{_JVP}: Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, "
                           "tangents also must be. Got primals with structure "
                           f"{p_spec} and tangents with structure {t_spec}")
    for flat, name in ((flat_p, "primals"), (flat_t, "tangents")):
        if not flat:
            raise RuntimeError(f"{_JVP}: Expected {name} to contain at least one Tensor.")
        for x in flat:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"{_JVP}: Expected {name} to only contain Tensors, got "
                                   f"{type(x)}")
    for p, t in zip(flat_p, flat_t):
        _check_dual_dtype(p, t)
        if p.shape != t.shape:
            raise RuntimeError("Trying to set a forward gradient that has a different size than "
                               "that of the original Tensor, this is not supported. Tensor is "
                               f"of size {list(p.shape)} while the given forward gradient is "
                               f"of size {list(t.shape)}.")
    return flat_t


def _dual_graph(scope, flat_out, lifted):
    """``(dummies, vjps)``: a zero cotangent ``u`` (requiring grad) per differentiable output
    and ``u^T J`` per input, recorded so that it can be differentiated with respect to
    ``u``."""
    from .._ops.creation import ones_like
    from ..autograd import grad as autograd_grad

    diff = [i for i, o in enumerate(flat_out) if o.requires_grad]
    # (ones, not zeros: some backward rules skip a gradient that is all zeros, as the one
    # the engine fills in for an unused output; the vjp is linear in ``u`` either way)
    dummies = {i: ones_like(flat_out[i]).requires_grad_(True) for i in diff}
    if not diff:
        return dummies, [None] * len(lifted)
    from ..autograd.function import FWD_PUSH

    FWD_PUSH[0] += 1  # (custom Functions answer with their ``jvp``)
    try:
        with enable_grad():
            vjps = autograd_grad([flat_out[i] for i in diff], lifted,
                                 [dummies[i] for i in diff], create_graph=True,
                                 allow_unused=True)
    finally:
        FWD_PUSH[0] -= 1
    return dummies, list(vjps)


def _push_forward(flat_out, dummies, vjps, lifted, flat_t, need, retain=False):
    """``J t`` per output (None where the output does not depend on the inputs)."""
    from ..autograd import grad as autograd_grad

    pairs = [(v, t.to(v.dtype) if t.dtype != v.dtype else t)
             for v, t in zip(vjps, flat_t) if v is not None and v.requires_grad]
    keys = list(dummies)
    out = [None] * len(flat_out)
    if pairs and keys:
        with enable_grad():
            found = autograd_grad([v for v, _ in pairs], [dummies[i] for i in keys],
                                  [t for _, t in pairs], create_graph=need,
                                  retain_graph=retain or need, allow_unused=True)
        for i, g in zip(keys, found):
            out[i] = g
    return out


def _jvp(func, primals, tangents, argnums, *, strict, has_aux):
    from .._ops.creation import zeros_like

    flat_t = _check_jvp_args(primals, tangents, argnums)
    scope = Scope(func)
    scope.mode = "jvp"
    with scope, enable_grad():
        call_args, lifted, _ = _lifted_args(scope, primals, argnums)
        output, aux, flat_out, out_spec = _outputs(func(*call_args), has_aux, _JVP)
        dummies, vjps = _dual_graph(scope, flat_out, lifted)
        need = scope.wants_graph(flat_out, extra=flat_t)
        pushed = _push_forward(flat_out, dummies, vjps, lifted, flat_t, need, retain=has_aux)
    tangents_out = []
    for o, t in zip(flat_out, pushed):
        if t is None:
            if strict:
                raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is "
                                   "independent of the inputs. This is not allowed with "
                                   "strict=True.")
            t = zeros_like(o).detach()
        tangents_out.append(t)
    primals_out = tree_unflatten(scope.unwrap(flat_out), out_spec)
    tangents_out = tree_unflatten(scope.unwrap(tangents_out), out_spec)
    if has_aux:
        return primals_out, tangents_out, scope.unwrap(aux)
    return primals_out, tangents_out


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` answers ``J @ tangents`` at
    ``primals`` as :func:`jvp` does, reusing one recorded graph for every call (the
    double-backward trick; PyTorch traces a forward-mode graph instead).

    >>> out, jvp_fn = linearize(ember.sin, ember.zeros(2))
    >>> jvp_fn(ember.ones(2))
    tensor([1., 1.])
    """
    from .._ops.creation import zeros_like

    scope = Scope(func)
    scope.mode = "jvp"
    flat_p, p_spec = tree_flatten(primals)
    for p in flat_p:
        if isinstance(p, Tensor):
            _check_dual_dtype(p)
    with scope, enable_grad():
        call_args, lifted, _ = _lifted_args(scope, primals, None)
        output = func(*call_args)
        flat_out, out_spec = tree_flatten(output)
        _check_tensor_outputs(flat_out, _JVP)
        dummies, vjps = _dual_graph(scope, flat_out, lifted)
    shapes = [(p.shape, p.device, p.dtype) for p in flat_p]

    def jvp_fn(*tangents):
        flat_t, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(f"Expected the tangents {t_spec} to have the same argspec as the "
                               f"primals {p_spec}")
        for idx, (t, (shape, device, dtype)) in enumerate(zip(flat_t, shapes)):
            for what, mine, theirs in (("shape", t.shape, shape), ("device", t.device, device),
                                       ("dtype", t.dtype, dtype)):
                if mine != theirs:
                    raise RuntimeError(f"tangent:{idx} with {what} {mine} in flattened pytree "
                                       f"doesn't match the {what} {theirs} of the "
                                       "corresponding primal.")
        pushed = _push_forward(flat_out, dummies, vjps, lifted, flat_t, False, retain=True)
        return tree_unflatten([zeros_like(o).detach() if t is None else t
                               for o, t in zip(flat_out, pushed)], out_spec)

    return tree_unflatten([o.detach() for o in flat_out], out_spec), jvp_fn


# -- Jacobians -----------------------------------------------------------------------------

def _jacobian_blocks(out, lifted, need, others=()):
    """The Jacobian of ``out`` with respect to each of ``lifted``, a row (one backward pass)
    per element of ``out``: blocks shaped ``out.shape + input.shape``.  ``others``: the
    function's other outputs, back-propagated with zero cotangents as PyTorch's one vjp of
    all the outputs does (which decides the signs of zeros in the rows)."""
    from .._ops.creation import zeros, zeros_like
    from .._ops.shape import stack

    n = out.numel()
    shapes = [tuple(out.shape) + tuple(x.shape) for x in lifted]
    if n == 0 or not out.requires_grad:
        return [zeros(s, dtype=x.dtype, device=x.device) for s, x in zip(shapes, lifted)]
    rows = [[] for _ in lifted]
    for k in range(n):
        basis = zeros(n, dtype=out.dtype, device=out.device)
        basis[k] = 1
        found = grads([out, *others], lifted,
                      [basis.view(out.shape), *(zeros_like(o) for o in others)],
                      create_graph=need, retain_graph=True)
        for r, g in zip(rows, found):
            r.append(g)
    return [stack(r).reshape(s) for r, s in zip(rows, shapes)]


def _jacobian_columns(scope, flat_out, lifted, need):
    """Per output, the Jacobian blocks (``out.shape + input.shape``) for each of ``lifted``,
    a column (one tangent pushed forward) per input element."""
    from .._ops.creation import zeros, zeros_like
    from .._ops.shape import stack

    dummies, vjps = _dual_graph(scope, flat_out, lifted)
    blocks = [[] for _ in flat_out]
    for j, x in enumerate(lifted):
        cols = [[] for _ in flat_out]
        for k in range(x.numel()):
            basis = zeros(x.numel(), dtype=x.dtype, device=x.device)
            basis[k] = 1
            tangents = [basis.view(x.shape) if m == j else zeros_like(y).detach()
                        for m, y in enumerate(lifted)]
            pushed = _push_forward(flat_out, dummies, vjps, lifted, tangents, need, retain=True)
            for c, o, t in zip(cols, flat_out, pushed):
                c.append(zeros_like(o).detach() if t is None else t)
        for b, c, o in zip(blocks, cols, flat_out):
            shape = tuple(o.shape) + tuple(x.shape)
            b.append(stack(c, -1).reshape(shape) if c else
                     zeros(shape, dtype=o.dtype, device=o.device))
    return blocks


def _error_if_complex(api, tree, inputs):
    """PyTorch's refusal of complex inputs (all the arguments, differentiated or not) or
    outputs of the Jacobian transforms."""
    for idx, t in enumerate(tree_flatten(tree)[0]):
        if isinstance(t, Tensor) and t.is_complex():
            raise RuntimeError(f"{api}: Expected all {'inputs' if inputs else 'outputs'} to be "
                               "real but received complex tensor at flattened input idx: "
                               f"{idx}")


def _jacobian(func, args, argnums, has_aux, api, randomness=None):
    scope = Scope(func)
    if api == _JVP:
        scope.mode = "jacfwd"
    gen = _generator()
    with scope, enable_grad():
        call_args, lifted, spec = _lifted_args(scope, args, argnums)
        before = _fingerprint(gen) if randomness == "error" else None
        flag = _random_error_flag() if randomness == "error" else None
        if flag is not None:
            flag[0] += 1
        try:
            output = func(*call_args)
        finally:
            if flag is not None:
                flag[0] -= 1
        if before is not None and not _same_state(before, _fingerprint(gen)):
            _undraw(gen, before)
            raise RuntimeError(_RANDOM_ERROR)
        output, aux = _split_aux(output, has_aux, api)
        flat_out, out_spec = tree_flatten(output)
        _check_tensor_outputs(flat_out, api)
        if api.startswith("vjp"):
            _check_float_outputs(flat_out)
        _error_if_complex("jacfwd" if api == _JVP else "jacrev", flat_out, False)
        need = scope.wants_graph(flat_out)
        single = isinstance(check_argnums(argnums, len(args)), int)
        per_out = []
        # (jacfwd: a column per input element pushed forward, as PyTorch's forward mode
        # does, which decides the signs of zeros and the dtype of the blocks, and lets a
        # custom Function's ``jvp`` give them)
        columns = _jacobian_columns(scope, flat_out, lifted, need) if api == _JVP else None
        for i, o in enumerate(flat_out):
            others = flat_out[:i] + flat_out[i + 1:] if api.startswith("vjp") else ()
            blocks = columns[i] if columns is not None else \
                _jacobian_blocks(o, lifted, need, others)
            tree = tree_unflatten(blocks, spec)
            per_out.append(tree[0] if single else tree)
    jac = scope.unwrap(tree_unflatten(per_out, out_spec))
    if has_aux:
        return jac, scope.unwrap(aux)
    return jac


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """``jacrev(f)(*args)``: the Jacobian of ``f`` with respect to the argument(s) at
    ``argnums``, by reverse mode: for each output ``o`` and input ``x``, a tensor shaped
    ``o.shape + x.shape``, nested as the outputs (outer) and the ``argnums`` arguments
    (inner).  With ``has_aux``, answers ``(jacobian, aux)``.

    ember computes one row (one backward pass) per output element; ``chunk_size`` is checked
    and has no other effect.

    >>> jacrev(lambda x: x ** 2)(ember.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args):
        _error_if_complex("jacrev", args, True)
        return _jacobian(func, args, argnums, has_aux, "vjp(f, *primals)")

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``jacfwd(f)(*args)``: the Jacobian of ``f`` with respect to the argument(s) at
    ``argnums``, shaped and nested as :func:`jacrev`'s.

    PyTorch computes it by forward mode (a ``vmap`` of ``jvp``); ember, lacking forward-mode
    AD, pushes a tangent per input element forward by the double-backward trick of
    :func:`jvp` (so a custom ``autograd.Function``'s ``jvp`` gives its columns).
    ``randomness='error'`` raises PyTorch's error when ``f`` draws from the default CPU
    generator.

    >>> jacfwd(lambda x: x.sum(0))(ember.ones(2, 2))
    tensor([[[1., 0.],
             [1., 0.]],
    <BLANKLINE>
            [[0., 1.],
             [0., 1.]]])
    """
    @functools.wraps(func)
    def wrapper(*args):
        _error_if_complex("jacfwd", args, True)
        check_randomness(randomness)
        diff = slice_argnums(args, argnums)
        for x in tree_flatten(diff)[0]:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"{_JVP}: Expected primals to only contain Tensors, got "
                                   f"{type(x)}")
            _check_dual_dtype(x)
        return _jacobian(func, args, argnums, has_aux, _JVP, randomness)

    return wrapper


def hessian(func, argnums=0):
    """``hessian(f)(*args)``: the Hessian of the scalar ``f`` with respect to the argument(s)
    at ``argnums``, i.e. ``jacfwd(jacrev(f, argnums), argnums)``; for inputs ``x`` and ``y``,
    a block shaped ``x.shape + y.shape``.

    >>> hessian(lambda x: (x ** 3).sum())(ember.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


# -- the rest of torch.func ----------------------------------------------------------------

def functionalize(func, *, remove="mutations"):
    """``func`` itself (as a new function): ember runs programs eagerly, with no graph from
    which to remove mutations, and a function's results do not depend on whether its
    in-place operations are rewritten out-of-place."""
    if remove not in ("mutations", "mutations_and_views"):
        raise RuntimeError(
            "functionalize(f, remove='mutations'): received invalid argument for "
            f"remove={remove}. Valid options are:\n"
            "     remove='mutations': all inplace and out= operators will be removed from the "
            "program, and replaced with their out-of-place equivalents.\n"
            "     remove='mutations_and_views': In addition to the above, all aliasing "
            "operators {view} will be replaced with their non-aliasing counterparts, "
            "{view}_copy.\n")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def debug_unwrap(tensor, *, recurse=True):
    """``tensor`` itself: ember's transforms do not wrap tensors."""
    return tensor
