import torch
import torch.nn as nn
import torch.nn.functional as F


def attempt(label, fn):
    try:
        r = fn()
        print(label, "OK", r if not isinstance(r, torch.Tensor) else tuple(r.shape))
    except Exception as e:
        print(label, type(e).__name__ + ":", e)


lin = nn.Linear(10, 5)
attempt("linear", lambda: lin(torch.randn(4, 12)))
attempt("linear1d", lambda: lin(torch.randn(12)))
attempt("matmul", lambda: torch.randn(2, 3) @ torch.randn(4, 5))
attempt("mm", lambda: torch.mm(torch.randn(2, 3), torch.randn(4, 5)))
attempt("bmm", lambda: torch.bmm(torch.randn(2, 3, 4), torch.randn(3, 4, 5)))
attempt("add", lambda: torch.ones(3) + torch.ones(4))
attempt("cat", lambda: torch.cat([torch.ones(2, 3), torch.ones(2, 4)]))
attempt("stack", lambda: torch.stack([torch.ones(2), torch.ones(3)]))
attempt("view", lambda: torch.randn(4, 6).t().view(24))
attempt("reshape", lambda: torch.randn(4, 6).reshape(5, -1))
attempt(
    "ce_float_target", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([1.0, 2.0, 0.0]))
)
attempt("ce_range", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([1, 2, 4])))
attempt("nll_shape", lambda: F.nll_loss(torch.randn(3, 4), torch.tensor([1, 2])))
attempt("mse_shape", lambda: F.mse_loss(torch.randn(3, 1), torch.randn(3)))
attempt("bce_range", lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])))
attempt("conv_channels", lambda: nn.Conv2d(3, 8, 3)(torch.randn(1, 1, 8, 8)))
attempt("conv_dims", lambda: nn.Conv2d(3, 8, 3)(torch.randn(3, 8)))
attempt("conv_small", lambda: nn.Conv2d(3, 8, 5)(torch.randn(1, 3, 3, 3)))
attempt("bn", lambda: nn.BatchNorm1d(4)(torch.randn(1, 4)))
attempt("emb", lambda: nn.Embedding(5, 2)(torch.tensor([5])))
attempt("emb_float", lambda: nn.Embedding(5, 2)(torch.tensor([1.0])))
attempt("index", lambda: torch.arange(5)[7])
attempt("index_dim", lambda: torch.randn(2, 3)[0, 0, 0])
attempt("item", lambda: torch.randn(3).item())
attempt("numpy_grad", lambda: torch.randn(2, requires_grad=True).numpy())
attempt("inplace_leaf", lambda: torch.randn(2, requires_grad=True).add_(1))
attempt(
    "backward_twice",
    lambda: (lambda y: (y.backward(), y.backward()))(
        (torch.randn(2, requires_grad=True) * 2).exp().sum()
    ),
)
attempt("backward_nonscalar", lambda: (torch.randn(2, requires_grad=True) * 2).backward())
attempt("no_grad_backward", lambda: torch.randn(2).sum().backward())
attempt("long_mean", lambda: torch.tensor([1, 2]).mean())
attempt("dtype_mm", lambda: torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.float64))
attempt("int_grad", lambda: torch.tensor([1, 2], requires_grad=True))
attempt("squeeze_dim", lambda: torch.randn(2, 3).squeeze(5))
attempt("permute", lambda: torch.randn(2, 3).permute(0))
attempt("expand", lambda: torch.randn(3, 2).expand(3, 4))
attempt("gather", lambda: torch.randn(3, 4).gather(1, torch.tensor([[0.0]])))
attempt("arange", lambda: torch.arange(0, 5, 0))
attempt("randint", lambda: torch.randint(5, 3, (2,)))
attempt("softmax_nodim", lambda: F.softmax(torch.randn(3, 3), dim=2))
attempt("lstm_in", lambda: nn.LSTM(4, 8)(torch.randn(5, 3, 6)))
attempt("maxpool", lambda: nn.MaxPool2d(4)(torch.randn(1, 1, 2, 2)))
attempt("sequential_idx", lambda: nn.Sequential(nn.ReLU())[3])
attempt("module_attr", lambda: nn.Linear(2, 2).weights)
attempt("param_assign", lambda: setattr(nn.Linear(2, 2), "weight", torch.zeros(2, 2)))
attempt("opt_empty", lambda: torch.optim.SGD([], lr=0.1))
attempt("opt_lr", lambda: torch.optim.Adam(nn.Linear(2, 2).parameters(), lr=-1))
