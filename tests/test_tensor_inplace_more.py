"""Tensor.transpose_/swapaxes_/swapdims_, fill_diagonal_, cumsum_/cumprod_ and the
take_along_dim method, against PyTorch."""
import numpy as np
import pytest

import ember
import ember._ops.more_inplace  # noqa: F401  (attaches the methods, until ember imports it)
from diff import assert_same, check, check_error

torch = pytest.importorskip("torch")

R = np.random.default_rng(0)


def arr(*shape, dtype="float32"):
    return R.standard_normal(shape).astype(dtype)


def names(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


@pytest.mark.parametrize("method", ["transpose_", "swapaxes_", "swapdims_"])
@pytest.mark.parametrize("dims", [(0, 2), (1, -1), (2, 2)])
def test_transpose_(method, dims):
    def f(lib, x):
        y = x.clone()
        out = getattr(y, method)(*dims)
        assert out is y
        assert y.stride() == tuple(y.stride())
        return y * 1, names(y), y.stride()
    check(f, arr(2, 3, 4))


def test_transpose_on_a_view_and_errors():
    def f(lib, x):
        base = x.clone()
        view = base[:, :2]
        view.transpose_(0, 1)
        assert tuple(base.shape) == (3, 4)
        view.mul_(2)  # goes through to the base with the new layout
        return base, view, names(view), names(base)
    check(f, arr(3, 4))
    check_error(lambda lib, x: x.transpose_(0, 5), arr(3, 4))
    check_error(lambda lib, x: x.requires_grad_().transpose_(0, 1), arr(3, 4))
    for lib in (torch, ember):  # in no_grad, a leaf that requires grad may change its layout
        x = lib.zeros(2, 3, requires_grad=True)
        with lib.no_grad():
            x.transpose_(0, 1)
        assert tuple(x.shape) == (3, 2) and x.is_leaf
    x = ember.arange(6).reshape(2, 3)
    assert x.t_().tolist() == [[0, 3], [1, 4], [2, 5]]
    # a layout change counts as a write: what backward saved before it is stale
    for lib in (torch, ember):
        a = lib.ones(2, 3, requires_grad=True)
        x = a * 1
        y = x * x
        v = x._version
        x.transpose_(0, 1)
        assert x._version == v + 1
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


@pytest.mark.parametrize("shape,wrap", [((3, 3), False), ((7, 3), False), ((7, 3), True),
                                        ((3, 7), True), ((4, 4, 4), False), ((2, 2), True),
                                        ((4, 3), True)])
def test_fill_diagonal_(shape, wrap):
    def f(lib, x):
        y = x.clone()
        out = y.fill_diagonal_(5.5, wrap=wrap)
        assert out is y
        return y, names(y)
    check(f, arr(*shape))


def test_fill_diagonal_kinds_and_errors():
    check(lambda lib, x: x.clone().fill_diagonal_(2.7), np.arange(9).reshape(3, 3), grad=False)
    check(lambda lib, x: x.clone().fill_diagonal_(lib.tensor(-1.5)), arr(3, 3))
    check(lambda lib, x: x.clone().t().fill_diagonal_(0), arr(4, 3))  # a transposed layout
    check(lambda lib, x: x.clone()[1].fill_diagonal_(3), arr(2, 3, 3))  # a view
    check(lambda lib, x: x.clone().fill_diagonal_(True), np.zeros((3, 3), bool), grad=False)
    for fn, a in ((lambda lib, x: x.fill_diagonal_(1), arr(3)),
                  (lambda lib, x: x.fill_diagonal_(1), arr(2, 3, 4)),
                  (lambda lib, x: x.requires_grad_().fill_diagonal_(1), arr(3, 3))):
        t, e = check_error(fn, a)
        assert e == t


@pytest.mark.parametrize("method", ["cumsum_", "cumprod_"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_cumprod_(method, dim):
    def f(lib, x):
        y = x.clone()
        assert getattr(y, method)(dim) is y
        return y, names(y)
    check(f, arr(3, 4) * 0.5 + 1)
    check(lambda lib, x: getattr(x, method)(dim), np.arange(12, dtype=np.int32).reshape(3, 4),
          grad=False)
    check(lambda lib, x: getattr(x, method)(dim, dtype=lib.int64),
          np.arange(12, dtype=np.int64).reshape(3, 4), grad=False)


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.cumsum_(0, dtype=lib.float64),
    lambda lib, x: x.long().cumsum_(0, dtype=lib.int32),
    lambda lib, x: x.bool().cumsum_(0),
    lambda lib, x: x.bool().cumprod_(0),
    lambda lib, x: x.cumsum_(3),
    lambda lib, x: x.requires_grad_().cumprod_(0),
])
def test_cumsum_cumprod_errors(fn):
    t, e = check_error(fn, arr(2, 3))
    assert e == t


def test_take_along_dim_method():
    idx = np.array([[0, 2], [1, 0]])
    check(lambda lib, x, i: x.take_along_dim(i, 1), arr(2, 3), idx)
    check(lambda lib, x, i: x.take_along_dim(i), arr(2, 3), np.array([4, 0, 5]))
    check(lambda lib, x, i: x.take_along_dim(i, dim=0), arr(2, 3), np.array([[1, 0, 1]]))
    e = ember.arange(6.0).reshape(2, 3).take_along_dim(ember.tensor([[2], [0]]), 1)
    t = torch.arange(6.0).reshape(2, 3).take_along_dim(torch.tensor([[2], [0]]), 1)
    assert_same(e, t)
