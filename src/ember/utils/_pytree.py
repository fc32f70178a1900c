"""``torch.utils._pytree``: flatten nested containers to leaves and back.

The machinery lives in ``ember.func._pytree`` (``torch.func`` walks pytrees with it);
this module is its public face under PyTorch's import path.
"""
from ..func._pytree import (GetAttrKey, LeafSpec, MappingKey, SequenceKey,  # noqa: F401
                            SUPPORTED_NODES, TreeSpec, key_get, keystr, register_pytree_node,
                            tree_all, tree_all_only, tree_any, tree_any_only, tree_flatten,
                            tree_flatten_with_path, tree_is_leaf, tree_iter, tree_leaves,
                            tree_leaves_with_path, tree_map, tree_map_, tree_map_only,
                            tree_map_only_, tree_map_with_path, tree_structure,
                            tree_unflatten, treespec_dumps, treespec_loads, treespec_pprint)
from ..func._pytree import _is_namedtuple_type as is_namedtuple_class  # noqa: F401

_register_pytree_node = register_pytree_node   # (older private spelling still in use)

__all__ = ["PyTree", "Context", "FlattenFunc", "UnflattenFunc", "TreeSpec", "LeafSpec",
           "register_pytree_node", "tree_flatten", "tree_unflatten", "tree_iter",
           "tree_leaves", "tree_structure", "tree_map", "tree_map_", "tree_map_only",
           "tree_map_only_", "tree_all", "tree_any", "tree_all_only", "tree_any_only",
           "treespec_dumps", "treespec_loads", "treespec_pprint", "tree_is_leaf",
           "tree_flatten_with_path", "tree_leaves_with_path", "tree_map_with_path", "keystr",
           "key_get", "SequenceKey", "MappingKey", "GetAttrKey"]

PyTree = object
Context = object
FlattenFunc = object
UnflattenFunc = object


def is_namedtuple(obj) -> bool:
    """Whether ``obj`` is a namedtuple class or instance."""
    return is_namedtuple_class(obj if isinstance(obj, type) else type(obj))


def is_namedtuple_instance(obj) -> bool:
    return is_namedtuple_class(type(obj))
