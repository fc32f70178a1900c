import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
d_model, nhead, S, B = 16, 4, 5, 2


class PositionalEncoding(nn.Module):
    def __init__(self, d, max_len=50):
        super().__init__()
        pe = torch.zeros(max_len, d)
        pos = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, : x.size(1)]


pe = PositionalEncoding(d_model)
print(pe.pe[0, 1, :6])
layer = nn.TransformerEncoderLayer(
    d_model, nhead, dim_feedforward=32, dropout=0.0, batch_first=True
)
enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
x = pe(torch.randn(B, S, d_model))
causal = nn.Transformer.generate_square_subsequent_mask(S)
print(causal)
pad_mask = torch.tensor([[False] * 5, [False, False, False, True, True]])
out = enc(x, mask=causal, src_key_padding_mask=pad_mask)
print(out.shape, out[1, 0, :4])
enc.eval()
with torch.no_grad():
    out2 = enc(x, src_key_padding_mask=pad_mask)
print(out2[0, -1, :4])
mha = nn.MultiheadAttention(d_model, nhead, batch_first=True)
q = torch.randn(B, 3, d_model)
o, w = mha(q, x, x, key_padding_mask=pad_mask)
print(o.shape, w.shape)
print(w[1])
o2, w2 = mha(q, x, x, average_attn_weights=False)
print(w2.shape, w2.sum(-1)[0, 0])
o3, w3 = mha(q, x, x, need_weights=False)
print(w3)
bool_mask = torch.triu(torch.ones(3, 3, dtype=torch.bool), diagonal=1)
a = F.scaled_dot_product_attention(
    q.view(B, 3, 4, 4).transpose(1, 2),
    q.view(B, 3, 4, 4).transpose(1, 2),
    q.view(B, 3, 4, 4).transpose(1, 2),
    attn_mask=~bool_mask,
)
print(a.shape, a[0, 0])
b = F.scaled_dot_product_attention(q, q, q, is_causal=True)
print(b[0, 0, :4], b[1, 2, :4])
c = F.scaled_dot_product_attention(q, x, x, attn_mask=torch.zeros(3, S), scale=0.5)
print(c[0, 1, :4])
t = nn.Transformer(
    d_model=d_model,
    nhead=2,
    num_encoder_layers=1,
    num_decoder_layers=1,
    dim_feedforward=20,
    dropout=0.0,
    batch_first=True,
)
src, tgt = torch.randn(B, S, d_model), torch.randn(B, 4, d_model)
y = t(src, tgt, tgt_mask=t.generate_square_subsequent_mask(4), tgt_is_causal=True)
print(y.shape, f"{y.sum().item():.4f}")
print(sum(p.numel() for p in t.parameters()))
print(t.encoder.layers[0].self_attn)
