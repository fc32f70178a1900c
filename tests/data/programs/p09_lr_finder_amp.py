import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(8)
X = torch.randn(128, 12)
y = (X[:, :3].sum(1) > 0).long()
model = nn.Sequential(nn.Linear(12, 24), nn.ReLU(), nn.Linear(24, 2))
init_state = {k: v.clone() for k, v in model.state_dict().items()}
opt = torch.optim.SGD(model.parameters(), lr=1e-5, momentum=0.9)
start_lr, end_lr, num = 1e-5, 1.0, 20
mult = (end_lr / start_lr) ** (1 / (num - 1))
lrs, losses = [], []
avg, beta, best = 0.0, 0.98, float("inf")
lr = start_lr
for i in range(num):
    for g in opt.param_groups:
        g["lr"] = lr
    xb = X[(i * 16) % 128:(i * 16) % 128 + 16]
    yb = y[(i * 16) % 128:(i * 16) % 128 + 16]
    opt.zero_grad()
    loss = F.cross_entropy(model(xb), yb)
    avg = beta * avg + (1 - beta) * loss.item()
    smoothed = avg / (1 - beta ** (i + 1))
    if smoothed > 4 * best:
        print("diverged at", i)
        break
    best = min(best, smoothed)
    lrs.append(math.log10(lr))
    losses.append(smoothed)
    loss.backward()
    opt.step()
    lr *= mult
print([f"{v:.2f}" for v in lrs[::4]])
print([round(v, 4) for v in losses[::4]])
model.load_state_dict(init_state)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=8)
for step in range(8):
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(X)
        print(step, out.dtype, end=" ")
        loss = F.cross_entropy(out, y)
    print(loss.dtype, f"{loss.item():.4f}", f"{sched.get_last_lr()[0]:.5f}")
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
print(model[0].weight.grad.dtype, model[0].weight.dtype)
with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
    a = torch.randn(4, 4)
    b = a @ a
    c = torch.mm(a, a).float()
    s = F.softmax(b, dim=-1)
    print(b.dtype, c.dtype, s.dtype, torch.is_autocast_enabled("cpu"))
    print(b)
print(torch.get_autocast_dtype("cpu"))
scaler = torch.amp.GradScaler("cpu", enabled=False)
print(scaler.is_enabled(), scaler.scale(torch.tensor(2.0)))
