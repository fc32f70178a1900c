"""Second derivatives (``create_graph=True``) through ops whose backward ember computes on
raw arrays: value-selecting reductions, indexing, masks, ``unfold``, ``as_strided``,
``logcumsumexp``; and PyTorch's refusal where it has no double backward (CTC)."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

W = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 10


def _idx(lib, v):
    return lib.tensor(v)


CASES = {
    "max_dim": lambda L, x: x.max(dim=2).values.pow(2).sum(),
    "min_dim_keepdim": lambda L, x: x.min(dim=0, keepdim=True).values.pow(2).sum(),
    "sort": lambda L, x: (x.sort(dim=2).values ** 2 * L.arange(4.0)).sum(),
    "sort_desc": lambda L, x: (x.sort(dim=1, descending=True).values ** 3).sum(),
    "topk": lambda L, x: (x.topk(2, dim=2).values ** 2).sum(),
    "cummax": lambda L, x: (x.cummax(2).values ** 2).sum(),
    "cummin": lambda L, x: (x.cummin(1).values ** 3).sum(),
    "median": lambda L, x: (x.median(2).values ** 2).sum(),
    "kthvalue": lambda L, x: (x.kthvalue(2, 2).values ** 2).sum(),
    "max_all": lambda L, x: x.max() ** 3,
    "index": lambda L, x: (x[[0, 1, 1]] ** 2).sum(),
    "index_mixed": lambda L, x: (x[:, [0, 2], 1:] ** 3).sum(),
    "unfold": lambda L, x: (x.unfold(2, 2, 1) ** 2).sum(),
    "take": lambda L, x: (x.take(_idx(L, [0, 5, 7, 5])) ** 3).sum(),
    "masked_select": lambda L, x: (x.masked_select(x.detach() > 0) ** 3).sum(),
    "masked_scatter": lambda L, x: (L.zeros(2, 3, 4, dtype=L.float64).masked_scatter(
        x.detach() > 0, x * 2) ** 2).sum(),
    "index_put_values": lambda L, x: (L.zeros(5, dtype=L.float64).index_put(
        (_idx(L, [0, 0, 3]),), x.flatten()[:3], accumulate=True) ** 2).sum(),
    "setitem": lambda L, x: (lambda y: (y.__setitem__((slice(None), 0), x[:, 1] * 2),
                                        (y ** 2).sum())[1])(x * 1),
    "as_strided": lambda L, x: (x.as_strided((3, 3), (2, 1)) ** 3).sum(),
    "logcumsumexp": lambda L, x: (x.logcumsumexp(2) ** 2).sum(),
    "max_pool": lambda L, x: (L.nn.functional.max_pool1d(x, 2) ** 2).sum(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivative_matches_pytorch(name):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3, 4))
    res = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        (g,) = lib.autograd.grad(CASES[name](lib, x), x, create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(W)).sum(), x)
        res.append((g.detach().numpy(), h.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-10, atol=1e-12)


def test_gradgradcheck_of_the_rewritten_rules():
    x = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    for f in (lambda t: t.logcumsumexp(1), lambda t: t.sort(1).values,
              lambda t: t[[0, 2, 2]], lambda t: t.unfold(1, 2, 1),
              lambda t: t.as_strided((2, 3), (3, 1), 1), lambda t: t.take(ember.tensor([1, 1, 7]))):
        assert ember.autograd.gradgradcheck(f, (x,))


def test_ctc_has_no_double_backward_as_in_pytorch():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 3, 4))
    errs = []
    for lib in (torch, ember):
        x = lib.tensor(a, requires_grad=True)
        loss = lib.nn.functional.ctc_loss(
            x.log_softmax(2), lib.tensor([[1, 2], [1, 1], [2, 3]]), lib.tensor([4, 4, 4]),
            lib.tensor([2, 2, 2]))
        (g,) = lib.autograd.grad(loss, x, create_graph=True)  # first order works
        with pytest.raises(RuntimeError) as e:
            lib.autograd.grad(g.pow(2).sum(), x)
        errs.append(str(e.value))
    assert errs[1] == errs[0]
