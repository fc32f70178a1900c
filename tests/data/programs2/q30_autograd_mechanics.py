import torch
import torch.nn as nn

torch.manual_seed(1)
x = torch.randn(3, requires_grad=True)
y = x.exp()
y.add_(1)
try:
    y.sum().backward()
except RuntimeError as e:
    print("RuntimeError:", e)
x2 = torch.randn(3, requires_grad=True)
z = x2.sigmoid()
print(z._version)
z.mul_(2)
print(z._version)
try:
    z.sum().backward()
except RuntimeError as e:
    print("RuntimeError:", e)
a = torch.randn(2, 2, requires_grad=True)
b = a * 2
b.retain_grad()
c = (b**2).sum()
c.backward()
print(b.grad, a.grad, b.is_leaf, b.requires_grad, b.grad_fn)
print(b.grad_fn.next_functions, c.grad_fn)
with torch.no_grad():
    d = a * 2
    with torch.enable_grad():
        e = a * 2
print(d.requires_grad, e.requires_grad, torch.is_grad_enabled())
torch.set_grad_enabled(False)
print((a * 2).requires_grad, torch.is_grad_enabled())
torch.set_grad_enabled(True)


@torch.no_grad()
def evaluate(t):
    return t * 3


print(evaluate(a).requires_grad)
with torch.inference_mode():
    inf = torch.ones(2) * 2
print(inf.is_inference(), inf.requires_grad)
w = torch.ones(2, requires_grad=True)
try:
    (w * inf).sum().backward()
    print("ok", w.grad)
except RuntimeError as e:
    print("RuntimeError:", e)
try:
    inf.add_(1)
except RuntimeError as e:
    print("RuntimeError:", e)
p = torch.ones(3, requires_grad=True)
for i in range(3):
    (p * (i + 1)).sum().backward()
print(p.grad)
p.grad.zero_()
(p**2).sum().backward(retain_graph=False)
print(p.grad)
q = torch.tensor([1.0, 2.0], requires_grad=True)
out = q * q
out.backward(gradient=torch.tensor([1.0, 0.1]))
print(q.grad)
m = nn.Linear(2, 1)
m.weight.register_post_accumulate_grad_hook(lambda p: print("accumulated", p.grad.shape))
m(torch.ones(1, 2)).sum().backward()
lin = nn.Linear(2, 2)
lin.register_full_backward_pre_hook(lambda mod, go: print("bwd pre", go[0].shape))
lin(torch.ones(3, 2, requires_grad=True)).sum().backward()
packed = []


def pack(t):
    packed.append(t.shape)
    return t


with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
    r = (torch.ones(2, requires_grad=True) * torch.full((2,), 3.0, requires_grad=True)).sum()
print(packed)
with torch.autograd.set_detect_anomaly(True):
    s = torch.tensor([0.0], requires_grad=True)
    t = s.sqrt()
    print(t)
v = torch.ones(2, requires_grad=True)
h = v.detach()
h[0] = 5
print(v, h.requires_grad, v.clone().grad_fn, v.detach().requires_grad_().is_leaf)
nl = v * 2
print(nl.grad)
k = torch.zeros(1, requires_grad=True)
print(torch.autograd.grad(k.abs().sum(), k), torch.autograd.grad(torch.relu(k).sum(), k))
print(torch.autograd.grad(k.clamp(0, 1).sum(), k), torch.autograd.grad(torch.sqrt(k + 0).sum(), k))
print(
    torch.autograd.grad((k / k).sum(), k),
    torch.autograd.grad(torch.norm(k * 0 + torch.zeros(2)), k),
)
