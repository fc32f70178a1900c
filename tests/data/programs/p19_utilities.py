import io
import numpy as np
import torch
import torch.nn as nn
from torch.func import grad, vmap
from torch.optim.swa_utils import AveragedModel, SWALR, get_ema_multi_avg_fn
from torch.utils.checkpoint import checkpoint
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

torch.manual_seed(18)
np.random.seed(0)
arr = np.random.rand(3, 2).astype(np.float32)
t = torch.from_numpy(arr)
t[0, 0] = 5.0
print(arr[0, 0], t.numpy().dtype, torch.as_tensor([1, 2], dtype=torch.float16))
print(torch.tensor(np.arange(4)).dtype, torch.tensor(np.float64(2.5)), np.asarray(t * 2).sum())


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        print("worker", info)
        for i in range(self.n):
            yield torch.tensor([i, i * i], dtype=torch.float32), i % 3


for xb, yb in DataLoader(Stream(7), batch_size=3):
    print(xb.tolist(), yb)
net = nn.Sequential(nn.utils.parametrizations.weight_norm(nn.Linear(4, 4)), nn.ReLU(),
                    nn.utils.parametrizations.spectral_norm(nn.Linear(4, 2)))
print(net)
print([n for n, _ in net.named_parameters()])
x = torch.randn(5, 4, requires_grad=True)
out = checkpoint(net, x, use_reentrant=False)
out.sum().backward()
print(out.shape, x.grad.abs().sum() > 0)
ema = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(0.9))
swa = AveragedModel(nn.Linear(2, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
swa_sched = SWALR(opt, swa_lr=0.05, anneal_epochs=2)
for i in range(3):
    opt.zero_grad()
    net(torch.randn(8, 4)).pow(2).mean().backward()
    opt.step()
    swa_sched.step()
    ema.update_parameters(net)
    print(i, ema.n_averaged, [round(g["lr"], 5) for g in opt.param_groups])


def f(w, xx):
    return (xx @ w).tanh().sum()


w = torch.randn(4)
g = grad(f)(w, torch.randn(3, 4))
print(g.shape)
per_ex = vmap(grad(f), in_dims=(None, 0))(w, torch.randn(5, 1, 4))
print(per_ex.shape)
buf = io.BytesIO()
torch.save({"t": torch.arange(3), "list": [1, 2], "np": 3.5}, buf)
buf.seek(0)
print(torch.load(buf))
print(torch.nn.utils.parameters_to_vector(net.parameters()).shape)
print(torch.nn.utils.rnn.pad_sequence([torch.ones(2), torch.ones(3)], batch_first=True))
packed = torch.nn.utils.rnn.pack_sequence([torch.ones(3, 1), torch.ones(2, 1)])
print(packed.batch_sizes, packed.data.shape)
