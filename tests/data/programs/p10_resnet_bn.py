import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(9)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class TinyResNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = BasicBlock(8, 8)
        self.layer2 = BasicBlock(8, 16, 2)
        self.linear = nn.Linear(16, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer2(self.layer1(out))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


net = TinyResNet()
print(net)
print(f"params: {sum(p.numel() for p in net.parameters()):,}")
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)
x = torch.randn(8, 3, 8, 8)
y = torch.randint(0, 4, (8,))
for epoch in range(5):
    net.train()
    opt.zero_grad()
    out = net(x)
    loss = F.cross_entropy(out, y)
    loss.backward()
    opt.step()
    sched.step()
    print(f"Epoch {epoch} | loss {loss:.4f} | acc {(out.argmax(1) == y).sum().item()}/{len(y)}"
          f" | lr {sched.get_last_lr()[0]:.4f}")
print(net.bn1.running_mean)
print(net.layer2.shortcut[1].num_batches_tracked, net.training)
net.eval()
with torch.no_grad():
    e1 = net(x)
    e2 = net(x)
print(torch.equal(e1, e2), e1.shape, e1.argmax(dim=1))
print(net.layer1.bn1)
net.layer1.bn1.momentum = None
net.train()
net(x)
print(net.layer1.bn1.running_var[:3])
print(net.state_dict()["layer2.shortcut.0.weight"].shape)
print([n for n, _ in net.named_buffers()][:4])
