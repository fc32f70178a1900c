import torch
import torch.nn as nn
from collections import OrderedDict

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)) + x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.blocks = nn.ModuleList([Block(8) for _ in range(2)])
        self.head = nn.Sequential(
            OrderedDict(
                [
                    ("pool", nn.AdaptiveAvgPool2d(1)),
                    ("flat", nn.Flatten()),
                    ("drop", nn.Dropout(0.2)),
                    ("fc", nn.Linear(8, 5)),
                ]
            )
        )
        self.register_buffer("scale", torch.tensor(1.0))
        self.temp = nn.Parameter(torch.ones(1))

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        return self.head(x) * self.temp


net = Net()
print(net)
for name, module in net.named_modules():
    print(repr(name), type(module).__name__)
print([n for n, _ in net.named_parameters()])
print([n for n, _ in net.named_buffers()])
print(list(dict(net.named_children()).keys()))
for p in net.stem.parameters():
    p.requires_grad_(False)
for m in net.modules():
    if isinstance(m, nn.BatchNorm2d):
        m.eval()
        m.weight.requires_grad = False
        m.bias.requires_grad = False
print(
    sum(p.numel() for p in net.parameters()),
    sum(p.numel() for p in net.parameters() if p.requires_grad),
)
print(net.training, net.blocks[0].bn.training, net.head.drop.training)
opt = torch.optim.SGD(filter(lambda p: p.requires_grad, net.parameters()), lr=0.1)
print(len(opt.param_groups[0]["params"]))
out = net(torch.randn(2, 3, 8, 8))
out.sum().backward()
print(net.stem.weight.grad, net.blocks[0].bn.weight.grad, net.head.fc.bias.grad)
print(net.get_submodule("blocks.1.conv"), net.get_parameter("head.fc.bias").shape)
print(net.head.fc.weight.grad_fn, net.head.fc.weight.is_leaf, out.is_leaf)
net.requires_grad_(False)
print(any(p.requires_grad for p in net.parameters()))
sd = net.state_dict()
print(len(sd), list(sd)[:6], sd["blocks.0.bn.num_batches_tracked"])
net.zero_grad()
print(net.head.fc.bias.grad)
print(net.head[-1], net.head.fc is net.head[3], len(net.blocks), net.blocks[-1].act)
del net.head.drop
print(net.head)
net.blocks.append(Block(8))
net.blocks.insert(0, nn.Identity())
print(len(net.blocks), [type(b).__name__ for b in net.blocks])
print(net.extra_repr() == "", net.head.fc.extra_repr())
