import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pack_sequence

torch.manual_seed(0)


class LSTMClassifier(nn.Module):
    def __init__(self, vocab, emb, hid, ncls):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(
            emb, hid, num_layers=2, batch_first=True, bidirectional=True, dropout=0.0
        )
        self.fc = nn.Linear(2 * hid, ncls)

    def forward(self, x, lengths):
        e = self.emb(x)
        packed = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        out, (h, c) = self.lstm(packed)
        out, out_lens = pad_packed_sequence(out, batch_first=True)
        print("packed", type(packed).__name__, packed.batch_sizes, packed.sorted_indices)
        print("out", out.shape, out_lens, "h", h.shape, "c", c.shape)
        hcat = torch.cat([h[-2], h[-1]], dim=1)
        return self.fc(hcat), out


model = LSTMClassifier(20, 8, 6, 3)
print(model)
x = torch.tensor([[4, 5, 6, 0, 0], [1, 2, 3, 4, 5], [7, 8, 0, 0, 0]])
lengths = torch.tensor([3, 5, 2])
logits, out = model(x, lengths)
print(logits)
print(out[2, :, :3])
print(out[0, 3:].abs().sum())
loss = nn.CrossEntropyLoss()(logits, torch.tensor([0, 2, 1]))
loss.backward()
print(f"{loss.item():.6f}", model.emb.weight.grad[0].abs().sum())
print(model.lstm.weight_hh_l1_reverse.grad.shape)
gru = nn.GRU(4, 3, batch_first=False)
seqs = [torch.randn(3, 4), torch.randn(2, 4), torch.randn(1, 4)]
ps = pack_sequence(seqs)
print(ps.data.shape, ps.batch_sizes)
o, h = gru(ps)
print(type(o).__name__, h)
pad, lens = pad_packed_sequence(o, total_length=4)
print(pad.shape, lens)
print(pad[:, 2])
rnn = nn.RNN(4, 2, num_layers=3, nonlinearity="relu")
print(rnn, [n for n, _ in rnn.named_parameters()][:4])
o, h = rnn(torch.randn(5, 1, 4))
print(o.shape, h.shape)
cell = nn.LSTMCell(4, 3)
hx, cx = cell(torch.randn(2, 4))
print(hx.shape, cx.grad_fn is not None)
try:
    pack_padded_sequence(torch.randn(3, 5, 2), torch.tensor([3, 5, 2]), batch_first=True)
except RuntimeError as e:
    print("RuntimeError:", str(e).split("\n")[0][:60])
