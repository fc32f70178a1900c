import copy
import torch
import torch.nn as nn

torch.manual_seed(4)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 1)),
        )
        self.fc = nn.Linear(16, 100)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


pretrained = Backbone()
sd = copy.deepcopy(pretrained.state_dict())
print(list(sd.keys())[:6])
model = Backbone()
missing = model.load_state_dict(sd)
print(missing)
for p in model.parameters():
    p.requires_grad = False
model.fc = nn.Linear(model.fc.in_features, 5)
for p in model.features[4].parameters():
    p.requires_grad = True
trainable = [n for n, p in model.named_parameters() if p.requires_grad]
print(trainable)
optimizer = torch.optim.SGD([
    {"params": model.features[4].parameters(), "lr": 1e-3},
    {"params": model.fc.parameters()},
], lr=1e-2, momentum=0.9, weight_decay=5e-4)
print(optimizer)
sched = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
x = torch.randn(16, 3, 8, 8)
y = torch.randint(0, 5, (16,))
crit = nn.CrossEntropyLoss(label_smoothing=0.1)
for epoch in range(4):
    model.train()
    optimizer.zero_grad()
    out = model(x)
    loss = crit(out, y)
    loss.backward()
    optimizer.step()
    sched.step()
    _, preds = torch.max(out, 1)
    correct = torch.sum(preds == y.data)
    print(f"epoch {epoch} loss {loss.item():.4f} acc {correct.double() / len(y):.4f} "
          f"lr {sched.get_last_lr()}")
print(model.features[0].weight.grad)
print(model.features[1].running_var[:4])
model.eval()
with torch.inference_mode():
    out = model(x[:3])
    print(out.softmax(1).argmax(1), out.requires_grad, torch.is_inference_mode_enabled())
print(torch.equal(model.features[0].weight, pretrained.features[0].weight))
print(torch.allclose(model.features[4].weight, pretrained.features[4].weight))
print(optimizer.param_groups[0]["lr"], optimizer.param_groups[1]["lr"])
print(sched.state_dict())
