import torch
import torch.nn as nn

torch.manual_seed(0)


def attempt(label, fn):
    try:
        r = fn()
        print(label, "->", r)
    except Exception as e:
        print(label, "!!", type(e).__name__ + ":", e)


attempt("fmt0d", lambda: f"{torch.tensor(1.23456):.2f}")
attempt("fmt1d", lambda: f"{torch.tensor([1.23456]):.2f}")
attempt("fmtint", lambda: f"{torch.tensor(7):03d}")
attempt("fmtplain", lambda: f"{torch.tensor([1.5])}")
attempt("ragged", lambda: torch.tensor([[1, 2], [3]]))
attempt("str", lambda: torch.tensor("abc"))
attempt("overflow", lambda: torch.tensor([2**63]))
attempt("stack_empty", lambda: torch.stack([]))
attempt("cat_empty", lambda: torch.cat([]))
attempt("intdiv0", lambda: torch.tensor([1, 2]) // 0)
attempt("intmod0", lambda: torch.tensor([1, 2]) % 0)
attempt("floatdiv0", lambda: torch.tensor([1, -2, 0]) / 0)
attempt("negpow", lambda: torch.tensor([2, 3]) ** -1)
attempt("boolsub", lambda: torch.tensor([True]) - torch.tensor([False]))
attempt("boolneg", lambda: -torch.tensor([True]))
attempt("bf16numpy", lambda: torch.ones(2, dtype=torch.bfloat16).numpy())
attempt("bool_multi", lambda: bool(torch.tensor([1, 2])))
attempt("if_tensor", lambda: "yes" if torch.tensor([0.0]) else "no")
attempt("len0d", lambda: len(torch.tensor(3)))
attempt("iter0d", lambda: list(torch.tensor(3)))
attempt("hash", lambda: isinstance(hash(torch.tensor(1)), int))
attempt("in", lambda: (2 in torch.tensor([1, 2, 3]), 5 in torch.tensor([1, 2])))
attempt("index_float", lambda: torch.arange(5)[torch.tensor([1.0])])
attempt("index_list_float", lambda: torch.arange(5)[1.0])
attempt("mask_shape", lambda: torch.arange(6).view(2, 3)[torch.tensor([True, False, True])])
attempt("pyidx", lambda: [10, 20, 30][torch.tensor(1)])
attempt("range", lambda: list(range(torch.tensor(3))))
attempt("int_float_tensor", lambda: int(torch.tensor([2.7])))
attempt("float_multi", lambda: float(torch.tensor([1.0, 2.0])))
attempt("round", lambda: (round(torch.tensor(2.567), 2), round(torch.tensor(2.5))))
attempt(
    "abs_builtin",
    lambda: (abs(torch.tensor(-2)), max(torch.tensor([3, 1, 2])), sum(torch.tensor([1.5, 2.5]))),
)
attempt("sorted", lambda: sorted(torch.tensor([3, 1, 2])))
attempt("divmod", lambda: divmod(torch.tensor(7), 2))
attempt("np_method", lambda: torch.tensor([1, 2]).astype)
attempt("view_dtype", lambda: torch.ones(3).view(torch.int16).shape)
attempt("view_neg2", lambda: torch.ones(6).view(-1, -1))
attempt("to_wrong", lambda: torch.ones(2).to("gpu"))
attempt("requires_grad_int", lambda: torch.ones(2, dtype=torch.long).requires_grad_())
attempt("grad_assign", lambda: setattr(torch.ones(2, requires_grad=True), "grad", torch.ones(3)))
attempt("linear_dtype", lambda: nn.Linear(2, 2)(torch.ones(1, 2, dtype=torch.float64)))
attempt("linear_int", lambda: nn.Linear(2, 2)(torch.ones(1, 2, dtype=torch.long)))
attempt("conv_int", lambda: nn.Conv2d(1, 1, 1)(torch.ones(1, 1, 2, 2, dtype=torch.uint8)))
attempt(
    "ce_3d",
    lambda: nn.CrossEntropyLoss()(torch.randn(2, 3, 4), torch.zeros(2, 3, dtype=torch.long)),
)
attempt("bce_shape", lambda: nn.BCELoss()(torch.rand(3, 1), torch.rand(3)))
attempt("bcel_shape", lambda: nn.BCEWithLogitsLoss()(torch.rand(3, 1), torch.rand(3)))
attempt("bce_long", lambda: nn.BCEWithLogitsLoss()(torch.rand(3), torch.tensor([1, 0, 1])))
attempt("mse_long", lambda: nn.MSELoss()(torch.rand(3), torch.tensor([1, 0, 1])))
attempt(
    "lstm_2d_hidden",
    lambda: nn.LSTM(2, 3)(torch.ones(4, 1, 2), (torch.zeros(1, 3), torch.zeros(1, 3))),
)
attempt("gru_h_shape", lambda: nn.GRU(2, 3)(torch.ones(4, 2, 2), torch.zeros(1, 1, 3)))
attempt("embedding_neg", lambda: nn.Embedding(3, 2)(torch.tensor([-1])))
attempt("sequential_kw", lambda: nn.Sequential(nn.Linear(2, 2))(x=torch.ones(2)))
attempt("module_noforward", lambda: nn.Module()(1))
attempt("add_module_bad", lambda: nn.Module().add_module("a.b", nn.ReLU()))
attempt("param_name", lambda: nn.Module().register_parameter("w", torch.ones(1)))
attempt(
    "buffer_exists", lambda: (lambda m: m.register_buffer("weight", torch.ones(1)))(nn.Linear(1, 1))
)
attempt(
    "state_unexpected",
    lambda: nn.Linear(1, 1).load_state_dict(
        {"weight": torch.ones(1, 1), "bias": torch.ones(1), "extra": torch.ones(1)}
    ),
)
attempt("optim_noparam", lambda: torch.optim.SGD(torch.ones(2, requires_grad=True), lr=0.1))
attempt("optim_nolr", lambda: torch.optim.SGD(nn.Linear(1, 1).parameters()))
attempt(
    "sched_order",
    lambda: torch.optim.lr_scheduler.StepLR(torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)),
)
attempt("clip_empty", lambda: torch.nn.utils.clip_grad_norm_([], 1.0))
attempt("clip_nograd", lambda: torch.nn.utils.clip_grad_norm_(nn.Linear(2, 2).parameters(), 1.0))
attempt("dataloader_bs0", lambda: torch.utils.data.DataLoader([1, 2], batch_size=0))
attempt(
    "dataloader_shuffle_sampler",
    lambda: torch.utils.data.DataLoader([1, 2], shuffle=True, sampler=[0, 1]),
)
attempt("random_split_bad", lambda: torch.utils.data.random_split(range(10), [3, 3]))
attempt(
    "collate_mixed",
    lambda: next(iter(torch.utils.data.DataLoader([torch.ones(2), torch.ones(3)], batch_size=2))),
)
