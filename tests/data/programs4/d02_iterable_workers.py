import math
import random
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info


class Stream(IterableDataset):
    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            lo, hi = self.start, self.end
        else:
            per = int(math.ceil((self.end - self.start) / float(info.num_workers)))
            lo = self.start + info.id * per
            hi = min(lo + per, self.end)
        return iter(range(lo, hi))


ds = Stream(3, 10)
print(list(DataLoader(ds, batch_size=3)))
print(list(DataLoader(ds, batch_size=None)))
print(list(DataLoader(ds, batch_size=2, drop_last=True)))
print(get_worker_info())


def worker_init_fn(worker_id):
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)
    print("init", worker_id)


class Noisy(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return i, torch.rand(1).item()


g = torch.Generator()
g.manual_seed(0)
loader = DataLoader(
    Noisy(), batch_size=2, shuffle=True, num_workers=0, worker_init_fn=worker_init_fn, generator=g
)
for epoch in range(2):
    for b in loader:
        print(epoch, b[0], b[1].dtype)
torch.manual_seed(7)
dl = DataLoader(list(range(10)), batch_size=4, shuffle=True)
print([b.tolist() for b in dl], len(dl))
it = iter(dl)
print(next(it), type(it).__name__)
dl2 = DataLoader(torch.arange(12).view(6, 2), batch_size=4, drop_last=True)
print(len(dl2), list(dl2))
dl3 = DataLoader([{"x": torch.ones(2), "y": 1}] * 3, batch_size=2)
print(list(dl3))
print(DataLoader(range(5), batch_size=2).batch_size, DataLoader(range(5)).drop_last)
loader = DataLoader(range(7), batch_size=3, pin_memory=False, persistent_workers=False)
print([x.tolist() for x in loader])


class Chunked(IterableDataset):
    def __iter__(self):
        for i in range(5):
            yield {"id": i, "feat": torch.full((2,), float(i))}


for batch in DataLoader(Chunked(), batch_size=2):
    print(batch["id"], batch["feat"].shape)
try:
    DataLoader(Chunked(), shuffle=True)
except ValueError as e:
    print("ValueError:", e)
try:
    len(DataLoader(Chunked()))
except TypeError as e:
    print("TypeError:", e)
