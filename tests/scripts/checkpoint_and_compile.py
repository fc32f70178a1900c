"""Activation checkpointing and torch.compile, the way training scripts use them."""
import warnings

import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))
x = torch.randn(3, 4, requires_grad=True)

# the same values and gradients with and without recomputation (dropout replays its mask)
for reentrant in (True, False):
    torch.manual_seed(1)
    y = checkpoint(model, x, use_reentrant=reentrant)
    print(y)
    y.sum().backward()
    print(x.grad)
    print(model[0].weight.grad.sum())
    x.grad = None
    model.zero_grad()

torch.manual_seed(1)
y = checkpoint_sequential(model, 2, x, use_reentrant=True)
y.sum().backward()
print(y, x.grad)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    y = checkpoint(model, torch.ones(1, 4))
    print(y.requires_grad)
print([str(w.message)[:60] for w in caught])

try:
    checkpoint(lambda a: a.detach(), x, use_reentrant=True).sum().backward()
except RuntimeError as e:
    print("RuntimeError:", e)

# torch.compile: the same module behind an OptimizedModule wrapper
compiled = torch.compile(model)
print(type(compiled).__name__)
print(compiled)
print(list(compiled.state_dict()))
print(compiled._orig_mod is model, compiled.training)
compiled.eval()
print(model.training, compiled.training)
print(compiled(torch.ones(2, 4)).detach())
compiled.tag = "set through the wrapper"
print(model.tag)
print([n for n, _ in compiled.named_parameters()])
plain = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))
try:
    plain.load_state_dict(compiled.state_dict())
except RuntimeError as e:
    print(str(e).splitlines()[0])
print(torch.compile(model, disable=True) is model)


@torch.compile
def double(t):
    return t * 2


print(double.__name__, double(torch.ones(2)))
print(torch.compile(mode="reduce-overhead")(lambda t: t + 1)(torch.ones(1)))
try:
    torch.compile(3)
except AssertionError as e:
    print("AssertionError:", e)
