import torch
import torch.nn as nn

torch.manual_seed(8)


class MatrixFactorization(nn.Module):
    def __init__(self, n_users, n_items, dim=4):
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = nn.Embedding(n_items, 1)
        self.tags = nn.EmbeddingBag(10, dim, mode="mean")
        nn.init.normal_(self.user.weight, std=0.1)
        nn.init.normal_(self.item.weight, std=0.1)
        nn.init.zeros_(self.user_bias.weight)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, u, i, tags, offsets):
        t = self.tags(tags, offsets)
        dot = (self.user(u) * (self.item(i) + t)).sum(1)
        return dot + self.user_bias(u).squeeze(1) + self.item_bias(i).squeeze(1)


users = torch.randint(0, 6, (30,))
items = torch.randint(0, 8, (30,))
ratings = torch.randint(1, 6, (30,)).float()
tags = torch.randint(0, 10, (60,))
offsets = torch.arange(0, 60, 2)
model = MatrixFactorization(6, 8)
opt = (
    torch.optim.SparseAdam(list(model.parameters()))
    if False
    else torch.optim.Adagrad(model.parameters(), lr=0.1)
)
for epoch in range(20):
    opt.zero_grad()
    pred = model(users, items, tags, offsets)
    loss = nn.functional.mse_loss(pred, ratings)
    loss.backward()
    opt.step()
    if epoch % 5 == 4:
        print(f"epoch {epoch} rmse {loss.sqrt().item():.4f}")
bag = nn.EmbeddingBag(5, 3, mode="sum")
with torch.no_grad():
    bag.weight.copy_(torch.arange(15.0).view(5, 3))
print(bag(torch.tensor([0, 1, 2, 3, 4]), torch.tensor([0, 2])))
print(bag(torch.tensor([[0, 1], [2, 3]])))
print(
    bag(
        torch.tensor([1, 2, 4]),
        torch.tensor([0, 1]),
        per_sample_weights=torch.tensor([0.5, 2.0, 1.0]),
    )
)
mx = nn.EmbeddingBag.from_pretrained(torch.arange(15.0).view(5, 3), mode="max")
print(mx(torch.tensor([0, 4, 1, 2]), torch.tensor([0, 1, 1])))
print(mx.weight.requires_grad, mx)
emb = nn.Embedding.from_pretrained(torch.eye(3), freeze=False, padding_idx=1)
print(emb, emb(torch.tensor([[0, 1], [2, 2]])))
e2 = nn.Embedding(4, 2, max_norm=1.0)
with torch.no_grad():
    e2.weight.mul_(10)
print(e2(torch.tensor([0, 1])).norm(dim=1))
print(e2.weight[:2].norm(dim=1), e2.weight[2:].norm(dim=1) > 1)
print(nn.functional.embedding(torch.tensor([1, 0]), torch.arange(6.0).view(3, 2)))
top_items = (model.user.weight[0] @ model.item.weight.t()).topk(3)
print(top_items.indices, top_items.values.shape)
