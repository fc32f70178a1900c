import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
X = torch.linspace(-1, 1, 6).view(3, 2)
y = torch.tensor([[0.5], [-0.25], [1.0]])
for cls, kw in [
    (torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (torch.optim.Adam, dict(amsgrad=True)),
    (torch.optim.RMSprop, dict(centered=True, momentum=0.1)),
    (torch.optim.Adagrad, dict()),
    (torch.optim.Adadelta, dict()),
    (torch.optim.Adamax, dict()),
    (torch.optim.NAdam, dict()),
    (torch.optim.RAdam, dict()),
    (torch.optim.ASGD, dict()),
    (torch.optim.Rprop, dict()),
]:
    torch.manual_seed(0)
    lin = nn.Linear(2, 1)
    opt = cls(lin.parameters(), **kw)
    for _ in range(2):
        opt.zero_grad()
        nn.functional.mse_loss(lin(X), y).backward()
        opt.step()
    print(cls.__name__)
    print(opt.state_dict())
torch.manual_seed(0)
lin = nn.Linear(2, 1)
opt = torch.optim.LBFGS(lin.parameters(), max_iter=3, history_size=2)


def closure():
    opt.zero_grad()
    l = nn.functional.mse_loss(lin(X), y)
    l.backward()
    return l


opt.step(closure)
sd = opt.state_dict()
print(sd["param_groups"])
for k, v in sd["state"][0].items():
    if isinstance(v, list):
        print(k, "list", len(v), [None if t is None else tuple(t.shape) for t in v])
    elif isinstance(v, torch.Tensor):
        print(k, tuple(v.shape), v.dtype)
    else:
        print(k, type(v).__name__, v)
print(opt.state[lin.weight] if lin.weight in opt.state else "keyed by first param only")
