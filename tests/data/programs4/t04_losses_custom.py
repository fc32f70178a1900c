import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
logits = torch.randn(6, 4, requires_grad=True)
target = torch.tensor([0, 3, 1, -100, 2, 3])


class FocalLoss(nn.Module):
    def __init__(self, alpha=None, gamma=2.0, ignore_index=-100):
        super().__init__()
        self.alpha, self.gamma, self.ignore_index = alpha, gamma, ignore_index

    def forward(self, x, y):
        ce = F.cross_entropy(
            x, y, weight=self.alpha, reduction="none", ignore_index=self.ignore_index
        )
        pt = torch.exp(-ce)
        return ((1 - pt) ** self.gamma * ce).mean()


w = torch.tensor([1.0, 2.0, 0.5, 1.0])
print(FocalLoss()(logits, target), FocalLoss(alpha=w)(logits, target))
print(F.cross_entropy(logits, target), F.cross_entropy(logits, target, label_smoothing=0.1))
print(F.cross_entropy(logits, target, weight=w, label_smoothing=0.2))
print(F.cross_entropy(logits, target, reduction="none"))
print(F.cross_entropy(logits, target.clamp(min=0), reduction="sum", ignore_index=3))
soft = torch.softmax(torch.randn(6, 4), 1)
print(F.cross_entropy(logits, soft), F.cross_entropy(logits, soft, label_smoothing=0.1))
print(
    nn.CrossEntropyLoss(weight=w, ignore_index=1, label_smoothing=0.05)(logits, target.clamp(min=0))
)
print(nn.NLLLoss(reduction="none")(F.log_softmax(logits, 1), target.clamp(min=0)))
seg = torch.randn(2, 3, 4, 4)
print(
    F.cross_entropy(seg, torch.randint(0, 3, (2, 4, 4))),
    F.nll_loss(seg.log_softmax(1), torch.zeros(2, 4, 4, dtype=torch.long)),
)
print(nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0]))(torch.randn(5, 1), torch.ones(5, 1)))
print(
    nn.BCELoss(weight=torch.tensor([1.0, 2.0]))(torch.tensor([0.2, 0.9]), torch.tensor([0.0, 1.0]))
)
print(
    nn.MarginRankingLoss(margin=0.5)(torch.randn(4), torch.randn(4), torch.tensor([1, -1, 1, -1]))
)
print(nn.TripletMarginLoss(margin=1.0)(torch.randn(3, 5), torch.randn(3, 5), torch.randn(3, 5)))
print(nn.CosineEmbeddingLoss()(torch.randn(3, 5), torch.randn(3, 5), torch.tensor([1, -1, 1])))
print(nn.HingeEmbeddingLoss()(torch.randn(4), torch.tensor([1, -1, 1, -1])))
print(nn.MultiLabelSoftMarginLoss()(torch.randn(2, 3), torch.tensor([[1.0, 0, 1], [0, 1, 0]])))
print(nn.MultiMarginLoss()(torch.randn(3, 4), torch.tensor([0, 1, 3])))
print(
    nn.MultiLabelMarginLoss()(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([[3, 0, -1, 1]]))
)
print(nn.SoftMarginLoss()(torch.randn(4), torch.tensor([1.0, -1, 1, -1])))
print(nn.PoissonNLLLoss()(torch.randn(4), torch.tensor([1.0, 2, 0, 3])))
print(nn.GaussianNLLLoss()(torch.randn(4), torch.randn(4), torch.ones(4)))
print(
    nn.KLDivLoss(reduction="batchmean", log_target=True)(
        F.log_softmax(torch.randn(2, 3), 1), F.log_softmax(torch.randn(2, 3), 1)
    )
)
print(
    nn.SmoothL1Loss(beta=0.5)(torch.randn(4), torch.zeros(4)),
    nn.HuberLoss(delta=0.5)(torch.randn(4), torch.zeros(4)),
)
lp = torch.randn(12, 2, 5).log_softmax(2).detach().requires_grad_()
tgt = torch.tensor([[1, 2, 2], [3, 4, 0]])
ctc = nn.CTCLoss(blank=0, zero_infinity=True)
l = ctc(lp, tgt, torch.tensor([12, 10]), torch.tensor([3, 2]))
l.backward()
print(l, lp.grad.shape, f"{lp.grad.abs().sum():.5f}")
print(
    F.ctc_loss(
        lp,
        torch.tensor([1, 2, 2, 3, 4]),
        torch.tensor([12, 10]),
        torch.tensor([3, 2]),
        reduction="none",
    )
)
loss = F.cross_entropy(logits, target, label_smoothing=0.1)
loss.backward()
print(logits.grad[3], logits.grad[0])


def dice_loss(pred, tgt, eps=1.0):
    pred = pred.sigmoid().flatten(1)
    tgt = tgt.flatten(1)
    inter = (pred * tgt).sum(1)
    return 1 - ((2 * inter + eps) / (pred.sum(1) + tgt.sum(1) + eps)).mean()


print(dice_loss(torch.randn(2, 1, 4, 4), torch.randint(0, 2, (2, 1, 4, 4)).float()))
