"""DistributedSampler, global full backward hooks, FractionalMaxPool2d and
AdaptiveLogSoftmaxWithLoss, against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def both(fn):
    """``fn(lib)`` run with ember and with torch."""
    return fn(ember), fn(torch)


def same_error(fn):
    errs = []
    for lib in (ember, torch):
        with pytest.raises(Exception) as ei:
            fn(lib)
        errs.append(ei.value)
    assert type(errs[0]) is type(errs[1])
    assert str(errs[0]) == str(errs[1])


# -- DistributedSampler ------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 7, 10, 12, 13])
@pytest.mark.parametrize("replicas", [1, 3, 4])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_order(n, replicas, shuffle, drop_last):
    for rank in range(replicas):
        def run(lib):
            s = lib.utils.data.DistributedSampler(range(n), num_replicas=replicas, rank=rank,
                                                  shuffle=shuffle, seed=5, drop_last=drop_last)
            got = [len(s), list(s)]
            s.set_epoch(3)
            got.append(list(s))
            return got, (s.num_samples, s.total_size, s.epoch)
        a, b = both(run)
        assert a == b


def test_distributed_sampler_dataloader_and_import_path():
    from ember.utils.data.distributed import DistributedSampler as E

    assert E is ember.utils.data.DistributedSampler

    def run(lib):
        ds = lib.utils.data.TensorDataset(lib.arange(11))
        s = lib.utils.data.DistributedSampler(ds, num_replicas=2, rank=1, seed=1)
        return [b[0].tolist() for b in lib.utils.data.DataLoader(ds, batch_size=3, sampler=s)]
    a, b = both(run)
    assert a == b


def test_distributed_sampler_errors():
    def make(**kw):
        def f(lib):
            lib.utils.data.DistributedSampler(range(10), **kw)
        return f
    same_error(make())
    same_error(make(num_replicas=2))
    same_error(make(rank=0))
    same_error(make(num_replicas=2, rank=2))
    same_error(make(num_replicas=2, rank=-1))


# -- global full backward hooks ------------------------------------------------------------

def _hook_trace(lib):
    mm = lib.nn.modules.module
    log = []

    def fmt(g):
        return [None if x is None else np.round(x.numpy(), 5).tolist() for x in g]

    def pre(m, go):
        log.append(("gpre", type(m).__name__, fmt(go)))

    def post(m, gi, go):
        log.append(("gpost", type(m).__name__, fmt(gi), fmt(go)))

    def double(m, gi, go):
        if type(m).__name__ == "ReLU":
            return tuple(None if g is None else g * 2 for g in gi)

    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.ReLU(), lib.nn.Linear(2, 1))
    net[0].register_full_backward_hook(
        lambda m, gi, go: log.append(("own", type(m).__name__, fmt(gi))))
    net[1].register_full_backward_pre_hook(
        lambda m, go: log.append(("ownpre", type(m).__name__, fmt(go))))
    handles = [mm.register_module_full_backward_pre_hook(pre),
               mm.register_module_full_backward_hook(post),
               mm.register_module_full_backward_hook(double)]
    try:
        x = lib.tensor([[1.0, -2.0, 0.5], [0.3, 0.2, -0.1]], requires_grad=True)
        net(x).sum().backward()
        log.append(("xgrad", np.round(x.grad.numpy(), 5).tolist()))
    finally:
        for h in handles:
            h.remove()
    x = lib.tensor([[1.0, -2.0, 0.5]], requires_grad=True)
    n_before = len(log)
    net[2](x[:, :2]).sum().backward()  # global hooks removed: only own hooks could fire
    log.append(("after", len(log) - n_before))
    return log


def test_global_full_backward_hooks():
    a, b = both(_hook_trace)
    assert a == b


def test_global_full_backward_hook_no_input_grad_warns():
    def run(lib):
        h = lib.nn.modules.module.register_module_full_backward_hook(lambda m, gi, go: None)
        try:
            lib.manual_seed(0)
            lin = lib.nn.Linear(2, 2)
            with pytest.warns(UserWarning, match="Full backward hook is firing"):
                lin(lib.ones(1, 2)).sum().backward()
        finally:
            h.remove()
    both(run)


# -- FractionalMaxPool2d ------------------------------------------------------------------

FRAC = [((2, 3, 9, 11), 3, dict(output_size=(5, 4))),
        ((3, 10, 10), 2, dict(output_ratio=(0.5, 0.6))),
        ((1, 2, 50, 37), (3, 2), dict(output_size=(20, 30))),
        ((2, 3, 7, 7), 2, dict(output_size=6)),
        ((2, 2, 6, 6), 2, dict(output_size=1)),
        ((0, 2, 6, 6), 2, dict(output_size=3))]


@pytest.mark.parametrize("shape,k,kw", FRAC)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_max_pool2d_seeded(shape, k, kw, dtype):
    def run(lib):
        lib.manual_seed(3)
        x = lib.randn(*shape, dtype=getattr(lib, dtype)).requires_grad_()
        o, i = lib.nn.functional.fractional_max_pool2d(x, k, return_indices=True, **kw)
        (o * lib.arange(o.numel(), dtype=o.dtype).reshape(o.shape)).sum().backward()
        after = lib.rand(2)  # the generator moved by the same amount
        return (o.detach().numpy(), i.numpy(), x.grad.numpy(), after.numpy(), o.dtype is x.dtype,
                type(o.grad_fn).__name__)
    a, b = both(run)
    for p, q in zip(a, b):
        if isinstance(p, np.ndarray):
            np.testing.assert_array_equal(p, q)
        else:
            assert p == q


def test_fractional_max_pool2d_samples_and_nan():
    x = np.random.default_rng(0).standard_normal((2, 2, 8, 8)).astype(np.float32)
    x[0, 0, 1, 1] = np.nan
    x[1, 1, 3:5, 3:5] = 7.0  # ties: the first maximum wins
    u = np.random.default_rng(1).random((3, 2, 2)).astype(np.float32)

    def run(lib):
        xt = lib.tensor(x)
        o, i = lib.nn.functional.fractional_max_pool2d(
            xt, (2, 3), output_size=(4, 5), return_indices=True, _random_samples=lib.tensor(u))
        return o.numpy(), i.numpy()
    a, b = both(run)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_fractional_max_pool2d_module():
    def run(lib):
        lib.manual_seed(1)
        m = lib.nn.FractionalMaxPool2d(3, output_ratio=0.5, return_indices=True)
        x = lib.randn(1, 2, 12, 12)
        o, i = m(x)
        m2 = lib.nn.FractionalMaxPool2d((2, 2), output_size=(3, 4))
        return repr(m), repr(m2), o.numpy(), i.numpy(), m2(x).numpy(), list(m.state_dict())
    a, b = both(run)
    assert a[:2] == b[:2] and a[5] == b[5]
    for p, q in zip(a[2:5], b[2:5]):
        np.testing.assert_array_equal(p, q)


def test_fractional_max_pool2d_errors():
    def f(shape=(2, 3, 5, 6), k=2, **kw):
        def g(lib):
            lib.nn.functional.fractional_max_pool2d(lib.zeros(shape), k, **kw)
        return g
    same_error(f(output_size=(2, 6)))
    same_error(f(output_size=(5, 2)))
    same_error(f(k=3, output_size=(4, 4)))
    same_error(f())
    same_error(f(output_ratio=0.5))  # NOTE: PyTorch's own TypeError (len of a float)
    same_error(f(shape=(1, 2, 3, 4, 5), output_size=2))
    same_error(f(shape=(2, 0, 4, 4), output_size=2))
    for rs in [(1, 3, 2), (2, 2, 2), (2, 3, 3)]:
        same_error(lambda lib, rs=rs: lib.nn.functional.fractional_max_pool2d(
            lib.zeros(2, 3, 5, 6), 2, output_size=2, _random_samples=lib.rand(*rs)))
    same_error(lambda lib: lib.nn.functional.fractional_max_pool2d(
        lib.zeros(2, 3, 5, 6), 2, output_size=2,
        _random_samples=lib.rand(2, 3, 2, dtype=lib.float64)))
    same_error(lambda lib: lib.nn.FractionalMaxPool2d(3))
    same_error(lambda lib: lib.nn.FractionalMaxPool2d(3, output_ratio=1.5))
    same_error(lambda lib: lib.nn.FractionalMaxPool2d(3, output_ratio=0.5, output_size=2))


# -- AdaptiveLogSoftmaxWithLoss -----------------------------------------------------------

def _asm(lib, head_bias=False, div_value=3.0):
    lib.manual_seed(0)
    return lib.nn.AdaptiveLogSoftmaxWithLoss(32, 20, [4, 9, 15], div_value=div_value,
                                             head_bias=head_bias)


@pytest.mark.parametrize("head_bias", [False, True])
@pytest.mark.parametrize("div_value", [3.0, 2.0])
def test_adaptive_log_softmax_forward_backward(head_bias, div_value):
    def run(lib):
        m = _asm(lib, head_bias, div_value)
        lib.manual_seed(1)
        x = lib.randn(9, 32, requires_grad=True)
        target = lib.tensor([0, 3, 4, 8, 9, 14, 15, 19, 2])
        res = m(x, target)
        res.loss.backward()
        single = m(x[0].detach(), target[1])
        return (repr(m), type(res).__name__, res._fields, res.output.detach().numpy(),
                res.loss.item(), x.grad.numpy(),
                [(k, p.grad.numpy()) for k, p in m.named_parameters()],
                [(k, v.numpy()) for k, v in m.state_dict().items()],
                single.output.shape, single.loss.item(),
                m.log_prob(x.detach()).detach().numpy(), m.predict(x.detach()).tolist(),
                m.predict(x.detach()[:1]).tolist(),
                type(res.loss.grad_fn).__name__)
    a, b = both(run)
    assert a[0] == b[0] and a[1] == b[1] and tuple(a[2]) == tuple(b[2])
    np.testing.assert_allclose(a[3], b[3], rtol=1e-5, atol=1e-6)
    assert a[4] == pytest.approx(b[4], rel=1e-5)
    np.testing.assert_allclose(a[5], b[5], rtol=1e-4, atol=1e-6)
    for (k1, g1), (k2, g2) in zip(a[6], b[6]):
        assert k1 == k2
        np.testing.assert_allclose(g1, g2, rtol=1e-4, atol=1e-6)
    assert [k for k, _ in a[7]] == [k for k, _ in b[7]]
    for (_, v1), (_, v2) in zip(a[7], b[7]):
        np.testing.assert_array_equal(v1, v2)  # seeded init: bit for bit
    assert tuple(a[8]) == tuple(b[8])
    assert a[9] == pytest.approx(b[9], rel=1e-5)
    np.testing.assert_allclose(a[10], b[10], rtol=1e-5, atol=1e-6)
    assert a[11:] == b[11:]


def test_adaptive_log_softmax_predict_branches():
    def run(lib):
        m = _asm(lib)
        with lib.no_grad():
            m.head.weight.zero_()
            m.head.weight[2] = 1.0  # all rows pick shortlist class 2
            x = lib.ones(3, 32)
            p1 = m.predict(x).tolist()
            m.head.weight[5] = 2.0  # all rows pick a cluster
            p2 = m.predict(x).tolist()
            x2 = lib.cat([lib.ones(2, 32), -lib.ones(2, 32)])
            m.head.weight[2] = -3.0
            p3 = m.predict(x2).tolist()
        return p1, p2, p3
    a, b = both(run)
    assert a == b


def test_adaptive_log_softmax_errors():
    same_error(lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, []))
    for c in ([5, 3], [0, 4], [4, 10], [3, 3], [2.5]):
        same_error(lambda lib, c=c: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, c))
    for x, t in [((3, 32), (2,)), ((3, 2, 32), (3,)), ((2, 32), ()), ((32,), (1, 1))]:
        same_error(lambda lib, x=x, t=t: _asm(lib)(lib.zeros(x), lib.zeros(t, dtype=lib.long)))
    same_error(lambda lib: _asm(lib)(lib.zeros(2, 32), lib.tensor([3, 20])))
    same_error(lambda lib: _asm(lib)(lib.zeros(2, 32), lib.tensor([-1, 2])))


def test_positive_returns_its_input():
    for lib in (ember, torch):
        t = lib.tensor([1.5, -2.0])
        assert lib.positive(t) is t and t.positive() is t
    same_error(lambda lib: lib.positive(lib.tensor([True])))
    same_error(lambda lib: lib.tensor([True]).positive())


def test_rot90_method_and_checks():
    for k, dims in [(1, (0, 1)), (-1, (2, 1)), (5, (1, -1)), (2, [0, 2]), (0, (0, 1))]:
        a, b = both(lambda lib, k=k, dims=dims: lib.arange(24.).reshape(2, 3, 4).rot90(k, dims))
        assert a.tolist() == b.tolist() and a.shape == b.shape
    for args in [(1, (0,)), (1, (0, 0)), (1, (-3, 0)), (1, (0, 5))]:
        same_error(lambda lib, args=args: lib.zeros(2, 3, 4).rot90(*args))
    same_error(lambda lib: lib.zeros(3).rot90())
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="dim0 = -3 and dim1 = 0"):
            lib.zeros(2, 3, 4).rot90(1, (-3, 0))


def test_split_with_sizes_and_bad_indices():
    a, b = both(lambda lib: [t.tolist() for t in
                             lib.arange(24.).reshape(2, 3, 4).split_with_sizes([1, 3], -1)])
    assert a == b
    a, b = both(lambda lib: lib.split_with_sizes(lib.arange(6), [4, 2])[1].tolist())
    assert a == b
    for sizes in ([1, 2], [2, -1, 3], [2, -1]):
        same_error(lambda lib, s=sizes: lib.zeros(2, 3, 4).split_with_sizes(s, 2))
        same_error(lambda lib, s=sizes: lib.zeros(2, 3, 4).split(s, 2))
    # select and index_select: PyTorch's messages (dim 1 has its own kernel and wording)
    for shape, dim, idx in [((2, 3, 4), 1, [9]), ((2, 3, 4), 1, [0, -1]), ((3, 4), 0, [7]),
                            ((2, 3, 4), 2, [4]), ((5,), 0, [-1])]:
        msgs = []
        for lib in (ember, torch):
            with pytest.raises((IndexError, RuntimeError)) as e:
                lib.zeros(shape).index_select(dim, lib.tensor(idx))
            msgs.append((type(e.value), str(e.value)))
        assert msgs[0] == msgs[1]
    for index in (4, -5):
        msgs = []
        for lib in (ember, torch):
            with pytest.raises(IndexError) as e:
                lib.zeros(2, 3, 4).select(2, index)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]


def test_sync_batch_norm_in_one_process():
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.SyncBatchNorm(3, momentum=0.3)
        x = lib.randn(4, 3, 5)
        y = m(x)
        net = lib.nn.Sequential(lib.nn.Conv2d(3, 3, 1), lib.nn.BatchNorm2d(3, momentum=0.2),
                                lib.nn.Sequential(lib.nn.BatchNorm1d(3, affine=False)))
        with lib.no_grad():
            net[1].running_mean += 1
        net.eval()
        s = lib.nn.SyncBatchNorm.convert_sync_batchnorm(net)
        return (repr(m), y.tolist(), m.running_var.tolist(), repr(s), list(s.state_dict()),
                s[1].weight is net[1].weight, s[1].training, s[1].running_mean.tolist())
    a, b = both(run)
    assert a == b
    same_error(lambda lib: lib.nn.SyncBatchNorm(3)(lib.randn(3)))


def test_normal_with_size_takes_zero_dim_tensors_as_numbers_and_complex_grad_errors():
    for args in [(0.0, -1.5), (-1.5, 2.0)]:
        outs = []
        for lib in (ember, torch):
            lib.manual_seed(0)
            try:
                outs.append(lib.normal(lib.tensor(args[0]), lib.tensor(args[1]), (3,)).tolist())
            except RuntimeError as e:
                outs.append(str(e))
        assert outs[0] == outs[1]
    same_error(lambda lib: lib.autograd.backward(lib.tensor(1 + 1j, requires_grad=True) * 2))
    same_error(lambda lib: lib.autograd.grad(lib.tensor(1 + 1j, requires_grad=True) * 2, []))
