"""Losses (functional and modules) against PyTorch: values, gradients, dtypes, node names,
reductions (and the legacy ``size_average`` / ``reduce``), errors and double backward."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from diff import assert_same, check, check_error, to_ember, to_torch, torch

FLOATS = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]


def rand(shape, dtype=np.float64, seed=0, scale=2.0):
    return np.asarray(np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def uniform(shape, dtype=np.float64, seed=1, lo=0.0, hi=1.0):
    return np.asarray(np.random.default_rng(seed).uniform(lo, hi, shape)).astype(dtype)


def classes(shape, n, seed=2):
    return np.asarray(np.random.default_rng(seed).integers(0, n, shape)).astype(np.int64)


def F(T):
    return T.nn.functional


def quiet(fn):
    """``fn`` with warnings silenced (for calls whose warning is tested elsewhere)."""
    def run(T, *a):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(T, *a)
    return run


# -- cross entropy and nll -------------------------------------------------------------------

# (input shape, target shape) with the classes at dim 1 (dim 0 for unbatched input)
CLASS_SHAPES = [((5, 4), (5,)), ((4,), ()), ((2, 3, 4), (2, 4)), ((2, 3, 2, 2), (2, 2, 2)),
                ((2, 3, 2, 1, 2), (2, 2, 1, 2)), ((0, 4), (0,))]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", CLASS_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_class_indices(shapes, reduction, dtype):
    ishape, tshape = shapes
    n = ishape[1] if len(ishape) > 1 else ishape[0]
    x = rand(ishape, dtype)
    t = classes(tshape, n)
    check(lambda T, x, t: F(T).cross_entropy(x, t, reduction=reduction), x, t)
    check(lambda T, x, t: F(T).nll_loss(F(T).log_softmax(x, 1 if x.dim() > 1 else 0), t,
                                        reduction=reduction), x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", CLASS_SHAPES[:5], ids=str)
@pytest.mark.parametrize("opts", ["weight", "ignore", "weight+ignore", "smooth", "smooth+weight",
                                  "smooth+weight+ignore", "ignore=1"])
def test_cross_entropy_options(shapes, reduction, opts):
    ishape, tshape = shapes
    n = ishape[1] if len(ishape) > 1 else ishape[0]
    x = rand(ishape)
    t = classes(tshape, n)
    kw = {}
    if "ignore" in opts:
        if opts.endswith("ignore=1"):
            kw["ignore_index"] = 1
        else:
            t = t.copy()
            t.reshape(-1)[::2] = -100
    if "smooth" in opts:
        kw["label_smoothing"] = 0.2
    w = uniform((n,), seed=5, lo=0.2, hi=2.0)

    def fn(T, x, t):
        extra = dict(kw)
        if "weight" in opts:
            extra["weight"] = T.from_numpy(w.copy())
        return F(T).cross_entropy(x, t, reduction=reduction, **extra)
    check(fn, x, t)

    def nll(T, x, t):
        extra = {k: v for k, v in kw.items() if k != "label_smoothing"}
        if "weight" in opts:
            extra["weight"] = T.from_numpy(w.copy())
        return F(T).nll_loss(x, t, reduction=reduction, **extra)
    check(nll, x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (2, 3, 2, 2)], ids=str)
@pytest.mark.parametrize("opts", ["", "weight", "smooth", "smooth+weight"])
def test_cross_entropy_probabilities(shape, reduction, opts):
    x = rand(shape)
    cdim = 1 if len(shape) > 1 else 0
    p = np.exp(rand(shape, seed=3))
    p = p / p.sum(axis=cdim, keepdims=True)
    w = uniform((shape[cdim],), seed=5, lo=0.2, hi=2.0)

    def fn(T, x, p):
        kw = {"label_smoothing": 0.3} if "smooth" in opts else {}
        if "weight" in opts:
            kw["weight"] = T.from_numpy(w.copy())
        return F(T).cross_entropy(x, p, reduction=reduction, **kw)
    check(fn, x, p)  # gradients for the logits and the target probabilities


def test_cross_entropy_mixed_dtypes():
    x = rand((3, 5), np.float32)
    p = uniform((3, 5), np.float64)
    check(lambda T, x, p: F(T).cross_entropy(x, p), x, p)
    check(lambda T, x, p: F(T).cross_entropy(x, p, weight=T.ones(5, dtype=T.float64)), x, p)


def test_nll_loss_byte_targets_and_empty():
    x = rand((4, 3))
    check(lambda T, x, t: F(T).nll_loss(x, t), x, np.array([0, 2, 1, 1], dtype=np.uint8))
    for r in REDUCTIONS:
        check(lambda T, x, t, r=r: F(T).nll_loss(x, t, reduction=r), x, np.full(4, -100))
        check(lambda T, x, t, r=r: F(T).cross_entropy(x, t, reduction=r, label_smoothing=0.1), x,
              np.full(4, -100))
        check(lambda T, x, t, r=r: F(T).cross_entropy(x, t, reduction=r), np.zeros((0, 3)),
              np.zeros(0, dtype=np.int64))


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_extreme_logits(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [3e38 if dtype == np.float32 else 1e300,
                                                          0.0, -5.0]], dtype=dtype)
    t = np.array([1, 2, 0])
    for r in REDUCTIONS:
        out = check(lambda T, x, t, r=r: F(T).cross_entropy(x, t, reduction=r), x, t)
        assert np.all(np.isfinite(out.detach().numpy()))
    p = np.array([[0.0, 1.0, 0.0], [0.5, 0.25, 0.25], [1.0, 0.0, 0.0]], dtype=dtype)
    check(lambda T, x, p: F(T).cross_entropy(x, p), x, p)


def test_cross_entropy_fast_path_graph():
    x = ember.randn(64, 10, requires_grad=True)
    t = ember.randint(0, 10, (64,))
    loss = ember.nn.functional.cross_entropy(x, t)
    node = loss.grad_fn
    assert type(node).__name__ == "NllLossBackward0"
    (inner, _), = node.next_functions
    assert type(inner).__name__ == "LogSoftmaxBackward0"
    (acc, _), = inner.next_functions
    assert type(acc).__name__ == "AccumulateGrad"
    check(lambda T, x, t: F(T).cross_entropy(x, t), rand((64, 10), np.float32),
          classes((64,), 10))


def test_cross_entropy_module_and_half():
    x = rand((6, 5), np.float32)
    t = classes((6,), 5)
    check(lambda T, x, t: F(T).cross_entropy(x.half(), t), x, t, rtol=2e-3, atol=2e-3)


TARGET_ERRORS = [
    lambda T, x: F(T).nll_loss(x, T.tensor([1.0, 0.0, 4.0])),
    lambda T, x: F(T).nll_loss(x, T.tensor([1, 0, 4], dtype=T.int32)),
    lambda T, x: F(T).nll_loss(x, T.tensor([1, 0, 4], dtype=T.int16)),
    lambda T, x: F(T).nll_loss(x, T.tensor([1, 0, 5])),
    lambda T, x: F(T).nll_loss(x, T.tensor([1, 0, -1])),
    lambda T, x: F(T).nll_loss(x, T.tensor([7, 0, 9])),
    lambda T, x: F(T).nll_loss(x, T.tensor([1, 0])),
    lambda T, x: F(T).nll_loss(x, T.tensor([[1, 0, 2]])),
    lambda T, x: F(T).nll_loss(x, T.tensor(1)),
    lambda T, x: F(T).nll_loss(x, T.zeros(3, 2, dtype=T.long)),
    lambda T, x: F(T).nll_loss(x[0], T.tensor([1, 2])),
    lambda T, x: F(T).nll_loss(x[0], T.tensor([[1]])),
    lambda T, x: F(T).nll_loss(x[0], T.tensor(7)),
    lambda T, x: F(T).nll_loss(x[0, 0], T.tensor(0)),
    lambda T, x: F(T).nll_loss(x.reshape(3, 5, 1), T.zeros(3, 2, dtype=T.long)),
    lambda T, x: F(T).nll_loss(x.reshape(3, 5, 1), T.zeros(3, dtype=T.long)),
    lambda T, x: F(T).nll_loss(x.reshape(3, 5, 1), T.full((3, 1), 5)),
    lambda T, x: F(T).nll_loss(x.reshape(3, 5, 1, 1), T.zeros(3, 1, 2, dtype=T.long)),
    lambda T, x: F(T).nll_loss(x.reshape(3, 5, 1, 1), T.zeros(3, 1, dtype=T.long)),
    lambda T, x: F(T).nll_loss(x.reshape(3, 5, 1, 1, 1), T.zeros(3, 1, 1, dtype=T.long)),
    lambda T, x: F(T).nll_loss(x, T.tensor([1, 0, 4]), weight=T.ones(4)),
    lambda T, x: F(T).nll_loss(x, T.tensor([1, 0, 4]), weight=T.ones(5, dtype=T.float64)),
    lambda T, x: F(T).nll_loss(x, T.tensor([1, 0, 4]), reduction="foo"),
    lambda T, x: F(T).nll_loss(x, T.tensor([1, 0, 4]), weight=T.ones(5, requires_grad=True)),
    lambda T, x: F(T).cross_entropy(x, T.tensor([1, 0, 4]), reduction="batchmean"),
    lambda T, x: F(T).cross_entropy(x, T.tensor([1.0, 0.0, 4.0])),
    lambda T, x: F(T).cross_entropy(x, T.rand(3, 4)),
    lambda T, x: F(T).cross_entropy(x, T.rand(3, 5), ignore_index=1),
    lambda T, x: F(T).cross_entropy(x, T.rand(3, 5), weight=T.ones(4)),
    lambda T, x: F(T).cross_entropy(x, T.zeros(3, 5, dtype=T.long)),
    lambda T, x: F(T).cross_entropy(x, T.tensor([1, 0, 4]), label_smoothing=1.5),
    lambda T, x: F(T).cross_entropy(x, T.tensor([1, 0, 4]), weight=T.ones(5).double()),
    lambda T, x: F(T).cross_entropy(x.long(), T.tensor([1, 0, 4])),
    lambda T, x: F(T).cross_entropy(x[0, 0], T.tensor(0)),
    lambda T, x: F(T).cross_entropy(x[0, 0], T.tensor(1.0)),
    lambda T, x: F(T).cross_entropy(x, T.tensor([1, 0, 5])),
]


@pytest.mark.parametrize("i", range(len(TARGET_ERRORS)))
def test_classification_errors(i):
    t, e = check_error(TARGET_ERRORS[i], rand((3, 5), np.float32))
    assert t == e


def test_negative_label_smoothing_is_plain():
    x, t = rand((3, 5)), classes((3,), 5)
    check(lambda T, x, t: F(T).cross_entropy(x, t, label_smoothing=-0.1), x, t)


# -- regression losses ------------------------------------------------------------------------

REG = {
    "mse": lambda T, x, y, r: F(T).mse_loss(x, y, reduction=r),
    "l1": lambda T, x, y, r: F(T).l1_loss(x, y, reduction=r),
    "smooth_l1": lambda T, x, y, r: F(T).smooth_l1_loss(x, y, reduction=r),
    "smooth_l1_b0": lambda T, x, y, r: F(T).smooth_l1_loss(x, y, reduction=r, beta=0.0),
    "smooth_l1_b0.5": lambda T, x, y, r: F(T).smooth_l1_loss(x, y, reduction=r, beta=0.5),
    "smooth_l1_b3": lambda T, x, y, r: F(T).smooth_l1_loss(x, y, reduction=r, beta=3.0),
    "huber": lambda T, x, y, r: F(T).huber_loss(x, y, reduction=r),
    "huber_d0.5": lambda T, x, y, r: F(T).huber_loss(x, y, reduction=r, delta=0.5),
    "huber_d3": lambda T, x, y, r: F(T).huber_loss(x, y, reduction=r, delta=3.0),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (0,), (7,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("name", sorted(REG))
def test_regression(name, shape, reduction, dtype):
    x, y = rand(shape, dtype), rand(shape, dtype, seed=4)
    check(lambda T, x, y: REG[name](T, x, y, reduction), x, y)


@pytest.mark.parametrize("name", sorted(REG))
def test_regression_breakpoints_and_dtypes(name):
    x = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 1e4, -1e4])
    y = np.zeros_like(x)
    check(lambda T, x, y: REG[name](T, x, y, "none"), x, y)
    # float32 input with a float64 target promotes (huber keeps the input's dtype, and
    # PyTorch fails in its backward); an integer target gets no gradient
    check(lambda T, x, y: REG[name](T, x, y, "mean"), rand((3, 4), np.float32), rand((3, 4)),
          grad="huber" not in name)
    check(lambda T, x, y: REG[name](T, x, y.long(), "sum"), rand((3, 4)), rand((3, 4)),
          grad="huber" not in name)


@pytest.mark.parametrize("name", sorted(REG))
def test_regression_broadcast_warns(name):
    x, y = rand((3, 4)), rand((4,), seed=4)
    msgs = []
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="target size") as rec:
            out = REG[name](T, to_torch(x) if T is torch else to_ember(x),
                            to_torch(y) if T is torch else to_ember(y), "mean")
        msgs.append(str(rec[0].message))
    assert msgs[0] == msgs[1]
    check(quiet(lambda T, x, y: REG[name](T, x, y, "none")), x, y)
    assert out.shape == ()


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_weight(name, reduction):
    x, y = rand((3, 4)), rand((3, 4), seed=4)
    w = uniform((3, 4), seed=6)
    check(lambda T, x, y, w: getattr(F(T), name)(x, y, reduction=reduction, weight=w), x, y, w)


@pytest.mark.parametrize("fn", [
    lambda T, x: F(T).mse_loss(x, x, weight=T.ones(5)),
    lambda T, x: F(T).mse_loss(x, x, weight=T.ones(3, 5), reduction="foo"),
    lambda T, x: F(T).mse_loss(x, x, reduction="batchmean"),
    lambda T, x: F(T).mse_loss(x, T.ones(4, 5)),
    lambda T, x: F(T).mse_loss(x.long(), x.long()),
    lambda T, x: F(T).l1_loss(x, x, reduction="foo"),
    lambda T, x: F(T).l1_loss(x.long(), x.long()),
    lambda T, x: F(T).smooth_l1_loss(x, x, beta=-1.0),
    lambda T, x: F(T).smooth_l1_loss(x, x, beta=-1.0, reduction="foo"),
    lambda T, x: F(T).huber_loss(x, x, delta=0.0),
    lambda T, x: F(T).huber_loss(x, x, delta=-1.0),
    lambda T, x: F(T).huber_loss(x, x, reduction="foo"),
])
def test_regression_errors(fn):
    t, e = check_error(fn, rand((3, 5), np.float32))
    assert t == e


# -- binary cross entropy -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (0,), (6,), (2, 3, 4)], ids=str)
def test_binary_cross_entropy(shape, reduction, dtype):
    p = uniform(shape, dtype, lo=0.02, hi=0.98)
    y = uniform(shape, dtype, seed=3)
    check(lambda T, p, y: F(T).binary_cross_entropy(p, y, reduction=reduction), p, y)
    w = uniform(shape[-1:], dtype, seed=4)
    check(lambda T, p, y: F(T).binary_cross_entropy(p, y, weight=T.from_numpy(w.copy()),
                                                    reduction=reduction), p, y)


def test_binary_cross_entropy_clamps_log():
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.5])
    for r in REDUCTIONS:
        out = check(lambda T, p, y, r=r: F(T).binary_cross_entropy(p, y, reduction=r), p, y)
        assert np.all(np.isfinite(out.detach().numpy()))
    check(lambda T, x, y: F(T).binary_cross_entropy(T.sigmoid(x), y), rand((4, 3)),
          uniform((4, 3)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", ["", "weight", "pos_weight", "both", "scalar_pw"])
def test_bce_with_logits(opts, reduction, dtype):
    x = rand((4, 3), dtype, scale=4)
    y = uniform((4, 3), dtype, seed=3)
    w = uniform((3,), dtype, seed=4)
    pw = uniform((3,), dtype, seed=5, lo=0.5, hi=3)

    def fn(T, x, y):
        kw = {}
        if opts in ("weight", "both"):
            kw["weight"] = T.from_numpy(w.copy())
        if opts in ("pos_weight", "both"):
            kw["pos_weight"] = T.from_numpy(pw.copy())
        if opts == "scalar_pw":
            kw["pos_weight"] = T.tensor(2.5, dtype=x.dtype)
        return F(T).binary_cross_entropy_with_logits(x, y, reduction=reduction, **kw)
    check(fn, x, y)


@pytest.mark.parametrize("dtype", FLOATS)
def test_bce_with_logits_extreme(dtype):
    x = np.array([1e4, -1e4, 1e4, -1e4, 88.0, -88.0, 0.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 0.7, 0.5], dtype=dtype)
    for r in REDUCTIONS:
        out = check(lambda T, x, y, r=r: F(T).binary_cross_entropy_with_logits(
            x, y, reduction=r, pos_weight=T.tensor(3.0, dtype=x.dtype)), x, y)
        assert np.all(np.isfinite(out.detach().numpy()))
        check(lambda T, x, y, r=r: F(T).binary_cross_entropy_with_logits(x, y, reduction=r), x, y)


def test_bce_mixed_dtype_with_logits():
    # the log-sigmoid term is computed in float32 (as PyTorch), where ulps may differ
    check(lambda T, x, y: F(T).binary_cross_entropy_with_logits(x, y), rand((3, 4), np.float32),
          uniform((3, 4)), rtol=1e-7)


@pytest.mark.parametrize("fn", [
    lambda T, x, p: F(T).binary_cross_entropy(x, p),
    lambda T, x, p: F(T).binary_cross_entropy(p, x),
    lambda T, x, p: F(T).binary_cross_entropy(p, p[0]),
    lambda T, x, p: F(T).binary_cross_entropy(p, p.double()),
    lambda T, x, p: F(T).binary_cross_entropy(x, p.double()),
    lambda T, x, p: F(T).binary_cross_entropy(p, p, weight=T.ones(4)),
    lambda T, x, p: F(T).binary_cross_entropy(p, p, reduction="foo"),
    lambda T, x, p: F(T).binary_cross_entropy(T.tensor([float("nan")]), T.tensor([1.0])),
    lambda T, x, p: F(T).binary_cross_entropy(p, p, weight=T.ones(5, requires_grad=True)),
    lambda T, x, p: F(T).binary_cross_entropy_with_logits(x, p[0]),
    lambda T, x, p: F(T).binary_cross_entropy_with_logits(x, p.long()),
    lambda T, x, p: F(T).binary_cross_entropy_with_logits(x, p, pos_weight=T.ones(4)),
    lambda T, x, p: F(T).binary_cross_entropy_with_logits(x, p, weight=T.ones(4)),
    lambda T, x, p: F(T).binary_cross_entropy_with_logits(x, p, reduction="foo"),
    lambda T, x, p: F(T).binary_cross_entropy_with_logits(x, p,
                                                          weight=T.ones(5, requires_grad=True)),
    lambda T, x, p: F(T).binary_cross_entropy_with_logits(
        x, p, pos_weight=T.ones(5, requires_grad=True)),
])
def test_binary_errors(fn):
    t, e = check_error(fn, rand((3, 5), np.float32), uniform((3, 5), np.float32))
    assert t == e


# -- kl, cosine embedding, margin ranking -------------------------------------------------------

@pytest.mark.parametrize("reduction", ["sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4)], ids=str)
def test_kl_div(shape, reduction, log_target):
    x = rand(shape)
    y = rand(shape, seed=3) if log_target else uniform(shape, seed=3)
    if not log_target and y.ndim:
        y.reshape(-1)[0] = 0.0  # xlogy(0, 0) = 0
    check(lambda T, x, y: F(T).kl_div(x, y, reduction=reduction, log_target=log_target), x, y)


def test_kl_div_mean_warns_and_legacy():
    x, y = rand((3, 4)), uniform((3, 4))
    msgs = []
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="batchmean") as rec:
            F(T).kl_div(to_torch(x) if T is torch else to_ember(x),
                        to_torch(y) if T is torch else to_ember(y))
        msgs.append(str(rec[0].message))
    assert msgs[0] == msgs[1]
    check(quiet(lambda T, x, y: F(T).kl_div(x, y)), x, y)
    # NOTE: PyTorch's quirk: batchmean with legacy arguments divides the legacy result again
    check(quiet(lambda T, x, y: F(T).kl_div(x, y, reduction="batchmean", size_average=True)),
          x, y)
    check(quiet(lambda T, x, y: F(T).kl_div(x, y, size_average=False)), x, y)
    check(quiet(lambda T, x, y: F(T).kl_div(x, -y, reduction="sum")), x, y)
    check_error(lambda T, x: F(T).kl_div(x, x, reduction="foo"), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3, -0.5])
def test_cosine_embedding_loss(reduction, margin):
    x1, x2 = rand((4, 5)), rand((4, 5), seed=3)
    x2[2] = x1[2]  # cosine exactly 1
    t = np.array([1, -1, -1, 0])

    def fn(T, a, b, t):
        return F(T).cosine_embedding_loss(a, b, t, margin=margin, reduction=reduction)
    check(fn, x1, x2, t)
    check(fn, x1, x2, t.astype(np.float64), requires_grad=None)
    check(lambda T, a, b: F(T).cosine_embedding_loss(a, b, T.tensor(-1), margin=margin,
                                                     reduction=reduction), x1[0], x2[0])
    check(fn, np.zeros((2, 3)), np.zeros((2, 3)), np.array([1, -1]))


@pytest.mark.parametrize("fn", [
    lambda T, x: F(T).cosine_embedding_loss(x, x, T.ones(3, 1)),
    lambda T, x: F(T).cosine_embedding_loss(x.unsqueeze(0), x.unsqueeze(0), T.tensor(1)),
    lambda T, x: F(T).cosine_embedding_loss(x, x, T.tensor(1)),
    lambda T, x: F(T).cosine_embedding_loss(x[0], x[0], T.tensor([1, 1])),
    lambda T, x: F(T).cosine_embedding_loss(x, x[0], T.ones(3)),
    lambda T, x: F(T).cosine_embedding_loss(x, x, T.tensor([1, -1])),
    lambda T, x: F(T).cosine_embedding_loss(x, x[:2], T.ones(3)),
    lambda T, x: F(T).cosine_embedding_loss(x, x, T.ones(3), reduction="foo"),
    lambda T, x: F(T).margin_ranking_loss(x, x, T.ones(5)),
    lambda T, x: F(T).margin_ranking_loss(x[:, 0], x[:2, 0], T.ones(3)),
    lambda T, x: F(T).margin_ranking_loss(x, x, x, reduction="foo"),
])
def test_embedding_errors(fn):
    t, e = check_error(fn, rand((3, 5), np.float32))
    assert t == e


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
@pytest.mark.parametrize("shape", [(), (6,), (2, 3)], ids=str)
def test_margin_ranking_loss(shape, margin, reduction):
    a, b = rand(shape), rand(shape, seed=3)
    t = np.sign(rand(shape, seed=4))

    def fn(T, a, b, t):
        return F(T).margin_ranking_loss(a, b, t, margin=margin, reduction=reduction)
    check(fn, a, b, t)
    check(fn, a, b, t.astype(np.int64))


# -- legacy reduction arguments ------------------------------------------------------------------

LEGACY = {
    "nll_loss": (lambda T, x, y, **kw: F(T).nll_loss(F(T).log_softmax(x, 1), y, **kw), "cls"),
    "cross_entropy": (lambda T, x, y, **kw: F(T).cross_entropy(x, y, **kw), "cls"),
    "mse_loss": (lambda T, x, y, **kw: F(T).mse_loss(x, y, **kw), "real"),
    "l1_loss": (lambda T, x, y, **kw: F(T).l1_loss(x, y, **kw), "real"),
    "smooth_l1_loss": (lambda T, x, y, **kw: F(T).smooth_l1_loss(x, y, **kw), "real"),
    "binary_cross_entropy": (lambda T, x, y, **kw: F(T).binary_cross_entropy(T.sigmoid(x), y,
                                                                              **kw), "prob"),
    "bce_with_logits": (lambda T, x, y, **kw: F(T).binary_cross_entropy_with_logits(x, y, **kw),
                        "prob"),
    "kl_div": (lambda T, x, y, **kw: F(T).kl_div(x, y, **kw), "prob"),
    "margin_ranking": (lambda T, x, y, **kw: F(T).margin_ranking_loss(x, y, T.sign(y), **kw),
                       "real"),
}


@pytest.mark.parametrize("size_average,reduce", [(None, False), (False, None), (True, None),
                                                 (False, True), (True, False), (None, True)])
@pytest.mark.parametrize("name", sorted(LEGACY))
def test_legacy_reduction_arguments(name, size_average, reduce):
    fn, kind = LEGACY[name]
    x = rand((4, 3))
    y = classes((4,), 3) if kind == "cls" else uniform((4, 3)) if kind == "prob" else rand(
        (4, 3), seed=3)
    kw = dict(size_average=size_average, reduce=reduce, reduction="sum")
    msgs = []
    for T in (torch, ember):
        with pytest.warns(UserWarning, match="size_average and reduce") as rec:
            fn(T, to_torch(x) if T is torch else to_ember(x),
               to_torch(y, False) if T is torch else to_ember(y, False), **kw)
        msgs.append(str(rec[0].message))
    assert msgs[0] == msgs[1]
    check(quiet(lambda T, x, y: fn(T, x, y, **kw)), x, y, requires_grad=None)


# -- modules -----------------------------------------------------------------------------------

CTORS = ["CrossEntropyLoss()", "CrossEntropyLoss(weight=T.ones(3), label_smoothing=0.1)",
         "CrossEntropyLoss(ignore_index=1, reduction='sum')", "NLLLoss()",
         "NLLLoss(T.ones(3), ignore_index=2)", "MSELoss()", "MSELoss(reduction='none')",
         "L1Loss()", "SmoothL1Loss(beta=2)", "HuberLoss(delta=2)", "HuberLoss('sum', 0.5)",
         "BCELoss()", "BCELoss(weight=T.ones(3))", "BCEWithLogitsLoss(pos_weight=T.ones(3))",
         "BCEWithLogitsLoss(T.ones(3), reduction='sum')", "KLDivLoss()",
         "KLDivLoss(reduction='batchmean', log_target=True)", "CosineEmbeddingLoss(0.5)",
         "MarginRankingLoss(1)", "MSELoss(size_average=False)", "L1Loss(reduce=False)",
         "NLLLoss(size_average=True, reduce=True)", "CrossEntropyLoss(reduction='bad')"]


@pytest.mark.parametrize("ctor", CTORS)
def test_module_repr_attributes_buffers(ctor):
    mods = []
    for T in (torch, ember):  # noqa: B007 (T is used by eval)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            mods.append(eval(f"T.nn.{ctor}"))
        if "size_average" in ctor or "reduce=" in ctor:
            assert any("size_average and reduce" in str(w.message) for w in rec)
    tm, em = mods
    assert repr(em) == repr(tm)
    public = lambda m: {k: v for k, v in vars(m).items() if not k.startswith("_")}
    assert public(em) == public(tm)
    assert list(dict(em.named_buffers())) == list(dict(tm.named_buffers()))
    assert list(em.state_dict()) == list(tm.state_dict())


@pytest.mark.parametrize("ctor", [c for c in CTORS if "bad" not in c and "size_average" not in c
                                  and "reduce=" not in c])
def test_module_forward(ctor):
    x = rand((4, 3))
    if "CrossEntropy" in ctor or "NLL" in ctor:
        y = classes((4,), 3)
        if "NLL" in ctor:
            check(lambda T, x, y: eval(f"T.nn.{ctor}")(F(T).log_softmax(x, 1), y), x, y)
        else:
            check(lambda T, x, y: eval(f"T.nn.{ctor}")(x, y), x, y)
    elif "Cosine" in ctor or "Margin" in ctor:
        t = np.array([1, -1, 1, -1]) if "Cosine" in ctor else np.sign(rand((4, 3), seed=5))
        check(lambda T, a, b, t: eval(f"T.nn.{ctor}")(a, b, t), x, rand((4, 3), seed=3), t)
    elif "BCELoss" in ctor:
        check(lambda T, x, y: eval(f"T.nn.{ctor}")(T.sigmoid(x), y), x, uniform((4, 3)))
    else:
        check(lambda T, x, y: eval(f"T.nn.{ctor}")(x, y), x, uniform((4, 3)))


def test_module_weight_follows_dtype_and_state_dict():
    w = ember.tensor([1.0, 2.0, 0.5])
    m = ember.nn.CrossEntropyLoss(weight=w).double()
    assert m.weight.dtype is ember.float64
    x = rand((4, 3))
    t = classes((4,), 3)
    ref = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5])).double()
    assert_same(m(to_ember(x), to_ember(t)), ref(to_torch(x), to_torch(t)))
    assert list(m.state_dict()) == ["weight"]


# -- node names and double backward --------------------------------------------------------------

NAMED = {
    "ce": lambda T, x: F(T).cross_entropy(x, T.tensor([1, 0, 3])),
    "ce_none": lambda T, x: F(T).cross_entropy(x, T.tensor([1, 0, 3]), reduction="none"),
    "ce_w": lambda T, x: F(T).cross_entropy(x, T.tensor([1, 0, 3]), weight=T.ones(4)),
    "ce_ls": lambda T, x: F(T).cross_entropy(x, T.tensor([1, 0, 3]), label_smoothing=0.1),
    "ce_prob": lambda T, x: F(T).cross_entropy(x, F(T).softmax(x.detach() * 2, 1)),
    "ce_prob_sum": lambda T, x: F(T).cross_entropy(x, F(T).softmax(x.detach(), 1),
                                                   reduction="sum"),
    "ce_prob_none": lambda T, x: F(T).cross_entropy(x, F(T).softmax(x.detach(), 1),
                                                    reduction="none"),
    "nll": lambda T, x: F(T).nll_loss(x, T.tensor([1, 0, 3])),
    "nll3": lambda T, x: F(T).nll_loss(x.reshape(3, 2, 2), T.zeros(3, 2, dtype=T.long)),
    "nll3_none": lambda T, x: F(T).nll_loss(x.reshape(3, 2, 2), T.zeros(3, 2, dtype=T.long),
                                            reduction="none"),
    "nll4_none": lambda T, x: F(T).nll_loss(x.reshape(3, 2, 2, 1),
                                            T.zeros(3, 2, 1, dtype=T.long), reduction="none"),
    "nll5_none": lambda T, x: F(T).nll_loss(x.reshape(3, 2, 2, 1, 1),
                                            T.zeros(3, 2, 1, 1, dtype=T.long), reduction="none"),
    "mse": lambda T, x: F(T).mse_loss(x, x.detach() * 0.5),
    "mse_w": lambda T, x: F(T).mse_loss(x, x.detach() * 0.5, weight=T.ones(3, 4)),
    "l1": lambda T, x: F(T).l1_loss(x, x.detach() * 0.5),
    "l1_none": lambda T, x: F(T).l1_loss(x, x.detach() * 0.5, reduction="none"),
    "smooth_l1": lambda T, x: F(T).smooth_l1_loss(x, x.detach() * 0.5),
    "smooth_l1_b0": lambda T, x: F(T).smooth_l1_loss(x, x.detach() * 0.5, beta=0.0),
    "huber": lambda T, x: F(T).huber_loss(x, x.detach() * 0.5),
    "huber_w": lambda T, x: F(T).huber_loss(x, x.detach() * 0.5, weight=T.ones(3, 4)),
    "bce": lambda T, x: F(T).binary_cross_entropy(T.sigmoid(x), T.full((3, 4), 0.3)),
    "bcel": lambda T, x: F(T).binary_cross_entropy_with_logits(x, T.full((3, 4), 0.3)),
    "kl_batchmean": lambda T, x: F(T).kl_div(x, T.full((3, 4), 0.3), reduction="batchmean"),
    "kl_none": lambda T, x: F(T).kl_div(x, T.full((3, 4), 0.3), reduction="none"),
    "kl_log": lambda T, x: F(T).kl_div(x, x.detach(), reduction="sum", log_target=True),
    "cos": lambda T, x: F(T).cosine_embedding_loss(x, x.detach() + 1, T.tensor([1, -1, 1])),
    "cos_none": lambda T, x: F(T).cosine_embedding_loss(x, x.detach() + 1, T.tensor([1, -1, 1]),
                                                        reduction="none"),
    "margin": lambda T, x: F(T).margin_ranking_loss(x[:, 0], x[:, 1].detach(),
                                                    T.tensor([1.0, -1.0, 1.0])),
    "margin_none": lambda T, x: F(T).margin_ranking_loss(x[:, 0], x[:, 1].detach(),
                                                         T.tensor([1.0, -1.0, 1.0]),
                                                         reduction="none"),
}


@pytest.mark.parametrize("name", sorted(NAMED))
def test_node_names(name):
    x = rand((3, 4), np.float32)
    t = NAMED[name](torch, to_torch(x))
    e = NAMED[name](ember, to_ember(x))
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
    check(NAMED[name], x)


DOUBLE = {
    "cross_entropy": lambda T, x: F(T).cross_entropy(x, T.tensor([1, 0, 3])),
    "cross_entropy_none": lambda T, x: F(T).cross_entropy(x, T.tensor([1, 0, 3]),
                                                          reduction="none"),
    "cross_entropy_w_ls": lambda T, x: F(T).cross_entropy(x, T.tensor([1, -100, 3]),
                                                          weight=T.tensor([1.0, 2, 3, 4],
                                                                          dtype=x.dtype),
                                                          label_smoothing=0.2),
    "cross_entropy_probs": lambda T, x: F(T).cross_entropy(x, F(T).softmax(x * 0.5, 1)),
    "cross_entropy_3d": lambda T, x: F(T).cross_entropy(x.reshape(3, 2, 2),
                                                        T.tensor([[1, 0], [0, 1], [1, 1]]),
                                                        reduction="sum"),
    "nll_sum": lambda T, x: F(T).nll_loss(x, T.tensor([1, 0, 3]), reduction="sum"),
    "mse": lambda T, x: F(T).mse_loss(x, x.flip(0)),
    "smooth_l1": lambda T, x: F(T).smooth_l1_loss(x * 0.3, x.flip(0), beta=0.5),
    "huber": lambda T, x: F(T).huber_loss(x * 0.3, x.flip(0), reduction="none"),
    "bce": lambda T, x: F(T).binary_cross_entropy(T.sigmoid(x), T.sigmoid(x.flip(0))),
    "bce_logits": lambda T, x: F(T).binary_cross_entropy_with_logits(
        x, T.sigmoid(x.flip(0)), pos_weight=T.tensor([1.0, 2.0, 0.5, 3.0], dtype=x.dtype)),
    "kl": lambda T, x: F(T).kl_div(F(T).log_softmax(x, 1), F(T).softmax(x.flip(0), 1),
                                   reduction="batchmean"),
    "cosine": lambda T, x: F(T).cosine_embedding_loss(x, x.flip(0), T.tensor([1, -1, -1]),
                                                      margin=-0.5),
}


@pytest.mark.parametrize("name", sorted(DOUBLE))
def test_double_backward(name):
    fn = DOUBLE[name]
    x = rand((3, 4))
    res = []
    for T in (torch, ember):
        mk = torch.from_numpy if T is torch else ember.from_numpy
        xt = mk(x.copy()).requires_grad_()
        out = fn(T, xt)
        u = np.random.default_rng(3).standard_normal(tuple(out.shape))
        g, = T.autograd.grad(out, xt, mk(u), create_graph=True)
        v = np.random.default_rng(4).standard_normal(x.shape)
        # NOTE: ember does not record a gradient that is constant in x (nll's is linear in
        # its upstream gradient only); PyTorch's second gradient is then all zeros
        gg = T.autograd.grad(g, xt, mk(v))[0] if g.requires_grad else None
        res.append((g, gg))
    assert_same(res[1][0], res[0][0])
    if res[1][1] is None:
        assert not np.any(res[0][1].numpy())
    else:
        assert_same(res[1][1], res[0][1], rtol=1e-8, atol=1e-9)


# -- generated inputs ------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), c=st.integers(1, 5), seed=st.integers(0, 2**16),
       scale=st.sampled_from([0.1, 3.0, 50.0]), smoothing=st.sampled_from([0.0, 0.25]),
       reduction=st.sampled_from(REDUCTIONS), ignore=st.booleans())
def test_generated_cross_entropy(n, c, seed, scale, smoothing, reduction, ignore):
    x = rand((n, c), np.float32, seed=seed, scale=scale)
    t = classes((n,), c, seed=seed)
    if ignore:
        t[0] = -100
    check(lambda T, x, t: F(T).cross_entropy(x, t, reduction=reduction,
                                             label_smoothing=smoothing), x, t, atol=1e-5)
