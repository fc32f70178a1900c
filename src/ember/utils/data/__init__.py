"""Datasets, samplers and ``DataLoader``, with ``torch.utils.data``'s API.

>>> from ember.utils.data import DataLoader, TensorDataset
>>> ds = TensorDataset(ember.arange(6.).view(3, 2), ember.tensor([0, 1, 0]))
>>> for x, y in DataLoader(ds, batch_size=2):
...     print(x.shape, y.tolist())
torch.Size([2, 2]) [0, 1]
torch.Size([1, 2]) [0]
"""
from ._utils.collate import default_collate, default_convert
from ._utils.worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader, _DatasetKind
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                      Subset, TensorDataset, random_split)
from .distributed import DistributedSampler
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset",
           "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
           "WorkerInfo", "_DatasetKind", "default_collate", "default_convert",
           "get_worker_info", "random_split"]


from ..._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.utils.data")  # a missing API is named
