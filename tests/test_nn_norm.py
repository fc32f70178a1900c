"""Normalisation layers against PyTorch: batch_norm, layer_norm, group_norm, rms_norm.

Values and gradients (input and parameters) for float32 and float64, train and eval
modes, running statistics over several steps, state dicts, reprs, default init and
errors.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from diff import assert_same, check, check_error, gradcheck

torch = pytest.importorskip("torch")

DTYPES = [np.float32, np.float64]


def arr(rng, shape, dtype=np.float64, scale=1.0, shift=0.0):
    return (rng.standard_normal(shape) * scale + shift).astype(dtype)


def both(mod_e, mod_t):
    """Give an ember module the same parameters and buffers as a torch module."""
    sd = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in mod_t.state_dict().items()}
    mod_e.load_state_dict(sd)


def same_grads(e, t):
    """Gradients from ember and torch agree (``None`` where torch has none)."""
    assert len(e) == len(t)
    for i, (a, b) in enumerate(zip(e, t, strict=True)):
        if b is None:
            assert a is None or not a.abs().sum().item(), f"grad[{i}]"
        else:
            assert_same(a, b, what=f"grad[{i}]")


# -- batch_norm (functional) ----------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 2, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_train_values_grads(rng, dtype, shape, affine):
    x = arr(rng, shape, dtype, 2.0, 0.5)
    w, b = arr(rng, 3, dtype), arr(rng, 3, dtype)
    if affine:
        out = check(lambda T, x, w, b: T.nn.functional.batch_norm(x, None, None, w, b, True),
                    x, w, b)
    else:
        out = check(lambda T, x: T.nn.functional.batch_norm(x, None, None, training=True), x)
    assert type(out.grad_fn).__name__ == "NativeBatchNormBackward0"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5)])
def test_batch_norm_eval_values_grads(rng, dtype, shape):
    x = arr(rng, shape, dtype)
    w, b = arr(rng, 3, dtype), arr(rng, 3, dtype)
    rm, rv = arr(rng, 3, dtype), (rng.random(3) + 0.5).astype(dtype)

    def fn(T, x, w, b):
        return T.nn.functional.batch_norm(x, T.from_numpy(rm.copy()), T.from_numpy(rv.copy()), w,
                                          b, False, 0.1, 1e-3)
    out = check(fn, x, w, b)
    assert type(out.grad_fn).__name__ == "NativeBatchNormBackward0"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, 0.7, 0.0, 1.0])
def test_batch_norm_running_update(rng, dtype, momentum):
    x = arr(rng, (5, 4, 3), dtype, 3.0, 1.0)
    res = {}
    for T in (ember, torch):
        rm = T.from_numpy(arr(np.random.default_rng(1), 4, dtype))
        rv = T.from_numpy(np.ones(4, dtype))
        v = rm._version
        out = T.nn.functional.batch_norm(T.from_numpy(x.copy()), rm, rv, training=True,
                                         momentum=momentum)
        res[T] = (out, rm, rv, rm._version - v)
    for e, t in zip(res[ember], res[torch], strict=True):
        assert_same(e, t)


def test_batch_norm_eval_leaves_running_stats(rng):
    rm, rv = ember.zeros(3), ember.ones(3)
    ember.nn.functional.batch_norm(ember.randn(4, 3), rm, rv, training=False)
    assert rm.tolist() == [0.0] * 3 and rv.tolist() == [1.0] * 3


def test_batch_norm_double_backward(rng):
    x, w, b = arr(rng, (4, 3, 2)), arr(rng, 3), arr(rng, 3)
    res = []
    for T in (ember, torch):
        xs = [T.from_numpy(a.copy()).requires_grad_() for a in (x, w, b)]
        y = T.nn.functional.batch_norm(xs[0], None, None, xs[1], xs[2], True)
        g = T.from_numpy(np.linspace(-1, 1, 24).reshape(4, 3, 2))
        gx, gw = T.autograd.grad(y, xs[:2], g, create_graph=True)
        res.append(T.autograd.grad((gx * gx).sum() + (gw * gw).sum(), xs, allow_unused=True))
    same_grads(*res)


def test_batch_norm_gradcheck():
    rng = np.random.default_rng(3)
    gradcheck(lambda T, x, w: T.nn.functional.batch_norm(x, None, None, w, None, True),
              arr(rng, (3, 2, 2)), arr(rng, 2))


def test_batch_norm_errors(rng):
    check_error(lambda T, x: T.nn.functional.batch_norm(x, T.zeros(4), T.ones(4), training=True),
                arr(rng, (1, 4), np.float32),
                match="Expected more than 1 value per channel when training, got input size "
                      "torch.Size([1, 4])")
    check_error(lambda T, x: T.nn.functional.batch_norm(x, None, None, training=True),
                arr(rng, (1, 4, 1), np.float32), match="torch.Size([1, 4, 1])")
    check_error(lambda T, x: T.nn.functional.batch_norm(x, None, None, training=False),
                arr(rng, (3, 4), np.float32), match="running_mean must be defined in evaluation")
    check_error(lambda T, x: T.nn.functional.batch_norm(x, T.zeros(3), T.ones(4)),
                arr(rng, (3, 4), np.float32), match="running_mean should contain 4 elements not 3")
    check_error(lambda T, x: T.nn.functional.batch_norm(x, T.zeros(4), T.ones(4), T.ones(3)),
                arr(rng, (3, 4), np.float32), match="weight should contain 4 elements not 3")
    check_error(lambda T, x: T.nn.functional.batch_norm(x, T.zeros(4), None, training=True),
                arr(rng, (3, 4), np.float32), match="either both be None or neither")
    check_error(lambda T, x: T.nn.functional.batch_norm(x, None, None, training=True),
                np.ones((3, 4), np.int64), match='"batch_norm" not implemented for \'Long\'')
    check_error(lambda T, x: T.nn.functional.batch_norm(x, T.zeros(4), T.ones(4), training=True),
                arr(rng, (3, 4), np.float64), match="mixed dtype (CPU)")


def test_batch_norm_empty_batch():
    check(lambda T, x: T.nn.functional.batch_norm(x, T.zeros(4), T.ones(4), training=False),
          np.zeros((0, 4), np.float32))


# -- BatchNorm modules ------------------------------------------------------------

MODULES = [("BatchNorm1d", (6, 4)), ("BatchNorm1d", (3, 4, 5)), ("BatchNorm2d", (3, 4, 2, 3)),
           ("BatchNorm3d", (2, 4, 2, 2, 2))]


@pytest.mark.parametrize("name,shape", MODULES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_module_steps(name, shape, dtype, momentum):
    """Several training steps then eval: outputs, parameter gradients and buffers match."""
    rng = np.random.default_rng(7)
    tdt = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    edt = {np.float32: ember.float32, np.float64: ember.float64}[dtype]
    mt = getattr(torch.nn, name)(4, momentum=momentum, dtype=tdt)
    me = getattr(ember.nn, name)(4, momentum=momentum, dtype=edt)
    with torch.no_grad():
        mt.weight.copy_(torch.from_numpy(arr(rng, 4, dtype)))
        mt.bias.copy_(torch.from_numpy(arr(rng, 4, dtype)))
    both(me, mt)
    for step in range(4):
        x = arr(rng, shape, dtype, 1.0 + step, step - 1.0)
        g = arr(rng, shape, dtype)
        xe = ember.from_numpy(x.copy()).requires_grad_()
        xt = torch.from_numpy(x.copy()).requires_grad_()
        ye, yt = me(xe), mt(xt)
        assert_same(ye, yt)
        ye.backward(ember.from_numpy(g))
        yt.backward(torch.from_numpy(g))
        assert_same(xe.grad, xt.grad)
        for n, p in mt.named_parameters():
            assert_same(getattr(me, n).grad, p.grad, what=n)
        for n, b in mt.named_buffers():
            assert_same(getattr(me, n), b, what=n)
    me.eval()
    mt.eval()
    x = arr(rng, shape, dtype)
    xe = ember.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    ye, yt = me(xe), mt(xt)
    assert_same(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad)
    assert int(me.num_batches_tracked) == 4


@pytest.mark.parametrize("kw", [dict(affine=False), dict(track_running_stats=False),
                                dict(affine=False, track_running_stats=False), dict(bias=False),
                                dict(momentum=1.0, eps=1e-2)])
def test_batchnorm_module_options(kw):
    rng = np.random.default_rng(2)
    mt, me = torch.nn.BatchNorm1d(3, **kw), ember.nn.BatchNorm1d(3, **kw)
    assert repr(me) == repr(mt)
    assert list(me.state_dict()) == list(mt.state_dict())
    assert [n for n, _ in me.named_parameters()] == [n for n, _ in mt.named_parameters()]
    assert [n for n, _ in me.named_buffers()] == [n for n, _ in mt.named_buffers()]
    for mode in ("train", "eval", "train"):
        getattr(me, mode)()
        getattr(mt, mode)()
        x = arr(rng, (5, 3, 2), np.float32, 2.0, 1.0)
        assert_same(me(ember.from_numpy(x)), mt(torch.from_numpy(x)))
        for n, b in mt.named_buffers():
            assert_same(getattr(me, n), b, what=n)


def test_batchnorm_init_state_dict_repr():
    for name in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"):
        mt, me = getattr(torch.nn, name)(5), getattr(ember.nn, name)(5)
        assert repr(me) == repr(mt)
        sd_e, sd_t = me.state_dict(), mt.state_dict()
        assert list(sd_e) == list(sd_t) == ["weight", "bias", "running_mean", "running_var",
                                            "num_batches_tracked"]
        for k in sd_t:
            assert_same(sd_e[k], sd_t[k], what=k)
        assert sd_e._metadata[""] == sd_t._metadata[""] == {"version": 2}
    for kw in (dict(eps=1e-3, momentum=0.01), dict(momentum=None, affine=False),
               dict(track_running_stats=False, bias=False)):
        assert repr(ember.nn.BatchNorm2d(8, **kw)) == repr(torch.nn.BatchNorm2d(8, **kw))
    seq_t = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    seq_e = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.BatchNorm1d(3))
    assert repr(seq_e) == repr(seq_t)
    assert list(seq_e.state_dict()) == list(seq_t.state_dict())


def test_batchnorm_reset_and_load():
    me = ember.nn.BatchNorm1d(3)
    me(ember.randn(4, 3) * 5 + 2)
    assert int(me.num_batches_tracked) == 1
    assert me.running_mean.abs().sum().item() > 0
    me.reset_running_stats()
    assert me.running_mean.tolist() == [0.0] * 3 and me.running_var.tolist() == [1.0] * 3
    assert int(me.num_batches_tracked) == 0
    mt = torch.nn.BatchNorm1d(3)
    mt(torch.randn(4, 3) * 5 + 2)
    both(me, mt)
    assert me.num_batches_tracked.dtype is ember.int64
    for n, b in mt.named_buffers():
        assert_same(getattr(me, n), b)


def test_batchnorm_module_errors():
    for T in (ember, torch):
        with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
            T.nn.BatchNorm1d(4)(T.randn(2, 4, 3, 3))
        with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
            T.nn.BatchNorm2d(4)(T.randn(2, 4, 3))
        with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
            T.nn.BatchNorm3d(4)(T.randn(2, 4, 3, 3))
        with pytest.raises(ValueError, match=r"got input size torch.Size\(\[1, 4\]\)"):
            T.nn.BatchNorm1d(4)(T.randn(1, 4))
        with pytest.raises(RuntimeError, match="running_mean should contain 5 elements not 4"):
            T.nn.BatchNorm1d(4)(T.randn(2, 5))
        out = T.nn.BatchNorm1d(4).eval()(T.randn(1, 4))
        assert tuple(out.shape) == (1, 4)


def test_batchnorm_eval_without_running_stats_uses_batch():
    rng = np.random.default_rng(4)
    x = arr(rng, (4, 3), np.float32)
    mt = torch.nn.BatchNorm1d(3, track_running_stats=False).eval()
    me = ember.nn.BatchNorm1d(3, track_running_stats=False).eval()
    assert_same(me(ember.from_numpy(x)), mt(torch.from_numpy(x)))


# -- layer_norm -------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,ns", [((3, 5), (5,)), ((2, 3, 4), (3, 4)), ((4,), (4,)),
                                      ((2, 2, 3, 2), (2,)), ((2, 3, 4), (2, 3, 4))])
def test_layer_norm(rng, dtype, shape, ns):
    x = arr(rng, shape, dtype, 3.0, 2.0)
    w, b = arr(rng, ns, dtype), arr(rng, ns, dtype)
    out = check(lambda T, x, w, b: T.nn.functional.layer_norm(x, ns, w, b, 1e-4), x, w, b)
    assert type(out.grad_fn).__name__ == "NativeLayerNormBackward0"
    check(lambda T, x: T.nn.functional.layer_norm(x, list(ns)), x)
    check(lambda T, x, w: T.nn.functional.layer_norm(x, ns, w), x, w)
    check(lambda T, x, b: T.nn.functional.layer_norm(x, ns, None, b), x, b)


def test_layer_norm_double_backward(rng):
    x, w, b = arr(rng, (3, 4)), arr(rng, 4), arr(rng, 4)
    res = []
    for T in (ember, torch):
        xs = [T.from_numpy(a.copy()).requires_grad_() for a in (x, w, b)]
        y = T.nn.functional.layer_norm(xs[0], (4,), xs[1], xs[2])
        g = T.from_numpy(np.linspace(-1, 2, 12).reshape(3, 4))
        gx, gw = T.autograd.grad(y, xs[:2], g, create_graph=True)
        res.append(T.autograd.grad((gx ** 3).sum() + (gw * gw).sum(), xs, allow_unused=True))
    same_grads(*res)


def test_layer_norm_gradcheck():
    rng = np.random.default_rng(5)
    gradcheck(lambda T, x, w, b: T.nn.functional.layer_norm(x, (2, 3), w, b),
              arr(rng, (2, 2, 3)), arr(rng, (2, 3)), arr(rng, (2, 3)))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(1, 4),
       st.integers(0, 2 ** 31))
def test_layer_norm_hypothesis(shape, k, seed):
    k = min(k, len(shape))
    ns = tuple(shape[len(shape) - k:])
    r = np.random.default_rng(seed)
    check(lambda T, x, w: T.nn.functional.layer_norm(x, ns, w), arr(r, shape, scale=2.0),
          arr(r, ns))


@pytest.mark.parametrize("kw", [dict(), dict(elementwise_affine=False), dict(bias=False),
                                dict(eps=1e-3), dict(elementwise_affine=False, bias=False)])
@pytest.mark.parametrize("ns", [4, (3, 4), [3, 4]])
def test_layernorm_module(kw, ns):
    rng = np.random.default_rng(8)
    mt, me = torch.nn.LayerNorm(ns, **kw), ember.nn.LayerNorm(ns, **kw)
    assert repr(me) == repr(mt)
    assert me.normalized_shape == mt.normalized_shape
    assert list(me.state_dict()) == list(mt.state_dict())
    for k, v in mt.state_dict().items():
        assert_same(me.state_dict()[k], v)
    if kw.get("elementwise_affine", True):
        with torch.no_grad():
            for p in mt.parameters():
                p.copy_(torch.randn(p.shape))
        both(me, mt)
    x = arr(rng, (2, 3, 4), np.float32)
    xe = ember.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    ye, yt = me(xe), mt(xt)
    assert_same(ye, yt)
    g = arr(rng, (2, 3, 4), np.float32)
    ye.backward(ember.from_numpy(g))
    yt.backward(torch.from_numpy(g))
    assert_same(xe.grad, xt.grad)
    for n, p in mt.named_parameters():
        assert_same(getattr(me, n).grad, p.grad, what=n)


def test_layer_norm_errors(rng):
    x = arr(rng, (3, 4), np.float32)
    check_error(lambda T, x: T.nn.functional.layer_norm(x, (5,)), x,
                match="Given normalized_shape=[5], expected input with shape [*, 5], but got "
                      "input of size[3, 4]")
    check_error(lambda T, x: T.nn.functional.layer_norm(x, (3, 4, 5)), x,
                match="expected input with shape [*, 3, 4, 5]")
    check_error(lambda T, x: T.nn.functional.layer_norm(x, (4,), T.ones(3)), x,
                match="Expected weight to be of same shape as normalized_shape, but got weight of "
                      "shape [3] and normalized_shape = [4]")
    check_error(lambda T, x: T.nn.functional.layer_norm(x, (4,), None, T.ones(3)), x,
                match="Expected bias to be of same shape")
    check_error(lambda T, x: T.nn.functional.layer_norm(x, 4), x,
                match="layer_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                      "ints, not int")
    check_error(lambda T, x: T.nn.functional.layer_norm(x, (4.0,)), x,
                match="but found element of type float at pos 0")
    check_error(lambda T, x: T.nn.functional.layer_norm(x, ()), x,
                match="Expected normalized_shape to be at least 1-dimensional")
    check_error(lambda T, x: T.nn.functional.layer_norm(x, (4,)), np.ones((3, 4), np.int32),
                match='"LayerNormKernelImpl" not implemented for \'Int\'')
    check_error(lambda T, x: T.nn.functional.layer_norm(x, (4,), T.ones(4, dtype=T.float64)),
                x, match="mixed dtype (CPU): expect parameter to have scalar type of Float")


# -- group_norm -------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,groups", [((3, 4), 2), ((2, 6, 5), 3), ((2, 6, 5), 1),
                                          ((2, 4, 3, 2), 4), ((1, 4, 2, 2, 2), 2)])
def test_group_norm(rng, dtype, shape, groups):
    c = shape[1]
    x = arr(rng, shape, dtype, 2.0, -1.0)
    w, b = arr(rng, c, dtype), arr(rng, c, dtype)
    out = check(lambda T, x, w, b: T.nn.functional.group_norm(x, groups, w, b, 1e-3), x, w, b)
    assert type(out.grad_fn).__name__ == "NativeGroupNormBackward0"
    check(lambda T, x: T.nn.functional.group_norm(x, groups), x)


def test_group_norm_double_backward_and_gradcheck(rng):
    x, w, b = arr(rng, (2, 4, 3)), arr(rng, 4), arr(rng, 4)
    res = []
    for T in (ember, torch):
        xs = [T.from_numpy(a.copy()).requires_grad_() for a in (x, w, b)]
        y = T.nn.functional.group_norm(xs[0], 2, xs[1], xs[2])
        gx, gw = T.autograd.grad((y * y * y).sum(), xs[:2], create_graph=True)
        res.append(T.autograd.grad((gx * gx).sum() + gw.sum(), xs, allow_unused=True))
    same_grads(*res)
    gradcheck(lambda T, x, w: T.nn.functional.group_norm(x, 2, w), arr(rng, (2, 4, 2)),
              arr(rng, 4))


@pytest.mark.parametrize("kw", [dict(), dict(affine=False), dict(bias=False), dict(eps=1e-2)])
def test_groupnorm_module(kw):
    rng = np.random.default_rng(9)
    mt, me = torch.nn.GroupNorm(2, 6, **kw), ember.nn.GroupNorm(2, 6, **kw)
    assert repr(me) == repr(mt)
    assert list(me.state_dict()) == list(mt.state_dict())
    for k, v in mt.state_dict().items():
        assert_same(me.state_dict()[k], v)
    with torch.no_grad():
        for p in mt.parameters():
            p.copy_(torch.randn(p.shape))
    both(me, mt)
    x = arr(rng, (3, 6, 4), np.float32)
    xe = ember.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    ye, yt = me(xe), mt(xt)
    assert_same(ye, yt)
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    assert_same(xe.grad, xt.grad)
    for n, p in mt.named_parameters():
        assert_same(getattr(me, n).grad, p.grad, what=n)


def test_group_norm_errors(rng):
    check_error(lambda T, x: T.nn.functional.group_norm(x, 3), arr(rng, (3, 4), np.float32),
                match="Expected number of channels in input to be divisible by num_groups, but "
                      "got input of shape [3, 4] and num_groups=3")
    check_error(lambda T, x: T.nn.functional.group_norm(x, 2, T.ones(3)),
                arr(rng, (3, 4, 5), np.float32),
                match="Expected weight to be a vector of size equal to the number of channels in "
                      "input, but got weight of shape [3] and input of shape [3, 4, 5]")
    check_error(lambda T, x: T.nn.functional.group_norm(x, 2), arr(rng, 4, np.float32),
                match="Expected at least 2 dimensions for input tensor but received 1")
    check_error(lambda T, x: T.nn.functional.group_norm(x, 2), np.ones((2, 4), np.int32),
                match='"GroupNormKernelImpl" not implemented for \'Int\'')
    for T in (ember, torch):
        with pytest.raises(ValueError, match=r"num_channels \(4\) must be divisible by "
                                             r"num_groups \(3\)"):
            T.nn.GroupNorm(3, 4)
        with pytest.raises(ZeroDivisionError):
            T.nn.GroupNorm(0, 4)
        with pytest.raises(RuntimeError, match="Expected weight to be a vector"):
            T.nn.GroupNorm(2, 4)(T.randn(3, 6))


# -- rms_norm ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,ns", [((3, 5), (5,)), ((2, 3, 4), (3, 4)), ((4,), (4,))])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm(rng, dtype, shape, ns, eps):
    x = arr(rng, shape, dtype, 1.5, 0.3)
    w = arr(rng, ns, dtype)
    out = check(lambda T, x, w: T.nn.functional.rms_norm(x, ns, w, eps), x, w)
    assert type(out.grad_fn).__name__ == "MulBackward0"
    check(lambda T, x: T.nn.functional.rms_norm(x, list(ns), eps=eps), x)


def test_rms_norm_tiny_input_uses_dtype_eps():
    x = np.full((2, 3), 1e-5, np.float32)
    check(lambda T, x: T.nn.functional.rms_norm(x, (3,)), x)
    check(lambda T, x: T.nn.functional.rms_norm(x, (3,)), x.astype(np.float64) * 1e-5)


@pytest.mark.parametrize("kw", [dict(), dict(eps=1e-6), dict(elementwise_affine=False)])
@pytest.mark.parametrize("ns", [4, (2, 4)])
def test_rmsnorm_module(kw, ns):
    rng = np.random.default_rng(10)
    mt, me = torch.nn.RMSNorm(ns, **kw), ember.nn.RMSNorm(ns, **kw)
    assert repr(me) == repr(mt)
    assert list(me.state_dict()) == list(mt.state_dict())
    for k, v in mt.state_dict().items():
        assert_same(me.state_dict()[k], v)
    x = arr(rng, (3, 2, 4), np.float32)
    xe = ember.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    ye, yt = me(xe), mt(xt)
    assert_same(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad)
    for n, p in mt.named_parameters():
        assert_same(getattr(me, n).grad, p.grad, what=n)


def test_rms_norm_errors(rng):
    x = arr(rng, (3, 4), np.float32)
    check_error(lambda T, x: T.nn.functional.rms_norm(x, (3, 5)), x,
                match="Given normalized_shape=[3, 5], expected input with shape [*3, 5], but got "
                      "input of size[3, 4]")
    check_error(lambda T, x: T.nn.functional.rms_norm(x, (4,), T.ones(3)), x,
                match="Expected weight to be of same shape as normalized_shape")
    check_error(lambda T, x: T.nn.functional.rms_norm(x, 4), x,
                match="must be tuple of ints, not int")
    check_error(lambda T, x: T.nn.functional.rms_norm(x, (4,)), np.ones((3, 4), np.int32),
                match='"rms_norm" not implemented for \'Int\'')
    for T in (ember, torch):
        with pytest.warns(UserWarning, match="Mismatch dtype between input and weight: input "
                                             "dtype = float, weight dtype = double"):
            out = T.nn.functional.rms_norm(T.ones(2, 4), (4,), T.ones(4, dtype=T.float64))
        assert str(out.dtype).endswith("float32")


# -- half precision (computed in float32, as PyTorch) ------------------------------

@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_norms_half_precision(rng, dt):
    import ml_dtypes

    npdt = np.float16 if dt == "float16" else ml_dtypes.bfloat16
    x = arr(rng, (4, 3, 2)).astype(npdt)
    check(lambda T, x: T.nn.functional.layer_norm(x, (3, 2)), x, grad=False)
    check(lambda T, x: T.nn.functional.group_norm(x, 3), x, grad=False)
    check(lambda T, x: T.nn.functional.batch_norm(x, None, None, training=True), x, grad=False)
    check(lambda T, x: T.nn.functional.rms_norm(x, (2,)), x, grad=False)
