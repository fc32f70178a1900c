"""``nn.utils.prune`` (``torch.nn.utils.prune``): zero out parts of a module's tensors.

Pruning ``module.weight`` re-parametrizes it, as PyTorch does:

- the trained values move to a parameter ``weight_orig`` (the optimizer keeps updating it);
- a buffer ``weight_mask`` of ones and zeros says which entries survive (it is saved in the
  state dict);
- ``weight`` becomes a plain attribute, ``weight_mask * weight_orig``, recomputed before each
  forward call by the pruning method itself, registered as a forward pre-hook.

Pruning the same tensor again gathers the methods in a :class:`PruningContainer`: each new
mask only prunes among the entries (or channels) still alive.  :func:`remove` makes the
pruning permanent: ``weight`` is a parameter again, holding the pruned values.

>>> lin = ember.nn.Linear(4, 3)
>>> _ = l1_unstructured(lin, "weight", amount=0.5)  # the 6 smallest |w| become 0
>>> [n for n, _ in lin.named_parameters()]
['bias', 'weight_orig']
>>> _ = remove(lin, "weight")

Which entries go where values tie is decided as PyTorch's CPU ``topk`` decides it
(``ember._ops._stl_select``), and the random methods draw the same numbers as PyTorch for
the same seed (``rand_like`` for unstructured, ``rand`` over channels for structured).
"""
from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

import numpy as np

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask",
           "identity", "random_unstructured", "l1_unstructured", "random_structured",
           "ln_structured", "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


def _ember():
    import ember

    return ember


class BasePruningMethod(ABC):
    """What every pruning method shares: computing a mask (``compute_mask``, the one method a
    subclass must define), installing it on a module (``apply``), and undoing the
    re-parametrization (``remove``).

    A subclass also sets ``PRUNING_TYPE``: ``"unstructured"`` (single entries),
    ``"structured"`` (whole slices along ``self.dim``) or ``"global"`` (the whole tensor);
    it tells a :class:`PruningContainer` what part of the tensor is still free to prune.
    """

    _tensor_name: str

    def __call__(self, module, inputs):
        """The forward pre-hook: refresh ``module.<name>`` from the mask and the original."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask for tensor ``t`` (same shape; 1 keeps, 0 prunes), starting from
        ``default_mask``, the mask already in force."""

    def apply_mask(self, module):
        """``module.<name>_mask * module.<name>_orig``: the pruned tensor."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)`` and return the method in
        force (a :class:`PruningContainer` when the tensor was pruned before).

        ``importance_scores`` (same shape as the tensor) rank the entries in place of the
        tensor's own values.
        """
        method = _combine_with_earlier(cls, module, name, args, kwargs)
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(
                    f"importance_scores should have the same shape as parameter {name} of "
                    f"{module}, got {importance_scores.shape} vs {orig.shape}")
        else:
            importance_scores = orig
        first_time = not isinstance(method, PruningContainer)
        if first_time:  # the parameter becomes <name>_orig; <name> is computed from it
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = _ember().ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone(
                memory_format=_ember().contiguous_format)
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first_time:  # put the parameter back as it was
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times the mask this method computes for it (no module involved)."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError(
                    f"importance_scores should have the same shape as tensor t, got "
                    f"{importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        if default_mask is None:
            default_mask = _ember().ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module) -> None:
        """Make the pruning permanent: ``module.<name>`` is a parameter again, holding the
        pruned values; ``<name>_orig`` and ``<name>_mask`` are gone.  (The caller removes
        the hook; :func:`remove` does both.)"""
        if self._tensor_name is None:
            raise AssertionError(
                f"Module {module} has to be pruned before pruning can be removed")
        pruned = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        param = module._parameters[self._tensor_name + "_orig"]
        param.data = pruned.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, param)


def _combine_with_earlier(cls, module, name, args, kwargs):
    """The new method, joined with the one already pruning ``name`` (whose hook is taken off
    the module; the caller registers the result as a new hook)."""
    earlier = [(hid, hook) for hid, hook in module._forward_pre_hooks.items()
               if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    if len(earlier) > 1:
        raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} "
                             f"of module {module}. Use a PruningContainer.")
    for hid, _ in earlier:
        del module._forward_pre_hooks[hid]
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if not earlier:
        return method
    old = earlier[0][1]
    if isinstance(old, PruningContainer):
        old.add_pruning_method(method)
        return old
    container = PruningContainer(old)
    container.add_pruning_method(method)
    return container


class PruningContainer(BasePruningMethod):
    """The pruning history of one tensor: a sequence of methods, each applied to what the
    ones before it left.  Built by ``apply`` when a tensor is pruned a second time."""

    def __init__(self, *args) -> None:
        self._pruning_methods: tuple = ()
        if len(args) == 1:  # the first method names the tensor
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:  # NOTE: as in PyTorch, several methods need _tensor_name set beforehand
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method) -> None:
        """Append ``method``, which must prune the same tensor as the container."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found "
                             f"'{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """``default_mask`` with the latest method's mask written into the part that is
        still alive: the surviving entries (unstructured), the surviving slices along its
        ``dim`` (structured), or everything (global).  ``default_mask`` itself is updated
        when it already has ``t``'s dtype."""
        method = self._pruning_methods[-1]
        new_mask = default_mask.to(dtype=t.dtype)
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            alive = default_mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to '
                                     "have the attribute `dim` defined.")
            ndim = t.dim()
            dim = method.dim + ndim if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {ndim}")
            others = [d for d in range(ndim) if d != dim]
            alive = [slice(None)] * ndim
            alive[dim] = default_mask.sum(dim=others) != 0
            alive = tuple(alive)
        elif kind == "global":
            alive = (slice(None),) * len(t.shape)
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        part = method.compute_mask(t[alive], default_mask=default_mask[alive])
        new_mask[alive] = part.to(dtype=new_mask.dtype)
        return new_mask


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones (useful to give a tensor the pruned form)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        """Re-parametrize ``module.<name>`` with an all-ones mask."""
        return super().apply(module, name)


class _Unstructured(BasePruningMethod):
    """Prunes the ``amount`` entries that rank first by :meth:`_scores` (``amount``: a count,
    or a fraction of the entries in ``[0, 1]``)."""

    PRUNING_TYPE = "unstructured"
    _LARGEST = True  # whether the highest scores are pruned

    def __init__(self, amount) -> None:
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        size = t.nelement()
        count = _amount_to_count(self.amount, size)
        _check_count(count, size)
        mask = default_mask.clone(memory_format=_ember().contiguous_format)
        if count != 0:
            _zero_at(mask, _topk(self._scores(t).reshape(-1), count, largest=self._LARGEST))
        return mask


class RandomUnstructured(_Unstructured):
    """Prunes ``amount`` entries chosen at random (``amount``: a count, or a fraction of the
    entries in ``[0, 1]``)."""

    def __init__(self, amount) -> None:  # (its own, for the name in a TypeError)
        super().__init__(amount)

    def _scores(self, t):
        # the entries with the highest of one uniform draw each, as PyTorch draws them
        return _ember().rand_like(t)

    @classmethod
    def apply(cls, module, name, amount):
        """Prune ``amount`` random entries of ``module.<name>``."""
        return super().apply(module, name, amount=amount)


class L1Unstructured(_Unstructured):
    """Prunes the ``amount`` entries of smallest absolute value."""

    _LARGEST = False

    def __init__(self, amount) -> None:  # (its own, for the name in a TypeError)
        super().__init__(amount)

    def _scores(self, t):
        return t.abs()

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        """Prune the ``amount`` entries of ``module.<name>`` (or of ``importance_scores``)
        of smallest absolute value."""
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _slices_to_prune(t, amount, dim):
    """A structured method's checks, then ``(slices along dim, how many to prune)``."""
    _check_structured(t)
    _check_dim(t, dim)
    nslices = t.shape[dim]
    count = _amount_to_count(amount, nslices)
    _check_count(count, nslices)
    return nslices, count


class RandomStructured(BasePruningMethod):
    """Prunes ``amount`` whole slices along ``dim`` (channels), chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1) -> None:
        _check_amount(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        nslices, count = _slices_to_prune(t, self.amount, self.dim)
        if count == 0:
            return default_mask
        E = _ember()
        # one uniform draw per slice; the `count` lowest go (PyTorch compares with the
        # count-th smallest draw)
        draws = E.rand(nslices)
        threshold = E.kthvalue(draws, k=count).values
        mask = E.zeros_like(t)
        mask[_along(t, self.dim, (draws > threshold).to(t.device))] = 1
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        """Prune ``amount`` random slices of ``module.<name>`` along ``dim``."""
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the ``amount`` slices along ``dim`` of smallest ``n``-norm (``n`` as ``p`` in
    ``torch.norm``: a number, ``inf``, ``-inf``, ``'fro'``, ``'nuc'``)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1) -> None:
        _check_amount(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        nslices, count = _slices_to_prune(t, self.amount, self.dim)
        norms = _slice_norms(t, self.n, self.dim)
        keep = _topk(norms, nslices - count, largest=True)
        if count == 0:
            return default_mask
        E = _ember()
        mask = E.zeros_like(t)
        mask[_along(t, self.dim, E.from_numpy(keep).to(t.device))] = 1
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        """Prune the ``amount`` slices of ``module.<name>`` along ``dim`` whose ``n``-norm
        (of ``importance_scores`` if given) is smallest."""
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where a given ``mask`` is 0."""

    PRUNING_TYPE = "global"

    def __init__(self, mask) -> None:
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match "
                                 f"self.mask shape {self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        """Prune ``module.<name>`` where ``mask`` is 0."""
        return super().apply(module, name, mask=mask)


# -- the functional forms ------------------------------------------------------------------------

def identity(module, name):
    """Give ``module.<name>`` the pruned form with an all-ones mask; returns ``module``."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` (a count, or a fraction) random entries of ``module.<name>``;
    returns ``module``."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` entries of ``module.<name>`` of smallest absolute value (of
    ``importance_scores``, if given); returns ``module``."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` random slices of ``module.<name>`` along ``dim``; returns
    ``module``."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` slices of ``module.<name>`` along ``dim`` of smallest ``n``-norm;
    returns ``module``."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the tensors ``parameters`` (pairs ``(module, name)``) as one: the ranking of
    ``pruning_method(**kwargs)`` (an unstructured method, e.g. ``L1Unstructured`` with
    ``amount=0.2``) runs over all their entries together, so some tensors lose more than
    others.  ``importance_scores`` maps ``(module, name)`` to scores in place of values.
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    if importance_scores is None:
        importance_scores = {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    from .convert_parameters import parameters_to_vector

    E = _ember()
    scores = parameters_to_vector([importance_scores.get((m, n), getattr(m, n))
                                   for m, n in parameters])
    current = parameters_to_vector([getattr(m, n + "_mask", E.ones_like(getattr(m, n)))
                                    for m, n in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final = container.compute_mask(scores, current)
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        size = param.numel()
        custom_from_mask(module, name, mask=final[start:start + size].view_as(param))
        start += size


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where ``mask`` is 0; returns ``module``."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent and drop its hook, ``<name>_orig``
    and ``<name>_mask``; returns ``module``."""
    for hid, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[hid]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module) -> bool:
    """Whether ``module`` or any module inside it carries a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for _, sub in module.named_modules() for hook in sub._forward_pre_hooks.values())


# -- helpers ---------------------------------------------------------------------------------------

def _check_amount(amount) -> None:
    """An amount is a non-negative int (a count) or a float in [0, 1] (a fraction)."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if isinstance(amount, numbers.Integral):
        bad = amount < 0
    else:
        bad = not 0.0 <= float(amount) <= 1.0
    if bad:
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")


def _amount_to_count(amount, size):
    # NOTE: Python's round(), so a fraction landing on .5 rounds to even, as in PyTorch
    return amount if isinstance(amount, numbers.Integral) else round(amount * size)


def _check_count(count, size) -> None:
    if isinstance(count, numbers.Integral) and count > size:
        raise ValueError(f"amount={count} should be smaller than the number of parameters to "
                         f"prune={size}")


def _check_structured(t) -> None:
    if len(t.shape) <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {t.shape} with {len(t.shape)} dims")


def _check_dim(t, dim) -> None:
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")


def _slice_norms(t, n, dim):
    """The ``n``-norm of each slice of ``t`` along ``dim`` (over all the other dims)."""
    dims = list(range(t.dim()))
    dims.remove(dims[dim])
    return _ember().norm(t, p=n, dim=dims)


def _along(t, dim, index):
    """An index tuple selecting ``index`` along ``dim`` of ``t`` and everything elsewhere."""
    key = [slice(None)] * len(t.shape)
    key[dim] = index
    return tuple(key)


def _topk(scores, k, largest):
    """The positions ``torch.topk(scores, k, largest=largest)`` picks in a 1-D tensor,
    ties broken as PyTorch's CPU kernel breaks them."""
    from ..._ops._stl_select import topk_indices

    values = scores.detach().cpu().numpy(force=True)
    return topk_indices(values, k, largest=largest, order=False)  # (a mask needs no order)


def _zero_at(mask, positions: np.ndarray) -> None:
    """Set the entries of the contiguous ``mask`` at flat ``positions`` to 0."""
    E = _ember()
    mask.view(-1)[E.from_numpy(positions).to(mask.device)] = 0
