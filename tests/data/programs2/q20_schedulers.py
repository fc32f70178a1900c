import torch
import torch.nn as nn
from torch.optim import lr_scheduler as S

torch.manual_seed(0)
p = [nn.Parameter(torch.zeros(1))]


def trace(make_opt, make_sched, n=12, metric=None):
    opt = make_opt()
    s = make_sched(opt)
    lrs = []
    for i in range(n):
        opt.step()
        if metric is not None:
            s.step(metric[i])
        else:
            s.step()
        lrs.append(round(opt.param_groups[0]["lr"], 6))
    return lrs


sgd = lambda: torch.optim.SGD(p, lr=0.1, momentum=0.9)
print(trace(sgd, lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=12)))
print(
    trace(
        sgd,
        lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=1),
        metric=[5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3],
    )
)
print(trace(sgd, lambda o: S.MultiStepLR(o, milestones=[3, 7], gamma=0.1)))
print(trace(sgd, lambda o: S.ExponentialLR(o, gamma=0.9)))
print(trace(sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.001)))
print(trace(sgd, lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)))
print(
    trace(
        sgd,
        lambda o: S.SequentialLR(
            o,
            [S.LinearLR(o, start_factor=0.1, total_iters=4), S.CosineAnnealingLR(o, T_max=8)],
            milestones=[4],
        ),
    )
)
print(
    trace(
        sgd,
        lambda o: S.ChainedScheduler(
            [S.ConstantLR(o, factor=0.5, total_iters=3), S.ExponentialLR(o, gamma=0.95)]
        ),
    )
)
print(trace(sgd, lambda o: S.PolynomialLR(o, total_iters=10, power=2.0)))
print(trace(sgd, lambda o: S.MultiplicativeLR(o, lambda e: 0.95)))
opt = sgd()
sch = S.StepLR(opt, 3, 0.5)
print(sch.get_last_lr(), sch.last_epoch, sch.state_dict())
plat = S.ReduceLROnPlateau(sgd(), "max", patience=0, threshold=0.1, cooldown=1)
for m in [0.5, 0.52, 0.53, 0.7, 0.71, 0.72]:
    plat.step(m)
    print(plat.optimizer.param_groups[0]["lr"], plat.num_bad_epochs, plat.best)
adam = torch.optim.Adam(p, lr=1e-3, betas=(0.9, 0.98))
oc = S.OneCycleLR(adam, max_lr=1e-2, epochs=2, steps_per_epoch=3)
for _ in range(6):
    adam.step()
    oc.step()
    print(f"{adam.param_groups[0]['lr']:.6f} {adam.param_groups[0]['betas'][0]:.4f}")
