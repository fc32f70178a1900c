"""``DistributedSampler``: each of ``num_replicas`` processes reads its own share.

ember runs in one process, so ``num_replicas`` and ``rank`` must be given; the index order
(a ``randperm`` from a private generator seeded with ``seed + epoch``, padded by repeating
the start, then every ``num_replicas``-th index from ``rank``) is PyTorch's.
"""
from __future__ import annotations

import math
from typing import TypeVar

import ember

from .sampler import Sampler

__all__ = ["DistributedSampler"]


def _no_process_group():
    # NOTE: PyTorch asks its (uninitialised) default process group, which raises ValueError.
    return ValueError("Default process group has not been initialized, please make sure to "
                      "call init_process_group.")


_T_co = TypeVar("_T_co", covariant=True)


class DistributedSampler(Sampler[_T_co]):
    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            raise _no_process_group()
        if rank < 0 or rank >= num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            g = ember.Generator()
            g.manual_seed(self.seed + self.epoch)
            order = ember.randperm(n, generator=g).tolist()
        else:
            order = list(range(n))
        if self.drop_last:
            order = order[:self.total_size]
        else:
            missing = self.total_size - len(order)
            # the start repeats (the whole list, as often as needed) to fill the last round
            # NOTE: as PyTorch, a dataset grown since the sampler was made gives a negative
            # ``missing``, and ``order[:missing]`` is still appended (the check below fails)
            if missing <= len(order):
                order += order[:missing]
            else:
                order += (order * math.ceil(missing / len(order)))[:missing]
        if len(order) != self.total_size:
            raise AssertionError(f"Number of indices ({len(order)}) does not match total_size "
                                 f"({self.total_size})")
        mine = order[self.rank:self.total_size:self.num_replicas]
        if len(mine) != self.num_samples:
            raise AssertionError(f"Number of subsampled indices ({len(mine)}) does not match "
                                 f"num_samples ({self.num_samples})")
        return iter(mine)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Reseed the next pass: every replica must call it with the same ``epoch``."""
        self.epoch = epoch
