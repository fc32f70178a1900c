import torch
from torch.utils.data import (
    Dataset,
    DataLoader,
    random_split,
    WeightedRandomSampler,
    SubsetRandomSampler,
)
from torch.nn.utils.rnn import pad_sequence


class ToySeqDataset(Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(1)
        self.lengths = torch.randint(2, 7, (n,), generator=g)
        self.data = [torch.randint(1, 20, (int(l),), generator=g) for l in self.lengths]
        self.labels = torch.randint(0, 3, (n,), generator=g)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        return self.data[idx], self.labels[idx]


def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = pad_sequence(seqs, batch_first=True, padding_value=0)
    return padded, lengths, torch.stack(labels)


torch.manual_seed(0)
ds = ToySeqDataset(20)
print(len(ds), ds[0])
train, val = random_split(ds, [15, 5], generator=torch.Generator().manual_seed(42))
print(len(train), len(val), val.indices)
loader = DataLoader(train, batch_size=4, shuffle=True, collate_fn=collate)
print(len(loader))
for i, (x, lens, y) in enumerate(loader):
    print(i, x.shape, lens.tolist(), y)
print(x)
counts = torch.bincount(ds.labels, minlength=3)
weights = (1.0 / counts.float())[ds.labels]
print(counts, weights[:5])
sampler = WeightedRandomSampler(weights, num_samples=10, replacement=True)
print(list(sampler))
sub = SubsetRandomSampler([1, 3, 5, 7, 9])
print(list(sub))
dl = DataLoader(ds, batch_size=3, sampler=sub, collate_fn=collate, drop_last=True)
print([b[2].tolist() for b in dl])
fracs = random_split(range(10), [0.7, 0.3])
print([list(f) for f in fracs])
default = DataLoader([(torch.tensor([i, i + 1.0]), i % 2) for i in range(5)], batch_size=2)
for xb, yb in default:
    print(xb, yb)
dict_dl = DataLoader(
    [{"x": torch.ones(2) * i, "id": i, "name": f"s{i}"} for i in range(4)], batch_size=3
)
for b in dict_dl:
    print(b)
