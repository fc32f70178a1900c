import random
import torch
import torch.nn as nn
import torch.nn.functional as F

random.seed(0)
torch.manual_seed(3)
SOS, EOS, V, H = 0, 1, 10, 16


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, H)
        self.gru = nn.GRU(H, H, batch_first=True)

    def forward(self, x):
        return self.gru(self.embedding(x))


class AttnDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, H)
        self.Wa = nn.Linear(H, H)
        self.Ua = nn.Linear(H, H)
        self.Va = nn.Linear(H, 1)
        self.gru = nn.GRU(2 * H, H, batch_first=True)
        self.out = nn.Linear(H, V)

    def step(self, inp, hidden, enc):
        emb = self.embedding(inp)
        q = hidden.permute(1, 0, 2)
        scores = self.Va(torch.tanh(self.Wa(q) + self.Ua(enc))).squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        ctx = torch.bmm(weights, enc)
        out, hidden = self.gru(torch.cat((emb, ctx), dim=2), hidden)
        return self.out(out), hidden, weights

    def forward(self, enc, hidden, target=None, max_len=6, tf=0.5):
        B = enc.size(0)
        inp = torch.empty(B, 1, dtype=torch.long).fill_(SOS)
        outs, attns = [], []
        for i in range(max_len):
            o, hidden, w = self.step(inp, hidden, enc)
            outs.append(o)
            attns.append(w)
            if target is not None and random.random() < tf:
                inp = target[:, i].unsqueeze(1)
            else:
                _, topi = o.topk(1)
                inp = topi.squeeze(-1).detach()
        outs = F.log_softmax(torch.cat(outs, dim=1), dim=-1)
        return outs, hidden, torch.cat(attns, dim=1)


enc, dec = Encoder(), AttnDecoder()
src = torch.randint(2, V, (8, 5))
tgt = torch.cat([src.flip(1), torch.full((8, 1), EOS)], dim=1)
eo = torch.optim.Adam(enc.parameters(), lr=0.01)
do = torch.optim.Adam(dec.parameters(), lr=0.01)
crit = nn.NLLLoss()
for it in range(20):
    eo.zero_grad()
    do.zero_grad()
    e_out, e_h = enc(src)
    d_out, _, attn = dec(e_out, e_h, tgt)
    loss = crit(d_out.view(-1, V), tgt.view(-1))
    loss.backward()
    eo.step()
    do.step()
    if it % 5 == 4:
        print(f"iter {it + 1} loss {loss.item():.4f}")
with torch.no_grad():
    e_out, e_h = enc(src[:2])
    d_out, _, attn = dec(e_out, e_h)
    pred = d_out.argmax(-1)
print(src[:2].tolist())
print(pred.tolist())
print(attn.shape)
print(attn[0].sum(-1))
print(torch.round(attn[0, :2], decimals=4))
acc = (pred == tgt[:2]).float().mean()
print("acc", acc, f"{acc:.3f}")
