"""Matrix products against PyTorch: values, gradients, node names and error messages."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember._ops import linalg as _linalg
from diff import check, check_error, gradcheck, to_ember, to_torch, torch

FLOATS = [np.float32, np.float64]


def rnd(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape).astype(dtype)


def names(fn, *arrays, requires_grad=None):
    t = fn(torch, *[to_torch(a, requires_grad) for a in arrays])
    e = fn(ember, *[to_ember(a, requires_grad) for a in arrays])
    return type(e.grad_fn).__name__, type(t.grad_fn).__name__


LEFT = {1: (3,), 2: (2, 3), 3: (4, 2, 3), 4: (5, 4, 2, 3)}
RIGHT = {1: (3,), 2: (3, 2), 3: (4, 3, 2), 4: (5, 4, 3, 2)}
RANKS = list(itertools.product([1, 2, 3, 4], [1, 2, 3, 4]))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("da,db", RANKS)
def test_matmul_ranks(da, db, dtype):
    a, b = rnd(LEFT[da], dtype), rnd(RIGHT[db], dtype, 1)
    check(lambda T, x, y: x @ y, a, b)
    check(lambda T, x, y: T.matmul(x, y), a, b, requires_grad=False)
    # only one side requiring grad takes other paths in PyTorch's dispatch
    e, t = names(lambda T, x, y: x @ y, a, b)
    assert e == t
    for ga, gb in [(True, False), (False, True)]:
        tt = torch.from_numpy(a).requires_grad_(ga) @ torch.from_numpy(b).requires_grad_(gb)
        et = ember.from_numpy(a).requires_grad_(ga) @ ember.from_numpy(b).requires_grad_(gb)
        assert type(et.grad_fn).__name__ == type(tt.grad_fn).__name__


@pytest.mark.parametrize("sa,sb", [((1, 2, 3), (4, 3, 2)), ((4, 2, 3), (1, 3, 2)),
                                   ((2, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (2, 4, 3, 2)),
                                   ((3,), (2, 4, 3, 2)), ((2, 4, 2, 3), (3,)),
                                   ((1, 1, 3), (1, 3, 1)), ((2, 3), (1, 3, 2)),
                                   ((1, 3), (4, 3, 2)), ((1, 2, 3), (4, 3, 1)),
                                   ((0, 2, 3), (3, 4)), ((2, 0), (0, 3)), ((4, 2, 0), (4, 0, 5)),
                                   ((3, 0), (0,))])
def test_matmul_broadcast_and_empty(sa, sb):
    check(lambda T, x, y: x @ y, rnd(sa), rnd(sb, seed=1))
    e, t = names(lambda T, x, y: x @ y, rnd(sa), rnd(sb, seed=1))
    assert e == t
    gradcheck(lambda T, x, y: x @ y, rnd(sa), rnd(sb, seed=1))


def test_matmul_non_contiguous():
    a = rnd((3, 4, 2))
    b = rnd((2, 5, 4))
    check(lambda T, x, y: x.transpose(-1, -2) @ y.transpose(0, 2), a, b[:, :, ::1])
    check(lambda T, x, y: x[:, ::2].mT @ y.permute(1, 2, 0)[:2], a, b)
    check(lambda T, x, y: x.t() @ y, rnd((4, 3)), rnd((4, 2)))
    check(lambda T, x, y: x[::2] @ y[:, 1], rnd((6, 3)), rnd((3, 2)))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float16])
def test_matmul_other_dtypes(dtype):
    r = np.random.default_rng(0)
    for da, db in RANKS:
        a = r.integers(-3, 4, LEFT[da]).astype(dtype)
        b = r.integers(-3, 4, RIGHT[db]).astype(dtype)
        check(lambda T, x, y: x @ y, a, b, grad=dtype is not np.float16, rtol=1e-3)
    b = np.array([[True, False]])
    check_error(lambda T, x: x @ x.t(), b)
    check_error(lambda T, x: T.mm(x, x.t()), b)
    check_error(lambda T, x: T.dot(x[0], x[0]), b)


MATMUL_ERRORS = [
    ((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 2)), ((2, 3), (4, 2)), ((5, 2, 3), (4, 2)),
    ((5, 2, 3), (4,)), ((3,), (5, 4, 2)), ((2, 3), (5, 4, 2)), ((5, 2, 3), (5, 4, 2)),
    ((5, 2, 3), (4, 3, 2)), ((2, 5, 2, 3), (4, 3, 2)), ((), (3,)), ((3,), ()),
]


@pytest.mark.parametrize("sa,sb", MATMUL_ERRORS)
def test_matmul_errors_same_message(sa, sb):
    t, e = check_error(lambda T, x, y: x @ y, np.ones(sa), np.ones(sb))
    assert t == e


ERRORS = [
    lambda T, o: T.mm(o(2, 3), o(4, 2)),
    lambda T, o: T.mm(o(3), o(3, 2)),
    lambda T, o: T.mm(o(2, 3), o(3)),
    lambda T, o: T.mm(o(2, 3), o(3, 2, dtype=T.float64)),
    lambda T, o: o(2, 3) @ o(3, 2, dtype=T.float64),
    lambda T, o: o(4, 2, 3) @ o(3, 2, dtype=T.float64),
    lambda T, o: o(4, 2, 3) @ o(4, 3, 2, dtype=T.float64),
    lambda T, o: T.bmm(o(2, 2, 3), o(3, 3, 2)),
    lambda T, o: T.bmm(o(2, 2, 3), o(2, 4, 2)),
    lambda T, o: T.bmm(o(2, 3), o(2, 3, 2)),
    lambda T, o: T.bmm(o(2, 2, 3), o(3, 2)),
    lambda T, o: T.bmm(o(2, 2, 3), o(2, 3, 2, dtype=T.float64)),
    lambda T, o: T.mv(o(2, 3), o(4)),
    lambda T, o: T.mv(o(2, 3), o(3, 1)),
    lambda T, o: T.mv(o(3), o(3)),
    lambda T, o: T.mv(o(2, 3, dtype=T.float64), o(3)),
    lambda T, o: T.dot(o(3), o(4)),
    lambda T, o: T.dot(o(3, 1), o(3)),
    lambda T, o: T.dot(o(3), o(3, dtype=T.int64)),
    lambda T, o: T.outer(o(3, 1), o(2)),
    lambda T, o: T.outer(o(3), o(2, 1)),
    lambda T, o: T.addmm(o(2, 2), o(2, 3), o(4, 2)),
    lambda T, o: T.addmm(o(3, 3), o(2, 3), o(3, 2)),
    lambda T, o: T.addmm(o(2, 2), o(3), o(3, 2)),
    lambda T, o: T.addmm(o(2, 2), o(2, 3), o(3)),
    lambda T, o: T.addmm(o(2, 2, dtype=T.float64), o(2, 3), o(3, 2)),
    lambda T, o: T.addmm(o(2, 2), o(2, 3, dtype=T.float64), o(3, 2)),
    lambda T, o: T.addmm(o(2, 2), o(2, 3), o(3, 2, dtype=T.float64)),
    lambda T, o: T.einsum("ij,jk->ik", o(2, 3), o(4, 2)),
    lambda T, o: T.einsum("ij,jk", o(2, 3)),
    lambda T, o: T.einsum("i", o(2, 3)),
    lambda T, o: T.einsum("ij->ijk", o(2, 3)),
    lambda T, o: T.einsum("i,j->ii", o(2), o(2)),
    lambda T, o: T.einsum("ii->i", o(2, 3)),
    lambda T, o: T.einsum("i,i", o(3), o(3, dtype=T.float64)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_same_type_and_message(i):
    def fn(T):
        return ERRORS[i](T, T.ones)
    t, e = check_error(fn)
    assert t == e


@pytest.mark.parametrize("dtype", FLOATS)
def test_mm_bmm_mv_dot_outer(dtype):
    a, b = rnd((4, 3), dtype), rnd((3, 5), dtype, 1)
    check(lambda T, x, y: T.mm(x, y), a, b)
    check(lambda T, x, y: x.mm(y), a, b)
    check(lambda T, x, y: x.t().mm(y.t()), b, a)
    check(lambda T, x, y: T.bmm(x, y), rnd((2, 4, 3), dtype), rnd((2, 3, 5), dtype, 1))
    check(lambda T, x, y: x.transpose(1, 2).bmm(y), rnd((2, 3, 4), dtype), rnd((2, 3, 5), dtype))
    check(lambda T, x, y: T.mv(x, y), a, rnd((3,), dtype))
    check(lambda T, x, y: x.t().mv(y), a, rnd((4,), dtype))
    check(lambda T, x, y: T.dot(x, y), rnd((5,), dtype), rnd((5,), dtype, 1))
    check(lambda T, x, y: x.dot(y), rnd((0,), dtype), rnd((0,), dtype, 1))
    check(lambda T, x, y: T.outer(x, y), rnd((3,), dtype), rnd((4,), dtype, 1))
    check(lambda T, x, y: T.ger(x, y), rnd((3,), dtype), rnd((4,), dtype, 1))
    check(lambda T, x, y: T.outer(x, y), np.arange(3), rnd((4,), dtype))
    for fn, args in [(lambda T, x, y: T.mm(x, y), (a, b)),
                     (lambda T, x, y: T.bmm(x, y), (rnd((2, 4, 3)), rnd((2, 3, 5)))),
                     (lambda T, x, y: T.mv(x, y), (a, rnd((3,)))),
                     (lambda T, x, y: T.dot(x, y), (rnd((5,)), rnd((5,), seed=2))),
                     (lambda T, x, y: T.outer(x, y), (rnd((3,)), rnd((4,))))]:
        e, t = names(fn, *[x.astype(dtype) for x in args])
        assert e == t
        if dtype is np.float64:
            gradcheck(fn, *args)


def test_int_products():
    r = np.random.default_rng(3)
    a, b = r.integers(-5, 5, (3, 4)), r.integers(-5, 5, (4, 2))
    check(lambda T, x, y: T.mm(x, y), a, b)
    check(lambda T, x, y: T.mv(x, y), a, b[:, 0])
    check(lambda T, x, y: T.dot(x, y), a[0], b[:, 0])
    check(lambda T, x, y: T.bmm(x, y), a[None].astype(np.int32), b[None].astype(np.int32))
    check(lambda T, x, y: T.outer(x, y), a[0], b[:, 0].astype(np.int8))
    check(lambda T, x, y, c: T.addmm(c, x, y, alpha=2, beta=3), a, b, np.ones((3, 2), np.int64))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bias_shape", [(4, 5), (5,), (1, 5), (4, 1), (), (1,)])
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1), (2, 0), (-1, 0.25)])
def test_addmm(bias_shape, beta, alpha, dtype):
    c, a, b = rnd(bias_shape, dtype), rnd((4, 3), dtype, 1), rnd((3, 5), dtype, 2)
    check(lambda T, c, x, y: T.addmm(c, x, y, beta=beta, alpha=alpha), c, a, b)
    check(lambda T, c, x, y: c.addmm(x, y, beta=beta, alpha=alpha), c, a, b)
    e, t = names(lambda T, c, x, y: T.addmm(c, x, y, beta=beta, alpha=alpha), c, a, b)
    assert e == t


def test_addmm_beta_zero_ignores_nan_and_gradcheck():
    c = np.full((2, 2), np.nan)
    check(lambda T, c, x, y: T.addmm(c, x, y, beta=0), c, rnd((2, 3)), rnd((3, 2)))
    gradcheck(lambda T, c, x, y: T.addmm(c, x, y, beta=0.5, alpha=-2), rnd((2,)), rnd((2, 3)),
              rnd((3, 2), seed=4))
    check(lambda T, c, x, y: T.addmm(c, x.t(), y.t()), rnd((3, 4)), rnd((2, 3)), rnd((4, 2)))


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("bij,bjk", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(4,), (4,)]),
    ("i,i", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,j", [(3,), (4,)]),
    ("ij->ji", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(3, 3, 2)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,ij", [(2, 3), (2, 3)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...ij,...jk", [(5, 2, 2, 3), (2, 3, 4)]),
    ("...i,kij,...j->...k", [(4, 2), (3, 2, 5), (4, 5)]),  # nn.Bilinear
    ("b...,b->...", [(2, 3, 4), (2,)]),
    ("...,...", [(2, 1), (3,)]),
    ("ij,j->i", [(2, 3), (1,)]),  # size-1 dims broadcast
    ("ij,ij->", [(2, 3), (1, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("Ab,b", [(2, 3), (3,)]),
    ("bA,b", [(2, 3), (2,)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("eq,shapes", EINSUMS)
def test_einsum(eq, shapes, dtype):
    arrays = [rnd(s, dtype, i) for i, s in enumerate(shapes)]
    check(lambda T, *xs: T.einsum(eq, *xs), *arrays)
    check(lambda T, *xs: T.einsum(eq, list(xs)), *arrays)


@pytest.mark.parametrize("eq,shapes", EINSUMS[::2])
def test_einsum_gradcheck(eq, shapes):
    gradcheck(lambda T, *xs: T.einsum(eq, *xs), *[rnd(s, seed=i) for i, s in enumerate(shapes)])


def test_einsum_ints_and_double_backward():
    check(lambda T, x, y: T.einsum("ij,jk->ik", x, y), np.arange(6).reshape(2, 3),
          np.arange(6).reshape(3, 2))
    a = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = ember.einsum("ij,jk->", a, a)
    g, = ember.autograd.grad(out, [a], create_graph=True)
    g2, = ember.autograd.grad(g.sum(), [a])
    ta = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    tg, = torch.autograd.grad(torch.einsum("ij,jk->", ta, ta), [ta], create_graph=True)
    tg2, = torch.autograd.grad(tg.sum(), [ta])
    np.testing.assert_allclose(g2.numpy(), tg2.numpy())


def test_tensordot_and_inner():
    a, b = rnd((2, 3, 4)), rnd((3, 4, 5), seed=1)
    check(lambda T, x, y: T.tensordot(x, y), a, b)
    check(lambda T, x, y: T.tensordot(x, y, dims=1), a, rnd((4, 5)))
    check(lambda T, x, y: T.tensordot(x, y, dims=([1, 2], [0, 1])), a, b)
    check(lambda T, x, y: T.tensordot(x, y, dims=0), rnd((2, 3)), rnd((4,)))
    for sa, sb in [((3,), (3,)), ((2, 3), (4, 3)), ((2, 5, 3), (3,)), ((), (2, 3))]:
        check(lambda T, x, y: (T.inner if T is torch else _linalg.inner)(x, y), rnd(sa),
              rnd(sb, seed=2))
    check_error(lambda T, x, y: (T.inner if T is torch else _linalg.inner)(x, y),
                rnd((2, 3)), rnd((2, 4)))


@given(st.lists(st.sampled_from([1, 2, 3]), min_size=0, max_size=2),
       st.lists(st.sampled_from([1, 2, 3]), min_size=0, max_size=2),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.booleans(), st.booleans(), st.booleans())
@settings(max_examples=30, deadline=None)
def test_matmul_generated(ba, bb, n, k, p, vec_a, vec_b, transpose):
    # batch dims of each operand broadcast against each other where they are 1
    bb = [x if i >= len(ba) or ba[-1 - i] == x else 1
          for i, x in enumerate(reversed(bb))][::-1]
    sa = (k,) if vec_a else tuple(ba) + ((k, n) if transpose else (n, k))
    sb = (k,) if vec_b else tuple(bb) + (k, p)
    fa = (lambda T, x: x.mT) if transpose and not vec_a else (lambda T, x: x)
    check(lambda T, x, y: fa(T, x) @ y, rnd(sa), rnd(sb, seed=1))


def test_special_values_no_warnings():
    a = np.array([[np.inf, 1.0, 0.0], [1e308, 1e308, np.nan]])
    b = np.array([[0.0, 1.0], [1e308, 2.0], [1.0, -np.inf]])
    for fn in [lambda T, x, y: x @ y, lambda T, x, y: T.mm(x, y), lambda T, x, y: x @ y[:, 0],
               lambda T, x, y: T.einsum("ij,jk->ik", x, y), lambda T, x, y: x[0] @ y[:, 1],
               lambda T, x, y: T.addmm(x[:, :2], x, y), lambda T, x, y: T.outer(x[0], y[0]),
               lambda T, x, y: T.bmm(x[None], y[None])]:
        check(fn, a, b)
        with np.errstate(over="ignore"):
            check(fn, a.astype(np.float32), b.astype(np.float32))


@pytest.mark.parametrize("rows", [8, 64, 128])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_at_small_batch_matches_torch(rows, bias):
    """A small batch through a large weight takes the flipped product layout on OpenBLAS;
    values, gradients, strides and contiguity stay PyTorch's."""
    r = np.random.default_rng(rows)
    x = r.standard_normal((rows, 300)).astype(np.float32)
    w = r.standard_normal((260, 300)).astype(np.float32) / 20
    b = r.standard_normal(260).astype(np.float32)
    g = r.standard_normal((rows, 260)).astype(np.float32)
    outs = {}
    for T in (torch, ember):
        xt, wt, bt = (T.tensor(v, requires_grad=True) for v in (x, w, b))
        y = T.nn.functional.linear(xt, wt, bt if bias else None)
        y.backward(T.tensor(g))
        outs[T.__name__] = (y, xt.grad, wt.grad, bt.grad)
    ye, yt = outs["ember"][0], outs["torch"][0]
    assert ye.is_contiguous() and ye.stride() == yt.stride()
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__
    for e, t in zip(outs["ember"], outs["torch"]):
        if t is None:
            assert e is None
            continue
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("transposed_input", [False, True])
def test_linear_gradients_first_and_second_order(transposed_input):
    """First-order backward of mm/addmm runs on arrays; create_graph keeps the recorded
    path. Both give PyTorch's gradients, in PyTorch's memory layouts."""
    r = np.random.default_rng(11)
    x = r.standard_normal((5, 4)).astype(np.float64)
    w = r.standard_normal((3, 4)).astype(np.float64)
    b = r.standard_normal(3).astype(np.float64)
    res = {}
    for T in (torch, ember):
        xt = T.tensor(x.T.copy()).t() if transposed_input else T.tensor(x)
        xt.requires_grad_()
        wt, bt = T.tensor(w, requires_grad=True), T.tensor(b, requires_grad=True)
        y = T.nn.functional.linear(xt, wt, bt).tanh().sum() + (xt @ wt.t()).pow(2).sum()
        gx, gw, gb = T.autograd.grad(y, (xt, wt, bt), create_graph=True)
        (gx.sum() + gw.pow(2).sum() + gb.sum()).backward()
        y2 = (xt @ wt.t()).sum()
        y2.backward()
        res[T.__name__] = [v.detach().numpy() for v in (gx, gw, gb, xt.grad, wt.grad)] + \
            [xt.grad.stride(), wt.grad.stride()]
    for e, t in zip(res["ember"], res["torch"]):
        if isinstance(t, tuple):
            assert e == t
        else:
            np.testing.assert_allclose(e, t, rtol=1e-10, atol=1e-12)
