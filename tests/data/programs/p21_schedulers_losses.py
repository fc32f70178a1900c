import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import lr_scheduler as S

torch.manual_seed(20)


def make(opt_cls=torch.optim.SGD, **kw):
    m = nn.Linear(3, 1)
    return m, opt_cls(m.parameters(), lr=0.1, **kw)


def trace(name, build, steps=8, metric=False):
    m, opt = make()
    sched = build(opt)
    lrs = []
    for i in range(steps):
        opt.step()
        sched.step(1.0 / (i + 1)) if metric else sched.step()
        lrs.append(f"{opt.param_groups[0]['lr']:.5f}")
    print(name, " ".join(lrs))
    return sched


trace("lambda", lambda o: S.LambdaLR(o, lambda e: 0.9 ** e))
trace("multiplicative", lambda o: S.MultiplicativeLR(o, lambda e: 0.95))
trace("exp", lambda o: S.ExponentialLR(o, gamma=0.8))
trace("warm", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001))
trace("cyclic", lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2))
trace("poly", lambda o: S.PolynomialLR(o, total_iters=5, power=2.0))
trace("linear", lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4))
trace("const", lambda o: S.ConstantLR(o, factor=0.5, total_iters=3))
s = trace("seq", lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=3),
                                             S.CosineAnnealingLR(o, T_max=5)], milestones=[3]))
trace("chain", lambda o: S.ChainedScheduler([S.ConstantLR(o, 0.5, total_iters=2),
                                             S.ExponentialLR(o, 0.9)]))
trace("plateau", lambda o: S.ReduceLROnPlateau(o, "max", patience=1, factor=0.3), metric=True)
print(type(s).__name__, s.last_epoch)
print(s.state_dict()["_milestones"], s.get_last_lr())
x, y = torch.randn(6, 4), torch.randint(0, 4, (6,))
print(f"{F.nll_loss(F.log_softmax(x, 1), y, reduction='sum'):.5f}")
print(F.cross_entropy(x, y, reduction="none"))
print(F.cross_entropy(x, F.softmax(torch.randn(6, 4), 1)))
print(F.binary_cross_entropy_with_logits(x, (x > 0).float(), pos_weight=torch.ones(4) * 2))
print(F.l1_loss(x, torch.zeros_like(x)), F.smooth_l1_loss(x, x.flip(0), beta=0.5))
print(nn.MarginRankingLoss(0.1)(x[:, 0], x[:, 1], torch.tensor([1, -1, 1, 1, -1, 1.])))
print(nn.PoissonNLLLoss()(x, x.abs()), nn.GaussianNLLLoss()(x, x.flip(1), x.abs() + 0.1))
print(nn.HingeEmbeddingLoss()(x, torch.sign(x)), nn.SoftMarginLoss()(x, torch.sign(x)))
print(nn.MultiLabelSoftMarginLoss()(x, (x > 0).float()), nn.MultiMarginLoss()(x, y))
print(F.kl_div(F.log_softmax(x, 1), F.softmax(x.flip(0), 1), reduction="batchmean"))
lp = F.log_softmax(torch.randn(7, 2, 5), 2)
ctc = nn.CTCLoss()(lp, torch.tensor([[1, 2, 2], [3, 4, 1]]), torch.tensor([7, 6]),
                   torch.tensor([3, 2]))
print(ctc)
print(F.one_hot(y, 5), F.pad(torch.ones(2, 2), (1, 1), value=-1))
print(F.interpolate(torch.arange(4.).view(1, 1, 2, 2), scale_factor=2, mode="bilinear",
                    align_corners=False))
print(F.unfold(torch.arange(16.).view(1, 1, 4, 4), 2, stride=2))
