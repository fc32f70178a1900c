import torch
import torch.nn as nn

torch.manual_seed(11)


class TiedLM(nn.Module):
    def __init__(self, vocab=30, d=12):
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.rnn = nn.GRU(d, d, batch_first=True)
        self.norm = nn.LayerNorm(d)
        self.decoder = nn.Linear(d, vocab, bias=False)
        self.decoder.weight = self.emb.weight

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.decoder(self.norm(h))


m = TiedLM()
print(m)
print(m.decoder.weight is m.emb.weight, len(list(m.parameters())), len(m.state_dict()))
print(sum(p.numel() for p in m.parameters()))
opt = torch.optim.Adam(m.parameters(), lr=1e-2)
data = torch.randint(1, 30, (10, 9))
data[:, -2:] = 0
crit = nn.CrossEntropyLoss(ignore_index=0)
for step in range(10):
    logits = m(data[:, :-1])
    loss = crit(logits.reshape(-1, 30), data[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 3 == 0:
        print(f"{step}: {loss.item():.4f}")
print(m.emb.weight[0])
m.eval()
correct, total = 0, 0
confusion = torch.zeros(3, 3, dtype=torch.int64)
with torch.no_grad():
    logits = m(data[:, :-1])
    pred = logits.argmax(-1)
    mask = data[:, 1:] != 0
    correct += (pred[mask] == data[:, 1:][mask]).sum().item()
    total += mask.sum().item()
    p3, t3 = pred[mask] % 3, data[:, 1:][mask] % 3
    for t, p in zip(t3, p3):
        confusion[t, p] += 1
print(f"Accuracy: {100 * correct / total:.2f}% ({correct}/{total})")
print(confusion)
prec = confusion.diag() / confusion.sum(0).clamp(min=1)
rec = confusion.diag().float() / confusion.sum(1)
print(prec, rec)
f1 = 2 * prec * rec / (prec + rec)
print(f1.nan_to_num(0.0))
with torch.inference_mode():
    probs = m(data[:2, :3]).softmax(-1)
    top = probs.topk(2, dim=-1)
    print(top.values.shape, top.indices[0])
    print(probs.sum(-1))
print(logits.requires_grad, probs.is_inference())
print(torch.tensor([0.1234567, 12345.678, 1e-8]))
print(torch.tensor([[1, 2], [3, 4]]) / 3)
print(torch.arange(12).reshape(3, 4).float().mean(0), torch.tensor(3.14159).item())
print(torch.tensor([1.5, float("nan"), float("inf")]), torch.tensor([True, False]))
