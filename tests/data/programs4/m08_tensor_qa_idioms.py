# Stack Overflow tensor idioms (indexing, masking, building tensors)
import torch

torch.manual_seed(0)
x = torch.randint(0, 10, (4, 5))
print(x)
print(torch.argwhere(x > 6), torch.nonzero(x > 6, as_tuple=True))
print(x.masked_select(x % 2 == 0), x[x.sum(1) > 20], x[:, x[0] > 3])
print(torch.where(x > 5), torch.where(x > 5, x, -1))
print(
    x.index_fill(1, torch.tensor([0, 2]), -1),
    x.repeat_interleave(2, dim=0)[:3],
    torch.repeat_interleave(torch.tensor([1, 2]), torch.tensor([2, 3])),
)
print(x.tensor_split(3, dim=1), torch.tensor_split(torch.arange(7), [2, 5]))
gx, gy = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
print(gx, gy, torch.meshgrid(torch.arange(2), torch.arange(3), indexing="xy")[0])
print(torch.tril_indices(3, 3), torch.triu_indices(3, 4, offset=1))
print(
    torch.combinations(torch.tensor([1, 2, 3])),
    torch.combinations(torch.arange(3), r=2, with_replacement=True).shape,
)
print(torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4])))
print(
    torch.block_diag(torch.ones(2, 2), torch.tensor([[5]])),
    torch.diag_embed(torch.tensor([[1, 2], [3, 4]])),
)
print(torch.take_along_dim(x, x.argsort(1), dim=1), torch.take(x, torch.tensor([0, 19])))
print(
    x.float().nanmean(),
    torch.tensor([1.0, float("nan"), 3.0]).nansum(),
    torch.tensor([float("nan"), 1.0]).nan_to_num(0.5),
)
lengths = torch.tensor([2, 4, 1])
mask = torch.arange(lengths.max())[None, :] < lengths[:, None]
print(mask, mask.long().sum(1))
onehot = torch.zeros(3, 5).scatter_(1, torch.tensor([[1], [4], [0]]), 1)
print(onehot, onehot.argmax(1))
print(x.view(-1).bincount(), x.unique(sorted=True, return_counts=True), x.flatten().mode())
print(x.max(dim=1), x.min(dim=0).indices, x.argmax(), x.float().std(dim=0, keepdim=True))
print(torch.topk(x.flatten(), 3), torch.sort(x[0], descending=True, stable=True))
print(
    x.T.contiguous().is_contiguous(),
    x.T.is_contiguous(),
    x.stride(),
    x.T.stride(),
    x.storage_offset(),
)
a = torch.arange(12).view(3, 4)
print(
    a[[0, 2]][:, [1, 3]],
    a[[0, 2], [1, 3]],
    a[torch.tensor([True, False, True])],
    a[..., -1],
    a[None, :, None].shape,
)
a[a > 5] = 0
print(a, a.clone().fill_diagonal_(9))
b = torch.zeros(5)
b.index_add_(0, torch.tensor([0, 0, 2]), torch.tensor([1.0, 2.0, 3.0]))
print(
    b,
    b.put_(torch.tensor([4]), torch.tensor([7.0])),
    torch.zeros(2, 3).index_copy(1, torch.tensor([2, 0]), torch.ones(2, 2)),
)
seqs = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
print(
    (seqs != 0).sum(1), seqs.flip(1), torch.roll(seqs, 1, 1), seqs.cumsum(1), seqs.cummax(1).values
)
print(
    torch.cat([seqs, seqs], dim=-1).shape,
    torch.hstack([seqs, seqs]).shape,
    torch.vstack([seqs, seqs]).shape,
    torch.dstack([seqs, seqs]).shape,
)
print(
    torch.stack([seqs, seqs], 1).shape,
    torch.column_stack([torch.arange(2), torch.arange(2)]),
    torch.row_stack([torch.arange(2)] * 2),
)
print(
    torch.chunk(torch.arange(10), 3),
    torch.split(torch.arange(10), [3, 7]),
    torch.unbind(torch.eye(2)),
)
print(
    torch.atleast_2d(torch.tensor(1.0)),
    torch.broadcast_tensors(torch.ones(2, 1), torch.zeros(3))[0].shape,
    torch.broadcast_shapes((2, 1), (3,)),
)
print(
    torch.eye(3)[torch.tensor([2, 0])],
    torch.full_like(x, 7, dtype=torch.float16)[0],
    torch.empty_like(x).shape,
    torch.zeros_like(x, dtype=torch.bool)[0],
)
print(
    torch.clamp(x, max=5)[0],
    x.clip(2, 4)[1],
    torch.diff(torch.tensor([1, 4, 9, 16])),
    torch.diff(torch.tensor([1, 4, 9]), prepend=torch.tensor([0])),
)
print(
    torch.isin(torch.tensor([1, 2, 3]), torch.tensor([2, 9])),
    torch.allclose(torch.tensor([1.0]), torch.tensor([1.0 + 1e-9])),
    torch.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1])),
)
print(
    torch.count_nonzero(x, dim=0),
    torch.any(x > 8, dim=1),
    torch.all(x >= 0),
    torch.logical_xor(torch.tensor([True]), torch.tensor([False])),
)
print(
    torch.histc(torch.tensor([1.0, 2, 1, 4]), bins=4, min=0, max=4),
    torch.histogram(torch.tensor([1.0, 2, 1]), bins=2),
)
print(
    torch.vander(torch.tensor([1, 2, 3]), N=3),
    torch.rot90(torch.arange(4).view(2, 2)),
    torch.kron(torch.eye(2), torch.ones(1, 2)),
)
