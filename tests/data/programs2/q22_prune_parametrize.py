import torch
import torch.nn as nn
import torch.nn.utils.prune as prune
import torch.nn.utils.parametrize as parametrize

torch.manual_seed(5)
model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 4))
conv = model[0]
print(list(conv.named_parameters()), list(conv.named_buffers()))
prune.random_unstructured(conv, name="weight", amount=0.3)
print([n for n, _ in conv.named_parameters()], [n for n, _ in conv.named_buffers()])
print(conv.weight_mask.sum().item(), conv.weight_mask.numel())
print(conv._forward_pre_hooks)
prune.l1_unstructured(conv, name="bias", amount=1)
print(conv.bias, conv.bias_mask)
prune.ln_structured(model[3], name="weight", amount=0.5, n=2, dim=0)
print(model[3].weight_mask.sum(1))
parameters_to_prune = ((model[0], "weight"), (model[3], "weight"))
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.4)
for m, n in parameters_to_prune:
    w = getattr(m, n)
    sparsity = 100.0 * float(torch.sum(w == 0)) / float(w.nelement())
    print(f"Sparsity in {type(m).__name__}.{n}: {sparsity:.2f}%")
prune.remove(conv, "weight")
print([n for n, _ in conv.named_parameters()], prune.is_pruned(conv), prune.is_pruned(model))
print(list(model.state_dict().keys()))


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


layer = nn.Linear(3, 3)
parametrize.register_parametrization(layer, "weight", Symmetric())
print(layer)
W = layer.weight
print(
    torch.allclose(W, W.T),
    parametrize.is_parametrized(layer),
    parametrize.is_parametrized(layer, "bias"),
)
print(list(layer.state_dict().keys()))
opt = torch.optim.SGD(layer.parameters(), lr=0.1)
layer(torch.randn(4, 3)).pow(2).sum().backward()
opt.step()
print(torch.allclose(layer.weight, layer.weight.T))
with parametrize.cached():
    print(layer.weight is layer.weight)
parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)
print(layer, type(layer.weight).__name__)
sn = nn.utils.parametrizations.spectral_norm(nn.Linear(4, 4))
for _ in range(20):
    sn(torch.randn(2, 4))
print(f"{torch.linalg.matrix_norm(sn.weight, ord=2).item():.3f}")
ortho = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3))
print(torch.allclose(ortho.weight @ ortho.weight.T, torch.eye(3), atol=1e-5))
vec = nn.utils.parameters_to_vector(model.parameters())
print(vec.shape)
nn.utils.vector_to_parameters(torch.zeros_like(vec), model.parameters())
print(model[3].bias, model[0].weight.sum())
