import copy
import torch
import torch.nn as nn
from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn
from torch.utils.data import DataLoader, TensorDataset, StackDataset
from torch.utils.data.distributed import DistributedSampler
from torch.nn.utils.rnn import pack_sequence, unpack_sequence, unpad_sequence, pad_sequence

torch.manual_seed(21)
X, Y = torch.randn(40, 4), torch.randn(40, 1)
loader = DataLoader(TensorDataset(X, Y), batch_size=10, shuffle=True)
model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
swa = AveragedModel(model)
ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
swa_sched = SWALR(opt, swa_lr=0.01, anneal_epochs=2, anneal_strategy="cos")
steps = []
opt.register_step_post_hook(lambda o, a, k: steps.append(1))
for epoch in range(5):
    for xb, yb in loader:
        opt.zero_grad()
        nn.functional.mse_loss(model(xb), yb).backward()
        opt.step()
        ema.update_parameters(model)
    if epoch >= 2:
        swa.update_parameters(model)
        swa_sched.step()
    print(epoch, round(opt.param_groups[0]["lr"], 6), swa.n_averaged.item())
update_bn(loader, swa)
print(len(steps), swa.module[1].running_mean[:3], ema.n_averaged)
with torch.no_grad():
    swa_loss, ema_loss = nn.functional.mse_loss(swa(X), Y), nn.functional.mse_loss(ema(X), Y)
    print(f"{swa_loss.item():.5f} {ema_loss.item():.5f}")
print([k for k in swa.state_dict().keys()][:4])
shadow = copy.deepcopy(model)
with torch.no_grad():
    for s, p in zip(shadow.parameters(), model.parameters()):
        s.lerp_(p + 1, 0.1)
print(shadow[0].bias[:3] - model[0].bias[:3])
sampler = DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=True, seed=0)
sampler.set_epoch(1)
print(list(sampler), len(sampler))
print(list(DistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False, drop_last=True)))
st = StackDataset(TensorDataset(X[:3]), torch.arange(3))
print(len(st), st[1][1])
both = TensorDataset(X[:2]) + TensorDataset(X[2:5])
print(type(both).__name__, len(both))
seqs = [torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([6])]
packed = pack_sequence(seqs)
print(packed.data, packed.batch_sizes)
print(unpack_sequence(packed))
padded = pad_sequence(seqs, batch_first=True, padding_value=-1, padding_side="left")
print(padded)
print(unpad_sequence(pad_sequence(seqs), torch.tensor([3, 2, 1])))
bs = DataLoader(range(7), batch_sampler=[[0, 1], [5, 6, 2]])
print(list(bs))
p = nn.Parameter(torch.tensor([3.0, 4.0]))
p.grad = torch.tensor([float("inf"), 1.0])
try:
    nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
except RuntimeError as e:
    print("RuntimeError:", e)
p.grad = torch.tensor([3.0, 4.0])
print(
    nn.utils.clip_grad_norm_([p], 1.0, norm_type="inf"),
    p.grad,
    nn.utils.get_total_norm([torch.ones(2), torch.ones(3)]),
)
conv, bn = nn.Conv2d(2, 3, 3).eval(), nn.BatchNorm2d(3).eval()
bn.running_mean.fill_(0.5)
fused = nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
img = torch.randn(1, 2, 5, 5)
print(torch.allclose(fused(img), bn(conv(img)), atol=1e-6), type(fused).__name__)
