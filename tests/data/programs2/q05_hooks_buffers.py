import torch
import torch.nn as nn


class Normalizer(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("count", torch.tensor(0, dtype=torch.long))
        self.register_buffer("scratch", torch.ones(1), persistent=False)
        self.scale = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        if self.training:
            self.count += x.shape[0]
            self.mean += (x.mean(0) - self.mean) * x.shape[0] / self.count
        return (x - self.mean) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = Normalizer(3)
        self.fc = nn.Linear(3, 2)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(self.norm(x)))


torch.manual_seed(5)
net = Net()
print(net)
print([n for n, _ in net.named_buffers()], list(net.state_dict().keys()))
print([n for n, _ in net.named_parameters()])
acts = {}


def save_act(name):
    def hook(mod, inp, out):
        acts[name] = out.detach()
        print(f"fwd {name}: in {tuple(inp[0].shape)} out {tuple(out.shape)}")

    return hook


h1 = net.fc.register_forward_hook(save_act("fc"))
h2 = net.norm.register_forward_pre_hook(lambda m, inp: print("pre", type(m).__name__, len(inp)))
h3 = net.fc.register_full_backward_hook(
    lambda m, gi, go: print(
        "bwd", [None if g is None else tuple(g.shape) for g in gi], tuple(go[0].shape)
    )
)
x = torch.randn(4, 3)
out = net(x)
out.sum().backward()
print(acts["fc"])
print(net.norm.mean, net.norm.count)
h1.remove()
h2.remove()
h3.remove()
net(torch.randn(2, 3))
print(net.norm.count.item(), len(net.fc._forward_hooks))
net.eval()
net(torch.randn(2, 3))
print(net.norm.count.item(), net.training, net.norm.training)
x = torch.randn(3, requires_grad=True)
x.register_hook(lambda g: print("grad hook", g) or g * 2)
(x * 3).sum().backward()
print(x.grad)


def double_out(m, inp, out):
    return out * 2


lin = nn.Linear(2, 2)
lin.register_forward_hook(double_out)
with torch.no_grad():
    lin.weight.fill_(1.0)
    lin.bias.zero_()
print(lin(torch.ones(1, 2)))
sd = net.state_dict()
print({k: tuple(v.shape) for k, v in sd.items()})
net2 = Net()
net2.load_state_dict(sd)
print(net2.norm.count, net2.norm.scratch)
