"""``autocast``: regions where matrix products and convolutions run in a lower precision.

Inside ``with torch.autocast("cpu"):`` (bfloat16 by default; float16 on CUDA), the ops
PyTorch lists as safe in low precision (``linear``, ``matmul``, ``mm``, ``bmm``, ``addmm``,
convolutions, ``prelu``, attention) cast their floating inputs to that dtype, and losses
cast theirs up to float32; every other op runs in its inputs' dtype.  float64 tensors are
never cast.  The casts are ordinary differentiable ops, so gradients reach float32 parameters
as float32.
"""
from __future__ import annotations

import functools
from ember._warnings import warn as _warn

from .. import _dtype as D

# dtype per device type while autocast is on there; ``ON`` is whether any is (the check the
# hot ops make first).  ``_FAST`` is each device type's autocast dtype, on or off (what
# ``get_autocast_dtype`` reads and ``set_autocast_dtype`` changes).
_DTYPES: dict = {}
ON = False
# (PyTorch's defaults; autocast on a device ember lacks changes only autocast's state there,
# as in a PyTorch build without that backend)
_DEFAULT = {"cpu": D.bfloat16, "cuda": D.float16, "mps": D.float16, "xpu": D.float16,
            "hpu": D.bfloat16, "xla": D.bfloat16, "ipu": D.float16, "mtia": D.float16,
            "maia": D.bfloat16, "privateuseone": D.float16, "hip": D.float16}
_FAST = dict(_DEFAULT)
_FLOATS = (D.float32, D.float16, D.bfloat16)


def _kind(device_type):
    """The device type a string names (PyTorch's error for one that names none)."""
    from .._device import device

    return device(device_type).type


def is_autocast_available(device_type: str) -> bool:
    if isinstance(device_type, str):
        device_type = _kind(device_type)
    return device_type in _DEFAULT and device_type != "hip"


def _set(device_type, dtype):
    global ON
    if dtype is None:
        _DTYPES.pop(device_type, None)
    else:
        _DTYPES[device_type] = dtype
    ON = bool(_DTYPES)


def _state(device_type):
    """(enabled, dtype) of ``device_type``: what an ``autocast`` block saves and restores."""
    return device_type in _DTYPES, _FAST.get(device_type, D.float16)


def _restore(device_type, state):
    on, dtype = state
    _FAST[device_type] = dtype
    _set(device_type, dtype if on else None)


class autocast:
    """Context manager (and decorator) for a mixed-precision region on ``device_type``."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        self.device = device_type
        self._kind = _kind(device_type)
        if device_type == "privateuseone":  # (no backend module registered, as in PyTorch)
            raise AssertionError(
                "Tried to use AMP with the `privateuseone` backend, but the backend has not "
                "registered a module or  the module miss some necessary funcs. The backend "
                "should register a module by `torch._register_device_module`, and the module "
                "must have these funcs: \n`get_amp_supported_dtype() -> List[torch.dtype]`. \n")
        # NOTE: as PyTorch, only the string "cuda" is checked for a GPU ("cuda:0" is not)
        if enabled and device_type == "cuda":
            from .. import cuda
            if not cuda.is_available():
                _warn("CUDA is not available or torch_xla is imported. Disabling "
                              "autocast.", UserWarning, stacklevel=2)
                enabled = False
        elif enabled and self.fast_dtype not in (D.bfloat16, D.float16):
            name = device_type.upper()
            _warn(f"In {name} autocast, but the target dtype is not supported. Disabling "
                  f"autocast.\n{name} Autocast only supports dtypes of torch.bfloat16, "
                  "torch.float16 currently.", UserWarning, stacklevel=2)
            enabled = False
        self._enabled = enabled
        self._cache_enabled = _CACHE[0] if cache_enabled is None else bool(cache_enabled)
        self._saved = []

    def __enter__(self):
        if not isinstance(self._enabled, bool):
            raise TypeError("set_autocast_enabled(): argument 'enabled' (position 2) must be "
                            f"bool, not {type(self._enabled).__name__}")
        if not isinstance(self.fast_dtype, D.dtype):
            raise TypeError("set_autocast_dtype(): argument 'dtype' (position 2) must be "
                            f"torch.dtype, not {type(self.fast_dtype).__name__}")
        self._saved.append((_state(self._kind), _CACHE[0]))
        _restore(self._kind, (self._enabled, self.fast_dtype))
        _CACHE[0] = self._cache_enabled
        autocast_increment_nesting()
        return self

    def __exit__(self, *exc):
        state, _CACHE[0] = self._saved.pop()
        _restore(self._kind, state)
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)
        return run


def is_autocast_enabled(device_type=None) -> bool:
    """Whether autocast is on for ``device_type`` (CUDA when not given, as in PyTorch)."""
    return (_kind(device_type) if device_type else "cuda") in _DTYPES


def _deprecated_query(old, new, value):
    from .._warnings import warn
    warn(f"torch.{old}() is deprecated. Please use torch.{new} instead.", DeprecationWarning)
    return value


def is_autocast_cpu_enabled() -> bool:
    return _deprecated_query("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')",
                             "cpu" in _DTYPES)


def get_autocast_cpu_dtype() -> D.dtype:
    return _deprecated_query("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')",
                             get_autocast_dtype("cpu"))


def get_autocast_gpu_dtype() -> D.dtype:
    return _deprecated_query("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')",
                             get_autocast_dtype("cuda"))


def get_autocast_dtype(device_type) -> D.dtype:
    kind = _device_type(device_type, "get_autocast_dtype")
    if kind not in _FAST:
        raise RuntimeError("unsupported scalarType")
    return _FAST[kind]


def _device_type(device_type, fname):
    from .._device import device
    kind = device(device_type).type if isinstance(device_type, str) else None
    if kind is None:
        raise TypeError(f"{fname}(): argument 'device_type' (position 1) must be str, not "
                        f"{type(device_type).__name__}")
    return kind


def set_autocast_enabled(*args) -> None:
    """``set_autocast_enabled(device_type, enabled)`` (or the older ``(enabled)``, which
    means CUDA): turn autocast on or off outside an ``autocast`` block."""
    if len(args) == 1:
        device_type, enabled, pos = "cuda", args[0], 1
    elif len(args) == 2:
        device_type, enabled, pos = _device_type(args[0], "set_autocast_enabled"), args[1], 2
    else:
        raise TypeError(f"set_autocast_enabled() takes 1 or 2 arguments ({len(args)} given)")
    if not isinstance(enabled, bool):
        raise TypeError(f"set_autocast_enabled(): argument 'enabled' (position {pos}) must be "
                        f"bool, not {type(enabled).__name__}")
    _restore(device_type, (enabled, get_autocast_dtype(device_type)))


def set_autocast_dtype(device_type, dtype) -> None:
    """The dtype autocast uses on ``device_type`` (now, if it is on; and for later blocks
    that give none)."""
    device_type = _device_type(device_type, "set_autocast_dtype")
    if not isinstance(dtype, D.dtype):
        raise TypeError(f"set_autocast_dtype(): argument 'dtype' (position 2) must be "
                        f"torch.dtype, not {type(dtype).__name__}")
    _restore(device_type, (device_type in _DTYPES, dtype))


def _deprecated_setter(old, new, fn, *args):
    from .._warnings import warn
    warn(f"torch.{old} is deprecated. Please use torch.{new} instead.", DeprecationWarning,
         stacklevel=3)
    fn(*args)


def set_autocast_cpu_enabled(enabled) -> None:
    _deprecated_setter("set_autocast_cpu_enabled(enabled)",
                       "set_autocast_enabled('cpu', enabled)", set_autocast_enabled, "cpu",
                       enabled)


def set_autocast_cpu_dtype(dtype) -> None:
    _deprecated_setter("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)",
                       set_autocast_dtype, "cpu", dtype)


def set_autocast_gpu_dtype(dtype) -> None:
    _deprecated_setter("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)",
                       set_autocast_dtype, "cuda", dtype)


_CACHE = [True]  # whether casts of leaf tensors that require grad are cached (as PyTorch)
_NESTING = [0]
# PyTorch's cast cache: the low-precision copy of a float32 leaf that requires grad (a
# parameter), made once and reused, stale if the leaf changes in place, until the outermost
# autocast block exits (id -> (weak reference, copy))
_CASTS: dict = {}


def is_autocast_cache_enabled() -> bool:
    return _CACHE[0]


def set_autocast_cache_enabled(enabled) -> None:
    if not isinstance(enabled, bool):
        raise TypeError(f"set_autocast_cache_enabled(): argument 'enabled' (position 1) must "
                        f"be bool, not {type(enabled).__name__}")
    _CACHE[0] = enabled


def clear_autocast_cache() -> None:
    _CASTS.clear()


def autocast_increment_nesting() -> int:
    _NESTING[0] += 1
    return _NESTING[0]


def autocast_decrement_nesting() -> int:
    _NESTING[0] -= 1
    return _NESTING[0]


def _cast(t, dtype):
    from .._tensor import Tensor
    if isinstance(t, Tensor) and t.dtype in _FLOATS and t.dtype is not dtype and \
            t.device.type in _DTYPES:
        if t.dtype is D.float32 and dtype is _DTYPES[t.device.type] and _CACHE[0] and \
                t.requires_grad and t.grad_fn is None and t._base is None:
            return _cached_cast(t, dtype)
        return t.to(dtype)
    return t


def _cached_cast(t, dtype):
    import weakref

    from ..autograd.grad_mode import enable_grad, is_inference_mode_enabled
    if is_inference_mode_enabled():
        return t.to(dtype)
    hit = _CASTS.get(id(t))
    if hit is not None and hit[0]() is t:
        return hit[1]
    with enable_grad():  # (PyTorch's cached copy keeps its graph even if made under no_grad)
        c = t.to(dtype)
    _CASTS[id(t)] = (weakref.ref(t), c)
    return c


def lower(*tensors):
    """``tensors`` cast to the autocast dtype of their device (call only when ``ON``)."""
    out = []
    for t in tensors:
        dev = getattr(t, "device", None)
        dtype = _DTYPES.get(dev.type) if dev is not None else None
        out.append(t if dtype is None else _cast(t, dtype))
    return tuple(out)


class excluded:
    """Autocast off for the ops inside one that autocast has already cast (as PyTorch runs
    such an op with autocast's dispatch key excluded); the queries still see it on."""

    def __enter__(self):
        global ON
        self._saved = dict(_DTYPES)
        _DTYPES.clear()
        ON = False

    def __exit__(self, *exc):
        global ON
        _DTYPES.update(self._saved)
        ON = bool(_DTYPES)
        return False


def fp32_cast(t):
    """``t`` in float32 if autocast would run its op in float32."""
    return _cast(t, D.float32)


_LOW = (D.float16, D.bfloat16)


def cuda_fp32(t):
    """``t`` in float32 if CUDA autocast runs its op in float32 (PyTorch's CUDA list, longer
    than the CPU's: exp, log, pow, softmax, log_softmax, layer_norm, group_norm, sum, cumsum,
    ... ): a float16/bfloat16 tensor on a GPU while autocast is on there (call only when
    ``ON``)."""
    if "cuda" in _DTYPES and getattr(t, "dtype", None) in _LOW and t.device.type == "cuda":
        return t.to(D.float32)
    return t


def fp32(fn):
    """Decorate an op that autocast runs in float32 (the losses)."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if ON:
            args = tuple(_cast(a, D.float32) for a in args)
            kwargs = {k: _cast(v, D.float32) for k, v in kwargs.items()}
        return fn(*args, **kwargs)
    return op


# PyTorch's CPU autocast lists (``autocast_mode.cpp``) of the ops that run in float32 and of
# those that promote their floating inputs to the widest of them (the ops that run in the
# low dtype cast themselves, through ``lower``; the losses through ``fp32``).
_CPU_FP32 = {
    "torch": "prod quantile nanquantile stft cdist trace view_as_complex polar cholesky "
             "cholesky_inverse cholesky_solve inverse lu_solve orgqr ormqr pinverse geqrf qr "
             "svd triangular_solve max_pool3d",
    "linalg": "cond matrix_rank solve cholesky cholesky_ex svdvals eigvals eigvalsh inv inv_ex "
              "householder_product tensorinv tensorsolve qr svd eig eigh lstsq",
    "fft": "fft ifft fft2 ifft2 fftn ifftn rfft irfft rfft2 irfft2 rfftn irfftn hfft ihfft",
    "functional": "avg_pool3d max_pool3d adaptive_avg_pool3d adaptive_max_pool3d "
                  "fractional_max_pool2d fractional_max_pool3d max_unpool2d max_unpool3d "
                  "grid_sample pad",
    "Tensor": "prod trace inverse pinverse cholesky cholesky_inverse cholesky_solve lu_solve "
              "orgqr ormqr geqrf qr svd triangular_solve stft quantile nanquantile",
}
_CPU_PROMOTE = {"torch": "cat stack concat concatenate index_copy", "Tensor": "index_copy"}


def _cpu_low(t):
    from .._tensor import Tensor
    return isinstance(t, Tensor) and t.dtype in _LOW and t.device.type == "cpu"


def _in_fp32(name, args, kwargs):
    """Whether this call of ``name`` is one PyTorch's list runs in float32 (``F.pad`` only
    for the reflection pads of 1 and 2 dims and the replication pads; ``F.max_pool3d`` not
    with ``return_indices``, another op of PyTorch's; no ``out=`` variant is on the lists)."""
    if name == "pad":
        mode = kwargs.get("mode", args[2] if len(args) > 2 else "constant")
        pad = kwargs.get("pad", args[1] if len(args) > 1 else ())
        return mode == "replicate" or mode == "reflect" and len(pad) in (2, 4)
    if name == "max_pool3d":
        return not kwargs.get("return_indices", len(args) > 6 and args[6])
    return True


def _fp32_wrap(name, fn):
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if ON and "cpu" in _DTYPES and kwargs.get("out") is None and \
                _in_fp32(name, args, kwargs):
            args = tuple(t.float() if _cpu_low(t) else t for t in args)
            kwargs = {k: v.float() if _cpu_low(v) else v for k, v in kwargs.items()}
            with excluded():
                return fn(*args, **kwargs)
        return fn(*args, **kwargs)
    return op


def _promote_wrap(fn):
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if not (ON and "cpu" in _DTYPES) or kwargs.get("out") is not None:
            return fn(*args, **kwargs)
        from .._tensor import Tensor

        def eligible(t):
            return isinstance(t, Tensor) and t.dtype in _FLOATS and t.device.type == "cpu"
        flat = [t for a in list(args) + list(kwargs.values())
                for t in (a if isinstance(a, (list, tuple)) else (a,)) if eligible(t)]
        low = _DTYPES["cpu"]
        want = low
        for t in flat:  # (PyTorch's ``prioritize``: float32 wins; one low dtype or none)
            if want is D.float32 or t.dtype is D.float32:
                want = D.float32
            elif not (want is low and t.dtype is low):
                raise RuntimeError("Unexpected floating ScalarType in at::autocast::prioritize")

        def cast(a):
            if isinstance(a, (list, tuple)):
                return type(a)(cast(t) for t in a)
            return a.to(want) if eligible(a) and a.dtype is not want else a
        args = tuple(cast(a) for a in args)
        kwargs = {k: cast(v) for k, v in kwargs.items()}
        with excluded():
            return fn(*args, **kwargs)
    return op


def install_cpu_lists(torch_ns, tensor, linalg, fft, functional):
    """Wrap the public functions and methods on PyTorch's CPU fp32 and promote lists."""
    spaces = {"torch": torch_ns, "linalg": vars(linalg), "fft": vars(fft),
              "functional": vars(functional), "Tensor": None}
    for table, wrap in ((_CPU_FP32, _fp32_wrap), (_CPU_PROMOTE, None)):
        for space, names in table.items():
            for name in names.split():
                if space == "Tensor":
                    fn = tensor.__dict__[name]
                else:
                    fn = spaces[space][name]
                new = wrap(name, fn) if wrap else _promote_wrap(fn)
                if space == "Tensor":
                    setattr(tensor, name, new)
                elif space == "torch":
                    torch_ns[name] = new
                else:
                    setattr({"linalg": linalg, "fft": fft, "functional": functional}[space],
                            name, new)


def _check_device_type(device_type):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """For a custom ``Function.forward``: with ``cast_inputs``, run it with its floating
    inputs cast to that dtype and autocast off, when autocast is on.  The autocast state it
    ran under is kept on ``ctx`` for ``custom_bwd``."""
    _check_device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def forward(*args, **kwargs):
        dev = device_type
        on = is_autocast_enabled(dev)
        args[0]._dtype = get_autocast_dtype(dev)
        args[0]._fwd_used_autocast = on and cast_inputs is None
        if cast_inputs is None or not on:
            return fwd(*args, **kwargs)
        args = tuple(_cast(a, cast_inputs) for a in args)
        kwargs = {k: _cast(v, cast_inputs) for k, v in kwargs.items()}
        with autocast(dev, enabled=False):
            return fwd(*args, **kwargs)
    return forward


def custom_bwd(bwd=None, *, device_type):
    """For a custom ``Function.backward``: run it under the autocast state of the forward."""
    _check_device_type(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def backward(*args, **kwargs):
        with autocast(device_type, dtype=args[0]._dtype, enabled=args[0]._fwd_used_autocast):
            return bwd(*args, **kwargs)
    return backward
