import os
import shutil
import tempfile
import torch
import torch.nn as nn

torch.manual_seed(1)
torch.backends.cudnn.benchmark = True
torch.backends.cudnn.deterministic = True
torch.use_deterministic_algorithms(True)
print(torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.enabled)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(
    device,
    device.type,
    device.index,
    torch.device("cuda:1"),
    torch.device("cpu", 0),
    torch.cuda.device_count(),
)
try:
    torch.zeros(2, device="cuda")
except (AssertionError, RuntimeError) as e:
    print(type(e).__name__, e)
try:
    nn.Linear(2, 2).cuda()
except (AssertionError, RuntimeError) as e:
    print(type(e).__name__, e)
torch.set_default_dtype(torch.float64)
print(
    torch.tensor([1.5, 2.0]),
    torch.zeros(2).dtype,
    torch.tensor([1, 2]).dtype,
    torch.arange(3.0).dtype,
)
lin = nn.Linear(2, 3)
print(lin.weight.dtype, torch.randn(2))
print(torch.tensor([1.0], dtype=torch.float32), torch.ones(2, dtype=torch.float32) * 1.5)
print(torch.tensor(2) * 1.5, (torch.tensor([1, 2]) / 2).dtype, torch.get_default_dtype())
print(torch.tensor(3.0 + 1j).dtype, torch.linspace(0, 1, 3))
torch.set_default_dtype(torch.float32)
print(torch.tensor([1.5]), torch.tensor([1.5]).double())
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "model.pt")
torch.save(m.state_dict(), path)
print(os.path.exists(path), sorted(torch.load(path, map_location="cpu", weights_only=True).keys()))
torch.save(m, os.path.join(tmp, "full.pt"))
full = torch.load(os.path.join(tmp, "full.pt"), weights_only=False)
print(type(full).__name__, full[0].weight.equal(m[0].weight))
try:
    torch.load(os.path.join(tmp, "full.pt"))
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])
sd = torch.load(path, map_location=device)
print(sd["0.bias"].device, sd["2.weight"].is_contiguous())
torch.save({"step": 3, "lr": 0.1, "names": ["a", "b"], "t": torch.arange(3)}, path)
print(torch.load(path))
x = torch.ones(2, device=device)
print(x.device, x.to(device).device, x.cpu().is_cpu, x.to("cpu", torch.float16).dtype, x.is_cuda)
print(
    torch.tensor([1, 2]).to(x),
    torch.ones(1).to(device=device, dtype=torch.int32),
    torch.zeros(1).new_zeros(2).device,
)
print(m.to(device) is m, next(m.parameters()).device)
with torch.device("cpu"):
    print(torch.ones(1).device)
torch.set_default_device("cpu")
print(torch.empty(2).device, torch.get_default_device())
g = torch.Generator(device="cpu")
print(g.device, g.initial_seed() >= 0, g.manual_seed(3).initial_seed())
shutil.rmtree(tmp)
