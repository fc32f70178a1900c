"""Float sums give PyTorch's bits on the CPU, not only its value to a few ulps: sum, mean,
the mean of the regression losses and nll_loss's own sum, over every layout the reduction
iterator distinguishes (contiguous, transposed, sliced, broadcast) and with the reduction
split between threads as PyTorch splits it."""
import itertools

import numpy as np
import pytest

import ember
from diff import pinned_threads

torch = pytest.importorskip("torch")


@pytest.fixture(params=[1, 2, 3])
def threads(request):
    yield from pinned_threads(torch, ember, request.param)


def _layouts(shape, dtype, rng):
    """The same values in memory orders the iterator lays out differently, as (name, base,
    strides, offset): a view of ``base``, in elements."""
    a = (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)).astype(dtype)
    item = a.itemsize
    yield "contiguous", a, [s // item for s in a.strides], 0
    if len(shape) > 1:
        t = np.ascontiguousarray(a.swapaxes(0, -1))
        yield "transposed", t, [s // item for s in t.swapaxes(0, -1).strides], 0
        yield "broadcast", a, [0] + [s // item for s in a.strides[1:]], 0
    pad = np.zeros(tuple(s + 2 for s in shape), dtype)
    pad[tuple(slice(1, 1 + s) for s in shape)] = a
    yield "sliced", pad, [s // item for s in pad.strides], sum(s // item for s in pad.strides)


def _pair(shape, base, strides, offset):
    return tuple(T.from_numpy(base.copy()).as_strided(shape, strides, offset)
                 for T in (torch, ember))


SHAPES = [(10,), (17,), (640,), (40000,), (64, 10), (64, 512), (7, 33), (1000, 100),
          (5, 70000), (2, 3, 4), (8, 28, 28), (33, 17, 9), (64, 1, 28, 28), (2, 32, 6, 12)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_sum_is_bitwise_pytorchs(shape, threads):
    rng = np.random.default_rng(len(shape) * 1000 + shape[0])
    nd = len(shape)
    dim_sets = [None] + [c for r in range(1, nd + 1) for c in itertools.combinations(range(nd), r)]
    for dtype in (np.float32, np.float64):
        for name, *view in _layouts(shape, dtype, rng):
            t, e = _pair(shape, *view)
            assert np.array_equal(t.numpy(), e.numpy()), name
            for dims in dim_sets:
                want = t.sum() if dims is None else t.sum(dims)
                got = e.sum() if dims is None else e.sum(dims)
                assert np.array_equal(want.numpy(), got.numpy()), (name, dtype, dims)
            want, got = t.mean(), e.mean()
            assert want.item() == got.item(), (name, dtype)


def test_large_sums_split_between_threads(threads):
    rng = np.random.default_rng(threads)
    for shape, dim in [((1_000_003,), None), ((300, 1000), None), ((300, 1000), 0),
                       ((300, 1000), 1), ((64, 784), None)]:
        a = rng.standard_normal(shape).astype(np.float32)
        t, e = torch.from_numpy(a), ember.from_numpy(a)
        assert np.array_equal((t.sum() if dim is None else t.sum(dim)).numpy(),
                              (e.sum() if dim is None else e.sum(dim)).numpy())
    # a non-contiguous whole sum, cut into per-thread ranges that fall mid-row
    a = rng.standard_normal((700, 90)).astype(np.float32)
    assert torch.from_numpy(a).t().sum().item() == ember.from_numpy(a).t().sum().item()


def test_loss_means_are_bitwise_pytorchs():
    rng = np.random.default_rng(0)
    for n in (10, 64, 1000, 50000):
        x, y = rng.standard_normal((2, n)).astype(np.float32)
        for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
            for reduction in ("mean", "sum"):
                want, got = (getattr(T.nn.functional, name)(T.from_numpy(x), T.from_numpy(y),
                                                            reduction=reduction).item()
                             for T in (torch, ember))
                assert want == got, (name, n, reduction)


@pytest.mark.parametrize("batch", [1, 5, 17, 64, 257, 1000, 5000])
def test_nll_loss_sums_in_pytorchs_order(batch):
    rng = np.random.default_rng(batch)
    x = (rng.standard_normal((batch, 10)) * 3).astype(np.float32)
    target = rng.integers(0, 10, batch)
    weight = rng.uniform(0.1, 2, 10).astype(np.float32)
    ignored = np.where(rng.random(batch) < 0.2, -100, target)
    cases = [dict(), dict(reduction="sum"), dict(weight=weight),
             dict(weight=weight, reduction="sum")]
    for kw in cases:
        for tgt in (target, ignored):
            def run(T):
                args = {k: (T.from_numpy(v) if isinstance(v, np.ndarray) else v)
                        for k, v in kw.items()}
                return T.nn.functional.nll_loss(T.from_numpy(x), T.from_numpy(tgt), **args).item()
            assert run(ember) == run(torch), kw
    # half-type partial sums round at every step, as PyTorch's Half arithmetic
    xh, wh = x.astype(np.float16), weight.astype(np.float16)
    for kw in (dict(), dict(reduction="sum"), dict(weight=wh)):
        def run_half(T):
            args = {k: T.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
            return T.nn.functional.nll_loss(T.from_numpy(xh), T.from_numpy(ignored), **args).item()
        assert run_half(ember) == run_half(torch), kw
    # the spatial form (N, C, H, W) sums over every position in order
    x4 = rng.standard_normal((4, 3, 5, 6)).astype(np.float32)
    t4 = rng.integers(0, 3, (4, 5, 6))
    assert ember.nn.functional.nll_loss(ember.from_numpy(x4), ember.from_numpy(t4)).item() == \
        torch.nn.functional.nll_loss(torch.from_numpy(x4), torch.from_numpy(t4)).item()


def test_broadcast_gradients_sum_as_pytorchs(threads):
    """A bias's gradient is the batch's gradients summed down: PyTorch's bits, so training
    takes the same steps."""
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((2, 64, 512)).astype(np.float32)
    b = rng.standard_normal(512).astype(np.float32)
    grads = []
    for T in (torch, ember):
        bias = T.tensor(b, requires_grad=True)
        ((T.from_numpy(x) + bias) * T.from_numpy(w)).sum().backward()
        grads.append(bias.grad.numpy())
    assert np.array_equal(*grads)


@pytest.mark.parametrize("fill", ["neg_zero", "zero_runs", "inf", "nan"])
def test_sums_of_zero_runs_and_specials_bitwise(fill, threads):
    # chunks of 16 zeros (signed), infinities and NaNs in the rows the cascade sums in
    # chunks: the chunk sums' signs of zero and the specials as PyTorch's (to the bit)
    rng = np.random.default_rng(len(fill))
    for shape in [(64, 512), (40000,), (300, 70), (16, 16, 33), (5000, 3)]:
        a = rng.standard_normal(shape).astype(np.float32)
        if fill == "neg_zero":
            a[rng.random(shape) < 0.97] = -0.0
        elif fill == "zero_runs":
            a.reshape(-1)[: a.size // 2] = -0.0
            a.reshape(-1)[a.size // 2:][rng.random(a.size - a.size // 2) < 0.9] = 0.0
        else:
            a[rng.random(shape) < 0.002] = np.inf if fill == "inf" else np.nan
        t, e = torch.from_numpy(a), ember.from_numpy(a)
        for dims in [None] + [(d,) for d in range(a.ndim)]:
            want = (t.sum() if dims is None else t.sum(dims)).numpy()
            got = (e.sum() if dims is None else e.sum(dims)).numpy()
            assert np.array_equal(np.isnan(want), np.isnan(got)), (shape, dims)
            ok = np.isnan(want)
            assert np.array_equal(np.where(ok, 0, want).view(np.uint32),
                                  np.where(ok, 0, got).view(np.uint32)), (shape, dims)
            assert np.array_equal(np.atleast_1d(want).view(np.uint32)[~np.atleast_1d(ok)],
                                  np.atleast_1d(got).view(np.uint32)[~np.atleast_1d(ok)])
