"""``einsum`` the way PyTorch evaluates it, built from ember's own ops.

PyTorch does not call a dedicated einsum kernel: it lines every operand up on one axis
order (the output's labels first, then the labels summed away), with ``diagonal`` for a
label repeated inside an operand, ``unsqueeze`` for the labels an operand lacks and one
``permute``; then it folds the operands together from the left, two at a time, each pair
as a ``bmm`` between ``permute``/``reshape`` steps (or a plain ``mul`` when the pair shares
no summed label), summing a label away as soon as no operand still to come holds it.
Doing the same steps with ember's ops gives PyTorch's values to the bit (the same ``bmm``
and ``sum``), its autograd graph (``ViewBackward0`` over ``PermuteBackward0`` over
``BmmBackward0``...) and its gradients, with no backward rule of our own.

(PyTorch takes a different pairing order when the ``opt_einsum`` package is installed
and ``torch.backends.opt_einsum`` is on; ember always folds from the left, PyTorch's
order without that package.)
"""
from __future__ import annotations

_N_LETTERS = 26
_ELLIPSIS = 2 * _N_LETTERS  # the code of "..." among the 52 label codes


def _code(ch):
    """A label's code: ``A``-``Z`` are 0-25, ``a``-``z`` 26-51 (PyTorch's order)."""
    return ord(ch) - ord("A") if ch.isupper() else ord(ch) - ord("a") + _N_LETTERS


def _letter(code):
    return chr(code + ord("A")) if code < _N_LETTERS else chr(code - _N_LETTERS + ord("a"))


def _is_label(ch):
    return ch.isascii() and ch.isalpha()


def _parse_inputs(lhs, n_ops):
    """The label codes of each operand, ``_ELLIPSIS`` standing for ``...``."""
    labels = [[] for _ in range(n_ops)]
    op, seen_ellipsis, i = 0, False, 0
    while i < len(lhs):
        ch = lhs[i]
        if ch == ".":
            if seen_ellipsis:
                raise RuntimeError(f"einsum(): found '.' for operand {op} for which an "
                                   "ellipsis was already found")
            if lhs[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {op} that is not part "
                                   "of any ellipsis")
            labels[op].append(_ELLIPSIS)
            seen_ellipsis = True
            i += 3
            continue
        if ch == ",":
            op += 1
            if op >= n_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified "
                                   "in the equation")
            seen_ellipsis = False
        elif ch != " ":
            if not _is_label(ch):
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                                   "equation string, subscripts must be in [a-zA-Z]")
            labels[op].append(_code(ch))
        i += 1
    if op != n_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    return labels


def _axis_order(equation, lhs, op_labels, operands):
    """Where each label goes on the common axis order, where the ellipsis dims start,
    how many dims the output has and how many in all (output plus summed)."""
    count = [0] * _ELLIPSIS
    ell_dims = 0  # the most dims any ellipsis covers
    for i, (labels, op) in enumerate(zip(op_labels, operands, strict=True)):
        named = sum(1 for s in labels if s != _ELLIPSIS)
        has_ellipsis = named != len(labels)
        for s in labels:
            if s != _ELLIPSIS:
                count[s] += 1
        if has_ellipsis:
            ell_dims = max(ell_dims, op.ndim - named)
        if named > op.ndim if has_ellipsis else named != op.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({named}) "
                + ("is more than the number of dimensions" if has_ellipsis else
                   "does not match the number of dimensions")
                + f" ({op.ndim}) for operand {i}"
                + ("" if has_ellipsis else " and no ellipsis was given"))
    place = [-1] * _ELLIPSIS
    pos = ell_start = 0
    arrow = equation.find("->")
    if arrow < 0:  # implicit output: the ellipsis dims, then the labels seen once, sorted
        pos, ell_in_out = ell_dims, True
        for s in range(_ELLIPSIS):
            if count[s] == 1:
                place[s] = pos
                pos += 1
    else:
        rhs, ell_in_out, i = equation[arrow + 2:], False, 0
        while i < len(rhs):
            ch = rhs[i]
            if ch == ".":
                if ell_in_out:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) "
                                       "was already found")
                if rhs[i:i + 3] != "...":
                    raise RuntimeError("einsum(): found '.' for output that is not part of "
                                       "any ellipsis (...)")
                ell_start, ell_in_out = pos, True
                pos += ell_dims
                i += 3
                continue
            if ch != " ":
                if not _is_label(ch):
                    raise RuntimeError(f"einsum(): invalid subscript given at index "
                                       f"{len(lhs) + 2 + i} in the equation string, "
                                       "subscripts must be in [a-zA-Z]")
                s = _code(ch)
                if count[s] == 0 or place[s] != -1:
                    raise RuntimeError(
                        f"einsum(): output subscript {ch}"
                        + (" appears more than once in the output" if place[s] != -1 else
                           " does not appear in the equation for any input operand"))
                place[s] = pos
                pos += 1
            i += 1
    n_out = pos
    if not ell_in_out:  # the ellipsis dims are summed away, after the output's
        ell_start = pos
        pos += ell_dims
    for s in range(_ELLIPSIS):
        if count[s] and place[s] == -1:
            place[s] = pos
            pos += 1
    return place, ell_start, ell_dims, n_out, pos


def _align(operands, op_labels, place, ell_start, ell_dims, n_all):
    """Each operand on the common axis order (diagonals taken, missing axes of size 1),
    and for each axis the number of operands in which it is larger than 1."""
    label_size = [1] * _ELLIPSIS
    ell_size = [1] * ell_dims
    holders = [0] * n_all
    aligned = []
    for i, (op, labels) in enumerate(zip(operands, op_labels, strict=True)):
        rank = op.ndim  # (before any diagonal)
        perm = [-1] * n_all
        d = 0
        for s in labels:
            if s == _ELLIPSIS:
                covered = rank - (len(labels) - 1)
                for j in range(ell_dims - covered, ell_dims):
                    n = op.shape[d]
                    if n != 1:
                        if ell_size[j] not in (1, n):
                            raise RuntimeError(
                                f"einsum(): dimension {d} covered by ellipsis in operand {i}"
                                f"has size {n} which does not broadcast with previously seen "
                                f"ellipsis with size {ell_size[j]} for the respective "
                                "dimension")
                        ell_size[j] = n
                        holders[ell_start + j] += 1
                    perm[ell_start + j] = d
                    d += 1
            elif perm[place[s]] == -1:
                n = op.shape[d]
                if n != 1:
                    if label_size[s] not in (1, n):
                        raise RuntimeError(
                            f"einsum(): subscript {_letter(s)} has size {n} for operand {i} "
                            f"which does not broadcast with previously seen size "
                            f"{label_size[s]}")
                    label_size[s] = n
                    holders[place[s]] += 1
                perm[place[s]] = d
                d += 1
            else:  # a label repeated in this operand: its diagonal, where the first one was
                first = perm[place[s]]
                if op.shape[d] != op.shape[first]:
                    raise RuntimeError(
                        f"einsum(): subscript {_letter(s)} is repeated for operand {i} but "
                        f"the sizes don't match, {op.shape[d]} != {op.shape[first]}")
                op = op.diagonal(0, first, d).movedim(-1, first)
        for k, v in enumerate(perm):
            if v == -1:
                op = op.unsqueeze(d)
                perm[k] = d
                d += 1
        aligned.append(op.permute(perm))
    return aligned, holders


def sumproduct_pair(left, right, sum_dims, keepdim):
    """``(left * right).sum(sum_dims)`` for operands of equal rank (size-1 axes broadcast),
    as one ``bmm``: axes in both and kept batch it, axes of one side only become its rows
    or columns, summed axes are the inner dimension; axes summed on one side only are
    summed there first."""
    if not sum_dims:
        return left * right
    ndim = left.ndim
    summed = set(sum_dims)
    both, lonly, ronly = [], [], []
    n_both = n_l = n_r = n_sum = 1
    for i in range(ndim):
        big_l, big_r = left.shape[i] != 1, right.shape[i] != 1
        if i in summed:
            if big_l and big_r:
                if left.shape[i] != right.shape[i]:
                    raise RuntimeError("non-broadcast dimensions must match")
                n_sum *= left.shape[i]
            elif big_l:
                left = left.sum(i, True)
            elif big_r:
                right = right.sum(i, True)
        elif big_l and big_r:
            if left.shape[i] != right.shape[i]:
                raise RuntimeError("non-broadcast dimensions must match")
            both.append(i)
            n_both *= left.shape[i]
        elif big_l:
            lonly.append(i)
            n_l *= left.shape[i]
        else:
            ronly.append(i)
            n_r *= right.shape[i]
    if lonly and ronly and ronly[-1] < lonly[0]:
        # every right-only axis comes before every left-only one: PyTorch multiplies the
        # other way round, so the product comes out in axis order
        left, right, lonly, ronly, n_l, n_r = right, left, ronly, lonly, n_r, n_l
    sum_dims = list(sum_dims)
    out_shape = ([left.shape[d] for d in both] + [left.shape[d] for d in lonly]
                 + [1] * len(sum_dims) + [right.shape[d] for d in ronly])
    order = both + lonly + sum_dims + ronly
    back = [0] * len(order)
    for k, d in enumerate(order):
        back[d] = k
    lhs = left.permute(both + lonly + sum_dims + ronly).reshape(n_both, n_l, n_sum)
    rhs = right.permute(both + sum_dims + ronly + lonly).reshape(n_both, n_sum, n_r)
    result = lhs.bmm(rhs).view(out_shape).permute(back)
    if not keepdim:
        result = result.view([n for i, n in enumerate(result.shape) if i not in summed])
    return result


def einsum(equation, operands):
    """Einstein summation over ember tensors, step for step as PyTorch computes it."""
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = _parse_inputs(lhs, len(operands))
    place, ell_start, ell_dims, n_out, n_all = _axis_order(equation, lhs, op_labels, operands)
    ops, holders = _align(operands, op_labels, place, ell_start, ell_dims, n_all)
    while len(ops) > 1:
        a, b = ops[0], ops[1]
        del ops[:2]
        # a summed axis leaves with the last operand that holds it
        both, a_only, b_only = [], [], []
        for d in range(n_out, n_all):
            if a.shape[d] != 1 and b.shape[d] != 1:
                holders[d] -= 1
                if holders[d] == 1:
                    both.append(d)
                    holders[d] = 0
            elif holders[d] == 1:
                if a.shape[d] != 1:
                    a_only.append(d)
                    holders[d] = 0
                elif b.shape[d] != 1:
                    b_only.append(d)
                    holders[d] = 0
        if a_only:
            a = a.sum(a_only, True)
        if b_only:
            b = b.sum(b_only, True)
        ops.insert(0, sumproduct_pair(a, b, both, True))
    result = ops[0]
    if n_all > n_out:
        if len(operands) > 1:  # the summed axes are all of size 1 by now
            return result.view(list(result.shape[:n_out]))
        return result.sum(list(range(n_out, n_all)))
    return result
