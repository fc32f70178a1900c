"""Reductions, scans, sorting and selection against PyTorch."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember
from diff import check, check_error, gradcheck, to_ember, to_torch, torch

FLOATS = [np.float32, np.float64]


def rnd(shape=(3, 4, 5), dtype=np.float64, seed=0, lo=None):
    r = np.random.default_rng(seed)
    a = r.standard_normal(shape) if lo is None else r.uniform(lo, lo + 2, shape)
    return np.asarray(a).astype(dtype)


def names(fn, *arrays):
    t = fn(torch, *[to_torch(a) for a in arrays])
    e = fn(ember, *[to_ember(a) for a in arrays])
    t = t[0] if isinstance(t, tuple) else t
    e = e[0] if isinstance(e, tuple) else e
    return type(e.grad_fn).__name__, type(t.grad_fn).__name__


# Each reduction is run with every dim spelling: None, an int, a negative int, a tuple, keepdim.
DIMS = [None, 0, -1, 1, (0, 2), (-1, 0), ()]

REDUCTIONS = {
    "sum": lambda T, x, d, k: x.sum() if d is None else x.sum(d, keepdim=k),
    "mean": lambda T, x, d, k: T.mean(x) if d is None else T.mean(x, d, keepdim=k),
    "nansum": lambda T, x, d, k: x.nansum() if d is None else x.nansum(d, keepdim=k),
    "amax": lambda T, x, d, k: x.amax() if d is None else T.amax(x, d, keepdim=k),
    "amin": lambda T, x, d, k: x.amin() if d is None else x.amin(d, keepdim=k),
    "std": lambda T, x, d, k: x.std() if d is None else x.std(d, keepdim=k),
    "var": lambda T, x, d, k: T.var(x) if d is None else T.var(x, d, keepdim=k),
    "var_c0": lambda T, x, d, k: T.var(x, d, correction=0, keepdim=k),
    "std_c2": lambda T, x, d, k: x.std(d, correction=2, keepdim=k),
    "std_unbiased": lambda T, x, d, k: x.std(d, unbiased=False, keepdim=k),
    "norm": lambda T, x, d, k: x.norm() if d is None else x.norm(dim=d, keepdim=k),
    "norm1": lambda T, x, d, k: x.norm(1, d, k),
    "norm3": lambda T, x, d, k: T.norm(x, 3, d, k),
    "norm_inf": lambda T, x, d, k: x.norm(float("inf"), d, k),
    "norm_ninf": lambda T, x, d, k: x.norm(float("-inf"), d, k),
    "norm0": lambda T, x, d, k: x.norm(0, d, k),
    "logsumexp": lambda T, x, d, k: T.logsumexp(x, d if d is not None else (0, 1, 2), k),
    "count_nonzero": lambda T, x, d, k: T.count_nonzero(x, d),
    "all": lambda T, x, d, k: x.all() if d is None else x.all(d, keepdim=k),
    "any": lambda T, x, d, k: T.any(x) if d is None else T.any(x, d, keepdim=k),
    "prod": lambda T, x, d, k: x.prod() if d is None else x.prod(d, keepdim=k),
}
INT_DIM_ONLY = {"prod", "all", "any"}  # these take one int dim (tuple dims since 2.2 for all/any)


def _dims_for(name):
    if name in INT_DIM_ONLY:
        return [None, 0, -1, 1]
    if name in ("norm0",):
        return [None, 1, (0, 2)]
    if name.startswith(("std", "var", "logsumexp")):
        # NOTE: PyTorch reduces everything for std/var(dim=()) but its backward then treats ()
        # as "no dims" (inf gradients), and logsumexp(dim=()) fails; ember reduces all dims.
        return [d for d in DIMS if d != ()]
    return DIMS


CASES = [(n, d, k) for n in REDUCTIONS for d in _dims_for(n) for k in (False, True)
         if not (d is None and k)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,dim,keepdim", CASES)
def test_reduction(name, dim, keepdim, dtype):
    fn = REDUCTIONS[name]
    x = rnd(dtype=dtype)
    check(lambda T, x: fn(T, x, dim, keepdim), x)
    # a non-contiguous view
    check(lambda T, x: fn(T, x.permute(2, 0, 1), dim, keepdim), rnd((4, 5, 3), dtype, 1))


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_gradcheck(name):
    fn = REDUCTIONS[name]
    if name in ("count_nonzero", "all", "any", "norm0"):
        return
    x = rnd((2, 3, 2), seed=3)
    gradcheck(lambda T, x: fn(T, x, 1, False), x)
    gradcheck(lambda T, x: fn(T, x, None, False) if name != "logsumexp" else fn(T, x, 0, True), x)


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_node_names(name):
    fn = REDUCTIONS[name]
    if name in ("count_nonzero", "all", "any"):
        return
    x = rnd(dtype=np.float32)
    for d in (None, 1):
        e, t = names(lambda T, x, d=d: fn(T, x, d, False), x)
        assert e == t, (d, e, t)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int8, np.bool_, np.float16])
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_other_dtypes(name, dtype):
    fn = REDUCTIONS[name]
    r = np.random.default_rng(5)
    x = (r.random((3, 4)) > 0.5) if dtype is np.bool_ else r.integers(0, 4, (3, 4)).astype(dtype)
    for d in (None, 1, (0, 1)):
        if name in INT_DIM_ONLY and isinstance(d, tuple):
            continue
        # mean/std/norm of integers raise in PyTorch; sum/prod of integers give int64.
        check(lambda T, x, d=d: fn(T, x, d if d is not None or name != "logsumexp" else 0, False),
              x, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_zero_dim_and_empty(name):
    fn = REDUCTIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # std/var of one element warn in both
        check(lambda T, x: fn(T, x, None if name != "logsumexp" else 0, False), np.array(1.5))
        check(lambda T, x: fn(T, x, 0, False), np.array(-2.0))
        check(lambda T, x: fn(T, x, -1, True), np.array(-2.0))
        check(lambda T, x: fn(T, x, 1, False), np.zeros((3, 0)))
        check(lambda T, x: fn(T, x, 0, False), np.zeros((3, 0)))
        if name not in ("logsumexp",):
            check(lambda T, x: fn(T, x, None, False), np.zeros((0, 4)))
        check_error(lambda T, x: fn(T, x, 3, False), np.ones((2, 2)))


def test_sum_dtypes():
    i = np.arange(12).reshape(3, 4).astype(np.int32)
    check(lambda T, x: x.sum(), i)
    check(lambda T, x: x.sum(dtype=T.float64), i)
    check(lambda T, x: x.sum(1, dtype=T.int32), i)
    check(lambda T, x: x.sum(0, dtype=T.float16), rnd((3, 4)))
    check(lambda T, x: T.sum(x, dtype=T.float64), rnd((3, 4), np.float32))
    check(lambda T, x: x.mean(dtype=T.float64), i)
    check(lambda T, x: x.mean(dtype=T.float32), rnd((3, 4)))
    check(lambda T, x: x.prod(dtype=T.float64), i)
    check(lambda T, x: x.cumsum(0, dtype=T.float64), i)
    check(lambda T, x: x.sum(), np.ones((3, 4), bool))
    check(lambda T, x: x.sum(), np.full((4,), 200, np.uint8))
    check(lambda T, x: x.sum(), np.full((1000,), 1.1, np.float16), rtol=1e-3)
    check(lambda T, x: x.mean(), np.full((1000,), 1.1, np.float16), rtol=1e-3)
    check_error(lambda T, x: x.mean(), i)
    check_error(lambda T, x: x.std(), i)
    check_error(lambda T, x: x.norm(), i)


def test_prod_with_zeros():
    x = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, -3.0]])
    check(lambda T, x: x.prod(), x)
    check(lambda T, x: x.prod(1), x)
    check(lambda T, x: x.prod(0, keepdim=True), x)
    check(lambda T, x: x.prod(), x[2])
    check(lambda T, x: x.prod(), np.array([0.0, 2.0, 3.0]))
    check(lambda T, x: x.prod(), np.array([0.0]))
    check(lambda T, x: x.prod(-1), np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0]]))
    gradcheck(lambda T, x: x.prod(1), x)
    gradcheck(lambda T, x: x.prod(), np.array([0.0, 2.0, 3.0]))


def test_max_min_with_dim():
    x = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 0.0, 2.0], [5.0, np.nan, 1.0, np.nan]])
    for fn in [lambda T, x: x.max(1), lambda T, x: x.min(1), lambda T, x: T.max(x, 0),
               lambda T, x: x.max(1, keepdim=True), lambda T, x: T.min(x, -1, True),
               lambda T, x: x.max(dim=0), lambda T, x: x[:2].max(1), lambda T, x: x[:2].min(0)]:
        check(fn, x)
    r = ember.from_numpy(x).max(1)
    t = torch.from_numpy(x).max(1)
    assert type(r).__name__ == type(t).__name__ == "max"
    assert r.values is r[0] and r.indices is r[1]
    assert repr(ember.tensor([[1.0, 2.0]]).max(1)) == repr(torch.tensor([[1.0, 2.0]]).max(1))
    check(lambda T, x: x.max(0), np.array(3.0))
    check(lambda T, x: x.max(1), np.arange(12).reshape(3, 4))
    check(lambda T, x: x.max(1), np.ones((3, 4), bool))
    check_error(lambda T, x: x.max(1), np.zeros((3, 0)))
    check(lambda T, x: x.max(0), np.zeros((3, 0)))
    check_error(lambda T, x: x.max(2), x)
    for fn in (lambda T, x: x.max(1), lambda T, x: x.min(0)):
        e, t = names(fn, x)
        assert e == t


def test_max_min_full_and_ties():
    x = np.array([[1.0, 3.0, 3.0], [3.0, 0.0, -1.0]])
    for fn in [lambda T, x: x.max(), lambda T, x: x.min(), lambda T, x: T.amax(x),
               lambda T, x: x.amax(1), lambda T, x: T.amin(x, (0, 1)), lambda T, x: x.amax(0)]:
        check(fn, x)  # ties share the gradient evenly
    check(lambda T, x: x.max(), np.array([1.0, np.nan, 3.0]))
    check(lambda T, x: x.min(), np.array([1.0, np.nan, np.nan]))
    check(lambda T, x: x.amax(), np.array([1.0, np.nan, 3.0]))
    check(lambda T, x: x.max(), np.arange(5))
    check(lambda T, x: x.max(), np.array([True, False]))
    check_error(lambda T, x: x.max(), np.zeros((0,)))
    check_error(lambda T, x: x.amax(), np.zeros((0,)))
    check_error(lambda T, x: x.amax(1), np.zeros((2, 0)))
    check(lambda T, x: x.amax(0), np.zeros((2, 0)))
    check(lambda T, x, y: T.max(x, y), x, x[::-1].copy())  # binary form is maximum
    for fn in (lambda T, x: x.max(), lambda T, x: x.amax(), lambda T, x: x.amin(1)):
        e, t = names(fn, x)
        assert e == t
    gradcheck(lambda T, x: x.amax(1), np.array([[1.0, 3.0, 2.0], [3.0, 0.0, -1.0]]))


def test_aminmax():
    x = rnd((3, 4))
    check(lambda T, x: T.aminmax(x), x)
    check(lambda T, x: T.aminmax(x, dim=1, keepdim=True), x)
    r = ember.aminmax(ember.from_numpy(x))
    assert r.min is r[0] and r.max is r[1]


def test_argmax_argmin():
    x = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, np.nan, 0.0, np.nan], [0.0, 0.0, 0.0, 0.0]])
    for fn in [lambda T, x: x.argmax(), lambda T, x: x.argmin(), lambda T, x: x.argmax(1),
               lambda T, x: T.argmin(x, 0), lambda T, x: x.argmax(-1, keepdim=True),
               lambda T, x: x.argmax(keepdim=True), lambda T, x: x[::2, 1:].argmin(1)]:
        check(fn, x)
        check(fn, np.nan_to_num(x).astype(np.int64))
    check(lambda T, x: x.argmax(), np.array(3.0))
    check(lambda T, x: x.argmax(0), np.array(3.0))
    check_error(lambda T, x: x.argmax(), np.zeros((0,)))
    check_error(lambda T, x: x.argmax(1), np.zeros((2, 0)))
    check(lambda T, x: x.argmax(0), np.zeros((2, 0)))
    check_error(lambda T, x: x.argmax(), np.array([True, False]))


def test_std_var_arguments():
    x = rnd((4, 5))
    for fn in [lambda T, x: x.std(True), lambda T, x: x.std(False), lambda T, x: x.var(0),
               lambda T, x: x.var(1, True), lambda T, x: x.var(1, False, True),
               lambda T, x: T.std(x, unbiased=False), lambda T, x: x.var(correction=0),
               lambda T, x: x.std(dim=(0, 1), correction=3), lambda T, x: x.var(dim=None),
               lambda T, x: x.std(dim=1, unbiased=True, keepdim=True),
               lambda T, x: T.var_mean(x, 1), lambda T, x: T.std_mean(x, dim=0, correction=0),
               lambda T, x: T.var_mean(x), lambda T, x: T.std_mean(x, True),
               lambda T, x: x.var(1, correction=0.5)]:
        check(fn, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(lambda T, x: x.std(), np.array([1.0]))
        check(lambda T, x: x.var(0), np.array([[1.0, 2.0]]))
        check(lambda T, x: x.std(correction=5), x)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        ember.ones(1).var()
    gradcheck(lambda T, x: x.std(1, correction=0), x)
    gradcheck(lambda T, x: x.var(0, correction=2), x)


def test_std_constant_input():
    # std of a constant row is exactly 0 and its gradient is zeroed, as in PyTorch
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0], [1e-8, 1e-8, 1e-8], [0.1, 0.1, 0.1]])
    check(lambda T, x: x.std(1), x, atol=0)
    check(lambda T, x: x.var(1), x, atol=0)
    check(lambda T, x: x.std(1), x.astype(np.float32), atol=0)


def test_norm_variants():
    x = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0]])
    for p in [1, 2, 3, 0.5, float("inf"), float("-inf"), 0, "fro"]:
        check(lambda T, x, p=p: x.norm(p), x)
        check(lambda T, x, p=p: x.norm(p, dim=1), x)
        check(lambda T, x, p=p: T.norm(x, p, dim=(0, 1), keepdim=True), x)
    check(lambda T, x: x.norm(dtype=T.float64), x.astype(np.float32))
    check(lambda T, x: x.norm(), np.zeros((0, 3)))
    check(lambda T, x: x.norm(float("inf")), np.zeros((0, 3)))
    check(lambda T, x: x.norm(dim=0), np.zeros((0, 3)))
    check(lambda T, x: x.norm(2), np.array([1e30, 1e30], np.float32))  # no overflow to inf
    check(lambda T, x: x.norm(2), np.array([1e-30, 1e-30], np.float32))
    gradcheck(lambda T, x: x.norm(3, 1), rnd((2, 3)))
    gradcheck(lambda T, x: x.norm(float("inf"), 1), np.array([[1.0, -3.0, 2.0], [0.5, 0.2, 0.1]]))


def test_logsumexp_stable():
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e4, -1e4, -1e4], [np.inf, 1.0, 2.0]])
    check(lambda T, x: x.logsumexp(1), x[:2])
    check(lambda T, x: x.logsumexp(1), x)
    check(lambda T, x: T.logsumexp(x, 0, keepdim=True), x[:2])
    check(lambda T, x: x.logsumexp(1), np.array([[-np.inf, -np.inf], [np.nan, 1.0]]))
    check(lambda T, x: x.logsumexp(1), x[:2].astype(np.float32))
    check(lambda T, x: x.logsumexp(0), np.arange(4))
    check(lambda T, x: x.logsumexp(0), np.zeros((0, 2)))
    check(lambda T, x: x.logsumexp((0, 1)), rnd((2, 3)))
    check_error(lambda T, x: x.logsumexp(), rnd((2, 3)))


def test_cumsum_cumprod():
    x = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 2.0], [1.0, 2.0, -3.0, 0.5]])
    for fn in [lambda T, x: x.cumsum(0), lambda T, x: x.cumsum(-1), lambda T, x: T.cumsum(x, 1),
               lambda T, x: x.cumprod(1), lambda T, x: x.cumprod(0), lambda T, x: x.t().cumprod(1),
               lambda T, x: T.cumprod(x, -1, dtype=T.float32)]:
        check(fn, x, grad_rtol=1e-6)
    gradcheck(lambda T, x: x.cumprod(1), x)
    gradcheck(lambda T, x: x.cumsum(0), x)
    check(lambda T, x: x.cumsum(0), np.arange(5, dtype=np.int32))
    check(lambda T, x: x.cumsum(0), np.array([True, True, False]))
    check(lambda T, x: x.cumprod(0), np.arange(1, 5, dtype=np.uint8))
    check(lambda T, x: x.cumsum(0), np.array(2.5))
    check(lambda T, x: x.cumprod(0), np.array(2.5))
    check(lambda T, x: x.cumsum(0), np.zeros((0, 2)))
    check_error(lambda T, x: x.cumsum(2), x)
    check_error(lambda T, x: x.cumsum(), x) if False else None
    for fn in (lambda T, x: x.cumsum(0), lambda T, x: x.cumprod(1)):
        e, t = names(fn, x)
        assert e == t


def test_cummax_cummin():
    x = np.array([[1.0, 3.0, 2.0, 3.0], [0.0, -1.0, -1.0, 5.0]])
    check(lambda T, x: x.cummax(1), x)
    check(lambda T, x: T.cummin(x, 0), x)
    check(lambda T, x: x.cummax(1), np.array([[1.0, np.nan, 2.0]]))
    check(lambda T, x: x.cummax(0), np.arange(4))
    e, t = names(lambda T, x: x.cummax(1), x)
    assert e == t


def test_all_any():
    x = np.array([[0, 1, 2], [3, 4, 5]])
    for dt in [np.int64, np.uint8, np.bool_, np.float32]:
        for fn in [lambda T, x: x.all(), lambda T, x: x.any(), lambda T, x: x.all(1),
                   lambda T, x: T.any(x, 0, keepdim=True), lambda T, x: x.all((0, 1)),
                   lambda T, x: T.all(x, -1)]:
            check(fn, x.astype(dt))
    check(lambda T, x: x.all(), np.zeros((0,)))
    check(lambda T, x: x.any(), np.zeros((0,)))
    check(lambda T, x: x.any(), np.array([np.nan]))


def test_count_nonzero():
    x = np.array([[0.0, 1.0, np.nan], [0.0, -0.0, 3.0]])
    for fn in [lambda T, x: T.count_nonzero(x), lambda T, x: x.count_nonzero(0),
               lambda T, x: x.count_nonzero((0, 1)), lambda T, x: x.count_nonzero(dim=-1)]:
        check(fn, x)
        check(fn, x.astype(bool))


def test_sort_argsort():
    x = np.array([[3.0, 1.0, 2.0, 1.0, np.nan, -np.inf], [0.0, 0.0, -1.0, 5.0, 5.0, 2.0]])
    for fn in [lambda T, x: x.sort(), lambda T, x: x.sort(descending=True),
               lambda T, x: T.sort(x, 0), lambda T, x: x.sort(1, True),
               lambda T, x: x.sort(stable=True), lambda T, x: x.sort(dim=0, descending=True),
               lambda T, x: x.sort(stable=True, descending=True),
               lambda T, x: T.argsort(x, 1), lambda T, x: x.argsort(descending=True),
               lambda T, x: x.argsort(dim=0, stable=True), lambda T, x: x.t().sort(),
               lambda T, x: T.msort(x)]:
        check(fn, x)
        check(fn, np.nan_to_num(x, nan=7, neginf=-9).astype(np.int64))
    check(lambda T, x: x.sort(), np.array([True, False, True]))
    check(lambda T, x: x.sort(), np.array(3.0))
    check(lambda T, x: x.sort(0), np.zeros((0, 3)))
    check_error(lambda T, x: x.sort(2), x)
    r = ember.tensor([3, 1]).sort()
    assert type(r).__name__ == "sort" and r.values.tolist() == [1, 3]
    e, t = names(lambda T, x: x.sort(), x)
    assert e == t


def test_topk():
    # NOTE: no ties: PyTorch's selection order among equal values is an implementation detail.
    x = np.array([[3.0, 1.0, 2.0, 1.5, 5.0], [0.0, 0.5, -1.0, 5.0, 4.0]])
    for fn in [lambda T, x: x.topk(2), lambda T, x: T.topk(x, 3, largest=False),
               lambda T, x: x.topk(1, dim=0), lambda T, x: x.topk(0),
               lambda T, x: x.topk(5), lambda T, x: x.topk(2, -1, True, True)]:
        check(fn, x)
    check(lambda T, x: x.topk(2), np.arange(6))
    check(lambda T, x: x.topk(1), np.array(2.0))
    check_error(lambda T, x: x.topk(6), x)
    check_error(lambda T, x: x.topk(-1), x)
    r = ember.tensor([3.0, 1.0]).topk(1)
    assert type(r).__name__ == "topk"
    e, t = names(lambda T, x: x.topk(2), x)
    assert e == t


def test_kthvalue_median():
    x = np.array([[3.0, 1.0, 2.0, 1.5], [0.0, 0.5, -1.0, 5.0]])
    for fn in [lambda T, x: x.kthvalue(2), lambda T, x: T.kthvalue(x, 1, 0),
               lambda T, x: x.kthvalue(3, keepdim=True), lambda T, x: x.median(),
               lambda T, x: x.median(1), lambda T, x: T.median(x, 0, keepdim=True),
               lambda T, x: x[0].median()]:
        check(fn, x)
    for fn in (lambda T, x: x.kthvalue(2), lambda T, x: x.median(), lambda T, x: x.median(1)):
        e, t = names(fn, x)
        assert e == t
    check_error(lambda T, x: x.kthvalue(5), x)
    check_error(lambda T, x: x.kthvalue(0), x)
    check_error(lambda T, x: x.kthvalue(1), np.zeros((0,)))
    nan = np.array([[1.0, np.nan, 0.0, 2.0]])
    for fn in [lambda T, x: x.median(), lambda T, x: x.median(1), lambda T, x: x.kthvalue(4, 1),
               lambda T, x: x.kthvalue(2, 1), lambda T, x: x.median(0),
               lambda T, x: x.median(-1, True)]:
        check(fn, nan)
    check(lambda T, x: x.median(), np.array([1.0, 2.0, 2.0, 2.0, 3.0]))  # ties share the gradient
    check(lambda T, x: x.median(), np.zeros((0,)))
    check(lambda T, x: x.median(0), np.array(2.0))
    check(lambda T, x: x.kthvalue(1), np.array(2.0))
    check(lambda T, x: x.median(1), np.arange(12).reshape(3, 4))


def test_unique():
    x = np.array([[3, 1, 2], [1, 3, 3]])
    for fn in [lambda T, x: T.unique(x), lambda T, x: x.unique(return_inverse=True),
               lambda T, x: x.unique(return_counts=True),
               lambda T, x: T.unique(x, sorted=True, return_inverse=True, return_counts=True),
               lambda T, x: T.unique(x, dim=0), lambda T, x: T.unique(x, dim=1, return_counts=True),
               lambda T, x: T.unique(x, dim=1, return_inverse=True),
               lambda T, x: T.unique_consecutive(x), lambda T, x: T.unique_consecutive(
                   x, return_inverse=True, return_counts=True),
               lambda T, x: T.unique_consecutive(x, dim=0, return_counts=True),
               lambda T, x: T.unique_consecutive(x.t(), dim=1, return_inverse=True)]:
        check(fn, x)
        check(fn, x.astype(np.float32), grad=False)  # no derivative: checked below
    check(lambda T, x: T.unique(x), np.array([1.0, np.nan, 1.0, np.nan]), grad=False)
    check(lambda T, x: T.unique(x, return_inverse=True, return_counts=True),
          np.array([1.0, np.nan, 1.0, np.nan]), grad=False)
    check(lambda T, x: T.unique(x), np.array([True, False, True]))
    check(lambda T, x: T.unique(x, return_inverse=True), np.zeros((0,)), grad=False)
    check(lambda T, x: T.unique_consecutive(x), np.array([[1, 1], [1, 1], [2, 1]]))
    check(lambda T, x: T.unique_consecutive(x, dim=0, return_inverse=True, return_counts=True),
          np.array([[1, 1], [1, 1], [2, 1]]))
    f = np.array([3.0, 1.0, 3.0])
    for fn in (lambda T, x: T.unique(x), lambda T, x: x.unique(dim=0),
               lambda T, x: T.unique_consecutive(x)):
        e, t = names(fn, f)
        assert e == t
        for T in (torch, ember):
            with pytest.raises(NotImplementedError):
                fn(T, to_torch(f) if T is torch else to_ember(f)).sum().backward()


def test_bincount():
    x = np.array([1, 3, 3, 0, 7])
    check(lambda T, x: T.bincount(x), x)
    check(lambda T, x: T.bincount(x, minlength=10), x)
    check(lambda T, x, w: T.bincount(x, w), x, np.arange(5.0), grad=False)
    check(lambda T, x, w: T.bincount(x, w), x, np.arange(5.0, dtype=np.float32), grad=False)
    check(lambda T, x, w: T.bincount(x, w), x, np.arange(5.0, dtype=np.float16), grad=False)
    check(lambda T, x, w: T.bincount(x, w), x, np.arange(5))
    e, t = names(lambda T, x, w: T.bincount(x, w), x, np.arange(5.0))
    assert e == t
    check_error(lambda T, x, w: T.bincount(x, w), x, np.arange(4.0))
    check_error(lambda T, x: T.bincount(x), np.array([1, -1]))
    check_error(lambda T, x: T.bincount(x), np.array([[1]]))


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
                  elements=st.floats(-10, 10)), st.data())
@settings(max_examples=30, deadline=None)
def test_reductions_generated(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    keep = data.draw(st.booleans())
    check(lambda T, x: x.sum(dim, keepdim=keep) + x.mean(dim, keepdim=keep)
          + x.amax(dim, keepdim=keep) * 2, x)
    check(lambda T, x: x.logsumexp(dim, keepdim=keep), np.asfortranarray(x))
    check(lambda T, x: x.max(dim, keepdim=keep), x)
    check(lambda T, x: x.sort(dim=dim, descending=keep, stable=True), x)
    check(lambda T, x: x.cumsum(dim) * x.cumprod(dim), x)
    if x.shape[dim] > 1 and np.ptp(x, axis=dim).min() > 0:
        # (a constant slice's std is 0 or ~1e-16 in PyTorch, by summation order: not compared)
        check(lambda T, x: x.std(dim, keepdim=keep), x, rtol=1e-7, atol=1e-7)


SPECIAL = np.array([[1.0, np.inf, -np.inf, 2.0], [np.nan, 1e300, 1e300, -1e300],
                    [0.0, -0.0, 1e-310, 3.0]])
with np.errstate(over="ignore", under="ignore"):
    SPECIAL32 = SPECIAL.astype(np.float32)


@pytest.mark.parametrize("name", [n for n in REDUCTIONS if n not in ("logsumexp",)])
def test_reduction_special_values(name):
    # inf, nan, overflow and subnormals: no NumPy warnings, same values and gradients
    fn = REDUCTIONS[name]
    for d in (None, 1):
        check(lambda T, x, d=d: fn(T, x, d, False), SPECIAL)
        check(lambda T, x, d=d: fn(T, x, d, False), SPECIAL32)


def test_scans_and_logsumexp_special_values():
    for fn in [lambda T, x: x.cumsum(1), lambda T, x: x.cumprod(1), lambda T, x: x.logsumexp(1),
               lambda T, x: x.cummax(1), lambda T, x: x.cummin(0), lambda T, x: x.sort(1),
               lambda T, x: x.max(1), lambda T, x: x.argmin(1)]:
        check(fn, SPECIAL)
        check(fn, SPECIAL32)


SELECTION = {
    "max_dim": lambda T, x: x.max(1).values,
    "min_dim": lambda T, x: x.min(0, keepdim=True)[0],
    "sort": lambda T, x: x.sort(1, descending=True).values,
    "topk": lambda T, x: x.topk(2, 1).values,
    "kthvalue": lambda T, x: x.kthvalue(2, 0).values,
    "median": lambda T, x: x.median(),
    "median_dim": lambda T, x: x.median(1).values,
    "cummax": lambda T, x: x.cummax(1).values,
    "cummin": lambda T, x: x.cummin(0).values,
    "max": lambda T, x: x.max(),
    "msort": lambda T, x: T.msort(x),
    "aminmax": lambda T, x: T.aminmax(x, dim=1).max,
    "nanmean": lambda T, x: x.nanmean(1),
    "var_mean": lambda T, x: T.var_mean(x, 1)[0] * T.var_mean(x, 1)[1],
}


@pytest.mark.parametrize("name", list(SELECTION))
def test_selection_gradcheck(name):
    x = np.array([[0.3, -1.2, 2.5, 0.9], [1.7, 0.1, -0.4, 3.2], [-2.1, 0.6, 1.1, -0.8]])
    gradcheck(SELECTION[name], x)
    check(SELECTION[name], x)


def test_topk_picks_pytorchs_indices_among_ties():
    """PyTorch's CPU topk is unstable (libstdc++'s partial_sort / nth_element): among equal
    values ember picks, and orders, the same indices."""
    rng = np.random.default_rng(2)
    for _ in range(120):
        shape = [int(s) for s in rng.integers(1, 30, int(rng.integers(1, 4)))]
        x = rng.integers(0, 4, shape).astype(np.float32)
        d = int(rng.integers(0, len(shape)))
        k = int(rng.integers(0, shape[d] + 1))
        largest, srt = bool(rng.integers(0, 2)), bool(rng.integers(0, 2))
        want = torch.topk(torch.from_numpy(x), k, d, largest, srt)
        have = ember.topk(ember.from_numpy(x), k, d, largest, srt)
        np.testing.assert_array_equal(want.indices.numpy(), have.indices.numpy())
        np.testing.assert_array_equal(want.values.numpy(), have.values.numpy())


def _tie_heavy(rng, dtype, shape):
    """Integers 0..3 (so values repeat), with NaNs and -0.0 mixed in for float types."""
    x = rng.integers(0, 4, shape).astype(np.float64)
    if dtype in ("float32", "float64", "float16", "bfloat16"):
        x[rng.random(shape) < 0.15] = np.nan
        x[rng.random(shape) < 0.15] = -0.0
    return torch.from_numpy(x).to(getattr(torch, dtype)), \
        ember.from_numpy(x).to(getattr(ember, dtype))


SORT_DTYPES = ["float32", "float64", "int64", "int32", "int16", "uint8", "float16",
               "bfloat16", "bool"]


@pytest.mark.parametrize("dtype", SORT_DTYPES)
def test_sort_unstable_tie_order_matches_pytorch(dtype):
    """PyTorch's CPU sort(stable=False) is libstdc++'s std::sort (introsort): among equal
    values ember returns the same indices; stable=True stays the stable order."""
    rng = np.random.default_rng(SORT_DTYPES.index(dtype))
    for i in range(40):
        shape = [int(s) for s in rng.integers(1, 45, int(rng.integers(1, 4)))]
        if i == 0:
            shape = [int(rng.integers(200, 2000))]
        x, e = _tie_heavy(rng, dtype, shape)
        d = int(rng.integers(-len(shape), len(shape)))
        for desc in (False, True):
            for stable in (False, True):
                want = torch.sort(x, dim=d, descending=desc, stable=stable)
                have = ember.sort(e, dim=d, descending=desc, stable=stable)
                np.testing.assert_array_equal(want.indices.numpy(), have.indices.numpy())
            np.testing.assert_array_equal(torch.argsort(x, d, desc).numpy(),
                                          ember.argsort(e, d, desc).numpy())


def test_sort_unstable_large_and_threads():
    rng = np.random.default_rng(7)
    before = ember.get_num_threads()
    try:
        for threads in (1, 3):
            torch.set_num_threads(threads)
            ember.set_num_threads(threads)
            for dtype in ("int64", "float32"):
                x, e = _tie_heavy(rng, dtype, (33000,))  # 1-D integer ascending: radix sort
                for desc in (False, True):
                    np.testing.assert_array_equal(torch.sort(x, descending=desc).indices.numpy(),
                                                  ember.sort(e, descending=desc).indices.numpy())
    finally:
        torch.set_num_threads(before)
        ember.set_num_threads(before)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int16", "uint8"])
def test_kthvalue_median_tie_index_matches_pytorch(dtype):
    """kthvalue (PyTorch's quickselect) and median/nanmedian (index-tiebroken nth_element)
    report the same index among equal values."""
    rng = np.random.default_rng(11)
    for _ in range(60):
        shape = [int(s) for s in rng.integers(1, 40, int(rng.integers(1, 4)))]
        x, e = _tie_heavy(rng, dtype, shape)
        d = int(rng.integers(-len(shape), len(shape)))
        k = int(rng.integers(1, shape[d] + 1))
        for fn in (lambda T, v: T.kthvalue(v, k, d), lambda T, v: T.median(v, d),
                   lambda T, v: T.nanmedian(v, d)):
            want, have = fn(torch, x), fn(ember, e)
            np.testing.assert_array_equal(want.indices.numpy(), have.indices.numpy())


def test_stl_select_mode_index_matches_pytorch():
    """``_stl_select.mode_index`` replays PyTorch's CPU mode (std::sort by value, NaNs
    included, then the last index of the first longest run), for ember's ``mode`` to use."""
    from ember._ops import _stl_select
    rng = np.random.default_rng(13)
    for i in range(150):
        x = rng.integers(0, 4, int(rng.integers(1, 80))).astype(np.float32)
        if i % 2:
            x[rng.random(x.size) < 0.1] = np.nan
        assert _stl_select.mode_index(x) == int(torch.mode(torch.from_numpy(x)).indices)


def test_sort_unstable_expanded_dim_keeps_identity():
    """NOTE: PyTorch skips sorting a dim of stride 0 (an expand): indices 0, 1, 2, ..."""
    base = np.random.default_rng(3).random((3, 1))
    for desc in (False, True):
        want = torch.sort(torch.from_numpy(base).expand(3, 20), 1, desc).indices
        have = ember.sort(ember.from_numpy(base).expand(3, 20), 1, desc).indices
        np.testing.assert_array_equal(want.numpy(), have.numpy())


def test_mode_reports_pytorchs_index_among_equal_values():
    """``mode``'s index is the last of the winning run after PyTorch's unstable sort."""
    rng = np.random.default_rng(4)
    for _ in range(100):
        shape = [int(s) for s in rng.integers(1, 30, int(rng.integers(1, 3)))]
        dt = rng.choice(["float32", "int64", "float16", "uint8"])
        x = rng.integers(0, 5, shape).astype(dt)
        if dt.startswith("float") and rng.random() < 0.3:
            x.flat[rng.integers(0, x.size)] = np.nan
        d = int(rng.integers(0, len(shape)))
        want, have = torch.mode(torch.from_numpy(x), d), ember.mode(ember.from_numpy(x), d)
        np.testing.assert_array_equal(want.indices.numpy(), have.indices.numpy())
        np.testing.assert_array_equal(want.values.numpy(), have.values.numpy())


def test_var_mean_std_mean_reject_integers_by_name():
    for name in ("var_mean", "std_mean"):
        x = np.array([1, 2, 3])
        want, got = check_error(lambda T, x, name=name: getattr(T, name)(x), x)
        assert got == want == f"{name} only support floating point and complex dtypes"
