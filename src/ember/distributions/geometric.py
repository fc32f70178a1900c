"""The geometric distribution: failures before the first success."""
from __future__ import annotations

import ember
from ember.nn.functional import binary_cross_entropy_with_logits

from . import constraints
from .distribution import Distribution
from .utils import _BinaryProbs, _set_probs_or_logits, broadcast_all

__all__ = ["Geometric"]


class Geometric(_BinaryProbs, Distribution):
    """Geometric(probs=None, logits=None): the number of failures before the first success
    in trials of success probability ``probs``; support ``{0, 1, 2, ...}``.

    ``sample`` is ``floor(log(u) / log1p(-probs))`` with ``u ~ uniform_(tiny, 1)``, PyTorch's
    draws."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        param = _set_probs_or_logits(self, probs, logits)
        super().__init__(param.size(), validate_args=validate_args)
        if self._validate_args and probs is not None:
            # NOTE: PyTorch adds this check (probs = 0 passes unit_interval) with its own
            # message, listing only the offending values.
            ok = self.probs > 0
            if not bool(ok.all()):
                bad = self.probs.detach()[~ok]
                raise ValueError(f"Expected parameter probs ({type(self.probs).__name__} of "
                                 f"shape {tuple(self.probs.shape)}) of distribution {self!r} "
                                 f"to be positive but found invalid values:\n{bad}")

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Geometric, _instance)
        held = [name for name in ("probs", "logits") if name in self.__dict__]
        return self._finish_expand(new, batch_shape, held)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return ember.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = self.probs
        tiny = ember.finfo(p.dtype).tiny
        with ember.no_grad():
            u = ember.empty(shape, dtype=p.dtype, device=p.device).uniform_(tiny, 1)
            return (u.log() / (-p).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # a certain success at 0 failures has log-probability 0, not 0 * -inf
        probs = ember.where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs,
                                                reduction="none") / self.probs
