import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
total = sum(p.numel() for p in model.parameters())
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"Total params: {total:,} | trainable: {trainable:,}")
for p in model[0].parameters():
    p.requires_grad = False
print([(n, p.requires_grad) for n, p in model.named_parameters()])
opt = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
print(len(opt.param_groups[0]["params"]))


def init_weights(m):
    if isinstance(m, nn.Linear):
        torch.nn.init.xavier_uniform_(m.weight)
        m.bias.data.fill_(0.01)
        print("init", m)


model.apply(init_weights)
print(model[2].bias)
activation = {}


def get_activation(name):
    def hook(model, input, output):
        activation[name] = output.detach()

    return hook


h = model[1].register_forward_hook(get_activation("relu"))
out = model(torch.randn(2, 4))
print(activation["relu"].shape, (activation["relu"] >= 0).all(), h)
h.remove()
x = torch.arange(12).view(3, 4)
print(x.t().is_contiguous(), x.t().contiguous().view(-1), x.t().reshape(-1))
try:
    x.t().view(-1)
except RuntimeError as e:
    print(e)
logits = torch.randn(6, 3)
target = torch.tensor([0, 2, 1, 1, 0, 2])
acc = (logits.argmax(dim=1) == target).float().mean()
print(f"acc={acc:.4f}", acc.item(), (logits.argmax(1) == target).sum().item() / len(target))
cm = torch.bincount(target * 3 + logits.argmax(1), minlength=9).reshape(3, 3)
print(cm)
top2 = logits.topk(2, dim=1).indices
print(top2, (top2 == target[:, None]).any(1).float().mean())
vals = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
mask = torch.tensor([[1, 1, 0], [1, 0, 0]], dtype=torch.bool)
print((vals * mask).sum(1) / mask.sum(1), vals.masked_fill(~mask, float("-inf")).softmax(-1))
print(torch.where(vals > 2, vals, torch.zeros_like(vals)), torch.where(vals > 4))
u, inv, cnt = torch.unique(
    torch.tensor([3, 1, 3, 2, 1, 3]), return_inverse=True, return_counts=True
)
print(u, inv, cnt)
print(
    torch.unique(torch.tensor([[1, 2], [1, 2], [3, 4]]), dim=0),
    torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 1])),
)
print(
    torch.einsum("ij,jk->ik", vals, vals.T),
    torch.einsum("ii", torch.eye(3)),
    torch.einsum("bi,bi->b", vals, vals),
)
print(vals.chunk(2, dim=1), vals.split([1, 2], dim=1), vals.unbind(0))
print(
    torch.tensor([1, 2]).repeat(2, 2),
    torch.tensor([[1], [2]]).expand(2, 3),
    torch.tensor([1, 2]).repeat_interleave(2),
)
try:
    vals.item()
except RuntimeError as e:
    print(e)
try:
    torch.ones(2, requires_grad=True).numpy()
except RuntimeError as e:
    print(e)
print(
    torch.tensor([5, -5]) // 2,
    torch.div(torch.tensor([5, -5]), 2, rounding_mode="trunc"),
    torch.tensor([5, -5]) / 2,
    torch.tensor([5, -5]) % 3,
)
print(
    (torch.tensor([1, 2]) + 0.5).dtype,
    (torch.tensor([1, 2]) * torch.tensor(2.5)).dtype,
    torch.tensor([1, 2], dtype=torch.int8) + 300,
)
print(
    torch.tensor([0.1, 0.2]).tolist(),
    torch.tensor(0.1).item(),
    torch.tensor([1.5], dtype=torch.float16).tolist(),
)
try:
    torch.ones(2, 3) + torch.ones(3, 2)
except RuntimeError as e:
    print(e)
try:
    torch.ones(2, 3) @ torch.ones(2, 3)
except RuntimeError as e:
    print(e)
print(
    torch.cumsum(torch.arange(5), 0),
    torch.cumprod(torch.tensor([1.0, 2, 3]), 0),
    torch.diff(torch.tensor([1, 4, 9, 16])),
)
