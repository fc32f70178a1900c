import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune

torch.manual_seed(43)
model = nn.Sequential(
    nn.Conv2d(3, 4, 3, padding=1),
    nn.ReLU(),
    nn.Conv2d(4, 6, 3, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(6, 3),
)
target_layer = model[2]
store = {}
fh = target_layer.register_forward_hook(lambda m, i, o: store.update(act=o.detach()))
bh = target_layer.register_full_backward_hook(lambda m, gi, go: store.update(grad=go[0].detach()))
print(fh.id - fh.id, bh.id - fh.id)
img = torch.rand(1, 3, 8, 8, requires_grad=True)
logits = model(img)
logits.retain_grad()
cls = logits.argmax(1).item()
model.zero_grad()
logits[0, cls].backward()
weights = store["grad"].mean(dim=(2, 3), keepdim=True)
cam = F.relu((weights * store["act"]).sum(1, keepdim=True))
cam = F.interpolate(cam, size=(8, 8), mode="bilinear", align_corners=False)
cam = (cam - cam.min()) / (cam.max() - cam.min() + 1e-8)
print(cls, logits.grad, cam.shape, f"{cam.mean().item():.4f}")
print(img.grad.abs().sum() > 0, store["act"].shape, store["grad"].shape)
fh.remove()
bh.remove()
for _ in range(2):
    model(torch.rand(2, 3, 8, 8, requires_grad=True)).sum().backward()
prune.l1_unstructured(model[0], "weight", amount=0.5)
hooks = model[0]._forward_pre_hooks
print(len(hooks), [k - fh.id for k in hooks.keys()])
h = model[6].register_forward_hook(lambda *a: None)
print(h.id - fh.id, list(model[6]._forward_hooks.keys())[0] - fh.id)
