"""Differences found by a random fuzzer of indexing against PyTorch: the layout of advanced
indexing results, the order of setitem's checks, writes through expanded tensors, the index
a gather/scatter kernel names first, and the gradients of scatter/index functions."""
from __future__ import annotations

import random
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(fn, lib):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn(lib)
    except Exception as e:  # noqa: BLE001
        return ("EXC", type(e).__name__, str(e).split("\n")[0])
    return _plain(r)


def _plain(r):
    if isinstance(r, (tuple, list)):
        return [_plain(x) for x in r]
    if isinstance(r, (torch.Tensor, ember.Tensor)):
        return (str(r.dtype).split(".")[-1], tuple(r.shape), r.detach().tolist())
    return r


def same(fn):
    assert outcome(fn, ember) == outcome(fn, torch)


def arr(shape, seed=0, dtype="float32"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# -- t[key]: PyTorch's index kernel lays its result out as the input ------------------------

def _layout(lib, x, key):
    r = x[key]
    return r.stride(), r.is_contiguous(), tuple(r.shape), r.numpy().tolist()


@pytest.mark.parametrize("key", [
    [0, 2], ([1, 1], slice(None)), (slice(None), [0, 1]), ([0, 1], 0),
    (slice(None), slice(None), [1, 0]), ([1, 0], slice(None), [0, 1]),
    (None, [2, 0]), (Ellipsis, [1]), (slice(1, None), [[0], [1]]),
])
def test_index_result_follows_input_layout(key):
    a = arr((3, 4, 5))
    same(lambda lib: _layout(lib, lib.from_numpy(a.copy()).permute(2, 0, 1), key))
    same(lambda lib: _layout(lib, lib.from_numpy(a.copy()).transpose(0, 1), key))


def test_index_result_layout_size_one_and_masks():
    a = arr((1, 4, 4))
    same(lambda lib: _layout(lib, lib.from_numpy(a.copy()).transpose(0, 2), ([0, 0], slice(None))))
    b = arr((3, 1, 4, 3))
    same(lambda lib: _layout(lib, lib.from_numpy(b.copy()).permute(3, 1, 2, 0),
                             lib.tensor([False, True, False])))
    same(lambda lib: _layout(lib, lib.from_numpy(b.copy()).expand(2, 3, 1, 4, 3), [1]))


def test_index_layout_fuzz():
    rng = random.Random(7)
    for _ in range(60):
        nd = rng.randint(2, 4)
        shape = [rng.randint(1, 4) for _ in range(nd)]
        perm = list(range(nd))
        rng.shuffle(perm)
        key = []
        for k in range(rng.randint(1, nd)):
            n = shape[perm[k]]
            c = rng.random()
            key.append(slice(None) if c < 0.3 else rng.randrange(n) if c < 0.45 else
                       [rng.randrange(-n, n) for _ in range(rng.randint(1, 3))])
        a = arr(shape, rng.randrange(100))
        same(lambda lib: _layout(lib, lib.from_numpy(a.copy()).permute(*perm), tuple(key)))


def test_bool_scalar_counts_among_index_dims_in_messages():
    a = arr((3, 2))
    same(lambda lib: lib.from_numpy(a.copy())[np.array([0, -2, 0]), True, lib.tensor([-3, 0])])
    same(lambda lib: lib.from_numpy(a.copy())[True, [4, 0]])


# -- t[key] = value -------------------------------------------------------------------------

def test_setitem_empty_dim_index_error_comes_first():
    def f(value):
        def g(lib):
            x = lib.zeros(0, 2)
            x[[0, 1]] = value(lib)
            return x
        return g
    same(f(lambda lib: lib.ones(3)))
    same(f(lambda lib: lib.ones(3, dtype=lib.float64)))
    same(lambda lib: lib.zeros(0, 2, dtype=lib.long).__setitem__(
        [0, 1], lib.ones(2, requires_grad=True)))


def test_setitem_expanded_target_with_grad_value():
    def f(key, values):
        def g(lib):
            b = lib.zeros(5)
            x = b.unsqueeze(1).expand(5, 2)
            v = lib.tensor(values, requires_grad=True)
            x[key] = v
            (x * lib.arange(10.).view(5, 2)).sum().backward()
            return b, v.grad
        return g
    same(f((2, [1, 0, 0]), [1., 2., 3.]))
    same(f((True, 2, [-1, -2, -2]), [1., 2., 3.]))
    same(f([[True, False]] * 5, [4.]))


def test_setitem_expanded_base_requiring_grad_refused_in_backward():
    def g(lib):
        base = lib.zeros(2, requires_grad=True)
        x = base.clone().unsqueeze(0).expand(2, 2)
        v = lib.full((1,), 2., requires_grad=True)
        x[[0], [1]] = v
        (x * lib.tensor([[1., 2.], [3., 4.]])).sum().backward()
        return v.grad
    same(g)


def test_fill_of_transposed_region_grad_bits():
    a = arr((4, 4, 2), 3, "float64")
    w = arr((2, 4, 4), 4, "float64")

    def g(lib):
        base = lib.from_numpy(a.copy()).requires_grad_()
        t = base.clone().transpose(0, 2)
        v = lib.tensor(2.5, dtype=lib.float64, requires_grad=True)
        t[1] = v
        (t * lib.from_numpy(w.copy())).sum().backward()
        return v.grad, base.grad
    same(g)


# -- gather / scatter / index functions --------------------------------------------------

IDX = [[[0, 1, 0], [0, -2, 0]], [[-1, 0, 0], [0, 0, 0]]]
IDX2 = [[[0, 0, 0], [0, 0, -3]], [[0, 0, 0], [-1, 0, 0]]]


@pytest.mark.parametrize("d", [0, 1, 2])
def test_scatter_gather_name_the_first_bad_index_they_meet(d):
    y = lambda lib: lib.zeros(3, 4, 5)  # noqa: E731
    i = lambda lib: lib.tensor(IDX)  # noqa: E731
    same(lambda lib: y(lib).gather(d, i(lib)))
    same(lambda lib: y(lib).scatter(d, i(lib), lib.ones(2, 2, 3)))
    same(lambda lib: y(lib).scatter(d, i(lib), 1.))
    same(lambda lib: y(lib).scatter_add(d, i(lib), lib.ones(2, 2, 3)))
    same(lambda lib: y(lib).scatter_reduce(d, i(lib), lib.ones(2, 2, 3), "amax",
                                           include_self=False))
    same(lambda lib: lib.zeros(2, 2, 3).gather(d, lib.tensor(IDX2)))
    same(lambda lib: lib.zeros(2, 2, 3).scatter(d, lib.tensor(IDX2), lib.ones(2, 2, 3)))
    same(lambda lib: lib.zeros(2, 2, 3).transpose(0, 2).gather(0, lib.tensor(IDX2)
                                                              .transpose(0, 2)))


def test_index_functions_name_the_first_bad_index():
    x = lambda lib: lib.zeros(3, 4)  # noqa: E731
    same(lambda lib: x(lib).index_copy(1, lib.tensor([-1, 7, 0]), lib.ones(3, 3)))
    same(lambda lib: x(lib).index_fill(1, lib.tensor([-7, 9, 1]), 1.))
    same(lambda lib: lib.zeros(4).put_(lib.tensor([1, -9, 7]), lib.ones(3)))
    same(lambda lib: lib.zeros(0).put_(lib.tensor([0]), lib.ones(1)))
    same(lambda lib: lib.zeros(2, 4, 0).index_fill(0, lib.tensor([2, 0]), 2.5))


def test_index_select_scalar_count_checked_before_dtype():
    same(lambda lib: lib.tensor(1.).index_select(0, lib.tensor([0., 1., 0.])))
    same(lambda lib: lib.tensor(1.).index_select(0, lib.tensor([-1, -1])))


@pytest.mark.parametrize("op", ["scatter", "scatter_add"])
def test_scatter_src_larger_than_index_backward_refused(op):
    def g(lib):
        x = lib.zeros(3, 4)
        s = lib.ones(3, 4, requires_grad=True)
        getattr(x, op)(1, lib.tensor([[0], [1], [2]]), s).sum().backward()
        return s.grad
    same(g)


@pytest.mark.parametrize("reduce", ["sum", "mean", "prod", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_src_larger_than_index_grads(reduce, include_self):
    for ishape, sshape in [((1, 2), (2, 2)), ((3,), (4,)), ((2, 1), (2, 3))]:
        a, s = arr((3, 2), 1, "float64"), arr(sshape, 2, "float64")
        ix = np.random.default_rng(3).integers(0, 2, ishape)

        def g(lib):
            x = lib.from_numpy(a.copy()).requires_grad_()
            src = lib.from_numpy(s.copy()).requires_grad_()
            i = lib.from_numpy(ix.copy())
            y = x.reshape(-1)[:2].reshape(-1) if len(ishape) == 1 else x[:2]
            r = y.scatter_reduce(0, i, src, reduce, include_self=include_self)
            (r * lib.arange(float(r.numel()), dtype=lib.float64).view(r.shape)).sum().backward()
            return r, x.grad, src.grad
        same(g)


def test_scatter_reduce_left_out_self_gets_plus_zero():
    def g(lib):
        x = lib.tensor(-0.66, requires_grad=True)
        s = lib.tensor([1.5], requires_grad=True)
        r = x.scatter_reduce(0, lib.tensor([0]), s, "amin", include_self=False)
        (r * -1).backward()
        return [float(np.copysign(1, x.grad.item())), s.grad]
    same(g)


def test_scatter_reduce_prod_grad_rounding():
    a = np.array([[1.0170921630195224, 0.3853], [3.2749313358132572, -2.86],
                  [4.563008691569911, 5.76]])
    s = np.array([[-4.439281312932961], [2.5799332779008854], [0.20615311083357352]])

    def g(lib):
        x = lib.from_numpy(a.copy()).requires_grad_()
        r = x.scatter_reduce(0, lib.tensor([[2], [0], [1]]), lib.from_numpy(s.copy()), "prod")
        (r * lib.linspace(-1, 1, 6, dtype=lib.float64).view(3, 2)).sum().backward()
        return x.grad
    same(g)


def test_scatter_inplace_reduce_derivative_message():
    def g(lib):
        x = lib.ones(4, requires_grad=True).clone()
        x.scatter_(0, lib.tensor([0]), lib.ones(1, requires_grad=True), reduce="add")
        x.sum().backward()
    same(g)


def test_index_add_alpha_cast_to_integer_dtype():
    same(lambda lib: lib.tensor([[4, 1], [6, 7]]).index_add(
        1, lib.tensor([1, 0, 1]), lib.tensor([[5, 5, 3], [0, 3, 2]]), alpha=0.5))
    same(lambda lib: lib.tensor([4, 6], dtype=lib.uint8).index_add(
        0, lib.tensor([0]), lib.tensor([6], dtype=lib.uint8), alpha=-1))


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_index_add_half_accumulates_in_float(dt):
    for d, shape in [(0, (3, 2)), (1, (2, 3)), (1, (2, 3, 2)), (0, (3,))]:
        def g(lib):
            x = lib.full(shape, 1024., dtype=getattr(lib, dt))
            ss = list(shape)
            ss[d] = 3
            return [x.index_add(d, lib.tensor([0, 0, 1]), lib.full(ss, 4., dtype=x.dtype)),
                    x.index_add(d, lib.tensor([0, 0, 1]), lib.full(ss, 4., dtype=x.dtype),
                                alpha=2)]
        same(g)


def test_take_along_dim_without_dim_views():
    a = arr((4, 4))
    same(lambda lib: lib.take_along_dim(lib.from_numpy(a.copy()).t(), lib.tensor([0, 5])))
    same(lambda lib: lib.take_along_dim(lib.from_numpy(a.copy()), lib.tensor([[0, 5]]).t()))
    same(lambda lib: lib.take_along_dim(lib.from_numpy(a.copy()), lib.tensor([0, 5, 15])))
