"""Calling a module with other tensors in place of its parameters and buffers:
``functional_call``, ``stack_module_state`` and ``replace_all_batch_norm_modules_``."""
from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence

from .._tensor import Tensor

__all__ = ["functional_call", "stack_module_state", "replace_all_batch_norm_modules_"]

_ABSENT = object()  # the module had no attribute of that name before the swap


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """Run ``module(*args, **kwargs)`` with the tensors of ``parameter_and_buffer_dicts``
    (one dict, or a tuple/list of dicts with distinct keys) standing for its parameters and
    buffers, named as in ``named_parameters()`` (``"0.weight"``).  The module's own tensors
    are put back afterwards, also when ``forward`` raises; gradients flow to the given
    tensors, and a buffer that ``forward`` reassigns is written back into a single given dict
    (PyTorch does the same).

    ``tie_weights``: names that share one tensor in the module (tied weights) all take the
    value given for any of them (two different values for tied names are an error).
    ``strict``: the keys must be exactly the module's parameter and buffer names.
    Keys naming no parameter or buffer are set as plain attributes for the call.

    >>> lin = ember.nn.Linear(2, 1)
    >>> functional_call(lin, {"weight": ember.ones(1, 2), "bias": ember.zeros(1)},
    ...                 ember.tensor([1., 2.]))
    tensor([3.])
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        given = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        counts = Counter(k for d in parameter_and_buffer_dicts for k in d)
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        given = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple "
                         f"of dicts, but got {type(parameter_and_buffer_dicts)}")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrized(module, given, tie_weights, strict):
        return module(*args, **kwargs)


def _named_tensors(module):
    """Every parameter and buffer name of ``module``, tied names included."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    return named


def _untied(module, given):
    """``given`` extended to every name tied (sharing one tensor) with a given name."""
    groups = {}
    for name, t in _named_tensors(module).items():
        groups.setdefault(id(t), set()).add(name)
    tied = {n: names for names in groups.values() if len(names) > 1 for n in names}
    given_tied = [n for n in given if n in tied]
    for name in given_tied:
        names = tied[name]
        values = {id(given[n]) for n in names if n in given}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
    out = dict(given)
    for name in given_tied:
        for other in tied[name]:
            out[other] = given[name]
    return out


def _owner(module, name, memo):
    """``(submodule, attribute)`` for a dotted ``name``, with PyTorch's AttributeError for a
    path through a missing submodule."""
    from ..nn.modules.module import Module

    prefix, _, attr = name.rpartition(".")
    if not prefix:
        return module, attr
    if prefix not in memo:
        parent, sub = _owner(module, prefix, memo)
        try:
            child = getattr(parent, sub)
        except AttributeError as e:
            raise AttributeError(f"{parent._get_name()} has no attribute `{sub}`") from e
        if not isinstance(child, Module):
            raise TypeError(f"submodule `{prefix}`: {child} is not an instance of "
                            "torch.nn.Module")
        memo[prefix] = child
    return memo[prefix], attr


def _swap(mod, attr, value):
    """Put ``value`` at ``mod.attr`` (``_ABSENT``: remove it); answer what was there."""
    if value is not _ABSENT and value is not None and not isinstance(value, Tensor):
        raise TypeError(f"{value} is not an instance of torch.Tensor")
    for store in (mod._parameters, mod._buffers):
        if attr in store:
            old = store[attr]
            if value is _ABSENT:
                del store[attr]
            else:
                store[attr] = value
            return old
    old = getattr(mod, attr, _ABSENT)
    if old is not _ABSENT and old is not None and not isinstance(old, Tensor):
        raise TypeError(f"attribute `{attr}`: {old} is not an instance of torch.Tensor")
    if value is not _ABSENT:
        setattr(mod, attr, value)
    elif old is not _ABSENT:
        delattr(mod, attr)
    return old


def _swap_all(module, named, memo):
    """Swap every entry of ``named`` in (all or none); answer the previous values."""
    previous = {}
    try:
        for name, value in named.items():
            mod, attr = _owner(module, name, memo)
            previous[name] = _swap(mod, attr, value)
    except Exception:
        for name, value in previous.items():
            _swap(*_owner(module, name, memo), value)
        raise
    return previous


@contextlib.contextmanager
def _reparametrized(module, given, tie_weights, strict):
    named = _untied(module, given) if tie_weights else given
    if strict:
        valid = set(_named_tensors(module))
        keys = set(named)
        errors = []
        unexpected = sorted(keys - valid)
        missing = sorted(valid - keys)
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                               + "\n\t".join(errors))
    memo = {}
    previous = _swap_all(module, named, memo)
    try:
        yield
    finally:
        current = _swap_all(module, previous, memo)
        # NOTE: as PyTorch, a tensor the forward reassigned (a buffer ``self.n = self.n + 1``)
        # is written back into the caller's dict.
        for k in given:
            if k in current and current[k] is not _ABSENT:
                given[k] = current[k]


def stack_module_state(models):
    """``(params, buffers)``: for each parameter and buffer name of ``models`` (modules of
    one class, all training or all evaluating), the tensors of every model stacked along a
    new first dimension, for use with ``vmap`` and ``functional_call`` (model ensembling).

    The stacked parameters are new leaves that require grad (detached from the models), as
    in PyTorch; buffers are stacked as they are.

    >>> params, buffers = stack_module_state([ember.nn.Linear(3, 2) for _ in range(4)])
    >>> params["weight"].shape
    torch.Size([4, 2, 3])
    """
    from .._ops.shape import stack

    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if not all(type(m) is type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(dicts):
        out = {}
        for name in dicts[0]:
            tensors = [d[name] for d in dicts]
            flags = {t.requires_grad for t in tensors}
            if len(flags) > 1:
                raise RuntimeError(f"Expected {name} from each model to have the same "
                                   ".requires_grad")
            result = stack(tensors)
            if flags == {True}:
                result = result.detach().requires_grad_()
            out[name] = result
        return out

    params = stacked([dict(m.named_parameters()) for m in models])
    buffers = stacked([dict(m.named_buffers()) for m in models])
    return params, buffers


def replace_all_batch_norm_modules_(root):
    """Make every batch-norm layer of ``root`` (``root`` included) stop tracking running
    statistics (``running_mean``/``running_var``/``num_batches_tracked`` become None), in
    place, so that it can run under ``vmap``; answer ``root``."""
    from ..nn.modules.batchnorm import _BatchNorm

    for mod in [root, *root.modules()]:
        if isinstance(mod, _BatchNorm) and mod.track_running_stats:
            mod.running_mean = None
            mod.running_var = None
            mod.num_batches_tracked = None
            mod.track_running_stats = False
    return root
