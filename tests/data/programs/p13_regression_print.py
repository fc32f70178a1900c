import torch
from torch import nn

torch.manual_seed(12)
x = torch.linspace(-3, 3, 50).unsqueeze(1)
y = torch.sin(x) + 0.05 * torch.randn_like(x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.ModuleList([nn.Linear(1, 16), nn.Linear(16, 16)])
        self.act = nn.Tanh()
        self.out = nn.Linear(16, 1)
        self.register_buffer("scale", torch.tensor(2.0))

    def forward(self, x):
        for layer in self.hidden:
            x = self.act(layer(x))
        return self.out(x) * self.scale


net = Net()
print(net)
for name, p in net.named_parameters():
    print(name, tuple(p.shape), p.requires_grad)
opt = torch.optim.LBFGS(net.parameters(), lr=0.5, max_iter=5)
loss_fn = nn.SmoothL1Loss()


def closure():
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    return loss


for i in range(4):
    loss = opt.step(closure)
    print(f"iter {i} loss={loss.item():.6f}")
print(loss)
opt2 = torch.optim.Adagrad(net.parameters(), lr=0.05)
print(opt2)
for i in range(3):
    opt2.zero_grad()
    l = nn.functional.huber_loss(net(x), y, delta=0.5)
    l.backward()
    opt2.step()
print(l, l.item())
with torch.no_grad():
    pred = net(x[::10])
print(torch.cat([x[::10], pred, y[::10]], dim=1))
print(pred.squeeze().tolist()[:3])
print(net.out.weight.data.abs().max(), net.out.bias)
print(net.scale, net.state_dict()["scale"])
w = net.hidden[0].weight
print(w.T.shape, w.mean(), w.std(), w.var(unbiased=False))
print(repr(torch.zeros(2, 3)), torch.ones(2, dtype=torch.int32))
print(torch.randn(3, 3).triu())
