"""Named results of ops such as ``max(dim)``, printed as
``torch.return_types.max(values=..., indices=...)``."""
from __future__ import annotations

from collections import namedtuple

_classes: dict = {}


def _class(name, fields):
    key = (name, fields)
    cls = _classes.get(key)
    if cls is None:
        base = namedtuple(name, fields)

        def __repr__(self):
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
            return f"torch.return_types.{name}(\n{body})"

        n = len(fields)  # (PyTorch's are structseqs, which count their fields so)

        def __new__(cls, *args, **kwargs):
            # The values one by one (a namedtuple's call, which ember's own code makes), or
            # as PyTorch's structseq takes them: one sequence, and a dict when unpickled.
            if not kwargs and ((len(args) == 2 and type(args[0]) is tuple and
                                type(args[1]) is dict and len(args[0]) == n) or
                               (len(args) == 1 and n != 1 and
                                isinstance(args[0], (tuple, list)) and len(args[0]) == n)):
                args = tuple(args[0])
            elif len(args) == 1 and n != 1 and not kwargs and isinstance(args[0], (tuple, list)):
                raise TypeError(f"torch.return_types.{name}() takes a {n}-sequence "
                                f"({len(args[0])}-sequence given)")
            return base.__new__(cls, *args, **kwargs)

        def __reduce__(self):  # (as a structseq pickles: PyTorch's and ember's load it)
            return type(self), (tuple(self), {})

        def __getattr__(self, attr):  # (a missing one, in the words of a structseq's C type)
            err = AttributeError(f"'torch.return_types.{name}' object has no attribute '{attr}'")
            err.name, err.obj = attr, self
            raise err

        cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__new__": __new__,
                                   "__reduce__": __reduce__, "__getattr__": __getattr__,
                                   "__module__": "torch.return_types", "n_fields": n,
                                   "n_sequence_fields": n, "n_unnamed_fields": 0})
        _classes[key] = cls
        globals()[name] = cls
    return cls


def make_return(name, *values, names=("values", "indices")):
    return _class(name, names)(*values)


for _n in ("max", "min", "sort", "topk", "kthvalue", "median", "cummax", "cummin", "mode"):
    _class(_n, ("values", "indices"))
_class("aminmax", ("min", "max"))
