# Autograd and tensor ops as everyday code uses them (the tutorial itself is
# autograd_tutorial.py).
import torch

torch.manual_seed(0)
a = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)  # float64: no last-digit noise
h = a.tanh() * a.sigmoid() + a.exp().log1p()
s = h.softmax(dim=1) if hasattr(h, "softmax") else h
print(h)
print(h.sum(dim=1), h.mean(), h.max(dim=0))
g, = torch.autograd.grad(h.sum(), a, create_graph=True)
print(g)
g.pow(2).sum().backward()
print(a.grad)

m = torch.randn(3, 3)
print(m.sort(dim=1), m.topk(2), m.argmax(), m.std(), m.var(dim=0), m.norm())
print(torch.arange(10).view(2, 5).t().contiguous().view(-1))
print(torch.linspace(0, 1, 7), torch.logspace(0, 2, 3), torch.eye(3, dtype=torch.int64))
print(torch.randint(0, 10, (3, 4)), torch.randperm(8), torch.randn(2, 3, dtype=torch.float64))
print(torch.tensor([1, 2, 3]) / 2, torch.tensor([1, 2, 3]) // 2, torch.tensor([True, False]) + 1)
print(torch.tensor(3.5), torch.tensor([]), torch.zeros(0, 3), torch.tensor([1e-5, 1e5]))
