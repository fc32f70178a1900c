"""Fetchers: turn what the sampler yields into one collated batch.

A map-style fetcher indexes the dataset (``dataset[i]`` per index, or one
``dataset.__getitems__(indices)`` call when the dataset has it); an iterable
fetcher pulls ``len(indices)`` samples from the dataset's iterator and ignores
the index values themselves (they are ``None`` placeholders).  Both raise
``StopIteration`` when there is nothing left to batch.
"""
from __future__ import annotations

__all__ = ["MapDatasetFetcher", "IterableDatasetFetcher"]


class _Fetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last

    def fetch(self, possibly_batched_index):
        raise NotImplementedError


class MapDatasetFetcher(_Fetcher):
    def fetch(self, possibly_batched_index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[possibly_batched_index])
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems:
            data = getitems(possibly_batched_index)
        else:
            data = [self.dataset[i] for i in possibly_batched_index]
        return self.collate_fn(data)


class IterableDatasetFetcher(_Fetcher):
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        super().__init__(dataset, auto_collation, collate_fn, drop_last)
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in possibly_batched_index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(data)


# PyTorch's names
_BaseDatasetFetcher = _Fetcher
_MapDatasetFetcher = MapDatasetFetcher
_IterableDatasetFetcher = IterableDatasetFetcher


def create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    cls = IterableDatasetFetcher if iterable else MapDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)
