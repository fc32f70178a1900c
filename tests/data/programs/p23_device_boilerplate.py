import os
import random
import numpy as np
import torch
import torch.nn as nn


def set_seed(seed=42):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    os.environ["PYTHONHASHSEED"] = str(seed)


set_seed()
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
mps = getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
print(f"Using device: {device}", mps, torch.cuda.device_count())
print(torch.__version__ is not None, torch.get_num_threads() > 0)
model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1)).to(device)
if torch.cuda.device_count() > 1:
    model = nn.DataParallel(model)
print(next(model.parameters()).device, next(model.parameters()).is_cuda)
torch.set_default_dtype(torch.float64)
a = torch.randn(2, 2)
print(a.dtype, torch.tensor([1.5]).dtype, torch.arange(3.0).dtype, nn.Linear(2, 2).weight.dtype)
torch.set_default_dtype(torch.float32)
h = nn.Linear(4, 2).half()
print(h.weight.dtype, h(torch.randn(3, 4).half()).dtype)
bf = nn.Linear(4, 2).to(torch.bfloat16)
print(bf(torch.randn(1, 4, dtype=torch.bfloat16)))
torch.use_deterministic_algorithms(True)
print(torch.are_deterministic_algorithms_enabled())
torch.use_deterministic_algorithms(False)
x = torch.randn(4, 3, device=device)
total_loss, n = 0.0, 0
for epoch in range(1, 4):
    loss = model(x).pow(2).mean()
    total_loss += loss.item()
    n += 1
    print(f"Epoch [{epoch}/3], Loss: {loss.item():.4f}, Avg: {total_loss / n:.4f}")
model.zero_grad()
print(np.random.rand(), random.random(), torch.rand(1))
print(torch.initial_seed(), torch.random.get_rng_state().shape)
state = torch.get_rng_state()
r1 = torch.randn(2)
torch.set_rng_state(state)
print(torch.equal(r1, torch.randn(2)))
with torch.random.fork_rng():
    torch.randn(100)
print(torch.randn(1))
gen = torch.Generator().manual_seed(3)
print(torch.randn(2, generator=gen), torch.rand(2, generator=gen), gen.initial_seed())
print(torch.normal(0.0, 1.0, size=(3,)), torch.normal(torch.zeros(2), torch.ones(2)))
print(torch.empty(3).uniform_(-1, 1), torch.empty(3).normal_(), torch.empty(2).bernoulli_(0.5))
print(torch.empty(3).exponential_(), torch.empty(2, dtype=torch.long).random_(0, 10))
print(torch.rand(3).multinomial(2), torch.poisson(torch.ones(3) * 4))
