import numpy as np
import torch

a = np.arange(6, dtype=np.float32).reshape(2, 3)
t = torch.from_numpy(a)
a[0, 0] = 100
print(t)
t[1, 1] = -1
print(a)
t2 = torch.as_tensor(a)
t3 = torch.tensor(a)
a[0, 1] = 55
print(t2[0, 1], t3[0, 1])
print(
    torch.as_tensor(a, dtype=torch.float64)[0, 1],
    torch.from_numpy(np.float16([1.5, 2.5])),
    torch.from_numpy(np.array([True, False])),
)
print(
    torch.from_numpy(np.array([1, 2], dtype=np.uint16)).dtype,
    torch.from_numpy(np.array([1, 2], dtype=np.int8)).dtype,
)
print(
    torch.from_numpy(np.array([1 + 2j], dtype=np.complex64)),
    torch.tensor(np.float64(2.5)),
    torch.tensor(np.int64(3)).dtype,
)
print(
    torch.tensor([np.float32(1.5), np.float32(2.5)]).dtype,
    torch.tensor(np.array(3.0)).shape,
    torch.tensor([np.int32(1)]).dtype,
)
n = t.numpy()
print(n.dtype, n.flags["C_CONTIGUOUS"], np.shares_memory(n, a), type(n))
print(t.T.numpy().flags["C_CONTIGUOUS"], t.T.numpy().strides, np.asarray(t).dtype)
r = torch.ones(3, requires_grad=True)
print(r.detach().numpy(), r.numpy(force=True))
try:
    torch.from_numpy(np.arange(5)[::-1])
except ValueError as e:
    print("ValueError", e)
print(
    torch.from_numpy(np.arange(5)[::-1].copy()),
    torch.from_numpy(np.arange(10)[::2]),
    torch.from_numpy(np.arange(10)[::2]).stride(),
)
try:
    torch.from_numpy([1, 2])
except TypeError as e:
    print("TypeError", e)
try:
    torch.from_numpy(np.array(["a"]))
except TypeError as e:
    print("TypeError", e)
x = torch.arange(4.0)
print(
    np.exp(x.numpy()),
    np.sum(x.numpy()),
    x.numpy().tolist(),
    float(x[1]),
    int(x[2]),
    x.numpy()[::-1],
)
print(np.array(torch.tensor([[1, 2]])), np.array(torch.tensor(1.5)).shape)
b = torch.zeros(3, dtype=torch.int64)
nb = b.numpy()
nb += 5
print(b)
b.add_(1)
print(nb)
print(
    torch.tensor([1, 2]).numpy().dtype,
    torch.tensor([1.0]).double().numpy().dtype,
    torch.tensor([True]).numpy().dtype,
)
print(torch.from_numpy(np.zeros((2, 0, 3))).shape, torch.from_numpy(np.ones(())).dim())
img = np.random.RandomState(0).randint(0, 255, (4, 4, 3)).astype(np.uint8)
ti = torch.from_numpy(img).permute(2, 0, 1).float() / 255
print(ti.shape, ti.dtype, ti.is_contiguous(), round(ti.mean().item(), 6))
back = (ti.permute(1, 2, 0) * 255).round().byte().numpy()
print(np.array_equal(back, img), back.dtype)
print(
    torch.tensor([[1, 2], [3, 4]]).numpy().sum(axis=0),
    torch.from_numpy(np.arange(3)) + torch.tensor([1.5]),
)
print(torch.stack([torch.from_numpy(np.ones(2)) for _ in range(2)]).dtype)
