"""LPPool1d/2d/3d, LocalResponseNorm, CrossMapLRN2d and RReLU against PyTorch.

Values and gradients (float32 and float64), printed modules, errors, and the
random slopes of RReLU in training, which must be PyTorch's bit for bit after the
same ``manual_seed`` (as must the generator's state afterwards).
"""
import math

import numpy as np
import pytest

import ember
from diff import check, check_error

torch = pytest.importorskip("torch")

DTYPES = [np.float32, np.float64]


def arr(shape, dtype=np.float64, seed=0, positive=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    return (np.abs(a) + 0.1 if positive else a).astype(dtype)


def same_bits(e, t):
    e, t = e.detach(), t.detach()
    assert str(e.dtype).replace("torch.", "") == str(t.dtype).replace("torch.", "")
    assert tuple(e.shape) == tuple(t.shape)
    if t.dtype == torch.bfloat16:
        e, t = e.float(), t.float()
    assert e.numpy().tobytes() == t.numpy().tobytes()


# -- lp_pool --------------------------------------------------------------------------

LP_CASES = [
    # (fn, shape, norm_type, kernel, stride, ceil_mode)
    ("lp_pool1d", (2, 3, 7), 2, 3, None, False),
    ("lp_pool1d", (3, 8), 1.5, 2, 1, False),
    ("lp_pool1d", (2, 2, 7), 3, 2, 2, True),
    ("lp_pool2d", (2, 3, 6, 5), 2, 2, None, False),
    ("lp_pool2d", (3, 6, 5), 4, (2, 3), (1, 2), True),
    ("lp_pool2d", (1, 2, 5, 5), 1.0, 3, 2, False),
    ("lp_pool3d", (1, 2, 4, 5, 4), 2, 2, None, False),
    ("lp_pool3d", (2, 4, 5, 6), 3.0, (2, 1, 3), (1, 2, 2), True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", LP_CASES)
def test_lp_pool_values_and_grads(case, dtype):
    name, shape, p, k, s, ceil = case
    x = arr(shape, dtype, positive=True)
    check(lambda lib, t: getattr(lib.nn.functional, name)(t, p, k, s, ceil), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [math.inf, -math.inf, 1, 2, 3, 0.5])
@pytest.mark.parametrize("name", ["lp_pool1d", "lp_pool2d", "lp_pool3d"])
def test_lp_pool_signed_inputs_and_infinite_norms(name, p, dtype):
    # negative inputs: even p is fine, odd/fractional p give NaN where PyTorch does
    nd = int(name[-2])
    x = arr((2, 2) + (4,) * nd, dtype, seed=3)
    check(lambda lib, t: getattr(lib.nn.functional, name)(t, p, 2), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_lp_pool_zero_window_has_zero_gradient(dtype):
    x = arr((1, 1, 6), dtype)
    x[0, 0, :2] = 0
    check(lambda lib, t: lib.nn.functional.lp_pool1d(t, 2, 2), x)
    x4 = arr((1, 1, 4, 4), dtype)
    x4[0, 0, :2, :2] = 0
    check(lambda lib, t: lib.nn.functional.lp_pool2d(t, 3, 2), x4)


def test_lp_pool_graph_names():
    for lib in (ember, torch):
        x = lib.ones(1, 2, 4, requires_grad=True)
        assert type(lib.nn.functional.lp_pool1d(x, 2, 2).grad_fn).__name__ == "PowBackward0"
        y = lib.nn.functional.lp_pool1d(x, math.inf, 2)
        assert type(y.grad_fn).__name__ == "SqueezeBackward1"
        y = lib.nn.functional.lp_pool1d(x, -math.inf, 2)
        assert type(y.grad_fn).__name__ == "NegBackward0"


@pytest.mark.parametrize("dtype", DTYPES)
def test_lp_pool_modules(dtype):
    x1, x2, x3 = (arr(s, dtype, positive=True) for s in
                  [(2, 3, 8), (2, 3, 6, 6), (1, 2, 4, 4, 4)])
    check(lambda lib, t: lib.nn.LPPool1d(2, 3, 2)(t), x1)
    check(lambda lib, t: lib.nn.LPPool2d(1.5, (2, 3), ceil_mode=True)(t), x2)
    check(lambda lib, t: lib.nn.LPPool3d(3, 2)(t), x3)
    check(lambda lib, t: lib.nn.LPPool2d(math.inf, 2)(t), x2)


@pytest.mark.parametrize("fn", [
    lambda lib, t: lib.nn.functional.lp_pool2d(t, 2, 0),
    lambda lib, t: lib.nn.functional.lp_pool2d(t, 0, 2),
    lambda lib, t: lib.nn.functional.lp_pool1d(t[0], 2, 5),
    lambda lib, t: lib.nn.functional.lp_pool1d(t[0], 2, (2,)),
    lambda lib, t: lib.nn.functional.lp_pool2d(t, 2, (2, 2, 2)),
    lambda lib, t: lib.nn.functional.lp_pool2d(t[0, 0, 0], 2, 2),
    lambda lib, t: lib.nn.functional.lp_pool1d(t[0], 2, 2, 0),
    lambda lib, t: lib.nn.functional.lp_pool3d(t[0], 2, 2, 0),
])
def test_lp_pool_errors(fn):
    t, e = check_error(fn, arr((1, 1, 4, 4), np.float32))
    assert t == e


# -- local response norm ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,size", [((2, 5, 7), 3), ((2, 6, 4, 3), 2), ((1, 4, 3, 2, 3), 5),
                                        ((2, 3, 4), 1), ((1, 3, 4, 4), 8)])
def test_local_response_norm(shape, size, dtype):
    x = arr(shape, dtype, seed=1) * 3
    check(lambda lib, t: lib.nn.functional.local_response_norm(t, size, 1e-2, 0.75, 2.0), x)
    check(lambda lib, t: lib.nn.LocalResponseNorm(size)(t), x)


def test_local_response_norm_empty_and_graph():
    for lib in (ember, torch):
        e = lib.zeros(0, 3, 4)
        assert lib.nn.functional.local_response_norm(e, 2) is e
        x = lib.ones(1, 3, 4, requires_grad=True)
        y = lib.nn.functional.local_response_norm(x, 2)
        assert type(y.grad_fn).__name__ == "DivBackward0"


@pytest.mark.parametrize("fn", [
    lambda lib, t: lib.nn.functional.local_response_norm(t[0, 0], 2),
    lambda lib, t: lib.nn.functional.local_response_norm(t[0, 0, 0], 2),
    lambda lib, t: lib.nn.LocalResponseNorm(2)(t[0, 0]),
    lambda lib, t: lib.nn.functional.local_response_norm(t[0], 0),
    lambda lib, t: lib.nn.functional.local_response_norm(t[0], -1),
    lambda lib, t: lib.nn.functional.local_response_norm(t, 0),
])
def test_local_response_norm_errors(fn):
    t, e = check_error(fn, arr((2, 3, 4, 4), np.float32))
    assert t == e


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size,channels", [(3, 6), (5, 9), (4, 5), (2, 3), (5, 2), (7, 12)])
def test_cross_map_lrn2d(size, channels, dtype):
    # NOTE: PyTorch's legacy forward and hand-written backward, quirks and all
    x = arr((2, channels, 3, 2), dtype, seed=2) * 4
    check(lambda lib, t: lib.nn.CrossMapLRN2d(size, 1e-1, 0.75, 1.5)(t), x)


def test_cross_map_lrn2d_errors():
    t, e = check_error(lambda lib, t: lib.nn.CrossMapLRN2d(3)(t), arr((2, 3, 4), np.float32))
    assert t == e
    x = arr((1, 3, 2, 2), np.float64)
    for lib in (ember, torch):  # size 1: PyTorch's backward cannot run
        y = lib.nn.CrossMapLRN2d(1)(lib.from_numpy(x.copy()).requires_grad_())
        with pytest.raises(RuntimeError):
            y.sum().backward()


# -- rrelu ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_rrelu_eval(dtype):
    x = arr((3, 4, 5), dtype)
    x[0, 0, :2] = 0
    check(lambda lib, t: lib.nn.functional.rrelu(t), x)
    check(lambda lib, t: lib.nn.functional.rrelu(t, 0.2, 0.5, False), x)
    check(lambda lib, t: lib.nn.functional.rrelu(t, -0.5, 0.1), x)
    check(lambda lib, t: lib.nn.functional.rrelu(t * 1, 0.1, 0.3, inplace=True), x)
    check(lambda lib, t: lib.nn.RReLU(0.1, 0.4).eval()(t), x)


def _train(lib, x, *args, **kw):
    lib.manual_seed(1234)
    t = (ember.from_numpy if lib is ember else torch.from_numpy)(x.copy()).requires_grad_()
    y = lib.nn.functional.rrelu(t * 1, *args, training=True, **kw)
    g = np.random.default_rng(5).standard_normal(x.shape).astype(x.dtype)
    y.backward((ember.from_numpy if lib is ember else torch.from_numpy)(g))
    return y, t.grad, lib.rand(3), lib.rand(2, dtype=lib.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("args", [(), (0.1, 0.9), (-0.5, 0.5), (0.3, 0.3)])
def test_rrelu_training_draws_match_torch(args, dtype):
    x = arr((7, 11, 13), dtype, seed=4)
    x.reshape(-1)[:5] = 0  # zeros draw a slope too
    x.reshape(-1)[5] = np.nan
    e, t = _train(ember, x, *args), _train(torch, x, *args)
    for a, b in zip(e, t):  # outputs, gradients, and the generator's state after
        same_bits(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rrelu_training_inplace_and_module(dtype):
    x = arr((40, 30), dtype, seed=6)
    e, t = _train(ember, x, 0.05, 0.2, inplace=True), _train(torch, x, 0.05, 0.2, inplace=True)
    for a, b in zip(e, t):
        same_bits(a, b)

    def run(lib):
        lib.manual_seed(7)
        m = lib.nn.RReLU()
        src = (ember.from_numpy if lib is ember else torch.from_numpy)(x.copy())
        return m(src), m(src), m.eval()(src)

    for a, b in zip(run(ember), run(torch)):
        same_bits(a, b)


def test_rrelu_training_noncontiguous_and_bfloat16():
    x = arr((6, 9), np.float32, seed=8)

    def run(lib):
        lib.manual_seed(3)
        src = (ember.from_numpy if lib is ember else torch.from_numpy)(x.copy())
        a = lib.nn.functional.rrelu(src.t(), training=True)
        b = lib.nn.functional.rrelu(src.to(lib.bfloat16), 0.1, 0.2, training=True)
        c = lib.nn.functional.rrelu(src.to(lib.bfloat16), 0.1, 0.2)
        return a, b, c, lib.rand(2)

    for a, b in zip(run(ember), run(torch)):
        same_bits(a, b)


def test_rrelu_graph_names():
    for lib in (ember, torch):
        x = lib.randn(4, requires_grad=True)
        for training in (False, True):
            y = lib.nn.functional.rrelu(x, training=training)
            assert type(y.grad_fn).__name__ == "RreluWithNoiseBackward0"
            y = lib.nn.functional.rrelu_(x * 1, training=training)
            assert type(y.grad_fn).__name__ == "RreluWithNoiseBackward1"


def test_rrelu_inplace_negative_slope_backward():
    x = arr((6,), np.float32)
    msg = "In-place leakyReLu backward calculation is triggered with a negative slope"
    for lib in (ember, torch):
        t = (ember.from_numpy if lib is ember else torch.from_numpy)(x.copy()).requires_grad_()
        y = lib.nn.functional.rrelu_(t * 1, -0.5, -0.1)
        with pytest.raises(RuntimeError, match=msg):
            y.sum().backward()
        y = lib.nn.functional.rrelu_(t * 1, -0.5, -0.5, training=True)
        y.sum().backward()  # training: the noise itself, no error


@pytest.mark.parametrize("fn", [
    lambda lib, t: lib.nn.functional.rrelu(t, 0.5, 0.1),
    lambda lib, t: lib.nn.functional.rrelu(t, 0.5, 0.1, training=True),
    lambda lib, t: lib.nn.functional.rrelu(t, float("nan"), 0.1),
    lambda lib, t: lib.nn.functional.rrelu(t, 0.1, float("inf")),
    lambda lib, t: lib.nn.functional.rrelu(t, -float("inf"), 0.1, training=True),
    lambda lib, t: lib.nn.functional.rrelu(t, float("nan"), float("inf")),
    lambda lib, t: lib.nn.functional.rrelu_(t, 0.5, 0.1),
    lambda lib, t: lib.nn.functional.rrelu(t.long()),
    lambda lib, t: lib.nn.functional.rrelu(t.long(), training=True),
    lambda lib, t: lib.nn.functional.rrelu(t.long(), 0.5, 0.1, training=True),
    lambda lib, t: lib.nn.functional.rrelu(t > 0),
    lambda lib, t: lib.nn.functional.rrelu(t.half(), training=True),
    lambda lib, t: lib.nn.RReLU(0.5, 0.1)(t),
    lambda lib, t: lib.nn.functional.rrelu(t.requires_grad_(), inplace=True),
])
def test_rrelu_errors(fn):
    t, e = check_error(fn, arr((5,), np.float32))
    assert t == e


# -- printing -----------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda nn: nn.LPPool2d(2, 3),
    lambda nn: nn.LPPool1d(2, 3, 2, True),
    lambda nn: nn.LPPool3d(1.5, (2, 2, 2)),
    lambda nn: nn.LPPool2d(float("inf"), [2, 3], stride=(1, 1)),
    lambda nn: nn.RReLU(),
    lambda nn: nn.RReLU(0.1, 0.3, True),
    lambda nn: nn.RReLU(0.5, 0.1),
    lambda nn: nn.LocalResponseNorm(2),
    lambda nn: nn.LocalResponseNorm(3, 1e-3, 0.5, 2),
    lambda nn: nn.CrossMapLRN2d(3),
    lambda nn: nn.Sequential(nn.LPPool2d(2, 2), nn.RReLU(), nn.LocalResponseNorm(5)),
])
def test_reprs(make):
    assert repr(make(ember.nn)) == repr(make(torch.nn))
