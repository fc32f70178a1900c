"""Backward rules rounded as PyTorch's: bitwise-equal float32 gradients.

Formulas that are equal in exact arithmetic round differently in float32 (``g * a / b`` is not
``g * (a / b)``), so each rule here must group its products and quotients, apply its scalar
factors and fill its zeros as PyTorch's derivative formula or backward kernel does.  Every
case runs the same float32 inputs and the same random upstream gradient through both
libraries and asserts that the forward values and the input gradients have the same bits.
Ops whose float32 forward already differs (PyTorch's vectorised exp/log/sin/sqrt...) are left
out: their gradients inherit that difference.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

N = 2048  # (a multiple of PyTorch's vector width: its kernels' scalar tails are not at issue)


def _u(seed, lo, hi, shape=(N,)):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(np.float32)


X = _u(1, -3, 3)
Y = _u(2, -3, 3)
POS = _u(3, 0.1, 4)
W01 = _u(4, 0, 1)
M = _u(5, -3, 3, (64, 32))
MT = _u(6, -3, 3, (64, 32))
P01 = _u(7, 0.02, 0.98, (64, 32))
T01 = _u(8, 0, 1, (64, 32))
NEAR1 = _u(9, 0.8, 1.25, (64, 16))
CW = _u(10, 0.1, 2, (32,))
IMG = _u(11, -3, 3, (4, 6, 8, 8))
TGT = np.random.default_rng(12).integers(0, 32, 64)
TGT_IGN = TGT.copy()
TGT_IGN[::5] = 3
TGT4 = np.random.default_rng(13).integers(0, 32, (4, 8, 8))
ML = np.full((64, 32), -1, np.int64)
ML[:, :3] = np.random.default_rng(14).integers(0, 32, (64, 3))
ML[::4, 1] = -1
POW2 = np.random.default_rng(26).choice(np.array([0.25, 0.5, 1, 2], np.float32), (64, 32))


def F(lib):
    return lib.nn.functional


def c(lib, a):
    """A constant (no grad) tensor of ``lib``."""
    return lib.from_numpy(a.copy())


CASES = {
    # pointwise arithmetic, scalar overloads, in-place forms
    "add_alpha": (lambda L, a, b: L.add(a, b, alpha=0.3), X, Y),
    "sub_alpha": (lambda L, a, b: L.sub(a, b, alpha=0.3), X, Y),
    "rsub_scalar": (lambda L, a: 1.7 - a, X),
    "mul": (lambda L, a, b: a * b, X, Y),
    "mul_scalar": (lambda L, a: a * 0.37, X),
    "div": (lambda L, a, b: a / b, X, POS),
    "div_scalar": (lambda L, a: a / 0.37, X),
    "rdiv_scalar": (lambda L, a: 0.37 / a, POS),
    "reciprocal": (lambda L, a: a.reciprocal(), POS),
    "div_inplace": (lambda L, a, b: (a * 1).div_(b), X, POS),
    "mul_inplace": (lambda L, a, b: (a * 1).mul_(b), X, Y),
    "pow_2": (lambda L, a: a ** 2, X),
    "pow_3": (lambda L, a: a ** 3, X),
    "square": (lambda L, a: L.square(a), X),
    "addcmul": (lambda L, a, b, d: L.addcmul(a, b, d, value=0.7), X, Y, POS),
    "addcmul_1": (lambda L, a, b, d: L.addcmul(a, b, d), X, Y, POS),
    "addcdiv": (lambda L, a, b, d: L.addcdiv(a, b, d, value=0.7), X, Y, POS),
    "addcdiv_inplace": (lambda L, a, b, d: (a * 1).addcdiv_(b, d, value=-1.3), X, Y, POS),
    "lerp_scalar": (lambda L, a, b: L.lerp(a, b, 0.3), X, X * 0.5),
    "hypot": (lambda L, a, b: L.hypot(a, b), X, Y),
    "maximum": (lambda L, a, b: L.maximum(a, b), X, Y),
    "clamp": (lambda L, a: L.clamp(a, -1, 1), X),
    "abs": (lambda L, a: a.abs(), X),
    "sigmoid": (lambda L, a: a.sigmoid(), X),
    "expm1": (lambda L, a: a.expm1(), X),
    "log1p": (lambda L, a: a.log1p(), POS),
    "rsqrt": (lambda L, a: a.rsqrt(), POS),
    "fmod": (lambda L, a, b: L.fmod(a, b), X, POS),
    # activations
    "relu": (lambda L, a: F(L).relu(a), X),
    "relu6": (lambda L, a: F(L).relu6(a), X),
    "leaky_relu": (lambda L, a: F(L).leaky_relu(a, 0.07), X),
    "celu": (lambda L, a: F(L).celu(a, 0.7), X),
    "silu": (lambda L, a: F(L).silu(a), X),
    "hardtanh": (lambda L, a: F(L).hardtanh(a, -1.5, 2.0), X),
    "hardsigmoid": (lambda L, a: F(L).hardsigmoid(a), X),
    "hardswish": (lambda L, a: F(L).hardswish(a), X),
    "logsigmoid": (lambda L, a: F(L).logsigmoid(a), X),
    "softsign": (lambda L, a: F(L).softsign(a), X),
    "hardshrink": (lambda L, a: F(L).hardshrink(a, 0.4), X),
    "threshold": (lambda L, a: F(L).threshold(a, 0.3, -2.0), X),
    "prelu": (lambda L, a, w: F(L).prelu(a, w), IMG, _u(15, 0, 0.5, (6,))),
    "rrelu_eval": (lambda L, a: F(L).rrelu(a, training=False), X),
    # reductions
    "mean": (lambda L, a: a.mean(), M),
    "mean_dim": (lambda L, a: a.mean(1), M),
    "var": (lambda L, a: a.var(), M),
    "var_dim": (lambda L, a: a.var(1), M),
    "var_dim0_biased": (lambda L, a: a.var(0, unbiased=False), M),
    "std": (lambda L, a: a.std(), M),
    "std_dim": (lambda L, a: a.std(1, keepdim=True), M),
    "prod_dim": (lambda L, a: a.prod(1), NEAR1),
    "cumsum": (lambda L, a: a.cumsum(1), M),
    "cumprod": (lambda L, a: a.cumprod(1), NEAR1),
    "amax": (lambda L, a: a.amax(1), M),
    "softmax": (lambda L, a: F(L).softmax(a, 1), M),
    "log_softmax": (lambda L, a: F(L).log_softmax(a, 1), M),
    "norm_1": (lambda L, a: L.norm(a, p=1), M),
    "norm_2_dim": (lambda L, a: L.norm(a, p=2, dim=1), M),
    "norm_inf_dim": (lambda L, a: L.norm(a, p=float("inf"), dim=1), M),
    "normalize": (lambda L, a: F(L).normalize(a, dim=1), M),
    "cosine_similarity": (lambda L, a, b: F(L).cosine_similarity(a, b), M, MT),
    # accumulation of several uses of one tensor
    "accumulate": (lambda L, a, b: (a * b) * (a * 0.3) + (a / b) * (a + b) - a * a * b, X, POS),
    "accumulate_broadcast": (lambda L, a, b: (a * b).sum(0) + a.mean(0) * b[0] +
                             (a / b).sum(1, keepdim=True) * a, M, MT + 4),
    "accumulate_views": (lambda L, a, b: (a[:, :16] * b[:, 16:]).sum(1, keepdim=True) * a +
                         a.t().mean(0).unsqueeze(1) * b + a.reshape(32, 64).sum(0).unsqueeze(1),
                         M, MT),
    "accumulate_inplace": (lambda L, a, b: (a * 1).mul_(b).add_(a * 0.3).div_(b + 1) * a,
                           M, MT + 4),
    "accumulate_stack_cat": (lambda L, a, b: L.stack([a, b, a * b]).sum(0) * a +
                             L.cat([a, b], 1)[:, :32] * b, M, MT),
    # losses
    "mse_mean": (lambda L, a, b: F(L).mse_loss(a, b), M, MT),
    "mse_sum": (lambda L, a, b: F(L).mse_loss(a, b, reduction="sum"), M, MT),
    "l1_mean": (lambda L, a, b: F(L).l1_loss(a, b), M, MT),
    "smooth_l1_mean": (lambda L, a, b: F(L).smooth_l1_loss(a, b), M, MT),
    "smooth_l1_beta": (lambda L, a, b: F(L).smooth_l1_loss(a, b, beta=0.5), M, MT),
    "smooth_l1_none": (lambda L, a, b: F(L).smooth_l1_loss(a, b, reduction="none"), M, MT),
    "huber_mean": (lambda L, a, b: F(L).huber_loss(a, b), M, MT),
    "huber_delta_sum": (lambda L, a, b: F(L).huber_loss(a, b, reduction="sum", delta=0.5),
                        M, MT),
    "bce_input": (lambda L, a: F(L).binary_cross_entropy(a, c(L, T01)), P01),
    "bce_logits": (lambda L, a, b: F(L).binary_cross_entropy_with_logits(a, b), M, T01),
    "bce_logits_pos_weight": (lambda L, a, b: F(L).binary_cross_entropy_with_logits(
        a, b, pos_weight=c(L, CW)), M, T01),
    "bce_logits_pos_weight_sum": (lambda L, a, b: F(L).binary_cross_entropy_with_logits(
        a, b, pos_weight=c(L, CW), reduction="sum"), M, T01),
    "nll_mean": (lambda L, a: F(L).nll_loss(a, c(L, TGT)), M),
    "nll_sum": (lambda L, a: F(L).nll_loss(a, c(L, TGT), reduction="sum"), M),
    "nll_none": (lambda L, a: F(L).nll_loss(a, c(L, TGT), reduction="none"), M),
    "nll_1d": (lambda L, a: F(L).nll_loss(a, c(L, np.array(7))), X[:32]),
    "cross_entropy": (lambda L, a: F(L).cross_entropy(a, c(L, TGT)), M),
    "cross_entropy_sum": (lambda L, a: F(L).cross_entropy(a, c(L, TGT), reduction="sum"), M),
    "cross_entropy_none": (lambda L, a: F(L).cross_entropy(a, c(L, TGT), reduction="none"), M),
    "cross_entropy_weight": (lambda L, a: F(L).cross_entropy(a, c(L, TGT), weight=c(L, CW)), M),
    "cross_entropy_ignore": (lambda L, a: F(L).cross_entropy(
        a, c(L, TGT_IGN), weight=c(L, CW), ignore_index=3), M),
    "cross_entropy_ignore_none": (lambda L, a: F(L).cross_entropy(
        a, c(L, TGT_IGN), ignore_index=3, reduction="none"), M),
    "cross_entropy_4d": (lambda L, a: F(L).cross_entropy(a, c(L, TGT4)),
                         _u(16, -3, 3, (4, 32, 8, 8))),
    "cross_entropy_smoothing": (lambda L, a: F(L).cross_entropy(
        a, c(L, TGT), label_smoothing=0.1), M),
    "cross_entropy_probs": (lambda L, a: F(L).cross_entropy(a, c(L, T01)), M),
    "kl_div_input": (lambda L, a: F(L).kl_div(a, c(L, T01), reduction="batchmean"), M),
    # (targets whose logs both libraries round alike: the order the target's three gradient
    # contributions are added in is what is checked)
    "kl_div_target": (lambda L, a, b: F(L).kl_div(a, b, reduction="none"), M, POW2),
    "kl_div_target_sum": (lambda L, a, b: F(L).kl_div(a, b, reduction="sum"), M, POW2),
    "gaussian_nll": (lambda L, a, b, v: F(L).gaussian_nll_loss(a, b, v), M, MT,
                     _u(17, 0.1, 2, (64, 32))),
    "margin_ranking": (lambda L, a, b: F(L).margin_ranking_loss(a, b, L.ones(N), margin=0.1),
                       X, Y),
    "hinge_embedding": (lambda L, a: F(L).hinge_embedding_loss(
        a, c(L, np.where(np.arange(N) % 2, 1.0, -1.0).astype(np.float32))), X),
    "multilabel_soft_margin": (lambda L, a: F(L).multilabel_soft_margin_loss(
        a, c(L, (T01 > 0.5).astype(np.float32))), M),
    "multi_margin_grad": (lambda L, a: F(L).multi_margin_loss(a, c(L, TGT), reduction="sum"), M),
    "multi_margin_p2_weight": (lambda L, a: F(L).multi_margin_loss(
        a, c(L, TGT), p=2, margin=0.8, weight=c(L, CW), reduction="none"), M),
    "multilabel_margin": (lambda L, a: F(L).multilabel_margin_loss(a, c(L, ML), reduction="sum"),
                          M),
    "triplet_margin": (lambda L, a, b, d: F(L).triplet_margin_loss(a, b, d), M, MT,
                       _u(18, -3, 3, (64, 32))),
    # normalisation
    "layer_norm": (lambda L, a, w, b: F(L).layer_norm(a, (32,), w, b), M,
                   _u(19, 0.5, 1.5, (32,)), _u(20, -1, 1, (32,))),
    "rms_norm": (lambda L, a, w: F(L).rms_norm(a, (32,), w), M, _u(21, 0.5, 1.5, (32,))),
    "batch_norm_train": (lambda L, a, w, b: F(L).batch_norm(a, None, None, w, b, training=True),
                         IMG, _u(22, 0.5, 1.5, (6,)), _u(23, -1, 1, (6,))),
    "group_norm": (lambda L, a, w, b: F(L).group_norm(a, 3, w, b), IMG,
                   _u(24, 0.5, 1.5, (6,)), _u(25, -1, 1, (6,))),
    "instance_norm": (lambda L, a: F(L).instance_norm(a), IMG),
    "avg_pool2d": (lambda L, a: F(L).avg_pool2d(a, 2), IMG),
}

# the forward's last bits may differ (a reduction's order, lerp's kernel) but the gradient
# does not depend on it: only the gradient is compared
GRAD_ONLY = {"multi_margin_grad", "multi_margin_p2_weight", "multilabel_margin", "bce_logits",
             "norm_1", "lerp_scalar"}


def _bits(a):
    a = np.ascontiguousarray(a, np.float32)
    return a.view(np.int32)


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_bits(name):
    fn, *arrays = CASES[name]
    out, grads = {}, {}
    up = None
    for lib in (torch, ember):
        ins = [lib.from_numpy(a.copy()).requires_grad_() for a in arrays]
        o = fn(lib, *ins)
        if up is None:
            up = np.random.default_rng(99).standard_normal(tuple(o.shape)).astype(np.float32)
        o.backward(lib.from_numpy(up.copy()))
        out[lib] = o.detach().numpy()
        grads[lib] = [t.grad.numpy() for t in ins]
    if name not in GRAD_ONLY:
        np.testing.assert_array_equal(_bits(out[ember]), _bits(out[torch]), err_msg="forward")
    for i, (ge, gt) in enumerate(zip(grads[ember], grads[torch])):
        assert ge.shape == gt.shape
        bad = int((_bits(ge) != _bits(gt)).sum())
        assert bad == 0, f"{name}: input {i}: {bad} of {ge.size} gradient elements differ " \
                         f"in their bits"


def test_nll_double_backward():
    """The reworked nll rule stays differentiable (its gradient is linear in g)."""
    for lib in (torch, ember):
        x = lib.from_numpy(M.copy()).requires_grad_()
        loss = F(lib).cross_entropy(x, c(lib, TGT))
        (gx,) = lib.autograd.grad(loss, x, create_graph=True)
        (gx * gx).sum().backward()
        if lib is torch:
            want = x.grad.numpy()
        else:
            np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-5, atol=1e-7)
