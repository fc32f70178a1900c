"""Tensor factories: from data, filled, ranges, and random (PyTorch's CPU streams)."""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import _dtype as D
from .._device import CPU, canonical, xp_for
from .._tensor import Tensor
from ._core import shape_arg, wrap


def _device(device):
    return CPU if device is None else canonical(device)


def _finish(arr, device, requires_grad, dtype_known=True):
    dev = _device(device)
    if dev.type != "cpu":
        arr = xp_for(dev).asarray(arr)
    t = wrap(arr, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data):
    """PyTorch's dtype for nested Python data: bool < int64 < default float."""
    kind = -1

    def visit(x):
        nonlocal kind
        if isinstance(x, Tensor):
            kind = max(kind, x.dtype._kind + (10 if x.dtype.is_floating_point else 0))
            return x.dtype
        if isinstance(x, (bool, np.bool_)):
            kind = max(kind, 0)
        elif isinstance(x, (numbers.Integral,)):
            kind = max(kind, 1)
        elif isinstance(x, numbers.Real):
            kind = max(kind, 2)
        elif isinstance(x, complex):
            raise TypeError("ember does not support complex tensors")
        elif isinstance(x, (list, tuple)):
            for y in x:
                visit(y)
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    visit(data)
    return {-1: D.get_default_dtype(), 0: D.bool, 1: D.int64, 2: D.get_default_dtype()}.get(
        kind, None)


def _to_array(data, dtype):
    """A fresh NumPy array of ``dtype`` (or inferred) from Python/NumPy/tensor data."""
    if isinstance(data, Tensor):
        a = data.detach().numpy(force=True) if data._device.type != "cpu" else data._data
        return np.array(a, dtype=(dtype or data.dtype).np)
    if isinstance(data, np.ndarray):
        src = D.from_numpy_dtype(data.dtype) if dtype is None else dtype
        return np.array(data, dtype=src.np)
    if isinstance(data, (np.generic,)) and dtype is None:
        return np.array(data, dtype=D.from_numpy_dtype(data.dtype).np)
    if hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        return _to_array(np.asarray(data), dtype)
    inferred = _infer_dtype(data)
    if inferred is None:  # a list holding tensors of mixed dtypes
        inferred = D.result_type(*[x for x in _flat(data) if isinstance(x, Tensor)])
    target = dtype or inferred
    flat = _nested_numbers(data)
    try:
        arr = np.array(flat, dtype=np.float64 if target.is_floating_point else None)
    except ValueError:
        raise ValueError(f"expected sequence of length {_first_len(data)} at dim 1 "
                         f"(got {_bad_len(data)})") from None
    if arr.dtype == object:
        raise ValueError("expected a rectangular nested sequence of numbers")
    if target is D.bool or not target.is_floating_point:
        if arr.dtype.kind == "f" and not target.is_floating_point and target is not D.bool:
            arr = np.trunc(arr)
        return arr.astype(target.np)
    return arr.astype(target.np)


def _flat(x):
    if isinstance(x, (list, tuple)):
        for y in x:
            yield from _flat(y)
    else:
        yield x


def _nested_numbers(x):
    if isinstance(x, Tensor):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [_nested_numbers(y) for y in x]
    return x


def _first_len(data):
    return len(data[0]) if data and isinstance(data[0], (list, tuple)) else 0


def _bad_len(data):
    n = _first_len(data)
    for d in data:
        if not isinstance(d, (list, tuple)) or len(d) != n:
            return len(d) if isinstance(d, (list, tuple)) else 0
    return n


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, NumPy arrays, scalars, tensors)."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
        if device is None:
            device = data.device
    dtype = None if dtype is None else D.to_dtype(dtype)
    arr = _to_array(data, dtype)
    return _finish(arr, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    dtype = None if dtype is None else D.to_dtype(dtype)
    if isinstance(data, Tensor):
        t = data
        if dtype is not None and dtype is not t.dtype:
            t = t.to(dtype)
        if device is not None:
            t = t.to(device)
        return t
    if isinstance(data, np.ndarray) and (device is None or _device(device).type == "cpu"):
        if dtype is None or data.dtype == dtype.np:
            return from_numpy(data)
        return wrap(data.astype(dtype.np))
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(a):
    """A tensor sharing memory with NumPy array ``a``."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    D.from_numpy_dtype(a.dtype)
    if any(s < 0 for s in a.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    if not a.flags.writeable:
        warnings.warn("The given NumPy array is not writable, and PyTorch does not support "
                      "non-writable tensors. This means writing to this tensor will result in "
                      "undefined behavior. You may want to copy the array to protect its data "
                      "or make it writable before converting it to a tensor. This type of "
                      "warning will be suppressed for the rest of this program.", UserWarning,
                      stacklevel=2)
    return wrap(a)


def _dtype_or_default(dtype):
    return D.get_default_dtype() if dtype is None else D.to_dtype(dtype)


def _filled(fill, size, dtype, device, requires_grad):
    shape = shape_arg(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(shape)}")
    dt = _dtype_or_default(dtype)
    xp = xp_for(_device(device))
    arr = xp.empty(shape, dtype=dt.np) if fill is None else xp.full(shape, fill, dtype=dt.np)
    return _finish(arr, device, requires_grad)


def zeros(*size, out=None, dtype=None, device=None, requires_grad=False, layout=None,
          pin_memory=False):
    return _filled(0, size, dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, device=None, requires_grad=False, layout=None,
         pin_memory=False):
    return _filled(1, size, dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, device=None, requires_grad=False, layout=None,
          pin_memory=False, memory_format=None):
    # NOTE: ember zero-fills "uninitialised" memory; reading it is undefined in PyTorch anyway.
    return _filled(0, size, dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, device=None, requires_grad=False,
         layout=None, pin_memory=False):
    if dtype is None:
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        dtype = D.scalar_dtype(fill_value)
    return _filled(fill_value, size, dtype, device, requires_grad)


def _like(t, dtype, device):
    return (t.dtype if dtype is None else D.to_dtype(dtype),
            t.device if device is None else device)


def zeros_like(t, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None):
    dt, dev = _like(t, dtype, device)
    return _filled(0, t.shape, dt, dev, requires_grad)


def ones_like(t, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    dt, dev = _like(t, dtype, device)
    return _filled(1, t.shape, dt, dev, requires_grad)


def empty_like(t, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None):
    dt, dev = _like(t, dtype, device)
    return _filled(0, t.shape, dt, dev, requires_grad)


def full_like(t, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    dt, dev = _like(t, dtype, device)
    return _filled(fill_value, t.shape, dt, dev, requires_grad)


def _is_int(v):
    return isinstance(v, (numbers.Integral,)) and not isinstance(v, bool)


def _num(v):
    return v.item() if isinstance(v, Tensor) else v


def arange(start, end=None, step=1, *, out=None, dtype=None, device=None, requires_grad=False,
           layout=None):
    """Values from ``start`` to ``end`` (exclusive) by ``step``, as ``torch.arange``."""
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = D.int64 if all(_is_int(v) for v in (start, end, step)) else D.get_default_dtype()
    dt = D.to_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    if dt.is_floating_point:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    else:
        arr = (int(start) + np.arange(n, dtype=np.int64) * int(step) if all(
            _is_int(v) for v in (start, step)) else np.trunc(
            start + np.arange(n, dtype=np.float64) * step)).astype(dt.np)
    return _finish(arr, device, requires_grad)


def range_(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """The deprecated ``torch.range`` (end inclusive)."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    dt = _dtype_or_default(dtype)
    arr = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    return _finish(arr, device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, device=None, requires_grad=False,
             layout=None):
    start, end = _num(start), _num(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dtype_or_default(dtype)
    if steps == 1:
        arr = np.array([start], dtype=np.float64)
    else:
        # NOTE: PyTorch fills the first half forwards from start and the second half
        # backwards from end, so both ends are exact.
        step = (end - start) / (steps - 1) if steps > 1 else 0.0
        i = np.arange(steps, dtype=np.float64)
        half = steps // 2
        arr = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    if not dt.is_floating_point:
        arr = np.trunc(arr)
    return _finish(arr.astype(dt.np), device, requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, device=None,
             requires_grad=False, layout=None):
    dt = _dtype_or_default(dtype)
    exps = linspace(start, end, steps, dtype=D.float64)._data
    return _finish(np.power(base, exps).astype(dt.np), device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, device=None, requires_grad=False, layout=None):
    dt = _dtype_or_default(dtype)
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n if n < 0 else m}")
    return _finish(np.eye(n, n if m is None else m, dtype=dt.np), device, requires_grad)


# -- random -------------------------------------------------------------------

def _gen(generator):
    from ..random import default_generator

    return (generator or default_generator)._core


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def rand(*size, generator=None, out=None, dtype=None, device=None, requires_grad=False,
         layout=None, pin_memory=False):
    shape = shape_arg(size)
    dt = _dtype_or_default(dtype)
    _need_float(dt, "check_uniform_bounds")
    arr = _gen(generator).uniform(_numel(shape), dt.np).reshape(shape)
    return _finish(arr, device, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, device=None, requires_grad=False,
          layout=None, pin_memory=False):
    shape = shape_arg(size)
    dt = _dtype_or_default(dtype)
    _need_float(dt, "normal_kernel_cpu")
    arr = _gen(generator).normal(_numel(shape), dt.np).reshape(shape)
    return _finish(arr, device, requires_grad)


def _need_float(dt, what):
    if not dt.is_floating_point:
        from ._core import _legacy

        raise RuntimeError(f'"{what}" not implemented for \'{_legacy(dt)}\'')


def randint(*args, size=None, generator=None, out=None, dtype=None, device=None,
            requires_grad=False, layout=None, pin_memory=False):
    """``randint(high, size)`` or ``randint(low, high, size)``."""
    args = list(args)
    if size is None:
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint() received an invalid combination of arguments")
    low, high = int(_num(low)), int(_num(high))
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    shape = shape_arg((size,)) if not isinstance(size, int) else (size,)
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    arr = _gen(generator).random_from_to(_numel(shape), low, high, dt.np).reshape(shape)
    return _finish(arr, device, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    arr = _gen(generator).randperm(int(n)).astype(dt.np)
    return _finish(arr, device, requires_grad)


def rand_like(t, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None, generator=None):
    dt, dev = _like(t, dtype, device)
    return rand(t.shape, dtype=dt, device=dev, requires_grad=requires_grad, generator=generator)


def randn_like(t, *, dtype=None, device=None, requires_grad=False, layout=None,
               memory_format=None, generator=None):
    dt, dev = _like(t, dtype, device)
    return randn(t.shape, dtype=dt, device=dev, requires_grad=requires_grad, generator=generator)


def randint_like(t, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 layout=None, memory_format=None, generator=None):
    if high is None:
        low, high = 0, low
    dt, dev = _like(t, dtype, device)
    return randint(low, high, t.shape, dtype=dt, device=dev, generator=generator)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False, layout=None, pin_memory=False):
    """``normal(mean, std, size)`` with floats, or elementwise with tensor mean/std."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        if isinstance(std, Tensor) and (std._data < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(tuple(getattr(mean, "shape", ())),
                                    tuple(getattr(std, "shape", ())))
        noise = randn(shape, dtype=ref.dtype, generator=generator, device=ref.device)
        return (noise * std + mean).detach()
    if size is None:
        raise TypeError("normal() missing required argument 'size'")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shape = shape_arg((size,)) if not isinstance(size, int) else (size,)
    dt = _dtype_or_default(dtype)
    arr = _gen(generator).normal(_numel(shape), dt.np, float(mean), float(std)).reshape(shape)
    return _finish(arr, device, requires_grad)


# -- in-place fills (``uniform_``, ``normal_``, ``random_`` ...) -----------------

def _fill_random(t, arr):
    from ._core import check_inplace, write

    check_inplace(t)
    if t._device.type != "cpu":
        arr = xp_for(t._device).asarray(arr)
    data = t._data
    if data.flags.c_contiguous or data.ndim < 2:
        write(t, arr.reshape(t.shape))
        return t
    # NOTE: PyTorch fills a non-contiguous tensor in memory order (its iterator walks the
    # dimensions from the largest stride down), so the values go in that order too.
    order = sorted(range(data.ndim), key=lambda d: -data.strides[d])
    view = data.transpose(order)
    view[...] = arr.reshape(view.shape)
    t._vc.v += 1
    return t


def uniform_(t, a=0.0, b=1.0, *, generator=None):
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} "
                           f"> to={b}")
    return _fill_random(t, _gen(generator).uniform(t.numel(), t.dtype.np, float(a), float(b)))


def normal_(t, mean=0.0, std=1.0, *, generator=None):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    contiguous = t.is_contiguous()
    arr = _gen(generator).normal(t.numel(), t.dtype.np, float(mean), float(std),
                                 contiguous=contiguous)
    return _fill_random(t, arr)


def random_(t, from_=None, to=None, *, generator=None):
    g = _gen(generator)
    if from_ is None and to is None:
        return _fill_random(t, g.random_full(t.numel(), t.dtype.np))
    if to is None:
        from_, to = 0, from_
    return _fill_random(t, g.random_from_to(t.numel(), int(from_), int(to), t.dtype.np))


def bernoulli_(t, p=0.5, *, generator=None):
    g = _gen(generator)
    if isinstance(p, Tensor):
        probs = np.broadcast_to(p.numpy(force=True), t.shape)
        return _fill_random(t, g.bernoulli_tensor(probs, t.dtype.np))
    return _fill_random(t, g.bernoulli(t.numel(), float(p), t.dtype.np))


def bernoulli(p, *, generator=None):
    out = wrap(np.empty(p.shape, dtype=p.dtype.np), p._device)
    return bernoulli_(out, p, generator=generator)


def exponential_(t, lambd=1.0, *, generator=None):
    return _fill_random(t, _gen(generator).exponential(t.numel(), t.dtype.np, lambd))


def multinomial(probs, num_samples, replacement=False, *, generator=None):
    p = np.asarray(probs._data, dtype=np.float64)
    if p.ndim == 1:
        return multinomial(probs.unsqueeze(0), num_samples, replacement,
                           generator=generator).squeeze(0)
    if not replacement and num_samples > p.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    g = _gen(generator)
    rows = []
    for row in p:
        row = row / row.sum()
        picks = []
        avail = row.copy()
        for _ in range(num_samples):
            c = np.cumsum(avail / avail.sum())
            u = g.uniform(1, np.float64)[0]
            k = int(min(np.searchsorted(c, u, side="right"), len(c) - 1))
            picks.append(k)
            if not replacement:
                avail[k] = 0
        rows.append(picks)
    return wrap(np.array(rows, dtype=np.int64), probs._device)
