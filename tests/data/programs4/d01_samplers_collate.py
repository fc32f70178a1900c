import collections
import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)
from torch.utils.data.dataloader import default_collate

torch.manual_seed(0)
X = torch.randn(20, 3)
y = torch.tensor([0] * 15 + [1] * 5)
ds = TensorDataset(X, y)
class_counts = torch.bincount(y)
weights = 1.0 / class_counts.float()
sample_w = weights[y]
print(class_counts, weights, sample_w[:3])
sampler = WeightedRandomSampler(
    sample_w,
    num_samples=len(sample_w),
    replacement=True,
    generator=torch.Generator().manual_seed(1),
)
idx = list(sampler)
print(idx)
print(torch.bincount(y[idx]))
print(
    list(
        WeightedRandomSampler(
            [0.1, 0.9, 0.4, 0.7], 3, replacement=False, generator=torch.Generator().manual_seed(3)
        )
    )
)
sub = SubsetRandomSampler(range(10, 20), generator=torch.Generator().manual_seed(2))
print(list(sub), len(sub))
bs = BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)
print(list(bs), len(bs))
print(list(BatchSampler(range(10), 4, True)), len(BatchSampler(range(10), 4, True)))
g = torch.Generator().manual_seed(5)
print(list(RandomSampler(range(6), generator=g)))
print(list(RandomSampler(range(6), replacement=True, num_samples=8, generator=g)))
train, val, test = random_split(ds, [0.6, 0.2, 0.2], generator=torch.Generator().manual_seed(42))
print(len(train), len(val), len(test), train.indices, test.indices)
parts = random_split(range(10), [0.33, 0.33, 0.34], generator=torch.Generator().manual_seed(0))
print([len(p) for p in parts], [list(p) for p in parts])
cat = ConcatDataset([Subset(ds, [0, 1, 2]), TensorDataset(torch.ones(2, 3), torch.tensor([7, 7]))])
print(len(cat), cat.cumulative_sizes, cat[3], cat[-1][1])
dl = DataLoader(ds, batch_size=6, sampler=sampler, drop_last=True)
print(len(dl), [yb.tolist() for _, yb in dl])


class Words(Dataset):
    def __init__(self):
        self.data = [[1, 2, 3], [4, 5], [6], [7, 8, 9, 10]]

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return torch.tensor(self.data[i]), len(self.data[i])


def collate(batch):
    seqs, lens = zip(*batch)
    return pad_sequence(seqs, batch_first=True, padding_value=0), torch.tensor(lens)


for s, lens in DataLoader(Words(), batch_size=3, collate_fn=collate):
    print(s, lens)
print(pad_sequence([torch.ones(2, 2), torch.ones(3, 2) * 2]).shape)
print(
    pad_sequence([torch.tensor([1, 2]), torch.tensor([3])], padding_side="left", batch_first=True)
)
Point = collections.namedtuple("Point", ["x", "y"])
print(default_collate([Point(1, 2.0), Point(3, 4.0)]))
print(default_collate([{"a": 1, "b": torch.tensor([1.0])}, {"a": 2, "b": torch.tensor([2.0])}]))
print(default_collate([(1, "x"), (2, "y")]))
print(default_collate([[1, 2], [3, 4]]))
print(default_collate([True, False]), default_collate([1.5, 2.5]).dtype)

print(default_collate([np.array([1, 2]), np.array([3, 4])]))
print(default_collate([np.float64(1.0), np.float64(2.0)]))
