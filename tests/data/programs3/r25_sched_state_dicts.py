import torch
import torch.nn as nn
from torch.optim import lr_scheduler as L

torch.manual_seed(0)
p = [nn.Parameter(torch.ones(2))]


def fresh(**kw):
    return torch.optim.SGD(p, lr=0.1, momentum=0.9, **kw)


def show(s, n=3):
    for _ in range(n):
        s.optimizer.step()
        s.step()
    sd = s.state_dict()
    print(type(s).__name__, {k: v for k, v in sd.items() if not callable(v)})


show(L.StepLR(fresh(), 2))
show(L.MultiStepLR(fresh(), [1, 2]))
show(L.ExponentialLR(fresh(), 0.5))
show(L.CosineAnnealingLR(fresh(), 10))
show(L.LinearLR(fresh(), 0.25, total_iters=4))
show(L.ConstantLR(fresh(), factor=0.5, total_iters=2))
show(L.PolynomialLR(fresh(), total_iters=5))
show(L.OneCycleLR(fresh(), max_lr=1.0, total_steps=10))
show(L.CyclicLR(fresh(), 0.01, 0.1, step_size_up=2))
show(L.CosineAnnealingWarmRestarts(fresh(), T_0=2))
show(L.MultiplicativeLR(fresh(), lambda e: 0.9))
show(L.LambdaLR(fresh(), lambda e: 1 / (e + 1)))
o = fresh()
show(
    L.SequentialLR(
        o, [L.ConstantLR(o, 0.5, total_iters=2), L.ExponentialLR(o, 0.9)], milestones=[2]
    ),
    4,
)
o = fresh()
show(L.ChainedScheduler([L.ConstantLR(o, 0.5, total_iters=2), L.ExponentialLR(o, 0.9)]), 3)
o = fresh()
r = L.ReduceLROnPlateau(o, patience=0, factor=0.1, min_lr=1e-3, cooldown=1)
for v in [1, 2, 3, 4, 5]:
    r.step(v)
print(r.state_dict())
print(r.get_last_lr(), r.best, r.cooldown_counter, r.num_bad_epochs, r.last_epoch)
o = fresh()
s = L.StepLR(o, 1, gamma=0.5)
print(o.param_groups[0]["initial_lr"], s.base_lrs, s.last_epoch, s.get_last_lr())
s2 = L.StepLR(fresh(), 1)
s2.load_state_dict(s.state_dict())
print(s2.state_dict())
print(o.state_dict()["param_groups"])
try:
    L.StepLR(torch.optim.SGD(p, lr=0.1), 1, last_epoch=3)
except KeyError as e:
    print("KeyError", e)
try:
    L.OneCycleLR(fresh(), max_lr=0.1)
except ValueError as e:
    print("ValueError", e)
try:
    s1 = L.OneCycleLR(fresh(), max_lr=0.1, total_steps=2)
    for _ in range(4):
        s1.step()
except ValueError as e:
    print("ValueError", e)
