import torch
import torch.nn as nn

torch.manual_seed(2)
text = "hello world, hello torch. the quick brown fox jumps over the lazy dog. "
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
itos = {i: c for c, i in stoi.items()}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
print(len(chars), data[:10], data.dtype)


class CharLM(nn.Module):
    def __init__(self, vocab, emb=8, hidden=16):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, batch_first=True, dropout=0.1)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


model = CharLM(len(chars))
print(model)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
opt = torch.optim.RMSprop(model.parameters(), lr=0.01)
loss_fn = nn.CrossEntropyLoss()
seq = 12
for step in range(15):
    ix = torch.randint(0, len(data) - seq - 1, (4,))
    x = torch.stack([data[i:i + seq] for i in ix])
    y = torch.stack([data[i + 1:i + seq + 1] for i in ix])
    logits, _ = model(x)
    loss = loss_fn(logits.view(-1, len(chars)), y.view(-1))
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 5 == 0:
        print(f"step {step:3d} loss {loss.item():.4f} ppl {torch.exp(loss).item():.3f}")


@torch.no_grad()
def sample(model, start="h", n=30, temperature=0.8):
    model.eval()
    idx = torch.tensor([[stoi[start]]])
    out = [start]
    state = None
    for _ in range(n):
        logits, state = model(idx, state)
        probs = torch.softmax(logits[:, -1, :] / temperature, dim=-1)
        nxt = torch.multinomial(probs, num_samples=1)
        out.append(itos[nxt.item()])
        idx = nxt
    return "".join(out)


print(repr(sample(model)))
h, c = model.lstm(model.embed(data[:5].unsqueeze(0)))[1]
print(h.shape, c.shape)
print(torch.multinomial(torch.tensor([0.1, 0.2, 0.7]), 5, replacement=True))
print(torch.topk(model.head.weight[0], 3))
