import os
import tempfile
import torch
import torch.nn as nn

torch.manual_seed(1)
d = tempfile.mkdtemp()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(self.bn(self.conv(x)).flatten(1))


model = Net()
path = os.path.join(d, "model_weights.pth")
torch.save(model.state_dict(), path)
model2 = Net()
res = model2.load_state_dict(torch.load(path, weights_only=True))
print(res)
print(type(res).__name__, res.missing_keys, res.unexpected_keys)
model2.eval()
print(model2.training, model2.bn.training)
torch.save(model, os.path.join(d, "model.pth"))
m3 = torch.load(os.path.join(d, "model.pth"), weights_only=False)
print(m3)
print(torch.equal(m3.fc.weight, model.fc.weight), type(m3).__name__)
sd = model.state_dict()
del sd["fc.bias"]
sd["extra.weight"] = torch.zeros(1)
try:
    model2.load_state_dict(sd)
except RuntimeError as e:
    print("RuntimeError:", e)
r = model2.load_state_dict(sd, strict=False)
print(r)
print(r.missing_keys, r.unexpected_keys)
bad = model.state_dict()
bad["fc.weight"] = torch.zeros(4, 8)
try:
    model2.load_state_dict(bad)
except RuntimeError as e:
    print("RuntimeError:", e)
print(list(model.state_dict().keys()))
print(model.state_dict()["bn.num_batches_tracked"], model.state_dict()["bn.running_var"])
ck = {
    "epoch": 5,
    "model_state_dict": model.state_dict(),
    "loss": 0.25,
    "optimizer_state_dict": torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9).state_dict(),
}
torch.save(ck, os.path.join(d, "ck.tar"))
ck2 = torch.load(os.path.join(d, "ck.tar"))
print(ck2["epoch"], ck2["loss"], ck2["optimizer_state_dict"])
print(sorted(ck2.keys()))
x = torch.arange(6).view(2, 3)
torch.save({"a": x, "b": x[1]}, os.path.join(d, "views.pt"))
v = torch.load(os.path.join(d, "views.pt"))
v["a"][1, 0] = 100
print(v["b"], v["b"]._base is None)
try:
    torch.load(os.path.join(d, "model.pth"), weights_only=True)
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0][:40])
model2.load_state_dict(model.state_dict())
print(
    all(
        torch.equal(a, b) for a, b in zip(model.state_dict().values(), model2.state_dict().values())
    )
)
