import random
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


seed_everything(42)
print(torch.randn(3), torch.rand(2, 2), torch.randint(0, 10, (5,)), torch.randperm(8))
print(torch.empty(4).normal_(mean=2.0, std=0.5), torch.empty(3).uniform_(-1, 1))
print(
    torch.bernoulli(torch.full((8,), 0.5)),
    torch.multinomial(torch.tensor([0.1, 0.2, 0.7]), 5, replacement=True),
)
print(torch.multinomial(torch.tensor([1.0, 2.0, 3.0, 4.0]), 3))
print(torch.normal(torch.zeros(3), torch.ones(3)), torch.normal(1.0, 2.0, size=(2,)))
print(
    torch.randint(3, 7, (2, 3)),
    torch.randint_like(torch.zeros(3), 100),
    torch.randn_like(torch.zeros(2, dtype=torch.float64)),
)
state = torch.get_rng_state()
a = torch.rand(3)
torch.set_rng_state(state)
b = torch.rand(3)
print(torch.equal(a, b), state.shape, state.dtype)
g = torch.Generator().manual_seed(123)
print(torch.rand(3, generator=g), torch.randperm(5, generator=g), g.initial_seed())
ds = TensorDataset(torch.arange(10))
dl = DataLoader(ds, batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(0))
print([b[0].tolist() for b in dl])
print([b[0].tolist() for b in dl])
torch.manual_seed(5)
dl2 = DataLoader(ds, batch_size=4, shuffle=True)
print([b[0].tolist() for b in dl2])
tr, va = random_split(ds, [7, 3], generator=torch.Generator().manual_seed(42))
print(tr.indices, va.indices, len(tr), [int(x[0]) for x in va])
parts = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(1))
print([list(p) for p in parts])
torch.manual_seed(0)
drop = nn.Dropout(p=0.5)
print(drop(torch.ones(2, 8)))
drop.eval()
print(drop(torch.ones(2, 4)))
torch.manual_seed(0)
print(nn.functional.dropout(torch.ones(10), 0.3, training=True))
torch.manual_seed(0)
l1 = nn.Linear(3, 2)
torch.manual_seed(0)
l2 = nn.Linear(3, 2)
print(torch.equal(l1.weight, l2.weight), l1.weight, l1.bias)
print(torch.initial_seed(), torch.seed() is not None)
torch.manual_seed(9)
w = torch.empty(3, 4)
nn.init.xavier_uniform_(w)
print(w)
nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
print(w)
nn.init.trunc_normal_(w, std=0.02)
print(w.abs().max() < 0.05)
nn.init.orthogonal_(w)
print((w @ w.T).round(decimals=4))
print(
    torch.rand(2, dtype=torch.float64),
    torch.randn(2, dtype=torch.float16),
    torch.rand(2, dtype=torch.bfloat16),
)
print(
    torch.poisson(torch.tensor([1.0, 5.0, 10.0])),
    torch.empty(4).exponential_(),
    torch.empty(4).geometric_(0.3),
)
print(
    torch.empty(3).random_(0, 5),
    torch.empty(3, dtype=torch.int64).random_(10),
    torch.empty(3).log_normal_(),
    torch.empty(2).cauchy_(),
)
