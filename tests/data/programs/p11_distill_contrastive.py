import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(10)
teacher = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 5))
student = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 5))
teacher.eval()
X = torch.randn(64, 16)
Y = torch.randint(0, 5, (64,))
T, alpha = 4.0, 0.7
kl = nn.KLDivLoss(reduction="batchmean")
ce = nn.CrossEntropyLoss()
opt = torch.optim.Adam(student.parameters(), lr=5e-3)
for epoch in range(6):
    with torch.no_grad():
        t_logits = teacher(X)
    s_logits = student(X)
    soft = kl(F.log_softmax(s_logits / T, dim=1), F.softmax(t_logits / T, dim=1)) * T * T
    hard = ce(s_logits, Y)
    loss = alpha * soft + (1 - alpha) * hard
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"epoch {epoch}: soft={soft.item():.4f} hard={hard.item():.4f} total={loss.item():.4f}")

enc = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
opt2 = torch.optim.SGD(enc.parameters(), lr=0.1)


def nt_xent(z1, z2, tau=0.5):
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    z = torch.cat([z1, z2], dim=0)
    sim = z @ z.t() / tau
    n = z1.size(0)
    sim.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)


for step in range(5):
    xa = X[:16] + 0.1 * torch.randn(16, 16)
    xb = X[:16] + 0.1 * torch.randn(16, 16)
    loss = nt_xent(enc(xa), enc(xb))
    opt2.zero_grad()
    loss.backward()
    opt2.step()
    print("step", step, round(loss.item(), 5))
with torch.no_grad():
    e = F.normalize(enc(X[:4]), p=2, dim=-1)
    cos = F.cosine_similarity(e.unsqueeze(1), e.unsqueeze(0), dim=-1)
    print(cos)
    print(torch.cdist(e, e).round(decimals=3))
    print(F.pairwise_distance(e[:2], e[2:]))
margin = nn.TripletMarginLoss(margin=1.0)
print(margin(X[:4], X[4:8], X[8:12]))
cel = nn.CosineEmbeddingLoss()
print(cel(X[:3], X[3:6], torch.tensor([1, -1, 1])))
ls = F.cross_entropy(student(X[:8]), Y[:8], label_smoothing=0.2)
print(f"{ls:.6f}", ls)
