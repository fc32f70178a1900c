import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
layer = nn.TransformerEncoderLayer(
    d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True
)
enc = nn.TransformerEncoder(layer, num_layers=2)
x = torch.randn(2, 4, 8)
pad = torch.tensor([[False, False, False, True], [False, False, True, True]])
enc.train()
out_train = enc(x, src_key_padding_mask=pad)
print(out_train[1, :, :3])
enc.eval()
with torch.no_grad():
    out_eval = enc(x, src_key_padding_mask=pad)
print(out_eval[1, :, :3])
print(out_eval.shape, torch.allclose(out_eval[:, :2], out_train[:, :2].detach()))
causal = nn.Transformer.generate_square_subsequent_mask(4)
print(causal)
with torch.no_grad():
    o1 = enc(x, mask=causal)
    o2 = enc(x, mask=causal, is_causal=True)
print(o1[0, :2, :3], torch.allclose(o1, o2))
mha = nn.MultiheadAttention(8, 2, batch_first=True)
q = torch.randn(2, 3, 8)
kv = torch.randn(2, 5, 8)
kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])
o, w = mha(q, kv, kv, key_padding_mask=kpm)
print(w)
o, w = mha(
    q,
    kv,
    kv,
    attn_mask=torch.zeros(3, 5).masked_fill(torch.ones(3, 5).triu(1).bool(), float("-inf")),
)
print(w[0])
qh = torch.randn(1, 2, 4, 3)
print(F.scaled_dot_product_attention(qh, qh, qh, is_causal=True)[0, 0])
print(
    F.scaled_dot_product_attention(
        qh, qh, qh, attn_mask=torch.tensor([True, True, False, True]).expand(4, 4)
    )[0, 1]
)
dec = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
tgt = torch.randn(2, 3, 8)
print(
    dec(
        tgt,
        x,
        tgt_mask=nn.Transformer.generate_square_subsequent_mask(3),
        memory_key_padding_mask=pad,
    )[0, 0, :4]
)
tr = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)
print(tr(x, tgt)[1, -1, :4])
torch.set_default_dtype(torch.float32)
print(torch.get_default_dtype(), torch.randn(2).dtype)
