import numpy as np
import torch

np.random.seed(0)
torch.manual_seed(0)
a = np.arange(6, dtype=np.float32).reshape(2, 3)
t = torch.from_numpy(a)
t[0, 0] = 100
print(a[0, 0], t.dtype, t.shape)
t2 = torch.tensor(a)
t2[0, 1] = -1
print(a[0, 1], t2)
t3 = torch.as_tensor(a)
print(t3.data_ptr() == t.data_ptr())
print(torch.from_numpy(np.array([1, 2, 3])).dtype, torch.tensor(np.array([1.5])).dtype)
print(torch.tensor(np.float64(2.5)), torch.tensor([np.int32(1), np.int32(2)]).dtype)
print(torch.tensor(np.array(True)), torch.from_numpy(np.array([1, 2], dtype=np.uint8)))
n = torch.ones(3).numpy()
n[1] = 5
print(n, type(n).__name__, n.dtype)
x = torch.randn(4, 3)
print(x.numpy().mean(axis=0).shape, np.allclose(x.numpy().sum(), x.sum().item(), atol=1e-5))
print(np.asarray(torch.arange(3)), np.array(torch.tensor([1.0, 2.0])).dtype)
print(torch.tensor([1, 2]) + np.int64(3), (torch.tensor([1.0]) * np.float64(2.0)).dtype)
print(type(np.float32(1.5) * torch.tensor([2.0])).__name__)
print(x.tolist()[0].__class__.__name__, torch.tensor([[1, 2]]).tolist())
df_like = {"a": np.random.randn(5), "b": np.random.randint(0, 3, 5)}
feats = torch.tensor(df_like["a"], dtype=torch.float32)
labs = torch.as_tensor(df_like["b"])
print(feats, labs, labs.dtype)
stacked = torch.stack([torch.from_numpy(np.full((2,), i, dtype=np.float64)) for i in range(3)])
print(stacked)
nc = np.ascontiguousarray(np.arange(12).reshape(3, 4).T)
print(
    torch.from_numpy(nc).is_contiguous(),
    torch.from_numpy(np.arange(12).reshape(3, 4)[:, ::2].copy()),
)
try:
    torch.from_numpy(np.arange(12).reshape(3, 4)[:, ::-1])
except ValueError as e:
    print("ValueError:", e)
img = (np.random.rand(4, 5, 3) * 255).astype(np.uint8)
ti = torch.from_numpy(img).permute(2, 0, 1).float().div(255)
print(ti.shape, ti.dtype, f"{ti.max().item():.4f}")
print(torch.tensor([[1, 2], [3, 4]]).numpy().T.tolist())
print(
    torch.zeros(2, dtype=torch.bool).numpy().dtype,
    torch.tensor([1.0], dtype=torch.float16).numpy().dtype,
)
r = torch.from_numpy(np.random.randn(3, 3))
print(r.dtype, torch.linalg.inv(r) @ r - torch.eye(3, dtype=torch.float64) < 1e-10)
print(torch.tensor(np.arange(4)).reshape(2, 2).sum(0).numpy(), int(torch.tensor(np.int64(7))))
arr = np.zeros(3)
arr += torch.ones(3).numpy()
print(arr, torch.ones(3).numpy(force=True))
