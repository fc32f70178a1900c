import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)


def attempt(label, fn):
    try:
        r = fn()
        print(label, "ok", r)
    except Exception as e:
        print(label, type(e).__name__ + ":", e)


lin = nn.Linear(4, 3)
attempt("shape", lambda: lin(torch.randn(2, 5)))
attempt("dtype", lambda: lin(torch.randn(2, 4, dtype=torch.float64)))
attempt("ce_target", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([0, 1, 4])))
attempt("ce_float_target", lambda: F.cross_entropy(torch.randn(3, 4), torch.tensor([0., 1., 2.])))
attempt("mse_shape", lambda: F.mse_loss(torch.randn(3), torch.randn(3, 1)).shape)
attempt("view", lambda: torch.randn(2, 3).t().view(6))
attempt("cat", lambda: torch.cat([torch.randn(2, 3), torch.randn(3, 2)]))
attempt("mm", lambda: torch.randn(2, 3) @ torch.randn(2, 3))
attempt("item", lambda: torch.randn(2).item())
attempt("numpy_grad", lambda: torch.randn(2, requires_grad=True).numpy())
attempt("backward_twice", lambda: [(lambda y: (y.backward(), y.backward()))(
    (torch.randn(2, requires_grad=True).exp()).sum())])
attempt("leaf_inplace", lambda: torch.randn(2, requires_grad=True).add_(1))
attempt("no_grad_backward", lambda: torch.randn(2).sum().backward())
attempt("index", lambda: torch.arange(3)[5])
attempt("embed", lambda: nn.Embedding(5, 2)(torch.tensor([5])))
attempt("conv", lambda: nn.Conv2d(3, 4, 3)(torch.randn(1, 2, 5, 5)))
attempt("bn", lambda: nn.BatchNorm1d(3)(torch.randn(1, 3)))
attempt("reshape", lambda: torch.arange(6).reshape(4, -1))
attempt("bool_ambig", lambda: bool(torch.tensor([1, 2])))
attempt("long_float", lambda: torch.tensor([1, 2]) + torch.tensor([0.5]))
attempt("int_div_", lambda: torch.tensor([1, 2]).div_(2))
attempt("lstm_in", lambda: nn.LSTM(3, 4)(torch.randn(5, 2, 4)))
attempt("load_sd", lambda: nn.Linear(2, 2).load_state_dict({"weight": torch.zeros(3, 2)}))
attempt("load_sd_keys", lambda: nn.Linear(2, 2).load_state_dict({"w": torch.zeros(2, 2)}))
attempt("strict_false",
        lambda: nn.Linear(2, 2).load_state_dict({"w": torch.zeros(2)}, strict=False))
attempt("optim_empty", lambda: torch.optim.SGD([], lr=0.1))
attempt("optim_lr", lambda: torch.optim.Adam(nn.Linear(1, 1).parameters(), lr=-1))
attempt("multinomial", lambda: torch.multinomial(torch.tensor([0., 0.]), 1))
attempt("randint", lambda: torch.randint(5, 2, (2,)))
attempt("expand", lambda: torch.randn(2, 3).expand(3, 3))
attempt("stack", lambda: torch.stack([torch.ones(2), torch.ones(3)]))
attempt("softmax_nodim", lambda: F.softmax(torch.randn(2, 2), dim=2))
attempt("nll_dim", lambda: F.nll_loss(torch.randn(3), torch.tensor([1, 0, 2])))
attempt("getattr", lambda: nn.Linear(2, 2).weights)
attempt("squeeze_dim", lambda: torch.zeros(2, 1).squeeze(3))
attempt("to_bad", lambda: torch.zeros(2).to("cuda"))
