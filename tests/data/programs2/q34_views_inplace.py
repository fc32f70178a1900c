import torch

x = torch.arange(12.0).view(3, 4)
row = x[1]
row += 100
print(x)
col = x[:, 2]
col.mul_(-1)
print(x, col.is_contiguous(), col.stride(), col.storage_offset())
d = x.diagonal()
d.zero_()
print(x, d._base is x if hasattr(d, "_base") else None)
t = x.t()
t[0, 1] = 55
print(x[1, 0], t.is_contiguous(), t.contiguous().is_contiguous(), t.data_ptr() == x.data_ptr())
f = x.flatten()
f[0] = -7
print(x[0, 0], x.reshape(-1).data_ptr() == x.data_ptr(), t.reshape(-1).data_ptr() == x.data_ptr())
a, b = x.chunk(2, dim=1)
a.fill_(1)
print(x)
u = x.unsqueeze(0)
u[0, 0, 0] = 42
print(x[0, 0], u.shape, u.stride())
e = torch.zeros(3).expand(2, 3)
try:
    e.add_(1)
except RuntimeError as err:
    print("RuntimeError:", err)
print(e.stride(), e.is_contiguous(), e.contiguous().stride())
y = torch.zeros(5)
idx = torch.tensor([0, 1, 1, 3])
y[idx] += 1
print(y)
y.index_put_((idx,), torch.ones(4), accumulate=True)
print(y)
z = torch.zeros(2, 4)
z[:, [0, 2]] = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
z[z > 1] *= 10
z[0][1] = 9
print(z)
m = torch.arange(6).view(2, 3)
sel = m[:, [0, 1]]
sel[0, 0] = 99
print(m, sel)
n = m[m > 2]
n[0] = -1
print(m)
w = torch.ones(4)
v = w[::2]
v += 5
print(w, v.stride(), w[1::2].storage_offset())
p = torch.arange(10)
p[2:5] = p[1:4].clone()
print(p)
q = torch.arange(6).view(2, 3)
q.t_()
print(q, q.shape, q.stride())
r = torch.arange(4.0)
r.resize_(2, 2)
print(r)
s = torch.arange(6.0)
s.as_strided((2, 2), (1, 2)).mul_(10)
print(s, torch.arange(7).as_strided((3, 2), (2, 1), 1))
g = torch.ones(3, requires_grad=True)
h = g * 1
h[1] = 0
h.sum().backward()
print(g.grad, h.grad_fn.name())
k = torch.zeros(3, 3)
k.fill_diagonal_(5)
k.masked_fill_(k == 0, -1)
k.clamp_(min=0).sqrt_()
print(k, k.unfold(0, 2, 1).shape)
sp = torch.arange(8).split([3, 5])
sp[0][0] = 100
print(sp[0], sp[1], torch.cat(sp))
o = torch.ones(2, 2)
o2 = o.detach()
o2.add_(1)
print(o, o.clone().add_(1), o)
nrm = torch.tensor([3.0, 4.0])
nrm /= nrm.norm()
print(nrm, nrm.sum().item())
i32 = torch.tensor([5, 7], dtype=torch.int32)
i32 //= 2
try:
    i32 /= 2
except RuntimeError as err:
    print("RuntimeError:", err)
print(i32, i32.dtype)
