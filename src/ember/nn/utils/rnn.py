"""``nn.utils.rnn``: padding variable-length sequences and packing them for the RNN layers.

A :class:`PackedSequence` stores a batch of sequences time step by time step: ``data`` holds
the rows of step 0 for every sequence, then the rows of step 1 for the sequences at least
two long, and so on; ``batch_sizes[t]`` counts the sequences still running at step ``t``.
The sequences are ordered longest first; ``sorted_indices`` says which input sequence each
packed one is, ``unsorted_indices`` reverses that.

Everything here is built from differentiable ops (slicing, ``cat``, ``stack``), so gradients
flow through packing and padding.

>>> seqs = [ember.tensor([1., 2., 3.]), ember.tensor([4.])]
>>> pad_sequence(seqs, batch_first=True)
tensor([[1., 2., 3.],
        [4., 0., 0.]])
>>> pack_sequence(seqs).batch_sizes
tensor([2, 1, 1])
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ... import _dtype as D
from ..._ops import creation
from ..._ops._core import _legacy, make
from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """A packed batch of variable-length sequences; make one with :func:`pack_sequence` or
    :func:`pack_padded_sequence`, never by hand.

    It is a named tuple ``(data, batch_sizes, sorted_indices, unsorted_indices)``; when
    only ``sorted_indices`` is given, ``unsorted_indices`` is its inverse.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # the old form PackedSequence((data, batch_sizes))
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        """This sequence with new ``data``; the permutations follow it to its device."""
        if data is self.data:
            return self

        def move(t):
            return None if t is None else t.to(data.device)
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def to(self, *args, **kwargs):
        """``data.to(...)``; ``batch_sizes`` stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is not self.data:
            from ..._ops.convert import _is_dtype

            # (PyTorch then parses the arguments as a module's ``to``, which refuses ``copy``,
            # by name or as the last positional after non_blocking)
            lead = 0 if not args else 1 if isinstance(args[0], Tensor) or _is_dtype(args[0]) \
                else 2 if len(args) > 1 and (args[1] is None or _is_dtype(args[1])) else 1
            if "copy" in kwargs or len(args) - lead >= 2:
                raise RuntimeError(".to() does not accept copy argument")
        return self._with_data(data)

    def cuda(self, *args, **kwargs):
        return self._with_data(self.data.cuda(*args, **kwargs))

    def cpu(self, *args, **kwargs):
        return self._with_data(self.data.cpu(*args, **kwargs))

    def pin_memory(self):
        return self._with_data(self.data.pin_memory())

    def double(self):
        return self.to(dtype=D.float64)

    def float(self):
        return self.to(dtype=D.float32)

    def half(self):
        return self.to(dtype=D.float16)

    def long(self):
        return self.to(dtype=D.int64)

    def int(self):
        return self.to(dtype=D.int32)

    def short(self):
        return self.to(dtype=D.int16)

    def char(self):
        return self.to(dtype=D.int8)

    def byte(self):
        return self.to(dtype=D.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return self.data.is_pinned()


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (``None`` stays ``None``)."""
    if permutation is None:
        return None
    inverse = creation.empty_like(permutation)
    inverse.scatter_(0, permutation, creation.arange(permutation.numel(),
                                                     device=permutation.device))
    return inverse


def _check_sizes_tensor(t):
    if t.dim() != 1 or t.device.type != "cpu" or t.dtype is not D.int64:
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{t.dim()}D {t.device} {_legacy(t.dtype)} tensor")


def _runs(sizes):
    """``(first step, number of steps, batch size)`` for each run of equal batch sizes."""
    runs = []
    for t, bs in enumerate(sizes):
        if runs and runs[-1][2] == bs:
            runs[-1][1] += 1
        else:
            runs.append([t, 1, bs])
    return runs


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``) whose
    sequence ``b`` has ``lengths[b]`` valid steps.

    With ``enforce_sorted`` the lengths must be in decreasing order; otherwise the batch is
    sorted here and the permutation kept in the result.
    """
    if not isinstance(lengths, Tensor):
        lengths = creation.as_tensor(lengths, dtype=D.int64, device="cpu")
    else:
        lengths = lengths.to(dtype=D.int64)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = lengths.sort(descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    _check_sizes_tensor(lengths)
    source = input  # (PyTorch's node takes the input as given, batch-first or not)
    if batch_first:
        input = input.transpose(0, 1)
    batch = input.size(1)
    if lengths.size(0) != batch:
        raise RuntimeError("Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.size(0)} (batch_size={batch})")
    lens = lengths.tolist()
    if lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if any(a < b for a, b in zip(lens, lens[1:])):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                           "`enforce_sorted` is True. You can pass `enforce_sorted=False` to "
                           "pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    if lens[0] > input.size(0):
        # NOTE: PyTorch reads past the end of the input here and packs whatever memory follows;
        # ember refuses.
        raise RuntimeError(f"pack_padded_sequence: a sequence length ({lens[0]}) is larger than "
                           f"the padded input's {input.size(0)} steps")
    sizes = [sum(1 for n in lens if n > t) for t in range(lens[0])]
    rest = tuple(input.shape[2:])
    steps = input.size(0)
    arr = input.detach()._data
    data = np.concatenate([arr[t:t + n, :bs].reshape(n * bs, *rest)
                           for t, n, bs in _runs(sizes)])

    def rule(ctx, g):  # (PyTorch's: the rows back into a zero-padded input)
        padded = _padded(g, sizes, steps, 0)
        return (padded.transpose(0, 1) if batch_first else padded,)

    data = make(data, (source,), "PackPaddedSequenceBackward0", rule)
    batch_sizes = creation.tensor(sizes, dtype=D.int64)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _padded(data, sizes, steps, padding_value):
    """The packed rows ``data`` (``batch_sizes`` ``sizes``, a list) as a ``(steps, B, *)``
    padded batch, written as PyTorch writes it: a tensor full of ``padding_value`` and each
    run of equal batch sizes copied into its block (``CopySlices``)."""
    rest = tuple(data.shape[1:])
    out = creation.full((steps, sizes[0], *rest), padding_value, dtype=data.dtype,
                        device=data.device)
    offset = 0
    for t, n, bs in _runs(sizes):
        out.narrow(0, t, n).narrow(1, 0, bs).copy_(
            data.narrow(0, offset, n * bs).view(n, bs, *rest))
        offset += n * bs
    return out


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo :func:`pack_padded_sequence`: returns ``(padded, lengths)``, the padded batch in
    the original order with ``total_length`` steps (default: the longest sequence)."""
    batch_sizes = sequence.batch_sizes
    steps = batch_sizes.size(0)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        if not hasattr(type(total_length), "__index__"):
            from ..._ops._core import tp_name

            raise TypeError("_pad_packed_sequence(): argument 'total_length' (position 5) must "
                            f"be int, not {tp_name(total_length)}")
        steps = total_length.__index__()
    data = sequence.data
    _check_sizes_tensor(batch_sizes)
    sizes = batch_sizes.tolist()
    batch = sizes[0]
    padded = _padded(data, sizes, steps, padding_value)
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths = creation.tensor([sum(1 for bs in sizes if bs > b) for b in range(batch)],
                              dtype=D.int64)
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices
        return padded.index_select(0 if batch_first else 1, order), lengths[order.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with
    ``batch_first``), filling the missing steps with ``padding_value`` after each sequence
    (``padding_side='right'``) or before it (``'left'``). The result has the first
    sequence's dtype."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of "
                           f"type: {type(sequences)}")
    sequences = tuple(sequences)
    for i, s in enumerate(sequences):  # (PyTorch's parser: a list of tensors)
        if not isinstance(s, Tensor):
            from ..._ops._core import tp_name

            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{tp_name(s)}")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError("Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    first = sequences[0]
    if first.dim() == 0:  # (PyTorch slices the first one's sizes past its first)
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    longest = max(s.size(0) for s in sequences)
    rest = tuple(first.shape[1:])
    # (PyTorch's: a tensor full of the padding, each sequence copied into its slot:
    # ``CopySlices``, the copy casting and broadcasting it)
    shape = (len(sequences), longest) if batch_first else (longest, len(sequences))
    out = creation.full((*shape, *rest), padding_value, dtype=first.dtype, device=first.device)
    for i, s in enumerate(sequences):
        n = s.size(0)
        out.select(0 if batch_first else 1, i).narrow(
            0, 0 if padding_side == "right" else longest - n, n).copy_(s)
    return out


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into its sequences, ``lengths[b]`` steps each.

    NOTE: PyTorch transposes a time-first ``padded_sequences`` in place (the caller's tensor
    is left batch-first); ember leaves the argument as it was.
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    steps = creation.arange(padded_sequences.shape[1], device=lengths.device)
    return [seq[steps < length] for seq, length in zip(padded_sequences, lengths, strict=True)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors of shapes ``(L_i, *)`` (longest first, unless
    ``enforce_sorted=False``)."""
    lengths = creation.as_tensor([s.size(0) for s in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of tensors a :class:`PackedSequence` holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.nn.utils.rnn")  # a missing API is named
