import math
import torch
import torch.nn as nn

torch.manual_seed(15)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=50):
        super().__init__()
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, :x.size(1)]


class Classifier(nn.Module):
    def __init__(self, vocab=20, d=16, nhead=2, classes=3):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = PositionalEncoding(d)
        layer = nn.TransformerEncoderLayer(d, nhead, dim_feedforward=32, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, x, pad_mask=None):
        h = self.encoder(self.pos(self.emb(x) * math.sqrt(16)), src_key_padding_mask=pad_mask)
        return self.head(h.mean(1))


model = Classifier()
print(model)
acts = {}


def hook(name):
    def fn(mod, inp, out):
        acts[name] = out.detach()
    return fn


h1 = model.encoder.layers[0].register_forward_hook(hook("layer0"))
h2 = model.head.register_forward_hook(hook("head"))
grads = []
model.emb.weight.register_hook(lambda g: grads.append(g.norm().item()))
x = torch.randint(1, 20, (4, 6))
mask = torch.zeros(4, 6, dtype=torch.bool)
mask[:, -1] = True
y = torch.tensor([0, 1, 2, 1])
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
for step in range(3):
    out = model(x, mask)
    loss = nn.functional.cross_entropy(out, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.4f}")
print(sorted(acts), acts["layer0"].shape, acts["head"].shape)
print(len(grads), grads[0] > 0)
h1.remove()
h2.remove()
acts.clear()
model(x)
print(acts)
print(nn.Transformer.generate_square_subsequent_mask(4))
print([n for n, _ in model.named_modules()][:6])
print(model.pos.pe.shape, "pe" in model.state_dict(), model.pos.pe.requires_grad)
print(sum(p.numel() for p in model.parameters()))
mha = nn.MultiheadAttention(16, 4, batch_first=True)
q = torch.randn(2, 3, 16)
o, w = mha(q, q, q, need_weights=True)
print(o.shape, w.shape, w.sum(-1))
print(mha)
