"""Nested containers ("pytrees") of tensors, as ``torch.func`` sees them.

A pytree is a tuple, list, dict, ``OrderedDict`` or namedtuple whose items are pytrees;
anything else (a tensor, a number, None, a ``Size``) is a leaf.  :func:`tree_flatten`
lists the leaves in order and a :class:`TreeSpec` that :func:`tree_unflatten` rebuilds the
container from.  Specs print as PyTorch's do (``TreeSpec(tuple, None, [*, *])``) because
vmap's errors show them.
"""
from __future__ import annotations

from collections import OrderedDict

__all__ = ["TreeSpec", "LEAF", "tree_flatten", "tree_unflatten", "tree_map",
           "broadcast_prefix", "spec_pprint"]


class TreeSpec:
    """The shape of a pytree: the container ``type`` (None for a leaf), its ``context``
    (dict keys, a namedtuple's class, None for tuples and lists) and the children's specs."""

    __slots__ = ("type", "context", "children", "num_leaves")

    def __init__(self, type_, context, children):
        self.type = type_
        self.context = context
        self.children = tuple(children)
        self.num_leaves = 1 if type_ is None else sum(c.num_leaves for c in self.children)

    def is_leaf(self) -> bool:
        return self.type is None

    def __eq__(self, other):
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (self.type is other.type and self.context == other.context
                and self.children == other.children)

    def __hash__(self):
        return hash((self.type, len(self.children)))

    def __repr__(self, indent: int = 0) -> str:
        if self.type is None:
            return "*"
        name = "namedtuple" if _is_namedtuple_type(self.type) else self.type.__name__
        inner = ""
        if self.children:
            indent += 2
            parts = [c.__repr__(indent) for c in self.children]
            inner = parts[0] + ("," if len(parts) > 1 else "")
            inner += ",".join("\n" + " " * indent + p for p in parts[1:])
        return f"TreeSpec({name}, {self.context}, [{inner}])"


LEAF = TreeSpec(None, None, ())


def _is_namedtuple_type(tp) -> bool:
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


def _children(tree):
    """``(type, context, children)`` for a container, None for a leaf."""
    tp = type(tree)
    if tp is tuple or tp is list:
        return tp, None, list(tree)
    if tp is dict or tp is OrderedDict:
        return tp, list(tree.keys()), list(tree.values())
    if _is_namedtuple_type(tp):
        return tp, tp, list(tree)
    return None


def tree_flatten(tree):
    """``(leaves, spec)``: the leaves of ``tree`` in order and its structure."""
    leaves = []

    def walk(node):
        parts = _children(node)
        if parts is None:
            leaves.append(node)
            return LEAF
        tp, ctx, kids = parts
        return TreeSpec(tp, ctx, [walk(k) for k in kids])

    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, spec: TreeSpec):
    """The pytree shaped as ``spec`` holding ``leaves`` (in order)."""
    it = iter(leaves)

    def build(s):
        if s.type is None:
            return next(it)
        kids = [build(c) for c in s.children]
        if s.type is tuple or s.type is list:
            return s.type(kids)
        if s.type is dict or s.type is OrderedDict:
            return s.type(zip(s.context, kids))
        return s.type(*kids)  # a namedtuple

    return build(spec)


def tree_map(fn, tree):
    """``tree`` with ``fn`` applied to each leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix, spec: TreeSpec):
    """Flatten ``prefix`` against ``spec``, repeating each leaf of ``prefix`` over the whole
    subtree it stands for (so ``(0, None)`` against ``(x, [y, z])`` gives ``[0, None,
    None]``).  None when ``prefix`` is not a prefix of the tree ``spec`` describes."""
    out = []

    def walk(p, s):
        parts = _children(p)
        if parts is None:
            out.extend([p] * s.num_leaves)
            return True
        tp, ctx, kids = parts
        if s.type is not tp or len(kids) != len(s.children):
            return False
        if tp is dict or tp is OrderedDict:
            if set(ctx) != set(s.context):
                return False
            kids = [p[k] for k in s.context]
        return all(walk(k, c) for k, c in zip(kids, s.children))

    return out if walk(prefix, spec) else None


def spec_pprint(spec: TreeSpec) -> str:
    """A spec written as the container it describes, leaves as ``*``: ``(*, {'a': *})``."""
    if spec.type is None:
        return "*"
    kids = [spec_pprint(c) for c in spec.children]
    if spec.type is tuple:
        return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
    if spec.type is list:
        return "[" + ", ".join(kids) + "]"
    if spec.type is dict or spec.type is OrderedDict:
        body = ", ".join(f"{k!r}: {v}" for k, v in zip(spec.context, kids))
        return ("{" + body + "}") if spec.type is dict else f"OrderedDict({{{body}}})"
    fields = ", ".join(f"{f}={v}" for f, v in zip(spec.type._fields, kids))
    return f"{spec.type.__name__}({fields})"
