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
        cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__,
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
