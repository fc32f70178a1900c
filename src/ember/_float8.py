"""PyTorch's 8-bit floating formats on the CPU: how values go in and out of them.

The arrays are stored with ``ml_dtypes``' types (so that NumPy keeps the element type
apart), but every conversion is done here, on the bytes, because PyTorch's rules are not
``ml_dtypes``':

* ``float8_e4m3fn`` (no infinity): a value past the largest finite one, infinity
  included, *saturates* to +-448; NaN becomes the NaN code of its sign (0x7f / 0xff).
* ``float8_e5m2``: round to nearest even, overflow to +-inf; every NaN becomes 0x7f / 0xff.
* ``float8_e4m3fnuz`` / ``float8_e5m2fnuz``: no negative zero, one NaN (0x80) that
  overflow, infinity and NaN all become.
* ``float8_e8m0fnu``: a power of two (exponent only, no sign): the sign is dropped, a
  mantissa of one half or more rounds the exponent up (except below the smallest
  normal float32), zero becomes 2**-127 (code 0), infinity and NaN become 0xff.

Values of other types go through float32 first (a float64 is rounded to float32, then to
the 8-bit format: PyTorch's double rounding).  Decoding is exact; the NaN codes decode to
the float32 bit patterns PyTorch's conversion leaves (kept for ``view`` round trips).
"""
from __future__ import annotations

import numpy as np

# name -> (exponent bits, mantissa bits, exponent bias, behaviour)
FORMATS = {
    "float8_e4m3fn": (4, 3, 7, "fn"),
    "float8_e5m2": (5, 2, 15, "ieee"),
    "float8_e4m3fnuz": (4, 3, 8, "fnuz"),
    "float8_e5m2fnuz": (5, 2, 16, "fnuz"),
}
NAMES = (*FORMATS, "float8_e8m0fnu")
ONE_NAN = ("float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu")  # NaN is code 0x80/0xff

_tables = {}


def _f32_bits_of(name):
    """The float32 bit patterns (uint32) of the 256 codes of format ``name``."""
    out = np.empty(256, np.uint32)
    for code in range(256):
        out[code] = _decode_one(name, code)
    return out


def _decode_one(name, code):
    if name == "float8_e8m0fnu":
        if code == 255:
            return 0x7F800001
        if code == 0:  # 2**-127: a float32 subnormal
            return 0x00400000
        return code << 23
    e_bits, m_bits, bias, kind = FORMATS[name]
    sign = (code >> 7) << 31
    e = (code >> m_bits) & ((1 << e_bits) - 1)
    m = code & ((1 << m_bits) - 1)
    if kind == "fnuz" and code == 0x80:
        return 0x7F800001
    e_max = (1 << e_bits) - 1
    if kind == "ieee" and e == e_max:
        if m == 0:
            return sign | 0x7F800000
        return sign | 0x7F800000 | (m << (23 - m_bits)) | 0x400000
    if kind == "fn" and e == e_max and m == (1 << m_bits) - 1:
        return sign | 0x7F800000 | (m << (23 - m_bits)) | 0x400000
    if e == 0:
        if m == 0:
            return sign
        value = m * 2.0 ** (1 - bias - m_bits)
        return sign | int(np.float32(value).view(np.uint32))
    return sign | ((e - bias + 127) << 23) | (m << (23 - m_bits))


def f32_bits(name):
    t = _tables.get(name)
    if t is None:
        t = _tables[name] = _f32_bits_of(name)
    return t


def decode(codes, name, target=np.float32):
    """The values of the uint8 ``codes`` of format ``name`` as ``target`` (float16, float32,
    float64 or bfloat16), NaNs included bit for bit as PyTorch gives them."""
    key = (name, np.dtype(target))
    t = _tables.get(key)
    if t is None:
        f32 = f32_bits(name).view(np.float32)
        nan = np.isnan(f32)
        with np.errstate(all="ignore"):
            t = f32.astype(target)
        bits = t.view(f"u{t.itemsize}")
        if np.dtype(target) == np.float16:
            # NOTE: PyTorch quiets the one-NaN formats' NaN to 0x7e00; NumPy keeps a payload
            for i in np.nonzero(nan)[0]:
                if f32_bits(name)[i] == 0x7F800001:
                    bits[i] = 0x7E00
        elif np.dtype(target).name == "bfloat16":
            bits[nan] = 0x7FC0  # (PyTorch's bfloat16 NaN: positive, whatever the sign)
        _tables[key] = t
    return t[np.asarray(codes).view(np.uint8)]


def _grid(name):
    """The non-negative finite values of ``name`` in code order, plus the first value past
    the largest (its code is one more), as float64."""
    t = _tables.get(("grid", name))
    if t is None:
        with np.errstate(all="ignore"):
            vals = f32_bits(name).view(np.float32).astype(np.float64)
        n = int(np.argmax(~np.isfinite(vals[:128]))) if not np.isfinite(vals[:128]).all() \
            else 128
        grid = vals[:n]
        ulp = grid[-1] - grid[-2]
        t = _tables[("grid", name)] = np.append(grid, grid[-1] + ulp)
    return t


def encode_f32(x, name):
    """float32 array ``x`` rounded to format ``name``: its uint8 codes."""
    x = np.asarray(x, np.float32)
    bits = x.view(np.uint32)
    if name == "float8_e8m0fnu":
        e = ((bits >> 23) & 0xFF).astype(np.int32)
        m = bits & 0x7FFFFF
        up = (m > 0x400000) | ((m == 0x400000) & (e != 0))
        e = np.where(e == 255, 255, np.minimum(e + up, 255))
        return e.astype(np.uint8)
    kind = FORMATS[name][3]
    grid = _grid(name)
    last = len(grid) - 2  # the code of the largest finite value
    with np.errstate(all="ignore"):
        a = np.abs(x.astype(np.float64))
    hi = np.searchsorted(grid, a).clip(1, last + 1)
    lo = hi - 1
    dlo, dhi = a - grid[lo], grid[hi] - a
    code = np.where((dhi < dlo) | ((dhi == dlo) & (hi % 2 == 0)), hi, lo)
    over = (code > last) | (a > grid[-1])
    nan = np.isnan(x)
    neg = (bits >> 31).astype(bool)
    if kind == "fn":
        code = np.where(over, last, code)
        code = np.where(nan, 0x7F, code)
    elif kind == "ieee":
        code = np.where(over, last + 1, code)  # (the code of infinity)
        code = np.where(nan, 0x7F, code)
    else:  # fnuz: one NaN, no negative zero
        bad = over | nan
        code = np.where(bad, 0x80, code | np.where(neg & (code != 0), 0x80, 0))
        return code.astype(np.uint8)
    return (code | np.where(neg, 0x80, 0)).astype(np.uint8)


def ml_dtype(name):
    import ml_dtypes

    return np.dtype(getattr(ml_dtypes, name))


# What PyTorch's CPU kernels refuse for the 8-bit floats, by the node ember's op records:
# the kernel named in PyTorch's "... not implemented for 'Float8_e4m3fn'".
_REFUSED = {
    "AddBackward0": "add_stub", "AddBackward1": "add_stub", "SubBackward0": "add_stub",
    "RsubBackward0": "add_stub", "RsubBackward1": "add_stub", "DivBackward0": "div_cpu",
    "DivBackward1": "div_cpu", "MulBackward1": "mul_cpu_reduced_float",
    "NegBackward0": "neg_cpu", "SumBackward0": "sum_cpu", "MeanBackward0": "sum_cpu",
    "MaxBackward1": "max_all", "MinBackward1": "min_all", "ProdBackward0": "prod_out_cpu",
    "DotBackward0": "dot", "ReluBackward0": "clamp_min_scalar_cpu",
    "ExpBackward0": "exp_vml_cpu", "SqrtBackward0": "sqrt_vml_cpu", "SignBackward0": "sign_cpu",
    "ClampBackward1": "clamp_scalar_cpu", "MaximumBackward0": "maximum_cpu",
    "MinimumBackward0": "minimum_cpu", "SortBackward0": "sorting_kernel_method_name",
    "TopkBackward0": "topk_cpu", "Unique2Backward0": "unique",  # (flip: in shape.flip)
    "MaskedFillBackward0": "masked_fill", "GatherBackward0": "gather_expanded_index",
    "CumsumBackward0": "cumsum_out_cpu", "LerpBackward0": "lerp_kernel_scalar",
    "SoftmaxBackward0": "softmax_lastdim_kernel_impl", "TrilBackward0": "tril",
    "TriuBackward0": "triu", "ScatterBackward0": "scatter_gather_tensor_cpu",
    "RoundBackward0": "round_vml_cpu", "TruncBackward0": "trunc_vml_cpu",
    "FloorBackward0": "floor_vml_cpu", "CeilBackward0": "ceil_vml_cpu",
    "ReciprocalBackward0": "reciprocal_cpu", "PowBackward0": "pow",
    "SigmoidBackward0": "sigmoid_cpu_reduced_float", "TanhBackward0": "tanh_vml_cpu",
    "MseLossBackward0": "mse_cpu", "MedianBackward0": "median_cpu",
    "KthvalueBackward0": "kthvalue_cpu", "AmaxBackward0": "max_values_cpu",
    "AminBackward0": "min_values_cpu", "LinalgVectorNormBackward0": "norm_cpu",
    "CumprodBackward0": "cumprod_out_cpu", "NotImplemented": "div_floor_cpu",
    "LogBackward0": "log_vml_cpu", "LogsumexpBackward0": "max_values_cpu",
    "MaxBackward0": "max_cpu", "MinBackward0": "min_cpu", "SumBackward1": "sum_cpu",
    "MeanBackward1": "sum_cpu", "MvBackward0": "addmv_impl_cpu", "ProdBackward1": "prod_out_cpu",
    "RemainderBackward0": "remainder_cpu", "RemainderBackward1": "remainder_cpu",
    "SinBackward0": "sin_vml_cpu", "CosBackward0": "cos_vml_cpu", "BmmBackward0": "bmm",
    "VarBackward0": "std_cpu", "StdBackward0": "std_cpu",
}
# (the shell dtypes: no kernels at all; these differ from the float8 names)
_SHELL_REFUSED = {"IndexBackward0": "index_cpu", "MulBackward0": "mul_cpu",
                  "AbsBackward0": "abs_cpu", "MaxBackward1": "max_all", "MinBackward1": "min_all"}
_E8M0_REFUSED = {"AbsBackward0": "abs_cpu", "MmBackward0": "addmm_impl_cpu_",
                 "AddmmBackward0": "addmm_impl_cpu_"}
# What PyTorch's CPU kernels refuse for uint16, uint32 and uint64, by the node ember's op
# records when its result has one of them too (their kernels copy, cast, index, sort, compare
# for equality, multiply, divide, sum into int64 and do &, |, ^; hardly anything else).
_WIDE_REFUSED = {
    "AddBackward0": "add_stub", "AddBackward1": "add_stub", "SubBackward0": "add_stub",
    "SubBackward1": "add_stub", "RsubBackward0": "add_stub", "RsubBackward1": "add_stub",
    "NotImplemented": "div_floor_cpu", "RemainderBackward0": "remainder_cpu",
    "RemainderBackward1": "remainder_cpu", "FmodBackward0": "fmod_cpu",
    "FmodBackward1": "fmod_cpu", "PowBackward0": "pow", "PowBackward1": "pow",
    "PowBackward2": "pow", "NegBackward0": "neg_cpu", "AbsBackward0": "abs_cpu",
    "SignBackward0": "sign_cpu", "SgnBackward0": "sign_cpu", "MaxBackward1": "max_all",
    "MinBackward1": "min_all", "MaxBackward0": "max_cpu", "MinBackward0": "min_cpu",
    "AmaxBackward0": "max_values_cpu", "AminBackward0": "min_values_cpu",
    "MaximumBackward0": "maximum_cpu", "MinimumBackward0": "minimum_cpu",
    "FmaxBackward0": "maximum_cpu", "FminBackward0": "minimum_cpu",
    "TopkBackward0": "topk_cpu", "MedianBackward0": "median_cpu",
    "KthvalueBackward0": "kthvalue_cpu", "ModeBackward0": "mode_cpu",
    "CummaxBackward0": "cummax_cpu", "CumminBackward0": "cummin_cpu",
    "ClampBackward0": "clamp_cpu", "ClampBackward1": "clamp_scalar_cpu",
    "ClampMinBackward0": "clamp_min_scalar_cpu", "ClampMaxBackward0": "clamp_max_scalar_cpu",
    "ReluBackward0": "clamp_min_scalar_cpu", "MaskedFillBackward0": "masked_fill",
    "MaskedFillBackward1": "masked_fill",
    "MaskedScatterBackward0": "masked_scatter", "MaskedSelectBackward0": "masked_select",
    "IndexSelectBackward0": "index_select", "IndexCopyBackward0": "index_copy_cpu",
    "IndexAddBackward0": "index_add_", "IndexReduceBackward0": "index_func_",
    "GatherBackward0": "scatter_gather_tensor_cpu", "TakeBackward0": "take_cpu",
    "ScatterBackward0": "scatter_gather_tensor_cpu",
    "ScatterBackward1": "scatter_gather_scalar_cpu", "MedianBackward1": "median_out",
    "NanmedianBackward0": "median_cpu", "NanmedianBackward1": "median_out",
    "ScatterAddBackward0": "scatter_gather_tensor_cpu",
    "ScatterReduceBackward0": "scatter_gather_tensor_cpu",
    "TrilBackward0": "tril", "TriuBackward0": "triu", "MmBackward0": "addmm_impl_cpu_",
    "AddmmBackward0": "addmm_impl_cpu_", "MvBackward0": "addmv_impl_cpu",
    "SqueezeBackward4": "addmm_impl_cpu_",  # (a vector times a matrix)
    "DotBackward0": "dot", "BmmBackward0": "bmm", "LinalgCrossBackward0": "cross",
    "gcd": "gcd_cpu", "lcm": "lcm_cpu", "PixelShuffleBackward0": "pixel_shuffle",
    "PixelUnshuffleBackward0": "pixel_unshuffle", "ChannelShuffleBackward0": "channel_shuffle",
    # (a result of the wide type: ``t.sum()`` gives int64, ``t.sum(dtype=t.dtype)`` no kernel)
    "SumBackward0": "sum_cpu", "SumBackward1": "sum_cpu", "NansumBackward0": "sum_cpu",
    "ProdBackward0": "prod_out_cpu", "ProdBackward1": "prod_out_cpu",
    "CumsumBackward0": "cumsum_out_cpu", "CumprodBackward0": "cumprod_out_cpu",
}
# ... and the kernels ops outside the table name (through ``refuse``)
_WIDE_KERNELS = frozenset(_WIDE_REFUSED.values()) | {
    "lt_cpu", "le_cpu", "gt_cpu", "ge_cpu", "lshift_cpu", "rshift_cpu", "bitwise_not_cpu",
    "argmax_cpu", "argmin_cpu", "nonzero_count_cpu", "logical_and_cpu", "logical_or_cpu",
    "logical_xor_cpu", "logical_not_cpu", "isin_default_cpu", "searchsorted_out_cpu",
    "bincount_cpu", "aminmax_cpu", "flip_cpu", "heaviside_cpu", "div_trunc_cpu", "addcmul_cpu_out",
    "trace", "index_fill_cpu", "index_put", "take_put_cpu", "sum_cpu", "cumsum_out_cpu"}


# (ops whose kernel PyTorch never calls for an empty input)
_WIDE_EMPTY_OK = frozenset((
    "MmBackward0", "SqueezeBackward4", "GatherBackward0", "TrilBackward0", "TriuBackward0",
    "CummaxBackward0", "CumminBackward0", "MedianBackward0", "SumBackward0", "SumBackward1",
    "MaxBackward0", "MinBackward0", "AmaxBackward0", "AminBackward0", "ProdBackward0",
    "ProdBackward1"))


def wide_result(inputs, name):
    """PyTorch's error for op node ``name`` whose first input has a wide unsigned dtype."""
    kernel = _WIDE_REFUSED.get(name)
    if name == "IndexSelectBackward0" and inputs[0]._data.ndim > 1:
        return  # (PyTorch copies slices of a matrix or more: its kernel serves a vector only)
    if kernel is not None and not (name in _WIDE_EMPTY_OK and inputs[0]._data.size == 0):
        from . import _dtype as D

        d = D._BY_NP[inputs[0]._data.dtype]
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{D.scalar_name(d)}'")


# Ops whose result PyTorch computes in float32 and rounds once to the 8-bit type.
_COMPUTED = frozenset(("MulBackward0", "MmBackward0"))


def odd_result(arr, inputs, name):
    """An op's result ``arr`` checked (and for some ops recomputed) when an input or the
    result has a float8 or shell dtype: PyTorch refuses most computation on them."""
    from . import _dtype as D

    src = inputs[0]._data.dtype if inputs and inputs[0] is not None else arr.dtype
    d = D._BY_NP.get(src)
    if d is None or d not in D._ODD:
        d = D._BY_NP.get(arr.dtype)
        if d is None or d not in D._ODD:
            return arr  # (bfloat16)
    if d in D.SHELLS:
        if name == "CloneBackward0" and (d in D._UINT_SHELLS or d in D._INT_SHELLS):
            raise NotImplementedError(f"\"copy_kernel\" not implemented for '{D.scalar_name(d)}'")
        kernel = _SHELL_REFUSED.get(name) or _REFUSED.get(name)
        if kernel is not None:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{D.scalar_name(d)}'")
        return arr
    if name in ("VarBackward0", "StdBackward0") and arr.ndim == 0:
        raise RuntimeError(f"std_var_all: Unsupported dtype {D.scalar_name(d)}")
    kernel = _REFUSED.get(name)
    if d.name == "float8_e8m0fnu" and name in _E8M0_REFUSED:  # (no arithmetic at all)
        kernel = _E8M0_REFUSED[name]
    if kernel is None and name in _COMPUTED:
        if name == "MulBackward0" and (len(inputs) < 2 or inputs[1] is None):
            kernel = "mul_cpu_reduced_float"  # (a tensor times a number)
        else:
            args = [decode(t._data.view(np.uint8), d.name) if t._data.dtype == d.np
                    else t._data.astype(np.float32) for t in inputs if t is not None]
            if name == "MulBackward0":
                f = args[0] * args[1]
            else:
                f = args[0] @ args[1]
            return encode_f32(f, d.name).view(d.np)
    if kernel is not None:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{D.scalar_name(d)}'")
    return arr


_FLOAT8_ONLY = ("mul_cpu_reduced_float",)  # (refusals that concern float8 alone)


def refuse(t, kernel, error=NotImplementedError, allow=()):
    """Raise PyTorch's error for op ``kernel`` when tensor ``t`` has a float8 or shell dtype
    (but for the ones named in ``allow``), or a wide unsigned one PyTorch lacks it for."""
    from . import _dtype as D

    if t._data.dtype in D._WIDE_NP and kernel in _WIDE_KERNELS:
        raise error(f"\"{kernel}\" not implemented for '{D.scalar_name(t.dtype)}'")
    if t._data.dtype in D._ODD_NP:
        d = D.from_numpy_dtype(t._data.dtype)
        if d.name not in allow and (d in D.FLOAT8 or kernel not in _FLOAT8_ONLY):
            if error is TypeError:
                raise TypeError(f"Got unsupported ScalarType {D.scalar_name(d)}")
            raise error(f"\"{kernel}\" not implemented for '{D.scalar_name(d)}'")


def host_values(t, for_print=False, for_list=False):
    """A float8 tensor's values as a float64 NumPy array (for ``item``/``tolist``/printing);
    PyTorch's error for a shell dtype, which has no readable values."""
    from . import _dtype as D

    d = t.dtype
    if d in D.SHELLS:
        if for_list:
            raise RuntimeError("load_scalar: invalid type")
        if d is D.float4_e2m1fn_x2 and for_print:  # NOTE: PyTorch prints its bytes
            return np.asarray(t._data).view(np.uint8).astype(np.float32)
        raise NotImplementedError(f"\"_local_scalar_dense_cpu\" not implemented for "
                                  f"'{D.scalar_name(d)}'")
    a = t._data if isinstance(t._data, np.ndarray) else t._data.get()
    codes = a.view(np.uint8)
    v = np.asarray(decode(codes, d.name, np.float64))  # (NaNs quiet)
    if for_print and d.name == "float8_e8m0fnu":
        # NOTE: PyTorch's printing takes e8m0's code 0 (2**-127, what 0 converts to) for a
        # zero, leaving it out of the choice of style; its value shows only in scientific
        # notation (as 0 otherwise, which is how the other styles print it)
        nz = v[(codes != 0) & (codes != 255)]
        sci = getattr(for_print, "sci_mode", None)
        if sci is None:
            sci = nz.size and (nz.max() / nz.min() > 1000.0 or nz.max() > 1e8 or nz.min() < 1e-4)
        if not sci:
            v = np.where(codes == 0, 0.0, v)
    return v


def fill_value(value, d):
    """Python number ``value`` as a scalar of float8 dtype ``d`` (PyTorch's fill: no check
    here, see check_fill); a shell dtype has no fill."""
    from . import _dtype as D

    if d in D.SHELLS:
        raise NotImplementedError(f"\"fill_cpu\" not implemented for '{D.scalar_name(d)}'")
    if isinstance(value, complex):
        value = value.real
    with np.errstate(all="ignore"):
        f = np.array(value, dtype=np.float64).astype(np.float32)
    return encode_f32(f, d.name).view(d.np)[()]


def check_fill(value, d, numel):
    """PyTorch's overflow check of a number filled into ``numel`` > 1 float8 elements (a
    single element takes any value, saturated or rounded as a conversion would)."""
    from . import _dtype as D

    if d in D.SHELLS:
        raise NotImplementedError(f"\"fill_cpu\" not implemented for '{D.scalar_name(d)}'")
    if numel <= 1 or isinstance(value, complex):
        return
    info = D.finfo(d)
    if isinstance(value, (bool, np.bool_)):
        return
    if isinstance(value, (int, np.integer)):
        bad = abs(int(value)) > info.max  # (integers: only the magnitude is checked)
    else:
        v = float(value)
        if v != v:
            return
        if v in (float("inf"), float("-inf")):
            bad = d.name != "float8_e5m2"
        else:
            bad = v > info.max or v < info.min
    if bad:
        raise RuntimeError(f"value cannot be converted to type {D.cpp_name(d)} without overflow")


def shell_kernel(name):
    """The kernel PyTorch names when refusing arithmetic node ``name`` on a shell dtype."""
    return _SHELL_REFUSED.get(name) or _REFUSED.get(name) or "add_stub"
