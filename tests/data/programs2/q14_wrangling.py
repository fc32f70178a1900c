import torch
import torch.nn.functional as F

torch.manual_seed(31)
scores = torch.randn(4, 6)
mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0], [1, 0, 0, 0, 0, 0], [1] * 6]).bool()
masked = scores.masked_fill(~mask, float("-inf"))
print(masked)
attn = F.softmax(masked, dim=-1)
print(attn)
print(attn.sum(-1))
labels = torch.tensor([2, 0, 1, 5])
print(F.one_hot(labels, num_classes=6))
print(F.one_hot(torch.tensor([[0, 1], [2, 0]])))
picked = scores.gather(1, labels.unsqueeze(1)).squeeze(1)
print(picked, scores[torch.arange(4), labels])
print(torch.where(scores > 0, scores, torch.zeros(1)))
print(torch.where(scores > 1))
print(torch.nonzero(scores > 1), torch.nonzero(scores > 1, as_tuple=True))
print(scores.clamp(min=0).count_nonzero(dim=1), (scores > 0).sum(dim=0))
idx = torch.tensor([0, 2, 2, 1, 0])
vals = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
print(torch.zeros(3).scatter_add_(0, idx, vals), torch.zeros(3).index_add_(0, idx, vals))
print(torch.zeros(3).scatter_reduce(0, idx, vals, reduce="amax", include_self=False))
print(torch.zeros(3).scatter_reduce(0, idx, vals, reduce="mean"))
print(torch.bincount(idx, weights=vals), torch.bincount(idx, minlength=5))
x = torch.arange(24).view(2, 3, 4)
print(x[..., 1], x[:, [0, 2]], x[1, :, ::-1] if False else x[1].flip(-1))
print(x.permute(2, 0, 1).shape, x.movedim(0, -1).shape, x.transpose(-1, -2).flatten(0, 1))
print(torch.roll(torch.arange(5), 2), torch.rot90(torch.arange(4).view(2, 2)))
print(torch.tril_indices(3, 3), torch.triu(torch.ones(3, 3), diagonal=1))
print(torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4])))
print(torch.combinations(torch.tensor([1, 2, 3]), r=2))
print(torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([0, 3, 6, 9])))
print(torch.bucketize(torch.tensor([0.1, 2.5, 7.0]), torch.tensor([1.0, 2.0, 5.0]), right=True))
print(torch.kron(torch.eye(2), torch.ones(2, 2)), torch.outer(torch.arange(3), torch.arange(2)))
print(
    torch.repeat_interleave(torch.tensor([1, 2, 3]), torch.tensor([3, 0, 2])),
    torch.tensor([1, 2]).repeat(2, 2),
)
print(torch.unique(torch.tensor([[1, 2], [1, 2], [3, 4]]), dim=0, return_inverse=True))
print(torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1, 1]), return_counts=True))
print(torch.diff(torch.tensor([1, 4, 9, 16])), torch.cummax(torch.tensor([1, 3, 2, 5]), 0))
print(
    torch.quantile(torch.arange(10.0), torch.tensor([0.25, 0.5, 0.9])),
    torch.nanmean(torch.tensor([1.0, float("nan"), 3.0])),
)
print(
    torch.kthvalue(torch.tensor([5.0, 1.0, 4.0, 2.0]), 2),
    torch.argsort(torch.tensor([3, 1, 2]), descending=True),
)
print(x.narrow(2, 1, 2).shape, x.unfold(2, 2, 1).shape, x.chunk(3, dim=1)[2].squeeze(1))
a = torch.arange(6).view(2, 3)
a[a > 2] = 0
a[:, 0] += 10
print(a, a.masked_select(a > 1), a.index_select(1, torch.tensor([2, 0])))
b = torch.zeros(2, 4)
b.index_put_(
    (torch.tensor([0, 1, 1]), torch.tensor([1, 3, 3])),
    torch.tensor([5.0, 6.0, 7.0]),
    accumulate=True,
)
print(
    b,
    torch.take(a, torch.tensor([0, 5])),
    torch.take_along_dim(scores, labels[:, None], 1).squeeze(),
)
print(torch.stack(torch.meshgrid(torch.arange(2), torch.arange(3), indexing="ij")))
print(
    torch.einsum("i,j->ij", torch.arange(3.0), torch.arange(2.0)), torch.einsum("ii", torch.eye(3))
)
print(torch.logsumexp(scores, 1), torch.nn.functional.normalize(scores[:2], dim=1).norm(dim=1))
