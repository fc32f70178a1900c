import torch

torch.manual_seed(0)
x = torch.ones(5)
y = torch.zeros(3)
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")
print(loss.grad_fn.next_functions)
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
print(z_det.requires_grad, z_det.grad_fn, z_det.is_leaf)
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")
a = torch.randn(3, requires_grad=True)
y = a * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print(a.grad)
print(a.requires_grad, (a**2).requires_grad)
with torch.no_grad():
    print((a**2).requires_grad)
print(a.requires_grad)
b2 = a.detach()
print(b2.requires_grad)
print(a.eq(b2).all())
q = torch.tensor([2.0, 3.0], requires_grad=True)
r = 3 * q**3 - q**2
r.backward(gradient=torch.tensor([1.0, 1.0]))
print(q.grad, 9 * q**2 - 2 * q == q.grad)
s = torch.tensor(1.0, requires_grad=True)
t = s * 3
t.backward(retain_graph=True)
t.backward()
print(s.grad)
try:
    t2 = s * 4
    t2.backward()
    t2.backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).split(".")[0])
try:
    torch.randn(3, requires_grad=True).mul(2).backward()
except RuntimeError as e:
    print(type(e).__name__, e)
print(torch.autograd.functional.jacobian(lambda u: u**2, torch.tensor([1.0, 2.0, 3.0])))
print(torch.autograd.functional.vjp(lambda u: u.exp().sum(0), torch.zeros(2, 2), torch.ones(2)))
print(torch.autograd.functional.jvp(lambda u: u * 3, torch.ones(2), torch.tensor([1.0, 0.5])))
