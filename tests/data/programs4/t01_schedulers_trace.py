import torch
import torch.nn as nn
from torch.optim import SGD, Adam, AdamW
from torch.optim.lr_scheduler import (
    CosineAnnealingWarmRestarts,
    CyclicLR,
    LambdaLR,
    LinearLR,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    ExponentialLR,
    ChainedScheduler,
    PolynomialLR,
    MultiStepLR,
    CosineAnnealingLR,
    StepLR,
)

torch.manual_seed(0)
model = nn.Linear(4, 2)


def trace(name, opt, sched, n, step_arg=None):
    lrs = []
    for i in range(n):
        opt.step()
        if step_arg is None:
            sched.step()
        else:
            sched.step(step_arg(i))
        lrs.append(round(opt.param_groups[0]["lr"], 8))
    print(name, lrs)


opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
s = OneCycleLR(opt, max_lr=0.5, total_steps=10)
print("onecycle init", opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"])
trace("onecycle", opt, s, 9)
print(opt.param_groups[0]["momentum"], s.get_last_lr())
opt = Adam(model.parameters(), lr=1e-3)
s = OneCycleLR(
    opt, max_lr=1e-2, steps_per_epoch=3, epochs=2, anneal_strategy="linear", pct_start=0.4
)
trace("onecycle-adam", opt, s, 5)
print(opt.param_groups[0]["betas"])
opt = SGD(model.parameters(), lr=0.1)
trace("warm-restarts", opt, CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01), 12)
opt = SGD(model.parameters(), lr=0.1)
s = CosineAnnealingWarmRestarts(opt, T_0=4)
trace("warm-restarts-frac", opt, s, 6, lambda i: (i + 1) * 0.5)
opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
trace("cyclic", opt, CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3), 10)
opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
trace("cyclic-tri2", opt, CyclicLR(opt, 0.001, 0.01, step_size_up=2, mode="triangular2"), 10)
opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
trace("cyclic-exp", opt, CyclicLR(opt, 0.001, 0.01, step_size_up=2, mode="exp_range", gamma=0.9), 6)
opt = SGD(model.parameters(), lr=0.1)
rop = ReduceLROnPlateau(
    opt, mode="min", factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.01
)
losses = [1.0, 0.9, 0.95, 0.92, 0.91, 0.9, 0.89, 0.95, 0.96, 0.97, 0.98, 0.99]
trace("plateau", opt, rop, len(losses), lambda i: losses[i])
print(rop.num_bad_epochs, rop.best, rop.get_last_lr())
opt = SGD(model.parameters(), lr=0.1)
warm = LinearLR(opt, start_factor=0.1, total_iters=3)
cos = CosineAnnealingLR(opt, T_max=5)
trace("sequential", opt, SequentialLR(opt, schedulers=[warm, cos], milestones=[3]), 9)
opt = SGD([{"params": model.weight}, {"params": model.bias, "lr": 0.01}], lr=0.1)
s = LambdaLR(opt, lr_lambda=[lambda e: 0.95**e, lambda e: 1.0 / (e + 1)])
trace("lambda", opt, s, 4)
print(s.get_last_lr())
opt = SGD(model.parameters(), lr=1.0)
trace("chained", opt, ChainedScheduler([ExponentialLR(opt, 0.9), MultiStepLR(opt, [2, 4], 0.1)]), 5)
opt = SGD(model.parameters(), lr=1.0)
trace("poly", opt, PolynomialLR(opt, total_iters=4, power=2.0), 6)
opt = AdamW(model.parameters(), lr=1.0)
s = StepLR(opt, 2, gamma=0.5)
trace("step", opt, s, 5)
print(s.state_dict())
print(s.last_epoch, s._step_count)
