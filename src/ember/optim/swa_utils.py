"""Weight averaging, as ``torch.optim.swa_utils``: stochastic weight averaging (SWA) and
exponential moving averages (EMA) of a model's parameters.

- :class:`AveragedModel` keeps a copy of a model whose parameters are the running
  average (equal weights by default, or an EMA) of the model's over the updates.
- :class:`SWALR` anneals each group's learning rate to a constant ``swa_lr``.
- :func:`update_bn` recomputes batch-norm statistics for the averaged weights.

>>> swa_model = AveragedModel(model)
>>> sched = SWALR(opt, swa_lr=0.05)
>>> for epoch in range(epochs):
...     train(model, opt); swa_model.update_parameters(model); sched.step()
>>> update_bn(loader, swa_model)
"""
from __future__ import annotations

import itertools
import math
from copy import deepcopy

from .. import _dtype as D
from .._warnings import warn_up
from .._ops import creation
from ..autograd.grad_mode import no_grad
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from . import _functional as F
from .lr_scheduler import LRScheduler, _per_group

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def _lerp_into(avg, cur, weight):
    """``avg.lerp_(cur, weight)`` with PyTorch's CPU kernel arithmetic, on the arrays."""
    F.lerp_(avg._data, cur._data.astype(avg._data.dtype, copy=False), weight)
    avg._vc.v += 1


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place update of a list of averages: ``avg = decay*avg + (1-decay)*current``
    (a ``lerp`` for floating tensors)."""
    _check_decay(decay)

    def ema_update(ema_params, current_params, _num_averaged):
        with no_grad():
            if ema_params[0].is_floating_point():
                for avg, cur in zip(ema_params, current_params):
                    _lerp_into(avg, cur, 1 - decay)
            else:
                for avg, cur in zip(ema_params, current_params):
                    avg.copy_(avg * decay + cur * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place update of a list of equal-weight averages over ``n + 1`` models."""

    def swa_update(averaged_params, current_params, num_averaged):
        with no_grad():
            if averaged_params[0].is_floating_point():
                # NOTE: PyTorch's weight is ``1 / (n + 1)``, a float32 tensor for a tensor n.
                n = num_averaged.item() if hasattr(num_averaged, "item") else num_averaged
                w = 1 / (n + 1)
                if hasattr(num_averaged, "item"):
                    w = float(D.float32.np.type(w))
                for avg, cur in zip(averaged_params, current_params):
                    _lerp_into(avg, cur, w)
            else:
                for avg, cur in zip(averaged_params, current_params):
                    diff = cur - avg
                    if hasattr(num_averaged, "item"):
                        avg.addcdiv_(diff, num_averaged + 1)
                    else:
                        avg.add_(diff, alpha=1.0 / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """``avg_fn(averaged, current, n)`` for an exponential moving average."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """``avg_fn(averaged, current, n)`` for the equal-weight average of ``n + 1`` models."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A deep copy of ``model`` whose parameters become the average of ``model``'s at each
    :meth:`update_parameters` (the first call copies them).

    ``avg_fn(averaged, current, n)`` returns one new average; ``multi_avg_fn(averaged_list,
    current_list, n)`` updates a list in place; with neither, the equal-weight (SWA)
    average.  ``use_buffers=True`` averages the buffers too; otherwise they are copied.
    The buffer ``n_averaged`` counts the updates.

    >>> ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", creation.tensor(0, dtype=D.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model) -> None:
        """Fold ``model``'s current parameters (and buffers with ``use_buffers``) into the
        average."""
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        first = bool(self.n_averaged == 0)
        pairs = []
        with no_grad():
            for p_avg, p_model in zip(mine, theirs):
                cur = p_model.detach().to(p_avg.device)
                pairs.append((p_avg.detach(), cur))
                if first:
                    p_avg.detach().copy_(cur)
            if self.n_averaged > 0:
                if self.multi_avg_fn is not None or self.avg_fn is None:
                    # one call per (device, dtype) group, as PyTorch groups them
                    groups: dict = {}
                    for avg, cur in pairs:
                        groups.setdefault((str(avg.device), avg.dtype), []).append((avg, cur))
                    for (dev, _), members in groups.items():
                        avgs = [a for a, _ in members]
                        curs = [c for _, c in members]
                        n = self.n_averaged.to(dev)
                        if self.multi_avg_fn is not None:
                            self.multi_avg_fn(avgs, curs, n)
                        elif dev.startswith("cuda"):
                            get_swa_multi_avg_fn()(avgs, curs, n)
                        else:  # PyTorch's CPU path: the single-tensor average
                            swa = get_swa_avg_fn()
                            for avg, cur in members:
                                avg.copy_(swa(avg, cur, n))
                else:
                    for avg, cur in pairs:
                        n = self.n_averaged.to(avg.device)
                        avg.copy_(self.avg_fn(avg, cur, n))
            if not self.use_buffers:
                for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                    b_avg.detach().copy_(b_model.detach().to(b_avg.device))
            self.n_averaged += 1


def update_bn(loader, model, device=None) -> None:
    """Recompute the running statistics of every batch norm in ``model`` with one pass over
    ``loader`` (a batch may be a tensor or a list/tuple whose first item is the input)."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None  # a cumulative average over the pass
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's learning rate from its value to ``swa_lr`` over
    ``anneal_epochs`` steps (``'cos'`` or ``'linear'``), then hold it there.

    >>> sched = SWALR(opt, swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear")
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        for lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The rate that annealing by ``alpha`` towards ``swa_lr`` turned into ``lr``."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, strategy):
        self._anneal_strategy = strategy
        self.anneal_func = self._cosine_anneal if strategy == "cos" else self._linear_anneal

    def get_lr(self):
        if not self._get_lr_called_within_step:
            # (PyTorch's SWALR warns in ``get_lr`` itself, stacklevel=2: at its caller's line)
            warn_up("To get the last learning rate computed by the scheduler, please use "
                    "`get_last_lr()`.", UserWarning, depth=1)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        # undo the previous annealing to recover the starting rate, then anneal again
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        starts = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha)
                  for g in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / span)))
        return [g["swa_lr"] * alpha + lr * (1 - alpha)
                for g, lr in zip(self.optimizer.param_groups, starts)]

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
