# Autograd as the "Automatic Differentiation" tutorial and everyday code use it.
import torch

torch.manual_seed(0)
x = torch.ones(5)
y = torch.zeros(3)
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = ((z - y) ** 2).mean()
print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")
loss.backward()
print(w.grad)
print(b.grad)

z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
z = torch.matmul(x, w) + b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

a = torch.randn(4, 6, requires_grad=True)
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
