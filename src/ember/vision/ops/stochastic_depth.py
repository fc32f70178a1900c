"""Stochastic depth (Huang et al., 2016): drop a residual branch at random while training."""
from __future__ import annotations

import ember

from ... import fx, nn

__all__ = ["StochasticDepth", "stochastic_depth"]


def stochastic_depth(input, p: float, mode: str, training: bool = True):
    """Zero ``input`` with probability ``p`` and scale what survives by ``1 / (1 - p)``.

    ``mode="row"`` draws one coin per sample (the first dimension), ``"batch"`` one for the
    whole batch.  Outside training, or with ``p == 0``, returns ``input`` itself.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = ember.empty(size, dtype=input.dtype, device=input.device).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


fx.wrap("stochastic_depth")  # (as torchvision's: FX records it as a call)


class StochasticDepth(nn.Module):
    """:func:`stochastic_depth` as a layer; active in training mode only."""

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p}, mode={self.mode})"
