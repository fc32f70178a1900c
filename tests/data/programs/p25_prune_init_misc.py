import torch
import torch.nn as nn
import torch.nn.utils.prune as prune
from torch.utils.checkpoint import checkpoint_sequential

torch.manual_seed(23)
w = torch.empty(4, 6)
for init in (nn.init.orthogonal_, nn.init.trunc_normal_, nn.init.kaiming_uniform_,
             nn.init.xavier_normal_, nn.init.uniform_, nn.init.eye_, nn.init.sparse_):
    kw = {"sparsity": 0.5} if init is nn.init.sparse_ else {}
    print(init.__name__, init(w, **kw).sum().item().__round__(4))
conv = nn.Conv2d(1, 2, 3)
prune.l1_unstructured(conv, name="weight", amount=0.3)
print(list(dict(conv.named_buffers()).keys()), [n for n, _ in conv.named_parameters()])
print(conv.weight_mask.sum(), list(conv._forward_pre_hooks.values())[0].__class__)
prune.remove(conv, "weight")
print([n for n, _ in conv.named_parameters()], (conv.weight == 0).sum())
lin = nn.Linear(5, 3)
prune.random_structured(lin, "weight", amount=0.33, dim=0)
print(lin.weight_mask)
prune.global_unstructured([(lin, "bias"), (conv, "bias")], pruning_method=prune.L1Unstructured,
                          amount=2)
print(lin.bias_mask, conv.bias_mask)
seq = nn.Sequential(*[nn.Linear(4, 4) for _ in range(4)])
x = torch.randn(2, 4, requires_grad=True)
out = checkpoint_sequential(seq, 2, x, use_reentrant=False)
out.sum().backward()
print(out, x.grad)
bag = nn.EmbeddingBag(10, 3, mode="mean")
print(bag(torch.tensor([1, 2, 4, 5, 4, 3]), torch.tensor([0, 3])))
emb = nn.Embedding(10, 3, sparse=True)
opt = torch.optim.SparseAdam(emb.parameters(), lr=0.1)
emb(torch.tensor([1, 2])).sum().backward()
print(emb.weight.grad.is_sparse, emb.weight.grad)
opt.step()
print(emb.weight[1:3])
print(opt)
rnn = nn.RNN(2, 3, nonlinearity="relu")
print(rnn, [n for n, _ in rnn.named_parameters()])
gru_cell = nn.GRUCell(2, 3)
hx = torch.zeros(1, 3)
for t in range(2):
    hx = gru_cell(torch.ones(1, 2), hx)
print(hx)
ps = nn.PixelShuffle(2)
print(ps(torch.arange(8.).view(1, 4, 1, 2)))
print(nn.functional.gumbel_softmax(torch.zeros(2, 3), tau=0.5, hard=True))
print(torch.nn.utils.get_total_norm([torch.ones(3), torch.ones(4)]) if hasattr(
    torch.nn.utils, "get_total_norm") else "n/a")
