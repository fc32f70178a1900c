import io
import torch
import torch.nn as nn


def make():
    return nn.Sequential(
        nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 1)
    )


torch.manual_seed(7)
X, Y = torch.randn(64, 5), torch.randn(64, 1)
model = make()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
loss_fn = nn.MSELoss()


def step(m, o, s, i):
    xb, yb = X[i * 16 : (i + 1) * 16], Y[i * 16 : (i + 1) * 16]
    o.zero_grad()
    loss = loss_fn(m(xb), yb)
    loss.backward()
    o.step()
    s.step()
    return loss.item()


for i in range(4):
    print("pre", i, f"{step(model, opt, sched, i):.6f}")
buf = io.BytesIO()
torch.save(
    {
        "epoch": 4,
        "model": model.state_dict(),
        "opt": opt.state_dict(),
        "sched": sched.state_dict(),
        "rng": torch.get_rng_state(),
    },
    buf,
)
print(list(model.state_dict().keys()))
print(opt.state_dict()["param_groups"])
print(sched.state_dict())
a = [f"{step(model, opt, sched, i % 4):.8f}" for i in range(4)]
buf.seek(0)
ck = torch.load(buf)
print(ck["epoch"], type(ck["model"]).__name__, ck["rng"].dtype, ck["rng"].shape)
model2 = make()
opt2 = torch.optim.SGD(model2.parameters(), lr=0.05, momentum=0.9, nesterov=True)
sched2 = torch.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=10)
print(model2.load_state_dict(ck["model"]))
opt2.load_state_dict(ck["opt"])
sched2.load_state_dict(ck["sched"])
torch.set_rng_state(ck["rng"])
b = [f"{step(model2, opt2, sched2, i % 4):.8f}" for i in range(4)]
print(a)
print(a == b)
print(all(torch.equal(p, q) for p, q in zip(model.parameters(), model2.parameters())))
print(model2[1].running_mean, model2[1].num_batches_tracked)
print(opt2.param_groups[0]["lr"], sched2.last_epoch)
missing = nn.Linear(5, 8).load_state_dict({"weight": torch.zeros(8, 5)}, strict=False)
print(missing, missing.missing_keys)
try:
    nn.Linear(5, 8).load_state_dict({"weight": torch.zeros(8, 4), "bias": torch.zeros(8)})
except RuntimeError as e:
    print(type(e).__name__, e)
