"""``torch.backends``: the switches PyTorch keeps for the libraries it calls.

ember calls none of them: no cuDNN (its convolutions are its own), no TF32 (every float32
matrix product runs in full float32 precision, on the CPU and through CuPy), no MPS.  (One
exception: :func:`set_float32_matmul_precision` below ``'highest'`` lets ember's CPU products
leave PyTorch's summation order for NumPy's faster one.)  So the
switches keep PyTorch's names, defaults, types and checks, and scripts that set them
(``torch.backends.cudnn.benchmark = True``) run unchanged, but none of them changes what
ember computes: ``cudnn.is_available()`` and ``mps.is_available()`` say False.

The process-wide settings PyTorch keeps beside them live here too:
:func:`set_float32_matmul_precision` (linked with ``cuda.matmul.allow_tf32``, as in
PyTorch) and :func:`use_deterministic_algorithms`.
"""
from __future__ import annotations

import contextlib
import sys
import types
from ember._warnings import warn as _warn

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "opt_einsum",
           "set_float32_matmul_precision", "get_float32_matmul_precision",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled"]

_PRECISIONS = ("highest", "high", "medium")
_state = {"matmul_precision": "highest", "deterministic": False, "warn_only": False,
          "fill_uninitialized_memory": True}


def _check_bool(value, setter):
    if type(value) is not bool:
        raise RuntimeError(f"{setter} expects a bool, but got {type(value).__name__}")


def set_float32_matmul_precision(precision: str) -> None:
    """``'highest'`` (the default), ``'high'`` or ``'medium'``: what PyTorch may trade for
    speed in float32 products.  ember always computes them in full float32 precision; at
    ``'highest'`` it also sums them in PyTorch's (MKL's) order on the CPU where it knows that
    order (``ember._ops._mkl_gemm``), so that they match PyTorch's to the bit, and below it
    takes NumPy's own order, which is faster (up to ~1.4x on a small MLP's training step)."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision not in _PRECISIONS:
        _warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
              "setFloat32MatmulPrecision call has no effect.",
              cpp="aten/src/ATen/Context.cpp:458")
        return
    _state["matmul_precision"] = precision
    _state["fp32_precision"] = "ieee" if precision == "highest" else "tf32"


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    """Record the mode, as PyTorch does.  ember's CPU ops are deterministic whatever it says;
    on a GPU, the ops that add through atomics (``index_add_``, ``scatter_add_``, an
    embedding's backward) may sum in another order from run to run, and ember does not
    refuse them in this mode as PyTorch does."""
    for pos, (name, v) in enumerate((("mode", mode), ("warn_only", warn_only)), 1):
        if type(v) is not bool:
            where = f"(position {pos})" if name == "mode" else ""
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}' {where}"
                            .rstrip() + f" must be bool, not {type(v).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def _uninitialized_fill(dt):
    """What ``empty`` & co. hold: zeros, or under deterministic algorithms with
    ``torch.utils.deterministic.fill_uninitialized_memory`` (the default) PyTorch's markers:
    NaN for floats, the largest value for integers, True for bool."""
    if not (_state["deterministic"] and _state["fill_uninitialized_memory"]):
        return None
    import numpy as np
    if dt.is_floating_point or dt.is_complex:  # (NaN in the real part; PyTorch's too)
        return float("nan")
    if dt.np == np.bool_:
        return True
    return np.iinfo(dt.np).max


class _Flags(types.ModuleType):
    """A backend module whose listed attributes are bools, type-checked on assignment with
    the name of PyTorch's setter in the error (``set_benchmark_cudnn expects a bool...``)."""

    _setters: dict = {}  # attribute -> the setter PyTorch names in its error

    def __setattr__(self, name, value):
        setter = type(self)._setters.get(name)
        if setter is not None:
            _check_bool(value, setter)
        super().__setattr__(name, value)

    @contextlib.contextmanager
    def _flags(self, **values):
        """Set the switches for the ``with`` block and put the old ones back after it."""
        old = {k: getattr(self, k) for k in values}
        for k, v in values.items():
            setattr(self, k, v)
        try:
            yield
        finally:
            for k, v in old.items():
                types.ModuleType.__setattr__(self, k, v)


def _make(name, cls, doc, **values):
    """The submodule ``ember.backends.<name>``, registered so that ``import`` finds it."""
    mod = cls(f"{__name__}.{name}", doc)
    for k, v in values.items():
        types.ModuleType.__setattr__(mod, k, v)
    sys.modules[mod.__name__] = mod
    return mod


class _Cudnn(_Flags):
    # NOTE: PyTorch 2.13 names the cuBLAS setter in cudnn.allow_tf32's error; kept.
    _setters = {"enabled": "set_enabled_cudnn", "benchmark": "set_benchmark_cudnn",
                "deterministic": "set_deterministic_cudnn",
                "allow_tf32": "set_allow_tf32_cublas"}

    def flags(self, enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
              allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
        """``with torch.backends.cudnn.flags(...): ...`` (the switches not named are set to
        their defaults for the block, as in PyTorch)."""
        return self._flags(enabled=enabled, benchmark=benchmark, deterministic=deterministic,
                           allow_tf32=allow_tf32)


cudnn = _make("cudnn", _Cudnn, "cuDNN's switches; ember does not use cuDNN.",
              enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
              is_available=lambda: False, version=lambda: None, benchmark_limit=None,
              fp32_precision="none", is_acceptable=lambda tensor: False)
fp32_precision = "none"  # (PyTorch's default of its newer precision switches)


class _CublasFlags:
    """``torch.backends.cuda.matmul``: cuBLAS's switches.  ``allow_tf32`` is another view of
    :func:`get_float32_matmul_precision` (True unless it is ``'highest'``)."""

    _names = ("allow_tf32", "allow_fp16_reduced_precision_reduction",
              "allow_bf16_reduced_precision_reduction")

    def __init__(self):
        object.__setattr__(self, "_values", {"allow_fp16_reduced_precision_reduction": True,
                                             "allow_bf16_reduced_precision_reduction": True})

    def __getattr__(self, name):
        if name == "allow_tf32":
            return _state["matmul_precision"] != "highest"
        if name == "fp32_precision":  # (read only in ember; "none" until a precision is set)
            return _state.get("fp32_precision", "none")
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"Unknown attribute {name}") from None

    def __setattr__(self, name, value):
        if name not in self._names:
            raise AttributeError(f"Unknown attribute {name}")
        if name == "allow_tf32":
            _check_bool(value, "set_allow_tf32_cublas")
            _state["matmul_precision"] = "high" if value else "highest"
            _state["fp32_precision"] = "tf32" if value else "ieee"
        else:  # a bool, or (allow_reduced_precision, allow_splitk) of which ember keeps one
            if isinstance(value, (tuple, list)) and value:
                value = value[0]
                if type(value) is not bool:
                    raise TypeError(f"{name} expects a bool for allow_reduced_precision, but "
                                    f"got {type(value)}")
            elif type(value) is not bool:
                raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got "
                                f"{type(value)}")
            self._values[name] = value


def _cupy_importable() -> bool:
    try:
        import cupy  # noqa: F401
    except Exception:
        return False
    return True


cuda = _make("cuda", types.ModuleType, "cuBLAS's switches (``matmul``) and whether ember "
             "can reach CUDA at all (``is_built``: CuPy imports).",
             matmul=_CublasFlags(), is_built=_cupy_importable,
             is_flash_attention_available=lambda: False)

# Which scaled-dot-product-attention kernels PyTorch may pick.  ember has one (the math
# formula; on the CPU PyTorch's "flash" kernel computes the same), so these only decide
# whether F.scaled_dot_product_attention is allowed to run at all, as in PyTorch.
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True,
        "fp16_bf16_reduction_math": False}


def _sdp_switch(key, setter):
    def enable(enabled):
        # NOTE: PyTorch names the math setter in most of these errors, and leaves a stray
        # "%s" in the cuDNN one; kept as it is
        if type(enabled) is not bool:
            raise RuntimeError(f"{setter} expects a bool, but got "
                               f"{'%s' if key == 'cudnn' else ''}{type(enabled).__name__}")
        _sdp[key] = enabled
    return enable, lambda: _sdp[key]


for _key, _on, _query in (("flash", "enable_flash_sdp", "flash_sdp_enabled"),
                          ("mem_efficient", "enable_mem_efficient_sdp",
                           "mem_efficient_sdp_enabled"),
                          ("math", "enable_math_sdp", "math_sdp_enabled"),
                          ("cudnn", "enable_cudnn_sdp", "cudnn_sdp_enabled"),
                          ("fp16_bf16_reduction_math", "allow_fp16_bf16_reduction_math_sdp",
                           "fp16_bf16_reduction_math_sdp_allowed")):
    _enable, _enabled = _sdp_switch(
        _key, "set_sdp_use_cudnn" if _key == "cudnn" else "set_sdp_use_math")
    types.ModuleType.__setattr__(cuda, _on, _enable)
    types.ModuleType.__setattr__(cuda, _query, _enabled)


def _sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True,
                enable_cudnn=True):
    """The deprecated ``torch.backends.cuda.sdp_kernel``: the four switches for a block
    (it warns when called, as PyTorch's)."""
    _warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context "
          "manager will be removed. Please see `torch.nn.attention.sdpa_kernel()` for the new "
          "context manager, with updated signature.", FutureWarning, stacklevel=2)
    return _sdp_block(enable_flash, enable_math, enable_mem_efficient, enable_cudnn)


@contextlib.contextmanager
def _sdp_block(enable_flash, enable_math, enable_mem_efficient, enable_cudnn):
    old = dict(_sdp)
    _sdp.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient,
                cudnn=enable_cudnn)
    try:
        yield {}
    finally:
        _sdp.update(old)


types.ModuleType.__setattr__(cuda, "sdp_kernel", _sdp_kernel)
def _macos_or_newer(major=13, minor=0):
    raise RuntimeError("Cannot execute isOnMacOSorNewer() without MPS backend.")


mps = _make("mps", types.ModuleType, "Apple's GPUs: not supported by ember.",
            is_available=lambda: False, is_built=lambda: False,
            is_macos13_or_newer=lambda minor=0: _macos_or_newer(13, minor),
            is_macos_or_newer=_macos_or_newer)


class _Mkldnn(_Flags):
    _setters = {"enabled": "set_enabled_mkldnn", "deterministic": "set_deterministic_mkldnn"}

    def flags(self, enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
        """``with torch.backends.mkldnn.flags(enabled=False): ...`` (as PyTorch, the
        switches not named are set to their defaults for the block)."""
        return self._flags(enabled=enabled, deterministic=deterministic)


# ember computes with NumPy (and CuPy) alone: the CPU libraries PyTorch can call are absent
mkldnn = _make("mkldnn", _Mkldnn, "oneDNN's switches; ember does not use oneDNN.",
               enabled=True, deterministic=False, is_available=lambda: False,
               fp32_precision="none")


def _get_cpu_capability() -> str:
    from .._random import cpu_capability

    return cpu_capability().upper()


cpu = _make("cpu", types.ModuleType, "The CPU's vector instructions (those PyTorch's kernels "
            "would use here).", get_cpu_capability=_get_cpu_capability)
mkl = _make("mkl", types.ModuleType, "Intel MKL: not used by ember.", is_available=lambda: False)
openmp = _make("openmp", types.ModuleType, "OpenMP: not used by ember.",
               is_available=lambda: False)
opt_einsum = _make("opt_einsum", types.ModuleType, "opt_einsum's contraction order: not used "
                   "by ember.", enabled=False, strategy=None, is_available=lambda: False)



def _get_fastpath_enabled() -> bool:
    """Whether MultiheadAttention and TransformerEncoder(Layer) may take their fused path."""
    return mha._is_fastpath_enabled


def _set_fastpath_enabled(value) -> None:
    types.ModuleType.__setattr__(mha, "_is_fastpath_enabled", value)


mha = _make("mha", types.ModuleType, "The switch of the fused path of MultiheadAttention and "
            "TransformerEncoder.", _is_fastpath_enabled=True,
            get_fastpath_enabled=_get_fastpath_enabled,
            set_fastpath_enabled=_set_fastpath_enabled)


class _Quantized(types.ModuleType):
    """``torch.backends.quantized``: the engine of quantized kernels (PyTorch's x86 default).

    ember's quantized kernels reproduce PyTorch's x86/FBGEMM numerics whichever engine is set.
    """

    def __setattr__(self, name, value):
        if name == "engine":
            if value not in self.supported_engines:
                raise RuntimeError(f"{value} is not a valid value for quantized engine")
        super().__setattr__(name, value)


quantized = _make("quantized", _Quantized, _Quantized.__doc__, engine="x86",
                  supported_engines=["qnnpack", "onednn", "x86", "fbgemm"])
