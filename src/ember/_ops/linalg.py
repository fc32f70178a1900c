"""Matrix products."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._core import check_same_device, make, sum_to, xp_of

_LOW = (D.float16, D.bfloat16)


def _check_float_or_same(a, b, name):
    if not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument 'mat2' (position 1) must be Tensor, not "
                        f"{type(b).__name__}")
    check_same_device(a, b)
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != "
                           f"{b.dtype}" if name in ("mm", "addmm") else
                           f"expected scalar type {_legacy(a.dtype)} but found "
                           f"{_legacy(b.dtype)}")


def _legacy(dt):
    from ._core import _legacy as f

    return f(dt)


def _mm_arr(x, y):
    if x.dtype in (np.float16,) or x.dtype == D.bfloat16.np:
        return np.matmul(x.astype(np.float32), y.astype(np.float32)).astype(x.dtype)
    return x @ y


def mm(a, b):
    _check_float_or_same(a, b, "mm")
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"{'self' if a.ndim != 2 else 'mat2'} must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    return make(_mm_arr(a._data, b._data), (a, b), "MmBackward0", _mm_rule, a, b)


def _mm_rule(ctx, g):
    a, b = ctx.saved
    return (_grad_mat1(g, b, a) if ctx.needs_input_grad[0] else None,
            _grad_mat2(g, a, b) if ctx.needs_input_grad[1] else None)


def _transposed(t):
    """Whether a matrix is stored column-major (a ``.t()`` of a contiguous one)."""
    d = t._data
    return d.ndim == 2 and not d.flags.c_contiguous and d.flags.f_contiguous


def _grad_mat1(g, b, a=None):
    # NOTE: as PyTorch does, each gradient is produced in the memory layout of the matrix
    # it belongs to, so that a transposed weight gets a gradient it can keep without a copy.
    if a is not None and _transposed(a):
        return b.mm(g.t()).t()
    return g.mm(b.t())


def _grad_mat2(g, a, b):
    if _transposed(b):
        return g.t().mm(a).t()
    return a.t().mm(g)


def addmm(bias, a, b, *, beta=1, alpha=1):
    """``beta * bias + alpha * (a @ b)``: what ``nn.Linear`` runs on 2-D input."""
    _check_float_or_same(a, b, "addmm")
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError("mat1 must be a matrix" if a.ndim != 2 else "mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    prod = _mm_arr(a._data, b._data)
    if alpha != 1:
        prod = prod * alpha
    bias_arr = bias._data if beta == 1 else bias._data * beta
    out = prod + bias_arr if beta != 0 else prod
    if out.shape != prod.shape:
        raise RuntimeError(f"The expanded size of the tensor ({prod.shape[-1]}) must match the "
                           f"existing size ({bias.shape[-1]}) at non-singleton dimension 1.")
    out = out.astype(prod.dtype, copy=False)
    bshape = bias.shape

    def rule(ctx, g):
        a, b = ctx.saved
        n0, n1, n2 = ctx.needs_input_grad
        gb = sum_to(g * beta if beta != 1 else g, bshape) if n0 else None
        ga = gm = None
        if n1:
            ga = _grad_mat1(g, b, a)
            ga = ga * alpha if alpha != 1 else ga
        if n2:
            gm = _grad_mat2(g, a, b)
            gm = gm * alpha if alpha != 1 else gm
        return gb, ga, gm
    return make(out, (bias, a, b), "AddmmBackward0", rule, a, b)


def bmm(a, b):
    _check_float_or_same(a, b, "bmm")
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor" if a.ndim != 3 else
                           "batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    return make(_mm_arr(a._data, b._data), (a, b), "BmmBackward0",
                lambda ctx, g: (g.bmm(ctx.saved[1].mT) if ctx.needs_input_grad[0] else None,
                                ctx.saved[0].mT.bmm(g) if ctx.needs_input_grad[1] else None),
                a, b)


def mv(a, v):
    _check_float_or_same(a, v, "mv")
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {v.ndim}, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x"
                           f"{a.shape[1]}), vec ({v.shape[0]})")
    return make(_mm_arr(a._data, v._data), (a, v), "MvBackward0",
                lambda ctx, g: (g.outer(ctx.saved[1]) if ctx.needs_input_grad[0] else None,
                                ctx.saved[0].t().mv(g) if ctx.needs_input_grad[1] else None),
                a, v)


def dot(a, b):
    _check_float_or_same(a, b, "dot")
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    arr = np.asarray(_mm_arr(a._data, b._data))
    return make(arr, (a, b), "DotBackward0",
                lambda ctx, g: (g * ctx.saved[1] if ctx.needs_input_grad[0] else None,
                                g * ctx.saved[0] if ctx.needs_input_grad[1] else None), a, b)


def outer(a, b):
    return a.reshape(-1, 1) * b


def matmul(a, b):
    """``a @ b`` with PyTorch's rules for 1-D, 2-D and batched operands."""
    if not isinstance(b, Tensor) or not isinstance(a, Tensor):
        raise TypeError("matmul(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(b).__name__}")
    da, db = a.ndim, b.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D "
                           f"and {db}D")
    if da == 1 and db == 1:
        return dot(a, b)
    if da == 2 and db == 1:
        return mv(a, b)
    if da == 1 and db == 2:
        return mm(a.unsqueeze(0), b).squeeze(0)
    if da == 2 and db == 2:
        return mm(a, b)
    if da >= 3 and db <= 2:
        # Fold the batch into rows: one mm, as PyTorch does.
        if a.shape[-1] != b.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                               f"({a.numel() // max(a.shape[-1], 1)}x{a.shape[-1]} and "
                               f"{b.shape[0]}x{b.shape[-1] if db == 2 else 1})")
        lead = tuple(a.shape[:-1])
        bb = b if db == 2 else b.unsqueeze(1)
        out = mm(a.reshape(-1, a.shape[-1]), bb)
        shape = lead + ((bb.shape[1],) if db == 2 else ())
        return _unsafe_view(out, shape)
    _check_float_or_same(a, b, "matmul")
    a2 = a.unsqueeze(0) if da == 1 else a
    b2 = b.unsqueeze(-1) if db == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a2.shape[0]}, {a2.shape[-1]}] but got: [{b2.shape[0]}, "
                           f"{b2.shape[-2]}].")
    batch = np.broadcast_shapes(tuple(a2.shape[:-2]), tuple(b2.shape[:-2]))
    x = a2.expand(batch + tuple(a2.shape[-2:])).reshape(-1, *a2.shape[-2:])
    y = b2.expand(batch + tuple(b2.shape[-2:])).reshape(-1, *b2.shape[-2:])
    out = bmm(x, y)
    shape = batch + (a2.shape[-2], b2.shape[-1])
    out = _unsafe_view(out, shape)
    if da == 1:
        out = out.squeeze(-2)
    if db == 1:
        out = out.squeeze(-1)
    return out


def _unsafe_view(t, shape):
    return make(t._data.reshape(shape), (t,), "UnsafeViewBackward0",
                lambda ctx, g: (g.reshape(ctx.saved[0]),), t.shape)


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    ins, _, out = eq.partition("->")
    terms = ins.split(",")
    if len(terms) != len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the "
                           f"equation" if len(operands) > len(terms) else
                           "einsum(): fewer operands were provided than specified in the "
                           "equation")
    if not _ and "..." not in eq:
        letters = sorted(set(c for c in ins if c.isalpha()),)
        out = "".join(c for c in letters if ins.count(c) == 1)
    dt = D.result_type(*operands)
    arrs = [o._data.astype(dt.np, copy=False) for o in operands]
    arr = np.asarray(np.einsum(f"{ins}->{out}", *arrs, optimize=len(arrs) > 2))

    def rule(ctx, g):
        grads = []
        for i, term in enumerate(terms):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [o for j, o in enumerate(operands) if j != i]
            oterms = [t for j, t in enumerate(terms) if j != i]
            # d out / d operand_i: contract the output gradient with every other operand.
            sub = ",".join([out] + oterms) + "->" + term
            if "..." in term or any(term.count(c) > 1 for c in term):
                raise NotImplementedError("einsum backward with repeated or ellipsis indices "
                                          "is not supported by ember")
            missing = [c for c in term if c not in out and all(c not in t for t in oterms)]
            if missing:
                ones_shape = ",".join([out] + oterms + ["".join(missing)]) + "->" + term
                from .creation import ones

                sizes = tuple(operands[i].shape[term.index(c)] for c in missing)
                grads.append(einsum(ones_shape, g, *others, ones(sizes, dtype=g.dtype)))
            else:
                grads.append(einsum(sub, g, *others))
        return tuple(grads)
    return make(arr, tuple(operands), "EinsumBackward0", rule)


def tensordot(a, b, dims=2):
    if isinstance(dims, int):
        ax = (list(range(a.ndim - dims, a.ndim)), list(range(dims)))
    else:
        ax = dims
    letters = "abcdefghijklmnopqrstuvwxyz"
    ta = list(letters[:a.ndim])
    tb = list(letters[a.ndim:a.ndim + b.ndim])
    for i, j in zip(*ax):
        tb[j] = ta[i]
    out = [c for c in ta if c not in tb] + [c for c in tb if c not in ta]
    return einsum(f"{''.join(ta)},{''.join(tb)}->{''.join(out)}", a, b)


def xp(t):
    return xp_of(t)
