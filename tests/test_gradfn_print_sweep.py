"""A differential sweep of what ``print(tensor)`` shows for tensors that require grad.

Part one runs a table of a few hundred differentiable operations (``torch.*``
functions, Tensor methods and operators, in-place methods, indexing and views,
``nn.functional``, layers, losses, ``linalg``/``fft``/``special``, conversions)
through ember and through PyTorch and compares the autograd node names that
``repr`` shows (``grad_fn=<XBackward0>``) together with the names one and two
levels down ``grad_fn.next_functions``.

Part two compares printed text: ``repr``/``str`` across dtypes, shapes, values
and print options, parameters, state dicts, ``torch.Size``, formatting of
0-d tensors and ``item()`` types.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

try:
    import ember
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import ember


# -- inputs ------------------------------------------------------------------------------

_RNG = np.random.default_rng(1234)
_ARR = {
    "a": _RNG.standard_normal((3, 4)).astype(np.float32),
    "b": _RNG.standard_normal((3, 4)).astype(np.float32),
    "v": _RNG.standard_normal(4).astype(np.float32),
    "w": _RNG.standard_normal(4).astype(np.float32),
    "m": (_RNG.standard_normal((4, 4)) + 4 * np.eye(4)).astype(np.float32),
    "n": _RNG.standard_normal((4, 5)).astype(np.float32),
    "p": (_RNG.random((3, 4)) + 0.5).astype(np.float32),
    "u": (_RNG.random((3, 4)) * 1.6 - 0.8).astype(np.float32),
    "x4": _RNG.standard_normal((2, 3, 4, 5)).astype(np.float32),
    "x3": _RNG.standard_normal((2, 3, 6)).astype(np.float32),
    "s": np.float32(_RNG.standard_normal()),
    "d": _RNG.standard_normal((3, 4)),  # float64
}


def _inputs(T):
    """Fresh leaves (requiring grad) plus a few constant helpers, built with library ``T``."""
    d = {k: T.tensor(v, requires_grad=True) for k, v in _ARR.items()}
    d["c"] = T.tensor(_ARR["a"] + 1j * _ARR["b"], requires_grad=True)
    d["idx"] = T.tensor([2, 0, 1, 0])
    d["mask"] = T.tensor(_ARR["a"] > 0)
    d["tgt"] = T.tensor([1, 0, 3])
    d["prob"] = T.tensor(np.full((3, 4), 0.3, np.float32))
    return d


# -- the case table: (id, fn(T, d)) ------------------------------------------------------

_UNARY = [
    "abs",
    "neg",
    "exp",
    "exp2",
    "expm1",
    "log1p",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "sigmoid",
    "relu",
    "sign",
    "sgn",
    "floor",
    "ceil",
    "round",
    "trunc",
    "frac",
    "square",
    "erf",
    "erfc",
    "atan",
    "asinh",
    "reciprocal",
    "sinc",
    "deg2rad",
    "rad2deg",
    "fix",
    "positive",
    "nan_to_num",
    "logit",
    "i0",
    "angle",
    "signbit",
    "isnan",
]
_UNARY_POS = ["log", "log2", "log10", "sqrt", "rsqrt", "lgamma", "digamma", "acosh", "erfinv_p"]
_UNARY_UNIT = ["asin", "acos", "atanh", "erfinv", "arcsin", "arccos", "arctanh"]
_REDUCE = [
    "sum",
    "mean",
    "prod",
    "amax",
    "amin",
    "std",
    "var",
    "logsumexp",
    "norm",
    "nansum",
    "nanmean",
    "max",
    "min",
    "median",
    "nanmedian",
    "mode",
    "cumsum",
    "cumprod",
    "cummax",
    "cummin",
    "logcumsumexp",
    "softmax",
    "log_softmax",
    "argmax",
    "all",
    "any",
    "count_nonzero",
    "kthvalue",
    "sort",
    "argsort",
    "topk",
    "msort",
    "flip",
]
_INPLACE_UNARY = [
    "abs_",
    "neg_",
    "exp_",
    "sin_",
    "cos_",
    "tanh_",
    "sigmoid_",
    "relu_",
    "floor_",
    "ceil_",
    "round_",
    "trunc_",
    "square_",
    "sqrt_",
    "log_",
    "reciprocal_",
    "clamp_",
    "zero_",
    "fill_",
    "erf_",
    "sign_",
    "frac_",
    "exp2_",
    "expm1_",
    "log1p_",
    "rsqrt_",
    "atan_",
    "sinh_",
    "cosh_",
    "tan_",
    "nan_to_num_",
    "deg2rad_",
    "clamp_min_",
    "clamp_max_",
    "t_",
    "squeeze_",
    "unsqueeze_",
    "uniform_",
    "normal_",
    "bernoulli_",
]
_BINARY = [
    "add",
    "sub",
    "mul",
    "div",
    "true_divide",
    "pow",
    "atan2",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "hypot",
    "copysign",
    "remainder",
    "fmod",
    "xlogy",
    "ldexp",
    "floor_divide",
    "lerp_half",
    "dist",
    "logaddexp",
    "logaddexp2",
    "nextafter",
    "float_power",
    "rsub",
    "subtract",
    "multiply",
    "divide",
    "heaviside",
    "eq",
    "lt",
    "ge",
    "isclose",
    "dot1",
    "inner1",
    "outer1",
    "vdot1",
    "cross1",
    "kron",
    "polar",
    "complex",
]
_INPLACE_BINARY = [
    "add_",
    "sub_",
    "mul_",
    "div_",
    "pow_",
    "atan2_",
    "copy_",
    "lerp_half",
    "hypot_",
    "fmod_",
    "remainder_",
    "copysign_",
    "maximum_n",
    "xlogy_",
    "addcmul_",
    "addcdiv_",
    "masked_fill_",
    "index_fill_",
    "index_add_",
    "index_copy_",
    "scatter_",
    "scatter_add_",
    "masked_scatter_",
    "put_",
    "index_put_",
    "logaddexp_n",
    "clamp_t",
    "float_power_",
]


def _unary(name):
    if name == "erfinv_p":
        return lambda T, d: T.erfinv(d["p"] - 1)
    src = "u" if name in _UNARY_UNIT else ("p" if name in _UNARY_POS else "a")
    if name == "acosh":
        return lambda T, d: T.acosh(d["p"] + 1)
    return lambda T, d: getattr(T, name)(d[src])


def _method(name):
    src = "u" if name in _UNARY_UNIT else ("p" if name in _UNARY_POS else "a")
    if name == "acosh":
        return lambda T, d: (d["p"] + 1).acosh()
    return lambda T, d: getattr(d[src], name)()


def _reduce(name, variant):
    def fn(T, d):
        x = d["a"]
        f = getattr(T, name)
        if variant == "all":
            if name in (
                "cumsum",
                "cumprod",
                "cummax",
                "cummin",
                "logcumsumexp",
                "softmax",
                "log_softmax",
                "kthvalue",
                "topk",
            ):
                return f(x, 1) if name not in ("kthvalue", "topk") else f(x, 2)
            if name == "flip":
                return f(x, (0, 1))
            return f(x)
        if name in ("norm",):
            return f(x, dim=1)
        if name in ("kthvalue", "topk"):
            return f(x, 2, dim=0)
        if name == "msort":
            return f(x.t())
        if name == "flip":
            return f(x, (1,))
        if name in ("count_nonzero",):
            return f(x, dim=1)
        return (
            f(x, dim=0)
            if variant == "dim0"
            else f(x, 1, keepdim=True)
            if name
            not in (
                "cumsum",
                "cumprod",
                "cummax",
                "cummin",
                "logcumsumexp",
                "softmax",
                "log_softmax",
                "sort",
                "argsort",
                "mode",
                "median",
                "nanmedian",
            )
            else f(x, 0)
        )

    return fn


def _inplace_unary(name):
    def fn(T, d):
        src = "p" if name in ("sqrt_", "log_", "rsqrt_", "reciprocal_", "log1p_") else "a"
        y = d[src].clone()
        if name in ("clamp_",):
            return y.clamp_(-0.5, 0.5)
        if name in ("clamp_min_", "clamp_max_"):
            return getattr(y, name)(0.1)
        if name == "fill_":
            return y.fill_(2.0)
        if name in ("squeeze_", "unsqueeze_"):
            return getattr(y.unsqueeze(0), name)(0)
        return getattr(y, name)()

    return fn


def _binary(name):
    def fn(T, d):
        a, b, p = d["a"], d["b"], d["p"]
        if name == "lerp_half":
            return T.lerp(a, b, 0.5)
        if name in ("dot1", "inner1", "outer1", "vdot1"):
            return getattr(T, name[:-1])(d["v"], d["w"])
        if name == "cross1":
            return T.cross(a[:, :3], b[:, :3], dim=1)
        if name == "pow":
            return T.pow(p, b)
        if name == "float_power":
            return T.float_power(p, b)
        if name in ("xlogy",):
            return T.xlogy(a, p)
        if name == "ldexp":
            return T.ldexp(a, T.tensor([1, 2, 3, 4]))
        if name == "polar":
            return T.polar(p, b)
        if name == "complex":
            return T.complex(a, b)
        return getattr(T, name)(a, b)

    return fn


def _inplace_binary(name):
    def fn(T, d):
        a, b, p = d["a"], d["b"], d["p"]
        y = (p if name in ("pow_", "float_power_", "xlogy_") else a).clone()
        if name == "lerp_half":
            return y.lerp_(b, 0.5)
        if name == "maximum_n":
            return T.maximum(y, b, out=None)
        if name in ("addcmul_", "addcdiv_"):
            return getattr(y, name)(b, p, value=0.5)
        if name == "masked_fill_":
            return y.masked_fill_(d["mask"], 0.0)
        if name == "index_fill_":
            return y.index_fill_(1, d["idx"][:2], 1.5)
        if name in ("index_add_", "index_copy_"):
            return getattr(y, name)(0, T.tensor([2, 0]), b[:2])
        if name in ("scatter_", "scatter_add_"):
            return getattr(y, name)(1, T.tensor([[0, 1], [2, 3], [1, 0]]), b[:, :2])
        if name == "masked_scatter_":
            return y.masked_scatter_(d["mask"], b)
        if name == "put_":
            return y.put_(T.tensor([0, 5]), b[0, :2])
        if name == "index_put_":
            return y.index_put_((T.tensor([0, 2]),), b[:2])
        if name == "logaddexp_n":
            return T.logaddexp(y, b)
        if name == "clamp_t":
            return y.clamp_(min=b)
        return getattr(y, name)(b)

    return fn


def _F(T):
    return T.nn.functional


_MISC = {
    # operators
    "op_add": lambda T, d: d["a"] + d["b"],
    "op_add_scalar": lambda T, d: d["a"] + 1,
    "op_radd": lambda T, d: 1 + d["a"],
    "op_sub": lambda T, d: d["a"] - d["b"],
    "op_rsub": lambda T, d: 1 - d["a"],
    "op_mul": lambda T, d: d["a"] * d["b"],
    "op_mul_scalar": lambda T, d: d["a"] * 2,
    "op_rmul": lambda T, d: 2 * d["a"],
    "op_div": lambda T, d: d["a"] / d["p"],
    "op_div_scalar": lambda T, d: d["a"] / 2,
    "op_rdiv": lambda T, d: 1 / d["p"],
    "op_floordiv": lambda T, d: d["a"] // 0.3,
    "op_mod": lambda T, d: d["a"] % 0.3,
    "op_pow_scalar": lambda T, d: d["a"] ** 2,
    "op_pow_tensor": lambda T, d: d["p"] ** d["b"],
    "op_rpow": lambda T, d: 2 ** d["a"],
    "op_neg": lambda T, d: -d["a"],
    "op_pos": lambda T, d: +d["a"],
    "op_abs": lambda T, d: abs(d["a"]),
    "op_matmul": lambda T, d: d["a"] @ d["m"],
    "op_matmul_mv": lambda T, d: d["a"] @ d["v"],
    "op_matmul_vv": lambda T, d: d["v"] @ d["w"],
    "op_matmul_3d": lambda T, d: d["x3"] @ d["x3"].transpose(1, 2),
    "op_iadd": lambda T, d: _iop(d["a"].clone(), "__iadd__", d["b"]),
    "op_isub": lambda T, d: _iop(d["a"].clone(), "__isub__", 1),
    "op_imul": lambda T, d: _iop(d["a"].clone(), "__imul__", d["b"]),
    "op_idiv": lambda T, d: _iop(d["a"].clone(), "__itruediv__", 3),
    "op_ipow": lambda T, d: _iop(d["p"].clone(), "__ipow__", 2),
    "op_imatmul_cmp": lambda T, d: d["a"] > d["b"],
    # indexing and views
    "idx_int": lambda T, d: d["a"][0],
    "idx_neg": lambda T, d: d["a"][-1],
    "idx_col": lambda T, d: d["a"][:, 1],
    "idx_slice": lambda T, d: d["a"][1:],
    "idx_slice_step": lambda T, d: d["a"][:, ::2],
    "idx_full_slice": lambda T, d: d["a"][:],
    "idx_ellipsis": lambda T, d: d["a"][..., 0],
    "idx_none": lambda T, d: d["a"][None],
    "idx_none_slice": lambda T, d: d["a"][:, None],
    "idx_tensor": lambda T, d: d["a"][d["idx"]],
    "idx_list": lambda T, d: d["a"][[0, 2]],
    "idx_mask": lambda T, d: d["a"][d["mask"]],
    "idx_two_tensors": lambda T, d: d["a"][d["idx"][:3], d["tgt"]],
    "idx_int_int": lambda T, d: d["a"][1, 2],
    "idx_slice_tensor": lambda T, d: d["a"][:, d["idx"]],
    "idx_4d_mixed": lambda T, d: d["x4"][0, :, 1:3],
    "T": lambda T, d: d["a"].T,
    "mT": lambda T, d: d["x3"].mT,
    "mT2": lambda T, d: d["a"].mT,
    "H": lambda T, d: d["c"].H,
    "mH": lambda T, d: d["c"].mH,
    "t": lambda T, d: d["a"].t(),
    "t_1d": lambda T, d: d["v"].t(),
    "transpose": lambda T, d: d["a"].transpose(0, 1),
    "swapaxes": lambda T, d: d["a"].swapaxes(0, 1),
    "view": lambda T, d: d["a"].view(12),
    "view_as": lambda T, d: d["a"].view_as(d["b"]),
    "view_dtype": lambda T, d: d["a"].view(T.int32),
    "reshape": lambda T, d: d["a"].reshape(2, 6),
    "reshape_nc": lambda T, d: d["a"].t().reshape(12),
    "reshape_as": lambda T, d: d["a"].reshape_as(d["b"]),
    "flatten": lambda T, d: d["x4"].flatten(1),
    "flatten_all": lambda T, d: d["a"].flatten(),
    "flatten_1d": lambda T, d: d["v"].flatten(),
    "ravel": lambda T, d: d["a"].ravel(),
    "unflatten": lambda T, d: d["a"].unflatten(1, (2, 2)),
    "expand": lambda T, d: d["v"].expand(3, 4),
    "expand_as": lambda T, d: d["v"].expand_as(d["a"]),
    "broadcast_to": lambda T, d: T.broadcast_to(d["v"], (3, 4)),
    "permute": lambda T, d: d["x4"].permute(3, 1, 0, 2),
    "movedim": lambda T, d: T.movedim(d["x4"], 0, 3),
    "unsqueeze": lambda T, d: d["a"].unsqueeze(1),
    "squeeze": lambda T, d: d["a"].unsqueeze(0).squeeze(),
    "squeeze_dim": lambda T, d: d["a"].unsqueeze(0).squeeze(0),
    "squeeze_noop": lambda T, d: d["a"].squeeze(),
    "split0": lambda T, d: d["a"].split(2)[0],
    "split1": lambda T, d: d["a"].split(2)[1],
    "split_sizes": lambda T, d: d["a"].split([1, 3], dim=1)[1],
    "chunk": lambda T, d: d["a"].chunk(2, dim=1)[0],
    "chunk_uneven": lambda T, d: d["a"].chunk(2)[1],
    "unbind": lambda T, d: d["a"].unbind()[1],
    "unbind1": lambda T, d: T.unbind(d["a"], 1)[0],
    "tensor_split": lambda T, d: T.tensor_split(d["a"], 2, dim=1)[0],
    "hsplit": lambda T, d: T.hsplit(d["a"], 2)[0],
    "vsplit": lambda T, d: T.vsplit(d["m"], 2)[1],
    "narrow": lambda T, d: d["a"].narrow(1, 1, 2),
    "select": lambda T, d: d["a"].select(1, 2),
    "diagonal": lambda T, d: d["m"].diagonal(),
    "diag": lambda T, d: T.diag(d["m"]),
    "diag_embed": lambda T, d: T.diag_embed(d["v"]),
    "diag_1d": lambda T, d: T.diag(d["v"]),
    "tril": lambda T, d: d["m"].tril(),
    "triu": lambda T, d: d["m"].triu(1),
    "unfold": lambda T, d: d["v"].unfold(0, 2, 1),
    "as_strided": lambda T, d: d["a"].as_strided((2, 2), (1, 2)),
    "contiguous": lambda T, d: d["a"].contiguous(),
    "contiguous_nc": lambda T, d: d["a"].t().contiguous(),
    "clone": lambda T, d: d["a"].clone(),
    "detach": lambda T, d: d["a"].detach(),
    "alias_view_of_view": lambda T, d: d["a"][0][1:],
    "roll": lambda T, d: d["a"].roll(1, 0),
    "rot90": lambda T, d: d["a"].rot90(),
    "fliplr": lambda T, d: T.fliplr(d["a"]),
    "repeat": lambda T, d: d["a"].repeat(2, 1),
    "repeat_interleave": lambda T, d: d["a"].repeat_interleave(2, dim=0),
    "tile": lambda T, d: d["a"].tile((2,)),
    "atleast_2d": lambda T, d: T.atleast_2d(d["v"]),
    "atleast_3d": lambda T, d: T.atleast_3d(d["a"]),
    "take": lambda T, d: T.take(d["a"], d["idx"]),
    "gather": lambda T, d: T.gather(d["a"], 1, T.tensor([[0], [1], [2]])),
    "index_select": lambda T, d: T.index_select(d["a"], 1, d["idx"]),
    "masked_select": lambda T, d: T.masked_select(d["a"], d["mask"]),
    "masked_fill": lambda T, d: d["a"].masked_fill(d["mask"], 0.0),
    "masked_fill_t": lambda T, d: d["a"].masked_fill(d["mask"], T.tensor(1.0)),
    "take_along_dim": lambda T, d: T.take_along_dim(d["a"], T.tensor([[0], [1], [2]]), 1),
    "scatter": lambda T, d: T.scatter(d["a"], 1, T.tensor([[0], [1], [2]]), d["b"]),
    "scatter_add": lambda T, d: T.scatter_add(d["a"], 1, T.tensor([[0], [1], [2]]), d["b"]),
    "index_add": lambda T, d: T.index_add(d["a"], 0, T.tensor([2, 0]), d["b"][:2]),
    "where": lambda T, d: T.where(d["mask"], d["a"], d["b"]),
    "where_scalar": lambda T, d: T.where(d["mask"], d["a"], 0.0),
    "cat": lambda T, d: T.cat([d["a"], d["b"]]),
    "cat1": lambda T, d: T.cat([d["a"], d["b"]], 1),
    "concat": lambda T, d: T.concat([d["a"], d["b"]]),
    "stack": lambda T, d: T.stack([d["a"], d["b"]]),
    "stack1": lambda T, d: T.stack([d["a"], d["b"]], 1),
    "hstack": lambda T, d: T.hstack([d["a"], d["b"]]),
    "vstack": lambda T, d: T.vstack([d["a"], d["b"]]),
    "dstack": lambda T, d: T.dstack([d["a"], d["b"]]),
    "column_stack": lambda T, d: T.column_stack([d["v"], d["w"]]),
    "meshgrid": lambda T, d: T.meshgrid(d["v"], d["w"], indexing="ij")[0],
    "cartesian_prod": lambda T, d: T.cartesian_prod(d["v"], d["w"]),
    "block_diag": lambda T, d: T.block_diag(d["a"], d["m"]),
    "einsum": lambda T, d: T.einsum("ij,jk->ik", d["a"], d["m"]),
    "einsum_trace": lambda T, d: T.einsum("ii", d["m"]),
    "tensordot": lambda T, d: T.tensordot(d["a"], d["m"], dims=1),
    "mm": lambda T, d: T.mm(d["a"], d["m"]),
    "mv": lambda T, d: T.mv(d["a"], d["v"]),
    "bmm": lambda T, d: T.bmm(d["x3"], d["x3"].transpose(1, 2)),
    "addmm": lambda T, d: T.addmm(d["v"], d["a"], d["m"]),
    "addmv": lambda T, d: T.addmv(d["v"][:3], d["a"], d["v"]),
    "addbmm": lambda T, d: T.addbmm(d["m"][:2, :2], d["x3"][:, :2], d["x3"].mT[:, :, :2]),
    "baddbmm": lambda T, d: T.baddbmm(d["x3"][:, :, :3], d["x3"], d["x3"].transpose(1, 2)),
    "addr": lambda T, d: T.addr(d["m"], d["v"], d["w"]),
    "addcmul": lambda T, d: T.addcmul(d["a"], d["b"], d["p"]),
    "addcdiv": lambda T, d: T.addcdiv(d["a"], d["b"], d["p"]),
    "matmul_fn": lambda T, d: T.matmul(d["a"], d["m"]),
    "chain_matmul": lambda T, d: T.linalg.multi_dot([d["a"], d["m"], d["n"]]),
    "trace": lambda T, d: T.trace(d["m"]),
    "clamp": lambda T, d: T.clamp(d["a"], -0.5, 0.5),
    "clamp_min": lambda T, d: T.clamp(d["a"], min=0.0),
    "clamp_max": lambda T, d: d["a"].clamp(max=0.0),
    "clamp_tensor": lambda T, d: T.clamp(d["a"], min=d["b"]),
    "clip": lambda T, d: T.clip(d["a"], -0.5, 0.5),
    "clamp_min_fn": lambda T, d: T.clamp_min(d["a"], 0.1),
    "lerp_t": lambda T, d: T.lerp(d["a"], d["b"], d["p"]),
    "cdist": lambda T, d: T.cdist(d["a"], d["b"]),
    "cosine_sim": lambda T, d: T.cosine_similarity(d["a"], d["b"]),
    "pdist": lambda T, d: T.pdist(d["a"]),
    "cov": lambda T, d: T.cov(d["a"]),
    "corrcoef": lambda T, d: T.corrcoef(d["a"]),
    "diff": lambda T, d: T.diff(d["a"]),
    "trapz": lambda T, d: T.trapezoid(d["a"]),
    "cumulative_trapz": lambda T, d: T.cumulative_trapezoid(d["a"]),
    "renorm": lambda T, d: d["a"].renorm(2, 0, 1.0),
    "std_mean": lambda T, d: T.std_mean(d["a"])[0],
    "var_mean1": lambda T, d: T.var_mean(d["a"], 1)[1],
    "aminmax": lambda T, d: T.aminmax(d["a"])[0],
    "max_bin": lambda T, d: T.max(d["a"], d["b"]),
    "min_dim_vals": lambda T, d: d["a"].min(1).values,
    "max_dim_idx": lambda T, d: d["a"].max(1)[1],
    "sum_dtype": lambda T, d: d["a"].sum(dtype=T.float64),
    "sum_keep": lambda T, d: d["a"].sum((0, 1), keepdim=True),
    "mean_dims": lambda T, d: d["a"].mean((0, 1)),
    "sum_to_size": lambda T, d: d["a"].sum_to_size(1, 4),
    "sort_vals": lambda T, d: d["a"].sort(1).values,
    "sort_desc": lambda T, d: T.sort(d["a"], descending=True)[0],
    "norm_p1": lambda T, d: d["a"].norm(p=1),
    "norm_fro_dim": lambda T, d: T.norm(d["a"], dim=(0, 1)),
    "norm_inf": lambda T, d: d["a"].norm(float("inf")),
    "dist_p1": lambda T, d: T.dist(d["a"], d["b"], 1),
    "mean_dtype": lambda T, d: d["a"].mean(dtype=T.float64),
    "std_unbiased0": lambda T, d: d["a"].std(unbiased=False),
    "var_corr": lambda T, d: d["a"].var(1, correction=0),
    "prod_dim": lambda T, d: d["a"].prod(1),
    "softmax_dtype": lambda T, d: T.softmax(d["a"], 1, dtype=T.float64),
    # conversions
    "double": lambda T, d: d["a"].double(),
    "float_same": lambda T, d: d["a"].float(),
    "half": lambda T, d: d["a"].half(),
    "bfloat16": lambda T, d: d["a"].bfloat16(),
    "to_dtype": lambda T, d: d["a"].to(T.float64),
    "to_same": lambda T, d: d["a"].to(T.float32),
    "to_cpu": lambda T, d: d["a"].to("cpu"),
    "cpu": lambda T, d: d["a"].cpu(),
    "type_str": lambda T, d: d["a"].type(T.float64),
    "type_as": lambda T, d: d["a"].type_as(d["d"]),
    "to_copy": lambda T, d: d["a"].to(T.float32, copy=True),
    "to_complex": lambda T, d: d["a"].to(T.complex64),
    "long": lambda T, d: d["a"].long(),
    "bool": lambda T, d: d["a"].bool(),
    "requires_grad_leaf": lambda T, d: d["a"],
    "leaf_f64": lambda T, d: d["d"],
    "leaf_0d": lambda T, d: d["s"],
    "leaf_cplx": lambda T, d: d["c"],
    "new_zeros": lambda T, d: d["a"].new_zeros(2),
    "zeros_like": lambda T, d: T.zeros_like(d["a"]),
    "ones_like_rg": lambda T, d: T.ones_like(d["a"], requires_grad=True),
    "new_tensor": lambda T, d: d["a"].new_tensor([1.0, 2.0]),
    "tensor_of_tensor": lambda T, d: T.as_tensor(d["a"]),
    "add_out_alpha": lambda T, d: T.add(d["a"], d["b"], alpha=2),
    "sub_alpha": lambda T, d: T.sub(d["a"], d["b"], alpha=2),
    "mul_bool": lambda T, d: d["a"] * d["mask"],
    "add_int": lambda T, d: d["a"] + d["idx"][:1],
    "add_f64_f32": lambda T, d: d["a"] + d["d"],
    "div_floor": lambda T, d: T.div(d["a"], d["p"], rounding_mode="floor"),
    "div_trunc": lambda T, d: T.div(d["a"], d["p"], rounding_mode="trunc"),
    "pow_scalar_fn": lambda T, d: T.pow(2, d["a"]),
    "pow_0": lambda T, d: d["a"] ** 0,
    "pow_1": lambda T, d: d["a"] ** 1,
    "pow_half": lambda T, d: d["p"] ** 0.5,
    "pow_neg": lambda T, d: d["p"] ** -1,
    "sum_0d": lambda T, d: d["s"].sum(),
    "mul_0d": lambda T, d: d["s"] * d["a"],
    # complex
    "real": lambda T, d: d["c"].real,
    "imag": lambda T, d: d["c"].imag,
    "conj": lambda T, d: d["c"].conj(),
    "conj_physical": lambda T, d: T.conj_physical(d["c"]),
    "abs_c": lambda T, d: d["c"].abs(),
    "angle_c": lambda T, d: d["c"].angle(),
    "view_as_real": lambda T, d: T.view_as_real(d["c"]),
    "view_as_complex": lambda T, d: T.view_as_complex(d["x3"][:, :, :2].contiguous()),
    "mul_c": lambda T, d: d["c"] * d["c"],
    "exp_c": lambda T, d: d["c"].exp(),
    "sum_c": lambda T, d: d["c"].sum(),
    "resolve_conj": lambda T, d: d["c"].conj().resolve_conj(),
    # in-place through views
    "view_inplace_base": lambda T, d: _view_inplace(d["a"].clone(), 0),
    "view_inplace_view": lambda T, d: _view_inplace(d["a"].clone(), 1),
    "setitem": lambda T, d: _setitem(d["a"].clone(), d["b"]),
    "setitem_mask": lambda T, d: _setitem_mask(d["a"].clone(), d["mask"]),
    "setitem_tensor_idx": lambda T, d: _setitem_idx(d["a"].clone(), d["idx"][:3], d["b"]),
    "detach_inplace": lambda T, d: d["a"].clone().detach_(),
    "requires_grad_": lambda T, d: T.tensor([1.0, 2.0]).requires_grad_(),
    "t_inplace": lambda T, d: d["a"].clone().t_(),
    "transpose_": lambda T, d: d["a"].clone().transpose_(0, 1),
    "resize_as_": lambda T, d: d["a"].clone().detach().resize_as_(d["b"]),
    "copy_from_f64": lambda T, d: d["a"].clone().copy_(d["d"]),
    "copy_into_const": lambda T, d: T.zeros(3, 4).copy_(d["a"]),
    "add_into_const": lambda T, d: T.zeros(3, 4).add_(d["a"]),
    "mul_into_const_view": lambda T, d: _into_const_view(T, d["v"]),
    # linalg
    "inverse": lambda T, d: T.inverse(d["m"]),
    "linalg_inv": lambda T, d: T.linalg.inv(d["m"]),
    "det": lambda T, d: T.det(d["m"]),
    "linalg_det": lambda T, d: T.linalg.det(d["m"]),
    "logdet": lambda T, d: T.logdet(d["m"]),
    "slogdet": lambda T, d: T.linalg.slogdet(d["m"])[1],
    "slogdet_sign": lambda T, d: T.slogdet(d["m"])[0],
    "solve": lambda T, d: T.linalg.solve(d["m"], d["v"]),
    "cholesky": lambda T, d: T.linalg.cholesky(d["m"] @ d["m"].mT),
    "cholesky_old": lambda T, d: T.cholesky(d["m"] @ d["m"].mT),
    "qr_q": lambda T, d: T.linalg.qr(d["m"])[0],
    "qr_r": lambda T, d: T.linalg.qr(d["m"]).R,
    "svd_u": lambda T, d: T.linalg.svd(d["m"])[0],
    "svd_s": lambda T, d: T.linalg.svd(d["m"]).S,
    "svdvals": lambda T, d: T.linalg.svdvals(d["m"]),
    "eigh_vals": lambda T, d: T.linalg.eigh(d["m"] + d["m"].mT)[0],
    "eigvalsh": lambda T, d: T.linalg.eigvalsh(d["m"] + d["m"].mT),
    "eig_vals": lambda T, d: T.linalg.eig(d["m"])[0],
    "eigvals": lambda T, d: T.linalg.eigvals(d["m"]),
    "pinv": lambda T, d: T.linalg.pinv(d["a"]),
    "matrix_power": lambda T, d: T.linalg.matrix_power(d["m"], 3),
    "matrix_exp": lambda T, d: T.linalg.matrix_exp(d["m"]),
    "norm_l": lambda T, d: T.linalg.norm(d["a"]),
    "vector_norm": lambda T, d: T.linalg.vector_norm(d["a"]),
    "vector_norm_ord1": lambda T, d: T.linalg.vector_norm(d["a"], 1, dim=1),
    "matrix_norm": lambda T, d: T.linalg.matrix_norm(d["m"]),
    "matrix_norm_nuc": lambda T, d: T.linalg.matrix_norm(d["m"], "nuc"),
    "cond": lambda T, d: T.linalg.cond(d["m"]),
    "lstsq": lambda T, d: T.linalg.lstsq(d["m"], d["n"]).solution,
    "lu_factor": lambda T, d: T.linalg.lu_factor(d["m"])[0],
    "lu_p": lambda T, d: T.linalg.lu(d["m"])[1],
    "tri_solve": lambda T, d: T.linalg.solve_triangular(d["m"].triu(), d["n"], upper=True),
    "linalg_cross": lambda T, d: T.linalg.cross(d["a"][:, :3], d["b"][:, :3]),
    "vecdot": lambda T, d: T.linalg.vecdot(d["a"], d["b"]),
    "linalg_diagonal": lambda T, d: T.linalg.diagonal(d["m"]),
    "householder": lambda T, d: T.linalg.householder_product(d["m"], d["v"][:2]),
    "matrix_rank_f": lambda T, d: T.linalg.matrix_rank(d["m"]),
    # fft
    "fft": lambda T, d: T.fft.fft(d["v"]),
    "ifft": lambda T, d: T.fft.ifft(d["v"]),
    "rfft": lambda T, d: T.fft.rfft(d["v"]),
    "irfft": lambda T, d: T.fft.irfft(d["c"][0]),
    "fft2": lambda T, d: T.fft.fft2(d["a"]),
    "fftn": lambda T, d: T.fft.fftn(d["a"]),
    "rfft2": lambda T, d: T.fft.rfft2(d["a"]),
    "hfft": lambda T, d: T.fft.hfft(d["c"][0]),
    "ihfft": lambda T, d: T.fft.ihfft(d["v"]),
    "fftshift": lambda T, d: T.fft.fftshift(d["v"]),
    "fft_ortho": lambda T, d: T.fft.fft(d["v"], norm="ortho"),
    "fft_c": lambda T, d: T.fft.fft(d["c"]),
    # special
    "sp_expit": lambda T, d: T.special.expit(d["a"]),
    "sp_logit": lambda T, d: T.special.logit(d["prob"] + 0 * d["a"]),
    "sp_erf": lambda T, d: T.special.erf(d["a"]),
    "sp_erfcx": lambda T, d: T.special.erfcx(d["a"]),
    "sp_gammaln": lambda T, d: T.special.gammaln(d["p"]),
    "sp_digamma": lambda T, d: T.special.digamma(d["p"]),
    "sp_polygamma": lambda T, d: T.special.polygamma(1, d["p"]),
    "sp_multigammaln": lambda T, d: T.special.multigammaln(d["p"] + 2, 2),
    "sp_i0e": lambda T, d: T.special.i0e(d["a"]),
    "sp_i1": lambda T, d: T.special.i1(d["a"]),
    "sp_i1e": lambda T, d: T.special.i1e(d["a"]),
    "sp_ndtr": lambda T, d: T.special.ndtr(d["a"]),
    "sp_ndtri": lambda T, d: T.special.ndtri(d["prob"] + 0 * d["a"]),
    "sp_log_ndtr": lambda T, d: T.special.log_ndtr(d["a"]),
    "sp_xlog1py": lambda T, d: T.special.xlog1py(d["a"], d["p"]),
    "sp_xlogy": lambda T, d: T.special.xlogy(d["a"], d["p"]),
    "sp_entr": lambda T, d: T.special.entr(d["p"]),
    "sp_sinc": lambda T, d: T.special.sinc(d["a"]),
    "sp_softmax": lambda T, d: T.special.softmax(d["a"], 1),
    "sp_log_softmax": lambda T, d: T.special.log_softmax(d["a"], 1),
    "sp_logsumexp": lambda T, d: T.special.logsumexp(d["a"], 1),
    "sp_round": lambda T, d: T.special.round(d["a"]),
    "sp_exp2": lambda T, d: T.special.exp2(d["a"]),
    "sp_expm1": lambda T, d: T.special.expm1(d["a"]),
    "sp_log1p": lambda T, d: T.special.log1p(d["p"]),
    "sp_zeta": lambda T, d: T.special.zeta(d["p"] + 1, 2.0),
    "mvlgamma": lambda T, d: T.mvlgamma(d["p"] + 2, 2),
    "polygamma_m": lambda T, d: d["p"].polygamma(2),
    "igamma": lambda T, d: T.igamma(d["p"], d["p"]),
    "lgamma_m": lambda T, d: d["p"].lgamma(),
    # more shapes of the same ops
    "cdist_mm": lambda T, d: T.cdist(d["x4"].reshape(30, 4), d["x4"].reshape(30, 4)[:5]),
    "cdist_p1": lambda T, d: T.cdist(d["a"], d["b"], p=1),
    "cond_m2": lambda T, d: T.linalg.cond(d["m"], -2),
    "matrix_power_2": lambda T, d: T.linalg.matrix_power(d["m"], 2),
    "matrix_power_5": lambda T, d: T.linalg.matrix_power(d["m"], 5),
    "matrix_power_6": lambda T, d: T.linalg.matrix_power(d["m"], 6),
    "matrix_power_0": lambda T, d: T.linalg.matrix_power(d["m"], 0),
    "repeat_interleave_flat": lambda T, d: d["a"].repeat_interleave(2),
    "repeat_interleave_t": lambda T, d: d["a"].repeat_interleave(T.tensor([1, 2, 1]), dim=0),
    "repeat_interleave_1d": lambda T, d: T.repeat_interleave(d["v"], 3),
    "atleast_1d_0d": lambda T, d: T.atleast_1d(d["s"]),
    "atleast_2d_0d": lambda T, d: T.atleast_2d(d["s"]),
    "atleast_3d_1d": lambda T, d: T.atleast_3d(d["v"]),
    "atleast_3d_0d": lambda T, d: T.atleast_3d(d["s"]),
    "multi_dot_vec": lambda T, d: T.linalg.multi_dot([d["v"], d["m"], d["w"]]),
    "multi_dot_2": lambda T, d: T.linalg.multi_dot([d["a"], d["m"]]),
    "multi_dot_vm": lambda T, d: T.linalg.multi_dot([d["v"], d["m"]]),
    "tensordot_2": lambda T, d: T.tensordot(d["x4"][0], d["x4"][1, :, :, :2], ([0, 1], [0, 1])),
    "tensordot_perm": lambda T, d: T.tensordot(d["x3"], d["x4"][0, :2, 0, :3], ([0, 1], [0, 1])),
    "tensordot_0": lambda T, d: T.tensordot(d["v"], d["w"], 0),
    "inner_2d": lambda T, d: T.inner(d["a"], d["b"]),
    "index_fill_t": lambda T, d: T.index_fill(d["a"], 1, d["idx"][:2], d["s"]),
    "fill_t": lambda T, d: d["a"].clone().fill_(d["s"]),
    "op_rmod": lambda T, d: 2 % d["p"],
    "op_rfloordiv": lambda T, d: 2 // d["p"],
    "fmod_scalar": lambda T, d: T.fmod(d["a"], 0.3),
    "fmod_tensor": lambda T, d: T.fmod(d["a"], d["p"]),
    "remainder_tensor": lambda T, d: T.remainder(d["a"], d["p"]),
    "op_radd_tensor": lambda T, d: d["a"].__radd__(d["b"]),
    "op_rmul_tensor": lambda T, d: d["a"].__rmul__(d["b"]),
    "squeeze_inplace_dims": lambda T, d: d["a"].clone().unsqueeze(0).squeeze_((0,)),
    "swapaxes_": lambda T, d: d["a"].clone().swapaxes_(0, 1),
    "sum_dtype_dim": lambda T, d: d["a"].sum(1, dtype=T.float64),
    "mean_dtype_dim": lambda T, d: d["a"].mean(0, dtype=T.float64),
    "std_mean_dim": lambda T, d: T.std_mean(d["a"], 1),
    "aminmax_dim": lambda T, d: T.aminmax(d["a"], dim=0),
    "lu_factor_piv": lambda T, d: T.linalg.lu_factor(d["m"]),
    "lu_all": lambda T, d: T.linalg.lu(d["m"]),
    "lstsq_all": lambda T, d: T.linalg.lstsq(d["m"], d["n"]),
    "pinverse": lambda T, d: T.pinverse(d["m"]),
    "cross_nodim": lambda T, d: T.cross(d["a"][:, :3], d["b"][:, :3], dim=-1),
    "rot90_2": lambda T, d: T.rot90(d["a"], 2),
    "rot90_0": lambda T, d: T.rot90(d["a"], 0),
    "renorm_inplace": lambda T, d: d["a"].clone().renorm_(2, 0, 1.0),
    "trace_sum": lambda T, d: T.trace(d["m"]) + d["s"],
    "trapz_x": lambda T, d: T.trapezoid(d["a"], d["b"]),
    "trapz_dx": lambda T, d: T.trapezoid(d["a"], dx=0.5),
    "polar_abs_only": lambda T, d: T.polar(d["p"], T.ones(3, 4)),
    "ldexp_int": lambda T, d: T.ldexp(d["a"], T.tensor(2)),
    "addcmul_value": lambda T, d: T.addcmul(d["a"], d["b"], d["p"], value=0.5),
    "addcmul_const_a": lambda T, d: T.addcmul(T.zeros(3, 4), d["b"], d["p"]),
    "dist_inf": lambda T, d: T.dist(d["a"], d["b"], float("inf")),
    "addmv_beta": lambda T, d: T.addmv(d["v"][:3], d["a"], d["v"], beta=0.5, alpha=2),
    "baddbmm_beta0": lambda T, d: T.baddbmm(d["x3"][:, :, :3], d["x3"], d["x3"].mT, beta=0),
    "block_diag_1d": lambda T, d: T.block_diag(d["v"], d["s"], d["a"]),
    "diag_embed_off": lambda T, d: T.diag_embed(d["a"], 1),
    "put_accumulate": lambda T, d: T.put(d["a"], T.tensor([0, 5]), d["b"][0, :2], True),
    "householder_2": lambda T, d: T.linalg.householder_product(d["n"].mT, d["v"][:3]),
    "solve_left_false": lambda T, d: T.linalg.solve(d["m"], d["a"], left=False),
    "solve_tri_lower": lambda T, d: T.linalg.solve_triangular(d["m"].tril(), d["n"], upper=False),
    "var_mean_all": lambda T, d: T.var_mean(d["a"]),
    "bilinear_1d": lambda T, d: T.nn.functional.bilinear(d["v"], d["w"], d["x4"][0, :, :4, :4]),
}


def _iop(x, op, other):
    return getattr(x, op)(other)


def _view_inplace(y, which):
    v = y[0]
    v.mul_(2)
    return y if which == 0 else v


def _setitem(y, b):
    y[0] = b[1]
    return y


def _setitem_mask(y, mask):
    y[mask] = 0.0
    return y


def _setitem_idx(y, idx, b):
    y[idx] = b
    return y


def _into_const_view(T, v):
    z = T.zeros(3, 4)
    z[1].mul_(v)
    z[1].add_(v)
    return z


_NN_F = {
    "relu": lambda T, F, d: F.relu(d["a"]),
    "relu6": lambda T, F, d: F.relu6(d["a"]),
    "leaky_relu": lambda T, F, d: F.leaky_relu(d["a"], 0.1),
    "elu": lambda T, F, d: F.elu(d["a"]),
    "selu": lambda T, F, d: F.selu(d["a"]),
    "celu": lambda T, F, d: F.celu(d["a"]),
    "gelu": lambda T, F, d: F.gelu(d["a"]),
    "gelu_tanh": lambda T, F, d: F.gelu(d["a"], approximate="tanh"),
    "silu": lambda T, F, d: F.silu(d["a"]),
    "mish": lambda T, F, d: F.mish(d["a"]),
    "softplus": lambda T, F, d: F.softplus(d["a"]),
    "softsign": lambda T, F, d: F.softsign(d["a"]),
    "hardtanh": lambda T, F, d: F.hardtanh(d["a"]),
    "hardsigmoid": lambda T, F, d: F.hardsigmoid(d["a"]),
    "hardswish": lambda T, F, d: F.hardswish(d["a"]),
    "hardshrink": lambda T, F, d: F.hardshrink(d["a"]),
    "softshrink": lambda T, F, d: F.softshrink(d["a"]),
    "tanhshrink": lambda T, F, d: F.tanhshrink(d["a"]),
    "threshold": lambda T, F, d: F.threshold(d["a"], 0.1, 0.0),
    "logsigmoid": lambda T, F, d: F.logsigmoid(d["a"]),
    "prelu": lambda T, F, d: F.prelu(d["a"], T.tensor([0.25])),
    "rrelu_eval": lambda T, F, d: F.rrelu(d["a"], training=False),
    "glu": lambda T, F, d: F.glu(d["a"]),
    "sigmoid": lambda T, F, d: F.sigmoid(d["a"]),
    "tanh": lambda T, F, d: F.tanh(d["a"]),
    "softmax": lambda T, F, d: F.softmax(d["a"], dim=1),
    "softmin": lambda T, F, d: F.softmin(d["a"], dim=1),
    "log_softmax": lambda T, F, d: F.log_softmax(d["a"], dim=1),
    "gumbel_like_normalize": lambda T, F, d: F.normalize(d["a"]),
    "linear": lambda T, F, d: F.linear(d["a"], d["m"]),
    "linear_bias": lambda T, F, d: F.linear(d["a"], d["m"], d["v"]),
    "linear_1d": lambda T, F, d: F.linear(d["v"], d["m"], d["v"]),
    "linear_3d": lambda T, F, d: F.linear(d["x3"], d["x3"][0]),
    "bilinear": lambda T, F, d: F.bilinear(d["a"], d["b"], d["x4"][0, :, :4, :4]),
    "conv1d": lambda T, F, d: F.conv1d(d["x3"], d["x4"][:, :, 0, :2]),
    "conv2d": lambda T, F, d: F.conv2d(d["x4"], d["x4"][:2, :, :2, :2]),
    "conv2d_bias": lambda T, F, d: F.conv2d(d["x4"], d["x4"][:2, :, :2, :2], d["v"][:2]),
    "conv_t2d": lambda T, F, d: F.conv_transpose2d(d["x4"], d["x4"][0, :, :2, :2, None]),
    "max_pool2d": lambda T, F, d: F.max_pool2d(d["x4"], 2),
    "max_pool2d_idx": lambda T, F, d: F.max_pool2d(d["x4"], 2, return_indices=True)[0],
    "max_pool1d": lambda T, F, d: F.max_pool1d(d["x3"], 2),
    "avg_pool2d": lambda T, F, d: F.avg_pool2d(d["x4"], 2),
    "avg_pool1d": lambda T, F, d: F.avg_pool1d(d["x3"], 2),
    "adaptive_avg2d": lambda T, F, d: F.adaptive_avg_pool2d(d["x4"], 1),
    "adaptive_avg2d_2": lambda T, F, d: F.adaptive_avg_pool2d(d["x4"], (2, 2)),
    "adaptive_max2d": lambda T, F, d: F.adaptive_max_pool2d(d["x4"], 2),
    "adaptive_avg1d": lambda T, F, d: F.adaptive_avg_pool1d(d["x3"], 3),
    "lp_pool2d": lambda T, F, d: F.lp_pool2d(d["x4"], 2, 2),
    "pad_const": lambda T, F, d: F.pad(d["a"], (1, 1)),
    "pad_reflect": lambda T, F, d: F.pad(d["x4"], (1, 1, 1, 1), mode="reflect"),
    "pad_replicate": lambda T, F, d: F.pad(d["x4"], (1, 1, 1, 1), mode="replicate"),
    "pad_circular": lambda T, F, d: F.pad(d["x4"], (1, 1, 1, 1), mode="circular"),
    "interp_nearest": lambda T, F, d: F.interpolate(d["x4"], scale_factor=2),
    "interp_bilinear": lambda T, F, d: F.interpolate(d["x4"], scale_factor=2, mode="bilinear"),
    "interp_bicubic": lambda T, F, d: F.interpolate(d["x4"], size=(5, 6), mode="bicubic"),
    "interp_linear": lambda T, F, d: F.interpolate(d["x3"], scale_factor=2, mode="linear"),
    "pixel_shuffle": lambda T, F, d: F.pixel_shuffle(d["x4"][:, :, :, :4].reshape(2, 12, 2, 2), 2),
    "unfold": lambda T, F, d: F.unfold(d["x4"], 2),
    "fold": lambda T, F, d: F.fold(d["x3"][:, :, :4].repeat(1, 4, 1), (3, 3), 2),
    "dropout_eval": lambda T, F, d: F.dropout(d["a"], training=False),
    "dropout_p0": lambda T, F, d: F.dropout(d["a"], 0.0),
    "dropout_train": lambda T, F, d: F.dropout(d["a"], 0.5),
    "dropout2d_eval": lambda T, F, d: F.dropout2d(d["x4"], training=False),
    "alpha_dropout_eval": lambda T, F, d: F.alpha_dropout(d["a"], training=False),
    "batch_norm": lambda T, F, d: F.batch_norm(d["x4"], T.zeros(3), T.ones(3), training=True),
    "batch_norm_eval": lambda T, F, d: F.batch_norm(d["x4"], T.zeros(3), T.ones(3)),
    "batch_norm_affine": lambda T, F, d: F.batch_norm(
        d["x4"], None, None, d["v"][:3], d["w"][:3], training=True
    ),
    "layer_norm": lambda T, F, d: F.layer_norm(d["a"], (4,)),
    "layer_norm_affine": lambda T, F, d: F.layer_norm(d["a"], (4,), d["v"], d["w"]),
    "group_norm": lambda T, F, d: F.group_norm(d["x4"], 3),
    "instance_norm": lambda T, F, d: F.instance_norm(d["x4"]),
    "rms_norm": lambda T, F, d: F.rms_norm(d["a"], (4,)),
    "local_response_norm": lambda T, F, d: F.local_response_norm(d["x4"], 2),
    "embedding": lambda T, F, d: F.embedding(d["idx"], d["a"]),
    "embedding_bag": lambda T, F, d: F.embedding_bag(d["idx"][:3].view(1, 3), d["a"]),
    "one_hot": lambda T, F, d: F.one_hot(d["tgt"]),
    "cos_sim": lambda T, F, d: F.cosine_similarity(d["a"], d["b"]),
    "pairwise": lambda T, F, d: F.pairwise_distance(d["a"], d["b"]),
    "sdpa": lambda T, F, d: F.scaled_dot_product_attention(d["x3"], d["x3"], d["x3"]),
    "gumbel_hard": lambda T, F, d: F.gumbel_softmax(d["a"], hard=True).sum(),
    "affine_grid": lambda T, F, d: F.affine_grid(
        d["x3"][:, :2, :3], (2, 1, 2, 2), align_corners=False
    ),
    "grid_sample": lambda T, F, d: F.grid_sample(
        d["x4"], d["x4"][:, :2].permute(0, 2, 3, 1).tanh(), align_corners=False
    ),
    "channel_shuffle": lambda T, F, d: F.channel_shuffle(d["x4"][:, :2], 2),
}

_LOSSES = {
    "mse": lambda F, d, r: F.mse_loss(d["a"], d["b"], reduction=r),
    "l1": lambda F, d, r: F.l1_loss(d["a"], d["b"], reduction=r),
    "smooth_l1": lambda F, d, r: F.smooth_l1_loss(d["a"], d["b"], reduction=r),
    "huber": lambda F, d, r: F.huber_loss(d["a"], d["b"], reduction=r),
    "ce": lambda F, d, r: F.cross_entropy(d["a"], d["tgt"], reduction=r),
    "ce_smooth": lambda F, d, r: F.cross_entropy(
        d["a"], d["tgt"], reduction=r, label_smoothing=0.1
    ),
    "ce_prob": lambda F, d, r: F.cross_entropy(d["a"], d["prob"], reduction=r),
    "nll": lambda F, d, r: F.nll_loss(d["a"], d["tgt"], reduction=r),
    "bce": lambda F, d, r: F.binary_cross_entropy(d["a"].sigmoid(), d["prob"], reduction=r),
    "bce_logits": lambda F, d, r: F.binary_cross_entropy_with_logits(
        d["a"], d["prob"], reduction=r
    ),
    "kl_div": lambda F, d, r: F.kl_div(d["a"], d["prob"], reduction=r),
    "soft_margin": lambda F, d, r: F.soft_margin_loss(d["a"], d["b"].sign().detach(), reduction=r),
    "margin_ranking": lambda F, d, r: F.margin_ranking_loss(
        d["v"], d["w"], d["v"].sign(), reduction=r
    ),
    "hinge_emb": lambda F, d, r: F.hinge_embedding_loss(d["a"], d["b"].sign(), reduction=r),
    "poisson_nll": lambda F, d, r: F.poisson_nll_loss(d["a"], d["p"], reduction=r),
    "gaussian_nll": lambda F, d, r: F.gaussian_nll_loss(d["a"], d["b"], d["p"], reduction=r),
    "cosine_emb": lambda F, d, r: F.cosine_embedding_loss(
        d["a"], d["b"], d["v"][:3].sign(), reduction=r
    ),
    "multi_margin": lambda F, d, r: F.multi_margin_loss(d["a"], d["tgt"], reduction=r),
    "multilabel_soft": lambda F, d, r: F.multilabel_soft_margin_loss(
        d["a"], d["prob"], reduction=r
    ),
    "triplet": lambda F, d, r: F.triplet_margin_loss(d["a"], d["b"], d["p"], reduction=r),
}

_LAYERS = {
    "Linear": lambda nn: (nn.Linear(4, 3), (3, 4)),
    "Linear_nobias": lambda nn: (nn.Linear(4, 3, bias=False), (3, 4)),
    "Linear_3d": lambda nn: (nn.Linear(4, 3), (2, 3, 4)),
    "Bilinear": lambda nn: (nn.Bilinear(4, 4, 2), None),
    "Conv1d": lambda nn: (nn.Conv1d(3, 2, 2), (2, 3, 6)),
    "Conv2d": lambda nn: (nn.Conv2d(3, 2, 2), (2, 3, 4, 5)),
    "Conv2d_pad": lambda nn: (nn.Conv2d(3, 2, 3, padding=1), (2, 3, 4, 5)),
    "ConvTranspose2d": lambda nn: (nn.ConvTranspose2d(3, 2, 2), (2, 3, 4, 5)),
    "BatchNorm1d": lambda nn: (nn.BatchNorm1d(4), (3, 4)),
    "BatchNorm2d": lambda nn: (nn.BatchNorm2d(3), (2, 3, 4, 5)),
    "LayerNorm": lambda nn: (nn.LayerNorm(4), (3, 4)),
    "GroupNorm": lambda nn: (nn.GroupNorm(1, 3), (2, 3, 4, 5)),
    "InstanceNorm2d": lambda nn: (nn.InstanceNorm2d(3), (2, 3, 4, 5)),
    "RMSNorm": lambda nn: (nn.RMSNorm(4), (3, 4)),
    "Embedding": lambda nn: (nn.Embedding(5, 3), "idx"),
    "ReLU": lambda nn: (nn.ReLU(), (3, 4)),
    "ReLU_inplace": lambda nn: (nn.ReLU(inplace=True), "clone"),
    "GELU": lambda nn: (nn.GELU(), (3, 4)),
    "Softmax": lambda nn: (nn.Softmax(dim=1), (3, 4)),
    "Flatten": lambda nn: (nn.Flatten(), (2, 3, 4, 5)),
    "Unflatten": lambda nn: (nn.Unflatten(1, (2, 2)), (3, 4)),
    "Identity": lambda nn: (nn.Identity(), (3, 4)),
    "Dropout_eval": lambda nn: (nn.Dropout().eval(), (3, 4)),
    "MaxPool2d": lambda nn: (nn.MaxPool2d(2), (2, 3, 4, 5)),
    "AvgPool2d": lambda nn: (nn.AvgPool2d(2), (2, 3, 4, 5)),
    "AdaptiveAvgPool2d": lambda nn: (nn.AdaptiveAvgPool2d(1), (2, 3, 4, 5)),
    "Sequential": lambda nn: (
        nn.Sequential(nn.Flatten(), nn.Linear(60, 3), nn.ReLU()),
        (2, 3, 4, 5),
    ),
    "Sequential_logits": lambda nn: (
        nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)),
        (3, 4),
    ),
    "RNN": lambda nn: (nn.RNN(4, 3, batch_first=True), (2, 3, 4)),
    "LSTM": lambda nn: (nn.LSTM(4, 3, batch_first=True), (2, 3, 4)),
    "GRU": lambda nn: (nn.GRU(4, 3), (2, 3, 4)),
    "MultiheadAttention": lambda nn: (nn.MultiheadAttention(4, 2, batch_first=True), "mha"),
    "TransformerEncoderLayer": lambda nn: (
        nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, batch_first=True),
        (2, 3, 4),
    ),
    "Upsample": lambda nn: (nn.Upsample(scale_factor=2), (2, 3, 4, 5)),
    "PixelShuffle": lambda nn: (nn.PixelShuffle(2), "ps"),
    "ZeroPad2d": lambda nn: (nn.ZeroPad2d(1), (2, 3, 4, 5)),
    "RNN_2layers": lambda nn: (nn.RNN(4, 3, num_layers=2, batch_first=True), (2, 3, 4)),
    "RNN_seq_first": lambda nn: (nn.RNN(4, 3), (2, 3, 4)),
    "GRU_batch_first": lambda nn: (nn.GRU(4, 3, batch_first=True), (2, 3, 4)),
    "LSTM_seq_first": lambda nn: (nn.LSTM(4, 3), (2, 3, 4)),
    "LSTM_bidir": lambda nn: (nn.LSTM(4, 3, bidirectional=True, batch_first=True), (2, 3, 4)),
    "CrossEntropyLoss": lambda nn: (nn.CrossEntropyLoss(), "ce"),
    "MSELoss_sum": lambda nn: (nn.MSELoss(reduction="sum"), "pair"),
}


def _layer_case(name):
    def fn(T, d):
        T.manual_seed(0)
        layer, shape = _LAYERS[name](T.nn)
        x4 = d["x4"]
        if shape == "idx":
            out = layer(d["tgt"])
        elif shape == "clone":
            out = layer(d["a"].clone())
        elif shape == "mha":
            out = layer(d["x3"][:, :, :4], d["x3"][:, :, :4], d["x3"][:, :, :4])[0]
        elif shape == "ps":
            out = layer(x4[:, :, :, :4].reshape(2, 12, 2, 2))
        elif shape == "ce":
            out = layer(d["a"], d["tgt"])
        elif shape == "pair":
            out = layer(d["a"], d["b"])
        elif shape is None:
            out = layer(d["a"], d["b"])
        else:
            src = {2: d["a"], 3: d["x3"][:, :, :4] if shape[-1] == 4 else d["x3"], 4: x4}[
                len(shape)
            ]
            out = layer(src)
        if isinstance(out, tuple):
            out = out[0]
        return out

    return fn


def _build_cases():
    cases = {}
    for n in _UNARY + _UNARY_POS + _UNARY_UNIT:
        cases[f"fn_{n}"] = _unary(n)
    for n in _UNARY + _UNARY_POS + _UNARY_UNIT:
        if n in (
            "erfinv_p",
            "fix",
            "positive",
            "logit",
            "sinc",
            "i0",
            "nan_to_num",
            "arcsin",
            "arccos",
            "arctanh",
            "signbit",
            "isnan",
            "deg2rad",
            "rad2deg",
        ):
            continue
        cases[f"meth_{n}"] = _method(n)
    for n in _REDUCE:
        for variant in ("all", "dim0", "dimk"):
            cases[f"red_{n}_{variant}"] = _reduce(n, variant)
    for n in _INPLACE_UNARY:
        cases[f"inpl_{n}"] = _inplace_unary(n)
    for n in _BINARY:
        cases[f"bin_{n}"] = _binary(n)
    for n in _INPLACE_BINARY:
        cases[f"inplb_{n}"] = _inplace_binary(n)
    cases.update({f"misc_{k}": v for k, v in _MISC.items()})
    for k, f in _NN_F.items():
        cases[f"F_{k}"] = (lambda f: lambda T, d: f(T, _F(T), d))(f)
    for k, f in _LOSSES.items():
        for r in ("mean", "sum", "none"):
            cases[f"loss_{k}_{r}"] = (lambda f, r: lambda T, d: f(_F(T), d, r))(f, r)
    for k in _LAYERS:
        cases[f"layer_{k}"] = _layer_case(k)
    return cases


CASES = _build_cases()


# -- what is compared --------------------------------------------------------------------


def _node_name(node):
    return None if node is None else type(node).__name__


def _tree(node, depth):
    """``name(child, child, ...)`` down ``depth`` levels of ``next_functions``."""
    if node is None:
        return "None"
    name = type(node).__name__
    if depth == 0:
        return name
    kids = ", ".join(f"{_tree(n, depth - 1)}:{i}" for n, i in node.next_functions)
    return f"{name}({kids})"


def _describe(T, fn, grad_mode="grad"):
    """What the case shows: repr suffix facts of each output, or the exception type."""
    d = _inputs(T)
    T.manual_seed(0)
    mode = {"no_grad": T.no_grad, "inference": T.inference_mode}.get(grad_mode)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (deprecation notes: not what is compared here)
            if mode is None:
                out = fn(T, d)
            else:
                with mode():
                    out = fn(T, d)
    except Exception as e:  # noqa: BLE001 - the type is compared
        return ("error", type(e).__name__)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    res = []
    for o in outs:
        if not hasattr(o, "grad_fn"):
            res.append(("value", type(o).__name__))
            continue
        res.append(
            (_tree(o.grad_fn, 2), o.requires_grad, o.is_leaf, str(o.dtype), _suffix(repr(o)))
        )
    return tuple(res)


def _suffix(text):
    """The part of a repr after the values: ``grad_fn=<...>`` or ``requires_grad=True``."""
    for key in ("grad_fn=", "requires_grad="):
        i = text.rfind(key)
        if i >= 0:
            return text[i:].rstrip(")")
    return ""


# Known differences below the top node (the node ``repr`` shows still matches):
# ember's LSTM layer node links to its own loop, not to the weights; circular padding is one
# copy; a few C++ composites record number overloads ember records as tensor ones.
_KNOWN_DEEP = {
    "F_sdpa",
    "layer_LSTM",
    "layer_LSTM_bidir",
    "layer_LSTM_seq_first",
    "F_pad_circular",
    "loss_cosine_emb_none",
    "misc_sp_ndtr",
    "misc_sp_zeta",
}
_KNOWN_TOP: set = set()  # (none now: einsum builds PyTorch's graph of views and bmm)


def _top_only(desc):
    return tuple((x[0].split("(")[0],) + tuple(x[1:]) if len(x) > 2 else x for x in desc)


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_fn_names(name):
    fn = CASES[name]
    got, want = _describe(ember, fn), _describe(torch, fn)  # (or the exception types)
    if name in _KNOWN_TOP:
        assert got != want  # (still different: when it no longer is, drop it from the list)
        return
    if name in _KNOWN_DEEP:
        got, want = _top_only(got), _top_only(want)
    assert got == want


@pytest.mark.parametrize("mode", ["no_grad", "inference"])
@pytest.mark.parametrize("name", sorted(CASES)[::3])
def test_grad_fn_under_grad_modes(name, mode):
    """Without grad: no node, and ``requires_grad=True`` printed only for the views that
    PyTorch still marks (views of a tensor that requires grad)."""
    fn = CASES[name]
    assert _describe(ember, fn, mode) == _describe(torch, fn, mode)


def _grads(T, fn):
    """Every leaf's gradient (NumPy) after backward from the sum of the case's outputs."""
    d = _inputs(T)
    T.manual_seed(0)
    try:
        out = fn(T, d)
    except Exception as e:  # noqa: BLE001 - the type is compared
        return ("error", type(e).__name__)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    total = None
    for o in outs:
        if getattr(o, "grad_fn", None) is None:
            continue
        s = (o.abs() if o.is_complex() else o).sum()
        total = s if total is None else total + s
    if total is None:
        return None
    try:
        total.backward()
    except Exception as e:  # noqa: BLE001
        return ("error", type(e).__name__)

    def host(g):  # (PyTorch's zero tensors and conjugate views need ``force``)
        return g.numpy(force=True).copy() if T is torch else np.array(g.tolist())

    return {
        k: host(v.grad) if v.grad is not None else None
        for k, v in d.items()
        if isinstance(v, T.Tensor) and v.requires_grad
    }


# random draws, and singular vectors (their signs are a free choice)
_RANDOM = (
    "F_dropout_train",
    "F_gumbel_hard",
    "inpl_uniform_",
    "inpl_normal_",
    "inpl_bernoulli_",
    "misc_svd_u",
)


@pytest.mark.parametrize("name", sorted(k for k in CASES if k not in _RANDOM))
def test_gradients_through_the_graph(name):
    """The renamed and fused nodes still carry PyTorch's gradients."""
    fn = CASES[name]
    want = _grads(torch, fn)
    if isinstance(want, tuple):
        pytest.skip(f"PyTorch raises {want[1]}")
    got = _grads(ember, fn)
    if want is None:
        assert got is None
        return
    assert isinstance(got, dict) and got.keys() == want.keys()
    for k in want:
        if want[k] is None or got[k] is None:  # (no gradient and a zero one are alike)
            assert not np.any(got[k] if want[k] is None else want[k]), k
        else:
            np.testing.assert_allclose(got[k], want[k], rtol=2e-4, atol=2e-4, err_msg=k)


# -- part two: printed text ----------------------------------------------------------------

DTYPES = [
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "bool",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]

VALUES = {
    "small": [0.5, -1.25, 3.0],
    "ints_as_float": [1.0, -2.0, 300.0],
    "nan_inf": [float("nan"), float("inf"), -float("inf"), 1.5],
    "neg_zero": [-0.0, 0.0, 1.0],
    "all_zero": [0.0, 0.0],
    "huge_small": [1e-6, 1.0, 1e6],
    "huge": [1e10, 2.5e10],
    "tiny": [1e-5, 3e-5],
    "four_dec": [0.1234, 0.5],
    "eight_dec": [0.12345678, 0.00012345],
    "mixed_sign": [-123.456, 0.001, 7.0],
    "big_int_float": [123456789.0, 1.0],
    "only_nan": [float("nan")],
    "inf_whole": [float("inf"), 2.0],
    "ratio_1000": [1.0, 1000.0],
    "ratio_1001": [1.0, 1001.0],
}


def value_cases():
    out = {}
    for vname, vals in VALUES.items():
        for dt in ["float16", "bfloat16", "float32", "float64", "complex64"]:
            out[f"val_{vname}_{dt}"] = (
                lambda vals, dt: lambda T: T.tensor(vals, dtype=getattr(T, dt))
            )(vals, dt)
        out[f"val_{vname}_0d"] = (lambda vals: lambda T: T.tensor(vals[0]))(vals)
        out[f"val_{vname}_rg"] = (lambda vals: lambda T: T.tensor(vals, requires_grad=True))(vals)
        out[f"val_{vname}_cplx"] = (
            lambda vals: (
                lambda T: T.tensor(
                    [complex(v, -v / 3) if not math.isnan(v) else complex(v, 1) for v in vals]
                )
            )
        )(vals)
    return out


SHAPES = {
    "0d": (),
    "empty": (0,),
    "empty03": (0, 3),
    "e130": (1, 3, 0),
    "1": (1,),
    "5": (5,),
    "2000": (2000,),
    "1001": (1001,),
    "1000": (1000,),
    "40x40": (40, 40),
    "3x400": (3, 400),
    "12x12x12": (12, 12, 12),
    "4x5x6x7": (4, 5, 6, 7),
    "2x3": (2, 3),
    "2x1x3": (2, 1, 3),
    "100x3": (100, 3),
    "30": (30,),
}


def shape_cases():
    out = {}
    for sname, shape in SHAPES.items():
        for dt in DTYPES:

            def fn(T, shape=shape, dt=dt):
                n = int(np.prod(shape)) if shape else 1
                a = (np.arange(n) * 1.37 - n / 3).reshape(shape)
                if dt == "bool":
                    a = a > 0
                elif dt.startswith("uint"):
                    a = np.abs(a) % 200
                elif dt.startswith("int"):
                    a = np.trunc(a) % 100
                t = T.tensor(a.tolist() if shape else float(a) if dt != "bool" else bool(a))
                return t.to(getattr(T, dt))

            out[f"shape_{sname}_{dt}"] = fn
    return out


def _opt(kw, maker):
    def fn(T):
        T.set_printoptions(**kw)
        try:
            return [repr(t) for t in maker(T)]
        finally:
            T.set_printoptions(profile="default")

    return fn


def _samples(T):
    return [
        T.arange(2000.0) / 7,
        T.linspace(-1, 1, 30),
        T.tensor([1e-6, 1.0, 123.456]),
        T.randn(20, 30, generator=T.Generator().manual_seed(0)),
        T.tensor([[1.5, 2.25], [3.125, 4.0]], requires_grad=True),
        T.tensor(3.14159265),
        T.arange(100).reshape(10, 10),
        T.tensor([1 + 2j, 3.5 - 1j]),
    ]


OPTS = {
    "prec2": dict(precision=2),
    "prec8": dict(precision=8),
    "prec0": dict(precision=0),
    "thr5": dict(threshold=5),
    "thr5_edge1": dict(threshold=5, edgeitems=1),
    "edge0": dict(threshold=5, edgeitems=0),
    "lw40": dict(linewidth=40),
    "lw200": dict(linewidth=200),
    "sci_true": dict(sci_mode=True),
    "sci_false": dict(sci_mode=False),
    "short": dict(profile="short"),
    "full": dict(profile="full"),
    "short_prec6": dict(profile="short", precision=6),
    "thr_inf": dict(threshold=math.inf),
}


def opt_cases():
    return {f"opt_{k}": _opt(kw, _samples) for k, kw in OPTS.items()}


def misc_cases():
    def param(T):
        return T.nn.Parameter(T.tensor([[1.0, 2.5], [3.0, 4.0]]))

    def model(T):
        T.manual_seed(0)
        return T.nn.Sequential(T.nn.Linear(3, 2), T.nn.BatchNorm1d(2))

    def fmt(spec, mk):
        def fn(T):
            try:
                return format(mk(T), spec)
            except Exception as e:
                return type(e).__name__

        return fn

    return {
        "param": lambda T: repr(param(T)),
        "param_str": lambda T: str(param(T)),
        "param_nograd": lambda T: repr(T.nn.Parameter(T.tensor([1.0, 2.0]), requires_grad=False)),
        "param_f64": lambda T: repr(T.nn.Parameter(T.tensor([1.0, 2.0], dtype=T.float64))),
        "param_int": lambda T: repr(T.nn.Parameter(T.tensor([1, 2]), requires_grad=False)),
        "param_0d": lambda T: repr(T.nn.Parameter(T.tensor(1.5))),
        "param_big": lambda T: repr(T.nn.Parameter(T.arange(3000.0))),
        "param_grad_fn": lambda T: repr(param(T) * 2),
        "param_list": lambda T: repr(list(model(T).parameters())),
        "state_dict": lambda T: repr(model(T).state_dict()),
        "state_dict_str": lambda T: str(model(T).state_dict()),
        "named_params": lambda T: repr(dict(model(T).named_parameters())),
        "buffers": lambda T: repr(list(model(T).buffers())),
        "size": lambda T: repr(T.zeros(2, 3).shape),
        "size_str": lambda T: str(T.zeros(2, 3).size()),
        "size_0d": lambda T: repr(T.tensor(1.0).shape),
        "size_1": lambda T: repr(T.zeros(4).shape),
        "size_ctor": lambda T: repr(T.Size([1, 2])),
        "size_slice": lambda T: repr(T.zeros(2, 3, 4).shape[1:]),
        "size_add": lambda T: repr(T.Size([1]) + (2,)),
        "size_numel": lambda T: repr(T.Size([2, 3]).numel()),
        "dtype_str": lambda T: [str(getattr(T, d)) for d in DTYPES],
        "dtype_repr": lambda T: [repr(getattr(T, d)) for d in DTYPES],
        "dtype_alias": lambda T: [
            str(T.float),
            str(T.double),
            str(T.half),
            str(T.long),
            str(T.int),
            str(T.cfloat),
        ],
        "item_types": lambda T: [
            type(T.tensor(1, dtype=getattr(T, d)).item()).__name__ for d in DTYPES
        ],
        "item_vals": lambda T: [
            repr(T.tensor(1.1, dtype=getattr(T, d)).item()) for d in DTYPES if d not in ("bool",)
        ],
        "tolist": lambda T: repr(T.tensor([[1.5, 2.0]], dtype=T.float16).tolist()),
        "fmt_3f": fmt(".3f", lambda T: T.tensor(3.14159)),
        "fmt_empty": fmt("", lambda T: T.tensor(3.14159)),
        "fmt_empty_1d": fmt("", lambda T: T.tensor([3.14159])),
        "fmt_e": fmt(".2e", lambda T: T.tensor(31415.9)),
        "fmt_int": fmt("d", lambda T: T.tensor(7)),
        "fmt_int_w": fmt(">5", lambda T: T.tensor(7)),
        "fmt_nonscalar": fmt(".3f", lambda T: T.tensor([1.0, 2.0])),
        "fmt_1elem": fmt(".3f", lambda T: T.tensor([1.0])),
        "fmt_rg": fmt(".3f", lambda T: T.tensor(2.5, requires_grad=True)),
        "fmt_bool": fmt("", lambda T: T.tensor(True)),
        "fmt_g": fmt("g", lambda T: T.tensor(0.1, dtype=T.float64)),
        "fstring_loss": lambda T: f"loss: {T.tensor(0.123456):>7f}",
        "print_rg_leaf": lambda T: repr(T.ones(2, requires_grad=True)),
        "print_rg_f64": lambda T: repr(T.ones(2, dtype=T.float64, requires_grad=True)),
        "print_rg_f16": lambda T: repr(T.ones(2, dtype=T.float16, requires_grad=True)),
        "print_rg_empty": lambda T: repr(T.ones(0, 2, requires_grad=True)),
        "print_rg_big": lambda T: repr(T.ones(3000, requires_grad=True) * 2),
        "print_grad_fn_sum": lambda T: repr(T.ones(2, requires_grad=True).sum()),
        "print_detach": lambda T: repr((T.ones(2, requires_grad=True) * 2).detach()),
        "print_no_grad": lambda T: _nograd(T),
        "print_inference": lambda T: _infer(T),
        "print_grad": lambda T: _grad(T),
        "print_cplx_rg": lambda T: repr(T.tensor([1 + 1j], requires_grad=True) * 2),
        "print_int_dtype_suffix": lambda T: [
            repr(T.tensor([1, 2], dtype=getattr(T, d))) for d in DTYPES
        ],
        "print_default_f64": lambda T: _deflt(T),
        "print_named_tuple": lambda T: repr(T.max(T.tensor([[1.0, 3.0]]), 1)),
        "print_sort_rt": lambda T: repr(T.sort(T.tensor([3.0, 1.0]))),
        "print_tuple_tensors": lambda T: repr((T.tensor([1.0]), T.tensor([2]))),
        "print_list_rg": lambda T: str([T.tensor([1.0], requires_grad=True)]),
        "print_nonzero_dim": lambda T: repr(T.zeros(2, 0, 3, requires_grad=True)),
        "print_meta": lambda T: repr(T.empty(2, 3, device="meta")),
        "print_uint8_big": lambda T: repr(T.arange(256).to(T.uint8).reshape(16, 16)),
        "print_neg_int_wide": lambda T: repr(T.tensor([[-1000000, 2], [3, 4]])),
        "print_bool_2d": lambda T: repr(T.tensor([[True, False], [False, True]])),
        "print_transposed": lambda T: repr(T.arange(6.0).reshape(2, 3).t()),
        "print_expanded": lambda T: repr(T.tensor([1.5]).expand(3, 2)),
        "print_f16_prec": lambda T: repr(T.tensor([0.1, 1 / 3], dtype=T.float16)),
        "print_bf16_prec": lambda T: repr(T.tensor([0.1, 1 / 3, 300.0], dtype=T.bfloat16)),
        "print_f32_prec": lambda T: repr(T.tensor([1 / 3, 2 / 3]) * 1e-3),
        "print_inf_only": lambda T: repr(T.tensor([float("inf"), -float("inf")])),
        "print_nan_sci": lambda T: repr(T.tensor([float("nan"), 1e-8, 1.0])),
        "print_long_line": lambda T: repr(T.arange(50.0) * 1.1111),
        "print_3d_summ_rg": lambda T: repr(T.ones(11, 11, 11, requires_grad=True)),
    }


def _nograd(T):
    a = T.ones(2, requires_grad=True)
    with T.no_grad():
        return repr(a * 2)


def _infer(T):
    with T.inference_mode():
        t = T.ones(2) * 2
    return repr(t), t.requires_grad


def _grad(T):
    a = T.ones(2, requires_grad=True)
    (a * a).sum().backward()
    return repr(a.grad), repr(a)


def _deflt(T):
    T.set_default_dtype(T.float64)
    try:
        return [
            repr(T.tensor([1.5, 2.0])),
            repr(T.tensor([1.5, 2.0], dtype=T.float32)),
            repr(T.tensor([1j])),
            repr(T.tensor([1j], dtype=T.complex128)),
            repr(T.tensor([], dtype=T.float32)),
        ]
    finally:
        T.set_default_dtype(T.float32)


def all_print_cases():
    d = {}
    d.update(value_cases())
    d.update(shape_cases())
    d.update(opt_cases())
    d.update({f"misc_{k}": v for k, v in misc_cases().items()})
    return d


# more corners: 0-d values, complex nan/inf, option extremes, formatting, items, parameters
_EXTRA_PRINT = {
    "cplx_nan_inf": lambda T: T.tensor(
        [complex(float("nan"), 1), complex(1, float("inf")), 0j, -0j]
    ),
    "cplx_sci": lambda T: T.tensor([1e-8 + 1e8j, 1 + 1j]),
    "cplx_summ": lambda T: T.arange(3000, dtype=T.float32).to(T.complex64) * (1 + 1j),
    "f16_summ": lambda T: T.arange(5000, dtype=T.float16),
    "neg_int_summ": lambda T: T.arange(-5000, 5000, 7),
    "bool_summ": lambda T: T.arange(3000) % 3 == 0,
    "0d_sci": lambda T: T.tensor(1.5e-9),
    "0d_big": lambda T: T.tensor(1e20),
    "0d_int_float": lambda T: T.tensor(3.0),
    "0d_neg0": lambda T: T.tensor(-0.0),
    "0d_nan": lambda T: T.tensor(float("nan"), requires_grad=True),
    "0d_bool": lambda T: T.tensor(True),
    "0d_u8": lambda T: T.tensor(7, dtype=T.uint8),
    "0d_cplx": lambda T: T.tensor(1 - 2j),
    "0d_f16": lambda T: T.tensor(0.1, dtype=T.float16),
    "0d_bf16_rg": lambda T: T.tensor(0.1, dtype=T.bfloat16, requires_grad=True),
    "prec10_f64": lambda T: _xp_opts(
        T, dict(precision=10), lambda: T.tensor([1 / 3, 2 / 3], dtype=T.float64)
    ),
    "lw10": lambda T: _xp_opts(T, dict(linewidth=10), lambda: T.arange(12.0).reshape(3, 4)),
    "lw10_rg": lambda T: _xp_opts(
        T, dict(linewidth=30), lambda: T.arange(12.0, requires_grad=True) * 2
    ),
    "thr0": lambda T: _xp_opts(T, dict(threshold=0), lambda: T.arange(3.0)),
    "edge5": lambda T: _xp_opts(T, dict(threshold=3, edgeitems=5), lambda: T.arange(20.0)),
    "sci_true_ints": lambda T: _xp_opts(T, dict(sci_mode=True), lambda: T.tensor([1.0, 2.0])),
    "sci_true_int_dtype": lambda T: _xp_opts(T, dict(sci_mode=True), lambda: T.tensor([1, 2])),
    "sci_false_huge": lambda T: _xp_opts(T, dict(sci_mode=False), lambda: T.tensor([1e10, 1e-10])),
    "grad_suffix_wrap": lambda T: T.arange(9.0, requires_grad=True).reshape(3, 3) * 1.123456,
    "f64_rg_sum": lambda T: T.ones(3, dtype=T.float64, requires_grad=True).sum(),
    "int_after_float_mul": lambda T: T.tensor([1, 2]) * 1.5,
    "size_empty": lambda T: repr(T.Size([])),
    "size_str_0": lambda T: str(T.zeros(0).shape),
    "size_eq": lambda T: T.zeros(2, 3).shape == (2, 3),
    "size_getitem": lambda T: repr(T.zeros(2, 3).shape[-1]),
    "shape_type": lambda T: type(T.zeros(2).shape[0]).__name__,
    "dtype_is_fp": lambda T: [
        getattr(T, d).is_floating_point for d in ("float16", "int8", "bool", "complex64")
    ],
    "format_0d_int_f": lambda T: f"{T.tensor(3):.2f}",
    "format_0d_bf16": lambda T: f"{T.tensor(1 / 3, dtype=T.bfloat16):.4f}",
    "format_0d_cplx": lambda T: f"{T.tensor(1 + 2j)}",
    "format_rg_loss": lambda T: f"{(T.ones(2, requires_grad=True) * 0.5).sum():>8.4f}",
    "str_list_0d": lambda T: str([T.tensor(1.5), T.tensor(2)]),
    "item_bf16": lambda T: T.tensor(0.1, dtype=T.bfloat16).item(),
    "item_f16": lambda T: T.tensor(0.1, dtype=T.float16).item(),
    "item_cplx": lambda T: T.tensor(1 + 2j).item(),
    "item_nonscalar": lambda T: T.tensor([1.0, 2.0]).item(),
    "param_repr_grad": lambda T: repr(_xp_pgrad(T)),
    "param_in_list": lambda T: repr([T.nn.Parameter(T.ones(2))]),
    "param_f16": lambda T: repr(T.nn.Parameter(T.ones(2, dtype=T.float16))),
    "param_subclass_fn": lambda T: repr(T.nn.Parameter(T.ones(2)).clone()),
    "param_detach": lambda T: repr(T.nn.Parameter(T.ones(2)).detach()),
    "param_view": lambda T: repr(T.nn.Parameter(T.ones(2, 2))[0]),
    "param_data": lambda T: repr(T.nn.Parameter(T.ones(2)).data),
    "buffer_sd_int": lambda T: repr(T.nn.BatchNorm1d(2).state_dict()["num_batches_tracked"]),
    "model_params_rg": lambda T: (
        str(list(T.nn.Linear(2, 1).requires_grad_(False).parameters())) if _xp_seed(T) else ""
    ),
    "leaf_rg_false_after": lambda T: repr(T.ones(2, requires_grad=True).requires_grad_(False)),
    "retain_grad_nonleaf": lambda T: _xp_retain(T),
}


def _xp_seed(T):
    T.manual_seed(0)
    return True


def _xp_pgrad(T):
    p = T.nn.Parameter(T.ones(2))
    (p * 2).sum().backward()
    return p.grad


def _xp_retain(T):
    a = T.ones(2, requires_grad=True)
    b = a * 2
    b.retain_grad()
    b.sum().backward()
    return repr(b.grad), repr(b)


def _xp_opts(T, kw, mk):
    T.set_printoptions(**kw)
    try:
        t = mk()
        return repr(t), str(t)
    finally:
        T.set_printoptions(profile="default")


PRINT_CASES = all_print_cases()
PRINT_CASES.update({f"x_{k}": v for k, v in _EXTRA_PRINT.items()})


def _shown(T, fn):
    """What a printing case shows: its text (``repr`` and ``str`` of a tensor result), or
    the exception's type and message."""
    try:
        r = fn(T)
    except Exception as e:  # noqa: BLE001 - compared
        return ("error", type(e).__name__, str(e))
    if isinstance(r, T.Tensor):
        return repr(r), str(r)
    return r


@pytest.mark.parametrize("name", sorted(PRINT_CASES))
def test_printed_text(name):
    fn = PRINT_CASES[name]
    try:
        assert _shown(ember, fn) == _shown(torch, fn)
    finally:
        torch.set_printoptions(profile="default")
        ember.set_printoptions(profile="default")


def test_case_counts():
    """The sweep stays a sweep: hundreds of cases in each part."""
    assert len(CASES) >= 300 and len(PRINT_CASES) >= 300


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_accumulate_grad_in_next_functions(lib):
    """Leaves show up as AccumulateGrad nodes that hold the leaf; the C++ names agree."""
    T = ember if lib == "ember" else torch
    a = T.ones(2, requires_grad=True)
    b = T.ones(2, requires_grad=True)
    y = a * b + a
    acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
    mine = (
        type(acc).__name__,
        acc.name(),
        acc.variable is a,
        y.grad_fn.name(),
        [n is None for n, _ in (a * 2).grad_fn.next_functions],
        a.grad_fn,
        T.ones(2).requires_grad_().is_leaf,
    )
    T2 = torch if lib == "ember" else ember
    a2 = T2.ones(2, requires_grad=True)
    y2 = a2 * T2.ones(2, requires_grad=True) + a2
    acc2 = y2.grad_fn.next_functions[0][0].next_functions[0][0]
    other = (
        type(acc2).__name__,
        acc2.name(),
        acc2.variable is a2,
        y2.grad_fn.name(),
        [n is None for n, _ in (a2 * 2).grad_fn.next_functions],
        a2.grad_fn,
        T2.ones(2).requires_grad_().is_leaf,
    )
    assert mine == other


# Ops shown as one fused node (their gradient taken through a private graph): second-order
# gradients must still be PyTorch's.
_SECOND_ORDER = {
    "trace": lambda T, a, b, v: T.trace(a @ b),
    "dist": lambda T, a, b, v: T.dist(a, b),
    "renorm": lambda T, a, b, v: (T.renorm(a * b, 2, 0, 1.0) ** 2).sum(),
    "addmv": lambda T, a, b, v: (T.addmv(v, a, v) ** 2).sum(),
    "std_mean": lambda T, a, b, v: sum(x.sum() for x in T.std_mean(a * b, 1)),
    "addcmul_abc": lambda T, a, b, v: (T.addcmul(a, b, v) ** 2).sum(),
    "addcmul_aba": lambda T, a, b, v: (T.addcmul(a, b, a) ** 2).sum(),
    "pinv": lambda T, a, b, v: (T.linalg.pinv(a) ** 2).sum(),
    "rot90": lambda T, a, b, v: (T.rot90(a * b) ** 3).sum(),
    "polar": lambda T, a, b, v: T.polar(a.abs() + 1, b).abs().pow(2).sum(),
    "sum_dtype": lambda T, a, b, v: (a.float() * b.float()).sum(dtype=T.float64) ** 2,
    "lstsq": lambda T, a, b, v: (T.linalg.lstsq(a, b).solution ** 2).sum(),
    "bilinear": lambda T, a, b, v: T.nn.functional.bilinear(a, b, T.stack([a, b])).pow(2).sum(),
    "tensordot": lambda T, a, b, v: T.tensordot(a, b * a, ([0], [1])).pow(2).sum(),
}


@pytest.mark.parametrize("name", sorted(_SECOND_ORDER))
def test_second_order_through_fused_nodes(name):
    rng = np.random.default_rng(7)
    arrays = (
        rng.standard_normal((4, 4)) + 4 * np.eye(4),
        rng.standard_normal((4, 4)),
        rng.standard_normal(4),
    )
    res = []
    for T in (torch, ember):
        a, b, v = (T.tensor(x, requires_grad=True) for x in arrays)
        (ga,) = T.autograd.grad(_SECOND_ORDER[name](T, a, b, v), a, create_graph=True)
        gg = T.autograd.grad((ga**2).sum(), (a, b), allow_unused=True)
        res.append([None if g is None else np.array(g.tolist()) for g in gg])
    for got, want in zip(res[1], res[0]):
        if want is None or got is None:
            assert not np.any(got if want is None else want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


_INDEX_KEYS = [
    "[None, :]",
    "[:, None]",
    "[None]",
    "[..., None]",
    "[None, ...]",
    "[:, :]",
    "[0, :]",
    "[:, 0]",
    "[None, 0]",
    "[0, None]",
    "[1:, None]",
    "[None, 1:]",
    "[..., 0]",
    "[0, ...]",
    "[..., 1:]",
    "[:, None, :]",
    "[None, None]",
    "[:]",
    "[...]",
    "[::2, None]",
    "[0, 0]",
    "[-1]",
    "[:, -1]",
    "[None, :, None]",
    "[[0, 1]]",
    "[:, [0, 1]]",
    "[None, [0, 1]]",
    "[0, [0, 1]]",
    "[True]",
    "[None, True]",
    "[..., None, 0]",
    "[1:2, 1:3]",
    "[:, ::-1]",
    "[::-1]",
]


def _index_chain(T, ndim, key):
    x = T.ones(*([3] * ndim), requires_grad=True)
    try:
        y = eval("x" + key, {}, {"x": x})  # noqa: S307 - the keys are the table above
    except Exception as e:  # noqa: BLE001 - compared
        return type(e).__name__
    names, node = [], y.grad_fn
    while node is not None and type(node).__name__ != "AccumulateGrad":
        names.append(type(node).__name__)
        node = node.next_functions[0][0] if node.next_functions else None
    return names, tuple(y.shape), repr(y)[-40:]


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("key", _INDEX_KEYS)
def test_indexing_nodes(key, ndim):
    """Each index key gives PyTorch's chain of view nodes (or its exception type)."""
    assert _index_chain(ember, ndim, key) == _index_chain(torch, ndim, key)
