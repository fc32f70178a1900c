"""Turning a list of samples into a batch: ``default_collate`` and ``default_convert``.

``collate(batch, collate_fn_map=...)`` walks the structure of the first sample
and, for every leaf, looks up how to merge the leaves of all samples:

==========================  ==================================================
leaf                        batched as
==========================  ==================================================
``Tensor``                  ``stack(batch, 0)``
NumPy array                 each converted with ``as_tensor``, then stacked
NumPy scalar                ``as_tensor(batch)`` (keeps the NumPy dtype)
``float``                   ``tensor(batch, dtype=float64)``
``int`` (and ``bool``)      ``tensor(batch)``: int64, or bool for all-bool
``str`` / ``bytes``         the list itself
==========================  ==================================================

Containers are rebuilt around the batched leaves: a mapping keeps its type and
keys, a named tuple its type, a list its type (a copy of the first sample's
list, so subclasses survive), and a plain tuple becomes a *list* (PyTorch does
the same).  Example::

    >>> default_collate([(0, 1.5), (1, 2.5)])
    [tensor([0, 1]), tensor([1.5000, 2.5000], dtype=torch.float64)]
"""
from __future__ import annotations

import collections.abc as _abc
import copy
import re

import numpy as np

import ember

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map",
           "collate_tensor_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
           "collate_float_fn", "collate_int_fn", "collate_str_fn",
           "default_collate_err_msg_format"]

# NumPy dtype kinds that have no tensor equivalent: bytes, str, unicode, object.
_NOT_NUMERIC = re.compile(r"[SaUO]")
np_str_obj_array_pattern = _NOT_NUMERIC  # PyTorch's name (custom collate functions import it)

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}")


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


# --------------------------------------------------------------------------
# default_convert: no batching, only NumPy -> tensor conversion
# --------------------------------------------------------------------------

def default_convert(data):
    """Convert NumPy arrays and scalars inside ``data`` to tensors; leave the rest.

    Used as the collate function when automatic batching is off
    (``DataLoader(batch_size=None)``).  Containers are rebuilt as in
    :func:`default_collate`; a plain tuple becomes a list, as in PyTorch.

    >>> default_convert({"x": np.array([1, 2])})
    {'x': tensor([1, 2])}
    """
    kind = type(data)
    if isinstance(data, ember.Tensor):
        return data
    # NOTE: as in PyTorch, every other object of a type defined in ``numpy`` goes
    # through ``as_tensor`` (so a ``np.bytes_`` or ``np.datetime64`` raises TypeError);
    # only ``np.str_`` scalars and string/object arrays are passed through
    if kind.__module__ == "numpy" and kind.__name__ not in ("str_", "string_"):
        if kind.__name__ == "ndarray" and _NOT_NUMERIC.search(data.dtype.str) is not None:
            return data
        return ember.as_tensor(data)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, _abc.Mapping):
        items = {key: default_convert(data[key]) for key in data}
        return _rebuild_mapping(data, items)
    if _is_namedtuple(data):
        return kind(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # NOTE: a tuple becomes a list, as in PyTorch
    if isinstance(data, _abc.Sequence):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(template, items):
    """A mapping of ``template``'s type holding ``items``; a dict when that type won't do."""
    try:
        if isinstance(template, _abc.MutableMapping):
            # a shallow copy keeps the type and any extra state (defaultdict's factory)
            out = copy.copy(template)
            out.update(items)
            return out
        return type(template)(items)
    except TypeError:
        return items


def _rebuild_sequence(template, items):
    """A sequence of ``template``'s type holding ``items``; a list when that type won't do."""
    try:
        if isinstance(template, _abc.MutableSequence):
            out = copy.copy(template)
            for i, v in enumerate(items):
                out[i] = v
            return out
        return type(template)(items)
    except TypeError:
        return items


# --------------------------------------------------------------------------
# collate: batching, with a table of per-type leaf functions
# --------------------------------------------------------------------------

def collate(batch, *, collate_fn_map=None):
    """Merge a list of samples into a batch, using ``collate_fn_map`` for the leaves.

    ``collate_fn_map`` maps a type (or a tuple of types) to a function
    ``fn(batch, *, collate_fn_map)``; the first sample's exact type is looked
    up first, then each entry is tried with ``isinstance`` in order.  Mappings,
    named tuples and sequences are walked recursively; anything else raises
    ``TypeError``.
    """
    first = batch[0]
    kind = type(first)
    if collate_fn_map is not None:
        if kind in collate_fn_map:
            return collate_fn_map[kind](batch, collate_fn_map=collate_fn_map)
        for key, fn in collate_fn_map.items():
            if isinstance(first, key):
                return fn(batch, collate_fn_map=collate_fn_map)

    def sub(samples):
        return collate(samples, collate_fn_map=collate_fn_map)

    if isinstance(first, _abc.Mapping):
        return _rebuild_mapping(first, {key: sub([d[key] for d in batch]) for key in first})
    if _is_namedtuple(first):
        return kind(*(sub(samples) for samples in zip(*batch, strict=False)))
    if isinstance(first, _abc.Sequence):
        size = len(first)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        # each column is a tuple (so a column of strings stays a tuple, as in PyTorch)
        columns = [sub(samples) for samples in zip(*batch, strict=True)]
        if isinstance(first, tuple):
            return columns  # NOTE: tuples come back as lists, as in PyTorch
        return _rebuild_sequence(first, columns)
    raise TypeError(default_collate_err_msg_format.format(kind))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    first = batch[0]
    if first.is_nested:
        raise RuntimeError("Batches of nested tensors are not currently supported by the default "
                           "collate_fn; please provide a custom collate_fn to handle them "
                           "appropriately.")
    if first.layout in (ember.sparse_coo, ember.sparse_csr, ember.sparse_bsr, ember.sparse_csc,
                        ember.sparse_bsc):
        raise RuntimeError("Batches of sparse tensors are not currently supported by the default "
                           "collate_fn; please provide a custom collate_fn to handle them "
                           "appropriately.")
    return ember.stack(batch, 0)  # a Tensor or a generator is refused there, as in PyTorch


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    first = batch[0]
    if _NOT_NUMERIC.search(first.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(first.dtype))
    return collate([ember.as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return ember.as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    return ember.tensor(list(batch), dtype=ember.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    # NOTE: bools land here too (bool is an int); tensor() gives them dtype bool
    return ember.tensor(list(batch))


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    ember.Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch (the DataLoader's default ``collate_fn``).

    Tensors are stacked along a new first dimension, numbers become 1-D
    tensors (int -> int64, float -> float64, bool -> bool), strings stay a list,
    and containers are transposed: a list of ``(x, y)`` pairs becomes
    ``[stack(xs), stack(ys)]``, a list of dicts a dict of batches.

    >>> default_collate([{"x": ember.zeros(2), "y": 1}, {"x": ember.ones(2), "y": 0}])
    {'x': tensor([[0., 0.],
            [1., 1.]]), 'y': tensor([1, 0])}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
