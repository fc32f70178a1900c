"""``vmap``: map a function over a dimension of its inputs.

ember has no batched tensors: ``vmap(f)(x)`` calls ``f`` once per index of the mapped
dimension, on that slice of each mapped input (a view), and stacks the results along
``out_dims``.  The numbers, shapes, nesting and errors are PyTorch's; the cost is a Python
loop (see :func:`vmap` for what else differs).
"""
from __future__ import annotations

import functools
import itertools
import sys
import threading
import weakref
from typing import NamedTuple

import numpy as np

from .._tensor import VMAP_MAPPED as _MAPPED
from .._tensor import Tensor
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either "
                 "use the 'same' or 'different' randomness flags on vmap or perform the "
                 "randomness operation out of vmap")


def _name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def check_randomness(randomness):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over dimension ``in_dims`` of its inputs, its outputs stacked along
    ``out_dims``: ``vmap(f)(x)[i] == f(x[i])``.

    ``in_dims``: an int (every input mapped over that dimension), or a tuple with one entry
    per positional argument, each an int, None (not mapped: passed whole to every call) or a
    nested tuple/list/dict matching that argument's structure.  Keyword arguments are never
    mapped.  ``out_dims``: an int, None (output not mapped) or a structure matching the
    outputs.  Nested vmaps and ``vmap(grad(f))`` (per-sample gradients) work.

    ``randomness``: ``'different'`` lets each call draw its own random numbers, ``'same'``
    gives every call the same ones (the default generator is rewound before each call), and
    ``'error'`` raises PyTorch's RuntimeError when ``func`` draws from the default CPU
    generator.

    Differences from PyTorch (a loop, not batched kernels):

    - ``func`` runs once per batch element, so vmap costs as much as the loop; ``chunk_size``
      changes only the random draws and PyTorch's errors where it concatenates the chunks.
    - Outputs are new tensors (the calls' outputs stacked, the batch dimension first in
      memory and moved to ``out_dims``), never views of the inputs (but for an input
      returned as it was given); their strides are PyTorch's where its batching rule puts
      the batch dimension first (most ops, with ``in_dims`` 0).
    - ``'error'`` notices draws from CPU generators (not a CUDA one, nor a random op that
      draws nothing).  With ``'different'`` the numbers are PyTorch's batched draws for
      contiguous samples (a normal one is drawn for the whole batch, or chunk, at once),
      but not under a 'same' vmap nested with it, nor for a sample shaped like a
      non-contiguous input (``randn_like(x)`` with ``in_dims=1``).
    - What is mapped ember follows from the slices it makes through the ops computing from
      them (see ``_propagate``): PyTorch's refusals of reading a mapped tensor's values
      (``.item()``, ``if x.sum() > 0``, ``nonzero``, a boolean mask...) and of an in-place
      op writing a mapped operand into an unmapped tensor (an input passed whole, a tensor
      ``func`` captured or created) are raised where ember sees it; a result of an op ember
      does not follow is taken as neither (refused less, never more).
    - An in-place op on an unmapped tensor with unmapped operands runs once per call, but
      the tensors ``func`` sees whole (its inputs with in_dim None, what it captured) are
      put back before each call after the first (:class:`_Unmapped`), so the change is made
      once, as PyTorch's one call makes it (once per chunk with ``chunk_size``; not so for
      other tensors it reaches, nor for a captured tensor the calls return views of, nor
      for Python side effects: a list appended to grows once per call).  What ``func``
      prints to ``sys.stdout`` is printed by the first call (of each chunk) only, as
      PyTorch's one call prints it, but shows that call's slices where PyTorch shows
      ``BatchedTensor(lvl=1, bdim=0, value=...)``.
    - With ``out_dims=None``, an output is taken as unmapped when every call returned the same
      object or equal values; PyTorch tells from the batching itself.
    - For a batch of size 0, ``func`` runs once on zero-filled slices to learn the output
      shapes.
    - A custom ``autograd.Function``'s ``vmap`` staticmethod is called on the whole batch
      where the Function is applied to the slices vmap made; on a tensor computed from them,
      once per call on a batch of one (:func:`custom_function_vmap`).

    >>> vmap(ember.dot)(ember.ones(2, 3), ember.ones(2, 3))
    tensor([3., 3.])
    """
    check_randomness(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(out_dims, func)
        batch_size, flat_in_dims, flat_args, args_spec = _batched_inputs(in_dims, args, func)
        if chunk_size is not None and type(chunk_size) is not int:
            _split_in_chunks(chunk_size, batch_size, flat_args, flat_in_dims)
        if batch_size == 0:
            if chunk_size is not None:  # (PyTorch skips the one empty chunk, then fails)
                raise AssertionError("arg_spec must not be None")
            return _empty_batch(func, flat_in_dims, flat_args, args_spec, kwargs, out_dims)
        slices = []
        results = _run(func, randomness, batch_size, flat_in_dims, flat_args, args_spec,
                       kwargs, chunk_size, slices)
        out = _stack_outputs(results, out_dims, func, (slices, flat_args, flat_in_dims))
        if chunk_size is not None:
            _check_chunked_out_dims(out_dims, out)
        return out

    return wrapped


# -- inputs --------------------------------------------------------------------------------

def _split_in_chunks(chunk_size, batch_size, flat_args, flat_in_dims):
    """PyTorch's split of the batch by ``chunk_size``, for its errors where that is not an int
    (a float: Python's for ``list * float``; a bool: ``tensor_split``'s).  ember runs the
    batch element by element whatever the chunks."""
    sizes = [chunk_size] * (batch_size // chunk_size)
    if batch_size % chunk_size:
        sizes.append(batch_size % chunk_size)
    if isinstance(chunk_size, bool) and sizes:
        ends = tuple(itertools.accumulate(sizes))
        for a, d in zip(flat_args, flat_in_dims):
            if d is not None:
                a.tensor_split(ends, dim=d)


def _batched_inputs(in_dims, args, func):
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): expected "
                         "`in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to "
                         "add inputs, or you are trying to vmap over a function with no "
                         "inputs. The latter is unsupported.")
    flat_args, args_spec = tree_flatten(args)
    flat_in_dims = broadcast_prefix(in_dims, args_spec)
    where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if flat_in_dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. "
                         f"in_dims has structure {tree_flatten(in_dims)[1]} but inputs has "
                         f"structure {args_spec}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_in_dims)):
        if d is None:
            continue
        if not isinstance(d, int):
            raise ValueError(f"{where}: Got in_dim={d} for an input but in_dim must be either "
                             "an integer dimension or None.")
        if not isinstance(arg, Tensor):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type "
                             f"{type(arg)}. We cannot vmap over non-Tensor arguments, please "
                             "use None as the respective in_dim")
        n = arg.dim()
        if not -n <= d < n:
            raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a "
                             f"Tensor of dimensionality {n} so expected in_dim to satisfy "
                             f"-{n} <= in_dim < {n}.")
        if isinstance(d, bool):  # (an int to the checks above; ``size(True)`` refuses it)
            raise TypeError("size(): argument 'dim' (position 1) must be int, not bool")
        flat_in_dims[i] = d % n
    sizes = [a.shape[d] for a, d in zip(flat_args, flat_in_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0], flat_in_dims, flat_args, args_spec


# -- the loop ------------------------------------------------------------------------------

def _generator():
    from .. import _random

    return _random.default_generator


def _random_error_flag():
    """The flag that makes every generator's draw raise the randomness error."""
    from .. import _random

    return _random.VMAP_RANDOMNESS_ERROR


def _different_levels():
    """The vmaps running, each its dict where randomness is 'different' (else None)."""
    from .. import _random

    return _random.VMAP_DIFFERENT


def _same_watches():
    """The generators' states a vmap with randomness='same' puts back before each call."""
    from .. import _random

    return _random.VMAP_SAME_WATCH


def _fingerprint(g):
    """What changes whenever the generator draws (its key array is replaced on each
    twist, so it is compared by identity)."""
    return (g._key, g._left, g._next, g._seed, g._next_double, g._next_float)


def _same_state(a, b):
    return a[0] is b[0] and a[1:] == b[1:]


def _undraw(g, fingerprint):
    """Put back the state ``fingerprint`` recorded: PyTorch raises the randomness error
    before the random op draws, so the generator is left as it was."""
    key, g._left, g._next, g._seed, g._next_double, g._next_float = fingerprint
    g._key = key.copy()


# per vmap level running: the ids of the slices its calls are given (what ember knows to be
# batched there)
_LEVELS: list = []
# per vmap level running: (the ids of the inputs it passes whole, with in_dim None: what ember
# knows not to be batched there, the batch size)
_UNMAPPED: list = []

_INPLACE_ERROR = (
    "vmap: {0}(self, *extra_args) is not possible because there exists a Tensor `other` in "
    "extra_args that has more elements than `self`. This happened due to `other` being "
    "vmapped over but `self` not being vmapped over in a vmap. Please try to use out-of-place "
    "operators instead of {0}. If said operator is being called inside the PyTorch framework, "
    "please file a bug report instead.")
# how PyTorch's batching rules name the in-place ops in that refusal (None: the rule broadcasts
# and refuses the result's shape instead)
_INPLACE_NAMES = {"add": None, "atan2": None, "sub": "inplace arithmetic",
                  "mul": "inplace arithmetic", "div": "inplace arithmetic",
                  "true_divide": "inplace arithmetic", "copy": "inplace arithmetic",
                  "floor_divide": "aten::floor_divide_", "remainder": "aten::remainder_",
                  "fmod": "aten::fmod_", "pow": "aten::pow_", "xlogy": "aten::xlogy_",
                  "index_put": "index_put_", "masked_fill": "inplace arithmetic",
                  "index_add": "index_add_", "scatter_add": "scatter_add_",
                  "scatter": "aten::scatter_", "addcmul": "aten::addcmul_",
                  "addcdiv": "aten::addcdiv_", "lerp": "aten::lerp_", "clamp": "aten::clamp_"}
# (those with a batching rule of their own, whose refusal says "in a vmap")
_OWN_RULE = ("inplace arithmetic", "index_put_", "index_add_", "scatter_add_")


def check_inplace_batched(self, other, name):
    """PyTorch's refusal of ``self.<name>_(other)`` under vmap where ``other`` is mapped and
    ``self`` is not (ember sees it where ``other`` is a slice vmap made or computed from one,
    and ``self`` an input it passes whole or a tensor its function captured, or a view of
    one)."""
    if not isinstance(other, Tensor) or id(other._data) not in _MAPPED[-1] or \
            name not in _INPLACE_NAMES:
        return
    from ._scope import refuse_captured_mutation

    refuse_captured_mutation(self)  # (a grad transform inside refuses it first)
    if id(self._data) in _MAPPED[-1]:
        return
    ids, batch_size = _UNMAPPED[-1]
    mine = {id(self)} if self._base is None else {id(self), id(self._base)}
    known = _KNOWN[-1]
    if not (mine & ids or id(self._data) in known or
            self._base is not None and id(self._base._data) in known):
        return
    what = _INPLACE_NAMES[name]
    if what is not None:
        # (the ops without a batching rule of their own name the level: PyTorch's fallback)
        where = "in a vmap" if what in _OWN_RULE else f"at level {len(_LEVELS)}"
        raise RuntimeError(_INPLACE_ERROR.format(what).replace("in a vmap", where))
    from .._ops.shape import broadcast_shapes

    try:
        shape = [batch_size, *broadcast_shapes(self.shape, other.shape)]
    except RuntimeError:
        return  # (the op's own refusal)
    # the enclosing vmaps that map ``self`` lead both shapes (``self`` unmapped here: a 1)
    outer = [size for level, (_, size) in zip(_MAPPED[:-1], _UNMAPPED[:-1])
             if id(self._data) in level]
    own = [*outer, 1, *self.shape] if outer else list(self.shape)
    raise RuntimeError(f"output with shape {own} doesn't match the broadcast shape "
                       f"{outer + shape}")

_BATCH_NORM_ERROR = (
    "Batch norm got a batched tensor as input while the running_mean or running_var, which "
    "will be updated in place, were not batched.\nIf you are using a module and do not need "
    "eval mode, please set `track_running_stats` to be False.If you are using a prebuilt "
    "module and do not need eval mode, please see the functorch website for resources on how "
    "to patch your module to work with vmap")


def check_batch_norm_stats(running_mean, running_var):
    """PyTorch's error for a training batch norm under vmap whose running statistics, updated
    in place, are not themselves mapped (ember takes the input to be mapped)."""
    if _LEVELS and running_mean is not None and \
            not (id(running_mean) in _LEVELS[-1] and id(running_var) in _LEVELS[-1]):
        raise RuntimeError(_BATCH_NORM_ERROR)


# -- what is mapped ------------------------------------------------------------------------
#
# PyTorch knows a tensor is mapped (batched) from its type; ember follows its arrays: the
# slices a level makes are mapped there, and so is each op's result with a mapped input (the
# ops' hook, ``_core._profile_hook``, marks the result's array).  What ember does not see (a
# result an op makes without that hook) is taken as unmapped: refused less, never more.

_HOOK = [None, 0]  # the hook that ran before the outermost vmap (a profiler's), the depth


def _mark(level, arr):
    k = id(arr)
    if k not in level:
        try:
            level[k] = weakref.ref(arr, lambda _, k=k, level=level: level.pop(k, None))
        except TypeError:  # (an array without weak references: kept alive instead)
            level[k] = arr


# per vmap level running: ``{id(array): weakref}`` of the arrays ember knows it does not map:
# what its function captured, its inputs passed whole, and factories' results.  (Not what ops
# compute from those: an op's recorded inputs leave out its index tensors, which may be
# mapped, as in ``table[ids]``.)
_KNOWN: list = []


def _propagate(name, inputs, arr):
    """``_core._profile_hook`` while a vmap runs: ``arr`` (or each array of a tuple) is
    mapped at each level where one of ``inputs`` is."""
    prev = _HOOK[0]
    if prev is not None:
        prev(name, inputs, arr)
    _propagate_made(inputs, arr)
    if name in _FOLLOWS_KNOWN and inputs:
        for known in _KNOWN:
            if all(t is None or getattr(t, "_data", None) is None or id(t._data) in known
                   for t in inputs):
                _mark(known, arr)


# the ops whose recorded inputs are all the tensors they read (no index, mask or condition
# left out), so that their result computed from tensors known unmapped is known unmapped too
# (``w.clone().add_(x)`` refused as PyTorch refuses it)
_FOLLOWS_KNOWN = frozenset((
    "CloneBackward0", "ToCopyBackward0", "AliasBackward0", "ViewBackward0",
    "UnsafeViewBackward0", "ExpandBackward0", "TBackward0", "PermuteBackward0",
    "TransposeBackward0", "UnsqueezeBackward0", "SqueezeBackward0", "SqueezeBackward1",
    "SqueezeBackward2", "NegBackward0", "AddBackward0",
    "AddBackward1", "SubBackward0", "SubBackward1", "RsubBackward0", "RsubBackward1",
    "MulBackward0", "MulBackward1", "DivBackward0", "DivBackward1", "PowBackward0",
    "PowBackward1", "PowBackward2", "ExpBackward0", "LogBackward0", "SqrtBackward0",
    "AbsBackward0", "SinBackward0", "CosBackward0", "TanhBackward0", "SigmoidBackward0",
    "ReluBackward0", "MmBackward0", "MvBackward0", "DotBackward0"))


def _propagate_made(inputs, arr):
    """``_core._mapped_hook``: the same for an op's result made without ``make``; a
    factory's (no inputs) is known unmapped."""
    if not inputs:
        for known in _KNOWN:
            _mark(known, arr)
        return
    for level in _MAPPED:
        for t in inputs:
            d = getattr(t, "_data", None)
            if d is not None and id(d) in level:
                if isinstance(arr, (tuple, list)):
                    for a in arr:
                        _mark(level, a)
                else:
                    _mark(level, arr)
                break


def is_mapped(t) -> bool:
    return isinstance(t, Tensor) and any(id(t._data) in level for level in _MAPPED)


_DYNAMIC = ("vmap: We do not support batching operators that can output dynamic shape. "
            "Attempted to vmap over aten::{}. Please file an issue at "
            "https://github.com/pytorch/pytorch/issues if you need this feature.")
_BOOL_MASK = ("vmap: We do not support batching operators that can support dynamic shape. "
              "Attempting to batch over indexing with a boolean mask.")
_NO_RULE = "Batching rule not implemented for aten::{}. We could not generate a fallback."


def refuse_dynamic(op, *tensors):
    """PyTorch's refusal of an op whose output's shape depends on the values of a mapped
    input (``nonzero``, ``unique``, a boolean mask...)."""
    if not any(is_mapped(t) for t in tensors):
        return
    if op == "bool_mask":
        raise RuntimeError(_BOOL_MASK)
    if op == "masked_select":
        raise RuntimeError("vmap: Attempted to vmap over `mask` in torch.masked_select(self, "
                           "mask) We cannot support this because for each batch this would "
                           "return a differently shaped Tensor. Please file an issue at "
                           "https://github.com/pytorch/pytorch/issues if you need this "
                           "feature.")
    if op == "allclose":
        raise RuntimeError("vmap over torch.allclose isn't supported yet. Please file an issue "
                           "at https://github.com/pytorch/pytorch/issues if you need this "
                           "feature.")
    if op in ("equal", "nonzero_numpy"):
        raise RuntimeError(_NO_RULE.format(op))
    raise RuntimeError(_DYNAMIC.format(op))


def _captured(func, found=None, seen=None, depth=0):
    """The tensors ``func`` captured (its closure's, its globals', a module's parameters and
    buffers, a partial's arguments), and those of the functions it wraps, by id."""
    from ..nn.modules.module import Module

    found = {} if found is None else found
    seen = set() if seen is None else seen
    if depth > 6 or id(func) in seen:
        return found
    seen.add(id(func))

    def value(v, d):
        if isinstance(v, Tensor):
            found[id(v)] = v
        elif isinstance(v, Module):
            found.update((id(t), t) for t in v.parameters())
            found.update((id(t), t) for t in v.buffers())
            _captured(type(v).forward, found, seen, d + 1)
        elif isinstance(v, (list, tuple)) and len(v) < 64:
            for x in v:
                if isinstance(x, (Tensor, Module)):
                    value(x, d)
        elif isinstance(v, dict) and len(v) < 64:
            for x in v.values():
                if isinstance(x, (Tensor, Module)):
                    value(x, d)
        elif callable(v) and not isinstance(v, type):
            _captured(v, found, seen, d + 1)

    if isinstance(func, functools.partial):
        value(func.func, depth)
        for v in (*func.args, *func.keywords.values()):
            value(v, depth)
        return found
    if isinstance(func, Module):
        value(func, depth)
        return found
    owner = getattr(func, "__self__", None)
    if owner is not None and not isinstance(owner, type):
        value(owner, depth)
        func = getattr(func, "__func__", func)
    wrapped = getattr(func, "__wrapped__", None)
    if wrapped is not None:
        _captured(wrapped, found, seen, depth + 1)
    code = getattr(func, "__code__", None)
    if code is None:
        return found
    for cell in getattr(func, "__closure__", None) or ():
        try:
            value(cell.cell_contents, depth)
        except ValueError:  # (an empty cell)
            pass
    names = getattr(func, "__globals__", None)
    if names is not None and not code.co_filename.startswith(_EMBER_DIR):
        for n in code.co_names:
            v = names.get(n)
            if isinstance(v, (Tensor, Module)):
                value(v, depth)
            elif callable(v) and getattr(v, "__code__", None) is not None and \
                    not v.__code__.co_filename.startswith(_EMBER_DIR):
                _captured(v, found, seen, depth + 1)
    return found


_EMBER_DIR = __file__[:-len("func/_vmap.py")]


# -- custom autograd.Function with a vmap staticmethod ------------------------------------

class VmapInfo(NamedTuple):
    """What a custom Function's ``vmap`` staticmethod is told of the vmap calling it."""

    batch_size: int
    randomness: str


# per vmap level running: {"i": the call running, "k": custom Functions applied in it,
# "sources": {id(slice): (input, in_dim)}, "cache": {k: (cls, key, result)}, "size",
# "randomness"}
_CUSTOM: list = []

_VMAP_RETURNS = ("Expected the vmap staticmethod to have two returns, an output and out_dims "
                 "with pytree structure compatible with the output. ")


def custom_function_vmap(cls, args):
    """``cls.apply(*args)`` under vmap where ``cls`` has a ``vmap`` staticmethod: the rule is
    called on the whole batch, as PyTorch calls it, and this call gets its slice of the
    result.  NotImplemented where no argument is mapped (PyTorch skips the level: ``forward``
    runs).

    ember runs the rule once per vmap call where each mapped argument is one of the slices
    vmap made (``vmap(f)(x)`` with ``f`` applying the Function to ``x``); where one is
    computed from them, ember has no batch of it, and calls the rule for each call of ``f``
    on a batch of one (``info.batch_size`` 1)."""
    level, state = _MAPPED[-1], _CUSTOM[-1]
    mapped = [isinstance(a, Tensor) and id(a._data) in level for a in args]
    if not any(mapped):
        return NotImplemented
    k, i, sources = state["k"], state["i"], state["sources"]
    state["k"] += 1
    if all(id(a) in sources for a, m in zip(args, mapped) if m):
        key = tuple(("m", id(sources[id(a)][0]), sources[id(a)][1]) if m else
                    ("t", id(a)) if isinstance(a, Tensor) else ("v", id(a))
                    for a, m in zip(args, mapped))
        rule = getattr(cls.vmap, "__code__", cls.vmap)  # (a class made anew for each call)
        cached = state["cache"].get(k)
        if cached is None or cached[0] is not rule or cached[1] != key:
            batch = [sources[id(a)][0] if m else a for a, m in zip(args, mapped)]
            in_dims = tuple(sources[id(a)][1] if m else None for a, m in zip(args, mapped))
            cached = state["cache"][k] = (rule, key, _call_rule(cls, state["size"], state,
                                                                in_dims, batch))
        return _slice_result(cached[2], i, level)
    batch = [a.unsqueeze(0) if m else a for a, m in zip(args, mapped)]
    in_dims = tuple(0 if m else None for m in mapped)
    return _slice_result(_call_rule(cls, 1, state, in_dims, batch), 0, level)


def _call_rule(cls, size, state, in_dims, batch):
    """``cls.vmap`` run one level down (the vmaps outside this one still running)."""
    saved = (_LEVELS.pop(), _UNMAPPED.pop(), _MAPPED.pop(), _CUSTOM.pop(), _KNOWN.pop())
    try:
        result = cls.vmap(VmapInfo(size, state["randomness"]), in_dims, *batch)
    finally:
        _LEVELS.append(saved[0])
        _UNMAPPED.append(saved[1])
        _MAPPED.append(saved[2])
        _CUSTOM.append(saved[3])
        _KNOWN.append(saved[4])
    if not isinstance(result, tuple):
        raise RuntimeError(_VMAP_RETURNS + f"Got a {type(result)} instead")
    if len(result) != 2:
        raise RuntimeError(_VMAP_RETURNS + f"Got {len(result)} returns instead")
    output, out_dims = result
    flat, spec = tree_flatten(output)
    dims = [out_dims] if isinstance(output, Tensor) and isinstance(out_dims, int) else \
        broadcast_prefix(out_dims, spec)
    if dims is None or len(dims) != len(flat):
        raise ValueError(f"The autograd.Function's vmap staticmethod returned an incompatible "
                         f"(output, out_dims) tuple. Expected out_dims={out_dims} to be "
                         f"compatible with the structure of `output`. out_dims has structure "
                         f"{tree_flatten(out_dims)[1]} but output has structure {spec}.")
    return flat, spec, dims


def _slice_result(result, i, level):
    flat, spec, dims = result
    done = []
    for o, d in zip(flat, dims):
        if d is not None and isinstance(o, Tensor):
            o = o.select(d, i)
            _mark(level, o._data)
        done.append(o)
    return tree_unflatten(done, spec)


class _Unmapped:
    """The tensors a vmap's function sees whole (its inputs with in_dim None, what it
    captured) as they were before its first call.  PyTorch runs the function once, so an
    in-place change of them (with unmapped operands: a mapped one is refused) happens once;
    ember runs it once per batch element, and puts them back before each call after the
    first, so each call sees what PyTorch's one call saw, and the last leaves them as it did.

    (The values are copied up front: an in-place op tells of its change only after it.)"""

    __slots__ = ("saved",)

    def __init__(self, tensors):
        self.saved = []
        seen = set()
        for t in tensors:
            d = t._data
            if id(t) in seen or type(d) is not np.ndarray or t._device.type == "meta":
                continue  # (a sparse or device tensor: not followed)
            seen.add(id(t))
            self.saved.append((t, d, d.copy(), t._vc, t._vc.v, t._grad_fn, t._output_nr,
                               t._requires_grad, t._view_version))

    def restore(self, out, known):
        """Put back what changed, before the next call; ``out``: the last call's output,
        ``known``: what this vmap knows it does not map."""
        from .._ops._core import writable_alias

        views = None
        for k, entry in enumerate(self.saved):
            if entry is None:
                continue
            t, d, copy, vc, v, fn, nr, rg, view_v = entry
            if vc.v == v and t._data is d and t._grad_fn is fn and t._vc is vc:
                continue  # (unchanged: the common case)
            if views is None:
                views = [o._data for o in tree_flatten(out)[0]
                         if isinstance(o, Tensor) and id(o._data) not in known and
                         type(o._data) is np.ndarray]
            if any(np.may_share_memory(a, d) for a in views):
                # (the call returned a view of it that may be mapped, ``W[i].mul_(x)`` with
                # ``i`` mapped: PyTorch's is a batched copy; ember's a view of ``W`` each call
                # writes: left as it is, to the last call)
                self.saved[k] = None
                continue
            w = d if d.flags.writeable else writable_alias(d)
            if w is not None:
                np.copyto(w, copy)
            t._data, t._vc = d, vc
            t._grad_fn, t._output_nr, t._requires_grad = fn, nr, rg
            if t._base is not None:
                t._view_version = view_v
            try:
                vc.v = v  # (the changes counted once, as PyTorch's one call counts them)
            except RuntimeError:  # (an inference tensor's counter)
                pass


class _DropOutput:
    """``sys.stdout`` while a vmap's function runs for the batch elements after the first:
    PyTorch runs it once (once per chunk), so what it prints is printed once (this thread's
    writes are dropped while ``drop``; another thread's pass)."""

    def __init__(self, target):
        self._target = target
        self._thread = threading.get_ident()
        self.drop = True

    def write(self, s):
        if self.drop and threading.get_ident() == self._thread:
            return len(s)
        return self._target.write(s)

    def writelines(self, lines):
        for s in lines:
            self.write(s)

    def __getattr__(self, name):
        return getattr(self._target, name)


def check_random_inplace(t):
    """PyTorch's refusal of an in-place random op (``normal_``...) on a tensor vmap does not
    map where its randomness is 'different' (each element's draw would be the same)."""
    for level, custom in zip(reversed(_MAPPED), reversed(_CUSTOM)):
        if id(t._data) in level:
            return
        if custom["randomness"] == "different":
            raise RuntimeError("vmap: Cannot ask for different inplace randomness on an "
                               "unbatched tensor. This will appear like same randomness. If "
                               "this is necessary for your usage, please file an issue with "
                               "functorch.")
        if custom["randomness"] != "same":
            return  # ('error': raised as the draw is seen)


def _run(func, randomness, batch_size, flat_in_dims, flat_args, args_spec, kwargs,
         chunk_size=None, slices=None):
    from .._ops import _core

    gen = _generator()
    start = gen.get_state() if randomness == "same" else None
    results = []
    _LEVELS.append(set())
    unmapped = {id(a) for a, d in zip(flat_args, flat_in_dims)
                if d is None and isinstance(a, Tensor)}
    captured = _captured(func)
    _UNMAPPED.append((unmapped | captured.keys(), batch_size))
    level, known = {}, {}
    _MAPPED.append(level)
    _KNOWN.append(known)
    for a in (*flat_args, *captured.values()):  # (inputs passed whole, captured tensors)
        if isinstance(a, Tensor) and (id(a) in unmapped or id(a) in captured):
            _mark(known, a._data)
    custom = {"i": 0, "k": 0, "sources": {}, "cache": {}, "size": batch_size,
              "randomness": randomness}
    _CUSTOM.append(custom)
    if not _HOOK[1]:
        _HOOK[0] = _core._profile_hook
        _core._profile_hook = _propagate
        _core._mapped_hook = _propagate_made
    _HOOK[1] += 1
    flag = _random_error_flag() if randomness == "error" else None
    if flag is not None:
        flag[0] += 1
    watches = _same_watches() if randomness == "same" else None
    if watches is not None:
        watches.append({})
    different = _different_levels()
    mine = {"size": batch_size, "i": 0, "j": 0, "cache": {}} \
        if randomness == "different" else None
    different.append(mine)
    whole = _Unmapped([a for a in (*flat_args, *captured.values())
                       if isinstance(a, Tensor) and (id(a) in unmapped or id(a) in captured)])
    stdout = None
    try:
        for i in range(batch_size):
            if i:
                # (PyTorch runs ``func`` once per chunk: its changes and prints made anew)
                anew = type(chunk_size) is int and not i % chunk_size
                if anew:
                    whole = _Unmapped([e[0] for e in whole.saved if e is not None])
                else:
                    whole.restore(results[-1], known)
                if stdout is None and sys.stdout is not None:
                    stdout = (sys.stdout, _DropOutput(sys.stdout))
                    sys.stdout = stdout[1]
                if stdout is not None:
                    stdout[1].drop = not anew
            if mine is not None:
                mine["i"] = i
                if type(chunk_size) is int:  # (PyTorch draws for each chunk in turn)
                    mine["i"] = i % chunk_size
                    if not mine["i"]:
                        mine["size"] = min(chunk_size, batch_size - i)
                        mine["cache"] = {}
                if different[0] is not None:
                    different[0]["j"] = 0  # (draws are counted per call of ``func``)
            sliced = [a if d is None else a.select(d, i)
                      for a, d in zip(flat_args, flat_in_dims)]
            _LEVELS[-1] = {id(a) for a, d in zip(sliced, flat_in_dims) if d is not None}
            custom["i"], custom["k"], custom["sources"] = i, 0, {}
            if slices is not None:
                slices.append(sliced)
            for a, src, d in zip(sliced, flat_args, flat_in_dims):
                if d is not None:
                    _mark(level, a._data)
                    custom["sources"][id(a)] = (src, d)
            if start is not None and i:
                gen.set_state(start)
                for g, state in watches[-1].values():  # (explicit generators too)
                    g.set_state(state)
            before = _fingerprint(gen) if randomness == "error" else None
            out = func(*tree_unflatten(sliced, args_spec), **kwargs)
            if before is not None and not _same_state(before, _fingerprint(gen)):
                _undraw(gen, before)
                raise RuntimeError(_RANDOM_ERROR)
            results.append(out)
    finally:
        if stdout is not None and sys.stdout is stdout[1]:
            sys.stdout = stdout[0]
        _LEVELS.pop()
        _UNMAPPED.pop()
        _MAPPED.pop()
        _KNOWN.pop()
        _CUSTOM.pop()
        _HOOK[1] -= 1
        if not _HOOK[1]:
            if _core._profile_hook is _propagate:  # (not where a profiler since took it)
                _core._profile_hook = _HOOK[0]
            _HOOK[0] = None
            _core._mapped_hook = None
        if flag is not None:
            flag[0] -= 1
        if watches is not None:
            watches.pop()
        different.pop()
    return results


def _empty_batch(func, flat_in_dims, flat_args, args_spec, kwargs, out_dims):
    """Outputs with a mapped dimension of size 0, shaped from one call on zero slices."""
    from .._ops.creation import zeros

    sliced = []
    for a, d in zip(flat_args, flat_in_dims):
        if d is None:
            sliced.append(a)
        else:
            shape = tuple(s for k, s in enumerate(a.shape) if k != d)
            sliced.append(zeros(shape, dtype=a.dtype, device=a.device))
    out = func(*tree_unflatten(sliced, args_spec), **kwargs)
    flat, spec = tree_flatten(out)
    dims = _flat_out_dims(out_dims, out, spec, func)
    done = []
    for o, d in zip(flat, dims):
        if d is None:
            done.append(o)
            continue
        _check_tensor_output(o, func)
        o = o.detach().unsqueeze(d)
        done.append(o.narrow(d % o.dim(), 0, 0))
    return tree_unflatten(done, spec)


# -- outputs -------------------------------------------------------------------------------

def _check_out_dims(out_dims, func):
    if isinstance(out_dims, int) or out_dims is None:
        return
    for d in tree_flatten(out_dims)[0]:
        if d is not None and not isinstance(d, int):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must "
                             "be an int, None or a python collection of ints representing "
                             "where in the outputs the vmapped dimension should appear.")


def _flat_out_dims(out_dims, out, spec, func):
    def incompatible():
        return ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims "
                          "is not compatible with the structure of `outputs`. out_dims has "
                          f"structure {tree_flatten(out_dims)[1]} but outputs has structure "
                          f"{spec}.")

    if isinstance(out, Tensor):
        # NOTE: as PyTorch, a single tensor output also takes out_dims=(d,)
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        raise incompatible()
    dims = broadcast_prefix(out_dims, spec)
    if dims is None:
        raise incompatible()
    return dims


def _check_chunked_out_dims(out_dims, out):
    """PyTorch's errors where it concatenates the chunks' outputs (with ``chunk_size``): it
    broadcasts ``out_dims`` strictly (a single tensor output refuses ``(d,)``), and
    concatenates every output, even one with out_dim None."""
    flat, spec = tree_flatten(out)
    dims = broadcast_prefix(out_dims, spec)
    if dims is None:
        raise AssertionError("flat_out_dims must not be None")
    for o, d in zip(flat, dims):
        if d is None:
            if not isinstance(o, Tensor):
                raise TypeError("expected Tensor as element 0 in argument 0, but got "
                                f"{type(o).__name__}")
            raise TypeError("cat(): argument 'dim' must be int, not NoneType")


def _check_tensor_output(o, func):
    if not isinstance(o, Tensor):
        raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, "
                         f"got type {type(o)}. Did you mean to set out_dims= to None for "
                         "output?")


def _unmapped(values, func):
    """The one value of an output with out_dim None; an error if the calls disagree."""
    first = values[0]
    for v in values[1:]:
        if v is first:
            continue
        if isinstance(first, Tensor) and isinstance(v, Tensor):
            if v.shape == first.shape and bool((v == first).all()):
                continue
        elif not isinstance(first, Tensor) and not isinstance(v, Tensor):
            continue  # (PyTorch returns the one value its single call made)
        raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` can not return a "
                         "BatchedTensor when out_dim is None")
    return first


def _passed_through(values, d, inputs):
    """The input whose slices the calls returned as they were given them, mapped over the
    dimension ``d`` the output takes: PyTorch returns it itself; else None."""
    if inputs is None:
        return None
    slices, flat_args, flat_in_dims = inputs
    first = values[0]
    if not -first.dim() - 1 <= d <= first.dim():
        return None
    for j, s in enumerate(slices[0] if slices else ()):
        if s is first and flat_in_dims[j] is not None and \
                flat_in_dims[j] == d % flat_args[j].dim() and \
                all(v is sl[j] for v, sl in zip(values, slices)):
            return flat_args[j]
    return None


def _stack_outputs(results, out_dims, func, inputs=None):
    from .._ops.shape import stack

    flats = [tree_flatten(r) for r in results]
    spec = flats[0][1]
    for _, s in flats[1:]:
        if s != spec:
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` returned outputs of "
                             f"different structures for different batch elements ({spec} and "
                             f"{s})")
    dims = _flat_out_dims(out_dims, results[0], spec, func)
    done = []
    for k, d in enumerate(dims):
        values = [flat[k] for flat, _ in flats]
        if d is None:
            done.append(_unmapped(values, func))
            continue
        for v in values:
            _check_tensor_output(v, func)
        same = _passed_through(values, d, inputs)
        done.append(same if same is not None else _batched(stack, values, d))
    return tree_unflatten(done, spec)


# NOTE: PyTorch's batched full reductions are its reductions over dims: their nodes
_BATCHED_NODE = {"SumBackward0": "SumBackward1", "MeanBackward0": "MeanBackward1"}


def _batched(stack, values, d):
    """The calls' outputs as PyTorch's batched output: the batch dimension first in memory
    (where most of its batching rules put it), moved to ``d`` (a permuted view, as PyTorch's
    ``movedim``); at ``d`` 0, shown with the node of the op that made the outputs."""
    n = values[0].dim() + 1
    if not -n <= d < n:
        return stack(values, d)  # (its IndexError)
    out = stack(values, 0)
    if d % n:
        return out.movedim(0, d % n)
    fn = values[0].grad_fn
    if fn is not None and out.grad_fn is not None:
        from .._ops._core import shown_as

        name = type(fn).__name__
        out = shown_as(out, _BATCHED_NODE.get(name, name))
    return out
