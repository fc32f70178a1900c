import torch
import torch.nn as nn

torch.manual_seed(16)
model = nn.Sequential(
    nn.Conv1d(2, 4, kernel_size=3, stride=1, padding="same"),
    nn.GroupNorm(2, 4),
    nn.SiLU(),
    nn.AvgPool1d(2),
    nn.Flatten(),
    nn.LazyLinear(3),
)
out = model(torch.randn(2, 2, 8))
print(model)
print(out)
print(model.state_dict().keys())
print(model[0].weight.shape, model[-1].weight.shape)
p = nn.Parameter(torch.ones(2))
print(p)
print(repr(p.data), p.grad, p.is_leaf)
w = torch.randn(3, requires_grad=True)
y = (w * 2).exp().sum()
print(y, y.grad_fn, y.grad_fn.next_functions[0][0].name())
print(torch.max(torch.tensor([[1, 5], [7, 2]]), dim=1))
print(torch.Size([2, 3]), torch.float32, torch.long, torch.device("cpu"))
print(torch.tensor([1, 2]).dtype, torch.get_default_dtype(), torch.zeros(1).device)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
print(opt.state_dict()["param_groups"][0]["params"], opt.defaults["lr"])
sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
for _ in range(5):
    opt.step()
    sched.step()
print(sched.get_last_lr(), sched.last_epoch, opt.param_groups[0]["initial_lr"])
layers = [nn.Embedding(10, 3, max_norm=1.0), nn.LSTM(3, 4, batch_first=True, bidirectional=True),
          nn.Dropout2d(0.2), nn.BatchNorm1d(4, affine=False), nn.LayerNorm([3, 4], eps=1e-6),
          nn.ConvTranspose2d(1, 2, 2, stride=2, output_padding=1), nn.Upsample(scale_factor=2),
          nn.PReLU(), nn.Softmax(dim=-1), nn.Identity(), nn.Unflatten(1, (2, 2)),
          nn.MaxPool2d(3, stride=2, ceil_mode=True), nn.Bilinear(2, 3, 4), nn.Hardtanh(-2, 2),
          nn.TransformerDecoderLayer(8, 2, 16), nn.CrossEntropyLoss(weight=torch.ones(2)),
          nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()}),
          nn.ParameterList([nn.Parameter(torch.ones(2))])]
for layer in layers:
    print(layer)
x = torch.randn(4, 5)
print(x)
print(x * 1000)
print(x / 1000)
print(torch.randn(30) * 10)
print(torch.randn(2, 40))
torch.set_printoptions(precision=2, sci_mode=False)
print(x / 1000)
torch.set_printoptions(profile="default")
print(torch.arange(2000))
print(torch.randn(3, 2, 2).half(), torch.tensor([True]), torch.tensor(2.5, dtype=torch.float64))
