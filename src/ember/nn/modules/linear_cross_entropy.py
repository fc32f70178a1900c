"""``LinearCrossEntropyLoss`` and ``LinearCrossEntropyOptions``.

The loss owns a ``Linear`` layer (``self.linear``) that maps features to class logits and
takes the cross entropy of those logits against the target in one step. The options pick
PyTorch's chunked computation, which never holds the full ``(N, C)`` logits.
"""
from __future__ import annotations

import dataclasses
import math

from ... import _dtype as D
from .._functional.linear_cross_entropy import linear_cross_entropy
from .linear import Linear
from .loss import _WeightedLoss

__all__ = ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]

# What ``"auto"`` means for (device type, input dtype): (acc_policy, chunking_method).
# Pairs not listed take the fallback.
_AUTO = {
    ("cuda", D.bfloat16): ("compact", "aspect_ratio:2"),
    ("cuda", D.float16): ("compact", "aspect_ratio:2"),
    ("cpu", D.bfloat16): ("accurate", "aspect_ratio"),
    ("cpu", D.float16): ("accurate", "aspect_ratio"),
}
_AUTO_ELSE = ("compact", "aspect_ratio:2")
_ACC_DTYPES = (D.float16, D.bfloat16, D.float32, D.float64)


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """How :func:`~ember.nn.functional.linear_cross_entropy` chunks its batch.

    - ``allow_retain_graph``: keep the precomputed gradients so that ``backward`` may run
      again (scalar reductions only; ``'none'`` always allows it).
    - ``batch_chunk_size``: rows per chunk (``None``: from ``chunking_method``, else one
      chunk).
    - ``chunking_method``: ``"auto"``, ``"aspect_ratio"``, ``"aspect_ratio:N"`` or ``None``;
      ``aspect_ratio`` sizes a chunk's ``(rows, C)`` logits like the ``(N, in_features)``
      input (rounded up to a power of two), divided by ``N``.
    - ``acc_policy``: ``"auto"``, ``"accurate"``, ``"balanced"`` or ``"compact"``: which
      steps run in ``acc_dtype`` for float16/bfloat16 inputs.
    - ``acc_dtype``: the accumulation dtype (``None``: float32 for half inputs under
      ``"auto"``, else the input's dtype).
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in ("auto", "accurate", "balanced", "compact"):
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        method = self.chunking_method
        if method is not None and method != "auto":
            name, colon, factor = method.partition(":")
            factor = factor if colon else "1"
            if name != "aspect_ratio" or not factor.isdigit() or int(factor) <= 0:
                raise ValueError(f"invalid chunking_method: {method!r}")
        size = self.batch_chunk_size
        if size is not None and not (isinstance(size, int) and size > 0):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {size!r}")
        if self.acc_dtype is not None and self.acc_dtype not in _ACC_DTYPES:
            raise ValueError("acc_dtype must be one of {None, torch.float16, torch.bfloat16, "
                             f"torch.float32, torch.float64}}, got {self.acc_dtype!r}. Pass "
                             "acc_dtype=None to let the op pick automatically.")

    @staticmethod
    def _ceil_div(a: int, b: int) -> int:
        return -(-a // b)

    @staticmethod
    def _resolve_auto_acc_dtype(dtype, device):
        """float32 for a half-precision input on the CPU (ember's GPUs: the same rule as
        PyTorch's CUDA, which needs a recent card; ember assumes one); else ``None``."""
        if device is None or dtype not in (D.float16, D.bfloat16):
            return None
        return D.float32 if device.type in ("cpu", "cuda") else None

    def _compute_batch_chunk_size(self, num_batches, in_features, num_classes, method=None):
        method = str(method if method is not None else self.chunking_method)
        _, colon, factor = method.partition(":")
        factor = int(factor) if colon else 1
        # rows whose (rows, C) logits weigh what the (N, in_features) input does, rounded up
        # to a power of two
        rows = self._ceil_div(num_batches, self._ceil_div(num_classes, in_features))
        return min((1 << (rows - 1).bit_length()) // factor, num_batches)

    def _adjust(self, num_batches, in_features, num_classes, dtype, device=None):
        """These options with ``"auto"`` and ``None`` settled for one call."""
        policy, method = self.acc_policy, self.chunking_method
        if method == "auto" and self.batch_chunk_size is not None:
            method = None  # an explicit size wins over the automatic choice
        if policy == "auto" or method == "auto":
            auto = _AUTO.get((device.type, dtype), _AUTO_ELSE) if device is not None \
                else _AUTO_ELSE
            policy = auto[0] if policy == "auto" else policy
            method = auto[1] if method == "auto" else method
        size = num_batches if self.batch_chunk_size is None \
            else min(self.batch_chunk_size, num_batches)
        if method is not None:
            size = self._compute_batch_chunk_size(num_batches, in_features, num_classes, method)
            if self.batch_chunk_size is not None and self.batch_chunk_size != size:
                raise ValueError(f"batch_chunk_size (={self.batch_chunk_size}) and "
                                 f"chunking_method ('{method}') give different chunk sizes "
                                 f"({self.batch_chunk_size} vs {size}); pass only one.")
        acc = self.acc_dtype
        if acc is None:
            auto_acc = self._resolve_auto_acc_dtype(dtype, device) \
                if self.acc_policy == "auto" else None
            acc = auto_acc if auto_acc is not None else dtype
        return dataclasses.replace(self, acc_policy=policy, chunking_method=method,
                                   batch_chunk_size=max(1, size), acc_dtype=acc)


class LinearCrossEntropyLoss(_WeightedLoss):
    """Cross entropy of ``self.linear(input)`` (``C * prod(out_features)`` logits, viewed as
    ``(N, C, *out_features)``) against ``target``.

    ``self.linear`` is a plain ``Linear(in_features, C * prod(out_features), bias=bias)``,
    initialised as ``Linear`` is. ``weight`` (shape ``(C,)``) becomes a buffer;
    ``ignore_index=None`` means -100 for class-index targets; ``options`` picks the chunked
    computation (see :class:`LinearCrossEntropyOptions`).

    Example::

        >>> loss = nn.LinearCrossEntropyLoss(5, 10)
        >>> out = loss(torch.randn(3, 5), torch.randint(0, 10, (3,)))
    """

    def __init__(self, in_features: int, num_classes: int, *, out_features: tuple = (),
                 bias: bool = False, device=None, dtype=None, reduction: str = "mean",
                 weight=None, ignore_index: int | None = None, label_smoothing: float = 0.0,
                 options: LinearCrossEntropyOptions | None = None) -> None:
        if weight is not None and weight.shape != (num_classes,):
            raise RuntimeError(f"expected weight shape to be {(num_classes,)}, got "
                               f"{tuple(weight.shape)}")
        if not 0 <= label_smoothing <= 1.0:
            raise RuntimeError("expected label_smoothing to be in range [0, 1], got "
                               f"{label_smoothing}")
        super().__init__(weight=weight, reduction=reduction)
        self.num_classes = num_classes
        self.out_features = out_features
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        # NOTE: Linear takes 2-D weights only, so the (C, *out_features, in_features) weight
        # is stored flat and viewed in forward (as PyTorch, which keeps the same state_dict)
        self.linear = Linear(in_features, math.prod(out_features, start=num_classes),
                             bias=bias, device=device, dtype=dtype)
        self.options = options

    def forward(self, input, target):
        lin = self.linear
        lw = lin.weight.reshape((self.num_classes, *self.out_features, lin.in_features))
        lb = None if lin.bias is None else \
            lin.bias.reshape((self.num_classes, *self.out_features))
        return linear_cross_entropy(input, lw, target, linear_bias=lb, weight=self.weight,
                                    reduction=self.reduction, ignore_index=self.ignore_index,
                                    label_smoothing=self.label_smoothing, options=self.options)

    def extra_repr(self) -> str:
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
                f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
                f"label_smoothing={self.label_smoothing}, options={self.options}")
