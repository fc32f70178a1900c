"""Helpers of the v2 transforms: flattening nested samples, finding the image, argument checks."""
from __future__ import annotations

import collections
import numbers
from collections.abc import Sequence

from ...._tensor import Tensor
from ... import _pil, tv_tensors

# -- nested samples ----------------------------------------------------------------------------
# A sample is any nesting of lists, tuples (named ones too) and dicts; everything else is a
# leaf.  Dicts are walked in insertion order, as torch.utils._pytree does.


def _is_namedtuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(type(obj), "_fields")


def tree_flatten(tree):
    """``(leaves, spec)``: the leaves of ``tree`` in order and what rebuilds it from them."""
    leaves: list = []

    def walk(node):
        if isinstance(node, dict):
            return (type(node), list(node.keys()), [walk(v) for v in node.values()])
        if isinstance(node, (list, tuple)):
            return (type(node), None, [walk(v) for v in node])
        leaves.append(node)
        return None

    return leaves, walk(tree)


def tree_unflatten(leaves, spec):
    it = iter(leaves)

    def build(node):
        if node is None:
            return next(it)
        kind, keys, children = node
        values = [build(c) for c in children]
        if keys is not None:
            if kind is collections.defaultdict:
                return collections.defaultdict(None, zip(keys, values))
            try:
                return kind(zip(keys, values))
            except TypeError:
                return dict(zip(keys, values))
        if kind is list:
            return values
        if kind is tuple:
            return tuple(values)
        if issubclass(kind, tuple) and hasattr(kind, "_fields"):
            return kind(*values)
        return kind(values)

    return build(spec)


# -- what the sample holds ---------------------------------------------------------------------

def is_pure_tensor(inpt) -> bool:
    """A ``Tensor`` that is no tv_tensor."""
    return isinstance(inpt, Tensor) and not isinstance(inpt, tv_tensors.TVTensor)


def _is_pil(inpt) -> bool:
    return _pil.is_pil_image(inpt)


def check_type(obj, types_or_checks) -> bool:
    for check in types_or_checks:
        if isinstance(check, type):
            if isinstance(obj, check):
                return True
        elif check(obj):
            return True
    return False


def has_any(flat_inputs, *types_or_checks) -> bool:
    return any(check_type(inpt, types_or_checks) for inpt in flat_inputs)


def has_all(flat_inputs, *types_or_checks) -> bool:
    return all(any(check_type(inpt, (check,)) for inpt in flat_inputs)
               for check in types_or_checks)


def _sequence_to_str(seq, separate_last: str = "") -> str:
    if not seq:
        return ""
    if len(seq) == 1:
        return f"'{seq[0]}'"
    head = "'" + "', '".join([str(item) for item in seq[:-1]]) + "'"
    tail = f"{'' if separate_last and len(seq) == 2 else ','} {separate_last}'{seq[-1]}'"
    return head + tail


def query_chw(flat_inputs) -> tuple[int, int, int]:
    """``(C, H, W)`` of the images and videos in the sample (they must agree)."""
    from . import functional as F

    chws = {tuple(F.get_dimensions(inpt)) for inpt in flat_inputs
            if check_type(inpt, (is_pure_tensor, tv_tensors.Image, _is_pil, tv_tensors.Video))}
    if not chws:
        raise TypeError("No image or video was found in the sample")
    if len(chws) > 1:
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: "
                         f"{_sequence_to_str(sorted(chws))}")
    return chws.pop()


def query_size(flat_inputs) -> tuple[int, int]:
    """``(H, W)`` of everything spatial in the sample (they must agree)."""
    from . import functional as F

    sizes = {tuple(F.get_size(inpt)) for inpt in flat_inputs
             if check_type(inpt, (is_pure_tensor, tv_tensors.Image, _is_pil, tv_tensors.Video,
                                  tv_tensors.Mask, tv_tensors.BoundingBoxes,
                                  tv_tensors.KeyPoints))}
    if not sizes:
        raise TypeError("No image, video, mask, bounding box of keypoint was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: "
                         f"{_sequence_to_str(sorted(sizes))}")
    return sizes.pop()


def get_bounding_boxes(flat_inputs):
    """The (one) ``BoundingBoxes`` of the sample."""
    for inpt in flat_inputs:
        if isinstance(inpt, tv_tensors.BoundingBoxes):
            return inpt
    raise ValueError("No bounding boxes were found in the sample")


def get_keypoints(flat_inputs):
    """The (one) ``KeyPoints`` of the sample."""
    for inpt in flat_inputs:
        if isinstance(inpt, tv_tensors.KeyPoints):
            return inpt
    raise ValueError("No keypoints were found in the sample")


# -- argument checks ---------------------------------------------------------------------------

def _setup_number_or_seq(arg, name: str) -> list[float]:
    if not isinstance(arg, (int, float, Sequence)):
        raise TypeError(f"{name} should be a number or a sequence of numbers. Got {type(arg)}")
    if isinstance(arg, Sequence) and len(arg) not in (1, 2):
        raise ValueError(f"If {name} is a sequence its length should be 1 or 2. Got {len(arg)}")
    if isinstance(arg, Sequence):
        for element in arg:
            if not isinstance(element, (int, float)):
                raise ValueError(f"{name} should be a sequence of numbers. Got {type(element)}")
    if isinstance(arg, (int, float)):
        return [float(arg), float(arg)]
    if len(arg) == 1:
        return [float(arg[0]), float(arg[0])]
    return [float(arg[0]), float(arg[1])]


def _check_fill_arg(fill) -> None:
    if isinstance(fill, dict):
        for value in fill.values():
            _check_fill_arg(value)
    elif fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg, only Numbers, tuples, lists and dicts are "
                        "allowed.")


def _convert_fill_arg(fill):
    if fill is None or isinstance(fill, (int, float)):
        return fill
    return [float(v) for v in list(fill)]


def _setup_fill_arg(fill) -> dict:
    """``fill`` as ``{type or 'others': value}`` (a plain value applies to every type)."""
    _check_fill_arg(fill)
    if isinstance(fill, dict):
        for key, value in fill.items():
            fill[key] = _convert_fill_arg(value)
        return fill
    return {"others": _convert_fill_arg(fill)}


def _get_fill(fill_dict, inpt_type):
    if inpt_type in fill_dict:
        return fill_dict[inpt_type]
    return fill_dict.get("others")


def _check_padding_arg(padding) -> None:
    msg = f"Padding must be an int or a 1, 2, or 4 element of tuple or list, got {padding}."
    if isinstance(padding, (tuple, list)):
        if len(padding) not in (1, 2, 4) or not all(isinstance(p, int) for p in padding):
            raise ValueError(msg)
    elif not isinstance(padding, int):
        raise ValueError(msg)


def _check_padding_mode_arg(padding_mode) -> None:
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


def _find_labels_default_heuristic(inputs):
    """The labels of a sample: the second item of a pair, or a dict's ``labels``-like key."""
    if isinstance(inputs, (tuple, list)):
        inputs = inputs[1]
    if is_pure_tensor(inputs):
        return inputs
    if not isinstance(inputs, collections.abc.Mapping):
        raise ValueError("When using the default labels_getter, the input passed to forward "
                         "must be a dictionary or a two-tuple whose second item is a dictionary "
                         f"or a tensor, but got {inputs} instead.")
    key = next((k for k in inputs.keys() if k.lower() == "labels"), None)
    if key is None:
        key = next((k for k in inputs.keys() if "label" in k.lower()), None)
    if key is None:
        raise ValueError("Could not infer where the labels are in the sample. Try passing a "
                         "callable as the labels_getter parameter?If there are no labels in the "
                         "sample by design, pass labels_getter=None.")
    return inputs[key]


def _parse_labels_getter(labels_getter):
    if labels_getter == "default":
        return _find_labels_default_heuristic
    if callable(labels_getter):
        return labels_getter
    if labels_getter is None:
        return lambda _: None
    raise ValueError("labels_getter should either be 'default', a callable, or None, but got "
                     f"{labels_getter}.")
