import os
import tempfile
import torch
import torch.nn as nn


class MyNet(nn.Module):
    def __init__(self, hidden=4):
        super().__init__()
        self.hidden = hidden
        self.fc = nn.Linear(2, hidden)

    def extra_repr(self):
        return f"hidden={self.hidden}"

    def forward(self, x):
        return self.fc(x)


torch.manual_seed(22)
d = tempfile.mkdtemp()
path = os.path.join(d, "model.pth")
net = MyNet()
print(net)
torch.save(net, path)
try:
    torch.load(path)
except Exception as e:
    print(type(e).__name__)
    print(str(e))
m = torch.load(path, weights_only=False, map_location="cpu")
print(type(m).__name__, m.hidden)
torch.save(net.state_dict(), path)
sd = torch.load(path, map_location=torch.device("cpu"), weights_only=True)
print(type(sd).__name__, list(sd), sd["fc.bias"])
net2 = MyNet()
print(net2.load_state_dict(sd, strict=True))
sd2 = {"module." + k: v for k, v in sd.items()}
try:
    net2.load_state_dict(sd2)
except RuntimeError as e:
    print(e)
print(net2.load_state_dict({k.replace("module.", ""): v for k, v in sd2.items()}))
torch.save({"epoch": 3, "model_state_dict": net.state_dict(), "loss": torch.tensor(0.25),
            "np": [1.5, "a"]}, path)
ck = torch.load(path)
print(ck["epoch"], ck["loss"], ck["np"])
big = torch.randn(1200)
print(big)
print(torch.randn(8, 1001))
os.remove(path)
os.rmdir(d)
