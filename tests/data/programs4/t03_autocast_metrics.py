import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4))
x = torch.randn(12, 6)
y = torch.randint(0, 4, (12,))
with torch.autocast("cpu", dtype=torch.bfloat16):
    h = model[0](x)
    out = model(x)
    loss = F.cross_entropy(out, y)
    sm = torch.softmax(out, dim=1)
    s = out.sum()
    mm = x @ x.T
    ad = x + 1
print(h.dtype, out.dtype, loss.dtype, sm.dtype, s.dtype, mm.dtype, ad.dtype)
print(out[:2])
print(loss)
loss.backward()
print(model[0].weight.grad.dtype, model[2].bias.grad)
print(torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu"))
with torch.autocast(device_type="cpu", enabled=False):
    print(model(x).dtype)
with torch.autocast("cpu"):
    print(torch.get_autocast_dtype("cpu"), model(x).dtype, torch.is_autocast_enabled("cpu"))
model.eval()
with torch.no_grad():
    logits = model(x)
    probs = F.softmax(logits, dim=1)
    conf, pred = probs.max(1)
    top2 = logits.topk(2, dim=1)
print(pred, conf)
print(top2.values[:3], top2.indices[:3])
print(probs.argmax(dim=1).eq(y).sum().item() / len(y))
num_classes = 4
cm = torch.bincount(y * num_classes + pred, minlength=num_classes**2).reshape(
    num_classes, num_classes
)
print(cm)
tp = cm.diag().float()
precision = tp / cm.sum(0).clamp(min=1)
recall = tp / cm.sum(1).clamp(min=1)
f1 = 2 * precision * recall / (precision + recall + 1e-8)
print(precision, recall, f1, f1.mean())
print(f"macro-F1: {f1.mean():.4f}")
_, top3 = logits.topk(3, 1, True, True)
correct = top3.t().eq(y.view(1, -1).expand_as(top3.t()))
for k in (1, 3):
    ck = correct[:k].reshape(-1).float().sum(0, keepdim=True)
    print(f"top{k}", ck.mul_(100.0 / y.size(0)))
acc = (logits.argmax(-1) == y).float().mean()
print(acc, f"{acc:.2%}", f"{100 * acc.item():.1f}%")
cm2 = torch.zeros(num_classes, num_classes, dtype=torch.int64)
for t, p in zip(y.view(-1), pred.view(-1)):
    cm2[t.long(), p.long()] += 1
print(torch.equal(cm, cm2), cm2.sum(), cm.diag() / cm.sum(1))
print(torch.unique(pred, return_counts=True))
print(torch.histc(probs[:, 0], bins=5, min=0, max=1))
