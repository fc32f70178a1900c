"""Samplers: the order in which a DataLoader visits a map-style dataset.

A sampler is an iterable of indices (``BatchSampler``: of lists of indices).
The random ones draw exactly PyTorch's numbers for the same generator state,
and consume the same amount of it, so shuffled training with a seed visits
the data in PyTorch's order.
"""
from __future__ import annotations

import math
from typing import Generic, TypeVar


import ember

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


_T_co = TypeVar("_T_co", covariant=True)


class Sampler(Generic[_T_co]):
    """Base class: subclasses implement ``__iter__`` (and ``__len__`` when they can)."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


def _seeded_private_generator():
    """A fresh generator seeded from one ``random_()`` draw of the default generator.

    NOTE: PyTorch's RandomSampler does this on every ``iter()`` without a
    ``generator`` (the draw happens at the first ``next()``), which is what a
    shuffled DataLoader consumes from the global seed each epoch.
    """
    seed = int(ember.empty((), dtype=ember.int64).random_().item())
    return ember.Generator().manual_seed(seed)


class RandomSampler(Sampler):
    """Indices in random order: a permutation per pass, or draws with replacement.

    Without replacement, ``num_samples`` (default ``len(data_source)``) is
    covered by whole permutations followed by a prefix of one more; with
    replacement, indices are drawn 32 at a time with ``randint``.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError("replacement should be a boolean value, but got "
                            f"replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        # the dataset may change size between epochs: its length is read lazily
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        gen = self.generator if self.generator is not None else _seeded_private_generator()
        count = self.num_samples
        if self.replacement:
            for _ in range(count // 32):
                yield from ember.randint(n, (32,), dtype=ember.int64, generator=gen).tolist()
            yield from ember.randint(n, (count % 32,), dtype=ember.int64,
                                     generator=gen).tolist()
        else:
            for _ in range(count // n):
                yield from ember.randperm(n, generator=gen).tolist()
            # NOTE: this last permutation is drawn even when count % n == 0, as in PyTorch
            # (it matters for the state of a generator the caller passed in)
            yield from ember.randperm(n, generator=gen).tolist()[:count % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order (a fresh permutation per pass)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in ember.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn in proportion to ``weights`` (need not sum to 1).

    The draws are those of PyTorch's ``multinomial`` on the CPU: see
    :func:`_multinomial`.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError("replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        weights_tensor = ember.as_tensor(weights, dtype=ember.double)
        if weights_tensor.dim() != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        yield from _multinomial(self.weights, self.num_samples, self.replacement,
                                self.generator).tolist()

    def __len__(self):
        return self.num_samples


def _multinomial(weights, num_samples, replacement, generator=None):
    """PyTorch's draws for a 1-D weight vector (``ember.multinomial``)."""
    return ember.multinomial(weights, num_samples, replacement, generator=generator)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return math.ceil(len(self.sampler) / self.batch_size)
