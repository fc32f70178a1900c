import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(2)


class TheModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 2, 2)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(8, 3)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        return self.fc1(torch.flatten(x, 1))


model = TheModelClass()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())
print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\t", optimizer.state_dict()[var_name])
print(model.state_dict())
out = model(torch.randn(2, 3, 5, 5)).sum()
out.backward()
optimizer.step()
print(optimizer.state_dict())
print(optimizer.param_groups[0]["lr"], optimizer.param_groups[0].keys())
adam = optim.Adam(
    [{"params": model.conv1.parameters()}, {"params": model.fc1.parameters(), "lr": 1e-2}],
    lr=1e-3,
    weight_decay=1e-4,
)
print(adam)
model(torch.randn(1, 3, 5, 5)).sum().backward()
adam.step()
sd = adam.state_dict()
print(sd["state"][0]["step"], sd["state"][0]["exp_avg"].shape, sorted(sd["state"][0].keys()))
print(sd["param_groups"])
print(len(adam.param_groups), [g["lr"] for g in adam.param_groups])
adam.add_param_group({"params": [nn.Parameter(torch.ones(2))], "lr": 0.5})
print(adam.param_groups[2]["betas"], adam.param_groups[2]["lr"])
print(optimizer.state[model.fc1.bias])
sgd2 = optim.SGD(model.parameters(), lr=0.5)
sgd2.load_state_dict(optimizer.state_dict())
print(sgd2.param_groups[0]["lr"], sgd2.param_groups[0]["momentum"])
print(repr(model.state_dict())[:30])
print(
    type(model.state_dict()).__name__,
    model.state_dict()._metadata if hasattr(model.state_dict(), "_metadata") else None,
)
