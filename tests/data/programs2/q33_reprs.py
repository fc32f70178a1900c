import torch
import torch.nn as nn
from torch.utils.data import TensorDataset, DataLoader

torch.manual_seed(0)
t = torch.ones(2)
print(type(t), type(nn.Linear(1, 1)), type(nn.Parameter(t)), torch.Tensor, torch.nn.Module)
print(
    type(torch.optim.Adam([nn.Parameter(t)])),
    torch.optim.lr_scheduler.StepLR,
    type(torch.float32),
    type(torch.device("cpu")),
)
print(
    type(t.shape),
    type(torch.max(torch.ones(2, 2), 0)),
    type(DataLoader([1])),
    torch.utils.data.Dataset,
)
print(type(torch.randn(2).sort()).__name__, type(torch.Generator()), torch.distributions.Normal)
print(repr(torch.no_grad()).split(" at ")[0], type(torch.autograd.grad), torch.nn.functional.relu)
print(
    torch.float32.is_floating_point,
    torch.int32.itemsize if hasattr(torch.int32, "itemsize") else None,
    str(torch.float64),
)
for opt_cls, kw in [
    (torch.optim.SGD, {"lr": 0.1}),
    (torch.optim.Adam, {}),
    (torch.optim.AdamW, {"lr": 1e-3}),
    (torch.optim.RMSprop, {}),
    (torch.optim.Adagrad, {}),
    (torch.optim.Adadelta, {}),
    (torch.optim.Adamax, {}),
    (torch.optim.NAdam, {}),
    (torch.optim.RAdam, {}),
    (torch.optim.ASGD, {}),
    (torch.optim.Rprop, {}),
    (torch.optim.LBFGS, {}),
]:
    print(opt_cls([nn.Parameter(torch.ones(1))], **kw))
m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
print(m.state_dict())
opt = torch.optim.Adam(m.parameters(), lr=0.01)
m(torch.randn(4, 2)).sum().backward()
opt.step()
print(opt.state_dict())
print(opt.state[m[0].weight].keys() if hasattr(opt.state[m[0].weight], "keys") else None)
print(
    nn.Conv2d(
        3,
        8,
        (3, 5),
        stride=(2, 1),
        padding=(1, 2),
        dilation=2,
        groups=1,
        bias=False,
        padding_mode="zeros",
    )
)
print(nn.Conv1d(4, 4, 3, groups=2, padding="same"), nn.ConvTranspose2d(2, 3, 4, 2, 1))
print(
    nn.LSTM(3, 4, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True),
    nn.GRU(3, 4),
    nn.RNN(2, 2, nonlinearity="relu"),
)
print(
    nn.BatchNorm2d(3, momentum=None),
    nn.LayerNorm(4, elementwise_affine=False),
    nn.GroupNorm(2, 4, eps=1e-3),
)
print(nn.Embedding(10, 3, padding_idx=0, max_norm=2.0), nn.EmbeddingBag(5, 2, mode="max"))
print(
    nn.Dropout(p=0.25, inplace=True),
    nn.MaxPool2d(2, 2),
    nn.AvgPool1d(3),
    nn.AdaptiveAvgPool2d((1, 1)),
    nn.AdaptiveAvgPool2d(None if False else 5),
)
print(
    nn.Transformer(
        d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16
    )
)
print(
    nn.MultiheadAttention(8, 2),
    nn.Bilinear(2, 3, 4),
    nn.Identity(),
    nn.Softmax(dim=1),
    nn.LogSoftmax(1),
)
print(
    nn.CrossEntropyLoss(label_smoothing=0.1),
    nn.MSELoss(reduction="sum"),
    nn.BCEWithLogitsLoss(),
    nn.Upsample(scale_factor=2.0, mode="bilinear"),
)
print(
    nn.Flatten(),
    nn.Unflatten(1, (2, 2)),
    nn.PixelShuffle(2),
    nn.CosineSimilarity(),
    nn.ReLU(inplace=True),
    nn.LeakyReLU(0.2, True),
    nn.ELU(alpha=0.5),
)
print(
    nn.Hardtanh(-2, 2),
    nn.Softplus(),
    nn.Threshold(0.1, 0.0),
    nn.GELU(),
    nn.PReLU(3),
    nn.TransformerEncoderLayer(4, 1, 8),
)
ds = TensorDataset(torch.ones(3, 1))
print(
    len(DataLoader(ds, batch_size=2)),
    DataLoader(ds).batch_size,
    DataLoader(ds).drop_last,
    DataLoader(ds).num_workers,
)
