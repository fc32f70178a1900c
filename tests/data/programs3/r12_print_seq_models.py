import torch
import torch.nn as nn

torch.manual_seed(0)
print(nn.LSTM(10, 20, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True))
print(nn.LSTM(10, 20, proj_size=5))
print(nn.GRU(8, 16, bias=False))
print(nn.RNN(4, 6, nonlinearity="relu", num_layers=3))
print(nn.LSTMCell(3, 4), nn.GRUCell(3, 4, bias=False), nn.RNNCell(2, 2, nonlinearity="tanh"))
print(nn.Embedding(100, 16, padding_idx=0))
print(nn.Embedding(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True))
print(nn.EmbeddingBag(10, 3, mode="max"))
print(nn.Embedding.from_pretrained(torch.eye(3), freeze=False))
print(nn.MultiheadAttention(16, 4, dropout=0.1, batch_first=True))
print(nn.MultiheadAttention(8, 2, kdim=4, vdim=6))
print(nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True))
enc = nn.TransformerEncoder(
    nn.TransformerEncoderLayer(16, 2, 32, norm_first=True), num_layers=2, enable_nested_tensor=False
)
print(enc)
print(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, activation="gelu"))
t = nn.Transformer(
    d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16
)
print(t)
print(sum(p.numel() for p in t.parameters()))
e = nn.Embedding(5, 2, padding_idx=2)
print(e.weight[2], e(torch.tensor([[0, 2], [4, 1]])).shape)
lstm = nn.LSTM(3, 4, batch_first=True)
for name, p in lstm.named_parameters():
    print(name, tuple(p.shape))
out, (h, c) = lstm(torch.randn(2, 5, 3))
print(out.shape, h.shape, c.shape, out.grad_fn is not None)
gru = nn.GRU(3, 4, num_layers=2, bidirectional=True)
o, h = gru(torch.randn(5, 2, 3))
print(o.shape, h.shape)
mha = nn.MultiheadAttention(8, 2, batch_first=True)
q = torch.randn(2, 3, 8)
a, w = mha(q, q, q)
print(
    a.shape,
    w.shape,
    mha(q, q, q, average_attn_weights=False)[1].shape,
    mha(q, q, q, need_weights=False)[1],
)
print(nn.Transformer.generate_square_subsequent_mask(4))
for n, mod in enc.named_modules():
    print(repr(n), type(mod).__name__)
