"""``torch.func.rearrange``: einops' ``rearrange`` on tensors ("b h w c -> b (c h w)").

A pattern names the input's dims on the left of ``->`` and the output's on the right; a
parenthesised group on the left splits one dim into several (their sizes from
``axes_lengths``, at most one inferred), one on the right merges several into one; ``...``
stands for the dims not named, ``1`` or ``()`` for a dim of size 1.  The result is a
``reshape`` into the named dims, a ``permute`` into the right side's order and a ``reshape``
into its groups: a view where PyTorch's is one, a copy otherwise.

>>> rearrange(ember.zeros(32, 30, 40, 3), "b h w c -> b c h w").shape
torch.Size([32, 3, 30, 40])
>>> rearrange(ember.zeros(2, 6), "b (h w) -> w b h", h=2).shape
torch.Size([3, 2, 2])
"""
from __future__ import annotations

import keyword
import warnings

__all__ = ["rearrange", "DimensionBindError"]

_ELLIPSIS = "\u2026"  # (one character for "...", as einops' parser writes it)


class DimensionBindError(Exception):
    """Sizes that do not fit the pattern (functorch's error of the same name)."""


def _parse_side(text: str, unit_ok: bool = True):
    """The groups of one side: a list of lists of axis names (``[]`` for ``1`` or ``()``,
    ``[_ELLIPSIS]`` for ``...``), and whether the side had an ellipsis."""
    groups, current, seen, has_ellipsis = [], None, set(), False
    if "." in text:  # (functorch's checks of a side's dots, before anything else)
        if "..." not in text:
            raise ValueError("Expression may contain dots only inside ellipsis (...)")
        if text.count("...") != 1 or text.count(".") != 3:
            raise ValueError("Expression may contain dots only inside ellipsis (...); only one "
                             "ellipsis for tensor ")
    text = text.replace("...", _ELLIPSIS)
    token = ""

    def flush():
        nonlocal token, has_ellipsis
        if not token:
            return
        name, token = token, ""
        if name == _ELLIPSIS:
            if has_ellipsis:
                raise ValueError("Expression may contain dots only inside ellipsis (...)")
            has_ellipsis = True
        elif name.isdecimal():
            if name != "1":
                raise ValueError("rearrange only supports unnamed axes of size 1")
            if current is None:
                groups.append([])
            return
        else:
            if not name.isidentifier():
                raise ValueError(f"Invalid axis identifier: {name}\n"
                                 f"not a valid python identifier")
            if name.startswith("_") or name.endswith("_"):
                raise ValueError(f"Invalid axis identifier: {name}\n"
                                 f"axis name should should not start or end with underscore")
            # NOTE: functorch accepts a keyword, or "axis", as a name, with a warning
            if keyword.iskeyword(name):
                warnings.warn(f"It is discouraged to use axes names that are keywords: {name}",
                              RuntimeWarning, stacklevel=4)
            elif name == "axis":
                warnings.warn("It is discouraged to use 'axis' as an axis name and will raise "
                              "an error in future", FutureWarning, stacklevel=4)
            if name in seen:
                raise ValueError(f"Indexing expression contains duplicate dimension '{name}'")
        seen.add(name)
        if current is not None:
            current.append(name)
        else:  # (a bare ellipsis stays a string: its dims, unlike "(...)"'s, stay apart)
            groups.append(name if name == _ELLIPSIS else [name])

    for ch in text:
        if ch in " ()" + _ELLIPSIS:
            flush()
            if ch == _ELLIPSIS:
                token = ch
                flush()
            elif ch == "(":
                if current is not None:
                    raise ValueError("Axis composition is one-level (brackets inside brackets "
                                     "not allowed)")
                current = []
            elif ch == ")":
                if current is None:
                    raise ValueError("Brackets are not balanced")
                groups.append(current)
                current = None
        elif ch.isalnum() or ch == "_":
            token += ch
        else:
            raise ValueError(f"Unknown character '{ch}'")
    flush()
    if current is not None:
        raise ValueError(f"Imbalanced parentheses in expression: '{text}'")
    return groups, has_ellipsis, seen


def rearrange(tensor, pattern: str, **axes_lengths: int):
    """Reorder, split and merge the dims of ``tensor`` (a tensor, or a sequence of tensors
    stacked on a new first dim) as ``pattern`` says (see the module's docstring)."""
    from .. import stack
    from .._tensor import Tensor

    if not isinstance(tensor, Tensor):
        tensor = stack(tensor)
    if pattern.count("->") != 1:
        raise ValueError("Pattern must contain a single '->' separator")
    left_text, right_text = pattern.split("->")
    left, left_dots, left_names = _parse_side(left_text)
    right, right_dots, right_names = _parse_side(right_text)
    if right_dots and not left_dots:
        raise ValueError(f"Ellipsis found in right side, but not left side of a pattern "
                         f"{pattern}")
    if left_dots and any(isinstance(g, list) and _ELLIPSIS in g for g in left):
        raise ValueError(f"Ellipsis is parenthesis in the left side is not allowed: "
                         f"{pattern}")
    one_side = left_names ^ right_names
    if one_side:
        raise ValueError(f"Identifiers only on one side of rearrange expression (should be on "
                         f"both): {one_side}")
    unknown = set(axes_lengths) - left_names
    if unknown:
        raise ValueError(f"Identifiers not found in rearrange expression: {unknown}")
    ndim = tensor.ndim
    if left_dots:
        # NOTE: functorch counts the left side's axes (each name, each unit group), not its
        # dims: "(a b) c ..." needs a tensor of 3 dims or more
        n_pattern = len(left_names) - 1 + sum(1 for g in left if not g)
        if n_pattern > ndim:
            raise ValueError(f"Number of dimensions in pattern ({n_pattern}) must be less "
                             f"than or equal to the number of dimensions in the tensor "
                             f"({ndim})")
    elif len(left) != ndim:
        raise ValueError(f"Number of dimensions in pattern ({len(left)}) must be equal to the "
                         f"number of dimensions in the tensor ({ndim})")
    elif ndim == 1 and len(left[0]) > 1:
        # NOTE: functorch indexes the tensor with the left side's dims, and a lone group's
        # are a tuple of indices there: a 1-d tensor's one dim is never split
        raise ValueError(f"at least {len(left[0])} indices were supplied but the tensor only "
                         f"has 1 dimensions")
    if left == [_ELLIPSIS] and right == [_ELLIPSIS] or not ndim:
        # NOTE: PyTorch's gives its input back itself for "... -> ...", and for a 0-d tensor
        # whatever the right side's unit dims ("-> 1": still 0-d)
        return tensor
    # the ellipsis as names of its own, one per dim it covers (on the left, a group each),
    # and each unit group of the left as a name of its own too
    n_dots = ndim - (len(left) - 1) if left_dots else 0
    dots = [f"{_ELLIPSIS}{i}" for i in range(n_dots)]
    units = []
    expanded = []
    for g in left:
        if g == _ELLIPSIS:
            expanded.extend([d] for d in dots)
        elif not g:
            units.append(f"()({len(units)})")
            expanded.append([units[-1]])
        else:
            expanded.append(g)
    left = expanded
    right = [grp for g in right for grp in ([[d] for d in dots] if g == _ELLIPSIS else [
        [n for a in g for n in (dots if a == _ELLIPSIS else [a])]])]
    order = [a for g in left for a in g]
    label = {a: f"d{i}" for i, a in enumerate(order)}  # (functorch's names in its messages)
    sizes = {}
    for group, size in zip(left, tensor.shape):
        known, unknown_axes = 1, []
        for a in group:
            if a in axes_lengths:
                sizes[a] = int(axes_lengths[a])
                known *= sizes[a]
            elif len(group) == 1:
                sizes[a] = size
                known *= size
            else:
                unknown_axes.append(a)
        if len(unknown_axes) > 1:
            raise DimensionBindError(f"cannot infer the sizes of two dimensions at once "
                                     f"{label[unknown_axes[0]]} and {label[unknown_axes[1]]}")
        if unknown_axes:
            if known == 0 or size % known:
                raise DimensionBindError(f"inferred dimension does not evenly fit into larger "
                                         f"dimension: {size} vs "
                                         f"{tuple(sizes.get(a, '?') for a in group)}")
            sizes[unknown_axes[0]] = size // known
        elif known != size:
            raise DimensionBindError(f"Dimension sizes to do not match ({size} != {known}) "
                                     f"when matching dimension pack "
                                     f"({''.join(label[a] + ',' for a in group)})")
    target = [a for g in right for a in g] + units
    x = tensor.reshape([sizes[a] for a in order])
    x = x.permute([order.index(a) for a in target])
    shape = []
    for g in right:
        n = 1
        for a in g:
            n *= sizes[a]
        shape.append(n)
    if units:
        # NOTE: PyTorch's sums over the dims the left side marks ``1`` or ``()`` (whatever
        # their size): its result is that sum's (SumBackward1)
        x = x.reshape(shape + [sizes[u] for u in units])
        return x.sum(tuple(range(len(shape), len(shape) + len(units))))
    return x.reshape(shape)
