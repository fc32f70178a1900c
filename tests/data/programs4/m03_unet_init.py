import torch
import torch.nn as nn
import torch.nn.functional as F


def double_conv(i, o):
    return nn.Sequential(
        nn.Conv2d(i, o, 3, padding=1, bias=False),
        nn.BatchNorm2d(o),
        nn.ReLU(inplace=True),
        nn.Conv2d(o, o, 3, padding=1, bias=False),
        nn.BatchNorm2d(o),
        nn.ReLU(inplace=True),
    )


class MiniUNet(nn.Module):
    def __init__(self, c=1, n=2, base=4):
        super().__init__()
        self.inc = double_conv(c, base)
        self.down1 = nn.Sequential(nn.MaxPool2d(2), double_conv(base, base * 2))
        self.down2 = nn.Sequential(nn.MaxPool2d(2), double_conv(base * 2, base * 4))
        self.up1 = nn.ConvTranspose2d(base * 4, base * 2, kernel_size=2, stride=2)
        self.conv1 = double_conv(base * 4, base * 2)
        self.up2 = nn.ConvTranspose2d(base * 2, base, kernel_size=2, stride=2)
        self.conv2 = double_conv(base * 2, base)
        self.outc = nn.Conv2d(base, n, 1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        u = self.up1(x3)
        dy, dx = x2.size(2) - u.size(2), x2.size(3) - u.size(3)
        u = F.pad(u, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        u = self.conv1(torch.cat([x2, u], dim=1))
        u = self.conv2(torch.cat([x1, self.up2(u)], dim=1))
        return self.outc(u)


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.ones_(m.weight)
        nn.init.constant_(m.bias, 0.1)


torch.manual_seed(0)
net = MiniUNet()
net.apply(init_weights)
print(net.up1)
print(net.up1.weight.shape, f"{net.up1.weight.std().item():.5f}", net.inc[1].bias[:2])
total = sum(p.numel() for p in net.parameters() if p.requires_grad)
print(f"Trainable params: {total:,}")
for name, m in net.named_children():
    print(name, type(m).__name__, sum(p.numel() for p in m.parameters()))
print([n for n, m in net.named_modules() if isinstance(m, nn.BatchNorm2d)][:4])
x = torch.randn(2, 1, 16, 16)
out = net(x)
print(out.shape, out.grad_fn)
target = torch.randint(0, 2, (2, 16, 16))
loss = F.cross_entropy(out, target)
loss.backward()
print(f"{loss.item():.5f}", net.outc.bias.grad)
probs = torch.sigmoid(out[:, 1])
pred = (probs > 0.5).float()
inter = (pred * target).sum()
dice = (2 * inter + 1) / (pred.sum() + target.sum() + 1)
print(f"dice {dice:.4f}")
ct = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)
print(ct(torch.randn(1, 3, 5, 5)).shape, ct(torch.randn(1, 3, 5, 5), output_size=[9, 9]).shape)
print(
    nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)(
        torch.arange(4.0).view(1, 1, 2, 2)
    )
)
w = torch.empty(3, 5)
torch.manual_seed(1)
nn.init.orthogonal_(w)
print(torch.allclose(w @ w.T, torch.eye(3), atol=1e-6), w)
nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04)
print(w)
nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("tanh"))
print(w, nn.init.calculate_gain("leaky_relu", 0.2))
nn.init.kaiming_uniform_(w, a=5**0.5)
print(w)
nn.init.xavier_normal_(w)
nn.init.sparse_(w, sparsity=0.4)
print((w == 0).sum(0))
nn.init.eye_(w)
print(w)
d = torch.empty(4, 2, 3)
nn.init.dirac_(d)
print(d[:, :, 1])
