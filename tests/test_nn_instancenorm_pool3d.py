"""InstanceNorm1d/2d/3d, the 3-D pools, max unpooling and gumbel_softmax against PyTorch."""
import re
import warnings

import numpy as np
import pytest

import ember
from diff import assert_same, check, check_error

torch = pytest.importorskip("torch")

R = np.random.default_rng(0)


def arr(*shape, dtype="float32"):
    return R.standard_normal(shape).astype(dtype)


def copy_params(src_t, dst_e):
    with ember.no_grad():
        for (n, pe), (_, pt) in zip(dst_e.named_parameters(), src_t.named_parameters()):
            pe.copy_(ember.from_numpy(pt.detach().numpy().copy()))


def same_state(me, mt):
    se, st = me.state_dict(), mt.state_dict()
    assert list(se) == list(st)
    for k in st:
        assert_same(se[k], st[k], what=k)


# -- InstanceNorm ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,args,kwargs", [
    ("InstanceNorm1d", (3,), {}),
    ("InstanceNorm2d", (4,), {"affine": True}),
    ("InstanceNorm3d", (2,), {"eps": 1e-3, "momentum": None, "track_running_stats": True}),
    ("InstanceNorm2d", (4,), {"affine": True, "bias": False}),
])
def test_instance_norm_repr_and_state_keys(name, args, kwargs):
    me, mt = getattr(ember.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(me) == repr(mt)
    same_state(me, mt)


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (2, 3, 5)),
                                       ("InstanceNorm1d", (3, 6)),
                                       ("InstanceNorm2d", (2, 3, 4, 5)),
                                       ("InstanceNorm3d", (2, 3, 2, 3, 2))])
@pytest.mark.parametrize("affine,track,momentum", [(False, False, 0.1), (True, True, 0.1),
                                                   (True, True, None), (False, True, 0.3)])
def test_instance_norm_train_eval(cls, shape, affine, track, momentum):
    torch.manual_seed(0)
    c = shape[1] if len(shape) > {"InstanceNorm1d": 2, "InstanceNorm2d": 3,
                                  "InstanceNorm3d": 4}[cls] else shape[0]
    mt = getattr(torch.nn, cls)(c, affine=affine, track_running_stats=track, momentum=momentum)
    me = getattr(ember.nn, cls)(c, affine=affine, track_running_stats=track, momentum=momentum)
    if affine:
        with torch.no_grad():
            mt.weight.uniform_(0.5, 1.5)
            mt.bias.uniform_(-1, 1)
        copy_params(mt, me)
    for _ in range(3):  # running statistics move over several batches
        check(lambda lib, x: (mt if lib is torch else me)(x), arr(*shape) * 2 + 1)
    same_state(me, mt)
    mt.eval()
    me.eval()
    check(lambda lib, x: (mt if lib is torch else me)(x), arr(*shape))
    same_state(me, mt)


def test_instance_norm_double_and_grads_of_params():
    mt = torch.nn.InstanceNorm2d(3, affine=True).double()
    me = ember.nn.InstanceNorm2d(3, affine=True).double()
    x = arr(2, 3, 4, 4, dtype="float64")
    out_t = mt(torch.from_numpy(x))
    out_e = me(ember.from_numpy(x))
    assert_same(out_e, out_t)
    assert type(out_e.grad_fn).__name__ == type(out_t.grad_fn).__name__ == "ViewBackward0"
    out_t.pow(2).sum().backward()
    out_e.pow(2).sum().backward()
    assert_same(me.weight.grad, mt.weight.grad)
    assert_same(me.bias.grad, mt.bias.grad)


def test_instance_norm_errors_and_warnings():
    with pytest.raises(ValueError, match=re.escape("expected 2D or 3D input (got 4D input)")):
        ember.nn.InstanceNorm1d(3)(ember.zeros(1, 3, 4, 4))
    with pytest.raises(ValueError, match=re.escape("expected 4D or 5D input (got 3D input)")):
        ember.nn.InstanceNorm3d(3)(ember.zeros(1, 3, 4))
    msg = "expected input's size at dim=1 to match num_features (3), but got: 4."
    with pytest.raises(ValueError, match=re.escape(msg)):
        ember.nn.InstanceNorm1d(3, affine=True)(ember.zeros(2, 4, 5))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        out = ember.nn.InstanceNorm1d(3)(ember.randn(2, 4, 5))
    assert out.shape == (2, 4, 5)
    with pytest.warns(UserWarning, match="input's size at dim=0 does not match num_features"):
        ember.nn.InstanceNorm2d(3)(ember.randn(4, 5, 5))
    msg = "Expected more than 1 spatial element when training, got input size torch.Size([2, 3, 1])"
    with pytest.raises(ValueError, match=re.escape(msg)):
        ember.nn.InstanceNorm1d(3)(ember.zeros(2, 3, 1))
    # in eval mode with running statistics, one position is fine
    m = ember.nn.InstanceNorm1d(3, track_running_stats=True).eval()
    mt = torch.nn.InstanceNorm1d(3, track_running_stats=True).eval()
    check(lambda lib, x: (mt if lib is torch else m)(x), arr(2, 3, 1))


def test_instance_norm_functional():
    check(lambda lib, x: lib.nn.functional.instance_norm(x), arr(2, 3, 5))
    check(lambda lib, x, w, b: lib.nn.functional.instance_norm(x, weight=w, bias=b, eps=1e-3),
          arr(2, 3, 4, 2), arr(3), arr(3))
    for lib in (ember, torch):
        rm, rv = lib.zeros(3), lib.ones(3)
        x = lib.from_numpy(np.linspace(-2, 3, 30, dtype=np.float32).reshape(2, 3, 5))
        lib.nn.functional.instance_norm(x, rm, rv, momentum=0.2)
        if lib is ember:
            e_stats = (rm, rv)
        else:
            assert_same(e_stats[0], rm)
            assert_same(e_stats[1], rv)
    # running statistics of another dtype are used in the input's
    check(lambda lib, x: lib.nn.functional.instance_norm(
        x, lib.zeros(3), lib.ones(3), use_input_stats=False), arr(2, 3, 5, dtype="float64"))
    for fn in (lambda lib, x: lib.nn.functional.instance_norm(x, use_input_stats=False),
               lambda lib, x: lib.nn.functional.instance_norm(x, lib.zeros(3), None),
               lambda lib, x: lib.nn.functional.instance_norm(x, lib.zeros(4), lib.ones(4)),
               lambda lib, x: lib.nn.functional.instance_norm(x, weight=lib.ones(4)),
               lambda lib, x: lib.nn.functional.instance_norm(x[0]),
               lambda lib, x: lib.nn.functional.instance_norm(x.long())):
        t, e = check_error(fn, arr(2, 3, 5))
        assert t == e


def test_instance_norm_load_state_dict_refuses_untracked_stats():
    for lib in (torch, ember):
        m = lib.nn.InstanceNorm1d(3, affine=True)
        sd = {"weight": lib.ones(3), "bias": lib.zeros(3), "running_mean": lib.zeros(3),
              "running_var": lib.ones(3)}
        with pytest.raises(RuntimeError) as info:
            m.load_state_dict(sd, strict=False)
        if lib is torch:
            expected = str(info.value)
        else:
            assert str(info.value) == expected
    # a state dict saved with metadata (version 2) loads; so do tracked statistics
    src = ember.nn.InstanceNorm2d(3, track_running_stats=True)
    src.running_mean.fill_(0.5)
    dst = ember.nn.InstanceNorm2d(3, track_running_stats=True)
    dst.load_state_dict(src.state_dict())
    assert dst.running_mean.tolist() == [0.5] * 3
    # and an ember checkpoint loads into PyTorch's layer
    mt = torch.nn.InstanceNorm2d(3, track_running_stats=True)
    mt.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in src.state_dict().items()})


# -- 3-D pooling ----------------------------------------------------------------------------

POOL3D = [
    dict(kernel_size=2),
    dict(kernel_size=(2, 3, 1), stride=(1, 2, 1)),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(1, 2, 3), stride=(2, 1, 1), padding=(0, 1, 1), ceil_mode=True),
]


@pytest.mark.parametrize("kw", POOL3D + [dict(kernel_size=2, dilation=(1, 2, 1)),
                                         dict(kernel_size=3, padding=1, dilation=2,
                                              ceil_mode=True)])
@pytest.mark.parametrize("shape", [(2, 2, 4, 5, 6), (3, 5, 4, 5)])
def test_max_pool3d(kw, shape):
    check(lambda lib, x: lib.nn.functional.max_pool3d(x, return_indices=True, **kw),
          arr(*shape))
    check(lambda lib, x: lib.nn.MaxPool3d(**kw)(x), arr(*shape, dtype="float64"))


def test_max_pool3d_ties_nan_inf_and_ints():
    x = np.zeros((1, 2, 3, 4, 4), np.float32)
    x[0, 0, 1, 1, 1] = np.nan
    x[0, 0, 2, 2, 3] = np.nan
    x[0, 1] = -np.inf
    check(lambda lib, x: lib.nn.functional.max_pool3d(x, 2, 1, 1, return_indices=True), x)
    xi = R.integers(-5, 5, (2, 2, 4, 4, 4))
    for dt in ("int64", "uint8"):
        check(lambda lib, x: lib.nn.functional.max_pool3d(x, 2, return_indices=True),
              xi.astype(dt) if dt == "int64" else np.abs(xi).astype(dt), grad=False)
    check(lambda lib, x: lib.nn.functional.max_pool3d(x, 2), arr(1, 2, 4, 4, 4,
                                                                  dtype="float16"))


@pytest.mark.parametrize("kw", POOL3D + [dict(kernel_size=3, stride=2, padding=1,
                                              count_include_pad=False),
                                         dict(kernel_size=2, stride=1, padding=1,
                                              ceil_mode=True, divisor_override=3),
                                         dict(kernel_size=(3, 2, 2), padding=1, stride=2,
                                              ceil_mode=True, count_include_pad=False)])
def test_avg_pool3d(kw):
    check(lambda lib, x: lib.nn.functional.avg_pool3d(x, **kw), arr(2, 2, 5, 5, 6))
    check(lambda lib, x: lib.nn.AvgPool3d(**kw)(x), arr(3, 5, 4, 5, dtype="float64"))


def test_avg_pool3d_integers():
    xi = R.integers(-20, 20, (1, 2, 3, 4, 5)).astype(np.int64)
    check(lambda lib, x: lib.nn.functional.avg_pool3d(x, 2, stride=1, padding=1), xi)


def test_pool3d_double_backward():
    x = arr(1, 2, 4, 4, 4, dtype="float64")

    def second(fn):
        def f(lib, x):
            y = fn(lib, x)
            g, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
            assert type(g.grad_fn).__name__
            return g
        return f
    check(second(lambda lib, x: lib.nn.functional.avg_pool3d(x, 2, 1, 1)), x)
    check(second(lambda lib, x: lib.nn.functional.max_pool3d(x, 2, 1, 1)), x)
    check(second(lambda lib, x: lib.nn.functional.adaptive_avg_pool3d(x, (2, 3, 1))), x)
    check(second(lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x, 3)), x)
    for lib in (torch, ember):
        xt = (torch if lib is torch else ember).from_numpy(x.copy()).requires_grad_()
        names = []
        for fn in (lambda t: lib.nn.functional.avg_pool3d(t, 2),
                   lambda t: lib.nn.functional.max_pool3d(t, 2),
                   lambda t: lib.nn.functional.adaptive_avg_pool3d(t, 3),
                   lambda t: lib.nn.functional.adaptive_max_pool3d(t, 3)):
            y = fn(xt)
            g, = lib.autograd.grad(y, xt, lib.ones_like(y).requires_grad_(), create_graph=True)
            names.append((type(y.grad_fn).__name__, type(g.grad_fn).__name__))
        if lib is torch:
            expected = names
        else:
            assert names == expected


@pytest.mark.parametrize("out", [2, (2, 3, 1), (None, 2, 5), (3, 1, 4), 1])
def test_adaptive_pool3d(out):
    check(lambda lib, x: lib.nn.functional.adaptive_avg_pool3d(x, out), arr(2, 2, 5, 4, 7))
    check(lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x, out, return_indices=True),
          arr(2, 2, 5, 4, 7))
    check(lambda lib, x: lib.nn.AdaptiveAvgPool3d(out)(x), arr(3, 4, 5, 6, dtype="float64"))
    check(lambda lib, x: lib.nn.AdaptiveMaxPool3d(out, True)(x), arr(3, 4, 5, 6))


def test_pool3d_reprs():
    for args, kw in (((2,), {}), (((1, 2, 3),), dict(stride=(2, 1, 1), dilation=2,
                                                     return_indices=True))):
        assert repr(ember.nn.MaxPool3d(*args, **kw)) == repr(torch.nn.MaxPool3d(*args, **kw))
    for args, kw in (((2,), {}), (((2, 3, 1),), dict(stride=1, ceil_mode=True,
                                                     divisor_override=3))):
        assert repr(ember.nn.AvgPool3d(*args, **kw)) == repr(torch.nn.AvgPool3d(*args, **kw))
    for cls in ("AdaptiveAvgPool3d", "AdaptiveMaxPool3d"):
        for out in (2, (2, None, 3)):
            assert repr(getattr(ember.nn, cls)(out)) == repr(getattr(torch.nn, cls)(out))
    for cls, args in (("MaxUnpool1d", (3, 2, 1)), ("MaxUnpool2d", (2,)),
                      ("MaxUnpool3d", ((1, 2, 2),))):
        assert repr(getattr(ember.nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args))


POOL3D_ERRORS = [
    lambda lib, x: lib.nn.functional.max_pool3d(x[0, 0], 2),
    lambda lib, x: lib.nn.functional.max_pool3d(x[:, :0], 2),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 0),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 0, stride=1),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, stride=-1),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, dilation=0),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, padding=2),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, padding=-1),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 3, padding=2, dilation=2),
    lambda lib, x: lib.nn.functional.max_pool3d(x, (2, 2)),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, stride=(1, 1)),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, padding=(1, 1)),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, dilation=(1, 1)),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 5),
    lambda lib, x: lib.nn.functional.max_pool3d(x.bool(), 2),
    lambda lib, x: lib.nn.functional.avg_pool3d(x[0, 0], 2),
    lambda lib, x: lib.nn.functional.avg_pool3d(x[0, :0], 2),
    lambda lib, x: lib.nn.functional.avg_pool3d(x, 0, stride=1),
    lambda lib, x: lib.nn.functional.avg_pool3d(x, 2, stride=0),
    lambda lib, x: lib.nn.functional.avg_pool3d(x, 2, padding=2),
    lambda lib, x: lib.nn.functional.avg_pool3d(x, (2, 2)),
    lambda lib, x: lib.nn.functional.avg_pool3d(x, 2, stride=(1, 1)),
    lambda lib, x: lib.nn.functional.avg_pool3d(x, 2, padding=(1, 1)),
    lambda lib, x: lib.nn.functional.avg_pool3d(x, 5),
    lambda lib, x: lib.nn.functional.avg_pool3d(x, 7, padding=3),
    lambda lib, x: lib.nn.functional.avg_pool3d(x, 2, divisor_override=0),
    lambda lib, x: lib.nn.functional.avg_pool3d(x.half(), 2),
    lambda lib, x: lib.nn.functional.avg_pool3d(x.int(), 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool3d(x[0, 0, 0], 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool3d(x[:, :, :0], 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool3d(x, (2, 2)),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool3d(x, (2, -1, 2)),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool3d(x.long(), 2),
    lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x[0, 0, 0], 2),
    lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x[:, :, :, :0], 2),
    lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x, (2, 2)),
    lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x, (2, -1, 2)),
    lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x.long(), 2),
]


@pytest.mark.parametrize("i", range(len(POOL3D_ERRORS)))
def test_pool3d_errors(i):
    t, e = check_error(POOL3D_ERRORS[i], arr(2, 3, 4, 5, 6))
    assert e == t


# -- max unpooling --------------------------------------------------------------------------

@pytest.mark.parametrize("dims,shape,kw,out", [
    (1, (2, 3, 9), dict(kernel_size=3, stride=2, padding=1), None),
    (1, (3, 8), dict(kernel_size=2), (9,)),
    (2, (2, 3, 4, 6), dict(kernel_size=2), None),
    (2, (3, 5, 7), dict(kernel_size=3, stride=2, padding=1), (2, 3, 5, 8)),
    (3, (2, 2, 4, 4, 6), dict(kernel_size=2), None),
    (3, (2, 5, 4, 5), dict(kernel_size=(1, 2, 3), stride=(1, 2, 2)), (5, 5, 6)),
])
def test_max_unpool(dims, shape, kw, out):
    pool = getattr(torch.nn.functional, f"max_pool{dims}d")
    x = torch.from_numpy(arr(*shape))
    y, idx = pool(x, return_indices=True, **kw)
    ni = idx.numpy()

    def f(lib, y):
        i = (torch if lib is torch else ember).from_numpy(ni.copy())
        return getattr(lib.nn.functional, f"max_unpool{dims}d")(y, i, output_size=out, **kw)
    check(f, y.numpy())

    def m(lib, y):
        i = (torch if lib is torch else ember).from_numpy(ni.copy())
        return getattr(lib.nn, f"MaxUnpool{dims}d")(**kw)(y, i, output_size=out)
    check(m, y.numpy().astype(np.float64))


UNPOOL_ERRORS = [
    lambda lib, y, i: lib.nn.functional.max_unpool2d(y, i, 2, output_size=(6, 7)),
    lambda lib, y, i: lib.nn.functional.max_unpool2d(y, i, 2, output_size=(6,)),
    lambda lib, y, i: lib.nn.functional.max_unpool2d(y, i + 100, 2),
    lambda lib, y, i: lib.nn.functional.max_unpool2d(y, i - 100, 2),
    lambda lib, y, i: lib.nn.functional.max_unpool2d(y, i.int(), 2),
    lambda lib, y, i: lib.nn.functional.max_unpool2d(y, i.float(), 2),
    lambda lib, y, i: lib.nn.functional.max_unpool2d(y, i[:1], 2),
    lambda lib, y, i: lib.nn.functional.max_unpool2d(y[0, 0], i[0, 0], 2),
    lambda lib, y, i: lib.nn.functional.max_unpool2d(y.long(), i, 2),
    lambda lib, y, i: lib.nn.functional.max_unpool1d(y[0], i[0] + 50, 2),
    lambda lib, y, i: lib.nn.functional.max_unpool3d(y[0], i[0].int(), 2),
    lambda lib, y, i: lib.nn.functional.max_unpool3d(y[0], i[0], 2),
    lambda lib, y, i: lib.nn.functional.max_unpool3d(y[None], i[None] + 200, 2),
    lambda lib, y, i: lib.nn.functional.max_unpool3d(y, i[:1], 2),
]


@pytest.mark.parametrize("k", range(len(UNPOOL_ERRORS)))
def test_max_unpool_errors(k):
    x = torch.from_numpy(arr(2, 3, 4, 6))
    y, i = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # PyTorch names the last bad index its (one) thread meets
    try:
        t, e = check_error(UNPOOL_ERRORS[k], y.numpy(), i.numpy())
    finally:
        torch.set_num_threads(threads)
    assert e == t


# -- gumbel_softmax -------------------------------------------------------------------------

@pytest.mark.parametrize("tau,hard,dim", [(1, False, -1), (0.5, True, -1), (2.0, False, 0),
                                          (0.3, True, 1)])
def test_gumbel_softmax_same_numbers(tau, hard, dim):
    def f(lib, x):
        lib.manual_seed(7)
        return lib.nn.functional.gumbel_softmax(x, tau=tau, hard=hard, dim=dim)
    out = check(f, arr(4, 5, 3))
    if hard:
        assert set(np.unique(out.detach().numpy())) <= {0.0, 1.0}


def test_gumbel_softmax_eps_warning_and_stream():
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect."):
        ember.nn.functional.gumbel_softmax(ember.zeros(3), eps=1e-5)
    # the generator advances as PyTorch's does: the next draw agrees too
    for lib in (torch, ember):
        lib.manual_seed(3)
        lib.nn.functional.gumbel_softmax(lib.zeros(2, 6))
        nxt = lib.rand(3)
        if lib is torch:
            expected = nxt.numpy()
        else:
            assert np.array_equal(nxt.numpy(), expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.nn.functional.gumbel_softmax(ember.zeros(3))


@pytest.mark.parametrize("shape", [(16, 8, 10, 10), (3, 5, 7)])
def test_instance_norm_running_stats_are_pytorchs_bit_for_bit(shape):
    """Train-mode outputs and the running statistics (the per-sample statistics averaged
    over the batch in PyTorch's summation order), then eval-mode outputs."""
    x = (np.random.default_rng(0).standard_normal(shape) * 3 + 1).astype(np.float32)
    res = []
    for T in (torch, ember):
        cls = T.nn.InstanceNorm2d if len(shape) == 4 else T.nn.InstanceNorm1d
        m = cls(shape[1], track_running_stats=True, affine=True)
        for _ in range(3):
            out = m(T.from_numpy(x))
        got = [out.detach().numpy(), m.running_mean.numpy().copy(), m.running_var.numpy().copy()]
        m.eval()
        res.append(got + [m(T.from_numpy(x)).detach().numpy()])
    for want, have in zip(*res):
        np.testing.assert_array_equal(want, have)
