"""A CNN's layers bit for bit against PyTorch's CPU kernels (float32, 2 intra-op threads).

Each case builds the same layer in both libraries (PyTorch's parameters copied into
ember's), feeds the same input and output gradient, and compares the forward output, the
input's and the parameters' gradients and any running statistics by their bits.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ember  # noqa: E402
from diff import pinned_threads  # noqa: E402


@pytest.fixture(autouse=True)
def _two_threads():
    yield from pinned_threads(torch, ember, 2)


def _bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def _same_bits(e, t, what):
    e, t = np.asarray(e), np.asarray(t)
    assert e.shape == t.shape, what
    bad = _bits(e) != _bits(t)
    assert not bad.any(), f"{what}: {bad.mean():.3%} of the bits differ"


def _run(make, shape, *, channels_last=False, grad_channels_last=None, train=True,
         seed=0, rng_seed=None, indices=False):
    """Forward and backward in both libraries; assert every result is bit-identical."""
    rs = np.random.RandomState(seed)
    x = rs.randn(*shape).astype(np.float32)
    torch.manual_seed(1)
    tm, em = make(torch), make(ember)
    if isinstance(tm, torch.nn.Module):
        em.load_state_dict({k: ember.from_numpy(v.numpy().copy())
                            for k, v in tm.state_dict().items()})
        tm.train(train)
        em.train(train)
    outs = []
    for lib, m in ((torch, tm), (ember, em)):
        xx = lib.from_numpy(x.copy())
        if channels_last:
            xx = xx.contiguous(memory_format=lib.channels_last)
        xx.requires_grad_(True)
        if rng_seed is not None:
            lib.manual_seed(rng_seed)
        y = m(xx)
        idx = None
        if indices:
            y, idx = y
        outs.append((xx, y, idx))
    (tx, ty, ti), (ex, ey, ei) = outs
    _same_bits(ey.detach().numpy(), ty.detach().numpy(), "forward")
    if indices:
        np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    g = rs.randn(*ty.shape).astype(np.float32)
    gcl = channels_last if grad_channels_last is None else grad_channels_last
    for lib, y in ((torch, ty), (ember, ey)):
        gg = lib.from_numpy(g.copy())
        if gcl:
            gg = gg.contiguous(memory_format=lib.channels_last)
        y.backward(gg)
    _same_bits(ex.grad.numpy(), tx.grad.numpy(), "input gradient")
    assert ex.grad.stride() == tx.grad.stride()
    if isinstance(tm, torch.nn.Module):
        eparams = dict(em.named_parameters())
        for k, p in tm.named_parameters():
            _same_bits(eparams[k].grad.numpy(), p.grad.numpy(), f"{k} gradient")
        ebufs = dict(em.named_buffers())
        for k, b in tm.named_buffers():
            if b.dtype.is_floating_point:
                _same_bits(ebufs[k].numpy(), b.numpy(), k)


SHAPES = [(1, 3, 32, 32), (4, 8, 16, 16), (16, 16, 8, 8), (64, 32, 5, 5), (2, 3, 7, 9)]


# -- pooling: overlapping windows add their gradients in the output's raster order ------

POOLS = [(2, 2, 0, False), (3, 2, 1, False), (3, 1, 1, False), (3, 2, 0, True),
         (2, 1, 0, False)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("k,s,p,ceil", POOLS)
def test_max_pool2d(shape, k, s, p, ceil):
    _run(lambda lib: lib.nn.MaxPool2d(k, s, p, ceil_mode=ceil, return_indices=True), shape,
         indices=True)


@pytest.mark.parametrize("shape", [(4, 8, 16, 16), (2, 3, 7, 9)])
def test_max_pool2d_channels_last_and_dilated(shape):
    _run(lambda lib: lib.nn.MaxPool2d(3, 1, 1), shape, channels_last=True)
    _run(lambda lib: lib.nn.MaxPool2d(3, 1, 1, dilation=2), shape)


@pytest.mark.parametrize("fn,shape", [
    (lambda lib: lib.nn.MaxPool1d(3, 1, 1), (2, 3, 17)),
    (lambda lib: lib.nn.MaxPool3d(3, 1, 1), (2, 3, 5, 6, 7)),
    (lambda lib: lib.nn.AdaptiveMaxPool3d((3, 4, 5)), (2, 3, 5, 6, 7)),
    (lambda lib: lib.nn.MaxPool2d(3, 1, 1), (3, 7, 8)),  # no batch dim
])
def test_other_max_pools(fn, shape):
    _run(fn, shape)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("out", [(1, 1), (2, 2), (3, 3), (5, 7)])
def test_adaptive_pools(shape, out):
    _run(lambda lib: lib.nn.AdaptiveMaxPool2d(out, return_indices=True), shape, indices=True)
    _run(lambda lib: lib.nn.AdaptiveAvgPool2d(out), shape)


@pytest.mark.parametrize("shape", SHAPES[:3])
@pytest.mark.parametrize("k,s,p,ceil", POOLS)
def test_avg_pool2d(shape, k, s, p, ceil):
    for cip in (True, False):
        _run(lambda lib: lib.nn.AvgPool2d(k, s, p, ceil_mode=ceil, count_include_pad=cip),
             shape)
    _run(lambda lib: lib.nn.AvgPool2d(k, s, p, ceil_mode=ceil, divisor_override=5), shape,
         channels_last=True)


# -- normalization ----------------------------------------------------------------

BN_SHAPES = SHAPES + [(16, 1, 28, 28), (4, 64, 14, 14)]


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("train", [True, False])
def test_batch_norm2d(shape, train):
    _run(lambda lib: lib.nn.BatchNorm2d(shape[1]), shape, train=train)


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("grad_cl", [True, False])
@pytest.mark.parametrize("train", [True, False])
def test_batch_norm2d_channels_last(shape, grad_cl, train):
    # a channels-last gradient: PyTorch's channels-last kernels; a contiguous one: its
    # generic kernel (the two layouts differ)
    _run(lambda lib: lib.nn.BatchNorm2d(shape[1]), shape, channels_last=True,
         grad_channels_last=grad_cl, train=train)


@pytest.mark.parametrize("shape", [(64, 1), (100, 1), (5, 1), (64, 7), (3, 40)])
def test_batch_norm1d_rows(shape):
    # one feature: its contiguous column is added in order, not pairwise
    _run(lambda lib: lib.nn.BatchNorm1d(shape[1]), shape)


@pytest.mark.parametrize("reduce", ["sum", "mean", "slice"])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_batch_norm_broadcast_gradients(reduce, layout):
    """``y.sum().backward()`` hands the kernel an expanded gradient: PyTorch's generic
    backward."""
    x = np.random.RandomState(3).randn(4, 8, 6, 7).astype(np.float32)
    res = []
    for lib in (torch, ember):
        torch.manual_seed(0)
        m = lib.nn.BatchNorm2d(8)
        xx = lib.from_numpy(x.copy())
        if layout == "channels_last":
            xx = xx.contiguous(memory_format=lib.channels_last)
        xx.requires_grad_(True)
        y = m(xx)
        loss = {"sum": y.sum(), "mean": y.mean(), "slice": (y[:, :3] * 3).sum()}[reduce]
        loss.backward()
        res.append((xx.grad.numpy(), m.weight.grad.numpy(), m.bias.grad.numpy()))
    for e, t, what in zip(res[1], res[0], ("input", "weight", "bias")):
        _same_bits(e, t, what)


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_group_norm(shape):
    c = shape[1]
    for g in (1, 2, 4):
        if c % g == 0:
            _run(lambda lib: lib.nn.GroupNorm(g, c), shape)


@pytest.mark.parametrize("shape,groups", [((4, 8, 16, 16), 2), ((2, 32, 7, 9), 4),
                                          ((3, 24, 5, 5), 3), ((2, 20, 5, 6), 1),
                                          ((2, 48, 6, 6), 2), ((16, 64, 8, 8), 32),
                                          ((2, 8, 32, 32), 2), ((3, 12, 32, 33), 3)])
@pytest.mark.parametrize("grad_cl", [True, False])
def test_group_norm_channels_last(shape, groups, grad_cl):
    # fewer than 1024 positions a channel: PyTorch's per-group channels-last forward; from
    # 1024 on its per-thread one (the last shape splits a sample between the two threads)
    _run(lambda lib: lib.nn.GroupNorm(groups, shape[1]), shape, channels_last=True,
         grad_channels_last=grad_cl)


def test_group_norm_channels_last_3d_and_no_affine():
    _run(lambda lib: lib.nn.GroupNorm(4, 16), (2, 16, 3, 4, 5))
    x = np.random.RandomState(0).randn(2, 16, 3, 4, 5).astype(np.float32)
    g = np.random.RandomState(1).randn(2, 16, 3, 4, 5).astype(np.float32)
    res = []
    for lib in (torch, ember):
        xx = lib.from_numpy(x.copy()).contiguous(memory_format=lib.channels_last_3d)
        xx.requires_grad_(True)
        y = lib.nn.functional.group_norm(xx, 4)
        y.backward(lib.from_numpy(g.copy()).contiguous(memory_format=lib.channels_last_3d))
        res.append((y.detach().numpy(), xx.grad.numpy(), y.stride(), xx.grad.stride()))
    _same_bits(res[1][0], res[0][0], "forward")
    _same_bits(res[1][1], res[0][1], "input gradient")
    assert res[1][2:] == res[0][2:]


@pytest.mark.parametrize("which", ["weight", "bias"])
@pytest.mark.parametrize("channels_last", [False, True])
def test_group_norm_one_parameter(which, channels_last):
    rs = np.random.RandomState(0)
    x = rs.randn(3, 20, 4, 5).astype(np.float32)
    p = rs.randn(20).astype(np.float32)
    g = rs.randn(3, 20, 4, 5).astype(np.float32)
    res = []
    for lib in (torch, ember):
        xx = lib.from_numpy(x.copy())
        if channels_last:
            xx = xx.contiguous(memory_format=lib.channels_last)
        xx.requires_grad_(True)
        pp = lib.from_numpy(p.copy()).requires_grad_(True)
        y = lib.nn.functional.group_norm(xx, 4, **{which: pp})
        res.append([y.detach().numpy()])
        if which == "weight":
            y.backward(lib.from_numpy(g.copy()))
            res[-1] += [xx.grad.numpy(), pp.grad.numpy()]
        else:  # PyTorch's CPU backward refuses a bias without a weight
            with pytest.raises(RuntimeError):
                y.backward(lib.from_numpy(g.copy()))
    for e, t in zip(res[1], res[0], strict=True):
        _same_bits(e, t, which)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("channels_last", [False, True])
def test_instance_norm2d(shape, channels_last):
    # a channels-last input is made contiguous first, as PyTorch does.  (Not a
    # channels-last gradient for one sample: PyTorch's gradient through its view is wrong
    # there, 2.13 - it differs from its own float64 result by more than the values.)
    gcl = channels_last and shape[0] > 1
    _run(lambda lib: lib.nn.InstanceNorm2d(shape[1]), shape, channels_last=channels_last,
         grad_channels_last=gcl)
    _run(lambda lib: lib.nn.InstanceNorm2d(shape[1], affine=True, track_running_stats=True),
         shape, channels_last=channels_last, grad_channels_last=gcl)


@pytest.mark.parametrize("shape", SHAPES[:3])
def test_local_response_norm(shape):
    _run(lambda lib: lib.nn.LocalResponseNorm(3), shape)


# -- dropout: the same masks after the same seed ------------------------------------

@pytest.mark.parametrize("shape", [(4, 8, 16, 16), (64, 32, 5, 5), (16, 100)])
def test_dropouts(shape):
    _run(lambda lib: lib.nn.Dropout(0.5), shape, rng_seed=5)
    _run(lambda lib: lib.nn.AlphaDropout(0.2), shape, rng_seed=5)
    if len(shape) == 4:
        _run(lambda lib: lib.nn.Dropout2d(0.3), shape, rng_seed=5)


# -- resizing and padding: gathers whose gradients add in the output's raster order ----

@pytest.mark.parametrize("shape", [(1, 3, 32, 32), (4, 8, 16, 16), (2, 3, 7, 9)])
@pytest.mark.parametrize("mode,ac", [("nearest", None), ("nearest-exact", None),
                                     ("bilinear", False), ("bilinear", True)])
@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(11, 13)),
                                dict(scale_factor=2.5)])
def test_interpolate(shape, mode, ac, kw):
    _run(lambda lib: (lambda x: lib.nn.functional.interpolate(x, mode=mode, align_corners=ac,
                                                              **kw)), shape)


@pytest.mark.parametrize("fn,shape", [
    (lambda lib: lib.nn.Upsample(scale_factor=2), (4, 8, 16, 16)),
    (lambda lib: lib.nn.Upsample(scale_factor=3), (2, 3, 5)),
    (lambda lib: lib.nn.Upsample(scale_factor=2), (2, 3, 4, 5, 6)),
    (lambda lib: lib.nn.Upsample(scale_factor=2, mode="bilinear"), (4, 8, 16, 16)),
])
def test_upsample(fn, shape):
    _run(fn, shape)


@pytest.mark.parametrize("fn,shape", [
    (lambda lib: lib.nn.ReflectionPad2d(2), (4, 8, 16, 16)),
    (lambda lib: lib.nn.ReflectionPad2d((3, 1, 2, 3)), (2, 3, 7, 9)),
    (lambda lib: lib.nn.ReflectionPad2d(2), (3, 5, 6)),
    (lambda lib: lib.nn.ReflectionPad1d(3), (2, 3, 5)),
    (lambda lib: lib.nn.ReflectionPad3d(2), (2, 3, 4, 5, 6)),
    (lambda lib: lib.nn.ReplicationPad2d(2), (4, 8, 16, 16)),
    (lambda lib: lib.nn.ReplicationPad3d((2, 2, 1, 1, 2, 2)), (2, 3, 4, 5, 6)),
    (lambda lib: lib.nn.CircularPad2d(2), (2, 3, 5, 6)),
    (lambda lib: lib.nn.CircularPad1d(3), (2, 3, 5)),
    (lambda lib: lib.nn.ZeroPad2d((1, 2, 0, 3)), (4, 8, 16, 16)),
])
def test_padding(fn, shape):
    _run(fn, shape)
    if len(shape) == 4:
        _run(fn, shape, channels_last=True)


@pytest.mark.parametrize("shape", [(4, 8, 16, 16), (16, 16, 8, 8)])
def test_pixel_shuffle(shape):
    _run(lambda lib: lib.nn.PixelShuffle(2), shape)
    _run(lambda lib: lib.nn.PixelUnshuffle(2), shape)


@pytest.mark.parametrize("dtype", ["float64"])
def test_float64_scatters(dtype):
    """The raster-order scatters hold for float64 too (each sum rounded to double)."""
    rs = np.random.RandomState(0)
    x = rs.randn(2, 3, 9, 10)
    for f in (lambda lib, t: lib.nn.functional.max_pool2d(t, 3, 1, 1),
              lambda lib, t: lib.nn.functional.interpolate(t, scale_factor=2.5),
              lambda lib, t: lib.nn.functional.pad(t, (3, 3, 2, 2), mode="reflect")):
        res = []
        for lib in (torch, ember):
            t = lib.from_numpy(x.copy()).requires_grad_(True)
            y = f(lib, t)
            y.backward(lib.from_numpy(np.random.RandomState(1).randn(*y.shape)))
            res.append(t.grad.numpy())
        np.testing.assert_array_equal(res[1].view(np.uint64), res[0].view(np.uint64))
