"""Nested containers ("pytrees") of tensors, as ``torch.func`` and ``torch.utils._pytree``
see them.

A pytree is a node of a registered container type (tuple, list, dict, ``OrderedDict``,
``defaultdict``, ``deque``, namedtuple, or a class given to :func:`register_pytree_node`)
whose children are pytrees (a ``Size`` is one, of ints, as ``import torch`` makes it);
anything else (a tensor, a number, None) is a leaf.  :func:`tree_flatten` lists the leaves
in order and a :class:`TreeSpec` that :func:`tree_unflatten` rebuilds the container from.
Specs print as PyTorch's do (``TreeSpec(tuple, None, [*, *])``) because vmap's errors show them.
``ember.utils._pytree`` is the public face of this module.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import types as _types
from collections import OrderedDict, defaultdict, deque, namedtuple
from typing import Any, Callable, NamedTuple

__all__ = ["TreeSpec", "LeafSpec", "LEAF", "SUPPORTED_NODES", "register_pytree_node",
           "tree_flatten", "tree_unflatten", "tree_leaves", "tree_structure", "tree_iter",
           "tree_map", "tree_map_", "tree_map_only", "tree_map_only_", "tree_all", "tree_any",
           "tree_all_only", "tree_any_only", "tree_is_leaf", "treespec_pprint",
           "treespec_dumps", "treespec_loads", "broadcast_prefix", "spec_pprint",
           "SequenceKey", "MappingKey", "GetAttrKey", "tree_flatten_with_path",
           "tree_leaves_with_path", "tree_map_with_path", "keystr", "key_get"]


# -- the node registry ------------------------------------------------------------------
class NodeDef(NamedTuple):
    type: Any
    flatten_fn: Callable
    unflatten_fn: Callable
    serialized_type_name: str | None = None
    to_dumpable_context: Callable | None = None
    from_dumpable_context: Callable | None = None
    flatten_with_keys_fn: Callable | None = None


SUPPORTED_NODES: dict[Any, NodeDef] = {}
_BY_SERIALIZED_NAME: dict[str, NodeDef] = {}
_DICT_TYPES = (dict, OrderedDict, defaultdict)


def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None,
                         to_dumpable_context=None, from_dumpable_context=None,
                         flatten_with_keys_fn=None):
    """Make instances of ``cls`` pytree nodes.

    ``flatten_fn(node) -> (children, context)`` and ``unflatten_fn(children, context) ->
    node``; ``serialized_type_name`` (and the context converters) let
    :func:`treespec_dumps` write specs holding ``cls``.  ``flatten_with_keys_fn`` is
    accepted for PyTorch's signature (ember has no key paths).
    """
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    if (to_dumpable_context is None) != (from_dumpable_context is None):
        raise ValueError(f"Both to_dumpable_context and from_dumpable_context for {cls} must "
                         "be None or registered.")
    node = NodeDef(cls, flatten_fn, unflatten_fn, serialized_type_name, to_dumpable_context,
                   from_dumpable_context, flatten_with_keys_fn)
    SUPPORTED_NODES[cls] = node
    if serialized_type_name is not None:
        _BY_SERIALIZED_NAME[serialized_type_name] = node


def _is_namedtuple_type(tp) -> bool:
    return (isinstance(tp, type) and issubclass(tp, tuple)
            and isinstance(getattr(tp, "_fields", None), tuple)
            and callable(getattr(tp, "_make", None)) and callable(getattr(tp, "_asdict", None)))


def _node_type(tree):
    tp = type(tree)
    if tp not in SUPPORTED_NODES and _is_namedtuple_type(tp):
        if tp.__module__ == "torch.return_types" and hasattr(tp, "n_fields"):
            _register_structseq(tp)
            return tp
        return namedtuple                   # (PyTorch's marker for every namedtuple class)
    return tp


def _register_structseq(cls):
    """``import torch`` registers each ``torch.return_types`` class (a structseq) as a node of
    its own, with no context (ember makes them as ops first return them)."""
    register_pytree_node(cls, lambda t: (list(t), None), lambda v, c: cls(*v),
                         flatten_with_keys_fn=lambda t: (_seq_keys(t), None))


def _dict_flatten(d):
    return list(d.values()), list(d.keys())


def _defaultdict_serialize(ctx):
    factory, keys = ctx
    return {"default_factory_module": factory.__module__,
            "default_factory_name": factory.__qualname__, "dict_context": keys}


def _defaultdict_deserialize(obj):
    module = importlib.import_module(obj["default_factory_module"])
    return [getattr(module, obj["default_factory_name"]), obj["dict_context"]]


def _namedtuple_serialize(ctx):
    raise NotImplementedError(f"Can't serialize TreeSpec of namedtuple class {ctx} because we "
                              "didn't register a serializated_type_name. Please register "
                              "using `_register_namedtuple`.")


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """A position in a sequence node; prints as ``[idx]``."""

    idx: int

    def __str__(self):
        return f"[{self.idx!r}]"

    def get(self, sequence):
        return sequence[self.idx]


@dataclasses.dataclass(frozen=True)
class MappingKey:
    """A key of a mapping node; prints as ``['key']``."""

    key: Any

    def __str__(self):
        return f"[{self.key!r}]"

    def get(self, mapping):
        return mapping[self.key]


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """An attribute of a node (a namedtuple's field); prints as ``.name``."""

    name: str

    def __str__(self):
        return f".{self.name}"

    def get(self, obj):
        return getattr(obj, self.name)


def _seq_keys(seq):
    return [(SequenceKey(i), v) for i, v in enumerate(seq)]


def _map_keys(d):
    return [(MappingKey(k), v) for k, v in d.items()]


register_pytree_node(tuple, lambda t: (list(t), None), lambda v, c: tuple(v),
                     serialized_type_name="builtins.tuple",
                     flatten_with_keys_fn=lambda t: (_seq_keys(t), None))
register_pytree_node(list, lambda t: (list(t), None), lambda v, c: list(v),
                     serialized_type_name="builtins.list",
                     flatten_with_keys_fn=lambda t: (_seq_keys(t), None))
register_pytree_node(dict, _dict_flatten, lambda v, c: dict(zip(c, v)),
                     serialized_type_name="builtins.dict",
                     flatten_with_keys_fn=lambda d: (_map_keys(d), list(d)))
register_pytree_node(OrderedDict, _dict_flatten, lambda v, c: OrderedDict(zip(c, v)),
                     serialized_type_name="collections.OrderedDict",
                     flatten_with_keys_fn=lambda d: (_map_keys(d), list(d)))
register_pytree_node(defaultdict, lambda d: (list(d.values()), [d.default_factory, list(d)]),
                     lambda v, c: defaultdict(c[0], zip(c[1], v)),
                     serialized_type_name="collections.defaultdict",
                     to_dumpable_context=_defaultdict_serialize,
                     from_dumpable_context=_defaultdict_deserialize,
                     flatten_with_keys_fn=lambda d: (_map_keys(d), [d.default_factory, list(d)]))
register_pytree_node(deque, lambda d: (list(d), d.maxlen), lambda v, c: deque(v, maxlen=c),
                     serialized_type_name="collections.deque",
                     flatten_with_keys_fn=lambda d: (_seq_keys(d), d.maxlen))
register_pytree_node(namedtuple, lambda t: (list(t), type(t)), lambda v, c: c(*v),
                     serialized_type_name="collections.namedtuple",
                     to_dumpable_context=_namedtuple_serialize,
                     from_dumpable_context=_namedtuple_serialize,
                     flatten_with_keys_fn=lambda t: (
                         [(GetAttrKey(f), v) for f, v in zip(t._fields, t)], type(t)))


def _register_size():
    # (``import torch`` registers ``torch.Size``, a node whose leaves are its ints; it
    # unflattens to a plain tuple)
    from .._size import Size

    register_pytree_node(Size, lambda s: (list(s), None), lambda v, c: tuple(v),
                         serialized_type_name="torch.Size",
                         flatten_with_keys_fn=lambda s: (_seq_keys(s), None))


_register_size()


def _children(tree, is_leaf=None):
    """``(node type, context, children)`` for a container, None for a leaf."""
    if is_leaf is not None and is_leaf(tree):
        return None
    tp = _node_type(tree)
    node = SUPPORTED_NODES.get(tp)
    if node is None:
        return None
    kids, ctx = node.flatten_fn(tree)
    return tp, ctx, list(kids)


def tree_is_leaf(tree, is_leaf=None) -> bool:
    """Whether ``tree`` is a leaf (not a registered container, or picked by ``is_leaf``)."""
    return _children(tree, is_leaf) is None


# -- the spec -------------------------------------------------------------------------
class TreeSpec:
    """The shape of a pytree: the node ``type`` (None for a leaf; ``namedtuple`` for any
    namedtuple), its ``context`` (dict keys, the namedtuple class, a deque's maxlen,
    None for tuples and lists) and the children's specs."""

    def __init__(self, type, context, children_specs):  # noqa: A002 (PyTorch's field name)
        self.type = type
        self.context = context
        self.children_specs = list(children_specs)
        self.num_children = len(self.children_specs)
        self.num_leaves = 1 if type is None else sum(c.num_leaves for c in self.children_specs)
        self.num_nodes = 1 + sum(c.num_nodes for c in self.children_specs)

    def is_leaf(self) -> bool:
        return self.type is None

    def children(self) -> list:
        return list(self.children_specs)

    def child(self, index: int) -> TreeSpec:
        return self.children_specs[index]

    def unflatten(self, leaves):
        return tree_unflatten(leaves, self)

    def flatten_up_to(self, tree) -> list:
        """The subtrees of ``tree`` standing where this spec's leaves are."""
        out: list = []

        def walk(spec, node):
            if spec.is_leaf():
                out.append(node)
                return
            tp = _node_type(node)
            if spec.type not in (*_DICT_TYPES, tuple, list, deque, namedtuple):
                if tp != spec.type:
                    raise ValueError(f"Type mismatch; expected {spec.type!r}, but got {tp!r}.")
                kids, ctx = SUPPORTED_NODES[tp].flatten_fn(node)
                if len(kids) != spec.num_children:
                    raise ValueError(f"Node arity mismatch; expected {spec.num_children}, "
                                     f"but got {len(kids)}.")
                if ctx != spec.context:
                    raise ValueError("Node context mismatch for custom node type "
                                     f"{spec.type!r}.")
            else:
                both_dicts = spec.type in _DICT_TYPES and tp in _DICT_TYPES
                if not both_dicts and tp != spec.type:
                    raise ValueError(f"Node type mismatch; expected {spec.type!r}, but got "
                                     f"{tp!r}.")
                if len(node) != spec.num_children:
                    raise ValueError(f"Node arity mismatch; expected {spec.num_children}, "
                                     f"but got {len(node)}.")
                if both_dicts:
                    keys = spec.context if spec.type is not defaultdict else spec.context[1]
                    got, want = set(node), set(keys)
                    if got != want:
                        msg = ""
                        if want - got:
                            msg += f"; missing key(s): {want - got}"
                        if got - want:
                            msg += f"; extra key(s): {got - want}"
                        raise ValueError(f"Node keys mismatch{msg}.")
                    kids = [node[k] for k in keys]
                else:
                    kids, ctx = SUPPORTED_NODES[tp].flatten_fn(node)
                    if tp is not deque and ctx != spec.context:
                        raise ValueError(f"Node context mismatch for node type {spec.type!r}; "
                                         f"expected {spec.context!r}, but got {ctx!r}.")
            for sub, kid in zip(spec.children_specs, kids):
                walk(sub, kid)

        walk(self, tree)
        return out

    def __eq__(self, other):
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (self.type == other.type and self.context == other.context
                and self.children_specs == other.children_specs)

    def __hash__(self):
        return hash((id(self.type), self.num_children, self.num_leaves))

    def __repr__(self, indent: int = 0) -> str:
        if self.type is None:
            return "*"
        name = getattr(self.type, "__name__", repr(self.type))
        inner = ""
        if self.children_specs:
            indent += 2
            parts = [c.__repr__(indent) for c in self.children_specs]
            inner = parts[0] + ("," if len(parts) > 1 else "")
            inner += ",".join("\n" + " " * indent + p for p in parts[1:])
        return f"TreeSpec({name}, {self.context}, [{inner}])"


class LeafSpec(TreeSpec):
    """The spec of a leaf (prints as ``*``)."""

    def __init__(self):
        super().__init__(None, None, [])


LEAF = LeafSpec()


# -- flatten / unflatten --------------------------------------------------------------
def tree_flatten(tree, is_leaf=None):
    """``(leaves, spec)``: the leaves of ``tree`` in order and its structure."""
    leaves = []

    def walk(node):
        parts = _children(node, is_leaf)
        if parts is None:
            leaves.append(node)
            return LEAF
        tp, ctx, kids = parts
        return TreeSpec(tp, ctx, [walk(k) for k in kids])

    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, treespec: TreeSpec):
    """The pytree shaped as ``treespec`` holding ``leaves`` (in order)."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError("Expected `treespec` to be an instance of PyTreeSpec but got item of "
                        f"type {type(treespec)}.")
    leaves = list(leaves)
    if len(leaves) != treespec.num_leaves:
        raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but "
                         "the spec refers to a pytree that holds "
                         f"{treespec.num_leaves} items ({treespec}).")
    it = iter(leaves)

    def build(s):
        if s.type is None:
            return next(it)
        kids = [build(c) for c in s.children_specs]
        return SUPPORTED_NODES[s.type].unflatten_fn(kids, s.context)

    return build(treespec)


def tree_iter(tree, is_leaf=None):
    """The leaves of ``tree``, one at a time."""
    parts = _children(tree, is_leaf)
    if parts is None:
        yield tree
        return
    for kid in parts[2]:
        yield from tree_iter(kid, is_leaf)


def tree_leaves(tree, is_leaf=None) -> list:
    return list(tree_iter(tree, is_leaf))


def tree_structure(tree, is_leaf=None) -> TreeSpec:
    return tree_flatten(tree, is_leaf)[1]


# -- key paths ---------------------------------------------------------------------------
def _keyed_children(tree, tp):
    node = SUPPORTED_NODES[tp]
    if node.flatten_with_keys_fn is None:
        raise ValueError(f"Did not find a flatten_with_keys_fn for type: {tp}. Please pass a "
                         "flatten_with_keys_fn argument to register_pytree_node.")
    return node.flatten_with_keys_fn(tree)[0]


def tree_flatten_with_path(tree, is_leaf=None):
    """``([(key path, leaf), ...], spec)``: each leaf with the keys that lead to it."""
    out = []

    def walk(node, path):
        parts = _children(node, is_leaf)
        if parts is None:
            out.append((path, node))
            return
        for key, kid in _keyed_children(node, parts[0]):
            walk(kid, path + (key,))

    walk(tree, ())
    return out, tree_structure(tree, is_leaf)


def tree_leaves_with_path(tree, is_leaf=None) -> list:
    return tree_flatten_with_path(tree, is_leaf)[0]


def tree_map_with_path(func, tree, *rests, is_leaf=None):
    """``tree`` with ``func(key_path, leaf, *others)`` applied to each leaf."""
    pairs, spec = tree_flatten_with_path(tree, is_leaf)
    paths = [p for p, _ in pairs]
    flat = [[x for _, x in pairs]] + [spec.flatten_up_to(r) for r in rests]
    return tree_unflatten([func(p, *xs) for p, *xs in zip(paths, *flat)], spec)


def keystr(kp) -> str:
    """A key path written as code: ``['x'][1].a``."""
    return "".join(str(k) for k in kp)


def key_get(obj, kp):
    """The part of ``obj`` at key path ``kp``."""
    for k in kp:
        obj = k.get(obj)
    return obj


# -- maps and predicates --------------------------------------------------------------
def tree_map(func, tree, *rests, is_leaf=None):
    """``tree`` with ``func`` applied to each leaf (and the matching parts of ``rests``)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat = [leaves] + [spec.flatten_up_to(r) for r in rests]
    return tree_unflatten(list(map(func, *flat)), spec)


def tree_map_(func, tree, *rests, is_leaf=None):
    """Call ``func`` on each leaf for its side effects; returns ``tree``."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat = [leaves] + [spec.flatten_up_to(r) for r in rests]
    for args in zip(*flat):
        func(*args)
    return tree


def _type_pred(type_or_types_or_pred):
    what = type_or_types_or_pred
    if isinstance(what, (type, _types.UnionType)) or (
            isinstance(what, tuple) and all(isinstance(t, type) for t in what)):
        return lambda x: isinstance(x, what)
    if callable(what):
        return what
    raise TypeError("Argument must be a type, a tuple of types, or a callable.")


def tree_map_only(type_or_types_or_pred, /, func, tree, is_leaf=None):
    """``func`` applied to the leaves of the given types (or passing the predicate)."""
    pred = _type_pred(type_or_types_or_pred)
    return tree_map(lambda x: func(x) if pred(x) else x, tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types_or_pred, /, func, tree, is_leaf=None):
    pred = _type_pred(type_or_types_or_pred)
    return tree_map_(lambda x: func(x) if pred(x) else None, tree, is_leaf=is_leaf)


def tree_all(pred, tree, is_leaf=None) -> bool:
    return all(map(pred, tree_iter(tree, is_leaf)))


def tree_any(pred, tree, is_leaf=None) -> bool:
    return any(map(pred, tree_iter(tree, is_leaf)))


def tree_all_only(type_or_types, /, pred, tree, is_leaf=None) -> bool:
    return all(pred(x) for x in tree_iter(tree, is_leaf) if isinstance(x, type_or_types))


def tree_any_only(type_or_types, /, pred, tree, is_leaf=None) -> bool:
    return any(pred(x) for x in tree_iter(tree, is_leaf) if isinstance(x, type_or_types))


# -- serialisation ----------------------------------------------------------------------
_PROTOCOL = 1


def _spec_to_json(spec: TreeSpec) -> dict:
    if spec.is_leaf():
        return {"type": None, "context": None, "children_spec": []}
    node = SUPPORTED_NODES.get(spec.type)
    if node is None or node.serialized_type_name is None:
        raise NotImplementedError(f"No registered serialization name for {spec.type} found. "
                                  "Please update your _register_pytree_node call with a "
                                  "`serialized_type_name` kwarg.")
    ctx = spec.context
    if node.to_dumpable_context is None:
        try:
            ctx = json.dumps(ctx)
        except TypeError as e:
            raise TypeError("Unable to serialize context. Please make the context json "
                            "dump-able, or register a custom serializer using "
                            "_register_pytree_node.") from e
    else:
        ctx = node.to_dumpable_context(ctx)
    return {"type": node.serialized_type_name, "context": ctx,
            "children_spec": [_spec_to_json(c) for c in spec.children_specs]}


def _json_to_spec(obj: dict) -> TreeSpec:
    if obj["type"] is None and obj["context"] is None and not obj["children_spec"]:
        return LEAF
    node = _BY_SERIALIZED_NAME.get(obj["type"])
    if node is None:
        raise NotImplementedError(f"No registered type for serialized name {obj['type']}.")
    ctx = (json.loads(obj["context"]) if node.from_dumpable_context is None
           else node.from_dumpable_context(obj["context"]))
    return TreeSpec(node.type, ctx, [_json_to_spec(c) for c in obj["children_spec"]])


def treespec_dumps(treespec: TreeSpec, protocol: int | None = None) -> str:
    """``treespec`` as a JSON string (PyTorch's protocol 1 layout)."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"treespec_dumps(treespec, protocol): Expected `treespec` to be "
                        f"instance of PyTreeSpec but got item of type {type(treespec)}.")
    protocol = _PROTOCOL if protocol is None else protocol
    if protocol != _PROTOCOL:
        raise ValueError(f"Unknown protocol {protocol}. Available protocols: [{_PROTOCOL}]")
    return json.dumps([protocol, _spec_to_json(treespec)])


def treespec_loads(serialized: str) -> TreeSpec:
    protocol, obj = json.loads(serialized)
    if protocol != _PROTOCOL:
        raise ValueError(f"Unknown protocol {protocol}. Available protocols: [{_PROTOCOL}]")
    return _json_to_spec(obj)


# -- printing -----------------------------------------------------------------------------
def spec_pprint(spec: TreeSpec) -> str:
    """A spec written as the container it describes, leaves as ``*``: ``(*, {'a': *})``."""
    if spec.type is None:
        return "*"
    kids = [spec_pprint(c) for c in spec.children_specs]
    if spec.type is tuple:
        return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
    if spec.type is list:
        return "[" + ", ".join(kids) + "]"
    if spec.type is dict or spec.type is OrderedDict:
        body = ", ".join(f"{k!r}: {v}" for k, v in zip(spec.context, kids))
        return ("{" + body + "}") if spec.type is dict else f"OrderedDict({{{body}}})"
    if spec.type is namedtuple:
        fields = ", ".join(f"{f}={v}" for f, v in zip(spec.context._fields, kids))
        return f"{spec.context.__name__}({fields})"
    return repr(spec)


class _Star:
    def __repr__(self):
        return "*"


def treespec_pprint(treespec: TreeSpec) -> str:
    """The container ``treespec`` describes, printed with ``*`` for each leaf."""
    return repr(tree_unflatten([_Star()] * treespec.num_leaves, treespec))


# -- vmap helper --------------------------------------------------------------------------
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
        if s.type is not tp or len(kids) != s.num_children:
            return False
        if tp is namedtuple and ctx is not s.context:
            return False
        if tp is dict or tp is OrderedDict:
            if set(ctx) != set(s.context):
                return False
            kids = [p[k] for k in s.context]
        return all(walk(k, c) for k, c in zip(kids, s.children_specs))

    return out if walk(prefix, spec) else None
