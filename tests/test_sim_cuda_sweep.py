"""A broad GPU-readiness sweep on ember's simulated CUDA device.

Each case runs on the CPU and on ``'cuda'`` backed by ``ember._device._simulate_cuda()``
(NumPy arrays posing as CuPy ones: they refuse implicit conversion to NumPy and mixing with
NumPy arrays, have no ``.ctypes``, and reduce to 0-d arrays), with the same seeded inputs.
Values, dtypes, shapes, ``requires_grad``, node names and gradients must agree, and every
result must live on the GPU.  The CPU side is ember, which the rest of the suite holds equal
to PyTorch; a few cases here also check PyTorch's own text (printing, error messages).
"""

import io
import os
import re

import numpy as np
import pytest

import ember
from ember import _device, nn
from ember.nn import functional as F

from diff import to_ember
from test_cuda import _pair_of_models, assert_like, same
from test_pointwise import data

torch = pytest.importorskip("torch")


@pytest.fixture
def dev(monkeypatch):
    monkeypatch.setattr(ember.cuda, "_fraction", {})
    with _device._simulate_cuda():
        yield "cuda"


def _r(shape, dtype=np.float32, seed=0, lo=None, hi=None):
    g = np.random.default_rng(seed)
    a = g.standard_normal(shape) if lo is None else g.uniform(lo, hi, shape)
    return np.asarray(a).astype(dtype)


def _i(shape, hi, seed=0):
    return np.random.default_rng(seed).integers(0, hi, shape)


X34 = _r((3, 4))
X234 = _r((2, 3, 4), seed=1)
POS = _r((3, 4), lo=0.5, hi=3.0, seed=2)

# -- torch.* functions and Tensor methods -------------------------------------------------------
# name -> (fn(T, *tensors), arrays, options for ``same``)
OPS = {
    # creation and *_like (values that do not depend on the RNG)
    "creation": (
        lambda T, x: (
            T.zeros(2, 3, dtype=x.dtype),
            T.ones(4, dtype=T.int64),
            T.full((2, 2), 3.5),
            T.full((3,), 7),
            T.eye(3, 4),
            T.arange(0, 5, 0.5),
            T.arange(7),
            T.linspace(-1, 1, 9),
            T.logspace(0, 3, 4),
            T.zeros_like(x),
            T.ones_like(x),
            T.full_like(x, 2.0),
            T.empty_like(x).fill_(1.0),
            T.tensor([[1, 2], [3, 4]]),
            T.as_tensor([1.5, 2.5]),
            x.new_zeros(2),
            x.new_ones(3),
            x.new_full((2,), 4.0),
            x.new_tensor([1.0, 2.0]),
            T.zeros(0, 3),
            T.tril_indices(3, 3, device=x.device),
            T.triu_indices(3, 4, 1, device=x.device),
        ),
        [X34],
        {"grad": False},
    ),
    # joining and splitting
    "cat_stack": (
        lambda T, x, y: (
            T.cat([x, y]),
            T.cat([x, y], 1),
            T.stack([x, y], 2),
            T.hstack([x, y]),
            T.vstack([x, y]),
            T.dstack([x, y]),
            T.column_stack([x[:, 0], y[:, 1]]),
        ),
        [X34, _r((3, 4), seed=3)],
        {},
    ),
    "split_chunk": (
        lambda T, x: (
            x.split([1, 3], 1),
            T.split(x, 2),
            x.chunk(2, 1),
            T.tensor_split(x, 3, 1),
            x.unbind(1),
        ),
        [X34],
        {},
    ),
    "gather_scatter": (
        lambda T, x, i: (
            x.gather(1, i),
            T.gather(x, 0, i[:2] % 3),
            T.zeros_like(x).scatter(1, i, x),
            x.scatter(1, i, 2.5),
            x.scatter_add(1, i, x),
            x.scatter_reduce(1, i, x, "amax"),
            x.scatter_reduce(1, i, x, "sum", include_self=False),
            x.scatter_reduce(1, i, x, "mean"),
            x.index_fill(1, i[0, :2], -1.0),
        ),
        [X34, _i((3, 4), 4, 5)],
        {"requires_grad": None},
    ),
    "index_select": (
        lambda T, x, i: (
            x.index_select(0, i),
            T.index_select(x, 1, i),
            x.index_add(0, i, x[:3]),
            x.index_copy(0, i[:2].unique(), x[:1].expand(i[:2].unique().numel(), 4)),
            x.take_along_dim(i[:, None].expand(3, 4), 0),
        ),
        [X34, np.array([2, 0, 2])],
        {},
    ),
    "masked_where": (
        lambda T, x, y: (
            x.masked_fill(x > 0, 0.5),
            T.where(x > y, x, y),
            T.where(x > 0, x, 0.0),
            T.where(x > 0),
            x.masked_select(y > 0),
            x.masked_fill(T.tensor(True), 1.0),
            x.masked_fill(x < 0, T.tensor(2.0)),
        ),
        [X34, _r((3, 4), seed=7)],
        {},
    ),
    "nonzero": (
        lambda T, x: (
            x.nonzero(),
            T.nonzero(x > 0, as_tuple=True),
            T.argwhere(x),
            T.count_nonzero(x > 0),
            T.count_nonzero(x > 0, 1),
        ),
        [np.where(X34 > 0.3, X34, 0)],
        {"grad": False},
    ),
    "topk_sort": (
        lambda T, x: (
            x.topk(2),
            x.topk(3, 0, largest=False),
            x.sort(),
            T.sort(x, 0, True),
            x.argsort(1),
            T.argsort(x, 0, descending=True),
            x.msort(),
            T.sort(x, stable=True),
        ),
        [X34],
        {},
    ),
    "unique": (
        lambda T, i: (
            T.unique(i),
            i.unique(sorted=True, return_inverse=True),
            T.unique(i, return_counts=True),
            T.unique(i, dim=0),
            T.unique_consecutive(i, return_counts=True),
        ),
        [np.array([[1, 2], [1, 2], [0, 5]])],
        {"grad": False},
    ),
    "cumulative": (
        lambda T, x: (
            x.cumsum(0),
            T.cumsum(x, 1),
            x.cumprod(1),
            T.cumprod(x, 0),
            x.cummax(0),
            T.cummin(x, 1),
            T.logcumsumexp(x, 1),
        ),
        [X34],
        {},
    ),
    "flip_roll": (
        lambda T, x: (
            x.flip(0),
            T.flip(x, [0, 2]),
            x.fliplr(),
            x.flipud(),
            x.roll(1),
            T.roll(x, (1, -1), (0, 2)),
            x.rot90(1, (1, 2)),
        ),
        [X234],
        {},
    ),
    "repeat_tile": (
        lambda T, x: (
            x.repeat(2, 1, 3),
            T.tile(x, (2,)),
            x.expand(4, 2, 3, 4),
            x[:, :1].expand(-1, 3, -1),
            x.expand_as(T.zeros(5, 2, 3, 4)),
            x.repeat_interleave(2, 1),
            T.repeat_interleave(x, T.tensor([1, 0, 2]), 1),
        ),
        [X234],
        {},
    ),
    "permute_view": (
        lambda T, x: (
            x.permute(2, 0, 1),
            x.mT,
            x.transpose(1, 2).contiguous(),
            x.view(6, 4),
            x.reshape(-1),
            x.swapaxes(0, 1),
            x.unflatten(2, (2, 2)),
            x.movedim((0, 1), (2, 0)),
            x.as_strided((2, 2), (1, 2)),
            x.T if x.ndim == 2 else x.permute(2, 1, 0),
        ),
        [X234],
        {},
    ),
    "einsum": (
        lambda T, a, b: (
            T.einsum("bij,bjk->bik", a, b),
            T.einsum("bij->j", a),
            T.einsum("bij,bkj->bik", a, a),
            T.einsum("i,j->ij", a[0, 0], b[0, 0]),
            T.einsum("...ij->...ji", a),
        ),
        [_r((2, 3, 4)), _r((2, 4, 5), seed=4)],
        {"rtol": 1e-5, "atol": 1e-6},
    ),
    "matmul_family": (
        lambda T, a, b, c, v: (
            T.matmul(a, b),
            T.bmm(a, b),
            T.baddbmm(c, a, b),
            T.baddbmm(c, a, b, beta=0.5, alpha=2.0),
            T.addbmm(c[0], a, b),
            T.outer(v, v),
            T.ger(v, v),
            T.addr(T.zeros(5, 5), v, v),
            T.inner(v, v),
            T.kron(c[0, :2, :2], c[1, :2, :2]),
            T.linalg.multi_dot([a[0], b[0], b[0].t()]),
            T.cross(a[0, :, :3], a[1, :, :3], 1),
        ),
        [_r((2, 3, 4)), _r((2, 4, 5), seed=4), _r((2, 3, 5), seed=5), _r(5, seed=6)],
        {"rtol": 1e-5, "atol": 1e-6},
    ),
    "tril_triu": (
        lambda T, x: (
            x.tril(),
            T.triu(x, -1),
            x.tril(1),
            T.tril(T.ones(2, 3, 4)),
            x.diag(),
            T.diag_embed(x),
            x.diagonal(1),
            T.trace(x),
        ),
        [X34],
        {},
    ),
    "clamp": (
        lambda T, x: (
            x.clamp(-0.5, 0.5),
            T.clamp(x, min=0.0),
            x.clamp(max=0.2),
            x.clamp(T.full_like(x, -0.1), T.full_like(x, 0.3)),
            x.clip(-1, 1),
            T.clamp(x.int(), 0, 1),
        ),
        [X34],
        {},
    ),
    "pow_exp_log": (
        lambda T, x, p: (
            x.pow(2),
            T.pow(p, 0.5),
            p.pow(x),
            T.pow(2.0, x),
            x**3,
            x.exp(),
            T.log(p),
            p.log2(),
            T.log10(p),
            T.log1p(p),
            x.expm1(),
            x.sqrt(),
            p.rsqrt(),
            x.square(),
            T.float_power(p, 2),
            x.int().pow(2),
            T.exp2(x),
            T.xlogy(p, p),
        ),
        [X34, POS],
        {},
    ),
    "activations": (
        lambda T, x: (
            x.sigmoid(),
            T.tanh(x),
            T.erf(x),
            T.erfc(x),
            x.erfinv().nan_to_num(),
            x.relu(),
            T.sigmoid(x),
            F.gelu(x),
            F.gelu(x, approximate="tanh"),
            F.silu(x),
            F.softplus(x),
            F.elu(x),
            F.leaky_relu(x, 0.1),
            F.hardtanh(x),
            F.mish(x),
            F.logsigmoid(x),
            F.softsign(x),
            F.selu(x),
            F.celu(x),
            F.hardswish(x),
            F.hardsigmoid(x),
            F.relu6(x),
            F.threshold(x, 0.1, -1.0),
            F.glu(x, 1),
        ),
        [X34],
        {},
    ),
    "softmax_lse": (
        lambda T, x: (
            x.softmax(0),
            T.softmax(x, 1),
            F.log_softmax(x, -1),
            F.softmin(x, 1),
            x.logsumexp(1),
            T.logsumexp(x, (0, 1), keepdim=True),
            T.softmax(x, 1, dtype=T.float64),
            F.normalize(x, dim=1),
        ),
        [X34],
        {},
    ),
    "norm": (
        lambda T, x: (
            x.norm(),
            T.norm(x, dim=1),
            x.norm(p=1),
            x.norm(p=float("inf"), dim=0),
            T.linalg.norm(x),
            T.linalg.vector_norm(x, 3, 1),
            T.linalg.matrix_norm(x),
            T.linalg.norm(x, "nuc"),
            T.linalg.norm(x, "fro"),
            x.renorm(2, 0, 1.0),
            T.dist(x, x.flip(0)),
        ),
        [X34],
        {},
    ),
    "var_std_mean": (
        lambda T, x: (
            x.var(),
            x.std(1),
            T.var(x, 0, unbiased=False),
            T.std(x, 1, correction=0, keepdim=True),
            x.mean(),
            T.mean(x, (0, 1)),
            T.var_mean(x, 1),
            T.std_mean(x),
            x.nanmean(),
            T.nansum(x),
            x.sum(),
            x.prod(1),
            T.aminmax(x),
            x.amax(1),
            T.amin(x, 0),
        ),
        [X234],
        {},
    ),
    "median_mode": (
        lambda T, x, i: (
            x.median(),
            x.median(1),
            T.nanmedian(x, 0),
            T.mode(i, 1),
            i.mode(),
            T.quantile(x, 0.3),
            T.quantile(x, T.tensor([0.1, 0.9]), dim=1),
            x.kthvalue(2, 0),
            T.nanquantile(x, 0.5, 1),
        ),
        [X34, np.array([[1, 2, 2, 3], [4, 4, 1, 1], [0, 5, 5, 5]])],
        {"requires_grad": None},
    ),
    "max_min_arg": (
        lambda T, x, y: (
            x.max(),
            x.max(1),
            T.max(x, 0, keepdim=True),
            T.max(x, y),
            x.min(),
            T.min(x, 1),
            T.minimum(x, y),
            T.maximum(x, y),
            x.argmax(),
            T.argmax(x, 1),
            x.argmin(0, keepdim=True),
            T.fmax(x, y),
            T.fmin(x, y),
        ),
        [X34, _r((3, 4), seed=8)],
        {},
    ),
    "all_any": (
        lambda T, x: (
            (x > 0).all(),
            T.all(x > -5, 1),
            (x > 1).any(),
            T.any(x > 1, 0),
            x.all(),
            x.any(1),
            T.logical_and(x > 0, x < 1),
            T.logical_not(x > 0),
            T.logical_xor(x > 0, x > 1),
            T.logical_or(x > 0, x < -1),
        ),
        [X34],
        {"grad": False},
    ),
    "isclose": (
        lambda T, x, y: (
            T.isclose(x, y),
            x.isclose(y, rtol=0.5, atol=0.5),
            T.isclose(x, x, equal_nan=True),
            T.isfinite(x / y),
            T.isnan(x.log()),
            T.isinf(x / 0),
            T.isposinf(x / 0),
            T.isneginf(x / 0),
            T.signbit(x),
            T.eq(x, y),
            T.ne(x, x),
            T.equal(x, x),
            T.equal(x, y),
            T.allclose(x, x + 1e-9),
            T.allclose(x, y),
        ),
        [X34, (X34 + np.float32(1e-3) * (np.arange(12).reshape(3, 4) % 2)).astype(np.float32)],
        {"grad": False},
    ),
    "bincount_histc": (
        lambda T, i, w, x: (
            T.bincount(i),
            T.bincount(i, w),
            i.bincount(minlength=10),
            T.histc(x, 5),
            x.histc(4, -1, 1),
            T.bucketize(x, T.tensor([-1.0, 0.0, 1.0])),
            T.searchsorted(T.tensor([-1.0, 0.0, 1.0]), x),
            T.histogram(x, 4),
        ),
        [np.array([0, 3, 3, 1, 7]), _r(5, np.float64, seed=9), X34],
        {"grad": False},
    ),
    "one_hot": (
        lambda T, i: (F.one_hot(i), F.one_hot(i, 9), F.one_hot(i[None], -1)),
        [np.array([0, 3, 4, 1])],
        {"grad": False},
    ),
    "cdist_diff": (
        lambda T, a, b: (
            T.cdist(a, b),
            T.cdist(a, b, p=1),
            T.diff(a),
            T.diff(a, 2, 0),
            T.diff(a, prepend=b[:3, :1]),
            T.pdist(a),
            F.pairwise_distance(a, a.flip(0)),
            F.cosine_similarity(a, a.flip(0)),
        ),
        [_r((3, 4)), _r((5, 4), seed=10)],
        {"rtol": 1e-5, "atol": 1e-6},
    ),
    "misc_math": (
        lambda T, x, y: (
            T.lerp(x, y, 0.3),
            T.lerp(x, y, T.full_like(x, 0.7)),
            T.addcmul(x, x, y, value=0.5),
            T.addcdiv(x, x, y.abs() + 1),
            T.atan2(x, y),
            T.hypot(x, y),
            T.copysign(x, y),
            T.remainder(x, 0.7),
            T.fmod(x, 0.7),
            x.frac(),
            x.trunc(),
            x.round(),
            x.round(decimals=1),
            x.floor(),
            x.ceil(),
            x.sign(),
            x.sgn(),
            x.abs(),
            x.neg(),
            x.reciprocal(),
            T.nan_to_num(x / 0, 1.0, 2.0, 3.0),
            T.rad2deg(x),
            T.heaviside(x, y),
            T.logaddexp(x, y),
            T.sinc(x),
            x.sin(),
            x.cos(),
            x.tan(),
            x.asinh(),
            T.special.expit(x),
            T.special.ndtr(x),
            T.special.log_ndtr(x),
            T.special.i0(x),
            T.special.entr(y.abs()),
            T.lgamma(y.abs() + 0.5),
            T.digamma(y.abs() + 0.5),
        ),
        [X34, _r((3, 4), seed=11)],
        {},
    ),
    "integer_bitwise": (
        lambda T, i, j: (
            i // j,
            i % j,
            i & j,
            i | j,
            i ^ j,
            ~i,
            i << 2,
            i >> 1,
            T.bitwise_and(i, 3),
            T.gcd(i, j),
            T.lcm(i, j),
            T.div(i, j, rounding_mode="floor"),
            T.div(i, j, rounding_mode="trunc"),
            i.true_divide(j),
            T.floor_divide(i, 3),
            i.abs(),
            -i,
        ),
        [np.array([[7, -3, 9], [12, 0, -8]]), np.array([[2, 5, -4], [3, 7, 3]])],
        {"grad": False},
    ),
    "conversions": (
        lambda T, x: (
            x.float(),
            x.double(),
            x.long(),
            x.int(),
            x.short(),
            x.half(),
            x.bfloat16().float(),
            x.bool(),
            x.to(T.int8),
            x.type(T.float64),
            x.to(T.complex64).real,
            (x > 0).byte(),
            x.abs().byte(),
            x.type_as(T.tensor([1])),
            x.half().float(),
        ),
        [X34 * 10],
        {},
    ),
    "complex": (
        lambda T, x, y: (
            T.complex(x, y),
            T.view_as_real(T.complex(x, y)),
            T.polar(x.abs(), y),
            T.complex(x, y).abs(),
            T.complex(x, y).angle(),
            T.complex(x, y).conj().imag,
            T.view_as_complex(T.stack([x, y], -1)),
        ),
        [X34, _r((3, 4), seed=12)],
        {"rtol": 1e-6, "atol": 1e-7},
    ),
    # (ties: the stable sorts agree on every device; topk's and kthvalue's order among ties is
    # the kernel's own, and differs between PyTorch's CPU and GPU too)
    "sort_ties": (
        lambda T, x: (
            T.sort(x.flatten(), stable=True),
            x.flatten().unique(),
            T.argsort(x.flatten(), stable=True),
            T.msort(x.t()),
            T.sort(x, dim=0, descending=True, stable=True),
        ),
        [np.round(X34 * 2) / 2],
        {},
    ),
    "pad_interp": (
        lambda T, x: (
            F.pad(x, (1, 2)),
            F.pad(x, (1, 1, 2, 0), mode="reflect"),
            F.pad(x, (2, 2), mode="replicate"),
            F.pad(x, (1, 1), mode="circular"),
            F.pad(x, (1, 0, 0, 1), value=3.0),
            F.interpolate(x, scale_factor=2),
            F.interpolate(x, size=7, mode="linear", align_corners=True),
            F.interpolate(x[None], scale_factor=2, mode="bilinear"),
            F.interpolate(x[None], size=(3, 5), mode="bicubic"),
            F.interpolate(x[None], size=(4, 6), mode="nearest-exact"),
            F.interpolate(x[None], scale_factor=0.5, mode="area"),
        ),
        [X234],
        {"rtol": 1e-5, "atol": 1e-6},
    ),
    "conv_functional": (
        lambda T, x, w: (
            F.conv2d(x, w, padding="same"),
            F.conv2d(x, w, stride=2),
            F.conv_transpose2d(x, w.transpose(0, 1), stride=2, output_padding=1),
            F.unfold(x, 2),
            F.fold(F.unfold(x, 2), (5, 5), 2),
            F.max_pool2d(x, 2, return_indices=True),
            F.avg_pool2d(x, 3, 1, 1, count_include_pad=False),
            F.lp_pool2d(x, 2, 2),
            F.adaptive_max_pool2d(x, 2),
            F.pixel_shuffle(T.cat([x] * 2, 1), 2),
            F.pixel_unshuffle(x[:, :, :4, :4], 2),
            F.max_pool1d(x[0], 2),
            F.avg_pool1d(x[0], 2),
            F.adaptive_avg_pool1d(x[0], 3),
            F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2, output_size=(5, 5)),
            F.grid_sample(x, T.zeros(2, 3, 3, 2) + 0.25, align_corners=False),
            F.affine_grid(T.eye(2, 3)[None].repeat(2, 1, 1), (2, 2, 3, 3), align_corners=False),
        ),
        [_r((2, 2, 5, 5)), _r((3, 2, 3, 3), seed=13)],
        {"rtol": 1e-5, "atol": 1e-5},
    ),
    "dropout_eval": (
        lambda T, x: (
            F.dropout(x, 0.5, training=False),
            F.dropout(x, 0.0),
            F.dropout2d(x[None, None], 0.3, training=False),
        ),
        [X34],
        {},
    ),
    "embedding_bag": (
        lambda T, w, i: (
            F.embedding(i, w),
            F.embedding(i, w, padding_idx=1),
            F.embedding(i[:2], w),
            F.embedding_bag(i, w, T.tensor([0, 2])),
            F.embedding_bag(i, w, T.tensor([0, 1]), mode="max"),
            F.embedding_bag(i[None], w, mode="sum"),
        ),
        [_r((6, 3)), np.array([1, 5, 1, 0])],
        {},
    ),
    "losses_extra": (
        lambda T, x, y, t: (
            F.margin_ranking_loss(x[:, 0], y[:, 0], t.sign().float()),
            F.triplet_margin_loss(x, y, x.flip(0)),
            F.hinge_embedding_loss(x, t.sign().float()[:, None].expand(3, 4)),
            F.soft_margin_loss(x, t.sign().float()[:, None].expand(3, 4)),
            F.multi_margin_loss(x, t.abs()),
            F.multilabel_soft_margin_loss(x, (y > 0).float()),
            F.multilabel_margin_loss(x, T.tensor([[3, 0, -1, 1]] * 3)),
            F.poisson_nll_loss(x, y.abs()),
            F.gaussian_nll_loss(x, y, y.abs() + 0.1),
            F.huber_loss(x, y, reduction="none"),
            F.l1_loss(x, y, reduction="sum"),
            F.mse_loss(x, y, reduction="none"),
            F.kl_div(x.log_softmax(1), y.log_softmax(1), log_target=True, reduction="sum"),
            F.cosine_embedding_loss(x, y, T.tensor([1, -1, 1]), margin=0.2),
            F.triplet_margin_with_distance_loss(x, y, x.flip(0)),
        ),
        [X34, _r((3, 4), seed=14), np.array([-1, 2, 3])],
        {"requires_grad": None},
    ),
    "ce_variants": (
        lambda T, x, t: _ce_variants(T, x, t, T.tensor([1.0, 2.0, 0.5, 1.5])),
        [_r((5, 4)), np.array([0, 3, 1, 1, 2])],
        {"requires_grad": None},
    ),
}


def _ce_variants(T, x, t, w):
    return (
        F.cross_entropy(x, t, weight=w, label_smoothing=0.2),
        F.cross_entropy(x, t, weight=w, ignore_index=1),
        F.cross_entropy(x, t, ignore_index=1, reduction="sum"),
        F.cross_entropy(x, t, weight=w, reduction="none", label_smoothing=0.1),
        F.nll_loss(x.log_softmax(1), t, weight=w),
        F.nll_loss(x.log_softmax(1), t, ignore_index=0, reduction="none"),
        F.cross_entropy(x, x.softmax(1), label_smoothing=0.3),
        F.binary_cross_entropy(x.sigmoid(), (x > 0).float(), weight=w),
        F.binary_cross_entropy_with_logits(x, (x > 0).float(), pos_weight=w, weight=w[0]),
    )


# modules built inside a case draw their weights from the seeded CPU stream
def _seeded(T, make, device):
    T.manual_seed(0)
    return make().to(device)


X34B = _r((3, 4), seed=60)
OPS.update(
    {
        "more_shape_math": (
            lambda T, x, y: (
                T.block_diag(x, y),
                T.cartesian_prod(x[0], y[0]),
                T.combinations(x[0], 2),
                T.meshgrid(x[0], y[0], indexing="ij"),
                T.vander(x[0], 3),
                T.trapezoid(x),
                T.cumulative_trapezoid(x),
                T.cov(x),
                T.corrcoef(x),
                T.atleast_2d(x[0]),
                T.broadcast_tensors(x, y[:1]),
                T.rot90(x),
                T.ravel(x),
                T.renorm(x, 2, 0, 1.0),
                T.logdet(x @ x.t() + T.eye(3)),
                T.clamp_min(x, 0),
                T.tensordot(x, y.t(), 1),
            ),
            [X34, X34B],
            {"rtol": 1e-5, "atol": 1e-6},
        ),
        "fft": (
            lambda T, x: (
                T.fft.fft(x).abs(),
                T.fft.rfft(x).real,
                T.fft.irfft(T.fft.rfft(x)),
                T.fft.fft2(x).imag,
                T.fft.fftshift(x),
                T.fft.ifft(x).real,
                T.stft(
                    x[0].repeat(8), 8, return_complex=True, window=T.hann_window(8, device=x.device)
                ).abs(),
            ),
            [X34],
            {"rtol": 1e-5, "atol": 1e-5},
        ),
        "sdpa": (
            lambda T, q, k, v: (
                F.scaled_dot_product_attention(q, k, v),
                F.scaled_dot_product_attention(q, k, v, is_causal=True),
                F.scaled_dot_product_attention(
                    q, k, v, attn_mask=T.ones(3, 3, dtype=T.bool).tril()
                ),
            ),
            [_r((2, 3, 4)), _r((2, 3, 4), seed=1), _r((2, 3, 4), seed=2)],
            {"rtol": 1e-5, "atol": 1e-6},
        ),
        "conv3d_pool3d": (
            lambda T, x, w: (
                F.conv3d(x, w, padding=1),
                F.max_pool3d(x, 2),
                F.avg_pool3d(x, 2),
                F.adaptive_avg_pool3d(x, 2),
                F.interpolate(x, scale_factor=2, mode="trilinear"),
                F.conv_transpose3d(x, w.transpose(0, 1)),
            ),
            [_r((1, 2, 4, 4, 4)), _r((3, 2, 3, 3, 3), seed=1)],
            {"rtol": 1e-5, "atol": 1e-5},
        ),
        "index_more": (
            lambda T, x: (
                x.index_reduce(0, T.tensor([0, 0, 2]), x, "prod"),
                x.put(T.tensor([0, 5]), T.tensor([1.0, 2.0]), accumulate=True),
                T.take(x, T.tensor([[0, 11]])),
                x.narrow_copy(1, 1, 2),
                T.searchsorted(T.tensor([3.0, 1.0, 2.0]), x, sorter=T.tensor([1, 2, 0])),
                T.index_put(x, (T.tensor([0, 2]),), T.tensor(1.0)),
                x.unfold(1, 2, 2),
                T.select_scatter(x, x[0] * 2, 0, 1),
                T.slice_scatter(x, x[:, :2] * 3, 1, 0, 2),
                T.diagonal_scatter(x, x.diagonal() * 2),
                x.clone().fill_diagonal_(3.0),
            ),
            [X34],
            {},
        ),
        "distributions": (
            lambda T, x, y: (
                T.distributions.Normal(x, y.abs() + 0.1).log_prob(y),
                T.distributions.Categorical(logits=x).log_prob(T.tensor([0, 1, 3])),
                T.distributions.Categorical(logits=x).entropy(),
                T.distributions.Bernoulli(logits=x).log_prob((y > 0).float()),
                T.distributions.kl_divergence(
                    T.distributions.Normal(x, 1.0), T.distributions.Normal(y, 2.0)
                ),
                T.distributions.MultivariateNormal(x[0], T.eye(4)).log_prob(y),
                T.distributions.Dirichlet(x.exp()).log_prob(y.softmax(1)),
                T.distributions.Beta(x.exp(), y.exp()).mean,
            ),
            [X34, X34B],
            {},
        ),
        "functional_more": (
            lambda T, x: (
                F.local_response_norm(x[None, None], 2),
                F.batch_norm(x, T.zeros(4), T.ones(4), training=True),
                F.layer_norm(x, (4,)),
                F.group_norm(x[None], 1),
                F.instance_norm(x[None]),
                F.rms_norm(x, (4,)),
                F.linear(x, x),
                F.bilinear(x, x, T.ones(2, 4, 4)),
                F.hardshrink(x),
                F.softshrink(x),
                F.tanhshrink(x),
                F.rrelu(x, training=False),
                F.prelu(x, T.tensor([0.1])),
                F.embedding(T.tensor([1, 2]), x),
                F.ctc_loss(
                    x.log_softmax(1)[:, None], T.tensor([[1]]), T.tensor([3]), T.tensor([1])
                ),
            ),
            [X34],
            {"rtol": 1e-5, "atol": 1e-6},
        ),
        "autograd_functional": (
            lambda T, x: (
                T.autograd.functional.jacobian(lambda a: (a**2).sum(1), x[0:1, :2]),
                T.autograd.functional.hessian(lambda a: (a**3).sum(), x[0, :2]),
                T.func.vmap(T.sin)(x),
                T.func.grad(lambda a: (a**2).sum())(x),
                T.utils.checkpoint.checkpoint(lambda a: a.sin() * 2, x, use_reentrant=False),
            ),
            [X34],
            {},
        ),
        "bits_float8": (
            lambda T, x: (
                x.view(T.int32) >> 3,
                x.abs().to(T.uint8),
                x.to(T.float8_e4m3fn).float(),
                x.to(T.float8_e5m2).half(),
                x.double().to(T.float8_e4m3fnuz).to(T.float32),
                T.frexp(x)[0],
                T.ldexp(x, T.tensor([2])),
                T.nextafter(x, T.zeros_like(x)),
                T.isin(T.tensor([1, 2, 3]), T.tensor([2, 5])),
                T.bucketize(x, T.tensor([0.0]), right=True),
            ),
            [X34],
            {"grad": False},
        ),
        "module_utils": (
            lambda T, x: (
                _seeded(T, lambda: nn.utils.weight_norm(nn.Linear(4, 2)), x.device)(x),
                _seeded(
                    T, lambda: nn.utils.parametrizations.weight_norm(nn.Linear(4, 2)), x.device
                )(x),
                _seeded(T, lambda: nn.utils.parametrizations.orthogonal(nn.Linear(4, 4)), x.device)(
                    x
                ),
                _seeded(T, lambda: nn.LSTMCell(4, 3), x.device)(x),
                _seeded(T, lambda: nn.GRUCell(4, 3), x.device)(x),
                _seeded(T, lambda: nn.RNNCell(4, 3), x.device)(x),
                _seeded(T, lambda: nn.Fold((4, 4), 2, stride=2), x.device)(
                    T.ones(1, 4, 4) * x.sum()
                ),
                _seeded(T, lambda: nn.Unfold(2), x.device)(x[None, None]),
                nn.utils.rnn.pad_sequence([x[0], x[1, :2]], batch_first=True, padding_value=-1.0),
            ),
            [X34],
            {"rtol": 1e-4, "atol": 1e-5},
        ),
        "packed_lstm": (
            lambda T, x: (
                _seeded(T, lambda: nn.LSTM(4, 3), x.device)(
                    nn.utils.rnn.pack_padded_sequence(x, T.tensor([3, 2], device="cpu"))
                )[0].data
            ),
            [_r((3, 2, 4), seed=61)],
            {"rtol": 1e-5, "atol": 1e-6},
        ),
        "transformer": (
            lambda T, x: _seeded(
                T, lambda: nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True), x.device
            )(x, x[:, :2]),
            [_r((2, 3, 8), seed=62)],
            {"rtol": 1e-4, "atol": 1e-5},
        ),
        "losses_modules_more": (
            lambda T, x: (
                nn.MultiLabelMarginLoss()(x, T.tensor([[3, 0, -1, 1]] * 3)),
                nn.NLLLoss()(x.log_softmax(1), T.tensor([1, -100, 2])),
                nn.CrossEntropyLoss(reduction="none", ignore_index=-1)(x, T.tensor([1, -1, 2])),
                nn.PoissonNLLLoss()(x, x.abs().detach()),
                nn.GaussianNLLLoss()(x, x.detach() * 0.5, x.abs().detach() + 1),
                nn.HingeEmbeddingLoss()(x, x.sign().detach()),
                nn.SoftMarginLoss()(x, x.sign().detach()),
                nn.MultiMarginLoss(weight=T.ones(4))(x, T.tensor([1, 0, 3])),
            ),
            [X34],
            {},
        ),
        "sparse_coo": (
            lambda T, x: (
                x.to_sparse().to_dense(),
                (x.to_sparse() * 2).to_dense(),
                (x.to_sparse() / 4).to_dense(),
                T.sparse.mm(x.to_sparse(), x.t()),
                (x.to_sparse() + x.to_sparse()).to_dense(),
                T.sparse.sum(x.to_sparse()),
                T.sparse.sum(x.to_sparse(), 1).to_dense(),
                x.to_sparse().coalesce().values(),
                x.to_sparse().indices(),
                T.sparse.addmm(x[:, :3], x.to_sparse(), x.t()[:, :3], beta=0.5, alpha=2.0),
                x.to_sparse().t().to_dense(),
                T.sparse.softmax(x.to_sparse(), 1).to_dense(),
                (x.to_sparse() * x.to_sparse()).to_dense(),
                x + x.to_sparse(),
                x.to_sparse() @ x.t(),
            ),
            [np.where(X34 > 0.3, X34, 0).astype(np.float32)],
            {},
        ),
        "sparse_compressed": (
            lambda T, x: (
                x.to_sparse_csr().to_dense(),
                x.to_sparse_csr().crow_indices(),
                x.to_sparse_csr().col_indices(),
                x.to_sparse_csr().values(),
                x.to_sparse_csr() @ x.t(),
                x.to_sparse_csc().to_dense(),
                x.to_sparse_csc().row_indices(),
                x.to_sparse_bsr((1, 2)).to_dense(),
                T.addmm(x[:, :3], x.to_sparse_csr(), x.t()[:, :3]),
                x.to_sparse_csr() @ x[0],
            ),
            [np.where(X34 > 0.3, X34, 0).astype(np.float32)],
            {},
        ),
    }
)


@pytest.mark.filterwarnings("ignore:.*is in beta:UserWarning")
@pytest.mark.filterwarnings("ignore:.*in beta state:UserWarning")
@pytest.mark.filterwarnings("ignore:.*weight_norm. is deprecated:FutureWarning")
@pytest.mark.parametrize("name", list(OPS))
def test_op(dev, name):
    fn, arrays, opts = OPS[name]
    cpu_ok(fn, arrays, opts)
    same(dev, fn, *arrays, **opts)


def cpu_ok(fn, arrays, opts):
    """The case runs on the CPU (``same`` would accept the same error on both devices)."""
    fn(ember, *[to_ember(a, opts.get("requires_grad")) for a in arrays])


def test_op_float64_and_empty(dev):
    x = _r((3, 4), np.float64)
    for name in (
        "cumulative",
        "topk_sort",
        "var_std_mean",
        "softmax_lse",
        "activations",
        "norm",
        "pow_exp_log",
        "misc_math",
    ):
        fn, arrays, opts = OPS[name]
        same(
            dev, fn, *[a.astype(np.float64) if a.dtype == np.float32 else a for a in arrays], **opts
        )
    z = np.zeros((0, 4), np.float32)
    same(
        dev,
        lambda T, z: (
            z.sum(0),
            z.mean(1),
            z.cumsum(0),
            z.sort(1),
            T.cat([z, z]),
            z.amax(1),
            z.nonzero(),
            z.softmax(1),
            z @ T.ones(4, 2),
            z.flip(0),
            z.std(1),
        ),
        z,
    )
    same(dev, lambda T, x: (x.sum(), x.prod(), x.cumsum(0), x.max(), x + 1), x[:1, 0].copy())
    same(dev, lambda T, x: (x.sum(), x.exp(), x * 2), np.array(2.5, np.float32))


# -- indexing and setitem with device index tensors ----------------------------------------------


def _setitems(T, x, i, m):
    y = x.clone()
    y[m] = 0.0
    y[i] = -1.0
    y[i, 1] = T.tensor(5.0, dtype=x.dtype)
    y[:, i[:2]] = y[:, :2] * 2
    y[m.any(1)] += 1
    y[0, m[0]] = x[0, m[0]] * 3
    y[i[0]] = x[2]
    y[..., 0] = T.arange(3, dtype=x.dtype)
    y[T.tensor(1)] = 7.0
    z = x.clone()
    z.index_put_((i, i), T.tensor(9.0, dtype=x.dtype), accumulate=True)
    z.masked_fill_(m, 4.0)
    z.masked_scatter_(~m, x[~m] * 2)
    z.index_fill_(0, i[:1], 0.5)
    z.index_add_(1, i, x[:, :2], alpha=2.0)
    z.scatter_(1, T.zeros(3, 1, dtype=T.int64), 1.5)
    z.scatter_add_(0, T.zeros(1, 4, dtype=T.int64), x[:1])
    return (
        y,
        z,
        x[i],
        x[m],
        x[i, i],
        x[:, i],
        x[m.any(1)],
        x[i[:, None], i[None, :]],
        x[T.tensor([True, False, True])],
        x[T.tensor(2)],
        x[i > 0],
    )


def test_index_and_setitem_with_device_tensors(dev):
    x = _r((3, 4), seed=15)
    same(dev, _setitems, x, np.array([2, 0]), x > 0.3, requires_grad=False)
    same(
        dev,
        lambda T, x, i, m: _setitems(T, x * 1, i, m)[:2],
        x,
        np.array([2, 0]),
        x > 0.3,
        requires_grad=None,
    )


def test_inplace_ops(dev):
    def chain(T, x, y):
        z = x * 1
        z.add_(y).mul_(0.5).sub_(y, alpha=0.25).div_(2.0).clamp_(-1, 1).pow_(2).sqrt_()
        z.addcmul_(x, y, value=0.1).addcdiv_(x, y.abs() + 1).lerp_(y, 0.2)
        z.exp_().log_().sigmoid_().tanh_().neg_().abs_().copy_(z * 2)
        w = y * 1
        w.relu_()
        w[0].fill_(3.0)
        w.t().add_(1.0)
        w.masked_fill_(w > 2.5, 0.0)
        F.relu(w, inplace=True)
        F.dropout(w, 0.5, training=False, inplace=True)
        w.clamp_(min=T.tensor(0.5))
        w.floor_().ceil_().round_().trunc_()
        return z, w

    same(dev, chain, X34, _r((3, 4), seed=16))


# -- device-to-host and conversions ----------------------------------------------------------------


def test_item_tolist_cpu_numpy(dev):
    g = ember.tensor([[1.5, -2.0], [3.0, 4.25]], device=dev)
    assert g.sum().item() == 6.75 and isinstance(g.sum().item(), float)
    assert g.long().tolist() == [[1, -2], [3, 4]]
    assert g.tolist() == [[1.5, -2.0], [3.0, 4.25]]
    assert g[1, 1].tolist() == 4.25 and g.argmax().item() == 3
    assert isinstance(g.argmax().item(), int) and isinstance((g > 0).all().item(), bool)
    assert g.half().tolist() == [[1.5, -2.0], [3.0, 4.25]]
    assert g.bfloat16().float().tolist() == [[1.5, -2.0], [3.0, 4.25]]
    for dt in (ember.float16, ember.bfloat16, ember.float64, ember.int64, ember.bool):
        h = g.to(dt)
        assert h.is_cuda and h.dtype is dt
        assert h.cpu().tolist() == g.cpu().to(dt).tolist()
    c = g.cpu()
    assert c.device.type == "cpu" and c.numpy().tolist() == g.tolist()
    with pytest.raises(
        TypeError,
        match=re.escape(
            "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the "
            "tensor to host memory first."
        ),
    ):
        g.numpy()
    with pytest.raises(TypeError):
        g.sum().__array__()
    assert float(g[0, 0]) == 1.5 and int(g[1, 0]) == 3 and bool(g[0, 0])
    assert g.max().item() == 4.25 and g.median().item() == 1.5
    assert len(g) == 2 and [r.is_cuda for r in g] == [True, True]
    assert g.cpu().numpy().dtype == np.float32
    assert ember.equal(g.cpu(), ember.tensor([[1.5, -2.0], [3.0, 4.25]]))
    assert abs(g.norm().item() - float(np.linalg.norm([1.5, -2.0, 3.0, 4.25]))) < 1e-5
    assert g.double().mean().item() == 1.6875


def test_python_callbacks_are_cpu_only(dev):
    """``apply_``/``map_`` call Python per element: PyTorch's CPU tensors only."""
    g = ember.ones(3, device=dev)
    with pytest.raises(TypeError, match="^apply_ is only implemented on CPU tensors$"):
        g.apply_(lambda v: v * 2)
    with pytest.raises(TypeError, match="^map_ is only implemented on CPU tensors$"):
        g.map_(g, lambda a, b: a + b)
    for T in (torch, ember):  # the CPU and the meta device, as PyTorch
        c = T.arange(3.0)
        assert c.apply_(lambda v: v * 2).tolist() == [0.0, 2.0, 4.0]
        assert c.map_(T.ones(3), lambda a, b: a + b).tolist() == [1.0, 3.0, 5.0]
        m = T.ones(2, device="meta")
        assert m.apply_(lambda v: v) is m


def test_random_on_device_follows_the_seed(dev):
    """Random ops on the device draw the CPU stream: a seed gives the same numbers."""
    fns = [
        lambda d: ember.rand(3, 4, device=d),
        lambda d: ember.randn(2, 3, device=d),
        lambda d: ember.randint(0, 9, (5,), device=d),
        lambda d: ember.randperm(6, device=d),
        lambda d: ember.rand_like(ember.zeros(3, device=d)),
        lambda d: ember.randn_like(ember.zeros(3, device=d)),
        lambda d: ember.randint_like(ember.zeros(3, device=d), 5),
        lambda d: ember.bernoulli(ember.full((6,), 0.5, device=d)),
        lambda d: ember.multinomial(ember.tensor([0.2, 0.3, 0.5], device=d), 4, True),
        lambda d: ember.empty(5, device=d).normal_(1.0, 2.0),
        lambda d: ember.empty(5, device=d).exponential_(),
        lambda d: ember.empty(5, device=d).random_(0, 10),
        lambda d: ember.multinomial(ember.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 2.0]], device=d), 2),
        lambda d: ember.normal(ember.zeros(3, device=d), ember.ones(3, device=d)),
        lambda d: ember.poisson(ember.full((4,), 3.0, device=d)),
    ]
    for i, f in enumerate(fns):
        ember.manual_seed(7)
        a = f("cpu")
        ember.manual_seed(7)
        b = f(dev)
        assert b.is_cuda and b.dtype is a.dtype, i
        np.testing.assert_array_equal(b.cpu().numpy(), a.numpy(), err_msg=str(i))


_MIXED = {
    "add": lambda g, c: g + c,
    "rmul": lambda g, c: c * g,
    "cat": lambda g, c: ember.cat([g, c]),
    "stack": lambda g, c: ember.stack([g, c]),
    "mm": lambda g, c: ember.mm(g[None], c[:, None]),
    "matmul": lambda g, c: g @ c,
    "where": lambda g, c: ember.where(g > 0, g, c),
    "index_select": lambda g, c: g.index_select(0, ember.tensor([0])),
    "gather": lambda g, c: g.gather(0, ember.tensor([0])),
    "addcmul": lambda g, c: g.addcmul(c, c),
    "linear": lambda g, c: nn.Linear(3, 2)(g),
    "layer_norm": lambda g, c: F.layer_norm(g, (3,), c),
    "mse": lambda g, c: F.mse_loss(g, c),
    "smooth_l1": lambda g, c: F.smooth_l1_loss(g, c),
    "huber": lambda g, c: F.huber_loss(c, g),
    "l1": lambda g, c: F.l1_loss(g, c),
    "bce": lambda g, c: F.binary_cross_entropy(g.sigmoid(), c.sigmoid()),
    "kl_div": lambda g, c: F.kl_div(g, c, reduction="batchmean"),
    "ce_weight": lambda g, c: F.cross_entropy(
        g[None], ember.tensor([0], device=dev_of(g)), weight=c
    ),
}


def dev_of(t):
    return t.device


@pytest.mark.parametrize("name", list(_MIXED))
def test_mixing_devices_raises(dev, name):
    """A GPU tensor and a CPU one (not 0-d) in one op: PyTorch's RuntimeError."""
    g, c = ember.rand(3, device=dev), ember.rand(3)
    with pytest.raises(
        RuntimeError,
        match="^Expected all tensors to be on the same device, "
        "but found at least two devices, (cuda:0 and cpu|cpu and cuda:0)!",
    ):
        _MIXED[name](g, c)


def test_mixing_devices_message_order(dev):
    g, c = ember.ones(3, device=dev), ember.ones(3)
    msg = (
        "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"
    )
    with pytest.raises(RuntimeError, match=re.escape(msg.format("cuda:0", "cpu"))):
        g + c
    with pytest.raises(RuntimeError, match=re.escape(msg.format("cpu", "cuda:0"))):
        c + g


_SCALAR_MIX = {
    "mul": lambda g, s: g * s,
    "exp_add": lambda g, s: g * s.exp() + s,
    "mse": lambda g, s: F.mse_loss(g, s),
    "mse_swapped": lambda g, s: F.mse_loss(s, g, reduction="none"),
    "smooth_l1": lambda g, s: F.smooth_l1_loss(g, s),
    "huber": lambda g, s: F.huber_loss(s, g),
    "l1": lambda g, s: F.l1_loss(g, s),
    "where": lambda g, s: ember.where(g > 0.5, g, s),
    "complex": lambda g, s: ember.complex(g, s).abs() + ember.complex(s, g).angle(),
    "polar": lambda g, s: ember.polar(g, s).real + ember.polar(s, g).imag,
    "clamp": lambda g, s: g.clamp(min=s),
    "lerp": lambda g, s: ember.lerp(g, g * 2, s) + ember.lerp(g, s, 0.5),
    "addcmul_self": lambda g, s: ember.addcmul(s, g, g),
    "where_values": lambda g, s: ember.where(g > 0.5, s, g) + ember.where(g > 0.5, s, s * 2),
    "soft_margin": lambda g, s: F.soft_margin_loss(g, -s.detach().sign()),
    "hinge_embedding": lambda g, s: F.hinge_embedding_loss(g, -s.detach().sign()),
    "isclose": lambda g, s: g * ember.isclose(s, g, atol=0.3),
}


@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")
@pytest.mark.parametrize("name", list(_SCALAR_MIX))
def test_cpu_scalar_tensor_joins_gpu_ops(dev, name):
    """A 0-d CPU tensor mixes with GPU tensors (result on the GPU); its gradient comes back
    to the CPU, as PyTorch's engine moves 0-d gradients to their input's device."""
    a = _r(3, seed=80, lo=0.0, hi=1.0)
    grads = []
    for d in ("cpu", dev):
        g = ember.from_numpy(a.copy()).to(d).requires_grad_()
        s = ember.tensor(0.4, requires_grad=True)
        out = _SCALAR_MIX[name](g, s)
        assert out.device.type == d
        for _ in range(2):  # (the second backward accumulates into the CPU .grad)
            out.sum().backward(retain_graph=True)
        assert g.grad.device.type == d
        assert s.grad is None or s.grad.device.type == "cpu"
        grads.append((out, g.grad, s.grad))
    for w, v in zip(grads[0], grads[1]):
        assert (w is None) == (v is None)
        if w is not None:
            np.testing.assert_allclose(
                v.detach().cpu().numpy(), w.detach().numpy(), rtol=1e-6, atol=1e-7
            )


# -- nn layers -----------------------------------------------------------------------------------


class _Seq(nn.Module):
    """A recurrent layer with its (output, state) reduced to one tensor."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        out, state = self.rnn(x)
        state = state if isinstance(state, tuple) else (state,)
        return ember.cat([out.flatten()] + [s.flatten() for s in state])


class _MHA(nn.Module):
    def __init__(self):
        super().__init__()
        self.m = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x):
        mask = ember.triu(ember.ones(x.shape[1], x.shape[1], dtype=ember.bool, device=x.device), 1)
        out, w = self.m(x, x, x, attn_mask=mask)
        return ember.cat([out.flatten(), w.flatten()])


class _Dec(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x, x[:3] * 2, tgt_is_causal=False)


LAYERS = {
    "linear": (lambda: nn.Linear(5, 3, bias=False), (2, 4, 5)),
    "bilinear": (lambda: nn.Bilinear(4, 4, 2), None),
    "conv1d": (lambda: nn.Conv1d(3, 4, 3, padding=2, padding_mode="reflect"), (2, 3, 8)),
    "conv2d_groups": (
        lambda: nn.Conv2d(4, 6, 3, groups=2, padding="same", dilation=2),
        (2, 4, 7, 7),
    ),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (1, 3, 3, 4)),
    "conv_transpose1d": (lambda: nn.ConvTranspose1d(3, 2, 3, stride=2), (2, 3, 5)),
    "batchnorm1d": (lambda: nn.BatchNorm1d(4, momentum=None), (5, 4, 3)),
    "batchnorm2d": (lambda: nn.BatchNorm2d(2, affine=False), (3, 2, 4, 4)),
    "layernorm": (lambda: nn.LayerNorm((3, 4), elementwise_affine=True), (2, 3, 4)),
    "groupnorm": (lambda: nn.GroupNorm(3, 6), (2, 6, 5)),
    "instancenorm": (
        lambda: nn.InstanceNorm2d(2, affine=True, track_running_stats=True),
        (2, 2, 3, 3),
    ),
    "rmsnorm": (lambda: nn.RMSNorm(4), (3, 4)),
    "lstm": (lambda: _Seq(nn.LSTM(4, 5, num_layers=2, batch_first=True)), (2, 3, 4)),
    "lstm_bi": (lambda: _Seq(nn.LSTM(4, 3, bidirectional=True)), (3, 2, 4)),
    "gru": (lambda: _Seq(nn.GRU(4, 5)), (3, 2, 4)),
    "rnn": (lambda: _Seq(nn.RNN(4, 5, nonlinearity="relu")), (3, 2, 4)),
    "mha": (_MHA, (2, 5, 8)),
    "transformer_enc": (
        lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
        (2, 5, 8),
    ),
    "transformer_dec": (lambda: _Dec(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0)), (5, 2, 8)),
    "maxpool2d": (lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (2, 3, 7, 7)),
    "maxpool1d": (lambda: nn.MaxPool1d(2), (2, 3, 8)),
    "avgpool2d": (lambda: nn.AvgPool2d(2, ceil_mode=True), (2, 3, 5, 5)),
    "adaptive_avg2d": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 7)),
    "adaptive_max2d": (lambda: nn.AdaptiveMaxPool2d((2, 3)), (2, 3, 5, 7)),
    "upsample_nearest": (lambda: nn.Upsample(scale_factor=2), (1, 2, 3, 3)),
    "upsample_bilinear_ac": (
        lambda: nn.Upsample(size=(5, 4), mode="bilinear", align_corners=True),
        (1, 2, 3, 3),
    ),
    "flatten_unflatten": (lambda: nn.Sequential(nn.Flatten(), nn.Unflatten(1, (4, 6))), (2, 3, 8)),
    "pixel_shuffle": (
        lambda: nn.Sequential(nn.PixelShuffle(2), nn.PixelUnshuffle(2)),
        (1, 8, 2, 3),
    ),
    "embedding": (lambda: nn.Embedding(7, 3, max_norm=1.0), "idx"),
    "embedding_bag": (lambda: nn.EmbeddingBag(7, 3, mode="mean"), "idx2"),
    "activations": (
        lambda: nn.Sequential(
            nn.SiLU(),
            nn.Hardswish(),
            nn.ELU(),
            nn.Softplus(),
            nn.Mish(),
            nn.LeakyReLU(0.2),
            nn.Tanh(),
        ),
        (3, 4),
    ),
    "identity_zeropad": (
        lambda: nn.Sequential(nn.Identity(), nn.ZeroPad2d(1), nn.ReflectionPad2d(1)),
        (1, 2, 3, 3),
    ),
}


def _layer_input(shape, dev):
    if shape == "idx":
        x = ember.tensor([[1, 0, 6], [2, 2, 5]])
        return x, x.to(dev)
    if shape == "idx2":
        x = ember.tensor([[1, 0, 6], [2, 2, 5]])
        return x, x.to(dev)
    if shape is None:
        a, b = _r((3, 4), seed=20), _r((3, 4), seed=21)
        mk = lambda a, d: ember.from_numpy(a.copy()).to(d).requires_grad_()  # noqa: E731
        return (mk(a, "cpu"), mk(b, "cpu")), (mk(a, dev), mk(b, dev))
    a = data("any", shape, np.float32)
    return ember.from_numpy(a.copy()).requires_grad_(), ember.from_numpy(a.copy()).to(
        dev
    ).requires_grad_()


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer(dev, name):
    make, shape = LAYERS[name]
    cpu, gpu = _pair_of_models(dev, make)
    assert all(p.is_cuda for p in gpu.parameters()) and all(b.is_cuda for b in gpu.buffers())
    for mode in ("train", "eval"):
        getattr(cpu, mode)()
        getattr(gpu, mode)()
        xc, xg = _layer_input(shape, dev)
        yc = cpu(*xc) if isinstance(xc, tuple) else cpu(xc)
        yg = gpu(*xg) if isinstance(xg, tuple) else gpu(xg)
        assert_like(yg, yc, rtol=1e-4, atol=1e-5)
        up = np.random.default_rng(2).standard_normal(tuple(yc.shape)).astype(np.float32)
        yc.backward(ember.from_numpy(up))
        yg.backward(ember.from_numpy(up).to(dev))
        for a, b in zip(
            xc if isinstance(xc, tuple) else (xc,), xg if isinstance(xg, tuple) else (xg,)
        ):
            if a.requires_grad:
                assert_like(b.grad, a.grad, "input grad", rtol=1e-4, atol=1e-5)
        for (n, pc), pg in zip(cpu.named_parameters(), gpu.parameters()):
            assert_like(pg.grad, pc.grad, n, rtol=1e-4, atol=1e-5)
            pc.grad = pg.grad = None
    for (n, bc), bg in zip(cpu.named_buffers(), gpu.buffers()):  # running statistics
        assert_like(bg, bc, n, rtol=1e-5, atol=1e-6)
    for (n, pc), pg in zip(cpu.named_parameters(), gpu.parameters()):  # max_norm renormalises
        assert_like(pg.detach(), pc.detach(), n, rtol=1e-5, atol=1e-6)


DROPOUTS = {
    "dropout": (nn.Dropout, (40, 6, 5), 0),
    "dropout1d": (nn.Dropout1d, (40, 6, 5), 2),
    "dropout2d": (nn.Dropout2d, (40, 6, 2, 3), 2),
    "alpha": (nn.AlphaDropout, (40, 6, 5), 0),
    "feature_alpha": (nn.FeatureAlphaDropout, (40, 6, 2, 3), 2),
}


@pytest.mark.parametrize("name", list(DROPOUTS))
def test_dropout_train_on_device(dev, name):
    """Training-mode dropout draws its mask from the device's own stream (PyTorch's GPU masks
    differ from its CPU ones too): the same seed repeats the mask, the kept values and the
    gradient are the CPU's, and channel dropout keeps or drops whole channels."""
    cls, shape, whole = DROPOUTS[name]
    a = _r(shape, seed=50)
    outs = []
    for _ in range(2):
        ember.cuda.manual_seed(3)
        x = ember.from_numpy(a.copy()).to(dev).requires_grad_()
        y = cls(0.3)(x)
        assert y.is_cuda and y.dtype is ember.float32
        y.backward(ember.ones_like(y))
        outs.append((y.detach().cpu().numpy(), x.grad.cpu().numpy()))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    y, g = outs[0]
    ember.manual_seed(3)
    xc = ember.from_numpy(a.copy()).requires_grad_()
    yc = cls(0.3)(xc)
    yc.backward(ember.ones_like(yc))
    gc = xc.grad.numpy()
    if "alpha" in name:  # kept: a * x + b; dropped: one constant; the gradient a or 0
        scale = gc.max()  # (the CPU's a)
        np.testing.assert_allclose(np.unique(g), [0.0, scale], rtol=1e-6)
        kept = g != 0
        shift = yc.detach().numpy()[gc != 0] - (a * scale)[gc != 0]
        np.testing.assert_allclose(y[kept], a[kept] * scale + shift.mean(), rtol=1e-5, atol=1e-5)
        dropped = np.unique(y[~kept])
        assert len(dropped) == 1
        np.testing.assert_allclose(dropped, np.unique(yc.detach().numpy()[gc == 0]), rtol=1e-6)
    else:
        kept = g != 0
        np.testing.assert_allclose(np.unique(g), [0.0, 1 / 0.7], rtol=1e-6)
        np.testing.assert_array_equal(y[kept], a[kept] * np.float32(1 / 0.7))
        assert (y[~kept] == 0).all()
    assert 0.55 < kept.mean() < 0.85 and 0.55 < (gc != 0).mean() < 0.85
    if whole:  # whole channels: one decision per (sample, channel)
        k = kept.reshape(shape[0], shape[1], -1)
        assert (k.all(-1) | ~k.any(-1)).all()


LOSSES = {
    "ce_weight_ls_ignore": lambda: (
        nn.CrossEntropyLoss(
            weight=ember.tensor([1.0, 2.0, 0.5]), label_smoothing=0.1, ignore_index=2
        ),
        "cls",
    ),
    "ce_nd": lambda: (nn.CrossEntropyLoss(), "cls_nd"),
    "nll": lambda: (nn.NLLLoss(weight=ember.tensor([0.3, 1.0, 2.0])), "logp"),
    "mse": lambda: (nn.MSELoss(), "reg"),
    "l1": lambda: (nn.L1Loss(reduction="sum"), "reg"),
    "smooth_l1": lambda: (nn.SmoothL1Loss(beta=0.5), "reg"),
    "huber": lambda: (nn.HuberLoss(delta=0.3), "reg"),
    "bce": lambda: (nn.BCELoss(weight=ember.tensor([1.0, 0.5, 2.0])), "prob"),
    "bce_logits": lambda: (nn.BCEWithLogitsLoss(pos_weight=ember.tensor([1.0, 3.0, 0.5])), "bin"),
    "kldiv": lambda: (nn.KLDivLoss(reduction="batchmean"), "kl"),
    "cosine_embedding": lambda: (nn.CosineEmbeddingLoss(margin=0.1), "pair"),
    "margin_ranking": lambda: (nn.MarginRankingLoss(margin=0.2), "rank"),
    "triplet": lambda: (nn.TripletMarginLoss(margin=0.5, p=2), "triplet"),
    "ctc": lambda: (nn.CTCLoss(blank=0, zero_infinity=True), "ctc"),
}


def _loss_inputs(kind):
    """(arrays, requires_grad flags) for a loss's arguments."""
    x = _r((4, 3), seed=30)
    y = _r((4, 3), seed=31)
    t = np.array([0, 2, 1, 1])
    sign = np.array([1, -1, 1, -1])
    if kind == "cls":
        return [x, t], [True, False]
    if kind == "cls_nd":
        return [_r((2, 3, 2, 2), seed=32), _i((2, 2, 2), 3)], [True, False]
    if kind == "logp":
        return [np.log(np.exp(x) / np.exp(x).sum(1, keepdims=True)).astype(np.float32), t], [
            True,
            False,
        ]
    if kind == "reg":
        return [x, y], [True, True]
    if kind == "prob":
        return [1 / (1 + np.exp(-x)), (y > 0).astype(np.float32)], [True, False]
    if kind == "bin":
        return [x, (y > 0).astype(np.float32)], [True, False]
    if kind == "kl":
        p = np.exp(y) / np.exp(y).sum(1, keepdims=True)
        return [
            np.log(np.exp(x) / np.exp(x).sum(1, keepdims=True)).astype(np.float32),
            p.astype(np.float32),
        ], [True, False]
    if kind == "pair":
        return [x, y, sign], [True, True, False]
    if kind == "rank":
        return [x[:, 0].copy(), y[:, 0].copy(), sign.astype(np.float32)], [True, True, False]
    if kind == "triplet":
        return [x, y, _r((4, 3), seed=33)], [True, True, True]
    if kind == "ctc":
        lp = _r((6, 2, 4), seed=34)
        lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
        return [
            lp.astype(np.float32),
            np.array([[1, 2, 2], [3, 1, 0]]),
            np.array([6, 5]),
            np.array([3, 2]),
        ], [True, False, False, False]
    raise KeyError(kind)


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_module(dev, name):
    make, kind = LOSSES[name]()[0].__class__, LOSSES[name]()[1]
    del make
    arrays, grads = _loss_inputs(kind)
    ember.manual_seed(0)
    lc = LOSSES[name]()[0]
    lg = LOSSES[name]()[0].to(dev)
    assert all(b.is_cuda for b in lg.buffers())
    ins_c = [
        ember.from_numpy(np.ascontiguousarray(a)).requires_grad_(g) for a, g in zip(arrays, grads)
    ]
    ins_g = [
        ember.from_numpy(np.ascontiguousarray(a)).to(dev).requires_grad_(g)
        for a, g in zip(arrays, grads)
    ]
    oc, og = lc(*ins_c), lg(*ins_g)
    assert_like(og, oc, rtol=1e-5, atol=1e-6)
    oc.backward()
    og.backward()
    for a, b in zip(ins_c, ins_g):
        if a.requires_grad:
            assert_like(b.grad, a.grad, "grad", rtol=1e-5, atol=1e-6)


# -- optimizers, schedulers, gradient clipping -----------------------------------------------------

OPTIMIZERS = {
    "sgd_momentum": lambda ps: ember.optim.SGD(
        ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-2
    ),
    "sgd_nesterov": lambda ps: ember.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda ps: ember.optim.Adam(ps, lr=1e-2, weight_decay=1e-3),
    "adam_amsgrad": lambda ps: ember.optim.Adam(ps, lr=1e-2, amsgrad=True),
    "adamw": lambda ps: ember.optim.AdamW(ps, lr=1e-2),
    "rmsprop": lambda ps: ember.optim.RMSprop(ps, lr=1e-2, momentum=0.5, centered=True),
    "adagrad": lambda ps: ember.optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    "adadelta": lambda ps: ember.optim.Adadelta(ps, lr=1.0),
    "adamax": lambda ps: ember.optim.Adamax(ps, lr=1e-2),
    "nadam": lambda ps: ember.optim.NAdam(ps, lr=1e-2),
    "nadam_decoupled": lambda ps: ember.optim.NAdam(
        ps, lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True
    ),
    "radam": lambda ps: ember.optim.RAdam(ps, lr=1e-2),
    "asgd": lambda ps: ember.optim.ASGD(ps, lr=1e-2),
    "rprop": lambda ps: ember.optim.Rprop(ps, lr=1e-2),
    "lbfgs": lambda ps: ember.optim.LBFGS(ps, lr=0.5, max_iter=4, history_size=3),
    "lbfgs_wolfe": lambda ps: ember.optim.LBFGS(
        ps, lr=1, max_iter=4, line_search_fn="strong_wolfe"
    ),
    # the multi-tensor and fused updates (PyTorch's defaults on a GPU)
    "sgd_foreach": lambda ps: ember.optim.SGD(ps, lr=0.1, momentum=0.9, foreach=True),
    "sgd_fused": lambda ps: ember.optim.SGD(ps, lr=0.1, momentum=0.9, fused=True),
    "adam_foreach": lambda ps: ember.optim.Adam(ps, lr=1e-2, foreach=True, maximize=True),
    "adam_fused": lambda ps: ember.optim.Adam(ps, lr=1e-2, fused=True),
    "adamw_fused": lambda ps: ember.optim.AdamW(ps, lr=1e-2, fused=True, amsgrad=True),
    "adagrad_fused": lambda ps: ember.optim.Adagrad(ps, lr=0.1, fused=True),
    "rmsprop_foreach": lambda ps: ember.optim.RMSprop(ps, lr=1e-2, foreach=True),
    "nadam_foreach": lambda ps: ember.optim.NAdam(ps, lr=1e-2, foreach=True),
    "radam_foreach": lambda ps: ember.optim.RAdam(ps, lr=1e-2, foreach=True),
    "asgd_foreach": lambda ps: ember.optim.ASGD(ps, lr=1e-2, t0=1, foreach=True),
    "adadelta_foreach": lambda ps: ember.optim.Adadelta(ps, lr=1.0, foreach=True),
    "adamax_foreach": lambda ps: ember.optim.Adamax(ps, lr=1e-2, foreach=True),
    "rprop_foreach": lambda ps: ember.optim.Rprop(ps, lr=1e-2, foreach=True),
}


def _model():
    return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3))


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer(dev, name):
    cpu, gpu = _pair_of_models(dev, _model)
    oc, og = OPTIMIZERS[name](cpu.parameters()), OPTIMIZERS[name](gpu.parameters())
    x = _r((8, 6), seed=40)
    y = _i(8, 3, seed=41)
    for _ in range(3):
        for m, o, d in ((cpu, oc, "cpu"), (gpu, og, dev)):
            xs, ys = ember.from_numpy(x).to(d), ember.from_numpy(y).to(d)

            def closure(m=m, o=o, xs=xs, ys=ys):
                o.zero_grad()
                loss = F.cross_entropy(m(xs), ys)
                loss.backward()
                return loss

            loss = o.step(closure)
            assert loss.device.type == d
    for (n, pc), pg in zip(cpu.named_parameters(), gpu.parameters()):
        assert pg.is_cuda
        np.testing.assert_allclose(
            pg.detach().cpu().numpy(), pc.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=n
        )
    sc, sg = oc.state_dict()["state"], og.state_dict()["state"]
    for k in sc:
        for key, vc in sc[k].items():
            vg = sg[k][key]
            if isinstance(vc, ember.Tensor):
                # PyTorch keeps step counts on the CPU, except ASGD's and the fused updates'
                on_device = name.startswith("asgd") or name.endswith("fused")
                on_cpu = key == "step" and not on_device or key == "mu_product"
                assert vg.device.type == ("cpu" if on_cpu else "cuda"), key
                np.testing.assert_allclose(
                    vg.detach().cpu().numpy(),
                    vc.detach().numpy(),
                    rtol=1e-4,
                    atol=1e-5,
                    err_msg=key,
                )
            elif isinstance(vc, list):
                assert len(vg) == len(vc), key
            else:
                assert vg == pytest.approx(vc, rel=1e-4, abs=1e-5), key


SCHEDULERS = {
    "step": lambda o: ember.optim.lr_scheduler.StepLR(o, 2, 0.5),
    "cosine": lambda o: ember.optim.lr_scheduler.CosineAnnealingLR(o, 5),
    "onecycle": lambda o: ember.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=10),
    "plateau": lambda o: ember.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0),
    "lambda": lambda o: ember.optim.lr_scheduler.LambdaLR(o, lambda e: 0.9**e),
    "warm_restarts": lambda o: ember.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2),
    "cyclic": lambda o: ember.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, 2),
    "exponential": lambda o: ember.optim.lr_scheduler.ExponentialLR(o, 0.9),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler(dev, name):
    cpu, gpu = _pair_of_models(dev, _model)
    x, y = _r((8, 6), seed=42), _i(8, 3, seed=43)
    lrs = []
    for m, d in ((cpu, "cpu"), (gpu, dev)):
        o = ember.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        s = SCHEDULERS[name](o)
        seen = []
        for _ in range(4):
            o.zero_grad()
            loss = F.cross_entropy(m(ember.from_numpy(x).to(d)), ember.from_numpy(y).to(d))
            loss.backward()
            o.step()
            s.step(loss.item()) if name == "plateau" else s.step()
            seen.append(o.param_groups[0]["lr"])
        lrs.append(seen)
    assert lrs[0] == pytest.approx(lrs[1], rel=1e-6)
    for pc, pg in zip(cpu.parameters(), gpu.parameters()):
        np.testing.assert_allclose(
            pg.detach().cpu().numpy(), pc.detach().numpy(), rtol=1e-4, atol=1e-5
        )


_SYNC_FREE = {
    "mlp_adam": (
        lambda: nn.Sequential(nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 10)),
        (8, 4, 4),
        "cls",
        lambda ps: ember.optim.Adam(ps, lr=1e-3),
    ),
    "mlp_sgd_nesterov": (
        lambda: nn.Sequential(nn.Linear(16, 8), nn.GELU(), nn.Linear(8, 10)),
        (8, 16),
        "cls",
        lambda ps: ember.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    ),
    "lstm_adamw": (
        lambda: _Seq(nn.LSTM(4, 5, batch_first=True)),
        (2, 3, 4),
        "reg",
        lambda ps: ember.optim.AdamW(ps, lr=1e-3),
    ),
    "conv_rmsprop": (
        lambda: nn.Sequential(
            nn.Conv2d(2, 3, 3, padding=1), nn.LayerNorm(4), nn.Tanh(), nn.Flatten()
        ),
        (2, 2, 4, 4),
        "reg",
        lambda ps: ember.optim.RMSprop(ps, lr=1e-3),
    ),
}


_SYNC_FREE["cnn_maxpool"] = (
    lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.MaxPool2d(2), nn.Flatten()),
    (2, 2, 4, 4),
    "reg",
    lambda ps: ember.optim.Adam(ps, lr=1e-3),
)


def count_pulls(monkeypatch):
    """A list that records every read of a device array by the host (bool/int/float/index,
    item, tolist, get) while the test runs."""
    from ember.cuda import _sim

    pulled = []
    for attr in ("__bool__", "__int__", "__float__", "__index__", "item", "tolist", "get"):
        real = getattr(_sim.SimArray, attr, None)
        if real is not None:
            monkeypatch.setattr(
                _sim.SimArray,
                attr,
                lambda self, *a, _n=attr, _f=real, **k: (pulled.append(_n), _f(self, *a, **k))[1],
            )
    return pulled


@pytest.mark.parametrize("name", list(_SYNC_FREE))
def test_training_step_does_not_wait_for_the_gpu(dev, name, monkeypatch):
    """A plain training step (forward, loss, backward, optimizer step) never pulls a value
    back to the host: no ``bool()``/``int()``/``float()``/``item()`` of a device array."""
    make, shape, kind, opt = _SYNC_FREE[name]
    ember.manual_seed(0)
    model = make().to(dev)
    o = opt(model.parameters())
    x = ember.randn(*shape, device=dev)
    out = model(x)
    y = (
        ember.randint(0, out.shape[-1], (out.shape[0],), device=dev)
        if kind == "cls"
        else ember.randn(out.shape, device=dev)
    )
    pulled = count_pulls(monkeypatch)
    for _ in range(2):
        o.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out, y) if kind == "cls" else F.mse_loss(out, y)
        loss.backward()
        o.step()
    assert pulled == []


def test_clip_grad(dev):
    cpu, gpu = _pair_of_models(dev, _model)
    x = _r((8, 6), seed=44)
    for m, d in ((cpu, "cpu"), (gpu, dev)):
        (m(ember.from_numpy(x).to(d)) ** 2).sum().backward()
    for norm_type in (2.0, 1.0, float("inf")):
        nc = nn.utils.clip_grad_norm_(cpu.parameters(), 0.5, norm_type)
        ng = nn.utils.clip_grad_norm_(gpu.parameters(), 0.5, norm_type)
        assert_like(ng, nc, rtol=1e-5, atol=1e-6)
    nn.utils.clip_grad_value_(cpu.parameters(), 0.01)
    nn.utils.clip_grad_value_(gpu.parameters(), 0.01)
    for pc, pg in zip(cpu.parameters(), gpu.parameters()):
        assert_like(pg.grad, pc.grad, rtol=1e-5, atol=1e-6)
    assert_like(
        nn.utils.get_total_norm([p.grad for p in gpu.parameters()]),
        nn.utils.get_total_norm([p.grad for p in cpu.parameters()]),
        rtol=1e-5,
    )
    assert_like(
        nn.utils.parameters_to_vector(gpu.parameters()),
        nn.utils.parameters_to_vector(cpu.parameters()),
    )
    v = nn.utils.parameters_to_vector(gpu.parameters()) * 2
    nn.utils.vector_to_parameters(v, gpu.parameters())
    assert all(p.is_cuda for p in gpu.parameters())


# -- moving models, state_dict, save/load, DataLoader ----------------------------------------------


def test_module_to_and_state_dict(dev):
    ember.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.LazyLinear(4))
    m(ember.zeros(1, 2, 5, 5))
    r = m.to("cuda")
    assert r is m and all(t.is_cuda for t in m.state_dict().values())
    assert next(m.parameters()).device == ember.device("cuda:0")
    sd = m.state_dict()
    assert all(isinstance(v, ember.Tensor) and v.device.type == "cuda" for v in sd.values())
    m.to(ember.float64)
    assert m[0].weight.dtype is ember.float64 and m[0].weight.is_cuda
    assert m[1].num_batches_tracked.dtype is ember.int64
    m.to("cpu", ember.float32)
    assert not m[0].weight.is_cuda and m[0].weight.dtype is ember.float32
    m.to(device=ember.device("cuda", 0))
    assert m[3].weight.is_cuda
    m.cpu().cuda(0)
    assert m[3].bias.is_cuda
    out = m(ember.ones(2, 2, 5, 5, device=dev))
    assert out.is_cuda and out.shape == (2, 4)


_MAPS = {
    "none": None,
    "cpu": "cpu",
    "cuda": "cuda",
    "cuda0": "cuda:0",
    "device_cpu": ember.device("cpu"),
    "device_cuda": ember.device("cuda"),
    "dict_to_cpu": {"cuda:0": "cpu"},
    "dict_to_cuda": {"cpu": "cuda:0"},
    "callable_cpu": lambda storage, loc: storage,
    "callable_cuda": lambda storage, loc: storage.cuda(),
}


@pytest.mark.parametrize("saved_on", ["cpu", "cuda"])
@pytest.mark.parametrize("where", list(_MAPS))
def test_save_load_map_location(dev, saved_on, where):
    ember.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to(saved_on)
    obj = {
        "sd": m.state_dict(),
        "t": ember.arange(6.0, device=saved_on).view(2, 3)[:, 1:],
        "i": ember.tensor([1, 2], device=saved_on),
        "p": nn.Parameter(ember.ones(2)),
    }
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    loc = _MAPS[where]
    got = ember.load(buf, map_location=loc) if loc is not None else ember.load(buf)
    want = {
        "none": saved_on,
        "dict_to_cpu": "cpu",
        "dict_to_cuda": "cuda",
        "callable_cpu": "cpu",
    }.get(where, "cpu" if "cpu" in where else "cuda")
    for k, v in got["sd"].items():
        assert v.device.type == want, (k, v.device)
        np.testing.assert_array_equal(v.cpu().numpy(), m.state_dict()[k].cpu().numpy())
    assert got["t"].device.type == want and got["t"].tolist() == [[1.0, 2.0], [4.0, 5.0]]
    assert got["i"].dtype is ember.int64 and got["i"].device.type == want
    assert isinstance(got["p"], nn.Parameter)
    fresh = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to(dev)
    fresh.load_state_dict(got["sd"])
    assert fresh[0].weight.is_cuda


VISION = {
    "normalize": lambda v2: v2.Normalize([0.5, 0.4, 0.3], [0.2, 0.3, 0.4]),
    "resize": lambda v2: v2.Resize((7, 9), antialias=True),
    "center_crop": lambda v2: v2.CenterCrop(10),
    "pad_reflect": lambda v2: v2.Pad(2, padding_mode="reflect"),
    "grayscale": lambda v2: v2.Grayscale(3),
    "blur": lambda v2: v2.GaussianBlur(3, sigma=0.8),
    "hflip": lambda v2: v2.RandomHorizontalFlip(1.0),
    "rotate": lambda v2: v2.RandomRotation((30, 30)),
    "affine": lambda v2: v2.RandomAffine((10, 10), translate=(0, 0), scale=(1.1, 1.1)),
    "solarize": lambda v2: v2.RandomSolarize(0.5, 1.0),
    "autocontrast": lambda v2: v2.RandomAutocontrast(1.0),
    "sharpness": lambda v2: v2.RandomAdjustSharpness(2, 1.0),
    "equalize_u8": lambda v2: v2.Compose(
        [v2.ToDtype(ember.uint8, scale=True), v2.RandomEqualize(1.0)]
    ),
    "posterize_u8": lambda v2: v2.Compose(
        [v2.ToDtype(ember.uint8, scale=True), v2.RandomPosterize(3, 1.0)]
    ),
}


@pytest.mark.parametrize("name", list(VISION))
def test_vision_transforms_on_device(dev, name):
    """Image transforms on a GPU tensor (deterministic settings) give the CPU's image there."""
    from ember.vision.transforms import v2

    a = _r((3, 12, 14), lo=0.0, hi=1.0, seed=70)
    want = VISION[name](v2)(ember.from_numpy(a.copy()))
    got = VISION[name](v2)(ember.from_numpy(a.copy()).to(dev))
    assert_like(got, want, rtol=1e-5, atol=1e-6)


def test_random_vision_transforms_on_device(dev):
    from ember.vision.transforms import v2

    img = ember.rand(3, 16, 16, device=dev)
    for t in (
        v2.RandomCrop(8),
        v2.ColorJitter(0.5, 0.5, 0.5, 0.1),
        v2.RandomResizedCrop(8),
        v2.RandomErasing(1.0),
        v2.RandomPerspective(p=1.0),
        v2.AutoAugment(),
        v2.RandAugment(),
        v2.TrivialAugmentWide(),
    ):
        x = (
            img
            if not isinstance(t, (v2.AutoAugment, v2.RandAugment, v2.TrivialAugmentWide))
            else (img * 255).to(ember.uint8)
        )
        y = t(x)
        assert y.is_cuda and y.dtype is x.dtype, t
    labels = ember.tensor([0, 2], device=dev)
    for mix in (v2.MixUp(num_classes=3), v2.CutMix(num_classes=3)):
        xb, yb = mix(img[None].repeat(2, 1, 1, 1), labels)
        assert xb.is_cuda and yb.is_cuda and tuple(yb.shape) == (2, 3)


def test_dataloader_pin_memory(dev):
    from ember.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(ember.arange(20.0).view(10, 2), ember.arange(10))
    seen = []
    for xb, yb in DataLoader(ds, batch_size=4, pin_memory=True):
        assert xb.is_pinned() and not xb.is_cuda
        xg, yg = xb.to(dev, non_blocking=True), yb.to(dev, non_blocking=True)
        assert xg.is_cuda and yg.is_cuda and yg.dtype is ember.int64
        seen.append((xg.sum() + yg.sum()).item())
        assert xb.cuda(non_blocking=True).is_cuda
    assert seen == [sum(range(8)) + 6, sum(range(8, 16)) + 22, sum(range(16, 20)) + 17]
    x = ember.ones(3).pin_memory()
    assert x.is_pinned() and x.to("cuda", non_blocking=True).is_cuda


# -- printing ------------------------------------------------------------------------------------

_SUFFIX = re.compile(
    r"(?:,\s+(size=\([^)]*\)|dtype=torch\.\w+|grad_fn=<\w+>|"
    r"requires_grad=True))"
)


def _as_on_gpu(text):
    """PyTorch's CPU text of a tensor as its GPU prints it: ``device='cuda:0'`` is the first
    suffix, and the suffixes wrap onto new lines as PyTorch's printer wraps them."""
    m = re.search(
        r"(?:,\s+(?:size=\([^)]*\)|dtype=torch\.\w+|grad_fn=<\w+>|"
        r"requires_grad=True))*\)$",
        text,
    )
    body, tail = text[: m.start()], text[m.start() :]
    return torch._tensor_str._add_suffixes(
        body, ["device='cuda:0'"] + _SUFFIX.findall(tail), len("tensor("), False
    )


PRINTS = [
    lambda T, d: T.tensor([1.0, -2.5, 3.25], device=d),
    lambda T, d: T.tensor([[1, 2, 3], [4, 5, 6]], device=d),
    lambda T, d: T.tensor([1.0, 2.0], dtype=T.float64, device=d),
    lambda T, d: T.tensor([1e-8, 1e8], device=d),
    lambda T, d: T.tensor([1.5, 2.5], device=d).half(),
    lambda T, d: T.tensor([1.5, 2.5], device=d).bfloat16(),
    lambda T, d: T.tensor(3.5, device=d),
    lambda T, d: T.tensor([float("nan"), float("inf"), -1.0], device=d),
    lambda T, d: T.zeros(2, 0, device=d),
    lambda T, d: T.zeros(0, dtype=T.int32, device=d),
    lambda T, d: T.tensor([[True], [False]], device=d),
    lambda T, d: T.arange(1200, device=d).view(30, 40),
    lambda T, d: T.arange(1200.0, device=d).view(30, 40) / 7,
    lambda T, d: T.linspace(0, 1, 9, device=d, dtype=T.float64).view(3, 3) * 1e5,
    lambda T, d: T.tensor([1.0, 2.0], device=d, requires_grad=True) * 2,
    lambda T, d: T.tensor([[1.0, 2.0]], device=d, requires_grad=True),
    lambda T, d: T.tensor([1, 2], dtype=T.int16, device=d),
    lambda T, d: T.tensor([1 + 2j], device=d),
    lambda T, d: (T.arange(24.0, device=d).view(2, 3, 4) - 5).exp(),
    lambda T, d: T.tensor([123456.789] * 6, dtype=T.float64, device=d, requires_grad=True),
    lambda T, d: T.tensor([[1.5] * 9] * 2, dtype=T.float16, device=d, requires_grad=True).sum(0),
]


@pytest.mark.parametrize("i", range(len(PRINTS)))
def test_printing(dev, i):
    """repr and str on the GPU: PyTorch's CPU text with the GPU's device suffix."""
    want = _as_on_gpu(repr(PRINTS[i](torch, "cpu")))
    got = PRINTS[i](ember, dev)
    assert got.is_cuda
    assert repr(got) == want
    assert str(got) == want


def test_printing_parameters_and_models(dev):
    p = nn.Parameter(ember.tensor([1.0, 2.0], device=dev))
    moved = nn.Parameter(ember.tensor([1.0, 2.0])).cuda()  # a copy, not a Parameter
    assert repr(moved) == "tensor([1., 2.], device='cuda:0', grad_fn=<ToCopyBackward0>)"
    assert repr(p) == (
        "Parameter containing:\ntensor([1., 2.], device='cuda:0', requires_grad=True)"
    )
    tp = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(tp).replace("requires_grad", "device='cuda:0', requires_grad") == repr(p)
    ember.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU()).to("cuda")
    tm = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    assert repr(m) == repr(tm)
    w = repr(m[0].weight)
    assert w.startswith("Parameter containing:\ntensor([[") and w.endswith(
        "device='cuda:0', requires_grad=True)"
    )
    assert repr(m[0].weight.grad) == "None"
    assert (
        str(ember.device("cuda")) == "cuda"
        and repr(ember.device("cuda:0")) == "device(type='cuda', index=0)"
    )
    assert repr(m[0].weight.device) == repr(torch.device("cuda", 0))


SEED_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "seeds")
SEED = os.path.join(SEED_DIR, "000_f4ca7bb5953258b5.txt")


@pytest.mark.skipif(not os.path.exists(SEED), reason="../shared/seeds is not present")
def test_seed_tutorial_on_the_gpu(dev, capsys, monkeypatch):
    """The seed tutorial's code, run in this process with ``torch`` standing for ember on the
    simulated GPU: it picks ``cuda`` and prints what PyTorch printed on its GPU machine (the
    weights' digits aside)."""
    import sys

    import ember.utils.data
    from test_cuda import _outputs_of, _shape_of
    from test_seed import program

    with open(SEED) as f:
        text = f.read()
    for name, mod in (
        ("torch", ember),
        ("torch.nn", ember.nn),
        ("torch.utils", ember.utils),
        ("torch.utils.data", ember.utils.data),
    ):
        monkeypatch.setitem(sys.modules, name, mod)
    exec(compile(program(text), SEED, "exec"), {"__name__": "seed"})
    got = capsys.readouterr().out
    assert "Using cuda device" in got.split("\n")
    assert re.search(r"^Predicted class: tensor\(\[\d\], device='cuda:0'\)$", got, re.M)
    assert _shape_of(got) == _shape_of(_outputs_of(text))


def test_using_cuda_device_flow(dev, capsys):
    """The tutorial's device pick and model move, printed as on a GPU machine."""
    device = (
        ember.accelerator.current_accelerator().type if ember.accelerator.is_available() else "cpu"
    )
    print(f"Using {device} device")
    ember.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.stack = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))

        def forward(self, x):
            return self.stack(self.flatten(x))

    model = Net().to(device)
    logits = model(ember.rand(1, 4, 4, device=device))
    pred = nn.Softmax(dim=1)(logits).argmax(1)
    print(f"Predicted class: {pred}")
    out = capsys.readouterr().out.split("\n")
    assert out[0] == "Using cuda device"
    assert re.fullmatch(r"Predicted class: tensor\(\[\d\], device='cuda:0'\)", out[1])
    assert ember.cuda.is_available() and ember.cuda.device_count() == 1
    assert ember.cuda.current_device() == 0
