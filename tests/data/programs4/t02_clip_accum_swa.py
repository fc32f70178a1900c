import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
X = torch.randn(32, 5, dtype=torch.float64)
model = model.double()
y = (X[:, 0] > 0).long()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
accum = 4
for step, i in enumerate(range(0, 32, 4)):
    out = model(X[i : i + 4])
    loss = F.cross_entropy(out, y[i : i + 4]) / accum
    loss.backward()
    if (step + 1) % accum == 0:
        total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
        print("norm", total, total.dtype)
        opt.step()
        opt.zero_grad()
print(model[3].weight.grad)
out = model(X)
F.cross_entropy(out, y).backward()
print(nn.utils.clip_grad_norm_(model.parameters(), 1.0, norm_type=float("inf")))
print(nn.utils.clip_grad_norm_(model.parameters(), 1.0, norm_type=1.0))
print(nn.utils.clip_grad_value_(model.parameters(), clip_value=0.01))
print(model[3].bias.grad)
print(nn.utils.get_total_norm([p.grad for p in model.parameters()]))
print(nn.utils.clip_grad_norm_([], 1.0))
print(nn.utils.parameters_to_vector(model.parameters()).shape)
swa = AveragedModel(model)
ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
sched = SWALR(opt, swa_lr=0.05, anneal_epochs=3, anneal_strategy="cos")
for epoch in range(4):
    opt.zero_grad()
    F.cross_entropy(model(X), y).backward()
    opt.step()
    swa.update_parameters(model)
    ema.update_parameters(model)
    sched.step()
    print(epoch, [round(g["lr"], 6) for g in opt.param_groups], swa.n_averaged)
print(swa.module[3].bias, ema.module[3].bias)
print(swa.module[1].running_mean[:3])
loader = [(X[i : i + 8],) for i in range(0, 32, 8)]
update_bn(loader, swa)
print(swa.module[1].running_mean[:3], swa.module[1].num_batches_tracked)
print(type(swa).__name__, list(swa.state_dict().keys())[:3])
ema_w = [p.detach().clone() for p in model.parameters()]
decay = 0.99
with torch.no_grad():
    for e, p in zip(ema_w, model.parameters()):
        e.mul_(decay).add_(p, alpha=1 - decay)
print(ema_w[-1])
