import torch
from torch.utils.data import (DataLoader, Dataset, Subset, WeightedRandomSampler, random_split,
                              ConcatDataset)
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(7)


class VarLenDataset(Dataset):
    def __init__(self, n=40):
        g = torch.Generator().manual_seed(0)
        self.lengths = torch.randint(2, 7, (n,), generator=g)
        self.items = [torch.randint(1, 20, (int(l),), generator=g) for l in self.lengths]
        self.labels = (torch.rand(n, generator=g) < 0.25).long()

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i], self.labels[i]


def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = pad_sequence(seqs, batch_first=True, padding_value=0)
    return padded, lengths, torch.stack(labels)


ds = VarLenDataset()
counts = torch.bincount(ds.labels)
print("class counts", counts, counts.tolist())
class_w = 1.0 / counts.float()
sample_w = class_w[ds.labels]
sampler = WeightedRandomSampler(sample_w, num_samples=len(ds), replacement=True)
loader = DataLoader(ds, batch_size=8, sampler=sampler, collate_fn=collate)
seen = torch.zeros(2, dtype=torch.long)
for i, (x, lens, y) in enumerate(loader):
    seen += torch.bincount(y, minlength=2)
    if i == 0:
        print(x)
        print(lens, y)
print("seen", seen)
print(len(loader), len(sampler))
train, val, test = random_split(ds, [0.6, 0.2, 0.2], generator=torch.Generator().manual_seed(42))
print(len(train), len(val), len(test), train.indices[:5])
k = 4
idx = torch.randperm(len(ds)).tolist()
folds = [idx[i::k] for i in range(k)]
for f in range(k):
    val_idx = folds[f]
    tr_idx = [j for g, fold in enumerate(folds) if g != f for j in fold]
    tr = Subset(ds, tr_idx)
    va = Subset(ds, val_idx)
    dl = DataLoader(va, batch_size=16, collate_fn=collate)
    total = sum(len(b[2]) for b in dl)
    print(f"fold {f}: train={len(tr)} val={len(va)} batches={len(dl)} total={total}")
both = ConcatDataset([train, test])
print(len(both), both.cumulative_sizes)
dl = DataLoader(both, batch_size=5, shuffle=True, collate_fn=collate, drop_last=True)
print(len(dl), next(iter(dl))[1])
default = DataLoader([(torch.tensor([i, i]), i % 2) for i in range(6)], batch_size=4)
for b in default:
    print(b)
