import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
logits = torch.randn(4, 5, requires_grad=True)
target = torch.tensor([1, 0, 4, 2])
multi = torch.randint(0, 2, (4, 5)).float()
reg_a, reg_b = torch.randn(6, dtype=torch.float64), torch.randn(6, dtype=torch.float64)
losses = {
    "ce": nn.CrossEntropyLoss()(logits, target),
    "ce_w": nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 1.0, 0.5, 3.0]))(logits, target),
    "ce_ignore": nn.CrossEntropyLoss(ignore_index=0)(logits, target),
    "ce_soft": F.cross_entropy(logits, F.softmax(torch.randn(4, 5), 1)),
    "ce_sum": F.cross_entropy(logits, target, reduction="sum"),
    "nll": F.nll_loss(F.log_softmax(logits, 1), target),
    "bce_logits": nn.BCEWithLogitsLoss(pos_weight=torch.full((5,), 2.0))(logits, multi),
    "bce": F.binary_cross_entropy(torch.sigmoid(logits), multi),
    "mlsm": nn.MultiLabelSoftMarginLoss()(logits, multi),
    "kl": F.kl_div(
        F.log_softmax(logits, 1), F.softmax(torch.randn(4, 5), 1), reduction="batchmean"
    ),
    "kl_log": nn.KLDivLoss(reduction="sum", log_target=True)(
        F.log_softmax(logits, 1), F.log_softmax(torch.randn(4, 5), 1)
    ),
    "margin": nn.MultiMarginLoss()(logits, target),
    "mlm": nn.MultiLabelMarginLoss()(logits, torch.tensor([[1, 2, -1, 0, 0]] * 4)),
}
for k, v in losses.items():
    print(f"{k:10s} {v.item():.6f} {v.grad_fn.name() if v.grad_fn else None}")
print(F.mse_loss(reg_a, reg_b), F.l1_loss(reg_a, reg_b), F.smooth_l1_loss(reg_a, reg_b, beta=0.5))
print(F.huber_loss(reg_a, reg_b, delta=0.7), F.mse_loss(reg_a, reg_b, reduction="none"))
print(
    nn.MarginRankingLoss(margin=0.1)(
        reg_a, reg_b, torch.tensor([1.0, -1, 1, -1, 1, 1], dtype=torch.float64)
    )
)
print(nn.HingeEmbeddingLoss()(reg_a, torch.tensor([1.0, -1, 1, -1, 1, 1], dtype=torch.float64)))
e1, e2 = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
print(nn.CosineEmbeddingLoss(margin=0.2)(e1, e2, torch.tensor([1, -1, 1])))
print(
    nn.TripletMarginLoss(margin=1.0)(e1, e2, e1.flip(0)),
    F.triplet_margin_with_distance_loss(e1, e2, e1 * 2),
)
print(
    nn.PoissonNLLLoss()(reg_a, reg_b.abs()),
    nn.GaussianNLLLoss()(reg_a, reg_b, torch.ones(6, dtype=torch.float64)),
)
print(nn.SoftMarginLoss()(reg_a, reg_b.sign()))
lp = torch.randn(10, 2, 6).log_softmax(2).double().detach().requires_grad_()
targets = torch.tensor([[1, 2, 3], [4, 4, 0]])
ctc = nn.CTCLoss(blank=0, zero_infinity=True)(
    lp, targets, torch.tensor([10, 8]), torch.tensor([3, 2])
)
print(ctc)
ctc.backward()
print(lp.grad.abs().sum())
tot = sum(losses.values())
tot.backward()
print(logits.grad)
print(F.cross_entropy(torch.randn(2, 3, 4, 4), torch.randint(0, 3, (2, 4, 4))).shape)
print(F.cross_entropy(torch.tensor([[0.0, 0.0]]), torch.tensor([-100])))
print(F.binary_cross_entropy_with_logits(torch.tensor([100.0, -100.0]), torch.tensor([0.0, 1.0])))
print(F.binary_cross_entropy(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0])))
