"""``AdaptiveLogSoftmaxWithLoss``: a softmax over many classes, cheap for frequent ones.

The ``head`` scores the shortlist (classes below ``cutoffs[0]``) plus one entry per tail
cluster; cluster ``i`` scores its classes through a two-layer bottleneck whose width
shrinks by ``div_value`` per cluster.  A class's log-probability is its head score, or its
cluster's head score plus its score within the cluster.
"""
from __future__ import annotations

import itertools
from collections import namedtuple

from .. import functional as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False,
                 device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        cutoffs = list(cutoffs)
        if not cutoffs:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted "
                             "in an increasing order, where each value is between 1 and "
                             "n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, **kw),
                                        Linear(hidden, size, bias=False, **kw)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for first, second in self.tail:
            first.reset_parameters()
            second.reset_parameters()

    def forward(self, input_, target_):
        tdim = target_.dim()
        if tdim == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch "
                                   "dimension.")
            if input_.dim() != 2:
                raise RuntimeError("1D target tensor expects 2D input tensors, but found "
                                   f"inputs with size {input_.size()}")
        elif tdim == 0:
            if input_.dim() != 1:
                raise RuntimeError("0D target tensor expects 1D input tensors, but found "
                                   f"inputs with size {input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = tdim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)
        rows_seen = 0
        n = target.size(0)
        output = input.new_zeros(n)
        head_pick = target.new_empty(n)  # which head entry each row's class goes through
        bounds = [0] + self.cutoffs
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            mask = (target >= lo) & (target < hi)
            rows = mask.nonzero().squeeze()
            if rows.numel() == 0:
                continue
            if i == 0:
                head_pick.index_copy_(0, rows, target[mask])
            else:
                within = target[mask] - lo
                scores = self.tail[i - 1](input.index_select(0, rows))
                head_pick.index_fill_(0, rows, self.shortlist_size + i - 1)
                picked = F.log_softmax(scores, dim=1).gather(1, within.unsqueeze(1))
                output.index_copy_(0, rows, picked.squeeze(1))
            rows_seen += rows.numel()
        if rows_seen != n:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{target.min().item()}, "
                               f"{target.max().item()}] were found. ")
        head_lp = F.log_softmax(self.head(input), dim=1)
        output += head_lp.gather(1, head_pick.unsqueeze(1)).squeeze()
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        out = input.new_empty((head_output.size(0), self.n_classes))
        head_lp = F.log_softmax(head_output, dim=1)
        out[:, :self.shortlist_size] = head_lp[:, :self.shortlist_size]
        for i, (lo, hi) in enumerate(itertools.pairwise(self.cutoffs)):
            cluster_lp = F.log_softmax(self.tail[i](input), dim=1)
            out[:, lo:hi] = cluster_lp + head_lp[:, self.shortlist_size + i].unsqueeze(1)
        return out

    def log_prob(self, input):
        """Log-probabilities of all ``n_classes`` classes, ``(N, n_classes)``."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most probable class of each row (``log_prob(input).argmax(1)``, computed only
        where the head's best guess is a cluster)."""
        import ember

        head_output = self.head(input)
        best = ember.argmax(head_output, dim=1)
        outside = best >= self.shortlist_size
        if not outside.any():
            return best
        if outside.all():
            return ember.argmax(self._get_full_log_prob(input, head_output), dim=1)
        lp = self._get_full_log_prob(input[outside], head_output[outside])
        best[outside] = ember.argmax(lp, dim=1)
        return best
