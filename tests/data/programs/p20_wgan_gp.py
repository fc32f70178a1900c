import torch
import torch.nn as nn
from torch import autograd

torch.manual_seed(19)
G = nn.Sequential(nn.Linear(4, 16), nn.LeakyReLU(0.2), nn.Linear(16, 2))
D = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
for m in list(G) + list(D):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain("leaky_relu", 0.2))
        nn.init.zeros_(m.bias)
optG = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.0, 0.9))
optD = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.0, 0.9))
real_data = torch.randn(256, 2) * 0.5 + torch.tensor([1.0, -1.0])


def gradient_penalty(D, real, fake):
    alpha = torch.rand(real.size(0), 1).expand_as(real)
    inter = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    d = D(inter)
    grads = autograd.grad(outputs=d, inputs=inter, grad_outputs=torch.ones_like(d),
                          create_graph=True, retain_graph=True, only_inputs=True)[0]
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


for it in range(6):
    for _ in range(3):
        real = real_data[torch.randint(0, 256, (32,))]
        fake = G(torch.randn(32, 4)).detach()
        d_loss = D(fake).mean() - D(real).mean()
        gp = gradient_penalty(D, real, fake)
        optD.zero_grad()
        (d_loss + 10 * gp).backward()
        optD.step()
    for p in D.parameters():
        p.requires_grad_(False)
    g_loss = -D(G(torch.randn(32, 4))).mean()
    optG.zero_grad()
    g_loss.backward()
    optG.step()
    for p in D.parameters():
        p.requires_grad_(True)
    print(f"it {it}: D {d_loss.item():+.4f} GP {gp.item():.4f} G {g_loss.item():+.4f}")
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x ** 3).sum()
(g,) = autograd.grad(y, x, create_graph=True)
(h,) = autograd.grad(g.sum(), x)
print(g, h)
z = torch.ones(2, requires_grad=True)
z.register_hook(lambda gr: gr * 10)
(z * 3).sum().backward()
print(z.grad)


@torch.no_grad()
def evaluate():
    return G(torch.randn(4, 4)).mean(0)


e = evaluate()
print(e.requires_grad, e.shape)
with torch.no_grad():
    with torch.enable_grad():
        k = x * 2
print(k.requires_grad, torch.is_grad_enabled())
print(D[0].weight.grad is not None, G[0].weight.grad.shape)
print(autograd.functional.jacobian(lambda a: a ** 2, torch.tensor([1.0, 3.0])))
print(autograd.functional.hessian(lambda a: (a ** 3).sum(), torch.tensor([1.0, 2.0])))
