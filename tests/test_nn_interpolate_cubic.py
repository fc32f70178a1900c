"""``interpolate`` with ``mode='bicubic'`` and with ``antialias=True``, against PyTorch."""
from __future__ import annotations

import platform

import numpy as np
import pytest

import ember
from diff import check_error

torch = pytest.importorskip("torch")

# float32 results agree to a few ulps; PyTorch's backward kernels accumulate the
# gradient one output at a time, ember's by matrix products, hence the looser
# gradient tolerance (relative to the gradient's largest entry).
TOL = {np.float32: (1e-6, 2e-6), np.float64: (1e-12, 1e-12)}


def arr(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def run_both(x, grad=True, **kw):
    """Values (and input gradients for one random upstream gradient) from both libraries."""
    out = []
    up = None
    for lib in (torch, ember):
        t = lib.from_numpy(x.copy()).requires_grad_(grad)
        y = lib.nn.functional.interpolate(t, **kw)
        res = [y.detach().numpy(), type(y.grad_fn).__name__ if grad else None]
        if grad:
            if up is None:
                up = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(x.dtype)
            (g,) = lib.autograd.grad(y, t, lib.from_numpy(up.copy()))
            res.append(g.numpy())
        out.append(res)
    return out


def compare(x, **kw):
    (tv, tname, tg), (ev, ename, eg) = run_both(x, **kw)
    vtol, gtol = TOL[x.dtype.type]
    assert ev.dtype == tv.dtype and ev.shape == tv.shape
    np.testing.assert_allclose(ev, tv, rtol=vtol, atol=vtol, err_msg="value")
    assert ename == tname
    np.testing.assert_allclose(eg, tg, rtol=0, atol=gtol * max(np.abs(tg).max(), 1),
                               err_msg="grad")


SIZES = [
    dict(size=(13, 11)), dict(size=(3, 2)), dict(size=(7, 12)), dict(size=(1, 1)),
    dict(size=(2, 19)), dict(scale_factor=2), dict(scale_factor=0.5), dict(scale_factor=1.7),
    dict(scale_factor=(0.3, 2.6)), dict(scale_factor=1.1), dict(scale_factor=(3.0, 0.77)),
    dict(scale_factor=0.37, recompute_scale_factor=True),
    dict(scale_factor=2.3, recompute_scale_factor=False),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("kw", SIZES)
def test_bicubic(kw, align_corners, dtype):
    compare(arr(2, 3, 7, 9, dtype=dtype), mode="bicubic", align_corners=align_corners, **kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kw", SIZES)
def test_antialias(kw, mode, align_corners, dtype):
    compare(arr(2, 3, 7, 9, dtype=dtype), mode=mode, align_corners=align_corners,
            antialias=True, **kw)


@pytest.mark.parametrize("mode,aa", [("bicubic", False), ("bicubic", True), ("bilinear", True)])
def test_large_factors(mode, aa):
    """Strong shrinking (wide antialias filters) and strong enlarging of a bigger image."""
    x = arr(1, 2, 40, 33, dtype=np.float32)
    for kw in (dict(size=(3, 5)), dict(scale_factor=0.13), dict(size=(97, 150))):
        compare(x, mode=mode, antialias=aa, **kw)


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="bit patterns of PyTorch's x86 kernels (fused multiply-adds)")
@pytest.mark.parametrize("mode,aa", [("bicubic", False), ("bicubic", True), ("bilinear", True)])
def test_float32_weights_bit_for_bit(mode, aa):
    """Resizing one-hot rows reads off the weights: the same float32 numbers as PyTorch's."""
    for n_in, n_out, ac, sf in [(3, 333, False, None), (17, 51, False, 3.0), (40, 13, True, None),
                                (101, 150, False, None), (40, 30, False, 0.77),
                                (101, 10, False, 0.1)]:
        x = np.eye(n_in, dtype=np.float32).reshape(n_in, 1, 1, n_in)
        kw = dict(size=(1, n_out)) if sf is None else dict(scale_factor=(1.0, sf))
        (tv, *_), (ev, *_) = run_both(x, grad=False, mode=mode, antialias=aa, align_corners=ac,
                                      **kw)
        np.testing.assert_array_equal(ev, tv, err_msg=str((n_in, n_out, ac, sf)))


def test_pytorch_quirks():
    """Places where PyTorch's forward and backward kernels disagree, matched on purpose."""
    x = arr(2, 3, 5, 4)
    # antialiased, one pixel wide: every output row is row 0's (the gradient is right)
    compare(x, size=(7, 1), mode="bilinear", antialias=True)
    compare(x, size=(3, 1), mode="bicubic", antialias=True)
    compare(arr(1, 2, 6, 1), size=(3, 1), mode="bicubic", antialias=True)
    # sizes unchanged but the samples moved by a scale factor: antialiased forward is a
    # copy, bicubic backward is a copy; the other direction resamples
    compare(x, scale_factor=1.1, mode="bicubic")
    compare(x, scale_factor=1.1, mode="bicubic", antialias=True)
    compare(arr(1, 2, 5, 10), scale_factor=(1.1, 1.0), mode="bicubic", antialias=True)
    compare(x, scale_factor=1.0, mode="bicubic", antialias=True)


def test_half_precision_bicubic():
    x = arr(2, 3, 7, 5, dtype=np.float32)
    for name in ("float16", "bfloat16"):
        t = torch.nn.functional.interpolate(torch.from_numpy(x).to(getattr(torch, name)),
                                            size=(13, 3), mode="bicubic")
        e = ember.nn.functional.interpolate(ember.from_numpy(x).to(getattr(ember, name)),
                                            size=(13, 3), mode="bicubic")
        assert e.dtype is getattr(ember, name)
        np.testing.assert_allclose(e.float().numpy(), t.float().numpy(), rtol=2e-2, atol=1e-2)


def test_empty_batch():
    for aa in (False, True):
        (tv, *_), (ev, *_) = run_both(arr(0, 2, 5, 4), mode="bicubic", antialias=aa,
                                      size=(3, 7))
        assert ev.shape == tv.shape == (0, 2, 3, 7)


@pytest.mark.parametrize("mode,aa", [("bicubic", False), ("bicubic", True), ("bilinear", True)])
def test_double_backward(mode, aa):
    x = arr(2, 3, 6, 5)

    def run(lib):
        t = lib.from_numpy(x.copy()).requires_grad_()
        y = lib.nn.functional.interpolate(t, size=(4, 9), mode=mode, antialias=aa)
        (g,) = lib.autograd.grad((y ** 3).sum(), t, create_graph=True)
        (gg,) = lib.autograd.grad((g ** 2).sum(), t)
        return gg.numpy()

    np.testing.assert_allclose(run(ember), run(torch), rtol=1e-10, atol=1e-10)


def test_upsample_module_bicubic():
    x = arr(2, 3, 4, 5, dtype=np.float32)
    for kw in (dict(scale_factor=2), dict(size=(3, 7)), dict(scale_factor=1.5, align_corners=True)):
        tm, em = torch.nn.Upsample(mode="bicubic", **kw), ember.nn.Upsample(mode="bicubic", **kw)
        assert repr(em) == repr(tm)
        np.testing.assert_allclose(em(ember.from_numpy(x)).numpy(),
                                   tm(torch.from_numpy(x)).numpy(), rtol=1e-6, atol=1e-6)


def interp(**kw):
    return lambda T, x: T.nn.functional.interpolate(x, **kw)


@pytest.mark.parametrize("fn,shape,dtype,match", [
    (interp(size=4, mode="bicubic"), (2, 3, 5), np.float32, "(got 3D) for the modes"),
    (interp(size=4, mode="bicubic"), (1, 2, 3, 5, 5), np.float32, "(got 5D) for the modes"),
    (interp(size=4, mode="nearest", antialias=True), (2, 3, 5, 5), np.float32,
     "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes"),
    (interp(size=4, mode="trilinear", antialias=True), (1, 2, 3, 5, 5), np.float32,
     "requires a 4-D tensor as input"),
    (interp(size=4, mode="bicubic"), (2, 3, 5, 5), np.int64,
     "\"compute_indices_weights_cubic\" not implemented for 'Long'"),
    (interp(size=4, mode="bilinear", antialias=True), (2, 3, 5, 5), np.int32,
     "\"compute_index_ranges_weights\" not implemented for 'Int'"),
    (interp(size=4, mode="bicubic", antialias=True), (2, 3, 5, 5), np.float16,
     "\"compute_index_ranges_weights\" not implemented for 'Half'"),
    (interp(size=0, mode="bicubic"), (2, 3, 5, 4), np.float32,
     "Input and output sizes should be greater than 0, but got input (H: 5, W: 4) output "
     "(H: 0, W: 0)"),
    (interp(size=3, mode="bicubic", antialias=True), (1, 0, 5, 4), np.float32,
     "Non-empty 4D data tensor expected but got a tensor with sizes [1, 0, 5, 4]"),
    (interp(size=3, mode="bicubic", recompute_scale_factor=True), (1, 2, 5, 4), np.float32,
     "recompute_scale_factor is not meaningful with an explicit size."),
])
def test_errors(fn, shape, dtype, match):
    check_error(fn, np.ones(shape, dtype=dtype), match=match)
