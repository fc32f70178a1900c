"""The list and dict types of a ``Node`` 's arguments: they refuse in-place changes (a node's
users are tracked through its arguments, so they must be replaced as a whole)."""
from __future__ import annotations

__all__ = ["immutable_dict", "immutable_list"]

_HINT = ("If you are attempting to modify the kwargs or args of a torch.fx.Node object,\n"
         "instead create a new copy of it and assign the copy to the node:\n\n"
         "    new_args = ...  # copy and mutate args\n    node.args = new_args")


def _refuse(self, *args, **kwargs):
    raise TypeError(f"'{type(self).__name__}' object does not support mutation. {_HINT}")


class immutable_list(list):  # noqa: N801  (PyTorch's name)
    __delitem__ = __iadd__ = __imul__ = __setitem__ = append = clear = extend = insert = \
        pop = remove = reverse = sort = _refuse

    def __hash__(self):
        return hash(tuple(self))

    def __reduce__(self):
        return (immutable_list, (tuple(self),))

    def __copy__(self):
        return immutable_list(self)


class immutable_dict(dict):  # noqa: N801  (PyTorch's name)
    __delitem__ = __setitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse

    def __hash__(self):
        return hash(tuple(self.items()))

    def __reduce__(self):
        return (immutable_dict, (list(self.items()),))

    def __copy__(self):
        return immutable_dict(self)
