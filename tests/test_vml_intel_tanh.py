"""float32 ``sin`` and ``cos`` as MKL's AVX-512 kernels round them on the Intel processor
``_vml.intel_sqrt()`` names, and the backward formulas of ``tanh``, ``sin`` and ``cos``.

On that processor PyTorch's sin and cos are MKL's ``vmsSin``/``vmsCos`` (AVX-512 kernels),
whose values for |x| <= 10000 are the generic kernel's (``_vml._trig_ex``) but on 20 inputs
(``_vml._TRIG_INTEL_FIX``, found by sweeping all 2**32 bit patterns); ember must give them bit
for bit there (function, method, views, tails, 0-d, ``out=``, in-place), and within an ulp
beyond 10000.  MKL's AVX-512 tanh is modelled row by row (``_vml._tanh_intel``, tested in
test_vml_intel_tanh2.py; rows not yet derived give NumPy's float64 result rounded once, within
an ulp); its gradient, ``(1 - y*y)`` with the saved output, must be PyTorch's bits wherever the
forward values agree.  The tests needing
PyTorch's bits skip elsewhere; ``EMBER_EXHAUSTIVE=1`` sweeps every |x| <= 10000.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import ember
from ember._ops import _vml

torch = pytest.importorskip("torch")
from diff import unary_ways_in  # noqa: E402
from test_vml_exp import _bits, _same  # noqa: E402

intel = pytest.mark.skipif(
    not (_vml.intel_sqrt() and not _vml.emulated() and torch.backends.mkl.is_available()),
    reason="MKL's AVX-512 sin and cos are modelled on one Intel processor")

_FIXED = np.concatenate([_vml._TRIG_INTEL_FIX[False][0], _vml._TRIG_INTEL_FIX[True][0]])


def _u(lo, hi, step=1):
    return np.arange(lo, hi, step, dtype=np.int64).astype(np.uint32)


def _inputs(r):
    """The vector path's range, the 20 exceptional inputs and their neighbours (both signs),
    the edge at 10000, some of the big path, special values."""
    near = np.concatenate([_FIXED.astype(np.int64) + d for d in range(-3, 4)]).astype(np.uint32)
    edge = _u(0x461C3F00, 0x461C4100)
    bits = np.concatenate([near, edge, _u(0, 0x461C4000, 9973)])
    bits = np.concatenate([bits, bits | np.uint32(0x80000000)]).view(np.float32)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 2.0 ** -149, -2.0 ** -126,
                        np.pi, -np.pi / 2, 1e4, -1e4], np.float32)
    nans = np.array([0x7FC12345, 0xFFC00001, 0x7F800001], np.uint32).view(np.float32)
    body = [r.standard_normal(60_000) * 3, r.uniform(-1e4, 1e4, 60_000),
            r.uniform(-8, 8, 30_000), r.uniform(-1e-3, 1e-3, 5_000)]
    return np.concatenate([np.concatenate(body).astype(np.float32), bits, special, nans])


@intel
@pytest.mark.parametrize("name", ["sin", "cos"])
def test_bits(name):
    x = _inputs(np.random.default_rng(31))
    with np.errstate(all="ignore"):
        _same(getattr(_vml, name)(x), getattr(torch, name)(torch.from_numpy(x)))
        _same(getattr(ember, name)(ember.from_numpy(x)), getattr(torch, name)(torch.from_numpy(x)))


@intel
@pytest.mark.parametrize("name", ["sin", "cos"])
def test_api_paths(name):
    r = np.random.default_rng(32)
    x = (r.standard_normal((37, 53)) * 2000).astype(np.float32)
    flat = x.reshape(-1)
    flat[:20] = np.concatenate([_FIXED, _FIXED | np.uint32(0x80000000)]).view(np.float32)
    unary_ways_in(name, x, _same, ints=(-40, 40))
    for v in _FIXED[:4].view(np.float32):   # 0-d, a few elements (the small sizes)
        _same(getattr(ember, name)(ember.tensor(v)), getattr(torch, name)(torch.tensor(v)))


@intel
@pytest.mark.parametrize("name", ["sin", "cos"])
def test_big_path_within_an_ulp(name):
    # beyond 10000 the Intel kernel's reduction is not modelled: within an ulp, mostly equal
    r = np.random.default_rng(33)
    x = r.integers(0x461C4001, 0x7F800000, 100_000).astype(np.uint32).view(np.float32)
    x = np.concatenate([x, -x])
    got, want = _bits(getattr(_vml, name)(x)), _bits(getattr(torch, name)(torch.from_numpy(x)))
    diff = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32).astype(np.int64))
    assert diff.max() <= 1 and (diff != 0).mean() < 0.002


def test_fix_table():
    # runs everywhere: the Intel kernel's values are the generic ones moved by the steps, each
    # within an ulp of the exact value (here: NumPy's float64 one), the keys sorted
    for cos in (False, True):
        keys, steps = _vml._TRIG_INTEL_FIX[cos]
        assert (np.diff(keys.astype(np.int64)) > 0).all() and set(steps.tolist()) <= {-1, 1}
        x = np.concatenate([keys, keys | np.uint32(0x80000000)]).view(np.float32)
        generic = _vml._trig_ex(x, np.empty_like(x), cos)
        got = _vml._trig_ex(x, np.empty_like(x), cos, True)
        step = np.concatenate([steps, steps])
        assert (got.view(np.int32) - generic.view(np.int32) == step).all()
        exact = (np.cos if cos else np.sin)(x.astype(np.float64))
        assert (np.abs(got - exact) < np.spacing(np.abs(got)).astype(np.float64)).all()
        # and nothing else moves
        y = np.concatenate([x, np.nextafter(x, np.float32(np.inf)), np.float32([0.5, 3e3])])
        g1 = _vml._trig_ex(y, np.empty_like(y), cos, True)
        g0 = _vml._trig_ex(y, np.empty_like(y), cos)
        assert (g1 != g0).sum() == x.size


def test_gating(monkeypatch):
    x = (np.random.default_rng(34).standard_normal(5000) * 20).astype(np.float32)
    monkeypatch.setattr(_vml, "emulated", lambda: False)
    monkeypatch.setattr(_vml, "intel_sqrt", lambda: True)
    for name, ref in (("sin", np.sin), ("cos", np.cos)):
        # the Intel path on any processor: the generic kernel's values on this range
        want = _vml._trig_ex(x, np.empty_like(x), name == "cos")
        _same(getattr(_vml, name)(x), want)
        np.testing.assert_array_equal(getattr(_vml, name)(x.astype(np.float64)),
                                      ref(x.astype(np.float64)))
        assert getattr(_vml, name)(np.zeros(0, np.float32)).shape == (0,)
    monkeypatch.setattr(_vml, "intel_sqrt", lambda: False)
    for name, ref in (("sin", np.sin), ("cos", np.cos)):
        _same(getattr(_vml, name)(x), ref(x.astype(np.float64)).astype(np.float32))


@pytest.mark.parametrize("name", ["tanh", "sin", "cos"])
def test_backward_bits(name):
    # tanh's gradient is (1 - y*y) * grad from the saved output y, sin's and cos's take cos(x)
    # and -sin(x): bit for bit wherever ember's forward values are PyTorch's (on every input on
    # the modelled processors; elsewhere tanh's forward is within an ulp)
    r = np.random.default_rng(35)
    x = np.concatenate([r.standard_normal(20_000) * 3, r.uniform(-1e-2, 1e-2, 2_000)])
    x = x.astype(np.float32)
    g = r.standard_normal(x.size).astype(np.float32)
    xt, xe = torch.from_numpy(x).requires_grad_(), ember.from_numpy(x.copy()).requires_grad_()
    yt, ye = getattr(torch, name)(xt), getattr(ember, name)(xe)
    yt.backward(torch.from_numpy(g))
    ye.backward(ember.from_numpy(g.copy()))
    fwd = _bits(yt.detach().numpy()) == _bits(ye.detach().numpy())
    assert fwd.mean() > 0.97
    if name != "tanh" and _vml.intel_sqrt() and not _vml.emulated():
        assert fwd.all()
    gt, ge = xt.grad.numpy(), xe.grad.numpy()
    assert ge.dtype == np.float32
    assert (_bits(gt) == _bits(ge))[fwd].all()


@intel
@pytest.mark.skipif(not os.environ.get("EMBER_EXHAUSTIVE"),
                    reason="minutes: set EMBER_EXHAUSTIVE=1 (every |x| <= 10000)")
@pytest.mark.parametrize("name", ["sin", "cos"])
def test_exhaustive(name):
    for sign in (0, 0x80000000):
        for lo in range(0, 0x461C4001, 1 << 24):
            x = (_u(lo, min(lo + (1 << 24), 0x461C4001)) | np.uint32(sign)).view(np.float32)
            _same(getattr(_vml, name)(x), getattr(torch, name)(torch.from_numpy(x)))
