"""Tensor subclasses that tell the v2 transforms what a tensor holds (``torchvision.tv_tensors``).

``Image`` (``[..., C, H, W]``), ``Video`` (``[..., T, C, H, W]``), ``Mask`` and
``BoundingBoxes`` (``[N, 4]`` with a ``format`` and the ``canvas_size`` of their
image) are ordinary tensors to every op, which returns a plain ``Tensor``, as
torchvision's do; ``clone``, ``to``, ``detach`` and ``requires_grad_`` keep the type
(and the boxes' metadata).  ``wrap(tensor, like=x)`` gives a tensor ``x``'s type.

>>> img = Image(ember.zeros(3, 2, 2))
>>> type(img + 1).__name__
'Tensor'
"""
from __future__ import annotations

from enum import Enum

from .._ops._core import adopt
from .._tensor import Tensor
from .._unsupported import Unsupported
from . import _pil

__all__ = ["BoundingBoxFormat", "BoundingBoxes", "Image", "KeyPoints", "Mask", "TVTensor",
           "Video", "is_rotated_bounding_format", "set_return_type", "wrap"]


def _as_class(t: Tensor, cls):
    """A ``cls`` instance on ``t``'s memory and autograd history (``Tensor.as_subclass``)."""
    if type(t) is cls:
        return t
    out = object.__new__(cls)
    adopt(out, t)
    return out


def _alias_as(t: Tensor, cls):
    """``t.as_subclass(cls)``, as torchvision makes and wraps its tv_tensors: an alias of ``t``,
    so that one made from a tensor that requires grad has ``grad_fn=<AliasBackward0>``."""
    return Tensor.as_subclass(t, cls)


class TVTensor(Tensor):
    """Base class of the tv_tensors: a ``Tensor`` whose ops return plain tensors."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass  # everything happens in __new__ (Tensor.__init__ must not run again)

    @staticmethod
    def _to_tensor(data, dtype=None, device=None, requires_grad=None) -> Tensor:
        from .._ops.creation import as_tensor

        if requires_grad is None:
            requires_grad = data.requires_grad if isinstance(data, Tensor) else False
        t = as_tensor(data, dtype=dtype, device=device)
        if isinstance(t, TVTensor):
            t = _as_class(t, Tensor)
        return t.requires_grad_(requires_grad)

    @classmethod
    def wrap(cls, tensor: Tensor, like=None, **kwargs):
        return _alias_as(tensor, cls)

    def as_subclass(self, cls):
        """This tensor's memory and history as an instance of ``cls`` (no metadata)."""
        return _alias_as(self, cls)

    def _rewrap(self, out):
        return type(self).wrap(out, like=self) if isinstance(out, Tensor) else out

    # the few methods whose result keeps the type, as in torchvision
    def clone(self, *args, **kwargs):
        return self._rewrap(Tensor.clone(self, *args, **kwargs))

    def to(self, *args, **kwargs):
        return self._rewrap(Tensor.to(self, *args, **kwargs))

    def detach(self):
        return self._rewrap(Tensor.detach(self))

    def pin_memory(self, *args, **kwargs):
        return self._rewrap(Tensor.pin_memory(self, *args, **kwargs))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = self.detach().clone().requires_grad_(self.requires_grad)
        memo[id(self)] = out
        return out

    def __copy__(self):
        return self._rewrap(Tensor.__copy__(_as_class(self, Tensor)))

    def __reduce_ex__(self, proto):
        plain = _as_class(self, Tensor)
        # (the metadata only: ember's own bookkeeping, such as a view's, stays behind)
        state = {k: v for k, v in self.__dict__.items() if not hasattr(Tensor, k)}
        return (_rebuild_tv_tensor, (type(self), plain, state))

    def _make_repr(self, **extra) -> str:
        from .._tensor_str import tensor_repr

        text = tensor_repr(self, prefix=type(self).__name__ + "(")
        return f"{text[:-1]}, {', '.join(f'{k}={v}' for k, v in extra.items())})"

    def __repr__(self, *, tensor_contents=None):
        return self._make_repr()


def _plain_result(name):
    """``Tensor.<name>`` returning a plain ``Tensor`` even when it hands back ``self``.

    NOTE: ember's ``float()``, ``cpu()``, ``contiguous()``... return the tensor itself
    when there is nothing to do; torchvision unwraps every result that is not from
    clone/to/detach/requires_grad_/pin_memory, so ``img.float()`` on a float32 Image
    is a plain ``Tensor`` there too.
    """
    method = getattr(Tensor, name)

    def plain(self, *args, **kwargs):
        out = method(self, *args, **kwargs)
        return _as_class(out, Tensor) if isinstance(out, TVTensor) else out

    plain.__name__ = name
    return plain


# NOTE: in-place ops too (``img.add_(1)``, ``img += 1``): torchvision hands back the same data
# as a plain ``Tensor`` (``out.as_subclass(torch.Tensor)``); the tensor itself keeps its type.
_INPLACE = [n for n in dir(Tensor) if n.endswith("_") and not n.startswith("_")
            and n != "requires_grad_" and n not in vars(TVTensor)]
_INPLACE += ["__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__",
             "__ipow__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__",
             "__imatmul__"]
for _name in ["float", "double", "half", "bfloat16", "int", "long", "short", "byte", "char",
              "bool", "cfloat", "cdouble", "cpu", "cuda", "contiguous", "type_as"] + _INPLACE:
    if hasattr(Tensor, _name):
        setattr(TVTensor, _name, _plain_result(_name))
del _name


def _rebuild_tv_tensor(cls, plain, state):
    out = _as_class(plain, cls)
    out.__dict__.update(state)
    return out


def _from_pil(data):
    if _pil.is_pil_image(data):
        from .transforms.functional import pil_to_tensor

        return pil_to_tensor(data)
    return data


class Image(TVTensor):
    """An image (or a batch of them) shaped ``[..., C, H, W]``; a 2-d input gets ``C = 1``.

    ``data`` is anything ``torch.as_tensor`` takes, or a ``PIL.Image``.
    """

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        t = cls._to_tensor(_from_pil(data), dtype=dtype, device=device,
                           requires_grad=requires_grad)
        if t.ndim < 2:
            raise ValueError(f"Tensor must be 2D or higher, got {t.ndim}D tensor.")
        if t.ndim == 2:
            t = t.unsqueeze(0)
        return _alias_as(t, cls)


class Video(TVTensor):
    """A video (or batch of them) shaped ``[..., T, C, H, W]``."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        t = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if t.ndim < 4:
            raise ValueError
        return _alias_as(t, cls)


class Mask(TVTensor):
    """A segmentation or detection mask shaped ``[..., H, W]``."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        t = cls._to_tensor(_from_pil(data), dtype=dtype, device=device,
                           requires_grad=requires_grad)
        return _alias_as(t, cls)

    def __repr__(self, *, tensor_contents=None):
        # NOTE: torchvision gives Mask no repr of its own: it prints like a tensor
        # whose prefix is the class name (no trailing ", ").
        from .._tensor_str import tensor_repr

        return tensor_repr(self, prefix="Mask(")


class BoundingBoxFormat(Enum):
    """How the numbers of a box are laid out: ``XYXY`` (corners), ``XYWH`` (top-left corner and
    size), ``CXCYWH`` (centre and size); the rotated formats ``XYWHR``, ``CXCYWHR``
    (angle in degrees last) and ``XYXYXYXY`` (four corners)."""

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"
    XYWHR = "XYWHR"
    CXCYWHR = "CXCYWHR"
    XYXYXYXY = "XYXYXYXY"


def is_rotated_bounding_format(format) -> bool:
    if isinstance(format, BoundingBoxFormat):
        return format in (BoundingBoxFormat.XYWHR, BoundingBoxFormat.CXCYWHR,
                          BoundingBoxFormat.XYXYXYXY)
    if isinstance(format, str):
        return format in ("XYWHR", "CXCYWHR", "XYXYXYXY")
    raise ValueError(f"format should be str or BoundingBoxFormat, got {type(format)}")


class BoundingBoxes(TVTensor):
    """``N`` boxes shaped ``[N, K]`` (``K = 4``; 5 or 8 for rotated formats) on an image of
    ``canvas_size = (height, width)``.

    ``clamping_mode`` (``"soft"``, ``"hard"`` or ``None``) says how transforms clamp boxes
    that leave the canvas.
    """

    format: BoundingBoxFormat
    canvas_size: tuple

    @classmethod
    def _wrap(cls, tensor, *, format, canvas_size, clamping_mode="soft", check_dims=True):
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.ndim != 2:
                raise ValueError(f"Expected a 1D or 2D tensor, got {tensor.ndim}D")
        if clamping_mode is not None and clamping_mode not in ("hard", "soft"):
            raise ValueError(f"clamping_mode must be None, hard or soft, got {clamping_mode}.")
        if isinstance(format, str):
            format = BoundingBoxFormat[format.upper()]
        out = _alias_as(tensor, cls)
        out.format = format
        out.canvas_size = canvas_size
        out.clamping_mode = clamping_mode
        return out

    @classmethod
    def wrap(cls, tensor, like=None, **kwargs):
        return cls._wrap(tensor, format=kwargs.get("format", like.format),
                         canvas_size=kwargs.get("canvas_size", like.canvas_size),
                         clamping_mode=kwargs.get("clamping_mode", like.clamping_mode))

    def __new__(cls, data, *, format, canvas_size, clamping_mode="soft", dtype=None,
                device=None, requires_grad=None):
        t = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if not t.is_floating_point() and is_rotated_bounding_format(format):
            raise ValueError("Rotated bounding boxes should be floating point tensors, got "
                             f"{t.dtype}.")
        return cls._wrap(t, format=format, canvas_size=canvas_size, clamping_mode=clamping_mode)

    def _rewrap(self, out):
        if not isinstance(out, Tensor):
            return out
        return BoundingBoxes._wrap(out, format=self.format, canvas_size=self.canvas_size,
                                   clamping_mode=self.clamping_mode, check_dims=False)

    def __repr__(self, *, tensor_contents=None):
        return self._make_repr(format=self.format, canvas_size=self.canvas_size,
                               clamping_mode=self.clamping_mode)


class KeyPoints(TVTensor):
    """Points shaped ``[..., 2]`` (``x, y`` each) on an image of ``canvas_size = (height,
    width)``: polygons, polylines, skeletons; a 1-d input becomes one point ``[1, 2]``."""

    canvas_size: tuple

    @classmethod
    def _wrap(cls, tensor, *, canvas_size, check_dims=True):
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.shape[-1] != 2:
                raise ValueError(f"Expected a tensor of shape (..., 2), not {tensor.shape}")
        out = _alias_as(tensor, cls)
        out.canvas_size = canvas_size
        return out

    @classmethod
    def wrap(cls, tensor, like=None, **kwargs):
        return cls._wrap(tensor, canvas_size=kwargs.get("canvas_size", like.canvas_size))

    def __new__(cls, data, *, canvas_size, dtype=None, device=None, requires_grad=None):
        t = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        return cls._wrap(t, canvas_size=canvas_size)

    def _rewrap(self, out):
        if not isinstance(out, Tensor):
            return out
        return KeyPoints._wrap(out, canvas_size=self.canvas_size, check_dims=False)

    def __repr__(self, *, tensor_contents=None):
        return self._make_repr(canvas_size=self.canvas_size)


def wrap(wrappee, *, like, **kwargs):
    """``wrappee`` as the tv_tensor type of ``like``, with its metadata (``kwargs`` override it)."""
    method = getattr(type(like), "wrap", None)
    if method is not None:
        return method(wrappee, like, **kwargs)
    return _alias_as(wrappee, type(like))


class _ReturnType:
    def __init__(self, previous):
        self.previous = previous

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def set_return_type(return_type: str):
    """Only ``"Tensor"`` (the default: ops on tv_tensors return plain tensors) is supported."""
    kind = {"tensor": False, "tvtensor": True}.get(str(return_type).lower())
    if kind is None:
        raise ValueError(f"return_type must be 'TVTensor' or 'Tensor', got {return_type}")
    if kind:
        raise Unsupported("torchvision.tv_tensors.set_return_type('TVTensor') is not supported "
                          "by ember")
    return _ReturnType(False)


from .._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.tv_tensors")  # a missing API is named
